/*
 * /api/integrations/company/:companyId/{twilio,incoming}: the secrets a
 * company's signed webhooks are checked with. Managers set, rotate and
 * remove them; reading tells only whether one is set and since when. The
 * incoming-webhook secret is generated here and shown once; Twilio's auth
 * token comes from Twilio's console. Neither is ever logged or returned.
 * Reading is here; changes are operations (op/op-integration.c).
 */
#include <string.h>

#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-integration.h"
#include "op.h"

/* The last path segment names the integration. */
static const char *
integration_kind(const struct request *req)
{
	const char	*p = req->path + strlen(req->path);

	while (p > req->path && p[-1] == '/')
		p--;
	return p - req->path >= 9 && strncmp(p - 9, "/incoming", 9) == 0 ?
	    "incoming" : "twilio";
}

int
integrations_get(struct hctx *h)
{
	const char		*kind = integration_kind(h->req);
	struct integration	 in;
	int			 n;

	if ((n = db_integration_get(h->db, h->req->params[0], kind, &in)) < 0)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, integration_json(kind, n == 1 ? &in : NULL));
	integration_clear(&in);
	return 0;
}

/* Changes are operations (op/op-integration.c), one per kind. */
int
integrations_put(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0], .body = h->req->body };

	return rest_admin_in(h, strcmp(integration_kind(h->req), "twilio") == 0 ?
	    OP_INTEGRATION_SET_TWILIO : OP_INTEGRATION_SET_INCOMING, &in, NULL);
}

int
integrations_delete(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0] };

	return rest_admin_in(h, strcmp(integration_kind(h->req), "twilio") == 0 ?
	    OP_INTEGRATION_DELETE_TWILIO : OP_INTEGRATION_DELETE_INCOMING, &in,
	    NULL);
}

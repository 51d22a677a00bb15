/*
 * /api/companies/:id/widget-keys and /widget-origins: what a company's
 * website widget needs to open a caller's WebSocket (docs/ws.md). A widget
 * key is public (it is embedded in the company's pages), so it is listed
 * like any other field; what keeps it from being used elsewhere is the
 * list of allowed origins, checked against the socket's Origin header, and
 * the per-IP rate limit. Rotating a key replaces it at once. Reading is
 * here; changes are operations (op/op-widget.c).
 */
#include <stdlib.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-widget.h"
#include "op.h"

int
widget_keys_list(struct hctx *h)
{
	struct widget_keys	*rows;
	json_t			*items;

	if ((rows = db_widget_list(h->db, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n; i++)
		json_array_append_new(items, widget_key_json(&rows->v[i]));
	widget_keys_free(rows);
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	return 0;
}

/* Changes are operations (op/op-widget.c): the company and the key are
 * the path's. */
int
widget_keys_create(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0], .body = h->req->body };
	char		*at = xasprintf("/api/companies/%s/widget-keys", in.id);
	int		 rc = rest_admin_in(h, OP_WIDGET_KEY_CREATE, &in, at);

	free(at);
	return rc;
}

int
widget_keys_rotate(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0],
			    .sub = h->req->params[1] };

	return rest_admin_in(h, OP_WIDGET_KEY_ROTATE, &in, NULL);
}

int
widget_keys_delete(struct hctx *h)
{
	struct op_in	 in = { .id = h->req->params[0],
			    .sub = h->req->params[1] };

	return rest_admin_in(h, OP_WIDGET_KEY_DELETE, &in, NULL);
}

/* The origins (taken) as db_widget_origins() found them (n). */
static int
origins_answer(struct hctx *h, int n, json_t *origins)
{
	if (n < 0)
		return db_fail(h->db, h->resp);
	if (n == 0)
		return resp_problem(h->resp, 404, "not_found", "no such company");
	resp_json(h->resp, 200, json_pack("{s:o}", "origins", origins));
	return 0;
}

int
widget_origins_get(struct hctx *h)
{
	json_t	*o;
	int	 n = db_widget_origins(h->db, h->req->params[0], &o);

	return origins_answer(h, n, o);
}

int
widget_origins_put(struct hctx *h)
{
	return rest_admin(h, OP_WIDGET_ORIGINS_UPDATE);
}

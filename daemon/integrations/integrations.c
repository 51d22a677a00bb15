/*
 * /api/integrations/company/:companyId/{twilio,incoming}: the secrets a
 * company's signed webhooks are checked with. Managers set, rotate and
 * remove them; reading tells only whether one is set and since when. The
 * incoming-webhook secret is generated here and shown once; Twilio's auth
 * token comes from Twilio's console. Neither is ever logged or returned.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-integration.h"
#include "validate.h"
#include "audit.h"
#include "hmac.h"

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

/* The integration as the API shows it (never its secret); in NULL: none. */
static json_t *
integration_json(const char *kind, const struct integration *in)
{
	json_t	*o = json_pack("{s:s,s:b}", "kind", kind, "configured",
	    in != NULL);

	if (in == NULL)
		return o;
	if (in->account != NULL)
		json_object_set_new(o, "account_sid", json_string(in->account));
	json_object_set_new(o, "created_at", json_string(in->created));
	json_object_set_new(o, "updated_at", json_string(in->updated));
	return o;
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

/* Twilio account sids are "AC" and 32 hex digits. */
static int
is_account_sid(const char *s)
{
	if (strlen(s) != 34 || strncmp(s, "AC", 2) != 0)
		return 0;
	for (s += 2; *s != '\0'; s++) {
		if (!isxdigit((unsigned char)*s))
			return 0;
	}
	return 1;
}

static int
is_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s <= ' ' || *s == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * PUT .../twilio {"account_sid", "auth_token"}; PUT .../incoming {} makes
 * a new secret ({"secret": "whsec_..."} sets a given one) and answers it
 * once. 201 when it was not set, else 200.
 */
int
integrations_put(struct hctx *h)
{
	static const char *const twilio_keys[] = { "account_sid", "auth_token",
	    NULL };
	static const char *const incoming_keys[] = { "secret", NULL };
	const char	*kind = integration_kind(h->req), *company = h->req->params[0];
	const char	*account = NULL, *token = NULL;
	json_t		*b = h->req->body, *o;
	struct fields	 f;
	char		*secret = NULL;
	unsigned char	*key;
	size_t		 keylen;
	struct integration in = { 0 };
	int		 rc = -1;

	if (b == NULL)
		b = h->req->body = json_object();
	fields_init(&f);
	if (strcmp(kind, "twilio") == 0) {
		fields_only(b, twilio_keys, &f);
		if (field_string(b, "account_sid", 1, 34, &f, &account) == 1 &&
		    !is_account_sid(account))
			fields_add(&f, "account_sid", "must be AC and 32 hex"
			    " digits");
		if (field_string(b, "auth_token", 1, 128, &f, &token) == 1 &&
		    (strlen(token) < 16 || !is_printable(token)))
			fields_add(&f, "auth_token", "must be 16-128 printable"
			    " characters");
		if (token != NULL)
			secret = xstrdup(token);
	} else {
		fields_only(b, incoming_keys, &f);
		if (field_string(b, "secret", 0, 200, &f, &token) == 1) {
			if (hmac_secret_key(token, &key, &keylen) != 0 ||
			    keylen < 24 || keylen > 64)
				fields_add(&f, "secret", "must be whsec_ and the"
				    " base64 of 24-64 bytes");
			else
				free(key);
			secret = xstrdup(token);
		} else
			secret = hmac_secret_new();
	}
	if (fields_any(&f)) {
		rc = resp_invalid(h->resp, &f);
		goto out;
	}
	fields_free(&f);
	if (db_begin(h->db) != 0)
		goto fail;
	if (db_integration_put(h->db, company, kind, account, secret,
	    &in) != 0) {
		if (h->db->err != DB_FOREIGN)
			goto fail;
		/* An admin naming a company that does not exist. */
		db_rollback(h->db);
		rc = resp_problem(h->resp, 404, "not_found", "no such company");
		goto out;
	}
	if (audit(h->db, h->req, company, in.is_new ? "create" : "rotate",
	    "integration", company, json_pack("{s:s}", "kind", kind)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	o = integration_json(kind, &in);
	/* Shown this once: it is generated here and never read back. */
	if (strcmp(kind, "incoming") == 0)
		json_object_set_new(o, "secret", json_string(secret));
	resp_json(h->resp, in.is_new ? 201 : 200, o);
	rc = 0;
	goto out;
fail:
	db_rollback(h->db);
	db_fail(h->db, h->resp);
out:
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	integration_clear(&in);
	return rc;
}

int
integrations_delete(struct hctx *h)
{
	const char	*kind = integration_kind(h->req), *company = h->req->params[0];
	int		 n;

	if (db_begin(h->db) != 0 ||
	    (n = db_integration_delete(h->db, company, kind)) < 0)
		goto fail;
	if (n == 0) {
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no %s integration"
		    " is set", kind);
	}
	if (audit(h->db, h->req, company, "delete", "integration", company,
	    json_pack("{s:s}", "kind", kind)) != 0 || db_commit(h->db) != 0)
		goto fail;
	resp_empty(h->resp);
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

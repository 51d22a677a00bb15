/*
 * The secrets a company's signed webhooks are checked with:
 * integration.set_twilio, set_incoming, delete_twilio and delete_incoming
 * (op.h, OPTX_ADMIN). The incoming-webhook secret is generated here (or
 * given) and answered once; Twilio's auth token comes from Twilio's
 * console, as does the API key (SID and secret) the browser agents'
 * access tokens are signed with. No secret is ever logged, answered or
 * recorded: the audit detail is the integration's kind only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "db.h"
#include "db-integration.h"
#include "validate.h"
#include "hmac.h"
#include "op.h"
#include "op-int.h"

/* Twilio's sids: two letters (AC an account, SK an API key, AP a TwiML
 * App) and 32 hex digits. */
static int
is_sid(const char *s, const char *prefix)
{
	if (strlen(s) != 34 || strncmp(s, prefix, 2) != 0)
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

/* A Twilio secret (auth token, API key secret): 16-128 printable. */
static void
twilio_secret(json_t *b, const char *key, int required, struct fields *f,
    const char **out)
{
	if (field_string(b, key, required, 128, f, out) == 1 &&
	    (strlen(*out) < 16 || !is_printable(*out))) {
		fields_add(f, key, "must be 16-128 printable characters");
		*out = NULL;
	}
}

/*
 * The twilio body into it (the body's strings): {"account_sid",
 * "auth_token", "api_key_sid"?, "api_key_secret"?, "twiml_app_sid"?}. An
 * API key is given whole (SID and secret) or cleared by "api_key_sid":
 * null; left out, the stored one is kept (keep_key); so is the TwiML App
 * (keep_app).
 */
static void
twilio_body(json_t *b, struct integration_in *it, struct fields *f)
{
	static const char *const keys[] = { "account_sid", "auth_token",
	    "api_key_sid", "api_key_secret", "twiml_app_sid", NULL };
	const char	*s;

	fields_only(b, keys, f);
	if (field_string(b, "account_sid", 1, 34, f, &s) == 1 &&
	    !is_sid(s, "AC"))
		fields_add(f, "account_sid", "must be AC and 32 hex digits");
	it->account = s;
	twilio_secret(b, "auth_token", 1, f, &it->secret);
	it->keep_key = json_object_get(b, "api_key_sid") == NULL &&
	    json_object_get(b, "api_key_secret") == NULL;
	if (field_string(b, "api_key_sid", 0, 34, f, &s) == 1 &&
	    !is_sid(s, "SK"))
		fields_add(f, "api_key_sid", "must be SK and 32 hex digits");
	it->key_sid = s;
	twilio_secret(b, "api_key_secret", 0, f, &it->key_secret);
	if (it->key_sid != NULL && !json_is_string(json_object_get(b,
	    "api_key_secret")))
		fields_add(f, "api_key_secret", "is required with api_key_sid");
	if (json_is_string(json_object_get(b, "api_key_secret")) &&
	    !json_is_string(json_object_get(b, "api_key_sid")))
		fields_add(f, "api_key_sid", "is required with api_key_secret");
	it->keep_app = json_object_get(b, "twiml_app_sid") == NULL;
	if (field_string(b, "twiml_app_sid", 0, 34, f, &s) == 1 &&
	    !is_sid(s, "AP"))
		fields_add(f, "twiml_app_sid", "must be AP and 32 hex digits");
	it->app_sid = s;
}

/*
 * twilio (twilio_body()); incoming {} makes a new secret
 * ({"secret": "whsec_..."} sets a given one) and answers it once. 201 when
 * it was not set, else 200; the audit action says which (create, rotate).
 */
static void
integration_set(struct db *db, const char *scope, const char *kind,
    const struct op_in *in, struct op_out *out)
{
	static const char *const incoming_keys[] = { "secret", NULL };
	const char	*company = in->id, *token = NULL;
	json_t		*b = in->body;
	struct fields	 f;
	char		*secret = NULL;
	unsigned char	*key;
	size_t		 keylen;
	struct integration it = { 0 };
	struct integration_in set = { 0 };

	/* First, so that no way to success records the body (its token). */
	out->audit = json_pack("{s:s}", "kind", kind);
	if (scope != NULL && strcmp(scope, company) != 0)
		return op_fail(out, 404, "not_found", "no such company");
	fields_init(&f);
	if (strcmp(kind, "twilio") == 0)
		twilio_body(b, &set, &f);
	else {
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
		set.secret = secret;
	}
	if (fields_any(&f)) {
		op_fail_fields(out, &f);
		goto out;
	}
	fields_free(&f);
	if (db_integration_put(db, company, kind, &set, &it) != 0) {
		/* An admin naming a company that does not exist. */
		if (db->err == DB_FOREIGN)
			op_fail(out, 404, "not_found", "no such company");
		else
			op_fail_db(out, db);
		goto out;
	}
	strlcpy_(out->id, company, sizeof out->id);
	strlcpy_(out->company, company, sizeof out->company);
	out->verb = it.is_new ? "create" : "rotate";
	out->status = it.is_new ? 201 : 200;
	out->obj = integration_json(kind, &it);
	/* Shown this once: it is generated here and never read back. */
	if (strcmp(kind, "incoming") == 0)
		json_object_set_new(out->obj, "secret", json_string(secret));
out:
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	integration_clear(&it);
}

static void
integration_delete(struct db *db, const char *scope, const char *kind,
    const struct op_in *in, struct op_out *out)
{
	int	 n;

	if (scope != NULL && strcmp(scope, in->id) != 0)
		return op_fail(out, 404, "not_found", "no such company");
	if ((n = db_integration_delete(db, in->id, kind)) < 0)
		return op_fail_db(out, db);
	if (n == 0)
		return op_fail(out, 404, "not_found", "no %s integration is set",
		    kind);
	strlcpy_(out->id, in->id, sizeof out->id);
	strlcpy_(out->company, in->id, sizeof out->company);
	out->status = 204;
	out->audit = json_pack("{s:s}", "kind", kind);
}

void
op_integration_set_twilio(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	(void)a;
	integration_set(db, scope, "twilio", in, out);
}

void
op_integration_set_incoming(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	(void)a;
	integration_set(db, scope, "incoming", in, out);
}

void
op_integration_delete_twilio(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	(void)a;
	integration_delete(db, scope, "twilio", in, out);
}

void
op_integration_delete_incoming(struct db *db, const struct actor *a,
    const char *scope, const struct op_in *in, struct op_out *out)
{
	(void)a;
	integration_delete(db, scope, "incoming", in, out);
}

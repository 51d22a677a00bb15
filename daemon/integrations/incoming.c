/*
 * POST /api/webhooks/incoming/:companyId: outside systems create, update
 * and hang up calls, signed the Standard Webhooks way instead of with a
 * bearer token. webhook-signature carries "v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>" under the company's secret; the timestamp must be
 * within five minutes of ours and each webhook-id is accepted once. An
 * unknown company, no secret, a bad or stale signature all answer the same
 * 401. Calls are created, updated and hung up by the operations
 * call.create, call.update, call.ivr_input and call.hangup (op.h), acting
 * for the company, keyed by the sender's external_id.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-integration.h"
#include "op.h"
#include "validate.h"
#include "hmac.h"

#define INCOMING_TOLERANCE	300	/* seconds either way */
#define INCOMING_MAX_ID		200
#define INCOMING_MAX_EXTERNAL	100

/* An outside system's id for a call, as the call's idempotency key. */
static char *
external_key(const char *external_id)
{
	return xasprintf("external:%s", external_id);
}

/*
 * Check the signature headers against the company's secret: 1 good, 0 not
 * (whatever the reason), -1 database error. The same work is done when the
 * company has no secret, so timing does not tell either.
 */
static int
incoming_verify(struct hctx *h, const char *company)
{
	static const unsigned char dummy[32];
	const struct request	*req = h->req;
	unsigned char		*key = NULL;
	size_t			 keylen = 0;
	char			*want, *tok, *save = NULL;
	const char		*secret = NULL;
	long long		 ts;
	char			*end;
	struct integration	 in;
	int			 good = 0;

	if (req->hook_id == NULL || req->hook_timestamp == NULL ||
	    req->hook_signature == NULL || req->raw == NULL ||
	    strlen(req->hook_id) == 0 || strlen(req->hook_id) > INCOMING_MAX_ID)
		return 0;
	ts = strtoll(req->hook_timestamp, &end, 10);
	if (*end != '\0' || end == req->hook_timestamp ||
	    llabs(ts - (long long)time(NULL)) > INCOMING_TOLERANCE)
		return 0;
	if (db_integration_get(h->db, company, "incoming", &in) < 0)
		return -1;
	secret = in.secret;
	if (secret == NULL || hmac_secret_key(secret, &key, &keylen) != 0) {
		key = NULL;
		secret = NULL;
	}
	want = hmac_webhook_sig(key ? key : dummy, key ? keylen : sizeof dummy,
	    req->hook_id, req->hook_timestamp, req->raw, req->rawlen);
	/* Several signatures may come, space-separated (key rotation). */
	tok = xstrdup(req->hook_signature);
	for (char *t = strtok_r(tok, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save))
		good |= hmac_equal(t, want);
	free(tok);
	free(want);
	if (key != NULL) {
		OPENSSL_cleanse(key, keylen);
		free(key);
	}
	integration_clear(&in);
	return good && secret != NULL;
}

/* Answer an operation's outcome as the REST API would. */
static int
answer(struct hctx *h, struct op_out *out)
{
	int	 rc = 0;

	if (out->status >= 400)
		rc = resp_problem(h->resp, out->status, out->code, "%s",
		    out->detail);
	else
		resp_json(h->resp, out->status, out->obj);
	out->obj = NULL;
	return rc;
}

int
webhook_hangup(struct hctx *h, const char *company,
    const struct hook_call *call)
{
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { .call = call->id };
	struct op_out		 out;

	if (call_is_final(call->state)) {
		resp_json(h->resp, 200, json_incref(call->obj));
		return 0;
	}
	/* In a flow, the flow learns where the caller dropped out. */
	in.input.type = IVR_EV_HANGUP;
	op_run(h->db, call->state == CALL_IVR ? OP_CALL_IVR_INPUT :
	    OP_CALL_HANGUP, &system, &in, &out);
	return answer(h, &out);
}

/* The call an outside system knows by external_id: 0, or -1 answered. */
static int
external_call(struct hctx *h, const char *company, const char *external_id,
    struct hook_call *c)
{
	char	*key = external_key(external_id);
	int	 rc = db_hook_call(h->db, company, NULL, key, c);

	free(key);
	if (rc < 0)
		return db_fail(h->db, h->resp), -1;
	if (rc == 0)
		return resp_problem(h->resp, 404, "not_found", "no call has this"
		    " external_id"), -1;
	return 0;
}

/*
 * call.create, as POST /api/calls has it, with the queue by name or id:
 * the operation resolves it in the company (op_in.queue_ref).
 */
static int
incoming_create(struct hctx *h, const char *company, const char *ext)
{
	json_t		*b = json_deep_copy(h->req->body), *data;
	struct actor	 system = { .kind = ACTOR_SYSTEM, .company = company };
	struct op_in	 in = { 0 };
	struct fields	 f;
	int		 rc;

	/* Borrowed from the request's body, which outlives b. */
	fields_init(&f);
	if (field_string(h->req->body, "queue", 0, 100, &f,
	    &in.queue_ref) == -1) {
		json_decref(b);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	/* The caller's data tells where the call came from. */
	if ((data = json_object_get(b, "caller_data")) == NULL) {
		data = json_object();
		json_object_set_new(b, "caller_data", data);
	}
	if (json_is_object(data))
		json_object_set_new(data, "external_id", json_string(ext));
	json_object_del(b, "queue");
	json_object_del(b, "action");
	json_object_del(b, "external_id");
	in.key = external_key(ext);
	rc = rest_op_as(h, OP_CALL_CREATE, &system, &in, b);
	free((char *)in.key);
	json_decref(b);
	return rc;
}

/* call.update, as PUT /api/calls/:id has it. */
static int
incoming_update(struct hctx *h, const char *company,
    const struct hook_call *call)
{
	json_t		*b = json_deep_copy(h->req->body);
	struct actor	 system = { .kind = ACTOR_SYSTEM, .company = company };
	struct op_in	 in = { .call = call->id };
	int		 rc;

	json_object_del(b, "action");
	json_object_del(b, "external_id");
	rc = rest_op_as(h, OP_CALL_UPDATE, &system, &in, b);
	json_decref(b);
	return rc;
}

int
incoming_webhook(struct hctx *h)
{
	static const char *const create_keys[] = { "action", "external_id",
	    "queue", "caller_number", "caller_name", "caller_data", "priority",
	    "skills", "media", "ivr", NULL };
	static const char *const update_keys[] = { "action", "external_id",
	    "notes", "tags", "disposition", "caller_data", "priority", NULL };
	static const char *const hangup_keys[] = { "action", "external_id",
	    NULL };
	char		 company[UUID_LEN + 1];
	const char	*action = NULL, *ext = NULL;
	struct fields	 f;
	struct hook_call call;
	json_t		*b;
	int		 rc;

	strlcpy_(company, h->req->params[0], sizeof company);
	switch (incoming_verify(h, company)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		return resp_problem(h->resp, 401, "unauthorized", "the webhook"
		    " signature does not verify");
	}
	/* From here on the request acts for the company that signed it. */
	h->req->scope = h->req->params[0];
	b = h->req->body;
	fields_init(&f);
	if (field_string(b, "action", 1, 32, &f, &action) == 1 &&
	    strcmp(action, "call.create") != 0 &&
	    strcmp(action, "call.update") != 0 &&
	    strcmp(action, "call.hangup") != 0)
		fields_add(&f, "action", "must be call.create, call.update or"
		    " call.hangup");
	field_string(b, "external_id", 1, INCOMING_MAX_EXTERNAL, &f, &ext);
	if (!fields_any(&f))
		fields_only(b, strcmp(action, "call.create") == 0 ? create_keys :
		    strcmp(action, "call.update") == 0 ? update_keys :
		    hangup_keys, &f);
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	switch (db_delivery_claim(h->db, company, h->req->hook_id)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		return resp_problem(h->resp, 409, "replayed", "this webhook-id"
		    " was delivered already");
	}
	if (strcmp(action, "call.create") == 0)
		rc = incoming_create(h, company, ext);
	else if (external_call(h, company, ext, &call) != 0)
		rc = -1;
	else {
		if (strcmp(action, "call.update") == 0)
			rc = incoming_update(h, company, &call);
		else
			rc = webhook_hangup(h, company, &call);
		hook_call_clear(&call);
	}
	/* A delivery that failed may be sent again with the same id. */
	if (h->resp->status >= 400 &&
	    db_delivery_forget(h->db, company, h->req->hook_id) != 0)
		log_warn("incoming: cannot forget a failed delivery id");
	return rc;
}

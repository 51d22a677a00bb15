/*
 * Callers from a company's website widget (docs/ws.md, "Callers"): an
 * anonymous socket authenticates with the company's public widget key from
 * a page whose Origin the company allows, rate-limited per IP. It may then
 * request one call at a time (a queue or an IVR flow), answer the IVR's
 * prompts and hang up; it sees nothing but its own call.
 *
 * Creating the call and feeding the IVR are the operations call.create and
 * call.ivr_input (op.h), run as JOB_WS jobs by the socket's caller in
 * the key's company: the path POST /api/calls takes too.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "op.h"
#include "db-widget.h"
#include "ratelimit.h"
#include "ws-int.h"

#define MAX_KEY		64

static struct ratelimit	*rl;	/* loop thread only */

void
ws_widget_start(void)
{
	rl = ratelimit_new(cfg.widget_rate_ip, cfg.widget_rate_ip_burst, 65536);
}

void
ws_widget_stop(void)
{
	ratelimit_free(rl);
	rl = NULL;
}

/* Take a token of the socket's IP; 0 (answered rate_limited) if none. */
static int
rate_take(struct conn *c, json_t *id)
{
	struct ratelimit_result	 r;

	if (rl == NULL)
		return 1;
	ratelimit_take(rl, c->ip, now_mono(), 1, &r);
	if (r.allowed)
		return 1;
	ws_reply(c, json_pack("{s:s,s:s,s:s,s:i}", "type", "error", "code",
	    "rate_limited", "message", "too many widget sign-ins or calls from"
	    " this address; try again later", "retry_after", r.retry_after), id);
	return 0;
}

/* ---- authentication ----------------------------------------------------- */

static void
key_run(struct db *db, struct wsjob *j)
{
	const char	*key = json_string_value(json_object_get(j->in, "key"));
	const char	*origin = json_string_value(json_object_get(j->in, "origin"));
	json_t		*list, *v;
	size_t		 i;
	int		 ok = 0;

	switch (db_widget_by_key(db, key, j->company, &list)) {
	case -1:
		ws_job_fail(j, "unavailable", "the database is unreachable;"
		    " try again shortly");
		return;
	case 0:
		ws_job_fail(j, "unauthorized", "no such widget key");
		return;
	}
	json_array_foreach(list, i, v) {
		if (origin != NULL && strcasecmp(json_string_value(v), origin) == 0)
			ok = 1;
	}
	json_decref(list);
	if (!ok)
		ws_job_fail(j, "origin_not_allowed", "this page's origin may not"
		    " use the widget key");
}

static void
key_done(struct wsjob *j)
{
	struct conn	*c = j->c;

	if (c == NULL)
		return;
	if (j->failed) {
		ws_reply_error(c, j->id, j->code, j->detail);
		if (strcmp(j->code, "unavailable") == 0)
			ws_close(c, 1013, "try again later");
		else
			ws_close(c, CLOSE_UNAUTHORIZED, "unauthorized");
		ws_auth_done(c);
		return;
	}
	c->caller = 1;
	c->role = ROLE_NONE;
	strlcpy_(c->company, j->company, sizeof c->company);
	strlcpy_(c->scope, j->company, sizeof c->scope);
	c->state = C_AUTHED;
	ws_reply(c, ws_auth_reply(c), j->id);
	ws_party_set(c, 1);
	ws_auth_done(c);
}

void
ws_widget_auth(struct conn *c, json_t *req, json_t *id)
{
	const char	*key = json_string_value(json_object_get(req, "widget_key"));
	struct wsjob	*j;

	if (key == NULL || strlen(key) == 0 || strlen(key) > MAX_KEY)
		return ws_reply_error(c, id, "bad_request",
		    "\"widget_key\" must be a string");
	if (!rate_take(c, id)) {
		ws_close(c, CLOSE_RATE, "rate limited");
		return;
	}
	if (c->origin == NULL) {
		ws_reply_error(c, id, "origin_not_allowed",
		    "a widget's socket must come with an Origin header");
		ws_close(c, CLOSE_UNAUTHORIZED, "unauthorized");
		return;
	}
	j = ws_job_new(key_run, key_done);
	j->id = json_incref(id);
	j->in = json_pack("{s:s,s:s}", "key", key, "origin", c->origin);
	c->state = C_AUTHING;
	ws_job_submit(c, j);
}

/* ---- the caller's call -------------------------------------------------- */

/*
 * The fields at fault as the caller named them: ivr.input's "digits" or
 * "event" are the operation's "digits" or "type" (on_input()).
 */
static void
caller_fields(struct wsjob *j)
{
	const char	*type = json_string_value(json_object_get(j->in, "type"));
	json_t		*e;
	size_t		 i;

	if (j->op != OP_CALL_IVR_INPUT)
		return;
	json_array_foreach(j->out, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));

		if (f != NULL && strcmp(f, "type") == 0)
			json_object_set_new(e, "field", json_string(type != NULL &&
			    strcmp(type, "digits") == 0 ? "digits" : "event"));
	}
}

/*
 * Run the job's operation (call.create, call.ivr_input) as the socket's
 * caller on j->in, the message's fields that a caller may give: the call's
 * JSON lands in j->out, or the failure in j->code and j->detail (with the
 * fields at fault in j->out, as the REST API's 422 has them).
 */
static void
caller_run(struct db *db, struct wsjob *j)
{
	struct actor	 a = { .kind = ACTOR_CALLER, .role = ROLE_NONE,
			    .company = j->company, .call = j->own_call };
	struct op_in	 in = { 0 };
	struct op_out	 out;
	struct fields	 f;

	fields_init(&f);
	if (op_in_parse((enum op_id)j->op, j->in, 1, &in, &f) != 0) {
		ws_job_fail(j, "validation_failed", "the request has invalid"
		    " fields");
		j->out = f.errors;
		f.errors = NULL;
		fields_free(&f);
		caller_fields(j);
		return;
	}
	fields_free(&f);
	op_run(db, (enum op_id)j->op, &a, &in, &out);
	if (out.status >= 400 && out.field != NULL) {
		ws_job_fail(j, out.code, "the request has invalid fields");
		j->out = json_pack("[{s:s,s:s}]", "field", out.field,
		    "message", out.detail);
		caller_fields(j);
	} else if (out.status >= 400)
		ws_job_fail(j, out.code, "%s", out.detail);
	else
		j->out = json_incref(out.obj);
	op_out_free(&out);
}

/* The call a job made or fed, or NULL when it failed (answered). */
static json_t *
caller_answer(struct wsjob *j)
{
	json_t	*e;

	if (!j->failed)
		return j->out;
	if (j->c == NULL)
		return NULL;
	e = json_pack("{s:s,s:s,s:s}", "type", "error", "code", j->code,
	    "message", j->detail);
	if (j->out != NULL)
		json_object_set(e, "errors", j->out);
	ws_reply(j->c, e, j->id);
	return NULL;
}

/* The IVR's answer to the caller: its state and what to play or ask. */
static void
send_prompt(struct conn *c, const json_t *call)
{
	json_t	*ivr = json_object_get(call, "ivr");

	if (ivr == NULL)
		return;
	ws_send(c, json_pack("{s:s,s:O,s:O,s:O}", "type", "ivr.prompt",
	    "call_id", json_object_get(call, "id"),
	    "state", json_object_get(ivr, "state"),
	    "actions", json_object_get(ivr, "actions")));
}

static void
request_done(struct wsjob *j)
{
	json_t		*call;
	const char	*id, *state;

	if ((call = caller_answer(j)) == NULL) {
		if (j->c != NULL)
			j->c->call[0] = '\0';
		return;
	}
	id = json_string_value(json_object_get(call, "id"));
	state = json_string_value(json_object_get(call, "state"));
	if (j->c == NULL) {
		/* Gone while the call was made: it is abandoned at once. */
		ws_signal_caller_call(NULL, id, j->company, state);
		return;
	}
	ws_reply(j->c, json_pack("{s:s,s:s,s:s,s:O}", "type", "ack",
	    "call_id", id, "state", state, "media",
	    json_object_get(call, "media")), j->id);
	send_prompt(j->c, call);
	ws_signal_caller_call(j->c, id, j->company, state);
}

static void
on_request(struct conn *c, json_t *req, json_t *id)
{
	static const char *const keys[] = { "queue_id", "ivr", "ivr_flow_id",
	    "media", "caller_name", "caller_data", NULL };
	struct wsjob	*j;
	json_t		*body = json_object();

	if (c->call[0] != '\0') {
		json_decref(body);
		return ws_reply_error(c, id, "conflict", "this socket has a call"
		    " already; hang it up first");
	}
	if (!rate_take(c, id)) {
		json_decref(body);
		return;
	}
	for (const char *const *k = keys; *k != NULL; k++) {
		if (json_object_get(req, *k) != NULL)
			json_object_set(body, *k, json_object_get(req, *k));
	}
	/* Neither a queue nor a flow: the company's entry flow. */
	if (json_object_get(body, "queue_id") == NULL &&
	    json_object_get(body, "ivr_flow_id") == NULL &&
	    json_object_get(body, "ivr") == NULL)
		json_object_set_new(body, "ivr", json_true());
	j = ws_job_new(caller_run, request_done);
	j->op = OP_CALL_CREATE;
	j->id = json_incref(id);
	j->in = body;
	strlcpy_(j->company, c->company, sizeof j->company);
	/* Claimed now, so that a second request is refused. */
	strlcpy_(c->call, "pending", sizeof c->call);
	ws_job_submit(c, j);
}

static void
input_done(struct wsjob *j)
{
	json_t	*call;

	if ((call = caller_answer(j)) == NULL || j->c == NULL)
		return;
	ws_reply(j->c, json_pack("{s:s,s:s,s:O}", "type", "ack", "call_id",
	    j->call, "state", json_object_get(call, "state")), j->id);
	send_prompt(j->c, call);
}

/*
 * The caller's input: "digits", or an "event" ("timeout"), is the
 * operation's IVR event, {"type": event or "digits", "digits"}, as given:
 * call.ivr_input alone judges it (validation_failed).
 */
static void
on_input(struct conn *c, json_t *req, json_t *id)
{
	const char	*call = json_string_value(json_object_get(req, "call_id"));
	json_t		*digits = json_object_get(req, "digits");
	json_t		*event = json_object_get(req, "event");
	struct wsjob	*j;

	if (call == NULL || !is_uuid(call))
		return ws_reply_error(c, id, "bad_request",
		    "\"call_id\" must be a UUID");
	if (strcmp(call, c->call) != 0)
		return ws_reply_error(c, id, "not_a_party",
		    "no such call of yours");
	j = ws_job_new(caller_run, input_done);
	j->op = OP_CALL_IVR_INPUT;
	j->id = json_incref(id);
	j->in = json_pack("{s:s}", "call_id", call);
	json_object_set_new(j->in, "type", event != NULL ? json_incref(event) :
	    json_string("digits"));
	if (digits != NULL)
		json_object_set(j->in, "digits", digits);
	strlcpy_(j->company, c->company, sizeof j->company);
	strlcpy_(j->call, call, sizeof j->call);
	strlcpy_(j->own_call, c->call, sizeof j->own_call);
	ws_job_submit(c, j);
}

static void
callback_done(struct wsjob *j)
{
	json_t	*call;

	if ((call = caller_answer(j)) == NULL || j->c == NULL)
		return;
	ws_reply(j->c, json_pack("{s:s,s:s,s:O,s:O}", "type", "ack", "call_id",
	    j->call, "state", json_object_get(call, "state"), "callback",
	    json_object_get(call, "callback")), j->id);
}

/* The caller asks to be called back (call.callback), at "number" or at
 * the call's caller number; then may close the socket. */
static void
on_callback(struct conn *c, json_t *req, json_t *id)
{
	const char	*call = json_string_value(json_object_get(req, "call_id"));
	json_t		*number = json_object_get(req, "number");
	struct wsjob	*j;

	if (call == NULL || !is_uuid(call))
		return ws_reply_error(c, id, "bad_request",
		    "\"call_id\" must be a UUID");
	if (strcmp(call, c->call) != 0)
		return ws_reply_error(c, id, "not_a_party",
		    "no such call of yours");
	if (!rate_take(c, id))
		return;
	j = ws_job_new(caller_run, callback_done);
	j->op = OP_CALL_CALLBACK;
	j->id = json_incref(id);
	j->in = json_pack("{s:s}", "call_id", call);
	if (number != NULL)
		json_object_set(j->in, "number", number);
	strlcpy_(j->company, c->company, sizeof j->company);
	strlcpy_(j->call, call, sizeof j->call);
	strlcpy_(j->own_call, c->call, sizeof j->own_call);
	ws_job_submit(c, j);
}

/* 1 if the message was a caller's; answered. */
int
ws_widget_message(struct conn *c, const char *type, json_t *req, json_t *id)
{
	int	 request = strcmp(type, "call.request") == 0;
	int	 callback = strcmp(type, "call.callback") == 0;

	if (!request && !callback && strcmp(type, "ivr.input") != 0)
		return 0;
	if (!c->caller)
		ws_reply_error(c, id, "forbidden", "only a widget caller's socket"
		    " requests calls; staff use POST /api/calls");
	else if (callback)
		on_callback(c, req, id);
	else if (request)
		on_request(c, req, id);
	else
		on_input(c, req, id);
	return 1;
}

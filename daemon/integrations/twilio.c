/*
 * POST /api/webhooks/twilio/:companyId: Twilio's voice webhooks. Every
 * request must carry X-Twilio-Signature, the base64 HMAC-SHA1 under the
 * company's auth token of the URL Twilio requested (public_url and the
 * path and query) followed by each POST field's name and value, sorted by
 * name. Then:
 * - a status callback (CallStatus completed, busy, no-answer, failed or
 *   canceled) hangs the call up: abandoned when it never reached an agent;
 * - ?event=digits (a Gather's action) or ?event=recorded (a Record's)
 *   feeds the caller's input to the call's IVR session;
 * - ?event=agent is the status of an agent's leg into the call's
 *   conference (twilio-rest.c), ?event=conference the conference's own
 *   status callback (its sid, who joined), ?event=callback the status of a
 *   callback's outbound call, ?event=announce what an agent hears when a
 *   supervisor's mode changes; ?event=dial the outcome of the <Dial> that
 *   older daemons bridged with;
 * - ?event=recording: a call's recording is ready: fetched into the file
 *   storage (twilio-rest.c);
 * - anything else is a call arriving: it is created once per CallSid, in
 *   the company's entry flow, by call.create as POST /api/calls
 *   {"ivr": true} creates it (op.h), acting for the company.
 * The answer is TwiML rendered from the IVR step's actions (twiml.c); a
 * retried webhook gets the TwiML answered the first time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "xmalloc.h"
#include "log.h"
#include "form.h"
#include "daemon.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-integration.h"
#include "db-queue.h"
#include "db-call.h"
#include "db-recording.h"
#include "db-twilio.h"
#include "hmac.h"
#include "twiml.h"
#include "twilio-rest.h"
#include "op.h"
#include "op-forward.h"

#define TWILIO_SORRY	"Sorry, we cannot take your call right now."

static const char *const final_statuses[] = { "completed", "busy",
	"no-answer", "failed", "canceled", NULL };

/* A Dial's DialCallStatus when the agent's phone was never reached. */
static const char *const dial_missed[] = { "busy", "no-answer", "failed",
	"canceled", NULL };

static int
is_one_of(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++) {
		if (strcmp(s, *list) == 0)
			return 1;
	}
	return 0;
}

/* The URL Twilio requested: public_url, the path and the query. */
static char *
twilio_url(const struct request *req)
{
	size_t	 n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s%s%s", (int)n, cfg.public_url, req->path,
	    req->query != NULL ? "?" : "", req->query != NULL ? req->query : "");
}

/*
 * 1 when the signature and the account match the company's Twilio
 * settings, 0 when not (or there are none), -1 on a database error.
 */
static int
twilio_verify(struct hctx *h, const char *company)
{
	static const char	 dummy[] = "no-auth-token-is-set-for-this-co";
	struct request		*req = h->req;
	const char		*token = dummy, *account = NULL, *sent;
	char			*url, *msg, *sig;
	size_t			 len, cap;
	struct integration	 tw;
	int			 good;

	switch (db_integration_get(h->db, company, "twilio", &tw)) {
	case -1:
		return -1;
	case 1:
		token = tw.secret;
		account = tw.account;
		break;
	}
	url = twilio_url(req);
	form_sort(req->form);
	len = strlen(url);
	cap = len + req->rawlen + 1;
	msg = xmalloc(cap);
	memcpy(msg, url, len);
	for (size_t i = 0; i < req->form->n; i++) {
		size_t a = strlen(req->form->v[i].name);
		size_t b = strlen(req->form->v[i].value);

		/* Decoded fields are never longer than the body. */
		if (len + a + b >= cap)
			msg = xrealloc(msg, cap = len + a + b + 1);
		memcpy(msg + len, req->form->v[i].name, a);
		memcpy(msg + len + a, req->form->v[i].value, b);
		len += a + b;
	}
	sig = hmac_b64(HMAC_SHA1, token, strlen(token), msg, len);
	sent = req->twilio_signature != NULL ? req->twilio_signature : "";
	good = hmac_equal(sent, sig) && account != NULL &&
	    form_get(req->form, "AccountSid") != NULL &&
	    strcmp(form_get(req->form, "AccountSid"), account) == 0;
	OPENSSL_cleanse(sig, strlen(sig));
	free(sig);
	free(msg);
	free(url);
	integration_clear(&tw);
	return good;
}

/* Answer TwiML (steals it). */
static int
twiml_answer(struct hctx *h, char *xml)
{
	response_reset(h->resp);
	h->resp->status = 200;
	h->resp->content_type = "text/xml; charset=utf-8";
	h->resp->body = xml;
	h->resp->len = strlen(xml);
	return 0;
}

/* The URL Gather and Record post back to: this endpoint, for this call. */
static char *
callback_for(const char *company, const char *call)
{
	size_t	 n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/api/webhooks/twilio/%s?call=%s", (int)n,
	    cfg.public_url, company, call);
}

/* public_url without its trailing slashes: its length. */
static int
public_len(void)
{
	size_t	 n = strlen(cfg.public_url);

	while (n > 0 && cfg.public_url[n - 1] == '/')
		n--;
	return (int)n;
}

/*
 * The signature of a hold-music file's URL: base64url of HMAC-SHA256
 * under the company's auth token of "<companyId>/<fileId>". Caller frees.
 */
static char *
hold_music_sig(const char *token, const char *company, const char *file)
{
	char	*msg = xasprintf("%s/%s", company, file);
	char	*sig = hmac_b64(HMAC_SHA256, token, strlen(token), msg,
		    strlen(msg));
	size_t	 n = strlen(sig);

	free(msg);
	while (n > 0 && sig[n - 1] == '=')
		sig[--n] = '\0';
	for (char *p = sig; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return sig;
}

/*
 * The queue's hold music as a URL Twilio fetches: the URL set, or the
 * file's signed URL (twilio_hold_music()); NULL: none. Caller frees.
 */
static char *
hold_music_url(struct db *db, const char *company, const struct queue_row *q)
{
	struct integration	 tw;
	char			*sig, *url = NULL;

	if (q->hold_url != NULL)
		return xstrdup(q->hold_url);
	if (q->hold_file == NULL)
		return NULL;
	if (db_integration_get(db, company, "twilio", &tw) == 1) {
		sig = hold_music_sig(tw.secret, company, q->hold_file);
		url = xasprintf("%.*s/api/webhooks/twilio/%s/hold-music/%s"
		    "?sig=%s", public_len(), cfg.public_url, company,
		    q->hold_file, sig);
		free(sig);
	}
	integration_clear(&tw);
	return url;
}

/*
 * The waitUrl of a call waiting in queue (its id; NULL: none): when the
 * queue has hold music or announcements, else NULL (Twilio's own hold
 * music). Caller frees.
 */
char *
twilio_wait_url(struct db *db, const char *company, const char *call,
    const char *queue)
{
	struct queue_rows	*q;
	char			*url = NULL;

	if (queue == NULL)
		return NULL;
	if ((q = db_queue_get(db, company, queue)) == NULL) {
		log_warn("twilio: call %s: cannot read its queue", call);
		return NULL;
	}
	if (q->n == 1 && (q->v[0].hold_url != NULL ||
	    q->v[0].hold_file != NULL || q->v[0].announce))
		url = xasprintf("%.*s/api/webhooks/twilio/%s?call=%s"
		    "&event=wait", public_len(), cfg.public_url, company, call);
	queue_rows_free(q);
	return url;
}

/*
 * TwiML for an operation's outcome: the IVR step's actions, or an apology
 * when the call could not go on (a call refused and failed by call.create,
 * or one a retry finds failed). Remembered for the call sid.
 */
static int
twilio_render(struct hctx *h, const char *company, const char *sid,
    const struct op_out *out)
{
	json_t		*o = out->obj, *ivr;
	const char	*call = NULL;
	char		*xml, *cb, *wait;

	if (o != NULL)
		call = json_string_value(json_object_get(o, "id"));
	if (out->status >= 400 || call == NULL || (json_object_get(o,
	    "ivr") == NULL && out->state != NULL &&
	    strcmp(out->state, "failed") == 0)) {
		if (out->status >= 500 || (out->status >= 400 && call != NULL))
			log_warn("twilio: company %s: a call failed (%d)",
			    company, out->status);
		xml = twiml_say_hangup(TWILIO_SORRY);
		if (call != NULL && db_twilio_put(h->db, company, sid, call,
		    xml) != 0)
			log_warn("twilio: cannot remember the answer for a call");
		return twiml_answer(h, xml);
	}
	cb = callback_for(company, call);
	if ((ivr = json_object_get(o, "ivr")) != NULL) {
		wait = twilio_wait_url(h->db, company, call, json_string_value(
		    json_object_get(o, "queue_id")));
		xml = twiml_actions(json_object_get(ivr, "actions"), cb, wait);
		free(wait);
	} else {
		/* A concurrent first webhook is answering: ask again soon. */
		free(cb);
		cb = twilio_url(h->req);
		xml = twiml_redirect(cb);
		free(cb);
		return twiml_answer(h, xml);
	}
	free(cb);
	if (db_twilio_put(h->db, company, sid, call, xml) != 0)
		log_warn("twilio: cannot remember the answer for a call");
	return twiml_answer(h, xml);
}

/* A call arrives: into the entry flow, once per CallSid. */
static int
twilio_voice(struct hctx *h, const char *company, const char *sid)
{
	const struct form	*f = h->req->form;
	const char		*from = form_get(f, "From");
	const char		*name = form_get(f, "CallerName");
	const char		*to = form_get(f, "To");
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { .keep_refused = 1 };
	struct op_out		 out = { 0 };
	struct fields		 errs;
	struct twilio_call	 known;
	json_t			*b, *data;
	int			 rc;

	if (db_twilio_call(h->db, company, sid, &known) < 0)
		return db_fail(h->db, h->resp);
	if (known.twiml != NULL)
		return twiml_answer(h, known.twiml);
	data = json_pack("{s:s}", "twilio_call_sid", sid);
	if (to != NULL)
		json_object_set_new(data, "to", json_string(to));
	b = json_pack("{s:b,s:o}", "ivr", 1, "caller_data", data);
	/* A number or name too long for a call is left out, not refused. */
	if (from != NULL && strlen(from) <= OP_MAX_NUMBER)
		json_object_set_new(b, "caller_number", json_string(from));
	if (name != NULL && strlen(name) <= OP_MAX_NAME)
		json_object_set_new(b, "caller_name", json_string(name));
	in.key = xasprintf("twilio:%s", sid);
	fields_init(&errs);
	if (op_in_parse(OP_CALL_CREATE, b, 1, &in, &errs) != 0)
		out.status = 422;
	else
		op_run(h->db, OP_CALL_CREATE, &system, &in, &out);
	fields_free(&errs);
	/* A call that cannot enter the flow comes back failed (out.obj). */
	rc = twilio_render(h, company, sid, &out);
	op_out_free(&out);
	free((char *)in.key);
	json_decref(b);
	return rc;
}

/*
 * The call a Twilio callback is about into c: 0, or -1 with TwiML (or a
 * database error) answered if none.
 */
static int
twilio_call(struct hctx *h, const char *company, const char *sid,
    struct hook_call *c)
{
	struct twilio_call	 known;
	int			 rc;

	memset(c, 0, sizeof *c);
	if ((rc = db_twilio_call(h->db, company, sid, &known)) == 1) {
		free(known.twiml);
		rc = db_hook_call(h->db, company, known.call, NULL, c);
	}
	if (rc < 0)
		db_fail(h->db, h->resp);
	else if (rc == 0)
		twiml_answer(h, twiml_say_hangup(NULL));
	return rc == 1 ? 0 : -1;
}

/* ?event=digits|recorded: the caller's input for the call's IVR session. */
static int
twilio_input(struct hctx *h, const char *company, const char *sid,
    const char *event)
{
	const struct form	*f = h->req->form;
	const char		*digits = form_get(f, "Digits");
	char			*param = query_get(h->req->query, "call");
	char			 id[UUID_LEN + 1];
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { .call = id };
	struct op_out		 out = { 0 };
	struct fields		 errs;
	struct hook_call	 call;
	json_t			*b;
	int			 rc;

	if (twilio_call(h, company, sid, &call) != 0) {
		free(param);
		return -1;
	}
	strlcpy_(id, call.id, sizeof id);
	hook_call_clear(&call);
	/* The callback names the call the CallSid belongs to. */
	if (param == NULL || strcmp(param, id) != 0) {
		free(param);
		return resp_problem(h->resp, 400, "bad_request", "the call"
		    " parameter does not match the CallSid");
	}
	free(param);
	if (strcmp(event, "recorded") == 0)
		b = json_pack("{s:s,s:s}", "type", "recorded", "recording",
		    form_get(f, "RecordingUrl") ? form_get(f, "RecordingUrl") :
		    "");
	else if (digits == NULL || *digits == '\0')
		b = json_pack("{s:s}", "type", "timeout");
	else
		b = json_pack("{s:s,s:s}", "type", "digits", "digits", digits);
	fields_init(&errs);
	if (op_in_parse(OP_CALL_IVR_INPUT, b, 1, &in, &errs) != 0)
		out.status = 422;	/* bad Digits: the apology */
	else
		op_run(h->db, OP_CALL_IVR_INPUT, &system, &in, &out);
	fields_free(&errs);
	rc = -1;
	if (out.status == 409) {
		/* Not expecting input now (a retried callback): as before. */
		struct twilio_call known;

		if (db_twilio_call(h->db, company, sid, &known) == 1 &&
		    known.twiml != NULL)
			rc = twiml_answer(h, known.twiml);
	}
	if (rc != 0)
		rc = twilio_render(h, company, sid, &out);
	op_out_free(&out);
	json_decref(b);
	return rc;
}

/* A status callback: the call is over on Twilio's side. */
static int
twilio_status(struct hctx *h, const char *company, const char *sid)
{
	struct hook_call	 call;

	if (twilio_call(h, company, sid, &call) != 0)
		return h->resp->status >= 400 ? -1 : 0;
	/* Before the hangup's events: the REST client leaves it alone. */
	if (db_twilio_ended(h->db, company, sid) != 0) {
		hook_call_clear(&call);
		return db_fail(h->db, h->resp);
	}
	webhook_hangup(h, company, &call);
	hook_call_clear(&call);
	if (h->resp->status >= 500)
		return -1;
	return twiml_answer(h, twiml_say_hangup(NULL));
}

/*
 * The call's queue name as TwiML that waits in it again, or a hangup when
 * it has none. Caller frees.
 */
static char *
twiml_requeued(struct hctx *h, const char *company, const json_t *call)
{
	const char		*queue = json_string_value(json_object_get(call,
				    "queue_id"));
	const char		*id = json_string_value(json_object_get(call,
				    "id"));
	struct queue_rows	*q;
	char			*xml = NULL, *wait;

	if (queue != NULL && (q = db_queue_get(h->db, company, queue)) != NULL) {
		if (q->n == 1) {
			wait = id != NULL ? twilio_wait_url(h->db, company, id,
			    queue) : NULL;
			xml = twiml_enqueue(q->v[0].name, wait);
			free(wait);
		}
		queue_rows_free(q);
	}
	return xml != NULL ? xml : twiml_say_hangup(TWILIO_SORRY);
}

/*
 * ?event=dial: the outcome of the Dial to an agent's phone (twilio-rest.c).
 * Never reached (busy, no-answer, failed, canceled): the call waits again
 * at its place with a missed offer counted (call.requeue), and the caller
 * is back in the queue. Else the agent's phone hung up: the call ends.
 */
static int
twilio_dial(struct hctx *h, const char *company, const char *sid)
{
	const char		*dial = form_get(h->req->form, "DialCallStatus");
	char			*param = query_get(h->req->query, "call");
	char			 id[UUID_LEN + 1];
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { .call = id };
	struct op_out		 out;
	struct hook_call	 call;
	char			*xml;

	if (twilio_call(h, company, sid, &call) != 0) {
		free(param);
		return h->resp->status >= 400 ? -1 : 0;
	}
	strlcpy_(id, call.id, sizeof id);
	if (param == NULL || strcmp(param, id) != 0) {
		free(param);
		hook_call_clear(&call);
		return resp_problem(h->resp, 400, "bad_request", "the call"
		    " parameter does not match the CallSid");
	}
	free(param);
	/*
	 * Twilio posts a Dial's action when the daemon moves the caller's
	 * call elsewhere (hold, a transfer: the call is no longer connected):
	 * the bridge ended on purpose, nothing to do.
	 */
	if (call.state == CALL_ON_HOLD || call.state == CALL_OFFERING ||
	    call.state == CALL_QUEUED) {
		hook_call_clear(&call);
		return twiml_answer(h, twiml_actions(NULL, "", NULL));
	}
	if (is_one_of(dial, dial_missed)) {
		hook_call_clear(&call);
		op_run(h->db, OP_CALL_REQUEUE, &system, &in, &out);
		if (out.status >= 500) {
			op_out_free(&out);
			return db_fail(h->db, h->resp);
		}
		/* 409: the call ended meanwhile (an agent's hangup). */
		xml = out.status == 200 ? twiml_requeued(h, company, out.obj) :
		    twiml_say_hangup(NULL);
		op_out_free(&out);
		return twiml_answer(h, xml);
	}
	/* We answer a hangup: nothing to ask of Twilio after it. */
	if (db_twilio_ended(h->db, company, sid) != 0) {
		hook_call_clear(&call);
		return db_fail(h->db, h->resp);
	}
	webhook_hangup(h, company, &call);
	hook_call_clear(&call);
	if (h->resp->status >= 500)
		return -1;
	return twiml_answer(h, twiml_say_hangup(NULL));
}

/* The call a conference-bridge callback names (?call=): 0, or -1 answered. */
static int
bridge_call(struct hctx *h, const char *company, struct hook_call *c)
{
	char	*param = query_get(h->req->query, "call");
	int	 rc;

	memset(c, 0, sizeof *c);
	if (param == NULL || !is_uuid(param)) {
		free(param);
		return resp_problem(h->resp, 400, "bad_request", "a call"
		    " parameter is required"), -1;
	}
	rc = db_hook_call(h->db, company, param, NULL, c);
	free(param);
	if (rc < 0)
		return db_fail(h->db, h->resp), -1;
	if (rc == 0)
		return resp_problem(h->resp, 404, "not_found", "no such call"),
		    -1;
	return 0;
}

/*
 * ?event=agent&call=<id>: the status callback of an agent's leg
 * (twilio-rest.c). Only the call's current agent leg counts (a
 * transferred call's old leg, or a retried callback, changes nothing).
 * Never reached (busy, no-answer, failed, canceled) while the call is
 * connected: the call waits again at its place with a missed offer
 * counted (call.requeue); the caller keeps waiting in the conference.
 * completed (the agent's phone or page hung up) while connected or held:
 * the call ends, and the REST client ends the caller's call.
 */
static int
twilio_agent(struct hctx *h, const char *company, const char *sid,
    const char *status)
{
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { 0 };
	struct op_out		 out;
	struct hook_call	 call;
	enum twilio_leg_role	 role;
	char			 of[UUID_LEN + 1];
	int			 n, current, final, rc;

	if (bridge_call(h, company, &call) != 0)
		return -1;
	final = is_one_of(status, final_statuses);
	if ((n = db_twilio_leg(h->db, company, sid, final, of, &role,
	    &current)) < 0) {
		hook_call_clear(&call);
		return db_fail(h->db, h->resp);
	}
	if (n == 0 || strcmp(of, call.id) != 0 || role != TWILIO_LEG_AGENT) {
		hook_call_clear(&call);
		return resp_problem(h->resp, 400, "bad_request", "the call"
		    " parameter does not match the CallSid");
	}
	if (!current || !final) {
		hook_call_clear(&call);
		return twiml_answer(h, twiml_actions(NULL, "", NULL));
	}
	rc = 0;
	if (is_one_of(status, dial_missed) && call.state == CALL_CONNECTED) {
		in.call = call.id;
		op_run(h->db, OP_CALL_REQUEUE, &system, &in, &out);
		rc = out.status >= 500 ? db_fail(h->db, h->resp) : 0;
		op_out_free(&out);
	} else if (strcmp(status, "completed") == 0 &&
	    (call.state == CALL_CONNECTED || call.state == CALL_ON_HOLD)) {
		webhook_hangup(h, company, &call);
		rc = h->resp->status >= 500 ? -1 : 0;
	}
	hook_call_clear(&call);
	if (rc != 0)
		return rc;
	return twiml_answer(h, twiml_actions(NULL, "", NULL));
}

/* Twilio's conference sids: CF and 32 hex digits. */
static int
is_conference_sid(const char *s)
{
	if (s == NULL || strncmp(s, "CF", 2) != 0 || strlen(s) != 34)
		return 0;
	return strspn(s + 2, "0123456789abcdefABCDEF") == 32;
}

/*
 * ?event=conference&call=<id>: the conference's status callback (start,
 * end, join, leave). Its FriendlyName must be the call's conference
 * ("call-<id>") and ConferenceSid a conference sid (else 400). The sid is
 * kept for the REST client's participant requests; a participant joining
 * is handed to the REST thread, where the call's current agent leg's
 * join starts what waits for it (twilio_rest_joined()). 204.
 */
static int
twilio_conference(struct hctx *h, const char *company)
{
	const struct form	*f = h->req->form;
	const char		*cf = form_get(f, "ConferenceSid");
	const char		*name = form_get(f, "FriendlyName");
	const char		*what = form_get(f, "StatusCallbackEvent");
	const char		*leg = form_get(f, "CallSid");
	struct hook_call	 call;
	struct twilio_bridge	 b;
	char			*want;
	int			 bad, n;

	if (bridge_call(h, company, &call) != 0)
		return -1;
	want = xasprintf("call-%s", call.id);
	bad = !is_conference_sid(cf) || name == NULL || strcmp(name, want) != 0;
	free(want);
	if (bad) {
		hook_call_clear(&call);
		return resp_problem(h->resp, 400, "bad_request", "a"
		    " ConferenceSid and the call's FriendlyName are required");
	}
	if ((n = db_twilio_bridge(h->db, company, call.id, &b)) < 0 ||
	    (n == 1 && strcmp(b.conference_sid, cf) != 0 && (what == NULL ||
	    strcmp(what, "conference-end") != 0) &&
	    db_twilio_set_conference_sid(h->db, company, call.id, cf) != 0)) {
		hook_call_clear(&call);
		return db_fail(h->db, h->resp);
	}
	/*
	 * The REST thread judges whether it is the current agent's leg: it
	 * records a leg it creates before it takes this job.
	 */
	if (n == 1 && what != NULL && strcmp(what, "participant-join") == 0 &&
	    leg != NULL && *leg != '\0' && strlen(leg) < 72)
		twilio_rest_joined(company, call.id, leg);
	hook_call_clear(&call);
	resp_empty(h->resp);
	h->resp->status = 204;
	return 0;
}

/* What the agent hears when supervision is announced, by mode. */
static const struct {
	const char	*mode, *say;
} announcements[] = {
	{ "monitor", "A supervisor is listening to this call." },
	{ "whisper", "A supervisor is coaching you. The caller cannot hear"
	    " them." },
	{ "barge", "A supervisor has joined the call." },
	{ "off", "The supervisor has left the call." },
};

/*
 * ?event=announce&mode=<mode>: the AnnounceUrl of the agent's participant
 * when a supervisor's mode changes and the company announces it
 * (twilio-rest.c): <Say> what happened, to the agent only.
 */
static int
twilio_announce(struct hctx *h)
{
	char	*mode = query_get(h->req->query, "mode");
	size_t	 i;

	for (i = 0; mode != NULL && i < sizeof announcements /
	    sizeof announcements[0]; i++) {
		if (strcmp(mode, announcements[i].mode) == 0)
			break;
	}
	free(mode);
	if (mode == NULL || i == sizeof announcements / sizeof announcements[0])
		return resp_problem(h->resp, 400, "bad_request", "mode must be"
		    " monitor, whisper, barge or off");
	return twiml_answer(h, twiml_say(announcements[i].say));
}

/* What a caller at position pos, ewt seconds from an agent, is told. */
static char *
announcement(int pos, int ewt)
{
	char	 wait[96] = "";
	int	 min = (ewt + 59) / 60;

	if (ewt >= 0 && ewt < 60)
		snprintf(wait, sizeof wait, " Your wait should be less than a"
		    " minute.");
	else if (ewt >= 60)
		snprintf(wait, sizeof wait, " Your estimated wait is about %d"
		    " minute%s.", min, min == 1 ? "" : "s");
	if (pos == 1)
		return xasprintf("You are next in line.%s", wait);
	return xasprintf("You are number %d in line.%s", pos, wait);
}

/*
 * ?event=wait: the Enqueue's waitUrl, asked whenever the last answer ends.
 * The queue's hold music (looped for ever, or played once between
 * announcements), and when the queue announces, the caller's position and
 * estimated wait at most every announce_interval seconds; without music,
 * silence until the next announcement.
 */
static int
twilio_wait(struct hctx *h, const char *company, const char *sid)
{
	char			*param = query_get(h->req->query, "call");
	const char		*queue;
	struct hook_call	 call;
	struct queue_rows	*q = NULL;
	const struct queue_row	*r;
	char			*music = NULL, *say = NULL, *xml;
	int			 pos, ewt, due;

	if (twilio_call(h, company, sid, &call) != 0) {
		free(param);
		return h->resp->status >= 400 ? -1 : 0;
	}
	if (param == NULL || strcmp(param, call.id) != 0) {
		free(param);
		hook_call_clear(&call);
		return resp_problem(h->resp, 400, "bad_request", "the call"
		    " parameter does not match the CallSid");
	}
	free(param);
	queue = json_string_value(json_object_get(call.obj, "queue_id"));
	if (queue != NULL && (q = db_queue_get(h->db, company, queue)) == NULL) {
		hook_call_clear(&call);
		return db_fail(h->db, h->resp);
	}
	if (q == NULL || q->n != 1) {
		/* No queue now: quiet, and ask again. */
		xml = twiml_wait(NULL, NULL, 0, 10);
		goto out;
	}
	r = &q->v[0];
	music = hold_music_url(h->db, company, r);
	if (r->announce && op_position(company, call.id, &pos, &ewt) == 0 &&
	    pos >= 1) {
		if ((due = db_twilio_announce_due(h->db, company, sid,
		    r->announce_interval)) < 0) {
			free(music);
			queue_rows_free(q);
			hook_call_clear(&call);
			return db_fail(h->db, h->resp);
		}
		if (due)
			say = announcement(pos, ewt);
	}
	xml = twiml_wait(say, music, r->announce ? 1 : 0, r->announce_interval);
out:
	free(say);
	free(music);
	queue_rows_free(q);
	hook_call_clear(&call);
	return twiml_answer(h, xml);
}

/*
 * GET /api/webhooks/twilio/:companyId/hold-music/:fileId?sig=: a queue's
 * hold-music file for Twilio's <Play>, which sends no credentials: the
 * URL carries its own signature (hold_music_sig()). Anything else is 403.
 */
int
twilio_hold_music(struct hctx *h)
{
	const char		*company = h->req->params[0];
	const char		*file = h->req->params[1];
	char			*sent = query_get(h->req->query, "sig"), *sig;
	struct integration	 tw;
	int			 n, good = 0;

	if ((n = db_integration_get(h->db, company, "twilio", &tw)) < 0) {
		free(sent);
		return db_fail(h->db, h->resp);
	}
	if (n == 1 && sent != NULL) {
		sig = hold_music_sig(tw.secret, company, file);
		good = hmac_equal(sent, sig);
		free(sig);
	}
	integration_clear(&tw);
	free(sent);
	if (!good)
		return resp_problem(h->resp, 403, "forbidden", "the signature"
		    " does not verify");
	h->req->scope = company;
	return files_send(h, file);
}

/* Twilio's recording sids: RE and 32 hex digits. */
static int
is_recording_sid(const char *s)
{
	if (s == NULL || strncmp(s, "RE", 2) != 0 || strlen(s) != 34)
		return 0;
	for (s += 2; *s != '\0'; s++) {
		if (strchr("0123456789abcdefABCDEF", *s) == NULL)
			return 0;
	}
	return 1;
}

/*
 * ?event=recording&call=<id>: the recordingStatusCallback of the caller's
 * leg's recording (Call Recordings, twilio-bridge.c). A completed
 * recording of this CallSid's call is remembered (recording_fetches)
 * before the 204, then fetched into the file storage on the REST thread;
 * 204 either way.
 */
static int
twilio_recording(struct hctx *h, const char *company, const char *sid)
{
	const char	*rsid = form_get(h->req->form, "RecordingSid");
	const char	*status = form_get(h->req->form, "RecordingStatus");
	const char	*ch = form_get(h->req->form, "RecordingChannels");
	const char	*dur = form_get(h->req->form, "RecordingDuration");
	char		*call = query_get(h->req->query, "call");
	char		 have[72];
	int		 ended, n, secs, rc = 0;

	if (call == NULL || !is_uuid(call) || !is_recording_sid(rsid)) {
		rc = resp_problem(h->resp, 400, "bad_request", "a call id and a"
		    " RecordingSid are required");
		goto out;
	}
	if ((n = db_twilio_of_call(h->db, company, call, have, sizeof have,
	    &ended)) < 0) {
		rc = db_fail(h->db, h->resp);
		goto out;
	}
	if (n == 0 || strcmp(have, sid) != 0) {
		rc = resp_problem(h->resp, 404, "not_found", "no such call");
		goto out;
	}
	if (status == NULL || strcmp(status, "completed") == 0) {
		secs = dur != NULL && atoi(dur) > 0 ? atoi(dur) : 0;
		if (db_recording_fetch_add(h->db, company, call, rsid,
		    ch != NULL && strcmp(ch, "2") == 0 ? 2 : 1, secs) != 0) {
			rc = db_fail(h->db, h->resp);
			goto out;
		}
		twilio_rest_fetch(company, call, rsid,
		    ch != NULL && strcmp(ch, "2") == 0 ? 2 : 1, secs);
		log_info("twilio: call %s: recording %s completed (%d s)",
		    call, rsid, secs);
	}
	resp_empty(h->resp);
	h->resp->status = 204;
out:
	free(call);
	return rc;
}

/*
 * ?event=callback: the status of a callback's outbound call
 * (twilio-rest.c). Answered: the caller is on the line (the time to
 * callback ends). Busy, no answer, failed or canceled: nobody answered
 * (call.callback_failed: retried later, or the call fails). Completed: a
 * hangup as any Twilio call's.
 */
static int
twilio_callback(struct hctx *h, const char *company, const char *sid,
    const char *status)
{
	char			*param = query_get(h->req->query, "call");
	char			 id[UUID_LEN + 1];
	struct actor		 system = { .kind = ACTOR_SYSTEM,
				    .company = company };
	struct op_in		 in = { .call = id, .reason = status };
	struct op_out		 out;
	struct hook_call	 call;
	struct call_rows	*set;
	const char		*agent;
	char			 agent_id[UUID_LEN + 1] = "";
	int			 bad;

	if (twilio_call(h, company, sid, &call) != 0) {
		free(param);
		return h->resp->status >= 400 ? -1 : 0;
	}
	strlcpy_(id, call.id, sizeof id);
	if ((agent = json_string_value(json_object_get(call.obj,
	    "agent_id"))) != NULL)
		strlcpy_(agent_id, agent, sizeof agent_id);
	hook_call_clear(&call);
	bad = param == NULL || strcmp(param, id) != 0;
	free(param);
	if (bad)
		return resp_problem(h->resp, 400, "bad_request", "the call"
		    " parameter does not match the CallSid");
	if (status != NULL && (strcmp(status, "in-progress") == 0 ||
	    strcmp(status, "answered") == 0)) {
		if ((set = db_call_callback_set(h->db, id, "answered", 0, 1, 0,
		    0)) == NULL || db_call_event(h->db, id,
		    "call.callback_answered", NULL, NULL) != 0) {
			call_rows_free(set);
			return db_fail(h->db, h->resp);
		}
		call_rows_free(set);
		/* The caller waits in the conference: the agent's leg now. */
		if (agent_id[0] != '\0')
			twilio_rest_bridge(company, id, agent_id);
		return twiml_answer(h, twiml_actions(NULL, "", NULL));
	}
	if (is_one_of(status, dial_missed)) {
		if (db_twilio_ended(h->db, company, sid) != 0)
			return db_fail(h->db, h->resp);
		op_run(h->db, OP_CALL_CALLBACK_FAILED, &system, &in, &out);
		if (out.status >= 500) {
			op_out_free(&out);
			return db_fail(h->db, h->resp);
		}
		op_out_free(&out);
		return twiml_answer(h, twiml_say_hangup(NULL));
	}
	if (is_one_of(status, final_statuses))
		return twilio_status(h, company, sid);
	return twiml_answer(h, twiml_say_hangup(NULL));
}

/* The ?event= of a Twilio request (none: a call arriving). */
enum hook_event {
	EV_VOICE, EV_DIGITS, EV_RECORDED, EV_DIAL, EV_WAIT, EV_CALLBACK,
	EV_RECORDING, EV_AGENT, EV_CONFERENCE, EV_ANNOUNCE,
};

/*
 * Each event: whether its request names a call leg (CallSid), and whether
 * it is taken before a final CallStatus (which otherwise hangs the call
 * up: a Dial's action comes with the caller's CallStatus in-progress, a
 * leg's status callback with its own).
 */
static const struct {
	const char	*name;
	enum hook_event	 ev;
	int		 leg;
	int		 first;
} hook_events[] = {
	{ "digits", EV_DIGITS, 1, 0 },
	{ "recorded", EV_RECORDED, 1, 0 },
	{ "dial", EV_DIAL, 1, 1 },
	{ "wait", EV_WAIT, 1, 1 },
	{ "callback", EV_CALLBACK, 1, 1 },
	{ "recording", EV_RECORDING, 1, 1 },
	{ "agent", EV_AGENT, 1, 1 },
	{ "conference", EV_CONFERENCE, 0, 1 },
	{ "announce", EV_ANNOUNCE, 0, 1 },
};

int
twilio_webhook(struct hctx *h)
{
	char		 company[UUID_LEN + 1];
	const char	*sid, *status;
	char		*event;
	size_t		 i, n = sizeof hook_events / sizeof hook_events[0];
	enum hook_event	 ev = EV_VOICE;
	int		 leg = 1, first = 0;

	if (cfg.public_url == NULL || cfg.public_url[0] == '\0')
		return resp_problem(h->resp, 503, "unavailable", "Twilio"
		    " webhooks need the daemon's public_url set");
	strlcpy_(company, h->req->params[0], sizeof company);
	switch (twilio_verify(h, company)) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		return resp_problem(h->resp, 403, "forbidden", "the Twilio"
		    " signature does not verify");
	}
	h->req->scope = h->req->params[0];
	if ((event = query_get(h->req->query, "event")) != NULL) {
		for (i = 0; i < n && strcmp(event, hook_events[i].name) != 0;
		    i++)
			;
		free(event);
		if (i == n)
			return resp_problem(h->resp, 400, "bad_request", "event"
			    " must be digits, recorded, dial, wait, callback,"
			    " recording, agent, conference or announce");
		ev = hook_events[i].ev;
		leg = hook_events[i].leg;
		first = hook_events[i].first;
	}
	sid = form_get(h->req->form, "CallSid");
	if (leg && (sid == NULL || *sid == '\0' || strlen(sid) > 64))
		return resp_problem(h->resp, 400, "bad_request",
		    "a CallSid is required");
	status = form_get(h->req->form, "CallStatus");
	if (!first && is_one_of(status, final_statuses))
		return twilio_status(h, company, sid);
	switch (ev) {
	case EV_VOICE:
		return twilio_voice(h, company, sid);
	case EV_DIGITS:
		return twilio_input(h, company, sid, "digits");
	case EV_RECORDED:
		return twilio_input(h, company, sid, "recorded");
	case EV_DIAL:
		return twilio_dial(h, company, sid);
	case EV_WAIT:
		return twilio_wait(h, company, sid);
	case EV_CALLBACK:
		return twilio_callback(h, company, sid, status);
	case EV_RECORDING:
		return twilio_recording(h, company, sid);
	case EV_AGENT:
		return twilio_agent(h, company, sid, status);
	case EV_CONFERENCE:
		return twilio_conference(h, company);
	case EV_ANNOUNCE:
		return twilio_announce(h);
	}
	return resp_problem(h->resp, 400, "bad_request", "unknown event");
}

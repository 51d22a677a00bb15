/*
 * What each job of the Twilio REST client (twilio-rest.c, its thread)
 * asks of Twilio for a call bridged through its <Conference>
 * ("call-<call id>"): the caller into the conference and the agent's leg
 * created into it (bridge), the caller's participant held and taken off
 * hold, the old agent's leg ended at a transfer, the recording started at
 * an agent's join (or on demand) and stopped, the supervisor's participant
 * added, changed and removed, the call completed, a callback's outbound
 * call, a finished recording fetched. Each function runs on the REST
 * thread with its database connection (x->db) and the company's
 * credentials; tw_kinds[] says what each kind needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "db-agent.h"
#include "db-integration.h"
#include "db-call.h"
#include "db-recording.h"
#include "db-twilio.h"
#include "op-file.h"
#include "op.h"
#include "twiml.h"
#include "twilio-rest.h"
#include "twilio-token.h"
#include "twilio-int.h"

/* What a supervisor's mode makes of her participant. */
const struct tw_mode_def tw_modes[TW__MODES] = {
	[TW_OFF] = { "off", NULL, NULL },
	[TW_MONITOR] = { "monitor", "true", "false" },
	[TW_WHISPER] = { "whisper", "false", "true" },
	[TW_BARGE] = { "barge", "false", "false" },
};

/* The call's conference's name. Caller frees. */
static char *
tw_conference_name(const struct tw_job *j)
{
	return xasprintf("call-%s", j->call);
}

/*
 * The conference's sid: as Twilio's status callback told it, or looked up
 * by its name (Conferences.json?FriendlyName=, one not completed) and
 * kept. NULL when there is none (logged).
 */
static const char *
tw_conference_sid(struct tw_ctx *x)
{
	struct tw_sink	 body = { NULL, 0, TW_ANSWER_MAX };
	char		*name, *q = NULL, *path;
	const char	*sid, *status;
	json_t		*a, *c;
	size_t		 i;

	if (x->b.conference_sid[0] != '\0')
		return x->b.conference_sid;
	if (!x->b.conference) {
		log_warn("twilio: call %s: %s: the caller is not in a"
		    " conference", x->j->call, tw_kinds[x->j->kind].name);
		return NULL;
	}
	name = tw_conference_name(x->j);
	tw_field(&q, "FriendlyName", name);
	path = xasprintf("Conferences.json?%s", q);
	if (tw_post(x, path, NULL, &body) == 0 &&
	    (a = json_loads(body.buf, 0, NULL)) != NULL) {
		json_array_foreach(json_object_get(a, "conferences"), i, c) {
			sid = json_string_value(json_object_get(c, "sid"));
			status = json_string_value(json_object_get(c, "status"));
			if (sid != NULL && strlen(sid) == 34 && (status == NULL ||
			    strcmp(status, "completed") != 0)) {
				strlcpy_(x->b.conference_sid, sid,
				    sizeof x->b.conference_sid);
				break;
			}
		}
		json_decref(a);
	}
	if (x->b.conference_sid[0] != '\0' && db_twilio_set_conference_sid(
	    x->db, x->j->company, x->j->call, x->b.conference_sid) != 0)
		log_warn("twilio: call %s: cannot keep the conference's sid",
		    x->j->call);
	if (x->b.conference_sid[0] == '\0')
		log_warn("twilio: call %s: %s: Twilio has no conference %s",
		    x->j->call, tw_kinds[x->j->kind].name, name);
	free(body.buf);
	free(path);
	free(q);
	free(name);
	return x->b.conference_sid[0] != '\0' ? x->b.conference_sid : NULL;
}

/* POST form to the conference's participant (a CallSid or a label). */
static int
tw_participant(struct tw_ctx *x, const char *who, const char *form)
{
	const char	*cf;
	char		*path;
	int		 rc;

	if ((cf = tw_conference_sid(x)) == NULL)
		return -1;
	path = xasprintf("Conferences/%s/Participants/%s.json", cf, who);
	rc = tw_post(x, path, form, NULL);
	free(path);
	return rc;
}

/* End a leg the daemon created (Status=completed). */
static void
tw_end_leg(struct tw_ctx *x, const char *sid)
{
	char	*path = xasprintf("Calls/%s.json", sid), *form = NULL;

	tw_field(&form, "Status", "completed");
	tw_post(x, path, form, NULL);
	free(form);
	free(path);
}

/*
 * The call's recording mode is "on": 1, with the company's announcement
 * in *say (NULL: none; caller frees); else 0.
 */
static int
tw_recorded(struct db *db, const struct tw_job *j, char **say)
{
	char	 mode[16];
	int	 on;

	*say = NULL;
	if (db_recording_mode(db, j->company, j->call, mode, sizeof mode,
	    say) != 1)
		return 0;
	if (!(on = strcmp(mode, "on") == 0)) {
		free(*say);
		*say = NULL;
	}
	return on;
}

/*
 * The TwiML of the caller's leg into the conference: waiting with the
 * queue's hold music (the waitUrl of ?event=wait, as in queue), its
 * leaving ending the conference, announced (first) when recorded.
 * Caller frees.
 */
static char *
tw_caller_twiml(struct db *db, const struct tw_job *j)
{
	struct twiml_conference	 c = { .caller = 1 };
	char			*twiml, *say, *q, *wait;

	tw_recorded(db, j, &say);
	wait = twilio_wait_url(db, j->company, j->call,
	    j->queue[0] != '\0' ? j->queue : NULL);
	q = xasprintf("call=%s&event=conference", j->call);
	c.name = tw_conference_name(j);
	c.wait = wait;
	c.callback = tw_hook_url(j->company, q);
	c.say = say;
	twiml = twiml_conference(&c);
	free((char *)c.name);
	free((char *)c.callback);
	free(wait);
	free(say);
	free(q);
	return twiml;
}

/* caller_data.to of a call (the number the caller called), or NULL. */
static char *
tw_our_number(struct db *db, const struct tw_job *j)
{
	struct call_rows	*c;
	json_t			*data = NULL;
	char			*to = NULL;

	if ((c = db_call_find(db, j->company, j->call)) != NULL &&
	    c->n == 1 && c->v[0].data != NULL &&
	    (data = json_loads(c->v[0].data, 0, NULL)) != NULL &&
	    json_string_value(json_object_get(data, "to")) != NULL)
		to = xstrdup(json_string_value(json_object_get(data, "to")));
	json_decref(data);
	call_rows_free(c);
	return to;
}

/* The agent's leg was not made: the call waits again, a missed offer. */
static void
tw_requeue(struct db *db, const struct tw_job *j)
{
	struct actor	 system = { .kind = ACTOR_SYSTEM,
			    .company = j->company };
	struct op_in	 in = { .call = j->call };
	struct op_out	 out;

	op_run(db, OP_CALL_REQUEUE, &system, &in, &out);
	if (out.status >= 400)
		log_warn("twilio: call %s: re-queue: %s", j->call, out.detail);
	op_out_free(&out);
}

/*
 * Create the agent's leg: To its phone (a number or a sip: URI) or its
 * browser page's Client (with the call's id as a custom parameter), From
 * the number the caller called, joining the conference; its status
 * callback is ?event=agent. Refused by Twilio: re-queued as an agent not
 * reached.
 */
static void
tw_agent_leg(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_ANSWER_MAX };
	struct twiml_conference	 c = { .caller = 0 };
	struct agent_rows	*a;
	char			 identity[TWILIO_IDENTITY_LEN + 1], sid[72];
	char			*from, *to = NULL, *twiml, *q, *hook, *form = NULL;

	if (j->agent[0] == '\0' ||
	    (a = db_agent_get(x->db, j->company, j->agent)) == NULL)
		return;
	if (a->n == 1 && strcmp(a->v[0].endpoint, "phone") == 0 &&
	    a->v[0].address != NULL)
		to = xstrdup(a->v[0].address);
	else if (a->n == 1 && strcmp(a->v[0].endpoint, "phone") != 0) {
		twilio_identity(a->v[0].id, identity);
		to = xasprintf("client:%s?call_id=%s", identity, j->call);
	}
	agent_rows_free(a);
	if (to == NULL)
		return;
	if ((from = tw_our_number(x->db, j)) == NULL) {
		log_warn("twilio: call %s: bridge: no number to call the agent"
		    " from (caller_data.to)", j->call);
		free(to);
		return;
	}
	c.name = tw_conference_name(j);
	q = xasprintf("call=%s&event=conference", j->call);
	c.callback = tw_hook_url(j->company, q);
	twiml = twiml_conference(&c);
	free(q);
	q = xasprintf("call=%s&event=agent", j->call);
	hook = tw_hook_url(j->company, q);
	tw_field(&form, "To", to);
	tw_field(&form, "From", from);
	tw_field(&form, "Twiml", twiml);
	tw_field(&form, "StatusCallback", hook);
	tw_field(&form, "StatusCallbackMethod", "POST");
	if (tw_post(x, "Calls.json", form, &body) != 0)
		tw_requeue(x->db, j);
	else if (tw_answer_sid(&body, "sid", sid, sizeof sid) != 0 ||
	    db_twilio_leg_add(x->db, j->company, j->call, TWILIO_LEG_AGENT,
	    sid, j->agent) != 0)
		log_warn("twilio: call %s: bridge: cannot record the agent's"
		    " leg", j->call);
	free(body.buf);
	free(form);
	free(hook);
	free(q);
	free(twiml);
	free((char *)c.name);
	free((char *)c.callback);
	free(from);
	free(to);
}

/* The answer: the caller into the conference (once), the agent's leg. */
static void
tw_bridge(struct tw_ctx *x)
{
	char	*twiml, *hook, *path, *form = NULL;
	int	 rc;

	if (!x->b.conference) {
		twiml = tw_caller_twiml(x->db, x->j);
		hook = tw_hook_url(x->j->company, NULL);
		tw_field(&form, "Twiml", twiml);
		tw_field(&form, "StatusCallback", hook);
		tw_field(&form, "StatusCallbackMethod", "POST");
		path = xasprintf("Calls/%s.json", x->b.caller);
		rc = tw_post(x, path, form, NULL);
		free(path);
		free(form);
		free(hook);
		free(twiml);
		if (rc != 0)
			return;
		if (db_twilio_set_conference(x->db, x->j->company, x->j->call,
		    1) != 0)
			log_warn("twilio: call %s: cannot record the conference",
			    x->j->call);
	}
	/* One agent's leg at a time (a retried callback's answer). */
	if (x->b.agent_leg[0] != '\0') {
		log_info("twilio: call %s: bridge: the agent's leg is there",
		    x->j->call);
		return;
	}
	tw_agent_leg(x);
}

/* The call ended here: the agent's leg, then the caller's call. */
static void
tw_complete(struct tw_ctx *x)
{
	char	*path, *form = NULL;

	if (x->b.agent_leg[0] != '\0' && db_twilio_leg_retire(x->db,
	    x->j->company, x->j->call, TWILIO_LEG_AGENT) == 1)
		tw_end_leg(x, x->b.agent_leg);
	if (x->b.ended)
		return;		/* Twilio told us: nothing to tell it */
	tw_field(&form, "Status", "completed");
	path = xasprintf("Calls/%s.json", x->b.caller);
	tw_post(x, path, form, NULL);
	free(path);
	free(form);
}

/* Hold (1) or take off hold (0) the caller's participant. */
static int
tw_hold_caller(struct tw_ctx *x, int hold)
{
	char	*form = NULL, *wait = NULL;
	int	 rc;

	tw_field(&form, "Hold", hold ? "true" : "false");
	if (hold && (wait = twilio_wait_url(x->db, x->j->company, x->j->call,
	    x->j->queue[0] != '\0' ? x->j->queue : NULL)) != NULL) {
		tw_field(&form, "HoldUrl", wait);
		tw_field(&form, "HoldMethod", "POST");
	}
	if ((rc = tw_participant(x, x->b.caller, form)) == 0 &&
	    db_twilio_set_held(x->db, x->j->company, x->j->call, hold) != 0)
		log_warn("twilio: call %s: cannot record the hold", x->j->call);
	free(wait);
	free(form);
	return rc;
}

static void
tw_hold(struct tw_ctx *x)
{
	tw_hold_caller(x, 1);
}

static void
tw_resume(struct tw_ctx *x)
{
	tw_hold_caller(x, 0);
}

/* A transfer: the caller held until the next agent joins; the old leg ends. */
static void
tw_transfer(struct tw_ctx *x)
{
	if (x->b.conference)
		tw_hold_caller(x, 1);
	if (x->b.agent_leg[0] != '\0' && db_twilio_leg_retire(x->db,
	    x->j->company, x->j->call, TWILIO_LEG_AGENT) == 1)
		tw_end_leg(x, x->b.agent_leg);
}

/* Start the recording of the caller's leg, both directions (dual). */
static void
tw_record(struct tw_ctx *x)
{
	struct tw_sink	 body = { NULL, 0, TW_ANSWER_MAX };
	char		*form = NULL, *q, *hook, *path, sid[40];

	q = xasprintf("call=%s&event=recording", x->j->call);
	hook = tw_hook_url(x->j->company, q);
	tw_field(&form, "RecordingChannels", "dual");
	tw_field(&form, "RecordingStatusCallback", hook);
	tw_field(&form, "RecordingStatusCallbackMethod", "POST");
	tw_field(&form, "RecordingStatusCallbackEvent", "completed");
	path = xasprintf("Calls/%s/Recordings.json", x->b.caller);
	if (tw_post(x, path, form, &body) == 0 && (tw_answer_sid(&body, "sid",
	    sid, sizeof sid) != 0 || db_twilio_set_recording(x->db,
	    x->j->company, x->j->call, sid) != 0))
		log_warn("twilio: call %s: cannot record the recording's sid",
		    x->j->call);
	free(body.buf);
	free(path);
	free(form);
	free(hook);
	free(q);
}

/*
 * The current agent's leg joined: a held caller (a transfer) is taken
 * off hold while the call is connected; a recorded call starts recording
 * when none is in progress.
 */
static void
tw_joined(struct tw_ctx *x)
{
	struct call_rows	*c;
	char			*say;
	int			 connected;

	if (strcmp(x->j->sid, x->b.agent_leg) != 0 || x->b.ended)
		return;
	c = db_call_find(x->db, x->j->company, x->j->call);
	connected = c != NULL && c->n == 1 && c->v[0].state == CALL_CONNECTED;
	call_rows_free(c);
	if (x->b.held && connected)
		tw_hold_caller(x, 0);
	say = NULL;
	if (x->b.recording_sid[0] == '\0' && tw_recorded(x->db, x->j, &say))
		tw_record(x);
	free(say);
}

/* On demand: start recording the caller's leg, unless it is. */
static void
tw_record_start(struct tw_ctx *x)
{
	if (x->b.recording_sid[0] == '\0' && !x->b.ended)
		tw_record(x);
}

/* On demand: stop the recording in progress (Twilio then posts it). */
static void
tw_record_stop(struct tw_ctx *x)
{
	char	*path, *form = NULL;

	if (x->b.recording_sid[0] == '\0' || x->b.ended)
		return;
	path = xasprintf("Calls/%s/Recordings/%s.json", x->b.caller,
	    x->b.recording_sid);
	tw_field(&form, "Status", "stopped");
	if (tw_post(x, path, form, NULL) == 0 && db_twilio_set_recording(
	    x->db, x->j->company, x->j->call, NULL) != 0)
		log_warn("twilio: call %s: cannot forget the recording's sid",
		    x->j->call);
	free(form);
	free(path);
}

/* The call's callback failed to dial: as if nobody answered. */
static void
tw_callback_failed(struct db *db, const struct tw_job *j, const char *reason)
{
	struct actor	 system = { .kind = ACTOR_SYSTEM,
			    .company = j->company };
	struct op_in	 in = { .call = j->call, .reason = reason };
	struct op_out	 out;

	op_run(db, OP_CALL_CALLBACK_FAILED, &system, &in, &out);
	if (out.status >= 400)
		log_warn("twilio: call %s: callback: %s", j->call, out.detail);
	op_out_free(&out);
}

/*
 * The form of a callback's outbound call: To the callback number, From
 * the number the caller called, TwiML joining the conference as its
 * caller, and status callbacks for its answer and its end. NULL when
 * there is none (logged): the agent then calls back by hand.
 */
static char *
tw_callback_form(struct db *db, const struct tw_job *j)
{
	struct call_rows	*c;
	char			*from, *twiml, *hook, *q, *form = NULL;

	if ((c = db_call_find(db, j->company, j->call)) == NULL ||
	    c->n != 1 || c->v[0].cb_number == NULL ||
	    c->v[0].state != CALL_CONNECTED) {
		call_rows_free(c);
		return NULL;
	}
	if ((from = tw_our_number(db, j)) == NULL)
		log_warn("twilio: call %s: callback: no number to call from"
		    " (caller_data.to); the agent calls back", j->call);
	else {
		twiml = tw_caller_twiml(db, j);
		tw_field(&form, "Twiml", twiml);
		free(twiml);
		tw_field(&form, "To", c->v[0].cb_number);
		tw_field(&form, "From", from);
		q = xasprintf("call=%s&event=callback", j->call);
		hook = tw_hook_url(j->company, q);
		tw_field(&form, "StatusCallback", hook);
		tw_field(&form, "StatusCallbackMethod", "POST");
		tw_field(&form, "StatusCallbackEvent", "answered");
		tw_field(&form, "StatusCallbackEvent", "completed");
		free(hook);
		free(q);
	}
	free(from);
	call_rows_free(c);
	return form;
}

/*
 * Call the caller back: a new Twilio call, which the call now maps to,
 * into the conference; the agent's leg once the caller answers.
 */
static void
tw_callback(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct call_rows	*set;
	struct tw_sink		 answer = { NULL, 0, TW_ANSWER_MAX };
	char			*form, sid[72];

	if ((form = tw_callback_form(x->db, j)) == NULL)
		return;
	/* The attempt counts once it is made, answered or not. */
	if ((set = db_call_callback_set(x->db, j->call, "dialing", 1, 0, 0,
	    0)) == NULL)
		log_warn("twilio: call %s: callback: cannot count the attempt",
		    j->call);
	call_rows_free(set);
	if (tw_post(x, "Calls.json", form, &answer) != 0)
		tw_callback_failed(x->db, j, "failed");
	else if (tw_answer_sid(&answer, "sid", sid, sizeof sid) != 0 ||
	    db_twilio_remap(x->db, j->company, sid, j->call) != 0 ||
	    db_twilio_set_conference(x->db, j->company, j->call, 1) != 0)
		log_warn("twilio: call %s: callback: cannot record Twilio's"
		    " call", j->call);
	free(answer.buf);
	free(form);
}

/* The form of a supervisor's mode (monitor, whisper, barge). */
static void
tw_mode_form(struct tw_ctx *x, char **form)
{
	const struct tw_job	*j = x->j;

	tw_field(form, "Muted", tw_modes[j->mode].muted);
	tw_field(form, "Coaching", tw_modes[j->mode].coaching);
	if (j->mode == TW_WHISPER)
		tw_field(form, "CallSidToCoach", x->b.agent_leg);
}

/*
 * The supervisor's participant: added (From the number the caller
 * called, To the supervisor's phone or its browser's Client identity,
 * labelled "supervisor"), changed with the mode, or removed; the agent's
 * leg hears what happened when the company announces supervision.
 */
static void
tw_supervise(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_ANSWER_MAX };
	char			 identity[TWILIO_IDENTITY_LEN + 1], sid[72];
	char			*form = NULL, *path, *from, *q, *hook;
	const char		*cf;

	if (j->ended)
		return;		/* the conference ended with the call */
	if (j->mode == TW_WHISPER && x->b.agent_leg[0] == '\0') {
		log_warn("twilio: call %s: supervise: no agent's leg to coach",
		    j->call);
		return;
	}
	if (j->mode == TW_OFF) {
		if ((cf = tw_conference_sid(x)) == NULL)
			return;
		path = xasprintf("Conferences/%s/Participants/%s.json", cf,
		    TW_SUPERVISOR);
		tw_request(x->account, x->token, "DELETE", path, NULL, j,
		    NULL);
		free(path);
		db_twilio_leg_retire(x->db, j->company, j->call,
		    TWILIO_LEG_SUPERVISOR);
	} else if (j->previous != TW_OFF) {
		tw_mode_form(x, &form);
		tw_participant(x, TW_SUPERVISOR, form);
	} else if ((cf = tw_conference_sid(x)) != NULL) {
		if ((from = tw_our_number(x->db, j)) == NULL) {
			log_warn("twilio: call %s: supervise: no number to call"
			    " the supervisor from (caller_data.to)", j->call);
			return;
		}
		tw_field(&form, "From", from);
		free(from);
		if (j->phone[0] != '\0')
			tw_field(&form, "To", j->phone);
		else {
			twilio_user_identity(j->user, identity);
			q = xasprintf("client:%s?call_id=%s", identity, j->call);
			tw_field(&form, "To", q);
			free(q);
		}
		tw_field(&form, "Label", TW_SUPERVISOR);
		tw_field(&form, "Beep", "false");
		tw_field(&form, "EndConferenceOnExit", "false");
		tw_mode_form(x, &form);
		path = xasprintf("Conferences/%s/Participants.json", cf);
		if (tw_post(x, path, form, &body) == 0 && (tw_answer_sid(&body,
		    "call_sid", sid, sizeof sid) != 0 || db_twilio_leg_add(
		    x->db, j->company, j->call, TWILIO_LEG_SUPERVISOR, sid,
		    NULL) != 0))
			log_warn("twilio: call %s: supervise: cannot record the"
			    " supervisor's leg", j->call);
		free(path);
	}
	free(form);
	free(body.buf);
	if (!j->announce || j->mode == j->previous ||
	    x->b.agent_leg[0] == '\0')
		return;
	form = NULL;
	q = xasprintf("call=%s&event=announce&mode=%s", j->call,
	    tw_modes[j->mode].name);
	hook = tw_hook_url(j->company, q);
	tw_field(&form, "AnnounceUrl", hook);
	tw_field(&form, "AnnounceMethod", "POST");
	tw_participant(x, x->b.agent_leg, form);
	free(form);
	free(hook);
	free(q);
}

/*
 * GET the recording's media (Recordings/{sid}.wav, the account's own
 * resource whatever RecordingUrl said), retried as any request, into the
 * file storage linked to the call; once per recording sid, and only while
 * its fetch is pending (recording_fetches; a caller's purge forgets it).
 * A round that fails leaves the row for a later one (tw_fetch_failed()).
 */
static void
tw_fetch(struct tw_ctx *x)
{
	const struct tw_job	*j = x->j;
	struct tw_sink		 body = { NULL, 0, TW_MEDIA_MAX };
	char			*path;
	int			 rc;

	if ((rc = db_recording_known(x->db, j->company, j->sid)) != 0) {
		if (rc == 1)	/* a retried callback */
			db_recording_fetch_done(x->db, j->company, j->sid);
		return;		/* or no database: the row stays */
	}
	if (db_recording_fetch_pending(x->db, j->company, j->sid) != 1)
		return;		/* purged, failed, or no database */
	path = xasprintf("Recordings/%s.wav", j->sid);
	if (tw_post(x, path, NULL, &body) != 0)
		tw_fetch_failed(j, "Twilio did not hand the recording over");
	else if (db_recording_fetch_pending(x->db, j->company, j->sid) != 1)
		;		/* purged meanwhile */
	else if (op_file_recording(x->db, j->company, j->call, "twilio",
	    j->sid, j->channels, j->duration, body.buf, body.len) < 0)
		tw_fetch_failed(j, "the recording could not be stored");
	else
		db_recording_fetch_done(x->db, j->company, j->sid);
	free(body.buf);
	free(path);
}

/*
 * What each kind is called, needs and does: the call's Twilio row (its
 * bridge) and our public_url (for Twilio's callbacks).
 */
const struct tw_kind_def tw_kinds[TW__COUNT] = {
	[TW_BRIDGE] = { "bridge", 1, 1, tw_bridge },
	[TW_COMPLETE] = { "complete", 1, 0, tw_complete },
	[TW_CALLBACK] = { "callback", 0, 1, tw_callback },
	[TW_HOLD] = { "hold", 1, 1, tw_hold },
	[TW_RESUME] = { "resume", 1, 0, tw_resume },
	[TW_TRANSFER] = { "transfer", 1, 1, tw_transfer },
	[TW_JOINED] = { "joined", 1, 0, tw_joined },
	[TW_SUPERVISE] = { "supervise", 1, 1, tw_supervise },
	[TW_RECORD_START] = { "record", 1, 1, tw_record_start },
	[TW_RECORD_STOP] = { "record stop", 1, 0, tw_record_stop },
	[TW_FETCH] = { "recording", 0, 0, tw_fetch },
};

/*
 * call.ivr_input: calls walking an IVR flow. A call enters its company's
 * entry flow (or a named one) when it is created (op-call.c); each input
 * from the caller's side (keys, a timeout, an HTTP answer, a hangup) is a
 * call.ivr_input, whatever transport brings it (POST
 * /api/calls/:id/ivr/input, the widget's ivr.input, Twilio's callbacks, a
 * hangup webhook), and moves the session through the engine of
 * common/ivr-engine.c, the same code the CLI's simulator runs. The session
 * is persisted after every step and every node passed lands in call_events
 * ("ivr.node"), so analytics can tell where callers drop out. A goto (or
 * transfer) to another flow chains: the session starts over in that flow
 * within the same input. The flow's own hangup completes the call; only the
 * caller's hangup abandons it. An ENQUEUE action hands the call to the
 * ACD through the hub.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-ivr.h"
#include "db-ref.h"
#include "validate.h"
#include "hub.h"
#include "events.h"
#include "ivr.h"
#include "ivr-engine.h"
#include "fetch.h"
#include "op-int.h"

/* http nodes in a row fed without caller input, and their time limit. */
#define IVR_MAX_FETCHES	5
#define IVR_FETCH_TIMEOUT	10
/* Flows one input may chain through (goto flow:, transfer to: flow). */
#define IVR_MAX_CHAINS	8

/* A flow version, parsed. NULL with out filled. */
static struct ivr_flow *
load_flow(struct db *db, struct op_out *out, const char *flow, int version)
{
	struct ivr_diags	 d;
	struct ivr_flow		*f;
	struct ivr_version_rows	*v;
	const char		*text;

	if ((v = db_ivr_version(db, flow, version)) == NULL) {
		op_fail_db(out, db);
		return NULL;
	}
	if (v->n == 0) {
		ivr_version_rows_free(v);
		op_fail(out, 409, "conflict", "the flow's version is gone");
		return NULL;
	}
	text = v->v[0].content;
	ivr_diags_init(&d);
	f = ivr_flow_parse(text, strlen(text), NULL, &d);
	ivr_diags_free(&d);
	/* A flow that names no language speaks the company's. */
	if (f != NULL && f->language == NULL && v->v[0].language != NULL)
		f->language = xstrdup(v->v[0].language);
	ivr_version_rows_free(v);
	if (f == NULL)
		op_fail(out, 500, "internal", "a stored flow no longer"
		    " parses");
	return f;
}

/* Where the flow sends the call: the first action that leaves it. */
struct leave {
	enum call_state		 to;
	const char		*event;
	char			 queue[UUID_LEN + 1];	/* to CALL_QUEUED */
	const char		*reason;		/* to CALL_FAILED */
	const struct ivr_action	*a;
};

/* The flow a call is in: the one it entered, or one it chained into. */
struct ivr_at {
	const char		*id;
	int			 version;
	struct ivr_flow		*flow;
	/* Owned once the call has chained. */
	char			 id_buf[UUID_LEN + 1];
	struct ivr_flow		*own;
};

/* 1 when the action takes the call out of the flow, -1 on a db error. */
static int
leave_for(struct db *db, const char *company, const struct ivr_action *a,
    struct leave *l)
{
	const char	*name = NULL;
	char		 queue[UUID_LEN + 1];
	int		 found;

	switch (a->type) {
	case IVR_ACT_ENQUEUE:
		name = a->queue;
		break;
	case IVR_ACT_TRANSFER:
		if (a->to == IVR_TO_FLOW)
			return 0;	/* the call chains: ivr_chain() */
		if (a->to == IVR_TO_QUEUE)
			name = a->target;
		else {
			l->to = CALL_TRANSFERRED;
			l->event = "call.transferred";
		}
		break;
	case IVR_ACT_HANGUP:
	case IVR_ACT_END:
		/*
		 * The flow hung up by design (after an after-hours message,
		 * say): completed, not abandoned. Only the caller abandons.
		 */
		l->to = CALL_COMPLETED;
		l->event = "call.ivr_completed";
		break;
	default:
		return 0;
	}
	l->a = a;
	if (name == NULL)
		return 1;
	if ((found = db_ref_by_name(db, company, REF_QUEUE, name, queue)) < 0)
		return -1;
	if (found && hub_queue_full(company, queue)) {
		/* Refused as a REST call would be, never queued (a queue
		 * that fills meanwhile refuses it in hub_enqueue()). */
		l->to = CALL_FAILED;
		l->event = "call.failed";
		l->reason = "queue_full";
	} else if (found) {
		strlcpy_(l->queue, queue, sizeof l->queue);
		l->to = CALL_QUEUED;
		l->event = "call.queued";
	} else {
		/* The queue was deleted after the flow was imported. */
		l->to = CALL_FAILED;
		l->event = "call.failed";
		l->reason = "unknown queue";
	}
	return 1;
}

/* The event data of the call's exit from the flow. Caller frees. */
static json_t *
leave_data(const struct ivr_flow *flow, const struct ivr_session *s,
    const struct leave *l)
{
	json_t	*d = json_pack("{s:s}", "node", s->node >= 0 &&
	    (size_t)s->node < flow->nnodes ? flow->nodes[s->node].id : "");

	if (l->a != NULL && l->a->type == IVR_ACT_TRANSFER) {
		json_object_set_new(d, "to", json_string(ivr_transfer_name(l->a->to)));
		json_object_set_new(d, "target", json_string(l->a->target));
	}
	if (l->to == CALL_FAILED && l->reason != NULL)
		json_object_set_new(d, "reason", json_string(l->reason));
	return d;
}

/* The skills of an ENQUEUE action as JSON text. Caller frees. */
static char *
skills_json(const struct ivr_action *a)
{
	json_t	*o = json_object();
	char	*s;

	for (size_t i = 0; i < a->nskills; i++)
		json_object_set_new(o, a->skills[i].name,
		    json_integer(a->skills[i].level));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/*
 * Every node the step passed lands in call_events as "ivr.node", with the
 * flow it is in (flows chain), and where a node chains, the flow it goes to.
 */
static int
visits_log(struct db *db, const char *call, const struct ivr_flow *flow,
    const struct ivr_actions *out)
{
	const struct ivr_action	*a;
	char			*text;
	json_t			*o;
	size_t			 end;
	int			 rc = 0;

	for (size_t i = 0; i < out->nvisits && rc == 0; i++) {
		const struct ivr_node *n = &flow->nodes[out->visits[i].node];

		o = json_pack("{s:s,s:s,s:s}", "node", n->id, "type",
		    ivr_node_type_name(n->type), "flow", flow->name);
		end = i + 1 < out->nvisits ? out->visits[i + 1].action : out->n;
		for (size_t j = out->visits[i].action; j < end; j++) {
			a = &out->v[j];
			if (a->type == IVR_ACT_TRANSFER && a->to == IVR_TO_FLOW)
				json_object_set_new(o, "to_flow",
				    json_string(a->target));
		}
		text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rc = db_call_event(db, call, "ivr.node", NULL, text);
		free(text);
	}
	return rc;
}

/* Perform an HTTP action (SSRF-guarded, fetch.h). */
static void
ivr_fetch(const struct ivr_action *a, struct fetch_result *r)
{
	struct fetch_header	*hd;

	hd = xcalloc(a->nheaders + 1, sizeof *hd);
	for (size_t i = 0; i < a->nheaders; i++) {
		hd[i].name = a->headers[i].name;
		hd[i].value = a->headers[i].value;
	}
	fetch(ivr_method_name(a->method), a->url, hd, a->nheaders, a->body,
	    a->timeout > 0 && a->timeout < IVR_FETCH_TIMEOUT ? a->timeout :
	    IVR_FETCH_TIMEOUT, IVR_MAX_BODY, r);
	free(hd);
}

static void
ivr_at_free(struct ivr_at *at)
{
	ivr_flow_free(at->own);
	at->own = NULL;
}

/*
 * The call chains into the flow name (goto flow:, transfer to: flow): the
 * active version of the company's flow of that name becomes the call's
 * flow, and the session starts over in it, keeping its variables and
 * caller data. 1 when it did; 0 when it cannot (reason set: the call
 * fails); -1 answered (a database error, a stored flow that no longer
 * parses).
 */
static int
ivr_chain(struct db *db, struct op_out *out, const char *company,
    const char *name, struct ivr_at *at, struct ivr_session *s,
    const char **reason)
{
	struct ivr_flow		*f;
	struct ivr_flow_rows	*r;

	if ((r = db_ivr_find(db, company, name)) == NULL) {
		op_fail_db(out, db);
		return -1;
	}
	if (r->n == 0 || r->v[0].active == 0) {
		*reason = r->n == 0 ? "unknown flow" :
		    "the flow has no active version";
		ivr_flow_rows_free(r);
		return 0;
	}
	if ((f = load_flow(db, out, r->v[0].id, r->v[0].active)) == NULL) {
		ivr_flow_rows_free(r);
		return -1;
	}
	strlcpy_(at->id_buf, r->v[0].id, sizeof at->id_buf);
	at->version = r->v[0].active;
	ivr_flow_rows_free(r);
	ivr_at_free(at);
	at->own = at->flow = f;
	at->id = at->id_buf;
	ivr_session_restart(s);
	return 1;
}

/*
 * Feed one event to the call's session and act on the result in one
 * transaction (the caller began it). An http node is fetched here and its
 * answer fed back at once (at most IVR_MAX_FETCHES in a row); a node that
 * chains into another flow starts the session over in it (at most
 * IVR_MAX_CHAINS times), its prompts following the first flow's in one
 * answer. Answers the call with "ivr": {state, actions}; hands a queued
 * call to the hub after the commit.
 */
static void
ivr_feed(struct db *db, struct op_out *out, const char *company,
    const char *call, struct ivr_at *at, struct ivr_session *s,
    const struct ivr_event *ev)
{
	static const struct ivr_event start = { .type = IVR_EV_START };
	struct ivr_actions	 acts;
	struct leave		 l = { 0 };
	struct hub_result	 r;
	struct call_move	 m = { 0 };
	struct fetch_result	 fr = { 0 };
	struct ivr_event	 hev;
	const struct ivr_action	*last, *jump;
	json_t			*actions = json_array(), *st, *o, *data = NULL;
	struct call_rows	*row = NULL;
	char			*text = NULL, prio[16];
	const char		*why = NULL;
	int			 left = 0, fetches = 0, chains = 0;
	enum ivr_event_type	 input = ev->type;

	ivr_actions_init(&acts);
	for (int round = 0;; round++) {
		ivr_actions_reset(&acts);
		if (ivr_step(at->flow, s, ev, time(NULL), &acts) != 0 &&
		    acts.n == 0) {
			if (round > 0)
				break;	/* keep what the earlier rounds did */
			db_rollback(db);
			op_fail(out, 409, "conflict", "%s", acts.error ?
			    acts.error : "the flow does not expect this input now");
			goto done;
		}
		jump = NULL;
		for (size_t i = 0; i < acts.n; i++) {
			if (!left && acts.v[i].type == IVR_ACT_TRANSFER &&
			    acts.v[i].to == IVR_TO_FLOW) {
				/* Chained: the caller hears the next flow. */
				jump = &acts.v[i];
				break;
			}
			json_array_append_new(actions,
			    ivr_action_to_json(at->flow, &acts.v[i]));
			if (!left && (left = leave_for(db, company, &acts.v[i],
			    &l)) < 0)
				goto fail;
		}
		if (visits_log(db, call, at->flow, &acts) != 0)
			goto fail;
		if (jump != NULL) {
			switch (chains++ == IVR_MAX_CHAINS ? 0 :
			    ivr_chain(db, out, company, jump->target, at, s, &why)) {
			case -1:
				db_rollback(db);
				goto done;
			case 1:
				ev = &start;
				continue;
			}
			/* It cannot: the call fails, hung up as before. */
			if (chains > IVR_MAX_CHAINS)
				why = "flows chain in a loop without waiting"
				    " for the caller";
			for (const struct ivr_action *a = jump;
			    a < acts.v + acts.n; a++)
				json_array_append_new(actions,
				    ivr_action_to_json(at->flow, a));
			left = 1;
			l.to = CALL_FAILED;
			l.event = "call.failed";
			l.a = jump;
			l.reason = why;
			break;
		}
		last = acts.n > 0 ? &acts.v[acts.n - 1] : NULL;
		if (left || s->state != IVR_STATE_HTTP || last == NULL ||
		    last->type != IVR_ACT_HTTP || fetches++ == IVR_MAX_FETCHES)
			break;
		free(fr.body);
		ivr_fetch(last, &fr);
		if (fr.status == 0)
			log_info("ivr: call %s: %s", call, fr.error);
		memset(&hev, 0, sizeof hev);
		hev.type = IVR_EV_HTTP;
		hev.status = (int)fr.status;
		hev.body = fr.body;
		hev.body_len = fr.len;
		ev = &hev;
	}
	if (input == IVR_EV_HANGUP) {
		/* A caller who hangs up in the flow abandoned the call. */
		l.to = CALL_ABANDONED;
		l.event = "call.abandoned";
		l.a = NULL;
		left = 1;
	}
	st = ivr_session_to_json(at->flow, s);
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (db_ivr_session_put(db, call, at->id, at->version, text) != 0)
		goto fail;
	free(text);
	text = NULL;
	if (left && l.to == CALL_QUEUED && l.a->type == IVR_ACT_ENQUEUE) {
		snprintf(prio, sizeof prio, "%d", l.a->priority);
		text = skills_json(l.a);
		if (db_call_route(db, call, prio, text) != 0)
			goto fail;
	}
	if (left) {
		data = leave_data(at->flow, s, &l);
		m.call = call;
		m.company = company;
		m.from = CALL_IVR;
		m.to = l.to;
		m.event = l.event;
		m.queue = l.queue[0] != '\0' ? l.queue : NULL;
		m.data = data;
		if (call_transition(db, &m, &row) != MOVE_OK)
			goto fail;
	} else if ((row = db_call_find(db, NULL, call)) == NULL ||
	    row->n == 0)
		goto fail;
	if (db_commit(db) != 0)
		goto fail;
	if (left && l.to == CALL_QUEUED) {
		hub_enqueue_call(db, &row->v[0], &r);
		if (r.status >= 400)
			log_warn("ivr: call %s: %s", call, r.detail);
		call_rows_free(r.row);
		/* A callback node: the call waits as a callback (its number
		 * confirmed by the caller). */
		if (r.status < 400 && l.a->callback != NULL) {
			hub_callback(db, company, call, l.a->callback, NULL, &r);
			if (r.status >= 400)
				log_warn("ivr: call %s: callback: %s", call,
				    r.detail);
			else {
				call_rows_free(row);
				row = r.row;
				r.row = NULL;
			}
			call_rows_free(r.row);
		}
	} else if (left)
		events_publish(company, l.event, call_row_json(&row->v[0]));
	op_call_out(out, &row->v[0]);
	o = out->obj;
	json_object_set_new(o, "ivr", json_pack("{s:s,s:O}", "state",
	    ivr_state_name(s->state), "actions", actions));
	out->status = 200;
	goto done;
fail:
	db_rollback(db);
	op_fail_db(out, db);
done:
	json_decref(actions);
	json_decref(data);
	if (row != NULL)
		call_rows_free(row);
	free(text);
	free(fr.body);
	ivr_actions_free(&acts);
}

struct ivr_flow_rows *
op_ivr_flow(struct db *db, const char *company, const char *flowid,
    struct op_out *out)
{
	struct ivr_flow_rows	*f;

	if ((f = db_ivr_start_flow(db, company, flowid)) == NULL) {
		op_fail_db(out, db);
		return NULL;
	}
	if (f->n == 0 || f->v[0].active == 0) {
		ivr_flow_rows_free(f);
		op_fail(out, 409, "conflict", "%s", flowid ?
		    "the flow has no active version" :
		    "the company has no active entry flow");
		return NULL;
	}
	return f;
}

void
op_ivr_start(struct db *db, const struct call_row *call,
    struct ivr_flow_rows *f, struct op_out *out)
{
	const struct ivr_flow_row *fr = &f->v[0];
	struct ivr_session	 s;
	struct ivr_event	 ev = { .type = IVR_EV_START };
	struct ivr_flow		*flow;
	struct ivr_at		 at = { 0 };
	struct call_move	 m = { 0 };
	struct call_rows	*row;
	json_t			*data;
	const char		*key;
	char			 ver[16];
	json_t			*v;

	if ((flow = load_flow(db, out, fr->id, fr->active)) == NULL) {
		ivr_flow_rows_free(f);
		return;
	}
	ivr_session_init(&s);
	if (call->number != NULL)
		ivr_vars_set(&s.caller, "number", call->number);
	if (call->name != NULL)
		ivr_vars_set(&s.caller, "name", call->name);
	data = json_loads(call->data, 0, NULL);
	json_object_foreach(data, key, v) {
		if (json_is_string(v))
			ivr_vars_set(&s.caller, key, json_string_value(v));
	}
	json_decref(data);
	/* The version as the event has always had it: a string. */
	snprintf(ver, sizeof ver, "%d", fr->active);
	data = json_pack("{s:s,s:s}", "flow_id", fr->id, "version", ver);
	m.call = call->id;
	m.company = call->company;
	m.from = CALL_NEW;
	m.to = CALL_IVR;
	m.event = "call.ivr_started";
	m.data = data;
	if (db_begin(db) != 0 || call_transition(db, &m, &row) != MOVE_OK) {
		db_rollback(db);
		op_fail_db(out, db);
	} else {
		call_rows_free(row);
		at.id = fr->id;
		at.version = fr->active;
		at.flow = flow;
		ivr_feed(db, out, call->company, call->id, &at, &s, &ev);
		if (out->status == 200)
			out->status = 201;
	}
	json_decref(data);
	ivr_at_free(&at);
	ivr_session_free(&s);
	ivr_flow_free(flow);
	ivr_flow_rows_free(f);
}

/* The caller's input: {"type": "digits", "digits": "1"}; never start. */
void
op_ivr_parse(json_t *o, struct op_in *in, struct fields *f)
{
	char	*err = NULL;

	if (ivr_event_from_json(o, &in->input, &err) != 0 ||
	    in->input.type == IVR_EV_START)
		fields_add(f, "type", "%s", err ? err : "start is not an input");
	free(err);
}

void
op_ivr_input(struct db *db, const char *company, const struct op_in *in,
    struct op_out *out)
{
	const char		*call = in->call;
	struct ivr_session	 s;
	struct ivr_flow		*flow = NULL;
	struct ivr_at		 at = { 0 };
	struct ivr_session_row	 sess = { 0 };
	struct call_rows	*c = NULL;
	json_t			*st = NULL;
	char			*err = NULL;
	int			 found = 0;

	ivr_session_init(&s);
	if (db_begin(db) != 0) {
		op_fail_db(out, db);
		goto out;
	}
	if ((c = db_call_find(db, company, call)) == NULL ||
	    (c->n == 1 && (found = db_ivr_session_get(db, call, &sess)) < 0))
		goto fail;
	if (c->n == 0) {
		db_rollback(db);
		op_fail(out, 404, "not_found", "no such call");
		goto out;
	}
	if (c->v[0].state != CALL_IVR || found == 0) {
		db_rollback(db);
		op_fail(out, 409, "illegal_transition", "the call is not in a"
		    " flow");
		goto out;
	}
	if ((flow = load_flow(db, out, sess.flow, sess.version)) == NULL) {
		db_rollback(db);
		goto out;
	}
	st = json_loads(sess.state, 0, NULL);
	if (st == NULL || ivr_session_from_json(flow, st, &s, &err) != 0) {
		db_rollback(db);
		op_fail(out, 500, "internal", "the call's IVR session cannot"
		    " be read");
		goto out;
	}
	at.id = sess.flow;
	at.version = sess.version;
	at.flow = flow;
	ivr_feed(db, out, company, call, &at, &s, &in->input);
	goto out;
fail:
	db_rollback(db);
	op_fail_db(out, db);
out:
	free(err);
	json_decref(st);
	ivr_at_free(&at);
	ivr_session_free(&s);
	ivr_flow_free(flow);
	if (c != NULL)
		call_rows_free(c);
	free(sess.state);
}

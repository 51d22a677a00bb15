/*
 * Calls over the socket (docs/ws.md, "Calls and signaling"): offers pushed
 * to the agent the ACD chose, accept/reject/hold/resume/transfer/hangup
 * through the hub (hub_call, the REST API's path), the caller's position
 * while waiting, and WebRTC signaling (sdp.offer, sdp.answer,
 * ice.candidate) relayed between a call's two parties only, and the
 * supervisor's (supervise.offer, supervise.answer, supervise.ice) between
 * a supervised call's agent and its supervisor only.
 *
 * The loop keeps a table of live calls someone here takes part in, fed by
 * the event bus: who the caller's socket is, which agent the call is
 * offered to or connected with, and which of that agent's sockets took
 * it. Relaying needs nothing else, so it never waits for the database.
 * When a party's socket goes, the call goes on through the hub: a caller
 * who leaves abandons (or ends) the call; an agent who leaves while a call
 * is offered is set away, which withdraws the offer for the next agent;
 * an agent's socket that took a call ends it when it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"
#include "call.h"
#include "acd.h"
#include "hub.h"
#include "db-agent.h"
#include "db-call.h"
#include "validate.h"
#include "db-widget.h"
#include "ws-check.h"
#include "ws-int.h"
#include "owner.h"
#include "cluster-events.h"
#include "op.h"
#include "op-forward.h"
#include "validate.h"

#define BUCKETS		1024
#define MAX_OFFERED	8	/* agents one call rings at once (ring_all) */
#define MAX_RINGING	16	/* offers pushed to an agent's new socket */
#define RELAY_RATE	50	/* relayed messages a second per socket */
#define RELAY_BURST	200
#define POSITIONS_EVERY	1.0	/* seconds between position updates */
#define POSITIONS_MAX	2000	/* calls per position job */

struct lcall {
	char		 id[UUID_LEN + 1];
	char		 company[UUID_LEN + 1];
	enum call_state	 st;
	char		 media[16];
	struct conn	*caller;	/* the widget caller's socket */
	char		 agent[UUID_LEN + 1];	/* offered to or connected */
	char		 offered[MAX_OFFERED][UUID_LEN + 1];	/* ringing */
	int		 noffered;
	struct conn	*agent_conn;	/* the agent's socket that took it */
	int		 pos, ewt;	/* last sent to the caller; -2: none */
	json_t		*offer_media;	/* of the last sdp.offer */
	char		 super[UUID_LEN + 1];	/* supervising user, via browser */
	struct conn	*super_conn;	/* the supervisor's socket that signaled */
	struct lcall	*next;
};

static struct lcall	*table[BUCKETS];
static int		 nsupervised;	/* calls with a super */
static int		 positions_busy, positions_now;
static double		 positions_at;

/* ---- the table ---------------------------------------------------------- */

static unsigned
bucket(const char *id)
{
	unsigned	 h = 5381;

	for (; *id != '\0'; id++)
		h = h * 33 + (unsigned char)*id;
	return h % BUCKETS;
}

static struct lcall *
lcall_find(const char *id)
{
	struct lcall	*lc;

	for (lc = table[bucket(id)]; lc != NULL; lc = lc->next) {
		if (strcmp(lc->id, id) == 0)
			return lc;
	}
	return NULL;
}

static struct lcall *
lcall_new(const char *id, const char *company)
{
	struct lcall	*lc = xcalloc(1, sizeof *lc);
	unsigned	 b = bucket(id);

	strlcpy_(lc->id, id, sizeof lc->id);
	strlcpy_(lc->company, company, sizeof lc->company);
	lc->st = CALL_NEW;
	lc->pos = lc->ewt = -2;
	lc->next = table[b];
	table[b] = lc;
	return lc;
}

static void
lcall_free(struct lcall *lc)
{
	struct lcall	**pp;

	for (pp = &table[bucket(lc->id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == lc) {
			*pp = lc->next;
			break;
		}
	}
	if (lc->caller != NULL)
		lc->caller->call[0] = '\0';
	if (lc->super[0] != '\0')
		nsupervised--;
	json_decref(lc->offer_media);
	free(lc);
}

void
ws_signal_clear(void)
{
	struct lcall	*lc, *next;

	for (int b = 0; b < BUCKETS; b++) {
		for (lc = table[b]; lc != NULL; lc = next) {
			next = lc->next;
			if (lc->caller != NULL)
				lc->caller->call[0] = '\0';
			json_decref(lc->offer_media);
			free(lc);
		}
		table[b] = NULL;
	}
	nsupervised = 0;
}

/* ---- sending to a call's parties ---------------------------------------- */

/*
 * Relayed messages count against the receiver's bounded queue (a party
 * that cannot keep up is a slow consumer, 4008); the server's own are
 * replies and are not bounded.
 */
static void
send_to(struct conn *c, json_t *o, int relayed)
{
	struct msg	*m;

	if (!relayed) {
		ws_send(c, o);
		return;
	}
	m = ws_msg_json(o);
	ws_enqueue(c, m, 1);
	ws_msg_unref(m);
}

/* The agent's side: the socket that took the call, or all its sockets. */
static int
to_agent_r(const struct lcall *lc, json_t *o, int relayed)
{
	int	 n = 0;

	if (lc->agent[0] == '\0') {
		json_decref(o);
		return 0;
	}
	if (lc->agent_conn != NULL) {
		if (lc->agent_conn->close_code == 0) {
			send_to(lc->agent_conn, o, relayed);
			return 1;
		}
		json_decref(o);
		return 0;
	}
	for (struct sub *s = ws_index_first(IX_AGENT, 0, lc->agent);
	    s != NULL; s = s->next) {
		struct conn *c = s->c;

		if (c->state != C_AUTHED || c->caller || c->close_code != 0 ||
		    strcmp(c->agent, lc->agent) != 0)
			continue;
		send_to(c, json_incref(o), relayed);
		n++;
	}
	json_decref(o);
	return n;
}

static int
to_agent(const struct lcall *lc, json_t *o)
{
	return to_agent_r(lc, o, 0);
}

/* Every socket of an agent (offers ring on all of them). */
static void
to_agent_id(const char *agent, json_t *o)
{
	for (struct sub *s = ws_index_first(IX_AGENT, 0, agent); s != NULL;
	    s = s->next) {
		struct conn *c = s->c;

		if (c->state == C_AUTHED && !c->caller && c->close_code == 0 &&
		    strcmp(c->agent, agent) == 0)
			ws_send(c, json_incref(o));
	}
	json_decref(o);
}

static int
offered_to(const struct lcall *lc, const char *agent)
{
	for (int i = 0; i < lc->noffered; i++) {
		if (strcmp(lc->offered[i], agent) == 0)
			return 1;
	}
	return 0;
}

/* The call rings no more: tell each agent it rang for, but keep. */
static void
offers_end(struct lcall *lc, const char *keep, const char *reason)
{
	for (int i = 0; i < lc->noffered; i++) {
		if (keep != NULL && strcmp(lc->offered[i], keep) == 0)
			continue;
		to_agent_id(lc->offered[i], json_pack("{s:s,s:s,s:s}", "type",
		    "call.offer_cancelled", "call_id", lc->id, "reason", reason));
	}
	lc->noffered = 0;
}

static int
to_caller_r(const struct lcall *lc, json_t *o, int relayed)
{
	if (lc->caller == NULL || lc->caller->close_code != 0) {
		json_decref(o);
		return 0;
	}
	send_to(lc->caller, o, relayed);
	return 1;
}

static int
to_caller(const struct lcall *lc, json_t *o)
{
	return to_caller_r(lc, o, 0);
}

/*
 * The supervisor's side: the socket that signaled last, or (before it
 * has) every socket of the supervising user on this node. The scan of all
 * sockets happens once a supervision: the supervisor's page offers first.
 */
static int
to_super_r(const struct lcall *lc, json_t *o, int relayed)
{
	int	 n = 0;

	if (lc->super[0] == '\0') {
		json_decref(o);
		return 0;
	}
	if (lc->super_conn != NULL && lc->super_conn->close_code == 0) {
		send_to(lc->super_conn, o, relayed);
		return 1;
	}
	for (struct conn *c = ws_conns; c != NULL; c = c->next) {
		if (c->state != C_AUTHED || c->caller || c->close_code != 0 ||
		    strcmp(c->user, lc->super) != 0)
			continue;
		send_to(c, json_incref(o), relayed);
		n++;
	}
	json_decref(o);
	return n;
}

/* What a caller may see of their call: its id, state and media. */
static json_t *
caller_view(const char *type, const struct lcall *lc)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "type", type, "call_id", lc->id,
	    "state", call_state_name(lc->st), "media", lc->media);
}

static json_t *
agent_view(const char *type, const struct lcall *lc, const json_t *data)
{
	return json_pack("{s:s,s:s,s:s,s:O?}", "type", type, "call_id", lc->id,
	    "state", call_state_name(lc->st), "call", data);
}

/* ---- jobs: operations (op.h) ------------------------------------------- */

static void
op_job_run(struct db *db, struct wsjob *j)
{
	struct actor	 a = { .kind = (enum actor_kind)j->actor,
			    .role = j->role, .company = j->company,
			    .user = j->user[0] != '\0' ? j->user : NULL,
			    .call = j->own_call };
	struct op_in	 in = { 0 };
	struct op_out	 out;
	struct fields	 f;

	fields_init(&f);
	op_in_parse((enum op_id)j->op, j->in, 0, &in, &f);	/* checked */
	fields_free(&f);
	op_run(db, (enum op_id)j->op, &a, &in, &out);
	if (out.status >= 400) {
		/* Another's call or none: the same answer (never reveal which). */
		if (strcmp(out.code, "not_found") == 0)
			ws_job_fail(j, "not_a_party", "no such call of yours");
		else if (out.field != NULL)
			ws_job_fail(j, out.code, "%s: %s", out.field, out.detail);
		else
			ws_job_fail(j, out.code, "%s", out.detail);
	} else if (out.state != NULL)
		j->out = json_pack("{s:s}", "state", out.state);
	op_out_free(&out);
}

static void
op_done(struct wsjob *j)
{
	struct conn	*c = j->c;
	struct lcall	*lc;
	json_t		*ack;

	if (j->failed) {
		if (c != NULL)
			ws_reply_error(c, j->id, j->code, j->detail);
		else if (strcmp(j->code, "illegal_transition") != 0 &&
		    strcmp(j->code, "not_a_party") != 0 &&
		    strcmp(j->code, "not_supervised") != 0 &&
		    strcmp(j->code, "not_connected") != 0)
			log_warn("ws: after a dropped socket, call %s: %s",
			    j->call, j->detail);
		return;
	}
	if (c == NULL)
		return;
	if (j->op == OP_CALL_ANSWER && (lc = lcall_find(j->call)) != NULL &&
	    strcmp(lc->agent, c->agent) == 0)
		lc->agent_conn = c;
	ack = json_pack("{s:s,s:O?}", "type", "ack", "state",
	    json_object_get(j->out, "state"));
	if (j->op != OP_AGENT_STATE)
		json_object_set_new(ack, "call_id", json_string(j->call));
	ws_reply(c, ack, j->id);
}

/*
 * Run an operation for c's user or caller; with c NULL, for a socket that
 * has gone (the daemon acts, recording user). Steals in, the operation's
 * input (op_in_parse()'s keys).
 */
static void
op_submit(struct conn *c, json_t *id, enum op_id op, const char *company,
    const char *user, json_t *in)
{
	struct wsjob	*j = ws_job_new(op_job_run, op_done);
	const char	*call = json_string_value(json_object_get(in, "call_id"));

	j->op = op;
	j->actor = c == NULL ? ACTOR_SYSTEM : c->caller ? ACTOR_CALLER :
	    ACTOR_USER;
	j->role = c != NULL ? c->role : ROLE_NONE;
	j->id = json_incref(id);
	j->in = in;
	strlcpy_(j->company, company, sizeof j->company);
	strlcpy_(j->call, call != NULL ? call : "", sizeof j->call);
	strlcpy_(j->user, user != NULL ? user : "", sizeof j->user);
	if (c != NULL && c->caller)
		strlcpy_(j->own_call, c->call, sizeof j->own_call);
	ws_job_submit(c, j);
}

/* The daemon hangs up a call whose party's socket has gone. */
static void
hangup_for(const char *company, const char *call, const char *user,
    const char *reason)
{
	op_submit(NULL, NULL, OP_CALL_HANGUP, company, user, json_pack(
	    "{s:s,s:s}", "call_id", call, "reason", reason));
}

/* ---- events from the bus ------------------------------------------------ */

static int
live(enum call_state st)
{
	return st == CALL_CONNECTED || st == CALL_ON_HOLD;
}

/*
 * call.supervised: who may signal with the call's agent now. A supervisor
 * over the phone has no page to signal from; off (or a call that ended)
 * leaves nobody.
 */
static void
supervised(struct lcall *lc, const struct pend *p)
{
	json_t		*ev = NULL;
	const json_t	*sv = json_object_get(p->data, "supervision");
	const char	*user, *mode, *via;
	int		 on;

	/* Kept from agents in p->data (ws.c); the message has it. */
	if (!json_is_object(sv) && p->m != NULL) {
		ev = json_loadb((const char *)p->m->buf + LWS_PRE, p->m->len, 0,
		    NULL);
		sv = json_object_get(json_object_get(ev, "data"), "supervision");
	}
	user = json_string_value(json_object_get(sv, "supervisor_id"));
	mode = json_string_value(json_object_get(sv, "mode"));
	via = json_string_value(json_object_get(sv, "via"));
	on = user != NULL && is_uuid(user) && mode != NULL &&
	    strcmp(mode, "off") != 0 && via != NULL &&
	    strcmp(via, "browser") == 0;
	if (on && strcmp(lc->super, user) == 0)
		goto out;			/* a new mode: same parties */
	if (lc->super[0] != '\0')
		nsupervised--;
	lc->super[0] = '\0';
	lc->super_conn = NULL;
	if (on) {
		strlcpy_(lc->super, user, sizeof lc->super);
		nsupervised++;
	}
out:
	json_decref(ev);
}

void
ws_signal_event(struct pend *p)
{
	struct lcall	*lc;
	enum call_state	 st, was;
	const char	*media;

	if (p->call[0] == '\0' || call_state_parse(p->state, &st) != 0)
		return;
	if ((lc = lcall_find(p->call)) == NULL) {
		if (call_is_final(st) || st == CALL_WRAP_UP)
			return;
		lc = lcall_new(p->call, p->company);
	}
	was = lc->st;
	lc->st = st;
	if ((media = json_string_value(json_object_get(p->data, "media"))) != NULL)
		strlcpy_(lc->media, media, sizeof lc->media);
	if (strcmp(p->event, "call.supervised") == 0)
		supervised(lc, p);

	/* The agent's side. */
	if (live(was) && !live(st) && lc->agent[0] != '\0')
		to_agent(lc, json_pack("{s:s,s:s,s:s,s:s}", "type", "call.hangup",
		    "call_id", lc->id, "state", p->state, "reason", p->event));
	if (was == CALL_OFFERING && st != CALL_OFFERING)
		offers_end(lc, st == CALL_CONNECTED ? p->agent : NULL, p->event);
	if (st == CALL_OFFERING && p->agent[0] != '\0') {
		/* Ringing one more agent (ring_all), or a new offer. */
		if (!offered_to(lc, p->agent) && lc->noffered < MAX_OFFERED)
			strlcpy_(lc->offered[lc->noffered++], p->agent,
			    sizeof lc->offered[0]);
		strlcpy_(lc->agent, p->agent, sizeof lc->agent);
		lc->agent_conn = NULL;
		to_agent_id(p->agent, agent_view("call.offer", lc, p->data));
	} else if (st == CALL_CONNECTED && !live(was)) {
		strlcpy_(lc->agent, p->agent, sizeof lc->agent);
		to_agent(lc, agent_view("call.connected", lc, p->data));
	} else if (live(st) && live(was) && st != was)
		to_agent(lc, agent_view(st == CALL_ON_HOLD ? "call.hold" :
		    "call.resume", lc, p->data));
	else if (!live(st) && st != CALL_OFFERING) {
		lc->agent[0] = '\0';
		lc->agent_conn = NULL;
	}

	/* The caller's side. */
	if (st == CALL_QUEUED && was != CALL_QUEUED) {
		lc->pos = lc->ewt = -2;
		positions_now = 1;
	}
	if (st == CALL_CONNECTED && !live(was))
		to_caller(lc, caller_view("call.connected", lc));
	else if (live(st) && live(was) && st != was)
		to_caller(lc, caller_view(st == CALL_ON_HOLD ? "call.hold" :
		    "call.resume", lc));
	else if (live(was) && (st == CALL_OFFERING || st == CALL_QUEUED))
		to_caller(lc, caller_view("call.transferred", lc));
	if (call_is_final(st) || st == CALL_WRAP_UP) {
		json_t *o = caller_view("call.hangup", lc);

		json_object_set_new(o, "reason", json_string(p->event));
		to_caller(lc, o);
		lcall_free(lc);
	}
}

/* A caller's new call (c NULL: the socket went meanwhile). */
void
ws_signal_caller_call(struct conn *c, const char *call, const char *company,
    const char *state)
{
	struct lcall	*lc;
	enum call_state	 st;

	if (call == NULL || state == NULL || call_state_parse(state, &st) != 0)
		return;
	if (c == NULL) {
		if (!call_is_final(st))
			hangup_for(company, call, NULL, "caller_disconnected");
		return;
	}
	strlcpy_(c->call, call, sizeof c->call);
	if ((lc = lcall_find(call)) == NULL) {
		if (call_is_final(st) || st == CALL_WRAP_UP) {
			ws_send(c, json_pack("{s:s,s:s,s:s,s:s}", "type",
			    "call.hangup", "call_id", call, "state", state,
			    "reason", "call.ended"));
			c->call[0] = '\0';
			return;
		}
		lc = lcall_new(call, company);
		lc->st = st;
	}
	lc->caller = c;
	if (lc->media[0] == '\0')
		strlcpy_(lc->media, "voice", sizeof lc->media);
	if (live(lc->st))
		to_caller(lc, caller_view("call.connected", lc));
	else if (lc->st == CALL_QUEUED || lc->st == CALL_OFFERING)
		positions_now = 1;
}

/* ---- an agent's socket opens -------------------------------------------- */

/* Calls ringing for the agent already: offered before the socket opened. */
static void
ringing_run(struct db *db, struct wsjob *j)
{
	struct call_filter	 f = { .state = "offering", .agent = j->agent };
	struct page		 pg;
	struct call_rows	*r;

	memset(&pg, 0, sizeof pg);
	pg.limit = MAX_RINGING;
	snprintf(pg.limit_str, sizeof pg.limit_str, "%d", MAX_RINGING + 1);
	if ((r = db_call_list(db, j->company, &f, &pg)) == NULL) {
		j->failed = 1;
		return;
	}
	j->out = json_array();
	for (int i = 0; i < r->n && i < MAX_RINGING; i++)
		json_array_append_new(j->out, call_row_json(&r->v[i]));
	call_rows_free(r);
}

static void
ringing_done(struct wsjob *j)
{
	struct lcall	*lc;
	json_t		*call;
	size_t		 i;
	const char	*id;

	if (j->c == NULL || j->failed)
		return;
	json_array_foreach(j->out, i, call) {
		id = json_string_value(json_object_get(call, "id"));
		if (id == NULL)
			continue;
		if ((lc = lcall_find(id)) == NULL) {
			lc = lcall_new(id, j->company);
			lc->st = CALL_OFFERING;
			strlcpy_(lc->media, json_string_value(json_object_get(call,
			    "media")) ? json_string_value(json_object_get(call,
			    "media")) : "voice", sizeof lc->media);
		}
		if (lc->st != CALL_OFFERING)
			continue;
		if (!offered_to(lc, j->agent) && lc->noffered < MAX_OFFERED)
			strlcpy_(lc->offered[lc->noffered++], j->agent,
			    sizeof lc->offered[0]);
		strlcpy_(lc->agent, j->agent, sizeof lc->agent);
		ws_send(j->c, agent_view("call.offer", lc, call));
	}
}

/* An agent's socket signed in: push the offers already ringing for them. */
void
ws_signal_agent(struct conn *c)
{
	struct wsjob	*j = ws_job_new(ringing_run, ringing_done);

	strlcpy_(j->company, c->company, sizeof j->company);
	strlcpy_(j->agent, c->agent, sizeof j->agent);
	ws_job_submit(c, j);
}

/* ---- positions while waiting -------------------------------------------- */

static void
positions_run(struct db *db, struct wsjob *j)
{
	json_t	*v;
	size_t	 i;
	int	 pos, ewt;

	j->out = json_array();
	/* The company's owner knows (op_position(): here or forwarded). */
	json_array_foreach(j->in, i, v) {
		if (op_position(json_string_value(json_object_get(v, "company")),
		    json_string_value(json_object_get(v, "id")), &pos,
		    &ewt) == 0)
			json_array_append_new(j->out, json_pack("{s:O,s:i,s:i}",
			    "id", json_object_get(v, "id"), "pos", pos,
			    "ewt", ewt));
	}
}

static void
positions_done(struct wsjob *j)
{
	struct lcall	*lc;
	json_t		*v;
	size_t		 i;
	int		 pos, ewt;

	positions_busy = 0;
	json_array_foreach(j->out, i, v) {
		lc = lcall_find(json_string_value(json_object_get(v, "id")));
		pos = (int)json_integer_value(json_object_get(v, "pos"));
		ewt = (int)json_integer_value(json_object_get(v, "ewt"));
		if (lc == NULL || lc->caller == NULL || lc->st != CALL_QUEUED ||
		    pos <= 0 || (pos == lc->pos && ewt == lc->ewt))
			continue;
		lc->pos = pos;
		lc->ewt = ewt;
		to_caller(lc, json_pack("{s:s,s:s,s:i,s:o}", "type",
		    "call.queued", "call_id", lc->id, "position", pos,
		    "estimated_wait", ewt < 0 ? json_null() : json_integer(ewt)));
	}
}

/* From the sweep timer: ask the hub for waiting callers' positions. */
void
ws_signal_tick(void)
{
	struct wsjob	*j;
	json_t		*ids = NULL;
	double		 now = now_mono();

	if (positions_busy || (!positions_now && now < positions_at))
		return;
	positions_at = now + POSITIONS_EVERY;
	positions_now = 0;
	for (int b = 0; b < BUCKETS; b++) {
		for (struct lcall *lc = table[b]; lc != NULL; lc = lc->next) {
			if (lc->caller == NULL || lc->st != CALL_QUEUED)
				continue;
			if (ids == NULL)
				ids = json_array();
			if (json_array_size(ids) < POSITIONS_MAX)
				json_array_append_new(ids, json_pack("{s:s,s:s}",
				    "id", lc->id, "company", lc->company));
		}
	}
	if (ids == NULL)
		return;
	j = ws_job_new(positions_run, positions_done);
	j->in = ids;
	positions_busy = 1;
	ws_job_submit(NULL, j);
}

/* ---- a socket goes ------------------------------------------------------ */

/* A user's open staff sockets here: 1 if one other than but is. */
static int
user_open(const char *user, const struct conn *but)
{
	for (struct conn *c = ws_conns; c != NULL; c = c->next) {
		if (c != but && c->state == C_AUTHED && !c->caller &&
		    c->close_code == 0 && strcmp(c->user, user) == 0)
			return 1;
	}
	return 0;
}

/*
 * A supervisor's socket went: never dangling; when it was her last one
 * here, her page and its peer connection are gone, so her supervisions
 * through the browser end as if she had sent mode off (as her: the
 * operation takes only a signed-in user). A shutdown ends nothing.
 */
static void
super_closed(struct conn *c, int shutdown)
{
	int	 other;

	if (c->caller || c->user[0] == '\0')
		return;
	other = shutdown || user_open(c->user, c);
	for (int b = 0; b < BUCKETS; b++) {
		for (struct lcall *lc = table[b]; lc != NULL; lc = lc->next) {
			struct wsjob *j;

			if (lc->super_conn == c)
				lc->super_conn = NULL;
			if (other || strcmp(lc->super, c->user) != 0)
				continue;
			j = ws_job_new(op_job_run, op_done);
			j->op = OP_CALL_SUPERVISE;
			j->actor = ACTOR_USER;
			j->role = c->role;
			j->in = json_pack("{s:s,s:s}", "call_id", lc->id,
			    "mode", "off");
			strlcpy_(j->company, lc->company, sizeof j->company);
			strlcpy_(j->call, lc->id, sizeof j->call);
			strlcpy_(j->user, c->user, sizeof j->user);
			ws_job_submit(NULL, j);
		}
	}
}

void
ws_signal_closed(struct conn *c)
{
	/* Closed by a shutdown: calls outlive the daemon (see DESIGN.md). */
	int		 shutdown = c->close_code == LWS_CLOSE_STATUS_GOINGAWAY;
	struct lcall	*lc;

	if (c->state != C_AUTHED)
		return;
	if (c->caller) {
		if ((lc = lcall_find(c->call)) == NULL || lc->caller != c)
			return;
		lc->caller = NULL;
		if (!shutdown)
			hangup_for(lc->company, lc->id, NULL,
			    "caller_disconnected");
		return;
	}
	if (nsupervised > 0)
		super_closed(c, shutdown);
	if (c->agent[0] == '\0')
		return;
	/* The socket that took a call ends it. */
	for (int b = 0; b < BUCKETS; b++) {
		for (lc = table[b]; lc != NULL; lc = lc->next) {
			if (lc->agent_conn != c)
				continue;
			lc->agent_conn = NULL;	/* never dangling */
			if (live(lc->st) && !shutdown &&
			    strcmp(lc->agent, c->agent) == 0)
				hangup_for(lc->company, lc->id, c->user,
				    "agent_disconnected");
		}
	}
	/* Her last socket, here and on every node: ws-presence.c. */
	ws_presence_closed(c, shutdown);
}

/* ---- messages ----------------------------------------------------------- */

/* Which side of the call c is: 1 the caller, 2 the agent, 0 neither. */
static int
side(const struct conn *c, const struct lcall *lc)
{
	if (lc == NULL)
		return 0;
	if (c->caller)
		return lc->caller == c ? 1 : 0;
	if (c->agent[0] != '\0' && strcmp(c->agent, lc->agent) == 0 &&
	    strcmp(c->company, lc->company) == 0 &&
	    (lc->agent_conn == NULL || lc->agent_conn == c))
		return 2;
	return 0;
}

static void
media_run(struct db *db, struct wsjob *j)
{
	char	*text = json_dumps(j->in, JSON_COMPACT);

	if (db_call_media_used(db, j->company, j->call, text) != 0)
		j->failed = 1;
	free(text);
}

static void
media_done(struct wsjob *j)
{
	if (j->failed)
		log_warn("ws: call %s: the media used could not be recorded",
		    j->call);
}

/* A token of the socket's relay bucket (RELAY_RATE/s, RELAY_BURST). */
static int
relay_take(struct conn *c)
{
	double	 now = now_mono();

	if (c->relay_at == 0)
		c->relay_tokens = RELAY_BURST;
	else
		c->relay_tokens += (now - c->relay_at) * RELAY_RATE;
	if (c->relay_tokens > RELAY_BURST)
		c->relay_tokens = RELAY_BURST;
	c->relay_at = now;
	if (c->relay_tokens < 1)
		return 0;
	c->relay_tokens -= 1;
	return 1;
}

/*
 * A party whose socket is not on this node may be on another (a
 * cluster: docs/cluster.md, "Signaling over the nodes"): the message goes
 * to every other node, which hands it to the party's sockets there
 * (ws_signal_relayed()). Sent is as good as relayed: 1; 0 when there is
 * no other node.
 */
static int
relay_remote(const struct lcall *lc, const char *to, json_t *o)
{
	json_t	*m;
	int	 rc;

	if (owner_peers() == 0)
		return 0;
	/* Who the party is, as this node knows: the receiver's table may
	 * not have heard of the answer or the supervision yet. */
	m = json_pack("{s:s,s:s,s:s,s:s,s:O}", "call_id", lc->id, "to", to,
	    "agent", lc->agent, "supervisor", lc->super, "message", o);
	rc = cluster_events_send(lc->company, WS_RELAY_EVENT, m);
	json_decref(m);
	return rc == 0;
}

/* What the offer proposed is what an answer accepts (media_run()). */
static void
note_offer(struct lcall *lc, json_t *media)
{
	json_decref(lc->offer_media);
	lc->offer_media = media != NULL ? json_incref(media) :
	    json_pack("[s]", lc->media);
}

/*
 * The relay's recipients here: the company's agent's sockets, or the
 * supervising user's (an admin supervises whatever her socket's company).
 */
static void
to_user_sockets(const char *company, const char *agent, const char *user,
    json_t *o)
{
	for (struct conn *c = ws_conns; c != NULL; c = c->next) {
		if (c->state != C_AUTHED || c->caller || c->close_code != 0)
			continue;
		if (agent != NULL ? strcmp(c->company, company) == 0 &&
		    strcmp(c->agent, agent) == 0 : strcmp(c->user, user) == 0)
			send_to(c, json_incref(o), 1);
	}
}

/*
 * Another node's relay. The sending node checked the sender (a party to
 * the call, live, the message's shape); this one finds the party here.
 * Events and relays come from different nodes in no common order, so
 * who the party is comes with the relay when this node's table has not
 * heard of it yet.
 */
void
ws_signal_relayed(struct pend *p)
{
	const char	*call = json_string_value(json_object_get(p->data,
			    "call_id"));
	const char	*to = json_string_value(json_object_get(p->data, "to"));
	const char	*agent = json_string_value(json_object_get(p->data,
			    "agent"));
	const char	*super = json_string_value(json_object_get(p->data,
			    "supervisor"));
	json_t		*o = json_object_get(p->data, "message");
	const char	*type = json_string_value(json_object_get(o, "type"));
	struct lcall	*lc = call != NULL ? lcall_find(call) : NULL;

	if (to == NULL || type == NULL ||
	    (lc != NULL && strcmp(lc->company, p->company) != 0))
		return;
	if (lc != NULL && strcmp(type, "sdp.offer") == 0)
		note_offer(lc, json_object_get(o, "media"));
	if (strcmp(to, "caller") == 0) {
		if (lc != NULL)
			to_caller_r(lc, json_incref(o), 1);
	} else if (lc != NULL && (strcmp(to, "agent") == 0 ?
	    lc->agent_conn != NULL : lc->super_conn != NULL)) {
		if (strcmp(to, "agent") == 0)
			to_agent_r(lc, json_incref(o), 1);
		else
			to_super_r(lc, json_incref(o), 1);
	} else if (strcmp(to, "agent") == 0 && agent != NULL && *agent != '\0')
		to_user_sockets(p->company, agent, NULL, o);
	else if (strcmp(to, "supervisor") == 0 && super != NULL &&
	    *super != '\0')
		to_user_sockets(p->company, NULL, super, o);
}

/* sdp.offer, sdp.answer, ice.candidate: to the other party only. */
static void
relay(struct conn *c, const char *type, json_t *req, json_t *id)
{
	const char	*call = json_string_value(json_object_get(req, "call_id"));
	json_t		*sdp = json_object_get(req, "sdp");
	json_t		*cand = json_object_get(req, "candidate");
	json_t		*media = json_object_get(req, "media"), *o;
	int		 ice = strcmp(type, "ice.candidate") == 0, s, n;
	struct lcall	*lc;
	const char	*why;

	if (call == NULL || !is_uuid(call))
		return ws_reply_error(c, id, "bad_request",
		    "\"call_id\" must be a UUID");
	if ((s = side(c, lc = lcall_find(call))) == 0)
		return ws_reply_error(c, id, "not_a_party",
		    "no such call of yours");
	if (!relay_take(c))
		return ws_reply(c, json_pack("{s:s,s:s,s:s,s:i}", "type", "error",
		    "code", "rate_limited", "message", "more than"
		    " 50 signaling messages a second", "retry_after", 1), id);
	if (!live(lc->st))
		return ws_reply_error(c, id, "not_connected",
		    "the call is not connected");
	if ((why = ws_check_relay(type, req)) != NULL)
		return ws_reply_error(c, id, "bad_request", why);
	o = json_pack("{s:s,s:s,s:s}", "type", type, "call_id", lc->id,
	    "from", s == 1 ? "caller" : "agent");
	json_object_set(o, ice ? "candidate" : "sdp", ice ? cand : sdp);
	if (media != NULL)
		json_object_set(o, "media", media);
	n = s == 1 ? to_agent_r(lc, json_incref(o), 1) :
	    to_caller_r(lc, json_incref(o), 1);
	if (n == 0)
		n = relay_remote(lc, s == 1 ? "agent" : "caller", o);
	json_decref(o);
	if (n == 0)
		return ws_reply_error(c, id, "peer_unavailable",
		    "the other party has no socket open");
	if (id != NULL)
		ws_reply(c, json_pack("{s:s,s:s}", "type", "ack", "call_id",
		    lc->id), id);
	/* What an answer accepts is what the call used. */
	if (strcmp(type, "sdp.offer") == 0)
		note_offer(lc, media);
	else if (strcmp(type, "sdp.answer") == 0) {
		struct wsjob *j = ws_job_new(media_run, media_done);

		j->in = media != NULL ? json_incref(media) :
		    lc->offer_media != NULL ? json_incref(lc->offer_media) :
		    json_pack("[s]", lc->media);
		strlcpy_(j->company, lc->company, sizeof j->company);
		strlcpy_(j->call, lc->id, sizeof j->call);
		ws_job_submit(NULL, j);
	}
}

/*
 * supervise.offer, supervise.answer, supervise.ice: between a supervised
 * call's agent and its supervisor only (docs/ws.md, "Supervising a browser
 * call"). Anyone else, another company's call and no call at all get the
 * same answer.
 */
static void
relay_super(struct conn *c, const char *type, json_t *req, json_t *id)
{
	const char	*call = json_string_value(json_object_get(req, "call_id"));
	int		 ice = strcmp(type, "supervise.ice") == 0, agent, n;
	struct lcall	*lc;
	const char	*why;
	json_t		*o;

	if (call == NULL || !is_uuid(call))
		return ws_reply_error(c, id, "bad_request",
		    "\"call_id\" must be a UUID");
	lc = lcall_find(call);
	if (lc == NULL || lc->super[0] == '\0' || c->caller)
		return ws_reply_error(c, id, "not_a_party",
		    "no such supervised call of yours");
	agent = side(c, lc) == 2;
	if (!agent && strcmp(c->user, lc->super) != 0)
		return ws_reply_error(c, id, "not_a_party",
		    "no such supervised call of yours");
	if (!relay_take(c))
		return ws_reply(c, json_pack("{s:s,s:s,s:s,s:i}", "type", "error",
		    "code", "rate_limited", "message", "more than"
		    " 50 signaling messages a second", "retry_after", 1), id);
	if (!live(lc->st))
		return ws_reply_error(c, id, "not_connected",
		    "the call is not connected");
	if ((why = ws_check_relay(type, req)) != NULL)
		return ws_reply_error(c, id, "bad_request", why);
	o = json_pack("{s:s,s:s,s:s}", "type", type, "call_id", lc->id,
	    "from", agent ? "agent" : "supervisor");
	json_object_set(o, ice ? "candidate" : "sdp", json_object_get(req,
	    ice ? "candidate" : "sdp"));
	if (!agent)
		lc->super_conn = c;
	n = agent ? to_super_r(lc, json_incref(o), 1) :
	    to_agent_r(lc, json_incref(o), 1);
	if (n == 0)
		n = relay_remote(lc, agent ? "supervisor" : "agent", o);
	json_decref(o);
	if (n == 0)
		return ws_reply_error(c, id, "peer_unavailable",
		    "the other party has no socket open");
	if (id != NULL)
		ws_reply(c, json_pack("{s:s,s:s}", "type", "ack", "call_id",
		    lc->id), id);
}

/* An operation's message: its input checked here, run on a job. */
static void
op_message(struct conn *c, enum op_id op, json_t *req, json_t *id)
{
	struct op_in	 in = { 0 };
	struct fields	 f;
	json_t		*e, *msg;

	if (op == OP_AGENT_STATE) {
		if (c->caller || c->agent[0] == '\0')
			return ws_reply_error(c, id, "forbidden",
			    "only an agent sets their state");
		in.agent = c->agent;
	} else if (!c->caller && c->agent[0] == '\0' &&
	    op != OP_CALL_SUPERVISE)
		/* A manager is no party: she supervises here, or uses the
		 * REST API. */
		return ws_reply_error(c, id, "not_a_party",
		    "only the call's agent and caller act on it here");
	fields_init(&f);
	if (op_in_parse(op, req, 0, &in, &f) != 0) {
		e = json_array_get(f.errors, 0);
		msg = json_sprintf("\"%s\" %s", json_string_value(json_object_get(
		    e, "field")), json_string_value(json_object_get(e,
		    "message")));
		ws_reply_error(c, id, "bad_request", json_string_value(msg));
		json_decref(msg);
		fields_free(&f);
		return;
	}
	fields_free(&f);
	req = json_deep_copy(req);
	json_object_del(req, "id");
	if (op == OP_AGENT_STATE)
		json_object_set_new(req, "agent_id", json_string(c->agent));
	op_submit(c, id, op, c->company, c->caller ? NULL : c->user, req);
}

/* 1 if the message was about calls; answered. */
int
ws_signal_message(struct conn *c, const char *type, json_t *req, json_t *id)
{
	const struct op_def	*d;

	if (strcmp(type, "sdp.offer") == 0 || strcmp(type, "sdp.answer") == 0 ||
	    strcmp(type, "ice.candidate") == 0) {
		relay(c, type, req, id);
		return 1;
	}
	if (strcmp(type, "supervise.offer") == 0 ||
	    strcmp(type, "supervise.answer") == 0 ||
	    strcmp(type, "supervise.ice") == 0) {
		relay_super(c, type, req, id);
		return 1;
	}
	if ((d = op_by_ws(type)) != NULL) {
		op_message(c, d->id, req, id);
		return 1;
	}
	return 0;
}

/*
 * The hub. One mutex guards the engine; every operation takes it, writes
 * the database, applies the change to the engine and publishes before it
 * lets go, so subscribers see one call's events in the order they happened
 * (event callbacks only queue, they never block).
 * Holding the lock across the (short) write keeps the engine and the
 * database in the same order. If a write fails after the engine moved,
 * the engine is rebuilt from the database before the next decision.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-agent.h"
#include "db-queue.h"
#include "db-call.h"
#include "events.h"
#include "hub.h"
#include "hub-int.h"

#define TICK_ACTIONS	64

struct hub hub = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

double
hub_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wake the hub thread: something may be offered. Lock held. */
void
hub_kick(void)
{
	hub.wake = 1;
	pthread_cond_signal(&hub.cond);
}

void
hub_result_set(struct hub_result *r, int status, const char *code,
    const char *detail)
{
	r->status = status;
	r->code = code;
	r->detail = detail;
}

void
hub_result_db(struct hub_result *r, struct db *db)
{
	if (db->err == DB_DOWN)
		hub_result_set(r, 503, "unavailable", "the database is unreachable;"
		    " try again shortly");
	else
		hub_result_set(r, 500, "internal", "the request failed; the error"
		    " has been logged");
}

static void
publish_agent(const PGresult *row)
{
	events_publish(PQgetvalue(row, 0, AGENT_C_COMPANY),
	    "agent.state_changed", json_pack("{s:s,s:s,s:o,s:o}",
	    "agent_id", PQgetvalue(row, 0, AGENT_C_ID),
	    "state", PQgetvalue(row, 0, AGENT_C_STATE),
	    "reason", PQgetisnull(row, 0, AGENT_C_REASON) ? json_null() :
	    json_string(PQgetvalue(row, 0, AGENT_C_REASON)),
	    "pending_state", PQgetisnull(row, 0, AGENT_C_PENDING) ? json_null() :
	    json_string(PQgetvalue(row, 0, AGENT_C_PENDING))));
}

void
hub_publish_call(const char *type, const PGresult *row)
{
	events_publish(PQgetvalue(row, 0, CALL_C_COMPANY), type,
	    call_json(row, 0));
	if (!PQgetisnull(row, 0, CALL_C_QUEUE))
		events_publish(PQgetvalue(row, 0, CALL_C_COMPANY),
		    "queue.updated", json_pack("{s:s}", "queue_id",
		    PQgetvalue(row, 0, CALL_C_QUEUE)));
}

/* Persist an agent's state and pending pause. 0 or -1. */
static int
agent_persist(struct db *db, const char *agent, enum agent_state st,
    const char *pending, const char *reason, int keep, PGresult **out)
{
	PGresult	*row;

	row = db_agent_state(db, agent, agent_state_name(st), reason, pending,
	    keep);
	if (row == NULL)
		return -1;
	if (PQntuples(row) == 1)
		publish_agent(row);
	if (out != NULL)
		*out = row;
	else
		PQclear(row);
	return 0;
}

/* Move a call (unscoped: the hub acts for the system); publish on success. */
enum call_move_result
hub_move(struct db *db, const char *call, const char *company,
    enum call_state from, enum call_state to, const char *event,
    const char *actor, const char *agent, const char *queue, json_t *data,
    PGresult **out)
{
	struct call_move	 m = {
		.call = call, .company = company, .from = from, .to = to,
		.event = event, .actor = actor, .agent = agent,
		/* Back in the queue or gone before an answer: no agent. */
		.clear_agent = agent == NULL && (to == CALL_QUEUED ||
		    (call_is_final(to) && from <= CALL_OFFERING)),
		.queue = queue, .data = data,
	};
	enum call_move_result	 r;
	PGresult		*row;

	r = call_move(db, &m, &row);
	if (r == MOVE_OK) {
		hub_publish_call(event, row);
		if (out != NULL)
			*out = row;
		else
			PQclear(row);
	}
	return r;
}

/*
 * An offer of call to agent ended unanswered (event: call.offer_missed,
 * call.rejected, call.offer_withdrawn), and the event names that agent.
 * While other (an agent the call still rings, or NULL) is given the call
 * stays offering with other as its agent, else it goes back to its queue.
 * Publish on success. Lock held.
 */
enum call_move_result
hub_offer_end(struct db *db, const char *call, const char *agent,
    const char *other, const char *event, const char *actor, json_t *data,
    PGresult **out)
{
	struct call_move	 m = {
		.call = call, .from = CALL_OFFERING,
		.to = other != NULL ? CALL_OFFERING : CALL_QUEUED,
		.event = event, .actor = actor, .agent = other,
		.clear_agent = other == NULL, .event_agent = agent, .data = data,
	};
	enum call_move_result	 r;
	PGresult		*row;

	if ((r = call_move(db, &m, &row)) == MOVE_OK) {
		hub_publish_call(event, row);
		if (out != NULL)
			*out = row;
		else
			PQclear(row);
	}
	return r;
}

/* The call's current state from the database, or -1. */
int
hub_call_state(struct db *db, const char *scope, const char *call,
    PGresult **row, enum call_state *st)
{
	if ((*row = db_call_get(db, scope, call)) == NULL)
		return -1;
	if (PQntuples(*row) == 0 ||
	    call_state_parse(PQgetvalue(*row, 0, CALL_C_STATE), st) != 0) {
		PQclear(*row);
		*row = NULL;
		return 0;
	}
	return 1;
}

/* Engine call configuration from a call row. */
void
hub_call_conf(const PGresult *row, struct acd_call_conf *c, double arrival)
{
	json_t		*skills, *lvl;
	const char	*name;

	memset(c, 0, sizeof *c);
	strlcpy_(c->id, PQgetvalue(row, 0, CALL_C_ID), sizeof c->id);
	strlcpy_(c->queue, PQgetvalue(row, 0, CALL_C_QUEUE), sizeof c->queue);
	c->priority = atoi(PQgetvalue(row, 0, CALL_C_PRIORITY));
	c->arrival = arrival;
	skills = json_loads(PQgetvalue(row, 0, CALL_C_SKILLS), 0, NULL);
	json_object_foreach(skills, name, lvl) {
		if (c->nneed == ACD_MAX_NEED)
			break;
		strlcpy_(c->need[c->nneed].name, name, sizeof c->need[0].name);
		c->need[c->nneed++].level = (int)json_integer_value(lvl);
	}
	json_decref(skills);
}

double
hub_arrival(const PGresult *row, int r)
{
	if (PQgetisnull(row, r, CALL_C_ENQUEUED_EPOCH))
		return hub_now();
	return strtod(PQgetvalue(row, r, CALL_C_ENQUEUED_EPOCH), NULL);
}

/* Load one queue's row (QUEUE_C_*) into the engine. Lock held. */
int
hub_queue_load(const PGresult *q, int r)
{
	struct acd_queue_conf	 c;
	json_t			*widen, *members, *v;
	size_t			 i;
	const char		*id = PQgetvalue(q, r, QUEUE_C_ID);

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, id, sizeof c.id);
	if (acd_strategy_parse(PQgetvalue(q, r, QUEUE_C_STRATEGY), &c.strategy) != 0)
		c.strategy = ACD_LONGEST_IDLE;
	c.ring_timeout = atoi(PQgetvalue(q, r, QUEUE_C_RING));
	c.wrap_up = atoi(PQgetvalue(q, r, QUEUE_C_WRAP));
	c.max_wait = atoi(PQgetvalue(q, r, QUEUE_C_MAX_WAIT));
	c.max_len = atoi(PQgetvalue(q, r, QUEUE_C_MAX_LEN));
	c.miss_limit = atoi(PQgetvalue(q, r, QUEUE_C_MISS));
	widen = json_loads(PQgetvalue(q, r, QUEUE_C_WIDEN), 0, NULL);
	json_array_foreach(widen, i, v) {
		if (c.nwiden == ACD_MAX_WIDEN)
			break;
		c.widen[c.nwiden].after = (int)json_integer_value(
		    json_object_get(v, "after"));
		c.widen[c.nwiden++].level_drop = (int)json_integer_value(
		    json_object_get(v, "level_drop"));
	}
	json_decref(widen);
	if (acd_queue_put(hub.acd, &c) != ACD_OK)
		return -1;
	/* Members, in order (callers drop the old ones first). */
	members = json_loads(PQgetvalue(q, r, QUEUE_C_MEMBERS), 0, NULL);
	json_array_foreach(members, i, v) {
		acd_member_set(hub.acd, id, json_string_value(
		    json_object_get(v, "agent_id")), (int)json_integer_value(
		    json_object_get(v, "penalty")));
	}
	json_decref(members);
	return 0;
}

/* Load one agent row (AGENT_C_*) into the engine. Lock held. */
int
hub_agent_load(const PGresult *a, int r)
{
	struct acd_agent_conf	 c;
	json_t			*skills, *lvl;
	const char		*name;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, PQgetvalue(a, r, AGENT_C_ID), sizeof c.id);
	c.max_calls = atoi(PQgetvalue(a, r, AGENT_C_MAX_CALLS));
	skills = json_loads(PQgetvalue(a, r, AGENT_C_SKILLS), 0, NULL);
	json_object_foreach(skills, name, lvl) {
		if (c.nskills == ACD_MAX_SKILLS)
			break;
		strlcpy_(c.skills[c.nskills].name, name, sizeof c.skills[0].name);
		c.skills[c.nskills++].level = (int)json_integer_value(lvl);
	}
	json_decref(skills);
	return acd_agent_put(hub.acd, &c) == ACD_OK ? 0 : -1;
}

/*
 * Persist the engine's view of an agent. The pause reason belongs to the
 * agent's away presence: kept (reason NULL, keep) or set while the agent is
 * away, shown or pending, and cleared once it is not.
 */
static int
agent_sync(struct db *db, const char *agent, const char *reason, int keep,
    PGresult **out)
{
	enum agent_state	 st, presence;
	const char		*pending = NULL;

	if (acd_agent_get(hub.acd, agent, &st, NULL, NULL) != ACD_OK ||
	    acd_agent_presence(hub.acd, agent, &presence) != ACD_OK)
		return 0;
	if (presence != AGENT_AWAY) {
		reason = NULL;
		keep = 0;
	}
	if (presence != AGENT_AVAILABLE && presence != st)
		pending = agent_state_name(presence);
	return agent_persist(db, agent, st, pending, reason,
	    keep && reason == NULL, out);
}

int
hub_agent_state_sync(struct db *db, const char *agent, const char *reason,
    PGresult **out)
{
	return agent_sync(db, agent, reason, 1, out);
}

int
hub_agent_state_set(struct db *db, const char *agent, const char *reason,
    PGresult **out)
{
	return agent_sync(db, agent, reason, 0, out);
}

/* Overflow a call that waited max_wait, per its queue's setting. */
static int
overflow(struct db *db, const struct acd_action *a)
{
	PGresult		*call, *q = NULL;
	enum call_state		 st;
	struct acd_call_conf	 c;
	const char		*kind, *target;
	json_t			*data;
	int			 rc = 0;

	if (hub_call_state(db, NULL, a->call, &call, &st) <= 0)
		return call == NULL && db->err != DB_OK ? -1 : 0;
	if ((q = db_queue_get(db, NULL, a->queue)) == NULL) {
		PQclear(call);
		return -1;
	}
	kind = PQntuples(q) ? PQgetvalue(q, 0, QUEUE_C_OVERFLOW) : "none";
	target = PQntuples(q) && !PQgetisnull(q, 0, QUEUE_C_OVERFLOW_QUEUE) ?
	    PQgetvalue(q, 0, QUEUE_C_OVERFLOW_QUEUE) : NULL;
	data = json_pack("{s:s,s:s}", "from_queue", a->queue, "overflow", kind);
	if (strcmp(kind, "queue") == 0 && target != NULL) {
		PGresult *row = NULL;

		if (hub_move(db, a->call, NULL, st, CALL_QUEUED, "call.overflowed",
		    NULL, NULL, target, data, &row) == MOVE_OK) {
			hub_call_conf(row, &c, hub_arrival(row, 0));
			if (acd_enqueue(hub.acd, &c, hub_now()) != ACD_OK)
				hub_move(db, a->call, NULL, CALL_QUEUED, CALL_MISSED,
				    "call.missed", NULL, NULL, NULL, data, NULL);
			PQclear(row);
		} else
			rc = db->err != DB_OK ? -1 : 0;
	} else if (hub_move(db, a->call, NULL, st, CALL_MISSED, "call.missed",
	    NULL, NULL, NULL, data, NULL) == MOVE_DB)
		rc = -1;
	json_decref(data);
	PQclear(call);
	PQclear(q);
	return rc;
}

/*
 * Persist an offer missed or withdrawn. The call moves while the engine
 * still has it waiting or offered; answered, abandoned or overflowed, it
 * has a move of its own, and the event is only recorded. Lock held.
 */
static int
offer_ended(struct db *db, const struct acd_action *a)
{
	const char		*event = a->type == ACD_MISSED ?
				    "call.offer_missed" : "call.offer_withdrawn";
	char			 first[ACD_ID_LEN + 1], *text;
	enum call_move_result	 r = MOVE_STALE;
	json_t			*data = json_pack("{s:s}", "agent_id", a->agent);

	if (acd_call_offers(hub.acd, a->call, first) >= 0)
		r = hub_offer_end(db, a->call, a->agent, a->other[0] != '\0' ?
		    a->other : NULL, event, NULL, data, NULL);
	if (r == MOVE_STALE) {
		text = json_dumps(data, JSON_COMPACT);
		r = db_call_event(db, a->call, event, a->agent, text) == 0 ?
		    MOVE_OK : MOVE_DB;
		free(text);
	}
	json_decref(data);
	if (r == MOVE_DB ||
	    (a->type == ACD_MISSED && db_agent_missed(db, a->agent) != 0))
		return -1;
	return hub_agent_state_sync(db, a->agent, NULL, NULL);
}

/* Persist one engine decision. Lock held. -1 on a database error. */
static int
apply(struct db *db, const struct acd_action *a)
{
	enum call_move_result	 r;
	json_t			*data;
	int			 rc = 0;

	switch (a->type) {
	case ACD_OFFER:
		data = json_pack("{s:s,s:i}", "agent_id", a->agent,
		    "ring_timeout", (int)lround(a->deadline - hub_now()));
		r = hub_move(db, a->call, NULL, CALL_QUEUED, CALL_OFFERING,
		    "call.offered", NULL, a->agent, NULL, data, NULL);
		if (r == MOVE_STALE)	/* ring-all, or after a withdrawal */
			r = hub_move(db, a->call, NULL, CALL_OFFERING,
			    CALL_OFFERING, "call.offered", NULL, a->agent, NULL,
			    data, NULL);
		json_decref(data);
		if (r == MOVE_DB || hub_agent_state_sync(db, a->agent, NULL, NULL) != 0)
			rc = -1;
		break;
	case ACD_MISSED:
	case ACD_WITHDRAW:
		rc = offer_ended(db, a);
		break;
	case ACD_AGENT_AWAY:
		rc = hub_agent_state_sync(db, a->agent, "missed offers", NULL);
		break;
	case ACD_WRAP_DONE:
		rc = hub_agent_state_sync(db, a->agent, NULL, NULL);
		break;
	case ACD_OVERFLOW:
		rc = overflow(db, a);
		break;
	default:
		break;
	}
	return rc;
}

/* Run the engine until it has nothing more to decide now. Lock held. */
void
hub_tick(struct db *db)
{
	struct acd_action	 acts[TICK_ACTIONS];
	size_t			 n;

	do {
		n = acd_tick(hub.acd, hub_now(), acts, TICK_ACTIONS);
		for (size_t i = 0; i < n; i++) {
			if (apply(db, &acts[i]) != 0) {
				log_warn("hub: cannot persist %s for call %s;"
				    " rebuilding", acd_action_name(acts[i].type),
				    acts[i].call);
				hub.stale = 1;
			}
		}
	} while (n == TICK_ACTIONS);
}

/* Replace the engine with one built from the database. Lock held. */
static int
rebuild(struct db *db)
{
	PGresult		*q = NULL, *a = NULL, *c = NULL, *row;
	struct acd_call_conf	 conf;
	enum agent_state	 st;
	enum call_state		 cst;
	double			 now = hub_now();
	int			 i, rc = -1;

	if ((a = db_agent_all(db)) == NULL || (q = db_queue_all(db)) == NULL ||
	    (c = db_call_live(db)) == NULL)
		goto out;
	acd_free(hub.acd);
	hub.acd = acd_new((uint64_t)now);
	for (i = 0; i < PQntuples(a); i++) {
		const char *id = PQgetvalue(a, i, AGENT_C_ID);

		hub_agent_load(a, i);
		acd_agent_counters(hub.acd, id,
		    atoi(PQgetvalue(a, i, AGENT_C_HANDLED)),
		    strtod(PQgetvalue(a, i, AGENT_C_TALK), NULL),
		    PQgetisnull(a, i, AGENT_C_LAST_END) ? 0 :
		    strtod(PQgetvalue(a, i, AGENT_C_LAST_END), NULL));
		/* Offering, busy and wrap-up come back from the calls; a
		 * pending pause is the presence behind them. */
		if (agent_state_parse(PQgetvalue(a, i, AGENT_C_STATE), &st) != 0 ||
		    (st != AGENT_AWAY && st != AGENT_OFFLINE))
			st = AGENT_AVAILABLE;
		if (st == AGENT_AVAILABLE && !PQgetisnull(a, i, AGENT_C_PENDING))
			agent_state_parse(PQgetvalue(a, i, AGENT_C_PENDING), &st);
		acd_agent_state(hub.acd, id, st, now);
	}
	for (i = 0; i < PQntuples(q); i++)
		hub_queue_load(q, i);
	for (i = 0; i < PQntuples(c); i++) {
		const char *id = PQgetvalue(c, i, CALL_C_ID);

		call_state_parse(PQgetvalue(c, i, CALL_C_STATE), &cst);
		if (PQgetisnull(c, i, CALL_C_QUEUE))
			continue;
		row = NULL;
		/* A one-row view of row i for hub_call_conf(). */
		if (cst == CALL_OFFERING) {
			/* The offer was interrupted: make it again. */
			if (hub_move(db, id, NULL, CALL_OFFERING, CALL_QUEUED,
			    "call.requeued", NULL, NULL, NULL, NULL, &row) != MOVE_OK)
				continue;
			cst = CALL_QUEUED;
		} else
			row = db_call_get(db, NULL, id);
		if (row == NULL || PQntuples(row) == 0) {
			PQclear(row);
			continue;
		}
		hub_call_conf(row, &conf, hub_arrival(row, 0));
		if (cst == CALL_QUEUED)
			acd_enqueue(hub.acd, &conf, now);
		else if (!PQgetisnull(row, 0, CALL_C_AGENT)) {
			const char *agent = PQgetvalue(row, 0, CALL_C_AGENT);

			acd_connect(hub.acd, &conf, agent, now);
			if (cst == CALL_WRAP_UP)
				acd_call_end(hub.acd, agent, id, 0, now);
		}
		PQclear(row);
	}
	/* Agents' persisted states now follow the engine. */
	for (i = 0; i < PQntuples(a); i++) {
		const char *id = PQgetvalue(a, i, AGENT_C_ID);

		double	 since;
		int	 active;

		if (acd_agent_get(hub.acd, id, &st, &since, &active) == ACD_OK &&
		    strcmp(agent_state_name(st), PQgetvalue(a, i,
		    AGENT_C_STATE)) != 0)
			hub_agent_state_sync(db, id, PQgetisnull(a, i, AGENT_C_REASON) ?
			    NULL : PQgetvalue(a, i, AGENT_C_REASON), NULL);
	}
	log_info("hub: rebuilt: %d agents, %d queues, %d live calls",
	    PQntuples(a), PQntuples(q), PQntuples(c));
	rc = 0;
out:
	PQclear(a);
	PQclear(q);
	PQclear(c);
	return rc;
}

static void *
hub_main(void *arg)
{
	struct timespec	 ts;
	double		 next, now;

	pthread_mutex_lock(&hub.lock);
	while (!hub.stop) {
		if (hub.stale) {
			if (rebuild(&hub.db) == 0)
				hub.stale = 0;
			else {
				/* The database is away: try again in a second. */
				next = hub_now() + 1;
				goto wait;
			}
		}
		hub_tick(&hub.db);
		next = acd_next_deadline(hub.acd);
wait:
		now = hub_now();
		if (next > now + 1 || isinf(next))
			next = now + 1;
		if (!hub.wake && next > now) {
			ts.tv_sec = (time_t)next;
			ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&hub.cond, &hub.lock, &ts);
		}
		hub.wake = 0;
	}
	pthread_mutex_unlock(&hub.lock);
	db_close(&hub.db);
	return NULL;
}

int
hub_start(const char *dburl, char **cause)
{
	pthread_condattr_t	 attr;

	hub.dburl = dburl;
	db_init(&hub.db, dburl);
	hub.acd = acd_new((uint64_t)hub_now());
	pthread_mutex_lock(&hub.lock);
	if (rebuild(&hub.db) != 0)
		hub.stale = 1;
	pthread_mutex_unlock(&hub.lock);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_REALTIME);
	pthread_cond_init(&hub.cond, &attr);
	if (pthread_create(&hub.thread, NULL, hub_main, NULL) != 0) {
		*cause = xstrdup("cannot start the hub thread");
		return -1;
	}
	return 0;
}

void
hub_stop(void)
{
	pthread_mutex_lock(&hub.lock);
	hub.stop = 1;
	hub_kick();
	pthread_mutex_unlock(&hub.lock);
	pthread_join(hub.thread, NULL);
	acd_free(hub.acd);
	hub.acd = NULL;
}


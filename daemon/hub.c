/*
 * The hub. One mutex guards the engine; every operation takes it, writes
 * the database, applies the change to the engine, lets go and publishes.
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

#define TICK_ACTIONS	64

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct acd	*acd;
	struct db	 db;		/* the hub thread's own connection */
	int		 stop;
	int		 wake;
	int		 stale;		/* the engine must be rebuilt */
	const char	*dburl;
} hub = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static double
now_wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wake the hub thread: something may be offered. Lock held. */
static void
kick(void)
{
	hub.wake = 1;
	pthread_cond_signal(&hub.cond);
}

static void
result_set(struct hub_result *r, int status, const char *code,
    const char *detail)
{
	r->status = status;
	r->code = code;
	r->detail = detail;
}

static void
result_db(struct hub_result *r, struct db *db)
{
	if (db->err == DB_DOWN)
		result_set(r, 503, "unavailable", "the database is unreachable;"
		    " try again shortly");
	else
		result_set(r, 500, "internal", "the request failed; the error"
		    " has been logged");
}

static void
publish_agent(const PGresult *row)
{
	events_publish(PQgetvalue(row, 0, AGENT_C_COMPANY),
	    "agent.state_changed", json_pack("{s:s,s:s,s:o}",
	    "agent_id", PQgetvalue(row, 0, AGENT_C_ID),
	    "state", PQgetvalue(row, 0, AGENT_C_STATE),
	    "reason", PQgetisnull(row, 0, AGENT_C_REASON) ? json_null() :
	    json_string(PQgetvalue(row, 0, AGENT_C_REASON))));
}

static void
publish_call(const char *type, const PGresult *row)
{
	events_publish(PQgetvalue(row, 0, CALL_C_COMPANY), type,
	    call_json(row, 0));
	if (!PQgetisnull(row, 0, CALL_C_QUEUE))
		events_publish(PQgetvalue(row, 0, CALL_C_COMPANY),
		    "queue.updated", json_pack("{s:s}", "queue_id",
		    PQgetvalue(row, 0, CALL_C_QUEUE)));
}

/* Persist an agent's state; NULL reason clears it. 0 or -1. */
static int
agent_persist(struct db *db, const char *agent, enum agent_state st,
    const char *reason, PGresult **out)
{
	PGresult	*row;

	row = db_agent_state(db, agent, agent_state_name(st), reason);
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
static enum call_move_result
move(struct db *db, const char *call, const char *company,
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
		publish_call(event, row);
		if (out != NULL)
			*out = row;
		else
			PQclear(row);
	}
	return r;
}

/* The call's current state from the database, or -1. */
static int
call_state_of(struct db *db, const char *scope, const char *call,
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
static void
call_conf(const PGresult *row, struct acd_call_conf *c, double arrival)
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

static double
row_arrival(const PGresult *row, int r)
{
	if (PQgetisnull(row, r, CALL_C_ENQUEUED_EPOCH))
		return now_wall();
	return strtod(PQgetvalue(row, r, CALL_C_ENQUEUED_EPOCH), NULL);
}

/* Load one queue's row (QUEUE_C_*) into the engine. Lock held. */
static int
queue_load(const PGresult *q, int r)
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
static int
agent_load(const PGresult *a, int r)
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

/* Persist the engine's view of an agent. Lock held. */
static int
agent_sync_state(struct db *db, const char *agent, const char *reason,
    PGresult **out)
{
	enum agent_state	 st;
	double			 since;
	int			 active;

	if (acd_agent_get(hub.acd, agent, &st, &since, &active) != ACD_OK)
		return 0;
	return agent_persist(db, agent, st, reason, out);
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

	if (call_state_of(db, NULL, a->call, &call, &st) <= 0)
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

		if (move(db, a->call, NULL, st, CALL_QUEUED, "call.overflowed",
		    NULL, NULL, target, data, &row) == MOVE_OK) {
			call_conf(row, &c, row_arrival(row, 0));
			if (acd_enqueue(hub.acd, &c, now_wall()) != ACD_OK)
				move(db, a->call, NULL, CALL_QUEUED, CALL_MISSED,
				    "call.missed", NULL, NULL, NULL, data, NULL);
			PQclear(row);
		} else
			rc = db->err != DB_OK ? -1 : 0;
	} else if (move(db, a->call, NULL, st, CALL_MISSED, "call.missed",
	    NULL, NULL, NULL, data, NULL) == MOVE_DB)
		rc = -1;
	json_decref(data);
	PQclear(call);
	PQclear(q);
	return rc;
}

/* Persist one engine decision. Lock held. -1 on a database error. */
static int
apply(struct db *db, const struct acd_action *a)
{
	enum call_move_result	 r;
	json_t			*data;
	int			 rc = 0, pos, ewt;

	switch (a->type) {
	case ACD_OFFER:
		data = json_pack("{s:s,s:i}", "agent_id", a->agent,
		    "ring_timeout", (int)lround(a->deadline - now_wall()));
		r = move(db, a->call, NULL, CALL_QUEUED, CALL_OFFERING,
		    "call.offered", NULL, a->agent, NULL, data, NULL);
		if (r == MOVE_STALE)	/* ring-all, or after a withdrawal */
			r = move(db, a->call, NULL, CALL_OFFERING,
			    CALL_OFFERING, "call.offered", NULL, a->agent, NULL,
			    data, NULL);
		json_decref(data);
		if (r == MOVE_DB || agent_sync_state(db, a->agent, NULL, NULL) != 0)
			rc = -1;
		break;
	case ACD_MISSED:
		data = json_pack("{s:s}", "agent_id", a->agent);
		r = move(db, a->call, NULL, CALL_OFFERING, CALL_QUEUED,
		    "call.offer_missed", NULL, NULL, NULL, data, NULL);
		json_decref(data);
		if (r == MOVE_DB || db_agent_missed(db, a->agent) != 0 ||
		    agent_sync_state(db, a->agent, NULL, NULL) != 0)
			rc = -1;
		break;
	case ACD_WITHDRAW:
		/* Still waiting and no longer offered: back in the queue. */
		data = json_pack("{s:s}", "agent_id", a->agent);
		if (acd_position(hub.acd, a->call, &pos, &ewt) == ACD_OK &&
		    pos > 0)
			r = move(db, a->call, NULL, CALL_OFFERING, CALL_QUEUED,
			    "call.offer_withdrawn", NULL, NULL, NULL, data, NULL);
		else
			r = db_call_event(db, a->call, "call.offer_withdrawn",
			    a->agent, NULL) == 0 ? MOVE_OK : MOVE_DB;
		json_decref(data);
		if (r == MOVE_DB || agent_sync_state(db, a->agent, NULL, NULL) != 0)
			rc = -1;
		break;
	case ACD_AGENT_AWAY:
		rc = agent_sync_state(db, a->agent, "missed offers", NULL);
		break;
	case ACD_WRAP_DONE:
		rc = agent_sync_state(db, a->agent, NULL, NULL);
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
static void
tick(struct db *db)
{
	struct acd_action	 acts[TICK_ACTIONS];
	size_t			 n;

	do {
		n = acd_tick(hub.acd, now_wall(), acts, TICK_ACTIONS);
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
	double			 now = now_wall();
	int			 i, rc = -1;

	if ((a = db_agent_all(db)) == NULL || (q = db_queue_all(db)) == NULL ||
	    (c = db_call_live(db)) == NULL)
		goto out;
	acd_free(hub.acd);
	hub.acd = acd_new((uint64_t)now);
	for (i = 0; i < PQntuples(a); i++) {
		const char *id = PQgetvalue(a, i, AGENT_C_ID);

		agent_load(a, i);
		acd_agent_counters(hub.acd, id,
		    atoi(PQgetvalue(a, i, AGENT_C_HANDLED)),
		    strtod(PQgetvalue(a, i, AGENT_C_TALK), NULL),
		    PQgetisnull(a, i, AGENT_C_LAST_END) ? 0 :
		    strtod(PQgetvalue(a, i, AGENT_C_LAST_END), NULL));
		/* Offering, busy and wrap-up come back from the calls. */
		if (agent_state_parse(PQgetvalue(a, i, AGENT_C_STATE), &st) != 0 ||
		    (st != AGENT_AWAY && st != AGENT_OFFLINE))
			st = AGENT_AVAILABLE;
		acd_agent_state(hub.acd, id, st, now);
	}
	for (i = 0; i < PQntuples(q); i++)
		queue_load(q, i);
	for (i = 0; i < PQntuples(c); i++) {
		const char *id = PQgetvalue(c, i, CALL_C_ID);

		call_state_parse(PQgetvalue(c, i, CALL_C_STATE), &cst);
		if (PQgetisnull(c, i, CALL_C_QUEUE))
			continue;
		row = NULL;
		/* A one-row view of row i for call_conf(). */
		if (cst == CALL_OFFERING) {
			/* The offer was interrupted: make it again. */
			if (move(db, id, NULL, CALL_OFFERING, CALL_QUEUED,
			    "call.requeued", NULL, NULL, NULL, NULL, &row) != MOVE_OK)
				continue;
			cst = CALL_QUEUED;
		} else
			row = db_call_get(db, NULL, id);
		if (row == NULL || PQntuples(row) == 0) {
			PQclear(row);
			continue;
		}
		call_conf(row, &conf, row_arrival(row, 0));
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
			agent_sync_state(db, id, PQgetisnull(a, i, AGENT_C_REASON) ?
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
				next = now_wall() + 1;
				goto wait;
			}
		}
		tick(&hub.db);
		next = acd_next_deadline(hub.acd);
wait:
		now = now_wall();
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
	hub.acd = acd_new((uint64_t)now_wall());
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
	kick();
	pthread_mutex_unlock(&hub.lock);
	pthread_join(hub.thread, NULL);
	acd_free(hub.acd);
	hub.acd = NULL;
}

int
hub_queue_sync(struct db *db, const char *queue)
{
	PGresult	*q, *ids;
	int		 rc = -1;

	pthread_mutex_lock(&hub.lock);
	if ((q = db_queue_get(db, NULL, queue)) != NULL && PQntuples(q) == 1 &&
	    (ids = db_agent_ids(db, PQgetvalue(q, 0, QUEUE_C_COMPANY))) != NULL) {
		/* The member list is replaced as a whole. */
		for (int i = 0; i < PQntuples(ids); i++)
			acd_member_del(hub.acd, queue, PQgetvalue(ids, i, 0));
		PQclear(ids);
		rc = queue_load(q, 0);
	}
	PQclear(q);
	kick();
	pthread_mutex_unlock(&hub.lock);
	return rc;
}

int
hub_queue_drop(const char *queue)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_queue_del(hub.acd, queue);
	pthread_mutex_unlock(&hub.lock);
	return rc == ACD_OK || rc == ACD_E_NOENT ? 0 : -1;
}

int
hub_agent_sync(struct db *db, const char *agent)
{
	PGresult	*a;
	int		 rc = -1;

	pthread_mutex_lock(&hub.lock);
	if ((a = db_agent_get(db, NULL, agent)) != NULL && PQntuples(a) == 1)
		rc = agent_load(a, 0);
	PQclear(a);
	kick();
	pthread_mutex_unlock(&hub.lock);
	return rc;
}

int
hub_agent_drop(const char *agent)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_agent_del(hub.acd, agent);
	kick();
	pthread_mutex_unlock(&hub.lock);
	return rc == ACD_OK || rc == ACD_E_NOENT ? 0 : -1;
}

void
hub_availability(struct db *db, const char *company, const char *agent,
    enum agent_state st, const char *reason, struct hub_result *r)
{
	int	 e;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&hub.lock);
	e = acd_agent_state(hub.acd, agent, st, now_wall());
	if (e == ACD_E_NOENT)
		result_set(r, 404, "not_found", "no such agent");
	else if (e != ACD_OK)
		result_set(r, 409, "conflict", "the agent cannot change state now");
	else if (agent_sync_state(db, agent, st == AGENT_AWAY ? reason : NULL,
	    &r->row) != 0) {
		hub.stale = 1;
		result_db(r, db);
	} else
		r->status = 200;
	kick();
	pthread_mutex_unlock(&hub.lock);
}

/*
 * A call committed by the caller in state queued: publish that and hand it
 * to the engine. The engine may refuse a
 * full queue; the call then fails with that reason.
 */
void
hub_enqueue(struct db *db, const PGresult *call, struct hub_result *r)
{
	struct acd_call_conf	 c;
	const char		*id = PQgetvalue(call, 0, CALL_C_ID);
	json_t			*data;
	int			 e;

	memset(r, 0, sizeof *r);
	r->status = 201;
	if (PQgetisnull(call, 0, CALL_C_QUEUE))
		return;
	call_conf(call, &c, row_arrival(call, 0));
	pthread_mutex_lock(&hub.lock);
	if ((e = acd_enqueue(hub.acd, &c, now_wall())) == ACD_OK ||
	    e == ACD_E_EXIST) {
		kick();
		pthread_mutex_unlock(&hub.lock);
		publish_call("call.queued", call);
		return;
	}
	data = json_pack("{s:s}", "reason", e == ACD_E_FULL ? "queue_full" :
	    "queue_unavailable");
	move(db, id, NULL, CALL_QUEUED, CALL_FAILED, "call.failed", NULL, NULL,
	    NULL, data, NULL);
	json_decref(data);
	pthread_mutex_unlock(&hub.lock);
	if (e == ACD_E_FULL)
		result_set(r, 409, "queue_full", "the queue is full; the call"
		    " was refused");
	else
		result_set(r, 409, "conflict", "the queue cannot take calls");
}

/* May the acting agent (NULL: a manager) act on this call? */
static int
owns(const struct hub_call_op *op, const PGresult *call)
{
	return op->agent == NULL || (!PQgetisnull(call, 0, CALL_C_AGENT) &&
	    strcmp(PQgetvalue(call, 0, CALL_C_AGENT), op->agent) == 0);
}

static double
talk_time(const PGresult *row)
{
	return PQgetisnull(row, 0, CALL_C_TALK) ? 0 :
	    strtod(PQgetvalue(row, 0, CALL_C_TALK), NULL);
}

/* The call's agent ends it: engine, counters and state. Lock held. */
static int
end_for_agent(struct db *db, const char *agent, const char *call, double talk)
{
	if (acd_call_end(hub.acd, agent, call, talk, now_wall()) != ACD_OK)
		return 0;
	if (db_agent_call_done(db, agent, talk) != 0)
		return -1;
	return agent_sync_state(db, agent, NULL, NULL);
}

/* Each operation: the states it starts from. */
static const unsigned op_from[] = {
	[HUB_ANSWER] = 1u << CALL_OFFERING,
	[HUB_REJECT] = 1u << CALL_OFFERING,
	[HUB_HOLD] = 1u << CALL_CONNECTED,
	[HUB_RESUME] = 1u << CALL_ON_HOLD,
	[HUB_HANGUP] = 1u << CALL_NEW | 1u << CALL_IVR | 1u << CALL_QUEUED |
	    1u << CALL_OFFERING | 1u << CALL_CONNECTED | 1u << CALL_ON_HOLD,
	[HUB_WRAP] = 1u << CALL_WRAP_UP,
	[HUB_ASSIGN] = 1u << CALL_QUEUED | 1u << CALL_OFFERING,
	[HUB_TRANSFER_AGENT] = 1u << CALL_CONNECTED | 1u << CALL_ON_HOLD,
	[HUB_TRANSFER_QUEUE] = 1u << CALL_CONNECTED | 1u << CALL_ON_HOLD,
};

/* The engine's part of an operation; 0 or an ACD_E_*. Lock held. */
static int
engine_op(const struct hub_call_op *op, const PGresult *call,
    enum call_state st)
{
	struct acd_call_conf	 c;
	double			 now = now_wall();

	switch (op->op) {
	case HUB_ANSWER:
		return acd_accept(hub.acd, op->call, op->agent, now);
	case HUB_REJECT:
		return acd_reject(hub.acd, op->call, op->agent, now);
	case HUB_ASSIGN:
		return acd_assign(hub.acd, op->call, op->target, now);
	case HUB_HANGUP:
		if (st == CALL_QUEUED || st == CALL_OFFERING)
			acd_abandon(hub.acd, op->call, now);
		return ACD_OK;
	case HUB_TRANSFER_AGENT:
	case HUB_TRANSFER_QUEUE:
		call_conf(call, &c, now);
		if (op->op == HUB_TRANSFER_QUEUE)
			strlcpy_(c.queue, op->target, sizeof c.queue);
		if (c.queue[0] == '\0')
			return ACD_E_STATE;
		return ACD_OK;
	default:
		return ACD_OK;
	}
}

static const struct {
	enum call_state	 to;
	const char	*event;
} op_move[] = {
	[HUB_ANSWER] = { CALL_CONNECTED, "call.answered" },
	[HUB_REJECT] = { CALL_QUEUED, "call.rejected" },
	[HUB_HOLD] = { CALL_ON_HOLD, "call.held" },
	[HUB_RESUME] = { CALL_CONNECTED, "call.resumed" },
	[HUB_HANGUP] = { CALL_WRAP_UP, "call.ended" },
	[HUB_WRAP] = { CALL_COMPLETED, "call.completed" },
	[HUB_ASSIGN] = { CALL_OFFERING, "call.offered" },
	[HUB_TRANSFER_AGENT] = { CALL_OFFERING, "call.transferred" },
	[HUB_TRANSFER_QUEUE] = { CALL_QUEUED, "call.transferred" },
};

void
hub_call(struct db *db, const struct hub_call_op *op, struct hub_result *r)
{
	PGresult		*call = NULL;
	enum call_state		 st, to;
	const char		*event, *agent, *move_agent = NULL, *queue = NULL;
	struct acd_call_conf	 c;
	int			 e, found;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&hub.lock);
	if ((found = call_state_of(db, op->company, op->call, &call, &st)) < 0) {
		result_db(r, db);
		goto out;
	}
	if (found == 0 || (op->agent != NULL && op->op != HUB_ANSWER &&
	    op->op != HUB_REJECT && !owns(op, call))) {
		result_set(r, 404, "not_found", "no such call");
		goto out;
	}
	if ((op_from[op->op] & (1u << st)) == 0) {
		result_set(r, 409, "illegal_transition", "the call is not in a"
		    " state that allows this");
		goto out;
	}
	agent = PQgetisnull(call, 0, CALL_C_AGENT) ? NULL :
	    PQgetvalue(call, 0, CALL_C_AGENT);
	if ((e = engine_op(op, call, st)) != ACD_OK) {
		result_set(r, 409, e == ACD_E_STATE || e == ACD_E_NOENT ?
		    "conflict" : "conflict", op->op == HUB_ASSIGN ?
		    "the agent cannot take this call now" : op->op == HUB_ANSWER
		    || op->op == HUB_REJECT ? "this call is not being offered"
		    " to you" : "the call cannot do this now");
		goto out;
	}
	to = op_move[op->op].to;
	event = op_move[op->op].event;
	if (op->op == HUB_HANGUP && (st == CALL_NEW || st == CALL_IVR ||
	    st == CALL_QUEUED || st == CALL_OFFERING)) {
		to = CALL_ABANDONED;
		event = "call.abandoned";
	}
	if (op->op == HUB_ANSWER || op->op == HUB_REJECT)
		move_agent = op->op == HUB_ANSWER ? op->agent : NULL;
	else if (op->op == HUB_ASSIGN || op->op == HUB_TRANSFER_AGENT)
		move_agent = op->target;
	if (op->op == HUB_TRANSFER_QUEUE)
		queue = op->target;
	if (op->op == HUB_WRAP && op->data != NULL) {
		char *notes = NULL;
		PGresult *u;

		if (json_is_string(json_object_get(op->data, "notes")))
			notes = xstrdup(json_string_value(json_object_get(op->data,
			    "notes")));
		u = db_call_update(db, NULL, op->call, notes, NULL,
		    json_string_value(json_object_get(op->data, "disposition")),
		    NULL, NULL);
		free(notes);
		if (u == NULL) {
			result_db(r, db);
			goto out;
		}
		PQclear(u);
	}
	switch (move(db, op->call, NULL, st, to, event, op->actor, move_agent,
	    queue, op->data, &r->row)) {
	case MOVE_OK:
		break;
	case MOVE_DB:
		hub.stale = 1;
		result_db(r, db);
		goto out;
	default:
		result_set(r, 409, "illegal_transition", "the call changed"
		    " meanwhile; try again");
		goto out;
	}
	r->status = 200;
	/* Agents' side: counters, wrap-up, states. */
	switch (op->op) {
	case HUB_ANSWER:
	case HUB_REJECT:
		e = agent_sync_state(db, op->agent, NULL, NULL);
		break;
	case HUB_ASSIGN:
		e = agent_sync_state(db, op->target, NULL, NULL);
		break;
	case HUB_HANGUP:
		e = agent != NULL && to == CALL_WRAP_UP ?
		    end_for_agent(db, agent, op->call, talk_time(r->row)) : 0;
		break;
	case HUB_WRAP:
		e = 0;
		if (agent != NULL && acd_wrap_done(hub.acd, agent, now_wall()) ==
		    ACD_OK)
			e = agent_sync_state(db, agent, NULL, NULL);
		break;
	case HUB_TRANSFER_AGENT:
	case HUB_TRANSFER_QUEUE:
		e = agent != NULL ? end_for_agent(db, agent, op->call,
		    talk_time(call)) : 0;
		call_conf(r->row, &c, now_wall());
		if (acd_enqueue(hub.acd, &c, now_wall()) != ACD_OK ||
		    (op->op == HUB_TRANSFER_AGENT && acd_assign(hub.acd,
		    op->call, op->target, now_wall()) != ACD_OK))
			log_warn("hub: transfer of %s: the engine refused;"
			    " the call waits in its queue", op->call);
		if (e == 0 && op->op == HUB_TRANSFER_AGENT)
			e = agent_sync_state(db, op->target, NULL, NULL);
		break;
	default:
		e = 0;
		break;
	}
	if (e != 0)
		hub.stale = 1;
	kick();
out:
	PQclear(call);
	pthread_mutex_unlock(&hub.lock);
}

void
hub_next(struct db *db, const char *company, const char *agent,
    struct hub_result *r)
{
	char	 call[ACD_ID_LEN + 1];
	int	 e;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&hub.lock);
	if ((e = acd_pull(hub.acd, agent, now_wall(), call)) == ACD_E_EMPTY)
		r->status = 204;
	else if (e != ACD_OK)
		result_set(r, 409, "conflict", "the agent cannot take a call now");
	else if (move(db, call, company, CALL_QUEUED, CALL_OFFERING,
	    "call.offered", NULL, agent, NULL, NULL, &r->row) != MOVE_OK ||
	    agent_sync_state(db, agent, NULL, NULL) != 0) {
		hub.stale = 1;
		result_db(r, db);
	} else
		r->status = 200;
	kick();
	pthread_mutex_unlock(&hub.lock);
}

int
hub_position(const char *call, int *position, int *ewt)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_position(hub.acd, call, position, ewt);
	pthread_mutex_unlock(&hub.lock);
	return rc == ACD_OK ? 0 : -1;
}

int
hub_queue_stats(const char *queue, struct acd_queue_stats *st)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_queue_stats(hub.acd, queue, now_wall(), st);
	pthread_mutex_unlock(&hub.lock);
	return rc == ACD_OK ? 0 : -1;
}

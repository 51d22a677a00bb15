/*
 * The hub's operations: what handlers ask of live state. Each takes the
 * hub's lock, persists, tells the engine and wakes the timer thread.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-agent.h"
#include "db-queue.h"
#include "db-call.h"
#include "hub.h"
#include "hub-int.h"

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
		rc = hub_queue_load(q, 0);
	}
	PQclear(q);
	hub_kick();
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
		rc = hub_agent_load(a, 0);
	PQclear(a);
	hub_kick();
	pthread_mutex_unlock(&hub.lock);
	return rc;
}

int
hub_agent_drop(const char *agent)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_agent_del(hub.acd, agent);
	hub_kick();
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
	e = acd_agent_state(hub.acd, agent, st, hub_now());
	if (e == ACD_E_NOENT)
		hub_result_set(r, 404, "not_found", "no such agent");
	else if (e != ACD_OK)
		hub_result_set(r, 409, "conflict", "the agent cannot change state now");
	else if (hub_agent_state_set(db, agent, st == AGENT_AWAY ? reason : NULL,
	    &r->row) != 0) {
		hub.stale = 1;
		hub_result_db(r, db);
	} else
		r->status = 200;
	hub_kick();
	pthread_mutex_unlock(&hub.lock);
}

/*
 * A call committed by the caller in state new (REST) or queued (an IVR
 * flow): hand it to the engine, then move a new one to queued or publish
 * the queued one. Under the lock, so the hub thread cannot offer the call
 * (and publish call.offered) before call.queued. The engine may refuse a
 * full queue; the call then fails with that reason.
 */
void
hub_enqueue(struct db *db, const PGresult *call, struct hub_result *r)
{
	struct acd_call_conf	 c;
	const char		*id = PQgetvalue(call, 0, CALL_C_ID);
	enum call_state		 st = CALL_QUEUED;
	enum call_move_result	 mr = MOVE_OK;
	json_t			*data;
	int			 e;

	memset(r, 0, sizeof *r);
	r->status = 201;
	if (PQgetisnull(call, 0, CALL_C_QUEUE))
		return;
	call_state_parse(PQgetvalue(call, 0, CALL_C_STATE), &st);
	hub_call_conf(call, &c, hub_arrival(call, 0));
	pthread_mutex_lock(&hub.lock);
	if ((e = acd_enqueue(hub.acd, &c, hub_now())) == ACD_OK &&
	    st == CALL_NEW &&
	    (mr = hub_move(db, id, NULL, CALL_NEW, CALL_QUEUED, "call.queued",
	    NULL, NULL, NULL, NULL, &r->row)) != MOVE_OK)
		acd_abandon(hub.acd, id, hub_now());
	if (mr != MOVE_OK) {
		if (mr == MOVE_DB)
			hub_result_db(r, db);
		else
			hub_result_set(r, 409, "conflict", "the call changed"
			    " meanwhile; try again");
		pthread_mutex_unlock(&hub.lock);
		return;
	}
	if (e == ACD_OK || e == ACD_E_EXIST) {
		/* E_EXIST: a retry, or a rebuild came first. */
		if (st != CALL_NEW)
			hub_publish_call("call.queued", call);
		r->has_position = acd_position(hub.acd, id, &r->position,
		    &r->estimated_wait) == ACD_OK;
		hub_kick();
		pthread_mutex_unlock(&hub.lock);
		return;
	}
	data = json_pack("{s:s}", "reason", e == ACD_E_FULL ? "queue_full" :
	    "queue_unavailable");
	hub_move(db, id, NULL, st, CALL_FAILED, "call.failed", NULL, NULL,
	    NULL, data, NULL);
	json_decref(data);
	pthread_mutex_unlock(&hub.lock);
	if (e == ACD_E_FULL)
		hub_result_set(r, 409, "queue_full", "the queue is full; the call"
		    " was refused");
	else
		hub_result_set(r, 409, "conflict", "the queue cannot take calls");
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

/* The call's agent ends it (wrap-up per its queue) or hands it on by a
 * transfer (no wrap-up): engine, counters and state. Lock held. */
static int
end_for_agent(struct db *db, const char *agent, const char *call, double talk,
    int handoff)
{
	if ((handoff ? acd_call_handoff : acd_call_end)(hub.acd, agent, call,
	    talk, hub_now()) != ACD_OK)
		return 0;
	if (db_agent_call_done(db, agent, talk) != 0)
		return -1;
	return hub_agent_state_sync(db, agent, NULL, NULL);
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
	double			 now = hub_now();

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
		hub_call_conf(call, &c, now);
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
	[HUB_REJECT] = { CALL_QUEUED, "call.rejected" },	/* hub_offer_end() */
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
	enum call_move_result	 mr;
	const char		*event, *agent, *move_agent = NULL, *queue = NULL;
	struct acd_call_conf	 c;
	char			 other[ACD_ID_LEN + 1];
	int			 e, found;

	memset(r, 0, sizeof *r);
	pthread_mutex_lock(&hub.lock);
	if ((found = hub_call_state(db, op->company, op->call, &call, &st)) < 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (found == 0 || (op->agent != NULL && op->op != HUB_ANSWER &&
	    op->op != HUB_REJECT && !owns(op, call))) {
		hub_result_set(r, 404, "not_found", "no such call");
		goto out;
	}
	if ((op_from[op->op] & (1u << st)) == 0) {
		hub_result_set(r, 409, "illegal_transition", "the call is not in a"
		    " state that allows this");
		goto out;
	}
	agent = PQgetisnull(call, 0, CALL_C_AGENT) ? NULL :
	    PQgetvalue(call, 0, CALL_C_AGENT);
	if ((e = engine_op(op, call, st)) != ACD_OK) {
		hub_result_set(r, 409, e == ACD_E_STATE || e == ACD_E_NOENT ?
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
		/* The ringing agent's call.offer_withdrawn comes first. */
		if (st == CALL_OFFERING)
			hub_tick(db);
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
			hub_result_db(r, db);
			goto out;
		}
		PQclear(u);
	}
	/* A reject ends only the rejecter's offer: others may still ring. */
	if (op->op == HUB_REJECT)
		mr = hub_offer_end(db, op->call, op->agent, acd_call_offers(hub.acd,
		    op->call, other) > 0 ? other : NULL, event, op->actor,
		    op->data, &r->row);
	else
		mr = hub_move(db, op->call, NULL, st, to, event, op->actor,
		    move_agent, queue, op->data, &r->row);
	switch (mr) {
	case MOVE_OK:
		break;
	case MOVE_DB:
		hub.stale = 1;
		hub_result_db(r, db);
		goto out;
	default:
		hub_result_set(r, 409, "illegal_transition", "the call changed"
		    " meanwhile; try again");
		goto out;
	}
	r->status = 200;
	/* Agents' side: counters, wrap-up, states. */
	switch (op->op) {
	case HUB_ANSWER:
	case HUB_REJECT:
		e = hub_agent_state_sync(db, op->agent, NULL, NULL);
		break;
	case HUB_ASSIGN:
		e = hub_agent_state_sync(db, op->target, NULL, NULL);
		break;
	case HUB_HANGUP:
		e = agent != NULL && to == CALL_WRAP_UP ?
		    end_for_agent(db, agent, op->call, talk_time(r->row), 0) : 0;
		break;
	case HUB_WRAP:
		e = 0;
		if (agent != NULL && acd_wrap_done(hub.acd, agent, hub_now()) ==
		    ACD_OK)
			e = hub_agent_state_sync(db, agent, NULL, NULL);
		break;
	case HUB_TRANSFER_AGENT:
	case HUB_TRANSFER_QUEUE:
		e = agent != NULL ? end_for_agent(db, agent, op->call,
		    talk_time(call), 1) : 0;
		hub_call_conf(r->row, &c, hub_now());
		if (acd_enqueue(hub.acd, &c, hub_now()) != ACD_OK ||
		    (op->op == HUB_TRANSFER_AGENT && acd_assign(hub.acd,
		    op->call, op->target, hub_now()) != ACD_OK))
			log_warn("hub: transfer of %s: the engine refused;"
			    " the call waits in its queue", op->call);
		if (e == 0 && op->op == HUB_TRANSFER_AGENT)
			e = hub_agent_state_sync(db, op->target, NULL, NULL);
		break;
	default:
		e = 0;
		break;
	}
	if (e != 0)
		hub.stale = 1;
	hub_kick();
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
	if ((e = acd_pull(hub.acd, agent, hub_now(), call)) == ACD_E_EMPTY)
		r->status = 204;
	else if (e != ACD_OK)
		hub_result_set(r, 409, "conflict", "the agent cannot take a call now");
	else if (hub_move(db, call, company, CALL_QUEUED, CALL_OFFERING,
	    "call.offered", NULL, agent, NULL, NULL, &r->row) != MOVE_OK ||
	    hub_agent_state_sync(db, agent, NULL, NULL) != 0) {
		hub.stale = 1;
		hub_result_db(r, db);
	} else
		r->status = 200;
	hub_kick();
	pthread_mutex_unlock(&hub.lock);
}

int
hub_call_priority(struct db *db, const char *call)
{
	PGresult	*row;
	int		 rc = -1;

	pthread_mutex_lock(&hub.lock);
	/* The stored priority, read under the lock: of two changes, the
	 * one committed last wins here as in the database. */
	if ((row = db_call_get(db, NULL, call)) != NULL) {
		if (PQntuples(row) == 1)
			acd_call_priority(hub.acd, call, atoi(PQgetvalue(row, 0,
			    CALL_C_PRIORITY)), hub_now());
		rc = 0;
	} else
		hub.stale = 1;
	PQclear(row);
	hub_kick();
	pthread_mutex_unlock(&hub.lock);
	return rc;
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
hub_queue_full(const char *queue)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_queue_full(hub.acd, queue);
	pthread_mutex_unlock(&hub.lock);
	return rc == 1;
}

int
hub_queue_stats(const char *queue, struct acd_queue_stats *st)
{
	int	 rc;

	pthread_mutex_lock(&hub.lock);
	rc = acd_queue_stats(hub.acd, queue, hub_now(), st);
	pthread_mutex_unlock(&hub.lock);
	return rc == ACD_OK ? 0 : -1;
}

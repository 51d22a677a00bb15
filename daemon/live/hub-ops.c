/*
 * The hub's operations: what handlers ask of live state. Each is one
 * decision (hub-tx.c): decided on the company's twin engine, written in
 * one transaction, applied to the committed engine after COMMIT.
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
#include "db-owner.h"
#include "owner.h"
#include "hub.h"
#include "hub-int.h"

static int
queue_known(const struct acd *e, const char *queue)
{
	struct acd_queue_stats	 st;

	return acd_queue_stats(e, queue, 0, &st) == ACD_OK;
}

static int
agent_known(const struct acd *e, const char *agent)
{
	return acd_agent_get(e, agent, NULL, NULL, NULL) == ACD_OK;
}

static int
call_known(const struct acd *e, const char *call)
{
	int	 pos, ewt;

	return acd_position(e, call, &pos, &ewt) != ACD_E_NOENT;
}

/* The company of an agent (scope if given): 1, 0 none, -1 error. */
static int
agent_company(struct db *db, const char *scope, const char *agent,
    struct hub_co **co)
{
	struct agent_rows	*a;

	if (scope != NULL) {
		*co = hub_co_get(scope);
		return 1;
	}
	if ((a = db_agent_get(db, NULL, agent)) == NULL)
		return -1;
	if (a->n == 0) {
		agent_rows_free(a);
		return 0;
	}
	*co = hub_co_get(a->v[0].company);
	agent_rows_free(a);
	return 1;
}

/* The same for a call. */
static int
call_company(struct db *db, const char *scope, const char *call,
    struct hub_co **co)
{
	struct call_rows	*c;

	if (scope != NULL) {
		*co = hub_co_get(scope);
		return 1;
	}
	if ((c = db_call_find(db, NULL, call)) == NULL)
		return -1;
	if (c->n == 0) {
		call_rows_free(c);
		return 0;
	}
	*co = hub_co_get(c->v[0].company);
	call_rows_free(c);
	return 1;
}

/*
 * In a cluster, configuration changed on a node that does not own the
 * company reaches its owner's engines through a notification: the owner
 * rebuilds the company from the rows. 1 if so (sent), 0 if it is ours.
 */
static int
elsewhere(struct db *db, const char *company)
{
	if (!owner_clustered() || owner_epoch(company) != 0)
		return 0;
	if (db_owner_changed(db, company) != 0)
		log_warn("hub: cannot tell company %s's owner of a change",
		    company);
	return 1;
}

/* Configuration goes to both engines alike, under the company's lock. */
static void
mirror_lock(struct hub_co *co)
{
	pthread_mutex_lock(&co->lock);
	pthread_mutex_lock(&co->rlock);
}

static void
mirror_unlock(struct hub_co *co)
{
	pthread_mutex_unlock(&co->rlock);
	pthread_mutex_unlock(&co->lock);
	hub_kick(co);
}

int
hub_queue_sync(struct db *db, const char *queue)
{
	struct queue_rows	*q;
	struct db_ids		*ids = NULL;
	struct hub_co		*co;
	struct acd		*e[2];
	int			 rc = -1;

	if ((q = db_queue_get(db, NULL, queue)) == NULL || q->n != 1)
		goto out;
	if (elsewhere(db, q->v[0].company)) {
		rc = 0;
		goto out;
	}
	if ((ids = db_agent_ids(db, q->v[0].company)) == NULL)
		goto out;
	co = hub_co_get(q->v[0].company);
	mirror_lock(co);
	e[0] = co->twin;
	e[1] = co->acd;
	for (int k = 0; k < 2; k++) {
		/* The member list is replaced as a whole. */
		for (int i = 0; i < ids->n; i++)
			acd_member_del(e[k], queue, ids->v[i]);
		rc = hub_queue_load(e[k], &q->v[0]);
	}
	mirror_unlock(co);
out:
	db_ids_free(ids);
	queue_rows_free(q);
	return rc;
}

int
hub_queue_drop(const char *queue)
{
	struct hub_co	*co;
	int		 rc;

	if ((co = hub_co_search(queue_known, queue)) == NULL)
		return 0;
	mirror_lock(co);
	if ((rc = acd_queue_del(co->twin, queue)) == ACD_OK)
		acd_queue_del(co->acd, queue);
	mirror_unlock(co);
	return rc == ACD_OK || rc == ACD_E_NOENT ? 0 : -1;
}

int
hub_agent_sync(struct db *db, const char *agent)
{
	struct agent_rows	*a;
	struct hub_co		*co;
	int			 rc = -1;

	if ((a = db_agent_get(db, NULL, agent)) != NULL && a->n == 1 &&
	    elsewhere(db, a->v[0].company))
		rc = 0;
	else if (a != NULL && a->n == 1) {
		co = hub_co_get(a->v[0].company);
		mirror_lock(co);
		if ((rc = hub_agent_load(co->twin, &a->v[0])) == 0)
			rc = hub_agent_load(co->acd, &a->v[0]);
		mirror_unlock(co);
	}
	agent_rows_free(a);
	return rc;
}

int
hub_agent_drop(const char *agent)
{
	struct hub_co	*co;
	int		 rc;

	if ((co = hub_co_search(agent_known, agent)) == NULL)
		return 0;
	/* A withdrawn offer waits in both engines for the next tick. */
	mirror_lock(co);
	if ((rc = acd_agent_del(co->twin, agent)) == ACD_OK)
		acd_agent_del(co->acd, agent);
	mirror_unlock(co);
	return rc == ACD_OK || rc == ACD_E_NOENT ? 0 : -1;
}

/* only_offered: nothing (204) unless an offer rings for the agent. */
static void
availability(struct db *db, const char *company, const char *agent,
    enum agent_state st, const char *reason, int only_offered,
    struct hub_result *r)
{
	struct hub_tx	 tx;
	struct hub_step	 s = { .kind = STEP_AGENT_STATE, .state = st };
	struct hub_co	*co;
	int		 e, ok = 0;

	memset(r, 0, sizeof *r);
	if ((e = agent_company(db, company, agent, &co)) <= 0) {
		if (e < 0)
			hub_result_db(r, db);
		else
			hub_result_set(r, 404, "not_found", "no such agent");
		return;
	}
	if (hub_tx_begin(&tx, db, co, r) != 0)
		return;
	/* Read on the twin, under the lock: after a rebuild of a company
	 * just taken over, whose offers were made again. */
	if (only_offered && acd_agent_offered(co->twin, agent) != 1) {
		hub_tx_end(&tx, 0);
		r->status = 204;
		return;
	}
	strlcpy_(s.agent, agent, sizeof s.agent);
	e = hub_tx_step(&tx, &s);
	if (e == ACD_E_NOENT)
		hub_result_set(r, 404, "not_found", "no such agent");
	else if (e != ACD_OK)
		hub_result_set(r, 409, "conflict", "the agent cannot change state now");
	else if (hub_agent_state_set(&tx, agent, st == AGENT_AWAY ? reason :
	    NULL, &r->agent) != 0 || hub_apply(&tx, s.act0, s.act0 + s.nact) != 0)
		hub_result_db(r, db);
	else
		ok = 1;
	if (hub_tx_end(&tx, ok) == 0 && ok)
		r->status = 200;
	else if (ok)
		hub_result_db(r, db);
	if (r->status != 200) {
		agent_rows_free(r->agent);
		r->agent = NULL;
	}
}

void
hub_availability(struct db *db, const char *company, const char *agent,
    enum agent_state st, const char *reason, struct hub_result *r)
{
	availability(db, company, agent, st, reason, 0, r);
}

void
hub_agent_disconnected(struct db *db, const char *company, const char *agent,
    struct hub_result *r)
{
	availability(db, company, agent, AGENT_AWAY, "disconnected", 1, r);
}

/*
 * A call committed by the caller in state new (REST) or queued (an IVR
 * flow): hand it to the engine, then move a new one to queued or publish
 * the queued one, in the same decision (the hub thread cannot offer the
 * call, and publish call.offered, before call.queued). The engine may
 * refuse a full queue; the call then fails with that reason, never
 * queued.
 */
void
hub_enqueue_call(struct db *db, const struct call_row *call,
    struct hub_result *r)
{
	struct hub_tx		 tx;
	struct hub_step		 s = { .kind = STEP_ENQUEUE };
	const char		*id = call->id;
	enum call_state		 st = CALL_QUEUED;
	enum call_move_result	 mr = MOVE_OK;
	json_t			*data;
	int			 e, ok, tries = 0;

	memset(r, 0, sizeof *r);
	r->status = 201;
	if (call->queue == NULL)
		return;
	if (call->state != CALL_STATE_COUNT)
		st = call->state;
again:
	if (hub_tx_begin(&tx, db, hub_co_get(call->company), r) != 0)
		return;
	hub_call_conf(call, &s.conf, hub_arrival(call));
	/*
	 * A queue created on another node reaches this engine by NOTIFY
	 * calldocker_config, which may still be on its way when a call for
	 * it arrives (forwarded here at once): load the queue from its row,
	 * which the call's insert has just seen, and try once more.
	 */
	if ((e = hub_tx_step(&tx, &s)) == ACD_E_NOENT && tries++ == 0) {
		hub_tx_end(&tx, 0);
		hub_queue_sync(db, call->queue);
		goto again;
	}
	if (e == ACD_OK && st == CALL_NEW)
		mr = hub_move(&tx, id, NULL, CALL_NEW, CALL_QUEUED,
		    "call.queued", NULL, NULL, NULL, NULL, &r->row);
	if (mr != MOVE_OK) {
		/* Rolled back: the twin forgets the call with it. */
		hub_tx_end(&tx, 0);
		if (mr == MOVE_DB)
			hub_result_db(r, db);
		else
			hub_result_set(r, 409, "conflict", "the call changed"
			    " meanwhile; try again");
		return;
	}
	if (e == ACD_OK || e == ACD_E_EXIST) {
		/* E_EXIST: a retry, or a rebuild came first. */
		if (st != CALL_NEW)
			hub_publish_call(&tx, "call.queued", call);
		r->has_position = acd_position(tx.co->twin, id, &r->position,
		    &r->estimated_wait) == ACD_OK;
		if (hub_tx_end(&tx, 1) != 0) {
			hub_result_db(r, db);
			call_rows_free(r->row);
			r->row = NULL;
			r->has_position = 0;
		}
		return;
	}
	data = json_pack("{s:s}", "reason", e == ACD_E_FULL ? "queue_full" :
	    "queue_unavailable");
	ok = hub_move(&tx, id, NULL, st, CALL_FAILED, "call.failed", NULL,
	    NULL, NULL, data, NULL) != MOVE_DB;
	json_decref(data);
	if (hub_tx_end(&tx, ok) != 0)
		hub_result_db(r, db);
	else if (e == ACD_E_FULL)
		hub_result_set(r, 409, "queue_full", "the queue is full; the call"
		    " was refused");
	else
		hub_result_set(r, 409, "conflict", "the queue cannot take calls");
}

/* May the acting agent (NULL: a manager) act on this call? */
static int
owns(const struct hub_call_op *op, const struct call_row *call)
{
	return op->agent == NULL || (call->agent != NULL &&
	    strcmp(call->agent, op->agent) == 0);
}

static double
talk_time(const struct call_row *row)
{
	return row->has_talk ? row->talk : 0;
}

/* The call's agent ends it (wrap-up per its queue) or hands it on by a
 * transfer (no wrap-up): engine, counters and state. */
static int
end_for_agent(struct hub_tx *tx, const char *agent, const char *call,
    double talk, int handoff)
{
	struct hub_step	 s = { .kind = handoff ? STEP_HANDOFF : STEP_END,
	    .talk = talk };

	strlcpy_(s.agent, agent, sizeof s.agent);
	strlcpy_(s.call, call, sizeof s.call);
	if (hub_tx_step(tx, &s) != ACD_OK)
		return 0;
	if (db_agent_call_done(tx->db, agent, talk) != 0)
		return -1;
	return hub_agent_state_sync(tx, agent, NULL, NULL);
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
	[HUB_REQUEUE] = 1u << CALL_CONNECTED | 1u << CALL_ON_HOLD,
};

/* The engine's part of an operation on the twin; 0 or an ACD_E_*. */
static int
engine_op(struct hub_tx *tx, const struct hub_call_op *op,
    const struct call_row *call, enum call_state st)
{
	struct hub_step		 s = { 0 };
	struct acd_call_conf	 c;

	strlcpy_(s.call, op->call, sizeof s.call);
	switch (op->op) {
	case HUB_ANSWER:
	case HUB_REJECT:
		s.kind = op->op == HUB_ANSWER ? STEP_ACCEPT : STEP_REJECT;
		strlcpy_(s.agent, op->agent, sizeof s.agent);
		return hub_tx_step(tx, &s);
	case HUB_ASSIGN:
		s.kind = STEP_ASSIGN;
		strlcpy_(s.agent, op->target, sizeof s.agent);
		return hub_tx_step(tx, &s);
	case HUB_HANGUP:
		if (st == CALL_QUEUED || st == CALL_OFFERING) {
			s.kind = STEP_ABANDON;
			hub_tx_step(tx, &s);
		}
		return ACD_OK;
	case HUB_REQUEUE:
		if (call->agent == NULL)
			return ACD_E_STATE;
		s.kind = STEP_REQUEUE;
		strlcpy_(s.agent, call->agent, sizeof s.agent);
		return hub_tx_step(tx, &s);
	case HUB_TRANSFER_AGENT:
	case HUB_TRANSFER_QUEUE:
		hub_call_conf(call, &c, tx->now);
		if (op->op == HUB_TRANSFER_QUEUE)
			strlcpy_(c.queue, op->target, sizeof c.queue);
		return c.queue[0] == '\0' ? ACD_E_STATE : ACD_OK;
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
	[HUB_REQUEUE] = { CALL_QUEUED, "call.requeued" },
};

/* Wrap-up notes and disposition, in the decision's transaction. */
static int
wrap_notes(struct hub_tx *tx, const struct hub_call_op *op)
{
	return db_call_wrap_notes(tx->db, op->call,
	    json_string_value(json_object_get(op->data, "notes")),
	    json_string_value(json_object_get(op->data, "disposition")));
}

/* The agents' side once the call moved: counters, wrap-up, states. */
static int
agents_side(struct hub_tx *tx, const struct hub_call_op *op,
    const struct call_row *call, const struct call_row *moved,
    const char *agent,
    enum call_state to)
{
	struct hub_step	 s = { 0 };
	int		 e = 0;

	switch (op->op) {
	case HUB_ANSWER:
	case HUB_REJECT:
		return hub_agent_state_sync(tx, op->agent, NULL, NULL);
	case HUB_ASSIGN:
		return hub_agent_state_sync(tx, op->target, NULL, NULL);
	case HUB_HANGUP:
		return agent != NULL && to == CALL_WRAP_UP ? end_for_agent(tx,
		    agent, op->call, talk_time(moved), 0) : 0;
	case HUB_REQUEUE:
		/* Counted as a missed offer (hub.c's offer_ended). */
		if (agent == NULL || db_agent_missed(tx->db, agent) != 0)
			return agent == NULL ? 0 : -1;
		return hub_agent_state_sync(tx, agent, NULL, NULL);
	case HUB_WRAP:
		s.kind = STEP_WRAP_DONE;
		if (agent == NULL)
			return 0;
		strlcpy_(s.agent, agent, sizeof s.agent);
		return hub_tx_step(tx, &s) == ACD_OK ?
		    hub_agent_state_sync(tx, agent, NULL, NULL) : 0;
	case HUB_TRANSFER_AGENT:
	case HUB_TRANSFER_QUEUE:
		if (agent != NULL)
			e = end_for_agent(tx, agent, op->call, talk_time(call), 1);
		s.kind = STEP_ENQUEUE;
		hub_call_conf(moved, &s.conf, tx->now);
		if (hub_tx_step(tx, &s) != ACD_OK)
			log_warn("hub: transfer of %s: the engine refused;"
			    " the call waits in its queue", op->call);
		else if (op->op == HUB_TRANSFER_AGENT) {
			memset(&s, 0, sizeof s);
			s.kind = STEP_ASSIGN;
			strlcpy_(s.call, op->call, sizeof s.call);
			strlcpy_(s.agent, op->target, sizeof s.agent);
			if (hub_tx_step(tx, &s) != ACD_OK)
				log_warn("hub: transfer of %s: the agent cannot"
				    " take it; the call waits in its queue",
				    op->call);
		}
		if (e == 0 && op->op == HUB_TRANSFER_AGENT)
			e = hub_agent_state_sync(tx, op->target, NULL, NULL);
		return e;
	default:
		return 0;
	}
}

void
hub_call(struct db *db, const struct hub_call_op *op, struct hub_result *r)
{
	struct hub_tx		 tx;
	struct hub_co		*co;
	struct call_rows	*call = NULL;
	enum call_state		 st, to;
	enum call_move_result	 mr;
	const char		*event, *agent, *move_agent = NULL, *queue = NULL;
	char			 other[ACD_ID_LEN + 1];
	size_t			 applied;
	int			 e, found, ok = 0;

	memset(r, 0, sizeof *r);
	if ((found = call_company(db, op->company, op->call, &co)) <= 0) {
		if (found < 0)
			hub_result_db(r, db);
		else
			hub_result_set(r, 404, "not_found", "no such call");
		return;
	}
	if (hub_tx_begin(&tx, db, co, r) != 0)
		return;
	if (hub_tx_sql(&tx) != 0 || (found = hub_call_state(db, op->company,
	    op->call, &call, &st)) < 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (found == 0 || (op->agent != NULL && op->op != HUB_ANSWER &&
	    op->op != HUB_REJECT && !owns(op, &call->v[0]))) {
		hub_result_set(r, 404, "not_found", "no such call");
		goto out;
	}
	/* A callback waits for its turn without the caller on the line. */
	if (op->op == HUB_HANGUP && op->caller_side &&
	    call->v[0].cb_number != NULL && call->v[0].cb_answered == NULL &&
	    (st == CALL_QUEUED || st == CALL_OFFERING)) {
		if (db_call_event(db, op->call, "call.caller_left", NULL,
		    NULL) != 0) {
			hub_result_db(r, db);
			goto out;
		}
		r->row = call;
		call = NULL;
		ok = 1;
		goto out;
	}
	if ((op_from[op->op] & (1u << st)) == 0) {
		hub_result_set(r, 409, "illegal_transition", "the call is not in a"
		    " state that allows this");
		goto out;
	}
	agent = call->v[0].agent;
	if ((e = engine_op(&tx, op, &call->v[0], st)) != ACD_OK) {
		hub_result_set(r, 409, "conflict", op->op == HUB_ASSIGN ?
		    "the agent cannot take this call now" : op->op == HUB_ANSWER
		    || op->op == HUB_REJECT ? "this call is not being offered"
		    " to you" : "the call cannot do this now");
		goto out;
	}
	applied = 0;
	to = op_move[op->op].to;
	event = op_move[op->op].event;
	if (op->op == HUB_HANGUP && (st == CALL_NEW || st == CALL_IVR ||
	    st == CALL_QUEUED || st == CALL_OFFERING)) {
		to = CALL_ABANDONED;
		event = "call.abandoned";
		/* The ringing agent's call.offer_withdrawn comes first. */
		if (hub_apply(&tx, 0, tx.nacts) != 0) {
			hub_result_db(r, db);
			goto out;
		}
		applied = tx.nacts;
	}
	if (op->op == HUB_ANSWER || op->op == HUB_REJECT)
		move_agent = op->op == HUB_ANSWER ? op->agent : NULL;
	else if (op->op == HUB_ASSIGN || op->op == HUB_TRANSFER_AGENT)
		move_agent = op->target;
	if (op->op == HUB_TRANSFER_QUEUE)
		queue = op->target;
	if (op->op == HUB_WRAP && op->data != NULL && wrap_notes(&tx, op) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	/* A reject ends only the rejecter's offer: others may still ring. */
	if (op->op == HUB_REJECT)
		mr = hub_offer_end(&tx, op->call, op->agent, acd_call_offers(
		    co->twin, op->call, other) > 0 ? other : NULL, event,
		    op->actor, op->data, &r->row);
	else
		mr = hub_move(&tx, op->call, NULL, st, to, event, op->actor,
		    move_agent, queue, op->data, &r->row);
	switch (mr) {
	case MOVE_OK:
		break;
	case MOVE_DB:
		hub_result_db(r, db);
		goto out;
	default:
		hub_result_set(r, 409, "illegal_transition", "the call changed"
		    " meanwhile; try again");
		goto out;
	}
	/* The agents' side, then what the engine queued meanwhile. */
	if (agents_side(&tx, op, &call->v[0], &r->row->v[0], agent, to) != 0 ||
	    hub_apply(&tx, applied, tx.nacts) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	ok = 1;
out:
	call_rows_free(call);
	if (hub_tx_end(&tx, ok) == 0 && ok)
		r->status = 200;
	else {
		if (ok)
			hub_result_db(r, db);
		call_rows_free(r->row);
		r->row = NULL;
	}
}

void
hub_next(struct db *db, const char *company, const char *agent,
    struct hub_result *r)
{
	struct hub_tx	 tx;
	struct hub_step	 s = { .kind = STEP_PULL };
	struct hub_co	*co;
	size_t		 i;
	int		 e, ok = 0;

	memset(r, 0, sizeof *r);
	if ((e = agent_company(db, company, agent, &co)) <= 0) {
		if (e < 0)
			hub_result_db(r, db);
		else
			hub_result_set(r, 409, "conflict", "the agent cannot"
			    " take a call now");
		return;
	}
	if (hub_tx_begin(&tx, db, co, r) != 0)
		return;
	strlcpy_(s.agent, agent, sizeof s.agent);
	if ((e = hub_tx_step(&tx, &s)) == ACD_E_EMPTY) {
		r->status = 204;
		ok = 1;
	} else if (e != ACD_OK)
		hub_result_set(r, 409, "conflict", "the agent cannot take a call now");
	else if (hub_move(&tx, s.call, company, CALL_QUEUED, CALL_OFFERING,
	    "call.offered", NULL, agent, NULL, NULL, &r->row) != MOVE_OK ||
	    hub_agent_state_sync(&tx, agent, NULL, NULL) != 0)
		hub_result_db(r, db);
	else {
		ok = 1;
		/* The offer itself is persisted above; the rest as usual. */
		for (i = s.act0; ok && i < s.act0 + s.nact; i++) {
			if (!(tx.acts[i].type == ACD_OFFER &&
			    strcmp(tx.acts[i].call, s.call) == 0 &&
			    strcmp(tx.acts[i].agent, agent) == 0) &&
			    hub_apply(&tx, i, i + 1) != 0) {
				hub_result_db(r, db);
				ok = 0;
			}
		}
	}
	if (hub_tx_end(&tx, ok) == 0 && ok) {
		if (r->status == 0)
			r->status = 200;
	} else {
		if (ok)
			hub_result_db(r, db);
		call_rows_free(r->row);
		r->row = NULL;
	}
}

int
hub_call_priority(struct db *db, const char *company, const char *call)
{
	struct hub_tx	 tx;
	struct hub_step	 s = { .kind = STEP_PRIORITY };
	struct call_rows	*row;
	int		 rc = -1;

	if (hub_tx_begin(&tx, db, hub_co_get(company), NULL) != 0)
		return -1;
	/* The stored priority, read in the decision: of two changes, the
	 * one committed last wins here as in the database. */
	if ((row = db_call_find(db, company, call)) != NULL) {
		if (row->n == 1) {
			strlcpy_(s.call, call, sizeof s.call);
			s.priority = row->v[0].priority;
			hub_tx_step(&tx, &s);
		}
		rc = 0;
	} else
		__atomic_store_n(&tx.co->stale, 1, __ATOMIC_RELEASE);
	call_rows_free(row);
	hub_tx_end(&tx, rc == 0);
	return rc;
}

/* The company's state for a read: by id, or found by what it knows. */
static struct hub_co *
read_co(const char *company, int (*known)(const struct acd *, const char *),
    const char *id)
{
	return company != NULL ? hub_co_get(company) : hub_co_search(known, id);
}

int
hub_position(const char *company, const char *call, int *position, int *ewt)
{
	struct hub_position	 p;

	hub_positions(&company, &call, 1, &p);
	*position = p.position;
	*ewt = p.ewt;
	return p.known ? 0 : -1;
}

void
hub_positions(const char *const *companies, const char *const *calls,
    size_t n, struct hub_position *out)
{
	struct hub_co	*co;
	size_t		 i = 0, j;

	memset(out, 0, n * sizeof *out);
	while (i < n) {
		/* One lock for each run of calls of the same company. */
		if ((co = read_co(companies[i], call_known, calls[i])) == NULL) {
			i++;
			continue;
		}
		pthread_mutex_lock(&co->rlock);
		for (j = i; j < n && (j == i || (companies[j] != NULL &&
		    companies[i] != NULL && strcmp(companies[j],
		    companies[i]) == 0)); j++)
			out[j].known = acd_position(co->acd, calls[j],
			    &out[j].position, &out[j].ewt) == ACD_OK;
		pthread_mutex_unlock(&co->rlock);
		i = j;
	}
}

int
hub_queue_full(const char *company, const char *queue)
{
	struct hub_co	*co;
	int		 rc;

	if ((co = read_co(company, queue_known, queue)) == NULL)
		return 0;
	pthread_mutex_lock(&co->rlock);
	rc = acd_queue_full(co->acd, queue);
	pthread_mutex_unlock(&co->rlock);
	return rc == 1;
}

int
hub_queue_stats(const char *company, const char *queue,
    struct acd_queue_stats *st)
{
	struct hub_co	*co;
	int		 rc;

	if ((co = read_co(company, queue_known, queue)) == NULL)
		return -1;
	pthread_mutex_lock(&co->rlock);
	rc = acd_queue_stats(co->acd, queue, hub_now(), st);
	pthread_mutex_unlock(&co->rlock);
	return rc == ACD_OK ? 0 : -1;
}

/*
 * Callbacks (virtual hold) in the hub: a waiting call becomes a callback
 * without leaving the engine (the same entry, rank and skills: only its
 * row says it is a callback); a dial that did not reach the caller frees
 * the agent and parks the call until its retry is due, when the hub
 * thread puts it back at its place (its original arrival), or fails it.
 */
#include <math.h>
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

void
hub_park(struct hub_co *co, double at)
{
	long long	ms = (long long)ceil(at * 1000), cur;

	if (ms <= 0)
		ms = 1;
	cur = __atomic_load_n(&co->parked, __ATOMIC_ACQUIRE);
	while ((cur == 0 || ms < cur) && !__atomic_compare_exchange_n(
	    &co->parked, &cur, ms, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

double
hub_parked(struct hub_co *co)
{
	long long	ms = __atomic_load_n(&co->parked, __ATOMIC_ACQUIRE);

	return ms == 0 ? INFINITY : (double)ms / 1000;
}

void
hub_callback(struct db *db, const char *company, const char *call,
    const char *number, const char *actor, struct hub_result *r)
{
	struct hub_tx	 tx;
	int		 ok = 0;

	memset(r, 0, sizeof *r);
	if (hub_tx_begin(&tx, db, hub_co_get(company), r) != 0)
		return;
	if (hub_tx_sql(&tx) != 0 || (r->row = db_call_callback(db, company,
	    call, number, actor)) == NULL)
		hub_result_db(r, db);
	else if (r->row->n == 0)
		hub_result_set(r, 409, "illegal_transition", "only a waiting"
		    " call that is not a callback already can become one");
	else {
		hub_publish_call(&tx, "call.callback_requested", &r->row->v[0]);
		ok = 1;
	}
	if (hub_tx_end(&tx, ok) == 0 && ok)
		r->status = 200;
	else {
		if (ok)
			hub_result_db(r, db);
		call_rows_free(r->row);
		r->row = NULL;
	}
}

/* The queue's callback_attempts and callback_retry_delay; -1 on error. */
static int
queue_callback(struct db *db, const char *queue, int *attempts, int *delay)
{
	struct queue_rows	*q;

	*attempts = 3;
	*delay = 60;
	if (queue == NULL)
		return 0;
	if ((q = db_queue_get(db, NULL, queue)) == NULL)
		return -1;
	if (q->n == 1) {
		*attempts = q->v[0].callback_attempts;
		*delay = q->v[0].callback_retry_delay;
	}
	queue_rows_free(q);
	return 0;
}

void
hub_callback_failed(struct db *db, const char *company, const char *call,
    const char *reason, struct hub_result *r)
{
	struct hub_tx		 tx;
	struct hub_step		 s = { .kind = STEP_HANDOFF };
	struct call_rows	*row = NULL, *set = NULL;
	enum call_state		 st;
	json_t			*data = NULL;
	const char		*agent;
	int			 found, max, delay, last, ok = 0;

	memset(r, 0, sizeof *r);
	if (hub_tx_begin(&tx, db, hub_co_get(company), r) != 0)
		return;
	if (hub_tx_sql(&tx) != 0 || (found = hub_call_state(db, company, call,
	    &row, &st)) < 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (found == 0) {
		hub_result_set(r, 404, "not_found", "no such call");
		goto out;
	}
	if (row->v[0].cb_number == NULL || (st != CALL_CONNECTED &&
	    st != CALL_ON_HOLD) || row->v[0].cb_answered != NULL) {
		hub_result_set(r, 409, "illegal_transition", "the call is not a"
		    " callback being dialed");
		goto out;
	}
	if (queue_callback(db, row->v[0].queue, &max, &delay) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	last = row->v[0].cb_attempts >= max;
	agent = row->v[0].agent;
	/* Its state first: the moves publish the call as it is then. */
	if ((set = db_call_callback_set(db, call, last ? "failed" : "waiting",
	    0, 0, last || delay == 0 ? -1 : delay, 1)) == NULL) {
		hub_result_db(r, db);
		goto out;
	}
	data = json_pack("{s:i,s:i,s:s}", "attempts", row->v[0].cb_attempts,
	    "callback_attempts", max, "reason", reason != NULL ? reason :
	    "no-answer");
	/* The agent is free again, without a wrap-up: nobody talked. */
	if (agent != NULL) {
		strlcpy_(s.agent, agent, sizeof s.agent);
		strlcpy_(s.call, call, sizeof s.call);
		if (hub_tx_step(&tx, &s) != ACD_OK)
			log_warn("hub: callback %s: the engine did not have it"
			    " with its agent", call);
	}
	switch (hub_move(&tx, call, company, st, CALL_QUEUED,
	    "call.callback_no_answer", NULL, NULL, NULL, data, &r->row)) {
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
	if (agent != NULL && hub_agent_state_sync(&tx, agent, NULL, NULL) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (last) {
		json_decref(data);
		data = json_pack("{s:s,s:i}", "reason", "callback_failed",
		    "attempts", row->v[0].cb_attempts);
		call_rows_free(r->row);
		r->row = NULL;
		if (hub_move(&tx, call, company, CALL_QUEUED, CALL_FAILED,
		    "call.failed", NULL, NULL, NULL, data, &r->row) != MOVE_OK) {
			hub_result_db(r, db);
			goto out;
		}
	} else if (delay == 0) {
		memset(&s, 0, sizeof s);
		s.kind = STEP_ENQUEUE;
		hub_call_conf(&r->row->v[0], &s.conf, hub_arrival(&r->row->v[0]));
		if (hub_tx_step(&tx, &s) != ACD_OK)
			log_warn("hub: callback %s: the engine refused it back;"
			    " it waits for a rebuild", call);
	} else
		hub_park(tx.co, tx.now + delay);
	if (hub_apply(&tx, 0, tx.nacts) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	ok = 1;
out:
	json_decref(data);
	call_rows_free(row);
	call_rows_free(set);
	if (hub_tx_end(&tx, ok) == 0 && ok)
		r->status = 200;
	else {
		if (ok)
			hub_result_db(r, db);
		call_rows_free(r->row);
		r->row = NULL;
	}
}

/* The hub thread: callbacks whose retry is due wait again at their place. */
int
hub_unpark(struct db *db, struct hub_co *co)
{
	struct hub_tx		 tx;
	struct hub_step		 s;
	struct call_rows	*rows = NULL, *set;
	double			 next = INFINITY;
	int			 ok = 0;

	if (hub_parked(co) > hub_now())
		return 0;
	if (hub_tx_trybegin(&tx, db, co) != 0)
		return 1;
	tx.quiet = 1;
	if (hub_tx_sql(&tx) != 0 || (rows = db_call_parked(db, co->id)) == NULL)
		goto out;
	for (int i = 0; i < rows->n; i++) {
		const struct call_row *c = &rows->v[i];

		if (c->retry_at > tx.now) {
			if (c->retry_at < next)
				next = c->retry_at;
			continue;
		}
		if ((set = db_call_callback_set(db, c->id, NULL, 0, 0, -1,
		    1)) == NULL)
			goto out;
		memset(&s, 0, sizeof s);
		s.kind = STEP_ENQUEUE;
		hub_call_conf(&set->v[0], &s.conf, hub_arrival(&set->v[0]));
		if (hub_tx_step(&tx, &s) != ACD_OK)
			log_warn("hub: callback %s: the engine refused it back",
			    c->id);
		hub_publish_call(&tx, "call.callback_queued", &set->v[0]);
		call_rows_free(set);
	}
	ok = 1;
out:
	call_rows_free(rows);
	/* Under the company's lock: a retry parked meanwhile is kept. */
	__atomic_store_n(&co->parked, 0, __ATOMIC_RELEASE);
	if (!ok)
		next = tx.now + 1;
	if (next != INFINITY)
		hub_park(co, next);
	if (hub_tx_end(&tx, ok) != 0) {
		hub_park(co, hub_now() + 1);
		return -1;
	}
	return 0;
}

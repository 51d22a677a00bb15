/*
 * Rebuilding the hub's engines from the database: at start, when the
 * database was away then, and for a company whose engines disagreed.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "db.h"
#include "call.h"
#include "db-agent.h"
#include "db-queue.h"
#include "db-call.h"
#include "events.h"
#include "owner.h"
#include "hub.h"
#include "hub-int.h"

static struct acd *
fresh(struct hub_co *co, double now)
{
	if (co->fresh == NULL)
		co->fresh = acd_new((uint64_t)now);
	return co->fresh;
}

/* Put the fresh engines in place; with co given, only it (lock held). */
static void
install(struct hub_co *only, int ok, long long epoch)
{
	struct hub_co	*co;

	for (co = hub_co_first(); co != NULL; co = co->next) {
		if ((only != NULL && co != only) || co->fresh == NULL)
			continue;
		if (!ok) {
			acd_free(co->fresh);
			co->fresh = NULL;
			continue;
		}
		if (only == NULL)
			pthread_mutex_lock(&co->lock);
		pthread_mutex_lock(&co->rlock);
		acd_free(co->acd);
		co->acd = co->fresh;
		pthread_mutex_unlock(&co->rlock);
		co->fresh = NULL;
		acd_free(co->twin);
		co->twin = acd_copy(co->acd);
		__atomic_store_n(&co->epoch, epoch, __ATOMIC_RELEASE);
		__atomic_store_n(&co->stale, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&co->kicked, 1, __ATOMIC_RELEASE);
		if (only == NULL)
			pthread_mutex_unlock(&co->lock);
	}
}

/* The company of a row, or NULL if another than only. */
static struct hub_co *
company_co(struct hub_co *only, const char *company)
{
	if (only != NULL)
		return strcmp(only->id, company) == 0 ? only : NULL;
	return hub_co_get(company);
}

/*
 * Build engines from the database (one transaction: interrupted offers
 * are made again, agents' states follow the engine), then put them in
 * place. Nothing changes if the database fails meanwhile.
 */
int
hub_rebuild(struct db *db, struct hub_co *only)
{
	struct queue_rows	*q = NULL;
	struct call_rows	*c = NULL, *row;
	struct agent_rows	*a = NULL;
	struct hub_tx		 tx;
	struct hub_co		*co;
	struct acd_call_conf	 conf;
	enum agent_state	 st;
	enum call_state		 cst;
	const char		*scope;
	double			 now = hub_now();
	json_t			*ev;
	size_t			 k;
	int			 i, rc = -1;

	memset(&tx, 0, sizeof tx);
	tx.db = db;
	tx.now = now;
	tx.events = json_array();
	if (only != NULL)
		fresh(only, now);
	/* In a cluster, one company at a time, fenced by its lease. */
	if (owner_clustered()) {
		if (only == NULL || (tx.epoch = owner_epoch(only->id)) == 0) {
			db->err = DB_FENCED;
			goto out;
		}
		tx.company = only->id;
	}
	scope = only != NULL ? only->id : NULL;
	if (hub_tx_sql(&tx) != 0 || (a = db_agent_all(db, scope)) == NULL ||
	    (q = db_queue_all(db, scope)) == NULL ||
	    (c = db_call_live(db, scope)) == NULL)
		goto out;
	for (i = 0; i < a->n; i++) {
		const struct agent_row *ar = &a->v[i];
		const char *id = ar->id;
		struct acd *e;

		if ((co = company_co(only, ar->company)) == NULL)
			continue;
		e = fresh(co, now);
		hub_agent_load(e, ar);
		acd_agent_counters(e, id, ar->handled, ar->talk, ar->last_end);
		/* Offering, busy and wrap-up come back from the calls; a
		 * pending pause is the presence behind them. */
		if (agent_state_parse(ar->state, &st) != 0 ||
		    (st != AGENT_AWAY && st != AGENT_OFFLINE))
			st = AGENT_AVAILABLE;
		if (st == AGENT_AVAILABLE && ar->pending[0] != '\0')
			agent_state_parse(ar->pending, &st);
		acd_agent_state(e, id, st, now);
	}
	for (i = 0; i < q->n; i++) {
		if ((co = company_co(only, q->v[i].company)) != NULL)
			hub_queue_load(fresh(co, now), &q->v[i]);
	}
	for (i = 0; i < c->n; i++) {
		const char *id = c->v[i].id;
		struct acd *e;

		if ((co = company_co(only, c->v[i].company)) == NULL ||
		    c->v[i].queue == NULL)
			continue;
		e = fresh(co, now);
		cst = c->v[i].state;
		row = NULL;
		if (cst == CALL_OFFERING) {
			/* The offer was interrupted: make it again. */
			switch (hub_move(&tx, id, NULL, CALL_OFFERING,
			    CALL_QUEUED, "call.requeued", NULL, NULL, NULL,
			    NULL, &row)) {
			case MOVE_OK:
				break;
			case MOVE_DB:
				goto out;
			default:
				continue;
			}
			cst = CALL_QUEUED;
		} else if ((row = db_call_find(db, NULL, id)) == NULL)
			goto out;
		if (row->n == 0) {
			call_rows_free(row);
			continue;
		}
		hub_call_conf(&row->v[0], &conf, hub_arrival(&row->v[0]));
		if (cst == CALL_QUEUED && row->v[0].has_retry)
			/* A callback waiting for its retry: the thread
			 * queues it at its place when due. */
			hub_park(co, row->v[0].retry_at);
		else if (cst == CALL_QUEUED)
			acd_enqueue(e, &conf, now);
		else if (row->v[0].agent != NULL) {
			/* Its supervision (hub-supervise.c) is in the row and
			 * needs nothing of the engine: kept as it is. */
			const char *agent = row->v[0].agent;

			acd_connect(e, &conf, agent, now);
			if (cst == CALL_WRAP_UP)
				acd_call_end(e, agent, id, 0, now);
		}
		call_rows_free(row);
	}
	/* Agents' persisted states now follow the engine. */
	for (i = 0; i < a->n; i++) {
		const struct agent_row *ar = &a->v[i];

		if ((co = company_co(only, ar->company)) == NULL)
			continue;
		if (acd_agent_get(co->fresh, ar->id, &st, NULL, NULL) == ACD_OK &&
		    strcmp(agent_state_name(st), ar->state) != 0 &&
		    hub_agent_persist(&tx, co->fresh, ar->id, ar->reason, 1,
		    NULL) != 0)
			goto out;
	}
	if (hub_tx_fence(&tx) != 0 || db_commit(db) != 0)
		goto out;
	tx.sql = 0;
	rc = 0;
	log_info("hub: rebuilt %s: %d agents, %d queues, %d live calls",
	    only != NULL ? only->id : "every company", a->n,
	    q->n, c->n);
out:
	if (tx.sql)
		db_rollback(db);
	install(only, rc == 0, tx.epoch);
	if (rc == 0) {
		json_array_foreach(tx.events, k, ev)
			events_publish(json_string_value(json_array_get(ev, 0)),
			    json_string_value(json_array_get(ev, 1)),
			    json_incref(json_array_get(ev, 2)));
	}
	json_decref(tx.events);
	agent_rows_free(a);
	queue_rows_free(q);
	call_rows_free(c);
	return rc;
}

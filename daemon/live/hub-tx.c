/*
 * A hub decision. It runs on the company's twin engine under the company's
 * lock and writes every row it makes in one transaction; only after COMMIT
 * are the same steps replayed on the committed engine and the events
 * published. A database error anywhere leaves no row written and the
 * committed engine as it was; the twin is then made its copy again.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "events.h"
#include "db-owner.h"
#include "owner.h"
#include "hub.h"
#include "hub-int.h"

#define STEP_ACTIONS	64	/* actions one tick step may return */

/* Room for need elements of size in *p of *cap; returns it. */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	n = *cap;

	if (need <= n)
		return p;
	while (n < need)
		n = n < 8 ? 8 : n * 2;
	*cap = n;
	return xrealloc(p, n * size);
}

static int
tx_open(struct hub_tx *tx, struct db *db, struct hub_co *co,
    struct hub_result *r, int try)
{
	long long	epoch = 0;

	memset(tx, 0, sizeof *tx);
	if (!__atomic_load_n(&hub.built, __ATOMIC_ACQUIRE)) {
		/* Not yet built: the database has been away since start. */
		if (r != NULL)
			hub_result_set(r, 503, "unavailable", "the database is"
			    " unreachable; try again shortly");
		return -1;
	}
	/*
	 * In a cluster, only the company's owner decides (owner.h); a
	 * company with none yet (new, or its owner just died) is waited for.
	 */
	if (owner_clustered() && (epoch = owner_epoch(co->id)) == 0) {
		if (try || owner_wait(co->id, owner_wait_secs(), NULL) !=
		    OWNER_SELF || (epoch = owner_epoch(co->id)) == 0) {
			if (r != NULL)
				hub_result_moving(r);
			return -1;
		}
	}
	if (try) {
		if (pthread_mutex_trylock(&co->lock) != 0)
			return -1;
	} else
		pthread_mutex_lock(&co->lock);
	tx->co = co;
	tx->db = db;
	tx->now = hub_now();
	tx->events = json_array();
	if (epoch != 0) {
		tx->company = co->id;
		tx->epoch = epoch;
		/* Newly ours: load it. */
		if (__atomic_load_n(&co->epoch, __ATOMIC_ACQUIRE) != epoch)
			__atomic_store_n(&co->stale, 1, __ATOMIC_RELEASE);
	}
	if (__atomic_load_n(&co->stale, __ATOMIC_ACQUIRE) &&
	    hub_rebuild(db, co) != 0) {
		if (r != NULL)
			hub_result_db(r, db);
		json_decref(tx->events);
		pthread_mutex_unlock(&co->lock);
		return -1;
	}
	return 0;
}

int
hub_tx_begin(struct hub_tx *tx, struct db *db, struct hub_co *co,
    struct hub_result *r)
{
	return tx_open(tx, db, co, r, 0);
}

/* The same, for the timer thread: -1 at once if the company is busy. */
int
hub_tx_trybegin(struct hub_tx *tx, struct db *db, struct hub_co *co)
{
	return tx_open(tx, db, co, NULL, 1);
}

int
hub_tx_sql(struct hub_tx *tx)
{
	if (tx->sql)
		return 0;
	if (db_begin(tx->db) != 0)
		return -1;
	tx->sql = 1;
	return 0;
}

void
hub_tx_event(struct hub_tx *tx, const char *company, const char *type,
    json_t *data)
{
	json_array_append_new(tx->events, json_pack("[s,s,o]", company, type,
	    data));
}

/* Append k actions to *acts (most steps have none: no allocation). */
static void
append(struct acd_action **acts, size_t *n, size_t *cap,
    const struct acd_action *a, size_t k)
{
	if (k == 0)
		return;
	*acts = grow(*acts, cap, *n + k, sizeof **acts);
	memcpy(*acts + *n, a, k * sizeof *a);
	*n += k;
}

/* Run one step on e; its actions appended to *acts. Its result. */
static int
step_run(struct acd *e, struct hub_step *s, double now,
    struct acd_action **acts, size_t *n, size_t *cap)
{
	struct acd_action	 a[STEP_ACTIONS];
	char			 got[ACD_ID_LEN + 1];
	size_t			 k;
	int			 rc;

	switch (s->kind) {
	case STEP_AGENT_STATE:
		rc = acd_agent_state(e, s->agent, s->state, now);
		break;
	case STEP_ENQUEUE:
		rc = acd_enqueue(e, &s->conf, now);
		break;
	case STEP_ACCEPT:
		rc = acd_accept(e, s->call, s->agent, now);
		break;
	case STEP_REJECT:
		rc = acd_reject(e, s->call, s->agent, now);
		break;
	case STEP_ASSIGN:
		rc = acd_assign(e, s->call, s->agent, now);
		break;
	case STEP_ABANDON:
		rc = acd_abandon(e, s->call, now);
		break;
	case STEP_END:
		rc = acd_call_end(e, s->agent, s->call, s->talk, now);
		break;
	case STEP_HANDOFF:
		rc = acd_call_handoff(e, s->agent, s->call, s->talk, now);
		break;
	case STEP_WRAP_DONE:
		rc = acd_wrap_done(e, s->agent, now);
		break;
	case STEP_PULL:
		if ((rc = acd_pull(e, s->agent, now, got)) == ACD_OK)
			memcpy(s->call, got, sizeof s->call);
		break;
	case STEP_PRIORITY:
		rc = acd_call_priority(e, s->call, s->priority, now);
		break;
	case STEP_REQUEUE:
		rc = acd_requeue(e, s->call, s->agent, now);
		break;
	case STEP_TICK:
	default:
		k = acd_tick(e, now, a, STEP_ACTIONS);
		append(acts, n, cap, a, k);
		return k == STEP_ACTIONS ? 1 : 0;	/* 1: more to come */
	}
	/* What the operation queued (withdrawals, agents sent away). */
	do {
		k = acd_drain(e, a, STEP_ACTIONS);
		append(acts, n, cap, a, k);
	} while (k == STEP_ACTIONS);
	return rc;
}

int
hub_tx_step(struct hub_tx *tx, struct hub_step *s)
{
	struct hub_step	*t;

	s->act0 = tx->nacts;
	s->rc = step_run(tx->co->twin, s, tx->now, &tx->acts, &tx->nacts,
	    &tx->acts_cap);
	s->nact = tx->nacts - s->act0;
	tx->steps = grow(tx->steps, &tx->steps_cap, tx->nsteps + 1,
	    sizeof *tx->steps);
	t = &tx->steps[tx->nsteps++];
	*t = *s;
	return s->rc;
}

static int
same_action(const struct acd_action *a, const struct acd_action *b)
{
	return a->type == b->type && strcmp(a->call, b->call) == 0 &&
	    strcmp(a->agent, b->agent) == 0 && strcmp(a->queue, b->queue) == 0 &&
	    strcmp(a->other, b->other) == 0;
}

/* Replay the steps on the committed engine; -1 if it answered otherwise. */
static int
replay(struct hub_tx *tx)
{
	struct acd_action	*acts = NULL;
	struct hub_step		 s;
	size_t			 n, cap = 0, i, k;
	int			 rc = 0;

	pthread_mutex_lock(&tx->co->rlock);
	for (i = 0; i < tx->nsteps; i++) {
		s = tx->steps[i];
		n = 0;
		if (step_run(tx->co->acd, &s, tx->now, &acts, &n, &cap) !=
		    tx->steps[i].rc || n != tx->steps[i].nact ||
		    strcmp(s.call, tx->steps[i].call) != 0)
			rc = -1;
		for (k = 0; rc == 0 && k < n; k++) {
			if (!same_action(&acts[k], &tx->acts[s.act0 + k]))
				rc = -1;
		}
	}
	pthread_mutex_unlock(&tx->co->rlock);
	free(acts);
	return rc;
}

/* Did any step change the twin? Refused operations change nothing. */
static int
twin_moved(const struct hub_tx *tx)
{
	for (size_t i = 0; i < tx->nsteps; i++) {
		if (tx->steps[i].rc == ACD_OK || tx->steps[i].kind == STEP_TICK ||
		    tx->steps[i].nact > 0)
			return 1;
	}
	return 0;
}

/* In a cluster, right before COMMIT: is the company still ours? */
int
hub_tx_fence(struct hub_tx *tx)
{
	if (tx->epoch == 0)
		return 0;
	return db_owner_fence(tx->db, tx->company, owner_self(), tx->epoch);
}

int
hub_tx_end(struct hub_tx *tx, int commit)
{
	struct hub_co	*co = tx->co;
	json_t		*ev;
	size_t		 i;
	int		 rc = -1;

	if (commit && (!tx->sql || (hub_tx_fence(tx) == 0 &&
	    db_commit(tx->db) == 0)))
		rc = 0;
	else if (tx->sql) {
		/*
		 * A COMMIT that got no answer in time may yet be applied:
		 * the rows are then the truth, and the next decision
		 * rebuilds the company from them.
		 */
		if (commit && tx->db->err == DB_DOWN)
			__atomic_store_n(&co->stale, 1, __ATOMIC_RELEASE);
		/* Fenced: the lease passed on; stop deciding at once. */
		if (tx->db->err == DB_FENCED)
			owner_forget(co->id);
		db_rollback(tx->db);
	}
	if (rc == 0 || !twin_moved(tx)) {
		/* The committed engine takes the same steps (refusals too:
		 * both engines see every call made to either). */
		if (replay(tx) != 0) {
			log_error("hub: company %s: the engine and its twin"
			    " disagree; rebuilding", co->id);
			__atomic_store_n(&co->stale, 1, __ATOMIC_RELEASE);
		}
	} else {
		acd_free(co->twin);
		pthread_mutex_lock(&co->rlock);
		co->twin = acd_copy(co->acd);
		pthread_mutex_unlock(&co->rlock);
	}
	if (rc == 0) {
		/* Under the company's lock: one call's events in order. */
		json_array_foreach(tx->events, i, ev)
			events_publish(json_string_value(json_array_get(ev, 0)),
			    json_string_value(json_array_get(ev, 1)),
			    json_incref(json_array_get(ev, 2)));
	}
	pthread_mutex_unlock(&co->lock);
	json_decref(tx->events);
	free(tx->steps);
	free(tx->acts);
	if (!tx->quiet)
		hub_kick(co);
	return rc;
}

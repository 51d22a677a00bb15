/*
 * The hub: live state per company (hub-int.h), what the engine's actions
 * write and the timer thread; rebuilding is in hub-rebuild.c. A decision
 * (hub-tx.c) holds its company's lock across its transaction; nothing
 * global is held across database I/O. The global lock guards only the
 * list of companies and the thread's wake-ups.
 */
#include <math.h>
#include <pthread.h>
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
#include "owner.h"
#include "hub.h"
#include "hub-int.h"

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

void
hub_kick(struct hub_co *co)
{
	__atomic_store_n(&co->kicked, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&hub.lock);
	hub.wake = 1;
	pthread_cond_signal(&hub.cond);
	pthread_mutex_unlock(&hub.lock);
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
hub_result_moving(struct hub_result *r)
{
	hub_result_set(r, 503, "unavailable", "the company's live state is"
	    " moving between nodes; try again shortly");
}

void
hub_result_db(struct hub_result *r, struct db *db)
{
	if (db->err == DB_FENCED)
		hub_result_moving(r);
	else if (db->err == DB_DOWN)
		hub_result_set(r, 503, "unavailable", "the database is unreachable;"
		    " try again shortly");
	else
		hub_result_set(r, 500, "internal", "the request failed; the error"
		    " has been logged");
}

static unsigned
co_hash(const char *id)
{
	unsigned	h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % (sizeof hub.hash / sizeof hub.hash[0]);
}

struct hub_co *
hub_co_get(const char *company)
{
	struct hub_co	*co;
	unsigned	 h = co_hash(company);

	pthread_mutex_lock(&hub.lock);
	for (co = hub.hash[h]; co != NULL; co = co->hnext) {
		if (strcmp(co->id, company) == 0)
			break;
	}
	if (co == NULL) {
		co = xcalloc(1, sizeof *co);
		strlcpy_(co->id, company, sizeof co->id);
		pthread_mutex_init(&co->lock, NULL);
		pthread_mutex_init(&co->rlock, NULL);
		co->acd = acd_new((uint64_t)hub_now());
		co->twin = acd_copy(co->acd);
		co->hnext = hub.hash[h];
		hub.hash[h] = co;
		co->next = hub.cos;
		hub.cos = co;
	}
	pthread_mutex_unlock(&hub.lock);
	return co;
}

struct hub_co *
hub_co_first(void)
{
	struct hub_co	*co;

	pthread_mutex_lock(&hub.lock);
	co = hub.cos;
	pthread_mutex_unlock(&hub.lock);
	return co;
}

struct hub_co *
hub_co_search(int (*known)(const struct acd *, const char *), const char *id)
{
	struct hub_co	*co;
	int		 found;

	/* Companies are never unlinked and are added at the head. */
	for (co = hub_co_first(); co != NULL; co = co->next) {
		pthread_mutex_lock(&co->rlock);
		found = known(co->acd, id);
		pthread_mutex_unlock(&co->rlock);
		if (found)
			return co;
	}
	return NULL;
}

static void
publish_agent(struct hub_tx *tx, const struct agent_row *a)
{
	hub_tx_event(tx, a->company, "agent.state_changed",
	    json_pack("{s:s,s:s,s:s?,s:s?}", "agent_id", a->id,
	    "state", a->state, "reason", a->reason,
	    "pending_state", a->pending[0] != '\0' ? a->pending : NULL));
}

void
hub_publish_call(struct hub_tx *tx, const char *type,
    const struct call_row *c)
{
	hub_tx_event(tx, c->company, type, call_row_json(c));
	if (c->queue != NULL)
		hub_tx_event(tx, c->company, "queue.updated",
		    json_pack("{s:s}", "queue_id", c->queue));
}

enum call_move_result
hub_move(struct hub_tx *tx, const char *call, const char *company,
    enum call_state from, enum call_state to, const char *event,
    const char *actor, const char *agent, const char *queue, json_t *data,
    struct call_rows **out)
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
	struct call_rows	*row;
	json_t			*sup = NULL;

	if (hub_tx_sql(tx) != 0)
		return MOVE_DB;
	r = call_transition(tx->db, &m, &row);
	if (r == MOVE_OK) {
		/* Away from its agent: the supervisor leaves with it. */
		if ((from == CALL_CONNECTED || from == CALL_ON_HOLD) &&
		    to != CALL_CONNECTED && to != CALL_ON_HOLD &&
		    hub_supervise_end(tx, to, &row, &sup) != 0) {
			call_rows_free(row);
			return MOVE_DB;
		}
		hub_publish_call(tx, event, &row->v[0]);
		if (sup != NULL)
			hub_tx_event(tx, row->v[0].company, "call.supervised",
			    sup);
		if (out != NULL)
			*out = row;
		else
			call_rows_free(row);
	}
	return r;
}

enum call_move_result
hub_offer_end(struct hub_tx *tx, const char *call, const char *agent,
    const char *other, const char *event, const char *actor, json_t *data,
    struct call_rows **out)
{
	struct call_move	 m = {
		.call = call, .from = CALL_OFFERING,
		.to = other != NULL ? CALL_OFFERING : CALL_QUEUED,
		.event = event, .actor = actor, .agent = other,
		.clear_agent = other == NULL, .event_agent = agent, .data = data,
	};
	enum call_move_result	 r;
	struct call_rows	*row;

	if (hub_tx_sql(tx) != 0)
		return MOVE_DB;
	if ((r = call_transition(tx->db, &m, &row)) == MOVE_OK) {
		hub_publish_call(tx, event, &row->v[0]);
		if (out != NULL)
			*out = row;
		else
			call_rows_free(row);
	}
	return r;
}

int
hub_call_state(struct db *db, const char *scope, const char *call,
    struct call_rows **row, enum call_state *st)
{
	if ((*row = db_call_find(db, scope, call)) == NULL)
		return -1;
	if ((*row)->n == 0 || (*row)->v[0].state == CALL_STATE_COUNT) {
		call_rows_free(*row);
		*row = NULL;
		return 0;
	}
	*st = (*row)->v[0].state;
	return 1;
}

void
hub_call_conf(const struct call_row *row, struct acd_call_conf *c,
    double arrival)
{
	json_t		*skills, *lvl;
	const char	*name;

	memset(c, 0, sizeof *c);
	strlcpy_(c->id, row->id, sizeof c->id);
	strlcpy_(c->queue, row->queue != NULL ? row->queue : "", sizeof c->queue);
	c->priority = row->priority;
	c->arrival = arrival;
	skills = json_loads(row->skills != NULL ? row->skills : "", 0, NULL);
	json_object_foreach(skills, name, lvl) {
		if (c->nneed == ACD_MAX_NEED)
			break;
		strlcpy_(c->need[c->nneed].name, name, sizeof c->need[0].name);
		c->need[c->nneed++].level = (int)json_integer_value(lvl);
	}
	json_decref(skills);
}

double
hub_arrival(const struct call_row *row)
{
	return row->has_arrival ? row->arrival : hub_now();
}

/* Load one queue's row into e. */
int
hub_queue_load(struct acd *e, const struct queue_row *q)
{
	struct acd_queue_conf	 c;
	json_t			*widen, *members, *v;
	size_t			 i;
	const char		*id = q->id;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, id, sizeof c.id);
	if (acd_strategy_parse(q->strategy, &c.strategy) != 0)
		c.strategy = ACD_LONGEST_IDLE;
	c.ring_timeout = q->ring_timeout;
	c.wrap_up = q->wrap_up;
	c.max_wait = q->max_wait;
	c.max_len = q->max_length;
	c.miss_limit = q->miss_limit;
	widen = json_loads(q->widen, 0, NULL);
	json_array_foreach(widen, i, v) {
		if (c.nwiden == ACD_MAX_WIDEN)
			break;
		c.widen[c.nwiden].after = (int)json_integer_value(
		    json_object_get(v, "after"));
		c.widen[c.nwiden++].level_drop = (int)json_integer_value(
		    json_object_get(v, "level_drop"));
	}
	json_decref(widen);
	if (acd_queue_put(e, &c) != ACD_OK)
		return -1;
	/* Members, in order (callers drop the old ones first). */
	members = json_loads(q->members, 0, NULL);
	json_array_foreach(members, i, v) {
		acd_member_set(e, id, json_string_value(json_object_get(v,
		    "agent_id")), (int)json_integer_value(json_object_get(v,
		    "penalty")));
	}
	json_decref(members);
	return 0;
}

/* Load one agent row into e. */
int
hub_agent_load(struct acd *e, const struct agent_row *a)
{
	struct acd_agent_conf	 c;
	json_t			*skills, *lvl;
	const char		*name;

	memset(&c, 0, sizeof c);
	strlcpy_(c.id, a->id, sizeof c.id);
	c.max_calls = a->max_calls;
	skills = json_loads(a->skills != NULL ? a->skills : "", 0, NULL);
	json_object_foreach(skills, name, lvl) {
		if (c.nskills == ACD_MAX_SKILLS)
			break;
		strlcpy_(c.skills[c.nskills].name, name, sizeof c.skills[0].name);
		c.skills[c.nskills++].level = (int)json_integer_value(lvl);
	}
	json_decref(skills);
	return acd_agent_put(e, &c) == ACD_OK ? 0 : -1;
}

/*
 * Persist e's view of an agent. The pause reason belongs to the agent's
 * away presence: kept (reason NULL, keep) or set while the agent is away,
 * shown or pending, and cleared once it is not.
 */
int
hub_agent_persist(struct hub_tx *tx, struct acd *e, const char *agent,
    const char *reason, int keep, struct agent_rows **out)
{
	enum agent_state	 st, presence;
	const char		*pending = NULL;
	struct agent_rows	*row;

	if (acd_agent_get(e, agent, &st, NULL, NULL) != ACD_OK ||
	    acd_agent_presence(e, agent, &presence) != ACD_OK)
		return 0;
	if (presence != AGENT_AWAY) {
		reason = NULL;
		keep = 0;
	}
	if (presence != AGENT_AVAILABLE && presence != st)
		pending = agent_state_name(presence);
	if (hub_tx_sql(tx) != 0 || (row = db_agent_state(tx->db, agent,
	    agent_state_name(st), reason, pending, keep && reason == NULL)) ==
	    NULL)
		return -1;
	if (row->n == 1)
		publish_agent(tx, &row->v[0]);
	if (out != NULL)
		*out = row;
	else
		agent_rows_free(row);
	return 0;
}

int
hub_agent_state_sync(struct hub_tx *tx, const char *agent, const char *reason,
    struct agent_rows **out)
{
	return hub_agent_persist(tx, tx->co->twin, agent, reason, 1, out);
}

int
hub_agent_state_set(struct hub_tx *tx, const char *agent, const char *reason,
    struct agent_rows **out)
{
	return hub_agent_persist(tx, tx->co->twin, agent, reason, 0, out);
}

/* Overflow a call that waited max_wait, per its queue's setting. */
static int
overflow(struct hub_tx *tx, const struct acd_action *a)
{
	struct db		*db = tx->db;
	struct call_rows	*call, *row = NULL;
	struct queue_rows	*q = NULL;
	enum call_state		 st;
	struct hub_step		 s = { .kind = STEP_ENQUEUE };
	const char		*kind, *target;
	json_t			*data;
	int			 rc = 0;

	if (hub_call_state(db, NULL, a->call, &call, &st) <= 0)
		return call == NULL && db->err != DB_OK ? -1 : 0;
	if ((q = db_queue_get(db, NULL, a->queue)) == NULL) {
		call_rows_free(call);
		return -1;
	}
	kind = q->n ? q->v[0].overflow : "none";
	target = q->n ? q->v[0].overflow_queue : NULL;
	data = json_pack("{s:s,s:s}", "from_queue", a->queue, "overflow", kind);
	if (strcmp(kind, "queue") == 0 && target != NULL) {
		switch (hub_move(tx, a->call, NULL, st, CALL_QUEUED,
		    "call.overflowed", NULL, NULL, target, data, &row)) {
		case MOVE_OK:
			hub_call_conf(&row->v[0], &s.conf,
			    hub_arrival(&row->v[0]));
			if (hub_tx_step(tx, &s) != ACD_OK &&
			    hub_move(tx, a->call, NULL, CALL_QUEUED, CALL_MISSED,
			    "call.missed", NULL, NULL, NULL, data, NULL) == MOVE_DB)
				rc = -1;
			call_rows_free(row);
			break;
		case MOVE_DB:
			rc = -1;
			break;
		default:
			break;
		}
	} else if (hub_move(tx, a->call, NULL, st, CALL_MISSED, "call.missed",
	    NULL, NULL, NULL, data, NULL) == MOVE_DB)
		rc = -1;
	json_decref(data);
	call_rows_free(call);
	queue_rows_free(q);
	return rc;
}

/*
 * Persist an offer missed or withdrawn. The call moves while the twin
 * still has it waiting or offered; answered, abandoned or overflowed, it
 * has a move of its own, and the event is only recorded.
 */
static int
offer_ended(struct hub_tx *tx, const struct acd_action *a)
{
	const char		*event = a->type == ACD_MISSED ?
				    "call.offer_missed" : "call.offer_withdrawn";
	char			 first[ACD_ID_LEN + 1], *text;
	enum call_move_result	 r = MOVE_STALE;
	json_t			*data = json_pack("{s:s}", "agent_id", a->agent);

	if (acd_call_offers(tx->co->twin, a->call, first) >= 0)
		r = hub_offer_end(tx, a->call, a->agent, a->other[0] != '\0' ?
		    a->other : NULL, event, NULL, data, NULL);
	if (r == MOVE_STALE) {
		text = json_dumps(data, JSON_COMPACT);
		r = db_call_event(tx->db, a->call, event, a->agent, text) == 0 ?
		    MOVE_OK : MOVE_DB;
		free(text);
	}
	json_decref(data);
	if (r == MOVE_DB ||
	    (a->type == ACD_MISSED && db_agent_missed(tx->db, a->agent) != 0))
		return -1;
	return hub_agent_state_sync(tx, a->agent, NULL, NULL);
}

/* Persist one engine action in tx. -1 on a database error. */
static int
apply_one(struct hub_tx *tx, const struct acd_action *a)
{
	enum call_move_result	 r;
	json_t			*data;
	int			 rc = 0;

	switch (a->type) {
	case ACD_OFFER:
		data = json_pack("{s:s,s:i}", "agent_id", a->agent,
		    "ring_timeout", (int)lround(a->deadline - tx->now));
		r = hub_move(tx, a->call, NULL, CALL_QUEUED, CALL_OFFERING,
		    "call.offered", NULL, a->agent, NULL, data, NULL);
		if (r == MOVE_STALE)	/* ring-all, or after a withdrawal */
			r = hub_move(tx, a->call, NULL, CALL_OFFERING,
			    CALL_OFFERING, "call.offered", NULL, a->agent, NULL,
			    data, NULL);
		json_decref(data);
		if (r == MOVE_DB || hub_agent_state_sync(tx, a->agent, NULL,
		    NULL) != 0)
			rc = -1;
		break;
	case ACD_MISSED:
	case ACD_WITHDRAW:
		rc = offer_ended(tx, a);
		break;
	case ACD_AGENT_AWAY:
		rc = hub_agent_state_sync(tx, a->agent, "missed offers", NULL);
		break;
	case ACD_WRAP_DONE:
		rc = hub_agent_state_sync(tx, a->agent, NULL, NULL);
		break;
	case ACD_OVERFLOW:
		rc = overflow(tx, a);
		break;
	default:
		break;
	}
	return rc;
}

int
hub_apply(struct hub_tx *tx, size_t from, size_t to)
{
	struct acd_action	 a;

	if (from < to && hub_tx_sql(tx) != 0)
		return -1;
	for (size_t i = from; i < to; i++) {
		a = tx->acts[i];	/* tx->acts may grow meanwhile */
		if (apply_one(tx, &a) != 0) {
			log_warn("hub: cannot persist %s for call %s",
			    acd_action_name(a.type), a.call);
			return -1;
		}
	}
	return 0;
}

/* The engine's timers and matching for co, a transaction per batch:
 * 0 done, 1 co was busy, -1 a batch failed (nothing of it kept). */
static int
tick_company(struct db *db, struct hub_co *co)
{
	struct hub_tx	 tx;
	struct hub_step	 s;
	int		 more;

	switch (hub_unpark(db, co)) {
	case 0:
		break;
	case 1:
		return 1;
	default:
		return -1;
	}
	do {
		if (hub_tx_trybegin(&tx, db, co) != 0)
			return __atomic_load_n(&co->stale, __ATOMIC_ACQUIRE) ?
			    -1 : 1;
		tx.quiet = 1;
		memset(&s, 0, sizeof s);
		s.kind = STEP_TICK;
		more = hub_tx_step(&tx, &s);
		if (hub_tx_end(&tx, hub_apply(&tx, s.act0, s.act0 + s.nact) ==
		    0) != 0) {
			log_warn("hub: company %s: the engine's decisions were"
			    " not committed; trying again", co->id);
			return -1;
		}
	} while (more);
	return 0;
}

/* An engine of a company another node owns now: empty it. */
static void
disown(struct hub_co *co)
{
	struct acd	*e = acd_new((uint64_t)hub_now());

	pthread_mutex_lock(&co->lock);
	pthread_mutex_lock(&co->rlock);
	acd_free(co->acd);
	co->acd = e;
	pthread_mutex_unlock(&co->rlock);
	acd_free(co->twin);
	co->twin = acd_copy(e);
	__atomic_store_n(&co->epoch, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&co->stale, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&co->lock);
	log_info("hub: company %s is no longer this node's", co->id);
}

/* Is co ours to tick? Its engines are emptied once it is not, and a new
 * epoch (ours again) rebuilds them first. */
static int
owned(struct hub_co *co)
{
	long long	e;

	if (!owner_clustered())
		return 1;
	if ((e = owner_epoch(co->id)) == 0) {
		if (__atomic_load_n(&co->epoch, __ATOMIC_ACQUIRE) != 0)
			disown(co);
		return 0;
	}
	if (e != __atomic_load_n(&co->epoch, __ATOMIC_ACQUIRE))
		__atomic_store_n(&co->kicked, 1, __ATOMIC_RELEASE);
	return 1;
}

void
hub_owned(const char *company, long long epoch)
{
	struct hub_co	*co = hub_co_get(company);

	if (__atomic_load_n(&co->epoch, __ATOMIC_ACQUIRE) != epoch)
		hub_kick(co);
}

void
hub_changed(const char *company)
{
	struct hub_co	*co;

	if (owner_epoch(company) == 0)
		return;
	co = hub_co_get(company);
	__atomic_store_n(&co->stale, 1, __ATOMIC_RELEASE);
	hub_kick(co);
}

static void *
hub_main(void *arg)
{
	struct timespec	 ts;
	struct hub_co	*co;
	double		 next, now, d;

	pthread_mutex_lock(&hub.lock);
	while (!hub.stop) {
		hub.wake = 0;
		pthread_mutex_unlock(&hub.lock);
		now = hub_now();
		next = now + 1;
		if (!__atomic_load_n(&hub.built, __ATOMIC_ACQUIRE)) {
			/* The database was away at start: try each second. */
			if (hub_rebuild(&hub.db, NULL) == 0)
				__atomic_store_n(&hub.built, 1, __ATOMIC_RELEASE);
		}
		for (co = __atomic_load_n(&hub.built, __ATOMIC_ACQUIRE) ?
		    hub_co_first() : NULL; co != NULL; co = co->next) {
			/* In a cluster, only the companies we own. */
			if (!owned(co))
				continue;
			/* Only companies with work: kicked or a timer due. */
			pthread_mutex_lock(&co->rlock);
			d = acd_next_deadline(co->acd);
			pthread_mutex_unlock(&co->rlock);
			if (hub_parked(co) < d)
				d = hub_parked(co);
			if (!__atomic_exchange_n(&co->kicked, 0, __ATOMIC_ACQ_REL) &&
			    d > now) {
				if (d < next)
					next = d;
				continue;
			}
			/* Busy: its decision kicks this thread when done. A
			 * failed batch is tried again in a second. */
			switch (tick_company(&hub.db, co)) {
			case 0:
				break;
			case 1:
				continue;
			default:
				__atomic_store_n(&co->kicked, 1, __ATOMIC_RELEASE);
				continue;
			}
			pthread_mutex_lock(&co->rlock);
			d = acd_next_deadline(co->acd);
			pthread_mutex_unlock(&co->rlock);
			if (hub_parked(co) < d)
				d = hub_parked(co);
			if (d < next)
				next = d;
		}
		pthread_mutex_lock(&hub.lock);
		now = hub_now();
		if (!hub.wake && !hub.stop && next > now) {
			ts.tv_sec = (time_t)next;
			ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&hub.cond, &hub.lock, &ts);
		}
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
	hub.db.stop = &hub.stop;	/* a stop ends a wait at once */
	/* In a cluster each company is built when its lease is ours. */
	if (owner_clustered() || hub_rebuild(&hub.db, NULL) == 0)
		hub.built = 1;
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
	struct hub_co	*co, *next;

	pthread_mutex_lock(&hub.lock);
	__atomic_store_n(&hub.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&hub.cond);
	pthread_mutex_unlock(&hub.lock);
	pthread_join(hub.thread, NULL);
	for (co = hub.cos; co != NULL; co = next) {
		next = co->next;
		acd_free(co->acd);
		acd_free(co->twin);
		free(co);
	}
	hub.cos = NULL;
	memset(hub.hash, 0, sizeof hub.hash);
}

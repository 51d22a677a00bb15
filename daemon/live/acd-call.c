/*
 * The ACD engine's calls, offers and time: waiting calls grouped by their
 * current requirements in rank order, widening, offers and their outcomes,
 * the timers acd_tick() fires, position and EWT.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "xmalloc.h"

#define CONTAINER(p, type, field) \
	((type *)(void *)((char *)(p) - offsetof(type, field)))

/* Served before: lower rank, then enqueued first. */
int
acd_call_before(const struct acd_call *a, const struct acd_call *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	return a->seq < b->seq;
}

static void
need_sig(const struct acd_need *need, int n, char *buf, size_t len)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%d:%d,",
		    need[i].skill, need[i].level);
	}
}

/* Put a waiting call in its requirements' group, in rank order. */
static void
group_add(struct acd_queue *q, struct acd_call *c)
{
	struct acd_group	*g;
	struct acd_call		*at;
	char			 sig[sizeof g->sig];

	need_sig(c->need, c->nneed, sig, sizeof sig);
	if ((g = acd_map_get(&q->groups_by_sig, sig)) == NULL) {
		g = xcalloc(1, sizeof *g);
		memcpy(g->sig, sig, sizeof g->sig);
		memcpy(g->need, c->need, sizeof g->need);
		g->nneed = c->nneed;
		if ((g->next = q->groups) != NULL)
			g->next->prev = g;
		q->groups = g;
		acd_map_put(&q->groups_by_sig, g->sig, g);
	}
	c->group = g;
	g->n++;
	/*
	 * New calls go last or near it (concurrent arrivals commit slightly
	 * out of order): search from the tail. A call back from an offer
	 * goes first or near the head: search from the head.
	 */
	if (g->tail == NULL || acd_call_before(g->tail, c))
		at = NULL;
	else if (acd_call_before(c, g->head))
		at = g->head;
	else {
		for (at = g->tail; at->gprev != NULL &&
		    acd_call_before(c, at->gprev); at = at->gprev)
			;
	}
	c->gnext = at;
	c->gprev = at != NULL ? at->gprev : g->tail;
	if (c->gprev != NULL)
		c->gprev->gnext = c;
	else
		g->head = c;
	if (at != NULL)
		at->gprev = c;
	else
		g->tail = c;
}

static void
group_del(struct acd_queue *q, struct acd_call *c)
{
	struct acd_group	*g = c->group;

	if (c->gprev != NULL)
		c->gprev->gnext = c->gnext;
	else
		g->head = c->gnext;
	if (c->gnext != NULL)
		c->gnext->gprev = c->gprev;
	else
		g->tail = c->gprev;
	c->gnext = c->gprev = NULL;
	c->group = NULL;
	g->n--;
	if (g->head != NULL)
		return;
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		q->groups = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	acd_map_del(&q->groups_by_sig, g->sig);
	free(g);
}

static int
in_queue(enum acd_call_state st)
{
	return st == ACD_CALL_WAITING || st == ACD_CALL_OFFERED;
}

/*
 * The one place a call changes state: keeps the queue's lists and counts.
 * NEW is both before enqueue and on the way out.
 */
static void
call_move(struct acd *acd, struct acd_call *c, enum acd_call_state to)
{
	struct acd_queue	*q = c->queue;
	enum acd_call_state	 from = c->st;

	if (from == to)
		return;
	if (from == ACD_CALL_WAITING) {
		group_del(q, c);
		q->nwaiting--;
	} else if (from == ACD_CALL_OFFERED)
		q->noffering--;
	else if (from == ACD_CALL_TALKING)
		q->nconnected--;
	if (in_queue(from) && !in_queue(to)) {
		if (c->qprev != NULL)
			c->qprev->qnext = c->qnext;
		else
			q->chead = c->qnext;
		if (c->qnext != NULL)
			c->qnext->qprev = c->qprev;
		else
			q->ctail = c->qprev;
		c->qnext = c->qprev = NULL;
		acd_timer_stop(acd, &c->widen);
		acd_timer_stop(acd, &c->overflow);
		acd_timer_stop(acd, &c->retry);
	} else if (!in_queue(from) && in_queue(to)) {
		c->qprev = q->ctail;
		if (q->ctail != NULL)
			q->ctail->qnext = c;
		else
			q->chead = c;
		q->ctail = c;
	}
	c->st = to;
	if (to == ACD_CALL_WAITING) {
		group_add(q, c);
		q->nwaiting++;
		acd_dirty_call(acd, c);
	} else if (to == ACD_CALL_OFFERED)
		q->noffering++;
	else if (to == ACD_CALL_TALKING)
		q->nconnected++;
}

static void
call_overflow_arm(struct acd *acd, struct acd_call *c)
{
	if (c->queue->conf.max_wait > 0)
		acd_timer_set(acd, &c->overflow,
		    c->conf.arrival + c->queue->conf.max_wait);
	else
		acd_timer_stop(acd, &c->overflow);
}

/*
 * Apply the queue's widen rules reached by now: the requirement is the
 * original one lowered by the largest drop reached. A waiting call moves
 * to its new group and keeps its rank.
 */
static void
call_widen(struct acd *acd, struct acd_call *c, double now)
{
	const struct acd_queue_conf	*qc = &c->queue->conf;
	struct acd_need			 need[ACD_MAX_NEED];
	int				 i, n = 0, step = 0, drop = 0;

	while (step < qc->nwiden &&
	    c->conf.arrival + qc->widen[step].after <= now) {
		if (qc->widen[step].level_drop > drop)
			drop = qc->widen[step].level_drop;
		step++;
	}
	for (i = 0; i < c->norig; i++) {
		if (c->orig[i].level - drop > 0) {
			need[n] = c->orig[i];
			need[n++].level -= drop;
		}
	}
	c->step = step;
	if (n != c->nneed || memcmp(need, c->need, (size_t)n * sizeof *need) != 0) {
		if (c->st == ACD_CALL_WAITING)
			group_del(c->queue, c);
		memcpy(c->need, need, sizeof need);
		c->nneed = n;
		if (c->st == ACD_CALL_WAITING) {
			group_add(c->queue, c);
			acd_dirty_call(acd, c);
		}
	}
	if (step < qc->nwiden)
		acd_timer_set(acd, &c->widen,
		    c->conf.arrival + qc->widen[step].after);
	else
		acd_timer_stop(acd, &c->widen);
}

/* A queue's rules changed: reach its calls (widening at the next tick). */
void
acd_queue_rearm(struct acd *acd, struct acd_queue *q)
{
	struct acd_call	*c;

	for (c = q->chead; c != NULL; c = c->qnext) {
		acd_timer_set(acd, &c->widen, c->conf.arrival);
		call_overflow_arm(acd, c);
	}
}

static void
offer_drop(struct acd *acd, struct acd_offer *o, double now)
{
	struct acd_offer	**op;

	for (op = &o->call->offers; *op != o; op = &(*op)->next)
		;
	*op = o->next;
	o->agent->offer = NULL;
	acd_timer_stop(acd, &o->timer);
	acd_agent_refresh(acd, o->agent, now);
	free(o);
}

/* Ring agent for call c until now + ring_timeout. */
void
acd_offer_make(struct acd *acd, struct acd_call *c, struct acd_agent *a,
    double now)
{
	struct acd_offer	*o = xcalloc(1, sizeof *o), **op;
	double			 deadline = now + c->queue->conf.ring_timeout;

	o->call = c;
	o->agent = a;
	acd_timer_init(&o->timer, TIMER_OFFER);
	acd_timer_set(acd, &o->timer, deadline);
	for (op = &c->offers; *op != NULL; op = &(*op)->next)
		;
	*op = o;
	call_move(acd, c, ACD_CALL_OFFERED);
	a->offer = o;
	acd_agent_refresh(acd, a, now);
	acd_action_push(acd, ACD_OFFER, c, a, c->queue, deadline);
}

/*
 * Tell the hub that offer o ends (ACD_MISSED or ACD_WITHDRAW), naming an
 * agent still ringing for the call besides, or by when given (the agent an
 * assign offers it to instead).
 */
static void
offer_end_push(struct acd *acd, enum acd_action_type type,
    const struct acd_offer *o, const struct acd_agent *by)
{
	const struct acd_offer	*x;
	struct acd_call		*c = o->call;

	acd_action_push(acd, type, c, o->agent, c->queue, 0);
	for (x = c->offers; by == NULL && x != NULL; x = x->next) {
		if (x != o)
			by = x->agent;
	}
	if (by != NULL)
		memcpy(acd->pending[acd->npending - 1].other, by->conf.id,
		    ACD_ID_LEN + 1);
}

/* Withdraw every offer of c, telling the hub; by: see offer_end_push(). */
static void
call_withdraw(struct acd *acd, struct acd_call *c, double now,
    const struct acd_agent *by)
{
	while (c->offers != NULL) {
		offer_end_push(acd, ACD_WITHDRAW, c->offers, by);
		offer_drop(acd, c->offers, now);
	}
}

/* After an offer ended without an answer: back to waiting if none is left. */
static void
call_unanswered(struct acd *acd, struct acd_call *c)
{
	if (c->offers == NULL && c->st == ACD_CALL_OFFERED)
		call_move(acd, c, ACD_CALL_WAITING);
}

static void
call_free(struct acd *acd, struct acd_call *c)
{
	call_move(acd, c, ACD_CALL_NEW);
	acd_timer_stop(acd, &c->widen);
	acd_timer_stop(acd, &c->overflow);
	acd_timer_stop(acd, &c->retry);
	acd_undirty_call(acd, c);
	acd_map_del(&acd->calls, c->conf.id);
	free(c->tried);
	free(c);
}

/* Mark a tried for c, not to be offered it again before until. */
static void
tried_add(struct acd *acd, struct acd_call *c, const struct acd_agent *a,
    double until)
{
	size_t	cap = (size_t)c->tried_cap;
	int	i;

	for (i = 0; i < c->ntried && c->tried[i].serial != a->serial; i++)
		;
	if (i == c->ntried) {
		c->tried = acd_grow(c->tried, &cap, (size_t)c->ntried + 1,
		    sizeof *c->tried);
		c->tried_cap = (int)cap;
		c->tried[c->ntried++].serial = a->serial;
	}
	c->tried[i].until = until;
	if (until > 0 && (c->retry.idx == ACD_NONE || c->retry.at > until))
		acd_timer_set(acd, &c->retry, until);
}

/* A miss or a reject: count it, and send the agent away at the limit. A
 * rejecter is not offered the call again before until. */
static void
agent_miss(struct acd *acd, struct acd_agent *a, struct acd_call *c,
    double until)
{
	int	limit = c->queue->conf.miss_limit;

	tried_add(acd, c, a, until);
	a->misses++;
	if (limit > 0 && a->misses >= limit) {
		a->misses = 0;
		a->presence = AGENT_AWAY;
		acd_action_push(acd, ACD_AGENT_AWAY, c, a, c->queue, 0);
	}
}

static void
fire_offer(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_offer	*o = CONTAINER(t, struct acd_offer, timer);
	struct acd_call		*c = o->call;
	struct acd_agent	*a = o->agent;

	offer_end_push(acd, ACD_MISSED, o, NULL);
	agent_miss(acd, a, c, 0);
	offer_drop(acd, o, now);
	call_unanswered(acd, c);
}

static void
fire_wrap(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_agent	*a = CONTAINER(t, struct acd_agent, wrap);

	a->wrapping = 0;
	acd_action_push(acd, ACD_WRAP_DONE, NULL, a, NULL, 0);
	acd_agent_refresh(acd, a, now);
}

static void
fire_widen(struct acd *acd, struct acd_timer *t, double now)
{
	call_widen(acd, CONTAINER(t, struct acd_call, widen), now);
}

/* A rejecter's wait is over: try the call again, and arm the next wait. */
static void
fire_retry(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_call	*c = CONTAINER(t, struct acd_call, retry);
	double		 next = INFINITY;
	int		 i;

	for (i = 0; i < c->ntried; i++) {
		if (c->tried[i].until > now && c->tried[i].until < next)
			next = c->tried[i].until;
	}
	if (isfinite(next))
		acd_timer_set(acd, &c->retry, next);
	if (c->st == ACD_CALL_WAITING)
		acd_dirty_call(acd, c);
}

static void
fire_overflow(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_call	*c = CONTAINER(t, struct acd_call, overflow);

	call_withdraw(acd, c, now, NULL);
	acd_action_push(acd, ACD_OVERFLOW, c, NULL, c->queue, 0);
	call_free(acd, c);
}

static void (*const timer_fire[])(struct acd *, struct acd_timer *,
    double) = {
	[TIMER_OFFER] = fire_offer,
	[TIMER_WRAP] = fire_wrap,
	[TIMER_WIDEN] = fire_widen,
	[TIMER_OVERFLOW] = fire_overflow,
	[TIMER_RETRY] = fire_retry,
};

/* Take a's offer back (no miss) and put its call back to waiting. */
void
acd_agent_unoffer(struct acd *acd, struct acd_agent *a, double now)
{
	struct acd_call	*c;

	if (a->offer == NULL)
		return;
	c = a->offer->call;
	offer_end_push(acd, ACD_WITHDRAW, a->offer, NULL);
	offer_drop(acd, a->offer, now);
	call_unanswered(acd, c);
}

/* Check conf and make a call in state NEW; *err says why not. */
static struct acd_call *
call_new(struct acd *acd, const struct acd_call_conf *conf, int *err)
{
	struct acd_queue	*q;
	struct acd_call		*c;
	struct acd_need		 need[ACD_MAX_NEED];
	int			 n;

	if (!acd_id_ok(conf->id) || !acd_id_ok(conf->queue) ||
	    !isfinite(conf->arrival) ||
	    acd_skills_norm(acd, conf->need, conf->nneed, ACD_MAX_NEED, need,
	    &n) != 0) {
		*err = ACD_E_INVAL;
		return NULL;
	}
	if (acd_map_get(&acd->calls, conf->id) != NULL) {
		*err = ACD_E_EXIST;
		return NULL;
	}
	if ((q = acd_map_get(&acd->queues, conf->queue)) == NULL) {
		*err = ACD_E_NOENT;
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->conf = *conf;
	c->queue = q;
	c->st = ACD_CALL_NEW;
	memcpy(c->orig, need, sizeof need);
	c->norig = n;
	memcpy(c->need, need, sizeof need);
	c->nneed = n;
	c->rank = conf->arrival - conf->priority * ACD_PRIORITY_WEIGHT;
	c->seq = acd->call_seq++;
	c->dirty_idx = ACD_NONE;
	acd_timer_init(&c->widen, TIMER_WIDEN);
	acd_timer_init(&c->overflow, TIMER_OVERFLOW);
	acd_timer_init(&c->retry, TIMER_RETRY);
	return c;
}

int
acd_enqueue(struct acd *acd, const struct acd_call_conf *conf, double now)
{
	struct acd_queue	*q;
	struct acd_call		*c;
	int			 err;

	if ((c = call_new(acd, conf, &err)) == NULL)
		return err;
	q = c->queue;
	if (acd_queue_full(acd, q->conf.id) == 1) {
		free(c);
		return ACD_E_FULL;
	}
	acd_map_put(&acd->calls, c->conf.id, c);
	call_widen(acd, c, now);
	call_overflow_arm(acd, c);
	call_move(acd, c, ACD_CALL_WAITING);
	return 0;
}

int
acd_connect(struct acd *acd, const struct acd_call_conf *conf,
    const char *agent, double now)
{
	struct acd_agent	*a;
	struct acd_call		*c;
	int			 err;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if ((c = call_new(acd, conf, &err)) == NULL)
		return err;
	acd_map_put(&acd->calls, c->conf.id, c);
	call_move(acd, c, ACD_CALL_TALKING);
	c->agent = a;
	a->active++;
	acd_agent_refresh(acd, a, now);
	return 0;
}

int
acd_abandon(struct acd *acd, const char *call, double now)
{
	struct acd_call	*c;

	if ((c = acd_call_find(acd, call)) == NULL)
		return acd_id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	call_withdraw(acd, c, now, NULL);
	call_free(acd, c);
	return 0;
}

/* Find the call and the agent's outstanding offer for it. */
static int
offer_find(struct acd *acd, const char *call, const char *agent,
    struct acd_offer **out)
{
	struct acd_call		*c;
	struct acd_agent	*a;

	if (!acd_id_ok(call) || !acd_id_ok(agent))
		return ACD_E_INVAL;
	if ((c = acd_call_find(acd, call)) == NULL ||
	    (a = acd_agent_find(acd, agent)) == NULL)
		return ACD_E_NOENT;
	if (a->offer == NULL || a->offer->call != c)
		return ACD_E_STATE;
	*out = a->offer;
	return 0;
}

int
acd_accept(struct acd *acd, const char *call, const char *agent,
    double now)
{
	struct acd_offer	*o, *sib, *next;
	struct acd_call		*c;
	struct acd_agent	*a;
	int			 err;

	if ((err = offer_find(acd, call, agent, &o)) != 0)
		return err;
	c = o->call;
	a = o->agent;
	for (sib = c->offers; sib != NULL; sib = next) {
		next = sib->next;
		if (sib == o)
			continue;
		offer_end_push(acd, ACD_WITHDRAW, sib, a);
		offer_drop(acd, sib, now);
	}
	a->misses = 0;
	a->active++;
	offer_drop(acd, o, now);
	call_move(acd, c, ACD_CALL_TALKING);
	c->agent = a;
	return 0;
}

int
acd_reject(struct acd *acd, const char *call, const char *agent,
    double now)
{
	struct acd_offer	*o;
	struct acd_call		*c;
	int			 err;

	if ((err = offer_find(acd, call, agent, &o)) != 0)
		return err;
	c = o->call;
	agent_miss(acd, o->agent, c, now + ACD_REJECT_RETRY);
	offer_drop(acd, o, now);
	call_unanswered(acd, c);
	return 0;
}

int
acd_assign(struct acd *acd, const char *call, const char *agent,
    double now)
{
	struct acd_call		*c;
	struct acd_agent	*a;

	if (!acd_id_ok(call) || !acd_id_ok(agent))
		return ACD_E_INVAL;
	if ((c = acd_call_find(acd, call)) == NULL ||
	    (a = acd_agent_find(acd, agent)) == NULL)
		return ACD_E_NOENT;
	if (!in_queue(c->st) || !acd_agent_is_free(a))
		return ACD_E_STATE;
	call_withdraw(acd, c, now, a);
	acd_offer_make(acd, c, a, now);
	return 0;
}

int
acd_call_offers(const struct acd *acd, const char *call,
    char agent_out[ACD_ID_LEN + 1])
{
	const struct acd_call	*c;
	const struct acd_offer	*o;
	int			 n = 0;

	if ((c = acd_call_find(acd, call)) == NULL)
		return acd_id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	agent_out[0] = '\0';
	for (o = c->offers; o != NULL; o = o->next) {
		if (n++ == 0)
			memcpy(agent_out, o->agent->conf.id, ACD_ID_LEN + 1);
	}
	return n;
}

int
acd_call_priority(struct acd *acd, const char *call, int priority,
    double now)
{
	struct acd_call	*c;
	double		 rank;

	(void)now;
	if ((c = acd_call_find(acd, call)) == NULL)
		return acd_id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	c->conf.priority = priority;
	rank = c->conf.arrival - priority * ACD_PRIORITY_WEIGHT;
	if (rank == c->rank)
		return 0;
	/* Out of its group and back in at its new place. */
	if (c->st == ACD_CALL_WAITING)
		group_del(c->queue, c);
	c->rank = rank;
	if (c->st == ACD_CALL_WAITING) {
		group_add(c->queue, c);
		acd_dirty_call(acd, c);
	}
	return 0;
}

static int
call_end(struct acd *acd, const char *agent, const char *call,
    double talk_seconds, double now, int wrap)
{
	struct acd_call		*c;
	struct acd_agent	*a;
	struct acd_queue	*q;
	double			 until;

	if (!acd_id_ok(call) || !acd_id_ok(agent) || !(talk_seconds >= 0))
		return ACD_E_INVAL;
	if ((c = acd_call_find(acd, call)) == NULL ||
	    (a = acd_agent_find(acd, agent)) == NULL)
		return ACD_E_NOENT;
	if (c->st != ACD_CALL_TALKING || c->agent != a)
		return ACD_E_STATE;
	q = c->queue;
	a->active--;
	a->calls++;
	a->talk += talk_seconds;
	a->idle_since = now;
	q->aht[q->aht_pos] = talk_seconds + q->conf.wrap_up;
	q->aht_pos = (q->aht_pos + 1) % ACD_AHT_SAMPLES;
	if (q->naht < ACD_AHT_SAMPLES)
		q->naht++;
	if (wrap && q->conf.wrap_up > 0) {
		until = now + q->conf.wrap_up;
		if (!a->wrapping || a->wrap.at < until)
			acd_timer_set(acd, &a->wrap, until);
		a->wrapping = 1;
	}
	call_free(acd, c);
	acd_agent_refresh(acd, a, now);
	return 0;
}

int
acd_call_end(struct acd *acd, const char *agent, const char *call,
    double talk_seconds, double now)
{
	return call_end(acd, agent, call, talk_seconds, now, 1);
}

int
acd_call_handoff(struct acd *acd, const char *agent, const char *call,
    double talk_seconds, double now)
{
	return call_end(acd, agent, call, talk_seconds, now, 0);
}

int
acd_requeue(struct acd *acd, const char *call, const char *agent, double now)
{
	struct acd_call		*c;
	struct acd_agent	*a;

	if (!acd_id_ok(call) || !acd_id_ok(agent))
		return ACD_E_INVAL;
	if ((c = acd_call_find(acd, call)) == NULL ||
	    (a = acd_agent_find(acd, agent)) == NULL)
		return ACD_E_NOENT;
	if (c->st != ACD_CALL_TALKING || c->agent != a)
		return ACD_E_STATE;
	a->active--;
	c->agent = NULL;
	/* As acd_enqueue(), with the rank it had: its place. */
	call_widen(acd, c, now);
	call_overflow_arm(acd, c);
	call_move(acd, c, ACD_CALL_WAITING);
	agent_miss(acd, a, c, 0);
	acd_agent_refresh(acd, a, now);
	return 0;
}

int
acd_wrap_done(struct acd *acd, const char *agent, double now)
{
	struct acd_agent	*a;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!a->wrapping)
		return ACD_E_STATE;
	a->wrapping = 0;
	acd_timer_stop(acd, &a->wrap);
	acd_agent_refresh(acd, a, now);
	return 0;
}

int
acd_pull(struct acd *acd, const char *agent, double now,
    char call_out[ACD_ID_LEN + 1])
{
	struct acd_agent	*a;
	struct acd_call		*c;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!acd_agent_is_free(a))
		return ACD_E_STATE;
	if ((c = acd_best_call(acd, a, now)) == NULL)
		return ACD_E_EMPTY;
	acd_offer_make(acd, c, a, now);
	memcpy(call_out, c->conf.id, ACD_ID_LEN + 1);
	return 0;
}

size_t
acd_tick(struct acd *acd, double now, struct acd_action *out, size_t max)
{
	struct acd_timer	*t;
	size_t			 n;

	while ((t = acd_timer_due(acd, now)) != NULL)
		timer_fire[t->kind](acd, t, now);
	acd_match(acd, now);
	n = acd->npending - acd->pending_head;
	if (n > max)
		n = max;
	if (n > 0)
		memcpy(out, acd->pending + acd->pending_head, n * sizeof *out);
	acd->pending_head += n;
	if (acd->pending_head == acd->npending)
		acd->pending_head = acd->npending = 0;
	return n;
}

double
acd_next_deadline(const struct acd *acd)
{
	return acd->timers.n > 0 ? acd->timers.t[0]->at : INFINITY;
}

/*
 * How many calls of g are served before c, walked from both ends at once:
 * as far as the nearer end (a new call is at or near the tail).
 */
static int
group_ahead(const struct acd_group *g, const struct acd_call *c)
{
	const struct acd_call	*h = g->head, *t = g->tail;
	int			 before = 0, after = 0;

	for (;;) {
		if (h == NULL || !acd_call_before(h, c))
			return before;
		before++;
		h = h->gnext;
		if (t == NULL || !acd_call_before(c, t))
			return g->n - after - (g == c->group);
		after++;
		t = t->gprev;
	}
}

int
acd_position(const struct acd *acd, const char *call, int *position,
    int *ewt_seconds)
{
	const struct acd_call	*c;
	const struct acd_queue	*q;
	const struct acd_group	*g;
	const struct acd_member	*m;
	double			 aht = 0;
	int			 i, ahead = 0, staffed = 0, pos;

	if ((c = acd_call_find(acd, call)) == NULL)
		return acd_id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	if (c->st == ACD_CALL_OFFERED) {
		*position = 0;
		*ewt_seconds = 0;
		return 0;
	}
	q = c->queue;
	for (g = q->groups; g != NULL; g = g->next)
		ahead += group_ahead(g, c);
	*position = pos = ahead + 1;
	for (m = q->mhead; m != NULL; m = m->qnext)
		staffed += m->agent->presence == AGENT_AVAILABLE;
	for (i = 0; i < q->naht; i++)
		aht += q->aht[i];
	aht = q->naht > 0 ? aht / q->naht : ACD_DEFAULT_AHT;
	if (staffed == 0)
		*ewt_seconds = -1;
	else if ((size_t)pos <= q->nfree)
		*ewt_seconds = 0;
	else
		*ewt_seconds = (int)ceil((pos - (double)q->nfree) * aht /
		    staffed);
	return 0;
}

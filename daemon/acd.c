/*
 * The ACD engine's objects and events: queues, agents, members and calls,
 * what each API call does to them, and the timers acd_tick() fires.
 * Choosing who gets which call is in acd-pick.c.
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

static const char *const acd_errors[] = {
	[-ACD_OK] = "ok",
	[-ACD_E_INVAL] = "invalid argument",
	[-ACD_E_NOENT] = "no such queue, agent or call",
	[-ACD_E_EXIST] = "call already queued",
	[-ACD_E_STATE] = "not allowed in this state",
	[-ACD_E_FULL] = "queue is full",
	[-ACD_E_BUSY] = "still has calls",
	[-ACD_E_EMPTY] = "no call to take",
};

static const char *const agent_states[AGENT_STATE_COUNT] = {
	[AGENT_OFFLINE] = "offline",
	[AGENT_AVAILABLE] = "available",
	[AGENT_OFFERING] = "offering",
	[AGENT_BUSY] = "busy",
	[AGENT_WRAP_UP] = "wrap_up",
	[AGENT_AWAY] = "away",
};

static const char *const acd_actions[ACD_ACTION_COUNT] = {
	[ACD_OFFER] = "offer",
	[ACD_WITHDRAW] = "withdraw",
	[ACD_MISSED] = "missed",
	[ACD_AGENT_AWAY] = "agent_away",
	[ACD_OVERFLOW] = "overflow",
	[ACD_WRAP_DONE] = "wrap_done",
};

const char *
acd_strerror(int e)
{
	if (e > 0 || -e >= (int)(sizeof acd_errors / sizeof acd_errors[0]))
		return "unknown error";
	return acd_errors[-e];
}

const char *
agent_state_name(enum agent_state s)
{
	if ((unsigned)s >= AGENT_STATE_COUNT)
		return "unknown";
	return agent_states[s];
}

int
agent_state_parse(const char *name, enum agent_state *out)
{
	int	i;

	for (i = 0; i < AGENT_STATE_COUNT; i++) {
		if (strcmp(name, agent_states[i]) == 0) {
			*out = (enum agent_state)i;
			return 0;
		}
	}
	return -1;
}

const char *
acd_action_name(enum acd_action_type t)
{
	if ((unsigned)t >= ACD_ACTION_COUNT)
		return "unknown";
	return acd_actions[t];
}

static int
id_ok(const char *id)
{
	size_t	len;

	if (id == NULL)
		return 0;
	len = strnlen(id, ACD_ID_LEN + 1);
	return len > 0 && len <= ACD_ID_LEN;
}

/* Queue an action for acd_tick() to return. */
static void
action_push(struct acd *acd, enum acd_action_type type,
    const struct acd_call *c, const struct acd_agent *a,
    const struct acd_queue *q, double deadline)
{
	struct acd_action	*act;

	acd->pending = acd_grow(acd->pending, &acd->pending_cap,
	    acd->npending + 1, sizeof *acd->pending);
	act = &acd->pending[acd->npending++];
	memset(act, 0, sizeof *act);
	act->type = type;
	if (c != NULL)
		memcpy(act->call, c->conf.id, sizeof act->call);
	if (a != NULL)
		memcpy(act->agent, a->conf.id, sizeof act->agent);
	if (q != NULL)
		memcpy(act->queue, q->conf.id, sizeof act->queue);
	act->deadline = deadline;
}

/* The number of a skill name, made up on first sight. */
static int
skill_intern(struct acd *acd, const char *name)
{
	void	*v;
	char	*copy;
	size_t	 cap;

	if ((v = acd_map_get(&acd->skills, name)) != NULL)
		return (int)(intptr_t)v - 1;
	cap = (size_t)acd->nskills;
	acd->skill_names = xrealloc(acd->skill_names,
	    (cap + 1) * sizeof *acd->skill_names);
	copy = xstrdup(name);
	acd->skill_names[acd->nskills++] = copy;
	acd_map_put(&acd->skills, copy, (void *)(intptr_t)acd->nskills);
	return acd->nskills - 1;
}

static int
need_cmp(const void *a, const void *b)
{
	const struct acd_need	*x = a, *y = b;

	return (x->skill > y->skill) - (x->skill < y->skill);
}

/*
 * Turn named skills into numbered ones sorted by number, keeping the
 * highest level of a repeated name and dropping levels <= 0.
 */
static int
skills_norm(struct acd *acd, const struct acd_skill *in, int nin, int max,
    struct acd_need *out, int *nout)
{
	int	i, j, n = 0;

	if (nin < 0 || nin > max)
		return ACD_E_INVAL;
	for (i = 0; i < nin; i++) {
		if (strnlen(in[i].name, sizeof in[i].name) == 0 ||
		    strnlen(in[i].name, sizeof in[i].name) == sizeof in[i].name)
			return ACD_E_INVAL;
	}
	for (i = 0; i < nin; i++) {
		if (in[i].level <= 0)
			continue;
		out[n].skill = skill_intern(acd, in[i].name);
		out[n].level = in[i].level;
		for (j = 0; j < n; j++) {
			if (out[j].skill == out[n].skill)
				break;
		}
		if (j < n) {
			if (out[n].level > out[j].level)
				out[j].level = out[n].level;
		} else
			n++;
	}
	qsort(out, (size_t)n, sizeof *out, need_cmp);
	*nout = n;
	return 0;
}

void
acd_dirty_agent(struct acd *acd, struct acd_agent *a)
{
	if (a->dirty_idx != ACD_NONE)
		return;
	acd->dirty_agents = acd_grow(acd->dirty_agents,
	    &acd->dirty_agents_cap, acd->ndirty_agents + 1,
	    sizeof *acd->dirty_agents);
	a->dirty_idx = acd->ndirty_agents;
	acd->dirty_agents[acd->ndirty_agents++] = a;
}

void
acd_dirty_call(struct acd *acd, struct acd_call *c)
{
	if (c->dirty_idx != ACD_NONE)
		return;
	acd->dirty_calls = acd_grow(acd->dirty_calls, &acd->dirty_calls_cap,
	    acd->ndirty_calls + 1, sizeof *acd->dirty_calls);
	c->dirty_idx = acd->ndirty_calls;
	acd->dirty_calls[acd->ndirty_calls++] = c;
}

static void
undirty_agent(struct acd *acd, struct acd_agent *a)
{
	struct acd_agent	*last;

	if (a->dirty_idx == ACD_NONE)
		return;
	last = acd->dirty_agents[--acd->ndirty_agents];
	acd->dirty_agents[a->dirty_idx] = last;
	last->dirty_idx = a->dirty_idx;
	a->dirty_idx = ACD_NONE;
}

static void
undirty_call(struct acd *acd, struct acd_call *c)
{
	struct acd_call	*last;

	if (c->dirty_idx == ACD_NONE)
		return;
	last = acd->dirty_calls[--acd->ndirty_calls];
	acd->dirty_calls[c->dirty_idx] = last;
	last->dirty_idx = c->dirty_idx;
	c->dirty_idx = ACD_NONE;
}

static int
agent_max(const struct acd_agent *a)
{
	return a->conf.max_calls > 0 ? a->conf.max_calls : 1;
}

/* Free: may be offered a call now. */
int
acd_agent_is_free(const struct acd_agent *a)
{
	return a->presence == AGENT_AVAILABLE && a->offer == NULL &&
	    !a->wrapping && a->active < agent_max(a);
}

static enum agent_state
agent_shown(const struct acd_agent *a)
{
	if (a->offer != NULL)
		return AGENT_OFFERING;
	if (a->active > 0)
		return AGENT_BUSY;
	if (a->wrapping)
		return AGENT_WRAP_UP;
	return a->presence;
}

static void
free_add(struct acd_queue *q, struct acd_member *m)
{
	q->free = acd_grow(q->free, &q->free_cap, q->nfree + 1,
	    sizeof *q->free);
	m->free_idx = q->nfree;
	q->free[q->nfree++] = m;
}

static void
free_del(struct acd_queue *q, struct acd_member *m)
{
	struct acd_member	*last;

	if (m->free_idx == ACD_NONE)
		return;
	last = q->free[--q->nfree];
	q->free[m->free_idx] = last;
	last->free_idx = m->free_idx;
	m->free_idx = ACD_NONE;
}

/*
 * After any change to an agent: keep the queues' free indexes, the state
 * shown and its "since" right, and look for work if it is free.
 */
static void
agent_refresh(struct acd *acd, struct acd_agent *a, double now)
{
	struct acd_member	*m;
	enum agent_state	 st;
	int			 free_now = acd_agent_is_free(a);

	if (free_now != a->is_free) {
		a->is_free = free_now;
		for (m = a->members; m != NULL; m = m->anext) {
			if (free_now)
				free_add(m->queue, m);
			else
				free_del(m->queue, m);
		}
	}
	if (free_now)
		acd_dirty_agent(acd, a);
	if ((st = agent_shown(a)) != a->state) {
		a->state = st;
		a->since = now;
	}
}

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
	/* New calls go last; a call back from an offer is near the head. */
	if (g->tail == NULL || acd_call_before(g->tail, c))
		at = NULL;
	else {
		for (at = g->head; !acd_call_before(c, at); at = at->gnext)
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

static void
offer_drop(struct acd *acd, struct acd_offer *o, double now)
{
	struct acd_offer	**op;

	for (op = &o->call->offers; *op != o; op = &(*op)->next)
		;
	*op = o->next;
	o->agent->offer = NULL;
	acd_timer_stop(acd, &o->timer);
	agent_refresh(acd, o->agent, now);
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
	agent_refresh(acd, a, now);
	action_push(acd, ACD_OFFER, c, a, c->queue, deadline);
}

/* Withdraw every offer of c, telling the hub. */
static void
call_withdraw(struct acd *acd, struct acd_call *c, double now)
{
	while (c->offers != NULL) {
		action_push(acd, ACD_WITHDRAW, c, c->offers->agent, c->queue,
		    0);
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
	undirty_call(acd, c);
	acd_map_del(&acd->calls, c->conf.id);
	free(c->tried);
	free(c);
}

static void
tried_add(struct acd_call *c, const struct acd_agent *a)
{
	size_t	cap = (size_t)c->tried_cap;

	if (acd_tried(c, a))
		return;
	c->tried = acd_grow(c->tried, &cap, (size_t)c->ntried + 1,
	    sizeof *c->tried);
	c->tried_cap = (int)cap;
	c->tried[c->ntried++] = a->serial;
}

/* A miss or a reject: count it, and send the agent away at the limit. */
static void
agent_miss(struct acd *acd, struct acd_agent *a, struct acd_call *c)
{
	int	limit = c->queue->conf.miss_limit;

	tried_add(c, a);
	a->misses++;
	if (limit > 0 && a->misses >= limit) {
		a->misses = 0;
		a->presence = AGENT_AWAY;
		action_push(acd, ACD_AGENT_AWAY, c, a, c->queue, 0);
	}
}

static void
fire_offer(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_offer	*o = CONTAINER(t, struct acd_offer, timer);
	struct acd_call		*c = o->call;
	struct acd_agent	*a = o->agent;

	action_push(acd, ACD_MISSED, c, a, c->queue, 0);
	agent_miss(acd, a, c);
	offer_drop(acd, o, now);
	call_unanswered(acd, c);
}

static void
fire_wrap(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_agent	*a = CONTAINER(t, struct acd_agent, wrap);

	a->wrapping = 0;
	action_push(acd, ACD_WRAP_DONE, NULL, a, NULL, 0);
	agent_refresh(acd, a, now);
}

static void
fire_widen(struct acd *acd, struct acd_timer *t, double now)
{
	call_widen(acd, CONTAINER(t, struct acd_call, widen), now);
}

static void
fire_overflow(struct acd *acd, struct acd_timer *t, double now)
{
	struct acd_call	*c = CONTAINER(t, struct acd_call, overflow);

	call_withdraw(acd, c, now);
	action_push(acd, ACD_OVERFLOW, c, NULL, c->queue, 0);
	call_free(acd, c);
}

static void (*const timer_fire[])(struct acd *, struct acd_timer *,
    double) = {
	[TIMER_OFFER] = fire_offer,
	[TIMER_WRAP] = fire_wrap,
	[TIMER_WIDEN] = fire_widen,
	[TIMER_OVERFLOW] = fire_overflow,
};

struct acd *
acd_new(uint64_t seed)
{
	struct acd	*acd = xcalloc(1, sizeof *acd);

	acd->rng = seed;
	return acd;
}

static void
agent_free(struct acd_agent *a)
{
	struct acd_member	*m, *next;

	for (m = a->members; m != NULL; m = next) {
		next = m->anext;
		free(m);
	}
	free(a);
}

void
acd_free(struct acd *acd)
{
	size_t			 i;
	struct acd_queue	*q;
	struct acd_call		*c;
	struct acd_offer	*o;
	struct acd_group	*g;
	int			 k;

	if (acd == NULL)
		return;
	for (i = 0; i < acd->calls.cap; i++) {
		if ((c = acd->calls.ent[i].val) == NULL)
			continue;
		while ((o = c->offers) != NULL) {
			c->offers = o->next;
			free(o);
		}
		free(c->tried);
		free(c);
	}
	for (i = 0; i < acd->queues.cap; i++) {
		if ((q = acd->queues.ent[i].val) == NULL)
			continue;
		while ((g = q->groups) != NULL) {
			q->groups = g->next;
			free(g);
		}
		acd_map_free(&q->groups_by_sig);
		free(q->free);
		free(q);
	}
	for (i = 0; i < acd->agents.cap; i++) {
		if (acd->agents.ent[i].val != NULL)
			agent_free(acd->agents.ent[i].val);
	}
	for (k = 0; k < acd->nskills; k++)
		free(acd->skill_names[k]);
	free(acd->skill_names);
	acd_map_free(&acd->queues);
	acd_map_free(&acd->agents);
	acd_map_free(&acd->calls);
	acd_map_free(&acd->skills);
	free(acd->timers.t);
	free(acd->dirty_agents);
	free(acd->dirty_calls);
	free(acd->cand);
	free(acd->pick);
	free(acd->pending);
	free(acd);
}

int
acd_queue_put(struct acd *acd, const struct acd_queue_conf *conf)
{
	struct acd_queue	*q;
	struct acd_call		*c;
	struct acd_widen	 w;
	int			 i, j;

	if (!id_ok(conf->id) ||
	    (unsigned)conf->strategy >= ACD_STRATEGY_COUNT ||
	    conf->ring_timeout <= 0 || conf->wrap_up < 0 ||
	    conf->max_wait < 0 || conf->max_len < 0 || conf->miss_limit < 0 ||
	    conf->nwiden < 0 || conf->nwiden > ACD_MAX_WIDEN)
		return ACD_E_INVAL;
	for (i = 0; i < conf->nwiden; i++) {
		if (conf->widen[i].after < 0 || conf->widen[i].level_drop < 0)
			return ACD_E_INVAL;
	}
	if ((q = acd_map_get(&acd->queues, conf->id)) == NULL) {
		q = xcalloc(1, sizeof *q);
		q->next_order = 1;
		q->conf = *conf;
		acd_map_put(&acd->queues, q->conf.id, q);
	} else
		q->conf = *conf;
	/* Insertion sort by "after", stable. */
	for (i = 1; i < q->conf.nwiden; i++) {
		w = q->conf.widen[i];
		for (j = i; j > 0 && q->conf.widen[j - 1].after > w.after; j--)
			q->conf.widen[j] = q->conf.widen[j - 1];
		q->conf.widen[j] = w;
	}
	/* New rules reach waiting calls at the next tick. */
	for (c = q->chead; c != NULL; c = c->qnext) {
		acd_timer_set(acd, &c->widen, c->conf.arrival);
		call_overflow_arm(acd, c);
	}
	return 0;
}

static void
member_unlink(struct acd_member *m)
{
	struct acd_queue	*q = m->queue;
	struct acd_member	**mp;

	free_del(q, m);
	if (m->qprev != NULL)
		m->qprev->qnext = m->qnext;
	else
		q->mhead = m->qnext;
	if (m->qnext != NULL)
		m->qnext->qprev = m->qprev;
	else
		q->mtail = m->qprev;
	q->nmembers--;
	for (mp = &m->agent->members; *mp != m; mp = &(*mp)->anext)
		;
	*mp = m->anext;
	free(m);
}

int
acd_queue_del(struct acd *acd, const char *id)
{
	struct acd_queue	*q;

	if (!id_ok(id))
		return ACD_E_INVAL;
	if ((q = acd_map_get(&acd->queues, id)) == NULL)
		return ACD_E_NOENT;
	if (q->nwaiting + q->noffering + q->nconnected > 0)
		return ACD_E_BUSY;
	while (q->mhead != NULL)
		member_unlink(q->mhead);
	acd_map_del(&acd->queues, q->conf.id);
	acd_map_free(&q->groups_by_sig);
	free(q->free);
	free(q);
	return 0;
}

int
acd_agent_put(struct acd *acd, const struct acd_agent_conf *conf)
{
	struct acd_agent	*a;
	struct acd_need		 skills[ACD_MAX_SKILLS];
	int			 n;

	if (!id_ok(conf->id) ||
	    skills_norm(acd, conf->skills, conf->nskills, ACD_MAX_SKILLS,
	    skills, &n) != 0)
		return ACD_E_INVAL;
	if ((a = acd_map_get(&acd->agents, conf->id)) == NULL) {
		a = xcalloc(1, sizeof *a);
		a->serial = ++acd->agent_serial;
		a->presence = a->state = AGENT_OFFLINE;
		a->dirty_idx = ACD_NONE;
		acd_timer_init(&a->wrap, TIMER_WRAP);
		a->conf = *conf;
		acd_map_put(&acd->agents, a->conf.id, a);
	} else
		a->conf = *conf;
	memcpy(a->skills, skills, sizeof skills);
	a->nskills = n;
	agent_refresh(acd, a, a->since);
	return 0;
}

static struct acd_agent *
agent_find(const struct acd *acd, const char *id)
{
	return id_ok(id) ? acd_map_get(&acd->agents, id) : NULL;
}

static struct acd_call *
call_find(const struct acd *acd, const char *id)
{
	return id_ok(id) ? acd_map_get(&acd->calls, id) : NULL;
}

/* Take a's offer back (no miss) and put its call back to waiting. */
static void
agent_unoffer(struct acd *acd, struct acd_agent *a, double now)
{
	struct acd_call	*c;

	if (a->offer == NULL)
		return;
	c = a->offer->call;
	action_push(acd, ACD_WITHDRAW, c, a, c->queue, 0);
	offer_drop(acd, a->offer, now);
	call_unanswered(acd, c);
}

int
acd_agent_del(struct acd *acd, const char *id)
{
	struct acd_agent	*a;

	if ((a = agent_find(acd, id)) == NULL)
		return id_ok(id) ? ACD_E_NOENT : ACD_E_INVAL;
	if (a->active > 0)
		return ACD_E_BUSY;
	agent_unoffer(acd, a, a->since);
	while (a->members != NULL)
		member_unlink(a->members);
	acd_timer_stop(acd, &a->wrap);
	undirty_agent(acd, a);
	acd_map_del(&acd->agents, a->conf.id);
	agent_free(a);
	return 0;
}

int
acd_member_set(struct acd *acd, const char *queue, const char *agent,
    int penalty)
{
	struct acd_queue	*q;
	struct acd_agent	*a;
	struct acd_member	*m;

	if (!id_ok(queue) || !id_ok(agent) || penalty < 0)
		return ACD_E_INVAL;
	if ((q = acd_map_get(&acd->queues, queue)) == NULL ||
	    (a = acd_map_get(&acd->agents, agent)) == NULL)
		return ACD_E_NOENT;
	for (m = a->members; m != NULL; m = m->anext) {
		if (m->queue == q) {
			m->penalty = penalty;
			return 0;
		}
	}
	m = xcalloc(1, sizeof *m);
	m->queue = q;
	m->agent = a;
	m->penalty = penalty;
	m->order = q->next_order++;
	m->free_idx = ACD_NONE;
	m->qprev = q->mtail;
	if (q->mtail != NULL)
		q->mtail->qnext = m;
	else
		q->mhead = m;
	q->mtail = m;
	q->nmembers++;
	m->anext = a->members;
	a->members = m;
	if (a->is_free) {
		free_add(q, m);
		acd_dirty_agent(acd, a);
	}
	return 0;
}

int
acd_member_del(struct acd *acd, const char *queue, const char *agent)
{
	struct acd_agent	*a;
	struct acd_member	*m;

	if (!id_ok(queue) || !id_ok(agent))
		return ACD_E_INVAL;
	if ((a = acd_map_get(&acd->agents, agent)) == NULL)
		return ACD_E_NOENT;
	for (m = a->members; m != NULL; m = m->anext) {
		if (strcmp(m->queue->conf.id, queue) == 0) {
			member_unlink(m);
			return 0;
		}
	}
	return ACD_E_NOENT;
}

int
acd_agent_counters(struct acd *acd, const char *agent, int calls,
    double talk_seconds, double last_call_end)
{
	struct acd_agent	*a;

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (calls < 0 || !(talk_seconds >= 0))
		return ACD_E_INVAL;
	a->calls = calls;
	a->talk = talk_seconds;
	a->idle_since = last_call_end;
	return 0;
}

int
acd_agent_state(struct acd *acd, const char *agent, enum agent_state st,
    double now)
{
	struct acd_agent	*a;

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (st != AGENT_AVAILABLE && st != AGENT_AWAY && st != AGENT_OFFLINE)
		return ACD_E_INVAL;
	if (st == a->presence)
		return 0;
	if (st == AGENT_AVAILABLE)
		a->idle_since = now;
	else
		agent_unoffer(acd, a, now);
	a->presence = st;
	agent_refresh(acd, a, now);
	return 0;
}

/* Check conf and make a call in state NEW; *err says why not. */
static struct acd_call *
call_new(struct acd *acd, const struct acd_call_conf *conf, int *err)
{
	struct acd_queue	*q;
	struct acd_call		*c;
	struct acd_need		 need[ACD_MAX_NEED];
	int			 n;

	if (!id_ok(conf->id) || !id_ok(conf->queue) ||
	    !isfinite(conf->arrival) ||
	    skills_norm(acd, conf->need, conf->nneed, ACD_MAX_NEED, need,
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
	if (q->conf.max_len > 0 &&
	    q->nwaiting + q->noffering >= q->conf.max_len) {
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

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if ((c = call_new(acd, conf, &err)) == NULL)
		return err;
	acd_map_put(&acd->calls, c->conf.id, c);
	call_move(acd, c, ACD_CALL_TALKING);
	c->agent = a;
	a->active++;
	agent_refresh(acd, a, now);
	return 0;
}

int
acd_abandon(struct acd *acd, const char *call, double now)
{
	struct acd_call	*c;

	if ((c = call_find(acd, call)) == NULL)
		return id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	call_withdraw(acd, c, now);
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

	if (!id_ok(call) || !id_ok(agent))
		return ACD_E_INVAL;
	if ((c = call_find(acd, call)) == NULL ||
	    (a = agent_find(acd, agent)) == NULL)
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
		action_push(acd, ACD_WITHDRAW, c, sib->agent, c->queue, 0);
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
	agent_miss(acd, o->agent, c);
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

	if (!id_ok(call) || !id_ok(agent))
		return ACD_E_INVAL;
	if ((c = call_find(acd, call)) == NULL ||
	    (a = agent_find(acd, agent)) == NULL)
		return ACD_E_NOENT;
	if (!in_queue(c->st) || !acd_agent_is_free(a))
		return ACD_E_STATE;
	call_withdraw(acd, c, now);
	acd_offer_make(acd, c, a, now);
	return 0;
}

int
acd_call_end(struct acd *acd, const char *agent, const char *call,
    double talk_seconds, double now)
{
	struct acd_call		*c;
	struct acd_agent	*a;
	struct acd_queue	*q;
	double			 until;

	if (!id_ok(call) || !id_ok(agent) || !(talk_seconds >= 0))
		return ACD_E_INVAL;
	if ((c = call_find(acd, call)) == NULL ||
	    (a = agent_find(acd, agent)) == NULL)
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
	if (q->conf.wrap_up > 0) {
		until = now + q->conf.wrap_up;
		if (!a->wrapping || a->wrap.at < until)
			acd_timer_set(acd, &a->wrap, until);
		a->wrapping = 1;
	}
	call_free(acd, c);
	agent_refresh(acd, a, now);
	return 0;
}

int
acd_wrap_done(struct acd *acd, const char *agent, double now)
{
	struct acd_agent	*a;

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!a->wrapping)
		return ACD_E_STATE;
	a->wrapping = 0;
	acd_timer_stop(acd, &a->wrap);
	agent_refresh(acd, a, now);
	return 0;
}

int
acd_pull(struct acd *acd, const char *agent, double now,
    char call_out[ACD_ID_LEN + 1])
{
	struct acd_agent	*a;
	struct acd_call		*c;

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!acd_agent_is_free(a))
		return ACD_E_STATE;
	if ((c = acd_best_call(acd, a)) == NULL)
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

int
acd_position(const struct acd *acd, const char *call, int *position,
    int *ewt_seconds)
{
	const struct acd_call	*c, *x;
	const struct acd_queue	*q;
	const struct acd_member	*m;
	double			 aht = 0;
	int			 i, ahead = 0, staffed = 0, pos;

	if ((c = call_find(acd, call)) == NULL)
		return id_ok(call) ? ACD_E_NOENT : ACD_E_INVAL;
	if (!in_queue(c->st))
		return ACD_E_STATE;
	if (c->st == ACD_CALL_OFFERED) {
		*position = 0;
		*ewt_seconds = 0;
		return 0;
	}
	q = c->queue;
	for (x = q->chead; x != NULL; x = x->qnext) {
		if (x->st == ACD_CALL_WAITING && acd_call_before(x, c))
			ahead++;
	}
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

int
acd_queue_stats(const struct acd *acd, const char *queue, double now,
    struct acd_queue_stats *st)
{
	const struct acd_queue	*q;
	const struct acd_call	*c;
	const struct acd_member	*m;

	if (!id_ok(queue))
		return ACD_E_INVAL;
	if ((q = acd_map_get(&acd->queues, queue)) == NULL)
		return ACD_E_NOENT;
	memset(st, 0, sizeof *st);
	st->waiting = q->nwaiting;
	st->offering = q->noffering;
	for (c = q->chead; c != NULL; c = c->qnext) {
		if (now - c->conf.arrival > st->longest_wait)
			st->longest_wait = now - c->conf.arrival;
	}
	for (m = q->mhead; m != NULL; m = m->qnext)
		st->agents[m->agent->state]++;
	return 0;
}

int
acd_agent_get(const struct acd *acd, const char *agent,
    enum agent_state *state, double *since, int *active_calls)
{
	const struct acd_agent	*a;

	if ((a = agent_find(acd, agent)) == NULL)
		return id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (state != NULL)
		*state = a->state;
	if (since != NULL)
		*since = a->since;
	if (active_calls != NULL)
		*active_calls = a->active;
	return 0;
}

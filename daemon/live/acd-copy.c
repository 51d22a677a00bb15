/*
 * A deep copy of an ACD engine, and the actions an operation queued. The
 * hub decides on a twin of its engine and, when the database refuses the
 * decision, puts the twin back as a copy of the untouched engine.
 *
 * Every pointer between the engine's objects is remapped here: a new
 * pointer field in acd-int.h must be remapped below too (the unit test
 * t-acd compares a copy with its original step by step).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "xmalloc.h"

#define CONTAINER(p, type, field) \
	((type *)(void *)((char *)(p) - offsetof(type, field)))

/* Old object -> its copy: open addressing on the address. */
struct ptrmap {
	const void	**from;
	void		**to;
	size_t		  cap;
};

static size_t
ptr_slot(const struct ptrmap *m, const void *p)
{
	uint64_t	h = (uint64_t)(uintptr_t)p;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (m->cap - 1);
}

static void
ptr_put(struct ptrmap *m, const void *from, void *to)
{
	size_t	i;

	for (i = ptr_slot(m, from); m->from[i] != NULL; i = (i + 1) & (m->cap - 1))
		;
	m->from[i] = from;
	m->to[i] = to;
}

static void *
ptr_get(const struct ptrmap *m, const void *from)
{
	size_t	i;

	if (from == NULL)
		return NULL;
	for (i = ptr_slot(m, from); m->from[i] != from; i = (i + 1) & (m->cap - 1))
		;
	return m->to[i];
}

static void *
dup_mem(const void *p, size_t size)
{
	void	*n;

	if (p == NULL || size == 0)
		return NULL;
	n = xmalloc(size);
	memcpy(n, p, size);
	return n;
}

/* A map's slots with every value remapped; keys from key_of(new value). */
static void
map_copy(struct acd_map *dst, const struct acd_map *src,
    const struct ptrmap *pm, const char *(*key_of)(const void *))
{
	size_t	i;

	*dst = *src;
	dst->ent = dup_mem(src->ent, src->cap * sizeof *src->ent);
	for (i = 0; i < dst->cap; i++) {
		if (dst->ent[i].key == NULL)
			continue;
		dst->ent[i].val = ptr_get(pm, src->ent[i].val);
		dst->ent[i].key = key_of(dst->ent[i].val);
	}
}

static const char *
queue_key(const void *v)
{
	return ((const struct acd_queue *)v)->conf.id;
}

static const char *
agent_key(const void *v)
{
	return ((const struct acd_agent *)v)->conf.id;
}

static const char *
call_key(const void *v)
{
	return ((const struct acd_call *)v)->conf.id;
}

static const char *
group_key(const void *v)
{
	return ((const struct acd_group *)v)->sig;
}

/* The copy of the timer t of the original engine. */
static struct acd_timer *
timer_copy(const struct ptrmap *pm, struct acd_timer *t)
{
	struct acd_offer	*o;
	struct acd_agent	*a;
	struct acd_call		*c;

	switch (t->kind) {
	case TIMER_OFFER:
		o = ptr_get(pm, CONTAINER(t, struct acd_offer, timer));
		return &o->timer;
	case TIMER_WRAP:
		a = ptr_get(pm, CONTAINER(t, struct acd_agent, wrap));
		return &a->wrap;
	case TIMER_WIDEN:
		c = ptr_get(pm, CONTAINER(t, struct acd_call, widen));
		return &c->widen;
	case TIMER_OVERFLOW:
		c = ptr_get(pm, CONTAINER(t, struct acd_call, overflow));
		return &c->overflow;
	case TIMER_RETRY:
	default:
		c = ptr_get(pm, CONTAINER(t, struct acd_call, retry));
		return &c->retry;
	}
}

/* Count the objects, then copy each one; pointers are fixed afterwards. */
static void
copy_objects(const struct acd *o, struct ptrmap *pm)
{
	const struct acd_queue	*q;
	const struct acd_call	*c;
	const struct acd_member	*m;
	const struct acd_group	*g;
	const struct acd_offer	*of;
	size_t			 i, n = 0;

	for (i = 0; i < o->queues.cap; i++) {
		if ((q = o->queues.ent[i].val) == NULL)
			continue;
		n += 1 + (size_t)q->nmembers;
		for (g = q->groups; g != NULL; g = g->next)
			n++;
	}
	n += o->agents.n;
	for (i = 0; i < o->calls.cap; i++) {
		if ((c = o->calls.ent[i].val) == NULL)
			continue;
		n++;
		for (of = c->offers; of != NULL; of = of->next)
			n++;
	}
	for (pm->cap = 16; pm->cap < 2 * n + 1; pm->cap *= 2)
		;
	pm->from = xcalloc(pm->cap, sizeof *pm->from);
	pm->to = xcalloc(pm->cap, sizeof *pm->to);

	for (i = 0; i < o->queues.cap; i++) {
		if ((q = o->queues.ent[i].val) == NULL)
			continue;
		ptr_put(pm, q, dup_mem(q, sizeof *q));
		for (m = q->mhead; m != NULL; m = m->qnext)
			ptr_put(pm, m, dup_mem(m, sizeof *m));
		for (g = q->groups; g != NULL; g = g->next)
			ptr_put(pm, g, dup_mem(g, sizeof *g));
	}
	for (i = 0; i < o->agents.cap; i++) {
		if (o->agents.ent[i].val != NULL)
			ptr_put(pm, o->agents.ent[i].val, dup_mem(
			    o->agents.ent[i].val, sizeof(struct acd_agent)));
	}
	for (i = 0; i < o->calls.cap; i++) {
		if ((c = o->calls.ent[i].val) == NULL)
			continue;
		ptr_put(pm, c, dup_mem(c, sizeof *c));
		for (of = c->offers; of != NULL; of = of->next)
			ptr_put(pm, of, dup_mem(of, sizeof *of));
	}
}

static void
fix_queue(const struct ptrmap *pm, const struct acd_queue *q)
{
	struct acd_queue	*nq = ptr_get(pm, q);
	const struct acd_member	*m;
	const struct acd_group	*g;
	struct acd_member	*nm;
	struct acd_group	*ng;
	size_t			 i;

	nq->mhead = ptr_get(pm, q->mhead);
	nq->mtail = ptr_get(pm, q->mtail);
	nq->free = dup_mem(q->free, q->free_cap * sizeof *q->free);
	for (i = 0; i < q->nfree; i++)
		nq->free[i] = ptr_get(pm, q->free[i]);
	nq->groups = ptr_get(pm, q->groups);
	map_copy(&nq->groups_by_sig, &q->groups_by_sig, pm, group_key);
	nq->chead = ptr_get(pm, q->chead);
	nq->ctail = ptr_get(pm, q->ctail);
	for (m = q->mhead; m != NULL; m = m->qnext) {
		nm = ptr_get(pm, m);
		nm->queue = ptr_get(pm, m->queue);
		nm->agent = ptr_get(pm, m->agent);
		nm->qnext = ptr_get(pm, m->qnext);
		nm->qprev = ptr_get(pm, m->qprev);
		nm->anext = ptr_get(pm, m->anext);
	}
	for (g = q->groups; g != NULL; g = g->next) {
		ng = ptr_get(pm, g);
		ng->head = ptr_get(pm, g->head);
		ng->tail = ptr_get(pm, g->tail);
		ng->next = ptr_get(pm, g->next);
		ng->prev = ptr_get(pm, g->prev);
	}
}

static void
fix_call(const struct ptrmap *pm, const struct acd_call *c)
{
	struct acd_call		*nc = ptr_get(pm, c);
	const struct acd_offer	*of;
	struct acd_offer	*no;

	nc->queue = ptr_get(pm, c->queue);
	nc->group = ptr_get(pm, c->group);
	nc->gnext = ptr_get(pm, c->gnext);
	nc->gprev = ptr_get(pm, c->gprev);
	nc->qnext = ptr_get(pm, c->qnext);
	nc->qprev = ptr_get(pm, c->qprev);
	nc->offers = ptr_get(pm, c->offers);
	nc->agent = ptr_get(pm, c->agent);
	nc->tried = dup_mem(c->tried, (size_t)c->tried_cap * sizeof *c->tried);
	for (of = c->offers; of != NULL; of = of->next) {
		no = ptr_get(pm, of);
		no->call = ptr_get(pm, of->call);
		no->agent = ptr_get(pm, of->agent);
		no->next = ptr_get(pm, of->next);
	}
}

/* Caller frees with acd_free(). */
struct acd *
acd_copy(const struct acd *o)
{
	struct acd		*n = xmalloc(sizeof *n);
	struct ptrmap		 pm;
	struct acd_agent	*a, *na;
	size_t			 i;
	int			 k;

	*n = *o;
	copy_objects(o, &pm);
	for (i = 0; i < o->queues.cap; i++) {
		if (o->queues.ent[i].val != NULL)
			fix_queue(&pm, o->queues.ent[i].val);
	}
	for (i = 0; i < o->agents.cap; i++) {
		if ((a = o->agents.ent[i].val) == NULL)
			continue;
		na = ptr_get(&pm, a);
		na->offer = ptr_get(&pm, a->offer);
		na->members = ptr_get(&pm, a->members);
	}
	for (i = 0; i < o->calls.cap; i++) {
		if (o->calls.ent[i].val != NULL)
			fix_call(&pm, o->calls.ent[i].val);
	}
	map_copy(&n->queues, &o->queues, &pm, queue_key);
	map_copy(&n->agents, &o->agents, &pm, agent_key);
	map_copy(&n->calls, &o->calls, &pm, call_key);
	/* Skills: the values are numbers, the keys the interned names. */
	n->skill_names = dup_mem(o->skill_names, o->skill_cap *
	    sizeof *o->skill_names);
	for (k = 0; k < o->nskills; k++)
		n->skill_names[k] = xstrdup(o->skill_names[k]);
	n->skills = o->skills;
	n->skills.ent = dup_mem(o->skills.ent, o->skills.cap *
	    sizeof *o->skills.ent);
	for (i = 0; i < n->skills.cap; i++) {
		if (n->skills.ent[i].key != NULL)
			n->skills.ent[i].key = n->skill_names[
			    (intptr_t)n->skills.ent[i].val - 1];
	}
	n->timers.t = dup_mem(o->timers.t, o->timers.cap * sizeof *o->timers.t);
	for (i = 0; i < o->timers.n; i++)
		n->timers.t[i] = timer_copy(&pm, o->timers.t[i]);
	n->dirty_agents = dup_mem(o->dirty_agents, o->dirty_agents_cap *
	    sizeof *o->dirty_agents);
	for (i = 0; i < o->ndirty_agents; i++)
		n->dirty_agents[i] = ptr_get(&pm, o->dirty_agents[i]);
	n->dirty_calls = dup_mem(o->dirty_calls, o->dirty_calls_cap *
	    sizeof *o->dirty_calls);
	for (i = 0; i < o->ndirty_calls; i++)
		n->dirty_calls[i] = ptr_get(&pm, o->dirty_calls[i]);
	/* Scratch of one matching pass: empty between calls. */
	n->cand = NULL;
	n->ncand = n->cand_cap = 0;
	n->pick = NULL;
	n->pick_cap = 0;
	n->pending = dup_mem(o->pending, o->pending_cap * sizeof *o->pending);
	free(pm.from);
	free(pm.to);
	return n;
}

size_t
acd_drain(struct acd *acd, struct acd_action *out, size_t max)
{
	size_t	n = acd->npending - acd->pending_head;

	if (n > max)
		n = max;
	if (n > 0)
		memcpy(out, acd->pending + acd->pending_head, n * sizeof *out);
	acd->pending_head += n;
	if (acd->pending_head == acd->npending)
		acd->pending_head = acd->npending = 0;
	return n;
}

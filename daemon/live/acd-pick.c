/*
 * Who gets which call: skill eligibility, the strategies and the matching
 * pass acd_tick() runs once its timers have fired.
 *
 * The matching pass is greedy in rank order: of all waiting calls that some
 * free agent may take, the lowest rank is offered first, to the agent its
 * queue's rules prefer; repeat. Only calls and agents touched since the
 * last pass can form a new pair, so the pass starts from those: a touched
 * call is a candidate if its queue has a free member, a touched free agent
 * proposes the best call it may take (the head of each eligible group of
 * waiting calls in its queues). Candidates pop from a heap in rank order;
 * an agent whose proposal went elsewhere proposes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "xmalloc.h"

#define PICK_RANDOM	0x1	/* uniform among the best tier */
#define PICK_ALL	0x2	/* every free eligible member at once */

static double
key_idle(const struct acd_member *m)
{
	return m->agent->idle_since;
}

/* Round-robin: members after the last one offered come first. */
static double
key_rr(const struct acd_member *m)
{
	return m->order <= m->queue->rr_cursor;
}

static double
key_calls(const struct acd_member *m)
{
	return m->agent->calls;
}

static double
key_talk(const struct acd_member *m)
{
	return m->agent->talk;
}

static double
key_none(const struct acd_member *m)
{
	(void)m;
	return 0;
}

/* Per strategy: its name and the key that orders members (lowest first);
 * member order breaks ties. */
static const struct strategy {
	const char	*name;
	double		(*key)(const struct acd_member *);
	int		 flags;
} strategies[ACD_STRATEGY_COUNT] = {
	[ACD_LONGEST_IDLE] = { "longest_idle", key_idle, 0 },
	[ACD_ROUND_ROBIN] = { "round_robin", key_rr, 0 },
	[ACD_FEWEST_CALLS] = { "fewest_calls", key_calls, 0 },
	[ACD_LEAST_TALK] = { "least_talk_time", key_talk, 0 },
	[ACD_RANDOM] = { "random", key_none, PICK_RANDOM },
	[ACD_RING_ALL] = { "ring_all", key_none, PICK_ALL },
	[ACD_LINEAR] = { "linear", key_none, 0 },
};

const char *
acd_strategy_name(enum acd_strategy s)
{
	if ((unsigned)s >= ACD_STRATEGY_COUNT)
		return "unknown";
	return strategies[s].name;
}

int
acd_strategy_parse(const char *name, enum acd_strategy *out)
{
	int	i;

	for (i = 0; i < ACD_STRATEGY_COUNT; i++) {
		if (strcmp(name, strategies[i].name) == 0) {
			*out = (enum acd_strategy)i;
			return 0;
		}
	}
	return -1;
}

/* Has a every needed skill at the needed level? Both sorted by skill. */
int
acd_eligible(const struct acd_agent *a, const struct acd_need *need, int n)
{
	int	i, j = 0;

	for (i = 0; i < n; i++) {
		while (j < a->nskills && a->skills[j].skill < need[i].skill)
			j++;
		if (j == a->nskills || a->skills[j].skill != need[i].skill ||
		    a->skills[j].level < need[i].level)
			return 0;
	}
	return 1;
}

/* The agent's total level in the skills the call asked for at first. */
static int
skill_score(const struct acd_agent *a, const struct acd_call *c)
{
	int	i, j = 0, score = 0;

	for (i = 0; i < c->norig; i++) {
		while (j < a->nskills && a->skills[j].skill < c->orig[i].skill)
			j++;
		if (j < a->nskills && a->skills[j].skill == c->orig[i].skill)
			score += a->skills[j].level;
	}
	return score;
}

int
acd_tried(const struct acd_call *c, const struct acd_agent *a)
{
	int	i;

	for (i = 0; i < c->ntried; i++) {
		if (c->tried[i].serial == a->serial)
			return 1;
	}
	return 0;
}

/* Did a reject c too recently to be offered it again now? */
int
acd_blocked(const struct acd_call *c, const struct acd_agent *a, double now)
{
	int	i;

	for (i = 0; i < c->ntried; i++) {
		if (c->tried[i].serial == a->serial)
			return c->tried[i].until > now;
	}
	return 0;
}

/* A new round: forget who tried, except rejecters still waiting. */
static void
tried_reset(struct acd_call *c, double now)
{
	int	i, n = 0;

	for (i = 0; i < c->ntried; i++) {
		if (c->tried[i].until > now)
			c->tried[n++] = c->tried[i];
	}
	c->ntried = n;
}

struct pick {
	int		tried;
	int		penalty;
	int		score;
	double		key;
	uint64_t	order;
};

/* Compare the tier: untried, lower penalty, higher skill score. */
static int
pick_tier(const struct pick *a, const struct pick *b)
{
	if (a->tried != b->tried)
		return a->tried < b->tried ? -1 : 1;
	if (a->penalty != b->penalty)
		return a->penalty < b->penalty ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return 0;
}

static int
pick_cmp(const struct pick *a, const struct pick *b)
{
	int	c;

	if ((c = pick_tier(a, b)) != 0)
		return c;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->order > b->order) - (a->order < b->order);
}

static int
member_order_cmp(const void *a, const void *b)
{
	const struct acd_member	*x = *(struct acd_member *const *)a;
	const struct acd_member	*y = *(struct acd_member *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

/* Ring-all: every free eligible member of the lowest penalty present. */
static size_t
choose_all(struct acd *acd, struct acd_call *c, double now)
{
	struct acd_queue	*q = c->queue;
	struct acd_member	*m;
	size_t			 i, n = 0;

	for (i = 0; i < q->nfree; i++) {
		m = q->free[i];
		if (!acd_eligible(m->agent, c->need, c->nneed) ||
		    (c->ntried > 0 && acd_blocked(c, m->agent, now)))
			continue;
		if (n > 0 && m->penalty > acd->pick[0]->penalty)
			continue;
		if (n > 0 && m->penalty < acd->pick[0]->penalty)
			n = 0;
		acd->pick[n++] = m;
	}
	qsort(acd->pick, n, sizeof *acd->pick, member_order_cmp);
	return n;
}

/*
 * Choose the free members to offer call c to, into acd->pick; returns how
 * many (0 or 1, or any number for ring-all).
 */
static size_t
choose(struct acd *acd, struct acd_call *c, double now)
{
	struct acd_queue	*q = c->queue;
	const struct strategy	*s = &strategies[q->conf.strategy];
	struct acd_member	*m;
	struct pick		 best, p;
	size_t			 i, n = 0;
	uint64_t		 ties = 0;
	int			 cmp;

	acd->pick = acd_grow(acd->pick, &acd->pick_cap, q->nfree + 1,
	    sizeof *acd->pick);
	if (s->flags & PICK_ALL)
		return choose_all(acd, c, now);
	memset(&best, 0, sizeof best);
	for (i = 0; i < q->nfree; i++) {
		m = q->free[i];
		if (!acd_eligible(m->agent, c->need, c->nneed) ||
		    (c->ntried > 0 && acd_blocked(c, m->agent, now)))
			continue;
		p.tried = c->ntried > 0 && acd_tried(c, m->agent);
		p.penalty = m->penalty;
		p.score = c->norig > 0 ? skill_score(m->agent, c) : 0;
		p.key = s->key(m);
		p.order = m->order;
		if (s->flags & PICK_RANDOM)
			cmp = n == 0 ? -1 : pick_tier(&p, &best);
		else
			cmp = n == 0 ? -1 : pick_cmp(&p, &best);
		if (cmp < 0) {
			best = p;
			acd->pick[0] = m;
			n = 1;
			ties = 1;
		} else if (cmp == 0 && acd_random(acd) % ++ties == 0)
			acd->pick[0] = m;	/* reservoir sampling */
	}
	/* Everyone free was tried: start a new round. */
	if (n > 0 && best.tried)
		tried_reset(c, now);
	return n;
}

static size_t
offer_call(struct acd *acd, struct acd_call *c, double now)
{
	size_t	i, n = choose(acd, c, now);

	if (n == 1)
		c->queue->rr_cursor = acd->pick[0]->order;
	for (i = 0; i < n; i++)
		acd_offer_make(acd, c, acd->pick[i]->agent, now);
	return n;
}

/*
 * The first waiting call that a may take, in rank order, or NULL. Calls a
 * rejected moments ago are passed over (a group's calls are in rank order,
 * so only those few are walked).
 */
struct acd_call *
acd_best_call(struct acd *acd, struct acd_agent *a, double now)
{
	struct acd_member	*m;
	struct acd_group	*g;
	struct acd_call		*best = NULL, *c;

	(void)acd;
	for (m = a->members; m != NULL; m = m->anext) {
		for (g = m->queue->groups; g != NULL; g = g->next) {
			if (!acd_eligible(a, g->need, g->nneed))
				continue;
			for (c = g->head; c != NULL && c->ntried > 0 &&
			    acd_blocked(c, a, now); c = c->gnext)
				;
			if (c != NULL && (best == NULL ||
			    acd_call_before(c, best)))
				best = c;
		}
	}
	return best;
}

static int
cand_less(const struct acd_cand *a, const struct acd_cand *b)
{
	return acd_call_before(a->call, b->call);
}

static void
cand_push(struct acd *acd, struct acd_call *c, struct acd_agent *by)
{
	struct acd_cand	 e = { c, by };
	size_t		 i, parent;

	acd->cand = acd_grow(acd->cand, &acd->cand_cap, acd->ncand + 1,
	    sizeof *acd->cand);
	for (i = acd->ncand++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!cand_less(&e, &acd->cand[parent]))
			break;
		acd->cand[i] = acd->cand[parent];
	}
	acd->cand[i] = e;
}

static struct acd_cand
cand_pop(struct acd *acd)
{
	struct acd_cand	 top = acd->cand[0], last;
	size_t		 i = 0, c, n = --acd->ncand;

	last = acd->cand[n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_less(&acd->cand[c + 1], &acd->cand[c]))
			c++;
		if (!cand_less(&acd->cand[c], &last))
			break;
		acd->cand[i] = acd->cand[c];
		i = c;
	}
	if (n > 0)
		acd->cand[i] = last;
	return top;
}

void
acd_match(struct acd *acd, double now)
{
	struct acd_agent	*a;
	struct acd_call		*c;
	struct acd_cand		 e;

	for (;;) {
		while (acd->ndirty_agents > 0) {
			a = acd->dirty_agents[--acd->ndirty_agents];
			a->dirty_idx = ACD_NONE;
			if (a->is_free && (c = acd_best_call(acd, a, now)) != NULL)
				cand_push(acd, c, a);
		}
		while (acd->ndirty_calls > 0) {
			c = acd->dirty_calls[--acd->ndirty_calls];
			c->dirty_idx = ACD_NONE;
			if (c->st == ACD_CALL_WAITING && c->queue->nfree > 0)
				cand_push(acd, c, NULL);
		}
		if (acd->ncand == 0)
			break;
		e = cand_pop(acd);
		if (e.call->st == ACD_CALL_WAITING)
			offer_call(acd, e.call, now);
		/* Its proposal went to someone else: it proposes again. */
		if (e.by != NULL && e.by->is_free)
			acd_dirty_agent(acd, e.by);
	}
}

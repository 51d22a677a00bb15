/*
 * The ACD engine's configuration and agents: queues, agents and members,
 * agent states and the free index each queue keeps, the actions queue, and
 * the names of things. Calls, offers and time are in acd-call.c; choosing
 * who gets which call in acd-pick.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acd-int.h"
#include "xmalloc.h"

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

int
acd_id_ok(const char *id)
{
	size_t	len;

	if (id == NULL)
		return 0;
	len = strnlen(id, ACD_ID_LEN + 1);
	return len > 0 && len <= ACD_ID_LEN;
}

/* Queue an action for acd_tick() to return. */
void
acd_action_push(struct acd *acd, enum acd_action_type type,
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

	if ((v = acd_map_get(&acd->skills, name)) != NULL)
		return (int)(intptr_t)v - 1;
	acd->skill_names = acd_grow(acd->skill_names, &acd->skill_cap,
	    (size_t)acd->nskills + 1, sizeof *acd->skill_names);
	copy = xstrdup(name);
	acd->skill_names[acd->nskills++] = copy;
	/* Stored plus one: NULL means absent. */
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
int
acd_skills_norm(struct acd *acd, const struct acd_skill *in, int nin, int max,
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

void
acd_undirty_call(struct acd *acd, struct acd_call *c)
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
void
acd_agent_refresh(struct acd *acd, struct acd_agent *a, double now)
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
	struct acd_widen	 w;
	int			 i, j;

	if (!acd_id_ok(conf->id) ||
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
	acd_queue_rearm(acd, q);
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

	if (!acd_id_ok(id))
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

	if (!acd_id_ok(conf->id) ||
	    acd_skills_norm(acd, conf->skills, conf->nskills, ACD_MAX_SKILLS,
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
	acd_agent_refresh(acd, a, a->since);
	return 0;
}

struct acd_agent *
acd_agent_find(const struct acd *acd, const char *id)
{
	return acd_id_ok(id) ? acd_map_get(&acd->agents, id) : NULL;
}

struct acd_call *
acd_call_find(const struct acd *acd, const char *id)
{
	return acd_id_ok(id) ? acd_map_get(&acd->calls, id) : NULL;
}

int
acd_agent_del(struct acd *acd, const char *id)
{
	struct acd_agent	*a;

	if ((a = acd_agent_find(acd, id)) == NULL)
		return acd_id_ok(id) ? ACD_E_NOENT : ACD_E_INVAL;
	if (a->active > 0)
		return ACD_E_BUSY;
	acd_agent_unoffer(acd, a, a->since);
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

	if (!acd_id_ok(queue) || !acd_id_ok(agent) || penalty < 0)
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

	if (!acd_id_ok(queue) || !acd_id_ok(agent))
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

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
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

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (st != AGENT_AVAILABLE && st != AGENT_AWAY && st != AGENT_OFFLINE)
		return ACD_E_INVAL;
	if (st == a->presence)
		return 0;
	if (st == AGENT_AVAILABLE)
		a->idle_since = now;
	else
		acd_agent_unoffer(acd, a, now);
	a->presence = st;
	acd_agent_refresh(acd, a, now);
	return 0;
}

int
acd_queue_stats(const struct acd *acd, const char *queue, double now,
    struct acd_queue_stats *st)
{
	const struct acd_queue	*q;
	const struct acd_call	*c;
	const struct acd_member	*m;

	if (!acd_id_ok(queue))
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
acd_queue_full(const struct acd *acd, const char *queue)
{
	const struct acd_queue	*q;

	if (!acd_id_ok(queue))
		return ACD_E_INVAL;
	if ((q = acd_map_get(&acd->queues, queue)) == NULL)
		return ACD_E_NOENT;
	return q->conf.max_len > 0 &&
	    q->nwaiting + q->noffering >= q->conf.max_len;
}

int
acd_agent_get(const struct acd *acd, const char *agent,
    enum agent_state *state, double *since, int *active_calls)
{
	const struct acd_agent	*a;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	if (state != NULL)
		*state = a->state;
	if (since != NULL)
		*since = a->since;
	if (active_calls != NULL)
		*active_calls = a->active;
	return 0;
}

int
acd_agent_offered(const struct acd *acd, const char *agent)
{
	const struct acd_agent	*a;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	return a->offer != NULL;
}

int
acd_agent_presence(const struct acd *acd, const char *agent,
    enum agent_state *presence)
{
	const struct acd_agent	*a;

	if ((a = acd_agent_find(acd, agent)) == NULL)
		return acd_id_ok(agent) ? ACD_E_NOENT : ACD_E_INVAL;
	*presence = a->presence;
	return 0;
}

/*
 * The wallboard's picture: queues, agents and live calls built from the
 * API's JSON objects (the same objects REST lists and /ws snapshots and
 * events carry), with the links between them resolved once per change.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "wb.h"
#include "xmalloc.h"

/* Calls in these states are live: the calls panel shows them. */
const char *const wb_live_states[] = {
	"ivr", "queued", "offering", "connected", "on_hold", NULL
};

char *
wb_str(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

double
wb_num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* RFC 3339 UTC ("2026-11-25T15:08:00.123Z") to time_t, 0 if none. */
time_t
wb_time(json_t *v)
{
	struct tm	 tm;
	const char	*s;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL &&
	    strptime(s, "%Y-%m-%d %H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* "Name +number", either alone, or "(unknown)". Caller frees. */
char *
wb_caller(json_t *c)
{
	const char	*name, *num;

	name = json_string_value(json_object_get(c, "caller_name"));
	num = json_string_value(json_object_get(c, "caller_number"));
	if (name != NULL && *name != '\0' && num != NULL && *num != '\0')
		return xasprintf("%s %s", name, num);
	if (name != NULL && *name != '\0')
		return xstrdup(name);
	if (num != NULL && *num != '\0')
		return xstrdup(num);
	return xstrdup("(unknown)");
}

static void
wb_queue_clear(struct wb_queue *q)
{
	free(q->id);
	free(q->name);
	json_decref(q->raw);
	json_decref(q->forecast);
	memset(q, 0, sizeof *q);
	q->need = -1;
}

static void
wb_agent_clear(struct wb_agent *a)
{
	free(a->id);
	free(a->name);
	free(a->state);
	free(a->reason);
	free(a->call);
	free(a->call_id);
	json_decref(a->raw);
	memset(a, 0, sizeof *a);
}

static void
wb_call_clear(struct wb_call *c)
{
	free(c->id);
	free(c->caller);
	free(c->queue);
	free(c->state);
	free(c->agent);
	free(c->agent_id);
	free(c->sup);
	json_decref(c->raw);
	memset(c, 0, sizeof *c);
}

void
wb_data_free(struct wb_data *d)
{
	size_t	 i;

	for (i = 0; i < d->nq; i++)
		wb_queue_clear(&d->q[i]);
	for (i = 0; i < d->na; i++)
		wb_agent_clear(&d->a[i]);
	for (i = 0; i < d->nc; i++)
		wb_call_clear(&d->c[i]);
	free(d->q);
	free(d->a);
	free(d->c);
	memset(d, 0, sizeof *d);
}

/* A queue's own fields from its object; its figures stay. */
static void
wb_queue_set(struct wb_queue *q, json_t *v)
{
	free(q->id);
	free(q->name);
	json_decref(q->raw);
	q->id = wb_str(v, "id");
	if ((q->name = wb_str(v, "name")) == NULL)
		q->name = xstrdup(q->id != NULL ? q->id : "?");
	q->sl_threshold = (long)wb_num(v, "sl_threshold");
	q->raw = json_incref(v);
}

/* A queue from GET /api/queues; its figures from /stats, if any. */
void
wb_queue_fill(struct wb_queue *q, json_t *v)
{
	wb_queue_clear(q);
	wb_queue_set(q, v);
}

/* The figures of GET /api/queues/:id/stats. */
void
wb_queue_stats(struct wb_queue *q, json_t *st)
{
	json_t	*ag = json_object_get(st, "agents");
	json_t	*today = json_object_get(st, "today"), *cb;

	q->have_stats = 1;
	q->waiting = (long)wb_num(st, "waiting");
	q->offering = (long)wb_num(st, "offering");
	q->longest = wb_num(st, "longest_wait");
	q->offered = (long)wb_num(today, "offered");
	q->answered = (long)wb_num(today, "answered");
	q->abandoned = (long)wb_num(today, "abandoned");
	q->abandon_rate = wb_num(today, "abandon_rate");
	q->sl = wb_num(today, "service_level");
	q->asa = wb_num(today, "asa");
	q->aht = wb_num(today, "aht");
	q->avail = (long)wb_num(ag, "available");
	q->oncall = (long)(wb_num(ag, "busy") + wb_num(ag, "offering"));
	q->wrap = (long)wb_num(ag, "wrap_up");
	q->away = (long)wb_num(ag, "away");
	q->offline = (long)wb_num(ag, "offline");
	cb = json_object_get(today, "callbacks");
	q->cb_waiting = (long)wb_num(cb, "waiting");
	q->cb_requested = (long)wb_num(cb, "requested");
	q->cb_completed = (long)wb_num(cb, "completed");
	q->cb_failed = (long)wb_num(cb, "failed");
}

/* The figures of GET /api/queues/:id/forecast; NULL: none. */
void
wb_queue_forecast(struct wb_queue *q, json_t *fc)
{
	json_t	*need = json_object_get(json_object_get(fc, "now"),
	    "agents_needed");

	json_decref(q->forecast);
	q->forecast = fc != NULL ? json_incref(fc) : NULL;
	q->need = json_is_integer(need) ? (long)json_integer_value(need) : -1;
	q->staffed = (long)wb_num(fc, "staffed");
}

void
wb_agent_fill(struct wb_agent *a, json_t *v)
{
	wb_agent_clear(a);
	a->id = wb_str(v, "id");
	if ((a->name = wb_str(v, "name")) == NULL)
		a->name = xstrdup(a->id != NULL ? a->id : "?");
	if ((a->state = wb_str(v, "state")) == NULL)
		a->state = xstrdup("?");
	a->reason = wb_str(v, "pause_reason");
	a->since = wb_time(json_object_get(v, "state_since"));
	a->handled = (long)wb_num(v, "calls_handled");
	a->raw = json_incref(v);
}

void
wb_call_fill(struct wb_call *c, json_t *v)
{
	char	*cb;

	wb_call_clear(c);
	c->id = wb_str(v, "id");
	c->caller = wb_caller(v);
	if (json_is_object(json_object_get(v, "callback"))) {
		/* A callback: the caller is not on the line. */
		cb = c->caller;
		c->caller = xasprintf("(cb) %s", cb);
		free(cb);
	}
	if ((c->state = wb_str(v, "state")) == NULL)
		c->state = xstrdup("?");
	c->agent_id = wb_str(v, "agent_id");
	/* A manager monitors, whispers or barges in ("off": she left). */
	if ((c->sup = wb_str(json_object_get(v, "supervision"), "mode")) !=
	    NULL && strcmp(c->sup, "off") == 0) {
		free(c->sup);
		c->sup = NULL;
	}
	if (strcmp(c->state, "queued") != 0 && strcmp(c->state, "offering") != 0)
		c->since = wb_time(json_object_get(v, "answered_at"));
	if (c->since == 0)
		c->since = wb_time(json_object_get(v, "enqueued_at"));
	if (c->since == 0)
		c->since = wb_time(json_object_get(v, "created_at"));
	c->raw = json_incref(v);
}

static int
wb_cmp_queue(const void *a, const void *b)
{
	return strcmp(((const struct wb_queue *)a)->id,
	    ((const struct wb_queue *)b)->id);
}

static int
wb_cmp_agent(const void *a, const void *b)
{
	return strcmp(((const struct wb_agent *)a)->id,
	    ((const struct wb_agent *)b)->id);
}

static int
wb_cmp_call(const void *a, const void *b)
{
	return strcmp(((const struct wb_call *)a)->id,
	    ((const struct wb_call *)b)->id);
}

const struct wb_queue *
wb_queue_find(const struct wb_data *d, const char *id)
{
	struct wb_queue	 key = { .id = (char *)(uintptr_t)id };

	if (id == NULL || d->nq == 0)
		return NULL;
	return bsearch(&key, d->q, d->nq, sizeof *d->q, wb_cmp_queue);
}

const struct wb_agent *
wb_agent_find(const struct wb_data *d, const char *id)
{
	struct wb_agent	 key = { .id = (char *)(uintptr_t)id };

	if (id == NULL || d->na == 0)
		return NULL;
	return bsearch(&key, d->a, d->na, sizeof *d->a, wb_cmp_agent);
}

const struct wb_call *
wb_call_find(const struct wb_data *d, const char *id)
{
	struct wb_call	 key = { .id = (char *)(uintptr_t)id };

	if (id == NULL || d->nc == 0)
		return NULL;
	return bsearch(&key, d->c, d->nc, sizeof *d->c, wb_cmp_call);
}

/*
 * Sort each array by id (lookups are binary searches) and resolve each
 * call's queue and agent names and each agent's current call:
 * O((queues + agents + calls) log n).
 */
void
wb_data_link(struct wb_data *d)
{
	const struct wb_queue	*q;
	struct wb_agent		*a;
	struct wb_call		*c;
	size_t			 i;

	/* qsort() must not be handed the NULL of an empty array. */
	if (d->nq > 0)
		qsort(d->q, d->nq, sizeof *d->q, wb_cmp_queue);
	if (d->na > 0)
		qsort(d->a, d->na, sizeof *d->a, wb_cmp_agent);
	if (d->nc > 0)
		qsort(d->c, d->nc, sizeof *d->c, wb_cmp_call);
	for (i = 0; i < d->na; i++) {
		free(d->a[i].call);
		free(d->a[i].call_id);
		d->a[i].call = d->a[i].call_id = NULL;
	}
	for (i = 0; i < d->nc; i++) {
		c = &d->c[i];
		free(c->queue);
		free(c->agent);
		q = wb_queue_find(d, json_string_value(
		    json_object_get(c->raw, "queue_id")));
		c->queue = xstrdup(q != NULL ? q->name : "-");
		c->sl_threshold = q != NULL ? q->sl_threshold : 0;
		a = (struct wb_agent *)(uintptr_t)wb_agent_find(d, c->agent_id);
		c->agent = xstrdup(a != NULL ? a->name : "-");
		if (a != NULL && a->call == NULL &&
		    strcmp(c->state, "queued") != 0) {
			a->call = xstrdup(c->caller);
			a->call_id = xstrdup(c->id);
		}
	}
}

/* Calls handled today, from GET /api/agents/today (after wb_data_link). */
void
wb_agents_today(struct wb_data *d, json_t *items)
{
	struct wb_agent	*a;
	json_t		*v;
	size_t		 i;

	for (i = 0; i < d->na; i++)
		d->a[i].handled = 0;
	json_array_foreach(items, i, v) {
		a = (struct wb_agent *)(uintptr_t)wb_agent_find(d,
		    json_string_value(json_object_get(v, "agent_id")));
		if (a != NULL)
			a->handled = (long)wb_num(v, "handled");
	}
	d->handled_today = 1;
}

/* Whether a call in this state belongs on the wallboard. */
int
wb_call_live(const char *state)
{
	size_t	 i;

	for (i = 0; state != NULL && wb_live_states[i] != NULL; i++) {
		if (strcmp(state, wb_live_states[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Where id is, or would be inserted, in an array of n elements of size
 * size sorted by the id at its start (struct wb_queue, wb_agent, wb_call
 * all begin with char *id).
 */
static size_t
wb_slot(const void *base, size_t n, size_t size, const char *id, int *found)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(*(char *const *)(const void *)
		    ((const char *)base + mid * size), id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Make room at slot k of an array of *n elements (grown by one) and
 * return it, zeroed. Caller fills it.
 */
static void *
wb_insert(void **base, size_t *n, size_t size, size_t k)
{
	char	*b;

	*base = xrealloc(*base, (*n + 1) * size);
	b = *base;
	memmove(b + (k + 1) * size, b + k * size, (*n - k) * size);
	memset(b + k * size, 0, size);
	(*n)++;
	return b + k * size;
}

/* Whether object a was updated before b (RFC 3339 UTC strings compare). */
static int
wb_older(json_t *a, json_t *b)
{
	const char	*ta = json_string_value(json_object_get(a, "updated_at"));
	const char	*tb = json_string_value(json_object_get(b, "updated_at"));

	return ta != NULL && tb != NULL && strcmp(ta, tb) < 0;
}

/*
 * Apply one object of a topic ("queues", "agents" or "calls") by its id,
 * as /ws snapshots and events carry them (docs/ws.md): replace it, insert
 * it, or remove a call that is no longer live. A queue keeps today's
 * figures and takes "live" ones when the object has them. The arrays must
 * be sorted by id (wb_data_link); call wb_data_link after a batch to
 * resolve names again. Returns 1 if the picture changed.
 */
int
wb_data_put(struct wb_data *d, const char *topic, json_t *v)
{
	const char	*id = json_string_value(json_object_get(v, "id"));
	struct wb_queue	*q;
	json_t		*live;
	size_t		 k;
	int		 found;

	if (id == NULL)
		return 0;
	if (strcmp(topic, "agents") == 0) {
		k = wb_slot(d->a, d->na, sizeof *d->a, id, &found);
		if (!found)
			wb_insert((void **)&d->a, &d->na, sizeof *d->a, k);
		wb_agent_fill(&d->a[k], v);
		return 1;
	}
	if (strcmp(topic, "calls") == 0) {
		k = wb_slot(d->c, d->nc, sizeof *d->c, id, &found);
		/* An event older than what is shown changes nothing. */
		if (found && wb_older(v, d->c[k].raw))
			return 0;
		if (!wb_call_live(json_string_value(json_object_get(v,
		    "state")))) {
			if (!found)
				return 0;
			wb_call_clear(&d->c[k]);
			memmove(&d->c[k], &d->c[k + 1],
			    (d->nc - k - 1) * sizeof *d->c);
			d->nc--;
			return 1;
		}
		if (!found)
			wb_insert((void **)&d->c, &d->nc, sizeof *d->c, k);
		wb_call_fill(&d->c[k], v);
		return 1;
	}
	if (strcmp(topic, "queues") == 0) {
		k = wb_slot(d->q, d->nq, sizeof *d->q, id, &found);
		if (!found)
			wb_insert((void **)&d->q, &d->nq, sizeof *d->q, k);
		q = &d->q[k];
		wb_queue_set(q, v);
		if ((live = json_object_get(v, "live")) != NULL) {
			q->waiting = (long)wb_num(live, "waiting");
			q->offering = (long)wb_num(live, "offering");
			q->longest = wb_num(live, "longest_wait");
		}
		return 1;
	}
	return 0;
}

/* An agent.deleted event: the agent leaves the board. 1 if it was there. */
int
wb_agent_drop(struct wb_data *d, const char *id)
{
	size_t	 k;
	int	 found;

	if (id == NULL)
		return 0;
	k = wb_slot(d->a, d->na, sizeof *d->a, id, &found);
	if (!found)
		return 0;
	wb_agent_clear(&d->a[k]);
	memmove(&d->a[k], &d->a[k + 1], (d->na - k - 1) * sizeof *d->a);
	d->na--;
	return 1;
}

/*
 * An agent.state_changed event (agent_id, state, reason): the agent's
 * state changes in place, since now. Returns 1 if the agent is known.
 */
int
wb_agent_state(struct wb_data *d, const char *id, const char *state,
    const char *reason)
{
	struct wb_agent	*a;
	char		 ts[32];
	struct tm	 tm;
	time_t		 now = time(NULL);

	a = (struct wb_agent *)(uintptr_t)wb_agent_find(d, id);
	if (a == NULL || state == NULL)
		return 0;
	if (strcmp(a->state, state) != 0) {
		free(a->state);
		a->state = xstrdup(state);
		a->since = now;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(a->raw, "state_since", json_string(ts));
	}
	free(a->reason);
	a->reason = reason != NULL ? xstrdup(reason) : NULL;
	json_object_set_new(a->raw, "state", json_string(state));
	json_object_set_new(a->raw, "pause_reason", reason != NULL ?
	    json_string(reason) : json_null());
	return 1;
}

/*
 * /api/analytics/company/:companyId: key figures for a range, bucketed by
 * hour, day or week in the company's time zone, per agent, insights, and
 * every call of a range as CSV or JSON. The SQL is in db-analytics.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-analytics.h"
#include "analytics-int.h"

/* Agents who miss more than this share of their offers. */
#define MISS_LIMIT	0.2
/* At most this many buckets in one answer. */
#define MAX_BUCKETS	5000

void
analytics_scope_free(struct analytics_scope *s)
{
	free(s->from);
	free(s->to);
	free(s->queue);
}

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 1;
}

static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* An RFC 3339 date-time with a real date: 2026-11-25T15:08:00(.123)Z. */
int
analytics_time_ok(const char *s)
{
	struct tm	 tm;
	const char	*p;
	time_t		 t;

	if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' ||
	    !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2))
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = two(s + 5) - 1;
	tm.tm_mday = two(s + 8);
	tm.tm_hour = two(s + 11);
	tm.tm_min = two(s + 14);
	tm.tm_sec = two(s + 17);
	if (tm.tm_year < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return 0;
	t = timegm(&tm);
	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_mday != two(s + 8))
		return 0;
	p = s + 19;
	if (*p == '.') {
		size_t n = strspn(++p, "0123456789");

		if (n < 1 || n > 9)
			return 0;
		p += n;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 1;
	return (*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2) &&
	    p[3] == ':' && digits(p + 4, 2) && two(p + 1) < 24 &&
	    two(p + 4) < 60;
}

int
analytics_scope(struct hctx *h, int queue, struct analytics_scope *s)
{
	const char	*q = h->req->query;
	char		*roll;
	int		 raw = 0, found;

	memset(s, 0, sizeof s[0]);
	if ((roll = query_get(q, "rollup")) != NULL) {
		raw = strcmp(roll, "false") == 0;
		if (!raw && strcmp(roll, "true") != 0) {
			free(roll);
			return resp_problem(h->resp, 400, "bad_request",
			    "\"rollup\" must be true or false");
		}
		free(roll);
	}
	s->from = query_get(q, "from");
	s->to = query_get(q, "to");
	if (queue)
		s->queue = query_get(q, "queue_id");
	if (s->from != NULL && !analytics_time_ok(s->from))
		return resp_problem(h->resp, 400, "bad_request", "\"from\" must"
		    " be an RFC 3339 time such as 2026-11-25T00:00:00Z");
	if (s->to != NULL && !analytics_time_ok(s->to))
		return resp_problem(h->resp, 400, "bad_request", "\"to\" must"
		    " be an RFC 3339 time such as 2026-11-26T00:00:00Z");
	if (s->queue != NULL && !is_uuid(s->queue))
		return resp_problem(h->resp, 400, "bad_request",
		    "\"queue_id\" must be a UUID");
	found = db_analytics_range(h->db, h->req->params[0], s->from, s->to,
	    &s->range);
	if (found < 0)
		return db_fail(h->db, h->resp);
	if (found == 0)
		return resp_problem(h->resp, 404, "not_found", "no such company");
	s->seconds = s->range.seconds;
	s->sl_target = s->range.sl_target / 100;
	if (!(s->seconds > 0))
		return resp_problem(h->resp, 400, "bad_request",
		    "\"from\" must be before \"to\"");
	s->tz = s->range.tz;
	s->r.company = h->req->params[0];
	s->r.from = s->range.from;
	s->r.to = s->range.to;
	s->r.queue = s->queue;
	s->r.raw = raw;
	return 0;
}

/* {"from", "to", "timezone"} of the range, for every answer. */
static json_t *
scope_json(const struct analytics_scope *s)
{
	return json_pack("{s:s,s:s,s:s}",
	    "from", s->range.from_out, "to", s->range.to_out,
	    "timezone", s->tz);
}

/* Add src's members to dst; takes src. */
static void
merge(json_t *dst, json_t *src)
{
	json_object_update(dst, src);
	json_decref(src);
}

int
analytics_overview(struct hctx *h)
{
	struct analytics_scope	 s;
	struct analytics_kpi	 k;
	json_t			*doc;

	if (analytics_scope(h, 1, &s) != 0)
		goto out;
	if (db_analytics_overview(h->db, &s.r, &k) != 0) {
		db_fail(h->db, h->resp);
		goto out;
	}
	doc = scope_json(&s);
	json_object_set_new(doc, "queue_id", s.queue != NULL ?
	    json_string(s.queue) : json_null());
	merge(doc, analytics_kpi_json(&k));
	resp_json(h->resp, 200, doc);
out:
	analytics_scope_free(&s);
	return 0;
}

int
analytics_calls(struct hctx *h)
{
	struct analytics_scope	 s;
	struct analytics_buckets *res;
	json_t		*doc, *items, *o;
	char		*iv;
	double		 unit;

	iv = query_get(h->req->query, "interval");
	if (analytics_scope(h, 1, &s) != 0)
		goto out;
	if (iv == NULL)
		iv = xstrdup("day");
	if (strcmp(iv, "hour") == 0)
		unit = 3600;
	else if (strcmp(iv, "day") == 0)
		unit = 86400;
	else if (strcmp(iv, "week") == 0)
		unit = 7 * 86400;
	else {
		resp_problem(h->resp, 400, "bad_request",
		    "\"interval\" must be hour, day or week");
		goto out;
	}
	if (s.seconds / unit > MAX_BUCKETS) {
		resp_problem(h->resp, 400, "bad_request", "the range holds more"
		    " than %d %ss; choose a shorter range or a longer interval",
		    MAX_BUCKETS, iv);
		goto out;
	}
	if ((res = db_analytics_buckets(h->db, &s.r, iv, s.tz)) == NULL) {
		db_fail(h->db, h->resp);
		goto out;
	}
	items = json_array();
	for (int i = 0; i < res->n; i++) {
		o = json_pack("{s:s}", "start", res->v[i].start);
		merge(o, analytics_kpi_json(&res->v[i].kpi));
		json_array_append_new(items, o);
	}
	analytics_buckets_free(res);
	doc = scope_json(&s);
	json_object_set_new(doc, "interval", json_string(iv));
	json_object_set_new(doc, "queue_id", s.queue != NULL ?
	    json_string(s.queue) : json_null());
	json_object_set_new(doc, "items", items);
	resp_json(h->resp, 200, doc);
out:
	free(iv);
	analytics_scope_free(&s);
	return 0;
}

static json_t *
ratio(double a, double b)
{
	return b > 0 ? json_real(a / b) : json_null();
}

/*
 * Seconds in each agent state over the range, every state present, and
 * occupancy: handling (busy + wrap_up) over staffed and not away
 * (available + offering + busy + wrap_up). Takes the row's JSON object.
 */
static json_t *
agent_states_json(const struct agent_perf *a, json_t **occupancy,
    double *staffed)
{
	static const char *const names[] = {
		"available", "offering", "busy", "wrap_up", "away", "offline",
	};
	json_t	*in, *out;
	double	 v[6], handling, ready;

	in = json_loads(a->states, 0, NULL);
	out = json_object();
	for (size_t i = 0; i < 6; i++) {
		v[i] = json_number_value(json_object_get(in, names[i]));
		json_object_set_new(out, names[i], json_real(v[i]));
	}
	json_decref(in);
	handling = v[2] + v[3];
	ready = v[0] + v[1] + handling;
	*occupancy = ready > 0 ? json_real(handling / ready) : json_null();
	*staffed = ready + v[4];
	return out;
}

/* One agent's figures. */
static json_t *
agent_perf_json(const struct agent_perf *a)
{
	double	staffed;
	json_t	*states, *occ, *away;

	states = agent_states_json(a, &occ, &staffed);
	if ((away = json_loads(a->away, 0, NULL)) == NULL)
		away = json_array();
	return json_pack("{s:s,s:s,s:s,s:s,s:f,s:I,s:o,s:f,s:f,s:I,s:I,s:o,"
	    "s:o,s:o,s:f,s:o}",
	    "agent_id", a->id, "name", a->name, "state", a->state,
	    "state_since", a->since, "seconds_in_state", a->in_state,
	    "handled", (json_int_t)a->handled,
	    "aht", a->has_aht ? json_real(a->aht) : json_null(),
	    "talk_seconds", a->talk, "hold_seconds", a->hold,
	    "offers", (json_int_t)a->offers,
	    "missed_offers", (json_int_t)a->missed,
	    "miss_rate", ratio(a->missed, a->offers),
	    "occupancy", occ, "state_seconds", states,
	    "staffed_seconds", staffed, "away_reasons", away);
}

int
analytics_agents(struct hctx *h)
{
	struct analytics_scope	 s;
	struct agent_perf_rows	*res;
	json_t		*doc, *items;

	if (analytics_scope(h, 0, &s) != 0)
		goto out;
	if ((res = db_analytics_agents(h->db, &s.r)) == NULL) {
		db_fail(h->db, h->resp);
		goto out;
	}
	items = json_array();
	for (int i = 0; i < res->n; i++)
		json_array_append_new(items, agent_perf_json(&res->v[i]));
	agent_perf_rows_free(res);
	doc = scope_json(&s);
	json_object_set_new(doc, "items", items);
	resp_json(h->resp, 200, doc);
out:
	analytics_scope_free(&s);
	return 0;
}

static json_t *
insights_peak(struct hctx *h, const struct analytics_scope *s)
{
	struct peak_hours	*res;
	json_t			*a;

	if ((res = db_analytics_peak_hours(h->db, &s->r, s->tz)) == NULL)
		return NULL;
	a = json_array();
	for (int i = 0; i < res->n; i++)
		json_array_append_new(a, json_pack("{s:i,s:I}",
		    "hour", (int)res->v[i].hour,
		    "offered", (json_int_t)res->v[i].offered));
	peak_hours_free(res);
	return a;
}

static json_t *
insights_queues(struct hctx *h, const struct analytics_scope *s)
{
	struct queue_sl_rows	*res;
	const struct queue_sl	*q;
	json_t			*a;
	double			 ans, ab, within;

	if ((res = db_analytics_queue_sl(h->db, &s->r)) == NULL)
		return NULL;
	a = json_array();
	for (int i = 0; i < res->n; i++) {
		q = &res->v[i];
		ans = q->answered;
		ab = q->abandoned;
		within = q->within;
		if (ans + ab == 0 || within / (ans + ab) >= s->sl_target)
			continue;
		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,"
		    "s:f}", "queue_id", q->id, "name", q->name,
		    "offered", (json_int_t)q->offered,
		    "answered", (json_int_t)ans, "abandoned", (json_int_t)ab,
		    "answered_within", (json_int_t)within,
		    "service_level", within / (ans + ab)));
	}
	queue_sl_rows_free(res);
	return a;
}

static json_t *
insights_agents(struct hctx *h, const struct analytics_scope *s)
{
	struct agent_perf_rows	*res;
	json_t			*a;
	double			 offers, missed;

	if ((res = db_analytics_agents(h->db, &s->r)) == NULL)
		return NULL;
	a = json_array();
	for (int i = 0; i < res->n; i++) {
		offers = res->v[i].offers;
		missed = res->v[i].missed;
		if (offers == 0 || missed / offers <= MISS_LIMIT)
			continue;
		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:f}",
		    "agent_id", res->v[i].id, "name", res->v[i].name,
		    "offers", (json_int_t)offers,
		    "missed_offers", (json_int_t)missed,
		    "miss_rate", missed / offers));
	}
	agent_perf_rows_free(res);
	return a;
}

static json_t *
insights_ivr(struct hctx *h, const struct analytics_scope *s)
{
	struct ivr_dropouts	*res;
	json_t			*a;

	if ((res = db_analytics_ivr_dropouts(h->db, &s->r)) == NULL)
		return NULL;
	a = json_array();
	for (int i = 0; i < res->n; i++)
		json_array_append_new(a, json_pack("{s:s?,s:I}",
		    "node", res->v[i].node,
		    "abandoned", (json_int_t)res->v[i].abandoned));
	ivr_dropouts_free(res);
	return a;
}

int
analytics_insights(struct hctx *h)
{
	struct analytics_scope	 s;
	json_t		*doc = NULL, *v;
	static json_t	*(*const parts[])(struct hctx *, const struct analytics_scope *) = {
		insights_peak, insights_queues, insights_agents, insights_ivr,
	};
	static const char *const names[] = {
		"peak_hours", "queues_breaching", "high_miss_agents",
		"ivr_dropouts",
	};

	if (analytics_scope(h, 1, &s) != 0)
		goto out;
	doc = scope_json(&s);
	json_object_set_new(doc, "sl_target", json_real(s.sl_target));
	json_object_set_new(doc, "miss_rate_limit", json_real(MISS_LIMIT));
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if ((v = parts[i](h, &s)) == NULL) {
			db_fail(h->db, h->resp);
			goto out;
		}
		json_object_set_new(doc, names[i], v);
	}
	resp_json(h->resp, 200, doc);
	doc = NULL;
out:
	json_decref(doc);
	analytics_scope_free(&s);
	return 0;
}

/*
 * SQL for analytics: key figures from the hourly rollup and the calls,
 * bucketed in the company's time zone, per agent (with time per state from
 * agent_state_log) and queue, the insights, and the export through a
 * server-side cursor. The definitions are in docs/api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-analytics.h"

/* $1 company, $2 from, $3 to, $4 queue (NULL: every queue). */
#define FROM	"$2::timestamptz"
#define TO	"$3::timestamptz"
#define MISSED_TYPES "('call.offer_missed', 'call.rejected')"

/*
 * The key figures are sums of per-call parts (sql/006_analytics_rollup.sql):
 * whole clean hours come from analytics_hourly, the rest of the range from
 * the calls themselves, through the same functions the rollup is built
 * with. u has one row per part: k (the key the caller groups by), the
 * queue, then the parts (a call's, a missed offer's, a callback's by its
 * request: sql/025_purge.sql). TZ is the time zone buckets are made in (NULL:
 * none), ROLL whether the rollup may be used, KEY(x) the key of a time.
 */
#define PARTS(TZ, ROLL, KEY) PARTS_OF(TZ, ROLL, KEY, "$4::uuid IS NULL")
/* ALL: whether to read the hours' totals over every queue. */
#define PARTS_OF(TZ, ROLL, KEY, ALL) \
	"p AS MATERIALIZED (SELECT * FROM analytics_parts($1, " FROM ", " TO \
	", " TZ ", " ROLL "))," \
	" u AS (SELECT " KEY("x.at") " AS k, x.queue_id, 1::bigint AS offered," \
	" x.answered::bigint AS answered, x.abandoned::bigint AS abandoned," \
	" x.short_abandon::bigint AS short, x.within::bigint AS within," \
	" x.wait_answered AS ws, (x.wait_answered IS NOT NULL)::int::bigint" \
	" AS wn, x.talk AS ts, (x.talk IS NOT NULL)::int::bigint AS tn," \
	" x.hold, x.waited AS longest, 0::bigint AS missed," \
	" 0::bigint AS cbr, 0::bigint AS cbc, 0::bigint AS cbf," \
	" 0::bigint AS cbp, NULL::float8 AS cbts, 0::bigint AS cbtn" \
	" FROM p, LATERAL analytics_calls_in($1, p.lo, p.hi) x" \
	" WHERE NOT p.rollup AND ($4::uuid IS NULL OR x.queue_id = $4::uuid)" \
	" UNION ALL SELECT " KEY("y.at") ", y.queue_id, 0, 0, 0, 0, 0, NULL," \
	" 0, NULL, 0, NULL, NULL, 1, 0, 0, 0, 0, NULL, 0" \
	" FROM p, LATERAL analytics_missed_in($1, p.lo, p.hi) y" \
	" WHERE NOT p.rollup AND ($4::uuid IS NULL OR y.queue_id = $4::uuid)" \
	" UNION ALL SELECT " KEY("z.at") ", z.queue_id, 0, 0, 0, 0, 0, NULL," \
	" 0, NULL, 0, NULL, NULL, 0, 1, z.completed, z.failed, z.pending," \
	" z.ttc, (z.ttc IS NOT NULL)::int" \
	" FROM p, LATERAL analytics_callbacks_in($1, p.lo, p.hi) z" \
	" WHERE NOT p.rollup AND ($4::uuid IS NULL OR z.queue_id = $4::uuid)" \
	" UNION ALL SELECT " KEY("a.hour") ", a.queue_id, a.offered," \
	" a.answered, a.abandoned, a.short_abandons, a.within, a.wait_sum," \
	" a.wait_n, a.talk_sum, a.talk_n, a.hold, a.longest, a.missed," \
	" a.cb_requested, a.cb_completed, a.cb_failed, a.cb_pending," \
	" a.cb_ttc_sum, a.cb_ttc_n" \
	" FROM p JOIN analytics_hourly a ON a.company_id = $1" \
	" AND a.all_queues = (" ALL ") AND a.hour >= p.lo AND a.hour < p.hi" \
	" WHERE p.rollup AND ($4::uuid IS NULL OR a.queue_id = $4::uuid))"
#define NOKEY(x) "0"

/* The KPI columns over u, in analytics_kpi_json's order. */
#define KPI_SUMS \
	"coalesce(sum(u.offered), 0), coalesce(sum(u.answered), 0)," \
	" coalesce(sum(u.abandoned), 0), coalesce(sum(u.short), 0)," \
	" coalesce(sum(u.within), 0)," \
	" sum(u.ws) / nullif(sum(u.wn), 0)::float8," \
	" sum(u.ts) / nullif(sum(u.tn), 0)::float8," \
	" coalesce(sum(u.ts), 0), coalesce(sum(u.hold), 0)," \
	" coalesce(max(u.longest), 0), coalesce(sum(u.missed), 0)," \
	" coalesce(sum(u.cbr), 0), coalesce(sum(u.cbc), 0)," \
	" coalesce(sum(u.cbf), 0), coalesce(sum(u.cbp), 0)," \
	" sum(u.cbts) / nullif(sum(u.cbtn), 0)::float8"
enum {
	KPI_OFFERED, KPI_ANSWERED, KPI_ABANDONED, KPI_SHORT, KPI_WITHIN,
	KPI_ASA, KPI_AHT, KPI_TALK, KPI_HOLD, KPI_LONGEST, KPI_MISSED,
	KPI_CB_REQUESTED, KPI_CB_COMPLETED, KPI_CB_FAILED, KPI_CB_PENDING,
	KPI_CB_TTC,
};

/* Seconds on hold of call c (the definition in analytics_calls_in). */
#define HOLD_OF_C "(SELECT sum(extract(epoch FROM coalesce((SELECT" \
	" min(x.at) FROM call_events x WHERE x.call_id = e.call_id" \
	" AND x.id > e.id AND x.type <> 'call.held'), now()) - e.at))" \
	" FROM call_events e WHERE e.call_id = c.id AND e.type = 'call.held')"

#define UTC_US(x) "to_char((" x ") AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static struct db_stmt st_range = { .sql =
	"SELECT co.timezone, " UTC_US("r.f") ", " UTC_US("r.t") ", "
	SQL_TIME("r.f") ", " SQL_TIME("r.t") ","
	" extract(epoch FROM r.t - r.f),"
	" coalesce((co.settings->>'sl_target')::int, 80)"
	" FROM companies co, LATERAL (SELECT d.f, coalesce($3::timestamptz,"
	"  d.f + interval '1 day') AS t FROM (SELECT coalesce($2::timestamptz,"
	"  date_trunc('day', now() AT TIME ZONE co.timezone)"
	"  AT TIME ZONE co.timezone) AS f) d) r"
	" WHERE co.id = $1" };

/* $5 whether the rollup may be used. */
static struct db_stmt st_overview = { .sql =
	"WITH " PARTS("NULL::text", "$5::bool", NOKEY)
	" SELECT " KPI_SUMS " FROM u" };

/* $5 the interval (hour, day, week), $6 the company's time zone, $7 rollup. */
#define LOCAL(x) "date_trunc($5, (" x ") AT TIME ZONE $6)"
static struct db_stmt st_buckets = { .sql =
	"WITH " PARTS("$6::text", "$7::bool", LOCAL) ","
	" b AS (SELECT g AS s FROM generate_series(" LOCAL(FROM) ","
	"  (" TO " - interval '1 microsecond') AT TIME ZONE $6,"
	"  ('1 ' || $5)::interval) g)"
	" SELECT " SQL_TIME("b.s AT TIME ZONE $6") ", " KPI_SUMS
	" FROM b LEFT JOIN u ON u.k = b.s GROUP BY b.s ORDER BY b.s" };

/*
 * Each agent's state intervals from agent_state_log clipped to
 * [from, min(to, now)): the state at from is the last change before it,
 * the current state runs on to the end.
 */
#define STATE_TIME \
	"sl AS (SELECT x.agent_id, x.state, x.reason, x.at, x.id FROM agents a," \
	"  LATERAL (SELECT l.agent_id, l.state, l.reason, l.at, l.id" \
	"  FROM agent_state_log l WHERE l.agent_id = a.id AND l.at < " FROM \
	"  ORDER BY l.at DESC, l.id DESC LIMIT 1) x WHERE a.company_id = $1" \
	" UNION ALL SELECT l.agent_id, l.state, l.reason, l.at, l.id" \
	"  FROM agent_state_log l WHERE l.company_id = $1" \
	"  AND l.at >= " FROM " AND l.at < " TO ")," \
	" iv AS (SELECT agent_id, state, reason, greatest(at, " FROM ") AS s," \
	"  least(coalesce(lead(at) OVER (PARTITION BY agent_id" \
	"  ORDER BY at, id), 'infinity'), " TO ", now()) AS e FROM sl)," \
	" t AS (SELECT agent_id, state, reason," \
	"  sum(extract(epoch FROM e - s)) AS secs FROM iv WHERE e > s" \
	"  GROUP BY 1, 2, 3)"

static struct db_stmt st_agents = { .sql =
	"WITH " STATE_TIME
	" SELECT a.id, a.name, a.state, " SQL_TIME("a.state_since") ","
	" extract(epoch FROM now() - a.state_since),"
	" s.handled, s.aht, s.talk, s.hold, o.offers, o.missed,"
	" coalesce((SELECT jsonb_object_agg(z.state, z.secs) FROM"
	"  (SELECT t.state, sum(t.secs) AS secs FROM t WHERE t.agent_id = a.id"
	"  GROUP BY 1) z), '{}')::text,"
	" coalesce((SELECT jsonb_agg(jsonb_build_object('reason', t.reason,"
	"  'seconds', t.secs) ORDER BY t.secs DESC, t.reason) FROM t"
	"  WHERE t.agent_id = a.id AND t.state = 'away'), '[]')::text"
	" FROM agents a"
	" LEFT JOIN LATERAL (SELECT count(*) AS handled,"
	"  avg(c.talk_seconds) AS aht, coalesce(sum(c.talk_seconds), 0) AS talk,"
	"  coalesce(sum(" HOLD_OF_C "), 0) AS hold"
	"  FROM calls c"
	"  WHERE c.agent_id = a.id AND c.answered_at >= " FROM
	"  AND c.answered_at < " TO ") s ON true"
	" LEFT JOIN LATERAL (SELECT"
	"  count(*) FILTER (WHERE e.type = 'call.offered') AS offers,"
	"  count(*) FILTER (WHERE e.type IN " MISSED_TYPES ") AS missed"
	"  FROM call_events e WHERE e.company_id = $1"
	"  AND e.type IN ('call.offered', 'call.offer_missed', 'call.rejected')"
	"  AND coalesce(e.agent_id, (e.data->>'agent_id')::uuid) = a.id"
	"  AND e.at >= " FROM " AND e.at < " TO ") o ON true"
	" WHERE a.company_id = $1 ORDER BY a.name, a.id" };

/* $5 the company's time zone, $6 rollup. */
#define HOUR_OF_DAY(x) "extract(hour FROM (" x ") AT TIME ZONE $5)::int"
static struct db_stmt st_peak = { .sql =
	"WITH " PARTS("$5::text", "$6::bool", HOUR_OF_DAY)
	" SELECT u.k, sum(u.offered) FROM u GROUP BY u.k"
	" HAVING sum(u.offered) > 0 ORDER BY 2 DESC, 1 LIMIT 5" };

/* $5 rollup. */
static struct db_stmt st_queue_sl = { .sql =
	"WITH " PARTS_OF("NULL::text", "$5::bool", NOKEY, "false")
	" SELECT q.id, q.name, sum(u.offered), sum(u.answered),"
	" sum(u.abandoned), sum(u.within)"
	" FROM u JOIN queues q ON q.id = u.queue_id"
	" WHERE q.company_id = $1"
	" GROUP BY q.id, q.name HAVING sum(u.offered) > 0"
	" ORDER BY q.name, q.id" };

/* Calls abandoned in a flow, by the last node they reached. */
static struct db_stmt st_ivr_dropouts = { .sql =
	"SELECT n.node, count(*) FROM call_events ab"
	" JOIN LATERAL (SELECT x.data->>'node' AS node FROM call_events x"
	"  WHERE x.call_id = ab.call_id AND x.type = 'ivr.node'"
	"  ORDER BY x.id DESC LIMIT 1) n ON true"
	" WHERE ab.company_id = $1 AND ab.type = 'call.abandoned'"
	" AND ab.from_state = 'ivr' AND ab.at >= " FROM " AND ab.at < " TO
	" GROUP BY n.node ORDER BY 2 DESC, 1" };

const char *const analytics_export_cols[ANALYTICS_EXPORT_NCOLS + 1] = {
	"id", "queue_id", "agent_id", "state", "direction", "media",
	"caller_number", "caller_name", "priority", "disposition",
	"created_at", "enqueued_at", "answered_at", "ended_at",
	"wait_seconds", "talk_seconds", NULL,
};

/* Not a db_stmt: a cursor is declared with PQexecParams. */
static const char export_declare[] =
	"DECLARE analytics_export NO SCROLL CURSOR FOR"
	" SELECT c.id, c.queue_id, c.agent_id, c.state, c.direction, c.media,"
	" c.caller_number, c.caller_name, c.priority, c.disposition, "
	SQL_TIME("c.created_at") ", " SQL_TIME("c.enqueued_at") ", "
	SQL_TIME("c.answered_at") ", " SQL_TIME("c.ended_at") ","
	" c.wait_seconds, c.talk_seconds"
	" FROM calls c WHERE c.company_id = $1"
	" AND c.created_at >= $2::timestamptz AND c.created_at < $3::timestamptz"
	" AND ($4::uuid IS NULL OR c.queue_id = $4::uuid)"
	" ORDER BY c.created_at, c.id LIMIT $5::bigint";

#define ROLL(r)	((r)->raw ? "false" : "true")

static double
num(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 : strtod(PQgetvalue(res, r, c), NULL);
}

enum analytics_range_col {
	RANGE_C_TZ, RANGE_C_FROM, RANGE_C_TO, RANGE_C_FROM_OUT, RANGE_C_TO_OUT,
	RANGE_C_SECONDS, RANGE_C_SL_TARGET,
};

int
db_analytics_range(struct db *db, const char *company, const char *from,
    const char *to, struct analytics_range_row *out)
{
	const char	*p[3] = { company, from, to };
	PGresult	*res;
	int		 found;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_range, 3, p)) == NULL)
		return -1;
	if ((found = PQntuples(res) > 0)) {
		db_copy(out->tz, sizeof out->tz, res, 0, RANGE_C_TZ);
		db_copy(out->from, sizeof out->from, res, 0, RANGE_C_FROM);
		db_copy(out->to, sizeof out->to, res, 0, RANGE_C_TO);
		db_copy(out->from_out, sizeof out->from_out, res, 0,
		    RANGE_C_FROM_OUT);
		db_copy(out->to_out, sizeof out->to_out, res, 0, RANGE_C_TO_OUT);
		out->seconds = strtod(PQgetvalue(res, 0, RANGE_C_SECONDS), NULL);
		out->sl_target = strtod(PQgetvalue(res, 0, RANGE_C_SL_TARGET),
		    NULL);
	}
	PQclear(res);
	return found;
}

/* The KPI columns of row r from column col on, into *k. */
static void
kpi_row(const PGresult *res, int r, int col, struct analytics_kpi *k)
{
#define N(i) num(res, r, col + (i))
	k->offered = N(KPI_OFFERED);
	k->answered = N(KPI_ANSWERED);
	k->abandoned = N(KPI_ABANDONED);
	k->short_abandons = N(KPI_SHORT);
	k->within = N(KPI_WITHIN);
	k->has_asa = !PQgetisnull(res, r, col + KPI_ASA);
	k->asa = N(KPI_ASA);
	k->has_aht = !PQgetisnull(res, r, col + KPI_AHT);
	k->aht = N(KPI_AHT);
	k->talk = N(KPI_TALK);
	k->hold = N(KPI_HOLD);
	k->longest = N(KPI_LONGEST);
	k->missed = N(KPI_MISSED);
	k->cb.requested = N(KPI_CB_REQUESTED);
	k->cb.completed = N(KPI_CB_COMPLETED);
	k->cb.failed = N(KPI_CB_FAILED);
	k->cb.pending = N(KPI_CB_PENDING);
	k->cb.has_ttc = !PQgetisnull(res, r, col + KPI_CB_TTC);
	k->cb.ttc = N(KPI_CB_TTC);
#undef N
}

int
db_analytics_overview(struct db *db, const struct analytics_range *r,
    struct analytics_kpi *out)
{
	const char	*p[5] = { r->company, r->from, r->to, r->queue,
	    ROLL(r) };
	PGresult	*res;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_overview, 5, p)) == NULL)
		return -1;
	if (PQntuples(res) > 0)
		kpi_row(res, 0, 0, out);
	PQclear(res);
	return 0;
}

json_t *
analytics_callbacks_json(const struct analytics_callbacks *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:o}",
	    "requested", (json_int_t)c->requested,
	    "completed", (json_int_t)c->completed,
	    "failed", (json_int_t)c->failed,
	    "pending", (json_int_t)c->pending,
	    "time_to_callback", c->has_ttc ? json_real(c->ttc) : json_null());
}

/* A list's array: n elements, at least one allocated. */
static void *
rows_array(int n, size_t size)
{
	return xcalloc(n > 0 ? (size_t)n : 1, size);
}

struct analytics_buckets *
db_analytics_buckets(struct db *db, const struct analytics_range *r,
    const char *interval, const char *tz)
{
	const char			*p[7] = { r->company, r->from, r->to,
	    r->queue, interval, tz, ROLL(r) };
	struct analytics_buckets	*b;
	PGresult			*res;

	if ((res = db_run(db, &st_buckets, 7, p)) == NULL)
		return NULL;
	b = xcalloc(1, sizeof *b);
	b->n = PQntuples(res);
	b->v = rows_array(b->n, sizeof *b->v);
	for (int i = 0; i < b->n; i++) {
		db_copy(b->v[i].start, sizeof b->v[i].start, res, i, 0);
		kpi_row(res, i, 1, &b->v[i].kpi);
	}
	PQclear(res);
	return b;
}

void
analytics_buckets_free(struct analytics_buckets *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b);
}

enum agent_perf_col {
	PERF_C_ID, PERF_C_NAME, PERF_C_STATE, PERF_C_SINCE, PERF_C_IN_STATE,
	PERF_C_HANDLED, PERF_C_AHT, PERF_C_TALK, PERF_C_HOLD, PERF_C_OFFERS,
	PERF_C_MISSED, PERF_C_STATES, PERF_C_AWAY,
};

struct agent_perf_rows *
db_analytics_agents(struct db *db, const struct analytics_range *r)
{
	const char		*p[3] = { r->company, r->from, r->to };
	struct agent_perf_rows	*rows;
	struct agent_perf	*a;
	PGresult		*res;

	if ((res = db_run(db, &st_agents, 3, p)) == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = rows_array(rows->n, sizeof *rows->v);
	for (int i = 0; i < rows->n; i++) {
		a = &rows->v[i];
		a->id = PQgetvalue(res, i, PERF_C_ID);
		a->name = PQgetvalue(res, i, PERF_C_NAME);
		a->state = PQgetvalue(res, i, PERF_C_STATE);
		a->since = PQgetvalue(res, i, PERF_C_SINCE);
		a->in_state = num(res, i, PERF_C_IN_STATE);
		a->handled = num(res, i, PERF_C_HANDLED);
		a->has_aht = !PQgetisnull(res, i, PERF_C_AHT);
		a->aht = num(res, i, PERF_C_AHT);
		a->talk = num(res, i, PERF_C_TALK);
		a->hold = num(res, i, PERF_C_HOLD);
		a->offers = num(res, i, PERF_C_OFFERS);
		a->missed = num(res, i, PERF_C_MISSED);
		a->states = PQgetvalue(res, i, PERF_C_STATES);
		a->away = PQgetvalue(res, i, PERF_C_AWAY);
	}
	return rows;
}

void
agent_perf_rows_free(struct agent_perf_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

struct peak_hours *
db_analytics_peak_hours(struct db *db, const struct analytics_range *r,
    const char *tz)
{
	const char		*p[6] = { r->company, r->from, r->to, r->queue,
	    tz, ROLL(r) };
	struct peak_hours	*ph;
	PGresult		*res;

	if ((res = db_run(db, &st_peak, 6, p)) == NULL)
		return NULL;
	ph = xcalloc(1, sizeof *ph);
	ph->n = PQntuples(res);
	ph->v = rows_array(ph->n, sizeof *ph->v);
	for (int i = 0; i < ph->n; i++) {
		ph->v[i].hour = num(res, i, 0);
		ph->v[i].offered = num(res, i, 1);
	}
	PQclear(res);
	return ph;
}

void
peak_hours_free(struct peak_hours *ph)
{
	if (ph == NULL)
		return;
	free(ph->v);
	free(ph);
}

enum queue_sl_col {
	QSL_C_ID, QSL_C_NAME, QSL_C_OFFERED, QSL_C_ANSWERED, QSL_C_ABANDONED,
	QSL_C_WITHIN,
};

struct queue_sl_rows *
db_analytics_queue_sl(struct db *db, const struct analytics_range *r)
{
	const char		*p[5] = { r->company, r->from, r->to, r->queue,
	    ROLL(r) };
	struct queue_sl_rows	*rows;
	struct queue_sl		*q;
	PGresult		*res;

	if ((res = db_run(db, &st_queue_sl, 5, p)) == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = rows_array(rows->n, sizeof *rows->v);
	for (int i = 0; i < rows->n; i++) {
		q = &rows->v[i];
		q->id = PQgetvalue(res, i, QSL_C_ID);
		q->name = PQgetvalue(res, i, QSL_C_NAME);
		q->offered = num(res, i, QSL_C_OFFERED);
		q->answered = num(res, i, QSL_C_ANSWERED);
		q->abandoned = num(res, i, QSL_C_ABANDONED);
		q->within = num(res, i, QSL_C_WITHIN);
	}
	return rows;
}

void
queue_sl_rows_free(struct queue_sl_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

struct ivr_dropouts *
db_analytics_ivr_dropouts(struct db *db, const struct analytics_range *r)
{
	const char		*p[3] = { r->company, r->from, r->to };
	struct ivr_dropouts	*rows;
	PGresult		*res;

	if ((res = db_run(db, &st_ivr_dropouts, 3, p)) == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = rows_array(rows->n, sizeof *rows->v);
	for (int i = 0; i < rows->n; i++) {
		rows->v[i].node = db_get(res, i, 0);
		rows->v[i].abandoned = num(res, i, 1);
	}
	return rows;
}

void
ivr_dropouts_free(struct ivr_dropouts *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

static json_t *
ratio(double a, double b)
{
	return b > 0 ? json_real(a / b) : json_null();
}

json_t *
analytics_kpi_json(const struct analytics_kpi *k)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:f,s:f,s:f,"
	    "s:I,s:o}",
	    "offered", (json_int_t)k->offered,
	    "answered", (json_int_t)k->answered,
	    "abandoned", (json_int_t)k->abandoned,
	    "short_abandons", (json_int_t)k->short_abandons,
	    "abandon_rate", ratio(k->abandoned, k->offered),
	    "service_level_answered", ratio(k->within, k->answered),
	    "service_level_offered", ratio(k->within, k->answered +
	    k->abandoned),
	    "asa", k->has_asa ? json_real(k->asa) : json_null(),
	    "aht", k->has_aht ? json_real(k->aht) : json_null(),
	    "talk_seconds", k->talk, "hold_seconds", k->hold,
	    "longest_wait", k->longest,
	    "missed_offers", (json_int_t)k->missed,
	    "callbacks", analytics_callbacks_json(&k->cb));
}

static PGresult *
export_exec(struct db *db, const char *sql, int n, const char *const *p)
{
	return db_query(db, sql, n, p);
}

/* Not a db_stmt either: one statement, run once per export. */
static const char export_count[] =
	"SELECT count(*) FROM (SELECT 1 FROM calls c WHERE c.company_id = $1"
	" AND c.created_at >= $2::timestamptz AND c.created_at < $3::timestamptz"
	" AND ($4::uuid IS NULL OR c.queue_id = $4::uuid) LIMIT $5::bigint) x";

int
db_analytics_export_count(struct db *db, const struct analytics_range *r,
    long *rows)
{
	char		 limit[24];
	const char	*p[5] = { r->company, r->from, r->to, r->queue, limit };
	PGresult	*res;

	snprintf(limit, sizeof limit, "%d", ANALYTICS_EXPORT_MAX + 1);
	if (db_ensure(db) != 0)
		return -1;
	if ((res = export_exec(db, export_count, 5, p)) == NULL)
		return -1;
	*rows = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
db_analytics_export(struct db *db, const struct analytics_range *r,
    int (*fn)(const char *const *, void *), void *arg, long *rows)
{
	char		 limit[24];
	const char	*p[5] = { r->company, r->from, r->to, r->queue, limit };
	const char	*row[ANALYTICS_EXPORT_NCOLS];
	PGresult	*res;
	int		 n, stop;

	*rows = 0;
	snprintf(limit, sizeof limit, "%d", ANALYTICS_EXPORT_MAX + 1);
	if (db_begin(db) != 0)
		return -1;
	if ((res = export_exec(db, export_declare, 5, p)) == NULL)
		goto fail;
	PQclear(res);
	for (;;) {
		res = export_exec(db, "FETCH " DB_ANALYTICS_CHUNK_STR
		    " FROM analytics_export", 0, NULL);
		if (res == NULL)
			goto fail;
		if ((n = PQntuples(res)) == 0) {
			PQclear(res);
			break;
		}
		*rows += n;
		stop = 0;
		for (int i = 0; i < n && !stop; i++) {
			for (int c = 0; c < ANALYTICS_EXPORT_NCOLS; c++)
				row[c] = db_get(res, i, c);
			stop = fn(row, arg) != 0;
		}
		PQclear(res);
		if (stop)
			break;
	}
	/* Read only: ending the transaction closes the cursor. */
	db_rollback(db);
	return 0;
fail:
	db_rollback(db);
	return -1;
}

static struct db_stmt st_rollup = { .sql =
	"SELECT analytics_rollup_refresh($1::int)" };

int
db_analytics_rollup(struct db *db, const char *batch)
{
	const char	*p[1] = { batch };
	PGresult	*res;
	int		 more;

	if ((res = db_run(db, &st_rollup, 1, p)) == NULL)
		return -1;
	more = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return more;
}

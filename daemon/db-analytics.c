/*
 * SQL for analytics: key figures over calls and call_events, bucketed in
 * the company's time zone, per agent and queue, the insights, and the
 * export through a server-side cursor. The definitions are in docs/api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-analytics.h"

/* $1 company, $2 from, $3 to, $4 queue (NULL: every queue). */
#define FROM	"$2::timestamptz"
#define TO	"$3::timestamptz"
#define MISSED_TYPES "('call.offer_missed', 'call.rejected')"

/*
 * Seconds on hold per call: each call.held event up to the call's next
 * event of another type (resumed, ended, transferred...), or now.
 */
#define HOLDS "holds AS (SELECT e.call_id, sum(extract(epoch FROM" \
	" coalesce((SELECT min(x.at) FROM call_events x" \
	"  WHERE x.call_id = e.call_id AND x.id > e.id" \
	"  AND x.type <> 'call.held'), now()) - e.at)) AS hold" \
	" FROM call_events e WHERE e.company_id = $1" \
	" AND e.type = 'call.held' AND e.at >= " FROM " GROUP BY e.call_id)"

/* The calls offered in the range: those that entered a queue in it. */
#define OFFERED "FROM calls c LEFT JOIN queues q ON q.id = c.queue_id" \
	" LEFT JOIN holds h ON h.call_id = c.id" \
	" WHERE c.company_id = $1 AND c.enqueued_at >= " FROM \
	" AND c.enqueued_at < " TO \
	" AND ($4::uuid IS NULL OR c.queue_id = $4::uuid)"

/* Missed and rejected offers in the range. */
#define MISSED "FROM call_events e LEFT JOIN calls c ON c.id = e.call_id" \
	" WHERE e.company_id = $1 AND e.type IN " MISSED_TYPES \
	" AND e.at >= " FROM " AND e.at < " TO \
	" AND ($4::uuid IS NULL OR c.queue_id = $4::uuid)"

/* The KPI columns, in analytics_kpi_json's order (missed offers last). */
#define KPI_COLS \
	"count(c.id) AS offered," \
	" count(c.id) FILTER (WHERE c.answered_at IS NOT NULL) AS answered," \
	" count(c.id) FILTER (WHERE c.state = 'abandoned') AS abandoned," \
	" count(c.id) FILTER (WHERE c.state = 'abandoned'" \
	"  AND c.wait_seconds <= 5) AS short_abandons," \
	" count(c.id) FILTER (WHERE c.answered_at IS NOT NULL" \
	"  AND c.wait_seconds <= coalesce(q.sl_threshold, 20)) AS within," \
	" avg(c.wait_seconds) FILTER (WHERE c.answered_at IS NOT NULL) AS asa," \
	" avg(c.talk_seconds) AS aht," \
	" coalesce(sum(c.talk_seconds), 0) AS talk," \
	" coalesce(sum(h.hold), 0) AS hold," \
	" coalesce(max(coalesce(c.wait_seconds, CASE WHEN c.state IN" \
	"  ('queued', 'offering') THEN extract(epoch FROM now() -" \
	"  c.enqueued_at) END)), 0) AS longest"
#define KPI_NAMES "k.offered, k.answered, k.abandoned, k.short_abandons," \
	" k.within, k.asa, k.aht, k.talk, k.hold, k.longest"
enum {
	KPI_OFFERED, KPI_ANSWERED, KPI_ABANDONED, KPI_SHORT, KPI_WITHIN,
	KPI_ASA, KPI_AHT, KPI_TALK, KPI_HOLD, KPI_LONGEST, KPI_MISSED,
};

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

static struct db_stmt st_overview = { .sql =
	"WITH " HOLDS ", m AS (SELECT count(*) AS n " MISSED ")"
	" SELECT " KPI_COLS ", (SELECT n FROM m) " OFFERED };

/* $5 the interval (hour, day, week), $6 the company's time zone. */
#define LOCAL(x) "date_trunc($5, (" x ") AT TIME ZONE $6)"
static struct db_stmt st_buckets = { .sql =
	"WITH " HOLDS ","
	" b AS (SELECT g AS s FROM generate_series(" LOCAL(FROM) ","
	"  (" TO " - interval '1 microsecond') AT TIME ZONE $6,"
	"  ('1 ' || $5)::interval) g),"
	" m AS (SELECT " LOCAL("e.at") " AS s, count(*) AS n " MISSED
	"  GROUP BY 1),"
	" k AS (SELECT " LOCAL("c.enqueued_at") " AS s, " KPI_COLS " " OFFERED
	"  GROUP BY 1)"
	" SELECT " SQL_TIME("b.s AT TIME ZONE $6") ", " KPI_NAMES ","
	" coalesce(m.n, 0)"
	" FROM b LEFT JOIN k ON k.s = b.s LEFT JOIN m ON m.s = b.s"
	" ORDER BY b.s" };

static struct db_stmt st_agents = { .sql =
	"WITH " HOLDS
	" SELECT a.id, a.name, a.state, " SQL_TIME("a.state_since") ","
	" extract(epoch FROM now() - a.state_since),"
	" s.handled, s.aht, s.talk, s.hold, o.offers, o.missed,"
	" greatest(extract(epoch FROM least(" TO ", now()) - " FROM "), 0)"
	" FROM agents a"
	" LEFT JOIN LATERAL (SELECT count(*) AS handled,"
	"  avg(c.talk_seconds) AS aht, coalesce(sum(c.talk_seconds), 0) AS talk,"
	"  coalesce(sum(h.hold), 0) AS hold"
	"  FROM calls c LEFT JOIN holds h ON h.call_id = c.id"
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

static struct db_stmt st_peak = { .sql =
	"SELECT extract(hour FROM c.enqueued_at AT TIME ZONE $5)::int,"
	" count(*) FROM calls c WHERE c.company_id = $1"
	" AND c.enqueued_at >= " FROM " AND c.enqueued_at < " TO
	" AND ($4::uuid IS NULL OR c.queue_id = $4::uuid)"
	" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5" };

static struct db_stmt st_queue_sl = { .sql =
	"SELECT q.id, q.name, count(c.id),"
	" count(c.id) FILTER (WHERE c.answered_at IS NOT NULL),"
	" count(c.id) FILTER (WHERE c.state = 'abandoned'),"
	" count(c.id) FILTER (WHERE c.answered_at IS NOT NULL"
	"  AND c.wait_seconds <= q.sl_threshold)"
	" FROM queues q JOIN calls c ON c.queue_id = q.id"
	" AND c.enqueued_at >= " FROM " AND c.enqueued_at < " TO
	" WHERE q.company_id = $1 AND ($4::uuid IS NULL OR q.id = $4::uuid)"
	" GROUP BY q.id, q.name ORDER BY q.name, q.id" };

/* Calls abandoned in a flow, by the last node they reached. */
static struct db_stmt st_ivr_dropouts = { .sql =
	"SELECT n.node, count(*) FROM call_events ab"
	" JOIN LATERAL (SELECT x.data->>'node' AS node FROM call_events x"
	"  WHERE x.call_id = ab.call_id AND x.type = 'ivr.node'"
	"  ORDER BY x.id DESC LIMIT 1) n ON true"
	" WHERE ab.company_id = $1 AND ab.type = 'call.abandoned'"
	" AND ab.from_state = 'ivr' AND ab.at >= " FROM " AND ab.at < " TO
	" GROUP BY n.node ORDER BY 2 DESC, 1" };

const char *const analytics_export_cols[] = {
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

PGresult *
db_analytics_range(struct db *db, const char *company, const char *from,
    const char *to)
{
	const char *p[3] = { company, from, to };

	return db_run(db, &st_range, 3, p);
}

PGresult *
db_analytics_overview(struct db *db, const struct analytics_range *r)
{
	const char *p[4] = { r->company, r->from, r->to, r->queue };

	return db_run(db, &st_overview, 4, p);
}

PGresult *
db_analytics_buckets(struct db *db, const struct analytics_range *r,
    const char *interval, const char *tz)
{
	const char *p[6] = { r->company, r->from, r->to, r->queue, interval,
	    tz };

	return db_run(db, &st_buckets, 6, p);
}

PGresult *
db_analytics_agents(struct db *db, const struct analytics_range *r)
{
	const char *p[3] = { r->company, r->from, r->to };

	return db_run(db, &st_agents, 3, p);
}

PGresult *
db_analytics_peak_hours(struct db *db, const struct analytics_range *r,
    const char *tz)
{
	const char *p[5] = { r->company, r->from, r->to, r->queue, tz };

	return db_run(db, &st_peak, 5, p);
}

PGresult *
db_analytics_queue_sl(struct db *db, const struct analytics_range *r)
{
	const char *p[4] = { r->company, r->from, r->to, r->queue };

	return db_run(db, &st_queue_sl, 4, p);
}

PGresult *
db_analytics_ivr_dropouts(struct db *db, const struct analytics_range *r)
{
	const char *p[3] = { r->company, r->from, r->to };

	return db_run(db, &st_ivr_dropouts, 3, p);
}

static json_t *
num_or_null(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_real(strtod(PQgetvalue(res, r, c), NULL));
}

static double
num(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 : strtod(PQgetvalue(res, r, c), NULL);
}

static json_t *
ratio(double a, double b)
{
	return b > 0 ? json_real(a / b) : json_null();
}

json_t *
analytics_kpi_json(const PGresult *res, int r, int col)
{
#define N(k) num(res, r, col + (k))
	double	offered = N(KPI_OFFERED), answered = N(KPI_ANSWERED);
	double	abandoned = N(KPI_ABANDONED), within = N(KPI_WITHIN);

	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:f,s:f,s:f,"
	    "s:I}",
	    "offered", (json_int_t)offered, "answered", (json_int_t)answered,
	    "abandoned", (json_int_t)abandoned,
	    "short_abandons", (json_int_t)N(KPI_SHORT),
	    "abandon_rate", ratio(abandoned, offered),
	    "service_level_answered", ratio(within, answered),
	    "service_level_offered", ratio(within, answered + abandoned),
	    "asa", num_or_null(res, r, col + KPI_ASA),
	    "aht", num_or_null(res, r, col + KPI_AHT),
	    "talk_seconds", N(KPI_TALK), "hold_seconds", N(KPI_HOLD),
	    "longest_wait", N(KPI_LONGEST),
	    "missed_offers", (json_int_t)N(KPI_MISSED));
#undef N
}

static PGresult *
export_exec(struct db *db, const char *sql, int n, const char *const *p)
{
	PGresult	*res;
	ExecStatusType	 st;

	res = PQexecParams(db->conn, sql, n, NULL, p, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		db_classify(db, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
db_analytics_export(struct db *db, const struct analytics_range *r,
    int (*fn)(const PGresult *, void *), void *arg, long *rows)
{
	char		 limit[24];
	const char	*p[5] = { r->company, r->from, r->to, r->queue, limit };
	PGresult	*res;
	int		 n;

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
		if (fn(res, arg) != 0) {
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	/* Read only: ending the transaction closes the cursor. */
	db_rollback(db);
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/*
 * The staffing forecast's one statement: per half hour ahead, the calls
 * that arrived in the queue in the same local half hour 1..4 weeks before
 * (weeks before the queue was created are not counted); the arrivals of
 * the last hour; handle times (talk plus the queue's wrap_up) of the
 * answered calls among those, or of the last day when there are none;
 * the queue's members not offline. Each window is a short range of
 * calls_enqueued_idx; the hourly rollup is not used, its hours are too
 * coarse for half hours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-forecast.h"

#define UTC_US(x) "to_char((" x ") AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define HANDLED "c.answered_at IS NOT NULL AND c.talk_seconds IS NOT NULL"
#define PARTS "count(*) AS n, sum(c.talk_seconds + q.wrap_up) FILTER" \
	" (WHERE " HANDLED ") AS hs, count(*) FILTER (WHERE " HANDLED ") AS hn"
#define IN_QUEUE "c.company_id = q.co AND c.queue_id = q.id"
/* The answered calls of the day before at: read only when needed (CASE). */
#define LAST_DAY "FROM calls c WHERE " IN_QUEUE " AND " HANDLED \
	" AND c.enqueued_at >= t.at - interval '1 day' AND c.enqueued_at < t.at)"

/* $1 scope, $2 queue, $3 at (NULL: now), $4 hours. */
static struct db_stmt st_forecast = { .sql =
	"WITH q AS (SELECT q.id, q.company_id AS co, q.sl_threshold,"
	"  q.wrap_up, q.created_at, co.timezone AS tz,"
	"  coalesce((co.settings->>'sl_target')::int, 80) AS target"
	"  FROM queues q JOIN companies co ON co.id = q.company_id"
	"  WHERE q.id = $2 AND ($1::uuid IS NULL OR q.company_id = $1)),"
	" t AS (SELECT a.at, to_timestamp(floor(extract(epoch FROM a.at)"
	"  / 1800) * 1800) AS s0"
	"  FROM (SELECT coalesce($3::timestamptz, now()) AS at) a),"
	" s AS (SELECT i, t.s0 + i * interval '30 minutes' AS s FROM t,"
	"  generate_series(0, $4::int * 2 - 1) i),"
	" w AS (SELECT s.i, ((s.s AT TIME ZONE q.tz) - k * interval '7 days')"
	"  AT TIME ZONE q.tz AS ws FROM s, q, generate_series(1, 4) k),"
	" h AS (SELECT w.i, sum(x.n) FILTER (WHERE w.ws >= q.created_at) AS n,"
	"  count(*) FILTER (WHERE w.ws >= q.created_at) AS weeks,"
	"  sum(x.hs) AS hs, sum(x.hn) AS hn"
	"  FROM w, q, LATERAL (SELECT " PARTS " FROM calls c WHERE " IN_QUEUE
	"  AND c.enqueued_at >= w.ws"
	"  AND c.enqueued_at < w.ws + interval '30 minutes') x GROUP BY w.i),"
	" r AS (SELECT " PARTS " FROM calls c, q, t WHERE " IN_QUEUE
	"  AND c.enqueued_at >= t.at - interval '1 hour'"
	"  AND c.enqueued_at < t.at),"
	" m AS (SELECT count(*) AS n FROM queue_members qm"
	"  JOIN agents a ON a.id = qm.agent_id, q"
	"  WHERE qm.queue_id = q.id AND a.state <> 'offline')"
	" SELECT " UTC_US("s.s") ", " UTC_US("s.s + interval '30 minutes'") ","
	" coalesce(h.n, 0), h.weeks, " UTC_US("t.at") ", q.sl_threshold,"
	" q.target, r.n,"
	" CASE WHEN (SELECT sum(hn) FROM h) + r.hn > 0"
	"  THEN coalesce((SELECT sum(hs) FROM h), 0) + coalesce(r.hs, 0)"
	"  ELSE (SELECT sum(c.talk_seconds + q.wrap_up) " LAST_DAY " END,"
	" CASE WHEN (SELECT sum(hn) FROM h) + r.hn > 0"
	"  THEN (SELECT sum(hn) FROM h) + r.hn"
	"  ELSE (SELECT count(*) " LAST_DAY " END, m.n"
	" FROM q, t, r, m, s JOIN h ON h.i = s.i ORDER BY s.i" };

enum {
	FC_START, FC_END, FC_HIST, FC_WEEKS, FC_AT, FC_THRESHOLD, FC_TARGET,
	FC_RECENT, FC_HSUM, FC_HN, FC_STAFFED,
};

static double
num(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? 0 : strtod(PQgetvalue(res, r, c), NULL);
}

int
db_forecast(struct db *db, const char *scope, const char *queue,
    const char *at, int hours, struct forecast_rows *out)
{
	char		 h[16];
	const char	*p[4] = { scope, queue, at, h };
	PGresult	*res;
	int		 n;

	memset(out, 0, sizeof out[0]);
	snprintf(h, sizeof h, "%d", hours);
	if ((res = db_run(db, &st_forecast, 4, p)) == NULL)
		return -1;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return 0;
	}
	if (n > (int)(sizeof out->v / sizeof out->v[0]))
		n = (int)(sizeof out->v / sizeof out->v[0]);
	db_copy(out->at, sizeof out->at, res, 0, FC_AT);
	out->sl_threshold = (int)num(res, 0, FC_THRESHOLD);
	out->sl_target = num(res, 0, FC_TARGET) / 100;
	out->recent_calls = num(res, 0, FC_RECENT);
	out->handle_sum = num(res, 0, FC_HSUM);
	out->handle_n = num(res, 0, FC_HN);
	out->staffed = (int)num(res, 0, FC_STAFFED);
	for (int i = 0; i < n; i++) {
		db_copy(out->v[i].start, sizeof out->v[i].start, res, i, FC_START);
		db_copy(out->v[i].end, sizeof out->v[i].end, res, i, FC_END);
		out->v[i].history_calls = num(res, i, FC_HIST);
		out->v[i].history_weeks = (int)num(res, i, FC_WEEKS);
	}
	out->n = n;
	PQclear(res);
	return 1;
}

/*
 * The analytics queries: KPIs over calls and call_events, per company,
 * bucket, agent and queue, and the export cursor. Read only.
 */
#ifndef DB_ANALYTICS_H
#define DB_ANALYTICS_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;

/* The export's cap, in rows (docs/api.md). */
#define ANALYTICS_EXPORT_MAX	1000000
/* Rows fetched from the export cursor at a time. */
#define ANALYTICS_EXPORT_CHUNK	1000
#define DB_ANALYTICS_CHUNK_STR	"1000"

/*
 * A query's scope: company, [from, to) as timestamptz text, queue or NULL;
 * raw: sum every call live instead of using the hourly rollup.
 */
struct analytics_range {
	const char	*company;
	const char	*from;
	const char	*to;
	const char	*queue;
	int		 raw;
};

enum analytics_range_col {
	RANGE_C_TZ, RANGE_C_FROM, RANGE_C_TO, RANGE_C_FROM_OUT, RANGE_C_TO_OUT,
	RANGE_C_SECONDS, RANGE_C_SL_TARGET,
};

/*
 * The company's time zone and the range resolved (from defaults to the
 * start of today in that zone, to to one day later); no row for no such
 * company.
 */
PGresult	*db_analytics_range(struct db *, const char *company,
		    const char *from, const char *to);

/* One row of KPIs (analytics_kpi_json's columns). */
PGresult	*db_analytics_overview(struct db *, const struct analytics_range *);
/* Per bucket: its start (RFC 3339), then the KPI columns. */
PGresult	*db_analytics_buckets(struct db *, const struct analytics_range *,
		    const char *interval, const char *tz);
/* Turn the KPI columns starting at col into an object. */
json_t		*analytics_kpi_json(const PGresult *, int row, int col);

enum agent_perf_col {
	PERF_C_ID, PERF_C_NAME, PERF_C_STATE, PERF_C_SINCE, PERF_C_IN_STATE,
	PERF_C_HANDLED, PERF_C_AHT, PERF_C_TALK, PERF_C_HOLD, PERF_C_OFFERS,
	PERF_C_MISSED, PERF_C_STATES, PERF_C_AWAY,
};
PGresult	*db_analytics_agents(struct db *, const struct analytics_range *);

/* The insights: hour of day and offered; per queue; IVR node and count. */
PGresult	*db_analytics_peak_hours(struct db *,
		    const struct analytics_range *, const char *tz);
enum queue_sl_col {
	QSL_C_ID, QSL_C_NAME, QSL_C_OFFERED, QSL_C_ANSWERED, QSL_C_ABANDONED,
	QSL_C_WITHIN,
};
PGresult	*db_analytics_queue_sl(struct db *, const struct analytics_range *);
PGresult	*db_analytics_ivr_dropouts(struct db *,
		    const struct analytics_range *);

/* The export's columns, in order, also the CSV header. */
extern const char *const analytics_export_cols[];
/*
 * Run the export through a server-side cursor, handing each chunk of at
 * most ANALYTICS_EXPORT_CHUNK rows to fn (which must not keep it). Stops
 * after ANALYTICS_EXPORT_MAX + 1 rows; *rows gets the count. 0, or -1 with
 * db->err set.
 */
/* The export's rows, counted up to ANALYTICS_EXPORT_MAX + 1. */
int		 db_analytics_export_count(struct db *,
		    const struct analytics_range *, long *rows);
int		 db_analytics_export(struct db *, const struct analytics_range *,
		    int (*fn)(const PGresult *, void *), void *arg, long *rows);

#endif

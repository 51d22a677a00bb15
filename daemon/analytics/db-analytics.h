/*
 * The analytics queries: KPIs over calls and call_events, per company,
 * bucket, agent and queue, and the export cursor. Read only.
 */
#ifndef DB_ANALYTICS_H
#define DB_ANALYTICS_H

#include <jansson.h>

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

/*
 * The range resolved in the company's time zone: from defaults to the
 * start of today there, to to one day later.
 */
struct analytics_range_row {
	char	 tz[128];
	char	 from[40], to[40];		/* to the microsecond, for queries */
	char	 from_out[32], to_out[32];	/* RFC 3339, for answers */
	double	 seconds;
	double	 sl_target;			/* the company's, in percent */
};

/* 1 and *out, 0 for no such company, -1 on a database error (db->err). */
int		 db_analytics_range(struct db *, const char *company,
		    const char *from, const char *to,
		    struct analytics_range_row *out);

/*
 * Callbacks requested in the range (by callback_requested_at), and of
 * them: the caller answered the call back (completed), failed after the
 * queue's dials, still waiting or dialing (pending); the mean seconds
 * from the request to the caller's answer (has_ttc 0: none).
 */
struct analytics_callbacks {
	double	 requested, completed, failed, pending;
	double	 ttc;
	int	 has_ttc;
};

/* Key figures over a range; has_asa and has_aht 0 when no call had one. */
struct analytics_kpi {
	double	 offered, answered, abandoned, short_abandons, within;
	double	 asa, aht;
	int	 has_asa, has_aht;
	double	 talk, hold, longest, missed;
	struct analytics_callbacks cb;
};

/* The KPIs as the API's object (with its "callbacks"). */
json_t		*analytics_kpi_json(const struct analytics_kpi *);
json_t		*analytics_callbacks_json(const struct analytics_callbacks *);
/* 0 and *out, or -1 on a database error (db->err). */
int		 db_analytics_overview(struct db *,
		    const struct analytics_range *, struct analytics_kpi *out);

struct analytics_bucket {
	char			 start[32];	/* RFC 3339 */
	struct analytics_kpi	 kpi;
};

struct analytics_buckets {
	int			 n;
	struct analytics_bucket	*v;
};

/*
 * Each list below is NULL on a database error (db->err), else its rows in
 * the query's order; strings point into the list's own result. Each has
 * its free function.
 */
struct analytics_buckets *db_analytics_buckets(struct db *,
		    const struct analytics_range *, const char *interval,
		    const char *tz);
void		 analytics_buckets_free(struct analytics_buckets *);

/* One agent's figures over the range. */
struct agent_perf {
	const char	*id, *name, *state;
	const char	*since;		/* RFC 3339 */
	double		 in_state;	/* seconds in the current state */
	double		 handled;
	double		 aht;
	int		 has_aht;
	double		 talk, hold, offers, missed;
	const char	*states;	/* JSON: state to seconds */
	const char	*away;		/* JSON: [{reason, seconds}] */
};

struct agent_perf_rows {
	int		 n;
	struct agent_perf *v;
	void		*res;
};

struct agent_perf_rows *db_analytics_agents(struct db *,
		    const struct analytics_range *);
void		 agent_perf_rows_free(struct agent_perf_rows *);

/* The insights: offered by hour of day, the busiest first. */
struct peak_hour {
	double	 hour, offered;
};

struct peak_hours {
	int		 n;
	struct peak_hour *v;
};

struct peak_hours *db_analytics_peak_hours(struct db *,
		    const struct analytics_range *, const char *tz);
void		 peak_hours_free(struct peak_hours *);

/* Each queue with calls offered in the range. */
struct queue_sl {
	const char	*id, *name;
	double		 offered, answered, abandoned, within;
};

struct queue_sl_rows {
	int		 n;
	struct queue_sl	*v;
	void		*res;
};

struct queue_sl_rows *db_analytics_queue_sl(struct db *,
		    const struct analytics_range *);
void		 queue_sl_rows_free(struct queue_sl_rows *);

/* Calls abandoned in a flow by the last node they reached (NULL: none). */
struct ivr_dropout {
	const char	*node;
	double		 abandoned;
};

struct ivr_dropouts {
	int		 n;
	struct ivr_dropout *v;
	void		*res;
};

struct ivr_dropouts *db_analytics_ivr_dropouts(struct db *,
		    const struct analytics_range *);
void		 ivr_dropouts_free(struct ivr_dropouts *);

/* The export's columns, in order, also the CSV header. */
extern const char *const analytics_export_cols[];
#define ANALYTICS_EXPORT_NCOLS	16
/* The export's rows, counted up to ANALYTICS_EXPORT_MAX + 1. */
int		 db_analytics_export_count(struct db *,
		    const struct analytics_range *, long *rows);
/*
 * Run the export through a server-side cursor, ANALYTICS_EXPORT_CHUNK rows
 * at a time, handing each row to fn: its ANALYTICS_EXPORT_NCOLS values as
 * text (NULL for SQL NULL), valid during the call only. A non-zero return
 * from fn stops it. *rows gets the rows fetched. 0, or -1 with db->err set.
 */
int		 db_analytics_export(struct db *, const struct analytics_range *,
		    int (*fn)(const char *const *row, void *), void *arg,
		    long *rows);

/*
 * One pass of the hourly rollup, at most batch closed hours per company:
 * 1 when there is more to do at once, 0 when done, -1 on error (db->err).
 */
int		 db_analytics_rollup(struct db *, const char *batch);

#endif

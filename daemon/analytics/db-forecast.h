/*
 * What the staffing forecast reads (db-forecast.c): for one queue, the
 * arrivals of the last hour and of the same half hours on the four weeks
 * before, handle times, the agents signed in, the queue's and company's
 * service-level goal.
 */
#ifndef DB_FORECAST_H
#define DB_FORECAST_H

struct db;

#define FORECAST_WEEKS	4	/* same weekdays looked back on */

/* One half hour ahead, [start, start + 30 min). */
struct forecast_slot_row {
	char	 start[40];		/* RFC 3339 UTC */
	char	 end[40];
	double	 history_calls;		/* arrivals on the weeks counted */
	int	 history_weeks;		/* those on or after the queue began */
};

struct forecast_rows {
	char	 at[40];		/* the forecast's "now", RFC 3339 UTC */
	int	 sl_threshold;		/* seconds */
	double	 sl_target;		/* the company's sl_target, 0..1 */
	double	 recent_calls;		/* arrivals in the hour before at */
	double	 handle_sum;		/* talk + the queue's wrap_up */
	double	 handle_n;		/* answered calls in handle_sum */
	int	 staffed;		/* members not offline, now */
	int	 n;
	struct forecast_slot_row v[48];
};

/*
 * Queue id in scope (NULL: every company) at the time at (NULL: now), for
 * hours (1..24) ahead. 1 found, 0 no such queue, -1 error (db->err).
 */
int	db_forecast(struct db *, const char *scope, const char *queue,
	    const char *at, int hours, struct forecast_rows *);

#endif

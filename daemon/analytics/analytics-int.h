/* What analytics.c and analytics-export.c share: the query's scope. */
#ifndef ANALYTICS_INT_H
#define ANALYTICS_INT_H

#include "db-analytics.h"

struct hctx;

/* The parsed query and the range resolved; analytics_scope_free frees. */
struct analytics_scope {
	struct analytics_range	 r;
	char			*from, *to, *queue;	/* as given */
	struct analytics_range_row range;	/* resolved */
	const char		*tz;
	double			 seconds;
	/*
	 * Queues below this service level (answered within / answered +
	 * abandoned): the company setting sl_target.
	 */
	double			 sl_target;
};

/*
 * Parse ?from=, ?to= and (with queue) ?queue_id=, and resolve the range in
 * the company's time zone. -1 with the response filled (400, 404, 503).
 */
int	analytics_scope(struct hctx *, int queue, struct analytics_scope *);
void	analytics_scope_free(struct analytics_scope *);

/* An RFC 3339 date-time with a real date: 1, else 0. */
int	analytics_time_ok(const char *);

#endif

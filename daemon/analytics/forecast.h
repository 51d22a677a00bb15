/*
 * The staffing forecast's model (forecast-model.c), apart from the
 * database and JSON so the unit tests and the benchmark run it alone:
 * arrivals predicted per half hour, Erlang C on them.
 */
#ifndef FORECAST_H
#define FORECAST_H

#include "db-forecast.h"
#include "erlang.h"

/* The weight of the last hour against the same half hour of past weeks. */
#define FORECAST_RECENT_WEIGHT	0.5
/* No staffing above this is looked for (agents_needed then unknown). */
#define FORECAST_MAX_AGENTS	100000

/* One period's figures: now (the last hour's rate) or a half hour ahead. */
struct forecast_period {
	double		 rate;		/* arrivals per second */
	int		 known;		/* handle time known or no arrivals */
	int		 needed;	/* agents to meet the target; -1 unknown */
	struct erlang	 at_needed;	/* the figures with needed */
	struct erlang	 at_staffed;	/* with the agents signed in now */
};

struct forecast {
	double			aht;	/* seconds; 0 unknown */
	struct forecast_period	now;
	int			n;
	struct forecast_period	slot[48];
};

void	forecast_compute(const struct forecast_rows *, struct forecast *);

#endif

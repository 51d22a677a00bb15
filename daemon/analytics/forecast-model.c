/*
 * The predictor, stated in docs/api.md: a half hour ahead expects
 *   w * (arrivals of the last hour / 2)
 *     + (1 - w) * (mean arrivals in the same local half hour on the
 *                  same weekday of the last 4 weeks)
 * with w = FORECAST_RECENT_WEIGHT; only the last hour when no past week
 * counts (the queue is newer). Now is the last hour's rate alone. The
 * handle time is the mean talk plus the queue's wrap_up of the answered
 * calls read (db-forecast.c). Each period then gets Erlang C: the agents
 * needed for sl_target within sl_threshold, and the figures of the agents
 * signed in now.
 */
#include <string.h>

#include "forecast.h"

static void
period(double rate, double aht, const struct forecast_rows *r,
    struct forecast_period *p)
{
	memset(p, 0, sizeof p[0]);
	p->rate = rate;
	p->needed = -1;
	p->known = rate == 0 || aht > 0;
	if (!p->known)
		return;
	p->needed = erlang_agents(rate, aht, r->sl_threshold, r->sl_target,
	    FORECAST_MAX_AGENTS, &p->at_needed);
	erlang_c(rate, aht, r->staffed, r->sl_threshold, &p->at_staffed);
}

void
forecast_compute(const struct forecast_rows *r, struct forecast *f)
{
	double	recent = r->recent_calls / 3600, w = FORECAST_RECENT_WEIGHT;

	f->aht = r->handle_n > 0 ? r->handle_sum / r->handle_n : 0;
	period(recent, f->aht, r, &f->now);
	f->n = r->n;
	for (int i = 0; i < r->n; i++) {
		const struct forecast_slot_row	*s = &r->v[i];
		double				 rate = recent;

		if (s->history_weeks > 0)
			rate = w * recent + (1 - w) *
			    (s->history_calls / s->history_weeks / 1800);
		period(rate, f->aht, r, &f->slot[i]);
	}
}

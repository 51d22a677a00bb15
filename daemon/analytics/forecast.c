/*
 * GET /api/queues/:id/forecast: the agents a queue needs now and per half
 * hour ahead, and the service level of the agents signed in now
 * (forecast-model.c; the reading in db-forecast.c; docs/api.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "handlers.h"
#include "db.h"
#include "forecast.h"
#include "analytics-int.h"

#define HOURS_DEFAULT	4
#define HOURS_MAX	24

/* A number, or null for what is not finite (an overloaded queue's ASA). */
static json_t *
real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
figures_json(const struct erlang *e)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:b}",
	    "p_wait", real(e->p_wait), "service_level", real(e->service_level),
	    "asa", real(e->asa), "occupancy", real(e->occupancy),
	    "overloaded", e->overloaded);
}

static json_t *
period_json(const struct forecast_period *p, const struct forecast *f)
{
	json_t	*o = json_object();

	json_object_set_new(o, "arrivals_per_hour", json_real(p->rate * 3600));
	json_object_set_new(o, "traffic", p->known ?
	    json_real(p->rate * f->aht) : json_null());
	json_object_set_new(o, "agents_needed", p->needed >= 0 ?
	    json_integer(p->needed) : json_null());
	json_object_set_new(o, "at_needed", p->needed >= 0 ?
	    figures_json(&p->at_needed) : json_null());
	json_object_set_new(o, "staffed", p->known ?
	    figures_json(&p->at_staffed) : json_null());
	return o;
}

/* ?hours= 1..24 into *hours; -1 with the response filled. */
static int
hours_arg(struct hctx *h, int *hours)
{
	char	*v = query_get(h->req->query, "hours"), *end;
	long	 n;

	*hours = HOURS_DEFAULT;
	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > HOURS_MAX) {
		free(v);
		return resp_problem(h->resp, 400, "bad_request",
		    "\"hours\" must be a whole number from 1 to 24");
	}
	free(v);
	*hours = (int)n;
	return 0;
}

int
queues_forecast(struct hctx *h)
{
	struct forecast_rows	*r = NULL;
	struct forecast		*f = NULL;
	json_t			*doc, *slots;
	char			*at;
	int			 hours, found;

	if (hours_arg(h, &hours) != 0)
		return -1;
	at = query_get(h->req->query, "at");
	if (at != NULL && !analytics_time_ok(at)) {
		resp_problem(h->resp, 400, "bad_request", "\"at\" must be an"
		    " RFC 3339 time such as 2026-11-25T10:00:00Z");
		goto out;
	}
	r = calloc(1, sizeof r[0]);
	f = calloc(1, sizeof f[0]);
	if (r == NULL || f == NULL) {
		resp_problem(h->resp, 500, "internal", "out of memory");
		goto out;
	}
	found = db_forecast(h->db, h->req->scope, h->req->params[0], at, hours,
	    r);
	if (found < 0) {
		db_fail(h->db, h->resp);
		goto out;
	}
	if (found == 0) {
		resp_problem(h->resp, 404, "not_found", "no such queue");
		goto out;
	}
	forecast_compute(r, f);
	slots = json_array();
	for (int i = 0; i < f->n; i++) {
		json_t *o = period_json(&f->slot[i], f);

		json_object_set_new(o, "start", json_string(r->v[i].start));
		json_object_set_new(o, "end", json_string(r->v[i].end));
		json_object_set_new(o, "history_weeks",
		    json_integer(r->v[i].history_weeks));
		json_array_append_new(slots, o);
	}
	doc = json_pack("{s:s,s:s,s:s,s:i,s:f,s:o,s:i,s:i,s:o,s:o}",
	    "queue_id", h->req->params[0], "at", r->at, "model", "erlang_c",
	    "sl_threshold", r->sl_threshold, "sl_target", r->sl_target,
	    "aht", f->aht > 0 ? json_real(f->aht) : json_null(),
	    "staffed", r->staffed, "hours", hours,
	    "now", period_json(&f->now, f), "slots", slots);
	json_object_set_new(doc, "recent_calls",
	    json_integer((json_int_t)r->recent_calls));
	resp_json(h->resp, 200, doc);
out:
	free(at);
	free(r);
	free(f);
	return 0;
}

/*
 * Metrics kept by the loop thread, rendered on the loop thread, so no locks.
 * Pool state is read from the worker pool.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "worker.h"
#include "metrics.h"
#include "webhook.h"
#include "cluster.h"
#include "cluster-events.h"

#define MAX_ROUTES	128
#define NSTATUS		600

static const double bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5,
};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

struct route_metrics {
	unsigned long	 by_status[NSTATUS];
	unsigned long	 buckets[NBOUNDS];
	unsigned long	 count;
	double		 sum;
};

static struct route_metrics	 m[MAX_ROUTES + 1];
static long			 open_connections;

void
metrics_request(size_t route, int status, double seconds)
{
	struct route_metrics	*r = &m[route < MAX_ROUTES ? route : MAX_ROUTES];

	if (status >= 0 && status < NSTATUS)
		r->by_status[status]++;
	for (size_t i = 0; i < NBOUNDS; i++) {
		if (seconds <= bounds[i])
			r->buckets[i]++;
	}
	r->count++;
	r->sum += seconds;
}

void
metrics_connection(int delta)
{
	__atomic_add_fetch(&open_connections, delta, __ATOMIC_RELAXED);
}

long
metrics_open_connections(void)
{
	return __atomic_load_n(&open_connections, __ATOMIC_RELAXED);
}

void
metrics_printf(struct metrics_out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < o->cap - o->len)
			break;
		o->cap = o->cap * 2 + (size_t)n;
		o->buf = xrealloc(o->buf, o->cap);
	}
	o->len += (size_t)n;
}

static const char *
route_label(size_t i)
{
	return i < nroutes ? routes[i].pattern : "unmatched";
}

static const char *
route_method(size_t i)
{
	return i < nroutes ? http_method_name(routes[i].method) : "";
}

char *
metrics_render(size_t *len)
{
	struct metrics_out	 o = { xmalloc(8192), 0, 8192 };
	struct pool_stats	 ps;
	size_t			 n = nroutes < MAX_ROUTES ? nroutes : MAX_ROUTES;

	metrics_printf(&o, "# HELP calldocker_http_requests_total HTTP requests"
	    " answered, by route and status.\n"
	    "# TYPE calldocker_http_requests_total counter\n");
	for (size_t i = 0; i <= MAX_ROUTES; i++) {
		if (i >= n && i != MAX_ROUTES)
			continue;
		for (int s = 0; s < NSTATUS; s++) {
			if (m[i].by_status[s] == 0)
				continue;
			metrics_printf(&o, "calldocker_http_requests_total{method=\"%s\","
			    "route=\"%s\",status=\"%d\"} %lu\n", route_method(i),
			    route_label(i), s, m[i].by_status[s]);
		}
	}
	metrics_printf(&o, "# HELP calldocker_http_request_duration_seconds Time"
	    " from request to answer, by route.\n"
	    "# TYPE calldocker_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= MAX_ROUTES; i++) {
		if ((i >= n && i != MAX_ROUTES) || m[i].count == 0)
			continue;
		for (size_t b = 0; b < NBOUNDS; b++)
			metrics_printf(&o, "calldocker_http_request_duration_seconds_bucket"
			    "{method=\"%s\",route=\"%s\",le=\"%g\"} %lu\n",
			    route_method(i), route_label(i), bounds[b],
			    m[i].buckets[b]);
		metrics_printf(&o, "calldocker_http_request_duration_seconds_bucket"
		    "{method=\"%s\",route=\"%s\",le=\"+Inf\"} %lu\n"
		    "calldocker_http_request_duration_seconds_sum"
		    "{method=\"%s\",route=\"%s\"} %.6f\n"
		    "calldocker_http_request_duration_seconds_count"
		    "{method=\"%s\",route=\"%s\"} %lu\n",
		    route_method(i), route_label(i), m[i].count,
		    route_method(i), route_label(i), m[i].sum,
		    route_method(i), route_label(i), m[i].count);
	}
	worker_stats(&ps);
	metrics_printf(&o, "# HELP calldocker_open_connections Open client"
	    " connections.\n# TYPE calldocker_open_connections gauge\n"
	    "calldocker_open_connections %ld\n"
	    "# HELP calldocker_db_pool_connections Database connections by"
	    " state.\n# TYPE calldocker_db_pool_connections gauge\n"
	    "calldocker_db_pool_connections{state=\"configured\"} %d\n"
	    "calldocker_db_pool_connections{state=\"connected\"} %d\n"
	    "calldocker_db_pool_connections{state=\"busy\"} %d\n"
	    "# HELP calldocker_db_pool_queue_length Requests waiting for a"
	    " database worker.\n# TYPE calldocker_db_pool_queue_length gauge\n"
	    "calldocker_db_pool_queue_length %d\n",
	    open_connections, ps.workers, ps.connected, ps.busy, ps.queued);
	metrics_printf(&o, "# HELP calldocker_worker_jobs Jobs on the worker pool"
	    " by type and state.\n# TYPE calldocker_worker_jobs gauge\n");
	for (int i = 0; i < NJOBTYPES; i++)
		metrics_printf(&o, "calldocker_worker_jobs{type=\"%s\",state=\"busy\"}"
		    " %d\ncalldocker_worker_jobs{type=\"%s\",state=\"queued\"}"
		    " %d\n", job_type_name(i), ps.type[i].busy,
		    job_type_name(i), ps.type[i].queued);
	metrics_printf(&o, "# HELP calldocker_worker_cap Workers a job type may"
	    " hold at once.\n# TYPE calldocker_worker_cap gauge\n");
	for (int i = 0; i < NJOBTYPES; i++)
		metrics_printf(&o, "calldocker_worker_cap{type=\"%s\"} %d\n",
		    job_type_name(i), ps.type[i].cap);
	metrics_printf(&o, "# HELP calldocker_webhook_attempts_total Webhook"
	    " delivery attempts finished (any outcome).\n"
	    "# TYPE calldocker_webhook_attempts_total counter\n"
	    "calldocker_webhook_attempts_total %lu\n", outbox_sent());
	cluster_metrics(&o);
	cluster_events_metrics(&o);
	*len = o.len;
	return o.buf;
}

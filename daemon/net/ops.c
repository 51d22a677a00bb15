/* Operational endpoints: liveness, readiness and metrics. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "metrics.h"
#include "db.h"

/* A constant: json_pack() and json_dumps() were an eighth of its cost. */
int
ops_health(struct hctx *h)
{
	static const char	 ok[] = "{\"status\":\"ok\"}";

	h->resp->body = xstrdup(ok);
	h->resp->len = sizeof ok - 1;
	h->resp->status = 200;
	h->resp->content_type = "application/json";
	return 0;
}

int
ops_ready(struct hctx *h)
{
	if (db_ping(h->db) != 0)
		return resp_problem(h->resp, 503, "unavailable",
		    "the database is unreachable");
	resp_json(h->resp, 200, json_pack("{s:s}", "status", "ready"));
	return 0;
}

int
ops_metrics(struct hctx *h)
{
	h->resp->body = metrics_render(&h->resp->len);
	h->resp->status = 200;
	h->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

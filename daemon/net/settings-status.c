/*
 * GET /api/settings/system/status: what an administrator wants on one page
 * (version, uptime, database, worker pools, connections, live queue and
 * call counts, memory, the nodes of the database and who runs the jobs that
 * run once), from the same sources as /ready and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "router.h"
#include "handlers.h"
#include "metrics.h"
#include "worker.h"
#include "server.h"
#include "daemon.h"
#include "db.h"
#include "db-settings.h"
#include "db-cluster.h"
#include "cluster.h"
#include "storage.h"
#include "version.h"

/* A "VmRSS:   1234 kB" line of /proc/self/status, in bytes; -1 if absent. */
static long long
proc_status_kb(const char *name)
{
	FILE		*f = fopen("/proc/self/status", "r");
	char		 line[256];
	size_t		 n = strlen(name);
	long long	 v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10) * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

/* The registry: each node, the leases it holds; and each lease. */
static json_t *
cluster_json(const struct cluster_view *v)
{
	json_t	*nodes = json_array(), *leases = json_array(), *n, *held;

	for (int i = 0; i < v->nnodes; i++) {
		const struct cluster_node_row *r = &v->nodes[i];

		held = json_array();
		for (int j = 0; j < v->nleases; j++)
			if (v->leases[j].live &&
			    strcmp(v->leases[j].node, r->id) == 0)
				json_array_append_new(held,
				    json_string(v->leases[j].name));
		n = json_pack("{s:s,s:s,s:s?,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:b,"
		    "s:b,s:o}", "id", r->id, "name", r->name, "cluster",
		    r->cluster, "host", r->host, "pid", r->pid, "version",
		    r->version, "started_at", r->started_at, "heartbeat_at",
		    r->heartbeat_at, "expires_at", r->expires_at,
		    "lease_seconds", r->lease, "live", r->live, "self",
		    strcmp(r->id, cluster_node_id()) == 0, "leases", held);
		json_array_append_new(nodes, n);
	}
	for (int j = 0; j < v->nleases; j++) {
		const struct cluster_lease_row *l = &v->leases[j];

		json_array_append_new(leases, json_pack("{s:s,s:s?,s:I,s:s,"
		    "s:b}", "name", l->name, "node_id", l->live ? l->node :
		    NULL, "epoch", (json_int_t)l->epoch, "expires_at",
		    l->expires_at, "held", l->live));
	}
	return json_pack("{s:s?,s:s,s:o,s:o}", "cluster",
	    cfg.cluster != NULL && *cfg.cluster != '\0' ? cfg.cluster : NULL,
	    "node_id", cluster_node_id(), "nodes", nodes, "leases", leases);
}

int
settings_status(struct hctx *h)
{
	struct cluster_view	*cv;
	struct pool_stats	 ps;
	struct db_status	 st;
	int			 ok;
	json_t			*db, *doc, *types;
	double			 t0 = now_mono(), ms;

	ok = db_settings_status(h->db, &st) == 0;
	ms = (now_mono() - t0) * 1000;
	if (ok)
		db = json_pack("{s:s,s:f,s:s,s:s}", "status", "ready",
		    "latency_ms", ms, "server_version", st.server_version,
		    "schema_version", st.schema_version);
	else
		db = json_pack("{s:s}", "status", "unreachable");
	worker_stats(&ps);
	doc = json_pack("{s:s,s:s,s:I,s:s,s:o,s:{s:i,s:i,s:i,s:i},s:I}",
	    "status", ok ? "ok" : "degraded",
	    "version", CALLDOCKER_VERSION,
	    "uptime_seconds", (json_int_t)(time(NULL) - server_started),
	    "started_at", server_started_rfc3339(),
	    "database", db,
	    "workers", "configured", ps.workers, "connected", ps.connected,
	    "busy", ps.busy, "queued", ps.queued,
	    "connections", (json_int_t)metrics_open_connections());
	types = json_object();
	for (int i = 0; i < NJOBTYPES; i++)
		json_object_set_new(types, job_type_name(i), json_pack(
		    "{s:i,s:i,s:i}", "cap", ps.type[i].cap, "busy",
		    ps.type[i].busy, "queued", ps.type[i].queued));
	json_object_set_new(json_object_get(doc, "workers"), "by_type", types);
	json_object_set_new(doc, "storage", json_string(storage_name()));
	json_object_set_new(doc, "memory", json_pack("{s:I,s:I}",
	    "rss_bytes", (json_int_t)proc_status_kb("VmRSS"),
	    "peak_rss_bytes", (json_int_t)proc_status_kb("VmHWM")));
	if (ok && (cv = db_cluster_view(h->db)) != NULL) {
		json_object_set_new(doc, "cluster", cluster_json(cv));
		db_cluster_view_free(cv);
	}
	if (ok)
		json_object_set_new(doc, "live", json_pack("{s:I,s:I,s:I,s:I,"
		    "s:{s:I,s:I,s:I,s:I}}",
		    "companies", (json_int_t)st.companies,
		    "queues", (json_int_t)st.queues,
		    "agents", (json_int_t)st.agents,
		    "agents_signed_in", (json_int_t)st.agents_signed_in,
		    "calls", "waiting", (json_int_t)st.waiting,
		    "in_ivr", (json_int_t)st.in_ivr,
		    "talking", (json_int_t)st.talking,
		    "wrap_up", (json_int_t)st.wrap_up));
	resp_json(h->resp, 200, doc);
	return 0;
}

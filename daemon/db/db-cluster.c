/*
 * SQL of the node registry, the leases and the shared signing key
 * (sql/016_cluster.sql), and the little state the other threads ask of
 * them: which leases this process holds, and the revocation barrier.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "db-cluster.h"
#include "db-owner.h"

static const char *const lease_names[NLEASES] = {
	[LEASE_WEBHOOKS] = "webhooks",
	[LEASE_ROLLUP] = "rollup",
	[LEASE_RETENTION] = "retention",
};

/* Monotonic seconds until which each lease is ours; read by any thread. */
static double		 held_until[NLEASES];
static pthread_mutex_t	 held_lock = PTHREAD_MUTEX_INITIALIZER;

static double
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *
db_lease_name(enum db_lease l)
{
	return lease_names[l];
}

int
db_lease_held(enum db_lease l)
{
	double	 until;

	pthread_mutex_lock(&held_lock);
	until = held_until[l];
	pthread_mutex_unlock(&held_lock);
	return mono() < until;
}

static void
lease_set(enum db_lease l, double until)
{
	pthread_mutex_lock(&held_lock);
	held_until[l] = until;
	pthread_mutex_unlock(&held_lock);
}

/*
 * Ours if it is free, run out, or ours already; the epoch grows unless we
 * renew a lease we still held.
 */
static struct db_stmt st_lease = { .sql =
	"INSERT INTO cluster_leases AS l (name, node_id, epoch, acquired_at,"
	" expires_at) VALUES ($1, $2, 1, now(),"
	" now() + make_interval(secs => $3::int))"
	" ON CONFLICT (name) DO UPDATE SET"
	" epoch = CASE WHEN l.node_id = $2 AND l.expires_at > now()"
	"  THEN l.epoch ELSE l.epoch + 1 END,"
	" acquired_at = CASE WHEN l.node_id = $2 AND l.expires_at > now()"
	"  THEN l.acquired_at ELSE now() END,"
	" node_id = $2, expires_at = now() + make_interval(secs => $3::int)"
	" WHERE l.node_id IS NULL OR l.node_id = $2 OR l.expires_at <= now()"
	" RETURNING epoch" };
static struct db_stmt st_release = { .sql = "UPDATE cluster_leases"
	" SET expires_at = now() WHERE node_id = $1 AND expires_at > now()" };

int
db_lease_take(struct db *db, enum db_lease l, const char *node, int secs,
    long long *epoch)
{
	char		 s[16];
	const char	*p[3] = { lease_names[l], node, s };
	double		 t0 = mono();
	PGresult	*res;
	int		 held;

	snprintf(s, sizeof s, "%d", secs);
	if ((res = db_run(db, &st_lease, 3, p)) == NULL)
		return -1;
	held = PQntuples(res) == 1;
	if (held && epoch != NULL)
		*epoch = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	/* Counted from before the statement: never past the row's expiry. */
	lease_set(l, held ? t0 + secs : 0);
	return held;
}

void
db_lease_assume(void)
{
	for (int l = 0; l < NLEASES; l++)
		lease_set(l, 1e300);
}

int
db_lease_release(struct db *db, const char *node)
{
	const char	*p[1] = { node };
	PGresult	*res;

	for (int l = 0; l < NLEASES; l++)
		lease_set(l, 0);
	if ((res = db_run(db, &st_release, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Daemons registering at once take turns. */
static struct db_stmt st_lock = { .sql =
	"SELECT pg_advisory_xact_lock(hashtext('calldocker.cluster'))" };
static struct db_stmt st_ours = { .sql = "SELECT id, pid FROM cluster_nodes"
	" WHERE host_key = $1 AND id <> $2" };
static struct db_stmt st_forget = { .sql =
	"WITH n AS (DELETE FROM cluster_nodes WHERE id = $1 RETURNING id)"
	" UPDATE cluster_leases SET expires_at = now()"
	" WHERE node_id IN (SELECT id FROM n) AND expires_at > now()" };
static struct db_stmt st_conflict = { .sql = "SELECT id, name,"
	" coalesce(cluster, ''), host, pid FROM cluster_nodes"
	" WHERE expires_at > now() AND id <> $1"
	" AND ($2::text IS NULL OR cluster IS DISTINCT FROM $2)"
	" ORDER BY heartbeat_at DESC LIMIT 1" };
static struct db_stmt st_insert = { .sql = "INSERT INTO cluster_nodes"
	" (id, name, cluster, host, host_key, pid, version, lease_seconds,"
	" expires_at, url) VALUES (coalesce(nullif($1, '')::uuid,"
	" gen_random_uuid()), $2, $3, $4, $5, $6::int, $7, $8::int,"
	" now() + make_interval(secs => $8::int), $9)"
	" ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(),"
	" expires_at = EXCLUDED.expires_at RETURNING id" };
/* Stopped long ago: no longer worth showing. */
static struct db_stmt st_prune = { .sql = "DELETE FROM cluster_nodes"
	" WHERE expires_at < now() - interval '1 hour'" };

/* Forget the nodes of our host whose process is gone. */
static int
forget_dead(struct db *db, const struct cluster_self *self)
{
	const char	*p[2] = { self->host_key, self->id[0] ? self->id :
			    "00000000-0000-0000-0000-000000000000" };
	PGresult	*res, *r2;
	int		 pid;

	if ((res = db_run(db, &st_ours, 2, p)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		pid = atoi(PQgetvalue(res, i, 1));
		if (pid <= 0 || pid == self->pid ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		p[0] = PQgetvalue(res, i, 0);
		if ((r2 = db_run(db, &st_forget, 1, p)) == NULL) {
			PQclear(res);
			return -1;
		}
		PQclear(r2);
		log_info("cluster: forgot node %s (pid %d of this host is gone)",
		    p[0], pid);
	}
	PQclear(res);
	return 0;
}

int
db_cluster_register(struct db *db, struct cluster_self *self, int replace,
    struct cluster_conflict *out)
{
	char		 pid[16], lease[16];
	const char	*p[9] = { self->id, self->name, self->cluster,
			    self->host, self->host_key, pid, self->version,
			    lease, self->url };
	const char	*q[2] = { self->id[0] ? self->id :
			    "00000000-0000-0000-0000-000000000000",
			    self->cluster };
	PGresult	*res = NULL;
	int		 rc = -1;

	snprintf(pid, sizeof pid, "%d", self->pid);
	snprintf(lease, sizeof lease, "%d", self->lease);
	if (db_begin(db) != 0)
		return -1;
	if ((res = db_run(db, &st_lock, 0, NULL)) == NULL)
		goto out;
	PQclear(res);
	if ((res = db_run(db, &st_prune, 0, NULL)) == NULL)
		goto out;
	PQclear(res);
	res = NULL;
	if (forget_dead(db, self) != 0)
		goto out;
	if (!replace) {
		if ((res = db_run(db, &st_conflict, 2, q)) == NULL)
			goto out;
		if (PQntuples(res) == 1) {
			db_copy(out->id, sizeof out->id, res, 0, 0);
			db_copy(out->name, sizeof out->name, res, 0, 1);
			db_copy(out->cluster, sizeof out->cluster, res, 0, 2);
			db_copy(out->host, sizeof out->host, res, 0, 3);
			out->pid = atoi(PQgetvalue(res, 0, 4));
			rc = 1;
			goto out;
		}
		PQclear(res);
	}
	if ((res = db_run(db, &st_insert, 9, p)) == NULL)
		goto out;
	db_copy(self->id, sizeof self->id, res, 0, 0);
	PQclear(res);
	res = NULL;
	if (db_commit(db) != 0)
		return -1;
	return 0;
out:
	PQclear(res);
	db_rollback(db);
	return rc;
}

static struct db_stmt st_beat = { .sql = "UPDATE cluster_nodes SET"
	" heartbeat_at = now(), expires_at = now() + make_interval(secs =>"
	" lease_seconds) WHERE id = $1" };
static struct db_stmt st_leave = { .sql =
	"DELETE FROM cluster_nodes WHERE id = $1" };
static struct db_stmt st_peers = { .sql = "SELECT id FROM cluster_nodes"
	" WHERE expires_at > now() AND id <> $1 AND cluster = $2" };

int
db_cluster_heartbeat(struct db *db, const struct cluster_self *self)
{
	const char	*p[1] = { self->id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_beat, 1, p)) == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n > 0;
}

int
db_cluster_leave(struct db *db, const char *id)
{
	const char	*p[1] = { id };
	PGresult	*res;

	if ((res = db_run(db, &st_leave, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_cluster_tidy(struct db *db, const struct cluster_self *self)
{
	return forget_dead(db, self);
}

static struct db_stmt st_key_put = { .sql = "INSERT INTO cluster_keys"
	" (cluster, jwt_key) VALUES ($1, decode($2, 'hex'))"
	" ON CONFLICT (cluster) DO NOTHING" };
static struct db_stmt st_key_get = { .sql = "SELECT encode(jwt_key, 'hex')"
	" FROM cluster_keys WHERE cluster = $1" };

int
db_cluster_key(struct db *db, const char *cluster, const unsigned char *fresh,
    size_t len, unsigned char *key, size_t max)
{
	char		*hex = xmalloc(len * 2 + 1);
	const char	*p[2] = { cluster, hex }, *v;
	PGresult	*res;
	size_t		 n;
	unsigned	 b;
	int		 rc = -1;

	for (size_t i = 0; i < len; i++)
		snprintf(hex + i * 2, 3, "%02x", fresh[i]);
	res = db_run(db, &st_key_put, 2, p);
	explicit_bzero(hex, len * 2);
	free(hex);
	if (res == NULL)
		return -1;
	PQclear(res);
	if ((res = db_run(db, &st_key_get, 1, p)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		v = PQgetvalue(res, 0, 0);
		n = strlen(v) / 2;
		if (n <= max) {
			for (size_t i = 0; i < n; i++) {
				sscanf(v + i * 2, "%2x", &b);
				key[i] = (unsigned char)b;
			}
			rc = (int)n;
		}
		explicit_bzero(PQgetvalue(res, 0, 0), strlen(v));
	}
	PQclear(res);
	return rc;
}

static struct db_stmt st_nodes = { .sql = "SELECT id, name, cluster, host,"
	" pid, version, lease_seconds, " SQL_TIME("started_at") ", "
	SQL_TIME("heartbeat_at") ", " SQL_TIME("expires_at") ","
	" expires_at > now(), extract(epoch FROM heartbeat_at)"
	" FROM cluster_nodes ORDER BY started_at, id" };
static struct db_stmt st_leases = { .sql = "SELECT name,"
	" coalesce(node_id::text, ''), epoch, " SQL_TIME("expires_at") ","
	" expires_at > now() FROM cluster_leases ORDER BY name" };

struct cluster_view *
db_cluster_view(struct db *db)
{
	struct cluster_view	*v;
	PGresult		*res;

	if ((res = db_run(db, &st_nodes, 0, NULL)) == NULL)
		return NULL;
	v = xcalloc(1, sizeof *v);
	v->nnodes = PQntuples(res);
	v->nodes = xcalloc((size_t)v->nnodes + 1, sizeof *v->nodes);
	for (int r = 0; r < v->nnodes; r++) {
		struct cluster_node_row	*n = &v->nodes[r];

		db_copy(n->id, sizeof n->id, res, r, 0);
		n->name = db_dup(res, r, 1);
		n->cluster = db_dup(res, r, 2);
		n->host = db_dup(res, r, 3);
		n->pid = atoi(PQgetvalue(res, r, 4));
		n->version = db_dup(res, r, 5);
		n->lease = atoi(PQgetvalue(res, r, 6));
		db_copy(n->started_at, sizeof n->started_at, res, r, 7);
		db_copy(n->heartbeat_at, sizeof n->heartbeat_at, res, r, 8);
		db_copy(n->expires_at, sizeof n->expires_at, res, r, 9);
		n->live = *PQgetvalue(res, r, 10) == 't';
		n->heartbeat_epoch = strtod(PQgetvalue(res, r, 11), NULL);
	}
	PQclear(res);
	if ((res = db_run(db, &st_leases, 0, NULL)) == NULL) {
		db_cluster_view_free(v);
		return NULL;
	}
	v->nleases = PQntuples(res);
	v->leases = xcalloc((size_t)v->nleases + 1, sizeof *v->leases);
	for (int r = 0; r < v->nleases; r++) {
		struct cluster_lease_row	*l = &v->leases[r];

		db_copy(l->name, sizeof l->name, res, r, 0);
		db_copy(l->node, sizeof l->node, res, r, 1);
		l->epoch = strtoll(PQgetvalue(res, r, 2), NULL, 10);
		db_copy(l->expires_at, sizeof l->expires_at, res, r, 3);
		l->live = *PQgetvalue(res, r, 4) == 't';
	}
	PQclear(res);
	return v;
}

void
db_cluster_view_free(struct cluster_view *v)
{
	if (v == NULL)
		return;
	for (int i = 0; i < v->nnodes; i++) {
		free(v->nodes[i].name);
		free(v->nodes[i].cluster);
		free(v->nodes[i].host);
		free(v->nodes[i].version);
	}
	free(v->nodes);
	free(v->leases);
	free(v);
}

/* The revocation barrier. */
#define MAX_PEERS	256

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	char		 self[UUID_LEN + 1];
	char		*cluster;	/* NULL: off */
	unsigned long	 seq;
	int		 n;
	struct peer {
		char		 id[UUID_LEN + 1];
		unsigned long	 acked;
	}		 peer[MAX_PEERS];	/* the last answer of each */
} bar = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread int	 revoked_here;

static struct db_stmt st_notify = { .sql =
	"SELECT pg_notify('" CLUSTER_CH_BARRIER "', $1)" };

void
db_cluster_revoked(void)
{
	revoked_here = 1;
}

void
db_cluster_barrier_init(const char *self, const char *cluster)
{
	pthread_condattr_t	 attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&bar.cond, &attr);
	pthread_condattr_destroy(&attr);
	strlcpy_(bar.self, self, sizeof bar.self);
	bar.cluster = cluster != NULL ? xstrdup(cluster) : NULL;
}

/* The slot of peer id, made if need be. Under the lock. */
static struct peer *
peer_slot(const char *id)
{
	for (int i = 0; i < bar.n; i++)
		if (strcmp(bar.peer[i].id, id) == 0)
			return &bar.peer[i];
	if (bar.n == MAX_PEERS)
		bar.n = 0;	/* a churn of that many: start over */
	strlcpy_(bar.peer[bar.n].id, id, sizeof bar.peer[bar.n].id);
	bar.peer[bar.n].acked = 0;
	return &bar.peer[bar.n++];
}

void
db_cluster_acked(const char *peer, unsigned long seq)
{
	struct peer	*p;

	pthread_mutex_lock(&bar.lock);
	p = peer_slot(peer);
	if (seq > p->acked)
		p->acked = seq;
	pthread_cond_broadcast(&bar.cond);
	pthread_mutex_unlock(&bar.lock);
}

/* Has every one of ids answered seq? Under the lock. */
static int
all_acked(const struct db_ids *ids, unsigned long seq)
{
	for (int i = 0; i < ids->n; i++)
		if (peer_slot(ids->v[i])->acked < seq)
			return 0;
	return 1;
}

int
db_cluster_barrier(struct db *db, double timeout)
{
	char		 payload[UUID_LEN + 32];
	const char	*p[2] = { bar.self, bar.cluster };
	struct db_ids	*ids;
	struct timespec	 ts;
	unsigned long	 seq;
	PGresult	*res;
	double		 t0;
	int		 rc = 0, n;

	if (!revoked_here)
		return 1;
	revoked_here = 0;
	if (bar.cluster == NULL)
		return 1;
	/* The live peers now: each listened before it registered. */
	if ((ids = db_ids_take(db_run(db, &st_peers, 2, p), 0)) == NULL)
		return -1;
	if (ids->n == 0) {
		db_ids_free(ids);
		return 1;
	}
	pthread_mutex_lock(&bar.lock);
	seq = ++bar.seq;
	pthread_mutex_unlock(&bar.lock);
	snprintf(payload, sizeof payload, "%s %lu", bar.self, seq);
	p[0] = payload;
	t0 = mono();
	/* After the revocation's commit: the peers see it first. */
	if ((res = db_run(db, &st_notify, 1, p)) == NULL) {
		db_ids_free(ids);
		return -1;
	}
	PQclear(res);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)timeout;
	ts.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&bar.lock);
	while (!all_acked(ids, seq)) {
		if (pthread_cond_timedwait(&bar.cond, &bar.lock, &ts) != 0) {
			rc = all_acked(ids, seq) ? 0 : -1;
			break;
		}
	}
	pthread_mutex_unlock(&bar.lock);
	n = ids->n;
	db_ids_free(ids);
	if (rc != 0)
		log_warn("cluster: a peer did not confirm a revocation in"
		    " %.0f s", timeout);
	else
		log_debug("cluster: %d peers confirmed a revocation in %.3f ms",
		    n, (mono() - t0) * 1000);
	return rc;
}

static struct db_stmt st_registry = { .sql =
	"SELECT to_regclass('cluster_nodes') IS NOT NULL" };
static struct db_stmt st_ack = { .sql =
	"SELECT pg_notify('" CLUSTER_CH_ACK "', $1)" };

int
db_cluster_registry(struct db *db)
{
	PGresult	*res;
	int		 yes;

	if ((res = db_run(db, &st_registry, 0, NULL)) == NULL)
		return -1;
	yes = *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	return yes;
}

int
db_cluster_listen(struct db *db)
{
	static const char *const listens[] = { "LISTEN " CLUSTER_CH_REVOKE,
	    "LISTEN " CLUSTER_CH_BARRIER, "LISTEN " CLUSTER_CH_ACK,
	    "LISTEN " CLUSTER_CH_CONFIG };
	PGresult	*res;

	for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
		if ((res = db_query(db, listens[i], 0, NULL)) == NULL)
			return -1;
		PQclear(res);
	}
	return 0;
}

int
db_cluster_ack(struct db *db, const char *payload)
{
	const char *p[1] = { payload };

	return db_exec(db, &st_ack, 1, p);
}

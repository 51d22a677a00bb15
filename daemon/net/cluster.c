/*
 * The node thread (cluster.h, docs/cluster.md). One connection of its
 * own: in a cluster it LISTENs before the node registers, so any node that
 * sees this one in the registry knows it hears every revocation from then
 * on; what came before, it loads. Every lease/3 seconds it renews its row
 * and its leases and reads the registry for /metrics. Notifications: a
 * revocation is remembered (revoke.c; the WebSocket sweep closes that
 * session's sockets), a peer's barrier is answered once everything before
 * it is applied, and the answers to our own barriers wake the waiting
 * worker (db-cluster.c).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "log.h"
#include "version.h"
#include "daemon.h"
#include "db.h"
#include "db-cluster.h"
#include "revoke.h"
#include "db-owner.h"
#include "owner.h"
#include "hub.h"
#include "cluster.h"
#include "cluster-events.h"
#include "db-cluster-events.h"
#include "metrics.h"
#include "db-presence.h"
#include "op.h"
#include "worker.h"
#include "ws.h"

static struct {
	pthread_t		 thread;
	int			 running;
	int			 stop;
	int			 poked;		/* a company round now */
	int			 wake[2];	/* a byte: stop or poked */
	struct db		 db;
	struct cluster_self	 self;
	char			 host[256], host_key[512], url[300];
	int			 registry;	/* the tables exist */
	int			 want[NLEASES];	/* jobs this node runs */
	PGconn			*listening;	/* LISTENed on, by its pid */
	int			 listening_pid;
	pthread_mutex_t		 lock;		/* view */
	struct cluster_view	*view;
	double			 beat_ok;	/* before the last heartbeat
						   that renewed our row */
	int			 sweep_due;	/* look for dead nodes' sockets */
	int			 sweeping;	/* atomic: a sweep runs */
	int			 sweep_again;	/* atomic: it left work */
} node = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };


const char *
cluster_node_id(void)
{
	return node.self.id;
}

/* Boot id and pid namespace: where a pid means the same process. */
static void
host_key(char *buf, size_t len)
{
	char	 boot[64] = "", ns[64] = "";
	ssize_t	 n;
	int	 fd;

	if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY |
	    O_CLOEXEC)) >= 0) {
		if ((n = read(fd, boot, sizeof boot - 1)) > 0)
			boot[n] = '\0';
		close(fd);
		boot[strcspn(boot, "\n")] = '\0';
	}
	if ((n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1)) > 0)
		ns[n] = '\0';
	snprintf(buf, len, "%s %s %s", node.host, boot, ns);
}

/* LISTEN on this connection (once per backend), then catch up. */
static int
listen_all(void)
{
	if (node.self.cluster == NULL || node.db.conn == NULL ||
	    (node.db.conn == node.listening &&
	    PQbackendPID(node.db.conn) == node.listening_pid))
		return 0;
	node.listening = NULL;
	if (db_cluster_listen(&node.db) != 0 ||
	    db_cluster_events_listen(&node.db) != 0)
		return -1;
	node.listening = node.db.conn;
	node.listening_pid = PQbackendPID(node.db.conn);
	/* What was revoked while nobody listened here. */
	return revoke_load(&node.db);
}

static void
on_notify(const PGnotify *n)
{
	char		 a[UUID_LEN + 1], b[UUID_LEN + 1], payload[128];
	unsigned long	 seq;
	long long	 until;

	if (strcmp(n->relname, CLUSTER_CH_REVOKE) == 0) {
		if (sscanf(n->extra, "%36s %lld", a, &until) == 2)
			revoke_add(a, (time_t)until);
	} else if (strcmp(n->relname, CLUSTER_CH_BARRIER) == 0) {
		/* Everything before it is applied: say so. */
		if (sscanf(n->extra, "%36s %lu", a, &seq) != 2 ||
		    strcmp(a, node.self.id) == 0)
			return;
		snprintf(payload, sizeof payload, "%s %lu %s", a, seq,
		    node.self.id);
		(void)db_cluster_ack(&node.db, payload);
	} else if (strcmp(n->relname, CLUSTER_CH_CONFIG) == 0) {
		hub_changed(n->extra);
	} else if (strcmp(n->relname, CLUSTER_CH_ACK) == 0) {
		if (sscanf(n->extra, "%36s %lu %36s", a, &seq, b) == 3 &&
		    strcmp(a, node.self.id) == 0)
			db_cluster_acked(b, seq);
	} else if (strcmp(n->relname, CLUSTER_CH_EVENTS) == 0) {
		/*
		 * Other nodes' events, on this thread (cluster-events.c
		 * says why): a parse and a queue append each.
		 */
		cluster_events_received(&node.db, n->extra);
	}
}

static void
drain(void)
{
	PGnotify	*n;
	PGconn		*c = node.listening;

	if (c == NULL || c != node.db.conn)
		return;
	if (PQconsumeInput(c) != 1) {
		/* Broken: the next beat connects and listens again. */
		node.listening = NULL;
		db_drop(&node.db);
		return;
	}
	/* A handler's query may have dropped the connection: check each time. */
	while (c == node.db.conn && (n = PQnotifies(c)) != NULL) {
		on_notify(n);
		PQfreemem(n);
	}
}

/*
 * Renew this node's row: 1, 0 it was gone, -1 error. A renewal late by
 * half the registration's lease (a freeze, the database away) may come
 * after the row ran out and the owners took this node's sockets for gone:
 * the loop writes every agent's count again.
 */
static int
heartbeat(void)
{
	double	 t0 = now_mono();
	int	 r;

	if ((r = db_cluster_heartbeat(&node.db, &node.self)) < 0)
		return r;
	if (owner_clustered() && (r == 0 || (node.beat_ok > 0 &&
	    t0 - node.beat_ok > node.self.lease / 2.0)))
		ws_presence_resync();
	if (r == 1)
		node.beat_ok = t0;
	return r;
}

/* A node was live at the last reading and is not now (died, left). */
static int
lost_node(const struct cluster_view *old, const struct cluster_view *new)
{
	for (int i = 0; old != NULL && i < old->nnodes; i++) {
		int	 found = 0;

		if (!old->nodes[i].live)
			continue;
		for (int k = 0; k < new->nnodes; k++) {
			if (strcmp(old->nodes[i].id, new->nodes[k].id) == 0)
				found = new->nodes[k].live;
		}
		if (!found)
			return 1;
	}
	return 0;
}

/*
 * On a worker: the sockets of dead nodes (registration gone or run out),
 * for the companies this node owns: agent.disconnected for each agent who
 * had one open there (run only if she has none on a live node), then the
 * rows go. Rows whose action failed stay for the next sweep.
 */
static void
presence_sweep(struct db *db, void *arg)
{
	struct presence_rows	*r;
	struct op_out		 out;
	const char		*cur = "";
	int			 acted = 0, ok = 1;

	(void)arg;
	if ((r = db_presence_dead(db)) == NULL) {
		__atomic_store_n(&node.sweep_again, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&node.sweeping, 0, __ATOMIC_RELEASE);
		return;
	}
	for (int i = 0; i < r->n; i++) {
		struct presence_row *p = &r->v[i];
		struct actor a = { .kind = ACTOR_SYSTEM, .company = p->company };
		struct op_in in = { .agent = p->agent };

		if (owner_of(p->company, NULL) != OWNER_SELF)
			continue;
		/* Her rows are together: one action for them all. */
		if (strcmp(cur, p->agent) != 0) {
			cur = p->agent;
			acted = 0;
			ok = 1;
		}
		if (p->sockets > 0 && !acted) {
			log_info("cluster: agent %s had a socket on node %s,"
			    " which is gone", p->agent, p->node);
			op_run(db, OP_AGENT_DISCONNECTED, &a, &in, &out);
			ok = out.status < 400 || (out.code != NULL &&
			    strcmp(out.code, "not_found") == 0);
			op_out_free(&out);
			acted = 1;
		}
		if (!ok || db_presence_drop(db, p->agent, p->node) != 0)
			__atomic_store_n(&node.sweep_again, 1,
			    __ATOMIC_RELEASE);
	}
	if (r->n >= 1000)
		__atomic_store_n(&node.sweep_again, 1, __ATOMIC_RELEASE);
	presence_rows_free(r);
	__atomic_store_n(&node.sweeping, 0, __ATOMIC_RELEASE);
}

/* Start a sweep when one is due and none runs. */
static void
sweep(void)
{
	if (!owner_clustered() || !node.sweep_due ||
	    __atomic_load_n(&node.sweeping, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&node.sweeping, 1, __ATOMIC_RELEASE);
	if (worker_call(JOB_FAST, presence_sweep, NULL) != 0) {
		__atomic_store_n(&node.sweeping, 0, __ATOMIC_RELEASE);
		return;
	}
	node.sweep_due = 0;
}

/* Renew the row and the leases; read the registry. */
static void
beat(void)
{
	struct cluster_conflict	 conflict;
	struct cluster_view	*v;
	int			 r;

	if (db_ensure(&node.db) != 0)
		return;
	if (listen_all() != 0)
		return;
	if ((r = heartbeat()) < 0)
		return;
	if (r == 0) {
		log_warn("cluster: this node's registration was gone;"
		    " registering again");
		if (db_cluster_register(&node.db, &node.self, 1, &conflict) != 0)
			return;
	}
	db_cluster_tidy(&node.db, &node.self);
	if (owner_clustered())
		(void)db_owner_prune(&node.db);
	for (int l = 0; l < NLEASES; l++) {
		if (node.want[l] && db_lease_take(&node.db, l, node.self.id,
		    node.self.lease, NULL) < 0)
			return;
	}
	/* A sweep that left work goes again at the next beat. */
	if (__atomic_exchange_n(&node.sweep_again, 0, __ATOMIC_ACQ_REL))
		node.sweep_due = 1;
	if ((v = db_cluster_view(&node.db)) != NULL) {
		if (lost_node(node.view, v))
			node.sweep_due = 1;
		pthread_mutex_lock(&node.lock);
		db_cluster_view_free(node.view);
		node.view = v;
		pthread_mutex_unlock(&node.lock);
	}
}

/* owner_wait(): a round now, for a company that has no owner yet. */
static void
poke(void)
{
	__atomic_store_n(&node.poked, 1, __ATOMIC_RELEASE);
	if (node.wake[1] >= 0 && write(node.wake[1], "p", 1) < 0 &&
	    errno != EAGAIN)
		log_warn("cluster: cannot wake the node thread");
}

/*
 * A company round (db-owner.h): heartbeat, take and renew the companies
 * that hash here, give back the others, and publish every company's owner
 * in the directory (owner.h). The hub builds what became ours.
 */
static void
round_companies(void)
{
	const struct db_ids	*take;
	struct owner_lease	*v;
	double			 t0 = now_mono();
	int			 n;

	if (db_ensure(&node.db) != 0 || listen_all() != 0 ||
	    heartbeat() < 0 ||
	    (take = owner_want(&node.db, node.self.id, node.self.cluster,
	    cfg.company_lease)) == NULL ||
	    db_owner_round(&node.db, node.self.id, take, cfg.company_lease, t0,
	    &v, &n) != 0)
		return;
	/* A company newly ours: the sockets of its dead nodes are ours to
	 * act for now. */
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i].node, node.self.id) == 0 &&
		    owner_epoch(v[i].company) != v[i].epoch)
			node.sweep_due = 1;
	}
	owner_update(v, n);
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i].node, node.self.id) == 0)
			hub_owned(v[i].company, v[i].epoch);
	}
	free(v);
}

static void *
node_main(void *arg)
{
	struct pollfd	 pfd[2];
	double		 next = 0, nextco = 0, now, wake;
	double		 period = node.self.lease / 3.0;
	int		 ms;

	while (!__atomic_load_n(&node.stop, __ATOMIC_ACQUIRE)) {
		if ((now = now_mono()) >= next) {
			beat();
			next = now + period;
		}
		if (__atomic_exchange_n(&node.poked, 0, __ATOMIC_ACQ_REL))
			nextco = 0;
		if (owner_clustered() && (now = now_mono()) >= nextco) {
			round_companies();
			nextco = now + cfg.company_renew;
		}
		drain();
		sweep();
		wake = owner_clustered() && nextco < next ? nextco : next;
		ms = (int)((wake - now_mono()) * 1000) + 1;
		pfd[0].fd = node.wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = node.listening != NULL && node.db.conn != NULL ?
		    PQsocket(node.db.conn) : -1;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, ms > 0 ? ms : 0) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			char	buf[64];

			while (read(node.wake[0], buf, sizeof buf) > 0)
				;
		}
	}
	return NULL;
}

/*
 * Where peers reach this node: cluster_url, else http(s)://HOST:PORT of
 * --listen (the host name for a wildcard address); NULL without TCP.
 */
static const char *
self_url(char *buf, size_t len)
{
	char	 host[256];
	int	 port;

	if (cfg.cluster_url != NULL && *cfg.cluster_url != '\0')
		return cfg.cluster_url;
	if (cfg.listen == NULL || *cfg.listen == '\0' ||
	    config_listen_split(cfg.listen, host, sizeof host, &port) != 0)
		return NULL;
	if (*host == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0)
		strlcpy_(host, node.host, sizeof host);
	snprintf(buf, len, "%s://%s%s%s:%d", cfg.tls_cert != NULL ? "https" :
	    "http", strchr(host, ':') != NULL ? "[" : "", host,
	    strchr(host, ':') != NULL ? "]" : "", port);
	return buf;
}

/* The one line calldockerd prints before it exits 3. */
static char *
refusal(const struct cluster_conflict *c)
{
	const char	*mine = node.self.cluster;

	if (c->cluster[0] == '\0')
		return xasprintf("node \"%s\" (pid %d on %s) serves this"
		    " database alone; refusing to split it: stop it, or start"
		    " both with the same --cluster NAME", c->name, c->pid,
		    c->host);
	if (mine == NULL)
		return xasprintf("node \"%s\" (pid %d on %s) serves this"
		    " database as cluster \"%s\"; refusing to split it: start"
		    " with --cluster %s to join it", c->name, c->pid, c->host,
		    c->cluster, c->cluster);
	return xasprintf("node \"%s\" (pid %d on %s) serves this database as"
	    " cluster \"%s\", not \"%s\"; refusing to split it", c->name,
	    c->pid, c->host, c->cluster, mine);
}

int
cluster_start(char **cause)
{
	struct cluster_conflict	 conflict;
	int			 r;

	if (gethostname(node.host, sizeof node.host) != 0)
		strlcpy_(node.host, "localhost", sizeof node.host);
	node.host[sizeof node.host - 1] = '\0';
	host_key(node.host_key, sizeof node.host_key);
	node.self.name = cfg.node_name != NULL && *cfg.node_name != '\0' ?
	    cfg.node_name : node.host;
	node.self.cluster = cfg.cluster != NULL && *cfg.cluster != '\0' ?
	    cfg.cluster : NULL;
	node.self.host = node.host;
	node.self.host_key = node.host_key;
	node.self.pid = (int)getpid();
	node.self.version = CALLDOCKER_VERSION;
	node.self.lease = cfg.cluster_lease;
	node.self.url = self_url(node.url, sizeof node.url);
	node.want[LEASE_WEBHOOKS] = 1;
	node.want[LEASE_ROLLUP] = cfg.analytics_rollup_interval > 0;
	node.want[LEASE_RETENTION] = cfg.recording_sweep_interval > 0;
	db_init(&node.db, cfg.database_url);

	if ((node.registry = db_cluster_registry(&node.db)) < 0) {
		*cause = xstrdup("cluster: cannot read the node registry");
		return -1;
	}
	if (!node.registry) {
		log_warn("cluster: no node registry (migrations held back):"
		    " running as the only node");
		db_lease_assume();
		return 0;
	}
	if (listen_all() != 0) {
		*cause = xstrdup("cluster: cannot listen for revocations");
		return -1;
	}
	r = db_cluster_register(&node.db, &node.self, 0, &conflict);
	if (r == 1) {
		*cause = refusal(&conflict);
		db_close(&node.db);
		return 1;
	}
	if (r != 0) {
		*cause = xstrdup("cluster: cannot register this node");
		return -1;
	}
	db_cluster_barrier_init(node.self.id, node.self.cluster);
	/* In a named cluster, companies are owned through leases. */
	if (node.self.cluster != NULL) {
		node.sweep_due = 1;
		owner_init(node.self.id, 1, 2 * cfg.company_lease +
		    cfg.company_renew, poke);
		if (node.self.url == NULL)
			log_warn("cluster: no TCP listener and no cluster_url:"
			    " the other nodes cannot forward to this one");
	}
	log_info("cluster: node %s (\"%s\") registered%s%s%s", node.self.id,
	    node.self.name, node.self.cluster ? " in cluster \"" : "",
	    node.self.cluster ? node.self.cluster : "",
	    node.self.cluster ? "\"" : "");
	beat();
	if (pipe2(node.wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    pthread_create(&node.thread, NULL, node_main, NULL) != 0) {
		*cause = xstrdup("cannot start the cluster node thread");
		return -1;
	}
	/* Before anything publishes (the hub starts after us). */
	if (cluster_events_start(cause) != 0)
		return -1;
	node.running = 1;
	return 0;
}

void
cluster_stop(void)
{
	if (!node.running)
		return;
	/* What this node published until now still goes out. */
	cluster_events_stop();
	__atomic_store_n(&node.stop, 1, __ATOMIC_RELEASE);
	if (write(node.wake[1], "x", 1) < 0)
		log_warn("cluster: cannot wake the node thread");
	pthread_join(node.thread, NULL);
	node.running = 0;
	if (db_ensure(&node.db) == 0) {
		db_lease_release(&node.db, node.self.id);
		/* A stop ends nothing: its sockets' rows go unanswered. */
		if (owner_clustered())
			(void)db_presence_leave(&node.db, node.self.id);
		db_cluster_leave(&node.db, node.self.id);
	}
	db_close(&node.db);
	close(node.wake[0]);
	close(node.wake[1]);
	db_cluster_view_free(node.view);
	node.view = NULL;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static const char *
label(char *buf, size_t len, const char *s)
{
	size_t	 j = 0;

	for (; s != NULL && *s != '\0' && j + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			buf[j++] = '\\';
			buf[j++] = *s;
		} else if (*s == '\n') {
			buf[j++] = '\\';
			buf[j++] = 'n';
		} else
			buf[j++] = *s;
	}
	buf[j] = '\0';
	return buf;
}

void
cluster_metrics(struct metrics_out *o)
{
	char		 name[256], clu[256];

	pthread_mutex_lock(&node.lock);
	if (node.view == NULL) {
		pthread_mutex_unlock(&node.lock);
		return;
	}
	metrics_printf(o, "# HELP calldocker_cluster_node_heartbeat_timestamp_seconds"
	    " Last heartbeat of each registered node.\n"
	    "# TYPE calldocker_cluster_node_heartbeat_timestamp_seconds gauge\n");
	for (int i = 0; i < node.view->nnodes; i++) {
		const struct cluster_node_row *n = &node.view->nodes[i];

		metrics_printf(o, "calldocker_cluster_node_heartbeat_timestamp_seconds"
		    "{node=\"%s\",name=\"%s\",cluster=\"%s\",self=\"%d\"} %.3f\n",
		    n->id, label(name, sizeof name, n->name),
		    label(clu, sizeof clu, n->cluster),
		    strcmp(n->id, node.self.id) == 0, n->heartbeat_epoch);
	}
	metrics_printf(o, "# HELP calldocker_cluster_node_live 1 while a node's"
	    " heartbeat is fresh.\n# TYPE calldocker_cluster_node_live gauge\n");
	for (int i = 0; i < node.view->nnodes; i++)
		metrics_printf(o, "calldocker_cluster_node_live{node=\"%s\"} %d\n",
		    node.view->nodes[i].id, node.view->nodes[i].live);
	metrics_printf(o, "# HELP calldocker_cluster_lease_epoch The epoch of each"
	    " lease, by its holder.\n"
	    "# TYPE calldocker_cluster_lease_epoch gauge\n");
	for (int i = 0; i < node.view->nleases; i++)
		metrics_printf(o, "calldocker_cluster_lease_epoch{lease=\"%s\","
		    "node=\"%s\",held=\"%d\"} %lld\n", node.view->leases[i].name,
		    node.view->leases[i].node, node.view->leases[i].live,
		    node.view->leases[i].epoch);
	pthread_mutex_unlock(&node.lock);
}

/*
 * Several daemons on one database (docs/cluster.md): the node registry,
 * the leases of the jobs that run on one node only, the shared signing key,
 * and what the rest of the daemon asks of them (is a lease held here, wait
 * until every peer has seen a revocation).
 */
#ifndef DB_CLUSTER_H
#define DB_CLUSTER_H

#include <time.h>

#include "db.h"

/* Jobs that run on one node of a database at a time. */
enum db_lease {
	LEASE_WEBHOOKS,		/* the outbox's deliveries */
	LEASE_ROLLUP,		/* the analytics rollup */
	LEASE_RETENTION,	/* expired recordings deleted */
	NLEASES
};

const char	*db_lease_name(enum db_lease);
/* Does this process hold the lease now? Any thread. */
int		 db_lease_held(enum db_lease);
/*
 * Take or renew lease l for node for secs seconds: 1 held (its epoch in
 * *epoch), 0 another node holds it, -1 error. Records the answer for
 * db_lease_held().
 */
int		 db_lease_take(struct db *, enum db_lease, const char *node,
		    int secs, long long *epoch);
/* Let the leases of node go (it stops); forget them here. */
int		 db_lease_release(struct db *, const char *node);
/* No registry (migrations held back): hold every lease, as one node. */
void		 db_lease_assume(void);

/* This process as a node. */
struct cluster_self {
	char		 id[UUID_LEN + 1];	/* filled by db_cluster_register() */
	const char	*name;
	const char	*cluster;		/* NULL: none */
	const char	*host;
	const char	*host_key;	/* boot id and pid namespace */
	int		 pid;
	const char	*version;
	int		 lease;		/* seconds */
	const char	*url;		/* where peers reach it; NULL none */
};

/* A live node that refuses us: who it is, for the message. */
struct cluster_conflict {
	char	 id[UUID_LEN + 1];
	char	 name[128];
	char	 cluster[128];		/* "" for none */
	char	 host[128];
	int	 pid;
};

/*
 * Register self under a lock, after forgetting the dead nodes of our own
 * host: 0 registered, 1 refused (a live node of another cluster, or any
 * live node when self has none; *out says which), -1 error. With replace,
 * self's row (gone while we were away) is written again without the check.
 */
int		 db_cluster_register(struct db *, struct cluster_self *,
		    int replace, struct cluster_conflict *out);
/* Renew self's row: 1 done, 0 the row is gone, -1 error. */
int		 db_cluster_heartbeat(struct db *, const struct cluster_self *);
/* Delete self's row (a clean stop). */
int		 db_cluster_leave(struct db *, const char *id);
/* Forget the nodes of our host whose process is gone. */
int		 db_cluster_tidy(struct db *, const struct cluster_self *);

/*
 * The signing key of cluster: fresh (len bytes) if none is stored yet,
 * else the stored one, into key[max]; its length, -1 on error.
 */
int		 db_cluster_key(struct db *, const char *cluster,
		    const unsigned char *fresh, size_t len, unsigned char *key,
		    size_t max);

/* The registry and the leases as they are, for status and metrics. */
struct cluster_node_row {
	char	 id[UUID_LEN + 1];
	char	*name;
	char	*cluster;	/* NULL: none */
	char	*host;
	int	 pid;
	char	*version;
	int	 lease;
	char	 started_at[32], heartbeat_at[32], expires_at[32];
	double	 heartbeat_epoch;	/* seconds since 1970 */
	int	 live;
};

struct cluster_lease_row {
	char		 name[48];	/* "webhooks", "company:<id>" */
	char		 node[UUID_LEN + 1];	/* "" none */
	long long	 epoch;
	char		 expires_at[32];
	int		 live;		/* held until a time to come */
};

struct cluster_view {
	int				 nnodes, nleases;
	struct cluster_node_row		*nodes;
	struct cluster_lease_row	*leases;
};

/* NULL on error; caller frees with db_cluster_view_free(). */
struct cluster_view	*db_cluster_view(struct db *);
void			 db_cluster_view_free(struct cluster_view *);

/*
 * Revocations reach the other nodes through NOTIFY; the request that made
 * one waits, after its transaction, until every live peer has applied it
 * (a barrier through the same channel, which delivers in commit order).
 * The worker calls db_cluster_barrier() after each request; it does
 * nothing unless a revocation was made on this thread since the last call,
 * or this node is in no cluster.
 */
void		 db_cluster_revoked(void);
/* This node's id and cluster (NULL: no barrier); before the workers. */
void		 db_cluster_barrier_init(const char *self, const char *cluster);
/* The listener saw peer answer barrier seq. */
void		 db_cluster_acked(const char *peer, unsigned long seq);
/* 1 if the database has the node registry (migration 016), 0 if not,
 * -1 on error. */
int		 db_cluster_registry(struct db *);
/* LISTEN on the cluster's channels on db's connection: 0 or -1. */
int		 db_cluster_listen(struct db *);
/* Acknowledge a barrier (payload "node seq self"): 0 or -1. */
int		 db_cluster_ack(struct db *, const char *payload);
/* 0 every peer answered, 1 nothing to wait for, -1 timed out or error. */
int		 db_cluster_barrier(struct db *, double timeout);

#define CLUSTER_CH_REVOKE	"calldocker_revoke"
#define CLUSTER_CH_BARRIER	"calldocker_barrier"
#define CLUSTER_CH_ACK		"calldocker_ack"

#endif

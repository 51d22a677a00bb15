/*
 * This daemon as a node of a cluster (docs/cluster.md): it registers at
 * start, refusing to serve a database another node serves unless both
 * name the same cluster, then one thread with one connection heartbeats,
 * holds the leases of the jobs that run once, and listens for the other
 * nodes' revocations and events (cluster-events.h, whose publisher
 * cluster_start() and cluster_stop() start and stop).
 */
#ifndef CLUSTER_H
#define CLUSTER_H

#include <stddef.h>

/* calldockerd's exit status when another node serves the database. */
#define CLUSTER_EXIT_REFUSED	3

/*
 * Register and start the node thread: 0, 1 refused (*cause is the one
 * line to print), -1 error (*cause). The caller frees *cause.
 */
int		 cluster_start(char **cause);
/* Leave the registry and let the leases go. */
void		 cluster_stop(void);
/* This node's id ("" before cluster_start()). */
const char	*cluster_node_id(void);
/*
 * The nodes and leases as the node thread last read them, in the
 * Prometheus text format, added to o.
 */
struct metrics_out;
void		 cluster_metrics(struct metrics_out *o);

#endif

/*
 * Cross-node events (docs/cluster.md): in a cluster, every event this node
 * publishes also goes to the other nodes (a publisher thread, NOTIFY on
 * calldocker_events), and theirs reach this node's EVENTS_CLUSTER
 * subscribers (live/events.h) in the order each origin published them.
 * A node of no cluster does none of it.
 */
#ifndef CLUSTER_EVENTS_H
#define CLUSTER_EVENTS_H

#include <jansson.h>

#include "db.h"

/* By cluster_start() once the node is registered, before anything
 * publishes: 0, or -1 (*cause, the caller frees). Nothing in a node of
 * no cluster. */
int	cluster_events_start(char **cause);
/* Send what is queued (if the database answers), then stop; by
 * cluster_stop(). */
void	cluster_events_stop(void);
/* A payload on calldocker_events, on the node thread (db: its
 * connection, for an event stored in cluster_events). */
void	cluster_events_received(struct db *, const char *payload);
/*
 * A message for the other nodes only, delivered to their EVENTS_CLUSTER
 * subscribers as an event of type (a signaling relay, ws-signal.c): this
 * node's subscribers never see it. Any thread; -1 in a node of no cluster.
 */
int	cluster_events_send(const char *company, const char *type,
	    const json_t *data);
/* The counters, in the Prometheus text format. */
struct metrics_out;
void	cluster_events_metrics(struct metrics_out *);

#endif

/*
 * SQL of cross-node events (sql/019_cluster_events.sql): a batch of NOTIFY
 * payloads sent in one transaction, and the table that carries an event
 * too big for a payload.
 */
#ifndef DB_CLUSTER_EVENTS_H
#define DB_CLUSTER_EVENTS_H

#include "db.h"

#define CLUSTER_CH_EVENTS	"calldocker_events"

/* LISTEN on CLUSTER_CH_EVENTS on db's connection: 0 or -1. */
int	 db_cluster_events_listen(struct db *);
/* NOTIFY each of the n payloads, in order, in one transaction: 0 or -1. */
int	 db_cluster_events_send(struct db *, const char *const *payloads,
	    int n);
/* Store an oversize event of node: its id, or -1. */
long long db_cluster_events_put(struct db *, const char *node,
	    const char *body);
/* The stored event id into *body (caller frees): 1, 0 gone, -1 error. */
int	 db_cluster_events_get(struct db *, long long id, char **body);
/* Delete stored events older than a minute: 0 or -1. */
int	 db_cluster_events_prune(struct db *);

#endif

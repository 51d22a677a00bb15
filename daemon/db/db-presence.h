/*
 * SQL of agent_presence (sql/026): each node's count of its open sockets
 * per agent, so that an agent's last socket over all the nodes of a
 * cluster is known, and a dead node's sockets are found (docs/cluster.md,
 * "Agents' sockets over the nodes").
 */
#ifndef DB_PRESENCE_H
#define DB_PRESENCE_H

#include "db.h"

/*
 * node has sockets open of each of the n agents (counts[i]), as of its
 * write seq: each row kept unless a later write of node's is there
 * already, and only while node is registered. all: node has no socket of
 * any other agent (its other rows set to 0). 0 or -1.
 */
int	db_presence_put(struct db *, const char *node, int n,
	    const char (*agents)[UUID_LEN + 1], const int *counts,
	    long long seq, int all);
/* The agent's open sockets on live nodes (registration not run out);
 * -1 on error. */
int	db_presence_live(struct db *, const char *agent);

/* Rows of nodes that are dead (registration gone or run out). */
struct presence_row {
	char	company[UUID_LEN + 1];
	char	agent[UUID_LEN + 1];
	char	node[UUID_LEN + 1];
	int	sockets;
};
struct presence_rows {
	int			 n;
	struct presence_row	*v;
};
struct presence_rows *db_presence_dead(struct db *);
void	presence_rows_free(struct presence_rows *);
/* Forget the agent's row of node if node is still dead: 0 or -1. */
int	db_presence_drop(struct db *, const char *agent, const char *node);
/* A node leaving cleanly: its rows go with it. 0 or -1. */
int	db_presence_leave(struct db *, const char *node);

#endif

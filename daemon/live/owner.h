/*
 * Who owns each company's live state (docs/cluster.md, "Company
 * ownership"). In a cluster a company's queues, agents' states and waiting
 * and ringing calls are owned by one node at a time, through the lease
 * "company:<id>" in PostgreSQL; its epoch grows each time the lease passes
 * on, and every decision of the owner is fenced by it (hub-tx.c).
 *
 * The directory below is the node thread's last reading of the leases
 * (net/cluster.c writes it each renewal; everyone else only reads): the
 * hub asks it whether it may decide for a company, the operations layer
 * whom to forward to. A daemon in no cluster owns every company.
 */
#ifndef OWNER_H
#define OWNER_H

#include "db-owner.h"	/* struct owner_lease */

enum owner_kind {
	OWNER_SELF,		/* this node: decide here */
	OWNER_PEER,		/* another live node: forward to it */
	OWNER_NONE,		/* nobody right now: the lease is moving, or
				   its holder died and it has not run out */
};

struct owner_peer {
	char		 node[UUID_LEN + 1];
	char		 url[256];	/* where the node takes requests */
	long long	 epoch;
};

/*
 * At start: this node's id; clustered 0 makes every company ours. wait:
 * how long owner_wait() callers wait at most for a company with no owner;
 * poke asks the node thread for a round now (any thread, no lock held).
 */
void		 owner_init(const char *self, int clustered, double wait,
		    void (*poke)(void));
/* The configured wait. */
double		 owner_wait_secs(void);
int		 owner_clustered(void);
const char	*owner_self(void);
/* Who owns company now; peer (may be NULL) filled for OWNER_PEER and, for
 * OWNER_SELF, with our epoch. */
enum owner_kind	 owner_of(const char *company, struct owner_peer *peer);
/* Our epoch of company while our lease runs, else 0 (no cluster: 1). */
long long	 owner_epoch(const char *company);
/* The same, waiting up to secs for an owner to appear. */
enum owner_kind	 owner_wait(const char *company, double secs,
		    struct owner_peer *peer);
/* The node thread: the leases it read, replacing the directory. */
void		 owner_update(const struct owner_lease *, int n);
/*
 * The node thread: the companies self takes, those that hash to it among
 * the live nodes of cluster (a heartbeat younger than window seconds);
 * ranked again only when the nodes or the companies changed. Owned by
 * owner.c; NULL on a database error.
 */
const struct db_ids *owner_want(struct db *, const char *self,
		    const char *cluster, double window);
/* The node thread: forget our lease of company now (we let it go). */
void		 owner_forget(const char *company);
/* Other live nodes of the cluster as the node thread last saw them (any
 * thread; 0 in a node of no cluster). */
int		 owner_peers(void);

#endif

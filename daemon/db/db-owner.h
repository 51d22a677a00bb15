/*
 * SQL of company ownership (docs/cluster.md, "Company ownership"): the
 * leases named "company:<id>" in cluster_leases (sql/016), taken by the
 * node the company hashes to among the live nodes of its cluster (the
 * hashing is live/owner.c's), and the fence every decision of the owner
 * runs inside its transaction.
 */
#ifndef DB_OWNER_H
#define DB_OWNER_H

#include "db.h"

/* One company lease as read. */
struct owner_lease {
	char		 company[UUID_LEN + 1];
	char		 node[UUID_LEN + 1];	/* "" none */
	char		 url[256];		/* its node's; "" unknown */
	long long	 epoch;
	double		 until;			/* monotonic seconds while it
						   holds (owner.h) */
};

/* The live nodes of cluster (a heartbeat younger than window seconds),
 * by id; NULL on error. */
struct db_ids	*db_owner_nodes(struct db *, const char *cluster, double window);
/* A fingerprint of the set of companies (their count and a sum of hashes)
 * into buf: 0 or -1. */
int		 db_owner_print(struct db *, char *buf, size_t len);
/* Every company, by id; NULL on error. */
struct db_ids	*db_owner_companies(struct db *);
/*
 * One round of node self, t0 the monotonic time before it: take or renew
 * the leases of the companies in take (owner_want()) for lease seconds,
 * give back the others self holds, then read every company lease into
 * *out (*n). 0, or -1 on a database error (nothing read).
 */
int	db_owner_round(struct db *, const char *self, const struct db_ids *take,
	    double lease, double t0, struct owner_lease **out, int *n);
/*
 * Inside a transaction, right before its COMMIT: is company's lease still
 * self's at epoch? 0 yes (the company's advisory lock is then held shared
 * until the COMMIT, and a take needs it exclusive, so the lease cannot
 * pass on first: the next owner's rebuild sees what this transaction
 * wrote), -1 no (db->err DB_FENCED) or on error.
 */
int	db_owner_fence(struct db *, const char *company, const char *self,
	    long long epoch);
/* Forget the leases of deleted companies: 0 or -1. */
int	db_owner_prune(struct db *);
/* Tell company's owner its configuration changed (NOTIFY at commit). */
int	db_owner_changed(struct db *, const char *company);

#define CLUSTER_CH_CONFIG	"calldocker_config"

#endif

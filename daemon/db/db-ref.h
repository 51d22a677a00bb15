/*
 * The reference resolver: every id a request names in its body (an agent
 * to assign, a queue to transfer to, a queue's members, an overflow queue)
 * is looked up in the company the request acts in, and only there. An id
 * of another company is answered exactly like one that does not exist.
 */
#ifndef DB_REF_H
#define DB_REF_H

#include "db.h"

enum ref_kind {
	REF_AGENT,
	REF_QUEUE,
	REF_USER,
	REF_IVR_FLOW,
	REF_FILE,
	REF__COUNT
};

/* "agent", "queue", ...: for messages ("no such agent"). */
const char	*db_ref_name(enum ref_kind);

/*
 * Are all n ids (UUIDs, checked by the caller) of kind in company? 1 yes,
 * 0 no (*bad is the index of the first that is not), -1 database error.
 */
int		 db_ref_check(struct db *, const char *company, enum ref_kind,
		    const char *const *ids, int n, int *bad);
/* One id; the same answers. */
int		 db_ref_one(struct db *, const char *company, enum ref_kind,
		    const char *id);
/*
 * A reference by name or id (an incoming webhook's "queue"): the id of the
 * row of kind in company whose id it is, or whose name it is (letter case
 * aside), into id. 1 found, 0 none (another company's is none), -1
 * database error. Only queues are named so (REF_QUEUE); other kinds find
 * none.
 */
int		 db_ref_by_name(struct db *, const char *company, enum ref_kind,
		    const char *name_or_id, char id[UUID_LEN + 1]);

#endif

/* The audit log: who changed which object, from where. */
#ifndef DB_AUDIT_H
#define DB_AUDIT_H

#include "db.h"

/*
 * One row: actor (a user id, NULL for the local admin or the daemon),
 * company (NULL: none), action ("create"), the object's type and id, the
 * client's address (NULL: none) and detail (a JSON object; NULL: {}).
 * 0 or -1.
 */
int	db_audit(struct db *, const char *actor, const char *company,
	    const char *action, const char *object_type, const char *object_id,
	    const char *ip, const char *detail);

#endif

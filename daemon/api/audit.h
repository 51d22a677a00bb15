/* The audit log: who changed what, written in the same transaction. */
#ifndef AUDIT_H
#define AUDIT_H

#include <jansson.h>

struct db;
struct request;

/* Steals detail (may be NULL). -1 on database error. */
int	audit(struct db *, const struct request *, const char *company_id,
	    const char *action, const char *object_type, const char *object_id,
	    json_t *detail);

#endif

/* Audit log rows (db-audit.h). Details never carry passwords or tokens. */
#include "db.h"
#include "db-audit.h"

static struct db_stmt st_insert = { .sql =
	"INSERT INTO audit_log (actor_id, company_id, action, object_type,"
	" object_id, client_ip, detail)"
	" VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::jsonb, '{}'))" };

int
db_audit(struct db *db, const char *actor, const char *company,
    const char *action, const char *object_type, const char *object_id,
    const char *ip, const char *detail)
{
	const char *p[7] = { actor, company, action, object_type, object_id,
	    ip, detail };

	return db_exec(db, &st_insert, 7, p);
}

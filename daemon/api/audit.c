/* Audit log rows. Details never carry passwords or tokens. */
#include <stdlib.h>

#include "http.h"
#include "db.h"
#include "audit.h"

static struct db_stmt st_insert = { .sql =
	"INSERT INTO audit_log (actor_id, company_id, action, object_type,"
	" object_id, client_ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)" };

int
audit(struct db *db, const struct request *req, const char *company_id,
    const char *action, const char *object_type, const char *object_id,
    json_t *detail)
{
	json_t		*obj = detail != NULL ? detail : json_object();
	char		*d = json_dumps(obj, JSON_COMPACT);
	const char	*p[7] = {
		req->who.user_id[0] ? req->who.user_id : NULL, company_id,
		action, object_type, object_id, req->client_ip, d,
	};
	int		 rc;

	json_decref(obj);
	rc = db_exec(db, &st_insert, 7, p);
	free(d);
	return rc;
}

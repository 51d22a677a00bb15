/* Audit log rows of the routes not yet in the operations table. */
#include <stdlib.h>

#include "http.h"
#include "db.h"
#include "db-audit.h"
#include "audit.h"

int
audit(struct db *db, const struct request *req, const char *company_id,
    const char *action, const char *object_type, const char *object_id,
    json_t *detail)
{
	json_t	*obj = detail != NULL ? detail : json_object();
	char	*d = json_dumps(obj, JSON_COMPACT);
	int	 rc;

	json_decref(obj);
	rc = db_audit(db, req->who.user_id[0] ? req->who.user_id : NULL,
	    company_id, action, object_type, object_id, req->client_ip, d);
	free(d);
	return rc;
}

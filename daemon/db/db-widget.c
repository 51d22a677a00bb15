/* SQL for website-widget keys and origins, and a call's media used. */
#include <stdlib.h>

#include "db.h"
#include "db-widget.h"

#define COLS "id, company_id, key, name, " SQL_TIME("created_at") ", " \
	SQL_TIME("rotated_at")

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM widget_keys"
	" WHERE company_id = $1 ORDER BY created_at, id" };
static struct db_stmt st_create = { .sql = "INSERT INTO widget_keys"
	" (company_id, key, name) SELECT id, $2, $3 FROM companies"
	" WHERE id = $1 RETURNING " COLS };
static struct db_stmt st_rotate = { .sql = "UPDATE widget_keys"
	" SET key = $3, rotated_at = now() WHERE company_id = $1 AND id = $2"
	" RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM widget_keys"
	" WHERE company_id = $1 AND id = $2 RETURNING id" };
static struct db_stmt st_origins = { .sql = "SELECT"
	" array_to_json(widget_origins) FROM companies WHERE id = $1" };
static struct db_stmt st_origins_set = { .sql = "UPDATE companies SET"
	" widget_origins = ARRAY(SELECT json_array_elements_text($2::json)),"
	" updated_at = now() WHERE id = $1"
	" RETURNING array_to_json(widget_origins)" };
static struct db_stmt st_by_key = { .sql = "SELECT k.company_id,"
	" array_to_json(c.widget_origins) FROM widget_keys k"
	" JOIN companies c ON c.id = k.company_id WHERE k.key = $1" };
static struct db_stmt st_media = { .sql = "UPDATE calls SET media_used ="
	" ARRAY(SELECT DISTINCT m FROM unnest(media_used ||"
	" ARRAY(SELECT json_array_elements_text($3::json))) m ORDER BY m)"
	" WHERE company_id = $1 AND id = $2" };

json_t *
widget_key_json(const PGresult *res, int r)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s?}",
	    "id", PQgetvalue(res, r, WIDGET_C_ID),
	    "company_id", PQgetvalue(res, r, WIDGET_C_COMPANY),
	    "key", PQgetvalue(res, r, WIDGET_C_KEY),
	    "name", db_get(res, r, WIDGET_C_NAME),
	    "created_at", PQgetvalue(res, r, WIDGET_C_CREATED),
	    "rotated_at", db_get(res, r, WIDGET_C_ROTATED));
}

PGresult *
db_widget_list(struct db *db, const char *company)
{
	const char	*p[] = { company };

	return db_run(db, &st_list, 1, p);
}

PGresult *
db_widget_create(struct db *db, const char *company, const char *key,
    const char *name)
{
	const char	*p[] = { company, key, name };

	return db_run(db, &st_create, 3, p);
}

PGresult *
db_widget_rotate(struct db *db, const char *company, const char *id,
    const char *key)
{
	const char	*p[] = { company, id, key };

	return db_run(db, &st_rotate, 3, p);
}

PGresult *
db_widget_delete(struct db *db, const char *company, const char *id)
{
	const char	*p[] = { company, id };

	return db_run(db, &st_delete, 2, p);
}

PGresult *
db_widget_origins(struct db *db, const char *company)
{
	const char	*p[] = { company };

	return db_run(db, &st_origins, 1, p);
}

PGresult *
db_widget_origins_set(struct db *db, const char *company,
    const char *origins_json)
{
	const char	*p[] = { company, origins_json };

	return db_run(db, &st_origins_set, 2, p);
}

int
db_widget_by_key(struct db *db, const char *key, char company[UUID_LEN + 1],
    json_t **origins)
{
	const char	*p[] = { key };
	PGresult	*r;
	int		 found;

	*origins = NULL;
	if ((r = db_run(db, &st_by_key, 1, p)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0)) {
		db_copy(company, UUID_LEN + 1, r, 0, 0);
		*origins = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
	}
	PQclear(r);
	return found;
}

int
db_call_media_used(struct db *db, const char *company, const char *call,
    const char *media_json)
{
	const char	*p[] = { company, call, media_json };
	PGresult	*r;

	if ((r = db_run(db, &st_media, 3, p)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

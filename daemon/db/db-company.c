/* SQL for companies and the row-to-JSON function every endpoint uses. */
#include "db.h"
#include "db-company.h"

#define COLS "id, name, timezone, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at") ", " SQL_KEY("created_at")

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM companies"
	" WHERE ($1::uuid IS NULL OR id = $1)"
	" AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0)"
	" AND " SQL_AFTER("created_at", "id", 3, 4)
	" ORDER BY created_at, id LIMIT $5" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM companies"
	" WHERE id = $2 AND ($1::uuid IS NULL OR id = $1)" };
static struct db_stmt st_create = { .sql = "INSERT INTO companies"
	" (name, timezone) VALUES ($1, coalesce($2, (SELECT"
	" settings->>'default_timezone' FROM system_settings), 'UTC'))"
	" RETURNING " COLS };
static struct db_stmt st_update = { .sql = "UPDATE companies SET"
	" name = coalesce($3, name), timezone = coalesce($4, timezone),"
	" updated_at = now()"
	" WHERE id = $2 AND ($1::uuid IS NULL OR id = $1) RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM companies"
	" WHERE id = $1 RETURNING " COLS };

json_t *
company_json(const PGresult *res, int r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}",
	    "id", PQgetvalue(res, r, 0), "name", PQgetvalue(res, r, 1),
	    "timezone", PQgetvalue(res, r, 2),
	    "created_at", PQgetvalue(res, r, 3),
	    "updated_at", PQgetvalue(res, r, 4));
}

PGresult *
db_company_list(struct db *db, const char *scope, const char *q,
    const struct page *pg)
{
	const char *p[5] = { scope, q, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_list, 5, p);
}

PGresult *
db_company_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_company_create(struct db *db, const char *name, const char *tz)
{
	const char *p[2] = { name, tz };

	return db_run(db, &st_create, 2, p);
}

PGresult *
db_company_update(struct db *db, const char *scope, const char *id,
    const char *name, const char *tz)
{
	const char *p[4] = { scope, id, name, tz };

	return db_run(db, &st_update, 4, p);
}

PGresult *
db_company_delete(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return db_run(db, &st_delete, 1, p);
}

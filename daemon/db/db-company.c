/* SQL for companies and the row-to-JSON function every endpoint uses. */
#include <stdlib.h>

#include "xmalloc.h"
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

enum company_col {
	COMPANY_C_ID, COMPANY_C_NAME, COMPANY_C_TIMEZONE, COMPANY_C_CREATED,
	COMPANY_C_UPDATED, COMPANY_C_KEY,
};

/* The rows of res, which it clears; NULL if res is. */
static struct company_rows *
company_rows(PGresult *res)
{
	struct company_rows	*rows;
	struct company_row	*c;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		c = &rows->v[r];
		db_copy(c->id, sizeof c->id, res, r, COMPANY_C_ID);
		c->name = db_dup(res, r, COMPANY_C_NAME);
		c->timezone = db_dup(res, r, COMPANY_C_TIMEZONE);
		db_copy(c->created, sizeof c->created, res, r, COMPANY_C_CREATED);
		db_copy(c->updated, sizeof c->updated, res, r, COMPANY_C_UPDATED);
		db_copy(c->key, sizeof c->key, res, r, COMPANY_C_KEY);
	}
	PQclear(res);
	return rows;
}

void
company_rows_free(struct company_rows *rows)
{
	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		free(rows->v[r].name);
		free(rows->v[r].timezone);
	}
	free(rows->v);
	free(rows);
}

json_t *
company_json(const struct company_row *c)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}",
	    "id", c->id, "name", c->name, "timezone", c->timezone,
	    "created_at", c->created, "updated_at", c->updated);
}

struct company_rows *
db_company_list(struct db *db, const char *scope, const char *q,
    const struct page *pg)
{
	const char *p[5] = { scope, q, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return company_rows(db_run(db, &st_list, 5, p));
}

struct company_rows *
db_company_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return company_rows(db_run(db, &st_get, 2, p));
}

struct company_rows *
db_company_create(struct db *db, const char *name, const char *tz)
{
	const char *p[2] = { name, tz };

	return company_rows(db_run(db, &st_create, 2, p));
}

struct company_rows *
db_company_update(struct db *db, const char *scope, const char *id,
    const char *name, const char *tz)
{
	const char *p[4] = { scope, id, name, tz };

	return company_rows(db_run(db, &st_update, 4, p));
}

struct company_rows *
db_company_delete(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return company_rows(db_run(db, &st_delete, 1, p));
}

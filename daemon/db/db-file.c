/* SQL for file metadata, and the File object every endpoint returns. */
#include <stdlib.h>

#include "db.h"
#include "db-file.h"

#define COLS "id, company_id, kind, name, content_type, size, sha256," \
	" created_by, " SQL_TIME("created_at") ", " SQL_KEY("created_at")
#define SCOPE "($1::uuid IS NULL OR company_id = $1)"

static struct db_stmt st_create = { .sql = "INSERT INTO files (id,"
	" company_id, kind, name, content_type, size, sha256, created_by)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " COLS };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM files"
	" WHERE id = $2 AND " SCOPE };
static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM files"
	" WHERE company_id = $1 AND ($2::text IS NULL OR kind = $2)"
	" AND " SQL_AFTER("created_at", "id", 3, 4)
	" ORDER BY created_at, id LIMIT $5" };
static struct db_stmt st_delete = { .sql = "DELETE FROM files"
	" WHERE id = $2 AND " SCOPE " RETURNING " COLS };

static json_t *
nullable(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_string(PQgetvalue(res, r, c));
}

json_t *
file_json(const PGresult *res, int r)
{
	json_t	*o;

	o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:I,s:s,s:o,s:s}",
	    "id", PQgetvalue(res, r, FILE_C_ID),
	    "company_id", PQgetvalue(res, r, FILE_C_COMPANY),
	    "kind", PQgetvalue(res, r, FILE_C_KIND),
	    "name", nullable(res, r, FILE_C_NAME),
	    "content_type", PQgetvalue(res, r, FILE_C_TYPE),
	    "size", (json_int_t)strtoll(PQgetvalue(res, r, FILE_C_SIZE), NULL, 10),
	    "sha256", PQgetvalue(res, r, FILE_C_SHA256),
	    "created_by", nullable(res, r, FILE_C_CREATED_BY),
	    "created_at", PQgetvalue(res, r, FILE_C_CREATED));
	json_object_set_new(o, "content_url", json_sprintf("/api/files/%s/content",
	    PQgetvalue(res, r, FILE_C_ID)));
	return o;
}

PGresult *
db_file_create(struct db *db, const struct file_row *f)
{
	const char *p[8] = { f->id, f->company, f->kind, f->name,
	    f->content_type, f->size, f->sha256, f->created_by };

	return db_run(db, &st_create, 8, p);
}

PGresult *
db_file_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_file_list(struct db *db, const char *company, const char *kind,
    const struct page *pg)
{
	const char *p[5] = { company, kind, pg->after_key[0] ? pg->after_key :
	    NULL, pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_list, 5, p);
}

PGresult *
db_file_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_delete, 2, p);
}

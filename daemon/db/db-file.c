/* SQL for file metadata, and the File object every endpoint returns. */
#include <stdlib.h>

#include "xmalloc.h"
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
/* The content into the storage trash with it (db-file.h). */
static struct db_stmt st_delete = { .sql = "WITH d AS (DELETE FROM files"
	" WHERE id = $2 AND " SCOPE " RETURNING *),"
	" t AS (INSERT INTO storage_trash (file_id, company_id)"
	" SELECT id, company_id FROM d ON CONFLICT DO NOTHING)"
	" SELECT " COLS " FROM d" };
static struct db_stmt st_trash_company = { .sql = "INSERT INTO storage_trash"
	" (file_id, company_id) SELECT id, company_id FROM files"
	" WHERE company_id = $1 ON CONFLICT DO NOTHING" };
static struct db_stmt st_trash_due = { .sql = "SELECT file_id"
	" FROM storage_trash WHERE CASE WHEN $1::uuid IS NULL"
	" THEN next_attempt_at <= now() ELSE company_id = $1 END"
	" ORDER BY next_attempt_at LIMIT $2::int" };
static struct db_stmt st_trash_done = { .sql = "DELETE FROM storage_trash"
	" WHERE file_id = $1" };
/* A minute, doubled each try, at most a day. */
static struct db_stmt st_trash_retry = { .sql = "UPDATE storage_trash"
	" SET attempts = attempts + 1, next_attempt_at = now() +"
	" least(interval '1 day', interval '1 minute' * 2 ^ least(attempts, 12))"
	" WHERE file_id = $1" };

/* The columns of COLS. */
enum file_col {
	FILE_C_ID, FILE_C_COMPANY, FILE_C_KIND, FILE_C_NAME, FILE_C_TYPE,
	FILE_C_SIZE, FILE_C_SHA256, FILE_C_CREATED_BY, FILE_C_CREATED,
	FILE_C_KEY,
};

/* The rows of res, which they keep; NULL if res is. */
static struct file_rows *
file_rows(PGresult *res)
{
	struct file_rows	*rows;
	struct file_row		*f;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		f = &rows->v[r];
		f->id = PQgetvalue(res, r, FILE_C_ID);
		f->company = PQgetvalue(res, r, FILE_C_COMPANY);
		f->kind = PQgetvalue(res, r, FILE_C_KIND);
		f->name = db_get(res, r, FILE_C_NAME);
		f->content_type = PQgetvalue(res, r, FILE_C_TYPE);
		f->size = strtoll(PQgetvalue(res, r, FILE_C_SIZE), NULL, 10);
		f->sha256 = PQgetvalue(res, r, FILE_C_SHA256);
		f->created_by = db_get(res, r, FILE_C_CREATED_BY);
		f->created = PQgetvalue(res, r, FILE_C_CREATED);
		f->key = PQgetvalue(res, r, FILE_C_KEY);
	}
	return rows;
}

void
file_rows_free(struct file_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

json_t *
file_json(const struct file_row *f)
{
	json_t	*o;

	o = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:I,s:s,s:s?,s:s}",
	    "id", f->id, "company_id", f->company, "kind", f->kind,
	    "name", f->name, "content_type", f->content_type,
	    "size", (json_int_t)f->size, "sha256", f->sha256,
	    "created_by", f->created_by, "created_at", f->created);
	json_object_set_new(o, "content_url", json_sprintf("/api/files/%s/content",
	    f->id));
	return o;
}

struct file_rows *
db_file_create(struct db *db, const struct file_new *f)
{
	const char *p[8] = { f->id, f->company, f->kind, f->name,
	    f->content_type, f->size, f->sha256, f->created_by };

	return file_rows(db_run(db, &st_create, 8, p));
}

struct file_rows *
db_file_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return file_rows(db_run(db, &st_get, 2, p));
}

struct file_rows *
db_file_list(struct db *db, const char *company, const char *kind,
    const struct page *pg)
{
	const char *p[5] = { company, kind, pg->after_key[0] ? pg->after_key :
	    NULL, pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return file_rows(db_run(db, &st_list, 5, p));
}

struct file_rows *
db_file_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return file_rows(db_run(db, &st_delete, 2, p));
}

int
db_file_trash_company(struct db *db, const char *company)
{
	const char	*p[1] = { company };

	return db_exec(db, &st_trash_company, 1, p);
}

struct db_ids *
db_file_trash_due(struct db *db, const char *company, const char *n)
{
	const char	*p[2] = { company, n };

	return db_ids_take(db_run(db, &st_trash_due, 2, p), 0);
}

int
db_file_trash_done(struct db *db, const char *id)
{
	const char	*p[1] = { id };

	return db_exec(db, &st_trash_done, 1, p);
}

int
db_file_trash_retry(struct db *db, const char *id)
{
	const char	*p[1] = { id };

	return db_exec(db, &st_trash_retry, 1, p);
}

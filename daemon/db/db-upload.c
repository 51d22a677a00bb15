/* SQL for recording uploads and files in pieces (db-upload.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-upload.h"

#define UPLOAD_COLS "u.id, u.call_id, u.content_type, u.size," \
	" u.completed_at IS NOT NULL," \
	" extract(epoch FROM now() - u.created_at)::float8," \
	" (SELECT r.id FROM call_recordings r WHERE r.file_id = u.id)"

/* Nothing for a call whose caller was purged (docs/api.md). */
static struct db_stmt st_create = { .sql = "INSERT INTO recording_uploads AS u"
	" (company_id, call_id, user_id, content_type)"
	" SELECT $1::uuid, $2::uuid, $3::uuid, $4::text WHERE NOT EXISTS"
	" (SELECT 1 FROM calls WHERE id = $2::uuid AND purged_at IS NOT NULL)"
	" RETURNING " UPLOAD_COLS };
static struct db_stmt st_get = { .sql = "SELECT " UPLOAD_COLS
	" FROM recording_uploads u"
	" WHERE u.company_id = $1 AND u.call_id = $2 AND u.id = $3" };
/* The offset moves only from where the client said it was. */
static struct db_stmt st_append = { .sql = "WITH u AS (UPDATE"
	" recording_uploads SET size = size + $4::bigint, pieces = pieces + 1,"
	" updated_at = now()"
	" WHERE id = $1 AND size = $2::bigint AND completed_at IS NULL"
	" RETURNING pieces - 1 AS seq)"
	" INSERT INTO file_pieces (file_id, seq, object_id, size)"
	" SELECT $1, u.seq, $3, $4::bigint FROM u RETURNING seq" };
static struct db_stmt st_complete = { .sql = "WITH u AS (UPDATE"
	" recording_uploads SET completed_at = now(), updated_at = now()"
	" WHERE id = $2 AND company_id = $1 AND size = $3::bigint"
	" AND size > 0 AND completed_at IS NULL"
	" RETURNING id, company_id, call_id, user_id, content_type, size),"
	" f AS (INSERT INTO files (id, company_id, kind, content_type, size,"
	" sha256, created_by)"
	" SELECT id, company_id, 'recording', content_type, size, $4, user_id"
	" FROM u RETURNING id)"
	" INSERT INTO call_recordings (call_id, company_id, file_id, source,"
	" channels, duration)"
	" SELECT u.call_id, u.company_id, f.id, 'browser', $5::int, $6::int"
	" FROM u JOIN f ON f.id = u.id RETURNING id" };
static struct db_stmt st_pieces = { .sql = "SELECT object_id FROM file_pieces"
	" WHERE file_id = $1 ORDER BY seq" };
static struct db_stmt st_pieces_drop = { .sql = "DELETE FROM file_pieces"
	" WHERE file_id = $1 RETURNING object_id" };
static struct db_stmt st_stale = { .sql = "SELECT id FROM recording_uploads"
	" WHERE completed_at IS NULL AND updated_at < now() - interval '1 day'"
	" ORDER BY updated_at LIMIT $1::int" };
static struct db_stmt st_drop = { .sql = "DELETE FROM recording_uploads"
	" WHERE id = $1 AND completed_at IS NULL RETURNING id" };

static void
upload_fill(PGresult *res, struct upload_row *out)
{
	memset(out, 0, sizeof *out);
	db_copy(out->id, sizeof out->id, res, 0, 0);
	db_copy(out->call, sizeof out->call, res, 0, 1);
	db_copy(out->content_type, sizeof out->content_type, res, 0, 2);
	out->size = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	out->complete = PQgetvalue(res, 0, 4)[0] == 't';
	out->age = strtod(PQgetvalue(res, 0, 5), NULL);
	if (db_get(res, 0, 6) != NULL)
		db_copy(out->recording, sizeof out->recording, res, 0, 6);
}

int
db_upload_create(struct db *db, const char *company, const char *call,
    const char *user, const char *content_type, struct upload_row *out)
{
	const char	*p[4] = { company, call, user, content_type };
	PGresult	*res;

	if ((res = db_run(db, &st_create, 4, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	upload_fill(res, out);
	PQclear(res);
	return 0;
}

int
db_upload_get(struct db *db, const char *company, const char *call,
    const char *id, struct upload_row *out)
{
	const char	*p[3] = { company, call, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_get, 3, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 1)
		upload_fill(res, out);
	PQclear(res);
	return n == 1;
}

int
db_upload_append(struct db *db, const char *id, long long offset,
    const char *object, size_t len)
{
	char		 off[24], n[24];
	const char	*p[4] = { id, off, object, n };
	PGresult	*res;
	int		 rows;

	snprintf(off, sizeof off, "%lld", offset);
	snprintf(n, sizeof n, "%zu", len);
	if ((res = db_run(db, &st_append, 4, p)) == NULL)
		return -1;
	rows = PQntuples(res);
	PQclear(res);
	return rows == 1;
}

int
db_upload_complete(struct db *db, const char *company, const char *id,
    long long size, const char *sha256, int channels, int duration,
    char rec[UUID_LEN + 1])
{
	char		 sz[24], ch[8], dur[16];
	const char	*p[6] = { company, id, sz, sha256, ch, dur };
	PGresult	*res;
	int		 n;

	snprintf(sz, sizeof sz, "%lld", size);
	snprintf(ch, sizeof ch, "%d", channels);
	snprintf(dur, sizeof dur, "%d", duration);
	if ((res = db_run(db, &st_complete, 6, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 1)
		db_copy(rec, UUID_LEN + 1, res, 0, 0);
	PQclear(res);
	return n == 1;
}

struct db_ids *
db_file_pieces(struct db *db, const char *file)
{
	const char	*p[1] = { file };

	return db_ids_take(db_run(db, &st_pieces, 1, p), 0);
}

struct db_ids *
db_file_pieces_drop(struct db *db, const char *file)
{
	const char	*p[1] = { file };

	return db_ids_take(db_run(db, &st_pieces_drop, 1, p), 0);
}

struct db_ids *
db_upload_stale(struct db *db, const char *n)
{
	const char	*p[1] = { n };

	return db_ids_take(db_run(db, &st_stale, 1, p), 0);
}

int
db_upload_drop(struct db *db, const char *id)
{
	const char	*p[1] = { id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_drop, 1, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n == 1;
}

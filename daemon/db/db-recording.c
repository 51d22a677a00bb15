/* SQL for call recordings (db-recording.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-recording.h"

static struct db_stmt st_mode = { .sql = "SELECT coalesce(q.recording,"
	" co.settings->>'recording', 'off'),"
	" co.settings->>'recording_announcement'"
	" FROM calls c JOIN companies co ON co.id = c.company_id"
	" LEFT JOIN queues q ON q.id = c.queue_id"
	" WHERE c.id = $2 AND c.company_id = $1" };
static struct db_stmt st_known = { .sql = "SELECT 1 FROM call_recordings"
	" WHERE company_id = $1 AND source_id = $2" };
/* The file's row only when the recording is new: both rows or none. */
static struct db_stmt st_add = { .sql = "WITH f AS (INSERT INTO files"
	" (id, company_id, kind, content_type, size, sha256)"
	" SELECT $3, $1, 'recording', $4, $5::bigint, $6"
	" WHERE NOT EXISTS (SELECT 1 FROM call_recordings"
	"  WHERE company_id = $1 AND source_id = $8)"
	" AND NOT EXISTS (SELECT 1 FROM calls WHERE id = $2"
	"  AND purged_at IS NOT NULL)"
	" RETURNING id)"
	" INSERT INTO call_recordings (call_id, company_id, file_id, source,"
	" source_id, channels, duration)"
	" SELECT $2, $1, f.id, $7, $8, $9::int, $10::int FROM f RETURNING id" };
static struct db_stmt st_list = { .sql = "SELECT coalesce(json_agg("
	"json_build_object('id', r.id, 'duration', r.duration,"
	" 'channels', r.channels, 'source', r.source,"
	" 'content_type', f.content_type, 'size', f.size,"
	" 'created_at', " SQL_TIME("r.created_at") ","
	" 'url', '/api/calls/' || r.call_id || '/recordings/' || r.id)"
	" ORDER BY r.created_at, r.id), '[]')"
	" FROM call_recordings r JOIN files f ON f.id = r.file_id"
	" WHERE r.company_id = $1 AND r.call_id = $2" };
static struct db_stmt st_is_file = { .sql = "SELECT 1 FROM call_recordings"
	" WHERE file_id = $1" };
static struct db_stmt st_expired = { .sql = "SELECT r.id"
	" FROM call_recordings r JOIN companies co ON co.id = r.company_id"
	" WHERE co.settings ? 'recording_retention_days'"
	" AND r.created_at < now() - make_interval(days =>"
	"  (co.settings->>'recording_retention_days')::int)"
	" ORDER BY r.created_at LIMIT $1::int" };
static struct db_stmt st_drop = { .sql = "WITH r AS (DELETE FROM"
	" call_recordings WHERE id = $1 RETURNING file_id, company_id),"
	" f AS (DELETE FROM files f USING r WHERE f.id = r.file_id"
	" RETURNING f.id, r.company_id)"
	" INSERT INTO storage_trash (file_id, company_id)"
	" SELECT id, company_id FROM f RETURNING file_id, company_id" };
static struct db_stmt st_file = { .sql = "SELECT file_id FROM call_recordings"
	" WHERE company_id = $1 AND call_id = $2 AND id = $3" };

/* $1 company, $2 source_id. */
static struct db_stmt st_fetch_add = { .sql = "INSERT INTO recording_fetches"
	" (company_id, source_id, call_id, channels, duration, next_attempt_at)"
	" SELECT $1, $2, $3, $4::int, $5::int, now() + interval '1 hour'"
	" WHERE NOT EXISTS (SELECT 1 FROM call_recordings"
	"  WHERE company_id = $1 AND source_id = $2)"
	" AND NOT EXISTS (SELECT 1 FROM calls WHERE id = $3"
	"  AND purged_at IS NOT NULL)"
	" ON CONFLICT (company_id, source_id) DO NOTHING" };
static struct db_stmt st_fetch_pending = { .sql = "SELECT 1"
	" FROM recording_fetches WHERE company_id = $1 AND source_id = $2"
	" AND state = 'pending'" };
static struct db_stmt st_fetch_done = { .sql = "DELETE FROM recording_fetches"
	" WHERE company_id = $1 AND source_id = $2" };
/* $3 the last round, $4 the first wait in seconds, $5 the error. */
static struct db_stmt st_fetch_failed = { .sql = "UPDATE recording_fetches"
	" SET attempts = attempts + 1, last_error = $5,"
	" state = CASE WHEN attempts + 1 >= $3::int THEN 'failed'"
	"  ELSE 'pending' END,"
	" next_attempt_at = now() + make_interval(secs => least(86400,"
	"  $4::int * 2 ^ least(attempts, 20)))"
	" WHERE company_id = $1 AND source_id = $2 RETURNING state" };
/* $1 every pending one, $2 at most. */
static struct db_stmt st_fetch_claim = { .sql = "UPDATE recording_fetches f"
	" SET next_attempt_at = now() + interval '1 hour'"
	" FROM (SELECT company_id, source_id FROM recording_fetches"
	"  WHERE state = 'pending' AND ($1::bool OR next_attempt_at <= now())"
	"  ORDER BY next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED) d"
	" WHERE f.company_id = d.company_id AND f.source_id = d.source_id"
	" RETURNING f.company_id, f.call_id, f.source_id, f.channels,"
	" f.duration" };

int
db_recording_mode(struct db *db, const char *company, const char *call,
    char *mode, size_t modelen, char **announcement)
{
	const char	*p[2] = { company, call };
	PGresult	*res;
	int		 n;

	*announcement = NULL;
	if ((res = db_run(db, &st_mode, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 1) {
		strlcpy_(mode, PQgetvalue(res, 0, 0), modelen);
		if (db_get(res, 0, 1) != NULL)
			*announcement = xstrdup(db_get(res, 0, 1));
	}
	PQclear(res);
	return n == 1;
}

int
db_recording_known(struct db *db, const char *company, const char *source_id)
{
	const char	*p[2] = { company, source_id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_known, 2, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

int
db_recording_add(struct db *db, const struct recording_new *r)
{
	const char	*p[10] = { r->company, r->call, r->file_id,
			    r->content_type, r->size, r->sha256, r->source,
			    r->source_id, r->channels, r->duration };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_add, 10, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

json_t *
db_recording_list(struct db *db, const char *company, const char *call)
{
	const char	*p[2] = { company, call };
	PGresult	*res;
	json_t		*out;

	if ((res = db_run(db, &st_list, 2, p)) == NULL)
		return NULL;
	out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return out != NULL ? out : json_array();
}

int
db_recording_file(struct db *db, const char *company, const char *call,
    const char *id, char file[UUID_LEN + 1])
{
	const char	*p[3] = { company, call, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_file, 3, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 1)
		strlcpy_(file, PQgetvalue(res, 0, 0), UUID_LEN + 1);
	PQclear(res);
	return n == 1;
}

struct db_ids *
db_recording_expired(struct db *db, const char *n)
{
	const char	*p[1] = { n };

	return db_ids_take(db_run(db, &st_expired, 1, p), 0);
}

int
db_recording_drop(struct db *db, const char *id, char file[UUID_LEN + 1],
    char company[UUID_LEN + 1])
{
	const char	*p[1] = { id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_drop, 1, p)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 1) {
		strlcpy_(file, PQgetvalue(res, 0, 0), UUID_LEN + 1);
		strlcpy_(company, PQgetvalue(res, 0, 1), UUID_LEN + 1);
	}
	PQclear(res);
	return n == 1;
}

int
db_recording_is_file(struct db *db, const char *file)
{
	const char	*p[1] = { file };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_is_file, 1, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

int
db_recording_fetch_add(struct db *db, const char *company, const char *call,
    const char *source_id, int channels, int duration)
{
	char		 ch[12], dur[12];
	const char	*p[5] = { company, source_id, call, ch, dur };

	snprintf(ch, sizeof ch, "%d", channels);
	snprintf(dur, sizeof dur, "%d", duration);
	return db_exec(db, &st_fetch_add, 5, p);
}

int
db_recording_fetch_pending(struct db *db, const char *company,
    const char *source_id)
{
	const char	*p[2] = { company, source_id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_fetch_pending, 2, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

int
db_recording_fetch_done(struct db *db, const char *company,
    const char *source_id)
{
	const char	*p[2] = { company, source_id };

	return db_exec(db, &st_fetch_done, 2, p);
}

int
db_recording_fetch_failed(struct db *db, const char *company,
    const char *source_id, int max_attempts, int base, const char *error)
{
	char		 max[12], b[12];
	const char	*p[5] = { company, source_id, max, b, error };
	PGresult	*res;
	int		 rc;

	snprintf(max, sizeof max, "%d", max_attempts);
	snprintf(b, sizeof b, "%d", base > 0 ? base : 1);
	if ((res = db_run(db, &st_fetch_failed, 5, p)) == NULL)
		return -1;
	rc = PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "failed") == 0;
	PQclear(res);
	return rc;
}

int
db_recording_fetch_claim(struct db *db, int all, struct recording_fetch *v,
    int max)
{
	char		 n[12];
	const char	*p[2] = { all ? "true" : "false", n };
	PGresult	*res;
	int		 i, rows;

	snprintf(n, sizeof n, "%d", max);
	if ((res = db_run(db, &st_fetch_claim, 2, p)) == NULL)
		return -1;
	rows = PQntuples(res);
	for (i = 0; i < rows && i < max; i++) {
		db_copy(v[i].company, sizeof v[i].company, res, i, 0);
		db_copy(v[i].call, sizeof v[i].call, res, i, 1);
		db_copy(v[i].source_id, sizeof v[i].source_id, res, i, 2);
		v[i].channels = atoi(PQgetvalue(res, i, 3));
		v[i].duration = atoi(PQgetvalue(res, i, 4));
	}
	PQclear(res);
	return i;
}

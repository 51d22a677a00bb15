/* SQL for sessions, refresh tokens and revoked sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#include "db.h"
#include "db-session.h"

#define HASH(n) "encode(sha256(convert_to($" #n ", 'UTF8')), 'hex')"

static struct db_stmt st_create = { .sql = "INSERT INTO sessions"
	" (user_id, client_ip, user_agent, expires_at)"
	" VALUES ($1, $2, left($3, 256), now() + make_interval(secs => $4::int))"
	" RETURNING id" };
static struct db_stmt st_store = { .sql = "INSERT INTO refresh_tokens"
	" (token_hash, session_id, expires_at) VALUES (" HASH(1) ", $2,"
	" now() + make_interval(secs => $3::int))" };
static struct db_stmt st_find = { .sql = "SELECT rt.session_id,"
	" rt.used_at IS NOT NULL, rt.expires_at < now(),"
	" s.revoked_at IS NOT NULL, s.user_id"
	" FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id"
	" WHERE rt.token_hash = " HASH(1) " FOR UPDATE OF rt" };
static struct db_stmt st_use = { .sql = "UPDATE refresh_tokens"
	" SET used_at = now() WHERE token_hash = " HASH(1) };

int
db_session_create(struct db *db, const char *user, const char *ip,
    const char *ua, int ttl, char sid[UUID_LEN + 1])
{
	char		 t[16];
	const char	*p[4] = { user, ip, ua, t };
	PGresult	*res;

	snprintf(t, sizeof t, "%d", ttl);
	if ((res = db_run(db, &st_create, 4, p)) == NULL)
		return -1;
	db_copy(sid, UUID_LEN + 1, res, 0, 0);
	PQclear(res);
	return 0;
}

int
db_refresh_store(struct db *db, const char *token, const char *session,
    int ttl)
{
	char		 t[16];
	const char	*p[3] = { token, session, t };
	PGresult	*res;

	snprintf(t, sizeof t, "%d", ttl);
	if ((res = db_run(db, &st_store, 3, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_refresh_find(struct db *db, const char *token, struct refresh_row *out)
{
	const char	*p[1] = { token };
	PGresult	*res;
	int		 found;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_find, 1, p)) == NULL)
		return -1;
	if ((found = PQntuples(res) > 0)) {
		db_copy(out->session, sizeof out->session, res, 0, 0);
		out->used = *PQgetvalue(res, 0, 1) == 't';
		out->expired = *PQgetvalue(res, 0, 2) == 't';
		out->revoked = *PQgetvalue(res, 0, 3) == 't';
		db_copy(out->user, sizeof out->user, res, 0, 4);
	}
	PQclear(res);
	return found;
}

int
db_refresh_use(struct db *db, const char *token)
{
	const char	*p[1] = { token };
	PGresult	*res;

	if ((res = db_run(db, &st_use, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static struct db_stmt st_load = { .sql =
	"SELECT session_id, extract(epoch FROM until)::bigint"
	" FROM revoked_sessions WHERE until > now()" };
static struct db_stmt st_prune = { .sql =
	"DELETE FROM revoked_sessions WHERE until < now()" };
static struct db_stmt st_revoke_user = { .sql =
	"WITH s AS (UPDATE sessions SET revoked_at = now()"
	"  WHERE user_id = $1 AND revoked_at IS NULL"
	"  AND ($3::uuid IS NULL OR id <> $3) RETURNING id)"
	" INSERT INTO revoked_sessions (session_id, until)"
	" SELECT id, now() + make_interval(secs => $2::int) FROM s"
	" ON CONFLICT (session_id) DO NOTHING"
	" RETURNING session_id, extract(epoch FROM until)::bigint" };
static struct db_stmt st_revoke_company = { .sql =
	"WITH s AS (UPDATE sessions SET revoked_at = now()"
	"  WHERE user_id IN (SELECT id FROM users WHERE company_id = $1)"
	"  AND revoked_at IS NULL RETURNING id)"
	" INSERT INTO revoked_sessions (session_id, until)"
	" SELECT id, now() + make_interval(secs => $2::int) FROM s"
	" ON CONFLICT (session_id) DO NOTHING"
	" RETURNING session_id, extract(epoch FROM until)::bigint" };
static struct db_stmt st_revoke_one = { .sql =
	"WITH s AS (UPDATE sessions SET revoked_at = now()"
	"  WHERE id = $1 AND revoked_at IS NULL RETURNING id)"
	" INSERT INTO revoked_sessions (session_id, until)"
	" VALUES ($1, now() + make_interval(secs => $2::int))"
	" ON CONFLICT (session_id) DO NOTHING"
	" RETURNING session_id, extract(epoch FROM until)::bigint" };
static struct db_stmt st_alive = { .sql = "SELECT 1 FROM sessions"
	" WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
	" AND expires_at > now()" };

/* The rows of res (session_id, until), which it clears; NULL if res is. */
static struct revoked_rows *
revoked_rows(PGresult *res)
{
	struct revoked_rows	*rows;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		db_copy(rows->v[r].sid, sizeof rows->v[r].sid, res, r, 0);
		rows->v[r].until = (time_t)strtoll(PQgetvalue(res, r, 1), NULL,
		    10);
	}
	PQclear(res);
	return rows;
}

void
revoked_rows_free(struct revoked_rows *rows)
{
	if (rows == NULL)
		return;
	free(rows->v);
	free(rows);
}

struct revoked_rows *
db_revoked_load(struct db *db)
{
	PGresult	*res;

	if ((res = db_run(db, &st_prune, 0, NULL)) == NULL)
		return NULL;
	PQclear(res);
	return revoked_rows(db_run(db, &st_load, 0, NULL));
}

struct revoked_rows *
db_revoke_user(struct db *db, const char *user, int ttl, const char *except)
{
	char		 t[16];
	const char	*p[3] = { user, t, except };

	snprintf(t, sizeof t, "%d", ttl);
	return revoked_rows(db_run(db, &st_revoke_user, 3, p));
}

struct revoked_rows *
db_revoke_company(struct db *db, const char *company, int ttl)
{
	char		 t[16];
	const char	*p[2] = { company, t };

	snprintf(t, sizeof t, "%d", ttl);
	return revoked_rows(db_run(db, &st_revoke_company, 2, p));
}

struct revoked_rows *
db_revoke_one(struct db *db, const char *sid, int ttl)
{
	char		 t[16];
	const char	*p[2] = { sid, t };

	snprintf(t, sizeof t, "%d", ttl);
	return revoked_rows(db_run(db, &st_revoke_one, 2, p));
}

int
db_session_alive(struct db *db, const char *sid, const char *user)
{
	const char	*p[2] = { sid, user };
	PGresult	*res;
	int		 ok;

	if ((res = db_run(db, &st_alive, 2, p)) == NULL)
		return -1;
	ok = PQntuples(res) == 1;
	PQclear(res);
	return ok;
}

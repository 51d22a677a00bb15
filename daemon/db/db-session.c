/* SQL for sessions and refresh tokens. */
#include <stdio.h>
#include <string.h>

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

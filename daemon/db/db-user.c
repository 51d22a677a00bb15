/* SQL for users and the row-to-JSON function every endpoint uses. */
#include <stdlib.h>

#include "db.h"
#include "db-user.h"

#define COLS "id, email, name, role, company_id, " SQL_TIME("created_at") \
	", " SQL_TIME("updated_at") ", " SQL_TIME("last_login_at") ", " \
	SQL_KEY("created_at")
#define SCOPE "($1::uuid IS NULL OR company_id = $1)"

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM users"
	" WHERE " SCOPE
	" AND ($2::user_role IS NULL OR role = $2)"
	" AND ($3::uuid IS NULL OR company_id = $3)"
	" AND ($4::text IS NULL OR strpos(email, $9) > 0"
	"  OR strpos(lower(name), lower($4)) > 0)"
	" AND ($5::uuid IS NULL OR id = $5)"
	" AND " SQL_AFTER("created_at", "id", 6, 7)
	" ORDER BY created_at, id LIMIT $8" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM users"
	" WHERE id = $2 AND " SCOPE };
static struct db_stmt st_auth_email = { .sql = "SELECT " COLS
	", password_hash FROM users WHERE email = $1" };
static struct db_stmt st_auth_id = { .sql = "SELECT " COLS
	", password_hash FROM users WHERE id = $1" };
static struct db_stmt st_create = { .sql = "INSERT INTO users"
	" (company_id, email, name, role, password_hash)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING " COLS };
static struct db_stmt st_update = { .sql = "UPDATE users SET"
	" email = coalesce($3, email), name = coalesce($4, name),"
	" role = coalesce($5::user_role, role),"
	" password_hash = coalesce($6, password_hash), updated_at = now()"
	" WHERE id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM users"
	" WHERE id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_touch = { .sql = "UPDATE users SET"
	" last_login_at = now() WHERE id = $1" };
static struct db_stmt st_admins = { .sql = "SELECT id FROM users"
	" WHERE role = 'admin' FOR UPDATE" };

static json_t *
nullable(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_string(PQgetvalue(res, r, c));
}

json_t *
user_json(const PGresult *res, int r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o}",
	    "id", PQgetvalue(res, r, USER_ID),
	    "email", PQgetvalue(res, r, USER_EMAIL),
	    "name", PQgetvalue(res, r, USER_NAME),
	    "role", PQgetvalue(res, r, USER_ROLE),
	    "company_id", nullable(res, r, USER_COMPANY),
	    "created_at", PQgetvalue(res, r, USER_CREATED),
	    "updated_at", PQgetvalue(res, r, USER_UPDATED),
	    "last_login_at", nullable(res, r, USER_LAST_LOGIN));
}

PGresult *
db_user_list(struct db *db, const char *scope, const struct user_filter *f,
    const struct page *pg)
{
	const char *p[9] = { scope, f->role, f->company, f->q, f->self,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str, f->q_email };

	return db_run(db, &st_list, 9, p);
}

PGresult *
db_user_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_user_auth_email(struct db *db, const char *email)
{
	const char *p[1] = { email };

	return db_run(db, &st_auth_email, 1, p);
}

PGresult *
db_user_auth_id(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return db_run(db, &st_auth_id, 1, p);
}

PGresult *
db_user_create(struct db *db, const char *company, const char *email,
    const char *name, const char *role, const char *hash)
{
	const char *p[5] = { company, email, name, role, hash };

	return db_run(db, &st_create, 5, p);
}

PGresult *
db_user_update(struct db *db, const char *scope, const char *id,
    const char *email, const char *name, const char *role, const char *hash)
{
	const char *p[6] = { scope, id, email, name, role, hash };

	return db_run(db, &st_update, 6, p);
}

PGresult *
db_user_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_delete, 2, p);
}

int
db_user_touch_login(struct db *db, const char *id)
{
	const char	*p[1] = { id };
	PGresult	*res;

	if ((res = db_run(db, &st_touch, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_user_lock_admins(struct db *db)
{
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_admins, 0, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n;
}

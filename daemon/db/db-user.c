/* SQL for users and the row-to-JSON function every endpoint uses. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-user.h"
#include "db-settings.h"

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
/*
 * GET /api/auth/profile in one statement: the user (COLS), then what
 * db_settings_user() reads (preferences, the company's settings and time
 * zone, the system's), in one snapshot and one round trip.
 */
static struct db_stmt st_profile = { .sql = "SELECT u.*, co.settings::text,"
	" co.timezone, (SELECT settings::text FROM system_settings)"
	" FROM (SELECT " COLS ", preferences::text FROM users WHERE id = $1) u"
	" LEFT JOIN companies co ON co.id = u.company_id" };
static struct db_stmt st_admins = { .sql = "SELECT id FROM users"
	" WHERE role = 'admin' FOR UPDATE" };

/* The columns of COLS, then the hash of the auth look-ups. */
enum user_col {
	USER_ID, USER_EMAIL, USER_NAME, USER_ROLE, USER_COMPANY,
	USER_CREATED, USER_UPDATED, USER_LAST_LOGIN, USER_KEY, USER_HASH,
};

/* The rows of res, which it keeps; hash: whether it has the hash column. */
static struct user_rows *
user_rows_of(const PGresult *res, int hash)
{
	struct user_rows	*rows;
	struct user_row		*u;

	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		u = &rows->v[r];
		db_copy(u->id, sizeof u->id, res, r, USER_ID);
		u->email = db_dup(res, r, USER_EMAIL);
		u->name = db_dup(res, r, USER_NAME);
		db_copy(u->role, sizeof u->role, res, r, USER_ROLE);
		db_copy(u->company, sizeof u->company, res, r, USER_COMPANY);
		db_copy(u->created, sizeof u->created, res, r, USER_CREATED);
		db_copy(u->updated, sizeof u->updated, res, r, USER_UPDATED);
		u->last_login = db_dup(res, r, USER_LAST_LOGIN);
		db_copy(u->key, sizeof u->key, res, r, USER_KEY);
		if (hash)
			u->hash = db_dup(res, r, USER_HASH);
	}
	return rows;
}

/* The rows of res, which it clears; NULL if res is. */
static struct user_rows *
user_rows(PGresult *res)
{
	struct user_rows	*rows;

	if (res == NULL)
		return NULL;
	rows = user_rows_of(res, PQnfields(res) > USER_HASH);
	PQclear(res);
	return rows;
}

void
user_rows_free(struct user_rows *rows)
{
	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		free(rows->v[r].email);
		free(rows->v[r].name);
		free(rows->v[r].last_login);
		free(rows->v[r].hash);
	}
	free(rows->v);
	free(rows);
}

json_t *
user_json(const struct user_row *u)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:s,s:s?}",
	    "id", u->id, "email", u->email, "name", u->name, "role", u->role,
	    "company_id", u->company[0] != '\0' ? u->company : NULL,
	    "created_at", u->created, "updated_at", u->updated,
	    "last_login_at", u->last_login);
}

struct user_rows *
db_user_list(struct db *db, const char *scope, const struct user_filter *f,
    const struct page *pg)
{
	const char *p[9] = { scope, f->role, f->company, f->q, f->self,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str, f->q_email };

	return user_rows(db_run(db, &st_list, 9, p));
}

struct user_rows *
db_user_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return user_rows(db_run(db, &st_get, 2, p));
}

struct user_rows *
db_user_profile(struct db *db, const char *id, struct settings_row *set)
{
	const char	*p[1] = { id };
	PGresult	*res;
	struct user_rows *rows;

	memset(set, 0, sizeof *set);
	if ((res = db_run(db, &st_profile, 1, p)) == NULL)
		return NULL;
	rows = user_rows_of(res, 0);
	if (rows->n == 0) {
		PQclear(res);
		return rows;
	}
	/* The settings' strings point into res, which set keeps. */
	set->res = res;
	set->own = db_get(res, 0, USER_KEY + 1);
	set->company = db_get(res, 0, USER_KEY + 2);
	set->timezone = db_get(res, 0, USER_KEY + 3);
	set->system = db_get(res, 0, USER_KEY + 4);
	return rows;
}

struct user_rows *
db_user_auth_email(struct db *db, const char *email)
{
	const char *p[1] = { email };

	return user_rows(db_run(db, &st_auth_email, 1, p));
}

struct user_rows *
db_user_auth_id(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return user_rows(db_run(db, &st_auth_id, 1, p));
}

struct user_rows *
db_user_create(struct db *db, const char *company, const char *email,
    const char *name, const char *role, const char *hash)
{
	const char *p[5] = { company, email, name, role, hash };

	return user_rows(db_run(db, &st_create, 5, p));
}

struct user_rows *
db_user_update(struct db *db, const char *scope, const char *id,
    const char *email, const char *name, const char *role, const char *hash)
{
	const char *p[6] = { scope, id, email, name, role, hash };

	return user_rows(db_run(db, &st_update, 6, p));
}

struct user_rows *
db_user_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return user_rows(db_run(db, &st_delete, 2, p));
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

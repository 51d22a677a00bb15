/*
 * SQL for settings at three scopes. Each scope is a JSON object holding
 * only what was set; an update merges "set" in and removes "unset" in one
 * statement, so two concurrent partial updates never lose each other's
 * keys. A company's time zone is the companies.timezone column.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-settings.h"

/* jsonb minus the keys of a JSON array of strings. */
#define MERGE(col, set, unset) "(" col " || $" #set "::jsonb) - ARRAY(SELECT" \
	" jsonb_array_elements_text($" #unset "::jsonb))"
#define SYSTEM "(SELECT settings::text FROM system_settings)"

static struct db_stmt st_system_get = { .sql =
	"SELECT settings::text FROM system_settings" };
static struct db_stmt st_system_put = { .sql =
	"UPDATE system_settings SET settings = " MERGE("settings", 1, 2) ","
	" updated_at = now() RETURNING settings::text" };
static struct db_stmt st_company_get = { .sql =
	"SELECT co.settings::text, co.timezone, " SYSTEM
	" FROM companies co WHERE co.id = $1" };
/* $4 a new time zone; "timezone" in $3 resets it to the system default. */
static struct db_stmt st_company_put = { .sql =
	"UPDATE companies co SET settings = " MERGE("co.settings", 2, 3) ","
	" timezone = CASE WHEN $4::text IS NOT NULL THEN $4"
	"  WHEN $3::jsonb ? 'timezone' THEN coalesce((SELECT"
	"  settings->>'default_timezone' FROM system_settings), 'UTC')"
	"  ELSE co.timezone END,"
	" updated_at = now() WHERE co.id = $1"
	" RETURNING co.settings::text, co.timezone, " SYSTEM };
static struct db_stmt st_user_get = { .sql =
	"SELECT u.preferences::text, co.settings::text, co.timezone, " SYSTEM
	" FROM users u LEFT JOIN companies co ON co.id = u.company_id"
	" WHERE u.id = $1" };
static struct db_stmt st_user_put = { .sql =
	"WITH u AS (UPDATE users SET preferences = "
	MERGE("preferences", 2, 3) " WHERE id = $1 RETURNING *)"
	" SELECT u.preferences::text, co.settings::text, co.timezone, " SYSTEM
	" FROM u LEFT JOIN companies co ON co.id = u.company_id" };

static struct db_stmt st_status = { .sql =
	"SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM queues),"
	" (SELECT count(*) FROM agents),"
	" (SELECT count(*) FROM agents WHERE state <> 'offline'),"
	" count(*) FILTER (WHERE state IN ('queued', 'offering')),"
	" count(*) FILTER (WHERE state = 'ivr'),"
	" count(*) FILTER (WHERE state IN ('connected', 'on_hold')),"
	" count(*) FILTER (WHERE state = 'wrap_up'),"
	" (SELECT max(version) FROM schema_migrations),"
	" current_setting('server_version')"
	" FROM calls WHERE state IN ('queued', 'offering', 'ivr', 'connected',"
	" 'on_hold', 'wrap_up')" };

/* Where each field of a settings_row is in a statement's columns. */
struct settings_cols {
	int	 own, company, timezone, system;	/* -1: absent */
};

static const struct settings_cols system_cols = { 0, -1, -1, 0 };
static const struct settings_cols company_cols = { 0, -1, 1, 2 };
static const struct settings_cols user_cols = { 0, 1, 2, 3 };

/* res into *out, which keeps it: 1, 0 without a row, -1 if res is NULL. */
static int
settings_take(PGresult *res, const struct settings_cols *c,
    struct settings_row *out)
{
	memset(out, 0, sizeof *out);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	out->res = res;
	out->own = db_get(res, 0, c->own);
	out->company = c->company >= 0 ? db_get(res, 0, c->company) : NULL;
	out->timezone = c->timezone >= 0 ? db_get(res, 0, c->timezone) : NULL;
	out->system = db_get(res, 0, c->system);
	return 1;
}

void
settings_row_free(struct settings_row *row)
{
	PQclear(row->res);
	row->res = NULL;
}

int
db_settings_system(struct db *db, struct settings_row *out)
{
	return settings_take(db_run(db, &st_system_get, 0, NULL), &system_cols,
	    out);
}

int
db_settings_system_put(struct db *db, const char *set, const char *unset,
    struct settings_row *out)
{
	const char *p[2] = { set, unset };

	return settings_take(db_run(db, &st_system_put, 2, p), &system_cols,
	    out);
}

int
db_settings_company(struct db *db, const char *company,
    struct settings_row *out)
{
	const char *p[1] = { company };

	return settings_take(db_run(db, &st_company_get, 1, p), &company_cols,
	    out);
}

int
db_settings_company_put(struct db *db, const char *company, const char *set,
    const char *unset, const char *tz, struct settings_row *out)
{
	const char *p[4] = { company, set, unset, tz };

	return settings_take(db_run(db, &st_company_put, 4, p), &company_cols,
	    out);
}

int
db_settings_user(struct db *db, const char *user, struct settings_row *out)
{
	const char *p[1] = { user };

	return settings_take(db_run(db, &st_user_get, 1, p), &user_cols, out);
}

int
db_settings_user_put(struct db *db, const char *user, const char *set,
    const char *unset, struct settings_row *out)
{
	const char *p[3] = { user, set, unset };

	return settings_take(db_run(db, &st_user_put, 3, p), &user_cols, out);
}

int
db_settings_status(struct db *db, struct db_status *out)
{
	long long	*n[8] = { &out->companies, &out->queues, &out->agents,
	    &out->agents_signed_in, &out->waiting, &out->in_ivr,
	    &out->talking, &out->wrap_up };
	PGresult	*res;

	if ((res = db_run(db, &st_status, 0, NULL)) == NULL)
		return -1;
	for (int c = 0; c < 8; c++)
		*n[c] = strtoll(PQgetvalue(res, 0, c), NULL, 10);
	db_copy(out->schema_version, sizeof out->schema_version, res, 0, 8);
	db_copy(out->server_version, sizeof out->server_version, res, 0, 9);
	PQclear(res);
	return 0;
}

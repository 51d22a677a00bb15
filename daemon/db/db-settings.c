/*
 * SQL for settings at three scopes. Each scope is a JSON object holding
 * only what was set; an update merges "set" in and removes "unset" in one
 * statement, so two concurrent partial updates never lose each other's
 * keys. A company's time zone is the companies.timezone column.
 */
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

PGresult *
db_settings_system(struct db *db)
{
	return db_run(db, &st_system_get, 0, NULL);
}

PGresult *
db_settings_system_put(struct db *db, const char *set, const char *unset)
{
	const char *p[2] = { set, unset };

	return db_run(db, &st_system_put, 2, p);
}

PGresult *
db_settings_company(struct db *db, const char *company)
{
	const char *p[1] = { company };

	return db_run(db, &st_company_get, 1, p);
}

PGresult *
db_settings_company_put(struct db *db, const char *company, const char *set,
    const char *unset, const char *tz)
{
	const char *p[4] = { company, set, unset, tz };

	return db_run(db, &st_company_put, 4, p);
}

PGresult *
db_settings_user(struct db *db, const char *user)
{
	const char *p[1] = { user };

	return db_run(db, &st_user_get, 1, p);
}

PGresult *
db_settings_user_put(struct db *db, const char *user, const char *set,
    const char *unset)
{
	const char *p[3] = { user, set, unset };

	return db_run(db, &st_user_put, 3, p);
}

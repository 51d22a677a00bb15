/*
 * Settings rows. set is a JSON object merged in, unset a JSON array of keys
 * removed (back to their defaults).
 */
#ifndef DB_SETTINGS_H
#define DB_SETTINGS_H

#include <libpq-fe.h>

struct db;

/* One column: the system settings. */
PGresult	*db_settings_system(struct db *);
PGresult	*db_settings_system_put(struct db *, const char *set,
		    const char *unset);

enum { CSET_C_SETTINGS, CSET_C_TIMEZONE, CSET_C_SYSTEM };
/* No row when the company does not exist. */
PGresult	*db_settings_company(struct db *, const char *company);
/* tz NULL keeps the time zone. */
PGresult	*db_settings_company_put(struct db *, const char *company,
		    const char *set, const char *unset, const char *tz);

enum { USET_C_PREFS, USET_C_COMPANY, USET_C_TIMEZONE, USET_C_SYSTEM };
/* No row when the user does not exist. Company columns NULL for admins. */
PGresult	*db_settings_user(struct db *, const char *user);
PGresult	*db_settings_user_put(struct db *, const char *user,
		    const char *set, const char *unset);

#endif

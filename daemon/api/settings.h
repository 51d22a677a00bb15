/*
 * Settings at three scopes (system, company, user preferences): one table
 * of known keys per scope with type, range or choices and default. Other
 * modules read the effective values through these helpers.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <jansson.h>

struct db;
struct settings_row;

/* 1 when self-sign-up is open (system registration_open), 0, -1 on error. */
int	 settings_registration_open(struct db *);
/*
 * A user's effective language, time zone and theme (their preference, else
 * their company's, else the system's), as an object, from their row of
 * db_settings_user() or db_user_profile().
 */
json_t	*settings_effective(const struct settings_row *);

#endif

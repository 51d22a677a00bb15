/*
 * Settings at three scopes (system, company, user preferences): one table
 * of known keys per scope with type, range or choices and default. Other
 * modules read the effective values through these helpers.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <jansson.h>

struct db;

/* 1 when self-sign-up is open (system registration_open), 0, -1 on error. */
int	 settings_registration_open(struct db *);
/*
 * The signed-in user's effective language, time zone and theme (their
 * preference, else their company's, else the system's), as an object.
 * NULL on a database error or when the user is gone.
 */
json_t	*settings_user_effective(struct db *, const char *user);

#endif

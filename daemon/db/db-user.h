/* The users table. scope is NULL for every company, else one company id. */
#ifndef DB_USER_H
#define DB_USER_H

#include <jansson.h>

#include "db.h"

/* One user. Strings are the row's own; user_rows_free() frees them. */
struct user_row {
	char	 id[UUID_LEN + 1];
	char	*email;
	char	*name;
	char	 role[16];		/* admin, manager or agent */
	char	 company[UUID_LEN + 1];	/* "" for an admin */
	char	 created[32];		/* RFC 3339 */
	char	 updated[32];
	char	*last_login;		/* NULL: never */
	char	 key[24];		/* keyset pagination key */
	char	*hash;			/* the password hash: auth look-ups only */
};

struct user_rows {
	int		 n;
	struct user_row	*v;
};

void		 user_rows_free(struct user_rows *);
/* A user to the API's User object. */
json_t		*user_json(const struct user_row *);

struct user_filter {
	const char	*role;
	const char	*company;	/* admins only */
	const char	*q;
	const char	*q_email;	/* q as email_normalize() folds it */
	const char	*self;		/* agents see only themselves */
};

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set. Caller frees with user_rows_free().
 */
struct user_rows *db_user_list(struct db *, const char *scope,
		    const struct user_filter *, const struct page *);
struct user_rows *db_user_get(struct db *, const char *scope, const char *id);
struct settings_row;
/*
 * A user and, in *set (db-settings.h, freed with settings_row_free()), the
 * settings db_settings_user() reads, from one statement. *set is filled
 * only when the user exists.
 */
struct user_rows *db_user_profile(struct db *, const char *id,
		    struct settings_row *set);
/*
 * With the password hash, by e-mail (already through email_normalize())
 * or id, for authentication.
 */
struct user_rows *db_user_auth_email(struct db *, const char *email);
struct user_rows *db_user_auth_id(struct db *, const char *id);
struct user_rows *db_user_create(struct db *, const char *company,
		    const char *email, const char *name, const char *role,
		    const char *hash);
/* NULL arguments leave fields as they are. */
struct user_rows *db_user_update(struct db *, const char *scope,
		    const char *id, const char *email, const char *name,
		    const char *role, const char *hash);
struct user_rows *db_user_delete(struct db *, const char *scope,
		    const char *id);
int		 db_user_touch_login(struct db *, const char *id);
/* Lock the admin rows and count them (inside a transaction). -1 on error. */
int		 db_user_lock_admins(struct db *);

#endif

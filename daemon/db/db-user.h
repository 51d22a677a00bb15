/* The users table. scope is NULL for every company, else one company id. */
#ifndef DB_USER_H
#define DB_USER_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

/* Column numbers of user rows, for callers that need single fields. */
enum user_col {
	USER_ID, USER_EMAIL, USER_NAME, USER_ROLE, USER_COMPANY,
	USER_CREATED, USER_UPDATED, USER_LAST_LOGIN, USER_KEY, USER_HASH,
};

json_t		*user_json(const PGresult *, int row);

struct user_filter {
	const char	*role;
	const char	*company;	/* admins only */
	const char	*q;
	const char	*q_email;	/* q as email_normalize() folds it */
	const char	*self;		/* agents see only themselves */
};

PGresult	*db_user_list(struct db *, const char *scope,
		    const struct user_filter *, const struct page *);
PGresult	*db_user_get(struct db *, const char *scope, const char *id);
/*
 * With the password hash, by e-mail (already through email_normalize())
 * or id, for authentication.
 */
PGresult	*db_user_auth_email(struct db *, const char *email);
PGresult	*db_user_auth_id(struct db *, const char *id);
PGresult	*db_user_create(struct db *, const char *company,
		    const char *email, const char *name, const char *role,
		    const char *hash);
/* NULL arguments leave fields as they are. */
PGresult	*db_user_update(struct db *, const char *scope, const char *id,
		    const char *email, const char *name, const char *role,
		    const char *hash);
PGresult	*db_user_delete(struct db *, const char *scope, const char *id);
int		 db_user_touch_login(struct db *, const char *id);
/* Lock the admin rows and count them (inside a transaction). -1 on error. */
int		 db_user_lock_admins(struct db *);

#endif

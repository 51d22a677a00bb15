/*
 * Settings rows. set is a JSON object merged in, unset a JSON array of keys
 * removed (back to their defaults).
 */
#ifndef DB_SETTINGS_H
#define DB_SETTINGS_H

struct db;

/*
 * A scope's settings as stored: JSON text of objects holding only what was
 * set. The strings point into the row's own result; settings_row_free()
 * frees it (and is safe on a row never filled).
 */
struct settings_row {
	const char	*own;		/* the system's, company's or user's */
	const char	*company;	/* a user's company's; NULL for admins */
	const char	*timezone;	/* the company's; NULL for admins */
	const char	*system;	/* the system settings */
	void		*res;
};

void		 settings_row_free(struct settings_row *);

/*
 * Each fills *out and returns 1, 0 when the company or user does not
 * exist, -1 on a database error (db->err).
 */
int		 db_settings_system(struct db *, struct settings_row *out);
int		 db_settings_system_put(struct db *, const char *set,
		    const char *unset, struct settings_row *out);
int		 db_settings_company(struct db *, const char *company,
		    struct settings_row *out);
/* tz NULL keeps the time zone. */
int		 db_settings_company_put(struct db *, const char *company,
		    const char *set, const char *unset, const char *tz,
		    struct settings_row *out);
int		 db_settings_user(struct db *, const char *user,
		    struct settings_row *out);
int		 db_settings_user_put(struct db *, const char *user,
		    const char *set, const char *unset, struct settings_row *out);

/* The counts and versions of GET /api/settings/system/status. */
struct db_status {
	long long	 companies, queues, agents, agents_signed_in;
	long long	 waiting, in_ivr, talking, wrap_up;	/* calls */
	char		 schema_version[128];
	char		 server_version[128];
};

/* 0 and *out filled, or -1 on a database error (db->err). */
int		 db_settings_status(struct db *, struct db_status *out);

#endif

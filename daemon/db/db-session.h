/* Sessions and their refresh tokens (stored as SHA-256 hashes). */
#ifndef DB_SESSION_H
#define DB_SESSION_H

#include "db.h"

/* What a refresh token stands for. */
struct refresh_row {
	char	 session[UUID_LEN + 1];
	char	 user[UUID_LEN + 1];
	int	 used;		/* already rotated */
	int	 expired;
	int	 revoked;	/* its session is */
};

/* New session for user, its id into sid. -1 on error (db->err). */
int		 db_session_create(struct db *, const char *user,
		    const char *client_ip, const char *user_agent, int ttl,
		    char sid[UUID_LEN + 1]);
int		 db_refresh_store(struct db *, const char *token,
		    const char *session, int ttl);
/* Lock and describe the token's row into *out: 1, 0 unknown, -1 error. */
int		 db_refresh_find(struct db *, const char *token,
		    struct refresh_row *out);
int		 db_refresh_use(struct db *, const char *token);

/* A revoked session and until when its access tokens may still come. */
struct revoked {
	char	 sid[UUID_LEN + 1];
	time_t	 until;
};

struct revoked_rows {
	int		 n;
	struct revoked	*v;
};

void		 revoked_rows_free(struct revoked_rows *);
/*
 * Revocations still in force, after dropping the others. Revoking returns
 * the sessions newly revoked, remembered for ttl seconds: every session of
 * a user but except (may be NULL), of every user of a company, or one.
 * Each NULL on error (db->err); caller frees with revoked_rows_free().
 */
struct revoked_rows *db_revoked_load(struct db *);
struct revoked_rows *db_revoke_user(struct db *, const char *user, int ttl,
		    const char *except);
struct revoked_rows *db_revoke_company(struct db *, const char *company,
		    int ttl);
struct revoked_rows *db_revoke_one(struct db *, const char *sid, int ttl);
/* Is session sid of user, alive and not revoked? 1, 0, -1 on error. */
int		 db_session_alive(struct db *, const char *sid,
		    const char *user);

#endif

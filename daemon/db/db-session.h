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

#endif

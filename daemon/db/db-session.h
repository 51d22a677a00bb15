/* Sessions and their refresh tokens (stored as SHA-256 hashes). */
#ifndef DB_SESSION_H
#define DB_SESSION_H

#include <libpq-fe.h>

struct db;

enum refresh_col {
	REFRESH_SESSION, REFRESH_USED, REFRESH_EXPIRED, REFRESH_REVOKED,
	REFRESH_USER,
};

/* New session for user; returns its id row. */
PGresult	*db_session_create(struct db *, const char *user,
		    const char *client_ip, const char *user_agent, int ttl);
int		 db_refresh_store(struct db *, const char *token,
		    const char *session, int ttl);
/* Lock and describe the token's row (refresh_col); no rows if unknown. */
PGresult	*db_refresh_find(struct db *, const char *token);
int		 db_refresh_use(struct db *, const char *token);

#endif

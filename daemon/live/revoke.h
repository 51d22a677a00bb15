/*
 * Revoked sessions: access tokens carry their session id, and a session
 * revoked by logout, refresh-token reuse, a password or role change or a
 * deletion is refused until its last access token would have expired.
 * Shared by the loop (checks) and the workers (revocations).
 */
#ifndef REVOKE_H
#define REVOKE_H

#include <time.h>

struct db;

void	revoke_add(const char *sid, time_t until);
int	revoke_check(const char *sid, time_t now);
/* Bumped by every revoke_add(): any thread, no lock. */
unsigned long	revoke_generation(void);
/* Load the revocations that may still matter, at start-up. */
int	revoke_load(struct db *);
/* Revoke every session of a user but except (may be NULL). -1 on error. */
int	revoke_user_sessions(struct db *, const char *user_id,
	    const char *except);
/* Every session of every user of a company. */
int	revoke_company_sessions(struct db *, const char *company_id);
/* Persist and remember one session. */
int	revoke_session(struct db *, const char *sid);

/*
 * Inside a transaction of the caller (the operations table's
 * configuration changes): the same writes, remembered only once the
 * transaction has committed, by revoke_committed(). The sessions revoked,
 * or NULL on a database error (db->err); caller frees with
 * revoked_rows_free().
 */
struct revoked_rows;
struct revoked_rows *revoke_user_sessions_tx(struct db *, const char *user_id);
struct revoked_rows *revoke_company_sessions_tx(struct db *,
	    const char *company_id);
/* Remember what a committed transaction revoked (rows may be NULL). */
void	revoke_committed(const struct revoked_rows *);

/*
 * Is the token's session one the database knows, alive, of this user? 1
 * yes, 0 no, -1 database error. Cached for a minute; workers only.
 */
int	revoke_session_live(struct db *, const char *sid, const char *user);

#endif

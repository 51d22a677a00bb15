/*
 * The in-memory set of revoked sessions, a hash set guarded by one mutex,
 * backed by the revoked_sessions table so restarts keep it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "daemon.h"
#include "db.h"
#include "db-session.h"
#include "db-cluster.h"
#include "revoke.h"

struct entry {
	char		 sid[40];
	time_t		 until;
	struct entry	*next;
};

#define NBUCKETS 1024

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry	*buckets[NBUCKETS];
static size_t		 count;
static unsigned long	 generation;	/* every revoke_add(): atomic */

static unsigned
hash(const char *s)
{
	unsigned	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

void
revoke_add(const char *sid, time_t until)
{
	struct entry	*e, **pp;
	unsigned	 b = hash(sid);
	time_t		 now = time(NULL);

	pthread_mutex_lock(&lock);
	/* Checked by revoke_check() under the lock: seen once it is bumped. */
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
	/* Drop expired entries of this bucket while we are here. */
	for (pp = &buckets[b]; (e = *pp) != NULL;) {
		if (e->until < now) {
			*pp = e->next;
			free(e);
			count--;
		} else if (strcmp(e->sid, sid) == 0) {
			if (until > e->until)
				e->until = until;
			pthread_mutex_unlock(&lock);
			return;
		} else
			pp = &e->next;
	}
	e = xcalloc(1, sizeof *e);
	strlcpy_(e->sid, sid, sizeof e->sid);
	e->until = until;
	e->next = buckets[b];
	buckets[b] = e;
	count++;
	pthread_mutex_unlock(&lock);
}

unsigned long
revoke_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

int
revoke_check(const char *sid, time_t now)
{
	struct entry	*e;
	int		 found = 0;

	if (sid[0] == '\0')
		return 0;
	pthread_mutex_lock(&lock);
	if (count > 0) {
		for (e = buckets[hash(sid)]; e != NULL; e = e->next) {
			if (strcmp(e->sid, sid) == 0 && e->until >= now) {
				found = 1;
				break;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/* Remember rows and free them; -1 when NULL (a database error). */
static int
remember(struct revoked_rows *rows)
{
	if (rows == NULL)
		return -1;
	for (int i = 0; i < rows->n; i++)
		revoke_add(rows->v[i].sid, rows->v[i].until);
	revoked_rows_free(rows);
	return 0;
}

int
revoke_load(struct db *db)
{
	return remember(db_revoked_load(db));
}

/* Access tokens live at most access_ttl (+ leeway): remember that long. */
#define REMEMBER	(cfg.access_ttl + 60)

/*
 * A revocation of this request: the other nodes of a cluster have it
 * before the answer goes (db-cluster.h).
 */
static int
revoked(struct revoked_rows *rows)
{
	if (rows != NULL && rows->n > 0)
		db_cluster_revoked();
	return remember(rows);
}

int
revoke_user_sessions(struct db *db, const char *user_id, const char *except)
{
	return revoked(db_revoke_user(db, user_id, REMEMBER, except));
}

int
revoke_session(struct db *db, const char *sid)
{
	return revoked(db_revoke_one(db, sid, REMEMBER));
}

int
revoke_company_sessions(struct db *db, const char *company_id)
{
	return revoked(db_revoke_company(db, company_id, REMEMBER));
}

struct revoked_rows *
revoke_user_sessions_tx(struct db *db, const char *user_id)
{
	return db_revoke_user(db, user_id, REMEMBER, NULL);
}

struct revoked_rows *
revoke_company_sessions_tx(struct db *db, const char *company_id)
{
	return db_revoke_company(db, company_id, REMEMBER);
}

void
revoke_committed(const struct revoked_rows *rows)
{
	if (rows == NULL || rows->n == 0)
		return;
	db_cluster_revoked();
	for (int i = 0; i < rows->n; i++)
		revoke_add(rows->v[i].sid, rows->v[i].until);
}

/*
 * Sessions seen alive recently, so that a token whose session the database
 * does not know (a deleted user, a forged sid) is refused without a query
 * per request. Revocations are checked separately, on every request.
 */
#define LIVE_SLOTS	4096
#define LIVE_SECONDS	60

static struct {
	char	 sid[40];
	char	 user[40];
	time_t	 until;
} live[LIVE_SLOTS];
static pthread_mutex_t	 live_lock = PTHREAD_MUTEX_INITIALIZER;

int
revoke_session_live(struct db *db, const char *sid, const char *user)
{
	unsigned	 slot = hash(sid) % LIVE_SLOTS;
	time_t		 now = time(NULL);
	int		 ok;

	pthread_mutex_lock(&live_lock);
	ok = live[slot].until >= now && strcmp(live[slot].sid, sid) == 0 &&
	    strcmp(live[slot].user, user) == 0;
	pthread_mutex_unlock(&live_lock);
	if (ok)
		return 1;
	if ((ok = db_session_alive(db, sid, user)) < 0)
		return -1;
	if (ok) {
		pthread_mutex_lock(&live_lock);
		strlcpy_(live[slot].sid, sid, sizeof live[slot].sid);
		strlcpy_(live[slot].user, user, sizeof live[slot].user);
		live[slot].until = now + LIVE_SECONDS;
		pthread_mutex_unlock(&live_lock);
	}
	return ok;
}

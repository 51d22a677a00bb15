/*
 * Company leases (db-owner.h). The node a company hashes to among the live
 * nodes of its cluster (live/owner.c ranks them) takes its lease, and a
 * node that holds a lease it no longer hashes to gives it back, for the
 * other to take at its next round. Liveness for this is a heartbeat
 * younger than the company lease, not the registry's longer expiry: a
 * frozen node loses its companies as fast as its leases run out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-owner.h"

#define PREFIX	"company:"

/* The live nodes of cluster $1 (a heartbeat younger than $2 seconds). */
static struct db_stmt st_live = { .sql = "SELECT id FROM cluster_nodes"
	" WHERE cluster = $1 AND expires_at > now()"
	" AND heartbeat_at > now() - make_interval(secs => $2::float8)"
	" ORDER BY id" };
/* Has the set of companies changed? A count and a sum of hashes. */
static struct db_stmt st_print = { .sql = "SELECT count(*) || ' ' ||"
	" coalesce(sum(hashtext(id::text)::bigint), 0) FROM companies" };
static struct db_stmt st_companies = { .sql =
	"SELECT id FROM companies ORDER BY id" };
/* Renew what we hold and still want (no lock of the fences in its way). */
static struct db_stmt st_renew = { .sql = "UPDATE cluster_leases"
	" SET expires_at = now() + make_interval(secs => $2::float8)"
	" WHERE node_id = $1::uuid AND expires_at > now()"
	" AND name = ANY ($3::text[])" };
/* Leases never held before. */
static struct db_stmt st_new = { .sql = "INSERT INTO cluster_leases"
	" (name, node_id, epoch, acquired_at, expires_at)"
	" SELECT n, $1::uuid, 1, now(), now() + make_interval(secs => $2::float8)"
	" FROM unnest($3::text[]) n ON CONFLICT (name) DO NOTHING" };
/*
 * Leases that ran out or were given back: ours with the next epoch. A
 * lease whose holder's decision passed its fence and has not committed
 * yet holds the company's advisory lock shared (st_fence): the exclusive
 * try fails and the lease is skipped, not waited for; the next round
 * tries it again. The CASE keeps the lock tries to the rows taken.
 */
#define FENCE_LOCK	"4242"	/* the advisory lock class of fences */
static struct db_stmt st_take = { .sql = "UPDATE cluster_leases l"
	" SET node_id = $1::uuid, epoch = l.epoch + 1, acquired_at = now(),"
	" expires_at = now() + make_interval(secs => $2::float8)"
	" FROM (SELECT name FROM cluster_leases WHERE CASE"
	"  WHEN name = ANY ($3::text[]) AND expires_at <= now()"
	"  THEN pg_try_advisory_xact_lock(" FENCE_LOCK ","
	"   hashtext(substr(name, length('" PREFIX "') + 1)))"
	"  ELSE false END ORDER BY name FOR UPDATE SKIP LOCKED) f"
	" WHERE l.name = f.name" };
/* Give back what we hold and no longer hash to (a node joined). */
static struct db_stmt st_give = { .sql = "UPDATE cluster_leases"
	" SET expires_at = now() WHERE node_id = $1::uuid"
	" AND name LIKE '" PREFIX "%' AND expires_at > now()"
	" AND name <> ALL ($2::text[])" };
static struct db_stmt st_read = { .sql = "SELECT"
	" substr(l.name, length('" PREFIX "') + 1),"
	" coalesce(l.node_id::text, ''), l.epoch, coalesce(n.url, ''),"
	" extract(epoch FROM l.expires_at - now())"
	" FROM cluster_leases l LEFT JOIN cluster_nodes n ON n.id = l.node_id"
	" WHERE l.name LIKE '" PREFIX "%' AND l.expires_at > now()" };
/* The lease is still ours at the epoch; the company's advisory lock held
 * shared until COMMIT (in memory: no row lock, nothing written). */
static struct db_stmt st_fence = { .sql = "SELECT 1 FROM cluster_leases"
	" WHERE name = '" PREFIX "' || $1 AND node_id = $2::uuid"
	" AND epoch = $3::bigint AND expires_at > now()"
	" AND pg_try_advisory_xact_lock_shared(" FENCE_LOCK ", hashtext($1))" };
/* The leases of deleted companies, once run out. */
static struct db_stmt st_prune = { .sql = "DELETE FROM cluster_leases l"
	" WHERE name LIKE '" PREFIX "%' AND expires_at < now() - interval '1 minute'"
	" AND NOT EXISTS (SELECT 1 FROM companies c"
	"  WHERE '" PREFIX "' || c.id = l.name)" };
static struct db_stmt st_changed = { .sql =
	"SELECT pg_notify('" CLUSTER_CH_CONFIG "', $1)" };

/* want as a text[] literal of "company:<id>" (ids: nothing to quote). */
static char *
names_array(const struct db_ids *want)
{
	size_t	 len = 3, off = 0;
	char	*s;

	len += (size_t)want->n * (strlen(PREFIX) + UUID_LEN + 1);
	s = xmalloc(len);
	s[off++] = '{';
	for (int i = 0; i < want->n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s" PREFIX "%s",
		    i > 0 ? "," : "", want->v[i]);
	s[off++] = '}';
	s[off] = '\0';
	return s;
}

struct db_ids *
db_owner_nodes(struct db *db, const char *cluster, double window)
{
	char		 win[32];
	const char	*p[2] = { cluster, win };

	snprintf(win, sizeof win, "%.3f", window);
	return db_ids_take(db_run(db, &st_live, 2, p), 0);
}

int
db_owner_print(struct db *db, char *buf, size_t len)
{
	PGresult	*res;

	if ((res = db_run(db, &st_print, 0, NULL)) == NULL)
		return -1;
	db_copy(buf, len, res, 0, 0);
	PQclear(res);
	return 0;
}

struct db_ids *
db_owner_companies(struct db *db)
{
	return db_ids_take(db_run(db, &st_companies, 0, NULL), 0);
}

/* Run st with params p; 0 or -1. */
static int
run(struct db *db, struct db_stmt *st, int n, const char *const *p)
{
	PGresult	*res;

	if ((res = db_run(db, st, n, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_owner_round(struct db *db, const char *self, const struct db_ids *take,
    double lease, double t0, struct owner_lease **out, int *n)
{
	char		 secs[32], *want;
	const char	*p[3];
	PGresult	*res;
	struct owner_lease *v;
	double		 left;
	int		 rc;

	*out = NULL;
	*n = 0;
	snprintf(secs, sizeof secs, "%.3f", lease);
	want = names_array(take);
	p[0] = self;
	p[1] = secs;
	p[2] = want;
	rc = run(db, &st_renew, 3, p) != 0 || run(db, &st_new, 3, p) != 0 ||
	    run(db, &st_take, 3, p) != 0;
	p[1] = want;
	rc = rc || run(db, &st_give, 2, p) != 0;
	free(want);
	if (rc)
		return -1;
	if ((res = db_run(db, &st_read, 0, NULL)) == NULL)
		return -1;
	*n = PQntuples(res);
	v = xcalloc((size_t)*n + 1, sizeof *v);
	for (int r = 0; r < *n; r++) {
		db_copy(v[r].company, sizeof v[r].company, res, r, 0);
		db_copy(v[r].node, sizeof v[r].node, res, r, 1);
		v[r].epoch = strtoll(PQgetvalue(res, r, 2), NULL, 10);
		db_copy(v[r].url, sizeof v[r].url, res, r, 3);
		left = strtod(PQgetvalue(res, r, 4), NULL);
		/* Ours: never past what we asked for, counted from before. */
		if (strcmp(v[r].node, self) == 0 && left > lease)
			left = lease;
		v[r].until = t0 + left;
	}
	PQclear(res);
	*out = v;
	return 0;
}

int
db_owner_fence(struct db *db, const char *company, const char *self,
    long long epoch)
{
	char		 e[32];
	const char	*p[3] = { company, self, e };
	PGresult	*res;
	int		 ok;

	snprintf(e, sizeof e, "%lld", epoch);
	if ((res = db_run(db, &st_fence, 3, p)) == NULL)
		return -1;
	ok = PQntuples(res) == 1;
	PQclear(res);
	if (!ok) {
		db->err = DB_FENCED;
		return -1;
	}
	return 0;
}

int
db_owner_prune(struct db *db)
{
	return run(db, &st_prune, 0, NULL);
}

int
db_owner_changed(struct db *db, const char *company)
{
	const char	*p[1] = { company };
	PGresult	*res;

	if ((res = db_run(db, &st_changed, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * Schema migrations: the sql/NNN_name.sql files that scripts/embed-sql.sh
 * builds into the daemon, applied in order, each in its own transaction,
 * under an advisory lock so that daemons starting together take turns.
 * schema_migrations records each one's name and the SHA-256 of its file. A
 * database whose record disagrees with this build (a file changed after it
 * was applied, or a migration this build does not have) is refused: running
 * on it would mean a schema that differs from a fresh database's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"

struct migration {
	const char	*name;
	const char	*sql;
};
/* Generated from sql/NNN_name.sql by scripts/embed-sql.sh. */
extern const struct migration	migrations[];
extern const size_t		nmigrations;

#define LOCK_KEY	"hashtext('calldocker.migrations')"
#define SUM_HEX		64	/* SHA-256 in hex */

/* What the database says of one of this build's migrations. */
enum mig_state {
	MIG_PENDING,		/* not applied yet */
	MIG_UNRECORDED,		/* applied before checksums were kept */
	MIG_APPLIED,		/* applied, same checksum */
};

struct mig {
	enum mig_state	 state;
	char		 sum[SUM_HEX + 1];
};

/*
 * The runner's own table. The checksum column came later: it is added here,
 * not by a migration, so old and new databases end up with the same table.
 */
static const char bootstrap_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text";

static int
migrate_ok(PGresult *res)
{
	ExecStatusType	 st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* The server's message without its trailing newline. Caller frees. */
static char *
migrate_error(struct db *db, PGresult *res)
{
	const char	*msg = res ? PQresultErrorMessage(res) : "";
	size_t		 n;

	if (*msg == '\0')
		msg = PQerrorMessage(db->conn);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return xstrndup(msg, n);
}

/*
 * Run sql; on failure fill *cause, prefixed with what. Without parameters
 * sql may be several statements (a migration is).
 */
static int
migrate_exec(struct db *db, const char *sql, int n, const char *const *params,
    const char *what, char **cause)
{
	PGresult	*res;
	char		*msg;

	if (n == 0)
		res = PQexec(db->conn, sql);
	else
		res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL,
		    0);
	if (migrate_ok(res)) {
		PQclear(res);
		return 0;
	}
	msg = migrate_error(db, res);
	*cause = xasprintf("%s: %s", what, msg);
	free(msg);
	PQclear(res);
	return -1;
}

/* The SHA-256 of sql in hex, into hex[SUM_HEX + 1]. */
static void
migrate_sum(const char *sql, char *hex)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;

	if (!EVP_Digest(sql, strlen(sql), md, &len, EVP_sha256(), NULL) ||
	    len * 2 != SUM_HEX)
		fatal("database: cannot compute SHA-256");
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/*
 * For tests only: CALLDOCKER_MIGRATE_UNTIL=NNN applies the migrations
 * numbered up to NNN and no further, leaving a database as an older daemon
 * did. Unset, everything is applied.
 */
static int
migrate_until(long *until, char **cause)
{
	const char	*s = getenv("CALLDOCKER_MIGRATE_UNTIL");
	char		*end;

	*until = LONG_MAX;
	if (s == NULL || *s == '\0')
		return 0;
	*until = strtol(s, &end, 10);
	if (*end != '\0' || *until < 0 || *until == LONG_MAX) {
		*cause = xasprintf("CALLDOCKER_MIGRATE_UNTIL=%s is not a"
		    " migration number", s);
		return -1;
	}
	log_warn("database: CALLDOCKER_MIGRATE_UNTIL=%ld: migrations after it"
	    " are not applied (for tests only)", *until);
	return 0;
}

/* Compare schema_migrations with this build; fill mig[]. */
static int
migrate_check(struct db *db, struct mig *mig, char **cause)
{
	PGresult	*res;
	const char	*name, *sum;
	char		*msg;
	size_t		 i;
	int		 r, rc = -1;

	res = PQexec(db->conn, "SELECT version, checksum FROM schema_migrations"
	    " ORDER BY version");
	if (!migrate_ok(res)) {
		msg = migrate_error(db, res);
		*cause = xasprintf("cannot read schema_migrations: %s", msg);
		free(msg);
		goto out;
	}
	for (r = 0; r < PQntuples(res); r++) {
		name = PQgetvalue(res, r, 0);
		sum = PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1);
		for (i = 0; i < nmigrations; i++)
			if (strcmp(migrations[i].name, name) == 0)
				break;
		if (i == nmigrations) {
			*cause = xasprintf("migration %s.sql is applied but this"
			    " build does not have it (a newer calldockerd's?);"
			    " run a calldockerd that has it", name);
			goto out;
		}
		if (sum != NULL && strcmp(sum, mig[i].sum) != 0) {
			*cause = xasprintf("migration %s.sql was changed after it"
			    " was applied (checksum %s in the database, %s in"
			    " this build); add a new migration instead", name,
			    sum, mig[i].sum);
			goto out;
		}
		mig[i].state = sum == NULL ? MIG_UNRECORDED : MIG_APPLIED;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* Apply migration i and record it, in one transaction. */
static int
migrate_apply(struct db *db, size_t i, const char *sum, char **cause)
{
	const char	*p[2] = { migrations[i].name, sum };
	char		*what;
	int		 rc = -1;

	what = xasprintf("migration %s.sql failed", migrations[i].name);
	if (migrate_exec(db, "BEGIN", 0, NULL, what, cause) != 0)
		goto out;
	if (migrate_exec(db, migrations[i].sql, 0, NULL, what, cause) != 0)
		goto out;
	if (migrate_exec(db, "INSERT INTO schema_migrations (version,"
	    " checksum) VALUES ($1, $2)", 2, p, what, cause) != 0 ||
	    migrate_exec(db, "COMMIT", 0, NULL, what, cause) != 0)
		goto out;
	log_info("database: applied migration %s.sql", migrations[i].name);
	rc = 0;
out:
	if (rc != 0)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	free(what);
	return rc;
}

int
db_migrate(struct db *db, char **cause)
{
	struct mig	*mig = NULL;
	const char	*p[2];
	long		 until;
	int		 rc = -1, locked = 0;

	if (db_ensure(db) != 0) {
		*cause = xstrdup("database unreachable");
		return -1;
	}
	if (migrate_until(&until, cause) != 0)
		return -1;
	if (migrate_exec(db, "SELECT pg_advisory_lock(" LOCK_KEY ")", 0, NULL,
	    "cannot lock migrations", cause) != 0)
		goto out;
	locked = 1;
	if (migrate_exec(db, bootstrap_sql, 0, NULL,
	    "cannot create schema_migrations", cause) != 0)
		goto out;

	mig = xcalloc(nmigrations, sizeof *mig);
	for (size_t i = 0; i < nmigrations; i++)
		migrate_sum(migrations[i].sql, mig[i].sum);
	if (migrate_check(db, mig, cause) != 0)
		goto out;

	for (size_t i = 0; i < nmigrations; i++) {
		if (mig[i].state != MIG_UNRECORDED)
			continue;
		p[0] = migrations[i].name;
		p[1] = mig[i].sum;
		if (migrate_exec(db, "UPDATE schema_migrations SET checksum = $2"
		    " WHERE version = $1 AND checksum IS NULL", 2, p,
		    "cannot record a checksum", cause) != 0)
			goto out;
		log_info("database: recorded the checksum of migration %s.sql,"
		    " applied before checksums were kept", migrations[i].name);
	}
	for (size_t i = 0; i < nmigrations; i++) {
		if (mig[i].state != MIG_PENDING ||
		    strtol(migrations[i].name, NULL, 10) > until)
			continue;
		if (migrate_apply(db, i, mig[i].sum, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	if (locked && PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "SELECT pg_advisory_unlock(" LOCK_KEY
		    ")"));
	free(mig);
	return rc;
}

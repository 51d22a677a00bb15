/*
 * Database connections and statements. Each worker owns one struct db; the
 * event loop never touches one. A lost connection is retried with backoff
 * and, meanwhile, callers answer 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"

#define RETRY_SECONDS	1

static int	next_stmt_id = 1;

void
db_init(struct db *db, const char *url)
{
	memset(db, 0, sizeof *db);
	db->url = url;
}

/* Statements live on the connection: they go with it. */
void
db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	free(db->prepared);
	db->prepared = NULL;
	db->nprepared = 0;
}

static void
db_notice(void *arg, const char *msg)
{
	log_debug("database: %s", msg);
}

int
db_ensure(struct db *db)
{
	/*
	 * No JIT: its compile time (1-2 s seen) dwarfs the daemon's short
	 * queries whenever an estimate runs high. Before dbname, so options
	 * in the configured URL still win.
	 */
	const char	*keys[] = { "connect_timeout", "options", "dbname", NULL };
	const char	*vals[] = { "3", "-c jit=off", db->url ? db->url : "",
	    NULL };
	time_t		 now = time(NULL);

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (now < db->retry_at)
		return -1;
	db_close(db);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		log_warn("database: connection failed: %s",
		    PQerrorMessage(db->conn));
		db_close(db);
		db->retry_at = now + RETRY_SECONDS;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	log_debug("database: connected");
	return 0;
}

void
db_classify(struct db *db, PGresult *res)
{
	const char	*state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char	*cons;

	db->constraint[0] = '\0';
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db->err = DB_DOWN;
		return;
	}
	if (state != NULL && strcmp(state, "23505") == 0)
		db->err = DB_UNIQUE;
	else if (state != NULL && strcmp(state, "23503") == 0)
		db->err = DB_FOREIGN;
	else if (state != NULL && strncmp(state, "08", 2) == 0)
		db->err = DB_DOWN;
	else {
		db->err = DB_FAILED;
		log_error("database: %s", res ? PQresultErrorMessage(res) :
		    PQerrorMessage(db->conn));
	}
	cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	if (cons != NULL)
		strlcpy_(db->constraint, cons, sizeof db->constraint);
}

static int
db_ok(PGresult *res)
{
	ExecStatusType	 st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/*
 * Make room for statement id in this connection's table. The table belongs
 * to the one thread that owns the struct db; only ids are shared.
 */
static void
db_grow(struct db *db, size_t id)
{
	size_t	 n = db->nprepared ? db->nprepared : 128;

	while (n <= id)
		n *= 2;
	db->prepared = xrealloc(db->prepared, n);
	memset(db->prepared + db->nprepared, 0, n - db->nprepared);
	db->nprepared = n;
}

PGresult *
db_run(struct db *db, struct db_stmt *st, int n, const char *const *params)
{
	PGresult	*res;
	char		 name[16];
	int		 id;

	db->err = DB_OK;
	if (db_ensure(db) != 0) {
		db->err = DB_DOWN;
		return NULL;
	}
	if ((id = __atomic_load_n(&st->id, __ATOMIC_ACQUIRE)) == 0) {
		int fresh = __atomic_fetch_add(&next_stmt_id, 1, __ATOMIC_SEQ_CST);
		int zero = 0;

		if (!__atomic_compare_exchange_n(&st->id, &zero, fresh, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			fresh = zero;
		id = fresh;
	}
	if ((size_t)id >= db->nprepared)
		db_grow(db, (size_t)id);
	snprintf(name, sizeof name, "s%d", id);
	if (db->batch != NULL) {
		int prepare = !db->prepared[id];

		db->prepared[id] = 1;
		return db->batch_query(db, name, st->sql, prepare, n, params);
	}
	if (!db->prepared[id]) {
		res = PQprepare(db->conn, name, st->sql, 0, NULL);
		if (!db_ok(res)) {
			db_classify(db, res);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		db->prepared[id] = 1;
	}
	res = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
	if (!db_ok(res)) {
		db_classify(db, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int
db_simple(struct db *db, const char *sql)
{
	PGresult	*res;

	db->err = DB_OK;
	if (db->batch != NULL) {
		log_error("database: \"%s\" inside a pipelined batch", sql);
		db->err = DB_FAILED;
		return -1;
	}
	if (db_ensure(db) != 0) {
		db->err = DB_DOWN;
		return -1;
	}
	res = PQexec(db->conn, sql);
	if (!db_ok(res)) {
		db_classify(db, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
db_begin(struct db *db)
{
	return db_simple(db, "BEGIN");
}

int
db_commit(struct db *db)
{
	return db_simple(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	enum db_error	 saved = db->err;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->err = saved;
}

const char *
db_get(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

void
db_copy(char *buf, size_t len, const PGresult *res, int r, int c)
{
	strlcpy_(buf, PQgetisnull(res, r, c) ? "" : PQgetvalue(res, r, c), len);
}

char *
db_dup(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? NULL : xstrdup(PQgetvalue(res, r, c));
}

struct db_ids *
db_ids_take(PGresult *res, int c)
{
	struct db_ids	*ids;

	if (res == NULL)
		return NULL;
	ids = xcalloc(1, sizeof *ids);
	ids->n = PQntuples(res);
	ids->v = xcalloc(ids->n > 0 ? (size_t)ids->n : 1, sizeof *ids->v);
	for (int i = 0; i < ids->n; i++)
		db_copy(ids->v[i], sizeof ids->v[i], res, i, c);
	PQclear(res);
	return ids;
}

void
db_ids_free(struct db_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->v);
	free(ids);
}

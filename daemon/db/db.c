/*
 * Database connections and statements. Each worker owns one struct db; the
 * event loop never touches one. A lost connection is retried with backoff
 * and, meanwhile, callers answer 503. Nothing here waits on the server
 * without a bound: a frozen server (stopped, not down) answers nothing,
 * and libpq alone would wait for it forever.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "db.h"

#define RETRY_SECONDS	1
#define CONNECT_SECONDS	3	/* to connect when there is no timeout */
#define SLICE_MS	250	/* how often a wait looks at db->stop */

static int	next_stmt_id = 1;

void
db_init(struct db *db, const char *url)
{
	memset(db, 0, sizeof *db);
	db->url = url;
	db->timeout = cfg.db_timeout;
}

/* Statements live on the connection: they go with it. */
void
db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->readonly = 0;
	free(db->prepared);
	db->prepared = NULL;
	db->nprepared = 0;
}

void
db_drop(struct db *db)
{
	db_close(db);
	db->retry_at = now_mono() + RETRY_SECONDS;
}

static void
db_notice(void *arg, const char *msg)
{
	log_debug("database: %s", msg);
}

/* When the step starting now must be over; 0 for never. */
static double
db_limit(const struct db *db)
{
	double	 limit = 0;

	if (db->timeout > 0)
		limit = now_mono() + db->timeout;
	if (db->deadline > 0 && (limit == 0 || db->deadline < limit))
		limit = db->deadline;
	return limit;
}

/* Wait for events on fd until limit: 1 ready, 0 time up, -1 stopped. */
static int
db_poll(struct db *db, int fd, short events, double limit)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };
	double		 left;
	int		 ms, n;

	for (;;) {
		if (db->stop != NULL && __atomic_load_n(db->stop,
		    __ATOMIC_ACQUIRE))
			return -1;
		ms = db->stop != NULL ? SLICE_MS : -1;
		if (limit > 0) {
			if ((left = limit - now_mono()) <= 0)
				return 0;
			if (ms < 0 || left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		if ((n = poll(&pfd, 1, ms)) > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

int
db_ensure(struct db *db)
{
	/*
	 * No JIT: its compile time (1-2 s seen) dwarfs the daemon's short
	 * queries whenever an estimate runs high. Before dbname, so options
	 * in the configured URL still win. The keepalives and the user
	 * timeout find a peer gone from a TCP connection.
	 */
	const char	*keys[] = { "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "options", "dbname", NULL };
	char		 ct[16], idle[16], intv[16], uto[16], opts[96];
	const char	*vals[] = { ct, "1", idle, intv, "3", uto, opts,
	    db->url ? db->url : "", NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	double		 limit, now = now_mono();
	int		 t = db->timeout > 0 ? (int)db->timeout : CONNECT_SECONDS;
	int		 rc;

	if (db->conn != NULL && db->readonly && db->batch == NULL)
		db_close(db);	/* on a standby: try the hosts again */
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (now < db->retry_at)
		return -1;
	db_close(db);
	snprintf(ct, sizeof ct, "%d", t < 2 ? 2 : t);
	snprintf(idle, sizeof idle, "%d", t);
	snprintf(intv, sizeof intv, "%d", t / 3 > 0 ? t / 3 : 1);
	snprintf(uto, sizeof uto, "%d", t * 1000);
	if (db->timeout > 0)
		snprintf(opts, sizeof opts, "-c jit=off -c statement_timeout=%d",
		    (int)(db->timeout * 1000));
	else
		snprintf(opts, sizeof opts, "-c jit=off");
	if ((limit = db_limit(db)) == 0)
		limit = now + CONNECT_SECONDS;
	db->conn = PQconnectStartParams(keys, vals, 1);
	if (db->conn == NULL)
		fatal("database: out of memory");
	while (PQstatus(db->conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		rc = db_poll(db, PQsocket(db->conn), st ==
		    PGRES_POLLING_READING ? POLLIN : POLLOUT, limit);
		if (rc <= 0) {
			log_warn("database: connection failed: no answer"
			    " within %.0f seconds", limit - now);
			db_drop(db);
			return -1;
		}
		st = PQconnectPoll(db->conn);
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		log_warn("database: connection failed: %s",
		    PQerrorMessage(db->conn));
		db_drop(db);
		return -1;
	}
	/* Sending never blocks; db_wait() flushes within the deadlines. */
	PQsetnonblocking(db->conn, 1);
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	log_debug("database: connected");
	return 0;
}

int
db_wait(struct db *db)
{
	double	 limit = db_limit(db), from = now_mono();
	int	 fl, rc;

	while (db->conn != NULL) {
		if ((fl = PQflush(db->conn)) < 0)
			break;
		if (fl == 0 && !PQisBusy(db->conn)) {
			/*
			 * The server answers: the request's deadline is met,
			 * and what it started is carried through.
			 */
			db->deadline = 0;
			db->cancel = NULL;
			return 0;
		}
		rc = db_poll(db, PQsocket(db->conn), POLLIN |
		    (fl ? POLLOUT : 0), limit);
		if (rc == 0) {
			/* Hung, not gone: no reconnection for a while. */
			log_warn("database: no answer within %.1f seconds",
			    limit - from);
			db->retry_at = now_mono() + RETRY_SECONDS;
		}
		if (rc <= 0 || PQconsumeInput(db->conn) != 1)
			break;
	}
	db->err = DB_DOWN;
	return -1;
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
	if (state != NULL && strcmp(state, "25006") == 0) {
		/*
		 * read_only_sql_transaction: the server we are connected to
		 * is a standby now (a demoted primary, or a node that has not
		 * finished its promotion). The connection is fine but useless
		 * to us: the next db_ensure() closes it, as if lost, and goes
		 * through the URL's hosts again (target_session_attrs). Not
		 * here: a pipelined batch or a transaction still reads and
		 * rolls back on it.
		 */
		if (!db->readonly)
			log_warn("database: the server is read-only (a standby"
			    " now); reconnecting");
		db->readonly = 1;
		db->err = DB_DOWN;
	} else if (state != NULL && strcmp(state, "23505") == 0)
		db->err = DB_UNIQUE;
	else if (state != NULL && strcmp(state, "23503") == 0)
		db->err = DB_FOREIGN;
	else if (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57", 2) == 0))
		db->err = DB_DOWN;	/* also statement_timeout, shutdown */
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

/* Before a statement: still wanted, in time, connected. */
static int
db_start(struct db *db)
{
	db->err = DB_OK;
	if ((db->cancel != NULL && __atomic_load_n(db->cancel,
	    __ATOMIC_ACQUIRE)) ||
	    (db->deadline > 0 && now_mono() >= db->deadline) ||
	    db_ensure(db) != 0) {
		db->err = DB_DOWN;
		return -1;
	}
	return 0;
}

/*
 * The result of what was just sent (sent: what PQsend*() returned), its
 * first error else its last; NULL with db->err set on failure. A wait that
 * failed closes the connection: what it was doing is not known.
 */
static PGresult *
db_finish(struct db *db, int sent)
{
	PGresult	*res, *out = NULL;

	if (!sent) {
		db_classify(db, NULL);
		return NULL;
	}
	for (;;) {
		if (db_wait(db) != 0) {
			PQclear(out);
			db_close(db);
			db->err = DB_DOWN;
			return NULL;
		}
		if ((res = PQgetResult(db->conn)) == NULL)
			break;
		if (out == NULL || db_ok(out)) {
			PQclear(out);
			out = res;
		} else
			PQclear(res);
	}
	if (out == NULL || !db_ok(out)) {
		db_classify(db, out);
		PQclear(out);
		return NULL;
	}
	return out;
}

json_t *
db_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
db_json_value(const char *s, json_t *dflt)
{
	json_t	*v = s != NULL ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	if (v == NULL)
		return dflt;
	json_decref(dflt);
	return v;
}

int
db_ping(struct db *db)
{
	static struct db_stmt st_ping = { .sql = "SELECT 1" };

	return db_exec(db, &st_ping, 0, NULL);
}

int
db_exec(struct db *db, struct db_stmt *st, int n, const char *const *params)
{
	PGresult	*res;

	if ((res = db_run(db, st, n, params)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGresult *
db_run(struct db *db, struct db_stmt *st, int n, const char *const *params)
{
	PGresult	*res;
	char		 name[16];
	int		 id;

	if (db_start(db) != 0)
		return NULL;
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
		if (db_pipe_send(db, name, st->sql, prepare, n, params) != 0)
			return NULL;
		db->batch_wait(db);
		res = db->pipe_res;
		db->pipe_res = NULL;
		return res;
	}
	if (!db->prepared[id]) {
		if ((res = db_finish(db, PQsendPrepare(db->conn, name, st->sql,
		    0, NULL))) == NULL)
			return NULL;
		PQclear(res);
		db->prepared[id] = 1;
	}
	return db_finish(db, PQsendQueryPrepared(db->conn, name, n, params,
	    NULL, NULL, 0));
}

PGresult *
db_query(struct db *db, const char *sql, int n, const char *const *params)
{
	if (db->batch != NULL) {
		log_error("database: an unprepared statement inside a"
		    " pipelined batch");
		db->err = DB_FAILED;
		return NULL;
	}
	if (db_start(db) != 0)
		return NULL;
	return db_finish(db, PQsendQueryParams(db->conn, sql, n, NULL, params,
	    NULL, NULL, 0));
}

int
db_prepare(struct db *db, const char *name, const char *sql)
{
	PGresult	*res;

	if (db->batch != NULL || db_start(db) != 0)
		return -1;
	if ((res = db_finish(db, PQsendPrepare(db->conn, name, sql, 0,
	    NULL))) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
db_simple(struct db *db, const char *sql)
{
	PGresult	*res;

	if ((res = db_query(db, sql, 0, NULL)) == NULL)
		return -1;
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

/* Within the deadlines too: a dropped connection rolls back as well. */
int
db_in_tx(const struct db *db)
{
	PGTransactionStatusType	 st;

	if (db->conn == NULL || db->batch != NULL)
		return 0;
	st = PQtransactionStatus(db->conn);
	return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

void
db_rollback(struct db *db)
{
	enum db_error	 saved = db->err;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    db->batch == NULL)
		PQclear(db_finish(db, PQsendQuery(db->conn, "ROLLBACK")));
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

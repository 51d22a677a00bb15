/*
 * The database layer's common part: one connection per worker, named
 * statements prepared on first use, errors classified for handlers.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <time.h>
#include <libpq-fe.h>
#include <jansson.h>


enum db_error {
	DB_OK,
	DB_DOWN,	/* no connection or no answer in time: 503 */
	DB_UNIQUE,	/* unique_violation */
	DB_FOREIGN,	/* foreign_key_violation */
	DB_FAILED,	/* anything else: answer 500 */
	DB_FENCED,	/* this node's company lease is gone (db-owner.h):
			   answer 503, the company is moving */
};

struct db {
	PGconn		*conn;
	const char	*url;
	double		 retry_at;	/* monotonic: no reconnect before */
	unsigned char	*prepared;	/* by statement id; grown on demand */
	size_t		 nprepared;
	enum db_error	 err;
	char		 constraint[64];	/* violated constraint name */
	/*
	 * Deadlines. Each step (connecting, a statement) waits at most
	 * timeout seconds, which is also the server's statement_timeout
	 * (0: neither, for migrations). Until the first answer, no step
	 * waits past deadline (monotonic; 0: none): a request's deadline,
	 * counted from when it was handed to a worker, and none is sent
	 * once cancel (if set) is non-zero: its client has gone. After the
	 * first answer both are cleared: work begun is carried through.
	 * Once stop is non-zero, a wait ends at once.
	 */
	double		 timeout;
	double		 deadline;
	const int	*cancel;
	const int	*stop;
	/*
	 * Set while a pipelined batch runs on this connection (net/batch.c):
	 * db_run() sends each statement with the others (db_pipe_send()) and
	 * calls batch_wait, which returns once db_pipe_read() has read that
	 * statement's answer into pipe_res.
	 */
	struct batch	*batch;
	void		(*batch_wait)(struct db *);
	PGresult	*pipe_res;	/* NULL: failed, db->err says how */
	int		 pipe_broken;
	/*
	 * The server refused a write as read-only (SQLSTATE 25006: it is a
	 * standby now, after a failover): db_ensure() drops the connection
	 * and connects again through the URL's hosts.
	 */
	int		 readonly;
};

/* The text form of a uuid column. */
#define UUID_LEN	36

/* Keyset pagination: a list's limit and the last row seen. */
struct page {
	int	 limit;
	char	 after_key[24];		/* "" for the first page */
	char	 after_id[40];
	char	 limit_str[16];		/* limit + 1, for SQL */
};

/* A statement: its SQL lives next to the code that owns the table. */
struct db_stmt {
	const char	*sql;
	int		 id;		/* assigned on first use */
};

/* The timeout is the db_timeout setting's. */
void		 db_init(struct db *, const char *url);
void		 db_close(struct db *);
/* Close after a step failed or timed out; no reconnect for a second. */
void		 db_drop(struct db *);
/*
 * Flush what was sent and wait, within the deadlines, until a result can
 * be read without blocking; -1 (db->err DB_DOWN) when the time is up (no
 * reconnection for a second then) or the connection broke.
 */
int		 db_wait(struct db *);
/* Connect if needed (with backoff); 0 if connected. */
int		 db_ensure(struct db *);
/* Run a statement; NULL on failure with db->err set. Caller PQclear()s. */
PGresult	*db_run(struct db *, struct db_stmt *, int n, const char *const *);
/* A text column as JSON: its string, or null for SQL NULL. */
json_t		*db_json_str(const char *);
/* A JSON column as JSON: its value, or dflt (taken) when it is SQL NULL
 * or unreadable. */
json_t		*db_json_value(const char *, json_t *dflt);
/* A round trip to the server (GET /ready): 0, or -1 with db->err set. */
int		 db_ping(struct db *);
/* Run a statement whose rows nobody reads: 0, or -1 with db->err set. */
int		 db_exec(struct db *, struct db_stmt *, int n, const char *const *);
/* An unprepared statement (a cursor's), with the same deadlines. */
PGresult	*db_query(struct db *, const char *sql, int n,
		    const char *const *);
/* Prepare a statement under its own name; -1 on failure. */
int		 db_prepare(struct db *, const char *name, const char *sql);
int		 db_begin(struct db *);
/* 1 while a transaction is open on the connection (BEGIN sent, no COMMIT
 * or ROLLBACK yet), else 0; no round trip. */
int		 db_in_tx(const struct db *);
int		 db_commit(struct db *);
void		 db_rollback(struct db *);
/*
 * Pipeline mode (db-pipe.c), for net/batch.c: enter it (-1 if it cannot
 * be); send a statement as its own sync segment (-1, db->err DB_DOWN, once
 * the connection broke); read the oldest unread answer into db->pipe_res
 * (NULL with db->err set on failure); leave it, closing the connection if
 * it broke.
 */
int		 db_pipe_begin(struct db *);
int		 db_pipe_send(struct db *, const char *name, const char *sql,
		    int prepare, int n, const char *const *params);
void		 db_pipe_read(struct db *);
void		 db_pipe_end(struct db *);
/* Set db->err (and the constraint) from a failed result. */
void		 db_classify(struct db *, PGresult *);
/*
 * Apply sql/ migrations under an advisory lock (db-migrate.c); -1 with
 * *cause also when the database's applied migrations differ from this
 * build's (a changed file, an unknown newer one).
 */
int		 db_migrate(struct db *, char **cause);

/* Convenience: value of row r, column c, or NULL when SQL NULL. */
const char	*db_get(const PGresult *, int r, int c);

/*
 * For the files that turn results into typed rows: column c of row r into
 * buf ("" when SQL NULL), or malloc'd (NULL when SQL NULL; caller frees).
 */
void		 db_copy(char *buf, size_t len, const PGresult *, int r, int c);
char		*db_dup(const PGresult *, int r, int c);

/* A list of ids (one uuid column). */
struct db_ids {
	int	   n;
	char	 (*v)[UUID_LEN + 1];
};

/* The ids in column c of res, which it clears; NULL if res is. */
struct db_ids	*db_ids_take(PGresult *res, int c);
void		 db_ids_free(struct db_ids *);

#endif

/* An RFC 3339 UTC rendering of a timestamptz column, for select lists. */
#define SQL_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* Keyset pagination key: microseconds since the epoch. */
#define SQL_KEY(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
/* The matching condition: ($n::bigint, $m::uuid) as the last row seen. */
#define SQL_AFTER(col, idcol, n, m) \
	"($" #n "::bigint IS NULL OR (" col ", " idcol ") > ('epoch'::timestamptz" \
	" + $" #n "::bigint * interval '1 microsecond', $" #m "::uuid))"

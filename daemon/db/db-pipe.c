/*
 * libpq pipeline mode for net/batch.c's batches of read handlers: each
 * statement is its own sync segment (an optional Prepare, the statement,
 * the sync), and answers are read back in the order they were sent.
 */
#include "log.h"
#include "db.h"

int
db_pipe_begin(struct db *db)
{
	db->pipe_broken = 0;
	db->pipe_res = NULL;
	return PQenterPipelineMode(db->conn) == 1 ? 0 : -1;
}

int
db_pipe_send(struct db *db, const char *name, const char *sql, int prepare,
    int n, const char *const *params)
{
	if (db->pipe_broken ||
	    (prepare && !PQsendPrepare(db->conn, name, sql, 0, NULL)) ||
	    !PQsendQueryPrepared(db->conn, name, n, params, NULL, NULL, 0) ||
	    !PQpipelineSync(db->conn)) {
		db->pipe_broken = 1;
		db->err = DB_DOWN;
		return -1;
	}
	return 0;
}

static int
is_error(const PGresult *res)
{
	ExecStatusType	 st = PQresultStatus(res);

	return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
}

/*
 * Read one sync segment. Returns the first error, else the statement's
 * result; NULL if the connection broke.
 */
static PGresult *
read_segment(struct db *db)
{
	PGresult	*res, *out = NULL;
	int		 nulls = 0;

	while (!db->pipe_broken) {
		/* Within the deadlines: a frozen server answers nothing. */
		if (db_wait(db) != 0) {
			db->pipe_broken = 1;
			break;
		}
		if ((res = PQgetResult(db->conn)) == NULL) {
			if (++nulls > 1 || PQstatus(db->conn) != CONNECTION_OK)
				db->pipe_broken = 1;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return out;
		}
		if (out == NULL || !is_error(out)) {
			PQclear(out);
			out = res;
		} else
			PQclear(res);
	}
	PQclear(out);
	return NULL;
}

void
db_pipe_read(struct db *db)
{
	PGresult	*res;

	if (PQflush(db->conn) < 0)
		db->pipe_broken = 1;
	res = read_segment(db);
	db->err = DB_OK;
	if (res == NULL)
		db->err = DB_DOWN;
	else if (is_error(res)) {
		db_classify(db, res);
		PQclear(res);
		res = NULL;
	}
	db->pipe_res = res;
}

void
db_pipe_end(struct db *db)
{
	PQclear(db->pipe_res);
	db->pipe_res = NULL;
	if (db->pipe_broken || PQexitPipelineMode(db->conn) != 1) {
		log_warn("database: pipeline failed: %s", PQerrorMessage(db->conn));
		db_close(db);
	}
}

/*
 * Coroutines (ucontext) over libpq pipeline mode. Only handlers of routes
 * flagged ROUTE_READ run here: single statements, no transactions, since
 * every query is its own sync segment on a shared connection. Reading
 * waits within the connection's deadlines (db_wait()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "db.h"
#include "worker.h"
#include "batch.h"

#define STACK_SIZE	(128 * 1024)

enum coro_state { CORO_RUNNING, CORO_WAITING, CORO_DONE };

struct coro {
	ucontext_t	 ctx;
	struct job	*job;
	enum coro_state	 state;
	PGresult	*result;	/* handed over on resume */
};

struct batch {
	ucontext_t	 sched;
	struct db	*db;
	struct coro	 coros[BATCH_MAX];
	struct coro	*cur;
	struct coro	*fifo[BATCH_MAX];	/* waiting, in send order */
	int		 head, tail;
	int		 broken;		/* the connection failed */
};

static __thread char	*stacks;	/* BATCH_MAX stacks per worker */

void
batch_cleanup(void)
{
	free(stacks);
	stacks = NULL;
}

static void
coro_main(unsigned int hi, unsigned int lo)
{
	struct batch	*b = (struct batch *)(((uintptr_t)hi << 32) | lo);
	struct coro	*c = b->cur;
	struct hctx	 h = { c->job->req, &c->job->resp, b->db };

	router_run(&h);
	c->state = CORO_DONE;
	/* uc_link returns to the scheduler. */
}

static void
coro_resume(struct batch *b, struct coro *c)
{
	b->cur = c;
	c->state = CORO_RUNNING;
	swapcontext(&b->sched, &c->ctx);
	b->cur = NULL;
}

PGresult *
batch_query(struct db *db, const char *name, const char *sql, int prepare,
    int n, const char *const *params)
{
	struct batch	*b = db->batch;
	struct coro	*c = b->cur;
	PGresult	*res;

	if (b->broken ||
	    (prepare && !PQsendPrepare(db->conn, name, sql, 0, NULL)) ||
	    !PQsendQueryPrepared(db->conn, name, n, params, NULL, NULL, 0) ||
	    !PQpipelineSync(db->conn)) {
		b->broken = 1;
		db->err = DB_DOWN;
		return NULL;
	}
	c->state = CORO_WAITING;
	b->fifo[b->tail++ % BATCH_MAX] = c;
	swapcontext(&c->ctx, &b->sched);
	res = c->result;
	c->result = NULL;
	return res;
}

static int
is_error(const PGresult *res)
{
	ExecStatusType	 st = PQresultStatus(res);

	return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
}

/*
 * Read one sync segment (an optional Prepare, the statement, the sync).
 * Returns the first error, else the statement's result; NULL if the
 * connection broke.
 */
static PGresult *
read_segment(struct batch *b)
{
	PGconn		*conn = b->db->conn;
	PGresult	*res, *out = NULL;
	int		 nulls = 0;

	while (!b->broken) {
		/* Within the deadlines: a frozen server answers nothing. */
		if (db_wait(b->db) != 0) {
			b->broken = 1;
			break;
		}
		if ((res = PQgetResult(conn)) == NULL) {
			if (++nulls > 1 || PQstatus(conn) != CONNECTION_OK)
				b->broken = 1;
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
batch_run(struct db *db, struct job **jobs, int n)
{
	struct batch	*b;
	struct coro	*c;
	uintptr_t	 self;

	if (stacks == NULL)
		stacks = xmalloc((size_t)BATCH_MAX * STACK_SIZE);
	b = xcalloc(1, sizeof *b);
	b->db = db;
	self = (uintptr_t)b;
	if (PQenterPipelineMode(db->conn) != 1) {
		free(b);
		return;
	}
	db->batch = b;
	db->batch_query = batch_query;
	for (int i = 0; i < n; i++) {
		c = &b->coros[i];
		c->job = jobs[i];
		getcontext(&c->ctx);
		c->ctx.uc_stack.ss_sp = stacks + (size_t)i * STACK_SIZE;
		c->ctx.uc_stack.ss_size = STACK_SIZE;
		c->ctx.uc_link = &b->sched;
		makecontext(&c->ctx, (void (*)(void))coro_main, 2,
		    (unsigned int)(self >> 32), (unsigned int)(self & 0xffffffff));
		coro_resume(b, c);
	}
	while (b->head != b->tail) {
		if (PQflush(db->conn) < 0)
			b->broken = 1;
		c = b->fifo[b->head++ % BATCH_MAX];
		c->result = read_segment(b);
		db->err = DB_OK;
		if (c->result == NULL)
			db->err = DB_DOWN;
		else if (is_error(c->result)) {
			db_classify(db, c->result);
			PQclear(c->result);
			c->result = NULL;
		}
		coro_resume(b, c);
	}
	db->batch = NULL;
	db->batch_query = NULL;
	if (b->broken || PQexitPipelineMode(db->conn) != 1) {
		log_warn("database: pipeline failed: %s", PQerrorMessage(db->conn));
		db_close(db);
	}
	free(b);
}

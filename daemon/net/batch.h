/*
 * Pipelined batches of read handlers. A worker runs up to BATCH_MAX read
 * handlers as coroutines on one connection in libpq pipeline mode: each
 * handler still reads straight down, but its db_run() sends the query and
 * yields, and the worker reads results in order and resumes each handler
 * with its own. N requests then cost one round trip, not N.
 */
#ifndef BATCH_H
#define BATCH_H

#include <libpq-fe.h>

#define BATCH_MAX	32

struct db;
struct db_stmt;
struct job;

/* Run the handlers of jobs (all ROUTE_READ) pipelined on db. */
void		 batch_run(struct db *, struct job **, int n);
/* Free this thread's coroutine stacks. */
void		 batch_cleanup(void);
/* From db_run() inside a batch: send, yield, return the result. */
PGresult	*batch_query(struct db *, const char *name, const char *sql,
		    int prepare, int n, const char *const *params);

#endif

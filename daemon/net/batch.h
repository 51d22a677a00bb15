/*
 * Pipelined batches of read handlers. A worker runs up to BATCH_MAX read
 * handlers as coroutines on one connection in libpq pipeline mode: each
 * handler still reads straight down, but its db_run() sends the query and
 * yields, and the worker reads results in order and resumes each handler
 * with its own. N requests then cost one round trip, not N.
 */
#ifndef BATCH_H
#define BATCH_H

#define BATCH_MAX	32

struct db;
struct db_stmt;
struct job;

/* Run the handlers of jobs (all ROUTE_READ) pipelined on db. */
void		 batch_run(struct db *, struct job **, int n);
/* Free this thread's coroutine stacks. */
void		 batch_cleanup(void);
/* From db_run() inside a batch, its statement sent: yield until its
 * answer is read. */
void		 batch_wait(struct db *);

#endif

/*
 * Coroutines (ucontext) over the connection's pipeline mode (db-pipe.c).
 * Only handlers of routes flagged ROUTE_READ run here: single statements,
 * no transactions, since every query is its own sync segment on a shared
 * connection. Reading waits within the connection's deadlines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "xmalloc.h"
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
};

struct batch {
	ucontext_t	 sched;
	struct db	*db;
	struct coro	 coros[BATCH_MAX];
	struct coro	*cur;
	struct coro	*fifo[BATCH_MAX];	/* waiting, in send order */
	int		 head, tail;
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

void
batch_wait(struct db *db)
{
	struct batch	*b = db->batch;
	struct coro	*c = b->cur;

	c->state = CORO_WAITING;
	b->fifo[b->tail++ % BATCH_MAX] = c;
	swapcontext(&c->ctx, &b->sched);
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
	if (db_pipe_begin(db) != 0) {
		free(b);
		return;
	}
	db->batch = b;
	db->batch_wait = batch_wait;
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
	/* Each waiting handler, resumed with its answer (db->pipe_res). */
	while (b->head != b->tail) {
		db_pipe_read(db);
		coro_resume(b, b->fifo[b->head++ % BATCH_MAX]);
	}
	db->batch = NULL;
	db->batch_wait = NULL;
	db_pipe_end(db);
	free(b);
}

/*
 * Coroutines over the connection's pipeline mode (db-pipe.c). Only
 * handlers of routes flagged ROUTE_READ run here: single statements, no
 * transactions, since every query is its own sync segment on a shared
 * connection. Reading waits within the connection's deadlines. On x86-64
 * a switch saves the callee-saved registers and the stack pointer and
 * nothing else; glibc's swapcontext() also saves the signal mask, one
 * rt_sigprocmask() system call per switch, five per profile request (no
 * signal handler runs on these threads or changes their mask). Other
 * machines use ucontext.
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

#if defined(__x86_64__)
/*
 * cd_batch_switch(from, to): push rbp, rbx, r12-r15, keep the stack
 * pointer in *from, take *to's and pop the same back: the System V ABI's
 * callee-saved registers (the FPU control words are never changed here).
 */
void	cd_batch_switch(void **from, void *const *to);
__asm__(
	".text\n"
	".p2align 4\n"
	".type cd_batch_switch, @function\n"
	"cd_batch_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size cd_batch_switch, .-cd_batch_switch\n");
typedef void	*coro_ctx;
#define SWITCH(from, to)	cd_batch_switch((from), (to))
#else
typedef ucontext_t coro_ctx;
#define SWITCH(from, to)	swapcontext((from), (to))
#endif

struct coro {
	coro_ctx	 ctx;
	struct job	*job;
	enum coro_state	 state;
};

struct batch {
	coro_ctx	 sched;
	struct db	*db;
	struct coro	 coros[BATCH_MAX];
	struct coro	*cur;
	struct coro	*fifo[BATCH_MAX];	/* waiting, in send order */
	int		 head, tail;
};

static __thread char		*stacks;	/* BATCH_MAX stacks per worker */
static __thread struct batch	*running;	/* for coro_main() */

void
batch_cleanup(void)
{
	free(stacks);
	stacks = NULL;
}

/* A handler, from its first instruction to its answer; never returns. */
static void
coro_main(void)
{
	struct batch	*b = running;
	struct coro	*c = b->cur;
	struct hctx	 h = { c->job->req, &c->job->resp, b->db };

	router_run(&h);
	c->state = CORO_DONE;
	SWITCH(&c->ctx, &b->sched);
	abort();	/* a finished coroutine is never resumed */
}

/* c's context, to start coro_main() on its own stack. */
static void
coro_init(struct coro *c, char *stack)
{
#if defined(__x86_64__)
	/* 16-byte aligned top; below it what cd_batch_switch() pops. */
	uintptr_t	 top = ((uintptr_t)stack + STACK_SIZE) & ~(uintptr_t)15;
	void		**sp = (void **)top;

	*--sp = NULL;			/* coro_main()'s return address */
	*--sp = (void *)coro_main;	/* cd_batch_switch()'s ret */
	for (int i = 0; i < 6; i++)
		*--sp = NULL;		/* rbp, rbx, r12-r15 */
	c->ctx = sp;
#else
	getcontext(&c->ctx);
	c->ctx.uc_stack.ss_sp = stack;
	c->ctx.uc_stack.ss_size = STACK_SIZE;
	c->ctx.uc_link = NULL;
	makecontext(&c->ctx, coro_main, 0);
#endif
}

static void
coro_resume(struct batch *b, struct coro *c)
{
	b->cur = c;
	c->state = CORO_RUNNING;
	SWITCH(&b->sched, &c->ctx);
	b->cur = NULL;
}

void
batch_wait(struct db *db)
{
	struct batch	*b = db->batch;
	struct coro	*c = b->cur;

	c->state = CORO_WAITING;
	b->fifo[b->tail++ % BATCH_MAX] = c;
	SWITCH(&c->ctx, &b->sched);
}

void
batch_run(struct db *db, struct job **jobs, int n)
{
	struct batch	*b;
	struct coro	*c;

	if (stacks == NULL)
		stacks = xmalloc((size_t)BATCH_MAX * STACK_SIZE);
	b = xcalloc(1, sizeof *b);
	b->db = db;
	if (db_pipe_begin(db) != 0) {
		free(b);
		return;
	}
	db->batch = b;
	db->batch_wait = batch_wait;
	running = b;
	for (int i = 0; i < n; i++) {
		c = &b->coros[i];
		c->job = jobs[i];
		coro_init(c, stacks + (size_t)i * STACK_SIZE);
		coro_resume(b, c);
	}
	/* Each waiting handler, resumed with its answer (db->pipe_res). */
	while (b->head != b->tail) {
		db_pipe_read(db);
		coro_resume(b, b->fifo[b->head++ % BATCH_MAX]);
	}
	db->batch = NULL;
	db->batch_wait = NULL;
	running = NULL;
	db_pipe_end(db);
	free(b);
}

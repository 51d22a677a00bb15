/*
 * One pool of worker threads taking typed jobs: "fast" for ordinary
 * database work, "slow" for handlers that hash passwords (~17 ms each),
 * "stream" for streamed bodies (exports, file downloads), which hold their
 * worker as long as the client takes to read, and "ws" for WebSocket
 * lookups. Each type has a cap on the workers it holds at once ("workers"
 * for fast, "stream_workers" for stream) and the pool has as many threads
 * as the caps add up to: a burst of sign-ins or slow readers cannot starve
 * the API, and ordinary work never holds more database connections than
 * "workers" (a frozen server is sent no more than that many statements).
 * The capped types other than fast are served first when under their
 * cap. A worker takes every waiting read of the
 * fast queue at once (up to BATCH_MAX) and hands them all back with one
 * wake-up of the loop: under load the cost of crossing threads is paid per
 * batch, not per request. Idle workers wait on a stack and the last to go
 * idle is woken first: a load that four threads carry stays on four warm
 * threads and database sessions instead of rotating through all of them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "router.h"
#include "db.h"
#include "db-cluster.h"
#include "worker.h"
#include "batch.h"
#include "stream.h"

#if defined(__SANITIZE_ADDRESS__)
#define PIPELINE	0	/* ASan does not follow swapcontext() stacks */
#else
#define PIPELINE	1
#endif


struct worker {
	pthread_t	 thread;
	pthread_cond_t	 cond;		/* woken: taken off the idle stack */
	int		 woken;
	struct db	 db;
};

/* A job of another layer (worker_call()). */
struct call {
	void		(*run)(struct db *, void *);
	void		*arg;
	struct call	*next;
};

/* A type's queue: HTTP jobs, or calls for JOB_WS. */
struct queue {
	struct job	*head, *tail;
	struct call	*chead, *ctail;
	int		 cap, busy, queued;
};

static const char *const type_names[NJOBTYPES] = {
	[JOB_FAST] = "fast", [JOB_SLOW] = "slow", [JOB_STREAM] = "stream",
	[JOB_WS] = "ws", [JOB_PEER] = "peer",
};
/* Which queue a free worker looks at first: the capped ones. */
static const enum job_type order[NJOBTYPES] = {
	JOB_WS, JOB_PEER, JOB_SLOW, JOB_STREAM, JOB_FAST,
};

static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static struct queue		 queues[NJOBTYPES];
static struct worker		*workers;
static int			 nworkers, connected;
/* Idle workers, the last to go idle on top; one woken at a time. */
static struct worker		**idle;
static int			 nidle, waking;
static struct job		*done_head, *done_tail;
static int			 stopping;
static struct lws_context	*context;

const char *
job_type_name(enum job_type t)
{
	return type_names[t];
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	if (job->req != NULL)
		stream_free(job->req->stream);
	request_free(job->req);
	response_reset(&job->resp);
	free(job);
}

/*
 * Whether a job is not to run: its client has gone (it would act for no
 * one: a retry with its Idempotency-Key finds nothing done), or it waited
 * longer than the database may take (answered 503 at once).
 */
static int
job_late(struct job *job)
{
	if (__atomic_load_n(&job->gone, __ATOMIC_ACQUIRE)) {
		log_debug("worker: %s: the client has gone; not run",
		    job->req->route->pattern);
		resp_problem(&job->resp, 503, "unavailable",
		    "the client has gone");
		return 1;
	}
	if (cfg.db_timeout > 0 && now_mono() > job->submitted +
	    cfg.db_timeout) {
		log_debug("worker: %s: waited over %d s; answered 503",
		    job->req->route->pattern, cfg.db_timeout);
		resp_problem(&job->resp, 503, "unavailable", "the request"
		    " waited too long for a worker; try again shortly");
		return 1;
	}
	return 0;
}

/*
 * The request's deadline: its first database step ends db_timeout after
 * it was handed over at the latest, and is not sent once its client has
 * gone (db.h).
 */
static void
worker_run(struct worker *w, struct job *job)
{
	struct hctx	 h = { job->req, &job->resp, &w->db };

	if (!job_late(job)) {
		w->db.deadline = cfg.db_timeout > 0 ? job->submitted +
		    cfg.db_timeout : 0;
		w->db.cancel = &job->gone;
		router_run(&h);
		w->db.deadline = 0;
		w->db.cancel = NULL;
		/* A revocation: every node has it before the answer goes. */
		db_cluster_barrier(&w->db, cfg.cluster_lease);
	}
	if (job->req->stream != NULL)
		stream_flush(job->req->stream);
	if (job->resp.status == 0)
		resp_problem(&job->resp, 500, "internal",
		    "the handler gave no answer");
}

static int
is_read(const struct job *job)
{
	return PIPELINE && (job->req->route->flags & ROUTE_READ) &&
	    job->req->stream == NULL;
}

/* Reads go pipelined when there are several; the rest one by one. */
static void
worker_run_batch(struct worker *w, struct job *batch)
{
	struct job	*reads[BATCH_MAX], *job;
	double		 deadline = 0;
	int		 n = 0;

	for (job = batch; job != NULL; job = job->next) {
		if (!is_read(job))
			worker_run(w, job);
		else if (!job_late(job)) {
			reads[n++] = job;
			if (deadline == 0 || job->submitted < deadline)
				deadline = job->submitted;
		}
	}
	/* The batch's deadline is its oldest request's. */
	if (n > 1 && cfg.db_timeout > 0)
		w->db.deadline = deadline + cfg.db_timeout;
	if (n > 1 && db_ensure(&w->db) == 0)
		batch_run(&w->db, reads, n);
	else {
		for (int i = 0; i < n; i++)
			worker_run(w, reads[i]);
	}
	w->db.deadline = 0;
	for (int i = 0; i < n; i++) {
		if (reads[i]->resp.status == 0)
			resp_problem(&reads[i]->resp, 500, "internal",
			    "the handler gave no answer");
	}
}

/* Under lock: the first type with work waiting and room under its cap. */
static struct queue *
runnable(void)
{
	struct queue	*q;

	for (int i = 0; i < NJOBTYPES; i++) {
		q = &queues[order[i]];
		if (q->queued > 0 && q->busy < q->cap)
			return q;
	}
	return NULL;
}

/*
 * Under lock: wake the worker that went idle last, unless one is on its
 * way already (it wakes the next if there is more work when it gets
 * there): workers woken for work others took would go idle again on top
 * of the stack, and the load would rotate through every thread.
 */
static void
wake_one(void)
{
	struct worker	*w;

	if (nidle == 0 || waking > 0)
		return;
	w = idle[--nidle];
	w->woken = 1;
	waking++;
	pthread_cond_signal(&w->cond);
}

/* Under lock: wait on the idle stack until there is work or a stop. */
static struct queue *
wait_work(struct worker *w)
{
	struct queue	*q;

	while ((q = runnable()) == NULL && !stopping) {
		w->woken = 0;
		idle[nidle++] = w;
		while (!w->woken && !stopping)
			pthread_cond_wait(&w->cond, &lock);
		waking -= w->woken;
		w->woken = 0;
	}
	return q;
}

/* Hand a finished batch back to the loop. */
static void
finish(struct job *batch, struct job *last)
{
	int	 wake;

	pthread_mutex_lock(&lock);
	wake = done_head == NULL;
	if (done_tail != NULL)
		done_tail->next = batch;
	else
		done_head = batch;
	done_tail = last;
	pthread_mutex_unlock(&lock);
	/* The loop takes the whole list: one wake-up while it is non-empty. */
	if (wake)
		lws_cancel_service(context);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct queue	*q;
	struct job	*batch, *last;
	struct call	*call;
	int		 n, was;

	if (db_ensure(&w->db) == 0) {
		pthread_mutex_lock(&lock);
		connected++;
		pthread_mutex_unlock(&lock);
	}
	for (;;) {
		pthread_mutex_lock(&lock);
		if ((q = wait_work(w)) == NULL) {
			pthread_mutex_unlock(&lock);
			break;
		}
		batch = last = NULL;
		call = NULL;
		if ((call = q->chead) != NULL) {
			if ((q->chead = call->next) == NULL)
				q->ctail = NULL;
			n = 1;
		} else {
			/*
			 * Reads that can share a pipeline go in batches of
			 * up to BATCH_MAX; anything else one at a time, so
			 * that slow writes spread over the workers instead of
			 * queueing behind one.
			 */
			batch = last = q->head;
			for (n = 1; q == &queues[JOB_FAST] && n < BATCH_MAX &&
			    last->next != NULL && is_read(last) &&
			    is_read(last->next); n++)
				last = last->next;
			if ((q->head = last->next) == NULL)
				q->tail = NULL;
			last->next = NULL;
		}
		q->queued -= n;
		q->busy++;
		if (runnable() != NULL)
			wake_one();
		pthread_mutex_unlock(&lock);

		was = w->db.conn != NULL;
		if (call != NULL) {
			call->run(&w->db, call->arg);
			free(call);
		} else
			worker_run_batch(w, batch);

		pthread_mutex_lock(&lock);
		q->busy--;
		connected += (w->db.conn != NULL) - was;
		pthread_mutex_unlock(&lock);
		if (batch != NULL)
			finish(batch, last);
	}
	db_close(&w->db);
	batch_cleanup();
	return NULL;
}

void
worker_start(const int cap[NJOBTYPES], const char *dburl,
    struct lws_context *ctx)
{
	context = ctx;
	stopping = 0;
	nworkers = 0;
	for (int i = 0; i < NJOBTYPES; i++) {
		queues[i].cap = cap[i];
		nworkers += cap[i];
	}
	workers = xcalloc((size_t)nworkers, sizeof *workers);
	idle = xcalloc((size_t)nworkers, sizeof *idle);
	nidle = waking = 0;
	for (int i = 0; i < nworkers; i++) {
		pthread_cond_init(&workers[i].cond, NULL);
		db_init(&workers[i].db, dburl);
		if (pthread_create(&workers[i].thread, NULL, worker_main,
		    &workers[i]) != 0)
			fatal("worker: cannot start a thread");
	}
}

/* Every queued job runs before the workers end. */
void
worker_stop(void)
{
	struct job	*job, *next;

	pthread_mutex_lock(&lock);
	stopping = 1;
	for (int i = 0; i < nworkers; i++)
		pthread_cond_signal(&workers[i].cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nworkers; i++) {
		pthread_join(workers[i].thread, NULL);
		pthread_cond_destroy(&workers[i].cond);
	}
	free(workers);
	workers = NULL;
	free(idle);
	idle = NULL;
	nidle = waking = 0;
	nworkers = 0;
	for (job = worker_take_done(); job != NULL; job = next) {
		next = job->next;
		job_free(job);
	}
}

/* Under lock: wake a worker for q's new job if one should take it. */
static void
wake_for(struct queue *q)
{
	/* Busy workers come back for more; wake another when they lag. */
	if (q->busy < q->cap && (q != &queues[JOB_FAST] ||
	    q->queued > q->busy * 4))
		wake_one();
}

void
worker_submit(struct job *job, enum job_type type)
{
	struct queue	*q = &queues[type];

	job->next = NULL;
	job->submitted = now_mono();
	pthread_mutex_lock(&lock);
	if (q->tail != NULL)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	q->queued++;
	wake_for(q);
	pthread_mutex_unlock(&lock);
}

int
worker_call(enum job_type type, void (*run)(struct db *, void *), void *arg)
{
	struct queue	*q = &queues[type];
	struct call	*call = xmalloc(sizeof *call);

	call->run = run;
	call->arg = arg;
	call->next = NULL;
	pthread_mutex_lock(&lock);
	if (stopping || workers == NULL) {
		pthread_mutex_unlock(&lock);
		free(call);
		return -1;
	}
	if (q->ctail != NULL)
		q->ctail->next = call;
	else
		q->chead = call;
	q->ctail = call;
	q->queued++;
	wake_for(q);
	pthread_mutex_unlock(&lock);
	return 0;
}

struct job *
worker_take_done(void)
{
	struct job	*list;

	pthread_mutex_lock(&lock);
	list = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&lock);
	return list;
}

void
worker_stats(struct pool_stats *st)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&lock);
	st->workers = nworkers;
	st->connected = connected;
	for (int i = 0; i < NJOBTYPES; i++) {
		st->type[i].cap = queues[i].cap;
		st->type[i].busy = queues[i].busy;
		st->type[i].queued = queues[i].queued;
		st->busy += queues[i].busy;
		st->queued += queues[i].queued;
	}
	pthread_mutex_unlock(&lock);
}

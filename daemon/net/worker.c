/*
 * Worker threads in three pools: "fast" for ordinary database work, "slow"
 * for handlers that hash passwords (~17 ms each), so a burst of sign-ins
 * cannot starve reads, and "stream" for streamed bodies (exports, file
 * downloads), which hold their worker as long as the client takes to read,
 * so a slow reader can never starve the API. A worker takes every waiting
 * job of its pool at once and hands them all back with one wake-up of the
 * loop: under load the cost of crossing threads is paid per batch, not per
 * request.
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
#include "worker.h"
#include "batch.h"
#include "stream.h"

#if defined(__SANITIZE_ADDRESS__)
#define PIPELINE	0	/* ASan does not follow swapcontext() stacks */
#else
#define PIPELINE	1
#endif


struct pool;

struct worker {
	pthread_t	 thread;
	struct db	 db;
	struct pool	*pool;
};

struct pool {
	pthread_cond_t		 cond;
	struct job		*head, *tail;
	int			 queued, idle, busy, connected, n;
	struct worker		*workers;
};

static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool		 pools[NPOOLS];
static struct job		*done_head, *done_tail;
static int			 stopping;
static struct lws_context	*context;

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

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct pool	*p = w->pool;
	struct job	*batch, *last;
	int		 n, was, wake;

	if (db_ensure(&w->db) == 0) {
		pthread_mutex_lock(&lock);
		p->connected++;
		pthread_mutex_unlock(&lock);
	}
	for (;;) {
		pthread_mutex_lock(&lock);
		p->idle++;
		while (p->head == NULL && !stopping)
			pthread_cond_wait(&p->cond, &lock);
		p->idle--;
		if (p->head == NULL) {
			pthread_mutex_unlock(&lock);
			break;
		}
		/*
		 * Reads that can share a pipeline go in batches of up to
		 * BATCH_MAX; anything else one at a time, so that slow writes
		 * spread over the workers instead of queueing behind one.
		 */
		batch = last = p->head;
		for (n = 1; n < BATCH_MAX && last->next != NULL &&
		    is_read(last) && is_read(last->next); n++)
			last = last->next;
		if ((p->head = last->next) == NULL)
			p->tail = NULL;
		last->next = NULL;
		p->queued -= n;
		p->busy++;
		if (p->head != NULL && p->idle > 0)
			pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&lock);

		was = w->db.conn != NULL;
		worker_run_batch(w, batch);

		pthread_mutex_lock(&lock);
		p->busy--;
		p->connected += (w->db.conn != NULL) - was;
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
	db_close(&w->db);
	batch_cleanup();
	return NULL;
}

static void
pool_start(struct pool *p, int n, const char *dburl)
{
	pthread_cond_init(&p->cond, NULL);
	p->n = n;
	p->workers = xcalloc((size_t)n, sizeof *p->workers);
	for (int i = 0; i < n; i++) {
		p->workers[i].pool = p;
		db_init(&p->workers[i].db, dburl);
		if (pthread_create(&p->workers[i].thread, NULL, worker_main,
		    &p->workers[i]) != 0)
			fatal("worker: cannot start a thread");
	}
}

void
worker_start(const int n[NPOOLS], const char *dburl, struct lws_context *ctx)
{
	context = ctx;
	for (int i = 0; i < NPOOLS; i++)
		pool_start(&pools[i], n[i], dburl);
}

void
worker_stop(void)
{
	struct job	*job, *next;

	pthread_mutex_lock(&lock);
	stopping = 1;
	for (int i = 0; i < NPOOLS; i++)
		pthread_cond_broadcast(&pools[i].cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NPOOLS; i++) {
		for (int j = 0; j < pools[i].n; j++)
			pthread_join(pools[i].workers[j].thread, NULL);
		free(pools[i].workers);
		pools[i].workers = NULL;
	}
	for (job = worker_take_done(); job != NULL; job = next) {
		next = job->next;
		job_free(job);
	}
}

void
worker_submit(struct job *job, enum pool_kind kind)
{
	struct pool	*p = &pools[kind];

	job->next = NULL;
	job->submitted = now_mono();
	pthread_mutex_lock(&lock);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	/* Busy workers come back for more; wake another when they lag. */
	if (p->idle > 0 && p->queued > p->busy * 4)
		pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&lock);
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
	for (int i = 0; i < NPOOLS; i++) {
		st->workers += pools[i].n;
		st->connected += pools[i].connected;
		st->busy += pools[i].busy;
		st->queued += pools[i].queued;
	}
	pthread_mutex_unlock(&lock);
}

/*
 * Worker threads. Each pops a job, runs its route's handler with its own
 * database connection and hands the job back to the loop.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "xmalloc.h"
#include "log.h"
#include "router.h"
#include "db.h"
#include "worker.h"

struct worker {
	pthread_t	 thread;
	struct db	 db;
};

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct job		*head, *tail;	/* waiting */
	struct job		*done_head, *done_tail;
	int			 stopping;
	int			 nworkers;
	struct worker		*workers;
	struct lws_context	*ctx;
	int			 busy, queued, connected;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	request_free(job->req);
	response_reset(&job->resp);
	free(job);
}

static void
worker_run(struct worker *w, struct job *job)
{
	struct hctx	 h = { job->req, &job->resp, &w->db };
	int		 was = w->db.conn != NULL;

	job->req->route->handler(&h);
	if (job->resp.status == 0)
		resp_problem(&job->resp, 500, "internal",
		    "the handler gave no answer");
	if (was != (w->db.conn != NULL)) {
		pthread_mutex_lock(&pool.lock);
		pool.connected += w->db.conn != NULL ? 1 : -1;
		pthread_mutex_unlock(&pool.lock);
	}
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct job	*job;
	int		 wake;

	if (db_ensure(&w->db) == 0) {
		pthread_mutex_lock(&pool.lock);
		pool.connected++;
		pthread_mutex_unlock(&pool.lock);
	}
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (pool.head == NULL && !pool.stopping)
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (pool.head == NULL) {
			pthread_mutex_unlock(&pool.lock);
			break;
		}
		job = pool.head;
		if ((pool.head = job->next) == NULL)
			pool.tail = NULL;
		pool.queued--;
		pool.busy++;
		pthread_mutex_unlock(&pool.lock);

		job->next = NULL;
		worker_run(w, job);

		pthread_mutex_lock(&pool.lock);
		pool.busy--;
		wake = pool.done_head == NULL;
		if (pool.done_tail != NULL)
			pool.done_tail->next = job;
		else
			pool.done_head = job;
		pool.done_tail = job;
		pthread_mutex_unlock(&pool.lock);
		/* One wake-up per batch: the loop takes the whole list. */
		if (wake)
			lws_cancel_service(pool.ctx);
	}
	db_close(&w->db);
	return NULL;
}

void
worker_start(int n, const char *dburl, struct lws_context *ctx)
{
	pool.ctx = ctx;
	pool.nworkers = n;
	pool.workers = xcalloc((size_t)n, sizeof *pool.workers);
	for (int i = 0; i < n; i++) {
		db_init(&pool.workers[i].db, dburl);
		if (pthread_create(&pool.workers[i].thread, NULL, worker_main,
		    &pool.workers[i]) != 0)
			fatal("worker: cannot start thread");
	}
}

void
worker_stop(void)
{
	struct job	*job;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (int i = 0; i < pool.nworkers; i++)
		pthread_join(pool.workers[i].thread, NULL);
	free(pool.workers);
	pool.workers = NULL;
	while ((job = worker_take_done()) != NULL) {
		while (job != NULL) {
			struct job *next = job->next;
			job_free(job);
			job = next;
		}
	}
}

void
worker_submit(struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&pool.lock);
	if (pool.tail != NULL)
		pool.tail->next = job;
	else
		pool.head = job;
	pool.tail = job;
	pool.queued++;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
}

struct job *
worker_take_done(void)
{
	struct job	*list;

	pthread_mutex_lock(&pool.lock);
	list = pool.done_head;
	pool.done_head = pool.done_tail = NULL;
	pthread_mutex_unlock(&pool.lock);
	return list;
}

void
worker_stats(struct pool_stats *st)
{
	pthread_mutex_lock(&pool.lock);
	st->workers = pool.nworkers;
	st->connected = pool.connected;
	st->busy = pool.busy;
	st->queued = pool.queued;
	pthread_mutex_unlock(&pool.lock);
}

/*
 * Streamed responses with bounded memory. The route is marked ROUTE_STREAM;
 * the loop gives its job a struct stream. The handler (on a worker) checks
 * what it can first and answers errors as usual (problem+json, the whole
 * response in memory); once it calls stream_open() the status and headers
 * are fixed and the body goes out with "transfer-encoding: chunked".
 *
 * The worker fills a STREAM_CHUNK buffer and queues it; at most
 * STREAM_QUEUE chunks wait for the loop, after which stream_write() blocks
 * on a condition variable until the loop has written one. Each queued
 * chunk, and stream_open(), wakes the loop with lws_cancel_service() (as
 * finished jobs do); on LWS_CALLBACK_EVENT_WAIT_CANCELLED the loop asks for
 * a writable callback on every streaming connection and writes one chunk
 * per callback. Memory per stream: STREAM_QUEUE + 2 chunks (~384 KiB),
 * whatever the body's size.
 *
 * When the client goes away the loop calls stream_cancel(): the worker's
 * next stream_write() fails, the handler stops (closing its cursor and
 * rolling back) and the job returns to the loop, which frees it. A client
 * that reads nothing for STREAM_STALL seconds counts as gone (the body it
 * may still read is truncated, as below). An error
 * after the first byte (stream_fail) ends the response without the
 * terminating zero-length chunk and closes the connection: the client sees
 * a truncated transfer, never a body that looks complete.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "xmalloc.h"
#include "stream.h"

_Static_assert(LWS_PRE <= STREAM_PRE, "LWS_PRE outgrew stream_chunk");

#define STREAM_STALL	60	/* seconds without progress */

struct stream {
	struct stream_chunk	*head, *tail;	/* queued, under lock */
	int			 queued;
	int			 open, failed, gone;
	struct stream_chunk	*fill;		/* the worker's own */
};

/* One lock and condition for every stream: few run at once. */
static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cond = PTHREAD_COND_INITIALIZER;
static int			 stopping;
static struct lws_context	*context;

void
stream_init(struct lws_context *ctx)
{
	context = ctx;
	pthread_mutex_lock(&lock);
	stopping = 0;
	pthread_mutex_unlock(&lock);
}

void
stream_shutdown(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

struct stream *
stream_new(void)
{
	return xcalloc(1, sizeof(struct stream));
}

void
stream_free(struct stream *s)
{
	struct stream_chunk	*c, *next;

	if (s == NULL)
		return;
	for (c = s->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(s->fill);
	free(s);
}

void
stream_open(struct stream *s)
{
	pthread_mutex_lock(&lock);
	s->open = 1;
	pthread_mutex_unlock(&lock);
	lws_cancel_service(context);
}

/* Queue the filled chunk, waiting for room. */
static int
push(struct stream *s)
{
	struct stream_chunk	*c = s->fill;
	struct timespec		 until;
	int			 wake;

	s->fill = NULL;
	if (c == NULL || c->len == 0) {
		free(c);
		return 0;
	}
	pthread_mutex_lock(&lock);
	while (s->queued >= STREAM_QUEUE && !s->gone && !stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += STREAM_STALL;
		if (pthread_cond_timedwait(&cond, &lock, &until) == ETIMEDOUT &&
		    s->queued >= STREAM_QUEUE)
			s->gone = 1;
	}
	if (s->gone || stopping) {
		/* Should the client read on, it must not see an ending. */
		s->failed = 1;
		pthread_mutex_unlock(&lock);
		free(c);
		return -1;
	}
	c->next = NULL;
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	wake = s->queued++ == 0;
	pthread_mutex_unlock(&lock);
	if (wake)
		lws_cancel_service(context);
	return 0;
}

int
stream_write(struct stream *s, const void *p, size_t n)
{
	const char	*q = p;
	size_t		 k;

	while (n > 0) {
		if (s->fill == NULL) {
			s->fill = xmalloc(sizeof *s->fill);
			s->fill->len = 0;
		}
		k = STREAM_CHUNK - s->fill->len;
		if (k > n)
			k = n;
		memcpy(CHUNK_DATA(s->fill) + s->fill->len, q, k);
		s->fill->len += k;
		q += k;
		n -= k;
		if (s->fill->len == STREAM_CHUNK && push(s) != 0)
			return -1;
	}
	return 0;
}

int
stream_puts(struct stream *s, const char *str)
{
	return stream_write(s, str, strlen(str));
}

void
stream_flush(struct stream *s)
{
	if (s->open)
		push(s);
}

void
stream_fail(struct stream *s)
{
	pthread_mutex_lock(&lock);
	s->failed = 1;
	pthread_mutex_unlock(&lock);
}

int
stream_is_open(struct stream *s)
{
	int	 open;

	pthread_mutex_lock(&lock);
	open = s->open;
	pthread_mutex_unlock(&lock);
	return open;
}

int
stream_failed(struct stream *s)
{
	int	 failed;

	pthread_mutex_lock(&lock);
	failed = s->failed;
	pthread_mutex_unlock(&lock);
	return failed;
}

struct stream_chunk *
stream_pop(struct stream *s)
{
	struct stream_chunk	*c;

	pthread_mutex_lock(&lock);
	if ((c = s->head) != NULL) {
		if ((s->head = c->next) == NULL)
			s->tail = NULL;
		if (s->queued-- == STREAM_QUEUE)
			pthread_cond_broadcast(&cond);
	}
	pthread_mutex_unlock(&lock);
	return c;
}

void
stream_cancel(struct stream *s)
{
	pthread_mutex_lock(&lock);
	s->gone = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

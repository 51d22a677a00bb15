/*
 * The worker pool: handlers run here, each worker with its own database
 * connection, so the event loop never blocks. Finished jobs go back to the
 * loop through a queue and lws_cancel_service().
 */
#ifndef WORKER_H
#define WORKER_H

#include "http.h"

struct lws;
struct lws_context;

struct job {
	struct lws	*wsi;		/* NULL once the client has gone */
	struct request	*req;
	struct response	 resp;
	double		 started;	/* monotonic seconds */
	double		 submitted;	/* handed to a pool, monotonic */
	int		 gone;		/* the client has gone (atomic) */
	int		 done;		/* back from the worker (loop thread) */
	struct job	*next;
};

struct pool_stats {
	int	workers;
	int	connected;	/* workers holding a live connection */
	int	busy;
	int	queued;
};

enum pool_kind {
	POOL_FAST,
	POOL_SLOW,	/* the handler hashes passwords */
	POOL_STREAM,	/* the handler streams its body (ROUTE_STREAM) */
	NPOOLS
};

/* n: how many workers each pool has. */
void		 worker_start(const int n[NPOOLS], const char *dburl,
		     struct lws_context *);
void		 worker_stop(void);
void		 worker_submit(struct job *, enum pool_kind);
/* Take every finished job, oldest first. Loop thread only. */
struct job	*worker_take_done(void);
void		 worker_stats(struct pool_stats *);
void		 job_free(struct job *);

#endif

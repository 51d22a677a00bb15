/*
 * The job pool: handlers and WebSocket lookups run here, on worker threads
 * each with its own database connection, so the event loop never blocks.
 * Jobs have a type, each type a cap on the workers it may hold at once.
 * Finished HTTP jobs go back to the loop through a queue and
 * lws_cancel_service().
 */
#ifndef WORKER_H
#define WORKER_H

#include "http.h"

struct lws;
struct lws_context;
struct db;

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

enum job_type {
	JOB_FAST,	/* ordinary database work */
	JOB_SLOW,	/* the handler hashes passwords */
	JOB_STREAM,	/* the handler streams its body (ROUTE_STREAM) */
	JOB_WS,		/* a WebSocket lookup (ws.c) */
	JOB_PEER,	/* another node's request (/internal/...): its own
			   share, so that two nodes forwarding to each other
			   never wait for each other's fast workers */
	NJOBTYPES
};

struct pool_stats {
	int	workers;
	int	connected;	/* workers holding a live connection */
	int	busy;
	int	queued;
	struct {
		int	cap;	/* workers the type may hold at once */
		int	busy;
		int	queued;
	} type[NJOBTYPES];
};

/*
 * cap: how many workers each type may hold at once. The pool has as many
 * threads as the caps add up to, so each type always has its share,
 * whatever the others do.
 */
void		 worker_start(const int cap[NJOBTYPES], const char *dburl,
		     struct lws_context *);
void		 worker_stop(void);
void		 worker_submit(struct job *, enum job_type);
/*
 * Run run(db, arg) on a worker, under type's cap; run hands its result
 * back itself. -1 when the pool has stopped (run will never be called).
 */
int		 worker_call(enum job_type, void (*run)(struct db *, void *),
		     void *arg);
const char	*job_type_name(enum job_type);
/* Take every finished job, oldest first. Loop thread only. */
struct job	*worker_take_done(void);
void		 worker_stats(struct pool_stats *);
void		 job_free(struct job *);

#endif

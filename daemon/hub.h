/*
 * The hub: the one owner of live call-center state. It wraps the ACD
 * engine (acd.h) in one lock; every change is persisted to PostgreSQL
 * under that lock before it is applied and acknowledged, then published as
 * an event. A thread of its own runs the engine's timers (ring timeouts,
 * wrap-ups, overflow) and offers calls to agents. At start it rebuilds the
 * engine from the database: waiting calls re-enter their queues in their
 * original order and interrupted offers are made again.
 */
#ifndef HUB_H
#define HUB_H

#include <jansson.h>
#include <libpq-fe.h>

#include "acd.h"

struct db;

int	hub_start(const char *dburl, char **cause);
void	hub_stop(void);

/* What a hub operation answers; row (a call or agent) is the caller's. */
struct hub_result {
	int		 status;	/* HTTP status */
	const char	*code;		/* problem code when status >= 400 */
	const char	*detail;
	PGresult	*row;
	int		 has_position;	/* hub_enqueue: position, estimated_wait */
	int		 position;
	int		 estimated_wait;	/* -1: unknown */
};

/* Mirror configuration committed by a handler into the engine. */
int	hub_queue_sync(struct db *, const char *queue);
/* -1 while calls are in the queue. */
int	hub_queue_drop(const char *queue);
int	hub_agent_sync(struct db *, const char *agent);
int	hub_agent_drop(const char *agent);

/* The agent (or its manager) sets available, away or offline. */
void	hub_availability(struct db *, const char *company, const char *agent,
	    enum agent_state, const char *reason, struct hub_result *);

/*
 * Put a call into its queue: a new one (inserted by the caller) becomes
 * queued with call.queued only once the engine has taken it, else it fails
 * with reason queue_full and was never queued; one already moved to queued
 * (by an IVR flow) is failed the same way. row is the call as it is then
 * (NULL when unchanged), with its position.
 */
void	hub_enqueue(struct db *, const PGresult *call, struct hub_result *);
/* A call's priority changed (committed): re-rank it in its queue. */
int	hub_call_priority(struct db *, const char *call);

enum hub_op {
	HUB_ANSWER,
	HUB_REJECT,
	HUB_HOLD,
	HUB_RESUME,
	HUB_HANGUP,
	HUB_WRAP,
	HUB_ASSIGN,
	HUB_TRANSFER_AGENT,
	HUB_TRANSFER_QUEUE,
};

struct hub_call_op {
	enum hub_op	 op;
	const char	*company;	/* scope */
	const char	*call;
	const char	*actor;		/* user id, NULL for the local admin */
	const char	*agent;		/* the acting agent, NULL for managers */
	const char	*target;	/* assign / transfer: agent or queue */
	json_t		*data;		/* borrowed: reason, disposition, notes */
};
void	hub_call(struct db *, const struct hub_call_op *, struct hub_result *);
/* An agent pulls its next call (GET /api/calls/queue/next). */
void	hub_next(struct db *, const char *company, const char *agent,
	    struct hub_result *);

/* Live facts for JSON. */
int	hub_position(const char *call, int *position, int *ewt);
/* 1 when the queue is at its max_length: a call sent there now fails. */
int	hub_queue_full(const char *queue);
int	hub_queue_stats(const char *queue, struct acd_queue_stats *);

#endif

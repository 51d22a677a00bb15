/*
 * The hub: the one owner of live call-center state. It keeps an ACD
 * engine (acd.h) per company. Each operation is a decision: made on a twin
 * of the company's engine under the company's lock, written to PostgreSQL
 * in one transaction (call states, events, agent states, notes), and only
 * after COMMIT applied to the engine readers see and published as events.
 * A database error leaves no row written and the engine as it was. No lock
 * shared by companies is held across database I/O. A thread of its own
 * runs the engines' timers (ring timeouts, wrap-ups, overflow) and offers
 * calls to agents, each batch a decision of its own. At start it rebuilds
 * the engines from the database: waiting calls re-enter their queues in
 * their original order and interrupted offers are made again.
 */
#ifndef HUB_H
#define HUB_H

#include <jansson.h>
#include <libpq-fe.h>

#include "acd.h"
#include "call.h"

struct db;
struct agent_rows;
struct call_row;
struct call_rows;

int	hub_start(const char *dburl, char **cause);
void	hub_stop(void);
/* In a cluster (owner.h), from the node thread: company is ours at epoch
 * (its engines are built at the next tick if they were not), or its
 * configuration changed on another node (rebuilt if it is ours). */
void	hub_owned(const char *company, long long epoch);
void	hub_changed(const char *company);

/* What a hub operation answers; row (a call) or agent is the caller's. */
struct hub_result {
	int		 status;	/* HTTP status */
	const char	*code;		/* problem code when status >= 400 */
	const char	*detail;
	struct call_rows *row;
	struct agent_rows *agent;	/* hub_availability */
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
void	hub_enqueue_call(struct db *, const struct call_row *,
	    struct hub_result *);
/* A call's priority changed (committed): re-rank it in its queue. */
int	hub_call_priority(struct db *, const char *company, const char *call);

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
	HUB_REQUEUE,		/* the agent's phone could not be reached */
};

struct hub_call_op {
	enum hub_op	 op;
	const char	*company;	/* scope */
	const char	*call;
	const char	*actor;		/* user id, NULL for the local admin */
	const char	*agent;		/* the acting agent, NULL for managers */
	const char	*target;	/* assign / transfer: agent or queue */
	json_t		*data;		/* borrowed: reason, disposition, notes */
	int		 caller_side;	/* the caller (or for it, a webhook)
					   acts, not a user */
};
void	hub_call(struct db *, const struct hub_call_op *, struct hub_result *);
/* An agent pulls its next call (GET /api/calls/queue/next). */
void	hub_next(struct db *, const char *company, const char *agent,
	    struct hub_result *);

/*
 * Callbacks (hub-callback.c). A waiting call becomes a callback to number:
 * it keeps its place in the engine; from then on the caller's side may
 * hang up without abandoning it (hub_call). A callback's dial did not
 * reach the caller (reason: Twilio's status): the agent is freed, and
 * the call waits again at its place after its queue's
 * callback_retry_delay, or fails (callback_failed) after
 * callback_attempts dials.
 */
void	hub_callback(struct db *, const char *company, const char *call,
	    const char *number, const char *actor, struct hub_result *);
void	hub_callback_failed(struct db *, const char *company,
	    const char *call, const char *reason, struct hub_result *);

/*
 * Supervision (hub-supervise.c): user monitors, whispers to the agent of,
 * barges into a connected call of company, or leaves it (SUP_OFF). phone:
 * the supervisor's phone (a Twilio call's only; NULL: in the browser),
 * fixed until she leaves. One supervisor per call; any user acting for
 * the company may end another's. Audited (ip: the client's, or NULL);
 * call.supervised is published after COMMIT. r->row: the call.
 */
struct hub_sup {
	const char	*company;
	const char	*call;
	const char	*user;
	enum sup_mode	 mode;
	const char	*phone;
	const char	*ip;
};
void	hub_supervise(struct db *, const struct hub_sup *, struct hub_result *);

/* Live facts for JSON. company may be NULL (looked for: slower). */
int	hub_position(const char *company, const char *call, int *position,
	    int *ewt);
struct hub_position {
	int	known;		/* waiting or offered; else the rest is 0 */
	int	position;
	int	ewt;
};
/* Positions of n calls (companies[i] may be NULL), one lock per run of
 * calls of the same company. */
void	hub_positions(const char *const *companies, const char *const *calls,
	    size_t n, struct hub_position *out);
/* 1 when the queue is at its max_length: a call sent there now fails. */
int	hub_queue_full(const char *company, const char *queue);
int	hub_queue_stats(const char *company, const char *queue,
	    struct acd_queue_stats *);

#endif

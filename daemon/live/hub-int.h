/*
 * The hub's insides, shared by hub.c (companies, what the engine's
 * actions write, the timer thread), hub-rebuild.c, hub-tx.c (a decision:
 * its transaction, its twin engine) and hub-ops.c (the operations
 * handlers call).
 */
#ifndef HUB_INT_H
#define HUB_INT_H

#include <pthread.h>

#include "db.h"
#include "call.h"
#include "db-agent.h"
#include "db-call.h"
#include "db-queue.h"
#include "hub.h"

/*
 * One company's live state. Decisions run on the twin under lock, which
 * is held across the decision's transaction; after COMMIT the same steps
 * are replayed on acd, the committed engine readers see (under rlock,
 * never held across I/O). A refused decision leaves acd untouched and the
 * twin is made its copy again.
 */
struct hub_co {
	char		 id[ACD_ID_LEN + 1];
	pthread_mutex_t	 lock;		/* decisions; across their transaction */
	pthread_mutex_t	 rlock;		/* acd, for readers; never across I/O */
	struct acd	*acd;		/* committed */
	struct acd	*twin;		/* decisions run here first */
	struct acd	*fresh;		/* being rebuilt (hub_rebuild only) */
	int		 stale;		/* atomic: rebuild from the database
					   first */
	long long	 epoch;		/* the lease epoch the engines were
					   built under (owner.h); 0: none */
	int		 kicked;	/* atomic: the thread should tick it */
	long long	 parked;	/* atomic: the first callback retry due,
					   ms since the epoch; 0: none */
	struct hub_co	*next;		/* every company, newest first */
	struct hub_co	*hnext;		/* hash chain */
};

struct hub {
	pthread_mutex_t	 lock;		/* the company list and wake-ups only */
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct hub_co	*cos;
	struct hub_co	*hash[256];
	struct db	 db;		/* the hub thread's own connection */
	int		 stop;
	int		 wake;
	int		 built;		/* the first rebuild succeeded */
	const char	*dburl;
};
extern struct hub	 hub;

/* One change to an engine; run on the twin, replayed on the committed. */
enum hub_step_kind {
	STEP_AGENT_STATE,	/* agent, state */
	STEP_ENQUEUE,		/* conf */
	STEP_ACCEPT,		/* call, agent */
	STEP_REJECT,		/* call, agent */
	STEP_ASSIGN,		/* call, agent */
	STEP_ABANDON,		/* call */
	STEP_END,		/* agent, call, talk */
	STEP_HANDOFF,		/* agent, call, talk */
	STEP_WRAP_DONE,		/* agent */
	STEP_PULL,		/* agent; the call chosen comes back in call */
	STEP_PRIORITY,		/* call, priority */
	STEP_REQUEUE,		/* call, agent */
	STEP_TICK,		/* timers and matching */
};

struct hub_step {
	enum hub_step_kind	 kind;
	char			 call[ACD_ID_LEN + 1];
	char			 agent[ACD_ID_LEN + 1];
	enum agent_state	 state;
	double			 talk;
	int			 priority;
	struct acd_call_conf	 conf;
	int			 rc;		/* the twin's answer */
	size_t			 act0, nact;	/* its actions in tx->acts */
};

/* A decision in progress: co->lock held from hub_tx_begin to hub_tx_end. */
struct hub_tx {
	struct hub_co		*co;
	struct db		*db;
	double			 now;
	int			 sql;		/* BEGIN sent */
	int			 quiet;		/* the timer thread's: no kick */
	const char		*company;	/* fenced by its lease at epoch */
	long long		 epoch;		/* 0: not fenced (no cluster) */
	json_t			*events;	/* [company, type, data], after COMMIT */
	struct hub_step		*steps;
	size_t			 nsteps, steps_cap;
	struct acd_action	*acts;
	size_t			 nacts, acts_cap;
};

double	hub_now(void);
/* Wake the hub thread: something may be offered in co. */
void	hub_kick(struct hub_co *);
void	hub_result_set(struct hub_result *, int status, const char *code,
	    const char *detail);
void	hub_result_db(struct hub_result *, struct db *);
/* 503: the company's lease is moving between nodes (owner.h). */
void	hub_result_moving(struct hub_result *);

/* The company's state, made on first use. */
struct hub_co *hub_co_get(const char *company);
/* Find the company whose committed engine knows the queue, call or agent
 * (lookup is the acd_* getter); NULL if none. */
struct hub_co *hub_co_search(int (*known)(const struct acd *, const char *),
	    const char *id);
/* Rebuild co (NULL: every company) from the database. co->lock held
 * when co is given. 0 or -1. */
int	hub_rebuild(struct db *, struct hub_co *co);

/* hub-tx.c: lock co, rebuild it if stale; -1 (r filled) if that failed. */
int	hub_tx_begin(struct hub_tx *, struct db *, struct hub_co *,
	    struct hub_result *);
/* The same for the timer thread: -1 at once if co is busy. */
int	hub_tx_trybegin(struct hub_tx *, struct db *, struct hub_co *);
/* Open the SQL transaction (once); -1 on a database error. */
int	hub_tx_sql(struct hub_tx *);
/* In a cluster, right before COMMIT: 0 if the company's lease is still
 * ours at tx->epoch (db-owner.h), -1 (db->err DB_FENCED) if not. */
int	hub_tx_fence(struct hub_tx *);
/* Run a step on the twin; its rc. Its actions: tx->acts[act0..+nact]. */
int	hub_tx_step(struct hub_tx *, struct hub_step *);
/* Queue an event for after COMMIT; steals data. */
void	hub_tx_event(struct hub_tx *, const char *company, const char *type,
	    json_t *data);
/*
 * End the decision: with commit, COMMIT, replay the steps on the committed
 * engine and publish; otherwise (or if COMMIT failed) roll back and leave
 * the committed engine as it was. Unlocks co. 0 if committed.
 */
int	hub_tx_end(struct hub_tx *, int commit);

void	hub_publish_call(struct hub_tx *, const char *type,
	    const struct call_row *);
/* Move a call (unscoped when company is NULL) in tx; its events queued. */
enum call_move_result hub_move(struct hub_tx *, const char *call,
	    const char *company, enum call_state from, enum call_state to,
	    const char *event, const char *actor, const char *agent,
	    const char *queue, json_t *data, struct call_rows **out);
/*
 * An offer of call to agent ended unanswered (event: call.offer_missed,
 * call.rejected, call.offer_withdrawn) in tx, and the event names that
 * agent. While other (an agent the call still rings, or NULL) is given the
 * call stays offering with other as its agent, else it goes back to its
 * queue. Its events queued.
 */
enum call_move_result hub_offer_end(struct hub_tx *, const char *call,
	    const char *agent, const char *other, const char *event,
	    const char *actor, json_t *data, struct call_rows **out);
/* The call's current state from the database: 1, 0 none, -1 error. */
int	hub_call_state(struct db *, const char *scope, const char *call,
	    struct call_rows **row, enum call_state *);
/* Engine call configuration from a call row. */
void	hub_call_conf(const struct call_row *, struct acd_call_conf *,
	    double arrival);
double	hub_arrival(const struct call_row *);
/* Load a queue or agent row into an engine. */
int	hub_queue_load(struct acd *, const struct queue_row *);
int	hub_agent_load(struct acd *, const struct agent_row *);
/* Persist engine e's view of an agent in tx; keep leaves the stored pause
 * reason while the agent is away (shown or pending). */
int	hub_agent_persist(struct hub_tx *, struct acd *e, const char *agent,
	    const char *reason, int keep, struct agent_rows **out);
/* The first of every company (newest first; never unlinked). */
struct hub_co *hub_co_first(void);
/* Persist the twin's view of an agent in tx. A NULL reason keeps the
 * stored one while the agent is away (shown or pending). */
int	hub_agent_state_sync(struct hub_tx *, const char *agent,
	    const char *reason, struct agent_rows **out);
/* The same, setting the reason as given (the agent's own choice). */
int	hub_agent_state_set(struct hub_tx *, const char *agent,
	    const char *reason, struct agent_rows **out);
/* hub-callback.c: a callback retry is due at (epoch seconds) in co; the
 * thread queues the callbacks whose retry is due (-1 on a database error,
 * 1 when co was busy). */
void	hub_park(struct hub_co *, double at);
double	hub_parked(struct hub_co *);
int	hub_unpark(struct db *, struct hub_co *);

/*
 * hub-supervise.c: the call (*row, just moved to state to) left its agent:
 * its supervisor, if any, leaves in tx. *row becomes the call without
 * supervision and *ev the call.supervised event (off, with its reason) to
 * queue after the move's own (NULL: none). -1 on a database error.
 */
int	hub_supervise_end(struct hub_tx *, enum call_state to,
	    struct call_rows **row, json_t **ev);

/* Persist the engine's actions tx->acts[from..to) in tx. -1 on error. */
int	hub_apply(struct hub_tx *, size_t from, size_t to);

#endif

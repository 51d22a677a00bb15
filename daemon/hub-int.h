/*
 * The hub's insides, shared by hub.c (state, persistence, the timer
 * thread, rebuilding) and hub-ops.c (the operations handlers call).
 */
#ifndef HUB_INT_H
#define HUB_INT_H

#include <pthread.h>

#include "db.h"
#include "call.h"
#include "hub.h"

struct hub {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	struct acd	*acd;
	struct db	 db;		/* the hub thread's own connection */
	int		 stop;
	int		 wake;
	int		 stale;		/* the engine must be rebuilt */
	const char	*dburl;
};
extern struct hub	 hub;

double	hub_now(void);
/* Wake the hub thread: something may be offered. Lock held. */
void	hub_kick(void);
/* Apply what the engine decides now (offers, withdrawals). Lock held. */
void	hub_tick(struct db *);
void	hub_result_set(struct hub_result *, int status, const char *code,
	    const char *detail);
void	hub_result_db(struct hub_result *, struct db *);
void	hub_publish_call(const char *type, const PGresult *row);
/* Move a call (unscoped when company is NULL); publish on success. */
enum call_move_result hub_move(struct db *, const char *call, const char *company,
	    enum call_state from, enum call_state to, const char *event,
	    const char *actor, const char *agent, const char *queue,
	    json_t *data, PGresult **out);
/* An unanswered offer's end: the call stays offering while other rings,
 * else goes back to its queue; the event names agent. Publish on success. */
enum call_move_result hub_offer_end(struct db *, const char *call,
	    const char *agent, const char *other, const char *event,
	    const char *actor, json_t *data, PGresult **out);
/* The call's current state from the database: 1, 0 none, -1 error. */
int	hub_call_state(struct db *, const char *scope, const char *call,
	    PGresult **row, enum call_state *);
/* Engine call configuration from a call row. */
void	hub_call_conf(const PGresult *row, struct acd_call_conf *, double arrival);
double	hub_arrival(const PGresult *row, int r);
/* Load a queue or agent row into the engine. Lock held. */
int	hub_queue_load(const PGresult *, int r);
int	hub_agent_load(const PGresult *, int r);
/* Persist the engine's view of an agent. Lock held. A NULL reason keeps
 * the stored one while the agent is away (shown or pending). */
int	hub_agent_state_sync(struct db *, const char *agent, const char *reason,
	    PGresult **out);
/* The same, setting the reason as given (the agent's own choice). */
int	hub_agent_state_set(struct db *, const char *agent, const char *reason,
	    PGresult **out);

#endif

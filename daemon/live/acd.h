/*
 * The ACD engine: which waiting call is offered to which agent, and when.
 * Pure: no I/O, no threads, no clock (time comes in as "now", seconds),
 * randomness from the seed given to acd_new(). One owner (the hub) calls
 * it under its lock, persists what acd_tick() decides and publishes it.
 *
 * Functions that change state return 0 or a negative ACD_E_* and may queue
 * actions (offers withdrawn, agents sent away ...); acd_tick() returns
 * every queued action, in order, together with those it decides itself.
 *
 * Ordering. Each waiting call has a rank, arrival - priority *
 * ACD_PRIORITY_WEIGHT: a priority of p is a head start of p minutes. Within
 * a queue and across queues, the lowest rank is served first (ties: the
 * order calls were enqueued), so an agent in several queues is offered the
 * caller who has waited longest among them, weighted by priority. Give
 * priorities far apart (100 = 100 minutes) to make them strict.
 *
 * An agent may be offered a call when it is a member of the call's queue,
 * free (available, no offer outstanding, out of wrap-up and below
 * max_calls: busy with room counts) and has every skill the call still
 * needs at that level or above.
 *
 * Choosing the agent for a call, best first: agents not yet tried for this
 * call (one that missed or rejected it is retried only when no other
 * eligible agent is free, and one that rejected it not before
 * ACD_REJECT_RETRY seconds have passed, even in ring-all), lower member
 * penalty, higher total level in the
 * skills the call originally asked for, then the queue's strategy, then
 * member order. Ring-all offers to every free eligible member of the lowest
 * penalty present, tried or not.
 */
#ifndef ACD_H
#define ACD_H

#include <stddef.h>
#include <stdint.h>

#define ACD_ID_LEN		36
#define ACD_MAX_SKILLS		16	/* per agent */
#define ACD_MAX_NEED		8	/* per call */
#define ACD_MAX_WIDEN		8	/* per queue */
#define ACD_PRIORITY_WEIGHT	60.0	/* seconds of head start per level */
#define ACD_AHT_SAMPLES		32	/* handle times kept for the EWT */
#define ACD_DEFAULT_AHT		180.0	/* handle time assumed before any */
#define ACD_REJECT_RETRY	5.0	/* seconds before a rejecter is re-offered */

enum acd_error {
	ACD_OK = 0,
	ACD_E_INVAL = -1,	/* bad argument or configuration */
	ACD_E_NOENT = -2,	/* unknown queue, agent or call */
	ACD_E_EXIST = -3,	/* the call is already in the engine */
	ACD_E_STATE = -4,	/* not allowed in the current state: 409 */
	ACD_E_FULL = -5,	/* the queue is at max_len */
	ACD_E_BUSY = -6,	/* still has calls */
	ACD_E_EMPTY = -7,	/* nothing to pull */
};

enum acd_strategy {
	ACD_LONGEST_IDLE,
	ACD_ROUND_ROBIN,
	ACD_FEWEST_CALLS,
	ACD_LEAST_TALK,
	ACD_RANDOM,
	ACD_RING_ALL,
	ACD_LINEAR,
	ACD_STRATEGY_COUNT
};

enum agent_state {
	AGENT_OFFLINE,
	AGENT_AVAILABLE,
	AGENT_OFFERING,
	AGENT_BUSY,
	AGENT_WRAP_UP,
	AGENT_AWAY,
	AGENT_STATE_COUNT
};

struct acd_skill {
	char	name[32];
	int	level;
};

/*
 * Once a call has waited "after" seconds, each required level is lowered
 * by level_drop (the largest drop among the rules reached, not a sum); a
 * level that falls to 0 or below is no longer required.
 */
struct acd_widen {
	int	after;
	int	level_drop;
};

struct acd_queue_conf {
	char			id[ACD_ID_LEN + 1];
	enum acd_strategy	strategy;
	int			ring_timeout;	/* > 0 seconds */
	int			wrap_up;	/* seconds, 0: none */
	int			max_wait;	/* seconds, 0: none */
	int			max_len;	/* waiting + offering, 0: none */
	int			miss_limit;	/* consecutive misses, 0: never */
	struct acd_widen	widen[ACD_MAX_WIDEN];
	int			nwiden;
};

struct acd_agent_conf {
	char		 id[ACD_ID_LEN + 1];
	int		 max_calls;		/* <= 0 counts as 1 */
	struct acd_skill skills[ACD_MAX_SKILLS];
	int		 nskills;
};

struct acd_call_conf {
	char		 id[ACD_ID_LEN + 1];
	char		 queue[ACD_ID_LEN + 1];
	int		 priority;
	double		 arrival;	/* now, or the original on restore */
	struct acd_skill need[ACD_MAX_NEED];
	int		 nneed;
};

enum acd_action_type {
	ACD_OFFER,		/* ring agent for call until deadline */
	ACD_WITHDRAW,		/* stop ringing agent: taken, gone or moved */
	ACD_MISSED,		/* agent let the offer time out */
	ACD_AGENT_AWAY,		/* agent set away: "missed offers" */
	ACD_OVERFLOW,		/* call waited max_wait: it left the engine */
	ACD_WRAP_DONE,		/* agent's wrap-up time is over */
	ACD_ACTION_COUNT
};

/*
 * Unused fields are "" and 0. For ACD_MISSED and ACD_WITHDRAW, other names
 * an agent the call was still being offered to once this offer ended (the
 * call stays offering: ring-all, or an assign replacing the offer), "" when
 * none was (the call went back to waiting, or left the queue).
 */
struct acd_action {
	enum acd_action_type	type;
	char			call[ACD_ID_LEN + 1];
	char			agent[ACD_ID_LEN + 1];
	char			queue[ACD_ID_LEN + 1];
	char			other[ACD_ID_LEN + 1];
	double			deadline;	/* ACD_OFFER */
};

struct acd_queue_stats {
	int	waiting;
	int	offering;
	double	longest_wait;		/* of calls waiting or offering */
	int	agents[AGENT_STATE_COUNT];	/* members by state */
};

struct acd;

const char	*acd_strerror(int);
const char	*acd_strategy_name(enum acd_strategy);
int		 acd_strategy_parse(const char *, enum acd_strategy *);
const char	*agent_state_name(enum agent_state);
int		 agent_state_parse(const char *, enum agent_state *);
const char	*acd_action_name(enum acd_action_type);

struct acd	*acd_new(uint64_t seed);
void		 acd_free(struct acd *);

/* Create or update. An update applies new widen and max_wait rules to the
 * calls already waiting; offers in flight keep their deadline. */
int	 acd_queue_put(struct acd *, const struct acd_queue_conf *);
/* Refused with ACD_E_BUSY while any call is in the queue or connected from
 * it: the hub ends or moves them first. Members are dropped. */
int	 acd_queue_del(struct acd *, const char *queue);
/* Create (offline, since 0) or update skills and max_calls. */
int	 acd_agent_put(struct acd *, const struct acd_agent_conf *);
/* Refused with ACD_E_BUSY while on a call; an offer is withdrawn. */
int	 acd_agent_del(struct acd *, const char *agent);
/* Add or re-penalise a member; re-setting keeps its place in member order. */
int	 acd_member_set(struct acd *, const char *queue, const char *agent,
	    int penalty);
int	 acd_member_del(struct acd *, const char *queue, const char *agent);
/*
 * Restore an agent's counters (after a restart; zeros at the start of a
 * day): calls handled, talk seconds and the end of its last call, which
 * longest-idle uses.
 */
int	 acd_agent_counters(struct acd *, const char *agent, int calls,
	    double talk_seconds, double last_call_end);

/*
 * Set by the agent or a manager: AGENT_AVAILABLE, AGENT_AWAY or
 * AGENT_OFFLINE (else ACD_E_INVAL). Going away or offline withdraws an
 * outstanding offer (no miss); on a call the agent shows busy until it ends.
 */
int	 acd_agent_state(struct acd *, const char *agent, enum agent_state,
	    double now);

/* Queue a call, ACD_E_FULL at max_len. Waiting order and max_wait count
 * from conf->arrival, so a restore passes the original arrival. */
int	 acd_enqueue(struct acd *, const struct acd_call_conf *, double now);
/* Register a call already connected to agent (a restore after restart). */
int	 acd_connect(struct acd *, const struct acd_call_conf *,
	    const char *agent, double now);
/* The caller hung up while waiting or being offered: offers withdrawn. */
int	 acd_abandon(struct acd *, const char *call, double now);
/* Only for an outstanding offer: the agent is busy, the misses count reset,
 * ring-all siblings withdrawn. */
int	 acd_accept(struct acd *, const char *call, const char *agent,
	    double now);
/*
 * Counts as a miss (no ACD_MISSED, the hub knows) and may send the agent
 * away. Only that agent's offer ends: in ring-all the others keep ringing
 * and the call stays offered until the last of them rejects or rings out
 * (app_queue's ringall); then it waits for the next agent.
 */
int	 acd_reject(struct acd *, const char *call, const char *agent,
	    double now);
/*
 * How many offers of a waiting or offered call are ringing (>= 0), and the
 * agent of the first of them in agent_out ("" with none); ACD_E_STATE once
 * the call is answered.
 */
int	 acd_call_offers(const struct acd *, const char *call,
	    char agent_out[ACD_ID_LEN + 1]);
/*
 * A new priority for a call: a waiting call takes its new place in the
 * waiting order at once (position, and the next offer); an offered one
 * keeps its offers and waits in its new place if they all end. Arrival
 * is unchanged.
 */
int	 acd_call_priority(struct acd *, const char *call, int priority,
	    double now);
/*
 * A manager offers a waiting or offering call to a chosen agent, who must be
 * available, without an offer, out of wrap-up and below max_calls (skills
 * and membership are not checked). Current offers are withdrawn.
 */
int	 acd_assign(struct acd *, const char *call, const char *agent,
	    double now);
/* The call ends: counters updated, the agent wraps up for its queue's
 * wrap_up. */
int	 acd_call_end(struct acd *, const char *agent, const char *call,
	    double talk_seconds, double now);
/* The agent hands the call on (a transfer): counted as acd_call_end(), but
 * with no wrap-up, since the call goes on without it. */
int	 acd_call_handoff(struct acd *, const char *agent, const char *call,
	    double talk_seconds, double now);
/*
 * The agent's side of an answered call could not be reached (a phone that
 * was busy or did not answer): the call waits again at the place it had
 * (its rank), and the agent counts a miss, as for an offer that rang out
 * (tried last for this call; away at the queue's miss_limit).
 */
int	 acd_requeue(struct acd *, const char *call, const char *agent,
	    double now);
/* The agent ends its wrap-up early. */
int	 acd_wrap_done(struct acd *, const char *agent, double now);
/*
 * The best waiting call this free agent is eligible for, in its queues
 * (rank order, penalty and strategy ignored), offered to it at once;
 * ACD_E_EMPTY when there is none.
 */
int	 acd_pull(struct acd *, const char *agent, double now,
	    char call_out[ACD_ID_LEN + 1]);

/*
 * Expire offers (ACD_MISSED, ACD_AGENT_AWAY at the queue's miss_limit),
 * end wrap-ups (ACD_WRAP_DONE), widen requirements, overflow calls past
 * max_wait (ACD_OVERFLOW, after ACD_WITHDRAW of their offers), then offer
 * waiting calls to free agents (ACD_OFFER, deadline now + ring_timeout).
 * Writes at most max actions and returns how many; call again while it
 * returns max.
 */
size_t	 acd_tick(struct acd *, double now, struct acd_action *out,
	    size_t max);
/* When acd_tick() next has work because of time, or INFINITY. Work made
 * by the other calls is not counted: tick after each change as well. */
double	 acd_next_deadline(const struct acd *);

/*
 * A waiting call's 1-based position among the waiting calls its queue
 * would serve before it (rank order), 0 while being offered; the estimated
 * wait is 0 if enough members are free, else (position - free) * average
 * handle time / members available, rounded up, or -1 with none available.
 */
int	 acd_position(const struct acd *, const char *call, int *position,
	    int *ewt_seconds);
int	 acd_queue_stats(const struct acd *, const char *queue, double now,
	    struct acd_queue_stats *);
/* 1 when the queue is at its max_len (acd_enqueue() would refuse), 0 when
 * it has room, or a negative ACD_E_*. */
int	 acd_queue_full(const struct acd *, const char *queue);
int	 acd_agent_get(const struct acd *, const char *agent,
	    enum agent_state *, double *since, int *active_calls);
/* 1 while an offer rings for the agent, 0 if none, or a negative ACD_E_*. */
int	 acd_agent_offered(const struct acd *, const char *agent);
/* What the agent (or a manager) last set: available, away or offline. It
 * shows once the agent is out of offers, calls and wrap-up: until then a
 * pause is pending. */
int	 acd_agent_presence(const struct acd *, const char *agent,
	    enum agent_state *presence);

/* A deep copy: the same state, behaving the same from here on. Caller
 * frees with acd_free(). */
struct acd	*acd_copy(const struct acd *);
/* The actions queued by the operations since the last acd_tick() or
 * acd_drain(), without firing timers or matching: at most max. */
size_t	 acd_drain(struct acd *, struct acd_action *out, size_t max);

#endif

/*
 * The ACD engine's insides, shared by acd.c (queues, agents, members),
 * acd-call.c (calls, offers, time), acd-pick.c (who gets which call) and
 * acd-util.c (hash map, timer heap, PRNG). Only daemon/acd*.c and the
 * engine's unit test include this.
 */
#ifndef ACD_INT_H
#define ACD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "acd.h"

#define ACD_NONE	SIZE_MAX	/* not in a heap or an index */

/* Open-addressed string -> pointer map; keys live in the values. */
struct acd_map_ent {
	uint64_t	 hash;
	const char	*key;
	void		*val;
};

struct acd_map {
	struct acd_map_ent	*ent;
	size_t			 cap;	/* power of two, or 0 */
	size_t			 n;
};

enum acd_timer_kind {
	TIMER_OFFER,		/* struct acd_offer: ring timeout */
	TIMER_WRAP,		/* struct acd_agent: wrap-up over */
	TIMER_WIDEN,		/* struct acd_call: next widen rule */
	TIMER_OVERFLOW,		/* struct acd_call: max_wait */
	TIMER_RETRY,		/* struct acd_call: a rejecter may retry */
};

struct acd_timer {
	double			at;
	uint64_t		seq;	/* ties: armed first fires first */
	size_t			idx;	/* in the heap, or ACD_NONE */
	enum acd_timer_kind	kind;
};

struct acd_heap {
	struct acd_timer	**t;
	size_t			  n;
	size_t			  cap;
};

/* A skill reference: interned skill number and level. */
struct acd_need {
	int	skill;
	int	level;
};

/* Waiting calls of one queue with the same current requirements. */
struct acd_group {
	char			 sig[ACD_MAX_NEED * 24 + 1];
	struct acd_need		 need[ACD_MAX_NEED];
	int			 nneed;
	struct acd_call		*head;	/* rank order */
	struct acd_call		*tail;
	int			 n;	/* calls in it */
	struct acd_group	*next;
	struct acd_group	*prev;
};

struct acd_member {
	struct acd_queue	*queue;
	struct acd_agent	*agent;
	int			 penalty;
	uint64_t		 order;		/* insertion order in queue */
	size_t			 free_idx;	/* in queue->free or ACD_NONE */
	struct acd_member	*qnext;		/* queue's members, in order */
	struct acd_member	*qprev;
	struct acd_member	*anext;		/* agent's memberships */
};

struct acd_queue {
	struct acd_queue_conf	 conf;		/* widen sorted by after */
	struct acd_member	*mhead;
	struct acd_member	*mtail;
	int			 nmembers;
	uint64_t		 next_order;
	struct acd_member	**free;		/* members whose agent is free */
	size_t			 nfree;
	size_t			 free_cap;
	struct acd_group	*groups;
	struct acd_map		 groups_by_sig;
	struct acd_call		*chead;		/* waiting and offering */
	struct acd_call		*ctail;
	int			 nwaiting;
	int			 noffering;
	int			 nconnected;
	uint64_t		 rr_cursor;	/* order of the last offered */
	double			 aht[ACD_AHT_SAMPLES];
	int			 naht;
	int			 aht_pos;
};

struct acd_agent {
	struct acd_agent_conf	 conf;
	struct acd_need		 skills[ACD_MAX_SKILLS];	/* by skill */
	int			 nskills;
	uint64_t		 serial;
	enum agent_state	 presence;	/* available, away, offline */
	enum agent_state	 state;		/* as shown */
	double			 since;
	int			 active;
	int			 is_free;
	struct acd_offer	*offer;
	int			 wrapping;
	struct acd_timer	 wrap;
	double			 idle_since;
	int			 calls;		/* handled today */
	double			 talk;		/* seconds today */
	int			 misses;	/* consecutive */
	struct acd_member	*members;
	size_t			 dirty_idx;
};

/* An agent that missed or rejected a call; not offered it before until. */
struct acd_try {
	uint64_t	serial;
	double		until;
};

enum acd_call_state {
	ACD_CALL_NEW,		/* not yet queued, or on its way out */
	ACD_CALL_WAITING,
	ACD_CALL_OFFERED,
	ACD_CALL_TALKING,
};

struct acd_call {
	struct acd_call_conf	 conf;
	struct acd_queue	*queue;
	enum acd_call_state	 st;
	struct acd_need		 orig[ACD_MAX_NEED];	/* by skill */
	int			 norig;
	struct acd_need		 need[ACD_MAX_NEED];	/* after widening */
	int			 nneed;
	int			 step;		/* widen rules reached */
	double			 rank;
	uint64_t		 seq;
	struct acd_group	*group;		/* while waiting */
	struct acd_call		*gnext;
	struct acd_call		*gprev;
	struct acd_call		*qnext;		/* queue's calls */
	struct acd_call		*qprev;
	struct acd_offer	*offers;
	struct acd_agent	*agent;		/* talking to */
	struct acd_try		*tried;
	int			 ntried;
	int			 tried_cap;
	struct acd_timer	 widen;
	struct acd_timer	 overflow;
	struct acd_timer	 retry;		/* earliest tried[].until */
	size_t			 dirty_idx;
};

struct acd_offer {
	struct acd_call		*call;
	struct acd_agent	*agent;
	struct acd_timer	 timer;
	struct acd_offer	*next;		/* the call's offers */
};

/* A call to try in the matching pass, and the agent that proposed it. */
struct acd_cand {
	struct acd_call		*call;
	struct acd_agent	*by;
};

struct acd {
	struct acd_map		  queues;
	struct acd_map		  agents;
	struct acd_map		  calls;
	struct acd_map		  skills;
	char			**skill_names;
	int			  nskills;
	size_t			  skill_cap;
	struct acd_heap		  timers;
	uint64_t		  timer_seq;
	uint64_t		  call_seq;
	uint64_t		  agent_serial;
	uint64_t		  rng;
	struct acd_agent	**dirty_agents;
	size_t			  ndirty_agents;
	size_t			  dirty_agents_cap;
	struct acd_call		**dirty_calls;
	size_t			  ndirty_calls;
	size_t			  dirty_calls_cap;
	struct acd_cand		 *cand;		/* matching heap */
	size_t			  ncand;
	size_t			  cand_cap;
	struct acd_member	**pick;		/* chosen agents (ring-all) */
	size_t			  pick_cap;
	struct acd_action	 *pending;	/* actions not yet returned */
	size_t			  pending_head;
	size_t			  npending;
	size_t			  pending_cap;
};

/* acd-util.c */
uint64_t	 acd_hash(const char *);
void		*acd_map_get(const struct acd_map *, const char *);
void		 acd_map_put(struct acd_map *, const char *, void *);
void		 acd_map_del(struct acd_map *, const char *);
void		 acd_map_free(struct acd_map *);
void		 acd_timer_init(struct acd_timer *, enum acd_timer_kind);
void		 acd_timer_set(struct acd *, struct acd_timer *, double);
void		 acd_timer_stop(struct acd *, struct acd_timer *);
struct acd_timer *acd_timer_due(struct acd *, double);
uint64_t	 acd_random(struct acd *);
void		*acd_grow(void *, size_t *, size_t, size_t);

/* acd.c */
int		 acd_id_ok(const char *);
void		 acd_action_push(struct acd *, enum acd_action_type,
		    const struct acd_call *, const struct acd_agent *,
		    const struct acd_queue *, double);
int		 acd_skills_norm(struct acd *, const struct acd_skill *, int,
		    int, struct acd_need *, int *);
void		 acd_dirty_agent(struct acd *, struct acd_agent *);
void		 acd_dirty_call(struct acd *, struct acd_call *);
void		 acd_undirty_call(struct acd *, struct acd_call *);
int		 acd_agent_is_free(const struct acd_agent *);
void		 acd_agent_refresh(struct acd *, struct acd_agent *, double);
struct acd_agent *acd_agent_find(const struct acd *, const char *);
struct acd_call	*acd_call_find(const struct acd *, const char *);

/* acd-call.c */
int		 acd_call_before(const struct acd_call *,
		    const struct acd_call *);
void		 acd_offer_make(struct acd *, struct acd_call *,
		    struct acd_agent *, double);
void		 acd_agent_unoffer(struct acd *, struct acd_agent *, double);
void		 acd_queue_rearm(struct acd *, struct acd_queue *);

/* acd-pick.c */
int		 acd_eligible(const struct acd_agent *,
		    const struct acd_need *, int);
int		 acd_tried(const struct acd_call *, const struct acd_agent *);
int		 acd_blocked(const struct acd_call *, const struct acd_agent *,
		    double now);
struct acd_call	*acd_best_call(struct acd *, struct acd_agent *, double now);
void		 acd_match(struct acd *, double);

#endif

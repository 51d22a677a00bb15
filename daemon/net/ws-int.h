/*
 * The insides of the calldocker.v1 WebSocket server, shared by ws.c
 * (transport, connections, send queues, timers, the lookups),
 * ws-index.c (who may hear what), ws-auth.c
 * (the upgrade, sign-in), ws-topics.c
 * (subscriptions, snapshots, event fan-out), ws-signal.c (calls and
 * WebRTC signaling between a call's two parties) and ws-widget.c (callers
 * from a website widget). Everything here is loop-thread only unless a
 * comment says otherwise.
 */
#ifndef WS_INT_H
#define WS_INT_H

#include <jansson.h>

#include "http.h"

struct db;
struct lws;

/* Close codes of our own (docs/ws.md). */
enum {
	CLOSE_AUTH_TIMEOUT = 4001,
	CLOSE_TOKEN_EXPIRED = 4002,
	CLOSE_UNAUTHORIZED = 4003,
	CLOSE_SLOW = 4008,
	CLOSE_IDLE = 4009,
	CLOSE_RATE = 4029,
};

enum topic {
	T_QUEUES = 1,
	T_AGENTS = 2,
	T_CALLS = 4,
	T_RELAY = 8,	/* another node's signaling relay: no subscriber's */
};
#define NTOPICS	3

/* A serialized message; refs and everything else are loop-thread only. */
struct msg {
	int		 refs;
	size_t		 len;
	unsigned char	 buf[];		/* LWS_PRE + len */
};

struct qnode {
	struct msg	*m;
	int		 event;
	struct qnode	*next;
};

/* An event from the bus, on its way to the loop. */
struct pend {
	struct msg	*m;		/* for topic subscribers */
	unsigned	 topic;
	char		 event[48];
	char		 company[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* "" for none */
	char		 call[UUID_LEN + 1];
	char		 state[16];		/* the call's, "" for none */
	json_t		*data;		/* calls: a private copy, or NULL;
					   its "supervision" null (agents
					   never see it) */
	struct msg	*m_agent;	/* the same for agents' sockets, when
					   the call is supervised; NULL: m */
	/* call.supervised (ws-topics.c): whose it is, and whether the call's
	 * agent hears it */
	char		 supervisor[UUID_LEN + 1];
	int		 agent_notified;
	struct pend	*next;
};

enum conn_state {
	C_NEW,		/* waiting for auth */
	C_AUTHING,	/* an agent's id or a widget key is being looked up */
	C_AUTHED,
};

struct wsjob;
struct slist;

/* A connection's place in one list of ws-index.c. */
struct sub {
	struct slist	*l;		/* NULL: in none */
	struct conn	*c;
	struct sub	*prev, *next;
};

/* Kinds of lists. */
enum {
	IX_COMPANY,	/* topic subscribers of a company, "" for all */
	IX_AGENT_TOPIC,	/* an agent's subscriptions to agents and calls */
	IX_AGENT,	/* every socket of an agent (topic 0) */
	IX_RECENT,	/* agents that heard of a call lately (topic 0) */
};

#define RECENT_CALLS	8

struct conn {
	struct lws	*wsi;
	struct conn	*prev, *next;
	enum conn_state	 state;

	enum role	 role;		/* ROLE_NONE: a widget caller */
	int		 caller;	/* authenticated with a widget key */
	int		 party;		/* an agent, a caller or a possible
					 * supervisor: counted */
	char		 user[UUID_LEN + 1];
	char		 company[UUID_LEN + 1];	/* the token's; "" for admins */
	char		 sid[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* agents: their agent id */
	time_t		 exp;		/* 0: none (callers) */

	char		 ip[64];
	char		*origin;	/* the upgrade's Origin header, or NULL */
	char		 call[UUID_LEN + 1];	/* callers: their call, or "" */

	unsigned	 topics;
	char		 scope[UUID_LEN + 1];	/* "" for every company */

	struct wsjob	*job;		/* outstanding lookup */
	struct wsjob	*jobq, *jobq_tail;	/* waiting behind it */

	struct qnode	*head, *tail;
	int		 count;
	size_t		 evbytes;
	int		 hold;		/* snapshot pending: hold events */
	int		 ready;		/* nodes writable while holding */

	int		 close_code;
	const char	*close_reason;
	double		 deadline;	/* auth by then; close sent by then */
	int		 close_sent;	/* or given up on, while draining */
	double		 last_rx;	/* monotonic: any frame, pongs too */
	double		 last_ping;
	int		 ping_due;
	double		 ping_skew;	/* 0..1: a quarter interval at most */
	double		 relay_tokens;	/* ws-signal.c's rate of SDP and ICE */
	double		 relay_at;

	char		*rx;
	size_t		 rxlen;
	json_t		*held;		/* messages behind an auth being checked */

	/* Agents: calls recently about them, to follow their release. */
	char		 recent[RECENT_CALLS][UUID_LEN + 1];
	int		 nrecent;

	struct sub	 subs[NTOPICS];	/* ws-index.c, by topic bit index */
	struct sub	 self;		/* IX_AGENT */
	struct sub	 recent_sub[RECENT_CALLS];
	double		 due;		/* ws.c's timer heap: check by then */
	int		 heap_i;	/* -1: not in it */
};

/*
 * Work that needs PostgreSQL or the hub: run() on a pool worker (JOB_WS)
 * with its own connection, done() back on the loop. Jobs of one connection run one
 * at a time, in order; c is NULL once the connection has closed (and for
 * jobs of no connection). The in/out/id JSON and the snapshots are freed
 * with the job.
 */
struct wsjob {
	void		(*run)(struct db *, struct wsjob *);
	void		(*done)(struct wsjob *);
	struct conn	*c;
	enum role	 role;
	char		 user[UUID_LEN + 1];
	char		 company[UUID_LEN + 1];
	char		 scope[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];
	char		 call[UUID_LEN + 1];
	unsigned	 topics;
	int		 op;
	int		 actor;		/* enum actor_kind of an op job */
	char		 own_call[UUID_LEN + 1];	/* a caller's own */
	json_t		*id;		/* of the request, for the reply */
	json_t		*in;
	json_t		*out;
	int		 failed;
	int		 tries;		/* ws-presence.c: asked before */
	const char	*code;		/* error code when failed */
	char		*detail;
	struct msg	*snap[NTOPICS];
	int		 nsnap;
	struct wsjob	*next;
};

/* ws.c */
extern struct conn	*ws_conns;
struct msg	*ws_msg_json(json_t *);		/* steals */
void		 ws_msg_unref(struct msg *);
void		 ws_enqueue(struct conn *, struct msg *, int event);
void		 ws_send(struct conn *, json_t *);	/* steals */
void		 ws_reply(struct conn *, json_t *, json_t *id);	/* steals */
void		 ws_reply_error(struct conn *, json_t *id, const char *code,
		     const char *message);
void		 ws_close(struct conn *, int code, const char *reason);
struct wsjob	*ws_job_new(void (*run)(struct db *, struct wsjob *),
		     void (*done)(struct wsjob *));
/* Queue j behind the connection's other jobs (c NULL: of no connection). */
void		 ws_job_submit(struct conn *, struct wsjob *);
void		 ws_job_fail(struct wsjob *, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether anyone listens to the bus (after a change of topics). */
void		 ws_listeners_changed(void);
/*
 * c is (or no longer is) a party to calls: an agent, a caller, or a
 * manager or admin who may supervise one.
 */
void		 ws_party_set(struct conn *, int);
json_t		*ws_auth_reply(const struct conn *);
/* After an asynchronous sign-in: answer the messages held behind it. */
void		 ws_auth_done(struct conn *);

/* ws-index.c */
void		 ws_index_add(struct sub *, struct conn *, int kind,
		     unsigned topic, const char *key);
void		 ws_index_del(struct sub *);
/* The first of a list, or NULL; then ->next. */
struct sub	*ws_index_first(int kind, unsigned topic, const char *key);

/* ws-auth.c */
void		 ws_auth(struct conn *, json_t *, json_t *id);

/* ws-topics.c */
int		 ws_topics_message(struct conn *, const char *type, json_t *,
		     json_t *id);
void		 ws_topics_fan_out(struct pend *);
void		 ws_topics_set(struct conn *, unsigned);
void		 ws_topics_closed(struct conn *);
int		 ws_topics_any(void);

/* ws-signal.c */
int		 ws_signal_message(struct conn *, const char *type, json_t *,
		     json_t *id);
void		 ws_signal_event(struct pend *);
/* Another node's signaling relay (WS_RELAY_EVENT) to a party here. */
#define WS_RELAY_EVENT	"signal.relay"
void		 ws_signal_relayed(struct pend *);
void		 ws_signal_closed(struct conn *);
void		 ws_signal_tick(void);
/* ws-presence.c: an agent's socket signed in, or goes (shutdown: closed
 * by a stop); from the sweep. */
void		 ws_presence_opened(struct conn *);
void		 ws_presence_closed(struct conn *, int shutdown);
void		 ws_presence_tick(void);
void		 ws_signal_clear(void);
void		 ws_signal_agent(struct conn *);
/* A widget caller's call was created: follow it. */
void		 ws_signal_caller_call(struct conn *, const char *call,
		     const char *company, const char *state);

/* ws-widget.c */
void		 ws_widget_auth(struct conn *, json_t *, json_t *id);
int		 ws_widget_message(struct conn *, const char *type, json_t *,
		     json_t *id);
void		 ws_widget_start(void);
void		 ws_widget_stop(void);

#endif

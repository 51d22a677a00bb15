/*
 * The IVR engine: a pure, deterministic step function. Given a flow, a
 * session (where the call is in the flow, its variables and caller data)
 * and one event (the call started, the caller pressed keys, a timeout, an
 * HTTP answer, a queue outcome, a recording, a hangup), ivr_step() moves
 * the session on and says what the runtime must do: speak, play, collect
 * keys, enqueue, transfer, request, record, hang up. No I/O, no clock, no
 * globals: the daemon and the CLI's simulator run exactly this code.
 *
 * For a runtime (the daemon):
 * - Parse the active version once with ivr_flow_parse(); the flow is
 *   read-only and may be shared between threads.
 * - A call entering the flow: ivr_session_init(), caller data with
 *   ivr_vars_set(&s.caller, ...) ("number", "name", and the call's other
 *   fields, as text), variables likewise, then IVR_EV_START.
 * - Do out.v[] in order. Each action and out.visits[] name the node, for
 *   call_events. Then store ivr_session_to_json() next to the flow version
 *   and restore it with ivr_session_from_json() against the same version.
 * - Feed the event that the state waits for: DIGITS or TIMEOUT after a
 *   COLLECT (DIGITS with what was typed, the terminator included or not;
 *   TIMEOUT when nothing was); HTTP after an HTTP action (status 0 for a
 *   timeout, a refused address or no answer; the body for 2xx); QUEUE
 *   after an ENQUEUE (answered, timeout after max_wait, failed when the
 *   call could not be queued); RECORDED after a VOICEMAIL; HANGUP at any
 *   time.
 * - END is the last action of a session: after TRANSFER, HANGUP, an
 *   answered queue or the caller's hangup. A TRANSFER to a flow (also from
 *   goto) continues in that flow: ivr_session_restart(), then START with
 *   the other flow; variables and caller data carry over.
 */
#ifndef IVR_ENGINE_H
#define IVR_ENGINE_H

#include <time.h>

#include <jansson.h>

#include "ivr.h"

#define IVR_MAX_RUN	1000		/* nodes in one ivr_step() */
#define IVR_MAX_VALUE	4096		/* bytes of a variable's value */
#define IVR_MAX_SESSION_VARS 256	/* variables, and caller fields */
#define IVR_MAX_BODY	(64 * 1024)	/* bytes of an HTTP answer read */

enum ivr_event_type {
	IVR_EV_START,		/* the call enters the flow */
	IVR_EV_DIGITS,		/* keys the caller pressed */
	IVR_EV_TIMEOUT,		/* no key before the collect's timeout */
	IVR_EV_HTTP,		/* the answer to an HTTP action */
	IVR_EV_QUEUE,		/* the outcome of an ENQUEUE action */
	IVR_EV_RECORDED,	/* the voicemail recording ended */
	IVR_EV_HANGUP,		/* the caller hung up */
	IVR_EV_COUNT
};

enum ivr_queue_result {
	IVR_QUEUE_ANSWERED,	/* an agent took the call */
	IVR_QUEUE_TIMEOUT,	/* max_wait passed */
	IVR_QUEUE_FAILED,	/* no such queue, closed, full */
	IVR_QUEUE_COUNT
};

/* An input; strings are borrowed for the time of the call. */
struct ivr_event {
	enum ivr_event_type	 type;
	const char		*digits;	/* DIGITS */
	int			 status;	/* HTTP: status, 0: no answer */
	const char		*body;		/* HTTP: response body */
	size_t			 body_len;
	enum ivr_queue_result	 queue;		/* QUEUE */
	const char		*recording;	/* RECORDED: id or URL */
};

/* The most digits of a number a callback node takes (E.164: 15). */
#define IVR_CALLBACK_DIGITS	15

enum ivr_action_type {
	IVR_ACT_SAY,		/* text, language, voice */
	IVR_ACT_PLAY,		/* file or url */
	IVR_ACT_COLLECT,	/* min/max_digits, timeout, terminator */
	IVR_ACT_ENQUEUE,	/* queue, priority, skills, max_wait */
	IVR_ACT_TRANSFER,	/* to, target */
	IVR_ACT_HTTP,		/* method, url, headers, body, timeout */
	IVR_ACT_VOICEMAIL,	/* max_length */
	IVR_ACT_HANGUP,
	IVR_ACT_END,		/* the session is over: last action */
	IVR_ACT_COUNT
};

/*
 * What the runtime must do. Strings marked "owned" belong to the action;
 * the others point into the flow, which must outlive the actions.
 */
struct ivr_action {
	enum ivr_action_type	 type;
	int			 node;		/* index of the node that asks */
	char			*text;		/* SAY (owned) */
	const char		*language;	/* SAY, may be NULL */
	const char		*voice;		/* SAY, may be NULL */
	const char		*file;		/* PLAY */
	char			*url;		/* PLAY, HTTP (owned) */
	int			 min_digits;	/* COLLECT */
	int			 max_digits;	/* COLLECT */
	char			 terminator;	/* COLLECT, 0: none */
	int			 timeout;	/* COLLECT, HTTP: seconds */
	const char		*queue;		/* ENQUEUE */
	int			 priority;	/* ENQUEUE */
	const struct ivr_skill	*skills;	/* ENQUEUE */
	size_t			 nskills;
	int			 max_wait;	/* ENQUEUE: seconds, 0: none */
	enum ivr_transfer_to	 to;		/* TRANSFER */
	char			*target;	/* TRANSFER (owned) */
	enum ivr_method		 method;	/* HTTP */
	struct ivr_pair		*headers;	/* HTTP (owned) */
	size_t			 nheaders;
	char			*body;		/* HTTP (owned), may be NULL */
	int			 max_length;	/* VOICEMAIL: seconds */
	char			*callback;	/* ENQUEUE (owned): as a callback
						   to this E.164 number; NULL:
						   not one */
};

/* A node the step passed through, and its first action. */
struct ivr_visit {
	int			 node;
	size_t			 action;	/* index in actions */
};

/* What one ivr_step() produced; reused from step to step. */
struct ivr_actions {
	struct ivr_action	*v;
	size_t			 n;
	size_t			 size;
	struct ivr_visit	*visits;
	size_t			 nvisits;
	size_t			 vsize;
	char			*error;		/* when ivr_step() fails */
};

/* What the session waits for: ivr_step() accepts the matching events. */
enum ivr_state {
	IVR_STATE_NEW,		/* START */
	IVR_STATE_DIGITS,	/* DIGITS, TIMEOUT */
	IVR_STATE_HTTP,		/* HTTP */
	IVR_STATE_QUEUE,	/* QUEUE */
	IVR_STATE_RECORDING,	/* RECORDED */
	IVR_STATE_DONE,		/* nothing: the call left the flow */
	IVR_STATE_FAILED,	/* nothing: see error */
	IVR_STATE_COUNT
};

struct ivr_var {
	char			*name;
	char			*value;
};

struct ivr_vars {
	struct ivr_var		*v;
	size_t			 n;
	size_t			 size;
};

struct ivr_session {
	enum ivr_state		 state;
	int			 node;		/* current node, -1 before start */
	int			 retries;	/* of the current node */
	unsigned long		 steps;		/* nodes passed in the call */
	struct ivr_vars		 vars;
	struct ivr_vars		 caller;	/* "number", "name", any field */
	char			*error;		/* IVR_STATE_FAILED */
};

/* ivr-engine.c */
/*
 * Feed event in to the session at time now. Returns 0 with the actions
 * and visited nodes in out, or -1 with out->error set: if the event does
 * not fit the session's state the session is unchanged and out has no
 * actions; if the flow failed (a loop past IVR_MAX_RUN nodes) the session
 * is IVR_STATE_FAILED and out ends with HANGUP and END.
 */
int		 ivr_step(const struct ivr_flow *, struct ivr_session *,
		     const struct ivr_event *, time_t, struct ivr_actions *);
void		 ivr_actions_init(struct ivr_actions *);
void		 ivr_actions_reset(struct ivr_actions *);
void		 ivr_actions_free(struct ivr_actions *);

/* ivr-tz.c */
/* Is the flow's hours node open at t? */
int		 ivr_hours_open(const struct ivr_flow *, const struct ivr_node *,
		     time_t);

/* ivr-session.c */
void		 ivr_session_init(struct ivr_session *);
void		 ivr_session_free(struct ivr_session *);
/* Back to IVR_STATE_NEW, keeping variables and caller data. */
void		 ivr_session_restart(struct ivr_session *);
/* Variables and caller fields; values over IVR_MAX_VALUE are cut. */
const char	*ivr_vars_get(const struct ivr_vars *, const char *);
int		 ivr_vars_set(struct ivr_vars *, const char *, const char *);
void		 ivr_vars_free(struct ivr_vars *);
/* Text with ${var} and ${caller.field} replaced. Caller frees. */
char		*ivr_interpolate(const struct ivr_session *, const char *);
/* The session as JSON and back; node ids resolve against the flow. */
json_t		*ivr_session_to_json(const struct ivr_flow *,
		     const struct ivr_session *);
int		 ivr_session_from_json(const struct ivr_flow *, const json_t *,
		     struct ivr_session *, char **);
json_t		*ivr_action_to_json(const struct ivr_flow *,
		     const struct ivr_action *);
/* {"type": "digits", "digits": "1"}...; strings borrowed from the JSON. */
int		 ivr_event_from_json(const json_t *, struct ivr_event *,
		     char **);
const char	*ivr_state_name(enum ivr_state);
const char	*ivr_event_name(enum ivr_event_type);
const char	*ivr_action_name(enum ivr_action_type);
const char	*ivr_queue_result_name(enum ivr_queue_result);
int		 ivr_queue_result_parse(const char *, enum ivr_queue_result *);

#endif

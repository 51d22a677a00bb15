/*
 * The operations layer: each action on live call-center state is one
 * entry of a table (op.c), whatever transport asked for it. REST routes,
 * WebSocket message types, the widget, Twilio and incoming webhooks are
 * thin adapters: they fill a typed input and name the entry; the
 * dispatcher checks who acts (role, party to the call), resolves every
 * reference in the company acted in (db-ref.h), and hands the decision to the
 * hub, which commits it before it changes live state. Limits live once, in
 * op_in_parse().
 */
#ifndef OP_H
#define OP_H

#include <jansson.h>

#include "http.h"
#include "acd.h"
#include "ivr-engine.h"

struct db;
struct call_row;
struct revoked_rows;

enum op_id {
	OP_CALL_ANSWER,
	OP_CALL_REJECT,
	OP_CALL_HOLD,
	OP_CALL_RESUME,
	OP_CALL_HANGUP,
	OP_CALL_WRAP,
	OP_CALL_ASSIGN,
	OP_CALL_TRANSFER,
	OP_CALL_NEXT,
	OP_CALL_REQUEUE,	/* Twilio: the agent's phone did not answer */
	OP_AGENT_STATE,
	OP_AGENT_DISCONNECTED,	/* the daemon: her last socket over the nodes
				   went (docs/ws.md, "When a socket goes") */
	OP_CALL_CREATE,
	OP_CALL_IVR_INPUT,
	OP_CALL_UPDATE,
	OP_CALL_CALLBACK,	/* a waiting call becomes a callback */
	OP_CALL_CALLBACK_FAILED,	/* Twilio: its dial reached nobody */
	OP_CALL_SUPERVISE,	/* monitor, whisper, barge, off */
	OP_CALL_RECORD,		/* on-demand recording: start, stop */
	OP_QUEUE_CREATE,
	OP_QUEUE_UPDATE,
	OP_QUEUE_DELETE,
	/* Agents (op-agent.c). */
	OP_AGENT_CREATE,
	OP_AGENT_UPDATE,
	OP_AGENT_DELETE,
	/* Users and companies (op-user.c, op-company.c). */
	OP_USER_CREATE,
	OP_USER_UPDATE,
	OP_USER_DELETE,
	OP_COMPANY_CREATE,
	OP_COMPANY_UPDATE,
	OP_COMPANY_DELETE,
	/* IVR flows, settings and files (op-settings.c, op-ivr-flow.c,
	 * op-file.c) */
	OP_SYSTEM_SETTINGS_UPDATE,
	OP_COMPANY_SETTINGS_UPDATE,
	OP_IVR_FLOW_CREATE,
	OP_IVR_FLOW_UPDATE,
	OP_IVR_FLOW_DELETE,
	OP_IVR_FLOW_ACTIVATE,
	OP_IVR_FLOW_ROLLBACK,
	OP_FILE_CREATE,
	OP_FILE_DELETE,
	/* webhooks, widget keys and integrations (op-webhook.c, op-widget.c,
	 * op-integration.c) */
	OP_WEBHOOK_CREATE,
	OP_WEBHOOK_UPDATE,
	OP_WEBHOOK_DELETE,
	OP_WEBHOOK_TEST,
	OP_WEBHOOK_ROTATE_SECRET,
	OP_WEBHOOK_REDELIVER,
	OP_WIDGET_KEY_CREATE,
	OP_WIDGET_KEY_ROTATE,
	OP_WIDGET_KEY_DELETE,
	OP_WIDGET_ORIGINS_UPDATE,
	OP_INTEGRATION_SET_TWILIO,
	OP_INTEGRATION_DELETE_TWILIO,
	OP_INTEGRATION_SET_INCOMING,
	OP_INTEGRATION_DELETE_INCOMING,
	/* A caller's personal data (op-purge.c) */
	OP_CALL_PURGE,
	OP__COUNT
};

/* The transports that map an operation (for docs and the tests). */
enum op_transport {
	OPT_REST = 0x1,
	OPT_WS = 0x2,		/* an agent's or a caller's socket */
	OPT_INCOMING = 0x4,	/* incoming webhooks */
	OPT_TWILIO = 0x8,
	OPT_DAEMON = 0x10,	/* the daemon itself (a socket that dropped) */
};

enum actor_kind {
	ACTOR_USER,		/* a signed-in user, or the local admin */
	ACTOR_CALLER,		/* a website caller on a widget socket */
	ACTOR_SYSTEM,		/* a verified webhook, or the daemon: acts
				   for the company as a manager would */
};

struct actor {
	enum actor_kind	 kind;
	enum role	 role;		/* ACTOR_USER */
	const char	*user;		/* user id; NULL for the local admin */
	const char	*company;	/* NULL: an admin, every company */
	const char	*call;		/* ACTOR_CALLER: the caller's own call */
	const char	*ip;		/* the client's address, for the audit
					   log; NULL: none */
};

/* The longest caller_number and caller_name a call takes. */
#define OP_MAX_NUMBER	32
#define OP_MAX_NAME	100

/* What an operation takes; every field optional but for the entry's. */
struct op_in {
	const char	*call;		/* call_id: the call acted on */
	const char	*agent;		/* agent_id: to assign or transfer to;
					   for OP_AGENT_STATE the agent */
	const char	*queue;		/* queue_id: to transfer to */
	const char	*reason;
	const char	*disposition;
	const char	*notes;
	enum agent_state state;		/* OP_AGENT_STATE */

	/* OP_CALL_CREATE; caller_data and priority also OP_CALL_UPDATE */
	const char	*company;	/* company_id: an admin's company */
	const char	*flow;		/* ivr_flow_id: the flow to enter */
	int		 ivr;		/* "ivr": true: the entry flow */
	const char	*number;	/* caller_number */
	const char	*name;		/* caller_name */
	json_t		*data;		/* caller_data, an object */
	json_t		*skills;	/* {"name": level} */
	int		 has_priority;
	int		 priority;	/* -1000..1000 */
	const char	*media;		/* voice, video or screen_share */
	const char	*key;		/* the Idempotency-Key: set by the
					   transport, checked by op_in_parse */
	int		 keep_refused;	/* a call that cannot enter its flow
					   is still recorded, and failed: the
					   refusal's out->obj is the failed
					   call (Twilio remembers its answer) */
	const char	*queue_ref;	/* the queue by name or id (an incoming
					   webhook's "queue"): set by the
					   transport, resolved like queue_id
					   (db_ref_by_name); field "queue" */

	/* OP_CALL_SUPERVISE: "monitor", "whisper", "barge" or "off", and
	 * the supervisor's phone (E.164 or sip:) */
	const char	*mode;
	const char	*phone;

	/* OP_CALL_RECORD: "start" or "stop" */
	const char	*action;

	/* OP_CALL_UPDATE (and notes, disposition) */
	json_t		*tags;		/* a list of 1-50 character strings */

	/* OP_CALL_IVR_INPUT: the caller's input ("type", "digits", ...) */
	struct ivr_event input;

	/* OPTX_ADMIN entries: the object named by the route (NULL for a
	 * create) and the body, which the entry's own input type reads. */
	const char	*id;
	json_t		*body;

	/* IVR flows and files: what their REST adapters take from the
	 * request besides the JSON body. ivr_flow.create and .update: the
	 * flow when the body is YAML, ?activate=true, and ?company_id= in
	 * company above (an admin's, when the body names none). file.create:
	 * the bytes, their declared Content-Type, ?kind= and ?name=, and the
	 * path's company in company. */
	const char	*raw;
	size_t		 rawlen;
	int		 activate;
	const char	*content_type;
	const char	*kind;
	const char	*file_name;
	/* A second object the route names, within the first (a webhook's
	 * delivery, a company's widget key); NULL: none. */
	const char	*sub;
};

/* What it answers. */
struct op_out {
	int		 status;	/* HTTP status */
	const char	*code;		/* problem code when status >= 400 */
	char		 detail[160];
	const char	*field;		/* 422: the input field at fault */
	json_t		*obj;		/* the call or agent, as the API shows
					   it (a call in a flow with its "ivr":
					   state and actions); NULL for 204 */
	const char	*state;		/* its state's name */
	json_t		*errors;	/* 422: [{field, message}] when several
					   fields are at fault */

	/* OPTX_ADMIN: what the audit log records of it. */
	char		 id[UUID_LEN + 1];	/* the object */
	char		 company[UUID_LEN + 1];	/* its company; "" none */
	json_t		*audit;		/* the detail; NULL: the body */
	char		 related[UUID_LEN + 1];	/* what the change took with
					   it (a deleted user's agent); "" */
	struct revoked_rows *revoked;	/* the sessions it revoked: applied()
					   remembers them once committed;
					   op_out_free() frees them */
	const char	*verb;		/* the action when not the entry's
					   (an IVR import that created) */
};

/*
 * How an operation writes. Each kind opens and ends its own transactions:
 * the dispatcher runs none inside a caller's transaction and checks that
 * none is left open after it.
 */
enum op_tx {
	OPTX_HUB,		/* one hub decision (hub-tx.c): BEGIN..COMMIT under
				   the company's lock, the live engine changed
				   only after COMMIT */
	OPTX_INSERT,		/* the call's insert with its events, one
				   statement; then a hub decision takes it into
				   its queue, or its flow starts in a
				   transaction of its own (OPTX_FLOW) */
	OPTX_FLOW,		/* the IVR flow's own transaction (its session,
				   its events, the call's move out of the flow);
				   then a hub decision if it queued the call */
	OPTX_STATEMENT,		/* one UPDATE; a new priority then re-ranks a
				   waiting call in a hub decision that writes
				   nothing */
	OPTX_ADMIN,		/* configuration: the dispatcher's transaction
				   holds the entry's writes and its audit_log
				   row; the live state follows after COMMIT
				   (the entry's applied()) */
	OPTX__COUNT
};

/* The trails an operation leaves (may leave): the history of what it did. */
enum op_audit {
	OPA_CALL_EVENTS = 0x1,	/* call_events: the call's history */
	OPA_AGENT_LOG = 0x2,	/* agent_state_log: an agent's states (a
				   trigger on agents) */
	OPA_AUDIT_LOG = 0x4,	/* audit_log: who changed which object */
};

/*
 * Where an entry runs in a cluster (docs/cluster.md, "Forwarding to the
 * owner"): every entry that is not OPTX_ADMIN on the owner of the company
 * it acts in; an OPTX_ADMIN entry whose check reads the live engine on the
 * owner of its object's company (op-forward.c).
 */
enum op_owner {
	OWN_ANY,		/* any node: the database is enough */
	OWN_QUEUE,		/* the company of the queue in->id */
	OWN_AGENT,		/* the company of the agent in->id */
	OWN_USER,		/* the company of user in->id's agent, if any */
};

struct op_def {
	const char	*name;		/* "call.answer" */
	enum op_id	 id;
	const char	*route;		/* its REST route ("POST /api/calls"),
					   or NULL (a webhook's only) */
	const char	*rest;		/* POST /api/calls/:id/<rest>, or NULL */
	const char	*ws;		/* its WebSocket message type, or NULL */
	enum role	 min_role;	/* for users */
	unsigned	 actors;	/* 1 << enum actor_kind */
	unsigned	 transports;	/* enum op_transport */
	unsigned	 keys;		/* enum op_key: what op_in_parse takes */
	unsigned	 refs;		/* the keys that are references */
	unsigned	 required;	/* keys that must be given */
	enum op_tx	 tx;		/* how it writes */
	unsigned	 audit;		/* enum op_audit: the trails it leaves */
	/* What runs an entry that is not one hub decision, or one hub
	 * decision of its own (NULL: the dispatcher hands the entry to the
	 * hub as a call operation). */
	void		(*run)(struct db *, const struct actor *,
			    const char *company, const struct op_in *,
			    struct op_out *);
	/* OPTX_ADMIN: the audited object's type and the action; how the
	 * live state follows the database once the transaction has ended,
	 * committed or not (out->status says), if the entry named its
	 * object (out->id); NULL: nothing to follow. */
	const char	*entity;	/* "queue" */
	const char	*verb;		/* "create", "update", "delete" */
	void		(*applied)(struct db *, const struct op_out *);
	enum op_owner	 owner;		/* OPTX_ADMIN: see enum op_owner */
};

enum op_key {
	OPK_CALL = 0x1,
	OPK_AGENT = 0x2,
	OPK_QUEUE = 0x4,
	OPK_REASON = 0x8,
	OPK_DISPOSITION = 0x10,
	OPK_NOTES = 0x20,
	OPK_STATE = 0x40,
	OPK_COMPANY = 0x80,
	OPK_FLOW = 0x100,
	OPK_IVR = 0x200,
	OPK_NUMBER = 0x400,
	OPK_NAME = 0x800,
	OPK_DATA = 0x1000,
	OPK_PRIORITY = 0x2000,
	OPK_SKILLS = 0x4000,
	OPK_MEDIA = 0x8000,
	OPK_INPUT = 0x10000,	/* type, digits, status, body, result,
				   recording: an IVR event */
	OPK_TAGS = 0x20000,
	OPK_CB_NUMBER = 0x40000,	/* "number": a callback's */
	OPK_MODE = 0x80000,	/* "mode": a supervisor's */
	OPK_PHONE = 0x100000,	/* "phone": a supervisor's */
	OPK_ACTION = 0x200000,	/* "action": call.record's */
};

extern const struct op_def	ops[OP__COUNT];

/* The entry of a route's last segment ("hold"), or of a WebSocket message
 * type ("call.accept"); NULL if none. */
const struct op_def *op_by_rest(const char *segment, size_t len);
const struct op_def *op_by_ws(const char *type);

/*
 * Fill in from a JSON object (a REST body, a WebSocket message, what a
 * webhook sent): only the entry's keys, each within its limits, and
 * in->key if the transport set it. Strings and objects are borrowed from
 * o. Keys that the entry does not take are errors when strict. 0, or -1
 * with errors added to f.
 */
int	op_in_parse(enum op_id, json_t *o, int strict, struct op_in *,
	    struct fields *f);

/* Run an operation; out->obj is the caller's (op_out_free). */
void	op_run(struct db *, enum op_id, const struct actor *,
	    const struct op_in *, struct op_out *);
void	op_out_free(struct op_out *);

/*
 * The agent record of user in company (NULL: any) into me: 1, 0 none (or
 * no user), -1 on a database error.
 */
int	op_agent_of(struct db *, const char *user, const char *company,
	    char me[UUID_LEN + 1]);

/* A call's JSON with its live position while it waits. */
json_t	*op_call_json(const struct call_row *);
/* A waiting call's position and estimated_wait (-1: null) into its JSON. */
void	 op_call_live(json_t *, int position, int ewt);

/* The table as JSON, for calldockerd --operations and the tests. */
json_t	*op_table_json(void);

#endif

/*
 * The calldocker.v1 WebSocket protocol (docs/ws.md): live event streams.
 *
 * Threads. The event bus calls ws_on_event() on whatever thread publishes
 * (workers, the hub thread): it serializes the event once into a
 * reference-counted message, appends it to a mutex-protected list and wakes
 * the loop with lws_cancel_service(). On the loop thread
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED takes the list and fans each message
 * out to the connections whose subscription matches, by reference: each
 * connection holds a bounded queue of pointers and writes one message per
 * LWS_CALLBACK_SERVER_WRITEABLE. A connection whose queue is full is a slow
 * consumer: its queue is dropped and it is closed with 4008.
 *
 * Lookups that need PostgreSQL (an agent's id at sign-in, snapshots) run
 * on one thread of our own with its own connection; results come back the
 * same way as events. The loop never blocks.
 *
 * Snapshot then deltas: a subscription takes effect on the loop at once,
 * then the snapshot is queried. Events that arrive meanwhile are held in
 * the connection's queue behind the point where the snapshot goes, so the
 * client sees "subscribed", the snapshots, then every later event (some
 * may already be reflected in the snapshot; objects carry their state).
 */
#include <sys/socket.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <libwebsockets.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "http.h"
#include "events.h"
#include "tcache.h"
#include "revoke.h"
#include "metrics.h"
#include "db.h"
#include "db-agent.h"
#include "db-call.h"
#include "db-queue.h"
#include "call.h"
#include "hub.h"
#include "validate.h"
#include "ws.h"

#define AUTH_TIMEOUT		5.0	/* seconds to authenticate */
#define SWEEP_EVERY		0.25	/* seconds between timer sweeps */
#define MAX_QUEUE_BYTES		(1024 * 1024)
#define MAX_MESSAGE		65536	/* largest message a client may send */
#define SLOW_CLOSE_SECS		30	/* to deliver 4008 before dropping */
/*
 * The kernel's send buffer per WebSocket (Linux doubles it): without a cap
 * autotuning lets it grow to megabytes, which both hides a slow consumer
 * from the queue bound and costs memory per connection.
 */
#define SOCKET_SNDBUF		32768
#define SNAPSHOT_LIMIT		"10001"
#define RECENT_CALLS		8

enum {
	CLOSE_AUTH_TIMEOUT = 4001,
	CLOSE_TOKEN_EXPIRED = 4002,
	CLOSE_UNAUTHORIZED = 4003,
	CLOSE_SLOW = 4008,
};

enum topic {
	T_QUEUES = 1,
	T_AGENTS = 2,
	T_CALLS = 4,
};

static const struct {
	const char	*name;
	unsigned	 bit;
} topics[] = {
	{ "queues", T_QUEUES },
	{ "agents", T_AGENTS },
	{ "calls", T_CALLS },
};
#define NTOPICS	(sizeof topics / sizeof topics[0])

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
	struct msg	*m;
	unsigned	 topic;
	char		 company[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* "" for none */
	char		 call[UUID_LEN + 1];
	struct pend	*next;
};

enum conn_state {
	C_NEW,		/* waiting for auth */
	C_AUTHING,	/* an agent's id is being looked up */
	C_AUTHED,
};

struct job;

struct conn {
	struct lws	*wsi;
	struct conn	*prev, *next;
	enum conn_state	 state;

	enum role	 role;
	char		 user[UUID_LEN + 1];
	char		 company[UUID_LEN + 1];	/* the token's; "" for admins */
	char		 sid[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];	/* agents: their agent id */
	time_t		 exp;

	unsigned	 topics;
	char		 scope[UUID_LEN + 1];	/* "" for every company */

	struct job	*job;			/* outstanding lookup */

	struct qnode	*head, *tail;
	int		 count;
	size_t		 evbytes;
	int		 hold;		/* snapshot pending: hold events */
	int		 ready;		/* nodes writable while holding */

	int		 close_code;
	const char	*close_reason;
	double		 deadline;	/* auth by then; close sent by then */
	int		 close_sent;	/* or given up on, while draining */

	char		*rx;
	size_t		 rxlen;

	/* Agents: calls recently about them, to follow their release. */
	char		 recent[RECENT_CALLS][UUID_LEN + 1];
	int		 nrecent;
};

enum job_kind {
	J_AGENT,
	J_SNAPSHOT,
};

struct job {
	enum job_kind	 kind;
	struct conn	*c;		/* NULL once the connection closed */
	enum role	 role;
	char		 user[UUID_LEN + 1];
	char		 scope[UUID_LEN + 1];
	char		 agent[UUID_LEN + 1];
	unsigned	 topics;
	json_t		*id;		/* of the request, for the reply */
	/* Results. */
	int		 failed;
	struct msg	*snap[NTOPICS];
	int		 nsnap;
	struct job	*next;
};

static struct lws_context	*context;
static struct ev_loop		*evloop;
static ev_timer			 sweep_timer;
static struct conn		*conns;
static int			 nconns;
static int			 draining;
static int			 nsubscribed;	/* loop: conns with topics */

static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 cond = PTHREAD_COND_INITIALIZER;
static struct pend		*pend_head, *pend_tail;
static struct job		*todo_head, *todo_tail, *done_head, *done_tail;
static int			 stopping, started;
static int			 any_subscribed;	/* under lock */
static pthread_t		 thread;
/* Held (read) around lws_cancel_service() so ws_stop() can fence it off. */
static pthread_rwlock_t		 wake_lock = PTHREAD_RWLOCK_INITIALIZER;

/* ---- messages --------------------------------------------------------- */

static struct msg *
msg_new(const char *s, size_t len)
{
	struct msg	*m = xmalloc(sizeof *m + LWS_PRE + len);

	m->refs = 1;
	m->len = len;
	memcpy(m->buf + LWS_PRE, s, len);
	return m;
}

/* Steals o. */
static struct msg *
msg_json(json_t *o)
{
	char		*s = json_dumps(o, JSON_COMPACT);
	struct msg	*m;

	json_decref(o);
	if (s == NULL)
		fatal("ws: cannot serialize a message");
	m = msg_new(s, strlen(s));
	free(s);
	return m;
}

static void
msg_unref(struct msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

/* ---- the connection's queue -------------------------------------------- */

static void
queue_clear(struct conn *c)
{
	struct qnode	*n, *next;

	for (n = c->head; n != NULL; n = next) {
		next = n->next;
		msg_unref(n->m);
		free(n);
	}
	c->head = c->tail = NULL;
	c->count = 0;
	c->evbytes = 0;
	c->hold = c->ready = 0;
}

static int
writable_now(const struct conn *c)
{
	return (c->head != NULL && (!c->hold || c->ready > 0)) ||
	    (c->close_code != 0 && c->head == NULL);
}

/* Close with a code once what is queued has gone out. */
static void
conn_close(struct conn *c, int code, const char *reason)
{
	if (c->close_code != 0)
		return;
	c->close_code = code;
	c->close_reason = reason;
	c->hold = c->ready = 0;
	/* If even the close frame cannot go out, drop the connection. */
	c->deadline = now_mono() + SLOW_CLOSE_SECS;
	lws_callback_on_writable(c->wsi);
}

static void
slow_consumer(struct conn *c)
{
	log_info("ws: closing a slow consumer (%d messages queued)", c->count);
	queue_clear(c);
	conn_close(c, CLOSE_SLOW, "slow consumer");
}

/* Queue a reference to m; events are bounded, replies are not. */
static void
enqueue(struct conn *c, struct msg *m, int event)
{
	struct qnode	*n;

	if (c->close_code != 0)
		return;
	if (event && (c->count >= cfg.ws_max_queue ||
	    c->evbytes + m->len > MAX_QUEUE_BYTES)) {
		slow_consumer(c);
		return;
	}
	n = xcalloc(1, sizeof *n);
	n->m = m;
	n->event = event;
	m->refs++;
	if (c->tail != NULL)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
	c->count++;
	if (event)
		c->evbytes += m->len;
	if (writable_now(c))
		lws_callback_on_writable(c->wsi);
}

/* A reply: adds the request's id; steals o. */
static void
reply(struct conn *c, json_t *o, json_t *id)
{
	struct msg	*m;

	if (id != NULL)
		json_object_set(o, "id", id);
	m = msg_json(o);
	enqueue(c, m, 0);
	msg_unref(m);
}

static void
reply_error(struct conn *c, json_t *id, const char *code, const char *message)
{
	reply(c, json_pack("{s:s,s:s,s:s}", "type", "error", "code", code,
	    "message", message), id);
}

/* ---- the lookup thread ---------------------------------------------------- */

static void
job_free(struct job *j)
{
	for (int i = 0; i < j->nsnap; i++)
		free(j->snap[i]);	/* never shared yet */
	json_decref(j->id);
	free(j);
}

static void
job_submit(struct conn *c, struct job *j)
{
	j->c = c;
	c->job = j;
	pthread_mutex_lock(&lock);
	if (todo_tail != NULL)
		todo_tail->next = j;
	else
		todo_head = j;
	todo_tail = j;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static int
page_all(struct page *pg)
{
	memset(pg, 0, sizeof *pg);
	pg->limit = 10000;
	strlcpy_(pg->limit_str, SNAPSHOT_LIMIT, sizeof pg->limit_str);
	return 0;
}

/* Items of one topic for the job's scope, or NULL on a database error. */
static json_t *
snapshot_items(struct db *db, const struct job *j, unsigned topic)
{
	const char	*scope = j->scope[0] != '\0' ? j->scope : NULL;
	json_t		*items = json_array();
	PGresult	*r = NULL;
	struct page	 pg;

	page_all(&pg);
	switch (topic) {
	case T_AGENTS:
		if (j->role == ROLE_AGENT) {
			if (j->agent[0] == '\0')
				return items;
			r = db_agent_get(db, scope, j->agent);
		} else
			r = db_agent_list(db, scope, NULL, &pg);
		if (r == NULL)
			break;
		for (int i = 0; i < PQntuples(r) && i < pg.limit; i++)
			json_array_append_new(items, agent_json(r, i));
		PQclear(r);
		return items;
	case T_CALLS:
		if ((r = db_call_live(db)) == NULL)
			break;
		for (int i = 0; i < PQntuples(r); i++) {
			if (scope != NULL &&
			    strcmp(PQgetvalue(r, i, CALL_C_COMPANY), scope) != 0)
				continue;
			if (j->role == ROLE_AGENT && (j->agent[0] == '\0' ||
			    strcmp(PQgetvalue(r, i, CALL_C_AGENT), j->agent) != 0))
				continue;
			json_array_append_new(items, call_json(r, i));
		}
		PQclear(r);
		return items;
	case T_QUEUES:
		if ((r = db_queue_list(db, scope, &pg)) == NULL)
			break;
		for (int i = 0; i < PQntuples(r) && i < pg.limit; i++) {
			struct acd_queue_stats	 st;
			json_t			*q = queue_json(r, i);

			memset(&st, 0, sizeof st);
			hub_queue_stats(PQgetvalue(r, i, QUEUE_C_ID), &st);
			json_object_set_new(q, "live", json_pack("{s:i,s:i,s:f}",
			    "waiting", st.waiting, "offering", st.offering,
			    "longest_wait", st.longest_wait));
			json_array_append_new(items, q);
		}
		PQclear(r);
		return items;
	default:
		break;
	}
	json_decref(items);
	return NULL;
}

static void
job_run(struct db *db, struct job *j)
{
	PGresult	*r;

	switch (j->kind) {
	case J_AGENT:
		if ((r = db_agent_by_user(db, j->user)) == NULL) {
			j->failed = 1;
			return;
		}
		if (PQntuples(r) > 0)
			strlcpy_(j->agent, PQgetvalue(r, 0, AGENT_C_ID),
			    sizeof j->agent);
		PQclear(r);
		break;
	case J_SNAPSHOT:
		for (size_t t = 0; t < NTOPICS; t++) {
			json_t		*items;
			struct msg	*m;

			if (!(j->topics & topics[t].bit))
				continue;
			if ((items = snapshot_items(db, j, topics[t].bit)) == NULL) {
				j->failed = 1;
				return;
			}
			m = msg_json(json_pack("{s:s,s:s,s:o}", "type", "snapshot",
			    "topic", topics[t].name, "items", items));
			j->snap[j->nsnap++] = m;
		}
		break;
	}
}

static void *
lookup_main(void *arg)
{
	struct db	 db;
	struct job	*j;
	int		 wake;

	db_init(&db, cfg.database_url);
	pthread_mutex_lock(&lock);
	for (;;) {
		while (todo_head == NULL && !stopping)
			pthread_cond_wait(&cond, &lock);
		if (todo_head == NULL)
			break;
		j = todo_head;
		if ((todo_head = j->next) == NULL)
			todo_tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&lock);

		job_run(&db, j);

		pthread_mutex_lock(&lock);
		wake = done_head == NULL && pend_head == NULL;
		if (done_tail != NULL)
			done_tail->next = j;
		else
			done_head = j;
		done_tail = j;
		if (wake)
			lws_cancel_service(context);
	}
	pthread_mutex_unlock(&lock);
	db_close(&db);
	return NULL;
}

/* ---- the event bus -------------------------------------------------------- */

static unsigned
event_topic(const char *type)
{
	if (strncmp(type, "call.", 5) == 0)
		return T_CALLS;
	if (strncmp(type, "agent.", 6) == 0)
		return T_AGENTS;
	if (strncmp(type, "queue.", 6) == 0)
		return T_QUEUES;
	return 0;
}

static void
copy_str(char *dst, size_t size, const json_t *data, const char *key)
{
	const char	*s = json_string_value(json_object_get(data, key));

	strlcpy_(dst, s != NULL ? s : "", size);
}

/* Any thread: serialize once, queue, wake the loop. Never blocks for long. */
static void
ws_on_event(const char *company, const char *type, const json_t *data,
    void *arg)
{
	struct pend	*p;
	unsigned	 topic = event_topic(type);
	int		 wake, any;

	pthread_mutex_lock(&lock);
	any = any_subscribed && !stopping;
	pthread_mutex_unlock(&lock);
	if (topic == 0 || !any || company == NULL)
		return;
	p = xcalloc(1, sizeof *p);
	p->topic = topic;
	strlcpy_(p->company, company, sizeof p->company);
	copy_str(p->agent, sizeof p->agent, data, "agent_id");
	if (topic == T_CALLS)
		copy_str(p->call, sizeof p->call, data, "id");
	p->m = msg_json(json_pack("{s:s,s:s,s:s,s:O}", "type", "event",
	    "event", type, "topic", topic == T_CALLS ? "calls" :
	    topic == T_AGENTS ? "agents" : "queues", "data", data));

	pthread_rwlock_rdlock(&wake_lock);
	pthread_mutex_lock(&lock);
	if (stopping) {
		pthread_mutex_unlock(&lock);
		pthread_rwlock_unlock(&wake_lock);
		msg_unref(p->m);
		free(p);
		return;
	}
	wake = pend_head == NULL && done_head == NULL;
	if (pend_tail != NULL)
		pend_tail->next = p;
	else
		pend_head = p;
	pend_tail = p;
	pthread_mutex_unlock(&lock);
	if (wake)
		lws_cancel_service(context);
	pthread_rwlock_unlock(&wake_lock);
}

static void
set_subscribed(struct conn *c, unsigned topics_now)
{
	int	 before = c->topics != 0, after = topics_now != 0;

	c->topics = topics_now;
	if (before == after)
		return;
	nsubscribed += after - before;
	pthread_mutex_lock(&lock);
	any_subscribed = nsubscribed > 0;
	pthread_mutex_unlock(&lock);
}

static int
recent_has(const struct conn *c, const char *call)
{
	for (int i = 0; i < c->nrecent; i++) {
		if (strcmp(c->recent[i], call) == 0)
			return i;
	}
	return -1;
}

static void
recent_forget(struct conn *c, int i)
{
	c->nrecent--;
	if (i != c->nrecent)
		memcpy(c->recent[i], c->recent[c->nrecent], sizeof c->recent[i]);
}

/* May this agent's connection see this event? */
static int
agent_sees(struct conn *c, const struct pend *p)
{
	int	 i;

	switch (p->topic) {
	case T_AGENTS:
		return c->agent[0] != '\0' && strcmp(p->agent, c->agent) == 0;
	case T_CALLS:
		if (c->agent[0] == '\0' || p->call[0] == '\0')
			return 0;
		i = recent_has(c, p->call);
		if (strcmp(p->agent, c->agent) == 0) {
			if (i < 0) {
				if (c->nrecent == RECENT_CALLS)
					recent_forget(c, 0);
				strlcpy_(c->recent[c->nrecent++], p->call,
				    sizeof c->recent[0]);
			}
			return 1;
		}
		/* Released (no agent): the agent it was about hears of it once. */
		if (i >= 0) {
			recent_forget(c, i);
			return p->agent[0] == '\0';
		}
		return 0;
	default:
		return 1;
	}
}

static void
fan_out(struct pend *p)
{
	for (struct conn *c = conns; c != NULL; c = c->next) {
		if (c->state != C_AUTHED || !(c->topics & p->topic) ||
		    c->close_code != 0)
			continue;
		if (c->scope[0] != '\0' && strcmp(c->scope, p->company) != 0)
			continue;
		if (c->role == ROLE_AGENT && !agent_sees(c, p))
			continue;
		enqueue(c, p->m, 1);
	}
}

static json_t *
auth_reply(const struct conn *c)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:I}", "type", "authenticated",
	    "user_id", c->user, "role", role_name(c->role),
	    "company_id", c->company[0] ? c->company : NULL,
	    "agent_id", c->agent[0] ? c->agent : NULL,
	    "expires_at", (json_int_t)c->exp);
}

static void
job_done(struct job *j)
{
	struct conn	*c = j->c;
	struct qnode	*at, *n;

	if (c == NULL) {
		job_free(j);
		return;
	}
	c->job = NULL;
	switch (j->kind) {
	case J_AGENT:
		if (j->failed) {
			reply_error(c, j->id, "unavailable",
			    "the database is unreachable; try again shortly");
			conn_close(c, 1013 /* try again later */,
			    "try again later");
			break;
		}
		strlcpy_(c->agent, j->agent, sizeof c->agent);
		c->state = C_AUTHED;
		reply(c, auth_reply(c), j->id);
		break;
	case J_SNAPSHOT:
		if (c->close_code != 0)
			break;
		if (j->failed) {
			/* No deltas from here on without their snapshot. */
			c->hold = c->ready = 0;
			set_subscribed(c, c->topics & ~j->topics);
			reply_error(c, j->id, "unavailable",
			    "the snapshot could not be read; subscribe again");
			break;
		}
		/* After the nodes already writable, before the held events. */
		at = NULL;
		for (int i = 0; i < c->ready; i++)
			at = at == NULL ? c->head : at->next;
		for (int i = 0; i < j->nsnap; i++) {
			n = xcalloc(1, sizeof *n);
			n->m = j->snap[i];
			j->snap[i] = NULL;
			if (at == NULL) {
				n->next = c->head;
				c->head = n;
			} else {
				n->next = at->next;
				at->next = n;
			}
			if (n->next == NULL)
				c->tail = n;
			at = n;
			c->count++;
		}
		j->nsnap = 0;
		c->hold = c->ready = 0;
		if (c->head != NULL)
			lws_callback_on_writable(c->wsi);
		break;
	}
	job_free(j);
}

/* The loop's wake-up: events first, then lookups, oldest first. */
static void
ws_service(void)
{
	struct pend	*p, *pnext;
	struct job	*j, *jnext;

	pthread_mutex_lock(&lock);
	p = pend_head;
	pend_head = pend_tail = NULL;
	j = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&lock);
	for (; p != NULL; p = pnext) {
		pnext = p->next;
		fan_out(p);
		msg_unref(p->m);
		free(p);
	}
	for (; j != NULL; j = jnext) {
		jnext = j->next;
		job_done(j);
	}
}

/* ---- messages from the client ------------------------------------------- */

static void
on_auth(struct conn *c, json_t *req, json_t *id)
{
	const char		*tok = json_string_value(json_object_get(req, "token"));
	struct token_claims	 cl;
	enum token_error	 e;
	enum role		 role;
	time_t			 now = time(NULL);
	const char		*why = NULL;

	if (c->state == C_AUTHING)
		return reply_error(c, id, "not_authenticated",
		    "authentication is in progress");
	if (tok == NULL)
		return reply_error(c, id, "bad_request",
		    "auth needs a \"token\" string");
	if ((e = tcache_verify(&tkey, tok, now, 0, &cl)) != TOKEN_OK)
		why = token_strerror(e);
	else if (revoke_check(cl.sid, now))
		why = "this session has ended; sign in again";
	else if (role_parse(cl.role, &role) != 0 || role == ROLE_NONE)
		why = "the token names an unknown role";
	else if (c->state == C_AUTHED && strcmp(cl.sub, c->user) != 0)
		why = "a new token must be for the same user";
	if (why != NULL) {
		reply_error(c, id, "unauthorized", why);
		conn_close(c, CLOSE_UNAUTHORIZED, "unauthorized");
		return;
	}
	c->exp = cl.exp;
	strlcpy_(c->sid, cl.sid, sizeof c->sid);
	if (c->state == C_AUTHED) {	/* a refresh */
		reply(c, auth_reply(c), id);
		return;
	}
	c->role = role;
	strlcpy_(c->user, cl.sub, sizeof c->user);
	strlcpy_(c->company, cl.company, sizeof c->company);
	strlcpy_(c->scope, cl.company, sizeof c->scope);
	if (role == ROLE_AGENT) {
		struct job	*j = xcalloc(1, sizeof *j);

		j->kind = J_AGENT;
		j->id = json_incref(id);
		strlcpy_(j->user, c->user, sizeof j->user);
		c->state = C_AUTHING;
		job_submit(c, j);
		return;
	}
	c->state = C_AUTHED;
	reply(c, auth_reply(c), id);
}

/* Parse a "topics" array into bits; -1 on error (answered). */
static int
parse_topics(struct conn *c, json_t *req, json_t *id, unsigned *bits)
{
	json_t	*arr = json_object_get(req, "topics"), *v;
	size_t	 i, t;

	*bits = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		reply_error(c, id, "bad_request",
		    "\"topics\" must be a non-empty array");
		return -1;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		for (t = 0; t < NTOPICS; t++) {
			if (s != NULL && strcmp(s, topics[t].name) == 0)
				break;
		}
		if (t == NTOPICS) {
			reply_error(c, id, "bad_topic",
			    "topics are \"queues\", \"agents\" and \"calls\"");
			return -1;
		}
		*bits |= topics[t].bit;
	}
	return 0;
}

static json_t *
topic_list(unsigned bits)
{
	json_t	*a = json_array();

	for (size_t t = 0; t < NTOPICS; t++) {
		if (bits & topics[t].bit)
			json_array_append_new(a, json_string(topics[t].name));
	}
	return a;
}

static void
on_subscribe(struct conn *c, json_t *req, json_t *id)
{
	json_t		*co = json_object_get(req, "company_id");
	const char	*company = json_string_value(co);
	unsigned	 bits;
	struct job	*j;

	if (parse_topics(c, req, id, &bits) != 0)
		return;
	if (co != NULL && !json_is_null(co) &&
	    (company == NULL || !is_uuid(company)))
		return reply_error(c, id, "bad_request",
		    "\"company_id\" must be a UUID");
	if (c->role != ROLE_ADMIN && company != NULL &&
	    strcmp(company, c->company) != 0)
		return reply_error(c, id, "forbidden",
		    "you may subscribe to your own company only");
	if (c->job != NULL)
		return reply_error(c, id, "busy",
		    "a snapshot is on its way; subscribe again after it");
	if (c->role == ROLE_ADMIN && co != NULL) {
		if (strcmp(c->scope, company ? company : "") != 0)
			bits |= c->topics;	/* new scope: snapshot all again */
		strlcpy_(c->scope, company ? company : "", sizeof c->scope);
	}
	set_subscribed(c, c->topics | bits);
	reply(c, json_pack("{s:s,s:o,s:s?}", "type", "subscribed",
	    "topics", topic_list(c->topics),
	    "company_id", c->scope[0] ? c->scope : NULL), id);
	/* Hold what follows until the snapshot is in front of it. */
	c->hold = 1;
	c->ready = c->count;
	j = xcalloc(1, sizeof *j);
	j->kind = J_SNAPSHOT;
	j->id = json_incref(id);
	j->role = c->role;
	j->topics = bits;
	strlcpy_(j->scope, c->scope, sizeof j->scope);
	strlcpy_(j->agent, c->agent, sizeof j->agent);
	job_submit(c, j);
}

static void
on_unsubscribe(struct conn *c, json_t *req, json_t *id)
{
	unsigned	 bits;

	if (parse_topics(c, req, id, &bits) != 0)
		return;
	set_subscribed(c, c->topics & ~bits);
	reply(c, json_pack("{s:s,s:o}", "type", "unsubscribed",
	    "topics", topic_list(c->topics)), id);
}

static void
on_message(struct conn *c, const char *buf, size_t len)
{
	json_error_t	 err;
	json_t		*req, *id;
	const char	*type;

	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (req == NULL || !json_is_object(req)) {
		json_decref(req);
		return reply_error(c, NULL, "bad_request",
		    "a message is a JSON object with a \"type\"");
	}
	id = json_object_get(req, "id");
	if ((type = json_string_value(json_object_get(req, "type"))) == NULL)
		reply_error(c, id, "bad_request",
		    "a message is a JSON object with a \"type\"");
	else if (strcmp(type, "ping") == 0)
		reply(c, json_pack("{s:s}", "type", "pong"), id);
	else if (strcmp(type, "auth") == 0)
		on_auth(c, req, id);
	else if (c->state != C_AUTHED)
		reply_error(c, id, "not_authenticated",
		    "the first message must be auth");
	else if (strcmp(type, "subscribe") == 0)
		on_subscribe(c, req, id);
	else if (strcmp(type, "unsubscribe") == 0)
		on_unsubscribe(c, req, id);
	else
		reply_error(c, id, "unknown_type", "no such message type");
	json_decref(req);
}

/* A data frame or part of one; whole messages go to on_message. */
static int
on_receive(struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	if (lws_frame_is_binary(wsi)) {
		conn_close(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
		    "text frames only");
		return 0;
	}
	if (lws_is_first_fragment(wsi))
		c->rxlen = 0;
	if (c->rxlen + len > MAX_MESSAGE) {
		conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    "message too big");
		return 0;
	}
	if (c->rx == NULL)
		c->rx = xmalloc(MAX_MESSAGE);
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (c->close_code == 0)
		on_message(c, c->rx, c->rxlen);
	c->rxlen = 0;
	/* Most clients send a few messages: give the buffer back. */
	free(c->rx);
	c->rx = NULL;
	return 0;
}

static int
on_writeable(struct conn *c, struct lws *wsi)
{
	struct qnode	*n = c->head;
	int		 rc;

	if (n != NULL && (!c->hold || c->ready > 0)) {
		if ((c->head = n->next) == NULL)
			c->tail = NULL;
		c->count--;
		if (n->event)
			c->evbytes -= n->m->len;
		if (c->hold)
			c->ready--;
		rc = lws_write(wsi, n->m->buf + LWS_PRE, n->m->len,
		    LWS_WRITE_TEXT);
		msg_unref(n->m);
		free(n);
		if (rc < 0)
			return -1;
		if (writable_now(c))
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->close_code != 0 && c->head == NULL) {
		c->close_sent = 1;
		lws_close_reason(wsi, (enum lws_close_status)c->close_code,
		    (unsigned char *)(uintptr_t)c->close_reason,
		    strlen(c->close_reason));
		return -1;
	}
	return 0;
}

/* Deadlines of every connection: auth, expiry, revocation, close. */
static void
sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn	*c, *next;
	double		 mono = now_mono();
	time_t		 now = time(NULL);

	for (c = conns; c != NULL; c = next) {
		next = c->next;
		if (c->close_code != 0) {
			if (mono > c->deadline)	/* closes and frees c */
				lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
				    LWS_TO_KILL_SYNC);
			continue;
		}
		switch (c->state) {
		case C_NEW:
			if (mono > c->deadline)
				conn_close(c, CLOSE_AUTH_TIMEOUT, "auth timeout");
			break;
		case C_AUTHING:
			break;
		case C_AUTHED:
			if (now >= c->exp)
				conn_close(c, CLOSE_TOKEN_EXPIRED, "token expired");
			else if (revoke_check(c->sid, now))
				conn_close(c, CLOSE_UNAUTHORIZED, "session revoked");
			break;
		}
	}
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->job != NULL)
		c->job->c = NULL;
	set_subscribed(c, 0);
	queue_clear(c);
	free(c->rx);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nconns--;
	free(c);
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct conn	**pc = user, *c = pc != NULL ? *pc : NULL;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		c = *pc = xcalloc(1, sizeof *c);
		c->wsi = wsi;
		if ((c->next = conns) != NULL)
			conns->prev = c;
		conns = c;
		nconns++;
		c->deadline = now_mono() + AUTH_TIMEOUT;
		{
			int	 sz = SOCKET_SNDBUF;

			setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF,
			    &sz, sizeof sz);
		}
		/*
		 * Counted as a connection unless server.c did while it was
		 * HTTP; lws gives LWS_CALLBACK_WSI_DESTROY to protocols[0],
		 * where server.c uncounts it.
		 */
		if (lws_get_opaque_user_data(wsi) == NULL) {
			lws_set_opaque_user_data(wsi, &nconns);
			metrics_connection(1);
		}
		if (draining)
			conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY,
			    "server shutting down");
		break;
	case LWS_CALLBACK_RECEIVE:
		if (c == NULL)
			return -1;
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c == NULL)
			return -1;
		return on_writeable(c, wsi);
	case LWS_CALLBACK_CLOSED:
		conn_free(c);
		*pc = NULL;
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		ws_service();
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the upgrade ------------------------------------------------------------ */

static int
offers_protocol(const char *list)
{
	const char	*p = list, *e;
	size_t		 n = strlen(WS_PROTOCOL);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == n && strncmp(p, WS_PROTOCOL, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* Write a problem+json answer and hang up. */
static int
refuse(struct lws *wsi, int status, const char *code, const char *detail)
{
	unsigned char	*buf, *start, *p, *end;
	char		*body;
	size_t		 blen;
	static const char ctype[] = "application/problem+json";

	body = xasprintf("{\"type\":\"about:blank\",\"title\":\"%s\","
	    "\"status\":%d,\"code\":\"%s\",\"detail\":\"%s\"}\n",
	    status == 404 ? "Not Found" : "Bad Request", status, code, detail);
	blen = strlen(body);
	buf = xmalloc(LWS_PRE + 1024 + blen);
	start = p = buf + LWS_PRE;
	end = start + 1024;
	if (lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)ctype, (int)sizeof ctype - 1, &p, end) ||
	    lws_add_http_header_content_length(wsi, blen, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
	    (const unsigned char *)"close", 5, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end)) {
		free(buf);
		free(body);
		return -1;
	}
	memcpy(p, body, blen);
	p += blen;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
	free(buf);
	free(body);
	return -1;	/* the answer is out; hang up */
}

int
ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	char	 uri[64], proto[256];
	int	 ulen = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);

	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
		return 0;
	if (ulen <= 0 || ulen >= (int)sizeof uri ||
	    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, "/ws") != 0)
		return refuse(wsi, 404, "not_found",
		    "WebSockets are served on /ws only");
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) <= 0 ||
	    lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) < 0 ||
	    !offers_protocol(proto))
		return refuse(wsi, 400, "bad_request",
		    "use Sec-WebSocket-Protocol: " WS_PROTOCOL);
	return 0;
}

/* ---- start and stop ------------------------------------------------------------ */

void
ws_start(struct lws_context *ctx, struct ev_loop *loop)
{
	context = ctx;
	evloop = loop;
	ev_timer_init(&sweep_timer, sweep, SWEEP_EVERY, SWEEP_EVERY);
	ev_timer_start(loop, &sweep_timer);
	stopping = 0;
	if (pthread_create(&thread, NULL, lookup_main, NULL) != 0)
		fatal("ws: cannot start the lookup thread");
	if (!started)
		events_subscribe(ws_on_event, NULL);
	started = 1;
}

void
ws_stop(void)
{
	struct pend	*p, *pnext;
	struct job	*j, *jnext;

	if (context == NULL)
		return;
	pthread_rwlock_wrlock(&wake_lock);
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_rwlock_unlock(&wake_lock);
	ev_timer_stop(evloop, &sweep_timer);
	pthread_join(thread, NULL);
	pthread_mutex_lock(&lock);
	p = pend_head;
	pend_head = pend_tail = NULL;
	j = todo_head;
	todo_head = todo_tail = NULL;
	for (struct job *d = done_head; d != NULL; d = jnext) {
		jnext = d->next;
		if (d->c != NULL)
			d->c->job = NULL;
		job_free(d);
	}
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&lock);
	for (; p != NULL; p = pnext) {
		pnext = p->next;
		msg_unref(p->m);
		free(p);
	}
	for (; j != NULL; j = jnext) {
		jnext = j->next;
		if (j->c != NULL)
			j->c->job = NULL;
		job_free(j);
	}
	context = NULL;
}

void
ws_drain(void)
{
	draining = 1;
	for (struct conn *c = conns; c != NULL; c = c->next) {
		/* A socket that cannot take the close frame is not waited for. */
		if (lws_send_pipe_choked(c->wsi))
			c->close_sent = 1;
		queue_clear(c);
		c->close_code = 0;
		conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
	}
}

int
ws_draining(void)
{
	int	 n = 0;

	if (!draining)
		return 0;
	for (struct conn *c = conns; c != NULL; c = c->next)
		n += !c->close_sent;
	return n;
}

/*
 * The calldocker.v1 WebSocket protocol (docs/ws.md): the transport.
 * Connections, their bounded send queues, heartbeats, the lookups (run on
 * the job pool as JOB_WS) and the wake-ups from other threads. Sign-in and
 * the upgrade live in ws-auth.c, topics in ws-topics.c, calls and WebRTC
 * signaling in ws-signal.c, website-widget callers in ws-widget.c.
 *
 * Threads. The event bus calls ws_on_event() on whatever thread publishes
 * (workers, the hub thread): it serializes the event once into a
 * reference-counted message, appends it to a mutex-protected list and wakes
 * the loop with lws_cancel_service(). On the loop thread
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED takes the list and fans each message
 * out to the connections whose subscription matches (only those: the lists
 * of ws-index.c, by company, agent or call), by reference: each
 * message goes straight to the socket when nothing waits before it
 * (write_now()); otherwise the connection holds a bounded queue of
 * pointers and writes one message per LWS_CALLBACK_SERVER_WRITEABLE. A
 * connection whose queue is full is a slow consumer: its queue is dropped
 * and it is closed with 4008.
 *
 * Timers (auth, expiry, heartbeats, the close's deadline) are a heap of
 * connections by when each is next due; revocations are checked only after
 * one was added (revoke_generation()).
 *
 * Work that needs PostgreSQL or the hub (an agent's id at sign-in,
 * snapshots, widget keys, every call operation) runs as jobs on a few
 * threads of our own, each with its own connection; one connection's jobs
 * run one at a time, in order. Results come back the same way as events.
 * The loop never blocks.
 */
#include <sys/socket.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <jansson.h>
#include <libwebsockets.h>

#include "xmalloc.h"
#include "json-print.h"
#include "log.h"
#include "daemon.h"
#include "http.h"
#include "events.h"
#include "revoke.h"
#include "metrics.h"
#include "netconn.h"
#include "db.h"
#include "worker.h"
#include "ws.h"
#include "ws-int.h"

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

struct conn			*ws_conns;
static struct lws_context	*context;
static struct ev_loop		*evloop;
static ev_timer			 sweep_timer;
static struct conn		**heap;	/* by due: the sweep's timers */
static int			 heapn, heapcap;
static unsigned long		 revoked_seen;	/* revoke_generation() */
static int			 nconns;
static unsigned			 skew_next;	/* conn_new(): ping skews */
static int			 draining;

static pthread_mutex_t		 lock = PTHREAD_MUTEX_INITIALIZER;
static struct pend		*pend_head, *pend_tail;
static struct wsjob		*done_head, *done_tail;
static int			 stopping, started;
static int			 listening;	/* under lock: anyone for the bus */
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
struct msg *
ws_msg_json(json_t *o)
{
	size_t		 len;
	char		*s = json_print(o, &len);
	struct msg	*m;

	json_decref(o);
	if (s == NULL)
		fatal("ws: cannot serialize a message");
	m = msg_new(s, len);
	free(s);
	return m;
}

void
ws_msg_unref(struct msg *m)
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
		ws_msg_unref(n->m);
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

/* ---- the sweep's timers: a heap of connections by when they are due ---- */

static void
heap_put(int i, struct conn *c)
{
	heap[i] = c;
	c->heap_i = i;
}

static void
heap_up(int i)
{
	struct conn	*c = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->due > c->due) {
		heap_put(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_put(i, c);
}

static void
heap_down(int i)
{
	struct conn	*c = heap[i];
	int		 k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= heapn)
			break;
		if (k + 1 < heapn && heap[k + 1]->due < heap[k]->due)
			k++;
		if (heap[k]->due >= c->due)
			break;
		heap_put(i, heap[k]);
		i = k;
	}
	heap_put(i, c);
}

/* Check c by due (in the heap or not yet). */
static void
timer_set(struct conn *c, double due)
{
	c->due = due;
	if (c->heap_i < 0) {
		if (heapn == heapcap) {
			heapcap = heapcap ? heapcap * 2 : 1024;
			heap = xrealloc(heap, (size_t)heapcap * sizeof *heap);
		}
		heap_put(heapn++, c);
	}
	heap_up(c->heap_i);
	heap_down(c->heap_i);
}

static void
timer_remove(struct conn *c)
{
	struct conn	*last;
	int		 i = c->heap_i;

	if (i < 0)
		return;
	c->heap_i = -1;
	if (--heapn == i)
		return;
	last = heap[heapn];
	heap_put(i, last);
	heap_up(i);
	heap_down(last->heap_i);
}

/* Close with a code once what is queued has gone out. */
void
ws_close(struct conn *c, int code, const char *reason)
{
	if (c->close_code != 0)
		return;
	c->close_code = code;
	c->close_reason = reason;
	c->hold = c->ready = 0;
	/* If even the close frame cannot go out, drop the connection. */
	c->deadline = now_mono() + SLOW_CLOSE_SECS;
	timer_set(c, c->deadline);
	lws_callback_on_writable(c->wsi);
}

static void
slow_consumer(struct conn *c)
{
	log_info("ws: closing a slow consumer (%d messages queued)", c->count);
	queue_clear(c);
	ws_close(c, CLOSE_SLOW, "slow consumer");
}

/*
 * Straight to the socket when nothing waits before m: nothing queued or
 * held here, no ping due, nothing of an earlier write still buffered by
 * lws. That skips the WRITEABLE round trip (two poll changes and a
 * callback per message), most of a fan-out's cost besides the send
 * itself. What the kernel takes only in part lws keeps and flushes
 * (lws_partial_buffered()); until then messages queue here, bounded.
 */
static int
write_now(struct conn *c, struct msg *m)
{
	if (c->head != NULL || c->hold || c->ping_due ||
	    lws_partial_buffered(c->wsi))
		return 0;
	if (lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < 0)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	return 1;
}

/* Send or queue a reference to m; events are bounded, replies are not. */
void
ws_enqueue(struct conn *c, struct msg *m, int event)
{
	struct qnode	*n;

	if (c->close_code != 0 || write_now(c, m))
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

/* A message of no request; steals o. */
void
ws_send(struct conn *c, json_t *o)
{
	struct msg	*m = ws_msg_json(o);

	ws_enqueue(c, m, 0);
	ws_msg_unref(m);
}

/* A reply: adds the request's id; steals o. */
void
ws_reply(struct conn *c, json_t *o, json_t *id)
{
	if (id != NULL)
		json_object_set(o, "id", id);
	ws_send(c, o);
}

void
ws_reply_error(struct conn *c, json_t *id, const char *code,
    const char *message)
{
	ws_reply(c, json_pack("{s:s,s:s,s:s}", "type", "error", "code", code,
	    "message", message), id);
}

/* ---- jobs, run on the job pool (JOB_WS) ----------------------------------- */

struct wsjob *
ws_job_new(void (*run)(struct db *, struct wsjob *),
    void (*done)(struct wsjob *))
{
	struct wsjob	*j = xcalloc(1, sizeof *j);

	j->run = run;
	j->done = done;
	return j;
}

static void
wsjob_free(struct wsjob *j)
{
	for (int i = 0; i < j->nsnap; i++)
		free(j->snap[i]);	/* never shared yet */
	json_decref(j->id);
	json_decref(j->in);
	json_decref(j->out);
	free(j->detail);
	free(j);
}

void
ws_job_fail(struct wsjob *j, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	j->failed = 1;
	j->code = code;
	free(j->detail);
	va_start(ap, fmt);
	j->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

/* On a worker (JOB_WS): run the lookup, hand it back to the loop. */
static void
lookup_run(struct db *db, void *arg)
{
	struct wsjob	*j = arg;
	int		 wake;

	j->run(db, j);
	pthread_rwlock_rdlock(&wake_lock);
	pthread_mutex_lock(&lock);
	wake = done_head == NULL && pend_head == NULL;
	if (done_tail != NULL)
		done_tail->next = j;
	else
		done_head = j;
	done_tail = j;
	pthread_mutex_unlock(&lock);
	if (wake)
		lws_cancel_service(context);
	pthread_rwlock_unlock(&wake_lock);
}

/*
 * Jobs of one connection run one at a time, in order (c->job, c->jobq):
 * the pool's JOB_WS cap bounds them all.
 */
static void
job_dispatch(struct wsjob *j)
{
	if (worker_call(JOB_WS, lookup_run, j) == 0)
		return;
	if (j->c != NULL)
		j->c->job = NULL;
	wsjob_free(j);
}

void
ws_job_submit(struct conn *c, struct wsjob *j)
{
	j->c = c;
	if (stopping) {		/* the threads are gone */
		wsjob_free(j);
		return;
	}
	if (c == NULL) {
		job_dispatch(j);
		return;
	}
	if (c->job != NULL) {
		if (c->jobq_tail != NULL)
			c->jobq_tail->next = j;
		else
			c->jobq = j;
		c->jobq_tail = j;
		return;
	}
	c->job = j;
	job_dispatch(j);
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

/* Any thread: to the loop, woken. */
static void
pend_queue(struct pend *p)
{
	int	 wake;
	pthread_rwlock_rdlock(&wake_lock);
	pthread_mutex_lock(&lock);
	if (stopping) {
		pthread_mutex_unlock(&lock);
		pthread_rwlock_unlock(&wake_lock);
		ws_msg_unref(p->m);
		ws_msg_unref(p->m_agent);
		json_decref(p->data);
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

/* Any thread: serialize once, queue, wake the loop. Never blocks for long. */
static void
ws_on_event(const char *company, const char *type, const json_t *data,
    void *arg)
{
	struct pend	*p;
	unsigned	 topic = event_topic(type);
	json_t		*sup;
	int		 any;

	pthread_mutex_lock(&lock);
	any = listening && !stopping;
	pthread_mutex_unlock(&lock);
	if (strcmp(type, WS_RELAY_EVENT) == 0)
		topic = T_RELAY;
	if (topic == 0 || !any || company == NULL)
		return;
	p = xcalloc(1, sizeof *p);
	if (topic == T_RELAY) {
		/* Another node's relay to a party here (ws-signal.c). */
		p->topic = T_RELAY;
		strlcpy_(p->company, company, sizeof p->company);
		p->data = json_deep_copy(data);
		pend_queue(p);
		return;
	}
	p->topic = topic;
	strlcpy_(p->event, type, sizeof p->event);
	strlcpy_(p->company, company, sizeof p->company);
	copy_str(p->agent, sizeof p->agent, data, "agent_id");
	if (topic == T_CALLS) {
		copy_str(p->call, sizeof p->call, data, "id");
		copy_str(p->state, sizeof p->state, data, "state");
		p->data = json_deep_copy(data);
	}
	p->m = ws_msg_json(json_pack("{s:s,s:s,s:s,s:O}", "type", "event",
	    "event", type, "topic", topic == T_CALLS ? "calls" :
	    topic == T_AGENTS ? "agents" : "queues", "data", data));
	if (topic == T_CALLS && json_is_object(sup = json_object_get(p->data,
	    "supervision"))) {
		/* Who supervises a call is not its agent's to know
		 * (docs/ws.md, "Supervision"): call.supervised reaches her
		 * when agent_notified says so, as it is. */
		copy_str(p->supervisor, sizeof p->supervisor, sup,
		    "supervisor_id");
		p->agent_notified = json_is_true(json_object_get(sup,
		    "agent_notified"));
		json_object_set_new(p->data, "supervision", json_null());
		if (strcmp(type, "call.supervised") != 0)
			p->m_agent = ws_msg_json(json_pack("{s:s,s:s,s:s,s:O}",
			    "type", "event", "event", type, "topic", "calls",
			    "data", p->data));
	}

	pend_queue(p);
}

/*
 * The bus is listened to while some connection subscribes to a topic or
 * takes part in calls (an agent, a widget caller, a manager or admin who
 * may supervise).
 */
static int	 nparties;

void
ws_listeners_changed(void)
{
	int	 any = ws_topics_any() || nparties > 0;

	pthread_mutex_lock(&lock);
	listening = any;
	pthread_mutex_unlock(&lock);
	if (!any)
		ws_signal_clear();
}

void
ws_party_set(struct conn *c, int party)
{
	if (party == c->party)
		return;
	nparties += party - c->party;
	c->party = party;
	/* An agent's sockets, for offers and relays (ws-signal.c). */
	if (party && !c->caller && c->agent[0] != '\0')
		ws_index_add(&c->self, c, IX_AGENT, 0, c->agent);
	else
		ws_index_del(&c->self);
	ws_listeners_changed();
}

static void
ws_service(void)
{
	struct pend	*p, *pnext;
	struct wsjob	*j, *jnext;
	struct conn	*c;

	pthread_mutex_lock(&lock);
	p = pend_head;
	pend_head = pend_tail = NULL;
	j = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&lock);
	for (; p != NULL; p = pnext) {
		pnext = p->next;
		if (p->topic == T_RELAY)
			ws_signal_relayed(p);
		else
			ws_topics_fan_out(p);
		if (p->topic == T_CALLS)
			ws_signal_event(p);
		ws_msg_unref(p->m);
		ws_msg_unref(p->m_agent);
		json_decref(p->data);
		free(p);
	}
	for (; j != NULL; j = jnext) {
		jnext = j->next;
		if ((c = j->c) != NULL)
			c->job = NULL;
		j->done(j);
		wsjob_free(j);
		/* The connection's next job, if it still is. */
		if (c != NULL && c->job == NULL && c->jobq != NULL) {
			struct wsjob *n = c->jobq;

			if ((c->jobq = n->next) == NULL)
				c->jobq_tail = NULL;
			n->next = NULL;
			c->job = n;
			job_dispatch(n);
		}
	}
}

/* ---- messages from the client ------------------------------------------- */

#define MAX_HELD	16	/* messages held while the sign-in is checked */

static void
dispatch(struct conn *c, json_t *req)
{
	json_t		*id = json_object_get(req, "id");
	const char	*type = json_string_value(json_object_get(req, "type"));

	if (type == NULL)
		ws_reply_error(c, id, "bad_request",
		    "a message is a JSON object with a \"type\"");
	else if (strcmp(type, "ping") == 0)
		ws_reply(c, json_pack("{s:s}", "type", "pong"), id);
	else if (strcmp(type, "auth") == 0) {
		ws_auth(c, req, id);
		timer_set(c, now_mono());	/* a new expiry, maybe */
	}
	else if (c->state == C_AUTHING) {
		/* Sent right behind auth: answered once it is through. */
		if (c->held == NULL)
			c->held = json_array();
		if (json_array_size(c->held) < MAX_HELD)
			json_array_append(c->held, req);
		else
			ws_reply_error(c, id, "busy", "authentication is in"
			    " progress; wait for \"authenticated\"");
	} else if (c->state != C_AUTHED)
		ws_reply_error(c, id, "not_authenticated",
		    "the first message must be auth");
	else if (!ws_topics_message(c, type, req, id) &&
	    !ws_widget_message(c, type, req, id) &&
	    !ws_signal_message(c, type, req, id))
		ws_reply_error(c, id, "unknown_type", "no such message type");
}

/* The sign-in was checked: answer what came behind it (or drop it). */
void
ws_auth_done(struct conn *c)
{
	json_t	*held = c->held, *req;
	size_t	 i;

	c->held = NULL;
	if (c->close_code == 0)
		timer_set(c, now_mono());	/* signed in: its timers */
	if (c->state == C_AUTHED && c->close_code == 0) {
		json_array_foreach(held, i, req)
			dispatch(c, req);
	}
	json_decref(held);
}

static void
on_message(struct conn *c, const char *buf, size_t len)
{
	json_error_t	 err;
	json_t		*req;

	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (req == NULL || !json_is_object(req))
		ws_reply_error(c, NULL, "bad_request",
		    "a message is a JSON object with a \"type\"");
	else
		dispatch(c, req);
	json_decref(req);
}

/* A data frame or part of one; whole messages go to on_message. */
static int
on_receive(struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	c->last_rx = now_mono();
	if (lws_frame_is_binary(wsi)) {
		ws_close(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
		    "text frames only");
		return 0;
	}
	if (lws_is_first_fragment(wsi))
		c->rxlen = 0;
	if (c->rxlen + len > MAX_MESSAGE) {
		ws_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
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
ping_write(struct lws *wsi)
{
	unsigned char	 ping[LWS_PRE + 8];

	memcpy(ping + LWS_PRE, "hb", 2);
	return lws_write(wsi, ping + LWS_PRE, 2, LWS_WRITE_PING);
}

static int
on_writeable(struct conn *c, struct lws *wsi)
{
	struct qnode	*n = c->head;
	int		 rc;

	if (c->ping_due && c->close_code == 0) {
		c->ping_due = 0;
		if (ping_write(wsi) < 0)
			return -1;
		if (c->head != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	}
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
		ws_msg_unref(n->m);
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

/*
 * When c's next ping is due. The skew spreads the pings of sockets that
 * went quiet together (thousands subscribing in the same second) over a
 * quarter of the interval instead of one burst on the loop.
 */
static double
ping_at(const struct conn *c)
{
	return (c->last_rx > c->last_ping ? c->last_rx : c->last_ping) +
	    cfg.ws_ping_interval * (1 + c->ping_skew / 4);
}

/*
 * Heartbeats: a ping frame every ws_ping_interval seconds (plus the
 * socket's skew, up to a quarter more) to a socket that has been quiet that
 * long; a socket from which nothing at all (not even a pong) arrived for
 * ws_idle_timeout seconds is closed with 4009.
 */
static void
heartbeat(struct conn *c, double mono)
{
	if (cfg.ws_idle_timeout > 0 && mono - c->last_rx > cfg.ws_idle_timeout) {
		ws_close(c, CLOSE_IDLE, "idle timeout");
		return;
	}
	if (cfg.ws_ping_interval > 0 && mono >= ping_at(c)) {
		c->last_ping = mono;
		/* Like write_now(): straight out when nothing waits. */
		if (c->head == NULL && !lws_partial_buffered(c->wsi)) {
			if (ping_write(c->wsi) < 0)
				lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
				    LWS_TO_KILL_ASYNC);
		} else {
			c->ping_due = 1;
			lws_callback_on_writable(c->wsi);
		}
	}
}

/* When c next needs looking at: the earliest of its deadlines. */
static double
next_due(const struct conn *c, double mono, time_t now)
{
	double	 d = mono + 3600;

	if (c->close_code != 0 || c->state == C_NEW)
		return c->deadline;
	if (c->state == C_AUTHING)
		return mono + SWEEP_EVERY;
	if (c->exp != 0 && mono + (double)(c->exp - now) < d)
		d = mono + (double)(c->exp - now);
	if (cfg.ws_idle_timeout > 0 && c->last_rx + cfg.ws_idle_timeout < d)
		d = c->last_rx + cfg.ws_idle_timeout;
	if (cfg.ws_ping_interval > 0 && ping_at(c) < d)
		d = ping_at(c);
	return d;
}

/*
 * Deadlines: auth, expiry, heartbeats, of the connections due only (a heap
 * by the earliest; a frame that arrives moves nothing, the connection is
 * looked at then and put back by its real deadline). Revocations: every
 * signed-in connection, but only after one was added.
 */
static void
sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn	*c;
	double		 mono = now_mono(), due;
	time_t		 now = time(NULL);
	unsigned long	 gen = revoke_generation();

	if (gen != revoked_seen) {
		revoked_seen = gen;
		for (c = ws_conns; c != NULL; c = c->next) {
			if (c->close_code == 0 && c->state == C_AUTHED &&
			    !c->caller && revoke_check(c->sid, now))
				ws_close(c, CLOSE_UNAUTHORIZED, "session revoked");
		}
	}
	while (heapn > 0 && heap[0]->due <= mono) {
		c = heap[0];
		if (c->close_code != 0) {
			if (mono > c->deadline) {
				timer_remove(c);
				/* Closes and frees c. */
				lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
				    LWS_TO_KILL_SYNC);
				continue;
			}
		} else {
			switch (c->state) {
			case C_NEW:
				if (mono > c->deadline)
					ws_close(c, CLOSE_AUTH_TIMEOUT,
					    "auth timeout");
				break;
			case C_AUTHING:
				break;
			case C_AUTHED:
				if (c->exp != 0 && now >= c->exp)
					ws_close(c, CLOSE_TOKEN_EXPIRED,
					    "token expired");
				else
					heartbeat(c, mono);
				break;
			}
		}
		/* Never again in this sweep. */
		due = next_due(c, mono, now);
		timer_set(c, due > mono ? due : mono + SWEEP_EVERY / 2);
	}
	ws_signal_tick();
	ws_presence_tick();
}

static void
conn_free(struct conn *c)
{
	struct wsjob	*j, *next;

	if (c == NULL)
		return;
	if (c->job != NULL)
		c->job->c = NULL;
	for (j = c->jobq; j != NULL; j = next) {
		next = j->next;
		wsjob_free(j);
	}
	ws_signal_closed(c);
	ws_topics_set(c, 0);
	ws_topics_closed(c);
	ws_index_del(&c->self);
	timer_remove(c);
	queue_clear(c);
	free(c->rx);
	free(c->origin);
	json_decref(c->held);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ws_conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nconns--;
	nparties -= c->party;
	free(c);
	ws_listeners_changed();
}

static void
conn_new(struct lws *wsi, struct conn **pc)
{
	struct conn	*c;
	int		 sz = SOCKET_SNDBUF, n;

	c = *pc = xcalloc(1, sizeof *c);
	c->wsi = wsi;
	c->heap_i = -1;
	if ((c->next = ws_conns) != NULL)
		ws_conns->prev = c;
	ws_conns = c;
	nconns++;
	c->deadline = now_mono() + cfg.ws_auth_timeout;
	c->last_rx = c->last_ping = now_mono();
	c->ping_skew = (double)(skew_next++ % 64) / 64;
	timer_set(c, c->deadline);
	setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof sz);
	netconn_client(wsi, c->ip, sizeof c->ip);
	if ((n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN)) > 0 && n < 1024) {
		c->origin = xmalloc((size_t)n + 1);
		if (lws_hdr_copy(wsi, c->origin, n + 1, WSI_TOKEN_ORIGIN) < 0) {
			free(c->origin);
			c->origin = NULL;
		}
	}
	/*
	 * Counted as a connection unless server.c did while it was HTTP; lws
	 * gives LWS_CALLBACK_WSI_DESTROY to protocols[0], where server.c
	 * uncounts it.
	 */
	if (lws_get_opaque_user_data(wsi) == NULL) {
		lws_set_opaque_user_data(wsi, &nconns);
		metrics_connection(1);
	}
	if (draining)
		ws_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct conn	**pc = user, *c = pc != NULL ? *pc : NULL;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		conn_new(wsi, pc);
		break;
	case LWS_CALLBACK_RECEIVE:
		if (c == NULL)
			return -1;
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c != NULL)
			c->last_rx = now_mono();
		break;
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

/* ---- start and stop ------------------------------------------------------------ */

void
ws_start(struct lws_context *ctx, struct ev_loop *loop)
{
	context = ctx;
	evloop = loop;
	ev_timer_init(&sweep_timer, sweep, SWEEP_EVERY, SWEEP_EVERY);
	ev_timer_start(loop, &sweep_timer);
	stopping = 0;
	ws_widget_start();
	if (!started)
		events_subscribe(ws_on_event, NULL, EVENTS_CLUSTER);
	started = 1;
}

void
ws_stop(void)
{
	struct pend	*p, *pnext;
	struct wsjob	*j, *jnext;

	if (context == NULL)
		return;
	pthread_rwlock_wrlock(&wake_lock);
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_mutex_unlock(&lock);
	pthread_rwlock_unlock(&wake_lock);
	ev_timer_stop(evloop, &sweep_timer);
	/* The pool has stopped (worker_stop()): every lookup is back. */
	pthread_mutex_lock(&lock);
	p = pend_head;
	pend_head = pend_tail = NULL;
	j = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&lock);
	for (; p != NULL; p = pnext) {
		pnext = p->next;
		ws_msg_unref(p->m);
		ws_msg_unref(p->m_agent);
		json_decref(p->data);
		free(p);
	}
	for (; j != NULL; j = jnext) {
		jnext = j->next;
		if (j->c != NULL)
			j->c->job = NULL;
		wsjob_free(j);
	}
	ws_widget_stop();
	ws_signal_clear();
	context = NULL;
}

void
ws_drain(void)
{
	draining = 1;
	for (struct conn *c = ws_conns; c != NULL; c = c->next) {
		/* A socket that cannot take the close frame is not waited for. */
		if (lws_send_pipe_choked(c->wsi))
			c->close_sent = 1;
		queue_clear(c);
		c->close_code = 0;
		ws_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
	}
}

int
ws_draining(void)
{
	int	 n = 0;

	if (!draining)
		return 0;
	for (struct conn *c = ws_conns; c != NULL; c = c->next)
		n += !c->close_sent;
	return n;
}

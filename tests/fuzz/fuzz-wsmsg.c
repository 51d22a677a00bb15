/*
 * libFuzzer, structure-aware: WebSocket messages (docs/ws.md) through
 * their handlers, as ws.c's dispatch() passes them: sign-in (tokens and
 * widget keys), subscriptions, a widget caller's requests, the relays of
 * SDP and ICE and a supervisor's (ws-check.c; a connected call is the
 * manager's to supervise), and the operations, whose input is
 * op_in_parse()'s with the WebSocket mapping (op_by_ws()). The socket is
 * one of an agent, a manager, an admin or a widget caller, signed in or
 * not, and a call may exist first, in the state two events left it in.
 *
 * No loop runs: the socket is closing (close_code set), so what it is sent
 * is dropped, and the lookup jobs run inline as they are submitted
 * (--wrap=ws_job_submit), against the real database layer with no
 * database: every statement fails DB_DOWN.
 *
 * An input: 4 header bytes and 3 messages (fuzz-mut.h's format).
 *   hdr[0]	bits 0-1 the socket (agent, manager, admin, caller);
 *		2 not signed in yet; 3 the agent's socket is a party
 *   hdr[1]	bits 0-2 and 3-5 the call's two events (a state each, or
 *		none); 6 the call is another agent's; 7 video
 *   hdr[2]	the first message's type (types[]), past it as given
 *   hdr[3]	the second's; the third's as given
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xmalloc.h"
#include "log.h"
#include "utf8.h"
#include "daemon.h"
#include "http.h"
#include "db.h"
#include "op.h"
#include "ws-int.h"
#include "ws-check.h"
#include "fuzz-mut.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
size_t	LLVMFuzzerCustomMutator(uint8_t *, size_t, size_t, unsigned int);
void	__wrap_ws_job_submit(struct conn *, struct wsjob *);

#define COMPANY	"11111111-1111-4111-8111-111111111111"
#define USER	"33333333-3333-4333-8333-333333333333"
#define AGENT	"44444444-4444-4444-8444-444444444444"
#define OTHER	"55555555-5555-4555-8555-555555555555"
#define CALL	"66666666-6666-4666-8666-666666666666"

static const char *const types[] = { "ping", "auth", "subscribe",
	"unsubscribe", "sdp.offer", "sdp.answer", "ice.candidate",
	"call.accept", "call.reject", "call.hold", "call.resume",
	"call.hangup", "call.transfer", "agent.state", "call.request",
	"ivr.input", "supervise.offer", "supervise.answer", "supervise.ice",
	NULL };
#define NTYPES	(sizeof types / sizeof types[0] - 1)

static const char *const keys[] = { "type", "id", "token", "widget_key",
	"topics", "company_id", "call_id", "agent_id", "queue_id", "state",
	"reason", "sdp", "candidate", "media", "digits", "event", "ivr",
	"ivr_flow_id", "caller_name", "caller_data", "sdpMid",
	"sdpMLineIndex", "usernameFragment", "disposition", "notes", NULL };

/* The tokens are made at start: signed by the key the daemon checks. */
static const char *strings[64] = { "queues", "agents", "calls", "voice",
	"video", "screen_share", "available", "away", "offline", "busy",
	"timeout", "123#", "*9", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n",
	"candidate:1 1 udp 2130706431 192.0.2.1 54400 typ host",
	"https://example.com", "wk_0123456789abcdef", CALL, AGENT, OTHER,
	COMPANY, "sales", "" };

static const char *const states[] = { NULL, "queued", "offering",
	"connected", "on_hold", "wrap_up", "completed", "ringing" };

static struct db	 db;

/* ws.c's job_free(), which is its own. */
static void
job_free(struct wsjob *j)
{
	for (int i = 0; i < j->nsnap; i++)
		free(j->snap[i]);
	json_decref(j->id);
	json_decref(j->in);
	json_decref(j->out);
	free(j->detail);
	free(j);
}

/* A lookup thread and the loop at once: run, then done, in order. */
void
__wrap_ws_job_submit(struct conn *c, struct wsjob *j)
{
	j->c = c;
	db.retry_at = (time_t)INT_MAX;
	j->run(&db, j);
	j->done(j);
	job_free(j);
}

static const struct fuzz_shape shape = { .hdr = 4, .nfields = 3, .body = 0,
	.sel = 2, .keys = keys, .strings = strings };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const roles[] = { "agent", "manager", "admin" };
	const char		*k = "fuzz-secret-fuzz-secret-fuzz-secret-0123";
	struct token_claims	 cl;
	size_t			 n = 0;

	config_defaults(&cfg);
	log_init(LOG_ERROR, LOG_TEXT);
	if (utf8_init() != 0 || token_key_init(&tkey, (const unsigned char *)k,
	    strlen(k), cfg.jwt_issuer, cfg.jwt_audience) != 0)
		abort();
	ws_widget_start();
	db_init(&db, NULL);
	while (strings[n] != NULL)
		n++;
	for (size_t i = 0; i < 3; i++) {
		memset(&cl, 0, sizeof cl);
		strlcpy_(cl.sub, USER, sizeof cl.sub);
		strlcpy_(cl.jti, CALL, sizeof cl.jti);
		strlcpy_(cl.sid, OTHER, sizeof cl.sid);
		strlcpy_(cl.role, roles[i], sizeof cl.role);
		strlcpy_(cl.company, i == 2 ? "" : COMPANY, sizeof cl.company);
		cl.iat = time(NULL);
		cl.exp = cl.iat + 10 * 365 * 86400;
		strings[n++] = token_issue(&tkey, &cl);
	}
	return 0;
}

static void
event(const char *state, int other, int video)
{
	struct pend	 p;

	if (state == NULL)
		return;
	memset(&p, 0, sizeof p);
	p.topic = T_CALLS;
	snprintf(p.event, sizeof p.event, "call.%s", state);
	strlcpy_(p.company, COMPANY, sizeof p.company);
	strlcpy_(p.agent, other ? OTHER : AGENT, sizeof p.agent);
	strlcpy_(p.call, CALL, sizeof p.call);
	strlcpy_(p.state, state, sizeof p.state);
	p.data = json_pack("{s:s,s:s,s:s}", "id", CALL, "state", state,
	    "media", video ? "video" : "voice");
	ws_signal_event(&p);
	json_decref(p.data);
	/* A connected call is supervised by the manager, in the browser. */
	if (strcmp(state, "connected") != 0)
		return;
	strlcpy_(p.event, "call.supervised", sizeof p.event);
	p.data = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "id", CALL, "state",
	    state, "supervision", "supervisor_id", USER, "mode", "monitor",
	    "via", "browser");
	ws_signal_event(&p);
	json_decref(p.data);
}

/* ws.c's dispatch(), but for its timers (a closing socket has none). */
static void
dispatch(struct conn *c, json_t *req)
{
	json_t		*id = json_object_get(req, "id");
	const char	*type = json_string_value(json_object_get(req, "type"));
	const struct op_def *d;
	struct op_in	 in = { 0 };
	struct fields	 f;

	if (type == NULL)
		return;
	/* The operation's input alone, as a REST body and as a message. */
	if ((d = op_by_ws(type)) != NULL) {
		if (d->ws == NULL || strcmp(d->ws, type) != 0 ||
		    (d->transports & OPT_WS) == 0)
			abort();
		for (int strict = 0; strict < 2; strict++) {
			memset(&in, 0, sizeof in);
			fields_init(&f);
			if ((op_in_parse(d->id, req, strict, &in, &f) != 0) !=
			    (fields_any(&f) != 0))
				abort();	/* errors exactly on failure */
			fields_free(&f);
		}
	}
	if (strcmp(type, "ping") == 0)
		ws_reply(c, json_pack("{s:s}", "type", "pong"), id);
	else if (strcmp(type, "auth") == 0)
		ws_auth(c, req, id);
	else if (c->state != C_AUTHED)
		ws_reply_error(c, id, "not_authenticated",
		    "the first message must be auth");
	else if (!ws_topics_message(c, type, req, id) &&
	    !ws_widget_message(c, type, req, id) &&
	    !ws_signal_message(c, type, req, id))
		ws_reply_error(c, id, "unknown_type", "no such message type");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned	 runs;
	struct fuzz_in	 in;
	struct conn	*c;
	json_t		*m;
	int		 kind;

	fuzz_in_parse(&shape, data, size, &in);
	db_init(&db, NULL);
	db.retry_at = (time_t)INT_MAX;

	c = xcalloc(1, sizeof *c);
	c->heap_i = -1;
	c->close_code = 1000;		/* sends are dropped */
	/* A new address each time: the widget's rate limit stays out of it. */
	snprintf(c->ip, sizeof c->ip, "10.%u.%u.%u", (runs >> 16) & 255,
	    (runs >> 8) & 255, runs & 255);
	runs++;
	c->origin = xstrdup("https://example.com");
	ws_conns = c;
	kind = in.hdr[0] & 3;
	if ((in.hdr[0] & 4) == 0) {
		c->state = C_AUTHED;
		strlcpy_(c->company, kind == 2 ? "" : COMPANY,
		    sizeof c->company);
		strlcpy_(c->scope, c->company, sizeof c->scope);
		if (kind == 3) {
			c->caller = 1;
			c->role = ROLE_NONE;
		} else {
			c->role = kind == 0 ? ROLE_AGENT : kind == 1 ?
			    ROLE_MANAGER : ROLE_ADMIN;
			strlcpy_(c->user, USER, sizeof c->user);
			strlcpy_(c->sid, OTHER, sizeof c->sid);
		}
		if (kind == 0)
			strlcpy_(c->agent, AGENT, sizeof c->agent);
		if (kind == 0 && (in.hdr[0] & 8))
			ws_party_set(c, 1);
	}
	event(states[in.hdr[1] & 7], in.hdr[1] & 0x40, in.hdr[1] & 0x80);
	if (c->caller)
		ws_signal_caller_call(c, CALL, COMPANY,
		    states[in.hdr[1] & 7] ? states[in.hdr[1] & 7] : "queued");
	event(states[(in.hdr[1] >> 3) & 7], in.hdr[1] & 0x40,
	    in.hdr[1] & 0x80);

	for (int i = 0; i < 3; i++) {
		m = json_loadb((const char *)in.f[i], in.len[i],
		    JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(m)) {
			json_decref(m);
			continue;
		}
		if (i < 2 && in.hdr[2 + i] < NTYPES)
			json_object_set_new(m, "type",
			    json_string(types[in.hdr[2 + i]]));
		/* The relay's checks, on every message. */
		(void)ws_check_relay("sdp.offer", m);
		(void)ws_check_relay("ice.candidate", m);
		(void)ws_check_relay("supervise.offer", m);
		(void)ws_check_relay("supervise.ice", m);
		(void)ws_check_media(json_object_get(m, "media"));
		dispatch(c, m);
		json_decref(m);
	}

	/* ws.c's conn_free(), for what the handlers may have set up. */
	ws_signal_closed(c);
	ws_topics_set(c, 0);
	ws_topics_closed(c);
	ws_party_set(c, 0);
	ws_index_del(&c->self);
	json_decref(c->held);
	free(c->origin);
	free(c);
	ws_conns = NULL;
	ws_listeners_changed();
	if (ws_topics_any())
		abort();	/* a closed socket left a subscription */
	ws_signal_clear();
	db_close(&db);
	return 0;
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
    unsigned int seed)
{
	return fuzz_mutate(&shape, data, size, max, seed, NTYPES);
}

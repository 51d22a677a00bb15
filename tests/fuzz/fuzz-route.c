/*
 * libFuzzer, structure-aware: a REST request through what the daemon does
 * with it short of PostgreSQL. The router's match, authorization with a
 * principal of a fuzzed role, the body parsed as its route takes it
 * (server_parse_body()), then the route's handler, whose checks (the typed
 * inputs of users, agents, queues, settings, webhooks, op_in_parse() of
 * every operation...) run before its first query; the database layer is
 * the real one with no database: every statement fails DB_DOWN (503).
 *
 * An input is a request in fields (fuzz-mut.h's format, below) and the
 * custom mutator changes one field at a time, a body often as JSON (a key
 * the validators read set to a value of a kind they check), so mutations
 * stay requests. tests/fuzz/route.dict has paths, keys and enum values.
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
#include "router.h"
#include "server.h"
#include "db.h"
#include "password.h"
#include "fuzz-mut.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
size_t	LLVMFuzzerCustomMutator(uint8_t *, size_t, size_t, unsigned int);

/*
 * The input: FUZZ_HDR bytes, then fields, each a 2-byte little-endian
 * length and its bytes (fuzz-mut.h).
 *   hdr[0]	the method (mod HTTP_METHOD_COUNT)
 *   hdr[1]	bits 0-1 the role; 2 a local peer; 3 a session id (the
 *		session's check fails first, DB_DOWN);
 *		4 the content type as given (else the route's own)
 *   hdr[2]	a route of routes[] (its pattern, ids filled in), or at or
 *		past nroutes the path field as given
 *   hdr[3]	two bits per path id: our company, another, a bad one, or
 *		the id field
 */
enum {
	F_PATH,
	F_QUERY,
	F_CTYPE,
	F_BODY,
	F_ID,
	F_IDEMPOTENCY,
	F_AGENT,
	F_INM,
	F_HOOK_ID,
	F_HOOK_TS,
	F_HOOK_SIG,
	F_TWILIO_SIG,
	F__COUNT
};

#define OUR_COMPANY	"11111111-1111-4111-8111-111111111111"
#define OTHER_COMPANY	"22222222-2222-4222-8222-222222222222"
#define OUR_USER	"33333333-3333-4333-8333-333333333333"

/* What the handlers' checks read, and values they tell apart. */
static const char *const keys[] = { "name", "email", "password",
	"current_password", "role", "company_id", "user_id", "agent_id",
	"call_id", "queue_id", "overflow_queue_id", "ivr_flow_id", "state",
	"reason", "disposition", "notes", "priority", "skills", "members",
	"penalty", "strategy", "sl_threshold", "wrap_up", "ring_timeout",
	"max_wait", "overflow", "max_length", "miss_limit", "widen",
	"level_drop", "after", "max_calls", "extension", "timezone", "language",
	"theme", "notifications", "registration_open", "default_language",
	"default_timezone", "sl_target", "url", "events", "enabled", "secret",
	"description", "origins", "account_sid", "auth_token", "caller_name",
	"caller_number", "caller_data", "external_id", "tags", "digits",
	"refresh_token", "company_name", "version", "activate", "min_wait",
	"queue", "event", "data", "id", "type", "status", "format", "key",
	"media", "topics", NULL };
static const char *const strings[] = { "admin", "manager", "agent",
	"available", "away", "offline", "busy", "on_call", "wrap_up",
	"longest_idle", "round_robin", "fewest_calls", "least_talk_time",
	"random", "ring_all", "linear", "queue", "agent", "hangup", "voicemail",
	"call.created", "call.ended", "call.answered", "agent.state_changed",
	"queue.updated", "*", "en", "fr", "zh", "xx", "UTC",
	"Europe/Paris", "America/New_York", "Nowhere/City", "dark", "light",
	"system", "high_contrast", "a@example.com", "not-an-email", "A@B.C",
	"Passw0rd!Passw0rd", "short", "https://example.com",
	"https://example.com:8443", "http://127.0.0.1/hook", "http://[::1]/",
	"https://user@example.com/", "+15550100", "15550100", "voice",
	"video", "screen_share", "sales", "", " ", "null", NULL };

static const struct fuzz_shape shape = { .hdr = 4, .nfields = F__COUNT,
	.body = F_BODY, .sel = 2, .keys = keys, .strings = strings };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*k = "fuzz-secret-fuzz-secret-fuzz-secret-0123";

	config_defaults(&cfg);
	log_init(LOG_ERROR, LOG_TEXT);
	if (utf8_init() != 0 || token_key_init(&tkey, (const unsigned char *)k,
	    strlen(k), cfg.jwt_issuer, cfg.jwt_audience) != 0)
		abort();
	password_init();
	return 0;
}

/* The path of route r with its ids filled in as hdr[3] says. */
static char *
route_path(size_t r, unsigned pick, const struct fuzz_in *in)
{
	const char	*p = routes[r].pattern, *id;
	char		*out, *o;
	size_t		 n = 0;

	/* Each id is at most a UUID or the id field. */
	for (const char *q = p; *q != '\0'; q++)
		n += *q == ':';
	out = o = xmalloc(strlen(p) + n * (UUID_LEN + in->len[F_ID]) + 1);

	while (*p != '\0') {
		if (*p != ':') {
			*o++ = *p++;
			continue;
		}
		p += strcspn(p, "/");
		switch (pick & 3) {
		case 0:
			id = OUR_COMPANY;
			break;
		case 1:
			id = OTHER_COMPANY;
			break;
		case 2:
			id = "11111111-1111-4111-8111-11111111111g";
			break;
		default:
			id = NULL;
		}
		pick >>= 2;
		if (id != NULL) {
			n = strlen(id);
			memcpy(o, id, n);
		} else {
			n = strcspn((const char *)in->f[F_ID], "/");
			n = n < in->len[F_ID] ? n : in->len[F_ID];
			memcpy(o, in->f[F_ID], n);
		}
		o += n;
	}
	*o = '\0';
	return out;
}

static char *
field_str(const struct fuzz_in *in, int i)
{
	char	*s = xmalloc(in->len[i] + 1);

	memcpy(s, in->f[i], in->len[i]);
	s[in->len[i]] = '\0';
	return s;
}

static char *
field_opt(const struct fuzz_in *in, int i)
{
	return in->len[i] == 0 ? NULL : field_str(in, i);
}

/* A problem is JSON with its stable code; a 422 names its fields. */
static void
problem_check(const struct response *resp)
{
	json_t	*o = json_loadb(resp->body, resp->len, 0, NULL);

	if (!json_is_object(o) ||
	    !json_is_string(json_object_get(o, "code")) ||
	    json_integer_value(json_object_get(o, "status")) != resp->status ||
	    (resp->status == 422 &&
	    json_array_size(json_object_get(o, "errors")) == 0)) {
		fprintf(stderr, "fuzz-route: %d %.*s\n", resp->status,
		    (int)resp->len, resp->body);
		abort();
	}
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct db	 db;
	struct fuzz_in		 in;
	struct request		*req;
	struct response		 resp;
	struct hctx		 h;
	char			 allow[64], *body, *ctype;
	const struct route	*r;

	fuzz_in_parse(&shape, data, size, &in);
	/* The real database layer, never connecting: DB_DOWN at once. */
	db_init(&db, NULL);
	db.retry_at = (time_t)INT_MAX;

	req = xcalloc(1, sizeof *req);
	memset(&resp, 0, sizeof resp);
	req->method = (enum http_method)(in.hdr[0] % HTTP_METHOD_COUNT);
	if (in.hdr[2] < nroutes)
		req->path = route_path(in.hdr[2], in.hdr[3], &in);
	else
		req->path = field_str(&in, F_PATH);
	req->query = field_opt(&in, F_QUERY);
	req->idempotency_key = field_opt(&in, F_IDEMPOTENCY);
	req->user_agent = field_opt(&in, F_AGENT);
	req->if_none_match = field_opt(&in, F_INM);
	strlcpy_(req->client_ip, "192.0.2.1", sizeof req->client_ip);

	req->who.role = (enum role)(in.hdr[1] & 3);
	req->who.local = (in.hdr[1] & 4) != 0;
	if (in.hdr[1] & 8)	/* a token's session: looked up first */
		strlcpy_(req->who.sid, OUR_USER, sizeof req->who.sid);
	if (req->who.role != ROLE_NONE) {
		strlcpy_(req->who.user_id, OUR_USER, sizeof req->who.user_id);
		if (req->who.role != ROLE_ADMIN)
			strlcpy_(req->who.company_id, OUR_COMPANY,
			    sizeof req->who.company_id);
	}

	switch (router_match(req, allow, sizeof allow)) {
	case MATCH_OK:
		break;
	case MATCH_BAD_METHOD:
		if (allow[0] == '\0')
			abort();	/* a 405 names what is allowed */
		goto out;
	default:
		goto out;
	}
	r = req->route;
	if (r->method != req->method && !(req->method == HTTP_HEAD &&
	    r->method == HTTP_GET))
		abort();
	if (router_authorize(req, &resp) != 0) {
		if (resp.status < 400)
			abort();
		goto out;
	}
	/* A company's route past authorization: the caller's own company. */
	if ((r->flags & ROUTE_COMPANY_PARAM) && req->who.role != ROLE_ADMIN &&
	    r->min_role != ROLE_NONE &&
	    strcmp(req->params[0], req->who.company_id) != 0)
		abort();

	if (r->flags & ROUTE_SIGNED) {
		req->hook_id = field_opt(&in, F_HOOK_ID);
		req->hook_timestamp = field_opt(&in, F_HOOK_TS);
		req->hook_signature = field_opt(&in, F_HOOK_SIG);
		req->twilio_signature = field_opt(&in, F_TWILIO_SIG);
	}
	/* The body as server.c holds it: with room for a NUL. */
	body = xmalloc(in.len[F_BODY] + 1);
	memcpy(body, in.f[F_BODY], in.len[F_BODY]);
	if (in.hdr[1] & 0x10)
		ctype = field_opt(&in, F_CTYPE);
	else
		ctype = xstrdup(r->flags & ROUTE_FORM ?
		    "application/x-www-form-urlencoded" :
		    r->flags & ROUTE_YAML && in.len[F_CTYPE] & 1 ?
		    "application/yaml" : "application/json");
	if (r->flags & ROUTE_RAW) {
		/* Uploads: the sniffer and the store, not here (fuzz-sniff). */
		free(body);
		free(ctype);
		goto out;
	}
	if ((r->flags & ROUTE_BODY) || ((r->flags & ROUTE_BODY_OPT) &&
	    in.len[F_BODY] > 0)) {
		if (server_parse_body(&body, in.len[F_BODY], req, &resp,
		    ctype) != 0) {
			if (resp.status != 400 && resp.status != 415)
				abort();
			free(body);
			free(ctype);
			goto out;
		}
		if (req->body != NULL && !json_is_object(req->body))
			abort();
	}
	free(body);
	free(ctype);
	if (r->flags & ROUTE_STREAM)
		goto out;	/* needs the loop's stream */

	h.req = req;
	h.resp = &resp;
	h.db = (r->flags & ROUTE_INLINE) ? NULL : &db;
	if (r->flags & ROUTE_INLINE)
		r->handler(&h);
	else
		router_run(&h);
	/* Every request is answered, and errors as problem+json. */
	if (resp.status < 100 || resp.status > 599)
		abort();
	if (resp.status >= 400 && (resp.content_type == NULL ||
	    strcmp(resp.content_type, "application/problem+json") != 0))
		abort();
	if (resp.status >= 400)
		problem_check(&resp);
out:
	response_reset(&resp);
	request_free(req);
	db_close(&db);
	return 0;
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
    unsigned int seed)
{
	return fuzz_mutate(&shape, data, size, max, seed, nroutes);
}

/*
 * The HTTP front end. The loop parses requests, buffers bodies up to
 * max_body_bytes, authenticates, rate-limits and routes them, answers the
 * cheap ones itself and hands the rest to the worker pool; finished jobs
 * come back through LWS_CALLBACK_EVENT_WAIT_CANCELLED and are written when
 * the socket is writable. Nothing here blocks. A ROUTE_STREAM job may
 * instead open a stream (stream.c) and send its body while it runs: the
 * loop writes it chunk by chunk (chunked_more) as the worker hands it over.
 * Below this, netconn.c accepts the connections, refuses malformed request
 * heads before lws parses them, times each phase and lingers on close.
 *
 * libwebsockets 4.1.6 mishandles a request with a body that follows another
 * request in one pipelined batch, and anything it has read behind a body
 * before that body's answer: it spins at 100% CPU for good (PITFALLS.md)
 * or hands the request's own header bytes over as its body (always
 * malformed JSON, so 400). netconn.c sees every byte before lws does and
 * says which answer must then be the last (netconn_keep_alive(), checked
 * before each answer and again when it is out): the connection closes
 * before lws parses what follows. A client that waits for each answer
 * before it sends the next request keeps its connection, bodies or not. A
 * request answered before its body was read (401, 413, ...) still closes.
 * tests/t0170-pipelining.bats sends such batches in one write and in
 * several, and shows each answered or closed while other clients are
 * served, and bodies on one connection kept alive.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "xmalloc.h"
#include "form.h"
#include "log.h"
#include "ratelimit.h"
#include "daemon.h"
#include "router.h"
#include "worker.h"
#include "metrics.h"
#include "revoke.h"
#include "tcache.h"
#include "server.h"
#include "ws.h"
#include "storage.h"
#include "stream.h"
#include "netconn.h"
#include "headcheck.h"
#include "tls.h"

/* One request in progress on a connection. */
struct exchange {
	struct job			*job;
	char				*body;
	size_t				 len, cap;
	int				 expect_body;
	int				 in_worker;
	int				 close_after;
	int				 streaming;	/* body being written */
	size_t				 sent;		/* of the body */
	int				 have_rl;
	struct ratelimit_result		 rl;
	struct lws			*wsi;
	int				 chunked;	/* stream.c: headers sent */
	size_t				 streamed;	/* stream.c: body bytes */
	struct exchange			*snext, **sprev;	/* streams */
};

/* lws frees and re-zeroes this between keep-alive requests. */
struct pss {
	struct exchange	*x;
};

/* Workers password hashing may hold at once: about one per core. */
#define SLOW_WORKERS	2
/* Workers WebSocket lookups (ids, snapshots) may hold at once. */
#define WS_WORKERS	2

time_t				 server_started;
static char			 started_str[32];

static struct lws_context	*context;
static struct ratelimit		*rl_ip, *rl_token;
static int			 draining;
static int			 inflight;
/* Exchanges whose job has a stream (stream.c): woken on each hand-off. */
static struct exchange		*streams;

static int	http_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct pss), 0, 0, NULL, 0 },
	{ WS_PROTOCOL, ws_callback, WS_PSS_SIZE, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct exchange *
exchange_new(struct lws *wsi)
{
	struct exchange	*x = xcalloc(1, sizeof *x);

	x->job = xcalloc(1, sizeof *x->job);
	x->job->wsi = wsi;
	x->job->req = xcalloc(1, sizeof *x->job->req);
	x->job->started = now_mono();
	x->wsi = wsi;
	return x;
}

/* Free the exchange; a job still in a worker is orphaned, freed on return
 * (and told to stop if it streams). */
static void
exchange_free(struct exchange *x)
{
	if (x == NULL)
		return;
	if (x->sprev != NULL) {
		if ((*x->sprev = x->snext) != NULL)
			x->snext->sprev = x->sprev;
	}
	if (x->in_worker && !x->job->done) {
		x->job->wsi = NULL;
		__atomic_store_n(&x->job->gone, 1, __ATOMIC_RELEASE);
		if (x->job->req->stream != NULL)
			stream_cancel(x->job->req->stream);
	} else {
		/* Back from the worker (a stream may still have had chunks
		 * to write): nobody else will free it. */
		if (x->in_worker)
			inflight--;
		job_free(x->job);
	}
	free(x->body);
	free(x);
}

static char *
header(struct lws *wsi, enum lws_token_indexes tok)
{
	int	 len = lws_hdr_total_length(wsi, tok);
	char	*s;

	if (len <= 0)
		return NULL;
	s = xmalloc((size_t)len + 1);
	if (lws_hdr_copy(wsi, s, len + 1, tok) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static char *
custom_header(struct lws *wsi, const char *name)
{
	int	 nlen = (int)strlen(name);
	int	 len = lws_hdr_custom_length(wsi, name, nlen);
	char	*s;

	if (len <= 0)
		return NULL;
	s = xmalloc((size_t)len + 1);
	if (lws_hdr_custom_copy(wsi, s, len + 1, name, nlen) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static const struct {
	enum lws_token_indexes	 tok;
	enum http_method	 method;
} method_tokens[] = {
	{ WSI_TOKEN_GET_URI, HTTP_GET },
	{ WSI_TOKEN_POST_URI, HTTP_POST },
	{ WSI_TOKEN_PUT_URI, HTTP_PUT },
	{ WSI_TOKEN_PATCH_URI, HTTP_PATCH },
	{ WSI_TOKEN_DELETE_URI, HTTP_DELETE },
	{ WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS },
	{ WSI_TOKEN_HEAD_URI, HTTP_HEAD },
};

/*
 * lws has already percent-decoded each "k=v" fragment; re-encode the three
 * characters that query_get() would misread so values come back exact.
 * headcheck.c refuses request lines over HC_MAX_LINE: a fragment fits.
 */
static char *
query_rebuild(struct lws *wsi)
{
	char	 frag[HC_MAX_LINE + 1], *q = NULL;
	size_t	 len = 0;

	for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag,
	    WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
		q = xrealloc(q, len + strlen(frag) * 3 + 2);
		if (len > 0)
			q[len++] = '&';
		for (char *p = frag; *p != '\0'; p++) {
			if (*p == '%' || *p == '&' || *p == '+') {
				len += (size_t)sprintf(q + len, "%%%02X",
				    (unsigned char)*p);
			} else
				q[len++] = *p;
		}
		q[len] = '\0';
	}
	return q;
}

/*
 * Bodies larger than this (file downloads) go out STREAM_CHUNK bytes per
 * writable callback, from the response's own buffer: never copied whole
 * into a second one, nor buffered whole inside lws.
 */
#define STREAM_MIN	(256 * 1024)

/*
 * The headers every response carries. clen is the body's length, or -1
 * for a chunked body (stream.c).
 */
static int
add_headers(struct lws *wsi, struct exchange *x, struct response *r,
    long long clen, int close_after, unsigned char **pp, unsigned char *end)
{
	unsigned char	*p = *pp;
	char		 num[32];

	if (lws_add_http_header_status(wsi, (unsigned)r->status, &p, end))
		return -1;
	if (r->content_type != NULL && lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)r->content_type,
	    (int)strlen(r->content_type), &p, end))
		return -1;
	if (clen >= 0 && lws_add_http_header_content_length(wsi,
	    (lws_filepos_t)clen, &p, end))
		return -1;
#define HDR(name, val) do {						\
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, \
	    (const unsigned char *)(val), (int)strlen(val), &p, end))	\
		return -1;						\
} while (0)
	if (clen < 0)
		HDR("transfer-encoding:", "chunked");
	HDR("cache-control:", "no-store");
	if (r->location != NULL)
		HDR("location:", r->location);
	if (r->etag != NULL)
		HDR("etag:", r->etag);
	if (r->allow[0] != '\0')
		HDR("allow:", r->allow);
	if (r->retry_after > 0) {
		snprintf(num, sizeof num, "%d", r->retry_after);
		HDR("retry-after:", num);
	}
	if (r->has_offset) {
		snprintf(num, sizeof num, "%lld", r->upload_offset);
		HDR("upload-offset:", num);
	}
	if (r->upload_complete != NULL)
		HDR("upload-complete:", r->upload_complete);
	if (x->have_rl) {
		snprintf(num, sizeof num, "%d", x->rl.limit);
		HDR("ratelimit-limit:", num);
		snprintf(num, sizeof num, "%d", x->rl.remaining);
		HDR("ratelimit-remaining:", num);
		snprintf(num, sizeof num, "%d", x->rl.reset);
		HDR("ratelimit-reset:", num);
	}
	if (close_after)
		HDR("connection:", "close");
#undef HDR
	if (lws_finalize_http_header(wsi, &p, end))
		return -1;
	*pp = p;
	return 0;
}

/*
 * Write the response: small ones in one lws_write, large bodies streamed
 * (see stream_more). 0 keep-alive, -1 close, 1 streaming.
 */
static int
respond(struct lws *wsi, struct exchange *x)
{
	struct job	*job = x->job;
	struct response	*r = &job->resp;
	unsigned char	*buf, *start, *p, *end;
	size_t		 hdrspace = 1024 + (r->location ? strlen(r->location) : 0) +
			    (r->etag ? strlen(r->etag) : 0);
	int		 close_after = x->close_after || draining ||
			    !netconn_keep_alive(wsi);
	int		 stream = r->len > STREAM_MIN &&
			    job->req->method != HTTP_HEAD;

	buf = xmalloc(LWS_PRE + hdrspace + (stream ? 0 : r->len));
	start = p = buf + LWS_PRE;
	end = start + hdrspace;

	if (add_headers(wsi, x, r, (long long)r->len, close_after, &p, end))
		goto fail;
	if (stream) {
		metrics_request(job->req->route ? router_index(job->req->route) :
		    nroutes, r->status, now_mono() - job->started);
		if (lws_write(wsi, start, (size_t)(p - start),
		    LWS_WRITE_HTTP_HEADERS) != (int)(p - start)) {
			free(buf);
			return -1;
		}
		free(buf);
		x->close_after = close_after;
		x->streaming = 1;
		x->sent = 0;
		lws_callback_on_writable(wsi);
		return 1;
	}
	if (r->len > 0 && job->req->method != HTTP_HEAD) {
		memcpy(p, r->body, r->len);
		p += r->len;
	}
	metrics_request(job->req->route ? router_index(job->req->route) :
	    nroutes, r->status, now_mono() - job->started);
	if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL) !=
	    (int)(p - start))
		close_after = 1;
	free(buf);
	return close_after ? -1 : 0;
fail:
	free(buf);
	log_error("server: response headers too large");
	return -1;
}

/* A response is out and the connection stays open for the next request. */
static int
completed(struct lws *wsi)
{
	if (netconn_request_done(wsi) != 0)
		return -1;
	return netconn_transaction_completed(wsi);
}

/* Answer now, on the loop; returns what the callback should return. */
static int
finish(struct lws *wsi, struct pss *pss)
{
	struct exchange	*x = pss->x;
	int		 rc;

	rc = respond(wsi, x);
	if (rc == 1)
		return 0;
	pss->x = NULL;
	exchange_free(x);
	if (rc != 0)
		return -1;
	return completed(wsi);
}

/* The next chunk of a streamed body; the last completes the exchange. */
static int
stream_more(struct lws *wsi, struct pss *pss)
{
	static unsigned char	 buf[LWS_PRE + STREAM_CHUNK];	/* loop only */
	struct exchange		*x = pss->x;
	struct response		*r = &x->job->resp;
	size_t			 n = r->len - x->sent;
	int			 last, close_after = x->close_after;

	if (n > STREAM_CHUNK)
		n = STREAM_CHUNK;
	last = x->sent + n == r->len;
	memcpy(buf + LWS_PRE, r->body + x->sent, n);
	if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP) != (int)n)
		return -1;
	x->sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	pss->x = NULL;
	exchange_free(x);
	if (close_after)
		return -1;
	return completed(wsi);
}

/*
 * A streamed job (stream.c) on a writable callback: headers once the
 * handler has opened its stream, then one chunk per callback, then the
 * terminating zero-length chunk once the job is back. A handler that knew
 * the length (resp.sized, resp.len) gets Content-Length and its bytes as
 * they are; sending other than that many closes the connection. A handler
 * that answered without opening the stream is answered as any other job.
 */
static int
chunked_more(struct lws *wsi, struct pss *pss)
{
	static const char	 last[] = "0\r\n\r\n";
	unsigned char		 tail[LWS_PRE + sizeof last];
	struct exchange		*x = pss->x;
	struct job		*job = x->job;
	struct stream		*st = job->req->stream;
	struct stream_chunk	*c;
	unsigned char		*buf, *p, *start;
	char			 hex[STREAM_HEAD];
	int			 head = job->req->method == HTTP_HEAD, n, failed;
	int			 close_after, sized;

	if (!x->chunked) {
		if (!stream_is_open(st)) {
			if (!job->done)
				return 0;
			x->in_worker = 0;
			inflight--;
			return finish(wsi, pss);
		}
		x->close_after = x->close_after || draining ||
		    !netconn_keep_alive(wsi);
		buf = xmalloc(LWS_PRE + 1024);
		start = p = buf + LWS_PRE;
		if (add_headers(wsi, x, &job->resp, job->resp.sized ?
		    (long long)job->resp.len : -1, x->close_after, &p,
		    start + 1024) != 0 || lws_write(wsi, start,
		    (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) != p - start) {
			free(buf);
			return -1;
		}
		free(buf);
		metrics_request(router_index(job->req->route), job->resp.status,
		    now_mono() - job->started);
		x->chunked = 1;
	}
	if ((c = stream_pop(st)) != NULL) {
		x->streamed += c->len;
		if (job->resp.sized) {
			start = CHUNK_DATA(c);
			n = (int)c->len;
		} else {
			n = snprintf(hex, sizeof hex, "%zx\r\n", c->len);
			start = CHUNK_DATA(c) - n;
			memcpy(start, hex, (size_t)n);
			memcpy(CHUNK_DATA(c) + c->len, "\r\n", 2);
			n += (int)c->len + 2;
		}
		if (!head && lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP) !=
		    n) {
			free(c);
			return -1;
		}
		free(c);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!job->done)
		return 0;	/* the worker wakes us with the next chunk */
	failed = stream_failed(st) || (job->resp.sized &&
	    x->streamed != job->resp.len);
	sized = job->resp.sized;
	close_after = x->close_after;
	x->in_worker = 0;
	inflight--;
	pss->x = NULL;
	exchange_free(x);
	if (failed)
		return -1;	/* no last chunk: the client sees a truncation */
	if (!head && !sized) {
		memcpy(tail + LWS_PRE, last, sizeof last - 1);
		if (lws_write(wsi, tail + LWS_PRE, sizeof last - 1,
		    LWS_WRITE_HTTP_FINAL) != (int)sizeof last - 1)
			return -1;
	}
	if (close_after)
		return -1;
	return completed(wsi);
}

/* Resolve who is asking: a bearer token, or a trusted Unix-socket peer. */
static int
authenticate(struct lws *wsi, struct request *req, struct response *resp,
    const char *authz)
{
	struct token_claims	 c;
	enum token_error	 e;

	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return resp_problem(resp, 401, "unauthorized",
			    "the authorization header must be \"Bearer TOKEN\"");
		e = tcache_verify(&tkey, authz + 7, time(NULL), 30, &c);
		if (e != TOKEN_OK)
			return resp_problem(resp, 401, "unauthorized",
			    "%s", token_strerror(e));
		if (revoke_check(c.sid, time(NULL)))
			return resp_problem(resp, 401, "unauthorized",
			    "this session has ended; sign in again");
		if (role_parse(c.role, &req->who.role) != 0)
			return resp_problem(resp, 401, "unauthorized",
			    "the token names an unknown role");
		strlcpy_(req->who.user_id, c.sub, sizeof req->who.user_id);
		strlcpy_(req->who.company_id, c.company,
		    sizeof req->who.company_id);
		strlcpy_(req->who.sid, c.sid, sizeof req->who.sid);
		strlcpy_(req->who.jti, c.jti, sizeof req->who.jti);
		return 0;
	}
	if (netconn_is_unix(wsi)) {
		struct ucred	 cred;
		socklen_t	 len = sizeof cred;
		int		 fd = lws_get_socket_fd(wsi);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		    (cred.uid == 0 || cred.uid == geteuid())) {
			req->who.role = ROLE_ADMIN;
			req->who.local = 1;
		}
	}
	return 0;
}

static int
rate_limit(struct exchange *x, struct request *req, struct response *resp)
{
	struct ratelimit_result	 r;
	double			 now = now_mono();

	if (req->who.local || (req->route->flags & ROUTE_NO_RATELIMIT))
		return 0;
	ratelimit_take(rl_ip, req->client_ip, now, 1, &x->rl);
	x->have_rl = 1;
	if (x->rl.allowed && req->who.sid[0] != '\0') {
		ratelimit_take(rl_token, req->who.sid, now, 1, &r);
		if (!r.allowed || r.remaining < x->rl.remaining)
			x->rl = r;
	}
	if (!x->rl.allowed) {
		resp->retry_after = x->rl.retry_after;
		return resp_problem(resp, 429, "rate_limited",
		    "too many requests; retry in %d seconds", x->rl.retry_after);
	}
	return 0;
}

/* Is ctype this media type, with or without parameters? */
static int
media_is(const char *ctype, const char *type)
{
	size_t	 n = strlen(type);

	return strncasecmp(ctype, type, n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* A form body (ROUTE_FORM): fields in req->form, the bytes in req->raw. */
static int
parse_form(char **body, size_t len, struct request *req,
    struct response *resp, const char *ctype)
{
	char	*cause = NULL;

	if (len > 0 && (ctype == NULL ||
	    !media_is(ctype, "application/x-www-form-urlencoded")))
		return resp_problem(resp, 415, "unsupported_media_type",
		    "the request body must be application/x-www-form-urlencoded");
	req->form = xcalloc(1, sizeof *req->form);
	if (form_parse(*body != NULL ? *body : "", len, req->form,
	    &cause) != 0) {
		resp_problem(resp, 400, "bad_request", "%s", cause);
		free(cause);
		return -1;
	}
	if (*body != NULL)
		(*body)[len] = '\0';
	req->raw = *body;
	req->rawlen = len;
	*body = NULL;
	return 0;
}

int
server_parse_body(char **body, size_t len, struct request *req,
    struct response *resp, const char *ctype)
{
	json_error_t	 err;

	if (req->route->flags & ROUTE_FORM)
		return parse_form(body, len, req, resp, ctype);
	if (len == 0)
		return resp_problem(resp, 400, "bad_request",
		    "a JSON object is required as the request body");
	if ((req->route->flags & ROUTE_YAML) && ctype != NULL &&
	    (media_is(ctype, "application/yaml") ||
	    media_is(ctype, "application/x-yaml") ||
	    media_is(ctype, "text/yaml"))) {
		req->raw = *body;
		req->rawlen = len;
		*body = NULL;
		return 0;
	}
	if (ctype == NULL || !media_is(ctype, "application/json"))
		return resp_problem(resp, 415, "unsupported_media_type",
		    "the request body must be application/json%s",
		    req->route->flags & ROUTE_YAML ? " or application/yaml" : "");
	req->body = json_loadb(*body, len, JSON_REJECT_DUPLICATES, &err);
	if (req->body == NULL)
		return resp_problem(resp, 400, "bad_request",
		    "malformed JSON at line %d, column %d: %s", err.line,
		    err.column, err.text);
	if (!json_is_object(req->body))
		return resp_problem(resp, 400, "bad_request",
		    "the request body must be a JSON object");
	if (req->route->flags & ROUTE_SIGNED) {
		/* The signature covers these exact bytes. */
		(*body)[len] = '\0';
		req->raw = *body;
		req->rawlen = len;
		*body = NULL;
	}
	return 0;
}

/* Everything between a complete request and its handler. */
static int
dispatch(struct lws *wsi, struct pss *pss)
{
	struct exchange	*x = pss->x;
	struct request	*req = x->job->req;
	struct response	*resp = &x->job->resp;
	char		 allow[64], *authz = NULL, *ctype = NULL;
	enum route_match m;

	if (draining) {
		resp_problem(resp, 503, "unavailable", "the server is shutting down");
		goto now;
	}
	m = router_match(req, allow, sizeof allow);
	if (m == MATCH_NOT_FOUND) {
		resp_problem(resp, 404, "not_found", "no such resource");
		goto now;
	}
	/* Node to node: over the nodes' TCP listener only. */
	if (m == MATCH_OK && (req->route->flags & ROUTE_INTERNAL) &&
	    netconn_is_unix(wsi)) {
		resp_problem(resp, 404, "not_found", "no such resource");
		goto now;
	}
	if (m == MATCH_BAD_METHOD) {
		resp_problem(resp, 405, "method_not_allowed",
		    "%s is not allowed here", http_method_name(req->method));
		strlcpy_(resp->allow, allow, sizeof resp->allow);
		goto now;
	}
	authz = netconn_authorization(wsi,
	    header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
	if (authenticate(wsi, req, resp, authz) != 0)
		goto now;
	if (rate_limit(x, req, resp) != 0)
		goto now;
	if (router_authorize(req, resp) != 0)
		goto now;
	if (req->route->flags & ROUTE_INTERNAL) {
		req->hook_id = custom_header(wsi, "x-calldocker-node:");
		req->hook_timestamp = custom_header(wsi, "x-calldocker-date:");
		req->hook_signature = custom_header(wsi,
		    "x-calldocker-signature:");
	} else if (req->route->flags & ROUTE_SIGNED) {
		req->hook_id = custom_header(wsi, "webhook-id:");
		req->hook_timestamp = custom_header(wsi, "webhook-timestamp:");
		req->hook_signature = custom_header(wsi, "webhook-signature:");
		req->twilio_signature = custom_header(wsi, "x-twilio-signature:");
	}
	if (req->route->flags & ROUTE_RAW) {
		if (x->len == 0 && !(req->route->flags & ROUTE_RAW_EMPTY)) {
			resp_problem(resp, 400, "bad_request",
			    "the file is required as the request body");
			goto now;
		}
		/* The buffer moves to the request: one copy of an upload. */
		req->content_type = header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
		req->raw = x->body;
		req->rawlen = x->len;
		x->body = NULL;
		req->upload_offset = custom_header(wsi, "upload-offset:");
		req->upload_complete = custom_header(wsi, "upload-complete:");
		req->rec_duration = custom_header(wsi, "recording-duration:");
		req->rec_channels = custom_header(wsi, "recording-channels:");
	} else if ((req->route->flags & ROUTE_BODY) ||
	    ((req->route->flags & ROUTE_BODY_OPT) && x->len > 0)) {
		ctype = header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
		if (server_parse_body(&x->body, x->len, req, resp, ctype) != 0)
			goto now;
	}
	free(authz);
	free(ctype);
	free(x->body);
	x->body = NULL;
	if (req->route->flags & ROUTE_INLINE) {
		struct hctx h = { req, resp, NULL };
		req->route->handler(&h);
		return finish(wsi, pss);
	}
	x->in_worker = 1;
	inflight++;
	if (req->route->flags & ROUTE_STREAM) {
		req->stream = stream_new();
		if ((x->snext = streams) != NULL)
			streams->sprev = &x->snext;
		x->sprev = &streams;
		streams = x;
	}
	worker_submit(x->job, req->route->flags & ROUTE_STREAM ? JOB_STREAM :
	    req->route->flags & ROUTE_SLOW ? JOB_SLOW :
	    req->route->flags & ROUTE_INTERNAL ? JOB_PEER : JOB_FAST);
	return 0;
now:
	free(authz);
	free(ctype);
	return finish(wsi, pss);
}

/*
 * The body is welcome: answer "Expect: 100-continue" (curl sends it for
 * bodies over 1 MiB and otherwise waits a second). Refusals (413, 401,
 * 403) are answered before this, so such a client never sends the body.
 */
static void
expect_continue(struct lws *wsi)
{
	static const char	 cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	unsigned char		 buf[LWS_PRE + sizeof cont];
	char			*s = header(wsi, WSI_TOKEN_HTTP_EXPECT);

	if (s != NULL && strcasecmp(s, "100-continue") == 0) {
		memcpy(buf + LWS_PRE, cont, sizeof cont - 1);
		lws_write(wsi, buf + LWS_PRE, sizeof cont - 1, LWS_WRITE_HTTP);
	}
	free(s);
}

/*
 * An upload route (ROUTE_RAW) takes bodies up to max_upload_bytes, and
 * only from a caller allowed to use it: authenticate and authorize before
 * buffering, so nobody anonymous makes us hold a large body. dispatch()
 * checks again; both are cheap. -1 with the response filled.
 */
static int
raw_route(struct lws *wsi, struct exchange *x, size_t *limit)
{
	struct request	*req = x->job->req;
	struct response	*resp = &x->job->resp;
	char		 allow[64], *authz;
	int		 rc;

	if (router_match(req, allow, sizeof allow) != MATCH_OK ||
	    !(req->route->flags & ROUTE_RAW))
		return 0;
	authz = netconn_authorization(wsi,
	    header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
	rc = authenticate(wsi, req, resp, authz);
	free(authz);
	if (rc == 0)
		rc = router_authorize(req, resp);
	if (rc == 0)
		*limit = cfg.max_upload;
	return rc;
}

/* A new request: method, path, query, headers that matter, body plans. */
static int
request_start(struct lws *wsi, struct pss *pss, const char *uri)
{
	struct exchange	*x;
	struct request	*req;
	char		*s;
	long long	 clen = 0;
	size_t		 i;

	x = pss->x = exchange_new(wsi);
	req = x->job->req;
	for (i = 0; i < sizeof method_tokens / sizeof method_tokens[0]; i++) {
		if (lws_hdr_total_length(wsi, method_tokens[i].tok) > 0)
			break;
	}
	if (i == sizeof method_tokens / sizeof method_tokens[0]) {
		resp_problem(&x->job->resp, 405, "method_not_allowed",
		    "unsupported method");
		x->close_after = 1;
		return finish(wsi, pss);
	}
	req->method = method_tokens[i].method;
	req->path = xstrdup(uri);
	req->query = query_rebuild(wsi);
	req->user_agent = header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
	req->idempotency_key = custom_header(wsi, "idempotency-key:");
	if (netconn_is_unix(wsi))
		strlcpy_(req->client_ip, "unix", sizeof req->client_ip);
	else
		netconn_client(wsi, req->client_ip, sizeof req->client_ip);

	if ((s = header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) != NULL) {
		free(s);
		x->close_after = 1;
		resp_problem(&x->job->resp, 411, "length_required",
		    "chunked request bodies are not accepted; send Content-Length");
		return finish(wsi, pss);
	}
	if ((s = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH)) != NULL) {
		clen = strtoll(s, NULL, 10);
		free(s);
	}
	req->if_none_match = header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	if (clen > 0) {
		size_t	 limit = cfg.max_body;

		x->expect_body = 1;
		/* Answered before the whole body is read: close. */
		x->close_after = 1;
		if (raw_route(wsi, x, &limit) != 0)
			return finish(wsi, pss);
		if ((size_t)clen > limit) {
			resp_problem(&x->job->resp, 413, "payload_too_large",
			    "the request body is larger than %zu bytes", limit);
			return finish(wsi, pss);
		}
		x->cap = (size_t)clen;
		x->body = xmalloc(x->cap + 1);
		expect_continue(wsi);
		return 0;
	}
	return dispatch(wsi, pss);
}

static int
body_append(struct lws *wsi, struct pss *pss, const void *in, size_t len)
{
	struct exchange	*x = pss->x;

	if (x == NULL || !x->expect_body)
		return 0;
	if (x->len + len > x->cap) {
		resp_problem(&x->job->resp, 413, "payload_too_large",
		    "the request body is longer than its Content-Length");
		x->expect_body = 0;
		return finish(wsi, pss);
	}
	memcpy(x->body + x->len, in, len);
	x->len += len;
	return 0;
}

/* Finished jobs come back: ask for a writable callback on each. */
static void
collect_done(void)
{
	struct job	*job, *next;

	for (job = worker_take_done(); job != NULL; job = next) {
		next = job->next;
		if (job->wsi == NULL) {
			inflight--;
			job_free(job);
		} else {
			job->done = 1;
			netconn_writable_now(job->wsi);
		}
	}
	/* A stream may have opened or queued a chunk. */
	for (struct exchange *x = streams; x != NULL; x = x->snext)
		lws_callback_on_writable(x->wsi);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss	*pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return ws_confirm_upgrade(wsi, in);
	case LWS_CALLBACK_HTTP:
		if (pss->x != NULL)	/* a previous exchange never finished */
			return -1;
		return request_start(wsi, pss, in);
	case LWS_CALLBACK_HTTP_BODY:
		return body_append(wsi, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		/* May come twice (PITFALLS.md): only the first counts. */
		if (pss->x == NULL || !pss->x->expect_body)
			return 0;
		pss->x->expect_body = 0;
		if (pss->x->len != pss->x->cap) {
			resp_problem(&pss->x->job->resp, 400, "bad_request",
			    "the request body is shorter than its Content-Length");
			return finish(wsi, pss);
		}
		pss->x->close_after = 0;	/* read whole: keep-alive */
		return dispatch(wsi, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss->x != NULL && pss->x->streaming)
			return stream_more(wsi, pss);
		if (pss->x != NULL && pss->x->in_worker &&
		    pss->x->job->req->stream != NULL)
			return chunked_more(wsi, pss);
		if (pss->x == NULL || !pss->x->in_worker || !pss->x->job->done)
			return 0;
		pss->x->in_worker = 0;
		inflight--;
		return finish(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		netconn_closing(wsi);
		if (pss != NULL && pss->x != NULL) {
			exchange_free(pss->x);
			pss->x = NULL;
		}
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		/* For WebSockets too: lws tells protocols[0]. */
		netconn_destroyed(wsi);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		collect_done();
		break;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* The TCP vhost's SSL_CTX, once, when TLS is on. */
		tls_ctx_ready(user);
		break;
	default:
		break;
	}
	return 0;
}

static int
make_socket_dir(const char *path, char **cause)
{
	char	*copy = xstrdup(path), *dir = dirname(copy);

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create \"%s\": %s", dir,
		    strerror(errno));
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

/*
 * No lws "validity" timers (by default a ping after 300 s idle, a hangup
 * at 310 s): ws.c does heartbeats itself, keepalive_timeout ends idle HTTP.
 * lws 4.1 keeps timers in one sorted list, so each socket's timer, re-armed
 * at every frame it receives, made every other insertion (each request's
 * timeouts, each adopted socket's read) walk past 10,000 of them: with
 * 10,000 WebSockets open, 45% of the daemon's CPU under GET load.
 */
static const lws_retry_bo_t	 no_validity = {
	.secs_since_valid_ping = 0,
	.secs_since_valid_hangup = 0,
};

int
server_start(struct ev_loop *loop, char **cause)
{
	struct lws_context_creation_info	 info;
	void					*loops[1] = { loop };
	struct lws_vhost			*vh;
	char					 host[256];
	int					 port;

	server_started = time(NULL);
	strftime(started_str, sizeof started_str, "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&server_started));
	if (netconn_init(loop, cause) != 0 || tls_init(cause) != 0)
		return -1;
	lws_set_log_level(getenv("LWSDEBUG") ? 0xff : (LLL_ERR | LLL_WARN), NULL);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	tls_context_info(&info);
	/* Room beyond headcheck.c's limits, so that they answer first. */
	info.max_http_header_data = HC_MAX_LINE + HC_MAX_FIELDS_BYTES + 8192;
	/*
	 * lws's own timeouts are backstops only: netconn.c times heads,
	 * bodies and idle connections, and answers 408 where one is due.
	 */
	info.timeout_secs = (unsigned)(cfg.http_body_timeout + 10);
	if (info.timeout_secs < 30)
		info.timeout_secs = 30;
	context = lws_create_context(&info);
	if (context == NULL) {
		*cause = xstrdup("cannot create the libwebsockets context");
		return -1;
	}

	/* The sockets are netconn.c's; lws serves what it accepts. */
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	info.keepalive_timeout = cfg.http_keepalive_timeout + 10;
	info.timeout_secs_ah_idle = (unsigned)cfg.http_header_timeout + 10;
	info.retry_and_idle_policy = &no_validity;
	if (cfg.listen[0] != '\0') {
		if (config_listen_split(cfg.listen, host, sizeof host,
		    &port) != 0) {
			*cause = xasprintf("bad listen address \"%s\"", cfg.listen);
			return -1;
		}
		info.vhost_name = "tcp";
		tls_vhost_info(&info);
		if ((vh = lws_create_vhost(context, &info)) == NULL ||
		    netconn_listen_tcp(host, port, tls_enabled(), vh,
		    cause) != 0) {
			if (vh == NULL)
				*cause = xasprintf("cannot listen on \"%s\"%s",
				    cfg.listen, tls_enabled() ? " with TLS" : "");
			return -1;
		}
		log_info("listening on %s://%s", tls_enabled() ? "https" :
		    "http", cfg.listen);
	}
	if (cfg.socket_path[0] != '\0') {
		if (make_socket_dir(cfg.socket_path, cause) != 0)
			return -1;
		/* The Unix socket stays plain. */
		info.options = 0;
		info.ssl_cert_filepath = info.ssl_private_key_filepath = NULL;
		info.ssl_cipher_list = info.tls1_3_plus_cipher_list = NULL;
		info.ssl_options_set = info.ssl_options_clear = 0;
		info.alpn = NULL;
		info.vhost_name = "unix";
		if ((vh = lws_create_vhost(context, &info)) == NULL) {
			*cause = xasprintf("cannot listen on \"%s\"",
			    cfg.socket_path);
			return -1;
		}
		/* Anyone may connect; without a token only root or our uid is admin. */
		if (netconn_listen_unix(cfg.socket_path, vh, cause) != 0)
			return -1;
		log_info("listening on unix:%s", cfg.socket_path);
	}
	if (storage_init(cause) != 0)
		return -1;
	rl_ip = ratelimit_new(cfg.rate_ip, cfg.rate_ip_burst, 65536);
	rl_token = ratelimit_new(cfg.rate_token, cfg.rate_token_burst, 65536);
	stream_init(context);
	worker_start((const int [NJOBTYPES]){ [JOB_FAST] = cfg.workers,
	    [JOB_SLOW] = SLOW_WORKERS, [JOB_STREAM] = cfg.stream_workers,
	    [JOB_WS] = WS_WORKERS,
	    [JOB_PEER] = cfg.workers / 2 > 2 ? cfg.workers / 2 : 2 },
	    cfg.database_url, context);
	ws_start(context, loop);
	return 0;
}

const char *
server_started_rfc3339(void)
{
	return started_str;
}

void
server_drain(void)
{
	draining = 1;
	ws_drain();
}

int
server_inflight(void)
{
	return inflight + ws_draining();
}

void
server_stop(void)
{
	netconn_stop_accepting();
	stream_shutdown();
	worker_stop();
	ws_stop();
	if (context != NULL)
		lws_context_destroy(context);
	context = NULL;
	netconn_stop();
	tls_free();
	ratelimit_free(rl_ip);
	ratelimit_free(rl_token);
	if (cfg.socket_path[0] != '\0')
		unlink(cfg.socket_path);
}

/*
 * WebSocket client (RFC 6455) on a non-blocking socket: the HTTP/1.1
 * upgrade with a random key checked against Sec-WebSocket-Accept, masked
 * client frames, text messages joined from fragments, ping/pong and the
 * closing handshake. Input from the server is bounded: headers to
 * WSC_MAX_HEADERS, messages to the set maximum.
 *
 * https:// and wss:// hosts speak TLS (OpenSSL, non-blocking SSL_connect):
 * TLS 1.2 or later, the chain verified against the given CA file or the
 * system store, the name (or IP address) checked against the certificate.
 * All reads and writes go through wsc_io_read()/wsc_io_write().
 */
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "wsc.h"
#include "xmalloc.h"

enum wsc_state { S_CONNECTING, S_TLS, S_HANDSHAKE, S_OPEN, S_CLOSED };

enum {
	OP_CONT = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8,
	OP_PING = 0x9, OP_PONG = 0xa,
};

struct wsc_buf {
	uint8_t	*data;
	size_t	 off;		/* consumed */
	size_t	 len;		/* filled */
	size_t	 size;
};

struct wsc {
	int		 fd;		/* -1 when detached */
	enum wsc_state	 state;
	char		 key[25];
	struct wsc_buf	 in;
	struct wsc_buf	 out;
	struct wsc_buf	 held;		/* frames sent before the upgrade */
	struct wsc_buf	 msg;		/* the message being joined */
	int		 joining;	/* a fragmented message is open */
	int		 delivered;	/* msg was returned: clear it next */
	int		 close_sent;
	int		 close_code;
	size_t		 max_message;
	SSL_CTX		*ctx;		/* TLS only */
	SSL		*ssl;
	char		*tls_host;	/* for the messages */
	int		 want_write;	/* OpenSSL waits for a writable socket */
	char		 err[320];
};

/* ---- the bytes on the wire, plain or TLS ----------------------------------- */

/* One OpenSSL result as errno: EAGAIN to wait, 0 at a clean end. */
static ssize_t
wsc_tls_result(struct wsc *ws, int n)
{
	char		 buf[160];
	unsigned long	 e;

	ws->want_write = 0;
	if (n > 0)
		return n;
	switch (SSL_get_error(ws->ssl, n)) {
	case SSL_ERROR_WANT_WRITE:
		ws->want_write = 1;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;
		return -1;
	default:
		e = ERR_get_error();
		ERR_error_string_n(e, buf, sizeof buf);
		ERR_clear_error();
		errno = EPROTO;
		if (ws->err[0] == '\0')
			snprintf(ws->err, sizeof ws->err, "TLS error: %s", buf);
		return -1;
	}
}

static ssize_t
wsc_io_read(struct wsc *ws, void *p, size_t n)
{
	if (ws->ssl == NULL)
		return recv(ws->fd, p, n, 0);
	errno = 0;
	ERR_clear_error();
	return wsc_tls_result(ws, SSL_read(ws->ssl, p, n > INT32_MAX ?
	    INT32_MAX : (int)n));
}

static ssize_t
wsc_io_write(struct wsc *ws, const void *p, size_t n)
{
	if (ws->ssl == NULL)
		return send(ws->fd, p, n, MSG_NOSIGNAL);
	errno = 0;
	ERR_clear_error();
	return wsc_tls_result(ws, SSL_write(ws->ssl, p, n > INT32_MAX ?
	    INT32_MAX : (int)n));
}

/* ---- buffers -------------------------------------------------------------- */

static int
buf_add(struct wsc_buf *b, const void *p, size_t n, size_t max)
{
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len - b->off + n > max)
		return -1;
	if (b->len + n > b->size && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size ? b->size * 2 : 4096;
		b->data = xrealloc(b->data, b->size);
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static void
buf_free(struct wsc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* ---- state ---------------------------------------------------------------- */

static void
wsc_seterr(struct wsc *ws, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
wsc_seterr(struct wsc *ws, const char *fmt, ...)
{
	va_list	 ap;

	if (ws->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(ws->err, sizeof ws->err, fmt, ap);
	va_end(ap);
}

/* Queue one masked frame: on the wire when open, else held. 0 or -1. */
static int
wsc_frame(struct wsc *ws, int op, const void *data, size_t len)
{
	struct wsc_buf	*b = ws->state == S_OPEN || op == OP_CLOSE ? &ws->out :
			    &ws->held;
	uint8_t		 h[14], mask[4], chunk[512];
	const uint8_t	*p = data;
	size_t		 n = 0, i, k;

	if (ws->state == S_CLOSED || ws->close_sent)
		return -1;
	h[n++] = 0x80 | (uint8_t)op;
	if (len < 126)
		h[n++] = 0x80 | (uint8_t)len;
	else if (len <= 0xffff) {
		h[n++] = 0x80 | 126;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (getrandom(mask, sizeof mask, 0) != sizeof mask)
		memset(mask, 0x5a, sizeof mask);
	memcpy(h + n, mask, 4);
	n += 4;
	if (b->len - b->off + n + len > WSC_MAX_OUT)
		return -1;
	buf_add(b, h, n, WSC_MAX_OUT);
	for (i = 0; i < len; i += k) {
		k = len - i < sizeof chunk ? len - i : sizeof chunk;
		for (size_t j = 0; j < k; j++)
			chunk[j] = p[i + j] ^ mask[(i + j) & 3];
		buf_add(b, chunk, k, WSC_MAX_OUT);
	}
	if (op == OP_CLOSE)
		ws->close_sent = 1;
	return 0;
}

/* Write what the socket takes now. 0, or -1 when the socket failed. */
static int
wsc_flush(struct wsc *ws)
{
	ssize_t	 n;

	if (ws->fd < 0 || ws->state == S_CONNECTING || ws->state == S_TLS)
		return 0;
	while (ws->out.off < ws->out.len) {
		n = wsc_io_write(ws, ws->out.data + ws->out.off,
		    ws->out.len - ws->out.off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			wsc_seterr(ws, "cannot write to the daemon: %s",
			    n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		ws->out.off += (size_t)n;
	}
	ws->out.off = ws->out.len = 0;
	return 0;
}

/* Fail the connection: a close frame with code if open, then closed. */
static enum wsc_status
wsc_fail(struct wsc *ws, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum wsc_status
wsc_fail(struct wsc *ws, int code, const char *fmt, ...)
{
	va_list	 ap;
	uint8_t	 c[2] = { (uint8_t)(code >> 8), (uint8_t)code };

	if (ws->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(ws->err, sizeof ws->err, fmt, ap);
		va_end(ap);
	}
	if (ws->state == S_OPEN && code != 0 && !ws->close_sent) {
		wsc_frame(ws, OP_CLOSE, c, sizeof c);
		wsc_flush(ws);
	}
	ws->state = S_CLOSED;
	return WSC_CLOSED;
}

/* ---- the upgrade ---------------------------------------------------------- */

/* The value of header name in the block [p, end), or NULL. */
static char *
wsc_header(const char *p, const char *end, const char *name)
{
	size_t		 nl = strlen(name);
	const char	*eol, *v;

	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			while (eol > v && (eol[-1] == '\r' || eol[-1] == ' ' ||
			    eol[-1] == '\t'))
				eol--;
			return xstrndup(v, (size_t)(eol - v));
		}
		p = eol + 1;
	}
	return NULL;
}

/* Parse the answer to the upgrade once its headers are in. */
static enum wsc_status
wsc_handshake(struct wsc *ws)
{
	const char	*start = (const char *)ws->in.data + ws->in.off;
	const char	*end, *hdr;
	char		*v, expect[29], *detail = NULL;
	size_t		 avail = ws->in.len - ws->in.off;
	int		 status = 0, ok;
	json_t		*j;

	if (avail == 0)
		return WSC_AGAIN;
	if ((end = memmem(start, avail, "\r\n\r\n", 4)) == NULL) {
		if (avail > WSC_MAX_HEADERS)
			return wsc_fail(ws, 0, "the daemon's answer to the "
			    "upgrade is too long");
		return WSC_AGAIN;
	}
	end += 4;
	if (sscanf(start, "HTTP/1.%*1[01] %3d", &status) != 1)
		return wsc_fail(ws, 0, "the daemon's answer to the upgrade is "
		    "not HTTP");
	hdr = memchr(start, '\n', (size_t)(end - start)) + 1;
	if (status != 101) {
		/* A problem+json body that arrived with it says why. */
		j = json_loadb(end, avail - (size_t)(end - start), 0, NULL);
		if (json_is_string(json_object_get(j, "detail")))
			detail = xstrdup(json_string_value(json_object_get(j,
			    "detail")));
		json_decref(j);
		wsc_fail(ws, 0, "the daemon refused the WebSocket upgrade: "
		    "HTTP %d%s%s", status, detail ? ": " : "",
		    detail ? detail : "");
		free(detail);
		return WSC_CLOSED;
	}
	v = wsc_header(hdr, end, "upgrade");
	ok = v != NULL && strcasecmp(v, "websocket") == 0;
	free(v);
	v = wsc_header(hdr, end, "connection");
	ok = ok && v != NULL && strcasestr(v, "upgrade") != NULL;
	free(v);
	if (!ok)
		return wsc_fail(ws, 0, "the daemon's answer is not a "
		    "WebSocket upgrade");
	wsc_accept_key(ws->key, expect);
	v = wsc_header(hdr, end, "sec-websocket-accept");
	ok = v != NULL && strcmp(v, expect) == 0;
	free(v);
	if (!ok)
		return wsc_fail(ws, 0, "the daemon's Sec-WebSocket-Accept is "
		    "wrong");
	v = wsc_header(hdr, end, "sec-websocket-protocol");
	ok = v != NULL && strcmp(v, WSC_PROTOCOL) == 0;
	free(v);
	if (!ok)
		return wsc_fail(ws, 0, "the daemon did not agree to "
		    "the " WSC_PROTOCOL " protocol");
	ws->in.off += (size_t)(end - start);
	ws->state = S_OPEN;
	if (ws->held.len > ws->held.off &&
	    buf_add(&ws->out, ws->held.data + ws->held.off,
	    ws->held.len - ws->held.off, WSC_MAX_OUT) != 0)
		return wsc_fail(ws, 1009, "too much output waiting");
	buf_free(&ws->held);
	return WSC_AGAIN;
}

/* ---- frames --------------------------------------------------------------- */

/* Return the joined message: NUL-terminated in ws->msg. */
static enum wsc_status
wsc_deliver(struct wsc *ws, char **msg, size_t *len)
{
	if (!wsc_utf8_valid(ws->msg.data, ws->msg.len))
		return wsc_fail(ws, 1007, "the daemon sent a message that is "
		    "not UTF-8");
	ws->joining = 0;
	ws->delivered = 1;
	*msg = (char *)ws->msg.data;
	*len = ws->msg.len;
	return WSC_MESSAGE;
}

/* One frame from the input, if a whole one is there. */
static enum wsc_status
wsc_parse(struct wsc *ws, char **msg, size_t *len)
{
	const uint8_t	*p = ws->in.data + ws->in.off, *pay;
	size_t		 avail = ws->in.len - ws->in.off, hl = 2, i;
	uint64_t	 plen;
	int		 fin, op, code;
	char		 reason[128];

	if (avail < 2)
		return WSC_AGAIN;
	fin = p[0] & 0x80;
	op = p[0] & 0x0f;
	if (p[0] & 0x70)
		return wsc_fail(ws, 1002, "the daemon sent a frame with "
		    "reserved bits set");
	if (p[1] & 0x80)
		return wsc_fail(ws, 1002, "the daemon sent a masked frame");
	plen = p[1] & 0x7f;
	if (plen == 126) {
		if (avail < 4)
			return WSC_AGAIN;
		plen = (uint64_t)p[2] << 8 | p[3];
		hl = 4;
	} else if (plen == 127) {
		if (avail < 10)
			return WSC_AGAIN;
		plen = 0;
		for (i = 0; i < 8; i++)
			plen = plen << 8 | p[2 + i];
		hl = 10;
		if (plen >> 63)
			return wsc_fail(ws, 1002, "the daemon sent a bad length");
	}
	if (op >= OP_CLOSE && (!fin || plen > 125))
		return wsc_fail(ws, 1002, "the daemon sent a bad control frame");
	if (op < OP_CLOSE && plen > ws->max_message - ws->msg.len)
		return wsc_fail(ws, 1009, "the daemon sent a message over "
		    "%zu bytes", ws->max_message);
	if (avail - hl < plen)
		return WSC_AGAIN;
	pay = p + hl;
	ws->in.off += hl + (size_t)plen;

	switch (op) {
	case OP_TEXT:
	case OP_CONT:
		if ((op == OP_TEXT) == ws->joining)
			return wsc_fail(ws, 1002, "the daemon sent a bad "
			    "fragment");
		if (op == OP_TEXT)
			ws->msg.off = ws->msg.len = 0;
		buf_add(&ws->msg, pay, (size_t)plen, ws->max_message);
		ws->joining = 1;
		if (fin)
			return wsc_deliver(ws, msg, len);
		return WSC_AGAIN;
	case OP_BINARY:
		return wsc_fail(ws, 1003, "the daemon sent a binary message");
	case OP_PING:
		if (wsc_frame(ws, OP_PONG, pay, (size_t)plen) != 0)
			return wsc_fail(ws, 1008, "too much output waiting");
		return WSC_AGAIN;
	case OP_PONG:
		return WSC_AGAIN;
	case OP_CLOSE:
		code = plen >= 2 ? pay[0] << 8 | pay[1] : 1005;
		if (plen == 1 || (plen > 2 && !wsc_utf8_valid(pay + 2,
		    (size_t)plen - 2)))
			return wsc_fail(ws, 1002, "the daemon sent a bad close");
		ws->close_code = code;
		i = plen > 2 ? (size_t)plen - 2 : 0;
		if (i >= sizeof reason)
			i = sizeof reason - 1;
		memcpy(reason, pay + 2, i);
		reason[i] = '\0';
		for (char *r = reason; *r; r++) {
			if ((unsigned char)*r < 0x20 || *r == 0x7f)
				*r = '?';
		}
		wsc_seterr(ws, "the daemon closed the connection (%d%s%s)",
		    code, reason[0] ? " " : "", reason);
		if (!ws->close_sent) {
			/* Echo the code, as RFC 6455 5.5.1 asks. */
			wsc_frame(ws, OP_CLOSE, pay, plen >= 2 ? 2 : 0);
			wsc_flush(ws);
		}
		ws->state = S_CLOSED;
		return WSC_CLOSED;
	default:
		return wsc_fail(ws, 1002, "the daemon sent an unknown frame "
		    "type %d", op);
	}
}

/* Everything complete in the input: the upgrade answer, then frames. */
static enum wsc_status
wsc_process(struct wsc *ws, char **msg, size_t *len)
{
	enum wsc_status	 st;
	size_t		 before;

	if (ws->state == S_HANDSHAKE &&
	    ((st = wsc_handshake(ws)) != WSC_AGAIN || ws->state != S_OPEN))
		return st;
	while (ws->state == S_OPEN) {
		before = ws->in.off;
		if ((st = wsc_parse(ws, msg, len)) != WSC_AGAIN)
			return st;
		if (ws->in.off == before)
			break;		/* needs more input */
	}
	return ws->state == S_CLOSED ? WSC_CLOSED : WSC_AGAIN;
}

/* ---- connecting ----------------------------------------------------------- */

static struct wsc *
wsc_alloc(void)
{
	struct wsc	*ws = xcalloc(1, sizeof *ws);
	uint8_t		 k[16];

	ws->fd = -1;
	ws->max_message = WSC_MAX_MESSAGE;
	if (getrandom(k, sizeof k, 0) != sizeof k)
		abort();
	wsc_base64(k, sizeof k, ws->key);
	return ws;
}

/* A non-blocking socket connecting to host; -1 and *cause on failure. */
static int
wsc_socket(const char *host, char **authority, int *tls, char **cause)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res = NULL, *ai;
	const char		*a, *port = "80";
	char			*h = NULL, *p;
	int			 fd = -1, e = 0, gai = 0;

	if (strncmp(host, "unix://", 7) == 0) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (host[7] != '/' || strlen(host + 7) >= sizeof sun.sun_path) {
			*cause = xasprintf("bad host \"%s\"", host);
			return -1;
		}
		strlcpy_(sun.sun_path, host + 7, sizeof sun.sun_path);
		*authority = xstrdup("localhost");
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun,
		    sizeof sun) != 0) {
			*cause = xasprintf("cannot connect to %s: %s",
			    sun.sun_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	*tls = strncmp(host, "https://", 8) == 0 ||
	    strncmp(host, "wss://", 6) == 0;
	if (*tls)
		port = "443";
	if (*tls || strncmp(host, "http://", 7) == 0 ||
	    strncmp(host, "ws://", 5) == 0)
		a = strstr(host, "://") + 3;
	else {
		*cause = xasprintf("bad host \"%s\": the live stream needs "
		    "unix:///path or http(s)://host:port", host);
		return -1;
	}
	*authority = xstrndup(a, strcspn(a, "/?#"));
	h = xstrdup(*authority);
	if (h[0] == '[' && (p = strchr(h, ']')) != NULL) {
		*p = '\0';
		if (p[1] == ':')
			port = p + 2;
		memmove(h, h + 1, strlen(h + 1) + 1);
	} else if ((p = strrchr(h, ':')) != NULL) {
		*p = '\0';
		port = p + 1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (*h == '\0' || (gai = getaddrinfo(h, port, &hints, &res)) != 0) {
		*cause = xasprintf("bad host \"%s\"%s%s", host, *h ? ": " : "",
		    *h ? gai_strerror(gai) : "");
		free(h);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*cause = xasprintf("cannot connect to %s: %s", *authority,
		    strerror(e ? e : ECONNREFUSED));
	free(h);
	return fd;
}

/*
 * TLS over ws->fd for authority ("host:port", "[v6]:port"): the chain
 * against cacert or the system store, the name or address against the
 * certificate, SNI for a name. -1 and *cause on failure.
 */
static int
wsc_tls_start(struct wsc *ws, const char *authority, const char *cacert,
    char **cause)
{
	struct sigaction sa;
	char		*h = xstrdup(authority), *p;
	unsigned char	 addr[16];
	int		 ip, ok;

	if (h[0] == '[' && (p = strchr(h, ']')) != NULL) {
		*p = '\0';
		memmove(h, h + 1, strlen(h + 1) + 1);
	} else if ((p = strrchr(h, ':')) != NULL)
		*p = '\0';
	ip = inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h,
	    addr) == 1;
	ws->tls_host = h;
	/* OpenSSL writes with write(): a closed peer must not kill us. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	ERR_clear_error();
	if ((ws->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ws->ctx, TLS1_2_VERSION) != 1) {
		*cause = xstrdup("cannot set up TLS");
		return -1;
	}
	SSL_CTX_set_verify(ws->ctx, SSL_VERIFY_PEER, NULL);
	if (cacert != NULL && *cacert != '\0')
		ok = SSL_CTX_load_verify_locations(ws->ctx, cacert, NULL);
	else
		ok = SSL_CTX_set_default_verify_paths(ws->ctx);
	if (ok != 1) {
		*cause = xasprintf("cannot use the CA file \"%s\"",
		    cacert != NULL ? cacert : "(system store)");
		return -1;
	}
	SSL_CTX_set_mode(ws->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((ws->ssl = SSL_new(ws->ctx)) == NULL ||
	    SSL_set_fd(ws->ssl, ws->fd) != 1 ||
	    (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ws->ssl), h) :
	    SSL_set1_host(ws->ssl, h)) != 1 ||
	    (!ip && SSL_set_tlsext_host_name(ws->ssl, h) != 1)) {
		*cause = xasprintf("cannot set up TLS for \"%s\"", h);
		return -1;
	}
	ERR_clear_error();
	return 0;
}

/* Make progress with the TLS handshake: 1 done, 0 not yet, -1 failed. */
static int
wsc_tls_handshake(struct wsc *ws)
{
	char	 why[sizeof ws->err];
	long	 v;
	ssize_t	 n;

	errno = 0;
	ERR_clear_error();
	if ((n = wsc_tls_result(ws, SSL_connect(ws->ssl))) > 0)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	snprintf(why, sizeof why, "%s", ws->err[0] != '\0' ? ws->err :
	    n == 0 ? "the daemon closed the connection" : strerror(errno));
	ws->err[0] = '\0';
	if ((v = SSL_get_verify_result(ws->ssl)) != X509_V_OK)
		wsc_seterr(ws, "cannot verify the TLS certificate of %s: %s "
		    "(give its CA with --cacert FILE or CALLDOCKER_CACERT)",
		    ws->tls_host, X509_verify_cert_error_string(v));
	else
		wsc_seterr(ws, "TLS handshake with %s failed (does it serve "
		    "https?): %.200s", ws->tls_host, why);
	return -1;
}

struct wsc *
wsc_connect(const char *host, const char *path, const char *cacert,
    char **cause)
{
	struct wsc	*ws = wsc_alloc();
	char		*authority = NULL, *req;
	int		 tls = 0;

	if ((ws->fd = wsc_socket(host, &authority, &tls, cause)) < 0) {
		free(authority);
		free(ws);
		return NULL;
	}
	if (tls && wsc_tls_start(ws, authority, cacert, cause) != 0) {
		free(authority);
		wsc_close(ws, 0, NULL);
		return NULL;
	}
	req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "
	    WSC_PROTOCOL "\r\n\r\n", path, authority, ws->key);
	buf_add(&ws->out, req, strlen(req), WSC_MAX_OUT);
	free(req);
	free(authority);
	ws->state = S_CONNECTING;
	return ws;
}

struct wsc *
wsc_new_detached(int open, const char *key)
{
	struct wsc	*ws = wsc_alloc();

	if (key != NULL)
		strlcpy_(ws->key, key, sizeof ws->key);
	ws->state = open ? S_OPEN : S_HANDSHAKE;
	return ws;
}

int
wsc_feed(struct wsc *ws, const void *p, size_t n)
{
	return buf_add(&ws->in, p, n, ws->max_message + WSC_MAX_HEADERS);
}

void
wsc_close(struct wsc *ws, int code, const char *reason)
{
	uint8_t	 b[125];
	size_t	 n;

	if (ws == NULL)
		return;
	if (ws->state == S_OPEN && !ws->close_sent) {
		b[0] = (uint8_t)(code >> 8);
		b[1] = (uint8_t)code;
		n = reason != NULL ? strlen(reason) : 0;
		if (n > sizeof b - 2)
			n = sizeof b - 2;
		if (n > 0)
			memcpy(b + 2, reason, n);
		wsc_frame(ws, OP_CLOSE, b, n + 2);
		wsc_flush(ws);
	}
	if (ws->ssl != NULL && ws->state != S_CONNECTING && ws->state != S_TLS)
		(void)SSL_shutdown(ws->ssl);
	SSL_free(ws->ssl);
	SSL_CTX_free(ws->ctx);
	free(ws->tls_host);
	if (ws->fd >= 0)
		close(ws->fd);
	buf_free(&ws->in);
	buf_free(&ws->out);
	buf_free(&ws->held);
	buf_free(&ws->msg);
	free(ws);
}

int
wsc_fd(const struct wsc *ws)
{
	return ws->fd;
}

short
wsc_events(const struct wsc *ws)
{
	if (ws->ssl != NULL && ws->state != S_CONNECTING)
		return ws->want_write ? POLLIN | POLLOUT : POLLIN;
	if (ws->state == S_CONNECTING || ws->out.len > ws->out.off)
		return POLLIN | POLLOUT;
	return POLLIN;
}

int
wsc_is_open(const struct wsc *ws)
{
	return ws->state == S_OPEN;
}

const char *
wsc_error(const struct wsc *ws)
{
	return ws->err;
}

int
wsc_close_code(const struct wsc *ws)
{
	return ws->close_code;
}

void
wsc_set_max_message(struct wsc *ws, size_t n)
{
	ws->max_message = n > 0 ? n : WSC_MAX_MESSAGE;
}

int
wsc_send_text(struct wsc *ws, const char *p, size_t n)
{
	if (ws->state == S_CLOSED || wsc_frame(ws, OP_TEXT, p, n) != 0)
		return -1;
	if (wsc_flush(ws) != 0) {
		ws->state = S_CLOSED;
		return -1;
	}
	return 0;
}

/* Has the non-blocking connect finished? 1 yes, 0 not yet, -1 failed. */
static int
wsc_connected(struct wsc *ws)
{
	struct pollfd	 pfd = { .fd = ws->fd, .events = POLLOUT };
	socklen_t	 sl = sizeof(int);
	int		 e = 0;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (getsockopt(ws->fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
		e = errno;
	if (e != 0) {
		wsc_seterr(ws, "cannot connect to the daemon: %s", strerror(e));
		return -1;
	}
	return 1;
}

enum wsc_status
wsc_read(struct wsc *ws, char **msg, size_t *len)
{
	enum wsc_status	 st;
	uint8_t		 b[16384];
	ssize_t		 n;

	*msg = NULL;
	*len = 0;
	if (ws->delivered) {
		ws->msg.off = ws->msg.len = 0;
		ws->delivered = 0;
	}
	if (ws->state == S_CONNECTING) {
		switch (wsc_connected(ws)) {
		case 0:
			return WSC_AGAIN;
		case -1:
			ws->state = S_CLOSED;
			return WSC_CLOSED;
		}
		ws->state = ws->ssl != NULL ? S_TLS : S_HANDSHAKE;
	}
	if (ws->state == S_TLS) {
		switch (wsc_tls_handshake(ws)) {
		case 0:
			return WSC_AGAIN;
		case -1:
			ws->state = S_CLOSED;
			return WSC_CLOSED;
		}
		ws->state = S_HANDSHAKE;
	}
	if (ws->state == S_CLOSED)
		return WSC_CLOSED;
	if (wsc_flush(ws) != 0) {
		ws->state = S_CLOSED;
		return WSC_CLOSED;
	}
	for (;;) {
		if ((st = wsc_process(ws, msg, len)) != WSC_AGAIN)
			break;
		if (ws->fd < 0)
			break;
		n = wsc_io_read(ws, b, sizeof b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			wsc_seterr(ws, "the daemon %s", n == 0 ? "closed the "
			    "connection" : strerror(errno));
			ws->state = S_CLOSED;
			return WSC_CLOSED;
		}
		if (wsc_feed(ws, b, (size_t)n) != 0)
			return wsc_fail(ws, 1009, "the daemon sent too much");
	}
	/* Pongs and the close echo queued while parsing. */
	if (wsc_flush(ws) != 0 && st != WSC_MESSAGE) {
		ws->state = S_CLOSED;
		return WSC_CLOSED;
	}
	return st;
}

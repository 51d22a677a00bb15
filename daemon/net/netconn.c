/*
 * Connections below HTTP. The daemon listens and accepts itself and hands
 * each socket to libwebsockets, so that it decides when to stop accepting:
 * at the open-files limit minus a reserve (never spinning on EMFILE, which
 * lws 4.1.6 logs and retries at a full core), and beyond
 * max_connections_per_address from one client.
 *
 * lws reads every socket with recv(); this file defines recv() (the
 * executable's symbol comes before libc's for the library too) and, for the
 * sockets accepted here and on the loop thread only, runs the bytes of each
 * request head through headcheck.c before lws parses them. A head that is
 * refused is answered here with problem+json and the connection closed;
 * lws never sees it. The same bookkeeping gives each phase its timeout
 * (head, body, idle keep-alive) and lets a connection that closes while
 * its client is still sending linger: read and discard for a bounded time
 * and size so the client reads its answer instead of a reset (nginx's
 * lingering_close).
 *
 * The same pass keeps lws 4.1.6 away from pipelining it gets wrong
 * (PITFALLS.md: 100% CPU for good, or a request's head taken for its
 * body): bytes it reads behind a request with a body before that request
 * is answered, and a request with a body it reads behind an unanswered
 * one. The first makes the body's answer the connection's last, the
 * second the answer before it (close_at; server.c asks
 * netconn_keep_alive() before each answer, says "connection: close" and
 * closes), so lws never parses what follows them. Nothing is held back:
 * lws reads only when the socket is readable, so bytes kept here would
 * never be asked for again. A client that waits for each answer before it
 * sends the next request (curl, browsers, HAProxy, the CLI) keeps its
 * connection, bodies or not; one that pipelines behind a body gets the
 * answers up to there, then the close, and retries the rest (RFC 9112
 * 9.3.2; it should not pipeline behind a POST in the first place).
 *
 * On the TLS port (tls.c) the bytes recv() sees are ciphertext, and lws
 * reads them through OpenSSL, which uses read(), not recv(). The same check
 * runs on the plaintext instead: SSL_read() is defined here too and filters
 * what the real one returns, so a TLS request head meets exactly the rules
 * of a plain one and the same timeouts. An answer written here goes out
 * with SSL_write(). recv() on a TLS-port socket then means the client
 * spoke plain HTTP (lws peeks, sees no handshake and hands the socket
 * over): it is answered 400 tls_required, in plain text, and closed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "headcheck.h"
#include "http.h"
#include "metrics.h"
#include "netaddr.h"
#include "netconn.h"
#include "router.h"

#define ACCEPT_BATCH	64	/* accepts per wake-up */
#define ACCEPT_PAUSE	0.5	/* seconds without accepting after EMFILE */
#define UNIX_HEADROOM	32	/* the local socket still accepts beyond the limit */
#define LINGER_SECS	5.0
#define LINGER_BYTES	(1024 * 1024)
/* Authorization values lifted out of heads and not yet asked for. */
#define LIFT_MAX	8
#define LIFT_MARK	"\x7f"	/* no client can send it: headcheck.c */
#define SWEEP_SECS	0.25
#define LOG_EVERY	10.0	/* seconds between two lines of one warning */

enum mode {
	M_HEAD,		/* between or within request heads */
	M_BODY,		/* a body of known length is arriving */
	M_OFF,		/* no more heads: an upgrade, or the last is known */
};

struct addr {
	char		 key[INET6_ADDRSTRLEN + 8];
	int		 n;
	struct addr	*next;
};

struct netconn {
	int			 fd;
	int			 is_unix;
	int			 tls;		/* came in on the TLS port */
	struct lws		*wsi;
	struct addr		*addr;
	enum mode		 mode;
	struct headcheck	 hc;
	int			 passed, done;	/* heads given to lws, answered */
	int			 body_seq;	/* the last head with a body */
	int			 behind;	/* this head came before an answer */
	int			 close_at;	/* the answer that is the last */
	double			 t_open, t_head, t_done, t_rx;
	double			 body_start;
	unsigned long long	 body_len, body_left;
	int			 input_open;	/* client may send more: linger */
	int			 pending;	/* a refused head waits its turn */
	int			 refused;	/* answered here */
	int			 linger_fd;	/* a duplicate, to linger with */
	size_t			 discarded;
	int			 status;
	const char		*code;
	char			 detail[128];
	char			 peer[64];	/* lws_get_peer_simple(), once */
	struct lifted {
		unsigned	 seq;
		char		*value;			/* NULL: free */
	}			 lift[LIFT_MAX];
	unsigned		 lift_seq;
	struct netconn		*next, *prev;
};

static void
lift_free(struct netconn *c)
{
	for (size_t i = 0; i < LIFT_MAX; i++) {
		free(c->lift[i].value);
		c->lift[i].value = NULL;
	}
}

/* Peers whose X-Forwarded-For names the client (trusted_proxies). */
static struct netaddrs	 trusted;

struct lingerer {
	int		 fd;
	ev_io		 io;
	double		 deadline;
	size_t		 left;
	struct lingerer	*next, *prev;
};

struct listener {
	int			 fd;
	int			 is_unix;
	int			 tls;
	int			 stopped;
	ev_io			 io;
	struct lws_vhost	*vhost;
};

/* Loop thread only: recv() elsewhere passes straight through. */
static __thread int	 on_loop;
static int		(*real_ssl_read_fn)(SSL *, void *, int);

static struct ev_loop	*loop;
static struct netconn	**table;	/* by descriptor */
static int		 ntable;
static int		 limit;		/* connections accepted at most */
static int		 nopen;		/* accepted and lingering */
static struct netconn	*conns;
static struct lingerer	*lingers;
static struct addr	**addrs;
static size_t		 naddrs;
static struct listener	 listeners[2];
static int		 nlisteners;
static int		 accepting;
static ev_timer		 sweep_timer, resume_timer;

/* A warning at most every LOG_EVERY seconds, with how many were not logged. */
struct ratelog {
	double		 last;
	unsigned long	 quiet;
};
static struct ratelog	 log_accept, log_limit, log_addr;

static void	linger_start(struct netconn *, int);

/*
 * The clock of the phase timeouts, read on every request: the kernel's
 * tick (a few ms), which the vDSO gives without reading the TSC. The
 * sweep runs every SWEEP_SECS, so a timeout is no finer than that anyway.
 */
static double
now_coarse(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
ratelog_ok(struct ratelog *r, unsigned long *quiet)
{
	double	 now = now_mono();

	if (r->last != 0 && now - r->last < LOG_EVERY) {
		r->quiet++;
		return 0;
	}
	*quiet = r->quiet;
	r->quiet = 0;
	r->last = now;
	return 1;
}

/* ---- per-address counts ------------------------------------------------ */

static size_t
addr_hash(const char *s)
{
	size_t	 h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h & (naddrs - 1);
}

static struct addr *
addr_get(const char *key)
{
	struct addr	**pa = &addrs[addr_hash(key)], *a;

	for (a = *pa; a != NULL; a = a->next) {
		if (strcmp(a->key, key) == 0)
			return a;
	}
	a = xcalloc(1, sizeof *a);
	strlcpy_(a->key, key, sizeof a->key);
	a->next = *pa;
	*pa = a;
	return a;
}

static void
addr_put(struct addr *a)
{
	struct addr	**pa;

	if (a == NULL || --a->n > 0 || addrs == NULL)
		return;
	for (pa = &addrs[addr_hash(a->key)]; *pa != a; pa = &(*pa)->next)
		;
	*pa = a->next;
	free(a);
}

/* The client's address, or "uid N" for a local peer. */
static void
peer_key(int fd, int is_unix, const struct sockaddr_storage *ss, char *buf,
    size_t size)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	struct in_addr	 v4;

	if (is_unix) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			snprintf(buf, size, "uid %u", (unsigned)cred.uid);
		else
			strlcpy_(buf, "unix", size);
		return;
	}
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    ss)->sin_addr, buf, (socklen_t)size);
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&v4, &s6->sin6_addr.s6_addr[12], sizeof v4);
		inet_ntop(AF_INET, &v4, buf, (socklen_t)size);
	} else
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)size);
}

/* ---- answers written here ---------------------------------------------- */

/* Write a problem+json answer straight to the socket (through ssl if set). */
static void
answer(int fd, SSL *ssl, int status, const char *code, const char *detail,
    int retry_after)
{
	struct response	 r;
	char		 buf[1024];
	int		 n;

	memset(&r, 0, sizeof r);
	resp_problem(&r, status, code, "%s", detail);
	n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\n"
	    "content-type: application/problem+json\r\n"
	    "content-length: %zu\r\ncache-control: no-store\r\n"
	    "%s%s%sconnection: close\r\n\r\n", status,
	    http_status_title(status), r.len,
	    retry_after ? "retry-after: " : "", retry_after ? "1" : "",
	    retry_after ? "\r\n" : "");
	/* One segment: the head and the body (a few hundred bytes) fit. */
	if (n > 0 && (size_t)n + r.len <= sizeof buf) {
		memcpy(buf + n, r.body, r.len);
		if (ssl != NULL)
			(void)SSL_write(ssl, buf, n + (int)r.len);
		else
			(void)send(fd, buf, (size_t)n + r.len, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
	}
	metrics_request(nroutes, status, 0);
	response_reset(&r);
}

static void
refuse_now(struct netconn *c)
{
	log_debug("http: refused a request (%d %s): %s", c->status, c->code,
	    c->detail);
	answer(c->fd, c->tls && c->wsi != NULL ? lws_get_ssl(c->wsi) : NULL,
	    c->status, c->code, c->detail, 0);
	c->refused = 1;
	c->input_open = 1;
	c->pending = 0;
}

/* ---- recv(): the bytes lws reads -------------------------------------- */

/* Keep the verdict of a refused head; answer now if nothing is in flight. */
static ssize_t
refuse(struct netconn *c, ssize_t keep)
{
	c->status = c->hc.status;
	c->code = c->hc.code;
	strlcpy_(c->detail, c->hc.detail, sizeof c->detail);
	if (keep == 0 && c->passed == c->done) {
		refuse_now(c);
		errno = ECONNRESET;
		return -1;
	}
	/* Earlier requests are answered first; lws gets only theirs. */
	c->pending = 1;
	if (keep > 0)
		return keep;
	errno = EAGAIN;
	return -1;
}

/*
 * Answer K is the connection's last (see the top): nothing more is looked
 * at, and the client's unread input is drained on close. An answer already
 * written went out keep-alive: then the next one is the last.
 */
static void
last_answer(struct netconn *c, int k)
{
	c->close_at = k > c->done ? k : c->done + 1;
	c->mode = M_OFF;
	c->input_open = 1;
}

/*
 * Lifting the Authorization field out of a head. lws 4.1.6 parses a head
 * a byte at a time through its lexer, with a call to its debug log for
 * each byte: for an authenticated read that was half of the daemon's
 * instructions, most of them for the bearer token's few hundred bytes
 * (docs/performance.md). A head that arrived in one read, with one
 * Authorization field, has that field's value kept here and the field
 * rewritten as "Authorization: <DEL>N", N its number on this connection;
 * server.c hands what lws parsed to netconn_authorization() and gets the
 * value back. The marker is in the head it belongs to, so no request can
 * get another's, and a client cannot write one (headcheck refuses a DEL
 * in a field value); a value goes when a later request asks for its own,
 * or with the connection. Returns the bytes the head lost.
 */
static size_t
lift(struct netconn *c, unsigned char *buf, size_t start, size_t end,
    size_t n)
{
	static const char	 name[] = "authorization:";
	size_t			 p, eol, found = 0, fend = 0, v, ve, nlen, slot;
	char			 marker[32];
	int			 mlen, count = 0;

	for (slot = 0; slot < LIFT_MAX && c->lift[slot].value != NULL; slot++)
		;
	if (slot == LIFT_MAX)
		return 0;
	/* Past the request line, each field line up to the empty one. */
	for (p = start; p < end; p = eol + 1) {
		unsigned char *nl = memchr(buf + p, '\n', end - p);

		if (nl == NULL)
			return 0;
		eol = (size_t)(nl - buf);
		if (p == start)
			continue;
		if (eol == p || (eol == p + 1 && buf[p] == '\r'))
			break;
		if (eol - p > sizeof name - 1 &&
		    strncasecmp((char *)buf + p, name, sizeof name - 1) == 0) {
			found = p;
			fend = eol;
			count++;
		}
	}
	if (count != 1)
		return 0;
	/* The value, without the whitespace around it. */
	v = found + sizeof name - 1;
	while (v < fend && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	ve = fend;
	if (ve > v && buf[ve - 1] == '\r')
		ve--;
	while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
		ve--;
	mlen = snprintf(marker, sizeof marker, "Authorization: " LIFT_MARK "%u",
	    c->lift_seq + 1);
	/* fend is the '\n'; a '\r' before it stays. */
	nlen = (size_t)mlen + (buf[fend - 1] == '\r');
	if (ve - v < 16 || fend - found <= nlen)
		return 0;
	c->lift[slot].seq = ++c->lift_seq;
	c->lift[slot].value = xmalloc(ve - v + 1);
	memcpy(c->lift[slot].value, buf + v, ve - v);
	c->lift[slot].value[ve - v] = '\0';
	memcpy(buf + found, marker, (size_t)mlen);
	if (nlen > (size_t)mlen)
		buf[found + (size_t)mlen] = '\r';
	memmove(buf + found + nlen, buf + fend, n - fend);
	return fend - found - nlen;
}

static ssize_t
filter(struct netconn *c, unsigned char *buf, ssize_t n, int may_lift)
{
	double		 now;
	size_t		 off = 0, used, take;
	ssize_t		 head_off = c->hc.seen == 0 ? 0 : -1;
	enum hc_result	 r;

	if (n == 0)
		c->input_open = 0;
	if (n <= 0)
		return n;
	c->t_rx = now = now_coarse();
	if (c->pending) {
		/* Behind a refused head: nothing more for lws. */
		if ((c->discarded += (size_t)n) > LINGER_BYTES)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	while (off < (size_t)n && c->mode != M_OFF) {
		if (c->mode == M_BODY) {
			take = (size_t)n - off;
			if (take > c->body_left)
				take = (size_t)c->body_left;
			c->body_left -= take;
			off += take;
			if (c->body_left == 0) {
				c->mode = M_HEAD;
				c->input_open = 0;
			}
			continue;
		}
		if (c->hc.seen == 0) {
			/* A byte behind a body whose answer is not out yet. */
			if (c->body_seq > c->done) {
				last_answer(c, c->body_seq);
				break;
			}
			c->t_head = now;
			head_off = (ssize_t)off;
			c->behind = c->passed > c->done;
		}
		r = headcheck_feed(&c->hc, buf + off, (size_t)n - off, &used);
		off += used;
		if (r == HC_MORE)
			break;
		if (r == HC_BAD)
			return refuse(c, head_off > 0 ? head_off : 0);
		c->passed++;
		if (head_off >= 0 && !c->hc.upgrade && may_lift) {
			size_t lost = lift(c, buf, (size_t)head_off, off,
			    (size_t)n);

			off -= lost;
			n -= (ssize_t)lost;
		}
		if (c->hc.upgrade || c->hc.te) {
			c->mode = M_OFF;
			c->input_open = c->hc.te;
		} else if (c->hc.have_clen && c->hc.clen > 0) {
			/* A body behind another request: answer up to it. */
			if (c->behind) {
				last_answer(c, c->passed - 1);
				break;
			}
			c->body_seq = c->passed;
			c->mode = M_BODY;
			c->input_open = 1;
			c->body_start = now;
			c->body_len = c->body_left = c->hc.clen;
		}
		headcheck_reset(&c->hc);
		head_off = -1;
	}
	return n;
}

/* Plain HTTP on the TLS port: say so, in plain text, and close. */
static ssize_t
plain_on_tls(struct netconn *c, ssize_t n)
{
	if (n <= 0)
		return n;
	c->status = 400;
	c->code = "tls_required";
	strlcpy_(c->detail, "this port speaks TLS: use https:// (wss:// for "
	    "WebSockets)", sizeof c->detail);
	c->discarded += (size_t)n;
	refuse_now(c);
	errno = ECONNRESET;
	return -1;
}

/*
 * lws reads its sockets with recv(): this definition comes first. Only
 * sockets accepted here, on the loop thread, are looked at; everything
 * else (libpq and libcurl in other threads) is a plain recvfrom().
 */
ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t	 n = recvfrom(fd, buf, len, flags, NULL, NULL);

	if (!on_loop || fd < 0 || fd >= ntable || table[fd] == NULL ||
	    (table[fd]->mode == M_OFF && !table[fd]->pending) ||
	    (flags & MSG_PEEK))
		return n;
	if (table[fd]->tls)
		return plain_on_tls(table[fd], n);
	return filter(table[fd], buf, n, 1);
}

typedef int	(*ssl_read_fn)(SSL *, void *, int);

/* libssl's SSL_read(): the one after this executable's. */
static ssl_read_fn
real_ssl_read(void)
{
	ssl_read_fn	 fn = __atomic_load_n(&real_ssl_read_fn, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		*(void **)&fn = dlsym(RTLD_NEXT, "SSL_read");
		if (fn == NULL)
			abort();
		__atomic_store_n(&real_ssl_read_fn, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

/* Read and drop until the socket has nothing more (behind a refusal). */
static int
tls_discard(struct netconn *c, SSL *ssl, void *buf, int num, int n)
{
	while (n > 0) {
		if ((c->discarded += (size_t)n) > LINGER_BYTES) {
			errno = ECONNRESET;
			return -1;
		}
		n = real_ssl_read()(ssl, buf, num);
	}
	return n;
}

/*
 * The plaintext of the TLS sockets accepted here, through the same filter
 * as recv(). A refused connection returns -1 with nothing queued, which
 * OpenSSL reports as SSL_ERROR_SYSCALL: lws closes it. Anything read while
 * a refused head waits its turn is dropped, and the last read that finds
 * nothing leaves OpenSSL wanting more, so lws waits as for any socket.
 */
int
SSL_read(SSL *ssl, void *buf, int num)
{
	struct netconn	*c;
	ssize_t		 r;
	int		 n = real_ssl_read()(ssl, buf, num), fd, e;

	if (!on_loop || (fd = SSL_get_fd(ssl)) < 0 || fd >= ntable ||
	    (c = table[fd]) == NULL || !c->tls ||
	    (c->mode == M_OFF && !c->pending))
		return n;
	if (n <= 0) {
		e = SSL_get_error(ssl, n);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			c->input_open = 0;
		return n;
	}
	if (c->pending)
		return tls_discard(c, ssl, buf, num, n);
	/*
	 * No lift() in a read that filled the buffer: lws asks OpenSSL
	 * whether it holds more (SSL_pending()) only after a full read
	 * (lws_ssl_capable_read()), so a read shortened by a lifted value
	 * would leave pipelined requests unread in OpenSSL until the client
	 * sent something more.
	 */
	r = filter(c, buf, n, n < num);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN)	/* a refused head waits its turn */
		return tls_discard(c, ssl, buf, num, real_ssl_read()(ssl, buf,
		    num));
	return -1;
}

/* ---- lifecycle ---------------------------------------------------------- */

static struct netconn *
netconn_of(struct lws *wsi)
{
	return lws_get_opaque_user_data(wsi);
}

int
netconn_keep_alive(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	return c == NULL || c->close_at == 0 || c->done + 1 < c->close_at;
}

int
netconn_request_done(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	if (c == NULL)
		return 0;
	c->done++;
	c->t_done = now_coarse();
	/* Bytes came behind a body while its answer was streaming. */
	if (c->close_at != 0 && c->done >= c->close_at)
		return -1;
	if (c->pending && c->done >= c->passed) {
		refuse_now(c);
		return -1;
	}
	return 0;
}

/*
 * On a keep-alive connection lws 4.1's lws_http_transaction_completed()
 * waits for POLLOUT before it reads the next request (its
 * LRS_DEFERRING_ACTION) and asks the loop for it: two epoll_ctl() per
 * request (POLLOUT on, then off) and a turn of the loop for the event. The
 * socket has just taken the answer, so the event is fed to lws's watcher at
 * once (ev_feed_fd_event()): lws runs it in this turn of the loop, the
 * watcher is back as it was before libev next updates the kernel, and libev
 * tells the kernel nothing. Were the socket full after all, lws's writes
 * would find EAGAIN and wait for POLLOUT as always.
 */
int
netconn_transaction_completed(struct lws *wsi)
{
	if (lws_http_transaction_completed(wsi))
		return -1;
	netconn_writable_now(wsi);
	return 0;
}

/*
 * The same for an answer a worker has finished: lws's writable callback
 * in this turn of the loop, without asking the kernel for POLLOUT.
 */
void
netconn_writable_now(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	lws_callback_on_writable(wsi);
	if (c != NULL && loop != NULL && c->fd >= 0)
		ev_feed_fd_event(loop, c->fd, EV_WRITE);
}

/*
 * lws drops the protocol when it closes, but also when it binds it again
 * for the next request of a keep-alive connection: keep a duplicate of the
 * socket now (lws closes its own before WSI_DESTROY) and decide there.
 */
void
netconn_closing(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	if (c == NULL || c->linger_fd >= 0 || !(c->input_open || c->refused))
		return;
	c->linger_fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
}

static void
list_del(struct netconn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (conns == c)
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static void	resume(void);

void
netconn_destroyed(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	if (c == NULL)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	if (c->linger_fd >= 0) {
		if (c->input_open || c->refused)
			linger_start(c, c->linger_fd);
		else
			close(c->linger_fd);
	}
	if (c->fd >= 0 && c->fd < ntable && table[c->fd] == c)
		table[c->fd] = NULL;
	list_del(c);
	addr_put(c->addr);
	lift_free(c);
	free(c);
	nopen--;
	metrics_connection(-1);
	resume();
}

int
netconn_is_unix(struct lws *wsi)
{
	struct netconn	*c = netconn_of(wsi);

	return c != NULL && c->is_unix;
}

/*
 * The client's address as lws_get_peer_simple() puts it, asked of the
 * kernel (getpeername()) once per connection rather than once per request.
 */
void
netconn_peer(struct lws *wsi, char *buf, size_t size)
{
	struct netconn	*c = netconn_of(wsi);

	if (c == NULL) {
		lws_get_peer_simple(wsi, buf, size);
		return;
	}
	if (c->peer[0] == '\0')
		lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
	strlcpy_(buf, c->peer, size);
}

/*
 * A field value without the whitespace (SP, HTAB) around it (RFC 9110,
 * 5.5), as lift() keeps it: lws drops the spaces before a value but keeps
 * a tab there and whatever trails, so a head in several reads would
 * otherwise read differently from the same head in one.
 */
static char *
ows_trim(char *s)
{
	size_t	 b = 0, e;

	if (s == NULL)
		return NULL;
	e = strlen(s);
	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	memmove(s, s + b, e - b);
	s[e - b] = '\0';
	return s;
}

/*
 * The Authorization value of a request, given what lws parsed: the value
 * lifted out of its head (lift()), else the parsed one, trimmed the same
 * way. Steals parsed. Values lifted before this one belong to requests
 * that are over (each request asks for its own, once or twice, in
 * order): they go.
 */
char *
netconn_authorization(struct lws *wsi, char *parsed)
{
	struct netconn	*c = netconn_of(wsi);
	char		*end, *value = NULL;
	unsigned long	 seq;

	if (c == NULL || parsed == NULL || parsed[0] != LIFT_MARK[0])
		return ows_trim(parsed);
	seq = strtoul(parsed + 1, &end, 10);
	if (*end != '\0' || seq == 0)
		return ows_trim(parsed);
	for (size_t i = 0; i < LIFT_MAX; i++) {
		if (c->lift[i].value == NULL || c->lift[i].seq > seq)
			continue;
		if (c->lift[i].seq == seq) {
			/* Asked again for the same request (a raw route). */
			value = xstrdup(c->lift[i].value);
			continue;
		}
		free(c->lift[i].value);
		c->lift[i].value = NULL;
	}
	if (value == NULL)
		return ows_trim(parsed);
	free(parsed);
	return value;
}

/*
 * The client's address: the TCP peer's, or, when the peer is a trusted
 * proxy (trusted_proxies), the one its X-Forwarded-For names. A trusted
 * proxy's request without a readable one is its own (a health check).
 */
void
netconn_client(struct lws *wsi, char *buf, size_t size)
{
	char	*xff;
	int	 n;

	netconn_peer(wsi, buf, size);
	if (trusted.n == 0 || !netaddrs_match(&trusted, buf))
		return;
	n = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (n <= 0)
		return;
	xff = xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, xff, n + 1, WSI_TOKEN_X_FORWARDED_FOR) >= 0)
		(void)netaddr_forwarded(&trusted, xff, buf, size);
	free(xff);
}

/* ---- lingering close ------------------------------------------------------ */

static void
linger_end(struct lingerer *l)
{
	ev_io_stop(loop, &l->io);
	close(l->fd);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		lingers = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	free(l);
	nopen--;
	resume();
}

static void
linger_read(struct ev_loop *lp, ev_io *w, int revents)
{
	struct lingerer	*l = w->data;
	char		 buf[16384];
	ssize_t		 n;

	for (;;) {
		n = recvfrom(l->fd, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || (size_t)n >= l->left) {
			linger_end(l);
			return;
		}
		l->left -= (size_t)n;
	}
}

/*
 * Keep fd, a duplicate of the socket, open after lws closes its own,
 * reading and discarding, so the client's unread input does not turn the
 * close into a reset that destroys the answer before it is read.
 */
static void
linger_start(struct netconn *c, int fd)
{
	struct lingerer	*l;

	shutdown(fd, SHUT_WR);
	l = xcalloc(1, sizeof *l);
	l->fd = fd;
	l->deadline = now_coarse() + LINGER_SECS;
	l->left = LINGER_BYTES > c->discarded ? LINGER_BYTES - c->discarded : 1;
	ev_io_init(&l->io, linger_read, fd, EV_READ);
	l->io.data = l;
	ev_io_start(loop, &l->io);
	if ((l->next = lingers) != NULL)
		lingers->prev = l;
	lingers = l;
	nopen++;
}

/* ---- timeouts --------------------------------------------------------------- */

static void
kill_conn(struct netconn *c)
{
	/* Frees c (netconn_destroyed). */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/* 408 for a head or body that came too slowly; silence for an idle one. */
static void
timed_out(struct netconn *c, const char *what)
{
	if (what != NULL && !lws_partial_buffered(c->wsi)) {
		c->status = 408;
		c->code = "request_timeout";
		snprintf(c->detail, sizeof c->detail, "%s", what);
		refuse_now(c);
	}
	kill_conn(c);
}

static void
sweep(struct ev_loop *lp, ev_timer *w, int revents)
{
	struct netconn	*c, *next;
	struct lingerer	*l, *lnext;
	double		 now = now_coarse(), due;
	char		 what[96];

	for (c = conns; c != NULL; c = next) {
		next = c->next;
		if (c->mode == M_BODY) {
			due = c->body_start + cfg.http_body_timeout +
			    (double)c->body_len / (double)cfg.http_body_min_rate;
			if (c->t_rx + cfg.http_body_timeout < due)
				due = c->t_rx + cfg.http_body_timeout;
			if (now > due) {
				snprintf(what, sizeof what, "the request body "
				    "did not arrive in time (%llu of %llu bytes)",
				    c->body_len - c->body_left, c->body_len);
				timed_out(c, what);
			}
			continue;
		}
		if (c->mode != M_HEAD || c->passed > c->done || c->pending)
			continue;
		if (c->hc.seen > 0) {
			if (now > c->t_head + cfg.http_header_timeout)
				timed_out(c, "the request head did not arrive "
				    "in time");
		} else if (c->passed == 0) {
			if (now > c->t_open + cfg.http_header_timeout)
				timed_out(c, NULL);
		} else if (now > c->t_done + cfg.http_keepalive_timeout)
			timed_out(c, NULL);
	}
	for (l = lingers; l != NULL; l = lnext) {
		lnext = l->next;
		if (now > l->deadline)
			linger_end(l);
	}
}

/* ---- listening and accepting ------------------------------------------------ */

static int
listener_limit(const struct listener *li)
{
	return li->is_unix ? limit + UNIX_HEADROOM : limit;
}

static void
listener_stop(struct listener *li)
{
	if (!li->stopped) {
		ev_io_stop(loop, &li->io);
		li->stopped = 1;
	}
}

/* Start listeners stopped at the limit once there is room again. */
static void
resume(void)
{
	struct listener	*li;

	if (!accepting || ev_is_active(&resume_timer))
		return;
	for (int i = 0; i < nlisteners; i++) {
		li = &listeners[i];
		if (li->stopped && nopen < listener_limit(li)) {
			ev_io_start(loop, &li->io);
			li->stopped = 0;
		}
	}
}

static void
resume_cb(struct ev_loop *lp, ev_timer *w, int revents)
{
	ev_timer_stop(lp, w);
	resume();
}

/* Out of descriptors: accept nothing for a moment (never spin). */
static void
pause_accepting(const char *why)
{
	unsigned long	 quiet;

	for (int i = 0; i < nlisteners; i++)
		listener_stop(&listeners[i]);
	ev_timer_stop(loop, &resume_timer);
	ev_timer_set(&resume_timer, ACCEPT_PAUSE, 0);
	ev_timer_start(loop, &resume_timer);
	if (ratelog_ok(&log_accept, &quiet))
		log_warn("accept: %s; not accepting for %.1f s (%d open, "
		    "%lu more like this not logged)", why, ACCEPT_PAUSE, nopen,
		    quiet);
}

/* Too many from one address: answer 429 and close, with no linger. */
static void
over_cap(int fd, int tls, const char *key)
{
	char		 buf[4096], detail[128];
	unsigned long	 quiet;

	(void)recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL);
	snprintf(detail, sizeof detail, "more than %d connections are open "
	    "from this address", cfg.max_conns_per_addr);
	/* Before a handshake there is no way to answer a TLS client. */
	if (!tls)
		answer(fd, NULL, 429, "too_many_connections", detail, 1);
	close(fd);
	if (ratelog_ok(&log_addr, &quiet))
		log_warn("accept: %d connections from %s; refusing more "
		    "(%lu more refusals not logged)", cfg.max_conns_per_addr,
		    key, quiet);
}

static void
adopt(struct listener *li, int fd, const struct sockaddr_storage *ss)
{
	struct netconn	*c;
	struct addr	*a;
	struct lws	*wsi;
	char		 key[INET6_ADDRSTRLEN + 8];

	if (fd >= ntable) {
		close(fd);
		return;
	}
	peer_key(fd, li->is_unix, ss, key, sizeof key);
	a = addr_get(key);
	/* A trusted proxy carries many clients: they are capped there. */
	if (cfg.max_conns_per_addr > 0 && a->n >= cfg.max_conns_per_addr &&
	    !netaddrs_match(&trusted, key)) {
		over_cap(fd, li->tls, key);
		return;
	}
	a->n++;
	c = xcalloc(1, sizeof *c);
	if (!li->is_unix)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		    sizeof(int));
	c->fd = fd;
	c->linger_fd = -1;
	c->is_unix = li->is_unix;
	c->tls = li->tls;
	c->addr = a;
	c->t_open = now_coarse();
	table[fd] = c;
	nopen++;
	if ((wsi = lws_adopt_socket_vhost(li->vhost, fd)) == NULL) {
		/* lws closed fd. */
		table[fd] = NULL;
		addr_put(a);
		free(c);
		nopen--;
		return;
	}
	c->wsi = wsi;
	lws_set_opaque_user_data(wsi, c);
	metrics_connection(1);
	if ((c->next = conns) != NULL)
		conns->prev = c;
	conns = c;
}

static void
accept_cb(struct ev_loop *lp, ev_io *w, int revents)
{
	struct listener		*li = w->data;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	unsigned long		 quiet;
	int			 fd;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		if (nopen >= listener_limit(li)) {
			listener_stop(li);
			if (ratelog_ok(&log_limit, &quiet))
				log_warn("accept: %d connections open, the "
				    "limit; not accepting until one closes "
				    "(%lu more like this not logged)", nopen,
				    quiet);
			return;
		}
		len = sizeof ss;
		fd = accept4(li->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
			case EINTR:
				return;
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
				continue;
			default:
				pause_accepting(strerror(errno));
				return;
			}
		}
		adopt(li, fd, &ss);
	}
}

static int
listener_add(int fd, int is_unix, int tls, struct lws_vhost *vh)
{
	struct listener	*li = &listeners[nlisteners++];

	li->fd = fd;
	li->is_unix = is_unix;
	li->tls = tls;
	li->vhost = vh;
	ev_io_init(&li->io, accept_cb, fd, EV_READ);
	li->io.data = li;
	ev_io_start(loop, &li->io);
	accepting = 1;
	return 0;
}

int
netconn_listen_tcp(const char *host, int port, int tls, struct lws_vhost *vh,
    char **cause)
{
	struct addrinfo	 hints, *res = NULL;
	char		 service[16];
	int		 fd, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	hints.ai_family = host[0] == '\0' ? AF_INET : AF_UNSPEC;
	snprintf(service, sizeof service, "%d", port);
	if ((rc = getaddrinfo(host[0] == '\0' ? NULL : host, service, &hints,
	    &res)) != 0) {
		*cause = xasprintf("cannot resolve \"%s\": %s", host,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		*cause = xasprintf("cannot listen on port %d: %s", port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return listener_add(fd, 0, tls, vh);
}

int
netconn_listen_unix(const char *path, struct lws_vhost *vh, char **cause)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy_(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		*cause = xasprintf("socket path \"%s\" is too long", path);
		return -1;
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    chmod(path, 0666) != 0 || listen(fd, SOMAXCONN) != 0) {
		*cause = xasprintf("cannot listen on \"%s\": %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return listener_add(fd, 1, 0, vh);
}

/*
 * Tables come from the open-files limit; the reserve keeps descriptors
 * for the database connections, files and outgoing requests.
 */
int
netconn_init(struct ev_loop *lp, char **cause)
{
	struct rlimit	 rl;
	int		 reserve;

	loop = lp;
	on_loop = 1;
	if (cfg.trusted_proxies != NULL &&
	    netaddrs_parse(cfg.trusted_proxies, &trusted, cause) != 0)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1 << 20))
		rl.rlim_cur = 1 << 20;
	ntable = (int)rl.rlim_cur;
	reserve = 64 + 2 * (cfg.workers + cfg.stream_workers + 2) +
	    cfg.webhook_concurrency;
	limit = ntable - reserve;
	if (limit < 16) {
		*cause = xasprintf("the open-files limit (%d) leaves no room for "
		    "connections; raise it (ulimit -n, LimitNOFILE)", ntable);
		return -1;
	}
	table = xcalloc((size_t)ntable, sizeof *table);
	for (naddrs = 64; naddrs < (size_t)limit; naddrs *= 2)
		;
	addrs = xcalloc(naddrs, sizeof *addrs);
	ev_timer_init(&sweep_timer, sweep, SWEEP_SECS, SWEEP_SECS);
	ev_timer_start(loop, &sweep_timer);
	ev_timer_init(&resume_timer, resume_cb, ACCEPT_PAUSE, 0);
	log_info("connections: at most %d (open-files limit %d, %d reserved)",
	    limit, ntable, reserve);
	return 0;
}

void
netconn_stop_accepting(void)
{
	if (loop == NULL)
		return;
	accepting = 0;
	ev_timer_stop(loop, &resume_timer);
	for (int i = 0; i < nlisteners; i++)
		listener_stop(&listeners[i]);
}

void
netconn_stop(void)
{
	if (loop == NULL)
		return;
	netconn_stop_accepting();
	for (int i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
	while (lingers != NULL)
		linger_end(lingers);
	ev_timer_stop(loop, &sweep_timer);
	free(table);
	table = NULL;
	ntable = 0;
	for (size_t i = 0; i < naddrs; i++) {
		for (struct addr *a = addrs[i], *next; a != NULL; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(addrs);
	addrs = NULL;
	loop = NULL;
}

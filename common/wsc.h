/*
 * A small WebSocket client (RFC 6455) for the CLI's live views, speaking the
 * daemon's calldocker.v1 subprotocol (docs/ws.md) over its Unix socket
 * (unix:///path) or TCP (http://host:port, ws://host:port), with TLS for
 * https://host:port and wss://host:port (the certificate verified against a
 * CA file or the system store).
 *
 * Made for a poll() loop. The socket is non-blocking from the start:
 * wsc_connect() only begins the connection, the upgrade happens as the
 * loop calls wsc_read(). Messages sent before the upgrade completes are
 * held and go out right after it. Each pass of the loop:
 *
 *	pfd.fd = wsc_fd(ws); pfd.events = wsc_events(ws);
 *	poll(&pfd, 1, timeout);
 *	while ((st = wsc_read(ws, &msg, &len)) == WSC_MESSAGE)
 *		handle(msg, len);
 *	if (st == WSC_CLOSED) ...
 *
 * Partial reads and writes are buffered; pings are answered; fragmented
 * messages are joined; a server close is answered and reported.
 */
#ifndef WSC_H
#define WSC_H

#include <stddef.h>
#include <stdint.h>

#define WSC_PROTOCOL		"calldocker.v1"
#define WSC_MAX_MESSAGE		(16 * 1024 * 1024)	/* default limit */
#define WSC_MAX_HEADERS		(16 * 1024)
#define WSC_MAX_OUT		(4 * 1024 * 1024)	/* unsent bytes */

enum wsc_status {
	WSC_AGAIN = 0,		/* nothing complete yet: poll and call again */
	WSC_MESSAGE,		/* *msg holds one complete text message */
	WSC_CLOSED,		/* the connection is over: see wsc_error() */
};

struct wsc;

/*
 * Begin connecting to host ("unix:///path", "http://h:p", "ws://h:p",
 * "https://h:p", "wss://h:p") and upgrading on path ("/ws"). cacert: the
 * PEM file TLS hosts are verified against, NULL for the system store.
 * NULL and *cause (caller frees) when the host is malformed or the
 * connection fails at once (no such socket). A certificate that does not
 * verify is reported later, by wsc_read() and wsc_error().
 */
struct wsc	*wsc_connect(const char *host, const char *path,
		    const char *cacert, char **cause);
/* Close the socket (after a best-effort close frame if open) and free. */
void		 wsc_close(struct wsc *, int code, const char *reason);
int		 wsc_fd(const struct wsc *);
/* The poll() events to wait for: POLLIN, plus POLLOUT while output waits. */
short		 wsc_events(const struct wsc *);
/* Non-zero once the upgrade has been accepted. */
int		 wsc_is_open(const struct wsc *);
/*
 * Make progress (connect, write, read) and return the next complete text
 * message: *msg is NUL-terminated and valid until the next call. Call it
 * until it returns WSC_AGAIN: several messages may be waiting.
 */
enum wsc_status	 wsc_read(struct wsc *, char **msg, size_t *len);
/* Queue a text message (copied) and write what can be written; 0 or -1. */
int		 wsc_send_text(struct wsc *, const char *, size_t);
/* Why the connection ended or failed; "" while it is fine. */
const char	*wsc_error(const struct wsc *);
/* The close code the server sent (1000, 4003, ...), 0 if none. */
int		 wsc_close_code(const struct wsc *);
/* Largest message accepted (default WSC_MAX_MESSAGE); larger closes 1009. */
void		 wsc_set_max_message(struct wsc *, size_t);

/* For tests and the fuzzer: a client without a socket, fed by hand. */
struct wsc	*wsc_new_detached(int open, const char *key);
int		 wsc_feed(struct wsc *, const void *, size_t);
/* The Sec-WebSocket-Accept value for a key (29 bytes with the NUL). */
void		 wsc_accept_key(const char *key, char out[29]);
/* Standard base64 with padding into out (4 * ((len + 2) / 3) + 1 bytes). */
void		 wsc_base64(const uint8_t *, size_t, char *);
/* Non-zero when s[0..len) is valid UTF-8. */
int		 wsc_utf8_valid(const uint8_t *, size_t);

#endif

/*
 * Unit tests for common/wsc.c against a scripted server on a Unix socket:
 * the accept key, the upgrade answer and frames delivered one byte at a
 * time, fragments, ping, close, masking, and refusals.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "wsc.h"

static char	 sock_path[108];

static int
listen_unix(void)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	int			 fd;

	snprintf(sock_path, sizeof sock_path, "/tmp/t-wsc.%d.sock", getpid());
	unlink(sock_path);
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 1) != 0)
		abort();
	return fd;
}

/* Read the client's request up to the blank line; its key in key. */
static void
read_request(int fd, char *req, size_t size, char key[25])
{
	size_t		 n = 0;
	const char	*k;

	while (n + 1 < size && read(fd, req + n, 1) == 1) {
		n++;
		req[n] = '\0';
		if (n >= 4 && strcmp(req + n - 4, "\r\n\r\n") == 0)
			break;
	}
	key[0] = '\0';
	if ((k = strstr(req, "Sec-WebSocket-Key: ")) != NULL)
		snprintf(key, 25, "%.24s", k + 19);
}

/* Write one byte at a time, driving the client in between. */
static void
trickle(int fd, struct wsc *ws, const void *p, size_t n, char **got,
    int *ngot)
{
	char	*msg;
	size_t	 len;

	for (size_t i = 0; i < n; i++) {
		if (write(fd, (const char *)p + i, 1) != 1)
			abort();
		while (wsc_read(ws, &msg, &len) == WSC_MESSAGE)
			got[(*ngot)++] = strdup(msg);
	}
}

static void
test_accept_key(void)
{
	char	 out[29];

	/* RFC 6455 section 1.3. */
	wsc_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
	is_str(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "the RFC's example key");
}

static void
test_utf8(void)
{
	ok(wsc_utf8_valid((const uint8_t *)"h\xc3\xa9llo \xe2\x82\xac", 11),
	    "valid UTF-8");
	ok(!wsc_utf8_valid((const uint8_t *)"\xc0\xaf", 2), "overlong refused");
	ok(!wsc_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3),
	    "surrogate refused");
	ok(!wsc_utf8_valid((const uint8_t *)"\xe2\x82", 2), "truncated refused");
}

static void
test_session(void)
{
	static const char	 frames[] =
	    "\x81\x05hello"			/* one frame */
	    "\x01\x03" "abc" "\x89\x02hi"	/* fragment, ping in between */
	    "\x80\x03" "def"			/* last fragment */
	    "\x88\x06\x03\xe8" "done";	/* close 1000 "done" */
	char			 req[2048], key[25], acc[29], resp[512], *got[8];
	char			*cause = NULL, *msg;
	unsigned char		 in[256];
	struct wsc		*ws;
	size_t			 len;
	ssize_t			 n;
	int			 lfd, fd, ngot = 0;

	lfd = listen_unix();
	snprintf(req, sizeof req, "unix://%s", sock_path);
	ws = wsc_connect(req, "/ws", NULL, &cause);
	ok(ws != NULL, "wsc_connect starts");
	if (ws == NULL)
		return;
	ok(wsc_send_text(ws, "{\"type\":\"auth\"}", 15) == 0,
	    "a message may be queued before the upgrade");
	fd = accept(lfd, NULL, NULL);
	is_int(wsc_read(ws, &msg, &len), WSC_AGAIN, "nothing yet");
	read_request(fd, req, sizeof req, key);
	ok(strncmp(req, "GET /ws HTTP/1.1\r\n", 18) == 0, "request line");
	ok(strstr(req, "Sec-WebSocket-Protocol: calldocker.v1\r\n") != NULL,
	    "offers calldocker.v1");
	is_int(strlen(key), 24, "a 16-byte key in base64");
	ok(!wsc_is_open(ws), "not open before the answer");

	wsc_accept_key(key, acc);
	snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\n"
	    "upgrade: WebSocket\r\nconnection: upgrade\r\n"
	    "sec-websocket-accept: %s\r\nsec-websocket-protocol: "
	    "calldocker.v1\r\n\r\n", acc);
	trickle(fd, ws, resp, strlen(resp), got, &ngot);
	ok(wsc_is_open(ws), "open after the answer, one byte at a time");

	/* The held message went out masked. */
	n = read(fd, in, sizeof in);
	is_int(n, 2 + 4 + 15, "the held frame: header, mask, payload");
	is_int(in[0], 0x81, "FIN and text");
	is_int(in[1], 0x80 | 15, "masked, length 15");
	for (int i = 0; i < 15; i++)
		in[6 + i] ^= in[2 + (i & 3)];
	ok(memcmp(in + 6, "{\"type\":\"auth\"}", 15) == 0, "unmasks to the text");

	trickle(fd, ws, frames, sizeof frames - 1, got, &ngot);
	is_int(ngot, 2, "two messages");
	if (ngot == 2) {
		is_str(got[0], "hello", "a single frame");
		is_str(got[1], "abcdef", "fragments joined across a ping");
	}
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "closed by the server");
	is_int(wsc_close_code(ws), 1000, "close code");
	ok(strstr(wsc_error(ws), "1000 done") != NULL, "reason reported");
	n = read(fd, in, sizeof in);
	ok(n >= 6 + 2 + 6 + 2 && in[0] == 0x8a && in[6 + 2] == 0x88,
	    "a pong, then the close echoed");
	while (ngot > 0)
		free(got[--ngot]);
	wsc_close(ws, 1000, NULL);
	close(fd);
	close(lfd);
	unlink(sock_path);
}

/* The server answers with resp; the client must fail with why in its error. */
static void
refused(const char *resp, const char *why, const char *what)
{
	char		 req[2048], key[25], host[128], *cause = NULL, *msg;
	struct wsc	*ws;
	size_t		 len;
	int		 lfd, fd, st;

	lfd = listen_unix();
	snprintf(host, sizeof host, "unix://%s", sock_path);
	ws = wsc_connect(host, "/ws", NULL, &cause);
	fd = accept(lfd, NULL, NULL);
	wsc_read(ws, &msg, &len);
	read_request(fd, req, sizeof req, key);
	if (write(fd, resp, strlen(resp)) < 0)
		abort();
	close(fd);
	while ((st = wsc_read(ws, &msg, &len)) == WSC_AGAIN)
		poll(NULL, 0, 1);
	is_int(st, WSC_CLOSED, "%s: closed", what);
	if (strstr(wsc_error(ws), why) == NULL)
		printf("#   error: %s\n", wsc_error(ws));
	ok(strstr(wsc_error(ws), why) != NULL, "%s: says why", what);
	wsc_close(ws, 1000, NULL);
	close(lfd);
	unlink(sock_path);
}

static void
test_refusals(void)
{
	char	*cause = NULL;

	refused("HTTP/1.1 400 Bad Request\r\ncontent-type: application/"
	    "problem+json\r\ncontent-length: 55\r\n\r\n{\"detail\": \"use "
	    "Sec-WebSocket-Protocol: calldocker.v1\"}", "HTTP 400: use "
	    "Sec-WebSocket-Protocol", "a 400");
	refused("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
	    "connection: upgrade\r\nsec-websocket-accept: AAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAA=\r\nsec-websocket-protocol: calldocker.v1\r\n\r\n",
	    "Sec-WebSocket-Accept is wrong", "a wrong accept key");
	refused("HTTP/1.1 200 OK\r\n", "closed the connection", "a cut answer");
	ok(wsc_connect("unix:///nonexistent/x.sock", "/ws", NULL, &cause) == NULL &&
	    cause != NULL && strstr(cause, "No such file") != NULL,
	    "a missing socket fails at once");
	free(cause);
	cause = NULL;
	ok(wsc_connect("ftp://example.com", "/ws", NULL, &cause) == NULL &&
	    cause != NULL && strstr(cause, "http(s)://") != NULL,
	    "another scheme is refused");
	free(cause);
}

static void
test_limits(void)
{
	struct wsc	*ws = wsc_new_detached(1, NULL);
	char		*msg;
	size_t		 len;

	wsc_set_max_message(ws, 10);
	wsc_feed(ws, "\x01\x06" "abcdef" "\x80\x06" "ghijkl", 16);
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "a message over the limit");
	ok(strstr(wsc_error(ws), "over 10 bytes") != NULL, "says so");
	wsc_close(ws, 1000, NULL);

	ws = wsc_new_detached(1, NULL);
	wsc_feed(ws, "\x81\x82\x00\x00\x00\x00hi", 8);
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "a masked server frame");
	wsc_close(ws, 1000, NULL);

	ws = wsc_new_detached(1, NULL);
	wsc_feed(ws, "\x81\x02\xc3\x28", 4);
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "text that is not UTF-8");
	wsc_close(ws, 1000, NULL);

	ws = wsc_new_detached(1, NULL);
	wsc_feed(ws, "\x82\x01x", 3);
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "a binary message");
	wsc_close(ws, 1000, NULL);

	ws = wsc_new_detached(1, NULL);
	wsc_feed(ws, "\x09\x00", 2);
	is_int(wsc_read(ws, &msg, &len), WSC_CLOSED, "a fragmented ping");
	wsc_close(ws, 1000, NULL);
}

int
main(void)
{
	test_accept_key();
	test_utf8();
	test_session();
	test_refusals();
	test_limits();
	return unit_done();
}

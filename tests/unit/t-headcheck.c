/* Unit tests for daemon/headcheck.c: raw request heads, good and bad. */
#include <string.h>

#include "headcheck.h"
#include "unit.h"

/* Feed s whole, or byte by byte when split: the verdict must not differ. */
static int
check(const char *s, int split, struct headcheck *hc)
{
	size_t		 len = strlen(s), used;
	enum hc_result	 r = HC_MORE;

	headcheck_reset(hc);
	if (!split)
		r = headcheck_feed(hc, (const unsigned char *)s, len, &used);
	for (size_t i = 0; split && i < len && r == HC_MORE; i++)
		r = headcheck_feed(hc, (const unsigned char *)s + i, 1, &used);
	return r == HC_DONE ? 0 : r == HC_BAD ? hc->status : -1;
}

static const struct {
	const char	*head;
	int		 want;	/* 0 good, -1 incomplete, else the status */
} cases[] = {
	{ "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
	{ "GET /health HTTP/1.0\r\n\r\n", 0 },
	{ "GET /a?b=%2F&c=%26 HTTP/1.1\nHost: x\n\n", 0 },
	{ "GET /a/.b/..c/... HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
	{ "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", 0 },
	{ "GET /health HTTP/1.1\r\nHost: x\r\n", -1 },
	{ "GET /api/users/%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /api%2fusers HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a/%2e%2E/b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a/. HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a/..?x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a?x=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a?x=%g0 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a% HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /a;b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
	{ "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
	{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
	{ "GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nA : b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n", 400 },
	{ "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\r\n", 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	  "Content-Length: 2\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	  "Content-Length: 1\r\n\r\n", 0 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 1\r\n\r\n", 400 },
	/* Long runs, taken in bulk: what is inside them still counts. */
	{ "GET / HTTP/1.1\r\nHost: x\r\nX-T: abcdefghijklmnop\001qrs\r\n\r\n",
	  400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX-T: abcdefghijklmnop\177qrs\r\n\r\n",
	  400 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX-T: abcdefgh\tijklmnop qrstuvwx\r\n"
	  "\r\n", 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX-T: abcdefghijklmnop\303\251qrstuvw\r\n"
	  "\r\n", 0 },
	{ "GET /api/v1/..hidden/a.b HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
	{ "GET /api/v1/users/../x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "GET /api/v1/users?limit=5&after=abc#frag HTTP/1.1\r\nHost: x\r\n\r\n",
	  400 },
	{ "GET /api/v1/users HTTP/1.1\r\nHost: a-rather-long-host.example.com:8443"
	  "\r\nX-Extremely-Long-Header-Name-Here: v\r\n\r\n", 0 },
	{ "GET /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length:   12  \r\n"
	  "\r\n", 0 },
};

static void
test_cases(void)
{
	struct headcheck	 hc;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		is_int(check(cases[i].head, 0, &hc), cases[i].want,
		    "case %zu, whole", i);
		is_int(check(cases[i].head, 1, &hc), cases[i].want,
		    "case %zu, byte by byte", i);
	}
}

static void
test_limits(void)
{
	static char		 buf[40000];
	struct headcheck	 hc;
	size_t			 n;

	n = (size_t)snprintf(buf, sizeof buf, "GET /?x=");
	memset(buf + n, 'a', 9000);
	strcpy(buf + n + 9000, " HTTP/1.1\r\nHost: x\r\n\r\n");
	is_int(check(buf, 0, &hc), 414, "a 9000-byte query is 414");
	is_str(hc.code, "uri_too_long", "its code");

	n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: x\r\n"
	    "X: ");
	memset(buf + n, 'b', 17000);
	strcpy(buf + n + 17000, "\r\n\r\n");
	is_int(check(buf, 0, &hc), 431, "a 17000-byte field is 431");

	n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "X%d: y\r\n", i);
	strcpy(buf + n, "\r\n");
	is_int(check(buf, 0, &hc), 431, "51 fields are 431");

	strcpy(buf, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
	    "Upgrade: websocket\r\n\r\nGET");
	ok(check(buf, 0, &hc) == 0 && hc.have_clen && hc.clen == 7 &&
	    hc.upgrade, "Content-Length and Upgrade are noted");
}

int
main(void)
{
	test_cases();
	test_limits();
	return unit_done();
}

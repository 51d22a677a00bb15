/* Unit tests for common/netaddr.c: trusted-proxy lists and X-Forwarded-For. */
#include <stdio.h>
#include <stdlib.h>

#include "netaddr.h"
#include "unit.h"

static struct netaddrs
parse_ok(const char *s)
{
	struct netaddrs	 l;
	char		*cause = NULL;

	ok(netaddrs_parse(s, &l, &cause) == 0, "parses \"%s\"%s%s", s,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	return l;
}

static void
test_parse(void)
{
	static const char *bad[] = {
		"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "300.1.1.1",
		"10.0.0.1:80", "[::1]", "::1/129", "fe80::1/8", "host.example",
		"10.0.0.0/8x",
	};
	struct netaddrs	 l;
	char		*cause;

	l = parse_ok("");
	is_int((int)l.n, 0, "empty: no entries");
	l = parse_ok(" 10.0.0.0/8, 192.0.2.7 ::1\tfd00::/8 ");
	is_int((int)l.n, 4, "commas, spaces and tabs separate");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ok(netaddrs_parse(bad[i], &l, &cause) == -1 && cause != NULL,
		    "refuses \"%s\"", bad[i]);
		free(cause);
	}
}

static void
test_match(void)
{
	struct netaddrs	 l = parse_ok("10.0.0.0/8 192.0.2.7 fd00::/8 0.0.0.0/32");

	ok(netaddrs_match(&l, "10.200.3.4"), "inside a /8");
	ok(!netaddrs_match(&l, "11.0.0.1"), "outside it");
	ok(netaddrs_match(&l, "192.0.2.7"), "a single address");
	ok(!netaddrs_match(&l, "192.0.2.8"), "its neighbour is not");
	ok(netaddrs_match(&l, "::ffff:10.1.1.1"), "IPv4-mapped IPv6 matches IPv4");
	ok(netaddrs_match(&l, "fdab::1"), "an IPv6 prefix");
	ok(!netaddrs_match(&l, "fe00::1"), "outside the IPv6 prefix");
	ok(!netaddrs_match(&l, "unix"), "not an address");
	l = parse_ok("");
	ok(!netaddrs_match(&l, "10.0.0.1"), "an empty list trusts nobody");
	l = parse_ok("::ffff:10.0.0.0/104");
	ok(netaddrs_match(&l, "10.9.9.9"), "a mapped prefix in IPv6 bits");
}

static void
test_forwarded(void)
{
	static const struct {
		const char	*xff;
		const char	*want;	/* NULL: none */
	} cases[] = {
		{ "203.0.113.9", "203.0.113.9" },
		{ "198.51.100.1, 203.0.113.9", "203.0.113.9" },
		/* Right to left past the trusted ones. */
		{ "198.51.100.1, 203.0.113.9, 10.0.0.5", "203.0.113.9" },
		{ "1.1.1.1,10.0.0.5 , 10.1.1.1", "1.1.1.1" },
		{ "10.0.0.5", NULL },
		{ "", NULL },
		{ " , ", NULL },
		/* What a client made up to the left does not matter... */
		{ "garbage, 203.0.113.9", "203.0.113.9" },
		/* ...but an unreadable entry where the client should be does. */
		{ "203.0.113.9, unknown", NULL },
		{ "203.0.113.9:4711", "203.0.113.9" },
		{ "[2001:db8::1]:4711", "2001:db8::1" },
		{ "2001:DB8::0:1", "2001:db8::1" },
		{ "::ffff:203.0.113.9", "203.0.113.9" },
		{ "[2001:db8::1", NULL },
	};
	struct netaddrs	 l = parse_ok("10.0.0.0/8");
	char		 buf[64];
	int		 rc;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf[0] = '\0';
		rc = netaddr_forwarded(&l, cases[i].xff, buf, sizeof buf);
		if (cases[i].want == NULL)
			ok(rc == -1, "\"%s\": no client (got \"%s\")",
			    cases[i].xff, buf);
		else {
			ok(rc == 0, "\"%s\": a client", cases[i].xff);
			is_str(buf, cases[i].want, "\"%s\": the client",
			    cases[i].xff);
		}
	}
}

int
main(void)
{
	test_parse();
	test_match();
	test_forwarded();
	return unit_done();
}

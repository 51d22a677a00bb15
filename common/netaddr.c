/*
 * Trusted proxies and X-Forwarded-For (netaddr.h). Addresses are kept as
 * 16 bytes, IPv4 mapped into IPv6 (::ffff:a.b.c.d), so one comparison of
 * prefix bits serves both families and a peer that an IPv6 listener
 * reports as ::ffff:127.0.0.1 matches 127.0.0.1.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"
#include "xmalloc.h"

#define SEPARATORS	", \t"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* IPv4 or IPv6 text, nothing around it. */
static int
addr_pton(const char *s, unsigned char a[16])
{
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, v4mapped, sizeof v4mapped);
		return 0;
	}
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

/*
 * One address of len bytes at s: IPv4, IPv6, or either with a port as
 * X-Forwarded-For entries sometimes carry them ("192.0.2.1:4711",
 * "[2001:db8::1]:4711").
 */
static int
addr_parse(const char *s, size_t len, unsigned char a[16])
{
	char		 buf[NETADDR_TEXT + 8];
	const char	*close;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		if ((close = strchr(buf, ']')) == NULL ||
		    (close[1] != '\0' && close[1] != ':'))
			return -1;
		memmove(buf, buf + 1, (size_t)(close - buf - 1));
		buf[close - buf - 1] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1;
	}
	/* One colon: IPv4 with a port; more: IPv6. */
	if ((close = strchr(buf, ':')) != NULL && strchr(close + 1, ':') == NULL)
		buf[close - buf] = '\0';
	return addr_pton(buf, a);
}

static int
is_v4(const unsigned char a[16])
{
	return memcmp(a, v4mapped, sizeof v4mapped) == 0;
}

static int
prefix_match(const struct netaddr_prefix *p, const unsigned char a[16])
{
	int		 full = p->bits / 8, rest = p->bits % 8;
	unsigned char	 mask;

	if (memcmp(p->a, a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (p->a[full] & mask) == (a[full] & mask);
}

static int
list_match(const struct netaddrs *l, const unsigned char a[16])
{
	for (size_t i = 0; i < l->n; i++) {
		if (prefix_match(&l->v[i], a))
			return 1;
	}
	return 0;
}

/* "ADDR" or "ADDR/BITS" (no ports here). */
static int
prefix_parse(const char *s, size_t len, struct netaddr_prefix *p)
{
	const char	*slash = memchr(s, '/', len);
	size_t		 alen = slash != NULL ? (size_t)(slash - s) : len;
	char		 buf[NETADDR_TEXT];
	int		 bits = -1, max, v6;

	if (alen == 0 || alen >= sizeof buf)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_pton(buf, p->a) != 0)
		return -1;
	/* Bits count in the family the address is written in. */
	v6 = strchr(buf, ':') != NULL;
	max = v6 ? 128 : 32;
	if (slash != NULL) {
		bits = 0;
		for (const char *d = slash + 1; d < s + len; d++) {
			if (*d < '0' || *d > '9' || bits > max)
				return -1;
			bits = bits * 10 + (*d - '0');
		}
		if (slash + 1 == s + len || bits > max)
			return -1;
	} else
		bits = max;
	p->bits = v6 ? bits : bits + 96;
	/* Host bits must be zero: "10.1.2.3/8" is a typo for something. */
	for (int b = p->bits; b < 128; b++) {
		if (p->a[b / 8] & (0x80 >> (b % 8)))
			return -1;
	}
	return 0;
}

int
netaddrs_parse(const char *s, struct netaddrs *l, char **cause)
{
	size_t	 len;

	l->n = 0;
	for (s += strspn(s, SEPARATORS); *s != '\0'; s += strspn(s, SEPARATORS)) {
		len = strcspn(s, SEPARATORS);
		if (l->n == NETADDR_MAX) {
			*cause = xasprintf("more than %d entries", NETADDR_MAX);
			return -1;
		}
		if (prefix_parse(s, len, &l->v[l->n]) != 0) {
			*cause = xasprintf("\"%.*s\" is not an address or an "
			    "ADDRESS/BITS prefix with the host bits zero",
			    len > 64 ? 64 : (int)len, s);
			return -1;
		}
		l->n++;
		s += len;
	}
	return 0;
}

int
netaddrs_match(const struct netaddrs *l, const char *addr)
{
	unsigned char	 a[16];

	if (l->n == 0 || addr_parse(addr, strlen(addr), a) != 0)
		return 0;
	return list_match(l, a);
}

int
netaddr_forwarded(const struct netaddrs *l, const char *xff, char *buf,
    size_t size)
{
	unsigned char	 a[16];
	const char	*end = xff + strlen(xff), *start;
	size_t		 len;

	/* From the right: each trusted proxy appended the address it saw. */
	while (end > xff) {
		while (end > xff && strchr(SEPARATORS, end[-1]) != NULL)
			end--;
		if (end == xff)
			break;
		for (start = end; start > xff && start[-1] != ','; start--)
			;
		len = (size_t)(end - start);
		while (len > 0 && (*start == ' ' || *start == '\t')) {
			start++;
			len--;
		}
		if (addr_parse(start, len, a) != 0)
			return -1;
		if (!list_match(l, a)) {
			if (is_v4(a))
				inet_ntop(AF_INET, a + 12, buf, (socklen_t)size);
			else
				inet_ntop(AF_INET6, a, buf, (socklen_t)size);
			return 0;
		}
		end = start;
	}
	return -1;
}

/*
 * Client addresses behind reverse proxies: a list of trusted proxies
 * (addresses and CIDR prefixes, IPv4 and IPv6; setting trusted_proxies),
 * and the client a request came from, read from X-Forwarded-For only when
 * the TCP peer is one of them.
 */
#ifndef NETADDR_H
#define NETADDR_H

#include <stddef.h>

#define NETADDR_MAX	64	/* prefixes in one list */
#define NETADDR_TEXT	46	/* INET6_ADDRSTRLEN */

struct netaddr_prefix {
	unsigned char	 a[16];	/* IPv4 as IPv4-mapped IPv6 */
	int		 bits;	/* of the 128 */
};

struct netaddrs {
	struct netaddr_prefix	 v[NETADDR_MAX];
	size_t			 n;
};

/*
 * "10.0.0.0/8, 192.0.2.7 ::1 fd00::/8": separated by commas or spaces.
 * 0 or -1 with *cause set (the bad entry quoted).
 */
int	netaddrs_parse(const char *, struct netaddrs *, char **cause);
/* Whether an address in text (IPv4, IPv6, IPv4-mapped IPv6) is listed. */
int	netaddrs_match(const struct netaddrs *, const char *addr);
/*
 * The client behind the trusted proxies: the right-most address of an
 * X-Forwarded-For value that is not itself a trusted proxy, written in its
 * canonical text into buf. -1 when there is none, or when that entry is
 * not an address (the caller keeps the TCP peer's).
 */
int	netaddr_forwarded(const struct netaddrs *, const char *xff,
	    char *buf, size_t size);

#endif

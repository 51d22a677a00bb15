/* Unit tests for the SSRF guard of outgoing requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "fetch.h"

static int
refused(const char *addr)
{
	struct sockaddr_in	 in4;
	struct sockaddr_in6	 in6;

	memset(&in4, 0, sizeof in4);
	memset(&in6, 0, sizeof in6);
	if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return fetch_address_refused((struct sockaddr *)&in4);
	}
	inet_pton(AF_INET6, addr, &in6.sin6_addr);
	in6.sin6_family = AF_INET6;
	return fetch_address_refused((struct sockaddr *)&in6);
}

int
main(void)
{
	static const char *const no[] = { "127.0.0.1", "127.255.0.9",
	    "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	    "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
	    "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
	    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1" };
	static const char *const yes[] = { "8.8.8.8", "1.1.1.1", "172.32.0.1",
	    "192.169.0.1", "100.128.0.1", "2001:4860:4860::8888",
	    "::ffff:8.8.8.8" };

	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		ok(refused(no[i]), "%s is refused", no[i]);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		ok(!refused(yes[i]), "%s is allowed", yes[i]);
	return unit_done();
}

/*
 * libFuzzer: X-Forwarded-For values (network input) and trusted_proxies
 * lists. The first line of the input is the list, the rest the header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netaddrs	 l;
	char		*s, *nl, *xff, *cause = NULL, buf[64];

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		xff = nl + 1;
	} else
		xff = s;
	if (netaddrs_parse(s, &l, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		l.n = 0;
	}
	if (netaddr_forwarded(&l, xff, buf, sizeof buf) == 0) {
		/* What it answers is an address, and not a trusted one. */
		if (strlen(buf) == 0 || netaddrs_match(&l, buf))
			abort();
	}
	(void)netaddrs_match(&l, xff);
	free(s);
	return 0;
}

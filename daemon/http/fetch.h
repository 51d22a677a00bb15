/*
 * Outgoing HTTP requests the daemon makes on behalf of a company (IVR http
 * nodes now, webhooks later), with the SSRF guard: only http and https,
 * no redirects, and addresses that are loopback, private, link-local,
 * shared, multicast or unspecified refused unless outbound_allow_private
 * is set. The address checked is the address connected to. Blocking: run
 * it on a worker, never on the loop.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>

struct sockaddr;

struct fetch_header {
	const char	*name;
	const char	*value;
};

struct fetch_result {
	long		 status;	/* 0: no answer */
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	char		 error[128];	/* when status is 0 */
};

/* Returns 0 with an answer, -1 with result->error. Caller frees body. */
int	fetch(const char *method, const char *url,
	    const struct fetch_header *, size_t nheaders, const char *body,
	    int timeout, size_t max_body, struct fetch_result *);
/* Is this address one the guard refuses? (For tests.) */
int	fetch_address_refused(const struct sockaddr *);

#endif

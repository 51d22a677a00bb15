/*
 * Requests between the nodes of a cluster (docs/cluster.md, "Forwarding
 * to the owner"): a POST signed with HMAC-SHA256 under a key derived from
 * the cluster's signing key, over a keep-alive connection per thread.
 * Blocking: run it on a worker, never on the loop.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>
#include <time.h>

/* The headers a signed request carries. */
#define PEER_NODE_HEADER	"X-Calldocker-Node"
#define PEER_DATE_HEADER	"X-Calldocker-Date"
#define PEER_SIG_HEADER		"X-Calldocker-Signature"
/* How far a request's date may be from ours, in seconds. */
#define PEER_SKEW		60

enum peer_err {
	PEER_OK,
	PEER_CONNECT,		/* no connection: nothing was sent */
	PEER_FAILED,		/* sent, but no whole answer (a timeout) */
};

struct peer_result {
	long		 status;	/* 0: no answer */
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	enum peer_err	 err;
	char		 error[128];	/* when status is 0 */
};

/* POST body (JSON) to url, signed as node self. 0 with an answer, -1 with
 * result->error. Caller frees body. */
int	peer_post(const char *url, const char *self, const char *body,
	    size_t len, struct peer_result *);
/*
 * Is sig (hex) the signature of date "\n" body, and date within PEER_SKEW
 * seconds of now? 0 yes, -1 no with *why set (a static string).
 */
int	peer_verify(const char *date, const char *sig, const char *body,
	    size_t len, time_t now, const char **why);

#endif

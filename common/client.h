/*
 * HTTP client for calldockerd's REST API, used by the CLI and the TUI. One
 * libcurl handle per client, so keep-alive connections are reused between
 * requests, over a Unix socket (unix:///path) or TCP (http(s)://host:port).
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>

#include <jansson.h>

enum client_status {
	CLIENT_OK = 0,		/* an HTTP response arrived, whatever its status */
	CLIENT_UNREACHABLE,	/* no connection: socket missing, refused, no route */
	CLIENT_FAILED,		/* connected, but the exchange failed (timeout, reset) */
	CLIENT_TLS,		/* https: the certificate did not verify, or no handshake */
};

struct client_response {
	long	 status;	/* HTTP status */
	json_t	*json;		/* parsed JSON body, NULL if none or not JSON */
	char	*body;		/* raw body, always NUL-terminated */
	size_t	 len;
	char	*location;	/* Location header or NULL */
	char	*retry_after;	/* Retry-After header or NULL */
};

struct client;

/* Parse host ("unix:///path", "http://h:p", "https://h:p"); NULL and *cause on error. */
struct client	*client_new(const char *host, char **cause);
void		 client_free(struct client *);
/* Bearer token sent with every request; NULL for none. The string is copied. */
void		 client_set_token(struct client *, const char *);
const char	*client_host(const struct client *);
/*
 * CA certificates (PEM file) that https:// hosts are verified against;
 * NULL for the system store (the default). The string is copied.
 */
void		 client_set_cacert(struct client *, const char *);
/* Seconds a whole exchange may take (default 30); 0 for the default. */
void		 client_set_timeout(struct client *, long);
/*
 * Send one request. path starts with '/' and is already escaped; body may
 * be NULL; headers is a NULL-terminated list of "Name: value" or NULL. On
 * CLIENT_OK *resp is filled and the caller frees it with
 * client_response_free; otherwise *cause says why (caller frees).
 */
enum client_status client_request(struct client *, const char *method,
		    const char *path, json_t *body, const char *const *headers,
		    struct client_response *resp, char **cause);
/* The same with a body of raw bytes of a Content-Type ("application/yaml"). */
enum client_status client_request_raw(struct client *, const char *method,
		    const char *path, const char *type, const char *body,
		    size_t len, const char *const *headers,
		    struct client_response *resp, char **cause);
void		 client_response_free(struct client_response *);
/* One-line message for an error response (RFC 9457 problem). Caller frees. */
char		*client_problem(const struct client_response *);
/* Percent-encode s for a path segment or query value. Caller frees. */
char		*client_escape(const char *s);

#endif

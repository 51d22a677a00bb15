/* The HTTP front: libwebsockets on a libev loop, TCP and Unix socket. */
#ifndef SERVER_H
#define SERVER_H

#include <time.h>

struct ev_loop;

/* When the server started, as a time and in RFC 3339. */
extern time_t	 server_started;
const char	*server_started_rfc3339(void);

int	server_start(struct ev_loop *, char **cause);
/* Stop taking new work; answer what is in flight. */
void	server_drain(void);
/* Requests accepted and not yet answered. */
int	server_inflight(void);
void	server_stop(void);

/*
 * A request's body into req (its route matched) as the route takes it:
 * JSON into req->body, YAML, signed and form bodies kept in req->raw
 * (taking *body, which has room for a NUL after len bytes). 0, or -1 with
 * resp filled (400, 415). Pure: tests/fuzz/fuzz-route.c runs it.
 */
struct request;
struct response;
int	server_parse_body(char **body, size_t len, struct request *,
	    struct response *, const char *ctype);

#endif

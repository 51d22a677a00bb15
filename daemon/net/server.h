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

#endif

/* The HTTP front: libwebsockets on a libev loop, TCP and Unix socket. */
#ifndef SERVER_H
#define SERVER_H

struct ev_loop;

int	server_start(struct ev_loop *, char **cause);
/* Stop taking new work; answer what is in flight. */
void	server_drain(void);
/* Requests accepted and not yet answered. */
int	server_inflight(void);
void	server_stop(void);

#endif

/*
 * WebSockets on /ws with the "calldocker.v1" subprotocol (docs/ws.md):
 * token authentication, then topics (queues, agents, calls) with a snapshot
 * and the event bus's deltas, scoped to the token's company and, for
 * agents, to themselves. Everything here runs on the loop thread except
 * the event-bus subscriber (which only serializes and queues) and the
 * lookups (agent ids, snapshots), jobs of type JOB_WS on the worker pool
 * (worker.h).
 */
#ifndef WS_H
#define WS_H

#include <stddef.h>

#include <libwebsockets.h>

#define WS_PROTOCOL	"calldocker.v1"
/* The per-session data is a pointer to the connection's state. */
#define WS_PSS_SIZE	sizeof(void *)

int	ws_callback(struct lws *, enum lws_callback_reasons, void *, void *,
	    size_t);
/*
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE on the HTTP protocol: a WebSocket
 * upgrade that is not to /ws or does not offer calldocker.v1 is answered
 * 400 or 404 problem+json here. Returns what that callback should return.
 */
int	ws_confirm_upgrade(struct lws *, const char *upgrade);

struct ev_loop;
void	ws_start(struct lws_context *, struct ev_loop *);
/* Before lws_context_destroy(). */
void	ws_stop(void);
/* SIGTERM: close every WebSocket with 1001 "server shutting down". */
void	ws_drain(void);
/* Connections whose close frame has not gone out yet. */
int	ws_draining(void);

/*
 * Any thread: write every agent's count of sockets here again (the node
 * may have been taken for dead: docs/cluster.md, "Agents' sockets over
 * the nodes").
 */
void	ws_presence_resync(void);

#endif

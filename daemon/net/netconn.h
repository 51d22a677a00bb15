/*
 * Connections below HTTP: listening and accepting (libwebsockets is handed
 * each accepted socket), descriptor limits, a cap per client address, the
 * raw request heads checked before lws parses them, per-phase timeouts and
 * lingering close.
 */
#ifndef NETCONN_H
#define NETCONN_H

struct ev_loop;
struct lws;
struct lws_vhost;

int	netconn_init(struct ev_loop *, char **cause);
/* tls: the vhost speaks TLS (tls.c); plain HTTP on it is refused. */
int	netconn_listen_tcp(const char *host, int port, int tls,
	    struct lws_vhost *, char **cause);
int	netconn_listen_unix(const char *path, struct lws_vhost *,
	    char **cause);
/* Stop accepting (at shutdown); netconn_stop() closes what is left. */
void	netconn_stop_accepting(void);
void	netconn_stop(void);

/*
 * May the response about to be written leave the connection open? 0 when
 * it must say "connection: close" and be the last (netconn.c, top).
 */
int	netconn_keep_alive(struct lws *);
/*
 * A response finished and the connection stays open: -1 if it must close
 * instead (a refused request behind it was answered). Call before
 * lws_http_transaction_completed().
 */
int	netconn_request_done(struct lws *);
/*
 * lws dropped the protocol: the connection may be closing (or binding it
 * again for the next request). If it closes with the client still
 * sending, read and discard what comes, a while.
 */
void	netconn_closing(struct lws *);
/* LWS_CALLBACK_WSI_DESTROY. */
void	netconn_destroyed(struct lws *);

/*
 * Did the connection come in on the Unix socket? (lws may move a connection
 * to another vhost by its Host field: the vhost does not tell.)
 */
int	netconn_is_unix(struct lws *);
/*
 * lws_http_transaction_completed(), without the round of POLLOUT lws waits
 * for before the next request: 0 to keep the connection, -1 to close it.
 */
int	netconn_transaction_completed(struct lws *);
/* lws_callback_on_writable(), called back in this turn of the loop. */
void	netconn_writable_now(struct lws *);
/* The client's address (lws_get_peer_simple()), kept per connection. */
void	netconn_peer(struct lws *, char *buf, size_t size);
/*
 * The Authorization value of this request from what lws parsed of it
 * (steals it; lift() in netconn.c says why).
 */
char	*netconn_authorization(struct lws *, char *parsed);
/* The same, or behind a trusted proxy the address it forwards for. */
void	netconn_client(struct lws *, char *buf, size_t size);

#endif

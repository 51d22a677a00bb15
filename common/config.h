/*
 * Daemon configuration: defaults, then the YAML file, then environment
 * variables, then command-line flags, each overriding the one before.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "log.h"

struct config {
	char		*config_file;	/* --config / CALLDOCKER_CONFIG */
	char		*listen;	/* --listen HOST:PORT, "" disables TCP */
	char		*socket_path;	/* --socket PATH, "" disables */
	char		*tls_cert;	/* --tls-cert PEM: TLS on the TCP port */
	char		*tls_key;	/* --tls-key PEM */
	char		*database_url;	/* --database-url */
	char		*data_dir;	/* --data-dir */
	enum log_level	 log_level;	/* --log-level */
	enum log_format	 log_format;	/* --log-format */
	int		 check_only;	/* --check-config */

	char		*jwt_secret;	/* jwt_secret / CALLDOCKER_JWT_SECRET */
	char		*jwt_issuer;	/* jwt_issuer */
	char		*jwt_audience;	/* jwt_audience */
	int		 access_ttl;	/* seconds, access_token_ttl */
	int		 refresh_ttl;	/* seconds, refresh_token_ttl */
	int		 allow_register;	/* allow_register: true|false */

	size_t		 max_body;	/* bytes, max_body_bytes */
	int		 workers;	/* database workers, workers */
	int		 stream_workers;	/* streamed bodies at once */
	double		 rate_ip;	/* requests/s per client IP, 0 = off */
	int		 rate_ip_burst;
	double		 rate_token;	/* requests/s per token, 0 = off */
	int		 rate_token_burst;
	int		 login_max_failures;	/* per account and address */
	int		 login_window;	/* seconds */
	int		 register_limit_ip;	/* sign-ups/hour per address, 0 = off */
	int		 register_limit_total;	/* sign-ups/hour in all, 0 = off */
	int		 drain_timeout;	/* seconds to drain on SIGTERM */
	int		 db_timeout;	/* seconds a database step may take */
	int		 outbound_allow_private; /* requests to private addresses */
	int		 ws_max_queue;	/* messages queued per WebSocket */
	int		 ws_ping_interval;	/* seconds, 0 = no pings */
	int		 ws_idle_timeout;	/* seconds, 0 = none */
	int		 ws_auth_timeout;	/* seconds to send "auth" */
	int		 http_header_timeout;	/* seconds for a request's head */
	int		 http_body_timeout;	/* seconds of slack for a body */
	size_t		 http_body_min_rate;	/* bytes/s a body arrives at */
	int		 http_keepalive_timeout;	/* seconds idle between requests */
	int		 max_conns_per_addr;	/* open per client address, 0 = any */
	char		*trusted_proxies;	/* X-Forwarded-For is read from */
	double		 widget_rate_ip;	/* widget sign-ins and calls/s per IP */
	int		 widget_rate_ip_burst;

	char		*stun_urls;	/* stun_urls: "stun:HOST[:PORT]", ... */
	char		*turn_urls;	/* turn_urls: "turn:HOST[:PORT]?...", ... */
	char		*turn_secret;	/* coturn static-auth-secret, secret */
	int		 turn_ttl;	/* seconds a TURN credential lasts */
	size_t		 max_upload;	/* bytes, max_upload_bytes (files) */
	size_t		 max_recording;	/* bytes, max_recording_bytes: one
					   browser recording, all pieces */
	char		*storage;	/* local | s3 */
	char		*storage_dir;	/* local: NULL for DATA_DIR/files */
	char		*s3_endpoint;	/* s3: http(s)://host[:port] */
	char		*s3_bucket;
	char		*s3_region;
	char		*s3_access_key;
	char		*s3_secret_key;	/* secret: never logged */
	char		*twilio_api_url; /* Twilio's REST API, scheme and host */
	char		*public_url;	/* public_url: https://host[:port][/prefix]
					   the daemon is reached at (webhooks) */
	int		 analytics_rollup_interval;	/* seconds; 0: off */
	int		 recording_sweep_interval;	/* seconds; 0: off */
	double		 webhook_retry_base;	/* seconds before the first retry */
	int		 webhook_max_attempts;	/* then the delivery has failed */
	int		 webhook_timeout;	/* seconds per delivery attempt */
	int		 webhook_concurrency;	/* deliveries in flight at once */
	int		 webhook_retention_days;	/* finished deliveries kept */
	int		 webhook_endpoint_concurrency;	/* in flight per endpoint */
	char		*cluster;	/* --cluster NAME: NULL or "" for none */
	char		*node_name;	/* this node's name: NULL for the host's */
	int		 cluster_lease;	/* seconds a node's heartbeat lasts */
	char		*cluster_url;	/* where peers reach this node; NULL:
					   http://HOST:PORT of --listen */
	double		 company_lease;	/* seconds a company lease lasts */
	double		 company_renew;	/* seconds between its renewals */
};

void	config_defaults(struct config *);
void	config_free(struct config *);
/*
 * Apply a YAML mapping file; on error fill *cause ("file:line:col: msg"),
 * which the caller frees. cfg may be partly updated on error.
 */
int	config_load_file(struct config *, const char *, char **cause);
/* Apply CALLDOCKER_* environment variables. */
int	config_load_env(struct config *, char **cause);
/* Set one key by its YAML name ("listen", "max_body_bytes", ...). */
int	config_set(struct config *, const char *key, const char *value,
	    char **cause);
#define CONFIG_ICE_MAX		16	/* URLs in stun_urls, in turn_urls */
#define CONFIG_TURN_MIN_SECRET	16	/* bytes */

/*
 * The ICE server URLs of a stun_urls or turn_urls value (separated by
 * commas or blanks) into urls[max]; their count, or -1 with *cause if one
 * is not a stun:/stuns: (turn: 0) or turn:/turns: (turn: 1) URL. Each
 * urls[i] is malloc'd; the caller frees them.
 */
int	config_ice_urls(const char *, int turn, char **urls, int max,
	    char **cause);
/* Check values that depend on each other; fill *cause on error. */
int	config_check(const struct config *, char **cause);
/*
 * Default socket path: $XDG_RUNTIME_DIR/calldocker/calldockerd.sock, else
 * /run/calldocker/calldockerd.sock as root, else
 * /tmp/calldocker-UID/calldockerd.sock. Caller frees.
 */
char	*config_default_socket(void);
/*
 * Split a listen address ("HOST:PORT", "*:PORT", "[::1]:PORT") into host
 * (without brackets, "" for "*") and port. host or port may be NULL.
 */
int	config_listen_split(const char *, char *host, size_t, int *port);

#endif

/*
 * TLS on the TCP port (tls_cert, tls_key): OpenSSL through libwebsockets,
 * TLS 1.2 and later with Mozilla's "intermediate" ciphers, the certificate
 * and key reloaded on SIGHUP for new handshakes.
 */
#ifndef TLS_H
#define TLS_H

struct lws_context_creation_info;

/* Is TLS configured? */
int	tls_enabled(void);
/* Load and check the certificate and key (at start-up). */
int	tls_init(char **cause);
/* Context and TCP vhost options. */
void	tls_context_info(struct lws_context_creation_info *);
void	tls_vhost_info(struct lws_context_creation_info *);
/* LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: the vhost's SSL_CTX. */
void	tls_ctx_ready(void *ssl_ctx);
/* SIGHUP: reread the files; on any error keep what is loaded. */
void	tls_reload(void);
void	tls_free(void);

#endif

/*
 * TLS on the TCP port. libwebsockets builds the vhost's SSL_CTX from the
 * files (LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT, ssl_cert_filepath); this
 * file sets the protocol floor and the ciphers on it, and a certificate
 * callback that gives every new handshake the certificate, chain and key
 * loaded last. SIGHUP rereads the files: a pair that does not load, or a
 * key that does not match, is logged and the loaded pair kept. Connections
 * already open keep the certificate they were opened with (each SSL holds
 * its own references), so a reload drops nothing.
 *
 * Ciphers: Mozilla's "intermediate" configuration (version 5.7): TLS 1.2
 * with ECDHE/DHE and AEAD ciphers only, TLS 1.3 with OpenSSL's suites, no
 * server preference.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <libwebsockets.h>

#include "xmalloc.h"
#include "log.h"
#include "daemon.h"
#include "tls.h"

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS	"X25519:P-256:P-384"

struct pair {
	X509		*cert;
	STACK_OF(X509)	*chain;
	EVP_PKEY	*key;
};

static struct pair	*current;

int
tls_enabled(void)
{
	return cfg.tls_cert != NULL && cfg.tls_cert[0] != '\0';
}

static void
pair_free(struct pair *p)
{
	if (p == NULL)
		return;
	X509_free(p->cert);
	sk_X509_pop_free(p->chain, X509_free);
	EVP_PKEY_free(p->key);
	free(p);
}

/* OpenSSL's first queued error, or "why". */
static char *
ssl_cause(const char *what, const char *file, const char *why)
{
	char		 buf[256];
	unsigned long	 e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return xasprintf("%s \"%s\": %s", what, file, e != 0 ? buf : why);
}

/* No passphrase prompt: an encrypted key is an error. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* The certificate (first in the file), its chain (the rest) and the key. */
static struct pair *
pair_load(char **cause)
{
	struct pair	*p = xcalloc(1, sizeof *p);
	BIO		*bio = NULL;
	X509		*x;
	unsigned long	 e;

	ERR_clear_error();
	if ((bio = BIO_new_file(cfg.tls_cert, "r")) == NULL ||
	    (p->cert = PEM_read_bio_X509_AUX(bio, NULL, no_passphrase,
	    NULL)) == NULL) {
		*cause = ssl_cause("cannot load tls_cert", cfg.tls_cert,
		    "no PEM certificate");
		goto fail;
	}
	p->chain = sk_X509_new_null();
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		sk_X509_push(p->chain, x);
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		*cause = ssl_cause("cannot load the chain in tls_cert",
		    cfg.tls_cert, "bad PEM");
		goto fail;
	}
	ERR_clear_error();
	BIO_free(bio);
	if ((bio = BIO_new_file(cfg.tls_key, "r")) == NULL ||
	    (p->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
	    NULL)) == NULL) {
		*cause = ssl_cause("cannot load tls_key", cfg.tls_key,
		    "no PEM private key (an encrypted key is not supported)");
		goto fail;
	}
	BIO_free(bio);
	bio = NULL;
	if (X509_check_private_key(p->cert, p->key) != 1) {
		*cause = ssl_cause("tls_key does not match the certificate in",
		    cfg.tls_cert, "key mismatch");
		goto fail;
	}
	return p;
fail:
	BIO_free(bio);
	pair_free(p);
	return NULL;
}

static void
pair_log(const struct pair *p, const char *verb)
{
	char		 subject[256], serial[80] = "?";
	ASN1_INTEGER	*sn = X509_get_serialNumber(p->cert);
	BIGNUM		*bn = ASN1_INTEGER_to_BN(sn, NULL);
	char		*hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	X509_NAME_oneline(X509_get_subject_name(p->cert), subject,
	    sizeof subject);
	if (hex != NULL)
		snprintf(serial, sizeof serial, "%s", hex);
	log_info("tls: %s certificate %s (serial %s, %d more in the chain) "
	    "from %s", verb, subject, serial, sk_X509_num(p->chain),
	    cfg.tls_cert);
	OPENSSL_free(hex);
	BN_free(bn);
}

int
tls_init(char **cause)
{
	if (!tls_enabled())
		return 0;
	if ((current = pair_load(cause)) == NULL)
		return -1;
	pair_log(current, "loaded");
	return 0;
}

void
tls_context_info(struct lws_context_creation_info *info)
{
	if (!tls_enabled())
		return;
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->alpn = "http/1.1";
}

/*
 * Plain HTTP on the TLS port is handed over (ALLOW_NON_SSL_ON_SSL_PORT and
 * ALLOW_HTTP_ON_HTTPS_LISTENER) so that netconn.c answers it with a 400
 * saying to use https:// instead of a handshake failure.
 */
void
tls_vhost_info(struct lws_context_creation_info *info)
{
	if (!tls_enabled())
		return;
	info->options |= LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
	    LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
	/* HTTP/1.1 only: the head checks and the server are HTTP/1.1. */
	info->alpn = "http/1.1";
	info->ssl_cert_filepath = cfg.tls_cert;
	info->ssl_private_key_filepath = cfg.tls_key;
	info->ssl_cipher_list = TLS12_CIPHERS;
	info->tls1_3_plus_cipher_list = TLS13_SUITES;
	info->ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
	    SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION;
	info->ssl_options_clear = SSL_OP_CIPHER_SERVER_PREFERENCE;
}

/* Each handshake: the pair loaded last, whatever the SSL_CTX holds. */
static int
cert_cb(SSL *ssl, void *arg)
{
	if (current == NULL)
		return 1;
	SSL_certs_clear(ssl);
	return SSL_use_cert_and_key(ssl, current->cert, current->key,
	    current->chain, 1) == 1 ? 1 : 0;
}

void
tls_ctx_ready(void *ssl_ctx)
{
	SSL_CTX	*ctx = ssl_ctx;

	if (ctx == NULL || !tls_enabled())
		return;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1)
		log_warn("tls: cannot set the groups %s", TLS_GROUPS);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
	ERR_clear_error();
}

void
tls_reload(void)
{
	struct pair	*p;
	char		*cause = NULL;

	if (!tls_enabled()) {
		log_info("SIGHUP: no TLS configured; nothing to reload");
		return;
	}
	if ((p = pair_load(&cause)) == NULL) {
		log_error("tls: reload failed, keeping the loaded certificate: "
		    "%s", cause);
		free(cause);
		return;
	}
	pair_free(current);
	current = p;
	pair_log(p, "reloaded");
}

void
tls_free(void)
{
	pair_free(current);
	current = NULL;
}

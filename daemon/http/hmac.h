/*
 * Webhook signatures: HMAC over a message, base64 as the senders write it,
 * compared in constant time; and the generation of signing secrets.
 */
#ifndef HMAC_H
#define HMAC_H

#include <stddef.h>

enum hmac_alg {
	HMAC_SHA1,	/* Twilio's X-Twilio-Signature */
	HMAC_SHA256,	/* Standard Webhooks' webhook-signature */
};

/* Base64 (standard, padded) of HMAC(key, msg). Caller frees. */
char	*hmac_b64(enum hmac_alg, const void *key, size_t keylen,
	    const void *msg, size_t len);
/* Equal strings, in time that depends on their lengths only. */
int	 hmac_equal(const char *, const char *);
/*
 * The Standard Webhooks signature, "v1,<base64 HMAC-SHA256>" of
 * "id.timestamp.body" under key (the decoded part of a "whsec_" secret).
 * Outgoing deliveries sign with it, incoming requests are checked with it.
 * Caller frees.
 */
char	*hmac_webhook_sig(const void *key, size_t keylen, const char *id,
	    const char *timestamp, const void *body, size_t len);
/* A new webhook secret (outgoing and incoming): "whsec_" and base64 of 32 random bytes. */
char	*hmac_secret_new(void);
/* The key bytes of a "whsec_..." secret; -1 if it is not one. Caller frees. */
int	 hmac_secret_key(const char *secret, unsigned char **key, size_t *len);

#endif

/*
 * Outgoing webhooks: event patterns, Standard Webhooks signatures, the
 * Slack and Teams renderings, and the delivery thread (outbox.c) that sends
 * what the database's outbox holds.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>
#include <jansson.h>

#define WEBHOOK_SECRET_MAX	80	/* "whsec_" + base64 + NUL */
#define WEBHOOK_SIG_MAX		64	/* "v1," + base64 of 32 bytes + NUL */

/* webhook_pattern_valid(): db-webhook.h, with the outbox it describes. */
#include "db-webhook.h"

/* webhook.c */
/*
 * hmac_webhook_sig() (hmac.h) under a "whsec_" secret, into out. -1 if the
 * secret is not "whsec_" + base64 or out is too small.
 */
int	webhook_sign(const char *secret, const char *id, long long timestamp,
	    const char *body, size_t bodylen, char *out, size_t);
/* The request body for a format (standard, slack, teams). Caller frees. */
char	*webhook_render(const char *format, const json_t *payload);

/* outbox.c */
int	outbox_start(const char *dburl, char **cause);
void	outbox_stop(void);
/* Deliveries finished (any outcome) since start, for metrics and tests. */
unsigned long outbox_sent(void);

#endif

/* The webhooks, webhook_deliveries (the outbox) and webhook_attempts tables. */
#ifndef DB_WEBHOOK_H
#define DB_WEBHOOK_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum webhook_col {
	WEBHOOK_C_ID, WEBHOOK_C_COMPANY, WEBHOOK_C_URL, WEBHOOK_C_DESCRIPTION,
	WEBHOOK_C_FORMAT, WEBHOOK_C_EVENTS, WEBHOOK_C_MIN_WAIT,
	WEBHOOK_C_ENABLED, WEBHOOK_C_DISABLED_REASON, WEBHOOK_C_CREATED,
	WEBHOOK_C_UPDATED, WEBHOOK_C_KEY, WEBHOOK_C_SECRET,
};

enum delivery_col {
	DELIVERY_C_ID, DELIVERY_C_WEBHOOK, DELIVERY_C_TYPE, DELIVERY_C_STATE,
	DELIVERY_C_ATTEMPTS, DELIVERY_C_NEXT, DELIVERY_C_STATUS,
	DELIVERY_C_ERROR, DELIVERY_C_CREATED, DELIVERY_C_DELIVERED,
	DELIVERY_C_PAYLOAD, DELIVERY_C_HISTORY, DELIVERY_C_KEY,
};

/* The writable fields as SQL text (NULL: unchanged or the default). */
struct webhook_fields {
	const char	*url, *description, *format, *events, *min_wait;
	const char	*enabled, *secret;
	int		 clear_min_wait;
};

/* The endpoint without its secret; with it when with_secret. */
json_t		*webhook_json(const PGresult *, int row);
json_t		*webhook_json_secret(const PGresult *, int row);
json_t		*delivery_json(const PGresult *, int row);

PGresult	*db_webhook_list(struct db *, const char *company,
		    const struct page *);
PGresult	*db_webhook_get(struct db *, const char *scope, const char *id);
PGresult	*db_webhook_create(struct db *, const char *company,
		    const struct webhook_fields *);
PGresult	*db_webhook_update(struct db *, const char *scope,
		    const char *id, const struct webhook_fields *);
PGresult	*db_webhook_delete(struct db *, const char *scope, const char *id);
/* Queue a webhook.test event for this endpoint alone (if enabled). */
PGresult	*db_webhook_test(struct db *, const char *scope, const char *id);
PGresult	*db_webhook_deliveries(struct db *, const char *scope,
		    const char *id, const char *state, const struct page *);
/* Due again now, with a fresh retry schedule; none if it is in flight. */
PGresult	*db_webhook_redeliver(struct db *, const char *scope,
		    const char *id, const char *delivery);

/* For the delivery thread (outbox.c). */
enum claim_col {
	CLAIM_C_ID, CLAIM_C_WEBHOOK, CLAIM_C_ATTEMPTS, CLAIM_C_PAYLOAD,
	CLAIM_C_URL, CLAIM_C_FORMAT, CLAIM_C_SECRET,
};
/*
 * The delivery thread pipelines these itself (prepared on its connection):
 * claim ($1 lease seconds, $2 limit, $3 per endpoint) leases up to $2 due
 * rows, oldest first, with at most $3 in flight for any one endpoint
 * (across daemons), so one slow receiver cannot hold every slot; record ($1
 * rows) is db_outbox_record()'s.
 */
const char	*db_outbox_claim_sql(void);
const char	*db_outbox_record_sql(void);
/* Milliseconds until the next pending delivery is due (NULL: none). */
PGresult	*db_outbox_next_due(struct db *);
/*
 * Record attempts and the deliveries' new states from a JSON array of
 * {id, status, error, response, duration_ms, state, delay}; state
 * "pending" retries after delay seconds. A status 410 disables the endpoint.
 */
PGresult	*db_outbox_record(struct db *, const char *rows);
/* Give a claimed row back without an attempt (shutting down). */
PGresult	*db_outbox_release(struct db *, const char *id);
/* Delete up to 10,000 finished deliveries older than days. */
PGresult	*db_outbox_prune(struct db *, const char *days);

#endif

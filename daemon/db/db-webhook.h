/* The webhooks, webhook_deliveries (the outbox) and webhook_attempts tables. */
#ifndef DB_WEBHOOK_H
#define DB_WEBHOOK_H

#include <jansson.h>

#include "db.h"

/* One endpoint. Strings are the row's own; webhook_rows_free() frees them. */
struct webhook_row {
	char		 id[UUID_LEN + 1];
	char		 company[UUID_LEN + 1];
	char		*url;
	char		*description;		/* NULL: none */
	char		 format[16];		/* standard, slack or teams */
	char		*events;		/* a JSON array of patterns */
	int		 has_min_wait;
	long long	 min_wait;		/* seconds */
	int		 enabled;
	char		*disabled_reason;	/* NULL: none */
	char		 created[32];		/* RFC 3339 */
	char		 updated[32];
	char		 key[24];		/* keyset pagination key */
	char		*secret;
};

struct webhook_rows {
	int			 n;
	struct webhook_row	*v;
};

/* One delivery, the same way: delivery_rows_free(). */
struct delivery_row {
	char		 id[UUID_LEN + 1];	/* the webhook-id header */
	char		 webhook[UUID_LEN + 1];
	char		*type;			/* the event type */
	char		 state[16];		/* pending, delivered or failed */
	long long	 attempts;
	char		*next;			/* next attempt, while pending */
	int		 has_status;
	long long	 status;		/* the last answer's HTTP status */
	char		*error;			/* NULL: none */
	char		*created;
	char		*delivered;		/* NULL: not delivered */
	char		*payload;		/* JSON */
	char		*history;		/* a JSON array of attempts */
	char		 key[24];
};

struct delivery_rows {
	int			 n;
	struct delivery_row	*v;
};

void		 webhook_rows_free(struct webhook_rows *);
void		 delivery_rows_free(struct delivery_rows *);

/* The writable fields as SQL text (NULL: unchanged or the default). */
struct webhook_fields {
	const char	*url, *description, *format, *events, *min_wait;
	const char	*enabled, *secret;
	int		 clear_min_wait;
};

/* An event type the daemon delivers, "prefix.*" of one, or "*". */
int		 webhook_pattern_valid(const char *);

/* The endpoint without its secret; with it when with_secret. */
json_t		*webhook_json(const struct webhook_row *);
json_t		*webhook_json_secret(const struct webhook_row *);
json_t		*delivery_json(const struct delivery_row *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a database
 * error with db->err set.
 */
struct webhook_rows *db_webhook_list(struct db *, const char *company,
		    const struct page *);
struct webhook_rows *db_webhook_get(struct db *, const char *scope,
		    const char *id);
struct webhook_rows *db_webhook_create(struct db *, const char *company,
		    const struct webhook_fields *);
struct webhook_rows *db_webhook_update(struct db *, const char *scope,
		    const char *id, const struct webhook_fields *);
/* 1 deleted (its company into company), 0 none, -1 database error. */
int		 db_webhook_delete(struct db *, const char *scope,
		    const char *id, char company[UUID_LEN + 1]);
/* Queue a webhook.test event for this endpoint alone (if enabled). */
struct delivery_rows *db_webhook_test(struct db *, const char *scope,
		    const char *id);
struct delivery_rows *db_webhook_deliveries(struct db *, const char *scope,
		    const char *id, const char *state, const struct page *);
/* Due again now, with a fresh retry schedule; none if it is in flight. */
struct delivery_rows *db_webhook_redeliver(struct db *, const char *scope,
		    const char *id, const char *delivery);

/*
 * For the delivery thread (outbox.c), on its own connection. The database
 * work is pipelined and never waited for: db_outbox_send() puts a record
 * of finished attempts and a claim of due rows in one round trip, each in
 * its own transaction; db_outbox_read() takes what has come back.
 */
struct outbox_pipe {
	int	 busy;		/* syncs still to read */
	int	 recording;	/* a record is in the pipeline */
	int	 claiming;	/* a claim is in the pipeline */
	int	 prepared_pid;	/* backend our statements live on */
};

/* A claimed delivery: strings point into the claim's answer. */
struct outbox_claim {
	const char	*id, *webhook, *payload, *url, *format, *secret;
	int		 attempts;
};

enum outbox_got {
	OUTBOX_RECORDED,	/* the record is committed */
	OUTBOX_NOT_RECORDED,
	OUTBOX_CLAIMED,		/* one claimed row (each in turn) */
	OUTBOX_NOT_CLAIMED,
};

#define OUTBOX_SENT_RECORD	0x1
#define OUTBOX_SENT_CLAIM	0x2

/*
 * Send a record of rows (JSON text: a JSON array of {id, status, error,
 * response, duration_ms, state, delay}; state "pending" retries after
 * delay seconds, a status 410 disables the endpoint), NULL for none, and a
 * claim (limit > 0) that leases up to limit due rows for lease seconds,
 * oldest first, with at most each in flight for any one endpoint (across
 * daemons), so one slow receiver cannot hold every slot. Answers what was
 * sent (OUTBOX_SENT_*); 0: nothing, and not in pipeline mode.
 */
int		 db_outbox_send(struct db *, struct outbox_pipe *,
		    const char *record, int lease, int limit, int each);
/*
 * Read what the pipeline answered so far (all of it when wait), each
 * outcome to got(): a claimed row's strings last until got() returns.
 * 0, or -1 when the connection broke, -2 when the server did not answer
 * (late: the caller's deadline has passed; the connection is dropped):
 * what the pipeline held is not known then, and it is empty.
 */
int		 db_outbox_read(struct db *, struct outbox_pipe *, int wait,
		    int late, void (*got)(enum outbox_got,
		    const struct outbox_claim *, void *), void *arg);
/* LISTEN for committed deliveries on this connection; 0 or -1. */
int		 db_outbox_listen(struct db *);
/* Milliseconds until the next pending delivery is due: 1 (*ms set), 0
 * none, -1 database error. */
int		 db_outbox_next_due(struct db *, long long *ms);
/* A record as db_outbox_send() sends it, waited for; 0 or -1. */
int		 db_outbox_record(struct db *, const char *rows);
/* Give a claimed row back without an attempt (shutting down); 0 or -1. */
int		 db_outbox_release(struct db *, const char *id);
/* Delete up to 10,000 finished deliveries older than days: how many, or
 * -1 on a database error. */
int		 db_outbox_prune(struct db *, int days);

#endif

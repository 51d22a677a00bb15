/* The queues and queue_members tables. */
#ifndef DB_QUEUE_H
#define DB_QUEUE_H

#include <jansson.h>
#include <libpq-fe.h>

struct db;
struct page;

enum queue_col {
	QUEUE_C_ID, QUEUE_C_COMPANY, QUEUE_C_NAME, QUEUE_C_STRATEGY,
	QUEUE_C_SL, QUEUE_C_WRAP, QUEUE_C_RING, QUEUE_C_MAX_WAIT,
	QUEUE_C_OVERFLOW, QUEUE_C_OVERFLOW_QUEUE, QUEUE_C_MAX_LEN,
	QUEUE_C_MISS, QUEUE_C_WIDEN, QUEUE_C_CREATED, QUEUE_C_UPDATED,
	QUEUE_C_KEY, QUEUE_C_MEMBERS,
};

/* The writable fields, as strings for SQL (NULL: unchanged/default). */
struct queue_fields {
	const char	*name, *strategy, *sl_threshold, *wrap_up, *ring_timeout;
	const char	*max_wait, *overflow, *overflow_queue, *max_length;
	const char	*miss_limit, *widen;
};

json_t		*queue_json(const PGresult *, int row);

PGresult	*db_queue_list(struct db *, const char *scope, const struct page *);
PGresult	*db_queue_get(struct db *, const char *scope, const char *id);
PGresult	*db_queue_all(struct db *);
PGresult	*db_queue_create(struct db *, const char *company,
		    const struct queue_fields *);
PGresult	*db_queue_update(struct db *, const char *scope, const char *id,
		    const struct queue_fields *);
PGresult	*db_queue_delete(struct db *, const char *scope, const char *id);
/* Replace the members with [{agent_id, penalty}] of the same company. */
int		 db_queue_set_members(struct db *, const char *company,
		    const char *queue, const char *members_json);
/* Today's figures for one queue, in the company's time zone. */
PGresult	*db_queue_today(struct db *, const char *queue);

#endif

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
	QUEUE_C_KEY, QUEUE_C_MEMBERS, QUEUE_C_HOLD_URL, QUEUE_C_HOLD_FILE,
	QUEUE_C_ANNOUNCE, QUEUE_C_ANNOUNCE_EVERY, QUEUE_C_CB_ATTEMPTS,
	QUEUE_C_CB_DELAY, QUEUE_C_RECORDING,
};

/* The writable fields, as strings for SQL (NULL: unchanged/default). */
struct queue_fields {
	const char	*name, *strategy, *sl_threshold, *wrap_up, *ring_timeout;
	const char	*max_wait, *overflow, *overflow_queue, *max_length;
	const char	*miss_limit, *widen;
	/* Hold music: either given sets both, "" for the one not used. */
	const char	*hold_url, *hold_file;
	const char	*announce;		/* "t" or "f" */
	const char	*announce_interval;
	const char	*callback_attempts, *callback_retry_delay;
	const char	*recording;		/* off|on|on-demand, "": inherit */
};

/* One queue. Strings are the rows' (queue_rows_free() frees them). */
struct queue_row {
	const char	*id, *company, *name;
	const char	*strategy;		/* a queue_strategy name */
	int		 sl_threshold, wrap_up, ring_timeout, max_wait;
	const char	*overflow;		/* an overflow_kind name */
	const char	*overflow_queue;	/* NULL: none */
	int		 max_length, miss_limit;
	const char	*widen;			/* JSON [{after, level_drop}] */
	const char	*created, *updated;
	const char	*key;			/* keyset pagination key */
	const char	*members;		/* JSON [{agent_id, penalty}] */
	const char	*hold_url;		/* hold music: a URL, NULL */
	const char	*hold_file;		/* or a file's id, NULL */
	int		 announce;		/* announce_position */
	int		 announce_interval;	/* seconds */
	int		 callback_attempts;	/* dials a callback gets */
	int		 callback_retry_delay;	/* seconds between them */
	const char	*recording;		/* NULL: the company's setting */
};

struct queue_rows {
	int		 n;
	struct queue_row *v;
	void		*res;		/* what the strings are in: db/'s */
};

void		 queue_rows_free(struct queue_rows *);
/* A queue to the API's Queue object. */
json_t		*queue_json(const struct queue_row *);

/*
 * Each returns the rows (none when nothing matched), or NULL on a
 * database error with db->err set. Caller frees with queue_rows_free().
 */
struct queue_rows *db_queue_list(struct db *, const char *scope,
		    const struct page *);
struct queue_rows *db_queue_get(struct db *, const char *scope,
		    const char *id);
/* Every queue, or company's (NULL: every company's). */
struct queue_rows *db_queue_all(struct db *, const char *company);
struct queue_rows *db_queue_create(struct db *, const char *company,
		    const struct queue_fields *);
struct queue_rows *db_queue_update(struct db *, const char *scope,
		    const char *id, const struct queue_fields *);
/* 1 deleted, 0 no such queue, -1 on error. */
int		 db_queue_delete(struct db *, const char *scope, const char *id);
/* Replace the members with [{agent_id, penalty}] of the same company. */
int		 db_queue_set_members(struct db *, const char *company,
		    const char *queue, const char *members_json);

/* Today's figures for one queue, in the company's time zone. */
struct queue_today {
	double	 offered, answered, abandoned;
	double	 within;		/* answered within sl_threshold */
	double	 asa, aht;		/* averages in seconds, 0: none */
	/* Callbacks of those calls: waiting now (or for a retry),
	 * requested, answered by the caller, failed. */
	double	 cb_waiting, cb_requested, cb_completed, cb_failed;
};

/* Into *t (zeros for no calls or no such queue); -1 on error. */
int		 db_queue_today(struct db *, const char *queue,
		    struct queue_today *t);

#endif

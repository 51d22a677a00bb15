/* The calls and call_events tables (moves live in call.c). */
#ifndef DB_CALL_H
#define DB_CALL_H

#include <jansson.h>
#include <libpq-fe.h>

#include "call.h"

struct db;
struct page;

/*
 * One call (CALL_COLS). The strings are the rows' (call_rows_free() frees
 * them); a nullable column is NULL when SQL NULL, the others never are.
 */
struct call_row {
	const char	*id, *company;
	const char	*queue, *agent;		/* NULL: none */
	enum call_state	 state;
	const char	*direction, *media;
	const char	*media_used;		/* a JSON array */
	const char	*number, *name;		/* the caller's, NULL: none */
	const char	*data;			/* caller_data, a JSON object */
	int		 priority;
	const char	*skills;		/* a JSON object of names to levels */
	const char	*notes, *disposition;
	const char	*tags;			/* a JSON array */
	const char	*enqueued, *answered, *ended;	/* RFC 3339, or NULL */
	int		 has_wait, has_talk;
	double		 wait, talk;		/* seconds */
	const char	*created, *updated;
	const char	*key;			/* keyset pagination key */
	int		 has_arrival;
	double		 arrival;		/* enqueued_at, epoch seconds */
	/* A callback (sql/021_callbacks.sql): cb_number NULL when not. */
	const char	*cb_number, *cb_state;
	int		 cb_attempts;
	const char	*cb_requested, *cb_answered, *cb_retry;	/* or NULL */
	int		 has_retry;
	double		 retry_at;		/* cb_retry, epoch seconds */
	/* Supervision (sql/023_supervision.sql): sup_mode NULL when none;
	 * sup_user NULL too when the supervisor's user was deleted. */
	const char	*sup_user, *sup_mode, *sup_via, *sup_phone;
	const char	*sup_started;
};

struct call_rows {
	int		 n;
	struct call_row	*v;
	void		*res;		/* what the strings are in: db/'s */
};

/* The rows of res, which they take; NULL if res is. */
struct call_rows *call_rows_take(PGresult *res);
void		 call_rows_free(struct call_rows *);
/* A call to the API's Call object (without its live position). */
json_t		*call_row_json(const struct call_row *);

/* One event of a call's history; strings as in struct call_row. */
struct call_event {
	const char	*type, *at;
	const char	*from, *to, *agent, *actor;	/* NULL: none */
	const char	*data;				/* a JSON object */
};

struct call_event_rows {
	int			 n;
	struct call_event	*v;
	void			*res;
};

void		 call_event_rows_free(struct call_event_rows *);
json_t		*call_event_json(const struct call_event *);

struct call_new {
	const char	*company, *queue, *number, *name, *data, *priority;
	const char	*skills, *media, *key, *created_by;
	int		 queued;	/* insert it queued (with call.queued) */
};

struct call_filter {
	const char	*state, *queue, *agent, *from, *to;
};

/*
 * Each returns the rows (none when nothing matched), or NULL on a
 * database error with db->err set. Caller frees with call_rows_free().
 *
 * Insert with its call.created event: queued (and call.queued) when
 * c->queued and it names a queue of the company, else new (hub_enqueue()
 * queues or fails it); NULL with DB_UNIQUE when the idempotency key is
 * taken, no row when the queue is unknown.
 */
struct call_rows *db_call_insert(struct db *, const struct call_new *);
struct call_rows *db_call_find(struct db *, const char *scope, const char *id);
struct call_rows *db_call_find_key(struct db *, const char *company,
		    const char *key);
struct call_rows *db_call_list(struct db *, const char *scope,
		    const struct call_filter *, const struct page *);
struct call_rows *db_call_update(struct db *, const char *scope,
		    const char *id, const char *notes, const char *tags,
		    const char *disposition, const char *caller_data,
		    const char *priority, const char *actor);
/* Wrap-up's notes and disposition (NULL: kept), in the caller's
 * transaction, without an event of their own: 0 or -1. */
int		 db_call_wrap_notes(struct db *, const char *id,
		    const char *notes, const char *disposition);
/* Calls the hub must rebuild, in their queues' order. */
struct call_rows *db_call_live(struct db *, const char *company);
/* The call's events, oldest first; NULL on error. */
struct call_event_rows *db_call_events(struct db *, const char *id);
/* Set the priority and required skills a flow gives the call. */
int		 db_call_route(struct db *, const char *call, const char *priority,
		    const char *skills);
/* An event without a state change (an offer to one more agent, a note). */
int		 db_call_event(struct db *, const char *call, const char *type,
		    const char *agent, const char *data);
/*
 * Callbacks (sql/021_callbacks.sql). A queued or offered call of company
 * that is not one yet becomes a callback to number, with its
 * call.callback_requested event (no row: not so). Its callback columns
 * change: state (NULL: kept), add_attempts more dials, answered (the
 * caller answered now), and with set_retry a retry in retry_in seconds
 * (< 0: none). The queued callbacks of company waiting for a retry.
 */
struct call_rows *db_call_callback(struct db *, const char *company,
		    const char *id, const char *number, const char *actor);
struct call_rows *db_call_callback_set(struct db *, const char *id,
		    const char *state, int add_attempts, int answered,
		    double retry_in, int set_retry);
struct call_rows *db_call_parked(struct db *, const char *company);
/*
 * Supervision (sql/023_supervision.sql). The call of company, locked for
 * the decision, with whether it is a Twilio call and whether the company
 * announces supervision to agents: 1, 0 none, -1 error. Then its
 * supervision set (user NULL: cleared) with its call.supervised event
 * (actor and data, JSON text): the call as it is then, or NULL.
 */
int		 db_call_supervision(struct db *, const char *company,
		    const char *id, struct call_rows **row, int *twilio,
		    int *announce);
struct call_rows *db_call_supervise(struct db *, const char *id,
		    const char *user, const char *mode, const char *via,
		    const char *phone, const char *actor, const char *data);

#endif

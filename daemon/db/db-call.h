/* The calls and call_events tables (moves live in call.c). */
#ifndef DB_CALL_H
#define DB_CALL_H

#include <libpq-fe.h>

struct db;
struct page;

struct call_new {
	const char	*company, *queue, *number, *name, *data, *priority;
	const char	*skills, *media, *key, *created_by;
	int		 queued;	/* insert it queued (with call.queued) */
};

struct call_filter {
	const char	*state, *queue, *agent, *from, *to;
};

/*
 * Insert with its call.created event: queued (and call.queued) when
 * c->queued and it names a queue of the company, else new (hub_enqueue()
 * queues or fails it); NULL with DB_UNIQUE when the idempotency key is
 * taken, no row when the queue is unknown.
 */
PGresult	*db_call_insert(struct db *, const struct call_new *);
PGresult	*db_call_by_key(struct db *, const char *company, const char *key);
PGresult	*db_call_get(struct db *, const char *scope, const char *id);
PGresult	*db_call_list(struct db *, const char *scope,
		    const struct call_filter *, const struct page *);
/* type, at, from_state, to_state, agent_id, actor_id, data */
PGresult	*db_call_events(struct db *, const char *id);
PGresult	*db_call_update(struct db *, const char *scope, const char *id,
		    const char *notes, const char *tags, const char *disposition,
		    const char *caller_data, const char *priority);
/* Set the priority and required skills a flow gives the call. */
int		 db_call_route(struct db *, const char *call, const char *priority,
		    const char *skills);
/* Calls the hub must rebuild, in their queues' order. */
PGresult	*db_call_live(struct db *);
/* An event without a state change (an offer to one more agent, a note). */
int		 db_call_event(struct db *, const char *call, const char *type,
		    const char *agent, const char *data);

#endif

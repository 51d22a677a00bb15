/* SQL for calls and their events; the state machine is in call.c. */
#include <stdlib.h>

#include "db.h"
#include "call.h"
#include "db-call.h"

#define SCOPE "($1::uuid IS NULL OR company_id = $1)"

/* The call, new (the hub queues it), with its call.created event. */
static struct db_stmt st_insert = { .sql = "WITH c AS (INSERT INTO calls"
	" (company_id, queue_id, caller_number, caller_name, caller_data,"
	" priority, skills, media, idempotency_key, created_by, state,"
	" enqueued_at)"
	" SELECT $1, q.id, $3, $4, coalesce($5::jsonb, '{}'),"
	" coalesce($6::int, 0), coalesce($7::jsonb, '{}'),"
	" coalesce($8, 'voice'), $9, $10,"
	" CASE WHEN $11::boolean AND q.id IS NOT NULL THEN 'queued'"
	"  ELSE 'new' END::call_state,"
	" CASE WHEN $11::boolean AND q.id IS NOT NULL THEN now() END"
	" FROM (SELECT $2::uuid AS qid) x"
	" LEFT JOIN queues q ON q.id = x.qid AND q.company_id = $1"
	" WHERE x.qid IS NULL OR q.id IS NOT NULL RETURNING *),"
	" e AS (INSERT INTO call_events (call_id, company_id, type, actor_id,"
	"  from_state, to_state)"
	"  SELECT c.id, c.company_id, v.type, $10, v.f::call_state,"
	"  v.t::call_state FROM c, (VALUES (1, 'call.created', NULL, 'new'),"
	"  (2, 'call.queued', 'new', 'queued')) v(n, type, f, t)"
	"  WHERE v.n = 1 OR c.state = 'queued' ORDER BY v.n)"
	" SELECT " CALL_COLS " FROM c" };
static struct db_stmt st_by_key = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE company_id = $1 AND idempotency_key = $2" };
static struct db_stmt st_get = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE id = $2 AND " SCOPE };
static struct db_stmt st_list = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE " SCOPE " AND ($2::call_state IS NULL OR state = $2)"
	" AND ($3::uuid IS NULL OR queue_id = $3)"
	" AND ($4::uuid IS NULL OR agent_id = $4)"
	" AND ($5::timestamptz IS NULL OR created_at >= $5)"
	" AND ($6::timestamptz IS NULL OR created_at < $6)"
	" AND " SQL_AFTER("created_at", "id", 7, 8)
	" ORDER BY created_at, id LIMIT $9" };
static struct db_stmt st_update = { .sql = "UPDATE calls SET"
	" notes = coalesce($3, notes), tags = coalesce($4::text[], tags),"
	" disposition = coalesce($5, disposition),"
	" caller_data = coalesce($6::jsonb, caller_data),"
	" priority = coalesce($7::int, priority), updated_at = now()"
	" WHERE id = $2 AND " SCOPE " RETURNING " CALL_COLS };
static struct db_stmt st_route = { .sql = "UPDATE calls SET"
	" priority = $2::int, skills = coalesce($3::jsonb, skills),"
	" updated_at = now() WHERE id = $1" };
static struct db_stmt st_live = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE state IN ('queued', 'offering', 'connected', 'on_hold',"
	" 'wrap_up') ORDER BY enqueued_at NULLS LAST, created_at, id" };
static struct db_stmt st_events = { .sql = "SELECT type, "
	SQL_TIME("at") ", from_state, to_state, agent_id, actor_id, data"
	" FROM call_events WHERE call_id = $1 ORDER BY id" };
static struct db_stmt st_event = { .sql = "INSERT INTO call_events"
	" (call_id, company_id, type, agent_id, from_state, to_state, data)"
	" SELECT id, company_id, $2, $3, state, state,"
	" coalesce($4::jsonb, '{}') FROM calls WHERE id = $1" };

PGresult *
db_call_insert(struct db *db, const struct call_new *c)
{
	const char *p[11] = { c->company, c->queue, c->number, c->name,
	    c->data, c->priority, c->skills, c->media, c->key, c->created_by,
	    c->queued ? "true" : "false" };

	return db_run(db, &st_insert, 11, p);
}

PGresult *
db_call_by_key(struct db *db, const char *company, const char *key)
{
	const char *p[2] = { company, key };

	return db_run(db, &st_by_key, 2, p);
}

PGresult *
db_call_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_call_list(struct db *db, const char *scope, const struct call_filter *f,
    const struct page *pg)
{
	const char *p[9] = { scope, f->state, f->queue, f->agent, f->from,
	    f->to, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_list, 9, p);
}

PGresult *
db_call_events(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return db_run(db, &st_events, 1, p);
}

PGresult *
db_call_update(struct db *db, const char *scope, const char *id,
    const char *notes, const char *tags, const char *disposition,
    const char *caller_data, const char *priority)
{
	const char *p[7] = { scope, id, notes, tags, disposition, caller_data,
	    priority };

	return db_run(db, &st_update, 7, p);
}

PGresult *
db_call_live(struct db *db)
{
	return db_run(db, &st_live, 0, NULL);
}

int
db_call_event(struct db *db, const char *call, const char *type,
    const char *agent, const char *data)
{
	const char	*p[4] = { call, type, agent, data };
	PGresult	*res;

	if ((res = db_run(db, &st_event, 4, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_call_route(struct db *db, const char *call, const char *priority,
    const char *skills)
{
	const char	*p[3] = { call, priority, skills };
	PGresult	*res;

	if ((res = db_run(db, &st_route, 3, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

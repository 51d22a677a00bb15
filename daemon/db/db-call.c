/*
 * SQL for calls and their events, their typed rows and the call's JSON;
 * the state machine is in call.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xmalloc.h"
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
/* The change and its call.updated event (the fields given, who) at once. */
static struct db_stmt st_update = { .sql = "WITH c AS (UPDATE calls SET"
	" notes = coalesce($3, notes), tags = coalesce($4::text[], tags),"
	" disposition = coalesce($5, disposition),"
	" caller_data = coalesce($6::jsonb, caller_data),"
	" priority = coalesce($7::int, priority), updated_at = now()"
	" WHERE id = $2 AND " SCOPE " RETURNING *),"
	" e AS (INSERT INTO call_events (call_id, company_id, type, actor_id,"
	"  agent_id, from_state, to_state, data)"
	"  SELECT id, company_id, 'call.updated', $8::uuid, agent_id, state,"
	"  state, jsonb_build_object('fields', to_jsonb(array_remove(ARRAY["
	"  CASE WHEN $3 IS NOT NULL THEN 'notes' END,"
	"  CASE WHEN $4 IS NOT NULL THEN 'tags' END,"
	"  CASE WHEN $5 IS NOT NULL THEN 'disposition' END,"
	"  CASE WHEN $6 IS NOT NULL THEN 'caller_data' END,"
	"  CASE WHEN $7 IS NOT NULL THEN 'priority' END], NULL)))"
	"  FROM c)"
	" SELECT " CALL_COLS " FROM c" };
/* Wrap-up's notes and disposition: its call.completed event records them. */
static struct db_stmt st_notes = { .sql = "UPDATE calls SET"
	" notes = coalesce($2, notes), disposition = coalesce($3, disposition),"
	" updated_at = now() WHERE id = $1" };
static struct db_stmt st_route = { .sql = "UPDATE calls SET"
	" priority = $2::int, skills = coalesce($3::jsonb, skills),"
	" updated_at = now() WHERE id = $1" };
static struct db_stmt st_live = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE state IN ('queued', 'offering', 'connected', 'on_hold',"
	" 'wrap_up') AND ($1::uuid IS NULL OR company_id = $1::uuid)"
	" ORDER BY enqueued_at NULLS LAST, created_at, id" };
static struct db_stmt st_events = { .sql = "SELECT type, "
	SQL_TIME("at") ", from_state, to_state, agent_id, actor_id, data"
	" FROM call_events WHERE call_id = $1 ORDER BY id" };
static struct db_stmt st_event = { .sql = "INSERT INTO call_events"
	" (call_id, company_id, type, agent_id, from_state, to_state, data)"
	" SELECT id, company_id, $2, $3, state, state,"
	" coalesce($4::jsonb, '{}') FROM calls WHERE id = $1" };
/* A waiting call becomes a callback, with its call.callback_requested. */
static struct db_stmt st_callback = { .sql = "WITH c AS (UPDATE calls SET"
	" callback_number = $3, callback_state = 'waiting',"
	" callback_attempts = 0, callback_requested_at = now(),"
	" updated_at = now()"
	" WHERE id = $1 AND company_id = $2"
	" AND state IN ('queued', 'offering') AND callback_number IS NULL"
	" RETURNING *),"
	" e AS (INSERT INTO call_events (call_id, company_id, type, actor_id,"
	"  from_state, to_state, data)"
	"  SELECT id, company_id, 'call.callback_requested', $4::uuid, state,"
	"  state, jsonb_build_object('number', $3::text) FROM c)"
	" SELECT " CALL_COLS " FROM c" };
/* $2 state (NULL: kept), $3 attempts to add, $4 answered now, $5 retry in
 * seconds (NULL: kept, < 0: none). */
static struct db_stmt st_cb_set = { .sql = "UPDATE calls SET"
	" callback_state = coalesce($2, callback_state),"
	" callback_attempts = callback_attempts + $3::int,"
	" callback_answered_at = CASE WHEN $4::bool"
	"  THEN coalesce(callback_answered_at, now())"
	"  ELSE callback_answered_at END,"
	" callback_retry_at = CASE WHEN $5::float8 IS NULL THEN callback_retry_at"
	"  WHEN $5::float8 < 0 THEN NULL"
	"  ELSE now() + $5::float8 * interval '1 second' END,"
	" updated_at = now()"
	" WHERE id = $1 AND callback_number IS NOT NULL"
	" RETURNING " CALL_COLS };
static struct db_stmt st_parked = { .sql = "SELECT " CALL_COLS " FROM calls"
	" WHERE company_id = $1 AND state = 'queued'"
	" AND callback_retry_at IS NOT NULL ORDER BY callback_retry_at, id" };

/* The call, locked, whether it has a Twilio leg and whether its company
 * announces supervision to agents. */
static struct db_stmt st_sup_get = { .sql = "SELECT " CALL_COLS ","
	" EXISTS (SELECT 1 FROM twilio_calls t WHERE t.call_id = calls.id),"
	" coalesce((SELECT (co.settings->>'supervision_announce')::bool"
	"  FROM companies co WHERE co.id = calls.company_id), false)"
	" FROM calls WHERE id = $2 AND company_id = $1 FOR UPDATE" };
/* $2 supervisor (NULL: none), $3 mode, $4 via, $5 phone; $6 actor, $7 the
 * event's data. */
static struct db_stmt st_supervise = { .sql = "WITH c AS (UPDATE calls SET"
	" supervisor_id = $2::uuid, supervision_mode = $3::text,"
	" supervision_via = $4::text, supervision_phone = $5::text,"
	" supervision_started_at = CASE WHEN $3::text IS NULL THEN NULL"
	"  ELSE coalesce(supervision_started_at, now()) END,"
	" updated_at = now() WHERE id = $1 RETURNING *),"
	" e AS (INSERT INTO call_events (call_id, company_id, type, actor_id,"
	"  agent_id, from_state, to_state, data)"
	"  SELECT id, company_id, 'call.supervised', $6::uuid, agent_id, state,"
	"  state, coalesce($7::jsonb, '{}') FROM c)"
	" SELECT " CALL_COLS " FROM c" };

/* Row r of res into c, its strings res's. */
static void
call_row_fill(const PGresult *res, int r, struct call_row *c)
{
	const char	*v;

	c->id = PQgetvalue(res, r, CALL_C_ID);
	c->company = PQgetvalue(res, r, CALL_C_COMPANY);
	c->queue = db_get(res, r, CALL_C_QUEUE);
	c->agent = db_get(res, r, CALL_C_AGENT);
	if (call_state_parse(PQgetvalue(res, r, CALL_C_STATE), &c->state) != 0)
		c->state = CALL_STATE_COUNT;
	c->direction = PQgetvalue(res, r, CALL_C_DIRECTION);
	c->media = PQgetvalue(res, r, CALL_C_MEDIA);
	c->media_used = db_get(res, r, CALL_C_MEDIA_USED);
	c->number = db_get(res, r, CALL_C_NUMBER);
	c->name = db_get(res, r, CALL_C_NAME);
	c->data = db_get(res, r, CALL_C_DATA);
	c->priority = atoi(PQgetvalue(res, r, CALL_C_PRIORITY));
	c->skills = db_get(res, r, CALL_C_SKILLS);
	c->notes = db_get(res, r, CALL_C_NOTES);
	c->tags = db_get(res, r, CALL_C_TAGS);
	c->disposition = db_get(res, r, CALL_C_DISPOSITION);
	c->enqueued = db_get(res, r, CALL_C_ENQUEUED);
	c->answered = db_get(res, r, CALL_C_ANSWERED);
	c->ended = db_get(res, r, CALL_C_ENDED);
	v = db_get(res, r, CALL_C_WAIT);
	c->has_wait = v != NULL;
	c->wait = v != NULL ? strtod(v, NULL) : 0;
	v = db_get(res, r, CALL_C_TALK);
	c->has_talk = v != NULL;
	c->talk = v != NULL ? strtod(v, NULL) : 0;
	c->created = PQgetvalue(res, r, CALL_C_CREATED);
	c->updated = PQgetvalue(res, r, CALL_C_UPDATED);
	c->key = PQgetvalue(res, r, CALL_C_KEY);
	v = db_get(res, r, CALL_C_ENQUEUED_EPOCH);
	c->has_arrival = v != NULL;
	c->arrival = v != NULL ? strtod(v, NULL) : 0;
	c->cb_number = db_get(res, r, CALL_C_CB_NUMBER);
	c->cb_state = db_get(res, r, CALL_C_CB_STATE);
	c->cb_attempts = atoi(PQgetvalue(res, r, CALL_C_CB_ATTEMPTS));
	c->cb_requested = db_get(res, r, CALL_C_CB_REQUESTED);
	c->cb_answered = db_get(res, r, CALL_C_CB_ANSWERED);
	c->cb_retry = db_get(res, r, CALL_C_CB_RETRY);
	v = db_get(res, r, CALL_C_CB_RETRY_EPOCH);
	c->has_retry = v != NULL;
	c->retry_at = v != NULL ? strtod(v, NULL) : 0;
	c->sup_user = db_get(res, r, CALL_C_SUP_USER);
	c->sup_mode = db_get(res, r, CALL_C_SUP_MODE);
	c->sup_via = db_get(res, r, CALL_C_SUP_VIA);
	c->sup_phone = db_get(res, r, CALL_C_SUP_PHONE);
	c->sup_started = db_get(res, r, CALL_C_SUP_STARTED);
}

struct call_rows *
call_rows_take(PGresult *res)
{
	struct call_rows	*rows;
	int			 n;

	if (res == NULL)
		return NULL;
	n = PQntuples(res);
	/* One block: the list, then its rows. */
	rows = xcalloc(1, sizeof *rows + (size_t)n * sizeof *rows->v);
	rows->n = n;
	rows->v = (struct call_row *)(rows + 1);
	rows->res = res;
	for (int r = 0; r < n; r++)
		call_row_fill(res, r, &rows->v[r]);
	return rows;
}

void
call_rows_free(struct call_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows);
}

json_t *
call_row_json(const struct call_row *c)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "company_id", db_json_str(c->company));
	json_object_set_new(o, "queue_id", db_json_str(c->queue));
	json_object_set_new(o, "agent_id", db_json_str(c->agent));
	json_object_set_new(o, "state", json_string(call_state_name(c->state)));
	json_object_set_new(o, "direction", db_json_str(c->direction));
	json_object_set_new(o, "media", db_json_str(c->media));
	json_object_set_new(o, "media_used",
	    db_json_value(c->media_used, json_null()));
	json_object_set_new(o, "caller_number", db_json_str(c->number));
	json_object_set_new(o, "caller_name", db_json_str(c->name));
	json_object_set_new(o, "caller_data",
	    db_json_value(c->data, json_null()));
	json_object_set_new(o, "priority", json_integer(c->priority));
	json_object_set_new(o, "skills", db_json_value(c->skills, json_null()));
	json_object_set_new(o, "notes", db_json_str(c->notes));
	json_object_set_new(o, "tags", db_json_value(c->tags, json_null()));
	json_object_set_new(o, "disposition", db_json_str(c->disposition));
	json_object_set_new(o, "enqueued_at", db_json_str(c->enqueued));
	json_object_set_new(o, "answered_at", db_json_str(c->answered));
	json_object_set_new(o, "ended_at", db_json_str(c->ended));
	json_object_set_new(o, "wait_seconds", c->has_wait ?
	    json_real(c->wait) : json_null());
	json_object_set_new(o, "talk_seconds", c->has_talk ?
	    json_real(c->talk) : json_null());
	json_object_set_new(o, "created_at", db_json_str(c->created));
	json_object_set_new(o, "updated_at", db_json_str(c->updated));
	json_object_set_new(o, "callback", c->cb_number == NULL ? json_null() :
	    json_pack("{s:s,s:o,s:i,s:o,s:o,s:o}", "number", c->cb_number,
	    "state", db_json_str(c->cb_state), "attempts", c->cb_attempts,
	    "requested_at", db_json_str(c->cb_requested),
	    "answered_at", db_json_str(c->cb_answered),
	    "retry_at", db_json_str(c->cb_retry)));
	json_object_set_new(o, "supervision", c->sup_mode == NULL ?
	    json_null() : json_pack("{s:o,s:s,s:o,s:o,s:o}", "supervisor_id",
	    db_json_str(c->sup_user), "mode", c->sup_mode,
	    "via", db_json_str(c->sup_via), "phone", db_json_str(c->sup_phone),
	    "started_at", db_json_str(c->sup_started)));
	return o;
}


enum { EV_TYPE, EV_AT, EV_FROM, EV_TO, EV_AGENT, EV_ACTOR, EV_DATA };

static struct call_event_rows *
call_event_rows_take(PGresult *res)
{
	struct call_event_rows	*rows;
	struct call_event	*e;
	int			 n;

	if (res == NULL)
		return NULL;
	n = PQntuples(res);
	rows = xcalloc(1, sizeof *rows + (size_t)n * sizeof *rows->v);
	rows->n = n;
	rows->v = (struct call_event *)(rows + 1);
	rows->res = res;
	for (int r = 0; r < n; r++) {
		e = &rows->v[r];
		e->type = PQgetvalue(res, r, EV_TYPE);
		e->at = PQgetvalue(res, r, EV_AT);
		e->from = db_get(res, r, EV_FROM);
		e->to = db_get(res, r, EV_TO);
		e->agent = db_get(res, r, EV_AGENT);
		e->actor = db_get(res, r, EV_ACTOR);
		e->data = PQgetvalue(res, r, EV_DATA);
	}
	return rows;
}

void
call_event_rows_free(struct call_event_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows);
}

json_t *
call_event_json(const struct call_event *e)
{
	json_t	*data = json_loads(e->data, 0, NULL);

	return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:o}", "type", e->type,
	    "at", e->at, "from_state", e->from, "to_state", e->to,
	    "agent_id", e->agent, "actor_id", e->actor,
	    "data", data ? data : json_object());
}

struct call_rows *
db_call_insert(struct db *db, const struct call_new *c)
{
	const char *p[11] = { c->company, c->queue, c->number, c->name,
	    c->data, c->priority, c->skills, c->media, c->key, c->created_by,
	    c->queued ? "true" : "false" };

	return call_rows_take(db_run(db, &st_insert, 11, p));
}

static PGresult *
db_call_by_key(struct db *db, const char *company, const char *key)
{
	const char *p[2] = { company, key };

	return db_run(db, &st_by_key, 2, p);
}

static PGresult *
db_call_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

struct call_rows *
db_call_find(struct db *db, const char *scope, const char *id)
{
	return call_rows_take(db_call_get(db, scope, id));
}

struct call_rows *
db_call_find_key(struct db *db, const char *company, const char *key)
{
	return call_rows_take(db_call_by_key(db, company, key));
}

struct call_rows *
db_call_list(struct db *db, const char *scope, const struct call_filter *f,
    const struct page *pg)
{
	const char *p[9] = { scope, f->state, f->queue, f->agent, f->from,
	    f->to, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return call_rows_take(db_run(db, &st_list, 9, p));
}

struct call_event_rows *
db_call_events(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return call_event_rows_take(db_run(db, &st_events, 1, p));
}

struct call_rows *
db_call_update(struct db *db, const char *scope, const char *id,
    const char *notes, const char *tags, const char *disposition,
    const char *caller_data, const char *priority, const char *actor)
{
	const char *p[8] = { scope, id, notes, tags, disposition, caller_data,
	    priority, actor };

	return call_rows_take(db_run(db, &st_update, 8, p));
}

int
db_call_wrap_notes(struct db *db, const char *id, const char *notes,
    const char *disposition)
{
	const char *p[3] = { id, notes, disposition };

	return db_exec(db, &st_notes, 3, p);
}

struct call_rows *
db_call_live(struct db *db, const char *company)
{
	const char	*p[1] = { company };

	return call_rows_take(db_run(db, &st_live, 1, p));
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

struct call_rows *
db_call_callback(struct db *db, const char *company, const char *id,
    const char *number, const char *actor)
{
	const char	*p[4] = { id, company, number, actor };

	return call_rows_take(db_run(db, &st_callback, 4, p));
}

struct call_rows *
db_call_callback_set(struct db *db, const char *id, const char *state,
    int add_attempts, int answered, double retry_in, int set_retry)
{
	char		 add[16], retry[32];
	const char	*p[5] = { id, state, add, answered ? "true" : "false",
			    NULL };

	snprintf(add, sizeof add, "%d", add_attempts);
	if (set_retry) {
		snprintf(retry, sizeof retry, "%.3f", retry_in);
		p[4] = retry;
	}
	return call_rows_take(db_run(db, &st_cb_set, 5, p));
}

struct call_rows *
db_call_parked(struct db *db, const char *company)
{
	const char	*p[1] = { company };

	return call_rows_take(db_run(db, &st_parked, 1, p));
}

int
db_call_supervision(struct db *db, const char *company, const char *id,
    struct call_rows **row, int *twilio, int *announce)
{
	const char	*p[2] = { company, id };

	*twilio = *announce = 0;
	if ((*row = call_rows_take(db_run(db, &st_sup_get, 2, p))) == NULL)
		return -1;
	if ((*row)->n == 0) {
		call_rows_free(*row);
		*row = NULL;
		return 0;
	}
	*twilio = PQgetvalue((*row)->res, 0, CALL_C__COUNT)[0] == 't';
	*announce = PQgetvalue((*row)->res, 0, CALL_C__COUNT + 1)[0] == 't';
	return 1;
}

struct call_rows *
db_call_supervise(struct db *db, const char *id, const char *user,
    const char *mode, const char *via, const char *phone, const char *actor,
    const char *data)
{
	const char	*p[7] = { id, user, mode, via, phone, actor, data };

	return call_rows_take(db_run(db, &st_supervise, 7, p));
}

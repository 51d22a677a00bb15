/* SQL for agents and the row-to-JSON function every endpoint uses. */
#include <stdio.h>
#include <stdlib.h>

#include "xmalloc.h"
#include "db.h"
#include "db-agent.h"

#define COLS "id, company_id, user_id, name, extension, skills, max_calls," \
	" state, " SQL_TIME("state_since") ", pause_reason, calls_handled," \
	" talk_seconds, missed_offers, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at") ", " SQL_KEY("created_at") \
	", extract(epoch FROM last_call_end), pending_state, endpoint," \
	" endpoint_address"
#define SCOPE "($1::uuid IS NULL OR company_id = $1)"

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM agents"
	" WHERE " SCOPE " AND ($2::agent_state IS NULL OR state = $2)"
	" AND " SQL_AFTER("created_at", "id", 3, 4)
	" ORDER BY created_at, id LIMIT $5" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM agents"
	" WHERE id = $2 AND " SCOPE };
static struct db_stmt st_by_user = { .sql = "SELECT " COLS " FROM agents"
	" WHERE user_id = $1" };
static struct db_stmt st_all = { .sql = "SELECT " COLS " FROM agents"
	" WHERE $1::uuid IS NULL OR company_id = $1::uuid"
	" ORDER BY created_at, id" };
static struct db_stmt st_ids = { .sql = "SELECT id FROM agents"
	" WHERE company_id = $1" };
static struct db_stmt st_create = { .sql = "INSERT INTO agents"
	" (company_id, user_id, name, extension, skills, max_calls,"
	" endpoint, endpoint_address)"
	" SELECT $1, u.id, coalesce($3, u.name), $4,"
	" coalesce($5::jsonb, '{}'), coalesce($6::int, 1),"
	" coalesce($7::agent_endpoint, 'browser'), $8"
	" FROM users u WHERE u.id = $2 AND u.company_id = $1"
	" AND u.role IN ('agent', 'manager') RETURNING " COLS };
static struct db_stmt st_update = { .sql = "UPDATE agents SET"
	" name = coalesce($3, name), extension = coalesce($4, extension),"
	" skills = coalesce($5::jsonb, skills),"
	" max_calls = coalesce($6::int, max_calls),"
	" endpoint = coalesce($7::agent_endpoint, endpoint),"
	" endpoint_address = CASE WHEN $7 = 'browser' AND $8::text IS NULL"
	"  THEN NULL ELSE coalesce($8, endpoint_address) END,"
	" updated_at = now()"
	" WHERE id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM agents"
	" WHERE id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_state = { .sql = "UPDATE agents SET"
	" state = $2::agent_state,"
	" pause_reason = CASE WHEN $5::boolean THEN pause_reason ELSE $3 END,"
	" pending_state = $4::agent_state,"
	" state_since = CASE WHEN state = $2::agent_state THEN state_since"
	"  ELSE now() END, updated_at = now()"
	" WHERE id = $1 RETURNING " COLS };
static struct db_stmt st_done = { .sql = "UPDATE agents SET"
	" calls_handled = calls_handled + 1,"
	" talk_seconds = talk_seconds + $2::double precision,"
	" last_call_end = now() WHERE id = $1" };
/*
 * Calls each agent answered since midnight in its company's time zone
 * (counted for the call's agent, the last one after a transfer). Calls
 * answered today entered their queue at most a day before, which lets the
 * scan use calls_enqueued_idx.
 */
#define TODAY "(date_trunc('day', now() AT TIME ZONE co.timezone)" \
	" AT TIME ZONE co.timezone)"
static struct db_stmt st_today = { .sql = "SELECT c.agent_id,"
	" count(*), coalesce(sum(c.talk_seconds), 0)"
	" FROM calls c JOIN companies co ON co.id = c.company_id"
	" WHERE ($1::uuid IS NULL OR c.company_id = $1)"
	" AND c.agent_id IS NOT NULL"
	" AND c.enqueued_at >= " TODAY " - interval '1 day'"
	" AND c.answered_at >= " TODAY
	" GROUP BY c.agent_id ORDER BY c.agent_id" };
static struct db_stmt st_missed = { .sql = "UPDATE agents SET"
	" missed_offers = missed_offers + 1 WHERE id = $1" };

enum agent_col {
	AGENT_C_ID, AGENT_C_COMPANY, AGENT_C_USER, AGENT_C_NAME,
	AGENT_C_EXTENSION, AGENT_C_SKILLS, AGENT_C_MAX_CALLS, AGENT_C_STATE,
	AGENT_C_SINCE, AGENT_C_REASON, AGENT_C_HANDLED, AGENT_C_TALK,
	AGENT_C_MISSED, AGENT_C_CREATED, AGENT_C_UPDATED, AGENT_C_KEY,
	AGENT_C_LAST_END, AGENT_C_PENDING, AGENT_C_ENDPOINT, AGENT_C_ADDRESS,
};

/* The rows of res, which it clears; NULL if res is. */
static struct agent_rows *
agent_rows(PGresult *res)
{
	struct agent_rows	*rows;
	struct agent_row	*a;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		a = &rows->v[r];
		db_copy(a->id, sizeof a->id, res, r, AGENT_C_ID);
		db_copy(a->company, sizeof a->company, res, r, AGENT_C_COMPANY);
		db_copy(a->user, sizeof a->user, res, r, AGENT_C_USER);
		a->name = db_dup(res, r, AGENT_C_NAME);
		a->extension = db_dup(res, r, AGENT_C_EXTENSION);
		a->skills = db_dup(res, r, AGENT_C_SKILLS);
		a->max_calls = atoi(PQgetvalue(res, r, AGENT_C_MAX_CALLS));
		db_copy(a->state, sizeof a->state, res, r, AGENT_C_STATE);
		db_copy(a->since, sizeof a->since, res, r, AGENT_C_SINCE);
		a->reason = db_dup(res, r, AGENT_C_REASON);
		db_copy(a->pending, sizeof a->pending, res, r, AGENT_C_PENDING);
		a->handled = atoi(PQgetvalue(res, r, AGENT_C_HANDLED));
		a->talk = strtod(PQgetvalue(res, r, AGENT_C_TALK), NULL);
		a->missed = atoi(PQgetvalue(res, r, AGENT_C_MISSED));
		db_copy(a->created, sizeof a->created, res, r, AGENT_C_CREATED);
		db_copy(a->updated, sizeof a->updated, res, r, AGENT_C_UPDATED);
		db_copy(a->key, sizeof a->key, res, r, AGENT_C_KEY);
		a->last_end = strtod(PQgetvalue(res, r, AGENT_C_LAST_END), NULL);
		db_copy(a->endpoint, sizeof a->endpoint, res, r,
		    AGENT_C_ENDPOINT);
		a->address = db_dup(res, r, AGENT_C_ADDRESS);
	}
	PQclear(res);
	return rows;
}

void
agent_rows_free(struct agent_rows *rows)
{
	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		free(rows->v[r].name);
		free(rows->v[r].extension);
		free(rows->v[r].skills);
		free(rows->v[r].reason);
		free(rows->v[r].address);
	}
	free(rows->v);
	free(rows);
}

json_t *
agent_json(const struct agent_row *a)
{
	json_t	*skills = json_loads(a->skills != NULL ? a->skills : "", 0,
		    NULL);

	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:i,s:s,s:s,s:s?,s:s?,"
	    "s:i,s:f,s:i,s:s,s:s,s:s,s:s?}",
	    "id", a->id, "company_id", a->company, "user_id", a->user,
	    "name", a->name, "extension", a->extension,
	    "skills", skills ? skills : json_object(),
	    "max_calls", a->max_calls, "state", a->state,
	    "state_since", a->since, "pause_reason", a->reason,
	    "pending_state", a->pending[0] != '\0' ? a->pending : NULL,
	    "calls_handled", a->handled, "talk_seconds", a->talk,
	    "missed_offers", a->missed,
	    "created_at", a->created, "updated_at", a->updated,
	    "endpoint", a->endpoint, "endpoint_address", a->address);
}

struct agent_rows *
db_agent_list(struct db *db, const char *scope, const char *state,
    const struct page *pg)
{
	const char *p[5] = { scope, state,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return agent_rows(db_run(db, &st_list, 5, p));
}

struct agent_rows *
db_agent_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return agent_rows(db_run(db, &st_get, 2, p));
}

struct agent_rows *
db_agent_by_user(struct db *db, const char *user)
{
	const char *p[1] = { user };

	return agent_rows(db_run(db, &st_by_user, 1, p));
}

struct agent_rows *
db_agent_all(struct db *db, const char *company)
{
	const char	*p[1] = { company };

	return agent_rows(db_run(db, &st_all, 1, p));
}

struct agent_rows *
db_agent_create(struct db *db, const char *company, const char *user,
    const char *name, const char *ext, const char *skills,
    const char *max_calls, const char *endpoint, const char *address)
{
	const char *p[8] = { company, user, name, ext, skills, max_calls,
	    endpoint, address };

	return agent_rows(db_run(db, &st_create, 8, p));
}

struct agent_rows *
db_agent_update(struct db *db, const char *scope, const char *id,
    const char *name, const char *ext, const char *skills,
    const char *max_calls, const char *endpoint, const char *address)
{
	const char *p[8] = { scope, id, name, ext, skills, max_calls,
	    endpoint, address };

	return agent_rows(db_run(db, &st_update, 8, p));
}

struct agent_rows *
db_agent_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return agent_rows(db_run(db, &st_delete, 2, p));
}

struct agent_rows *
db_agent_state(struct db *db, const char *id, const char *state,
    const char *reason, const char *pending, int keep_reason)
{
	const char *p[5] = { id, state, reason, pending,
	    keep_reason ? "true" : "false" };

	return agent_rows(db_run(db, &st_state, 5, p));
}

int
db_agent_call_done(struct db *db, const char *id, double talk)
{
	char		 t[32];
	const char	*p[2] = { id, t };
	PGresult	*res;

	snprintf(t, sizeof t, "%.3f", talk);
	if ((res = db_run(db, &st_done, 2, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_agent_missed(struct db *db, const char *id)
{
	const char	*p[1] = { id };
	PGresult	*res;

	if ((res = db_run(db, &st_missed, 1, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

struct db_ids *
db_agent_ids(struct db *db, const char *company)
{
	const char *p[1] = { company };

	return db_ids_take(db_run(db, &st_ids, 1, p), 0);
}

struct agent_today_rows *
db_agent_today(struct db *db, const char *scope)
{
	const char		*p[1] = { scope };
	struct agent_today_rows	*rows;
	PGresult		*res;

	if ((res = db_run(db, &st_today, 1, p)) == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		db_copy(rows->v[r].agent, sizeof rows->v[r].agent, res, r, 0);
		rows->v[r].handled = atoi(PQgetvalue(res, r, 1));
		rows->v[r].talk = atof(PQgetvalue(res, r, 2));
	}
	PQclear(res);
	return rows;
}

void
agent_today_free(struct agent_today_rows *rows)
{
	if (rows == NULL)
		return;
	free(rows->v);
	free(rows);
}

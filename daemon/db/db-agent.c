/* SQL for agents and the row-to-JSON function every endpoint uses. */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "db-agent.h"

#define COLS "id, company_id, user_id, name, extension, skills, max_calls," \
	" state, " SQL_TIME("state_since") ", pause_reason, calls_handled," \
	" talk_seconds, missed_offers, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at") ", " SQL_KEY("created_at") \
	", extract(epoch FROM last_call_end), pending_state"
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
	" ORDER BY created_at, id" };
static struct db_stmt st_ids = { .sql = "SELECT id FROM agents"
	" WHERE company_id = $1" };
static struct db_stmt st_create = { .sql = "INSERT INTO agents"
	" (company_id, user_id, name, extension, skills, max_calls)"
	" SELECT $1, u.id, coalesce($3, u.name), $4,"
	" coalesce($5::jsonb, '{}'), coalesce($6::int, 1)"
	" FROM users u WHERE u.id = $2 AND u.company_id = $1"
	" AND u.role IN ('agent', 'manager') RETURNING " COLS };
static struct db_stmt st_update = { .sql = "UPDATE agents SET"
	" name = coalesce($3, name), extension = coalesce($4, extension),"
	" skills = coalesce($5::jsonb, skills),"
	" max_calls = coalesce($6::int, max_calls), updated_at = now()"
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

static json_t *
str_or_null(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_string(PQgetvalue(res, r, c));
}

json_t *
agent_json(const PGresult *res, int r)
{
	json_t	*skills = json_loads(PQgetvalue(res, r, AGENT_C_SKILLS), 0, NULL);

	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:s,s:s,s:o,s:o,s:i,"
	    "s:f,s:i,s:s,s:s}",
	    "id", PQgetvalue(res, r, AGENT_C_ID),
	    "company_id", PQgetvalue(res, r, AGENT_C_COMPANY),
	    "user_id", PQgetvalue(res, r, AGENT_C_USER),
	    "name", PQgetvalue(res, r, AGENT_C_NAME),
	    "extension", str_or_null(res, r, AGENT_C_EXTENSION),
	    "skills", skills ? skills : json_object(),
	    "max_calls", atoi(PQgetvalue(res, r, AGENT_C_MAX_CALLS)),
	    "state", PQgetvalue(res, r, AGENT_C_STATE),
	    "state_since", PQgetvalue(res, r, AGENT_C_SINCE),
	    "pause_reason", str_or_null(res, r, AGENT_C_REASON),
	    "pending_state", str_or_null(res, r, AGENT_C_PENDING),
	    "calls_handled", atoi(PQgetvalue(res, r, AGENT_C_HANDLED)),
	    "talk_seconds", strtod(PQgetvalue(res, r, AGENT_C_TALK), NULL),
	    "missed_offers", atoi(PQgetvalue(res, r, AGENT_C_MISSED)),
	    "created_at", PQgetvalue(res, r, AGENT_C_CREATED),
	    "updated_at", PQgetvalue(res, r, AGENT_C_UPDATED));
}

PGresult *
db_agent_list(struct db *db, const char *scope, const char *state,
    const struct page *pg)
{
	const char *p[5] = { scope, state,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_list, 5, p);
}

PGresult *
db_agent_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_agent_by_user(struct db *db, const char *user)
{
	const char *p[1] = { user };

	return db_run(db, &st_by_user, 1, p);
}

PGresult *
db_agent_all(struct db *db)
{
	return db_run(db, &st_all, 0, NULL);
}

PGresult *
db_agent_create(struct db *db, const char *company, const char *user,
    const char *name, const char *ext, const char *skills,
    const char *max_calls)
{
	const char *p[6] = { company, user, name, ext, skills, max_calls };

	return db_run(db, &st_create, 6, p);
}

PGresult *
db_agent_update(struct db *db, const char *scope, const char *id,
    const char *name, const char *ext, const char *skills,
    const char *max_calls)
{
	const char *p[6] = { scope, id, name, ext, skills, max_calls };

	return db_run(db, &st_update, 6, p);
}

PGresult *
db_agent_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_delete, 2, p);
}

PGresult *
db_agent_state(struct db *db, const char *id, const char *state,
    const char *reason, const char *pending, int keep_reason)
{
	const char *p[5] = { id, state, reason, pending,
	    keep_reason ? "true" : "false" };

	return db_run(db, &st_state, 5, p);
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

PGresult *
db_agent_ids(struct db *db, const char *company)
{
	const char *p[1] = { company };

	return db_run(db, &st_ids, 1, p);
}

PGresult *
db_agent_today(struct db *db, const char *scope)
{
	const char *p[1] = { scope };

	return db_run(db, &st_today, 1, p);
}

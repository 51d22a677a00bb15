/* SQL for the conference bridge of Twilio calls (db-twilio.h, sql/027). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-twilio.h"

static const char *const role_names[] = {
	[TWILIO_LEG_AGENT] = "agent",
	[TWILIO_LEG_SUPERVISOR] = "supervisor",
};

static struct db_stmt st_bridge = { .sql = "SELECT t.call_sid,"
	" t.ended_by_twilio, t.conference, t.held,"
	" coalesce(t.conference_sid, ''), coalesce(t.recording_sid, ''),"
	" coalesce((SELECT call_sid FROM twilio_legs l WHERE l.call_id ="
	" t.call_id AND l.role = 'agent' AND l.current), ''),"
	" coalesce((SELECT call_sid FROM twilio_legs l WHERE l.call_id ="
	" t.call_id AND l.role = 'supervisor' AND l.current), '')"
	" FROM twilio_calls t WHERE t.company_id = $1 AND t.call_id = $2" };
static struct db_stmt st_conference = { .sql = "UPDATE twilio_calls"
	" SET conference = $3, conference_sid = CASE WHEN $3 THEN"
	" conference_sid END, held = false, updated_at = now()"
	" WHERE company_id = $1 AND call_id = $2" };
static struct db_stmt st_conference_sid = { .sql = "UPDATE twilio_calls"
	" SET conference_sid = $3, updated_at = now()"
	" WHERE company_id = $1 AND call_id = $2" };
static struct db_stmt st_held = { .sql = "UPDATE twilio_calls"
	" SET held = $3, updated_at = now()"
	" WHERE company_id = $1 AND call_id = $2" };
static struct db_stmt st_recording = { .sql = "UPDATE twilio_calls"
	" SET recording_sid = $3, updated_at = now()"
	" WHERE company_id = $1 AND call_id = $2" };
static struct db_stmt st_leg_add = { .sql = "INSERT INTO twilio_legs"
	" (company_id, call_id, call_sid, role, agent_id)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING" };
static struct db_stmt st_leg_retire = { .sql = "UPDATE twilio_legs"
	" SET current = false WHERE company_id = $1 AND call_id = $2"
	" AND role = $3 AND current RETURNING 1" };
static struct db_stmt st_leg = { .sql = "WITH old AS (SELECT call_id, role,"
	" current FROM twilio_legs WHERE company_id = $1 AND call_sid = $2"
	" FOR UPDATE), up AS (UPDATE twilio_legs t SET current = false"
	" FROM old WHERE $3 AND old.current AND t.company_id = $1"
	" AND t.call_sid = $2) SELECT call_id, role, current FROM old" };

int
db_twilio_bridge(struct db *db, const char *company, const char *call,
    struct twilio_bridge *b)
{
	const char	*p[2] = { company, call };
	PGresult	*res;
	int		 n;

	memset(b, 0, sizeof *b);
	if ((res = db_run(db, &st_bridge, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1)) {
		strlcpy_(b->caller, PQgetvalue(res, 0, 0), sizeof b->caller);
		b->ended = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		b->conference = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
		b->held = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		strlcpy_(b->conference_sid, PQgetvalue(res, 0, 4),
		    sizeof b->conference_sid);
		strlcpy_(b->recording_sid, PQgetvalue(res, 0, 5),
		    sizeof b->recording_sid);
		strlcpy_(b->agent_leg, PQgetvalue(res, 0, 6),
		    sizeof b->agent_leg);
		strlcpy_(b->supervisor_leg, PQgetvalue(res, 0, 7),
		    sizeof b->supervisor_leg);
	}
	PQclear(res);
	return n;
}

static int
set3(struct db *db, struct db_stmt *st, const char *company,
    const char *call, const char *v)
{
	const char	*p[3] = { company, call, v };

	return db_exec(db, st, 3, p);
}

int
db_twilio_set_conference(struct db *db, const char *company,
    const char *call, int in)
{
	return set3(db, &st_conference, company, call, in ? "t" : "f");
}

int
db_twilio_set_conference_sid(struct db *db, const char *company,
    const char *call, const char *conference_sid)
{
	return set3(db, &st_conference_sid, company, call, conference_sid);
}

int
db_twilio_set_held(struct db *db, const char *company, const char *call,
    int held)
{
	return set3(db, &st_held, company, call, held ? "t" : "f");
}

int
db_twilio_set_recording(struct db *db, const char *company,
    const char *call, const char *recording_sid)
{
	return set3(db, &st_recording, company, call, recording_sid);
}

int
db_twilio_leg_add(struct db *db, const char *company, const char *call,
    enum twilio_leg_role role, const char *sid, const char *agent)
{
	const char	*p[5] = { company, call, sid, role_names[role], agent };

	/* One writer (the REST thread): retire, then add. */
	if (db_twilio_leg_retire(db, company, call, role) < 0)
		return -1;
	return db_exec(db, &st_leg_add, 5, p);
}

int
db_twilio_leg_retire(struct db *db, const char *company, const char *call,
    enum twilio_leg_role role)
{
	const char	*p[3] = { company, call, role_names[role] };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_leg_retire, 3, p)) == NULL)
		return -1;
	n = PQntuples(res) > 0;
	PQclear(res);
	return n;
}

int
db_twilio_leg(struct db *db, const char *company, const char *sid,
    int retire, char call[UUID_LEN + 1], enum twilio_leg_role *role,
    int *current)
{
	const char	*p[3] = { company, sid, retire ? "t" : "f" };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_leg, 3, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1)) {
		strlcpy_(call, PQgetvalue(res, 0, 0), UUID_LEN + 1);
		*role = strcmp(PQgetvalue(res, 0, 1), "agent") == 0 ?
		    TWILIO_LEG_AGENT : TWILIO_LEG_SUPERVISOR;
		*current = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	}
	PQclear(res);
	return n;
}

/* SQL for integrations: webhook secrets, delivery ids, Twilio calls. */
#include <stdlib.h>

#include "db.h"
#include "db-integration.h"

#define COLS "account_sid, secret, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at")

static struct db_stmt st_get = { .sql = "SELECT " COLS
	" FROM company_integrations WHERE company_id = $1 AND kind = $2" };
static struct db_stmt st_put = { .sql = "INSERT INTO company_integrations"
	" (company_id, kind, account_sid, secret) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (company_id, kind) DO UPDATE SET"
	" account_sid = excluded.account_sid, secret = excluded.secret,"
	" updated_at = now() RETURNING " COLS ", xmax = 0" };
static struct db_stmt st_delete = { .sql = "DELETE FROM company_integrations"
	" WHERE company_id = $1 AND kind = $2 RETURNING " COLS };
/* Forget ids past the window (10 minutes: twice the tolerance) first. */
static struct db_stmt st_prune = { .sql = "DELETE FROM incoming_deliveries"
	" WHERE received_at < now() - interval '10 minutes'" };
static struct db_stmt st_claim = { .sql = "INSERT INTO incoming_deliveries"
	" (company_id, delivery_id) VALUES ($1, $2)"
	" ON CONFLICT DO NOTHING RETURNING 1" };
static struct db_stmt st_forget = { .sql = "DELETE FROM incoming_deliveries"
	" WHERE company_id = $1 AND delivery_id = $2" };
static struct db_stmt st_tw_call = { .sql = "SELECT call_id, twiml"
	" FROM twilio_calls WHERE company_id = $1 AND call_sid = $2" };
static struct db_stmt st_tw_sid = { .sql = "SELECT call_sid"
	" FROM twilio_calls WHERE company_id = $1 AND call_id = $2" };
static struct db_stmt st_tw_put = { .sql = "INSERT INTO twilio_calls"
	" (company_id, call_sid, call_id, twiml) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (company_id, call_sid) DO UPDATE SET"
	" twiml = excluded.twiml, updated_at = now()"
	" WHERE twilio_calls.call_id = excluded.call_id" };

PGresult *
db_integration_get(struct db *db, const char *company, const char *kind)
{
	const char *p[2] = { company, kind };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_integration_put(struct db *db, const char *company, const char *kind,
    const char *account, const char *secret)
{
	const char *p[4] = { company, kind, account, secret };

	return db_run(db, &st_put, 4, p);
}

PGresult *
db_integration_delete(struct db *db, const char *company, const char *kind)
{
	const char *p[2] = { company, kind };

	return db_run(db, &st_delete, 2, p);
}

int
db_delivery_claim(struct db *db, const char *company, const char *id)
{
	const char	*p[2] = { company, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_prune, 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	if ((res = db_run(db, &st_claim, 2, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n;
}

int
db_delivery_forget(struct db *db, const char *company, const char *id)
{
	const char	*p[2] = { company, id };
	PGresult	*res;

	if ((res = db_run(db, &st_forget, 2, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGresult *
db_twilio_call(struct db *db, const char *company, const char *sid)
{
	const char *p[2] = { company, sid };

	return db_run(db, &st_tw_call, 2, p);
}

PGresult *
db_twilio_sid(struct db *db, const char *company, const char *call)
{
	const char *p[2] = { company, call };

	return db_run(db, &st_tw_sid, 2, p);
}

int
db_twilio_put(struct db *db, const char *company, const char *sid,
    const char *call, const char *twiml)
{
	const char	*p[4] = { company, sid, call, twiml };
	PGresult	*res;

	if ((res = db_run(db, &st_tw_put, 4, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

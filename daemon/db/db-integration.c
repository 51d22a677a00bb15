/* SQL for integrations: webhook secrets, delivery ids, Twilio calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-call.h"
#include "db-integration.h"

#define COLS "account_sid, secret, " SQL_TIME("created_at") ", " \
	SQL_TIME("updated_at") ", api_key_sid, api_key_secret, twiml_app_sid"
enum { C_ACCOUNT, C_SECRET, C_CREATED, C_UPDATED, C_KEY_SID, C_KEY_SECRET,
	C_APP_SID, C_NEW };

static struct db_stmt st_get = { .sql = "SELECT " COLS
	" FROM company_integrations WHERE company_id = $1 AND kind = $2" };
/*
 * $8 keeps the stored API key and $9 the TwiML App when the account stays
 * the same (a key belongs to its account).
 */
static struct db_stmt st_put = { .sql = "INSERT INTO company_integrations"
	" AS i (company_id, kind, account_sid, secret, api_key_sid,"
	" api_key_secret, twiml_app_sid) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	" ON CONFLICT (company_id, kind) DO UPDATE SET"
	" account_sid = excluded.account_sid, secret = excluded.secret,"
	" api_key_sid = CASE WHEN $8 AND i.account_sid = excluded.account_sid"
	" THEN i.api_key_sid ELSE excluded.api_key_sid END,"
	" api_key_secret = CASE WHEN $8 AND i.account_sid = excluded.account_sid"
	" THEN i.api_key_secret ELSE excluded.api_key_secret END,"
	" twiml_app_sid = CASE WHEN $9 AND i.account_sid = excluded.account_sid"
	" THEN i.twiml_app_sid ELSE excluded.twiml_app_sid END,"
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
static struct db_stmt st_tw_put = { .sql = "INSERT INTO twilio_calls"
	" (company_id, call_sid, call_id, twiml) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (company_id, call_sid) DO UPDATE SET"
	" twiml = excluded.twiml, updated_at = now()"
	" WHERE twilio_calls.call_id = excluded.call_id" };
/* A callback's new outbound call takes over the call's mapping. */
static struct db_stmt st_tw_remap = { .sql = "INSERT INTO twilio_calls"
	" (company_id, call_sid, call_id) VALUES ($1, $2, $3)"
	" ON CONFLICT (call_id) DO UPDATE SET call_sid = excluded.call_sid,"
	" twiml = NULL, ended_by_twilio = false, conference = false,"
	" conference_sid = NULL, held = false, recording_sid = NULL,"
	" updated_at = now()" };
static struct db_stmt st_tw_ended = { .sql = "UPDATE twilio_calls"
	" SET ended_by_twilio = true, updated_at = now()"
	" WHERE company_id = $1 AND call_sid = $2" };
static struct db_stmt st_tw_announce = { .sql = "UPDATE twilio_calls"
	" SET announced_at = now() WHERE company_id = $1 AND call_sid = $2"
	" AND (announced_at IS NULL OR announced_at <= now() -"
	" make_interval(secs => $3::int - 1)) RETURNING 1" };
static struct db_stmt st_tw_of = { .sql = "SELECT call_sid, ended_by_twilio"
	" FROM twilio_calls WHERE company_id = $1 AND call_id = $2" };

void
integration_clear(struct integration *in)
{
	if (in->secret != NULL)
		explicit_bzero(in->secret, strlen(in->secret));
	if (in->key_secret != NULL)
		explicit_bzero(in->key_secret, strlen(in->key_secret));
	free(in->secret);
	free(in->account);
	free(in->key_sid);
	free(in->key_secret);
	free(in->app_sid);
	memset(in, 0, sizeof *in);
}

/* The integration as the API shows it (never its secret); in NULL: none. */
json_t *
integration_json(const char *kind, const struct integration *in)
{
	json_t	*o = json_pack("{s:s,s:b}", "kind", kind, "configured",
	    in != NULL);

	if (in == NULL)
		return o;
	if (in->account != NULL)
		json_object_set_new(o, "account_sid", json_string(in->account));
	/* Twilio shows these SIDs too; the API key's secret never. */
	if (strcmp(kind, "twilio") == 0) {
		json_object_set_new(o, "api_key_sid", in->key_sid != NULL ?
		    json_string(in->key_sid) : json_null());
		json_object_set_new(o, "twiml_app_sid", in->app_sid != NULL ?
		    json_string(in->app_sid) : json_null());
	}
	json_object_set_new(o, "created_at", json_string(in->created));
	json_object_set_new(o, "updated_at", json_string(in->updated));
	return o;
}

/* Row 0 of res into out; the secret's copy in res wiped. */
static void
integration_fill(PGresult *res, struct integration *out)
{
	char	*secret = PQgetvalue(res, 0, C_SECRET);

	memset(out, 0, sizeof *out);
	if (!PQgetisnull(res, 0, C_ACCOUNT))
		out->account = xstrdup(PQgetvalue(res, 0, C_ACCOUNT));
	out->secret = xstrdup(secret);
	explicit_bzero(secret, strlen(secret));
	if (!PQgetisnull(res, 0, C_KEY_SID))
		out->key_sid = xstrdup(PQgetvalue(res, 0, C_KEY_SID));
	if (!PQgetisnull(res, 0, C_KEY_SECRET)) {
		secret = PQgetvalue(res, 0, C_KEY_SECRET);
		out->key_secret = xstrdup(secret);
		explicit_bzero(secret, strlen(secret));
	}
	if (!PQgetisnull(res, 0, C_APP_SID))
		out->app_sid = xstrdup(PQgetvalue(res, 0, C_APP_SID));
	strlcpy_(out->created, PQgetvalue(res, 0, C_CREATED),
	    sizeof out->created);
	strlcpy_(out->updated, PQgetvalue(res, 0, C_UPDATED),
	    sizeof out->updated);
	if (PQnfields(res) > C_NEW)
		out->is_new = strcmp(PQgetvalue(res, 0, C_NEW), "t") == 0;
}

int
db_integration_get(struct db *db, const char *company, const char *kind,
    struct integration *out)
{
	const char	*p[2] = { company, kind };
	PGresult	*res;
	int		 n;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_get, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1))
		integration_fill(res, out);
	PQclear(res);
	return n;
}

int
db_integration_put(struct db *db, const char *company, const char *kind,
    const struct integration_in *in, struct integration *out)
{
	const char	*p[9] = { company, kind, in->account, in->secret,
			    in->key_sid, in->key_secret, in->app_sid,
			    in->keep_key ? "t" : "f", in->keep_app ? "t" : "f" };
	PGresult	*res;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_put, 9, p)) == NULL)
		return -1;
	integration_fill(res, out);
	PQclear(res);
	return 0;
}

int
db_integration_delete(struct db *db, const char *company, const char *kind)
{
	const char	*p[2] = { company, kind };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_delete, 2, p)) == NULL)
		return -1;
	n = PQntuples(res) > 0;
	PQclear(res);
	return n;
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

int
db_twilio_call(struct db *db, const char *company, const char *sid,
    struct twilio_call *t)
{
	const char	*p[2] = { company, sid };
	PGresult	*res;
	int		 n;

	memset(t, 0, sizeof *t);
	if ((res = db_run(db, &st_tw_call, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1)) {
		strlcpy_(t->call, PQgetvalue(res, 0, 0), sizeof t->call);
		if (!PQgetisnull(res, 0, 1))
			t->twiml = xstrdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return n;
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

int
db_twilio_remap(struct db *db, const char *company, const char *sid,
    const char *call)
{
	const char	*p[3] = { company, sid, call };

	return db_exec(db, &st_tw_remap, 3, p);
}

int
db_twilio_ended(struct db *db, const char *company, const char *sid)
{
	const char	*p[2] = { company, sid };

	return db_exec(db, &st_tw_ended, 2, p);
}

int
db_twilio_of_call(struct db *db, const char *company, const char *call,
    char *sid, size_t sidlen, int *ended)
{
	const char	*p[2] = { company, call };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_tw_of, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1)) {
		strlcpy_(sid, PQgetvalue(res, 0, 0), sidlen);
		*ended = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	return n;
}

int
db_twilio_announce_due(struct db *db, const char *company, const char *sid,
    int interval)
{
	char		 n[16];
	const char	*p[3] = { company, sid, n };
	PGresult	*res;
	int		 due;

	snprintf(n, sizeof n, "%d", interval);
	if ((res = db_run(db, &st_tw_announce, 3, p)) == NULL)
		return -1;
	due = PQntuples(res) > 0;
	PQclear(res);
	return due;
}

void
hook_call_clear(struct hook_call *c)
{
	json_decref(c->obj);
	memset(c, 0, sizeof *c);
}

int
db_hook_call(struct db *db, const char *company, const char *id,
    const char *key, struct hook_call *c)
{
	struct call_rows	*rows;
	int			 n;

	memset(c, 0, sizeof *c);
	rows = id != NULL ? db_call_find(db, company, id) :
	    db_call_find_key(db, company, key);
	if (rows == NULL)
		return -1;
	if ((n = rows->n == 1)) {
		strlcpy_(c->id, rows->v[0].id, sizeof c->id);
		c->state = rows->v[0].state != CALL_STATE_COUNT ?
		    rows->v[0].state : CALL_NEW;
		c->obj = call_row_json(&rows->v[0]);
	}
	call_rows_free(rows);
	return n;
}

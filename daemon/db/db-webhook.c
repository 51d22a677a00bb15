/* SQL for webhook endpoints, their deliveries and attempts, and their JSON. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db-webhook.h"

#define COLS "w.id, w.company_id, w.url, w.description, w.format," \
	" array_to_json(w.events), w.min_wait, w.enabled, w.disabled_reason, " \
	SQL_TIME("w.created_at") ", " SQL_TIME("w.updated_at") ", " \
	SQL_KEY("w.created_at") ", w.secret"
#define SCOPE "($1::uuid IS NULL OR w.company_id = $1)"
#define DCOLS "d.id, d.webhook_id, d.event_type, d.state, d.attempts," \
	" CASE WHEN d.state = 'pending' THEN " SQL_TIME("d.next_attempt_at") \
	" END, d.last_status, d.last_error, " SQL_TIME("d.created_at") ", " \
	SQL_TIME("d.delivered_at") ", d.payload," \
	" (SELECT coalesce(json_agg(json_build_object('at', " \
	SQL_TIME("t.at") ", 'status', t.status, 'error', t.error," \
	" 'response', t.response, 'duration_ms', t.duration_ms) ORDER BY t.id)," \
	" '[]') FROM (SELECT * FROM webhook_attempts x" \
	" WHERE x.delivery_id = d.id ORDER BY x.id DESC LIMIT 20) t), " \
	SQL_KEY("d.created_at")
#define EVENTS(n) "ARRAY(SELECT jsonb_array_elements_text($" #n "::jsonb))"

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM webhooks w"
	" WHERE w.company_id = $1 AND " SQL_AFTER("w.created_at", "w.id", 2, 3)
	" ORDER BY w.created_at, w.id LIMIT $4" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM webhooks w"
	" WHERE w.id = $2 AND " SCOPE };
static struct db_stmt st_create = { .sql = "INSERT INTO webhooks AS w"
	" (company_id, url, description, format, events, min_wait, secret)"
	" VALUES ($1, $2, $3, coalesce($4::webhook_format, 'standard'),"
	" " EVENTS(5) ", $6::int, $7) RETURNING " COLS };
static struct db_stmt st_update = { .sql = "UPDATE webhooks w SET"
	" url = coalesce($3, w.url),"
	" description = coalesce($4, w.description),"
	" format = coalesce($5::webhook_format, w.format),"
	" events = CASE WHEN $6::jsonb IS NULL THEN w.events ELSE " EVENTS(6)
	" END,"
	" min_wait = CASE WHEN $8::bool THEN NULL"
	"  ELSE coalesce($7::int, w.min_wait) END,"
	" enabled = coalesce($9::bool, w.enabled),"
	" disabled_reason = CASE WHEN coalesce($9::bool, w.enabled) THEN NULL"
	"  WHEN $9::bool = false THEN 'disabled by a user'"
	"  ELSE w.disabled_reason END,"
	" secret = coalesce($10, w.secret), updated_at = now()"
	" WHERE w.id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM webhooks w"
	" WHERE w.id = $2 AND " SCOPE " RETURNING w.id, w.company_id" };
static struct db_stmt st_test = { .sql = "WITH d AS (INSERT INTO"
	" webhook_deliveries (webhook_id, company_id, event_type, payload)"
	" SELECT w.id, w.company_id, 'webhook.test', jsonb_build_object("
	" 'type', 'webhook.test', 'timestamp', webhook_time(now()),"
	" 'data', jsonb_build_object('webhook_id', w.id,"
	" 'message', 'a test event from CallDocker'))"
	" FROM webhooks w WHERE w.id = $2 AND w.enabled AND " SCOPE
	" RETURNING *),"
	" n AS (SELECT pg_notify('webhook_outbox', '') FROM d)"
	" SELECT " DCOLS " FROM d, (SELECT count(*) FROM n) x" };
static struct db_stmt st_deliveries = { .sql = "SELECT " DCOLS
	" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
	" WHERE d.webhook_id = $2 AND " SCOPE
	" AND ($3::webhook_delivery_state IS NULL OR d.state = $3)"
	" AND ($4::bigint IS NULL OR (" SQL_KEY("d.created_at") ", d.id) <"
	"  ($4::bigint, $5::uuid))"
	" ORDER BY d.created_at DESC, d.id DESC LIMIT $6" };
static struct db_stmt st_redeliver = { .sql = "WITH d AS ("
	"UPDATE webhook_deliveries d SET state = 'pending', attempts = 0,"
	" next_attempt_at = now(), lease_until = NULL, delivered_at = NULL"
	" FROM webhooks w WHERE d.id = $3 AND d.webhook_id = $2"
	" AND w.id = d.webhook_id AND " SCOPE
	" AND (d.lease_until IS NULL OR d.lease_until < now())"
	" RETURNING d.*),"
	" n AS (SELECT pg_notify('webhook_outbox', '') FROM d)"
	" SELECT " DCOLS " FROM d, (SELECT count(*) FROM n) x" };

/*
 * Claim at most $2 due rows, at most $3 leased per endpoint: the endpoints
 * with pending rows (a skip scan of sql/013's index, one probe each), each
 * one's oldest due rows up to its free places, then the oldest of those
 * overall. A row with a lease is always pending (record and release clear
 * it).
 */
static struct db_stmt st_claim = { .sql = "WITH RECURSIVE h(id) AS ("
	" SELECT (SELECT x.webhook_id FROM webhook_deliveries x"
	"  WHERE x.state = 'pending' ORDER BY x.webhook_id LIMIT 1)"
	" UNION ALL SELECT (SELECT x.webhook_id FROM webhook_deliveries x"
	"  WHERE x.state = 'pending' AND x.webhook_id > h.id"
	"  ORDER BY x.webhook_id LIMIT 1)"
	" FROM h WHERE h.id IS NOT NULL)"
	" UPDATE webhook_deliveries d SET"
	" lease_until = now() + make_interval(secs => $1::float8),"
	" attempts = d.attempts + 1"
	" FROM webhooks w WHERE w.id = d.webhook_id AND d.id IN ("
	"  SELECT l.id FROM webhook_deliveries l WHERE l.id IN ("
	"   SELECT c.id FROM h JOIN webhooks y ON y.id = h.id AND y.enabled"
	"   CROSS JOIN LATERAL (SELECT count(*) AS n FROM webhook_deliveries f"
	"    WHERE f.webhook_id = y.id AND f.lease_until >= now()) b"
	"   CROSS JOIN LATERAL (SELECT x.id, x.next_attempt_at"
	"    FROM webhook_deliveries x WHERE x.webhook_id = y.id"
	"    AND x.state = 'pending' AND x.next_attempt_at <= now()"
	"    AND (x.lease_until IS NULL OR x.lease_until < now())"
	"    ORDER BY x.next_attempt_at"
	"    LIMIT greatest($3::int - b.n, 0)) c"
	"   ORDER BY c.next_attempt_at LIMIT $2::int)"
	"  AND l.state = 'pending'"
	"  AND (l.lease_until IS NULL OR l.lease_until < now())"
	"  FOR UPDATE SKIP LOCKED)"
	" RETURNING d.id, d.webhook_id, d.attempts, d.payload::text, w.url,"
	" w.format, w.secret" };
static struct db_stmt st_next_due = { .sql = "SELECT greatest(0,"
	" extract(epoch FROM min(greatest(d.next_attempt_at,"
	" coalesce(d.lease_until, d.next_attempt_at))) - now()) * 1000)::bigint"
	" FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
	" AND w.enabled WHERE d.state = 'pending'" };
/* A 410 Gone disables its endpoint in the same statement. */
static struct db_stmt st_record = { .sql = "WITH r AS (SELECT * FROM"
	" jsonb_to_recordset($1::jsonb) AS x(id uuid, status int, error text,"
	" response text, duration_ms int, state webhook_delivery_state,"
	" delay float8)),"
	" a AS (INSERT INTO webhook_attempts (delivery_id, status, error,"
	"  response, duration_ms) SELECT r.id, r.status, r.error, r.response,"
	"  r.duration_ms FROM r JOIN webhook_deliveries d ON d.id = r.id),"
	" g AS (UPDATE webhooks w SET enabled = false,"
	"  disabled_reason = 'the endpoint answered 410 Gone', updated_at = now()"
	"  FROM r JOIN webhook_deliveries d ON d.id = r.id"
	"  WHERE r.status = 410 AND w.id = d.webhook_id AND w.enabled)"
	" UPDATE webhook_deliveries d SET state = r.state, lease_until = NULL,"
	" last_status = r.status, last_error = r.error,"
	" next_attempt_at = CASE WHEN r.state = 'pending'"
	"  THEN now() + make_interval(secs => r.delay) ELSE d.next_attempt_at END,"
	" delivered_at = CASE WHEN r.state = 'delivered' THEN now() END"
	" FROM r WHERE d.id = r.id RETURNING d.id" };
static struct db_stmt st_release = { .sql = "UPDATE webhook_deliveries SET"
	" lease_until = NULL, attempts = greatest(attempts - 1, 0)"
	" WHERE id = $1 AND state = 'pending' RETURNING id" };
static struct db_stmt st_prune = { .sql = "DELETE FROM webhook_deliveries"
	" WHERE id IN (SELECT id FROM webhook_deliveries"
	" WHERE state <> 'pending'"
	" AND created_at < now() - make_interval(days => $1::int) LIMIT 10000)"
	" RETURNING id" };
static json_t *
str_or_null(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_string(PQgetvalue(res, r, c));
}

static json_t *
int_or_null(const PGresult *res, int r, int c)
{
	return PQgetisnull(res, r, c) ? json_null() :
	    json_integer(strtoll(PQgetvalue(res, r, c), NULL, 10));
}

/* A JSON column; an empty array (or null) when it is NULL or unreadable. */
static json_t *
parsed(const PGresult *res, int r, int c, int array)
{
	json_t	*v = NULL;

	if (!PQgetisnull(res, r, c))
		v = json_loads(PQgetvalue(res, r, c), JSON_DECODE_ANY, NULL);
	if (v == NULL)
		v = array ? json_array() : json_null();
	return v;
}

json_t *
webhook_json(const PGresult *res, int r)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(PQgetvalue(res, r, WEBHOOK_C_ID)));
	json_object_set_new(o, "company_id",
	    json_string(PQgetvalue(res, r, WEBHOOK_C_COMPANY)));
	json_object_set_new(o, "url", json_string(PQgetvalue(res, r, WEBHOOK_C_URL)));
	json_object_set_new(o, "description",
	    str_or_null(res, r, WEBHOOK_C_DESCRIPTION));
	json_object_set_new(o, "format",
	    json_string(PQgetvalue(res, r, WEBHOOK_C_FORMAT)));
	json_object_set_new(o, "events",
	    parsed(res, r, WEBHOOK_C_EVENTS, 1));
	json_object_set_new(o, "min_wait", int_or_null(res, r, WEBHOOK_C_MIN_WAIT));
	json_object_set_new(o, "enabled",
	    json_boolean(strcmp(PQgetvalue(res, r, WEBHOOK_C_ENABLED), "t") == 0));
	json_object_set_new(o, "disabled_reason",
	    str_or_null(res, r, WEBHOOK_C_DISABLED_REASON));
	json_object_set_new(o, "created_at",
	    json_string(PQgetvalue(res, r, WEBHOOK_C_CREATED)));
	json_object_set_new(o, "updated_at",
	    json_string(PQgetvalue(res, r, WEBHOOK_C_UPDATED)));
	return o;
}

json_t *
webhook_json_secret(const PGresult *res, int r)
{
	json_t	*o = webhook_json(res, r);

	json_object_set_new(o, "secret",
	    json_string(PQgetvalue(res, r, WEBHOOK_C_SECRET)));
	return o;
}

json_t *
delivery_json(const PGresult *res, int r)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(PQgetvalue(res, r, DELIVERY_C_ID)));
	json_object_set_new(o, "webhook_id",
	    json_string(PQgetvalue(res, r, DELIVERY_C_WEBHOOK)));
	json_object_set_new(o, "event_type",
	    json_string(PQgetvalue(res, r, DELIVERY_C_TYPE)));
	json_object_set_new(o, "state",
	    json_string(PQgetvalue(res, r, DELIVERY_C_STATE)));
	json_object_set_new(o, "attempts",
	    int_or_null(res, r, DELIVERY_C_ATTEMPTS));
	json_object_set_new(o, "next_attempt_at",
	    str_or_null(res, r, DELIVERY_C_NEXT));
	json_object_set_new(o, "last_status",
	    int_or_null(res, r, DELIVERY_C_STATUS));
	json_object_set_new(o, "last_error", str_or_null(res, r, DELIVERY_C_ERROR));
	json_object_set_new(o, "created_at",
	    str_or_null(res, r, DELIVERY_C_CREATED));
	json_object_set_new(o, "delivered_at",
	    str_or_null(res, r, DELIVERY_C_DELIVERED));
	json_object_set_new(o, "payload",
	    parsed(res, r, DELIVERY_C_PAYLOAD, 0));
	json_object_set_new(o, "history",
	    parsed(res, r, DELIVERY_C_HISTORY, 1));
	return o;
}

PGresult *
db_webhook_list(struct db *db, const char *company, const struct page *pg)
{
	const char *p[4] = { company, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_list, 4, p);
}

PGresult *
db_webhook_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_get, 2, p);
}

PGresult *
db_webhook_create(struct db *db, const char *company,
    const struct webhook_fields *f)
{
	const char *p[7] = { company, f->url, f->description, f->format,
	    f->events, f->min_wait, f->secret };

	return db_run(db, &st_create, 7, p);
}

PGresult *
db_webhook_update(struct db *db, const char *scope, const char *id,
    const struct webhook_fields *f)
{
	const char *p[10] = { scope, id, f->url, f->description, f->format,
	    f->events, f->min_wait, f->clear_min_wait ? "true" : "false",
	    f->enabled, f->secret };

	return db_run(db, &st_update, 10, p);
}

PGresult *
db_webhook_delete(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_delete, 2, p);
}

PGresult *
db_webhook_test(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return db_run(db, &st_test, 2, p);
}

PGresult *
db_webhook_deliveries(struct db *db, const char *scope, const char *id,
    const char *state, const struct page *pg)
{
	const char *p[6] = { scope, id, state,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return db_run(db, &st_deliveries, 6, p);
}

PGresult *
db_webhook_redeliver(struct db *db, const char *scope, const char *id,
    const char *delivery)
{
	const char *p[3] = { scope, id, delivery };

	return db_run(db, &st_redeliver, 3, p);
}

const char *
db_outbox_claim_sql(void)
{
	return st_claim.sql;
}

const char *
db_outbox_record_sql(void)
{
	return st_record.sql;
}

PGresult *
db_outbox_next_due(struct db *db)
{
	return db_run(db, &st_next_due, 0, NULL);
}

PGresult *
db_outbox_record(struct db *db, const char *rows)
{
	const char *p[1] = { rows };

	return db_run(db, &st_record, 1, p);
}

PGresult *
db_outbox_release(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return db_run(db, &st_release, 1, p);
}

PGresult *
db_outbox_prune(struct db *db, const char *days)
{
	const char *p[1] = { days };

	return db_run(db, &st_prune, 1, p);
}

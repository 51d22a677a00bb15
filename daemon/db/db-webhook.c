/* SQL for webhook endpoints, their deliveries and attempts, and their JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-webhook.h"

/* The columns of COLS, DCOLS and the claim. */
enum webhook_col {
	WEBHOOK_C_ID, WEBHOOK_C_COMPANY, WEBHOOK_C_URL, WEBHOOK_C_DESCRIPTION,
	WEBHOOK_C_FORMAT, WEBHOOK_C_EVENTS, WEBHOOK_C_MIN_WAIT,
	WEBHOOK_C_ENABLED, WEBHOOK_C_DISABLED_REASON, WEBHOOK_C_CREATED,
	WEBHOOK_C_UPDATED, WEBHOOK_C_KEY, WEBHOOK_C_SECRET,
};
enum delivery_col {
	DELIVERY_C_ID, DELIVERY_C_WEBHOOK, DELIVERY_C_TYPE, DELIVERY_C_STATE,
	DELIVERY_C_ATTEMPTS, DELIVERY_C_NEXT, DELIVERY_C_STATUS,
	DELIVERY_C_ERROR, DELIVERY_C_CREATED, DELIVERY_C_DELIVERED,
	DELIVERY_C_PAYLOAD, DELIVERY_C_HISTORY, DELIVERY_C_KEY,
};
enum claim_col {
	CLAIM_C_ID, CLAIM_C_WEBHOOK, CLAIM_C_ATTEMPTS, CLAIM_C_PAYLOAD,
	CLAIM_C_URL, CLAIM_C_FORMAT, CLAIM_C_SECRET,
};

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
	" WHERE w.id = $2 AND " SCOPE " RETURNING w.company_id" };
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

/*
 * What reaches the outbox: call_events types, agent and queue events (the
 * triggers of sql/007 and st_test above).
 */
static const char *const event_types[] = {
	"call.created", "call.queued", "call.ivr_started", "call.ivr_completed",
	"call.offered", "call.answered", "call.rejected", "call.held",
	"call.resumed", "call.transferred", "call.ended", "call.completed",
	"call.abandoned", "call.missed", "call.failed", "call.offer_missed",
	"call.offer_withdrawn", "call.overflowed", "call.requeued",
	"call.callback_requested", "call.caller_left", "call.callback_answered",
	"call.callback_no_answer", "call.supervised", "call.recording_started",
	"call.recording_stopped", "ivr.node", "agent.state_changed", "agent.deleted", "queue.sla_breached",
	"webhook.test", NULL,
};

int
webhook_pattern_valid(const char *p)
{
	size_t	 n = strlen(p);

	if (strcmp(p, "*") == 0)
		return 1;
	for (int i = 0; event_types[i] != NULL; i++) {
		if (strcmp(p, event_types[i]) == 0)
			return 1;
		if (n > 2 && strcmp(p + n - 2, ".*") == 0 &&
		    strncmp(p, event_types[i], n - 1) == 0)
			return 1;
	}
	return 0;
}

/* The rows of res, which it clears; NULL if res is. */
static struct webhook_rows *
webhook_rows(PGresult *res)
{
	struct webhook_rows	*rows;
	struct webhook_row	*w;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		w = &rows->v[r];
		db_copy(w->id, sizeof w->id, res, r, WEBHOOK_C_ID);
		db_copy(w->company, sizeof w->company, res, r,
		    WEBHOOK_C_COMPANY);
		w->url = xstrdup(PQgetvalue(res, r, WEBHOOK_C_URL));
		w->description = db_dup(res, r, WEBHOOK_C_DESCRIPTION);
		db_copy(w->format, sizeof w->format, res, r, WEBHOOK_C_FORMAT);
		w->events = db_dup(res, r, WEBHOOK_C_EVENTS);
		if ((w->has_min_wait = !PQgetisnull(res, r, WEBHOOK_C_MIN_WAIT)))
			w->min_wait = strtoll(PQgetvalue(res, r,
			    WEBHOOK_C_MIN_WAIT), NULL, 10);
		w->enabled = strcmp(PQgetvalue(res, r, WEBHOOK_C_ENABLED),
		    "t") == 0;
		w->disabled_reason = db_dup(res, r, WEBHOOK_C_DISABLED_REASON);
		db_copy(w->created, sizeof w->created, res, r,
		    WEBHOOK_C_CREATED);
		db_copy(w->updated, sizeof w->updated, res, r,
		    WEBHOOK_C_UPDATED);
		db_copy(w->key, sizeof w->key, res, r, WEBHOOK_C_KEY);
		w->secret = xstrdup(PQgetvalue(res, r, WEBHOOK_C_SECRET));
	}
	PQclear(res);
	return rows;
}

void
webhook_rows_free(struct webhook_rows *rows)
{
	struct webhook_row	*w;

	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		w = &rows->v[r];
		free(w->url);
		free(w->description);
		free(w->events);
		free(w->disabled_reason);
		explicit_bzero(w->secret, strlen(w->secret));
		free(w->secret);
	}
	free(rows->v);
	free(rows);
}

static struct delivery_rows *
delivery_rows(PGresult *res)
{
	struct delivery_rows	*rows;
	struct delivery_row	*d;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		d = &rows->v[r];
		db_copy(d->id, sizeof d->id, res, r, DELIVERY_C_ID);
		db_copy(d->webhook, sizeof d->webhook, res, r,
		    DELIVERY_C_WEBHOOK);
		d->type = xstrdup(PQgetvalue(res, r, DELIVERY_C_TYPE));
		db_copy(d->state, sizeof d->state, res, r, DELIVERY_C_STATE);
		d->attempts = strtoll(PQgetvalue(res, r, DELIVERY_C_ATTEMPTS),
		    NULL, 10);
		d->next = db_dup(res, r, DELIVERY_C_NEXT);
		if ((d->has_status = !PQgetisnull(res, r, DELIVERY_C_STATUS)))
			d->status = strtoll(PQgetvalue(res, r,
			    DELIVERY_C_STATUS), NULL, 10);
		d->error = db_dup(res, r, DELIVERY_C_ERROR);
		d->created = db_dup(res, r, DELIVERY_C_CREATED);
		d->delivered = db_dup(res, r, DELIVERY_C_DELIVERED);
		d->payload = db_dup(res, r, DELIVERY_C_PAYLOAD);
		d->history = db_dup(res, r, DELIVERY_C_HISTORY);
		db_copy(d->key, sizeof d->key, res, r, DELIVERY_C_KEY);
	}
	PQclear(res);
	return rows;
}

void
delivery_rows_free(struct delivery_rows *rows)
{
	struct delivery_row	*d;

	if (rows == NULL)
		return;
	for (int r = 0; r < rows->n; r++) {
		d = &rows->v[r];
		free(d->type);
		free(d->next);
		free(d->error);
		free(d->created);
		free(d->delivered);
		free(d->payload);
		free(d->history);
	}
	free(rows->v);
	free(rows);
}

json_t *
webhook_json(const struct webhook_row *w)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(w->id));
	json_object_set_new(o, "company_id", json_string(w->company));
	json_object_set_new(o, "url", json_string(w->url));
	json_object_set_new(o, "description", db_json_str(w->description));
	json_object_set_new(o, "format", json_string(w->format));
	json_object_set_new(o, "events",
	    db_json_value(w->events, json_array()));
	json_object_set_new(o, "min_wait", w->has_min_wait ?
	    json_integer(w->min_wait) : json_null());
	json_object_set_new(o, "enabled", json_boolean(w->enabled));
	json_object_set_new(o, "disabled_reason",
	    db_json_str(w->disabled_reason));
	json_object_set_new(o, "created_at", json_string(w->created));
	json_object_set_new(o, "updated_at", json_string(w->updated));
	return o;
}

json_t *
webhook_json_secret(const struct webhook_row *w)
{
	json_t	*o = webhook_json(w);

	json_object_set_new(o, "secret", json_string(w->secret));
	return o;
}

json_t *
delivery_json(const struct delivery_row *d)
{
	json_t	*o = json_object();

	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "webhook_id", json_string(d->webhook));
	json_object_set_new(o, "event_type", json_string(d->type));
	json_object_set_new(o, "state", json_string(d->state));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "next_attempt_at", db_json_str(d->next));
	json_object_set_new(o, "last_status", d->has_status ?
	    json_integer(d->status) : json_null());
	json_object_set_new(o, "last_error", db_json_str(d->error));
	json_object_set_new(o, "created_at", db_json_str(d->created));
	json_object_set_new(o, "delivered_at", db_json_str(d->delivered));
	json_object_set_new(o, "payload",
	    db_json_value(d->payload, json_null()));
	json_object_set_new(o, "history",
	    db_json_value(d->history, json_array()));
	return o;
}

struct webhook_rows *
db_webhook_list(struct db *db, const char *company, const struct page *pg)
{
	const char *p[4] = { company, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return webhook_rows(db_run(db, &st_list, 4, p));
}

struct webhook_rows *
db_webhook_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return webhook_rows(db_run(db, &st_get, 2, p));
}

struct webhook_rows *
db_webhook_create(struct db *db, const char *company,
    const struct webhook_fields *f)
{
	const char *p[7] = { company, f->url, f->description, f->format,
	    f->events, f->min_wait, f->secret };

	return webhook_rows(db_run(db, &st_create, 7, p));
}

struct webhook_rows *
db_webhook_update(struct db *db, const char *scope, const char *id,
    const struct webhook_fields *f)
{
	const char *p[10] = { scope, id, f->url, f->description, f->format,
	    f->events, f->min_wait, f->clear_min_wait ? "true" : "false",
	    f->enabled, f->secret };

	return webhook_rows(db_run(db, &st_update, 10, p));
}

int
db_webhook_delete(struct db *db, const char *scope, const char *id,
    char company[UUID_LEN + 1])
{
	const char	*p[2] = { scope, id };
	PGresult	*res;
	int		 n;

	company[0] = '\0';
	if ((res = db_run(db, &st_delete, 2, p)) == NULL)
		return -1;
	if ((n = PQntuples(res) > 0))
		db_copy(company, UUID_LEN + 1, res, 0, 0);
	PQclear(res);
	return n;
}

struct delivery_rows *
db_webhook_test(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return delivery_rows(db_run(db, &st_test, 2, p));
}

struct delivery_rows *
db_webhook_deliveries(struct db *db, const char *scope, const char *id,
    const char *state, const struct page *pg)
{
	const char *p[6] = { scope, id, state,
	    pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return delivery_rows(db_run(db, &st_deliveries, 6, p));
}

struct delivery_rows *
db_webhook_redeliver(struct db *db, const char *scope, const char *id,
    const char *delivery)
{
	const char *p[3] = { scope, id, delivery };

	return delivery_rows(db_run(db, &st_redeliver, 3, p));
}

/* Prepare the pipelined statements on a new backend; -1 if they fail. */
static int
outbox_prepare(struct db *db, struct outbox_pipe *p)
{
	static const char *const name[2] = { "outbox_claim", "outbox_record" };
	const char	*sql[2] = { st_claim.sql, st_record.sql };

	if (PQbackendPID(db->conn) == p->prepared_pid)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (db_prepare(db, name[i], sql[i]) != 0)
			return -1;
	}
	p->prepared_pid = PQbackendPID(db->conn);
	return 0;
}

int
db_outbox_send(struct db *db, struct outbox_pipe *p, const char *record,
    int lease, int limit, int each)
{
	PGconn		*c = db->conn;
	char		 a[16], b[16], e[16];
	const char	*v[3] = { a, b, e };
	int		 sent = 0;

	if (record == NULL && limit <= 0)
		return 0;
	if (outbox_prepare(db, p) != 0 || PQenterPipelineMode(c) != 1)
		return 0;
	if (record != NULL) {
		v[0] = record;
		if (PQsendQueryPrepared(c, "outbox_record", 1, v, NULL, NULL,
		    0) == 1 && PQpipelineSync(c) == 1) {
			p->recording = 1;
			p->busy++;
			sent |= OUTBOX_SENT_RECORD;
		}
		v[0] = a;
	}
	if (limit > 0) {
		snprintf(a, sizeof a, "%d", lease);
		snprintf(b, sizeof b, "%d", limit);
		snprintf(e, sizeof e, "%d", each);
		if (PQsendQueryPrepared(c, "outbox_claim", 3, v, NULL, NULL,
		    0) == 1 && PQpipelineSync(c) == 1) {
			p->claiming = 1;
			p->busy++;
			sent |= OUTBOX_SENT_CLAIM;
		}
	}
	if (p->busy == 0) {
		PQexitPipelineMode(c);
		return 0;
	}
	PQflush(c);
	return sent;
}

/* The pipeline is lost: nothing of it is to be read any more. */
static void
outbox_lost(struct outbox_pipe *p)
{
	p->busy = 0;
	p->recording = 0;
	p->claiming = 0;
}

int
db_outbox_read(struct db *db, struct outbox_pipe *p, int wait, int late,
    void (*got)(enum outbox_got, const struct outbox_claim *, void *),
    void *arg)
{
	PGconn			*c = db->conn;
	PGresult		*res;
	struct outbox_claim	 cl;
	int			 n;

	while (p->busy > 0) {
		/* Sending does not block: what is left goes out here. */
		if (PQstatus(c) != CONNECTION_OK || PQflush(c) < 0 ||
		    (!wait && PQconsumeInput(c) != 1)) {
			outbox_lost(p);
			return -1;
		}
		/* A server that does not answer in time is left. */
		if ((!wait && PQisBusy(c) && late) ||
		    (wait && db_wait(db) != 0)) {
			outbox_lost(p);
			db_drop(db);
			return -2;
		}
		if (!wait && PQisBusy(c))
			return 0;
		if ((res = PQgetResult(c)) == NULL)
			continue;	/* between one query and the next */
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			p->busy--;
			break;
		case PGRES_TUPLES_OK:
			if (p->recording) {
				p->recording = 0;
				got(OUTBOX_RECORDED, NULL, arg);
			} else if (p->claiming) {
				p->claiming = 0;
				n = PQntuples(res);
				for (int i = 0; i < n; i++) {
					cl.id = PQgetvalue(res, i, CLAIM_C_ID);
					cl.webhook = PQgetvalue(res, i,
					    CLAIM_C_WEBHOOK);
					cl.attempts = atoi(PQgetvalue(res, i,
					    CLAIM_C_ATTEMPTS));
					cl.payload = PQgetvalue(res, i,
					    CLAIM_C_PAYLOAD);
					cl.url = PQgetvalue(res, i, CLAIM_C_URL);
					cl.format = PQgetvalue(res, i,
					    CLAIM_C_FORMAT);
					cl.secret = PQgetvalue(res, i,
					    CLAIM_C_SECRET);
					got(OUTBOX_CLAIMED, &cl, arg);
				}
			}
			break;
		default:
			if (p->recording) {
				p->recording = 0;
				got(OUTBOX_NOT_RECORDED, NULL, arg);
			} else if (p->claiming) {
				p->claiming = 0;
				got(OUTBOX_NOT_CLAIMED, NULL, arg);
			}
			break;
		}
		PQclear(res);
	}
	PQexitPipelineMode(c);
	return 0;
}

int
db_outbox_listen(struct db *db)
{
	PGresult	*res;

	/* Not a statement that can be prepared. */
	if ((res = db_query(db, "LISTEN webhook_outbox", 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_outbox_next_due(struct db *db, long long *ms)
{
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_next_due, 0, NULL)) == NULL)
		return -1;
	if ((n = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)))
		*ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/* Run a statement whose rows do not matter: 0, or -1 on an error. */
static int
run(struct db *db, struct db_stmt *st, int n, const char *const *p)
{
	PGresult	*res;

	if ((res = db_run(db, st, n, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_outbox_record(struct db *db, const char *rows)
{
	const char *p[1] = { rows };

	return run(db, &st_record, 1, p);
}

int
db_outbox_release(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return run(db, &st_release, 1, p);
}

int
db_outbox_prune(struct db *db, int days)
{
	char		 d[16];
	const char	*p[1] = { d };
	PGresult	*res;
	int		 n;

	snprintf(d, sizeof d, "%d", days);
	if ((res = db_run(db, &st_prune, 1, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n;
}

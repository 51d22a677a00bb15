/* SQL for queues and their members, and the queue's JSON. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-queue.h"

#define COLS "q.id, q.company_id, q.name, q.strategy, q.sl_threshold," \
	" q.wrap_up, q.ring_timeout, q.max_wait, q.overflow," \
	" q.overflow_queue, q.max_length, q.miss_limit, q.widen, " \
	SQL_TIME("q.created_at") ", " SQL_TIME("q.updated_at") ", " \
	SQL_KEY("q.created_at") ", (SELECT coalesce(json_agg(json_build_object(" \
	"'agent_id', m.agent_id, 'penalty', m.penalty) ORDER BY m.position)," \
	" '[]') FROM queue_members m WHERE m.queue_id = q.id)," \
	" q.hold_music_url, q.hold_music_file, q.announce_position," \
	" q.announce_interval, q.callback_attempts, q.callback_retry_delay," \
	" q.recording"
#define SCOPE "($1::uuid IS NULL OR q.company_id = $1)"
/* A company setting (daemon/settings.c) a new queue defaults to. */
#define COMPANY_INT(k) "(SELECT (settings->>'" k "')::int FROM companies" \
	" WHERE id = $1)"
/* $3.. the writable fields in struct queue_fields order. */
#define SET(f, n, type) " " f " = coalesce($" #n "::" type ", q." f ")"

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM queues q"
	" WHERE " SCOPE " AND " SQL_AFTER("q.created_at", "q.id", 2, 3)
	" ORDER BY q.created_at, q.id LIMIT $4" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM queues q"
	" WHERE q.id = $2 AND " SCOPE };
static struct db_stmt st_all = { .sql = "SELECT " COLS " FROM queues q"
	" WHERE $1::uuid IS NULL OR q.company_id = $1::uuid"
	" ORDER BY q.created_at, q.id" };
static struct db_stmt st_create = { .sql = "WITH q AS (INSERT INTO queues"
	" (company_id, name, strategy, sl_threshold, wrap_up, ring_timeout,"
	" max_wait, overflow, overflow_queue, max_length, miss_limit, widen,"
	" hold_music_url, hold_music_file, announce_position,"
	" announce_interval, callback_attempts, callback_retry_delay,"
	" recording)"
	" VALUES ($1, $3, coalesce($4::queue_strategy, 'longest_idle'),"
	" coalesce($5::int, " COMPANY_INT("sl_threshold") ", 20),"
	" coalesce($6::int, " COMPANY_INT("wrap_up") ", 10),"
	" coalesce($7::int, " COMPANY_INT("ring_timeout") ", 15),"
	" coalesce($8::int, 0), coalesce($9::overflow_kind, 'none'),"
	" (SELECT id FROM queues WHERE id = $10::uuid AND company_id = $1),"
	" coalesce($11::int, 0), coalesce($12::int, 3),"
	" coalesce($13::jsonb, '[]'), nullif($14::text, ''),"
	" (SELECT id FROM files WHERE id = nullif($15::text, '')::uuid"
	" AND company_id = $1), coalesce($16::boolean, false),"
	" coalesce($17::int, 60), coalesce($18::int, 3),"
	" coalesce($19::int, 60), nullif($20::text, '')) RETURNING *)"
	" SELECT " COLS " FROM q WHERE $2::text IS NULL" };
static struct db_stmt st_update = { .sql = "UPDATE queues q SET"
	SET("name", 3, "text") "," SET("strategy", 4, "queue_strategy") ","
	SET("sl_threshold", 5, "int") "," SET("wrap_up", 6, "int") ","
	SET("ring_timeout", 7, "int") "," SET("max_wait", 8, "int") ","
	SET("overflow", 9, "overflow_kind") ","
	" overflow_queue = CASE WHEN $10::uuid IS NULL THEN q.overflow_queue"
	"  ELSE (SELECT id FROM queues WHERE id = $10::uuid"
	"  AND company_id = q.company_id) END,"
	SET("max_length", 11, "int") "," SET("miss_limit", 12, "int") ","
	SET("widen", 13, "jsonb") ","
	" hold_music_url = CASE WHEN $14::text IS NULL THEN q.hold_music_url"
	"  ELSE nullif($14::text, '') END,"
	" hold_music_file = CASE WHEN $15::text IS NULL THEN q.hold_music_file"
	"  ELSE (SELECT id FROM files WHERE id = nullif($15::text, '')::uuid"
	"  AND company_id = q.company_id) END,"
	SET("announce_position", 16, "boolean") ","
	SET("announce_interval", 17, "int") ","
	SET("callback_attempts", 18, "int") ","
	SET("callback_retry_delay", 19, "int") ","
	" recording = CASE WHEN $20::text IS NULL THEN q.recording"
	"  ELSE nullif($20::text, '') END, updated_at = now()"
	" WHERE q.id = $2 AND " SCOPE " RETURNING " COLS };
static struct db_stmt st_delete = { .sql = "DELETE FROM queues q"
	" WHERE q.id = $2 AND " SCOPE " RETURNING q.id" };
static struct db_stmt st_members_del = { .sql = "DELETE FROM queue_members"
	" WHERE queue_id = $1" };
static struct db_stmt st_members_add = { .sql = "INSERT INTO queue_members"
	" (queue_id, agent_id, penalty)"
	" SELECT $2, a.id, coalesce((m->>'penalty')::int, 0)"
	" FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(m, n)"
	" JOIN agents a ON a.id = (m->>'agent_id')::uuid AND a.company_id = $1"
	" ORDER BY n RETURNING agent_id" };
static struct db_stmt st_today = { .sql =
	"SELECT count(*) FILTER (WHERE c.state <> 'new'),"
	" count(*) FILTER (WHERE c.answered_at IS NOT NULL),"
	" count(*) FILTER (WHERE c.state = 'abandoned'),"
	" count(*) FILTER (WHERE c.answered_at IS NOT NULL"
	"  AND c.wait_seconds <= q.sl_threshold),"
	" avg(c.wait_seconds) FILTER (WHERE c.answered_at IS NOT NULL),"
	" avg(c.talk_seconds) FILTER (WHERE c.talk_seconds IS NOT NULL),"
	" count(*) FILTER (WHERE c.callback_state = 'waiting'"
	"  AND c.state IN ('queued', 'offering')),"
	" count(c.callback_requested_at), count(c.callback_answered_at),"
	" count(*) FILTER (WHERE c.callback_state = 'failed')"
	" FROM queues q JOIN companies co ON co.id = q.company_id"
	" LEFT JOIN calls c ON c.queue_id = q.id AND c.enqueued_at >="
	"  (date_trunc('day', now() AT TIME ZONE co.timezone)"
	"  AT TIME ZONE co.timezone)"
	" WHERE q.id = $1 GROUP BY q.id" };

/* Row r of res into q, its strings res's. */
static void
queue_row_fill(const PGresult *res, int r, struct queue_row *q)
{
#define I(c) atoi(PQgetvalue(res, r, c))
	q->id = PQgetvalue(res, r, QUEUE_C_ID);
	q->company = PQgetvalue(res, r, QUEUE_C_COMPANY);
	q->name = PQgetvalue(res, r, QUEUE_C_NAME);
	q->strategy = PQgetvalue(res, r, QUEUE_C_STRATEGY);
	q->sl_threshold = I(QUEUE_C_SL);
	q->wrap_up = I(QUEUE_C_WRAP);
	q->ring_timeout = I(QUEUE_C_RING);
	q->max_wait = I(QUEUE_C_MAX_WAIT);
	q->overflow = PQgetvalue(res, r, QUEUE_C_OVERFLOW);
	q->overflow_queue = db_get(res, r, QUEUE_C_OVERFLOW_QUEUE);
	q->max_length = I(QUEUE_C_MAX_LEN);
	q->miss_limit = I(QUEUE_C_MISS);
	q->widen = PQgetvalue(res, r, QUEUE_C_WIDEN);
	q->created = PQgetvalue(res, r, QUEUE_C_CREATED);
	q->updated = PQgetvalue(res, r, QUEUE_C_UPDATED);
	q->key = PQgetvalue(res, r, QUEUE_C_KEY);
	q->members = PQgetvalue(res, r, QUEUE_C_MEMBERS);
	q->hold_url = db_get(res, r, QUEUE_C_HOLD_URL);
	q->hold_file = db_get(res, r, QUEUE_C_HOLD_FILE);
	q->announce = strcmp(PQgetvalue(res, r, QUEUE_C_ANNOUNCE), "t") == 0;
	q->announce_interval = I(QUEUE_C_ANNOUNCE_EVERY);
	q->callback_attempts = I(QUEUE_C_CB_ATTEMPTS);
	q->callback_retry_delay = I(QUEUE_C_CB_DELAY);
	q->recording = db_get(res, r, QUEUE_C_RECORDING);
#undef I
}

/* The rows of res, which they take; NULL if res is. */
static struct queue_rows *
queue_rows_take(PGresult *res)
{
	struct queue_rows	*rows;
	int			 n;

	if (res == NULL)
		return NULL;
	n = PQntuples(res);
	/* One block: the list, then its rows. */
	rows = xcalloc(1, sizeof *rows + (size_t)n * sizeof *rows->v);
	rows->n = n;
	rows->v = (struct queue_row *)(rows + 1);
	rows->res = res;
	for (int r = 0; r < n; r++)
		queue_row_fill(res, r, &rows->v[r]);
	return rows;
}

void
queue_rows_free(struct queue_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows);
}

json_t *
queue_json(const struct queue_row *q)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:s,s:o,s:i,s:i,"
	    "s:o,s:o,s:o,s:o,s:b,s:i,s:s,s:s,s:i,s:i,s:o}",
	    "id", q->id, "company_id", q->company, "name", q->name,
	    "strategy", q->strategy,
	    "sl_threshold", q->sl_threshold, "wrap_up", q->wrap_up,
	    "ring_timeout", q->ring_timeout, "max_wait", q->max_wait,
	    "overflow", q->overflow,
	    "overflow_queue_id", q->overflow_queue == NULL ? json_null() :
	    json_string(q->overflow_queue),
	    "max_length", q->max_length, "miss_limit", q->miss_limit,
	    "widen", db_json_value(q->widen, json_array()),
	    "members", db_json_value(q->members, json_array()),
	    "hold_music_url", q->hold_url == NULL ? json_null() :
	    json_string(q->hold_url),
	    "hold_music_file_id", q->hold_file == NULL ? json_null() :
	    json_string(q->hold_file),
	    "announce_position", q->announce,
	    "announce_interval", q->announce_interval,
	    "created_at", q->created, "updated_at", q->updated,
	    "callback_attempts", q->callback_attempts,
	    "callback_retry_delay", q->callback_retry_delay,
	    "recording", q->recording == NULL ? json_null() :
	    json_string(q->recording));
}

struct queue_rows *
db_queue_list(struct db *db, const char *scope, const struct page *pg)
{
	const char *p[4] = { scope, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return queue_rows_take(db_run(db, &st_list, 4, p));
}

struct queue_rows *
db_queue_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return queue_rows_take(db_run(db, &st_get, 2, p));
}

struct queue_rows *
db_queue_all(struct db *db, const char *company)
{
	const char	*p[1] = { company };

	return queue_rows_take(db_run(db, &st_all, 1, p));
}

static void
fields_params(const struct queue_fields *f, const char **p)
{
	p[0] = f->name;
	p[1] = f->strategy;
	p[2] = f->sl_threshold;
	p[3] = f->wrap_up;
	p[4] = f->ring_timeout;
	p[5] = f->max_wait;
	p[6] = f->overflow;
	p[7] = f->overflow_queue;
	p[8] = f->max_length;
	p[9] = f->miss_limit;
	p[10] = f->widen;
	p[11] = f->hold_url;
	p[12] = f->hold_file;
	p[13] = f->announce;
	p[14] = f->announce_interval;
	p[15] = f->callback_attempts;
	p[16] = f->callback_retry_delay;
	p[17] = f->recording;
}

struct queue_rows *
db_queue_create(struct db *db, const char *company,
    const struct queue_fields *f)
{
	const char *p[20] = { company, NULL };

	fields_params(f, p + 2);
	return queue_rows_take(db_run(db, &st_create, 20, p));
}

struct queue_rows *
db_queue_update(struct db *db, const char *scope, const char *id,
    const struct queue_fields *f)
{
	const char *p[20] = { scope, id };

	fields_params(f, p + 2);
	return queue_rows_take(db_run(db, &st_update, 20, p));
}

int
db_queue_delete(struct db *db, const char *scope, const char *id)
{
	const char	*p[2] = { scope, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_delete, 2, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

int
db_queue_set_members(struct db *db, const char *company, const char *queue,
    const char *members)
{
	const char	*p[3] = { company, queue, members };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_members_del, 1, p + 1)) == NULL)
		return -1;
	PQclear(res);
	if ((res = db_run(db, &st_members_add, 3, p)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n;
}

/* Column c of the only row, 0 when SQL NULL or no row. */
static double
num(const PGresult *res, int c)
{
	return PQntuples(res) == 0 || PQgetisnull(res, 0, c) ? 0 :
	    strtod(PQgetvalue(res, 0, c), NULL);
}

int
db_queue_today(struct db *db, const char *queue, struct queue_today *t)
{
	const char	*p[1] = { queue };
	PGresult	*res;

	memset(t, 0, sizeof *t);
	if ((res = db_run(db, &st_today, 1, p)) == NULL)
		return -1;
	t->offered = num(res, 0);
	t->answered = num(res, 1);
	t->abandoned = num(res, 2);
	t->within = num(res, 3);
	t->asa = num(res, 4);
	t->aht = num(res, 5);
	t->cb_waiting = num(res, 6);
	t->cb_requested = num(res, 7);
	t->cb_completed = num(res, 8);
	t->cb_failed = num(res, 9);
	PQclear(res);
	return 0;
}

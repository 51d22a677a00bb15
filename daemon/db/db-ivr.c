/* SQL for IVR flows, their versions and the sessions of calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-ivr.h"

#define COLS "f.id, f.company_id, f.name, f.description, f.active_version," \
	" f.is_entry, " SQL_TIME("f.created_at") ", " SQL_TIME("f.updated_at") \
	", " SQL_KEY("f.created_at") ", (SELECT max(v.version) FROM" \
	" ivr_versions v WHERE v.flow_id = f.id)"
#define SCOPE "($1::uuid IS NULL OR f.company_id = $1)"
#define HASH(n) "encode(sha256(convert_to($" #n ", 'UTF8')), 'hex')"

static struct db_stmt st_list = { .sql = "SELECT " COLS " FROM ivr_flows f"
	" WHERE " SCOPE " AND " SQL_AFTER("f.created_at", "f.id", 2, 3)
	" ORDER BY f.created_at, f.id LIMIT $4" };
static struct db_stmt st_get = { .sql = "SELECT " COLS " FROM ivr_flows f"
	" WHERE f.id = $2 AND " SCOPE };
static struct db_stmt st_by_name = { .sql = "SELECT " COLS
	" FROM ivr_flows f WHERE f.company_id = $1 AND lower(f.name) = lower($2)"
	" FOR UPDATE" };
static struct db_stmt st_find = { .sql = "SELECT " COLS
	" FROM ivr_flows f WHERE f.company_id = $1 AND lower(f.name) = lower($2)" };
static struct db_stmt st_entry = { .sql = "SELECT " COLS
	" FROM ivr_flows f WHERE f.company_id = $1 AND f.is_entry" };
static struct db_stmt st_create = { .sql = "INSERT INTO ivr_flows AS f"
	" (company_id, name, description) VALUES ($1, $2, $3) RETURNING " COLS };
static struct db_stmt st_add = { .sql =
	"WITH last AS (SELECT version, content_hash FROM ivr_versions"
	"  WHERE flow_id = $1 ORDER BY version DESC LIMIT 1),"
	" ins AS (INSERT INTO ivr_versions (flow_id, version, content,"
	"  content_hash, author_id)"
	"  SELECT $1, coalesce((SELECT version FROM last), 0) + 1, $2, " HASH(2)
	",  $3 WHERE NOT EXISTS (SELECT 1 FROM last"
	"  WHERE content_hash = " HASH(2) ") RETURNING version)"
	" SELECT version, true FROM ins"
	" UNION ALL SELECT version, false FROM last"
	"  WHERE NOT EXISTS (SELECT 1 FROM ins)" };
static struct db_stmt st_unentry = { .sql = "UPDATE ivr_flows SET"
	" is_entry = false WHERE company_id = (SELECT company_id FROM ivr_flows"
	" WHERE id = $1) AND id <> $1 AND is_entry" };
static struct db_stmt st_activate = { .sql = "UPDATE ivr_flows f SET"
	" active_version = v.version, is_entry = f.is_entry OR $4::bool,"
	" updated_at = now()"
	" FROM (SELECT max(version) AS version FROM ivr_versions"
	"  WHERE flow_id = $2 AND ($3::int IS NULL OR version = $3)) v"
	" WHERE f.id = $2 AND " SCOPE " AND v.version IS NOT NULL"
	" RETURNING " COLS };
static struct db_stmt st_previous = { .sql = "SELECT max(v.version)"
	" FROM ivr_versions v JOIN ivr_flows f ON f.id = v.flow_id"
	" WHERE f.id = $1 AND v.version < f.active_version"
	" HAVING max(v.version) IS NOT NULL" };
static struct db_stmt st_versions = { .sql = "SELECT version, content_hash,"
	" author_id, " SQL_TIME("created_at") ", content FROM ivr_versions"
	" WHERE flow_id = $1 ORDER BY version" };
/* The last column: the company's language (settings.c), for say nodes. */
static struct db_stmt st_version = { .sql = "SELECT version, content_hash,"
	" author_id, " SQL_TIME("created_at") ", content,"
	" (SELECT coalesce(co.settings->>'language', (SELECT"
	"  settings->>'default_language' FROM system_settings), 'en')"
	"  FROM ivr_flows fl JOIN companies co ON co.id = fl.company_id"
	"  WHERE fl.id = $1)"
	" FROM ivr_versions WHERE flow_id = $1 AND version = $2::int" };
static struct db_stmt st_delete = { .sql = "DELETE FROM ivr_flows f"
	" WHERE f.id = $2 AND " SCOPE " RETURNING f.id" };
static struct db_stmt st_queues = { .sql = "SELECT name FROM queues"
	" WHERE company_id = $1 ORDER BY name" };
static struct db_stmt st_session_get = { .sql = "SELECT flow_id, version,"
	" state FROM ivr_sessions WHERE call_id = $1 FOR UPDATE" };
static struct db_stmt st_session_put = { .sql = "INSERT INTO ivr_sessions"
	" (call_id, flow_id, version, state) VALUES ($1, $2, $3::int, $4)"
	" ON CONFLICT (call_id) DO UPDATE SET state = $4, updated_at = now()" };

/* The rows of res, which they keep; NULL if res is. */
enum ivr_col {
	IVR_C_ID, IVR_C_COMPANY, IVR_C_NAME, IVR_C_DESCRIPTION, IVR_C_ACTIVE,
	IVR_C_ENTRY, IVR_C_CREATED, IVR_C_UPDATED, IVR_C_KEY, IVR_C_LATEST,
};

static struct ivr_flow_rows *
flow_rows(PGresult *res)
{
	struct ivr_flow_rows	*rows;
	struct ivr_flow_row	*f;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		f = &rows->v[r];
		f->id = PQgetvalue(res, r, IVR_C_ID);
		f->company = PQgetvalue(res, r, IVR_C_COMPANY);
		f->name = PQgetvalue(res, r, IVR_C_NAME);
		f->description = db_get(res, r, IVR_C_DESCRIPTION);
		f->active = atoi(PQgetvalue(res, r, IVR_C_ACTIVE));
		f->latest = atoi(PQgetvalue(res, r, IVR_C_LATEST));
		f->entry = *PQgetvalue(res, r, IVR_C_ENTRY) == 't';
		f->created = PQgetvalue(res, r, IVR_C_CREATED);
		f->updated = PQgetvalue(res, r, IVR_C_UPDATED);
		f->key = PQgetvalue(res, r, IVR_C_KEY);
	}
	return rows;
}

void
ivr_flow_rows_free(struct ivr_flow_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

json_t *
ivr_flow_json(const struct ivr_flow_row *f)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:b,s:s,s:s}",
	    "id", f->id, "company_id", f->company, "name", f->name,
	    "description", f->description,
	    "active_version", f->active ? json_integer(f->active) : json_null(),
	    "latest_version", f->latest ? json_integer(f->latest) : json_null(),
	    "entry", f->entry, "created_at", f->created,
	    "updated_at", f->updated);
}

struct ivr_flow_rows *
db_ivr_list(struct db *db, const char *scope, const struct page *pg)
{
	const char *p[4] = { scope, pg->after_key[0] ? pg->after_key : NULL,
	    pg->after_key[0] ? pg->after_id : NULL, pg->limit_str };

	return flow_rows(db_run(db, &st_list, 4, p));
}

struct ivr_flow_rows *
db_ivr_get(struct db *db, const char *scope, const char *id)
{
	const char *p[2] = { scope, id };

	return flow_rows(db_run(db, &st_get, 2, p));
}

struct ivr_flow_rows *
db_ivr_by_name(struct db *db, const char *company, const char *name)
{
	const char *p[2] = { company, name };

	return flow_rows(db_run(db, &st_by_name, 2, p));
}

struct ivr_flow_rows *
db_ivr_find(struct db *db, const char *company, const char *name)
{
	const char *p[2] = { company, name };

	return flow_rows(db_run(db, &st_find, 2, p));
}

struct ivr_flow_rows *
db_ivr_start_flow(struct db *db, const char *company, const char *id)
{
	const char *p[2] = { company, id };

	if (id == NULL)
		return flow_rows(db_run(db, &st_entry, 1, p));
	return flow_rows(db_run(db, &st_get, 2, p));
}

struct ivr_flow_rows *
db_ivr_create(struct db *db, const char *company, const char *name,
    const char *description)
{
	const char *p[3] = { company, name, description };

	return flow_rows(db_run(db, &st_create, 3, p));
}

int
db_ivr_add_version(struct db *db, const char *flow, const char *content,
    const char *author, int *version, int *added)
{
	const char	*p[3] = { flow, content, author };
	PGresult	*res;

	if ((res = db_run(db, &st_add, 3, p)) == NULL)
		return -1;
	*version = atoi(PQgetvalue(res, 0, 0));
	*added = *PQgetvalue(res, 0, 1) == 't';
	PQclear(res);
	return 0;
}

struct ivr_flow_rows *
db_ivr_activate(struct db *db, const char *scope, const char *id,
    int version, int entry)
{
	char		 v[16];
	const char	*p[4] = { scope, id, version > 0 ? v : NULL,
	    entry ? "true" : "false" };
	PGresult	*res;

	snprintf(v, sizeof v, "%d", version);
	if (entry) {
		if ((res = db_run(db, &st_unentry, 1, p + 1)) == NULL)
			return NULL;
		PQclear(res);
	}
	return flow_rows(db_run(db, &st_activate, 4, p));
}

int
db_ivr_previous(struct db *db, const char *id)
{
	const char	*p[1] = { id };
	PGresult	*res;
	int		 v;

	if ((res = db_run(db, &st_previous, 1, p)) == NULL)
		return -1;
	v = PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return v;
}

/* The rows of res (st_versions' or st_version's), which they keep. */
static struct ivr_version_rows *
version_rows(PGresult *res)
{
	struct ivr_version_rows	*rows;
	struct ivr_version_row	*v;

	if (res == NULL)
		return NULL;
	rows = xcalloc(1, sizeof *rows);
	rows->res = res;
	rows->n = PQntuples(res);
	rows->v = xcalloc(rows->n > 0 ? (size_t)rows->n : 1, sizeof *rows->v);
	for (int r = 0; r < rows->n; r++) {
		v = &rows->v[r];
		v->version = atoi(PQgetvalue(res, r, 0));
		v->hash = PQgetvalue(res, r, 1);
		v->author = db_get(res, r, 2);
		v->created = PQgetvalue(res, r, 3);
		v->content = PQgetvalue(res, r, 4);
		v->language = PQnfields(res) > 5 ? db_get(res, r, 5) : NULL;
	}
	return rows;
}

void
ivr_version_rows_free(struct ivr_version_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows->v);
	free(rows);
}

struct ivr_version_rows *
db_ivr_versions(struct db *db, const char *id)
{
	const char *p[1] = { id };

	return version_rows(db_run(db, &st_versions, 1, p));
}

struct ivr_version_rows *
db_ivr_version(struct db *db, const char *id, int version)
{
	char		 v[16];
	const char	*p[2] = { id, v };

	snprintf(v, sizeof v, "%d", version);
	return version_rows(db_run(db, &st_version, 2, p));
}

int
db_ivr_delete(struct db *db, const char *scope, const char *id)
{
	const char	*p[2] = { scope, id };
	PGresult	*res;
	int		 n;

	if ((res = db_run(db, &st_delete, 2, p)) == NULL)
		return -1;
	n = PQntuples(res) > 0;
	PQclear(res);
	return n;
}

struct ivr_names *
db_ivr_queue_names(struct db *db, const char *company)
{
	const char		*p[1] = { company };
	struct ivr_names	*q;
	PGresult		*res;

	if ((res = db_run(db, &st_queues, 1, p)) == NULL)
		return NULL;
	q = xcalloc(1, sizeof *q);
	q->res = res;
	q->n = PQntuples(res);
	q->v = xcalloc((size_t)q->n + 1, sizeof *q->v);
	for (int r = 0; r < q->n; r++)
		q->v[r] = PQgetvalue(res, r, 0);
	return q;
}

void
ivr_names_free(struct ivr_names *q)
{
	if (q == NULL)
		return;
	PQclear(q->res);
	free(q->v);
	free(q);
}

int
db_ivr_session_get(struct db *db, const char *call,
    struct ivr_session_row *out)
{
	const char	*p[1] = { call };
	PGresult	*res;
	int		 found;

	memset(out, 0, sizeof *out);
	if ((res = db_run(db, &st_session_get, 1, p)) == NULL)
		return -1;
	if ((found = PQntuples(res) > 0)) {
		db_copy(out->flow, sizeof out->flow, res, 0, 0);
		out->version = atoi(PQgetvalue(res, 0, 1));
		out->state = db_dup(res, 0, 2);
	}
	PQclear(res);
	return found;
}

int
db_ivr_session_put(struct db *db, const char *call, const char *flow,
    int version, const char *state)
{
	char		 v[16];
	const char	*p[4] = { call, flow, v, state };
	PGresult	*res;

	snprintf(v, sizeof v, "%d", version);
	if ((res = db_run(db, &st_session_put, 4, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}


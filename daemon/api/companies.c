/* /api/companies: admins see every company, everyone else their own. */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-company.h"
#include "validate.h"
#include "revoke.h"
#include "audit.h"

static const char *const company_fields[] = { "name", "timezone", NULL };

/* Validate name and timezone; required on create. */
static int
company_body(struct hctx *h, int create, const char **name, const char **tz)
{
	struct fields	 f;

	fields_init(&f);
	fields_only(h->req->body, company_fields, &f);
	field_string(h->req->body, "name", create, 100, &f, name);
	if (field_string(h->req->body, "timezone", 0, 64, &f, tz) == 1 &&
	    !valid_timezone(*tz))
		fields_add(&f, "timezone", "must be an IANA time zone such as"
		    " \"Europe/Berlin\"");
	if (fields_any(&f))
		return resp_invalid(h->resp, &f);
	fields_free(&f);
	return 0;
}

static int
company_conflict(struct hctx *h)
{
	if (h->db->err == DB_UNIQUE)
		return resp_problem(h->resp, 409, "name_taken",
		    "a company with this name already exists");
	return db_fail(h->db, h->resp);
}

int
companies_list(struct hctx *h)
{
	struct page			 pg;
	struct company_rows		*rows;
	const struct company_row	*last;
	json_t				*items;
	char				*q = query_get(h->req->query, "q");

	if (page_parse(h->req, h->resp, &pg) != 0) {
		free(q);
		return -1;
	}
	rows = db_company_list(h->db, h->req->scope, q, &pg);
	free(q);
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int i = 0; i < rows->n && i < pg.limit; i++)
		json_array_append_new(items, company_json(&rows->v[i]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	company_rows_free(rows);
	return 0;
}

int
companies_get(struct hctx *h)
{
	struct company_rows	*c;

	if ((c = db_company_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (c->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such company");
	else
		resp_json(h->resp, 200, company_json(&c->v[0]));
	company_rows_free(c);
	return 0;
}

int
companies_create(struct hctx *h)
{
	const char		*name, *tz;
	struct company_rows	*c;

	if (company_body(h, 1, &name, &tz) != 0)
		return -1;
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((c = db_company_create(h->db, name, tz)) == NULL)
		goto fail;
	if (audit(h->db, h->req, c->v[0].id, "create", "company", c->v[0].id,
	    json_pack("{s:s}", "name", name)) != 0 || db_commit(h->db) != 0) {
		company_rows_free(c);
		goto fail;
	}
	resp_json(h->resp, 201, company_json(&c->v[0]));
	h->resp->location = xasprintf("/api/companies/%s", c->v[0].id);
	company_rows_free(c);
	return 0;
fail:
	db_rollback(h->db);
	return company_conflict(h);
}

int
companies_update(struct hctx *h)
{
	const char		*name, *tz, *id = h->req->params[0];
	struct company_rows	*c;

	if (company_body(h, 0, &name, &tz) != 0)
		return -1;
	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if ((c = db_company_update(h->db, h->req->scope, id, name, tz)) == NULL)
		goto fail;
	if (c->n == 0) {
		company_rows_free(c);
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such company");
	}
	if (audit(h->db, h->req, id, "update", "company", id,
	    json_deep_copy(h->req->body)) != 0 || db_commit(h->db) != 0) {
		company_rows_free(c);
		goto fail;
	}
	resp_json(h->resp, 200, company_json(&c->v[0]));
	company_rows_free(c);
	return 0;
fail:
	db_rollback(h->db);
	return company_conflict(h);
}

/* Everything the company owns goes with it, its users' sessions revoked. */
int
companies_delete(struct hctx *h)
{
	const char		*id = h->req->params[0];
	struct company_rows	*c;

	if (db_begin(h->db) != 0)
		return db_fail(h->db, h->resp);
	if (revoke_company_sessions(h->db, id) != 0 ||
	    (c = db_company_delete(h->db, id)) == NULL)
		goto fail;
	if (c->n == 0) {
		company_rows_free(c);
		db_rollback(h->db);
		return resp_problem(h->resp, 404, "not_found", "no such company");
	}
	if (audit(h->db, h->req, id, "delete", "company", id,
	    json_pack("{s:s}", "name", c->v[0].name)) != 0 ||
	    db_commit(h->db) != 0) {
		company_rows_free(c);
		goto fail;
	}
	company_rows_free(c);
	resp_empty(h->resp);
	return 0;
fail:
	db_rollback(h->db);
	return db_fail(h->db, h->resp);
}

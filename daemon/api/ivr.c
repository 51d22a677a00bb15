/*
 * /api/ivr: IVR flows as YAML with immutable versions. Every upload is
 * parsed and validated by the same code the CLI runs offline (common/ivr*),
 * against the company's queues; importing the same content again adds no
 * version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "router.h"
#include "handlers.h"
#include "db.h"
#include "db-ivr.h"
#include "validate.h"
#include "audit.h"
#include "ivr.h"

/* The company a flow belongs to: the caller's, or ?company_id= for admins. */
static const char *
ivr_company(struct hctx *h, char **owned)
{
	*owned = NULL;
	if (h->req->scope != NULL)
		return h->req->scope;
	if (h->req->body != NULL &&
	    json_is_string(json_object_get(h->req->body, "company_id")))
		*owned = xstrdup(json_string_value(json_object_get(h->req->body,
		    "company_id")));
	else
		*owned = query_get(h->req->query, "company_id");
	if (*owned != NULL && !is_uuid(*owned)) {
		free(*owned);
		*owned = NULL;
	}
	return *owned;
}

/* A 422 naming the field at fault, as every 422 does. Returns -1. */
static int
ivr_invalid(struct hctx *h, const char *field, const char *msg)
{
	struct fields	 f;

	fields_init(&f);
	fields_add(&f, field, "%s", msg);
	return resp_invalid(h->resp, &f);
}

/* The YAML of the request: a YAML body or JSON {"content": "..."}. */
static const char *
ivr_content(struct hctx *h, size_t *len)
{
	json_t	*c;

	if (h->req->raw != NULL) {
		*len = h->req->rawlen;
		return h->req->raw;
	}
	c = json_object_get(h->req->body, "content");
	if (!json_is_string(c))
		return NULL;
	*len = json_string_length(c);
	return json_string_value(c);
}

/*
 * Parse and validate content against the company's queues. Returns the
 * flow, or NULL with a 422 (or 503) in resp. diag gets every diagnostic.
 */
static struct ivr_flow *
ivr_check(struct hctx *h, const char *company, const char *text, size_t len,
    json_t *diag)
{
	struct ivr_options	 opt = { 0 };
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	struct ivr_names	*q;
	json_t			*errors, *e;
	size_t			 i;

	if ((q = db_ivr_queue_names(h->db, company)) == NULL) {
		db_fail(h->db, h->resp);
		return NULL;
	}
	opt.queues = q->v;
	ivr_diags_init(&d);
	flow = ivr_flow_parse(text, len, &opt, &d);
	ivr_diags_json(diag, "flow.yaml", &d);
	ivr_diags_free(&d);
	ivr_names_free(q);
	if (flow != NULL)
		return flow;
	errors = json_array();
	json_array_foreach(diag, i, e) {
		json_array_append_new(errors, json_pack("{s:s,s:o}", "field",
		    "content", "message", json_sprintf("%lld:%lld: %s: %s",
		    json_integer_value(json_object_get(e, "line")),
		    json_integer_value(json_object_get(e, "column")),
		    json_string_value(json_object_get(e, "severity")),
		    json_string_value(json_object_get(e, "message")))));
	}
	resp_problem_with(h->resp, 422, "validation_failed", json_pack(
	    "{s:o,s:O}", "errors", errors, "diagnostics", diag),
	    "the flow has errors");
	return NULL;
}

/* Answer the flow (404 if none); takes rows. */
static int
flow_answer(struct hctx *h, struct ivr_flow_rows *rows, int status)
{
	if (rows == NULL)
		return db_fail(h->db, h->resp);
	if (rows->n == 0)
		resp_problem(h->resp, 404, "not_found", "no such flow");
	else
		resp_json(h->resp, status, ivr_flow_json(&rows->v[0]));
	ivr_flow_rows_free(rows);
	return 0;
}

int
ivr_list(struct hctx *h)
{
	struct page			 pg;
	struct ivr_flow_rows		*rows;
	const struct ivr_flow_row	*last;
	json_t				*items;

	if (page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	if ((rows = db_ivr_list(h->db, h->req->scope, &pg)) == NULL)
		return db_fail(h->db, h->resp);
	items = json_array();
	for (int r = 0; r < rows->n && r < pg.limit; r++)
		json_array_append_new(items, ivr_flow_json(&rows->v[r]));
	last = rows->n > pg.limit ? &rows->v[pg.limit - 1] : NULL;
	resp_json(h->resp, 200, page_json(items, last ? last->key : NULL,
	    last ? last->id : NULL));
	ivr_flow_rows_free(rows);
	return 0;
}

/* The version a flow shows: the active one, else the latest. */
static int
shown_version(const struct ivr_flow_row *f)
{
	return f->active ? f->active : f->latest;
}

/* The flow with the content of its active (else latest) version. */
int
ivr_get(struct hctx *h)
{
	struct ivr_flow_rows	*f;
	struct ivr_version_rows	*v;
	json_t			*o;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (f->n == 0)
		return flow_answer(h, f, 200);
	o = ivr_flow_json(&f->v[0]);
	if ((v = db_ivr_version(h->db, h->req->params[0],
	    shown_version(&f->v[0]))) == NULL) {
		json_decref(o);
		ivr_flow_rows_free(f);
		return db_fail(h->db, h->resp);
	}
	if (v->n == 1) {
		json_object_set_new(o, "version", json_integer(v->v[0].version));
		json_object_set_new(o, "content_hash", json_string(v->v[0].hash));
		json_object_set_new(o, "content", json_string(v->v[0].content));
	}
	resp_json(h->resp, 200, o);
	ivr_flow_rows_free(f);
	ivr_version_rows_free(v);
	return 0;
}

/*
 * Import: a new flow, or a new version of the flow with the same name (or
 * of :id for PUT); the same content as the latest version adds nothing.
 * ?activate=true (or "activate": true) activates what was imported.
 */
static int
ivr_write(struct hctx *h, const char *id)
{
	char			*owned, *act = query_get(h->req->query, "activate");
	const char		*company = ivr_company(h, &owned), *text;
	char			*flowid = NULL, ver[16];
	size_t			 len;
	struct ivr_flow		*flow = NULL;
	json_t			*diag = json_array(), *o;
	struct ivr_flow_rows	*f = NULL, *a = NULL;
	int			 created = 0, activate, version, added;
	int			 rc = -1;

	activate = (act != NULL && strcmp(act, "true") == 0) ||
	    json_is_true(json_object_get(h->req->body, "activate"));
	if (company == NULL) {
		ivr_invalid(h, "company_id", "is required: flows belong to a"
		    " company; give company_id or sign in as its manager");
		goto out;
	}
	if ((text = ivr_content(h, &len)) == NULL) {
		resp_problem(h->resp, 415, "unsupported_media_type", "send the"
		    " flow as application/yaml, or JSON {\"content\": \"...\"}");
		goto out;
	}
	if ((flow = ivr_check(h, company, text, len, diag)) == NULL)
		goto out;
	if (db_begin(h->db) != 0)
		goto fail;
	f = id != NULL ? db_ivr_get(h->db, h->req->scope, id) :
	    db_ivr_by_name(h->db, company, flow->name);
	if (f == NULL)
		goto fail;
	if (f->n == 0 && id != NULL) {
		db_rollback(h->db);
		resp_problem(h->resp, 404, "not_found", "no such flow");
		goto out;
	}
	if (f->n == 0) {
		ivr_flow_rows_free(f);
		if ((f = db_ivr_create(h->db, company, flow->name,
		    flow->description)) == NULL)
			goto fail;
		created = 1;
	}
	flowid = xstrdup(f->v[0].id);
	/* The content as text: the raw body is not NUL-terminated. */
	{
		char	*copy = xstrndup(text, len);
		int	 r;

		r = db_ivr_add_version(h->db, flowid, copy,
		    h->req->who.user_id[0] ? h->req->who.user_id : NULL,
		    &version, &added);
		free(copy);
		if (r != 0)
			goto fail;
	}
	snprintf(ver, sizeof ver, "%d", version);
	if ((activate && (a = db_ivr_activate(h->db, NULL, flowid, version,
	    0)) == NULL) ||
	    audit(h->db, h->req, company, created ? "create" : "update",
	    "ivr_flow", flowid, json_pack("{s:s,s:b}", "version", ver,
	    "activated", activate)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	ivr_flow_rows_free(f);
	f = db_ivr_get(h->db, NULL, flowid);
	if (f == NULL || f->n == 0)
		goto fail;
	o = ivr_flow_json(&f->v[0]);
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "unchanged", json_boolean(!added));
	json_object_set_new(o, "diagnostics", json_incref(diag));
	resp_json(h->resp, created ? 201 : 200, o);
	if (created)
		h->resp->location = xasprintf("/api/ivr/%s", flowid);
	rc = 0;
	goto out;
fail:
	db_rollback(h->db);
	if (h->db->err == DB_UNIQUE)
		resp_problem(h->resp, 409, "conflict", "a flow with this name"
		    " exists");
	else
		db_fail(h->db, h->resp);
out:
	free(flowid);
	ivr_flow_free(flow);
	json_decref(diag);
	ivr_flow_rows_free(f);
	ivr_flow_rows_free(a);
	free(owned);
	free(act);
	return rc;
}

int
ivr_create(struct hctx *h)
{
	return ivr_write(h, NULL);
}

int
ivr_update(struct hctx *h)
{
	return ivr_write(h, h->req->params[0]);
}

int
ivr_delete(struct hctx *h)
{
	switch (db_ivr_delete(h->db, h->req->scope, h->req->params[0])) {
	case -1:
		return db_fail(h->db, h->resp);
	case 0:
		return resp_problem(h->resp, 404, "not_found", "no such flow");
	}
	audit(h->db, h->req, h->req->scope, "delete", "ivr_flow",
	    h->req->params[0], NULL);
	resp_empty(h->resp);
	return 0;
}

/* POST /api/ivr/:id/activate {"version": N, "entry": true} */
int
ivr_activate(struct hctx *h)
{
	static const char *const keys[] = { "version", "entry", NULL };
	struct fields	 f;
	long long	 n;
	json_t		*b = h->req->body ? h->req->body : json_object();
	int		 has;

	fields_init(&f);
	fields_only(b, keys, &f);
	has = field_int(b, "version", 1, 1000000, &f, &n);
	if (json_object_get(b, "entry") != NULL &&
	    !json_is_boolean(json_object_get(b, "entry")))
		fields_add(&f, "entry", "must be true or false");
	if (fields_any(&f)) {
		if (b != h->req->body)
			json_decref(b);
		return resp_invalid(h->resp, &f);
	}
	fields_free(&f);
	has = flow_answer(h, db_ivr_activate(h->db, h->req->scope,
	    h->req->params[0], has == 1 ? (int)n : 0,
	    json_is_true(json_object_get(b, "entry"))), 200);
	if (b != h->req->body)
		json_decref(b);
	return has;
}

/* Activate the version before the active one. */
int
ivr_rollback(struct hctx *h)
{
	struct ivr_flow_rows	*f;
	int			 prev;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (f->n == 0)
		return flow_answer(h, f, 200);
	ivr_flow_rows_free(f);
	if ((prev = db_ivr_previous(h->db, h->req->params[0])) < 0)
		return db_fail(h->db, h->resp);
	if (prev == 0)
		return resp_problem(h->resp, 409, "conflict",
		    "there is no earlier version to roll back to");
	return flow_answer(h, db_ivr_activate(h->db, h->req->scope,
	    h->req->params[0], prev, 0), 200);
}

int
ivr_versions(struct hctx *h)
{
	struct ivr_flow_rows	*f;
	struct ivr_version_rows	*v;
	json_t			*items;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (f->n == 0)
		return flow_answer(h, f, 200);
	if ((v = db_ivr_versions(h->db, h->req->params[0])) == NULL) {
		ivr_flow_rows_free(f);
		return db_fail(h->db, h->resp);
	}
	items = json_array();
	for (int i = 0; i < v->n; i++) {
		json_array_append_new(items, json_pack("{s:i,s:s,s:s?,s:s,s:b}",
		    "version", v->v[i].version,
		    "content_hash", v->v[i].hash,
		    "author_id", v->v[i].author,
		    "created_at", v->v[i].created,
		    "active", f->v[0].active != 0 &&
		    f->v[0].active == v->v[i].version));
	}
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	ivr_flow_rows_free(f);
	ivr_version_rows_free(v);
	return 0;
}

/* The YAML of a version (?version=N; default the active, else latest). */
int
ivr_export(struct hctx *h)
{
	struct ivr_flow_rows	*f;
	struct ivr_version_rows	*v;
	char			*want = query_get(h->req->query, "version");
	int			 ver, given = want != NULL;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL) {
		free(want);
		return db_fail(h->db, h->resp);
	}
	if (f->n == 0) {
		free(want);
		return flow_answer(h, f, 200);
	}
	if (want != NULL && (want[0] == '\0' ||
	    strspn(want, "0123456789") != strlen(want) || strlen(want) > 9))
		ver = -1;
	else
		ver = want != NULL ? atoi(want) : shown_version(&f->v[0]);
	free(want);
	ivr_flow_rows_free(f);
	/* A flow without versions has none to show either. */
	if (ver < 0 || (ver == 0 && !given))
		return resp_problem(h->resp, 400, "bad_request",
		    "version must be a number");
	if ((v = db_ivr_version(h->db, h->req->params[0], ver)) == NULL)
		return db_fail(h->db, h->resp);
	if (v->n == 0) {
		ivr_version_rows_free(v);
		return resp_problem(h->resp, 404, "not_found", "no such version");
	}
	h->resp->status = 200;
	h->resp->body = xstrdup(v->v[0].content);
	h->resp->len = strlen(h->resp->body);
	h->resp->content_type = "application/yaml; charset=utf-8";
	ivr_version_rows_free(v);
	return 0;
}

/* Validate without storing: 200 {"valid", "diagnostics"}. */
int
ivr_validate(struct hctx *h)
{
	char		*owned;
	const char	*company = ivr_company(h, &owned), *text;
	size_t		 len;
	struct ivr_flow	*flow;
	json_t		*diag = json_array();

	if (company == NULL || (text = ivr_content(h, &len)) == NULL) {
		free(owned);
		json_decref(diag);
		return company == NULL ? ivr_invalid(h, "company_id", "is"
		    " required: admins name the company whose queues the flow"
		    " uses") : ivr_invalid(h, "content", "is required: send the"
		    " flow as YAML or {\"content\": \"...\"}");
	}
	flow = ivr_check(h, company, text, len, diag);
	free(owned);
	if (flow == NULL && h->resp->status != 422) {
		json_decref(diag);
		return -1;
	}
	response_reset(h->resp);
	resp_json(h->resp, 200, json_pack("{s:b,s:o}", "valid", flow != NULL,
	    "diagnostics", diag));
	ivr_flow_free(flow);
	return 0;
}

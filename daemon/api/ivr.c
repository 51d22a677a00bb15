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
	const char		**names;
	PGresult		*q;
	json_t			*errors, *e;
	size_t			 i;

	if ((q = db_ivr_queue_names(h->db, company)) == NULL) {
		db_fail(h->db, h->resp);
		return NULL;
	}
	names = xcalloc((size_t)PQntuples(q) + 1, sizeof *names);
	for (int r = 0; r < PQntuples(q); r++)
		names[r] = PQgetvalue(q, r, 0);
	opt.queues = names;
	ivr_diags_init(&d);
	flow = ivr_flow_parse(text, len, &opt, &d);
	ivr_diags_json(diag, "flow.yaml", &d);
	ivr_diags_free(&d);
	free(names);
	PQclear(q);
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

static int
flow_answer(struct hctx *h, PGresult *res, int status)
{
	if (res == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(res) == 0)
		resp_problem(h->resp, 404, "not_found", "no such flow");
	else
		resp_json(h->resp, status, ivr_flow_json(res, 0));
	PQclear(res);
	return 0;
}

int
ivr_list(struct hctx *h)
{
	struct page	 pg;
	PGresult	*res;

	if (page_parse(h->req, h->resp, &pg) != 0)
		return -1;
	if ((res = db_ivr_list(h->db, h->req->scope, &pg)) == NULL)
		return db_fail(h->db, h->resp);
	resp_json(h->resp, 200, page_rows(&pg, res, ivr_flow_json, IVR_C_KEY, IVR_C_ID));
	PQclear(res);
	return 0;
}

/* The flow with the content of its active (else latest) version. */
int
ivr_get(struct hctx *h)
{
	PGresult	*f, *v;
	json_t		*o;
	const char	*ver;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(f) == 0)
		return flow_answer(h, f, 200);
	o = ivr_flow_json(f, 0);
	ver = !PQgetisnull(f, 0, IVR_C_ACTIVE) ? PQgetvalue(f, 0, IVR_C_ACTIVE) :
	    PQgetvalue(f, 0, IVR_C_LATEST);
	if ((v = db_ivr_version(h->db, h->req->params[0], ver)) == NULL) {
		json_decref(o);
		PQclear(f);
		return db_fail(h->db, h->resp);
	}
	if (PQntuples(v) == 1) {
		json_object_set_new(o, "version", json_integer(atoi(PQgetvalue(v, 0, 0))));
		json_object_set_new(o, "content_hash", json_string(PQgetvalue(v, 0, 1)));
		json_object_set_new(o, "content", json_string(PQgetvalue(v, 0, 4)));
	}
	resp_json(h->resp, 200, o);
	PQclear(f);
	PQclear(v);
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
	char		*owned, *act = query_get(h->req->query, "activate");
	const char	*company = ivr_company(h, &owned), *text;
	char		*flowid = NULL;
	size_t		 len;
	struct ivr_flow	*flow = NULL;
	json_t		*diag = json_array(), *o;
	PGresult	*f = NULL, *v = NULL, *a = NULL;
	int		 created = 0, activate, rc = -1;

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
	if (PQntuples(f) == 0 && id != NULL) {
		db_rollback(h->db);
		resp_problem(h->resp, 404, "not_found", "no such flow");
		goto out;
	}
	if (PQntuples(f) == 0) {
		PQclear(f);
		if ((f = db_ivr_create(h->db, company, flow->name,
		    flow->description)) == NULL)
			goto fail;
		created = 1;
	}
	flowid = xstrdup(PQgetvalue(f, 0, IVR_C_ID));
	/* The content as text: the raw body is not NUL-terminated. */
	{
		char *copy = xstrndup(text, len);

		v = db_ivr_add_version(h->db, flowid, copy,
		    h->req->who.user_id[0] ? h->req->who.user_id : NULL);
		free(copy);
	}
	if (v == NULL || (activate && (a = db_ivr_activate(h->db, NULL, flowid,
	    PQgetvalue(v, 0, 0), NULL)) == NULL) ||
	    audit(h->db, h->req, company, created ? "create" : "update",
	    "ivr_flow", flowid, json_pack("{s:s,s:b}", "version",
	    PQgetvalue(v, 0, 0), "activated", activate)) != 0 ||
	    db_commit(h->db) != 0)
		goto fail;
	PQclear(f);
	f = db_ivr_get(h->db, NULL, flowid);
	if (f == NULL || PQntuples(f) == 0)
		goto fail;
	o = ivr_flow_json(f, 0);
	json_object_set_new(o, "version", json_integer(atoi(PQgetvalue(v, 0, 0))));
	json_object_set_new(o, "unchanged", json_boolean(*PQgetvalue(v, 0, 1) != 't'));
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
	PQclear(f);
	PQclear(v);
	PQclear(a);
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
	PGresult	*res;

	if ((res = db_ivr_delete(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return resp_problem(h->resp, 404, "not_found", "no such flow");
	}
	PQclear(res);
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
	char		 ver[24];
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
	snprintf(ver, sizeof ver, "%lld", n);
	has = flow_answer(h, db_ivr_activate(h->db, h->req->scope,
	    h->req->params[0], has == 1 ? ver : NULL,
	    json_is_true(json_object_get(b, "entry")) ? "true" : NULL), 200);
	if (b != h->req->body)
		json_decref(b);
	return has;
}

/* Activate the version before the active one. */
int
ivr_rollback(struct hctx *h)
{
	PGresult	*f, *p;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(f) == 0)
		return flow_answer(h, f, 200);
	PQclear(f);
	if ((p = db_ivr_previous(h->db, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(p) == 0) {
		PQclear(p);
		return resp_problem(h->resp, 409, "conflict",
		    "there is no earlier version to roll back to");
	}
	f = db_ivr_activate(h->db, h->req->scope, h->req->params[0],
	    PQgetvalue(p, 0, 0), NULL);
	PQclear(p);
	return flow_answer(h, f, 200);
}

int
ivr_versions(struct hctx *h)
{
	PGresult	*f, *v;
	json_t		*items;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(f) == 0)
		return flow_answer(h, f, 200);
	if ((v = db_ivr_versions(h->db, h->req->params[0])) == NULL) {
		PQclear(f);
		return db_fail(h->db, h->resp);
	}
	items = json_array();
	for (int i = 0; i < PQntuples(v); i++) {
		json_array_append_new(items, json_pack("{s:i,s:s,s:o,s:s,s:b}",
		    "version", atoi(PQgetvalue(v, i, 0)),
		    "content_hash", PQgetvalue(v, i, 1),
		    "author_id", PQgetisnull(v, i, 2) ? json_null() :
		    json_string(PQgetvalue(v, i, 2)),
		    "created_at", PQgetvalue(v, i, 3),
		    "active", !PQgetisnull(f, 0, IVR_C_ACTIVE) &&
		    strcmp(PQgetvalue(f, 0, IVR_C_ACTIVE), PQgetvalue(v, i, 0)) == 0));
	}
	resp_json(h->resp, 200, json_pack("{s:o,s:n}", "items", items,
	    "next_cursor"));
	PQclear(f);
	PQclear(v);
	return 0;
}

/* The YAML of a version (?version=N; default the active, else latest). */
int
ivr_export(struct hctx *h)
{
	PGresult	*f, *v;
	char		*want = query_get(h->req->query, "version");
	const char	*ver;

	if ((f = db_ivr_get(h->db, h->req->scope, h->req->params[0])) == NULL) {
		free(want);
		return db_fail(h->db, h->resp);
	}
	if (PQntuples(f) == 0) {
		free(want);
		return flow_answer(h, f, 200);
	}
	ver = want != NULL ? want : !PQgetisnull(f, 0, IVR_C_ACTIVE) ?
	    PQgetvalue(f, 0, IVR_C_ACTIVE) : PQgetvalue(f, 0, IVR_C_LATEST);
	if (ver[0] == '\0' || strspn(ver, "0123456789") != strlen(ver) ||
	    strlen(ver) > 9) {
		free(want);
		PQclear(f);
		return resp_problem(h->resp, 400, "bad_request",
		    "version must be a number");
	}
	v = db_ivr_version(h->db, h->req->params[0], ver);
	free(want);
	PQclear(f);
	if (v == NULL)
		return db_fail(h->db, h->resp);
	if (PQntuples(v) == 0) {
		PQclear(v);
		return resp_problem(h->resp, 404, "not_found", "no such version");
	}
	h->resp->status = 200;
	h->resp->body = xstrdup(PQgetvalue(v, 0, 4));
	h->resp->len = strlen(h->resp->body);
	h->resp->content_type = "application/yaml; charset=utf-8";
	PQclear(v);
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

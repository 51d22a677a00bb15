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
#include "ivr.h"
#include "op.h"
#include "op-ivr-flow.h"

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
 * Changes are entries of the operations table (op/op-ivr-flow.c). An
 * import takes its flow from a YAML body (or the JSON body's "content")
 * and its options from the query: ?activate=true, and ?company_id= for an
 * admin whose body names no company.
 */
static int
ivr_import(struct hctx *h, int op)
{
	struct op_in	 in = { 0 };
	struct op_out	 out;
	char		*act = query_get(h->req->query, "activate");
	char		*company = query_get(h->req->query, "company_id");
	int		 rc;

	in.raw = h->req->raw;
	in.rawlen = h->req->rawlen;
	in.activate = act != NULL && strcmp(act, "true") == 0;
	in.company = company;
	rest_admin_run(h, op, &in, &out);
	rc = rest_answer(h, &out);
	free(act);
	free(company);
	return rc;
}

int
ivr_create(struct hctx *h)
{
	return ivr_import(h, OP_IVR_FLOW_CREATE);
}

int
ivr_update(struct hctx *h)
{
	return ivr_import(h, OP_IVR_FLOW_UPDATE);
}

int
ivr_delete(struct hctx *h)
{
	return rest_admin(h, OP_IVR_FLOW_DELETE);
}

int
ivr_activate(struct hctx *h)
{
	return rest_admin(h, OP_IVR_FLOW_ACTIVATE);
}

int
ivr_rollback(struct hctx *h)
{
	return rest_admin(h, OP_IVR_FLOW_ROLLBACK);
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
	struct op_out	 out = { 0 };
	json_t		*diag = json_array();

	if (company == NULL || (text = ivr_content(h, &len)) == NULL) {
		free(owned);
		json_decref(diag);
		return company == NULL ? ivr_invalid(h, "company_id", "is"
		    " required: admins name the company whose queues the flow"
		    " uses") : ivr_invalid(h, "content", "is required: send the"
		    " flow as YAML or {\"content\": \"...\"}");
	}
	flow = op_ivr_flow_check(h->db, company, text, len, diag, &out);
	free(owned);
	if (flow == NULL && out.status != 422) {
		json_decref(diag);
		return rest_answer(h, &out);
	}
	op_out_free(&out);
	resp_json(h->resp, 200, json_pack("{s:b,s:o}", "valid", flow != NULL,
	    "diagnostics", diag));
	ivr_flow_free(flow);
	return 0;
}

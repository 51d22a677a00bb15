/*
 * IVR flows' configuration: ivr_flow.create and .update (an import: a new
 * flow, or a new version of the flow of that name or id; the same content
 * as the latest version adds nothing), .delete, .activate and .rollback
 * (OPTX_ADMIN: the dispatcher holds the transaction and writes the audit
 * log). Flows are read from the database when a call enters one: no live
 * state follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-ivr.h"
#include "validate.h"
#include "ivr.h"
#include "op.h"
#include "op-int.h"
#include "op-ivr-flow.h"

struct ivr_flow *
op_ivr_flow_check(struct db *db, const char *company, const char *text,
    size_t len, json_t *diag, struct op_out *out)
{
	struct ivr_options	 opt = { 0 };
	struct ivr_diags	 d;
	struct ivr_flow		*flow;
	struct ivr_names	*q;
	json_t			*errors, *e;
	size_t			 i;

	if ((q = db_ivr_queue_names(db, company)) == NULL) {
		op_fail_db(out, db);
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
	op_fail(out, 422, "validation_failed", "the flow has errors");
	out->errors = errors;
	out->obj = json_pack("{s:O}", "diagnostics", diag);
	return NULL;
}

/* The company a flow goes to: the actor's, else the body's or the
 * query's company_id (an admin's); NULL when none is a UUID. */
static const char *
flow_company(const char *scope, const struct op_in *in)
{
	json_t	*c = json_object_get(in->body, "company_id");

	if (scope != NULL)
		return scope;
	if (json_is_string(c))
		return is_uuid(json_string_value(c)) ? json_string_value(c) :
		    NULL;
	return in->company != NULL && is_uuid(in->company) ? in->company :
	    NULL;
}

/* The YAML: a YAML body, or the JSON body's "content". */
static const char *
flow_content(const struct op_in *in, size_t *len)
{
	json_t	*c;

	if (in->raw != NULL) {
		*len = in->rawlen;
		return in->raw;
	}
	c = json_object_get(in->body, "content");
	if (!json_is_string(c))
		return NULL;
	*len = json_string_length(c);
	return json_string_value(c);
}

/* The flow as the API shows it (404 if none), from rows, which it frees. */
static void
flow_out(struct db *db, struct ivr_flow_rows *rows, struct op_out *out)
{
	if (rows == NULL)
		return op_fail_db(out, db);
	if (rows->n == 0)
		op_fail(out, 404, "not_found", "no such flow");
	else {
		strlcpy_(out->id, rows->v[0].id, sizeof out->id);
		strlcpy_(out->company, rows->v[0].company,
		    sizeof out->company);
		out->status = 200;
		out->obj = ivr_flow_json(&rows->v[0]);
	}
	ivr_flow_rows_free(rows);
}

/* POST /api/ivr (an import by name) and PUT /api/ivr/:id. */
void
op_ivr_flow_write(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	const char		*company = flow_company(scope, in), *text;
	char			*copy, ver[16];
	size_t			 len;
	struct ivr_flow		*flow = NULL;
	json_t			*diag = json_array(), *o;
	struct ivr_flow_rows	*f = NULL, *act = NULL;
	int			 created = 0, version, added, r;
	int			 activate = in->activate ||
				    json_is_true(json_object_get(in->body,
				    "activate"));

	if (company == NULL) {
		out->field = "company_id";
		op_fail(out, 422, "validation_failed", "is required: flows"
		    " belong to a company; give company_id or sign in as its"
		    " manager");
		goto out;
	}
	if ((text = flow_content(in, &len)) == NULL) {
		op_fail(out, 415, "unsupported_media_type", "send the flow as"
		    " application/yaml, or JSON {\"content\": \"...\"}");
		goto out;
	}
	if ((flow = op_ivr_flow_check(db, company, text, len, diag,
	    out)) == NULL)
		goto out;
	f = in->id != NULL ? db_ivr_get(db, scope, in->id) :
	    db_ivr_by_name(db, company, flow->name);
	if (f == NULL)
		goto fail;
	if (f->n == 0 && in->id != NULL) {
		op_fail(out, 404, "not_found", "no such flow");
		goto out;
	}
	if (f->n == 0) {
		ivr_flow_rows_free(f);
		if ((f = db_ivr_create(db, company, flow->name,
		    flow->description)) == NULL)
			goto fail;
		created = 1;
	}
	strlcpy_(out->id, f->v[0].id, sizeof out->id);
	strlcpy_(out->company, company, sizeof out->company);
	/* The content as text: a raw body is not NUL-terminated. */
	copy = xstrndup(text, len);
	r = db_ivr_add_version(db, out->id, copy, a->user, &version, &added);
	free(copy);
	if (r != 0 || (activate && (act = db_ivr_activate(db, NULL, out->id,
	    version, 0)) == NULL))
		goto fail;
	ivr_flow_rows_free(f);
	if ((f = db_ivr_get(db, NULL, out->id)) == NULL || f->n == 0)
		goto fail;
	o = ivr_flow_json(&f->v[0]);
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "unchanged", json_boolean(!added));
	json_object_set_new(o, "diagnostics", json_incref(diag));
	out->obj = o;
	out->status = created ? 201 : 200;
	out->verb = created ? "create" : "update";
	snprintf(ver, sizeof ver, "%d", version);
	out->audit = json_pack("{s:s,s:b}", "version", ver, "activated",
	    activate);
	goto out;
fail:
	if (db->err == DB_UNIQUE)
		op_fail(out, 409, "conflict", "a flow with this name exists");
	else
		op_fail_db(out, db);
out:
	ivr_flow_free(flow);
	json_decref(diag);
	ivr_flow_rows_free(f);
	ivr_flow_rows_free(act);
}

void
op_ivr_flow_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	(void)a;
	flow_out(db, db_ivr_get(db, scope, in->id), out);
	if (out->status >= 400)
		return;
	json_decref(out->obj);
	out->obj = NULL;
	switch (db_ivr_delete(db, scope, in->id)) {
	case -1:
		return op_fail_db(out, db);
	case 0:
		return op_fail(out, 404, "not_found", "no such flow");
	}
	out->status = 204;
}

/* POST /api/ivr/:id/activate {"version": N, "entry": true} */
void
op_ivr_flow_activate(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	static const char *const keys[] = { "version", "entry", NULL };
	struct fields	 f;
	long long	 n;
	json_t		*b = in->body != NULL ? in->body : json_object();
	int		 has;

	(void)a;
	fields_init(&f);
	fields_only(b, keys, &f);
	has = field_int(b, "version", 1, 1000000, &f, &n);
	if (json_object_get(b, "entry") != NULL &&
	    !json_is_boolean(json_object_get(b, "entry")))
		fields_add(&f, "entry", "must be true or false");
	if (fields_any(&f))
		op_fail_fields(out, &f);
	else
		flow_out(db, db_ivr_activate(db, scope, in->id, has == 1 ?
		    (int)n : 0, json_is_true(json_object_get(b, "entry"))),
		    out);
	fields_free(&f);
	if (b != in->body)
		json_decref(b);
}

/* Activate the version before the active one. */
void
op_ivr_flow_rollback(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	int	 prev;

	(void)a;
	flow_out(db, db_ivr_get(db, scope, in->id), out);
	if (out->status >= 400)
		return;
	json_decref(out->obj);
	out->obj = NULL;
	out->status = 0;
	if ((prev = db_ivr_previous(db, in->id)) < 0)
		return op_fail_db(out, db);
	if (prev == 0)
		return op_fail(out, 409, "conflict",
		    "there is no earlier version to roll back to");
	flow_out(db, db_ivr_activate(db, scope, in->id, prev, 0), out);
	if (out->status == 200)
		out->audit = json_pack("{s:i}", "version", prev);
}

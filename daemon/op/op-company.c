/*
 * Companies: company.create, company.update and company.delete (op.h,
 * OPTX_ADMIN). A deleted company takes everything it owns with it, its
 * users' sessions revoked in the same transaction and its files' contents
 * put in the storage trash; applied() makes this node refuse the sessions
 * and deletes the contents from the storage once it committed (what
 * cannot be deleted then, the recording sweeper retries).
 */
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "db-company.h"
#include "db-file.h"
#include "db-session.h"
#include "validate.h"
#include "revoke.h"
#include "op.h"
#include "op-int.h"
#include "op-retention.h"

static const char *const company_fields[] = { "name", "timezone", NULL };

/* name and timezone (name required on create): 0, or -1 with out a 422
 * naming every field at fault. */
static int
company_input(json_t *b, int create, const char **name, const char **tz,
    struct op_out *out)
{
	struct fields	 f;

	*name = *tz = NULL;
	fields_init(&f);
	fields_only(b, company_fields, &f);
	field_string(b, "name", create, 100, &f, name);
	if (field_string(b, "timezone", 0, 64, &f, tz) == 1 &&
	    !valid_timezone(*tz))
		fields_add(&f, "timezone", "must be an IANA time zone such as"
		    " \"Europe/Berlin\"");
	if (fields_any(&f)) {
		op_fail_fields(out, &f);
		return -1;
	}
	fields_free(&f);
	return 0;
}

void
op_company_write(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct company_rows	*res;
	const char		*name, *tz;
	int			 create = in->id == NULL;

	(void)a;
	if (company_input(in->body, create, &name, &tz, out) != 0)
		return;
	res = create ? db_company_create(db, name, tz) :
	    db_company_update(db, scope, in->id, name, tz);
	if (res == NULL) {
		if (db->err == DB_UNIQUE)
			op_fail(out, 409, "name_taken",
			    "a company with this name already exists");
		else
			op_fail_db(out, db);
		return;
	}
	if (res->n == 0) {
		company_rows_free(res);
		return op_fail(out, 404, "not_found", "no such company");
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].id, sizeof out->company);
	out->obj = company_json(&res->v[0]);
	out->status = create ? 201 : 200;
	/* A new company's detail is its name; an update's, the body. */
	if (create)
		out->audit = json_pack("{s:s}", "name", name);
	company_rows_free(res);
}

void
op_company_delete(struct db *db, const struct actor *a, const char *scope,
    const struct op_in *in, struct op_out *out)
{
	struct company_rows	*res;

	(void)a;
	(void)scope;		/* admins only (the entry's min_role) */
	if ((out->revoked = revoke_company_sessions_tx(db, in->id)) == NULL ||
	    db_file_trash_company(db, in->id) != 0 ||
	    (res = db_company_delete(db, in->id)) == NULL)
		return op_fail_db(out, db);
	if (res->n == 0) {
		company_rows_free(res);
		return op_fail(out, 404, "not_found", "no such company");
	}
	strlcpy_(out->id, res->v[0].id, sizeof out->id);
	strlcpy_(out->company, res->v[0].id, sizeof out->company);
	out->audit = json_pack("{s:s}", "name", res->v[0].name);
	out->status = 204;
	company_rows_free(res);
}

void
op_company_deleted(struct db *db, const struct op_out *out)
{
	op_revoked_applied(db, out);
	if (out->status < 400)
		op_trash_empty(db, out->id);
}

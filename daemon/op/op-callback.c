/*
 * Callbacks (virtual hold): call.callback turns a waiting call into a
 * callback to a number (the body's, else the caller's), in its place in
 * the queue; call.callback_failed is Twilio telling that a callback's dial
 * reached nobody. Each is one hub decision (hub-callback.c).
 */
#include <string.h>

#include "db.h"
#include "call.h"
#include "db-call.h"
#include "validate.h"
#include "hub.h"
#include "op-int.h"

/* The hub's answer into out; takes r's row. */
static void
callback_out(struct hub_result *r, struct op_out *out)
{
	if (r->status >= 400)
		op_fail(out, r->status, r->code, "%s", r->detail);
	else {
		out->status = r->status;
		if (r->row != NULL && r->row->n > 0)
			op_call_out(out, &r->row->v[0]);
	}
	call_rows_free(r->row);
}

void
op_callback(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct hub_result	 r;
	struct call_rows	*c = NULL;
	const char		*number = in->number;

	out->field = "number";
	if (number == NULL) {
		if ((c = db_call_find(db, company, in->call)) == NULL)
			return op_fail_db(out, db);
		if (c->n == 1)
			number = c->v[0].number;
		if (number == NULL) {
			call_rows_free(c);
			return op_fail(out, 422, "validation_failed", "is"
			    " required: the call has no caller number");
		}
	}
	if (!is_e164(number)) {
		call_rows_free(c);
		return op_fail(out, 422, "validation_failed", "must be an E.164"
		    " number (+15551234567)");
	}
	out->field = NULL;
	hub_callback(db, company, in->call, number, a->kind == ACTOR_USER ?
	    a->user : NULL, &r);
	call_rows_free(c);
	callback_out(&r, out);
}

void
op_callback_failed(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct hub_result	 r;

	(void)a;
	hub_callback_failed(db, company, in->call, in->reason, &r);
	callback_out(&r, out);
}

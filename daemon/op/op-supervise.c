/*
 * call.supervise: a manager monitors a connected call, whispers to its
 * agent, barges in, or leaves ("off"); with "phone", on a phone Twilio
 * dials (a Twilio call's only), else in the browser. The checks of the
 * input are here; the decision is the hub's (hub-supervise.c).
 */
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "validate.h"
#include "hub.h"
#include "op-int.h"

void
op_supervise(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct hub_result	 r;
	struct hub_sup		 s = { .company = company, .call = in->call,
				    .phone = in->phone, .ip = a->ip };

	if (a->kind != ACTOR_USER || a->user == NULL)
		return op_fail(out, 403, "forbidden", "supervising a call needs"
		    " a signed-in user (a token)");
	s.user = a->user;
	out->field = "mode";
	if (sup_mode_parse(in->mode, &s.mode) != 0)
		return op_fail(out, 422, "validation_failed", "must be monitor,"
		    " whisper, barge or off");
	out->field = "phone";
	if (in->phone != NULL && !is_e164(in->phone) && !is_sip_uri(in->phone))
		return op_fail(out, 422, "validation_failed", "must be an E.164"
		    " number (+15551234567) or a sip: URI (sip:user@host)");
	if (in->phone != NULL && s.mode == SUP_OFF)
		return op_fail(out, 422, "validation_failed", "is not taken"
		    " with mode off");
	out->field = NULL;
	hub_supervise(db, &s, &r);
	if (r.status >= 400)
		op_fail(out, r.status, r.code, "%s", r.detail);
	else {
		out->status = r.status;
		if (r.row != NULL && r.row->n > 0)
			op_call_out(out, &r.row->v[0]);
	}
	call_rows_free(r.row);
}

/*
 * Supervision in the hub: a manager monitors a connected call, whispers to
 * its agent or barges in, moves between the three, or leaves. One
 * supervisor per call. The state is the call's row (sql/023), changed in
 * one decision under the company's lock with its call.supervised event
 * and its audit row, and published after COMMIT; a call that leaves its
 * agent (ends, is transferred or requeued) loses its supervisor in the
 * decision that moves it (hub_move). Being in the rows, it survives a
 * restart or a takeover as the rest of a connected call does.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "log.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-audit.h"
#include "hub.h"
#include "hub-int.h"

/* The event's data: the call, and what happened to its supervision. */
static json_t *
sup_event(const struct call_row *c, const char *user, enum sup_mode mode,
    const char *previous, const char *via, const char *phone, int twilio,
    int announce, const char *reason)
{
	json_t	*o = call_row_json(c);

	json_object_set_new(o, "supervision", json_pack(
	    "{s:o,s:s,s:o,s:o,s:o,s:b,s:b,s:o}",
	    "supervisor_id", user != NULL ? json_string(user) : json_null(),
	    "mode", sup_mode_name(mode),
	    "previous_mode", previous != NULL ? json_string(previous) :
	    json_null(), "via", via != NULL ? json_string(via) : json_null(),
	    "phone", phone != NULL ? json_string(phone) : json_null(),
	    "announce", announce,
	    /* Who of the call's agent hears it (net/ws-topics.c): her page
	     * carries a browser call's media; a Twilio call's agent is told
	     * only when the company announces supervision. */
	    "agent_notified", !twilio || announce,
	    "reason", reason != NULL ? json_string(reason) : json_null()));
	return o;
}

/* What call_events records of it (who: its actor_id). */
static char *
sup_record(enum sup_mode mode, const char *previous, const char *via,
    const char *phone, const char *reason)
{
	json_t	*o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?}", "mode",
		    sup_mode_name(mode), "previous_mode", previous, "via", via,
		    "phone", phone, "reason", reason);
	char	*s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

void
hub_supervise(struct db *db, const struct hub_sup *op, struct hub_result *r)
{
	struct hub_tx		 tx;
	struct call_rows	*row = NULL;
	const struct call_row	*c;
	enum sup_mode		 cur = SUP_OFF;
	const char		*via, *phone, *previous;
	char			*rec = NULL;
	int			 found, twilio, announce, mine, ok = 0;

	memset(r, 0, sizeof *r);
	if (hub_tx_begin(&tx, db, hub_co_get(op->company), r) != 0)
		return;
	if (hub_tx_sql(&tx) != 0 || (found = db_call_supervision(db,
	    op->company, op->call, &row, &twilio, &announce)) < 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (found == 0) {
		hub_result_set(r, 404, "not_found", "no such call");
		goto out;
	}
	c = &row->v[0];
	if (c->sup_mode != NULL && sup_mode_parse(c->sup_mode, &cur) != 0)
		cur = SUP_OFF;
	/* A supervisor whose user was deleted holds no call. */
	mine = cur != SUP_OFF && c->sup_user != NULL &&
	    strcmp(c->sup_user, op->user) == 0;
	if (op->phone != NULL && op->mode != SUP_OFF && !twilio) {
		hub_result_set(r, 422, "phone_unsupported", "a browser call is"
		    " supervised in the browser: phone is for Twilio calls");
		goto out;
	}
	if ((c->state != CALL_CONNECTED && c->state != CALL_ON_HOLD) ||
	    c->agent == NULL) {
		hub_result_set(r, 409, "not_connected", "the call is not"
		    " connected to an agent");
		goto out;
	}
	if (op->mode == SUP_OFF && cur == SUP_OFF) {
		hub_result_set(r, 409, "not_supervised", "nobody supervises"
		    " this call");
		goto out;
	}
	if (op->mode != SUP_OFF && cur != SUP_OFF && !mine &&
	    c->sup_user != NULL) {
		hub_result_set(r, 409, "supervised", "another user supervises"
		    " this call");
		goto out;
	}
	/* How the supervisor takes part is fixed until she leaves. */
	if (op->mode != SUP_OFF && mine && op->phone != NULL &&
	    (c->sup_phone == NULL || strcmp(c->sup_phone, op->phone) != 0)) {
		hub_result_set(r, 409, "via_fixed", "you take part in this call"
		    " another way: leave it (off) first");
		goto out;
	}
	previous = cur != SUP_OFF ? sup_mode_name(cur) : NULL;
	if (mine || op->mode == SUP_OFF) {
		via = c->sup_via;
		phone = c->sup_phone;
	} else {
		via = op->phone != NULL ? "phone" : "browser";
		phone = op->phone;
	}
	rec = sup_record(op->mode, previous, via, phone, NULL);
	/* Every use is in the audit log, a repeated mode too. */
	if (db_audit(db, op->user, op->company, "supervise", "call", op->call,
	    op->ip, rec) != 0) {
		hub_result_db(r, db);
		goto out;
	}
	if (mine && op->mode == cur) {
		r->row = row;
		row = NULL;
		ok = 1;
		goto out;
	}
	if ((r->row = db_call_supervise(db, op->call, op->mode == SUP_OFF ?
	    NULL : op->user, op->mode == SUP_OFF ? NULL :
	    sup_mode_name(op->mode), op->mode == SUP_OFF ? NULL : via,
	    op->mode == SUP_OFF ? NULL : phone, op->user, rec)) == NULL ||
	    r->row->n == 0) {
		hub_result_db(r, db);
		goto out;
	}
	hub_tx_event(&tx, op->company, "call.supervised", sup_event(
	    &r->row->v[0], op->mode == SUP_OFF ? c->sup_user : op->user,
	    op->mode, previous, via, phone, twilio, announce, NULL));
	ok = 1;
out:
	free(rec);
	call_rows_free(row);
	if (hub_tx_end(&tx, ok) == 0 && ok)
		r->status = 200;
	else {
		if (ok)
			hub_result_db(r, db);
		call_rows_free(r->row);
		r->row = NULL;
	}
}

int
hub_supervise_end(struct hub_tx *tx, enum call_state to,
    struct call_rows **row, json_t **ev)
{
	struct call_rows	*ctx = NULL, *set;
	const struct call_row	*c = &(*row)->v[0];
	const char		*reason;
	enum sup_mode		 cur;
	char			*rec;
	int			 twilio, announce;

	*ev = NULL;
	if (c->sup_mode == NULL || sup_mode_parse(c->sup_mode, &cur) != 0)
		return 0;
	reason = to == CALL_WRAP_UP || call_is_final(to) ? "call_ended" :
	    "call_left_agent";
	if (db_call_supervision(tx->db, c->company, c->id, &ctx, &twilio,
	    &announce) < 0)
		return -1;
	call_rows_free(ctx);
	rec = sup_record(SUP_OFF, c->sup_mode, c->sup_via, c->sup_phone, reason);
	set = db_call_supervise(tx->db, c->id, NULL, NULL, NULL, NULL, NULL,
	    rec);
	free(rec);
	if (set == NULL)
		return -1;
	if (set->n == 0) {
		call_rows_free(set);
		return -1;
	}
	*ev = sup_event(&set->v[0], c->sup_user, SUP_OFF, c->sup_mode,
	    c->sup_via, c->sup_phone, twilio, announce, reason);
	call_rows_free(*row);
	*row = set;
	return 0;
}

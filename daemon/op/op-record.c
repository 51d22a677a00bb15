/*
 * call.record: on-demand recording (the call's recording mode, its
 * queue's or else its company's, is "on-demand"). The call's agent or a
 * manager starts or stops it: {"action": "start" | "stop"}. The call must
 * be connected (or on hold) and a Twilio call bridged through its
 * conference; the recording itself is the Twilio REST client's
 * (twilio-rest.c: Twilio's Call Recordings API), which takes the event
 * published here. Recorded in the call's history as
 * call.recording_started or call.recording_stopped.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "db.h"
#include "call.h"
#include "db-call.h"
#include "db-recording.h"
#include "db-twilio.h"
#include "events.h"
#include "op-int.h"

/* What each action is called in the history, and what it needs. */
static const struct {
	const char	*action;
	const char	*event;
	int		 recording;	/* 1: needs one in progress, 0: none */
	const char	*code, *detail;	/* refused when not so */
} record_actions[] = {
	{ "start", "call.recording_started", 0, "recording",
	    "the call is being recorded" },
	{ "stop", "call.recording_stopped", 1, "not_recording",
	    "the call is not being recorded" },
};

void
op_record(struct db *db, const struct actor *a, const char *company,
    const struct op_in *in, struct op_out *out)
{
	struct call_rows	*c = NULL;
	struct twilio_bridge	 b;
	char			 me[UUID_LEN + 1], mode[16], *say = NULL;
	char			*data = NULL;
	size_t			 i, n = sizeof record_actions /
				    sizeof record_actions[0];
	json_t			*ev;

	for (i = 0; i < n && strcmp(in->action, record_actions[i].action) != 0;
	    i++)
		;
	if (i == n) {
		out->field = "action";
		return op_fail(out, 422, "validation_failed", "must be start or"
		    " stop");
	}
	if ((c = db_call_find(db, company, in->call)) == NULL)
		return op_fail_db(out, db);
	if (c->n == 0)
		goto none;
	/* An agent's own calls only; another's are none. */
	if (a->role == ROLE_AGENT) {
		switch (op_agent_of(db, a->user, company, me)) {
		case -1:
			call_rows_free(c);
			return op_fail_db(out, db);
		case 1:
			if (c->v[0].agent != NULL &&
			    strcmp(c->v[0].agent, me) == 0)
				break;
			/* FALLTHROUGH */
		default:
			goto none;
		}
	}
	if ((c->v[0].state != CALL_CONNECTED && c->v[0].state !=
	    CALL_ON_HOLD) || c->v[0].agent == NULL) {
		op_fail(out, 409, "not_connected", "the call is not connected"
		    " to an agent");
		goto out;
	}
	if (db_recording_mode(db, company, in->call, mode, sizeof mode,
	    &say) < 0 || db_twilio_bridge(db, company, in->call, &b) < 0) {
		op_fail_db(out, db);
		goto out;
	}
	if (strcmp(mode, "on-demand") != 0) {
		op_fail(out, 409, "not_on_demand", "the call's recording is"
		    " \"%s\", not on-demand", mode);
		goto out;
	}
	if (b.caller[0] == '\0' || !b.conference || b.ended) {
		op_fail(out, 409, "not_twilio", "only a Twilio call in its"
		    " conference is recorded on demand");
		goto out;
	}
	if ((b.recording_sid[0] != '\0') != record_actions[i].recording) {
		op_fail(out, 409, record_actions[i].code, "%s",
		    record_actions[i].detail);
		goto out;
	}
	data = a->user != NULL ? json_dumps(ev = json_pack("{s:s}", "actor_id",
	    a->user), JSON_COMPACT) : NULL;
	if (a->user != NULL)
		json_decref(ev);
	if (db_call_event(db, in->call, record_actions[i].event, NULL,
	    data) != 0) {
		op_fail_db(out, db);
		goto out;
	}
	events_publish(company, record_actions[i].event,
	    call_row_json(&c->v[0]));
	op_call_out(out, &c->v[0]);
	out->status = 200;
	goto out;
none:
	op_fail(out, 404, "not_found", "no such call");
out:
	free(data);
	free(say);
	call_rows_free(c);
}

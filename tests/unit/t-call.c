/* Unit tests for the call state machine's table of legal moves. */
#include "unit.h"
#include "call.h"

int
main(void)
{
	enum call_state	 s;

	for (int i = 0; i < CALL_STATE_COUNT; i++) {
		ok(call_state_parse(call_state_name(i), &s) == 0 && (int)s == i,
		    "state \"%s\" round-trips", call_state_name(i));
	}
	ok(call_state_parse("ringing", &s) != 0, "unknown state refused");

	ok(call_can_move(CALL_NEW, CALL_QUEUED), "new -> queued");
	ok(call_can_move(CALL_QUEUED, CALL_OFFERING), "queued -> offering");
	ok(call_can_move(CALL_OFFERING, CALL_CONNECTED), "offering -> connected");
	ok(call_can_move(CALL_OFFERING, CALL_QUEUED), "a missed offer re-queues");
	ok(call_can_move(CALL_CONNECTED, CALL_ON_HOLD), "connected -> on_hold");
	ok(call_can_move(CALL_ON_HOLD, CALL_CONNECTED), "on_hold -> connected");
	ok(call_can_move(CALL_CONNECTED, CALL_WRAP_UP), "connected -> wrap_up");
	ok(call_can_move(CALL_WRAP_UP, CALL_COMPLETED), "wrap_up -> completed");
	ok(call_can_move(CALL_QUEUED, CALL_ABANDONED), "a waiting caller hangs up");
	ok(call_can_move(CALL_CONNECTED, CALL_QUEUED), "transfer to a queue");

	ok(!call_can_move(CALL_QUEUED, CALL_CONNECTED), "no answer without an offer");
	ok(!call_can_move(CALL_NEW, CALL_ON_HOLD), "no hold before an answer");
	ok(!call_can_move(CALL_WRAP_UP, CALL_CONNECTED), "no way back from wrap-up");
	ok(!call_can_move(CALL_CONNECTED, CALL_ABANDONED),
	    "an answered call is not abandoned");
	for (int i = 0; i < CALL_STATE_COUNT; i++) {
		if (!call_is_final(i))
			continue;
		for (int j = 0; j < CALL_STATE_COUNT; j++)
			ok(!call_can_move(i, j), "final \"%s\" never moves to \"%s\"",
			    call_state_name(i), call_state_name(j));
	}
	ok(call_is_final(CALL_COMPLETED) && call_is_final(CALL_ABANDONED) &&
	    call_is_final(CALL_MISSED) && call_is_final(CALL_FAILED) &&
	    call_is_final(CALL_TRANSFERRED), "the five final states");
	ok(!call_is_final(CALL_WRAP_UP), "wrap_up is not final");
	return unit_done();
}

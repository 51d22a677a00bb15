#!/usr/bin/env bats
# A hub decision is atomic: when a statement in the middle of it fails,
# the client gets a problem+json error, no row of that decision is written
# (call state, events, notes, agent state), the live engine is as it was
# (positions, offers, agents' live states), and the next operation works.
# The failure is injected on the PostgreSQL side: a trigger that raises
# when a marked call (or a call from a marked number) gets a given event,
# or a marked agent changes state.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

setup_file() {
	cd_setup
	CO=$(mkcompany "Atomic Co")
	mkuser boss@atomic.test manager "$CO" >/dev/null
	MGR=$(login boss@atomic.test)
	A1=$(mkagent ann@atomic.test)
	T1=$(login ann@atomic.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" '{name: "Atomic", ring_timeout: 600,
		wrap_up: 600, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	export CO MGR A1 T1 Q
	# The fault: a marked (call, event), (caller number, event) or a
	# marked agent makes the
	# statement that writes it raise, and with it the decision's
	# transaction.
	sql "CREATE TABLE t_fault (call_id uuid, type text, agent_id uuid,
		caller text);
	CREATE FUNCTION t_fault_event() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF EXISTS (SELECT 1 FROM t_fault f WHERE f.type = NEW.type
		    AND (f.call_id = NEW.call_id OR f.caller = (SELECT
		    caller_number FROM calls WHERE id = NEW.call_id))) THEN
			RAISE EXCEPTION 'injected fault: % of %', NEW.type, NEW.call_id;
		END IF;
		RETURN NEW;
	END \$\$;
	CREATE TRIGGER t_fault_event_trg BEFORE INSERT ON call_events
		FOR EACH ROW EXECUTE FUNCTION t_fault_event();
	CREATE FUNCTION t_fault_agent() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF NEW.state IS DISTINCT FROM OLD.state AND EXISTS (SELECT 1
		    FROM t_fault f WHERE f.agent_id = NEW.id) THEN
			RAISE EXCEPTION 'injected fault: agent %', NEW.id;
		END IF;
		RETURN NEW;
	END \$\$;
	CREATE TRIGGER t_fault_agent_trg BEFORE UPDATE ON agents
		FOR EACH ROW EXECUTE FUNCTION t_fault_agent();" >/dev/null
}
teardown_file() { cd_teardown; }

setup() { sql "DELETE FROM t_fault" >/dev/null; }

avail() { # STATE
	api PUT "/api/agents/$A1/availability" "{\"state\":\"$1\"}" "$T1" >/dev/null
	[[ $status == 200 ]] || { echo "availability $1: $status $output" >&2; return 1; }
}

newcall() {
	api POST /api/calls "{\"queue_id\":\"$Q\",\"caller_number\":\"+15550100\"}" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

call_is() { # CALL STATE
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	[[ $(jget .state) == "$2" ]]
}

# What the database holds of a call and of the agent: the call's row, its
# events, the agent's row and its state log.
db_state() { # CALL
	sql "SELECT state, coalesce(agent_id::text, '-'), coalesce(notes, '-'),
		coalesce(disposition, '-'), updated_at FROM calls WHERE id = '$1'"
	sql "SELECT string_agg(type, ',' ORDER BY id) FROM call_events WHERE call_id = '$1'"
	sql "SELECT state, coalesce(pending_state::text, '-'), calls_handled,
		updated_at FROM agents WHERE id = '$A1'"
	sql "SELECT count(*) FROM agent_state_log WHERE agent_id = '$A1'"
}

# What the live engine shows: the call's position and the queue's counts.
live_state() { # CALL
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	jget '"\(.position // "none")"'
	api GET "/api/queues/$Q/stats" "" "$MGR" >/dev/null
	jget '[.waiting, .offering, .agents] | tostring'
}

fault_event() { sql "INSERT INTO t_fault (call_id, type) VALUES ('$1', '$2')" >/dev/null; }
fault_agent() { sql "INSERT INTO t_fault (agent_id) VALUES ('$A1')" >/dev/null; }

@test "answer fails on its event: nothing written, the offer still stands" {
	avail available
	C=$(newcall)
	wait_for 5 call_is "$C" offering
	fault_event "$C" call.answered
	db_before=$(db_state "$C")
	live_before=$(live_state "$C")
	api POST "/api/calls/$C/answer" '{}' "$T1"
	assert_problem 500 internal
	assert_equal "$(db_state "$C")" "$db_before"
	assert_equal "$(live_state "$C")" "$live_before"
	# The engine still offers the call to this agent: answering works.
	sql "DELETE FROM t_fault" >/dev/null
	api POST "/api/calls/$C/answer" '{}' "$T1"
	assert_status 200
	assert_json .state connected
	echo "$C" >"$BATS_FILE_TMPDIR/talking"
}

@test "hang-up fails on its event: the agent is not in wrap-up anywhere" {
	C=$(<"$BATS_FILE_TMPDIR/talking")
	fault_event "$C" call.ended
	db_before=$(db_state "$C")
	live_before=$(live_state "$C")
	api POST "/api/calls/$C/hangup" '{}' "$T1"
	assert_problem 500 internal
	assert_equal "$(db_state "$C")" "$db_before"
	assert_equal "$(live_state "$C")" "$live_before"
	[[ $(sql "SELECT state FROM agents WHERE id = '$A1'") == busy ]]
	sql "DELETE FROM t_fault" >/dev/null
	api POST "/api/calls/$C/hangup" '{}' "$T1"
	assert_status 200
	assert_json .state wrap_up
}

@test "wrap-up fails on its event: the notes are not kept, the agent still wraps up" {
	C=$(<"$BATS_FILE_TMPDIR/talking")
	fault_event "$C" call.completed
	db_before=$(db_state "$C")
	live_before=$(live_state "$C")
	[[ $(sql "SELECT state FROM agents WHERE id = '$A1'") == wrap_up ]]
	api POST "/api/calls/$C/wrap" '{"notes":"must not stay","disposition":"sold"}' "$T1"
	assert_problem 500 internal
	assert_equal "$(db_state "$C")" "$db_before"
	assert_equal "$(live_state "$C")" "$live_before"
	[[ $(sql "SELECT coalesce(notes, '-') FROM calls WHERE id = '$C'") == - ]]
	# Still in wrap-up (600 s): a new call waits instead of ringing. The
	# wrap-up that then succeeds frees the agent and the call is offered.
	sql "DELETE FROM t_fault" >/dev/null
	N=$(newcall)
	api GET "/api/calls/$N" "" "$MGR"
	assert_json .position 1
	api POST "/api/calls/$C/wrap" '{"notes":"kept","disposition":"sold"}' "$T1"
	assert_status 200
	assert_json .state completed
	assert_json .notes kept
	wait_for 5 call_is "$N" offering
	api POST "/api/calls/$N/answer" '{}' "$T1"
	assert_status 200
	api POST "/api/calls/$N/hangup" '{}' "$T1"
	assert_status 200
	api POST "/api/calls/$N/wrap" '{}' "$T1"
	assert_status 200
}

@test "availability fails on the agent's row: the agent is still available live" {
	fault_agent
	api GET "/api/queues/$Q/stats" "" "$MGR" >/dev/null
	live_before=$(jget '.agents | tostring')
	before=$(sql "SELECT state, updated_at FROM agents WHERE id = '$A1'")
	log_before=$(sql "SELECT count(*) FROM agent_state_log WHERE agent_id = '$A1'")
	api PUT "/api/agents/$A1/availability" '{"state":"away","reason":"lunch"}' "$T1"
	assert_problem 500 internal
	assert_equal "$(sql "SELECT state, updated_at FROM agents WHERE id = '$A1'")" "$before"
	assert_equal "$(sql "SELECT count(*) FROM agent_state_log WHERE agent_id = '$A1'")" "$log_before"
	api GET "/api/queues/$Q/stats" "" "$MGR" >/dev/null
	assert_equal "$(jget '.agents | tostring')" "$live_before"
	# The engine still has the agent available: a new call rings it.
	sql "DELETE FROM t_fault" >/dev/null
	C=$(newcall)
	wait_for 5 call_is "$C" offering
	api GET "/api/calls/$C" "" "$MGR"
	assert_json .agent_id "$A1"
	echo "$C" >"$BATS_FILE_TMPDIR/ringing"
}

@test "hang-up while ringing fails: no withdrawal is written, the agent still rings" {
	C=$(<"$BATS_FILE_TMPDIR/ringing")
	fault_event "$C" call.abandoned
	db_before=$(db_state "$C")
	live_before=$(live_state "$C")
	api POST "/api/calls/$C/hangup" '{}' "$MGR"
	assert_problem 500 internal
	assert_equal "$(db_state "$C")" "$db_before"
	assert_equal "$(live_state "$C")" "$live_before"
	[[ $(sql "SELECT count(*) FROM call_events WHERE call_id = '$C'
		AND type = 'call.offer_withdrawn'") == 0 ]]
	sql "DELETE FROM t_fault" >/dev/null
	api POST "/api/calls/$C/answer" '{}' "$T1"
	assert_status 200
	api POST "/api/calls/$C/hangup" '{}' "$T1"
	assert_status 200
	api POST "/api/calls/$C/wrap" '{}' "$T1"
	assert_status 200
}

@test "the timer thread's offer fails: the call keeps waiting, then is offered" {
	avail away
	C=$(newcall)
	fault_event "$C" call.offered
	# Available again: the hub thread offers the call, and the offer's
	# transaction fails (tried again each second while the fault stands).
	avail available
	wait_for 10 grep -q "cannot persist offer for call $C" "$CD_LOG"
	[[ $(sql "SELECT state FROM calls WHERE id = '$C'") == queued ]]
	[[ $(sql "SELECT count(*) FROM call_events WHERE call_id = '$C' AND type = 'call.offered'") == 0 ]]
	[[ $(sql "SELECT state FROM agents WHERE id = '$A1'") == available ]]
	api GET "/api/calls/$C" "" "$MGR"
	assert_json .state queued
	assert_json .position 1
	api GET "/api/queues/$Q/stats" "" "$MGR"
	assert_json .waiting 1
	assert_json .offering 0
	assert_json .agents.available 1
	sql "DELETE FROM t_fault" >/dev/null
	wait_for 5 call_is "$C" offering
	api POST "/api/calls/$C/answer" '{}' "$T1"
	assert_status 200
}

@test "a new call whose queued event cannot be written: nothing is created, nothing queued; its retry queues it" {
	# The agent talks (the test above): the call would wait. A call for a
	# queue with room is inserted queued in one statement (with its
	# call.created and call.queued events): a fault in it leaves nothing.
	sql "INSERT INTO t_fault (caller, type) VALUES ('+15550199', 'call.queued')" >/dev/null
	api GET "/api/queues/$Q/stats" "" "$MGR" >/dev/null
	waiting=$(jget .waiting)
	body="{\"queue_id\":\"$Q\",\"caller_number\":\"+15550199\"}"
	api -H 'Idempotency-Key: atomic-new-1' POST /api/calls "$body" "$MGR"
	assert_problem 500 internal
	[[ $(sql "SELECT count(*) FROM calls WHERE caller_number = '+15550199'") == 0 ]]
	api GET "/api/queues/$Q/stats" "" "$MGR"
	assert_json .waiting "$waiting"
	sql "DELETE FROM t_fault" >/dev/null
	api -H 'Idempotency-Key: atomic-new-1' POST /api/calls "$body" "$MGR"
	assert_status 201
	N=$(jget .id)
	assert_json .state queued
	assert_json .position $((waiting + 1))
	[[ $(sql "SELECT string_agg(type, ',' ORDER BY id) FROM call_events
		WHERE call_id = '$N'") == call.created,call.queued ]]
}

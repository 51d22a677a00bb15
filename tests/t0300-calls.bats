#!/usr/bin/env bats
# Calls, queues and agents through REST: the lifecycle, the ACD's offers,
# ring timeouts, the missed-offer policy, idempotent creation, role rules
# and illegal transitions.

load lib/common

# mkagent EMAIL -> agent id (a user with the agent role and its agent record)
mkagent() {
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

# mkqueue NAME EXTRA-JSON AGENT... -> queue id
mkqueue() {
	local name=$1 extra=$2 members
	shift 2
	members=$(printf '%s\n' "$@" | jq -R '{agent_id: .}' | jq -sc .)
	api POST /api/queues "$(jq -nc --arg n "$name" --argjson m "$members" \
		--argjson x "$extra" '{name: $n, members: $m} + $x')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkqueue $name: $status $output" >&2; return 1; }
	jget .id
}

avail() { # TOKEN AGENT STATE
	api PUT "/api/agents/$2/availability" "{\"state\":\"$3\"}" "$1" >/dev/null
	[[ $status == 200 ]] || { echo "availability $2 $3: $status $output" >&2; return 1; }
}

call_state() { # CALL -> state
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	jget .state
}

call_is() { [[ $(call_state "$1") == "$2" ]]; }
call_agent_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .agent_id) == "$2" ]]; }
agent_is() { api GET "/api/agents/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

newcall() { # QUEUE [EXTRA-JSON] -> call id
	api POST /api/calls "$(jq -nc --arg q "$1" --argjson x "${2:-{\}}" \
		'{queue_id: $q, caller_number: "+15550100"} + $x')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

setup_file() {
	cd_setup
	CO=$(mkcompany "Calls Co")
	mkuser boss@calls.test manager "$CO" >/dev/null
	MGR=$(login boss@calls.test)
	A1=$(mkagent ann@calls.test)
	A2=$(mkagent bob@calls.test)
	T1=$(login ann@calls.test)
	T2=$(login bob@calls.test)
	OTHER=$(mkcompany "Other Co")
	mkuser eve@other.test manager "$OTHER" >/dev/null
	EVE=$(login eve@other.test)
	export CO MGR A1 A2 T1 T2 EVE
}
teardown_file() { cd_teardown; }

# A failed test leaves no agent available to take the next test's calls.
teardown() {
	api PUT "/api/agents/$A1/availability" '{"state":"offline"}' "$T1" >/dev/null || true
	api PUT "/api/agents/$A2/availability" '{"state":"offline"}' "$T2" >/dev/null || true
}

@test "agents: created offline, listed, availability set by the agent itself" {
	api GET /api/agents "" "$MGR"
	assert_status 200
	assert_json '.items | length' 2
	assert_json '.items[0].state' offline
	avail "$T1" "$A1" available
	assert_json .state available
	# Bob may not change Ann.
	api PUT "/api/agents/$A1/availability" '{"state":"away"}' "$T2"
	assert_problem 404 not_found
	# A bad state is a 422 naming the field.
	api PUT "/api/agents/$A1/availability" '{"state":"busy"}' "$T1"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' state
	avail "$T1" "$A1" offline
	# Every change is in the agent state log, in order, with the previous state.
	run psql -qAtX "$CD_DBURL" -c "SELECT coalesce(prev_state::text, '-') || '>' || state FROM agent_state_log WHERE agent_id = '$A1' ORDER BY id"
	assert_output $'->offline\noffline>available\navailable>offline'
}

@test "the lifecycle: queued, offered, answered, held, ended, wrapped up" {
	q=$(mkqueue Life '{"ring_timeout": 30, "wrap_up": 1}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q" '{"caller_name": "Carol", "skills": {}}')
	wait_for 3 call_is "$c" offering
	call_agent_is "$c" "$A1"
	agent_is "$A1" offering
	# Only the offered agent answers.
	api POST "/api/calls/$c/answer" '{}' "$T2"
	assert_status 409
	api POST "/api/calls/$c/answer" '{}' "$T1"
	assert_status 200
	assert_json .state connected
	agent_is "$A1" busy
	api POST "/api/calls/$c/hold" '{}' "$T1"
	assert_json .state on_hold
	api POST "/api/calls/$c/resume" '{}' "$T1"
	assert_json .state connected
	api POST "/api/calls/$c/hangup" '{}' "$T1"
	assert_json .state wrap_up
	agent_is "$A1" wrap_up
	api POST "/api/calls/$c/wrap" '{"disposition": "sale", "notes": "upsold"}' "$T1"
	assert_status 200
	assert_json .state completed
	assert_json .disposition sale
	assert_json .agent_id "$A1"
	wait_for 3 agent_is "$A1" available
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[].type] | join(",")' \
		"call.created,call.queued,call.offered,call.answered,call.held,call.resumed,call.ended,call.completed"
	assert_json '.talk_seconds >= 0 and .wait_seconds >= 0' true
	avail "$T1" "$A1" offline
}

@test "illegal transitions are 409 and change nothing" {
	q=$(mkqueue Illegal '{}' "$A2")
	c=$(newcall "$q")
	api POST "/api/calls/$c/hold" '{}' "$MGR"
	assert_problem 409 illegal_transition
	api POST "/api/calls/$c/wrap" '{}' "$MGR"
	assert_problem 409 illegal_transition
	assert_equal "$(call_state "$c")" queued
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_problem 409 illegal_transition
}

@test "Idempotency-Key: a retried create returns the first call" {
	q=$(mkqueue Idem '{}' "$A2")
	api -H 'Idempotency-Key: order-77' POST /api/calls "{\"queue_id\":\"$q\"}" "$MGR"
	assert_status 201
	first=$(jget .id)
	api -H 'Idempotency-Key: order-77' POST /api/calls "{\"queue_id\":\"$q\"}" "$MGR"
	assert_status 201
	assert_json .id "$first"
	api GET "/api/calls?queue_id=$q" "" "$MGR"
	assert_json '.items | length' 1
	api POST "/api/calls/$first/hangup" '{}' "$MGR"
}

@test "ring timeout: an unanswered offer moves to the next agent" {
	q=$(mkqueue Ring '{"ring_timeout": 1, "miss_limit": 0, "strategy": "linear"}' "$A1" "$A2")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A1"
	avail "$T2" "$A2" available
	wait_for 4 call_agent_is "$c" "$A2"
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[].type] | index("call.offer_missed") != null' true
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "missed-offer policy: after miss_limit misses the agent goes away" {
	q=$(mkqueue Miss '{"ring_timeout": 1, "miss_limit": 1}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 5 agent_is "$A1" away
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .pause_reason "missed offers"
	assert_json '.missed_offers >= 1' true
	assert_equal "$(call_state "$c")" queued
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T1" "$A1" offline
}

@test "reject sends the call back to the queue" {
	q=$(mkqueue Reject '{"ring_timeout": 30, "miss_limit": 0}' "$A2")
	avail "$T2" "$A2" available
	c=$(newcall "$q")
	wait_for 3 call_is "$c" offering
	api POST "/api/calls/$c/reject" '{}' "$T2"
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[].type] | index("call.rejected") != null' true
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T2" "$A2" offline
}

@test "max_length: a full queue refuses the call with a reason; it was never queued" {
	q=$(mkqueue Small '{"max_length": 1}' "$A1")
	c=$(newcall "$q")
	api POST /api/calls "{\"queue_id\":\"$q\"}" "$MGR"
	assert_problem 409 queue_full
	api GET "/api/calls?queue_id=$q&state=failed" "" "$MGR"
	assert_json '.items | length' 1
	assert_json '.items[0].enqueued_at' null
	f=$(jget '.items[0].id')
	# Its history is what happened: created, then failed for queue_full.
	api GET "/api/calls/$f" "" "$MGR"
	assert_json '[.events[].type] | join(",")' "call.created,call.failed"
	assert_json '.events[1].from_state + ">" + .events[1].to_state' "new>failed"
	assert_json '.events[1].data.reason' queue_full
	# Only the queued call was offered to the queue.
	api GET "/api/queues/$q/stats" "" "$MGR"
	assert_json '.today.offered' 1
	api GET "/api/analytics/company/$CO/overview?queue_id=$q" "" "$MGR"
	assert_status 200
	assert_json .offered 1
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
}

@test "position and estimated wait while waiting; queue stats" {
	q=$(mkqueue Wait '{}' "$A1")
	# The 201 has them too, as GET does.
	api POST /api/calls "{\"queue_id\":\"$q\"}" "$MGR"
	assert_status 201
	assert_json .state queued
	assert_json .position 1
	assert_json 'has("estimated_wait")' true
	assert_json .estimated_wait null
	c1=$(jget .id)
	api POST /api/calls "{\"queue_id\":\"$q\",\"priority\":5}" "$MGR"
	assert_status 201
	assert_json .position 1
	c2=$(jget .id)
	api GET "/api/calls/$c1" "" "$MGR"
	assert_json .position 2
	api GET "/api/calls/$c2" "" "$MGR"
	assert_json .position 1
	api GET "/api/queues/$q/stats" "" "$MGR"
	assert_status 200
	assert_json .waiting 2
	assert_json '.longest_wait >= 0' true
	assert_json '.today.offered' 2
	assert_json '.agents | has("available")' true
	api POST "/api/calls/$c1/hangup" '{}' "$MGR"
	api POST "/api/calls/$c2/hangup" '{}' "$MGR"
	api GET "/api/queues/$q/stats" "" "$MGR"
	assert_json .waiting 0
	assert_json .today.abandoned 2
}

@test "raising a waiting call's priority re-ranks it: position 1, offered first" {
	q=$(mkqueue Prio '{"ring_timeout": 30, "wrap_up": 0}' "$A1")
	c1=$(newcall "$q")
	api POST /api/calls "{\"queue_id\":\"$q\"}" "$MGR"
	assert_json .position 2
	c2=$(jget .id)
	api PUT "/api/calls/$c2" '{"priority": 10}' "$MGR"
	assert_status 200
	assert_json .priority 10
	assert_json .position 1
	# The change is in the call's history: who, and which fields.
	api GET "/api/calls/$c2" "" "$MGR"
	assert_json '.events[-1].type' call.updated
	assert_json '.events[-1].data.fields | join(",")' priority
	assert_json '.events[-1].actor_id != null' true
	api PUT "/api/calls/$c2" '{"notes": "VIP", "tags": ["x"]}' "$MGR"
	api GET "/api/calls/$c2" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.updated")] | length' 2
	assert_json '.events[-1].data.fields | join(",")' notes,tags
	api GET "/api/calls/$c1" "" "$MGR"
	assert_json .position 2
	avail "$T1" "$A1" available
	wait_for 3 call_is "$c2" offering
	call_agent_is "$c2" "$A1"
	call_is "$c1" queued
	# Lowered again, it waits behind c1 once its offer ends.
	api PUT "/api/calls/$c2" '{"priority": -10}' "$MGR"
	assert_status 200
	avail "$T1" "$A1" away
	wait_for 3 call_is "$c2" queued
	api GET "/api/calls/$c2" "" "$MGR"
	assert_json .position 2
	api POST "/api/calls/$c1/hangup" '{}' "$MGR"
	api POST "/api/calls/$c2/hangup" '{}' "$MGR"
	avail "$T1" "$A1" offline
}

@test "a manager assigns a waiting call; an agent pulls the next one" {
	q=$(mkqueue Assign '{"ring_timeout": 30, "wrap_up": 0}' "$A1" "$A2")
	c=$(newcall "$q")
	avail "$T2" "$A2" away
	avail "$T1" "$A1" away
	api POST "/api/calls/$c/assign" "{\"agent_id\":\"$A1\"}" "$MGR"
	assert_status 409
	avail "$T1" "$A1" available
	wait_for 3 call_agent_is "$c" "$A1"
	api POST "/api/calls/$c/reject" '{}' "$T1"
	avail "$T1" "$A1" away
	avail "$T2" "$A2" available
	# Bob is free but the call may already be offered to him; pull or see it.
	wait_for 3 call_agent_is "$c" "$A2"
	api POST "/api/calls/$c/answer" '{}' "$T2"
	assert_json .state connected
	api POST "/api/calls/$c/transfer" "{\"queue_id\":\"$q\"}" "$T2"
	assert_status 200
	assert_json .state queued
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
	api POST "/api/calls/$c/assign" "{\"agent_id\":\"$A1\"}" "$T1"
	assert_problem 403 forbidden
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "calls next: not the call the agent just rejected; the ACD offers it again after 5 s" {
	q=$(mkqueue Pull '{"ring_timeout": 30, "wrap_up": 0}' "$A2")
	api GET /api/calls/queue/next "" "$T2"
	assert_status 409
	c=$(newcall "$q")
	avail "$T2" "$A2" available
	wait_for 3 call_is "$c" offering
	api POST "/api/calls/$c/reject" '{}' "$T2"
	avail "$T2" "$A2" offline
	avail "$T2" "$A2" available
	# For ACD_REJECT_RETRY (5 s) the rejecter can neither be offered the
	# call nor pull it: 204. On a machine slow enough for 5 s to have
	# passed already, the ACD has offered it again and the agent is busy.
	api GET /api/calls/queue/next "" "$T2"
	[[ $status == 204 || $status == 409 ]]
	wait_for 8 call_agent_is "$c" "$A2"
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T2" "$A2" offline
}

@test "a caller who hangs up while it rings: withdrawn, then abandoned, in that order" {
	q=$(mkqueue Withdrawn '{"ring_timeout": 30}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_is "$c" offering
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[].type] | join(",")' \
		"call.created,call.queued,call.offered,call.offer_withdrawn,call.abandoned"
	wait_for 3 agent_is "$A1" available
	avail "$T1" "$A1" offline
}

@test "roles and tenancy: agents see their own calls; other companies see nothing" {
	q=$(mkqueue Roles '{"ring_timeout": 30}' "$A1")
	c=$(newcall "$q")
	api POST /api/calls "{\"queue_id\":\"$q\"}" "$T1"
	assert_problem 403 forbidden
	api POST /api/queues '{"name":"Nope"}' "$T1"
	assert_problem 403 forbidden
	api GET "/api/calls/$c" "" "$T1"
	assert_problem 404 not_found
	api GET /api/calls "" "$T1"
	assert_json "[.items[].id] | index(\"$c\")" null
	api GET "/api/calls/$c" "" "$EVE"
	assert_problem 404 not_found
	api GET "/api/queues/$q" "" "$EVE"
	assert_problem 404 not_found
	api POST "/api/calls/$c/hangup" '{}' "$EVE"
	assert_problem 404 not_found
	api GET "/api/agents/$A1" "" "$EVE"
	assert_problem 404 not_found
	api POST /api/calls "{\"queue_id\":\"$q\"}" "$EVE"
	assert_problem 422 validation_failed
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
}

@test "validation: queues and calls refuse bad fields with per-field errors" {
	api POST /api/queues '{"name":"Bad","strategy":"fastest","ring_timeout":0,"widen":[{"after":-1}]}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | sort | join(",")' "ring_timeout,strategy,widen"
	api POST /api/calls '{"priority":"high","skills":{"Spanish":3},"media":"fax"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | sort | join(",")' "media,priority,skills"
}

@test "CLI: queues, agents and calls" {
	CD_XDG=$CD_TMP/xdg-boss
	echo "$PW" | cli login --email boss@calls.test --password-stdin
	q=$(cli queues create --name CliQ --member "$A1" -q)
	run cli queues get "$q" -o json
	assert_success
	[[ $(jq -r .name <<<"$output") == CliQ ]]
	c=$(cli calls create --queue "$q" --caller-number +4930111 -q)
	run cli calls list --queue "$q" -o csv --no-headers
	assert_success
	assert_output --partial "$c"
	run cli queues stats "$q" -o json
	assert_success
	[[ $(jq -r .waiting <<<"$output") == 1 ]]
	run cli calls hangup "$c" -o json
	assert_success
	[[ $(jq -r .state <<<"$output") == abandoned ]]
	run cli calls hold "$c"
	assert_failure 1
	run cli agents state "$A1" away --reason lunch -o json
	assert_success
	[[ $(jq -r .pause_reason <<<"$output") == lunch ]]
	cli agents state "$A1" offline >/dev/null
}

@test "skills: a call needing spanish:3 goes to the agent who has it" {
	api PUT "/api/agents/$A2" '{"skills":{"spanish":4}}' "$MGR"
	assert_status 200
	assert_json .skills.spanish 4
	q=$(mkqueue Skills '{"ring_timeout": 30, "strategy": "linear"}' "$A1" "$A2")
	avail "$T1" "$A1" available
	avail "$T2" "$A2" available
	c=$(newcall "$q" '{"skills": {"spanish": 3}}')
	wait_for 3 call_agent_is "$c" "$A2"
	# Ann (no Spanish) is still free: she gets the next plain call.
	d=$(newcall "$q")
	wait_for 3 call_agent_is "$d" "$A1"
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	api POST "/api/calls/$d/hangup" '{}' "$MGR"
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
	api PUT "/api/agents/$A2" '{"skills":{}}' "$MGR"
}

@test "overflow: after max_wait a call moves to the overflow queue, or is missed" {
	q2=$(mkqueue Backup '{}' "$A2")
	q1=$(mkqueue Front "$(jq -nc --arg q "$q2" '{max_wait: 1, overflow: "queue", overflow_queue_id: $q}')" "$A1")
	c=$(newcall "$q1")
	wait_for 5 bash -c "curl -s --unix-socket '$CD_SOCK' -H 'Authorization: Bearer $MGR' \
		http://localhost/api/calls/$c | jq -e '.queue_id == \"$q2\"' >/dev/null"
	assert_equal "$(call_state "$c")" queued
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[].type] | index("call.overflowed") != null' true
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	q3=$(mkqueue Closing '{"max_wait": 1, "overflow": "voicemail"}' "$A1")
	c=$(newcall "$q3")
	wait_for 5 call_is "$c" missed
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.events[-1].data.overflow' voicemail
}

@test "transfer to an agent: the call is offered to the colleague" {
	q=$(mkqueue Xfer '{"ring_timeout": 30, "wrap_up": 0}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A1"
	api POST "/api/calls/$c/answer" '{}' "$T1"
	assert_json .state connected
	avail "$T2" "$A2" available
	api POST "/api/calls/$c/transfer" "{\"agent_id\":\"$A2\"}" "$T1"
	assert_status 200
	assert_json .state offering
	assert_json .agent_id "$A2"
	api POST "/api/calls/$c/answer" '{}' "$T2"
	assert_json .state connected
	wait_for 3 agent_is "$A1" available
	api POST "/api/calls/$c/hangup" '{}' "$T2"
	assert_json .state wrap_up
	api POST "/api/calls/$c/wrap" '{}' "$T2"
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "queue changes: each one audited with who, where and what; a refused one leaves nothing" {
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	audits() { sql "SELECT action FROM audit_log WHERE object_type = 'queue' AND object_id = '$1' ORDER BY id" | paste -sd, -; }
	api POST /api/queues '{"name":"Audited","ring_timeout":20}' "$MGR"
	assert_status 201
	q=$(jget .id)
	[[ $(audits "$q") == create ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$q' AND company_id = '$CO' AND actor_id IS NOT NULL AND client_ip IS NOT NULL AND detail->>'ring_timeout' = '20'") == 1 ]]
	# Refused: a bad field, an agent that is none of the company's (after
	# the row was written), a taken name, another company's manager.
	api PUT "/api/queues/$q" '{"ring_timeout":0}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/queues/$q" '{"ring_timeout":30,"members":[{"agent_id":"00000000-0000-4000-8000-000000000001"}]}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' members
	api POST /api/queues '{"name":"Audited"}' "$MGR"
	assert_problem 409 name_taken
	api PUT "/api/queues/$q" '{"ring_timeout":30}' "$EVE"
	assert_problem 404 not_found
	api DELETE "/api/queues/$q" "" "$EVE"
	assert_problem 404 not_found
	[[ $(audits "$q") == create ]]
	api GET "/api/queues/$q" "" "$MGR"
	assert_json .ring_timeout 20
	api PUT "/api/queues/$q" '{"ring_timeout":25}' "$MGR"
	assert_status 200
	api DELETE "/api/queues/$q" "" "$MGR"
	assert_status 204
	[[ $(audits "$q") == create,update,delete ]]
	api GET "/api/queues/$q" "" "$MGR"
	assert_problem 404 not_found
}

@test "agent changes: each one audited; a refused one leaves nothing; the engine follows" {
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	u=$(mkuser cat@calls.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, max_calls: 2}')" "$MGR"
	assert_status 201
	ag=$(jget .id)
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'agent' AND object_id = '$ag' AND action = 'create' AND company_id = '$CO' AND client_ip IS NOT NULL") == 1 ]]
	# The same user twice, a bad field, another company: nothing written.
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR"
	assert_problem 409 conflict
	api PUT "/api/agents/$ag" '{"max_calls": 0}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/agents/$ag" '{"endpoint": "phone"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' endpoint_address
	api DELETE "/api/agents/$ag" "" "$EVE"
	assert_problem 404 not_found
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$ag'") == 1 ]]
	# A queue with it as member offers it calls once it is available.
	q=$(mkqueue AgentOps '{"ring_timeout": 30}' "$ag")
	T3=$(login cat@calls.test)
	avail "$T3" "$ag" available
	c=$(newcall "$q")
	wait_for 3 call_is "$c" offering
	call_agent_is "$c" "$ag"
	# On a call it cannot go; the refusal changes nothing.
	api POST "/api/calls/$c/answer" '{}' "$T3"
	api DELETE "/api/agents/$ag" "" "$MGR"
	assert_problem 409 conflict
	api POST "/api/calls/$c/hangup" '{}' "$T3"
	api POST "/api/calls/$c/wrap" '{}' "$T3"
	avail "$T3" "$ag" offline
	api DELETE "/api/agents/$ag" "" "$MGR"
	assert_status 204
	[[ $(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE object_id = '$ag'") == create,delete ]]
	api GET "/api/agents/$ag" "" "$MGR"
	assert_problem 404 not_found
	api DELETE "/api/queues/$q" "" "$MGR"
}

@test "deleting a user who is an agent: refused while on a call, then its agent leaves the engine" {
	u=$(mkuser dan@calls.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR"
	assert_status 201
	ag=$(jget .id)
	q=$(mkqueue UserDel '{"ring_timeout": 30}' "$ag")
	T4=$(login dan@calls.test)
	avail "$T4" "$ag" available
	c=$(newcall "$q")
	wait_for 3 call_is "$c" offering
	api POST "/api/calls/$c/answer" '{}' "$T4"
	assert_status 200
	api DELETE "/api/users/$u" "" "$MGR"
	assert_problem 409 conflict
	# Nothing changed: the agent still has its call and hangs it up.
	api POST "/api/calls/$c/hangup" '{}' "$T4"
	assert_status 200
	api POST "/api/calls/$c/wrap" '{}' "$T4"
	api DELETE "/api/users/$u" "" "$MGR"
	assert_status 204
	api GET "/api/agents/$ag" "" "$MGR"
	assert_problem 404 not_found
	# The queue has no one left to offer a call to.
	c2=$(newcall "$q")
	api GET "/api/queues/$q/stats" "" "$MGR"
	assert_json '.agents.available' 0
	call_is "$c2" queued
	api POST "/api/calls/$c2/hangup" '{}' "$MGR"
	api DELETE "/api/queues/$q" "" "$MGR"
}

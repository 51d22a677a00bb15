#!/usr/bin/env bats
# References in requests, generated from the operations table
# (calldockerd --operations): for every operation that names an agent or a
# queue, over every transport that maps it (REST, WebSocket), another
# company's id and an id that does not exist get the same documented
# answer (422 validation_failed naming the field), nothing of the other
# company changes (its calls, queues, members, agents, states and queue
# figures are byte-identical before and after), and the call acted on is
# as it was. Queue members and overflow queues go through the same
# resolver.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"
NOPE=00000000-0000-4000-8000-00000000dead

# A party on /ws in the background (as t0610): messages it receives go to
# $CD_TMP/NAME.jsonl, lines appended to $CD_TMP/NAME.cmd are sent.
peer() {
	local name=$1
	rm -f "$CD_TMP/$name.jsonl"
	: >"$CD_TMP/$name.cmd"
	$WS peer "$CD_PORT" --out "$CD_TMP/$name.jsonl" --cmds "$CD_TMP/$name.cmd" \
		--seconds 600 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}
say() { printf '%s\n' "$2" >>"$CD_TMP/$1.cmd"; }
has() { [[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]; }
see() { wait_for 10 has "$1" "$2" || { tail -n 20 "$CD_TMP/$1.jsonl" >&2; false; }; }
reply() { jq -c "select(.id == \"$2\") | {type, code, message}" "$CD_TMP/$1.jsonl" | head -n1; }

setup_file() {
	cd_setup
	A=$(mkcompany "Alpha Refs")
	B=$(mkcompany "Bravo Refs")
	mkuser ma@refs-a.test manager "$A" >/dev/null
	UA=$(mkuser aa@refs-a.test agent "$A")
	mkuser mb@refs-b.test manager "$B" >/dev/null
	UB=$(mkuser ab@refs-b.test agent "$B")
	TMA=$(login ma@refs-a.test)
	TAA=$(login aa@refs-a.test)
	TMB=$(login mb@refs-b.test)
	api POST /api/agents "{\"user_id\":\"$UA\"}" "$TMA"
	GA=$(jget .id)
	api POST /api/agents "{\"user_id\":\"$UB\"}" "$TMB"
	GB=$(jget .id)
	api POST /api/queues "{\"name\":\"QA\",\"members\":[{\"agent_id\":\"$GA\"}]}" "$TMA"
	QA=$(jget .id)
	api POST /api/queues "{\"name\":\"QB\",\"members\":[{\"agent_id\":\"$GB\"}]}" "$TMB"
	QB=$(jget .id)
	# B has a finished call, so its figures are not all zero.
	api POST /api/calls "{\"queue_id\":\"$QB\",\"caller_number\":\"+15550100\"}" "$TMB"
	api POST "/api/calls/$(jget .id)/hangup" '{}' "$TMB"

	# A's agent on its socket, with a connected call; a second call waits.
	peer aa
	say aa '{"type":"auth","id":"a","token":"'"$TAA"'"}'
	see aa '.type == "authenticated"'
	say aa '{"type":"agent.state","id":"s","state":"available"}'
	see aa '.id == "s" and .type == "ack"'
	api POST /api/calls "{\"queue_id\":\"$QA\",\"caller_number\":\"+15550001\"}" "$TMA"
	CC=$(jget .id)
	see aa ".type == \"call.offer\" and .call_id == \"$CC\""
	api POST "/api/calls/$CC/answer" '{}' "$TAA"
	[[ $status == 200 ]]
	api POST /api/calls "{\"queue_id\":\"$QA\",\"caller_number\":\"+15550002\"}" "$TMA"
	CQ=$(jget .id)
	export A B GA GB QA QB CC CQ TMA TAA TMB
}

teardown_file() {
	[[ -f $CD_TMP/aa.pid ]] && kill "$(<"$CD_TMP/aa.pid")" 2>/dev/null
	cd_teardown
}

# Everything of company B that a foreign write could touch, as text.
snapshot_b() {
	psql -qAtX "$CD_DBURL" <<-SQL
		SELECT 'agent', id, state, state_since, pending_state, pause_reason,
		    updated_at FROM agents WHERE company_id = '$B' ORDER BY id;
		SELECT 'call', id, company_id, state, queue_id, agent_id, updated_at
		    FROM calls WHERE company_id = '$B'
		    OR queue_id IN (SELECT id FROM queues WHERE company_id = '$B')
		    OR agent_id IN (SELECT id FROM agents WHERE company_id = '$B')
		    ORDER BY id;
		SELECT 'event', count(*) FROM call_events WHERE agent_id IN
		    (SELECT id FROM agents WHERE company_id = '$B');
		SELECT 'queue', id, name, overflow_queue, updated_at FROM queues
		    WHERE company_id = '$B' ORDER BY id;
		SELECT 'member', queue_id, agent_id, penalty FROM queue_members
		    WHERE queue_id IN (SELECT id FROM queues WHERE company_id = '$B')
		    OR agent_id IN (SELECT id FROM agents WHERE company_id = '$B')
		    ORDER BY 2, 3;
		SELECT 'state_log', count(*) FROM agent_state_log WHERE agent_id IN
		    (SELECT id FROM agents WHERE company_id = '$B');
	SQL
	api GET "/api/queues/$QB/stats" "" "$TMB" >/dev/null
	echo "$output" | jq -cS 'del(.longest_wait)'
}

call_snapshot() { # CALL
	psql -qAtX "$CD_DBURL" -c "SELECT state, queue_id, agent_id, updated_at,
	    (SELECT count(*) FROM call_events WHERE call_id = '$1')
	    FROM calls WHERE id = '$1'"
}

# The operations that take references, one JSON line each.
ref_ops() {
	"$TOP/bin/calldockerd" --operations |
		jq -c '.[] | select(.references | length > 0)'
}

# The id a reference key names: another company's, or none at all.
foreign_id() { case $1 in agent_id) echo "$GB" ;; queue_id) echo "$QB" ;; esac; }

# op_rest NAME KEY ID: the operation over REST, as A's manager (assign) or
# A's agent; prints "status problem-without-detail".
op_rest() {
	local verb=$1 key=$2 id=$3 call=$CC tok=$TAA
	[[ $verb == assign ]] && { call=$CQ; tok=$TMA; }
	api POST "/api/calls/$call/$verb" "{\"$key\":\"$id\"}" "$tok" >/dev/null
	echo "$status $(echo "$output" | jq -cS '{code, status, errors}')"
}

# op_ws TYPE KEY ID: the message on A's agent's socket; prints the reply
# (run in a subshell: each message's id is fresh).
op_ws() {
	local type=$1 key=$2 id=$3 n=$RANDOM$RANDOM
	say aa "{\"type\":\"$type\",\"id\":\"r$n\",\"call_id\":\"$CC\",\"$key\":\"$id\"}"
	see aa ".id == \"r$n\" and (.type == \"ack\" or .type == \"error\")"
	reply aa "r$n"
}

@test "the operations table lists the operations that take references" {
	run ref_ops
	assert_success
	[[ $(echo "$output" | jq -r .name | sort | paste -sd,) == call.assign,call.transfer ]]
}

@test "every reference of every operation: foreign is answered as unknown, over REST and WebSocket, and changes nothing" {
	local op name rest wskind key before after cbefore foreign unknown checked=0
	before=$(snapshot_b)
	while read -r op; do
		name=$(jq -r .name <<<"$op")
		rest=$(jq -r '.rest // empty' <<<"$op")
		wskind=$(jq -r '.ws // empty' <<<"$op")
		for key in $(jq -r '.references[]' <<<"$op"); do
			if [[ -n $rest ]] && jq -e '.transports | index("rest")' <<<"$op" >/dev/null; then
				cbefore=$(call_snapshot "$([[ $rest == assign ]] && echo "$CQ" || echo "$CC")")
				foreign=$(op_rest "$rest" "$key" "$(foreign_id "$key")")
				unknown=$(op_rest "$rest" "$key" "$NOPE")
				echo "$name rest $key: foreign=$foreign unknown=$unknown" >&2
				[[ $foreign == "$unknown" ]]
				[[ $foreign == "422 "* ]]
				jq -e --arg k "$key" '.code == "validation_failed" and
				    .errors[0].field == $k' <<<"${foreign#422 }" >/dev/null
				[[ $(call_snapshot "$([[ $rest == assign ]] && echo "$CQ" || echo "$CC")") == "$cbefore" ]]
				checked=$((checked + 1))
			fi
			if [[ -n $wskind ]] && jq -e '.transports | index("ws")' <<<"$op" >/dev/null; then
				cbefore=$(call_snapshot "$CC")
				foreign=$(op_ws "$wskind" "$key" "$(foreign_id "$key")")
				unknown=$(op_ws "$wskind" "$key" "$NOPE")
				echo "$name ws $key: foreign=$foreign unknown=$unknown" >&2
				[[ $foreign == "$unknown" ]]
				jq -e --arg k "$key" '.type == "error" and
				    .code == "validation_failed" and
				    (.message | startswith($k))' <<<"$foreign" >/dev/null
				[[ $(call_snapshot "$CC") == "$cbefore" ]]
				checked=$((checked + 1))
			fi
		done
	done < <(ref_ops)
	# assign (REST: agent) and transfer (REST and WS: agent and queue).
	[[ $checked == 5 ]]
	after=$(snapshot_b)
	[[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") >&2; false; }
}

@test "the same operations with A's own references still work" {
	api POST "/api/calls/$CQ/assign" "{\"agent_id\":\"$NOPE\"}" "$TMA"
	assert_problem 422 validation_failed
	api POST "/api/calls/$CC/transfer" "{\"queue_id\":\"$QA\"}" "$TAA"
	assert_status 200
	assert_json .queue_id "$QA"
}

@test "transfer names an agent or a queue, not both, not neither" {
	api POST "/api/calls/$CQ/transfer" "{\"queue_id\":\"$QA\",\"agent_id\":\"$GA\"}" "$TMA"
	assert_problem 422 validation_failed
	api POST "/api/calls/$CQ/transfer" '{}' "$TMA"
	assert_problem 422 validation_failed
}

@test "an operation refuses fields it does not take" {
	api POST "/api/calls/$CQ/hold" '{"agent_id":"'"$GA"'"}' "$TMA"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' agent_id
}

@test "queue members and the overflow queue: foreign is refused as unknown, nothing written" {
	local before foreign unknown
	before=$(snapshot_b)
	api POST /api/queues "{\"name\":\"QX\",\"members\":[{\"agent_id\":\"$GA\"},{\"agent_id\":\"$GB\"}]}" "$TMA"
	foreign="$status $(jq -cS '{code, errors: [.errors[] | .field]}' <<<"$output")"
	api POST /api/queues "{\"name\":\"QX\",\"members\":[{\"agent_id\":\"$GA\"},{\"agent_id\":\"$NOPE\"}]}" "$TMA"
	unknown="$status $(jq -cS '{code, errors: [.errors[] | .field]}' <<<"$output")"
	[[ $foreign == "$unknown" && $foreign == "422 "* ]]
	api PUT "/api/queues/$QA" "{\"members\":[{\"agent_id\":\"$GB\"}]}" "$TMA"
	assert_problem 422 validation_failed
	api PUT "/api/queues/$QA" "{\"overflow\":\"queue\",\"overflow_queue_id\":\"$QB\"}" "$TMA"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' overflow_queue_id
	api PUT "/api/queues/$QA" "{\"overflow\":\"queue\",\"overflow_queue_id\":\"$NOPE\"}" "$TMA"
	assert_problem 422 validation_failed
	api GET /api/queues "" "$TMA"
	[[ $(jget '[.items[] | select(.name == "QX")] | length') == 0 ]]
	api GET "/api/queues/$QA" "" "$TMA"
	assert_json '.members | map(.agent_id) | join(",")' "$GA"
	assert_json .overflow_queue_id null
	[[ $(snapshot_b) == "$before" ]]
}

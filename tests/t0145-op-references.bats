#!/usr/bin/env bats
# References in requests, generated from the operations table
# (calldockerd --operations): for every operation that names an agent, a
# queue or an IVR flow, over every transport that maps it (REST, an
# agent's WebSocket, a widget caller's for call.request), another
# company's id and an id that does not exist get the same documented
# answer (422 validation_failed naming the field), nothing of the other
# company changes (its calls, queues, members, agents, states, flows and
# queue figures are byte-identical before and after), and the call acted
# on is as it was, no call created. Queue members and overflow queues go
# through the same resolver.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"
NOPE=00000000-0000-4000-8000-00000000dead

# A party on /ws in the background (as t0610): messages it receives go to
# $CD_TMP/NAME.jsonl, lines appended to $CD_TMP/NAME.cmd are sent.
peer() { # NAME [ws.py peer options]
	local name=$1
	shift
	rm -f "$CD_TMP/$name.jsonl"
	: >"$CD_TMP/$name.cmd"
	$WS peer "$CD_PORT" --out "$CD_TMP/$name.jsonl" --cmds "$CD_TMP/$name.cmd" \
		--seconds 600 "$@" 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}
say() { printf '%s\n' "$2" >>"$CD_TMP/$1.cmd"; }
has() { [[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]; }
see() { wait_for 10 has "$1" "$2" || { tail -n 20 "$CD_TMP/$1.jsonl" >&2; false; }; }
reply() { jq -c "select(.id == \"$2\") | {type, code, message, errors}" "$CD_TMP/$1.jsonl" | head -n1; }

SHOP=https://shop.refs.test

setup_file() {
	cd_setup CALLDOCKER_WIDGET_RATE_LIMIT_IP=0
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

	# Each company has an IVR flow; A's callers come from its shop.
	printf 'name: Hello\nstart: hi\nnodes:\n  hi:\n    type: say\n    text: Hi.\n    next: bye\n  bye:\n    type: hangup\n' >"$CD_TMP/hello.yaml"
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" \
		"@$CD_TMP/hello.yaml" "$TMA"
	FA=$(jget .id)
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" \
		"@$CD_TMP/hello.yaml" "$TMB"
	FB=$(jget .id)
	api POST "/api/companies/$A/widget-keys" '{"name":"shop"}' "$TMA"
	KEY=$(jget .key)
	api PUT "/api/companies/$A/widget-origins" "{\"origins\":[\"$SHOP\"]}" "$TMA"

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
	# A caller on A's shop page, signed in with its widget key.
	peer wa --origin "$SHOP"
	say wa '{"type":"auth","id":"a","widget_key":"'"$KEY"'"}'
	see wa '.type == "authenticated"'
	export A B GA GB QA QB FA FB CC CQ TMA TAA TMB
}

teardown_file() {
	[[ -f $CD_TMP/aa.pid ]] && kill "$(<"$CD_TMP/aa.pid")" 2>/dev/null
	[[ -f $CD_TMP/wa.pid ]] && kill "$(<"$CD_TMP/wa.pid")" 2>/dev/null
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
		SELECT 'flow', id, active_version, is_entry, updated_at FROM ivr_flows
		    WHERE company_id = '$B' ORDER BY id;
		SELECT 'session', count(*) FROM ivr_sessions WHERE flow_id IN
		    (SELECT id FROM ivr_flows WHERE company_id = '$B');
	SQL
	api GET "/api/queues/$QB/stats" "" "$TMB" >/dev/null
	echo "$output" | jq -cS 'del(.longest_wait)'
}

call_snapshot() { # CALL: it, and how many calls there are
	psql -qAtX "$CD_DBURL" -c "SELECT state, queue_id, agent_id, updated_at,
	    (SELECT count(*) FROM call_events WHERE call_id = '$1'),
	    (SELECT count(*) FROM calls)
	    FROM calls WHERE id = '$1'"
}

# The operations that take references, one JSON line each.
ref_ops() {
	"$TOP/bin/calldockerd" --operations |
		jq -c '.[] | select(.references | length > 0)'
}

# The id a reference key names: another company's, or none at all.
foreign_id() {
	case $1 in
	agent_id) echo "$GB" ;;
	queue_id) echo "$QB" ;;
	ivr_flow_id) echo "$FB" ;;
	esac
}

# The call an operation acts on: the waiting one for a manager's, the
# agent's connected one for an agent's.
op_call() { [[ $(jq -r .min_role <<<"$1") == manager ]] && echo "$CQ" || echo "$CC"; }

# op_rest OP KEY ID: the operation (a line of ref_ops) over its REST route,
# as A's manager or A's agent by its least role; prints "status
# problem-without-detail".
op_rest() {
	local op=$1 key=$2 id=$3 route tok=$TAA
	route=$(jq -r .route <<<"$op")
	[[ $(jq -r .min_role <<<"$op") == manager ]] && tok=$TMA
	route=${route#POST }
	api POST "${route/:id/$(op_call "$op")}" "{\"$key\":\"$id\"}" "$tok" >/dev/null
	echo "$status $(echo "$output" | jq -cS '{code, status, errors}')"
}

# op_ws TYPE KEY ID: the message on A's agent's socket (a call.request on
# A's caller's); prints the reply (run in a subshell: each message's id is
# fresh).
op_ws() {
	local type=$1 key=$2 id=$3 n=$RANDOM$RANDOM sock=aa call=",\"call_id\":\"$CC\""
	[[ $type == call.request ]] && { sock=wa; call=; }
	say $sock "{\"type\":\"$type\",\"id\":\"r$n\"$call,\"$key\":\"$id\"}"
	see $sock ".id == \"r$n\" and (.type == \"ack\" or .type == \"error\")"
	reply $sock "r$n"
}

@test "the operations table lists the operations that take references" {
	run ref_ops
	assert_success
	[[ $(echo "$output" | jq -r .name | sort | paste -sd,) == call.assign,call.create,call.transfer ]]
}

@test "every reference of every operation: foreign is answered as unknown, over REST and WebSocket, and changes nothing" {
	local op name wskind key before after cbefore call foreign unknown checked=0
	before=$(snapshot_b)
	while read -r op; do
		name=$(jq -r .name <<<"$op")
		wskind=$(jq -r '.ws // empty' <<<"$op")
		call=$(op_call "$op")
		for key in $(jq -r '.references[]' <<<"$op"); do
			if jq -e '.transports | index("rest")' <<<"$op" >/dev/null; then
				cbefore=$(call_snapshot "$call")
				foreign=$(op_rest "$op" "$key" "$(foreign_id "$key")")
				unknown=$(op_rest "$op" "$key" "$NOPE")
				echo "$name rest $key: foreign=$foreign unknown=$unknown" >&2
				[[ $foreign == "$unknown" ]]
				[[ $foreign == "422 "* ]]
				jq -e --arg k "$key" '.code == "validation_failed" and
				    .errors[0].field == $k' <<<"${foreign#422 }" >/dev/null
				[[ $(call_snapshot "$call") == "$cbefore" ]]
				checked=$((checked + 1))
			fi
			if [[ -n $wskind ]] && jq -e '.transports | index("ws")' <<<"$op" >/dev/null; then
				cbefore=$(call_snapshot "$CC")
				foreign=$(op_ws "$wskind" "$key" "$(foreign_id "$key")")
				unknown=$(op_ws "$wskind" "$key" "$NOPE")
				echo "$name ws $key: foreign=$foreign unknown=$unknown" >&2
				[[ $foreign == "$unknown" ]]
				# An agent's socket names the field in the message;
				# a caller's has the REST API's errors.
				jq -e --arg k "$key" '.type == "error" and
				    .code == "validation_failed" and
				    ((.message | startswith($k)) or
				    .errors[0].field == $k)' <<<"$foreign" >/dev/null
				[[ $(call_snapshot "$CC") == "$cbefore" ]]
				checked=$((checked + 1))
			fi
		done
	done < <(ref_ops)
	# assign (REST: agent), transfer (REST and WS: agent and queue) and
	# create (REST and the widget: queue and flow).
	[[ $checked == 9 ]]
	after=$(snapshot_b)
	[[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") >&2; false; }
}

@test "the same operations with A's own references still work" {
	api POST "/api/calls/$CQ/assign" "{\"agent_id\":\"$NOPE\"}" "$TMA"
	assert_problem 422 validation_failed
	api POST "/api/calls/$CC/transfer" "{\"queue_id\":\"$QA\"}" "$TAA"
	assert_status 200
	assert_json .queue_id "$QA"
	api POST /api/calls "{\"queue_id\":\"$QA\"}" "$TMA"
	assert_status 201
	assert_json .queue_id "$QA"
	[[ $(jget .position) -ge 1 ]]
	api POST /api/calls "{\"ivr_flow_id\":\"$FA\"}" "$TMA"
	assert_status 201
	assert_json .ivr.actions[0].text "Hi."
	assert_json .state completed
	say wa '{"type":"call.request","id":"own","ivr_flow_id":"'"$FA"'"}'
	see wa '.id == "own" and .type == "ack" and .state == "completed"'
	see wa '.type == "ivr.prompt" and .actions[0].text == "Hi."'
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

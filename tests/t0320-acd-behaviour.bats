#!/usr/bin/env bats
# What agents and their console see of the ACD: a rejected call goes to
# someone else first and comes back to the rejecter only after a delay; a
# pause asked for during wrap-up is pending until the wrap-up ends; a
# withdrawn offer keeps the pause reason; a transfer frees the agent with no
# wrap-up; one call's events reach WebSocket subscribers in order.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

mkqueue() { # NAME EXTRA-JSON AGENT... -> queue id
	local name=$1 extra=$2 members
	shift 2
	members=$(printf '%s\n' "$@" | jq -R '{agent_id: .}' | jq -sc .)
	api POST /api/queues "$(jq -nc --arg n "$name" --argjson m "$members" \
		--argjson x "$extra" '{name: $n, members: $m} + $x')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkqueue $name: $status $output" >&2; return 1; }
	jget .id
}

avail() { # TOKEN AGENT STATE [REASON]
	api PUT "/api/agents/$2/availability" "$(jq -nc --arg s "$3" --arg r "${4:-}" \
		'{state: $s} + (if $r == "" then {} else {reason: $r} end)')" "$1" >/dev/null
	[[ $status == 200 ]] || { echo "availability $2 $3: $status $output" >&2; return 1; }
}

newcall() { # QUEUE -> call id
	api POST /api/calls "$(jq -nc --arg q "$1" \
		'{queue_id: $q, caller_number: "+15550100"}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }
call_agent_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .agent_id) == "$2" ]]; }
agent_is() { api GET "/api/agents/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

setup_file() {
	cd_setup
	CO=$(mkcompany "ACD Co")
	mkuser boss@acd.test manager "$CO" >/dev/null
	MGR=$(login boss@acd.test)
	A1=$(mkagent ann@acd.test)
	A2=$(mkagent bob@acd.test)
	A3=$(mkagent cid@acd.test)
	T1=$(login ann@acd.test)
	T2=$(login bob@acd.test)
	T3=$(login cid@acd.test)
	export CO MGR A1 A2 A3 T1 T2 T3
}
teardown_file() { cd_teardown; }

@test "reject: the call goes to another agent first, not straight back" {
	q=$(mkqueue Rej '{"ring_timeout": 30, "miss_limit": 0, "strategy": "linear"}' "$A1" "$A2")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A1"
	api POST "/api/calls/$c/reject" '{}' "$T1"
	assert_status 200
	# Bob comes free after the reject: he gets it, Ann was not rung again.
	avail "$T2" "$A2" available
	wait_for 3 call_agent_is "$c" "$A2" || { api GET "/api/calls/$c" "" "$MGR"; echo "$output" >&2; false; }
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.offered") | .agent_id] | join(",")' "$A1,$A2"
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "reject: with no one else, the rejecter is offered it again after the retry delay" {
	q=$(mkqueue Rej1 '{"ring_timeout": 30, "miss_limit": 0}' "$A3")
	avail "$T3" "$A3" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A3"
	api POST "/api/calls/$c/reject" '{}' "$T3"
	assert_json .state queued
	agent_is "$A3" available
	wait_for 10 call_agent_is "$c" "$A3"
	api GET "/api/calls/$c" "" "$MGR"
	# The second offer came no sooner than 5 s after the reject.
	secs='.at | capture("T(?<h>[0-9]+):(?<m>[0-9]+):(?<s>[0-9.]+)") |
		(.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber)'
	gap=$(jq -r "([.events[] | select(.type == \"call.rejected\") | $secs][0]) as \$r |
		[.events[] | select(.type == \"call.offered\") | $secs][1] - \$r" <<<"$output")
	echo "gap $gap" >&2
	jq -en --argjson g "$gap" '$g >= 4.9'
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T3" "$A3" offline
}

@test "ring_all: a reject ends only the rejecter's offer; the others ring on and may answer" {
	q=$(mkqueue RingAll '{"ring_timeout": 30, "miss_limit": 0, "wrap_up": 0, "strategy": "ring_all"}' "$A1" "$A2" "$A3")
	avail "$T1" "$A1" available
	avail "$T2" "$A2" available
	avail "$T3" "$A3" available
	c=$(newcall "$q")
	for a in "$A1" "$A2" "$A3"; do wait_for 3 agent_is "$a" offering; done
	api POST "/api/calls/$c/reject" '{}' "$T1"
	assert_status 200
	assert_json .state offering
	# Consistent at once: the rejecter is free, the others still ring.
	agent_is "$A1" available
	agent_is "$A2" offering
	agent_is "$A3" offering
	call_is "$c" offering
	api POST "/api/calls/$c/answer" '{}' "$T2"
	assert_status 200
	assert_json .state connected
	assert_json .agent_id "$A2"
	wait_for 3 agent_is "$A3" available
	agent_is "$A2" busy
	api GET "/api/calls/$c" "" "$MGR"
	# call.rejected names the agent who rejected, not the last one rung.
	assert_json '[.events[] | select(.type == "call.rejected") | .agent_id] | join(",")' "$A1"
	assert_json '[.events[] | select(.type == "call.rejected") | .to_state] | join(",")' offering
	api POST "/api/calls/$c/hangup" '{}' "$T2"
	api POST "/api/calls/$c/wrap" '{}' "$T2"
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
	avail "$T3" "$A3" offline
}

@test "ring_all: once every agent rung has rejected, the call is back in the queue" {
	q=$(mkqueue RingAll2 '{"ring_timeout": 30, "miss_limit": 0, "strategy": "ring_all"}' "$A1" "$A2")
	avail "$T1" "$A1" available
	avail "$T2" "$A2" available
	c=$(newcall "$q")
	for a in "$A1" "$A2"; do wait_for 3 agent_is "$a" offering; done
	api POST "/api/calls/$c/reject" '{}' "$T2"
	assert_json .state offering
	assert_json .agent_id "$A1"
	api POST "/api/calls/$c/reject" '{}' "$T1"
	assert_status 200
	assert_json .state queued
	assert_json .agent_id null
	agent_is "$A1" available
	agent_is "$A2" available
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.rejected") | .agent_id] | join(",")' "$A2,$A1"
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "away during wrap-up is pending until the wrap-up ends, with its reason" {
	q=$(mkqueue Wrap '{"ring_timeout": 30, "wrap_up": 60}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A1"
	api POST "/api/calls/$c/answer" '{}' "$T1"
	api POST "/api/calls/$c/hangup" '{}' "$T1"
	agent_is "$A1" wrap_up
	api PUT "/api/agents/$A1/availability" '{"state":"away","reason":"lunch"}' "$T1"
	assert_status 200
	assert_json .state wrap_up
	assert_json .pending_state away
	assert_json .pause_reason lunch
	# Changing one's mind during the wrap-up cancels it.
	avail "$T1" "$A1" available
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .pending_state null
	assert_json .pause_reason null
	avail "$T1" "$A1" away lunch
	api POST "/api/calls/$c/wrap" '{}' "$T1"
	assert_status 200
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .state away
	assert_json .pause_reason lunch
	assert_json .pending_state null
	# The agent state log has wrap_up then away, with the reason.
	avail "$T1" "$A1" offline
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .pause_reason null
}

@test "an offer withdrawn because the agent went away keeps the pause reason" {
	q=$(mkqueue Wd '{"ring_timeout": 30}' "$A2")
	avail "$T2" "$A2" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A2"
	avail "$T2" "$A2" away "coffee"
	wait_for 3 call_is "$c" queued
	sleep 0.3
	api GET "/api/agents/$A2" "" "$MGR"
	assert_json .state away
	assert_json .pause_reason coffee
	assert_json .pending_state null
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	avail "$T2" "$A2" offline
}

@test "a transfer frees the transferring agent at once, with no wrap-up" {
	q=$(mkqueue Xf '{"ring_timeout": 30, "wrap_up": 60}' "$A1")
	avail "$T1" "$A1" available
	c=$(newcall "$q")
	wait_for 3 call_agent_is "$c" "$A1"
	api POST "/api/calls/$c/answer" '{}' "$T1"
	avail "$T2" "$A2" available
	api POST "/api/calls/$c/transfer" "{\"agent_id\":\"$A2\"}" "$T1"
	assert_status 200
	assert_json .agent_id "$A2"
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .state available
	# The one who takes it over wraps up as usual.
	api POST "/api/calls/$c/answer" '{}' "$T2"
	api POST "/api/calls/$c/hangup" '{}' "$T2"
	agent_is "$A2" wrap_up
	api POST "/api/calls/$c/wrap" '{}' "$T2"
	assert_status 200
	wait_for 3 agent_is "$A2" available
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
}

@test "WebSocket: each call's events arrive in the order they happened" {
	q=$(mkqueue Order '{"ring_timeout": 1, "miss_limit": 0, "strategy": "round_robin"}' "$A1" "$A2" "$A3")
	rm -f "$CD_TMP/ord.jsonl"
	$WS listen "$CD_PORT" --out "$CD_TMP/ord.jsonl" --seconds 60 --token "$MGR" \
		--topics calls 3>&- &
	pid=$!
	wait_for 5 eval "[[ -f $CD_TMP/ord.jsonl ]] && grep -q snapshot $CD_TMP/ord.jsonl"
	avail "$T1" "$A1" available
	avail "$T2" "$A2" available
	avail "$T3" "$A3" available
	calls=()
	# Offered the moment they are queued (an agent is free), then gone:
	# call.queued and call.offered come from different threads.
	for i in $(seq 1 40); do
		c=$(newcall "$q")
		calls+=("$c")
		api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null
	done
	# Waiting, offered in turn, ringing out.
	for i in $(seq 1 10); do calls+=("$(newcall "$q")"); done
	sleep 2.5
	for c in "${calls[@]:40}"; do api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null; done
	last=${calls[-1]}
	wait_for 5 eval "jq -e 'select(.event == \"call.abandoned\" and .data.id == \"$last\")' $CD_TMP/ord.jsonl >/dev/null"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# Per call, the events heard are the recorded ones, in the recorded order.
	for c in "${calls[@]}"; do
		heard=$(jq -r --arg c "$c" 'select(.type == "event" and .data.id == $c) | .event' \
			"$CD_TMP/ord.jsonl" | paste -sd, -)
		api GET "/api/calls/$c" "" "$MGR" >/dev/null
		recorded=$(jq -r '[.events[].type] | join(",")' <<<"$output")
		# heard must be a subsequence of recorded (not every record is published).
		jq -en --arg h "$heard" --arg r "$recorded" '
			($h | split(",")) as $h | ($r | split(",")) as $r |
			reduce $h[] as $e ({i: 0, ok: true};
				if .ok then
					([range(.i; $r | length) | select($r[.] == $e)][0]) as $j |
					if $j == null then .ok = false else .i = $j + 1 end
				else . end) | .ok and ($h[0] == "call.created") and
				($h | index("call.queued")) < ($h | index("call.offered") // 1e9)' >/dev/null ||
			{ echo "call $c heard $heard recorded $recorded" >&2; false; }
	done
	avail "$T1" "$A1" offline
	avail "$T2" "$A2" offline
	avail "$T3" "$A3" offline
}

#!/usr/bin/env bats
# Supervision (docs/api.md, "Monitor, whisper, barge"): a manager monitors a
# connected browser call, whispers to its agent, barges in and moves between
# the three, or leaves; who may (never agents, never another company), the
# refusals, the audit trail, the call.supervised event and who hears it
# (the supervisor, the wallboards, the agent per the company's announce
# setting, never the caller), and the state over a restart and the call's
# end. Twilio calls are t0525's.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"
SHOP=https://shop.example

peer() { # NAME [ws.py peer options]
	local name=$1
	shift
	rm -f "$CD_TMP/$name.jsonl"
	: >"$CD_TMP/$name.cmd"
	$WS peer "$CD_PORT" --out "$CD_TMP/$name.jsonl" --cmds "$CD_TMP/$name.cmd" \
		--seconds 60 "$@" 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}
say() { printf '%s\n' "$2" >>"$CD_TMP/$1.cmd"; }
has() {
	[[ -f $CD_TMP/$1.jsonl ]] &&
		[[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]
}
count() { jq -c "select($2)" "$CD_TMP/$1.jsonl" | wc -l; }
show() { echo "--- $1:" >&2; cut -c1-400 "$CD_TMP/$1.jsonl" | tail -n 30 >&2; }
see() { wait_for "${3:-5}" has "$1" "$2" || { show "$1"; false; }; }

# A signed-in socket (TOPICS: subscribe to those too).
user_sock() { # NAME TOKEN [TOPICS]
	peer "$1"
	say "$1" '{"type":"auth","id":"a","token":"'"$2"'"}'
	see "$1" '.type == "authenticated"'
	if [[ -n ${3-} ]]; then
		say "$1" '{"type":"subscribe","id":"sub","topics":["'"$3"'"]}'
		see "$1" '.type == "snapshot"'
	fi
}
# An agent's softphone, available.
agent() { # NAME TOKEN
	user_sock "$1" "$2"
	say "$1" '{"type":"agent.state","id":"s","state":"available"}'
	see "$1" '.type == "ack" and .id == "s" and .state == "available"'
}
caller() { # NAME
	peer "$1" --origin "$SHOP"
	say "$1" '{"type":"auth","id":"a","widget_key":"'"$KEY"'"}'
	see "$1" '.type == "authenticated"'
}

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

away() { api PUT "/api/agents/$2/availability" '{"state":"away"}' "$1" >/dev/null; }
avail() { api PUT "/api/agents/$2/availability" '{"state":"available"}' "$1" >/dev/null; }
state_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

# A call of the REST API answered by ann: connected, its id on stdout.
connected_call() {
	local c
	avail "$T1" "$A1"
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_number: "+15550100"}')" \
		"$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "call: $status $output" >&2; return 1; }
	c=$(jget .id)
	wait_for 5 state_is "$c" offering || { echo "never offered" >&2; return 1; }
	api POST "/api/calls/$c/answer" '{}' "$T1" >/dev/null
	[[ $status == 200 ]] || { echo "answer: $status $output" >&2; return 1; }
	echo "$c"
}

sup() { # CALL MODE [TOKEN] [EXTRA-JSON]
	api POST "/api/calls/$1/supervise" "$(jq -nc --arg m "$2" --argjson x "${4:-{\}}" \
		'{mode: $m} + $x')" "${3:-$MGR}"
}

setup_file() {
	cd_setup
	CO=$(mkcompany "Supervised Co")
	MGR_ID=$(mkuser boss@sup.test manager "$CO")
	MGR=$(login boss@sup.test)
	MGR2_ID=$(mkuser deputy@sup.test manager "$CO")
	MGR2=$(login deputy@sup.test)
	A1=$(mkagent ann@sup.test)
	T1=$(login ann@sup.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" '{name: "Sup", wrap_up: 0,
		ring_timeout: 60, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	OTHER=$(mkcompany "Other Sup Co")
	mkuser eve@othersup.test manager "$OTHER" >/dev/null
	EVE=$(login eve@othersup.test)
	api POST "/api/companies/$CO/widget-keys" '{"name":"shop"}' "$MGR" >/dev/null
	KEY=$(jget .key)
	api PUT "/api/companies/$CO/widget-origins" "{\"origins\":[\"$SHOP\"]}" "$MGR" >/dev/null
	export CO MGR MGR_ID MGR2 MGR2_ID A1 T1 Q OTHER EVE KEY
}
teardown_file() { cd_teardown; }

teardown() {
	local p
	for p in "$CD_TMP"/*.pid; do
		[[ -f $p ]] && { kill "$(<"$p")" 2>/dev/null || true; rm -f "$p"; }
	done
	# End whatever call ann still has, then send her away.
	api GET "/api/calls?agent_id=$A1&state=connected" "" "$MGR" >/dev/null
	for c in $(jget '.items[].id'); do
		api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null
	done
	away "$T1" "$A1" || true
	api PUT "/api/settings/company/$CO" '{"supervision_announce": null}' "$MGR" >/dev/null
}

@test "modes: monitor, whisper, barge and back, then off; GET shows the state" {
	c=$(connected_call)
	sup "$c" monitor
	assert_status 200
	assert_json .supervision.mode monitor
	assert_json .supervision.supervisor_id "$MGR_ID"
	assert_json .supervision.via browser
	assert_json .supervision.phone null
	started=$(jget .supervision.started_at)
	[[ $started != null ]]
	for m in whisper barge monitor; do
		sup "$c" "$m"
		assert_status 200
		assert_json .supervision.mode "$m"
	done
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .supervision.mode monitor
	assert_json .supervision.started_at "$started"
	# Each change is in the call's history, with who and the mode before.
	assert_json '[.events[] | select(.type == "call.supervised") | .data.mode] | join(",")' \
		monitor,whisper,barge,monitor
	assert_json '[.events[] | select(.type == "call.supervised")][1].data.previous_mode' monitor
	assert_json '[.events[] | select(.type == "call.supervised")][0].actor_id' "$MGR_ID"
	sup "$c" off
	assert_status 200
	assert_json .supervision null
	# The same mode again changes nothing.
	sup "$c" barge
	sup "$c" barge
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.supervised")] | length' 6
	assert_json .state connected
}

@test "refusals: not connected, another supervisor, agents, another company, phone on a browser call, bad input" {
	# A waiting call has nobody to supervise yet.
	away "$T1" "$A1"
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q}')" "$MGR" >/dev/null
	w=$(jget .id)
	sup "$w" monitor
	assert_problem 409 not_connected
	api POST "/api/calls/$w/hangup" '{}' "$MGR" >/dev/null
	c=$(connected_call)
	sup "$c" off
	assert_problem 409 not_supervised
	sup "$c" monitor
	assert_status 200
	# One supervisor per call.
	sup "$c" barge "$MGR2"
	assert_problem 409 supervised
	# The agent may not, over REST or her socket.
	sup "$c" monitor "$T1"
	assert_problem 403 forbidden
	# Another company's manager: no such call.
	sup "$c" monitor "$EVE"
	assert_problem 404 not_found
	# The socket's token-less local admin is nobody to supervise as.
	api POST "/api/calls/$c/supervise" '{"mode": "barge"}'
	assert_problem 403 forbidden
	# A browser call takes no phone.
	sup "$c" whisper "$MGR" '{"phone": "+15551230000"}'
	assert_problem 422 phone_unsupported
	sup "$c" listen
	assert_problem 422 validation_failed
	sup "$c" monitor "$MGR" '{"phone": "555-CALL"}'
	assert_problem 422 validation_failed
	api POST "/api/calls/$c/supervise" '{}' "$MGR"
	assert_problem 422 validation_failed
	# Nothing of the refusals changed the state; another manager may end it.
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .supervision.supervisor_id "$MGR_ID"
	assert_json .supervision.mode monitor
	sup "$c" off "$MGR2"
	assert_status 200
	assert_json .supervision null
	sup "$c" barge "$MGR2"
	assert_status 200
	assert_json .supervision.supervisor_id "$MGR2_ID"
	# Nor over her socket (which, closing, ends her calls: last).
	run python3 "$TOP/tests/lib/wsask.py" "$CD_PORT" "$T1" \
		'{"type":"call.supervise","call_id":"'"$c"'","mode":"monitor"}'
	[[ $(jq -r .code <<<"$output") == forbidden ]] || { echo "$output" >&2; false; }
}

@test "audit: every use is in the audit log with who, mode and via; webhooks subscribe to call.supervised" {
	api POST "/api/webhooks/company/$CO" '{"url": "https://hooks.example.com/calldocker", "events": ["call.supervised"]}' "$MGR"
	assert_status 201
	hook=$(jget .id)
	c=$(connected_call)
	sup "$c" monitor
	sup "$c" whisper
	sup "$c" whisper
	sup "$c" off
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	[[ $(sql "SELECT string_agg(detail->>'mode', ',' ORDER BY id) FROM audit_log
		WHERE action = 'supervise' AND object_type = 'call' AND object_id = '$c'
		AND actor_id = '$MGR_ID' AND company_id = '$CO'") == \
		monitor,whisper,whisper,off ]]
	[[ $(sql "SELECT detail->>'via' FROM audit_log WHERE action = 'supervise'
		AND object_id = '$c' ORDER BY id LIMIT 1") == browser ]]
	[[ $(sql "SELECT detail->>'previous_mode' FROM audit_log WHERE action = 'supervise'
		AND object_id = '$c' ORDER BY id DESC LIMIT 1") == whisper ]]
	# Each change (not the repeated whisper) is a delivery of the hook.
	[[ $(sql "SELECT string_agg(payload->'data'->'details'->>'mode', ',' ORDER BY created_at)
		FROM webhook_deliveries WHERE webhook_id = '$hook'") == monitor,whisper,off ]] || {
		sql "SELECT payload FROM webhook_deliveries WHERE webhook_id = '$hook'" >&2; false; }
	api DELETE "/api/webhooks/$hook" "" "$MGR"
}

@test "the call's end ends its supervision (call.supervised off, reason call_ended)" {
	c=$(connected_call)
	sup "$c" barge
	api POST "/api/calls/$c/hold" '{}' "$T1"
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state on_hold
	assert_json .supervision.mode barge
	api POST "/api/calls/$c/resume" '{}' "$T1"
	api POST "/api/calls/$c/hangup" '{}' "$T1"
	assert_status 200
	assert_json .supervision null
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .supervision null
	assert_json '[.events[] | select(.type == "call.supervised")][-1].data.mode' off
	assert_json '[.events[] | select(.type == "call.supervised")][-1].data.previous_mode' barge
	assert_json '[.events[] | select(.type == "call.supervised")][-1].data.reason' call_ended
	sup "$c" monitor
	assert_problem 409 not_connected
}

@test "a transferred call loses its supervisor (reason call_left_agent)" {
	c=$(connected_call)
	sup "$c" monitor
	api POST "/api/calls/$c/transfer" "$(jq -nc --arg q "$Q" '{queue_id: $q}')" "$MGR"
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .supervision null
	assert_json '[.events[] | select(.type == "call.supervised")][-1].data.reason' call_left_agent
	api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null
}

@test "call.supervised: to the wallboards and the supervisor, to the agent with announce, never to the caller or another company" {
	user_sock wall "$MGR" calls
	user_sock deputy "$MGR2"
	user_sock eve "$EVE" calls
	agent ann "$T1"
	say ann '{"type":"subscribe","id":"sub","topics":["calls"]}'
	see ann '.type == "snapshot"'
	caller c1
	say c1 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c1 '.type == "ack" and .id == "r"'
	c=$(jq -r 'select(.type == "ack" and .call_id) | .call_id' "$CD_TMP/c1.jsonl" | head -n1)
	see ann '.type == "call.offer" and .call_id == "'"$c"'"'
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c1 '.type == "call.connected"'
	# The deputy supervises over her socket: her own socket hears it
	# though she subscribed to nothing.
	say deputy '{"type":"call.supervise","id":"m","call_id":"'"$c"'","mode":"monitor"}'
	see deputy '.type == "ack" and .id == "m" and .call_id == "'"$c"'"'
	sel='.event == "call.supervised" and .data.id == "'"$c"'"'
	see deputy "$sel"' and .data.supervision.mode == "monitor" and .data.supervision.supervisor_id == "'"$MGR2_ID"'"'
	see wall "$sel"' and .data.supervision.mode == "monitor" and .data.supervision.previous_mode == null and .data.supervision.via == "browser" and .data.supervision.announce == false'
	# A browser call's agent is told (her page carries the media), with
	# announce false: her console says nothing.
	see ann "$sel"' and .data.supervision.agent_notified == true and .data.supervision.announce == false'
	# Her other call events never show who supervises.
	api POST "/api/calls/$c/hold" '{}' "$T1"
	assert_json .supervision null
	see wall '.event == "call.held" and .data.supervision.mode == "monitor"'
	see ann '.event == "call.held" and .data.id == "'"$c"'"'
	[[ $(jq -c 'select(.event == "call.held") | .data.supervision' "$CD_TMP/ann.jsonl") == null ]]
	[[ $(jq -c 'select(.type == "call.hold") | .call.supervision' "$CD_TMP/ann.jsonl") == null ]]
	api GET "/api/calls/$c" "" "$T1"
	assert_json .supervision null
	assert_json '[.events[] | select(.type == "call.supervised")] | length' 0
	api GET "/api/calls?state=on_hold" "" "$T1"
	assert_json '.items[0].supervision' null
	api POST "/api/calls/$c/resume" '{}' "$T1" >/dev/null
	# With announce the agent hears the company tells her.
	api PUT "/api/settings/company/$CO" '{"supervision_announce": true}' "$MGR"
	assert_status 200
	assert_json .supervision_announce true
	say deputy '{"type":"call.supervise","id":"w","call_id":"'"$c"'","mode":"whisper"}'
	see ann "$sel"' and .data.supervision.mode == "whisper" and .data.supervision.previous_mode == "monitor" and .data.supervision.announce == true'
	# The call ends: its supervision with it, heard by all who heard it.
	say ann '{"type":"call.hangup","id":"bye","call_id":"'"$c"'"}'
	see wall "$sel"' and .data.supervision.mode == "off" and .data.supervision.reason == "call_ended"'
	see deputy "$sel"' and .data.supervision.mode == "off" and .data.supervision.supervisor_id == "'"$MGR2_ID"'"'
	see ann "$sel"' and .data.supervision.mode == "off"'
	see c1 '.type == "call.hangup"'
	# Never the caller, never another company.
	! has c1 '.event == "call.supervised" or (.. | objects | has("supervision"))'
	! has eve '.event == "call.supervised" or .data.id == "'"$c"'"'
	# The wallboard saw the move first, then the supervisor leave.
	[[ $(jq -r 'select(.data.id == "'"$c"'" and (.event == "call.ended" or .event == "call.supervised")) | .event + ":" + (.data.supervision.mode // "-")' \
		"$CD_TMP/wall.jsonl" | tail -n 2 | paste -sd,) == "call.ended:-,call.supervised:off" ]]
}

@test "the supervisor's socket alone on the daemon (a REST call, nothing subscribed) hears her call.supervised" {
	# No agent, caller or subscriber socket: hers is the only one.
	c=$(connected_call)
	user_sock deputy "$MGR2"
	say deputy '{"type":"call.supervise","id":"m","call_id":"'"$c"'","mode":"monitor"}'
	see deputy '.type == "ack" and .id == "m"'
	see deputy '.event == "call.supervised" and .data.id == "'"$c"'" and .data.supervision.mode == "monitor"'
	sup "$c" off "$MGR2" >/dev/null
	see deputy '.event == "call.supervised" and .data.id == "'"$c"'" and .data.supervision.mode == "off"'
}

@test "a Twilio call: a phone supervisor, fixed until she leaves; its agent told only with announce" {
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	agent ann "$T1"
	user_sock wall "$MGR" calls
	c=$(connected_call)
	sql "INSERT INTO twilio_calls (company_id, call_sid, call_id) VALUES ('$CO', 'CA$RANDOM$RANDOM', '$c')"
	sup "$c" monitor "$MGR" '{"phone": "+15551230000"}'
	assert_status 200
	assert_json .supervision.via phone
	assert_json .supervision.phone +15551230000
	sel='.event == "call.supervised" and .data.id == "'"$c"'"'
	see wall "$sel"' and .data.supervision.via == "phone" and .data.supervision.agent_notified == false'
	# The way in is kept: no other phone, and no phone means the same one.
	sup "$c" barge "$MGR" '{"phone": "sip:boss@pbx.example"}'
	assert_problem 409 via_fixed
	sup "$c" barge
	assert_status 200
	assert_json .supervision.phone +15551230000
	see wall "$sel"' and .data.supervision.mode == "barge" and .data.supervision.via == "phone"'
	sup "$c" off
	assert_status 200
	see wall "$sel"' and .data.supervision.mode == "off" and .data.supervision.phone == "+15551230000"'
	# Without announce, a Twilio call's agent heard none of it.
	! has ann "$sel"
	# Then in the browser, and announced: now she is told.
	api PUT "/api/settings/company/$CO" '{"supervision_announce": true}' "$MGR" >/dev/null
	sup "$c" whisper
	assert_json .supervision.via browser
	see ann "$sel"' and .data.supervision.mode == "whisper" and .data.supervision.announce == true and .data.supervision.agent_notified == true'
}

@test "CLI: calls monitor, whisper, barge, unsupervise; exit codes of the refusals" {
	c=$(connected_call)
	run cli --token "$MGR" calls monitor "$c"
	assert_success
	assert_line --regexp "^ID +STATE +AGENT +SUPERVISION +SUPERVISOR +VIA"
	assert_line --regexp "^$c +connected +$A1 +monitor +$MGR_ID +browser"
	run cli --token "$MGR" -o json calls whisper "$c"
	assert_success
	[[ $(jq -r .supervision.mode <<<"$output") == whisper ]]
	run cli --token "$MGR" -q calls barge "$c"
	assert_success
	# Another manager: the call is taken (1); an agent may not (4); a
	# browser call takes no phone (1); no such call (3); usage (2).
	run cli --token "$MGR2" calls monitor "$c"
	assert_failure 1
	assert_output --partial "another user supervises this call"
	run cli --token "$T1" calls monitor "$c"
	assert_failure 4
	run cli --token "$MGR" calls monitor "$c" --phone +15551230000
	assert_failure 1
	run cli --token "$EVE" calls monitor "$c"
	assert_failure 3
	run cli --token "$MGR" calls monitor
	assert_failure 2
	run cli --token "$MGR" calls unsupervise "$c"
	assert_success
	assert_line --regexp "^$c +connected +$A1 +- +- +-"
	run cli calls monitor --help
	assert_success
	assert_line --partial "calldocker calls monitor ID [--phone NUMBER]"
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.supervised") | .data.mode] | join(",")' \
		monitor,whisper,barge,off
}

@test "the supervision survives a restart of the daemon (last: the port changes)" {
	c=$(connected_call)
	sup "$c" whisper
	assert_status 200
	daemon_stop main
	daemon_start main
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state connected
	assert_json .supervision.mode whisper
	assert_json .supervision.supervisor_id "$MGR_ID"
	sup "$c" barge
	assert_status 200
	assert_json '.supervision.mode' barge
	api POST "/api/calls/$c/hangup" '{}' "$T1"
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .supervision null
}

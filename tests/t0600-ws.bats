#!/usr/bin/env bats
# WebSockets on /ws (docs/ws.md): the subprotocol contract, authentication
# and its close codes, topics with a snapshot then deltas scoped to the
# company and, for agents, to themselves, the slow-consumer bound, and
# SIGTERM with sockets open. The client is tests/lib/ws.py (standard library
# only) over the suite's TCP port.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

avail() { # TOKEN AGENT STATE
	api PUT "/api/agents/$2/availability" "{\"state\":\"$3\"}" "$1" >/dev/null
	[[ $status == 200 ]] || { echo "availability $2 $3: $status $output" >&2; return 1; }
}

newcall() { # QUEUE [EXTRA-JSON] -> call id
	api POST /api/calls "$(jq -nc --arg q "$1" --argjson x "${2:-{\}}" \
		'{queue_id: $q, caller_number: "+15550100"} + $x')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

# listen NAME [ws.py listen options...]: a client in the background writing
# every message to $CD_TMP/NAME.jsonl.
listen() {
	local name=$1
	shift
	rm -f "$CD_TMP/$name.jsonl"
	$WS listen "$CD_PORT" --out "$CD_TMP/$name.jsonl" "$@" 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}

# has NAME JQ-FILTER: some message of NAME matches (select(FILTER)).
has() {
	[[ -f $CD_TMP/$1.jsonl ]] &&
		[[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]
}

# count NAME JQ-FILTER
count() {
	jq -c "select($2)" "$CD_TMP/$1.jsonl" | wc -l
}

show() { echo "--- $1:" >&2; cut -c1-300 "$CD_TMP/$1.jsonl" | tail -n 30 >&2; }

# ready NAME N: authenticated, subscribed and N snapshots in.
ready() {
	wait_for 5 has "$1" ".type == \"subscribed\"" &&
		wait_for 5 eval "[[ \$(count $1 '.type == \"snapshot\"') -ge $2 ]]" ||
		{ show "$1"; return 1; }
}

stop_listener() {
	local p
	p=$(<"$CD_TMP/$1.pid")
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

setup_file() {
	cd_setup
	CO=$(mkcompany "WS Co")
	mkuser boss@ws.test manager "$CO" >/dev/null
	MGR=$(login boss@ws.test)
	A1=$(mkagent ann@ws.test)
	A2=$(mkagent bob@ws.test)
	T1=$(login ann@ws.test)
	T2=$(login bob@ws.test)
	OTHER=$(mkcompany "Other WS Co")
	mkuser eve@otherws.test manager "$OTHER" >/dev/null
	EVE=$(login eve@otherws.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" \
		'{name: "support", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	export CO MGR A1 A2 T1 T2 EVE Q OTHER
}
teardown_file() { cd_teardown; }

@test "an upgrade without calldocker.v1 is refused with 400 problem+json" {
	run $WS upgrade "$CD_PORT"
	assert_success
	assert_line --index 0 --partial ' 400 '
	assert_line --regexp '^content-type: application/problem\+json'
	assert_output --partial '"code":"bad_request"'
	assert_output --partial 'use Sec-WebSocket-Protocol: calldocker.v1'
	run $WS upgrade "$CD_PORT" --protocol chat
	assert_line --index 0 --partial ' 400 '
	run $WS upgrade "$CD_PORT" --path /api/ws --protocol calldocker.v1
	assert_line --index 0 --partial ' 404 '
	assert_output --partial '"code":"not_found"'
	# Offered among others, it is chosen.
	run $WS upgrade "$CD_PORT" --protocol 'chat, calldocker.v1'
	assert_line --index 0 --partial ' 101 '
	assert_line --regexp '^[Ss]ec-[Ww]eb[Ss]ocket-[Pp]rotocol: calldocker.v1$'
	# The daemon still answers.
	api_tcp GET /health >/dev/null
	assert_status 200
}

@test "no auth within 5 s: not_authenticated to other messages, then close 4001" {
	listen noauth --seconds 9 --send '{"type":"subscribe","topics":["calls"],"id":7}'
	wait_for 8 has noauth '.close' || { show noauth; false; }
	has noauth '.type == "error" and .code == "not_authenticated" and .id == 7'
	has noauth '.close == 4001 and .reason == "auth timeout"' || { show noauth; false; }
}

@test "a bad token gets error unauthorized and close 4003" {
	listen bad --seconds 5 --token not-a-jwt
	wait_for 4 has bad '.close' || { show bad; false; }
	has bad '.type == "error" and .code == "unauthorized" and .id == "auth"'
	has bad '.close == 4003'
	# A token signed with another key, and one of a revoked session.
	listen forged --seconds 5 --token "$(jwt_forge --from "$MGR" --secret another-secret-0123456789abcdefghijklmn)"
	wait_for 4 has forged '.close == 4003' || { show forged; false; }
	login_pair boss@ws.test
	api POST /api/auth/logout "{\"refresh_token\":\"$REFRESH\"}" "$ACCESS" >/dev/null
	listen revoked --seconds 5 --token "$ACCESS"
	wait_for 4 has revoked '.close == 4003' || { show revoked; false; }
	# A session that ends while its socket is open closes it.
	login_pair boss@ws.test
	listen ending --seconds 6 --token "$ACCESS" --topics agents
	ready ending 1
	api POST /api/auth/logout "{\"refresh_token\":\"$REFRESH\"}" "$ACCESS" >/dev/null
	wait_for 2 has ending '.close' || { show ending; false; }
	has ending '.close == 4003 and .reason == "session revoked"' || { show ending; false; }
}

@test "ping gets pong; unknown types and bad topics get stable error codes" {
	listen misc --seconds 4 --token "$MGR" \
		--send '{"type":"ping","id":"p1"}' --send '{"type":"dance","id":2}' \
		--send '{"type":"subscribe","topics":["weather"],"id":3}' \
		--send '{"type":"subscribe","topics":["calls"],"company_id":"'"$OTHER"'","id":4}' \
		--send 'not json' --send '{"type":"unsubscribe","topics":["queues"],"id":5}'
	wait_for 3 eval "[[ \$(count misc '.type == \"error\"') -ge 4 ]]" || { show misc; false; }
	has misc '.type == "authenticated" and .role == "manager" and .company_id == "'"$CO"'"'
	has misc '.type == "pong" and .id == "p1"'
	has misc '.type == "error" and .code == "unknown_type" and .id == 2'
	has misc '.type == "error" and .code == "bad_topic" and .id == 3'
	has misc '.type == "error" and .code == "forbidden" and .id == 4'
	has misc '.type == "error" and .code == "bad_request" and (has("id") | not)'
	has misc '.type == "unsubscribed" and .id == 5 and .topics == []'
	stop_listener misc
}

@test "snapshot then deltas, scoped to the company and, for agents, to themselves" {
	listen mgr --seconds 20 --token "$MGR" --topics calls,agents,queues
	listen eve --seconds 20 --token "$EVE" --topics calls,agents,queues
	listen ann --seconds 20 --token "$T1" --topics calls,agents
	listen bob --seconds 20 --token "$T2" --topics calls,agents
	ready mgr 3
	ready eve 3
	ready ann 2
	ready bob 2
	# Snapshots: the manager sees both agents and the queue with live stats,
	# an agent only itself; Eve's company has none.
	has mgr '.type == "snapshot" and .topic == "agents" and (.items | length) == 2'
	has mgr '.type == "snapshot" and .topic == "queues" and .items[0].id == "'"$Q"'" and (.items[0].live | has("waiting"))'
	has ann '.type == "snapshot" and .topic == "agents" and (.items | length) == 1 and .items[0].id == "'"$A1"'"'
	has ann '.type == "authenticated" and .id == "auth" and .agent_id == "'"$A1"'"'
	has eve '.type == "snapshot" and .topic == "agents" and (.items | length) == 0'
	# Order: subscribed, then the snapshots, then events.
	run jq -r '.type // empty' "$CD_TMP/mgr.jsonl"
	assert_line --index 0 authenticated
	assert_line --index 1 subscribed
	assert_line --index 2 snapshot
	assert_line --index 4 snapshot

	avail "$T1" "$A1" available
	wait_for 2 has mgr '.event == "agent.state_changed" and .data.agent_id == "'"$A1"'" and .data.state == "available"' || { show mgr; false; }
	wait_for 2 has ann '.event == "agent.state_changed" and .data.agent_id == "'"$A1"'"' || { show ann; false; }
	C=$(newcall "$Q")
	wait_for 2 has mgr '.type == "event" and .event == "call.created" and .topic == "calls" and .data.id == "'"$C"'"' || { show mgr; false; }
	wait_for 2 has mgr '.event == "queue.updated" and .topic == "queues" and .data.queue_id == "'"$Q"'"' || { show mgr; false; }
	# The ACD offers it to Ann: she hears of it, Bob does not.
	wait_for 3 has ann '.event == "call.offered" and .data.id == "'"$C"'"' || { show ann; false; }
	wait_for 2 has mgr '.event == "call.offered" and .data.id == "'"$C"'"' || { show mgr; false; }
	avail "$T2" "$A2" available
	wait_for 2 has bob '.event == "agent.state_changed" and .data.agent_id == "'"$A2"'"' || { show bob; false; }
	wait_for 2 has mgr '.event == "agent.state_changed" and .data.agent_id == "'"$A2"'"' || { show mgr; false; }
	sleep 0.5
	! has bob '.type == "event" and .data.agent_id == "'"$A1"'"' || { show bob; false; }
	! has bob '.type == "event" and .topic == "calls"' || { show bob; false; }
	! has ann '.type == "event" and .data.agent_id == "'"$A2"'"' || { show ann; false; }
	# Another company hears nothing of it.
	! has eve '.type == "event"' || { show eve; false; }
	for n in mgr eve ann bob; do stop_listener $n; done
	api POST "/api/calls/$C/hangup" '{}' "$MGR" >/dev/null || true
	avail "$T1" "$A1" offline || true
	avail "$T2" "$A2" offline
}

@test "an admin picks the company with company_id" {
	mkuser root@ws.test admin >/dev/null
	ADM=$(login root@ws.test)
	listen adm --seconds 10 --token "$ADM" --topics agents --company "$OTHER"
	ready adm 1
	has adm '.type == "subscribed" and .company_id == "'"$OTHER"'"'
	avail "$MGR" "$A2" away
	sleep 0.5
	! has adm '.type == "event"' || { show adm; false; }
	stop_listener adm
	avail "$MGR" "$A2" offline
}

@test "token expiry closes 4002 unless a new token came first" {
	# Tokens last 5 s: long enough for a client started on a loaded machine
	# to sign in before they expire.
	short=$(jwt_forge --from "$MGR" --rel exp=5)
	listen exp --seconds 12 --token "$short" --topics agents
	wait_for 12 has exp '.close' || { show exp; false; }
	has exp '.close == 4002 and .reason == "token expired"' || { show exp; false; }
	# Refreshed after a second: still open after the first token's expiry.
	short=$(jwt_forge --from "$MGR" --rel exp=5)
	listen refreshed --seconds 8 --token "$short" --topics agents \
		--reauth-after 1 --reauth-token "$MGR"
	wait_for 12 has refreshed '.timeout or .close' || { show refreshed; false; }
	has refreshed '.type == "authenticated" and .id == "reauth"' || { show refreshed; false; }
	! has refreshed '.close' || { show refreshed; false; }
	# A token of another user is not a refresh.
	listen other --seconds 4 --token "$MGR" --reauth-after 0.5 --reauth-token "$T1"
	wait_for 4 has other '.close' || { show other; false; }
	has other '.close == 4003' || { show other; false; }
}

@test "a slow consumer is closed with 4008 and the daemon stays healthy" {
	# A small bound makes it deterministic: ws_max_queue 8.
	daemon_stop main
	daemon_start main CALLDOCKER_WS_MAX_QUEUE=8
	MGR=$(login boss@ws.test)
	rm -f "$CD_TMP/go"
	listen slow --seconds 60 --token "$MGR" --topics calls,queues --rcvbuf 4096 \
		--pause-file "$CD_TMP/go" --pause-after 2
	listen fast --seconds 60 --token "$MGR" --topics agents
	ready slow 2
	ready fast 1
	wait_for 2 has slow '.paused' || { show slow; false; }
	big=$(head -c 3000 /dev/zero | tr '\0' x)
	for ((i = 0; i < 60; i++)); do
		newcall "$Q" "{\"caller_data\":{\"blob\":\"$big\"}}" >/dev/null
	done
	touch "$CD_TMP/go"
	wait_for 10 has slow '.close or .eof' || { show slow; false; }
	has slow '.close == 4008 and .reason == "slow consumer"' || { tail -n 3 "$CD_TMP/slow.jsonl" >&2; false; }
	grep -q 'slow consumer' "$CD_LOG"
	api_tcp GET /health >/dev/null
	assert_status 200
	# Other sockets carry on.
	avail "$MGR" "$A2" away
	wait_for 2 has fast '.event == "agent.state_changed"' || { show fast; false; }
	stop_listener fast
	avail "$MGR" "$A2" offline
}

open_connections() {
	api GET /metrics >/dev/null
	awk '$1 == "calldocker_open_connections" { print $2 }' <<<"$output"
}

@test "WebSocket connections are counted while open and released after" {
	daemon_use main
	MGR=$(login boss@ws.test)
	base=$(open_connections)
	listen m1 --seconds 20 --token "$MGR" --topics agents
	listen m2 --seconds 20 --token "$MGR" --topics agents
	ready m1 1
	ready m2 1
	[[ $(open_connections) -ge $((base + 2)) ]]
	stop_listener m1
	stop_listener m2
	wait_for 3 eval '[[ $(open_connections) == "$base" ]]' ||
		{ echo "open connections $(open_connections), expected $base" >&2; false; }
}

@test "SIGTERM exits 0 with WebSockets open" {
	daemon_use main
	MGR=$(login boss@ws.test)
	listen open1 --seconds 30 --token "$MGR" --topics calls,agents
	listen open2 --seconds 30
	ready open1 2
	wait_for 2 has open2 '.protocol' || { show open2; false; }
	daemon_stop main
	wait_for 5 has open1 '.close or .eof' || { show open1; false; }
	has open1 '.close == 1001' || { show open1; false; }
	has open2 '.close == 1001' || { show open2; false; }
	stop_listener open1
	stop_listener open2
}

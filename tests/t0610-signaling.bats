#!/usr/bin/env bats
# Calls and WebRTC signaling over /ws (docs/ws.md, "Callers" and "Calls and
# signaling"): widget keys and origins, the caller's call from request
# through IVR and queue to connected, offers to the agent the ACD chose,
# SDP and ICE relayed between the two parties only, renegotiated media
# recorded on the call, a supervisor's supervise.* relayed between her and
# the agent only, every error code, and what happens when a socket drops. Each party is a tests/lib/ws.py peer fed through a command file.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"
SHOP=https://shop.example

# peer NAME [ws.py peer options]: a party in the background; messages it
# receives go to $CD_TMP/NAME.jsonl, lines of $CD_TMP/NAME.cmd are sent.
peer() {
	local name=$1
	shift
	rm -f "$CD_TMP/$name.jsonl"
	: >"$CD_TMP/$name.cmd"
	$WS peer "$CD_PORT" --out "$CD_TMP/$name.jsonl" --cmds "$CD_TMP/$name.cmd" \
		--seconds 40 "$@" 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}

say() { printf '%s\n' "$2" >>"$CD_TMP/$1.cmd"; }

has() {
	[[ -f $CD_TMP/$1.jsonl ]] &&
		[[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]
}
count() { jq -c "select($2)" "$CD_TMP/$1.jsonl" | wc -l; }
show() { echo "--- $1:" >&2; cut -c1-300 "$CD_TMP/$1.jsonl" | tail -n 30 >&2; }
# see NAME FILTER [SECS]: wait until NAME got a message matching FILTER.
see() { wait_for "${3:-5}" has "$1" "$2" || { show "$1"; false; }; }
# first NAME FILTER: the first matching message.
first() { jq -c "select($2)" "$CD_TMP/$1.jsonl" | head -n1; }

stop() {
	local p
	p=$(<"$CD_TMP/$1.pid")
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# A caller on the shop's page, signed in with the widget key.
caller() { # NAME [KEY] [ORIGIN]
	peer "$1" --origin "${3:-$SHOP}"
	say "$1" '{"type":"auth","id":"a","widget_key":"'"${2:-$KEY}"'"}'
	see "$1" '.type == "authenticated" or .type == "error" or .close'
}

agent() { # NAME TOKEN: an agent's softphone, available
	peer "$1"
	say "$1" '{"type":"auth","id":"a","token":"'"$2"'"}'
	see "$1" '.type == "authenticated"'
	say "$1" '{"type":"agent.state","id":"s","state":"available"}'
	see "$1" '.type == "ack" and .id == "s" and .state == "available"'
}

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

mkqueue() { # NAME AGENT... -> queue id (STRATEGY=... to choose one)
	local name=$1
	shift
	api POST /api/queues "$(jq -nc --arg n "$name" --arg s "${STRATEGY:-longest_idle}" \
		'{name: $n, strategy: $s, wrap_up: 0,
		ring_timeout: 60, members: [$ARGS.positional[] | {agent_id: .}]}' \
		--args "$@")" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkqueue $name: $status $output" >&2; return 1; }
	jget .id
}

away() { # TOKEN AGENT
	api PUT "/api/agents/$2/availability" '{"state":"away"}' "$1" >/dev/null
}

state() { # CALL -> its state
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	jget .state
}

# The call the caller NAME was given.
call_of() { jq -r 'select(.type == "ack" and .call_id) | .call_id' \
	"$CD_TMP/$1.jsonl" | head -n1; }

setup_file() {
	cd_setup CALLDOCKER_WS_PING_INTERVAL=1 CALLDOCKER_WS_IDLE_TIMEOUT=3 \
		CALLDOCKER_WIDGET_RATE_LIMIT_IP=0
	# On a database of its own: a second node of main's cluster would
	# take relays for parties it does not see (peer_unavailable below).
	main_db=$CD_DBURL
	db_create t_t0610_limited
	daemon_start limited CALLDOCKER_WIDGET_RATE_LIMIT_IP=0.01 \
		CALLDOCKER_WIDGET_RATE_LIMIT_IP_BURST=3
	export CD_DBURL=$main_db
	daemon_use main
	CO=$(mkcompany "Signal Co")
	mkuser boss@sig.test manager "$CO" >/dev/null
	MGR=$(login boss@sig.test)
	A1=$(mkagent ann@sig.test)
	A2=$(mkagent bob@sig.test)
	T1=$(login ann@sig.test)
	T2=$(login bob@sig.test)
	OTHER=$(mkcompany "Other Signal Co")
	mkuser eve@othersig.test manager "$OTHER" >/dev/null
	EVE=$(login eve@othersig.test)
	api POST "/api/companies/$CO/widget-keys" '{"name":"shop"}' "$MGR" >/dev/null
	KEY=$(jget .key)
	api PUT "/api/companies/$CO/widget-origins" \
		"{\"origins\":[\"$SHOP\",\"http://localhost:8000\"]}" "$MGR" >/dev/null
	api POST "/api/companies/$OTHER/widget-keys" '{}' "$EVE" >/dev/null
	OKEY=$(jget .key)
	api PUT "/api/companies/$OTHER/widget-origins" \
		'{"origins":["https://other.example"]}' "$EVE" >/dev/null
	export CO MGR A1 A2 T1 T2 OTHER EVE KEY OKEY
}
teardown_file() { cd_teardown; }

teardown() {
	local p
	for p in "$CD_TMP"/*.pid; do
		[[ -f $p ]] && { kill "$(<"$p")" 2>/dev/null || true; rm -f "$p"; }
	done
	daemon_use main
	away "$T1" "$A1" || true
	away "$T2" "$A2" || true
}

@test "widget keys: managers create, list, rotate and delete them; origins are validated" {
	api POST "/api/companies/$CO/widget-keys" '{"name":"blog"}' "$MGR"
	assert_status 201
	assert_json .name blog
	[[ $(jget .key) =~ ^wk_[0-9a-f]{40}$ ]]
	id=$(jget .id)
	old=$(jget .key)
	header location | grep -q "/api/companies/$CO/widget-keys/$id"
	api GET "/api/companies/$CO/widget-keys" "" "$MGR"
	assert_status 200
	assert_json '.items | length' 2
	api POST "/api/companies/$CO/widget-keys/$id/rotate" "" "$MGR"
	assert_status 200
	assert_json .id "$id"
	[[ $(jget .key) != "$old" && $(jget .rotated_at) != null ]]
	new=$(jget .key)
	# The old key is refused at once; the new one works.
	caller oldkey "$old"
	see oldkey '.close == 4003'
	has oldkey '.type == "error" and .code == "unauthorized"'
	caller newkey "$new"
	see newkey '.type == "authenticated" and .role == "caller" and .company_id == "'"$CO"'"'
	api DELETE "/api/companies/$CO/widget-keys/$id" "" "$MGR"
	assert_status 204
	api DELETE "/api/companies/$CO/widget-keys/$id" "" "$MGR"
	assert_problem 404 not_found
	# Agents may not; another company's keys do not exist for us.
	api GET "/api/companies/$CO/widget-keys" "" "$T1"
	assert_problem 403 forbidden
	api GET "/api/companies/$OTHER/widget-keys" "" "$MGR"
	assert_problem 404 not_found
	api POST "/api/companies/$OTHER/widget-keys" '{}' "$MGR"
	assert_problem 404 not_found
	# Origins: scheme://host[:port], lower case, no path.
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["https://x.example/path"]}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["ftp://x.example"]}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/companies/$CO/widget-origins" '{"origins":"https://x.example"}' "$MGR"
	assert_problem 422 validation_failed
	api GET "/api/companies/$CO/widget-origins" "" "$MGR"
	assert_status 200
	assert_json '.origins | join(",")' "$SHOP,http://localhost:8000"
}

@test "CLI: widget-keys and widget-origins" {
	CD_XDG=$CD_TMP/xdg-sigboss
	echo "$PW" | cli login --email boss@sig.test --password-stdin
	id=$(cli widget-keys create --name kiosk -q)
	[[ $id =~ ^[0-9a-f-]{36}$ ]]
	run cli widget-keys list -o json
	assert_success
	old=$(jq -r --arg id "$id" '.[] | select(.id == $id) | .key' <<<"$output")
	[[ $old =~ ^wk_[0-9a-f]{40}$ ]]
	run cli widget-keys list
	assert_success
	assert_output --partial kiosk
	run cli widget-keys rotate "$id" -o json
	assert_success
	[[ $(jq -r .key <<<"$output") != "$old" ]]
	run cli widget-keys delete "$id" --yes
	assert_success
	run cli widget-keys delete "$id" --yes
	assert_failure 3
	# Origins: add and remove keep the others; bad ones are refused whole.
	run cli widget-origins add https://kiosk.example -o json
	assert_success
	[[ $(jq -r '[.[].origin] | join(",")' <<<"$output") == "$SHOP,http://localhost:8000,https://kiosk.example" ]]
	run cli widget-origins add https://x.example/path
	assert_failure
	assert_output --partial origins
	run cli widget-origins remove https://kiosk.example -q
	assert_success
	[[ $output == "$SHOP"$'\n'"http://localhost:8000" ]]
	run cli widget-origins remove https://never.example
	assert_failure 3
	# Bytes that are not text would be dropped: refused, nothing changes.
	run cli widget-origins set $'\xff\xfe'
	assert_failure 2
	assert_output --partial "UTF-8"
	api GET "/api/companies/$CO/widget-origins" "" "$MGR"
	assert_json '.origins | join(",")' "$SHOP,http://localhost:8000"
	# An agent may not.
	CD_XDG=$CD_TMP/xdg-sigann
	echo "$PW" | cli login --email ann@sig.test --password-stdin
	run cli widget-keys list
	assert_failure 4
}

@test "a caller's socket: wrong origin, no origin and unknown keys are refused" {
	caller wrong "$KEY" https://evil.example
	see wrong '.close == 4003'
	has wrong '.type == "error" and .code == "origin_not_allowed" and .id == "a"'
	peer noorigin
	say noorigin '{"type":"auth","id":"a","widget_key":"'"$KEY"'"}'
	see noorigin '.close == 4003'
	has noorigin '.type == "error" and .code == "origin_not_allowed"'
	caller unknown wk_0000000000000000000000000000000000000000
	see unknown '.close == 4003'
	has unknown '.type == "error" and .code == "unauthorized"'
	# Another company's key from our shop: its origins are not ours.
	caller cross "$OKEY"
	see cross '.type == "error" and .code == "origin_not_allowed"'
	# A good one; a caller has no topics and takes no token afterwards.
	caller good
	see good '.type == "authenticated" and .role == "caller"'
	say good '{"type":"subscribe","id":"s","topics":["calls"]}'
	see good '.type == "error" and .id == "s" and .code == "forbidden"'
	say good '{"type":"auth","id":"t","token":"'"$MGR"'"}'
	see good '.type == "error" and .id == "t" and .code == "bad_request"'
	! has good '.type == "snapshot"'
}

@test "widget sign-ins are rate-limited per IP: rate_limited and close 4029" {
	daemon_use limited
	co=$(mkcompany "Limited Co")
	mkuser boss@limited.test manager "$co" >/dev/null
	mgr=$(login boss@limited.test)
	api POST "/api/companies/$co/widget-keys" '{}' "$mgr" >/dev/null
	k=$(jget .key)
	api PUT "/api/companies/$co/widget-origins" "{\"origins\":[\"$SHOP\"]}" "$mgr" >/dev/null
	assert_status 200
	for i in 1 2 3; do
		caller "lim$i" "$k"
		see "lim$i" '.type == "authenticated"'
	done
	caller lim4 "$k"
	see lim4 '.close == 4029'
	has lim4 '.type == "error" and .code == "rate_limited" and .retry_after > 0'
	daemon_use main
}

@test "the whole call: request, queued, offer, accept, SDP and ICE both ways, hold, hangup" {
	Q=$(mkqueue "Conformance" "$A1")
	agent ann "$T1"
	caller c1
	see c1 '.type == "authenticated"'
	say c1 '{"type":"call.request","id":"r","queue_id":"'"$Q"'","media":"video","caller_name":"Carla","caller_data":{"order":"A-17"}}'
	see c1 '.type == "ack" and .id == "r" and .state != null and .media == "video"'
	c=$(call_of c1)
	# The ACD offers it to ann, the only available member.
	see ann '.type == "call.offer" and .call_id == "'"$c"'" and .call.caller_name == "Carla"'
	# Before it is connected there is nothing to relay.
	say c1 '{"type":"sdp.offer","id":"early","call_id":"'"$c"'","sdp":"v=0"}'
	see c1 '.type == "error" and .id == "early" and .code == "not_connected"'
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see ann '.type == "ack" and .id == "acc" and .state == "connected"'
	see ann '.type == "call.connected" and .call_id == "'"$c"'"'
	see c1 '.type == "call.connected" and .call_id == "'"$c"'" and .state == "connected"'
	# A caller sees nothing of the call but its id, state and media.
	! has c1 '.call != null or .agent_id != null or .notes != null'
	say c1 '{"type":"sdp.offer","id":"o1","call_id":"'"$c"'","sdp":"v=0 caller-offer"}'
	see c1 '.type == "ack" and .id == "o1"'
	see ann '.type == "sdp.offer" and .from == "caller" and .sdp == "v=0 caller-offer" and (has("id") | not)'
	say ann '{"type":"sdp.answer","call_id":"'"$c"'","sdp":"v=0 agent-answer"}'
	see c1 '.type == "sdp.answer" and .from == "agent" and .sdp == "v=0 agent-answer"'
	say c1 '{"type":"ice.candidate","call_id":"'"$c"'","candidate":{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host","sdpMid":"0"}}'
	see ann '.type == "ice.candidate" and .candidate.sdpMid == "0" and .from == "caller"'
	say ann '{"type":"ice.candidate","call_id":"'"$c"'","candidate":null}'
	see c1 '.type == "ice.candidate" and .candidate == null and .from == "agent"'
	# Hold and resume through the hub; the caller hears of both.
	say ann '{"type":"call.hold","id":"h","call_id":"'"$c"'"}'
	see ann '.type == "ack" and .id == "h" and .state == "on_hold"'
	see c1 '.type == "call.hold" and .state == "on_hold"'
	say ann '{"type":"call.hold","id":"h2","call_id":"'"$c"'"}'
	see ann '.type == "error" and .id == "h2" and .code == "illegal_transition"'
	say ann '{"type":"call.resume","id":"u","call_id":"'"$c"'"}'
	see c1 '.type == "call.resume" and .state == "connected"'
	# REST sees the same call.
	[[ $(state "$c") == connected ]]
	say ann '{"type":"call.hangup","id":"bye","call_id":"'"$c"'","reason":"resolved"}'
	see ann '.type == "ack" and .id == "bye" and .state == "wrap_up"'
	see c1 '.type == "call.hangup" and .call_id == "'"$c"'" and .reason == "call.ended"'
	[[ $(state "$c") == wrap_up ]]
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.caller_data.order' A-17
	assert_json .media video
}

@test "renegotiation: adding screen share mid-call is relayed and recorded in media_used" {
	Q=$(mkqueue "Media" "$A1")
	agent ann "$T1"
	caller c2
	say c2 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c2 '.type == "ack" and .id == "r"'
	c=$(call_of c2)
	see ann '.type == "call.offer" and .call_id == "'"$c"'"'
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c2 '.type == "call.connected"'
	say c2 '{"type":"sdp.offer","call_id":"'"$c"'","sdp":"v=0 audio"}'
	see ann '.type == "sdp.offer" and .sdp == "v=0 audio"'
	say ann '{"type":"sdp.answer","call_id":"'"$c"'","sdp":"v=0 audio-ok"}'
	see c2 '.type == "sdp.answer"'
	wait_for 5 eval '[[ $(api GET "/api/calls/'"$c"'" "" "$MGR" >/dev/null; jget ".media_used | join(\",\")") == voice ]]'
	# The agent adds a screen share: a new offer with "media".
	say ann '{"type":"sdp.offer","id":"re","call_id":"'"$c"'","sdp":"v=0 audio+screen","media":["voice","screen_share"]}'
	see c2 '.type == "sdp.offer" and .from == "agent" and .media == ["voice","screen_share"]'
	say c2 '{"type":"sdp.answer","call_id":"'"$c"'","sdp":"v=0 ok","media":["voice","screen_share"]}'
	see ann '.type == "sdp.answer" and .media == ["voice","screen_share"]'
	wait_for 5 eval '[[ $(api GET "/api/calls/'"$c"'" "" "$MGR" >/dev/null; jget ".media_used | join(\",\")") == screen_share,voice ]]'
	# And removes it again: what was used stays recorded.
	say ann '{"type":"sdp.offer","call_id":"'"$c"'","sdp":"v=0 audio","media":["voice"]}'
	say c2 '{"type":"sdp.answer","id":"back","call_id":"'"$c"'","sdp":"v=0","media":["voice"]}'
	see c2 '.type == "ack" and .id == "back"'
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.media_used | join(",")' screen_share,voice
	assert_json .media voice
	say ann '{"type":"sdp.offer","id":"bad","call_id":"'"$c"'","sdp":"v=0","media":["voice","hologram"]}'
	see ann '.type == "error" and .id == "bad" and .code == "bad_request"'
}

@test "privacy: no third socket reads or injects a call's SDP or ICE" {
	Q=$(mkqueue "Private" "$A1")
	agent ann "$T1"
	agent bob "$T2"
	away "$T2" "$A2"
	caller c3
	say c3 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c3 '.type == "ack" and .id == "r"'
	c=$(call_of c3)
	see ann '.type == "call.offer" and .call_id == "'"$c"'"'
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c3 '.type == "call.connected"'
	# Third parties: another agent of the company, the supervisor, a caller
	# of another call, another company's manager and caller.
	peer sup
	say sup '{"type":"auth","id":"a","token":"'"$MGR"'"}'
	say sup '{"type":"subscribe","id":"s","topics":["calls"]}'
	see sup '.type == "snapshot"'
	caller c4
	say c4 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c4 '.type == "ack" and .id == "r"'
	peer eve
	say eve '{"type":"auth","id":"a","token":"'"$EVE"'"}'
	see eve '.type == "authenticated"'
	caller oc "$OKEY" https://other.example
	see oc '.type == "authenticated"'
	for p in bob sup c4 eve oc; do
		say $p '{"type":"sdp.offer","id":"x1","call_id":"'"$c"'","sdp":"v=0 evil"}'
		say $p '{"type":"ice.candidate","id":"x2","call_id":"'"$c"'","candidate":"evil"}'
		say $p '{"type":"sdp.answer","id":"x3","call_id":"'"$c"'","sdp":"v=0 evil"}'
		say $p '{"type":"call.hangup","id":"x4","call_id":"'"$c"'"}'
	done
	for p in bob sup c4 eve oc; do
		wait_for 5 eval "[[ \$(count $p '.type == \"error\" and .code == \"not_a_party\" and (.id | startswith(\"x\"))') -eq 4 ]]" ||
			{ show $p; false; }
	done
	# Another company cannot even subscribe to ours.
	say eve '{"type":"subscribe","id":"s","topics":["calls"],"company_id":"'"$CO"'"}'
	see eve '.type == "error" and .id == "s" and .code == "forbidden"'
	# The parties' own exchange reaches only them.
	say c3 '{"type":"sdp.offer","call_id":"'"$c"'","sdp":"v=0 secret"}'
	see ann '.type == "sdp.offer" and .sdp == "v=0 secret"'
	say c3 '{"type":"ice.candidate","call_id":"'"$c"'","candidate":"secret-candidate"}'
	see ann '.type == "ice.candidate" and .candidate == "secret-candidate"'
	sleep 0.5
	for p in bob sup c4 eve oc; do
		! grep -q 'secret\|evil' "$CD_TMP/$p.jsonl" || { show $p; false; }
	done
	! grep -q evil "$CD_TMP/ann.jsonl"
	! grep -q evil "$CD_TMP/c3.jsonl"
	# The call is still up: nobody else could hang it up.
	[[ $(state "$c") == connected ]]
}

@test "error codes: bad_request, forbidden, conflict, validation_failed, not_a_party, peer_unavailable" {
	Q=$(mkqueue "Errors" "$A1")
	caller c5
	see c5 '.type == "authenticated"'
	say c5 '{"type":"call.request","id":"v","queue_id":"'"$Q"'","media":"fax"}'
	see c5 '.type == "error" and .id == "v" and .code == "validation_failed" and .errors[0].field == "media"'
	say c5 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c5 '.type == "ack" and .id == "r"'
	c=$(call_of c5)
	say c5 '{"type":"call.request","id":"again","queue_id":"'"$Q"'"}'
	see c5 '.type == "error" and .id == "again" and .code == "conflict"'
	say c5 '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c5 '.type == "error" and .id == "acc" and .code == "forbidden"'
	say c5 '{"type":"sdp.offer","id":"nocall","sdp":"v=0"}'
	see c5 '.type == "error" and .id == "nocall" and .code == "bad_request"'
	# The input is judged by call.ivr_input alone, as POST
	# /api/calls/:id/ivr/input judges it: 422's errors, named as sent.
	say c5 '{"type":"ivr.input","id":"i","call_id":"'"$c"'"}'
	see c5 '.type == "error" and .id == "i" and .code == "validation_failed" and .errors[0].field == "digits"'
	say c5 '{"type":"ivr.input","id":"i0","call_id":"'"$c"'","digits":"1x"}'
	see c5 '.type == "error" and .id == "i0" and .code == "validation_failed" and .errors[0].field == "digits"'
	say c5 '{"type":"ivr.input","id":"i1","call_id":"'"$c"'","event":"later"}'
	see c5 '.type == "error" and .id == "i1" and .code == "validation_failed" and .errors[0].field == "event"'
	say c5 '{"type":"ivr.input","id":"i4","call_id":"'"$c"'","event":"hangup"}'
	see c5 '.type == "error" and .id == "i4" and .code == "validation_failed" and .errors[0].field == "event"'
	say c5 '{"type":"ivr.input","id":"i2","call_id":"'"$A1"'","digits":"1"}'
	see c5 '.type == "error" and .id == "i2" and .code == "not_a_party"'
	say c5 '{"type":"ivr.input","id":"i3","call_id":"'"$c"'","digits":"1"}'
	see c5 '.type == "error" and .id == "i3" and .code == "illegal_transition"'
	say c5 '{"type":"call.dance","id":"u"}'
	see c5 '.type == "error" and .id == "u" and .code == "unknown_type"'
	# Staff sockets: no call requests; only agents set a state; a
	# supervisor is not a party.
	peer sup
	say sup '{"type":"auth","id":"a","token":"'"$MGR"'"}'
	say sup '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see sup '.type == "error" and .id == "r" and .code == "forbidden"'
	say sup '{"type":"agent.state","id":"s","state":"available"}'
	see sup '.type == "error" and .id == "s" and .code == "forbidden"'
	say sup '{"type":"call.hold","id":"h","call_id":"'"$c"'"}'
	see sup '.type == "error" and .id == "h" and .code == "not_a_party"'
	# An agent: a bad state; accepting a call not offered to them.
	peer bob
	say bob '{"type":"auth","id":"a","token":"'"$T2"'"}'
	see bob '.type == "authenticated"'
	say bob '{"type":"agent.state","id":"s","state":"asleep"}'
	see bob '.type == "error" and .id == "s" and .code == "bad_request"'
	say bob '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see bob '.type == "error" and .id == "acc" and (.code == "illegal_transition" or .code == "conflict")'
	say bob '{"type":"call.transfer","id":"t","call_id":"'"$c"'"}'
	see bob '.type == "error" and .id == "t" and .code == "bad_request"'
	# The caller hangs up while waiting: abandoned.
	say c5 '{"type":"call.hangup","id":"bye","call_id":"'"$c"'"}'
	see c5 '.type == "ack" and .id == "bye" and .state == "abandoned"'
	see c5 '.type == "call.hangup" and .reason == "call.abandoned"'
	# A new call is allowed then.
	say c5 '{"type":"call.request","id":"r2","queue_id":"'"$Q"'"}'
	see c5 '.type == "ack" and .id == "r2"'
}

@test "peer_unavailable: the other party has no socket" {
	Q=$(mkqueue "Gone" "$A1")
	api PUT "/api/agents/$A1/availability" '{"state":"available"}' "$T1"
	assert_status 200
	caller c6
	say c6 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c6 '.type == "ack" and .id == "r"'
	c=$(call_of c6)
	wait_for 5 eval '[[ $(state '"$c"') == offering ]]'
	# Answered over REST by an agent with no socket open.
	api POST "/api/calls/$c/answer" "" "$T1"
	assert_status 200
	see c6 '.type == "call.connected"'
	say c6 '{"type":"sdp.offer","id":"o","call_id":"'"$c"'","sdp":"v=0"}'
	see c6 '.type == "error" and .id == "o" and .code == "peer_unavailable"'
	# Their socket, opened now, is their side.
	peer ann
	say ann '{"type":"auth","id":"a","token":"'"$T1"'"}'
	see ann '.type == "authenticated"'
	say c6 '{"type":"sdp.offer","id":"o2","call_id":"'"$c"'","sdp":"v=0 late"}'
	see ann '.type == "sdp.offer" and .sdp == "v=0 late"'
	# A flood of candidates is cut at 50 a second (a burst of 200).
	for ((i = 0; i < 400; i++)); do
		echo '{"type":"ice.candidate","call_id":"'"$c"'","candidate":"c'$i'"}'
	done >>"$CD_TMP/c6.cmd"
	see c6 '.type == "error" and .code == "rate_limited" and .retry_after == 1' 10
	wait_for 10 eval "[[ \$(count ann '.type == \"ice.candidate\"') -ge 200 ]]" ||
		{ show ann; false; }
	wait_for 10 eval "[[ \$(count c6 '.type == \"error\"') -ge 1 ]]"
	# What was refused never reached the agent.
	n=$(count ann '.type == "ice.candidate"')
	r=$(count c6 '.type == "error" and .code == "rate_limited"')
	((n + r <= 400 && r > 0)) || { echo "relayed $n, refused $r" >&2; false; }
}

@test "supervision: supervise.* goes between the agent and her supervisor only, from monitor until off" {
	Q=$(mkqueue "Supervised" "$A1")
	agent ann "$T1"
	caller c20
	say c20 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see ann '.type == "call.offer"'
	c=$(call_of c20)
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c20 '.type == "call.connected"'
	peer sup
	say sup '{"type":"auth","id":"a","token":"'"$MGR"'"}'
	say sup '{"type":"subscribe","id":"s","topics":["calls"]}'
	see sup '.type == "snapshot"'
	# Not supervised yet: nobody may.
	say sup '{"type":"supervise.offer","id":"early","call_id":"'"$c"'","sdp":"v=0"}'
	see sup '.type == "error" and .id == "early" and .code == "not_a_party"'
	say ann '{"type":"supervise.answer","id":"early","call_id":"'"$c"'","sdp":"v=0"}'
	see ann '.type == "error" and .id == "early" and .code == "not_a_party"'
	api POST "/api/calls/$c/supervise" '{"mode":"monitor"}' "$MGR"
	assert_status 200
	see sup '.type == "event" and .event == "call.supervised" and .data.supervision.mode == "monitor"'
	# The supervisor's page offers; the agent's answers; candidates both ways.
	say sup '{"type":"supervise.offer","id":"o","call_id":"'"$c"'","sdp":"v=0 sup-offer"}'
	see sup '.type == "ack" and .id == "o" and .call_id == "'"$c"'"'
	see ann '.type == "supervise.offer" and .from == "supervisor" and .sdp == "v=0 sup-offer" and (has("id") | not)'
	say ann '{"type":"supervise.answer","call_id":"'"$c"'","sdp":"v=0 agent-answer"}'
	see sup '.type == "supervise.answer" and .from == "agent" and .sdp == "v=0 agent-answer"'
	say sup '{"type":"supervise.ice","call_id":"'"$c"'","candidate":{"candidate":"candidate:1 1 udp 1 10.0.0.9 5000 typ host","sdpMid":"0"}}'
	see ann '.type == "supervise.ice" and .from == "supervisor" and .candidate.sdpMid == "0"'
	say ann '{"type":"supervise.ice","call_id":"'"$c"'","candidate":null}'
	see sup '.type == "supervise.ice" and .from == "agent" and .candidate == null'
	# Bad input: as sdp.* (no media here).
	say sup '{"type":"supervise.offer","id":"m","call_id":"'"$c"'","sdp":"v=0","media":["voice"]}'
	see sup '.type == "error" and .id == "m" and .code == "bad_request"'
	say sup '{"type":"supervise.answer","id":"n","call_id":"'"$c"'"}'
	see sup '.type == "error" and .id == "n" and .code == "bad_request"'
	say sup '{"type":"supervise.ice","id":"u","call_id":"nope","candidate":null}'
	see sup '.type == "error" and .id == "u" and .code == "bad_request"'
	# Nobody else: the caller, another agent, another manager of the
	# company, another company's manager.
	mkuser boss2@sig.test manager "$CO" >/dev/null
	peer sup2
	say sup2 '{"type":"auth","id":"a","token":"'"$(login boss2@sig.test)"'"}'
	see sup2 '.type == "authenticated"'
	peer bob
	say bob '{"type":"auth","id":"a","token":"'"$T2"'"}'
	see bob '.type == "authenticated"'
	peer eve
	say eve '{"type":"auth","id":"a","token":"'"$EVE"'"}'
	see eve '.type == "authenticated"'
	for p in c20 sup2 bob eve; do
		say $p '{"type":"supervise.offer","id":"x1","call_id":"'"$c"'","sdp":"v=0 evil"}'
		say $p '{"type":"supervise.answer","id":"x2","call_id":"'"$c"'","sdp":"v=0 evil"}'
		say $p '{"type":"supervise.ice","id":"x3","call_id":"'"$c"'","candidate":"evil"}'
	done
	for p in c20 sup2 bob eve; do
		wait_for 5 eval "[[ \$(count $p '.type == \"error\" and .code == \"not_a_party\" and (.id | startswith(\"x\"))') -eq 3 ]]" ||
			{ show $p; false; }
	done
	# A new mode: the same two parties, no new offer needed.
	api POST "/api/calls/$c/supervise" '{"mode":"barge"}' "$MGR"
	assert_status 200
	see sup '.type == "event" and .event == "call.supervised" and .data.supervision.mode == "barge"'
	say ann '{"type":"supervise.ice","id":"b","call_id":"'"$c"'","candidate":"cand-barge"}'
	see sup '.type == "supervise.ice" and .candidate == "cand-barge"'
	# The caller saw none of it; nothing evil reached the parties.
	! has c20 '(.type | startswith("supervise.")) or .event == "call.supervised" or .supervision != null' ||
		{ show c20; false; }
	! grep -q evil "$CD_TMP/ann.jsonl"
	! grep -q evil "$CD_TMP/sup.jsonl"
	# Off: she is no party any more.
	api POST "/api/calls/$c/supervise" '{"mode":"off"}' "$MGR"
	assert_status 200
	see sup '.type == "event" and .event == "call.supervised" and .data.supervision.mode == "off"'
	say sup '{"type":"supervise.ice","id":"late","call_id":"'"$c"'","candidate":null}'
	see sup '.type == "error" and .id == "late" and .code == "not_a_party"'
	say ann '{"type":"supervise.ice","id":"late","call_id":"'"$c"'","candidate":null}'
	see ann '.type == "error" and .id == "late" and .code == "not_a_party"'
	# Supervised again, then her socket goes: the daemon ends it.
	api POST "/api/calls/$c/supervise" '{"mode":"whisper"}' "$MGR"
	assert_status 200
	see sup '.type == "event" and .event == "call.supervised" and .data.supervision.mode == "whisper"'
	say sup '!drop'
	wait_for 5 eval '[[ $(api GET "/api/calls/'"$c"'" "" "$MGR" >/dev/null; jget .supervision) == null ]]'
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state connected
	jq -e '[.events[] | select(.type == "call.supervised")] | last | .actor_id != null' <<<"$output"
}

@test "a socket opened while a call rings for the agent gets the offer" {
	Q=$(mkqueue "Late" "$A1")
	api PUT "/api/agents/$A1/availability" '{"state":"available"}' "$T1"
	caller c15
	say c15 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c15 '.type == "ack"'
	c=$(call_of c15)
	wait_for 5 eval '[[ $(state '"$c"') == offering ]]'
	peer ann
	say ann '{"type":"auth","id":"a","token":"'"$T1"'"}'
	see ann '.type == "call.offer" and .call_id == "'"$c"'" and .call.state == "offering"'
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see ann '.type == "ack" and .id == "acc" and .state == "connected"'
	see c15 '.type == "call.connected"'
	# Another agent's socket hears of no such offer.
	peer bob
	say bob '{"type":"auth","id":"a","token":"'"$T2"'"}'
	see bob '.type == "authenticated"'
	sleep 0.5
	! has bob '.type == "call.offer"'
}

@test "the entry IVR over the socket: prompts, digits, then the queue the caller chose" {
	api POST /api/queues '{"name":"Sales"}' "$MGR" >/dev/null
	api POST /api/queues '{"name":"Support"}' "$MGR" >/dev/null
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" \
		"@$TOP/tests/ivr/api/main.yaml" "$MGR" >/dev/null
	assert_status 201
	id=$(jget .id)
	api POST "/api/ivr/$id/activate" '{"version": 1, "entry": true}' "$MGR"
	assert_status 200
	caller c7
	say c7 '{"type":"call.request","id":"r","caller_name":"Ivo"}'
	see c7 '.type == "ack" and .id == "r" and .state == "ivr"'
	see c7 '.type == "ivr.prompt" and .state == "digits" and ([.actions[].type] | join(",")) == "say,say,collect"'
	c=$(call_of c7)
	has c7 '.type == "ivr.prompt" and .actions[0].text == "Welcome to Acme."'
	say c7 '{"type":"ivr.input","id":"d1","call_id":"'"$c"'","digits":"7"}'
	see c7 '.type == "ack" and .id == "d1" and .state == "ivr"'
	say c7 '{"type":"ivr.input","id":"d2","call_id":"'"$c"'","digits":"2"}'
	see c7 '.type == "ack" and .id == "d2" and .state == "queued"'
	see c7 '.type == "call.queued" and .position == 1 and has("estimated_wait")'
	# The same session as POST /api/calls/:id/ivr/input walks.
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state queued
	assert_json .caller_name Ivo
	[[ $(jget '[.events[] | select(.type == "ivr.node") | .data.node] | join(",")') == welcome,menu,menu,support ]]
	# A caller who leaves in the IVR abandons the call.
	caller c8
	say c8 '{"type":"call.request","id":"r"}'
	see c8 '.type == "ivr.prompt"'
	c8=$(call_of c8)
	say c8 '!drop'
	wait_for 5 eval '[[ $(state '"$c8"') == abandoned ]]'
}

@test "over the socket: a flow that chains into another, then hangs up: completed" {
	cat >"$CD_TMP/front.yaml" <<'YAML'
name: Widget front
start: hi
nodes:
  hi:
    type: say
    text: Hi.
    next: main
  main:
    type: goto
    flow: Main line
YAML
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" \
		"@$CD_TMP/front.yaml" "$MGR" >/dev/null
	assert_status 201
	front=$(jget .id)
	caller c9
	say c9 '{"type":"call.request","id":"r","ivr_flow_id":"'"$front"'"}'
	see c9 '.type == "ivr.prompt" and ([.actions[].type] | join(",")) == "say,say,say,collect"'
	has c9 '.type == "ivr.prompt" and .actions[1].text == "Welcome to Acme."'
	c=$(call_of c9)
	# Nothing pressed, twice: Main line's menu hangs up.
	say c9 '{"type":"ivr.input","id":"t1","call_id":"'"$c"'","event":"timeout"}'
	see c9 '.type == "ack" and .id == "t1" and .state == "ivr"'
	say c9 '{"type":"ivr.input","id":"t2","call_id":"'"$c"'","event":"timeout"}'
	see c9 '.type == "ack" and .id == "t2" and .state == "completed"'
	see c9 '.type == "ivr.prompt" and ([.actions[].type] | join(",")) == "hangup,end"'
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state completed
	assert_json '[.events[] | select(.type == "ivr.node") | .data.flow] | unique | join(",")' \
		"Main line,Widget front"
}

@test "positions: a waiting caller hears call.queued as the queue moves" {
	Q=$(mkqueue "Line" "$A1")
	for i in 1 2 3; do
		caller "w$i"
		say "w$i" '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
		see "w$i" '.type == "call.queued" and .position == '"$i"
	done
	c1=$(call_of w1)
	say w1 '{"type":"call.hangup","id":"bye","call_id":"'"$c1"'"}'
	see w2 '.type == "call.queued" and .position == 1'
	see w3 '.type == "call.queued" and .position == 2'
}

@test "an agent's socket drops while offered: the call is offered to the next agent" {
	Q=$(mkqueue "Failover" "$A1" "$A2")
	agent ann "$T1"
	caller c9
	say c9 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c9 '.type == "ack"'
	c=$(call_of c9)
	see ann '.type == "call.offer" and .call_id == "'"$c"'"'
	agent bob "$T2"
	! has bob '.type == "call.offer"'
	say ann '!drop'
	see bob '.type == "call.offer" and .call_id == "'"$c"'"'
	api GET "/api/agents/$A1" "" "$MGR"
	assert_json .state away
	say bob '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c9 '.type == "call.connected"'
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .agent_id "$A2"
}

@test "ring_all: every available member is offered the call; the others' offers end when one accepts" {
	Q=$(STRATEGY=ring_all mkqueue "RingAll" "$A1" "$A2")
	agent ann "$T1"
	agent bob "$T2"
	caller c14
	say c14 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c14 '.type == "ack"'
	c=$(call_of c14)
	see ann '.type == "call.offer" and .call_id == "'"$c"'"'
	see bob '.type == "call.offer" and .call_id == "'"$c"'"'
	! has ann '.type == "call.offer_cancelled"'
	say bob '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see bob '.type == "ack" and .id == "acc" and .state == "connected"'
	see ann '.type == "call.offer_cancelled" and .call_id == "'"$c"'" and .reason == "call.answered"'
	! has bob '.type == "call.offer_cancelled"'
	see c14 '.type == "call.connected"'
	# Only the one who took it is a party.
	say ann '{"type":"sdp.offer","id":"x","call_id":"'"$c"'","sdp":"v=0"}'
	see ann '.type == "error" and .id == "x" and .code == "not_a_party"'
}

@test "a caller's socket drops while queued: the call is abandoned" {
	Q=$(mkqueue "Abandon" "$A1")
	caller c10
	say c10 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see c10 '.type == "call.queued"'
	c=$(call_of c10)
	say c10 '!drop'
	wait_for 5 eval '[[ $(state '"$c"') == abandoned ]]'
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.abandoned") | .data.reason] | .[0]' caller_disconnected
}

@test "a socket drops while connected: the other side gets call.hangup" {
	Q=$(mkqueue "Drop" "$A1")
	agent ann "$T1"
	caller c11
	say c11 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see ann '.type == "call.offer"'
	c=$(call_of c11)
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c11 '.type == "call.connected"'
	say c11 '!drop'
	see ann '.type == "call.hangup" and .call_id == "'"$c"'" and .state == "wrap_up"'
	[[ $(state "$c") == wrap_up ]]
	# The other way round: the agent's socket that took the call goes.
	api POST "/api/calls/$c/wrap" '{}' "$T1" >/dev/null
	say ann '{"type":"agent.state","id":"s2","state":"available"}'
	caller c12
	say c12 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see ann '.type == "call.offer" and .call_id != "'"$c"'"'
	c2=$(call_of c12)
	say ann '{"type":"call.accept","id":"acc2","call_id":"'"$c2"'"}'
	see c12 '.type == "call.connected"'
	say ann '!drop'
	see c12 '.type == "call.hangup" and .call_id == "'"$c2"'" and .state == "wrap_up"'
	api GET "/api/calls/$c2" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.ended") | .data.reason] | .[0]' agent_disconnected
}

@test "transfer: the new agent is offered the call, the caller hears of it" {
	Q=$(mkqueue "Transfer" "$A1" "$A2")
	agent ann "$T1"
	caller c13
	say c13 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see ann '.type == "call.offer"'
	c=$(call_of c13)
	say ann '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	see c13 '.type == "call.connected"'
	agent bob "$T2"
	say ann '{"type":"call.transfer","id":"t","call_id":"'"$c"'","agent_id":"'"$A2"'"}'
	see ann '.type == "ack" and .id == "t" and .state == "offering"'
	see ann '.type == "call.hangup" and .reason == "call.transferred"'
	see bob '.type == "call.offer" and .call_id == "'"$c"'"'
	see c13 '.type == "call.transferred"'
	say bob '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
	wait_for 5 eval "[[ \$(count c13 '.type == \"call.connected\"') -ge 2 ]]" || { show c13; false; }
	say c13 '{"type":"sdp.offer","call_id":"'"$c"'","sdp":"v=0 to-bob"}'
	see bob '.type == "sdp.offer" and .sdp == "v=0 to-bob"'
	! grep -q to-bob "$CD_TMP/ann.jsonl"
}

@test "heartbeats: pings every interval; a socket that never answers is closed 4009" {
	peer quiet --no-pong
	say quiet '{"type":"auth","id":"a","token":"'"$MGR"'"}'
	peer chatty
	say chatty '{"type":"auth","id":"a","token":"'"$MGR"'"}'
	see quiet '.ping' 3
	see quiet '.close == 4009 and .reason == "idle timeout"' 8
	# The one that answers pings is still open.
	wait_for 5 eval "[[ \$(count chatty '.ping') -ge 2 ]]" || { show chatty; false; }
	! has chatty '.close'
	say chatty '{"type":"ping","id":"p"}'
	see chatty '.type == "pong" and .id == "p"'
}

@test "a widget caller asks for a callback, then leaves: the call keeps its place" {
	Q=$(mkqueue "Callbacks")
	caller cb1
	say cb1 '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
	see cb1 '.type == "ack" and .id == "r" and .state == "queued"'
	c=$(call_of cb1)
	# No caller number: one must be given; it must be E.164.
	say cb1 '{"type":"call.callback","id":"n","call_id":"'"$c"'"}'
	see cb1 '.type == "error" and .id == "n" and .code == "validation_failed" and .errors[0].field == "number"'
	say cb1 '{"type":"call.callback","id":"bad","call_id":"'"$c"'","number":"030 123"}'
	see cb1 '.type == "error" and .id == "bad" and .errors[0].field == "number"'
	# Only the caller's own call.
	caller cb2
	say cb2 '{"type":"call.callback","id":"x","call_id":"'"$c"'","number":"+4930123"}'
	see cb2 '.type == "error" and .id == "x" and .code == "not_a_party"'
	say cb1 '{"type":"call.callback","id":"cb","call_id":"'"$c"'","number":"+4930123"}'
	see cb1 '.type == "ack" and .id == "cb" and .state == "queued" and .callback.number == "+4930123"'
	stop cb2
	# The caller closes the page: the call waits on as a callback.
	stop cb1
	wait_for 10 eval 'api GET "/api/calls/$c" "" "$MGR" >/dev/null; [[ $(jget "[.events[].type] | index(\"call.caller_left\")") != null ]]'
	assert_json .state queued
	assert_json .callback.number +4930123
	assert_json .position 1
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_status 200
	assert_json .state abandoned
}

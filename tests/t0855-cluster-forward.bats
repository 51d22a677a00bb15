#!/usr/bin/env bats
# Forwarding to the owner (docs/cluster.md, "Forwarding to the owner"): a
# client may talk to any node of a cluster; a live operation asked of a node
# that does not own the company runs on its owner, signed node to node
# (POST /internal/op), and the live reads (positions, queue figures) are
# the owner's on every node.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

owner_of() {
	sql "SELECT coalesce(node_id::text, '') FROM cluster_leases
	    WHERE name = 'company:$1' AND expires_at > now()"
}

node_id() {
	sql "SELECT id FROM cluster_nodes WHERE pid = $(<"$CD_TMP/$1/pid")"
}

# sign DATE BODY: the X-Calldocker-Signature a node sends (peer.c): HMAC
# over DATE "\n" BODY under HMAC(signing key, "calldocker forward v1").
sign() {
	local k
	k=$(printf '%s' 'calldocker forward v1' |
		openssl dgst -sha256 -mac HMAC -macopt "key:$CD_SECRET" -r | cut -d' ' -f1)
	printf '%s\n%s' "$1" "$2" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$k" -r | cut -d' ' -f1
}

# internal NODE BODY [DATE] [SIGNATURE]: POST /internal/op to NODE's TCP
# port, signed for DATE (now) unless SIGNATURE is given ("-": none).
internal() {
	local date=${3:-$(date +%s)} sig=${4-}
	[[ -n $sig ]] || sig=$(sign "$date" "$2")
	daemon_use "$1"
	if [[ $sig == - ]]; then
		api --tcp POST /internal/op "$2" >/dev/null
	else
		api --tcp -H "X-Calldocker-Node: 00000000-0000-0000-0000-000000000000" \
			-H "X-Calldocker-Date: $date" -H "X-Calldocker-Signature: $sig" \
			POST /internal/op "$2" >/dev/null
	fi
}

setup_file() {
	cd_init
	daemon_start fa
	daemon_start fb
	local u
	daemon_use fa
	CO=$(mkcompany Forward)
	BOSS=$(mkuser boss@forward.test manager "$CO")
	ANN=$(mkuser ann@forward.test agent "$CO")
	u=$ANN
	MGR=$(login boss@forward.test)
	AT=$(login ann@forward.test)
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	AGENT=$(jget .id)
	api POST /api/queues "$(jq -nc --arg a "$AGENT" \
		'{name: "Main", ring_timeout: 60, wrap_up: 0, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	api POST /api/queues '{"name": "Second", "ring_timeout": 60}' "$MGR" >/dev/null
	Q2=$(jget .id)
	wait_for 10 eval '[[ -n $(owner_of "$CO") ]]'
	if [[ $(owner_of "$CO") == $(node_id fa) ]]; then
		OWNER=fa OTHER=fb
	else
		OWNER=fb OTHER=fa
	fi
	export CO BOSS ANN MGR AT AGENT Q Q2 OWNER OTHER
}

teardown_file() {
	cd_teardown
}

setup() {
	# The tests read who owns the company; it must not have moved.
	[[ $(owner_of "$CO") == $(node_id "$OWNER") ]]
}

# on NODE METHOD PATH [BODY] [TOKEN]: api on NODE.
on() {
	daemon_use "$1"
	shift
	api "$@" >/dev/null
}

state_on() {
	on "$1" GET "/api/calls/$2" "" "$MGR"
	jget .state
}

@test "through the node that does not own the company: calls, availability, answer, supervise, hang up, wrap, assign, transfer" {
	on "$OTHER" POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	assert_status 201
	assert_json .state queued
	assert_json .position 1
	c1=$(jget .id)
	[[ $(header location) == "/api/calls/$c1" ]]
	on "$OTHER" POST /api/calls "{\"queue_id\":\"$Q\",\"caller_name\":\"Bea\"}" "$MGR"
	assert_status 201
	assert_json .position 2
	c2=$(jget .id)
	# The same position on either node, one call or a list of them.
	for n in "$OWNER" "$OTHER"; do
		on "$n" GET "/api/calls/$c2" "" "$MGR"
		assert_json .position 2
		assert_json .caller_name Bea
		on "$n" GET "/api/calls?state=queued" "" "$MGR"
		assert_json "[.items[] | select(.id == \"$c1\") | .position] | .[0]" 1
		assert_json "[.items[] | select(.id == \"$c2\") | .position] | .[0]" 2
		on "$n" GET "/api/queues/$Q/stats" "" "$MGR"
		assert_json .waiting 2
	done
	# Refusals are the owner's too: the agent is offline.
	on "$OTHER" POST "/api/calls/$c1/assign" "{\"agent_id\":\"$AGENT\"}" "$MGR"
	assert_status 409
	on "$OTHER" POST "/api/calls/$c1/answer" '{}' "$MGR"
	assert_problem 403 forbidden
	on "$OTHER" PUT "/api/calls/$c1" '{"notes": "called twice"}' "$MGR"
	assert_status 200
	assert_json .notes "called twice"
	# A callback, requested of the other node, decided by the owner.
	on "$OTHER" POST "/api/calls/$c2/callback" '{"number": "+4930123"}' "$MGR"
	assert_status 200
	assert_json .callback.number +4930123
	assert_json .position 2
	on "$OWNER" GET "/api/calls/$c2" "" "$MGR"
	assert_json .callback.state waiting
	assert_json .position 2

	on "$OTHER" PUT "/api/agents/$AGENT/availability" '{"state":"available"}' "$AT"
	assert_status 200
	assert_json .state available
	wait_for 10 eval '[[ $(state_on "$OTHER" "$c1") == offering ]]'
	on "$OTHER" POST "/api/calls/$c1/answer" '{}' "$AT"
	assert_status 200
	assert_json .state connected
	[[ $(state_on "$OWNER" "$c1") == connected ]]
	on "$OTHER" GET "/api/calls/$c2" "" "$MGR"
	assert_json .position 1
	on "$OWNER" GET "/api/calls/$c2" "" "$MGR"
	assert_json .position 1
	# A manager supervises it through the other node: the owner decides,
	# and the call's end on the owner ends it.
	on "$OTHER" POST "/api/calls/$c1/supervise" '{"mode": "monitor"}' "$MGR"
	assert_status 200
	assert_json .supervision.mode monitor
	assert_json .supervision.supervisor_id "$BOSS"
	on "$OTHER" POST "/api/calls/$c1/supervise" '{"mode": "barge", "phone": "+15550100"}' "$MGR"
	assert_problem 422 phone_unsupported
	on "$OWNER" GET "/api/calls/$c1" "" "$MGR"
	assert_json .supervision.mode monitor
	on "$OTHER" POST "/api/calls/$c1/hold" '{}' "$AT"
	assert_json .state on_hold
	on "$OTHER" POST "/api/calls/$c1/resume" '{}' "$AT"
	assert_json .state connected
	on "$OTHER" POST "/api/calls/$c1/hangup" '{}' "$AT"
	assert_status 200
	assert_json .state wrap_up
	on "$OTHER" POST "/api/calls/$c1/wrap" '{"disposition": "sale"}' "$AT"
	assert_status 200
	assert_json .state completed
	assert_json .disposition sale
	[[ $(state_on "$OWNER" "$c1") == completed ]]
	on "$OTHER" GET "/api/calls/$c1" "" "$MGR"
	assert_json .supervision null
	assert_json '[.events[] | select(.type == "call.supervised")][-1].data.reason' call_ended

	# The second call reaches the agent; a transfer to the other queue.
	wait_for 10 eval '[[ $(state_on "$OTHER" "$c2") == offering ]]'
	on "$OTHER" POST "/api/calls/$c2/answer" '{}' "$AT"
	assert_json .state connected
	on "$OTHER" POST "/api/calls/$c2/transfer" "{\"queue_id\":\"$Q2\"}" "$AT"
	assert_status 200
	assert_json .state queued
	[[ $(state_on "$OWNER" "$c2") == queued ]]
	on "$OWNER" GET "/api/calls/$c2" "" "$MGR"
	assert_json .queue_id "$Q2"
	assert_json .position 1
	on "$OTHER" GET "/api/calls/$c2" "" "$MGR"
	assert_json .position 1
	# A manager assigns it to the agent, who is free again.
	on "$OTHER" POST "/api/calls/$c2/assign" "{\"agent_id\":\"$AGENT\"}" "$MGR"
	assert_status 200
	assert_json .state offering
	[[ $(state_on "$OWNER" "$c2") == offering ]]
	on "$OTHER" POST "/api/calls/$c2/hangup" '{}' "$MGR"
	assert_status 200
	[[ $(state_on "$OWNER" "$c2") == $(state_on "$OTHER" "$c2") ]]
	on "$OTHER" PUT "/api/agents/$AGENT/availability" '{"state":"offline"}' "$AT"
	assert_status 200
	# Every decision was the owner's: the other node made none.
	run grep -c 'internal: /internal/op refused' "$CD_TMP/$OWNER/log"
	assert_output 0
}

@test "deleting a queue with waiting calls, or an agent on a call, through the non-owner is refused as on the owner" {
	on "$OTHER" POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	assert_status 201
	c=$(jget .id)
	on "$OTHER" DELETE "/api/queues/$Q" "" "$MGR"
	assert_problem 409 conflict
	on "$OWNER" DELETE "/api/queues/$Q" "" "$MGR"
	assert_problem 409 conflict
	on "$OTHER" GET "/api/queues/$Q" "" "$MGR"
	assert_status 200
	# The agent takes the call: neither it nor its user can go meanwhile.
	on "$OTHER" PUT "/api/agents/$AGENT/availability" '{"state":"available"}' "$AT"
	wait_for 10 eval '[[ $(state_on "$OTHER" "$c") == offering ]]'
	on "$OTHER" POST "/api/calls/$c/answer" '{}' "$AT"
	assert_json .state connected
	on "$OTHER" DELETE "/api/agents/$AGENT" "" "$MGR"
	assert_problem 409 conflict
	on "$OTHER" DELETE "/api/users/$ANN" "" "$MGR"
	assert_problem 409 conflict
	on "$OWNER" GET "/api/agents/$AGENT" "" "$MGR"
	assert_status 200
	on "$OTHER" POST "/api/calls/$c/hangup" '{}' "$AT"
	assert_json .state wrap_up
	on "$OTHER" POST "/api/calls/$c/wrap" '{}' "$AT"
	assert_json .state completed
	on "$OTHER" PUT "/api/agents/$AGENT/availability" '{"state":"offline"}' "$AT"
	assert_status 200
}

@test "POST /internal/op unsigned, badly signed or stale is refused 401 and changes nothing" {
	on "$OTHER" POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	c=$(jget .id)
	body=$(jq -nc --arg u "$BOSS" --arg co "$CO" --arg c "$c" \
		'{op: "call.hangup", actor: {kind: "user", role: "manager", user: $u, company: $co}, company: $co, in: {call: $c}}')
	internal "$OWNER" "$body" "" -
	assert_problem 401 unauthorized
	internal "$OWNER" "$body" "" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	assert_problem 401 unauthorized
	old=$(( $(date +%s) - 120 ))
	internal "$OWNER" "$body" "$old"
	assert_problem 401 unauthorized
	# Signed over other bytes.
	internal "$OWNER" "$body" "" "$(sign "$(date +%s)" "${body/hangup/answer}")"
	assert_problem 401 unauthorized
	# Never over the Unix socket, where the local admin needs no token.
	daemon_use "$OWNER"
	api POST /internal/op "$body" >/dev/null
	assert_status 404
	[[ $(state_on "$OWNER" "$c") == queued ]]
	# Signed as a node would: the owner runs it.
	internal "$OWNER" "$body"
	assert_status 200
	assert_json .status 200
	assert_json .state abandoned
}

@test "a forwarded operation that reaches a node which is not the owner answers 503, never forwarded again" {
	on "$OTHER" POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	c=$(jget .id)
	body=$(jq -nc --arg u "$BOSS" --arg co "$CO" --arg c "$c" \
		'{op: "call.hangup", actor: {kind: "user", role: "manager", user: $u, company: $co}, company: $co, in: {call: $c}}')
	internal "$OTHER" "$body"
	assert_status 503
	assert_json .code unavailable
	[[ -n $(header retry-after) ]]
	[[ $(state_on "$OWNER" "$c") == queued ]]
	on "$OTHER" POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
}

@test "the operations table says where each entry runs in a cluster" {
	run "$CD_DAEMON" --operations
	assert_success
	ops=$output
	run jq -r '[.[] | select(.runs_on != "any") | "\(.name)=\(.runs_on)"] | join(" ")' <<<"$ops"
	assert_output "call.answer=owner call.reject=owner call.hold=owner call.resume=owner call.hangup=owner call.wrap=owner call.assign=owner call.transfer=owner call.next=owner call.requeue=owner agent.state=owner agent.disconnected=owner call.create=owner call.ivr_input=owner call.update=owner call.callback=owner call.callback_failed=owner call.supervise=owner call.record=owner queue.delete=queue agent.delete=agent user.delete=user"
	# Every configuration change but those three runs on the node asked.
	run jq -e 'all(.[]; (.transaction == "admin") == (.runs_on != "owner"))' <<<"$ops"
	assert_success
}

@test "a call for a queue just created on the node that does not own the company is queued, never refused" {
	# The queue reaches the owner's engine by NOTIFY calldocker_config;
	# the call, forwarded at once, may get there first: the owner then
	# loads the queue from its row (hub_enqueue_call). Before, about one
	# create in four sent right behind its queue's (no process start in
	# between, hence python) was answered 409 "the queue cannot take calls".
	daemon_use "$OTHER"
	run python3 - "$CD_PORT" "$MGR" <<-'EOF'
		import http.client, json, sys
		port, token = int(sys.argv[1]), sys.argv[2]
		def post(path, body):
		    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
		    c.request("POST", path, json.dumps(body), {
		        "Authorization": "Bearer " + token,
		        "Content-Type": "application/json"})
		    r = c.getresponse()
		    out = (r.status, json.loads(r.read() or b"null"))
		    c.close()
		    return out
		for i in range(30):
		    st, q = post("/api/queues", {"name": f"Fresh {i}"})
		    assert st == 201, (st, q)
		    st, c = post("/api/calls", {"queue_id": q["id"]})
		    print(st, c.get("state"), c.get("position"), c.get("detail", ""))
		    if st == 201:
		        post(f"/api/calls/{c['id']}/hangup", {})
	EOF
	assert_success
	assert_equal "$(grep -vc '^201 queued 1 $' <<<"$output")" 0
}

@test "a widget caller on the node that does not own the company: its call request runs on the owner" {
	daemon_use "$OWNER"
	api POST "/api/companies/$CO/widget-keys" '{"name":"shop"}' "$MGR" >/dev/null
	assert_status 201
	key=$(jget .key)
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["https://shop.example"]}' "$MGR" >/dev/null
	assert_status 200
	daemon_use "$OTHER"
	out=$CD_TMP/caller.jsonl cmds=$CD_TMP/caller.cmd
	: >"$cmds"
	python3 "$TOP/tests/lib/ws.py" peer "$CD_PORT" --out "$out" --cmds "$cmds" \
		--origin https://shop.example --seconds 30 3>&- &
	pid=$!
	printf '%s\n' '{"type":"auth","id":"a","widget_key":"'"$key"'"}' >>"$cmds"
	wait_for 10 grep -q '"authenticated"' "$out"
	# A caller acts with no role: forwarded as such, not refused.
	printf '%s\n' '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}' >>"$cmds"
	wait_for 10 grep -q '"id": "r"' "$out"
	run jq -c 'select(.id == "r")' "$out"
	[[ $(jq -r .type <<<"$output") == ack ]] || { cat "$out" >&2; false; }
	call=$(jq -r .call_id <<<"$output")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[[ $(sql "SELECT count(*) FROM calls WHERE id = '$call' AND company_id = '$CO'") == 1 ]]
}

# wspeer NAME NODE: a WebSocket party on NODE (its messages in NAME.jsonl,
# lines of NAME.cmd sent).
wspeer() {
	daemon_use "$2"
	: >"$CD_TMP/$1.cmd"
	rm -f "$CD_TMP/$1.jsonl"
	python3 "$TOP/tests/lib/ws.py" peer "$CD_PORT" --out "$CD_TMP/$1.jsonl" \
		--cmds "$CD_TMP/$1.cmd" --origin https://shop.example --seconds 60 3>&- &
	echo $! >"$CD_TMP/$1.pid"
}
say() { printf '%s\n' "$2" >>"$CD_TMP/$1.cmd"; }
has() { [[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]; }
see() { wait_for 10 has "$1" "$2" || { echo "--- $1:" >&2; tail -n 20 "$CD_TMP/$1.jsonl" >&2; false; }; }

@test "WebRTC signaling crosses nodes: the caller's socket on one, the agent's on the other" {
	daemon_use "$OWNER"
	api POST "/api/companies/$CO/widget-keys" '{"name":"cross"}' "$MGR" >/dev/null
	assert_status 201
	key=$(jget .key)
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["https://shop.example"]}' "$MGR" >/dev/null
	# The agent on the owner, the caller on the other node (and both
	# ways round, for the second call).
	for nodes in "$OWNER $OTHER" "$OTHER $OWNER"; do
		set -- $nodes
		wspeer ag "$1"
		say ag '{"type":"auth","id":"a","token":"'"$AT"'"}'
		see ag '.type == "authenticated"'
		say ag '{"type":"agent.state","id":"s","state":"available"}'
		see ag '.type == "ack" and .id == "s"'
		wspeer cl "$2"
		say cl '{"type":"auth","id":"a","widget_key":"'"$key"'"}'
		see cl '.type == "authenticated"'
		say cl '{"type":"call.request","id":"r","queue_id":"'"$Q"'"}'
		see cl '.type == "ack" and .id == "r"'
		c=$(jq -r 'select(.type == "ack" and .id == "r") | .call_id' "$CD_TMP/cl.jsonl")
		see ag '.type == "call.offer" and .call_id == "'"$c"'"'
		say ag '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
		see cl '.type == "call.connected" and .call_id == "'"$c"'"'
		say cl '{"type":"sdp.offer","id":"o","call_id":"'"$c"'","sdp":"v=0 from-caller","media":["voice"]}'
		see cl '.type == "ack" and .id == "o"'
		see ag '.type == "sdp.offer" and .from == "caller" and .sdp == "v=0 from-caller"'
		say ag '{"type":"sdp.answer","id":"an","call_id":"'"$c"'","sdp":"v=0 from-agent"}'
		see ag '.type == "ack" and .id == "an"'
		see cl '.type == "sdp.answer" and .from == "agent" and .sdp == "v=0 from-agent"'
		say cl '{"type":"ice.candidate","call_id":"'"$c"'","candidate":{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host","sdpMid":"0"}}'
		see ag '.type == "ice.candidate" and .from == "caller" and .candidate.sdpMid == "0"'
		# Exactly once: the node that has the party delivers it.
		[[ $(jq -c 'select(.type == "sdp.offer")' "$CD_TMP/ag.jsonl" | wc -l) == 1 ]]
		say ag '{"type":"call.hangup","id":"bye","call_id":"'"$c"'"}'
		see cl '.type == "call.hangup" and .call_id == "'"$c"'"'
		on "$OWNER" POST "/api/calls/$c/wrap" '{}' "$AT"
		for p in ag cl; do
			kill "$(<"$CD_TMP/$p.pid")" 2>/dev/null || true
			wait "$(<"$CD_TMP/$p.pid")" 2>/dev/null || true
		done
	done
}

@test "supervising a browser call crosses nodes: the supervisor's socket alone on one node, the agent's on the other" {
	# Nothing else on the supervisor's node listens to the bus (no
	# subscriber, no agent, no caller): her socket must still hear her
	# call.supervised and may signal (docs/ws.md, "Supervision", "In a
	# cluster").
	for nodes in "$OWNER $OTHER" "$OTHER $OWNER"; do
		set -- $nodes
		wspeer ag "$1"
		say ag '{"type":"auth","id":"a","token":"'"$AT"'"}'
		see ag '.type == "authenticated"'
		say ag '{"type":"agent.state","id":"s","state":"available"}'
		see ag '.type == "ack" and .id == "s"'
		on "$1" POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_number: "+15550123"}')" "$MGR"
		assert_status 201
		c=$(jget .id)
		see ag '.type == "call.offer" and .call_id == "'"$c"'"'
		say ag '{"type":"call.accept","id":"acc","call_id":"'"$c"'"}'
		see ag '.type == "ack" and .id == "acc"'
		wspeer sv "$2"
		say sv '{"type":"auth","id":"a","token":"'"$MGR"'"}'
		see sv '.type == "authenticated"'
		say sv '{"type":"call.supervise","id":"m","call_id":"'"$c"'","mode":"whisper"}'
		see sv '.type == "ack" and .id == "m"'
		see sv '.event == "call.supervised" and .data.supervision.mode == "whisper"'
		say sv '{"type":"supervise.offer","id":"o","call_id":"'"$c"'","sdp":"v=0 from-supervisor"}'
		see sv '.type == "ack" and .id == "o"'
		see ag '.type == "supervise.offer" and .from == "supervisor" and .sdp == "v=0 from-supervisor"'
		say ag '{"type":"supervise.answer","id":"an","call_id":"'"$c"'","sdp":"v=0 from-agent"}'
		see ag '.type == "ack" and .id == "an"'
		see sv '.type == "supervise.answer" and .from == "agent" and .sdp == "v=0 from-agent"'
		on "$1" POST "/api/calls/$c/hangup" '{}' "$MGR"
		on "$1" POST "/api/calls/$c/wrap" '{}' "$MGR"
		for p in ag sv; do
			kill "$(<"$CD_TMP/$p.pid")" 2>/dev/null || true
			wait "$(<"$CD_TMP/$p.pid")" 2>/dev/null || true
		done
	done
}

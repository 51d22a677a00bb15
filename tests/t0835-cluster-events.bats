#!/usr/bin/env bats
# Cross-node events (docs/cluster.md, "Cross-node events"): a WebSocket on
# node B hears the events of calls made and decided on node A, in A's
# order, an event too big for a NOTIFY payload included; a node of no
# cluster sends nothing. (That the Twilio client, which acts on events,
# hears only its own node's is tests/unit/t-events.c.)

load lib/common

WS="python3 $TOP/tests/lib/ws.py"

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_init
}

teardown_file() {
	cd_teardown
}

# listen NAME [ws.py listen options...] on the current daemon: a client in
# the background writing every message to $CD_TMP/NAME.jsonl.
listen() {
	local name=$1
	shift
	rm -f "$CD_TMP/$name.jsonl"
	$WS listen "$CD_PORT" --out "$CD_TMP/$name.jsonl" "$@" 3>&- &
	echo $! >"$CD_TMP/$name.pid"
}

has() {
	[[ -f $CD_TMP/$1.jsonl ]] &&
		[[ -n $(jq -c "select($2)" "$CD_TMP/$1.jsonl" 2>/dev/null | head -n1) ]]
}

# ready NAME N: subscribed and N snapshots in.
ready() {
	wait_for 10 has "$1" '.type == "subscribed"' &&
		wait_for 10 eval "[[ \$(jq -c 'select(.type == \"snapshot\")' \$CD_TMP/$1.jsonl | wc -l) -ge $2 ]]" ||
		{ show "$1"; return 1; }
}

# events NAME: each event NAME heard, "event id-or-agent state", in order.
events() {
	jq -r 'select(.type == "event") |
	    "\(.event) \(.data.id // .data.agent_id // .data.queue_id) \(.data.state // "")"' \
		"$CD_TMP/$1.jsonl"
}

# by_object: events (stdin) grouped by the object they are about, each
# object's in the order heard. Every object's events keep their order
# across nodes; events that two threads published at the same moment
# (a request's worker creating a call while the hub offers another) have
# no order between them, on any node.
by_object() {
	sort -s -k2,2
}

show() { echo "--- $1:" >&2; cut -c1-300 "$CD_TMP/$1.jsonl" | tail -n 40 >&2; }

stop_listener() {
	local p
	p=$(<"$CD_TMP/$1.pid")
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# metric NAME: its value on the current daemon.
metric() {
	api GET /metrics >/dev/null
	awk -v m="$1" '$1 == m { print $2 }' <<<"$output"
}

@test "a call made on node A: node B's wallboard and agent hear every event, in A's order" {
	db_create t_t0835_cross
	daemon_start ea
	daemon_start eb
	daemon_use ea
	co=$(mkcompany "Cross Co")
	mkuser boss@cross.test manager "$co" >/dev/null
	mgr=$(login boss@cross.test)
	u=$(mkuser ann@cross.test agent "$co")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$mgr" >/dev/null
	assert_status 201
	ag=$(jget .id)
	ann=$(login ann@cross.test)
	api POST /api/queues "$(jq -nc --arg a "$ag" \
		'{name: "support", members: [{agent_id: $a}]}')" "$mgr" >/dev/null
	assert_status 201
	q=$(jget .id)

	# The same wallboard on both nodes; the agent's console on B only.
	listen wba --seconds 60 --token "$mgr" --topics calls,agents,queues
	daemon_use eb
	listen wbb --seconds 60 --token "$mgr" --topics calls,agents,queues
	listen annb --seconds 60 --token "$ann" --topics calls,agents
	ready wba 3
	ready wbb 3
	ready annb 2

	# Everything through node A's REST API; the company's owner decides
	# (A, or B by way of A).
	daemon_use ea
	api PUT "/api/agents/$ag/availability" '{"state":"available"}' "$ann" >/dev/null
	assert_status 200
	calls=()
	for i in 1 2 3; do
		api POST /api/calls "$(jq -nc --arg q "$q" \
			'{queue_id: $q, caller_number: "+15550100"}')" "$mgr" >/dev/null
		assert_status 201
		calls+=("$(jget .id)")
	done
	# A caller_data too big for one NOTIFY payload (8000 bytes).
	big=$(head -c 9000 /dev/zero | tr '\0' x)
	api POST /api/calls "$(jq -nc --arg q "$q" --arg b "$big" \
		'{queue_id: $q, caller_number: "+15550101", caller_data: {blob: $b}}')" "$mgr" >/dev/null
	assert_status 201
	calls+=("$(jget .id)")
	for c in "${calls[@]}"; do
		api POST "/api/calls/$c/hangup" '{}' "$mgr" >/dev/null
		assert_status 200
	done
	last=${calls[3]}
	wait_for 10 eval 'events wba | grep -q "^call\.[a-z_]* $last \(abandoned\|completed\|missed\)"' || { show wba; false; }

	# B heard exactly what A's own wallboard heard, each object's events
	# in the same order.
	wait_for 10 eval '[[ "$(events wbb | by_object)" == "$(events wba | by_object)" ]]' || {
		diff <(events wba) <(events wbb) >&2 || true
		grep -ih "cluster\|warn\|error" "$CD_TMP/ea/log" "$CD_TMP/eb/log" | grep -v "event .* company" | tail -30 >&2; false; }
	run events wbb
	assert_line --partial "call.created ${calls[0]} queued"
	assert_line --partial "call.offered ${calls[0]} offering"
	assert_line --partial "agent.state_changed $ag available"
	assert_line --partial "call.created $last queued"
	# The big one whole.
	run jq -r "select(.type == \"event\" and .event == \"call.created\" and .data.id == \"$last\") | .data.caller_data.blob | length" "$CD_TMP/wbb.jsonl"
	assert_output 9000

	# The agent on B: her state and the offers A made to her (not the
	# calls before they were hers, nor the queue), in order.
	wait_for 10 eval '[[ "$(events annb | by_object)" == "$(events wba | grep -v "^call\.created \|^call\.queued \|^queue\." | by_object)" ]]' || {
		diff <(events wba) <(events annb) >&2 || true; false; }
	run events annb
	assert_line --index 0 "agent.state_changed $ag available"
	assert_line --index 1 "call.offered ${calls[0]} offering"
	for n in wba wbb annb; do stop_listener $n; done

	# The counters: the company's owner sent (A hands B's decisions to it
	# when it is B: docs/cluster.md), the other node received at least
	# what its wallboard heard, no node dropped any.
	owner=$(sql "SELECT node_id FROM cluster_leases WHERE name = 'company:$co'")
	if [[ $owner == $(sql "SELECT id FROM cluster_nodes WHERE pid = $(<"$CD_TMP/ea/pid")") ]]; then
		sender=ea other=eb wb=wbb
	else
		sender=eb other=ea wb=wba
	fi
	daemon_use "$sender"
	[[ $(metric calldocker_cluster_events_sent_total) -gt 0 ]]
	daemon_use "$other"
	n=$(metric calldocker_cluster_events_received_total)
	[[ $n -ge $(events "$wb" | wc -l) ]]
	api GET /metrics >/dev/null
	assert_output --regexp 'calldocker_cluster_events_dropped_total\{reason="queue_full"\} 0'
	assert_output --regexp 'calldocker_cluster_events_dropped_total\{reason="unreadable"\} 0'
	assert_output --regexp 'calldocker_cluster_event_delay_seconds_count [1-9]'
	daemon_stop ea
	daemon_stop eb
}

@test "the publisher's connection broken: what was published meanwhile crosses once it is back, in order" {
	db_create t_t0835_reconnect
	daemon_start pa
	daemon_start pb
	daemon_use pa
	co=$(mkcompany "Reconnect Co")
	mkuser boss@reconnect.test manager "$co" >/dev/null
	mgr=$(login boss@reconnect.test)
	api POST /api/queues '{"name": "support"}' "$mgr" >/dev/null
	assert_status 201
	q=$(jget .id)
	listen rwa --seconds 60 --token "$mgr" --topics calls
	daemon_use pb
	listen rwb --seconds 60 --token "$mgr" --topics calls
	ready rwa 1
	ready rwb 1
	daemon_use pa
	api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
	assert_status 201
	first=$(jget .id)
	wait_for 10 has rwb ".event == \"call.created\" and .data.id == \"$first\"" || { show rwb; false; }
	# Node A's publisher loses its connection (as when PostgreSQL restarts).
	run sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE datname = current_database() AND pid <> pg_backend_pid()
	    AND query LIKE '%cluster_events_notify%'"
	assert_output t
	for i in 1 2 3; do
		api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
		assert_status 201
		c=$(jget .id)
		api POST "/api/calls/$c/hangup" '{}' "$mgr" >/dev/null
		assert_status 200
	done
	wait_for 10 has rwa ".event == \"call.abandoned\" and .data.id == \"$c\"" || { show rwa; false; }
	wait_for 15 eval '[[ "$(events rwb | by_object)" == "$(events rwa | by_object)" ]]' || {
		diff <(events rwa) <(events rwb) >&2 || true; false; }
	[[ $(events rwb | wc -l) -ge 9 ]]
	stop_listener rwa
	stop_listener rwb
	assert_equal "$(metric 'calldocker_cluster_events_dropped_total{reason="queue_full"}')" 0
	daemon_stop pa
	daemon_stop pb
}

@test "a batch the database refuses is dropped and counted; later events still cross, the gap counted" {
	db_create t_t0835_refused
	daemon_start fa
	daemon_start fb
	daemon_use fa
	co=$(mkcompany "Refused Co")
	mkuser boss@refused.test manager "$co" >/dev/null
	mgr=$(login boss@refused.test)
	api POST /api/queues '{"name": "support"}' "$mgr" >/dev/null
	assert_status 201
	q=$(jget .id)
	# The company's owner publishes its events (docs/cluster.md); the
	# other node listens.
	wait_for 10 eval '[[ -n $(sql "SELECT node_id FROM cluster_leases WHERE name = '"'company:$co'"' AND expires_at > now()") ]]'
	if [[ $(sql "SELECT node_id FROM cluster_leases WHERE name = 'company:$co'") == $(sql "SELECT id FROM cluster_nodes WHERE pid = $(<"$CD_TMP/fa/pid")") ]]; then
		snd=fa rcv=fb
	else
		snd=fb rcv=fa
	fi
	daemon_use "$rcv"
	listen fwb --seconds 60 --token "$mgr" --topics calls
	ready fwb 1
	daemon_use "$snd"
	api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
	assert_status 201
	c1=$(jget .id)
	wait_for 10 has fwb ".event == \"call.created\" and .data.id == \"$c1\"" || { show fwb; false; }
	# The owner's batches are refused while the function is gone.
	def=$(sql "SELECT pg_get_functiondef('cluster_events_notify(text[])'::regprocedure)")
	sql 'DROP FUNCTION cluster_events_notify(text[])'
	api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
	assert_status 201
	c2=$(jget .id)
	wait_for 10 eval '[[ $(metric "calldocker_cluster_events_dropped_total{reason=\"refused\"}") -gt 0 ]]'
	sql "$def"
	api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
	assert_status 201
	c3=$(jget .id)
	wait_for 10 has fwb ".event == \"call.created\" and .data.id == \"$c3\"" || { show fwb; false; }
	# The second call's creation was the first event after the drop, so in
	# a refused batch; had it crossed, it would have come before the third.
	! has fwb ".event == \"call.created\" and .data.id == \"$c2\"" || { show fwb; false; }
	stop_listener fwb
	daemon_use "$rcv"
	[[ $(metric 'calldocker_cluster_events_dropped_total{reason="gap"}') -ge 1 ]]
	daemon_stop fa
	daemon_stop fb
}

@test "a node of no cluster publishes events to its own subscribers only: nothing sent" {
	db_create t_t0835_solo
	daemon_start solo CALLDOCKER_CLUSTER=
	co=$(mkcompany "Solo Co")
	mkuser boss@solo.test manager "$co" >/dev/null
	mgr=$(login boss@solo.test)
	api POST /api/queues '{"name": "support"}' "$mgr" >/dev/null
	assert_status 201
	q=$(jget .id)
	listen wbs --seconds 30 --token "$mgr" --topics calls
	ready wbs 1
	api POST /api/calls "$(jq -nc --arg q "$q" '{queue_id: $q}')" "$mgr" >/dev/null
	assert_status 201
	c=$(jget .id)
	wait_for 10 has wbs ".event == \"call.created\" and .data.id == \"$c\"" || { show wbs; false; }
	stop_listener wbs
	assert_equal "$(metric calldocker_cluster_events_sent_total)" 0
	assert_equal "$(metric calldocker_cluster_event_notifies_total)" 0
	assert_equal "$(metric calldocker_cluster_events_queued)" 0
	daemon_stop solo
}

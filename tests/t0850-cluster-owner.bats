#!/usr/bin/env bats
# Company ownership (docs/cluster.md, "Company ownership"): each company's
# live state is owned by one node through a fenced lease; companies spread
# over the nodes; when the owner dies (kill -9) or stops, another node takes
# over within the lease, with waiting calls in their order and the ringing
# offer made again.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_init
}

teardown_file() {
	cd_teardown
}

# owner_of COMPANY: the node id holding its lease now ("" none).
owner_of() {
	sql "SELECT coalesce(node_id::text, '') FROM cluster_leases
	    WHERE name = 'company:$1' AND expires_at > now()"
}

# epoch_of COMPANY
epoch_of() {
	sql "SELECT epoch FROM cluster_leases WHERE name = 'company:$1'"
}

# node_id NAME: the registered id of daemon NAME (by its pid).
node_id() {
	sql "SELECT id FROM cluster_nodes WHERE pid = $(<"$CD_TMP/$1/pid")"
}

# name_of NODE-ID: which of the suite's daemons it is.
name_of() {
	local n
	for n in "${NODES[@]}"; do
		[[ $(node_id "$n") == "$1" ]] && { echo "$n"; return; }
	done
}

held_by() { [[ $(owner_of "$1") == "$2" ]]; }

# setup_company NAME: a company with a manager, one agent and a queue of
# that agent (ring timeout 60 s) on the current daemon; sets CO, MGR,
# AGENT, AT (the agent's token), Q.
setup_company() {
	local u
	CO=$(mkcompany "$1")
	mkuser "boss@$1.test" manager "$CO" >/dev/null
	MGR=$(login "boss@$1.test")
	u=$(mkuser "ann@$1.test" agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	assert_status 201
	AGENT=$(jget .id)
	AT=$(login "ann@$1.test")
	api POST /api/queues "$(jq -nc --arg a "$AGENT" \
		'{name: "Main", ring_timeout: 60, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	assert_status 201
	Q=$(jget .id)
}

call_state() {
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	jget .state
}

@test "companies spread over the nodes, one owner each; status and /metrics show the leases" {
	db_create t_t0850_spread
	NODES=(sa sb)
	daemon_start sa
	daemon_start sb
	for i in 1 2 3 4 5 6; do
		mkcompany "Spread $i" >/dev/null
	done
	n=$(sql "SELECT count(*) FROM companies")
	wait_for 10 eval '[[ $(sql "SELECT count(*) FROM cluster_leases WHERE name LIKE '"'company:%'"' AND expires_at > now()") == '"$n"' ]]'
	a=$(node_id sa)
	b=$(node_id sb)
	# Every lease is one of the two nodes', and both have some: six
	# companies all hashing to one node would be a 1-in-32 fluke.
	assert_equal "$(sql "SELECT count(*) FROM cluster_leases WHERE name LIKE 'company:%' AND node_id NOT IN ('$a', '$b')")" 0
	[[ $(sql "SELECT count(DISTINCT node_id) FROM cluster_leases WHERE name LIKE 'company:%'") == 2 ]]
	daemon_use sa
	api GET /api/settings/system/status >/dev/null
	assert_status 200
	co=$(sql "SELECT id FROM companies ORDER BY name LIMIT 1")
	assert_json "[.cluster.leases[] | select(.name == \"company:$co\")] | length" 1
	assert_json ".cluster.leases[] | select(.name == \"company:$co\") | .node_id" "$(owner_of "$co")"
	assert_json ".cluster.leases[] | select(.name == \"company:$co\") | .epoch >= 1" true
	# /metrics shows what the node thread last read (every lease/3 s).
	metric="calldocker_cluster_lease_epoch{lease=\"company:$co\",node=\"$(owner_of "$co")\",held=\"1\"}"
	wait_for 10 eval 'curl -sf --unix-socket "$CD_SOCK" http://localhost/metrics | grep -qF "$metric"'
	daemon_stop sa
	daemon_stop sb
}

@test "kill -9 the owner: the other node takes over, calls keep their order, the ringing offer rings again" {
	db_create t_t0850_failover
	NODES=(fa fb)
	daemon_start fa
	daemon_start fb
	setup_company failover
	wait_for 10 eval '[[ -n $(owner_of "$CO") ]]'
	owner=$(name_of "$(owner_of "$CO")")
	[[ $owner == fa ]] && survivor=fb || survivor=fa
	daemon_use "$owner"
	api PUT "/api/agents/$AGENT/availability" '{"state":"available"}' "$AT" >/dev/null
	assert_status 200
	for i in 1 2 3; do
		api POST /api/calls "{\"queue_id\":\"$Q\",\"caller_number\":\"+1555000000$i\"}" "$MGR" >/dev/null
		assert_status 201
		CALL[$i]=$(jget .id)
	done
	wait_for 10 eval '[[ $(call_state "${CALL[1]}") == offering ]]'
	[[ $(call_state "${CALL[2]}") == queued ]]
	epoch=$(epoch_of "$CO")
	offers=$(sql "SELECT count(*) FROM call_events WHERE call_id = '${CALL[1]}' AND type = 'call.offered'")

	sid=$(node_id "$survivor")
	t0=$(date +%s%N)
	kill -9 "$(<"$CD_TMP/$owner/pid")"
	wait_for 10 held_by "$CO" "$sid"
	t1=$(date +%s%N)
	echo "# company taken over $(( (t1 - t0) / 1000000 )) ms after kill -9" >&3
	rm -f "$CD_TMP/$owner/pid"
	(( $(epoch_of "$CO") > epoch ))

	daemon_use "$survivor"
	# The ringing offer was made again; the waiting calls kept their order.
	wait_for 10 eval '[[ $(sql "SELECT count(*) FROM call_events WHERE call_id = '"'${CALL[1]}'"' AND type = '"'call.offered'"'") -gt $offers ]]'
	sql "SELECT count(*) FROM call_events WHERE call_id = '${CALL[1]}' AND type = 'call.requeued'" | grep -qx 1
	assert_equal "$(call_state "${CALL[1]}")" offering
	api GET "/api/calls/${CALL[2]}" "" "$MGR" >/dev/null
	assert_json .state queued
	assert_json .position 1
	api GET "/api/calls/${CALL[3]}" "" "$MGR" >/dev/null
	assert_json .position 2
	# The agent answers on the new owner.
	api POST "/api/calls/${CALL[1]}/answer" "" "$AT" >/dev/null
	assert_status 200
	assert_json .state connected
	# Nothing was lost: three calls, each in one state.
	assert_equal "$(sql "SELECT count(*) FROM calls WHERE company_id = '$CO'")" 3
	daemon_stop "$survivor"
}

@test "a deleted company's lease is given back" {
	db_create t_t0850_delete
	NODES=(da)
	daemon_start da
	co=$(mkcompany "Short Lived")
	wait_for 10 eval '[[ -n $(owner_of "$co") ]]'
	api DELETE "/api/companies/$co" >/dev/null
	assert_status 204
	wait_for 10 eval '[[ -z $(owner_of "$co") ]]'
	daemon_stop da
}

@test "a clean stop gives the companies back at once; a connected call stays connected" {
	db_create t_t0850_stop
	NODES=(ca cb)
	daemon_start ca
	daemon_start cb
	setup_company stop
	wait_for 10 eval '[[ -n $(owner_of "$CO") ]]'
	owner=$(name_of "$(owner_of "$CO")")
	[[ $owner == ca ]] && survivor=cb || survivor=ca
	daemon_use "$owner"
	api PUT "/api/agents/$AGENT/availability" '{"state":"available"}' "$AT" >/dev/null
	api POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR" >/dev/null
	assert_status 201
	c=$(jget .id)
	wait_for 10 eval '[[ $(call_state "$c") == offering ]]'
	api POST "/api/calls/$c/answer" "" "$AT" >/dev/null
	assert_status 200
	# Given back at the stop: the survivor holds it at its next round
	# (before the stop's lease would have run out).
	epoch=$(epoch_of "$CO")
	daemon_stop "$owner"
	wait_for 10 held_by "$CO" "$(node_id "$survivor")"
	(( $(epoch_of "$CO") > epoch ))
	daemon_use "$survivor"
	assert_equal "$(call_state "$c")" connected
	api POST "/api/calls/$c/hangup" "" "$AT" >/dev/null
	assert_status 200
	assert_json .state wrap_up
	daemon_stop "$survivor"
}

@test "bad company lease settings: one line, exit 1, nothing started" {
	db_create t_t0850_settings
	daemon_run badlease CALLDOCKER_COMPANY_LEASE=0
	assert_equal "$status" 1
	assert_output "calldockerd: company_lease must be above 0 seconds"
	daemon_run badrenew CALLDOCKER_COMPANY_RENEW=2
	assert_equal "$status" 1
	assert_output "calldockerd: company_renew must be above 0 and below company_lease"
	# Refused before it touched the database: not even migrated.
	assert_equal "$(sql "SELECT coalesce(to_regclass('cluster_nodes')::text, '')")" ""
}

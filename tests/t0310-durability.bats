#!/usr/bin/env bats
# Durability: after kill -9 and a restart, waiting calls are back in their
# queues in their original order with their original arrival times, an
# offer in flight is made again, and nothing is lost or duplicated.

load lib/common

setup_file() {
	cd_setup
	CO=$(mkcompany "Durable Co")
	mkuser lead@durable.test manager "$CO" >/dev/null
	MGR=$(login lead@durable.test)
	u=$(mkuser dana@durable.test agent "$CO")
	api POST /api/agents "{\"user_id\":\"$u\"}" "$MGR" >/dev/null
	AG=$(jget .id)
	TA=$(login dana@durable.test)
	api POST /api/queues "{\"name\":\"Durable\",\"ring_timeout\":60,\"members\":[{\"agent_id\":\"$AG\"}]}" "$MGR" >/dev/null
	Q=$(jget .id)
	export CO MGR AG TA Q
	echo main >"$CD_TMP/current"
}
teardown_file() { cd_teardown; }

# Each test talks to the daemon the previous one left running.
setup() { daemon_use "$(<"$CD_TMP/current")"; }

gone() { ! kill -0 "$1" 2>/dev/null; }

# kill -9 the current daemon and start a new one on the same database.
crash_and_restart() {
	local next=gen$RANDOM
	kill -KILL "$CD_PID"
	wait_for 10 gone "$CD_PID"
	rm -f "$CD_DIR/pid"
	daemon_start "$next"
	echo "$next" >"$CD_TMP/current"
}

snapshot() { # the waiting calls: id enqueued_at position, in position order
	api GET "/api/calls?queue_id=$Q&state=queued&limit=500" "" "$MGR" >/dev/null
	jget '[.items[] | {id, enqueued_at, position}] | sort_by(.position) | .[] | "\(.id) \(.enqueued_at) \(.position)"'
}

@test "kill -9: waiting calls return in order with their arrival times" {
	for i in 1 2 3 4 5; do
		api POST /api/calls "{\"queue_id\":\"$Q\",\"caller_number\":\"+1555000$i\",\"priority\":$((i == 4 ? 10 : 0))}" "$MGR" >/dev/null
		assert_status 201
		sleep 1.1	# distinct arrival seconds
	done
	before=$(snapshot)
	[[ $(wc -l <<<"$before") == 5 ]]
	# The priority-10 call is first; the rest in arrival order.
	[[ $(head -1 <<<"$before") == *" 1" ]]
	crash_and_restart
	after=$(snapshot)
	assert_equal "$after" "$before"
	api GET "/api/calls?queue_id=$Q&limit=500" "" "$MGR"
	assert_json '.items | length' 5
}

@test "kill -9 during an offer: the call is offered again, not lost" {
	api PUT "/api/agents/$AG/availability" '{"state":"available"}' "$TA"
	assert_status 200
	# The agent is offered the first waiting call.
	wait_for 3 bash -c "curl -s --unix-socket '$CD_SOCK' -H 'Authorization: Bearer $MGR' \
		'http://localhost/api/calls?queue_id=$Q&state=offering' | jq -e '.items | length == 1' >/dev/null"
	api GET "/api/calls?queue_id=$Q&state=offering" "" "$MGR"
	offered=$(jget '.items[0].id')
	crash_and_restart
	# After the restart the same call is offered again to the agent.
	wait_for 5 bash -c "curl -s --unix-socket '$CD_SOCK' -H 'Authorization: Bearer $MGR' \
		'http://localhost/api/calls/$offered' | jq -e '.state == \"offering\"' >/dev/null"
	api GET "/api/calls/$offered" "" "$MGR"
	assert_json '[.events[].type] | index("call.requeued") != null' true
	api POST "/api/calls/$offered/answer" '{}' "$TA"
	assert_status 200
	assert_json .state connected
	api GET "/api/calls?queue_id=$Q&limit=500" "" "$MGR"
	assert_json '.items | length' 5
	assert_json '[.items[] | select(.state == "queued")] | length' 4
}

@test "kill -9 during a call: it stays connected and the agent busy" {
	api GET "/api/calls?queue_id=$Q&state=connected" "" "$MGR"
	c=$(jget '.items[0].id')
	crash_and_restart
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state connected
	api GET "/api/agents/$AG" "" "$MGR"
	assert_json .state busy
	api POST "/api/calls/$c/hangup" '{}' "$TA"
	assert_json .state wrap_up
	api POST "/api/calls/$c/wrap" '{}' "$TA"
	assert_json .state completed
}

@test "kill -9 with a pause pending during a call: after it the agent goes away" {
	wait_for 5 bash -c "curl -s --unix-socket '$CD_SOCK' -H 'Authorization: Bearer $MGR' \
		'http://localhost/api/calls?queue_id=$Q&state=offering' | jq -e '.items | length == 1' >/dev/null"
	api GET "/api/calls?queue_id=$Q&state=offering" "" "$MGR"
	c=$(jget '.items[0].id')
	api POST "/api/calls/$c/answer" '{}' "$TA"
	assert_json .state connected
	api PUT "/api/agents/$AG/availability" '{"state":"away","reason":"training"}' "$TA"
	assert_json .state busy
	assert_json .pending_state away
	crash_and_restart
	api GET "/api/agents/$AG" "" "$MGR"
	assert_json .state busy
	assert_json .pending_state away
	assert_json .pause_reason training
	api POST "/api/calls/$c/hangup" '{}' "$TA"
	api POST "/api/calls/$c/wrap" '{}' "$TA"
	assert_json .state completed
	api GET "/api/agents/$AG" "" "$MGR"
	assert_json .state away
	assert_json .pause_reason training
	assert_json .pending_state null
	api GET "/api/calls?queue_id=$Q&state=offering" "" "$MGR"
	assert_json '.items | length' 0
}

#!/usr/bin/env bats
# The hourly rollup and agent state time. A history is written with SQL on
# a past day (2026-02-10, UTC) so every hour in it is closed; the figures
# are worked out by hand below and asked of both paths: the rollup
# (?rollup=true, the default) and every call summed live (?rollup=false).
# The suite's daemon runs no refresher; the tests refresh with SQL, and
# the last test restarts the daemon with its refresher on.
#
#  call  enqueued  queue  state      wait  talk  notes
#  k1    09:10     QA     completed     5    60  within QA's 20 s
#  k2    09:40     QA     completed    45   120  held 30 s
#  k3    10:05     QA     abandoned     3     -  a short abandon
#  k4    10:20     QB     completed    12    30  QB's threshold is 10 s
#  k5    10:50     QB     abandoned    30     -
#  k6    11:30     QA     completed     8    40  within
#  k7    11:45     QA     missed      100     -
#  missed offers: k4 rejected 10:21, k7 rang out 11:46 and 12:10.
#  callbacks (by request): k2 09:42 answered 09:43:30 (90 s); k5 10:52
#  failed; k4 10:58 answered 11:00:30 (150 s); k7 11:50, the call missed.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
refresh() { sql "SELECT analytics_rollup_refresh(100000)" >/dev/null; }
caught_up() {
	[[ $(sql "SELECT count(*) FROM analytics_rollup_state WHERE company_id = '$CO'
		AND done_until = date_trunc('hour', now(), 'UTC')") == 1 ]]
}
D=2026-02-10

# Both paths give the same answer (numbers to 1e-9); leaves it in $output.
same() { # PATH-WITH-QUERY
	local a b norm='walk(if type == "number" then (. * 1e9 | round) / 1e9 else . end)'
	api GET "$1&rollup=false" "" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "raw: $status $output" >&2; return 1; }
	a=$(jq -S "$norm" <<<"$output")
	api GET "$1&rollup=true" "" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "rollup: $status $output" >&2; return 1; }
	b=$(jq -S "$norm" <<<"$output")
	if [[ $a != "$b" ]]; then
		echo "the paths differ for $1:" >&2
		diff <(echo "$a") <(echo "$b") >&2
		return 1
	fi
}

setup_file() {
	cd_setup CALLDOCKER_ANALYTICS_ROLLUP_INTERVAL=0
	CO=$(mkcompany "Rollup Co" Europe/Berlin)
	mkuser boss@rollup.test manager "$CO" >/dev/null
	MGR=$(login boss@rollup.test)
	api POST /api/queues '{"name": "QA", "sl_threshold": 20}' "$MGR" >/dev/null
	QA=$(jget .id)
	api POST /api/queues '{"name": "QB", "sl_threshold": 10}' "$MGR" >/dev/null
	QB=$(jget .id)
	sql "INSERT INTO calls (id, company_id, queue_id, state, created_at,
		enqueued_at, answered_at, ended_at, wait_seconds, talk_seconds)
	     SELECT v.id::uuid, '$CO', v.q::uuid, v.st::call_state,
		'$D'::timestamptz + v.t::interval, '$D'::timestamptz + v.t::interval,
		CASE WHEN v.talk IS NOT NULL THEN '$D'::timestamptz + v.t::interval
		    + v.wait * interval '1 second' END,
		'$D'::timestamptz + v.t::interval + interval '5 minutes',
		v.wait, v.talk
	     FROM (VALUES
		('00000000-0000-4000-8000-000000000001', '$QA', 'completed', '09:10', 5, 60),
		('00000000-0000-4000-8000-000000000002', '$QA', 'completed', '09:40', 45, 120),
		('00000000-0000-4000-8000-000000000003', '$QA', 'abandoned', '10:05', 3, NULL),
		('00000000-0000-4000-8000-000000000004', '$QB', 'completed', '10:20', 12, 30),
		('00000000-0000-4000-8000-000000000005', '$QB', 'abandoned', '10:50', 30, NULL),
		('00000000-0000-4000-8000-000000000006', '$QA', 'completed', '11:30', 8, 40),
		('00000000-0000-4000-8000-000000000007', '$QA', 'missed', '11:45', 100, NULL))
		AS v (id, q, st, t, wait, talk);
	     INSERT INTO call_events (call_id, company_id, at, type)
	     SELECT v.id::uuid, '$CO', '$D'::timestamptz + v.t::interval, v.ty
	     FROM (VALUES
		('00000000-0000-4000-8000-000000000002', '09:41:00', 'call.held'),
		('00000000-0000-4000-8000-000000000002', '09:41:30', 'call.resumed'),
		('00000000-0000-4000-8000-000000000004', '10:21', 'call.rejected'),
		('00000000-0000-4000-8000-000000000007', '11:46', 'call.offer_missed'),
		('00000000-0000-4000-8000-000000000007', '12:10', 'call.offer_missed'))
		AS v (id, t, ty);
	     UPDATE calls c SET callback_number = '+15550001234',
		callback_requested_at = '$D'::timestamptz + v.r::interval,
		callback_answered_at = '$D'::timestamptz + v.a::interval,
		callback_state = v.st
	     FROM (VALUES
		('00000000-0000-4000-8000-000000000002', '09:42', '09:43:30', 'answered'),
		('00000000-0000-4000-8000-000000000005', '10:52', NULL, 'failed'),
		('00000000-0000-4000-8000-000000000004', '10:58', '11:00:30', 'answered'),
		('00000000-0000-4000-8000-000000000007', '11:50', NULL, 'waiting'))
		AS v (id, r, a, st) WHERE c.id = v.id::uuid;"
	ALL="from=${D}T09:00:00Z&to=${D}T13:00:00Z"
	PART="from=${D}T09:30:00Z&to=${D}T11:40:00Z"
	export CO MGR QA QB ALL PART
}
teardown_file() { cd_teardown; }

# The figures of the whole day, whichever path answers.
check_all() {
	assert_json .offered 7
	assert_json .answered 4				# k1 k2 k4 k6
	assert_json .abandoned 2			# k3 k5
	assert_json .short_abandons 1			# k3
	assert_json '.abandon_rate * 7 | round' 2
	assert_json .service_level_answered 0.5		# k1 k6 of 4
	assert_json '.service_level_offered * 6 | round' 2	# 2 of 4 + 2
	assert_json .asa 17.5				# (5 + 45 + 12 + 8) / 4
	assert_json .aht 62.5				# (60 + 120 + 30 + 40) / 4
	assert_json .talk_seconds 250
	assert_json .hold_seconds 30
	assert_json .longest_wait 100			# k7
	assert_json .missed_offers 3
}

@test "rollup: the live path before any refresh" {
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_status 200
	check_all
	[[ $(sql "SELECT count(*) FROM analytics_hourly") == 0 ]]
}

@test "rollup: whole hours from the rollup, the edges live, the same figures" {
	refresh
	# Hours 09 to 12 hold rows; nothing is marked dirty.
	[[ $(sql "SELECT count(DISTINCT hour) FROM analytics_hourly WHERE company_id = '$CO'
		AND hour >= '${D}T09:00:00Z' AND hour < '${D}T13:00:00Z'") == 4 ]]
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'") == 0 ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	check_all
	# 09:30-10:00 and 11:00-11:40 live, 10:00-11:00 from the rollup.
	same "/api/analytics/company/$CO/overview?$PART"
	assert_json .offered 5				# k2 to k6
	assert_json .answered 3				# k2 k4 k6
	assert_json .abandoned 2
	assert_json '.asa * 3 | round' 65		# 45 + 12 + 8
	assert_json '.aht * 3 | round' 190		# 120 + 30 + 40
	assert_json .hold_seconds 30
	assert_json .longest_wait 45
	assert_json .missed_offers 1			# 10:21
	# A long range (its hold found by another plan than a short one's).
	same "/api/analytics/company/$CO/overview?from=2026-02-08T00:00:00Z&to=2026-02-12T00:00:00Z"
	check_all
	same "/api/analytics/company/$CO/overview?$ALL&queue_id=$QB"
	assert_json .offered 2
	assert_json .missed_offers 1
	assert_json .service_level_answered 0		# 12 s > 10 s
}

@test "rollup: the rollup is what answers whole hours" {
	# Tamper with hour 10's total and QA rows: only the rollup path sees it.
	sql "UPDATE analytics_hourly SET offered = offered + 1000
	     WHERE company_id = '$CO' AND hour = '${D}T10:00:00Z'
	     AND (all_queues OR queue_id = '$QA')"
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_json .offered 1007
	api GET "/api/analytics/company/$CO/overview?$ALL&queue_id=$QA" "" "$MGR"
	assert_json .offered 1005
	api GET "/api/analytics/company/$CO/overview?$ALL&rollup=false" "" "$MGR"
	assert_json .offered 7
	# Not from a range that cuts hour 10.
	api GET "/api/analytics/company/$CO/overview?from=${D}T10:00:01Z&to=${D}T11:00:00Z" "" "$MGR"
	assert_json .offered 3				# k3 k4 k5
	sql "UPDATE analytics_hourly SET offered = offered - 1000
	     WHERE company_id = '$CO' AND hour = '${D}T10:00:00Z'
	     AND (all_queues OR queue_id = '$QA')"
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_json .offered 7
	api GET "/api/analytics/company/$CO/overview?$ALL&rollup=maybe" "" "$MGR"
	assert_problem 400 bad_request
}

@test "rollup: buckets, peak hours and breaching queues, Berlin and Kolkata" {
	same "/api/analytics/company/$CO/calls?$ALL&interval=hour"
	assert_json '[.items[].offered] | join(",")' "2,3,2,0"
	assert_json '[.items[].missed_offers] | join(",")' "0,1,1,1"
	same "/api/analytics/company/$CO/calls?from=${D}T00:00:00Z&to=2026-02-13T00:00:00Z&interval=day"
	assert_json '[.items[].offered] | join(",")' "7,0,0,0"	# Berlin days: from Feb 9 23:00 UTC
	same "/api/analytics/company/$CO/calls?from=2026-02-02T00:00:00Z&to=2026-02-20T00:00:00Z&interval=week"
	assert_json '[.items[].offered] | add' 7
	same "/api/analytics/company/$CO/insights?$ALL"
	assert_json '.peak_hours | tojson' '[{"hour":11,"offered":3},{"hour":10,"offered":2},{"hour":12,"offered":2}]'
	assert_json '[.queues_breaching[].name] | join(",")' "QA,QB"
	# +05:30: no UTC hour is one local hour, so buckets are all live.
	api PUT "/api/companies/$CO" '{"timezone": "Asia/Kolkata"}' "$MGR"
	assert_status 200
	same "/api/analytics/company/$CO/calls?$ALL&interval=hour"
	# Local 14:40 (k1); 15:10, 15:35, 15:50; 16:20; 17:00, 17:15.
	assert_json '[.items[].offered] | join(",")' "1,3,1,2,0"
	same "/api/analytics/company/$CO/insights?$ALL"
	same "/api/analytics/company/$CO/overview?$ALL"
	check_all
	api PUT "/api/companies/$CO" '{"timezone": "Europe/Berlin"}' "$MGR"
	assert_status 200
}

@test "rollup: a changed call, threshold or deleted queue shows at once" {
	# A closed call corrected: hour 09 goes dirty and is summed live.
	sql "UPDATE calls SET wait_seconds = 50
	     WHERE id = '00000000-0000-4000-8000-000000000001'"
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'
		AND hour = '${D}T09:00:00Z'") -ge 1 ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .asa 28.75				# (50 + 45 + 12 + 8) / 4
	assert_json .service_level_answered 0.25	# k6 only
	refresh
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'") == 0 ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .asa 28.75
	assert_json .hold_seconds 30			# hour 09 recomputed alone
	# QB's threshold to 15 s: k4 (12 s) is now within.
	api PUT "/api/queues/$QB" '{"sl_threshold": 15}' "$MGR"
	assert_status 200
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .service_level_answered 0.5
	refresh
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .service_level_answered 0.5
	# A missed offer written late into a closed hour.
	sql "INSERT INTO call_events (call_id, company_id, at, type) VALUES
	     ('00000000-0000-4000-8000-000000000007', '$CO', '${D}T10:30:00Z', 'call.offer_missed')"
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .missed_offers 4
	# QB deleted: its calls keep counting with no queue (20 s threshold).
	api DELETE "/api/queues/$QB" "" "$MGR"
	assert_status 204
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .offered 7
	assert_json .service_level_answered 0.5
	same "/api/analytics/company/$CO/overview?$ALL&queue_id=$QB"
	assert_json .offered 0
	refresh
	same "/api/analytics/company/$CO/overview?$ALL&queue_id=$QB"
	assert_json .offered 0
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .offered 7
	# Never a double count: the rows add up to the calls.
	[[ $(sql "SELECT sum(offered) FROM analytics_hourly WHERE company_id = '$CO'
		GROUP BY all_queues") == $'7\n7' ]]
}

@test "rollup: a call in progress keeps its hour live" {
	sql "INSERT INTO calls (id, company_id, queue_id, state, created_at, enqueued_at)
	     VALUES ('00000000-0000-4000-8000-000000000008', '$CO', '$QA', 'queued',
		'${D}T12:30:00Z', '${D}T12:30:00Z')"
	refresh
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'
		AND hour = '${D}T12:00:00Z'") -ge 1 ]]
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_json .offered 8
	assert_json '.longest_wait > 86400' true	# still waiting, months on
	sql "UPDATE calls SET state = 'abandoned', wait_seconds = 20
	     WHERE id = '00000000-0000-4000-8000-000000000008'"
	refresh
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'") == 0 ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .offered 8
	assert_json .abandoned 3
	assert_json .longest_wait 100
}

@test "rollup: callbacks by their request's hour, the same on both paths, in the buckets too" {
	refresh
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .callbacks.requested 4
	assert_json .callbacks.completed 2		# k2 k4
	assert_json .callbacks.failed 1			# k5
	assert_json .callbacks.pending 0		# k7's call is over
	assert_json .callbacks.time_to_callback 120	# (90 + 150) / 2
	same "/api/analytics/company/$CO/overview?$PART"
	assert_json .callbacks.requested 3		# not k7's 11:50
	assert_json .callbacks.completed 2
	same "/api/analytics/company/$CO/overview?$ALL&queue_id=$QA"
	assert_json .callbacks.requested 2		# k2 k7 (QB is gone)
	assert_json .callbacks.completed 1
	assert_json .callbacks.failed 0
	assert_json .callbacks.time_to_callback 90
	same "/api/analytics/company/$CO/calls?$ALL&interval=hour"
	assert_json '[.items[].callbacks.requested] | join(",")' "1,2,1,0"
	assert_json '[.items[].callbacks.completed] | join(",")' "1,1,0,0"
	assert_json '[.items[].callbacks.failed] | join(",")' "0,1,0,0"
	assert_json '[.items[].callbacks.time_to_callback] | map(tostring) | join(",")' "90,150,null,null"
	same "/api/analytics/company/$CO/calls?from=${D}T00:00:00Z&to=2026-02-13T00:00:00Z&interval=day"
	assert_json '[.items[].callbacks.requested] | join(",")' "4,0,0,0"
	# The rollup holds them: hour 10's rows answer on the rollup path.
	[[ $(sql "SELECT cb_requested || ' ' || cb_completed || ' ' || cb_failed || ' ' || cb_ttc_sum || ' ' || cb_ttc_n
		FROM analytics_hourly WHERE company_id = '$CO' AND all_queues
		AND hour = '${D}T10:00:00Z'") == "2 1 1 150 1" ]]
	sql "UPDATE analytics_hourly SET cb_requested = cb_requested + 100
	     WHERE company_id = '$CO' AND hour = '${D}T10:00:00Z' AND all_queues"
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_json .callbacks.requested 104
	api GET "/api/analytics/company/$CO/overview?$ALL&rollup=false" "" "$MGR"
	assert_json .callbacks.requested 4
	sql "UPDATE analytics_hourly SET cb_requested = cb_requested - 100
	     WHERE company_id = '$CO' AND hour = '${D}T10:00:00Z' AND all_queues"
	# Never a double count: the rows add up to the callbacks.
	[[ $(sql "SELECT sum(cb_requested) FROM analytics_hourly WHERE company_id = '$CO'
		GROUP BY all_queues") == $'4\n4' ]]
}

@test "rollup: a pending callback keeps its request's hour live; its end shows at once" {
	# Requested at 12:40 by a call that came in at 09:05 and still waits.
	sql "INSERT INTO calls (id, company_id, queue_id, state, created_at, enqueued_at,
		callback_number, callback_requested_at, callback_state)
	     VALUES ('00000000-0000-4000-8000-000000000009', '$CO', '$QA', 'queued',
		'${D}T09:05:00Z', '${D}T09:05:00Z', '+15550004321', '${D}T12:40:00Z', 'waiting')"
	refresh
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'
		AND hour = '${D}T12:00:00Z'") -ge 1 ]]
	# (Its wait grows while it waits: the paths differ in that alone.)
	api GET "/api/analytics/company/$CO/overview?$ALL" "" "$MGR"
	assert_json .callbacks.requested 5
	assert_json .callbacks.pending 1
	api GET "/api/analytics/company/$CO/calls?$ALL&interval=hour" "" "$MGR"
	assert_json '[.items[].callbacks.pending] | join(",")' "0,0,0,1"
	# Its last dial reached nobody: failed.
	sql "UPDATE calls SET state = 'failed', callback_state = 'failed', wait_seconds = 40
	     WHERE id = '00000000-0000-4000-8000-000000000009'"
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .callbacks.pending 0
	assert_json .callbacks.failed 2
	refresh
	[[ $(sql "SELECT count(*) FROM analytics_dirty WHERE company_id = '$CO'") == 0 ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .callbacks.requested 5
	assert_json .callbacks.failed 2
	assert_json .callbacks.pending 0
	[[ $(sql "SELECT cb_failed FROM analytics_hourly WHERE company_id = '$CO' AND all_queues
		AND hour = '${D}T12:00:00Z'") == 1 ]]
	sql "DELETE FROM calls WHERE id = '00000000-0000-4000-8000-000000000009'"
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .callbacks.requested 4
	refresh
}

@test "agents: time per state, occupancy and away reasons from the state log" {
	u=$(mkuser ada@rollup.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	A=$(jget .id)
	sql "INSERT INTO agent_state_log (agent_id, company_id, state, reason, at)
	     SELECT '$A', '$CO', v.s::agent_state, v.r, '$D'::timestamptz + v.t::interval
	     FROM (VALUES ('08:00', 'available', NULL), ('09:00', 'offering', NULL),
		('09:00:10', 'busy', NULL), ('09:10:10', 'wrap_up', NULL),
		('09:11:10', 'available', NULL), ('10:00', 'away', 'lunch'),
		('10:30', 'available', NULL), ('11:00', 'away', 'meeting'),
		('11:15', 'offline', NULL)) AS v (t, s, r)"
	api GET "/api/analytics/company/$CO/agents/performance?from=${D}T09:00:00Z&to=${D}T11:30:00Z" "" "$MGR"
	assert_status 200
	sel=".items[] | select(.agent_id == \"$A\")"
	assert_json "$sel | .state_seconds.offering" 10
	assert_json "$sel | .state_seconds.busy" 600
	assert_json "$sel | .state_seconds.wrap_up" 60
	assert_json "$sel | .state_seconds.available" 4730	# 2930 + 1800
	assert_json "$sel | .state_seconds.away" 2700
	assert_json "$sel | .state_seconds.offline" 900
	assert_json "$sel | .staffed_seconds" 8100
	assert_json "$sel | .occupancy * 5400 | round" 660	# (600 + 60) / 5400
	assert_json "$sel | .away_reasons | tojson" \
		'[{"reason":"lunch","seconds":1800},{"reason":"meeting","seconds":900}]'
	# The state at "from" is the last change before it: available.
	api GET "/api/analytics/company/$CO/agents/performance?from=${D}T09:30:00Z&to=${D}T10:00:00Z" "" "$MGR"
	assert_json "$sel | .state_seconds.available" 1800
	assert_json "$sel | .occupancy" 0
	# Before the first change nothing is known.
	api GET "/api/analytics/company/$CO/agents/performance?from=${D}T06:00:00Z&to=${D}T07:00:00Z" "" "$MGR"
	assert_json "$sel | .staffed_seconds" 0
	assert_json "$sel | .occupancy" null
}

@test "rollup: the daemon's refresher catches up after a restart, once" {
	sql "DELETE FROM analytics_hourly; DELETE FROM analytics_rollup_state;"
	daemon_stop
	daemon_start main CALLDOCKER_ANALYTICS_ROLLUP_INTERVAL=1
	wait_for 20 caught_up
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .offered 8
	# Another daemon (or node) refreshing too never adds a call twice.
	daemon_stop
	daemon_start main CALLDOCKER_ANALYTICS_ROLLUP_INTERVAL=1
	refresh
	refresh
	[[ $(sql "SELECT sum(offered) FROM analytics_hourly WHERE company_id = '$CO'
		GROUP BY all_queues") == $'8\n8' ]]
	same "/api/analytics/company/$CO/overview?$ALL"
	assert_json .offered 8
}

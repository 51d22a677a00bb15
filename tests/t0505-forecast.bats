#!/usr/bin/env bats
# The staffing forecast: GET /api/queues/:id/forecast and
# calldocker queues forecast. A history is written with SQL around a fixed
# time (?at=2026-03-03T10:10:00Z, a Tuesday, the company in UTC) so the
# figures are worked out by hand:
#
#  the last hour (09:10-10:10)    200 calls: 100 per half hour
#  10:00-10:30 on 02-24 and 02-17 100 calls each: a mean of 100
#  10:30-11:00 on 02-24 and 02-17  50 calls each: a mean of 50
#  10:30-11:00 on 02-10          1000 calls, before the queue began
#                                 (created 02-12): not counted
#  every call answered after 5 s, talk 170 s, the queue's wrap_up 10 s:
#  a handle time of 180 s
#
# So now is 100 calls per 30 minutes at 180 s: Call Centre Helper's worked
# example (10 erlangs, 80% within 20 s needs 14 agents; 14 agents answer
# 88.8% within 20 s, 17.4% wait, ASA 7.8 s). Half hour 10:00 blends
# 0.5 * 100 + 0.5 * 100 = 100 calls, the same; 10:30 blends
# 0.5 * 100 + 0.5 * 50 = 75 calls: 7.5 erlangs, 11 agents needed (Erlang C
# gives 88.1% with 11, below 80% with 10). 14 agents are signed in.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
AT=2026-03-03T10:10:00Z

# calls QUEUE START COUNT: COUNT answered calls from START, a second apart.
calls() {
	sql "INSERT INTO calls (company_id, queue_id, state, created_at,
		enqueued_at, answered_at, ended_at, wait_seconds, talk_seconds)
	     SELECT '$CO', '$1', 'completed', t, t, t + interval '5 seconds',
		t + interval '175 seconds', 5, 170
	     FROM (SELECT '$2'::timestamptz + g * interval '1 second' AS t
		FROM generate_series(0, $3 - 1) g) x"
}

setup_file() {
	cd_setup
	CO=$(mkcompany "Forecast Co" UTC)
	mkuser boss@forecast.test manager "$CO" >/dev/null
	MGR=$(login boss@forecast.test)
	local members=() u a
	for i in $(seq 1 14); do
		u=$(mkuser "a$i@forecast.test" agent "$CO")
		api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
		a=$(jget .id)
		members+=("$a")
		api PUT "/api/agents/$a/availability" '{"state":"available"}' \
			"$(login "a$i@forecast.test")" >/dev/null
		[[ $status == 200 ]] || { echo "availability: $status $output" >&2; return 1; }
	done
	# One more member, offline: not counted as staffed.
	u=$(mkuser off@forecast.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	members+=("$(jget .id)")
	api POST /api/queues "$(printf '%s\n' "${members[@]}" | jq -R '{agent_id: .}' |
		jq -sc '{name: "Sales", sl_threshold: 20, wrap_up: 10, members: .}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "queue: $status $output" >&2; return 1; }
	Q=$(jget .id)
	api POST /api/queues '{"name": "Empty"}' "$MGR" >/dev/null
	QE=$(jget .id)
	# Created now: its past weeks do not count, only the last hour.
	api POST /api/queues '{"name": "Fresh", "wrap_up": 10}' "$MGR" >/dev/null
	QF=$(jget .id)
	calls "$QF" 2026-03-03T09:10:00Z 200
	# None answered in the last hour: the handle time of the day before.
	api POST /api/queues '{"name": "Late", "wrap_up": 10}' "$MGR" >/dev/null
	QL=$(jget .id)
	sql "INSERT INTO calls (company_id, queue_id, state, created_at,
		enqueued_at, answered_at, ended_at, wait_seconds, talk_seconds)
	     SELECT '$CO', '$QL', 'completed', t, t, t + interval '5 seconds',
		t + interval '300 seconds', 5, 290
	     FROM (SELECT '2026-03-03T07:00:00Z'::timestamptz + g * interval '1 minute'
		AS t FROM generate_series(0, 3) g) x;
	     INSERT INTO calls (company_id, queue_id, state, created_at,
		enqueued_at, ended_at, wait_seconds)
	     SELECT '$CO', '$QL', 'abandoned', t, t, t + interval '30 seconds', 30
	     FROM (SELECT '2026-03-03T09:30:00Z'::timestamptz + g * interval '1 minute'
		AS t FROM generate_series(0, 9) g) x"
	sql "UPDATE queues SET created_at = '2026-02-12T00:00:00Z' WHERE id = '$Q'"
	calls "$Q" 2026-03-03T09:10:00Z 200
	calls "$Q" 2026-02-24T10:00:00Z 100
	calls "$Q" 2026-02-17T10:00:00Z 100
	calls "$Q" 2026-02-24T10:30:00Z 50
	calls "$Q" 2026-02-17T10:30:00Z 50
	calls "$Q" 2026-02-10T10:30:00Z 1000
	OTHER=$(mkcompany "Other Co")
	mkuser boss@other.test manager "$OTHER" >/dev/null
	OMGR=$(login boss@other.test)
	mkuser agent@forecast.test agent "$CO" >/dev/null
	AGT=$(login agent@forecast.test)
	export CO MGR Q QE QF QL OMGR AGT
}

teardown_file() { cd_teardown; }

# jq -e on the last answer, with the answer shown when it fails.
check() { jq -e "$1" <<<"$output" >/dev/null || { echo "$1: $output" >&2; return 1; }; }
# |a - b| <= tol in jq.
near() { echo "(($1) - ($2) | fabs) <= $3"; }

@test "forecast now: the published example (10 erlangs, 14 agents needed and staffed)" {
	api GET "/api/queues/$Q/forecast?at=$AT&hours=1" "" "$MGR"
	assert_status 200
	check ".queue_id == \"$Q\" and .at == \"$AT\" and .model == \"erlang_c\""
	check '.sl_threshold == 20 and .sl_target == 0.8 and .staffed == 14'
	check '.aht == 180 and .recent_calls == 200 and .hours == 1'
	check '.now.arrivals_per_hour == 200 and .now.traffic == 10'
	check '.now.agents_needed == 14'
	check "$(near .now.at_needed.service_level 0.888 0.0005)"
	check "$(near .now.staffed.service_level 0.888 0.0005)"
	check "$(near .now.staffed.p_wait 0.174 0.0005)"
	check "$(near .now.staffed.asa 7.8 0.05)"
	check "$(near .now.staffed.occupancy 0.714 0.0005)"
	check '.now.staffed.overloaded == false'
}

@test "forecast slots: same weekdays blended with the last hour, weeks before the queue not counted" {
	api GET "/api/queues/$Q/forecast?at=$AT&hours=1" "" "$MGR"
	assert_status 200
	check '.slots | length == 2'
	check '.slots[0].start == "2026-03-03T10:00:00Z" and .slots[0].end == "2026-03-03T10:30:00Z"'
	check '.slots[1].start == "2026-03-03T10:30:00Z" and .slots[1].end == "2026-03-03T11:00:00Z"'
	check '.slots[0].history_weeks == 2 and .slots[1].history_weeks == 2'
	check '.slots[0].arrivals_per_hour == 200 and .slots[0].agents_needed == 14'
	check '.slots[1].arrivals_per_hour == 150 and .slots[1].traffic == 7.5'
	check '.slots[1].agents_needed == 11'
	check "$(near .slots[1].at_needed.service_level 0.8808 0.0005)"
	check "$(near .slots[1].staffed.service_level 0.9882 0.0005)"
	api GET "/api/queues/$Q/forecast?at=$AT" "" "$MGR"
	check '.hours == 4 and (.slots | length) == 8'
	# Only the last hour, no past week answered: its handle time alone.
	api GET "/api/queues/$QF/forecast?at=$AT&hours=2" "" "$MGR"
	assert_status 200
	check '.aht == 180 and .staffed == 0 and .now.agents_needed == 14'
	check '[.slots[] | .history_weeks] == [0, 0, 0, 0]'
	check '[.slots[] | .agents_needed] == [14, 14, 14, 14]'
	check '.now.staffed.overloaded and .now.staffed.asa == null'
	api GET "/api/queues/$QL/forecast?at=$AT&hours=1" "" "$MGR"
	assert_status 200
	check '.aht == 300 and .recent_calls == 10 and .now.arrivals_per_hour == 10'
	check "$(near .now.traffic '10 * 300 / 3600' 1e-9)"
}

@test "calldocker queues forecast: table, csv, json and usage errors" {
	run cli --token "$MGR" queues forecast "$Q" --at "$AT" --hours 1
	assert_success
	[[ $output == *START*CALLS/H*ERLANGS*NEEDED*STAFFED*SL-STAFFED*ASA-STAFFED* ]]
	[[ $output == *"2026-03-03T10:30:00Z"* ]]
	[[ $output == *"goal 80% within 20 s; handle time 180 s; 14 agents signed in"* ]]
	run cli --token "$MGR" queues forecast "$Q" --at "$AT" --hours 1 -o csv --no-headers
	assert_success
	assert_equal "${lines[0]}" "now,200.00,10.00,14,14,0.89,0.17,7.84"
	assert_equal "${lines[1]}" "2026-03-03T10:00:00Z,200.00,10.00,14,14,0.89,0.17,7.84"
	assert_equal "${lines[2]}" "2026-03-03T10:30:00Z,150.00,7.50,11,14,0.99,0.02,0.67"
	assert_equal "${#lines[@]}" 3
	run cli --token "$MGR" queues forecast "$Q" --at "$AT" -o json
	assert_success
	check '.now.agents_needed == 14 and (.slots | length) == 8'
	run cli --token "$MGR" queues forecast "$Q" --hours 0
	assert_failure
	[[ $output == *hours* ]]
	run cli --token "$OMGR" queues forecast "$Q"
	assert_failure
	[[ $output == *"no such queue"* ]]
	run cli --token "$MGR" queues forecast
	assert_failure 2
}

@test "forecast: an empty queue needs no one; too few agents is overloaded" {
	api GET "/api/queues/$QE/forecast" "" "$MGR"
	assert_status 200
	check '.aht == null and .staffed == 0 and .now.arrivals_per_hour == 0'
	check '.now.agents_needed == 0 and .now.staffed.service_level == 1'
	check '.slots | length == 8 and all(.[]; .agents_needed == 0 and .history_weeks == 0)'
	# The queue's calls of the last hour without the agents: overloaded.
	sql "DELETE FROM queue_members WHERE queue_id = '$Q'
	     AND agent_id IN (SELECT agent_id FROM queue_members WHERE queue_id = '$Q' LIMIT 6)"
	api GET "/api/queues/$Q/forecast?at=$AT&hours=1" "" "$MGR"
	assert_status 200
	check '.staffed <= 9 and .now.staffed.overloaded == true'
	check '.now.staffed.asa == null and .now.staffed.service_level == 0'
	check '.now.agents_needed == 14'
}

@test "forecast: bad input, roles and other companies" {
	api GET "/api/queues/$Q/forecast?hours=0" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/queues/$Q/forecast?hours=25" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/queues/$Q/forecast?hours=2x" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/queues/$Q/forecast?at=yesterday" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/queues/$Q/forecast" "" "$OMGR"
	assert_problem 404 not_found
	api GET "/api/queues/00000000-0000-4000-8000-000000000000/forecast" "" "$MGR"
	assert_problem 404 not_found
	api GET "/api/queues/$Q/forecast" "" "$AGT"
	assert_status 403
	api --tcp GET "/api/queues/$Q/forecast"
	assert_problem 401 unauthorized
	# The socket's local admin sees every company's queues.
	api GET "/api/queues/$Q/forecast"
	assert_status 200
}

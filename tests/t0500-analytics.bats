#!/usr/bin/env bats
# Analytics over a small history built through the API: five calls through
# one queue (answered fast, answered slowly with a hold, abandoned twice, one
# rejected and one ring timeout on the way) and a caller who hangs up in the
# IVR. The waits and talk times are then pinned with SQL so every figure is
# exact; the expected values are worked out by hand in the comments.

load lib/common

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

call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }
agent_is() { api GET "/api/agents/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

newcall() { # -> call id
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_number: "+15550100", caller_name: "Doe, \"J\""}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "newcall: $status $output" >&2; return 1; }
	jget .id
}

act() { # TOKEN CALL ACTION
	api POST "/api/calls/$2/$3" '{}' "$1" >/dev/null
	[[ $status == 200 ]] || { echo "$3 $2: $status $output" >&2; return 1; }
}

# An answered call: offered to AGENT, answered, optionally held, ended.
answered() { # TOKEN AGENT [hold]
	local c
	avail "$1" "$2" available
	c=$(newcall)
	wait_for 5 call_is "$c" offering
	act "$1" "$c" answer
	if [[ ${3-} == hold ]]; then
		act "$1" "$c" hold
		sleep 0.3
		act "$1" "$c" resume
	fi
	act "$1" "$c" hangup
	act "$1" "$c" wrap
	wait_for 5 agent_is "$2" available
	avail "$1" "$2" offline
	echo "$c"
}

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_setup
	CO=$(mkcompany "Stats Co" Europe/Berlin)
	mkuser boss@stats.test manager "$CO" >/dev/null
	MGR=$(login boss@stats.test)
	A1=$(mkagent ann@stats.test)
	A2=$(mkagent bob@stats.test)
	T1=$(login ann@stats.test)
	T2=$(login bob@stats.test)
	OTHER=$(mkcompany "Other Stats Co")
	mkuser eve@other-stats.test manager "$OTHER" >/dev/null
	EVE=$(login eve@other-stats.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" --arg b "$A2" '{name: "Stats",
		sl_threshold: 20, ring_timeout: 1, wrap_up: 0, miss_limit: 1,
		members: [{agent_id: $a}, {agent_id: $b}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	export CO MGR A1 A2 T1 T2 EVE Q

	# c1: answered fast by Ann.
	C1=$(answered "$T1" "$A1")
	# c2: answered slowly by Ann, with a hold.
	C2=$(answered "$T1" "$A1" hold)
	# c3: nobody there; the caller gives up.
	C3=$(newcall)
	act "$MGR" "$C3" hangup
	# c4: Bob rejects (and goes away: miss_limit 1), then Ann answers.
	avail "$T2" "$A2" available
	C4=$(newcall)
	wait_for 5 call_is "$C4" offering
	act "$T2" "$C4" reject
	wait_for 5 agent_is "$A2" away
	avail "$T1" "$A1" available
	wait_for 5 call_is "$C4" offering
	act "$T1" "$C4" answer
	act "$T1" "$C4" hangup
	act "$T1" "$C4" wrap
	wait_for 5 agent_is "$A1" available
	avail "$T1" "$A1" offline
	# c5: Bob lets it ring out (1 s), then the caller gives up.
	avail "$T2" "$A2" available
	C5=$(newcall)
	wait_for 5 call_is "$C5" offering
	wait_for 5 agent_is "$A2" away
	act "$MGR" "$C5" hangup
	# An IVR caller who hangs up at the menu: never offered to a queue.
	printf '%s\n' 'name: Stats line' 'start: welcome' 'nodes:' \
		'  welcome:' '    type: say' '    text: Hello.' '    next: menu' \
		'  menu:' '    type: menu' '    prompt: Press 1.' '    options:' \
		'      1: stats' '    timeout: 5' '    on_timeout: menu' \
		'    on_invalid: menu' '  stats:' '    type: queue' '    queue: Stats' \
		>"$CD_TMP/flow.yaml"
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" \
		"@$CD_TMP/flow.yaml" "$MGR" >/dev/null
	api POST "/api/ivr/$(jget .id)/activate" '{"entry": true}' "$MGR" >/dev/null
	api POST /api/calls '{"ivr": true}' "$MGR" >/dev/null
	C6=$(jget .id)
	api POST "/api/calls/$C6/ivr/input" '{"type": "hangup"}' "$MGR" >/dev/null

	# Pin the figures: waits 5, 45, 3, 10, 30; talk 60, 120, -, 30, -.
	sql "UPDATE calls SET wait_seconds = 5, talk_seconds = 60 WHERE id = '$C1';
	     UPDATE calls SET wait_seconds = 45, talk_seconds = 120 WHERE id = '$C2';
	     UPDATE calls SET wait_seconds = 3 WHERE id = '$C3';
	     UPDATE calls SET wait_seconds = 10, talk_seconds = 30 WHERE id = '$C4';
	     UPDATE calls SET wait_seconds = 30 WHERE id = '$C5';"
	# A range of whole hours around now (the company is on Europe/Berlin,
	# a whole-hour offset, so these are three hour buckets there too).
	H=$(date -u +%Y-%m-%dT%H:00:00Z)
	FROM=$(date -u -d "$H - 1 hour" +%Y-%m-%dT%H:%M:%SZ)
	TO=$(date -u -d "$H + 2 hours" +%Y-%m-%dT%H:%M:%SZ)
	R="from=$FROM&to=$TO"
	export C1 C2 C3 C4 C5 C6 FROM TO R
}
teardown_file() { cd_teardown; }

@test "overview: exact KPIs of the history" {
	api GET "/api/analytics/company/$CO/overview?$R" "" "$MGR"
	assert_status 200
	assert_json .timezone Europe/Berlin
	assert_json .from "$FROM"
	assert_json .offered 5
	assert_json .answered 3
	assert_json .abandoned 2
	assert_json .short_abandons 1			# c3 (3 s); c5 waited 30 s
	assert_json .abandon_rate 0.4			# 2 / 5
	assert_json '.service_level_answered * 3 | round' 2	# c1, c4 of 3 answered
	assert_json .service_level_offered 0.4		# 2 / (3 + 2)
	assert_json .asa 20				# (5 + 45 + 10) / 3
	assert_json .aht 70				# (60 + 120 + 30) / 3
	assert_json .talk_seconds 210
	assert_json .longest_wait 45
	assert_json .missed_offers 2			# c4 rejected, c5 rang out
	assert_json '.hold_seconds > 0 and .hold_seconds < 10' true
	# One queue filter: the same; another (unknown) queue: nothing.
	api GET "/api/analytics/company/$CO/overview?$R&queue_id=$Q" "" "$MGR"
	assert_json .offered 5
	assert_json .queue_id "$Q"
	api GET "/api/analytics/company/$CO/overview?$R&queue_id=$C1" "" "$MGR"
	assert_json .offered 0
	assert_json .abandon_rate null
	assert_json .missed_offers 0
	# The default range is today in the company's time zone.
	api GET "/api/analytics/company/$CO/overview" "" "$MGR"
	assert_status 200
	assert_json .timezone Europe/Berlin
}

@test "calls: bucketed by hour and by day in the company's time zone" {
	api GET "/api/analytics/company/$CO/calls?$R&interval=hour" "" "$MGR"
	assert_status 200
	assert_json .interval hour
	assert_json '.items | length' 3
	assert_json '[.items[].offered] | add' 5
	assert_json '[.items[].missed_offers] | add' 2
	assert_json '.items[0].start' "$FROM"
	# Three Berlin days in winter: each starts at 23:00 UTC.
	api GET "/api/analytics/company/$CO/calls?from=2026-01-10T00:00:00%2B01:00&to=2026-01-13T00:00:00%2B01:00&interval=day" "" "$MGR"
	assert_status 200
	assert_json '.items | length' 3
	assert_json '[.items[].start] | join(",")' \
		"2026-01-09T23:00:00Z,2026-01-10T23:00:00Z,2026-01-11T23:00:00Z"
	assert_json '.items[0].offered' 0
	assert_json '.items[0].asa' null
	api GET "/api/analytics/company/$CO/calls?from=2026-01-05T00:00:00%2B01:00&to=2026-01-26T00:00:00%2B01:00&interval=week" "" "$MGR"
	assert_json '.items | length' 3
	assert_json '.items[0].start' 2026-01-04T23:00:00Z	# a Monday in Berlin
	api GET "/api/analytics/company/$CO/calls?$R&interval=month" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/analytics/company/$CO/calls?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=hour" "" "$MGR"
	assert_problem 400 bad_request
}

@test "agents: handled, AHT, offers and misses per agent" {
	api GET "/api/analytics/company/$CO/agents/performance?$R" "" "$MGR"
	assert_status 200
	assert_json '.items | length' 2
	assert_json ".items[] | select(.agent_id == \"$A1\") | .handled" 3
	assert_json ".items[] | select(.agent_id == \"$A1\") | .aht" 70
	assert_json ".items[] | select(.agent_id == \"$A1\") | .talk_seconds" 210
	assert_json ".items[] | select(.agent_id == \"$A1\") | .offers" 3
	assert_json ".items[] | select(.agent_id == \"$A1\") | .missed_offers" 0
	assert_json ".items[] | select(.agent_id == \"$A1\") | .state" offline
	assert_json ".items[] | select(.agent_id == \"$A1\") | .occupancy > 0" true
	assert_json ".items[] | select(.agent_id == \"$A2\") | .handled" 0
	assert_json ".items[] | select(.agent_id == \"$A2\") | .aht" null
	assert_json ".items[] | select(.agent_id == \"$A2\") | .offers" 2
	assert_json ".items[] | select(.agent_id == \"$A2\") | .missed_offers" 2
	assert_json ".items[] | select(.agent_id == \"$A2\") | .miss_rate" 1
	assert_json ".items[] | select(.agent_id == \"$A2\") | .state" away
	# Time per state from the state log: Ann talked, Bob was sent away.
	assert_json ".items[] | select(.agent_id == \"$A1\") | .state_seconds.busy > 0" true
	assert_json ".items[] | select(.agent_id == \"$A1\") | .staffed_seconds > 0" true
	assert_json ".items[] | select(.agent_id == \"$A2\") | .state_seconds.away > 0" true
	assert_json ".items[] | select(.agent_id == \"$A2\") | .away_reasons[0].reason" "missed offers"
	assert_json ".items[] | select(.agent_id == \"$A2\") | .occupancy" 0
}

@test "insights: peak hours, breaching queues, missing agents, IVR drop-outs" {
	api GET "/api/analytics/company/$CO/insights?$R" "" "$MGR"
	assert_status 200
	assert_json '[.peak_hours[].offered] | add' 5
	assert_json '.queues_breaching | length' 1
	assert_json '.queues_breaching[0].queue_id' "$Q"
	assert_json '.queues_breaching[0].service_level' 0.4
	assert_json '[.high_miss_agents[].agent_id] | join(",")' "$A2"
	assert_json '.ivr_dropouts | tojson' '[{"node":"menu","abandoned":1}]'
}

@test "export: every call as CSV and as JSON" {
	api GET "/api/analytics/company/$CO/export?$R" "" "$MGR"
	assert_status 200
	[[ $(header content-type) == text/csv* ]]
	[[ $(head -n1 <<<"$output" | tr -d '\r') == id,queue_id,agent_id,state,direction,media,caller_number,caller_name,priority,disposition,created_at,enqueued_at,answered_at,ended_at,wait_seconds,talk_seconds ]]
	# Six calls (the IVR one too), one per line: the quoted name has no newline.
	[[ $(wc -l <"$CD_TMP/resp.body") == 7 ]]
	grep -qF '"Doe, ""J"""' "$CD_TMP/resp.body"
	api GET "/api/analytics/company/$CO/export?$R&format=json" "" "$MGR"
	assert_status 200
	[[ $(header content-type) == application/json* ]]
	assert_json 'length' 6
	assert_json "[.[] | select(.id == \"$C2\")][0].wait_seconds" 45
	assert_json "[.[] | select(.id == \"$C2\")][0].agent_id" "$A1"
	assert_json "[.[] | select(.id == \"$C6\")][0].queue_id" null
	assert_json ".[0].priority" 0
	api GET "/api/analytics/company/$CO/export?$R&format=xml" "" "$MGR"
	assert_problem 400 bad_request
	api GET "/api/analytics/company/$CO/export?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&format=json" "" "$MGR"
	assert_json 'length' 0
}

@test "roles and tenancy: agents 403, other companies 404, admins any" {
	for p in overview calls agents/performance insights export; do
		api GET "/api/analytics/company/$CO/$p" "" "$T1"
		assert_problem 403 forbidden
		api GET "/api/analytics/company/$CO/$p" "" "$EVE"
		assert_problem 404 not_found
	done
	api GET "/api/analytics/company/$CO/overview?$R"
	assert_status 200
	assert_json .offered 5
	api GET "/api/analytics/company/00000000-0000-0000-0000-000000000000/overview"
	assert_problem 404 not_found
}

@test "bad ranges are 400" {
	for q in "from=yesterday" "to=2026-02-30T00:00:00Z" "from=2026-01-01" \
		"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z" "queue_id=nope" \
		"from=2026-01-01T25:00:00Z"; do
		api GET "/api/analytics/company/$CO/overview?$q" "" "$MGR"
		assert_problem 400 bad_request
	done
}

@test "cli: analytics overview, calls, agents, insights, export" {
	# A manager: the company is the user's own.
	run cli --token "$MGR" analytics overview --from "$FROM" --to "$TO" -o json
	assert_success
	assert_json .offered 5
	run cli --token "$MGR" analytics overview --from "$FROM" --to "$TO" -o csv --no-headers
	assert_success
	assert_line 'offered,5'
	# Reals at the fewest digits that read back exactly (2 / 5, 2 / 3),
	# not jansson's 17 (0.40000000000000002), in every format.
	assert_line 'abandon_rate,0.4'
	assert_line 'service_level_answered,0.6666666666666666'
	run cli --token "$MGR" analytics overview --from "$FROM" --to "$TO" -o json
	assert_line '  "abandon_rate": 0.4,'
	assert_line '  "service_level_answered": 0.6666666666666666,'
	refute_output --regexp '[0-9]\.[0-9]{17}'
	jq -e '.abandon_rate == 0.4 and .service_level_answered == 2 / 3' <<<"$output"
	run cli --token "$MGR" analytics overview --from "$FROM" --to "$TO" -o yaml
	assert_line 'abandon_rate: 0.4'
	refute_output --regexp '[0-9]\.[0-9]{17}'
	run cli --token "$MGR" analytics overview --from "$FROM" --to "$TO"
	assert_line --regexp '^abandon_rate +0\.4$'
	assert_line --regexp '^service_level_answered +0\.6666666666666666$'
	run cli --token "$MGR" analytics calls --from "$FROM" --to "$TO" --interval hour -o csv --no-headers
	assert_success
	[[ ${#lines[@]} == 3 ]]
	run cli --token "$MGR" analytics agents --from "$FROM" --to "$TO" -q
	assert_success
	assert_line "$A1"
	run cli --token "$MGR" analytics insights --from "$FROM" --to "$TO"
	assert_success
	assert_line --regexp '^ivr_dropouts\.0\.node +menu$'
	run cli --token "$MGR" analytics export --from "$FROM" --to "$TO" --format json
	assert_success
	assert_json 'length' 6
	# The local admin names the company; without it there is none.
	run cli --company "$CO" analytics export --from "$FROM" --to "$TO"
	assert_success
	[[ ${#lines[@]} == 7 ]]
	run cli analytics overview
	assert_failure 2
	run cli --token "$T1" analytics overview
	assert_failure 4
	run cli --token "$MGR" analytics overview --from nope
	assert_failure 1
}

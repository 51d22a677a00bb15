#!/usr/bin/env bats
# Outgoing webhooks (docs/api.md "Webhooks"): endpoints per company, Standard
# Webhooks signatures checked independently by tests/lib/hookrecv.py, the
# durable outbox (retries, Retry-After, 410, a restart mid-retry), the SSRF
# guard, tenant isolation, secrets shown once, Slack and Teams payloads.

load lib/common
bats_require_minimum_version 1.5.0

RECV="python3 $TOP/tests/lib/hookrecv.py"
MAIN_ENV=(CALLDOCKER_OUTBOUND_ALLOW_PRIVATE=1 CALLDOCKER_WEBHOOK_RETRY_BASE=0.1
	CALLDOCKER_WEBHOOK_MAX_ATTEMPTS=4 CALLDOCKER_WEBHOOK_TIMEOUT=5)

mkagent() { # EMAIL -> agent id
	local u
	u=$(mkuser "$1" agent "$CO") || return 1
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "mkagent $1: $status $output" >&2; return 1; }
	jget .id
}

# hook PATH EVENTS-JSON [EXTRA-JSON] -> creates an endpoint, prints its JSON
hook() {
	api POST "/api/webhooks/company/$CO" "$(jq -nc --arg u "$URL$1" \
		--argjson e "$2" --argjson x "${3:-{\}}" '{url: $u, events: $e} + $x')" \
		"$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "hook $1: $status $output" >&2; return 1; }
	echo "$output"
}

# got PATH [JQ-FILTER]: requests the receiver logged for PATH (matching).
got() {
	jq -c --arg p "$1" "select(.path == \$p) | select(${2:-true})" "$HOOKLOG" 2>/dev/null
}
ngot() { got "$@" | wc -l; }
has_n() { [[ $(ngot "$1" "${3:-true}") -ge $2 ]]; }

# deliveries ID -> the endpoint's deliveries (newest first)
deliveries() {
	api GET "/api/webhooks/$1/deliveries" "" "$MGR"
}
delivery_state() { # ID STATE: the newest delivery is in STATE
	deliveries "$1" >/dev/null
	[[ $(jget '.items[0].state') == "$2" ]]
}

start_main() { daemon_start main "${MAIN_ENV[@]}"; }

setup_file() {
	cd_init
	start_main
	rm -f "$CD_TMP/recv.port"
	HOOKLOG=$CD_TMP/hooks.jsonl
	$RECV serve --port-file "$CD_TMP/recv.port" --log "$HOOKLOG" 3>&- &
	echo $! >"$CD_TMP/recv.pid"
	wait_for 5 test -f "$CD_TMP/recv.port"
	URL="http://127.0.0.1:$(<"$CD_TMP/recv.port")"
	CO=$(mkcompany "Hook Co")
	mkuser boss@hook.test manager "$CO" >/dev/null
	MGR=$(login boss@hook.test)
	A1=$(mkagent ann@hook.test)
	AGT=$(login ann@hook.test)
	OTHER=$(mkcompany "Other Hook Co")
	mkuser eve@otherhook.test manager "$OTHER" >/dev/null
	EVE=$(login eve@otherhook.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" \
		'{name: "support", sl_threshold: 1, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	export HOOKLOG URL CO MGR A1 AGT OTHER EVE Q
}

teardown_file() {
	local p
	p=$(cat "$CD_TMP/recv.pid" 2>/dev/null) && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
	cd_teardown
}

@test "create shows a whsec_ secret once; list and get never do" {
	hook /ok/basic '["call.*"]' '{"description": "CRM"}' >"$CD_TMP/basic.json"
	output=$(<"$CD_TMP/basic.json")
	assert_json .format standard
	assert_json .enabled true
	assert_json '.events | join(",")' 'call.*'
	[[ $(header location) == /api/webhooks/$(jget .id) ]]
	secret=$(jget .secret)
	[[ $secret =~ ^whsec_[A-Za-z0-9+/]+=*$ ]]
	n=$(printf '%s' "${secret#whsec_}" | base64 -d | wc -c)
	((n >= 24))
	id=$(jget .id)
	api GET "/api/webhooks/$id" "" "$MGR"
	assert_status 200
	assert_json 'has("secret")' false
	api GET "/api/webhooks/company/$CO" "" "$MGR"
	assert_status 200
	assert_json "[.items[] | select(.id == \"$id\")] | length" 1
	[[ $output != *"$secret"* ]]
	[[ $output != *whsec_* ]]
	# Rotating shows a new one, once.
	api POST "/api/webhooks/$id/rotate-secret" "" "$MGR"
	assert_status 200
	new=$(jget .secret)
	[[ $new == whsec_* && $new != "$secret" ]]
	api GET "/api/webhooks/$id" "" "$MGR"
	[[ $output != *whsec_* ]]
	echo "$new" >"$CD_TMP/basic.secret"
}

@test "invalid endpoints are 422 with the field named" {
	api POST "/api/webhooks/company/$CO" '{"url": "ftp://x.example/", "events": ["call.*"]}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' url
	api POST "/api/webhooks/company/$CO" "{\"url\": \"$URL/ok/x\", \"events\": [\"call.exploded\"]}" "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' events
	api POST "/api/webhooks/company/$CO" "{\"url\": \"$URL/ok/x\"}" "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' events
	api POST "/api/webhooks/company/$CO" "{\"url\": \"$URL/ok/x\", \"events\": [\"*\"], \"format\": \"fax\"}" "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' format
	api POST "/api/webhooks/company/$CO" "{\"url\": \"$URL/ok/x\", \"events\": [\"*\"], \"secret\": \"mine\"}" "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' secret
}

@test "agents cannot manage webhooks; another company's are 404" {
	id=$(jq -r .id "$CD_TMP/basic.json")
	api GET "/api/webhooks/company/$CO" "" "$AGT"
	assert_problem 403 forbidden
	api GET "/api/webhooks/company/$CO" "" "$EVE"
	assert_problem 404 not_found
	api POST "/api/webhooks/company/$CO" "{\"url\": \"$URL/ok/eve\", \"events\": [\"*\"]}" "$EVE"
	assert_problem 404 not_found
	for path in "" /deliveries; do
		api GET "/api/webhooks/$id$path" "" "$EVE"
		assert_problem 404 not_found
	done
	api POST "/api/webhooks/$id/test" "" "$EVE"
	assert_problem 404 not_found
	api PUT "/api/webhooks/$id" '{"enabled": false}' "$EVE"
	assert_problem 404 not_found
	api DELETE "/api/webhooks/$id" "" "$EVE"
	assert_problem 404 not_found
	# The admin (the local socket) sees every company's.
	api GET "/api/webhooks/$id"
	assert_status 200
}

@test "call events arrive signed per Standard Webhooks, with the call as data" {
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_number: "+15550101"}')" "$MGR" >/dev/null
	assert_status 201
	call=$(jget .id)
	wait_for 10 has_n /ok/basic 2
	first=$(got /ok/basic '.body | fromjson | .type == "call.created"' | head -n1)
	[[ $(jq -r .content_type <<<"$first") == application/json ]]
	body=$(jq -r .body <<<"$first")
	[[ $(jq -r .type <<<"$body") == call.created ]]
	[[ $(jq -r .data.call.id <<<"$body") == "$call" ]]
	[[ $(jq -r .data.call.caller_number <<<"$body") == +15550101 ]]
	[[ $(jq -r .timestamp <<<"$body") =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	[[ $(got /ok/basic | jq -r '.body | fromjson | .type' | sort | tr '\n' ' ') == "call.created call.queued " ]]
	[[ $(got /ok/basic | jq -r '.body | fromjson | .data.queue.name' | tail -n1) == support ]]
	run $RECV verify --secret "$(<"$CD_TMP/basic.secret")" --log "$HOOKLOG" --path /ok/basic
	assert_success
	# Another secret does not verify: the check can fail.
	run $RECV verify --secret "whsec_$(head -c 32 /dev/urandom | base64)" --log "$HOOKLOG" --path /ok/basic
	assert_failure
	echo "$call" >"$CD_TMP/call1"
}

@test "patterns filter: agent.* gets agent.state_changed, not call events" {
	hook /ok/agents '["agent.*"]' >/dev/null
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "lunch"}' "$AGT" >/dev/null
	assert_status 200
	wait_for 10 has_n /ok/agents 1
	body=$(got /ok/agents | tail -n1 | jq -r .body)
	[[ $(jq -r .type <<<"$body") == agent.state_changed ]]
	[[ $(jq -r .data.state <<<"$body") == away ]]
	[[ $(jq -r .data.reason <<<"$body") == lunch ]]
	[[ $(jq -r .data.agent.id <<<"$body") == "$A1" ]]
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q}')" "$MGR" >/dev/null
	assert_status 201
	api PUT "/api/agents/$A1/availability" '{"state": "offline"}' "$AGT" >/dev/null
	wait_for 10 has_n /ok/agents 2
	[[ $(got /ok/agents '.body | fromjson | .type | startswith("call.")' | wc -l) == 0 ]]
	# A deleted agent is an agent event too.
	u=$(mkuser temp@hooks.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, name: "Temp"}')" "$MGR"
	assert_status 201
	t=$(jget .id)
	api DELETE "/api/agents/$t" "" "$MGR"
	assert_status 204
	wait_for 10 has_n /ok/agents 1 '(.body | fromjson | .type) == "agent.deleted"'
	body=$(got /ok/agents '(.body | fromjson | .type) == "agent.deleted"' | tail -n1 | jq -r .body)
	[[ $(jq -r .data.agent_id <<<"$body") == "$t" ]]
	[[ $(jq -r .data.agent.name <<<"$body") == Temp ]]
}

@test "500s are retried with the same webhook-id until delivered; history kept" {
	id=$(hook /flaky/2/retry '["webhook.test"]' | jq -r .id)
	api POST "/api/webhooks/$id/test" "" "$MGR"
	assert_status 202
	assert_json .event_type webhook.test
	wait_for 15 delivery_state "$id" delivered
	assert_json '.items[0].attempts' 3
	assert_json '[.items[0].history[].status] | join(",")' 500,500,200
	assert_json '.items[0].history[2].response' '{"received": true}'
	assert_json '.items[0].last_status' 200
	[[ $(ngot /flaky/2/retry) == 3 ]]
	did=$(jget '.items[0].id')
	api GET /metrics
	n=$(awk '/^calldocker_webhook_attempts_total / { print $2 }' <<<"$output")
	((n >= 3))
	[[ $(got /flaky/2/retry | jq -r .id | sort -u | wc -l) == 1 ]]
	# Redeliver sends it once more, with the same id.
	api POST "/api/webhooks/$id/deliveries/$did/redeliver" "" "$MGR"
	assert_status 202
	wait_for 10 has_n /flaky/2/retry 4
	[[ $(got /flaky/2/retry | jq -r .id | sort -u) == "$did" ]]
	api POST "/api/webhooks/$id/deliveries/$(jq -r .id "$CD_TMP/basic.json")/redeliver" "" "$MGR"
	assert_problem 404 not_found
}

@test "a delivery that keeps failing is failed after webhook_max_attempts" {
	id=$(hook /status/500/always '["webhook.test"]' | jq -r .id)
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 20 delivery_state "$id" failed
	assert_json '.items[0].attempts' 4
	assert_json '.items[0].last_error' 'the endpoint answered 500'
	assert_json '.items[0].next_attempt_at' null
	[[ $(ngot /status/500/always) == 4 ]]
}

@test "410 Gone disables the endpoint" {
	id=$(hook /status/410/gone '["webhook.test"]' | jq -r .id)
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 10 delivery_state "$id" failed
	assert_json '.items[0].attempts' 1
	api GET "/api/webhooks/$id" "" "$MGR"
	assert_json .enabled false
	assert_json .disabled_reason 'the endpoint answered 410 Gone'
	api POST "/api/webhooks/$id/test" "" "$MGR"
	assert_problem 409 conflict
	# Re-enabled by a user, it clears the reason.
	api PUT "/api/webhooks/$id" '{"enabled": true}' "$MGR"
	assert_status 200
	assert_json .enabled true
	assert_json .disabled_reason null
}

@test "Retry-After is honoured over the backoff" {
	id=$(hook /retry-after/3600/ra '["webhook.test"]' | jq -r .id)
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 10 eval "deliveries $id >/dev/null; [[ \$(jget '.items[0].attempts') == 1 && \$(jget '.items[0].last_status') == 503 ]]"
	assert_json '.items[0].state' pending
	next=$(date -d "$(jget '.items[0].next_attempt_at')" +%s)
	((next - $(date +%s) > 3000))
	[[ $(ngot /retry-after/3600/ra) == 1 ]]
}

@test "a pending retry survives a daemon restart and is delivered" {
	# Ten seconds between tries: stop while the retry waits.
	id=$(hook /flaky/1/restart '["webhook.test"]' | jq -r .id)
	daemon_stop main
	daemon_start main "${MAIN_ENV[@]}" CALLDOCKER_WEBHOOK_RETRY_BASE=10
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 10 has_n /flaky/1/restart 1
	# Recorded, not only claimed: a claim counts the attempt before the
	# answer comes, and a stop in between sends it again.
	wait_for 5 eval "deliveries $id >/dev/null; [[ \$(jget '.items[0].attempts') == 1 && \$(jget '.items[0].last_status') == 500 ]]"
	assert_json '.items[0].state' pending
	daemon_stop main
	start_main
	wait_for 30 delivery_state "$id" delivered
	assert_json '.items[0].attempts' 2
	[[ $(ngot /flaky/1/restart '.answered == 200') -ge 1 ]]
}

@test "kill -9 mid-delivery: the leased row is sent again after a restart" {
	id=$(hook /slow-once/30/kill '["webhook.test"]' | jq -r .id)
	daemon_stop main
	daemon_start main "${MAIN_ENV[@]}" CALLDOCKER_WEBHOOK_TIMEOUT=2
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	did=$(jget .id)
	wait_for 10 has_n /slow-once/30/kill 1
	kill -KILL "$CD_PID"
	wait_for 10 test -f "$CD_DIR/rc"
	rm -f "$CD_DIR/pid"
	daemon_start main "${MAIN_ENV[@]}" CALLDOCKER_WEBHOOK_TIMEOUT=2
	# The lease (timeout + 5 s) runs out, then it goes again.
	wait_for 30 delivery_state "$id" delivered
	assert_json '.items[0].id' "$did"
	[[ $(ngot /slow-once/30/kill) == 2 ]]
	[[ $(got /slow-once/30/kill | jq -r .id | sort -u) == "$did" ]]
	daemon_stop main
	start_main
}

@test "a slow endpoint cannot hold every slot: another's delivery goes first" {
	slow=$(hook /slow/1/hog '["webhook.test"]' | jq -r .id)
	fast=$(hook /ok/fast '["webhook.test"]' | jq -r .id)
	daemon_stop main
	daemon_start main "${MAIN_ENV[@]}" CALLDOCKER_WEBHOOK_CONCURRENCY=4 \
		CALLDOCKER_WEBHOOK_ENDPOINT_CONCURRENCY=1
	for i in 1 2 3 4 5 6; do
		api POST "/api/webhooks/$slow/test" "" "$MGR" >/dev/null
		assert_status 202
	done
	wait_for 10 has_n /slow/1/hog 1
	api POST "/api/webhooks/$fast/test" "" "$MGR" >/dev/null
	wait_for 10 delivery_state "$fast" delivered
	# One at a time to the slow one: most of its deliveries still wait.
	api GET "/api/webhooks/$slow/deliveries?state=pending" "" "$MGR"
	n=$(jget '.items | length')
	((n >= 3))
	[[ $(ngot /slow/1/hog) -le 3 ]]
	daemon_stop main
	start_main
}

@test "the SSRF guard: private URLs refused at create and at connect" {
	id=$(hook /ok/ssrf '["webhook.test"]' | jq -r .id)
	daemon_stop main
	daemon_start strict CALLDOCKER_WEBHOOK_RETRY_BASE=0.1 CALLDOCKER_WEBHOOK_MAX_ATTEMPTS=1
	for u in "$URL/ok/s" http://127.1/ http://0x7f000001/ 'http://[::1]:9/' \
		http://10.0.0.1/ http://169.254.169.254/latest http://localhost:80/; do
		api POST "/api/webhooks/company/$CO" "$(jq -nc --arg u "$u" '{url: $u, events: ["*"]}')" "$MGR"
		assert_problem 422 validation_failed
		assert_json '.errors[0].field' url
		assert_output --partial outbound_allow_private
	done
	# An endpoint made while private addresses were allowed is refused
	# on the address connected to.
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 10 delivery_state "$id" failed
	assert_json '.items[0].last_error' 'the address is not allowed (outbound_allow_private)'
	assert_json '.items[0].last_status' null
	[[ $(ngot /ok/ssrf) == 0 ]]
	daemon_stop strict
	start_main
}

@test "redirects are not followed" {
	id=$(hook /redirect/r '["webhook.test"]' | jq -r .id)
	api POST "/api/webhooks/$id/test" "" "$MGR" >/dev/null
	wait_for 20 delivery_state "$id" failed
	assert_json '.items[0].last_status' 302
	[[ $(ngot /ok/redirected) == 0 ]]
}

@test "Slack and Teams channels get their own message shapes" {
	slack=$(hook /ok/slack '["call.abandoned", "queue.sla_breached"]' '{"format": "slack"}' | jq -r .id)
	teams=$(hook /ok/teams '["call.abandoned"]' '{"format": "teams"}' | jq -r .id)
	patient=$(hook /ok/patient '["call.abandoned"]' '{"format": "slack", "min_wait": 3600}' | jq -r .id)
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_number: "+15550199"}')" "$MGR" >/dev/null
	call=$(jget .id)
	sleep 1.2	# past the queue's 1 s service-level threshold
	api POST "/api/calls/$call/hangup" "" "$MGR"
	assert_status 200
	assert_json .state abandoned
	wait_for 10 has_n /ok/slack 2
	wait_for 10 has_n /ok/teams 1
	s=$(got /ok/slack '.body | fromjson | .text | startswith("Call abandoned")' | head -n1 | jq -r .body)
	[[ $(jq -r '.blocks[0].type' <<<"$s") == section ]]
	[[ $(jq -r '.blocks[0].text.type' <<<"$s") == mrkdwn ]]
	[[ $(jq -r '.blocks[0].text.text' <<<"$s") == *"+15550199"* ]]
	[[ $(jq -r '.blocks[1].type' <<<"$s") == context ]]
	b=$(got /ok/slack '.body | fromjson | .text | startswith("Service level breached")' | head -n1 | jq -r .body)
	[[ $(jq -r .text <<<"$b") == *"over the 1 s threshold of queue support"* ]]
	t=$(got /ok/teams | head -n1 | jq -r .body)
	[[ $(jq -r .type <<<"$t") == message ]]
	[[ $(jq -r '.attachments[0].contentType' <<<"$t") == application/vnd.microsoft.card.adaptive ]]
	[[ $(jq -r '.attachments[0].content.type' <<<"$t") == AdaptiveCard ]]
	[[ $(jq -r '.attachments[0].content.body[0].text' <<<"$t") == "Call abandoned in support" ]]
	[[ $(jq -r '.attachments[0].content.body[2].facts[0].value' <<<"$t") == call.abandoned ]]
	# min_wait: this one waited under an hour, so nothing was queued.
	deliveries "$patient" >/dev/null
	assert_json '.items | length' 0
}

@test "a missed offer reaches a Slack channel naming the agent" {
	hook /ok/missed '["call.offer_missed"]' '{"format": "slack"}' >/dev/null
	std=$(hook /ok/missed-std '["call.offer_missed"]' | jq -r .id)
	api POST /api/queues "$(jq -nc --arg a "$A1" \
		'{name: "ringout", ring_timeout: 1, miss_limit: 1, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	assert_status 201
	q2=$(jget .id)
	# Calls left waiting by earlier tests would be offered first.
	api GET "/api/calls?state=queued" "" "$MGR" >/dev/null
	for c in $(jget '.items[].id'); do
		api POST "/api/calls/$c/hangup" "" "$MGR" >/dev/null
	done
	api PUT "/api/agents/$A1/availability" '{"state": "available"}' "$AGT" >/dev/null
	assert_status 200
	api POST /api/calls "$(jq -nc --arg q "$q2" '{queue_id: $q, caller_number: "+15550177"}')" "$MGR" >/dev/null
	call=$(jget .id)
	# Calls still waiting in "support" may be offered (and missed) first.
	mine='.body | contains("+15550177")'
	wait_for 15 has_n /ok/missed 1 "$mine"
	s=$(got /ok/missed "$mine" | head -n1 | jq -r .body)
	[[ $(jq -r .text <<<"$s") == "Missed offer: "* ]]
	[[ $(jq -r '.blocks[0].text.text' <<<"$s") == *"did not answer a call from +15550177 in queue ringout."* ]]
	wait_for 10 has_n /ok/missed-std 1 "$mine"
	b=$(got /ok/missed-std "$mine" | head -n1 | jq -r .body)
	[[ $(jq -r .data.agent.id <<<"$b") == "$A1" ]]
	[[ $(jq -r .data.call.id <<<"$b") == "$call" ]]
	api POST "/api/calls/$call/hangup" "" "$MGR" >/dev/null
	api PUT "/api/agents/$A1/availability" '{"state": "offline"}' "$AGT" >/dev/null
}

@test "calldocker webhooks: create, list, test, deliveries, update, delete" {
	run --separate-stderr cli --company "$CO" webhooks create --url "$URL/ok/cli" --events "webhook.test,call.*" -o json
	assert_success
	id=$(jq -r .id <<<"$output")
	[[ $(jq -r .secret <<<"$output") == whsec_* ]]
	[[ $stderr == *"not shown again"* ]]
	run cli --company "$CO" webhooks list
	assert_success
	assert_output --partial "$URL/ok/cli"
	refute_output --partial whsec_
	run cli webhooks test "$id"
	assert_success
	wait_for 10 has_n /ok/cli 1
	# The receiver has it; the delivery is recorded a moment later, and a
	# delivery being sent cannot be redelivered yet.
	first_delivered() { [[ $(cli webhooks deliveries "$1" -o json | jq -r '.[0].state') == delivered ]]; }
	wait_for 10 first_delivered "$id"
	run cli webhooks deliveries "$id" -o json
	assert_success
	[[ $(jq -r '.[0].event_type' <<<"$output") == webhook.test ]]
	did=$(jq -r '.[0].id' <<<"$output")
	run cli webhooks redeliver "$id" "$did"
	assert_success
	wait_for 10 has_n /ok/cli 2
	run cli webhooks update "$id" --disable -o json
	assert_success
	[[ $(jq -r .enabled <<<"$output") == false ]]
	run cli webhooks delete "$id"
	assert_success
	run cli webhooks get "$id"
	assert_failure 3
}

@test "secrets never reach the daemon's log" {
	secret=$(jq -r .secret "$CD_TMP/basic.json")
	! grep -q "$secret" "$CD_TMP"/*/log
	! grep -q "$(<"$CD_TMP/basic.secret")" "$CD_TMP"/*/log
	! grep -q whsec_ "$CD_TMP"/*/log
}

@test "a company with endpoints and agents is deleted whole" {
	co=$(mkcompany "Short Lived Co")
	mkuser boss@short.test manager "$co" >/dev/null
	tok=$(login boss@short.test)
	u=$(mkuser ann@short.test agent "$co")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$tok"
	assert_status 201
	api POST "/api/webhooks/company/$co" "$(jq -nc --arg u "$URL/ok/short" \
		'{url: $u, events: ["*"]}')" "$tok"
	assert_status 201
	api DELETE "/api/companies/$co"
	assert_status 204
	api GET "/api/companies/$co"
	assert_problem 404 not_found
}

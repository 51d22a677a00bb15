#!/usr/bin/env bats
# Phone callers reach agents: agents' endpoints (browser or phone), and the
# Twilio REST client against a local fake of Twilio's API
# (tests/lib/fake-twilio.py): a phone agent's answer moves the live call
# into the call's conference and creates the agent's leg into it, hang-ups
# propagate both ways, an agent's leg not reached re-queues the call at its
# place with a missed offer, and 5xx/429 answers are retried.

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
PHONE=+15551234567

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# A call arriving on the company's number: its call id.
arrive() { # CALLSID
	twilio "/api/webhooks/twilio/$CO" CallSid="$1" AccountSid=$SID \
		From=+4930123 To=+4940999 CallStatus=ringing Direction=inbound >/dev/null
	[[ $status == 200 && $output == *'<Enqueue>Sales</Enqueue>'* ]] ||
		{ echo "arrive $1: $status $output" >&2; return 1; }
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null
	jget ".items[] | select(.caller_data.twilio_call_sid == \"$1\") | .id"
}

call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }
avail() { # AGENT STATE
	api PUT "/api/agents/$1/availability" "{\"state\":\"$2\"}" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "availability $1 $2: $status $output" >&2; return 1; }
}

# Offered to the phone agent, who answers it.
take() { # CALL
	wait_for 10 call_is "$1" offering
	api POST "/api/calls/$1/answer" '{}' "$PAT" >/dev/null
	[[ $status == 200 ]] || { echo "answer $1: $status $output" >&2; return 1; }
}

setup_file() {
	FAKE=$BATS_FILE_TMPDIR/fake-twilio
	mkdir -p "$FAKE"
	python3 "$TOP/tests/lib/fake-twilio.py" "$FAKE" "$SID" "$TOK" \
		</dev/null >"$FAKE/log" 2>&1 3>&- &
	echo $! >"$FAKE/server.pid"
	wait_for 10 test -s "$FAKE/port"
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")"
	CO=$(mkcompany "Bridge Co")
	mkuser bea@bridge.test manager "$CO" >/dev/null
	MGR=$(login bea@bridge.test)
	u=$(mkuser pat@bridge.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" --arg p "$PHONE" \
		'{user_id: $u, endpoint: "phone", endpoint_address: $p}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	PAT_ID=$(jget .id)
	PAT=$(login pat@bridge.test)
	u=$(mkuser wes@bridge.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	WES_ID=$(jget .id)
	api POST /api/queues "$(jq -nc --arg a "$PAT_ID" \
		'{name: "Sales", miss_limit: 1, ring_timeout: 600, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	cat >"$CD_TMP/flow.yaml" <<'YAML'
name: Phone line
start: sales
nodes:
  sales:
    type: queue
    queue: Sales
YAML
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" "@$CD_TMP/flow.yaml" "$MGR" >/dev/null
	api POST "/api/ivr/$(jget .id)/activate" '{"entry": true}' "$MGR" >/dev/null
	api PUT "/api/integrations/company/$CO/twilio" \
		"{\"account_sid\":\"$SID\",\"auth_token\":\"$TOK\"}" "$MGR" >/dev/null
	[[ $status == 201 ]]
	export FAKE CO MGR PAT PAT_ID WES_ID
}

teardown_file() {
	[[ -f ${FAKE:-}/server.pid ]] && kill "$(<"$FAKE/server.pid")" 2>/dev/null || true
	cd_teardown
}

# No call of a failed test keeps the phone agent busy for the next.
teardown() {
	api GET "/api/calls?agent_id=$PAT_ID&limit=500" "" "$MGR" >/dev/null || return 0
	for c in $(jget '.items[] | select(.state == "connected" or .state == "on_hold") | .id'); do
		api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null || true
	done
	for c in $(jget '.items[] | select(.state == "wrap_up") | .id'); do
		api POST "/api/calls/$c/wrap" '{}' "$PAT" >/dev/null || true
	done
}

@test "agent endpoints: managers set them, validated, shown; the CLI too" {
	api GET "/api/agents/$WES_ID" "" "$MGR"
	assert_json .endpoint browser
	assert_json .endpoint_address null
	api GET "/api/agents/$PAT_ID" "" "$MGR"
	assert_json .endpoint phone
	assert_json .endpoint_address "$PHONE"
	api PUT "/api/agents/$WES_ID" '{"endpoint": "phone"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | join(",")' endpoint_address
	api PUT "/api/agents/$WES_ID" '{"endpoint": "fax"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | join(",")' endpoint
	for bad in 5551234567 +0123 '+1 555 123' +1234567890123456 sip:nohost 'sip:a@b"c' mailto:a@b; do
		api PUT "/api/agents/$WES_ID" "$(jq -nc --arg a "$bad" \
			'{endpoint: "phone", endpoint_address: $a}')" "$MGR"
		assert_problem 422 validation_failed
		assert_json '[.errors[].field] | join(",")' endpoint_address
	done
	api PUT "/api/agents/$WES_ID" '{"endpoint": "browser", "endpoint_address": "+15550001111"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | join(",")' endpoint_address
	# Nothing of the refused requests was written.
	api GET "/api/agents/$WES_ID" "" "$MGR"
	assert_json .endpoint browser
	# An agent cannot change its own endpoint.
	api PUT "/api/agents/$WES_ID" '{"endpoint": "browser"}' "$(login wes@bridge.test)"
	assert_problem 403 forbidden
	# The CLI (the socket's local admin).
	run --separate-stderr cli -o json agents update "$WES_ID" --endpoint phone \
		--endpoint-address sip:wes@pbx.example.test
	assert_success
	assert_json .endpoint phone
	assert_json .endpoint_address sip:wes@pbx.example.test
	run cli agents update "$WES_ID" --endpoint fax
	assert_failure
	api PUT "/api/agents/$WES_ID" '{"endpoint": "browser"}' "$MGR"
	assert_status 200
	assert_json .endpoint browser
	assert_json .endpoint_address null
}

@test "a phone agent answers: the caller joins the call's conference, the agent's leg is created into it; the agent's hangup completes both" {
	avail "$PAT_ID" available
	call=$(arrive CAbridge1)
	[[ -n $call ]]
	take "$call"
	wait_for 10 fake_has CAbridge1 1
	req=$(fake_reqs CAbridge1)
	[[ $(jq -r .method <<<"$req") == POST ]]
	[[ $(jq -r .auth <<<"$req") == ok ]]
	[[ $(jq -r .user <<<"$req") == "$SID" ]]
	[[ $(jq -r .content_type <<<"$req") == application/x-www-form-urlencoded* ]]
	[[ $(jq -r .status <<<"$req") == 200 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -r '.params | keys | join(",")' <<<"$req") == StatusCallback,StatusCallbackMethod,Twiml ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(caller_twiml "$call")" ]]
	[[ $(jq -r .params.StatusCallback <<<"$req") == "$PUB/api/webhooks/twilio/$CO" ]]
	[[ $(jq -r .params.StatusCallbackMethod <<<"$req") == POST ]]
	# The agent's leg: a new call to the agent's phone, from the number
	# the caller called, into the same conference.
	wait_for 10 agent_legs_has "$call" 1
	req=$(agent_legs "$call")
	[[ $(jq -r .auth <<<"$req") == ok && $(jq -r .status <<<"$req") == 201 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -r '.params | keys | join(",")' <<<"$req") == From,StatusCallback,StatusCallbackMethod,To,Twiml ]]
	[[ $(jq -r .params.To <<<"$req") == "$PHONE" ]]
	[[ $(jq -r .params.From <<<"$req") == +4940999 ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(agent_twiml "$call")" ]]
	[[ $(jq -r .params.StatusCallback <<<"$req") == "$PUB/api/webhooks/twilio/$CO?call=$call&event=agent" ]]
	leg=$(agent_leg "$call")
	# In the fake's conference the caller and the agent hear each other.
	hears "$call" CAbridge1 "$leg"
	hears "$call" "$leg" CAbridge1
	# Twilio reports the joins; the daemon keeps the conference's sid.
	conf_event "$call" participant-join CAbridge1
	assert_status 204
	conf_event "$call" participant-join "$leg"
	assert_status 204
	[[ $(sql "SELECT conference_sid FROM twilio_calls WHERE call_sid = 'CAbridge1'") == "$(conf_sid "$call")" ]]
	# Another call's conference, or no such conference: refused.
	twilio "/api/webhooks/twilio/$CO?call=$call&event=conference" AccountSid=$SID \
		ConferenceSid="$(conf_sid "$call")" FriendlyName=call-other StatusCallbackEvent=conference-start
	assert_problem 400 bad_request
	call_is "$call" connected
	# The agent hangs up (REST here; any transport is call.hangup).
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	assert_status 200
	wait_for 10 fake_has CAbridge1 2
	req=$(fake_reqs CAbridge1 | tail -1)
	[[ $(jq -c .params <<<"$req") == '{"Status":"completed"}' ]]
	[[ $(jq -r .auth <<<"$req") == ok ]]
	# The agent's leg was ended first.
	[[ $(fake_reqs "$leg" | jq -c .params) == '{"Status":"completed"}' ]]
	# Twilio's status callbacks for what it just completed: nothing more.
	twilio "/api/webhooks/twilio/$CO" CallSid=CAbridge1 AccountSid=$SID CallStatus=completed
	assert_status 200
	agent_status "$call" "$leg" completed
	assert_status 200
	call_is "$call" wrap_up
	[[ $(fake_count CAbridge1) == 2 ]]
	[[ $(fake_count "$leg") == 1 ]]
}

@test "the caller hangs up a bridged call; the agent's phone hangs up another" {
	avail "$PAT_ID" available
	call=$(arrive CAcaller1)
	take "$call"
	wait_for 10 agent_legs_has "$call" 1
	leg=$(agent_leg "$call")
	# The caller hangs up: Twilio's status callback (its leaving ends the
	# conference, and so the agent's leg).
	fake_hangup CAcaller1
	[[ $(conference "$call" | jq -r .message) == "no such conference" ]]
	twilio "/api/webhooks/twilio/$CO" CallSid=CAcaller1 AccountSid=$SID \
		CallStatus=completed CallDuration=30
	assert_status 200
	call_is "$call" wrap_up
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.events[-1].type' call.ended
	assert_json '.events[-1].actor_id' null
	agent_status "$call" "$leg" completed
	assert_status 200
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	assert_status 200
	# Another call; the agent's phone hangs up its leg.
	call2=$(arrive CAcaller2)
	take "$call2"
	wait_for 10 agent_legs_has "$call2" 1
	leg2=$(agent_leg "$call2")
	fake_hangup "$leg2"
	agent_status "$call2" "$leg2" completed
	assert_status 200
	call_is "$call2" wrap_up
	api GET "/api/calls/$call2" "" "$MGR"
	assert_json '.events[-1].type' call.ended
	# ... and the daemon ends the caller's call.
	wait_for 10 fake_has CAcaller2 2
	[[ $(fake_reqs CAcaller2 | tail -1 | jq -c .params) == '{"Status":"completed"}' ]]
	# The REST thread runs its jobs in order: once a later call's request
	# is in, the first hang-up was not sent to Twilio.
	api POST "/api/calls/$call2/wrap" '{}' "$PAT"
	call3=$(arrive CAcaller3)
	take "$call3"
	wait_for 10 fake_has CAcaller3 1
	[[ $(fake_count CAcaller1) == 1 ]]
	# A leg's callback naming another call is refused.
	agent_status "$call" "$(agent_leg "$call3")" no-answer
	assert_problem 400 bad_request
}

@test "an agent's leg not reached re-queues the call at its place, with a missed offer; the caller stays in the conference" {
	avail "$PAT_ID" available
	api GET "/api/agents/$PAT_ID" "" "$MGR"
	missed=$(jget .missed_offers)
	first=$(arrive CAfail1)
	take "$first"
	second=$(arrive CAfail2)
	wait_for 10 agent_legs_has "$first" 1
	leg=$(agent_leg "$first")
	fake_hangup "$leg"
	agent_status "$first" "$leg" no-answer
	assert_status 200
	api GET "/api/calls/$first" "" "$MGR"
	assert_json .state queued
	assert_json .agent_id null
	assert_json .position 1
	assert_json '[.events[] | select(.type == "call.requeued")] | length' 1
	api GET "/api/calls/$second" "" "$MGR"
	assert_json .position 2
	# The caller is still in the conference (hearing its wait music).
	[[ $(conference "$first" | jq -r '.participants | map(.call_sid) | join(",")') == CAfail1 ]]
	# The queue's miss_limit is 1: the agent was sent away.
	api GET "/api/agents/$PAT_ID" "" "$MGR"
	assert_json .missed_offers $((missed + 1))
	assert_json .state away
	assert_json .pause_reason "missed offers"
	# The same callback again (Twilio retries): nothing more.
	agent_status "$first" "$leg" no-answer
	assert_status 200
	api GET "/api/calls/$first" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.requeued")] | length' 1
	# Back: the first call is offered first; its answer only adds a leg.
	avail "$PAT_ID" available
	wait_for 10 call_is "$first" offering
	call_is "$second" queued
	api POST "/api/calls/$first/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 agent_legs_has "$first" 2
	[[ $(fake_count CAfail1) == 1 ]]
	hears "$first" CAfail1 "$(agent_leg "$first")"
	for c in "$first" "$second"; do
		api POST "/api/calls/$c/hangup" '{}' "$MGR"
		assert_status 200
	done
	wait_for 10 fake_has CAfail2 1
	[[ $(fake_reqs CAfail2 | jq -c .params) == '{"Status":"completed"}' ]]
}

@test "an agent's leg Twilio refuses re-queues the call" {
	avail "$PAT_ID" available
	call=$(arrive CArefuse1)
	# The caller's update goes through; the create is refused.
	printf '200\n400\n' >"$FAKE/script"
	take "$call"
	wait_for 10 call_is "$call" queued
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.requeued")] | length' 1
	grep -q "twilio: call $call: bridge failed" "$CD_LOG"
	api POST "/api/calls/$call/hangup" '{}' "$MGR"
	assert_status 200
}

@test "503 and 429 from Twilio are retried, then the update goes through" {
	avail "$PAT_ID" available
	printf '503\n429 0 1\n' >"$FAKE/script"
	call=$(arrive CAretry1)
	take "$call"
	wait_for 20 fake_has CAretry1 3
	[[ $(fake_reqs CAretry1 | jq -r .status | paste -sd,) == 503,429,200 ]]
	wait_for 10 agent_legs_has "$call" 1
	[[ $(fake_reqs CAretry1 | jq -c .params | sort -u | wc -l) == 1 ]]
	[[ $(fake_reqs CAretry1 | jq -r .auth | sort -u) == ok ]]
	grep -q "twilio: call $call: bridge: Twilio answered 200" "$CD_LOG"
	! grep -q "$TOK" "$CD_LOG"
}

#!/usr/bin/env bats
# Callbacks (virtual hold): a waiting call becomes a callback in its place
# (positions unchanged, through kill -9 and a restart), the caller may hang
# up without abandoning it, it is offered to an agent as a callback, and
# the agent's answer makes the daemon call the caller back through Twilio
# (the local fake, tests/lib/fake-twilio.py) to the agent's phone or
# browser page; dials nobody answers are retried after the queue's delay,
# then the call fails (callback_failed).

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
PHONE=+15551234567
OURS=+4940999

# The calls the fake was asked to create (Calls.json), one JSON a line.
# The calls to callers (not the agents' legs) the daemon created.
created() {
	fake_path Calls.json | jq -c 'select(.params.StatusCallback | contains("&event=callback"))'
}
created_has() { [[ $(created | wc -l) -ge $1 ]]; }

call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }
avail() { # AGENT STATE
	api PUT "/api/agents/$1/availability" "{\"state\":\"$2\"}" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "availability $1 $2: $status $output" >&2; return 1; }
}
mkcall() { # NUMBER: a call waiting in Sales
	api POST /api/calls "$(jq -nc --arg q "$Q" --arg n "$1" --arg to "$OURS" \
		'{queue_id: $q, caller_number: $n, caller_data: {to: $to}}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "create: $status $output" >&2; return 1; }
	jget .id
}
snapshot() { # the waiting calls: id position, in position order
	api GET "/api/calls?queue_id=$Q&state=queued&limit=500" "" "$MGR" >/dev/null
	jget '[.items[] | {id, position}] | sort_by(.position) | .[] | "\(.id) \(.position)"'
}

unparked() { # CALL: back in the queue after its retry delay, first
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	[[ $(jget .callback.retry_at) == null && $(jget .position) == 1 ]]
}

gone() { ! kill -0 "$1" 2>/dev/null; }

crash_and_restart() {
	local next=gen$RANDOM
	kill -KILL "$CD_PID"
	wait_for 10 gone "$CD_PID"
	rm -f "$CD_DIR/pid"
	daemon_start "$next" CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")"
	echo "$next" >"$CD_TMP/current"
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
	echo main >"$CD_TMP/current"
	CO=$(mkcompany "Callback Co")
	mkuser cleo@callback.test manager "$CO" >/dev/null
	MGR=$(login cleo@callback.test)
	u=$(mkuser pat@callback.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" --arg p "$PHONE" \
		'{user_id: $u, endpoint: "phone", endpoint_address: $p}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	PAT_ID=$(jget .id)
	PAT=$(login pat@callback.test)
	api POST /api/queues "$(jq -nc --arg a "$PAT_ID" \
		'{name: "Sales", ring_timeout: 600, miss_limit: 0, callback_attempts: 2,
		  callback_retry_delay: 1, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	Q=$(jget .id)
	api PUT "/api/integrations/company/$CO/twilio" \
		"{\"account_sid\":\"$SID\",\"auth_token\":\"$TOK\"}" "$MGR" >/dev/null
	[[ $status == 201 ]]
	export FAKE CO MGR PAT PAT_ID Q
}

teardown_file() {
	[[ -f ${FAKE:-}/server.pid ]] && kill "$(<"$FAKE/server.pid")" 2>/dev/null || true
	cd_teardown
}

# Each test talks to the daemon the previous one left running.
setup() { daemon_use "$(<"$CD_TMP/current")"; }

@test "queues take callback_attempts and callback_retry_delay, within limits" {
	api GET "/api/queues/$Q" "" "$MGR"
	assert_json .callback_attempts 2
	assert_json .callback_retry_delay 1
	api PUT "/api/queues/$Q" '{"callback_attempts": 0}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | join(",")' callback_attempts
	api PUT "/api/queues/$Q" '{"callback_retry_delay": -1}' "$MGR"
	assert_problem 422 validation_failed
	run --separate-stderr cli -o json queues update "$Q" --callback-attempts 2 \
		--callback-retry-delay 1
	assert_success
	assert_json .callback_attempts 2
}

@test "a waiting call becomes a callback in its place; bad requests change nothing" {
	avail "$PAT_ID" offline
	C1=$(mkcall +4930111)
	C2=$(mkcall +4930222)
	C3=$(mkcall +4930333)
	before=$(snapshot)
	[[ $(wc -l <<<"$before") == 3 ]]
	# Not an E.164 number; an agent; no such call.
	api POST "/api/calls/$C2/callback" '{"number": "030 222"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' number
	api POST "/api/calls/$C2/callback" '{}' "$PAT"
	assert_problem 403 forbidden
	api POST "/api/calls/00000000-0000-4000-8000-000000000000/callback" '{}' "$MGR"
	assert_problem 404 not_found
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .callback null
	# The caller's number by default.
	api POST "/api/calls/$C2/callback" '{}' "$MGR"
	assert_status 200
	assert_json .state queued
	assert_json .callback.number +4930222
	assert_json .callback.state waiting
	assert_json .callback.attempts 0
	assert_json .position 2
	[[ $(jget .callback.requested_at) != null ]]
	# The same place for everyone.
	assert_equal "$(snapshot)" "$before"
	# Once is enough.
	api POST "/api/calls/$C2/callback" '{}' "$MGR"
	assert_problem 409 illegal_transition
	# Another number, by the CLI.
	run --separate-stderr cli -o json calls callback "$C3" --number +4930999
	assert_success
	assert_json .callback.number +4930999
	assert_equal "$(snapshot)" "$before"
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.callback_requested")] | length' 1
	assert_json '[.events[] | select(.type == "call.callback_requested")][0].data.number' +4930222
	# A call without a number needs one.
	api POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	nonum=$(jget .id)
	api POST "/api/calls/$nonum/callback" '{}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' number
	api POST "/api/calls/$nonum/hangup" '{}' "$MGR"
	assert_status 200
	echo "$C1 $C2 $C3" >"$CD_TMP/calls"
}

@test "kill -9 and a restart: the callback is still waiting in its place" {
	read -r C1 C2 C3 <"$CD_TMP/calls"
	before=$(snapshot)
	crash_and_restart
	# Ready is not owning: the new node takes the company once the dead
	# one's lease runs out, and positions are the owner's (null until).
	wait_for 20 eval '[[ $(snapshot) == "$before" ]]' ||
		assert_equal "$(snapshot)" "$before"
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .callback.number +4930222
	assert_json .position 2
}

@test "a Twilio caller who asked for a callback hangs up: the call keeps waiting" {
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
	assert_status 200
	twilio "/api/webhooks/twilio/$CO" CallSid=CAcbin1 AccountSid=$SID \
		From=+4930444 To=$OURS CallStatus=ringing Direction=inbound
	assert_status 200
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null
	c=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAcbin1") | .id')
	[[ -n $c ]]
	call_is "$c" queued
	api POST "/api/calls/$c/callback" '{}' "$MGR"
	assert_status 200
	assert_json .position 4
	twilio "/api/webhooks/twilio/$CO" CallSid=CAcbin1 AccountSid=$SID CallStatus=completed
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state queued
	assert_json .position 4
	assert_json '.events[-1].type' call.caller_left
	# A manager still ends it.
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_status 200
	assert_json .state abandoned
}

@test "offered as a callback; the answer dials the caller; no answer retries, then fails" {
	read -r C1 C2 C3 <"$CD_TMP/calls"
	api POST "/api/calls/$C1/hangup" '{}' "$MGR"
	assert_status 200
	avail "$PAT_ID" available
	wait_for 10 call_is "$C2" offering
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .callback.state waiting
	assert_json '[.events[] | select(.type == "call.offered")] | length' 1
	call_is "$C3" queued
	api POST "/api/calls/$C2/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 created_has 1
	req=$(created | tail -1)
	[[ $(jq -r .auth <<<"$req") == ok ]]
	[[ $(jq -r .status <<<"$req") == 201 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -r .params.To <<<"$req") == +4930222 ]]
	[[ $(jq -r .params.From <<<"$req") == "$OURS" ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(caller_twiml "$C2")" ]]
	[[ $(jq -r .params.StatusCallback <<<"$req") == "$PUB/api/webhooks/twilio/$CO?call=$C2&event=callback" ]]
	[[ $(jq -c .params.StatusCallbackEvent <<<"$req") == '["answered","completed"]' ]]
	sid=$(jq -r .sid <<<"$req")
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .state connected
	assert_json .callback.state dialing
	assert_json .callback.attempts 1
	# The agent's leg waits for the caller's answer.
	[[ -z $(agent_legs "$C2") ]]
	# The agent pauses after this call (pending while on it).
	avail "$PAT_ID" away
	# Nobody answers: the agent is freed, the call waits for its retry.
	twilio "/api/webhooks/twilio/$CO?call=$C2&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=no-answer
	assert_status 200
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .state queued
	assert_json .agent_id null
	assert_json .callback.state waiting
	[[ $(jget .callback.retry_at) != null ]]
	assert_json '[.events[] | select(.type == "call.callback_no_answer")] | length' 1
	api GET "/api/agents/$PAT_ID" "" "$MGR"
	assert_json .state away
	# After the delay it waits again in its place, ahead of C3.
	wait_for 15 unparked "$C2"
	api GET "/api/calls/$C3" "" "$MGR"
	assert_json .position 2
	avail "$PAT_ID" available
	wait_for 10 call_is "$C2" offering
	call_is "$C3" queued
	api POST "/api/calls/$C2/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 created_has 2
	sid=$(created | tail -1 | jq -r .sid)
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .callback.attempts 2
	twilio "/api/webhooks/twilio/$CO?call=$C2&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=busy
	assert_status 200
	api GET "/api/calls/$C2" "" "$MGR"
	assert_json .state failed
	assert_json .callback.state failed
	assert_json '.events[-1].type' call.failed
	assert_json '.events[-1].data.reason' callback_failed
	# The agent goes on with the next caller.
	wait_for 10 call_is "$C3" offering
	api GET "/api/agents/$PAT_ID" "" "$MGR"
	assert_json .state offering
}

@test "the caller answers the callback: bridged, then ended as any call" {
	read -r C1 C2 C3 <"$CD_TMP/calls"
	n=$(created | wc -l)
	api POST "/api/calls/$C3/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 created_has $((n + 1))
	req=$(created | tail -1)
	[[ $(jq -r .params.To <<<"$req") == +4930999 ]]
	sid=$(jq -r .sid <<<"$req")
	twilio "/api/webhooks/twilio/$CO?call=$C3&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=in-progress
	assert_status 200
	api GET "/api/calls/$C3" "" "$MGR"
	assert_json .state connected
	assert_json .callback.state answered
	[[ $(jget .callback.answered_at) != null ]]
	# Now the agent's leg, into the conference the caller waits in.
	wait_for 10 agent_legs_has "$C3" 1
	req=$(agent_legs "$C3")
	[[ $(jq -r .params.To <<<"$req") == "$PHONE" && $(jq -r .params.From <<<"$req") == "$OURS" ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(agent_twiml "$C3")" ]]
	hears "$C3" "$sid" "$(agent_leg "$C3")"
	# Twilio repeats the answer: still one leg.
	twilio "/api/webhooks/twilio/$CO?call=$C3&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=in-progress
	assert_status 200
	twilio "/api/webhooks/twilio/$CO?call=$C3&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=completed CallDuration=40
	assert_status 200
	call_is "$C3" wrap_up
	api POST "/api/calls/$C3/wrap" '{}' "$PAT"
	assert_status 200
}

@test "IVR callback node: checked at file:line:col, walked offline" {
	cat >"$BATS_TEST_TMPDIR/bad.yaml" <<'YAML'
name: Bad
start: offer
nodes:
  offer:
    type: callback
    prompt:
      text: Press 1
    max_wait: 10
YAML
	run cli ivr validate "$BATS_TEST_TMPDIR/bad.yaml"
	assert_failure 1
	assert_line "$BATS_TEST_TMPDIR/bad.yaml:4:3: error: callback node \"offer\" has no \"queue\""
	assert_line "$BATS_TEST_TMPDIR/bad.yaml:8:5: error: field \"max_wait\" does not apply to callback node \"offer\""
	cat >"$BATS_TEST_TMPDIR/cb.yaml" <<'YAML'
name: Callback line
start: offer
nodes:
  offer:
    type: callback
    queue: Sales
    prompt:
      text: Press 1 to be called back at this number, or key another and then hash.
    retries: 1
    on_invalid: bye
  bye:
    type: hangup
YAML
	run cli ivr validate "$BATS_TEST_TMPDIR/cb.yaml"
	assert_success
	run cli ivr simulate "$BATS_TEST_TMPDIR/cb.yaml" --caller +4930123 --input 1
	assert_success
	assert_line 'enqueue queue=Sales priority=0 callback=+4930123'
	run cli ivr simulate "$BATS_TEST_TMPDIR/cb.yaml" --caller +4930123 --input '4930555#'
	assert_line 'enqueue queue=Sales priority=0 callback=+4930555'
	# A leading 0 or too few digits is no number; no caller number for 1.
	run cli ivr simulate "$BATS_TEST_TMPDIR/cb.yaml" --input '1,0301234#'
	assert_success
	refute_output --partial enqueue
	assert_line '  hangup'
}

@test "IVR callback node over Twilio: the caller keys 1 and hangs up; the call waits as a callback" {
	avail "$PAT_ID" offline
	cat >"$CD_TMP/cb.yaml" <<'YAML'
name: Callback line
start: offer
nodes:
  offer:
    type: callback
    queue: Sales
    prompt:
      text: Press 1 to be called back at this number, or key another and then hash.
YAML
	api -H 'Content-Type: application/yaml' POST "/api/ivr?activate=true" "@$CD_TMP/cb.yaml" "$MGR" >/dev/null
	api POST "/api/ivr/$(jget .id)/activate" '{"entry": true}' "$MGR" >/dev/null
	assert_status 200
	twilio "/api/webhooks/twilio/$CO" CallSid=CAcbivr1 AccountSid=$SID \
		From=+4930777 To=$OURS CallStatus=ringing Direction=inbound
	assert_status 200
	[[ $output == *'<Gather'*'Press 1 to be called back'* ]]
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null
	c=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAcbivr1") | .id')
	[[ -n $c ]]
	twilio "/api/webhooks/twilio/$CO?call=$c&event=digits" CallSid=CAcbivr1 \
		AccountSid=$SID Digits=1
	assert_status 200
	[[ $output == *'<Hangup/></Response>' ]]
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state queued
	assert_json .callback.number +4930777
	assert_json .position 1
	twilio "/api/webhooks/twilio/$CO" CallSid=CAcbivr1 AccountSid=$SID CallStatus=completed
	assert_status 200
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .state queued
	assert_json .callback.number +4930777
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_status 200
}

@test "analytics and queue stats count callbacks on their own" {
	api GET "/api/analytics/company/$CO/overview" "" "$MGR"
	assert_status 200
	# C2 failed, C3 answered, two more requested and then hung up.
	assert_json .callbacks.requested 4
	assert_json .callbacks.completed 1
	assert_json .callbacks.failed 1
	assert_json .callbacks.pending 0
	[[ $(jget '.callbacks.time_to_callback > 0') == true ]]
	api GET "/api/analytics/company/$CO/overview?queue_id=00000000-0000-4000-8000-000000000000" "" "$MGR"
	assert_json .callbacks.requested 0
	assert_json .callbacks.time_to_callback null
	api GET "/api/queues/$Q/stats" "" "$MGR"
	assert_status 200
	assert_json .today.callbacks.requested 4
	assert_json .today.callbacks.completed 1
	assert_json .today.callbacks.failed 1
	assert_json .today.callbacks.waiting 0
}

@test "a callback waiting for its retry survives kill -9: queued at its place when due" {
	api PUT "/api/queues/$Q" '{"callback_retry_delay": 2}' "$MGR"
	assert_status 200
	avail "$PAT_ID" offline
	C5=$(mkcall +4930555)
	C6=$(mkcall +4930666)
	api POST "/api/calls/$C5/callback" '{}' "$MGR"
	assert_status 200
	n=$(created | wc -l)
	avail "$PAT_ID" available
	wait_for 10 call_is "$C5" offering
	api POST "/api/calls/$C5/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 created_has $((n + 1))
	sid=$(created | tail -1 | jq -r .sid)
	avail "$PAT_ID" away
	twilio "/api/webhooks/twilio/$CO?call=$C5&event=callback" CallSid="$sid" \
		AccountSid=$SID CallStatus=failed
	assert_status 200
	api GET "/api/calls/$C5" "" "$MGR"
	assert_json .callback.attempts 1
	[[ $(jget .callback.retry_at) != null ]]
	crash_and_restart
	# Parked or due, the rebuilt hub queues it at its original place.
	wait_for 15 unparked "$C5"
	api GET "/api/calls/$C6" "" "$MGR"
	assert_json .position 2
	for c in "$C5" "$C6"; do
		api POST "/api/calls/$c/hangup" '{}' "$MGR"
		assert_status 200
	done
	avail "$PAT_ID" offline
}

@test "webhooks subscribe to the callback events by name" {
	api POST "/api/webhooks/company/$CO" '{"url": "https://hooks.example.test/cb", "events": ["call.callback_requested", "call.callback_no_answer", "call.callback_answered", "call.caller_left"]}' "$MGR"
	assert_status 201
	api DELETE "/api/webhooks/$(jget .id)" "" "$MGR"
	assert_status 204
}

@test "a browser agent answers a callback: the caller is called back to its Client" {
	u=$(mkuser wes@callback.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	WES_ID=$(jget .id)
	WES=$(login wes@callback.test)
	api POST /api/queues "$(jq -nc --arg a "$WES_ID" \
		'{name: "Web", ring_timeout: 600, miss_limit: 0, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	WEB=$(jget .id)
	api POST /api/calls "$(jq -nc --arg q "$WEB" --arg to "$OURS" \
		'{queue_id: $q, caller_number: "+4930777", caller_data: {to: $to}}')" "$MGR"
	assert_status 201
	C7=$(jget .id)
	api POST "/api/calls/$C7/callback" '{}' "$MGR"
	assert_status 200
	n=$(created | wc -l)
	avail "$WES_ID" available
	wait_for 10 call_is "$C7" offering
	api POST "/api/calls/$C7/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 created_has $((n + 1))
	req=$(created | tail -1)
	[[ $(jq -r .params.To <<<"$req") == +4930777 ]]
	[[ $(jq -r .params.From <<<"$req") == "$OURS" ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(caller_twiml "$C7")" ]]
	[[ $(jq -r .params.StatusCallback <<<"$req") == "$PUB/api/webhooks/twilio/$CO?call=$C7&event=callback" ]]
	# The caller answers: the agent's browser is called into the conference.
	twilio "/api/webhooks/twilio/$CO?call=$C7&event=callback" CallSid="$(jq -r .sid <<<"$req")" \
		AccountSid=$SID CallStatus=in-progress
	assert_status 200
	wait_for 10 agent_legs_has "$C7" 1
	[[ $(agent_legs "$C7" | jq -r .params.To) == "client:agent_${WES_ID//-/}?call_id=$C7" ]]
	api POST "/api/calls/$C7/hangup" '{}' "$MGR"
	assert_status 200
}

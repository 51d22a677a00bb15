#!/usr/bin/env bats
# Supervision of Twilio calls (docs/api.md, "Supervision of Twilio calls"):
# a manager's call.supervise adds her as a participant of the call's
# conference, by phone or by her browser's Voice SDK identity (with the
# token GET /api/users/me/twilio-token mints, judged by Twilio's library),
# and each mode is heard by the right parties only: the fake Twilio
# (tests/lib/fake-twilio.py) computes who hears whom from the participants'
# muted, hold and coaching. Mode changes update the participant, off and a
# transfer remove it; the agent hears an announcement when the company
# says so.

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
KEY=SK00112233445566778899aabbccddeeff
KEYSECRET=Kx9fQ2mZ7rT4vW8yB1nC5dE3gH6jL0pA
PHONE=+15551234567
BOSS=+15559990000
OURS=+4940999

arrive() { # CALLSID: its call id
	twilio "/api/webhooks/twilio/$CO" CallSid="$1" AccountSid=$SID \
		From=+4930123 To=$OURS CallStatus=ringing Direction=inbound >/dev/null
	[[ $status == 200 ]] || { echo "arrive $1: $status $output" >&2; return 1; }
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null
	jget ".items[] | select(.caller_data.twilio_call_sid == \"$1\") | .id"
}
call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }
avail() { # AGENT STATE
	api PUT "/api/agents/$1/availability" "{\"state\":\"$2\"}" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "availability $1 $2: $status $output" >&2; return 1; }
}
# A Twilio call answered by AGENT (TOKEN), its leg in the conference: the
# call's id in CALL, the agent's leg in LEG.
connect() { # CALLSID AGENT_ID TOKEN
	avail "$2" available
	CALL=$(arrive "$1")
	wait_for 10 call_is "$CALL" offering
	api POST "/api/calls/$CALL/answer" '{}' "$3" >/dev/null
	[[ $status == 200 ]] || { echo "answer: $status $output" >&2; return 1; }
	wait_for 10 agent_legs_has "$CALL" 1
	LEG=$(agent_leg "$CALL")
	conf_event "$CALL" participant-join "$1" >/dev/null
	conf_event "$CALL" participant-join "$LEG" >/dev/null
}
supervise() { # CALL BODY
	api POST "/api/calls/$1/supervise" "$2" "$MGR"
	[[ $status == 200 ]] || { echo "supervise $2: $status $output" >&2; return 1; }
}
# The requests to the supervisor's participant (by its label).
sup_reqs() { participant_reqs "$1" | jq -c 'select(.path | endswith("/Participants/supervisor.json"))'; }
sup_has() { [[ $(sup_reqs "$1" | wc -l) -ge $2 ]]; }
sup_created() { participant_reqs "$1" | jq -c 'select(.path | endswith("/Participants.json"))'; }
sup_created_has() { [[ -n $(sup_created "$1") ]]; }
# hear CALL: who hears whom, by name (caller, agent, boss), sorted lines.
hear() {
	conference "$1" | jq -r --arg c "$2" --arg a "$3" --arg b "${4:-none}" '
		def name: if . == $c then "caller" elif . == $a then "agent"
			elif . == $b then "boss" else . end;
		.hears | to_entries[] | "\(.key | name): \([.value[] | name] | sort | join(","))"' | sort
}
participants() { conference "$1" | jq -r '[.participants[].call_sid] | sort | join(",")'; }

setup_file() {
	NODE_DIR=
	[[ -d $TOP/tests/node/node_modules/twilio ]] && command -v node >/dev/null &&
		NODE_DIR=$TOP/tests/node
	FAKE=$BATS_FILE_TMPDIR/fake-twilio
	mkdir -p "$FAKE"
	python3 "$TOP/tests/lib/fake-twilio.py" "$FAKE" "$SID" "$TOK" \
		</dev/null >"$FAKE/log" 2>&1 3>&- &
	echo $! >"$FAKE/server.pid"
	wait_for 10 test -s "$FAKE/port"
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")"
	CO=$(mkcompany "Watch Co")
	MGR_ID=$(mkuser mia@watch.test manager "$CO")
	MGR=$(login mia@watch.test)
	u=$(mkuser pat@watch.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" --arg p "$PHONE" \
		'{user_id: $u, endpoint: "phone", endpoint_address: $p}')" "$MGR" >/dev/null
	PAT_ID=$(jget .id)
	PAT=$(login pat@watch.test)
	u=$(mkuser wes@watch.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	WES_ID=$(jget .id)
	WES=$(login wes@watch.test)
	api POST /api/queues "$(jq -nc --arg a "$PAT_ID" --arg w "$WES_ID" \
		'{name: "Sales", ring_timeout: 600, members: [{agent_id: $a}, {agent_id: $w}]}')" "$MGR" >/dev/null
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
	api PUT "/api/integrations/company/$CO/twilio" "$(jq -nc --arg s "$SID" --arg t "$TOK" \
		--arg k "$KEY" --arg ks "$KEYSECRET" \
		'{account_sid: $s, auth_token: $t, api_key_sid: $k, api_key_secret: $ks}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	export FAKE CO MGR MGR_ID PAT PAT_ID WES WES_ID NODE_DIR
}

teardown_file() {
	[[ -f ${FAKE:-}/server.pid ]] && kill "$(<"$FAKE/server.pid")" 2>/dev/null || true
	cd_teardown
}

# No call of a failed test keeps an agent busy for the next.
teardown() {
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null || return 0
	for c in $(jget '.items[] | select(.state == "connected" or .state == "on_hold" or .state == "queued" or .state == "offering") | .id'); do
		api POST "/api/calls/$c/hangup" '{}' "$MGR" >/dev/null || true
	done
	api GET "/api/calls?limit=500" "" "$MGR" >/dev/null || return 0
	for c in $(jget '.items[] | select(.state == "wrap_up") | .id'); do
		api POST "/api/calls/$c/wrap" '{}' "$PAT" >/dev/null || true
		api POST "/api/calls/$c/wrap" '{}' "$WES" >/dev/null || true
	done
	avail "$PAT_ID" offline || true
	avail "$WES_ID" offline || true
}

@test "by phone: monitor, whisper and barge are each heard by the right parties only; the modes move; off removes her" {
	connect CAsup1 "$PAT_ID" "$PAT"
	cf=$(conf_sid "$CALL")
	[[ -n $cf ]]
	supervise "$CALL" "{\"mode\": \"monitor\", \"phone\": \"$BOSS\"}"
	wait_for 10 sup_created_has "$CALL"
	req=$(sup_created "$CALL")
	[[ $(jq -r .path <<<"$req") == "/2010-04-01/Accounts/$SID/Conferences/$cf/Participants.json" ]]
	[[ $(jq -r .auth <<<"$req") == ok && $(jq -r .status <<<"$req") == 201 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -cS .params <<<"$req") == "$(jq -ncS --arg to "$BOSS" --arg from "$OURS" \
		'{From: $from, To: $to, Label: "supervisor", Beep: "false", EndConferenceOnExit: "false", Muted: "true", Coaching: "false"}')" ]]
	boss=$(jq -r .sid <<<"$req")
	# monitor: she hears both, nobody hears her.
	[[ $(hear "$CALL" CAsup1 "$LEG" "$boss") == "agent: caller
boss: agent,caller
caller: agent" ]]
	# whisper: the agent hears her, the caller does not.
	supervise "$CALL" '{"mode": "whisper"}'
	wait_for 10 sup_has "$CALL" 1
	req=$(sup_reqs "$CALL" | tail -1)
	[[ $(jq -r .method <<<"$req") == POST && $(jq -r .status <<<"$req") == 200 ]]
	[[ $(jq -cS .params <<<"$req") == "$(jq -ncS --arg l "$LEG" \
		'{Muted: "false", Coaching: "true", CallSidToCoach: $l}')" ]]
	[[ $(hear "$CALL" CAsup1 "$LEG" "$boss") == "agent: boss,caller
boss: agent,caller
caller: agent" ]]
	# barge: all three hear each other.
	supervise "$CALL" '{"mode": "barge"}'
	wait_for 10 sup_has "$CALL" 2
	[[ $(sup_reqs "$CALL" | tail -1 | jq -cS .params) == '{"Coaching":"false","Muted":"false"}' ]]
	[[ $(hear "$CALL" CAsup1 "$LEG" "$boss") == "agent: boss,caller
boss: agent,caller
caller: agent,boss" ]]
	# Back to monitor.
	supervise "$CALL" '{"mode": "monitor"}'
	wait_for 10 sup_has "$CALL" 3
	[[ $(sup_reqs "$CALL" | tail -1 | jq -cS .params) == '{"Coaching":"false","Muted":"true"}' ]]
	[[ $(hear "$CALL" CAsup1 "$LEG" "$boss") == "agent: caller
boss: agent,caller
caller: agent" ]]
	# Hold keeps her; the held caller hears nobody, and nobody hears it.
	api POST "/api/calls/$CALL/hold" '{}' "$PAT"
	assert_status 200
	wait_for 10 participant_has "$CALL" 5
	[[ $(hear "$CALL" CAsup1 "$LEG" "$boss") == "agent: 
boss: agent
caller: " ]]
	api POST "/api/calls/$CALL/resume" '{}' "$PAT"
	wait_for 10 participant_has "$CALL" 6
	# off: her participant is removed.
	supervise "$CALL" '{"mode": "off"}'
	wait_for 10 sup_has "$CALL" 4
	req=$(sup_reqs "$CALL" | tail -1)
	[[ $(jq -r .method <<<"$req") == DELETE && $(jq -r .status <<<"$req") == 204 ]]
	[[ $(participants "$CALL") == "$(printf '%s\n' CAsup1 "$LEG" | sort | paste -sd,)" ]]
	# No announcement: the company does not announce supervision.
	[[ -z $(participant_reqs "$CALL" | jq -c 'select(.params.AnnounceUrl)') ]]
	# Twilio requests were all signed and of known parameters.
	[[ $(participant_reqs "$CALL" | jq -r '.auth + " " + (.unknown | length | tostring)' | sort -u) == "ok 0" ]]
}

@test "by browser: a manager's Voice SDK token, her Client identity joined whispering to a browser agent; announced to the agent; a transfer removes her" {
	api PUT "/api/settings/company/$CO" '{"supervision_announce": true}' "$MGR"
	assert_status 200
	ident=user_${MGR_ID//-/}
	api GET /api/users/me/twilio-token "" "$MGR"
	assert_status 200
	assert_json .identity "$ident"
	assert_json .account_sid "$SID"
	assert_json .ttl 3600
	if [[ -n $NODE_DIR ]]; then
		run node "$NODE_DIR/verify-token.js" "$(jget .token)" "$KEYSECRET" "$SID" "$KEY" "$ident"
		assert_success
	fi
	# Agents get none; an admin names the company; the local admin none.
	api GET /api/users/me/twilio-token "" "$WES"
	assert_problem 403 forbidden
	api GET /api/users/me/twilio-token
	assert_problem 404 not_found
	adm=$(mkuser ada@watch.test admin)
	ADM=$(login ada@watch.test)
	api GET /api/users/me/twilio-token "" "$ADM"
	assert_problem 422 validation_failed
	api GET "/api/users/me/twilio-token?company_id=$CO" "" "$ADM"
	assert_status 200
	assert_json .identity "user_${adm//-/}"
	connect CAsup2 "$WES_ID" "$WES"
	cf=$(conf_sid "$CALL")
	supervise "$CALL" '{"mode": "whisper"}'
	wait_for 10 sup_created_has "$CALL"
	req=$(sup_created "$CALL")
	[[ $(jq -r .params.To <<<"$req") == "client:$ident?call_id=$CALL" ]]
	[[ $(jq -r .params.Coaching <<<"$req") == true && $(jq -r .params.CallSidToCoach <<<"$req") == "$LEG" ]]
	[[ $(jq -r .params.Muted <<<"$req") == false ]]
	boss=$(jq -r .sid <<<"$req")
	[[ $(hear "$CALL" CAsup2 "$LEG" "$boss") == "agent: boss,caller
boss: agent,caller
caller: agent" ]]
	# The agent's leg is told, from the daemon's own TwiML.
	ann() { participant_reqs "$CALL" | jq -c 'select(.params.AnnounceUrl)'; }
	ann_has() { [[ $(ann | wc -l) -ge $1 ]]; }
	wait_for 10 ann_has 1
	req=$(ann)
	[[ $(jq -r .path <<<"$req") == "/2010-04-01/Accounts/$SID/Conferences/$cf/Participants/$LEG.json" ]]
	[[ $(jq -cS .params <<<"$req") == "$(jq -ncS --arg u "$PUB/api/webhooks/twilio/$CO?call=$CALL&event=announce&mode=whisper" \
		'{AnnounceUrl: $u, AnnounceMethod: "POST"}')" ]]
	twilio "/api/webhooks/twilio/$CO?call=$CALL&event=announce&mode=whisper" AccountSid=$SID \
		ConferenceSid="$cf" CallSid="$LEG"
	assert_status 200
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Say>A supervisor is coaching you. The caller cannot hear them.</Say></Response>' ]]
	twilio "/api/webhooks/twilio/$CO?call=$CALL&event=announce&mode=shout" AccountSid=$SID
	assert_problem 400 bad_request
	# Barge: announced too.
	supervise "$CALL" '{"mode": "barge"}'
	wait_for 10 ann_has 2
	[[ $(ann | tail -1 | jq -r .params.AnnounceUrl) == *"&event=announce&mode=barge" ]]
	[[ $(hear "$CALL" CAsup2 "$LEG" "$boss") == "agent: boss,caller
boss: agent,caller
caller: agent,boss" ]]
	# A transfer to the queue ends her supervision: her participant goes.
	api POST "/api/calls/$CALL/transfer" '{"queue_id": "'"$(api GET /api/queues "" "$MGR" >/dev/null; jget '.items[0].id')"'"}' "$WES"
	assert_status 200
	wait_for 10 sup_has "$CALL" 1
	[[ $(sup_reqs "$CALL" | tail -1 | jq -r .method) == DELETE ]]
	[[ $(participants "$CALL") == CAsup2 ]]
	api PUT "/api/settings/company/$CO" '{"supervision_announce": false}' "$MGR"
}

@test "by a SIP phone, barging; the call's end ends her supervision without another request" {
	connect CAsup3 "$PAT_ID" "$PAT"
	supervise "$CALL" "{\"mode\": \"barge\", \"phone\": \"sip:boss@pbx.example.test\"}"
	wait_for 10 sup_created_has "$CALL"
	[[ $(sup_created "$CALL" | jq -r .params.To) == sip:boss@pbx.example.test ]]
	cf=$(conf_sid "$CALL")
	n=$(participant_reqs "$CALL" | wc -l)
	api POST "/api/calls/$CALL/hangup" '{}' "$PAT"
	assert_status 200
	# The REST thread's jobs run in order: the caller's end is the last.
	wait_for 10 fake_has CAsup3 2
	[[ $(participant_reqs "$CALL" "$cf" | wc -l) == "$n" ]]
	[[ $(conference "$CALL" | jq -r .message) == "no such conference" ]]
	api GET "/api/calls/$CALL" "" "$MGR"
	assert_json '.events | map(select(.type == "call.supervised")) | last | .data.reason' call_ended
}

#!/usr/bin/env bats
# Browser agents take phone callers through Twilio's Voice JavaScript SDK:
# the Twilio integration's write-only API key, the access tokens the daemon
# mints for an agent's page (judged by Twilio's own helper library, npm
# twilio, in tests/node/), the bridge to the agent's <Client>, and Twilio's
# request signatures made by that library, accepted (and a tampered one
# refused) by the daemon. The fake Twilio is tests/lib/fake-twilio.py.

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
KEY=SK00112233445566778899aabbccddeeff
KEYSECRET=Kx9fQ2mZ7rT4vW8yB1nC5dE3gH6jL0pA
APP=AP0123456789abcdef0123456789abcdef

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# twilio PATH [NAME=VALUE...]: POST the form to PATH as Twilio does, signed
# over $PUB$PATH by Twilio's library (tests/node/twilio-sign.js), or without
# it as its documentation says (HMAC-SHA1 of the URL and the sorted fields);
# $TWSIG instead when set.
twilio() {
	local path=$1 kv body= sig signed=$PUB$1
	shift
	if [[ -n ${NODE_DIR:-} ]]; then
		sig=$(node "$NODE_DIR/twilio-sign.js" "$TOK" "$PUB$path" "$@") || return 1
	else
		while IFS= read -r kv; do
			[[ -n $kv ]] && signed+=${kv%%=*}${kv#*=}
		done < <(printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1 -s)
		sig=$(printf '%s' "$signed" | openssl dgst -sha1 -hmac "$TOK" -binary | base64)
	fi
	for kv in "$@"; do
		body+=${body:+&}$(jq -rn --arg v "${kv%%=*}" '$v|@uri')=$(jq -rn --arg v "${kv#*=}" '$v|@uri')
	done
	api -H 'Content-Type: application/x-www-form-urlencoded' \
		-H "X-Twilio-Signature: ${TWSIG:-$sig}" POST "$path" "$body"
}

need_node() {
	[[ -n ${NODE_DIR:-} ]] || skip "Twilio's helper library is not installed: $NODE_WHY"
}

call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

setup_file() {
	# Twilio's library, installed by scripts/deps.sh from the committed
	# lock file into tests/node/node_modules (no network in the tests).
	NODE_DIR= NODE_WHY=
	if ! command -v node >/dev/null; then
		NODE_WHY="no node (scripts/deps.sh installs it)"
	elif [[ ! -d $TOP/tests/node/node_modules/twilio ]]; then
		NODE_WHY="tests/node/node_modules is missing: run scripts/deps.sh"
	else
		NODE_DIR=$TOP/tests/node
	fi
	FAKE=$BATS_FILE_TMPDIR/fake-twilio
	mkdir -p "$FAKE"
	python3 "$TOP/tests/lib/fake-twilio.py" "$FAKE" "$SID" "$TOK" \
		</dev/null >"$FAKE/log" 2>&1 3>&- &
	echo $! >"$FAKE/server.pid"
	wait_for 10 test -s "$FAKE/port"
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")"
	CO=$(mkcompany "Voice Co")
	mkuser mia@voice.test manager "$CO" >/dev/null
	MGR=$(login mia@voice.test)
	u=$(mkuser wes@voice.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	WES_ID=$(jget .id)
	WES=$(login wes@voice.test)
	u=$(mkuser pat@voice.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" \
		'{user_id: $u, endpoint: "phone", endpoint_address: "+15551234567"}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	PAT=$(login pat@voice.test)
	api POST /api/queues "$(jq -nc --arg a "$WES_ID" \
		'{name: "Sales", miss_limit: 3, ring_timeout: 600, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
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
	export FAKE CO MGR WES WES_ID PAT NODE_DIR NODE_WHY
}

teardown_file() {
	[[ -f ${FAKE:-}/server.pid ]] && kill "$(<"$FAKE/server.pid")" 2>/dev/null || true
	cd_teardown
}

@test "the Twilio integration takes an API key: validated, write-only, kept on rotation, never recorded" {
	# No integration yet: no token for anyone.
	api GET /api/agents/me/twilio-token "" "$WES"
	assert_problem 409 not_configured
	api PUT "/api/integrations/company/$CO/twilio" \
		"$(jq -nc --arg s "$SID" --arg t "$TOK" '{account_sid: $s, auth_token: $t}')" "$MGR"
	assert_status 201
	assert_json .api_key_sid null
	assert_json .twiml_app_sid null
	api GET /api/agents/me/twilio-token "" "$WES"
	assert_problem 409 not_configured
	# Refusals name their field; nothing is written.
	for body in '{"api_key_sid": "SKnothex"}' \
		'{"api_key_sid": "'$KEY'"}' \
		'{"api_key_secret": "'$KEYSECRET'"}' \
		'{"api_key_sid": "'$KEY'", "api_key_secret": "short"}' \
		'{"twiml_app_sid": "AC0123456789abcdef0123456789abcdef"}'; do
		api PUT "/api/integrations/company/$CO/twilio" \
			"$(jq -c --arg s "$SID" --arg t "$TOK" '. + {account_sid: $s, auth_token: $t}' <<<"$body")" "$MGR"
		assert_problem 422 validation_failed
	done
	api PUT "/api/integrations/company/$CO/twilio" "$(jq -nc --arg s "$SID" --arg t "$TOK" \
		'{account_sid: $s, auth_token: $t, api_key_sid: "SKnothex"}')" "$MGR"
	assert_json '[.errors[].field] | sort | join(",")' api_key_secret,api_key_sid
	api GET "/api/integrations/company/$CO/twilio" "" "$MGR"
	assert_json .api_key_sid null
	# The CLI: the auth token, then the API key secret, on stdin.
	run --separate-stderr cli -o json --company "$CO" integrations set twilio \
		--account-sid "$SID" --api-key-sid "$KEY" --twiml-app-sid "$APP" \
		--auth-token-stdin <<<"$TOK"$'\n'"$KEYSECRET"
	assert_success
	assert_json .api_key_sid "$KEY"
	assert_json .twiml_app_sid "$APP"
	# Rotating the auth token alone keeps the key and the app.
	api PUT "/api/integrations/company/$CO/twilio" \
		"$(jq -nc --arg s "$SID" --arg t "$TOK" '{account_sid: $s, auth_token: $t}')" "$MGR"
	assert_status 200
	assert_json .api_key_sid "$KEY"
	assert_json .twiml_app_sid "$APP"
	# "twiml_app_sid": null clears the app; the key stays.
	api PUT "/api/integrations/company/$CO/twilio" \
		"$(jq -nc --arg s "$SID" --arg t "$TOK" '{account_sid: $s, auth_token: $t, twiml_app_sid: null}')" "$MGR"
	assert_json .api_key_sid "$KEY"
	assert_json .twiml_app_sid null
	# Never answered, logged or recorded.
	api GET "/api/integrations/company/$CO/twilio" "" "$MGR"
	[[ $output != *"$KEYSECRET"* && $output != *"$TOK"* ]]
	run cli -o json --company "$CO" integrations show twilio
	assert_success
	refute_output --partial "$KEYSECRET"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE strpos(detail::text, '$KEYSECRET') > 0 OR strpos(detail::text, '$TOK') > 0") == 0 ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'integration' AND object_id = '$CO'") -ge 4 ]]
	! grep -q "$KEYSECRET" "$CD_LOG"
	# Agents see nothing of it.
	api GET "/api/integrations/company/$CO/twilio" "" "$WES"
	assert_problem 403 forbidden
}

@test "a browser agent's access token is one Twilio's library makes and verifies" {
	need_node
	api GET /api/agents/me/twilio-token "" "$WES"
	assert_status 200
	ident=agent_${WES_ID//-/}
	assert_json .identity "$ident"
	assert_json .account_sid "$SID"
	assert_json .ttl 3600
	tok=$(jget .token)
	run node "$NODE_DIR/verify-token.js" "$tok" "$KEYSECRET" "$SID" "$KEY" "$ident"
	assert_success
	jq -e '.payload.grants.voice == {"incoming": {"allow": true}}' <<<"$output"
	# Its expiry is the one answered.
	exp=$(jq -r .payload.exp <<<"$output")
	api GET /api/agents/me/twilio-token "" "$WES"
	[[ $(date -ud "$(jget .expires_at)" +%s) -ge $exp ]]
	# With a TwiML App, the outgoing grant names it.
	api PUT "/api/integrations/company/$CO/twilio" "$(jq -nc --arg s "$SID" --arg t "$TOK" \
		--arg a "$APP" '{account_sid: $s, auth_token: $t, twiml_app_sid: $a}')" "$MGR"
	assert_status 200
	api GET /api/agents/me/twilio-token "" "$WES"
	tok=$(jget .token)
	run node "$NODE_DIR/verify-token.js" "$tok" "$KEYSECRET" "$SID" "$KEY" "$ident" "$APP"
	assert_success
	jq -e --arg a "$APP" '.payload.grants.voice.outgoing.application_sid == $a' <<<"$output"
	# Verified with another secret, the library refuses it.
	run node "$NODE_DIR/verify-token.js" "$tok" "${KEYSECRET}x" "$SID" "$KEY" "$ident" "$APP"
	assert_failure
	assert_output --partial 'invalid signature'
}

@test "tokens only for browser agents: a phone agent, a manager and the local admin get none" {
	api GET /api/agents/me/twilio-token "" "$PAT"
	assert_problem 409 conflict
	api GET /api/agents/me/twilio-token "" "$MGR"
	assert_problem 404 not_found
	api GET /api/agents/me/twilio-token
	assert_problem 404 not_found
	api GET /api/agents/me/twilio-token "" "not-a-token"
	assert_status 401
}

@test "a browser agent answers a phone caller: the caller joins the conference, the agent's Client is called into it" {
	api PUT "/api/agents/$WES_ID/availability" '{"state":"available"}' "$MGR"
	assert_status 200
	twilio "/api/webhooks/twilio/$CO" CallSid=CAvoice1 AccountSid=$SID \
		From=+4930123 To=+4940999 CallStatus=ringing Direction=inbound
	assert_status 200
	[[ $output == *'<Enqueue>Sales</Enqueue>'* ]]
	api GET "/api/calls?limit=500" "" "$MGR"
	call=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAvoice1") | .id')
	wait_for 10 call_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 fake_has CAvoice1 1
	req=$(fake_reqs CAvoice1)
	[[ $(jq -r .auth <<<"$req") == ok ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(caller_twiml "$call")" ]]
	[[ $(jq -r .params.StatusCallback <<<"$req") == "$PUB/api/webhooks/twilio/$CO" ]]
	wait_for 10 agent_legs_has "$call" 1
	req=$(agent_legs "$call")
	[[ $(jq -r .auth <<<"$req") == ok && $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -r .params.To <<<"$req") == "client:agent_${WES_ID//-/}?call_id=$call" ]]
	[[ $(jq -r .params.From <<<"$req") == +4940999 ]]
	[[ $(jq -r .params.Twiml <<<"$req") == "$(agent_twiml "$call")" ]]
	call_is "$call" connected
	# The page does not pick up: Twilio posts the leg's status; the call
	# waits again at its place, a missed offer counted.
	leg=$(agent_leg "$call")
	fake_hangup "$leg"
	agent_status "$call" "$leg" no-answer
	assert_status 200
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '[.events[] | select(.type == "call.requeued")] | length' 1
	api GET "/api/agents/$WES_ID" "" "$MGR"
	assert_json .missed_offers 1
	# Offered again (the only agent); this time answered, then hung up by
	# the agent.
	wait_for 10 call_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 agent_legs_has "$call" 2
	[[ $(fake_count CAvoice1) == 1 ]]
	leg=$(agent_leg "$call")
	hears "$call" CAvoice1 "$leg"
	api POST "/api/calls/$call/hangup" '{}' "$WES"
	assert_status 200
	wait_for 10 fake_has CAvoice1 2
	[[ $(fake_reqs CAvoice1 | tail -1 | jq -c .params) == '{"Status":"completed"}' ]]
	api POST "/api/calls/$call/wrap" '{}' "$WES"
}

@test "Twilio's library signs a webhook: the daemon takes it, and refuses it tampered with" {
	need_node
	twilio "/api/webhooks/twilio/$CO" CallSid=CAsigned1 AccountSid=$SID \
		From=+4930555 To=+4940999 CallStatus=ringing Direction=inbound
	assert_status 200
	[[ $output == *'<Enqueue>Sales</Enqueue>'* ]]
	# The same request with one field changed after signing.
	sig=$(node "$NODE_DIR/twilio-sign.js" "$TOK" "$PUB/api/webhooks/twilio/$CO" \
		CallSid=CAsigned2 AccountSid=$SID From=+4930555 CallStatus=ringing)
	TWSIG=$sig twilio "/api/webhooks/twilio/$CO" CallSid=CAsigned2 AccountSid=$SID \
		From=+4930556 CallStatus=ringing
	assert_problem 403 forbidden
	# Signed for another URL (a query added).
	TWSIG=$sig twilio "/api/webhooks/twilio/$CO?event=digits" CallSid=CAsigned2 \
		AccountSid=$SID From=+4930555 CallStatus=ringing
	assert_problem 403 forbidden
	# Signed with another token.
	sig=$(node "$NODE_DIR/twilio-sign.js" "${TOK}0" "$PUB/api/webhooks/twilio/$CO" \
		CallSid=CAsigned2 AccountSid=$SID From=+4930555 CallStatus=ringing)
	TWSIG=$sig twilio "/api/webhooks/twilio/$CO" CallSid=CAsigned2 AccountSid=$SID \
		From=+4930555 CallStatus=ringing
	assert_problem 403 forbidden
	api GET "/api/calls?limit=500" "" "$MGR"
	[[ $(jget '[.items[] | select(.caller_data.twilio_call_sid == "CAsigned2")] | length') == 0 ]]
	# Hang the signed call up (the caller leaves).
	twilio "/api/webhooks/twilio/$CO" CallSid=CAsigned1 AccountSid=$SID CallStatus=completed
	assert_status 200
}

@test "a queue's hold music and announcements: validated, shown, cleared" {
	api GET /api/queues "" "$MGR"
	q=$(jget '.items[] | select(.name == "Sales") | .id')
	api GET "/api/queues/$q" "" "$MGR"
	assert_json .hold_music_url null
	assert_json .hold_music_file_id null
	assert_json .announce_position false
	assert_json .announce_interval 60
	for pair in 'hold_music_url:"ftp://music.example.test/a.mp3"' \
		'hold_music_url:"https://music.example.test/a b.mp3"' \
		'hold_music_file_id:"nope"' \
		'announce_interval:5' 'announce_interval:3601' \
		'announce_position:"yes"'; do
		api PUT "/api/queues/$q" "{\"${pair/:/\":}}" "$MGR"
		assert_problem 422 validation_failed
		assert_json '.errors[0].field' "${pair%%:*}"
	done
	api PUT "/api/queues/$q" '{"hold_music_url": "https://music.example.test/a.mp3", "hold_music_file_id": "6f1c2a3b-0000-4000-8000-00000000abcd"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' hold_music_file_id
	# A file of no company's, or another company's: no such file.
	api PUT "/api/queues/$q" '{"hold_music_file_id": "6f1c2a3b-0000-4000-8000-00000000abcd"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' hold_music_file_id
	api GET "/api/queues/$q" "" "$MGR"
	assert_json .hold_music_url null
	api PUT "/api/queues/$q" '{"hold_music_url": "https://music.example.test/hold.mp3?a=1&b=2", "announce_position": true, "announce_interval": 30}' "$MGR"
	assert_status 200
	assert_json .hold_music_url 'https://music.example.test/hold.mp3?a=1&b=2'
	assert_json .announce_position true
	assert_json .announce_interval 30
	# Other fields leave them be; null clears the music.
	api PUT "/api/queues/$q" '{"wrap_up": 5}' "$MGR"
	assert_json .hold_music_url 'https://music.example.test/hold.mp3?a=1&b=2'
	api PUT "/api/queues/$q" '{"hold_music_url": null}' "$MGR"
	assert_json .hold_music_url null
	assert_json .announce_position true
	# The CLI: '' clears, a URL sets, anything else is a file's id.
	run --separate-stderr cli -o json queues update "$q" --hold-music '' \
		--announce-position off --announce-interval 45
	assert_success
	assert_json .hold_music_url null
	assert_json .announce_position false
	assert_json .announce_interval 45
	run --separate-stderr cli queues update "$q" --hold-music not-a-file
	assert_failure
	run --separate-stderr cli -o json queues update "$q" --announce-position on \
		--hold-music 'https://music.example.test/hold.mp3?a=1&b=2' --announce-interval 30
	assert_success
	assert_json .hold_music_url 'https://music.example.test/hold.mp3?a=1&b=2'
	assert_json .announce_position true
}

# wait CALLSID CALL: Twilio asks the waitUrl what the caller hears next.
wait_twiml() {
	twilio "/api/webhooks/twilio/$CO?call=$2&event=wait" CallSid="$1" AccountSid=$SID \
		CallStatus=in-progress QueuePosition=1 QueueTime=5 AvgQueueTime=10 CurrentQueueSize=2
}

@test "a waiting Twilio caller hears the queue's hold music and, when due, its position" {
	api PUT "/api/agents/$WES_ID/availability" '{"state":"offline"}' "$MGR"
	assert_status 200
	api GET /api/queues "" "$MGR"
	q=$(jget '.items[] | select(.name == "Sales") | .id')
	music='https://music.example.test/hold.mp3?a=1&amp;b=2'
	ids=()
	for sid in CAwait1 CAwait2; do
		twilio "/api/webhooks/twilio/$CO" CallSid=$sid AccountSid=$SID \
			From=+4930777 To=+4940999 CallStatus=ringing
		assert_status 200
		api GET "/api/calls?limit=500" "" "$MGR" >/dev/null
		ids+=("$(jget ".items[] | select(.caller_data.twilio_call_sid == \"$sid\") | .id")")
	done
	twilio "/api/webhooks/twilio/$CO" CallSid=CAwait1 AccountSid=$SID \
		From=+4930777 To=+4940999 CallStatus=ringing
	[[ $output == *"<Enqueue waitUrl=\"$PUB/api/webhooks/twilio/$CO?call=${ids[0]}&amp;event=wait\" waitUrlMethod=\"POST\">Sales</Enqueue>"* ]]
	api GET "/api/calls/${ids[1]}" "" "$MGR"
	assert_json .position 2
	# The second caller: position, then the music once; not again before
	# the interval.
	wait_twiml CAwait2 "${ids[1]}"
	assert_status 200
	[[ $(header content-type) == text/xml* ]]
	[[ $output == *'<Response><Say>You are number 2 in line.'*'</Say><Play loop="1">'"$music"'</Play></Response>' ]]
	wait_twiml CAwait2 "${ids[1]}"
	[[ $output == *'<Response><Play loop="1">'"$music"'</Play></Response>' ]]
	wait_twiml CAwait1 "${ids[0]}"
	[[ $output == *'<Say>You are next in line.'* ]]
	# A wait callback naming another call is refused.
	wait_twiml CAwait1 "${ids[1]}"
	assert_problem 400 bad_request
	# No announcements: the music loops.
	api PUT "/api/queues/$q" '{"announce_position": false}' "$MGR"
	wait_twiml CAwait2 "${ids[1]}"
	[[ $output == *'<Response><Play loop="0">'"$music"'</Play></Response>' ]]
	# A stored file: Twilio fetches it from a signed URL, without a token.
	python3 -c 'import sys, wave, os
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(os.urandom(8000)); w.close()' "$CD_TMP/hold.wav"
	api -H 'Content-Type: audio/wav' POST "/api/files/company/$CO?name=Hold" "@$CD_TMP/hold.wav" "$MGR"
	assert_status 201
	file=$(jget .id)
	api PUT "/api/queues/$q" "{\"hold_music_file_id\": \"$file\"}" "$MGR"
	assert_status 200
	assert_json .hold_music_url null
	assert_json .hold_music_file_id "$file"
	wait_twiml CAwait2 "${ids[1]}"
	url=$(sed -n 's|.*<Play loop="0">\([^<]*\)</Play>.*|\1|p' <<<"$output")
	[[ $url == "$PUB/api/webhooks/twilio/$CO/hold-music/$file?sig="* ]]
	api GET "${url#"$PUB"}"
	assert_status 200
	[[ $(header content-type) == audio/* ]]
	cmp -s "$CD_TMP/resp.body" "$CD_TMP/hold.wav"
	api GET "${url#"$PUB"}x"
	assert_problem 403 forbidden
	api GET "/api/webhooks/twilio/$CO/hold-music/$file"
	assert_problem 403 forbidden
	# The callers hang up.
	for i in 0 1; do
		twilio "/api/webhooks/twilio/$CO" CallSid=CAwait$((i + 1)) AccountSid=$SID CallStatus=completed
		assert_status 200
		call_is "${ids[$i]}" abandoned
	done
}

@test "hold keeps the agent in the conference: the caller is held hearing the queue's music; resume takes it off hold" {
	api PUT "/api/agents/$WES_ID/availability" '{"state":"available"}' "$MGR"
	assert_status 200
	twilio "/api/webhooks/twilio/$CO" CallSid=CAhold1 AccountSid=$SID \
		From=+4930888 To=+4940999 CallStatus=ringing
	assert_status 200
	api GET "/api/calls?limit=500" "" "$MGR"
	call=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAhold1") | .id')
	wait_for 10 call_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 agent_legs_has "$call" 1
	wait="$PUB/api/webhooks/twilio/$CO?call=$call&amp;event=wait"
	[[ $(fake_reqs CAhold1 | jq -r .params.Twiml) == "$(caller_twiml "$call" "$wait")" ]]
	leg=$(agent_leg "$call")
	[[ $(agent_legs "$call" | jq -r .params.To) == "client:agent_${WES_ID//-/}?call_id=$call" ]]
	hears "$call" CAhold1 "$leg"
	api POST "/api/calls/$call/hold" '{}' "$WES"
	assert_status 200
	# The daemon never heard the conference's sid: it looks it up by name.
	wait_for 10 participant_has "$call" 1
	cf=$(conf_sid "$call")
	lookup=$(fake_path "Conferences.json?FriendlyName=call-$call")
	[[ $(jq -r .method <<<"$lookup") == GET && $(jq -r .status <<<"$lookup") == 200 ]]
	req=$(participant_reqs "$call" | head -1)
	[[ $(jq -r .path <<<"$req") == "/2010-04-01/Accounts/$SID/Conferences/$cf/Participants/CAhold1.json" ]]
	[[ $(jq -r .status <<<"$req") == 200 && $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -cS .params <<<"$req") == "$(jq -ncS --arg w "$PUB/api/webhooks/twilio/$CO?call=$call&event=wait" \
		'{Hold: "true", HoldUrl: $w, HoldMethod: "POST"}')" ]]
	# The agent's leg stays; nobody hears the held caller, nor it them.
	[[ $(fake_count "$leg") == 0 ]]
	[[ $(conference "$call" | jq -c '.hears') == "{\"CAhold1\":[],\"$leg\":[]}" ]]
	call_is "$call" on_hold
	# The held caller hears the music, never a place in line.
	wait_twiml CAhold1 "$call"
	[[ $output == *'<Response><Play loop="0">'"$PUB/api/webhooks/twilio/$CO/hold-music/"*'</Play></Response>' ]]
	api POST "/api/calls/$call/resume" '{}' "$WES"
	assert_status 200
	wait_for 10 participant_has "$call" 2
	[[ $(participant_reqs "$call" | sed -n 2p | jq -c .params) == '{"Hold":"false"}' ]]
	hears "$call" CAhold1 "$leg"
	hears "$call" "$leg" CAhold1
	# Only one lookup: the sid was kept.
	[[ $(fake_path "Conferences.json?FriendlyName=call-$call" | wc -l) == 1 ]]
	call_is "$call" connected
	[[ $(fake_count CAhold1) == 1 && $(agent_legs "$call" | wc -l) == 1 ]]
	api POST "/api/calls/$call/hangup" '{}' "$WES"
	assert_status 200
	wait_for 10 fake_has CAhold1 2
	[[ $(fake_reqs CAhold1 | sed -n 2p | jq -c .params) == '{"Status":"completed"}' ]]
	api POST "/api/calls/$call/wrap" '{}' "$WES"
}

@test "a transfer: the caller held, the first agent's leg ended, the new agent's leg joins and the caller is taken off hold" {
	pat=$(sql "SELECT a.id FROM agents a JOIN users u ON u.id = a.user_id WHERE u.email = 'pat@voice.test'")
	api PUT "/api/agents/$WES_ID/availability" '{"state":"available"}' "$MGR"
	assert_status 200
	twilio "/api/webhooks/twilio/$CO" CallSid=CAxfer1 AccountSid=$SID \
		From=+4930777 To=+4940999 CallStatus=ringing
	assert_status 200
	api GET "/api/calls?limit=500" "" "$MGR"
	call=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAxfer1") | .id')
	wait_for 10 call_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 agent_legs_has "$call" 1
	wes=$(agent_leg "$call")
	conf_event "$call" participant-join CAxfer1
	assert_status 204
	conf_event "$call" participant-join "$wes"
	assert_status 204
	api PUT "/api/agents/$pat/availability" '{"state":"available"}' "$MGR"
	assert_status 200
	api POST "/api/calls/$call/transfer" "{\"agent_id\":\"$pat\"}" "$WES"
	assert_status 200
	# The caller is held (the sid Twilio posted, no look-up), Wes's leg ends.
	cf=$(conf_sid "$call")
	wait_for 10 fake_has "$wes" 1
	[[ $(participant_reqs "$call" | head -1 | jq -r .params.Hold) == true ]]
	[[ -z $(fake_path "Conferences.json?FriendlyName=call-$call") ]]
	[[ $(fake_reqs "$wes" | jq -c .params) == '{"Status":"completed"}' ]]
	[[ $(conference "$call" | jq -r '[.participants[].call_sid] | join(",")') == CAxfer1 ]]
	# The end of Wes's leg, which Twilio reports, changes nothing.
	agent_status "$call" "$wes" completed
	assert_status 200
	call_is "$call" offering
	# Pat answers: a leg to Pat's phone into the same conference.
	api POST "/api/calls/$call/answer" '{}' "$PAT"
	assert_status 200
	wait_for 10 agent_legs_has "$call" 2
	pat_leg=$(agent_leg "$call")
	[[ $(agent_legs "$call" | tail -1 | jq -r .params.To) == +15551234567 ]]
	[[ $(fake_count CAxfer1) == 1 ]]
	# Pat's leg joins: the caller is taken off hold; they hear each other.
	conf_event "$call" participant-join "$pat_leg"
	assert_status 204
	wait_for 10 participant_has "$call" 2
	[[ $(participant_reqs "$call" | sed -n 2p | jq -c .params) == '{"Hold":"false"}' ]]
	hears "$call" CAxfer1 "$pat_leg"
	hears "$call" "$pat_leg" CAxfer1
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	assert_status 200
	wait_for 10 fake_has CAxfer1 2
	[[ $(fake_reqs CAxfer1 | sed -n 2p | jq -c .params) == '{"Status":"completed"}' ]]
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	api POST "/api/calls/$call/wrap" '{}' "$WES" || true
	api PUT "/api/agents/$pat/availability" '{"state":"offline"}' "$MGR"
	api PUT "/api/agents/$WES_ID/availability" '{"state":"offline"}' "$MGR"
}

@test "a transfer to a queue holds the caller with that queue's wait; a caller's webhook for an unknown event is refused" {
	q=$(sql "SELECT id FROM queues WHERE name = 'Sales'")
	api POST /api/queues '{"name": "Support", "ring_timeout": 600}' "$MGR"
	assert_status 201
	support=$(jget .id)
	api PUT "/api/agents/$WES_ID/availability" '{"state":"available"}' "$MGR"
	twilio "/api/webhooks/twilio/$CO" CallSid=CAxferq1 AccountSid=$SID \
		From=+4930777 To=+4940999 CallStatus=ringing
	api GET "/api/calls?limit=500" "" "$MGR"
	call=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAxferq1") | .id')
	wait_for 10 call_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$WES"
	assert_status 200
	wait_for 10 agent_legs_has "$call" 1
	wes=$(agent_leg "$call")
	api POST "/api/calls/$call/transfer" "{\"queue_id\":\"$support\"}" "$WES"
	assert_status 200
	wait_for 10 fake_has "$wes" 1
	# Support has no music: Twilio's own (no HoldUrl).
	[[ $(participant_reqs "$call" | head -1 | jq -c .params) == '{"Hold":"true"}' ]]
	call_is "$call" queued
	twilio "/api/webhooks/twilio/$CO?call=$call&event=nope" CallSid=CAxferq1 AccountSid=$SID
	assert_problem 400 bad_request
	api POST "/api/calls/$call/hangup" '{}' "$MGR"
	assert_status 200
	wait_for 10 fake_has CAxferq1 2
	api POST "/api/calls/$call/wrap" '{}' "$WES" || true
	api PUT "/api/agents/$WES_ID/availability" '{"state":"offline"}' "$MGR"
}

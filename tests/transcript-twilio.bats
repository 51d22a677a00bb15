#!/usr/bin/env bats
# One phone call through the daemon and the local fake of Twilio
# (tests/lib/fake-twilio.py), written down as a transcript: each request
# Twilio makes to the daemon with the daemon's answer, and each request
# the daemon makes to Twilio's REST API with the fake's status, in order.
# Not part of "make test"; run it by hand (the stop notes quote it):
#
#     bats tests/transcript-twilio.bats     # writes $TRANSCRIPT,
#                                           # default /tmp/twilio-transcript.txt
#
# The call: it arrives, walks the IVR into queue Sales, waits; the agent
# (a phone endpoint) answers; the caller is moved into the call's
# conference and the agent's leg created into it; the call is recorded
# (dual channels) from the agent's join; the agent holds and resumes; the
# caller hangs up; the recording is handed over and fetched.

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
OUT=${TRANSCRIPT:-/tmp/twilio-transcript.txt}

# twilio PATH K=V...: Twilio's signed webhook; logged with the answer.
twilio() {
	local path=$1 signed=$PUB$1 kv body=
	shift
	while IFS= read -r kv; do
		[[ -n $kv ]] && signed+=${kv%%=*}${kv#*=}
	done < <(printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1 -s)
	for kv in "$@"; do
		body+=${body:+&}$(jq -rn --arg v "${kv%%=*}" '$v|@uri')=$(jq -rn --arg v "${kv#*=}" '$v|@uri')
	done
	api -H 'Content-Type: application/x-www-form-urlencoded' \
		-H "X-Twilio-Signature: $(printf '%s' "$signed" |
		openssl dgst -sha1 -hmac "$TOK" -binary | base64)" POST "$path" "$body"
	{
		echo "Twilio -> daemon  POST ${path//$CO/\{company\}}"
		printf '    %s\n' "$@"
		echo "daemon -> Twilio  $status ${output:0:600}"
		echo
	} >>"$OUT"
}

# The daemon's requests to Twilio since the last call of this.
SEEN=0
rest_log() {
	local n
	wait_for 10 test -s "$FAKE/requests.jsonl" || return 0
	n=$(wc -l <"$FAKE/requests.jsonl")
	tail -n +$((SEEN + 1)) "$FAKE/requests.jsonl" | head -n $((n - SEEN)) |
		jq -r '"daemon -> Twilio  \(.method) \(.path | sub("^/2010-04-01/Accounts/[^/]+/"; ".../"))  (Basic auth \(.auth))\n" +
			([.params // {} | to_entries[] | "    \(.key)=\(.value)"] | join("\n")) +
			"\nTwilio -> daemon  \(.status)\n"' >>"$OUT"
	SEEN=$n
}

note() { printf '## %s\n\n' "$*" >>"$OUT"; }

setup_file() {
	FAKE=$BATS_FILE_TMPDIR/fake-twilio
	mkdir -p "$FAKE"
	python3 "$TOP/tests/lib/fake-twilio.py" "$FAKE" "$SID" "$TOK" \
		</dev/null >"$FAKE/log" 2>&1 3>&- &
	echo $! >"$FAKE/server.pid"
	wait_for 10 test -s "$FAKE/port"
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")"
	CO=$(mkcompany "Transcript Co")
	mkuser bea@transcript.test manager "$CO" >/dev/null
	MGR=$(login bea@transcript.test)
	u=$(mkuser pat@transcript.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" \
		'{user_id: $u, endpoint: "phone", endpoint_address: "+15551234567"}')" "$MGR" >/dev/null
	PAT_ID=$(jget .id)
	PAT=$(login pat@transcript.test)
	api POST /api/queues "$(jq -nc --arg a "$PAT_ID" '{name: "Sales", ring_timeout: 600,
		hold_music_url: "https://music.example.test/hold.mp3", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	printf 'name: Phone line\nstart: sales\nnodes:\n  sales:\n    type: queue\n    queue: Sales\n' >"$CD_TMP/flow.yaml"
	api -H 'Content-Type: application/yaml' POST /api/ivr "@$CD_TMP/flow.yaml" "$MGR" >/dev/null
	api POST "/api/ivr/$(jget .id)/activate" '{"entry": true}' "$MGR" >/dev/null
	api PUT "/api/integrations/company/$CO/twilio" \
		"{\"account_sid\":\"$SID\",\"auth_token\":\"$TOK\"}" "$MGR" >/dev/null
	api PUT "/api/settings/company/$CO" '{"recording": "on"}' "$MGR" >/dev/null
	export FAKE CO MGR PAT PAT_ID
}

teardown_file() {
	[[ -f ${FAKE:-}/server.pid ]] && kill "$(<"$FAKE/server.pid")" 2>/dev/null || true
	cd_teardown
}

state_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

@test "one phone call, written down" {
	printf '# One phone call: Twilio and calldockerd (%s)\n\n' "$(date -u +%FT%TZ)" >"$OUT"
	note "The call arrives (the number's Voice webhook)"
	twilio "/api/webhooks/twilio/$CO" CallSid=CAtranscript1 AccountSid=$SID \
		From=+4930123456 To=+4940999000 CallStatus=ringing Direction=inbound
	api GET "/api/calls?limit=5" "" "$MGR" >/dev/null
	call=$(jget '.items[] | select(.caller_data.twilio_call_sid == "CAtranscript1") | .id')
	note "Twilio asks what the waiting caller hears (the Enqueue's waitUrl)"
	twilio "/api/webhooks/twilio/$CO?call=$call&event=wait" CallSid=CAtranscript1 \
		AccountSid=$SID QueuePosition=1 QueueTime=5 AvgQueueTime=0 CurrentQueueSize=1
	note "The agent makes herself available and answers (REST); the daemon moves the call"
	api PUT "/api/agents/$PAT_ID/availability" '{"state":"available"}' "$MGR" >/dev/null
	wait_for 10 state_is "$call" offering
	api POST "/api/calls/$call/answer" '{}' "$PAT" >/dev/null
	wait_for 10 agent_legs_has "$call" 1
	rest_log
	leg=$(agent_leg "$call")
	note "Twilio reports the conference: both legs joined"
	conf_event "$call" participant-join CAtranscript1
	conf_event "$call" participant-join "$leg"
	wait_for 10 eval '[[ $(fake_path "Calls/CAtranscript1/Recordings.json" | wc -l) -ge 1 ]]'
	rest_log
	note "The agent holds the caller, then resumes"
	api POST "/api/calls/$call/hold" '{}' "$PAT" >/dev/null
	wait_for 10 participant_has "$call" 1
	api POST "/api/calls/$call/resume" '{}' "$PAT" >/dev/null
	wait_for 10 participant_has "$call" 2
	rest_log
	note "The caller hangs up"
	twilio "/api/webhooks/twilio/$CO" CallSid=CAtranscript1 AccountSid=$SID CallStatus=completed
	wait_for 10 state_is "$call" wrap_up
	wait_for 10 eval '[[ $(fake_count "$leg") -ge 1 ]]'	# the agent's leg ended
	rest_log
	note "Twilio says the recording is ready; the daemon fetches it"
	rsid=$(fake_path "Calls/CAtranscript1/Recordings.json" | head -1 | jq -r .sid)
	twilio "/api/webhooks/twilio/$CO?call=$call&event=recording" CallSid=CAtranscript1 \
		AccountSid=$SID RecordingSid="$rsid" RecordingStatus=completed RecordingChannels=2 \
		RecordingDuration=42 RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/$SID/Recordings/$rsid"
	wait_for 10 eval "api GET /api/calls/$call '' '$MGR' >/dev/null; [[ \$(jget '.recordings | length') == 1 ]]"
	rest_log
	echo "transcript: $OUT" >&3
}

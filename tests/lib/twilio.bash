# Helpers for the suites that drive Twilio calls against the local fake
# (tests/lib/fake-twilio.py), through the conference bridge. The suite sets
# PUB (public_url), SID (account sid), TOK (auth token), CO (the company)
# and FAKE (the fake's directory).

# twilio PATH [NAME=VALUE...]: POST the form to PATH as Twilio does, signed
# with the company's token over $PUB$PATH and the fields sorted by name.
# (A suite may define its own after loading this one.)
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
}


fake_url() { echo "http://127.0.0.1:$(<"$FAKE/port")"; }

# The requests the fake got for a path under the account, one JSON a line.
fake_path() {
	[[ -f $FAKE/requests.jsonl ]] || return 0
	jq -c --arg p "/2010-04-01/Accounts/$SID/$1" 'select(.path == $p)' \
		"$FAKE/requests.jsonl"
}
# The requests to one call (Calls/CALLSID.json).
fake_reqs() { fake_path "Calls/$1.json"; }
fake_count() { fake_reqs "$1" | wc -l; }
fake_has() { [[ $(fake_count "$1") -ge $2 ]]; }

# The legs the daemon created (Calls.json), all or those for one call's
# agent (their StatusCallback names ?call=CALL&event=agent).
created() { fake_path Calls.json; }
created_has() { [[ $(created | wc -l) -ge $1 ]]; }
agent_legs() {
	fake_path Calls.json | jq -c --arg c "$1" \
		'select(.params.StatusCallback | endswith("?call=\($c)&event=agent"))'
}
agent_legs_has() { [[ $(agent_legs "$1" | wc -l) -ge $2 ]]; }
agent_leg() { agent_legs "$1" | tail -1 | jq -r .sid; }

# The requests to the call's conference's participants (any), one a line
# (CF: the conference's sid, once it has ended).
participant_reqs() { # CALL [CF]
	[[ -f $FAKE/requests.jsonl ]] || return 0
	jq -c --arg p "/2010-04-01/Accounts/$SID/Conferences/${2:-$(conf_sid "$1")}/Participants" \
		'select(.path | startswith($p))' "$FAKE/requests.jsonl"
}
participant_has() { [[ $(participant_reqs "$1" | wc -l) -ge $2 ]]; }

# The fake's view of a call's conference: who is there and who hears whom.
conference() { curl -s "$(fake_url)/fake/hears?conference=call-$1"; }
conf_sid() { conference "$1" | jq -r '.conference.sid // empty'; }
# hears CALL A B: in the call's conference, A hears B (call sids).
hears() {
	conference "$1" | jq -e --arg a "$2" --arg b "$3" '.hears[$a] | index($b) != null' >/dev/null
}
# Twilio hangs a leg up in the fake (what a phone's hang-up does).
fake_hangup() { curl -s -X POST "$(fake_url)/fake/hangup?call=$1" >/dev/null; }

# conf_event CALL EVENT [CALLSID]: the conference's status callback, as
# Twilio posts it (participant-join, participant-leave, conference-start).
conf_event() {
	twilio "/api/webhooks/twilio/$CO?call=$1&event=conference" AccountSid=$SID \
		ConferenceSid="$(conf_sid "$1")" FriendlyName="call-$1" \
		StatusCallbackEvent="$2" ${3:+CallSid=$3} Timestamp="Sat, 05 Dec 2026 08:00:00 +0000"
}

# agent_status CALL LEG STATUS: the agent leg's status callback.
agent_status() {
	twilio "/api/webhooks/twilio/$CO?call=$1&event=agent" CallSid="$2" \
		AccountSid=$SID CallStatus="$3" Direction=outbound-api
}

# The caller's TwiML into the call's conference ($1 call, $2 waitUrl or
# empty, $3 a <Say> or empty), exactly as the daemon sends it.
caller_twiml() {
	local wait=
	[[ -n ${2:-} ]] && wait=" waitUrl=\"$2\" waitMethod=\"POST\""
	printf '<Response>%s<Dial><Conference beep="false" startConferenceOnEnter="false" endConferenceOnExit="true"%s statusCallback="%s" statusCallbackMethod="POST" statusCallbackEvent="start end join leave">call-%s</Conference></Dial></Response>' \
		"${3:+<Say>$3</Say>}" "$wait" "$PUB/api/webhooks/twilio/$CO?call=$1&amp;event=conference" "$1"
}
agent_twiml() {
	printf '<Response><Dial><Conference beep="false" startConferenceOnEnter="true" endConferenceOnExit="false" statusCallback="%s" statusCallbackMethod="POST" statusCallbackEvent="start end join leave">call-%s</Conference></Dial></Response>' \
		"$PUB/api/webhooks/twilio/$CO?call=$1&amp;event=conference" "$1"
}

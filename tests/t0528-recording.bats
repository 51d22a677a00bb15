#!/usr/bin/env bats
# Recording of Twilio calls: the company's recording setting and the
# queue's override, the caller's leg recorded on both channels (Twilio's
# Call Recordings API) once the agent's leg joins the conference, when it
# is on (announced to the caller when the company says so), Twilio's recordingStatusCallback
# (signed like every Twilio request) making the daemon fetch the media from
# the fake Twilio (tests/lib/fake-twilio.py) into the file storage, the
# recording on the call, its download (byte-identical, audited, agents only
# their own calls, 404 across companies), the CLI, and the retention
# sweeper deleting recordings older than the company keeps them.

load lib/common
load lib/twilio

PUB=https://calls.example.test/cd
SID=AC0123456789abcdef0123456789abcdef
TOK=a1b2c3d4e5f60718293a4b5c6d7e8f90
PHONE=+15551234567
RSID=RE0123456789abcdef0123456789abcd01

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# twilio PATH [NAME=VALUE...]: POST the form to PATH as Twilio does, signed
# with the company's token over $PUB$PATH and the fields sorted by name
# ($TWSIG instead when set).
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
		-H "X-Twilio-Signature: ${TWSIG:-$(printf '%s' "$signed" |
		openssl dgst -sha1 -hmac "$TOK" -binary | base64)}" POST "$path" "$body"
}

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

# The fake's requests for a recording's media.
media_reqs() {
	[[ -f $FAKE/requests.jsonl ]] || return 0
	jq -c --arg p "/2010-04-01/Accounts/$SID/Recordings/$1.wav" \
		'select(.path == $p)' "$FAKE/requests.jsonl"
}
has_recording() { # CALL N
	api GET "/api/calls/$1" "" "$MGR" >/dev/null
	[[ $(jget '.recordings | length') -ge $2 ]]
}

setup_file() {
	FAKE=$BATS_FILE_TMPDIR/fake-twilio
	mkdir -p "$FAKE"
	python3 "$TOP/tests/lib/fake-twilio.py" "$FAKE" "$SID" "$TOK" \
		</dev/null >"$FAKE/log" 2>&1 3>&- &
	echo $! >"$FAKE/server.pid"
	wait_for 10 test -s "$FAKE/port"
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")" \
		CALLDOCKER_RECORDING_SWEEP_INTERVAL=1
	CO=$(mkcompany "Record Co")
	mkuser rae@record.test manager "$CO" >/dev/null
	MGR=$(login rae@record.test)
	u=$(mkuser pat@record.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" --arg p "$PHONE" \
		'{user_id: $u, endpoint: "phone", endpoint_address: $p}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	PAT_ID=$(jget .id)
	PAT=$(login pat@record.test)
	u=$(mkuser wes@record.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	WES=$(login wes@record.test)
	api POST /api/queues "$(jq -nc --arg a "$PAT_ID" \
		'{name: "Sales", miss_limit: 1, ring_timeout: 600, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	QID=$(jget .id)
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
	# Another company with a manager of its own.
	CO2=$(mkcompany "Other Co")
	mkuser oz@other.test manager "$CO2" >/dev/null
	MGR2=$(login oz@other.test)
	export FAKE CO CO2 MGR MGR2 PAT PAT_ID WES QID
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

@test "recording settings: the company's (off by default) and the queue's override, REST and CLI" {
	api GET "/api/settings/company/$CO" "" "$MGR"
	assert_status 200
	assert_json .recording off
	assert_json .recording_announcement null
	api PUT "/api/settings/company/$CO" '{"recording": "always"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' recording
	api PUT "/api/settings/company/$CO" '{"recording_announcement": ""}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/settings/company/$CO" '{"recording": "on-demand", "recording_announcement": "This call is recorded."}' "$MGR"
	assert_status 200
	assert_json .recording on-demand
	assert_json .recording_announcement "This call is recorded."
	# Agents may read, not change.
	api PUT "/api/settings/company/$CO" '{"recording": "on"}' "$PAT"
	assert_status 403
	# The CLI's settings command takes the keys as they are.
	run cli -o json --company "$CO" settings set company recording=off
	assert_success
	assert_json .recording off
	# The queue: null (the company's) until set.
	api GET "/api/queues/$QID" "" "$MGR"
	assert_json .recording null
	api PUT "/api/queues/$QID" '{"recording": "sometimes"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' recording
	api PUT "/api/queues/$QID" '{"recording": "on"}' "$MGR"
	assert_status 200
	assert_json .recording on
	run cli -o json queues update "$QID" --recording on-demand
	assert_success
	assert_json .recording on-demand
	run cli -o json queues update "$QID" --recording inherit
	assert_success
	assert_json .recording null
	run cli queues update "$QID" --recording loud
	assert_failure
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$QID' AND action = 'update'") -ge 3 ]]
}

# The recording requests for a caller's call.
rec_reqs() { fake_path "Calls/$1/Recordings.json"; }
rec_has() { [[ -n $(rec_reqs "$1") ]]; }

# join CALL: the agent's leg joins the conference (as Twilio reports it).
join() {
	wait_for 10 agent_legs_has "$1" 1
	conf_event "$1" participant-join "$(agent_leg "$1")"
	[[ $status == 204 ]] || { echo "join $1: $status $output" >&2; return 1; }
}

@test "a call is recorded from the agent's join only when its queue or company says on, announced when configured" {
	avail "$PAT_ID" available
	call=$(arrive CArec1)
	[[ -n $call ]]
	take "$call"
	wait_for 10 fake_has CArec1 1
	twiml=$(fake_reqs CArec1 | head -1 | jq -r .params.Twiml)
	[[ $twiml == "$(caller_twiml "$call")" ]]
	join "$call"
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	wait_for 10 fake_has CArec1 2
	[[ -z $(rec_reqs CArec1) ]]
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	# The company records; the queue inherits; an announcement first.
	api PUT "/api/settings/company/$CO" '{"recording": "on", "recording_announcement": "Calls are recorded & kept."}' "$MGR"
	assert_status 200
	avail "$PAT_ID" available
	call=$(arrive CArec2)
	take "$call"
	wait_for 10 fake_has CArec2 1
	twiml=$(fake_reqs CArec2 | head -1 | jq -r .params.Twiml)
	[[ $twiml == "$(caller_twiml "$call" "" "Calls are recorded &amp; kept.")" ]]
	# Nothing is recorded before the agent is there.
	wait_for 10 agent_legs_has "$call" 1
	[[ -z $(rec_reqs CArec2) ]]
	join "$call"
	wait_for 10 rec_has CArec2
	req=$(rec_reqs CArec2)
	[[ $(jq -r .auth <<<"$req") == ok && $(jq -r .status <<<"$req") == 201 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	[[ $(jq -cS .params <<<"$req") == "$(jq -ncS --arg cb "$PUB/api/webhooks/twilio/$CO?call=$call&event=recording" \
		'{RecordingChannels: "dual", RecordingStatusCallback: $cb, RecordingStatusCallbackMethod: "POST", RecordingStatusCallbackEvent: "completed"}')" ]]
	[[ $(sql "SELECT recording_sid FROM twilio_calls WHERE call_sid = 'CArec2'") == "$(jq -r .sid <<<"$req")" ]]
	# A join Twilio repeats does not record twice.
	join "$call"
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	wait_for 10 fake_has CArec2 2
	[[ $(rec_reqs CArec2 | wc -l) == 1 ]]
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	# The queue's off wins over the company's on.
	api PUT "/api/queues/$QID" '{"recording": "off"}' "$MGR"
	avail "$PAT_ID" available
	call=$(arrive CArec3)
	take "$call"
	wait_for 10 fake_has CArec3 1
	[[ $(fake_reqs CArec3 | head -1 | jq -r .params.Twiml) != *'<Say>'* ]]
	join "$call"
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	wait_for 10 fake_has CArec3 2
	[[ -z $(rec_reqs CArec3) ]]
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	api PUT "/api/queues/$QID" '{"recording": null}' "$MGR"
	assert_json .recording null
}

rec_upd() { fake_path "Calls/$1/Recordings/$2.json"; }
rec_upd_has() { [[ -n $(rec_upd "$1" "$2") ]]; }
rec_count_is() { [[ $(rec_reqs "$1" | wc -l) == "$2" ]]; }
recording_sid_is() { # CALLSID SID ("" none)
	[[ $(sql "SELECT coalesce(recording_sid, '') FROM twilio_calls WHERE call_sid = '$1'") == "$2" ]]
}

@test "on-demand: the call's agent or a manager starts and stops the recording (call.record); refusals" {
	api PUT "/api/settings/company/$CO" '{"recording": "on-demand", "recording_announcement": null}' "$MGR"
	assert_status 200
	avail "$PAT_ID" available
	call=$(arrive CArecod1)
	take "$call"
	join "$call"
	# Nothing recorded by itself.
	api POST "/api/calls/$call/record" '{"action": "stop"}' "$PAT"
	assert_problem 409 not_recording
	[[ -z $(rec_reqs CArecod1) ]]
	api POST "/api/calls/$call/record" '{"action": "pause"}' "$PAT"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' action
	api POST "/api/calls/$call/record" '{}' "$PAT"
	assert_problem 422 validation_failed
	# Another agent: no such call.
	api POST "/api/calls/$call/record" '{"action": "start"}' "$WES"
	assert_problem 404 not_found
	api POST "/api/calls/$call/record" '{"action": "start"}' "$MGR2"
	assert_problem 404 not_found
	# The agent starts it.
	api POST "/api/calls/$call/record" '{"action": "start"}' "$PAT"
	assert_status 200
	assert_json .id "$call"
	wait_for 10 rec_has CArecod1
	req=$(rec_reqs CArecod1)
	[[ $(jq -r .params.RecordingChannels <<<"$req") == dual && $(jq -r .status <<<"$req") == 201 ]]
	rsid=$(jq -r .sid <<<"$req")
	wait_for 10 recording_sid_is CArecod1 "$rsid"
	api POST "/api/calls/$call/record" '{"action": "start"}' "$PAT"
	assert_problem 409 recording
	# A manager stops it.
	api POST "/api/calls/$call/record" '{"action": "stop"}' "$MGR"
	assert_status 200
	wait_for 10 rec_upd_has CArecod1 "$rsid"
	req=$(rec_upd CArecod1 "$rsid")
	[[ $(jq -c .params <<<"$req") == '{"Status":"stopped"}' && $(jq -r .status <<<"$req") == 200 ]]
	[[ $(jq -c .unknown <<<"$req") == '[]' ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '[.events[] | select(.type | startswith("call.recording_")) | .type] | join(",")' \
		call.recording_started,call.recording_stopped
	# Started again, with the CLI: a second recording; stopped, started.
	wait_for 10 recording_sid_is CArecod1 ""
	run cli -o json calls record "$call"
	assert_success
	wait_for 10 rec_count_is CArecod1 2
	run cli calls record "$call"
	assert_failure 1
	assert_output --partial "being recorded"
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	# Not connected any more.
	api POST "/api/calls/$call/record" '{"action": "stop"}' "$MGR"
	assert_problem 409 not_connected
	# A call whose recording is "on" is not recorded on demand.
	api PUT "/api/queues/$QID" '{"recording": "on"}' "$MGR"
	avail "$PAT_ID" available
	call=$(arrive CArecod2)
	take "$call"
	api POST "/api/calls/$call/record" '{"action": "start"}' "$PAT"
	assert_problem 409 not_on_demand
	api POST "/api/calls/$call/hangup" '{}' "$PAT"
	api POST "/api/calls/$call/wrap" '{}' "$PAT"
	api PUT "/api/queues/$QID" '{"recording": null}' "$MGR"
	api PUT "/api/settings/company/$CO" '{"recording": "on"}' "$MGR"
}

@test "the recording callback: a bad signature is 403; a good one fetches the media into the call" {
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	[[ -n $call ]]
	cb="/api/webhooks/twilio/$CO?call=$call&event=recording"
	TWSIG=forged twilio "$cb" AccountSid=$SID CallSid=CArec2 RecordingSid=$RSID \
		RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/$SID/Recordings/$RSID" \
		RecordingStatus=completed RecordingDuration=7 RecordingChannels=2 RecordingSource=StartCallRecordingAPI
	assert_problem 403 forbidden
	# Another call's CallSid is not this call's.
	twilio "$cb" AccountSid=$SID CallSid=CArec1 RecordingSid=$RSID RecordingStatus=completed
	assert_problem 404 not_found
	[[ -z $(media_reqs $RSID) ]]
	# Twilio's first answer is a 503: retried.
	echo 503 >"$FAKE/script"
	twilio "$cb" AccountSid=$SID CallSid=CArec2 RecordingSid=$RSID \
		RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/$SID/Recordings/$RSID" \
		RecordingStatus=completed RecordingDuration=7 RecordingChannels=2 RecordingSource=StartCallRecordingAPI
	assert_status 204
	wait_for 20 has_recording "$call" 1
	[[ $(media_reqs $RSID | wc -l) == 2 ]]
	req=$(media_reqs $RSID | tail -1)
	[[ $(jq -r .method <<<"$req") == GET ]]
	[[ $(jq -r .auth <<<"$req") == ok ]]
	[[ $(jq -r .user <<<"$req") == "$SID" ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.recordings | length' 1
	assert_json '.recordings[0].duration' 7
	assert_json '.recordings[0].channels' 2
	rid=$(jget '.recordings[0].id')
	assert_json '.recordings[0].url' "/api/calls/$call/recordings/$rid"
	[[ $(sql "SELECT f.kind FROM call_recordings r JOIN files f ON f.id = r.file_id WHERE r.id = '$rid'") == recording ]]
	# Twilio retries a callback: still one recording, no second fetch.
	twilio "$cb" AccountSid=$SID CallSid=CArec2 RecordingSid=$RSID RecordingStatus=completed \
		RecordingDuration=7 RecordingChannels=2
	assert_status 204
	# A later callback's fetch proves the retried one was dropped.
	twilio "$cb" AccountSid=$SID CallSid=CArec2 RecordingSid=${RSID%01}02 RecordingStatus=completed \
		RecordingDuration=3 RecordingChannels=2
	wait_for 20 has_recording "$call" 2
	[[ $(media_reqs $RSID | wc -l) == 2 ]]
	[[ $(sql "SELECT count(*) FROM call_recordings WHERE call_id = '$call'") == 2 ]]
}

@test "a recording downloads byte-identical for managers and the call's agent, audited; others 404" {
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	rid=$(sql "SELECT id FROM call_recordings WHERE source_id = '$RSID'")
	[[ -n $rid ]]
	api GET "/api/calls/$call/recordings/$rid" "" "$MGR" >/dev/null
	assert_status 200
	cp "$CD_TMP/resp.body" "$BATS_TEST_TMPDIR/mgr.wav"
	cmp "$BATS_TEST_TMPDIR/mgr.wav" "$FAKE/recordings/$RSID.wav"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download' AND object_type = 'recording' AND object_id = '$rid' AND company_id = '$CO'") == 1 ]]
	# The agent who took the call.
	api GET "/api/calls/$call/recordings/$rid" "" "$PAT" >/dev/null
	assert_status 200
	cp "$CD_TMP/resp.body" "$BATS_TEST_TMPDIR/pat.wav"
	cmp "$BATS_TEST_TMPDIR/pat.wav" "$FAKE/recordings/$RSID.wav"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download' AND object_id = '$rid'") == 2 ]]
	# An agent who did not take it, another company's manager: 404.
	api GET "/api/calls/$call/recordings/$rid" "" "$WES"
	assert_problem 404 not_found
	api GET "/api/calls/$call/recordings/$rid" "" "$MGR2"
	assert_problem 404 not_found
	api GET "/api/calls/$call/recordings/00000000-0000-4000-8000-000000000000" "" "$MGR"
	assert_problem 404 not_found
	api GET "/api/calls/$call/recordings/nope" "" "$MGR"
	assert_problem 404 not_found
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download'") == 2 ]]
	# Through /api/files: managers only, audited too.
	file=$(sql "SELECT file_id FROM call_recordings WHERE id = '$rid'")
	api GET "/api/files/$file/content" "" "$PAT"
	assert_problem 404 not_found
	api GET "/api/files/$file/content" "" "$MGR" >/dev/null
	assert_status 200
	cmp "$CD_TMP/resp.body" "$FAKE/recordings/$RSID.wav"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download' AND object_type = 'file' AND object_id = '$file'") == 1 ]]
}

@test "calldocker calls recording: the first recording or --recording, to a file; audited" {
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	run cli calls recording "$call" -O "$BATS_TEST_TMPDIR/first.wav"
	assert_success
	cmp "$BATS_TEST_TMPDIR/first.wav" "$FAKE/recordings/$RSID.wav"
	rid=$(sql "SELECT id FROM call_recordings WHERE source_id = '${RSID%01}02'")
	run cli calls recording "$call" --recording "$rid" -O "$BATS_TEST_TMPDIR/second.wav"
	assert_success
	cmp "$BATS_TEST_TMPDIR/second.wav" "$FAKE/recordings/${RSID%01}02.wav"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download' AND object_id = '$rid'") == 1 ]]
	# A call without recordings.
	other=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec1'")
	run cli calls recording "$other"
	assert_failure 3
	assert_output --partial 'has no recordings'
}

recording_gone() { [[ $(sql "SELECT count(*) FROM call_recordings WHERE id = '$1'") == 0 ]]; }

@test "retention: recordings older than recording_retention_days go with their files, audited" {
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	rid=$(sql "SELECT id FROM call_recordings WHERE source_id = '$RSID'")
	file=$(sql "SELECT file_id FROM call_recordings WHERE id = '$rid'")
	[[ -n $(find "$CD_TMP" -name "*$file*") ]]
	api PUT "/api/settings/company/$CO" '{"recording_retention_days": 0}' "$MGR"
	assert_problem 422 validation_failed
	# Three days old; the company keeps two.
	sql "UPDATE call_recordings SET created_at = now() - interval '3 days' WHERE id = '$rid'"
	api PUT "/api/settings/company/$CO" '{"recording_retention_days": 2}' "$MGR"
	assert_status 200
	assert_json .recording_retention_days 2
	wait_for 30 recording_gone "$rid"
	[[ $(sql "SELECT count(*) FROM files WHERE id = '$file'") == 0 ]]
	[[ -z $(find "$CD_TMP" -name "*$file*") ]]
	api GET "/api/calls/$call/recordings/$rid" "" "$MGR"
	assert_problem 404 not_found
	# The newer one stays.
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.recordings | length' 1
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'expire' AND object_type = 'recording' AND object_id = '$rid' AND company_id = '$CO' AND actor_id IS NULL") == 1 ]]
	api PUT "/api/settings/company/$CO" '{"recording_retention_days": null}' "$MGR"
	assert_json .recording_retention_days null
}

fetch_state() { # SID: the pending fetch's state and attempts ("" when none)
	sql "SELECT state || ' ' || attempts FROM recording_fetches WHERE source_id = '$1'"
}
fetch_is() { [[ $(fetch_state "$1") == "$2" ]]; }
failed_once() { # SID: has failed one round, or is stored already after it
	[[ $(sql "SELECT state || ' ' || attempts || ' ' || last_error FROM recording_fetches
		WHERE source_id = '$1'") == 'pending 1 Twilio did not hand the recording over' ]] ||
	has_source "$1"
}
media_has() { [[ $(media_reqs "$1" | wc -l) -ge $2 ]]; }
has_source() { [[ $(sql "SELECT count(*) FROM call_recordings WHERE source_id = '$1'") == 1 ]]; }
recording_cb() { # CALLSID SID
	local call
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = '$1'")
	twilio "/api/webhooks/twilio/$CO?call=$call&event=recording" AccountSid=$SID \
		CallSid="$1" RecordingSid="$2" RecordingStatus=completed \
		RecordingDuration=5 RecordingChannels=2
}

@test "a fetch whose tries all fail is kept and fetched in a later round" {
	sid=${RSID%01}03
	# Five 503s: the whole first round of tries.
	printf '503\n503\n503\n503\n503\n' >"$FAKE/script"
	recording_cb CArec2 "$sid"
	assert_status 204
	[[ $(fetch_state "$sid") == "pending 0" ]]
	# The round failed: one attempt counted, why kept (read in one query:
	# the next round may take the row any moment).
	wait_for 30 failed_once "$sid"
	# The next round (a second later here) gets it.
	wait_for 30 has_source "$sid"
	[[ $(media_reqs "$sid" | wc -l) == 6 ]]
	[[ -z $(fetch_state "$sid") ]]
	grep -q "recording $sid: Twilio did not hand the recording over; tried again later" "$CD_LOG"
}

@test "a fetch cut short by a stop is fetched at the next start" {
	sid=${RSID%01}04
	printf '503\n503\n503\n503\n503\n' >"$FAKE/script"
	recording_cb CArec2 "$sid"
	assert_status 204
	# The first try has been answered 503; the daemon stops in its backoff.
	wait_for 10 media_has "$sid" 1
	daemon_stop main
	[[ $(fetch_state "$sid") == "pending 0" ]]
	: >"$FAKE/script"
	daemon_start main CALLDOCKER_PUBLIC_URL=$PUB/ \
		CALLDOCKER_TWILIO_API_URL="http://127.0.0.1:$(<"$FAKE/port")" \
		CALLDOCKER_RECORDING_SWEEP_INTERVAL=1
	wait_for 30 has_source "$sid"
	[[ -z $(fetch_state "$sid") ]]
	# The content is Twilio's, on the call.
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	rid=$(sql "SELECT id FROM call_recordings WHERE source_id = '$sid'")
	api GET "/api/calls/$call" "" "$MGR"
	assert_json "[.recordings[] | select(.id == \"$rid\")] | length" 1
	api GET "/api/calls/$call/recordings/$rid" "" "$MGR" >/dev/null
	assert_status 200
	cmp "$CD_TMP/resp.body" "$FAKE/recordings/$sid.wav"
}

@test "a fetch is given up after its last round, failed, and not tried again" {
	sid=${RSID%01}05
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	# Four rounds failed already; the fifth is due.
	printf '503\n503\n503\n503\n503\n' >"$FAKE/script"
	sql "INSERT INTO recording_fetches (company_id, source_id, call_id, channels, duration, attempts)
	     VALUES ('$CO', '$sid', '$call', 2, 5, 4)"
	wait_for 30 fetch_is "$sid" "failed 5"
	grep -q "recording $sid: given up after 5 rounds" "$CD_LOG"
	n=$(media_reqs "$sid" | wc -l)
	[[ $n == 5 ]]
	# A fetch due after that is taken by a later sweep; the failed one
	# was not taken with it.
	sql "INSERT INTO recording_fetches (company_id, source_id, call_id, channels, duration)
	     VALUES ('$CO', '${RSID%01}06', '$call', 2, 6)"
	wait_for 30 has_source "${RSID%01}06"
	[[ $(media_reqs "$sid" | wc -l) == 5 ]]
	[[ $(fetch_state "$sid") == "failed 5" ]]
	[[ $(sql "SELECT count(*) FROM call_recordings WHERE source_id = '$sid'") == 0 ]]
}

@test "after the caller's purge, a recording Twilio posts late is not fetched" {
	call=$(sql "SELECT call_id FROM twilio_calls WHERE call_sid = 'CArec2'")
	n=$(sql "SELECT count(*) FROM call_recordings WHERE call_id = '$call'")
	[[ $n -ge 1 ]]
	api POST /api/calls/purge '{"caller_number": "+4930123"}' "$MGR"
	assert_status 200
	[[ $(jget .recordings_deleted) -ge $n ]]
	[[ $(sql "SELECT count(*) FROM call_recordings WHERE company_id = '$CO'") == 0 ]]
	# Twilio's callback for a recording of that call comes after.
	sid=${RSID%01}07
	recording_cb CArec2 "$sid"
	assert_status 204
	[[ -z $(fetch_state "$sid") ]]
	# A fetch due after it is taken by a sweep; the late one never was.
	sql "INSERT INTO recording_fetches (company_id, source_id, call_id, channels, duration)
	     SELECT '$CO', '${RSID%01}08', call_id, 2, 8 FROM twilio_calls WHERE call_sid = 'CArec1'"
	# (CArec1's call was purged too: the stored content is dropped.)
	wait_for 30 media_has "${RSID%01}08" 1
	wait_for 30 fetch_is "${RSID%01}08" ""
	[[ -z $(media_reqs "$sid") ]]
	[[ $(sql "SELECT count(*) FROM call_recordings WHERE company_id = '$CO'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM files WHERE company_id = '$CO' AND kind = 'recording'") == 0 ]]
}

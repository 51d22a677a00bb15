#!/usr/bin/env bats
# A caller's personal data on request (POST /api/calls/purge, calldocker
# calls purge): every row of the company that holds the caller number's
# data is anonymised in one transaction (calls, their events, IVR
# sessions, webhook deliveries, Twilio rows, callbacks), the recordings go
# with their contents in the storage, a content that cannot be deleted is
# retried by the sweeper; other callers and other companies keep theirs,
# the analytics figures stay the same, a live call refuses the purge with
# nothing changed, managers and admins only, audited without the number.
# Also: a deleted company's stored contents are deleted with it.

load lib/common

ANN=+15550001111
BOB=+15550002222

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

avail() { # AGENT STATE
	api PUT "/api/agents/$1/availability" "{\"state\":\"$2\"}" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "availability $1 $2: $status $output" >&2; return 1; }
}
call_is() { api GET "/api/calls/$1" "" "$MGR" >/dev/null; [[ $(jget .state) == "$2" ]]; }

mkcall() { # TOKEN NUMBER NAME: a call waiting in the company's queue
	api POST /api/calls "$(jq -nc --arg n "$2" --arg name "$3" \
		'{caller_number: $n, caller_name: $name, caller_data: {account: "ACC-\($n)", email: "someone@example.test"}}
		+ (if env.QID == "" then {} else {queue_id: env.QID} end)')" "$1" >/dev/null
	[[ $status == 201 ]] || { echo "create $2: $status $output" >&2; return 1; }
	jget .id
}
hangup() { # TOKEN CALL
	api POST "/api/calls/$2/hangup" '{"reason": "caller said goodbye"}' "$1" >/dev/null
	[[ $status == 200 ]] || { echo "hangup $2: $status $output" >&2; return 1; }
}

# A call the agent answered and wrapped up with notes.
talked() { # NUMBER NAME
	local c
	c=$(mkcall "$MGR" "$1" "$2") || return 1
	api POST "/api/calls/$c/assign" "{\"agent_id\": \"$AG\"}" "$MGR" >/dev/null
	wait_for 10 call_is "$c" offering || return 1
	api POST "/api/calls/$c/answer" '{}' "$AGT" >/dev/null
	[[ $status == 200 ]] || { echo "answer $c: $status $output" >&2; return 1; }
	api POST "/api/calls/$c/hangup" '{}' "$AGT" >/dev/null
	api POST "/api/calls/$c/wrap" "$(jq -nc --arg n "$2 lives at 1 Main St" \
		'{disposition: "sale", notes: $n}')" "$AGT" >/dev/null
	[[ $status == 200 ]] || { echo "wrap $c: $status $output" >&2; return 1; }
	echo "$c"
}

# A recording of CALL: an uploaded WAV linked to it; prints the file id.
recording() { # COMPANY TOKEN CALL
	api -H 'Content-Type: audio/wav' POST "/api/files/company/$1?kind=recording" \
		"@$F/rec.wav" "$2" >/dev/null
	[[ $status == 201 ]] || { echo "upload: $status $output" >&2; return 1; }
	local file
	file=$(jget .id)
	sql "INSERT INTO call_recordings (call_id, company_id, file_id, source, duration)
	     VALUES ('$3', '$1', '$file', 'browser', 4)" >/dev/null
	echo "$file"
}
stored() { [[ -e $CD_DIR/data/files/$1 ]]; }
gone() { [[ ! -e $CD_DIR/data/files/$1 ]]; }
trash_empty() { [[ $(sql "SELECT count(*) FROM storage_trash WHERE file_id = '$1'") == 0 ]]; }

# The figures of the overview and the bucketed series over the last hours.
figures() { # COMPANY TOKEN
	local r
	r="from=$(date -u -d '-3 hours' +%Y-%m-%dT%H:00:00Z)&to=$(date -u -d '+2 hours' +%Y-%m-%dT%H:00:00Z)"
	api GET "/api/analytics/company/$1/overview?$r" "" "$2" >/dev/null
	[[ $status == 200 ]] || return 1
	jget 'del(.generated_at)'
	api GET "/api/analytics/company/$1/calls?$r&interval=hour" "" "$2" >/dev/null
	[[ $status == 200 ]] || return 1
	jget 'del(.generated_at)'
}

setup_file() {
	cd_setup CALLDOCKER_RECORDING_SWEEP_INTERVAL=1
	F=$CD_TMP/fixtures
	mkdir -p "$F"
	python3 - "$F" <<'EOF'
import os, sys, wave
with wave.open(os.path.join(sys.argv[1], 'rec.wav'), 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(os.urandom(8000))
EOF
	CO=$(mkcompany "Purge Co")
	mkuser pia@purge.test manager "$CO" >/dev/null
	MGR=$(login pia@purge.test)
	u=$(mkuser abe@purge.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	AG=$(jget .id)
	AGT=$(login abe@purge.test)
	api POST /api/queues "$(jq -nc --arg a "$AG" \
		'{name: "Help", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	QID=$(jget .id)
	# Every event queued for an endpoint that never answers: the
	# deliveries keep the payloads.
	api POST "/api/webhooks/company/$CO" '{"url": "https://hooks.example.test/purge", "events": ["*"]}' "$MGR" >/dev/null
	[[ $status == 201 ]]
	CO2=$(mkcompany "Other Purge Co")
	mkuser oli@purge.test manager "$CO2" >/dev/null
	MGR2=$(login oli@purge.test)
	export F CO MGR AG AGT QID CO2 MGR2
	avail "$AG" available

	# Ann: a call she talked on, one she gave up on; Bob: one of each.
	A1=$(talked "$ANN" "Ann Example")
	A2=$(mkcall "$MGR" "$ANN" "Ann Example")
	hangup "$MGR" "$A2"
	B1=$(talked "$BOB" "Bob Other")
	B2=$(mkcall "$MGR" "$BOB" "Bob Other")
	hangup "$MGR" "$B2"
	# A call from Bob's phone that asked to be called back on Ann's: the
	# person on Ann's number is its caller.
	B3=$(mkcall "$MGR" "$BOB" "Bob Other")
	hangup "$MGR" "$B3"
	sql "UPDATE calls SET callback_number = '$ANN' WHERE id = '$B3'"
	# Ann in the other company.
	C1=$(QID= mkcall "$MGR2" "$ANN" "Ann Example")
	hangup "$MGR2" "$C1"
	# Her IVR session, her Twilio call, her recordings; Bob's and the
	# other company's too.
	sql "INSERT INTO ivr_sessions (call_id, flow_id, version, state) VALUES
	     ('$A2', gen_random_uuid(), 1, '{\"state\": \"done\", \"node\": \"menu\", \"variables\": {\"account\": \"12345\"}, \"caller\": {\"name\": \"Ann\"}}'),
	     ('$B2', gen_random_uuid(), 1, '{\"state\": \"done\", \"node\": \"menu\", \"variables\": {\"account\": \"999\"}, \"caller\": {}}')"
	sql "INSERT INTO twilio_calls (company_id, call_sid, call_id, twiml) VALUES
	     ('$CO', 'CApurge1', '$A1', '<Response><Dial><Number>$ANN</Number></Dial></Response>'),
	     ('$CO', 'CApurge2', '$B1', '<Response><Dial><Number>$BOB</Number></Dial></Response>')"
	FA1=$(recording "$CO" "$MGR" "$A1")
	FA2=$(recording "$CO" "$MGR" "$A1")
	FB1=$(recording "$CO" "$MGR" "$B1")
	FC1=$(recording "$CO2" "$MGR2" "$C1")
	# A recording of hers Twilio has not handed over yet.
	sql "INSERT INTO recording_fetches (company_id, source_id, call_id, next_attempt_at)
	     VALUES ('$CO', 'RE00000000000000000000000000000001', '$A1', now() + interval '1 day')"
	export A1 A2 B1 B2 B3 C1 FA1 FA2 FB1 FC1
}

teardown_file() {
	[[ -f ${CD_TMP:-}/s3/server.pid ]] && kill "$(<"$CD_TMP/s3/server.pid")" 2>/dev/null
	cd_teardown
}

@test "purge: input is checked; agents may not; another company's manager cannot name this one" {
	api POST /api/calls/purge '{}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' caller_number
	api POST /api/calls/purge '{"caller_number": "", "extra": 1}' "$MGR"
	assert_problem 422 validation_failed
	api POST /api/calls/purge '["+15550001111"]' "$MGR"
	[[ $status == 400 || $status == 422 ]]
	api POST /api/calls/purge '{"caller_number": 15550001111}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' caller_number
	api POST /api/calls/purge "{\"caller_number\": \"+1$(printf '5%.0s' {1..40})\"}" "$MGR"
	assert_problem 422 validation_failed
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\"}" "$AGT"
	assert_problem 403 forbidden
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\", \"company_id\": \"$CO\"}" "$MGR2"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' company_id
	# The admin names the company.
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\"}"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' company_id
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\", \"company_id\": \"00000000-0000-4000-8000-000000000000\"}"
	assert_problem 422 validation_failed
	[[ $(sql "SELECT count(*) FROM calls WHERE caller_number = '$ANN'") == 3 ]]
}

@test "purge: a live call of the number refuses it (409) and nothing changes" {
	live=$(mkcall "$MGR" "$ANN" "Ann Example")
	before=$(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE company_id = '$CO'")
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\"}" "$MGR"
	assert_problem 409 caller_has_live_calls
	[[ $(jget .detail) == *"1 call of this number has not ended"* ]]
	[[ $(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE company_id = '$CO'") == "$before" ]]
	[[ $(sql "SELECT count(*) FROM call_recordings WHERE call_id = '$A1'") == 2 ]]
	stored "$FA1"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'purge_caller'") == 0 ]]
	# The CLI says the same, exit 1.
	run cli calls purge --caller-number "$ANN" --yes --company "$CO"
	assert_failure 1
	assert_output --partial 'has not ended'
	hangup "$MGR" "$live"
	echo "$live" >"$CD_TMP/live.id"
}

@test "purge: Ann's personal data anonymised everywhere, recordings and their contents gone, audited by a hash" {
	live=$(<"$CD_TMP/live.id")
	figures "$CO" "$MGR" >"$CD_TMP/figures.before"
	figures "$CO2" "$MGR2" >"$CD_TMP/figures2.before"
	[[ $(sql "SELECT count(*) FROM webhook_deliveries WHERE payload::text LIKE '%$ANN%'") -gt 0 ]]
	bob_before=$(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE id IN ('$B1', '$B2')")
	other_before=$(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE company_id = '$CO2'")

	api POST /api/calls/purge "{\"caller_number\": \"$ANN\"}" "$MGR"
	assert_status 200
	assert_json .company_id "$CO"
	# A1, A2, the live one now ended, and the call to be called back on her number.
	assert_json .calls_anonymised 4
	assert_json .recordings_deleted 2

	# Nothing of hers is left in the company, in any table.
	[[ $(sql "SELECT count(*) FROM calls WHERE company_id = '$CO' AND (caller_number = '$ANN' OR callback_number = '$ANN')") == 0 ]]
	for c in "$A1" "$A2" "$live" "$B3"; do
		api GET "/api/calls/$c" "" "$MGR"
		assert_status 200
		assert_json .caller_number null
		assert_json .caller_name null
		assert_json .caller_data '{}'
		assert_json .notes null
		assert_json '.recordings | length' 0
	done
	# The figures the analytics count stay on the rows.
	api GET "/api/calls/$A1" "" "$MGR"
	assert_json .state completed
	assert_json .disposition sale
	assert_json .agent_id "$AG"
	assert_json .queue_id "$QID"
	[[ $(jget .talk_seconds) != null ]]
	api GET "/api/calls/$A2" "" "$MGR"
	assert_json .state abandoned
	# Her number, name, what she typed, the agent's notes on her, the
	# reasons given: in no row of the company. (Bob's rows keep his.)
	for t in calls call_events webhook_deliveries twilio_calls ivr_sessions webhook_attempts; do
		case $t in
		ivr_sessions) w="call_id IN (SELECT id FROM calls WHERE company_id = '$CO')" ;;
		webhook_attempts) w="delivery_id IN (SELECT id FROM webhook_deliveries WHERE company_id = '$CO')" ;;
		*) w="company_id = '$CO'" ;;
		esac
		n=$(sql "SELECT count(*) FROM $t x WHERE $w AND (x::text LIKE '%$ANN%' OR x::text LIKE '%5550001111%' OR x::text LIKE '%Ann Example%' OR x::text LIKE '%12345%')")
		[[ $n == 0 ]] || { echo "$t still holds Ann's data: $n rows" >&2; false; }
	done
	[[ $(sql "SELECT count(*) FROM calls WHERE id IN ('$A1', '$A2', '$live', '$B3') AND (notes IS NOT NULL OR caller_data <> '{}')") == 0 ]]
	[[ $(sql "SELECT count(*) FROM webhook_deliveries WHERE payload->'data'->'call'->>'id' IN ('$A1', '$A2', '$live') AND (payload::text LIKE '%lives at%' OR payload::text LIKE '%caller said goodbye%' OR payload::text LIKE '%someone@example%')") == 0 ]]
	[[ $(sql "SELECT count(*) FROM webhook_deliveries WHERE payload->'data'->'call'->>'id' = '$B1' AND payload::text LIKE '%Bob Other lives at%'") -gt 0 ]]
	[[ $(sql "SELECT count(*) FROM call_events WHERE call_id = '$A2' AND data ? 'reason'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM call_events WHERE call_id = '$A1' AND type = 'call.offered' AND data->>'agent_id' = '$AG'") -ge 1 ]]
	[[ $(sql "SELECT state->>'node' FROM ivr_sessions WHERE call_id = '$A2'") == menu ]]
	[[ $(sql "SELECT state->'variables' FROM ivr_sessions WHERE call_id = '$A2'") == '{}' ]]
	[[ $(sql "SELECT twiml IS NULL FROM twilio_calls WHERE call_sid = 'CApurge1'") == t ]]
	[[ $(sql "SELECT count(*) FROM recording_fetches WHERE call_id = '$A1'") == 0 ]]
	# Her recordings: rows and contents.
	[[ $(sql "SELECT count(*) FROM files WHERE id IN ('$FA1', '$FA2')") == 0 ]]
	gone "$FA1"
	gone "$FA2"
	trash_empty "$FA1"
	trash_empty "$FA2"

	# Bob and the other company keep theirs.
	[[ $(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE id IN ('$B1', '$B2')") == "$bob_before" ]]
	[[ $(sql "SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM calls c WHERE company_id = '$CO2'") == "$other_before" ]]
	api GET "/api/calls/$B2" "" "$MGR"
	assert_json .caller_number "$BOB"
	assert_json .caller_name "Bob Other"
	api GET "/api/calls/$B1" "" "$MGR"
	assert_json '.recordings | length' 1
	assert_json .notes "Bob Other lives at 1 Main St"
	stored "$FB1"
	stored "$FC1"
	api GET "/api/calls/$C1" "" "$MGR2"
	assert_json .caller_number "$ANN"
	[[ $(sql "SELECT twiml FROM twilio_calls WHERE call_sid = 'CApurge2'") == *"$BOB"* ]]
	[[ $(sql "SELECT state->'variables'->>'account' FROM ivr_sessions WHERE call_id = '$B2'") == 999 ]]

	# The analytics figures are the same.
	figures "$CO" "$MGR" >"$CD_TMP/figures.after"
	figures "$CO2" "$MGR2" >"$CD_TMP/figures2.after"
	diff "$CD_TMP/figures.before" "$CD_TMP/figures.after"
	diff "$CD_TMP/figures2.before" "$CD_TMP/figures2.after"

	# Audited, without the number: its keyed hash.
	row=$(sql "SELECT actor_id IS NOT NULL, company_id, object_type, object_id, detail->>'calls', detail->>'recordings', length(detail->>'caller_hmac') FROM audit_log WHERE action = 'purge_caller'")
	[[ $row == "t|$CO|company|$CO|4|2|44" ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%$ANN%' OR detail::text LIKE '%5550001111%'") == 0 ]]
}

@test "purge again: nothing left to do; the same number's hash in the audit log" {
	api POST /api/calls/purge "{\"caller_number\": \"$ANN\"}" "$MGR"
	assert_status 200
	assert_json .calls_anonymised 0
	assert_json .recordings_deleted 0
	[[ $(sql "SELECT count(DISTINCT detail->>'caller_hmac') FROM audit_log WHERE action = 'purge_caller'") == 1 ]]
}

@test "calldocker calls purge: asks on a terminal, refuses without --yes in a script, counts the rows" {
	c=$(mkcall "$MGR" +15550003333 "Cy")
	hangup "$MGR" "$c"
	run --separate-stderr cli calls purge --caller-number +15550003333
	assert_failure 2
	[[ $stderr == *'without --yes'* ]]
	[[ $(sql "SELECT caller_number FROM calls WHERE id = '$c'") == +15550003333 ]]
	run --separate-stderr cli -o json calls purge --caller-number +15550003333 --yes --company "$CO"
	assert_success
	[[ $(jq -r .calls_anonymised <<<"$output") == 1 ]]
	[[ $(jq -r .recordings_deleted <<<"$output") == 0 ]]
	[[ $(sql "SELECT caller_number IS NULL FROM calls WHERE id = '$c'") == t ]]
	run cli calls purge --help
	assert_success
	assert_output --partial '--caller-number'
}

@test "a content the storage cannot delete stays in the trash and the sweeper deletes it later" {
	c=$(mkcall "$MGR" +15550004444 "Di")
	hangup "$MGR" "$c"
	file=$(recording "$CO" "$MGR" "$c")
	# A directory in the file's place: unlink fails, even for root.
	rm "$CD_DIR/data/files/$file"
	mkdir -p "$CD_DIR/data/files/$file/x"
	api POST /api/calls/purge '{"caller_number": "+15550004444"}' "$MGR"
	assert_status 200
	assert_json .recordings_deleted 1
	[[ $(sql "SELECT count(*) FROM files WHERE id = '$file'") == 0 ]]
	[[ $(sql "SELECT count(*) FROM storage_trash WHERE file_id = '$file'") == 1 ]]
	grep -q "cannot delete the content of $file" "$CD_LOG"
	# Deletable again; the sweeper's retry (a minute later) takes it.
	rm -r "$CD_DIR/data/files/$file"
	echo data >"$CD_DIR/data/files/$file"
	sql "UPDATE storage_trash SET next_attempt_at = now() WHERE file_id = '$file'"
	wait_for 30 trash_empty "$file"
	gone "$file"
}

@test "a deleted company's stored contents are deleted with it" {
	co=$(mkcompany "Doomed Co")
	mkuser dan@doomed.test manager "$co" >/dev/null
	tok=$(login dan@doomed.test)
	c=$(QID= mkcall "$tok" +15550005555 "Ed")
	hangup "$tok" "$c"
	rec=$(recording "$co" "$tok" "$c")
	api -H 'Content-Type: audio/wav' POST "/api/files/company/$co?name=prompt" "@$F/rec.wav" "$tok" >/dev/null
	assert_status 201
	prompt=$(jget .id)
	stored "$rec"
	stored "$prompt"
	run cli companies delete "$co" --yes
	assert_success
	gone "$rec"
	gone "$prompt"
	trash_empty "$rec"
	trash_empty "$prompt"
	# Other companies' contents stay.
	stored "$FB1"
	stored "$FC1"
}

@test "on S3 storage: the purged recordings' objects are deleted from the bucket" {
	local d=$CD_TMP/s3 key=AKIDTESTCALLDOCKER secret=s3-Secret-Purge-1 i
	mkdir -p "$d"
	python3 "$TOP/tests/lib/s3.py" --dir "$d/objects" --bucket recs \
		--region eu-west-1 --access-key "$key" --secret-key "$secret" \
		--port-file "$d/port" --log "$d/log" 3>&- </dev/null >/dev/null 2>&1 &
	echo $! >"$d/server.pid"
	wait_for 10 test -s "$d/port"
	daemon_start s3d CALLDOCKER_STORAGE=s3 \
		CALLDOCKER_S3_ENDPOINT="http://127.0.0.1:$(<"$d/port")/" \
		CALLDOCKER_S3_BUCKET=recs CALLDOCKER_S3_REGION=eu-west-1 \
		CALLDOCKER_S3_ACCESS_KEY="$key" CALLDOCKER_S3_SECRET_KEY="$secret" \
		CALLDOCKER_RECORDING_SWEEP_INTERVAL=0
	c=$(QID= mkcall "$MGR" +15550006666 "Flo")
	hangup "$MGR" "$c"
	keep=$(QID= mkcall "$MGR" +15550007777 "Gus")
	hangup "$MGR" "$keep"
	f1=$(recording "$CO" "$MGR" "$c")
	f2=$(recording "$CO" "$MGR" "$keep")
	[[ -f $d/objects/$f1 && -f $d/objects/$f2 ]]
	api POST /api/calls/purge '{"caller_number": "+15550006666"}' "$MGR"
	assert_status 200
	assert_json .recordings_deleted 1
	[[ ! -e $d/objects/$f1 ]]
	grep -q "^DELETE /recs/$f1 204" "$d/log"
	trash_empty "$f1"
	[[ -f $d/objects/$f2 ]]
	daemon_stop s3d
	daemon_use main
}

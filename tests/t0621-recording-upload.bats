#!/usr/bin/env bats
# Browser recordings without a browser (docs/api.md, "Browser recordings"):
# the resumable upload protocol an agent's page speaks. An upload is created
# on a call its agent answered, its pieces appended at their offsets (a
# wrong offset is 409 with the real one, HEAD tells where it is after a
# broken connection), and the last request makes it a recording of the
# call: on GET /api/calls/:id, downloaded byte for byte (REST and CLI),
# audited. The refusals: other companies and agents not on the call 404,
# queues that do not record 409, a call without an agent, wrong types,
# durations the upload's age cannot hold, recordings over
# max_recording_bytes. Deleting the recording removes its pieces' objects,
# on the local backend and on S3 (tests/lib/s3.py, as in t0540).

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	command -v ffmpeg >/dev/null || {
		echo "ffmpeg missing: scripts/deps.sh installs it" >&2
		return 1
	}
	cd_setup CALLDOCKER_MAX_RECORDING_BYTES=100000 \
		CALLDOCKER_RECORDING_SWEEP_INTERVAL=1
	CO=$(mkcompany "Upload Co")
	mkuser mia@upload.test manager "$CO" >/dev/null
	MGR=$(login mia@upload.test)
	u=$(mkuser ann@upload.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, name: "Ann"}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	ANN_ID=$(jget .id)
	ANN=$(login ann@upload.test)
	u=$(mkuser bob@upload.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, name: "Bob"}')" "$MGR" >/dev/null
	BOB=$(login bob@upload.test)
	api POST /api/queues "$(jq -nc --arg a "$ANN_ID" \
		'{name: "Support", wrap_up: 0, recording: "on", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	QID=$(jget .id)
	api POST /api/queues "$(jq -nc --arg a "$ANN_ID" \
		'{name: "Quiet", wrap_up: 0, recording: "off", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]]
	QUIET=$(jget .id)
	CO2=$(mkcompany "Other Co")
	mkuser oz@other.test manager "$CO2" >/dev/null
	MGR2=$(login oz@other.test)
	# Three seconds of stereo Opus in WebM, as a browser's MediaRecorder
	# makes: 440 Hz on the left, 660 Hz on the right.
	ffmpeg -nostdin -loglevel error -f lavfi \
		-i 'aevalsrc=sin(440*2*PI*t)|sin(660*2*PI*t):s=48000:d=3' \
		-c:a libopus -b:a 64k "$CD_TMP/rec.webm"
	export CO CO2 MGR MGR2 ANN ANN_ID BOB QID QUIET
}
teardown_file() {
	[[ -f ${CD_TMP:-}/s3/server.pid ]] && kill "$(<"$CD_TMP/s3/server.pid")" 2>/dev/null
	cd_teardown
}

# A call of queue Q (default Support) that Ann answered and hung up: its id.
# CALLER=NUMBER: from that number.
answered() {
	local call
	api POST /api/calls "$(jq -nc --arg q "${1:-$QID}" --arg n "${CALLER:-}" \
		'{queue_id: $q} + (if $n == "" then {} else {caller_number: $n} end)')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "call: $status $output" >&2; return 1; }
	call=$(jget .id)
	api PUT "/api/agents/$ANN_ID/availability" '{"state": "available"}' "$MGR" >/dev/null
	wait_for 10 eval "api GET /api/calls/$call '' '$MGR' >/dev/null; [[ \$(jget .state) == offering ]]"
	api POST "/api/calls/$call/answer" '{}' "$ANN" >/dev/null
	[[ $status == 200 ]] || { echo "answer: $status $output" >&2; return 1; }
	api POST "/api/calls/$call/hangup" '{}' "$ANN" >/dev/null
	api POST "/api/calls/$call/wrap" '{}' "$ANN" >/dev/null
	[[ $status == 200 ]] || { echo "wrap: $status $output" >&2; return 1; }
	echo "$call"
}

# piece PATH OFFSET [HEADER...]: PATCH bytes OFFSET.. of the file FROM
# (default rec.webm, LEN bytes or to the end) to the upload at PATH.
FROM=
piece() {
	local path=$1 off=$2 len=${LEN:-} tok=${TOKEN:-$ANN}
	shift 2
	local args=()
	for h in "$@"; do args+=(-H "$h"); done
	tail -c +$((off + 1)) "${FROM:-$CD_TMP/rec.webm}" |
		if [[ -n $len ]]; then head -c "$len"; else cat; fi >"$CD_TMP/piece"
	api "${args[@]}" -H 'Content-Type: application/offset+octet-stream' \
		-H "Upload-Offset: ${AT:-$off}" PATCH "$path" "@$CD_TMP/piece" "$tok"
}

# head_of PATH [TOKEN]: a HEAD request; its headers in $CD_TMP/head.
head_of() {
	curl -sS -I --max-time 15 --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer ${2:-$ANN}" "http://localhost$1" |
		tr -d '\r' >"$CD_TMP/head"
}
head_has() { grep -qix "$1" "$CD_TMP/head"; }

@test "pieces at their offsets, a wrong offset refused with the real one, HEAD to resume, the last makes the recording" {
	call=$(answered)
	size=$(stat -c %s "$CD_TMP/rec.webm")
	api -H 'Content-Type: audio/webm;codecs=opus' POST "/api/calls/$call/recording" "" "$ANN"
	assert_status 201
	up=$(jget .id)
	assert_json .offset 0
	assert_json .complete false
	assert_json .content_type audio/webm
	[[ $(header location) == "/api/calls/$call/recording/$up" ]]
	[[ $(header upload-offset) == 0 && $(header upload-complete) == '?0' ]]
	url=/api/calls/$call/recording/$up
	# The first piece: the start of the WebM.
	LEN=10000 piece "$url" 0
	assert_status 204
	[[ $(header upload-offset) == 10000 ]]
	# A piece sent again at the old offset (its answer was lost): 409 with
	# where the upload is, and nothing appended.
	LEN=10000 AT=0 piece "$url" 10000
	assert_problem 409 offset_mismatch
	assert_json .offset 10000
	[[ $(header upload-offset) == 10000 ]]
	# A connection broken mid-piece: HEAD tells the offset to resume from.
	head_of "$url"
	head_has 'HTTP/1.1 200 OK'
	head_has 'upload-offset: 10000'
	head_has 'upload-complete: ?0'
	api GET "$url" "" "$ANN"
	assert_status 200
	assert_json .offset 10000
	assert_json .recording_id null
	LEN=10000 piece "$url" 10000
	assert_status 204
	[[ $(header upload-offset) == 20000 ]]
	# The rest, last: with the duration and channels the page measured.
	piece "$url" 20000 'Upload-Complete: ?1' 'Recording-Duration: 3.02' 'Recording-Channels: 2'
	assert_status 201
	rid=$(jget .id)
	[[ $(header location) == "/api/calls/$call/recordings/$rid" ]]
	[[ $(header upload-offset) == "$size" && $(header upload-complete) == '?1' ]]
	assert_json .duration 3
	assert_json .channels 2
	assert_json .source browser
	assert_json .content_type audio/webm
	assert_json .size "$size"
	# Complete: no more pieces.
	LEN=10 piece "$url" "$size"
	assert_problem 409 upload_complete
	api GET "$url" "" "$ANN"
	assert_json .complete true
	assert_json .recording_id "$rid"
	# On the call; downloaded byte for byte by the agent and by the CLI.
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.recordings | length' 1
	assert_json '.recordings[0].id' "$rid"
	curl -sS --unix-socket "$CD_SOCK" -H "Authorization: Bearer $ANN" \
		-D "$CD_TMP/dl.h" -o "$CD_TMP/dl.webm" "http://localhost/api/calls/$call/recordings/$rid"
	cmp "$CD_TMP/rec.webm" "$CD_TMP/dl.webm"
	grep -qi '^content-type: audio/webm' "$CD_TMP/dl.h"
	run cli calls recording "$call" -O "$CD_TMP/cli.webm"
	assert_success
	cmp "$CD_TMP/rec.webm" "$CD_TMP/cli.webm"
	[[ $(ffprobe -v error -select_streams a:0 -show_entries stream=channels \
		-of csv=p=0 "$CD_TMP/cli.webm") == 2 ]]
	# Audited: the upload's creation, the recording, each download.
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'create' AND object_type = 'recording_upload' AND object_id = '$up'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'upload' AND object_type = 'recording' AND object_id = '$rid' AND detail->>'source' = 'browser'") == 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE action = 'download' AND object_id = '$rid'") == 2 ]]
	# Three pieces, three objects; deleting the recording's file removes
	# them all.
	objs=$(sql "SELECT object_id FROM file_pieces WHERE file_id = '$up'")
	[[ $(wc -w <<<"$objs") == 3 ]]
	for o in $objs; do [[ -f $CD_TMP/main/data/files/$o ]]; done
	api DELETE "/api/files/$up" "" "$MGR"
	assert_status 204
	for o in $objs; do [[ ! -e $CD_TMP/main/data/files/$o ]]; done
	[[ $(sql "SELECT count(*) FROM file_pieces WHERE file_id = '$up'") == 0 ]]
}

@test "only the call's agent and its company's managers; others 404" {
	call=$(answered)
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$MGR2"
	assert_problem 404 not_found
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$BOB"
	assert_problem 404 not_found
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$MGR"
	assert_status 201
	url=/api/calls/$call/recording/$(jget .id)
	for tok in "$MGR2" "$BOB"; do
		api GET "$url" "" "$tok"
		assert_problem 404 not_found
		TOKEN=$tok LEN=100 piece "$url" 0
		assert_problem 404 not_found
	done
	# The agent continues what the manager began.
	LEN=100 piece "$url" 0
	assert_status 204
	api GET "/api/calls/$call/recording/$(uuidgen 2>/dev/null || echo 00000000-0000-4000-8000-000000000000)" "" "$ANN"
	assert_problem 404 not_found
}

@test "refusals: queues that do not record, calls without an agent, types, offsets, durations, sizes" {
	# Recording off for the call's queue.
	call=$(answered "$QUIET")
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	assert_problem 409 recording_off
	# A call no agent had (Ann away: not even offered).
	api PUT "/api/agents/$ANN_ID/availability" '{"state": "away"}' "$MGR" >/dev/null
	api POST /api/calls "$(jq -nc --arg q "$QID" '{queue_id: $q}')" "$MGR" >/dev/null
	lone=$(jget .id)
	api -H 'Content-Type: audio/webm' POST "/api/calls/$lone/recording" "" "$MGR"
	assert_problem 409 no_agent
	api POST "/api/calls/$lone/hangup" '{}' "$MGR" >/dev/null
	call=$(answered)
	api -H 'Content-Type: audio/wav' POST "/api/calls/$call/recording" "" "$ANN"
	assert_problem 415 unsupported_media_type
	api -H 'Content-Type: audio/ogg' POST "/api/calls/$call/recording" "" "$ANN"
	assert_status 201
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	assert_status 201
	url=/api/calls/$call/recording/$(jget .id)
	# The first piece must be what the upload declared.
	printf 'OggS not webm at all' >"$CD_TMP/ogg"
	FROM=$CD_TMP/ogg piece "$url" 0
	assert_problem 415 unsupported_media_type
	# Offsets: required, a number.
	api -H 'Upload-Offset: ten' PATCH "$url" '@/dev/null' "$ANN"
	assert_problem 400 bad_request
	LEN=100 piece "$url" 0 'Upload-Complete: yes'
	assert_problem 400 bad_request
	# Completing with nothing in it.
	api -H 'Upload-Offset: 0' -H 'Upload-Complete: ?1' -H 'Recording-Duration: 0' PATCH "$url" "" "$ANN"
	assert_problem 422 empty_recording
	# A duration longer than the upload has existed, or none: 422, and the
	# piece that came with it is not kept.
	LEN=100 piece "$url" 0 'Upload-Complete: ?1' 'Recording-Duration: 3600'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' Recording-Duration
	LEN=100 piece "$url" 0 'Upload-Complete: ?1' 'Recording-Channels: 3' 'Recording-Duration: 1'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' Recording-Channels
	LEN=100 piece "$url" 0 'Upload-Complete: ?1'
	assert_problem 422 validation_failed
	api GET "$url" "" "$ANN"
	assert_json .offset 0
	# Over max_recording_bytes (100000 here) all together: 413.
	size=$(stat -c %s "$CD_TMP/rec.webm")
	piece "$url" 0
	assert_status 204
	head -c 70000 /dev/zero >"$CD_TMP/zeros"
	AT=$size FROM=$CD_TMP/zeros piece "$url" 0
	assert_problem 413 payload_too_large
	[[ $(header upload-offset) == "$size" ]]
	api GET "$url" "" "$ANN"
	assert_json .offset "$size"
}

@test "the retention sweeper deletes a browser recording's pieces and uploads left unfinished" {
	call=$(answered)
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	url=/api/calls/$call/recording/$(jget .id)
	up=$(jget .id)
	LEN=5000 piece "$url" 0
	piece "$url" 5000 'Upload-Complete: ?1' 'Recording-Duration: 3' 'Recording-Channels: 2'
	assert_status 201
	rid=$(jget .id)
	# A second upload, abandoned after its first piece.
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	up2=$(jget .id)
	LEN=5000 piece "/api/calls/$call/recording/$up2" 0
	assert_status 204
	objs=$(sql "SELECT object_id FROM file_pieces WHERE file_id IN ('$up', '$up2')")
	[[ $(wc -w <<<"$objs") == 3 ]]
	api PUT "/api/settings/company/$CO" '{"recording_retention_days": 1}' "$MGR"
	assert_status 200
	sql "UPDATE call_recordings SET created_at = now() - interval '2 days' WHERE id = '$rid';
		UPDATE recording_uploads SET updated_at = now() - interval '2 days' WHERE id = '$up2'"
	wait_for 20 eval "[[ \$(sql \"SELECT count(*) FROM file_pieces WHERE file_id IN ('$up', '$up2')\") == 0 ]]"
	for o in $objs; do [[ ! -e $CD_TMP/main/data/files/$o ]]; done
	[[ $(sql "SELECT count(*) FROM recording_uploads WHERE id = '$up2'") == 0 ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.recordings | length' 0
	api PUT "/api/settings/company/$CO" '{"recording_retention_days": null}' "$MGR"
}

@test "a purge of the caller drops an upload still going, with its pieces; a new one is refused" {
	call=$(CALLER=+15550007777 answered)
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	assert_status 201
	up=$(jget .id)
	LEN=5000 piece "/api/calls/$call/recording/$up" 0
	assert_status 204
	obj=$(sql "SELECT object_id FROM file_pieces WHERE file_id = '$up'")
	[[ -e $CD_TMP/main/data/files/$obj ]]
	api POST /api/calls/purge '{"caller_number": "+15550007777"}' "$MGR"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM recording_uploads WHERE id = '$up'") == 0 ]]
	# Its pieces go with the trash, now or by the sweeper.
	wait_for 90 eval "[[ \$(sql \"SELECT count(*) FROM file_pieces WHERE file_id = '$up'\") == 0 ]]"
	[[ ! -e $CD_TMP/main/data/files/$obj ]]
	LEN=5000 piece "/api/calls/$call/recording/$up" 5000
	assert_status 404
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	assert_problem 409 caller_purged
}

@test "s3 backend: each piece an object, the download their concatenation, deleting removes them all" {
	local key=AKIDTESTCALLDOCKER secret=s3-Secret-Upload-77 d=$CD_TMP/s3
	mkdir -p "$d"
	python3 "$TOP/tests/lib/s3.py" --dir "$d/objects" --bucket recs \
		--region eu-west-1 --access-key "$key" --secret-key "$secret" \
		--port-file "$d/port" --log "$d/log" 3>&- </dev/null >/dev/null 2>&1 &
	echo $! >"$d/server.pid"
	wait_for 20 test -s "$d/port"
	call=$(answered)
	daemon_start s3d CALLDOCKER_STORAGE=s3 \
		CALLDOCKER_S3_ENDPOINT="http://127.0.0.1:$(<"$d/port")/" \
		CALLDOCKER_S3_BUCKET=recs CALLDOCKER_S3_REGION=eu-west-1 \
		CALLDOCKER_S3_ACCESS_KEY="$key" CALLDOCKER_S3_SECRET_KEY="$secret"
	api -H 'Content-Type: audio/webm' POST "/api/calls/$call/recording" "" "$ANN"
	assert_status 201
	up=$(jget .id)
	url=/api/calls/$call/recording/$up
	LEN=15000 piece "$url" 0
	assert_status 204
	LEN=15000 piece "$url" 15000
	assert_status 204
	piece "$url" 30000 'Upload-Complete: ?1' 'Recording-Duration: 3' 'Recording-Channels: 2'
	assert_status 201
	rid=$(jget .id)
	objs=$(sql "SELECT object_id FROM file_pieces WHERE file_id = '$up' ORDER BY seq")
	[[ $(wc -w <<<"$objs") == 3 ]]
	for o in $objs; do cat "$d/objects/$o"; done | cmp - "$CD_TMP/rec.webm"
	run cli calls recording "$call" -O "$CD_TMP/s3.webm"
	assert_success
	cmp "$CD_TMP/rec.webm" "$CD_TMP/s3.webm"
	! grep -q DENY "$d/log"
	api DELETE "/api/files/$up" "" "$MGR"
	assert_status 204
	for o in $objs; do [[ ! -e $d/objects/$o ]]; done
	daemon_stop s3d
	daemon_use main
}

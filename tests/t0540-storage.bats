#!/usr/bin/env bats
# File storage for IVR prompts and recordings: upload (raw body, type
# sniffed from the content), metadata, download byte for byte with
# Content-Type, Content-Length and ETag, list, delete, tenancy and roles;
# the local backend's files on disk; the S3 backend against tests/lib/s3.py,
# which verifies every request's SigV4 signature on its own.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# upload [--tcp] TOKEN FILE CONTENT-TYPE [QUERY] [COMPANY]: sets status, output.
upload() {
	local via=()
	[[ $1 == --tcp ]] && { via=(--tcp); shift; }
	api "${via[@]}" -H "Content-Type: $3" POST "/api/files/company/${5:-$CO}${4:+?$4}" "@$2" "$1"
}

# download TOKEN ID OUT [extra curl args]: sets status; headers in resp.headers.
download() {
	local tok=$1 id=$2 out=$3
	shift 3
	status=$(curl -sS -o "$out" -D "$CD_TMP/resp.headers" -w '%{http_code}' \
		--unix-socket "$CD_SOCK" -H "Authorization: Bearer $tok" "$@" \
		"http://localhost/api/files/$id/content")
}

S3_KEY=AKIDTESTCALLDOCKER
S3_SECRET='s3-Secret-Never-Logged-9f2c'

s3_start() { # NAME SECRET-THE-SERVER-EXPECTS
	local d=$CD_TMP/$1 i
	mkdir -p "$d"
	python3 "$TOP/tests/lib/s3.py" --dir "$d/objects" --bucket prompts \
		--region eu-west-1 --access-key "$S3_KEY" --secret-key "$2" \
		--port-file "$d/port" --log "$d/log" 3>&- </dev/null >/dev/null 2>&1 &
	echo $! >"$d/server.pid"	# not pid: cd_teardown takes those for daemons
	for ((i = 0; i < 100; i++)); do
		[[ -s $d/port ]] && break
		sleep 0.05
	done
	[[ -s $d/port ]]
}

s3_daemon() { # NAME S3-NAME
	daemon_start "$1" CALLDOCKER_STORAGE=s3 \
		CALLDOCKER_S3_ENDPOINT="http://127.0.0.1:$(<"$CD_TMP/$2/port")/" \
		CALLDOCKER_S3_BUCKET=prompts CALLDOCKER_S3_REGION=eu-west-1 \
		CALLDOCKER_S3_ACCESS_KEY="$S3_KEY" CALLDOCKER_S3_SECRET_KEY="$S3_SECRET" \
		CALLDOCKER_MAX_UPLOAD_BYTES=1MiB
}

setup_file() {
	cd_setup CALLDOCKER_MAX_UPLOAD_BYTES=1MiB
	CO=$(mkcompany "Files Co")
	OTHER=$(mkcompany "Other Files Co")
	mkuser "mgr@files.test" manager "$CO" >/dev/null
	mkuser "agent@files.test" agent "$CO" >/dev/null
	mkuser "mgr@otherfiles.test" manager "$OTHER" >/dev/null
	MGR=$(login mgr@files.test)
	AGENT=$(login agent@files.test)
	OMGR=$(login mgr@otherfiles.test)
	F=$CD_TMP/fixtures
	mkdir -p "$F"
	python3 - "$F" <<'EOF'
import os, sys, wave
d = sys.argv[1]
with wave.open(os.path.join(d, 'hello.wav'), 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(os.urandom(16000))
open(os.path.join(d, 'hello.mp3'), 'wb').write(b'ID3\x04\x00\x00\x00\x00\x00\x00' + os.urandom(3000))
open(os.path.join(d, 'frame.mp3'), 'wb').write(b'\xff\xfb\x90\x64' + os.urandom(2000))
open(os.path.join(d, 'hello.ogg'), 'wb').write(b'OggS\x00\x02' + os.urandom(3000))
open(os.path.join(d, 'notes.txt'), 'wb').write(b'just some text, not audio\n' * 10)
open(os.path.join(d, 'image.png'), 'wb').write(b'\x89PNG\r\n\x1a\n' + os.urandom(500))
with wave.open(os.path.join(d, 'big.wav'), 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(os.urandom(1200000))
with wave.open(os.path.join(d, 'medium.wav'), 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(os.urandom(300000))
EOF
	export CO OTHER MGR AGENT OMGR F
}

teardown_file() {
	local p
	for p in "$CD_TMP"/s3*/server.pid; do
		[[ -f $p ]] && kill "$(<"$p")" 2>/dev/null
	done
	cd_teardown
}

@test "upload a WAV prompt: 201, Location, ETag, metadata with size and sha256" {
	upload "$MGR" "$F/hello.wav" audio/wav "name=Welcome%20greeting"
	assert_status 201
	id=$(jget .id)
	assert_json .company_id "$CO"
	assert_json .kind prompt
	assert_json .name "Welcome greeting"
	assert_json .content_type audio/wav
	assert_json .size "$(stat -c %s "$F/hello.wav")"
	assert_json .sha256 "$(sha256sum "$F/hello.wav" | cut -d' ' -f1)"
	assert_json .content_url "/api/files/$id/content"
	[[ $(header location) == "/api/files/$id" ]]
	[[ $(header etag) == "\"$(sha256sum "$F/hello.wav" | cut -d' ' -f1)\"" ]]
	api GET "/api/files/$id" "" "$AGENT"
	assert_status 200
	assert_json .name "Welcome greeting"
	assert_json .created_by "$(jget .id "$(api GET /api/auth/profile "" "$MGR")")"
}

@test "download is byte-identical with Content-Type, Content-Length and ETag; If-None-Match is 304" {
	upload "$MGR" "$F/hello.wav" audio/x-wav
	assert_status 201
	id=$(jget .id)
	download "$AGENT" "$id" "$CD_TMP/got.wav"
	[[ $status == 200 ]]
	cmp "$F/hello.wav" "$CD_TMP/got.wav"
	[[ $(header content-type) == audio/wav ]]
	[[ $(header content-length) == "$(stat -c %s "$F/hello.wav")" ]]
	etag=$(header etag)
	[[ $etag == "\"$(sha256sum "$F/hello.wav" | cut -d' ' -f1)\"" ]]
	download "$AGENT" "$id" "$CD_TMP/again.wav" -H "If-None-Match: $etag"
	[[ $status == 304 ]]
	[[ ! -s $CD_TMP/again.wav ]]
	download "$AGENT" "$id" "$CD_TMP/again.wav" -H 'If-None-Match: "other"'
	[[ $status == 200 ]]
	cmp "$F/hello.wav" "$CD_TMP/again.wav"
}

@test "MPEG, Ogg recordings; list with kind filter and pagination" {
	upload "$MGR" "$F/hello.mp3" audio/mpeg kind=recording
	assert_status 201
	assert_json .content_type audio/mpeg
	assert_json .kind recording
	rec=$(jget .id)
	upload "$MGR" "$F/frame.mp3" audio/mp3 kind=recording
	assert_status 201
	assert_json .content_type audio/mpeg
	upload "$MGR" "$F/hello.ogg" 'audio/ogg; codecs=opus'
	assert_status 201
	assert_json .content_type audio/ogg
	api GET "/api/files/company/$CO?kind=recording" "" "$AGENT"
	assert_status 200
	[[ $(jget '[.items[].kind] | unique | join(",")') == recording ]]
	[[ $(jget '.items | length') == 2 ]]
	[[ $(jget "[.items[].id] | index(\"$rec\")") != null ]]
	api GET "/api/files/company/$CO?limit=2" "" "$AGENT"
	[[ $(jget '.items | length') == 2 ]]
	cur=$(jget .next_cursor)
	[[ $cur != null ]]
	api GET "/api/files/company/$CO?limit=2&cursor=$cur" "" "$AGENT"
	assert_status 200
	[[ $(jget '.items | length') -ge 1 ]]
	api GET "/api/files/company/$CO?kind=video" "" "$AGENT"
	assert_problem 422 validation_failed
}

@test "wrong types are 415: declared type not audio, content not what it claims" {
	upload "$MGR" "$F/notes.txt" text/plain
	assert_problem 415 unsupported_media_type
	upload "$MGR" "$F/notes.txt" audio/wav
	assert_problem 415 unsupported_media_type
	upload "$MGR" "$F/image.png" audio/mpeg
	assert_problem 415 unsupported_media_type
	upload "$MGR" "$F/hello.mp3" audio/wav
	assert_problem 415 unsupported_media_type
	upload "$MGR" "$F/hello.wav" application/octet-stream
	assert_problem 415 unsupported_media_type
	upload "$MGR" "$F/hello.wav" audio/wav kind=voicemail
	assert_problem 422 validation_failed
	[[ $(sql "SELECT count(*) FROM files WHERE content_type NOT LIKE 'audio/%'") == 0 ]]
}

@test "too large is 413, and refused before the body is read" {
	upload "$MGR" "$F/big.wav" audio/wav
	assert_problem 413 payload_too_large
	[[ $(jget .detail) == *1048576* ]]
	# Headers alone announcing 50 MB get their answer: nothing is read first.
	run python3 - "$CD_SOCK" "$MGR" "$CO" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(('POST /api/files/company/%s HTTP/1.1\r\nHost: x\r\n'
           'Authorization: Bearer %s\r\nContent-Type: audio/wav\r\n'
           'Content-Length: 52428800\r\n\r\n' % (sys.argv[3], sys.argv[2])).encode())
print(s.recv(4096).decode().split('\r\n')[0])
PY
	[[ $output == "HTTP/1.1 413"* ]]
	# Anonymous and agent uploads are refused before the body is taken.
	upload --tcp "" "$F/big.wav" audio/wav
	assert_problem 401 unauthorized
	upload --tcp "$AGENT" "$F/hello.wav" audio/wav
	assert_problem 403 forbidden
}

@test "other companies' files are 404; agents read but cannot upload or delete" {
	upload "$MGR" "$F/hello.wav" audio/wav
	id=$(jget .id)
	api GET "/api/files/$id" "" "$OMGR"
	assert_problem 404 not_found
	download "$OMGR" "$id" "$CD_TMP/x"
	[[ $status == 404 ]]
	api DELETE "/api/files/$id" "" "$OMGR"
	assert_problem 404 not_found
	api GET "/api/files/company/$CO" "" "$OMGR"
	assert_problem 404 not_found
	upload "$OMGR" "$F/hello.wav" audio/wav
	assert_problem 404 not_found
	upload "$AGENT" "$F/hello.wav" audio/wav
	assert_problem 403 forbidden
	api DELETE "/api/files/$id" "" "$AGENT"
	assert_problem 403 forbidden
	api GET "/api/files/$id" "" "$MGR"
	assert_status 200
	# An admin naming no real company: 404, and the stored content is removed.
	n=$(ls "$CD_DIR/data/files" | wc -l)
	api -H "Content-Type: audio/wav" POST /api/files/company/00000000-0000-4000-8000-000000000000 "@$F/hello.wav"
	assert_problem 404 not_found
	[[ $(ls "$CD_DIR/data/files" | wc -l) == "$n" ]]
}

@test "local backend: the content is DATA/files/ID, mode 0600, no temp files left" {
	upload "$MGR" "$F/hello.wav" audio/wav
	id=$(jget .id)
	f=$CD_DIR/data/files/$id
	cmp "$F/hello.wav" "$f"
	[[ $(stat -c %a "$f") == 600 ]]
	[[ -z $(find "$CD_DIR/data/files" -name '.tmp-*') ]]
}

@test "delete: 204, then the metadata and the content are gone" {
	upload "$MGR" "$F/hello.wav" audio/wav
	id=$(jget .id)
	[[ -f $CD_DIR/data/files/$id ]]
	api DELETE "/api/files/$id" "" "$MGR"
	assert_status 204
	[[ ! -e $CD_DIR/data/files/$id ]]
	api GET "/api/files/$id" "" "$MGR"
	assert_problem 404 not_found
	download "$MGR" "$id" "$CD_TMP/x"
	[[ $status == 404 ]]
	api DELETE "/api/files/$id" "" "$MGR"
	assert_problem 404 not_found
}

@test "s3 backend: round trip through a SigV4-verifying server; secret never logged" {
	s3_start s3 "$S3_SECRET"
	s3_daemon s3d s3
	upload "$MGR" "$F/hello.wav" audio/wav kind=recording
	assert_status 201
	id=$(jget .id)
	cmp "$F/hello.wav" "$CD_TMP/s3/objects/$id"
	grep -q "^PUT /prompts/$id 200" "$CD_TMP/s3/log"
	download "$AGENT" "$id" "$CD_TMP/s3got.wav"
	[[ $status == 200 ]]
	cmp "$F/hello.wav" "$CD_TMP/s3got.wav"
	[[ $(header content-type) == audio/wav ]]
	api DELETE "/api/files/$id" "" "$MGR"
	assert_status 204
	[[ ! -e $CD_TMP/s3/objects/$id ]]
	! grep -q DENY "$CD_TMP/s3/log"
	! grep -qF "$S3_SECRET" "$CD_LOG"
	daemon_stop s3d
	daemon_use main
}

@test "s3 backend: a bad signature or a failing store leaves no row behind (503)" {
	s3_start s3bad "wrong-secret-on-the-server"
	s3_daemon s3bad_d s3bad
	before=$(sql "SELECT count(*) FROM files")
	upload "$MGR" "$F/hello.wav" audio/wav
	assert_problem 503 storage_unavailable
	[[ -n $(header retry-after) ]]
	grep -q "DENY PUT .*signature does not match" "$CD_TMP/s3bad/log"
	daemon_stop s3bad_d
	s3_start s3fail "$S3_SECRET"
	touch "$CD_TMP/s3fail/objects/.fail-put"
	s3_daemon s3fail_d s3fail
	upload "$MGR" "$F/hello.wav" audio/wav
	assert_problem 503 storage_unavailable
	[[ $(sql "SELECT count(*) FROM files") == "$before" ]]
	! grep -qF "$S3_SECRET" "$CD_TMP/s3fail_d/log" "$CD_TMP/s3bad_d/log"
	daemon_stop s3fail_d
	daemon_use main
}

@test "calldockerd --check-config refuses an incomplete s3 configuration" {
	run env CALLDOCKER_STORAGE=s3 CALLDOCKER_JWT_SECRET="$CD_SECRET" "$CD_DAEMON" --check-config
	[[ $status == 1 ]]
	[[ $output == *s3_endpoint* ]]
	run env CALLDOCKER_STORAGE=ftp CALLDOCKER_JWT_SECRET="$CD_SECRET" "$CD_DAEMON" --check-config
	[[ $status == 1 ]]
	[[ $output == *"local or s3"* ]]
	run env CALLDOCKER_STORAGE=s3 CALLDOCKER_S3_ENDPOINT=http://127.0.0.1:9/ \
		CALLDOCKER_S3_BUCKET=b CALLDOCKER_S3_ACCESS_KEY=k \
		CALLDOCKER_S3_SECRET_KEY=topsecretvalue CALLDOCKER_JWT_SECRET="$CD_SECRET" \
		"$CD_DAEMON" --check-config
	[[ $status == 0 ]]
	[[ $output != *topsecretvalue* ]]
}

@test "calldocker files upload|list|get|download|delete" {
	run --separate-stderr cli --token "$MGR" -q files upload --kind recording --name "CLI take" "$F/hello.ogg"
	assert_success
	id=$output
	[[ $id =~ ^[0-9a-f-]{36}$ ]]
	run cli --token "$AGENT" files list --kind recording
	assert_success
	assert_output --partial "CLI take"
	run cli --token "$AGENT" -o json files get "$id"
	[[ $(jq -r .content_type <<<"$output") == audio/ogg ]]
	run cli --token "$AGENT" files download "$id" -O "$CD_TMP/cli.ogg"
	assert_success
	cmp "$F/hello.ogg" "$CD_TMP/cli.ogg"
	cli --token "$AGENT" files download "$id" >"$CD_TMP/cli2.ogg"
	cmp "$F/hello.ogg" "$CD_TMP/cli2.ogg"
	run --separate-stderr cli --token "$MGR" files upload "$F/notes.txt"
	[[ $status == 2 ]]
	run --separate-stderr cli --token "$MGR" files upload --type audio/wav "$F/notes.txt"
	[[ $status == 1 ]]
	[[ $stderr == *"not audio/wav"* ]]
	run --separate-stderr cli --token "$MGR" files delete --yes "$id"
	assert_success
	run --separate-stderr cli --token "$MGR" files get "$id"
	[[ $status == 3 ]]
}

@test "Expect: 100-continue is answered for an accepted upload, not for a refused one" {
	run curl -sS -o /dev/null -D - -w '%{http_code}' --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer $MGR" -H 'Content-Type: audio/wav' \
		-H 'Expect: 100-continue' --data-binary "@$F/hello.wav" \
		"http://localhost/api/files/company/$CO"
	assert_success
	assert_line --partial "HTTP/1.1 100 Continue"
	[[ ${lines[-1]} == 201 ]]
	run curl -sS -o /dev/null -D - -w '%{http_code}' --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer $MGR" -H 'Content-Type: audio/wav' \
		-H 'Expect: 100-continue' --data-binary "@$F/big.wav" \
		"http://localhost/api/files/company/$CO"
	refute_line --partial "100 Continue"
	[[ ${lines[-1]} == 413 ]]
}

@test "a large download is streamed whole, over the socket and TCP, keep-alive intact" {
	upload "$MGR" "$F/medium.wav" audio/wav
	assert_status 201
	id=$(jget .id)
	download "$AGENT" "$id" "$CD_TMP/medium.got"
	[[ $status == 200 ]]
	cmp "$F/medium.wav" "$CD_TMP/medium.got"
	[[ $(header content-length) == "$(stat -c %s "$F/medium.wav")" ]]
	# Two downloads and a JSON request on one TCP connection.
	url=http://127.0.0.1:$CD_PORT/api/files/$id/content
	run curl -sS -H "Authorization: Bearer $AGENT" -o "$CD_TMP/m1" "$url" \
		-o "$CD_TMP/m2" "$url" -o "$CD_TMP/m3" "http://127.0.0.1:$CD_PORT/api/files/$id" \
		-w '%{http_code} %{num_connects}\n'
	assert_success
	assert_equal "${lines[*]}" "200 1 200 0 200 0"
	cmp "$F/medium.wav" "$CD_TMP/m1"
	cmp "$F/medium.wav" "$CD_TMP/m2"
	[[ $(jq -r .id "$CD_TMP/m3") == "$id" ]]
	# HEAD: the headers without the body.
	run curl -sS -I -H "Authorization: Bearer $AGENT" "$url"
	assert_line --partial "content-length: $(stat -c %s "$F/medium.wav")"
}

@test "content that is not the size recorded is cut short, never served as the file" {
	upload "$MGR" "$F/medium.wav" audio/wav
	id=$(jget .id)
	f=$CD_DIR/data/files/$id
	size=$(stat -c %s "$f")
	# Shorter on disk: the Content-Length promised is not met, the
	# connection closes, curl reports the short transfer.
	head -c $((size / 2)) "$F/medium.wav" >"$f"
	run curl -sS -o "$CD_TMP/short.got" -D "$CD_TMP/short.h" --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer $AGENT" "http://localhost/api/files/$id/content"
	assert_failure 18
	grep -qi "^content-length: $size" "$CD_TMP/short.h"
	! grep -qi "^transfer-encoding" "$CD_TMP/short.h"
	grep -q "content of $id is not the $size bytes recorded" "$CD_LOG"
	# Gone altogether: 500 before any byte, and said in the log.
	rm "$f"
	download "$AGENT" "$id" "$CD_TMP/gone.got"
	[[ $status == 500 ]]
	grep -q "content of $id is missing" "$CD_LOG"
}

@test "file changes: each one audited with who, where and what; a refused one leaves nothing" {
	audits() { sql "SELECT action FROM audit_log WHERE object_type = 'file' AND object_id = '$1' ORDER BY id" | paste -sd, -; }
	ondisk() { find "$CD_DIR/data/files" -type f | wc -l; }
	upload "$MGR" "$F/hello.wav" audio/wav "kind=recording&name=Audited"
	assert_status 201
	id=$(jget .id)
	[[ $(audits "$id") == create ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$id' AND company_id = '$CO' AND actor_id IS NOT NULL AND client_ip IS NOT NULL AND detail->>'kind' = 'recording' AND detail->>'content_type' = 'audio/wav' AND (detail->>'size')::int = $(stat -c %s "$F/hello.wav")") == 1 ]]
	# Refused: bad fields, a wrong type, another company, an agent, and a
	# company that does not exist (refused after the content was stored:
	# the content goes again).
	rows=$(sql "SELECT count(*) FROM files")
	logged=$(sql "SELECT count(*) FROM audit_log WHERE object_type = 'file'")
	files=$(ondisk)
	upload "$MGR" "$F/hello.wav" audio/wav "kind=song&name="
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | sort | join(",")' kind,name
	upload "$MGR" "$F/notes.txt" audio/wav
	assert_problem 415 unsupported_media_type
	upload "$OMGR" "$F/hello.wav" audio/wav "" "$CO"
	assert_problem 404 not_found
	upload "$AGENT" "$F/hello.wav" audio/wav
	assert_problem 403 forbidden
	upload "" "$F/hello.wav" audio/wav "" 00000000-0000-4000-8000-000000000000
	assert_problem 404 not_found
	api DELETE "/api/files/$id" "" "$OMGR"
	assert_problem 404 not_found
	[[ $(sql "SELECT count(*) FROM files") == "$rows" ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'file'") == "$logged" ]]
	[[ $(ondisk) == "$files" ]]
	api DELETE "/api/files/$id" "" "$MGR"
	assert_status 204
	[[ $(audits "$id") == create,delete ]]
	[[ $(sql "SELECT company_id FROM audit_log WHERE object_id = '$id' AND action = 'delete'") == "$CO" ]]
	[[ ! -e $CD_DIR/data/files/$id ]]
}

#!/usr/bin/env bats
# A browser agent records its call (docs/api.md, "Browser recordings"):
# headless Chromium as in t0620, the agent page takes a call from the
# caller page, records both directions as two channels (WebAudio merger,
# MediaRecorder, WebM/Opus) while the call's queue says recording on,
# uploads a piece a second to POST/PATCH /api/calls/:id/recording on its
# own origin (tests/lib/browser-call.py passes /api/ through to the
# daemon, as a reverse proxy would), hangs up after 4 seconds of talk as
# the page measures it, and completes the upload. The answer to its
# second piece is lost on the way (the daemon has the piece, the page sees
# a broken connection): the page asks the offset (HEAD) and goes on. The recording is on the
# call, the CLI downloads it, and ffmpeg decodes it: two channels, within
# a second of the talk time.

load lib/common

setup_file() {
	cd_init
	export TLS=$CD_TMP/tls
	tls_ca "$TLS"
	tls_cert "$TLS" 0x3003
	# base64(SHA-256(SubjectPublicKeyInfo)): the key Chromium is told to trust.
	SPKI=$(openssl x509 -in "$TLS/server.pem" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
	export SPKI
	daemon_start main -- --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	command -v chromedriver >/dev/null || {
		echo "chromedriver missing: scripts/deps.sh installs chromium-driver" >&2
		return 1
	}
	command -v ffprobe >/dev/null || {
		echo "ffprobe missing: scripts/deps.sh installs ffmpeg" >&2
		return 1
	}
	CO=$(mkcompany Browsers)
	mkuser boss@browser.test manager "$CO" >/dev/null
	MGR=$(login boss@browser.test)
	u=$(mkuser ann@browser.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, name: "Ann"}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "agent: $status $output" >&2; return 1; }
	AGENT=$(jget .id)
	api POST /api/queues "$(jq -nc --arg a "$AGENT" \
		'{name: "Support", wrap_up: 0, recording: "on", members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "queue: $status $output" >&2; return 1; }
	api -H 'Content-Type: application/yaml' POST /api/ivr \
		"$(<"$TOP/scripts/demo-flow.yaml")" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "ivr: $status $output" >&2; return 1; }
	flow=$(jget .id)
	api POST "/api/ivr/$flow/activate" '{"entry": true}' "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "activate: $status $output" >&2; return 1; }
	api POST "/api/companies/$CO/widget-keys" '{"name": "shop"}' "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "widget key: $status $output" >&2; return 1; }
	WKEY=$(jget .key)
	PAGES=$(free_port)
	api PUT "/api/companies/$CO/widget-origins" \
		"$(jq -nc --arg o "https://127.0.0.1:$PAGES" '{origins: [$o]}')" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "origins: $status $output" >&2; return 1; }
	export CO MGR AGENT WKEY PAGES
}
teardown_file() { cd_teardown; }

teardown_file() { cd_teardown; }

@test "the agent page records a call in two channels, uploads it in pieces, and it decodes to the talk time" {
	tok=$(login ann@browser.test)
	run --separate-stderr timeout 150 python3 "$TOP/tests/lib/browser-call.py" \
		--port "$PAGES" --ws "wss://127.0.0.1:$CD_PORT/ws" --token "$tok" \
		--widget-key "$WKEY" --digits 1 --tmp "$BATS_TEST_TMPDIR" \
		--tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" --spki "$SPKI" \
		--ca "$TLS/ca.pem" --record 4 --drop-piece 2
	[[ $status == 0 ]] || { echo "$stderr" | tail -n 40 >&2; false; }
	call=$(jq -r .call_id <<<"$output")
	talk=$(jq -r .recording.duration <<<"$output")
	rid=$(jq -r .recording.recording.id <<<"$output")
	echo "talk $talk s, $(jq -r .recording.bytes <<<"$output") bytes," \
		"$(jq -r .patches <<<"$output") pieces" >&3
	# The lost answer: the page resumed from the daemon's offset.
	(($(jq -r .recording.resumes <<<"$output") >= 1))
	[[ $(jq -r '.recording.recording.size == .recording.bytes' <<<"$output") == true ]]
	# At least the four seconds asked for, measured by the page.
	[[ $(jq -r '.recording.duration >= 4' <<<"$output") == true ]]
	[[ $(jq -r .recording.recording.channels <<<"$output") == 2 ]]
	# On the call, as the page declared it.
	api GET "/api/calls/$call" "" "$MGR"
	assert_status 200
	assert_json '.recordings | length' 1
	assert_json '.recordings[0].id' "$rid"
	assert_json '.recordings[0].source' browser
	assert_json '.recordings[0].channels' 2
	assert_json '.recordings[0].content_type' audio/webm
	assert_json '.recordings[0].duration' "$(jq -rn --argjson t "$talk" '$t | round')"
	# Downloaded with the CLI by a manager, decoded whole by ffmpeg.
	run cli calls recording "$call" -O "$CD_TMP/call.webm"
	assert_success
	ffmpeg -nostdin -v error -i "$CD_TMP/call.webm" -f wav "$CD_TMP/call.wav"
	[[ $(ffprobe -v error -select_streams a:0 -show_entries stream=channels \
		-of csv=p=0 "$CD_TMP/call.wav") == 2 ]]
	got=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$CD_TMP/call.wav")
	echo "decoded $got s" >&3
	jq -en --argjson g "$got" --argjson t "$talk" '($g - $t) | fabs < 1'
	# Both directions are in it: neither channel is silence (the fake
	# microphones beep).
	ffmpeg -nostdin -v info -i "$CD_TMP/call.wav" -af astats=measure_overall=none \
		-f null - 2>&1 | awk '/Channel: /{c=$NF} /RMS level dB/{print c, $NF}' >"$CD_TMP/rms"
	cat "$CD_TMP/rms" >&3
	[[ $(wc -l <"$CD_TMP/rms") == 2 ]]
	awk '$2 == "-inf" || $2 < -60 { exit 1 }' "$CD_TMP/rms"
	# The upload and the download are in the audit log.
	run psql -qAtX "$CD_DBURL" -c "SELECT action FROM audit_log WHERE object_id = '$rid' ORDER BY id"
	[[ $output == *upload* && $output == *download* ]]
}

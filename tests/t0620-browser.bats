#!/usr/bin/env bats
# A real browser on both ends (docs/ws.md): headless Chromium with fake
# media devices opens an agent page and a website caller page
# (tests/browser/), served on a loopback origin the company allows. The
# caller signs in with the widget key, walks the entry IVR flow (menu:
# press 1), waits in the queue, the ACD offers the call to the agent, the
# agent accepts, and the two RTCPeerConnections negotiate through
# calldockerd's signaling until getStats() shows audio received on both
# sides. A second call adds a camera track mid-call (renegotiation) and
# the agent decodes video frames; the call's record shows the media used.
# Driven by tests/lib/browser-call.py through Debian's chromedriver.
#
# All of it over TLS, as a real deployment must (browsers grant microphone
# and camera only to secure origins): the daemon speaks https:// and wss://
# with a certificate from a test CA, the pages are served over https:// with
# the same certificate, and Chromium trusts exactly that certificate's
# public key (--ignore-certificate-errors-spki-list; certificate checks
# stay on, unlike --ignore-certificate-errors).

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
	CO=$(mkcompany Browsers)
	mkuser boss@browser.test manager "$CO" >/dev/null
	MGR=$(login boss@browser.test)
	u=$(mkuser ann@browser.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$u" '{user_id: $u, name: "Ann"}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "agent: $status $output" >&2; return 1; }
	AGENT=$(jget .id)
	api POST /api/queues "$(jq -nc --arg a "$AGENT" \
		'{name: "Support", wrap_up: 0, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
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

# browser_call [--video]: one call through the browser; its summary in $output.
browser_call() {
	local tok
	tok=$(login ann@browser.test)
	run --separate-stderr timeout 150 python3 "$TOP/tests/lib/browser-call.py" \
		--port "$PAGES" --ws "wss://127.0.0.1:$CD_PORT/ws" --token "$tok" \
		--widget-key "$WKEY" --digits 1 --tmp "$BATS_TEST_TMPDIR" \
		--tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" --spki "$SPKI" "$@"
	[[ $status == 0 ]] || { echo "$stderr" | tail -n 40 >&2; return 1; }
}

@test "a caller's browser reaches an agent's through the IVR and the queue; audio flows both ways" {
	browser_call
	call=$(jq -r .call_id <<<"$output")
	# A secure origin over https://, with wss:// to the daemon.
	[[ $(jq -r .agent_page <<<"$output") == 'https: true' ]]
	[[ $(jq -r .audio.agent.pc <<<"$output") == connected ]]
	[[ $(jq -r .audio.caller.pc <<<"$output") == connected ]]
	(($(jq -r .audio.agent.audio_bytes <<<"$output") > 0))
	(($(jq -r .audio.caller.audio_bytes <<<"$output") > 0))
	# The caller page went through the menu and the queue.
	jq -e '.audio.caller.log | index("ivr.prompt") and index("call.connected")' <<<"$output"
	# The daemon's record: the call walked the IVR and the agent took it.
	api GET "/api/calls/$call" "" "$MGR"
	assert_status 200
	assert_json .agent_id "$AGENT"
	assert_json '.media_used | index("voice") != null' true
	jq -e '[.events[].type] | index("ivr.node") != null' <<<"$output"
	# The browser closed both pages: the call's talk is over, and the agent
	# wraps it up.
	wait_for 10 eval "api GET /api/calls/$call '' '$MGR' >/dev/null; [[ \$(jget .state) == wrap_up ]]"
	api POST "/api/calls/$call/wrap" '{"disposition": "resolved"}' "$(login ann@browser.test)"
	assert_status 200
	assert_json .state completed
}

@test "a video track added mid-call is renegotiated through the daemon and decoded by the agent" {
	browser_call --video
	call=$(jq -r .call_id <<<"$output")
	(($(jq -r .video.agent.video_frames <<<"$output") > 0))
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '.media_used | sort | join(",")' video,voice
}

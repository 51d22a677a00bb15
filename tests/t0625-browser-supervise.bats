#!/usr/bin/env bats
# Supervising a browser call in a real browser (docs/ws.md, "Supervising a
# browser call"): headless Chromium opens an agent page, a supervisor page
# (a manager subscribed to calls) and a website caller page
# (tests/browser/), over TLS as t0620 does. Each page's microphone is an
# oscillator of its own frequency (caller 440 Hz, agent 650 Hz, supervisor
# 1130 Hz) and each page measures what it hears (WebAudio AnalyserNode).
# The caller reaches the agent; the supervisor is made the call's
# supervisor with POST /api/calls/:id/supervise; her page and the agent's
# negotiate a second peer connection through calldockerd's supervise.*
# messages, and the agent's page mixes. Monitor: the supervisor hears the
# caller and the agent, nobody hears her. Whisper: the agent hears her,
# the caller does not. Barge: the caller too. Off: nobody, and the call
# goes on. Driven by tests/lib/browser-supervise.py, which polls the
# pages for each condition (bounded) and prints what each heard.

load lib/common

setup_file() {
	cd_init
	export TLS=$CD_TMP/tls
	tls_ca "$TLS"
	tls_cert "$TLS" 0x3004
	SPKI=$(openssl x509 -in "$TLS/server.pem" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
	export SPKI
	daemon_start main -- --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	command -v chromedriver >/dev/null || {
		echo "chromedriver missing: scripts/deps.sh installs chromium-driver" >&2
		return 1
	}
	CO=$(mkcompany Supervised)
	mkuser boss@super.test manager "$CO" >/dev/null
	MGR=$(login boss@super.test)
	u=$(mkuser ann@super.test agent "$CO")
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

@test "monitor, whisper and barge are each heard by the right parties only; off leaves the call to its two parties" {
	run --separate-stderr timeout 240 python3 "$TOP/tests/lib/browser-supervise.py" \
		--port "$PAGES" --ws "wss://127.0.0.1:$CD_PORT/ws" --sock "$CD_SOCK" \
		--token "$(login ann@super.test)" --super-token "$(login boss@super.test)" \
		--widget-key "$WKEY" --digits 1 --tmp "$BATS_TEST_TMPDIR" \
		--tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" --spki "$SPKI"
	[[ $status == 0 ]] || { echo "$stderr" | tail -n 80 >&2; false; }
	echo "$output" | jq -c '.steps | del(.monitor_op, .off_op)' >&2
	call=$(jq -r .call_id <<<"$output")
	# What each heard (dBFS at its tone; -50 is the line): the supervisor
	# the caller and the agent from monitor on; the agent the supervisor
	# from whisper on, the caller from barge on; nobody after off.
	h() { jq -r ".steps.$1.$2[\"$3\"]" <<<"$output"; }
	above() { awk -v v="$1" 'BEGIN { exit !(v > -50) }'; }
	above "$(h monitor supervisor 440)"
	above "$(h monitor supervisor 650)"
	above "$(h whisper agent 1130)"
	above "$(h barge caller 1130)"
	! above "$(h off caller 1130)"
	! above "$(h off agent 1130)"
	above "$(h off caller 650)"
	# One peer connection for all three modes: no renegotiation.
	[[ $(jq -r .offers <<<"$output") == 1 ]]
	# The daemon's record: the call was supervised, and is no longer.
	[[ $(jq -r .steps.monitor_op.supervision.mode <<<"$output") == monitor ]]
	[[ $(jq -r .steps.monitor_op.supervision.via <<<"$output") == browser ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_status 200
	jq -e '[.events[].type] | index("call.supervised") != null' <<<"$output"
}

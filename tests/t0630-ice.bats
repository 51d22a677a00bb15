#!/usr/bin/env bats
# GET /api/webrtc/ice-servers (docs/api.md): the configured STUN servers and
# TURN credentials in coturn's use-auth-secret (TURN REST) scheme. The
# expected credential is computed here with openssl, independently of the
# daemon.

load lib/common

SECRET=Coturn-Shared-Secret-4f9a1c7e
TTL=3600

setup_file() {
	cd_init
	export PW=Ice-Servers-Pass-1
	daemon_start none
	daemon_start stunonly CALLDOCKER_STUN_URLS="stun:stun1.example.test:3478"
	daemon_start main \
		CALLDOCKER_STUN_URLS="stun:stun1.example.test:3478, stun:stun2.example.test" \
		CALLDOCKER_TURN_URLS="turn:turn.example.test:3478?transport=udp turns:turn.example.test:5349?transport=tcp" \
		CALLDOCKER_TURN_SECRET="$SECRET" CALLDOCKER_TURN_TTL=$TTL
	CO=$(mkcompany)
	MGR_ID=$(mkuser "$(uniq_email mgr)" manager "$CO")
	AGENT_EMAIL=$(uniq_email agent)
	AGENT_ID=$(mkuser "$AGENT_EMAIL" agent "$CO")
	MGR=$(login "$(api GET "/api/users/$MGR_ID" >/dev/null; jget .email)")
	AGENT=$(login "$AGENT_EMAIL")
	export CO MGR_ID AGENT_ID MGR AGENT
}
teardown_file() { cd_teardown; }

setup() { daemon_use main; }

# base64(HMAC-SHA1(secret, username)), as coturn computes it.
turn_credential() { # SECRET USERNAME
	printf '%s' "$2" | openssl dgst -sha1 -hmac "$1" -binary | base64
}

@test "without a token it is 401 on TCP" {
	api_tcp GET /api/webrtc/ice-servers
	assert_problem 401 unauthorized
	api_tcp GET /api/webrtc/ice-servers "" not-a-token
	assert_problem 401 unauthorized
}

@test "an agent gets the STUN servers and a TURN credential coturn accepts" {
	before=$(date +%s)
	api_tcp GET /api/webrtc/ice-servers "" "$AGENT"
	after=$(date +%s)
	assert_status 200
	[[ $(header content-type) == application/json* ]]
	assert_json '.iceServers | length' 2
	assert_json '.iceServers[0].urls | join(" ")' \
		"stun:stun1.example.test:3478 stun:stun2.example.test"
	assert_json '.iceServers[0] | keys | join(",")' urls
	assert_json '.iceServers[1].urls | join(" ")' \
		"turn:turn.example.test:3478?transport=udp turns:turn.example.test:5349?transport=tcp"
	assert_json .ttl $TTL
	user=$(jget '.iceServers[1].username')
	cred=$(jget '.iceServers[1].credential')
	# EXPIRY:USER_ID, EXPIRY = now + ttl
	[[ ${user#*:} == "$AGENT_ID" ]] || { echo "username $user" >&2; false; }
	exp=${user%%:*}
	[[ $exp =~ ^[0-9]+$ ]]
	((exp >= before + TTL && exp <= after + TTL)) ||
		{ echo "expiry $exp not within now+$TTL ($before..$after)" >&2; false; }
	[[ $cred == "$(turn_credential "$SECRET" "$user")" ]] ||
		{ echo "credential $cred, expected $(turn_credential "$SECRET" "$user")" >&2; false; }
}

@test "each user gets a credential for its own id; a wrong secret would not match" {
	api_tcp GET /api/webrtc/ice-servers "" "$MGR"
	assert_status 200
	user=$(jget '.iceServers[1].username')
	cred=$(jget '.iceServers[1].credential')
	[[ ${user#*:} == "$MGR_ID" ]]
	[[ $cred == "$(turn_credential "$SECRET" "$user")" ]]
	[[ $cred != "$(turn_credential "${SECRET}x" "$user")" ]]
	[[ $cred != "$(turn_credential "$SECRET" "${user%%:*}:$AGENT_ID")" ]]
}

@test "the Unix socket's local admin gets a credential for \"local\"" {
	api GET /api/webrtc/ice-servers
	assert_status 200
	user=$(jget '.iceServers[1].username')
	[[ ${user#*:} == local ]]
	[[ $(jget '.iceServers[1].credential') == "$(turn_credential "$SECRET" "$user")" ]]
}

@test "the TURN secret is neither returned nor logged" {
	api_tcp GET /api/webrtc/ice-servers "" "$AGENT"
	assert_status 200
	[[ $output != *"$SECRET"* ]]
	# (the test harness itself notes the daemon's environment)
	! grep -v '^== start' "$CD_LOG" | grep -qF "$SECRET"
}

@test "with STUN only there is no TURN entry and no credential" {
	daemon_use stunonly
	api_tcp GET /api/webrtc/ice-servers "" "$AGENT"
	assert_status 200
	assert_json '.iceServers | length' 1
	assert_json '.iceServers[0].urls | join(" ")' stun:stun1.example.test:3478
	assert_json '[.. | objects | select(has("credential") or has("username"))] | length' 0
	assert_json .ttl 86400
}

@test "with nothing configured the list is empty" {
	daemon_use none
	api_tcp GET /api/webrtc/ice-servers "" "$MGR"
	assert_status 200
	assert_json '.iceServers | length' 0
	assert_json .ttl 86400
}

@test "only GET is allowed" {
	api_tcp POST /api/webrtc/ice-servers '{}' "$MGR"
	assert_problem 405 method_not_allowed
}

@test "--check-config refuses TURN without a secret, a short secret and bad URLs" {
	d=$CD_TMP/ccdata
	run env CALLDOCKER_TURN_URLS=turn:turn.example.test "$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *"turn_urls needs a turn_secret"* ]] || { echo "$output" >&2; false; }
	run env CALLDOCKER_TURN_URLS=turn:turn.example.test CALLDOCKER_TURN_SECRET=short-one \
		"$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *"at least 16 bytes"* && $output != *short-one* ]] ||
		{ echo "$output" >&2; false; }
	run env CALLDOCKER_STUN_URLS="stun:ok.example.test,http://stun.example.test" \
		"$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *'"http://stun.example.test" in stun_urls is not a stun: or stuns: URL'* ]] ||
		{ echo "$output" >&2; false; }
	run env CALLDOCKER_TURN_URLS=stun:x.example.test CALLDOCKER_TURN_SECRET="$SECRET" \
		"$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *"not a turn: or turns: URL"* ]] || { echo "$output" >&2; false; }
	run env CALLDOCKER_STUN_URLS="stun:" "$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *"has no host"* ]] || { echo "$output" >&2; false; }
	run env CALLDOCKER_TURN_TTL=10 "$CD_DAEMON" --check-config --data-dir "$d"
	[[ $status == 1 && $output == *turn_ttl* ]] || { echo "$output" >&2; false; }
}

@test "--check-config accepts STUN and TURN from the file and keeps the secret out of errors" {
	d=$CD_TMP/ccdata
	cat >"$CD_TMP/ice.yaml" <<-YAML
	stun_urls: "stun:stun.example.test:3478 stuns:stun.example.test:5349"
	turn_urls: turn:turn.example.test:3478
	turn_secret: $SECRET
	turn_ttl: 600
	YAML
	chmod 600 "$CD_TMP/ice.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/ice.yaml" --data-dir "$d"
	[[ $status == 0 ]] || { echo "$output" >&2; false; }
	run "$CD_DAEMON" --check-config --config "$CD_TMP/ice.yaml" --data-dir "$d" --set turn_ttl=1
	[[ $status == 1 && $output != *"$SECRET"* ]] || { echo "$output" >&2; false; }
}

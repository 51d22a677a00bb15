#!/usr/bin/env bats
# Hardening of the HTTP front: every malformed request is answered with
# problem+json, refused bodies are drained so their answer is read, each
# phase of a request has a timeout, descriptors and per-address connections
# are bounded.

load lib/common

setup_file() {
	cd_setup
	mkuser rel@reliability.test admin >/dev/null
	TOKEN=$(login rel@reliability.test)
	export TOKEN
}
teardown_file() { cd_teardown; }

# raw [ARGS...] REQUEST: send raw bytes to the current daemon's TCP port;
# sets output to rawhttp.py's JSON.
raw() {
	output=$(python3 "$TOP/tests/lib/rawhttp.py" send --port "$CD_PORT" "$@")
}

# expect_raw STATUS CODE: the last raw answer, closed afterwards.
expect_raw() {
	local got
	got=$(jq -r '"\(.status) \(.code) \(.content_type) \(.closed)"' <<<"$output")
	[[ $got == "$1 $2 application/problem+json true" ]] ||
		{ echo "expected $1 $2 (problem+json, closed), got: $output" >&2; return 1; }
}

H='Host: x\r\nAuthorization: Bearer '

@test "malformed request lines and targets are 400 problem+json, then closed" {
	for req in \
		'GET /health?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /he%4 HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /health\x01 HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET health HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /health\r\n\r\n' \
		'GET  /health HTTP/1.1\r\nHost: x\r\n\r\n' \
		'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n' \
		'GET /health HTTP/1.1\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost: x\r\nX-A\x00: 1\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost : x\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost x\r\n\r\n' \
		'GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'; do
		raw "$req"
		expect_raw 400 bad_request || { echo "request: $req" >&2; false; }
	done
}

@test "an encoded NUL, slash or dot-segment never reaches another route" {
	for path in /api/users/%00 /api/users%2F /api/users/%2f.. /api/users/x%00y \
		/api/users/.. /api/users/%2e%2E /api/companies/../users \
		/api/companies/./ '/api/users?x=%00'; do
		raw "GET $path HTTP/1.1\r\n$H$TOKEN\r\n\r\n"
		expect_raw 400 bad_request || { echo "path: $path" >&2; false; }
	done
	# The Unix socket too, where the caller is the local admin.
	raw --unix "$CD_SOCK" 'GET /api/users/%00 HTTP/1.1\r\nHost: x\r\n\r\n'
	expect_raw 400 bad_request
	# What they are not: the list of users.
	raw "GET /api/users HTTP/1.1\r\n$H$TOKEN\r\nConnection: close\r\n\r\n"
	[[ $(jq -r .status <<<"$output") == 200 ]] || { echo "$output" >&2; false; }
}

@test "a 100 KB query is 414, header fields over 16 KiB or over 50 are 431" {
	raw 'GET /health?x={a*100000} HTTP/1.1\r\nHost: x\r\n\r\n'
	expect_raw 414 uri_too_long
	raw 'GET /health?{&*40} HTTP/1.1\r\nHost: x\r\n\r\n'
	expect_raw 414 uri_too_long
	raw 'GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {b*17000}\r\n\r\n'
	expect_raw 431 header_fields_too_large
	raw "GET /health HTTP/1.1\r\nHost: x\r\n$(for i in $(seq 51); do printf 'X-%d: y\\r\\n' "$i"; done)\r\n"
	expect_raw 431 header_fields_too_large
	# Under the limits, all is well.
	raw 'GET /health?x={a*7000} HTTP/1.1\r\nHost: x\r\nX-Big: {b*15000}\r\nConnection: close\r\n\r\n'
	[[ $(jq -r .status <<<"$output") == 200 ]] || { echo "$output" >&2; false; }
}

@test "CONNECT, TRACE and unknown methods are 501 at once; HTTP/2.0 is 505" {
	for m in CONNECT TRACE PROPFIND get; do
		raw --timeout 3 "$m /health HTTP/1.1\r\nHost: x\r\n\r\n"
		expect_raw 501 not_implemented || { echo "method $m" >&2; false; }
	done
	raw --timeout 3 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'
	expect_raw 501 not_implemented
	raw 'GET /health HTTP/2.0\r\nHost: x\r\n\r\n'
	expect_raw 505 http_version_not_supported
}

@test "a header folded onto the next line (obs-fold) is 400" {
	raw 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'
	expect_raw 400 bad_request
	[[ $output == *obs-fold* ]]
	raw 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n'
	expect_raw 400 bad_request
}

@test "bad framing is 400: two Content-Lengths, a non-number, Content-Length with Transfer-Encoding" {
	for fr in 'Content-Length: 2\r\nContent-Length: 3' 'Content-Length: 0x2' \
		'Content-Length: -1' 'Content-Length: 2\r\nTransfer-Encoding: chunked'; do
		raw "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n$fr\r\n\r\n{}"
		expect_raw 400 bad_request || { echo "framing: $fr" >&2; false; }
	done
}

@test "a bad request behind good ones in one send is answered after them" {
	run python3 - "$CD_PORT" <<'PY'
import re, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /api/users/%00 HTTP/1.1\r\nHost: x\r\n\r\n")
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
print(" ".join(re.findall(r"HTTP/1\.1 (\d{3}) ", buf.decode("latin-1"))))
PY
	assert_output "200 400"
	# Behind one that goes to a worker, in a second send, and long.
	run python3 - "$CD_PORT" <<'PY'
import re, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
s.sendall(b"GET /health?x=" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
print(" ".join(re.findall(r"HTTP/1\.1 (\d{3}) ", buf.decode("latin-1"))))
PY
	assert_output "200 414"
}

@test "refused bodies are drained: the answer is read, never a reset" {
	co=00000000-0000-4000-8000-000000000001
	for i in 1 2 3; do
		for req in \
			"POST /api/files/company/$co HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 921600\r\n\r\n" \
			'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n'; do
			run python3 "$TOP/tests/lib/rawhttp.py" early --port "$CD_PORT" \
				--body-bytes 921600 "$req"
			[[ $(jq -r '"\(.status) \(.send_error) \(.reset)"' <<<"$output") == [0-9]*" null false" ]] ||
				{ echo "$req: $output" >&2; false; }
		done
	done
	# And with curl, which gives up on a failed send without reading.
	head -c 921600 /dev/zero >"$CD_TMP/900k"
	for i in 1 2 3; do
		api_tcp -H 'Content-Type: audio/wav' POST "/api/files/company/$co" "@$CD_TMP/900k" >/dev/null
		assert_problem 401 unauthorized
	done
}

# A daemon with short timeouts; the product waits on purpose, so each test
# waits longer than the limit and checks the answer came no sooner.
start_slow() {
	[[ -f $CD_TMP/slow/pid ]] || daemon_start slow CALLDOCKER_HTTP_HEADER_TIMEOUT=2 \
		CALLDOCKER_HTTP_BODY_TIMEOUT=2 CALLDOCKER_HTTP_BODY_MIN_RATE=50000 \
		CALLDOCKER_HTTP_KEEPALIVE_TIMEOUT=2 CALLDOCKER_WS_AUTH_TIMEOUT=1
	daemon_use slow
}

# elapsed_within MIN MAX: rawhttp's elapsed time of the last answer.
elapsed_within() {
	jq -e --argjson lo "$1" --argjson hi "$2" '.elapsed >= $lo and .elapsed <= $hi' \
		<<<"$output" >/dev/null || { echo "elapsed not in [$1, $2]: $output" >&2; return 1; }
}

@test "a body below the minimum rate is cut off with 408 after its limit" {
	start_slow
	# 100,000 bytes a byte a second: 2 s + 100000 / 50000 s = 4 s.
	raw --timeout 20 --trickle 1 --body-bytes 100000 \
		'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n'
	expect_raw 408 request_timeout
	elapsed_within 3.5 15
	# A body that stops altogether: 2 s without a byte.
	raw --timeout 20 \
		'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a"'
	expect_raw 408 request_timeout
	elapsed_within 1.5 15
}

@test "a head that stops half-way is 408 after http_header_timeout" {
	start_slow
	raw --timeout 20 'GET /health HTTP/1.1\r\nHost: x\r\n'
	expect_raw 408 request_timeout
	elapsed_within 1.5 15
	raw --timeout 20 'GET /hea'
	expect_raw 408 request_timeout
}

@test "idle connections are closed: silent new ones, keep-alive after http_keepalive_timeout" {
	start_slow
	raw --timeout 20 --until-close ''
	[[ $(jq -r '"\(.status) \(.closed)"' <<<"$output") == "null true" ]] || { echo "$output" >&2; false; }
	elapsed_within 1.5 15
	raw --timeout 20 --until-close 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'
	[[ $(jq -r '"\(.status) \(.closed)"' <<<"$output") == "200 true" ]] || { echo "$output" >&2; false; }
	elapsed_within 1.5 15
}

@test "a WebSocket that does not authenticate within ws_auth_timeout is closed 4001" {
	start_slow
	python3 "$TOP/tests/lib/ws.py" listen "$CD_PORT" --out "$CD_TMP/noauth" --seconds 8
	jq -e 'select(.close == 4001 and .reason == "auth timeout")' "$CD_TMP/noauth" >/dev/null ||
		{ cat "$CD_TMP/noauth" >&2; false; }
	daemon_use main
}

# start_lowfd NAME [VAR=VALUE...]: a daemon under "ulimit -n 1024".
start_lowfd() {
	local name=$1
	shift
	printf '#!/bin/bash\nulimit -n 1024\nexec %q "$@"\n' "$CD_DAEMON" >"$CD_TMP/lowfd.sh"
	chmod +x "$CD_TMP/lowfd.sh"
	CD_DAEMON=$CD_TMP/lowfd.sh daemon_start "$name" "$@"
}

# cpu_ticks: user + system CPU of the current daemon, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$CD_PID/stat"
}

# flood SECONDS: 1,500 idle sockets from 127.0.0.1 while /health is asked
# from 127.0.0.2 and on the Unix socket; fails if one of those is not 200,
# if the daemon used over 40% of a core or logged more than 10 accept lines.
flood() {
	local t0 t1 i code lines hold
	t0=$(cpu_ticks)
	python3 "$TOP/tests/lib/rawhttp.py" hold --port "$CD_PORT" --count 1500 \
		--seconds "$1" >"$CD_TMP/hold.json" 3>&- &
	hold=$!
	for ((i = 0; i < $1 * 2; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			--interface 127.0.0.2 "http://127.0.0.1:$CD_PORT/health") || true
		[[ $code == 200 ]] || { echo "TCP /health from 127.0.0.2: $code" >&2; wait $hold; return 1; }
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			--unix-socket "$CD_SOCK" http://localhost/health) || true
		[[ $code == 200 ]] || { echo "unix /health: $code" >&2; wait $hold; return 1; }
		sleep 0.5
	done
	wait $hold
	t1=$(cpu_ticks)
	lines=$(grep -c 'accept' "$CD_LOG" || true)
	echo "hold: $(<"$CD_TMP/hold.json"); cpu ticks: $((t1 - t0)); accept lines: $lines" >&2
	((t1 - t0 < $1 * 100 * 40 / 100)) || { echo "the daemon used too much CPU" >&2; return 1; }
	((lines <= 10)) || { grep accept "$CD_LOG" | tail -5 >&2; return 1; }
}

@test "1,500 sockets from one address under ulimit -n 1024: capped at 256, 429 beyond, others served" {
	start_lowfd capped
	flood 4
	jq -e '.statuses["429"] >= 1200 and .failed == 0' "$CD_TMP/hold.json" >/dev/null ||
		{ cat "$CD_TMP/hold.json" >&2; false; }
	grep -q 'connections from 127.0.0.1; refusing more' "$CD_LOG"
}

@test "with no cap, running out of descriptors stops accepting without spinning" {
	start_lowfd uncapped CALLDOCKER_MAX_CONNECTIONS_PER_ADDRESS=0
	# The Unix socket keeps a little room beyond the limit; TCP waits.
	t0=$(cpu_ticks)
	python3 "$TOP/tests/lib/rawhttp.py" hold --port "$CD_PORT" --count 1500 \
		--seconds 4 >"$CD_TMP/hold.json" 3>&- &
	hold=$!
	wait_for 10 grep -q 'the limit; not accepting until one closes' "$CD_LOG"
	for i in 1 2 3 4; do
		api GET /health
		assert_status 200
		sleep 0.5
	done
	wait $hold
	t1=$(cpu_ticks)
	((t1 - t0 < 200)) || { echo "cpu ticks: $((t1 - t0))" >&2; false; }
	(($(grep -c 'accept' "$CD_LOG") <= 10))
	# Once the sockets are gone, TCP is served again.
	wait_for 15 curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$CD_PORT/health"
}

@test "a webhook to localhost with a trailing dot is refused at create" {
	co=$(mkcompany)
	for u in http://localhost.:9/ http://LOCALHOST./x http://a.localhost.:80/ \
		http://localhost../ http://127.0.0.1.:9/; do
		api POST "/api/webhooks/company/$co" "$(jq -nc --arg u "$u" '{url: $u, events: ["*"]}')"
		assert_problem 422 validation_failed || { echo "url: $u" >&2; false; }
		assert_output --partial outbound_allow_private
	done
}

@test "the daemon keeps serving after all of the above" {
	api_tcp GET /health
	assert_status 200
	api GET /ready
	assert_status 200
}

#!/usr/bin/env bats
# libwebsockets 4.1.6 spins forever on a request with a body that follows
# another request in the same read, or anything read behind a body before
# its answer (PITFALLS.md). The batches below go out in ONE send, or in
# several without waiting for answers; the connection must be answered or
# closed cleanly, quickly, and other clients must be served meanwhile and
# afterwards. A client that waits for each answer keeps its connection,
# bodies or not.

load lib/common

setup_file() { cd_setup; }
teardown_file() { cd_teardown; }

LOGIN='POST /api/auth/login {"email":"nobody@pipe.test","password":"Not-The-Password-1"}'
REFRESH='POST /api/auth/refresh {"refresh_token":"no-such-refresh-token"}'
CREATE='POST /api/calls {"queue_id":"no-such-queue"}'

# pipe [--each|--gap S] [--split] REQ... : run the batch (tests/lib/pipeline.py),
# leave the JSON result in $output.
pipe() {
	run python3 "$TOP/tests/lib/pipeline.py" 127.0.0.1 "$CD_PORT" --timeout 5 "$@"
	echo "result: $output"
	[[ $status == 0 ]]
}

# The batch ended cleanly: all answered, or EOF with whole answers only.
# EXPECTED lists the statuses in order, alternatives with "|": a request
# with a body that was pipelined behind another may be refused with 400.
assert_clean() {
	local expected=$1
	jq -e '.timed_out == false' <<<"$output" >/dev/null ||
		{ echo "connection hung: neither all answers nor EOF within 5 s" >&2; return 1; }
	jq -e '.partial == false' <<<"$output" >/dev/null ||
		{ echo "a response was cut off" >&2; return 1; }
	jq -e '.elapsed < 5' <<<"$output" >/dev/null
	local got i
	got=$(jq -r '.statuses | join(",")' <<<"$output")
	local -a want=(${expected//,/ }) have=(${got//,/ })
	((${#have[@]} <= ${#want[@]})) || { echo "more answers ($got) than requests" >&2; return 1; }
	for i in "${!have[@]}"; do
		[[ "|${want[i]}|" == *"|${have[i]}|"* ]] ||
			{ echo "answer $((i + 1)) is ${have[i]}, expected ${want[i]} (all: $got)" >&2; return 1; }
	done
	jq -e '.statuses | length > 0' <<<"$output" >/dev/null ||
		{ echo "not even the first request was answered" >&2; return 1; }
	[[ $(jq -r .side <<<"$output") == 200 ]] ||
		{ echo "a second client was not served /health meanwhile" >&2; return 1; }
}

still_serving() {
	api_tcp GET /health
	assert_status 200
	api GET /health
	assert_status 200
}

@test "pipelined GETs are all answered" {
	pipe "GET /health" "GET /ready" "GET /health" "GET /health"
	assert_clean 200,200,200,200
	jq -e '.statuses | length == 4' <<<"$output" >/dev/null
	still_serving
}

@test "GET then POST in one send: answered or closed cleanly" {
	pipe "GET /health" "$LOGIN"
	assert_clean "200,401|400"
	still_serving
}

@test "POST then POST in one send: answered or closed cleanly" {
	pipe "$LOGIN" "$REFRESH"
	assert_clean "401,401|400"
	still_serving
}

@test "GET, GET, GET, POST, GET in one send: answered or closed cleanly" {
	pipe "GET /health" "GET /health" "GET /ready" "$REFRESH" "GET /health"
	assert_clean "200,200,200,401|400,200"
	still_serving
}

@test "POST, GET, POST in one send, ten times over: still serving" {
	for i in $(seq 1 10); do
		pipe "$REFRESH" "GET /health" "$LOGIN"
		assert_clean "401,200,401|400"
	done
	still_serving
}

@test "POST then GET in one send: answered or closed cleanly" {
	pipe "$LOGIN" "GET /health"
	assert_clean "401,200"
	still_serving
}

@test "requests written behind a POST before its answer, in sends of their own: answered or closed cleanly" {
	# The sign-in hashes a password in a worker: the next requests
	# arrive while it runs, or after its answer; either is fine.
	for i in 1 2 3; do
		pipe --gap 0.01 "$LOGIN" "$REFRESH" "GET /health"
		assert_clean "401,401|400,200"
		pipe --gap 0.01 "$LOGIN" "GET /health" "$LOGIN"
		assert_clean "401,200,401|400"
	done
	still_serving
}

# keep_alive STATUSES: every request answered, none with
# "connection: close", and the connection still open.
keep_alive() {
	[[ $(jq -r '.statuses | join(",")' <<<"$output") == "$1" ]] ||
		{ echo "expected $1" >&2; return 1; }
	jq -e '(.close | any) == false and .eof == false and
	    .timed_out == false and .side == 200' <<<"$output" >/dev/null ||
		{ echo "the connection did not stay open" >&2; return 1; }
}

@test "requests with bodies, each sent after the answer before it, keep one connection" {
	pipe --each "$LOGIN" "$REFRESH" "$LOGIN" "GET /health" "$REFRESH"
	keep_alive 401,401,401,200,401
	# Answered on the loop as soon as the body is in (no token: 401).
	pipe --each "$CREATE" "$CREATE" "GET /health" "$CREATE" "$LOGIN" "$CREATE"
	keep_alive 401,401,200,401,401,401
	# A body that comes in a write of its own, after its head.
	pipe --each --split "$REFRESH" "$LOGIN" "GET /ready" "$REFRESH"
	keep_alive 401,401,200,401
	still_serving
}

@test "a body refused before it is read, on a kept-alive connection: the client reads the 413" {
	# lws drops the protocol at each kept-alive request too, not only
	# when it closes: the daemon must still linger at the close, so
	# that the answer ends in a clean EOF, not a reset.
	run python3 - 127.0.0.1 "$CD_PORT" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(65536)
head, _, rest = buf.partition(b"\r\n\r\n")
n = int([l.split(b":")[1] for l in head.split(b"\r\n")
         if l.lower().startswith(b"content-length:")][0])
while len(rest) < n:
    rest += s.recv(65536)
print(head.split(b"\r\n")[0].decode())
s.sendall(b"POST /api/calls HTTP/1.1\r\nHost: x\r\nContent-Type: "
          b"application/json\r\nContent-Length: 4194304\r\n\r\n")
try:
    s.sendall(b"x" * 262144)
except OSError:
    pass
buf = rest[n:]
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
except OSError as e:
    print("error:", e)
print(buf.split(b"\r\n")[0].decode() or "nothing")
PY
	echo "$output"
	[[ ${lines[0]} == "HTTP/1.1 200 OK" ]]
	[[ ${lines[1]} == "HTTP/1.1 413 "* ]]
	[[ ${#lines[@]} == 2 ]]
	still_serving
}

@test "the daemon is not spinning: it stops with status 0 on SIGTERM" {
	daemon_stop main
}

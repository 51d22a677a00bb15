#!/usr/bin/env bats
# libwebsockets 4.1.6 spins forever on a request with a body that follows
# another request in the same read (PITFALLS.md). Each batch below goes out
# in ONE send; the connection must be answered or closed cleanly, quickly,
# and other clients must be served meanwhile and afterwards.

load lib/common

setup_file() { cd_setup; }
teardown_file() { cd_teardown; }

LOGIN='POST /api/auth/login {"email":"nobody@pipe.test","password":"Not-The-Password-1"}'
REFRESH='POST /api/auth/refresh {"refresh_token":"no-such-refresh-token"}'

# pipe REQ... : run the batch, leave the JSON result in $output.
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

@test "the daemon is not spinning: it stops with status 0 on SIGTERM" {
	daemon_stop main
}

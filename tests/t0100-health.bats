#!/usr/bin/env bats
# Operational endpoints: /health, /ready, /metrics on both transports.

load lib/common

setup_file() { cd_setup; }
teardown_file() { cd_teardown; }

@test "GET /health answers 200 {\"status\":\"ok\"} on the socket" {
	api GET /health
	assert_status 200
	assert_json .status ok
	[[ $(header content-type) == application/json* ]]
}

@test "GET /health answers 200 on TCP" {
	api_tcp GET /health
	assert_status 200
	assert_json .status ok
}

@test "GET /ready answers 200 {\"status\":\"ready\"} with the database up" {
	api GET /ready
	assert_status 200
	assert_json .status ready
	api_tcp GET /ready
	assert_status 200
	assert_json .status ready
}

@test "GET /metrics is Prometheus text with the documented series" {
	api GET /health >/dev/null
	api_tcp GET /api/companies >/dev/null
	api GET /metrics
	assert_status 200
	[[ $(header content-type) == text/plain* ]]
	for m in calldocker_http_requests_total \
		calldocker_http_request_duration_seconds_bucket \
		calldocker_open_connections calldocker_db_pool_connections; do
		grep -Eq "^$m(\{| )" <<<"$output" || { echo "no sample of $m in: $output" >&2; false; }
	done
	grep -q '^# TYPE calldocker_http_requests_total counter' <<<"$output"
	grep -q '^# TYPE calldocker_http_request_duration_seconds histogram' <<<"$output"
	grep -q '^calldocker_http_request_duration_seconds_bucket{.*le="+Inf"' <<<"$output"
}

@test "GET /metrics reports the worker pool by job type" {
	api GET /metrics
	assert_status 200
	for t in fast slow stream ws; do
		grep -Eq "^calldocker_worker_jobs\{type=\"$t\",state=\"busy\"\} [0-9]+$" <<<"$output"
		grep -Eq "^calldocker_worker_jobs\{type=\"$t\",state=\"queued\"\} [0-9]+$" <<<"$output"
	done
	grep -q '^calldocker_worker_cap{type="slow"} 2$' <<<"$output"
	grep -q '^calldocker_worker_cap{type="ws"} 2$' <<<"$output"
	# The pool has as many threads as the caps add up to.
	total=$(sed -n 's/^calldocker_db_pool_connections{state="configured"} //p' <<<"$output")
	sum=$(awk '/^calldocker_worker_cap\{/ { s += $2 } END { print s }' <<<"$output")
	[[ -n $total && $total == "$sum" ]]
}

@test "every sample line of /metrics is well-formed" {
	api GET /metrics
	assert_status 200
	# name{labels} value  |  name value  |  # comment
	bad=$(grep -Ev '^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.eE+-]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [+-]Inf|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? NaN)$' <<<"$output" | grep -v '^$' || true)
	[[ -z $bad ]] || { echo "malformed lines: $bad" >&2; false; }
}

sum_requests() {
	api GET /metrics >/dev/null
	awk '/^calldocker_http_requests_total[{ ]/ { s += $NF } END { printf "%d\n", s }' <<<"$output"
}

@test "calldocker_http_requests_total counts requests" {
	before=$(sum_requests)
	for i in 1 2 3 4 5; do api_tcp GET /health >/dev/null; done
	after=$(sum_requests)
	((after >= before + 5)) || { echo "before=$before after=$after" >&2; false; }
}

@test "calldocker_open_connections is a non-negative number" {
	api GET /metrics
	v=$(awk '/^calldocker_open_connections[{ ]/ { print $NF; exit }' <<<"$output")
	[[ $v =~ ^[0-9]+(\.0+)?$ ]] || { echo "calldocker_open_connections = \"$v\"" >&2; false; }
}

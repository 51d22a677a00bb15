#!/usr/bin/env bats
# The analytics export is streamed (docs/api.md, "Analytics"; daemon/
# stream.c): a large export arrives whole and in order, the daemon's memory
# does not grow with its size, clients that hang up mid-way cost nothing,
# and SIGTERM waits for a stream in flight.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

# N calls one minute apart from FROM, ids 0000...0001 upwards.
gen_calls() { # COMPANY QUEUE N
	sql "INSERT INTO calls (id, company_id, queue_id, state, created_at,
		enqueued_at, answered_at, ended_at, wait_seconds, talk_seconds,
		caller_number, caller_name)
	     SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
		'$1', '$2', 'completed',
		'$FROM'::timestamptz + i * interval '1 minute',
		'$FROM'::timestamptz + i * interval '1 minute',
		'$FROM'::timestamptz + i * interval '1 minute' + interval '5 s',
		'$FROM'::timestamptz + i * interval '1 minute' + interval '50 s',
		5, 45, '+1555' || lpad(i::text, 7, '0'), 'Caller, \"' || i || '\"'
	     FROM generate_series(1, $3) i"
}

# The daemon's memory in kB: FIELD is VmRSS or VmHWM.
mem() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$CD_PID/status"; }

busy() {
	api GET /metrics >/dev/null
	grep -q '^calldocker_db_pool_connections{state="busy"} 0$' <<<"$output"
}

export_url() { # FORMAT
	echo "http://localhost/api/analytics/company/$CO/export?from=$FROM&to=$TO&format=$1"
}

setup_file() {
	# Two stream workers: the disconnect test runs more exports than that.
	cd_setup CALLDOCKER_STREAM_WORKERS=2
	CO=$(mkcompany "Stream Co")
	mkuser boss@stream.test manager "$CO" >/dev/null
	MGR=$(login boss@stream.test)
	api POST /api/queues '{"name": "Big"}' "$MGR" >/dev/null
	Q=$(jget .id)
	FROM=2025-01-01T00:00:00Z
	TO=2026-01-01T00:00:00Z
	export CO MGR Q FROM TO
	gen_calls "$CO" "$Q" 100000
}

teardown_file() { cd_teardown; }

get() { # FORMAT FILE
	curl -sS --fail --max-time 120 -D "$2.h" -o "$2" --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer $MGR" "$(export_url "$1")"
}

@test "a large export arrives whole, chunked, as CSV and as JSON" {
	get csv "$CD_TMP/big.csv"
	tr -d '\r' <"$CD_TMP/big.csv.h" | grep -qix 'transfer-encoding: chunked'
	tr -d '\r' <"$CD_TMP/big.csv.h" | grep -qix 'content-type: text/csv; charset=utf-8'
	# Header row + 100000 rows; the caller_name field has a comma and
	# quotes, so every row has its own CRLF, none inside a field.
	[[ $(grep -c $'\r$' "$CD_TMP/big.csv") == 100001 ]]
	head -n1 "$CD_TMP/big.csv" | grep -q '^id,queue_id,agent_id,state,'
	sed -n 2p "$CD_TMP/big.csv" | grep -q '^00000000-0000-4000-8000-000000000001,.*,"Caller, ""1""",'
	tail -n1 "$CD_TMP/big.csv" | grep -q '^00000000-0000-4000-8000-0000000186a0,.*,"Caller, ""100000""",'
	(($(stat -c %s "$CD_TMP/big.csv") > 10 * 1024 * 1024))

	get json "$CD_TMP/big.json"
	tr -d '\r' <"$CD_TMP/big.json.h" | grep -qix 'content-type: application/json'
	[[ $(jq length "$CD_TMP/big.json") == 100000 ]]
	[[ $(jq -r '.[0].id' "$CD_TMP/big.json") == 00000000-0000-4000-8000-000000000001 ]]
	[[ $(jq -r '.[-1].id' "$CD_TMP/big.json") == 00000000-0000-4000-8000-0000000186a0 ]]
	[[ $(jq -r '.[-1].caller_name' "$CD_TMP/big.json") == 'Caller, "100000"' ]]
	[[ $(jq '[.[].talk_seconds] | add' "$CD_TMP/big.json") == 4500000 ]]
	# In order, no row twice.
	[[ $(jq -r '.[].id' "$CD_TMP/big.json" | sort -c && echo sorted) == sorted ]]
}

@test "the daemon's memory does not grow with the export's size" {
	if grep -aq __asan_init "$CD_DAEMON"; then
		skip "ASan's quarantine keeps freed memory: measured without it"
	fi
	get csv "$CD_TMP/warm.csv"	# pools, caches, libpq at their size
	local hwm0 rss0 size
	hwm0=$(mem VmHWM)
	rss0=$(mem VmRSS)
	for i in 1 2 3; do
		get json "$CD_TMP/m.json"
		get csv "$CD_TMP/m.csv"
	done
	size=$(($(stat -c %s "$CD_TMP/m.json") / 1024))
	echo "export ${size} kB; VmHWM $hwm0 -> $(mem VmHWM) kB; VmRSS $rss0 -> $(mem VmRSS) kB" >&3
	# The body is ~20 MB; the stream holds ~384 kB. Held in memory, the
	# peak would grow by at least the body's size.
	((size > 16 * 1024))
	(($(mem VmHWM) - hwm0 < 6 * 1024))
	(($(mem VmRSS) - rss0 < 6 * 1024))
}

@test "clients that hang up mid-export leave the daemon healthy" {
	local i
	# Twice as many as there are workers; each reads a little and leaves.
	for i in 1 2 3 4; do
		curl -sSN --max-time 60 --unix-socket "$CD_SOCK" \
			-H "Authorization: Bearer $MGR" "$(export_url csv)" 2>/dev/null |
			head -c 100000 >/dev/null || true
	done
	for i in 1 2 3 4; do
		curl -sSN --max-time 60 --unix-socket "$CD_SOCK" \
			-H "Authorization: Bearer $MGR" "$(export_url json)" 2>/dev/null |
			head -c 1000000 >/dev/null || true
	done
	# The workers come back (their cursors closed) and answer.
	wait_for 20 busy
	api GET "/api/analytics/company/$CO/overview?from=$FROM&to=$TO" "" "$MGR"
	assert_status 200
	get csv "$CD_TMP/after.csv"
	[[ $(grep -c $'\r$' "$CD_TMP/after.csv") == 100001 ]]
	# No transaction left open by an abandoned cursor.
	[[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'") == 0 ]]
}

@test "errors before the first byte are still problem+json" {
	api GET "/api/analytics/company/$CO/export?from=$FROM&to=$TO&format=xml" "" "$MGR"
	assert_problem 400 bad_request
	[[ -z $(header transfer-encoding) ]]
}

@test "SIGTERM waits for an export in flight" {
	daemon_start drain CALLDOCKER_WORKERS=2 CALLDOCKER_DRAIN_TIMEOUT=60
	curl -sS --fail --max-time 60 --limit-rate 8M -o "$CD_TMP/drain.csv" \
		--unix-socket "$CD_SOCK" -H "Authorization: Bearer $MGR" \
		"$(export_url csv)" &
	local cpid=$!
	wait_for 20 test -s "$CD_TMP/drain.csv"
	daemon_stop drain
	wait "$cpid"
	[[ $(grep -c $'\r$' "$CD_TMP/drain.csv") == 100001 ]]
	daemon_use main
}

@test "keep-alive after a streamed answer; HEAD sends the headers only" {
	local out
	out=$(curl -sS --max-time 60 --unix-socket "$CD_SOCK" -H "Authorization: Bearer $MGR" \
		-o "$CD_TMP/ka1" -w '%{http_code} %{num_connects}\n' "$(export_url json)" \
		-o "$CD_TMP/ka2" -w '%{http_code} %{num_connects}\n' "$(export_url json)")
	[[ $out == $'200 1\n200 0' ]]
	[[ $(jq length "$CD_TMP/ka2") == 100000 ]]
	run curl -sS --max-time 60 -I --unix-socket "$CD_SOCK" \
		-H "Authorization: Bearer $MGR" "$(export_url csv)"
	[[ $status == 0 ]]
	grep -qi '^transfer-encoding: chunked' <<<"$output"
	api GET /health
	assert_status 200
}

@test "a database error after the first byte truncates the transfer" {
	local cpid rc=0
	curl -sS --max-time 60 --limit-rate 1M -o "$CD_TMP/cut.csv" \
		--unix-socket "$CD_SOCK" -H "Authorization: Bearer $MGR" \
		"$(export_url csv)" 2>"$CD_TMP/cut.err" &
	cpid=$!
	wait_for 20 test -s "$CD_TMP/cut.csv"
	# The worker waits for room with its cursor open: end its session.
	wait_for 20 sql "SELECT 1/count(*) FROM (SELECT pg_terminate_backend(pid)
		FROM pg_stat_activity WHERE query LIKE 'FETCH%analytics_export%'
		AND pid <> pg_backend_pid()) x" >/dev/null
	wait "$cpid" || rc=$?
	# curl 18: "transfer closed with outstanding read data remaining".
	[[ $rc == 18 ]]
	(($(grep -c $'\r$' "$CD_TMP/cut.csv") < 100001))
	# The worker reconnects and serves the next export whole.
	wait_for 20 busy
	get csv "$CD_TMP/cut2.csv"
	[[ $(grep -c $'\r$' "$CD_TMP/cut2.csv") == 100001 ]]
}

@test "a client that hangs up after the worker has finished frees the rest" {
	# ~1000 rows: the worker queues them all and returns at once; the
	# client, reading slowly, leaves while chunks still wait. A leak here
	# fails the sanitizer build's exit (teardown); the daemon must also
	# still drain to zero in flight (tested by the stop at teardown).
	local to cpid
	to=$(date -u -d "$FROM + 1000 minutes" +%Y-%m-%dT%H:%M:%SZ)
	curl -sS --max-time 60 --limit-rate 2k -o "$CD_TMP/slow.csv" \
		--unix-socket "$CD_SOCK" -H "Authorization: Bearer $MGR" \
		"http://localhost/api/analytics/company/$CO/export?from=$FROM&to=$to" &
	cpid=$!
	wait_for 20 test -s "$CD_TMP/slow.csv"
	wait_for 20 busy
	kill "$cpid" 2>/dev/null || true	# (a large socket buffer may have
	wait "$cpid" || true			#  taken it all already)
	api GET /health
	assert_status 200
}

# The chaos suites' side of tests/lib/chaos.py (docs/cluster.md, "Chaos
# test"): t0860-cluster-chaos.bats (short, in make test) and
# chaos-long.bats (make chaos, with a PostgreSQL failover).
#
#   chaos_run SECONDS [DRIVER-ARGS...]
#       runs the driver on CD_DBURL with three nodes (their environment:
#       daemon_env plus CHAOS_ENV), the figures to the TAP output
#   chaos_report JQ-FILTER   reads its report.json
#   chaos_none KEY           no violation under KEY (else prints them)
#   chaos_ran                the run completed and did enough chaos
#   chaos_kill_nodes         for teardown_file: kill -9 what is left

chaos_run() {
	local secs=$1
	shift
	{ daemon_env; printf '%s\n' ${CHAOS_ENV:-}; } >"$CD_TMP/env"
	mkdir -p "$CD_TMP/chaos"
	# Bounded: start-up, the chaos, the drain (90 s at most), the checks.
	timeout $((secs + 500)) python3 "$TOP/tests/lib/chaos.py" \
		--dir "$CD_TMP/chaos" --daemon "$CD_DAEMON" --env-file "$CD_TMP/env" \
		--db "$CD_DBURL" --nodes 3 --seconds "$secs" \
		${CHAOS_SEED:+--seed "$CHAOS_SEED"} "$@" \
		>"$CD_TMP/chaos.out" 2>"$CD_TMP/chaos.err" 3>&- || true
	sed 's/^/# /' "$CD_TMP/chaos.out" >&3
}

chaos_kill_nodes() {
	local p
	for p in "$CD_TMP"/chaos/node*/pid; do
		[[ -f $p ]] && kill -KILL "$(<"$p")" 2>/dev/null
	done
	return 0
}

chaos_report() { jq -c "$1" "$CD_TMP/chaos/report.json"; }

chaos_none() {
	local n
	n=$(chaos_report ".violations.$1 | length")
	if [[ $n != 0 ]]; then
		echo "$n $1:" >&2
		chaos_report ".violations.$1[:20][]" >&2
		echo "seed $(chaos_report .seed); driver log: $CD_TMP/chaos.err;" \
			"nodes' logs: $CD_TMP/chaos/node*/log" >&2
		return 1
	fi
}

chaos_ran() {
	[[ -f $CD_TMP/chaos/report.json ]] || { cat "$CD_TMP/chaos.err" >&2; return 1; }
	if [[ $(chaos_report '.error // ""') != '""' ]]; then
		chaos_report .error >&2
		tail -n 30 "$CD_TMP/chaos.err" >&2
		return 1
	fi
	(($(chaos_report .figures.calls_acknowledged) > 20)) ||
		{ echo "too few calls acknowledged" >&2; return 1; }
	(($(chaos_report '.figures.kills + .figures.pauses + .figures.restarts') >= 5)) ||
		{ echo "too little chaos" >&2; return 1; }
	[[ $(chaos_report .figures.node_exit_nonzero) == 0 ]] ||
		{ echo "a node exited non-zero after SIGTERM; see $CD_TMP/chaos.err" >&2; return 1; }
	chaos_none nodes_crashed
}

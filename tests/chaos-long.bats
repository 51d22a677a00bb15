#!/usr/bin/env bats
# The cluster chaos test, long version: `make chaos` (docs/cluster.md,
# "Chaos test"; not part of make test). As t0860-cluster-chaos.bats, for
# two minutes (CHAOS_SECONDS), on a PostgreSQL primary and synchronous
# standby under pg_auto_failover (tests/lib/pgaf.bash, as t0840) reached
# through the multi-host URL; once, at 40% of the run, the primary is
# killed (-9, its keeper and its postmaster) and the chaos goes on once
# the standby has been promoted.

load lib/common
load lib/pgaf
load lib/chaos

# The failover, run by the driver: kill the primary, wait (at most 90 s)
# until the other server takes writes.
FAILOVER='. "$TOP/tests/lib/pgaf.bash"; old=$(af_primary) || exit 1
af_kill "$old"
for ((i = 0; i < 900; i++)); do
	n=$(af_primary) && [[ $n != "$old" ]] && { echo "# primary now $n" >&2; exit 0; }
	sleep 0.1
done
exit 1'

setup_file() {
	export CD_TMP=$BATS_FILE_TMPDIR CD_SUITE=chaos-long TOP
	[[ -x $CD_DAEMON ]] || { echo "no $CD_DAEMON: run make first" >&2; return 1; }
	command -v pg_autoctl >/dev/null ||
		{ echo "no pg_autoctl: scripts/deps.sh installs postgresql-15-auto-failover" >&2; return 1; }
	af_start calldocker
	export CD_DBURL=$AF_URL
	# db_timeout 2 (as t0840): a request meeting the dead primary answers
	# 503 within 2 s, and the client retries on another node.
	CHAOS_ENV=CALLDOCKER_DB_TIMEOUT=2 chaos_run "${CHAOS_SECONDS:-120}" \
		--failover-cmd "bash -c '$FAILOVER'"
}

teardown_file() {
	local rc=0
	chaos_kill_nodes
	af_stop || rc=1
	return $rc
}

@test "the chaos ran: calls acknowledged, nodes killed, paused and restarted, the primary failed over" {
	chaos_ran
	[[ $(chaos_report .figures.failovers) == 1 ]]
}

@test "no acknowledged call is lost; one call per Idempotency-Key" {
	chaos_none lost_calls
	chaos_none idempotency_conflicts
	chaos_none duplicate_keys
}

@test "every create is answered 201 in the end (retried with its Idempotency-Key)" {
	chaos_none creates_refused
}

@test "no call is offered to two agents at once" {
	chaos_none double_offers
	chaos_none event_anomalies
}

@test "no agent holds more calls at once than its max_calls" {
	chaos_none over_max_calls
}

@test "every call ends in one valid state; agents' states agree with the live calls" {
	chaos_none bad_state
	chaos_none live_calls
	chaos_none state_inconsistent
	chaos_none agents_not_available
}

@test "a fresh wallboard on every node shows the database's truth" {
	chaos_none wallboard_diverges
}

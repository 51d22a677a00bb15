#!/usr/bin/env bats
# The cluster chaos test, short version (docs/cluster.md, "Chaos test";
# `make chaos` runs the long one, with a PostgreSQL failover:
# tests/chaos-long.bats). Three nodes of one cluster; clients, agents and
# wallboards on random nodes while a chaos thread kills (-9), pauses
# (SIGSTOP) and restarts nodes; then the database is checked
# (tests/lib/chaos.py writes the figures and every violation it found to
# report.json; one test below per property). CHAOS_SECONDS (default 45)
# and CHAOS_SEED (replay a run's choices) steer it.

load lib/common
load lib/chaos

setup_file() {
	cd_init
	chaos_run "${CHAOS_SECONDS:-45}"
}

teardown_file() {
	chaos_kill_nodes
	cd_teardown
}

@test "the chaos ran: calls acknowledged, nodes killed, paused and restarted, every node back" {
	chaos_ran
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

@test "the checks catch a double offer, an answer without an offer and an agent over max_calls" {
	run python3 "$TOP/tests/lib/chaos.py" --self-test
	assert_success
	assert_output "self-test ok"
}

#!/usr/bin/env bats
# Several daemons on one PostgreSQL, phase 1 (docs/cluster.md): the node
# registry and the refusal to split a database, one signing key, revocations
# on every node before the answer, the jobs that run once, and what status,
# the CLI and /metrics show of it.

load lib/common

WS="python3 $TOP/tests/lib/ws.py"

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_init
}

teardown_file() {
	cd_teardown
}

# status_of NAME: GET /api/settings/system/status on daemon NAME (its socket).
status_of() {
	daemon_use "$1"
	api GET /api/settings/system/status >/dev/null
	assert_status 200
}

# holder LEASE: the node id holding LEASE in the last status ("null": none).
holder() {
	jget ".cluster.leases[] | select(.name == \"$1\" and .held) | .node_id"
}

@test "a node of no cluster refuses a database another live node serves, exit 3" {
	db_create t_t0830_solo
	daemon_start solo CALLDOCKER_CLUSTER=
	daemon_run intruder CALLDOCKER_CLUSTER=
	assert_equal "$status" 3
	assert_equal "$(grep -c . <<<"$output")" 1
	assert_output --regexp 'node "[^"]+" \(pid [0-9]+ on [^)]+\) serves this database alone; refusing to split it'
	assert_output --regexp '^calldockerd: node '
	# Naming a cluster does not help: the one running is in none.
	daemon_run joiner -- --cluster east
	assert_equal "$status" 3
	assert_output --partial 'serves this database alone'
	status_of solo
	assert_json '.cluster.nodes | length' 1
	assert_json '.cluster.nodes[0].cluster' null
	assert_json '.cluster.nodes[0].self' true
	# A clean stop leaves the database to the next one.
	daemon_stop solo
	assert_equal "$(sql 'SELECT count(*) FROM cluster_nodes')" 0
	daemon_start solo2 CALLDOCKER_CLUSTER=
	daemon_stop solo2
}

@test "another cluster's name is refused; the same name joins" {
	db_create t_t0830_names
	daemon_start east1 -- --cluster east
	daemon_run west -- --cluster west
	assert_equal "$status" 3
	assert_output --partial 'serves this database as cluster "east", not "west"'
	daemon_run none CALLDOCKER_CLUSTER=
	assert_equal "$status" 3
	assert_output --partial 'start with --cluster east to join it'
	daemon_start east2 -- --cluster east
	status_of east2
	assert_json '[.cluster.nodes[] | select(.live and .cluster == "east")] | length' 2
	daemon_stop east1
	daemon_stop east2
}

@test "a stale node (no heartbeat past its lease) does not block" {
	db_create t_t0830_stale
	daemon_start frozen CALLDOCKER_CLUSTER= CALLDOCKER_CLUSTER_LEASE=1
	frozen=$CD_PID
	kill -STOP "$frozen"
	wait_for 10 eval '[[ $(sql "SELECT count(*) FROM cluster_nodes WHERE expires_at > now()") == 0 ]]'
	daemon_start fresh CALLDOCKER_CLUSTER=
	status_of fresh
	assert_json '.cluster.nodes | length' 2
	assert_json '[.cluster.nodes[] | select(.live)] | length' 1
	assert_json '.cluster.nodes[] | select(.live) | .self' true
	kill -CONT "$frozen"
	daemon_stop frozen
	daemon_stop fresh
}

@test "a token from node A is accepted by node B: the cluster's generated key" {
	db_create t_t0830_key
	CD_NO_SECRET=1 daemon_start keya
	CD_NO_SECRET=1 daemon_start keyb
	daemon_use keya
	mkuser key@cluster.test admin >/dev/null
	tok=$(login key@cluster.test)
	daemon_use keyb
	api GET /api/auth/profile "" "$tok" >/dev/null
	assert_status 200
	assert_json .email key@cluster.test
	# One key in the database; neither node wrote one to its data dir.
	assert_equal "$(sql "SELECT count(*) FROM cluster_keys WHERE cluster = 'tests'")" 1
	[[ ! -e $CD_TMP/keya/data/jwt.key && ! -e $CD_TMP/keyb/data/jwt.key ]]
	# And the other way round.
	tok=$(login key@cluster.test)
	daemon_use keya
	api GET /api/auth/profile "" "$tok" >/dev/null
	assert_status 200
	daemon_stop keya
	daemon_stop keyb
}

@test "logout on node A: refused on node B at once, B's WebSocket of it closed" {
	db_create t_t0830_revoke
	daemon_start ra
	daemon_start rb
	daemon_use ra
	mkuser out@cluster.test admin >/dev/null
	login_pair out@cluster.test
	daemon_use rb
	api GET /api/auth/profile "" "$ACCESS" >/dev/null
	assert_status 200
	rm -f "$CD_TMP/sock.jsonl"
	$WS listen "$CD_PORT" --out "$CD_TMP/sock.jsonl" --seconds 20 \
		--token "$ACCESS" --topics agents 3>&- &
	wspid=$!
	wait_for 10 grep -q '"subscribed"' "$CD_TMP/sock.jsonl"
	daemon_use ra
	api POST /api/auth/logout "{\"refresh_token\":\"$REFRESH\"}" "$ACCESS" >/dev/null
	assert_status 204
	# No wait: the 204 came after node B confirmed it.
	daemon_use rb
	api GET /api/auth/profile "" "$ACCESS" >/dev/null
	assert_problem 401 unauthorized
	wait_for 10 grep -q '"close"' "$CD_TMP/sock.jsonl"
	run jq -c 'select(.close)' "$CD_TMP/sock.jsonl"
	assert_output '{"close":4003,"reason":"session revoked"}'
	wait "$wspid"
	daemon_stop ra
	daemon_stop rb
}

@test "a password change on node A ends the user's other sessions on node B" {
	db_create t_t0830_password
	daemon_start pa
	daemon_start pb
	daemon_use pa
	mkuser pw@cluster.test admin >/dev/null
	keep=$(login pw@cluster.test)
	other=$(login pw@cluster.test)
	daemon_use pb
	api GET /api/auth/profile "" "$other" >/dev/null
	assert_status 200
	daemon_use pa
	api PUT /api/auth/profile "$(jq -nc --arg o "$PW" \
		'{current_password: $o, password: "Another-Sturdy-Lantern-7"}')" "$keep" >/dev/null
	assert_status 200
	daemon_use pb
	api GET /api/auth/profile "" "$other" >/dev/null
	assert_problem 401 unauthorized
	api GET /api/auth/profile "" "$keep" >/dev/null
	assert_status 200
	daemon_stop pa
	daemon_stop pb
}

@test "webhooks, the rollup and the retention sweeper run on one node; status, CLI and /metrics show the nodes" {
	db_create t_t0830_jobs
	daemon_start ja
	status_of ja
	a=$(jget .cluster.node_id)
	daemon_start jb
	status_of jb
	b=$(jget .cluster.node_id)
	[[ $a != "$b" ]]
	assert_json .cluster.cluster tests
	assert_json '[.cluster.nodes[] | select(.live)] | length' 2
	assert_equal "$(holder webhooks)" "$a"
	assert_equal "$(holder rollup)" "$a"
	assert_equal "$(holder retention)" "$a"
	assert_json ".cluster.nodes[] | select(.id == \"$a\") | .leases | sort | join(\",\")" retention,rollup,webhooks
	assert_json ".cluster.nodes[] | select(.id == \"$b\") | .leases | length" 0
	epoch=$(jget '.cluster.leases[] | select(.name == "webhooks") | .epoch')
	# The CLI's status lists them too.
	run cli settings status
	assert_success
	assert_output --regexp "cluster\.nodes\.[01]\.id +$b"
	assert_output --regexp "cluster\.nodes\.[01]\.leases\.0 +(retention|rollup|webhooks)"
	# /metrics: each node's heartbeat and each lease's holder.
	api GET /metrics >/dev/null
	assert_output --regexp "calldocker_cluster_node_heartbeat_timestamp_seconds\{node=\"$a\",name=\"[^\"]+\",cluster=\"tests\",self=\"0\"\} [0-9.]+"
	assert_output --partial "calldocker_cluster_lease_epoch{lease=\"webhooks\",node=\"$a\",held=\"1\"} $epoch"
	# The holder stops: the other takes both, with a new epoch.
	daemon_stop ja
	wait_for 10 eval 'status_of jb && [[ $(holder webhooks) == "$b" && $(holder rollup) == "$b" && $(holder retention) == "$b" ]]'
	assert_json '.cluster.leases[] | select(.name == "webhooks") | .epoch' $((epoch + 1))
	assert_json '.cluster.nodes | length' 1
	daemon_stop jb
}

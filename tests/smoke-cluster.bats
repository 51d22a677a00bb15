#!/usr/bin/env bats
# make cluster-check: scripts/cluster.sh (make cluster) starts PostgreSQL
# with a standby under pg_auto_failover, 3 nodes and HAProxy, serves
# through HAProxy, reports its status, and stops everything. Not in make
# test: it takes about 30 s on a loaded 2-core machine (tests/t0845
# tests HAProxy itself).

load lib/common

setup_file() {
	export CD_TMP=$BATS_FILE_TMPDIR
	command -v haproxy >/dev/null ||
		{ echo "no haproxy: scripts/deps.sh installs it" >&2; return 1; }
}

teardown_file() {
	if [[ -f $CD_TMP/cluster.dir ]]; then
		CLUSTER_DIR="$(<"$CD_TMP/cluster.dir")/c" "$TOP/scripts/cluster.sh" stop 3>&- || true
		rm -rf "$(<"$CD_TMP/cluster.dir")"
	fi
}

@test "scripts/cluster.sh: 3 nodes, HAProxy and PostgreSQL with a standby, started and stopped" {
	# Under /tmp: the postgres user must reach it (bats's temp dir is 0700).
	cl=$(mktemp -d /tmp/cdcl.XXXXXX)
	chmod 0711 "$cl"
	echo "$cl" >"$CD_TMP/cluster.dir"
	port=$(free_port)
	run env CLUSTER_DIR="$cl/c" CLUSTER_PORT="$port" "$TOP/scripts/cluster.sh" start 3>&-
	assert_success
	assert_output --partial "http://127.0.0.1:$port"
	assert_output --regexp "admin +admin@calldocker.local +[^ ]+"
	read -r email pw <"$cl/c/admin"
	CD_PORT=$port api --tcp POST /api/auth/login "$(jq -nc --arg e "$email" --arg p "$pw" \
		'{email: $e, password: $p}')" >/dev/null
	assert_status 200
	tok=$(jget .access_token)
	names=
	for ((i = 0; i < 3; i++)); do
		CD_PORT=$port api --tcp GET /api/settings/system/status "" "$tok" >/dev/null
		assert_status 200
		assert_json .cluster.cluster demo
		assert_json '[.cluster.nodes[] | select(.live)] | length' 3
		names+=" $(jget '.cluster.nodes[] | select(.self) | .name')"
	done
	assert_equal "$(tr ' ' '\n' <<<"$names" | sort | xargs)" "node1 node2 node3"
	run env CLUSTER_DIR="$cl/c" "$TOP/scripts/cluster.sh" status 3>&-
	assert_success
	assert_equal "$(grep -c '^rest/node[123] UP ' <<<"$output")" 3
	assert_output --regexp 'read-write +\| +primary +\| +primary'
	assert_output --regexp 'read-only +\| +secondary +\| +secondary'
	run env CLUSTER_DIR="$cl/c" "$TOP/scripts/cluster.sh" stop 3>&-
	assert_success
	run pgrep -f "$cl/c"
	assert_failure
	rm -rf "$cl" "$CD_TMP/cluster.dir"
}

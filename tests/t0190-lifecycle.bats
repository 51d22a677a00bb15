#!/usr/bin/env bats
# Start, stop, configuration checks, and surviving a database outage. This
# suite runs its own PostgreSQL cluster because it stops it.

load lib/common

setup_file() {
	export CD_TMP=$BATS_FILE_TMPDIR
	CD_SUITE=t0190-lifecycle
	export CD_SUITE
	pg_private
	db_create t_lifecycle
	daemon_start main
}
teardown_file() { cd_teardown; }

@test "SIGTERM: the daemon exits 0" {
	daemon_start short
	api GET /health
	assert_status 200
	api POST /api/companies '{"name":"Before Stop"}'
	assert_status 201
	daemon_stop short
	daemon_use main
}

@test "state survives a restart; tokens stay valid" {
	daemon_start restart
	c=$(mkcompany "Persisted Co")
	mkuser keep@life.test manager "$c" >/dev/null
	tok=$(login keep@life.test)
	daemon_stop restart
	daemon_start restart
	api GET "/api/companies/$c"
	assert_status 200
	assert_json .name "Persisted Co"
	api_tcp GET /api/auth/profile "" "$tok"
	assert_status 200
	assert_json .email keep@life.test
	daemon_stop restart
	daemon_use main
}

@test "two daemons starting together on a fresh database both get ready" {
	db_create t_lifecycle_race
	daemon_start race1 &
	p1=$!
	daemon_start race2 &
	p2=$!
	wait $p1
	wait $p2
	daemon_use race1
	api GET /ready
	assert_status 200
	daemon_use race2
	api GET /ready
	assert_status 200
	api POST /api/companies '{"name":"Race Co"}'
	assert_status 201
	daemon_stop race1
	daemon_stop race2
	db_create t_lifecycle_unused	# CD_DBURL must not point at the race db
	daemon_use main
}

@test "--check-config accepts a good file" {
	cat >"$CD_TMP/good.yaml" <<-EOF2
	# a comment
	listen: 127.0.0.1:18080
	max_body_bytes: 64k
	allow_register: false
	access_token_ttl: 600
	rate_limit_ip: 50
	log_level: info
	EOF2
	run "$CD_DAEMON" --check-config --config "$CD_TMP/good.yaml" \
		--database-url "$CD_DBURL" --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_success
}

@test "--check-config names file:line:col of an unknown key" {
	printf 'listen: 127.0.0.1:0\nmax_body_bytes: 1M\nno_such_key: 1\n' >"$CD_TMP/bad.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/bad.yaml" --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_failure 1
	assert_output --partial "$CD_TMP/bad.yaml:3:1"
	assert_output --partial no_such_key
}

@test "--check-config names file:line:col of a bad value and of broken YAML" {
	printf 'listen: 127.0.0.1:0\nmax_body_bytes: lots\n' >"$CD_TMP/badval.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/badval.yaml" --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_failure 1
	assert_output --regexp "$CD_TMP/badval\.yaml:2:[0-9]+"
	assert_output --partial max_body_bytes

	printf 'listen: [127.0.0.1\nworkers: 2\n' >"$CD_TMP/broken.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/broken.yaml" --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_failure 1
	assert_output --regexp "$CD_TMP/broken\.yaml:[0-9]+:[0-9]+"
}

@test "--check-config refuses a bad environment value" {
	run env CALLDOCKER_MAX_BODY_BYTES=huge "$CD_DAEMON" --check-config --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_failure 1
	assert_output --partial max_body_bytes
}

@test "--check-config refuses a JWT secret under 32 bytes" {
	run env CALLDOCKER_JWT_SECRET=short-secret "$CD_DAEMON" --check-config --data-dir "$CD_TMP/ccdata"
	echo "$output"
	assert_failure 1
}

@test "the config file is applied (max_body_bytes: 200 gives 413)" {
	printf 'max_body_bytes: 200\n' >"$CD_TMP/small.yaml"
	daemon_start small -- --config "$CD_TMP/small.yaml"
	api POST /api/companies "$(jq -nc --arg n "$(head -c 300 /dev/zero | tr '\0' y)" '{name: $n}')"
	assert_problem 413 payload_too_large
	daemon_stop small
	daemon_use main
}

@test "--log-format json writes one JSON object per line" {
	daemon_start jsonlog -- --log-format json
	api GET /health >/dev/null
	api POST /api/companies '{"name":"Json Log Co"}' >/dev/null
	daemon_stop jsonlog
	daemon_use main
	n=$(grep -v '^== start' "$CD_TMP/jsonlog/log" | grep -c . || true)
	((n > 0)) || { echo "no log lines" >&2; false; }
	bad=$(grep -v '^== start' "$CD_TMP/jsonlog/log" | grep . |
		while IFS= read -r l; do jq -e 'type == "object"' <<<"$l" >/dev/null 2>&1 || echo "$l"; done)
	[[ -z $bad ]] || { echo "not JSON: $bad" >&2; false; }
}

@test "database down: /ready and the API are 503 with Retry-After, /health stays 200" {
	daemon_use main
	api GET /ready
	assert_status 200
	"$TOP/scripts/pg.sh" stop "$CD_PG"
	ready_503() { api GET /ready >/dev/null; [[ $status == 503 ]]; }
	wait_for 15 ready_503 || { echo "/ready still $status with the database down" >&2; false; }
	api GET /api/companies
	assert_problem 503 unavailable
	[[ $(header retry-after) =~ ^[0-9]+$ ]] || { echo "Retry-After \"$(header retry-after)\"" >&2; false; }
	api_tcp POST /api/auth/login '{"email":"a@b.test","password":"Whatever-123"}'
	assert_problem 503 unavailable
	[[ $(header retry-after) =~ ^[0-9]+$ ]]
	api GET /health
	assert_status 200
}

@test "database back: the daemon serves again by itself" {
	daemon_use main
	"$TOP/scripts/pg.sh" start "$CD_PG" --fast
	ready_200() { api GET /ready >/dev/null; [[ $status == 200 ]]; }
	wait_for 30 ready_200 || { echo "/ready still $status 30 s after the database came back" >&2; false; }
	ok_200() { api GET /api/companies >/dev/null; [[ $status == 200 ]]; }
	wait_for 10 ok_200 || { echo "API still $status" >&2; false; }
	api POST /api/companies '{"name":"After Outage"}'
	assert_status 201
}

@test "SIGTERM with the database down still exits 0" {
	daemon_start downstop
	"$TOP/scripts/pg.sh" stop "$CD_PG"
	api GET /api/companies >/dev/null
	daemon_stop downstop
	"$TOP/scripts/pg.sh" start "$CD_PG" --fast
	daemon_use main
	ready_200() { api GET /ready >/dev/null; [[ $status == 200 ]]; }
	wait_for 30 ready_200
}

@test "the main daemon exits 0 on SIGTERM after the outage" {
	daemon_stop main
}

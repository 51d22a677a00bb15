#!/usr/bin/env bats
# A hung database cannot hang the daemon. The suite's own PostgreSQL is
# frozen (SIGSTOP: it accepts connections and answers nothing) while
# requests come in: /health answers at once, /ready and requests that need
# the database answer 503 with Retry-After within db_timeout, descriptors
# stay bounded, a create whose client gave up creates nothing, and after
# SIGCONT everything works again.

load lib/common

BOUND=2			# db_timeout of the daemon under test
SLACK=5			# added to the bound in assertions, for slow machines

# The postmaster and its children (every backend and helper).
pg_pids() {
	local pm
	pm=$(head -n1 "$CD_PG/data/postmaster.pid")
	echo "$pm"
	pgrep -P "$pm" || true
}
pg_freeze() { kill -STOP $(pg_pids); }
pg_thaw() { kill -CONT $(pg_pids); }

now() { date +%s.%N; }
# secs_since T: seconds since T, two decimals.
secs_since() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
# within T MAX: at most MAX seconds since T.
within() {
	local s
	s=$(secs_since "$1")
	(($(echo "$s <= $2" | bc -l))) ||
		{ echo "took $s s, more than $2 s" >&2; return 1; }
}

fds() { ls "/proc/$CD_PID/fd" | wc -l; }

# The calls of the company (at most 100).
ncalls() {
	api GET "/api/calls?company_id=$CO&limit=100" "" "$MGR" >/dev/null
	[[ $status == 200 ]] || { echo "list calls: $status $output" >&2; return 1; }
	jget '.items | length'
}

# metric NAME: a gauge of /metrics (answered by the loop, never queued).
metric() {
	curl -s --max-time 5 --unix-socket "$CD_SOCK" http://localhost/metrics |
		awk -v n="$1" '$1 == n { print $2 }'
}
busy() { metric 'calldocker_db_pool_connections{state="busy"}'; }
queued() { metric calldocker_db_pool_queue_length; }

# Every worker idle, nothing queued: a job still to run would show here.
pools_idle() { [[ $(busy) == 0 && $(queued) == 0 ]]; }

setup_file() {
	export CD_TMP=$BATS_FILE_TMPDIR
	export CD_SUITE=t0810-db-hang
	# Its own cluster: the run's shared one must never be stopped.
	pg_private
	db_create t_db_hang
	daemon_start main CALLDOCKER_DB_TIMEOUT=$BOUND CALLDOCKER_WORKERS=1
	CO=$(mkcompany "Hang Co")
	mkuser boss@hang.test manager "$CO" >/dev/null
	MGR=$(login boss@hang.test)
	api POST /api/queues '{"name":"Line"}' "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "queue: $status $output" >&2; return 1; }
	Q=$(jget .id)
	export CO MGR Q
}

teardown_file() {
	# Whatever failed: the cluster must run again to be stopped.
	[[ -n ${CD_PG:-} && -f $CD_PG/data/postmaster.pid ]] && pg_thaw 2>/dev/null
	cd_teardown
}

@test "PostgreSQL frozen: 503 with Retry-After within db_timeout, /health at once" {
	[[ $(ncalls) == 0 ]]
	fd0=$(fds)
	pg_freeze
	t=$(now)
	api GET /health
	assert_status 200
	within "$t" 1

	t=$(now)
	api GET /ready
	assert_problem 503 unavailable
	echo "# /ready: 503 after $(secs_since "$t") s" >&3
	within "$t" $((BOUND + SLACK))

	t=$(now)
	api GET "/api/calls?company_id=$CO" "" "$MGR"
	assert_problem 503 unavailable
	[[ -n $(header retry-after) ]]
	echo "# GET /api/calls: 503 after $(secs_since "$t") s" >&3
	within "$t" $((BOUND + SLACK))

	# Readers that give up, to load the descriptors.
	t=$(now)
	for i in $(seq 1 40); do
		curl -s -o /dev/null --max-time 1 --unix-socket "$CD_SOCK" \
			-H "Authorization: Bearer $MGR" \
			"http://localhost/api/calls?company_id=$CO" &
	done
	peak=$(fds)
	wait
	within "$t" $((1 + SLACK))

	# A client that waits: 503 (nothing created) or its call.
	t=$(now)
	api -H 'Idempotency-Key: waits-1' POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	[[ $status == 503 || $status == 201 ]] ||
		{ echo "waiting create: $status $output" >&2; return 1; }
	[[ $status == 201 ]] || [[ -n $(header retry-after) ]]
	echo "# POST /api/calls (waits): $status after $(secs_since "$t") s" >&3
	within "$t" $((BOUND + SLACK))

	# Descriptors come back to where they were, give or take a few.
	for ((i = 0; i < (BOUND + SLACK) * 10; i++)); do
		(($(fds) <= fd0 + 8)) && break
		sleep 0.1
	done
	echo "# descriptors: $fd0 before, $peak with 40 clients, $(fds) after" >&3
	(($(fds) <= fd0 + 8))

	t=$(now)
	api GET /ready
	assert_problem 503 unavailable
	within "$t" $((BOUND + SLACK))
}

@test "creates queued while frozen whose clients gave up do not run when it resumes" {
	# Hold the worker in a fresh wait on the frozen server: a read sent
	# while it is idle, that keeps it busy (one that was answered at
	# once met the second before a reconnection).
	for ((i = 0; i < 100; i++)); do
		[[ $(busy) == 0 ]] || { sleep 0.1; continue; }
		curl -s -o /dev/null --max-time 1 --unix-socket "$CD_SOCK" \
			-H "Authorization: Bearer $MGR" \
			"http://localhost/api/calls?company_id=$CO" &
		sleep 0.2
		[[ $(busy) == 1 ]] && break
	done
	# Clients that give up after a second: their creates wait in the
	# queue.
	for i in $(seq 1 8); do
		curl -s -o /dev/null --max-time 1 --unix-socket "$CD_SOCK" \
			-H "Authorization: Bearer $MGR" -H 'Content-Type: application/json' \
			-H "Idempotency-Key: gone-$i" \
			--data "{\"queue_id\":\"$Q\"}" http://localhost/api/calls &
	done
	wait
	echo "# when they gave up: $(busy) workers busy, $(queued) requests queued" >&3
	# The database comes back while they may still be queued.
	pg_thaw
	daemon_wait_ready main $((BOUND + SLACK + 10))
}

@test "after SIGCONT: ready again, nothing done for clients that gave up, no duplicate" {
	t=$(now)
	# A worker whose last try failed waits a second before the next, and
	# the server first goes through the connections left while frozen:
	# wait for answers from every worker (five in a row).
	ok=0
	for ((i = 0; i < (BOUND + SLACK) * 10 && ok < 5; i++)); do
		if ncalls >/dev/null 2>&1; then
			ok=$((ok + 1))
		else
			ok=0
			sleep 0.1
		fi
	done
	((ok == 5))
	echo "# after SIGCONT: answers again after $(secs_since "$t") s" >&3
	# Every job handed over while frozen has run or been dropped.
	for ((i = 0; i < 100; i++)); do
		pools_idle && break
		sleep 0.1
	done
	pools_idle
	n=$(ncalls)
	# At most the waiting client's call; none for those that gave up.
	((n <= 1)) || { echo "$n calls after the freeze" >&2; return 1; }

	# Its retry answers its call, once.
	api -H 'Idempotency-Key: waits-1' POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	assert_status 201
	id=$(jget .id)
	api -H 'Idempotency-Key: waits-1' POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	assert_status 201
	assert_json .id "$id"
	n=$(ncalls)
	((n == 1)) || { echo "$n calls: $output" >&2; return 1; }

	api GET /ready
	assert_status 200
	api POST /api/calls "{\"queue_id\":\"$Q\"}" "$MGR"
	assert_status 201
	[[ $(ncalls) == 2 ]]
}

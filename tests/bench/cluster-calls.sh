#!/bin/bash
# Calls created and routed per second, 1 node against 3 nodes of one
# cluster, in the same run on one private PostgreSQL (issue 12, "Shown
# by"; docs/cluster.md, "Figures"). COMPANIES companies, each with one queue
# and AGENTS available agents (inserted with SQL: no password hashing), so
# every call is offered at once to a free agent and nothing waits for an
# answerer. The setup is made once and copied (CREATE DATABASE ... TEMPLATE)
# for each run, so both start alike.
#
# The load: one wrk per node (tests/bench/cluster-calls.lua), the same
# connections in all, every wrk round-robin over every company, so with 3
# nodes 2 requests in 3 reach a node that does not own the company and are
# forwarded to its owner (as behind a round-robin HAProxy). Each wrk stops
# before the free agents run out. Measured per run:
#   calls/s   calls created / the span of their created_at (the database's
#             clock, from the first creation to the last);
#   routed/s  calls offered to an agent / first creation to last offer;
#   POST p99  as wrk saw it, the worst of the wrks;
#   p50, p99  create-to-offer, from call_events: the call.created event's
#             `at` against its call.offered's (both PostgreSQL's now(), the
#             start of the create's and of the offer decision's transaction:
#             one clock for every node, and no client in the path);
#   CPU       user+sys of every calldockerd process (/proc/PID/stat) and
#             of PostgreSQL (the postmaster with its reaped children and
#             every live backend), before against after the load, per call
#             created; "daemon CPU" is the daemons' share of one core;
#   commits   PostgreSQL's commits (pg_stat_database) per call created.
# First, pgbench: single-row INSERT commits/s on the same server (the
# ceiling of a database doing nothing else, as tests/bench/calls.sh).
#
#   tests/bench/cluster-calls.sh		(BENCH_CLUSTER_CONNECTIONS=18,
#	BENCH_CLUSTER_AGENTS=1500 per company, BENCH_CLUSTER_COMPANIES=12,
#	BENCH_CLUSTER_SECONDS=6: the most a run may last)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
conns=${BENCH_CLUSTER_CONNECTIONS:-18}
ncomp=${BENCH_CLUSTER_COMPANIES:-12}
nagents=${BENCH_CLUSTER_AGENTS:-1500}
secs=${BENCH_CLUSTER_SECONDS:-6}
tmp=$(mktemp -d /tmp/cdcc.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "cluster-calls: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "no wrk (scripts/deps.sh --bench)"

"$top/scripts/pg.sh" start "$tmp/pg" --fast >/dev/null || die "PostgreSQL did not start"
"$top/scripts/pg.sh" createdb "$tmp/pg" tmpl >/dev/null
url() { "$top/scripts/pg.sh" url "$tmp/pg" "$1"; }
q() { psql -qAtX -v ON_ERROR_STOP=1 "$(url "$1")" -c "$2"; }
pgpid=$(head -n 1 "$tmp/pg/data/postmaster.pid")
secret=bench-secret-0123456789abcdefghijklmnop

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=()
# start I DB [CLUSTER]: node I on database DB
start() {
	local d=$tmp/n$1
	mkdir -p "$d"
	chmod 0700 "$d"
	port[$1]=$(free_port)
	env CALLDOCKER_DATABASE_URL="$(url "$2")" ${3:+CALLDOCKER_CLUSTER=$3} \
		CALLDOCKER_NODE_NAME="n$1" CALLDOCKER_JWT_SECRET=$secret \
		CALLDOCKER_RATE_LIMIT_IP=0 CALLDOCKER_RATE_LIMIT_TOKEN=0 \
		CALLDOCKER_MAX_CONNECTIONS_PER_ADDRESS=0 \
		"$top/bin/calldockerd" --socket "$d/s" --listen "127.0.0.1:${port[$1]}" \
		--data-dir "$d" --log-level warn </dev/null 2>>"$d/log" &
	pids[$1]=$!
	for _ in $(seq 200); do
		curl -sf --unix-socket "$d/s" http://x/ready >/dev/null && return
		sleep 0.1
	done
	tail -n 20 "$d/log" >&2
	die "node $1 did not start"
}
stop_all() {
	local p i
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for ((i = 0; i < 150; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	pids=()
}
sock() { # I METHOD PATH [BODY]: as the socket's admin
	curl -sf --unix-socket "$tmp/n$1/s" -X "$2" -H 'Content-Type: application/json' \
		${4:+--data-binary "$4"} "http://x$3"
}

# ---- the setup, once: companies and queues through the API (one node, to
# migrate the schema), an admin and its token, then the agents with SQL.
start 0 tmpl
sock 0 POST /api/users '{"email":"admin@cc.test","role":"admin","password":"Sturdy-Lantern-42"}' \
	>/dev/null || die "admin"
token=$(curl -sf -H 'Content-Type: application/json' \
	-d '{"email":"admin@cc.test","password":"Sturdy-Lantern-42"}' \
	"http://127.0.0.1:${port[0]}/api/auth/login" | jq -r .access_token)
[[ -n $token && $token != null ]] || die "login"
: >"$tmp/targets"
for ((c = 0; c < ncomp; c++)); do
	co=$(sock 0 POST /api/companies "{\"name\":\"Co $c\",\"timezone\":\"UTC\"}" | jq -r .id)
	qu=$(sock 0 POST "/api/queues?company_id=$co" \
		"{\"name\":\"q\",\"company_id\":\"$co\",\"ring_timeout\":600,\"miss_limit\":0}" | jq -r .id)
	[[ -n $co && -n $qu && $qu != null ]] || die "company $c"
	echo "$co $qu" >>"$tmp/targets"
done
stop_all
q tmpl "
	INSERT INTO users (company_id, email, name, role, password_hash)
	SELECT q.company_id, 'a' || i || '.' || q.id || '@cc.test', 'a' || i, 'agent', '!'
	FROM queues q, generate_series(1, $nagents) i;
	INSERT INTO agents (company_id, user_id, name, state)
	SELECT company_id, id, name, 'available' FROM users WHERE role = 'agent';
	INSERT INTO queue_members (queue_id, agent_id)
	SELECT q.id, a.id FROM queues q JOIN agents a USING (company_id) ORDER BY a.name;" ||
	die "agents"
q tmpl "CHECKPOINT" >/dev/null

# ---- the database alone: pgbench INSERT commits/s (as tests/bench/calls.sh)
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)
q postgres "CREATE DATABASE pgb TEMPLATE tmpl" >/dev/null
q pgb "CREATE TABLE base (LIKE public.calls INCLUDING ALL)" >/dev/null
read -r co qu <"$tmp/targets"
echo "INSERT INTO base (company_id, queue_id, caller_number, caller_data, priority, skills, media, state, enqueued_at) VALUES ('$co', '$qu', '+15550199', '{}', 0, '{}', 'voice', 'queued', now());" >"$tmp/insert.sql"
pgbtps=$("$pgbench" -n -M prepared -f "$tmp/insert.sql" -c 16 -j 2 -T 5 "$(url pgb)" 2>&1 |
	awk '/^tps = / { printf "%.0f", $3 }')

# CPU ticks (user+sys) of PID, with its reaped children's when $2 is set
ticks() {
	awk -v c="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (c != "") t += $14 + $15; print t }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}
pg_ticks() {
	local t p
	t=$(ticks "$pgpid" children)
	for p in $(pgrep -P "$pgpid"); do t=$((t + $(ticks "$p"))); done
	echo "$t"
}
daemon_ticks() {
	local t=0 p
	for p in "${pids[@]}"; do t=$((t + $(ticks "$p"))); done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# ---- one run: N nodes on a fresh copy
declare -A res conn evs
runs=()
run() { # LABEL N CLUSTERED AFFINITY
	local label=$1 n=$2 clu=$3 aff=$4 db=run$1 i cap d0 p0 x0 t0 t1 d1 p1 x1 made offered lat co qu
	local post wp=() span ospan
	q postgres "CREATE DATABASE $db TEMPLATE tmpl" >/dev/null
	for ((i = 1; i <= n; i++)); do
		if ((clu)); then start "$i" "$db" bench; else start "$i" "$db"; fi
	done
	if ((clu)); then
		# every company owned by a live node
		for _ in $(seq 100); do
			[[ $(q "$db" "SELECT count(*) FROM cluster_leases l JOIN cluster_nodes c
				ON c.id = l.node_id WHERE l.name LIKE 'company:%'
				AND l.expires_at > now() AND c.expires_at > now()") == "$ncomp" ]] && break
			sleep 0.2
		done
	fi
	# each company answers a decision-free read (its owner's engine built)
	for ((i = 1; i <= n; i++)); do
		if ((aff)); then
			: >"$tmp/targets.$i"
		else
			cp "$tmp/targets" "$tmp/targets.$i"
		fi
	done
	while read -r co qu; do
		sock 1 GET "/api/queues/$qu/stats?company_id=$co" >/dev/null || die "company $co does not answer"
		if ((aff)); then
			i=$(q "$db" "SELECT substr(c.name, 2) FROM cluster_leases l JOIN cluster_nodes c
				ON c.id = l.node_id WHERE l.name = 'company:$co'")
			echo "$co $qu" >>"$tmp/targets.$i"
		fi
	done <"$tmp/targets"
	x0=$(q "$db" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'")
	d0=$(daemon_ticks) p0=$(pg_ticks) t0=$(date +%s%N)
	for ((i = 1; i <= n; i++)); do
		# no more calls than 90% of the agents of this wrk's companies
		cap=$(( $(wc -l <"$tmp/targets.$i") * nagents * 9 / 10 ))
		((aff)) || cap=$((cap / n))
		((cap > 0)) || continue
		BENCH_TARGETS=$tmp/targets.$i BENCH_TOKEN=$token BENCH_CAP=$cap BENCH_START=$((i * 5)) \
			wrk -t1 -c$((conns / n)) -d"${secs}s" --latency -s tests/bench/cluster-calls.lua \
			"http://127.0.0.1:${port[$i]}/api/calls" >"$tmp/wrk.$label.$i" 2>&1 &
		wp+=($!)
	done
	wait "${wp[@]}" 2>/dev/null || true
	t1=$(date +%s%N)
	# the offers of the last calls, then the counters
	sleep 0.5
	d1=$(daemon_ticks) p1=$(pg_ticks)
	x1=$(q "$db" "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'")
	# the rates over the database's own span: from the first call's
	# creation to the last's (created), to the last offer (routed); wrk
	# runs out its -d even when its threads stopped at their cap
	read -r made span ospan < <(q "$db" "SELECT count(*), extract(epoch FROM max(created_at) - min(created_at)),
		(SELECT extract(epoch FROM max(at)) FROM call_events WHERE type = 'call.offered')
		- extract(epoch FROM min(created_at)) FROM calls" | tr '|' ' ')
	read -r offered lat < <(q "$db" "SELECT count(*), round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 2)
		|| ' ' || round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 2)
		FROM (SELECT extract(epoch FROM o.at - c.at) AS d
		      FROM call_events c JOIN call_events o ON o.call_id = c.call_id
		      WHERE c.type = 'call.created' AND o.type = 'call.offered') x" | tr '|' ' ')
	# POST p99 as wrk saw it: the worst of the wrks
	post=$(cat "$tmp"/wrk."$label".* | awk '$1 == "99%" {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000
		if (v > m) m = v } END { printf "%.1f", m }')
	res[$label]=$(awk -v n="$label" -v made="$made" -v off="$offered" -v lat="$lat" \
		-v t="$(( (t1 - t0) / 1000 ))" -v d="$((d1 - d0))" -v p="$((p1 - p0))" \
		-v x="$((x1 - x0))" -v hz="$hz" -v post="$post" -v span="$span" -v ospan="$ospan" 'BEGIN {
		split(lat, l, " "); s = t / 1e6
		printf "%s %.0f %.0f %s %s %s %.3f %.3f %.1f %d %.0f%%", n, made / span, off / ospan, l[1], l[2], post,
		    1000 * d / hz / made, 1000 * p / hz / made, x / made, made, 100 * d / hz / s }')
	# events sent to the other nodes and the NOTIFY payloads that took them
	evs[$label]=$(for ((i = 1; i <= n; i++)); do
		curl -sf --unix-socket "$tmp/n$i/s" http://x/metrics
	done | awk -v made="$made" '$1 == "calldocker_cluster_events_sent_total" { e += $2 }
		$1 == "calldocker_cluster_event_notifies_total" { p += $2 }
		END { if (p) printf "%.1f events a call, %.1f a payload", e / made, e / p; else printf "none" }')
	# the daemons' connections to PostgreSQL, a node
	conn[$label]=$(q "$db" "SELECT round(count(*)::numeric / $n, 1) FROM pg_stat_activity
		WHERE datname = '$db' AND pid <> pg_backend_pid()")
	runs+=("$label")
	cat "$tmp"/wrk."$label".* | awk -v r="$label" '/Non-2xx|Socket errors/ { print "  " r ": " $0 }'
	stop_all
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
run 1 1 0 0
run 1c 1 1 0
run 3 3 1 0
run 3a 3 1 1
load1=$(cut -d' ' -f1-3 /proc/loadavg)

echo "cluster calls: $ncomp companies x $nagents available agents, $conns connections," \
	"$(nproc) CPUs; load average before $load0, after $load1"
echo "PostgreSQL alone (pgbench, 16 conns, single-row INSERT, fsync off): $pgbtps commits/s"
echo "runs: 1 = one node, no cluster; 1c = one node of a cluster; 3 = three nodes, every"
echo "  wrk over every company (2 in 3 creates forwarded); 3a = three nodes, each wrk"
echo "  only its node's companies (no forwarding: affinity routing)"
fmt='%-5s %8s %9s %9s %9s %9s %10s %10s %8s %7s %8s\n'
printf "$fmt" run calls/s routed/s "p50 ms" "p99 ms" "POST p99" "daemon ms" "PG ms" commits calls "daemon"
printf "$fmt" "" "" "" "to offer" "to offer" ms "per call" "per call" "per call" "" "CPU"
for r in "${runs[@]}"; do
	# shellcheck disable=SC2086
	printf "$fmt" ${res[$r]}
done
echo "events to other nodes: 1c ${evs[1c]}; 3 ${evs[3]}; 3a ${evs[3a]}"
echo "connections to PostgreSQL per node after the load: 1 ${conn[1]}, 1c ${conn[1c]}, 3 ${conn[3]}, 3a ${conn[3a]}"
cpu() { read -r _ _ _ _ _ _ c g _ <<<"${res[$1]}"; echo "$c $g"; }
rate() { read -r _ c _ <<<"${res[$1]}"; echo "$c"; }
for r in 1c 3 3a; do
	read -r c1 g1 < <(cpu 1)
	read -r c3 g3 < <(cpu "$r")
	awk -v r="$r" -v r1="$(rate 1)" -v r3="$(rate "$r")" -v c1="$c1" -v c3="$c3" -v g1="$g1" -v g3="$g3" 'BEGIN {
		printf "%-2s / 1: calls/s %.2fx; daemon CPU per call %.2fx (target < 1.20x: %s); daemons + PostgreSQL %.2fx\n",
		    r, r3 / r1, c3 / c1, (c3 / c1 < 1.2 ? "met" : "NOT met"), (c3 + g3) / (c1 + g1) }'
done

#!/bin/bash
# Cross-node event latency (docs/cluster.md, "Cross-node events"): two
# nodes of one cluster on a private PostgreSQL; calls created and hung up
# through node A's REST API by P clients at once; node B's debug log
# records, for every event of A it delivers, the time from A's publication
# to B's delivery to its WebSocket hub (the same machine, one clock).
# Prints p50/p99/max and how many events each NOTIFY payload carried
# (A's /metrics).
#
#   tests/bench/cluster-events.sh [CALLS] [PARALLEL]   (default 300 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
n=${1:-300}
par=${2:-1}
tmp=$(mktemp -d /tmp/cdcev.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$top/scripts/pg.sh" start "$tmp/pg" --fast >/dev/null
"$top/scripts/pg.sh" createdb "$tmp/pg" bench >/dev/null
url=$("$top/scripts/pg.sh" url "$tmp/pg" bench)

# Each node listens on TCP too: that is where the other nodes forward live
# operations for the companies it owns (docs/cluster.md, "Forwarding to the
# owner"). Without it every create on A for a company that B owns was
# answered 503, and the script stopped there without a word.
start() { # NAME
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$tmp/$1"
	chmod 0700 "$tmp/$1"
	CALLDOCKER_DATABASE_URL=$url CALLDOCKER_CLUSTER=bench \
		CALLDOCKER_JWT_SECRET=bench-secret-0123456789abcdefghijklmnop \
		CALLDOCKER_RATE_LIMIT_IP=0 CALLDOCKER_RATE_LIMIT_TOKEN=0 \
		"$top/bin/calldockerd" --socket "$tmp/$1/s" --listen "127.0.0.1:$port" \
		--data-dir "$tmp/$1" --log-level debug 2>"$tmp/$1/log" &
	pids+=($!)
	for _ in $(seq 100); do
		curl -sf --unix-socket "$tmp/$1/s" http://x/ready >/dev/null && return
		sleep 0.1
	done
	echo "node $1 did not start" >&2
	exit 1
}

a() { # METHOD PATH [BODY]: as the socket's admin on node A
	curl -sf --unix-socket "$tmp/a/s" -X "$1" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "http://x$2"
}

# calls K: K calls created and hung up on A, one after the other.
calls() {
	local c
	for _ in $(seq "$1"); do
		c=$(a POST "/api/calls?company_id=$co" "{\"queue_id\":\"$q\",\"company_id\":\"$co\",\"caller_number\":\"+15550100\"}" | jq -r .id) &&
			a POST "/api/calls/$c/hangup?company_id=$co" '{}' >/dev/null ||
			{ echo "cluster-events: a call failed on node A" >&2; return 1; }
	done
}

start a
start b
co=$(a POST /api/companies '{"name":"Bench","timezone":"UTC"}' | jq -r .id)
q=$(a POST "/api/queues?company_id=$co" "{\"name\":\"q\",\"company_id\":\"$co\"}" | jq -r .id)
cpids=()
for _ in $(seq "$par"); do
	calls $((n / par)) &
	cpids+=($!)
done
wait "${cpids[@]}" || { echo "cluster-events: the calls failed" >&2; exit 1; }
sleep 1
grep -o 'of node [0-9a-f-]* after [0-9.]* ms' "$tmp/b/log" |
	awk '{ print $5 }' | sort -g >"$tmp/delays"
metric() { curl -sf --unix-socket "$tmp/$1/s" http://x/metrics | awk -v m="$2" '$1 == m { print $2 }'; }
sent=$(metric a calldocker_cluster_events_sent_total)
notifies=$(metric a calldocker_cluster_event_notifies_total)
awk -v s="$sent" -v p="$notifies" -v par="$par" '{ v[NR] = $1 } END {
	printf "clients=%d events=%d p50=%.3f ms p99=%.3f ms max=%.3f ms; %d events in %d payloads (%.1f a payload)\n",
	    par, NR, v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR], s, p, s / p }' "$tmp/delays"

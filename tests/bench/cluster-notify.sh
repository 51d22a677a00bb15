#!/bin/bash
# The cost of a revocation across nodes (docs/cluster.md): two nodes of one
# cluster on a private PostgreSQL; N logouts on node A, each answered after
# node B confirmed it (the barrier: NOTIFY to B, B's NOTIFY back). Prints
# the barrier's round trip (from A's debug log) and the logout's time as
# curl sees it, p50/p99/max, then the same logout time with A alone.
#
#   tests/bench/cluster-notify.sh [N]      (default 200)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
n=${1:-200}
tmp=$(mktemp -d /tmp/cdclu.XXXXXX)
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

start() { # NAME
	mkdir -p "$tmp/$1"
	chmod 0700 "$tmp/$1"
	CALLDOCKER_DATABASE_URL=$url CALLDOCKER_CLUSTER=bench \
		CALLDOCKER_JWT_SECRET=bench-secret-0123456789abcdefghijklmnop \
		CALLDOCKER_RATE_LIMIT_IP=0 CALLDOCKER_RATE_LIMIT_TOKEN=0 \
		CALLDOCKER_LOGIN_MAX_FAILURES=100000 \
		"$top/bin/calldockerd" --socket "$tmp/$1/s" --listen "" \
		--data-dir "$tmp/$1" --log-level debug 2>"$tmp/$1/log" &
	pids+=($!)
	for _ in $(seq 100); do
		curl -sf --unix-socket "$tmp/$1/s" http://x/ready >/dev/null && return
		sleep 0.1
	done
	echo "node $1 did not start" >&2
	exit 1
}

# logouts NAME FILE: N logins and logouts on NAME, each logout's seconds.
logouts() {
	local tok
	for _ in $(seq "$n"); do
		tok=$(curl -sf --unix-socket "$tmp/$1/s" -H 'Content-Type: application/json' \
			-d '{"email":"bench@cluster.test","password":"Sturdy-Lantern-42"}' \
			http://x/api/auth/login | jq -r .access_token)
		curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$tmp/$1/s" \
			-X POST -H "Authorization: Bearer $tok" http://x/api/auth/logout
	done >"$2"
}

# stats FILE (seconds, one a line): p50 p99 max in ms.
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END {
		printf "n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms\n", NR,
		    v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR] }'
}

start a
curl -sf --unix-socket "$tmp/a/s" -H 'Content-Type: application/json' \
	-d '{"email":"bench@cluster.test","role":"admin","password":"Sturdy-Lantern-42"}' \
	http://x/api/users >/dev/null
logouts a "$tmp/alone"
start b
logouts a "$tmp/two"
grep -o 'confirmed a revocation in [0-9.]* ms' "$tmp/a/log" |
	awk '{ print $5 / 1000 }' >"$tmp/barrier"
echo "barrier (NOTIFY to B and back): $(stats "$tmp/barrier")"
echo "logout, A with peer B:          $(stats "$tmp/two")"
echo "logout, A alone:                $(stats "$tmp/alone")"

#!/bin/bash
# What NOTIFY costs on the commit path (docs/cluster.md, "Cross-node
# events"): pgbench against a private PostgreSQL with fsync on (as in
# production), C clients each committing one-row inserts in transactions of
# the same shape: plain (BEGIN, INSERT, SELECT 1, END); with a pg_notify()
# in each (the notifying commits take a database-wide lock in turn); and
# plain again while one more client sends a NOTIFY after another, as the
# cross-node publisher does beside the decisions. Prints transactions per
# second and latency of the C clients.
#
#   tests/bench/notify-commit.sh [SECONDS] [CLIENTS...]   (default 10 1 8)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
secs=${1:-10}
shift || true
clients=("${@:-1}")
(($# > 0)) || clients=(1 8)
tmp=$(mktemp -d /tmp/cdnot.XXXXXX)
chmod 0711 "$tmp"
cleanup() {
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$top/scripts/pg.sh" start "$tmp/pg" >/dev/null
"$top/scripts/pg.sh" createdb "$tmp/pg" bench >/dev/null
url=$("$top/scripts/pg.sh" url "$tmp/pg" bench)
psql -qX "$url" -c 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, v int)'
printf 'BEGIN;\nINSERT INTO t (v) VALUES (1);\nSELECT 1;\nEND;\n' >"$tmp/plain.sql"
printf 'BEGIN;\nINSERT INTO t (v) VALUES (1);\nSELECT pg_notify(%s, %s);\nEND;\n' \
	"'bench'" "'0123456789abcdef0123456789abcdef'" >"$tmp/notify.sql"
chmod 0644 "$tmp"/*.sql
for c in "${clients[@]}"; do
	for s in plain notify beside; do
		f=$s
		if [[ $s == beside ]]; then
			f=plain
			pgbench -n -M prepared -c 1 -T "$secs" -f "$tmp/notify.sql" \
				"$url" >/dev/null 2>&1 &
		fi
		pgbench -n -M prepared -c "$c" -j "$((c < 2 ? c : 2))" -T "$secs" \
			-f "$tmp/$f.sql" "$url" 2>/dev/null |
			awk -v s="$s" -v c="$c" '/^latency average/ { lat = $4 }
			    /^tps/ { tps = $3 } END {
			    printf "clients=%d %-6s %8.0f tps, latency %s ms\n", c, s, tps, lat }'
		wait
	done
done

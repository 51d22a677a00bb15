#!/bin/bash
# PostgreSQL LISTEN/NOTIFY against NATS, one message at a time on loopback
# (docs/cluster.md, "Cross-node events"): a private PostgreSQL (fsync on)
# and a nats-server on a free port; needs Debian's nats-server and
# libnats-dev, which CallDocker itself does not.
#
#   tests/bench/bus-latency.sh [N]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
n=${1:-2000}
command -v nats-server >/dev/null && pkg-config --exists libnats || {
	echo "bus-latency: needs nats-server and libnats-dev" >&2; exit 1; }
tmp=$(mktemp -d /tmp/cdbus.XXXXXX)
chmod 0711 "$tmp"
npid=
cleanup() {
	[[ -n $npid ]] && kill "$npid" 2>/dev/null || true
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -o "$tmp/bus-latency" tests/bench/bus-latency.c \
	$(pkg-config --cflags --libs libpq libnats)
"$top/scripts/pg.sh" start "$tmp/pg" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nats-server -a 127.0.0.1 -p "$port" >"$tmp/nats.log" 2>&1 &
npid=$!
sleep 0.5
"$tmp/bus-latency" pg "$("$top/scripts/pg.sh" url "$tmp/pg")" "$n"
"$tmp/bus-latency" nats "nats://127.0.0.1:$port" "$n"

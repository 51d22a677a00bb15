#!/bin/bash
# make cluster: a whole cluster on one machine, for trying it out
# (docs/cluster.md, "Trying it on one machine"): PostgreSQL primary and
# synchronous standby under pg_auto_failover, three calldockerd nodes of
# cluster "demo" on the multi-host URL, HAProxy in front on one port.
#
#   scripts/cluster.sh [start]   start it afresh (data of a previous run is
#                                dropped) and print how to reach it
#   scripts/cluster.sh stop      stop everything (the nodes' and HAProxy's logs stay)
#   scripts/cluster.sh status    what runs, and HAProxy's and pg_auto_failover's
#                                view of the nodes
#   scripts/cluster.sh fail-primary
#                                kill -9 PostgreSQL's primary (its keeper and
#                                server), to watch the standby take over
#
# Environment:
#   CLUSTER_DIR    where everything lives (default ./run/cluster)
#   CLUSTER_PORT   HAProxy's port (default 8080)
#   CLUSTER_BIND   HAProxy's address (default 127.0.0.1)
#   CLUSTER_NODES  how many nodes (default 3)
# The nodes and PostgreSQL listen on 127.0.0.1, on free ports picked at
# start; the nodes also on a Unix socket each (CLUSTER_DIR/nodeN/calldockerd.sock).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
prog=cluster.sh
dir=${CLUSTER_DIR:-$top/run/cluster}
[[ $dir == /* ]] || dir=$top/$dir
port=${CLUSTER_PORT:-8080}
bind=${CLUSTER_BIND:-127.0.0.1}
nodes=${CLUSTER_NODES:-3}
daemon=$top/bin/calldockerd
cli=$top/bin/calldocker

die() { echo "$prog: $*" >&2; exit 1; }

# tests/lib/pgaf.bash runs pg_auto_failover; it needs these two.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# shellcheck source=SCRIPTDIR/../tests/lib/pgaf.bash
. "$top/tests/lib/pgaf.bash"

alive() { # PIDFILE
	[[ -s $1 ]] && kill -0 "$(<"$1")" 2>/dev/null
}

hap() {
	python3 "$top/scripts/haproxy/admin.py" "$dir/haproxy.sock" "$@"
}

node_ready() { # N
	curl -fsS -o /dev/null --max-time 2 \
		--unix-socket "$dir/node$1/calldockerd.sock" http://localhost/ready 2>/dev/null
}

all_up() {
	local s
	s=$(hap status rest 2>/dev/null) || return 1
	[[ $(grep -c ' UP ' <<<"$s") == "$nodes" ]]
}

# A password that meets the policy (as scripts/run.sh makes them).
genpw() {
	local pw
	while :; do
		pw=$(head -c 15 /dev/urandom | base64)
		[[ $pw =~ [a-z] && $pw =~ [A-Z0-9] ]] && break
	done
	printf '%s' "$pw"
}

start_node() { # N
	local n=$1 d=$dir/node$1 p
	p=$(free_port)
	mkdir -p "$d/data"
	chmod 0700 "$d/data"
	echo "$p" >"$d/port"
	# HAProxy and every client of this demo are on 127.0.0.1, one address
	# for all: no per-address limits in the nodes (docs/cluster.md, "Client
	# addresses", for a real deployment's trusted_proxies).
	(
		exec </dev/null >>"$d/log" 2>&1
		exec setsid env CALLDOCKER_DATABASE_URL="$AF_URL" \
			CALLDOCKER_NODE_NAME="node$n" \
			CALLDOCKER_CLUSTER_URL="http://127.0.0.1:$p" \
			CALLDOCKER_RATE_LIMIT_IP=0 \
			CALLDOCKER_MAX_CONNECTIONS_PER_ADDRESS=0 \
			"$daemon" --cluster demo --listen "127.0.0.1:$p" \
			--socket "$d/calldockerd.sock" --data-dir "$d/data"
	) &
	echo $! >"$d/pid"
	wait_for 60 node_ready "$n" || {
		echo "$prog: node$n not ready; the end of $d/log:" >&2
		tail -n 20 "$d/log" >&2
		return 1
	}
}

start() {
	local n servers=() pw
	[[ -x $daemon && -x $cli ]] || die "build first (make)"
	command -v haproxy >/dev/null || die "no haproxy (scripts/deps.sh installs it)"
	command -v pg_autoctl >/dev/null ||
		die "no pg_autoctl (scripts/deps.sh installs postgresql-15-auto-failover)"
	[[ $nodes =~ ^[1-9][0-9]*$ ]] || die "CLUSTER_NODES: \"$nodes\" is not a number"
	alive "$dir/haproxy.pid" && die "already running in $dir (scripts/cluster.sh stop)"
	for n in "$dir"/node*/pid; do
		alive "$n" && die "already running in $dir (scripts/cluster.sh stop)"
	done
	python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], int(sys.argv[2])))' "$bind" "$port" 2>/dev/null ||
		die "$bind:$port is taken: set CLUSTER_PORT"
	# PostgreSQL's sockets live in DIR/pg/sock (at most 107 bytes).
	((${#dir} <= 80)) || die "CLUSTER_DIR \"$dir\" is too long for a socket path"

	rm -rf "$dir"
	mkdir -p "$dir"
	chmod 0711 "$dir"
	if ((EUID == 0)) && ! runuser -u postgres -- test -x "$dir"; then
		die "the postgres user cannot reach $dir: make its parents searchable or set CLUSTER_DIR"
	fi

	echo "$prog: PostgreSQL primary and standby (pg_auto_failover) in $dir/pg ..." >&2
	af_start calldocker "$dir/pg" || {
		echo "$prog: pg_auto_failover did not start; its logs:" >&2
		tail -n 5 "$dir"/pg/*.log >&2 || true
		return 1
	}
	echo "$AF_URL" >"$dir/database_url"
	# Start-up runs with "set -e" off (start is called with ||): every
	# step that can fail says so with "|| return 1".

	for ((n = 1; n <= nodes; n++)); do
		echo "$prog: node$n ..." >&2
		start_node "$n" || return 1
		servers+=("node$n=127.0.0.1:$(<"$dir/node$n/port")")
	done

	scripts/haproxy/render.sh --bind "$bind:$port" \
		--stats-socket "$dir/haproxy.sock" "${servers[@]}" >"$dir/haproxy.cfg" &&
		haproxy -c -q -f "$dir/haproxy.cfg" || return 1
	(
		exec </dev/null >>"$dir/haproxy.log" 2>&1
		exec setsid haproxy -db -f "$dir/haproxy.cfg"
	) &
	echo $! >"$dir/haproxy.pid"
	wait_for 30 all_up || {
		echo "$prog: HAProxy does not see every node up:" >&2
		hap status >&2 || true
		return 1
	}

	pw=$(genpw)
	"$cli" --host "unix://$dir/node1/calldockerd.sock" users create \
		--email admin@calldocker.local --role admin --name "Cluster Admin" \
		--password-stdin -q <<<"$pw" >/dev/null || return 1
	(umask 077; printf 'admin@calldocker.local %s\n' "$pw" >"$dir/admin")

	cat <<-EOF

		CallDocker cluster "demo": $nodes nodes behind HAProxy, PostgreSQL with a standby.

		  REST and WebSocket   http://$bind:$port   (ws://$bind:$port/ws)
		  admin                admin@calldocker.local  $pw   (also in $dir/admin)
		  sign in              bin/calldocker --host http://$bind:$port login
		  nodes                bin/calldocker --host unix://$dir/node1/calldockerd.sock settings status
		  HAProxy's view       scripts/haproxy/admin.py $dir/haproxy.sock status
		  a node dies          kill -9 \$(cat $dir/node2/pid)
		  the primary dies     scripts/cluster.sh fail-primary
		  logs                 $dir/node*/log, $dir/haproxy.log, $dir/pg/*.log
		  stop                 make cluster-stop   (or scripts/cluster.sh stop)

		docs/cluster.md says what the nodes share today.
	EOF
}

stop() {
	local p i
	if [[ -s $dir/haproxy.pid ]]; then
		kill -TERM "$(<"$dir/haproxy.pid")" 2>/dev/null || true
		rm -f "$dir/haproxy.pid"
	fi
	for p in "$dir"/node*/pid; do
		[[ -s $p ]] || continue
		kill -TERM "$(<"$p")" 2>/dev/null || true
	done
	# Each drains its requests first (drain_timeout, 10 s by default).
	for p in "$dir"/node*/pid; do
		[[ -s $p ]] || continue
		for ((i = 0; i < 200; i++)); do
			kill -0 "$(<"$p")" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$(<"$p")" 2>/dev/null || true
		rm -f "$p"
	done
	if [[ -d $dir/pg ]]; then
		AF_DIR=$dir/pg
		af_stop
	fi
	echo "$prog: stopped; logs in $dir" >&2
}

status() {
	local p name rc=0
	[[ -e $dir/haproxy.cfg ]] || { echo "$prog: nothing started in $dir" >&2; return 3; }
	for p in "$dir"/node*/pid "$dir/haproxy.pid"; do
		[[ -e $p ]] || continue
		name=$(basename "$(dirname "$p")")
		[[ $p == */haproxy.pid ]] && name=haproxy
		if alive "$p"; then
			echo "$name: running (pid $(<"$p"))"
		else
			echo "$name: not running"
			rc=3
		fi
	done
	if [[ -S $dir/haproxy.sock ]] && alive "$dir/haproxy.pid"; then
		hap status rest || rc=3
	fi
	if [[ -d $dir/pg ]]; then
		AF_DIR=$dir/pg
		af_state || rc=3
	fi
	return $rc
}

# The primary's machine dies: kill -9 its pg_autoctl keeper and postmaster.
fail_primary() {
	local n
	[[ -d $dir/pg ]] || die "not running in $dir"
	AF_DIR=$dir/pg AF_DB=calldocker
	n=$(af_primary) || die "no primary now (scripts/cluster.sh status)"
	af_kill "$n"
	echo "$prog: killed $n (the primary); the standby takes over in seconds" >&2
}

case ${1:-start} in
start)
	start || { echo "$prog: start failed; stopping what started" >&2; stop; exit 1; } ;;
stop) stop ;;
status) status ;;
fail-primary) fail_primary ;;
-h|--help) sed -n '6,22s/^# \{0,1\}//p' "$0" ;;
*) echo "usage: scripts/cluster.sh [start|stop|status|fail-primary]" >&2; exit 2 ;;
esac

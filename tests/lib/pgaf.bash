# A PostgreSQL primary and a synchronous standby managed by pg_auto_failover
# (Debian postgresql-15-auto-failover, pg_autoctl), for the failover suite:
#
#   af_start [DB] [DIR]
#                     monitor, node n1 (primary), node n2 (standby); sets AF_DIR,
#                     AF_URL (the daemon's multi-host conninfo) and AF_DB; in
#                     DIR (made, and emptied first) instead of a temp dir
#                     (scripts/cluster.sh)
#   af_primary        the node that takes writes (n1 or n2), as the monitor says
#   af_kill NODE      kill -9 the node's whole process group: its pg_autoctl
#                     keeper and its postmaster (the machine dying)
#   af_psql NODE SQL  psql -At on NODE's database
#   af_stop           stop everything and remove AF_DIR (safe to call twice,
#                     and after a failed af_start)
#
# Everything lives under one temp dir in /tmp (the postgres user must reach
# it; we run as root in CI), or DIR. Clients reach the servers on Unix sockets in
# AF_DIR/sock. pg_auto_failover itself needs TCP: the monitor checks the
# nodes' health and the standby streams from the primary at the address
# each node registered (--hostname), and a Unix socket directory is not
# accepted there. So the three servers listen on 127.0.0.1 only, on
# ephemeral ports picked at run time (free_port), never a fixed one.
#
# Timeouts, tuned down from pg_auto_failover's defaults so that a dead
# primary is replaced in seconds rather than half a minute (set in the
# monitor's postgresql.auto.conf, read at its start):
#   pgautofailover.health_check_period          1000 ms (default 5000)
#   pgautofailover.health_check_timeout         1000 ms (default 5000)
#   pgautofailover.health_check_max_retries     1       (default 2)
#   pgautofailover.health_check_retry_delay     500 ms  (default 2000)
#   pgautofailover.node_considered_unhealthy_timeout
#                                               2000 ms (default 20000)
#   pgautofailover.startup_grace_period         2000 ms (default 10000)
#   pgautofailover.primary_demote_timeout       3000 ms (default 30000): how
#                                               long the promoted standby stays
#                                               read-only ("stop_replication")
#                                               waiting for the old primary to
#                                               report its demotion; it must
#                                               exceed the keepers'
#                                               network_partition_timeout
# and in each keeper's configuration (pg_autoctl config set):
#   timeout.network_partition_timeout           2 s  (default 20): a primary
#                                               cut off from the monitor and
#                                               its standby demotes itself
#   timeout.prepare_promotion_catchup           10 s (default 30)
#   timeout.prepare_promotion_walreceiver       2 s  (default 5)
# Synchronous replication is pg_auto_failover's default for two nodes that
# both have replication-quorum true (number_sync_standbys 0): the primary
# runs with synchronous_standby_names = 'ANY 1 (pgautofailover_standby_N)'
# while the standby is in the "secondary" state, so a COMMIT is
# acknowledged only once the standby has the WAL. af_start waits for it.
# fsync is off (throwaway data; the standby, not the disk, is what a
# failover needs).

AF_BIN=/usr/lib/postgresql/15/bin

# Run as the servers' owner, with no inherited descriptors beyond 0-2 (a
# bats fd 3 held by a server would hang bats).
# Who runs the servers, and their environment (arrays do not survive
# bats's export from setup_file to the tests: made afresh each time).
af_vars() {
	AF_OWNER=()
	((EUID != 0)) || AF_OWNER=(runuser -u postgres --)
	AF_ENV=(PGHOST="$AF_DIR/sock" XDG_CONFIG_HOME="$AF_DIR/cfg"
		XDG_DATA_HOME="$AF_DIR/share" XDG_RUNTIME_DIR="$AF_DIR/rt"
		PATH="$AF_BIN:$PATH")
}

af_as() {
	af_vars
	(cd "$AF_DIR" && exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &&
		exec "${AF_OWNER[@]}" env "${AF_ENV[@]}" "$@")
}

# af_spawn NAME: "pg_autoctl run" for NAME in a process group of its own
# (setsid): its keeper or monitor and the postmaster it starts. Its log is
# AF_DIR/NAME.log, its group id AF_DIR/NAME.pgid.
af_spawn() {
	local name=$1
	af_vars
	(
		cd "$AF_DIR"
		exec 3>&- </dev/null >>"$AF_DIR/$name.log" 2>&1
		setsid bash -c 'echo $$ >"$0.new"; mv "$0.new" "$0"; shift; exec "$@"' \
			"$AF_DIR/$name.pgid" - "${AF_OWNER[@]}" env "${AF_ENV[@]}" \
			pg_autoctl run --pgdata "$AF_DIR/$name" &
	)
	wait_for 5 test -s "$AF_DIR/$name.pgid"
}

af_initdb() {
	af_as "$AF_BIN/initdb" -D "$AF_DIR/$1" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 --no-instructions >>"$AF_DIR/initdb.log" 2>&1
	# postgresql.auto.conf is read last: it wins over what pg_autoctl
	# writes. The standby's copy comes with its base backup.
	af_as tee -a "$AF_DIR/$1/postgresql.auto.conf" >/dev/null <<-EOF
		unix_socket_directories = '$AF_DIR/sock'
		listen_addresses = '127.0.0.1'
		fsync = off
	EOF
}

af_state() {
	af_as pg_autoctl show state --pgdata "$AF_DIR/mon" 2>/dev/null
}

# Both nodes in their steady states: one primary, one secondary.
af_steady() {
	local s
	s=$(af_state) || return 1
	grep -Eq '\|[[:space:]]+primary[[:space:]]+\|[[:space:]]+primary[[:space:]]*$' <<<"$s" &&
		grep -Eq '\|[[:space:]]+secondary[[:space:]]+\|[[:space:]]+secondary[[:space:]]*$' <<<"$s"
}

af_node_state() {
	af_state | awk -F'|' -v n="$1" '{ gsub(/ /, "", $1) } $1 == n {
		gsub(/ /, "", $6); gsub(/ /, "", $7); print $6 "/" $7 }'
}

# The node that takes writes: "primary", or "wait_primary" (a primary
# whose standby is gone: it commits without waiting for one).
af_primary() {
	local n
	for n in n1 n2; do
		[[ $(af_node_state "$n") =~ ^(wait_)?primary/(wait_)?primary$ ]] &&
			{ echo "$n"; return 0; }
	done
	return 1
}

af_psql() {
	af_as "$AF_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$AF_DIR/sock" \
		-p "$(<"$AF_DIR/$1.port")" -U postgres -d "$AF_DB" -c "$2"
}

af_keeper() {
	local name=$1 port=$2
	af_as pg_autoctl create postgres --pgctl "$AF_BIN/pg_ctl" \
		--pgdata "$AF_DIR/$name" --pgport "$port" --listen 127.0.0.1 \
		--hostname 127.0.0.1 --name "$name" --auth trust --no-ssl \
		--dbname "$AF_DB" --monitor "$AF_MON" >>"$AF_DIR/$name.log" 2>&1 || return 1
	af_as pg_autoctl config set --pgdata "$AF_DIR/$name" \
		timeout.network_partition_timeout 2 >/dev/null &&
	af_as pg_autoctl config set --pgdata "$AF_DIR/$name" \
		timeout.prepare_promotion_catchup 10 >/dev/null &&
	af_as pg_autoctl config set --pgdata "$AF_DIR/$name" \
		timeout.prepare_promotion_walreceiver 2 >/dev/null || return 1
	af_spawn "$name"
}

af_start() {
	local pm p1 p2
	if [[ -n ${2:-} ]]; then
		AF_DIR=$2
		rm -rf "$AF_DIR"
		mkdir -p "$AF_DIR"
	else
		AF_DIR=$(mktemp -d /tmp/cdaf.XXXXXX)
	fi
	AF_DB=${1:-calldocker}
	export AF_DIR AF_DB
	chmod 0711 "$AF_DIR"
	((EUID != 0)) || chown postgres: "$AF_DIR"
	af_as mkdir -p "$AF_DIR/sock" "$AF_DIR/cfg" "$AF_DIR/share" "$AF_DIR/rt"
	af_as chmod 0700 "$AF_DIR/rt"
	pm=$(free_port); p1=$(free_port); p2=$(free_port)
	echo "$p1" >"$AF_DIR/n1.port"
	echo "$p2" >"$AF_DIR/n2.port"

	af_initdb mon || return 1
	af_as tee -a "$AF_DIR/mon/postgresql.auto.conf" >/dev/null <<-EOF
		pgautofailover.health_check_period = 1000
		pgautofailover.health_check_timeout = 1000
		pgautofailover.health_check_max_retries = 1
		pgautofailover.health_check_retry_delay = 500
		pgautofailover.node_considered_unhealthy_timeout = 2000
		pgautofailover.startup_grace_period = 2000
		pgautofailover.primary_demote_timeout = 3000
	EOF
	af_as pg_autoctl create monitor --pgctl "$AF_BIN/pg_ctl" \
		--pgdata "$AF_DIR/mon" --pgport "$pm" --hostname 127.0.0.1 \
		--auth trust --no-ssl >>"$AF_DIR/mon.log" 2>&1 || return 1
	af_as pg_autoctl config set --pgdata "$AF_DIR/mon" \
		postgresql.listen_addresses 127.0.0.1 >/dev/null || return 1
	af_spawn mon
	AF_MON="postgres://autoctl_node@127.0.0.1:$pm/pg_auto_failover?sslmode=disable"
	wait_for 30 af_as "$AF_BIN/pg_isready" -q -h 127.0.0.1 -p "$pm" || return 1

	# The primary's data dir is ours, so that its settings (sockets,
	# loopback only) are in place before pg_autoctl starts it.
	af_initdb n1 || return 1
	af_keeper n1 "$p1" || return 1
	wait_for 60 eval '[[ $(af_node_state n1) == single/single ]]' || return 1
	af_keeper n2 "$p2" || return 1
	wait_for 90 af_steady || { af_state >&2; return 1; }
	# Synchronous: the primary waits for the standby's flush.
	wait_for 20 eval '[[ $(af_psql n1 "show synchronous_standby_names") == ANY\ 1* ]]' ||
		return 1

	AF_URL="host=$AF_DIR/sock,$AF_DIR/sock port=$p1,$p2 user=postgres dbname=$AF_DB target_session_attrs=read-write"
	export AF_URL
}

af_kill() {
	local pgid
	pgid=$(<"$AF_DIR/$1.pgid")
	kill -KILL -- "-$pgid" 2>/dev/null || true
}

af_stop() {
	local n pgid i
	[[ -n ${AF_DIR:-} && -d $AF_DIR ]] || return 0
	# Keepers first (a live keeper restarts its postgres), monitor last.
	# SIGINT is pg_autoctl's fast shutdown: about 2 s a node here, where
	# SIGTERM (smart) took about 7.
	for n in n1 n2 mon; do
		[[ -s $AF_DIR/$n.pgid ]] || continue
		pgid=$(<"$AF_DIR/$n.pgid")
		kill -INT -- "-$pgid" 2>/dev/null || continue
		for ((i = 0; i < 100; i++)); do
			kill -0 -- "-$pgid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pgid" 2>/dev/null || true
	done
	# A postmaster that outlived its group (it was started by pg_ctl in
	# its own session): stop it by its pid file.
	for n in n1 n2 mon; do
		[[ -f $AF_DIR/$n/postmaster.pid ]] || continue
		pgid=$(head -n1 "$AF_DIR/$n/postmaster.pid" 2>/dev/null || true)
		[[ $pgid =~ ^[0-9]+$ && -r /proc/$pgid/cmdline ]] &&
			grep -qa "$AF_DIR/$n" "/proc/$pgid/cmdline" &&
			kill -KILL "$pgid" 2>/dev/null || true
	done
	rm -rf "$AF_DIR"
	AF_DIR=
}

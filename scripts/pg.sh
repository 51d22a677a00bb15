#!/bin/bash
# A private PostgreSQL cluster in one directory, listening on a Unix socket
# only (no TCP port to clash with), for make run and make test.
#
#   scripts/pg.sh start DIR [--fast]   initdb if needed, start (no-op if running);
#                                      --fast: fsync off, for throwaway test data
#   scripts/pg.sh stop DIR             stop (no-op if not running)
#   scripts/pg.sh status DIR           exit 0 if running, 3 if not
#   scripts/pg.sh url DIR [DBNAME]     print a libpq conninfo (default db: postgres)
#   scripts/pg.sh createdb DIR NAME    create a database (no-op if it exists)
#   scripts/pg.sh dropdb DIR NAME      drop a database (no-op if absent)
#   scripts/pg.sh psql DIR [ARGS...]   psql on the cluster
#
# Layout: DIR/data (cluster), DIR/run (socket), DIR/postgres.log.
# initdb refuses to run as root: as root the cluster belongs to the postgres
# user, which must be able to reach DIR (every parent searchable).
set -euo pipefail

prog=pg.sh
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '5,12s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

pgbin() {
	local b
	# Newest installed server version first.
	for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
		if [[ -x $b/$1 ]]; then echo "$b/$1"; return; fi
	done
	command -v "$1" 2>/dev/null || die "$1 not found (install postgresql: scripts/deps.sh)"
}

# Run a server program as the cluster's owner, from a directory it can read,
# with no inherited descriptors beyond 0-2 (a bats fd 3 held by the
# postmaster would hang bats).
as_owner() {
	if ((EUID == 0)); then
		(cd "$dir" && exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &&
			exec runuser -u postgres -- "$@")
	else
		(cd "$dir" && exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && exec "$@")
	fi
}

# The database superuser: the owner of the data directory.
db_user() {
	if [[ -d $dir/data ]]; then
		stat -c %U "$dir/data"
	elif ((EUID == 0)); then
		echo postgres
	else
		id -un
	fi
}

# Quote a conninfo value only when it needs it.
ci_quote() {
	if [[ $1 =~ ^[A-Za-z0-9_./@:+-]+$ ]]; then
		printf '%s' "$1"
	else
		local v=${1//\\/\\\\}
		printf "'%s'" "${v//\'/\\\'}"
	fi
}

running() {
	[[ -f $dir/data/PG_VERSION ]] || return 1
	local pidfile=$dir/data/postmaster.pid pid
	[[ -f $pidfile ]] || return 1
	pid=$(head -n1 "$pidfile" 2>/dev/null || true)
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	# A pid reused by another program (after a reboot or a kill -9) is stale.
	[[ -r /proc/$pid/comm && $(</proc/$pid/comm) == postgres* ]] || return 1
	as_owner "$(pgbin pg_ctl)" -D "$dir/data" status >/dev/null 2>&1
}

check_reachable() {
	((EUID == 0)) || return 0
	getent passwd postgres >/dev/null ||
		die "no postgres user (install postgresql: scripts/deps.sh)"
	local p=$dir
	while [[ -n $p && $p != / ]]; do
		p=$(dirname "$p")
		if ! runuser -u postgres -- test -x "$p" 2>/dev/null; then
			die "the postgres user cannot reach $dir: $p is not searchable" \
			    "(chmod o+x $p, or use a directory elsewhere)"
		fi
	done
}

cmd_start() {
	local fast=0
	for a in "$@"; do
		case $a in
		--fast) fast=1 ;;
		*) usage ;;
		esac
	done
	if running; then
		return 0
	fi
	mkdir -p "$dir"
	check_reachable
	if ((EUID == 0)); then
		chown postgres: "$dir"
		[[ -d $dir/data ]] && chown -R postgres: "$dir/data"
	fi
	chmod 0700 "$dir"
	# root keeps access through its capabilities; nobody else needs it.
	as_owner mkdir -p "$dir/run"
	as_owner chmod 0700 "$dir/run"

	if [[ ! -f $dir/data/PG_VERSION ]]; then
		rm -rf "$dir/data"
		as_owner "$(pgbin initdb)" -D "$dir/data" -U "$(db_user)" \
			--auth=trust -E UTF8 --locale=C.UTF-8 --no-instructions \
			>"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
	fi

	# Not running: whatever lock files remain are stale.
	rm -f "$dir/data/postmaster.pid" "$dir/run"/.s.PGSQL.*

	local opts="-c listen_addresses='' -k '$dir/run' -c unix_socket_permissions=0700"
	opts+=" -c max_connections=200"
	if ((fast)); then
		opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	fi
	if ! as_owner "$(pgbin pg_ctl)" -D "$dir/data" -l "$dir/postgres.log" \
		-o "$opts" -w -t 60 start >/dev/null; then
		tail -n 20 "$dir/postgres.log" >&2 || true
		die "could not start PostgreSQL in $dir (log: $dir/postgres.log)"
	fi
}

cmd_stop() {
	running || return 0
	as_owner "$(pgbin pg_ctl)" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

cmd_url() {
	local db=${1:-postgres}
	printf 'host=%s dbname=%s user=%s\n' "$(ci_quote "$dir/run")" \
		"$(ci_quote "$db")" "$(ci_quote "$(db_user)")"
}

psql_run() {
	PGOPTIONS='-c client_min_messages=warning' \
		"$(pgbin psql)" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -U "$(db_user)" "$@"
}

valid_name() {
	[[ $1 =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]] || die "bad database name \"$1\""
}

cmd_createdb() {
	(($# == 1)) || usage
	valid_name "$1"
	running || die "cluster in $dir is not running"
	local have
	have=$(psql_run -d postgres -tA -c \
		"SELECT 1 FROM pg_database WHERE datname = '$1'")
	[[ $have == 1 ]] || psql_run -d postgres -c "CREATE DATABASE \"$1\""
}

cmd_dropdb() {
	(($# == 1)) || usage
	valid_name "$1"
	running || return 0
	psql_run -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

(($# >= 2)) || usage
cmd=$1
dir=$2
shift 2
[[ $dir == /* ]] || dir=$PWD/$dir
dir=$(realpath -m "$dir")

case $cmd in
start)		cmd_start "$@" ;;
stop)		(($# == 0)) || usage; cmd_stop ;;
status)		(($# == 0)) || usage; running || exit 3 ;;
url)		(($# <= 1)) || usage; cmd_url "$@" ;;
createdb)	cmd_createdb "$@" ;;
dropdb)		cmd_dropdb "$@" ;;
psql)		running || die "cluster in $dir is not running"; psql_run -d postgres "$@" ;;
*)		usage ;;
esac

#!/bin/bash
# Render scripts/haproxy/calldocker.cfg.in for a set of calldockerd nodes
# (docs/cluster.md, "Load balancer and systemd"); the configuration goes
# to standard output.
#
#   render.sh [--bind ADDR] [--stats-socket PATH] [--user NAME] NAME=HOST:PORT...
#
#   --bind ADDR          what HAProxy listens on: HAProxy's bind line, so
#                        ":443 ssl crt /etc/haproxy/calldocker.pem" works
#                        (default :8080)
#   --stats-socket PATH  its admin socket (default /run/haproxy/admin.sock)
#   --user NAME          run as NAME (user and group), chrooted to
#                        /var/lib/haproxy, as Debian's haproxy package expects
#   NAME=HOST:PORT       a node: its name and the address of its --listen
set -euo pipefail

usage() {
	echo "usage: render.sh [--bind ADDR] [--stats-socket PATH] [--user NAME] NAME=HOST:PORT..." >&2
	exit 2
}

bind=:8080 stats=/run/haproxy/admin.sock user=
nodes=()
while (($#)); do
	case $1 in
	--bind) (($# >= 2)) || usage; bind=$2; shift 2 ;;
	--stats-socket) (($# >= 2)) || usage; stats=$2; shift 2 ;;
	--user) (($# >= 2)) || usage; user=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "render.sh: unknown option \"$1\"" >&2; usage ;;
	*)
		[[ $1 =~ ^[A-Za-z0-9_.-]+=[^=[:space:]]+:[0-9]+$ ]] ||
			{ echo "render.sh: bad node \"$1\": expected NAME=HOST:PORT" >&2; exit 2; }
		nodes+=("$1")
		shift ;;
	esac
done
((${#nodes[@]} > 0)) || { echo "render.sh: no nodes" >&2; usage; }

global=
[[ -z $user ]] ||
	global=$(printf '\tuser %s\n\tgroup %s\n\tchroot /var/lib/haproxy' "$user" "$user")

# A line naming @NAME@ or @ADDR@ once per node; the rest once, with
# @BIND@, @STATS_SOCKET@ and @GLOBAL@ replaced.
awk -v bind="$bind" -v stats="$stats" -v global="$global" \
    -v nodes="${nodes[*]}" '
	function subst(s, from, to,   i, out) {
		out = ""
		while ((i = index(s, from)) > 0) {
			out = out substr(s, 1, i - 1) to
			s = substr(s, i + length(from))
		}
		return out s
	}
	BEGIN { n = split(nodes, node, " ") }
	/@NAME@|@ADDR@/ {
		for (i = 1; i <= n; i++) {
			eq = index(node[i], "=")
			line = subst($0, "@NAME@", substr(node[i], 1, eq - 1))
			print subst(line, "@ADDR@", substr(node[i], eq + 1))
		}
		next
	}
	$0 == "@GLOBAL@" { if (global != "") print global; next }
	{
		line = subst($0, "@BIND@", bind)
		print subst(line, "@STATS_SOCKET@", stats)
	}
' "$(dirname "$0")/calldocker.cfg.in"

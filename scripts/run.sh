#!/bin/bash
# make run: the daemon in the foreground against a private PostgreSQL under
# ./var/pg (unless CALLDOCKER_DATABASE_URL is set), data in ./var/data, demo
# accounts seeded once. Ctrl-C stops the daemon; the cluster keeps running
# (scripts/pg.sh stop var/pg stops it).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
daemon=$top/bin/calldockerd
cli=$top/bin/calldocker
[[ -x $daemon && -x $cli ]] || { echo "run.sh: build first (make)" >&2; exit 1; }

mkdir -p var
chmod 0755 var

own_pg=0
if [[ -z ${CALLDOCKER_DATABASE_URL:-} ]]; then
	scripts/pg.sh start var/pg
	scripts/pg.sh createdb var/pg calldocker
	CALLDOCKER_DATABASE_URL=$(scripts/pg.sh url var/pg calldocker)
	export CALLDOCKER_DATABASE_URL
	own_pg=1
	echo "run.sh: PostgreSQL: private cluster in var/pg ($CALLDOCKER_DATABASE_URL)" >&2
fi

mkdir -p var/data
chmod 0700 var/data

# The socket the daemon picks by itself (config_default_socket()), unless
# told otherwise; the CLI follows the same rule.
if [[ -n ${CALLDOCKER_SOCKET:-} ]]; then
	sock=$CALLDOCKER_SOCKET
elif [[ ${XDG_RUNTIME_DIR:-} == /* ]]; then
	sock=$XDG_RUNTIME_DIR/calldocker/calldockerd.sock
elif ((EUID == 0)); then
	sock=/run/calldocker/calldockerd.sock
else
	sock=/tmp/calldocker-$(id -u)/calldockerd.sock
fi

pg_note() {
	if ((own_pg)); then
		echo "run.sh: PostgreSQL in var/pg is still running;" \
			"stop it with: scripts/pg.sh stop var/pg" >&2
	fi
}

"$daemon" --data-dir "$top/var/data" &
pid=$!

stopping=0
stop_daemon() {
	stopping=1
	kill -TERM "$pid" 2>/dev/null || true
}
trap stop_daemon INT TERM HUP

# Foreground semantics: wait for the daemon, forwarding signals, and exit
# with its status.
wait_daemon() {
	local rc=0 r
	while :; do
		wait "$pid" && rc=0 || rc=$?
		kill -0 "$pid" 2>/dev/null || break
	done
	if ((rc > 128)); then
		# wait was cut short by a signal as the daemon exited: get its status.
		wait "$pid" 2>/dev/null && rc=0 || { r=$?; ((r == 127)) || rc=$r; }
	fi
	pg_note
	exit "$rc"
}

# Wait for /ready over the socket.
ready=0
for ((i = 0; i < 600; i++)); do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run.sh: calldockerd exited during start-up" >&2
		wait_daemon
	fi
	((stopping)) && wait_daemon
	if [[ -S $sock ]] && curl -fsS -o /dev/null --max-time 2 \
		--unix-socket "$sock" http://localhost/ready 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
if ((!ready)); then
	echo "run.sh: calldockerd not ready on $sock after 60 s; stopping it" >&2
	stop_daemon
	wait_daemon
fi

# A password that meets the policy: 20 characters from 15 random bytes,
# with lower case and at least one more class.
genpw() {
	local pw
	while :; do
		pw=$(head -c 15 /dev/urandom | base64)
		[[ $pw =~ [a-z] && $pw =~ [A-Z0-9] ]] && break
	done
	printf '%s' "$pw"
}

c() { "$cli" --host "unix://$sock" "$@"; }

seed() {
	local admin_pw manager_pw agent1_pw agent2_pw company
	admin_pw=$(genpw) manager_pw=$(genpw) agent1_pw=$(genpw) agent2_pw=$(genpw)

	c users create --email admin@calldocker.local --role admin \
		--name "System Admin" --password-stdin -q <<<"$admin_pw" >/dev/null
	company=$(c companies create --name Acme --timezone UTC -q)
	[[ -n $company ]] || { echo "run.sh: companies create printed no id" >&2; return 1; }
	c users create --email manager@acme.test --role manager --company "$company" \
		--name "Acme Manager" --password-stdin -q <<<"$manager_pw" >/dev/null
	local u1 u2 a1 a2
	u1=$(c users create --email agent1@acme.test --role agent --company "$company" \
		--name "Agent One" --password-stdin -q <<<"$agent1_pw")
	u2=$(c users create --email agent2@acme.test --role agent --company "$company" \
		--name "Agent Two" --password-stdin -q <<<"$agent2_pw")
	# Both take calls, Agent One also in Spanish, from the queue "Support".
	a1=$(c agents create --user "$u1" --skill spanish:3 -q)
	a2=$(c agents create --user "$u2" -q)
	c queues create --company "$company" --name Support --member "$a1" \
		--member "$a2" -q >/dev/null
	# The entry flow calls created with {"ivr": true} walk.
	c --company "$company" ivr import --activate scripts/demo-flow.yaml >/dev/null
	c --company "$company" ivr activate "Acme main line" --entry >/dev/null

	{
		echo "# demo data created by scripts/run.sh; delete to seed again"
		echo "# (after dropping the database: scripts/pg.sh dropdb var/pg calldocker)"
		echo "seeded_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "company=Acme $company"
		echo "users=admin@calldocker.local manager@acme.test agent1@acme.test agent2@acme.test"
	} >var/seeded

	local line='+--------------------------------------------------------------------+'
	local row='| %-8s %-26s %-31s|\n'
	{
		echo
		echo "$line"
		printf '| %-67s|\n' "CallDocker demo accounts -- passwords are shown only this once"
		echo "$line"
		printf "$row" role e-mail password
		printf "$row" admin admin@calldocker.local "$admin_pw"
		printf "$row" manager manager@acme.test "$manager_pw"
		printf "$row" agent agent1@acme.test "$agent1_pw"
		printf "$row" agent agent2@acme.test "$agent2_pw"
		echo "$line"
		printf '| %-67s|\n' "company Acme (UTC): $company"
		printf '| %-67s|\n' "API: ${CALLDOCKER_LISTEN:-127.0.0.1:8080}, socket: $sock"
		echo "$line"
		echo
	} >&2
}

if [[ -e var/seeded ]]; then
	echo "run.sh: demo data already seeded (var/seeded); calldockerd is ready" >&2
elif ! seed; then
	echo "run.sh: seeding the demo data failed; calldockerd keeps running" >&2
fi
echo "run.sh: socket $sock; Ctrl-C stops calldockerd" >&2

wait_daemon

#!/usr/bin/env bats
# PostgreSQL failover (issue 12, item 5). A primary and a synchronous
# standby managed by pg_auto_failover (tests/lib/pgaf.bash); the daemon
# connects with a multi-host conninfo and target_session_attrs=read-write.
# A client creates calls in a loop; the primary's node is killed (-9, its
# keeper and its postmaster); pg_auto_failover promotes the standby; the
# daemon serves again by itself, every acknowledged call is in the new
# primary, and its background connections (the cluster heartbeat, its
# LISTEN, the webhook outbox) work there too. The outage (the longest wait
# between two 201s from the kill on) goes to the TAP diagnostics as
# "# outage N ms".

load lib/common
load lib/pgaf

# Bound on the whole outage: pg_auto_failover tuned as in pgaf.bash takes
# a few seconds; this is well above it, for a loaded machine.
BOUND=60

ms() { date +%s%3N; }

# The load: creates calls until $CD_TMP/stop exists, one line per answer:
# "MS STATUS ID" (ID "-" when there is none) in $CD_TMP/load.log.
load_loop() {
	local i=0 t code body id
	while [[ ! -e $CD_TMP/stop ]]; do
		i=$((i + 1))
		body=$(curl -s --max-time 10 -w '\n%{http_code}' -X POST \
			--unix-socket "$CD_SOCK" -H 'Content-Type: application/json' \
			-H "Authorization: Bearer $MGR" -H 'Expect:' \
			--data-binary "{\"queue_id\":\"$Q\",\"caller_number\":\"+1555$i\"}" \
			http://localhost/api/calls 2>/dev/null) || true
		t=$(ms)
		code=${body##*$'\n'}
		id=-
		[[ $code == 201 ]] && id=$(jq -r .id <<<"${body%$'\n'*}")
		echo "$t ${code:-000} $id" >>"$CD_TMP/load.log"
	done
}

# Number of 201s answered after MS.
created_since() {
	awk -v t="$1" '$1 > t && $2 == 201 { n++ } END { print n + 0 }' \
		"$CD_TMP/load.log"
}

setup_file() {
	export CD_TMP=$BATS_FILE_TMPDIR
	export CD_SUITE=t0840-pg-failover
	[[ -x $CD_DAEMON ]] || { echo "no $CD_DAEMON: run make first" >&2; return 1; }
	command -v pg_autoctl >/dev/null ||
		{ echo "no pg_autoctl: scripts/deps.sh installs postgresql-15-auto-failover" >&2; return 1; }
	af_start calldocker
	export CD_DBURL=$AF_URL
	# db_timeout 2: a request that meets the dead primary answers 503
	# within 2 s rather than the default 5.
	daemon_start main CALLDOCKER_DB_TIMEOUT=2 \
		CALLDOCKER_OUTBOUND_ALLOW_PRIVATE=1 CALLDOCKER_WEBHOOK_RETRY_BASE=0.1
	CO=$(mkcompany "Failover Co")
	mkuser lead@failover.test manager "$CO" >/dev/null
	MGR=$(login lead@failover.test)
	api POST /api/queues '{"name":"Failover"}' "$MGR" >/dev/null
	Q=$(jget .id)
	# A webhook receiver: the outbox's connection must find the new
	# primary too.
	HOOKLOG=$CD_TMP/hooks.jsonl
	python3 "$TOP/tests/lib/hookrecv.py" serve --port-file "$CD_TMP/recv.port" \
		--log "$HOOKLOG" 3>&- &
	echo $! >"$CD_TMP/recv.pid"
	wait_for 5 test -f "$CD_TMP/recv.port"
	api POST "/api/webhooks/company/$CO" "$(jq -nc \
		--arg u "http://127.0.0.1:$(<"$CD_TMP/recv.port")/ok/calls" \
		'{url: $u, events: ["call.created"]}')" "$MGR" >/dev/null
	[[ $status == 201 ]] || { echo "webhook: $status $output" >&2; return 1; }
	export CO MGR Q HOOKLOG
}

teardown_file() {
	local rc=0 p
	touch "$CD_TMP/stop"
	p=$(cat "$CD_TMP/recv.pid" 2>/dev/null) && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
	cd_teardown || rc=1
	af_stop || rc=1
	return $rc
}

@test "the daemon is connected to the primary through the multi-host URL" {
	[[ $AF_URL == host=*,*' port='*,*' '*target_session_attrs=read-write* ]]
	api GET /ready
	assert_status 200
	[[ $(af_primary) == n1 ]]
	# The migrations ran on the primary and reached the standby.
	wait_for 10 eval '[[ $(af_psql n2 "select count(*) from calls where false") == 0 ]]'
	[[ $(af_psql n1 "show synchronous_standby_names") == ANY\ 1* ]]
}

@test "kill -9 the primary under load: the daemon serves again by itself, no acknowledged call lost" {
	local before kill_at t_last t_first outage new ids missing n
	: >"$CD_TMP/load.log"
	load_loop 3>&- &
	before=$(ms)
	wait_for 30 eval '(($(created_since '"$before"') >= 20))'

	kill_at=$(ms)
	af_kill n1
	# pg_auto_failover notices and promotes n2.
	wait_for "$BOUND" eval '[[ $(af_primary) == n2 ]]' || { af_state >&2; false; }
	# The daemon finds it by itself: creates succeed again.
	wait_for "$BOUND" eval '(($(created_since '"$kill_at"') >= 20))' ||
		{ tail -n 40 "$CD_LOG" >&2; false; }
	touch "$CD_TMP/stop"
	wait

	# The outage: the longest wait between two successive 201s from the
	# last one answered before the kill on. (A create in flight at the
	# kill may still be answered 201 just after it: committed before.)
	read -r t_last t_first < <(awk -v t="$kill_at" '
		$2 != 201 { next }
		$1 <= t { p = $1; next }
		p != "" && $1 - p > g { g = $1 - p; a = p; b = $1 }
		{ p = $1 }
		END { print a, b }' "$CD_TMP/load.log")
	outage=$((t_first - t_last))
	echo "# outage $outage ms (from the kill to service back:" \
		"$((t_first - kill_at)) ms; answers meanwhile: $(awk -v a="$t_last" -v b="$t_first" \
		'$1 > a && $1 < b { c[$2]++ } END { for (k in c) printf "%s x%d ", k, c[k] }' \
		"$CD_TMP/load.log"))" >&3
	((outage < BOUND * 1000))

	# Every acknowledged call is in the new primary.
	awk '$2 == 201 { print $3 }' "$CD_TMP/load.log" | sort -u >"$CD_TMP/acked"
	n=$(wc -l <"$CD_TMP/acked")
	ids=$(paste -sd, "$CD_TMP/acked")
	af_psql n2 "select id from calls where id = any('{$ids}'::uuid[])" |
		sort -u >"$CD_TMP/found"
	missing=$(comm -23 "$CD_TMP/acked" "$CD_TMP/found")
	[[ -z $missing ]] || { echo "acknowledged but lost ($n acked): $missing" >&2; false; }
	echo "# $n acknowledged calls, all in the new primary" >&3

	api GET /ready
	assert_status 200
}

@test "after the failover the cluster heartbeat and its LISTEN work on the new primary" {
	local sid hb
	# The heartbeat renews this node's row on the new primary.
	hb=$(af_psql n2 "select extract(epoch from heartbeat_at) from cluster_nodes where pid = $CD_PID")
	wait_for 20 eval '[[ $(af_psql n2 "select extract(epoch from heartbeat_at) > '"${hb:-0}"' from cluster_nodes where pid = $CD_PID") == t ]]'
	# A revocation sent on the new primary reaches the node's LISTEN.
	login_pair lead@failover.test
	sid=$(jwt_claims "$ACCESS" | jq -r .sid)
	[[ -n $sid && $sid != null ]]
	api GET /api/auth/profile "" "$ACCESS"
	assert_status 200
	af_psql n2 "notify calldocker_revoke, '$sid $(($(date +%s) + 3600))'"
	wait_for 10 eval 'api GET /api/auth/profile "" "$ACCESS" >/dev/null; [[ $status == 401 ]]'
}

# The call ids the receiver got a call.created for.
hooked() {
	jq -r '.body | fromjson | select(.type == "call.created") | .data.call.id' \
		"$HOOKLOG" 2>/dev/null | sort -u
}
all_hooked() { [[ -z $(comm -23 "$CD_TMP/acked" <(hooked)) ]]; }

@test "after the failover the outbox delivers from the new primary: a webhook for every acknowledged call" {
	wait_for 30 all_hooked ||
		{ echo "no webhook for: $(comm -23 "$CD_TMP/acked" <(hooked) | head)" >&2; false; }
	echo "# $(wc -l <"$CD_TMP/acked") acknowledged calls, a call.created webhook for each" >&3
}

# One create; sets status.
create() {
	api POST /api/calls "{\"queue_id\":\"$Q\",\"caller_number\":\"+15550001\"}" "$MGR" >/dev/null
}
created() { create; [[ $status == 201 ]]; }

@test "a primary that turns read-only answers 503, and writes resume when it takes writes again" {
	local p
	p=$(af_primary)
	created
	# What a connection sees when its server becomes a standby under it:
	# every write refused with SQLSTATE 25006 on a connection that works.
	af_psql "$p" "alter system set default_transaction_read_only = on"
	af_psql "$p" "select pg_reload_conf()" >/dev/null
	wait_for 20 eval 'create; [[ $status == 503 ]]'
	assert_problem 503 unavailable
	grep -q 'read-only (a standby now); reconnecting' "$CD_LOG"
	af_psql "$p" "alter system reset default_transaction_read_only"
	af_psql "$p" "select pg_reload_conf()" >/dev/null
	wait_for 20 created
}

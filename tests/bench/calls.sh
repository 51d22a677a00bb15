# Sourced by tests/bench/run.sh after its own runs, with its daemon, token
# and helpers: the ACD engine benchmark, the time from POST /api/calls to the
# agent's offer, and sustained call creation (persisted and routed) against
# a bare PostgreSQL baseline: pgbench INSERTs on the same server (issue 13).

echo
echo "make bench: calls (issue 3)"

# The engine alone: 1,000 agents, 10,000 waiting calls, 20 queues.
if [[ -x build/bench/acd-bench ]]; then
	build/bench/acd-bench | sed 's/^/  /'
fi

authpost() { # PATH JSON -> body (as the manager)
	curl -fsS --unix-socket "$sock" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $token" --data-binary "$2" "http://localhost$1"
}
authput() {
	curl -fsS -X PUT --unix-socket "$sock" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $token" --data-binary "$2" "http://localhost$1"
}

# 50 agents, all available, in a queue with no backlog: each new call is
# offered at once. The delay is read from call_events: offer - creation.
nagents=50
members='[]'
for ((i = 0; i < nagents; i++)); do
	u=$(post /api/users "$(jq -nc --arg c "$company" --arg p "$pw" --arg e "agent$i@bench.test" \
		'{email: $e, role: "agent", company_id: $c, password: $p}')" | jq -r .id) || die "agent user"
	a=$(authpost /api/agents "$(jq -nc --arg u "$u" '{user_id: $u}')" | jq -r .id) || die "agent"
	members=$(jq -c --arg a "$a" '. + [{agent_id: $a}]' <<<"$members")
	authput "/api/agents/$a/availability" '{"state":"available"}' >/dev/null || die "availability"
done
qfast=$(authpost /api/queues "$(jq -nc --argjson m "$members" \
	'{name: "Fast", ring_timeout: 600, members: $m}')" | jq -r .id) || die "queue"
for ((i = 0; i < nagents; i++)); do
	authpost /api/calls "{\"queue_id\":\"$qfast\"}" >/dev/null || die "call"
done
sleep 1
dburl=$(scripts/pg.sh url "$tmp/pg" calldocker_bench)
read -r offered p50 p99 < <(psql "$dburl" -Atq -F' ' -c "
	SELECT count(*), round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 3),
	       round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 3)
	FROM (SELECT extract(epoch FROM o.at - c.at) AS d
	      FROM call_events c JOIN call_events o ON o.call_id = c.call_id
	      WHERE c.type = 'call.created' AND o.type = 'call.offered'
	      AND c.call_id IN (SELECT id FROM calls WHERE queue_id = '$qfast')) x")

# Sustained creation into a queue whose agents are all busy ringing: every
# call is validated, persisted with its events and handed to the ACD. 16
# clients: at 32 the same throughput only queues longer (Little's law).
qload=$(authpost /api/queues "$(jq -nc --argjson m "$members" '{name: "Load", members: $m}')" |
	jq -r .id) || die "queue"
cconns=16

# The bare PostgreSQL baseline (issue 13): pgbench on this run's server and
# database, so with its durability settings (scripts/pg.sh --fast), with
# single-row INSERTs into a table shaped like calls (LIKE calls INCLUDING
# ALL: columns, defaults, checks and indexes; no triggers, no foreign keys,
# no events), the columns the daemon's create sets, each statement its own
# committed transaction, prepared as the daemon's are. As many clients as
# wrk's (docs/performance.md says why), run before and after the daemon's
# wrk run; once more with the daemon's worker count for creates.
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)
PGOPTIONS="-c client_min_messages=warning" psql "$dburl" -Xq -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS bench_base CASCADE" \
	-c "CREATE SCHEMA bench_base" \
	-c "CREATE TABLE bench_base.calls (LIKE public.calls INCLUDING ALL)" ||
	die "baseline table"
cat >"$tmp/insert.sql" <<'SQL'
INSERT INTO bench_base.calls (company_id, queue_id, caller_number, caller_data, priority, skills, media, state, enqueued_at) VALUES (:company, :queue, '+15550199', '{}', 0, '{}', 'voice', 'queued', now());
SQL
durability=$(psql "$dburl" -XAtq -F= -c "SELECT name, setting FROM pg_settings
	WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')
	ORDER BY name" | paste -sd' ')
workers=$(curl -fsS --unix-socket "$sock" http://localhost/metrics |
	awk '$1 == "calldocker_worker_cap{type=\"fast\"}" { print $2 }')
workers=${workers:-4}
# wrk's duration (10s, 1m) in whole seconds for pgbench -T
secs=$(awk -v d="$dur" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; else if (d ~ /h$/) n *= 3600
	print (n >= 1 ? int(n) : 1) }')
# pgb NAME CLIENTS: pgbench's report in $tmp/NAME.txt; "tps p99_ms" on stdout
# (p99 from the latency of one transaction in ten, logged by pgbench).
pgb() {
	local name=$1 c=$2 j=$((threads < $2 ? threads : $2))
	rm -f "$tmp/$name.log"*
	echo "bench: pgbench -n -M prepared -c$c -j$j -T$secs (INSERT into bench_base.calls)" >&2
	(cd "$tmp" && "$pgbench" -n -M prepared -f "$tmp/insert.sql" -c "$c" -j "$j" \
		-T "$secs" -D company="$company" -D queue="$qload" -l --sampling-rate=0.1 \
		--log-prefix="$tmp/$name.log" "$dburl") >"$tmp/$name.txt" 2>&1
	sed 's/^/    /' "$tmp/$name.txt" >&2
	printf '%s %s\n' \
		"$(awk '/^tps = / { printf "%.0f", $3 }' "$tmp/$name.txt")" \
		"$(cat "$tmp/$name.log"* 2>/dev/null | awk '{ print $3 }' | sort -n |
			awk '{ v[NR] = $1 } END { if (!NR) exit
				i = int(NR * 0.99); if (i < NR * 0.99) i++
				printf "%.2f", v[i] / 1000 }')"
	rm -f "$tmp/$name.log"*
}
read -r b1rps b1p99 < <(pgb base1 "$cconns")

export BENCH_TOKEN=$token BENCH_QUEUE=$qload
run calls "http://127.0.0.1:$dport/api/calls" \
	-s tests/bench/calls.lua -c "$cconns"
crps=$(rps calls) cp99=$(p99 calls)

read -r b2rps b2p99 < <(pgb base2 "$cconns")
read -r bwrps bwp99 < <(pgb basew "$workers")
PGOPTIONS="-c client_min_messages=warning" psql "$dburl" -Xq -c "DROP SCHEMA bench_base CASCADE"
made=$(psql "$dburl" -Atq -c "SELECT count(*) FROM calls WHERE queue_id = '$qload'")

printf '%-34s %10s %10s\n' measure value target
printf '%-34s %10s %10s  %s\n' "POST -> offer p50 (ms, n=$offered)" "$p50" "" ""
printf '%-34s %10s %10s  %s\n' "POST -> offer p99 (ms)" "$p99" "< 5" "$(mark lt "$p99" 5)"
printf '%-34s %10s %10s  %s\n' "POST /api/calls req/s (16 conns)" "$crps" ">= 2000" "$(mark ge "$crps" 2000)"
printf '%-34s %10s %10s  %s\n' "POST /api/calls p99 (ms)" "$cp99" "< 20" "$(mark lt "$cp99" 20)"
printf '%-34s %10s\n' "calls persisted" "$made"
printf 'calls/s / nginx req/s = %s (each POST also closes its connection)\n' \
	"$(ratio "$crps" "$(rps nginx)")"

mean() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "") printf "%.2f", (a + b) / 2 }'; }
brps=$(mean "$b1rps" "$b2rps") bp99=$(mean "$b1p99" "$b2p99")
brps=${brps%.*}
echo
echo "bare PostgreSQL baseline (issue 13), same server and database: $durability"
printf '%-40s %16s %14s\n' measure "per second" "p99 ms"
printf '%-40s %16s %14s\n' "pgbench INSERT, $cconns conns, before / after" \
	"${b1rps:-?} / ${b2rps:-?}" "${b1p99:-?} / ${b2p99:-?}"
printf '%-40s %16s %14s\n' "pgbench INSERT, $workers conns (daemon workers)" "${bwrps:-?}" "${bwp99:-?}"
printf '%-40s %16s %14s\n' "POST /api/calls, $cconns conns" "${crps%.*}" "$cp99"
cr=$(ratio "$crps" "$brps")
verdict "calls / baseline" "${cr}x" "(${crps%.*} / ${brps:-?} per s)" ">= 0.50x" "$(mark ge "$cr" 0.5)"
verdict "calls p99" "$cp99 ms" "(baseline $bp99 ms)" "< 10 ms" "$(mark lt "$cp99" 10)"
printf 'calls / baseline at %s conns = %sx\n' "$workers" "$(ratio "$crps" "$bwrps")"

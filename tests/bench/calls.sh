# Sourced by tests/bench/run.sh after its own runs, with its daemon, token
# and helpers: the ACD engine benchmark, the time from POST /api/calls to the
# agent's offer, and sustained call creation (persisted and routed).

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
export BENCH_TOKEN=$token BENCH_QUEUE=$qload
run calls "http://127.0.0.1:$dport/api/calls" \
	-s tests/bench/calls.lua -c 16
crps=$(rps calls) cp99=$(p99 calls)
made=$(psql "$dburl" -Atq -c "SELECT count(*) FROM calls WHERE queue_id = '$qload'")

printf '%-34s %10s %10s\n' measure value target
printf '%-34s %10s %10s  %s\n' "POST -> offer p50 (ms, n=$offered)" "$p50" "" ""
printf '%-34s %10s %10s  %s\n' "POST -> offer p99 (ms)" "$p99" "< 5" "$(mark lt "$p99" 5)"
printf '%-34s %10s %10s  %s\n' "POST /api/calls req/s (16 conns)" "$crps" ">= 2000" "$(mark ge "$crps" 2000)"
printf '%-34s %10s %10s  %s\n' "POST /api/calls p99 (ms)" "$cp99" "< 20" "$(mark lt "$cp99" 20)"
printf '%-34s %10s\n' "calls persisted" "$made"
printf 'calls/s / nginx req/s = %s (each POST also closes its connection)\n' \
	"$(ratio "$crps" "$(rps nginx)")"

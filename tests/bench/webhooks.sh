# Sourced by tests/bench/run.sh after the others, with its daemon, nginx,
# company and helpers: webhook deliveries per second from the outbox to
# nginx on loopback (four endpoints, so the default 8 in flight per endpoint
# fill the sender's 32), against the same nginx answering the same POSTs
# from wrk with as many connections (32).

echo
echo "make bench: webhooks (issue 6)"
nhooks=${BENCH_WEBHOOKS:-5000}
hookdb=$(scripts/pg.sh url "$tmp/pg" calldocker_bench)
hooks=()
for i in 1 2 3 4; do
	hooks+=("$(post "/api/webhooks/company/$company" "$(jq -nc --arg u "http://127.0.0.1:$nport/hook$i" \
		'{url: $u, events: ["webhook.test"]}')" | jq -r .id)") || die "webhook"
done
hook_list=$(printf "'%s'," "${hooks[@]}")
hook_list=${hook_list%,}
payload=$(jq -nc '{type: "webhook.test", timestamp: "2026-01-01T00:00:00Z",
	data: {call: {id: "00000000-0000-0000-0000-000000000000", state: "queued",
	caller_number: "+4930555000", queue_id: null, wait_seconds: 12.5}}}')

# The outbox rows appear in one transaction; time until all are delivered.
start=$(date +%s.%N)
psql "$hookdb" -Atq -v ON_ERROR_STOP=1 -c "
	INSERT INTO webhook_deliveries (webhook_id, company_id, event_type, payload)
	SELECT (ARRAY[$hook_list]::uuid[])[1 + n % 4], '$company', 'webhook.test',
	'$payload'::jsonb FROM generate_series(1, $nhooks) n;
	NOTIFY webhook_outbox;" || die "outbox insert"
for ((i = 0; i < 1200; i++)); do
	done_n=$(psql "$hookdb" -Atq -c "SELECT count(*) FROM webhook_deliveries
		WHERE webhook_id IN ($hook_list) AND state <> 'pending'")
	((done_n >= nhooks)) && break
	sleep 0.05
done
end=$(date +%s.%N)
failed=$(psql "$hookdb" -Atq -c "SELECT count(*) FROM webhook_deliveries
	WHERE webhook_id IN ($hook_list) AND state = 'failed'")
d_rps=$(awk -v n="$done_n" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

cat >"$tmp/hook.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$payload]]
LUA
echo "bench: wrk -t1 -c32 -d3s -s hook.lua (POST $((${#payload})) bytes to nginx)" >&2
wrk -t1 -c32 -d3s -s "$tmp/hook.lua" "http://127.0.0.1:$nport/hook" >"$tmp/hookref.txt" 2>&1
r_rps=$(rps hookref)
printf '%-36s %10s\n' "webhook deliveries ($done_n, $failed failed)" "$d_rps/s"
printf '%-36s %10s\n' "wrk POST to the same nginx, c=32" "${r_rps:-?}/s"
echo "deliveries / wrk = $(awk -v a="$d_rps" -v b="${r_rps:-0}" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "n/a" }')x (each delivery: claim, sign, POST, record in PostgreSQL)"

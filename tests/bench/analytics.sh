# Sourced by tests/bench/run.sh with its daemon ($sock), database ($tmp/pg)
# and helpers: the analytics overview over a year of 1,000,000 generated
# calls, answered from the hourly rollup and summed live from the calls
# (?rollup=false, what every request did before the rollup), against a
# plain count(*) over the same calls measured in the same run.
#
#   BENCH_ANALYTICS_CALLS=1000000 BENCH_ANALYTICS_REQUESTS=41

echo
echo "make bench: analytics (issue 6)"

acalls=${BENCH_ANALYTICS_CALLS:-1000000}
areqs=${BENCH_ANALYTICS_REQUESTS:-41}
adb=$(scripts/pg.sh url "$tmp/pg" calldocker_bench)
apsql() { psql "$adb" -qAtX -v ON_ERROR_STOP=1 "$@"; }
aget() { # PATH -> the body; the seconds taken go to $tmp/atime
	curl -fsS --unix-socket "$sock" -o "$tmp/abody" -w '%{time_total}\n' \
		"http://localhost$1" >>"$tmp/atime"
}
# median and p99 (ms) of the times in $tmp/atime
astats() {
	sort -g "$tmp/atime" | awk '{ v[NR] = $1 * 1000 } END {
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]
		if (p == "") p = v[NR]
		printf "%.1f %.1f\n", m, p }'
}

aco=$(curl -fsS --unix-socket "$sock" -H 'Content-Type: application/json' \
	--data-binary '{"name":"Analytics Bench Co","timezone":"Europe/Berlin"}' \
	http://localhost/api/companies | jq -r .id) || die "analytics company"

# Ten queues; a year of calls ending an hour ago: 80% answered (4% held
# for 10 s), 15% abandoned, 5% missed after a missed offer. A bulk import:
# triggers off (the bench's user owns the cluster), so the first refresh
# builds the whole rollup.
t0=$(date +%s.%N)
apsql -c "SELECT setseed(0.42);
SET session_replication_role = replica;
INSERT INTO queues (company_id, name, sl_threshold)
SELECT '$aco', 'Q' || i, 10 + 5 * i FROM generate_series(1, 10) i;
CREATE TEMP TABLE aq AS SELECT row_number() OVER (ORDER BY name) - 1 AS n, id
	FROM queues WHERE company_id = '$aco';
CREATE TEMP TABLE g AS
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid AS id, i,
	date_trunc('hour', now()) - interval '1 hour'
	    - (interval '365 days') * ($acalls - i)::float8 / $acalls AS t,
	random() AS r, (random() * 90)::int AS w, 20 + (random() * 600)::int AS talk
FROM generate_series(1, $acalls) i;
INSERT INTO calls (id, company_id, queue_id, state, created_at, enqueued_at,
	answered_at, ended_at, wait_seconds, talk_seconds)
SELECT g.id, '$aco', aq.id,
	CASE WHEN g.r < 0.80 THEN 'completed' WHEN g.r < 0.95 THEN 'abandoned'
	    ELSE 'missed' END::call_state,
	g.t - interval '5 seconds', g.t,
	CASE WHEN g.r < 0.80 THEN g.t + g.w * interval '1 second' END,
	g.t + (g.w + g.talk) * interval '1 second', g.w,
	CASE WHEN g.r < 0.80 THEN g.talk END
FROM g JOIN aq ON aq.n = g.i % 10;
INSERT INTO call_events (call_id, company_id, at, type)
SELECT g.id, '$aco', g.t + (g.w + 10) * interval '1 second', 'call.held'
FROM g WHERE g.r < 0.04;
INSERT INTO call_events (call_id, company_id, at, type)
SELECT g.id, '$aco', g.t + (g.w + 20) * interval '1 second', 'call.resumed'
FROM g WHERE g.r < 0.04;
INSERT INTO call_events (call_id, company_id, at, type)
SELECT g.id, '$aco', g.t + interval '15 seconds', 'call.offer_missed'
FROM g WHERE g.r >= 0.95;" >/dev/null || die "could not generate the calls"
# As autovacuum would leave them: statistics and a visibility map.
apsql -c "VACUUM (ANALYZE) calls" -c "VACUUM (ANALYZE) call_events" ||
	die "vacuum"
t1=$(date +%s.%N)
apsql -c "SELECT analytics_rollup_refresh(100000)" >/dev/null || die "refresh"
t2=$(date +%s.%N)

from=$(date -u -d '366 days ago' +%Y-%m-%dT%H:00:00Z)
to=$(date -u -d '1 hour' +%Y-%m-%dT%H:00:00Z)
path="/api/analytics/company/$aco/overview?from=$from&to=$to"

# The first request, on cold caches and unprepared statements; then a
# warm-up request for each worker, then the timed ones.
: >"$tmp/atime"
aget "$path" || die "overview"
roll_first=$(awk '{ printf "%.1f", $1 * 1000 }' "$tmp/atime")
for ((i = 0; i < 8; i++)); do aget "$path" || die "overview"; done
: >"$tmp/atime"
for ((i = 0; i < areqs; i++)); do aget "$path" || die "overview"; done
read -r roll_med roll_p99 < <(astats)
roll_offered=$(jq .offered "$tmp/abody")
: >"$tmp/atime"
aget "$path&rollup=false" || die "overview"	# seconds: once
read -r raw_med raw_p99 < <(astats)
raw_offered=$(jq .offered "$tmp/abody")
# The year by day in the company's time zone, and the insights.
: >"$tmp/atime"
for ((i = 0; i < 11; i++)); do
	aget "/api/analytics/company/$aco/calls?from=$from&to=$to&interval=day" ||
		die "calls by day"
done
read -r day_med day_p99 < <(astats)
: >"$tmp/atime"
for ((i = 0; i < 11; i++)); do
	aget "/api/analytics/company/$aco/insights?from=$from&to=$to" || die "insights"
done
read -r ins_med ins_p99 < <(astats)
# The reference: count(*) over the same calls, in one session.
ref_med=$(apsql -c '\timing on' \
	-c "SELECT count(*) FROM calls WHERE company_id = '$aco'" \
	-c "SELECT count(*) FROM calls WHERE company_id = '$aco'" \
	-c "SELECT count(*) FROM calls WHERE company_id = '$aco'" |
	awk '/^Time:/ { print $2 }' | sort -g | sed -n 2p)

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
printf '%-44s %10s\n' "calls generated (s)" "$(secs "$t0" "$t1")"
printf '%-44s %10s\n' "first rollup refresh, a year (s)" "$(secs "$t1" "$t2")"
printf '%-44s %10s %10s %10s\n' measure "median ms" "p99 ms" target
printf '%-44s %10s %10s %10s  %s\n' "overview, a year, rollup (n=$areqs)" "$roll_med" "$roll_p99" "< 100" "$(mark lt "$roll_p99" 100)"
printf '%-44s %10s\n' "overview, a year, rollup, first request" "$roll_first"
printf '%-44s %10s %10s\n' "calls by day, a year, rollup (n=11)" "$day_med" "$day_p99"
printf '%-44s %10s %10s\n' "insights, a year, rollup (n=11)" "$ins_med" "$ins_p99"
printf '%-44s %10s %10s\n' "overview, a year, live from calls (n=1)" "$raw_med" "$raw_p99"
printf '%-44s %10s\n' "reference: SELECT count(*) of those calls" "$ref_med"
echo "rollup / count(*) = $(ratio "$roll_med" "$ref_med")x   live / count(*) = $(ratio "$raw_med" "$ref_med")x   live / rollup = $(ratio "$raw_med" "$roll_med")x"
[[ $roll_offered == "$raw_offered" && $roll_offered == "$acalls" ]] ||
	echo "warning: offered differs: rollup $roll_offered, live $raw_offered, generated $acalls" >&2

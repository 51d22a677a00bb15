#!/bin/bash
# A/B the http section of make bench between builds of calldockerd on a
# shared, noisy machine: the daemons (each on its own database of one
# PostgreSQL) and nginx run side by side, and the wrk runs interleave
# (nginx, A, B, C, then B, C, A, ... per round) so drift hits all alike. Every
# wrk run holds /work/bench.lock (flock) so benchmarks of others do not
# overlap it. Besides req/s it prints the daemon's CPU per request
# (utime + stime from /proc/PID/stat around the run, over the requests wrk
# counted), which load on the machine disturbs much less than req/s, and
# the 1-minute load average before each run, and the daemon's context
# switches per request (all its threads, from /proc/PID/task/*/status).
#
#   tests/bench/ab-http.sh TREE_A TREE_B [TREE_C...]
#   BENCH_ROUNDS=4 BENCH_DURATION=5s BENCH_PERF=1 tests/bench/ab-http.sh ../base .
#
# TREE_* are worktrees with bin/calldockerd built, named A, B, C in order.
# The targets (BENCH_TARGETS, default "health profile"): GET /health, GET
# /api/auth/profile with a token, and "create": POST /api/calls into a
# queue with no members (tests/bench/calls.lua), a request with a body.
# BENCH_CALLGRIND=1 instead runs each daemon under valgrind's callgrind and
# prints the instructions each executed per request (all threads, over one
# wrk run of BENCH_DURATION per build and target at -c16): a count that
# does not move with the load on the machine. The dumps stay in $BENCH_OUT
# for callgrind_annotate. BENCH_PERF=1 also runs perf record -g on each
# daemon during one extra profile run per build (reports in $BENCH_OUT,
# default /tmp/ab-http). BENCH_SYSCALLS=1 instead counts the system calls
# of each daemon (all threads, perf trace -s) over one wrk run per build and
# target and prints them per request, by name. docs/performance.md has
# figures made with it.
set -uo pipefail

cd "$(dirname "$0")/../.."
top=$PWD
names=() trees=()
for t in "$@"; do
	names+=("$(printf "\\x$(printf %x $((65 + ${#names[@]})))")")
	trees+=("$(cd "$t" && pwd)")
done
((${#names[@]} >= 2)) || { echo "usage: $0 TREE_A TREE_B [TREE_C...]" >&2; exit 2; }
rounds=${BENCH_ROUNDS:-3}
dur=${BENCH_DURATION:-5s}
conns=${BENCH_CONNECTIONS:-64}
targets=${BENCH_TARGETS:-health profile}
threads=${BENCH_THREADS:-2}
out=${BENCH_OUT:-/tmp/ab-http}
lock=${BENCH_LOCK:-/work/bench.lock}
mkdir -p "$out"
hz=$(getconf CLK_TCK)
nginx=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/cdab.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "ab: $*" >&2; exit 1; }
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
	for ((i = 0; i < ${wait_tries:-200}; i++)); do
		curl -fsS -o /dev/null --max-time 1 "$@" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

nport=$(free_port)
mkdir -p "$tmp/nginx"
sed -e "s|@PREFIX@|$tmp/nginx|g" -e "s|@PORT@|$nport|g" \
	tests/bench/nginx.conf >"$tmp/nginx/nginx.conf"
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
	</dev/null >"$tmp/nginx/out.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$nport/" || die "nginx did not start"

scripts/pg.sh start "$tmp/pg" --fast >/dev/null || die "PostgreSQL did not start"

declare -A port pid token queue
start() { # NAME TREE
	local n=$1 tree=$2 sock=$tmp/$1.sock pw
	scripts/pg.sh createdb "$tmp/pg" "ab_$n" >/dev/null || die "createdb"
	port[$n]=$(free_port)
	mkdir -m 0700 "$tmp/data-$n"
	env CALLDOCKER_JWT_SECRET="$(head -c 36 /dev/urandom | base64)" \
		CALLDOCKER_RATE_LIMIT_IP=0 CALLDOCKER_RATE_LIMIT_TOKEN=0 \
		CALLDOCKER_MAX_CONNECTIONS_PER_ADDRESS=0 \
		CALLDOCKER_DATABASE_URL="$(scripts/pg.sh url "$tmp/pg" "ab_$n")" \
		${vg[$n]:-} "$tree/bin/calldockerd" --socket "$sock" \
		--listen "127.0.0.1:${port[$n]}" --data-dir "$tmp/data-$n" \
		--log-level warn </dev/null >"$tmp/$n.log" 2>&1 &
	pid[$n]=$!
	pids+=($!)
	wait_tries=${vg[$n]:+3000} wait_http --unix-socket "$sock" \
		http://localhost/ready ||
		{ tail "$tmp/$n.log" >&2; die "$n did not get ready"; }
	pw="Load-Test-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
	post() {
		curl -fsS --unix-socket "$sock" -H 'Content-Type: application/json' \
			--data-binary "$2" "http://localhost$1"
	}
	local company
	company=$(post /api/companies '{"name":"Bench Co","timezone":"UTC"}' |
		jq -r .id) || die "company"
	post /api/users "$(jq -nc --arg c "$company" --arg p "$pw" \
		'{email: "bench@bench.test", role: "manager", company_id: $c, password: $p}')" \
		>/dev/null || die "user"
	token[$n]=$(curl -fsS -H 'Content-Type: application/json' \
		--data-binary "$(jq -nc --arg p "$pw" '{email: "bench@bench.test", password: $p}')" \
		"http://127.0.0.1:${port[$n]}/api/auth/login" | jq -r .access_token) ||
		die "login"
	queue[$n]=$(curl -fsS -H 'Content-Type: application/json' \
		-H "Authorization: Bearer ${token[$n]}" --data-binary '{"name":"Load"}' \
		"http://127.0.0.1:${port[$n]}/api/queues" | jq -r .id) || die "queue"
}
# target_args NAME TARGET: set url and args for wrk.
target_args() {
	url="http://127.0.0.1:${port[$1]}" args=()
	case $2 in
	health) url+=/health ;;
	profile) url+=/api/auth/profile
		args=(-H "Authorization: Bearer ${token[$1]}") ;;
	create) url+=/api/calls args=(-s "$top/tests/bench/calls.lua")
		export BENCH_TOKEN=${token[$1]} BENCH_QUEUE=${queue[$1]} ;;
	*) die "unknown target $2" ;;
	esac
}
declare -A vg
if [[ ${BENCH_CALLGRIND:-0} == 1 ]]; then
	for n in "${names[@]}"; do
		vg[$n]="valgrind --tool=callgrind --callgrind-out-file=$out/cg-$n"
	done
fi
for i in "${!names[@]}"; do start "${names[$i]}" "${trees[$i]}"; done

# Instructions per request, under callgrind: zero, run wrk, dump, count.
if [[ ${BENCH_CALLGRIND:-0} == 1 ]]; then
	rm -f "$out"/cg-?.*
	printf '%-5s %-7s %9s %14s %10s\n' build target requests instructions "instr/req"
	for t in $targets; do
		for n in "${names[@]}"; do
			target_args "$n" "$t"
			callgrind_control -z "${pid[$n]}" >/dev/null
			flock "$lock" wrk -t1 -c16 -d"$dur" "${args[@]}" "$url" >"$out/cg-$n-$t.wrk"
			callgrind_control -d "$t" "${pid[$n]}" >/dev/null
			f=$(ls -t "$out"/cg-$n.* | head -1)
			mv "$f" "$out/cg-$n-$t.out"
			reqs=$(awk '/requests in/ { print $1 }' "$out/cg-$n-$t.wrk")
			ir=$(awk '/^summary:/ { print $2 }' "$out/cg-$n-$t.out")
			printf '%-5s %-7s %9s %14s %10.0f\n' "$n" "$t" "$reqs" "$ir" \
				"$(awk -v a="$ir" -v b="$reqs" 'BEGIN { print a / b }')"
		done
	done
	exit 0
fi

# System calls per request, by name, under perf trace (all threads).
if [[ ${BENCH_SYSCALLS:-0} == 1 ]]; then
	for t in $targets; do
		for n in "${names[@]}"; do
			target_args "$n" "$t"
			f=$out/sc-$n-$t
			flock "$lock" bash -c 'perf trace -s -p "$1" -o "$2.trace" &
				p=$!
				sleep 1
				wrk -t"$3" -c"$4" -d"$5" "${@:7}" "$6" >"$2.wrk"
				kill -INT $p; wait $p' _ "${pid[$n]}" "$f" "$threads" \
				"$conns" "$dur" "$url" "${args[@]}"
			reqs=$(awk '/requests in/ { print $1 }' "$f.wrk")
			awk -v n="$reqs" -v b="$n" -v t="$t" '
				$2 ~ /^[0-9]+$/ && $1 ~ /^[a-z_0-9]+$/ { c[$1] += $2; all += $2 }
				END { printf "%-5s %-7s %9d requests %6.2f syscalls/req:", b, t, n, all / n
					for (k in c) if (c[k] / n >= 0.05) printf " %s %.2f", k, c[k] / n
					printf "\n" }' "$f.trace"
		done
	done
	exit 0
fi

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# wrk1 LABEL URL [wrk args] -> "req/s requests ticks load" (ticks of $cpid)
cpid=
wrk1() {
	local label=$1 url=$2 f c0 c1 l
	shift 2
	f=$out/$label.txt
	flock "$lock" bash -c '
		l=$(cut -d" " -f1 /proc/loadavg)
		sw() { cat /proc/$1/task/*/status 2>/dev/null |
			awk "/ctxt_switches/ { n += \$2 } END { print n + 0 }"; }
		c0=0 s0=0
		[[ -n $1 ]] && c0=$(awk "{ print \$14 + \$15 }" /proc/$1/stat) s0=$(sw $1)
		wrk -t"$2" -c"$3" -d"$4" "${@:6}" >"$5.wrk" 2>&1
		c1=0 s1=0
		[[ -n $1 ]] && c1=$(awk "{ print \$14 + \$15 }" /proc/$1/stat) s1=$(sw $1)
		echo "$l $((c1 - c0)) $((s1 - s0))" >"$5.cpu"' _ "$cpid" "$threads" "$conns" "$dur" \
		"$f" "$url" "$@"
	read -r l c sw <"$f.cpu"
	awk -v l="$l" -v c="$c" -v sw="$sw" -v hz="$hz" '
		/requests in/ { n = $1 }
		/^Requests\/sec:/ { r = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%10.0f %9d %8.1f %6s %7.2f %s\n", r, n, n ? c / hz / n * 1e6 : 0, l,
			n ? sw / n : 0, bad ? "non2xx=" bad : "" }' "$f.wrk"
}

run() { # NAME TARGET
	local n=$1 t=$2 url args=() line
	if [[ $n == nginx ]]; then
		url="http://127.0.0.1:$nport/" cpid=
	else
		cpid=${pid[$n]}
		target_args "$n" "$t"
	fi
	line=$(wrk1 "$n-$t-$r" "$url" "${args[@]}")
	printf '%-3s %-7s %-6s %s\n' "$r" "$n" "$t" "$line" | tee -a "$out/rows.txt"
}
: >"$out/rows.txt"

for i in "${!names[@]}"; do echo "ab: ${names[$i]}=${trees[$i]}"; done
echo "ab: wrk -t$threads -c$conns -d$dur, $(nproc) CPUs"
printf '%-3s %-7s %-6s %10s %9s %8s %6s %7s\n' rnd build target req/s requests "us/req" \
	load1 "cs/req"
for ((r = 1; r <= rounds; r++)); do
	k=$(((r - 1) % ${#names[@]}))
	order="${names[*]:k} ${names[*]:0:k}"
	run nginx -
	for t in $targets; do
		for n in $order; do run "$n" "$t"; done
	done
done

# Per build and target: mean req/s, mean of each round's ratio to nginx,
# mean and range of the CPU per request.
echo
echo "ab: means over $rounds rounds (ratio: to nginx in the same round)"
printf '%-5s %-7s %10s %7s %8s %13s %7s\n' build target req/s ratio us/req \
	"us/req range" cs/req
awk '$2 == "nginx" { ng[$1] = $4; next }
	{ k = $2 " " $3; n[k]++; r[k] += $4; q[k] += $4 / ng[$1]; c[k] += $6; s[k] += $8
	  if (!(k in lo) || $6 < lo[k]) lo[k] = $6
	  if (!(k in hi) || $6 > hi[k]) hi[k] = $6 }
	END { for (k in n) { split(k, f, " ")
		printf "%-5s %-7s %10.0f %7.3f %8.2f %6.1f-%-6.1f %7.2f\n", f[1], f[2],
		r[k] / n[k], q[k] / n[k], c[k] / n[k], lo[k], hi[k], s[k] / n[k] } }' \
	"$out/rows.txt" | sort -k2,2 -k1,1

if [[ ${BENCH_PERF:-0} == 1 ]]; then
	for n in "${names[@]}"; do
		flock "$lock" bash -c 'perf record -g -o "$1" -p "$2" -- sleep "$3" \
			>/dev/null 2>&1 & p=$!
			wrk -t"$4" -c"$5" -d"$3" -H "Authorization: Bearer $6" "$7" >/dev/null
			wait $p' _ "$out/perf-$n.data" "${pid[$n]}" "${dur%s}" "$threads" \
			"$conns" "${token[$n]}" "http://127.0.0.1:${port[$n]}/api/auth/profile"
		perf report -i "$out/perf-$n.data" --no-children --sort symbol \
			--stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40 \
			>"$out/perf-$n.txt"
		echo "ab: perf of $n (profile): $out/perf-$n.txt"
	done
fi

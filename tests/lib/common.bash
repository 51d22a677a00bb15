# Harness for the bats suites: a private PostgreSQL database per suite, a
# real calldockerd per suite in BATS_FILE_TMPDIR, and small helpers to speak
# its API over the Unix socket or TCP.
#
#   setup_file()    { cd_setup [VAR=VALUE...] [-- DAEMON-ARGS...]; }
#   teardown_file() { cd_teardown; }
#
# tests/run.sh starts one cluster for the whole run and exports
# CALLDOCKER_TEST_PG; a suite run alone (bats tests/t0100-health.bats)
# starts and stops its own.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
# run --separate-stderr and run's status checks need bats 1.5.
bats_require_minimum_version 1.5.0

# CALLDOCKER_TEST_DAEMON / CALLDOCKER_TEST_CLI test other binaries (an
# installed build, say) with the same suites.
CD_DAEMON=${CALLDOCKER_TEST_DAEMON:-$TOP/bin/calldockerd}
CD_CLI=${CALLDOCKER_TEST_CLI:-$TOP/bin/calldocker}
# HS256 key the daemons sign with; the token tests forge with it too.
CD_SECRET='calldocker-test-jwt-secret-0123456789abcdef'
# Meets the password policy and contains no test e-mail's local part.
PW='Sturdy-Lantern-42'

# Nothing from the caller's environment may steer the daemons or the CLI.
while read -r _v; do
	[[ $_v == CALLDOCKER_TEST_* ]] || unset "$_v"
done < <(compgen -e | grep '^CALLDOCKER_' || true)
unset _v
export NO_COLOR=1 LC_ALL=C.UTF-8
# Sanitizer builds (make SANITIZE=address,undefined test).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:disable_coredump=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}

# ---- setup and teardown ---------------------------------------------------

# For setup_file: temp dir, database, and the suite's daemon "main".
cd_setup() {
	cd_init
	daemon_start main "$@"
}

cd_init() {
	export CD_TMP=$BATS_FILE_TMPDIR
	CD_SUITE=$(basename "$BATS_TEST_FILENAME" .bats)
	export CD_SUITE
	[[ -x $CD_DAEMON ]] || { echo "no $CD_DAEMON: run make first" >&2; return 1; }
	pg_ensure
	db_create "t_${CD_SUITE//[^A-Za-z0-9]/_}"
}

# For teardown_file: stop every daemon of the suite (each must exit 0 on
# SIGTERM) and the suite's own cluster if it started one.
cd_teardown() {
	local rc=0 p
	[[ -n ${CD_TMP:-} ]] || return 0
	for p in "$CD_TMP"/*/pid; do
		[[ -f $p ]] || continue
		daemon_stop "$(basename "$(dirname "$p")")" || rc=1
	done
	if [[ -n ${CD_PG_OWN:-} ]]; then
		"$TOP/scripts/pg.sh" stop "$CD_PG_OWN/pg" || rc=1
		rm -rf "$CD_PG_OWN"
	fi
	return $rc
}

# The run's shared cluster, or one of our own. Its directory lives in /tmp
# (short socket path, reachable by the postgres user when we are root).
pg_ensure() {
	if [[ -n ${CALLDOCKER_TEST_PG:-} ]] &&
		"$TOP/scripts/pg.sh" status "$CALLDOCKER_TEST_PG"; then
		export CD_PG=$CALLDOCKER_TEST_PG
		return
	fi
	pg_private
}

# A cluster for this suite alone (tests that stop the database use it).
pg_private() {
	CD_PG_OWN=$(mktemp -d /tmp/cdpg.XXXXXX)
	chmod 0711 "$CD_PG_OWN"
	export CD_PG_OWN CD_PG=$CD_PG_OWN/pg
	"$TOP/scripts/pg.sh" start "$CD_PG" --fast 3>&-
}

# A fresh database; CD_DBURL points at it.
db_create() {
	"$TOP/scripts/pg.sh" dropdb "$CD_PG" "$1" >/dev/null
	"$TOP/scripts/pg.sh" createdb "$CD_PG" "$1"
	CD_DBURL=$("$TOP/scripts/pg.sh" url "$CD_PG" "$1")
	export CD_DBURL
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The environment every suite's daemons start with. All of a suite's
# daemons share its database, so they are nodes of one cluster, "tests"
# (docs/cluster.md); CALLDOCKER_CLUSTER= makes one a node of none.
# CD_NO_SECRET=1 leaves jwt_secret unset (a generated signing key).
daemon_env() {
	[[ -n ${CD_NO_SECRET:-} ]] || echo "CALLDOCKER_JWT_SECRET=$CD_SECRET"
	printf '%s\n' "CALLDOCKER_DATABASE_URL=$CD_DBURL" \
		CALLDOCKER_RATE_LIMIT_IP=0 CALLDOCKER_RATE_LIMIT_TOKEN=0 \
		CALLDOCKER_LOGIN_MAX_FAILURES=1000 CALLDOCKER_CLUSTER=tests
}

# daemon_run NAME [VAR=VALUE...] [-- DAEMON-ARGS...]
# Runs calldockerd in the foreground as daemon_start would start it, for a
# start-up that must fail: status and output as bats's run sets them
# (stderr into output). At most 30 s.
daemon_run() {
	local name=$1 d base=()
	shift
	local envs=() args=()
	while (($#)); do
		case $1 in
		--) shift; args=("$@"); break ;;
		*=*) envs+=("$1") ;;
		*) echo "daemon_run: bad argument \"$1\"" >&2; return 2 ;;
		esac
		shift
	done
	d=$CD_TMP/$name
	mkdir -p "$d/data"
	chmod 0700 "$d/data"
	mapfile -t base < <(daemon_env)
	run timeout 30 env "${base[@]}" "${envs[@]}" "$CD_DAEMON" \
		--socket "$d/d.sock" --listen "" --data-dir "$d/data" \
		--log-level error "${args[@]}" 3>&-
}

# daemon_start NAME [VAR=VALUE...] [-- DAEMON-ARGS...]
# Starts calldockerd with its socket, port, data dir and log under
# $CD_TMP/NAME, waits for /ready and makes it the current daemon. The
# environment defaults (daemon_env: no rate limits, lenient login
# throttling, cluster "tests") can be overridden by VAR=VALUE. A second
# daemon on the suite's database is started the same way under another
# NAME; daemon_use switches between them.
daemon_start() {
	local name=$1 d port i
	shift
	local envs=() args=() base=()
	while (($#)); do
		case $1 in
		--) shift; args=("$@"); break ;;
		*=*) envs+=("$1") ;;
		*) echo "daemon_start: bad argument \"$1\"" >&2; return 2 ;;
		esac
		shift
	done
	d=$CD_TMP/$name
	mkdir -p "$d/data"
	chmod 0700 "$d/data"
	rm -f "$d/pid" "$d/rc"
	port=$(free_port)
	echo "$port" >"$d/port"
	echo "== start $(date -u +%T) ${envs[*]} ${args[*]}" >>"$d/log"
	mapfile -t base < <(daemon_env)

	# A supervisor subshell records the exit status in $d/rc. No fd 3:
	# bats waits for it to close.
	(
		exec 3>&- </dev/null >/dev/null 2>&1
		env "${base[@]}" "${envs[@]}" \
			"$CD_DAEMON" --socket "$d/d.sock" --listen "127.0.0.1:$port" \
			--data-dir "$d/data" --log-level debug "${args[@]}" \
			>>"$d/log" 2>&1 &
		echo $! >"$d/pid.new"
		mv "$d/pid.new" "$d/pid"
		rc=0
		wait $! || rc=$?	# bats runs with set -e
		echo $rc >"$d/rc"
	) &
	for ((i = 0; i < 50; i++)); do
		[[ -f $d/pid ]] && break
		sleep 0.02
	done
	daemon_use "$name"
	daemon_wait_ready "$name"
}

# Make NAME the daemon that api, cli, ... talk to.
daemon_use() {
	local d=$CD_TMP/$1
	export CD_NAME=$1 CD_DIR=$d CD_SOCK=$d/d.sock CD_LOG=$d/log
	CD_PORT=$(<"$d/port")
	CD_PID=$(<"$d/pid")
	export CD_PORT CD_PID
}

# Poll /ready (200) for up to ${2:-20} seconds.
daemon_wait_ready() {
	local d=$CD_TMP/$1 secs=${2:-20} i code
	for ((i = 0; i < secs * 10; i++)); do
		if [[ -f $d/rc ]]; then
			echo "calldockerd ($1) exited with status $(<"$d/rc") during start-up; log:" >&2
			daemon_log_excerpt "$d/log" >&2
			return 1
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--unix-socket "$d/d.sock" http://localhost/ready 2>/dev/null) || true
		[[ $code == 200 ]] && return 0
		sleep 0.1
	done
	echo "calldockerd ($1) not ready after ${secs}s (last /ready: $code); log:" >&2
	tail -n 60 "$d/log" >&2
	return 1
}

# What to show of a daemon's log when it failed: a sanitizer report from its
# start, else the tail.
daemon_log_excerpt() {
	local log=$1 n
	n=$(grep -nE '==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log" | head -n1 | cut -d: -f1)
	if [[ -n $n ]]; then
		sed -n "$((n > 5 ? n - 5 : 1)),\$p" "$log" | head -n 200
	else
		tail -n 80 "$log"
	fi
}

# SIGTERM, wait up to 20 s; fails unless the daemon exited with status 0.
daemon_stop() {
	local name=${1:-$CD_NAME} d pid rc i
	d=$CD_TMP/$name
	[[ -f $d/pid ]] || return 0
	pid=$(<"$d/pid")
	if [[ -f $d/rc ]]; then
		rm -f "$d/pid"
		echo "calldockerd ($name) had already exited with status $(<"$d/rc")" \
			"before SIGTERM; log:" >&2
		daemon_log_excerpt "$d/log" >&2
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		[[ -f $d/rc ]] && break
		sleep 0.1
	done
	rm -f "$d/pid"
	if [[ ! -f $d/rc ]]; then
		kill -KILL "$pid" 2>/dev/null || true
		echo "calldockerd ($name) still running 20 s after SIGTERM; killed. log:" >&2
		daemon_log_excerpt "$d/log" >&2
		return 1
	fi
	rc=$(<"$d/rc")
	if [[ $rc != 0 ]]; then
		echo "calldockerd ($name) exited with status $rc (expected 0 after SIGTERM); log:" >&2
		daemon_log_excerpt "$d/log" >&2
		return 1
	fi
}

# ---- HTTP ------------------------------------------------------------------

# api [--tcp] [--from ADDR] [-H 'Name: value']... METHOD PATH [JSON] [TOKEN]
# Prints the body. Sets status (HTTP code, 000 if no answer) and output
# (body); header NAME reads the response's headers. JSON "@FILE" sends a
# file. A -H Content-Type replaces the default application/json. --from
# (implies --tcp) connects from another loopback address, 127.0.0.2 say:
# the daemon sees a different client address.
api() {
	local url_base="http://localhost" via=(--unix-socket "$CD_SOCK")
	local extra=() has_ct=0
	while (($#)); do
		case $1 in
		--tcp) via=(); url_base="http://127.0.0.1:$CD_PORT"; shift ;;
		--from)
			via=(--interface "$2"); url_base="http://127.0.0.1:$CD_PORT"
			shift 2 ;;
		-H)
			extra+=(-H "$2")
			[[ ${2,,} == content-type:* ]] && has_ct=1
			shift 2 ;;
		*) break ;;
		esac
	done
	local method=$1 path=$2 data=${3-} token=${4-}
	local args=(-sS -X "$method" -o "$CD_TMP/resp.body" -D "$CD_TMP/resp.headers"
		-w '%{http_code}' --max-time 15 -H 'Expect:')
	if [[ -n $data ]]; then
		((has_ct)) || args+=(-H 'Content-Type: application/json')
		args+=(--data-binary "$data")
	fi
	[[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
	: >"$CD_TMP/resp.body"
	: >"$CD_TMP/resp.headers"
	status=$(curl "${args[@]}" "${extra[@]}" "${via[@]}" "$url_base$path" 2>"$CD_TMP/resp.err") ||
		status=${status:-000}
	[[ -n $status ]] || status=000
	output=$(<"$CD_TMP/resp.body")
	printf '%s\n' "$output"
}

api_tcp() { api --tcp "$@"; }

# Value of a header of the last response ("" if absent).
header() {
	local want=${1,,}
	tr -d '\r' <"$CD_TMP/resp.headers" | awk -v want="$want" '
		/^HTTP\// { v = "" }
		{ i = index($0, ":")
		  if (i > 0 && tolower(substr($0, 1, i - 1)) == want) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v } }
		END { print last }'
}

# jget FILTER [JSON]: jq -r on the last body (or JSON).
jget() {
	jq -r "$1" <<<"${2-$output}"
}

# assert_status CODE: the last response's HTTP status.
assert_status() {
	if [[ $status != "$1" ]]; then
		echo "expected HTTP $1, got $status" >&2
		[[ $status != 000 ]] || echo "curl: $(<"$CD_TMP/resp.err")" >&2
		echo "headers:" >&2; tr -d '\r' <"$CD_TMP/resp.headers" >&2
		echo "body: $output" >&2
		return 1
	fi
}

# assert_problem STATUS CODE: an RFC 9457 problem with that status and code.
assert_problem() {
	assert_status "$1"
	local ct
	ct=$(header content-type)
	[[ $ct == application/problem+json* ]] ||
		{ echo "content-type \"$ct\", expected application/problem+json; body: $output" >&2; return 1; }
	jq -e . >/dev/null <<<"$output" ||
		{ echo "problem body is not JSON: $output" >&2; return 1; }
	local got
	got=$(jget .code)
	[[ $got == "$2" ]] || { echo "expected code \"$2\", got \"$got\"; body: $output" >&2; return 1; }
	got=$(jget .status)
	[[ $got == "$1" ]] || { echo "expected .status $1, got \"$got\"; body: $output" >&2; return 1; }
	got=$(jget '(.title|type) + " " + (.type|type)')
	[[ $got == "string string" ]] || { echo "problem lacks title/type: $output" >&2; return 1; }
}

# assert_json FILTER EXPECTED: jq -r FILTER on the last body equals EXPECTED.
assert_json() {
	local got
	got=$(jget "$1") || { echo "jq $1 failed on: $output" >&2; return 1; }
	if [[ $got != "$2" ]]; then
		echo "expected $1 == \"$2\", got \"$got\"; body: $output" >&2
		return 1
	fi
}

# ---- accounts ----------------------------------------------------------------

# login EMAIL [PASSWORD] -> access token on stdout.
login() {
	api POST /api/auth/login "$(jq -nc --arg e "$1" --arg p "${2:-$PW}" \
		'{email: $e, password: $p}')" >/dev/null
	if [[ $status != 200 ]]; then
		echo "login $1: HTTP $status $output $(<"$CD_TMP/resp.err")" >&2
		return 1
	fi
	jget .access_token
}

# login_pair EMAIL [PASSWORD]: sets ACCESS and REFRESH (call it directly).
login_pair() {
	api POST /api/auth/login "$(jq -nc --arg e "$1" --arg p "${2:-$PW}" \
		'{email: $e, password: $p}')" >/dev/null
	if [[ $status != 200 ]]; then
		echo "login $1: HTTP $status $output $(<"$CD_TMP/resp.err")" >&2
		return 1
	fi
	ACCESS=$(jget .access_token)
	REFRESH=$(jget .refresh_token)
}

# mkcompany [NAME] [TIMEZONE] -> id (as the socket's local admin).
mkcompany() {
	local name=${1:-Company $RANDOM$RANDOM}
	api POST /api/companies "$(jq -nc --arg n "$name" --arg tz "${2:-UTC}" \
		'{name: $n, timezone: $tz}')" >/dev/null
	if [[ $status != 201 ]]; then
		echo "mkcompany $name: HTTP $status $output $(<"$CD_TMP/resp.err")" >&2
		return 1
	fi
	jget .id
}

# mkuser EMAIL ROLE [COMPANY] [PASSWORD] -> id (as the socket's local admin).
mkuser() {
	local body
	body=$(jq -nc --arg e "$1" --arg r "$2" --arg c "${3-}" --arg p "${4:-$PW}" \
		'{email: $e, role: $r, password: $p} + (if $c == "" then {} else {company_id: $c} end)')
	api POST /api/users "$body" >/dev/null
	if [[ $status != 201 ]]; then
		echo "mkuser $1 $2: HTTP $status $output $(<"$CD_TMP/resp.err")" >&2
		return 1
	fi
	jget .id
}

# A unique e-mail address: uniq_email PREFIX [DOMAIN].
uniq_email() {
	echo "$1-$RANDOM$RANDOM@${2:-example.test}"
}

# ---- CLI -----------------------------------------------------------------------

# cli ARGS...: bin/calldocker on the suite's socket, config under the temp dir
# (CD_XDG selects another config home, i.e. another saved login).
cli() {
	XDG_CONFIG_HOME=${CD_XDG:-$CD_TMP/xdg} "$CD_CLI" --host "unix://$CD_SOCK" "$@"
}

cli_tcp() {
	XDG_CONFIG_HOME=${CD_XDG:-$CD_TMP/xdg} "$CD_CLI" --host "http://127.0.0.1:$CD_PORT" "$@"
}

# The CLI with no --host.
cli_bare() {
	XDG_CONFIG_HOME=${CD_XDG:-$CD_TMP/xdg} "$CD_CLI" "$@"
}

# ---- tokens -----------------------------------------------------------------------

# jwt_forge [--from TOKEN] [--alg A] [--sign-alg A] [--secret S] [--set K=JSON]
#           [--rel K=SECONDS] [--del K] [--header K=JSON] [--tamper payload|signature]
jwt_forge() {
	python3 "$TOP/tests/lib/jwt.py" forge --secret "$CD_SECRET" "$@"
}

jwt_claims() {
	python3 "$TOP/tests/lib/jwt.py" claims "$1"
}

jwt_header() {
	python3 "$TOP/tests/lib/jwt.py" header "$1"
}

# ---- TLS ---------------------------------------------------------------------------

# tls_ca DIR: a test CA (DIR/ca.pem, DIR/ca.key).
tls_ca() {
	mkdir -p "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" \
		-out "$1/ca.pem" -days 2 -subj "/CN=CallDocker test CA" 2>/dev/null
}

# tls_cert DIR SERIAL [NAME]: a server certificate for localhost and
# 127.0.0.1 signed by DIR's CA, in DIR/NAME.pem and DIR/NAME.key (NAME
# defaults to server).
tls_cert() {
	local dir=$1 serial=$2 name=${3:-server}
	openssl req -newkey rsa:2048 -nodes -keyout "$dir/$name.key" \
		-out "$dir/$name.csr" -subj "/CN=localhost" 2>/dev/null
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
		'basicConstraints=CA:FALSE' 'extendedKeyUsage=serverAuth' >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-set_serial "$serial" -days 2 -extfile "$dir/$name.ext" \
		-out "$dir/$name.pem" 2>/dev/null
}

# ---- misc ------------------------------------------------------------------------

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

#!/usr/bin/env bats
# HAProxy in front of two nodes of one cluster (docs/cluster.md, "Load
# balancer and systemd"; issue 12, item 6): the configuration rendered from
# scripts/haproxy/calldocker.cfg.in passes haproxy -c; REST through it
# reaches both nodes in turn; a WebSocket upgraded through it stays open
# across requests; a stopped node is taken out by its /ready check while
# every request goes on succeeding on the other, and its sockets are
# closed 1001; a node back on a new port is brought in again; with no node
# up HAProxy answers the daemon's 503 problem; a 503 is resent to another
# node only for requests safe to repeat; a client's own X-Forwarded-For is
# replaced, and the nodes (trusted_proxies) see each client's address. HAProxy runs as a child in the suite's temp dir on a free port.
# (make cluster-check tests scripts/cluster.sh: tests/smoke-cluster.bats.)

load lib/common

WS="python3 $TOP/tests/lib/ws.py"

# hap COMMAND: a command on HAProxy's admin socket; its answer on stdout.
hap() {
	python3 "$TOP/scripts/haproxy/admin.py" "$HAP_DIR/admin.sock" "$1"
}

# hap_field BACKEND SERVER COLUMN: a column of "show stat" (CSV, named by
# its header: status, check_status ...).
hap_field() {
	hap "show stat" | awk -F, -v b="$1" -v s="$2" -v col="$3" '
		NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == b && $2 == s { print $c[col] }'
}

hap_is() { # BACKEND SERVER STATUS: "UP" or "DOWN", not on the way
	[[ $(hap_field "$1" "$2" status) == "$3" ]]
}

# hap_start NAME=PORT...: HAProxy in HAP_DIR on LB_PORT in front of
# 127.0.0.1:PORT..., once they are all up.
hap_start() {
	local n nodes=()
	for n in "$@"; do
		nodes+=("${n%%=*}=127.0.0.1:${n#*=}")
	done
	mkdir -p "$HAP_DIR"
	"$TOP/scripts/haproxy/render.sh" --bind "127.0.0.1:$LB_PORT" \
		--stats-socket "$HAP_DIR/admin.sock" "${nodes[@]}" >"$HAP_DIR/haproxy.cfg"
	haproxy -c -q -f "$HAP_DIR/haproxy.cfg"
	(
		exec 3>&- </dev/null >>"$HAP_DIR/log" 2>&1
		haproxy -db -f "$HAP_DIR/haproxy.cfg" &
		echo $! >"$HAP_DIR/pid"
		rc=0
		wait $! || rc=$?
		echo $rc >"$HAP_DIR/rc"
	) &
	wait_for 10 test -S "$HAP_DIR/admin.sock"
	for n in "$@"; do
		wait_for 20 hap_is rest "${n%%=*}" UP
	done
}

hap_stop() {
	[[ -n ${HAP_DIR:-} && -f $HAP_DIR/pid ]] || return 0
	kill -TERM "$(<"$HAP_DIR/pid")" 2>/dev/null || true
	wait_for 10 test -f "$HAP_DIR/rc"
	rm -f "$HAP_DIR/pid"
}

# lb ARGS...: api through HAProxy.
lb() {
	CD_PORT=$LB_PORT api --tcp "$@"
}

# The node that answered the last status request.
node_of_status() {
	assert_status 200
	jget .cluster.node_id
}

node_id() { # NAME: the node id of daemon NAME, asked on its socket
	daemon_use "$1"
	api GET /api/settings/system/status >/dev/null
	node_of_status
}

# peer NAME: a WebSocket through HAProxy, signed in as the admin; lines
# appended to $CD_TMP/NAME.cmds are sent, what comes back is in
# $CD_TMP/NAME.jsonl.
peer() {
	local name=$1
	rm -f "$CD_TMP/$name.jsonl"
	jq -nc --arg t "$ADMIN" '{type: "auth", id: "a", token: $t}' >"$CD_TMP/$name.cmds"
	$WS peer "$LB_PORT" --out "$CD_TMP/$name.jsonl" --cmds "$CD_TMP/$name.cmds" \
		--seconds 120 3>&- &
	echo $! >"$CD_TMP/$name.pid"
	wait_for 10 got "$name" '.type == "authenticated"'
}

got() { # NAME JQ-FILTER: some message of peer NAME matches
	jq -e "select($2)" "$CD_TMP/$1.jsonl" >/dev/null 2>&1
}

ping() { # NAME ID: a ping through peer NAME, answered by a pong
	echo "{\"type\":\"ping\",\"id\":$2}" >>"$CD_TMP/$1.cmds"
	wait_for 10 got "$1" ".type == \"pong\" and .id == $2"
}

peer_end() { # NAME
	echo '!close' >>"$CD_TMP/$1.cmds"
	wait "$(<"$CD_TMP/$1.pid")" || true
}

setup_file() {
	# bats 1.8 does not skip a file from setup_file: each test does.
	if ! command -v haproxy >/dev/null; then
		export HAP_MISSING=1
		return 0
	fi
	cd_init
	# HAProxy connects from 127.0.0.1; clients come from 127.0.0.2.
	daemon_start a CALLDOCKER_TRUSTED_PROXIES=127.0.0.1 -- --cluster east
	daemon_start b CALLDOCKER_TRUSTED_PROXIES=127.0.0.1 -- --cluster east
	A=$(node_id a)
	B=$(node_id b)
	mkuser lb@haproxy.test admin >/dev/null
	HAP_DIR=$CD_TMP/haproxy
	LB_PORT=$(free_port)
	export A B HAP_DIR LB_PORT
	hap_start "a=$(<"$CD_TMP/a/port")" "b=$(<"$CD_TMP/b/port")"
	# Signed in through HAProxy.
	lb POST /api/auth/login "$(jq -nc --arg p "$PW" \
		'{email: "lb@haproxy.test", password: $p}')" >/dev/null
	assert_status 200
	ADMIN=$(jget .access_token)
	export ADMIN
}

setup() {
	[[ -z ${HAP_MISSING:-} ]] ||
		skip "haproxy is not installed (scripts/deps.sh installs it)"
}

# A test that failed half-way leaves no client behind it.
teardown() {
	local p
	[[ -n ${CD_TMP:-} ]] || return 0
	# A test's own HAProxy.
	[[ $HAP_DIR == "$CD_TMP/haproxy" ]] || hap_stop
	touch "$CD_TMP/stop"
	for p in "$CD_TMP"/*.pid; do
		[[ -f $p ]] && kill "$(<"$p")" 2>/dev/null
		rm -f "$p"
	done
	return 0
}

teardown_file() {
	hap_stop
	cd_teardown
}

@test "the configuration passes haproxy -c; render.sh refuses a bad node" {
	run haproxy -c -f "$HAP_DIR/haproxy.cfg"
	assert_success
	assert_output --partial 'Configuration file is valid'
	# As for production: three nodes, Debian's user and chroot.
	"$TOP/scripts/haproxy/render.sh" --bind ':8080' \
		--stats-socket "$HAP_DIR/other.sock" --user haproxy \
		n1=10.0.0.11:8080 n2=10.0.0.12:8080 n3=10.0.0.13:8080 >"$HAP_DIR/three.cfg"
	run haproxy -c -f "$HAP_DIR/three.cfg"
	assert_success
	assert_equal "$(grep -c 'server n[123] 10\.0\.0\.1[123]:8080 check$' "$HAP_DIR/three.cfg")" 3
	assert_equal "$(grep -c 'track rest/n[123]$' "$HAP_DIR/three.cfg")" 3
	run "$TOP/scripts/haproxy/render.sh" n1=10.0.0.11
	assert_failure 2
	assert_output --partial 'bad node "n1=10.0.0.11": expected NAME=HOST:PORT'
}

@test "REST through HAProxy reaches both nodes in turn" {
	[[ $A != "$B" ]]
	ids=()
	for ((i = 0; i < 6; i++)); do
		lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
		ids+=("$(node_of_status)")
	done
	# Round-robin: a, b, a, b ... in some order.
	for ((i = 0; i < 6; i++)); do
		[[ ${ids[i]} == "$A" || ${ids[i]} == "$B" ]]
		((i == 0)) || [[ ${ids[i]} != "${ids[i - 1]}" ]]
	done
	# A token from one node is good on the other (one cluster, one key).
	lb GET /api/auth/profile "" "$ADMIN" >/dev/null
	assert_status 200
	assert_json .email lb@haproxy.test
}

@test "the nodes see the client's address through HAProxy, not one it made up" {
	mkuser far@haproxy.test admin >/dev/null
	CD_PORT=$LB_PORT api --from 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.66' \
		POST /api/auth/login "$(jq -nc --arg p "$PW" \
		'{email: "far@haproxy.test", password: $p}')" >/dev/null
	assert_status 200
	run psql -qAtX "$CD_DBURL" -c "select s.client_ip from sessions s
		join users u on u.id = s.user_id where u.email = 'far@haproxy.test'"
	[[ $output == 127.0.0.2 ]] || { echo "recorded: $output" >&2; false; }
}

@test "a WebSocket upgraded through HAProxy stays open across requests" {
	peer w
	run jq -c 'select(.protocol)' "$CD_TMP/w.jsonl"
	assert_output '{"protocol":"calldocker.v1"}'
	for ((i = 1; i <= 5; i++)); do
		lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
		assert_status 200
		ping w "$i"
	done
	! got w '.close or .eof or .timeout'
	peer_end w
}

@test "a stopped node: out by its /ready check, every request answered by the other, its sockets closed 1001" {
	# leastconn: the second socket goes to the node without the first.
	peer w1
	peer w2
	# Requests in a loop through the stop: none may fail.
	rm -f "$CD_TMP/stop" "$CD_TMP/load.log"
	(
		exec 3>&- </dev/null >/dev/null 2>&1
		while [[ ! -e $CD_TMP/stop ]]; do
			curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
				-H "Authorization: Bearer $ADMIN" \
				"http://127.0.0.1:$LB_PORT/api/settings/system/status" \
				>>"$CD_TMP/load.log" || echo 000 >>"$CD_TMP/load.log"
		done
	) &
	echo $! >"$CD_TMP/load.pid"
	wait_for 10 test -s "$CD_TMP/load.log"
	daemon_stop a
	wait_for 20 hap_is rest a DOWN
	hap_is ws a DOWN
	# What the check saw last: the node refusing connections (L4CON) or,
	# caught while draining, answering 503 (L7STS).
	run hap_field rest a check_status
	assert_output --regexp '^(\* )?(L4CON|L7STS)$'
	touch "$CD_TMP/stop"
	wait "$(<"$CD_TMP/load.pid")"
	run awk '$1 != 200' "$CD_TMP/load.log"
	assert_output ''
	[[ $(wc -l <"$CD_TMP/load.log") -ge 2 ]]
	for ((i = 0; i < 4; i++)); do
		lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
		assert_equal "$(node_of_status)" "$B"
	done
	# The socket on a was told; the one on b is still there.
	wait_for 10 eval 'got w1 ".close == 1001" || got w2 ".close == 1001"'
	if got w1 '.close == 1001'; then gone=w1 kept=w2; else gone=w2 kept=w1; fi
	run jq -c 'select(.close)' "$CD_TMP/$gone.jsonl"
	assert_output '{"close":1001,"reason":"server shutting down"}'
	ping "$kept" 1
	! got "$kept" '.close or .eof'
	peer_end "$kept"
	wait "$(<"$CD_TMP/$gone.pid")" || true
}

@test "a node back (on a new port) is brought into rotation by its check" {
	daemon_start a -- --cluster east
	A=$(node_id a)
	port=$(<"$CD_TMP/a/port")
	run hap "set server rest/a addr 127.0.0.1 port $port"
	assert_success
	run hap "set server ws/a addr 127.0.0.1 port $port"
	assert_success
	wait_for 20 hap_is rest a UP
	hap_is ws a UP
	seen=
	for ((i = 0; i < 4; i++)); do
		lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
		seen+=" $(node_of_status)"
	done
	[[ $seen == *"$A"* && $seen == *"$B"* ]]
}

@test "every node out of rotation: HAProxy answers 503 problem+json with Retry-After" {
	hap "set server rest/a state maint" >/dev/null
	hap "set server rest/b state maint" >/dev/null
	lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
	assert_problem 503 unavailable
	assert_equal "$(header retry-after)" 2
	hap "set server rest/a state ready" >/dev/null
	hap "set server rest/b state ready" >/dev/null
	wait_for 20 eval 'hap_is rest a UP && hap_is rest b UP'
	lb GET /api/settings/system/status "" "$ADMIN" >/dev/null
	assert_status 200
}

# A node that passes its check but answers everything else 503, as one
# losing its database between two checks would; each such request is a
# line "METHOD PATH" in FILE, and its X-Forwarded-For headers one in
# FILE.xff.
FAKE='
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path == "/ready":
            code, body = 200, {"status": "ready"}
        else:
            with open(sys.argv[2], "a") as f:
                f.write(self.command + " " + self.path + "\n")
            with open(sys.argv[2] + ".xff", "a") as f:
                f.write(str(self.headers.get_all("X-Forwarded-For")) + "\n")
            code, body = 503, {"type": "https://calldocker.dev/problems/unavailable",
                "title": "Service unavailable", "status": 503, "code": "unavailable",
                "detail": "the database is unreachable"}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/problem+json" if code == 503 else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = answer
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'

@test "a request answered 503 is sent to another node only when it is safe to repeat" {
	fport=$(free_port)
	: >"$CD_TMP/fake.hits"
	python3 -c "$FAKE" "$fport" "$CD_TMP/fake.hits" 3>&- 2>"$CD_TMP/fake.log" &
	echo $! >"$CD_TMP/fake.pid"
	HAP_DIR=$CD_TMP/haproxy-fake
	LB_PORT=$(free_port)
	hap_start "b=$(<"$CD_TMP/b/port")" "f=$fport"
	# GET: every one answered by b, some after f's 503.
	for ((i = 0; i < 4; i++)); do
		lb -H 'X-Forwarded-For: 192.0.2.66' GET /api/settings/system/status "" "$ADMIN" >/dev/null
		assert_equal "$(node_of_status)" "$B"
	done
	[[ $(grep -c '^GET ' "$CD_TMP/fake.hits") -ge 1 ]]
	# The client's own X-Forwarded-For is replaced by its address.
	run sort -u "$CD_TMP/fake.hits.xff"
	assert_output "['127.0.0.1']"
	# A call created with an Idempotency-Key: resent, never f's 503 (b's
	# own answer, whatever it is, comes back).
	for ((i = 0; i < 4; i++)); do
		lb -H "Idempotency-Key: lb-$i" POST /api/calls '{}' "$ADMIN" >/dev/null
		[[ $status != 503 ]]
	done
	[[ $(grep -c '^POST /api/calls$' "$CD_TMP/fake.hits") -ge 1 ]]
	# Any other write: f's 503 reaches the client, and was not resent.
	n503=0
	for ((i = 0; i < 4; i++)); do
		lb POST /api/companies "{\"name\":\"LB $i $RANDOM\",\"timezone\":\"UTC\"}" "$ADMIN" >/dev/null
		case $status in
		201) ;;
		503) assert_problem 503 unavailable; n503=$((n503 + 1)) ;;
		*) echo "POST /api/companies: $status $output" >&2; false ;;
		esac
	done
	((n503 >= 1))
	assert_equal "$(grep -c '^POST /api/companies$' "$CD_TMP/fake.hits")" "$n503"
	hap_stop
}

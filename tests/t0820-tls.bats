#!/usr/bin/env bats
# TLS on the TCP port: https:// and wss:// verified against a test CA,
# TLS 1.2 as the floor, plain HTTP on the TLS port refused with a problem,
# the request-head checks applied to the decrypted bytes, the Unix socket
# plain, and SIGHUP reloading the certificate without dropping connections;
# then the CLI (--cacert, CALLDOCKER_CACERT, the context's CA file) and the
# wallboard's and agent console's wss:// connections, verified the same way.

load lib/common

setup_file() {
	cd_init
	export TLS=$CD_TMP/tls
	tls_ca "$TLS"
	tls_cert "$TLS" 0x1001
	daemon_start main -- --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	export HTTPS=https://127.0.0.1:$CD_PORT
	CO=$(mkcompany "TLS Co")
	mkuser boss@tls.test manager "$CO" >/dev/null
	MGR=$(login boss@tls.test)
	U=$(mkuser ann@tls.test agent "$CO")
	api POST /api/agents "$(jq -nc --arg u "$U" '{user_id: $u, name: "Ann Lee"}')" "$MGR" >/dev/null
	A1=$(jget .id)
	TA=$(login ann@tls.test)
	api POST /api/queues "$(jq -nc --arg a "$A1" '{name: "Sales", wrap_up: 600,
		ring_timeout: 600, members: [{agent_id: $a}]}')" "$MGR" >/dev/null
	Q=$(jget .id)
	export MGR A1 TA Q
}
teardown_file() { cd_teardown; }

# https METHOD PATH [CURL-ARGS...]: like api, over https:// with the test CA.
https() {
	local method=$1 path=$2
	shift 2
	: >"$CD_TMP/resp.body"
	: >"$CD_TMP/resp.headers"
	status=$(curl -sS --cacert "$TLS/ca.pem" -X "$method" -o "$CD_TMP/resp.body" \
		-D "$CD_TMP/resp.headers" -w '%{http_code}' --max-time 10 "$@" \
		"https://127.0.0.1:$CD_PORT$path" 2>"$CD_TMP/resp.err") || status=${status:-000}
	output=$(<"$CD_TMP/resp.body")
}

@test "tls_cert and tls_key: checked at start-up and by --check-config" {
	run "$CD_DAEMON" --check-config --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	assert_success
	assert_line 'configuration ok'
	run "$CD_DAEMON" --check-config --tls-cert "$TLS/server.pem"
	assert_failure 1
	assert_output 'calldockerd: tls_cert and tls_key go together: give both or neither'
	run "$CD_DAEMON" --check-config --tls-cert "$TLS/server.pem" --tls-key "$TLS/ca.key"
	assert_failure 1
	assert_output --partial "calldockerd: tls_key does not match the certificate in \"$TLS/server.pem\""
	run "$CD_DAEMON" --check-config --tls-cert "$TLS/nope.pem" --tls-key "$TLS/server.key"
	assert_failure 1
	assert_output --partial "calldockerd: cannot load tls_cert \"$TLS/nope.pem\""
	run "$CD_DAEMON" --check-config --listen '' --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	assert_failure 1
	assert_output --partial 'tls_cert needs a TCP listen address'
}

@test "https:// GET /health verifies against the test CA" {
	https GET /health
	assert_status 200
	assert_json .status ok
	# ALPN: HTTP/1.1 only, even to a client that offers h2.
	https GET /health --http2
	assert_status 200
	# By name too.
	run curl -sS --cacert "$TLS/ca.pem" -o /dev/null -w '%{http_code}' \
		"https://localhost:$CD_PORT/health"
	assert_success
	assert_output 200
}

@test "without the CA the certificate is not trusted" {
	run curl -sS -o /dev/null "https://127.0.0.1:$CD_PORT/health"
	assert_equal "$status" 60
}

@test "plain HTTP on the TLS port: 400 tls_required, then closed" {
	api_tcp GET /health
	assert_problem 400 tls_required
	[[ $(header connection) == close ]]
	# The daemon still serves TLS and the Unix socket afterwards.
	https GET /health
	assert_status 200
	api GET /health
	assert_status 200
}

@test "the Unix socket stays plain" {
	api GET /ready
	assert_status 200
}

@test "TLS 1.1 is refused; TLS 1.2 and 1.3 are spoken" {
	# SECLEVEL=0 so that the client itself is willing to offer TLS 1.1.
	run openssl s_client -connect "127.0.0.1:$CD_PORT" -tls1_1 \
		-cipher 'DEFAULT@SECLEVEL=0' </dev/null
	assert_failure
	assert_output --partial 'alert protocol version'
	run openssl s_client -connect "127.0.0.1:$CD_PORT" -tls1_2 \
		-CAfile "$TLS/ca.pem" -verify_return_error </dev/null
	assert_success
	assert_output --partial 'New, TLSv1.2,'
	assert_output --regexp 'Cipher    : ECDHE-RSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)'
	run openssl s_client -connect "127.0.0.1:$CD_PORT" -tls1_3 \
		-CAfile "$TLS/ca.pem" -verify_return_error </dev/null
	assert_success
	assert_output --partial 'New, TLSv1.3,'
}

@test "a cipher outside Mozilla's intermediate list is refused" {
	run openssl s_client -connect "127.0.0.1:$CD_PORT" -tls1_2 \
		-cipher 'AES128-SHA' </dev/null
	assert_failure
	assert_output --partial 'handshake failure'
}

@test "request heads over TLS get the same checks (encoded slash, NUL)" {
	https GET '/api/users/a%2Fb' --path-as-is
	assert_problem 400 bad_request
	[[ $(jget .detail) == *'encoded slash'* ]]
	https GET '/api/users/%00' --path-as-is
	assert_problem 400 bad_request
	https GET /health
	assert_status 200
}

@test "over TLS, a bad head pipelined behind a good one: the good answered, then 400, then closed" {
	run python3 - "$CD_PORT" "$TLS/ca.pem" <<-'EOF'
	import socket, ssl, sys
	ctx = ssl.create_default_context(cafile=sys.argv[2])
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])),
	                    timeout=10), server_hostname="127.0.0.1")
	s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
	          b"GET /api/users/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n"
	          b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	data = b""
	try:
	    while True:
	        d = s.recv(65536)
	        if not d:
	            break
	        data += d
	except (ssl.SSLError, OSError) as e:
	    data += b"\n[ended: " + str(e).encode() + b"]"
	print(data.decode(errors="replace"))
	EOF
	echo "$output"
	assert_success
	# Two answers in order, and nothing for the request behind the bad one.
	[[ $(grep -o 'HTTP/1.1 [0-9]*' <<<"$output" | tr '\n' ,) == 'HTTP/1.1 200,HTTP/1.1 400,' ]]
	assert_output --partial '"code":"bad_request"'
	https GET /health
	assert_status 200
}

@test "over TLS, requests with bodies keep the connection; one pipelined behind a body closes it" {
	run python3 - "$CD_PORT" "$TLS/ca.pem" <<-'EOF'
	import socket, ssl, sys
	ctx = ssl.create_default_context(cafile=sys.argv[2])
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])),
	                    timeout=10), server_hostname="127.0.0.1")
	post = (b"POST /api/calls HTTP/1.1\r\nHost: x\r\nContent-Type: "
	        b"application/json\r\nContent-Length: 2\r\n\r\n{}")
	def answer(buf):
	    while b"\r\n\r\n" not in buf:
	        d = s.recv(65536)
	        if not d:
	            return None, buf
	        buf += d
	    head, _, rest = buf.partition(b"\r\n\r\n")
	    lines = head.decode().split("\r\n")
	    n = int([l.split(":")[1] for l in lines
	             if l.lower().startswith("content-length:")][0])
	    while len(rest) < n:
	        rest += s.recv(65536)
	    close = "connection: close" in [l.lower() for l in lines]
	    return lines[0] + (" close" if close else ""), rest[n:]
	buf = b""
	for i in range(3):
	    s.sendall(post)
	    line, buf = answer(buf)
	    print(line)
	s.sendall(post + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	line, buf = answer(buf)
	print(line)
	try:
	    while s.recv(65536):
	        pass
	    print("eof")
	except (ssl.SSLError, OSError) as e:
	    print("ended:", e)
	EOF
	echo "$output"
	assert_success
	[[ $(tr '\n' , <<<"$output") == "HTTP/1.1 401 Unauthorized,HTTP/1.1 401 Unauthorized,HTTP/1.1 401 Unauthorized,HTTP/1.1 401 Unauthorized close,eof," ]]
	https GET /health
	assert_status 200
}

@test "WebSockets on the same port: wss:// upgrades" {
	CD_WS_CAFILE=$TLS/ca.pem run python3 "$TOP/tests/lib/ws.py" listen "$CD_PORT" \
		--out "$CD_TMP/ws.out" --seconds 1
	run cat "$CD_TMP/ws.out"
	assert_output --partial '"protocol": "calldocker.v1"'
	refute_output --partial connect_error
}

@test "timeouts hold over TLS: no handshake and an idle keep-alive are closed; a WebSocket stays" {
	daemon_start short CALLDOCKER_HTTP_HEADER_TIMEOUT=1 CALLDOCKER_HTTP_KEEPALIVE_TIMEOUT=1 \
		-- --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	run python3 - "$CD_PORT" "$TLS/ca.pem" <<-'EOF'
	import socket, ssl, sys, time
	port, ca = int(sys.argv[1]), sys.argv[2]
	def until_eof(s):
	    t = time.time()
	    try:
	        while s.recv(4096):
	            pass
	        return "closed after %.0f s" % (time.time() - t)
	    except socket.timeout:
	        return "still open after 15 s"
	raw = socket.create_connection(("127.0.0.1", port), timeout=15)
	print("silent:", until_eof(raw))
	ctx = ssl.create_default_context(cafile=ca)
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=15),
	                    server_hostname="127.0.0.1")
	s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	head = s.recv(4096)
	print("answer:", head.split(b"\r\n")[0].decode())
	print("idle:", until_eof(s))
	EOF
	echo "$output"
	assert_success
	assert_line --regexp '^silent: closed after [0-9]+ s$'
	assert_line 'answer: HTTP/1.1 200 OK'
	assert_line --regexp '^idle: closed after [0-9]+ s$'
	# A WebSocket outlives both timeouts (3 s, more than twice each).
	CD_WS_CAFILE=$TLS/ca.pem run python3 "$TOP/tests/lib/ws.py" listen "$CD_PORT" \
		--out "$CD_TMP/ws-long.out" --token "$TA" --topics agents --seconds 3
	run cat "$CD_TMP/ws-long.out"
	echo "$output"
	assert_output --partial '"type": "snapshot"'
	refute_output --partial '"eof"'
	refute_output --partial '"close"'
	daemon_stop short
	daemon_use main
}

@test "SIGHUP with a broken key keeps the loaded certificate" {
	cp "$TLS/server.key" "$TLS/server.key.good"
	echo garbage >"$TLS/server.key"
	kill -HUP "$CD_PID"
	wait_for 10 grep -q 'tls: reload failed, keeping the loaded certificate' "$CD_LOG"
	mv "$TLS/server.key.good" "$TLS/server.key"
	https GET /health
	assert_status 200
}

@test "SIGHUP reloads the certificate; a connection opened before keeps working" {
	tls_cert "$TLS" 0x2002 next
	run python3 "$TOP/tests/lib/tlsreload.py" "$CD_PORT" "$TLS/ca.pem" -- \
		sh -c "cp '$TLS/next.pem' '$TLS/server.pem' && cp '$TLS/next.key' '$TLS/server.key' && kill -HUP $CD_PID"
	echo "$output"
	assert_success
	assert_equal "$(jq -r .old_serial <<<"$output")" 1001
	assert_equal "$(jq -r .new_serial <<<"$output")" 2002
	assert_equal "$(jq -r .old_before <<<"$output")" 200
	assert_equal "$(jq -r .old_after <<<"$output")" 200
	assert_equal "$(jq -r .old_serial_after <<<"$output")" 1001
	grep -q 'tls: reloaded certificate' "$CD_LOG"
}

# ---- the CLI --------------------------------------------------------------------

# A configuration of its own: a saved login keeps its CA file.
tcli() {
	XDG_CONFIG_HOME=${TCLI_XDG:-$CD_TMP/xdg-tls} "$CD_CLI" --host "$HTTPS" "$@"
}

@test "calldocker --cacert: logs in and works over https://" {
	run tcli --cacert "$TLS/ca.pem" login --email boss@tls.test --password-stdin <<<"$PW"
	assert_success
	run --separate-stderr tcli --cacert "$TLS/ca.pem" -o json whoami
	assert_success
	[[ $(jq -r .email <<<"$output") == boss@tls.test ]]
	# CALLDOCKER_CACERT does the same.
	CALLDOCKER_CACERT=$TLS/ca.pem run --separate-stderr tcli -o json whoami
	assert_success
	[[ $(jq -r .email <<<"$output") == boss@tls.test ]]
}

@test "calldocker: the context keeps the CA file of its host" {
	export XDG_CONFIG_HOME=$CD_TMP/xdg-ctx
	cd "$TLS"
	run "$CD_CLI" --host "$HTTPS" --cacert ca.pem login --email boss@tls.test --password-stdin <<<"$PW"
	assert_success
	grep -qx "    cacert: $TLS/ca.pem" "$XDG_CONFIG_HOME/calldocker/config.yaml"
	cd /
	# No --cacert now: the context's, for its own host.
	run --separate-stderr "$CD_CLI" -o json whoami
	assert_success
	[[ $(jq -r .email <<<"$output") == boss@tls.test ]]
	# A context set to another host forgets it.
	run "$CD_CLI" config set-context default --host "https://localhost:$CD_PORT"
	assert_success
	run ! grep -q cacert "$XDG_CONFIG_HOME/calldocker/config.yaml"
	run "$CD_CLI" config set-context default --host "https://localhost:$CD_PORT" --cacert "$TLS/ca.pem"
	assert_success
	run --separate-stderr "$CD_CLI" --token "$MGR" -o json whoami
	assert_success
}

@test "calldocker: an unverified certificate is one line and exit 5" {
	export TCLI_XDG=$CD_TMP/xdg-none
	# The system store does not know the test CA.
	run --separate-stderr tcli --token "$MGR" whoami
	assert_equal "$status" 5
	assert_equal "$output" ""
	[[ $(wc -l <<<"$stderr") == 1 ]]
	[[ $stderr == "calldocker: cannot verify the TLS certificate of \"$HTTPS\": "*"--cacert FILE or CALLDOCKER_CACERT)" ]]
	# Another CA: the same.
	tls_ca "$CD_TMP/other"
	run --separate-stderr tcli --cacert "$CD_TMP/other/ca.pem" --token "$MGR" whoami
	assert_equal "$status" 5
	[[ $stderr == "calldocker: cannot verify the TLS certificate of "* ]]
	# The right CA but another address: the certificate names 127.0.0.1,
	# not ::ffff:127.0.0.1 (the same socket, reached over IPv6).
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
		--host "https://[::ffff:127.0.0.1]:$CD_PORT" --cacert "$TLS/ca.pem" --token "$MGR" whoami
	echo "stderr: $stderr"
	assert_equal "$status" 5
	[[ $stderr == "calldocker: cannot verify the TLS certificate of "* ]]
	# A missing CA file.
	run --separate-stderr tcli --cacert "$CD_TMP/nope.pem" --token "$MGR" whoami
	assert_equal "$status" 5
	[[ $stderr == "calldocker: cannot use the CA file \"$CD_TMP/nope.pem\": "* ]]
}

@test "calldocker: https:// to a plain port and http:// to the TLS port say so" {
	daemon_start plain
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
		--host "https://127.0.0.1:$CD_PORT" --cacert "$TLS/ca.pem" whoami
	assert_equal "$status" 5
	[[ $stderr == "calldocker: TLS handshake with \"https://127.0.0.1:$CD_PORT\" failed: "* ]]
	daemon_stop plain
	daemon_use main
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" "$CD_CLI" \
		--host "http://127.0.0.1:$CD_PORT" --token "$MGR" whoami
	assert_equal "$status" 1
	[[ $stderr == *"this port speaks TLS: use https://"* ]]
}

# ---- the agent console: wss:// -------------------------------------------------------

tm() {
	tmux -S "$CD_TMP/tmux.sock" -f /dev/null "$@"
}

@test "calldocker wallboard over https:// is live on wss://" {
	command -v tmux >/dev/null || skip "no tmux"
	# REST only every 30 s: a change that shows within 5 s came as an event.
	tm new-session -d -s wb -x 100 -y 30 env XDG_CONFIG_HOME="$CD_TMP/xdg" \
		"$CD_CLI" --host "$HTTPS" --cacert "$TLS/ca.pem" --token "$MGR" wallboard -d 30
	wait_for 10 eval 'tm capture-pane -p -t wb | grep -q " live "'
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "training"}' "$TA" >/dev/null
	assert_status 200
	wait_for 5 eval 'tm capture-pane -p -t wb | grep -Eq "Ann Lee +away .*training"' ||
		{ tm capture-pane -p -t wb >&2; tm kill-server; false; }
	tm kill-server
}

@test "calldocker agent over https:// follows its events on wss://" {
	api PUT "/api/agents/$A1/availability" '{"state": "away", "reason": "lunch"}' "$TA" >/dev/null
	assert_status 200
	api POST /api/calls "$(jq -nc --arg q "$Q" '{queue_id: $q, caller_name: "Xavi",
		caller_number: "+15550142"}')" "$MGR" >/dev/null
	assert_status 201
	# "wait offering" is answered by an event on the WebSocket only.
	run --separate-stderr env XDG_CONFIG_HOME="$CD_TMP/xdg" HOME="$CD_TMP" \
		"$CD_CLI" --host "$HTTPS" --cacert "$TLS/ca.pem" --token "$TA" agent <<-'EOF'
		ready
		wait offering 20
		EOF
	echo "stderr: $stderr"
	assert_success
	assert_line 'ready: you are available'
	assert_line 'wait: you are offering'
	refute [ -n "$stderr" ]
}

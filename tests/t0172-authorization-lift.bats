#!/usr/bin/env bats
# The daemon lifts a head's Authorization value out before libwebsockets
# parses the head (daemon/net/netconn.c, lift(); docs/performance.md): each
# request must still be its own sender's, whatever arrives in one read,
# pipelined or byte by byte, and a client cannot name a lifted value.

load lib/common

setup_file() {
	cd_init
	TLS=$BATS_FILE_TMPDIR/tls
	tls_ca "$TLS"
	tls_cert "$TLS" 0x1721
	daemon_start tls -- --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
	daemon_start main
	CO=$(mkcompany "Lift Co")
	mkuser ann@lift.test agent "$CO" >/dev/null
	mkuser bob@lift.test agent "$CO" >/dev/null
	ANN=$(login ann@lift.test)
	BOB=$(login bob@lift.test)
	export ANN BOB
}
teardown_file() { cd_teardown; }

get() { # TOKEN-LINE...: a GET /api/auth/profile head with these lines
	local h='GET /api/auth/profile HTTP/1.1\r\nHost: x\r\n' l
	for l in "$@"; do h+="$l"'\r\n'; done
	printf '%s' "$h"'\r\n'
}

heads() { run python3 "$TOP/tests/lib/heads.py" "$CD_PORT" "$@"; echo "$output"; }
heads_tls() {
	run python3 "$TOP/tests/lib/heads.py" "$(<"$CD_TMP/tls/port")" --tls "$@"
	echo "$output"
}

emails() { jq -r 'if .status == 200 then .body.email else .status end' <<<"$output" | paste -sd' '; }

@test "pipelined requests in one read each answer as their own sender" {
	heads --one-send "$(get "Authorization: Bearer $ANN")" \
		"$(get "authorization:   Bearer $BOB  ")" \
		"$(get "User-Agent: t" "AUTHORIZATION: Bearer $ANN" "Accept: */*")" \
		"$(get)" "$(get "Authorization: Bearer $BOB")"
	[[ $(emails) == "ann@lift.test bob@lift.test ann@lift.test 401 bob@lift.test" ]]
}

@test "a client cannot name a lifted value" {
	# A marker is a DEL and a number: refused from a client (400); "~1" is
	# just a bad value.
	heads "$(get "Authorization: Bearer $ANN")" "$(get 'Authorization: ~1')"
	[[ $(emails) == "ann@lift.test 401" ]]
	heads "$(get "Authorization: Bearer $BOB")" "$(get 'Authorization: \x7f1')"
	[[ $(emails) == "bob@lift.test 400" ]]
	heads "$(get 'Authorization: \x7f1')"
	[[ $(emails) == "400" ]]
}

@test "a head in many reads, two Authorization fields, a short one: parsed by lws as before" {
	heads --bytewise "$(get "Authorization: Bearer $ANN")" \
		"$(get "Authorization: Bearer $BOB")"
	[[ $(emails) == "ann@lift.test bob@lift.test" ]]
	heads "$(get "Authorization: Bearer $ANN" "Authorization: Bearer $BOB")" \
		"$(get 'Authorization: Bearer x')"
	[[ $(jq -s '[.[].status] == [401, 401]' <<<"$output") == true ]]
}

@test "a request with a body behind a lifted head keeps its body" {
	body='{"name":"Ann Lifted"}'
	h="PUT /api/auth/profile HTTP/1.1"'\r\n'"Host: x"'\r\n'"Authorization: Bearer $ANN"'\r\n'
	h+="Content-Type: application/json"'\r\n'"Content-Length: ${#body}"'\r\n\r\n'"$body"
	heads "$h" "$(get "Authorization: Bearer $ANN")"
	[[ $(jq -sr '.[1].body.name' <<<"$output") == "Ann Lifted" ]]
}

@test "whitespace around the value reads the same in one read and byte by byte" {
	# RFC 9110 5.5: a field value has no whitespace around it. lws keeps a
	# tab before the value and whatever trails it; a lifted value has
	# neither, so both paths trim it (netconn_authorization()).
	local l
	for l in "Authorization:\tBearer $ANN" "Authorization: Bearer $ANN   " \
		"authorization: Bearer $ANN\t" "AUTHORIZATION: \t Bearer $ANN \t "; do
		heads "$(get "$l")"
		[[ $(emails) == ann@lift.test ]] || { echo "one read: $l" >&2; false; }
		heads --bytewise "$(get "$l")"
		[[ $(emails) == ann@lift.test ]] || { echo "byte by byte: $l" >&2; false; }
	done
	# Inside the value nothing changes: one space after Bearer, as before.
	heads "$(get "Authorization: Bearer  $ANN")"
	[[ $(emails) == 401 ]]
	heads --bytewise "$(get "Authorization: Bearer  $ANN")"
	[[ $(emails) == 401 ]]
}

@test "over TLS: pipelined requests past a full read are all answered" {
	# Forty heads (20 KiB) in one send: OpenSSL hands them over in full
	# reads, and lws looks for more inside OpenSSL only after a full one.
	local hs=() i want=()
	for ((i = 0; i < 40; i++)); do
		hs+=("$(get "Authorization: Bearer $([[ $((i % 2)) == 0 ]] && echo "$ANN" || echo "$BOB")")")
		want+=("$([[ $((i % 2)) == 0 ]] && echo ann || echo bob)@lift.test")
	done
	heads_tls --one-send "${hs[@]}"
	[[ $(emails) == "${want[*]}" ]]
	heads_tls "$(get "authorization:\tBearer $BOB ")" "$(get "Authorization: Bearer $ANN")"
	[[ $(emails) == "bob@lift.test ann@lift.test" ]]
}

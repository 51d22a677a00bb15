#!/usr/bin/env bats
# Behind a reverse proxy (trusted_proxies, calldockerd(8), docs/cluster.md
# "Client addresses"): a request from a trusted proxy is the client's that
# its X-Forwarded-For names, for every limit per address and in the
# records; anyone else's X-Forwarded-For is ignored. 127.0.0.2 plays the
# proxy, 127.0.0.3 a client that connects directly.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_init
	daemon_start main CALLDOCKER_TRUSTED_PROXIES=127.0.0.2 \
		CALLDOCKER_RATE_LIMIT_IP=0.01 CALLDOCKER_RATE_LIMIT_IP_BURST=2 \
		CALLDOCKER_MAX_CONNECTIONS_PER_ADDRESS=3
	CO=$(mkcompany "Proxied Co")
	mkuser ann@proxy.test agent "$CO" >/dev/null
	export CO
}
teardown_file() { cd_teardown; }

from() {
	local addr=$1 xff=$2
	shift 2
	if [[ -n $xff ]]; then
		api --from "$addr" -H "X-Forwarded-For: $xff" "$@"
	else
		api --from "$addr" "$@"
	fi
}

@test "through a trusted proxy each forwarded client has its own rate limit" {
	for i in 1 2; do
		from 127.0.0.2 203.0.113.1 GET /api/auth/profile >/dev/null
		assert_status 401
	done
	from 127.0.0.2 203.0.113.1 GET /api/auth/profile >/dev/null
	assert_problem 429 rate_limited
	# Another client behind the same proxy is not held back by the first.
	from 127.0.0.2 "198.51.100.1, 203.0.113.2" GET /api/auth/profile >/dev/null
	assert_status 401
	# The address the proxy appended counts, not what the client wrote.
	from 127.0.0.2 "203.0.113.2, 203.0.113.1" GET /api/auth/profile >/dev/null
	assert_problem 429 rate_limited
}

@test "anyone else's X-Forwarded-For is ignored" {
	from 127.0.0.3 192.0.2.1 GET /api/auth/profile >/dev/null
	assert_status 401
	from 127.0.0.3 192.0.2.2 GET /api/auth/profile >/dev/null
	assert_status 401
	# Two different forwarded addresses, one client: its third is refused.
	from 127.0.0.3 192.0.2.3 GET /api/auth/profile >/dev/null
	assert_problem 429 rate_limited
}

@test "a trusted proxy's unreadable X-Forwarded-For counts as the proxy's own request" {
	from 127.0.0.2 "203.0.113.50, unknown" GET /api/auth/profile >/dev/null
	assert_status 401
	from 127.0.0.2 "" GET /api/auth/profile >/dev/null
	assert_status 401
	from 127.0.0.2 "not-an-address" GET /api/auth/profile >/dev/null
	assert_problem 429 rate_limited
}

@test "a session records the forwarded client's address" {
	from 127.0.0.2 198.51.100.77 POST /api/auth/login \
		"$(jq -nc --arg p "$PW" '{email: "ann@proxy.test", password: $p}')" >/dev/null
	assert_status 200
	run sql "select count(*) from sessions s join users u on u.id = s.user_id
		where u.email = 'ann@proxy.test' and s.client_ip = '198.51.100.77'"
	[[ $output == 1 ]] || { echo "sessions: $output" >&2; false; }
}

@test "a trusted proxy is not capped by max_connections_per_address; others are" {
	run python3 "$TOP/tests/lib/rawhttp.py" hold --port "$CD_PORT" --count 6 \
		--seconds 3 --source 127.0.0.2
	echo "$output"
	[[ $(jq .open <<<"$output") == 6 && $(jq .refused <<<"$output") == 0 ]]
	run python3 "$TOP/tests/lib/rawhttp.py" hold --port "$CD_PORT" --count 6 \
		--seconds 3 --source 127.0.0.4
	echo "$output"
	[[ $(jq '.statuses["429"] // 0' <<<"$output") == 3 ]]
}

@test "a bad trusted_proxies is refused at start with the entry named" {
	daemon_run badproxies CALLDOCKER_TRUSTED_PROXIES="10.0.0.1/8, ::1"
	assert_failure
	assert_output --partial 'trusted_proxies: "10.0.0.1/8" is not an address'
}

@test "the documented forms are accepted: calldockerd(8)'s list and docs/cluster.md's node file" {
	daemon_run goodproxies "CALLDOCKER_TRUSTED_PROXIES=10.0.0.5, 10.0.1.0/24, fd00::/8" \
		-- --check-config
	assert_success
	daemon_run goodproxies CALLDOCKER_TRUSTED_PROXIES=10.0.0.5,10.0.0.6 -- --check-config
	assert_success
	printf 'trusted_proxies: 10.0.0.5, 10.0.0.6      # the HAProxy hosts\n' >"$CD_TMP/proxies.yaml"
	daemon_run goodproxies -- --config "$CD_TMP/proxies.yaml" --check-config
	assert_success
}

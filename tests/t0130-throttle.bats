#!/usr/bin/env bats
# Login throttling and API rate limits (429 with Retry-After and
# RateLimit-* headers). Each limit gets a daemon of its own.

load lib/common

setup_file() {
	cd_init
	main_db=$CD_DBURL
	# The API-limit daemons get a database of their own, so that failed
	# logins counted by "main" cannot throttle their logins.
	db_create t_t0130_ratelimit
	daemon_start ratelimit_ip CALLDOCKER_RATE_LIMIT_IP=1 CALLDOCKER_RATE_LIMIT_IP_BURST=5
	# per token 1/s with a burst of 3, per IP off
	daemon_start ratelimit_token CALLDOCKER_RATE_LIMIT_TOKEN=1 CALLDOCKER_RATE_LIMIT_TOKEN_BURST=3
	c=$(mkcompany "Limits Co")
	for u in rl rl2 other; do mkuser "$u@throttle.test" agent "$c" >/dev/null; done

	CD_DBURL=$main_db
	daemon_start main CALLDOCKER_LOGIN_MAX_FAILURES=3 CALLDOCKER_LOGIN_WINDOW=300
	COMPANY=$(mkcompany "Throttle Co")
	export COMPANY
	mkuser victim@throttle.test agent "$COMPANY" >/dev/null
}
teardown_file() { cd_teardown; }

creds() { jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}'; }

assert_retry_after() {
	local ra
	ra=$(header retry-after)
	[[ $ra =~ ^[0-9]+$ ]] && ((ra >= 1)) ||
		{ echo "Retry-After \"$ra\" is not a positive number of seconds" >&2; return 1; }
}

@test "the 4th failed login in a row is 429 with Retry-After (max failures 3)" {
	for i in 1 2 3; do
		api_tcp POST /api/auth/login "$(creds victim@throttle.test "Wrong-Guess-$i")"
		assert_problem 401 invalid_credentials
	done
	api_tcp POST /api/auth/login "$(creds victim@throttle.test Wrong-Guess-4)"
	assert_problem 429 rate_limited
	assert_retry_after
}

@test "while throttled even the right password is 429" {
	api_tcp POST /api/auth/login "$(creds victim@throttle.test "$PW")"
	assert_problem 429 rate_limited
	assert_retry_after
}

@test "throttled logins for an unknown e-mail look the same as for a known one" {
	for i in 1 2 3; do
		api_tcp POST /api/auth/login "$(creds ghost@throttle.test "Wrong-Guess-$i")"
	done
	api_tcp POST /api/auth/login "$(creds ghost@throttle.test Wrong-Guess-4)"
	assert_problem 429 rate_limited
	assert_retry_after
}

@test "per-IP API limit: 429 after the burst, with Retry-After and RateLimit-* headers" {
	daemon_use ratelimit_ip
	codes=()
	for i in $(seq 1 10); do
		api_tcp GET /api/companies >/dev/null
		codes+=("$status")
		if [[ $status == 429 ]]; then break; fi
		if ((i == 1)); then
			[[ $(header ratelimit-limit) == 5 ]] ||
				{ echo "RateLimit-Limit \"$(header ratelimit-limit)\", expected 5" >&2; false; }
			[[ $(header ratelimit-remaining) =~ ^[0-4]$ ]] ||
				{ echo "RateLimit-Remaining \"$(header ratelimit-remaining)\"" >&2; false; }
			[[ $(header ratelimit-reset) =~ ^[0-9]+$ ]] ||
				{ echo "RateLimit-Reset \"$(header ratelimit-reset)\"" >&2; false; }
		fi
	done
	echo "statuses: ${codes[*]}"
	[[ $status == 429 ]] || { echo "never limited: ${codes[*]}" >&2; false; }
	((${#codes[@]} >= 5 && ${#codes[@]} <= 7)) ||
		{ echo "limited after ${#codes[@]} requests, burst is 5: ${codes[*]}" >&2; false; }
	assert_problem 429 rate_limited
	assert_retry_after
	[[ $(header ratelimit-limit) == 5 ]]
	[[ $(header ratelimit-remaining) == 0 ]]
	[[ $(header ratelimit-reset) =~ ^[0-9]+$ ]]
}

@test "per-IP API limit: served again after Retry-After" {
	daemon_use ratelimit_ip
	for i in $(seq 1 10); do
		api_tcp GET /api/companies >/dev/null
		[[ $status == 429 ]] && break
	done
	assert_status 429
	ra=$(header retry-after)
	sleep "$ra"
	sleep 0.2
	api_tcp GET /api/companies >/dev/null
	[[ $status != 429 ]] || { echo "still 429 after Retry-After $ra" >&2; false; }
}

@test "per-token API limit: one token is limited, another is not" {
	daemon_use ratelimit_token
	t1=$(login rl@throttle.test)
	t2=$(login rl2@throttle.test)
	codes=()
	for i in $(seq 1 8); do
		api_tcp GET /api/auth/profile "" "$t1" >/dev/null
		codes+=("$status")
		[[ $status == 429 ]] && break
	done
	[[ $status == 429 ]] || { echo "token never limited: ${codes[*]}" >&2; false; }
	((${#codes[@]} >= 3 && ${#codes[@]} <= 5)) ||
		{ echo "limited after ${#codes[@]} requests, burst is 3: ${codes[*]}" >&2; false; }
	assert_problem 429 rate_limited
	assert_retry_after
	[[ $(header ratelimit-limit) == 3 ]]
	api_tcp GET /api/auth/profile "" "$t2"
	assert_status 200
	[[ $(header ratelimit-limit) == 3 ]]
}

@test "every API response carries RateLimit-Limit, -Remaining and -Reset" {
	daemon_use ratelimit_token
	t=$(login other@throttle.test)
	for path in /api/auth/profile /api/companies /api/users; do
		api_tcp GET "$path" "" "$t" >/dev/null
		for h in ratelimit-limit ratelimit-remaining ratelimit-reset; do
			[[ $(header $h) =~ ^[0-9]+$ ]] ||
				{ echo "GET $path ($status): $h \"$(header $h)\"" >&2; false; }
		done
	done
	# errors too
	api_tcp GET /api/users/00000000-0000-4000-8000-000000000000 "" "$t"
	[[ $(header ratelimit-limit) =~ ^[0-9]+$ ]] || { echo "no RateLimit-Limit on $status" >&2; false; }
}

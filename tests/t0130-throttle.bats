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

	# Sign-in throttling: each daemon its own database, so that failures
	# counted by one never throttle another's logins.
	db_create t_t0130_slow
	# 2 failures per 20 s per account and address; per account 8 at full
	# speed, then one check per 10 s.
	daemon_start slow CALLDOCKER_LOGIN_MAX_FAILURES=2 CALLDOCKER_LOGIN_WINDOW=20
	c=$(mkcompany "Slow Co")
	mkuser besieged@throttle.test agent "$c" >/dev/null
	db_create t_t0130_race
	daemon_start race CALLDOCKER_LOGIN_MAX_FAILURES=5 CALLDOCKER_LOGIN_WINDOW=600
	c=$(mkcompany "Race Co")
	for u in one many; do mkuser "$u@race.test" agent "$c" >/dev/null; done
	db_create t_t0130_signup
	daemon_start signup CALLDOCKER_REGISTER_LIMIT_IP=2 CALLDOCKER_REGISTER_LIMIT_TOTAL=3
	mkuser taken@signup.test admin >/dev/null

	CD_DBURL=$main_db
	daemon_start main CALLDOCKER_LOGIN_MAX_FAILURES=3 CALLDOCKER_LOGIN_WINDOW=300
	COMPANY=$(mkcompany "Throttle Co")
	export COMPANY
	for u in victim shared prof; do mkuser "$u@throttle.test" agent "$COMPANY" >/dev/null; done
	mkuser 'jösé@throttle.test' agent "$COMPANY" >/dev/null
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

@test "failures count per account whatever the case of the address (jÖsÉ = jösé = JÖSÉ)" {
	i=0
	for e in 'jÖsÉ@throttle.test' 'JÖSÉ@THROTTLE.TEST' 'jösé@throttle.test'; do
		api_tcp POST /api/auth/login "$(creds "$e" "Wrong-Guess-$((++i))")"
		assert_problem 401 invalid_credentials
	done
	api_tcp POST /api/auth/login "$(creds 'JöSé@Throttle.Test' "$PW")"
	assert_problem 429 rate_limited
	assert_retry_after
}

@test "failures from one address do not lock the account out for another" {
	for i in 1 2 3; do
		api --from 127.0.0.2 POST /api/auth/login "$(creds shared@throttle.test "Wrong-Guess-$i")"
		assert_problem 401 invalid_credentials
	done
	api --from 127.0.0.2 POST /api/auth/login "$(creds shared@throttle.test "$PW")"
	assert_problem 429 rate_limited
	assert_retry_after
	api --from 127.0.0.3 POST /api/auth/login "$(creds shared@throttle.test "$PW")"
	assert_status 200
	api --from 127.0.0.2 POST /api/auth/login "$(creds shared@throttle.test "$PW")"
	assert_problem 429 rate_limited
}

@test "wrong current_password guesses in PUT /api/auth/profile are throttled like sign-ins" {
	tok=$(login prof@throttle.test)
	for i in 1 2 3; do
		api --from 127.0.0.4 PUT /api/auth/profile "$(jq -nc --arg c "Wrong-Guess-$i" \
			'{password: "Brand-New-Pass-91", current_password: $c}')" "$tok"
		assert_problem 422 validation_failed
	done
	api --from 127.0.0.4 PUT /api/auth/profile "$(jq -nc --arg c "$PW" \
		'{password: "Brand-New-Pass-91", current_password: $c}')" "$tok"
	assert_problem 429 rate_limited
	assert_retry_after
	# They share the account's budget with sign-ins from that address.
	api --from 127.0.0.4 POST /api/auth/login "$(creds prof@throttle.test "$PW")"
	assert_problem 429 rate_limited
}

@test "past its overall budget an account is slowed, not locked: known addresses go on, others wait" {
	daemon_use slow
	# 127.0.0.20 signed in before the attack.
	api --from 127.0.0.20 POST /api/auth/login "$(creds besieged@throttle.test "$PW")"
	assert_status 200
	n=0 limited=
	for a in $(seq 21 40); do
		for i in 1 2; do
			api --from "127.0.0.$a" POST /api/auth/login "$(creds besieged@throttle.test "Wrong-$a-$i")"
			if [[ $status == 429 ]]; then limited=$a; break 2; fi
			assert_problem 401 invalid_credentials
			((++n))
		done
	done
	[[ -n $limited ]] || { echo "never slowed after $n failures" >&2; false; }
	((n >= 8)) || { echo "slowed after $n failures, the budget is 8" >&2; false; }
	assert_problem 429 rate_limited
	ra=$(header retry-after)
	((ra >= 1 && ra <= 10)) || { echo "Retry-After $ra, expected 1..10 (one check per 10 s)" >&2; false; }
	# The address the account signs in from is not held back at all.
	api --from 127.0.0.20 POST /api/auth/login "$(creds besieged@throttle.test "$PW")"
	assert_status 200
	# A new address gets its turn after the wait: slowed, not refused.
	for ((i = 0; i < 40; i++)); do
		api --from 127.0.0.41 POST /api/auth/login "$(creds besieged@throttle.test "$PW")"
		[[ $status == 429 ]] || break
		sleep 0.5
	done
	assert_status 200
}

# par_logins EMAIL FIRST_ADDR LAST_ADDR|-: 30 wrong logins at once, from the
# addresses 127.0.0.FIRST..LAST, or all from FIRST ("-"); prints the statuses.
par_logins() {
	local i a pids=() body
	for i in $(seq 1 30); do
		if [[ $3 == - ]]; then a=$2; else a=$(($2 + i - 1)); fi
		body=$(creds "$1" "Wrong-Parallel-$i")
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 --interface "127.0.0.$a" \
			-H 'Content-Type: application/json' -H 'Expect:' --data-binary "$body" \
			"http://127.0.0.1:$CD_PORT/api/auth/login" >"$CD_TMP/par.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$CD_TMP"/par.*
	rm -f "$CD_TMP"/par.*
}

@test "30 parallel wrong logins from one address check exactly 5 passwords" {
	daemon_use race
	codes=$(par_logins one@race.test 50 -)
	[[ $(grep -c '^401$' <<<"$codes") == 5 && $(grep -c '^429$' <<<"$codes") == 25 ]] ||
		{ echo "statuses:" $codes >&2; false; }
	[[ $(grep -c "failed sign-in from 127.0.0.50" "$CD_LOG") == 5 ]]
}

@test "30 parallel wrong logins from 30 addresses check exactly 20 passwords (4 x 5)" {
	daemon_use race
	codes=$(par_logins many@race.test 60 89)
	[[ $(grep -c '^401$' <<<"$codes") == 20 && $(grep -c '^429$' <<<"$codes") == 10 ]] ||
		{ echo "statuses:" $codes >&2; false; }
}

@test "one address spraying many accounts is stopped after 4 x 5 failures in all" {
	daemon_use race
	for i in $(seq 1 20); do
		api --from 127.0.0.95 POST /api/auth/login "$(creds "spray$i@race.test" "Wrong-Spray-$i")"
		assert_problem 401 invalid_credentials
	done
	api --from 127.0.0.95 POST /api/auth/login "$(creds spray21@race.test Wrong-Spray-21)"
	assert_problem 429 rate_limited
	assert_retry_after
	# another address is not affected
	api --from 127.0.0.96 POST /api/auth/login "$(creds spray21@race.test Wrong-Spray-21)"
	assert_problem 401 invalid_credentials
}

@test "sign-ups are limited per address and in total per hour; failed ones do not count" {
	daemon_use signup
	reg() { # from email company
		api --from "$1" POST /api/auth/register "$(jq -nc --arg e "$2" --arg c "$3" --arg p "$PW" \
			'{email: $e, password: $p, company_name: $c}')"
	}
	reg 127.0.0.70 taken@signup.test "Taken Co"
	assert_problem 409 email_taken
	reg 127.0.0.70 a1@signup.test "A1 Co"
	assert_status 201
	reg 127.0.0.70 a2@signup.test "A2 Co"
	assert_status 201
	reg 127.0.0.70 a3@signup.test "A3 Co"
	assert_problem 429 rate_limited
	assert_retry_after
	reg 127.0.0.71 b1@signup.test "B1 Co"
	assert_status 201
	# three in all this hour: another address is refused too
	reg 127.0.0.72 c1@signup.test "C1 Co"
	assert_problem 429 rate_limited
	assert_retry_after
	# the local administrator's socket is not limited
	api POST /api/auth/register "$(jq -nc --arg p "$PW" \
		'{email: "local@signup.test", password: $p, company_name: "Local Co"}')"
	assert_status 201
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

#!/usr/bin/env bats
# Registration, login, refresh rotation and reuse detection, logout,
# profile, password policy.

load lib/common

setup_file() {
	cd_setup CALLDOCKER_ALLOW_REGISTER=true
	# Same database, registration switched off.
	daemon_start noreg CALLDOCKER_ALLOW_REGISTER=false
	daemon_use main
	COMPANY=$(mkcompany "Auth Co")
	USER_EMAIL=ann@auth.test
	USER_ID=$(mkuser "$USER_EMAIL" manager "$COMPANY")
	export COMPANY USER_EMAIL USER_ID
}
teardown_file() { cd_teardown; }

register_body() { # email password company [timezone]
	jq -nc --arg e "$1" --arg p "$2" --arg c "$3" --arg tz "${4:-Europe/Berlin}" \
		'{email: $e, password: $p, name: "Reg Istrant", company_name: $c, timezone: $tz}'
}

creds() { jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}'; }

assert_token_pair() {
	[[ $(jget .token_type) == Bearer ]] || { echo "token_type: $output" >&2; return 1; }
	[[ $(jget .expires_in) == 900 ]] || { echo "expires_in: $output" >&2; return 1; }
	[[ $(jget '.access_token | split(".") | length') == 3 ]] || { echo "access_token: $output" >&2; return 1; }
	[[ $(jget '.refresh_token | type') == string && -n $(jget .refresh_token) ]] || return 1
	[[ $(jget '.user.id | test("^[0-9a-f-]{36}$")') == true ]] || { echo "user.id: $output" >&2; return 1; }
}

@test "register creates the company and makes the registrant its manager" {
	api POST /api/auth/register "$(register_body Reg.One@Example.TEST 'Brisk-Otter-77' 'Registered Co')"
	assert_status 201
	assert_token_pair
	assert_json .user.email reg.one@example.test
	assert_json .user.role manager
	assert_json .user.name "Reg Istrant"
	cid=$(jget .user.company_id)
	[[ $cid =~ ^[0-9a-f-]{36}$ ]]
	tok=$(jget .access_token)
	api GET "/api/companies/$cid" "" "$tok"
	assert_status 200
	assert_json .name "Registered Co"
	assert_json .timezone Europe/Berlin
	api GET /api/auth/profile "" "$tok"
	assert_status 200
	assert_json .email reg.one@example.test
}

@test "register with a taken e-mail is 409 email_taken" {
	api POST /api/auth/register "$(register_body "$USER_EMAIL" 'Brisk-Otter-77' 'Another Co')"
	assert_problem 409 email_taken
}

@test "register with invalid fields is 422 naming them" {
	api POST /api/auth/register "$(register_body not-an-address short Third)"
	assert_problem 422 validation_failed
	fields=$(jget '[.errors[].field] | sort | join(",")')
	[[ ,$fields, == *,email,* && ,$fields, == *,password,* ]] || { echo "fields: $fields" >&2; false; }
}

@test "register is 403 forbidden when allow_register is false" {
	daemon_use noreg
	api POST /api/auth/register "$(register_body nobody@reg.test 'Brisk-Otter-77' 'Closed Co')"
	assert_problem 403 forbidden
	daemon_use main
	api POST /api/auth/login "$(creds nobody@reg.test 'Brisk-Otter-77')"
	assert_status 401
}

@test "e-mail addresses fold to one Unicode lower case: sign-up and login in any case" {
	api POST /api/auth/register "$(register_body 'ÅSA@Example.TEST' 'Brisk-Otter-77' 'Nordic Co')"
	assert_status 201
	assert_json .user.email 'åsa@example.test'
	for e in 'åsa@example.test' 'ÅSA@EXAMPLE.TEST' 'Åsa@example.test' 'åSA@Example.Test'; do
		api POST /api/auth/login "$(creds "$e" 'Brisk-Otter-77')"
		assert_status 200
		assert_json .user.email 'åsa@example.test'
	done
	api POST /api/auth/register "$(register_body 'åsa@EXAMPLE.test' 'Brisk-Otter-77' 'Nordic Two')"
	assert_problem 409 email_taken
	# An address whose capitals are all outside ASCII.
	api POST /api/auth/register "$(register_body 'JÖSÉ@Example.TEST' 'Brisk-Otter-77' 'Nordic Three')"
	assert_status 201
	assert_json .user.email 'jösé@example.test'
	tok=$(jget .access_token)
	api POST /api/auth/login "$(creds 'jÖsÉ@example.test' 'Brisk-Otter-77')"
	assert_status 200
	# A profile e-mail change folds the same way, and so does the lookup.
	api PUT /api/auth/profile '{"email": "ÉMILE@Example.TEST"}' "$tok"
	assert_status 200
	assert_json .email 'émile@example.test'
	api POST /api/auth/login "$(creds 'Émile@example.test' 'Brisk-Otter-77')"
	assert_status 200
}

@test "login returns a token pair and the user" {
	api POST /api/auth/login "$(creds "$USER_EMAIL" "$PW")"
	assert_status 200
	assert_token_pair
	assert_json .user.id "$USER_ID"
	assert_json .user.email "$USER_EMAIL"
	assert_json .user.role manager
	assert_json .user.company_id "$COMPANY"
	[[ $(jget '.user | keys | map(select(test("pass|hash"))) | length') == 0 ]] ||
		{ echo "user object exposes a password field: $output" >&2; false; }
}

@test "login works over TCP as well" {
	api_tcp POST /api/auth/login "$(creds "$USER_EMAIL" "$PW")"
	assert_status 200
	assert_token_pair
}

@test "unknown e-mail and wrong password get identical 401 invalid_credentials" {
	api POST /api/auth/login "$(creds nosuch@auth.test "$PW")"
	assert_problem 401 invalid_credentials
	unknown=$output
	api POST /api/auth/login "$(creds "$USER_EMAIL" 'Wrong-Password-1')"
	assert_problem 401 invalid_credentials
	[[ $output == "$unknown" ]] || { echo "bodies differ:"$'\n'"$unknown"$'\n'"$output" >&2; false; }
}

@test "the refresh token rotates: new pair, old refresh token refused" {
	login_pair "$USER_EMAIL"
	r1=$REFRESH
	api POST /api/auth/refresh "$(jq -nc --arg t "$r1" '{refresh_token: $t}')"
	assert_status 200
	assert_token_pair
	r2=$(jget .refresh_token)
	a2=$(jget .access_token)
	[[ $r2 != "$r1" ]]
	[[ $a2 != "$ACCESS" ]]
	api GET /api/auth/profile "" "$a2"
	assert_status 200
	assert_json .id "$USER_ID"
	# the new refresh token works once more
	api POST /api/auth/refresh "$(jq -nc --arg t "$r2" '{refresh_token: $t}')"
	assert_status 200
}

@test "reusing a rotated refresh token revokes the whole session" {
	login_pair "$USER_EMAIL"
	r1=$REFRESH
	api POST /api/auth/refresh "$(jq -nc --arg t "$r1" '{refresh_token: $t}')"
	assert_status 200
	r2=$(jget .refresh_token)
	a2=$(jget .access_token)
	# a second, unrelated session of the same user
	login_pair "$USER_EMAIL"
	other_refresh=$REFRESH other_access=$ACCESS

	api POST /api/auth/refresh "$(jq -nc --arg t "$r1" '{refresh_token: $t}')"
	assert_problem 401 unauthorized
	# the newest refresh token of that session is dead too
	api POST /api/auth/refresh "$(jq -nc --arg t "$r2" '{refresh_token: $t}')"
	assert_problem 401 unauthorized
	# and so is its access token
	api GET /api/auth/profile "" "$a2"
	assert_problem 401 unauthorized
	# the other session is untouched
	api GET /api/auth/profile "" "$other_access"
	assert_status 200
	api POST /api/auth/refresh "$(jq -nc --arg t "$other_refresh" '{refresh_token: $t}')"
	assert_status 200
}

@test "an unknown refresh token is 401" {
	api POST /api/auth/refresh '{"refresh_token":"no-such-token-0123456789"}'
	assert_problem 401 unauthorized
}

@test "logout revokes the refresh token and the access token" {
	login_pair "$USER_EMAIL"
	api GET /api/auth/profile "" "$ACCESS"
	assert_status 200
	api POST /api/auth/logout '{}' "$ACCESS"
	assert_status 204
	[[ -z $output ]]
	api GET /api/auth/profile "" "$ACCESS"
	assert_problem 401 unauthorized
	api_tcp GET /api/auth/profile "" "$ACCESS"
	assert_problem 401 unauthorized
	api POST /api/auth/refresh "$(jq -nc --arg t "$REFRESH" '{refresh_token: $t}')"
	assert_problem 401 unauthorized
}

@test "logout without a token is 401" {
	api_tcp POST /api/auth/logout '{}'
	assert_problem 401 unauthorized
}

@test "GET /api/auth/profile returns the user object" {
	tok=$(login "$USER_EMAIL")
	api GET /api/auth/profile "" "$tok"
	assert_status 200
	assert_json .id "$USER_ID"
	assert_json .email "$USER_EMAIL"
	assert_json .role manager
	assert_json .company_id "$COMPANY"
	assert_json .name ann
	for k in created_at updated_at last_login_at; do
		v=$(jget ".$k")
		[[ $v =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]] ||
			{ echo "$k = \"$v\" is not RFC 3339 UTC" >&2; false; }
	done
}

@test "GET /api/auth/profile without a token over TCP is 401" {
	api_tcp GET /api/auth/profile
	assert_problem 401 unauthorized
}

@test "PUT /api/auth/profile changes the name" {
	email=$(uniq_email prof auth.test)
	mkuser "$email" agent "$COMPANY" >/dev/null
	tok=$(login "$email")
	api PUT /api/auth/profile '{"name":"Renamed Person"}' "$tok"
	assert_status 200
	assert_json .name "Renamed Person"
	api GET /api/auth/profile "" "$tok"
	assert_json .name "Renamed Person"
}

@test "PUT /api/auth/profile cannot take another user's e-mail (409)" {
	email=$(uniq_email prof auth.test)
	mkuser "$email" agent "$COMPANY" >/dev/null
	tok=$(login "$email")
	api PUT /api/auth/profile "$(jq -nc --arg e "$USER_EMAIL" '{email: $e}')" "$tok"
	assert_problem 409 email_taken
}

@test "a password change needs current_password" {
	email=$(uniq_email pwchange auth.test)
	mkuser "$email" agent "$COMPANY" >/dev/null
	tok=$(login "$email")
	api PUT /api/auth/profile '{"password":"Fresh-Meadow-2025"}' "$tok"
	assert_problem 422 validation_failed
	[[ $(jget '[.errors[].field] | index("current_password")') != null ]] ||
		{ echo "no error for current_password: $output" >&2; false; }
	api PUT /api/auth/profile "$(jq -nc --arg p "Wrong-Current-9" \
		'{password: "Fresh-Meadow-2025", current_password: $p}')" "$tok"
	[[ $status == 4* && $status != 404 ]] || { echo "wrong current_password got $status: $output" >&2; false; }
	# the old password still works, the new one does not
	login "$email" >/dev/null
	api POST /api/auth/login "$(creds "$email" Fresh-Meadow-2025)"
	assert_status 401
}

@test "a password change with current_password takes effect" {
	email=$(uniq_email pwchange auth.test)
	mkuser "$email" agent "$COMPANY" >/dev/null
	tok=$(login "$email")
	api PUT /api/auth/profile "$(jq -nc --arg p "$PW" \
		'{password: "Fresh-Meadow-2025", current_password: $p}')" "$tok"
	assert_status 200
	login "$email" Fresh-Meadow-2025 >/dev/null
	api POST /api/auth/login "$(creds "$email" "$PW")"
	assert_problem 401 invalid_credentials
}

# The policy: 10..128 characters, two of lower/upper/digit/other, not
# containing the e-mail's local part.
@test "password policy: weak passwords are 422 with errors[].field == password" {
	for bad in 'Short-1a' 'alllowercaseletters' 'ALLUPPERCASELETTERS' '12345678901234' \
		'zelda-Secret-99' "Aa1-$(printf 'x%.0s' {1..125})"; do
		api POST /api/users "$(jq -nc --arg p "$bad" --arg c "$COMPANY" \
			'{email: "zelda@auth.test", password: $p, role: "agent", company_id: $c}')"
		assert_problem 422 validation_failed
		[[ $(jget '[.errors[].field] | index("password")') != null ]] ||
			{ echo "password \"$bad\": no password error: $output" >&2; false; }
	done
	api POST /api/auth/register "$(register_body weak@reg.test 'weakweakweak' 'Weak Co')"
	assert_problem 422 validation_failed
	[[ $(jget '[.errors[].field] | index("password")') != null ]]
	# the local part in other capitals, ASCII or not
	api POST /api/auth/register "$(register_body 'björk@reg.test' 'My-BJÖRK-Secret-9' 'Weak Co')"
	assert_problem 422 validation_failed
	[[ $(jget '[.errors[].field] | index("password")') != null ]]
	tok=$(login "$USER_EMAIL")
	api PUT /api/auth/profile "$(jq -nc --arg p "$PW" '{password: "short", current_password: $p}')" "$tok"
	assert_problem 422 validation_failed
	[[ $(jget '[.errors[].field] | index("password")') != null ]]
}

@test "password policy: 10 characters of two classes are enough" {
	api POST /api/users "$(jq -nc --arg c "$COMPANY" \
		'{email: "tenchars@auth.test", password: "abcdefgh12", role: "agent", company_id: $c}')"
	assert_status 201
	login tenchars@auth.test abcdefgh12 >/dev/null
}

@test "last_login_at is set by a login" {
	email=$(uniq_email lastlogin auth.test)
	id=$(mkuser "$email" agent "$COMPANY")
	api GET "/api/users/$id"
	assert_status 200
	assert_json .last_login_at null
	login "$email" >/dev/null
	api GET "/api/users/$id"
	[[ $(jget .last_login_at) != null ]]
}

@test "passwords and tokens never reach the log" {
	login_pair "$USER_EMAIL"
	api POST /api/auth/refresh "$(jq -nc --arg t "$REFRESH" '{refresh_token: $t}')" >/dev/null
	for secret in "$PW" "$REFRESH" "$ACCESS" "$CD_SECRET" Brisk-Otter-77 Fresh-Meadow-2025; do
		if grep -qF -- "$secret" "$CD_TMP"/*/log; then
			echo "log contains a secret: ${secret:0:12}..." >&2
			false
		fi
	done
}

#!/usr/bin/env bats
# Access-token verification: every forgery and replay is 401 "unauthorized".

load lib/common

setup_file() {
	cd_setup
	COMPANY=$(mkcompany "Token Co")
	EMAIL=tom@token.test
	USER_ID=$(mkuser "$EMAIL" manager "$COMPANY")
	AGENT_EMAIL=agnes@token.test
	mkuser "$AGENT_EMAIL" agent "$COMPANY" >/dev/null
	export COMPANY EMAIL USER_ID AGENT_EMAIL
}
teardown_file() { cd_teardown; }

# A request with TOKEN must be refused as 401 unauthorized, on TCP and on
# the socket (where a token overrides the local-admin rule).
refused() {
	api_tcp GET /api/auth/profile "" "$1"
	assert_problem 401 unauthorized
	api GET /api/auth/profile "" "$1"
	assert_problem 401 unauthorized
	api GET /api/companies "" "$1"
	assert_problem 401 unauthorized
}

@test "access token claims: iss, aud, sub, jti, sid, role, cid, iat, nbf, exp" {
	tok=$(login "$EMAIL")
	h=$(jwt_header "$tok")
	[[ $(jq -r .alg <<<"$h") == HS256 ]] || { echo "header $h" >&2; false; }
	c=$(jwt_claims "$tok")
	now=$(date +%s)
	jq -e --arg sub "$USER_ID" --arg cid "$COMPANY" --argjson now "$now" '
		.iss == "calldocker" and .aud == "calldocker-api" and .sub == $sub and
		.role == "manager" and .cid == $cid and
		(.jti | type == "string" and length > 0) and
		(.sid | type == "string" and length > 0) and
		(.iat | type == "number") and (.nbf | type == "number") and
		.iat <= $now + 5 and .iat >= $now - 60 and .nbf <= $now + 5 and
		.exp - .iat == 900' <<<"$c" >/dev/null || { echo "claims: $c" >&2; false; }
}

@test "two logins get different jti and sid" {
	a=$(jwt_claims "$(login "$EMAIL")")
	b=$(jwt_claims "$(login "$EMAIL")")
	[[ $(jq -r .jti <<<"$a") != $(jq -r .jti <<<"$b") ]]
	[[ $(jq -r .sid <<<"$a") != $(jq -r .sid <<<"$b") ]]
}

@test "control: a token re-signed with the real secret and real claims is accepted" {
	# Proves the forger is right, so the refusals below mean something.
	tok=$(login "$EMAIL")
	forged=$(jwt_forge --from "$tok")
	api_tcp GET /api/auth/profile "" "$forged"
	assert_status 200
	assert_json .id "$USER_ID"
}

@test "no token on TCP is 401" {
	api_tcp GET /api/auth/profile
	assert_problem 401 unauthorized
}

@test "garbage tokens are 401" {
	for t in x abc.def.ghi 'a.b' '..' "$(printf 'A%.0s' {1..300})"; do
		api_tcp GET /api/auth/profile "" "$t"
		assert_problem 401 unauthorized
	done
}

@test "a non-Bearer Authorization scheme is 401" {
	tok=$(login "$EMAIL")
	api_tcp -H "Authorization: Basic $(printf 'tom:%s' "$PW" | base64)" GET /api/auth/profile
	assert_problem 401 unauthorized
	api_tcp -H "Authorization: Token $tok" GET /api/auth/profile
	assert_problem 401 unauthorized
}

@test "alg none is refused" {
	tok=$(login "$EMAIL")
	for alg in none None NONE nOnE; do
		refused "$(jwt_forge --from "$tok" --alg "$alg")"
	done
	# also with the original signature left in place
	refused "$(jwt_forge --from "$tok" --alg none --sign-alg HS256)"
}

@test "HS512 and HS384 with the real secret are refused (algorithm pinned)" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --alg HS512)"
	refused "$(jwt_forge --from "$tok" --alg HS384)"
}

@test "an RS256 header is refused, even with a valid HMAC signature" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --alg RS256)"
	refused "$(jwt_forge --from "$tok" --alg RS256 --sign-alg HS256)"
	refused "$(jwt_forge --from "$tok" --alg ES256 --sign-alg HS256)"
}

@test "an expired token is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --rel iat=-1000 --rel nbf=-1000 --rel exp=-120)"
}

@test "a token without exp is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --del exp)"
}

@test "a token whose nbf is in the future is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --rel nbf=600 --rel exp=1500)"
}

@test "a wrong or missing issuer is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --set iss=evil)"
	refused "$(jwt_forge --from "$tok" --set iss=calldocker-x)"
	refused "$(jwt_forge --from "$tok" --del iss)"
}

@test "a wrong or missing audience is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --set aud=other-api)"
	refused "$(jwt_forge --from "$tok" --del aud)"
}

@test "a tampered payload (role/sub changed, signature kept) is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --tamper payload)"
}

@test "a tampered signature is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --tamper signature)"
	# and one truncated
	refused "${tok%?????}"
}

@test "a token signed with another secret is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --secret 'another-secret-that-is-32-bytes-long!')"
}

@test "a well-signed token for a user that does not exist is refused" {
	tok=$(login "$EMAIL")
	refused "$(jwt_forge --from "$tok" --set sub=00000000-0000-4000-8000-000000000000 \
		--set jti=11111111-1111-4111-8111-111111111111)"
}

@test "an agent token re-signed as admin with a guessed secret is refused" {
	tok=$(login "$AGENT_EMAIL")
	refused "$(jwt_forge --from "$tok" --set role=admin --set cid=null --secret 'guessed-secret-guessed-secret-123')"
}

@test "a token revoked by logout is refused, also when replayed re-encoded" {
	login_pair "$EMAIL"
	api POST /api/auth/logout '{}' "$ACCESS"
	assert_status 204
	refused "$ACCESS"
	# same claims (same jti), fresh signature: still revoked
	refused "$(jwt_forge --from "$ACCESS")"
}

@test "access tokens of a session revoked by refresh reuse are refused" {
	login_pair "$EMAIL"
	first_access=$ACCESS r1=$REFRESH
	api POST /api/auth/refresh "$(jq -nc --arg t "$r1" '{refresh_token: $t}')"
	assert_status 200
	a2=$(jget .access_token)
	api POST /api/auth/refresh "$(jq -nc --arg t "$r1" '{refresh_token: $t}')"
	assert_problem 401 unauthorized
	refused "$a2"
	refused "$first_access"
}

@test "a refresh token is not an access token, nor the reverse" {
	login_pair "$EMAIL"
	refused "$REFRESH"
	api POST /api/auth/refresh "$(jq -nc --arg t "$ACCESS" '{refresh_token: $t}')"
	assert_problem 401 unauthorized
}

@test "on the socket a valid token acts as its user, not as the local admin" {
	tok=$(login "$AGENT_EMAIL")
	api POST /api/companies '{"name":"Should Not Exist"}' "$tok"
	assert_problem 403 forbidden
	api GET /api/companies "" "$tok"
	assert_status 200
	assert_json '.items | length' 1
	assert_json '.items[0].id' "$COMPANY"
}

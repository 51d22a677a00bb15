#!/usr/bin/env bats
# Protocol-level errors, all as application/problem+json with a code.

load lib/common

setup_file() {
	cd_setup CALLDOCKER_MAX_BODY_BYTES=1024
	mkuser http@errors.test admin >/dev/null
	TOKEN=$(login http@errors.test)
	export TOKEN
}
teardown_file() { cd_teardown; }

@test "malformed JSON is 400 bad_request" {
	for body in '{"email":' '{email: "x"}' 'not json at all' '{"a":1}}' "{\"a\":\"$(printf '\xff\xfe')\"}"; do
		api_tcp POST /api/auth/login "$body"
		assert_problem 400 bad_request
	done
	api POST /api/companies '{"name": "Broken",'
	assert_problem 400 bad_request
}

@test "a body that is JSON but not an object is refused" {
	for body in '[1,2,3]' '42' '"string"' 'null'; do
		api POST /api/companies "$body"
		[[ $status == 400 || $status == 422 ]] || { echo "$body -> $status $output" >&2; false; }
		[[ $(header content-type) == application/problem+json* ]]
	done
}

@test "a wrong content type is 415 unsupported_media_type" {
	api_tcp -H 'Content-Type: text/plain' POST /api/auth/login '{"email":"a@b.test","password":"x"}'
	assert_problem 415 unsupported_media_type
	api_tcp -H 'Content-Type: application/x-www-form-urlencoded' POST /api/auth/login 'email=a@b.test'
	assert_problem 415 unsupported_media_type
	api -H 'Content-Type: application/xml' POST /api/companies '<company/>'
	assert_problem 415 unsupported_media_type
}

@test "application/json with a charset is accepted" {
	api_tcp -H 'Content-Type: application/json; charset=utf-8' POST /api/auth/login \
		'{"email":"nobody@errors.test","password":"Whatever-123"}'
	assert_problem 401 invalid_credentials
}

@test "a body over max_body_bytes is 413 payload_too_large" {
	big=$(jq -nc --arg n "$(head -c 3000 /dev/zero | tr '\0' x)" '{name: $n}')
	api POST /api/companies "$big"
	assert_problem 413 payload_too_large
	api_tcp POST /api/auth/login "$big"
	assert_problem 413 payload_too_large
	# a body within the limit still works afterwards
	api POST /api/companies '{"name":"Small Enough"}'
	assert_status 201
}

@test "a chunked request body is 411 length_required" {
	api_tcp -H 'Transfer-Encoding: chunked' POST /api/auth/login '{"email":"a@b.test","password":"x"}'
	assert_problem 411 length_required
}

@test "an unknown route is 404 not_found" {
	for p in /api/nope /nope /api/users/x/y/z /api/companiesX /; do
		api_tcp GET "$p" "" "$TOKEN"
		assert_problem 404 not_found
	done
	api GET /api/does-not-exist
	assert_problem 404 not_found
}

@test "a wrong method is 405 method_not_allowed with Allow" {
	api_tcp DELETE /api/auth/login "" "$TOKEN"
	assert_problem 405 method_not_allowed
	[[ $(header allow) == *POST* ]] || { echo "Allow: $(header allow)" >&2; false; }
	api_tcp PATCH /api/companies '{"name":"x"}' "$TOKEN"
	assert_problem 405 method_not_allowed
	allow=$(header allow)
	[[ $allow == *GET* && $allow == *POST* ]] || { echo "Allow: $allow" >&2; false; }
	api POST /health '{}'
	assert_problem 405 method_not_allowed
}

@test "problem documents carry type, title, status, detail and code" {
	api_tcp GET /api/users/00000000-0000-4000-8000-000000000000 "" "$TOKEN"
	assert_problem 404 not_found
	jq -e '(.type|type) == "string" and (.title|type) == "string" and
		(.detail|type) == "string" and .status == 404 and .code == "not_found"' \
		<<<"$output" >/dev/null || { echo "$output" >&2; false; }
}

@test "validation problems list errors[] of {field, message}" {
	api POST /api/companies '{"name":""}'
	assert_problem 422 validation_failed
	jq -e '(.errors | type) == "array" and (.errors | length) >= 1 and
		all(.errors[]; (.field|type) == "string" and (.message|type) == "string")' \
		<<<"$output" >/dev/null || { echo "$output" >&2; false; }
}

@test "a request without a token on TCP is 401 problem+json" {
	api_tcp GET /api/users
	assert_problem 401 unauthorized
}

@test "a 10 KB request header is answered, not dropped" {
	api_tcp -H "X-Padding: $(head -c 10000 /dev/zero | tr '\0' p)" GET /health
	assert_status 200
}

@test "query parameters that are not UTF-8 text are 400 before any handler" {
	for path in '/api/users?q=%ff' '/api/companies?q=%c3%28' \
		'/api/agents?state=%e2%82' \
		'/api/calls?agent_id=%ed%a0%80' '/api/users?%ff=1' \
		'/api/queues?x=%f8%88%80%80%80' '/api/companies?q=%c0%af'; do
		api GET "$path" "" "$TOKEN"
		assert_problem 400 bad_request
		[[ $(jget .detail) == *UTF-8* ]] || { echo "$path: $output" >&2; false; }
	done
	# libwebsockets itself drops a connection whose query has %00 in it:
	# no handler runs and the daemon goes on serving.
	api GET '/api/users?q=a%00b' "" "$TOKEN"
	[[ $status == 000 || $status == 400 ]] || { echo "%00: $status $output" >&2; false; }
	api GET /health
	assert_status 200
	# Text in any script is fine, and so are encoded '&', '+' and '%'.
	api GET '/api/users?q=%c3%85sa' "" "$TOKEN"
	assert_status 200
	api GET '/api/companies?q=a%26b%2Bc%25' "" "$TOKEN"
	assert_status 200
}

@test "unknown values of enumerated query parameters are 400 naming the allowed ones" {
	api GET '/api/agents?state=bogus' "" "$TOKEN"
	assert_problem 400 bad_request
	assert_json .detail "state must be one of offline, available, offering, busy, wrap_up, away"
	api GET '/api/users?role=root' "" "$TOKEN"
	assert_problem 400 bad_request
	assert_json .detail "role must be one of agent, manager, admin"
	api GET '/api/agents?state=away' "" "$TOKEN"
	assert_status 200
	api GET '/api/users?role=admin' "" "$TOKEN"
	assert_status 200
	assert_json '.items | length' 1
}

@test "the daemon keeps serving after all of the above" {
	api_tcp GET /health
	assert_status 200
	api GET /ready
	assert_status 200
}

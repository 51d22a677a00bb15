#!/usr/bin/env bats
# Incoming webhooks: outside systems create, update and hang up calls with
# Standard Webhooks signatures (computed here with openssl), timestamps
# within five minutes, each webhook-id once, per-company secrets.

load lib/common

setup_file() {
	cd_setup
	CO=$(mkcompany "Hooks Co")
	mkuser hana@hooks.test manager "$CO" >/dev/null
	MGR=$(login hana@hooks.test)
	api POST /api/queues '{"name":"Sales"}' "$MGR" >/dev/null
	SALES=$(jget .id)
	OTHER=$(mkcompany "Other Hooks Co")
	mkuser olaf@hooks.test manager "$OTHER" >/dev/null
	OZ=$(login olaf@hooks.test)
	api POST /api/queues '{"name":"Sales"}' "$OZ" >/dev/null
	export CO MGR SALES OTHER OZ
}
teardown_file() { cd_teardown; }

uuid() { cat /proc/sys/kernel/random/uuid; }

# sign SECRET ID TIMESTAMP BODY: the webhook-signature value.
sign() {
	local hex
	hex=$(base64 -d <<<"${1#whsec_}" | od -An -tx1 | tr -d ' \n')
	printf 'v1,%s' "$(printf '%s.%s.%s' "$2" "$3" "$4" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hex" -binary | base64)"
}

# hook SECRET COMPANY BODY [ID] [TIMESTAMP]: deliver a signed webhook.
hook() {
	local id=${4:-msg_$(uuid)} ts=${5:-$(date +%s)}
	HOOK_ID=$id
	api -H "webhook-id: $id" -H "webhook-timestamp: $ts" \
		-H "webhook-signature: $(sign "$1" "$id" "$ts" "$3")" \
		POST "/api/webhooks/incoming/$2" "$3"
}

secret() { # COMPANY -> the secret, from its settings file
	cat "$CD_TMP/secret.$1"
}

@test "the signing secret: made by the daemon, shown once, rotated on PUT" {
	api GET "/api/integrations/company/$CO/incoming" "" "$MGR"
	assert_json .configured false
	api PUT "/api/integrations/company/$CO/incoming" "" "$MGR"
	assert_status 201
	s1=$(jget .secret)
	[[ $s1 == whsec_* && ${#s1} -ge 40 ]]
	api PUT "/api/integrations/company/$CO/incoming" '{}' "$MGR"
	assert_status 200
	s2=$(jget .secret)
	[[ $s2 == whsec_* && $s2 != "$s1" ]]
	api GET "/api/integrations/company/$CO/incoming" "" "$MGR"
	assert_json .configured true
	assert_json 'has("secret")' false
	[[ $output != *"$s2"* ]]
	api GET "/api/integrations/company/$CO/incoming" "" "$OZ"
	assert_problem 404 not_found
	api PUT "/api/integrations/company/$CO/incoming" '{"secret":"plain"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' secret
	echo "$s2" >"$CD_TMP/secret.$CO"
	# The old secret signs nothing any more.
	hook "$s1" "$CO" '{"action":"call.create","external_id":"x-0","queue":"Sales"}'
	assert_problem 401 unauthorized
	api PUT "/api/integrations/company/$OTHER/incoming" "" "$OZ"
	jget .secret >"$CD_TMP/secret.$OTHER"
	! grep -q "$s2" "$CD_LOG"
}

@test "call.create: a call in the named queue, once per external_id" {
	body='{"action":"call.create","external_id":"crm-1","queue":"Sales","caller_number":"+4930111","caller_name":"Ada","priority":3}'
	hook "$(secret "$CO")" "$CO" "$body"
	assert_status 201
	call=$(jget .id)
	assert_json .state queued
	assert_json .queue_id "$SALES"
	assert_json .caller_name Ada
	assert_json .priority 3
	assert_json .caller_data.external_id crm-1
	[[ $(header location) == "/api/calls/$call" ]]
	# Sent again under a new delivery id: the same call.
	hook "$(secret "$CO")" "$CO" "$body"
	assert_status 201
	assert_json .id "$call"
	api GET "/api/calls?state=queued" "" "$MGR"
	assert_json '[.items[].id] | join(",")' "$call"
	# The queue by its id works too.
	hook "$(secret "$CO")" "$CO" "{\"action\":\"call.create\",\"external_id\":\"crm-2\",\"queue\":\"$SALES\"}"
	assert_status 201
	assert_json .queue_id "$SALES"
}

@test "call.update and call.hangup find the call by external_id" {
	hook "$(secret "$CO")" "$CO" '{"action":"call.update","external_id":"crm-1","notes":"VIP","tags":["crm"]}'
	assert_status 200
	assert_json .notes VIP
	assert_json '.tags[0]' crm
	hook "$(secret "$CO")" "$CO" '{"action":"call.hangup","external_id":"crm-1"}'
	assert_status 200
	assert_json .state abandoned
	hook "$(secret "$CO")" "$CO" '{"action":"call.hangup","external_id":"crm-1"}'
	assert_status 200
	assert_json .state abandoned
	hook "$(secret "$CO")" "$CO" '{"action":"call.update","external_id":"nobody"}'
	assert_problem 404 not_found
}

@test "bad signature, unknown company, no secret: one and the same 401" {
	body='{"action":"call.create","external_id":"crm-9","queue":"Sales"}'
	hook "whsec_$(head -c 32 /dev/urandom | base64)" "$CO" "$body"
	assert_problem 401 unauthorized
	bad=$output
	hook "$(secret "$CO")" "$(uuid)" "$body"
	assert_problem 401 unauthorized
	[[ $output == "$bad" ]]
	api DELETE "/api/integrations/company/$OTHER/incoming" "" "$OZ"
	assert_status 204
	hook "$(secret "$OTHER")" "$OTHER" "$body"
	assert_problem 401 unauthorized
	[[ $output == "$bad" ]]
	api PUT "/api/integrations/company/$OTHER/incoming" "" "$OZ"
	jget .secret >"$CD_TMP/secret.$OTHER"
	# The body changed after signing.
	id=msg_$(uuid) ts=$(date +%s)
	api -H "webhook-id: $id" -H "webhook-timestamp: $ts" \
		-H "webhook-signature: $(sign "$(secret "$CO")" "$id" "$ts" "$body")" \
		POST "/api/webhooks/incoming/$CO" "${body/Sales/Support}"
	assert_problem 401 unauthorized
	# No signature headers at all.
	api POST "/api/webhooks/incoming/$CO" "$body"
	assert_problem 401 unauthorized
	api GET /api/calls "" "$MGR"
	[[ $output != *crm-9* ]]
}

@test "stale or future timestamps are refused; a webhook-id is taken once" {
	body='{"action":"call.create","external_id":"crm-3","queue":"Sales"}'
	# The tolerance is 300 s either way; the margins leave room for a slow
	# machine between signing and the daemon's clock reading.
	hook "$(secret "$CO")" "$CO" "$body" "" $(($(date +%s) - 360))
	assert_problem 401 unauthorized
	hook "$(secret "$CO")" "$CO" "$body" "" $(($(date +%s) + 360))
	assert_problem 401 unauthorized
	hook "$(secret "$CO")" "$CO" "$body" "" $(($(date +%s) - 240))
	assert_status 201
	id=$HOOK_ID
	# The same delivery again, re-signed with a fresh timestamp: a replay.
	hook "$(secret "$CO")" "$CO" "$body" "$id"
	assert_problem 409 replayed
	# Ids are per company.
	hook "$(secret "$OTHER")" "$OTHER" "$body" "$id"
	assert_status 201
}

@test "a delivery that failed may be retried under the same id" {
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"crm-4","queue":"Nowhere"}'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' queue
	id=$HOOK_ID
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"crm-4","queue":"Sales"}' "$id"
	assert_status 201
	hook "$(secret "$CO")" "$CO" '{"action":"call.dance","external_id":"crm-4"}'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' action
	hook "$(secret "$CO")" "$CO" '{"action":"call.update","external_id":"crm-4","queue":"Sales"}'
	assert_problem 422 validation_failed
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","queue":"Sales"}'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' external_id
}

@test "a queue of another company, by name or id, answers as one that does not exist" {
	api POST /api/queues '{"name":"Overseas"}' "$OZ"
	far=$(jget .id)
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"far-1","queue":"Nowhere"}'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' queue
	assert_json '.errors[0].message' "no such queue"
	unknown=$(jq -cS . <<<"$output")
	for q in Overseas overseas "$far" "$(uuid)"; do
		hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"far-1","queue":"'"$q"'"}'
		assert_status 422
		[[ $(jq -cS . <<<"$output") == "$unknown" ]]
	done
	# Nothing was written for any of them; the name is found in its own
	# company, whatever its letter case.
	api GET "/api/calls?limit=500" "" "$OZ"
	[[ $(jget '[.items[] | select(.caller_data.external_id == "far-1")] | length') == 0 ]]
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"far-1","queue":"sALES"}'
	assert_status 201
	assert_json .queue_id "$SALES"
	hook "$(secret "$CO")" "$CO" '{"action":"call.create","external_id":"far-2","queue":"Sales","ivr":true}'
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' queue
}

@test "tenant isolation: external ids and calls stay in their company" {
	# crm-3 exists in both companies: two different calls.
	hook "$(secret "$OTHER")" "$OTHER" '{"action":"call.hangup","external_id":"crm-3"}'
	assert_status 200
	assert_json .company_id "$OTHER"
	assert_json .state abandoned
	api GET "/api/calls?state=queued" "" "$MGR"
	[[ $(jget '[.items[].caller_data.external_id] | index("crm-3")') != null ]]
	# Company A's secret does not sign for B.
	hook "$(secret "$CO")" "$OTHER" '{"action":"call.hangup","external_id":"crm-3"}'
	assert_problem 401 unauthorized
	hook "$(secret "$OTHER")" "$OTHER" '{"action":"call.update","external_id":"crm-1"}'
	assert_problem 404 not_found
}

@test "calldocker integrations: set, show and delete the secrets" {
	run cli --company "$OTHER" -q integrations set incoming
	assert_success
	[[ $output == whsec_* ]]
	s=$output
	echo "$s" >"$CD_TMP/secret.$OTHER"
	hook "$(secret "$OTHER")" "$OTHER" '{"action":"call.create","external_id":"cli-1","queue":"Sales"}'
	assert_status 201
	run cli --company "$OTHER" -o json integrations show incoming
	assert_success
	[[ $(jq -r .configured <<<"$output") == true && $output != *"$s"* ]]
	run --separate-stderr cli --company "$OTHER" integrations set twilio \
		--account-sid AC0123456789abcdef0123456789abcdef --auth-token-stdin \
		<<<"a-twilio-auth-token-0001"
	assert_success
	[[ $output == *AC0123456789abcdef0123456789abcdef* && $output != *a-twilio-auth-token* ]]
	run cli --company "$OTHER" integrations set twilio --auth-token-stdin </dev/null
	assert_failure 2
	run cli --company "$OTHER" integrations show nonsense
	assert_failure 2
	run cli --company "$OTHER" integrations delete incoming --yes
	assert_success
	run cli --company "$OTHER" integrations delete incoming --yes
	assert_failure 3
	hook "$(secret "$OTHER")" "$OTHER" '{"action":"call.create","external_id":"cli-2","queue":"Sales"}'
	assert_problem 401 unauthorized
}

#!/usr/bin/env bats
# Twilio voice webhooks: the company's auth token, X-Twilio-Signature
# checked against signatures computed here with openssl, TwiML from the
# entry IVR flow, a whole call (menu, keys, queue, hang-up), idempotency on
# CallSid, escaping, and tenant isolation.

load lib/common

PUB=https://calls.example.test/cd
SID_A=AC0123456789abcdef0123456789abcdef
TOK_A=a1b2c3d4e5f60718293a4b5c6d7e8f90
SID_B=ACfedcba9876543210fedcba9876543210
TOK_B=fedcba9876543210fedcba9876543210

yaml() { # METHOD PATH FILE TOKEN
	api -H 'Content-Type: application/yaml' "$1" "$2" "@$3" "$4"
}

setup_file() {
	cd_setup CALLDOCKER_PUBLIC_URL=$PUB/
	CO=$(mkcompany "Twilio Co")
	mkuser tess@twilio.test manager "$CO" >/dev/null
	MGR=$(login tess@twilio.test)
	mkuser tim@twilio.test agent "$CO" >/dev/null
	AGENT=$(login tim@twilio.test)
	for q in Sales Support; do
		api POST /api/queues "{\"name\":\"$q\"}" "$MGR" >/dev/null
	done
	yaml POST "/api/ivr?activate=true" "$TOP/tests/ivr/api/main.yaml" "$MGR" >/dev/null
	id=$(jget .id)
	api POST "/api/ivr/$id/activate" '{"entry": true}' "$MGR" >/dev/null
	OTHER=$(mkcompany "Other Twilio Co")
	mkuser otto@twilio.test manager "$OTHER" >/dev/null
	OZ=$(login otto@twilio.test)
	api POST /api/queues '{"name":"Sales"}' "$OZ" >/dev/null
	cat >"$CD_TMP/hello.yaml" <<'YAML'
name: Hello
start: hello
nodes:
  hello:
    type: say
    text: "Hello ${caller.name} & <friends>"
    next: sales
  sales:
    type: queue
    queue: Sales
YAML
	yaml POST "/api/ivr?activate=true" "$CD_TMP/hello.yaml" "$OZ" >/dev/null
	id=$(jget .id)
	api POST "/api/ivr/$id/activate" '{"entry": true}' "$OZ" >/dev/null
	export CO MGR AGENT OTHER OZ
}
teardown_file() { cd_teardown; }

# twilio_sign TOKEN PATH [NAME=VALUE...]: sets BODY to the form and SIG to
# Twilio's signature with TOKEN over $PUB$PATH and the fields sorted by name.
twilio_sign() {
	local token=$1 path=$2 signed kv
	shift 2
	signed=$PUB$path
	while IFS= read -r kv; do
		[[ -n $kv ]] && signed+=${kv%%=*}${kv#*=}
	done < <(printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1 -s)
	BODY=
	for kv in "$@"; do
		BODY+=${BODY:+&}$(jq -rn --arg v "${kv%%=*}" '$v|@uri')=$(jq -rn --arg v "${kv#*=}" '$v|@uri')
	done
	SIG=$(printf '%s' "$signed" | openssl dgst -sha1 -hmac "$token" -binary | base64)
}

# twilio TOKEN PATH [NAME=VALUE...]: POST the form to PATH as Twilio does.
twilio() {
	twilio_sign "$@"
	api -H 'Content-Type: application/x-www-form-urlencoded' \
		-H "X-Twilio-Signature: $SIG" POST "$2" "$BODY"
}

set_twilio() { # COMPANY ACCOUNT TOKEN BEARER
	api PUT "/api/integrations/company/$1/twilio" \
		"{\"account_sid\":\"$2\",\"auth_token\":\"$3\"}" "$4"
}

# The call id in the TwiML's Gather action.
action_call() {
	sed -n 's/.*action="[^"]*?call=\([0-9a-f-]*\)&amp;event=digits".*/\1/p' <<<"$output"
}

@test "integration settings: managers set the auth token, nobody reads it back" {
	api GET "/api/integrations/company/$CO/twilio" "" "$MGR"
	assert_status 200
	assert_json .configured false
	api PUT "/api/integrations/company/$CO/twilio" '{"account_sid":"nope","auth_token":"short"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '[.errors[].field] | sort | join(",")' "account_sid,auth_token"
	set_twilio "$CO" "$SID_A" "$TOK_A" "$AGENT"
	assert_problem 403 forbidden
	set_twilio "$CO" "$SID_A" "$TOK_A" "$OZ"
	assert_problem 404 not_found
	set_twilio "$CO" "$SID_A" "nottherealtoken-0000" "$MGR"
	assert_status 201
	set_twilio "$CO" "$SID_A" "$TOK_A" "$MGR"
	assert_status 200
	[[ $output != *"$TOK_A"* ]]
	api GET "/api/integrations/company/$CO/twilio" "" "$MGR"
	assert_json .configured true
	assert_json .account_sid "$SID_A"
	assert_json 'has("auth_token")' false
	[[ $output != *"$TOK_A"* ]]
	! grep -q "$TOK_A" "$CD_LOG"
	set_twilio "$OTHER" "$SID_B" "$TOK_B" "$OZ"
	assert_status 201
	# An admin (the socket's) naming a company that does not exist.
	set_twilio "$(cat /proc/sys/kernel/random/uuid)" "$SID_B" "$TOK_B" ""
	assert_problem 404 not_found
}

@test "a bad signature, an unknown company or a stranger's token: the same 403" {
	twilio nottherealtoken-0000 "/api/webhooks/twilio/$CO" CallSid=CA1 AccountSid=$SID_A From=+4930
	assert_problem 403 forbidden
	bad=$output
	twilio "$TOK_A" "/api/webhooks/twilio/$(cat /proc/sys/kernel/random/uuid)" CallSid=CA1 AccountSid=$SID_A
	assert_problem 403 forbidden
	[[ $output == "$bad" ]]
	# Company B's token, for company A's URL.
	twilio "$TOK_B" "/api/webhooks/twilio/$CO" CallSid=CA1 AccountSid=$SID_B
	assert_problem 403 forbidden
	[[ $output == "$bad" ]]
	# Signed right, but for another account.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CA1 AccountSid=$SID_B
	assert_problem 403 forbidden
	# A signed field changed on the way.
	twilio_sign "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CA1 AccountSid=$SID_A From=+4930
	api -H 'Content-Type: application/x-www-form-urlencoded' -H "X-Twilio-Signature: $SIG" \
		POST "/api/webhooks/twilio/$CO" "CallSid=CA1&AccountSid=$SID_A&From=%2B4931"
	assert_problem 403 forbidden
	api -H 'Content-Type: application/x-www-form-urlencoded' \
		POST "/api/webhooks/twilio/$CO" "CallSid=CA1&AccountSid=$SID_A"
	assert_problem 403 forbidden
	api GET /api/calls "" "$MGR"
	assert_json '.items | length' 0
}

@test "form bodies: JSON is 415, a malformed escape 400" {
	api POST "/api/webhooks/twilio/$CO" '{"CallSid":"CA1"}'
	assert_problem 415 unsupported_media_type
	api -H 'Content-Type: application/x-www-form-urlencoded' \
		POST "/api/webhooks/twilio/$CO" 'CallSid=CA%zz'
	assert_problem 400 bad_request
}

@test "a whole call: menu, keys, into the queue, then the caller hangs up" {
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAfull1 AccountSid=$SID_A \
		From=+4930123 To=+4940999 CallStatus=ringing Direction=inbound
	assert_status 200
	[[ $(header content-type) == text/xml* ]]
	first=$output
	# The flow names no language: it speaks the company's language setting.
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en">Welcome to Acme.</Say><Gather '* ]]
	[[ $output == *'<Say language="en">Press 1 for sales, 2 for support.</Say></Gather></Response>' ]]
	[[ $output == *' numDigits="1" timeout="5"'* ]]
	call=$(action_call)
	[[ -n $call ]]
	[[ $output == *"action=\"$PUB/api/webhooks/twilio/$CO?call=$call&amp;event=digits\""* ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state ivr
	assert_json .caller_number +4930123
	assert_json .caller_data.twilio_call_sid CAfull1
	# Twilio retries the webhook: the same answer, still one call.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAfull1 AccountSid=$SID_A \
		From=+4930123 To=+4940999 CallStatus=ringing Direction=inbound
	assert_status 200
	[[ $output == "$first" ]]
	api GET /api/calls "" "$MGR"
	assert_json '.items | length' 1
	# A key the menu does not know: the menu again.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$call&event=digits" CallSid=CAfull1 \
		AccountSid=$SID_A Digits=7 CallStatus=in-progress
	assert_status 200
	[[ $output == *'<Gather '*'<Say language="en">Press 1 for sales, 2 for support.</Say></Gather>'* ]]
	# 1: sales.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$call&event=digits" CallSid=CAfull1 \
		AccountSid=$SID_A Digits=1 CallStatus=in-progress
	assert_status 200
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue>Sales</Enqueue></Response>' ]]
	api GET /api/queues "" "$MGR"
	sales=$(jget '.items[] | select(.name == "Sales") | .id')
	api GET "/api/calls?state=queued" "" "$MGR"
	assert_json '.items | length' 1
	assert_json '.items[0].id' "$call"
	assert_json '.items[0].queue_id' "$sales"
	assert_json '.items[0].priority' 2
	api GET "/api/calls/$call" "" "$MGR"
	assert_json '[.events[] | select(.type == "ivr.node") | .data.node] | join(",")' \
		"welcome,menu,menu,sales"
	# The caller gives up: Twilio's status callback.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAfull1 AccountSid=$SID_A \
		CallStatus=completed CallDuration=42
	assert_status 200
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state abandoned
	assert_json '.events[-1].type' call.abandoned
	api GET "/api/queues/$sales/stats" "" "$MGR"
	assert_json .waiting 0
	# Twilio repeats the callback: nothing changes.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAfull1 AccountSid=$SID_A \
		CallStatus=completed
	assert_status 200
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state abandoned
}

@test "a caller who hangs up in the menu is abandoned there; no key means a timeout" {
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAmenu2 AccountSid=$SID_A From=+4930555
	call=$(action_call)
	# Nothing typed: Gather posts an empty Digits; the flow asks again.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$call&event=digits" CallSid=CAmenu2 \
		AccountSid=$SID_A Digits=
	assert_status 200
	[[ $output == *'<Gather '* ]]
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAmenu2 AccountSid=$SID_A \
		CallStatus=canceled
	assert_status 200
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state abandoned
	assert_json '.events[-1].data.node' menu
}

@test "a callback must name the call its CallSid belongs to" {
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAmix3 AccountSid=$SID_A
	call=$(action_call)
	twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$(cat /proc/sys/kernel/random/uuid)&event=digits" CallSid=CAmix3 \
		AccountSid=$SID_A Digits=1
	assert_problem 400 bad_request
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state ivr
}

@test "caller data is XML-escaped in TwiML; each company runs its own flow" {
	twilio "$TOK_B" "/api/webhooks/twilio/$OTHER" CallSid=CAother1 AccountSid=$SID_B \
		From=+4930777 "CallerName=<Eve> \"&\" 'co'"
	assert_status 200
	[[ $output == *'<Say language="en">Hello &lt;Eve&gt; &quot;&amp;&quot; &apos;co&apos; &amp; &lt;friends&gt;</Say><Enqueue>Sales</Enqueue>'* ]]
	python3 -c 'import sys, xml.dom.minidom as m; m.parseString(sys.stdin.read())' <<<"$output"
	# Company A sees none of B's calls, and B's CallSid means nothing at A.
	api GET /api/calls "" "$OZ"
	assert_json '.items | length' 1
	c=$(jget '.items[0].id')
	api GET "/api/calls/$c" "" "$MGR"
	assert_problem 404 not_found
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAother1 AccountSid=$SID_A \
		CallStatus=completed
	assert_status 200
	api GET "/api/calls/$c" "" "$OZ"
	assert_json .state queued
}

@test "removing the token turns the webhook away" {
	api DELETE "/api/integrations/company/$OTHER/twilio" "" "$OZ"
	assert_status 204
	api DELETE "/api/integrations/company/$OTHER/twilio" "" "$OZ"
	assert_problem 404 not_found
	twilio "$TOK_B" "/api/webhooks/twilio/$OTHER" CallSid=CAother2 AccountSid=$SID_B
	assert_problem 403 forbidden
}

@test "no entry flow: the caller hears an apology, the call is failed, once" {
	third=$(mkcompany "Flowless Co")
	set_twilio "$third" "$SID_A" "$TOK_A" ""
	assert_status 201
	twilio "$TOK_A" "/api/webhooks/twilio/$third" CallSid=CAnoflow AccountSid=$SID_A From=+4930999
	assert_status 200
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, we cannot take your call right now.</Say><Hangup/></Response>' ]]
	first=$output
	twilio "$TOK_A" "/api/webhooks/twilio/$third" CallSid=CAnoflow AccountSid=$SID_A From=+4930999
	[[ $output == "$first" ]]
	api GET /api/calls ""
	assert_json "[.items[] | select(.company_id == \"$third\")] | length" 1
	assert_json "[.items[] | select(.company_id == \"$third\")][0].state" failed
	id=$(jget "[.items[] | select(.company_id == \"$third\")][0].id")
	api GET "/api/calls/$id" ""
	assert_json '[.events[].type] | join(",")' "call.created,call.failed"
	assert_json '.events[-1].data.reason' "the call could not enter the entry flow"
}

@test "the flow hangs up (no key, twice): Hangup, and the call is completed, not abandoned" {
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAbye1 AccountSid=$SID_A From=+4930444
	call=$(action_call)
	for i in 1 2; do
		twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$call&event=digits" CallSid=CAbye1 \
			AccountSid=$SID_A Digits=
		assert_status 200
	done
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>' ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state completed
	# Twilio's status callback for the call the flow ended changes nothing.
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAbye1 AccountSid=$SID_A \
		CallStatus=completed
	assert_status 200
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state completed
	assert_json '.events[-1].type' call.ivr_completed
	assert_json '[.events[] | select(.type == "call.abandoned")] | length' 0
}

@test "an entry flow that chains into another: one TwiML answer with both flows' prompts" {
	cat >"$CD_TMP/front.yaml" <<'YAML'
name: Twilio front
start: hi
nodes:
  hi:
    type: say
    text: Hi.
    next: main
  main:
    type: goto
    flow: Main line
YAML
	yaml POST "/api/ivr?activate=true" "$CD_TMP/front.yaml" "$MGR"
	assert_status 201
	api POST "/api/ivr/$(jget .id)/activate" '{"entry": true}' "$MGR"
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAchain1 AccountSid=$SID_A From=+4930333
	assert_status 200
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en">Hi.</Say><Say language="en">Welcome to Acme.</Say><Gather '*'</Gather></Response>' ]]
	call=$(action_call)
	twilio "$TOK_A" "/api/webhooks/twilio/$CO?call=$call&event=digits" CallSid=CAchain1 \
		AccountSid=$SID_A Digits=1
	[[ $output == '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue>Sales</Enqueue></Response>' ]]
	api GET "/api/calls/$call" "" "$MGR"
	assert_json .state queued
	assert_json '[.events[] | select(.type == "ivr.node") | "\(.data.flow)/\(.data.node)"] | join(",")' \
		"Twilio front/hi,Twilio front/main,Main line/welcome,Main line/menu,Main line/sales"
}

@test "public_url: checked at start; without it the webhook answers 503" {
	printf 'public_url: ftp://calls.example.test\n' >"$CD_TMP/badurl.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/badurl.yaml" \
		--database-url "$CD_DBURL" --data-dir "$CD_TMP/ccdata"
	assert_failure 1
	assert_output --partial public_url
	printf 'public_url: https://calls.example.test/cd\n' >"$CD_TMP/goodurl.yaml"
	run "$CD_DAEMON" --check-config --config "$CD_TMP/goodurl.yaml" \
		--database-url "$CD_DBURL" --data-dir "$CD_TMP/ccdata"
	assert_success
	daemon_start nopub
	twilio "$TOK_A" "/api/webhooks/twilio/$CO" CallSid=CAnopub AccountSid=$SID_A
	assert_problem 503 unavailable
	daemon_stop nopub
	daemon_use main
}

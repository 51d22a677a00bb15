#!/usr/bin/env bats
# Webhooks, widget keys and integrations as operations (docs/api.md
# "Operations"): each change leaves one audit_log row with who, from where
# and what; a refused one leaves none and changes nothing; no secret
# (signing secret, widget key, auth token, incoming secret) is ever in the
# audit log, though create and rotate still answer it once.

load lib/common

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
# actions TYPE ID: the audit actions on that object, oldest first
actions() { sql "SELECT action FROM audit_log WHERE object_type = '$1' AND object_id = '$2' ORDER BY id" | paste -sd, -; }
nrows() { sql "SELECT count(*) FROM audit_log"; }
# whole TYPE ID: every row of the object names actor, company, address
whole() { [[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = '$1' AND object_id = '$2' AND (actor_id IS NULL OR company_id <> '$CO' OR client_ip IS NULL)") == 0 ]]; }
# never TEXT: TEXT is in no audit detail
never() { [[ $(sql "SELECT count(*) FROM audit_log WHERE strpos(detail::text, '$1') > 0") == 0 ]]; }

setup_file() {
	cd_setup CALLDOCKER_OUTBOUND_ALLOW_PRIVATE=1
	CO=$(mkcompany "Audit Co")
	OTHER=$(mkcompany "Other Audit Co")
	mkuser boss@audit.test manager "$CO" >/dev/null
	mkuser eve@otheraudit.test manager "$OTHER" >/dev/null
	MGR=$(login boss@audit.test)
	EVE=$(login eve@otheraudit.test)
	export CO OTHER MGR EVE
}
teardown_file() { cd_teardown; }

@test "webhook changes, tests and redeliveries: audited once each, refusals leave nothing, the secret never" {
	api POST "/api/webhooks/company/$CO" '{"url":"http://127.0.0.1:9/a","events":["call.*"],"description":"CRM"}' "$MGR"
	assert_status 201
	w=$(jget .id)
	s1=$(jget .secret)
	[[ $s1 == whsec_* ]]
	[[ $(header location) == "/api/webhooks/$w" ]]
	[[ $(actions webhook "$w") == create ]]
	[[ $(sql "SELECT detail->>'description' FROM audit_log WHERE object_id = '$w'") == CRM ]]
	n=$(nrows)
	# Refused: a bad field, another company's manager, an unknown delivery.
	api PUT "/api/webhooks/$w" '{"url":"ftp://x","min_wait":-1}' "$MGR"
	assert_problem 422 validation_failed
	[[ $(jget '.errors | length') == 2 ]]
	api PUT "/api/webhooks/$w" '{"description":"mine"}' "$EVE"
	assert_problem 404 not_found
	api POST "/api/webhooks/$w/rotate-secret" "" "$EVE"
	assert_problem 404 not_found
	api POST "/api/webhooks/$w/test" "" "$EVE"
	assert_problem 404 not_found
	api DELETE "/api/webhooks/$w" "" "$EVE"
	assert_problem 404 not_found
	api POST "/api/webhooks/$w/deliveries/00000000-0000-4000-8000-000000000001/redeliver" "" "$MGR"
	assert_problem 404 not_found
	api POST "/api/webhooks/company/$OTHER" '{"url":"http://127.0.0.1:9/b","events":["call.*"]}' "$MGR"
	assert_problem 404 not_found
	[[ $(nrows) == "$n" ]]
	api GET "/api/webhooks/$w" "" "$MGR"
	assert_json .description CRM
	# Accepted: each one row.
	api PUT "/api/webhooks/$w" '{"description":"CRM 2"}' "$MGR"
	assert_status 200
	api POST "/api/webhooks/$w/rotate-secret" "" "$MGR"
	assert_status 200
	s2=$(jget .secret)
	[[ $s2 == whsec_* && $s2 != "$s1" ]]
	api POST "/api/webhooks/$w/test" '{"ignored":"whsec_not_recorded"}' "$MGR"
	assert_status 202
	d=$(jget .id)
	# A delivery being sent right now answers 404: try until it is not.
	for _ in $(seq 50); do
		api POST "/api/webhooks/$w/deliveries/$d/redeliver" "" "$MGR"
		[[ $status == 202 ]] && break
	done
	assert_status 202
	[[ $(sql "SELECT detail->>'delivery_id' FROM audit_log WHERE object_id = '$w' AND action = 'redeliver'") == "$d" ]]
	# A disabled endpoint refuses a test, and that leaves nothing either.
	api PUT "/api/webhooks/$w" '{"enabled":false}' "$MGR"
	assert_status 200
	n=$(nrows)
	api POST "/api/webhooks/$w/test" "" "$MGR"
	assert_problem 409 conflict
	[[ $(nrows) == "$n" ]]
	api DELETE "/api/webhooks/$w" "" "$MGR"
	assert_status 204
	[[ $(actions webhook "$w") == create,update,rotate_secret,test,redeliver,update,delete ]]
	whole webhook "$w"
	never "$s1"
	never "$s2"
	never whsec_
}

@test "widget keys and origins: audited once each, refusals leave nothing, keys never recorded" {
	api POST "/api/companies/$CO/widget-keys" '{"name":"shop"}' "$MGR"
	assert_status 201
	k=$(jget .id)
	k1=$(jget .key)
	[[ $(header location) == "/api/companies/$CO/widget-keys/$k" ]]
	n=$(nrows)
	api POST "/api/companies/$CO/widget-keys" '{"name":"shop","colour":"red"}' "$MGR"
	assert_problem 422 validation_failed
	api POST "/api/companies/$CO/widget-keys/$k/rotate" "" "$EVE"
	assert_problem 404 not_found
	api POST "/api/companies/$CO/widget-keys/00000000-0000-4000-8000-000000000001/rotate" "" "$MGR"
	assert_problem 404 not_found
	api DELETE "/api/companies/$OTHER/widget-keys/$k" "" "$MGR"
	assert_problem 404 not_found
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["https://Shop.example.com/path"]}' "$MGR"
	assert_problem 422 validation_failed
	[[ $(nrows) == "$n" ]]
	api GET "/api/companies/$CO/widget-keys" "" "$MGR"
	assert_json '.items[0].key' "$k1"
	api POST "/api/companies/$CO/widget-keys/$k/rotate" "" "$MGR"
	assert_status 200
	k2=$(jget .key)
	[[ $k2 == wk_* && $k2 != "$k1" ]]
	api PUT "/api/companies/$CO/widget-origins" '{"origins":["https://shop.example.com"]}' "$MGR"
	assert_status 200
	assert_json '.origins[0]' https://shop.example.com
	api DELETE "/api/companies/$CO/widget-keys/$k" "" "$MGR"
	assert_status 204
	[[ $(actions widget_key "$k") == create,rotate,delete ]]
	[[ $(actions widget_origins "$CO") == update ]]
	whole widget_key "$k"
	whole widget_origins "$CO"
	never "$k1"
	never "$k2"
	never wk_
}

@test "integrations: set (create, then rotate) and delete audited by kind; tokens and secrets never recorded" {
	tok=0123456789abcdef-token
	sid=AC0123456789abcdef0123456789abcdef
	n=$(nrows)
	api PUT "/api/integrations/company/$CO/twilio" "{\"account_sid\":\"AC12\",\"auth_token\":\"$tok\"}" "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/integrations/company/$OTHER/twilio" "{\"account_sid\":\"$sid\",\"auth_token\":\"$tok\"}" "$MGR"
	assert_problem 404 not_found
	api DELETE "/api/integrations/company/$CO/twilio" "" "$MGR"
	assert_problem 404 not_found
	[[ $(nrows) == "$n" ]]
	api PUT "/api/integrations/company/$CO/twilio" "{\"account_sid\":\"$sid\",\"auth_token\":\"$tok\"}" "$MGR"
	assert_status 201
	[[ -z $(header location) ]]
	api PUT "/api/integrations/company/$CO/twilio" "{\"account_sid\":\"$sid\",\"auth_token\":\"${tok}2\"}" "$MGR"
	assert_status 200
	api PUT "/api/integrations/company/$CO/incoming" "" "$MGR"
	assert_status 201
	sec=$(jget .secret)
	[[ $sec == whsec_* ]]
	api DELETE "/api/integrations/company/$CO/twilio" "" "$MGR"
	assert_status 204
	[[ $(sql "SELECT action || ':' || (detail->>'kind') FROM audit_log WHERE object_type = 'integration' AND object_id = '$CO' ORDER BY id" | paste -sd, -) == create:twilio,rotate:twilio,create:incoming,delete:twilio ]]
	whole integration "$CO"
	never "$tok"
	never "$sec"
	never whsec_
	never auth_token
}

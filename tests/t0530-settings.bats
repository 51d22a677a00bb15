#!/usr/bin/env bats
# Settings: system (admins), company (members read, managers write) and the
# signed-in user's preferences; validation against the table of known keys,
# merge-patch semantics, and the places the settings are used: sign-up, new
# companies and queues, analytics and the profile.

load lib/common

has_field_error() {
	[[ $(jget "[.errors[].field] | index(\"$1\")") != null ]] ||
		{ echo "no error for field $1: $output" >&2; return 1; }
}

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }

setup_file() {
	cd_setup
	CO=$(mkcompany "Settings Co" Europe/Berlin)
	OTHER=$(mkcompany "Other Co")
	mkuser "mgr@settings.test" manager "$CO" >/dev/null
	mkuser "agent@settings.test" agent "$CO" >/dev/null
	mkuser "mgr@other.test" manager "$OTHER" >/dev/null
	mkuser "root@settings.test" admin >/dev/null
	MGR=$(login mgr@settings.test)
	AGENT=$(login agent@settings.test)
	OMGR=$(login mgr@other.test)
	ADMIN=$(login root@settings.test)
	export CO OTHER MGR AGENT OMGR ADMIN
}
teardown_file() { cd_teardown; }

@test "GET /api/settings/system: every key with its default" {
	api GET /api/settings/system "" "$ADMIN"
	assert_status 200
	assert_json .registration_open true
	assert_json .default_language en
	assert_json .default_timezone UTC
	assert_json 'keys | length' 3
}

@test "system settings are admin-only: managers and agents are 403" {
	api GET /api/settings/system "" "$MGR"
	assert_problem 403 forbidden
	api PUT /api/settings/system '{"registration_open":false}' "$AGENT"
	assert_problem 403 forbidden
	api GET /api/settings/system/status "" "$MGR"
	assert_problem 403 forbidden
	api GET /api/settings/system
	assert_status 200
}

@test "PUT /api/settings/system merges: keys not given are kept, null resets" {
	api PUT /api/settings/system '{"default_language":"de"}' "$ADMIN"
	assert_status 200
	assert_json .default_language de
	assert_json .registration_open true
	api PUT /api/settings/system '{"default_timezone":"Asia/Tokyo"}' "$ADMIN"
	assert_json .default_language de
	assert_json .default_timezone Asia/Tokyo
	api PUT /api/settings/system '{"default_language":null,"default_timezone":null}' "$ADMIN"
	assert_status 200
	assert_json .default_language en
	assert_json .default_timezone UTC
	[[ $(sql "SELECT settings::text FROM system_settings") == '{}' ]]
}

@test "settings validation: types, ranges, choices, real zones, unknown keys named" {
	api PUT /api/settings/system '{"registration_open":"yes"}' "$ADMIN"
	assert_problem 422 validation_failed
	has_field_error registration_open
	api PUT "/api/settings/company/$CO" '{"sl_threshold":0,"wrap_up":"10","ring_timeout":601,"sl_target":50.5}' "$MGR"
	assert_problem 422 validation_failed
	has_field_error sl_threshold
	has_field_error wrap_up
	has_field_error ring_timeout
	has_field_error sl_target
	api PUT "/api/settings/company/$CO" '{"timezone":"Mars/Olympus_Mons"}' "$MGR"
	assert_problem 422 validation_failed
	has_field_error timezone
	api PUT "/api/settings/company/$CO" '{"timezone":"../../etc/passwd"}' "$MGR"
	assert_problem 422 validation_failed
	api PUT "/api/settings/company/$CO" '{"language":"klingon"}' "$MGR"
	assert_problem 422 validation_failed
	has_field_error language
	api PUT /api/settings/user/preferences '{"theme":"neon","colour":"red"}' "$AGENT"
	assert_problem 422 validation_failed
	has_field_error theme
	has_field_error colour
	[[ $(jget '.errors[] | select(.field == "theme") | .message') == "must be one of system, light, dark, high_contrast" ]]
	[[ $(jget '.errors[] | select(.field == "colour") | .message') == "is not a known setting" ]]
	# Nothing of a refused update is kept.
	api PUT "/api/settings/company/$CO" '{"sl_threshold":30,"bogus":1}' "$MGR"
	assert_problem 422 validation_failed
	api GET "/api/settings/company/$CO" "" "$MGR"
	assert_json .sl_threshold 20
	api PUT "/api/settings/company/$CO" '[1]' "$MGR"
	assert_problem 400 bad_request
}

@test "company settings: members read, managers write, other companies are 404" {
	api GET "/api/settings/company/$CO" "" "$AGENT"
	assert_status 200
	assert_json .timezone Europe/Berlin
	assert_json .language en
	assert_json .sl_threshold 20
	assert_json .sl_target 80
	assert_json .wrap_up 10
	assert_json .ring_timeout 15
	api PUT "/api/settings/company/$CO" '{"wrap_up":5}' "$AGENT"
	assert_problem 403 forbidden
	api GET "/api/settings/company/$CO" "" "$OMGR"
	assert_problem 404 not_found
	api PUT "/api/settings/company/$CO" '{"wrap_up":5}' "$OMGR"
	assert_problem 404 not_found
	api GET "/api/settings/company/00000000-0000-4000-8000-000000000000" "" "$ADMIN"
	assert_problem 404 not_found
}

@test "the company time zone has one owner: settings, the company and analytics agree" {
	api PUT "/api/settings/company/$CO" '{"timezone":"America/Chicago"}' "$MGR"
	assert_status 200
	assert_json .timezone America/Chicago
	api GET "/api/companies/$CO" "" "$MGR"
	assert_json .timezone America/Chicago
	api GET "/api/analytics/company/$CO/overview" "" "$MGR"
	assert_status 200
	assert_json .timezone America/Chicago
	api PUT "/api/companies/$CO" '{"timezone":"Europe/Berlin"}' "$MGR"
	assert_status 200
	api GET "/api/settings/company/$CO" "" "$MGR"
	assert_json .timezone Europe/Berlin
	[[ $(sql "SELECT settings ? 'timezone' FROM companies WHERE id = '$CO'") == f ]]
}

@test "a new queue takes its service-level, wrap-up and ring defaults from the company" {
	api PUT "/api/settings/company/$CO" '{"sl_threshold":45,"wrap_up":30,"ring_timeout":25}' "$MGR"
	assert_status 200
	api POST /api/queues '{"name":"Defaults"}' "$MGR"
	assert_status 201
	assert_json .sl_threshold 45
	assert_json .wrap_up 30
	assert_json .ring_timeout 25
	api POST /api/queues '{"name":"Explicit","sl_threshold":12}' "$MGR"
	assert_status 201
	assert_json .sl_threshold 12
	assert_json .wrap_up 30
	# Another company keeps the built-in defaults.
	api POST /api/queues '{"name":"Theirs"}' "$OMGR"
	assert_status 201
	assert_json .sl_threshold 20
	assert_json .wrap_up 10
	assert_json .ring_timeout 15
	api PUT "/api/settings/company/$CO" '{"sl_threshold":null,"wrap_up":null,"ring_timeout":null}' "$MGR"
	assert_json .sl_threshold 20
}

@test "analytics insights use the company's sl_target" {
	api GET "/api/analytics/company/$CO/insights" "" "$MGR"
	assert_status 200
	assert_json .sl_target 0.8
	api PUT "/api/settings/company/$CO" '{"sl_target":95}' "$MGR"
	api GET "/api/analytics/company/$CO/insights" "" "$MGR"
	assert_json .sl_target 0.95
}

@test "registration closed by the system setting refuses sign-up" {
	body='{"email":"new@reg.test","password":"Brisk-Otter-77","company_name":"Reg Co"}'
	api PUT /api/settings/system '{"registration_open":false}' "$ADMIN"
	assert_status 200
	api POST /api/auth/register "$body"
	assert_problem 403 registration_closed
	api PUT /api/settings/system '{"registration_open":true}' "$ADMIN"
	api POST /api/auth/register "$body"
	assert_status 201
}

@test "a new company without a time zone gets the system default_timezone" {
	api PUT /api/settings/system '{"default_timezone":"Australia/Sydney"}' "$ADMIN"
	api POST /api/companies '{"name":"Sydney Co"}' "$ADMIN"
	assert_status 201
	assert_json .timezone Australia/Sydney
	api POST /api/auth/register '{"email":"syd@reg.test","password":"Brisk-Otter-77","company_name":"Sydney Two"}'
	assert_status 201
	tok=$(jget .access_token)
	api GET /api/auth/profile "" "$tok"
	assert_json .timezone Australia/Sydney
	api PUT /api/settings/system '{"default_timezone":null}' "$ADMIN"
	# Resetting a company's time zone (null) takes the system default.
	api PUT "/api/settings/company/$OTHER" '{"timezone":null}' "$OMGR"
	assert_json .timezone UTC
}

@test "preferences: the signed-in user's own, merged, and the profile's language follows them" {
	api GET /api/settings/user/preferences "" "$AGENT"
	assert_status 200
	assert_json .language null
	assert_json .theme system
	assert_json .notifications true
	api GET /api/auth/profile "" "$AGENT"
	assert_json .language en
	assert_json .timezone Europe/Berlin
	# The company's language is the default for its users.
	api PUT "/api/settings/company/$CO" '{"language":"fr"}' "$MGR"
	api GET /api/auth/profile "" "$AGENT"
	assert_json .language fr
	api PUT /api/settings/user/preferences '{"language":"nl","theme":"dark"}' "$AGENT"
	assert_status 200
	assert_json .language nl
	assert_json .theme dark
	api PUT /api/settings/user/preferences '{"notifications":false}' "$AGENT"
	assert_json .language nl
	assert_json .notifications false
	api GET /api/auth/profile "" "$AGENT"
	assert_json .language nl
	assert_json .theme dark
	# Someone else's preferences are untouched.
	api GET /api/settings/user/preferences "" "$MGR"
	assert_json .theme system
	api PUT /api/settings/user/preferences '{"language":null}' "$AGENT"
	assert_json .language null
	api GET /api/auth/profile "" "$AGENT"
	assert_json .language fr
	api PUT "/api/settings/company/$CO" '{"language":null}' "$MGR"
}

@test "the local administrator has no preferences: 409" {
	api GET /api/settings/user/preferences
	assert_problem 409 conflict
}

@test "themes and languages are lists for any signed-in user" {
	api GET /api/settings/themes "" "$AGENT"
	assert_status 200
	[[ $(jget '[.items[].id] | sort | join(",")') == dark,high_contrast,light,system ]]
	api GET /api/settings/languages "" "$AGENT"
	assert_status 200
	[[ $(jget '[.items[] | select(.code == "de") | .native_name][0]') == Deutsch ]]
	api GET /api/settings/languages
	assert_status 200
	api_tcp GET /api/settings/themes
	assert_problem 401 unauthorized
}

@test "GET /api/settings/system/status: version, uptime, database, workers, live counts" {
	api POST /api/queues '{"name":"Counted"}' "$OMGR"
	assert_status 201
	api GET /api/settings/system/status "" "$ADMIN"
	assert_status 200
	assert_json .status ok
	assert_json .database.status ready
	[[ $(jget .version) =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]
	[[ $(jget '.uptime_seconds >= 0') == true ]]
	[[ $(jget .database.schema_version) == 009_* ]] || [[ $(jget .database.schema_version) > 009 ]]
	[[ $(jget '.workers.configured > 0') == true ]]
	[[ $(jget '.workers | ([.by_type[].cap] | add) == .configured') == true ]]
	assert_json .workers.by_type.slow.cap 2
	assert_json .workers.by_type.ws.cap 2
	[[ $(jget '.connections >= 1') == true ]]
	[[ $(jget '.memory.rss_bytes > 0') == true ]]
	assert_json .storage local
	[[ $(jget '.live.companies') -ge 2 ]]
	[[ $(jget '.live.queues') -ge 1 ]]
	[[ $(jget '.live.queues') == "$(sql 'SELECT count(*) FROM queues')" ]]
	assert_json .live.calls.waiting 0
}

@test "settings changes are audited" {
	api PUT "/api/settings/company/$CO" '{"wrap_up":null}' "$MGR"
	assert_status 200
	api PUT /api/settings/system '{"default_language":null}' "$ADMIN"
	assert_status 200
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'company_settings' AND company_id = '$CO'") -ge 1 ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'system_settings'") -ge 1 ]]
}

@test "calldocker settings get|set|unset, kubectl-style" {
	run cli --token "$MGR" settings set company timezone=Europe/Paris sl_threshold=33
	assert_success
	assert_output --partial "sl_threshold"
	run cli --token "$MGR" settings get company timezone
	assert_success
	assert_output Europe/Paris
	run cli --token "$MGR" -o json settings get company
	assert_success
	[[ $(jq -r .sl_threshold <<<"$output") == 33 ]]
	run cli --token "$MGR" settings unset company sl_threshold
	assert_success
	run cli --token "$MGR" settings get company sl_threshold
	assert_output 20
	run cli --token "$AGENT" settings set preferences theme=dark notifications=false
	assert_success
	run cli --token "$AGENT" settings get preferences notifications
	assert_output false
	run --separate-stderr cli --token "$MGR" settings set company bogus=1
	[[ $status == 1 ]]
	[[ $stderr == *bogus* ]]
	run --separate-stderr cli --token "$AGENT" settings set company wrap_up=5
	[[ $status == 4 ]]
	run --separate-stderr cli --token "$MGR" settings set company wrap_up
	[[ $status == 2 ]]
	run --separate-stderr cli --token "$MGR" settings get galaxy
	[[ $status == 2 ]]
	run --separate-stderr cli --token "$MGR" settings get company nosuchkey
	[[ $status == 3 ]]
	run cli settings get system registration_open
	assert_output true
	run cli -o json settings status
	assert_success
	[[ $(jq -r .database.status <<<"$output") == ready ]]
	run cli --token "$AGENT" -q settings languages
	assert_success
	assert_line de
	api PUT "/api/settings/company/$CO" '{"timezone":"Europe/Berlin"}' "$MGR"
}

@test "an IVR flow that names no language speaks the company's" {
	api PUT "/api/settings/company/$CO" '{"language":"de"}' "$MGR"
	flow=$'name: Greeting\nstart: hello\nnodes:\n  hello:\n    type: say\n    text: Hallo.\n    next: bye\n  bye:\n    type: hangup\n'
	api -H 'Content-Type: application/yaml' POST /api/ivr "$flow" "$MGR"
	assert_status 201
	id=$(jget .id)
	api POST "/api/ivr/$id/activate" '{"version": 1, "entry": true}' "$MGR"
	assert_status 200
	api POST /api/calls '{"ivr": true, "caller_number": "+4930222"}' "$MGR"
	assert_status 201
	assert_json '.ivr.actions[0].type' say
	assert_json '.ivr.actions[0].language' de
	# A flow's own language wins.
	api -H 'Content-Type: application/yaml' PUT "/api/ivr/$id" "${flow/start: hello/language: fr$'\n'start: hello}" "$MGR"
	assert_status 200
	api POST "/api/ivr/$id/activate" '{"version": 2, "entry": true}' "$MGR"
	api POST /api/calls '{"ivr": true, "caller_number": "+4930223"}' "$MGR"
	assert_json '.ivr.actions[0].language' fr
	api PUT "/api/settings/company/$CO" '{"language":null}' "$MGR"
}

@test "settings changes: each one audited with who, where and what; a refused one leaves nothing" {
	audits() { sql "SELECT count(*) FROM audit_log WHERE object_type = '$1'"; }
	sys0=$(audits system_settings)
	co0=$(audits company_settings)
	api PUT /api/settings/system '{"registration_open":false}' "$ADMIN"
	assert_status 200
	[[ $(audits system_settings) == $((sys0 + 1)) ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'system_settings' AND action = 'update' AND company_id IS NULL AND actor_id IS NOT NULL AND client_ip IS NOT NULL AND detail->>'registration_open' = 'false'") -ge 1 ]]
	api PUT "/api/settings/company/$CO" '{"wrap_up":12}' "$MGR"
	assert_status 200
	[[ $(audits company_settings) == $((co0 + 1)) ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_type = 'company_settings' AND action = 'update' AND object_id = '$CO' AND company_id = '$CO' AND actor_id IS NOT NULL AND client_ip IS NOT NULL AND detail->>'wrap_up' = '12'") == 1 ]]
	# Refused: bad values, another company, a role too low.
	api PUT /api/settings/system '{"registration_open":"no"}' "$ADMIN"
	assert_problem 422 validation_failed
	api PUT "/api/settings/company/$CO" '{"wrap_up":-1,"bogus":1}' "$MGR"
	assert_problem 422 validation_failed
	has_field_error wrap_up
	has_field_error bogus
	api PUT "/api/settings/company/$CO" '{"wrap_up":20}' "$OMGR"
	assert_problem 404 not_found
	api PUT "/api/settings/company/00000000-0000-4000-8000-000000000000" '{"wrap_up":20}' "$ADMIN"
	assert_problem 404 not_found
	api PUT /api/settings/system '{"registration_open":true}' "$MGR"
	assert_problem 403 forbidden
	[[ $(audits system_settings) == $((sys0 + 1)) ]]
	[[ $(audits company_settings) == $((co0 + 1)) ]]
	api GET "/api/settings/company/$CO" "" "$MGR"
	assert_json .wrap_up 12
	api PUT /api/settings/system '{"registration_open":null}' "$ADMIN"
	assert_status 200
	api PUT "/api/settings/company/$CO" '{"wrap_up":null}' "$MGR"
	assert_status 200
}

#!/usr/bin/env bats
# Companies and users: create, read, update, delete, validation,
# pagination, conflicts, the last admin, cascading company deletion.

load lib/common

setup_file() {
	cd_setup
	CO=$(mkcompany "Crud Co")
	export CO
}
teardown_file() { cd_teardown; }

rfc3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'
uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

has_field_error() {
	[[ $(jget "[.errors[].field] | index(\"$1\")") != null ]] ||
		{ echo "no error for field $1: $output" >&2; return 1; }
}

user_body() { # email role [company] [password]
	jq -nc --arg e "$1" --arg r "$2" --arg c "${3-}" --arg p "${4:-$PW}" \
		'{email: $e, role: $r, password: $p} + (if $c == "" then {} else {company_id: $c} end)'
}

@test "POST /api/companies: 201, Location, the company object" {
	api POST /api/companies '{"name":"Made Here","timezone":"America/New_York"}'
	assert_status 201
	id=$(jget .id)
	[[ $id =~ $uuid_re ]]
	assert_json .name "Made Here"
	assert_json .timezone America/New_York
	[[ $(jget .created_at) =~ $rfc3339 && $(jget .updated_at) =~ $rfc3339 ]]
	[[ $(header location) == */api/companies/$id ]] || { echo "Location: $(header location)" >&2; false; }
	api GET "/api/companies/$id"
	assert_status 200
	assert_json .name "Made Here"
	assert_json .timezone America/New_York
}

@test "POST /api/companies validates name and timezone" {
	api POST /api/companies '{"name":"","timezone":"UTC"}'
	assert_problem 422 validation_failed
	has_field_error name
	api POST /api/companies "$(jq -nc --arg n "$(printf 'n%.0s' {1..101})" '{name: $n}')"
	assert_problem 422 validation_failed
	has_field_error name
	api POST /api/companies '{"name":"Tz Co","timezone":"Mars/Olympus_Mons"}'
	assert_problem 422 validation_failed
	has_field_error timezone
	api POST /api/companies '{"name":"Tz Co","timezone":"../../etc/passwd"}'
	assert_problem 422 validation_failed
	has_field_error timezone
	api POST /api/companies '{"timezone":"UTC"}'
	assert_problem 422 validation_failed
	has_field_error name
}

@test "a duplicate company name is 409 name_taken" {
	api POST /api/companies '{"name":"Crud Co"}'
	assert_problem 409 name_taken
}

@test "PUT /api/companies/:id updates name and timezone" {
	id=$(mkcompany "Before Rename")
	api PUT "/api/companies/$id" '{"name":"After Rename","timezone":"Asia/Tokyo"}'
	assert_status 200
	assert_json .name "After Rename"
	assert_json .timezone Asia/Tokyo
	api GET "/api/companies/$id"
	assert_json .name "After Rename"
	api PUT "/api/companies/$id" '{"timezone":"Nowhere/Land"}'
	assert_problem 422 validation_failed
	has_field_error timezone
	api PUT "/api/companies/$id" '{"name":"Crud Co"}'
	assert_problem 409 name_taken
}

@test "unknown company ids are 404" {
	api GET /api/companies/00000000-0000-4000-8000-000000000000
	assert_problem 404 not_found
	api PUT /api/companies/00000000-0000-4000-8000-000000000000 '{"name":"X"}'
	assert_problem 404 not_found
	api DELETE /api/companies/00000000-0000-4000-8000-000000000000
	assert_problem 404 not_found
}

@test "company list pages with limit and next_cursor, and ?q= filters" {
	for i in 1 2 3 4 5 6 7; do mkcompany "Pager $i" >/dev/null; done
	seen=()
	api GET "/api/companies?q=Pager&limit=3"
	assert_status 200
	assert_json '.items | length' 3
	seen+=($(jget '.items[].id'))
	cur=$(jget .next_cursor)
	[[ $cur != null && -n $cur ]]
	api GET "/api/companies?q=Pager&limit=3&cursor=$(jq -rn --arg c "$cur" '$c|@uri')"
	assert_status 200
	assert_json '.items | length' 3
	seen+=($(jget '.items[].id'))
	cur=$(jget .next_cursor)
	[[ $cur != null ]]
	api GET "/api/companies?q=Pager&limit=3&cursor=$(jq -rn --arg c "$cur" '$c|@uri')"
	assert_status 200
	assert_json '.items | length' 1
	assert_json .next_cursor null
	seen+=($(jget '.items[].id'))
	[[ $(printf '%s\n' "${seen[@]}" | sort -u | wc -l) == 7 ]] ||
		{ echo "pages overlap or miss: ${seen[*]}" >&2; false; }
	api GET "/api/companies?q=pager"
	assert_json '[.items[].name | select(startswith("Pager"))] | length' 7
}

@test "bad limit or cursor is 400 bad_request" {
	for q in limit=0 limit=501 limit=abc limit=-1 cursor=not-a-cursor; do
		api GET "/api/companies?$q"
		assert_problem 400 bad_request
	done
	api GET "/api/companies?limit=500"
	assert_status 200
}

@test "POST /api/users: 201, Location, name from the e-mail, no password echoed" {
	api POST /api/users "$(user_body Dana.Doe@Crud.TEST agent "$CO")"
	assert_status 201
	id=$(jget .id)
	[[ $id =~ $uuid_re ]]
	[[ $(header location) == */api/users/$id ]] || { echo "Location: $(header location)" >&2; false; }
	assert_json .email dana.doe@crud.test
	assert_json .name dana.doe
	assert_json .role agent
	assert_json .company_id "$CO"
	assert_json .last_login_at null
	[[ $(jget .created_at) =~ $rfc3339 ]]
	[[ $output != *"$PW"* ]]
	[[ $(jget 'keys | map(select(test("pass|hash"))) | length') == 0 ]]
	api GET "/api/users/$id"
	assert_status 200
	assert_json .email dana.doe@crud.test
}

@test "a duplicate e-mail is 409 email_taken, whatever its case" {
	mkuser dup@crud.test agent "$CO" >/dev/null
	api POST /api/users "$(user_body DUP@crud.test agent "$CO")"
	assert_problem 409 email_taken
}

@test "users created or renamed with non-ASCII capitals fold like sign-up, and ?q= finds them" {
	id=$(mkuser 'ØRJAN@Crud.test' agent "$CO")
	api GET "/api/users/$id"
	assert_json .email 'ørjan@crud.test'
	api POST /api/users "$(user_body 'øRJAN@crud.TEST' agent "$CO")"
	assert_problem 409 email_taken
	login 'ØrJaN@crud.test' >/dev/null
	api PUT "/api/users/$id" '{"email": "ÇAĞRI@Crud.test"}'
	assert_status 200
	assert_json .email 'çağri@crud.test'
	login 'ÇAĞRI@crud.test' >/dev/null
	api GET "/api/users?q=$(jq -rn '"ÇAĞ" | @uri')"
	assert_json '[.items[].email] | join(",")' 'çağri@crud.test'
}

@test "POST /api/users validates email, role, name and company_id" {
	for e in no-at-sign two@@crud.test 'a@nodot' '@crud.test' "$(printf 'a%.0s' {1..250})@x.test"; do
		api POST /api/users "$(user_body "$e" agent "$CO")"
		assert_problem 422 validation_failed
		has_field_error email
	done
	api POST /api/users "$(user_body role@crud.test superuser "$CO")"
	assert_problem 422 validation_failed
	has_field_error role
	api POST /api/users "$(jq -nc --arg c "$CO" --arg p "$PW" --arg n "$(printf 'n%.0s' {1..101})" \
		'{email: "longname@crud.test", role: "agent", password: $p, company_id: $c, name: $n}')"
	assert_problem 422 validation_failed
	has_field_error name
	# an admin creating an agent must name the company
	api POST /api/users "$(user_body nocompany@crud.test agent)"
	assert_problem 422 validation_failed
	has_field_error company_id
}

@test "PUT /api/users/:id updates fields; a new password works" {
	id=$(mkuser edit@crud.test agent "$CO")
	api PUT "/api/users/$id" '{"name":"Edited Name","email":"Edited@Crud.test","role":"manager"}'
	assert_status 200
	assert_json .name "Edited Name"
	assert_json .email edited@crud.test
	assert_json .role manager
	api PUT "/api/users/$id" '{"password":"Another-Pass-31"}'
	assert_status 200
	login edited@crud.test Another-Pass-31 >/dev/null
	api PUT "/api/users/$id" '{"role":"emperor"}'
	assert_problem 422 validation_failed
	has_field_error role
}

@test "DELETE /api/users/:id: 204, then 404, and the user's token stops working" {
	id=$(mkuser gone@crud.test agent "$CO")
	tok=$(login gone@crud.test)
	api_tcp GET /api/auth/profile "" "$tok"
	assert_status 200
	api DELETE "/api/users/$id"
	assert_status 204
	api GET "/api/users/$id"
	assert_problem 404 not_found
	api DELETE "/api/users/$id"
	assert_problem 404 not_found
	api_tcp GET /api/auth/profile "" "$tok"
	assert_problem 401 unauthorized
}

@test "user list pages with limit and next_cursor, filters ?q= and ?role=" {
	c=$(mkcompany "Paging Users Co")
	for i in 1 2 3 4 5; do mkuser "pu$i@paging.test" agent "$c" >/dev/null; done
	mkuser pm@paging.test manager "$c" >/dev/null
	all=()
	cur=
	for page in 1 2 3 4; do
		api GET "/api/users?company_id=$c&limit=2${cur:+&cursor=$(jq -rn --arg c "$cur" '$c|@uri')}"
		assert_status 200
		all+=($(jget '.items[].email'))
		cur=$(jget '.next_cursor // empty')
		[[ -n $cur ]] || break
	done
	((page == 3)) || { echo "expected 3 pages, got $page" >&2; false; }
	[[ $(printf '%s\n' "${all[@]}" | sort -u | wc -l) == 6 ]] || { echo "got ${all[*]}" >&2; false; }
	api GET "/api/users?company_id=$c&role=manager"
	assert_json '[.items[].email] | join(",")' pm@paging.test
	api GET "/api/users?q=pu3@"
	assert_json '[.items[].email] | join(",")' pu3@paging.test
}

@test "the last admin cannot be deleted (409 last_admin)" {
	a1=$(mkuser admin1@crud.test admin)
	api GET "/api/users?role=admin&limit=500"
	assert_json '.items | length' 1
	api DELETE "/api/users/$a1"
	assert_problem 409 last_admin
	a2=$(mkuser admin2@crud.test admin)
	api DELETE "/api/users/$a1"
	assert_status 204
	api DELETE "/api/users/$a2"
	assert_problem 409 last_admin
	api GET "/api/users/$a2"
	assert_status 200
}

@test "deleting a company removes its users; their tokens stop working" {
	c=$(mkcompany "Doomed Co")
	m=$(mkuser boss@doomed.test manager "$c")
	a=$(mkuser worker@doomed.test agent "$c")
	tm=$(login boss@doomed.test)
	ta=$(login worker@doomed.test)
	api_tcp GET /api/auth/profile "" "$ta"
	assert_status 200
	api DELETE "/api/companies/$c"
	assert_status 204
	[[ -z $output ]]
	api GET "/api/companies/$c"
	assert_problem 404 not_found
	for id in "$m" "$a"; do
		api GET "/api/users/$id"
		assert_problem 404 not_found
	done
	api GET "/api/users?q=doomed.test"
	assert_json '.items | length' 0
	for t in "$tm" "$ta"; do
		api_tcp GET /api/auth/profile "" "$t"
		assert_problem 401 unauthorized
	done
	api_tcp POST /api/auth/login "$(jq -nc --arg p "$PW" '{email: "boss@doomed.test", password: $p}')"
	assert_problem 401 invalid_credentials
}

@test "an admin's own token works like the local admin" {
	mkuser tokenadmin@crud.test admin >/dev/null
	t=$(login tokenadmin@crud.test)
	api_tcp POST /api/companies '{"name":"Token Admin Co"}' "$t"
	assert_status 201
	api_tcp GET "/api/users?role=admin" "" "$t"
	assert_status 200
	[[ $(jget '[.items[].email] | index("tokenadmin@crud.test")') != null ]]
}

@test "user and company changes: each audited with who, where and what; a refused one leaves nothing; no password in the log" {
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	audits() { sql "SELECT action FROM audit_log WHERE object_type = '$1' AND object_id = '$2' ORDER BY id" | paste -sd, -; }
	c=$(mkcompany "Audit Co")
	[[ $(audits company "$c") == create ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$c' AND company_id = '$c' AND detail = '{\"name\":\"Audit Co\"}'") == 1 ]]
	other=$(mkcompany "Audit Other Co")
	mid=$(mkuser boss@audit.test manager "$c")
	mkuser boss@audit-other.test manager "$other" >/dev/null
	mt=$(login boss@audit.test)
	ot=$(login boss@audit-other.test)

	# A manager's change: the actor, the company, the address; the
	# password only as a hash in users.
	api_tcp POST /api/users "$(user_body clerk@audit.test agent "" Secret-Quill-77)" "$mt"
	assert_status 201
	u=$(jget .id)
	[[ $(header location) == */api/users/$u ]]
	[[ $(audits user "$u") == create ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$u' AND actor_id = '$mid' AND company_id = '$c' AND client_ip IS NOT NULL AND detail = '{\"email\":\"clerk@audit.test\",\"role\":\"agent\"}'") == 1 ]]
	ut=$(login clerk@audit.test Secret-Quill-77)

	# Refused: a weak password, a taken address, an admin made by a
	# manager, a move to another company, becoming an admin, another
	# company's manager. Nothing changes, nothing is logged, no session ends.
	api_tcp PUT "/api/users/$u" '{"name":"Nope","password":"short"}' "$mt"
	assert_problem 422 validation_failed
	has_field_error password
	api_tcp PUT "/api/users/$u" '{"email":"boss@audit.test"}' "$mt"
	assert_problem 409 email_taken
	api_tcp POST /api/users "$(user_body chief@audit.test admin "" Secret-Crown-77)" "$mt"
	assert_problem 403 forbidden
	api_tcp PUT "/api/users/$u" "$(jq -nc --arg c "$other" '{company_id: $c}')" "$mt"
	assert_problem 422 validation_failed
	has_field_error company_id
	api_tcp PUT "/api/users/$u" '{"role":"admin"}' "$mt"
	assert_problem 409 conflict
	api_tcp PUT "/api/users/$u" '{"name":"Nope"}' "$ot"
	assert_problem 404 not_found
	api_tcp DELETE "/api/users/$u" "" "$ot"
	assert_problem 404 not_found
	[[ $(audits user "$u") == create ]]
	api GET "/api/users/$u"
	assert_json .email clerk@audit.test
	assert_json .name clerk
	api_tcp GET /api/auth/profile "" "$ut"
	assert_status 200

	# A new password: logged without it, and the user's sessions end.
	api_tcp PUT "/api/users/$u" '{"name":"Clerk Two","password":"Secret-Quill-88"}' "$mt"
	assert_status 200
	[[ $(sql "SELECT detail FROM audit_log WHERE object_id = '$u' AND action = 'update'") == '{"name": "Clerk Two"}' ]]
	api_tcp GET /api/auth/profile "" "$ut"
	assert_problem 401 unauthorized
	api_tcp DELETE "/api/users/$u" "" "$mt"
	assert_status 204
	[[ $(audits user "$u") == create,update,delete ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$u' AND action = 'delete' AND actor_id = '$mid' AND company_id = '$c' AND detail = '{\"email\":\"clerk@audit.test\"}'") == 1 ]]

	# Companies: refused changes leave nothing; a manager updates their
	# own; the admin deletes it, and its users' sessions end.
	api PUT "/api/companies/$c" '{"timezone":"Nowhere/Land"}'
	assert_problem 422 validation_failed
	api PUT "/api/companies/$c" '{"name":"Audit Other Co"}'
	assert_problem 409 name_taken
	api_tcp PUT "/api/companies/$c" '{"name":"Taken Over"}' "$ot"
	assert_problem 404 not_found
	api_tcp DELETE "/api/companies/$c" "" "$mt"
	assert_problem 403 forbidden
	[[ $(audits company "$c") == create ]]
	api_tcp PUT "/api/companies/$c" '{"timezone":"Europe/Berlin"}' "$mt"
	assert_status 200
	assert_json .name "Audit Co"
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$c' AND action = 'update' AND actor_id = '$mid' AND company_id = '$c' AND client_ip IS NOT NULL AND detail = '{\"timezone\":\"Europe/Berlin\"}'") == 1 ]]
	api DELETE "/api/companies/$c"
	assert_status 204
	[[ $(audits company "$c") == create,update,delete ]]
	[[ $(sql "SELECT detail->>'name' FROM audit_log WHERE object_id = '$c' AND action = 'delete'") == "Audit Co" ]]
	api_tcp GET /api/auth/profile "" "$mt"
	assert_problem 401 unauthorized

	# No password, however it was sent, is anywhere in the log.
	[[ $(sql "SELECT count(*) FROM audit_log WHERE detail ? 'password' OR detail::text LIKE '%Secret-%' OR detail::text LIKE '%$PW%'") == 0 ]]
}

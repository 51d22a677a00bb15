#!/usr/bin/env bats
# Company scoping: managers see and change only their own company, agents
# only themselves; another company's objects are 404, never revealed.

load lib/common

setup_file() {
	cd_setup
	A=$(mkcompany "Alpha Tenancy")
	B=$(mkcompany "Bravo Tenancy")
	MA=$(mkuser ma@alpha.test manager "$A")
	AA1=$(mkuser aa1@alpha.test agent "$A")
	AA2=$(mkuser aa2@alpha.test agent "$A")
	MB=$(mkuser mb@bravo.test manager "$B")
	AB=$(mkuser ab@bravo.test agent "$B")
	ADM=$(mkuser root@tenancy.test admin)
	TMA=$(login ma@alpha.test)
	TAA1=$(login aa1@alpha.test)
	TMB=$(login mb@bravo.test)
	TADM=$(login root@tenancy.test)
	export A B MA AA1 AA2 MB AB ADM TMA TAA1 TMB TADM
}
teardown_file() { cd_teardown; }

# The list's ids, sorted, comma-separated.
ids() { jget '[.items[].id] | sort | join(",")'; }
sorted() { printf '%s\n' "$@" | sort | paste -sd, -; }

@test "manager: company list shows only their company" {
	api_tcp GET /api/companies "" "$TMA"
	assert_status 200
	assert_json '[.items[].id] | join(",")' "$A"
	assert_json .next_cursor null
}

@test "manager: another company is 404 to get, update and list users of" {
	api_tcp GET "/api/companies/$B" "" "$TMA"
	assert_problem 404 not_found
	api_tcp PUT "/api/companies/$B" '{"name":"Hijacked"}' "$TMA"
	assert_problem 404 not_found
	api_tcp GET "/api/users/company/$B" "" "$TMA"
	assert_problem 404 not_found
	api GET "/api/companies/$B"
	assert_json .name "Bravo Tenancy"
}

@test "manager: cannot delete a company, theirs or another" {
	api_tcp DELETE "/api/companies/$B" "" "$TMA"
	[[ $status == 403 || $status == 404 ]] || { echo "got $status: $output" >&2; false; }
	api_tcp DELETE "/api/companies/$A" "" "$TMA"
	assert_problem 403 forbidden
	api GET "/api/companies/$A"
	assert_status 200
	api GET "/api/companies/$B"
	assert_status 200
}

@test "manager: can rename their own company" {
	api_tcp PUT "/api/companies/$A" '{"name":"Alpha Tenancy Renamed"}' "$TMA"
	assert_status 200
	assert_json .name "Alpha Tenancy Renamed"
	api_tcp PUT "/api/companies/$A" '{"name":"Alpha Tenancy"}' "$TMA"
	assert_status 200
}

@test "manager: user list holds exactly their company's users" {
	api_tcp GET /api/users "" "$TMA"
	assert_status 200
	[[ $(ids) == "$(sorted "$MA" "$AA1" "$AA2")" ]] || { echo "ids $(ids)" >&2; false; }
	api_tcp GET "/api/users/company/$A" "" "$TMA"
	assert_status 200
	[[ $(ids) == "$(sorted "$MA" "$AA1" "$AA2")" ]]
}

@test "manager: ?company_id= of another company does not widen the list" {
	api_tcp GET "/api/users?company_id=$B" "" "$TMA"
	if [[ $status == 200 ]]; then
		[[ $(jget "[.items[] | select(.company_id != \"$A\")] | length") == 0 ]] ||
			{ echo "foreign users listed: $output" >&2; false; }
	else
		[[ $status == 403 || $status == 404 ]] || { echo "got $status: $output" >&2; false; }
	fi
}

@test "manager: ?role=agent filters within their company" {
	api_tcp GET "/api/users?role=agent" "" "$TMA"
	assert_status 200
	[[ $(ids) == "$(sorted "$AA1" "$AA2")" ]] || { echo "ids $(ids)" >&2; false; }
}

@test "manager: another company's user is 404 to get, update and delete" {
	api_tcp GET "/api/users/$AB" "" "$TMA"
	assert_problem 404 not_found
	api_tcp PUT "/api/users/$AB" '{"name":"Hijacked"}' "$TMA"
	assert_problem 404 not_found
	api_tcp DELETE "/api/users/$AB" "" "$TMA"
	assert_problem 404 not_found
	api GET "/api/users/$AB"
	assert_status 200
	assert_json .name ab
}

@test "manager: an unknown id and another company's id look the same" {
	api_tcp GET "/api/users/$AB" "" "$TMA"
	foreign=$(jget 'del(.detail, .instance)')
	api_tcp GET /api/users/00000000-0000-4000-8000-000000000000 "" "$TMA"
	assert_problem 404 not_found
	[[ $(jget 'del(.detail, .instance)') == "$foreign" ]]
}

@test "manager: cannot create users in another company" {
	api_tcp POST /api/users "$(jq -nc --arg c "$B" --arg p "$PW" \
		'{email: "intruder@bravo.test", password: $p, role: "agent", company_id: $c}')" "$TMA"
	[[ $status == 403 || $status == 404 || $status == 422 ]] ||
		{ echo "got $status: $output" >&2; false; }
	api GET "/api/users?q=intruder"
	assert_status 200
	assert_json '.items | length' 0
}

@test "manager: cannot create an admin" {
	api_tcp POST /api/users "$(jq -nc --arg p "$PW" \
		'{email: "wannabe@alpha.test", password: $p, role: "admin"}')" "$TMA"
	assert_problem 403 forbidden
	api GET "/api/users?q=wannabe"
	assert_json '.items | length' 0
}

@test "manager: cannot promote a user of their company to admin" {
	api_tcp PUT "/api/users/$AA2" '{"role":"admin"}' "$TMA"
	# 403 (not allowed) or 409 (no one's role may become admin)
	[[ $status == 403 || $status == 409 ]] || { echo "got $status: $output" >&2; false; }
	[[ $(header content-type) == application/problem+json* ]]
	api GET "/api/users/$AA2"
	assert_json .role agent
}

@test "manager: creates agents in their own company by default" {
	api_tcp POST /api/users "$(jq -nc --arg p "$PW" \
		'{email: "newbie@alpha.test", password: $p, role: "agent"}')" "$TMA"
	assert_status 201
	assert_json .company_id "$A"
	assert_json .role agent
	id=$(jget .id)
	api_tcp GET "/api/users/$id" "" "$TMA"
	assert_status 200
	api_tcp GET "/api/users/$id" "" "$TMB"
	assert_problem 404 not_found
	api_tcp DELETE "/api/users/$id" "" "$TMA"
	assert_status 204
}

@test "agent: sees only themselves in the user list" {
	api_tcp GET /api/users "" "$TAA1"
	if [[ $status == 200 ]]; then
		assert_json '[.items[].id] | join(",")' "$AA1"
	else
		assert_problem 403 forbidden
	fi
}

@test "agent: can read themselves, not a colleague" {
	api_tcp GET "/api/users/$AA1" "" "$TAA1"
	assert_status 200
	assert_json .email aa1@alpha.test
	api_tcp GET "/api/users/$AA2" "" "$TAA1"
	[[ $status == 403 || $status == 404 ]] || { echo "got $status: $output" >&2; false; }
	api_tcp GET "/api/users/$AB" "" "$TAA1"
	[[ $status == 403 || $status == 404 ]] || { echo "got $status: $output" >&2; false; }
}

@test "agent: cannot create users" {
	api_tcp POST /api/users "$(jq -nc --arg p "$PW" \
		'{email: "agentmade@alpha.test", password: $p, role: "agent"}')" "$TAA1"
	assert_problem 403 forbidden
}

@test "agent: cannot update or delete anyone, themselves included" {
	for id in "$AA1" "$AA2" "$MA"; do
		api_tcp PUT "/api/users/$id" '{"role":"manager"}' "$TAA1"
		assert_problem 403 forbidden
		api_tcp DELETE "/api/users/$id" "" "$TAA1"
		assert_problem 403 forbidden
	done
	api GET "/api/users/$AA1"
	assert_json .role agent
}

@test "agent: sees their company, not others, and cannot change it" {
	api_tcp GET /api/companies "" "$TAA1"
	assert_status 200
	assert_json '[.items[].id] | join(",")' "$A"
	api_tcp GET "/api/companies/$A" "" "$TAA1"
	assert_status 200
	api_tcp GET "/api/companies/$B" "" "$TAA1"
	assert_problem 404 not_found
	api_tcp PUT "/api/companies/$A" '{"name":"Agent Co"}' "$TAA1"
	assert_problem 403 forbidden
	api_tcp GET "/api/users/company/$A" "" "$TAA1"
	assert_problem 403 forbidden
}

@test "agent and manager: cannot create companies" {
	for t in "$TAA1" "$TMA"; do
		api_tcp POST /api/companies '{"name":"Rogue Co"}' "$t"
		assert_problem 403 forbidden
	done
}

@test "admin: sees every company and every user" {
	api_tcp GET /api/companies "" "$TADM"
	assert_status 200
	[[ $(ids) == "$(sorted "$A" "$B")" ]] || { echo "ids $(ids)" >&2; false; }
	api_tcp GET "/api/users?limit=500" "" "$TADM"
	assert_status 200
	for id in "$MA" "$AA1" "$AA2" "$MB" "$AB" "$ADM"; do
		[[ $(jget "[.items[].id] | index(\"$id\")") != null ]] || { echo "missing $id" >&2; false; }
	done
}

@test "admin: ?company_id= filters users, /api/users/company/:id lists one company" {
	api_tcp GET "/api/users?company_id=$B" "" "$TADM"
	assert_status 200
	[[ $(ids) == "$(sorted "$MB" "$AB")" ]] || { echo "ids $(ids)" >&2; false; }
	api_tcp GET "/api/users/company/$B" "" "$TADM"
	assert_status 200
	[[ $(ids) == "$(sorted "$MB" "$AB")" ]]
}

@test "admin: ?company_id= scopes any list: queues, calls, agents" {
	api_tcp POST /api/queues '{"name":"Alpha Q"}' "$TMA"
	qa=$(jget .id)
	api_tcp POST /api/queues '{"name":"Bravo Q"}' "$TMB"
	qb=$(jget .id)
	api_tcp POST /api/calls "{\"queue_id\":\"$qa\"}" "$TMA"
	ca=$(jget .id)
	api_tcp POST /api/calls "{\"queue_id\":\"$qb\"}" "$TMB"
	cb=$(jget .id)
	api_tcp GET /api/queues "" "$TADM"
	[[ $(jget "[.items[].id] | index(\"$qa\")") != null ]]
	[[ $(jget "[.items[].id] | index(\"$qb\")") != null ]]
	for what in queues calls agents; do
		api_tcp GET "/api/$what?company_id=$B" "" "$TADM"
		assert_status 200
		assert_json "[.items[] | select(.company_id != \"$B\")] | length" 0
	done
	api_tcp GET "/api/calls?company_id=$B" "" "$TADM"
	assert_json '[.items[].id] | join(",")' "$cb"
	api_tcp GET "/api/calls/$ca?company_id=$B" "" "$TADM"
	assert_problem 404 not_found
	api_tcp GET "/api/queues?company_id=nope" "" "$TADM"
	assert_problem 400 bad_request
	# The CLI's --company does the same (the local socket acts as admin).
	run cli --company "$B" calls list -o json
	assert_success
	[[ $(jq -r '[.[].id] | join(",")' <<<"$output") == "$cb" ]]
	run cli --company "$B" queues list -o json
	assert_success
	[[ $(jq '[.[] | select(.company_id != "'"$B"'")] | length' <<<"$output") == 0 ]]
	# A manager's company_id never widens anything.
	api_tcp GET "/api/calls?company_id=$B" "" "$TMA"
	assert_json '[.items[].id] | join(",")' "$ca"
	api_tcp POST "/api/calls/$ca/hangup" '{}' "$TMA"
	api_tcp POST "/api/calls/$cb/hangup" '{}' "$TMB"
}

@test "admin: can update and delete users of any company" {
	id=$(mkuser temp@bravo.test agent "$B")
	api_tcp PUT "/api/users/$id" '{"name":"Temp Renamed"}' "$TADM"
	assert_status 200
	assert_json .name "Temp Renamed"
	api_tcp DELETE "/api/users/$id" "" "$TADM"
	assert_status 204
	api_tcp GET "/api/users/$id" "" "$TADM"
	assert_problem 404 not_found
}

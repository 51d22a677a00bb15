#!/usr/bin/env bats
# IVR flows over REST: import (YAML and JSON), idempotency, validation
# against the company's queues, versions, activate, roll back, export,
# tenant isolation; and a live call walking the menu into a queue.

load lib/common

yaml() { # METHOD PATH FILE [TOKEN]
	api -H 'Content-Type: application/yaml' "$1" "$2" "@$3" "${4:-$MGR}"
}

setup_file() {
	cd_setup
	CO=$(mkcompany "Ivr Co")
	mkuser ivy@ivr.test manager "$CO" >/dev/null
	MGR=$(login ivy@ivr.test)
	for q in Sales Support; do
		api POST /api/queues "{\"name\":\"$q\"}" "$MGR" >/dev/null
	done
	OTHER=$(mkcompany "Not Ivr Co")
	mkuser oz@other.test manager "$OTHER" >/dev/null
	OZ=$(login oz@other.test)
	F=$TOP/tests/ivr/api
	export CO MGR OZ OTHER F
}
teardown_file() { cd_teardown; }

@test "import: a new flow, then the same content adds no version" {
	yaml POST /api/ivr "$F/main.yaml"
	assert_status 201
	assert_json .name "Main line"
	assert_json .version 1
	assert_json .unchanged false
	assert_json .active_version null
	yaml POST /api/ivr "$F/main.yaml"
	assert_status 200
	assert_json .version 1
	assert_json .unchanged true
	api GET /api/ivr "" "$MGR"
	assert_json '.items | length' 1
}

@test "a changed import is version 2; activate, roll back, export" {
	yaml POST "/api/ivr?activate=true" "$F/main-v2.yaml"
	assert_status 200
	id=$(jget .id)
	assert_json .version 2
	assert_json .active_version 2
	api GET "/api/ivr/$id/versions" "" "$MGR"
	assert_json '[.items[].version] | join(",")' "1,2"
	assert_json '[.items[] | select(.active)] | .[0].version' 2
	api POST "/api/ivr/$id/rollback" '{}' "$MGR"
	assert_status 200
	assert_json .active_version 1
	api GET "/api/ivr/$id/export" "" "$MGR"
	assert_status 200
	[[ $(header content-type) == application/yaml* ]]
	[[ $output == *"Welcome to Acme."* && $output != *"version two"* ]]
	api GET "/api/ivr/$id/export?version=2" "" "$MGR"
	[[ $output == *"version two"* ]]
	for v in '' x 1x 9999999999; do
		api GET "/api/ivr/$id/export?version=$v" "" "$MGR"
		assert_problem 400 bad_request
	done
	api POST "/api/ivr/$id/rollback" '{}' "$MGR"
	assert_problem 409 conflict
	api POST "/api/ivr/$id/activate" '{"version": 2}' "$MGR"
	assert_json .active_version 2
	api POST "/api/ivr/$id/activate" '{"version": 9}' "$MGR"
	assert_problem 404 not_found
}

@test "validation: line:column diagnostics, unknown queues, nothing stored" {
	yaml POST /api/ivr "$F/bad-queue.yaml"
	assert_problem 422 validation_failed
	assert_json '.diagnostics[0].line' 29
	assert_json '.diagnostics[0].severity' error
	[[ $(jget '.diagnostics[0].message') == *Nowhere* ]]
	assert_json '.errors[0].field' content
	yaml POST /api/ivr/validate "$F/bad-queue.yaml"
	assert_status 200
	assert_json .valid false
	yaml POST /api/ivr/validate "$F/main.yaml"
	assert_json .valid true
	# JSON works as well; the latest version is v2's content.
	api POST /api/ivr "$(jq -Rsc '{content: .}' <"$F/main-v2.yaml")" "$MGR"
	assert_status 200
	assert_json .version 2
	assert_json .unchanged true
	api -H 'Content-Type: text/plain' POST /api/ivr 'name: x' "$MGR"
	assert_problem 415 unsupported_media_type
	api GET /api/ivr "" "$MGR"
	assert_json '.items | length' 1
}

@test "a flow's missing company or content is a 422 naming the field" {
	# The local admin names no company (found by tests/fuzz/fuzz-route.c).
	api -H 'Content-Type: application/yaml' POST /api/ivr "@$F/main.yaml" ""
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' company_id
	api -H 'Content-Type: application/yaml' POST /api/ivr/validate \
	    "@$F/main.yaml" ""
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' company_id
	api POST /api/ivr/validate '{"name": "x"}' "$MGR"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' content
	api POST "/api/ivr/validate?company_id=$CO" \
	    "$(jq -Rsc '{content: .}' <"$F/main.yaml")" ""
	assert_json .valid true
}

@test "tenancy: another company sees no flow and cannot change it" {
	api GET /api/ivr "" "$MGR"
	id=$(jget '.items[0].id')
	api GET "/api/ivr/$id" "" "$OZ"
	assert_problem 404 not_found
	api POST "/api/ivr/$id/activate" '{}' "$OZ"
	assert_problem 404 not_found
	api DELETE "/api/ivr/$id" "" "$OZ"
	assert_problem 404 not_found
	api GET /api/ivr "" "$OZ"
	assert_json '.items | length' 0
	# Their queues are not ours: the flow does not validate there.
	yaml POST /api/ivr "$F/main.yaml" "$OZ"
	assert_problem 422 validation_failed
}

@test "a call into no flow is refused and leaves nothing behind" {
	api POST /api/calls '{"ivr": true, "caller_number": "+4930999"}' "$OZ"
	assert_problem 409 conflict
	[[ $(jget .detail) == *"no active entry flow"* ]]
	# Another company's flow is no flow of ours: as one that is unknown.
	api GET /api/ivr "" "$MGR"
	id=$(jget '.items[0].id')
	api POST /api/calls "{\"ivr_flow_id\": \"$id\"}" "$OZ"
	assert_problem 422 validation_failed
	assert_json '.errors[0].field' ivr_flow_id
	assert_json '.errors[0].message' "no such flow"
	api POST /api/calls '{"ivr_flow_id": "00000000-0000-4000-8000-00000000dead"}' "$OZ"
	assert_problem 422 validation_failed
	assert_json '.errors[0].message' "no such flow"
	api GET /api/calls "" "$OZ"
	assert_json '.items | length' 0
}

@test "a live call walks the menu into the queue the caller chose" {
	api GET /api/ivr "" "$MGR"
	id=$(jget '.items[0].id')
	api POST "/api/ivr/$id/activate" '{"version": 1, "entry": true}' "$MGR"
	assert_json .entry true
	api POST /api/calls '{"ivr": true, "caller_number": "+4930111"}' "$MGR"
	assert_status 201
	c=$(jget .id)
	assert_json .state ivr
	assert_json '[.ivr.actions[].type] | join(",")' "say,say,collect"
	assert_json '.ivr.actions[0].text' "Welcome to Acme."
	# An invalid key: the menu again.
	api POST "/api/calls/$c/ivr/input" '{"type": "digits", "digits": "7"}' "$MGR"
	assert_status 200
	assert_json .state ivr
	api POST "/api/calls/$c/ivr/input" '{"type": "digits", "digits": "1"}' "$MGR"
	assert_status 200
	assert_json .state queued
	assert_json .priority 2
	assert_json .skills.spanish 1
	api GET /api/queues "" "$MGR"
	sales=$(jget '.items[] | select(.name == "Sales") | .id')
	api GET "/api/calls/$c" "" "$MGR"
	assert_json .queue_id "$sales"
	assert_json '[.events[] | select(.type == "ivr.node") | .data.node] | join(",")' \
		"welcome,menu,menu,sales"
	api POST "/api/calls/$c/ivr/input" '{"type": "digits", "digits": "1"}' "$MGR"
	assert_problem 409 illegal_transition
	api POST "/api/calls/$c/hangup" '{}' "$MGR"
	assert_json .state abandoned
}

@test "a flow sending a caller to a full queue: failed with queue_full, never queued" {
	api GET /api/queues "" "$MGR"
	sales=$(jget '.items[] | select(.name == "Sales") | .id')
	api PUT "/api/queues/$sales" '{"max_length": 1}' "$MGR"
	assert_status 200
	api POST /api/calls "{\"queue_id\": \"$sales\"}" "$MGR"
	assert_status 201
	first=$(jget .id)
	api POST /api/calls '{"ivr": true}' "$MGR"
	c=$(jget .id)
	api POST "/api/calls/$c/ivr/input" '{"type": "digits", "digits": "1"}' "$MGR"
	assert_status 200
	assert_json .state failed
	assert_json .enqueued_at null
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type | startswith("call.")) | .type] | join(",")' \
		"call.created,call.ivr_started,call.failed"
	assert_json '.events[-1].data.reason' queue_full
	api POST "/api/calls/$first/hangup" '{}' "$MGR"
	api PUT "/api/queues/$sales" '{"max_length": 0}' "$MGR"
}

@test "a caller who hangs up in the flow is abandoned where they dropped out" {
	api POST /api/calls '{"ivr": true}' "$MGR"
	c=$(jget .id)
	api POST "/api/calls/$c/ivr/input" '{"type": "hangup"}' "$MGR"
	assert_status 200
	assert_json .state abandoned
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.events[-1].type' call.abandoned
	assert_json '.events[-1].data.node' menu
}

@test "a hangup node ends the call completed, not abandoned" {
	# Nothing pressed, twice: the menu's on_timeout is a hangup node.
	api POST /api/calls '{"ivr": true}' "$MGR"
	c=$(jget .id)
	api POST "/api/calls/$c/ivr/input" '{"type": "timeout"}' "$MGR"
	assert_json .state ivr
	api POST "/api/calls/$c/ivr/input" '{"type": "timeout"}' "$MGR"
	assert_status 200
	assert_json .state completed
	assert_json '[.ivr.actions[].type] | join(",")' "hangup,end"
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.events[-1].type' call.ivr_completed
	assert_json '.events[-1].data.node' bye
	assert_json '[.events[] | select(.type == "call.abandoned")] | length' 0
}

# flow NAME YAML-NODES: import and activate a flow that starts at "first".
flow() {
	printf 'name: %s\nstart: first\nnodes:\n%s\n' "$1" "$2" >"$CD_TMP/flow.yaml"
	yaml POST "/api/ivr?activate=true" "$CD_TMP/flow.yaml"
	[[ $status == 20[01] ]] || { echo "import $1: $status $output" >&2; return 1; }
}

@test "goto flow: the call chains into the other flow's active version" {
	flow Front '  first:
    type: say
    text: Hello from the front.
    next: hop
  hop:
    type: goto
    flow: reviews'
	front=$(jget .id)
	flow Reviews '  first:
    type: say
    text: Reviews, ${caller.name}.
    next: ask
  ask:
    type: menu
    prompt: Press 1 for sales.
    options:
      1: sales
  sales:
    type: queue
    queue: Sales'
	reviews=$(jget .id)
	api POST /api/calls "{\"ivr_flow_id\": \"$front\", \"caller_name\": \"Ada\"}" "$MGR"
	assert_status 201
	c=$(jget .id)
	assert_json .state ivr
	# One answer: the first flow's prompt, then the second flow's.
	assert_json '[.ivr.actions[].type] | join(",")' "say,say,say,collect"
	assert_json '[.ivr.actions[] | .text // empty] | join("|")' \
		"Hello from the front.|Reviews, Ada.|Press 1 for sales."
	assert_json .ivr.state digits
	# The input goes to the flow the call chained into.
	api POST "/api/calls/$c/ivr/input" '{"type": "digits", "digits": "1"}' "$MGR"
	assert_status 200
	assert_json .state queued
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '[.events[] | select(.type == "ivr.node") | "\(.data.flow)/\(.data.node)"] | join(",")' \
		"Front/first,Front/hop,Reviews/first,Reviews/ask,Reviews/sales"
	assert_json '[.events[] | select(.type == "ivr.node" and .data.node == "hop")][0].data.to_flow' reviews
	assert_json '[.events[] | select(.type == "call.transferred")] | length' 0
	# Both flows are still there; "reviews" matched its name in any case.
	api GET "/api/ivr/$reviews" "" "$MGR"
	assert_status 200
}

@test "goto flow: an unknown flow or a loop without input fails the call" {
	flow Dangling '  first:
    type: goto
    flow: nowhere'
	api POST /api/calls "{\"ivr_flow_id\": \"$(jget .id)\"}" "$MGR"
	assert_status 201
	assert_json .state failed
	c=$(jget .id)
	api GET "/api/calls/$c" "" "$MGR"
	assert_json '.events[-1].type' call.failed
	assert_json '.events[-1].data.reason' "unknown flow"
	assert_json '.events[-1].data.target' nowhere
	flow Ping '  first:
    type: goto
    flow: pong'
	ping=$(jget .id)
	flow Pong '  first:
    type: transfer
    to: flow
    target: ping'
	api POST /api/calls "{\"ivr_flow_id\": \"$ping\"}" "$MGR"
	assert_status 201
	assert_json .state failed
	c=$(jget .id)
	api GET "/api/calls/$c" "" "$MGR"
	[[ $(jget '.events[-1].data.reason') == *loop* ]]
	assert_json '[.events[] | select(.type == "ivr.node")] | length' 9
}

@test "delete: the flow and its versions are gone" {
	api GET /api/ivr "" "$MGR"
	id=$(jget '.items[0].id')
	api DELETE "/api/ivr/$id" "" "$MGR"
	assert_status 204
	api GET "/api/ivr/$id" "" "$MGR"
	assert_problem 404 not_found
	api POST /api/calls '{"ivr": true}' "$MGR"
	assert_problem 409 conflict
}

# A flow whose http node asks a local web server for the caller's tier.
lookup_flow() { # PORT
	cat <<YAML
name: Lookup $1
start: lookup
nodes:
  lookup:
    type: http
    method: GET
    url: http://127.0.0.1:$1/customer.json
    timeout: 3
    map:
      tier: \$.tier
    next: route
    on_error: failed
  route:
    type: branch
    conditions:
      - variable: tier
        equals: gold
        next: gold
    else: other
  gold:
    type: say
    text: Hello, gold customer.
    next: bye
  other:
    type: say
    text: Hello.
    next: bye
  failed:
    type: say
    text: We cannot look you up.
    next: bye
  bye:
    type: hangup
YAML
}

@test "http nodes: fetched by the daemon; private addresses refused unless allowed" {
	web=$CD_TMP/web
	mkdir -p "$web"
	echo '{"tier": "gold"}' >"$web/customer.json"
	port=$(free_port)
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$web" \
		>/dev/null 2>&1 3>&- &
	srv=$!
	wait_for 5 curl -fs -o /dev/null "http://127.0.0.1:$port/customer.json"
	lookup_flow "$port" >"$CD_TMP/lookup.yaml"
	# The suite's daemon keeps the default guard: loopback is refused.
	yaml POST "/api/ivr?activate=true" "$CD_TMP/lookup.yaml"
	assert_status 201
	id=$(jget .id)
	api POST /api/calls "{\"ivr_flow_id\": \"$id\"}" "$MGR"
	assert_status 201
	assert_json '[.ivr.actions[].type] | join(",")' "http,say,hangup,end"
	assert_json '.ivr.actions[1].text' "We cannot look you up."
	assert_json .state completed
	# A daemon that allows private addresses fetches and maps the answer.
	# The company's owner runs the flow (docs/cluster.md), so the suite's
	# daemon steps aside meanwhile.
	daemon_stop main
	daemon_start open CALLDOCKER_OUTBOUND_ALLOW_PRIVATE=true
	api POST /api/calls "{\"ivr_flow_id\": \"$id\"}" "$MGR"
	assert_status 201
	assert_json '.ivr.actions[1].text' "Hello, gold customer."
	daemon_stop open
	daemon_start main
	kill "$srv"
}

@test "flow changes: each one audited with who, where and what; a refused one leaves nothing" {
	sql() { psql -qAtX -v ON_ERROR_STOP=1 "$CD_DBURL" -c "$1"; }
	audits() { sql "SELECT action FROM audit_log WHERE object_type = 'ivr_flow' AND object_id = '$1' ORDER BY id" | paste -sd, -; }
	body() { jq -cn --arg c "name: $1
start: a
nodes:
  a:
    type: say
    text: $2
    next: b
  b:
    type: hangup" '{content: $c}'; }
	api POST /api/ivr "$(body Audited one)" "$OZ"
	assert_status 201
	id=$(jget .id)
	api POST /api/ivr "$(body Audited two)" "$OZ"
	assert_status 200
	api POST "/api/ivr/$id/activate" '{"version": 1, "entry": true}' "$OZ"
	assert_status 200
	api POST "/api/ivr/$id/activate" '{"version": 2}' "$OZ"
	assert_status 200
	api POST "/api/ivr/$id/rollback" '' "$OZ"
	assert_status 200
	assert_json .active_version 1
	[[ $(audits "$id") == create,update,activate,activate,rollback ]]
	[[ $(sql "SELECT count(*) FROM audit_log WHERE object_id = '$id' AND company_id = '$OTHER' AND actor_id IS NOT NULL AND client_ip IS NOT NULL") == 5 ]]
	[[ $(sql "SELECT detail->>'version' FROM audit_log WHERE object_id = '$id' AND action = 'update'") == 2 ]]
	# Refused: a flow with errors, a bad field, no earlier version, another
	# company's manager (whose entry:true once cleared the owner's entry
	# flow before its 404), an unknown flow.
	api POST /api/ivr '{"content": "name: Audited\nstart: nowhere\nnodes: {}"}' "$OZ"
	assert_problem 422 validation_failed
	[[ $(jget '.diagnostics | length') -ge 1 ]]
	api POST "/api/ivr/$id/activate" '{"version": 0}' "$OZ"
	assert_problem 422 validation_failed
	api POST "/api/ivr/$id/rollback" '' "$OZ"
	assert_problem 409 conflict
	api POST /api/ivr "$(body Second one)" "$OZ"
	assert_status 201
	other=$(jget .id)
	api POST "/api/ivr/$other/activate" '{"entry": true}' "$MGR"
	assert_problem 404 not_found
	api GET "/api/ivr/$id" "" "$OZ"
	assert_json .entry true
	api PUT "/api/ivr/$id" "$(body Audited three)" "$MGR"
	assert_problem 404 not_found
	api DELETE "/api/ivr/$id" "" "$MGR"
	assert_problem 404 not_found
	api DELETE "/api/ivr/00000000-0000-4000-8000-000000000001" "" "$OZ"
	assert_problem 404 not_found
	[[ $(audits "$id") == create,update,activate,activate,rollback ]]
	[[ $(audits "$other") == create ]]
	api DELETE "/api/ivr/$id" "" "$OZ"
	assert_status 204
	[[ $(audits "$id") == create,update,activate,activate,rollback,delete ]]
	[[ $(sql "SELECT company_id FROM audit_log WHERE object_id = '$id' AND action = 'delete'") == "$OTHER" ]]
}

#!/usr/bin/env bats
# The calldocker CLI against a live daemon, over the Unix socket and TCP:
# output formats, login and saved tokens, exit codes.

load lib/common

setup_file() {
	cd_setup
	CO=$(mkcompany "Cli Co")
	OTHER=$(mkcompany "Cli Other Co")
	MGR=$(mkuser mgr@cli.test manager "$CO")
	AGT=$(mkuser agt@cli.test agent "$CO")
	FOREIGN=$(mkuser foreign@cli.test agent "$OTHER")
	export CO OTHER MGR AGT FOREIGN
}
teardown_file() { cd_teardown; }

uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# A config home of its own per identity.
as() { export CD_XDG=$CD_TMP/xdg-$1; mkdir -p "$CD_XDG"; }

@test "users list over the socket as the local admin: a table with headers" {
	as root
	run cli users list
	assert_success
	assert_line --partial mgr@cli.test
	assert_line --partial agt@cli.test
	assert_line --partial foreign@cli.test
	[[ ${lines[0]} == *EMAIL* ]] || { echo "first line is not a header: ${lines[0]}" >&2; false; }
}

@test "--no-headers drops the header line" {
	as root
	run cli users list
	with=${#lines[@]}
	run cli --no-headers users list
	assert_success
	((${#lines[@]} == with - 1)) || { echo "$with lines with headers, ${#lines[@]} without" >&2; false; }
	[[ ${lines[0]} != *EMAIL* ]]
}

@test "-q prints only ids" {
	as root
	run cli -q users list
	assert_success
	((${#lines[@]} >= 3))
	for l in "${lines[@]}"; do
		[[ $l =~ $uuid_re ]] || { echo "not an id: \"$l\"" >&2; false; }
	done
	assert_line "$MGR"
	assert_line "$FOREIGN"
}

@test "-o json is JSON holding the users" {
	as root
	run --separate-stderr cli -o json users list
	assert_success
	jq -e . <<<"$output" >/dev/null
	emails=$(jq -r '(if type == "array" then . else .items end)[].email' <<<"$output" | sort | paste -sd,)
	[[ ,$emails, == *,mgr@cli.test,* && ,$emails, == *,foreign@cli.test,* ]] ||
		{ echo "emails: $emails" >&2; false; }
}

@test "-o yaml and -o csv" {
	as root
	run --separate-stderr cli -o yaml users list
	assert_success
	assert_output --partial 'email: mgr@cli.test'
	run --separate-stderr cli -o csv users list
	assert_success
	[[ ${lines[0],,} == *email* && ${lines[0]} == *,* ]] || { echo "csv header: ${lines[0]}" >&2; false; }
	assert_line --regexp "^.*$MGR.*,.*mgr@cli\.test.*|^.*mgr@cli\.test.*,.*$MGR.*\$"
}

@test "companies list shows the companies" {
	as root
	run cli companies list
	assert_success
	assert_line --partial "Cli Co"
	assert_line --partial "Cli Other Co"
	run --separate-stderr cli -o json companies list
	assert_success
	jq -e '(if type == "array" then . else .items end) | map(.name) | index("Cli Co") != null' <<<"$output" >/dev/null
}

@test "users create, get, delete over the socket" {
	as root
	run --separate-stderr cli -q users create --email made@cli.test --role agent \
		--company "$CO" --password-stdin <<<"$PW"
	assert_success
	[[ $output =~ $uuid_re ]] || { echo "create -q printed \"$output\"" >&2; false; }
	id=$output
	run --separate-stderr cli -o json users get "$id"
	assert_success
	[[ $(jq -r .email <<<"$output") == made@cli.test ]]
	[[ $(jq -r .company_id <<<"$output") == "$CO" ]]
	api GET "/api/users/$id"
	assert_status 200
	run cli users delete "$id"
	assert_success
	api GET "/api/users/$id"
	assert_status 404
	run --separate-stderr cli users get "$id"
	assert_failure 3
	[[ -z $output ]] || { echo "stdout carries an error: $output" >&2; false; }
}

@test "users create, get, delete over TCP as a logged-in manager" {
	as mgr
	run cli_tcp login --email mgr@cli.test --password-stdin <<<"$PW"
	assert_success
	run --separate-stderr cli_tcp -q users create --email tcpmade@cli.test --role agent \
		--password-stdin <<<"$PW"
	assert_success
	[[ $output =~ $uuid_re ]] || { echo "create -q printed \"$output\"" >&2; false; }
	id=$output
	run --separate-stderr cli_tcp -o json users get "$id"
	assert_success
	[[ $(jq -r .email <<<"$output") == tcpmade@cli.test ]]
	[[ $(jq -r .company_id <<<"$output") == "$CO" ]]
	run cli_tcp users delete "$id"
	assert_success
	run cli_tcp users get "$id"
	assert_failure 3
	api GET "/api/users/$id"
	assert_status 404
}

@test "users get of an unknown id exits 3" {
	as root
	run cli users get 00000000-0000-4000-8000-000000000000
	assert_failure 3
}

@test "an unknown flag exits 2" {
	as root
	run cli users list --no-such-flag
	assert_failure 2
	run cli --no-such-global users list
	assert_failure 2
	run cli no-such-command
	assert_failure 2
}

@test "an unreachable daemon exits 5" {
	as root
	run cli_bare --host unix:///nonexistent/calldockerd.sock users list
	assert_failure 5
	port=$(free_port)
	run cli_bare --host "http://127.0.0.1:$port" users list
	assert_failure 5
}

@test "login over TCP with --password-stdin, whoami, token file mode 0600" {
	as mgr
	run cli_tcp login --email mgr@cli.test --password-stdin <<<"$PW"
	assert_success
	run --separate-stderr cli_tcp whoami
	assert_success
	assert_output --partial mgr@cli.test
	files=$(grep -rlE 'eyJ[A-Za-z0-9_-]+\.' "$CD_XDG" || true)
	[[ -n $files ]] || { echo "no saved token under $CD_XDG" >&2; find "$CD_XDG" -ls >&2; false; }
	for f in $files; do
		m=$(stat -c %a "$f")
		[[ $m == 600 ]] || { echo "$f has mode $m" >&2; false; }
	done
}

@test "a logged-in manager over TCP sees only their company's users" {
	as mgr
	run cli_tcp login --email mgr@cli.test --password-stdin <<<"$PW"
	assert_success
	run --separate-stderr cli_tcp -q users list
	assert_success
	assert_line "$MGR"
	assert_line "$AGT"
	refute_line "$FOREIGN"
	run cli_tcp users get "$FOREIGN"
	assert_failure 3
}

@test "login over the socket, then whoami acts as that user" {
	as agt
	run cli login --email agt@cli.test --password-stdin <<<"$PW"
	assert_success
	run --separate-stderr cli whoami
	assert_success
	assert_output --partial agt@cli.test
}

@test "a wrong password exits 4" {
	as wrong
	run cli_tcp login --email mgr@cli.test --password-stdin <<<"Not-The-Password-9"
	assert_failure 4
	run cli login --email nobody@cli.test --password-stdin <<<"$PW"
	assert_failure 4
}

@test "forbidden operations exit 4" {
	as agt
	run cli_tcp login --email agt@cli.test --password-stdin <<<"$PW"
	assert_success
	run cli_tcp users create --email nope@cli.test --role agent --password-stdin <<<"$PW"
	assert_failure 4
	run cli_tcp companies create --name "Agent Made Co"
	assert_failure 4
}

@test "no token over TCP exits 4" {
	as anonymous
	run cli_tcp users list
	assert_failure 4
}

@test "logout forgets the token" {
	as logout
	run cli_tcp login --email mgr@cli.test --password-stdin <<<"$PW"
	assert_success
	run cli_tcp logout
	assert_success
	run cli_tcp whoami
	assert_failure 4
}

@test "--help exits 0 and prints usage" {
	as root
	run cli_bare --help
	assert_success
	assert_output --partial users
	run cli_bare users --help
	assert_success
	assert_output --partial create
}

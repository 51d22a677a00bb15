#!/usr/bin/env bats
# The completion scripts and the man page's COMMANDS section in the tree are
# generated from calldocker's command table; they must equal what the
# binary generates now, so that no hand-kept list can drift. Also the help
# and usage errors that come from the same table.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

bats_require_minimum_version 1.5.0

setup() {
	top="$BATS_TEST_DIRNAME/.."
	bin="$top/bin/calldocker"
	[ -x "$bin" ] || skip "bin/calldocker not built"
	out="$BATS_TEST_TMPDIR/gen"
	# No configuration file or daemon of the user's leaks in.
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	unset CALLDOCKER_HOST CALLDOCKER_TOKEN
}

@test "committed completions and man page equal the generated ones" {
	run env CALLDOCKER="$bin" "$top/scripts/gen-docs.sh" "$out"
	assert_success
	for f in completions/calldocker.bash completions/_calldocker \
	    completions/calldocker.fish man/calldocker.1; do
		run diff -u "$top/$f" "$out/$f"
		assert_success
	done
}

@test "the man page's command list has every command of the table" {
	run "$bin" __man-commands
	assert_success
	assert_output --partial 'calldocker users create'
	assert_output --partial 'calldocker companies delete'
	assert_output --partial 'calldocker config use\-context'
	refute_output --partial '__man-commands'
}

@test "calldocker --help lists resources, commands and global flags" {
	run "$bin" --help
	assert_success
	assert_line --partial 'Usage:'
	assert_line --regexp '^  users +manage users$'
	assert_line --regexp '^  companies +'
	assert_line --regexp '^  login +'
	assert_line --regexp '^  -o, --output FORMAT +output format: table\|json\|yaml\|csv$'
	refute_output --partial '__man-commands'
}

@test "calldocker users --help lists the verbs" {
	run "$bin" users --help
	assert_success
	assert_line '  calldocker users <command> [arguments] [flags]'
	for verb in list get create update delete; do
		assert_line --regexp "^  $verb +"
	done
}

@test "a command's --help shows its usage and flags" {
	run "$bin" users create --help
	assert_success
	assert_line '  calldocker users create --email EMAIL --role ROLE [--name NAME] [--company ID] [--password-stdin]'
	assert_line --regexp '^ +--role ROLE +role: admin\|manager\|agent \(required\)$'
}

@test "help COMMAND is the same as COMMAND --help" {
	run "$bin" help users list
	assert_success
	expected=$output
	run "$bin" users list --help
	assert_output "$expected"
}

@test "an unknown command exits 2 with the usage on stderr" {
	run --separate-stderr "$bin" frobnicate
	assert_failure 2
	assert_output ''
	[ "${stderr_lines[0]}" = 'calldocker: unknown command "frobnicate"' ]
	[ "${stderr_lines[2]}" = "see 'calldocker --help'" ]
}

@test "an unknown verb, flag or missing argument exits 2" {
	run "$bin" users frobnicate
	assert_failure 2
	assert_line 'calldocker: unknown command "users frobnicate"'

	run "$bin" users list --frobnicate
	assert_failure 2
	assert_line 'calldocker: unknown flag "--frobnicate"'
	assert_line "see 'calldocker users list --help'"

	run "$bin" users get
	assert_failure 2
	assert_line 'calldocker: missing argument ID'
	assert_line 'usage: calldocker users get ID'

	run "$bin" users create --role agent
	assert_failure 2
	assert_line 'calldocker: missing flag "--email"'

	run "$bin" -o xml users list
	assert_failure 2

	run "$bin" users list --limit 0
	assert_failure 2
}

@test "global flags are accepted after the verb" {
	run "$bin" users list -o json --host unix:///nonexistent/d.sock
	assert_failure 5
	assert_output --partial 'cannot connect to "unix:///nonexistent/d.sock"'
}

@test "completion bash parses and completes from the table" {
	run "$bin" completion bash
	assert_success
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/c.bash"
	run bash -n "$BATS_TEST_TMPDIR/c.bash"
	assert_success

	run bash -c '
		source "$1"
		COMP_WORDS=(calldocker users "")
		COMP_CWORD=2
		_calldocker
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(calldocker --host x users list --role "")
		COMP_CWORD=6
		_calldocker
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(calldocker -o "")
		COMP_CWORD=2
		_calldocker
		echo "${COMPREPLY[*]}"' _ "$BATS_TEST_TMPDIR/c.bash"
	assert_success
	assert_line --index 0 'list get create update delete'
	assert_line --index 1 'admin manager agent'
	assert_line --index 2 'table json yaml csv'
}

@test "completion zsh and fish parse" {
	if command -v zsh >/dev/null; then
		"$bin" completion zsh > "$BATS_TEST_TMPDIR/_calldocker"
		run zsh -n "$BATS_TEST_TMPDIR/_calldocker"
		assert_success
	fi
	if command -v fish >/dev/null; then
		"$bin" completion fish > "$BATS_TEST_TMPDIR/calldocker.fish"
		run fish -n "$BATS_TEST_TMPDIR/calldocker.fish"
		assert_success
	fi
}

@test "completion of an unknown shell is a usage error" {
	run "$bin" completion tcsh
	assert_failure 2
}

# The rows of the markdown table in docs/api.md whose header line is $1.
api_table() {
	awk -v h="$1" '$0 == h { on = 1; getline; next }
	    on && /^\|/ { print; next } on { exit }' "$top/docs/api.md"
}

@test "the API reference's operations tables are calldockerd --operations" {
	local daemon="$top/bin/calldockerd" docs gen
	[ -x "$daemon" ] || skip "bin/calldockerd not built"
	run "$daemon" --operations
	assert_success
	ops=$output
	# How each entry writes: generated row for row, in the table's order.
	gen=$(jq -r '.[] | "| `\(.name)` | \(.transaction) | \(.audit |
	    if length == 0 then "none" else join(", ") end) |"' <<<"$ops")
	docs=$(api_table '| entry | transaction | audit |')
	[ -n "$docs" ]
	run diff -u <(echo "$docs") <(echo "$gen")
	assert_success
	# The transports' table names every entry, and no other.
	gen=$(jq -r '.[].name' <<<"$ops" | sort)
	docs=$(api_table '| entry | REST | WebSocket | who | also from |' |
	    cut -d'|' -f2 | grep -o '`[^`]*`' | tr -d '`' | sort)
	run diff -u <(echo "$docs") <(echo "$gen")
	assert_success
	# Every entry declares both.
	run jq -e 'all(.[]; (.transaction | type) == "string" and
	    (.audit | type) == "array")' <<<"$ops"
	assert_success
}

@test "calldocker-wallboard(1) KEYS names every supervisor key of the help screen" {
	# The help screen (tui/wb-draw.c): "Agents:  a available   w away ...",
	# "Calls:   t transfer ...", then one key a line up to "With --readonly".
	run python3 - "$top/tui/wb-draw.c" "$top/man/calldocker-wallboard.1" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
block = src[src.index('"Agents:'):src.index('"With --readonly')]
keys = set()
for line in re.findall(r'"([^"]*)"', block):
    body = re.sub(r'^(Agents:|Calls:)', '', line)
    keys.update(re.findall(r'(?:^|\s{2,})([a-z]) [a-z(]', body))
man = open(sys.argv[2]).read()
m = re.search(r'\.B ([a-z ]+)\nsupervisor actions', man)
named = set(m.group(1).split()) if m else set()
print("help:", " ".join(sorted(keys)), "man:", " ".join(sorted(named)))
sys.exit(0 if keys and keys <= named else 1)
PY
	assert_success
}

@test "every calldocker command README.md and docs/ name exists" {
	local r v missing=()
	while read -r _ r v; do
		"$bin" "$r" "$v" --help >/dev/null 2>&1 || missing+=("$r $v")
	done < <(grep -ohE '`calldocker [a-z]+ [a-z][a-z-]*' "$top/README.md" "$top"/docs/*.md |
		tr -d '`' | sort -u)
	[[ ${#missing[@]} == 0 ]] || { printf 'no such command: %s\n' "${missing[@]}" >&2; false; }
	# docs/api.md once said calls record had no CLI command.
	! grep -n 'no CLI command' "$top"/docs/*.md
}

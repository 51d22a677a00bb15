#!/usr/bin/env bats
# calldocker ivr validate and simulate, offline (no daemon): the corpus
# under tests/ivr, exit codes, -o json, the simulator's golden outputs
# and the examples of calldocker-ivr(5).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

bats_require_minimum_version 1.5.0

setup() {
	top="$BATS_TEST_DIRNAME/.."
	bin="$top/bin/calldocker"
	[ -x "$bin" ] || skip "bin/calldocker not built"
	ivr="$top/tests/ivr"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export NO_COLOR=1 LC_ALL=C.UTF-8
	unset CALLDOCKER_HOST CALLDOCKER_TOKEN TZDIR
}

@test "the valid corpus validates without a word" {
	cd "$ivr/valid"
	run --separate-stderr "$bin" ivr validate ./*.yaml
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "each invalid flow gets exactly its expected diagnostics" {
	cd "$ivr/invalid"
	for f in *.yaml; do
		b=${f%.yaml}
		args=()
		[[ -f $b.queues ]] && args=(--queues "$(<"$b.queues")")
		run "$bin" ivr validate "$f" "${args[@]}"
		if grep -q ': error: ' "$b.expected"; then
			assert_failure 1
		else
			assert_success
		fi
		diff -u "$b.expected" <(printf '%s\n' "$output") ||
		    { echo "in $f" >&2; false; }
	done
}

@test "warnings pass unless --strict" {
	cd "$ivr/invalid"
	run "$bin" ivr validate unreachable.yaml
	assert_success
	assert_line --partial 'unreachable.yaml:6:3: warning: node "orphan"'
	run "$bin" ivr validate --strict unreachable.yaml
	assert_failure 1
	run "$bin" ivr validate --strict "$ivr/valid/support.yaml"
	assert_success
}

@test "one bad file among good ones fails the run, and all are reported" {
	cd "$ivr"
	run "$bin" ivr validate valid/simple.yaml invalid/loops.yaml \
	    invalid/references.yaml
	assert_failure 1
	assert_line --partial 'invalid/loops.yaml:4:3: error:'
	assert_line --partial 'invalid/references.yaml:2:8: error: unknown node "nowhere"'
}

@test "--queues makes unknown queues errors" {
	run "$bin" ivr validate "$ivr/valid/support.yaml" --queues vip,support
	assert_failure 1
	assert_output --regexp 'support\.yaml:[0-9]+:[0-9]+: error: unknown queue "sales"$'
	run "$bin" ivr validate "$ivr/valid/support.yaml" \
	    --queues VIP,support,sales
	assert_success
}

@test "-o json: an array of file, line, column, severity and message" {
	cd "$ivr/invalid"
	run --separate-stderr "$bin" ivr validate -o json unreachable.yaml \
	    menu-keys.yaml
	assert_failure 1
	echo "$output" | jq -e 'type == "array" and length == 8' >/dev/null
	echo "$output" | jq -e '.[0] == {"file": "unreachable.yaml",
	    "line": 6, "column": 3, "severity": "warning",
	    "message": "node \"orphan\" is never reached from the start"}' \
	    >/dev/null
	echo "$output" | jq -e 'map(select(.severity == "error")) | length == 5' \
	    >/dev/null
	run "$bin" ivr validate -o json "$ivr/valid/simple.yaml"
	assert_success
	assert_output '[]'
}

@test "a file that cannot be read is an error with no place" {
	run "$bin" ivr validate "$BATS_TEST_TMPDIR/nope.yaml"
	assert_failure 1
	assert_output --regexp 'nope\.yaml: error: cannot read: No such file or directory$'
}

@test "- reads the flow from stdin" {
	run "$bin" ivr validate - < "$ivr/invalid/empty.yaml"
	assert_failure 1
	assert_output '<stdin>:1:1: error: empty file: expected a flow'
	run "$bin" ivr validate - < "$ivr/valid/simple.yaml"
	assert_success
}

@test "usage errors exit 2" {
	run "$bin" ivr validate
	assert_failure 2
	run "$bin" ivr simulate "$ivr/valid/simple.yaml" --at yesterday
	assert_failure 2
	assert_line --partial 'bad --at "yesterday"'
	run "$bin" ivr simulate "$ivr/valid/simple.yaml" --input 1,maybe
	assert_failure 2
	assert_line --partial 'input "maybe" does not fit a session waiting in the queue'
	run "$bin" ivr simulate "$ivr/valid/simple.yaml" --var novalue
	assert_failure 2
}

@test "simulating an invalid flow prints its errors on stderr and exits 1" {
	cd "$ivr/invalid"
	run --separate-stderr "$bin" ivr simulate loops.yaml
	assert_failure 1
	assert_output ''
	[[ $stderr == *'loops.yaml:4:3: error: nodes "a" -> "b" -> "c" -> "a" loop'* ]]
}

@test "the simulator's golden outputs" {
	cd "$ivr/valid"
	n=0
	for a in "$ivr"/golden/*.args; do
		eval "set -- $(<"$a")"
		run "$bin" ivr simulate "$@"
		assert_success
		diff -u "${a%.args}.out" <(printf '%s\n' "$output") ||
		    { echo "in $(basename "$a")" >&2; false; }
		n=$((n + 1))
	done
	((n >= 10))
}

@test "simulate -o json is an array of steps" {
	cd "$ivr/valid"
	run "$bin" ivr simulate -o json simple.yaml --input 2,timeout
	assert_success
	echo "$output" | jq -e 'length == 3' >/dev/null
	echo "$output" | jq -e '.[0].event.type == "start" and
	    .[0].visits[0].node == "main" and
	    .[0].visits[0].actions[1] == {"type": "collect", "node": "main",
	    "min_digits": 1, "max_digits": 1, "timeout": 5} and
	    .[0].state == "digits"' >/dev/null
	echo "$output" | jq -e '.[1].visits[0].actions[0].queue == "support"
	    and .[2].event == {"type": "queue", "result": "timeout"} and
	    .[2].state == "done"' >/dev/null
}

@test "simulate stops when the inputs run out, saying what it waits for" {
	run "$bin" ivr simulate "$ivr/valid/simple.yaml"
	assert_success
	assert_line --index 0 'start'
	assert_line --index 1 'node main (menu)'
	assert_line 'waiting for digits'
}

@test "every example of calldocker-ivr(5) validates" {
	man="$top/man/calldocker-ivr.5"
	dir="$BATS_TEST_TMPDIR/examples"
	mkdir -p "$dir"
	awk -v dir="$dir" '
		/^\.\\" BEGIN EXAMPLE / { out = dir "/" $4; next }
		/^\.\\" END EXAMPLE/ { close(out); out = ""; next }
		out != "" && !/^\.(EX|EE)$/ { print > out }
	' "$man"
	n=0
	for f in "$dir"/*.yaml; do
		sed -i -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/^\\&//' "$f"
		run "$bin" ivr validate --strict "$f"
		assert_success
		assert_output ''
		# The same flows are in the corpus, for the other tests.
		diff -u "$ivr/valid/$(basename "$f")" "$f"
		n=$((n + 1))
	done
	((n >= 3)) || { echo "only $n examples" >&2; false; }
}

@test "calldocker ivr --help lists validate and simulate" {
	run "$bin" ivr --help
	assert_success
	assert_line --regexp '^  validate +'
	assert_line --regexp '^  simulate +'
}

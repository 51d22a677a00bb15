#!/usr/bin/env bats
# calldocker ivr against a daemon: import (idempotent, --activate,
# --dry-run, diagnostics as FILE:LINE:COL), list, show, versions, export
# byte for byte, activate and rollback, diff's exit statuses, delete,
# names for IDs, and the usage, not-found and permission exit statuses.

load lib/common

setup_file() {
	cd_setup
	CO=$(mkcompany "Ivr Cli Co")
	mkuser ivy@ivrcli.test manager "$CO" >/dev/null
	mkuser al@ivrcli.test agent "$CO" >/dev/null
	MGR=$(login ivy@ivrcli.test)
	for q in Sales Support; do
		api POST /api/queues "{\"name\":\"$q\"}" "$MGR" >/dev/null
	done
	CD_XDG=$CD_TMP/xdg-al
	echo "$PW" | cli login --email al@ivrcli.test --password-stdin
	CD_XDG=$CD_TMP/xdg-ivy
	echo "$PW" | cli login --email ivy@ivrcli.test --password-stdin
	F=$TOP/tests/ivr/api
	export CO MGR F CD_XDG
}
teardown_file() { cd_teardown; }

@test "import: a new flow, the same content unchanged, a change is version 2" {
	run --separate-stderr cli ivr import "$F/main.yaml"
	assert_success
	assert_output "$F/main.yaml: \"Main line\" version 1"
	run --separate-stderr cli ivr import "$F/main.yaml"
	assert_success
	assert_output "$F/main.yaml: \"Main line\" unchanged (version 1)"
	run --separate-stderr cli ivr import --activate "$F/main-v2.yaml"
	assert_success
	assert_output "$F/main-v2.yaml: \"Main line\" version 2 (active)"
	# Several files; -o json gives the daemon's answers, with the file.
	run --separate-stderr cli ivr import "$F/main-v2.yaml" "$F/main-v2.yaml" -o json
	assert_success
	[[ $(jq -r '[.[] | .unchanged, .version, .file] | join(",")' <<<"$output") == \
	    "true,2,$F/main-v2.yaml,true,2,$F/main-v2.yaml" ]]
	run --separate-stderr cli ivr import -q "$F/main-v2.yaml"
	assert_success
	[[ $output =~ ^[0-9a-f-]{36}$ ]]
}

@test "import --dry-run: diagnostics as FILE:LINE:COL, exit 1, nothing stored" {
	run --separate-stderr cli ivr import --dry-run "$F/bad-queue.yaml"
	assert_failure 1
	assert_line --regexp "^$F/bad-queue.yaml:29:[0-9]+: error: .*Nowhere"
	run --separate-stderr cli ivr import --dry-run "$F/main.yaml"
	assert_success
	assert_output ''
	[[ $stderr == *"valid (dry run: nothing stored)"* ]]
	# Without --dry-run the daemon refuses it, with the same lines.
	run --separate-stderr cli ivr import "$F/bad-queue.yaml"
	assert_failure 1
	assert_line --regexp "^$F/bad-queue.yaml:29:[0-9]+: error: .*Nowhere"
	# A good file among bad ones is still imported; the run fails.
	run --separate-stderr cli ivr import "$F/bad-queue.yaml" "$F/main-v2.yaml"
	assert_failure 1
	assert_line "$F/main-v2.yaml: \"Main line\" unchanged (version 2)"
	run cli ivr versions "Main line" -q
	assert_success
	assert_output $'1\n2'
	api GET /api/ivr "" "$MGR"
	assert_json '.items | length' 1
}

@test "list, show and versions, as tables and as JSON" {
	run --separate-stderr cli ivr list
	assert_success
	assert_line --index 0 --regexp '^ID +NAME +ACTIVE +LATEST +ENTRY +UPDATED$'
	assert_line --index 1 --regexp '^[0-9a-f-]{36}   Main line   2 +2 +no +[0-9]'
	run cli ivr list -o json
	assert_success
	[[ $(jq -r '.[0].name' <<<"$output") == "Main line" ]]
	id=$(cli ivr list -q)
	# A name in any case, or the ID.
	run --separate-stderr cli ivr show "main LINE"
	assert_success
	assert_line "Name:        Main line"
	assert_line "ID:          $id"
	assert_line --regexp '^Active: +2$'
	assert_line '    text: Welcome to Acme, version two.'
	run --separate-stderr cli ivr show "$id" -o json
	assert_success
	[[ $(jq -r .active_version <<<"$output") == 2 ]]
	cmp <(jq -j .content <<<"$output") "$F/main-v2.yaml"
	run cli ivr show "$id" -o yaml
	assert_success
	assert_line 'name: Main line'
	run --separate-stderr cli ivr versions "Main line"
	assert_success
	assert_line --index 0 --regexp '^VERSION +HASH +ACTIVE +AUTHOR +CREATED$'
	assert_line --index 1 --regexp '^1 +[0-9a-f]{12} +no +[0-9a-f-]{36} +[0-9]'
	assert_line --index 2 --regexp '^2 +[0-9a-f]{12} +yes +'
	run cli ivr versions "$id" -o json
	assert_success
	[[ $(jq -r '[.[] | "\(.version):\(.active)"] | join(",")' <<<"$output") == "1:false,2:true" ]]
}

@test "export prints the YAML exactly as imported" {
	cli ivr export "Main line" >"$BATS_TEST_TMPDIR/active.yaml"
	cmp "$BATS_TEST_TMPDIR/active.yaml" "$F/main-v2.yaml"
	cli ivr export "Main line" --version 1 -o json >"$BATS_TEST_TMPDIR/v1.yaml"
	cmp "$BATS_TEST_TMPDIR/v1.yaml" "$F/main.yaml"
	# Bytes the daemon's parser does not care about survive too.
	{ cat "$F/main.yaml"; printf '# trailing comment, no newline'; } \
	    >"$BATS_TEST_TMPDIR/odd.yaml"
	run cli ivr import "$BATS_TEST_TMPDIR/odd.yaml"
	assert_success
	assert_output --partial '"Main line" version 3'
	cli ivr export "Main line" --version 3 >"$BATS_TEST_TMPDIR/v3.yaml"
	cmp "$BATS_TEST_TMPDIR/v3.yaml" "$BATS_TEST_TMPDIR/odd.yaml"
	run --separate-stderr cli ivr export "Main line" --version 9
	assert_failure 3
	[[ $stderr == *"no such version"* ]]
}

@test "activate and rollback" {
	run --separate-stderr cli ivr rollback "Main line" -o json
	assert_success
	[[ $(jq -r .active_version <<<"$output") == 1 ]]
	run --separate-stderr cli ivr rollback "Main line"
	assert_failure 1
	[[ $stderr == *"no earlier version"* ]]
	run --separate-stderr cli ivr activate "Main line" -o json
	assert_success
	[[ $(jq -r '"\(.active_version) \(.entry)"' <<<"$output") == "3 false" ]]
	run --separate-stderr cli ivr activate "Main line" --version 2 --entry
	assert_success
	assert_line --index 1 --regexp '^[0-9a-f-]{36}   Main line   2 +3 +yes +'
	run --separate-stderr cli ivr activate "Main line" --version 9
	assert_failure 3
}

@test "diff: 0 the same, 1 different with a unified diff, 3 no such flow" {
	run --separate-stderr cli ivr diff "$F/main-v2.yaml"
	assert_success
	assert_output ''
	[[ $stderr == *'the same as "Main line" version 2'* ]]
	run --separate-stderr cli ivr diff "$F/main.yaml"
	assert_failure 1
	assert_line --index 0 '--- Main line (version 2 in the daemon)'
	assert_line --index 1 "+++ $F/main.yaml"
	assert_line -- '-    text: Welcome to Acme, version two.'
	assert_line -- '+    text: Welcome to Acme.'
	# Standard input works as well.
	run --separate-stderr cli ivr diff - <"$F/main-v2.yaml"
	assert_success
	sed 's/^name: Main line$/name: Side line/' "$F/main.yaml" \
	    >"$BATS_TEST_TMPDIR/side.yaml"
	run --separate-stderr cli ivr diff "$BATS_TEST_TMPDIR/side.yaml"
	assert_failure 3
	[[ $stderr == *'no flow "Side line"'* ]]
	# A flow with no active version: compared with the latest.
	cli ivr import "$F/main-v2.yaml" "$BATS_TEST_TMPDIR/side.yaml"
	run --separate-stderr cli ivr diff "$BATS_TEST_TMPDIR/side.yaml"
	assert_success
	[[ $stderr == *'the same as "Side line" version 1'* ]]
	cli ivr delete "Side line" --yes
	# A file with errors has no name to look up.
	run --separate-stderr cli ivr diff "$TOP/tests/ivr/invalid/references.yaml"
	assert_failure 1
	assert_output ''
	[[ $stderr == *"references.yaml:"*": error: "* ]]
}

@test "usage errors exit 2, unknown flows 3, unreadable files 1" {
	run cli ivr import
	assert_failure 2
	run cli ivr diff a.yaml b.yaml
	assert_failure 2
	run cli ivr export "Main line" --version two
	assert_failure 2
	run cli ivr activate "Main line" --version 0
	assert_failure 2
	run cli ivr import --frobnicate "$F/main.yaml"
	assert_failure 2
	run --separate-stderr cli ivr show "No such flow"
	assert_failure 3
	[[ $stderr == 'calldocker: no flow "No such flow"' ]]
	run cli ivr versions 00000000-0000-4000-8000-000000000000
	assert_failure 3
	run cli ivr delete "No such flow" --yes
	assert_failure 3
	run --separate-stderr cli ivr import "$BATS_TEST_TMPDIR/missing.yaml"
	assert_failure 1
	[[ $stderr == *"missing.yaml: cannot read: No such file or directory"* ]]
	head -c 1048577 /dev/zero | tr '\0' '#' >"$BATS_TEST_TMPDIR/big.yaml"
	run --separate-stderr cli ivr import "$BATS_TEST_TMPDIR/big.yaml"
	assert_failure 1
	[[ $stderr == *"big.yaml: larger than 1048576 bytes"* ]]
	run --separate-stderr cli ivr diff "$BATS_TEST_TMPDIR/big.yaml"
	assert_failure 1
	[[ $stderr == *"larger than"* ]]
	: >"$BATS_TEST_TMPDIR/empty.yaml"
	run --separate-stderr cli ivr import "$BATS_TEST_TMPDIR/empty.yaml"
	assert_failure 1
	[[ $stderr == *"empty.yaml: the file is empty"* ]]
	run --separate-stderr cli ivr import "$TOP/tests"
	assert_failure 1
	[[ $stderr == *"cannot read"* ]]
}

@test "an agent reads flows but may not change them" {
	export CD_XDG=$CD_TMP/xdg-al
	run cli ivr list -q
	assert_success
	run cli ivr export "Main line" --version 2
	assert_success
	run --separate-stderr cli ivr import "$F/main.yaml"
	assert_failure 4
	run cli ivr rollback "Main line"
	assert_failure 4
}

@test "delete: the flow is gone" {
	run --separate-stderr cli ivr delete "Main line" --yes
	assert_success
	[[ $stderr == *'deleted flow "Main line"'* ]]
	run --separate-stderr cli ivr list
	assert_success
	assert_output ''
	run cli ivr show "Main line"
	assert_failure 3
	run cli ivr diff "$F/main.yaml"
	assert_failure 3
}

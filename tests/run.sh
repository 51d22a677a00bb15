#!/bin/bash
# make test: every C unit test (build/tests/t-*) and every bats suite
# (tests/t*.bats) against one private PostgreSQL cluster started here, with
# their TAP output streamed and counted. The last line is always
# "N passed, N failed" (", N skipped" when some were).
#
#   tests/run.sh              everything
#   tests/run.sh t0110 t-jwt  only the programs whose names contain a word
set -uo pipefail

cd "$(dirname "$0")/.."
top=$PWD

pass=0 fail=0 skip=0
summary() {
	local s="$pass passed, $fail failed"
	((skip)) && s+=", $skip skipped"
	echo "$s"
}

tmp=$(mktemp -d /tmp/cdtest.XXXXXX)
chmod 0711 "$tmp"	# the postgres user must reach the cluster inside
cleanup() {
	"$top/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "# interrupted"; fail=$((fail + 1)); summary; exit 130' INT TERM

# Sanitizer builds: leaks fail the program that has them; lws and libpq
# frames that leak by design are listed in tests/lsan.supp.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:disable_coredump=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}

if ! "$top/scripts/pg.sh" start "$tmp/pg" --fast; then
	echo "not ok - private PostgreSQL did not start"
	fail=1
	summary
	exit 1
fi
export CALLDOCKER_TEST_PG=$tmp/pg

selected() {
	((${#filters[@]} == 0)) && return 0
	local name=$1 w
	for w in "${filters[@]}"; do
		[[ $name == *"$w"* ]] && return 0
	done
	return 1
}
filters=("$@")

# run_tap NAME COMMAND...: stream the TAP output of COMMAND and count it. A
# program that exits non-zero, or runs fewer tests than its plan, without a
# "not ok" line counts as one failure.
run_tap() {
	local name=$1 line rc plan=-1 seen=0 failed_before=$fail
	shift
	echo "# $name"
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"not ok "*)
			fail=$((fail + 1)); seen=$((seen + 1)) ;;
		"ok "*" # skip"* | "ok "*" # SKIP"*)
			skip=$((skip + 1)); seen=$((seen + 1)) ;;
		"ok "*)
			pass=$((pass + 1)); seen=$((seen + 1)) ;;
		1..*)
			[[ ${line#1..} =~ ^[0-9]+$ ]] && plan=${line#1..} ;;
		esac
	done < <("$@" 2>&1 </dev/null; echo $? >"$tmp/rc")
	rc=$(<"$tmp/rc")
	if ((fail == failed_before)); then
		if ((rc != 0)); then
			echo "not ok - $name exited with status $rc"
			fail=$((fail + 1))
		elif ((plan >= 0 && seen < plan)); then
			echo "not ok - $name ran $seen of $plan planned tests"
			fail=$((fail + 1))
		fi
	fi
}

for t in build/tests/t-*; do
	[[ -x $t && -f $t ]] || continue
	selected "$(basename "$t")" || continue
	run_tap "$t" "$t"
done

for s in tests/t*.bats; do
	[[ -f $s ]] || continue
	selected "$(basename "$s")" || continue
	run_tap "$s" bats --tap "$s"
done

summary
((fail == 0))

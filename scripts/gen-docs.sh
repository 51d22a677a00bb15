#!/bin/sh
# Regenerate what is derived from calldocker's command table: the COMMANDS
# section of man/calldocker.1 (between its BEGIN/END COMMANDS markers) and
# the completion scripts in completions/.
#
#   scripts/gen-docs.sh           update the files in the tree
#   scripts/gen-docs.sh DIR       write DIR/man/calldocker.1 and
#                                 DIR/completions/* instead (the tests compare)
#
# CALLDOCKER=path/to/calldocker overrides bin/calldocker.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CALLDOCKER:-$top/bin/calldocker}
out=${1:-$top}

if [ ! -x "$bin" ]; then
	echo "gen-docs.sh: \"$bin\" not found; run 'make bin/calldocker'" >&2
	exit 1
fi
mkdir -p "$out/man" "$out/completions"

"$bin" completion bash > "$out/completions/calldocker.bash.tmp"
"$bin" completion zsh > "$out/completions/_calldocker.tmp"
"$bin" completion fish > "$out/completions/calldocker.fish.tmp"
"$bin" __man-commands > "$out/man/commands.tmp"

# Replace what lies between the markers, keeping the markers.
awk -v gen="$out/man/commands.tmp" '
	/^\.\\" END COMMANDS$/ { skip = 0 }
	!skip { print }
	/^\.\\" BEGIN COMMANDS$/ {
		while ((getline line < gen) > 0)
			print line
		skip = 1; found = 1
	}
	END { if (!found) exit 1 }
' "$top/man/calldocker.1" > "$out/man/calldocker.1.tmp" || {
	echo "gen-docs.sh: no BEGIN COMMANDS marker in man/calldocker.1" >&2
	exit 1
}
rm -f "$out/man/commands.tmp"

for f in completions/calldocker.bash completions/_calldocker \
    completions/calldocker.fish man/calldocker.1; do
	mv "$out/$f.tmp" "$out/$f"
done

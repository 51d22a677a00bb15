#!/bin/bash
# Install the Debian packages CallDocker needs to build, run and test.
#   scripts/deps.sh            build, make run, make test
#   scripts/deps.sh --bench    also wrk and nginx for make bench
# A no-op (one dpkg-query) when everything is present. Installs the rest
# with apt-get as root, through sudo -n when that works, else prints the
# command to run and exits 1.
set -euo pipefail

pkgs=(
	build-essential pkg-config
	libwebsockets-dev libwebsockets-evlib-ev libev-dev
	libpq-dev libjansson-dev libyaml-dev libjwt-dev libcurl4-openssl-dev
	libncurses-dev libreadline-dev libcrypt-dev libssl-dev
	postgresql
	postgresql-15-auto-failover	# pg_autoctl: the failover test (t0840)
	haproxy			# the load balancer test (t0845), make cluster
	bats bats-assert bats-support
	tmux python3 curl jq openssl
	chromium chromium-driver	# the browser test (t0620)
	ffmpeg			# decodes recordings in the tests (t0621, t0622)
)
bench_pkgs=(wrk nginx-light)
# Twilio's own helper library (npm twilio, tests/node/) judges the daemon's
# Twilio tokens and signatures (t0526): Debian's nodejs and npm, unless a
# node with its npm is installed already (NodeSource's nodejs bundles npm
# and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)

for arg in "$@"; do
	case $arg in
	--bench) pkgs+=("${bench_pkgs[@]}") ;;
	-h|--help)
		echo "usage: scripts/deps.sh [--bench]"
		exit 0 ;;
	*)
		echo "deps.sh: unknown argument \"$arg\"" >&2
		echo "usage: scripts/deps.sh [--bench]" >&2
		exit 2 ;;
	esac
done

# One dpkg-query for all of them; only "ii" (installed, no errors) counts.
declare -A have=()
while IFS='|' read -r status name; do
	[[ $status == ii* ]] && have[$name]=1
done < <(dpkg-query -W -f='${db:Status-Abbrev}|${Package}\n' "${pkgs[@]}" 2>/dev/null || true)

missing=()
for p in "${pkgs[@]}"; do
	[[ -n ${have[$p]:-} ]] || missing+=("$p")
done
# Twilio's library for t0526, from the committed lock file, into
# tests/node/node_modules (ignored by git): fetched here, at set-up, so
# that the tests themselves need no network beyond loopback.
node_modules() {
	local dir
	dir=$(cd "$(dirname "$0")/../tests/node" && pwd)
	command -v npm >/dev/null 2>&1 || return 0
	[[ -d $dir/node_modules/twilio ]] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund --fetch-retries=2 >/dev/null) ||
		echo "deps.sh: npm ci in tests/node failed; t0526 skips the checks by Twilio's library" >&2
}

if ((${#missing[@]} == 0)); then
	node_modules
	exit 0
fi

echo "deps.sh: missing packages: ${missing[*]}" >&2

export DEBIAN_FRONTEND=noninteractive
if ((EUID == 0)); then
	as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	as_root=(sudo -n)
else
	echo "deps.sh: not root, and no password-less sudo; run:" >&2
	echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps.sh: installed ${missing[*]}" >&2
node_modules

#!/bin/sh
# Installs the Debian packages the build and the tests need, when missing,
# and the browser driver of the client tests (playwright-core, pinned in
# tests/clients/package.json) into tests/clients/node_modules.
# Does nothing (and needs no network) when all are present.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
pkgs="gcc libc6-dev pkg-config meson ninja-build xxd python3
libmicrohttpd-dev libjansson-dev libsqlite3-dev check libcurl4-openssl-dev
libxlsxwriter-dev zlib1g-dev
curl sqlite3
chromium libreoffice-calc-nogui nodejs
clang libclang-rt-14-dev"
# clang and libclang-rt-14-dev (its libFuzzer and sanitizer runtimes, only
# recommended by clang): the fuzz harnesses, tools/fuzz.sh.
# npm: Debian's package, unless npm is there already (the nodejs of
# NodeSource ships its own npm and conflicts with Debian's package).
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "installing:$missing" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
	# shellcheck disable=SC2086 # one word per package
	$sudo apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $missing >/dev/null
fi
# The client tests drive Debian's /usr/bin/chromium; never download a browser.
if [ ! -d "$root/tests/clients/node_modules/playwright-core" ]; then
	echo "installing: playwright-core (npm, tests/clients/node_modules)" >&2
	(cd "$root/tests/clients" &&
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit \
			--no-fund --no-package-lock --loglevel=error >/dev/null)
fi
# The API description tests (tests/openapi): Redocly CLI and Stoplight Prism
# at the versions pinned in tests/openapi/package.json (and package-lock.json),
# installed when missing or at another version.
if ! node -e '
const fs = require("fs"), dir = process.argv[1];
const pins = JSON.parse(fs.readFileSync(dir + "/package.json")).dependencies;
for (const [name, version] of Object.entries(pins)) {
	const p = dir + "/node_modules/" + name + "/package.json";
	if (JSON.parse(fs.readFileSync(p)).version !== version) process.exit(1);
}' "$root/tests/openapi" 2>/dev/null; then
	echo "installing: @redocly/cli, @stoplight/prism-cli (npm, tests/openapi/node_modules)" >&2
	(cd "$root/tests/openapi" &&
		npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

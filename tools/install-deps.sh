#!/bin/sh
# Installs the Debian packages the build and the tests need, when missing,
# and the npm packages of tests/clients and tests/openapi (see below).
# Does nothing (and needs no network) when all are present.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
pkgs="gcc libc6-dev pkg-config meson ninja-build xxd python3
libmicrohttpd-dev libjansson-dev libsqlite3-dev check libcurl4-openssl-dev
libxlsxwriter-dev zlib1g-dev
curl sqlite3
chromium libreoffice-calc-nogui poppler-utils nodejs
clang libclang-rt-14-dev clang-format"
# poppler-utils: pdftotext and pdfinfo, for the printed workbook
# (tests/clients/spreadsheet.py).
# clang and libclang-rt-14-dev (its libFuzzer and sanitizer runtimes, only
# recommended by clang): the fuzz harnesses, tools/fuzz.sh. clang-format:
# tools/format.sh (make format, and its check in make test).
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
# The npm packages of the client tests (tests/clients: playwright-core, which
# drives Debian's /usr/bin/chromium: no browser is ever downloaded) and of the
# API description tests (tests/openapi: Redocly CLI and Stoplight Prism), at
# the versions pinned in each package.json and package-lock.json, into each
# directory's node_modules; installed when missing or at another version.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for dir in "$root/tests/clients" "$root/tests/openapi"; do
	node -e '
const fs = require("fs"), dir = process.argv[1];
const pins = JSON.parse(fs.readFileSync(dir + "/package.json")).dependencies;
for (const [name, version] of Object.entries(pins)) {
	const p = dir + "/node_modules/" + name + "/package.json";
	if (JSON.parse(fs.readFileSync(p)).version !== version) process.exit(1);
}' "$dir" 2>/dev/null && continue
	echo "installing: npm packages of ${dir#"$root"/}" >&2
	(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
done

#!/bin/sh
# tools/install-deps.sh GROUP...: installs the Debian packages of each GROUP
# when missing (with sudo when not root), and for `test` also the npm
# packages of tests/clients and tests/openapi (see below). Does nothing (and
# needs no network) when all are present. The groups:
#   run     building and serving the daemon (make run)
#   format  clang-format (make format)
#   fuzz    run, and clang with its libFuzzer (make fuzz)
#   test    all of the above and every test's tools (make test, make soak)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# The compiler, meson and ninja, pkg-config, xxd (tools/embed.sh) and the
# libraries of meson.build; zlib1g-dev because xlsxwriter.pc links -lz and
# libxlsxwriter-dev does not pull it in; libgnutls28-dev: the TLS files are
# checked with GnuTLS, libmicrohttpd's TLS library (server/tls.c). curl: the
# examples make run prints.
run="gcc libc6-dev pkg-config meson ninja-build xxd
libmicrohttpd-dev libjansson-dev libsqlite3-dev libxlsxwriter-dev zlib1g-dev
libgnutls28-dev curl"
format="clang-format"
# clang and libclang-rt-14-dev (its libFuzzer and sanitizer runtimes, only
# recommended by clang): the fuzz harnesses, tools/fuzz.sh.
fuzz="$run clang libclang-rt-14-dev"
# check and libcurl: the C tests; unzip: the workbooks' members (api_export);
# python3: the client tests; sqlite3: bench/run's comparison; chromium and
# nodejs: the dashboard (tests/clients/browser.mjs) and the npm tools below;
# libreoffice-calc-nogui and poppler-utils (pdftotext, pdfinfo): the workbook
# opened and printed (tests/clients/spreadsheet.py); prometheus (with its
# promtool): a real Prometheus scrapes /metrics (tests/clients/prometheus.py);
# openssl: the TLS tests make their certificates and try TLS versions with it
# (tests/api/test_tls.c).
test="$fuzz $format python3 check libcurl4-openssl-dev unzip sqlite3
chromium libreoffice-calc-nogui poppler-utils nodejs prometheus openssl"
[ $# -gt 0 ] || set -- test
pkgs=""
npm=false
for group in "$@"; do
	case $group in
	run) pkgs="$pkgs $run" ;;
	format) pkgs="$pkgs $format" ;;
	fuzz) pkgs="$pkgs $fuzz" ;;
	test)
		pkgs="$pkgs $test"
		npm=true
		# npm: Debian's package, unless npm is there already (the
		# nodejs of NodeSource ships its own npm and conflicts with
		# Debian's package).
		command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
		;;
	*)
		echo "usage: $0 run|format|fuzz|test..." >&2
		exit 2
		;;
	esac
done
missing=""
for p in $pkgs; do
	case " $missing " in *" $p "*) continue ;; esac
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
$npm || exit 0
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

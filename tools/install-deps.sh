#!/bin/sh
# Installs the Debian packages the build and the tests need, when missing.
# Does nothing (and needs no network) when all are present.
set -eu
pkgs="gcc libc6-dev pkg-config meson ninja-build xxd python3
libmicrohttpd-dev libjansson-dev libsqlite3-dev check libcurl4-openssl-dev
libxlsxwriter-dev
curl sqlite3"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null

#!/bin/sh
# Lints docs/openapi.yaml with Redocly CLI (pinned in tests/openapi/package.json,
# installed by tools/install-deps.sh) and compares its version with the daemon's.
# Usage: lint.sh NPO-BUDGETD. Prints TAP.
#
# The rules are Redocly's recommended set (tests/openapi/redocly.yaml), where an
# example that does not match its schema is an error; other warnings are shown
# as TAP comments and do not fail the test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
daemon=${1:?usage: lint.sh NPO-BUDGETD}
doc=$root/docs/openapi.yaml
redocly=$here/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
	echo "Bail out! $redocly is missing: run sh tools/install-deps.sh"
	exit 1
fi
echo "1..2"

# No network: no usage data, no update check.
out=$(cd "$here" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	NO_COLOR=1 "$redocly" lint --config "$here/redocly.yaml" \
	--format=stylish "$doc" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	echo "ok 1 - redocly lint docs/openapi.yaml: no errors"
else
	echo "not ok 1 - redocly lint docs/openapi.yaml: errors (exit $rc)"
fi
printf '%s\n' "$out" | grep -v '^$' | sed 's/^/# /'

want=$("$daemon" --version | sed -n 's/^npo-budgetd \([^ ]*\).*/\1/p')
have=$(sed -n '/^info:/,/^[a-z]/s/^  version: *//p' "$doc" | tr -d "'\"")
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	echo "ok 2 - info.version of docs/openapi.yaml is the daemon's ($want)"
else
	echo "not ok 2 - info.version of docs/openapi.yaml ($have) is not the daemon's ($want)"
fi

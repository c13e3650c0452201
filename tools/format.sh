#!/bin/sh
# make format: formats every C file of the repository by .clang-format.
# With --check (a test of make test): changes nothing and prints TAP, one
# line per file that is off it.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
if [ "${1:-}" != --check ]; then
	# shellcheck disable=SC2086 # one word per file
	exec clang-format -i $files
fi
n=0
failed=0
for f in $files; do
	n=$((n + 1))
	if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f is off .clang-format (make format fixes it)"
		clang-format "$f" | diff "$f" - | head -n 10 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]

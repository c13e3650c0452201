#!/bin/sh
# make test: builds and runs every test twice, plainly and under
# AddressSanitizer + UndefinedBehaviorSanitizer, then prints one summary line
# "N passed, N failed" counted over the TAP results of both runs.
# With --build-only BUILD (make soak): only sets up and builds BUILD with
# its tests.
set -u

# Sets up dir (with the further meson options) and builds it with its
# tests; a directory that make run set up without them gets them turned on.
build_suite() {
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dtests=true "$@" >/dev/null || return 1
	elif ! python3 - "$dir" <<'PY'
import json, sys
opts = json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))
sys.exit(0 if any(o["name"] == "tests" and o["value"] for o in opts) else 1)
PY
	then
		meson configure "$dir" -Dtests=true >/dev/null || return 1
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

run_suite() {
	build_suite "$@" || return 1
	meson test -C "$1" --no-rebuild --print-errorlogs
}

if [ "${1:-}" = --build-only ]; then
	build_suite "$2"
	exit
fi
build=$1
asan=$2
status=0

echo "== tests" >&2
run_suite "$build" || status=1
echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer" >&2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite "$asan" -Dbuildtype=debug -Db_sanitize=address,undefined \
	-Db_lundef=false -Dc_args=-fno-sanitize-recover=all || status=1

python3 - "$build" "$asan" "$status" <<'PY'
import json, os, sys
passed = failed = 0
for d in sys.argv[1:3]:
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        failed += 1  # the build failed: nothing ran
        continue
    for line in open(log):
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = sum(1 for l in out.splitlines() if l.startswith("ok "))
        bad = sum(1 for l in out.splitlines() if l.startswith("not ok "))
        if t.get("result") not in ("OK", "EXPECTEDFAIL") and bad == 0:
            bad = 1  # crashed or timed out before reporting
        passed += ok
        failed += bad
if sys.argv[3] != "0" and failed == 0:
    failed = 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY

#!/bin/sh
# tools/fuzz.sh [SECONDS]: builds the libFuzzer harnesses of tests/fuzz with
# clang (-fsanitize=fuzzer,address,undefined, compiling the server files each
# needs directly) and runs each for SECONDS (default 20) on a scratch copy of
# its seed corpus tests/fuzz/corpus/<harness>/, which stays as it is. Prints
# TAP: one line per harness, "not ok" with the reproducer on a crash (replay
# it with: <out>/fuzz_<harness> <file>). Everything goes to FUZZ_OUT
# (default build-fuzz/): the binaries, run/<harness>/ (the grown corpus),
# crashes/ and logs/.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
out=${FUZZ_OUT:-$root/build-fuzz}
cc=${FUZZ_CC:-clang}
harnesses="validate router csv csvread money forwarded"

# The server files of each harness: as few as it needs. The resources and
# the route table name functions of the database layer and the handlers,
# which tests/fuzz/stubs.c stands in for.
resources="server/validate.c server/util.c server/money.c server/workflow.c
server/api/budgets.c server/api/goals.c server/api/programmes.c
server/api/reallocations.c server/api/schools.c server/api/plans.c
server/api/expenditures.c server/resources.c tests/fuzz/stubs.c"
sources() {
	case $1 in
	validate) echo "$resources" ;;
	router) echo "server/http.c server/client.c server/api/routes.c $resources" ;;
	csv) echo "server/csv.c server/money.c" ;;
	csvread) echo "server/csv.c server/money.c server/validate.c server/util.c" ;;
	money) echo "server/money.c" ;;
	forwarded) echo "server/client.c" ;;
	esac
}
packages() {
	case $1 in
	router) echo "jansson libmicrohttpd" ;;
	money | forwarded) echo "" ;;
	*) echo "jansson" ;;
	esac
}

n=0
total=$(echo "$harnesses" | wc -w)
echo "1..$total"
# not_ok NAME REASON [LOG]: a failed harness, with the end of its log.
not_ok() {
	echo "not ok $n - fuzz_$1: $2"
	[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 40 "$3" | sed 's/^/# /'
	status=1
}

status=0
if ! command -v "$cc" >/dev/null 2>&1; then
	for h in $harnesses; do
		n=$((n + 1))
		not_ok "$h" "$cc not found (sh tools/install-deps.sh installs it)"
	done
	exit 1
fi
mkdir -p "$out/logs" "$out/crashes"
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
-Wall -Wextra -I$root/include"  # warnings: in logs/<harness>.build
# a 32 MiB quarantine instead of 256: freed memory is still held back long
# enough to catch a use after free, and the runs are 2-3 times faster
asan=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1
asan=$asan:quarantine_size_mb=32

# build: all at once, each only when a file it is made of (or this script,
# which holds the flags) is newer than the binary
build() {
	h=$1
	bin=$out/fuzz_$h
	pkgs=$(packages "$h")
	src=""
	for f in tests/fuzz/fuzz_$h.c $(sources "$h"); do
		src="$src $root/$f"
	done
	# shellcheck disable=SC2086 # word lists
	if [ -x "$bin" ] && [ -z "$(find $src "$root/include/npo" \
		"$root/tools/fuzz.sh" -newer "$bin" 2>/dev/null | head -n 1)" ]; then
		return 0
	fi
	# shellcheck disable=SC2046,SC2086 # word lists
	$cc $cflags $( [ -n "$pkgs" ] && pkg-config --cflags $pkgs) \
		-o "$bin.new" $src $( [ -n "$pkgs" ] && pkg-config --libs $pkgs) &&
		mv "$bin.new" "$bin"
}
for h in $harnesses; do
	build "$h" >"$out/logs/$h.build" 2>&1 &
	eval "pid_$h=$!"
done

for h in $harnesses; do
	n=$((n + 1))
	bin=$out/fuzz_$h
	log=$out/logs/$h.log
	run=$out/run/$h
	if ! eval "wait \$pid_$h"; then
		not_ok "$h" "does not build" "$out/logs/$h.build"
		continue
	fi
	rm -rf "$run"
	mkdir -p "$run"
	cp "$root/tests/fuzz/corpus/$h/"* "$run/" 2>/dev/null
	ASAN_OPTIONS=$asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$h-" "$run" >"$log" 2>&1
	rc=$?
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	repro=${repro#"$root"/}
	if [ $rc -ne 0 ] || [ -n "$repro" ]; then
		what=$(grep -m1 -o -e 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' \
			-e 'runtime error: .*' -e 'check failed: .*' \
			-e 'ERROR: libFuzzer: .*' "$log")
		not_ok "$h" "${what:-exit $rc}; reproducer ${repro:-none}" "$log"
		continue
	fi
	last=$(grep 'cov: ' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	echo "ok $n - fuzz_$h: $runs runs in ${secs}s ($rate/s)," \
		"cov $cov, ft $ft, corpus $corp"
done
exit $status

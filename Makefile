# Build, test and demo the sandboxed Confluent Cloud identity connector.

CARGO       ?= cargo
WASM_TARGET := wasm32-wasip2
RELEASE     := target/release
COMPONENT   := target/$(WASM_TARGET)/release/confluent_connector.wasm
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
	@set -e; \
	work=$$(mktemp -d); \
	$(RELEASE)/confluent-sim --api-key DEMOKEY --api-secret demo-secret-do-not-use \
	    --users 40 --service-accounts 12 --environments 4 --role-bindings 60 --seed 7 > $$work/sim.out & \
	sim=$$!; trap 'kill $$sim 2>/dev/null; rm -rf $$work' EXIT; \
	for i in $$(seq 100); do grep -q '^listening on ' $$work/sim.out && break; sleep 0.1; done; \
	url=$$(sed -n 's/^listening on //p' $$work/sim.out); \
	export CONFLUENT_CLOUD_API_KEY=DEMOKEY CONFLUENT_CLOUD_API_SECRET=demo-secret-do-not-use; \
	cc="$(RELEASE)/confluent-connector --base-url $$url --cache-dir $$work/cache"; \
	echo "== simulator at $$url"; \
	echo "== confluent-connector check"; $$cc check; \
	echo "== confluent-connector import accounts (first 5 of $$($$cc import accounts | wc -l))"; \
	$$cc import accounts | head -5; \
	echo "== confluent-connector import entitlements --format table"; \
	$$cc import entitlements --format table; \
	echo "== confluent-connector import access (first 3 of $$($$cc import access | wc -l))"; \
	$$cc import access | head -3; \
	echo "== a document pointing at a non-granted origin is refused"; \
	mkdir -p $$work/config; \
	sed 's#https://api.confluent.cloud/iam/v2/users#http://169.254.169.254/latest/meta-data#' \
	    connector/engine/defaults/ImportAccountEntJSON.json > $$work/config/ImportAccountEntJSON.json; \
	$$cc --config $$work/config import accounts > /dev/null || echo "(exit code $$?, as expected)"

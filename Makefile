# chup-harness: every task a developer or CI runs. `make help` lists them.
CARGO ?= cargo
BIN := target/release/chup-harness
DEBUG_BIN := target/debug/chup-harness
SCHEMA_BODIES := target/schema-bodies
# Writes 10,000 bodies (NDJSON) of every event in the dialect appended.
SCHEMA_GENERATE ?= $(DEBUG_BIN) generate --event all --count 10000 --seed 1 --dialect

.PHONY: help build test lint fmt contract-test serve certify bench clean schema schema-validate fuzz

# make contract-test against your receiver:
#   HIS_URL=https://his.example/chup/webhook CHUP_SECRET=... STATE_URL='https://his.example/chup/{kind}/{id}' make contract-test
# Without HIS_URL the built-in reference receiver is tested.
HIS_URL ?=
STATE_URL ?=
SNAPSHOTS ?=
RUN_FLAGS ?=
SERVE_FLAGS ?=
# Cases of the property-based fuzz run in contract-test, and extra flags.
FUZZ_CASES ?= 50
FUZZ_FLAGS ?=
TARGET_FLAGS = $(if $(HIS_URL),--target '$(HIS_URL)') $(if $(STATE_URL),--state-url '$(STATE_URL)')

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

build: ## build the release binary
	$(CARGO) build --release --locked

contract-test: build ## the contract suite, a fuzz run and the committed replays against HIS_URL (default: the built-in reference receiver)
	$(BIN) run $(TARGET_FLAGS) $(if $(SNAPSHOTS),--snapshots '$(SNAPSHOTS)') --junit target/contract-test.junit.xml --json target/contract-test.json $(RUN_FLAGS)
	$(BIN) fuzz $(TARGET_FLAGS) --cases $(FUZZ_CASES) $(FUZZ_FLAGS)
	for f in contracts/replays/*.json; do \
	  $(BIN) replay "$$f" --resign $(TARGET_FLAGS) || exit 1; \
	done

serve: ## the mock Chup Online server and dashboard on http://127.0.0.1:4010/ (HIS_URL, default the reference receiver)
	$(CARGO) run --locked -- serve $(if $(HIS_URL),--target '$(HIS_URL)') $(SERVE_FLAGS)

# make certify against your receiver (writes the bundle to CERTIFY_OUT):
#   HIS_URL=... CHUP_SECRET=... STATE_URL=... VENDOR=Acme PRODUCT='Klinik HIS' make certify
CERTIFY_OUT ?= target/certification
CERTIFY_FLAGS ?=

certify: build ## certify HIS_URL (required) and write a verifiable bundle to CERTIFY_OUT
	@test -n '$(HIS_URL)' || { echo 'make certify needs HIS_URL=https://...'; exit 2; }
	$(BIN) certify --target '$(HIS_URL)' --out '$(CERTIFY_OUT)' $(if $(STATE_URL),--state-url '$(STATE_URL)') $(if $(VENDOR),--vendor '$(VENDOR)') $(if $(PRODUCT),--product '$(PRODUCT)') $(CERTIFY_FLAGS)

test: ## run every test (unit, integration, CLI)
	$(CARGO) test --locked

lint: ## formatting check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt: ## format the code
	$(CARGO) fmt --all

bench: ## the five benchmark comparisons of BENCHMARKS.md, as ratios against peers run side by side
	bash bench/run.sh

schema: ## refresh the committed schema export in contracts/schema
	$(CARGO) run --locked -- schema --out contracts/schema

schema-validate: ## validate contracts/schema: jsonschema on seeds and 10,000 bodies per dialect, AsyncAPI parser
	$(CARGO) build --locked
	mkdir -p $(SCHEMA_BODIES)
	for d in canonical seed mixed; do \
	  $(SCHEMA_GENERATE) $$d > $(SCHEMA_BODIES)/$$d.ndjson || exit 1; \
	done
	python3 tests/validate_schema.py contracts/schema tests/fixtures/seed --require-every-dialect \
	  $(SCHEMA_BODIES)/canonical.ndjson $(SCHEMA_BODIES)/seed.ndjson $(SCHEMA_BODIES)/mixed.ndjson
	bash tests/validate_asyncapi.sh contracts/schema/asyncapi.yaml

FUZZ_SECONDS ?= 600
fuzz: ## run each cargo-fuzz target for FUZZ_SECONDS (needs nightly and cargo-fuzz; not part of test)
	mkdir -p fuzz/corpus/body_signature fuzz/corpus/reference_webhook fuzz/corpus/scenario_load fuzz/corpus/control_api
	cp tests/fixtures/seed/*.json fuzz/corpus/body_signature/
	cp tests/fixtures/seed/*.json fuzz/corpus/reference_webhook/
	cp contracts/scenarios/*.toml fuzz/corpus/scenario_load/
	cd fuzz && for t in body_signature scenario_load reference_webhook control_api; do \
	  cargo +nightly fuzz run -O -a $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 || exit 1; \
	done

clean: ## remove build output
	$(CARGO) clean

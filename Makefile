# chup-harness: every task a developer or CI runs. `make help` lists them.
CARGO ?= cargo
BIN := target/release/chup-harness

.PHONY: help build test lint fmt contract-test bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

build: ## build the release binary
	$(CARGO) build --release --locked

test: ## run every test (unit, integration, CLI)
	$(CARGO) test --locked

lint: ## formatting check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt: ## format the code
	$(CARGO) fmt --all

clean: ## remove build output
	$(CARGO) clean

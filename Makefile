# copycat — see README.md. Every target works on a fresh Debian 12 machine
# after `make setup`.
SHELL := /bin/bash
GO ?= go
BIN := bin/copycat
# Everything downloaded or started for development lives here, never in git.
CACHE ?= $(CURDIR)/.cache
SEED ?= 1
export GOFLAGS := -buildvcs=false

.PHONY: setup build test test-short lint vet bench demo eval services services-up services-down \
        milvus-up milvus-down postgres-up postgres-down kafka-up kafka-down browser-up loadtest fuzz clean

## setup: install the system packages copycat needs (idempotent) and Go modules
setup:
	scripts/setup.sh
	$(GO) mod download

## build: the copycat binary in bin/
build:
	$(GO) build -o $(BIN) ./cmd/copycat

## lint: gofmt must be clean, go vet must pass
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

vet: lint

## test: lint + vet + every test with the race detector. Integration tests
## run when COPYCAT_TEST_{MILVUS,POSTGRES,KAFKA,BROWSER} are set (see services-up).
test: lint
	$(GO) test -race -count=1 -timeout 40m ./...

## test-short: quick unit tests without the race detector
test-short:
	$(GO) test -short -count=1 ./...

## bench: every benchmark, reported as ratios to baselines measured in the same run
bench:
	scripts/bench.sh

## fuzz: run each fuzz target for FUZZTIME (default 20s)
fuzz:
	scripts/fuzz.sh $${FUZZTIME:-20s}

## demo: the main job on embedded defaults — fetch real clips, import
## references, check edited copies and a re-upload (scripts/demo.sh)
demo:
	scripts/demo.sh

## eval: build the labelled corpus for SEED (default 1) and score copycat on it
eval:
	SEED=$(SEED) scripts/eval.sh

## loadtest: bounded HTTP load test of copycat serve (p50/p99, req/s)
loadtest:
	scripts/loadtest.sh

## services-up: start the real servers integration tests use and print the
## variables that switch those tests on
services-up: postgres-up milvus-up kafka-up browser-up

services-down: kafka-down milvus-down postgres-down

postgres-up:
	scripts/postgres.sh up
postgres-down:
	scripts/postgres.sh down
milvus-up:
	scripts/milvus.sh up
milvus-down:
	scripts/milvus.sh down
kafka-up:
	scripts/kafka.sh up
kafka-down:
	scripts/kafka.sh down
browser-up:
	scripts/browser.sh

clean:
	rm -rf bin

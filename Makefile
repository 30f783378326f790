# Agora. `make run` starts a single-machine cluster; `make test` runs every
# test, installing what the tests need first (as root, with apt).
GO      ?= go
BIN     := bin/agora
PKGS    := ./...

.PHONY: all build run test unit integration race vet fmt-check proto check-proto bench fuzz deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/agora

run: build
	./$(BIN) dev

# Everything CI runs: formatting, vet, generated-code drift, unit tests (with
# the race detector on the concurrent packages) and the process-level
# integration tests.
test: deps
	scripts/test.sh

deps:
	scripts/ensure-deps.sh

unit:
	$(GO) test -count=1 $(PKGS)

race:
	scripts/test.sh race

integration: build
	$(GO) test -count=1 -v ./integration/...

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

proto:
	proto/generate.sh

check-proto:
	proto/check.sh

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

clean:
	rm -rf bin

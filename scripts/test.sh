#!/usr/bin/env bash
# The test suite behind `make test`. With an argument "race" it runs only the
# race-detector pass.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages with goroutines and shared state get the race detector.
race_pkgs=(./master/... ./agent/... ./sdk/... ./examples/... ./proto/recordio/... ./internal/election/... ./internal/store/... ./internal/leaderproxy/... ./internal/zkctx/... ./frameworks/marathon/api/...)

if [ "${1:-}" = "race" ]; then
	exec go test -count=1 -race "${race_pkgs[@]}"
fi

echo "== gofmt"
out=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$out" ]; then echo "gofmt needed:"; echo "$out"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== check-proto"
proto/check.sh

echo "== unit tests"
go test -count=1 $(go list ./... | grep -v /integration)

echo "== race detector"
go test -count=1 -race "${race_pkgs[@]}"

echo "== integration tests (real processes)"
go build -o bin/agora ./cmd/agora
AGORA_BIN="$PWD/bin/agora" go test -count=1 -timeout 10m ./integration/...

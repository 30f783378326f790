#!/usr/bin/env bash
# Regenerates the Go code for every .proto under proto/, next to its source
# (or under OUTDIR when given, for drift checks). Uses Debian's protoc
# (apt-get install -y protobuf-compiler) and protoc-gen-go built from the
# version pinned in go.mod, so output is reproducible.
#
# usage: proto/generate.sh [OUTDIR]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/proto}"

if ! command -v protoc >/dev/null 2>&1; then
	echo "generate.sh: protoc not found; install it with: apt-get install -y protobuf-compiler" >&2
	exit 1
fi

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)

mkdir -p "$out"
cd "$root/proto"
mapfile -t files < <(find . -name '*.proto' -not -path './*/testdata/*' | sed 's|^\./||' | LC_ALL=C sort)
PATH="$bin:$PATH" protoc -I . --go_out="$out" --go_opt=paths=source_relative "${files[@]}"

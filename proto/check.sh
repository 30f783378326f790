#!/usr/bin/env bash
# Fails when the committed .pb.go files differ from what proto/generate.sh
# produces now (a .proto edited without regenerating, or a hand edit).
#
# usage: proto/check.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$root/proto/generate.sh" "$tmp"

cd "$root/proto"
mapfile -t committed < <(find . -name '*.pb.go' | sed 's|^\./||' | LC_ALL=C sort)
mapfile -t fresh < <(cd "$tmp" && find . -name '*.pb.go' | sed 's|^\./||' | LC_ALL=C sort)

drift=0
if ! diff <(printf '%s\n' "${committed[@]}") <(printf '%s\n' "${fresh[@]}") >/dev/null; then
	echo "check-proto: the set of generated files differs (committed vs fresh):" >&2
	diff <(printf '%s\n' "${committed[@]}") <(printf '%s\n' "${fresh[@]}") >&2 || true
	drift=1
fi
for f in "${fresh[@]}"; do
	if [ -f "$f" ] && ! diff -u "$f" "$tmp/$f" >/dev/null; then
		echo "check-proto: proto/$f is out of date" >&2
		diff -u "$f" "$tmp/$f" | head -40 >&2 || true
		drift=1
	fi
done

if [ "$drift" -ne 0 ]; then
	echo "check-proto: generated code drifted; run 'make proto' and commit the result" >&2
	exit 1
fi
echo "check-proto: generated code is up to date"

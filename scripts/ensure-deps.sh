#!/usr/bin/env bash
# Installs what `make test` needs and is not on a fresh Debian machine:
# protoc (Debian's protobuf-compiler) for the generated-code drift check.
# Run as root. Under CI=true a component that cannot be installed fails the
# run; elsewhere it is reported and the dependent checks fail on their own.
set -euo pipefail

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)

if [ "${#need_apt[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "ensure-deps: missing ${need_apt[*]}; run as root or install them" >&2
		exit 1
	fi
	echo "ensure-deps: installing ${need_apt[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${need_apt[@]}" >/tmp/agora-apt.log 2>&1 ||
		{ apt-get update >>/tmp/agora-apt.log 2>&1 && apt-get install -y --no-install-recommends "${need_apt[@]}" >>/tmp/agora-apt.log 2>&1; } ||
		{ echo "ensure-deps: apt-get failed; see /tmp/agora-apt.log" >&2; tail -20 /tmp/agora-apt.log >&2; exit 1; }
fi
go mod download

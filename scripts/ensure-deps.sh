#!/usr/bin/env bash
# Installs what `make test` needs and is not on a fresh Debian machine:
# protoc (Debian's protobuf-compiler) for the generated-code drift check;
# Docker (docker.io) and a static busybox, from which the Docker
# containerizer's tests build their image (no registry is reachable), and
# starts dockerd when no engine answers; ZooKeeper (Debian's zookeeper, with
# a JRE), which the store and election tests start as real servers; Chromium,
# which drives the web UI in integration/webui_test.go.
# Run as root. Under CI=true a component that cannot be installed fails the
# run; elsewhere it is reported and the dependent checks fail on their own.
set -euo pipefail

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || need_apt+=(busybox-static)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
zk_script=/usr/share/zookeeper/bin/zkServer.sh
{ [ -x "$zk_script" ] && command -v java >/dev/null 2>&1; } || need_apt+=(zookeeper)

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

if ! { [ -x "$zk_script" ] && command -v java >/dev/null 2>&1; }; then
	echo "ensure-deps: ZooKeeper ($zk_script and java) is not installed; its tests will skip" >&2
	if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

if ! command -v chromium >/dev/null 2>&1; then
	echo "ensure-deps: chromium is not installed; the web UI's browser test will skip" >&2
	if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

# A Docker engine for the Docker containerizer's tests: start one in the
# background when none answers, and give it 30 s.
docker_ok() { timeout 10 docker version >/dev/null 2>&1; }
if ! docker_ok; then
	if [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null 2>&1; then
		echo "ensure-deps: starting dockerd (log: /tmp/agora-dockerd.log)"
		# setsid: a Ctrl-C of `make test` must not take the engine down with it.
		setsid nohup dockerd >/tmp/agora-dockerd.log 2>&1 </dev/null &
		for _ in $(seq 30); do docker_ok && break; sleep 1; done
	fi
	if ! docker_ok; then
		echo "ensure-deps: no Docker engine answers; see /tmp/agora-dockerd.log" >&2
		if [ "${CI:-}" = "true" ]; then exit 1; fi
	fi
fi
go mod download

#!/usr/bin/env bash
# The short benchmark run behind `make bench` (well under two minutes): the
# headline figures of BENCHMARKS.md, as medians of a few runs on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-5}"

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else print a[int((NR+1)/2)]}'; }

run() { go test -run '^$' -cpu 1 "$@" 2>/dev/null; }

echo "== allocator (one core, $count runs)"
out=$(run -bench 'BenchmarkAllocate10kAgents1kFrameworks$|BenchmarkAllocateNewAgent$' -count "$count" ./master/allocator/)
for b in BenchmarkAllocate10kAgents1kFrameworks BenchmarkAllocateNewAgent; do
	ns=$(echo "$out" | awk -v b="$b" '$1==b {print $3}' | median)
	echo "$b: median $ns ns/op"
done

echo "== master memory (10k agents, 100k tasks)"
out=$(run -bench 'BenchmarkMasterMemory$' -benchtime 1x -count 1 ./master/)
echo "$out" | awk '$1=="BenchmarkMasterMemory" {for (i=1;i<=NF;i++) if ($i ~ /^B\//) print $(i-1), $i}'

echo "== Chronos schedules: After() on 10,000 schedules ($count runs)"
out=$(run -bench 'BenchmarkAfter10kSchedules$' -count "$count" ./frameworks/chronos/schedule/)
ns=$(echo "$out" | awk '$1=="BenchmarkAfter10kSchedules" {print $3}' | median)
echo "BenchmarkAfter10kSchedules: median $ns ns/op"

echo "== Marathon GET /v2/apps: 1,000 apps, 10,000 tasks ($count runs)"
out=$(run -bench 'BenchmarkListApps1kApps10kTasks' -count "$count" ./frameworks/marathon/api/)
for b in BenchmarkListApps1kApps10kTasks/counts BenchmarkListApps1kApps10kTasks/tasks; do
	ns=$(echo "$out" | awk -v b="$b" '$1==b {print $3}' | median)
	echo "$b: median $ns ns/op"
done

echo "== end to end: agora bench, 1,000 simulated agents, 20 frameworks, 2,000 tasks (3 runs, master in its own process)"
bin=$(mktemp -d)
go build -o "$bin/agora" ./cmd/agora
tps=() p99=()
for seed in 1 2 3; do
	out=$("$bin/agora" bench --agents 1000 --frameworks 20 --tasks 2000 --seed "$seed" 2>/dev/null)
	tps+=("$(echo "$out" | awk '$1=="throughput:" {print $2}')")
	p99+=("$(echo "$out" | awk '$1=="launch→RUNNING:" {print $7}')")
done
rm -rf "$bin"
echo "tasks/s launch→RUNNING: median $(printf '%s\n' "${tps[@]}" | median)"
echo "p99 launch→RUNNING: median $(printf '%s\n' "${p99[@]}" | sed 's/ms$//' | median) ms"

echo "== Mesos JSON encoding vs protojson"
run -bench 'Marshal' -count 1 ./proto/mesosjson/ | grep -E '^Benchmark' || true

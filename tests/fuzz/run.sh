#!/usr/bin/env bash
# tests/fuzz/run.sh - what `make fuzz` runs.
#
# usage: run.sh FUZZER MKSEED SECONDS JOBS
#
# Makes the seed corpus when tests/fuzz/corpus/ is empty (mkcorpus.sh),
# replays the full dumps in tests/fuzz/full/ once, then fuzzes for
# SECONDS on JOBS processes (libFuzzer's -fork mode when JOBS > 1). New
# inputs go to tests/fuzz/corpus/, a crash, leak, timeout or out-of-memory
# input to tests/fuzz/artifacts/; libFuzzer's closing statistics are
# printed (stat::number_of_executed_units is the number of executions).
# Exit status: 0 when nothing was found.
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: run.sh FUZZER MKSEED SECONDS JOBS" >&2; exit 2; }
fuzzer=$1 mkseed=$2 secs=$3 jobs=$4
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/corpus full=$here/full art=$here/artifacts

if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
	bash "$here/mkcorpus.sh" "$mkseed" "$corpus" "$full"
fi
mkdir -p "$art"
if [ -n "$(ls -A "$full" 2>/dev/null)" ]; then
	echo "fuzz: replaying the full dumps in $full"
	"$fuzzer" -rss_limit_mb=4096 "$full"/*.pmd 2>&1 | grep -E '^(Executed|Running|==)' || true
	"$fuzzer" -rss_limit_mb=4096 "$full"/*.pmd >/dev/null 2>&1 ||
	    { echo "fuzz: a full dump fails: run $fuzzer $full/*.pmd" >&2; exit 1; }
fi
opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
    -artifact_prefix="$art/" -print_final_stats=1)
if [ "$jobs" -gt 1 ]; then
	opts+=(-fork="$jobs")
fi
echo "fuzz: $fuzzer ${opts[*]} $corpus"
exec "$fuzzer" "${opts[@]}" "$corpus"

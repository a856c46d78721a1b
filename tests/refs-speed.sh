#!/usr/bin/env bash
# refs-speed.sh [MB] - how long pm-refs takes to build the reference graph
# and its dominator tree on a heap of about MB megabytes (default 1024:
# some 10 to 17 million objects). Not part of the suites: it needs a few
# GB of memory and minutes. Starts tests/bench/bigheap.py with the newest
# python (or $REFS_PYTHON), dumps it, then times on the uncompressed
# snapshot
#   pm-types          reading the snapshot and enumerating the objects
#   pm-refs --top 10  the same plus the graph, dominators, retained sizes
# and prints both and their difference, which is the graph's cost.
set -euo pipefail

mb=${1:-1024}
here=$(cd "$(dirname "$0")" && pwd)
PM_BIN=${PM_BIN:-$here/../bin}
# shellcheck source=tests/helper.bash
. "$here/helper.bash"
py=${REFS_PYTHON:-$(pm_pythons | tail -n 1 | cut -d' ' -f2)}
[ -x "$py" ] || { echo "refs-speed: no python 3.8 to 3.13 found" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "refs-speed: needs /usr/bin/time" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-refs-speed.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	exec 7>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/stdin"
echo "refs-speed: building a ${mb} MB heap with $py ..." >&2
"$py" "$here/bench/bigheap.py" "$mb" <"$tmp/stdin" >"$tmp/target.out" &
pid=$!
exec 7>"$tmp/stdin"
for ((i = 0; i < 6000; i++)); do
	grep -q READY "$tmp/target.out" && break
	kill -0 "$pid" 2>/dev/null || { echo "refs-speed: target died" >&2; exit 1; }
	sleep 0.1
done
"$PM_BIN/pm-dump" -q -p "$pid" -o "$tmp/heap.pmd"
kill "$pid"
pid=
zstd -qd "$tmp/heap.pmd" -o "$tmp/heap.raw"
rm -f "$tmp/heap.pmd"

# measure NAME CMD...: "wall cpu rss_mb" of CMD, best of two runs.
measure() {
	local name=$1 best='' r
	shift
	for _ in 1 2; do
		r=$(/usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1)
		read -r w u s m <<<"$r"
		r=$(awk -v w="$w" -v u="$u" -v s="$s" -v m="$m" \
		    'BEGIN { printf "%.2f %.2f %d", w, u + s, m / 1024 }')
		if [ -z "$best" ] || awk -v a="${r%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
			best=$r
		fi
	done
	printf '%s %s\n' "$name" "$best"
}

objs=$("$PM_BIN/pm-types" -q "$tmp/heap.raw" | awk -F'\t' '$3 == "(total)" { print $1 }')
{
	measure pm-types "$PM_BIN/pm-types" -q "$tmp/heap.raw"
	measure pm-refs "$PM_BIN/pm-refs" -q --top 10 "$tmp/heap.raw"
} >"$tmp/times"
uptime_load=$(cut -d' ' -f1 /proc/loadavg)
awk -v objs="$objs" -v mb="$mb" -v load="$uptime_load" '
	{ wall[$1] = $2; cpu[$1] = $3; rss[$1] = $4 }
	END {
		printf "heap: %d MB asked, %d objects (load average %s)\n", mb, objs, load
		printf "%-22s %8s %8s %8s\n", "", "wall s", "cpu s", "rss MB"
		printf "%-22s %8.2f %8.2f %8d\n", "pm-types", wall["pm-types"], cpu["pm-types"], rss["pm-types"]
		printf "%-22s %8.2f %8.2f %8d\n", "pm-refs --top 10", wall["pm-refs"], cpu["pm-refs"], rss["pm-refs"]
		printf "%-22s %8.2f %8.2f %8d\n", "graph and dominators", wall["pm-refs"] - wall["pm-types"],
		    cpu["pm-refs"] - cpu["pm-types"], rss["pm-refs"] - rss["pm-types"]
	}' "$tmp/times"

#!/usr/bin/env bash
# bench.sh [MB] - measure pm-dump and the analysis programs on a target of
# about MB megabytes (default 1024), against zstd on the same bytes, and
# print one table. A benchmark, not a test: it fails only when something
# cannot run. `make bench` runs it; BENCH_PYTHON picks the interpreter
# (default: the newest pyenv 3.8 to 3.13).
set -euo pipefail

mb=${1:-1024}
here=$(cd "$(dirname "$0")" && pwd)
PM_BIN=${PM_BIN:-$here/../../bin}
PM_UNIT=${PM_UNIT:-$here/../../build/unit}
# shellcheck source=tests/helper.bash
. "$here/../helper.bash"
py=${BENCH_PYTHON:-$(pm_pythons | tail -n 1 | cut -d' ' -f2)}
[ -x "$py" ] || { echo "bench: no python 3.8 to 3.13 found" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench.XXXXXX")
fifo=$tmp/stdin
mkfifo "$fifo"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	exec 7>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# run NAME [-i IN] CMD...: time CMD, record "wall rss" under NAME.
declare -A WALL RSS
run() {
	local name=$1 r w m st
	shift
	r=$("$PM_UNIT/bench-run" "$@" 2>&1 >/dev/null | tail -n 1)
	read -r w m st <<<"$r"
	WALL[$name]=$w
	RSS[$name]=$m
	if [ "$st" != 0 ]; then
		echo "bench: $name failed (exit $st): $*" >&2
		exit 1
	fi
}

echo "bench: building a ${mb} MB heap with $py ..."
"$py" "$here/bigheap.py" "$mb" <"$fifo" >"$tmp/target.out" &
pid=$!
exec 7>"$fifo"
for ((i = 0; i < 3000; i++)); do
	grep -q READY "$tmp/target.out" && break
	kill -0 "$pid" 2>/dev/null || { echo "bench: target died" >&2; exit 1; }
	sleep 0.1
done
grep -q READY "$tmp/target.out" || { echo "bench: target not ready" >&2; exit 1; }
read -r _ objs rss <"$tmp/target.out"
echo "bench: target pid $pid: ${objs#objects=} GC objects, ${rss#rss_mb=} MB resident"

run dump "$PM_BIN/pm-dump" -q -p "$pid" -o "$tmp/app.pmd"
"$PM_BIN/pm-dump" -p "$pid" -o "$tmp/app2.pmd" 2>"$tmp/dump.err"
pause=$(sed -n 's/.*paused \([0-9.]*\) ms.*/\1/p' "$tmp/dump.err")
run dumpraw "$PM_BIN/pm-dump" -q --raw -p "$pid" -o "$tmp/app.raw"
kill "$pid"
pid=
raw=$(stat -c %s "$tmp/app.raw")
zsize=$(stat -c %s "$tmp/app.pmd")
cat "$tmp/app.raw" >/dev/null	# into the page cache for the references
run zstd_c -i "$tmp/app.raw" zstd -q -T2 -1 -c
run memcpy -i "$tmp/app.raw" dd bs=4M status=none
run zstd_d -i "$tmp/app.pmd" zstd -q -d -c

progs=()
for p in "pm-types" "pm-objects --largest 10" "pm-strings --dups" \
    "pm-refs --top 10" "pm-tasks"; do
	[ -x "$PM_BIN/${p%% *}" ] && progs+=("$p")
done
for p in "${progs[@]}"; do
	read -r -a argv <<<"$p"
	argv[0]=$PM_BIN/${argv[0]}
	run "$p|z" "${argv[@]}" "$tmp/app.pmd"
	run "$p|r" "${argv[@]}" "$tmp/app.raw"
done
nobj=$("$PM_BIN/pm-types" "$tmp/app.raw" | awk -F'\t' '$3 == "(total)" { print $1 }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

echo
printf 'pmtools bench: python %s, %s objects, snapshot %s MiB raw, %s MiB zstd\n' \
    "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    "$nobj" "$((raw >> 20))" "$((zsize >> 20))"
printf '%-28s %9s %9s %10s  %s\n' WHAT SECONDS RATIO PEAK_MIB "REFERENCE"
printf '%-28s %9s %9s %10s  %s\n' "pause (target stopped)" \
    "$(awk -v p="$pause" 'BEGIN { printf "%.3f", p / 1000 }')" \
    "$(ratio "$(awk -v p="$pause" 'BEGIN { print p / 1000 }')" "${WALL[memcpy]}")" - \
    "x memcpy of the raw bytes (${WALL[memcpy]} s)"
printf '%-28s %9s %9s %10s  %s\n' "pm-dump (zstd)" "${WALL[dump]}" \
    "$(ratio "${WALL[dump]}" "${WALL[zstd_c]}")" "$(mib "${RSS[dump]}")" \
    "x zstd -T2 -1 of the raw bytes (${WALL[zstd_c]} s)"
printf '%-28s %9s %9s %10s  %s\n' "pm-dump --raw" "${WALL[dumpraw]}" \
    "$(ratio "${WALL[dumpraw]}" "${WALL[memcpy]}")" "$(mib "${RSS[dumpraw]}")" \
    "x memcpy"
for p in "${progs[@]}"; do
	printf '%-28s %9s %9s %10s  %s\n' "$p" "${WALL[$p|z]}" \
	    "$(ratio "${WALL[$p|z]}" "${WALL[zstd_d]}")" "$(mib "${RSS[$p|z]}")" \
	    "x zstd -d of the snapshot (${WALL[zstd_d]} s)"
	printf '%-28s %9s %9s %10s  %s\n' "$p (raw, mmap)" "${WALL[$p|r]}" \
	    "$(ratio "${WALL[$p|r]}" "${WALL[zstd_d]}")" "$(mib "${RSS[$p|r]}")" \
	    "x zstd -d"
done
printf 'RSS budget (snapshot + 64 B/object): %s MiB\n' \
    "$(awk -v r="$raw" -v n="$nobj" 'BEGIN { printf "%.0f", (r + 64 * n) / 1048576 }')"

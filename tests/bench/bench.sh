#!/usr/bin/env bash
# bench.sh [MB ...] - measure pm-dump and the analysis programs on a target
# of about MB megabytes (default 1024), against zstd on the same bytes, and
# print one table per size; with several sizes, then a table of how time
# and memory grow. A benchmark, not a test: it fails only when something
# cannot run. `make bench` runs it; BENCH_PYTHON picks the interpreter
# (default: the newest pyenv 3.8 to 3.13); BENCH_PROGS, a list separated
# by '|', the analysis commands (default: all five); BENCH_TMPDIR where the
# snapshots go (default: TMPDIR or /tmp).
#
# Every figure is a wall time; CPU is user plus system time of the same
# run. On a loaded machine compare the RATIO column, which divides by a
# reference measured in the same minute, and the load printed with it.
set -euo pipefail

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024)
here=$(cd "$(dirname "$0")" && pwd)
PM_BIN=${PM_BIN:-$here/../../bin}
PM_UNIT=${PM_UNIT:-$here/../../build/unit}
# shellcheck source=tests/helper.bash
. "$here/../helper.bash"
py=${BENCH_PYTHON:-$(pm_pythons | tail -n 1 | cut -d' ' -f2)}
[ -x "$py" ] || { echo "bench: no python 3.8 to 3.13 found" >&2; exit 2; }
IFS='|' read -r -a want <<<"${BENCH_PROGS:-pm-types|pm-objects --largest 10|pm-strings --dups|pm-refs --top 10|pm-tasks}"
progs=()
for p in "${want[@]}"; do
	[ -x "$PM_BIN/${p%% *}" ] && progs+=("$p")
done

tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/pm-bench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	exec 7>&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# run NAME [-i IN] CMD...: time CMD, record wall, CPU and peak RSS (KiB).
declare -A WALL CPU RSS
run() {
	local name=$1 r w m st c
	shift
	r=$("$PM_UNIT/bench-run" "$@" 2>&1 >/dev/null | tail -n 1)
	read -r w m st c <<<"$r"
	WALL[$name]=$w
	RSS[$name]=$m
	CPU[$name]=$c
	if [ "$st" != 0 ]; then
		echo "bench: $name failed (exit $st): $*" >&2
		exit 1
	fi
}

# row WHAT NAME REFNAME REFTEXT: one line of the table.
row() {
	printf '%-30s %8s %8s %7s %9s  %s\n' "$1" "${WALL[$2]}" "${CPU[$2]}" \
	    "$(ratio "${WALL[$2]}" "${WALL[$3]}")" "$(mib "${RSS[$2]}")" "$4"
}

# bench MB: build the target, measure, print the table.
bench() {
	local mb=$1 fifo=$tmp/stdin i objs rss raw zsize pause nobj load0 p
	local -a argv
	rm -f "$fifo" "$tmp"/app*
	mkfifo "$fifo"
	echo "bench: building a ${mb} MB heap with $py ..."
	"$py" "$here/bigheap.py" "$mb" <"$fifo" >"$tmp/target.out" &
	pid=$!
	exec 7>"$fifo"
	for ((i = 0; i < 6000; i++)); do
		grep -q READY "$tmp/target.out" && break
		kill -0 "$pid" 2>/dev/null || { echo "bench: target died" >&2; exit 1; }
		sleep 0.1
	done
	grep -q READY "$tmp/target.out" || { echo "bench: target not ready" >&2; exit 1; }
	read -r _ objs rss <"$tmp/target.out"
	echo "bench: target pid $pid: ${objs#objects=} GC objects, ${rss#rss_mb=} MB resident"
	load0=$(load)

	run dump "$PM_BIN/pm-dump" -q -p "$pid" -o "$tmp/app.pmd"
	"$PM_BIN/pm-dump" -p "$pid" -o "$tmp/app2.pmd" 2>"$tmp/dump.err"
	rm -f "$tmp/app2.pmd"
	pause=$(sed -n 's/.*paused \([0-9.]*\) ms.*/\1/p' "$tmp/dump.err")
	run dumpraw "$PM_BIN/pm-dump" -q --raw -p "$pid" -o "$tmp/app.raw"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	exec 7>&-
	raw=$(stat -c %s "$tmp/app.raw")
	zsize=$(stat -c %s "$tmp/app.pmd")
	cat "$tmp/app.raw" >/dev/null	# into the page cache for the references
	run zstd_c -i "$tmp/app.raw" zstd -q -T2 -1 -c
	run memcpy -i "$tmp/app.raw" dd bs=4M status=none
	run zstd_d -i "$tmp/app.pmd" zstd -q -d -c
	read -r "WALL[touch]" "RSS[touch]" _ "CPU[touch]" \
	    < <("$PM_UNIT/bench-run" -t $(((raw + (1 << 20) - 1) >> 20)) 2>&1)

	for p in "${progs[@]}"; do
		read -r -a argv <<<"$p"
		argv[0]=$PM_BIN/${argv[0]}
		run "$p|z" "${argv[@]}" "$tmp/app.pmd"
		run "$p|r" "${argv[@]}" "$tmp/app.raw"
	done
	nobj=$("$PM_BIN/pm-types" "$tmp/app.raw" | awk -F'\t' '$3 == "(total)" { print $1 }')
	WALL[pause]=$(awk -v p="$pause" 'BEGIN { printf "%.3f", p / 1000 }')
	CPU[pause]=-
	RSS[pause]=0

	echo
	printf 'pmtools bench: python %s, %s objects, snapshot %s MiB raw, %s MiB zstd (%.1f%%)\n' \
	    "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
	    "$nobj" "$((raw >> 20))" "$((zsize >> 20))" \
	    "$(awk -v z="$zsize" -v r="$raw" 'BEGIN { print 100 * z / r }')"
	printf 'load average %s at the start, %s at the end, on %s processors\n' \
	    "$load0" "$(load)" "$(nproc)"
	printf '%-30s %8s %8s %7s %9s  %s\n' WHAT SECONDS CPU RATIO PEAK_MIB REFERENCE
	row "pause (target stopped)" pause memcpy \
	    "x reading the raw bytes from the page cache (${WALL[memcpy]} s); $(awk -v p="${WALL[pause]}" -v r="$raw" 'BEGIN { printf "%.3f", p / (r / 2^30) }') s per GiB"
	row "pm-dump (zstd)" dump zstd_c \
	    "x zstd -T2 -1 of the raw bytes (${WALL[zstd_c]} s, CPU ${CPU[zstd_c]} s)"
	row "pm-dump --raw" dumpraw memcpy "x reading the raw bytes"
	row "first touch of $((raw >> 20)) MiB" touch zstd_d \
	    "x zstd -d; fresh memory on huge pages, the floor of any reader"
	for p in "${progs[@]}"; do
		row "$p" "$p|z" zstd_d \
		    "x zstd -d of the snapshot (${WALL[zstd_d]} s, CPU ${CPU[zstd_d]} s)"
		row "$p (raw, mmap)" "$p|r" zstd_d "x zstd -d"
	done
	printf 'RSS budget (snapshot + 64 B/object): %s MiB\n' \
	    "$(awk -v r="$raw" -v n="$nobj" 'BEGIN { printf "%.0f", (r + 64 * n) / 1048576 }')"
	echo

	# For the growth table.
	SUM+=("$(printf '%6s %9s %9s %8s %8s %8s' "$((raw >> 20))" "$nobj" \
	    "${WALL[pause]}" "${WALL[dump]}" "$(mib "${RSS[dump]}")" \
	    "${WALL[touch]}")")
	for p in "${progs[@]}"; do
		SUM[${#SUM[@]} - 1]+=$(printf ' %8s %8s' "${WALL[$p|z]}" "$(mib "${RSS[$p|z]}")")
	done
	rm -f "$tmp"/app*
}

SUM=()
for mb in "${sizes[@]}"; do
	bench "$mb"
done
if [ ${#sizes[@]} -gt 1 ]; then
	echo "growth with the heap (seconds, peak MiB; analysis of the zstd snapshot):"
	printf '%6s %9s %9s %8s %8s %8s' MiB objects pause dump dumpMiB touch
	for p in "${progs[@]}"; do
		printf ' %17s' "${p%% *}"
	done
	echo
	printf '%s\n' "${SUM[@]}"
fi

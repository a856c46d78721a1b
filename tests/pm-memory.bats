#!/usr/bin/env bats
# pm-types --memory against real targets of every installed CPython 3.8 to
# 3.13, each holding about 50 MiB of small Python objects beside a 200 MiB
# C buffer (tests/targets/memory.py). pymalloc's free space must be what
# sys._debugmallocstats() printed inside the target, byte for byte; the
# objects what the target's own walk of gc.get_referents() summed with
# sys.getsizeof, within 5 %; the buffer non-object heap; and the rows must
# add up to the bytes the snapshot stores.

load helper

# Targets start together (building the objects and the walk take most
# of the time), then each is dumped and ended at once: no 250 MiB
# process waits for the others.
setup_file() {
	local v py d=$BATS_FILE_TMPDIR i pids=()
	while read -r v py; do
		"$py" "$BATS_TEST_DIRNAME/targets/memory.py" "$d/truth-$v" \
		    "$d/stats-$v" >"$d/out-$v" 2>"$d/err-$v" 3>&- </dev/null &
		echo "$v $!" >>"$d/started"
		pids+=("$!")
	done < <(pm_pythons)
	PM_TARGETS="${pids[*]}"
	export PM_TARGETS
	while read -r v pid; do
		for ((i = 0; i < 1200; i++)); do
			grep -q '^READY' "$d/out-$v" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		grep -q '^READY' "$d/out-$v" ||
		    fail "memory.py (python $v) not READY: $(cat "$d/err-$v")"
		pm-dump -q -p "$pid" -o "$d/$v.pmd"
		pm_stop_target "$pid"
		pm-types --memory -v "$d/$v.pmd" >"$d/mem-$v" 2>"$d/mem-$v.err"
		pm-dump --info "$d/$v.pmd" >"$d/info-$v" 2>"$d/info-$v.err"
	done <"$d/started"
}

teardown_file() {
	pm_stop_target
}

# row V NAME: BYTES of the --memory -v row NAME.
row() {
	awk -F'\t' -v k="$2" '$3 == k { print $1; f = 1 } END { exit !f }' \
	    "$BATS_FILE_TMPDIR/mem-$1" || fail "no row $2"
}

# key V KEY: a header fact of pm-dump --info.
key() {
	awk -F'\t' -v k="$2" 'NF == 2 && $1 == k { print $2; exit }' \
	    "$BATS_FILE_TMPDIR/info-$1"
}

# stat V TEXT: the figure after "=" on the _debugmallocstats line TEXT.
stat() {
	local line
	line=$(grep -F -- "$2" "$BATS_FILE_TMPDIR/stats-$1" | head -n 1)
	[ -n "$line" ] || fail "no '$2' in the malloc statistics"
	line=${line##*=}
	line=${line//[ ,]/}
	printf '%s\n' "$line"
}

check_pymalloc() {
	local v=$1
	need_version "$v"
	assert_equal "$(cat "$BATS_FILE_TMPDIR/mem-$v.err")" ""
	assert_equal "$(key "$v" pymalloc_arenas)" \
	    "$(stat "$v" '# arenas allocated current')"
	assert_equal "$(key "$v" pymalloc_arena_bytes)" \
	    "$(stat "$v" ' bytes/arena ')"
	assert_equal "$(key "$v" pymalloc_used_bytes)" \
	    "$(stat "$v" '# bytes in allocated blocks')"
	assert_equal "$(row "$v" pymalloc-free-blocks)" \
	    "$(stat "$v" '# bytes in available blocks')"
	assert_equal "$(row "$v" pymalloc-unused-pools)" \
	    "$(stat "$v" ' unused pools * ')"
	assert_equal "$(row "$v" pymalloc-pool-headers)" \
	    "$(stat "$v" '# bytes lost to pool headers')"
	assert_equal "$(row "$v" pymalloc-quantization)" \
	    "$(stat "$v" '# bytes lost to quantization')"
	assert_equal "$(row "$v" pymalloc-alignment)" \
	    "$(stat "$v" '# bytes lost to arena alignment')"
}

check_objects() {
	local v=$1 objs want used heap_other buf pct kind addr
	need_version "$v"
	objs=$(($(row "$v" pymalloc-objects) + $(row "$v" malloc-objects) +
	    $(row "$v" static-objects)))
	want=$(truth "$v" objects.bytes)
	# Within 5 % of what the target summed from inside.
	pct=$(((objs > want ? objs - want : want - objs) * 1000 / want))
	((pct <= 50)) || fail "objects: $objs bytes, the target counted $want (${pct}0 ‰)"
	# The small planted objects are in pymalloc arenas.
	(($(row "$v" pymalloc-objects) * 10 >= $(truth "$v" planted.bytes) * 9)) ||
	    fail "pymalloc-objects $(row "$v" pymalloc-objects), planted $(truth "$v" planted.bytes)"
	# The buffer is heap but no object's: heap-other holds it, and not
	# much more than what pymalloc holds outside objects plus 10 MiB.
	buf=$(truth "$v" buffer.bytes)
	heap_other=$(row "$v" heap-other)
	used=$(key "$v" pymalloc_used_bytes)
	((heap_other >= buf)) || fail "heap-other $heap_other < buffer $buf"
	((heap_other - buf <= used - $(row "$v" pymalloc-objects) + (10 << 20))) ||
	    fail "heap-other $heap_other: $((heap_other - buf)) beyond the buffer"
	((heap_other * 100 / $(row "$v" '(total)') >= 70)) ||
	    fail "heap-other is only $heap_other of $(row "$v" '(total)')"
	# pm-dump --info: the buffer lies in heap memory.
	addr=$(truth "$v" buffer.addr)
	kind=$(awk -F'\t' 'NF == 6 { print $1, $2, $6 }' "$BATS_FILE_TMPDIR/info-$v" |
	    while read -r s e k; do
		    if ((addr >= s && addr < e)); then echo "$k"; fi
	    done)
	[[ $kind == heap* ]] || fail "the buffer's mapping is '$kind'"
}

check_sums() {
	local v=$1
	need_version "$v"
	# The rows add up to the total, which is the snapshot's stored bytes;
	# each percentage is its share of the total, rounded half up.
	assert_equal "$(row "$v" '(total)')" "$(key "$v" bytes)"
	awk -F'\t' '
	    $3 == "(total)" { t = $1; tp = $2; next }
	    { s += $1; b[NR] = $1; p[NR] = $2 }
	    END {
		if (s != t || tp != "100.0") exit 1
		for (i in b) {
			x = int((b[i] * 1000 + int(t / 2)) / t)
			if (p[i] != sprintf("%d.%d", int(x / 10), x % 10)) exit 1
		}
	    }' "$BATS_FILE_TMPDIR/mem-$v" ||
	    fail "$(cat "$BATS_FILE_TMPDIR/mem-$v")"
	# The main thread's stack, and libraries' data, are where they should be.
	(($(row "$v" stacks) > 0 && $(row "$v" files) > 0)) || fail "no stacks or files"
}

@test "3.8: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.8; }
@test "3.9: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.9; }
@test "3.10: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.10; }
@test "3.11: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.11; }
@test "3.12: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.12; }
@test "3.13: pymalloc free space is what _debugmallocstats counts" { check_pymalloc 3.13; }

@test "3.8: objects within 5 %, the C buffer is non-object heap" { check_objects 3.8; }
@test "3.9: objects within 5 %, the C buffer is non-object heap" { check_objects 3.9; }
@test "3.10: objects within 5 %, the C buffer is non-object heap" { check_objects 3.10; }
@test "3.11: objects within 5 %, the C buffer is non-object heap" { check_objects 3.11; }
@test "3.12: objects within 5 %, the C buffer is non-object heap" { check_objects 3.12; }
@test "3.13: objects within 5 %, the C buffer is non-object heap" { check_objects 3.13; }

@test "3.8: --memory rows add up to the stored bytes" { check_sums 3.8; }
@test "3.9: --memory rows add up to the stored bytes" { check_sums 3.9; }
@test "3.10: --memory rows add up to the stored bytes" { check_sums 3.10; }
@test "3.11: --memory rows add up to the stored bytes" { check_sums 3.11; }
@test "3.12: --memory rows add up to the stored bytes" { check_sums 3.12; }
@test "3.13: --memory rows add up to the stored bytes" { check_sums 3.13; }

@test "--memory: objects are the census; without -v one pymalloc-free row" {
	local v=3.12 f=$BATS_FILE_TMPDIR/3.12.pmd free
	need_version $v
	run -0 pm-types "$f"
	assert_equal "${lines[-1]}" "$(printf '%s\t%s\t(total)' \
	    "$(key $v objects)" "$(($(row $v pymalloc-objects) + \
	    $(row $v malloc-objects) + $(row $v static-objects)))")"
	free=$(($(row $v pymalloc-free-blocks) + $(row $v pymalloc-unused-pools) +
	    $(row $v pymalloc-pool-headers) + $(row $v pymalloc-quantization) +
	    $(row $v pymalloc-alignment)))
	run -0 pm-types --memory "$f"
	assert_equal "$(printf '%s\n' "$output" | cut -f3 | tr '\n' ' ')" \
	    "pymalloc-objects malloc-objects static-objects pymalloc-free heap-other stacks files other (total) "
	assert_line --regexp "^$free	[0-9.]+	pymalloc-free\$"
	# The other rows are those of -v.
	assert_equal "$(printf '%s\n' "$output" | grep -v 'pymalloc-free$')" \
	    "$(grep -Ev 'pymalloc-(free-blocks|unused-pools|pool-headers|quantization|alignment)$' \
	    "$BATS_FILE_TMPDIR/mem-$v")"
	run -0 pm-types -H --json --memory "$f"
	assert_line --index 0 "{\"bytes\": $(row $v pymalloc-objects), \"%bytes\": $(awk -F'\t' '$3 == "pymalloc-objects" { print $2 }' "$BATS_FILE_TMPDIR/mem-$v"), \"memory\": \"pymalloc-objects\"}"
	run -0 pm-types -H --memory "$f"
	assert_line --index 0 "$(printf 'BYTES\t%%BYTES\tMEMORY')"
}

@test "--memory without the arena symbols: said, objects not split" {
	local v=3.8 d=$BATS_FILE_TMPDIR
	need_version $v
	pm_python $v
	zstd -qdf "$d/$v.pmd" -o "$BATS_TEST_TMPDIR/$v.raw"
	"$PM_PY" "$BATS_TEST_DIRNAME/snapbytes.py" "$BATS_TEST_TMPDIR/$v.raw" \
	    --drop-sym "$BATS_TEST_TMPDIR/stripped.raw" arenas maxarenas
	rm "$BATS_TEST_TMPDIR/$v.raw"
	run -0 --separate-stderr pm-types --memory "$BATS_TEST_TMPDIR/stripped.raw"
	assert_equal "$stderr" "pm-types: pymalloc arenas unknown: the snapshot lacks the symbols 'arenas' and 'maxarenas' (a stripped python?); objects are not split by allocator"
	assert_equal "$(printf '%s\n' "$output" | cut -f3 | tr '\n' ' ')" \
	    "heap-objects static-objects heap-other stacks files other (total) "
	assert_line --regexp "^$(($(row $v pymalloc-objects) + $(row $v malloc-objects)))	[0-9.]+	heap-objects\$"
	# What pymalloc kept free is now heap that is no object's.
	assert_line --regexp "^$(($(row $v heap-other) + $(row $v pymalloc-free-blocks) + \
	    $(row $v pymalloc-unused-pools) + $(row $v pymalloc-pool-headers) + \
	    $(row $v pymalloc-quantization) + $(row $v pymalloc-alignment)))	[0-9.]+	heap-other\$"
	assert_line --regexp "^$(row $v '(total)')	100\\.0	\\(total\\)\$"
}

@test "--memory: bad combinations are exit 2" {
	local f=$BATS_FILE_TMPDIR/3.12.pmd
	need_version 3.12
	run -2 --separate-stderr pm-types --memory --baseline "$f" "$f"
	assert_equal "${stderr_lines[0]}" "pm-types: --memory takes only -H, -q, -v, --csv and --json"
	run -2 --separate-stderr pm-types --memory -c "$f"
	assert_equal "${stderr_lines[0]}" "pm-types: --memory takes only -H, -q, -v, --csv and --json"
	run -2 --separate-stderr pm-types --memory --dict-owners "$f"
	assert_equal "${stderr_lines[0]}" "pm-types: --memory takes only -H, -q, -v, --csv and --json"
}

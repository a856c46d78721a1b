#!/usr/bin/env bats
# pm-types against real targets of every installed CPython 3.8 to 3.13:
# the census must equal what each target measured about itself.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

# One census target per version, dumped once for the whole file.
setup_file() {
	local v py pid
	while read -r v py; do
		pm_start_target "$v" census.py "$BATS_FILE_TMPDIR/truth-$v" \
		    10000 7000 3000
		echo "$PM_TARGET_PID" >"$BATS_FILE_TMPDIR/pid-$v"
		pm_start_target "$v" sizes.py "$BATS_FILE_TMPDIR/sizes-$v"
		pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/sizes-$v.pmd"
		pm_stop_target "$PM_TARGET_PID"
	done < <(pm_pythons)
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/pid-$v" ] || continue
		pid=$(cat "$BATS_FILE_TMPDIR/pid-$v")
		pm-dump -q -p "$pid" -o "$BATS_FILE_TMPDIR/$v.pmd"
	done
}

teardown_file() {
	pm_stop_target
}

# need_version V: skip (or fail under CI) when python V is not installed.
truth() {
	awk -v k="$2" '$1 == k { print $2 }' "$BATS_FILE_TMPDIR/truth-$1"
}

# The census of a class must be exact: count and summed getsizeof.
check_classes() {
	local v=$1 name
	need_version "$v"
	run -0 pm-types "$BATS_FILE_TMPDIR/$v.pmd"
	for name in __main__.Plain __main__.Slotted __main__.DictSub; do
		assert_line "$(printf '%s\t%s\t%s' "$(truth "$v" "$name.count")" \
		    "$(truth "$v" "$name.bytes")" "$name")"
	done
}

# Builtins: at least what the target planted.
check_builtins() {
	local v=$1 t n
	need_version "$v"
	run -0 pm-types "$BATS_FILE_TMPDIR/$v.pmd"
	for t in int str list dict bytes; do
		n=$(printf '%s\n' "$output" | awk -F'\t' -v t="$t" '$3 == t { print $1 }')
		[ -n "$n" ] || fail "$v: no row for $t"
		[ "$n" -ge "$(truth "$v" "$t.planted")" ] ||
		    fail "$v: $n $t objects, fewer than the $(truth "$v" "$t.planted") planted"
	done
}

@test "3.8: classes counted exactly" { check_classes 3.8; }
@test "3.9: classes counted exactly" { check_classes 3.9; }
@test "3.10: classes counted exactly" { check_classes 3.10; }
@test "3.11: classes counted exactly" { check_classes 3.11; }
@test "3.12: classes counted exactly" { check_classes 3.12; }
@test "3.13: classes counted exactly" { check_classes 3.13; }

@test "3.8: builtins at least planted" { check_builtins 3.8; }
@test "3.9: builtins at least planted" { check_builtins 3.9; }
@test "3.10: builtins at least planted" { check_builtins 3.10; }
@test "3.11: builtins at least planted" { check_builtins 3.11; }
@test "3.12: builtins at least planted" { check_builtins 3.12; }
@test "3.13: builtins at least planted" { check_builtins 3.13; }

# -v: the planted classes' largest objects as the target measured them,
# and every percentage as recomputed here from COUNT and BYTES, rounded
# half up to tenths in integers: (part * 1000 + whole / 2) / whole.
check_verbose() {
	local v=$1 f name
	need_version "$v"
	f=$BATS_FILE_TMPDIR/sizes-$v.pmd
	run -0 pm-types -v "$f"
	for name in __main__.Grown __main__.Blob __main__.Fixed; do
		assert_line --regexp "^$(pm_truth "$name.count" "$BATS_FILE_TMPDIR/sizes-$v")	$(pm_truth "$name.bytes" "$BATS_FILE_TMPDIR/sizes-$v")	[0-9.]+	[0-9.]+	[0-9.]+	$(pm_truth "$name.max" "$BATS_FILE_TMPDIR/sizes-$v")	${name//./\\.}\$"
	done
	# The sizes differ within Grown and Blob: MAX_SIZE is no average.
	[ "$(pm_truth __main__.Blob.max "$BATS_FILE_TMPDIR/sizes-$v")" -gt \
	    $(( $(pm_truth __main__.Blob.bytes "$BATS_FILE_TMPDIR/sizes-$v") / 2500 )) ]
	printf '%s\n' "$output" | awk -F'\t' '
	    function pct(p, w) { return sprintf("%d.%d", int((p * 1000 + int(w / 2)) / w / 10), int((p * 1000 + int(w / 2)) / w) % 10) }
	    { n++; c[n] = $1; b[n] = $2; pc[n] = $3; pb[n] = $4; cum[n] = $5; mx[n] = $6; t[n] = $7 }
	    END {
		if (t[n] != "(total)") { print "no total last"; exit 1 }
		tc = c[n]; tb = b[n]
		for (i = 1; i < n; i++) {
			sc += c[i]; sb += b[i]
			if (mx[i] > allmax) allmax = mx[i]
			if (mx[i] > b[i] || mx[i] * c[i] < b[i]) { print "bad max", i; exit 1 }
			if (pc[i] != pct(c[i], tc)) { print "bad %count", i, pc[i], pct(c[i], tc); exit 1 }
			if (pb[i] != pct(b[i], tb)) { print "bad %bytes", i, pb[i], pct(b[i], tb); exit 1 }
			if (cum[i] != pct(sb, tb)) { print "bad cum%", i, cum[i], pct(sb, tb); exit 1 }
		}
		if (sc != tc || sb != tb) { print "total is not the sum"; exit 1 }
		if (cum[n - 1] != "100.0" || cum[n] != "100.0" || pc[n] != "100.0" || pb[n] != "100.0") { print "last rows not 100.0"; exit 1 }
		if (mx[n] != allmax) { print "total max", mx[n], "is not", allmax; exit 1 }
	    }' || fail "$v: $(printf '%s\n' "$output" | awk -F'\t' 'NR < 4')"
	# The plain columns are those of pm-types without -v.
	assert_equal "$(printf '%s\n' "$output" | cut -f1,2,7)" "$(pm-types "$f")"
}

@test "3.8: -v shares, cumulated share and largest object" { check_verbose 3.8; }
@test "3.9: -v shares, cumulated share and largest object" { check_verbose 3.9; }
@test "3.10: -v shares, cumulated share and largest object" { check_verbose 3.10; }
@test "3.11: -v shares, cumulated share and largest object" { check_verbose 3.11; }
@test "3.12: -v shares, cumulated share and largest object" { check_verbose 3.12; }
@test "3.13: -v shares, cumulated share and largest object" { check_verbose 3.13; }

@test "-v: header, JSON keys, -c order, not with --baseline" {
	local v=3.12 f
	need_version $v
	f=$BATS_FILE_TMPDIR/sizes-$v.pmd
	run -0 pm-types -vH "$f"
	assert_line --index 0 "$(printf 'COUNT\tBYTES\t%%COUNT\t%%BYTES\tCUM%%\tMAX_SIZE\tTYPE')"
	run -0 pm-types -v --json "$f"
	assert_line --regexp "^\\{\"count\": 2500, \"bytes\": $(pm_truth __main__.Blob.bytes "$BATS_FILE_TMPDIR/sizes-$v"), \"%count\": [0-9]+\\.[0-9], \"%bytes\": [0-9]+\\.[0-9], \"cum%\": [0-9]+\\.[0-9], \"max_size\": $(pm_truth __main__.Blob.max "$BATS_FILE_TMPDIR/sizes-$v"), \"type\": \"__main__\\.Blob\"\\}\$"
	# Sorted by count, CUM% still adds up bytes down the rows.
	run -0 pm-types -cv "$f"
	printf '%s\n' "$output" | grep -v '(total)' | cut -f1 | sort -nrc
	assert_line --index $(( ${#lines[@]} - 2 )) --regexp "	100\\.0	[0-9]+	[^	]+\$"
	run -2 --separate-stderr pm-types -v --baseline "$f" "$f"
	assert_equal "${stderr_lines[0]}" "pm-types: -v cannot be used with --baseline"
}

@test "the total line sums every row" {
	local v
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v.pmd" ] || continue
		run -0 pm-types "$BATS_FILE_TMPDIR/$v.pmd"
		printf '%s\n' "$output" | awk -F'\t' '
		    $3 == "(total)" { tc = $1; tb = $2; next }
		    { c += $1; b += $2 }
		    END { exit !(c == tc && b == tb && c > 0) }' ||
		    fail "$v: total does not match the rows"
	done
}

@test "rows are sorted by bytes, or by count with -c" {
	local v
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v.pmd" ] || continue
		run -0 pm-types "$BATS_FILE_TMPDIR/$v.pmd"
		printf '%s\n' "$output" | grep -v '(total)' | cut -f2 | sort -nrc ||
		    fail "$v: not sorted by bytes"
		run -0 pm-types -c "$BATS_FILE_TMPDIR/$v.pmd"
		printf '%s\n' "$output" | grep -v '(total)' | cut -f1 | sort -nrc ||
		    fail "$v: -c not sorted by count"
	done
}

@test "zstd -t accepts the snapshot and its decompressed form gives the same census" {
	local v
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v.pmd" ] || continue
		run -0 zstd -qt "$BATS_FILE_TMPDIR/$v.pmd"
		zstd -qdf "$BATS_FILE_TMPDIR/$v.pmd" -o "$BATS_TEST_TMPDIR/$v.raw"
		run -0 pm-types "$BATS_FILE_TMPDIR/$v.pmd"
		local want=$output
		run -0 pm-types "$BATS_TEST_TMPDIR/$v.raw"
		assert_equal "$output" "$want"
		run -0 pm-types <"$BATS_TEST_TMPDIR/$v.raw"
		assert_equal "$output" "$want"
		run -0 bash -c "zstd -dc '$BATS_FILE_TMPDIR/$v.pmd' | pm-types"
		assert_equal "$output" "$want"
	done
}

@test "pm-dump -p PID | pm-types works in one pipeline" {
	local v pid
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/pid-$v" ] || continue
		pid=$(cat "$BATS_FILE_TMPDIR/pid-$v")
		run -0 bash -c "pm-dump -q -p $pid | pm-types"
		assert_line "$(printf '%s\t%s\t%s' "$(truth "$v" __main__.Plain.count)" \
		    "$(truth "$v" __main__.Plain.bytes)" __main__.Plain)"
	done
}

@test "--dict-owners splits instance dicts from other dicts" {
	local v
	for v in 3.8 3.9 3.10; do
		[ -f "$BATS_FILE_TMPDIR/$v.pmd" ] || continue
		run -0 pm-types --dict-owners "$BATS_FILE_TMPDIR/$v.pmd"
		# Before 3.11 every Plain instance has its own __dict__.
		assert_line --regexp "^$(truth "$v" __main__.Plain.count)	[0-9]+	dict of __main__\.Plain\$"
	done
}

@test "-H, --csv and --json" {
	local v=3.12
	need_version $v
	run -0 pm-types -H "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line --index 0 "$(printf 'COUNT\tBYTES\tTYPE')"
	run -0 pm-types -H --csv "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line --index 0 "COUNT,BYTES,TYPE"
	assert_line "$(truth $v __main__.Plain.count),$(truth $v __main__.Plain.bytes),__main__.Plain"
	run -0 pm-types --json "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line "{\"count\": $(truth $v __main__.Plain.count), \"bytes\": $(truth $v __main__.Plain.bytes), \"type\": \"__main__.Plain\"}"
}

@test "bad snapshots: exit 2 with a message, never a crash" {
	local v=3.12 f="$BATS_TEST_TMPDIR/bad"
	need_version $v
	: >"$f"
	run -2 --separate-stderr pm-types "$f"
	assert_equal "$stderr" "pm-types: cannot read '$f': empty file"
	printf 'hello, world\n' >"$f"
	run -2 --separate-stderr pm-types "$f"
	assert_equal "$stderr" "pm-types: cannot read '$f': not a pmtools snapshot"
	head -c 100000 "$BATS_FILE_TMPDIR/$v.pmd" >"$f"
	run -2 --separate-stderr pm-types "$f"
	assert_equal "$stderr" "pm-types: cannot read '$f': truncated snapshot"
	zstd -qdc "$BATS_FILE_TMPDIR/$v.pmd" | head -c 300000 >"$f"
	run -2 --separate-stderr pm-types "$f"
	assert_equal "$stderr" "pm-types: cannot read '$f': truncated snapshot"
	run -2 --separate-stderr pm-types "$BATS_TEST_TMPDIR"
	assert_equal "$stderr" "pm-types: cannot read '$BATS_TEST_TMPDIR': is a directory"
	run -2 --separate-stderr pm-types /nonexistent.pmd
	assert_equal "$stderr" "pm-types: cannot open '/nonexistent.pmd': No such file or directory"
	run -2 --separate-stderr pm-types </dev/null
	assert_equal "$stderr" "pm-types: cannot read '<stdin>': empty file"
}

@test "a flipped byte in the compressed stream fails the checksum" {
	local v=3.12 f="$BATS_TEST_TMPDIR/flip" size
	need_version $v
	cp "$BATS_FILE_TMPDIR/$v.pmd" "$f"
	size=$(stat -c %s "$f")
	printf '\x55' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
	run -2 --separate-stderr pm-types "$f"
	assert_output ""
	assert_regex "$stderr" "^pm-types: cannot read '$f': corrupt compressed stream: "
}

@test "a closed pipe ends quietly; a full disk is exit 2" {
	local v=3.12
	need_version $v
	run -0 --separate-stderr bash -c "pm-types '$BATS_FILE_TMPDIR/$v.pmd' | head -1 >/dev/null"
	assert_equal "$stderr" ""
	run -2 --separate-stderr bash -c "pm-types '$BATS_FILE_TMPDIR/$v.pmd' >/dev/full"
	assert_equal "$stderr" "pm-types: write error on standard output: No space left on device"
}

#!/usr/bin/env bats
# pm-types --baseline and its leak gate, against grower.py on every
# installed CPython 3.8 to 3.13: dump, add exactly 5000 __main__.Leak
# (SIGUSR1), dump again; the growth must be +5000 and the summed
# sys.getsizeof the target measured. Then the baseline forms (snapshot,
# TSV, CSV, stdin, pipes), the gates, and malformed input.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

# One grower per version: $v-before.pmd, then 5000 more, $v-after.pmd.
setup_file() {
	local v py i
	while read -r v py; do
		pm_start_target "$v" grower.py "$BATS_FILE_TMPDIR/truth-$v"
		pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/$v-before.pmd"
		kill -USR1 "$PM_TARGET_PID"
		for ((i = 0; i < 200; i++)); do
			grep -q '^ROUND 1$' "$PM_TARGET_OUT" && break
			sleep 0.1
		done
		grep -q '^ROUND 1$' "$PM_TARGET_OUT" ||
		    fail "$v: grower did not grow: $(cat "$PM_TARGET_ERR")"
		pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/$v-after.pmd"
		pm_stop_target "$PM_TARGET_PID"
	done < <(pm_pythons)
}

teardown_file() {
	pm_stop_target
}

# need_version V: skip (or fail under CI) when python V is not installed.
need_version() {
	if [ ! -f "$BATS_FILE_TMPDIR/$1-after.pmd" ]; then
		pm_ci && fail "python $1 is not installed"
		skip "python $1 is not installed"
	fi
}

# newest: the newest version dumped, for tests that need only one.
newest() {
	local v n=
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v-after.pmd" ] && n=$v
	done
	[ -n "$n" ] || skip "no python 3.8 to 3.13 is installed"
	echo "$n"
}

# leak_row V SEP: the expected record of __main__.Leak for version V.
leak_row() {
	local sep=${2:-$'\t'}
	printf '+%s%s+%s%s%s%s%s%s__main__.Leak' "$(truth "$1" added.count)" \
	    "$sep" "$(truth "$1" added.bytes)" "$sep" \
	    "$(truth "$1" leak.count)" "$sep" "$(truth "$1" leak.bytes)" "$sep"
}

check_growth() {
	local v=$1 d=$BATS_FILE_TMPDIR
	need_version "$v"
	assert_equal "$(truth "$v" added.count)" 5000
	run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    "$d/$v-after.pmd"
	assert_line "$(leak_row "$v")"
	assert_equal "$stderr" ""
	# The same from the text census of the first dump.
	local want=$output
	pm-types "$d/$v-before.pmd" >"$BATS_TEST_TMPDIR/before.tsv"
	run -0 pm-types --baseline "$BATS_TEST_TMPDIR/before.tsv" "$d/$v-after.pmd"
	assert_equal "$output" "$want"
}

check_gate() {
	local v=$1 d=$BATS_FILE_TMPDIR
	need_version "$v"
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 1000 "$d/$v-after.pmd"
	assert_line "$(leak_row "$v")"
	# Before 3.11 each instance also has its own __dict__: dict grows too.
	printf '%s\n' "$stderr" | grep -qFx \
	    'pm-types: __main__.Leak grew by 5000 objects (limit 1000)' ||
	    fail "no line for __main__.Leak in: $stderr"
	printf '%s\n' "$stderr" | grep -vEx \
	    'pm-types: [^ ]+ grew by [0-9]+ objects \(limit 1000\)' &&
	    fail "unexpected stderr: $stderr"
	run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 10000 "$d/$v-after.pmd"
	assert_line "$(leak_row "$v")"
	assert_equal "$stderr" ""
}

@test "3.8: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.8; }
@test "3.9: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.9; }
@test "3.10: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.10; }
@test "3.11: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.11; }
@test "3.12: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.12; }
@test "3.13: --baseline shows +5000 __main__.Leak and their bytes" { check_growth 3.13; }

@test "3.8: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.8; }
@test "3.9: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.9; }
@test "3.10: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.10; }
@test "3.11: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.11; }
@test "3.12: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.12; }
@test "3.13: --max-growth 1000 exits 1, 10000 exits 0" { check_gate 3.13; }

@test "the limit is 'more than': growth equal to it passes" {
	local v d=$BATS_FILE_TMPDIR
	v=$(newest)
	run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 5000 --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" ""
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 4999 --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by 5000 objects (limit 4999)"
}

@test "--type gates only the types named, and warns about unknown ones" {
	local v d=$BATS_FILE_TMPDIR
	v=$(newest)
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 1000 --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by 5000 objects (limit 1000)"
	assert_line "$(leak_row "$v")"
	# A type that did not grow passes; every changed row is still printed.
	run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 0 --type int "$d/$v-after.pmd"
	assert_equal "$stderr" ""
	assert_line "$(leak_row "$v")"
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 0 --type __main__.Nope --type __main__.Leak \
	    "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by 5000 objects (limit 0)
pm-types: --type '__main__.Nope' names no type in either census"
}

@test "--max-growth-bytes takes K/M/G/T binary multiples and plain bytes" {
	local v d=$BATS_FILE_TMPDIR bytes
	v=$(newest)
	bytes=$(truth "$v" added.bytes)
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth-bytes 1K --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by $bytes bytes (limit 1024)"
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth-bytes "$((bytes - 1))" --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by $bytes bytes (limit $((bytes - 1)))"
	run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth-bytes "$bytes" --type __main__.Leak "$d/$v-after.pmd"
	assert_equal "$stderr" ""
	local s
	for s in 1M 1m 10M 1G 2T; do
		run -0 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
		    --max-growth-bytes "$s" --type __main__.Leak "$d/$v-after.pmd"
		assert_equal "$stderr" ""
	done
	# Both limits passed: one line each.
	run -1 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --max-growth 10 --max-growth-bytes 1k --type __main__.Leak \
	    "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by 5000 objects (limit 10)
pm-types: __main__.Leak grew by $bytes bytes (limit 1024)"
}

@test "a type that shrank never trips a gate" {
	local v d=$BATS_FILE_TMPDIR
	v=$(newest)
	run -0 --separate-stderr pm-types --baseline "$d/$v-after.pmd" \
	    --max-growth 0 --max-growth-bytes 0 --type __main__.Leak \
	    "$d/$v-before.pmd"
	assert_equal "$stderr" ""
	assert_line "$(printf -- '-5000\t-%s\t1000\t%s\t__main__.Leak' \
	    "$(truth "$v" added.bytes)" \
	    "$(($(truth "$v" leak.bytes) - $(truth "$v" added.bytes)))")"
}

@test "records: sorted by DBYTES (DCOUNT with -c), the total last and exact" {
	local v d=$BATS_FILE_TMPDIR
	v=$(newest)
	run -0 pm-types --baseline "$d/$v-before.pmd" "$d/$v-after.pmd"
	[ "${#lines[@]}" -ge 2 ] || fail "too few records: $output"
	[[ ${lines[-1]} == *$'\t(total)' ]] || fail "last is not the total: ${lines[-1]}"
	printf '%s\n' "${lines[@]:0:${#lines[@]}-1}" | cut -f2 | tr -d + |
	    sort -nrc || fail "not sorted by DBYTES"
	# Every changed record has a sign or is 0, and the rows add up to
	# the total (every changed type is listed).
	printf '%s\n' "$output" | awk -F'\t' '
	    NF != 5 || $1 !~ /^([+-][1-9][0-9]*|0)$/ || $2 !~ /^([+-][1-9][0-9]*|0)$/ { exit 1 }
	    $5 == "(total)" { tc = $1 + 0; tb = $2 + 0; next }
	    $1 == 0 && $2 == 0 { exit 1 }
	    { c += $1; b += $2 }
	    END { exit !(c == tc && b == tb) }' ||
	    fail "records do not add up to the total: $output"
	# The total is the change of the two censuses' totals.
	local t0 t1
	t0=$(pm-types "$d/$v-before.pmd" | tail -n 1)
	t1=$(pm-types "$d/$v-after.pmd" | tail -n 1)
	assert_equal "${lines[-1]}" "$(printf '%+d\t%+d\t%s\t%s\t(total)' \
	    "$(($(cut -f1 <<<"$t1") - $(cut -f1 <<<"$t0")))" \
	    "$(($(cut -f2 <<<"$t1") - $(cut -f2 <<<"$t0")))" \
	    "$(cut -f1 <<<"$t1")" "$(cut -f2 <<<"$t1")")"
	run -0 pm-types -c --baseline "$d/$v-before.pmd" "$d/$v-after.pmd"
	assert_line --index 0 "$(leak_row "$v")"
	printf '%s\n' "${lines[@]:0:${#lines[@]}-1}" | cut -f1 | tr -d + |
	    sort -nrc || fail "-c: not sorted by DCOUNT"
	# Nothing changed: only the total, with 0 0.
	run -0 pm-types --baseline "$d/$v-after.pmd" "$d/$v-after.pmd"
	assert_output "$(printf '0\t0\t%s' "$(pm-types "$d/$v-after.pmd" | tail -n 1)")"
}

@test "-H, --csv (written and read) and --json" {
	local v d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
	v=$(newest)
	run -0 pm-types -H --baseline "$d/$v-before.pmd" "$d/$v-after.pmd"
	assert_line --index 0 "$(printf 'DCOUNT\tDBYTES\tCOUNT\tBYTES\tTYPE')"
	local want
	want=$(pm-types --baseline "$d/$v-before.pmd" "$d/$v-after.pmd")
	# A census written with -H reads back the same.
	pm-types -H "$d/$v-before.pmd" >"$t/h.tsv"
	run -0 pm-types --baseline "$t/h.tsv" "$d/$v-after.pmd"
	assert_equal "$output" "$want"
	# CSV baseline: read with --csv, which also writes CSV.
	pm-types --csv "$d/$v-before.pmd" >"$t/b.csv"
	run -0 pm-types --csv --baseline "$t/b.csv" "$d/$v-after.pmd"
	assert_line "$(leak_row "$v" ,)"
	local csv=$output
	run -0 pm-types --csv --baseline "$d/$v-before.pmd" "$d/$v-after.pmd"
	assert_equal "$output" "$csv"
	pm-types -H --csv "$d/$v-before.pmd" >"$t/h.csv"
	run -0 pm-types -H --csv --baseline "$t/h.csv" "$d/$v-after.pmd"
	assert_line --index 0 "DCOUNT,DBYTES,COUNT,BYTES,TYPE"
	run -0 pm-types --json --baseline "$d/$v-before.pmd" "$d/$v-after.pmd"
	assert_line "{\"dcount\": 5000, \"dbytes\": $(truth "$v" added.bytes), \"count\": $(truth "$v" leak.count), \"bytes\": $(truth "$v" leak.bytes), \"type\": \"__main__.Leak\"}"
}

@test "escaped type names survive the TSV and CSV round trip" {
	local v d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
	v=$(newest)
	# __main__.we<TAB>ird\"x,y: escaped in TSV, quoted in CSV.
	pm-types "$d/$v-before.pmd" >"$t/b.tsv"
	grep -qF '__main__.we\tird\\"x,y' "$t/b.tsv" || fail "no escaped name in the census"
	run -0 pm-types --baseline "$t/b.tsv" "$d/$v-after.pmd"
	refute_output --partial 'ird'
	pm-types --csv "$d/$v-before.pmd" >"$t/b.csv"
	run -0 pm-types --csv --baseline "$t/b.csv" "$d/$v-after.pmd"
	refute_output --partial 'ird'
	# Against nothing, it is new, and written escaped again.
	printf '1\t2\tint\n' >"$t/one.tsv"
	run -0 pm-types --baseline "$t/one.tsv" "$d/$v-after.pmd"
	local bytes
	bytes=$(grep -F 'ird' "$t/b.tsv" | cut -f2)
	assert_line "$(printf '+10\t+%s\t10\t%s\t%s' "$bytes" "$bytes" \
	    '__main__.we\tird\\"x,y')"
}

@test "the baseline from stdin, and a snapshot baseline through a pipe" {
	local v d=$BATS_FILE_TMPDIR want
	v=$(newest)
	want=$(pm-types --baseline "$d/$v-before.pmd" "$d/$v-after.pmd")
	run -0 bash -c "pm-types '$d/$v-before.pmd' | pm-types --baseline - '$d/$v-after.pmd'"
	assert_equal "$output" "$want"
	# Compressed and uncompressed snapshots through a pipe.
	run -0 bash -c "cat '$d/$v-before.pmd' | pm-types --baseline - '$d/$v-after.pmd'"
	assert_equal "$output" "$want"
	run -0 bash -c "zstd -qdc '$d/$v-before.pmd' | pm-types --baseline - '$d/$v-after.pmd'"
	assert_equal "$output" "$want"
	# The uncompressed form as a file, and the new snapshot on stdin.
	zstd -qdc "$d/$v-before.pmd" >"$BATS_TEST_TMPDIR/before.raw"
	run -0 bash -c "pm-types --baseline '$BATS_TEST_TMPDIR/before.raw' <'$d/$v-after.pmd'"
	assert_equal "$output" "$want"
	run -0 bash -c "pm-types --baseline <(pm-types '$d/$v-before.pmd') '$d/$v-after.pmd'"
	assert_equal "$output" "$want"
}

@test "usage: gates need --baseline, --type needs a gate, one stdin" {
	local v d=$BATS_FILE_TMPDIR usage
	v=$(newest)
	usage=$(pm-types --help)
	run -2 --separate-stderr pm-types --max-growth 5 "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: --max-growth and --max-growth-bytes need --baseline
$usage"
	assert_output ""
	run -2 --separate-stderr pm-types --max-growth-bytes 5M "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: --max-growth and --max-growth-bytes need --baseline
$usage"
	run -2 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
	    --type int "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: --type needs --max-growth or --max-growth-bytes
$usage"
	run -2 --separate-stderr pm-types --baseline - <"$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: --baseline - and the snapshot cannot both be standard input
$usage"
	run -2 --separate-stderr pm-types --baseline - - <"$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: --baseline - and the snapshot cannot both be standard input
$usage"
	run -2 --separate-stderr pm-types --baseline
	assert_regex "${stderr_lines[0]}" "^pm-types: .*baseline"
}

@test "invalid numbers: exit 2 naming the option and the value" {
	local v d=$BATS_FILE_TMPDIR x
	v=$(newest)
	for x in x -1 1.5 '' ' 5' 5k 0x10 99999999999999999999 +5; do
		run -2 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
		    --max-growth "$x" "$d/$v-after.pmd"
		assert_equal "$stderr" "pm-types: invalid --max-growth value '$x'"
		assert_output ""
	done
	for x in x -1 1.5 '' 10Q 10MB 10MiB M 1KK ' 1K' 0x10 8T0 9000000T 99999999999999999999 +5; do
		run -2 --separate-stderr pm-types --baseline "$d/$v-before.pmd" \
		    --max-growth-bytes "$x" "$d/$v-after.pmd"
		assert_equal "$stderr" "pm-types: invalid --max-growth-bytes value '$x'"
		assert_output ""
	done
}

@test "malformed baselines: exit 2, the file and line named" {
	local v d=$BATS_FILE_TMPDIR f=$BATS_TEST_TMPDIR/old.tsv
	v=$(newest)
	bad() {
		run -2 --separate-stderr pm-types "$@" --baseline "$f" "$d/$v-after.pmd"
		assert_output ""
	}
	printf '1\t2\tint\n3\t4\tstr\n5\t6\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 3: expected 3 fields, found 2"
	printf '1\t2\tint\t7\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: expected 3 fields, found 4"
	printf '1\t2\tint\n\nx1\t2\tstr\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 3: invalid count 'x1'"
	printf '1\t-2\tint\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: invalid bytes '-2'"
	printf '1\t99999999999999999999\tint\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: invalid bytes '99999999999999999999'"
	printf ' 1\t2\tint\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: invalid count ' 1'"
	printf '1\t2\tin\\qt\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: invalid escape '\\q'"
	printf '1\t2\tint\n1\t2\ts\0r\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 2: NUL byte"
	# A CSV file read as TSV, a TSV file read as CSV, a --baseline output.
	printf '1,2,int\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: expected 3 fields, found 1 (a CSV file? use --csv)"
	printf '1\t2\tint\n' >"$f"
	bad --csv
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: expected 3 fields, found 1 (a TSV file? leave out --csv)"
	printf '+1\t+2\t1\t2\tint\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: expected 3 fields, found 5 (a --baseline output? give a census)"
	# Strict CSV quoting.
	printf '1,2,int\n1,2,s"tr\n' >"$f"
	bad --csv
	assert_equal "$stderr" "pm-types: cannot read '$f': line 2: bad quoting: a quote inside an unquoted field, or text after a closing quote"
	printf '1,2,"str"x\n' >"$f"
	bad --csv
	assert_equal "$stderr" "pm-types: cannot read '$f': line 1: bad quoting: a quote inside an unquoted field, or text after a closing quote"
	printf '1,2,int\n1,2,"str\n\n' >"$f"
	bad --csv
	assert_equal "$stderr" "pm-types: cannot read '$f': line 2: quoted field not closed at the end of the input"
	# Not a census at all.
	: >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': empty file"
	printf 'COUNT\tBYTES\tTYPE\n\n' >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': no census records"
	run -2 --separate-stderr pm-types --baseline /nonexistent.tsv "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: cannot open '/nonexistent.tsv': No such file or directory"
	run -2 --separate-stderr pm-types --baseline "$BATS_TEST_TMPDIR" "$d/$v-after.pmd"
	assert_equal "$stderr" "pm-types: cannot read '$BATS_TEST_TMPDIR': is a directory"
	# A broken snapshot as the baseline fails as a snapshot.
	head -c 100000 "$d/$v-before.pmd" >"$f"
	bad
	assert_equal "$stderr" "pm-types: cannot read '$f': truncated snapshot"
	run -2 --separate-stderr bash -c "head -c 100000 '$d/$v-before.pmd' | pm-types --baseline - '$d/$v-after.pmd'"
	assert_equal "$stderr" "pm-types: cannot read '<stdin>': truncated snapshot"
}

@test "well-formed baselines: CRLF, no final newline, quoted CSV, (total)" {
	local v d=$BATS_FILE_TMPDIR f=$BATS_TEST_TMPDIR/old
	v=$(newest)
	# A baseline of only some types: the others are all new.
	printf '1000\t%s\t__main__.Leak\r\n' "$(($(truth "$v" leak.bytes) - $(truth "$v" added.bytes)))" >"$f"
	run -0 pm-types --baseline "$f" "$d/$v-after.pmd"
	assert_line "$(leak_row "$v")"
	printf '1000\t%s\t__main__.Leak' "$(($(truth "$v" leak.bytes) - $(truth "$v" added.bytes)))" >"$f"
	run -0 pm-types --baseline "$f" "$d/$v-after.pmd"
	assert_line "$(leak_row "$v")"
	printf '"1000","%s","__main__.Leak"\r\n' "$(($(truth "$v" leak.bytes) - $(truth "$v" added.bytes)))" >"$f"
	run -0 pm-types --csv --baseline "$f" "$d/$v-after.pmd"
	assert_line "$(leak_row "$v" ,)"
	# Without a (total) record, the total is the sum of the rows; with
	# one, that record; rows of one name are added up.
	printf '600\t100\t__main__.Leak\n400\t100\t__main__.Leak\n' >"$f"
	run -0 pm-types --baseline "$f" "$d/$v-after.pmd"
	assert_line "$(printf '+5000\t+%s\t%s\t%s\t__main__.Leak' \
	    "$(($(truth "$v" leak.bytes) - 200))" "$(truth "$v" leak.count)" \
	    "$(truth "$v" leak.bytes)")"
	local total
	total=$(pm-types "$d/$v-after.pmd" | tail -n 1)
	assert_line "$(printf '+%s\t+%s\t%s\t%s\t(total)' \
	    "$(($(cut -f1 <<<"$total") - 1000))" "$(($(cut -f2 <<<"$total") - 200))" \
	    "$(cut -f1 <<<"$total")" "$(cut -f2 <<<"$total")")"
	printf '1000\t200\t__main__.Leak\n5\t7\t(total)\n' >"$f"
	run -0 pm-types --baseline "$f" "$d/$v-after.pmd"
	assert_line "$(printf '+%s\t+%s\t%s\t%s\t(total)' \
	    "$(($(cut -f1 <<<"$total") - 5))" "$(($(cut -f2 <<<"$total") - 7))" \
	    "$(cut -f1 <<<"$total")" "$(cut -f2 <<<"$total")")"
}

@test "a gate's exit 1 shows through a pipe; a full disk is exit 2" {
	local v d=$BATS_FILE_TMPDIR
	v=$(newest)
	run -2 --separate-stderr bash -c "pm-types --baseline '$d/$v-before.pmd' \
	    --max-growth 0 '$d/$v-after.pmd' >/dev/full"
	assert_equal "${stderr_lines[-1]}" "pm-types: write error on standard output: No space left on device"
	run -1 --separate-stderr bash -c "set -o pipefail; pm-types --baseline \
	    '$d/$v-before.pmd' --max-growth 1000 --type __main__.Leak \
	    '$d/$v-after.pmd' | cat >/dev/null"
	assert_equal "$stderr" "pm-types: __main__.Leak grew by 5000 objects (limit 1000)"
}

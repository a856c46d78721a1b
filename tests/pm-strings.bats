#!/usr/bin/env bats
# pm-strings against real targets of every installed CPython 3.8 to 3.13:
# duplicates, lengths and searches must match what each target planted
# and measured about itself (id(), sys.getsizeof).

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup_file() {
	local v py pid
	while read -r v py; do
		pm_start_target "$v" strings.py "$BATS_FILE_TMPDIR/truth-$v"
		echo "$PM_TARGET_PID" >"$BATS_FILE_TMPDIR/pid-$v"
	done < <(pm_pythons)
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/pid-$v" ] || continue
		pid=$(cat "$BATS_FILE_TMPDIR/pid-$v")
		pm-dump -q -p "$pid" -o "$BATS_FILE_TMPDIR/$v.pmd"
	done
	pm_stop_target
}

teardown_file() {
	pm_stop_target
}

records() {
	sed -n "s/^$2\\.[0-9a-z]* //p" "$BATS_FILE_TMPDIR/truth-$1"
}

check_dups() {
	local v=$1 count wasted size value line
	need_version "$v"
	run -0 --separate-stderr pm-strings --dups "$BATS_FILE_TMPDIR/$v.pmd"
	assert_equal "$stderr" ""
	# The 40-character value wastes the most: it comes first.
	IFS=$'\t' read -r count wasted size value <<<"${lines[0]}"
	assert_equal "$value" "'$(truth "$v" dup.value)'"
	[ "$count" -ge "$(truth "$v" dup.count)" ] ||
	    fail "$v: $count copies, fewer than the $(truth "$v" dup.count) planted"
	assert_equal "$size" "$(truth "$v" dup.size)"
	assert_equal "$wasted" "$(((count - 1) * size))"
	# The bytes value and the one with a newline and a tab, escaped.
	line=$(printf '%s\n' "${lines[@]}" | grep -F "b'repeated-bytes-\\\\x00\\\\x01\\\\x02-value'")
	IFS=$'\t' read -r count wasted size value <<<"$line"
	[ "$count" -ge "$(truth "$v" bdup.count)" ] || fail "$v: $count bytes copies"
	assert_equal "$size" "$(truth "$v" bdup.size)"
	assert_equal "$wasted" "$(((count - 1) * size))"
	count=$(truth "$v" nl.count)
	size=$(truth "$v" nl.size)
	assert_line "$count	$(((count - 1) * size))	$size	'multiline\\\\n\\\\tvalue'"
	# Sorted by wasted bytes.
	printf '%s\n' "$output" | cut -f2 | sort -nrc || fail "$v: not sorted"
}

check_largest() {
	local v=$1
	need_version "$v"
	run -0 pm-strings --largest 20 --width 12 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_output "$(records "$v" long)"
	# The pm-objects side: the same longest string, by size.
	run -0 pm-objects --largest 1 -t str --width 12 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
	assert_output "$(records "$v" long | head -1 | cut -f1)	str	$(records "$v" long | head -1 | cut -f4,5)"
}

check_census() {
	local v=$1
	need_version "$v"
	run -0 pm-strings "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line "$(truth "$v" bucket.16384)"
	assert_line "$(truth "$v" bucket.32768)"
	# The total sums the rows; buckets are powers of two.
	printf '%s\n' "$output" | awk -F'\t' '
	    $5 == "(total)" { tc = $1; tb = $2; next }
	    { c += $1; b += $2
	      lo = 1; while (lo * 2 <= $3) lo *= 2
	      if ($3 > 0 && $4 >= 2 * lo) bad = 1 }
	    END { exit !(c == tc && b == tb && !bad) }' ||
	    fail "$v: total or buckets wrong"
}

# Latin-1, UCS-2, UCS-4 and bytes values found by content, printed as UTF-8.
check_find() {
	local v=$1 name text start end enc otype found a e o t
	need_version "$v"
	for name in latin1 ucs2 ucs4 bytes; do
		text=$(truth "$v" "text.$name")
		run -0 pm-strings --width 0 --find "$text" "$BATS_FILE_TMPDIR/$v.pmd"
		assert_line "$(truth "$v" "find.$name")"
		# In all memory: a match inside the object, in its own encoding.
		run -0 pm-strings --raw --find "$text" "$BATS_FILE_TMPDIR/$v.pmd"
		read -r start end <<<"$(truth "$v" "owner.$name")"
		case $name in
		latin1) enc=latin1 ;;
		ucs2) enc=utf-16le ;;
		ucs4) enc=utf-32le ;;
		bytes) enc=utf-8 ;;
		esac
		otype=str
		[ "$name" = bytes ] && otype=bytes
		found=
		while IFS=$'\t' read -r a e o t; do
			[ "$e" = "$enc" ] && [ "$o" = "$start" ] && [ "$t" = "$otype" ] &&
			    [ $((a)) -ge $((start)) ] && [ $((a)) -lt $((end)) ] && found=1
		done <<<"$output"
		[ -n "$found" ] ||
		    fail "$v: no raw match of '$text' inside $start"
	done
}

@test "3.8: --dups finds 30000 copies of one value" { check_dups 3.8; }
@test "3.9: --dups finds 30000 copies of one value" { check_dups 3.9; }
@test "3.10: --dups finds 30000 copies of one value" { check_dups 3.10; }
@test "3.11: --dups finds 30000 copies of one value" { check_dups 3.11; }
@test "3.12: --dups finds 30000 copies of one value" { check_dups 3.12; }
@test "3.13: --dups finds 30000 copies of one value" { check_dups 3.13; }

@test "3.8: --largest 20 prints exactly the planted lengths" { check_largest 3.8; }
@test "3.9: --largest 20 prints exactly the planted lengths" { check_largest 3.9; }
@test "3.10: --largest 20 prints exactly the planted lengths" { check_largest 3.10; }
@test "3.11: --largest 20 prints exactly the planted lengths" { check_largest 3.11; }
@test "3.12: --largest 20 prints exactly the planted lengths" { check_largest 3.12; }
@test "3.13: --largest 20 prints exactly the planted lengths" { check_largest 3.13; }

@test "3.8: the length census" { check_census 3.8; }
@test "3.9: the length census" { check_census 3.9; }
@test "3.10: the length census" { check_census 3.10; }
@test "3.11: the length census" { check_census 3.11; }
@test "3.12: the length census" { check_census 3.12; }
@test "3.13: the length census" { check_census 3.13; }

@test "3.8: --find and --raw: non-ASCII text in every kind" { check_find 3.8; }
@test "3.9: --find and --raw: non-ASCII text in every kind" { check_find 3.9; }
@test "3.10: --find and --raw: non-ASCII text in every kind" { check_find 3.10; }
@test "3.11: --find and --raw: non-ASCII text in every kind" { check_find 3.11; }
@test "3.12: --find and --raw: non-ASCII text in every kind" { check_find 3.12; }
@test "3.13: --find and --raw: non-ASCII text in every kind" { check_find 3.13; }

@test "--find-hex matches bytes and the stored units of str" {
	local v=3.12
	need_version $v
	# "needle-bytes\0\1"
	run -0 pm-strings --width 0 --find-hex '62:79:74:65:73 00 01' "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line "$(truth $v find.bytes | cut -f1-3)	7	$(truth $v find.bytes | cut -f5)"
	# U+2211 as UCS-2 is 11 22.
	run -0 pm-strings --width 0 --find-hex 1122 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line "$(truth $v find.ucs2)"
}

@test "--min-len and --largest together; --min-count" {
	local v=3.10
	need_version $v
	run -0 pm-strings --min-len 39000 --width 12 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_output "$(records $v long | head -1)"
	run -0 pm-strings --min-len 30000 --largest 2 --width 12 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_output "$(records $v long | head -2)"
	run -0 pm-strings --dups --min-count "$(($(truth $v nl.count) + 1))" "$BATS_FILE_TMPDIR/$v.pmd"
	refute_line --partial "multiline"
	run -0 pm-strings --dups --min-count 4000 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_equal "${#lines[@]}" 2
}

@test "--redact and PM_REDACT=1 print length and hash, never contents" {
	local v want
	for v in $VERSIONS; do
		need_version "$v"
		want="<str len=40 hash=$(truth "$v" dup.hash)>"
		run -0 pm-strings --dups --redact "$BATS_FILE_TMPDIR/$v.pmd"
		assert_equal "$(printf '%s\n' "${lines[0]}" | cut -f4)" "$want"
		refute_output --partial "duplicated-value"
		refute_output --partial "'"
		run -0 env PM_REDACT=1 pm-strings --width 0 --find "$(truth "$v" text.latin1)" \
		    "$BATS_FILE_TMPDIR/$v.pmd"
		assert_line "$(truth "$v" find.latin1 | cut -f1-4)	<str len=17 hash=$(
		    printf '%s' "café crème brûlée" | sha256sum | cut -c1-16)>"
		refute_output --partial "crème"
	done
}

@test "-H, --csv and --json" {
	local v=3.13
	need_version $v
	run -0 pm-strings -H "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line --index 0 "COUNT	BYTES	MINLEN	MAXLEN	KIND"
	run -0 pm-strings -H --dups "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line --index 0 "COUNT	WASTED_BYTES	SIZE_EACH	VALUE"
	run -0 pm-strings --json --largest 1 --width 12 "$BATS_FILE_TMPDIR/$v.pmd"
	local l
	l=$(records $v long | head -1)
	assert_output "{\"addr\": \"$(cut -f1 <<<"$l")\", \"kind\": \"ascii\", \"len\": $(cut -f3 <<<"$l"), \"size\": $(cut -f4 <<<"$l"), \"value\": \"'ttttttttt…'\"}"
	run -0 pm-strings --csv --largest 1 --width 12 "$BATS_FILE_TMPDIR/$v.pmd"
	assert_output "$(cut -f1-4 <<<"$l" | tr '\t' ,),'ttttttttt…'"
	run -0 pm-strings -H --raw --find-hex 00 --csv "$BATS_FILE_TMPDIR/$v.pmd"
	assert_line --index 0 "ADDR,ENCODING,OWNER,OWNER_TYPE"
}

@test "usage errors and bad values" {
	local v=3.12 f=$BATS_FILE_TMPDIR/3.12.pmd
	need_version $v
	run -2 --separate-stderr pm-strings --raw "$f"
	assert_equal "${stderr_lines[0]}" "pm-strings: --raw needs --find or --find-hex"
	run -2 --separate-stderr pm-strings --dups --largest 3 "$f"
	assert_equal "${stderr_lines[0]}" "pm-strings: choose one of --dups, --min-len/--largest, --find/--find-hex"
	run -2 --separate-stderr pm-strings --find a --find-hex 61 "$f"
	assert_equal "${stderr_lines[0]}" "pm-strings: --find and --find-hex cannot be combined"
	run -2 --separate-stderr pm-strings --find-hex 6 "$f"
	assert_equal "$stderr" "pm-strings: invalid --find-hex value '6'"
	run -2 --separate-stderr pm-strings --find-hex xy "$f"
	assert_equal "$stderr" "pm-strings: invalid --find-hex value 'xy'"
	run -2 --separate-stderr pm-strings --find '' "$f"
	assert_equal "$stderr" "pm-strings: invalid --find value ''"
	run -2 --separate-stderr pm-strings --find $'\xff' "$f"
	assert_equal "$stderr" "pm-strings: search text is not valid UTF-8"
	run -2 --separate-stderr pm-strings --min-count 1 --dups "$f"
	assert_equal "$stderr" "pm-strings: invalid --min-count value '1'"
	run -2 --separate-stderr pm-strings /nonexistent.pmd
	assert_equal "$stderr" "pm-strings: cannot open '/nonexistent.pmd': No such file or directory"
}

@test "a closed pipe ends quietly; a full disk is exit 2" {
	local v=3.12
	need_version $v
	run -0 --separate-stderr bash -c "pm-strings --dups '$BATS_FILE_TMPDIR/$v.pmd' | head -1 >/dev/null"
	assert_equal "$stderr" ""
	run -2 --separate-stderr bash -c "pm-strings --dups '$BATS_FILE_TMPDIR/$v.pmd' >/dev/full"
	assert_equal "$stderr" "pm-strings: write error on standard output: No space left on device"
}

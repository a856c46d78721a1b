#!/usr/bin/env bats
# pm-objects --new-since and --hexdump against batches.py on every
# installed CPython 3.8 to 3.13: snapshot a, SIGUSR1 (5000 new
# __main__.Batch instances, whose id()s the target writes), snapshot b.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup_file() {
	local v py i d=$BATS_FILE_TMPDIR
	while read -r v py; do
		pm_start_target "$v" batches.py "$d/truth-$v"
		echo "$PM_TARGET_PID" >"$d/pid-$v"
		echo "$PM_TARGET_OUT" >"$d/out-$v"
	done < <(pm_pythons)
	for v in $VERSIONS; do
		[ -f "$d/pid-$v" ] || continue
		pm-dump -q -p "$(cat "$d/pid-$v")" -o "$d/$v-a.pmd"
		kill -USR1 "$(cat "$d/pid-$v")"
	done
	for v in $VERSIONS; do
		[ -f "$d/pid-$v" ] || continue
		for ((i = 0; i < 200; i++)); do
			grep -qx 'ROUND 1' "$(cat "$d/out-$v")" && break
			sleep 0.1
		done
		grep -qx 'ROUND 1' "$(cat "$d/out-$v")" ||
		    fail "$v: batches.py did not grow"
		pm-dump -q -p "$(cat "$d/pid-$v")" -o "$d/$v-b.pmd"
	done
	pm_stop_target
}

teardown_file() {
	pm_stop_target
}

teardown() {
	pm_stop_target
}

need_version() {
	if [ ! -f "$BATS_FILE_TMPDIR/$1-b.pmd" ]; then
		pm_ci && fail "python $1 is not installed"
		skip "python $1 is not installed"
	fi
}

# newest: the newest python installed.
newest() {
	local v n=
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v-b.pmd" ] && n=$v
	done
	[ -n "$n" ] || skip "no python 3.8 to 3.13 is installed"
	echo "$n"
}

# check_new V: --new-since lists every Batch the round added, at its id(),
# and nothing else of that type; the round's instance dicts (before 3.11)
# are listed unless the earlier snapshot had a dict at that very address
# (a freed dict's memory reused: the documented blind spot); and at most
# a few objects besides.
check_new() {
	local v=$1 d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR n
	need_version "$v"
	run -0 --separate-stderr pm-objects --new-since "$d/$v-a.pmd" \
	    "$d/$v-b.pmd" </dev/null
	assert_equal "$stderr" ""
	printf '%s\n' "$output" | awk -F'\t' '{ print $2 " " $1 }' |
	    LC_ALL=C sort >"$t/got"
	LC_ALL=C sort "$d/truth-$v.1" >"$t/want"
	# Every Batch, and only those.
	grep '^__main__\.Batch ' "$t/want" >"$t/want-batch"
	[ "$(wc -l <"$t/want-batch")" -eq 5000 ] || fail "truth: not 5000 Batch"
	run -0 diff "$t/want-batch" <(grep '^__main__\.Batch ' "$t/got")
	# The dicts: each listed, or a dict already in a (reused memory).
	LC_ALL=C comm -23 "$t/want" "$t/got" >"$t/missing"
	if [ "${v#3.}" -ge 11 ]; then
		assert_equal "$(grep -c '^dict ' "$t/want")" 0
	else
		assert_equal "$(grep -c '^dict ' "$t/want")" 5000
		n=$(wc -l <"$t/missing")
		[ "$n" -le 50 ] || fail "$v: $n of the new dicts not listed"
	fi
	if [ -s "$t/missing" ]; then
		run -0 --separate-stderr pm-objects "$d/$v-a.pmd" \
		    < <(cut -d' ' -f2 "$t/missing")
		assert_equal "$(printf '%s\n' "$output" | cut -f1,2 |
		    awk -F'\t' '{ print $2 " " $1 }' | LC_ALL=C sort)" \
		    "$(cat "$t/missing")"
	fi
	# Others: objects the round did not make, yet new. The handler's
	# frame object (3.11+ makes one for the signal handler's argument)
	# is all there is on these pythons; allow a few for GC timing.
	LC_ALL=C comm -13 "$t/want" "$t/got" >"$t/others"
	n=$(wc -l <"$t/others")
	[ "$n" -le 5 ] || fail "$v: $n others: $(head -n 20 "$t/others")"
}

@test "3.8: --new-since lists the 5000 new instances at their id()" { check_new 3.8; }
@test "3.9: --new-since lists the 5000 new instances at their id()" { check_new 3.9; }
@test "3.10: --new-since lists the 5000 new instances at their id()" { check_new 3.10; }
@test "3.11: --new-since lists the 5000 new instances at their id()" { check_new 3.11; }
@test "3.12: --new-since lists the 5000 new instances at their id()" { check_new 3.12; }
@test "3.13: --new-since lists the 5000 new instances at their id()" { check_new 3.13; }

@test "--new-since with filters, formats, addresses, an uncompressed old, pm-refs --path" {
	local v d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR all
	v=$(newest)
	run -0 pm-objects --new-since "$d/$v-a.pmd" "$d/$v-b.pmd" </dev/null
	all=$output
	# OLD uncompressed, and from standard input: the same records.
	zstd -qd "$d/$v-a.pmd" -o "$t/a.raw"
	run -0 pm-objects --new-since "$t/a.raw" "$d/$v-b.pmd" </dev/null
	assert_equal "$output" "$all"
	run -0 pm-objects --new-since - "$d/$v-b.pmd" <"$d/$v-a.pmd"
	assert_equal "$output" "$all"
	# -t, --largest and the formats work on the new objects only.
	run -0 pm-objects --new-since "$d/$v-a.pmd" -t __main__.Batch \
	    "$d/$v-b.pmd" </dev/null
	assert_equal "${#lines[@]}" 5000
	assert_equal "$output" "$(printf '%s\n' "$all" | grep -P '\t__main__\.Batch\t')"
	# All of a size: --largest 1 is the lowest address.
	local a low=
	while read -r _ a; do
		[ -z "$low" ] || (( a < low )) && low=$((a))
	done < <(grep '^__main__\.Batch ' "$d/truth-$v.1")
	low=$(printf '0x%x' "$low")
	run -0 pm-objects --new-since "$d/$v-a.pmd" --largest 1 -t __main__.Batch \
	    --json "$d/$v-b.pmd" </dev/null
	assert_output --regexp "^\\{\"addr\": \"$low\", \"type\": \"__main__\\.Batch\", \"size\": [0-9]+, \"repr\": \"<__main__\\.Batch object at $low>\"\\}\$"
	run -0 pm-objects --new-since "$d/$v-a.pmd" -H --csv -t __main__.Batch \
	    "$d/$v-b.pmd" </dev/null
	assert_line --index 0 "ADDR,TYPE,SIZE,REPR"
	assert_equal "${#lines[@]}" 5001
	# Addresses on stdin: only the new ones of them (the marker is old).
	run -0 pm-objects --new-since "$d/$v-a.pmd" "$d/$v-b.pmd" \
	    < <(truth "$v" marker.id; sed -n '1s/^[^ ]* //p' "$d/truth-$v.1")
	assert_equal "${#lines[@]}" 1
	assert_output --partial "$(sed -n '1s/^[^ ]* //p' "$d/truth-$v.1")"$'\t__main__.Batch\t'
	# Where each new Batch hangs: an item of the module's BATCHES list.
	run -0 --separate-stderr bash -c "pm-objects --new-since '$d/$v-a.pmd' \
	    -t __main__.Batch '$d/$v-b.pmd' </dev/null | pm-refs --path '$d/$v-b.pmd'"
	assert_equal "${#lines[@]}" 5000
	run -0 grep -cP "^0x[0-9a-f]+\tsys\.modules\['__main__'\]\.BATCHES\[[0-9]+\]\$" \
	    <<<"$output"
	assert_output 5000
}

@test "--new-since: snapshots of another process or python exit 2" {
	local v w d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR p1 p2
	v=$(newest)
	# Another process of the same python: another pid.
	pm_start_target "$v" batches.py "$t/truth"
	pm-dump -q -p "$PM_TARGET_PID" -o "$t/other.pmd"
	p1=$(cat "$d/pid-$v")
	p2=$PM_TARGET_PID
	run -2 --separate-stderr pm-objects --new-since "$d/$v-a.pmd" "$t/other.pmd" </dev/null
	assert_output ""
	assert_equal "$stderr" "pm-objects: '$d/$v-a.pmd' and '$t/other.pmd' are not of the same process: pid $p1 and pid $p2"
	for w in $VERSIONS; do
		[ "$w" != "$v" ] && [ -f "$d/$w-b.pmd" ] || continue
		run -2 --separate-stderr pm-objects --new-since "$d/$w-a.pmd" \
		    "$d/$v-b.pmd" </dev/null
		assert_output ""
		assert_equal "$stderr" "pm-objects: '$d/$w-a.pmd' and '$d/$v-b.pmd' are not of the same process: pid $(cat "$d/pid-$w") and pid $p1"
	done
	# The earlier snapshot second: a warning, and what b lost since a.
	run -0 --separate-stderr pm-objects --new-since "$d/$v-b.pmd" \
	    -t __main__.Batch "$d/$v-a.pmd" </dev/null
	assert_output ""
	assert_equal "$stderr" "pm-objects: '$d/$v-b.pmd' was taken after '$d/$v-a.pmd'"
	# Bad input.
	run -2 --separate-stderr pm-objects --new-since "$t/missing.pmd" "$d/$v-b.pmd" </dev/null
	assert_output ""
	[[ $stderr == "pm-objects: "*"missing.pmd"* ]] || fail "message: $stderr"
	run -2 --separate-stderr pm-objects --new-since - </dev/null
	assert_equal "${stderr_lines[0]}" "pm-objects: --new-since - and the snapshot cannot both be standard input"
}

# le_hex N: the 8 bytes of N, little-endian, as hexdump -C writes them.
le_hex() {
	local n=$1 i out=
	for ((i = 0; i < 8; i++)); do
		out+=$(printf '%02x' $(((n >> (8 * i)) & 255)))
		[ "$i" -lt 7 ] && out+=' '
	done
	printf '%s' "$out"
}

# text_hex TEXT: the first 16 bytes of TEXT as hexdump -C writes them.
text_hex() {
	printf '%s' "$1" | od -An -tx1 -N16 -v | tr -s ' \n' '  ' |
	    sed 's/^ //; s/ $//' | awk '{ for (i = 1; i <= NF; i++)
		printf "%s%s", $i, (i == 8 ? "  " : i < NF ? " " : "") }'
}

# check_hexdump V: the marker bytes object, shown whole from its address
# with its id() and getsizeof on every line; a word inside an int's
# digits; a bytearray's storage, which is no object; an unmapped address.
check_hexdump() {
	local v=$1 d=$BATS_FILE_TMPDIR m ms ml ia is b k line
	need_version "$v"
	m=$(truth "$v" marker.id) ms=$(truth "$v" marker.size)
	ml=$(truth "$v" marker.len)
	run -0 --separate-stderr pm-objects --hexdump "$m" "$d/$v-b.pmd"
	assert_equal "$stderr" ""
	# The whole object, from its address (bytes have no GC head), in
	# whole lines: ceil(getsizeof / 16) of them.
	assert_equal "${#lines[@]}" $(((ms + 15) / 16))
	for ((k = 0; k < ${#lines[@]}; k++)); do
		IFS=$'\t' read -r -a f <<<"${lines[k]}"
		assert_equal "${f[0]}" "$(printf '0x%x' $((m + 16 * k)))"
		assert_equal "${f[3]} ${f[4]} ${f[5]} ${f[6]}" \
		    "$m bytes $ms $(printf '+0x%x' $((16 * k)))"
	done
	# ob_size is len(); ob_sval starts at +0x20 with the marker.
	IFS=$'\t' read -r -a f <<<"${lines[1]}"
	assert_equal "${f[1]:0:23} ${f[7]}" "$(le_hex "$ml") ob_size"
	IFS=$'\t' read -r -a f <<<"${lines[2]}"
	assert_equal "${f[1]}|${f[2]}|${f[7]}" \
	    "$(text_hex pmtools-hexdump-)||pmtools-hexdump-||ob_sval[0]"
	# The ASCII column, read on: the marker, a backslash escaped.
	local ascii
	ascii=$(printf '%s\n' "${lines[@]}" | cut -f3 | sed 's/^|//; s/|$//' | tr -d '\n')
	[[ $ascii == *'pmtools-hexdump-marker: !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~:end......' ]] ||
	    fail "no marker in the ASCII column: $ascii"

	# A word inside the int's digits, 40 bytes in: its line is the int's.
	ia=$(truth "$v" int.id) is=$(truth "$v" int.size)
	run -0 pm-objects --hexdump "$(printf '0x%x' $((ia + 40)))" -n 16 "$d/$v-b.pmd"
	assert_equal "${#lines[@]}" 1
	IFS=$'\t' read -r -a f <<<"${lines[0]}"
	assert_equal "${f[0]} ${f[3]} ${f[4]} ${f[5]} ${f[6]} ${f[7]}" \
	    "$(printf '0x%x' $((ia + 32))) $ia int $is +0x20 ob_digit[2]"
	# Without -n: the whole int from its address.
	run -0 pm-objects --hexdump "$(printf '0x%x' $((ia + 40)))" "$d/$v-b.pmd"
	assert_equal "${#lines[@]}" $(((is + 15) / 16))
	assert_equal "$(printf '%s\n' "${lines[@]}" | cut -f4-6 | sort -u)" \
	    "$ia"$'\tint\t'"$is"

	# A bytearray's storage: no object, 64 bytes before and after.
	b=$(truth "$v" buffer.addr)
	run -0 pm-objects --hexdump "$b" "$d/$v-b.pmd"
	assert_equal "${#lines[@]}" 8
	IFS=$'\t' read -r -a f <<<"${lines[0]}"
	assert_equal "${f[0]}" "$(printf '0x%x' $((b - 64)))"
	for ((k = 4; k < 8; k++)); do
		line=${lines[k]}
		[[ $line == *$'\t\t(no object)\t\t\t' ]] ||
		    fail "line $k of the buffer is not '(no object)': $line"
	done
	IFS=$'\t' read -r -a f <<<"${lines[4]}"
	assert_equal "${f[0]} ${f[2]}" "$b |pmtools-no-objec|"

	# Not in the snapshot.
	run -2 --separate-stderr pm-objects --hexdump 0x10 "$d/$v-b.pmd"
	assert_output ""
	assert_equal "$stderr" "pm-objects: cannot dump 0x10: not in the snapshot"
}

@test "3.8: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.8; }
@test "3.9: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.9; }
@test "3.10: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.10; }
@test "3.11: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.11; }
@test "3.12: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.12; }
@test "3.13: --hexdump shows an object's bytes, the object and its fields" { check_hexdump 3.13; }

@test "--hexdump: GC heads and pre-headers, -n, -H, --json, usage errors" {
	local v d=$BATS_FILE_TMPDIR a
	v=$(newest)
	# A Batch: its GC head (and 3.11+ pre-header) come before id().
	a=$(sed -n '1s/^[^ ]* //p' "$d/truth-$v.1")
	run -0 pm-objects -H --hexdump "$a" -n 48 "$d/$v-b.pmd"
	assert_line --index 0 "$(printf 'ADDR\tHEX\tASCII\tOBJECT\tTYPE\tSIZE\tOFFSET\tFIELD')"
	assert_line --regexp $'\t'"$a"$'\t__main__\\.Batch\t[0-9]+\t-0x10\tPyGC_Head$'
	assert_line --regexp $'\t'"$a"$'\t__main__\\.Batch\t[0-9]+\t\\+0x0\tob_refcnt$'
	run -0 pm-objects --json --hexdump "$(truth "$v" marker.id)" -n 16 "$d/$v-b.pmd"
	assert_output --regexp '^\{"addr": "0x[0-9a-f]+", "hex": "01 00 00 00 00 00 00 00  [0-9a-f ]+", "ascii": "\|[^"]*\|", "object": "'"$(truth "$v" marker.id)"'", "type": "bytes", "size": '"$(truth "$v" marker.size)"', "offset": "\+0x0", "field": "ob_refcnt"\}$'
	run -2 --separate-stderr pm-objects -n 16 "$d/$v-b.pmd"
	assert_equal "${stderr_lines[0]}" "pm-objects: -n needs --hexdump"
	run -2 --separate-stderr pm-objects --hexdump "$a" -t dict "$d/$v-b.pmd"
	assert_equal "${stderr_lines[0]}" "pm-objects: --hexdump takes no filters"
	run -2 --separate-stderr pm-objects --hexdump zz "$d/$v-b.pmd"
	assert_equal "${stderr_lines[0]}" "pm-objects: invalid --hexdump address 'zz'"
	run -2 --separate-stderr pm-objects --hexdump "$a" -n 0 "$d/$v-b.pmd"
	assert_equal "$stderr" "pm-objects: invalid -n value '0'"
	run -2 --separate-stderr pm-objects --hexdump "$a" --redact "$d/$v-b.pmd"
	assert_equal "$stderr" "pm-objects: --hexdump prints raw memory: not with --redact or PM_REDACT"
	run -2 --separate-stderr env PM_REDACT=1 pm-objects --hexdump "$a" "$d/$v-b.pmd"
	assert_equal "$stderr" "pm-objects: --hexdump prints raw memory: not with --redact or PM_REDACT"
}

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

# truth V KEY: the value of KEY in the truth file of version V.
truth() {
	pm_truth "$2" "$BATS_FILE_TMPDIR/truth-$1"
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

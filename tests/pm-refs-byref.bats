#!/usr/bin/env bats
# pm-refs --by-referrer against real targets of every installed CPython 3.8
# to 3.13 (tests/targets/byref.py): instances of __main__.Item held in a
# list attribute, a dict attribute, a module set and tuple, as an instance,
# class and module attribute; the groups, their counts and their summed
# sys.getsizeof must be exactly what the target writes about itself.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup_file() {
	local v py
	while read -r v py; do
		pm_start_target "$v" byref.py "$BATS_FILE_TMPDIR/truth-$v"
		pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/$v.pmd"
		pm_stop_target "$PM_TARGET_PID"
	done < <(pm_pythons)
}

teardown_file() {
	pm_stop_target
}

check_groups() {
	local v=$1 s
	need_version "$v"
	s=$BATS_FILE_TMPDIR/$v.pmd
	run -0 --separate-stderr pm-refs --by-referrer -t __main__.Item "$s"
	assert_equal "$stderr" ""
	assert_output "$(cat "$BATS_FILE_TMPDIR/truth-$v")"
	# The same objects piped in by address give the same groups.
	run -0 --separate-stderr bash -c "pm-objects -t __main__.Item '$s' |
	    pm-refs --by-referrer '$s'"
	assert_equal "$stderr" ""
	assert_output "$(cat "$BATS_FILE_TMPDIR/truth-$v")"
}

@test "3.8: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.8; }
@test "3.9: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.9; }
@test "3.10: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.10; }
@test "3.11: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.11; }
@test "3.12: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.12; }
@test "3.13: --by-referrer: list, dict and set attributes, exact counts and bytes" { check_groups 3.13; }

@test "--by-referrer: -H, --csv, --json, one object by -a, a type of no objects" {
	local v=3.12 s first
	need_version $v
	s=$BATS_FILE_TMPDIR/$v.pmd
	run -0 pm-refs --by-referrer -H -t __main__.Item "$s"
	assert_line --index 0 "COUNT	BYTES	TYPE	REFERRER	OWNER"
	assert_equal "${#lines[@]}" 8
	run -0 pm-refs --by-referrer --csv -t __main__.Item "$s"
	assert_line "1,$(sed -n 's/^1\t\([0-9]*\)\t.*LONE.*/\1/p' "$BATS_FILE_TMPDIR/truth-$v"),__main__.Item,<module '__main__'>.LONE,-"
	run -0 pm-refs --by-referrer --json -t __main__.Item "$s"
	assert_line --index 0 --regexp '^\{"count": 3001, "bytes": [0-9]+, "type": "__main__.Item", "referrer": "list", "owner": "__main__.Holder.items"\}$'
	first=$(pm-objects -t __main__.Item "$s" | head -1 | cut -f1)
	run -0 pm-refs --by-referrer -a "$first" "$s"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^1	[0-9]+	__main__\\.Item	"
	run -0 --separate-stderr pm-refs --by-referrer -t no.such.Type "$s"
	assert_output ""
}

@test "--by-referrer: usage errors are exit 2 with the reason" {
	local s=$BATS_FILE_TMPDIR/3.12.pmd
	need_version 3.12
	run -2 --separate-stderr pm-refs -t __main__.Item "$s"
	assert_equal "${stderr_lines[0]}" "pm-refs: -t goes with --by-referrer"
	run -2 --separate-stderr pm-refs --by-referrer "$s" </dev/null
	assert_equal "${stderr_lines[0]}" "pm-refs: no objects: give -t type, -a addr, or pipe addresses in with a snapshot operand"
	run -2 --separate-stderr pm-refs --by-referrer --path -t x "$s"
	assert_equal "${stderr_lines[0]}" "pm-refs: --path and --by-referrer cannot be combined"
	run -2 --separate-stderr pm-refs --by-referrer -t x -a 0x10 "$s"
	assert_equal "${stderr_lines[0]}" "pm-refs: -t and -a cannot be combined"
}

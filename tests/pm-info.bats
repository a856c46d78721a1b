#!/usr/bin/env bats
# pm-dump --info against real targets of every installed CPython 3.8 to
# 3.13: the header must be what each target says of itself, the mappings
# what /proc/PID/maps shows, the sizes what the snapshot stores (walked by
# tests/snapbytes.py, without pmtools), and the kinds must name the stack
# of each thread (found by its stack pointer in /proc/PID/task/TID/syscall),
# the pymalloc arenas, the malloc'd objects and _PyRuntime.

load helper

# One target per version: dumped once, kept running for /proc.
setup_file() {
	local v py pid d=$BATS_FILE_TMPDIR t0 t1
	while read -r v py; do
		pm_start_target "$v" regions.py "$d/truth-$v"
		pid=$PM_TARGET_PID
		echo "$pid" >"$d/pid-$v"
		t0=$(date +%s%N)
		pm-dump -q -p "$pid" -o "$d/$v.pmd"
		t1=$(date +%s%N)
		echo "$t0 $t1" >"$d/when-$v"
		# Every thread sleeps in a system call: its stack pointer.
		for t in /proc/"$pid"/task/*; do
			echo "${t##*/} $(awk '{ print $(NF - 1) }' "$t/syscall")"
		done >"$d/sp-$v"
		cp "/proc/$pid/maps" "$d/maps-$v"
		zstd -qdf "$d/$v.pmd" -o "$d/$v.raw"
		"$py" "$BATS_TEST_DIRNAME/snapbytes.py" "$d/$v.raw" >"$d/walk-$v"
		pm-dump --info "$d/$v.pmd" >"$d/info-$v" 2>"$d/info-$v.err"
	done < <(pm_pythons)
}

teardown_file() {
	pm_stop_target
}

# key V KEY: the VALUE of the first KEY record of --info.
key() {
	awk -F'\t' -v k="$2" 'NF == 2 && $1 == k { print $2; exit }' \
	    "$BATS_FILE_TMPDIR/info-$1"
}

# maprecs FILE: the mapping records of --info output FILE, fields split by
# \037 (a tab is blank to read, so an empty PATH would vanish).
maprecs() {
	awk -F'\t' 'NF == 6' "$1" | tr '\t' '\037'
}

# kind_at V ADDR: the KIND of the mapping holding ADDR (decimal).
kind_at() {
	local start end size perms path kind
	while IFS=$'\037' read -r start end size perms path kind; do
		if ((ADDR = $2, ADDR >= start && ADDR < end)); then
			printf '%s\n' "$kind"
			return 0
		fi
	done < <(maprecs "$BATS_FILE_TMPDIR/info-$1")
	echo "no mapping holds $2"
}

check_header() {
	local v=$1 d=$BATS_FILE_TMPDIR t0 t1 t py
	need_version "$v"
	assert_equal "$(cat "$d/info-$v.err")" ""
	assert_equal "$(key "$v" format)" 1
	assert_equal "$(key "$v" source)" process
	assert_equal "$(key "$v" pid)" "$(truth "$v" pid)"
	assert_equal "$(key "$v" exe)" "$(truth "$v" exe)"
	# 3.11+ export Py_Version; before that the minor is all that is known.
	py=$(truth "$v" python)
	case $v in
	3.8 | 3.9 | 3.10) assert_equal "$(key "$v" python)" "${py%.*}" ;;
	*) assert_equal "$(key "$v" python)" "$py" ;;
	esac
	# One record per thread, the same set /proc/self/task showed.
	assert_equal "$(key "$v" threads)" 4
	assert_equal "$(awk -F'\t' '$1 == "thread" { print $2 }' "$d/info-$v" |
	    sort -n | tr '\n' ' ')" "$(truth "$v" tids) "
	awk -F'\t' '$1 == "thread" { print $2; exit }' "$d/info-$v" |
	    grep -qx "$(truth "$v" tid.main)" || fail "the main thread is not first"
	# Taken between the moments before and after pm-dump ran.
	read -r t0 t1 <"$d/when-$v"
	t=$(date -d "$(key "$v" time)" +%s%N)
	((t0 <= t && t <= t1)) || fail "time $(key "$v" time) not in [$t0, $t1]"
	(($(key "$v" pause_us) > 0 && $(key "$v" pause_us) * 1000 <= t1 - t0)) ||
	    fail "pause $(key "$v" pause_us) us"
}

check_maps() {
	local v=$1 d=$BATS_FILE_TMPDIR n sum want
	need_version "$v"
	# /proc/PID/maps as START END PERMS PATH, addresses as --info writes them.
	while read -r range perms _ _ _ path; do
		printf '0x%x\t0x%x\t%s\t%s\n' "$((16#${range%-*}))" \
		    "$((16#${range#*-}))" "$perms" "$path"
	done <"$d/maps-$v" >"$d/maps-$v.tsv"
	# Each mapping record is a line of it, SIZE is END - START.
	run awk -F'\t' '
	    NR == FNR { maps[$0] = 1; next }
	    NF != 6 { next }
	    !(($1 "\t" $2 "\t" $4 "\t" $5) in maps) { print "not in maps: " $0 }
	    { n++ }
	    END { print n }' "$d/maps-$v.tsv" "$d/info-$v"
	assert_output "$(pm_truth maps "$d/walk-$v")"
	sum=0
	while IFS=$'\037' read -r start end size _; do
		(( size == end - start )) || fail "$start-$end: SIZE $size"
		sum=$((sum + size))
	done < <(maprecs "$d/info-$v")
	# Every private writable mapping is captured.
	want=$(awk -F'\t' '$3 == "rw-p"' "$d/maps-$v.tsv" | wc -l)
	assert_equal "$(awk -F'\t' 'NF == 6 && $4 == "rw-p"' "$d/info-$v" | wc -l)" "$want"
	# The sizes add up to what the snapshot stores, by a reader of its own.
	assert_equal "$(key "$v" mappings)" "$(pm_truth maps "$d/walk-$v")"
	assert_equal "$sum" "$(pm_truth bytes "$d/walk-$v")"
	assert_equal "$(key "$v" bytes)" "$sum"
	assert_equal "$(($(pm_truth file "$d/walk-$v") - $(pm_truth overhead "$d/walk-$v")))" "$sum"
}

check_kinds() {
	local v=$1 d=$BATS_FILE_TMPDIR tid sp
	need_version "$v"
	# Each thread's stack pointer lies in the mapping named its stack.
	while read -r tid sp; do
		assert_equal "$(kind_at "$v" "$((sp))")" "stack:$tid"
	done <"$d/sp-$v"
	assert_equal "$(awk -F'\t' 'NF == 6 && $6 ~ /^stack:/' "$d/info-$v" | wc -l)" 4
	# The C thread too, though no Python thread state knows it.
	grep -q "^$(truth "$v" tid.c) " "$d/sp-$v"
	[[ $(kind_at "$v" "$(truth "$v" addr.small)") == heap*,pymalloc* ]] ||
	    fail "small object: $(kind_at "$v" "$(truth "$v" addr.small)")"
	[[ $(kind_at "$v" "$(truth "$v" addr.large)") == heap*,objects ]] ||
	    fail "large object: $(kind_at "$v" "$(truth "$v" addr.large)")"
	[[ $(kind_at "$v" "$(truth "$v" addr.runtime)") == file,interp,runtime* ]] ||
	    fail "_PyRuntime: $(kind_at "$v" "$(truth "$v" addr.runtime)")"
	assert_equal "$(awk -F'\t' 'NF == 6 && $6 ~ /runtime/' "$d/info-$v" | wc -l)" 1
	(($(key "$v" pymalloc_arenas) > 0)) || fail "no arenas"
}

@test "3.8: --info header is the target's" { check_header 3.8; }
@test "3.9: --info header is the target's" { check_header 3.9; }
@test "3.10: --info header is the target's" { check_header 3.10; }
@test "3.11: --info header is the target's" { check_header 3.11; }
@test "3.12: --info header is the target's" { check_header 3.12; }
@test "3.13: --info header is the target's" { check_header 3.13; }

@test "3.8: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.8; }
@test "3.9: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.9; }
@test "3.10: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.10; }
@test "3.11: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.11; }
@test "3.12: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.12; }
@test "3.13: --info mappings are /proc/PID/maps, sizes the stored bytes" { check_maps 3.13; }

@test "3.8: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.8; }
@test "3.9: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.9; }
@test "3.10: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.10; }
@test "3.11: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.11; }
@test "3.12: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.12; }
@test "3.13: --info kinds: thread stacks, arenas, objects, runtime" { check_kinds 3.13; }

@test "--info: -H, --csv, --json; the raw form and standard input" {
	local v=3.12 d=$BATS_FILE_TMPDIR
	need_version $v
	run -0 pm-dump --info "$d/$v.raw"
	assert_equal "$output" "$(cat "$d/info-$v")"
	run -0 bash -c "pm-dump --info - <'$d/$v.pmd'"
	assert_equal "$output" "$(cat "$d/info-$v")"
	run -0 pm-dump -H --info "$d/$v.pmd"
	assert_line --index 0 "$(printf 'KEY\tVALUE')"
	assert_line "$(printf 'START\tEND\tSIZE\tPERMS\tPATH\tKIND')"
	run -0 pm-dump --csv --info "$d/$v.pmd"
	assert_line "pid,$(truth $v pid)"
	assert_line --regexp '^0x[0-9a-f]+,0x[0-9a-f]+,[0-9]+,rw-p,\[heap\],"heap,objects"$'
	run -0 pm-dump --json --info "$d/$v.pmd"
	assert_line "{\"key\": \"pid\", \"value\": $(truth $v pid)}"
	assert_line "{\"key\": \"exe\", \"value\": \"$(truth $v exe)\"}"
	assert_line --regexp '^\{"start": "0x[0-9a-f]+", "end": "0x[0-9a-f]+", "size": [0-9]+, "perms": "rw-p", "path": "\[stack\]", "kind": "stack:[0-9]+"\}$'
}

@test "--info without symbols: what is unknown is said, not guessed" {
	local v=3.8 d=$BATS_FILE_TMPDIR py
	need_version $v
	pm_python $v
	# A stripped 3.8: no .symtab, so no arena table.
	"$PM_PY" "$BATS_TEST_DIRNAME/snapbytes.py" "$d/$v.raw" --drop-sym \
	    "$BATS_TEST_TMPDIR/stripped.raw" arenas maxarenas
	run -0 --separate-stderr pm-dump --info "$BATS_TEST_TMPDIR/stripped.raw"
	assert_equal "$stderr" "pm-dump: pymalloc arenas unknown: the snapshot lacks the symbols 'arenas' and 'maxarenas' (a stripped python?)"
	assert_line "$(printf 'pymalloc_arenas\tunknown')"
	refute_line --partial pymalloc_used_bytes
	refute_line --partial ,pymalloc
	# The stacks are still found.
	assert_equal "$(printf '%s\n' "$output" | awk -F'\t' 'NF == 6 && $6 ~ /^stack:/' | wc -l)" 4
	# No interpreter symbols at all: no objects, mappings all the same.
	"$PM_PY" "$BATS_TEST_DIRNAME/snapbytes.py" "$d/$v.raw" --drop-sym \
	    "$BATS_TEST_TMPDIR/nosyms.raw" _PyRuntime PyType_Type arenas maxarenas
	run -0 --separate-stderr pm-dump --info "$BATS_TEST_TMPDIR/nosyms.raw"
	assert_line "$(printf 'objects\tunknown')"
	assert_equal "${stderr_lines[0]%%:*}" "pm-dump"
	[[ ${stderr_lines[0]} == "pm-dump: objects not enumerated: "* ]]
	assert_equal "$(printf '%s\n' "$output" | awk -F'\t' 'NF == 6' | wc -l)" \
	    "$(pm_truth maps "$d/walk-$v")"
}

@test "--info: bad input and bad usage are exit 2" {
	local v=3.12 d=$BATS_FILE_TMPDIR
	need_version $v
	run -2 --separate-stderr pm-dump --info /nonexistent.pmd
	assert_equal "$stderr" "pm-dump: cannot open '/nonexistent.pmd': No such file or directory"
	head -c 100000 "$d/$v.pmd" >"$BATS_TEST_TMPDIR/cut"
	run -2 --separate-stderr pm-dump --info "$BATS_TEST_TMPDIR/cut"
	assert_equal "$stderr" "pm-dump: cannot read '$BATS_TEST_TMPDIR/cut': truncated snapshot"
	assert_output ""
	run -2 --separate-stderr pm-dump --info "$d/$v.pmd" -p 1
	assert_equal "${stderr_lines[0]}" "pm-dump: --info takes only -H, -q, --csv and --json"
	run -2 --separate-stderr pm-dump -o x --info "$d/$v.pmd"
	assert_equal "${stderr_lines[0]}" "pm-dump: --info takes only -H, -q, --csv and --json"
	run -2 --separate-stderr pm-dump --json -p 1
	assert_equal "${stderr_lines[0]}" "pm-dump: -H, --csv and --json go with --info"
}

@test "--info of a core: source, the core's time, no pause; thread stacks" {
	local v=3.12 d=$BATS_FILE_TMPDIR pid core tid sp n=0 range s e
	need_version $v
	command -v gcore >/dev/null || skip "no gcore"
	pid=$(cat "$d/pid-$v")
	gcore -o "$BATS_TEST_TMPDIR/core" "$pid" >/dev/null 2>&1
	core=$BATS_TEST_TMPDIR/core.$pid
	pm-dump -q --core "$core" -o "$BATS_TEST_TMPDIR/core.pmd"
	run -0 pm-dump --info "$BATS_TEST_TMPDIR/core.pmd"
	assert_line "$(printf 'source\tcore')"
	assert_line "$(printf 'pause_us\t0')"
	assert_line "$(printf 'pid\t%s' "$pid")"
	assert_line "$(printf 'time\t%s' "$(date -u -d "@$(stat -c %.9Y "$core")" +%Y-%m-%dT%H:%M:%S.%NZ)")"
	# A core names no [stack]: the main thread's stack is not told
	# apart; every other thread's is, by its glibc descriptor.
	while read -r tid sp; do
		[ "$tid" = "$(truth "$v" tid.main)" ] && continue
		range=$(printf '%s\n' "$output" | awk -F'\t' -v t="stack:$tid" '
		    NF == 6 && $6 == t { print $1, $2 }')
		[ -n "$range" ] || fail "no stack:$tid"
		read -r s e <<<"$range"
		((sp >= s && sp < e)) || fail "stack:$tid is $s-$e, sp $sp"
		n=$((n + 1))
	done <"$d/sp-$v"
	assert_equal "$n" 3
}

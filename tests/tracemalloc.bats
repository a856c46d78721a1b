#!/usr/bin/env bats
# tracemalloc traces read from snapshots of real targets on every installed
# CPython 3.8 to 3.13 (tests/targets/tmalloc.py, run with
# PYTHONTRACEMALLOC=5): pm-types --by-line and pm-objects --traceback must
# say what tracemalloc says inside the target, exactly; a target that does
# not trace, a stripped Python and a corrupt trace table give a message and
# exit 2.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"
DEBIAN_PY=/usr/bin/python3.11	# stripped: no .symtab

setup_file() {
	local v py d=$BATS_FILE_TMPDIR
	while read -r v py; do
		PYTHONTRACEMALLOC=5 pm_start_target "$v" tmalloc.py "$d/truth-$v"
		pm-dump -q -p "$PM_TARGET_PID" -o "$d/$v.pmd"
		zstd -qd "$d/$v.pmd" -o "$d/$v.raw"
		# Not tracing: never started, or started and stopped.
		case $v in
		3.9 | 3.11 | 3.13) pm_start_target "$v" tmalloc.py "$d/off-$v" 100 stop ;;
		*) pm_start_target "$v" tmalloc.py "$d/off-$v" 100 ;;
		esac
		pm-dump -q -p "$PM_TARGET_PID" -o "$d/off-$v.pmd"
		pm_stop_target
	done < <(pm_pythons)
	if [ -x "$DEBIAN_PY" ]; then
		PM_TARGET_PID=$(PYTHONTRACEMALLOC=5 "$DEBIAN_PY" \
		    "$BATS_TEST_DIRNAME/targets/tmalloc.py" "$d/truth-deb" 100 \
		    >"$d/deb.out" 2>"$d/deb.err" 3>&- </dev/null & echo $!)
		for _ in $(seq 100); do
			grep -q '^READY' "$d/deb.out" && break
			sleep 0.1
		done
		pm-dump -q -p "$PM_TARGET_PID" -o "$d/deb.pmd" || true
		pm_stop_target "$PM_TARGET_PID"
	fi
}

teardown_file() {
	pm_stop_target
}

# t KEY: the truth of version $V (read once per test).
declare -gA TRUTH
TRUTH_V=
t() {
	local k v
	if [ "$TRUTH_V" != "$V" ]; then
		TRUTH=()
		while read -r k v; do
			TRUTH[$k]=$v
		done <"$BATS_FILE_TMPDIR/truth-$V"
		TRUTH_V=$V
	fi
	[ -n "${TRUTH[$1]+set}" ] || fail "no '$1' in the truth of $V"
	printf '%s\n' "${TRUTH[$1]}"
}

# The line that allocated the 10000 objects: the same count and bytes as
# tracemalloc's own statistics('lineno'), and as their summed getsizeof;
# the total: every trace, what tracemalloc counted when the target wrote
# it down, less what the target freed after (its truth file's buffer).
check_by_line() {
	V=$1
	need_version "$V"
	local where total traced out=$BATS_TEST_TMPDIR/lines
	where="$(t file):$(t line)"
	pm-types --by-line "$BATS_FILE_TMPDIR/$V.raw" >"$out" 2>"$out.err" ||
	    fail "pm-types --by-line: exit $?: $(cat "$out.err")"
	assert_equal "$(cat "$out.err")" ""
	grep -qxF "$(t count)	$(t bytes)	$where" "$out" ||
	    fail "no '$(t count)	$(t bytes)	$where' in: $(head -5 "$out")"
	assert_equal "$(t count)" "$(t n)"
	assert_equal "$(t bytes)" "$(t getsizeof)"
	tail -n 1 "$out" | grep -qE $'^[0-9]+\t[0-9]+\t\\(total\\)$' ||
	    fail "last record: $(tail -n 1 "$out")"
	# Largest first; every trace is in one row, and in the total.
	sed '$d' "$out" | cut -f2 | sort -nrc
	total=$(awk -F'\t' '
	    $3 != "(total)" { c += $1; b += $2 }
	    $3 == "(total)" { if (c != $1 || b != $2) print "rows", c, b, "total", $1, $2; print $2 }' "$out")
	[[ $total =~ ^[0-9]+$ ]] || fail "rows do not add up: $total"
	traced=$(t traced)
	[ "$total" -le "$traced" ] && [ $((traced - total)) -le 8192 ] ||
	    fail "traced $total bytes; the target counted $traced before the dump"
	# -c: by count.
	pm-types --by-line -c "$BATS_FILE_TMPDIR/$V.raw" >"$out"
	sed '$d' "$out" | cut -f1 | sort -nrc
	grep -qxF "$(t count)	$(t bytes)	$where" "$out" || fail "-c lost the line"
}

# tb_matches GOT WANT: GOT is the traceback WANT, where a WANT ending in
# " < …(+?)" (the target could not tell whether frames were dropped)
# stands for WANT without it or with " < …(+K)".
tb_matches() {
	local w=${2% < …(+?)}
	[ "$1" = "$2" ] && return 0
	[ "$w" != "$2" ] || return 1
	shopt -s extglob
	[[ $1 == "$w" || $1 == "$w < …(+"+([0-9])")" ]]
}

# Allocation tracebacks of objects of every layout, as tracemalloc gives
# them inside (get_object_traceback; the stack for the managed-dict
# object, which 3.11's get_object_traceback misses).
check_traceback() {
	V=$1
	need_version "$V"
	local keys=() k f=$BATS_TEST_TMPDIR a w got
	t n >/dev/null	# loads TRUTH
	for k in "${!TRUTH[@]}"; do
		[[ $k =~ ^(sample\.[0-9]+|other\.[0-9]+|plain)$ ]] && keys+=("$k")
	done
	assert_equal "${#keys[@]}" 13
	for k in "${keys[@]}"; do
		printf '%s\n' "${TRUTH[$k]%% *}"
	done >"$f/addrs"
	pm-objects --traceback "$BATS_FILE_TMPDIR/$V.raw" <"$f/addrs" >"$f/out" \
	    2>"$f/err" || fail "pm-objects: exit $?: $(cat "$f/err")"
	assert_equal "$(cat "$f/err")" ""
	cut -f1,5 "$f/out" >"$f/got"
	assert_equal "$(wc -l <"$f/got")" 13
	for k in "${keys[@]}"; do
		a=${TRUTH[$k]%% *}
		w=${TRUTH[$k]#* }
		got=$(grep -m1 "^$a	" "$f/got") || fail "no record of $k ($a)"
		tb_matches "${got#*	}" "$w" ||
		    fail "$k ($a): traceback '${got#*	}', tracemalloc says '$w'"
	done
	# The samples' first frame is the allocating line.
	[[ ${TRUTH[sample.0]#* } == "$(t file):$(t line) < "* ]] ||
	    fail "sample.0 was not allocated on the ALLOC line"
	# Every one of the 10000 has a trace there.
	pm-objects --traceback -t __main__.Slot "$BATS_FILE_TMPDIR/$V.raw" |
	    cut -f5 | cut -d' ' -f1 | sort | uniq -c >"$f/slots"
	assert_equal "$(awk '{ print $1, $2 }' "$f/slots")" \
	    "$(t n) $(t file):$(t line)"
}

NOT_TRACING="tracemalloc is not tracing in the target (start it with PYTHONTRACEMALLOC=N)"

check_off() {
	V=$1
	need_version "$V"
	assert_equal "$(pm_truth tracing "$BATS_FILE_TMPDIR/off-$V")" 0
	run -2 --separate-stderr pm-types --by-line "$BATS_FILE_TMPDIR/off-$V.pmd"
	assert_output ""
	assert_equal "$stderr" "pm-types: $NOT_TRACING"
	run -2 --separate-stderr pm-objects --traceback -t __main__.Slot \
	    "$BATS_FILE_TMPDIR/off-$V.pmd"
	assert_output ""
	assert_equal "$stderr" "pm-objects: $NOT_TRACING"
	# Without the options, nothing changes.
	run -0 pm-objects -t __main__.Slot "$BATS_FILE_TMPDIR/off-$V.pmd"
	assert_equal "${#lines[@]}" 100
}

@test "3.8: --by-line: the allocating line exactly, and the total" { check_by_line 3.8; }
@test "3.9: --by-line: the allocating line exactly, and the total" { check_by_line 3.9; }
@test "3.10: --by-line: the allocating line exactly, and the total" { check_by_line 3.10; }
@test "3.11: --by-line: the allocating line exactly, and the total" { check_by_line 3.11; }
@test "3.12: --by-line: the allocating line exactly, and the total" { check_by_line 3.12; }
@test "3.13: --by-line: the allocating line exactly, and the total" { check_by_line 3.13; }

@test "3.8: --traceback: what tracemalloc says of each object" { check_traceback 3.8; }
@test "3.9: --traceback: what tracemalloc says of each object" { check_traceback 3.9; }
@test "3.10: --traceback: what tracemalloc says of each object" { check_traceback 3.10; }
@test "3.11: --traceback: what tracemalloc says of each object" { check_traceback 3.11; }
@test "3.12: --traceback: what tracemalloc says of each object" { check_traceback 3.12; }
@test "3.13: --traceback: what tracemalloc says of each object" { check_traceback 3.13; }

@test "3.8: not tracing: exit 2 and how to start it" { check_off 3.8; }
@test "3.9: not tracing: exit 2 and how to start it" { check_off 3.9; }
@test "3.10: not tracing: exit 2 and how to start it" { check_off 3.10; }
@test "3.11: not tracing: exit 2 and how to start it" { check_off 3.11; }
@test "3.12: not tracing: exit 2 and how to start it" { check_off 3.12; }
@test "3.13: not tracing: exit 2 and how to start it" { check_off 3.13; }

@test "a stripped Python: the traces are unavailable, and why" {
	[ -f "$BATS_FILE_TMPDIR/deb.pmd" ] || skip "no $DEBIAN_PY"
	assert_equal "$(pm_truth tracing "$BATS_FILE_TMPDIR/truth-deb")" 1
	run -2 --separate-stderr pm-types --by-line "$BATS_FILE_TMPDIR/deb.pmd"
	assert_equal "$stderr" "pm-types: tracemalloc traces unavailable: the snapshot lacks 'tracemalloc_traces', a static variable that only the symbol table of an unstripped Python names (this one is stripped)"
}

@test "-H, --csv, --json; bad combinations" {
	V=3.12
	need_version $V
	local s=$BATS_FILE_TMPDIR/$V.raw
	run -0 pm-types --by-line -H "$s"
	assert_line --index 0 "COUNT	BYTES	LOCATION"
	run -0 pm-types --by-line --json "$s"
	assert_line "{\"count\": $(t count), \"bytes\": $(t bytes), \"location\": \"$(t file):$(t line)\"}"
	run -0 pm-types --by-line --csv "$s"
	assert_line "$(t count),$(t bytes),$(t file):$(t line)"
	run -0 pm-objects --traceback --json "$s" < <(t sample.0 | cut -d' ' -f1)
	assert_output --regexp "\"repr\": \"<__main__.Slot object at 0x[0-9a-f]+>\", \"traceback\": \"$(t file):$(t line) < "
	run -0 pm-objects --traceback -H "$s" < <(t sample.0 | cut -d' ' -f1)
	assert_line --index 0 "ADDR	TYPE	SIZE	REPR	TRACEBACK"
	run -2 --separate-stderr pm-types --by-line --dict-owners "$s"
	assert_equal "${stderr_lines[0]}" "pm-types: --by-line cannot be used with --baseline, --memory, -v or --dict-owners"
	run -2 --separate-stderr pm-types --by-line -v "$s"
	assert_equal "${stderr_lines[0]}" "pm-types: --by-line cannot be used with --baseline, --memory, -v or --dict-owners"
	run -2 --separate-stderr pm-types --by-line --memory "$s"
	assert_equal "${stderr_lines[0]}" "pm-types: --by-line cannot be used with --baseline, --memory, -v or --dict-owners"
}

# tmcorrupt V EDIT...: the V snapshot with its trace table corrupted by
# each EDIT (tests/tmedit.py) in $BATS_TEST_TMPDIR/EDIT.raw; TABLE its
# address.
tmcorrupt() {
	local v=$1 py
	shift
	py=$(pm_pythons | awk 'END { print $2 }')
	"$PM_UNIT/layout-print" "${v#3.}" >"$BATS_TEST_TMPDIR/layout-$v" ||
	    fail "no $PM_UNIT/layout-print: run make units"
	run -0 "$py" "$BATS_TEST_DIRNAME/tmedit.py" "$BATS_TEST_TMPDIR/layout-$v" \
	    "$BATS_FILE_TMPDIR/$v.raw" "$BATS_TEST_TMPDIR" "$@"
	TABLE=$(printf '%s\n' "$output" | sed -n 's/^table //p')
}

check_corrupt() {
	V=$1
	need_version "$V"
	local f=$BATS_TEST_TMPDIR
	tmcorrupt "$V" count loop huge buckets
	run --separate-stderr timeout 60 pm-types --by-line "$f/count.raw"
	assert_equal "$status" 2
	assert_output ""
	assert_regex "$stderr" "^pm-types: tracemalloc trace table at $TABLE holds more than the [0-9]+ entries it counts \\(corrupt, or caught while it changed\\)\$"
	run --separate-stderr timeout 60 pm-objects --traceback -t __main__.Slot "$f/loop.raw"
	assert_equal "$status" 2
	assert_regex "$stderr" "^pm-objects: tracemalloc trace table at $TABLE holds more than the [0-9]+ entries it counts "
	run --separate-stderr timeout 60 pm-types --by-line "$f/huge.raw"
	assert_equal "$status" 2
	assert_equal "$stderr" "pm-types: corrupt tracemalloc trace table at $TABLE"
	run --separate-stderr timeout 60 pm-types --by-line "$f/buckets.raw"
	assert_equal "$status" 2
	assert_equal "$stderr" "pm-types: corrupt tracemalloc trace table at $TABLE"
}

@test "3.8: a corrupt trace table: exit 2, never a hang" { check_corrupt 3.8; }
@test "3.11: a corrupt trace table: exit 2, never a hang" { check_corrupt 3.11; }
@test "3.13: a corrupt trace table: exit 2, never a hang" { check_corrupt 3.13; }

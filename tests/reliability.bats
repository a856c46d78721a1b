#!/usr/bin/env bats
# Reliability and safety. A debugging tool is used on systems already in
# trouble: pm-dump must never make things worse, and no reader may crash
# or hang on what it reads. Every test asserts an exit status and the
# exact message.
#
# The reliability list, and where each item is tested ("file: title";
# no file means this one):
#
# Target safety (pm-dump)
#   SIGKILL at random points      "pm-dump killed at 20 random points ..."
#                                 pm-dump.bats: "SIGKILL while the target is
#                                 stopped leaves it running"
#   target exits during capture   "a target that exits during the capture ..."
#                                 "a target killed while pm-dump has it stopped ..."
#   target forks                  "a target that forks during the capture ..."
#   target starts threads         "a target that starts threads during ..."
#   already stopped stays so      pm-dump.bats: "a target stopped by SIGSTOP
#                                 stays stopped"
#   traced: strace, gdb           pm-dump.bats: "a target being debugged is
#                                 refused, naming the tracer" (strace);
#                                 "a target under gdb is refused, naming gdb"
#   another user, ptrace_scope    "another user's process is exit 3 ..."
#                                 "ptrace_scope above 0 ..." (skipped on a
#                                 kernel without Yama)
#   memory bounded                "pm-dump holds the target's memory plus a
#                                 bounded buffer"
#   closed pipe stops at once     "a closed output pipe stops pm-dump at once ..."
#                                 pm-dump.bats: "a reader that goes away ends
#                                 it without a message"
# Hostile input (every reader)
#   fuzzing                       make fuzz (tests/fuzz/, not run by check);
#                                 what fuzzing and review found is replayed
#                                 by the loops, bad files and record tests
#   loops, lying sizes            "3.X: loops in the interpreter state are
#                                 errors, lying objects are not believed"
#   record input                  "--baseline: ...", "addresses on stdin: ..."
#                                 (pm-objects, pm-refs)
#   ASan + UBSan                  make check-asan runs every suite, this one too
#   bad files                     "every reader: ... bad snapshot files ...",
#                                 "every reader: a terminal on stdin ...";
#                                 pm-types.bats: "bad snapshots: exit 2 ...",
#                                 "a flipped byte in the compressed stream ..."
#                                 (a stream cut inside its checksum: "zcut")
#   output                        "every reader: a closed pipe ..., /dev/full ..."
#                                 pm-types.bats: "a closed pipe ends quietly;
#                                 a full disk is exit 2"
# Confidentiality
#   files 0600, man page          pm-dump.bats: "-o creates a 0600 file ...",
#                                 "-o replaces an existing file whole, with mode
#                                 0600"; "... 0600 whatever the umask ...",
#                                 "the man pages say snapshots hold secrets"

load helper

READERS="pm-types pm-objects pm-strings pm-refs pm-tasks"

# Dump tests/targets/victims.py of each installed version, uncompressed.
setup_file() {
	local v py
	while read -r v py; do
		pm_start_target "$v" victims.py
		pm-dump -q --raw -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/$v.raw"
		pm_stop_target "$PM_TARGET_PID"
	done < <(pm_pythons)
}

teardown() {
	local p
	for p in ${HELPERS:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	pm_stop_target
}

# newest: set NEWEST to the newest installed version (skip, or fail under
# CI, if none).
newest() {
	local v py
	NEWEST=
	while read -r v py; do NEWEST=$v; done < <(pm_pythons)
	if [ -z "$NEWEST" ]; then
		pm_ci && fail "no python 3.8 to 3.13 installed"
		skip "no python 3.8 to 3.13 installed"
	fi
	return 0
}

# need_raw V: skip (fail under CI) when V was not dumped.
need_raw() {
	if [ ! -f "$BATS_FILE_TMPDIR/$1.raw" ]; then
		pm_ci && fail "python $1 is not installed"
		skip "python $1 is not installed"
	fi
}

# snapshot: set SNAP to a snapshot of the newest version, zstd-compressed,
# for the readers (its raw form is ${SNAP%.pmd}.raw).
snapshot() {
	newest
	need_raw "$NEWEST"
	SNAP=$BATS_FILE_TMPDIR/$NEWEST.pmd
	[ -f "$SNAP" ] ||
	    zstd -q -f "$BATS_FILE_TMPDIR/$NEWEST.raw" -o "$SNAP"
}

# The arguments a reader needs to print records from a snapshot.
reader_args() {
	case $1 in
	pm-refs) echo "--top 5" ;;
	*) echo "" ;;
	esac
}

# state PID: the one-letter state of a process or thread ("" when gone).
state() {
	sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null || true
}

# assert_free PID: every thread of PID runs (not stopped) and is not traced.
# A tracer's death detaches its tracees at once, but give it a moment.
# Threads that end meanwhile are no matter.
assert_free() {
	local pid=$1 i t st tr bad
	for ((i = 0; i < 50; i++)); do
		bad=
		[ -d "/proc/$pid" ] || bad="process $pid is gone"
		for t in /proc/"$pid"/task/*; do
			st=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' \
			    "$t/status" 2>/dev/null) || true
			tr=$(sed -n 's/^TracerPid:[[:space:]]*//p' "$t/status" \
			    2>/dev/null) || true
			case $st in
			t | T) bad="thread ${t##*/} is in state $st" ;;
			esac
			[ -z "$tr" ] || [ "$tr" = 0 ] ||
			    bad="thread ${t##*/} is traced by $tr"
		done
		[ -z "$bad" ] && return 0
		sleep 0.02
	done
	fail "target $pid: $bad"
}

# assert_ticks FILE: the target behind FILE still counts (dumpme.py).
assert_ticks() {
	local a b i
	a=$(cat "$1")
	for ((i = 0; i < 50; i++)); do
		sleep 0.02
		b=$(cat "$1")
		((b > a)) && return 0
	done
	fail "the target stopped ticking at $a"
}

# ---- target safety ----

@test "pm-dump killed at 20 random points: the target runs on, unchanged, and no file is left" {
	local v tick=$BATS_TEST_TMPDIR/tick d=$BATS_TEST_TMPDIR/d
	local t0 t1 ms run delay dp
	newest
	v=$NEWEST
	pm_start_target "$v" dumpme.py 100 2 "$tick"
	mkdir "$d"
	# Spread the kills over the time a whole dump takes.
	t0=$(date +%s%N)
	pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_TEST_TMPDIR/whole.pmd"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	for ((run = 0; run < 20; run++)); do
		echo old >"$d/app.pmd"
		delay=$((RANDOM % (ms + 1)))
		pm-dump -q -p "$PM_TARGET_PID" -o "$d/app.pmd" 3>&- &
		dp=$!
		sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
		kill -KILL "$dp" 2>/dev/null || true
		wait "$dp" 2>/dev/null || true
		assert_free "$PM_TARGET_PID"
		assert_ticks "$tick"
		# The output is the old file, or (killed after the rename) a
		# whole new snapshot; never a part, never a temporary.
		run ls -A "$d"
		assert_output app.pmd
		if [ "$(cat "$d/app.pmd" 2>/dev/null)" != old ]; then
			run -0 zstd -q -t "$d/app.pmd"
		fi
	done
	# What the target printed is what it printed before: no traceback,
	# no message from a signal it should never have seen.
	run cat "$PM_TARGET_OUT"
	assert_output READY
	run cat "$PM_TARGET_ERR"
	assert_output ""
}

# One dump of a target that is going away: exit 0 and a snapshot that
# reads, or exit 3 saying the process is gone; never another reason.
dump_vanishing() {
	local pid=$1 out=$BATS_TEST_TMPDIR/d/app.pmd
	run --separate-stderr pm-dump -q -p "$pid" -o "$out"
	case $status in
	0)
		run -0 pm-types "$out"
		assert_line --regexp $'\t\\(total\\)$'
		;;
	3)
		case $stderr in
		"pm-dump: cannot attach to pid $pid: No such process" | \
		"pm-dump: cannot read pid $pid: it exited during the capture") ;;
		*) fail "exit 3 for a process that exited, saying: $stderr" ;;
		esac
		;;
	*) fail "exit $status for a process that exited: $stderr" ;;
	esac
	run ls -A "$BATS_TEST_TMPDIR/d"
	[ "$output" = "" ] || [ "$output" = app.pmd ] ||
	    fail "left behind: $output"
	rm -f "$out"
}

@test "a target that exits during the capture: a snapshot or exit 3 saying it exited" {
	local v run
	newest
	v=$NEWEST
	mkdir "$BATS_TEST_TMPDIR/d"
	for ((run = 0; run < 10; run++)); do
		pm_start_target "$v" churn.py exit 30
		dump_vanishing "$PM_TARGET_PID"
		pm_stop_target "$PM_TARGET_PID"
	done
}

@test "a target killed while pm-dump has it stopped: exit 3 saying it exited" {
	local v run dp st caught
	newest
	v=$NEWEST
	mkdir "$BATS_TEST_TMPDIR/d"
	for ((run = 0; run < 5; run++)); do
		pm_start_target "$v" dumpme.py 200 1
		caught=0
		# A watcher kills the target the moment it is in a tracing stop.
		(
			while [ -d "/proc/$PM_TARGET_PID" ]; do
				st=$(state "$PM_TARGET_PID")
				if [ "$st" = t ]; then
					kill -KILL "$PM_TARGET_PID"
					exit 0
				fi
			done
		) 3>&- &
		dp=$!
		HELPERS="$dp"
		dump_vanishing "$PM_TARGET_PID"
		kill "$dp" 2>/dev/null || true
		wait "$dp" 2>/dev/null || true
		pm_stop_target "$PM_TARGET_PID"
	done
}

@test "a target that forks during the capture is dumped and nothing is left stopped" {
	local v run c
	newest
	v=$NEWEST
	pm_start_target "$v" churn.py fork 30
	for ((run = 0; run < 5; run++)); do
		run --separate-stderr pm-dump -q -p "$PM_TARGET_PID" \
		    -o "$BATS_TEST_TMPDIR/app.pmd"
		assert_success
		assert_equal "$stderr" ""
		run -0 pm-types "$BATS_TEST_TMPDIR/app.pmd"
		assert_line --regexp $'\t\\(total\\)$'
		assert_free "$PM_TARGET_PID"
		for c in $(ps -o pid= --ppid "$PM_TARGET_PID"); do
			case $(state "$c") in
			t | T) fail "child $c of the target is left stopped" ;;
			esac
		done
	done
	[ -z "$(cat "$PM_TARGET_ERR")" ] || fail "target: $(cat "$PM_TARGET_ERR")"
}

@test "a target that starts threads during the capture: a snapshot or exit 3 saying so, no thread left stopped" {
	local v run ok=0
	newest
	v=$NEWEST
	pm_start_target "$v" churn.py threads 30
	for ((run = 0; run < 5; run++)); do
		run --separate-stderr pm-dump -q -p "$PM_TARGET_PID" \
		    -o "$BATS_TEST_TMPDIR/app.pmd"
		case $status in
		0)
			ok=$((ok + 1))
			run -0 pm-types "$BATS_TEST_TMPDIR/app.pmd"
			assert_line --regexp $'\t\\(total\\)$'
			;;
		3)
			assert_equal "$stderr" "pm-dump: cannot stop pid $PM_TARGET_PID: new threads keep appearing"
			;;
		*) fail "exit $status: $stderr" ;;
		esac
		assert_free "$PM_TARGET_PID"
	done
	((ok > 0)) || fail "no dump of 5 succeeded"
	[ -z "$(cat "$PM_TARGET_ERR")" ] || fail "target: $(cat "$PM_TARGET_ERR")"
}

@test "a target under gdb is refused, naming gdb, and runs on after gdb leaves" {
	command -v gdb >/dev/null || skip "gdb is not installed"
	local v g i
	newest
	v=$NEWEST
	pm_start_target "$v" dumpme.py 1 0 "$BATS_TEST_TMPDIR/tick"
	g=$(gdb -q -batch -p "$PM_TARGET_PID" -ex 'shell sleep 30' \
	    </dev/null >/dev/null 2>&1 3>&- & echo $!)
	HELPERS=$g
	for ((i = 0; i < 100; i++)); do
		grep -q $'^TracerPid:\t0$' "/proc/$PM_TARGET_PID/status" || break
		sleep 0.1
	done
	run -3 --separate-stderr pm-dump -p "$PM_TARGET_PID" -o "$BATS_TEST_TMPDIR/app.pmd"
	assert_equal "$stderr" \
	    "pm-dump: cannot attach to pid $PM_TARGET_PID: already traced by pid $g (gdb)"
	[ ! -e "$BATS_TEST_TMPDIR/app.pmd" ] || fail "a file was left"
	kill -KILL "$g"
	assert_free "$PM_TARGET_PID"
	assert_ticks "$BATS_TEST_TMPDIR/tick"
}

# A copy of pm-dump that user nobody may run.
nobody_pm_dump() {
	local d
	d=$(mktemp -d /tmp/pmrel.XXXXXX)
	chmod 755 "$d"
	cp "$PM_BIN/pm-dump" "$d/"
	echo "$d/pm-dump"
}

@test "another user's process is exit 3 naming ptrace_scope and CAP_SYS_PTRACE" {
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	[ "$(id -u)" -eq 0 ] || skip "needs root, to become nobody"
	local v pd yama=/proc/sys/kernel/yama/ptrace_scope want
	newest
	v=$NEWEST
	pm_start_target "$v" dumpme.py 1 0
	pd=$(nobody_pm_dump)
	run -3 --separate-stderr setpriv --reuid=65534 --regid=65534 \
	    --clear-groups "$pd" -p "$PM_TARGET_PID" -o /dev/null
	rm -rf "${pd%/pm-dump}"
	if [ -r "$yama" ]; then
		want="pm-dump: cannot attach to pid $PM_TARGET_PID: Operation not permitted (/proc/sys/kernel/yama/ptrace_scope is $(cat "$yama"); run with CAP_SYS_PTRACE, or as the target's user with ptrace_scope 0)"
	else
		want="pm-dump: cannot attach to pid $PM_TARGET_PID: Operation not permitted (run as the target's user or with CAP_SYS_PTRACE; see /proc/sys/kernel/yama/ptrace_scope)"
	fi
	assert_equal "$stderr" "$want"
	assert_free "$PM_TARGET_PID"
}

@test "ptrace_scope above 0: the target's own user is refused, naming ptrace_scope" {
	local yama=/proc/sys/kernel/yama/ptrace_scope scope v py pd out pid i
	[ -r "$yama" ] || skip "this kernel has no Yama (no $yama)"
	scope=$(cat "$yama")
	[ "$scope" -gt 0 ] || skip "kernel.yama.ptrace_scope is 0"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	[ "$(id -u)" -eq 0 ] || skip "needs root, to become nobody"
	newest
	v=$NEWEST
	pm_python "$v"
	py=$PM_PY
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$py" ||
	    skip "user nobody cannot run $py"
	out=$(mktemp /tmp/pmrel.XXXXXX)
	chmod 666 "$out"
	pid=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$py" -c \
	    'import time; print("READY", flush=True); time.sleep(600)' \
	    >"$out" 2>&1 3>&- </dev/null & echo $!)
	HELPERS=$pid
	for ((i = 0; i < 100; i++)); do
		grep -q READY "$out" && break
		sleep 0.1
	done
	rm -f "$out"
	pd=$(nobody_pm_dump)
	run -3 --separate-stderr setpriv --reuid=65534 --regid=65534 \
	    --clear-groups "$pd" -p "$pid" -o /dev/null
	rm -rf "${pd%/pm-dump}"
	assert_equal "$stderr" "pm-dump: cannot attach to pid $pid: Operation not permitted (/proc/sys/kernel/yama/ptrace_scope is $scope; run with CAP_SYS_PTRACE, or as the target's user with ptrace_scope 0)"
}

# peak_over V MIB: dump a target of MIB mebibytes with two compression
# threads; set OVER to how many MiB pm-dump's peak RSS exceeded the bytes
# it captured by.
peak_over() {
	local v=$1 mib=$2 cap kb
	pm_start_target "$v" dumpme.py "$mib" 0
	run -0 --separate-stderr /usr/bin/time -f 'peak %M' pm-dump -T 2 \
	    -p "$PM_TARGET_PID" -o /dev/null
	pm_stop_target "$PM_TARGET_PID"
	cap=$(printf '%s\n' "$stderr" | sed -n 's/.* paused .* ms, \([0-9.]*\) MiB in .*/\1/p')
	kb=$(printf '%s\n' "$stderr" | sed -n 's/^peak \([0-9]*\)$/\1/p')
	[ -n "$cap" ] && [ -n "$kb" ] || fail "cannot read the figures: $stderr"
	OVER=$(awk -v c="$cap" -v k="$kb" 'BEGIN { printf "%d\n", k / 1024 - c }')
}

@test "pm-dump holds the target's memory plus a bounded buffer" {
	[ -x /usr/bin/time ] || skip "GNU time is not installed"
	local v small big
	newest
	v=$NEWEST
	peak_over "$v" 40
	small=$OVER
	peak_over "$v" 240
	big=$OVER
	echo "over the captured bytes: $small MiB (40 MiB target), $big MiB (240 MiB)"
	# The copy, plus zstd's buffers and the program: at most 96 MiB, and
	# the same for a target six times bigger.
	((small <= 96 && big <= 96)) || fail "over by $small and $big MiB"
	((big - small <= 16 && small - big <= 16)) ||
	    fail "the overhead grows with the target: $small, $big MiB"
}

@test "a closed output pipe stops pm-dump at once, the target long resumed" {
	local v tick=$BATS_TEST_TMPDIR/tick t=$BATS_TEST_TMPDIR pp i closed end
	newest
	v=$NEWEST
	pm_start_target "$v" dumpme.py 200 1 "$tick"
	# The reader takes the first bytes, then holds the pipe open for a
	# second before closing it; pm-dump writes only after the target
	# runs again, so it must be running (and ticking) meanwhile.
	(
		set +e
		{ pm-dump -q -p "$PM_TARGET_PID"; echo $? >"$t/rc"; date +%s%N >"$t/end"; } 2>"$t/err" |
		    { head -c 1 >/dev/null; touch "$t/first"; sleep 1; date +%s%N >"$t/closed"; }
	) 3>&- &
	pp=$!
	HELPERS=$pp
	for ((i = 0; i < 300; i++)); do
		[ -e "$t/first" ] && break
		sleep 0.05
	done
	[ -e "$t/first" ] || fail "pm-dump wrote nothing in 15 s"
	assert_free "$PM_TARGET_PID"
	assert_ticks "$tick"
	wait "$pp"
	closed=$(cat "$t/closed")
	end=$(cat "$t/end")
	echo "pm-dump ended $(((end - closed) / 1000000)) ms after the pipe closed"
	(((end - closed) / 1000000 < 500)) ||
	    fail "pm-dump ran on for $(((end - closed) / 1000000)) ms"
	run cat "$t/rc"
	assert_output 141
	run cat "$t/err"
	assert_output ""
	assert_free "$PM_TARGET_PID"
}

# ---- hostile input ----

# corrupt V EDIT: the V snapshot with EDIT applied (tests/fuzz/snapedit.py)
# in $BATS_TEST_TMPDIR/EDIT.raw; NAMED is the address the error names.
# Fails when the snapshot lacks what the edit needs.
corrupt() {
	local v=$1 edit=$2
	"$PM_UNIT/layout-print" "${v#3.}" >"$BATS_TEST_TMPDIR/layout-$v"
	run -0 "$(edit_python)" "$BATS_TEST_DIRNAME/fuzz/snapedit.py" \
	    "$BATS_TEST_TMPDIR/layout-$v" "$BATS_FILE_TMPDIR/$v.raw" \
	    "$BATS_TEST_TMPDIR/$edit.raw" "$edit"
	assert_line --index 0 --regexp '^0x[0-9a-f]+$'
	NAMED=$(printf '%s\n' "$output" | sed -n 's/^names //p')
}

# Any installed python runs snapedit.py.
edit_python() {
	pm_pythons | awk 'END { print $2 }'
}

# census P: pm-types P, bounded in time: a hang fails the test.
census() {
	run --separate-stderr timeout 60 pm-types "$1"
	[ "$status" -ne 124 ] || fail "pm-types hung on $1"
}

# loops V: every loop the interpreter state may hold ends in an error
# (exit 2, naming it); objects whose fields lie are left out or cut short,
# and the census of the rest stands.
loops() {
	local v=$1 f=$BATS_TEST_TMPDIR c dq
	need_raw "$v"
	corrupt "$v" interp-loop
	census "$f/interp-loop.raw"
	assert_equal "$status" 2
	assert_equal "$stderr" "pm-types: corrupt snapshot: interpreter list loops at $NAMED"

	corrupt "$v" thread-loop
	census "$f/thread-loop.raw"
	assert_equal "$status" 2
	assert_equal "$stderr" "pm-types: corrupt snapshot: thread list of interpreter $NAMED loops"

	corrupt "$v" frame-loop
	census "$f/frame-loop.raw"
	assert_equal "$status" 2
	assert_equal "$stderr" "pm-types: corrupt snapshot: frame chain of thread state $NAMED loops"

	# A GC list that loops without coming back to its head (the oldest
	# generation may be empty right after a collection: then skipped).
	if "$(edit_python)" "$BATS_TEST_DIRNAME/fuzz/snapedit.py" \
	    "$f/layout-$v" "$BATS_FILE_TMPDIR/$v.raw" "$f/gc-loop.raw" gc-loop \
	    >"$f/gc-loop.out" 2>/dev/null; then
		NAMED=$(sed -n 's/^names //p' "$f/gc-loop.out")
		census "$f/gc-loop.raw"
		assert_equal "$status" 2
		assert_equal "$stderr" "pm-types: corrupt snapshot: GC list at $NAMED does not end"
	fi

	# The 100 instances of a class whose tp_base loops are no objects.
	census "$BATS_FILE_TMPDIR/$v.raw"
	assert_success
	assert_line --regexp $'^100\t[0-9]+\t__main__\\.Victim$'
	dq=$(count_of collections.deque)
	corrupt "$v" type-base-loop
	census "$f/type-base-loop.raw"
	assert_success
	assert_equal "$stderr" ""
	refute_line --regexp 'Victim'
	assert_line --regexp $'\t\\(total\\)$'

	# A dict whose keys claim more entries than slots, or more slots
	# than were captured, has no contents: it is counted bare.
	for c in dict-entries dict-size; do
		corrupt "$v" "$c"
		census "$f/$c.raw"
		assert_success
		assert_equal "$stderr" ""
		assert_line --regexp $'^1\t(80|88)\t__main__\\.Holder$'
	done

	# A deque that claims 2^31 items in a block linked to itself is no
	# object (bigger than the snapshot); the census of the rest stands.
	corrupt "$v" deque-loop
	census "$f/deque-loop.raw"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(count_of collections.deque)" "$((dq - 1))"
	assert_line --regexp $'^100\t[0-9]+\t__main__\\.Victim$'
}

# count_of TYPE: the count in the pm-types $output row for TYPE, or 0.
count_of() {
	printf '%s\n' "$output" | awk -F'\t' -v t="$1" '
	    $3 == t { n = $1 } END { print n + 0 }'
}

@test "3.8: loops in the interpreter state are errors, lying objects are not believed" { loops 3.8; }
@test "3.9: loops in the interpreter state are errors, lying objects are not believed" { loops 3.9; }
@test "3.10: loops in the interpreter state are errors, lying objects are not believed" { loops 3.10; }
@test "3.11: loops in the interpreter state are errors, lying objects are not believed" { loops 3.11; }
@test "3.12: loops in the interpreter state are errors, lying objects are not believed" { loops 3.12; }
@test "3.13: loops in the interpreter state are errors, lying objects are not believed" { loops 3.13; }

# readers: the analysis programs that are built.
readers() {
	local p
	for p in $READERS; do
		[ -x "$PM_BIN/$p" ] && echo "$p"
	done
	return 0
}

@test "every reader: bad snapshot files are exit 2 with one line naming the problem" {
	local s f=$BATS_TEST_TMPDIR p args raw
	snapshot
	s=$SNAP
	raw=${s%.pmd}.raw
	: >"$f/empty"
	printf 'hello, world\n' >"$f/hello"
	# The right first byte, the wrong rest of the magic.
	{ printf '\211XMSNAP\n'; tail -c +9 "$raw" | head -c 4096; } >"$f/magic"
	# A format this pmtools does not know: 2.
	{ head -c 8 "$raw"; printf '\002\000\000\000'; tail -c +13 "$raw"; } >"$f/format2"
	head -c $(($(stat -c %s "$raw") / 2)) "$raw" >"$f/rawcut"
	# The zstd stream cut inside its 4-byte checksum, and one whose
	# checksum does not match.
	head -c $(($(stat -c %s "$s") - 2)) "$s" >"$f/zcut"
	cp "$s" "$f/zflip"
	printf '\125' | dd of="$f/zflip" bs=1 seek=$(($(stat -c %s "$s") - 3)) \
	    conv=notrunc status=none
	mkdir "$f/dir"
	for p in $(readers); do
		args=$(reader_args "$p")
		# shellcheck disable=SC2086
		{
		run -2 --separate-stderr "$p" $args "$f/empty"
		assert_equal "$stderr" "$p: cannot read '$f/empty': empty file"
		run -2 --separate-stderr "$p" $args "$f/hello"
		assert_equal "$stderr" "$p: cannot read '$f/hello': not a pmtools snapshot"
		run -2 --separate-stderr "$p" $args "$f/magic"
		assert_equal "$stderr" "$p: cannot read '$f/magic': not a pmtools snapshot"
		run -2 --separate-stderr "$p" $args "$f/format2"
		assert_equal "$stderr" "$p: cannot read '$f/format2': snapshot format 2 is not supported (this pmtools reads format 1)"
		run -2 --separate-stderr "$p" $args "$f/rawcut"
		assert_equal "$stderr" "$p: cannot read '$f/rawcut': truncated snapshot"
		run -2 --separate-stderr "$p" $args "$f/zcut"
		assert_equal "$stderr" "$p: cannot read '$f/zcut': truncated snapshot"
		run -2 --separate-stderr "$p" $args "$f/zflip"
		assert_equal "$stderr" "$p: cannot read '$f/zflip': corrupt compressed stream: Restored data doesn't match checksum"
		run -2 --separate-stderr "$p" $args "$f/dir"
		assert_equal "$stderr" "$p: cannot read '$f/dir': is a directory"
		run -2 --separate-stderr "$p" $args /dev/null
		assert_equal "$stderr" "$p: cannot read '/dev/null': empty file"
		run -2 --separate-stderr "$p" $args - <"$f/zcut"
		assert_equal "$stderr" "$p: cannot read '<stdin>': truncated snapshot"
		run -2 --separate-stderr "$p" $args <"$f/format2"
		assert_equal "$stderr" "$p: cannot read '<stdin>': snapshot format 2 is not supported (this pmtools reads format 1)"
		}
	done
}

@test "every reader: a terminal on stdin is exit 2 with one line" {
	command -v script >/dev/null || skip "script(1) is not installed"
	local p args
	for p in $(readers); do
		args=$(reader_args "$p")
		# Standard error to a file: no progress, just the message.
		run -2 script -qec "$PM_BIN/$p $args 2>'$BATS_TEST_TMPDIR/err'" /dev/null
		run cat "$BATS_TEST_TMPDIR/err"
		assert_output "$p: cannot read '<stdin>': is a terminal (give a snapshot file or pipe one in)"
	done
}

@test "every reader: a closed pipe ends quietly, /dev/full is exit 2 with a message" {
	local s p args
	snapshot
	s=$SNAP
	for p in $(readers); do
		args=$(reader_args "$p")
		run --separate-stderr bash -c \
		    "$p $args '$s' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
		assert_output --regexp '^(0|141)$'
		assert_equal "$stderr" ""
		# SIGPIPE ignored by whoever started it: EPIPE, still quiet.
		run --separate-stderr bash -c \
		    "trap '' PIPE; $p $args '$s' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
		assert_output --regexp '^(0|141)$'
		assert_equal "$stderr" ""
		run -2 --separate-stderr bash -c "$p $args '$s' >/dev/full"
		assert_equal "$stderr" "$p: write error on standard output: No space left on device"
	done
}

# ---- record input ----

@test "--baseline: wrong fields, NULs, bad numbers and empty input are exit 2 naming the line; CRLF, gone types, huge lines are read" {
	local s f=$BATS_TEST_TMPDIR long
	snapshot
	s=$SNAP
	run -0 pm-types "$s"
	printf '%s\n' "$output" >"$f/base.tsv"
	{ head -n 2 "$f/base.tsv"; printf '1\t2\n'; } >"$f/fields"
	run -2 --separate-stderr pm-types --baseline "$f/fields" "$s"
	assert_equal "$stderr" "pm-types: cannot read '$f/fields': line 3: expected 3 fields, found 2"
	assert_output ""
	printf '1\t2\tdi\0ct\n' >"$f/nul"
	run -2 --separate-stderr pm-types --baseline "$f/nul" "$s"
	assert_equal "$stderr" "pm-types: cannot read '$f/nul': line 1: NUL byte"
	printf '1\t2\tdict\nx\t2\tlist\n' >"$f/count"
	run -2 --separate-stderr pm-types --baseline "$f/count" "$s"
	assert_equal "$stderr" "pm-types: cannot read '$f/count': line 2: invalid count 'x'"
	: >"$f/empty"
	run -2 --separate-stderr pm-types --baseline "$f/empty" "$s"
	assert_equal "$stderr" "pm-types: cannot read '$f/empty': empty file"
	# CRLF line ends read as LF: no growth against itself.
	sed 's/$/\r/' "$f/base.tsv" >"$f/crlf"
	run -0 --separate-stderr pm-types --baseline "$f/crlf" "$s"
	assert_equal "$stderr" ""
	assert_output --regexp $'^0\t0\t[0-9]+\t[0-9]+\t\\(total\\)$'
	# A type only in the baseline is gone: its count and bytes now are 0.
	{ cat "$f/base.tsv"; printf '5\t7\tgone.Type\n'; } >"$f/gone"
	run -0 --separate-stderr pm-types --baseline "$f/gone" "$s"
	assert_equal "$stderr" ""
	assert_line --index 0 "$(printf -- '-5\t-7\t0\t0\tgone.Type')"
	# A 1 MiB type name is such a type too, and is read in seconds
	# (under ASan too: a field buffer grown linearly would take minutes).
	long=$(head -c 1048576 /dev/zero | tr '\0' x)
	{ cat "$f/base.tsv"; printf '1\t2\t%s\n' "$long"; } >"$f/huge"
	run --separate-stderr timeout 60 pm-types --baseline "$f/huge" "$s"
	[ "$status" -ne 124 ] || fail "a 1 MiB line took pm-types over 60 s"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" | awk -F'\t' '
	    $5 ~ /^x+$/ { print $1, $2, $3, $4, length($5) }' >"$f/huge.out"
	run cat "$f/huge.out"
	assert_output "-1 -2 0 0 1048576"
}

@test "addresses on stdin: a bad line is exit 2 naming it; CRLF is read, empty input is no objects" {
	local s a b long p want
	snapshot
	s=$SNAP
	run -0 pm-objects -t __main__.Victim "$s"
	a=$(printf '%s\n' "${lines[0]}" | cut -f1)
	b=$(printf '%s\n' "${lines[1]}" | cut -f1)
	long=0x$(head -c 1048576 /dev/zero | tr '\0' 1)
	for p in pm-objects pm-refs; do
		[ -x "$PM_BIN/$p" ] || continue
		run -2 --separate-stderr "$p" "$s" < <(printf '%s\nbogus\n' "$a")
		assert_equal "$stderr" "$p: line 2 of '<stdin>': 'bogus' is not an address"
		assert_output ""
		run -2 --separate-stderr "$p" "$s" < <(printf '%s\0\n' "$a")
		assert_equal "$stderr" "$p: line 1 of '<stdin>': binary data, not records"
		# A 1 MiB line, in seconds (see --baseline above).
		run --separate-stderr timeout 60 "$p" "$s" < <(printf '%s\n' "$long")
		[ "$status" -ne 124 ] || fail "a 1 MiB line took $p over 60 s"
		assert_equal "$status" 2
		assert_equal "$stderr" "$p: line 1 of '<stdin>': '${long:0:40}...' is not an address"
		run -2 --separate-stderr "$p" "$s" < <(printf '0x10\n')
		assert_equal "$stderr" "$p: no object at 0x10"
		# CRLF line ends read as LF.
		run -0 --separate-stderr "$p" "$s" < <(printf '%s\n%s\n' "$a" "$b")
		want=$output
		run -0 --separate-stderr "$p" "$s" < <(printf '%s\r\n%s\r\n' "$a" "$b")
		assert_equal "$stderr" ""
		assert_equal "$output" "$want"
		[ -n "$want" ] || fail "$p printed nothing for two objects"
		# An empty pipe: no addresses, nothing to print (/dev/null is
		# not a pipe: with it the snapshot is answered as without input).
		run -0 --separate-stderr "$p" "$s" < <(:)
		assert_equal "$stderr" ""
		assert_output ""
	done
	# pm-objects prints the objects in the order given.
	run -0 pm-objects "$s" < <(printf '%s\r\n%s\r\n' "$a" "$b")
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^$a	__main__\\.Victim	"
	assert_line --index 1 --regexp "^$b	__main__\\.Victim	"
}

# ---- confidentiality ----

@test "pm-dump -o makes a 0600 file whatever the umask, and a raw one too" {
	local v
	newest
	v=$NEWEST
	pm_start_target "$v" dumpme.py 1 0
	run -0 bash -c "umask 000; pm-dump -q -p $PM_TARGET_PID -o '$BATS_TEST_TMPDIR/a.pmd'"
	run stat -c %a "$BATS_TEST_TMPDIR/a.pmd"
	assert_output 600
	run -0 bash -c "umask 000; pm-dump -q --raw -p $PM_TARGET_PID -o '$BATS_TEST_TMPDIR/b.raw'"
	run stat -c %a "$BATS_TEST_TMPDIR/b.raw"
	assert_output 600
}

@test "the man pages say snapshots hold secrets and are made 0600" {
	local m=$BATS_TEST_DIRNAME/../man
	run -0 grep -c 'mode 0600' "$m/pm-dump.1"
	run -0 grep -il 'passwords, keys' "$m/pm-dump.1" "$m/pm-snapshot.5"
	assert_equal "${#lines[@]}" 2
}

#!/usr/bin/env bats
# pm-dump against real targets: every installed CPython 3.8 to 3.13.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

setup() {
	PATH="${PM_BIN:-$BATS_TEST_DIRNAME/../bin}:$PATH"
	TARGETS=()
}

teardown() {
	local p
	for p in "${TARGETS[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	done
}

# Set PY to the interpreter for version $1, or skip (fail under CI).
need_python() {
	local root
	PY=
	if root=$(pyenv root 2>/dev/null); then
		PY=$(ls -d "$root"/versions/"$1".*/bin/python"$1" 2>/dev/null |
		    sort -V | tail -n 1)
	fi
	if [ -z "$PY" ] || [ ! -x "$PY" ]; then
		if [ "${CI:-}" = true ]; then
			fail "python $1 is not installed (pyenv)"
		fi
		skip "python $1 is not installed"
	fi
}

# Any installed version, newest first, for tests that need just one.
need_any_python() {
	local v root
	root=$(pyenv root 2>/dev/null) || root=/nonexistent
	for v in 3.13 3.12 3.11 3.10 3.9 3.8; do
		PY=$(ls -d "$root"/versions/"$v".*/bin/python"$v" 2>/dev/null |
		    sort -V | tail -n 1)
		if [ -n "$PY" ]; then
			PYV=$v
			return 0
		fi
	done
	[ "${CI:-}" = true ] && fail "no python 3.8 to 3.13 installed"
	skip "no python 3.8 to 3.13 installed"
}

# start_target MIB THREADS [TICKFILE]: run dumpme.py, wait for READY.
start_target() {
	local out="$BATS_TEST_TMPDIR/target.$RANDOM.out" i
	# Started from a subshell: not a job of ours, so no "Killed" notices.
	TARGET=$("$PY" "$BATS_TEST_DIRNAME/targets/dumpme.py" "$@" \
	    >"$out" 2>&1 3>&- & echo $!)
	TARGETS+=("$TARGET")
	for ((i = 0; i < 600; i++)); do
		grep -qx READY "$out" && return 0
		kill -0 "$TARGET" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out" >&2
	fail "target did not start"
}

proc_state() {
	sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status"
}

assert_running() {
	local st
	st=$(proc_state "$1")
	[ -n "$st" ] || fail "target $1 is gone"
	case $st in
	T | t) fail "target $1 is left stopped (state $st)" ;;
	esac
}

pause_re() {
	# pm-dump: pid 4242 (python 3.12): paused 41.2 ms, 412.3 MiB in 231 mappings, 3 threads
	printf '^pm-dump: pid %s \\(python %s\\): paused [0-9]+\\.[0-9] ms, [0-9]+\\.[0-9] MiB in [0-9]+ mappings, %s$' \
	    "$1" "${2//./\\.}" "$3"
}

# Dump a 20 MiB target with 2 extra threads of version $1 and check it.
dump_version() {
	need_python "$1"
	start_target 20 2
	run --separate-stderr bash -c \
	    "pm-dump -p $TARGET >'$BATS_TEST_TMPDIR/out.pmd'"
	assert_success
	assert_equal "$output" ""
	assert_regex "$stderr" "$(pause_re "$TARGET" "$1" "3 threads")"
	assert_running "$TARGET"
	run zstd -q -t "$BATS_TEST_TMPDIR/out.pmd"
	assert_success
	# The stream holds the format magic: 0x89 "PMSNAP\n", format 1.
	run bash -c "zstd -qdc '$BATS_TEST_TMPDIR/out.pmd' | head -c 12 | od -An -tx1 | tr -d ' \n'"
	assert_output "89504d534e41500a01000000"
}

@test "pm-dump: python 3.8 target is dumped and keeps running" {
	dump_version 3.8
}

@test "pm-dump: python 3.9 target is dumped and keeps running" {
	dump_version 3.9
}

@test "pm-dump: python 3.10 target is dumped and keeps running" {
	dump_version 3.10
}

@test "pm-dump: python 3.11 target is dumped and keeps running" {
	dump_version 3.11
}

@test "pm-dump: python 3.12 target is dumped and keeps running" {
	dump_version 3.12
}

@test "pm-dump: python 3.13 target is dumped and keeps running" {
	dump_version 3.13
}

@test "pm-dump: -o creates a 0600 file and leaves no temporary behind" {
	need_any_python
	start_target 5 0
	mkdir "$BATS_TEST_TMPDIR/d"
	run --separate-stderr pm-dump -q -o "$BATS_TEST_TMPDIR/d/app.pmd" \
	    -p "$TARGET"
	assert_success
	assert_equal "$stderr" ""
	run stat -c %a "$BATS_TEST_TMPDIR/d/app.pmd"
	assert_output 600
	run ls -A "$BATS_TEST_TMPDIR/d"
	assert_output app.pmd
	run zstd -q -t "$BATS_TEST_TMPDIR/d/app.pmd"
	assert_success
	assert_running "$TARGET"
}

@test "pm-dump: -o replaces an existing file whole, with mode 0600" {
	need_any_python
	start_target 5 0
	mkdir "$BATS_TEST_TMPDIR/d"
	echo old >"$BATS_TEST_TMPDIR/d/app.pmd"
	chmod 644 "$BATS_TEST_TMPDIR/d/app.pmd"
	run -0 pm-dump -q --raw --output="$BATS_TEST_TMPDIR/d/app.pmd" \
	    --pid="$TARGET"
	run stat -c %a "$BATS_TEST_TMPDIR/d/app.pmd"
	assert_output 600
	run bash -c "head -c 8 '$BATS_TEST_TMPDIR/d/app.pmd' | od -An -tx1 | tr -d ' \n'"
	assert_output "89504d534e41500a"
	run ls -A "$BATS_TEST_TMPDIR/d"
	assert_output app.pmd
}

@test "pm-dump: a failed dump leaves an existing -o file alone" {
	mkdir "$BATS_TEST_TMPDIR/d"
	echo old >"$BATS_TEST_TMPDIR/d/app.pmd"
	run -3 pm-dump -o "$BATS_TEST_TMPDIR/d/app.pmd" -p 2147483647
	run cat "$BATS_TEST_TMPDIR/d/app.pmd"
	assert_output old
	run ls -A "$BATS_TEST_TMPDIR/d"
	assert_output app.pmd
}

@test "pm-dump: SIGKILL while the target is stopped leaves it running" {
	need_any_python
	local tick="$BATS_TEST_TMPDIR/tick" caught=0 try dp st a b
	start_target 300 2 "$tick"
	mkdir "$BATS_TEST_TMPDIR/d"
	echo old >"$BATS_TEST_TMPDIR/d/app.pmd"
	for ((try = 0; try < 5 && !caught; try++)); do
		pm-dump -q -o "$BATS_TEST_TMPDIR/d/app.pmd" -p "$TARGET" \
		    3>&- &
		dp=$!
		# Kill it the moment the target is in a tracing stop.
		while kill -0 "$dp" 2>/dev/null; do
			st=$(<"/proc/$TARGET/status")
			if [[ $st == *$'State:\tt'* ]]; then
				kill -KILL "$dp"
				caught=1
				break
			fi
		done
		{ wait "$dp"; } 2>/dev/null || true
		[ "$caught" = 1 ] || echo old >"$BATS_TEST_TMPDIR/d/app.pmd"
	done
	[ "$caught" = 1 ] || fail "never saw the target stopped by pm-dump"
	sleep 0.2
	assert_running "$TARGET"
	run grep TracerPid "/proc/$TARGET/status"
	assert_output $'TracerPid:\t0'
	# It still does its work.
	a=$(<"$tick")
	sleep 0.3
	b=$(<"$tick")
	((b > a)) || fail "target stopped ticking ($a, $b)"
	# The output file is untouched and nothing else was left.
	run cat "$BATS_TEST_TMPDIR/d/app.pmd"
	assert_output old
	run ls -A "$BATS_TEST_TMPDIR/d"
	assert_output app.pmd
}

@test "pm-dump: a target stopped by SIGSTOP stays stopped" {
	need_any_python
	start_target 5 1
	kill -STOP "$TARGET"
	sleep 0.1
	run -0 bash -c "pm-dump -q -p $TARGET >/dev/null"
	sleep 0.1
	run proc_state "$TARGET"
	assert_output T
	kill -CONT "$TARGET"
	sleep 0.1
	assert_running "$TARGET"
}

@test "pm-dump: no such process is exit 3" {
	run -3 --separate-stderr bash -c "pm-dump -p 2147483647 >/dev/null"
	assert_equal "$stderr" \
	    "pm-dump: cannot attach to pid 2147483647: No such process"
}

@test "pm-dump: a process that is not Python is exit 2" {
	local sp
	sp=$(sleep 100 >/dev/null 2>&1 3>&- & echo $!)
	TARGETS+=("$sp")
	run -2 --separate-stderr bash -c "pm-dump -p $sp >/dev/null"
	assert_equal "$stderr" "pm-dump: pid $sp is not a Python process (no _PyRuntime symbol in its executable or libraries)"
	assert_running "$sp"
}

@test "pm-dump: refuses a terminal on stdout before attaching" {
	command -v script >/dev/null || skip "script(1) is not installed"
	# A nonexistent pid: the terminal check must come first (exit 2, not 3).
	run -2 script -qec "pm-dump -p 2147483647" /dev/null
	assert_output --partial \
	    "pm-dump: refusing to write a snapshot to a terminal; use -o FILE or a pipe"
}

@test "pm-dump: a reader that goes away ends it without a message" {
	need_any_python
	start_target 20 0
	run --separate-stderr bash -c \
	    "pm-dump -q -p $TARGET | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_equal "$stderr" ""
	assert_output --regexp '^(0|2|141)$'
	# Same with SIGPIPE ignored: EPIPE must be quiet too.
	run --separate-stderr bash -c \
	    "trap '' PIPE; pm-dump -q -p $TARGET | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_equal "$stderr" ""
	assert_output --regexp '^(0|2|141)$'
	# Without -q only the pause line is printed.
	run --separate-stderr bash -c \
	    "pm-dump -p $TARGET | head -c 100 >/dev/null"
	assert_regex "$stderr" "$(pause_re "$TARGET" "$PYV" "1 thread")"
	assert_running "$TARGET"
}

@test "pm-dump: a target being debugged is refused, naming the tracer" {
	command -v strace >/dev/null || skip "strace is not installed"
	need_any_python
	start_target 1 0
	local st i
	st=$(strace -p "$TARGET" -o /dev/null >/dev/null 2>&1 3>&- & echo $!)
	TARGETS+=("$st")
	for ((i = 0; i < 50; i++)); do
		grep -q $'TracerPid:\t0' "/proc/$TARGET/status" || break
		sleep 0.1
	done
	run -3 --separate-stderr bash -c "pm-dump -p $TARGET >/dev/null"
	kill "$st"
	assert_equal "$stderr" \
	    "pm-dump: cannot attach to pid $TARGET: already traced by pid $st (strace)"
}

@test "pm-dump: usage errors are exit 2" {
	run -2 --separate-stderr pm-dump
	assert_equal "${stderr_lines[0]}" "pm-dump: no process given: use -p PID"
	run -2 --separate-stderr pm-dump -p ''
	assert_equal "$stderr" "pm-dump: invalid --pid value ''"
	run -2 --separate-stderr pm-dump -l 99 -p 1
	assert_equal "$stderr" "pm-dump: invalid --level value '99'"
	run -2 pm-dump -p 1 extra
}

@test "pm-dump: --version" {
	run -0 pm-dump --version
	assert_output --regexp '^pm-dump [0-9]+\.[0-9]+\.[0-9]+$'
}

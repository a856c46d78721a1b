#!/usr/bin/env bats
# pm-dump --core, and interpreters beyond pyenv's shared builds.
#
# A census target of every installed CPython 3.8 to 3.13 is dumped live
# and with gcore; the core, turned into a snapshot, must give the very
# census of the live dump. Debian's static /usr/bin/python3.11 the same,
# plus the census it measured itself. Targets whose interpreter does not
# export _PyRuntime (tests/targets/unexport.py hides it) are found by the
# heuristic scan, which must say so and still count exactly. Then a core
# the kernel wrote for a crashed target, cores read elsewhere (--sysroot,
# --exe) and hostile cores (exit 2, never a crash).

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"
DEBIAN_PY=/usr/bin/python3.11
CENSUS_ARGS="10000 7000 3000"

# start_bg NAME PYTHON [ENV=VALUE...]: start census.py with PYTHON in the
# background (in $BATS_FILE_TMPDIR/NAME/), not waiting for it.
start_bg() {
	local name=$1 py=$2 dir=$BATS_FILE_TMPDIR/$1 pid
	shift 2
	mkdir -p "$dir"
	pid=$(cd "$dir" && exec env "$@" "$py" "$BATS_TEST_DIRNAME/targets/census.py" \
	    "$dir/truth" $CENSUS_ARGS >"$dir/out" 2>"$dir/err" 3>&- \
	    </dev/null & echo $!)
	echo "$pid" >"$dir/pid"
	PM_TARGETS="${PM_TARGETS:-} $pid"
	export PM_TARGETS
}

# wait_ready NAME: wait up to 60 s for the target's READY; 1 if it died.
wait_ready() {
	local dir=$BATS_FILE_TMPDIR/$1 i
	for ((i = 0; i < 600; i++)); do
		grep -q '^READY' "$dir/out" 2>/dev/null && return 0
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# dump_both NAME: live dump, gcore, and the core turned into a snapshot,
# each with its stderr kept.
dump_both() {
	local dir=$BATS_FILE_TMPDIR/$1 pid
	pid=$(cat "$dir/pid")
	pm-dump -p "$pid" -o "$dir/live.pmd" 2>"$dir/live.err" || true
	gcore -o "$dir/core" "$pid" >/dev/null 2>&1 || true
	[ -f "$dir/core.$pid" ] && mv "$dir/core.$pid" "$dir/core"
	pm-dump --core "$dir/core" -o "$dir/core.pmd" 2>"$dir/core.err" || true
}

# A pyenv tree of version $1 whose libpython does not export _PyRuntime.
unexported_tree() {
	local v=$1 py=$2 src tree lib
	src=${py%/bin/*}
	tree=$BATS_FILE_TMPDIR/tree-h$v
	mkdir -p "$tree/bin" "$tree/lib"
	cp -p "$py" "$tree/bin/"
	for f in "$src"/lib/*; do
		case ${f##*/} in
		libpython*) ;;
		*) ln -s "$f" "$tree/lib/" ;;
		esac
	done
	lib=$(cd "$src/lib" && ls libpython"$v".so.1.0)
	"$py" "$BATS_TEST_DIRNAME/targets/unexport.py" "$src/lib/$lib" \
	    "$tree/lib/$lib" _PyRuntime
	echo "$tree"
}

setup_file() {
	local v py tree
	command -v gcore >/dev/null || return 0
	while read -r v py; do
		start_bg "$v" "$py"
		tree=$(unexported_tree "$v" "$py")
		start_bg "h$v" "$tree/bin/python$v" LD_LIBRARY_PATH="$tree/lib"
	done < <(pm_pythons)
	if [ -x "$DEBIAN_PY" ]; then
		start_bg deb "$DEBIAN_PY"
		mkdir -p "$BATS_FILE_TMPDIR/hdeb-bin"
		"$DEBIAN_PY" "$BATS_TEST_DIRNAME/targets/unexport.py" "$DEBIAN_PY" \
		    "$BATS_FILE_TMPDIR/hdeb-bin/python3.11" _PyRuntime
		start_bg hdeb "$BATS_FILE_TMPDIR/hdeb-bin/python3.11"
	fi
	for d in "$BATS_FILE_TMPDIR"/*/pid; do
		d=${d%/pid}
		wait_ready "${d##*/}" && dump_both "${d##*/}"
	done
}

teardown_file() {
	pm_stop_target
}

# Targets a test started itself, ended after it (PM_TARGETS set in a
# test does not reach teardown_file).
TEST_TARGETS=()
teardown() {
	local p
	for p in "${TEST_TARGETS[@]}"; do
		pm_stop_target "$p"
	done
}

need_gcore() {
	if ! command -v gcore >/dev/null; then
		pm_ci && fail "gcore (gdb) is not installed"
		skip "gcore (gdb) is not installed"
	fi
}

# need NAME: the target NAME was started and is READY, or skip (fail
# under CI for the pythons the matrix must have).
need() {
	local dir=$BATS_FILE_TMPDIR/$1
	need_gcore
	if [ ! -f "$dir/pid" ]; then
		pm_ci && fail "no python for target $1"
		skip "no python for target $1"
	fi
	grep -q '^READY' "$dir/out" ||
	    fail "target $1 did not start: $(cat "$dir/err")"
}

truth() {
	awk -v k="$2" '$1 == k { print $2 }' "$BATS_FILE_TMPDIR/$1/truth"
}

# assert_classes NAME: $output has the planted classes' exact rows.
assert_classes() {
	local name
	for name in __main__.Plain __main__.Slotted __main__.DictSub; do
		assert_line "$(printf '%s\t%s\t%s' "$(truth "$1" "$name.count")" \
		    "$(truth "$1" "$name.bytes")" "$name")"
	done
}

# same_census NAME: the core gives the live census, row for row, and the
# planted classes are exact.
same_census() {
	local dir=$BATS_FILE_TMPDIR/$1 live
	need "$1"
	assert_regex "$(cat "$dir/core.err")" "^pm-dump: core '${dir//./\\.}/core' of pid $(cat "$dir/pid") \\(python ${2//./\\.}\\): [0-9]+\\.[0-9] MiB in [0-9]+ mappings, 1 thread$"
	run -0 pm-types "$dir/live.pmd"
	assert_classes "$1"
	live=$output
	run -0 pm-types "$dir/core.pmd"
	assert_classes "$1"
	assert_equal "$output" "$live"
}

@test "3.8: a gcore core gives the live census" { same_census 3.8 3.8; }
@test "3.9: a gcore core gives the live census" { same_census 3.9 3.9; }
@test "3.10: a gcore core gives the live census" { same_census 3.10 3.10; }
@test "3.11: a gcore core gives the live census" { same_census 3.11 3.11; }
@test "3.12: a gcore core gives the live census" { same_census 3.12 3.12; }
@test "3.13: a gcore core gives the live census" { same_census 3.13 3.13; }

@test "debian python3.11 (static, stripped): live census exact, core the same" {
	[ -x "$DEBIAN_PY" ] || {
		pm_ci && fail "$DEBIAN_PY is not installed (make deps)"
		skip "$DEBIAN_PY is not installed"
	}
	same_census deb 3.11
}

@test "the core snapshot summary names the core, pid, mappings and threads" {
	local dir=$BATS_FILE_TMPDIR/3.12
	need 3.12
	run -0 --separate-stderr pm-dump --core "$dir/core" -o "$BATS_TEST_TMPDIR/x.pmd"
	assert_output ""
	assert_regex "$stderr" "^pm-dump: core '${dir//./\\.}/core' of pid $(cat "$dir/pid") \\(python 3\\.12\\): [0-9]+\\.[0-9] MiB in [0-9]+ mappings, 1 thread$"
	# The header says it comes from a core: flags bit 0 (offset 8 of the
	# info record after the 16-byte file header and 16-byte record header).
	run bash -c "zstd -qdc '$BATS_TEST_TMPDIR/x.pmd' | od -An -tx1 -j 40 -N 4 | tr -d ' \n'"
	assert_output 01000000
}

# heuristic NAME VERSION: no exported _PyRuntime: the live dump and the
# core are found by scanning, say so, and count exactly.
heuristic() {
	local dir=$BATS_FILE_TMPDIR/$1 pid
	need "$1"
	pid=$(cat "$dir/pid")
	assert_equal "$(head -n 1 "$dir/live.err")" "pm-dump: pid $pid: no _PyRuntime symbol; the interpreter was found by a heuristic scan, so the results are heuristic"
	assert_equal "$(head -n 1 "$dir/core.err")" "pm-dump: core '$dir/core': no _PyRuntime symbol; the interpreter was found by a heuristic scan, so the results are heuristic"
	assert_regex "$(sed -n 2p "$dir/live.err")" "^pm-dump: pid $pid \\(python ${2//./\\.}\\): paused "
	run -0 pm-types "$dir/live.pmd"
	assert_classes "$1"
	live=$output
	run -0 pm-types "$dir/core.pmd"
	assert_equal "$output" "$live"
}

@test "3.8: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.8 3.8; }
@test "3.9: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.9 3.9; }
@test "3.10: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.10 3.10; }
@test "3.11: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.11 3.11; }
@test "3.12: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.12 3.12; }
@test "3.13: without _PyRuntime exported, the heuristic scan counts exactly" { heuristic h3.13 3.13; }

@test "debian python3.11 without _PyRuntime exported: heuristic, exact" {
	[ -x "$DEBIAN_PY" ] || skip "$DEBIAN_PY is not installed"
	heuristic hdeb 3.11
}

@test "a core the kernel wrote for a crashed target gives its census" {
	local pattern dir=$BATS_TEST_TMPDIR/crash pid core
	pattern=$(cat /proc/sys/kernel/core_pattern)
	case $pattern in
	'|'* | */*) skip "core_pattern '$pattern' does not write cores in the cwd" ;;
	esac
	pm_python 3.12
	mkdir "$dir"
	pid=$(cd "$dir" && ulimit -c unlimited && exec "$PM_PY" \
	    "$BATS_TEST_DIRNAME/targets/census.py" "$dir/truth" $CENSUS_ARGS \
	    >"$dir/out" 2>&1 3>&- </dev/null & echo $!)
	TEST_TARGETS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		grep -q '^READY' "$dir/out" && break
		sleep 0.1
	done
	pm-dump -q -p "$pid" -o "$dir/live.pmd"
	kill -ABRT "$pid"
	for ((i = 0; i < 100; i++)); do
		[ -d "/proc/$pid" ] || break
		[[ $(cat "/proc/$pid/stat" 2>/dev/null) == *") Z "* ]] && break
		sleep 0.1
	done
	core=$(ls -t "$dir" | grep '^core' | head -n 1)
	[ -n "$core" ] || skip "no core written (ulimit or core_pattern '$pattern')"
	run -0 --separate-stderr pm-dump --core "$dir/$core" -o "$dir/core.pmd"
	assert_regex "$stderr" "^pm-dump: core '.*' of pid $pid \\(python 3\\.12\\): "
	run -0 pm-types "$dir/live.pmd"
	live=$output
	run -0 pm-types "$dir/core.pmd"
	assert_equal "$output" "$live"
	name=__main__.Plain
	assert_line "$(printf '%s\t%s\t%s' "$(awk -v k=$name.count '$1 == k { print $2 }' "$dir/truth")" \
	    "$(awk -v k=$name.bytes '$1 == k { print $2 }' "$dir/truth")" "$name")"
	# Cut short by a size limit (the kernel writes its notes first):
	# what is there is read, with a warning.
	head -c $(($(stat -c %s "$dir/$core") / 2)) "$dir/$core" >"$dir/short"
	run --separate-stderr pm-dump --core "$dir/short" -o /dev/null
	[ "$status" -eq 0 ] || [ "$status" -eq 2 ] || fail "exit $status: $stderr"
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" "pm-dump: core '$dir/short' is truncated: the memory past its end is left out"
}

# A target run from a copy of a pyenv tree, dumped with gcore; then the
# copy is moved away, as when a core is read on another machine.
@test "--sysroot finds the files a core names under another root" {
	local dir=$BATS_TEST_TMPDIR tree pid lib
	need_gcore
	pm_python 3.12
	tree=$dir/img/opt/pmcore-py
	mkdir -p "$tree"
	cp -al "${PM_PY%/bin/*}/." "$tree/"
	pid=$(cd "$dir" && LD_LIBRARY_PATH=$tree/lib exec "$tree/bin/python3.12" \
	    "$BATS_TEST_DIRNAME/targets/census.py" "$dir/truth" $CENSUS_ARGS \
	    >"$dir/out" 2>&1 3>&- </dev/null & echo $!)
	TEST_TARGETS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		grep -q '^READY' "$dir/out" && break
		sleep 0.1
	done
	gcore -o "$dir/core" "$pid" >/dev/null 2>&1
	pm_stop_target "$pid"
	mkdir -p "$dir/sysroot$dir"
	mv "$dir/img" "$dir/sysroot$dir/img"
	lib=$tree/lib/libpython3.12.so.1.0
	run -2 --separate-stderr pm-dump --core "$dir/core.$pid" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot open '$lib', which the core '$dir/core.$pid' names: No such file or directory (use --sysroot or --exe)"
	run -0 --separate-stderr pm-dump -q --sysroot "$dir/sysroot" \
	    --core "$dir/core.$pid" -o "$dir/x.pmd"
	assert_equal "$stderr" ""
	run -0 pm-types "$dir/x.pmd"
	for name in __main__.Plain __main__.Slotted __main__.DictSub; do
		assert_line "$(printf '%s\t%s\t%s' \
		    "$(awk -v k="$name.count" '$1 == k { print $2 }' "$dir/truth")" \
		    "$(awk -v k="$name.bytes" '$1 == k { print $2 }' "$dir/truth")" "$name")"
	done
}

@test "--exe reads the executable from elsewhere, and a different one is reported" {
	local dir=$BATS_TEST_TMPDIR pid
	need_gcore
	[ -x "$DEBIAN_PY" ] || skip "$DEBIAN_PY is not installed"
	mkdir "$dir/a" "$dir/b" "$dir/c"
	cp "$DEBIAN_PY" "$dir/a/python3.11"
	pid=$(cd "$dir" && exec "$dir/a/python3.11" \
	    "$BATS_TEST_DIRNAME/targets/census.py" "$dir/truth" $CENSUS_ARGS \
	    >"$dir/out" 2>&1 3>&- </dev/null & echo $!)
	TEST_TARGETS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		grep -q '^READY' "$dir/out" && break
		sleep 0.1
	done
	gcore -o "$dir/core" "$pid" >/dev/null 2>&1
	pm_stop_target "$pid"
	mv "$dir/a/python3.11" "$dir/b/python3.11"
	run -2 --separate-stderr pm-dump --core "$dir/core.$pid" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot open '$dir/a/python3.11', which the core '$dir/core.$pid' names: No such file or directory (use --sysroot or --exe)"
	run -0 --separate-stderr pm-dump -q --exe "$dir/b/python3.11" \
	    --core "$dir/core.$pid" -o "$dir/x.pmd"
	assert_equal "$stderr" ""
	run -0 pm-types "$dir/x.pmd"
	name=__main__.Plain
	assert_line "$(printf '%s\t%s\t%s' \
	    "$(awk -v k="$name.count" '$1 == k { print $2 }' "$dir/truth")" \
	    "$(awk -v k="$name.bytes" '$1 == k { print $2 }' "$dir/truth")" "$name")"
	# The same file but for one byte of its ELF header padding.
	cp "$dir/b/python3.11" "$dir/c/python3.11"
	printf '\001' | dd of="$dir/c/python3.11" bs=1 seek=10 conv=notrunc status=none
	run -0 --separate-stderr pm-dump -q --exe "$dir/c/python3.11" \
	    --core "$dir/core.$pid" -o /dev/null
	assert_equal "$stderr" "pm-dump: '$dir/c/python3.11' is not the file the core's process mapped as '$dir/a/python3.11' (its first page differs): symbols and constants read from it may be wrong"
}

@test "files that are not cores are refused with a reason" {
	local t=$BATS_TEST_TMPDIR
	: >"$t/empty"
	run -2 --separate-stderr pm-dump --core "$t/empty" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '$t/empty': not an ELF file"
	printf 'not an elf file, but long enough to hold an ELF header ......\n' >"$t/text"
	run -2 --separate-stderr pm-dump --core "$t/text" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '$t/text': not an ELF file"
	run -2 --separate-stderr pm-dump --core "$t" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '$t': is a directory"
	run -2 --separate-stderr pm-dump --core "$t/missing" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot open '$t/missing': No such file or directory"
	run -2 --separate-stderr pm-dump --core /dev/null -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '/dev/null': not a regular file"
	run -2 --separate-stderr pm-dump --core /bin/sh -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '/bin/sh': not a core file (an ELF file of another type)"
}

@test "a gcore core cut before its notes is refused" {
	local dir=$BATS_FILE_TMPDIR/3.12
	need 3.12
	head -c 4096 "$dir/core" >"$BATS_TEST_TMPDIR/short"
	run -2 --separate-stderr pm-dump --core "$BATS_TEST_TMPDIR/short" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot read core '$BATS_TEST_TMPDIR/short': truncated (notes past the end)"
}

@test "--exe and --sysroot need --core; -p and --core exclude each other" {
	run -2 --separate-stderr pm-dump --exe /bin/sh -p 1
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" "pm-dump: --exe and --sysroot go with --core"
	run -2 --separate-stderr pm-dump -p 1 --core /nonexistent
	assert_equal "$(printf '%s\n' "$stderr" | head -n 1)" "pm-dump: give one of -p, --pid-file and --core"
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 2p)" "usage: pm-dump [-qv] [-l level] [-o file] [-T threads] [--raw] -p pid|pattern"
}

@test "corrupted cores end in exit 0 or 2, never a crash" {
	need 3.12
	pm_python 3.12
	run -0 "$PM_PY" "$BATS_TEST_DIRNAME/targets/corefuzz.py" "$PM_BIN/pm-dump" \
	    "$BATS_FILE_TMPDIR/3.12/core" "$BATS_TEST_TMPDIR/fuzz.core" 150 1
	assert_output "ok 150"
}

@test "a core of a threaded target records every thread" {
	local dir=$BATS_TEST_TMPDIR pid
	need_gcore
	pm_python 3.12
	pid=$(exec "$PM_PY" "$BATS_TEST_DIRNAME/targets/dumpme.py" 2 4 \
	    >"$dir/out" 2>&1 3>&- </dev/null & echo $!)
	TEST_TARGETS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		grep -qx READY "$dir/out" && break
		sleep 0.1
	done
	gcore -o "$dir/core" "$pid" >/dev/null 2>&1
	run -0 --separate-stderr pm-dump --core "$dir/core.$pid" -o /dev/null
	assert_regex "$stderr" "^pm-dump: core '.*' of pid $pid \\(python 3\\.12\\): [0-9.]+ MiB in [0-9]+ mappings, 5 threads$"
}

#!/usr/bin/env bats
# pm-dump and the ways of naming a target: a process in its own pid and
# mount namespace (a container, made with unshare and pivot_root from a
# copied interpreter tree, no container runtime), dumped from the host by
# its host pid, on every installed CPython 3.8 to 3.13; a chrooted one;
# --pid-file; -p with a name pattern that must match exactly one process.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"
CENSUS_ARGS="10000 7000 3000"

# The child of pid $1 (unshare --fork has one: the namespace's pid 1).
child_of() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
	c=${c%% *}
	[ -n "$c" ] && echo "$c"
}

# start_ns NAME VERSION PYTHON [chroot]: copy PYTHON's tree (hard links)
# to ROOT/opt/pmns-pyVERSION, start census.py in it as pid 1 of new pid
# and mount namespaces, not waiting for it.
start_ns() {
	local name=$1 v=$2 py=$3 mode=${4:-} dir=$BATS_FILE_TMPDIR/$1 root upid
	root=$dir/root
	mkdir -p "$root/opt" "$root/tmp"
	cp -al "${py%/bin/*}" "$root/opt/pmns-py$v"
	cp "$BATS_TEST_DIRNAME/targets/census.py" "$root/census.py"
	upid=$(PM_CONTAINER_CHROOT=$([ "$mode" = chroot ] && echo 1 || echo 0) \
	    LD_LIBRARY_PATH=/opt/pmns-py$v/lib exec unshare --pid --mount --fork \
	    sh "$BATS_TEST_DIRNAME/targets/container.sh" "$root" \
	    "/opt/pmns-py$v/bin/python$v" /census.py /tmp/truth $CENSUS_ARGS \
	    >"$dir/out" 2>"$dir/err" 3>&- </dev/null & echo $!)
	echo "$upid" >"$dir/upid"
	PM_TARGETS="${PM_TARGETS:-} $upid"
	export PM_TARGETS
}

# wait_ns NAME: wait for READY and write the host pid of the target.
wait_ns() {
	local dir=$BATS_FILE_TMPDIR/$1 upid c i
	upid=$(cat "$dir/upid")
	for ((i = 0; i < 600; i++)); do
		if grep -q '^READY' "$dir/out" 2>/dev/null; then
			c=$(child_of "$upid") || return 1
			echo "$c" >"$dir/pid"
			# Killing the namespace's pid 1 ends it.
			PM_TARGETS="$c ${PM_TARGETS:-}"
			export PM_TARGETS
			return 0
		fi
		kill -0 "$upid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

setup_file() {
	local v py
	unshare --pid --mount --fork true 2>/dev/null || return 0
	while read -r v py; do
		start_ns "$v" "$v" "$py"
		[ "$v" = 3.12 ] && start_ns chroot3.12 3.12 "$py" chroot
	done < <(pm_pythons)
	for d in "$BATS_FILE_TMPDIR"/*/upid; do
		d=${d%/upid}
		wait_ns "${d##*/}" || true
	done
}

teardown_file() {
	pm_stop_target
}

# Targets a test started itself (start_named), ended after it.
TEST_TARGETS=()
teardown() {
	local p
	for p in "${TEST_TARGETS[@]}"; do
		pm_stop_target "$p"
	done
}

need_ns() {
	local dir=$BATS_FILE_TMPDIR/$1
	if ! unshare --pid --mount --fork true 2>/dev/null; then
		pm_ci && fail "unshare --pid --mount is not permitted here"
		skip "unshare --pid --mount is not permitted here (needs root)"
	fi
	if [ ! -f "$dir/upid" ]; then
		pm_ci && fail "python for $1 is not installed"
		skip "python for $1 is not installed"
	fi
	[ -f "$dir/pid" ] || fail "namespaced target $1 did not start: $(cat "$dir/err")"
}

# ns_census NAME VERSION: dumped from the host by its host pid, with the
# files read through /proc/PID/root; the census is exact.
ns_census() {
	local dir=$BATS_FILE_TMPDIR/$1 v=$2 pid truth name
	need_ns "$1"
	pid=$(cat "$dir/pid")
	truth=$dir/root/tmp/truth
	# Inside, it is pid 1; its interpreter's path does not exist here.
	assert_equal "$(awk '$1 == "pid" { print $2 }' "$truth")" 1
	[ ! -e "/opt/pmns-py$v" ] || fail "/opt/pmns-py$v exists on the host"
	run -0 --separate-stderr pm-dump -v -p "$pid" -o "$dir/ns.pmd"
	assert_output ""
	assert_regex "$(printf '%s\n' "$stderr" | grep '^pm-dump: interpreter in')" \
	    "^pm-dump: interpreter in '/opt/pmns-py${v//./\\.}/lib/libpython${v//./\\.}\\.so\\.1\\.0' at bias 0x[0-9a-f]+ \\([0-9]+ data symbols\\)$"
	assert_regex "$(printf '%s\n' "$stderr" | grep '^pm-dump: pid')" \
	    "^pm-dump: pid $pid \\(python ${v//./\\.}\\): paused [0-9]+\\.[0-9] ms, "
	run -0 pm-types "$dir/ns.pmd"
	for name in __main__.Plain __main__.Slotted __main__.DictSub; do
		assert_line "$(printf '%s\t%s\t%s' \
		    "$(awk -v k="$name.count" '$1 == k { print $2 }' "$truth")" \
		    "$(awk -v k="$name.bytes" '$1 == k { print $2 }' "$truth")" "$name")"
	done
}

@test "3.8: a target in its own pid+mount namespace, by its host pid" { ns_census 3.8 3.8; }
@test "3.9: a target in its own pid+mount namespace, by its host pid" { ns_census 3.9 3.9; }
@test "3.10: a target in its own pid+mount namespace, by its host pid" { ns_census 3.10 3.10; }
@test "3.11: a target in its own pid+mount namespace, by its host pid" { ns_census 3.11 3.11; }
@test "3.12: a target in its own pid+mount namespace, by its host pid" { ns_census 3.12 3.12; }
@test "3.13: a target in its own pid+mount namespace, by its host pid" { ns_census 3.13 3.13; }

@test "a chrooted target in its own namespaces: the maps show host paths" {
	local dir=$BATS_FILE_TMPDIR/chroot3.12 pid truth name
	need_ns chroot3.12
	pid=$(cat "$dir/pid")
	truth=$dir/root/tmp/truth
	run -0 --separate-stderr pm-dump -v -p "$pid" -o "$dir/x.pmd"
	assert_regex "$(printf '%s\n' "$stderr" | grep '^pm-dump: interpreter in')" \
	    "^pm-dump: interpreter in '${dir//./\\.}/root/opt/pmns-py3\\.12/lib/libpython3\\.12\\.so\\.1\\.0' "
	run -0 pm-types "$dir/x.pmd"
	for name in __main__.Plain __main__.Slotted __main__.DictSub; do
		assert_line "$(printf '%s\t%s\t%s' \
		    "$(awk -v k="$name.count" '$1 == k { print $2 }' "$truth")" \
		    "$(awk -v k="$name.bytes" '$1 == k { print $2 }' "$truth")" "$name")"
	done
}

# start_named TOKEN: a census target whose command line holds TOKEN.
start_named() {
	pm_start_target 3.12 census.py "$BATS_TEST_TMPDIR/$1-$RANDOM" 1000 700 300
	TEST_TARGETS+=("$PM_TARGET_PID")
}

# The command line of pid $1 as pm-dump shows it among candidates.
cmdline_of() {
	local c
	c=$(tr '\0' ' ' <"/proc/$1/cmdline")
	c=${c% }
	[ "${#c}" -gt 80 ] && c="${c:0:80}..."
	printf '%s' "$c"
}

@test "--pid-file names the target" {
	local pid
	start_named pmpf
	pid=$PM_TARGET_PID
	printf ' %s\n' "$pid" >"$BATS_TEST_TMPDIR/app.pid"
	run -0 --separate-stderr pm-dump --pid-file "$BATS_TEST_TMPDIR/app.pid" \
	    -o "$BATS_TEST_TMPDIR/x.pmd"
	assert_regex "$stderr" "^pm-dump: pid $pid \\(python 3\\.12\\): paused "
	run -0 pm-types "$BATS_TEST_TMPDIR/x.pmd"
	assert_line "$(printf '1000\t%s\t__main__.Plain' "$(pm_truth __main__.Plain.bytes "$(ls "$BATS_TEST_TMPDIR"/pmpf-*)")")"
}

@test "--pid-file without a pid in it is refused" {
	local f=$BATS_TEST_TMPDIR/bad.pid
	printf '12x\n' >"$f"
	run -2 --separate-stderr pm-dump --pid-file "$f" -o /dev/null
	assert_equal "$stderr" "pm-dump: pid file '$f' holds no pid"
	: >"$f"
	run -2 --separate-stderr pm-dump --pid-file "$f" -o /dev/null
	assert_equal "$stderr" "pm-dump: pid file '$f' holds no pid"
	run -2 --separate-stderr pm-dump --pid-file "$f.missing" -o /dev/null
	assert_equal "$stderr" "pm-dump: cannot open pid file '$f.missing': No such file or directory"
	printf '99999999999\n' >"$f"
	run -2 --separate-stderr pm-dump --pid-file "$f" -o /dev/null
	assert_equal "$stderr" "pm-dump: pid file '$f' holds no pid"
}

@test "-p PATTERN dumps the one process it matches" {
	local token=pmone$$x$RANDOM pid
	start_named "$token"
	pid=$PM_TARGET_PID
	run -0 --separate-stderr pm-dump -p "$token" -o "$BATS_TEST_TMPDIR/x.pmd"
	assert_regex "$stderr" "^pm-dump: pid $pid \\(python 3\\.12\\): paused "
	# An extended regular expression, anchored to the command line.
	run -0 --separate-stderr pm-dump -p "^[^ ]*/python3\\.12 [^ ]*census\\.py [^ ]*$token-[0-9]+ 1000 700 300$" \
	    -o /dev/null
	assert_regex "$stderr" "^pm-dump: pid $pid "
}

@test "-p PATTERN matching several processes lists them and fails" {
	local token=pmtwo$$x$RANDOM a b
	start_named "$token"
	a=$PM_TARGET_PID
	start_named "$token"
	b=$PM_TARGET_PID
	[ "$a" -lt "$b" ] || { local t=$a; a=$b; b=$t; }
	run -2 --separate-stderr pm-dump -p "$token" -o /dev/null
	assert_equal "$stderr" "pm-dump: '$token' matches 2 processes: $a ($(cmdline_of "$a")), $b ($(cmdline_of "$b")); use -p PID"
	assert_output ""
}

@test "-p PATTERN matching nothing is exit 3; a bad pattern exit 2" {
	run -3 --separate-stderr pm-dump -p "pmnone$$x$RANDOM-no-such" -o /dev/null
	assert_regex "$stderr" "^pm-dump: no process matches 'pmnone[0-9x]+-no-such'$"
	run -2 --separate-stderr pm-dump -p '(' -o /dev/null
	assert_equal "$stderr" "pm-dump: invalid process pattern '(': Unmatched ( or \\("
}

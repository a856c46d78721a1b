# tests/helper.bash - shared by the bats suites: `load helper` first thing.
#
# Environment it honours:
#   PM_BIN   directory of the programs under test (default: ../bin); make
#            check sets bin/, make check-asan bin-asan/
#   PM_UNIT  directory of the unit helpers built from tests/unit/*.c
#            (default: ../build/unit)
#   CI       when set (not "false"), a missing python fails a test instead
#            of skipping it
#
# Functions:
#   pm_pythons                  installed interpreters, "3.X PATH" per line
#   pm_python VERSION           set PM_PY to that interpreter, or skip (fail
#                               under CI)
#   pm_start_target VERSION SCRIPT [ARG...]
#                               start a target, wait for its READY line
#   pm_stop_target [PID]        kill it (default: every target started)
#   pm_truth KEY [FILE]         print the VALUE of a "KEY VALUE" line
#
# The pm_pythons function works outside bats too (tests/run-bats uses it).

PM_VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

# pm_ci: true when running under CI.
pm_ci() {
	case ${CI:-} in
	'' | false | 0) return 1 ;;
	esac
	return 0
}

# pm_pythons: print "3.X /path/to/python3.X" for each of 3.8 to 3.13
# installed under $(pyenv root)/versions, the newest patch release of each
# (3.X.Y directories only: no -dev, no free-threaded 3.13t builds).
pm_pythons() {
	local root v d best py
	root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
	for v in $PM_VERSIONS; do
		best=
		for d in "$root"/versions/"$v".*; do
			[[ ${d##*/} =~ ^3\.[0-9]+\.[0-9]+$ ]] || continue
			py=$d/bin/python$v
			[ -x "$py" ] || continue
			if [ -z "$best" ] ||
			    [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1)" = "$d" ]; then
				best=$d
			fi
		done
		[ -n "$best" ] && printf '%s %s\n' "$v" "$best/bin/python$v"
	done
	return 0
}

# pm_python VERSION: set PM_PY to the interpreter for 3.X, or skip the
# test when it is not installed (fail when CI is set: CI must test all).
pm_python() {
	local v p
	PM_PY=
	while read -r v p; do
		[ "$v" = "$1" ] && PM_PY=$p
	done < <(pm_pythons)
	if [ -z "$PM_PY" ]; then
		pm_ci && fail "python $1 is not installed under pyenv"
		skip "python $1 is not installed"
	fi
}

# pm_start_target VERSION SCRIPT [ARG...]: run SCRIPT (a path, or a name
# in tests/targets/) with python VERSION in the background, stdout to
# $PM_TARGET_OUT and stderr to $PM_TARGET_ERR, and wait up to 20 s for a
# line "READY" (or "READY ..."). Sets and exports PM_TARGET_PID. Fails with
# the target's stderr if it exits first. Usable in setup_file.
pm_start_target() {
	local version=$1 script=$2 dir i
	shift 2
	pm_python "$version"
	[ -f "$script" ] || script=$BATS_TEST_DIRNAME/targets/$script
	dir=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-$BATS_RUN_TMPDIR}}
	PM_TARGET_OUT=$(mktemp "$dir/target.XXXXXX.out")
	PM_TARGET_ERR=${PM_TARGET_OUT%.out}.err
	# Started from a subshell, so it is not a job of this shell (no
	# "Killed" notices), with fd 3 closed so bats does not wait for it.
	PM_TARGET_PID=$("$PM_PY" "$script" "$@" >"$PM_TARGET_OUT" \
	    2>"$PM_TARGET_ERR" 3>&- </dev/null & echo $!)
	PM_TARGETS="${PM_TARGETS:-} $PM_TARGET_PID"
	export PM_TARGET_PID PM_TARGET_OUT PM_TARGET_ERR PM_TARGETS
	for ((i = 0; i < 200; i++)); do
		grep -Eq '^READY( |$)' "$PM_TARGET_OUT" && return 0
		kill -0 "$PM_TARGET_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PM_TARGET_PID" 2>/dev/null; then
		pm_stop_target "$PM_TARGET_PID"
		fail "target ${script##*/} (python $version) not READY after 20 s: $(cat "$PM_TARGET_ERR")"
	fi
	fail "target ${script##*/} (python $version) exited: $(cat "$PM_TARGET_ERR")"
}

# pm_stop_target [PID]: end the target PID, or every target started, even
# a stopped one; waits up to 2 s for each to be gone.
pm_stop_target() {
	local p i
	for p in ${1:-${PM_TARGETS:-}}; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
		for ((i = 0; i < 20; i++)); do
			[ -d "/proc/$p" ] || break
			# A zombie of ours is gone as far as tests care.
			[[ $(cat "/proc/$p/stat" 2>/dev/null) == *") Z "* ]] && break
			sleep 0.1
		done
	done
	[ -n "${1:-}" ] || PM_TARGETS=
	return 0
}

# pm_truth KEY [FILE]: print the VALUE of the first "KEY VALUE" line of
# FILE (default: the target's stdout). VALUE is the rest of the line after
# one space. Fails when KEY is missing.
pm_truth() {
	local key=$1 file=${2:-$PM_TARGET_OUT} line
	while IFS= read -r line; do
		if [ "${line%% *}" = "$key" ]; then
			printf '%s\n' "${line#* }"
			return 0
		fi
	done <"$file"
	fail "no '$key' in truth file $file"
}

# The conventions of the suites that dump one target per version in
# setup_file: $BATS_FILE_TMPDIR/V.pmd is the snapshot of version V and
# $BATS_FILE_TMPDIR/truth-V what its target wrote about itself.

# need_version V: skip the test when V is not installed (fail under CI).
need_version() {
	if [ ! -f "$BATS_FILE_TMPDIR/$1.pmd" ]; then
		pm_ci && fail "python $1 is not installed"
		skip "python $1 is not installed"
	fi
}

# truth V KEY: the value of KEY in the truth file of version V.
truth() {
	pm_truth "$2" "$BATS_FILE_TMPDIR/truth-$1"
}

# Inside bats: the version check, the assertion libraries and PATH.
if declare -F bats_load_library >/dev/null; then
	bats_require_minimum_version 1.5.0
	if ! bats_load_library bats-support 2>/dev/null; then
		load /usr/lib/bats/bats-support/load
	fi
	if ! bats_load_library bats-assert 2>/dev/null; then
		load /usr/lib/bats/bats-assert/load
	fi
	PM_BIN=${PM_BIN:-$BATS_TEST_DIRNAME/../bin}
	PM_UNIT=${PM_UNIT:-$BATS_TEST_DIRNAME/../build/unit}
	PATH=$PM_BIN:$PATH
	export PM_BIN PM_UNIT PATH
fi

#!/usr/bin/env bats
# lib/pylayout.c against the headers of every installed CPython 3.8-3.13
# (tests/layout/check.sh). Needs "make units" first.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# Skip unless python 3.$1 is installed under pyenv (fail under CI).
need_python() {
	local root
	root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
	if ! ls -d "$root"/versions/3."$1".[0-9]* >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			fail "python 3.$1 is not installed (pyenv)"
		fi
		skip "python 3.$1 is not installed"
	fi
}

check() {
	need_python "$1"
	run bash "$BATS_TEST_DIRNAME/layout/check.sh" "$1"
	assert_success
	assert_output --partial "checked: 3.$1"
}

@test "layout table matches the 3.8 headers" { check 8; }
@test "layout table matches the 3.9 headers" { check 9; }
@test "layout table matches the 3.10 headers" { check 10; }
@test "layout table matches the 3.11 headers" { check 11; }
@test "layout table matches the 3.12 headers" { check 12; }
@test "layout table matches the 3.13 headers" { check 13; }

@test "layout-print refuses an unsupported version" {
	local build=${PM_BUILD:-build}
	[[ $build = /* ]] || build=$BATS_TEST_DIRNAME/../$build
	run "${PM_UNIT:-$build/unit}/layout-print" 7
	assert_failure 2
	assert_output --partial "3.7 is not supported"
}

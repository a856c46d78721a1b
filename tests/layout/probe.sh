#!/usr/bin/env bash
# probe.sh MINOR - compile probe.c against the headers of the newest
# installed CPython 3.MINOR (pyenv) and print its "KEY VALUE" lines.
# Exit 3 when that version is not installed, 2 when the probe does not build.
# $CC picks the compiler (default cc).
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# The install prefix of the newest 3.MINOR under pyenv, or nothing.
py_prefix() {
	local root
	root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
	ls -d "$root"/versions/3."$1".* 2>/dev/null | grep -E "/3\\.$1\\.[0-9]+\$" |
	    sort -V | tail -n 1
}

if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: probe.sh minor" >&2
	exit 2
fi
minor=$1
prefix=$(py_prefix "$minor")
inc=$prefix/include/python3.$minor
if [ -z "$prefix" ]; then
	echo "probe.sh: python 3.$minor is not installed" >&2
	exit 3
fi
if [ ! -f "$inc/Python.h" ]; then
	echo "probe.sh: no headers for python 3.$minor in $inc" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmprobe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# gnu11: the internal headers of some versions use GNU extensions.
if ! ${CC:-cc} -std=gnu11 -O0 -Wno-deprecated-declarations -DPy_BUILD_CORE \
    -I"$inc" -I"$inc/internal" -o "$tmp/probe" "$here/probe.c"; then
	echo "probe.sh: cannot build the probe against $inc" >&2
	exit 2
fi
"$tmp/probe"

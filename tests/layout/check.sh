#!/usr/bin/env bash
# check.sh [minor ...] - compare lib/pylayout.c with the headers of every
# installed CPython 3.8 to 3.13 (or of the versions named, 8 for 3.8):
# build tests/layout/probe.c against each, and check every key the probe
# prints against "layout-print MINOR". Run "make units" first; the build
# directory is $PM_BUILD (default build), or $PM_UNIT names the
# directory of the unit helpers directly.
#
# Prints each mismatch as "3.12 DICT_MA_KEYS: table 32, headers 40", then
# the versions checked. Exit 0 when all agree, 1 on a mismatch, 2 on
# trouble (no layout-print, a probe that does not build, a version named
# but not installed).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PM_BUILD:-build}
case $build in
/*) ;;
*) build=$root/$build ;;
esac
print=${PM_UNIT:-$build/unit}/layout-print

if [ ! -x "$print" ]; then
	echo "check.sh: $print not found: run make units first" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	minors="$*"
	explicit=1
else
	minors="8 9 10 11 12 13"
	explicit=0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmcheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

status=0
checked=
for m in $minors; do
	rc=0
	bash "$here/probe.sh" "$m" > "$tmp/probe" 2> "$tmp/err" || rc=$?
	if [ $rc -eq 3 ] && [ $explicit -eq 0 ]; then
		echo "3.$m: not installed, skipped"
		continue
	fi
	if [ $rc -ne 0 ]; then
		cat "$tmp/err" >&2
		status=2
		continue
	fi
	if ! "$print" "$m" > "$tmp/table"; then
		status=2
		continue
	fi
	# Print the mismatches; count the keys checked into $tmp/n and list
	# those the probe cannot see into $tmp/unchecked.
	awk -v v="3.$m" -v nfile="$tmp/n" '
	NR == FNR { table[$1] = $2; next }
	{
		seen[$1] = 1
		n++
		if (!($1 in table))
			printf "%s %s: not in the table, headers %s\n", v, $1, $2
		else if (table[$1] != $2)
			printf "%s %s: table %s, headers %s\n", v, $1, table[$1], $2
	}
	END {
		print n + 0 > nfile
		for (k in table)
			if (!(k in seen))
				print k
	}' "$tmp/table" "$tmp/probe" > "$tmp/result"
	grep ': ' "$tmp/result" && [ $status -eq 0 ] && status=1
	unchecked=$(grep -v ': ' "$tmp/result" | sort | tr '\n' ' ')
	if [ -n "$unchecked" ]; then
		echo "3.$m: $(cat "$tmp/n") keys checked; from the CPython source," \
		    "not the headers: ${unchecked% }"
	else
		echo "3.$m: $(cat "$tmp/n") keys checked"
	fi
	checked="$checked 3.$m"
done

if [ -z "$checked" ]; then
	echo "checked: none"
	[ $status -eq 0 ] && status=2
else
	echo "checked:$checked"
fi
exit $status

#!/usr/bin/env bash
# gen.sh - print the rows of PM_LAYOUT_ROWS (lib/pylayout.c) from the probe
# of every installed CPython 3.8 to 3.13, one row per key of lib/pylayout.h
# in the header's order, with its section comments. A value the probe cannot give (a struct the
# version does not install, or a version that is not installed) is "?":
# fill those in by hand from the CPython source, with a comment saying so.
#
#	bash tests/layout/gen.sh > rows.txt
set -eu

here=$(cd "$(dirname "$0")" && pwd)
header=$here/../../lib/pylayout.h
minors="8 9 10 11 12 13"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmgen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for m in $minors; do
	rc=0
	bash "$here/probe.sh" "$m" > "$tmp/$m" || rc=$?
	case $rc in
	0) ;;
	3) : > "$tmp/$m" ;;	# not installed: all "?"
	*) exit "$rc" ;;
	esac
done

# The keys in order, and the section comments between them, from the
# X-macro list.
sed -n '/^#define PM_LAYOUT_KEYS/,/^$/p' "$header" | sed -n '
	s/^[[:space:]]*X(\([A-Z0-9_]*\)).*/\1/p
	s/^[[:space:]]*\(\/\*.*\*\/\)[[:space:]]*\\$/\1/p' > "$tmp/keys"

awk -v dir="$tmp" -v minors="$minors" '
function pad(s, col,	n, t) {		# tabs from the end of s to col
	n = 8 + length(s) - 1; t = ""	# s starts with a tab
	do { t = t "\t"; n = int(n / 8) * 8 + 8 } while (n < col)
	return t
}
BEGIN {
	nm = split(minors, m, " ")
	for (i = 1; i <= nm; i++) {
		f = dir "/" m[i]
		while ((getline line < f) > 0) {
			split(line, kv, " ")
			val[m[i], kv[1]] = kv[2]
		}
	}
}
/^\/\*/ {
	print "\t" $0 " \\"
	next
}
{
	s = "\tX(" $1 ","
	row = s pad(s, 48)
	for (i = 1; i <= nm; i++) {
		v = ((m[i], $1) in val) ? val[m[i], $1] : "?"
		row = row v (i < nm ? ",\t" : ")")
	}
	print row " \\"
}' "$tmp/keys"

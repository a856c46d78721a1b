#!/usr/bin/env bash
# demo.sh - pmtools on a leaking service: dump it, see what fills the
# heap, dump it again and see what grew. `make demo` runs it after
# building; installed, it runs the pm- programs found on PATH.
#
# Environment: PM_BIN (where pm-dump and pm-types are), PYTHON (the
# interpreter for the service; default: the newest pyenv 3.8 to 3.13,
# else python3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
PM_BIN=${PM_BIN:-$here/../../bin}
if [ ! -x "$PM_BIN/pm-dump" ]; then
	if p=$(command -v pm-dump); then
		PM_BIN=$(dirname "$p")
	else
		echo "demo: no pm-dump in $PM_BIN or on PATH: run make" >&2
		exit 2
	fi
fi

# The newest python 3.8 to 3.13 under pyenv, else python3.
find_python() {
	local root v d
	root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
	for v in 3.13 3.12 3.11 3.10 3.9 3.8; do
		d=$(printf '%s\n' "$root"/versions/"$v".[0-9]*/bin/python"$v" |
		    sort -V | tail -n 1)
		[ -x "$d" ] && { echo "$d"; return; }
	done
	command -v python3
}
PYTHON=${PYTHON:-$(find_python)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-demo.XXXXXX")
pid=
# Always stop the service: TERM, then KILL if it lingers.
cleanup() {
	local i
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say() {
	printf '\n== %s\n' "$*"
}

# wait_for PATTERN: wait up to 60 s for a line of the service's stdout.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -Eq "$1" "$tmp/service.out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "demo: the service did not print '$1':" >&2
	cat "$tmp/service.err" >&2
	exit 1
}

# show TEXT: print TEXT as a command line, with the paths shortened.
show() {
	printf '$ %s\n' "$*" | sed "s|$tmp|\$tmp|g; s|$PM_BIN/||g"
}

# run CMD...: show a command, then run it.
run() {
	show "$@"
	"$@"
}

say "starting share/demo/leaky_service.py with $("$PYTHON" -V 2>&1)"
"$PYTHON" "$here/leaky_service.py" >"$tmp/service.out" \
    2>"$tmp/service.err" </dev/null &
pid=$!
wait_for '^READY '
echo "service: pid $pid; it caches a Session per connection and never evicts"
wait_for '^GROWN 1 '
echo "service: $(sed -n 's/^GROWN 1 \([0-9]*\) \([0-9]*\)$/\1 sessions after \2 requests/p' "$tmp/service.out")"

say "snapshot 1, and what fills the heap"
run "$PM_BIN/pm-dump" -p "$pid" -o "$tmp/app1.pmd"
run ls -lh "$tmp/app1.pmd" | sed "s|$tmp|\$tmp|"
show "$PM_BIN/pm-types" "$tmp/app1.pmd" ">$tmp/types1.tsv"
"$PM_BIN/pm-types" "$tmp/app1.pmd" >"$tmp/types1.tsv"
run head -n 15 "$tmp/types1.tsv"

say "more traffic, then snapshot 2"
kill -USR1 "$pid"
wait_for '^GROWN 2 '
echo "service: $(sed -n 's/^GROWN 2 \([0-9]*\) \([0-9]*\)$/\1 sessions after \2 requests/p' "$tmp/service.out")"
run "$PM_BIN/pm-dump" -p "$pid" -o "$tmp/app2.pmd"
show "$PM_BIN/pm-types" "$tmp/app2.pmd" ">$tmp/types2.tsv"
"$PM_BIN/pm-types" "$tmp/app2.pmd" >"$tmp/types2.tsv"

say "what grew between the two snapshots (COUNT BYTES TYPE added)"
# Use pm-types --baseline once it exists; until then, awk does the diff.
if [[ $("$PM_BIN/pm-types" --help) == *--baseline* ]]; then
	show "$PM_BIN/pm-types" --baseline "$tmp/types1.tsv" "$tmp/app2.pmd" "| head"
	"$PM_BIN/pm-types" --baseline "$tmp/types1.tsv" "$tmp/app2.pmd" >"$tmp/growth.tsv"
	head -n 10 "$tmp/growth.tsv"
else
	# pm-types prints COUNT BYTES TYPE; compare the two by type.
	show "awk ... $tmp/types1.tsv $tmp/types2.tsv | sort -k2,2nr | head"
	awk -F'\t' -v OFS='\t' '
	    NR == FNR { c[$3] = $1; b[$3] = $2; next }
	    $2 > b[$3] && $3 != "(total)" { print $1 - c[$3], $2 - b[$3], $3 }
	' "$tmp/types1.tsv" "$tmp/types2.tsv" | sort -t "$(printf '\t')" -k2,2nr >"$tmp/growth.tsv"
	head -n 10 "$tmp/growth.tsv"
fi

say "what to look at"
cat <<'EOF'
- __main__.Session and __main__.Request grow with every connection and
  never shrink: the service keeps them in its module-level SESSIONS dict.
- The dicts, bytes and str that grow with them are their headers, bodies
  and ids: the same leak seen from the objects it holds.
- On your own service: pm-dump -p PID -o app.pmd, then pm-types app.pmd;
  see pm(7) for the other programs and the record format.
EOF

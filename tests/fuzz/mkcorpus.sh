#!/usr/bin/env bash
# tests/fuzz/mkcorpus.sh - make the seed corpus of the fuzz target.
#
# usage: mkcorpus.sh MKSEED CORPUS_DIR FULL_DIR
#
# For each installed python 3.8 to 3.13 (tests/helper.bash's pm_pythons):
# run tests/targets/fuzzseed.py, dump it uncompressed (pm-dump --raw,
# from $PM_BIN) into FULL_DIR/3.X.pmd, and cut the dump with MKSEED into
# $MKSEED_SEEDS seeds of about $MKSEED_BYTES bytes of objects each in
# CORPUS_DIR/3.X-K.pmd. The full dumps are kept: make fuzz reads them
# once before fuzzing, as a check that real snapshots pass.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/helper.bash
. "$here/../helper.bash"

[ $# -eq 3 ] || { echo "usage: mkcorpus.sh MKSEED CORPUS_DIR FULL_DIR" >&2; exit 2; }
mkseed=$1 corpus=$2 full=$3
bin=${PM_BIN:-$here/../../bin}
mkdir -p "$corpus" "$full"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkcorpus.XXXXXX")
pid=
trap 'if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT

n=0
while read -r v py; do
	"$py" "$here/../targets/fuzzseed.py" >"$tmp/out" 2>"$tmp/err" </dev/null &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -qx READY "$tmp/out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -qx READY "$tmp/out"; then
		echo "mkcorpus: python $v: target did not start: $(cat "$tmp/err")" >&2
		exit 1
	fi
	"$bin/pm-dump" -q --raw -p "$pid" -o "$full/$v.pmd"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	"$mkseed" -n "${MKSEED_SEEDS:-6}" -b "${MKSEED_BYTES:-32768}" \
	    "$full/$v.pmd" "$corpus/$v"
	n=$((n + 1))
done < <(pm_pythons)
[ "$n" -gt 0 ] || { echo "mkcorpus: no python 3.8 to 3.13 installed" >&2; exit 1; }

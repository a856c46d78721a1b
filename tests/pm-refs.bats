#!/usr/bin/env bats
# pm-refs against real targets of every installed CPython 3.8 to 3.13: the
# paths, referrers and retained sizes must equal what each target knows
# about the graph it built (tests/targets/refs.py: a CONN holding 40000 done
# futures, a cycle, a chain of 100000 lists, a diamond, references of
# every kind).

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup_file() {
	local v py pid
	while read -r v py; do
		pm_start_target "$v" refs.py "$BATS_FILE_TMPDIR/truth-$v"
		echo "$PM_TARGET_PID" >"$BATS_FILE_TMPDIR/pid-$v"
	done < <(pm_pythons)
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/pid-$v" ] || continue
		pid=$(cat "$BATS_FILE_TMPDIR/pid-$v")
		pm-dump -q -p "$pid" -o "$BATS_FILE_TMPDIR/$v.pmd"
	done
	pm_stop_target
	# The tests read the uncompressed form: mmap'd, no zstd every time.
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/$v.pmd" ] || continue
		zstd -qd "$BATS_FILE_TMPDIR/$v.pmd" -o "$BATS_FILE_TMPDIR/$v.raw"
	done
}

teardown_file() {
	pm_stop_target
}

# t KEY: the truth of the current version $V (read once per test).
declare -gA TRUTH
TRUTH_V=
t() {
	local k v
	if [ "$TRUTH_V" != "$V" ]; then
		TRUTH=()
		while read -r k v; do
			TRUTH[$k]=$v
		done <"$BATS_FILE_TMPDIR/truth-$V"
		TRUTH_V=$V
	fi
	[ -n "${TRUTH[$1]+set}" ] || fail "no '$1' in the truth of $V"
	printf '%s\n' "${TRUTH[$1]}"
}

snap() {
	printf '%s\n' "$BATS_FILE_TMPDIR/$V.raw"
}

# The thread id frames are named by: the OS id from 3.11, before that
# threading.get_ident(), what PyThreadState holds.
thread_id() {
	case $V in
	3.8 | 3.9 | 3.10) t thread_ident ;;
	*) t native_thread_id ;;
	esac
}

# Retained sizes and counts against the target's own sums of getsizeof
# over what each node dominates.
check_retained() {
	local k want=
	V=$1
	need_version "$V"
	local keys="cycle.a cycle.b cycle.c chain.0 chain.1 chain.50000 chain.99999
	    diamond.top diamond.left diamond.bottom pending"
	local args=()
	for k in $keys; do
		args+=(-a "$(t "$k")")
	done
	run -0 --separate-stderr pm-refs --retained "${args[@]}" "$(snap)"
	assert_equal "$stderr" ""
	for k in $keys; do
		want+="$(t "$k")	$(t "$k.retained")"$'\n'
	done
	assert_equal "$(printf '%s\n' "$output" | cut -f1,4)" "${want%$'\n'}"
	assert_line --regexp "^$(t chain.50000)	list	[0-9]+	$(t chain.50000.retained)	$(t chain.50000.count_retained)	"
	assert_line --regexp "^$(t diamond.bottom)	list	[0-9]+	$(t diamond.bottom.retained)	$(t diamond.bottom.count_retained)	"
	assert_line --regexp "^$(t pending)	dict	$(t pending.size)	$(t pending.retained)	$(t pending.count_retained)	\\{0: <Future finished result=None>, "
}

check_top() {
	V=$1
	need_version "$V"
	run -0 --separate-stderr pm-refs --top 5 "$(snap)"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 5
	assert_line --regexp "^$(t pending)	dict	$(t pending.size)	$(t pending.retained)	$(t pending.count_retained)	"
	[ "$(t pending.retained)" -ge "$(t futures.bytes)" ]
	printf '%s\n' "$output" | cut -f4 | sort -nrc
}

check_suspects() {
	V=$1
	need_version "$V"
	run -0 --separate-stderr pm-refs --suspects "$(snap)"
	assert_equal "$stderr" ""
	assert_line --index 1 --regexp "^1\\. $(t conn) __main__\\.Conn retains [0-9]+ bytes \\([0-9.]+%\\) in [0-9]+ objects\$"
	assert_line --index 2 "   sys.modules['__main__'].CONN"
	assert_line --index 3 "   accumulated in $(t pending) dict, $(t pending.retained) bytes: sys.modules['__main__'].CONN.pending"
	assert_line --index 4 "   $(t futures.count) × _asyncio.Future: $(t futures.bytes) bytes"
	# The chain of lists comes second, as a whole.
	assert_line --regexp "^2\\. $(t chain.0) list retains $(t chain.0.retained) bytes "
	assert_line "   $(t chain.len) × list: $(t chain.0.retained) bytes"
}

check_pipeline() {
	V=$1
	need_version "$V"
	local out=$BATS_TEST_TMPDIR/paths err=$BATS_TEST_TMPDIR/err
	# 40000 lines: checked with grep and sort, not bash loops.
	pm-objects -t _asyncio.Future "$(snap)" 2>"$err" |
	    pm-refs --path "$(snap)" >"$out" 2>>"$err"
	assert_equal "$(cat "$err")" ""
	assert_equal "$(wc -l <"$out")" "$(t futures.count)"
	# Every path goes through CONN.pending, one per key 0..39999.
	assert_equal "$(grep -cv "	sys\\.modules\\['__main__'\\]\\.CONN\\.pending\\[[0-9]*\\]\$" "$out")" 0
	sed 's/.*pending\[//; s/\]$//' "$out" | sort -n | uniq >"$out.keys"
	seq 0 $(($(t futures.count) - 1)) | cmp - "$out.keys"
	grep -qxF "$(t future17)	sys.modules['__main__'].CONN.pending[17]" "$out" ||
	    fail "no path for the future with key 17"
}

# Each kind of reference, named as Python would write it.
check_names() {
	V=$1
	need_version "$V"
	local s
	s=$(snap)
	run -0 pm-refs -a "$(t slotted.a)" -a "$(t fn.secret)" -a "$(t fn.cell)" \
	    -a "$(t weakly)" -a "$(t tup.1)" -a "$(t "odd.\"it's\"")" \
	    -a "$(t "odd.'say_\"hi\"n'")" -a "$(t odd.-12345678901234567890123)" \
	    -a "$(t odd.None)" -a "$(t "odd.'class'")" -a "$(t odd.tuple)" "$s"
	local want=(
	    "$(t slotted.a)	$(t slotted)	__main__\\.Slotted	\\.a"
	    "$(t fn.secret)	$(t fn.cell)	cell	\\.cell_contents"
	    "$(t fn.cell)	0x[0-9a-f]+	tuple	\\[0\\]"
	    "$(t weakly)	0x[0-9a-f]+	dict	\\['WEAKLY'\\]"
	    "$(t weakly)	$(t wr)	weakref(\\.ReferenceType)?	<weak>"
	    "$(t tup.1)	$(t tup)	tuple	\\[1\\]"
	    "$(t "odd.\"it's\"")	$(t odd)	dict	\\[\"it's\"\\]"
	    "$(t "odd.'say_\"hi\"n'")	$(t odd)	dict	\\['say \"hi\"\\\\\\\\n'\\]"
	    "$(t odd.-12345678901234567890123)	$(t odd)	dict	\\[-12345678901234567890123\\]"
	    "$(t odd.None)	$(t odd)	dict	\\[None\\]"
	    "$(t "odd.'class'")	$(t odd)	dict	\\['class'\\]"
	    "$(t odd.tuple)	$(t odd)	dict	\\[<tuple at 0x[0-9a-f]+>\\]"
	)
	local re
	for re in "${want[@]}"; do
		assert_line --regexp "^$re\$"
	done
	assert_equal "${#lines[@]}" "${#want[@]}"
	# Paths: attributes, closures, subscripts, keywords that cannot be .attr.
	run -0 pm-refs --path -a "$(t fn.secret)" -a "$(t weakly)" -a "$(t "odd.'class'")" \
	    -a "$(t nested.leaf)" -a "$(t slotted.a)" "$s"
	assert_output "$(t fn.secret)	sys.modules['__main__'].FN.__closure__[0].cell_contents
$(t weakly)	sys.modules['__main__'].WEAKLY
$(t "odd.'class'")	sys.modules['__main__'].ODD['class']
$(t nested.leaf)	sys.modules['__main__'].NESTED['m']['n'][0]
$(t slotted.a)	sys.modules['__main__'].SLOTTED.a"
}

# What CONN refers to: its class, and pending as an attribute (3.11+:
# inline values) or through its __dict__.
check_referents() {
	V=$1
	need_version "$V"
	run -0 pm-refs --referents -a "$(t conn)" "$(snap)"
	case $V in
	3.8 | 3.9 | 3.10)
		assert_output --regexp "^$(t conn)	0x[0-9a-f]+	type	\\.__class__
$(t conn)	0x[0-9a-f]+	dict	\\.__dict__\$" ;;
	*)
		assert_output --regexp "^$(t conn)	0x[0-9a-f]+	type	\\.__class__
$(t conn)	$(t pending)	dict	\\.pending\$" ;;
	esac
}

# A local of the frame main() sleeps in is reached from the thread's stack.
check_local() {
	V=$1
	need_version "$V"
	run -0 pm-refs -a "$(t keep)" "$(snap)"
	if [[ $output == *"<no root reaches it>"* ]]; then
		case $V in
		3.8 | 3.9 | 3.10) fail "$V: the frame local is not reached" ;;
		esac
		skip "lib/heap.c does not give the locals of an executing 3.11+ frame as roots"
	fi
	run -0 pm-refs --path -a "$(t keep)" "$(snap)"
	assert_output "$(t keep)	<frame main of thread $(thread_id)>.f_locals['keep']"
}

@test "3.8: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.8; }
@test "3.9: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.9; }
@test "3.10: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.10; }
@test "3.11: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.11; }
@test "3.12: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.12; }
@test "3.13: retained sizes of a cycle, a chain, a diamond and the futures" { check_retained 3.13; }

@test "3.8: --top 5 holds the pending dict" { check_top 3.8; }
@test "3.9: --top 5 holds the pending dict" { check_top 3.9; }
@test "3.10: --top 5 holds the pending dict" { check_top 3.10; }
@test "3.11: --top 5 holds the pending dict" { check_top 3.11; }
@test "3.12: --top 5 holds the pending dict" { check_top 3.12; }
@test "3.13: --top 5 holds the pending dict" { check_top 3.13; }

@test "3.8: --suspects names CONN first, with the futures" { check_suspects 3.8; }
@test "3.9: --suspects names CONN first, with the futures" { check_suspects 3.9; }
@test "3.10: --suspects names CONN first, with the futures" { check_suspects 3.10; }
@test "3.11: --suspects names CONN first, with the futures" { check_suspects 3.11; }
@test "3.12: --suspects names CONN first, with the futures" { check_suspects 3.12; }
@test "3.13: --suspects names CONN first, with the futures" { check_suspects 3.13; }
# The futures all sit in CONN.pending; the Leafs each in their own way
# (the weakref to WEAKLY does not count; keep is a local of main()).
check_byref() {
	V=$1
	need_version "$V"
	local keep
	run -0 --separate-stderr pm-refs --by-referrer -t _asyncio.Future "$(snap)"
	assert_equal "$stderr" ""
	assert_output "$(t futures.count)	$(t futures.bytes)	_asyncio.Future	dict	__main__.Conn.pending"
	case $V in
	3.8 | 3.9 | 3.10) keep="frame.f_locals['keep']" ;;
	*) keep="<frame main of thread $(thread_id)>.f_locals['keep']" ;;
	esac
	run -0 --separate-stderr pm-refs --by-referrer -t __main__.Leaf "$(snap)"
	assert_equal "$(printf '%s\n' "$output" | cut -f1,3-)" "6	__main__.Leaf	dict	<module '__main__'>.ODD
1	__main__.Leaf	<module '__main__'>.WEAKLY	-
1	__main__.Leaf	__main__.Slotted.a	-
$(printf '%s\n' "1	__main__.Leaf	list	dict" "1	__main__.Leaf	list	$keep" | LC_ALL=C sort -t '	' -k4)
1	__main__.Leaf	tuple	<module '__main__'>.TUP"
}


@test "3.8: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.8; }
@test "3.9: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.9; }
@test "3.10: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.10; }
@test "3.11: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.11; }
@test "3.12: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.12; }
@test "3.13: pm-objects -t _asyncio.Future | pm-refs --path: through CONN.pending" { check_pipeline 3.13; }

@test "3.8: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.8; }
@test "3.9: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.9; }
@test "3.10: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.10; }
@test "3.11: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.11; }
@test "3.12: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.12; }
@test "3.13: --by-referrer: the futures by CONN.pending, the Leafs by holder" { check_byref 3.13; }

@test "3.8: references named as Python writes them" { check_names 3.8; }
@test "3.9: references named as Python writes them" { check_names 3.9; }
@test "3.10: references named as Python writes them" { check_names 3.10; }
@test "3.11: references named as Python writes them" { check_names 3.11; }
@test "3.12: references named as Python writes them" { check_names 3.12; }
@test "3.13: references named as Python writes them" { check_names 3.13; }

@test "3.8: --referents of CONN" { check_referents 3.8; }
@test "3.11: --referents of CONN" { check_referents 3.11; }
@test "3.13: --referents of CONN" { check_referents 3.13; }

@test "3.8: a frame local's path starts at the thread's frame" { check_local 3.8; }
@test "3.10: a frame local's path starts at the thread's frame" { check_local 3.10; }
@test "3.11: a frame local's path starts at the thread's frame" { check_local 3.11; }
@test "3.13: a frame local's path starts at the thread's frame" { check_local 3.13; }

@test "a path of 100000 references is printed whole" {
	V=3.12
	need_version $V
	run -0 pm-refs --path -a "$(t chain.99999)" "$(snap)"
	local want
	want="$(t chain.99999)	sys.modules['__main__'].CHAIN$(printf '[0]%.0s' $(seq 99999))"
	[ "$output" = "$want" ] || fail "path of the chain's tail: ${output:0:200}…"
}

@test "--all-paths: the first is --path's, all differ, at most n" {
	V=3.10
	need_version $V
	run -0 pm-refs --all-paths 4 -a "$(t future17)" "$(snap)"
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 "$(t future17)	sys.modules['__main__'].CONN.pending[17]"
	assert_line --index 1 "$(t future17)	<frame main of thread $(thread_id)>.f_globals['CONN'].pending[17]"
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" 4
	# Paths never go round the cycle: b is reached through a and c only.
	run -0 pm-refs --all-paths 3 -a "$(t cycle.b)" "$(snap)"
	assert_line --index 0 "$(t cycle.b)	sys.modules['__main__'].CYCLE[0][0]"
	assert_equal "$(printf '%s\n' "$output" | grep -c "CYCLE'*\]*\[0\]\[0\]\$")" "${#lines[@]}"
	assert_equal "$(printf '%s\n' "$output" | grep -c '\[0\]\[0\]\[0\]')" 0
}

@test "--dot draws the referrers, folds a big fan-in, and dot reads it" {
	V=3.12
	need_version $V
	local s ft n
	s=$(snap)
	run -0 pm-refs --dot -a "$(t future17)" "$s"
	assert_line --index 0 "digraph refs {"
	assert_line --regexp "^	n0 \\[label=\"_asyncio\\.Future\\\\n$(t future17)\\\\n[0-9]+ bytes\", style=filled, fillcolor=\"#ffd8d8\"\\];\$"
	assert_line --regexp "^	n1 \\[label=\"dict\\\\n$(t pending)\\\\n$(t pending.size) bytes\"\\];\$"
	assert_line "	n1 -> n0 [label=\"[17]\"];"
	assert_line --regexp "^	n[0-9]+ \\[label=\"sys\\.modules\\\\ndict\\\\n0x[0-9a-f]+\\\\n[0-9]+ bytes\", peripheries=2\\];\$"
	assert_line --index $((${#lines[@]} - 1)) "}"
	if command -v dot >/dev/null; then
		pm-refs --dot -a "$(t future17)" "$s" | dot -Tsvg >/dev/null
	fi
	# The futures' class has 40000 referrers: 8 drawn, the rest one node.
	ft=$(pm-refs --referents -a "$(t future17)" "$s" | awk -F'\t' '$4 == ".__class__" { print $2 }')
	n=$(pm-refs -a "$ft" "$s" | cut -f2 | sort -u | wc -l)
	run -0 pm-refs --dot -d 1 -a "$ft" "$s"
	assert_line "	m0 [label=\"… $(printf '%d' $((n - 8)) | sed -E ':a; s/([0-9])([0-9]{3})($| )/\1 \2\3/; ta') more\", shape=plaintext];"
	assert_line "	m0 -> n0 [style=dotted];"
	assert_equal "$(printf '%s\n' "$output" | grep -c -- '-> n0 \[label=')" 8
}

@test "-H, --csv and --json" {
	V=3.12
	need_version $V
	run -0 pm-refs -H -a "$(t slotted.a)" "$(snap)"
	assert_output "ADDR	REFERRER	REFERRER_TYPE	EDGE
$(t slotted.a)	$(t slotted)	__main__.Slotted	.a"
	run -0 pm-refs --csv --path -a "$(t "odd.'say_\"hi\"n'")" "$(snap)"
	assert_output "$(t "odd.'say_\"hi\"n'"),\"sys.modules['__main__'].ODD['say \"\"hi\"\"\\n']\""
	run -0 pm-refs --json --retained -a "$(t cycle.a)" "$(snap)"
	assert_output --regexp "^\\{\"addr\": \"$(t cycle.a)\", \"type\": \"list\", \"size\": 64, \"retained\": $(t cycle.a.retained), \"count_retained\": 3, \"repr\": \"\\[\\[.*\\]\\]\"\\}\$"
}

@test "addresses on stdin: a header is skipped, duplicates answered once" {
	V=3.12
	need_version $V
	run -0 --separate-stderr pm-refs --path "$(snap)" < <(printf 'ADDR\tX\n%s\tfoo\n%s\n\n%d\n' \
	    "$(t future17)" "$(t future17)" "$(t weakly)")
	assert_equal "$stderr" ""
	assert_output "$(t future17)	sys.modules['__main__'].CONN.pending[17]
$(t weakly)	sys.modules['__main__'].WEAKLY"
}

@test "bad input: exit 2 with a message naming the line or the address" {
	V=3.12
	need_version $V
	run -2 --separate-stderr pm-refs --path "$(snap)" < <(printf '%s\nnot-an-address\n' "$(t future17)")
	assert_output ""
	assert_equal "$stderr" "pm-refs: line 2 of '<stdin>': 'not-an-address' is not an address"
	run -2 --separate-stderr pm-refs --path -a 0x10 -a "$(t future17)" "$(snap)"
	assert_equal "$stderr" "pm-refs: no object at 0x10"
	assert_output "$(t future17)	sys.modules['__main__'].CONN.pending[17]"
	run -2 --separate-stderr pm-refs -a nope "$(snap)"
	assert_equal "$stderr" "pm-refs: invalid address 'nope'"
	run -2 --separate-stderr pm-refs "$(snap)" </dev/null
	assert_equal "${stderr_lines[0]}" "pm-refs: no addresses: give -a addr, or pipe addresses in with a snapshot operand"
	run -2 --separate-stderr pm-refs --path --dot -a 0x10 "$(snap)"
	assert_equal "${stderr_lines[0]}" "pm-refs: --path and --dot cannot be combined"
	run -2 --separate-stderr pm-refs --top 3 -a 0x10 "$(snap)"
	assert_equal "${stderr_lines[0]}" "pm-refs: --top takes no addresses"
	run -2 --separate-stderr pm-refs --suspects --json "$(snap)"
	assert_equal "${stderr_lines[0]}" "pm-refs: --suspects writes a report, not records"
	run -2 --separate-stderr pm-refs --top x "$(snap)"
	assert_equal "$stderr" "pm-refs: invalid --top value 'x'"
	run -2 --separate-stderr pm-refs --top 3 /nonexistent.pmd
	assert_equal "$stderr" "pm-refs: cannot open '/nonexistent.pmd': No such file or directory"
}

@test "a closed pipe ends quietly; a full disk is exit 2" {
	V=3.12
	need_version $V
	run -0 --separate-stderr bash -c "pm-objects -t _asyncio.Future '$(snap)' | pm-refs --path '$(snap)' | head -1 >/dev/null"
	assert_equal "$stderr" ""
	run -2 --separate-stderr bash -c "pm-refs --top 10 '$(snap)' >/dev/full"
	assert_equal "$stderr" "pm-refs: write error on standard output: No space left on device"
}

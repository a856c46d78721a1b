#!/usr/bin/env bats
# pm-objects against real targets of every installed CPython 3.8 to 3.13:
# records and reprs must equal what each target said about its objects
# (id(), sys.getsizeof, repr()).

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup_file() {
	local v py pid
	while read -r v py; do
		pm_start_target "$v" objects.py "$BATS_FILE_TMPDIR/truth-$v"
		echo "$PM_TARGET_PID" >"$BATS_FILE_TMPDIR/pid-$v"
	done < <(pm_pythons)
	for v in $VERSIONS; do
		[ -f "$BATS_FILE_TMPDIR/pid-$v" ] || continue
		pid=$(cat "$BATS_FILE_TMPDIR/pid-$v")
		pm-dump -q -p "$pid" -o "$BATS_FILE_TMPDIR/$v.pmd"
	done
	pm_stop_target
}

teardown_file() {
	pm_stop_target
}

# records V PREFIX: the truth records whose keys are PREFIX.N, in order.
records() {
	sed -n "s/^$2\\.[0-9]* //p" "$BATS_FILE_TMPDIR/truth-$1"
}

# check_records V PREFIX [OPTION...]: feed the addresses of the PREFIX
# records to pm-objects with the options; its output must be those records.
check_records() {
	local v=$1 prefix=$2 want
	shift 2
	need_version "$v"
	want=$(records "$v" "$prefix")
	[ -n "$want" ] || fail "$v: no $prefix records in the truth file"
	run -0 --separate-stderr pm-objects "$@" "$BATS_FILE_TMPDIR/$v.pmd" \
	    < <(printf '%s\n' "$want" | cut -f1)
	assert_equal "$stderr" ""
	assert_equal "$output" "$want"
}

check_reprs() { check_records "$1" expect --depth 10 --width 0; }
check_gens() { check_records "$1" gen --width 0; }
check_tasks() { check_records "$1" own --width 0; }

# Every instance of the three classes, with its attributes.
check_attrs() {
	local v=$1
	need_version "$v"
	run -0 pm-objects -a --width 0 -t __main__.Planted -t __main__.Slotted \
	    -t __main__.Both "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
	assert_equal "$(printf '%s\n' "$output" | sort)" \
	    "$(records "$v" attrs | sort)"
}

@test "3.8: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.8; }
@test "3.9: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.9; }
@test "3.10: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.10; }
@test "3.11: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.11; }
@test "3.12: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.12; }
@test "3.13: reprs equal Python's repr(), sizes sys.getsizeof" { check_reprs 3.13; }

@test "3.8: coroutines and generators" { check_gens 3.8; }
@test "3.9: coroutines and generators" { check_gens 3.9; }
@test "3.10: coroutines and generators" { check_gens 3.10; }
@test "3.11: coroutines and generators" { check_gens 3.11; }
@test "3.12: coroutines and generators" { check_gens 3.12; }
@test "3.13: coroutines and generators" { check_gens 3.13; }

@test "3.8: -a prints every instance's attributes" { check_attrs 3.8; }
@test "3.9: -a prints every instance's attributes" { check_attrs 3.9; }
@test "3.10: -a prints every instance's attributes" { check_attrs 3.10; }
@test "3.11: -a prints every instance's attributes" { check_attrs 3.11; }
@test "3.12: -a prints every instance's attributes" { check_attrs 3.12; }
@test "3.13: -a prints every instance's attributes" { check_attrs 3.13; }

@test "3.8: asyncio tasks" { check_tasks 3.8; }
@test "3.9: asyncio tasks" { check_tasks 3.9; }
@test "3.10: asyncio tasks" { check_tasks 3.10; }
@test "3.11: asyncio tasks" { check_tasks 3.11; }
@test "3.12: asyncio tasks" { check_tasks 3.12; }
@test "3.13: asyncio tasks" { check_tasks 3.13; }

@test "--largest 1 is the planted 1 MiB bytes object, at its id()" {
	local v x
	x=$(printf '\\\\x00%.0s' {1..19})
	for v in $VERSIONS; do
		need_version "$v"
		run -0 pm-objects --largest 1 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_output "$(truth "$v" big.addr)	bytes	$(truth "$v" big.size)	b'$x…'"
	done
}

@test "--largest N: the N largest, largest first" {
	local v=3.12
	need_version $v
	run -0 pm-objects --largest 50 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
	assert_equal "${#lines[@]}" 50
	assert_line --index 0 --partial "$(truth $v big.addr)	bytes	"
	printf '%s\n' "$output" | cut -f3 | sort -nrc ||
	    fail "not sorted by size"
}

@test "size and length filters select exactly the planted objects" {
	local v size
	for v in $VERSIONS; do
		need_version "$v"
		size=$(truth "$v" big.size)
		run -0 pm-objects -t bytes --min-size "$size" --max-size "$size" \
		    --width 12 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_output "$(truth "$v" big.addr)	bytes	$size	b'\\\\x00\\\\x00…'"
		run -0 pm-objects -t list --min-len "$(truth "$v" biglist.len)" \
		    --width 40 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_output "$(truth "$v" biglist.addr)	list	$(truth "$v" biglist.size)	[0, 1, 2, 3, 4, 5, 6, 7, 8, …(+12336)]"
		run -0 pm-objects -t list --min-len 12346 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_output ""
	done
}

@test "-t with --subclasses; --module" {
	local v n
	for v in $VERSIONS; do
		need_version "$v"
		run -0 pm-objects -t __main__.Base "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_equal "${#lines[@]}" 1
		assert_line --index 0 --regexp '^0x[0-9a-f]+	__main__\.Base	[0-9]+	<__main__\.Base object at 0x[0-9a-f]+>$'
		run -0 pm-objects -t __main__.Base --subclasses "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		n=$(truth "$v" sub.count)
		assert_equal "${#lines[@]}" "$((n + 1))"
		assert_equal "$(printf '%s\n' "$output" | cut -f2 | sort | uniq -c |
		    awk '{ print $1, $2 }' | paste -sd' ')" \
		    "1 __main__.Base 7 __main__.SubA 5 __main__.SubB"
		run -0 pm-objects --module plantmod "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_equal "${#lines[@]}" "$(truth "$v" mod.count)"
		assert_equal "$(printf '%s\n' "$output" | cut -f2 | sort -u)" plantmod.PlantMod
		run -0 pm-objects -t __main__.Planted "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_equal "${#lines[@]}" "$(truth "$v" planted.count)"
	done
}

@test "addresses on stdin: hex or decimal, first field, header skipped, each once" {
	local v=3.12 big list
	need_version $v
	big=$(truth $v big.addr)
	list=$(truth $v biglist.addr)
	run -0 --separate-stderr pm-objects --width 20 "$BATS_FILE_TMPDIR/$v.pmd" < <(
	    printf 'ADDR\tTYPE\n%s\tbytes\t"quoted" field\n\n%d\n%s\n' \
	    "$list" "$big" "$list")
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "$list	list	$(truth $v biglist.size)	[0, 1, 2, …(+12342)]"
	assert_line --index 1 "$big	bytes	$(truth $v big.size)	b'\\\\x00\\\\x00\\\\x00\\\\x00…'"
	# A filter applies to them too.
	run -0 pm-objects -t bytes "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n%s\n' "$list" "$big")
	assert_equal "${#lines[@]}" 1
	# An empty pipe selects nothing.
	run -0 pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(true)
	assert_output ""
}

@test "bad address input: exit 2 naming the line" {
	local v=3.12
	need_version $v
	run -2 --separate-stderr pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(
	    printf '%s\nnot-an-address\t1\n' "$(truth $v big.addr)")
	assert_equal "$stderr" "pm-objects: line 2 of '<stdin>': 'not-an-address' is not an address"
	assert_output ""
	run -2 --separate-stderr pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '0x\n')
	assert_equal "$stderr" "pm-objects: line 1 of '<stdin>': '0x' is not an address"
	run -2 --separate-stderr pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '0x1\x00\n')
	assert_equal "$stderr" "pm-objects: line 1 of '<stdin>': binary data, not records"
	# An address that is no object: a warning, the others, exit 2.
	run -2 --separate-stderr pm-objects --width 10 "$BATS_FILE_TMPDIR/$v.pmd" < <(
	    printf '0x10\n%s\n' "$(truth $v big.addr)")
	assert_equal "$stderr" "pm-objects: no object at 0x10"
	assert_output "$(truth $v big.addr)	bytes	$(truth $v big.size)	b'\\\\x00…'"
}

@test "--json adds len for objects that have one; -H and --csv" {
	local v=3.13 list big
	need_version $v
	list=$(truth $v biglist.addr)
	big=$(truth $v big.addr)
	run -0 pm-objects --json --width 20 "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$list")
	assert_output "{\"addr\": \"$list\", \"type\": \"list\", \"size\": $(truth $v biglist.size), \"len\": 12345, \"repr\": \"[0, 1, 2, …(+12342)]\"}"
	run -0 pm-objects --json "$BATS_FILE_TMPDIR/$v.pmd" < <(records $v expect | grep '	int	' | head -1 | cut -f1)
	assert_output --regexp '^\{"addr": "0x[0-9a-f]+", "type": "int", "size": [0-9]+, "repr": "[-0-9]+"\}$'
	run -0 pm-objects -H --width 20 "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$list")
	assert_line --index 0 "ADDR	TYPE	SIZE	REPR"
	run -0 pm-objects --csv --width 20 "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$list")
	assert_output "$list,list,$(truth $v biglist.size),\"[0, 1, 2, …(+12342)]\""
}

@test "PM_REDACT=1 and --redact: str contents become length and hash" {
	local v want
	for v in $VERSIONS; do
		need_version "$v"
		want="<str len=$(truth "$v" redact.len) hash=$(truth "$v" redact.hash)>"
		run -0 env PM_REDACT=1 pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(truth "$v" redact.addr)
		assert_equal "$(printf '%s' "$output" | cut -f1,2,4)" \
		    "$(truth "$v" redact.addr)	str	$want"
		run -0 pm-objects --redact "$BATS_FILE_TMPDIR/$v.pmd" < <(truth "$v" redact.addr)
		assert_equal "$(printf '%s' "$output" | cut -f4)" "$want"
		# Names are not contents: a module still shows its name.
		run -0 pm-objects --redact -t module "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
		assert_line --partial "<module 'sys' (built-in)>"
	done
}

@test "--depth bounds nesting; --width bounds every repr" {
	local v=3.11 addr
	need_version $v
	addr=$(records $v expect | grep -F "[1, [2, [3, [4, []]]]]" | cut -f1)
	[ -n "$addr" ] || fail "no nested list sample"
	run -0 pm-objects "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$addr")
	assert_equal "$(printf '%s' "$output" | cut -f4)" "[1, […(+2)]]"
	run -0 pm-objects --depth 3 "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$addr")
	assert_equal "$(printf '%s' "$output" | cut -f4)" "[1, [2, [3, […(+2)]]]]"
	run -0 pm-objects --depth 0 "$BATS_FILE_TMPDIR/$v.pmd" < <(printf '%s\n' "$addr")
	assert_equal "$(printf '%s' "$output" | cut -f4)" "[…(+2)]"
	# No REPR longer than the width, in characters.
	run -0 pm-objects --width 30 "$BATS_FILE_TMPDIR/$v.pmd" </dev/null
	local r n=0
	while IFS= read -r r; do
		r=${r//\\\\/\\}
		LC_ALL=C.UTF-8 eval '[ "${#r}" -le 30 ]' ||
		    fail "longer than 30 characters: $r"
		n=$((n + 1))
	done < <(printf '%s\n' "$output" | cut -f4)
	[ "$n" -gt 1000 ] || fail "only $n objects"
}

@test "usage errors" {
	local v=3.12
	need_version $v
	run -2 --separate-stderr pm-objects --subclasses "$BATS_FILE_TMPDIR/$v.pmd"
	assert_equal "${stderr_lines[0]}" "pm-objects: --subclasses needs -t type"
	run -2 --separate-stderr pm-objects --depth x "$BATS_FILE_TMPDIR/$v.pmd"
	assert_equal "$stderr" "pm-objects: invalid --depth value 'x'"
	run -2 --separate-stderr pm-objects a b
	run -2 --separate-stderr pm-objects /nonexistent.pmd </dev/null
	assert_equal "$stderr" "pm-objects: cannot open '/nonexistent.pmd': No such file or directory"
}

@test "a closed pipe ends quietly" {
	local v=3.12
	need_version $v
	run -0 --separate-stderr bash -c "pm-objects '$BATS_FILE_TMPDIR/$v.pmd' </dev/null | head -1 >/dev/null"
	assert_equal "$stderr" ""
}

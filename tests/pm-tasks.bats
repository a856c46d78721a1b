#!/usr/bin/env bats
# pm-tasks against real targets of every installed CPython 3.8 to 3.13:
# thread stacks, asyncio tasks and cycles must equal what each target saw
# of itself (threading.get_native_id(), sys._current_frames(), cr_await,
# id()).

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

# Each target once per version, dumped, then stopped.
setup_file() {
	local v py t
	while read -r v py; do
		for t in threads ring ring-shield locks; do
			case $t in
			ring-shield)
				pm_start_target "$v" ring.py \
				    "$BATS_FILE_TMPDIR/$t-$v.truth" shield ;;
			*)
				pm_start_target "$v" "$t.py" \
				    "$BATS_FILE_TMPDIR/$t-$v.truth" ;;
			esac
			pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_FILE_TMPDIR/$t-$v.pmd"
			pm_stop_target "$PM_TARGET_PID"
		done
	done < <(pm_pythons)
	pm_stop_target
}

teardown_file() {
	pm_stop_target
}

need_version() {
	if [ ! -f "$BATS_FILE_TMPDIR/threads-$1.pmd" ]; then
		pm_ci && fail "python $1 is not installed"
		skip "python $1 is not installed"
	fi
}

snap() {
	printf '%s\n' "$BATS_FILE_TMPDIR/$1-$2.pmd"
}

truthfile() {
	printf '%s\n' "$BATS_FILE_TMPDIR/$1-$2.truth"
}

# The thread records the threads target's truth implies, without FRAME:
# THREAD FUNCTION FILE LINE NAME, main thread first, innermost first.
want_threads() {
	awk '$1 == "thread" { tid[$2] = $3 }
	    $1 == "frame" { print tid[$2] "\t" $3 "\t" $4 "\t" $5 "\t" $2 }' \
	    "$(truthfile threads "$1")" |
	    awk -F'\t' '$5 == "MainThread" { print; next } { rest = rest $0 "\n" }
	    END { printf "%s", rest }'
}

check_threads() {
	local v=$1 want got main
	need_version "$v"
	run -0 --separate-stderr pm-tasks "$(snap threads "$v")"
	assert_equal "$stderr" ""
	# Four threads, the main one first, each with its exact stack.
	main=$(awk '$1 == "thread" && $2 == "MainThread" { print $3 }' \
	    "$(truthfile threads "$v")")
	assert_regex "${lines[0]}" "^$main	0x[0-9a-f]+	main_wait	"
	assert_equal "$(printf '%s\n' "$output" | cut -f1 | uniq | wc -l)" 4
	want=$(want_threads "$v" | sort)
	got=$(printf '%s\n' "$output" | cut -f1,3- | sort)
	assert_equal "$got" "$want"
	# Every frame address is distinct and in hex.
	assert_equal "$(printf '%s\n' "$output" | cut -f2 | grep -cv '^0x[0-9a-f]*$')" 0
	assert_equal "$(printf '%s\n' "$output" | cut -f2 | sort -u | wc -l)" \
	    "${#lines[@]}"
}

@test "3.8: thread stacks with native ids, functions and lines" { check_threads 3.8; }
@test "3.9: thread stacks with native ids, functions and lines" { check_threads 3.9; }
@test "3.10: thread stacks with native ids, functions and lines" { check_threads 3.10; }
@test "3.11: thread stacks with native ids, functions and lines" { check_threads 3.11; }
@test "3.12: thread stacks with native ids, functions and lines" { check_threads 3.12; }
@test "3.13: thread stacks with native ids, functions and lines" { check_threads 3.13; }

# The --async records the ring target's truth implies, without LOOP.
want_tasks() {
	awk '$1 == "task" { addr[$2] = $3; st[$2] = $4 }
	    $1 == "awaits" || $1 == "stack" {
		n = $2; t = $0; sub(/^[a-z]+ [^ ]+ /, "", t)
		if ($1 == "awaits") aw[n] = t
		else print addr[n] "\t" n "\t" st[n] "\t" aw[n] "\t" t
	    }' "$(truthfile "$1" "$2")" | sort
}

check_async() {
	local v=$1 t
	need_version "$v"
	for t in ring ring-shield; do
		run -0 --separate-stderr pm-tasks --async "$(snap "$t" "$v")"
		assert_equal "$stderr" ""
		assert_equal "$(printf '%s\n' "$output" | cut -f1,2,3,5,6 | sort)" \
		    "$(want_tasks "$t" "$v")"
	done
	# Two event loops: other-loop and other-main share one, the rest another.
	run -0 pm-tasks --async "$(snap ring "$v")"
	assert_equal "$(printf '%s\n' "$output" | cut -f4 | sort -u | wc -l)" 2
	assert_equal "$(printf '%s\n' "$output" |
	    awk -F'\t' '$2 ~ /^other-/ { print $4 }' | sort -u | wc -l)" 1
}

@test "3.8: --async lists every task, its stack and what it awaits" { check_async 3.8; }
@test "3.9: --async lists every task, its stack and what it awaits" { check_async 3.9; }
@test "3.10: --async lists every task, its stack and what it awaits" { check_async 3.10; }
@test "3.11: --async lists every task, its stack and what it awaits" { check_async 3.11; }
@test "3.12: --async lists every task, its stack and what it awaits" { check_async 3.12; }
@test "3.13: --async lists every task, its stack and what it awaits" { check_async 3.13; }

# The check record of task NAME in cycle N, from the truth of target T.
want_member() {
	local t=$1 v=$2 n=$3 name=$4 next=$5 tf
	tf=$(truthfile "$t" "$v")
	awk -v n="$n" -v name="$name" -v next_="$next" '
	    $1 == "task" { addr[$2] = $3 }
	    $1 == "frame" { fn[$2] = $3; file[$2] = $4; line[$2] = $5 }
	    $1 == "awaits" { t = $0; sub(/^[a-z]+ [^ ]+ /, "", t); aw[$2] = t }
	    END {
		via = aw[name]; sub(/:.*/, "", via)
		if (via ~ /^task /) via = ""; else via = via " -> "
		printf "%s\tawait\t%s\t%s\t%s\t%s\t%s\t%stask %s %s\n", n,
		    addr[name], name, fn[name], file[name], line[name], via,
		    addr[next_], next_
	    }' "$tf"
}

check_ring() {
	local v=$1 want n
	need_version "$v"
	run -1 --separate-stderr pm-tasks --check "$(snap ring "$v")"
	assert_equal "$stderr" ""
	# Exactly one cycle, of ring-a, ring-b and ring-c, each at its await.
	want=$(for m in "ring-a ring-b" "ring-b ring-c" "ring-c ring-a"; do
		want_member ring "$v" 1 $m
	done | sort)
	assert_equal "$(printf '%s\n' "$output" | sort)" "$want"
	# In cycle order: each member waits for the next one's task.
	assert_equal "${#lines[@]}" 3
	for i in 0 1 2; do
		local next=${lines[$(((i + 1) % 3))]}
		next=$(printf '%s\n' "$next" | cut -f3,4 | tr '\t' ' ')
		assert_regex "${lines[$i]}" "task $next\$"
	done
	refute_output --partial heartbeat
	# With the shield pair, a second cycle through asyncio.shield. Cycles
	# are numbered in address order, which the allocator decides.
	run -1 pm-tasks --check "$(snap ring-shield "$v")"
	assert_equal "$(printf '%s\n' "$output" | cut -f1 | sort -u | tr '\n' ' ')" "1 2 "
	n=$(printf '%s\n' "$output" | awk -F'\t' '$4 == "sh-a" { print $1 }')
	assert_equal "$(printf '%s\n' "$output" | grep "^$n	" | sort)" \
	    "$( (want_member ring-shield "$v" "$n" sh-a sh-b
		want_member ring-shield "$v" "$n" sh-b sh-a) | sort)"
	assert_equal "$(printf '%s\n' "$output" | grep -v "^$n	" | cut -f4 | sort |
	    tr '\n' ' ')" "ring-a ring-b ring-c "
}

@test "3.8: --check reports the await ring exactly and exits 1" { check_ring 3.8; }
@test "3.9: --check reports the await ring exactly and exits 1" { check_ring 3.9; }
@test "3.10: --check reports the await ring exactly and exits 1" { check_ring 3.10; }
@test "3.11: --check reports the await ring exactly and exits 1" { check_ring 3.11; }
@test "3.12: --check reports the await ring exactly and exits 1" { check_ring 3.12; }
@test "3.13: --check reports the await ring exactly and exits 1" { check_ring 3.13; }

# The check record of thread NAME waiting for the lock held by OWNER.
want_lock() {
	local v=$1 n=$2 kind=$3 name=$4 owner=$5
	awk -v n="$n" -v kind="$kind" -v name="$name" -v owner="$owner" '
	    $1 == "thread" { tid[$2] = $3 }
	    $1 == "wait" { fn[$2] = $3; file[$2] = $4; line[$2] = $5; lock[$2] = $6 }
	    END {
		if (kind == "deadlock")
			w = "_thread.RLock " lock[name] " owned by thread " \
			    tid[owner] " " owner
		else
			w = "_thread.lock " lock[name] " held in a with block by thread " \
			    tid[owner] " " owner \
			    " (threading.Lock does not record its owner)"
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, kind, tid[name],
		    name, fn[name], file[name], line[name], w
	    }' "$(truthfile locks "$v")"
}

check_locks() {
	local v=$1
	need_version "$v"
	run -1 --separate-stderr pm-tasks --check "$(snap locks "$v")"
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | sort)" "$( (
		want_lock "$v" 1 deadlock r-1 r-2
		want_lock "$v" 1 deadlock r-2 r-1
		want_lock "$v" 2 suspected l-1 l-2
		want_lock "$v" 2 suspected l-2 l-1) | sort)"
}

@test "3.8: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.8; }
@test "3.9: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.9; }
@test "3.10: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.10; }
@test "3.11: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.11; }
@test "3.12: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.12; }
@test "3.13: --check proves the RLock deadlock, suspects the Lock one" { check_locks 3.13; }

@test "--check: a suspected deadlock alone exits 0; no cycle prints nothing" {
	local v=3.12 tf=$BATS_TEST_TMPDIR/truth
	need_version $v
	pm_start_target $v locks.py "$tf" lock
	pm-dump -q -p "$PM_TARGET_PID" -o "$BATS_TEST_TMPDIR/lock.pmd"
	pm_stop_target "$PM_TARGET_PID"
	run -0 pm-tasks --check "$BATS_TEST_TMPDIR/lock.pmd"
	assert_equal "${#lines[@]}" 2
	assert_equal "$(printf '%s\n' "$output" | cut -f1,2 | sort -u)" "1	suspected"
	# The threads target: a thread waits on a Lock taken by a bare
	# acquire(), which proves nothing.
	for v in $VERSIONS; do
		[ -f "$(snap threads "$v")" ] || continue
		run -0 pm-tasks --check "$(snap threads "$v")"
		assert_output ""
	done
}

@test "--tree draws threads like py-spy and tasks like asyncio pstree" {
	local v=3.12 main
	need_version $v
	main=$(awk '$1 == "thread" && $2 == "MainThread" { print $3 }' \
	    "$(truthfile threads $v)")
	run -0 pm-tasks --tree "$(snap threads $v)"
	assert_line --index 0 "Thread $main \"MainThread\""
	assert_line --index 1 --regexp '^    main_wait \(.*/threads\.py:[0-9]+\)$'
	assert_line --regexp '^Thread [0-9]+ "sleeper"$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '^Thread ')" 4
	assert_equal "$(printf '%s\n' "$output" | grep -c '^    Sleeper.nap ')" 3
	run -0 pm-tasks --async --tree "$(snap ring $v)"
	assert_line --regexp '^└── \(T\) heartbeat \[pending\] 0x[0-9a-f]+$'
	assert_line --regexp '^└── \(T\) top-1 \[pending\] 0x[0-9a-f]+$'
	assert_line --regexp '^            └── \(T\) leaf \[pending\] 0x[0-9a-f]+ \(see above\)$'
	assert_line --regexp 'future 0x[0-9a-f]+ \[pending\] waiter of asyncio\.locks\.Lock 0x[0-9a-f]+$'
	assert_line --index "$(printf '%s\n' "$output" | grep -n '^(await cycle)$' |
	    cut -d: -f1)" --regexp '^└── \(T\) ring-[abc] '
	assert_line --regexp '^ +└── \(T\) ring-[abc] \[pending\] 0x[0-9a-f]+ \(cycle\)$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '(await cycle)')" 1
}

@test "--folded writes one line per distinct stack for flamegraph.pl" {
	local v=3.11 f
	need_version $v
	f=$(awk '$1 == "frame" && $2 == "MainThread" { print $4; exit }' \
	    "$(truthfile threads $v)")
	run -0 pm-tasks --folded "$(snap threads $v)"
	assert_equal "${#lines[@]}" 4
	assert_line --regexp "^<module> \\($f:[0-9]+\\);main \\($f:[0-9]+\\);main_wait \\($f:[0-9]+\\) 1\$"
	assert_line --regexp "^Thread\\._bootstrap \\(.*\\);Sleeper\\.run \\($f:[0-9]+\\);Sleeper\\.nap \\($f:[0-9]+\\);Sleeper\\.nap \\($f:[0-9]+\\);Sleeper\\.nap \\($f:44\\) 1\$"
}

@test "--json: threads, tasks and cycles as one object per line" {
	local v=3.13 main addr
	need_version $v
	main=$(awk '$1 == "thread" && $2 == "MainThread" { print $3 }' \
	    "$(truthfile threads $v)")
	run -0 pm-tasks --json "$(snap threads $v)"
	assert_equal "${#lines[@]}" 4
	assert_regex "${lines[0]}" "^\\{\"thread\": $main, \"ident\": [0-9]+, \"name\": \"MainThread\", \"frames\": \\[\\{\"frame\": \"0x[0-9a-f]+\", \"function\": \"main_wait\", \"file\": \"[^\"]*/threads.py\", \"line\": [0-9]+\\}, "
	run -0 pm-tasks --async --json "$(snap ring $v)"
	addr=$(awk '$1 == "task" && $2 == "top-1" { print $3 }' "$(truthfile ring $v)")
	assert_line --regexp "^\\{\"task\": \"$addr\", \"name\": \"top-1\", \"state\": \"pending\", \"loop\": \"0x[0-9a-f]+\", \"stack\": \\[\\{\"function\": \"top_direct\", \"file\": \"[^\"]*/ring.py\", \"line\": [0-9]+\\}\\], \"awaits\": \\{\"kind\": \"task\", \"address\": \"0x[0-9a-f]+\", \"state\": \"pending\", \"name\": \"leaf\"\\}, \"in_cycle\": false\\}\$"
	assert_equal "$(printf '%s\n' "$output" | grep -c '"in_cycle": true')" 3
	run -1 pm-tasks --check --json "$(snap ring $v)"
	assert_equal "${#lines[@]}" 1
	assert_regex "${lines[0]}" '^\{"cycle": 1, "kind": "await", "members": \[\{"task": "0x[0-9a-f]+", "name": "ring-[abc]", "function": "ring", '
	if command -v python3 >/dev/null; then
		for m in "" --async --check; do
			pm-tasks $m --json "$(snap ring $v)" |
			    python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' ||
			    fail "pm-tasks $m --json: not JSON"
		done
	fi
}

@test "--locals: variables of every frame or of the frames asked for" {
	local v frame tid
	for v in 3.8 3.12; do
		need_version $v
		run -0 pm-tasks --locals "$(snap threads $v)" </dev/null
		# Sleeper.nap recursed with depth 2, 1, 0: each frame has its own.
		assert_equal "$(printf '%s\n' "$output" |
		    awk -F'\t' '$5 == "depth" { print $6 " " $7 }')" \
		    "$(printf 'int 0\nint 1\nint 2')"
		assert_line --regexp "^0x[0-9a-f]+	[0-9]+	0x[0-9a-f]+	(Sleeper\\.)?nap	self	__main__\\.Sleeper	<__main__\\.Sleeper object at 0x[0-9a-f]+>\$"
		# One frame, by its address on stdin.
		frame=$(pm-tasks "$(snap threads $v)" | awk -F'\t' '$6 == "sleeper" { print $2; exit }')
		run -0 bash -c "echo $frame | pm-tasks --locals '$(snap threads $v)'"
		assert_equal "$(printf '%s\n' "$output" | cut -f3 | sort -u)" "$frame"
		assert_equal "$(printf '%s\n' "$output" | cut -f5,6,7 | sort)" \
		    "$(printf 'depth\tint\t0\nself\t__main__.Sleeper\t%s' \
		    "$(printf '%s\n' "$output" | awk -F'\t' '$5 == "self" { print $7 }')")"
		# A whole thread, by its id: the first field of the stack records.
		tid=$(awk '$1 == "thread" && $2 == "reader" { print $3 }' \
		    "$(truthfile threads $v)")
		run -0 bash -c "pm-tasks '$(snap threads $v)' | grep '	reader\$' | pm-tasks --locals '$(snap threads $v)'"
		assert_equal "$(printf '%s\n' "$output" | cut -f2 | sort -u)" "$tid"
		# The value address is first, so it pipes into other tools.
		assert_equal "$(printf '%s\n' "$output" | cut -f1 | grep -cv '^0x')" 0
	done
	run -0 pm-tasks --locals --tree "$(snap threads 3.12)" </dev/null
	assert_line --regexp '^            depth = 0$'
}

@test "-H and --csv" {
	local v=3.10
	need_version $v
	run -0 pm-tasks -H "$(snap threads $v)"
	assert_line --index 0 "$(printf 'THREAD\tFRAME\tFUNCTION\tFILE\tLINE\tNAME')"
	run -0 pm-tasks -H --csv --async "$(snap ring $v)"
	assert_line --index 0 "TASK,NAME,STATE,LOOP,AWAITS,STACK"
	assert_line --regexp '^0x[0-9a-f]+,heartbeat,pending,0x[0-9a-f]+,future 0x[0-9a-f]+,heartbeat \(.*/ring.py:[0-9]+\) -> sleep \(.*/asyncio/tasks.py:[0-9]+\)$'
	run -1 pm-tasks -H --check "$(snap ring $v)"
	assert_line --index 0 "$(printf 'CYCLE\tKIND\tMEMBER\tNAME\tFUNCTION\tFILE\tLINE\tWAITS')"
}

@test "usage errors and bad snapshots: exit 2 with a message" {
	local f=$BATS_TEST_TMPDIR/bad
	run -2 --separate-stderr pm-tasks --json --tree x
	assert_equal "${stderr_lines[0]}" "pm-tasks: choose one of --csv, --json, --tree and --folded"
	run -2 --separate-stderr pm-tasks --locals --async x
	assert_equal "${stderr_lines[0]}" "pm-tasks: --locals goes with thread stacks, not --async or --check"
	run -2 --separate-stderr pm-tasks --async --folded x
	assert_equal "${stderr_lines[0]}" "pm-tasks: --folded is for thread stacks"
	run -2 --separate-stderr pm-tasks --check --tree x
	assert_equal "${stderr_lines[0]}" "pm-tasks: --check writes records, not a --tree"
	printf 'hello, world\n' >"$f"
	run -2 --separate-stderr pm-tasks "$f"
	assert_equal "$stderr" "pm-tasks: cannot read '$f': not a pmtools snapshot"
	run -2 --separate-stderr pm-tasks --check </dev/null
	assert_equal "$stderr" "pm-tasks: cannot read '<stdin>': empty file"
	need_version 3.12
	run -2 --separate-stderr bash -c "echo nonsense | pm-tasks --locals '$(snap threads 3.12)'"
	assert_equal "$stderr" "pm-tasks: line 1 of '<stdin>': 'nonsense' is not an address"
}

@test "a closed pipe ends quietly; a full disk is exit 2" {
	local v=3.12
	need_version $v
	run -0 --separate-stderr bash -c "pm-tasks --async '$(snap ring $v)' | head -1 >/dev/null"
	assert_equal "$stderr" ""
	run -2 --separate-stderr bash -c "pm-tasks '$(snap threads $v)' >/dev/full"
	assert_equal "$stderr" "pm-tasks: write error on standard output: No space left on device"
}

# The private asyncio and _thread offsets of lib/pylayout.c, measured again
# with ctypes inside each interpreter.
@test "asyncio Future/Task and _thread lock offsets match ctypes on every version" {
	local v py probe=$BATS_TEST_TMPDIR/probe.py
	[ -x "$PM_UNIT/layout-print" ] || skip "run make units first"
	cat >"$probe" <<'EOF'
import asyncio, ctypes, sys, threading

def words(o, n=40):
    return [ctypes.c_uint64.from_address(id(o) + 8 * i).value for i in range(n)]

def at(o, target):
    w = words(o)
    hits = [8 * i for i in range(2, len(w)) if w[i] == id(target)]
    return hits[0] if len(hits) == 1 else -2

out = {}
async def child():
    await asyncio.sleep(10)

async def main():
    loop = asyncio.get_running_loop()
    t = asyncio.ensure_future(child())
    t.set_name("probe-name")
    await asyncio.sleep(0)
    out["TASK_CORO"] = at(t, t.get_coro())
    out["TASK_NAME"] = at(t, t.get_name())
    out["TASK_FUT_WAITER"] = at(t, t._fut_waiter)
    out["FUTURE_LOOP"] = at(t, loop)
    f = loop.create_future()
    cb = lambda f: None
    f.add_done_callback(cb)
    out["FUTURE_CALLBACK0"] = at(f, cb)
    cb2 = lambda f: None
    f.add_done_callback(cb2)
    lists = [o for o in __import__("gc").get_referents(f) if isinstance(o, list)]
    out["FUTURE_CALLBACKS"] = at(f, lists[0]) if len(lists) == 1 else -2
    r = object()
    done = loop.create_future(); done.set_result(r)
    out["FUTURE_RESULT"] = at(done, r)
    e = ValueError()
    bad = loop.create_future(); bad.set_exception(e); bad.exception()
    out["FUTURE_EXCEPTION"] = at(bad, e)
    gone = loop.create_future(); gone.cancel()
    new = loop.create_future()
    st = [o for o in range(16, 200, 4) if
          [ctypes.c_int32.from_address(id(x) + o).value for x in (new, gone, done)] == [0, 1, 2]]
    out["FUTURE_STATE"] = st[0] if len(st) == 1 else -2
    t.cancel()

asyncio.run(main())
rl = threading.RLock()
held, release = threading.Event(), threading.Event()
owner = {}
def hold():
    rl.acquire(); rl.acquire(); rl.acquire()
    owner["id"] = threading.get_ident(); held.set(); release.wait()
    rl.release(); rl.release(); rl.release()
th = threading.Thread(target=hold); th.start(); held.wait()
w = words(rl, 6)
out["RLOCK_OWNER"] = [8 * i for i in range(2, 6) if w[i] == owner["id"]][0]
out["RLOCK_COUNT"] = [8 * i for i in range(2, 6) if w[i] == 3][0]
release.set(); th.join()
lk = threading.Lock()
before = bytes((ctypes.c_char * type(lk).__basicsize__).from_address(id(lk)))
lk.acquire()
after = bytes((ctypes.c_char * type(lk).__basicsize__).from_address(id(lk)))
diff = [i for i in range(16, len(before)) if before[i] != after[i]]
out["LOCK_LOCKED"] = diff[0] if len(diff) == 1 else -2
for k, v in sorted(out.items()):
    print(k, v)
EOF
	while read -r v py; do
		run -0 "$py" "$probe"
		local want
		want=$("$PM_UNIT/layout-print" "${v#3.}" |
		    grep -E '^(TASK_|FUTURE_|RLOCK_|LOCK_LOCKED )' | sort)
		assert_equal "$v: $output" "$v: $want"
	done < <(pm_pythons)
}

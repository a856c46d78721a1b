"""Corrupt the tracemalloc trace table of an uncompressed snapshot in known
ways, for tests/tracemalloc.bats.

usage: python3 tmedit.py LAYOUT IN OUTDIR EDIT...

LAYOUT and IN as for tests/fuzz/snapedit.py (whose snapshot reader this
uses); each EDIT is applied alone to a copy of IN written to
OUTDIR/EDIT.raw. The trace table of domain 0 is found as pmtools finds it:
_PyRuntime.tracemalloc.traces on 3.12+, the static tracemalloc_traces
before. An EDIT is one of:

  count    the table counts one entry fewer than it holds
  huge     the table counts 2**62 entries
  loop     the first entry of the first bucket in use links to itself
  buckets  the table claims 2**35 buckets, more than were captured

It prints "table 0x..." with the table's address, then the address of
each word it changed. Exit 2 when the snapshot has no such table.
"""
import os
import sys


def load_snapedit():
    """Snap and die from tests/fuzz/snapedit.py, which runs its main() when
    imported: only what comes before main() is run."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz",
                        "snapedit.py")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    ns = {"__name__": "snapedit"}
    exec(compile(src[:src.index("\ndef main():")], path, "exec"), ns)
    return ns["Snap"], ns["die"]


Snap, die = load_snapedit()


def main():
    if len(sys.argv) < 5:
        die("usage: tmedit.py LAYOUT IN OUTDIR EDIT...")
    L = {}
    with open(sys.argv[1]) as f:
        for line in f:
            k, v = line.split()
            L[k] = int(v)
    with open(sys.argv[2], "rb") as f:
        s = Snap(f.read())

    if L["RUNTIME_TRACEMALLOC"] >= 0:
        rt = s.syms.get("_PyRuntime") or die("no _PyRuntime symbol")
        table = s.rd(rt + L["RUNTIME_TRACEMALLOC"] + L["TM_STATE_TRACES"])
    else:
        var = s.syms.get("tracemalloc_traces") or die(
            "no tracemalloc_traces symbol")
        table = s.rd(var)
    if table == 0:
        die("tracemalloc is not tracing")
    print("table 0x%x" % table)
    orig = bytes(s.b)
    for edit in sys.argv[4:]:
        s.b = bytearray(orig)
        apply(s, L, table, edit)
        with open(os.path.join(sys.argv[3], edit + ".raw"), "wb") as f:
            f.write(s.b)


def apply(s, L, table, edit):
    count = table + L["HASHTABLE_NENTRIES"]
    if edit == "count":
        s.wr(count, s.rd(count) - 1)
    elif edit == "huge":
        s.wr(count, 1 << 62)
    elif edit == "buckets":
        s.wr(table + L["HASHTABLE_NBUCKETS"], 1 << 35)
    elif edit == "loop":
        buckets = s.rd(table + L["HASHTABLE_BUCKETS"])
        for i in range(s.rd(table + L["HASHTABLE_NBUCKETS"])):
            entry = s.rd(buckets + 8 * i)
            if entry:
                s.wr(entry + L["HASHTABLE_ENTRY_NEXT"], entry)
                break
        else:
            die("the trace table is empty")
    else:
        die("unknown edit '%s'" % edit)

main()

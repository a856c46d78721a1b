"""Target for tracemalloc traces: objects allocated on a known line.

usage: tmalloc.py TRUTHFILE [N [MODE]]

Run it with PYTHONTRACEMALLOC=5 (or -X tracemalloc=5). Allocates N
(default 10000) instances of __main__.Slot (a __slots__ class: one memory
block each, no dict) on the line marked ALLOC below, six calls deep (one
more than the limit of 5), and keeps them in OBJS; then a few objects of
other layouts in OTHERS. Writes `KEY VALUE` lines of truth, taken from
inside:

  tracing       1 when tracemalloc traces, else 0
  file, line    the file name and line of the allocation, as tracemalloc
                records them
  count, bytes  Snapshot.statistics('lineno') for that line
  n, getsizeof  N and the objects' summed sys.getsizeof
  sample.K      "ADDRESS TRACEBACK" for a few Slots: the address (id) and
                tracemalloc.get_object_traceback(), most recent frame first,
                frames joined by " < ", and " < …(+K)" for the K frames
                tracemalloc dropped (3.9+, whose tracebacks count them)
  other.K       the same for objects of other types ("-" when tracemalloc
                has no trace of one; "…(+?)": maybe some frames dropped)
  plain         the same for an instance of a class with a managed dict
                (weak references too, 3.12+), made on the line marked PLAIN,
                its traceback taken from the stack it was made on: 3.11's
                get_object_traceback() does not look behind the pre-header
                of such objects and answers None
  nframe        the traceback limit
  traced        tracemalloc.get_traced_memory()[0], the last thing done

then READY on stdout, and sleeps in main(). MODE "stop" starts tracemalloc
(if not yet), allocates, and stops it again before writing the truth, so
that tracemalloc is initialised but no longer tracing.
"""
import sys
import time
import tracemalloc

LIMIT = 5


class Slot:
    __slots__ = ("a",)


class Plain:
    def __init__(self, i):
        self.i = i


def depth(f):
    """Frames on the stack from f down: what tracemalloc sees there."""
    n = 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


def frames_text(frames, total):
    """frames: (file, line) most recent first, as tracemalloc keeps them;
    total: how many the stack had, None when unknown."""
    out = ["%s:%d" % fr for fr in frames[:LIMIT]]
    if not hasattr(tracemalloc.Traceback, "total_nframe"):
        pass
    elif total is None and len(out) == LIMIT:
        out.append("…(+?)")
    elif total is not None and total > len(out):
        out.append("…(+%d)" % (total - len(out)))
    return " < ".join(out)


def others(k):
    """Objects of other layouts: no GC header, variable sizes."""
    global PLAIN_TB
    plain = Plain(k)  # PLAIN
    f = sys._getframe()
    stack = [(f.f_code.co_filename, marked_line("# PLAIN"))]
    f = f.f_back
    while f is not None:
        stack.append((f.f_code.co_filename, f.f_lineno))
        f = f.f_back
    PLAIN_TB = frames_text(stack, len(stack))
    return plain, [
        "-".join(str(i) for i in range(k)), {"k": k}, [k, k], (object(), k),
        float(k) / 3, 10 ** 30 + k, bytes(k), {k, -k}]


def alloc(n):
    global DEPTH
    DEPTH = depth(sys._getframe())
    out = []
    for _ in range(n):
        o = Slot()  # ALLOC
        out.append(o)
    return out


def level2(n):
    return alloc(n)


def level1(n):
    return level2(n)


def level0(n):
    return level1(n)


def marked_line(mark):
    with open(__file__, encoding="utf-8") as f:
        for no, text in enumerate(f, 1):
            if text.rstrip().endswith(mark):
                return no
    raise SystemExit("no line marked %s" % mark)


def tb_text(tb, total):
    """get_object_traceback() gives no total_nframe: the depth tells it,
    when known (None: an object from a free list may have been allocated
    anywhere; then a full traceback ends in "…(+?)", as many as dropped,
    maybe none)."""
    if tb is None:
        return "-"
    return frames_text([(fr.filename, fr.lineno) for fr in reversed(tb)],
                       total)


def main():
    global OBJS, PLAIN, OTHERS
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    mode = sys.argv[3] if len(sys.argv) > 3 else ""
    if mode == "stop" and not tracemalloc.is_tracing():
        tracemalloc.start(LIMIT)
    OBJS = level0(n)
    PLAIN, OTHERS = others(n)
    if mode == "stop":
        tracemalloc.stop()
    out = open(sys.argv[1], "w", encoding="utf-8")

    def put(key, value):
        out.write("%s %s\n" % (key, value))

    put("tracing", int(tracemalloc.is_tracing()))
    put("n", n)
    put("getsizeof", sum(sys.getsizeof(o) for o in OBJS))
    filename = alloc.__code__.co_filename
    line = marked_line("# ALLOC")
    put("file", filename)
    put("line", line)
    if tracemalloc.is_tracing():
        put("nframe", tracemalloc.get_traceback_limit())
        snap = tracemalloc.take_snapshot()
        for stat in snap.statistics("lineno"):
            fr = stat.traceback[0]
            if fr.filename == filename and fr.lineno == line:
                put("count", stat.count)
                put("bytes", stat.size)
        del snap, stat, fr
        for k, i in enumerate((0, 1, n // 2, n - 1)):
            o = OBJS[i]
            put("sample.%d" % k, "0x%x %s" % (id(o), tb_text(
                tracemalloc.get_object_traceback(o), DEPTH)))
        for k, o in enumerate(OTHERS):
            put("other.%d" % k, "0x%x %s" % (id(o), tb_text(
                tracemalloc.get_object_traceback(o), None)))
        put("plain", "0x%x %s" % (id(PLAIN), PLAIN_TB))
        del o
        out.flush()
        put("traced", tracemalloc.get_traced_memory()[0])
    out.close()
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

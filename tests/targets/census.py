"""Census target: plants known objects, writes its own truth, then waits.

usage: census.py TRUTHFILE [N M K]

Creates and frees a million objects first (so a dump that counted freed
memory would show them), then plants N instances of a plain class, M of a
__slots__ class and K of a dict subclass, plus builtins of known counts,
and writes `KEY VALUE` lines of ground truth measured from inside with
sys.getsizeof. Prints READY when the truth file is complete.
"""
import gc
import os
import sys
import time


class Plain:
    def __init__(self, i):
        self.ident = i
        self.label = "plain"


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, i):
        self.a = i
        self.b = None


class DictSub(dict):
    pass


def main():
    truth = sys.argv[1]
    n, m, k = (int(x) for x in sys.argv[2:5]) if len(sys.argv) > 4 else (10000, 7000, 3000)

    churn = [Plain(i) for i in range(1000000)]
    del churn
    churn = [{"k": i} for i in range(200000)]
    del churn
    gc.collect()

    global PLAIN, SLOTTED, DSUB, INTS, STRS, LISTS, DICTS, BYTES
    PLAIN = [Plain(i) for i in range(n)]
    SLOTTED = [Slotted(i) for i in range(m)]
    DSUB = [DictSub(x=i) for i in range(k)]
    INTS = [1000000 + i for i in range(5000)]
    STRS = ["planted-%d" % i for i in range(4000)]
    LISTS = [[i] for i in range(3000)]
    DICTS = [{"i": i} for i in range(2000)]
    BYTES = [b"b%d" % i for i in range(1000)]

    lines = []
    for name, objs in (("__main__.Plain", PLAIN), ("__main__.Slotted", SLOTTED),
                       ("__main__.DictSub", DSUB)):
        lines.append("%s.count %d" % (name, len(objs)))
        lines.append("%s.bytes %d" % (name, sum(sys.getsizeof(o) for o in objs)))
    for name, objs in (("int", INTS), ("str", STRS), ("list", LISTS),
                       ("dict", DICTS), ("bytes", BYTES)):
        lines.append("%s.planted %d" % (name, len(objs)))
    lines.append("pid %d" % os.getpid())
    with open(truth + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(truth + ".tmp", truth)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

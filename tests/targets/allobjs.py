"""Ground truth of every object Python itself can see, for exact checks.

usage: allobjs.py TRUTHFILE

Writes `ADDR SIZE TYPE` for every object in gc.get_objects() and every
object those refer to (gc.get_referents), as the target sees them: id(),
sys.getsizeof() and module.qualname of the type (builtins unqualified).
Then prints READY and waits, so the tests can compare a dump with it.
"""
import collections
import gc
import os
import sys
import time


def tname(t):
    mod = getattr(t, "__module__", None)
    qual = getattr(t, "__qualname__", t.__name__)
    if isinstance(t.__dict__.get("__module__"), str) and mod != "builtins":
        return "%s.%s" % (mod, qual)
    return t.__name__ if mod == "builtins" else (
        "%s.%s" % (mod, qual) if mod else qual)


class Sample:
    def __init__(self, i):
        self.i = i
        self.s = "x" * i


class Slot:
    __slots__ = ("p", "q")


KEEP = [Sample(i) for i in range(50)] + [Slot() for _ in range(5)]
KEEP.append({"nested": [1, 2.5, 3 + 4j, b"by", bytearray(b"ba"), frozenset({1}), {7, 8}]})
KEEP.append("é" * 10)
KEEP.append("\u20ac" * 10)
KEEP.append("\U0001f600" * 3)
async def _coro(n):
    return n


async def _agen():
    yield 1


def _gen():
    yield 1


KEEP.append(_coro(7))
KEEP.append(_agen())
KEEP.append(_gen())
KEEP.append(collections.deque("dq-%d" % i for i in range(300)))
KEEP.append(2 ** 200)
KEEP.append(-(2 ** 70))


def main():
    out = sys.argv[1]
    gc.collect()
    objs = gc.get_objects()
    seen = {}
    for o in objs:
        seen[id(o)] = o
    for o in objs:
        for r in gc.get_referents(o):
            seen.setdefault(id(r), r)
    del objs
    with open(out + ".tmp", "w") as f:
        for a, o in seen.items():
            if o is seen:
                continue
            try:
                size = sys.getsizeof(o)
            except Exception:
                continue
            f.write("0x%x\t%d\t%s\n" % (a, size, tname(type(o))))
    os.rename(out + ".tmp", out)
    seen.clear()
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

"""A small target holding one or more of every kind of object pmtools
models, for fuzz seeds: tests/fuzz/mkcorpus.sh dumps it with
pm-dump --raw and cuts the dump into seeds with mkseed.

usage: python3 fuzzseed.py

Prints READY when everything is in place, then waits in two threads (so
the dump has a few frames of each) until it is killed.
"""
import collections
import sys
import threading
import weakref


class Plain:
    def __init__(self, i):
        self.ident = i
        self.label = "plain-%d" % i


class Slotted:
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = 1
        self.y = "slot"


class DictSub(dict):
    pass


class ListSub(list):
    pass


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class NoDict:
    def __init__(self):
        self.__dict__.clear()


def gen():
    yield 1
    yield 2


async def coro():
    return 1


def outer():
    cell = [1, 2]

    def inner():
        return cell
    return inner


KEEP = [Plain(i) for i in range(3)]
KEEP += [Slotted(), DictSub(a=1, b=[2]), ListSub([1, 2]), WithMeta(), NoDict()]
KEEP += [{"a": 1, 2: "b", (3,): None}, dict.fromkeys(range(40))]
KEEP += [1, 2.5, 3j, b"bytes", bytearray(b"array"), "ascii", "\xe9t\xe9",
         "\u20ac uro", "\U0001f600 smile", 10 ** 40, -(2 ** 70), True, None,
         Ellipsis, NotImplemented]
KEEP += [{1, 2, 3}, set(range(50)), frozenset(["f", "g"]), (1, "t", 2.0), ()]
KEEP += [collections.deque(range(100)), collections.deque(maxlen=3)]
KEEP += [collections.OrderedDict(a=1), collections.defaultdict(list)]
g = gen()
next(g)
KEEP += [g, gen()]
c = coro()
KEEP += [c, outer(), weakref.ref(KEEP[0]), KEEP[0].__init__, outer.__code__,
         sys.modules[__name__], sys._getframe()]
KEEP.append(KEEP)  # a cycle

stop = threading.Event()


def worker(depth):
    if depth:
        return worker(depth - 1)
    here = {"in": "thread", "n": depth}
    stop.wait()
    return here


t = threading.Thread(target=worker, args=(3,), daemon=True)
t.start()
print("READY", flush=True)
stop.wait()

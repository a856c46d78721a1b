"""Reference-graph target: known leaks, shapes and names, with their truth.

usage: refs.py TRUTHFILE [NFUTURES [CHAIN]]

Plants a global CONN whose dict attribute `pending` holds NFUTURES
(default 40000) done asyncio futures made with a loop, and graphs whose
dominator trees are known: a 3-cycle, a chain of CHAIN (default 100000)
one-item lists, a diamond. Each is made only of lists (whose references
are exactly their items and their type) and floats, so the target can
compute the retained size of each node itself with sys.getsizeof. Also
plants references of every kind pm-refs names (slots, closure cells,
weakrefs, tuple items, odd dict keys, a frame local). Writes `KEY VALUE`
lines of truth (addresses as 0x-hex), then READY, then sleeps in main().
"""
import asyncio
import gc
import sys
import threading
import time
import weakref


def hexid(o):
    return "0x%x" % id(o)


class Conn:
    def __init__(self):
        self.pending = {}


class Slotted:
    __slots__ = ("a", "b")


class Leaf:
    pass


def make_closure():
    secret = ["closure-secret"]

    def inner():
        return secret

    return inner


def plant_futures(n):
    loop = asyncio.new_event_loop()
    conn = Conn()
    for i in range(n):
        f = loop.create_future()
        f.set_result(None)
        conn.pending[i] = f
    return loop, conn


def chain(n):
    node = []
    for _ in range(n - 1):
        node = [node]
    return node


def main():
    global CONN, LOOP, CYCLE, CHAIN, DIAMOND, SLOTTED, FN, WEAKLY, WR, TUP
    global ODD, NESTED
    truth = open(sys.argv[1], "w")
    nfut = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
    nchain = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    size = sys.getsizeof

    def put(key, value):
        truth.write("%s %s\n" % (key, value))

    LOOP, CONN = plant_futures(nfut)
    pending = CONN.pending
    futsum = sum(size(f) for f in pending.values())
    keysum = sum(size(k) for k in pending if k > 256)
    put("conn", hexid(CONN))
    put("pending", hexid(pending))
    put("pending.size", size(pending))
    put("future17", hexid(pending[17]))
    put("futures.count", len(pending))
    put("futures.bytes", futsum)
    put("pending.retained", size(pending) + futsum + keysum)
    put("pending.count_retained", 1 + len(pending) + sum(1 for k in pending if k > 256))
    del pending

    # A cycle a -> c -> b -> a entered at a.
    a = [None]
    b = [a]
    c = [b]
    a[0] = c
    CYCLE = a
    put("cycle.a", hexid(a))
    put("cycle.b", hexid(b))
    put("cycle.c", hexid(c))
    put("cycle.a.retained", size(a) + size(b) + size(c))
    put("cycle.c.retained", size(c) + size(b))
    put("cycle.b.retained", size(b))
    del a, b, c

    # A chain of one-item lists; node k retains the nodes after it.
    CHAIN = chain(nchain)
    nodes = []
    node = CHAIN
    while True:
        nodes.append(node)
        if not node:
            break
        node = node[0]
    sizes = [size(x) for x in nodes]
    tail = 0
    retained = [0] * len(nodes)
    for k in range(len(nodes) - 1, -1, -1):
        tail += sizes[k]
        retained[k] = tail
    for k in (0, 1, len(nodes) // 2, len(nodes) - 1):
        put("chain.%d" % k, hexid(nodes[k]))
        put("chain.%d.retained" % k, retained[k])
        put("chain.%d.count_retained" % k, len(nodes) - k)
    put("chain.len", len(nodes))
    del nodes, node, sizes, retained

    # A diamond top -> {left, right} -> bottom -> payload -> floats.
    payload = [float(i) + 0.25 for i in range(100)]
    bottom = [payload]
    left = [bottom]
    right = [bottom]
    DIAMOND = [left, right]
    below = size(bottom) + size(payload) + sum(size(x) for x in payload)
    put("diamond.top", hexid(DIAMOND))
    put("diamond.left", hexid(left))
    put("diamond.right", hexid(right))
    put("diamond.bottom", hexid(bottom))
    put("diamond.top.retained", size(DIAMOND) + size(left) + size(right) + below)
    put("diamond.left.retained", size(left))
    put("diamond.bottom.retained", below)
    put("diamond.bottom.count_retained", 2 + len(payload))
    del payload, bottom, left, right

    # References of every kind, for the names pm-refs gives them.
    SLOTTED = Slotted()
    SLOTTED.a = Leaf()
    put("slotted", hexid(SLOTTED))
    put("slotted.a", hexid(SLOTTED.a))
    FN = make_closure()
    put("fn.cell", hexid(FN.__closure__[0]))
    put("fn.secret", hexid(FN.__closure__[0].cell_contents))
    WEAKLY = Leaf()
    WR = weakref.ref(WEAKLY)
    put("weakly", hexid(WEAKLY))
    put("wr", hexid(WR))
    TUP = (1, Leaf())
    put("tup", hexid(TUP))
    put("tup.1", hexid(TUP[1]))
    ODD = {"it's": Leaf(), 'say "hi"\n': Leaf(), -12345678901234567890123: Leaf(),
           None: Leaf(), (1, 2): Leaf(), "class": Leaf()}
    put("odd", hexid(ODD))
    for k, v in ODD.items():
        put("odd.%s" % ("tuple" if isinstance(k, tuple) else repr(k).replace(" ", "_").replace("\\", "")), hexid(v))
    del k, v
    NESTED = {"m": {"n": [Leaf()]}}
    put("nested.leaf", hexid(NESTED["m"]["n"][0]))

    keep = [Leaf()]
    put("keep", hexid(keep))
    put("native_thread_id", threading.get_native_id())
    put("thread_ident", threading.get_ident())
    put("version", "%d.%d" % sys.version_info[:2])
    truth.close()
    gc.collect()
    print("READY", flush=True)
    while True:
        time.sleep(1000)
        keep.append(None)


if __name__ == "__main__":
    main()

"""Memory target: Python objects beside a large C buffer, for pm-types --memory.

usage: memory.py TRUTHFILE MALLOCSTATS [OBJ_MIB [BUF_MIB]]

Plants about OBJ_MIB MiB (default 50) of small Python objects (instances
with an int and a 200-character str attribute, held in a list) and a BUF_MIB MiB (default
200) ctypes.create_string_buffer, whose bytes are malloc'd outside pymalloc
and are no Python object's (sys.getsizeof of the ctypes object leaves them
out). Writes `KEY VALUE` lines of truth measured from inside:

  planted.bytes   summed sys.getsizeof of the planted objects
  objects.count   objects reachable from gc.get_objects() through
                  gc.get_referents(), each once
  objects.bytes   their summed sys.getsizeof
  buffer.addr     address of the C buffer
  buffer.bytes    its size

then, as the very last thing, writes sys._debugmallocstats() into
MALLOCSTATS, prints READY with os.write and sleeps: nothing allocates
after the statistics, so they describe the heap a dump will see.
"""
import ctypes
import gc
import os
import sys
import time


class Item:
    def __init__(self, i):
        self.i = 10 ** 6 + i
        self.name = ("item-%d " % i).ljust(200, "x")


def item_bytes(it):
    return (sys.getsizeof(it) + sys.getsizeof(it.i) + sys.getsizeof(it.name) +
            (sys.getsizeof(it.__dict__) if sys.version_info < (3, 11) else 0))


def reachable():
    seen = set()
    stack = gc.get_objects()
    # Not the walk's own state: its frame (tracked up to 3.10) holds the
    # set of ids, whose ints would be counted too.
    seen.update((id(seen), id(stack), id(sys._getframe())))
    count = size = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        count += 1
        size += sys.getsizeof(o)
        stack.extend(gc.get_referents(o))
    return count, size


def main():
    truth, stats = sys.argv[1], sys.argv[2]
    obj_mib = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    buf_mib = int(sys.argv[4]) if len(sys.argv) > 4 else 200

    global BUF, ITEMS
    BUF = ctypes.create_string_buffer(buf_mib << 20)
    per = item_bytes(Item(0))
    n = (obj_mib << 20) // per
    ITEMS = [Item(i) for i in range(n)]
    planted = sum(item_bytes(it) for it in ITEMS) + sys.getsizeof(ITEMS)

    gc.collect()
    count, size = reachable()
    lines = [
        "planted.bytes %d" % planted,
        "objects.count %d" % count,
        "objects.bytes %d" % size,
        "buffer.addr %d" % ctypes.addressof(BUF),
        "buffer.bytes %d" % (buf_mib << 20),
        "pid %d" % os.getpid(),
    ]
    with open(truth + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(truth + ".tmp", truth)
    del lines, f, count, size
    gc.collect()

    # From here on nothing may allocate: the statistics must be the heap's.
    fd = os.open(stats, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    sys._debugmallocstats()
    os.write(1, b"READY\n")
    time.sleep(1e6)


main()

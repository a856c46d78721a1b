"""Target for pm-refs --by-referrer: instances of one class held in known ways.

usage: byref.py TRUTHFILE [N1 N2 N3]

Makes instances of __main__.Item held:
  N1 (default 3000) in a list attribute HOLDER.items of a __main__.Holder,
  N2 (default 2000) as values of a dict attribute REGISTRY.by_id of a
     __main__.Registry,
  N3 (default 1000) in a module-level set ITEMS,
plus one as an instance attribute (HOLDER.special), one as a class
attribute (Registry.default), one as a module global (LONE), and a module
tuple PAIR of a new one and one already in HOLDER.items (counted in both
groups). Writes to TRUTHFILE the records pm-refs --by-referrer -t
__main__.Item must print, sorted as it sorts them (count, bytes, then
names), with counts and sys.getsizeof sums computed here; then READY on
stdout, then sleeps in main() with no Item in its locals.
"""
import sys
import time


class Item:
    def __init__(self, n):
        self.n = n


class Holder:
    def __init__(self, n):
        self.items = [Item(i) for i in range(n)]
        self.special = Item(-1)


class Registry:
    default = None

    def __init__(self, n):
        self.by_id = {}
        for i in range(n):
            self.by_id[i] = Item(i)


def build(n1, n2, n3):
    g = globals()
    g["HOLDER"] = Holder(n1)
    g["REGISTRY"] = Registry(n2)
    Registry.default = Item(-2)
    g["ITEMS"] = set(Item(i) for i in range(n3))
    g["LONE"] = Item(-3)
    shared = Item(-4)
    HOLDER.items.append(shared)
    g["PAIR"] = (Item(-5), shared)


def size(objs):
    return sum(sys.getsizeof(o) for o in objs)


def records():
    main = "<module '__main__'>"
    groups = [
        (HOLDER.items, "list", "__main__.Holder.items"),
        (list(REGISTRY.by_id.values()), "dict", "__main__.Registry.by_id"),
        (list(ITEMS), "set", main + ".ITEMS"),
        (PAIR, "tuple", main + ".PAIR"),
        ([HOLDER.special], "__main__.Holder.special", "-"),
        ([Registry.default], "<class '__main__.Registry'>.default", "-"),
        ([LONE], main + ".LONE", "-"),
    ]
    rows = [(len(objs), size(objs), "__main__.Item", ref, owner)
            for objs, ref, owner in groups]
    rows.sort(key=lambda r: (-r[0], -r[1], r[2], r[3], r[4]))
    return ["%d\t%d\t%s\t%s\t%s" % r for r in rows]


def main():
    n1, n2, n3 = (int(a) for a in sys.argv[2:5]) if len(sys.argv) > 4 \
        else (3000, 2000, 1000)
    build(n1, n2, n3)
    with open(sys.argv[1], "w") as truth:
        for line in records():
            truth.write(line + "\n")
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

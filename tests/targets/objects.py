"""pm-objects target: plants objects of every supported type, writes what
it knows about them, then waits to be dumped.

usage: objects.py TRUTHFILE

Truth lines ("KEY VALUE"), written before READY is printed:
  expect.N LINE   the record `pm-objects --depth 10 --width 0` must print
                  for sample N: ADDR TYPE SIZE REPR, tab-separated, the
                  repr escaped as the TSV writer escapes it (repr() from
                  here for every type whose repr pmtools reproduces)
  attrs.N LINE    the record `pm-objects -a --width 0` prints for instance
                  N of Planted, Slotted or Both (values set here)
  gen.N LINE      the same for a coroutine, a generator, an async generator
  own.N LINE      records for types whose repr is pmtools' own shape
                  (asyncio tasks and futures with callbacks)
  big.addr/size   the 1 MiB bytes object: hex id() and sys.getsizeof
  biglist.addr/size/len   a list of 12345 ints
  sub.count       instances of subclasses of Base (none of Base itself)
  mod.count       instances of classes whose __module__ is plantmod
  redact.addr/len/hash    a str; hash = sha256(utf-8)[:16]
  planted.count   Planted instances
"""
import asyncio
import hashlib
import sys
import types


class Planted:
    def __init__(self, ident, label, ratio, flag):
        self.ident = ident
        self.label = label
        self.ratio = ratio
        self.flag = flag

    def method(self):
        return self.ident


class Slotted:
    __slots__ = ("alpha", "beta")

    def __init__(self, a, b):
        self.alpha = a
        self.beta = b


class Both:
    __slots__ = ("x", "__dict__")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Base:
    pass


class SubA(Base):
    pass


class SubB(SubA):
    pass


class MyErr(Exception):
    pass


PlantMod = type("PlantMod", (), {"__module__": "plantmod"})


def tsv(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def tname(o):
    t = type(o)
    if t.__module__ == "builtins":
        return t.__qualname__
    return "%s.%s" % (t.__module__, t.__qualname__)


def record(o, text):
    return "0x%x\t%s\t%d\t%s" % (id(o), tname(o), sys.getsizeof(o), tsv(text))


def outer():
    cell_value = 123456

    def inner():
        return cell_value
    return inner


def plain_function():
    pass


async def coro_function(fut=None):
    if fut is not None:
        await fut


def gen_function():
    yield 1


async def agen_function():
    yield 1


def slot_order(cls):
    """Slot members in the order the heap reports them: the class's own
    members (CPython sorts them), then those of its bases."""
    names = []
    for c in cls.__mro__:
        for k, v in vars(c).items():
            if type(v).__name__ == "member_descriptor" and k != "__weakref__":
                names.append(k)
    return names


def main():
    truth = open(sys.argv[1], "w")
    keep = []  # everything planted stays alive here

    recursive_list = [1, "two"]
    recursive_list.append(recursive_list)
    recursive_dict = {"name": "loop"}
    recursive_dict["self"] = recursive_dict
    empty_cell = types.CellType() if hasattr(types, "CellType") else None
    closure = outer()
    planted_for_method = Planted(7, "m", 0.5, None)
    planted_sample = Planted(1, "x", 0.0, None)

    samples = [
        None, True, False, NotImplemented, Ellipsis,
        0, 1, -1, 1073741823, 1073741824, 2 ** 64 + 1, -(10 ** 50),
        10 ** 100, 3 ** 2000,
        0.1, 1e22, 1e16, 1e15, 123456789.0, 1 / 3, -0.0, 0.0, 2.5,
        float("inf"), float("-inf"), float("nan"), 5e-324,
        1.7976931348623157e308, 1e-05, 0.0001, 2.5e-07, 9007199254740993.0,
        1 + 2j, 2j, -1.5 - 0j, complex(0.0, -1.0), complex(-0.0, 1.0),
        1e20j, complex(float("inf"), float("nan")),
        "", "abc", "it's", 'say "hi"', "both ' and \"",
        "tab\there\nnewline\\back\rcr", "\x00\x1f\x7f\x80\x9f\xa0\xad",
        "\xe9t\xe9 \xff", "\u20acuro \u03a9mega", "\U0001F600 smile \U00010348",
        "\u200b zero \u2028 line \u3000 space \ufeff bom",
        "\ud800 lone surrogate",
        b"", b"abc", b"it's", b'say "hi"', b"\x00\xff\n\t\\",
        bytearray(b"ab\x00\xfe"), bytearray(),
        (), (1,), (1, "a", None), ((1, 2), [3, (4,)]),
        [], [1, [2, [3, [4, []]]]], recursive_list,
        {}, {"a": 1, 2: [3], (4,): {"x": None}}, recursive_dict,
        set(), {1}, {"only"}, frozenset(), frozenset({1, 2, 3}),
        int, Planted, type, Exception,
        plain_function, closure, (lambda: 0),
        planted_for_method.method, len, [].append,
        sys, types, plain_function.__code__,
        closure.__closure__[0],
        range(10), range(1, 10, 2), range(-5, 5), range(0),
        slice(1, 2, None), slice(None), slice("a", 2.5, -1),
        ValueError("bad"), KeyError("k", 2), Exception(), MyErr("mine"),
        OSError(2, "No such file"),
        planted_sample, Base(),
    ]
    if empty_cell is not None:
        samples.append(empty_cell)
    # Generators apart: their sizes depend on the frame they embed.
    gens = [coro_function(), gen_function(), agen_function()]
    keep += gens
    for n, o in enumerate(gens):
        truth.write("gen.%d %s\n" % (n, record(o, repr(o))))

    loop = asyncio.new_event_loop()
    f_pending = loop.create_future()
    f_result = loop.create_future()
    f_result.set_result(42)
    f_exc = loop.create_future()
    f_exc.set_exception(ValueError("failed"))
    f_exc_retrieved = f_exc.exception()
    f_cancelled = loop.create_future()
    f_cancelled.cancel()
    samples += [f_pending, f_result, f_exc, f_cancelled]
    keep += [loop, f_exc_retrieved]

    n = 0
    for o in samples:
        keep.append(o)
        truth.write("expect.%d %s\n" % (n, record(o, repr(o))))
        n += 1

    # Tasks: our own shape (Python prints coroutine frames and callbacks).
    inner = loop.create_future()
    task = loop.create_task(coro_function(inner), name="probe") \
        if sys.version_info >= (3, 8) else None
    loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(asyncio.sleep(0))
    keep += [inner, task]
    coro = task.get_coro()
    truth.write("own.0 %s\n" % record(task, "<Task pending name='probe' "
        "coro=<coroutine object coro_function at 0x%x> wait_for=<Future "
        "pending>>" % id(coro)))
    done = loop.create_task(coro_function())
    loop.run_until_complete(done)
    keep.append(done)
    truth.write("own.1 %s\n" % record(done, "<Task finished name=%r "
        "coro=<coroutine object coro_function at 0x%x> result=None>"
        % (done.get_name(), id(done.get_coro()))))

    # Instances and their attributes.
    global PLANTED, SLOTTED, BOTH, SUBS, MODS, BIG, BIGLIST, SECRET, KEEP
    PLANTED = [Planted(i, "planted-%d" % i, i / 4, None if i % 2 else True)
               for i in range(40)]
    # Half of them with their __dict__ materialised (3.11+ keep the others'
    # values inline).
    for p in PLANTED[::2]:
        vars(p)
    SLOTTED = [Slotted(i, "s%d" % i) for i in range(5)] + [Slotted.__new__(Slotted)]
    SLOTTED[-1].beta = "only beta"
    BOTH = [Both(i, [i]) for i in range(3)]
    k = 0
    for p in PLANTED + [planted_for_method, planted_sample]:
        text = "%r {ident=%r, label=%r, ratio=%r, flag=%r}" % (
            p, p.ident, p.label, p.ratio, p.flag)
        truth.write("attrs.%d %s\n" % (k, record(p, text)))
        k += 1
    order = slot_order(Slotted)
    for s in SLOTTED:
        items = ["%s=%r" % (a, getattr(s, a)) for a in order if hasattr(s, a)]
        truth.write("attrs.%d %s\n" % (k, record(s, "%r {%s}" % (s, ", ".join(items)))))
        k += 1
    for b in BOTH:
        # The list is one level down: beyond the default depth of 1.
        text = "%r {x=%r, y=[\u2026(+1)]}" % (b, b.x)
        truth.write("attrs.%d %s\n" % (k, record(b, text)))
        k += 1
    truth.write("planted.count %d\n" % (len(PLANTED) + 2))

    SUBS = [SubA() for _ in range(7)] + [SubB() for _ in range(5)]
    truth.write("sub.count %d\n" % len(SUBS))
    MODS = [PlantMod() for _ in range(9)]
    truth.write("mod.count %d\n" % len(MODS))

    BIG = bytes(bytearray(1 << 20))
    truth.write("big.addr 0x%x\nbig.size %d\n" % (id(BIG), sys.getsizeof(BIG)))
    BIGLIST = list(range(12345))
    truth.write("biglist.addr 0x%x\nbiglist.size %d\nbiglist.len %d\n"
                % (id(BIGLIST), sys.getsizeof(BIGLIST), len(BIGLIST)))
    SECRET = "".join(["s3cr3t-", "p\xe4ssw\u00f6rd-", "\u2603"])
    truth.write("redact.addr 0x%x\nredact.len %d\nredact.hash %s\n" % (
        id(SECRET), len(SECRET),
        hashlib.sha256(SECRET.encode("utf-8")).hexdigest()[:16]))
    KEEP = keep
    truth.close()
    print("READY", flush=True)
    import time
    while True:
        time.sleep(60)


main()

"""Corrupt an uncompressed snapshot in one known way, for the reliability
tests (tests/reliability.bats): loops and lying sizes in the structures
the object model walks.

usage: python3 snapedit.py LAYOUT IN OUT EDIT

LAYOUT is what layout-print (tests/unit) prints for the snapshot's Python
version: "KEY VALUE" lines. IN is read whole (the raw form: zstd -d a .pmd
first), OUT gets the edited copy. EDIT is one of:

  interp-loop     the interpreter list points back at its head
  thread-loop     the first thread state's next is itself
  frame-loop      the innermost frame of the first thread is its own caller
  gc-loop         the oldest GC generation's first object links to itself,
                  so the list never returns to its head
  type-base-loop  tp_base of the class named Victim is the class itself
  dict-entries    the keys of the dict subclass Holder's instance claim
                  2**40 entries
  dict-size       the same keys claim a table of 2**32 slots
  deque-loop      the deque of 200 items (tests/targets/victims.py) says it
                  holds 2**31 items in a block that links to itself

It prints the address of each word it changed, then, for the loops, a
line "names 0x..." with the address pmtools names in its message (the
interpreter, the thread state, the GC list head). Exit 2 when the
snapshot does not have what the edit needs.
"""
import struct
import sys

MAGIC = b"\x89PMSNAP\n"
REC_SYM, REC_MAP = 2, 4
TPFLAGS_HEAPTYPE = 1 << 9


def die(msg):
    sys.stderr.write("snapedit: %s\n" % msg)
    sys.exit(2)


class Snap:
    def __init__(self, data):
        if data[:8] != MAGIC:
            die("not an uncompressed snapshot")
        self.b = bytearray(data)
        self.syms = {}
        self.maps = []          # (start, end, file offset of the data)
        pos = 16
        while pos + 16 <= len(data):
            rtype, _, rlen = struct.unpack_from("<IIQ", data, pos)
            p = pos + 16
            if rtype == REC_SYM:
                addr = struct.unpack_from("<Q", data, p)[0]
                name = bytes(data[p + 8:p + rlen]).decode()
                self.syms[name] = addr
            elif rtype == REC_MAP:
                start, end, _, _, plen, size = struct.unpack_from(
                    "<QQQIIQ", data, p)
                off = p + 40 + ((plen + 7) & ~7)
                self.maps.append((start, end, off))
            pos = p + ((rlen + 7) & ~7)

    def where(self, addr, n):
        for start, end, off in self.maps:
            if start <= addr and addr + n <= end:
                return off + addr - start
        die("0x%x is not captured" % addr)

    def rd(self, addr):
        return struct.unpack_from("<Q", self.b, self.where(addr, 8))[0]

    def rd8(self, addr):
        return self.b[self.where(addr, 1)]

    def wr(self, addr, v):
        struct.pack_into("<Q", self.b, self.where(addr, 8), v)
        print("0x%x" % addr)

    def wr8(self, addr, v):
        self.b[self.where(addr, 1)] = v
        print("0x%x" % addr)

    def cstr(self, addr):
        try:
            o = self.where(addr, 1)
        except SystemExit:
            return b""
        return bytes(self.b[o:self.b.index(b"\0", o)])


def main():
    if len(sys.argv) != 5:
        die("usage: snapedit.py LAYOUT IN OUT EDIT")
    L = {}
    with open(sys.argv[1]) as f:
        for line in f:
            k, v = line.split()
            L[k] = int(v)
    with open(sys.argv[2], "rb") as f:
        s = Snap(f.read())
    edit = sys.argv[4]

    rt = s.syms.get("_PyRuntime") or die("no _PyRuntime symbol")
    interp = s.rd(rt + L["RUNTIME_INTERPRETERS_HEAD"])
    ts = s.rd(interp + L["INTERP_TSTATE_HEAD"])

    def frame_of(t):
        if L["TSTATE_FRAME"] >= 0:
            return s.rd(t + L["TSTATE_FRAME"]), L["FRAME_BACK"]
        if L["TSTATE_CURRENT_FRAME"] >= 0:
            return s.rd(t + L["TSTATE_CURRENT_FRAME"]), L["IFRAME_PREVIOUS"]
        cf = s.rd(t + L["TSTATE_CFRAME"])
        return s.rd(cf + L["CFRAME_CURRENT_FRAME"]), L["IFRAME_PREVIOUS"]

    def gc_objects():
        """Every object on every GC list, as (object, type) pairs."""
        if L["RUNTIME_GC"] >= 0:
            gc = rt + L["RUNTIME_GC"]
        else:
            gc = interp + L["INTERP_GC"]
        heads = [gc + L["GC_GENERATIONS"] + g * L["GC_GENERATION_SIZE"]
                 for g in range(L["NUM_GENERATIONS"])]
        if L["GC_PERMANENT_GENERATION"] >= 0:
            heads.append(gc + L["GC_PERMANENT_GENERATION"])
        for head in heads:
            head += L["GC_GENERATION_HEAD"]
            p = s.rd(head + L["GC_HEAD_NEXT"]) & ~3
            while p != head:
                o = p + L["GC_HEAD_SIZE"]
                yield o, s.rd(o + L["OBJECT_TYPE"])
                p = s.rd(p + L["GC_HEAD_NEXT"]) & ~3

    def instance_of(name):
        for o, t in gc_objects():
            if s.cstr(s.rd(t + L["TYPE_NAME"])) == name:
                return o, t
        die("no instance of %s" % name.decode())

    if edit == "interp-loop":
        s.wr(interp + L["INTERP_NEXT"], interp)
        print("names 0x%x" % interp)
    elif edit == "thread-loop":
        s.wr(ts + L["TSTATE_NEXT"], ts)
        print("names 0x%x" % interp)
    elif edit == "frame-loop":
        f, back = frame_of(ts)
        if f == 0:
            die("the first thread has no frame")
        s.wr(f + back, f)
        print("names 0x%x" % ts)
    elif edit == "gc-loop":
        gc = (rt + L["RUNTIME_GC"] if L["RUNTIME_GC"] >= 0
              else interp + L["INTERP_GC"])
        head = (gc + L["GC_GENERATIONS"] + L["GC_GENERATION_HEAD"] +
                (L["NUM_GENERATIONS"] - 1) * L["GC_GENERATION_SIZE"])
        first = s.rd(head + L["GC_HEAD_NEXT"]) & ~3
        if first == head:
            die("the oldest generation is empty")
        s.wr(first + L["GC_HEAD_NEXT"], first)
        print("names 0x%x" % head)
    elif edit == "type-base-loop":
        _, t = instance_of(b"Victim")
        if not s.rd(t + L["TYPE_FLAGS"]) & TPFLAGS_HEAPTYPE:
            die("Victim is not a heap type")
        s.wr(t + L["TYPE_BASE"], t)
    elif edit in ("dict-entries", "dict-size"):
        o, _ = instance_of(b"Holder")
        keys = s.rd(o + L["DICT_MA_KEYS"])
        if edit == "dict-entries":
            s.wr(keys + L["DICTKEYS_NENTRIES"], 1 << 40)
        elif L["DICTKEYS_SIZE"] >= 0:
            s.wr(keys + L["DICTKEYS_SIZE"], 1 << 32)
        else:
            s.wr8(keys + L["DICTKEYS_LOG2_SIZE"], 32)
    elif edit == "deque-loop":
        for o, t in gc_objects():
            if (s.cstr(s.rd(t + L["TYPE_NAME"])) == b"collections.deque" and
                    s.rd(o + L["VAROBJECT_SIZE"]) == 200):
                break
        else:
            die("no deque of 200 items")
        block = s.rd(o + 24)            # leftblock
        s.wr(o + L["VAROBJECT_SIZE"], 1 << 31)
        s.wr(block + 8 + 8 * 64, block)  # rightlink
    else:
        die("unknown edit '%s'" % edit)
    with open(sys.argv[3], "wb") as f:
        f.write(s.b)


main()

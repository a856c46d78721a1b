"""pm-strings target: plants repeated, long and non-ASCII strings, writes
what it knows about them, then waits to be dumped.

usage: strings.py TRUTHFILE

Truth lines ("KEY VALUE"), written before READY is printed:
  dup.value / dup.count / dup.size   the 40-character value, how many
                  separately built copies hold it, sys.getsizeof of one
  dup.hash        sha256 of its UTF-8, first 16 hex digits
  bdup.count / bdup.size   copies of a 24-byte bytes value
  nl.count / nl.size       copies of a value with a newline and a tab
  long.N LINE     the 20 long strings, longest first, as
                  `pm-strings --largest 20 --width 12` prints them
  bucket.B LINE   the census record of length bucket B (16384-32767,
                  32768-65535) of ascii: only these strings are that long
  find.NAME LINE  the record of `pm-strings --find TEXT --width 0` for the
                  non-ASCII strings (NAME: latin1, ucs2, ucs4, bytes)
  text.NAME TEXT  the TEXT searched for
  owner.NAME ADDR start and end of the object (hex id() and id()+size)
"""
import hashlib
import sys
import time


def tsv(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def main():
    truth = open(sys.argv[1], "w")
    w = truth.write
    global DUPS, BDUPS, NLS, LONGS, UNI

    value = "duplicated-value-0123456789-abcdefghijkl"
    assert len(value) == 40
    chars = list(value)
    DUPS = ["".join(chars) for _ in range(30000)]
    w("dup.value %s\n" % value)
    w("dup.count %d\n" % len(DUPS))
    w("dup.size %d\n" % sys.getsizeof(DUPS[0]))
    w("dup.hash %s\n" % hashlib.sha256(value.encode()).hexdigest()[:16])

    bval = b"repeated-bytes-\x00\x01\x02-value"
    assert len(bval) == 24
    BDUPS = [bytes(bytearray(bval)) for _ in range(5000)]
    w("bdup.count %d\nbdup.size %d\n" % (len(BDUPS), sys.getsizeof(BDUPS[0])))

    nl = ["multi", "line\n", "\tvalue"]
    NLS = ["".join(nl) for _ in range(3000)]
    w("nl.count %d\nnl.size %d\n" % (len(NLS), sys.getsizeof(NLS[0])))

    lengths = [20000 + 1000 * i + 7 * i for i in range(20)]
    LONGS = [chr(ord("a") + i) * n for i, n in enumerate(lengths)]
    for k, s in enumerate(sorted(LONGS, key=len, reverse=True)):
        w("long.%d 0x%x\tascii\t%d\t%d\t%s\n" % (
            k, id(s), len(s), sys.getsizeof(s), tsv(repr(s[:9] + "\u2026"))))
    for lo, hi in ((16384, 32767), (32768, 65535)):
        sel = [s for s in LONGS if lo <= len(s) <= hi]
        w("bucket.%d %d\t%d\t%d\t%d\tascii\n" % (
            lo, len(sel), sum(sys.getsizeof(s) for s in sel),
            min(len(s) for s in sel), max(len(s) for s in sel)))

    UNI = {
        "latin1": "".join(["caf\xe9 cr\xe8me ", "br\xfbl\xe9e"]),
        "ucs2": "".join(["\u03a9mega \u2211um ", "\u2603 snowman"]),
        "ucs4": "".join(["\U0001d518nicode ", "\U0001F600 grin"]),
        "bytes": b"".join([b"needle-", b"bytes\x00\x01"]),
    }
    texts = {"latin1": "cr\xe8me", "ucs2": "\u2211um", "ucs4": "\U0001F600 gr",
             "bytes": "needle-by"}
    for name, s in UNI.items():
        t = texts[name]
        if isinstance(s, bytes):
            off = s.find(t.encode())
        else:
            off = s.find(t)
        w("find.%s 0x%x\t%s\t%d\t%d\t%s\n" % (
            name, id(s), name, len(s), off, tsv(repr(s))))
        w("text.%s %s\n" % (name, t))
        w("owner.%s 0x%x 0x%x\n" % (name, id(s), id(s) + sys.getsizeof(s)))
    truth.close()
    print("READY", flush=True)
    while True:
        time.sleep(60)


main()

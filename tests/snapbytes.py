"""Read an uncompressed snapshot as pm-snapshot(5) lays it out, without
pmtools, for the tests: a second opinion on what a snapshot stores.

usage: python3 snapbytes.py RAW
       python3 snapbytes.py RAW --drop-sym OUT NAME...

The first form walks the records and prints

  file N      bytes of the file
  records N   records, END included
  maps N      MAP records
  bytes N     bytes of target memory the MAP records carry
  overhead N  everything else: file header, record headers, padding,
              INFO, SYM, THREADS and END payloads, MAP fields and paths

so that file = bytes + overhead, and fails (exit 1) when the records do
not tile the file exactly or END disagrees with the MAP records. The
second form copies RAW to OUT without the SYM records of the NAMEs, as if
pm-dump had not found those symbols (a stripped python).
"""
import struct
import sys

MAGIC = b"\x89PMSNAP\n"
REC_SYM, REC_MAP, REC_END = 2, 4, 5


def pad8(n):
    return (n + 7) & ~7


def records(data):
    if data[:8] != MAGIC:
        sys.exit("snapbytes: not an uncompressed snapshot")
    pos = 16
    while pos < len(data):
        if pos + 16 > len(data):
            sys.exit("snapbytes: a record header is cut short at %d" % pos)
        rtype, _, rlen = struct.unpack_from("<IIQ", data, pos)
        end = pos + 16 + pad8(rlen)
        if end > len(data):
            sys.exit("snapbytes: record at %d runs past the end" % pos)
        yield rtype, pos + 16, rlen, end
        pos = end


def walk(data):
    nrec = nmaps = mbytes = 0
    end_rec = None
    for rtype, at, rlen, _ in records(data):
        nrec += 1
        if rtype == REC_MAP:
            start, stop, _, _, pathlen, size = struct.unpack_from(
                "<QQQIIQ", data, at)
            if size != stop - start or rlen != 40 + pad8(pathlen) + size:
                sys.exit("snapbytes: MAP record at %d is inconsistent" % at)
            nmaps += 1
            mbytes += size
        elif rtype == REC_END:
            end_rec = struct.unpack_from("<QQ", data, at)
    if end_rec != (nmaps, mbytes):
        sys.exit("snapbytes: END says %r, the MAP records %r" %
                 (end_rec, (nmaps, mbytes)))
    print("file %d" % len(data))
    print("records %d" % nrec)
    print("maps %d" % nmaps)
    print("bytes %d" % mbytes)
    print("overhead %d" % (len(data) - mbytes))


def drop_syms(data, out, names):
    names = {n.encode() for n in names}
    kept = [data[:16]]
    for rtype, at, rlen, end in records(data):
        if rtype == REC_SYM and bytes(data[at + 8:at + rlen]) in names:
            continue
        kept.append(data[at - 16:end])
    with open(out, "wb") as f:
        f.write(b"".join(kept))


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if len(sys.argv) > 3 and sys.argv[2] == "--drop-sym":
        drop_syms(data, sys.argv[3], sys.argv[4:])
    else:
        walk(data)


main()

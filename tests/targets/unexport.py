"""Copy an ELF64 file with some dynamic data symbols hidden from pm-dump.

usage: unexport.py SRC DST NAME...

Each NAME in .dynsym has its type changed from STT_OBJECT to STT_NOTYPE.
The dynamic linker still binds to it (libpython refers to its own
_PyRuntime through the GOT, so renaming it would stop the interpreter
from starting), but a reader of exported data symbols, as pm-dump is,
no longer sees it. This stands for a build that does not export
_PyRuntime: pm-dump must then find the interpreter by scanning. Exits 1
when a NAME is not an STT_OBJECT symbol of .dynsym.
"""
import os
import struct
import sys

SHT_DYNSYM = 11
STT_OBJECT = 1
STT_NOTYPE = 0


def main():
    src, dst, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(src, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("unexport.py: %s: not a little-endian ELF64 file" % src)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    dynsym = [s for s in sections if s[1] == SHT_DYNSYM]
    if len(dynsym) != 1:
        sys.exit("unexport.py: %s: no .dynsym section" % src)
    _, _, _, _, off, size, link, _, _, entsize = dynsym[0]
    stroff = sections[link][4]
    left = set(names)
    for i in range(size // entsize):
        at = off + i * entsize
        st_name, st_info = struct.unpack_from("<IB", data, at)
        end = data.index(b"\0", stroff + st_name)
        name = data[stroff + st_name:end].decode()
        if name in left and st_info & 0xF == STT_OBJECT:
            data[at + 4] = (st_info & 0xF0) | STT_NOTYPE
            left.discard(name)
    if left:
        sys.exit("unexport.py: %s: no data symbol %s" % (src, ", ".join(sorted(left))))
    with open(dst + ".tmp", "wb") as f:
        f.write(data)
    os.chmod(dst + ".tmp", os.stat(src).st_mode & 0o7777)
    os.rename(dst + ".tmp", dst)


main()

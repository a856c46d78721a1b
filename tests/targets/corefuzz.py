"""Feed pm-dump --core corrupted copies of a core file.

usage: corefuzz.py PM_DUMP CORE SCRATCH COUNT [SEED]

Each round copies CORE to SCRATCH with a few random bytes changed in the
parts a reader has to trust: the ELF header, the program headers and the
notes (NT_FILE, NT_PRSTATUS, NT_AUXV...). Sometimes the copy is also cut
short. Then it runs `PM_DUMP -q --raw --core SCRATCH -o /dev/null`. Every
run must end with exit 0 or 2; a crash (a signal, or the sanitizers'
abort) or any other status is reported with the seed of the round and
ends the script with status 1. Prints "ok ROUNDS" when all ended well.
"""
import random
import struct
import subprocess
import sys


def hot_ranges(data):
    """The header, the program headers and every PT_NOTE segment."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    ranges = [(0, 64), (phoff, phoff + phentsize * phnum)]
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 4:  # PT_NOTE
            ranges.append((p_offset, p_offset + p_filesz))
    return ranges


def main():
    pm_dump, core, scratch, count = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    with open(core, "rb") as f:
        orig = f.read()
    ranges = hot_ranges(orig)
    for r in range(int(count)):
        rnd = random.Random(seed * 100003 + r)
        data = bytearray(orig)
        for _ in range(rnd.randint(1, 8)):
            lo, hi = rnd.choice(ranges)
            at = rnd.randrange(lo, hi)
            if rnd.random() < 0.5:
                data[at] = rnd.randrange(256)
            else:  # a plausible but wrong 64-bit value
                v = rnd.choice([0, 1, 0xFFFFFFFFFFFFFFFF, 1 << 63, len(orig),
                                rnd.getrandbits(64), rnd.getrandbits(20)])
                at -= at % 8
                if at + 8 <= len(data):
                    struct.pack_into("<Q", data, at, v)
        if rnd.random() < 0.2:
            data = data[:rnd.randrange(len(data))]
        with open(scratch, "wb") as f:
            f.write(data)
        p = subprocess.run([pm_dump, "-q", "--raw", "--core", scratch, "-o",
                            "/dev/null"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if p.returncode not in (0, 2):
            sys.stdout.write("round %d (seed %d): exit %d: %s\n" % (
                r, seed, p.returncode, p.stderr.decode(errors="replace")[-2000:]))
            sys.exit(1)
    print("ok %s" % count)


main()

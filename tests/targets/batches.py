"""Target for pm-objects --new-since and --hexdump.

usage: batches.py TRUTHFILE

Adds exactly 5000 instances of __main__.Batch on each SIGUSR1 and keeps
them all. After each round (round 0 is the start) it writes, atomically,
TRUTHFILE.N with the id() of every object the round added, one per line
as `TYPE 0xADDR`: the 5000 Batch instances, and before 3.11 their
__dict__s too (3.11+ keeps the attributes inline: no dict object); then
it rewrites TRUTHFILE with `KEY VALUE` lines:

    round N                 rounds done
    pid P
    marker.id 0x...         a bytes object b'pmtools-hexdump-marker...'
    marker.size S           its sys.getsizeof
    marker.len L
    int.id 0x...            an int of several digits
    int.size S              its sys.getsizeof
    buffer.addr 0x...       the storage of a bytearray (no object: malloc'd
                            memory the bytearray points to), which starts
                            with b'pmtools-no-object:'
    buffer.len L

and prints `ROUND N` on stdout (READY after round 0).
"""
import ctypes
import os
import signal
import sys
import time

OWNER = object()


class Batch:
    def __init__(self):
        self.owner = OWNER


BATCHES = []
ROUND = 0
MARKER = b"pmtools-hexdump-marker:" + bytes(range(32, 127)) + b":end"
BIG = 2 ** 200 + 123456789
BUFFER = bytearray(b"pmtools-no-object:" + b"x" * 1000)
BUFFER_ADDR = ctypes.addressof((ctypes.c_char * len(BUFFER)).from_buffer(BUFFER))


def write(path, lines):
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(path + ".tmp", path)


def write_truth(added):
    truth = sys.argv[1]
    ids = ["__main__.Batch 0x%x" % id(o) for o in added]
    if sys.version_info < (3, 11):
        ids += ["dict 0x%x" % id(o.__dict__) for o in added]
    write("%s.%d" % (truth, ROUND), ids)
    write(truth, [
        "round %d" % ROUND,
        "pid %d" % os.getpid(),
        "marker.id 0x%x" % id(MARKER),
        "marker.size %d" % sys.getsizeof(MARKER),
        "marker.len %d" % len(MARKER),
        "int.id 0x%x" % id(BIG),
        "int.size %d" % sys.getsizeof(BIG),
        "buffer.addr 0x%x" % BUFFER_ADDR,
        "buffer.len %d" % len(BUFFER),
    ])


def on_usr1(signum, frame):
    global ROUND
    added = [Batch() for _ in range(5000)]
    BATCHES.extend(added)
    ROUND += 1
    write_truth(added)
    del added
    print("ROUND %d" % ROUND, flush=True)


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    write_truth([])
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

"""A target for pm-dump's tests.

usage: python3 dumpme.py [MIB [THREADS [TICKFILE]]]

Allocates MIB mebibytes of Python objects (bytearrays of 1 MiB, so the
heap really holds them), starts THREADS sleeping threads, prints READY
on stdout and then waits. With TICKFILE it writes an increasing counter
to that file every 20 ms, so a test can see that it still runs.
"""
import os
import sys
import threading
import time

mib = int(sys.argv[1]) if len(sys.argv) > 1 else 0
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
tickfile = sys.argv[3] if len(sys.argv) > 3 else None

# Touch every page: a copy of untouched memory would measure nothing.
BLOB = [bytearray(os.urandom(64)) * (1 << 14) for _ in range(mib)]
stop = threading.Event()
threads = [threading.Thread(target=stop.wait, daemon=True)
           for _ in range(nthreads)]
for t in threads:
    t.start()

print("READY", flush=True)

n = 0
while True:
    if tickfile:
        n += 1
        with open(tickfile + ".new", "w") as f:
            f.write("%d\n" % n)
        os.replace(tickfile + ".new", tickfile)
        time.sleep(0.02)
    else:
        time.sleep(3600)

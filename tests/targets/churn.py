"""A target that changes under pm-dump: for the reliability tests.

usage: python3 churn.py MODE [MIB]

Allocates MIB mebibytes (default 50, so a capture takes a while), prints
READY, then, by MODE:

  fork     forks a child every millisecond or so; each child exits at once
  threads  starts short-lived threads as fast as it can, a few at a time
  exit     exits (os._exit(0)) after a random 0 to 300 ms

and otherwise waits until killed.
"""
import os
import random
import sys
import threading
import time
import warnings

# 3.12+ warns that forking a multi-threaded process may deadlock the
# child; this child only exits.
warnings.simplefilter("ignore", DeprecationWarning)

mode = sys.argv[1]
mib = int(sys.argv[2]) if len(sys.argv) > 2 else 50
BLOB = [bytearray(os.urandom(64)) * (1 << 14) for _ in range(mib)]


def forker():
    while True:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.001)


def spawner():
    while True:
        ts = [threading.Thread(target=time.sleep, args=(0.0005,))
              for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


print("READY", flush=True)
if mode == "fork":
    threading.Thread(target=forker, daemon=True).start()
elif mode == "threads":
    threading.Thread(target=spawner, daemon=True).start()
elif mode == "exit":
    time.sleep(random.random() * 0.3)
    os._exit(0)
else:
    sys.exit("churn.py: unknown mode " + mode)
while True:
    time.sleep(3600)

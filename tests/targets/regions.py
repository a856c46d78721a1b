"""Regions target: threads and known addresses, for pm-dump --info.

usage: regions.py TRUTHFILE

Starts two Python threads that wait on an Event and one C thread that
Python knows nothing of (pthread_create running libc's sleep), plants a
small object (in a pymalloc arena) and a large one (malloc'd), and writes
`KEY VALUE` lines of truth from inside:

  pid, exe (readlink /proc/self/exe), python (X.Y.Z)
  tids            every thread id in /proc/self/task, space-separated
  tid.main, tid.worker0, tid.worker1 (threading.get_native_id())
  tid.c           the C thread's id
  addr.small      id() of a small object (pymalloc)
  addr.large      id() of a 1 MiB tuple (malloc'd with its items)
  addr.runtime    address of _PyRuntime

Prints READY when the truth file is complete, then sleeps.
"""
import ctypes
import os
import sys
import threading
import time


def main():
    truth = sys.argv[1]
    global SMALL, LARGE, EVENT
    SMALL = (1.5, "small")
    LARGE = (None,) * (128 * 1024)
    EVENT = threading.Event()
    native = []
    lock = threading.Lock()

    def worker():
        with lock:
            native.append(threading.get_native_id())
        EVENT.wait()

    workers = [threading.Thread(target=worker, name="worker-%d" % i)
               for i in range(2)]
    for i, t in enumerate(workers):
        t.start()
        while len(native) <= i:
            time.sleep(0.01)

    before = set(os.listdir("/proc/self/task"))
    libc = ctypes.CDLL(None)
    libc.pthread_create.argtypes = [ctypes.c_void_p] * 4
    handle = ctypes.c_ulong()
    sleep = ctypes.cast(libc.sleep, ctypes.c_void_p)
    if libc.pthread_create(ctypes.byref(handle), None, sleep,
                           ctypes.c_void_p(1000000)) != 0:
        raise SystemExit("pthread_create failed")
    for _ in range(500):
        new = set(os.listdir("/proc/self/task")) - before
        if new:
            break
        time.sleep(0.01)
    (ctid,) = new

    runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi,
                                                    "_PyRuntime"))
    tids = sorted(int(t) for t in os.listdir("/proc/self/task"))
    lines = [
        "pid %d" % os.getpid(),
        "exe %s" % os.readlink("/proc/self/exe"),
        "python %d.%d.%d" % sys.version_info[:3],
        "tids %s" % " ".join(str(t) for t in tids),
        "tid.main %d" % threading.get_native_id(),
        "tid.worker0 %d" % native[0],
        "tid.worker1 %d" % native[1],
        "tid.c %s" % ctid,
        "addr.small %d" % id(SMALL),
        "addr.large %d" % id(LARGE),
        "addr.runtime %d" % runtime,
    ]
    with open(truth + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(truth + ".tmp", truth)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

"""A target for pm-tasks --check: threads that take two locks in opposite
order and deadlock.

usage: python3 locks.py TRUTHFILE [both|rlock|lock]

rlock (threads r-1, r-2): r-1 holds RLock ra and waits in "with rb:"; r-2
holds rb and waits in "ra.acquire()". RLocks record their owner, so the
deadlock can be proven.
lock (threads l-1, l-2): the same with plain Locks la and lb. A Lock does
not record its owner; both hold their first lock in a with block.
both (the default): the two pairs. The main thread sleeps.

Once every thread waits in its second lock, the target writes TRUTHFILE
and prints READY:
  thread NAME TID               threading.get_native_id()
  wait NAME FUNC FILE LINE LOCK where it waits (innermost frame, as
                                sys._current_frames() shows it) and the
                                id of the lock it waits for, in hex
"""
import os
import sys
import threading
import time

truthfile = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "both"
tids = {}
waits = {}


def funcname(code):
    return getattr(code, "co_qualname", code.co_name)


def first_with_then_with(name, first, second, barrier):
    tids[name] = threading.get_native_id()
    with first:
        barrier.wait()
        waits[name] = second
        with second:
            pass


def first_with_then_acquire(name, first, second, barrier):
    tids[name] = threading.get_native_id()
    with first:
        barrier.wait()
        waits[name] = second
        second.acquire()


def main():
    threads = []
    if mode in ("both", "rlock"):
        ra, rb = threading.RLock(), threading.RLock()
        b = threading.Barrier(2)
        threads += [
            threading.Thread(target=first_with_then_with, name="r-1",
                             args=("r-1", ra, rb, b), daemon=True),
            threading.Thread(target=first_with_then_acquire, name="r-2",
                             args=("r-2", rb, ra, b), daemon=True)]
    if mode in ("both", "lock"):
        la, lb = threading.Lock(), threading.Lock()
        b = threading.Barrier(2)
        threads += [
            threading.Thread(target=first_with_then_with, name="l-1",
                             args=("l-1", la, lb, b), daemon=True),
            threading.Thread(target=first_with_then_acquire, name="l-2",
                             args=("l-2", lb, la, b), daemon=True)]
    for t in threads:
        t.start()
    # Wait until each thread sits on its second acquire, then a little
    # more so that it is inside the C call.
    deadline = time.monotonic() + 20
    while True:
        frames = sys._current_frames()
        done = 0
        for t in threads:
            f = frames.get(t.ident)
            if f is not None and t.name in waits and \
                    f.f_code.co_name.startswith("first_with") and \
                    f.f_lineno == f.f_code.co_firstlineno + 5:
                done += 1
        if done == len(threads):
            break
        if time.monotonic() > deadline:
            sys.exit("threads did not block")
        time.sleep(0.01)
    time.sleep(0.2)
    frames = sys._current_frames()
    with open(truthfile + ".new", "w") as out:
        for t in threads:
            f = frames[t.ident]
            out.write("thread %s %d\n" % (t.name, tids[t.name]))
            out.write("wait %s %s %s %d %#x\n" % (
                t.name, funcname(f.f_code), f.f_code.co_filename, f.f_lineno,
                id(waits[t.name])))
    os.replace(truthfile + ".new", truthfile)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()

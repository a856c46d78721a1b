"""A target for pm-tasks: three threads blocked at known places.

usage: python3 threads.py TRUTHFILE

Starts three named threads and blocks each in a known function:
  sleeper   time.sleep() inside Sleeper.nap (a method: its qualname differs
            from its name on 3.11+), under a recursion of depth 3
  reader    os.read() on a pipe nobody writes, inside a generator
  locker    lock.acquire() on a lock the main thread holds
Then the main thread blocks in main_wait (time.sleep). Once every thread is
blocked, the target writes its truth to TRUTHFILE and prints READY:

  thread NAME TID            threading.get_native_id() of that thread
  frame NAME FUNC FILE LINE  its Python frames, innermost first, as
                             sys._current_frames() sees them (co_qualname
                             on 3.11+, co_name before)

The main thread's innermost line is that of its blocking call, found in
its source, since the thread is still running while it writes.
"""
import inspect
import os
import sys
import threading
import time

truthfile = sys.argv[1]
lock = threading.Lock()
lock.acquire()
rfd, wfd = os.pipe()
tids = {}
ready = threading.Barrier(4)


def funcname(code):
    return getattr(code, "co_qualname", code.co_name)


class Sleeper:
    def nap(self, depth):
        if depth > 0:
            return self.nap(depth - 1)
        ready.wait()
        time.sleep(3600)

    def run(self):
        tids["sleeper"] = threading.get_native_id()
        self.nap(2)


def chunks():
    ready.wait()
    while True:
        yield os.read(rfd, 1)


def reader():
    tids["reader"] = threading.get_native_id()
    for chunk in chunks():
        pass


def locker():
    tids["locker"] = threading.get_native_id()
    ready.wait()
    lock.acquire()


def blocked(thread):
    """True once thread's innermost frame sits on its blocking call."""
    f = sys._current_frames().get(thread.ident)
    if f is None:
        return False
    want = {"nap": "time.sleep(3600)", "chunks": "yield os.read(rfd, 1)",
            "locker": "lock.acquire()"}.get(f.f_code.co_name)
    if want is None:
        return False
    line = inspect.getframeinfo(f).code_context
    return bool(line) and line[0].strip() == want


def main_wait(threads):
    frames = sys._current_frames()
    with open(truthfile + ".new", "w") as out:
        for t in threads:
            out.write("thread %s %d\n" % (t.name, tids[t.name]))
            f = frames[t.ident]
            while f is not None:
                out.write("frame %s %s %s %d\n" % (t.name, funcname(f.f_code),
                          f.f_code.co_filename, f.f_lineno))
                f = f.f_back
        me = inspect.currentframe()
        src, first = inspect.getsourcelines(main_wait)
        line = first + [i for i, s in enumerate(src) if ("# " + "blocks") in s][0]
        out.write("thread MainThread %d\n" % threading.get_native_id())
        out.write("frame MainThread %s %s %d\n" % (funcname(me.f_code),
                  me.f_code.co_filename, line))
        f = me.f_back
        while f is not None:
            out.write("frame MainThread %s %s %d\n" % (funcname(f.f_code),
                      f.f_code.co_filename, f.f_lineno))
            f = f.f_back
    os.replace(truthfile + ".new", truthfile)
    print("READY", flush=True)
    while True:
        time.sleep(3600)  # blocks


def main():
    threads = [threading.Thread(target=Sleeper().run, name="sleeper",
                                daemon=True),
               threading.Thread(target=reader, name="reader", daemon=True),
               threading.Thread(target=locker, name="locker", daemon=True)]
    for t in threads:
        t.start()
    ready.wait()
    deadline = time.monotonic() + 20
    while not all(blocked(t) for t in threads):
        if time.monotonic() > deadline:
            sys.exit("threads did not block")
        time.sleep(0.01)
    time.sleep(0.05)
    main_wait(threads)


if __name__ == "__main__":
    main()

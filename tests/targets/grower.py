"""Growth target for pm-types --baseline and pm-leakcheck.

usage: grower.py TRUTHFILE [MODE [RATE]]

Keeps 1000 instances of __main__.Leak from the start and adds exactly
5000 more on each SIGUSR1, in every mode. After each round (round 0 is the
start) it rewrites TRUTHFILE atomically with `KEY VALUE` lines measured
from inside:

    round N                 rounds done
    added.count 5000        instances added by this round (0 in round 0)
    added.bytes B           sum of sys.getsizeof of those instances
    leak.count C            live __main__.Leak instances
    leak.bytes B            sum of sys.getsizeof of all of them
    pid P

and prints `ROUND N` on stdout (READY after round 0).

Instances hold only shared objects, so on 3.11+ nothing but the
instances grows (before 3.11 each also has a __dict__).

MODE:
  signal   (default) nothing else happens between signals
  leak     RATE more Leak instances every 0.1 s, forever (a real leak)
  steady   a request loop that keeps the last 2000 Request objects in a
           bounded deque: busy, but not leaking

It also holds 10 instances of a class whose __qualname__ has a tab, a
backslash, a comma and a quote, so record escaping is exercised.
"""
import collections
import os
import signal
import sys
import time

OWNER = object()


class Leak:
    def __init__(self):
        self.owner = OWNER


class Request:
    def __init__(self, n):
        self.n = n


class Weird:
    pass


Weird.__qualname__ = 'we\tird\\"x,y'

LEAKS = []
WEIRD = [Weird() for _ in range(10)]
ROUND = 0


def write_truth(added):
    lines = [
        "round %d" % ROUND,
        "added.count %d" % len(added),
        "added.bytes %d" % sum(sys.getsizeof(o) for o in added),
        "leak.count %d" % len(LEAKS),
        "leak.bytes %d" % sum(sys.getsizeof(o) for o in LEAKS),
        "pid %d" % os.getpid(),
    ]
    truth = sys.argv[1]
    with open(truth + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(truth + ".tmp", truth)


def grow(n):
    added = [Leak() for _ in range(n)]
    LEAKS.extend(added)
    return added


def on_usr1(signum, frame):
    global ROUND
    added = grow(5000)
    ROUND += 1
    write_truth(added)
    del added
    print("ROUND %d" % ROUND, flush=True)


def main():
    mode = sys.argv[2] if len(sys.argv) > 2 else "signal"
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    grow(1000)
    # The handler first: whoever sees the truth file may signal at once.
    signal.signal(signal.SIGUSR1, on_usr1)
    write_truth([])
    print("READY", flush=True)
    if mode == "signal":
        while True:
            time.sleep(3600)
    elif mode == "leak":
        while True:
            grow(rate)
            time.sleep(0.1)
    elif mode == "steady":
        recent = collections.deque(maxlen=2000)
        n = 0
        while True:
            recent.append(Request(n))
            n += 1
            if n % 100 == 0:
                time.sleep(0.01)
    else:
        sys.exit("grower.py: unknown mode %r" % mode)


main()

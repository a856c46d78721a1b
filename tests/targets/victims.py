"""A target for the reliability tests to corrupt (tests/fuzz/snapedit.py).

usage: python3 victims.py

Holds 100 instances of the class Victim, one dict subclass instance
(Holder) of 1000 str keys, and a collections.deque of 200 ints; the main
thread waits inside the function wait_here, so it has frames. Prints
"victims 100" and READY, then waits until killed.
"""
import collections
import time


class Victim:
    def __init__(self, i):
        self.i = i


class Holder(dict):
    pass


VICTIMS = [Victim(i) for i in range(100)]
HOLDER = Holder(("lie-%d" % i, i) for i in range(1000))
DEQ = collections.deque(range(200))


def wait_here():
    print("victims", len(VICTIMS))
    print("READY", flush=True)
    while True:
        time.sleep(3600)


wait_here()

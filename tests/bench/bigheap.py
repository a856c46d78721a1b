"""Benchmark target: a heap of about MB megabytes of ordinary objects.

usage: bigheap.py MB

A mix like a service's: instances with attributes (dicts up to 3.10,
inline values after), lists of small ints, strings, floats, and a few big
containers holding them. Prints "READY objects=N rss_mb=M" when built.
"""
import gc
import os
import sys


class Item:
    def __init__(self, i):
        self.ident = i
        self.name = "item-%d" % i
        self.score = i * 0.5


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def main():
    want = int(sys.argv[1])
    gc.disable()
    items, lists, index = [], [], {}
    i = 0
    while True:
        for _ in range(50000):
            it = Item(i)
            items.append(it)
            if i % 10 == 0:
                lists.append([i % 256, (i + 1) % 256, (i + 2) % 256])
            if i % 4 == 0:
                index[it.name] = it
            i += 1
        if rss_mb() >= want:
            break
    global KEEP
    KEEP = (items, lists, index)
    print("READY objects=%d rss_mb=%d" % (len(gc.get_objects()), rss_mb()),
          flush=True)
    sys.stdin.read()


main()

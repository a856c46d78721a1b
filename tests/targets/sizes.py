"""Sizes target: classes whose instances differ in size, for pm-types -v.

usage: sizes.py TRUTHFILE

Plants instances of a list subclass and a bytes subclass whose
sys.getsizeof varies from one instance to the next, and of a plain class
of one size, and writes `NAME.count`, `NAME.bytes` and `NAME.max` lines
(sys.getsizeof measured from inside). Prints READY when the truth file
is complete.
"""
import os
import sys
import time


class Grown(list):
    pass


class Blob(bytes):
    pass


class Fixed:
    pass


def main():
    truth = sys.argv[1]
    global GROWN, BLOBS, FIXED
    GROWN = []
    for i in range(1500):
        g = Grown()
        for j in range(i % 97):
            g.append(j)
        GROWN.append(g)
    BLOBS = [Blob(b"x" * (i * 7 % 5003)) for i in range(2500)]
    FIXED = [Fixed() for i in range(800)]
    lines = []
    for name, objs in (("__main__.Grown", GROWN), ("__main__.Blob", BLOBS),
                       ("__main__.Fixed", FIXED)):
        sizes = [sys.getsizeof(o) for o in objs]
        lines.append("%s.count %d" % (name, len(sizes)))
        lines.append("%s.bytes %d" % (name, sum(sizes)))
        lines.append("%s.max %d" % (name, max(sizes)))
    lines.append("pid %d" % os.getpid())
    with open(truth + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(truth + ".tmp", truth)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()

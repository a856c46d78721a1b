"""A target for pm-tasks --async and --check: tasks that await each other.

usage: python3 ring.py TRUTHFILE [shield]

Tasks of the main event loop:
  ring-a, ring-b, ring-c  each awaits asyncio.gather(next one): a cycle
                          a -> b -> c -> a that no other task awaits
  heartbeat               sleeps in a loop: in no cycle
  leaf                    sleeps; awaited by top-1 directly and by top-2
  top-1, top-2            through a gather: a diamond, not a cycle
  locked                  waits for an asyncio.Lock the main task holds
  evwait                  waits for an asyncio.Event
  consumer                waits in an asyncio.Queue's get()
  inner, shielded         shielded awaits asyncio.shield(inner)
  py-task                 a pure-Python asyncio.tasks.Task (_PyTask)
  main                    the main coroutine, asleep
and one task, other-loop, of a second event loop run by another thread
(whose main task is other-main). With "shield", sh-a awaits
asyncio.shield(sh-b) and sh-b awaits sh-a: a second cycle, through a shield.

Once every task is suspended, a loop callback (not a task, so that every
task is asleep while it looks) writes TRUTHFILE and prints READY:
  task NAME ADDR STATE             one line per task (ADDR = hex id)
  frame NAME FUNC FILE LINE        its coroutine stack, outermost first,
                                   as cr_frame / cr_await show it
  awaits NAME TEXT                 what it awaits, as pm-tasks words it
  stack NAME TEXT                  the stack as pm-tasks words it
"""
import asyncio
import sys
import threading

truthfile = sys.argv[1]
shield_cycle = len(sys.argv) > 2 and sys.argv[2] == "shield"
tasks = {}
specials = {}           # future id -> (kind, text of what it waits for)


def funcname(code):
    return getattr(code, "co_qualname", code.co_name)


def chain(coro):
    """(func, file, line) of coro and the coroutines it awaits."""
    out = []
    seen = set()
    while coro is not None and id(coro) not in seen:
        seen.add(id(coro))
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        out.append((funcname(frame.f_code), frame.f_code.co_filename,
                    frame.f_lineno))
        nxt = getattr(coro, "cr_await", None)
        if nxt is None:
            nxt = getattr(coro, "gi_yieldfrom", None)
        if not (asyncio.iscoroutine(nxt) or hasattr(nxt, "gi_frame")):
            break
        coro = nxt
    return out


async def ring(nxt):
    await started.wait()
    await asyncio.gather(tasks[nxt])


async def heartbeat():
    while True:
        await asyncio.sleep(3600)


async def leaf():
    await asyncio.sleep(3600)


async def top_direct():
    await started.wait()
    await tasks["leaf"]


async def top_gather():
    await started.wait()
    await asyncio.gather(tasks["leaf"])


async def locked(lock):
    async with lock:
        pass


async def evwait(ev):
    await ev.wait()


async def consumer(q):
    await q.get()


async def shielded():
    await started.wait()
    outer = asyncio.shield(tasks["inner"])
    specials[id(outer)] = ("shield", tasks["inner"])
    await outer


async def sh_a():
    await started.wait()
    outer = asyncio.shield(tasks["sh-b"])
    specials[id(outer)] = ("shield", tasks["sh-b"])
    await outer


async def sh_b():
    await started.wait()
    await tasks["sh-a"]


async def pysleeper():
    await asyncio.sleep(3600)


def other_loop(box):
    async def other_main():
        asyncio.current_task().set_name("other-main")
        box["loop"] = asyncio.get_running_loop()
        t = asyncio.ensure_future(leaf())
        t.set_name("other-loop")
        box["ready"].set()
        await t
    asyncio.run(other_main())


def state(t):
    return {"PENDING": "pending", "CANCELLED": "cancelled",
            "FINISHED": "done"}[t._state]


def brief(f):
    """How pm-tasks names an awaitable in one line."""
    if isinstance(f, asyncio.Task) or isinstance(f, asyncio.tasks._PyTask):
        return "task %#x %s" % (id(f), f.get_name())
    kind = "future"
    if type(f).__name__ == "_GatheringFuture":
        kind = "gather"
    elif id(f) in specials:
        kind = specials[id(f)][0]
    text = "%s %#x" % (kind, id(f))
    for prim, attrs in owners:
        for attr in attrs:
            waiters = getattr(prim, attr, None) or ()
            if any(w is f for w in waiters):
                cls = type(prim)
                text += " of %s.%s %#x" % (cls.__module__, cls.__qualname__,
                                          id(prim))
    return text


def awaits(t):
    f = t._fut_waiter
    if f is None:
        return "-"
    text = brief(f)
    if isinstance(f, asyncio.Task):
        return text
    children = list(getattr(f, "_children", None) or ())
    if id(f) in specials:
        children = [specials[id(f)][1]]
    if children:
        text += ": " + ", ".join(brief(c) for c in children)
    return text


def write_truth(all_tasks):
    with open(truthfile + ".new", "w") as out:
        for t in all_tasks:
            name = t.get_name()
            out.write("task %s %#x %s\n" % (name, id(t), state(t)))
            frames = chain(t.get_coro())
            for func, file, line in frames:
                out.write("frame %s %s %s %d\n" % (name, func, file, line))
            out.write("awaits %s %s\n" % (name, awaits(t)))
            out.write("stack %s %s\n" % (name, " -> ".join(
                "%s (%s:%d)" % fr for fr in frames) or "-"))
    import os
    os.replace(truthfile + ".new", truthfile)
    print("READY", flush=True)


async def main():
    global started, owners
    asyncio.current_task().set_name("main")
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    lock = asyncio.Lock()
    await lock.acquire()
    ev = asyncio.Event()
    q = asyncio.Queue()
    owners = [(lock, ("_waiters",)), (ev, ("_waiters",)),
              (q, ("_getters", "_putters"))]

    def spawn(name, coro):
        tasks[name] = asyncio.ensure_future(coro)
        tasks[name].set_name(name)

    spawn("ring-a", ring("ring-b"))
    spawn("ring-b", ring("ring-c"))
    spawn("ring-c", ring("ring-a"))
    spawn("heartbeat", heartbeat())
    spawn("leaf", leaf())
    spawn("top-1", top_direct())
    spawn("top-2", top_gather())
    spawn("locked", locked(lock))
    spawn("evwait", evwait(ev))
    spawn("consumer", consumer(q))
    spawn("inner", leaf())
    spawn("shielded", shielded())
    if shield_cycle:
        spawn("sh-a", sh_a())
        spawn("sh-b", sh_b())
    tasks["py-task"] = asyncio.tasks._PyTask(pysleeper(), loop=loop,
                                             name="py-task")

    box = {"ready": threading.Event()}
    threading.Thread(target=other_loop, args=(box,), daemon=True).start()
    box["ready"].wait()
    await asyncio.sleep(0)
    started.set()

    def look():
        mine = sorted(asyncio.all_tasks(loop), key=id)
        theirs = sorted(asyncio.all_tasks(box["loop"]), key=id)
        write_truth(mine + theirs)
    loop.call_later(0.3, look)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main())

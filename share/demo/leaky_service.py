"""A small asyncio service that leaks, for trying pmtools on.

usage: leaky_service.py [--requests N] [--clients C]

It listens on 127.0.0.1 (a free port) and speaks a tiny line protocol:
a client sends "GET /path user=NAME" lines and gets "200 OK ..." back.
Each connection gets a Session with the requests it made; sessions are
cached in the module-level dict SESSIONS so a returning user could be
recognised, and nothing ever evicts them. That is the leak.

A built-in load generator, on the loopback address only, plays C clients
that send N requests in all, then stops. It prints

    READY <pid> <port>      when the server listens
    GROWN <round> <sessions> <requests>    after each round of load

and runs another round each time it gets SIGUSR1. SIGTERM or SIGINT
ends it. Python 3.8 to 3.13, standard library only.
"""
import argparse
import asyncio
import os
import random
import signal
import sys
import time

# The leak: every session ever made, keyed by session id.
SESSIONS = {}
STATS = {"requests": 0, "rounds": 0}

USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "curl/7.88.1",
    "python-requests/2.31.0",
]


class Request:
    """One request, with the headers the handler parsed."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.started = time.time()
        self.status = None


class Session:
    """A user's session: who, since when, and every request made."""

    __slots__ = ("sid", "user", "created", "requests", "cart")

    def __init__(self, sid, user):
        self.sid = sid
        self.user = user
        self.created = time.time()
        self.requests = []
        self.cart = {}


def new_session_id():
    return "%016x" % random.getrandbits(64)


async def handle(reader, writer):
    """Serve one connection: one Session, many requests."""
    session = None
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            method, path, user = line.decode("ascii", "replace").split()
            if session is None:
                session = Session(new_session_id(), user.split("=", 1)[1])
                SESSIONS[session.sid] = session
            headers = {
                "host": "shop.example",
                "user-agent": random.choice(USER_AGENTS),
                "accept": "text/html,application/json",
                "x-request-id": "%08x" % random.getrandbits(32),
                "cookie": "sid=" + session.sid,
            }
            req = Request(method, path, headers, os.urandom(256))
            session.requests.append(req)
            if path.startswith("/cart/"):
                item = path[len("/cart/"):]
                session.cart[item] = session.cart.get(item, 0) + 1
            req.status = 200
            STATS["requests"] += 1
            writer.write(b"200 OK %d\n" % len(session.requests))
            await writer.drain()
    except (ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def client(port, n, ident):
    """One user: connect, browse n pages, leave."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    user = "user%d" % ident
    for i in range(n):
        path = random.choice(["/", "/search?q=lamp", "/item/%d" % (i % 50),
                              "/cart/%d" % (i % 7)])
        writer.write(("GET %s user=%s\n" % (path, user)).encode("ascii"))
        await writer.drain()
        await reader.readline()
    writer.close()


async def load(port, requests, clients):
    """One round of load: clients users, requests in all, a few at a time."""
    per = max(1, requests // clients)
    base = STATS["rounds"] * clients
    for start in range(0, clients, 50):
        await asyncio.gather(*(client(port, per, base + i)
                               for i in range(start, min(start + 50, clients))))
    STATS["rounds"] += 1
    print("GROWN %d %d %d" % (STATS["rounds"], len(SESSIONS), STATS["requests"]),
          flush=True)


async def main():
    ap = argparse.ArgumentParser(description="a service that leaks sessions")
    ap.add_argument("--requests", type=int, default=20000,
                    help="requests per round of load (default 20000)")
    ap.add_argument("--clients", type=int, default=2000,
                    help="clients per round of load (default 2000)")
    args = ap.parse_args()

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    rounds = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, rounds.put_nowait, 1)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("READY %d %d" % (os.getpid(), port), flush=True)
    rounds.put_nowait(1)

    async def rounds_loop():
        while True:
            await rounds.get()
            await load(port, args.requests, args.clients)

    worker = asyncio.ensure_future(rounds_loop())
    await stop.wait()
    worker.cancel()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)

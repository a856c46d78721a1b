/*
 * aio.h - asyncio tasks of a snapshot, what each awaits, and the cycles of
 * waiting among tasks (await cycles) and threads (lock-order deadlocks).
 *
 * Tasks are the objects whose type is _asyncio.Task or a subclass, or the
 * pure-Python asyncio.tasks.Task; futures likewise. Every event loop's
 * tasks are found, since the search is over the heap, not one loop.
 *
 * The await graph has an edge A -> B when A cannot finish before B:
 * - a task to its fut_waiter (the future, task or gather it awaits);
 * - a gather (_GatheringFuture) to each of its _children;
 * - a shield's outer future to the inner one, asyncio.wait's waiter to
 *   each future it waits for, wait_for's waiter to its inner future (read
 *   from the done callbacks these functions register).
 * Futures that are the waiters of an asyncio Lock, Event, Condition,
 * Semaphore or Queue know that primitive as their owner.
 *
 * Threads wait for threads when one is blocked acquiring a _thread.lock or
 * _thread.RLock that another holds. An RLock records its owner, so such a
 * wait is proven; a plain Lock does not, so its holder can only be
 * inferred from a "with lock:" block open in another thread's frames, and
 * a cycle through such a wait is only suspected.
 */
#ifndef PM_AIO_H
#define PM_AIO_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_frame;
struct pm_frames;
struct pm_aio;

enum pm_fut_state {
	PM_FUT_PENDING,
	PM_FUT_CANCELLED,
	PM_FUT_DONE,
	PM_FUT_UNKNOWN,
};

/* Printable name of a state: "pending", "cancelled", "done", "?". */
const char *pm_aio_state_name(enum pm_fut_state st);

/* Kinds of awaitables, the nodes of the await graph. */
enum pm_aw_kind {
	PM_AW_TASK,
	PM_AW_GATHER,		/* asyncio.gather's _GatheringFuture */
	PM_AW_SHIELD,		/* asyncio.shield's outer future */
	PM_AW_FUTURE,		/* any other future */
};

struct pm_awaitable {
	uint64_t addr;
	enum pm_aw_kind kind;
	enum pm_fut_state state;
	const char *type;	/* its type name */
	int64_t task;		/* index in pm_aio_tasks(), or -1 */
	uint64_t owner;		/* the Lock/Event/Queue... it is a waiter of, or 0 */
	const char *owner_type;	/* that primitive's type name, or NULL */
	size_t first, n;	/* what it waits for: pm_aio_edges()[first..first+n) */
};

struct pm_task {
	uint64_t addr;
	const char *name;	/* get_name(); "?" when unreadable */
	enum pm_fut_state state;
	uint64_t loop;		/* its event loop */
	uint64_t coro;		/* its coroutine */
	int64_t awaits;		/* node its fut_waiter is, or -1 */
	size_t node;		/* its own node in pm_aio_nodes() */
	size_t first, nframes;	/* coroutine stack, outermost first, in pm_aio_frames() */
};

/* A thread blocked acquiring a threading lock. */
struct pm_lockwait {
	size_t thread;		/* index in pm_frames_threads() */
	uint64_t lock;		/* the _thread.lock or _thread.RLock */
	int rlock;		/* an RLock: its owner is recorded */
	int64_t owner;		/* thread index of the holder, -1 when unknown */
	int proven;		/* owner read from the lock, not inferred */
};

enum pm_cycle_kind {
	PM_CYCLE_AWAIT,		/* tasks awaiting each other */
	PM_CYCLE_DEADLOCK,	/* threads on RLocks whose owners are recorded */
	PM_CYCLE_SUSPECTED,	/* threads on Locks whose holders are inferred */
};

/*
 * A member of a cycle: a task (await cycles) or a lock wait (deadlocks),
 * and the awaitable or lock through which it waits for the next member.
 */
struct pm_cycle_member {
	size_t index;		/* task index, or lock wait index */
	uint64_t via;		/* gather, shield or future between (0: direct) */
};

struct pm_cycle {
	enum pm_cycle_kind kind;
	size_t first, n;	/* pm_aio_members()[first..first+n), in cycle order */
};

/*
 * Find the tasks, the await graph, the lock waits of the threads of fs
 * and the cycles among them. fs must stay open while the result is used.
 * Returns NULL with e filled when memory runs out.
 */
struct pm_aio *pm_aio_open(struct pm_frames *fs, struct pm_err *e);
void pm_aio_close(struct pm_aio *a);

size_t pm_aio_ntasks(const struct pm_aio *a);
const struct pm_task *pm_aio_tasks(const struct pm_aio *a);
const struct pm_frame *pm_aio_frames(const struct pm_aio *a);
size_t pm_aio_nnodes(const struct pm_aio *a);
const struct pm_awaitable *pm_aio_nodes(const struct pm_aio *a);
const size_t *pm_aio_edges(const struct pm_aio *a);
/* The node of the awaitable at addr, or -1. */
int64_t pm_aio_node_of(const struct pm_aio *a, uint64_t addr);

size_t pm_aio_nlockwaits(const struct pm_aio *a);
const struct pm_lockwait *pm_aio_lockwaits(const struct pm_aio *a);

/* Each cycle once: await cycles first, then thread cycles. */
size_t pm_aio_ncycles(const struct pm_aio *a);
const struct pm_cycle *pm_aio_cycles(const struct pm_aio *a);
const struct pm_cycle_member *pm_aio_members(const struct pm_aio *a);

/* Whether the task is in an await cycle. */
int pm_aio_in_cycle(const struct pm_aio *a, size_t task);

#endif

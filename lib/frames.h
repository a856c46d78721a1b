/*
 * frames.h - the Python threads of a snapshot and their stacks: thread
 * states, frame chains, and code objects turned into function, file and
 * line, for the three line-table formats of 3.8-3.13 (co_lnotab with
 * f_lasti in 3.8 and 3.9, the PEP 626 co_linetable in 3.10, the location
 * table indexed from co_code_adaptive in 3.11+).
 *
 * Threads carry their OS thread id (what threading.get_native_id() and
 * /proc/PID/task show): PyThreadState.native_thread_id on 3.11+; before
 * that the pthread_t in thread_id is mapped to the tid through glibc's
 * struct pthread, whose tid field is found by matching the snapshot's
 * thread list. Their Python names come from threading._active.
 *
 * Every chain is bounded and cycle-safe: a hostile snapshot gives short or
 * empty stacks, never a loop or a read outside the captured memory.
 *
 * The module also holds the small object helpers the task analysis shares
 * (attribute and dict lookup, int and str values).
 */
#ifndef PM_FRAMES_H
#define PM_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_heap;
struct pm_frames;

/* One Python frame. Strings belong to the struct pm_frames. */
struct pm_frame {
	uint64_t addr;		/* PyFrameObject (<= 3.10), _PyInterpreterFrame (3.11+) */
	uint64_t code;		/* its code object */
	const char *func;	/* co_qualname (3.11+), co_name before */
	const char *file;	/* co_filename */
	int64_t line;		/* -1 when the table has none for the instruction */
	int64_t lasti;		/* byte offset of the current instruction, -1 before the first */
};

struct pm_thread {
	uint64_t tstate;	/* PyThreadState */
	uint64_t ident;		/* thread_id: threading.get_ident() */
	uint32_t tid;		/* OS thread id; 0 when it cannot be known */
	const char *name;	/* threading.Thread name, or NULL */
	size_t first;		/* its frames: pm_frames_frames()[first..first+nframes) */
	size_t nframes;		/* innermost first */
};

/* Where the OS thread ids of 3.8-3.10 came from. */
enum pm_tid_source {
	PM_TID_NATIVE,		/* PyThreadState.native_thread_id (3.11+) */
	PM_TID_PTHREAD,		/* struct pthread's tid, matched against the snapshot */
	PM_TID_UNKNOWN,		/* no match: tids are 0 */
};

/*
 * Read the threads of every interpreter of h, their frames and names.
 * Threads come in the snapshot's order (the main thread first); thread
 * states the snapshot cannot place come last. Returns NULL with e filled
 * when memory runs out; a corrupt chain only shortens a stack.
 */
struct pm_frames *pm_frames_open(const struct pm_heap *h, struct pm_err *e);
void pm_frames_close(struct pm_frames *fs);

const struct pm_heap *pm_frames_heap(const struct pm_frames *fs);
size_t pm_frames_nthreads(const struct pm_frames *fs);
const struct pm_thread *pm_frames_threads(const struct pm_frames *fs);
const struct pm_frame *pm_frames_frames(const struct pm_frames *fs);
enum pm_tid_source pm_frames_tid_source(const struct pm_frames *fs);
/* glibc's offset of tid in struct pthread when PM_TID_PTHREAD, else -1. */
int64_t pm_frames_tid_offset(const struct pm_frames *fs);

/*
 * Describe the frame at addr (a PyFrameObject up to 3.10, a
 * _PyInterpreterFrame from 3.11) into *f. Returns 0, or -1 when it is not
 * a readable Python frame (a C-stack shim frame, a non-code executable,
 * memory not captured). Out of memory also gives -1 and sets *oom.
 */
int pm_frames_read(struct pm_frames *fs, uint64_t addr, struct pm_frame *f,
    int *oom);

/* States of a generator, coroutine or async generator. */
enum pm_gen_state {
	PM_GEN_CREATED,		/* not started */
	PM_GEN_SUSPENDED,	/* at a yield or await */
	PM_GEN_RUNNING,
	PM_GEN_DONE,		/* returned, raised or closed */
	PM_GEN_UNKNOWN,		/* not readable */
};

enum pm_gen_state pm_frames_gen_state(struct pm_frames *fs, uint64_t gen);

/* The frame of a generator or coroutine (0 once it is done). */
uint64_t pm_frames_gen_frame(struct pm_frames *fs, uint64_t gen);

/*
 * What a suspended generator or coroutine is delegating to: the object of
 * its "yield from" or "await" (gi_yieldfrom, cr_await), or 0.
 */
uint64_t pm_frames_gen_awaits(struct pm_frames *fs, uint64_t gen);

/*
 * Call fn for every bound fast local, cell and free variable of frame f,
 * in co_varnames / co_localsplusnames order; cell contents are given for
 * cells (cell = 1). Stops when fn returns non-zero and returns that.
 */
typedef int (*pm_local_fn)(void *arg, const char *name, uint64_t value,
    int cell);
int pm_frames_locals(struct pm_frames *fs, const struct pm_frame *f,
    pm_local_fn fn, void *arg);

/*
 * The opcode of frame f's current instruction (deoptimised names are the
 * caller's business), or -1.
 */
int pm_frames_opcode(struct pm_frames *fs, const struct pm_frame *f);

/*
 * The words of f's value stack area (co_stacksize slots above the
 * locals), whether or not in use: a running frame does not record its
 * stack depth. *slots is malloc'd. Returns the count, or -1 out of memory.
 */
int64_t pm_frames_stack_area(struct pm_frames *fs, const struct pm_frame *f,
    uint64_t **slots);

/*
 * Object helpers. pm_frames_attr: the attribute name of an instance
 * (instance dict, managed dict, inline values, __slots__), or 0.
 * pm_frames_dict_get: d[key] for a str key, or 0. pm_frames_module:
 * sys.modules[name] of the first interpreter, or 0. pm_frames_int: the
 * value of an int (|v| < 2**64, sign in *neg): 0, or -1 when not an int.
 * pm_frames_str: a str's UTF-8 text, at most max bytes, malloc'd; NULL
 * when not a str.
 */
uint64_t pm_frames_attr(const struct pm_heap *h, uint64_t obj,
    const char *name);
uint64_t pm_frames_dict_get(const struct pm_heap *h, uint64_t dict,
    const char *key);
uint64_t pm_frames_module(const struct pm_heap *h, const char *name);
int pm_frames_int(const struct pm_heap *h, uint64_t obj, uint64_t *v,
    int *neg);
char *pm_frames_str(const struct pm_heap *h, uint64_t obj, size_t max);

/* The type name of the object at addr ("?" when it is not one). */
const char *pm_frames_typename(const struct pm_heap *h, uint64_t addr);

#endif

/*
 * regions.h - what each captured mapping of a snapshot holds, and where
 * the snapshot's bytes go (pm-dump --info, pm-types --memory).
 *
 * Every mapping gets a class: a thread's stack, data of a mapped file or
 * of the interpreter itself, other shared or special memory, or the heap
 * (the [heap] and anonymous private memory, where malloc, mmap and
 * pymalloc's arenas live). What was found in it is added as flags: the
 * interpreter's static data (a recorded symbol such as _PyRuntime),
 * pymalloc arenas, Python objects outside the arenas.
 *
 * Thread stacks: the main thread's is [stack]. Another thread's is the
 * anonymous mapping holding its glibc struct pthread, which glibc puts
 * at the top of the stack it allocates: the pthread_t of each Python
 * thread state (threading.get_ident()) points there, and for threads
 * without one (C threads) the struct is recognised by its two pointers
 * to itself (tcbhead_t's tcb and self, x86-64) and a thread id of the
 * snapshot at the tid offset.
 */
#ifndef PM_REGIONS_H
#define PM_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#include "obmalloc.h"

struct pm_err;
struct pm_heap;
struct pm_map;
struct pm_snap;

enum pm_region_class {
	PM_REGION_HEAP,		/* [heap] or anonymous private memory */
	PM_REGION_STACK,	/* a thread's stack */
	PM_REGION_FILE,		/* a mapped file's data, or the interpreter's */
	PM_REGION_OTHER,	/* shared memory, devices, other special */
};

enum pm_region_flags {
	PM_REGION_INTERP = 1 << 0,	/* holds a recorded interpreter symbol */
	PM_REGION_RUNTIME = 1 << 1,	/* holds _PyRuntime */
	PM_REGION_PYMALLOC = 1 << 2,	/* holds pymalloc arenas */
	PM_REGION_OBJECTS = 1 << 3,	/* holds objects outside the arenas */
};

struct pm_region {
	const struct pm_map *map;
	enum pm_region_class cls;
	unsigned flags;			/* enum pm_region_flags */
	uint32_t tid;			/* PM_REGION_STACK: the thread */
	uint64_t arena_bytes;		/* bytes of pymalloc arenas inside */
	uint64_t arena_free;		/* of those, not in allocated blocks */
	uint64_t arena_unread;		/* of those, in arenas not read */
	uint64_t nobjs_pymalloc, nobjs_other;	/* objects whose address is */
	uint64_t obj_pymalloc, obj_other;	/* here: in arenas or not, and */
						/* their summed getsizeof */
};

struct pm_regions {
	size_t n;
	struct pm_region *v;	/* one per mapping, in the snapshot's order */
	struct pm_obmalloc om;	/* the arenas (om.status says if known) */
	int objects;		/* objects were placed (a heap was given) */
};

/*
 * Classify the mappings of s. With h (may be NULL), also place its
 * objects and find the stacks of Python threads through their thread
 * states. Returns 0, or -1 with e filled when memory runs out.
 */
int pm_regions_build(struct pm_regions *r, const struct pm_snap *s,
    const struct pm_heap *h, struct pm_err *e);
void pm_regions_release(struct pm_regions *r);

/*
 * Where the bytes of the snapshot are, each byte counted once: objects
 * are placed by their address and counted by sys.getsizeof (which may
 * include buffers they own elsewhere); the rest of each class is what
 * is left of it. A class whose objects count more than its bytes is
 * left at 0 (over says by how much).
 */
struct pm_memory {
	uint64_t total;			/* the snapshot's stored bytes */
	int pymalloc_known;		/* arenas known: objects split by them */
	uint64_t obj_pymalloc;		/* objects in pymalloc arenas */
	uint64_t obj_malloc;		/* other objects on the heap */
	uint64_t obj_static;		/* objects in file or interpreter data */
	uint64_t py_free_blocks;	/* pymalloc free space, as */
	uint64_t py_unused_pools;	/* _debugmallocstats splits it */
	uint64_t py_headers;
	uint64_t py_quantization;
	uint64_t py_alignment;
	uint64_t heap_other;		/* the rest of the heap */
	uint64_t stacks;
	uint64_t files;			/* file data without its objects */
	uint64_t other;
	uint64_t over;			/* objects beyond their class's bytes */
};

void pm_regions_memory(const struct pm_regions *r, struct pm_memory *m);

#endif

/*
 * obmalloc.h - pymalloc, CPython's small-object allocator, as a snapshot
 * shows it: the arenas, and how their pools and blocks are used, counted
 * the way sys._debugmallocstats() counts them inside the process.
 *
 * The arena table is the file-static `arenas` / `maxarenas` of
 * Objects/obmalloc.c in 3.8-3.11, which only the full symbol table of an
 * unstripped libpython names (pm-dump records them when it can), and the
 * obmalloc state of each interpreter from 3.12. Without the symbols the
 * arenas are unknown, and the struct says so rather than guessing.
 */
#ifndef PM_OBMALLOC_H
#define PM_OBMALLOC_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_snap;

/* One arena, and how its bytes are used. */
struct pm_arena {
	uint64_t start, end;	/* [address, address + ARENA_SIZE) */
	/* These add up to end - start when the arena reads consistently. */
	uint64_t used;		/* bytes in allocated blocks */
	uint64_t free_blocks;	/* bytes in free blocks of pools in use */
	uint64_t unused_pools;	/* pools holding no block, or never carved */
	uint64_t headers;	/* pool headers of pools in use */
	uint64_t quantization;	/* pool tails too small for one more block */
	uint64_t alignment;	/* lost to aligning the first pool */
	int consistent;		/* pools captured, sane, adding up */
};

enum pm_obmalloc_status {
	PM_OBMALLOC_OK,		/* the arena table was read */
	PM_OBMALLOC_NO_SYMBOLS,	/* 3.8-3.11 without the arenas symbols */
	PM_OBMALLOC_UNREADABLE,	/* table not captured, or not sane */
};

struct pm_obmalloc {
	enum pm_obmalloc_status status;
	char why[160];		/* when not OK: why, for a message */
	uint64_t arena_size, pool_size;
	size_t narenas;
	struct pm_arena *arenas;	/* sorted by start, not overlapping */
	size_t ninconsistent;		/* arenas whose pools did not add up */
	struct pm_arena total;		/* sums over every arena */
};

/*
 * Find and measure the arenas of snapshot s (every interpreter's, once
 * each). Returns 0 with m->status saying whether the arenas are known,
 * or -1 with e filled when memory runs out. Reads only captured memory:
 * a corrupt table gives PM_OBMALLOC_UNREADABLE, a corrupt pool an arena
 * that is not consistent, never a crash or a long loop.
 */
int pm_obmalloc_open(struct pm_obmalloc *m, const struct pm_snap *s,
    struct pm_err *e);
void pm_obmalloc_release(struct pm_obmalloc *m);

/* The arena holding addr, or NULL. */
const struct pm_arena *pm_obmalloc_find(const struct pm_obmalloc *m,
    uint64_t addr);

#endif

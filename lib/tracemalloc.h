/*
 * tracemalloc.h - the traces of a target that runs tracemalloc
 * (PYTHONTRACEMALLOC=N, -X tracemalloc=N or tracemalloc.start(N)): where
 * each live memory block was allocated, read from the snapshot.
 *
 * tracemalloc keeps one trace per memory block it saw allocated and not
 * yet freed: the block's address and the size asked for, in a domain (0
 * for Python's allocators, others for PyTraceMalloc_Track), and a
 * traceback of at most N frames (file name and line number, most recent
 * first). The tables live in _PyRuntime.tracemalloc from 3.12; before,
 * in static variables of Modules/_tracemalloc.c that only the symbol
 * table (.symtab) of an unstripped libpython names, which pm-dump records
 * when it is there. Every table is walked within the counts it declares
 * and every read is checked, so a corrupt snapshot gives an error, never
 * a crash or an endless loop.
 *
 * A Python object's block starts before the object: at its GC header
 * (and, 3.11+, the pre-header of managed dicts and weak references), as
 * tracemalloc.get_object_traceback() looks it up.
 */
#ifndef PM_TRACEMALLOC_H
#define PM_TRACEMALLOC_H

#include <stddef.h>
#include <stdint.h>

struct pm_buf;
struct pm_err;
struct pm_heap;

struct pm_tm_trace {
	uint64_t ptr;		/* start of the memory block */
	uint64_t size;		/* bytes asked for */
	uint64_t traceback;	/* its traceback_t in the target */
	uint32_t domain;	/* 0: Python's allocators */
	uint32_t pad_;
};

struct pm_tm_frame {
	uint64_t filename;	/* a str object in the target */
	uint32_t lineno;
};

struct pm_tm {
	const struct pm_heap *h;
	int max_nframe;		/* the N tracemalloc was started with */
	uint64_t traced_memory;	/* its count of traced bytes: what
				   tracemalloc.get_traced_memory()[0] says */
	uint64_t total;		/* the sizes of the traces read, summed */
	struct pm_tm_trace *traces;	/* sorted by domain, then ptr */
	size_t ntraces;
};

/*
 * Read the traces of the snapshot of h into tm (h must outlive it).
 * Returns 0, or -1 with e filled (status 2): tracemalloc is not tracing
 * in the target, its tables cannot be found (a stripped 3.8-3.11), or
 * they are corrupt.
 */
int pm_tm_open(struct pm_tm *tm, const struct pm_heap *h, struct pm_err *e);
void pm_tm_close(struct pm_tm *tm);

/* The trace of the block at ptr in domain, or NULL. */
const struct pm_tm_trace *pm_tm_find(const struct pm_tm *tm, uint32_t domain,
    uint64_t ptr);

/* Where the memory block of object i of h starts. */
uint64_t pm_tm_block(const struct pm_heap *h, size_t i);

/* The trace of object i (domain 0, at pm_tm_block), or NULL. */
const struct pm_tm_trace *pm_tm_object(const struct pm_tm *tm, size_t i);

/*
 * The frames of the traceback at tb, most recent first: up to max of
 * them into f. *total (may be NULL) is how many the traceback had before
 * tracemalloc cut it to N (3.9+; the stored count on 3.8). Returns the
 * number stored in the target, or -1 when the traceback is unreadable.
 */
long pm_tm_frames(const struct pm_tm *tm, uint64_t tb, struct pm_tm_frame *f,
    size_t max, uint64_t *total);

/*
 * Append "FILE:LINE" for frame f ("?" for an unreadable file name), as
 * tracemalloc's Frame prints itself.
 */
void pm_tm_frame_text(const struct pm_tm *tm, const struct pm_tm_frame *f,
    struct pm_buf *b);

/*
 * Append the traceback at tb, most recent frame first, frames separated
 * by " < " ("called from"), and " < …(+K)" when tracemalloc dropped K
 * older frames: "app.py:12 < app.py:40 < …(+3)". Returns 0, or -1
 * (nothing appended) when it is unreadable.
 */
int pm_tm_traceback_text(const struct pm_tm *tm, uint64_t tb,
    struct pm_buf *b);

/*
 * The traces grouped by the most recent frame of their traceback, as
 * tracemalloc's Snapshot.statistics('lineno') groups them (every domain).
 */
struct pm_tm_line {
	char *where;		/* "FILE:LINE" (malloc'd) */
	uint64_t count;		/* memory blocks */
	uint64_t bytes;		/* their sizes, summed */
};

/*
 * Fill *rows with one row per file and line, sorted by bytes (by count
 * when by_count), largest first, then by count or bytes and by where.
 * Returns the number of rows, or -1 with e filled when out of memory.
 */
long pm_tm_by_line(const struct pm_tm *tm, int by_count,
    struct pm_tm_line **rows, struct pm_err *e);
void pm_tm_lines_free(struct pm_tm_line *rows, size_t n);

#endif

/*
 * retain.h - retained sizes of a snapshot's objects, the biggest
 * retainers and leak suspects, from the dominator tree of its reference
 * graph.
 *
 * The dominator tree (dominator.h) is computed over the graph's strong
 * references with a super-root pointing at the graph's roots, including
 * the representatives of objects no root reaches (graph.h), so every
 * object is in it. The retained size of an object is the sum of
 * sys.getsizeof over it and every object it dominates: what would be
 * freed if it went away.
 *
 * Suspects, in the spirit of Eclipse MAT's leak suspects: the objects that
 * retain the most among those at the top of the dominator tree once the
 * namespaces are set aside. Namespaces are modules, classes, their
 * __dict__s and the roots' dicts (sys.modules, sys, builtins): they hold
 * everything by design, so a suspect is an object that is not one and
 * whose immediate dominator is one (or the super-root) - a module global,
 * a class attribute, a frame local, an object held from C. Where its
 * memory accumulates is found by going down the dominator tree while one
 * child holds at least PM_RETAIN_ACCUMULATE_PCT percent of what its
 * parent retains (a container of many small objects ends the descent, and
 * so does a run of three of one type: a linked list ends at its head).
 */
#ifndef PM_RETAIN_H
#define PM_RETAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dominator.h"

struct pm_err;
struct pm_graph;

#define PM_RETAIN_ACCUMULATE_PCT 80

struct pm_retain {
	const struct pm_graph *g;
	struct pm_dom dom;
	uint64_t *ret;		/* n + 1: retained bytes; [n] the total */
	uint32_t *cnt;		/* n + 1: objects retained */
	uint32_t *koff, *kids;	/* dominator tree children, made on demand */
};

/* Progress: phase and how many of total are done. */
typedef void (*pm_retain_progress_fn)(void *arg, const char *phase,
    uint64_t done, uint64_t total);

/* Compute dominators and retained sizes for g. 0, or -1 with e filled. */
int pm_retain_compute(struct pm_retain *r, const struct pm_graph *g,
    pm_retain_progress_fn progress, void *progress_arg, struct pm_err *e);
void pm_retain_release(struct pm_retain *r);

/*
 * The (up to) k objects retaining the most bytes, largest first, ties by
 * object order, into out[]. Returns how many.
 */
size_t pm_retain_top(const struct pm_retain *r, size_t k, uint32_t *out);

/* Up to k suspects, largest first, into out[]. Returns how many, -1 (e). */
long pm_retain_suspects(struct pm_retain *r, size_t k, uint32_t *out,
    struct pm_err *e);

/*
 * Where the memory of object v accumulates (v itself when no child holds
 * most of it). Returns -1 (e) when out of memory.
 */
int64_t pm_retain_accumulation(struct pm_retain *r, uint32_t v,
    struct pm_err *e);

/* One type among what an object retains. */
struct pm_census_row {
	uint32_t type;		/* index into pm_heap_types */
	uint64_t count, bytes;
};

/*
 * What object v retains (v included), by type, sorted by bytes, then
 * count, then type name. *rows is malloc'd. Returns 0, or -1 with e filled.
 */
int pm_retain_census(struct pm_retain *r, uint32_t v,
    struct pm_census_row **rows, size_t *nrows, struct pm_err *e);

#endif

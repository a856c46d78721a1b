/*
 * graph.h - the reference graph of a whole snapshot, built once per run
 * in compact arrays indexed by object number (lib/heap.h's indices).
 *
 * Forward edges are CSR: the references of object v are dst[off[v]] to
 * dst[off[v + 1] - 1], in the order pm_heap_referents gives them, with
 * meta[] beside dst[] telling what each reference is (kind and argument
 * packed in 32 bits). Reverse edges are CSR too: the referrers of v are
 * rsrc[roff[v]] to rsrc[roff[v + 1] - 1], sorted by referrer, one entry
 * per reference (an object referring twice appears twice). A weak
 * reference (a weakref's referent) carries PM_GRAPH_WEAK in both dst[] and
 * rsrc[]: graph algorithms skip such entries, listings mask the bit off.
 *
 * Only references to enumerated objects are kept: a conservative word that
 * points at no object is dropped. Cost: 12 bytes per reference and 8 per
 * object, plus the root list. Up to 2^31 - 1 objects and 2^32 - 1
 * references.
 *
 * The roots are those of pm_heap_roots, in tiers of preference for paths
 * (sys.modules first); then the objects the interpreter itself keeps
 * whatever refers to them: immortal objects (3.12+) and the cached small
 * ints (-5 to 256); then, for objects that no root reaches (held by C
 * code the snapshot cannot see), representatives that reach them: first
 * each such object that nothing refers to, then one object of each cycle
 * still left, in object order. Together they reach every object over
 * strong references, so the dominator tree over a super-root connected to
 * them covers the whole heap, and no object is ever counted as retained
 * by a referrer whose death would not free it.
 */
#ifndef PM_GRAPH_H
#define PM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

struct pm_err;

#define PM_GRAPH_WEAK 0x80000000u	/* in dst[]/rsrc[]: a weak reference */
#define PM_GRAPH_NODE(x) ((uint32_t)(x) & ~PM_GRAPH_WEAK)

/* meta[]: the edge kind (enum pm_edge_kind) above, its argument below. */
#define PM_GRAPH_KIND(m) ((enum pm_edge_kind)((uint32_t)(m) >> 28))
#define PM_GRAPH_ARG(m) ((uint32_t)(m) & 0x0fffffffu)
/* An argument too large to pack: pm_graph_edge reads the object again. */
#define PM_GRAPH_ARG_LOST 0x0fffffffu

/* Root tiers, in order of preference for paths. */
enum pm_graph_tier {
	PM_TIER_MODULES,	/* sys.modules */
	PM_TIER_NAMESPACE,	/* the sys and builtins dicts */
	PM_TIER_THREAD,		/* thread dicts, frames and their locals */
	PM_TIER_STATIC,		/* static singletons */
	PM_TIER_INTERP,		/* immortal objects, cached small ints */
	PM_TIER_UNREACHABLE,	/* held by nothing the snapshot shows */
	PM_TIER_COUNT
};

struct pm_graph_root {
	uint32_t obj;		/* object index */
	uint32_t tier;		/* enum pm_graph_tier */
	int64_t root;		/* index into pm_heap_roots; -1 in the last
				   two tiers */
};

struct pm_graph {
	const struct pm_heap *h;
	size_t n;		/* objects */
	size_t nedges;
	size_t edgecap;		/* entries allocated in dst[] and meta[] */
	uint32_t *off;		/* n + 1 */
	uint32_t *dst;		/* nedges: target | PM_GRAPH_WEAK */
	uint32_t *meta;		/* nedges: kind << 28 | argument */
	uint32_t *roff;		/* n + 1 */
	uint32_t *rsrc;		/* nedges: referrer | PM_GRAPH_WEAK */

	/* Interned C field names and slot-name addresses (meta arguments). */
	const char **fields;
	size_t nfields, capfields;
	uint64_t *slots;
	size_t nslots, capslots;

	/* Roots by tier; each object at most once. */
	struct pm_graph_root *roots;
	size_t nroots;
	uint32_t *rootidx;	/* roots[] indices sorted by object */
	uint32_t *hrootidx;	/* pm_heap_roots indices sorted by object */
	size_t nhroots;
	size_t ninterp;		/* roots of PM_TIER_INTERP */
	size_t nunreachable;	/* objects no root reaches but from the
				   last tier */
	uint64_t unreachable_bytes;
};

/* Progress: phase and how many of total are done. */
typedef void (*pm_graph_progress_fn)(void *arg, const char *phase,
    uint64_t done, uint64_t total);

/*
 * Build the graph of h (which must outlive it) in one pass over
 * pm_heap_referents, then its reverse and its roots. Returns 0, or -1 with
 * e filled (out of memory, too many objects or references).
 */
int pm_graph_build(struct pm_graph *g, const struct pm_heap *h,
    pm_graph_progress_fn progress, void *progress_arg, struct pm_err *e);
void pm_graph_release(struct pm_graph *g);

/* The referrer of forward edge eid: the v with off[v] <= eid < off[v+1]. */
uint32_t pm_graph_edge_src(const struct pm_graph *g, uint64_t eid);

/*
 * The reference that forward edge eid (of object src) stands for, as
 * pm_heap_referents gave it. From meta when its argument was packed, else
 * by reading src's references again. Returns 0, or -1 when the snapshot
 * does not give the edge back (never for a graph built from it).
 */
int pm_graph_edge(const struct pm_graph *g, uint32_t src, uint64_t eid,
    struct pm_edge *out);

/* Whether forward edge eid is the weak reference of a weakref. */
static inline int
pm_graph_is_weak(const struct pm_graph *g, uint64_t eid)
{
	return (g->dst[eid] & PM_GRAPH_WEAK) != 0;
}

/*
 * The forward edge of occurrence occ (0 for the first) of a reference
 * from src to dst, or UINT32_MAX: how a referrer entry rsrc[j] maps back,
 * counting equal entries before it in dst's referrer list.
 */
uint32_t pm_graph_nth_edge(const struct pm_graph *g, uint32_t src,
    uint32_t dst, uint32_t occ);

/*
 * Walking the referrers of v with the forward edge of each reference:
 *
 *     struct pm_graph_refiter it;
 *     uint32_t src, eid;
 *     pm_graph_referrers(g, v, &it);
 *     while (pm_graph_referrers_next(g, &it, &src, &eid))
 *             ...
 *
 * An object referring to v twice comes twice, with each edge. Weak
 * references come too: pm_graph_is_weak(g, eid) tells them.
 */
struct pm_graph_refiter {
	uint32_t v;
	uint64_t j, end;	/* next entry of rsrc, end of v's entries */
	uint32_t prev;		/* referrer of the entry before */
	uint64_t last;		/* and its forward edge */
};
void pm_graph_referrers(const struct pm_graph *g, uint32_t v,
    struct pm_graph_refiter *it);
int pm_graph_referrers_next(const struct pm_graph *g,
    struct pm_graph_refiter *it, uint32_t *src, uint32_t *eid);

/*
 * The heap roots (pm_heap_roots) whose object is v: *first is an index
 * into g->hrootidx, whose entries from there on, count of them, index
 * pm_heap_roots. Returns count.
 */
size_t pm_graph_heap_roots_of(const struct pm_graph *g, uint32_t v,
    size_t *first);

/* The root entry of object v, or NULL when v is not a root. */
const struct pm_graph_root *pm_graph_root_of(const struct pm_graph *g,
    uint32_t v);

#endif

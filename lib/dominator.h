/*
 * dominator.h - the dominator tree of a graph and the retained sizes it
 * gives (what would be freed if an object went away).
 *
 * The graph is given as CSR arrays (graph.h's shape, usable on hand-made
 * graphs too): nodes 0 to n-1, successors and predecessors, entries with
 * PM_DOM_SKIP set ignored in both. A virtual super-root, node n, points
 * at the nodes of roots[]. Node d dominates v when every path from the
 * super-root to v passes through d; idom(v) is the closest such d other
 * than v. The algorithm is Lengauer and Tarjan's (the simple version with
 * path compression, O(E log N)), iterative throughout so a chain of
 * millions of nodes does not exhaust the stack, and correct on any graph,
 * cycles included.
 *
 * Memory: 40 bytes per node while computing, 8 kept (idom and the order),
 * from bigmem.h.
 */
#ifndef PM_DOMINATOR_H
#define PM_DOMINATOR_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;

#define PM_DOM_SKIP 0x80000000u	/* an entry of dst[]/rsrc[] to ignore */
#define PM_DOM_NONE 0xffffffffu	/* idom of an unreachable node */

struct pm_domgraph {
	size_t n;		/* nodes 0..n-1; the super-root is n */
	const uint32_t *off;	/* n + 1: successors dst[off[v]..off[v+1]) */
	const uint32_t *dst;
	const uint32_t *roff;	/* n + 1: predecessors rsrc[roff[v]..) */
	const uint32_t *rsrc;
	const uint32_t *roots;	/* successors of the super-root */
	size_t nroots;
};

struct pm_dom {
	size_t n;		/* as in the graph */
	uint32_t *idom;		/* n + 1: idom[v], n for the super-root's
				   children and itself, PM_DOM_NONE when the
				   super-root does not reach v */
	uint32_t *order;	/* reached nodes in DFS preorder, n first:
				   a node comes after its idom */
	size_t norder;
};

/* Progress: phase and how many of total are done. */
typedef void (*pm_dom_progress_fn)(void *arg, const char *phase,
    uint64_t done, uint64_t total);

/*
 * Compute the dominator tree of g into d. Returns 0, or -1 with e filled
 * (out of memory, more than 2^31 - 2 nodes).
 */
int pm_dom_compute(struct pm_dom *d, const struct pm_domgraph *g,
    pm_dom_progress_fn progress, void *progress_arg, struct pm_err *e);
void pm_dom_release(struct pm_dom *d);

/*
 * Retained sizes: ret[v] = the size of v and of every node v dominates,
 * cnt[v] their number (both n + 1 entries, the super-root's last and
 * holding the total). size(arg, v) gives a node's own size (0 for the
 * super-root is not asked). Unreached nodes get 0. ret and cnt are
 * allocated by the caller.
 */
void pm_dom_retained(const struct pm_dom *d,
    uint64_t (*size)(void *arg, size_t v), void *arg, uint64_t *ret,
    uint32_t *cnt);

/*
 * The dominator tree's children lists, CSR: the children of v (0..n) are
 * kids[koff[v]..koff[v+1]), in DFS preorder. *koff (n + 2 entries) and
 * *kids (n entries) are malloc'd. Returns 0, or -1 when out of memory.
 */
int pm_dom_children(const struct pm_dom *d, uint32_t **koff,
    uint32_t **kids);

#endif

/*
 * refdot.h - the referrer graph around some objects as Graphviz dot.
 *
 * From the targets, referrers are followed backwards up to a depth. The
 * picture stays readable: at most max_nodes objects, and an object with
 * more than max_fanin referrers shows the ones nearest a root (those on
 * the paths pm-refs --path prints come first) and one "… N more" node for
 * the rest. Edges go from referrer to referent, labelled as edgename.h
 * names them; weak references are dashed; targets are filled, roots have
 * a double border and say which root they are. `dot -Tsvg` lays it out
 * left (roots) to right (targets).
 */
#ifndef PM_REFDOT_H
#define PM_REFDOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pm_err;
struct pm_graph;
struct pm_paths;

struct pm_refdot_opts {
	unsigned depth;		/* referrer levels to follow */
	size_t max_nodes;	/* objects drawn, targets included */
	size_t max_fanin;	/* referrers drawn per object */
};

/* Defaults: depth 8, 60 objects, 8 referrers each. */
void pm_refdot_opts_init(struct pm_refdot_opts *o);

/*
 * Write the graph around targets[0..ntargets) to fp. p (may be NULL)
 * orders referrers by their distance from a root. Returns 0, or -1 with
 * e filled (out of memory; write errors are left to the caller's ferror).
 */
int pm_refdot_write(FILE *fp, const struct pm_graph *g,
    const struct pm_paths *p, const uint32_t *targets, size_t ntargets,
    const struct pm_refdot_opts *o, struct pm_err *e);

#endif

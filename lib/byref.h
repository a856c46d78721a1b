/*
 * byref.h - objects grouped by what refers to them, as Heapy's byrcs
 * ("by referrer classification") groups them: how many objects of each
 * type are held by which kind of reference, and, when that referrer is a
 * container, by what holds the container.
 *
 * Each strong reference to an object is labelled:
 *
 *     __main__.Conn.pending         an attribute of an instance of a class
 *                                   (inline values, __slots__, its __dict__)
 *     <module 'app'>.CACHE          a module global
 *     <class 'app.Registry'>.items  a class attribute
 *     function.__code__             a named C field (edgename.h)
 *     frame.f_locals['x']           a frame's local
 *     list, dict, set, tuple, ...   an item of a container (its type name)
 *
 * A reference from an object's __dict__ is named as from the object itself,
 * so that a 3.8 instance (with a dict) and a 3.12 one (inline values) give
 * the same label. When the referrer is a container (a list, tuple, dict,
 * set, frozenset or deque that is not a __dict__, subclasses included), the
 * container's own strong referrers are labelled the same way, one level and
 * no further: the "owner" of the group. A container with no referrer
 * (held by C code) has owner "-". References from the roots (a frame's
 * local on 3.11+, sys.modules ...) are labelled as pm_edgename_root names
 * them. An object with no strong referrer and no root gets label "-".
 *
 * A group is (type of the object, label, owner). An object with several
 * referrers, or a container with several owners, counts once in each
 * distinct group it belongs to, so counts may add up to more than the
 * objects asked about; never twice in one group. Weak references are not
 * followed.
 */
#ifndef PM_BYREF_H
#define PM_BYREF_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_graph;

/* The label of "no referrer" and of "no owner". */
#define PM_BYREF_NONE "-"

struct pm_byref_row {
	uint64_t count;		/* objects in the group */
	uint64_t bytes;		/* their summed sys.getsizeof */
	uint32_t type;		/* their type index (heap.h) */
	const char *type_name;	/* and its name */
	const char *referrer;	/* label of the reference */
	const char *owner;	/* when a container: what holds it; else "-" */
};

struct pm_byref {
	struct pm_byref_row *rows;	/* largest count first */
	size_t nrows;

	/* private to byref.c: the label strings */
	char **labels_;
	size_t nlabels_;
};

/*
 * Group objects objs[0..n) (indices of g's heap, each given once) by
 * referrer into br. Rows are sorted by count, largest first, then bytes,
 * then type name, label and owner. Returns 0, or -1 with e filled when
 * memory runs out.
 */
int pm_byref_build(struct pm_byref *br, const struct pm_graph *g,
    const uint32_t *objs, size_t n, struct pm_err *e);

/* Free what br holds; br is then empty. */
void pm_byref_release(struct pm_byref *br);

#endif

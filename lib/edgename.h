/*
 * edgename.h - naming references as Python would write them.
 *
 * A reference held by an object is named as the suffix of an expression
 * that gets from the referrer to the referent:
 *
 *     .attr             an attribute: inline value, __slots__ member,
 *                       a C field Python exposes (.__class__, .__code__,
 *                       .cell_contents, .f_back, .__dict__ ...)
 *     ['key'] [17]      a dict value, by the repr of its key (str, int,
 *                       None, True, False; other keys [<T at 0x...>])
 *     [3]               an item of a tuple, list or deque
 *     .f_locals['x']    a frame's local variable (of a generator or
 *                       coroutine: .gi_frame.f_locals['x'], .cr_frame...)
 *
 * and what no expression reaches, in angle brackets: <key> (a dict key),
 * <set item>, <cell x> (a frame's cell or free variable), <stack 2> (a
 * value on a frame's stack), <weak> (a weakref's referent), <ref +24>
 * (a word found conservatively at that offset), <shared key>,
 * <ht_module>, <tp_subclasses>, <f_func>, <frame object>.
 *
 * Everything is read through the snapshot's checked accessors; what is
 * unreadable gets a neutral name ("[?]", "<local 3>") rather than an error.
 */
#ifndef PM_EDGENAME_H
#define PM_EDGENAME_H

#include <stddef.h>
#include <stdint.h>

struct pm_buf;
struct pm_edge;
struct pm_heap;
struct pm_root;

/* Keys and strings longer than this are cut with "…" inside the quotes. */
#define PM_EDGENAME_MAX_KEY 200

/* Append the name of reference e held by object src. */
void pm_edgename(const struct pm_heap *h, size_t src, const struct pm_edge *e,
    struct pm_buf *b);

/*
 * Append the repr of the dict key at addr: a str or int (subclasses
 * included) as Python's repr() of the value, None, True, False; any other
 * object as "<TYPE at 0x...>".
 */
void pm_edgename_key(const struct pm_heap *h, uint64_t addr, struct pm_buf *b);

/*
 * When the object at addr is a str that is a Python identifier (ASCII, not
 * a keyword), append it and return 1; else append nothing and return 0.
 */
int pm_edgename_ident(const struct pm_heap *h, uint64_t addr,
    struct pm_buf *b);

/* Append "<TYPE at 0x...>" for object i. */
void pm_edgename_obj(const struct pm_heap *h, size_t i, struct pm_buf *b);

/*
 * Append the start of a path at root r: "sys.modules", "sys", "builtins",
 * "<thread 4242 dict>", "<frame main of thread 4242>", and for a 3.11+
 * local that of its frame followed by its name (".f_locals['x']").
 * *ns is set when the text names an object whose __dict__ the root is (sys,
 * builtins), so that a following dict value is written ".name".
 */
void pm_edgename_root(const struct pm_heap *h, const struct pm_root *r,
    struct pm_buf *b, int *ns);

#endif

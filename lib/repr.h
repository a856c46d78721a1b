/*
 * repr.h - a bounded repr() of an object in a snapshot, written the way
 * Python's repr() would write it.
 *
 * The text is bounded twice: containers are expanded only opts.depth
 * levels deep (deeper ones show their size, "[…(+3)]"), and the whole repr
 * is at most opts.width characters: containers show their first items and
 * count the rest ("[1, 2, 3, …(+997)]"), strings end in "…" before the
 * quote. Below those bounds the text equals Python's repr() for None,
 * bool, int, float, complex, str, bytes, bytearray, tuple, list, dict,
 * set, frozenset, type, function, code, cell, range, slice, exceptions,
 * coroutines and generators, and instances of classes that do not define
 * __repr__ ("<__main__.Conn object at 0x7f…>"). Modules, bound methods,
 * built-in functions and asyncio futures and tasks get Python's shape
 * with what the snapshot holds.
 *
 * With PM_REPR_ATTRS, instances of classes (heap types) are followed by
 * their attributes from __dict__, managed dicts, inline values and
 * __slots__: "<__main__.Conn object at 0x7f…> {ident=3, label='x'}".
 * With PM_REPR_REDACT, no str, bytes or bytearray contents are shown:
 * "<str len=12 hash=…>" (hash as strs.h's pm_strs_digest).
 *
 * Reading is bounded: recursion stops at the depth (at most
 * PM_REPR_MAX_DEPTH), self-containing containers print as Python does
 * ("[...]"), and every read goes through the snapshot's checked accessors.
 */
#ifndef PM_REPR_H
#define PM_REPR_H

#include <stddef.h>
#include <stdint.h>

struct pm_buf;
struct pm_heap;
struct pm_repr_cache;

#define PM_REPR_MAX_DEPTH 64

enum pm_repr_flags {
	PM_REPR_ATTRS = 1 << 0,		/* instances: append their attributes */
	PM_REPR_REDACT = 1 << 1,	/* never show str/bytes contents */
};

struct pm_repr_opts {
	int depth;			/* container levels to expand (0: none) */
	size_t width;			/* at most this many characters; 0: no bound */
	unsigned flags;			/* enum pm_repr_flags */
	struct pm_repr_cache *cache_;	/* private: facts about the heap's types */
};

/* Defaults: depth 1, width 80, no flags. */
void pm_repr_opts_init(struct pm_repr_opts *o);

/* Free what pm_repr cached in o (o stays usable). */
void pm_repr_opts_release(struct pm_repr_opts *o);

/*
 * Append the repr of object i of h to b. o may be reused across calls
 * (and should be: it caches per-type facts) with one heap at a time.
 * Returns 0, or -1 when memory ran out (b->oom).
 */
int pm_repr(const struct pm_heap *h, size_t i, struct pm_repr_opts *o,
    struct pm_buf *b);

/*
 * The same for the object at addr; an address that is not an object gives
 * "<0x… not an object>".
 */
int pm_repr_addr(const struct pm_heap *h, uint64_t addr,
    struct pm_repr_opts *o, struct pm_buf *b);

/*
 * len() of object i for the types that have one here: tuple, list, dict,
 * set, frozenset (and subclasses), str (code points), bytes, bytearray.
 * Returns 0 with *len set, or -1 when the object has no length.
 */
int pm_repr_len(const struct pm_heap *h, size_t i, uint64_t *len);

#endif

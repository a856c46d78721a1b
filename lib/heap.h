/*
 * heap.h - the object model: every live Python object of a snapshot, its
 * type, its size as sys.getsizeof would report it, and its references.
 *
 * pm_heap_open enumerates exactly: it starts from the interpreter state
 * (GC generations, modules, sys, builtins, thread frames, static builtin
 * types) and follows references with knowledge of the built-in layouts,
 * so freed memory never yields an object. Objects of C types whose layout
 * pmtools does not know are still counted; their references are found
 * conservatively (aligned words that point at valid objects), and objects
 * reached only that way carry PM_OBJ_CONSERVATIVE.
 */
#ifndef PM_HEAP_H
#define PM_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_snap;
struct pm_layout;

/* What pmtools knows of an object's layout: the nearest built-in base. */
enum pm_kind {
	PM_KIND_OTHER,		/* unknown C layout: conservative references */
	PM_KIND_OBJECT,		/* plain instance of a class */
	PM_KIND_TYPE,
	PM_KIND_DICT,
	PM_KIND_LIST,
	PM_KIND_TUPLE,
	PM_KIND_STR,
	PM_KIND_INT,
	PM_KIND_BOOL,
	PM_KIND_FLOAT,
	PM_KIND_COMPLEX,
	PM_KIND_BYTES,
	PM_KIND_BYTEARRAY,
	PM_KIND_SET,
	PM_KIND_FROZENSET,
	PM_KIND_FUNCTION,
	PM_KIND_METHOD,
	PM_KIND_CELL,
	PM_KIND_MODULE,
	PM_KIND_CODE,
	PM_KIND_NONE,
	PM_KIND_WEAKREF,
	PM_KIND_FRAME,
	PM_KIND_GEN,		/* generator, coroutine, async generator */
	PM_KIND_DEQUE,		/* collections.deque */
	PM_KIND_COUNT
};

enum pm_obj_flags {
	PM_OBJ_GC = 1 << 0,		/* has a GC header */
	PM_OBJ_CONSERVATIVE = 1 << 1,	/* reached only through guessed words */
};

/* 24 bytes: the heap holds one for every object. */
struct pm_obj {
	uint64_t addr;
	uint64_t size;		/* sys.getsizeof */
	uint32_t type;		/* index into the type table */
	/* instance dicts: owner's type index + 1 (below PM_OBJ_OWNER_MAX); else 0 */
	uint32_t owner : 28;
	uint32_t flags : 4;	/* enum pm_obj_flags */
};
#define PM_OBJ_OWNER_MAX ((1u << 28) - 1)

struct pm_type {
	uint64_t addr;
	char *name;		/* module.qualname for heap types, else tp_name */
	uint64_t flags;		/* tp_flags */
	int64_t basicsize, itemsize, dictoffset, weaklistoffset;
	int64_t solid;		/* tp_basicsize of the built-in base (kind) */
	uint64_t base;		/* tp_base */
	enum pm_kind kind;	/* layout of the nearest built-in base */
	int heap;		/* a heap type (class statement, PyType_FromSpec) */
	int gc;			/* instances carry a GC header */
	int exact;		/* no C type of unknown layout between it and kind */
	uint32_t nslots;	/* slot members of this and heap bases */
	int64_t *slot_off;	/* their offsets in the instance */
	uint64_t *slot_name;	/* their names (char * in the target) */
};

/* Kinds of reference, for naming edges (pm-refs). */
enum pm_edge_kind {
	PM_EDGE_TYPE,		/* ob_type */
	PM_EDGE_ITEM,		/* [arg] of a tuple or list */
	PM_EDGE_KEY,		/* a dict key; arg = the key */
	PM_EDGE_VALUE,		/* a dict value; arg = the key object */
	PM_EDGE_SETITEM,	/* a member of a set */
	PM_EDGE_ATTR,		/* an attribute in inline values; arg = name str */
	PM_EDGE_SLOT,		/* a __slots__ member; arg = char * name in target */
	PM_EDGE_DICT,		/* the instance __dict__ */
	PM_EDGE_FIELD,		/* a named C field: field says which */
	PM_EDGE_LOCAL,		/* a frame local; arg = index */
	PM_EDGE_GUESS,		/* a conservative word; arg = byte offset */
};

struct pm_edge {
	enum pm_edge_kind kind;
	uint64_t target;
	uint64_t arg;
	const char *field;	/* PM_EDGE_FIELD: "f_code", "__dict__" … */
};

/* Called for each reference; return non-zero to stop. */
typedef int (*pm_edge_fn)(void *arg, const struct pm_edge *edge);

/*
 * Where enumeration started: what keeps everything else alive. pm-refs
 * searches paths from these (GC lists are not roots: they hold everything).
 */
enum pm_root_kind {
	PM_ROOT_MODULES,	/* sys.modules of an interpreter */
	PM_ROOT_SYSDICT,	/* the sys module's __dict__ */
	PM_ROOT_BUILTINS,	/* the builtins module's __dict__ */
	PM_ROOT_FRAME,		/* a frame object on a thread's stack (<= 3.10) */
	PM_ROOT_LOCAL,		/* a local or stack value of a running frame (3.11+) */
	PM_ROOT_THREAD,		/* a thread's dict (threading.local) */
	PM_ROOT_STATIC,		/* a static singleton (None, True, ...) */
};

struct pm_root {
	uint32_t obj;		/* object index */
	enum pm_root_kind kind;
	uint64_t tstate;	/* PyThreadState of frame and thread roots */
	uint64_t frame;		/* frame address (object or _PyInterpreterFrame) */
	uint32_t depth;		/* frame's depth on its thread, 0 = innermost */
	uint32_t index;		/* PM_ROOT_LOCAL: index in localsplus */
};

struct pm_heap;

/* Progress callback: phase name, objects found so far. */
typedef void (*pm_heap_progress_fn)(void *arg, const char *phase,
    uint64_t done);

/*
 * Enumerate the objects of snapshot s (which must stay open while the
 * heap is used). Returns NULL with e filled when the snapshot is not a
 * supported Python process or its interpreter state is corrupt.
 */
struct pm_heap *pm_heap_open(const struct pm_snap *s,
    pm_heap_progress_fn progress, void *progress_arg, struct pm_err *e);
void pm_heap_close(struct pm_heap *h);

const struct pm_snap *pm_heap_snap(const struct pm_heap *h);
const struct pm_layout *pm_heap_layout(const struct pm_heap *h);

size_t pm_heap_nobjs(const struct pm_heap *h);
const struct pm_obj *pm_heap_objs(const struct pm_heap *h);
size_t pm_heap_ntypes(const struct pm_heap *h);
const struct pm_type *pm_heap_types(const struct pm_heap *h);

/* The roots, in the order found (per interpreter, per thread). */
size_t pm_heap_nroots(const struct pm_heap *h);
const struct pm_root *pm_heap_roots(const struct pm_heap *h);

/* Index of the object at addr, or -1 when there is none. */
int64_t pm_heap_find(const struct pm_heap *h, uint64_t addr);

/* The type of object i. */
const struct pm_type *pm_heap_type_of(const struct pm_heap *h, size_t i);

/*
 * Call fn for every reference held by the object at index i, in layout
 * order. Returns what fn returned last (0 when it never stopped).
 */
int pm_heap_referents(const struct pm_heap *h, size_t i, pm_edge_fn fn,
    void *arg);

/*
 * The text of a str object as UTF-8 (or of a bytes object, raw), at most
 * max bytes (0 = no limit). *out is malloc'd and NUL-terminated; *len its
 * length. Returns 0, or -1 when addr is not a readable str/bytes.
 */
int pm_heap_strval(const struct pm_heap *h, uint64_t addr, size_t max,
    char **out, size_t *len);

/*
 * What the header of a str object says: length in code points, bytes per
 * code point (1, 2 or 4), whether it is ASCII or compact, and where its
 * characters are (0 when a legacy string has none). Returns 0, or -1 when
 * the header at addr is not captured or not sane.
 */
struct pm_strinfo {
	uint64_t len;
	int kind;
	int ascii;
	int compact;
	uint64_t data;
};
int pm_heap_strinfo(const struct pm_heap *h, uint64_t addr,
    struct pm_strinfo *si);

/*
 * The name of the type object at t, as struct pm_type names types
 * (module.qualname for heap types, else tp_name), for types that may have
 * no instances. malloc'd; NULL when t is not a captured type object.
 */
char *pm_heap_type_name(const struct pm_heap *h, uint64_t t);

#endif

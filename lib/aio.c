/*
 * aio.c - asyncio tasks, the await graph, lock waits and their cycles.
 *
 * Cycles are the strongly connected components (Tarjan's algorithm, run
 * iteratively) of the await graph and of the threads' wait-for graph;
 * each component with more than one member, or a member waiting for
 * itself, is reported once, its members in the order of a cycle through
 * them. A diamond (two tasks awaiting one) is no component, so no cycle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio.h"
#include "frames.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define MAX_CORO_DEPTH 4096	/* coroutines awaiting coroutines */
#define MAX_TYPE_DEPTH 64
#define MAX_NAME 1024
#define MAX_CALLBACKS 4096	/* read from one future */

/*
 * Layouts not in pylayout.h, the same in 3.8-3.13 (Objects/genobject.c,
 * Objects/methodobject.c, Objects/descrobject.c, Modules/_functoolsmodule.c;
 * checked with ctypes): the first field after the object header of
 * async_generator_asend/athrow and coroutine_wrapper is the generator;
 * PyCFunctionObject has m_ml, then m_self; PyMethodDef starts with
 * ml_name; PyMethodDescrObject has d_type, then d_name; partial has fn,
 * then args.
 */
#define WRAPPED_GEN 16
#define CFUNC_ML 16
#define CFUNC_SELF 24
#define DESCR_TYPE 16
#define DESCR_NAME 24
#define PARTIAL_FN 16
#define PARTIAL_ARGS 24

/* What a type is to asyncio; computed once per type. */
enum tclass {
	TC_NONE,
	TC_CFUT,	/* _asyncio.Future layout */
	TC_CTASK,	/* _asyncio.Task layout */
	TC_PYFUT,	/* asyncio.futures.Future (pure Python) */
	TC_PYTASK,	/* asyncio.tasks.Task (pure Python) */
	TC_PRIM,	/* an asyncio.locks or asyncio.queues class */
};

struct pm_aio {
	struct pm_frames *fs;
	const struct pm_heap *h;
	const struct pm_snap *s;
	const struct pm_layout *l;

	unsigned char *tclass;		/* per type index */
	unsigned char *gather;		/* per type index: a _GatheringFuture */

	struct pm_task *tasks;
	size_t ntasks, captasks;
	char **names;			/* task names, owned */
	size_t capnames;
	struct pm_frame *frames;
	size_t nframes, capframes;

	struct pm_awaitable *nodes;
	size_t nnodes, capnodes;
	uint64_t *nodehash;		/* node index + 1 by address */
	size_t nodecap;

	/* edges: built as pairs, then grouped per node */
	size_t *epair;			/* from, to, from, to ... */
	size_t nepair, capepair;
	size_t *edges;

	struct pm_lockwait *waits;
	size_t nwaits, capwaits;

	struct pm_cycle *cycles;
	size_t ncycles, capcycles;
	struct pm_cycle_member *members;
	size_t nmembers, capmembers;
	unsigned char *task_cycle;	/* per task */

	/* type names of objects the heap did not index (stack slots) */
	uint64_t *tn_addr;
	char **tn_name;
	size_t ntn;

	int oom;
};

static uint64_t
hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
rd64(const struct pm_aio *a, uint64_t addr)
{
	uint64_t v;

	return pm_snap_u64(a->s, addr, &v) < 0 ? 0 : v;
}

static uint64_t
fld(const struct pm_aio *a, uint64_t base, enum pm_layout_key k)
{
	int64_t off = a->l->off[k];

	return off < 0 || base == 0 ? 0 : rd64(a, base + (uint64_t)off);
}

/* Grow *p (of *cap elements of size sz) to hold n + 1; -1 out of memory. */
static int
grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp;
	size_t c;
	void *q;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 16;
	if ((q = reallocarray(*p, c, sz)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

const char *
pm_aio_state_name(enum pm_fut_state st)
{
	switch (st) {
	case PM_FUT_PENDING: return "pending";
	case PM_FUT_CANCELLED: return "cancelled";
	case PM_FUT_DONE: return "done";
	default: return "?";
	}
}

/* ---- types ---- */

static enum tclass
class_of_name(const char *n)
{
	if (strcmp(n, "_asyncio.Task") == 0)
		return TC_CTASK;
	if (strcmp(n, "_asyncio.Future") == 0)
		return TC_CFUT;
	if (strcmp(n, "asyncio.tasks.Task") == 0)
		return TC_PYTASK;
	if (strcmp(n, "asyncio.futures.Future") == 0)
		return TC_PYFUT;
	if (strncmp(n, "asyncio.locks.", 14) == 0 ||
	    strncmp(n, "asyncio.queues.", 15) == 0)
		return TC_PRIM;
	return TC_NONE;
}

static int
classify_types(struct pm_aio *a)
{
	size_t nt = pm_heap_ntypes(a->h);
	const struct pm_type *types = pm_heap_types(a->h);

	a->tclass = calloc(nt + 1, 1);
	a->gather = calloc(nt + 1, 1);
	if (a->tclass == NULL || a->gather == NULL)
		return -1;
	for (size_t i = 0; i < nt; i++) {
		enum tclass c = class_of_name(types[i].name);
		uint64_t b = types[i].base;
		a->gather[i] = strcmp(types[i].name, "asyncio.tasks._GatheringFuture") == 0;
		for (int d = 0; c == TC_NONE && b != 0 && d < MAX_TYPE_DEPTH; d++) {
			char *n = pm_heap_type_name(a->h, b);
			if (n == NULL)
				break;
			c = class_of_name(n);
			if (strcmp(n, "asyncio.tasks._GatheringFuture") == 0)
				a->gather[i] = 1;
			free(n);
			b = rd64(a, b + (uint64_t)PM_L(a->l, TYPE_BASE));
		}
		a->tclass[i] = (unsigned char)c;
	}
	return 0;
}

static enum tclass
tclass_at(const struct pm_aio *a, uint64_t addr, int64_t *idx)
{
	int64_t i = pm_heap_find(a->h, addr);

	if (idx)
		*idx = i;
	if (i < 0)
		return TC_NONE;
	return (enum tclass)a->tclass[pm_heap_objs(a->h)[i].type];
}

static int
is_future_class(enum tclass c)
{
	return c == TC_CFUT || c == TC_CTASK || c == TC_PYFUT || c == TC_PYTASK;
}

/* ---- futures and tasks, C or Python ---- */

static enum pm_fut_state
fut_state(const struct pm_aio *a, uint64_t f, enum tclass c)
{
	if (c == TC_CFUT || c == TC_CTASK) {
		uint32_t st;
		if (pm_snap_read(a->s, f + (uint64_t)PM_L(a->l, FUTURE_STATE), &st, 4) < 0 ||
		    st > 2)
			return PM_FUT_UNKNOWN;
		return st == 0 ? PM_FUT_PENDING : st == 1 ? PM_FUT_CANCELLED : PM_FUT_DONE;
	}
	{
		char *s = pm_frames_str(a->h, pm_frames_attr(a->h, f, "_state"), 32);
		enum pm_fut_state st = PM_FUT_UNKNOWN;
		if (s && strcmp(s, "PENDING") == 0)
			st = PM_FUT_PENDING;
		else if (s && strcmp(s, "CANCELLED") == 0)
			st = PM_FUT_CANCELLED;
		else if (s && strcmp(s, "FINISHED") == 0)
			st = PM_FUT_DONE;
		free(s);
		return st;
	}
}

static uint64_t
task_field(const struct pm_aio *a, uint64_t t, enum tclass c,
    enum pm_layout_key k, const char *attr)
{
	if (c == TC_CTASK || (c == TC_CFUT && k == PM_L_FUTURE_LOOP))
		return fld(a, t, k);
	return pm_frames_attr(a->h, t, attr);
}

static char *
task_name(const struct pm_aio *a, uint64_t t, enum tclass c)
{
	uint64_t n = task_field(a, t, c, PM_L_TASK_NAME, "_name"), v;
	char *s, buf[32];
	int neg;

	if ((s = pm_frames_str(a->h, n, MAX_NAME)) != NULL)
		return s;
	/* A name not asked for yet may be kept as its number. */
	if (pm_frames_int(a->h, n, &v, &neg) == 0 && !neg) {
		snprintf(buf, sizeof(buf), "Task-%llu", (unsigned long long)v);
		return strdup(buf);
	}
	return strdup("?");
}

/* ---- nodes ---- */

static int64_t
node_find(const struct pm_aio *a, uint64_t addr)
{
	if (a->nodecap == 0)
		return -1;
	for (size_t j = hash64(addr) & (a->nodecap - 1); a->nodehash[j];
	    j = (j + 1) & (a->nodecap - 1))
		if (a->nodes[a->nodehash[j] - 1].addr == addr)
			return (int64_t)a->nodehash[j] - 1;
	return -1;
}

int64_t
pm_aio_node_of(const struct pm_aio *a, uint64_t addr)
{
	return node_find(a, addr);
}

static int
nodehash_put(struct pm_aio *a, size_t i)
{
	size_t j;

	if (2 * (a->nnodes + 1) > a->nodecap) {
		size_t cap = a->nodecap ? 2 * a->nodecap : 256;
		uint64_t *n = calloc(cap, sizeof(*n));
		if (n == NULL)
			return -1;
		for (size_t k = 0; k < a->nodecap; k++) {
			if (a->nodehash[k] == 0)
				continue;
			for (j = hash64(a->nodes[a->nodehash[k] - 1].addr) & (cap - 1);
			    n[j]; j = (j + 1) & (cap - 1))
				;
			n[j] = a->nodehash[k];
		}
		free(a->nodehash);
		a->nodehash = n;
		a->nodecap = cap;
	}
	for (j = hash64(a->nodes[i].addr) & (a->nodecap - 1); a->nodehash[j];
	    j = (j + 1) & (a->nodecap - 1))
		;
	a->nodehash[j] = i + 1;
	return 0;
}

/* The node of future f (adding it); -1 when f is no future or no memory. */
static int64_t
node_get(struct pm_aio *a, uint64_t f)
{
	struct pm_awaitable *n;
	int64_t i = node_find(a, f), idx;
	enum tclass c;

	if (i >= 0)
		return i;
	c = tclass_at(a, f, &idx);
	if (!is_future_class(c))
		return -1;
	if (grow(&a->nodes, &a->capnodes, a->nnodes, sizeof(*a->nodes)) < 0) {
		a->oom = 1;
		return -1;
	}
	n = &a->nodes[a->nnodes];
	memset(n, 0, sizeof(*n));
	n->addr = f;
	n->task = -1;
	n->state = fut_state(a, f, c);
	n->type = pm_heap_type_of(a->h, (size_t)idx)->name;
	n->kind = c == TC_CTASK || c == TC_PYTASK ? PM_AW_TASK :
	    a->gather[pm_heap_objs(a->h)[idx].type] ? PM_AW_GATHER : PM_AW_FUTURE;
	if (nodehash_put(a, a->nnodes) < 0) {
		a->oom = 1;
		return -1;
	}
	return (int64_t)a->nnodes++;
}

static void
add_edge(struct pm_aio *a, int64_t from, int64_t to)
{
	if (from < 0 || to < 0)
		return;
	if (grow(&a->epair, &a->capepair, a->nepair + 1, sizeof(*a->epair)) < 0) {
		a->oom = 1;
		return;
	}
	a->epair[a->nepair++] = (size_t)from;
	a->epair[a->nepair++] = (size_t)to;
}

/* ---- coroutine stacks ---- */

static int
add_frame(struct pm_aio *a, const struct pm_frame *f)
{
	if (grow(&a->frames, &a->capframes, a->nframes, sizeof(*a->frames)) < 0)
		return -1;
	a->frames[a->nframes++] = *f;
	return 0;
}

static const char *any_typename(struct pm_aio *a, uint64_t o);

/* The generator an awaitable wrapper stands for, or 0. */
static uint64_t
unwrap_gen(struct pm_aio *a, uint64_t o)
{
	const char *t = any_typename(a, o);

	if (t != NULL && (strcmp(t, "coroutine_wrapper") == 0 ||
	    strcmp(t, "async_generator_asend") == 0 ||
	    strcmp(t, "async_generator_athrow") == 0))
		return rd64(a, o + WRAPPED_GEN);
	return 0;
}

/*
 * A generator, coroutine or async generator (they share the generator
 * header), by its type's name: the heap gives PyGen_Type's kind to
 * generators only, and may not have indexed a coroutine at all.
 */
static int
is_gen(struct pm_aio *a, uint64_t o)
{
	const char *t = any_typename(a, o);

	return t != NULL && (strcmp(t, "coroutine") == 0 ||
	    strcmp(t, "async_generator") == 0 || strcmp(t, "generator") == 0);
}

/* The coroutine stack of task t: coro -> awaited coroutine -> ... */
static int
coro_stack(struct pm_aio *a, struct pm_task *t)
{
	uint64_t g = t->coro, seen[64];
	size_t nseen = 0;

	t->first = a->nframes;
	for (int d = 0; g != 0 && d < MAX_CORO_DEPTH; d++) {
		struct pm_frame f;
		uint64_t fr, w;
		int oom = 0;
		if (!is_gen(a, g)) {
			if ((w = unwrap_gen(a, g)) == 0 || !is_gen(a, w))
				break;
			g = w;
		}
		/* A cycle among generators cannot be; stop one anyway. */
		for (size_t k = 0; k < nseen; k++)
			if (seen[k] == g)
				g = 0;
		if (g == 0)
			break;
		if (nseen < 64)
			seen[nseen++] = g;
		fr = pm_frames_gen_frame(a->fs, g);
		if (fr && pm_frames_read(a->fs, fr, &f, &oom) == 0) {
			if (add_frame(a, &f) < 0)
				return -1;
		} else if (oom) {
			return -1;
		}
		g = pm_frames_gen_awaits(a->fs, g);
	}
	t->nframes = a->nframes - t->first;
	return 0;
}

/* ---- tasks ---- */

static int
add_task(struct pm_aio *a, uint64_t addr, enum tclass c)
{
	struct pm_task *t;
	int64_t node;
	char *name;

	if ((node = node_get(a, addr)) < 0)
		return a->oom ? -1 : 0;
	if (grow(&a->tasks, &a->captasks, a->ntasks, sizeof(*a->tasks)) < 0 ||
	    grow(&a->names, &a->capnames, a->ntasks, sizeof(*a->names)) < 0)
		return -1;
	if ((name = task_name(a, addr, c)) == NULL)
		return -1;
	a->names[a->ntasks] = name;
	t = &a->tasks[a->ntasks];
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	t->name = name;
	t->node = (size_t)node;
	t->state = a->nodes[node].state;
	t->loop = task_field(a, addr, c, PM_L_FUTURE_LOOP, "_loop");
	t->coro = task_field(a, addr, c, PM_L_TASK_CORO, "_coro");
	t->awaits = -1;
	a->nodes[node].task = (int64_t)a->ntasks;
	a->ntasks++;
	return coro_stack(a, t);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static int
find_tasks(struct pm_aio *a)
{
	const struct pm_obj *objs = pm_heap_objs(a->h);
	size_t n = pm_heap_nobjs(a->h), m = 0;
	uint64_t *addrs;

	/* Tasks in address order, so output does not depend on the index. */
	if ((addrs = malloc((n + 1) * sizeof(*addrs))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		enum tclass c = (enum tclass)a->tclass[objs[i].type];
		if (c == TC_CTASK || c == TC_PYTASK)
			addrs[m++] = objs[i].addr;
	}
	qsort(addrs, m, sizeof(*addrs), cmp_u64);
	for (size_t i = 0; i < m; i++) {
		enum tclass c = tclass_at(a, addrs[i], NULL);
		if (add_task(a, addrs[i], c) < 0) {
			free(addrs);
			return -1;
		}
	}
	free(addrs);
	return 0;
}

/* ---- edges ---- */

struct items {
	uint64_t *v;
	size_t n, cap;
	int oom;
};

static int
items_cb(void *arg, const struct pm_edge *e)
{
	struct items *it = arg;

	if (e->kind != PM_EDGE_ITEM && e->kind != PM_EDGE_SETITEM)
		return 0;
	if (it->n >= MAX_CALLBACKS)
		return 1;
	if (grow(&it->v, &it->cap, it->n, sizeof(*it->v)) < 0) {
		it->oom = 1;
		return 1;
	}
	it->v[it->n++] = e->target;
	return 0;
}

/* The items of a list, tuple, set or deque, appended to it. */
static void
items_of(const struct pm_aio *a, uint64_t c, struct items *it)
{
	int64_t i = pm_heap_find(a->h, c);

	if (i >= 0)
		pm_heap_referents(a->h, (size_t)i, items_cb, it);
}

/* The name of function f's code, compared with want. */
static int
func_named(const struct pm_aio *a, uint64_t f, const char *want)
{
	uint64_t code = fld(a, f, PM_L_FUNC_CODE);
	char *n = pm_frames_str(a->h, fld(a, code, PM_L_CODE_NAME), 64);
	int eq = n && strcmp(n, want) == 0;

	free(n);
	return eq;
}

static int
is_kind(const struct pm_aio *a, uint64_t o, enum pm_kind k)
{
	int64_t i = pm_heap_find(a->h, o);

	return i >= 0 && pm_heap_type_of(a->h, (size_t)i)->kind == k;
}

/*
 * The done callbacks of future f that say some other future waits for f:
 * shield's _inner_done_callback and asyncio.wait's _on_completion (their
 * closures hold the outer future or the waiter), wait_for's
 * partial(_release_waiter, waiter). Callbacks of other kinds (a task's
 * wakeup, which fut_waiter already gives; user callbacks) say nothing.
 */
static void
callback_edges(struct pm_aio *a, int64_t node, enum tclass c)
{
	uint64_t f = a->nodes[node].addr;
	struct items cbs = { 0 };

	if (c == TC_CFUT || c == TC_CTASK) {
		uint64_t cb0 = fld(a, f, PM_L_FUTURE_CALLBACK0);
		if (cb0 && grow(&cbs.v, &cbs.cap, 0, sizeof(*cbs.v)) == 0)
			cbs.v[cbs.n++] = cb0;
		items_of(a, fld(a, f, PM_L_FUTURE_CALLBACKS), &cbs);
	} else {
		items_of(a, pm_frames_attr(a->h, f, "_callbacks"), &cbs);
	}
	for (size_t i = 0; i < cbs.n && !cbs.oom; i++) {
		uint64_t cb = cbs.v[i];
		/* Lists of callbacks hold (callback, context) tuples. */
		if (is_kind(a, cb, PM_KIND_TUPLE))
			cb = fld(a, cb, PM_L_TUPLE_ITEMS);
		if (is_kind(a, cb, PM_KIND_FUNCTION) &&
		    (func_named(a, cb, "_inner_done_callback") ||
		    func_named(a, cb, "_on_completion"))) {
			struct items cells = { 0 };
			int shield = func_named(a, cb, "_inner_done_callback");
			items_of(a, fld(a, cb, PM_L_FUNC_CLOSURE), &cells);
			for (size_t k = 0; k < cells.n; k++) {
				uint64_t v = fld(a, cells.v[k], PM_L_CELL_REF);
				int64_t from;
				if (!is_kind(a, cells.v[k], PM_KIND_CELL) || v == f)
					continue;
				if ((from = node_get(a, v)) < 0)
					continue;
				if (shield && a->nodes[from].kind == PM_AW_FUTURE)
					a->nodes[from].kind = PM_AW_SHIELD;
				add_edge(a, from, node);
			}
			cbs.oom |= cells.oom;
			free(cells.v);
		} else if (strcmp(pm_frames_typename(a->h, cb), "functools.partial") == 0 &&
		    func_named(a, rd64(a, cb + PARTIAL_FN), "_release_waiter")) {
			uint64_t args = rd64(a, cb + PARTIAL_ARGS);
			if (is_kind(a, args, PM_KIND_TUPLE))
				add_edge(a, node_get(a, fld(a, args, PM_L_TUPLE_ITEMS)), node);
		}
	}
	if (cbs.oom)
		a->oom = 1;
	free(cbs.v);
}

/* Mark the futures queued in the waiter lists of asyncio primitive p. */
static void
primitive_waiters(struct pm_aio *a, uint64_t p, const char *type)
{
	static const char *const lists[] = { "_waiters", "_getters", "_putters" };

	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		struct items it = { 0 };
		items_of(a, pm_frames_attr(a->h, p, lists[k]), &it);
		for (size_t i = 0; i < it.n; i++) {
			int64_t n = node_get(a, it.v[i]);
			if (n >= 0 && a->nodes[n].owner == 0) {
				a->nodes[n].owner = p;
				a->nodes[n].owner_type = type;
			}
		}
		if (it.oom)
			a->oom = 1;
		free(it.v);
	}
}

static int
build_graph(struct pm_aio *a)
{
	const struct pm_obj *objs = pm_heap_objs(a->h);
	const struct pm_type *types = pm_heap_types(a->h);
	size_t n = pm_heap_nobjs(a->h), *count;

	for (size_t i = 0; i < a->ntasks; i++) {
		struct pm_task *t = &a->tasks[i];
		enum tclass c = tclass_at(a, t->addr, NULL);
		uint64_t w = task_field(a, t->addr, c, PM_L_TASK_FUT_WAITER, "_fut_waiter");
		t->awaits = w ? node_get(a, w) : -1;
		add_edge(a, (int64_t)t->node, t->awaits);
	}
	/* Gathers: to their children. Every future: its callbacks. */
	for (size_t i = 0; i < n && !a->oom; i++) {
		enum tclass c = (enum tclass)a->tclass[objs[i].type];
		if (c == TC_PRIM) {
			primitive_waiters(a, objs[i].addr, types[objs[i].type].name);
			continue;
		}
		if (!is_future_class(c))
			continue;
		int64_t node = node_get(a, objs[i].addr);
		if (node < 0)
			continue;
		if (a->gather[objs[i].type]) {
			struct items it = { 0 };
			items_of(a, pm_frames_attr(a->h, objs[i].addr, "_children"), &it);
			for (size_t k = 0; k < it.n; k++)
				add_edge(a, node, node_get(a, it.v[k]));
			if (it.oom)
				a->oom = 1;
			free(it.v);
		}
		callback_edges(a, node, c);
	}
	if (a->oom)
		return -1;
	/* Group the pairs by their source, dropping duplicates. */
	if ((count = calloc(a->nnodes + 1, sizeof(*count))) == NULL ||
	    (a->edges = malloc((a->nepair / 2 + 1) * sizeof(*a->edges))) == NULL) {
		free(count);
		return -1;
	}
	for (size_t e = 0; e < a->nepair; e += 2)
		count[a->epair[e]]++;
	for (size_t i = 0, at = 0; i < a->nnodes; i++) {
		a->nodes[i].first = at;
		at += count[i];
		count[i] = a->nodes[i].first;
	}
	for (size_t e = 0; e < a->nepair; e += 2) {
		struct pm_awaitable *nd = &a->nodes[a->epair[e]];
		size_t to = a->epair[e + 1], k;
		for (k = nd->first; k < nd->first + nd->n; k++)
			if (a->edges[k] == to)
				break;
		if (k == nd->first + nd->n)
			a->edges[nd->first + nd->n++] = to;
	}
	free(count);
	return 0;
}

/* ---- thread lock waits ---- */

/* Type name of an object, also for one the heap did not index. */
static const char *
any_typename(struct pm_aio *a, uint64_t o)
{
	uint64_t rc, t;
	char *name;

	if (pm_heap_find(a->h, o) >= 0)
		return pm_frames_typename(a->h, o);
	/* A value only a running frame's stack holds: check it looks alive. */
	if (o == 0 || (o & 7) || pm_snap_u64(a->s, o, &rc) < 0 ||
	    (rc & 0xffffffffULL) == 0 || rc > (1ULL << 40) ||
	    (t = fld(a, o, PM_L_OBJECT_TYPE)) == 0)
		return NULL;
	for (size_t i = 0; i < a->ntn; i++)
		if (a->tn_addr[i] == t)
			return a->tn_name[i];
	if ((name = pm_heap_type_name(a->h, t)) == NULL)
		return NULL;
	{
		uint64_t *na = reallocarray(a->tn_addr, a->ntn + 1, sizeof(*na));
		char **nn;
		if (na == NULL) {
			free(name);
			return NULL;
		}
		a->tn_addr = na;
		if ((nn = reallocarray(a->tn_name, a->ntn + 1, sizeof(*nn))) == NULL) {
			free(name);
			return NULL;
		}
		a->tn_name = nn;
		a->tn_addr[a->ntn] = t;
		a->tn_name[a->ntn++] = name;
	}
	return name;
}

/* 1: _thread.lock, 2: _thread.RLock, 0: neither. */
static int
lock_kind(struct pm_aio *a, uint64_t o)
{
	const char *t = any_typename(a, o);

	if (t == NULL)
		return 0;
	if (strcmp(t, "_thread.lock") == 0)
		return 1;
	if (strcmp(t, "_thread.RLock") == 0)
		return 2;
	return 0;
}

static int
cstr_is(const struct pm_aio *a, uint64_t p, const char *want)
{
	char buf[32];
	size_t n = strlen(want) + 1;

	return n <= sizeof(buf) && pm_snap_read(a->s, p, buf, n) == 0 &&
	    memcmp(buf, want, n) == 0;
}

/* A bound C method named name whose self is a lock: that lock, else 0. */
static uint64_t
bound_lock_method(struct pm_aio *a, uint64_t o, const char *name)
{
	const char *t = any_typename(a, o);
	uint64_t self;

	if (t == NULL || strcmp(t, "builtin_function_or_method") != 0)
		return 0;
	self = rd64(a, o + CFUNC_SELF);
	if (!lock_kind(a, self) || !cstr_is(a, rd64(a, rd64(a, o + CFUNC_ML)), name))
		return 0;
	return self;
}

/* A method descriptor of a lock type named name. */
static int
lock_descr(struct pm_aio *a, uint64_t o, const char *name)
{
	const char *t = any_typename(a, o);
	char *n, *ty;
	int ok;

	if (t == NULL || strcmp(t, "method_descriptor") != 0)
		return 0;
	n = pm_frames_str(a->h, rd64(a, o + DESCR_NAME), 32);
	ok = n && strcmp(n, name) == 0;
	free(n);
	if (ok) {
		ty = pm_heap_type_name(a->h, rd64(a, o + DESCR_TYPE));
		ok = ty && (strcmp(ty, "_thread.lock") == 0 ||
		    strcmp(ty, "_thread.RLock") == 0);
		free(ty);
	}
	return ok;
}

/*
 * The lock a thread blocks on, from its innermost frame. At SETUP_WITH /
 * BEFORE_WITH, the topmost bound lock.__exit__ on the value stack (3.8 to
 * 3.11 put it there before calling __enter__; *entering is set, as that
 * __exit__ is not a held lock) or the lock itself (3.12+ leave the
 * manager in its slot during the call). Otherwise the topmost
 * lock.acquire call: a method descriptor "acquire" or "__enter__"
 * followed by its lock (LOAD_METHOD / LOAD_ATTR's pair), or a bound
 * lock.acquire.
 */
static uint64_t
waited_lock(struct pm_aio *a, const struct pm_frame *f, int *entering)
{
	uint64_t *slots, lock = 0;
	int64_t n = pm_frames_stack_area(a->fs, f, &slots);
	int with = pm_frames_opcode(a->fs, f) == PM_L(a->l, OP_BEFORE_WITH);

	*entering = 0;
	if (n < 0) {
		a->oom = 1;
		return 0;
	}
	for (int64_t i = n; i-- > 0 && lock == 0;) {
		if (with) {
			if ((lock = bound_lock_method(a, slots[i], "__exit__")) != 0)
				*entering = 1;
			else if (lock_kind(a, slots[i]))
				lock = slots[i];
			continue;
		}
		if ((lock = bound_lock_method(a, slots[i], "acquire")) != 0)
			break;
		if (i + 1 < n && lock_kind(a, slots[i + 1]) &&
		    (lock_descr(a, slots[i], "acquire") ||
		    lock_descr(a, slots[i], "__enter__")))
			lock = slots[i + 1];
	}
	free(slots);
	return lock;
}

/*
 * Whether thread ti holds lock by an open "with lock:" block: a live bound
 * lock.__exit__ on one of its frames' value stacks (skip: the one the
 * waiting frame is entering).
 */
static int
holds_by_with(struct pm_aio *a, size_t ti, uint64_t lock, uint64_t skip_frame)
{
	const struct pm_thread *t = &pm_frames_threads(a->fs)[ti];
	const struct pm_frame *fr = pm_frames_frames(a->fs);

	for (size_t k = 0; k < t->nframes; k++) {
		const struct pm_frame *f = &fr[t->first + k];
		uint64_t *slots;
		int64_t n = pm_frames_stack_area(a->fs, f, &slots);
		int found = 0, top = 1;
		if (n < 0) {
			a->oom = 1;
			return 0;
		}
		for (int64_t i = n; i-- > 0 && !found;) {
			if (bound_lock_method(a, slots[i], "__exit__") != lock)
				continue;
			/* The innermost with of a frame entering it is not held. */
			if (f->addr == skip_frame && top) {
				top = 0;
				continue;
			}
			found = 1;
		}
		free(slots);
		if (found)
			return 1;
	}
	return 0;
}

static int
find_lockwaits(struct pm_aio *a)
{
	const struct pm_thread *ts = pm_frames_threads(a->fs);
	const struct pm_frame *fr = pm_frames_frames(a->fs);
	size_t nt = pm_frames_nthreads(a->fs);

	for (size_t i = 0; i < nt; i++) {
		const struct pm_frame *f;
		struct pm_lockwait *w;
		uint64_t lock;
		int kind, entering;
		if (ts[i].nframes == 0)
			continue;
		f = &fr[ts[i].first];
		if ((lock = waited_lock(a, f, &entering)) == 0 || (kind = lock_kind(a, lock)) == 0)
			continue;
		if (grow(&a->waits, &a->capwaits, a->nwaits, sizeof(*a->waits)) < 0)
			return -1;
		w = &a->waits[a->nwaits++];
		w->thread = i;
		w->lock = lock;
		w->rlock = kind == 2;
		w->owner = -1;
		w->proven = 0;
		if (w->rlock) {
			uint64_t owner = fld(a, lock, PM_L_RLOCK_OWNER);
			uint64_t count = fld(a, lock, PM_L_RLOCK_COUNT);
			for (size_t j = 0; count > 0 && j < nt; j++)
				if (ts[j].ident == owner && owner != 0) {
					w->owner = (int64_t)j;
					w->proven = 1;
				}
			continue;
		}
		for (size_t j = 0; j < nt; j++)
			if (holds_by_with(a, j, lock, j == i && entering ? f->addr : 0)) {
				w->owner = (int64_t)j;
				break;
			}
	}
	return a->oom ? -1 : 0;
}

/* ---- cycles ---- */

/*
 * Tarjan's strongly connected components over n vertices whose
 * successors succ(v, k) are listed by nsucc(v); comp[v] gets the
 * component number, and the function returns how many there are, or -1
 * out of memory. Iterative, so a long chain cannot overflow the stack.
 */
struct graph {
	size_t n;
	size_t (*nsucc)(const void *g, size_t v);
	size_t (*succ)(const void *g, size_t v, size_t k);
	const void *arg;
};

static int64_t
tarjan(const struct graph *g, size_t *comp)
{
	size_t n = g->n, idx = 0, ncomp = 0, sp = 0, cp = 0;
	size_t *index = malloc((n + 1) * sizeof(size_t));
	size_t *low = malloc((n + 1) * sizeof(size_t));
	size_t *stack = malloc((n + 1) * sizeof(size_t));
	size_t *call = malloc((n + 1) * sizeof(size_t));	/* vertex */
	size_t *next = malloc((n + 1) * sizeof(size_t));	/* next successor */
	unsigned char *on = calloc(n + 1, 1);

	if (!index || !low || !stack || !call || !next || !on) {
		ncomp = (size_t)-1;
		goto out;
	}
	for (size_t v = 0; v < n; v++)
		index[v] = (size_t)-1;
	for (size_t root = 0; root < n; root++) {
		if (index[root] != (size_t)-1)
			continue;
		call[cp] = root;
		next[cp++] = 0;
		index[root] = low[root] = idx++;
		stack[sp++] = root;
		on[root] = 1;
		while (cp > 0) {
			size_t v = call[cp - 1];
			if (next[cp - 1] < g->nsucc(g->arg, v)) {
				size_t w = g->succ(g->arg, v, next[cp - 1]++);
				if (index[w] == (size_t)-1) {
					index[w] = low[w] = idx++;
					stack[sp++] = w;
					on[w] = 1;
					call[cp] = w;
					next[cp++] = 0;
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			if (low[v] == index[v]) {
				size_t w;
				do {
					w = stack[--sp];
					on[w] = 0;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
			cp--;
			if (cp > 0 && low[v] < low[call[cp - 1]])
				low[call[cp - 1]] = low[v];
		}
	}
out:
	free(index);
	free(low);
	free(stack);
	free(call);
	free(next);
	free(on);
	return (int64_t)ncomp;
}

static size_t
await_nsucc(const void *g, size_t v)
{
	return ((const struct pm_aio *)g)->nodes[v].n;
}

static size_t
await_succ(const void *g, size_t v, size_t k)
{
	const struct pm_aio *a = g;

	return a->edges[a->nodes[v].first + k];
}

static size_t
lock_nsucc(const void *g, size_t v)
{
	const struct pm_aio *a = g;

	for (size_t i = 0; i < a->nwaits; i++)
		if (a->waits[i].thread == v)
			return a->waits[i].owner >= 0;
	return 0;
}

static size_t
lock_succ(const void *g, size_t v, size_t k)
{
	const struct pm_aio *a = g;

	(void)k;
	for (size_t i = 0; i < a->nwaits; i++)
		if (a->waits[i].thread == v)
			return (size_t)a->waits[i].owner;
	return 0;
}

static int
add_member(struct pm_aio *a, size_t index, uint64_t via)
{
	if (grow(&a->members, &a->capmembers, a->nmembers, sizeof(*a->members)) < 0)
		return -1;
	a->members[a->nmembers].index = index;
	a->members[a->nmembers++].via = via;
	return 0;
}

static int
add_cycle(struct pm_aio *a, enum pm_cycle_kind kind, size_t first)
{
	if (grow(&a->cycles, &a->capcycles, a->ncycles, sizeof(*a->cycles)) < 0)
		return -1;
	a->cycles[a->ncycles].kind = kind;
	a->cycles[a->ncycles].first = first;
	a->cycles[a->ncycles++].n = a->nmembers - first;
	return 0;
}

/*
 * The members of await component c in cycle order: from its first task,
 * follow edges inside the component, and list the tasks met until the
 * walk returns; tasks of the component the walk missed come after.
 */
static int
await_cycle(struct pm_aio *a, const size_t *comp, size_t c, size_t start)
{
	size_t first = a->nmembers, v = start, steps = 0;
	unsigned char *met = calloc(a->nnodes + 1, 1);
	uint64_t via = 0;

	if (met == NULL)
		return -1;
	/* Walk: prefer an unmet successor in the component. */
	while (steps++ <= a->nnodes) {
		struct pm_awaitable *nd = &a->nodes[v];
		size_t next = (size_t)-1;
		if (nd->task >= 0) {
			if (met[v])
				break;
			if (a->nmembers > first)
				a->members[a->nmembers - 1].via = via;
			if (add_member(a, (size_t)nd->task, 0) < 0)
				goto oom;
			via = 0;
		} else if (via == 0) {
			via = nd->addr;
		}
		met[v] = 1;
		for (size_t k = 0; k < nd->n; k++) {
			size_t w = a->edges[nd->first + k];
			if (comp[w] != c)
				continue;
			if (next == (size_t)-1 || (!met[w] && met[next]) ||
			    (w == start && met[next]))
				next = w;
		}
		if (next == (size_t)-1)
			break;
		if (next == start) {
			if (a->nmembers > first)
				a->members[a->nmembers - 1].via = via;
			break;
		}
		v = next;
	}
	for (size_t i = 0; i < a->nnodes; i++)
		if (comp[i] == c && !met[i] && a->nodes[i].task >= 0 &&
		    add_member(a, (size_t)a->nodes[i].task, 0) < 0)
			goto oom;
	free(met);
	for (size_t i = first; i < a->nmembers; i++)
		a->task_cycle[a->members[i].index] = 1;
	return add_cycle(a, PM_CYCLE_AWAIT, first);
oom:
	free(met);
	return -1;
}

static int
find_cycles(struct pm_aio *a)
{
	size_t *comp, *size, nt = pm_frames_nthreads(a->fs);
	int64_t nc;
	struct graph g = { a->nnodes, await_nsucc, await_succ, a };

	if ((a->task_cycle = calloc(a->ntasks + 1, 1)) == NULL)
		return -1;
	/* Await cycles. */
	if ((comp = calloc(a->nnodes + 1, sizeof(*comp))) == NULL)
		return -1;
	if ((nc = tarjan(&g, comp)) < 0 ||
	    (size = calloc((size_t)nc + 1, sizeof(*size))) == NULL) {
		free(comp);
		return -1;
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		size[comp[i]]++;
		for (size_t k = 0; k < a->nodes[i].n; k++)
			if (a->edges[a->nodes[i].first + k] == i)
				size[comp[i]]++;	/* a self-loop counts as a cycle */
	}
	/* Report in task order, so the output is stable. */
	for (size_t t = 0; t < a->ntasks; t++) {
		size_t v = a->tasks[t].node, c = comp[v];
		if (size[c] < 2)
			continue;
		size[c] = 0;		/* once */
		if (await_cycle(a, comp, c, v) < 0) {
			free(comp);
			free(size);
			return -1;
		}
	}
	free(comp);
	free(size);

	/* Thread cycles over "waits for the holder of". */
	g = (struct graph){ nt, lock_nsucc, lock_succ, a };
	if ((comp = calloc(nt + 1, sizeof(*comp))) == NULL)
		return -1;
	if ((nc = tarjan(&g, comp)) < 0 ||
	    (size = calloc((size_t)nc + 1, sizeof(*size))) == NULL) {
		free(comp);
		return -1;
	}
	for (size_t i = 0; i < a->nwaits; i++) {
		const struct pm_lockwait *w = &a->waits[i];
		size[comp[w->thread]]++;
		if (w->owner == (int64_t)w->thread)
			size[comp[w->thread]]++;
	}
	for (size_t i = 0; i < a->nwaits; i++) {
		size_t c = comp[a->waits[i].thread], first = a->nmembers, w = i;
		int proven = 1;
		if (size[c] < 2)
			continue;
		size[c] = 0;
		/* Follow owners from this wait until back at its thread. */
		for (size_t steps = 0; steps <= a->nwaits; steps++) {
			if (add_member(a, w, a->waits[w].lock) < 0)
				goto oom;
			proven &= a->waits[w].proven;
			size_t owner = (size_t)a->waits[w].owner, k;
			if (owner == a->waits[i].thread)
				break;
			for (k = 0; k < a->nwaits; k++)
				if (a->waits[k].thread == owner)
					break;
			if (k == a->nwaits)
				break;
			w = k;
		}
		if (add_cycle(a, proven ? PM_CYCLE_DEADLOCK : PM_CYCLE_SUSPECTED,
		    first) < 0)
			goto oom;
	}
	free(comp);
	free(size);
	return 0;
oom:
	free(comp);
	free(size);
	return -1;
}

/* ---- open, close, accessors ---- */

struct pm_aio *
pm_aio_open(struct pm_frames *fs, struct pm_err *e)
{
	struct pm_aio *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory"), NULL;
	a->fs = fs;
	a->h = pm_frames_heap(fs);
	a->s = pm_heap_snap(a->h);
	a->l = pm_heap_layout(a->h);
	if (classify_types(a) < 0 || find_tasks(a) < 0 || build_graph(a) < 0 ||
	    find_lockwaits(a) < 0 || find_cycles(a) < 0 || a->oom) {
		pm_aio_close(a);
		pm_error(e, PM_EXIT_INPUT, "out of memory reading asyncio tasks");
		return NULL;
	}
	return a;
}

void
pm_aio_close(struct pm_aio *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->ntasks; i++)
		free(a->names[i]);
	for (size_t i = 0; i < a->ntn; i++)
		free(a->tn_name[i]);
	free(a->tn_name);
	free(a->tn_addr);
	free(a->names);
	free(a->tclass);
	free(a->gather);
	free(a->tasks);
	free(a->frames);
	free(a->nodes);
	free(a->nodehash);
	free(a->epair);
	free(a->edges);
	free(a->waits);
	free(a->cycles);
	free(a->members);
	free(a->task_cycle);
	free(a);
}

size_t pm_aio_ntasks(const struct pm_aio *a) { return a->ntasks; }
const struct pm_task *pm_aio_tasks(const struct pm_aio *a) { return a->tasks; }
const struct pm_frame *pm_aio_frames(const struct pm_aio *a) { return a->frames; }
size_t pm_aio_nnodes(const struct pm_aio *a) { return a->nnodes; }
const struct pm_awaitable *pm_aio_nodes(const struct pm_aio *a) { return a->nodes; }
const size_t *pm_aio_edges(const struct pm_aio *a) { return a->edges; }
size_t pm_aio_nlockwaits(const struct pm_aio *a) { return a->nwaits; }
const struct pm_lockwait *pm_aio_lockwaits(const struct pm_aio *a) { return a->waits; }
size_t pm_aio_ncycles(const struct pm_aio *a) { return a->ncycles; }
const struct pm_cycle *pm_aio_cycles(const struct pm_aio *a) { return a->cycles; }
const struct pm_cycle_member *pm_aio_members(const struct pm_aio *a) { return a->members; }

int
pm_aio_in_cycle(const struct pm_aio *a, size_t task)
{
	return task < a->ntasks && a->task_cycle[task];
}

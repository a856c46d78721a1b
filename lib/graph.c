/*
 * graph.c - the reference graph of a snapshot in CSR arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "graph.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define MAX_NODES 0x7fffffffULL
#define MAX_EDGES 0xffffffffULL
#define PROGRESS_EVERY (1u << 20)

/* A small open-addressing map from 64-bit keys to indices. */
struct imap {
	uint64_t *keys;
	uint32_t *vals;		/* index + 1; 0 = empty */
	size_t cap, n;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int64_t
imap_get(const struct imap *m, uint64_t key)
{
	if (m->cap == 0)
		return -1;
	for (size_t j = mix(key) & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
		if (m->vals[j] == 0)
			return -1;
		if (m->keys[j] == key)
			return (int64_t)m->vals[j] - 1;
	}
}

static int
imap_put(struct imap *m, uint64_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 64;
		uint64_t *nk = calloc(nc, sizeof(*nk));
		uint32_t *nv = calloc(nc, sizeof(*nv));
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return -1;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->vals[i] == 0)
				continue;
			size_t j = mix(m->keys[i]) & (nc - 1);
			while (nv[j])
				j = (j + 1) & (nc - 1);
			nk[j] = m->keys[i];
			nv[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = nk;
		m->vals = nv;
		m->cap = nc;
	}
	size_t j = mix(key) & (m->cap - 1);
	while (m->vals[j])
		j = (j + 1) & (m->cap - 1);
	m->keys[j] = key;
	m->vals[j] = val + 1;
	m->n++;
	return 0;
}

static void
imap_free(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

struct build {
	struct pm_graph *g;
	const struct pm_heap *h;
	struct imap fieldmap, slotmap;
	int64_t weak_field;	/* index of "<weak>", -1 until seen */
	int oom, toomany;
};

static int64_t
intern_field(struct build *b, const char *f)
{
	struct pm_graph *g = b->g;
	int64_t i = imap_get(&b->fieldmap, (uint64_t)(uintptr_t)f);

	if (i >= 0)
		return i;
	/* The same text from another pointer gets the same index. */
	for (size_t j = 0; j < g->nfields; j++)
		if (strcmp(g->fields[j], f) == 0) {
			i = (int64_t)j;
			break;
		}
	if (i < 0) {
		if (g->nfields == g->capfields) {
			size_t nc = g->capfields ? 2 * g->capfields : 64;
			const char **nf = realloc(g->fields, nc * sizeof(*nf));
			if (nf == NULL)
				return -1;
			g->fields = nf;
			g->capfields = nc;
		}
		i = (int64_t)g->nfields;
		g->fields[g->nfields++] = f;
		if (strcmp(f, "<weak>") == 0)
			b->weak_field = i;
	}
	if (imap_put(&b->fieldmap, (uint64_t)(uintptr_t)f, (uint32_t)i) < 0)
		return -1;
	return i;
}

static int64_t
intern_slot(struct build *b, uint64_t name)
{
	struct pm_graph *g = b->g;
	int64_t i = imap_get(&b->slotmap, name);

	if (i >= 0)
		return i;
	if (g->nslots == g->capslots) {
		size_t nc = g->capslots ? 2 * g->capslots : 64;
		uint64_t *ns = realloc(g->slots, nc * sizeof(*ns));
		if (ns == NULL)
			return -1;
		g->slots = ns;
		g->capslots = nc;
	}
	i = (int64_t)g->nslots;
	g->slots[g->nslots++] = name;
	if (imap_put(&b->slotmap, name, (uint32_t)i) < 0)
		return -1;
	return i;
}

static uint32_t
pack_index(int64_t i)
{
	return i >= 0 && i < PM_GRAPH_ARG_LOST ? (uint32_t)i : PM_GRAPH_ARG_LOST;
}

static int
build_cb(void *arg, const struct pm_edge *e)
{
	struct build *b = arg;
	struct pm_graph *g = b->g;
	int64_t t = pm_heap_find(b->h, e->target), k;
	uint32_t a = 0, weak = 0;

	if (t < 0)
		return 0;
	switch (e->kind) {
	case PM_EDGE_ITEM:
	case PM_EDGE_LOCAL:
	case PM_EDGE_GUESS:
		a = e->arg < PM_GRAPH_ARG_LOST ? (uint32_t)e->arg : PM_GRAPH_ARG_LOST;
		break;
	case PM_EDGE_VALUE:
	case PM_EDGE_ATTR:
		a = pack_index(pm_heap_find(b->h, e->arg));
		break;
	case PM_EDGE_SLOT:
		if ((k = intern_slot(b, e->arg)) < 0)
			goto oom;
		a = pack_index(k);
		break;
	case PM_EDGE_FIELD:
		if ((k = intern_field(b, e->field ? e->field : "?")) < 0)
			goto oom;
		a = pack_index(k);
		if (k == b->weak_field)
			weak = PM_GRAPH_WEAK;
		break;
	default:
		break;
	}
	if (g->nedges == g->edgecap) {
		uint64_t nc = g->edgecap ? 2 * (uint64_t)g->edgecap : 1 << 16;
		if (nc > MAX_EDGES)
			nc = MAX_EDGES;
		if (g->nedges >= nc) {
			b->toomany = 1;
			return 1;
		}
		uint32_t *nd = pm_big_grow(g->dst, g->edgecap * sizeof(*nd),
		    (size_t)nc * sizeof(*nd));
		if (nd == NULL)
			goto oom;
		g->dst = nd;
		uint32_t *nm = pm_big_grow(g->meta, g->edgecap * sizeof(*nm),
		    (size_t)nc * sizeof(*nm));
		if (nm == NULL)
			goto oom;
		g->meta = nm;
		g->edgecap = (size_t)nc;
	}
	g->dst[g->nedges] = (uint32_t)t | weak;
	g->meta[g->nedges] = (uint32_t)e->kind << 28 | a;
	g->nedges++;
	return 0;
oom:
	b->oom = 1;
	return 1;
}

/* Reverse CSR: counting sort of the edges by target, referrers in order. */
static int
build_reverse(struct pm_graph *g)
{
	size_t n = g->n;

	g->roff = pm_big_alloc((n + 1) * sizeof(*g->roff));
	g->rsrc = pm_big_alloc(g->nedges * sizeof(*g->rsrc));
	if (g->roff == NULL || g->rsrc == NULL)
		return -1;
	for (size_t e = 0; e < g->nedges; e++)
		g->roff[PM_GRAPH_NODE(g->dst[e])]++;
	/* roff[v] = end of v's range; filled backwards it becomes the start. */
	uint64_t sum = 0;
	for (size_t v = 0; v < n; v++) {
		sum += g->roff[v];
		g->roff[v] = (uint32_t)sum;
	}
	g->roff[n] = (uint32_t)sum;
	for (size_t v = n; v-- > 0;)
		for (uint64_t e = g->off[v + 1]; e-- > g->off[v];) {
			uint32_t t = PM_GRAPH_NODE(g->dst[e]);
			g->rsrc[--g->roff[t]] = (uint32_t)v |
			    (g->dst[e] & PM_GRAPH_WEAK);
		}
	return 0;
}

static int
tier_of(enum pm_root_kind k)
{
	switch (k) {
	case PM_ROOT_MODULES:
		return PM_TIER_MODULES;
	case PM_ROOT_SYSDICT:
	case PM_ROOT_BUILTINS:
		return PM_TIER_NAMESPACE;
	case PM_ROOT_FRAME:
	case PM_ROOT_LOCAL:
	case PM_ROOT_THREAD:
		return PM_TIER_THREAD;
	case PM_ROOT_STATIC:
		break;
	}
	return PM_TIER_STATIC;
}

struct marker {
	const struct pm_graph *g;
	uint8_t *mark;		/* bitmap */
	uint32_t *stack;	/* n entries: each object is pushed once */
	size_t nmarked;
};

#define MARKED(m, v) ((m)->mark[(v) >> 3] & (1u << ((v) & 7)))
#define SETMARK(m, v) ((m)->mark[(v) >> 3] |= (uint8_t)(1u << ((v) & 7)))

/* Mark everything v reaches over strong references (iterative DFS). */
static void
mark_from(struct marker *m, uint32_t v)
{
	const struct pm_graph *g = m->g;
	size_t sp = 0;

	if (MARKED(m, v))
		return;
	SETMARK(m, v);
	m->nmarked++;
	m->stack[sp++] = v;
	while (sp > 0) {
		uint32_t u = m->stack[--sp];
		for (uint64_t e = g->off[u]; e < g->off[u + 1]; e++) {
			uint32_t w = g->dst[e];
			if ((w & PM_GRAPH_WEAK) || MARKED(m, w))
				continue;
			SETMARK(m, w);
			m->nmarked++;
			m->stack[sp++] = w;
		}
	}
}

static int
add_root(struct pm_graph *g, size_t *cap, uint32_t obj, uint32_t tier,
    int64_t root)
{
	if (g->nroots == *cap) {
		size_t nc = *cap ? 2 * *cap : 256;
		struct pm_graph_root *nr = realloc(g->roots, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		g->roots = nr;
		*cap = nc;
	}
	g->roots[g->nroots].obj = obj;
	g->roots[g->nroots].tier = tier;
	g->roots[g->nroots].root = root;
	g->nroots++;
	return 0;
}

static int
cmp_rootidx(const void *a, const void *b, void *arg)
{
	const struct pm_graph_root *r = arg;
	uint32_t x = r[*(const uint32_t *)a].obj, y = r[*(const uint32_t *)b].obj;

	return x < y ? -1 : x > y;
}

/*
 * Whether the interpreter keeps object v alive whatever refers to it: an
 * immortal object (3.12+: the refcount's low 32 bits negative), or one of
 * the small ints -5..256 that every version caches.
 */
static int
interp_held(const struct pm_heap *h, uint32_t v)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_type *ty = pm_heap_type_of(h, v);
	uint64_t a = pm_heap_objs(h)[v].addr, w;
	uint32_t d;

	if (PM_L(l, IMMORTAL_REFCNT) >= 0)
		return pm_snap_u64(s, a + (uint64_t)PM_L(l, OBJECT_REFCNT), &w) == 0 &&
		    (int32_t)(uint32_t)w < 0;
	if (ty->kind != PM_KIND_INT || ty->heap || strcmp(ty->name, "int") != 0 ||
	    pm_snap_u64(s, a + (uint64_t)PM_L(l, VAROBJECT_SIZE), &w) < 0)
		return 0;
	if (w == 0)
		return 1;
	if (w != 1 && w != (uint64_t)-1)
		return 0;
	if (pm_snap_read(s, a + (uint64_t)PM_L(l, LONG_DIGITS), &d, 4) < 0)
		return 0;
	return w == 1 ? d <= 256 : d <= 5;
}

static int
cmp_hrootidx(const void *a, const void *b, void *arg)
{
	const struct pm_root *r = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	uint32_t x = r[i].obj, y = r[j].obj;

	if (x != y)
		return x < y ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int
build_roots(struct pm_graph *g)
{
	const struct pm_root *hr = pm_heap_roots(g->h);
	size_t nhr = pm_heap_nroots(g->h), cap = 0, n = g->n;
	struct marker m = { g, NULL, NULL, 0 };
	int ret = -1;

	m.mark = pm_big_alloc(n / 8 + 1);
	m.stack = pm_big_alloc(n * sizeof(*m.stack));
	if (m.mark == NULL || m.stack == NULL)
		goto out;
	/* Heap roots by tier, each object once (its most preferred tier). */
	for (uint32_t t = 0; t < PM_TIER_UNREACHABLE; t++)
		for (size_t i = 0; i < nhr; i++) {
			uint32_t v = hr[i].obj;
			if ((uint32_t)tier_of(hr[i].kind) != t || v >= n ||
			    MARKED(&m, v))
				continue;
			SETMARK(&m, v);
			if (add_root(g, &cap, v, t, (int64_t)i) < 0)
				goto out;
		}
	/* What the interpreter holds, unless already a root. */
	for (uint32_t v = 0; v < n; v++) {
		if (MARKED(&m, v) || !interp_held(g->h, v))
			continue;
		SETMARK(&m, v);
		if (add_root(g, &cap, v, PM_TIER_INTERP, -1) < 0)
			goto out;
		g->ninterp++;
	}
	memset(m.mark, 0, n / 8 + 1);
	for (size_t i = 0; i < g->nroots; i++)
		mark_from(&m, g->roots[i].obj);
	g->nunreachable = n - m.nmarked;
	for (uint32_t v = 0; v < n && m.nmarked < n; v++)
		if (!MARKED(&m, v))
			g->unreachable_bytes += pm_heap_objs(g->h)[v].size;
	/* What no root reaches: first the objects nothing refers to. */
	for (uint32_t v = 0; v < n && m.nmarked < n; v++) {
		int referred = 0;
		if (MARKED(&m, v))
			continue;
		for (uint64_t e = g->roff[v]; e < g->roff[v + 1] && !referred; e++)
			referred = !(g->rsrc[e] & PM_GRAPH_WEAK);
		if (referred)
			continue;
		if (add_root(g, &cap, v, PM_TIER_UNREACHABLE, -1) < 0)
			goto out;
		mark_from(&m, v);
	}
	/* Then one object of each cycle still left. */
	for (uint32_t v = 0; v < n && m.nmarked < n; v++) {
		if (MARKED(&m, v))
			continue;
		if (add_root(g, &cap, v, PM_TIER_UNREACHABLE, -1) < 0)
			goto out;
		mark_from(&m, v);
	}
	g->rootidx = malloc((g->nroots ? g->nroots : 1) * sizeof(*g->rootidx));
	if (g->rootidx == NULL)
		goto out;
	for (size_t i = 0; i < g->nroots; i++)
		g->rootidx[i] = (uint32_t)i;
	qsort_r(g->rootidx, g->nroots, sizeof(*g->rootidx), cmp_rootidx, g->roots);
	g->nhroots = nhr;
	g->hrootidx = malloc((nhr ? nhr : 1) * sizeof(*g->hrootidx));
	if (g->hrootidx == NULL)
		goto out;
	for (size_t i = 0; i < nhr; i++)
		g->hrootidx[i] = (uint32_t)i;
	qsort_r(g->hrootidx, nhr, sizeof(*g->hrootidx), cmp_hrootidx,
	    (void *)hr);
	ret = 0;
out:
	pm_big_free(m.mark, n / 8 + 1);
	pm_big_free(m.stack, n * sizeof(*m.stack));
	return ret;
}

int
pm_graph_build(struct pm_graph *g, const struct pm_heap *h,
    pm_graph_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	struct build b;
	size_t n = pm_heap_nobjs(h);

	memset(g, 0, sizeof(*g));
	memset(&b, 0, sizeof(b));
	g->h = h;
	g->n = n;
	b.g = g;
	b.h = h;
	b.weak_field = -1;
	if (n > MAX_NODES)
		return pm_error(e, PM_EXIT_INPUT, "too many objects for the "
		    "reference graph (%zu)", n);
	g->off = pm_big_alloc((n + 1) * sizeof(*g->off));
	if (g->off == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		g->off[i] = (uint32_t)g->nedges;
		pm_heap_referents(h, i, build_cb, &b);
		if (b.oom)
			goto oom;
		if (b.toomany) {
			pm_graph_release(g);
			imap_free(&b.fieldmap);
			imap_free(&b.slotmap);
			return pm_error(e, PM_EXIT_INPUT, "too many references "
			    "for the reference graph (more than %llu)",
			    (unsigned long long)MAX_EDGES);
		}
		if (progress && (i & (PROGRESS_EVERY - 1)) == 0)
			progress(progress_arg, "references", i, n);
	}
	g->off[n] = (uint32_t)g->nedges;
	imap_free(&b.fieldmap);
	imap_free(&b.slotmap);
	/* Give back what the last growth over-allocated. */
	g->dst = pm_big_shrink(g->dst, g->edgecap * sizeof(uint32_t),
	    g->nedges * sizeof(uint32_t));
	g->meta = pm_big_shrink(g->meta, g->edgecap * sizeof(uint32_t),
	    g->nedges * sizeof(uint32_t));
	g->edgecap = g->nedges;
	if (progress)
		progress(progress_arg, "referrers", 0, n);
	if (build_reverse(g) < 0)
		goto oom;
	if (progress)
		progress(progress_arg, "roots", 0, n);
	if (build_roots(g) < 0)
		goto oom;
	return 0;
oom:
	imap_free(&b.fieldmap);
	imap_free(&b.slotmap);
	pm_graph_release(g);
	return pm_error(e, PM_EXIT_INPUT, "out of memory building the "
	    "reference graph of %zu objects", n);
}

void
pm_graph_release(struct pm_graph *g)
{
	pm_big_free(g->off, (g->n + 1) * sizeof(*g->off));
	pm_big_free(g->dst, g->edgecap * sizeof(*g->dst));
	pm_big_free(g->meta, g->edgecap * sizeof(*g->meta));
	pm_big_free(g->roff, (g->n + 1) * sizeof(*g->roff));
	pm_big_free(g->rsrc, g->nedges * sizeof(*g->rsrc));
	free(g->fields);
	free(g->slots);
	free(g->roots);
	free(g->rootidx);
	free(g->hrootidx);
	memset(g, 0, sizeof(*g));
}

uint32_t
pm_graph_edge_src(const struct pm_graph *g, uint64_t eid)
{
	/* The last v with off[v] <= eid. */
	size_t lo = 0, hi = g->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->off[mid] <= eid)
			lo = mid;
		else
			hi = mid;
	}
	/* Objects without references share an offset with the next one. */
	while (lo + 1 < g->n && g->off[lo + 1] <= eid)
		lo++;
	return (uint32_t)lo;
}

struct refind {
	const struct pm_heap *h;
	uint64_t want;		/* ordinal among references to objects */
	uint64_t seen;
	struct pm_edge found;
	int ok;
};

static int
refind_cb(void *arg, const struct pm_edge *e)
{
	struct refind *r = arg;

	if (pm_heap_find(r->h, e->target) < 0)
		return 0;
	if (r->seen++ == r->want) {
		r->found = *e;
		r->ok = 1;
		return 1;
	}
	return 0;
}

int
pm_graph_edge(const struct pm_graph *g, uint32_t src, uint64_t eid,
    struct pm_edge *out)
{
	const struct pm_obj *objs = pm_heap_objs(g->h);
	uint32_t m = g->meta[eid], a = PM_GRAPH_ARG(m);
	enum pm_edge_kind k = PM_GRAPH_KIND(m);

	memset(out, 0, sizeof(*out));
	out->kind = k;
	out->target = objs[PM_GRAPH_NODE(g->dst[eid])].addr;
	if (a != PM_GRAPH_ARG_LOST) {
		switch (k) {
		case PM_EDGE_TYPE:
			out->field = "__class__";
			return 0;
		case PM_EDGE_DICT:
			out->field = "__dict__";
			return 0;
		case PM_EDGE_KEY:
			out->arg = out->target;
			return 0;
		case PM_EDGE_ITEM:
		case PM_EDGE_LOCAL:
		case PM_EDGE_GUESS:
		case PM_EDGE_SETITEM:
			out->arg = a;
			return 0;
		case PM_EDGE_VALUE:
		case PM_EDGE_ATTR:
			if (a < g->n) {
				out->arg = objs[a].addr;
				return 0;
			}
			break;
		case PM_EDGE_SLOT:
			if (a < g->nslots) {
				out->arg = g->slots[a];
				return 0;
			}
			break;
		case PM_EDGE_FIELD:
			if (a < g->nfields) {
				out->field = g->fields[a];
				out->arg = (g->dst[eid] & PM_GRAPH_WEAK) != 0;
				return 0;
			}
			break;
		}
	}
	struct refind r = { g->h, eid - g->off[src], 0, { 0 }, 0 };
	pm_heap_referents(g->h, src, refind_cb, &r);
	if (!r.ok)
		return -1;
	*out = r.found;
	return 0;
}

const struct pm_graph_root *
pm_graph_root_of(const struct pm_graph *g, uint32_t v)
{
	size_t lo = 0, hi = g->nroots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t o = g->roots[g->rootidx[mid]].obj;
		if (o == v)
			return &g->roots[g->rootidx[mid]];
		if (o < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t
pm_graph_nth_edge(const struct pm_graph *g, uint32_t src, uint32_t dst,
    uint32_t occ)
{
	for (uint64_t k = g->off[src]; k < g->off[src + 1]; k++)
		if (PM_GRAPH_NODE(g->dst[k]) == dst && occ-- == 0)
			return (uint32_t)k;
	return UINT32_MAX;
}

size_t
pm_graph_heap_roots_of(const struct pm_graph *g, uint32_t v, size_t *first)
{
	const struct pm_root *hr = pm_heap_roots(g->h);
	size_t lo = 0, hi = g->nhroots, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (hr[g->hrootidx[mid]].obj < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < g->nhroots && hr[g->hrootidx[lo + n]].obj == v)
		n++;
	return n;
}

void
pm_graph_referrers(const struct pm_graph *g, uint32_t v,
    struct pm_graph_refiter *it)
{
	it->v = v;
	it->j = g->roff[v];
	it->end = g->roff[v + 1];
	it->prev = UINT32_MAX;
	it->last = 0;
}

int
pm_graph_referrers_next(const struct pm_graph *g,
    struct pm_graph_refiter *it, uint32_t *src, uint32_t *eid)
{
	while (it->j < it->end) {
		uint32_t s = PM_GRAPH_NODE(g->rsrc[it->j++]);
		/* The entries of one referrer follow its forward edges' order. */
		uint64_t k = s == it->prev ? it->last + 1 : g->off[s];
		it->prev = s;
		for (; k < g->off[s + 1]; k++)
			if (PM_GRAPH_NODE(g->dst[k]) == it->v)
				break;
		if (k >= g->off[s + 1])
			continue;	/* cannot happen in a built graph */
		it->last = k;
		*src = s;
		*eid = (uint32_t)k;
		return 1;
	}
	return 0;
}

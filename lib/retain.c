/*
 * retain.c - retained sizes, biggest retainers, leak suspects, census.
 */
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "dominator.h"
#include "graph.h"
#include "heap.h"
#include "pm.h"
#include "retain.h"

static uint64_t
obj_size(void *arg, size_t v)
{
	const struct pm_obj *objs = arg;

	return objs[v].size;
}

int
pm_retain_compute(struct pm_retain *r, const struct pm_graph *g,
    pm_retain_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	struct pm_domgraph dg;
	uint32_t *roots;
	size_t n = g->n;
	int rc;

	memset(r, 0, sizeof(*r));
	r->g = g;
	roots = malloc((g->nroots ? g->nroots : 1) * sizeof(*roots));
	if (roots == NULL)
		goto oom;
	for (size_t i = 0; i < g->nroots; i++)
		roots[i] = g->roots[i].obj;
	dg.n = n;
	dg.off = g->off;
	dg.dst = g->dst;	/* PM_GRAPH_WEAK is PM_DOM_SKIP */
	dg.roff = g->roff;
	dg.rsrc = g->rsrc;
	dg.roots = roots;
	dg.nroots = g->nroots;
	rc = pm_dom_compute(&r->dom, &dg, progress, progress_arg, e);
	free(roots);
	if (rc < 0)
		return -1;
	r->ret = pm_big_alloc((n + 1) * sizeof(*r->ret));
	r->cnt = pm_big_alloc((n + 1) * sizeof(*r->cnt));
	if (r->ret == NULL || r->cnt == NULL)
		goto oom;
	pm_dom_retained(&r->dom, obj_size, (void *)pm_heap_objs(g->h), r->ret,
	    r->cnt);
	return 0;
oom:
	pm_retain_release(r);
	return pm_error(e, PM_EXIT_INPUT, "out of memory computing retained "
	    "sizes of %zu objects", n);
}

void
pm_retain_release(struct pm_retain *r)
{
	size_t n = r->g ? r->g->n : 0;

	pm_dom_release(&r->dom);
	pm_big_free(r->ret, (n + 1) * sizeof(*r->ret));
	pm_big_free(r->cnt, (n + 1) * sizeof(*r->cnt));
	free(r->koff);
	free(r->kids);
	memset(r, 0, sizeof(*r));
}

/* Does x come before y: more retained, then lower index. */
static int
before(const struct pm_retain *r, uint32_t x, uint32_t y)
{
	return r->ret[x] != r->ret[y] ? r->ret[x] > r->ret[y] : x < y;
}

/* Keep the k best of the candidates offered, in a min-heap (worst first). */
struct best {
	const struct pm_retain *r;
	uint32_t *h;
	size_t n, k;
};

static void
best_offer(struct best *b, uint32_t v)
{
	size_t i;

	if (b->k == 0)
		return;
	if (b->n < b->k) {
		i = b->n++;
		while (i > 0 && before(b->r, b->h[(i - 1) / 2], v)) {
			b->h[i] = b->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		b->h[i] = v;
		return;
	}
	if (!before(b->r, v, b->h[0]))
		return;
	i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= b->n)
			break;
		if (c + 1 < b->n && before(b->r, b->h[c], b->h[c + 1]))
			c++;
		if (!before(b->r, v, b->h[c]))
			break;
		b->h[i] = b->h[c];
		i = c;
	}
	b->h[i] = v;
}


static int
cmp_best(const void *a, const void *b, void *arg)
{
	const struct pm_retain *r = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return before(r, x, y) ? -1 : before(r, y, x) ? 1 : 0;
}

static size_t
best_finish(struct best *b)
{
	qsort_r(b->h, b->n, sizeof(*b->h), cmp_best, (void *)b->r);
	return b->n;
}

size_t
pm_retain_top(const struct pm_retain *r, size_t k, uint32_t *out)
{
	struct best b = { r, out, 0, k };

	for (size_t v = 0; v < r->g->n; v++)
		if (r->dom.idom[v] != PM_DOM_NONE)
			best_offer(&b, (uint32_t)v);
	return best_finish(&b);
}

static int
ensure_children(struct pm_retain *r)
{
	if (r->koff != NULL)
		return 0;
	return pm_dom_children(&r->dom, &r->koff, &r->kids);
}

/* Modules, classes, their dicts and the root namespaces, as a bitmap. */
static uint8_t *
namespaces(const struct pm_graph *g)
{
	const struct pm_heap *h = g->h;
	const struct pm_root *hr = pm_heap_roots(h);
	uint8_t *ns = calloc(g->n / 8 + 1, 1);

	if (ns == NULL)
		return NULL;
#define NS_SET(v) (ns[(v) >> 3] |= (uint8_t)(1u << ((v) & 7)))
	for (uint32_t v = 0; v < g->n; v++) {
		enum pm_kind k = pm_heap_type_of(h, v)->kind;
		if (k != PM_KIND_MODULE && k != PM_KIND_TYPE)
			continue;
		NS_SET(v);
		for (uint64_t j = g->off[v]; j < g->off[v + 1]; j++) {
			uint32_t m = g->meta[j], a = PM_GRAPH_ARG(m);
			if (PM_GRAPH_KIND(m) == PM_EDGE_FIELD && a < g->nfields &&
			    strcmp(g->fields[a], "__dict__") == 0)
				NS_SET(PM_GRAPH_NODE(g->dst[j]));
		}
	}
	for (size_t i = 0; i < pm_heap_nroots(h); i++)
		if (hr[i].kind == PM_ROOT_MODULES || hr[i].kind == PM_ROOT_SYSDICT ||
		    hr[i].kind == PM_ROOT_BUILTINS)
			NS_SET(hr[i].obj);
#undef NS_SET
	return ns;
}

#define IS_NS(ns, v) ((ns)[(v) >> 3] & (1u << ((v) & 7)))

long
pm_retain_suspects(struct pm_retain *r, size_t k, uint32_t *out,
    struct pm_err *e)
{
	const struct pm_graph *g = r->g;
	struct best b = { r, out, 0, k };
	uint8_t *ns = namespaces(g);

	if (ns == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory finding "
		    "suspects");
	for (uint32_t v = 0; v < g->n; v++) {
		uint32_t d = r->dom.idom[v];
		if (d == PM_DOM_NONE || IS_NS(ns, v))
			continue;
		if (d == g->n || IS_NS(ns, d))
			best_offer(&b, v);
	}
	free(ns);
	return (long)best_finish(&b);
}

static uint32_t
biggest_child(const struct pm_retain *r, uint32_t v)
{
	uint32_t best = PM_DOM_NONE;

	for (uint32_t j = r->koff[v]; j < r->koff[v + 1]; j++)
		if (best == PM_DOM_NONE || r->ret[r->kids[j]] > r->ret[best])
			best = r->kids[j];
	return best;
}

/* Does child c hold most of what v retains? */
static int
holds_most(const struct pm_retain *r, uint32_t v, uint32_t c)
{
	return r->ret[c] * 100 >= r->ret[v] * PM_RETAIN_ACCUMULATE_PCT;
}

int64_t
pm_retain_accumulation(struct pm_retain *r, uint32_t v, struct pm_err *e)
{
	const struct pm_obj *objs = pm_heap_objs(r->g->h);

	if (ensure_children(r) < 0)
		return pm_error(e, PM_EXIT_INPUT, "out of memory listing the "
		    "dominator tree");
	for (;;) {
		uint32_t best = biggest_child(r, v);
		if (best == PM_DOM_NONE || !holds_most(r, v, best))
			return v;
		/* A chain of one type (a linked list) ends where it starts. */
		if (objs[best].type == objs[v].type) {
			uint32_t next = biggest_child(r, best);
			if (next != PM_DOM_NONE && holds_most(r, best, next) &&
			    objs[next].type == objs[v].type)
				return v;
		}
		v = best;
	}
}

static int
cmp_census(const void *a, const void *b, void *arg)
{
	const struct pm_census_row *x = a, *y = b;
	const struct pm_type *types = arg;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(types[x->type].name, types[y->type].name);
}

int
pm_retain_census(struct pm_retain *r, uint32_t v,
    struct pm_census_row **rowsp, size_t *nrowsp, struct pm_err *e)
{
	const struct pm_heap *h = r->g->h;
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nt = pm_heap_ntypes(h), nrows = 0;
	struct pm_census_row *rows = NULL;
	uint32_t *stack = NULL;
	size_t sp = 0;

	if (ensure_children(r) < 0)
		goto oom;
	rows = calloc(nt ? nt : 1, sizeof(*rows));
	stack = malloc((r->cnt[v] ? r->cnt[v] : 1) * sizeof(*stack));
	if (rows == NULL || stack == NULL)
		goto oom;
	stack[sp++] = v;
	while (sp > 0) {
		uint32_t u = stack[--sp];
		struct pm_census_row *row = &rows[objs[u].type];
		row->count++;
		row->bytes += objs[u].size;
		for (uint32_t j = r->koff[u]; j < r->koff[u + 1]; j++)
			stack[sp++] = r->kids[j];
	}
	for (size_t t = 0; t < nt; t++)
		if (rows[t].count) {
			rows[nrows] = rows[t];
			rows[nrows++].type = (uint32_t)t;
		}
	qsort_r(rows, nrows, sizeof(*rows), cmp_census,
	    (void *)pm_heap_types(h));
	free(stack);
	*rowsp = rows;
	*nrowsp = nrows;
	return 0;
oom:
	free(rows);
	free(stack);
	return pm_error(e, PM_EXIT_INPUT, "out of memory counting what "
	    "0x%llx retains", (unsigned long long)objs[v].addr);
}

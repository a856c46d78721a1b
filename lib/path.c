/*
 * path.c - paths from roots over strong references, and their text.
 */
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "buf.h"
#include "edgename.h"
#include "graph.h"
#include "heap.h"
#include "path.h"
#include "pm.h"

#define MAX_STATES (4u << 20)	/* partial paths pm_paths_k may keep */

int
pm_paths_init(struct pm_paths *p, const struct pm_graph *g, struct pm_err *e)
{
	size_t n = g->n;
	uint32_t *queue;

	memset(p, 0, sizeof(*p));
	p->g = g;
	p->pred = pm_big_alloc(n * sizeof(*p->pred));
	p->dist = pm_big_alloc(n * sizeof(*p->dist));
	p->tier = pm_big_alloc(n);
	queue = pm_big_alloc(n * sizeof(*queue));
	if (p->pred == NULL || p->dist == NULL || p->tier == NULL ||
	    queue == NULL) {
		pm_big_free(queue, n * sizeof(*queue));
		pm_paths_release(p);
		return pm_error(e, PM_EXIT_INPUT, "out of memory searching "
		    "paths among %zu objects", n);
	}
	memset(p->pred, 0xff, n * sizeof(*p->pred));
	memset(p->dist, 0xff, n * sizeof(*p->dist));
	memset(p->tier, 0xff, n);
	for (uint32_t t = 0; t < PM_TIER_COUNT; t++) {
		size_t head = 0, tail = 0;
		for (size_t i = 0; i < g->nroots; i++) {
			uint32_t r = g->roots[i].obj;
			if (g->roots[i].tier != t || p->dist[r] != PM_PATH_NONE)
				continue;
			p->dist[r] = 0;
			p->tier[r] = (uint8_t)t;
			queue[tail++] = r;
		}
		while (head < tail) {
			uint32_t u = queue[head++];
			for (uint64_t k = g->off[u]; k < g->off[u + 1]; k++) {
				uint32_t w = g->dst[k];
				if ((w & PM_GRAPH_WEAK) || p->dist[w] != PM_PATH_NONE)
					continue;
				p->dist[w] = p->dist[u] + 1;
				p->pred[w] = (uint32_t)k;
				p->tier[w] = (uint8_t)t;
				queue[tail++] = w;
			}
		}
	}
	pm_big_free(queue, n * sizeof(*queue));
	return 0;
}

void
pm_paths_release(struct pm_paths *p)
{
	size_t n = p->g ? p->g->n : 0;

	pm_big_free(p->pred, n * sizeof(*p->pred));
	pm_big_free(p->dist, n * sizeof(*p->dist));
	pm_big_free(p->tier, n);
	memset(p, 0, sizeof(*p));
}

void
pm_path_release(struct pm_path *path)
{
	free(path->edges);
	memset(path, 0, sizeof(*path));
}

static int
path_push(struct pm_path *path, uint32_t eid)
{
	if (path->n == path->cap) {
		size_t nc = path->cap ? 2 * path->cap : 16;
		uint32_t *ne = realloc(path->edges, nc * sizeof(*ne));
		if (ne == NULL)
			return -1;
		path->edges = ne;
		path->cap = nc;
	}
	path->edges[path->n++] = eid;
	return 0;
}

static void
path_reverse(struct pm_path *path)
{
	for (size_t i = 0, j = path->n; i + 1 < j; i++, j--) {
		uint32_t t = path->edges[i];
		path->edges[i] = path->edges[j - 1];
		path->edges[j - 1] = t;
	}
}

int
pm_paths_shortest(const struct pm_paths *p, uint32_t v, struct pm_path *out)
{
	uint32_t u = v;

	out->n = 0;
	if (v >= p->g->n || p->dist[v] == PM_PATH_NONE)
		return -1;
	while (p->pred[u] != PM_PATH_NONE) {
		if (path_push(out, p->pred[u]) < 0)
			return -1;
		u = pm_graph_edge_src(p->g, p->pred[u]);
	}
	out->root = u;
	path_reverse(out);
	return 0;
}

/* ---- k paths: best-first backwards from the target ---- */

struct state {
	uint32_t node;
	uint32_t eid;		/* forward edge from node toward the target */
	uint32_t parent;	/* state nearer the target; NONE for it */
	uint32_t len;		/* references from node to the target */
	uint32_t emit;		/* a finished path starting at node */
};

struct hent {
	uint64_t key;		/* tier << 32 | estimated length */
	uint32_t st;
	uint32_t seq;		/* first in, first out among equal keys */
};

struct ksearch {
	const struct pm_paths *p;
	struct state *st;
	size_t nst, capst;
	struct hent *heap;
	size_t nheap, capheap;
	uint32_t seq;
};

static int
hless(const struct hent *a, const struct hent *b)
{
	return a->key != b->key ? a->key < b->key : a->seq < b->seq;
}

static int
hpush(struct ksearch *ks, uint64_t key, uint32_t st)
{
	if (ks->nheap == ks->capheap) {
		size_t nc = ks->capheap ? 2 * ks->capheap : 256;
		struct hent *nh = realloc(ks->heap, nc * sizeof(*nh));
		if (nh == NULL)
			return -1;
		ks->heap = nh;
		ks->capheap = nc;
	}
	size_t i = ks->nheap++;
	struct hent x = { key, st, ks->seq++ };
	while (i > 0 && hless(&x, &ks->heap[(i - 1) / 2])) {
		ks->heap[i] = ks->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	ks->heap[i] = x;
	return 0;
}

static struct hent
hpop(struct ksearch *ks)
{
	struct hent top = ks->heap[0], x = ks->heap[--ks->nheap];
	size_t i = 0, n = ks->nheap;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hless(&ks->heap[c + 1], &ks->heap[c]))
			c++;
		if (!hless(&ks->heap[c], &x))
			break;
		ks->heap[i] = ks->heap[c];
		i = c;
	}
	if (n > 0)
		ks->heap[i] = x;
	return top;
}

/* Add a state; its index, or PM_PATH_NONE when full or out of memory. */
static uint32_t
add_state(struct ksearch *ks, struct state s, int *oom)
{
	if (ks->nst >= MAX_STATES)
		return PM_PATH_NONE;
	if (ks->nst == ks->capst) {
		size_t nc = ks->capst ? 2 * ks->capst : 256;
		struct state *ns = realloc(ks->st, nc * sizeof(*ns));
		if (ns == NULL) {
			*oom = 1;
			return PM_PATH_NONE;
		}
		ks->st = ns;
		ks->capst = nc;
	}
	ks->st[ks->nst] = s;
	return (uint32_t)ks->nst++;
}

static int
on_chain(const struct ksearch *ks, uint32_t s, uint32_t node)
{
	for (; s != PM_PATH_NONE; s = ks->st[s].parent)
		if (ks->st[s].node == node)
			return 1;
	return 0;
}

/* Is the last text of texts (from mark) among the ones before it? */
static int
seen_text(const struct pm_buf *texts, size_t mark)
{
	const char *t = texts->data + mark;

	for (size_t i = 0; i < mark; i += strlen(texts->data + i) + 1)
		if (strcmp(texts->data + i, t) == 0)
			return 1;
	return 0;
}

long
pm_paths_k(const struct pm_paths *p, uint32_t v, size_t k, pm_path_fn fn,
    void *arg, struct pm_err *e)
{
	const struct pm_graph *g = p->g;
	struct ksearch ks = { p, NULL, 0, 0, NULL, 0, 0, 0 };
	struct pm_path path = { 0, NULL, 0, 0 };
	struct pm_buf texts = PM_BUF_INIT;	/* the paths given, NUL apart */
	long found = 0;
	int oom = 0;
	uint32_t s0;

	if (v >= g->n || p->dist[v] == PM_PATH_NONE || k == 0)
		return 0;
	s0 = add_state(&ks, (struct state){ v, PM_PATH_NONE, PM_PATH_NONE, 0, 0 },
	    &oom);
	if (s0 == PM_PATH_NONE ||
	    hpush(&ks, (uint64_t)p->tier[v] << 32 | p->dist[v], s0) < 0)
		goto oom;
	while (ks.nheap > 0 && (size_t)found < k) {
		struct hent h = hpop(&ks);
		struct state s = ks.st[h.st];
		if (s.emit) {
			path.n = 0;
			path.root = s.node;
			for (uint32_t x = h.st; ks.st[x].parent != PM_PATH_NONE;
			    x = ks.st[x].parent)
				if (path_push(&path, ks.st[x].eid) < 0)
					goto oom;
			size_t mark = texts.len;
			pm_path_render(g, &path, 0, &texts);
			pm_buf_putc(&texts, '\0');
			if (texts.oom)
				goto oom;
			if (seen_text(&texts, mark))
				pm_buf_truncate(&texts, mark);
			else {
				found++;
				if (fn(arg, &path, texts.data + mark,
				    texts.len - mark - 1) != 0)
					break;
			}
			continue;
		}
		const struct pm_graph_root *r = pm_graph_root_of(g, s.node);
		if (r != NULL) {
			struct state em = s;
			em.emit = 1;
			uint32_t x = add_state(&ks, em, &oom);
			if (oom)
				goto oom;
			/* The finished path shares the chain of s. */
			if (x != PM_PATH_NONE) {
				ks.st[x].parent = s.parent;
				ks.st[x].eid = s.eid;
				if (hpush(&ks, (uint64_t)r->tier << 32 | s.len, x) < 0)
					goto oom;
			}
			if (p->dist[s.node] == 0)
				continue;	/* nothing shorter lies beyond */
		}
		struct pm_graph_refiter it;
		uint32_t node, eid;
		pm_graph_referrers(g, s.node, &it);
		while (pm_graph_referrers_next(g, &it, &node, &eid)) {
			if (pm_graph_is_weak(g, eid) ||
			    p->dist[node] == PM_PATH_NONE ||
			    on_chain(&ks, h.st, node))
				continue;
			uint32_t x = add_state(&ks, (struct state){ node, eid,
			    h.st, s.len + 1, 0 }, &oom);
			if (oom)
				goto oom;
			if (x == PM_PATH_NONE)
				break;	/* bounded: give what was found */
			if (hpush(&ks, (uint64_t)p->tier[node] << 32 |
			    (s.len + 1 + (uint64_t)p->dist[node]), x) < 0)
				goto oom;
		}
	}
	free(ks.st);
	free(ks.heap);
	pm_path_release(&path);
	pm_buf_release(&texts);
	return found;
oom:
	free(ks.st);
	free(ks.heap);
	pm_path_release(&path);
	pm_buf_release(&texts);
	return pm_error(e, PM_EXIT_INPUT, "out of memory searching paths");
}

/* ---- text ---- */

static int
is_dict_edge(const struct pm_edge *e)
{
	return e->kind == PM_EDGE_DICT || (e->kind == PM_EDGE_FIELD &&
	    e->field != NULL && strcmp(e->field, "__dict__") == 0);
}

void
pm_path_root(const struct pm_graph *g, uint32_t v, struct pm_buf *b, int *ns)
{
	const struct pm_graph_root *r = pm_graph_root_of(g, v);

	*ns = 0;
	if (r != NULL && r->root >= 0)
		pm_edgename_root(g->h, &pm_heap_roots(g->h)[r->root], b, ns);
	else if (r != NULL && r->tier == PM_TIER_INTERP)
		pm_edgename_key(g->h, pm_heap_objs(g->h)[v].addr, b);
	else
		pm_edgename_obj(g->h, v, b);
}

void
pm_path_render(const struct pm_graph *g, const struct pm_path *path,
    size_t max, struct pm_buf *b)
{
	const struct pm_heap *h = g->h;
	uint32_t cur = path->root;
	size_t skip_from, skip_to;
	struct pm_edge e;
	int ns;

	if (max > 0 && path->n > max) {
		skip_from = max - max / 3;
		skip_to = path->n - max / 3;
	} else {
		skip_from = skip_to = path->n;
	}
	pm_path_root(g, path->root, b, &ns);
	for (size_t i = 0; i < path->n; i++) {
		uint32_t eid = path->edges[i];
		if (i >= skip_from && i < skip_to) {
			if (i == skip_from) {
				if (ns)
					pm_buf_puts(b, ".__dict__");
				pm_buf_printf(b, "…<%zu more>…", skip_to - skip_from);
				ns = 0;
			}
		} else if (pm_graph_edge(g, cur, eid, &e) < 0) {
			pm_buf_puts(b, "<?>");
			ns = 0;
		} else if (ns) {
			ns = 0;
			if (e.kind == PM_EDGE_VALUE) {
				size_t mark = b->len;
				pm_buf_putc(b, '.');
				if (!pm_edgename_ident(h, e.arg, b)) {
					pm_buf_truncate(b, mark);
					pm_buf_puts(b, ".__dict__");
					pm_edgename(h, cur, &e, b);
				}
			} else {
				pm_buf_puts(b, ".__dict__");
				pm_edgename(h, cur, &e, b);
			}
		} else if (is_dict_edge(&e) && i + 1 < path->n && i + 1 != skip_from) {
			ns = 1;
		} else {
			pm_edgename(h, cur, &e, b);
		}
		cur = PM_GRAPH_NODE(g->dst[eid]);
	}
	if (ns)
		pm_buf_puts(b, ".__dict__");
}

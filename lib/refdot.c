/*
 * refdot.c - the referrer graph around objects, as Graphviz dot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "edgename.h"
#include "graph.h"
#include "heap.h"
#include "path.h"
#include "pm.h"
#include "refdot.h"

#define MAX_LABEL_EDGES 3	/* names on one referrer -> referent arrow */

void
pm_refdot_opts_init(struct pm_refdot_opts *o)
{
	o->depth = 8;
	o->max_nodes = 60;
	o->max_fanin = 8;
}

struct dnode {
	uint32_t obj;
	uint32_t depth;
	int target;
};

struct dot {
	const struct pm_graph *g;
	const struct pm_paths *p;
	const struct pm_refdot_opts *o;
	struct dnode *nodes;
	size_t n, cap;
	uint32_t *map;		/* open addressing: node index + 1 */
	size_t mapcap;
	struct pm_buf edges;	/* the edge statements, written after nodes */
	uint32_t nmore;		/* "… N more" nodes made */
};

static size_t
slot_of(const struct dot *d, uint32_t obj)
{
	size_t j = ((uint64_t)obj * 0x9e3779b97f4a7c15ULL >> 20) & (d->mapcap - 1);

	while (d->map[j] && d->nodes[d->map[j] - 1].obj != obj)
		j = (j + 1) & (d->mapcap - 1);
	return j;
}

static int64_t
find_node(const struct dot *d, uint32_t obj)
{
	size_t j = slot_of(d, obj);

	return d->map[j] ? (int64_t)d->map[j] - 1 : -1;
}

static int64_t
add_node(struct dot *d, uint32_t obj, uint32_t depth, int target)
{
	int64_t i = find_node(d, obj);

	if (i >= 0)
		return i;
	if (d->n == d->cap) {
		size_t nc = d->cap ? 2 * d->cap : 64;
		struct dnode *nn = realloc(d->nodes, nc * sizeof(*nn));
		if (nn == NULL)
			return -1;
		d->nodes = nn;
		d->cap = nc;
	}
	d->nodes[d->n] = (struct dnode){ obj, depth, target };
	d->map[slot_of(d, obj)] = (uint32_t)++d->n;
	return (int64_t)d->n - 1;
}

/* Append s to b escaped for a dot string. */
static void
dot_escape(struct pm_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			pm_buf_puts(b, "\\n");
			continue;
		}
		if (c == '"' || c == '\\')
			pm_buf_putc(b, '\\');
		if (c < 0x20)
			c = '?';
		pm_buf_putc(b, c);
	}
}

/* "39 997": thousands apart, as the "… N more" nodes write them. */
static void
grouped(struct pm_buf *b, uint64_t v)
{
	char s[32];
	int n = snprintf(s, sizeof(s), "%" PRIu64, v);

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			pm_buf_putc(b, ' ');
		pm_buf_putc(b, s[i]);
	}
}

/* A referrer of u: the object and the references it holds to u. */
struct ref {
	uint32_t src;
	uint32_t first;		/* index into rsrc of its first entry */
	uint32_t count;
	int weak;		/* all of them weak */
	uint64_t key;		/* order: tier, distance, object */
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

static void
edge_label(struct dot *d, const struct ref *r, uint32_t u, struct pm_buf *lab)
{
	const struct pm_graph *g = d->g;
	struct pm_edge e;

	uint64_t eid = g->off[r->src];

	for (uint32_t k = 0; k < r->count && k < MAX_LABEL_EDGES; k++, eid++) {
		while (eid < g->off[r->src + 1] && PM_GRAPH_NODE(g->dst[eid]) != u)
			eid++;
		if (k > 0)
			pm_buf_puts(lab, ", ");
		if (eid >= g->off[r->src + 1] || pm_graph_edge(g, r->src, eid, &e) < 0)
			pm_buf_puts(lab, "<?>");
		else
			pm_edgename(g->h, r->src, &e, lab);
	}
	if (r->count > MAX_LABEL_EDGES)
		pm_buf_printf(lab, ", … %u more", r->count - MAX_LABEL_EDGES);
}

/* Draw the referrers of node index ni; queue new ones. 0 or -1 (oom). */
static int
expand(struct dot *d, size_t ni, struct ref **refs, size_t *caprefs)
{
	const struct pm_graph *g = d->g;
	uint32_t u = d->nodes[ni].obj;
	size_t nr = 0, shown = 0;
	struct pm_buf lab = PM_BUF_INIT;
	uint64_t rest = 0;

	/* Group the referrer entries by referrer (they are sorted). */
	for (uint64_t j = g->roff[u]; j < g->roff[u + 1]; j++) {
		uint32_t s = PM_GRAPH_NODE(g->rsrc[j]);
		int weak = (g->rsrc[j] & PM_GRAPH_WEAK) != 0;
		if (nr > 0 && (*refs)[nr - 1].src == s) {
			(*refs)[nr - 1].count++;
			(*refs)[nr - 1].weak &= weak;
			continue;
		}
		if (nr == *caprefs) {
			size_t nc = *caprefs ? 2 * *caprefs : 64;
			struct ref *n2 = realloc(*refs, nc * sizeof(*n2));
			if (n2 == NULL)
				return -1;
			*refs = n2;
			*caprefs = nc;
		}
		uint64_t key = s;
		if (d->p != NULL)
			key = (uint64_t)d->p->tier[s] << 56 |
			    (uint64_t)(d->p->dist[s] & 0xffffff) << 32 | s;
		(*refs)[nr++] = (struct ref){ s, (uint32_t)j, 1, weak, key };
	}
	qsort(*refs, nr, sizeof(**refs), cmp_ref);
	for (size_t i = 0; i < nr; i++) {
		struct ref *r = &(*refs)[i];
		int64_t si = find_node(d, r->src);
		if (si < 0) {
			if (shown >= d->o->max_fanin || d->n >= d->o->max_nodes) {
				rest++;
				continue;
			}
			si = add_node(d, r->src, d->nodes[ni].depth + 1, 0);
			if (si < 0)
				return -1;
		} else if (shown >= d->o->max_fanin) {
			rest++;
			continue;
		}
		shown++;
		pm_buf_reset(&lab);
		edge_label(d, r, u, &lab);
		pm_buf_printf(&d->edges, "\tn%" PRId64 " -> n%zu [label=\"", si, ni);
		dot_escape(&d->edges, pm_buf_str(&lab));
		pm_buf_puts(&d->edges, r->weak ? "\", style=dashed];\n" : "\"];\n");
	}
	if (rest > 0) {
		pm_buf_printf(&d->edges, "\tm%u [label=\"… ", d->nmore);
		grouped(&d->edges, rest);
		pm_buf_printf(&d->edges, " more\", shape=plaintext];\n"
		    "\tm%u -> n%zu [style=dotted];\n", d->nmore, ni);
		d->nmore++;
	}
	pm_buf_release(&lab);
	return d->edges.oom ? -1 : 0;
}

static void
node_label(const struct dot *d, const struct dnode *dn, struct pm_buf *b)
{
	const struct pm_graph *g = d->g;
	const struct pm_heap *h = g->h;
	const struct pm_obj *o = &pm_heap_objs(h)[dn->obj];
	struct pm_buf t = PM_BUF_INIT;
	size_t first, nr = pm_graph_heap_roots_of(g, dn->obj, &first);
	int ns;

	if (nr > 0) {
		pm_edgename_root(h, &pm_heap_roots(h)[g->hrootidx[first]], &t, &ns);
		if (nr > 1)
			pm_buf_printf(&t, " (+%zu roots)", nr - 1);
		pm_buf_putc(&t, '\n');
	} else if (pm_graph_root_of(g, dn->obj) != NULL) {
		pm_buf_puts(&t, "(no root reaches it)\n");
	}
	pm_buf_printf(&t, "%s\n0x%" PRIx64 "\n%" PRIu64 " bytes",
	    pm_heap_type_of(h, dn->obj)->name, o->addr, o->size);
	dot_escape(b, pm_buf_str(&t));
	pm_buf_release(&t);
}

int
pm_refdot_write(FILE *fp, const struct pm_graph *g, const struct pm_paths *p,
    const uint32_t *targets, size_t ntargets, const struct pm_refdot_opts *o,
    struct pm_err *e)
{
	struct dot d;
	struct ref *refs = NULL;
	size_t caprefs = 0, cap = 64;
	struct pm_buf lab = PM_BUF_INIT;
	int ret = -1;

	memset(&d, 0, sizeof(d));
	d.g = g;
	d.p = p;
	d.o = o;
	pm_buf_init(&d.edges);
	while (cap < 2 * (o->max_nodes + ntargets) + 2)
		cap *= 2;
	d.mapcap = cap;
	d.map = calloc(cap, sizeof(*d.map));
	if (d.map == NULL)
		goto out;
	for (size_t i = 0; i < ntargets && d.n < o->max_nodes; i++)
		if (targets[i] < g->n && add_node(&d, targets[i], 0, 1) < 0)
			goto out;
	/* Breadth first: nodes are appended as they are found. */
	for (size_t i = 0; i < d.n; i++)
		if (d.nodes[i].depth < o->depth && expand(&d, i, &refs, &caprefs) < 0)
			goto out;

	fputs("digraph refs {\n"
	    "\trankdir=LR;\n"
	    "\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n"
	    "\tedge [fontname=\"monospace\", fontsize=9];\n", fp);
	for (size_t i = 0; i < d.n; i++) {
		const struct dnode *dn = &d.nodes[i];
		pm_buf_reset(&lab);
		node_label(&d, dn, &lab);
		fprintf(fp, "\tn%zu [label=\"%s\"", i, pm_buf_str(&lab));
		if (dn->target)
			fputs(", style=filled, fillcolor=\"#ffd8d8\"", fp);
		if (pm_graph_root_of(g, dn->obj) != NULL)
			fputs(", peripheries=2", fp);
		fputs("];\n", fp);
	}
	fputs(pm_buf_str(&d.edges), fp);
	fputs("}\n", fp);
	if (lab.oom)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		pm_error(e, PM_EXIT_INPUT, "out of memory drawing referrers");
	free(d.nodes);
	free(d.map);
	free(refs);
	pm_buf_release(&d.edges);
	pm_buf_release(&lab);
	return ret;
}

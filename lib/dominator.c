/*
 * dominator.c - Lengauer-Tarjan dominators over CSR arrays, iteratively.
 *
 * T. Lengauer and R. E. Tarjan, "A fast algorithm for finding dominators
 * in a flowgraph", TOPLAS 1(1), 1979: the simple version (path compression
 * without balancing). Vertices are handled by DFS number 1..cnt, 0 meaning
 * none; the super-root is number 1.
 */
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "dominator.h"
#include "pm.h"

#define MAX_NODES 0x7ffffffeULL
#define PROGRESS_EVERY (1u << 20)

struct lt {
	size_t nn;		/* entries of each array */
	uint32_t *dfn;		/* node -> DFS number, 0 = not reached */
	uint32_t *vert;		/* DFS number -> node */
	uint32_t *par;		/* DFS parent */
	uint32_t *semi;
	uint32_t *anc;		/* forest of linked vertices, 0 = a tree root */
	uint32_t *lab;		/* vertex of least semi on the path to anc */
	uint32_t *idm;
	uint32_t *bhead;	/* bucket[s]: vertices whose semi is s */
	uint32_t *bnext;
	uint32_t *stack;	/* compress's path */
	uint8_t *isroot;	/* bitmap: a successor of the super-root */
};

/* Path compression on the path from v up to its tree's root, iteratively. */
static void
compress(struct lt *t, uint32_t v)
{
	uint32_t *anc = t->anc, *lab = t->lab, *semi = t->semi;
	size_t sp = 0;
	uint32_t x = v;

	while (anc[anc[x]] != 0) {
		t->stack[sp++] = x;
		x = anc[x];
	}
	while (sp > 0) {
		x = t->stack[--sp];
		uint32_t a = anc[x];
		if (semi[lab[a]] < semi[lab[x]])
			lab[x] = lab[a];
		anc[x] = anc[a];
	}
}

static uint32_t
eval(struct lt *t, uint32_t v)
{
	if (t->anc[v] == 0)
		return v;
	compress(t, v);
	return t->lab[v];
}

static void
lt_free(struct lt *t)
{
	size_t b = t->nn * sizeof(uint32_t);

	pm_big_free(t->dfn, b);
	pm_big_free(t->vert, b);
	pm_big_free(t->par, b);
	pm_big_free(t->semi, b);
	pm_big_free(t->anc, b);
	pm_big_free(t->lab, b);
	pm_big_free(t->idm, b);
	pm_big_free(t->bhead, b);
	pm_big_free(t->bnext, b);
	pm_big_free(t->stack, b);
	pm_big_free(t->isroot, t->nn / 8 + 1);
}

/* Iterative DFS from the super-root numbering vertices in preorder. */
static uint32_t
dfs(struct lt *t, const struct pm_domgraph *g)
{
	uint32_t *snode = t->lab, *scur = t->anc;	/* free until later */
	uint32_t n = (uint32_t)g->n, cnt = 0;
	size_t sp = 0;

	t->dfn[n] = ++cnt;
	t->vert[cnt] = n;
	t->par[cnt] = 0;
	snode[sp] = n;
	scur[sp] = 0;
	sp++;
	while (sp > 0) {
		uint32_t v = snode[sp - 1], w;
		if (v == n) {
			if (scur[sp - 1] >= g->nroots) {
				sp--;
				continue;
			}
			w = g->roots[scur[sp - 1]++];
		} else {
			uint64_t e = (uint64_t)g->off[v] + scur[sp - 1];
			if (e >= g->off[v + 1]) {
				sp--;
				continue;
			}
			scur[sp - 1]++;
			w = g->dst[e];
			if (w & PM_DOM_SKIP)
				continue;
		}
		if (w >= n || t->dfn[w] != 0)
			continue;
		t->dfn[w] = ++cnt;
		t->vert[cnt] = w;
		t->par[cnt] = t->dfn[v];
		snode[sp] = w;
		scur[sp] = 0;
		sp++;
	}
	return cnt;
}

int
pm_dom_compute(struct pm_dom *d, const struct pm_domgraph *g,
    pm_dom_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	struct lt t;
	size_t n = g->n, nn = n + 2;
	uint32_t cnt;

	memset(d, 0, sizeof(*d));
	memset(&t, 0, sizeof(t));
	if (n > MAX_NODES)
		return pm_error(e, PM_EXIT_INPUT, "too many nodes for the "
		    "dominator tree (%zu)", n);
	t.nn = nn;
	t.dfn = pm_big_alloc(nn * sizeof(uint32_t));
	t.vert = pm_big_alloc(nn * sizeof(uint32_t));
	t.par = pm_big_alloc(nn * sizeof(uint32_t));
	t.semi = pm_big_alloc(nn * sizeof(uint32_t));
	t.anc = pm_big_alloc(nn * sizeof(uint32_t));
	t.lab = pm_big_alloc(nn * sizeof(uint32_t));
	t.idm = pm_big_alloc(nn * sizeof(uint32_t));
	t.bhead = pm_big_alloc(nn * sizeof(uint32_t));
	t.bnext = pm_big_alloc(nn * sizeof(uint32_t));
	t.stack = pm_big_alloc(nn * sizeof(uint32_t));
	t.isroot = pm_big_alloc(nn / 8 + 1);
	if (!t.dfn || !t.vert || !t.par || !t.semi || !t.anc || !t.lab ||
	    !t.idm || !t.bhead || !t.bnext || !t.stack || !t.isroot) {
		lt_free(&t);
		return pm_error(e, PM_EXIT_INPUT, "out of memory computing "
		    "dominators of %zu nodes", n);
	}
	for (size_t i = 0; i < g->nroots; i++)
		if (g->roots[i] < n)
			t.isroot[g->roots[i] >> 3] |= (uint8_t)(1u << (g->roots[i] & 7));

	cnt = dfs(&t, g);
	for (uint32_t i = 0; i <= cnt; i++) {
		t.semi[i] = i;
		t.lab[i] = i;
		t.anc[i] = 0;
		t.bhead[i] = 0;
		t.idm[i] = 0;
	}
	/* Semidominators in reverse preorder, idoms implicitly via buckets. */
	for (uint32_t i = cnt; i >= 2; i--) {
		uint32_t w = t.vert[i], p = t.par[i];
		if (w < n && (t.isroot[w >> 3] & (1u << (w & 7))))
			t.semi[i] = 1;	/* the super-root is a predecessor */
		if (w < n)
			for (uint64_t k = g->roff[w]; k < g->roff[w + 1]; k++) {
				uint32_t v = g->rsrc[k], j, u;
				if ((v & PM_DOM_SKIP) || v >= n ||
				    (j = t.dfn[v]) == 0)
					continue;
				u = eval(&t, j);
				if (t.semi[u] < t.semi[i])
					t.semi[i] = t.semi[u];
			}
		t.bnext[i] = t.bhead[t.semi[i]];
		t.bhead[t.semi[i]] = i;
		t.anc[i] = p;
		for (uint32_t j = t.bhead[p]; j != 0; j = t.bnext[j]) {
			uint32_t u = eval(&t, j);
			t.idm[j] = t.semi[u] < t.semi[j] ? u : p;
		}
		t.bhead[p] = 0;
		if (progress && ((cnt - i) & (PROGRESS_EVERY - 1)) == 0)
			progress(progress_arg, "dominators", cnt - i, cnt);
	}
	t.idm[1] = 1;
	for (uint32_t i = 2; i <= cnt; i++)
		if (t.idm[i] != t.semi[i])
			t.idm[i] = t.idm[t.idm[i]];

	/* Back to node numbers, in place over dfn; the order over vert. */
	for (size_t v = 0; v <= n; v++)
		t.dfn[v] = t.dfn[v] ? t.vert[t.idm[t.dfn[v]]] : PM_DOM_NONE;
	memmove(t.vert, t.vert + 1, cnt * sizeof(uint32_t));
	d->n = n;
	d->idom = t.dfn;
	d->order = t.vert;
	d->norder = cnt;
	t.dfn = t.vert = NULL;
	lt_free(&t);
	return 0;
}

void
pm_dom_release(struct pm_dom *d)
{
	pm_big_free(d->idom, (d->n + 2) * sizeof(uint32_t));
	pm_big_free(d->order, (d->n + 2) * sizeof(uint32_t));
	memset(d, 0, sizeof(*d));
}

void
pm_dom_retained(const struct pm_dom *d,
    uint64_t (*size)(void *arg, size_t v), void *arg, uint64_t *ret,
    uint32_t *cnt)
{
	for (size_t v = 0; v <= d->n; v++) {
		ret[v] = 0;
		cnt[v] = 0;
	}
	for (size_t i = 1; i < d->norder; i++) {
		uint32_t v = d->order[i];
		ret[v] = size(arg, v);
		cnt[v] = 1;
	}
	/* Children come after their idom in preorder: sum from the end. */
	for (size_t i = d->norder; i-- > 1;) {
		uint32_t v = d->order[i], p = d->idom[v];
		ret[p] += ret[v];
		cnt[p] += cnt[v];
	}
}

int
pm_dom_children(const struct pm_dom *d, uint32_t **koffp, uint32_t **kidsp)
{
	size_t n = d->n;
	uint32_t *koff = calloc(n + 2, sizeof(*koff));
	uint32_t *kids = malloc((n ? n : 1) * sizeof(*kids));

	if (koff == NULL || kids == NULL) {
		free(koff);
		free(kids);
		return -1;
	}
	for (size_t i = 1; i < d->norder; i++)
		koff[d->idom[d->order[i]] + 1]++;
	for (size_t v = 0; v <= n; v++)
		koff[v + 1] += koff[v];
	/* Fill with a cursor per parent: koff[v] runs up, then is restored. */
	for (size_t i = 1; i < d->norder; i++) {
		uint32_t v = d->order[i];
		kids[koff[d->idom[v]]++] = v;
	}
	for (size_t v = n + 1; v-- > 0;)
		koff[v + 1] = koff[v];
	koff[0] = 0;
	*koffp = koff;
	*kidsp = kids;
	return 0;
}

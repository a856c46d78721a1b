/*
 * test-dominator - lib/dominator.c on hand-made graphs (a chain, a cycle,
 * a diamond, the Lengauer-Tarjan paper's example, skipped edges, nodes
 * nothing reaches) and on random graphs checked against brute force:
 * d dominates v when removing d leaves v unreachable from the super-root.
 * Exit 0 when every check passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dominator.h"
#include "pm.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "test-dominator: %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

/* A graph under construction: an edge list turned into CSR both ways. */
struct tg {
	size_t n;
	size_t ne, cap;
	uint32_t *from, *to;	/* to[] may carry PM_DOM_SKIP */
	uint32_t *roots;
	size_t nroots;
	uint32_t *off, *dst, *roff, *rsrc;
};

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "test-dominator: out of memory\n");
		exit(2);
	}
	return p;
}

static void
tg_init(struct tg *g, size_t n)
{
	memset(g, 0, sizeof(*g));
	g->n = n;
	g->roots = xmalloc((n + 1) * sizeof(uint32_t));
}

static void
tg_edge(struct tg *g, uint32_t a, uint32_t b, int skip)
{
	if (g->ne == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->from = realloc(g->from, g->cap * sizeof(uint32_t));
		g->to = realloc(g->to, g->cap * sizeof(uint32_t));
		if (g->from == NULL || g->to == NULL) {
			fprintf(stderr, "test-dominator: out of memory\n");
			exit(2);
		}
	}
	g->from[g->ne] = a;
	g->to[g->ne] = b | (skip ? PM_DOM_SKIP : 0);
	g->ne++;
}

static void
tg_root(struct tg *g, uint32_t r)
{
	g->roots[g->nroots++] = r;
}

static void
tg_csr(struct tg *g, struct pm_domgraph *dg)
{
	size_t n = g->n;

	free(g->off);
	free(g->roff);
	free(g->dst);
	free(g->rsrc);
	g->off = calloc(n + 1, sizeof(uint32_t));
	g->roff = calloc(n + 1, sizeof(uint32_t));
	g->dst = xmalloc(g->ne * sizeof(uint32_t));
	g->rsrc = xmalloc(g->ne * sizeof(uint32_t));
	if (g->off == NULL || g->roff == NULL)
		exit(2);
	uint32_t *fc = calloc(n + 1, sizeof(uint32_t));
	uint32_t *rc = calloc(n + 1, sizeof(uint32_t));
	if (fc == NULL || rc == NULL)
		exit(2);
	for (size_t e = 0; e < g->ne; e++) {
		fc[g->from[e] + 1]++;
		rc[(g->to[e] & ~PM_DOM_SKIP) + 1]++;
	}
	for (size_t v = 0; v < n; v++) {
		fc[v + 1] += fc[v];
		rc[v + 1] += rc[v];
	}
	memcpy(g->off, fc, (n + 1) * sizeof(uint32_t));
	memcpy(g->roff, rc, (n + 1) * sizeof(uint32_t));
	for (size_t e = 0; e < g->ne; e++) {
		uint32_t t = g->to[e] & ~PM_DOM_SKIP;
		g->dst[fc[g->from[e]]++] = g->to[e];
		g->rsrc[rc[t]++] = g->from[e] | (g->to[e] & PM_DOM_SKIP);
	}
	free(fc);
	free(rc);
	dg->n = n;
	dg->off = g->off;
	dg->dst = g->dst;
	dg->roff = g->roff;
	dg->rsrc = g->rsrc;
	dg->roots = g->roots;
	dg->nroots = g->nroots;
}

static void
tg_free(struct tg *g)
{
	free(g->from);
	free(g->to);
	free(g->roots);
	free(g->off);
	free(g->dst);
	free(g->roff);
	free(g->rsrc);
}

/* Reachable from the super-root with node `removed` taken out. */
static void
reach(const struct tg *g, uint32_t removed, unsigned char *seen)
{
	size_t n = g->n, sp = 0;
	uint32_t *stack = xmalloc((n + 1) * sizeof(uint32_t));

	memset(seen, 0, n);
	for (size_t i = 0; i < g->nroots; i++) {
		uint32_t r = g->roots[i];
		if (r != removed && !seen[r]) {
			seen[r] = 1;
			stack[sp++] = r;
		}
	}
	while (sp > 0) {
		uint32_t v = stack[--sp];
		for (uint32_t e = g->off[v]; e < g->off[v + 1]; e++) {
			uint32_t w = g->dst[e];
			if ((w & PM_DOM_SKIP) || w == removed || seen[w])
				continue;
			seen[w] = 1;
			stack[sp++] = w;
		}
	}
	free(stack);
}

static uint64_t
unit_size(void *arg, size_t v)
{
	const uint64_t *sizes = arg;

	return sizes[v];
}

/*
 * Check d against brute force: idom(v) is the strict dominator of v that
 * every other strict dominator dominates (the one with most dominators),
 * and ret[v] is the size of what removing v makes unreachable, plus v.
 */
static void
check_brute(const char *name, struct tg *g, const struct pm_dom *d,
    const uint64_t *sizes)
{
	size_t n = g->n;
	unsigned char *base = xmalloc(n + 1), *seen = xmalloc(n + 1);
	unsigned char *dom = xmalloc(n * n + 1);	/* dom[a*n+b]: a dom b */
	uint64_t *ret = xmalloc((n + 1) * sizeof(uint64_t));
	uint32_t *cnt = xmalloc((n + 1) * sizeof(uint32_t));

	pm_dom_retained(d, unit_size, (void *)sizes, ret, cnt);
	reach(g, PM_DOM_NONE, base);
	memset(dom, 0, n * n);
	for (uint32_t a = 0; a < n; a++) {
		uint64_t want = 0;
		uint32_t wantc = 0;
		if (!base[a]) {
			CHECK(d->idom[a] == PM_DOM_NONE, "%s: node %u is not "
			    "reachable but has idom %u", name, a, d->idom[a]);
			CHECK(ret[a] == 0, "%s: unreachable %u retains %llu",
			    name, a, (unsigned long long)ret[a]);
			continue;
		}
		reach(g, a, seen);
		for (uint32_t b = 0; b < n; b++)
			if (base[b] && (b == a || !seen[b])) {
				dom[(size_t)a * n + b] = 1;
				want += sizes[b];
				wantc++;
			}
		CHECK(ret[a] == want, "%s: retained(%u) = %llu, brute force %llu",
		    name, a, (unsigned long long)ret[a], (unsigned long long)want);
		CHECK(cnt[a] == wantc, "%s: count(%u) = %u, brute force %u",
		    name, a, cnt[a], wantc);
	}
	for (uint32_t v = 0; v < n; v++) {
		uint32_t best = (uint32_t)n, bestk = 0;
		if (!base[v])
			continue;
		for (uint32_t a = 0; a < n; a++) {
			uint32_t k = 0;
			if (a == v || !dom[(size_t)a * n + v])
				continue;
			for (uint32_t c = 0; c < n; c++)
				k += dom[(size_t)c * n + a];
			if (best == n || k > bestk) {
				best = a;
				bestk = k;
			}
		}
		CHECK(d->idom[v] == best, "%s: idom(%u) = %u, brute force %u",
		    name, v, d->idom[v], best);
	}
	/* The order: a permutation of the reached nodes, idom first. */
	unsigned char *pos = calloc(n + 1, 1);
	CHECK(pos != NULL, "out of memory");
	if (pos) {
		CHECK(d->norder >= 1 && d->order[0] == n, "%s: order does not "
		    "start at the super-root", name);
		for (size_t i = 0; i < d->norder; i++) {
			uint32_t v = d->order[i];
			CHECK(v == n || pos[d->idom[v]], "%s: %u comes before its "
			    "idom %u", name, v, d->idom[v]);
			pos[v] = 1;
		}
		free(pos);
	}
	free(base);
	free(seen);
	free(dom);
	free(ret);
	free(cnt);
}

static void
run(const char *name, struct tg *g, const uint64_t *sizes)
{
	struct pm_domgraph dg;
	struct pm_dom d;
	struct pm_err e;

	tg_csr(g, &dg);
	if (pm_dom_compute(&d, &dg, NULL, NULL, &e) < 0) {
		CHECK(0, "%s: %s", name, e.msg);
		return;
	}
	check_brute(name, g, &d, sizes);
	pm_dom_release(&d);
}

static uint64_t ones[4096];

/* Hand-made graphs with their idoms written out, then checked by brute force. */
static void
test_fixed(void)
{
	struct tg g;
	struct pm_domgraph dg;
	struct pm_dom d;
	struct pm_err e;

	/* A cycle 0 -> 1 -> 2 -> 0 entered at 0. */
	tg_init(&g, 3);
	tg_root(&g, 0);
	tg_edge(&g, 0, 1, 0);
	tg_edge(&g, 1, 2, 0);
	tg_edge(&g, 2, 0, 0);
	tg_csr(&g, &dg);
	CHECK(pm_dom_compute(&d, &dg, NULL, NULL, &e) == 0, "cycle: %s", e.msg);
	CHECK(d.idom[0] == 3 && d.idom[1] == 0 && d.idom[2] == 1 &&
	    d.idom[3] == 3, "cycle: idoms %u %u %u", d.idom[0], d.idom[1],
	    d.idom[2]);
	uint64_t sz[3] = { 10, 20, 40 }, ret[4];
	uint32_t cnt[4];
	pm_dom_retained(&d, unit_size, sz, ret, cnt);
	CHECK(ret[0] == 70 && ret[1] == 60 && ret[2] == 40 && ret[3] == 70 &&
	    cnt[0] == 3 && cnt[3] == 3, "cycle: retained %llu %llu %llu",
	    (unsigned long long)ret[0], (unsigned long long)ret[1],
	    (unsigned long long)ret[2]);
	pm_dom_release(&d);
	tg_free(&g);

	/* A diamond 0 -> {1, 2} -> 3 -> 4: 3 is dominated by 0 only. */
	tg_init(&g, 5);
	tg_root(&g, 0);
	tg_edge(&g, 0, 1, 0);
	tg_edge(&g, 0, 2, 0);
	tg_edge(&g, 1, 3, 0);
	tg_edge(&g, 2, 3, 0);
	tg_edge(&g, 3, 4, 0);
	tg_csr(&g, &dg);
	CHECK(pm_dom_compute(&d, &dg, NULL, NULL, &e) == 0, "diamond: %s", e.msg);
	CHECK(d.idom[1] == 0 && d.idom[2] == 0 && d.idom[3] == 0 &&
	    d.idom[4] == 3, "diamond: idoms %u %u %u %u", d.idom[1],
	    d.idom[2], d.idom[3], d.idom[4]);
	pm_dom_release(&d);
	run("diamond", &g, ones);
	tg_free(&g);

	/* The example of Lengauer and Tarjan's paper: R=0, A..L = 1..12. */
	static const char *const lt_edges[] = { "RA", "RB", "RC", "AD", "BA",
		"BD", "BE", "CF", "CG", "DL", "EH", "FI", "GI", "GJ", "HE", "HK",
		"IK", "JI", "KI", "KR", "LH" };
	static const char lt_idom[] = "RRRRRCCRRGRD";	/* of A..L */
	const char *names = "RABCDEFGHIJKL";
	tg_init(&g, 13);
	tg_root(&g, 0);
	for (size_t i = 0; i < sizeof(lt_edges) / sizeof(lt_edges[0]); i++)
		tg_edge(&g, (uint32_t)(strchr(names, lt_edges[i][0]) - names),
		    (uint32_t)(strchr(names, lt_edges[i][1]) - names), 0);
	tg_csr(&g, &dg);
	CHECK(pm_dom_compute(&d, &dg, NULL, NULL, &e) == 0, "paper: %s", e.msg);
	for (int v = 1; v <= 12; v++)
		CHECK(d.idom[v] == (uint32_t)(strchr(names, lt_idom[v - 1]) - names),
		    "paper: idom(%c) = %c, want %c", names[v],
		    d.idom[v] < 13 ? names[d.idom[v]] : '?', lt_idom[v - 1]);
	pm_dom_release(&d);
	tg_free(&g);

	/*
	 * Skipped (weak) edges do not count: 0 -> 1 -> 2 and a skipped 0 -> 2
	 * leave 2 dominated by 1. Node 3 is unreachable but for a skipped
	 * edge; node 4 is reached only as a second root.
	 */
	tg_init(&g, 5);
	tg_root(&g, 0);
	tg_root(&g, 4);
	tg_edge(&g, 0, 1, 0);
	tg_edge(&g, 1, 2, 0);
	tg_edge(&g, 0, 2, 1);
	tg_edge(&g, 2, 3, 1);
	tg_edge(&g, 4, 2, 1);
	tg_csr(&g, &dg);
	CHECK(pm_dom_compute(&d, &dg, NULL, NULL, &e) == 0, "skip: %s", e.msg);
	CHECK(d.idom[0] == 5 && d.idom[1] == 0 && d.idom[2] == 1 &&
	    d.idom[3] == PM_DOM_NONE && d.idom[4] == 5,
	    "skip: idoms %u %u %u %u %u", d.idom[0], d.idom[1], d.idom[2],
	    d.idom[3], d.idom[4]);
	pm_dom_release(&d);
	run("skip", &g, ones);
	tg_free(&g);

	/* Two roots reaching one node: only the super-root dominates it. */
	tg_init(&g, 3);
	tg_root(&g, 0);
	tg_root(&g, 1);
	tg_edge(&g, 0, 2, 0);
	tg_edge(&g, 1, 2, 0);
	tg_csr(&g, &dg);
	CHECK(pm_dom_compute(&d, &dg, NULL, NULL, &e) == 0, "roots: %s", e.msg);
	CHECK(d.idom[2] == 3, "roots: idom(2) = %u", d.idom[2]);
	pm_dom_release(&d);
	tg_free(&g);
}

/* A chain of a million nodes and a ring of as many: no recursion. */
static void
test_long(void)
{
	const uint32_t n = 1000000;
	struct tg g;
	struct pm_domgraph dg;
	struct pm_dom d;
	struct pm_err e;
	uint64_t *sz = xmalloc(n * sizeof(uint64_t)), *ret;
	uint32_t *cnt, *koff, *kids;

	for (uint32_t ring = 0; ring < 2; ring++) {
		tg_init(&g, n);
		tg_root(&g, 0);
		for (uint32_t v = 0; v + 1 < n; v++) {
			tg_edge(&g, v, v + 1, 0);
			sz[v] = v % 7 + 1;
		}
		sz[n - 1] = 5;
		if (ring) {
			tg_edge(&g, n - 1, 0, 0);
			/* Back edges to earlier nodes change nothing either. */
			for (uint32_t v = 1000; v < n; v += 1000)
				tg_edge(&g, v, v - 999, 0);
		}
		tg_csr(&g, &dg);
		if (pm_dom_compute(&d, &dg, NULL, NULL, &e) < 0) {
			CHECK(0, "chain: %s", e.msg);
			return;
		}
		ret = xmalloc((n + 1) * sizeof(uint64_t));
		cnt = xmalloc((n + 1) * sizeof(uint32_t));
		pm_dom_retained(&d, unit_size, sz, ret, cnt);
		uint64_t tail = 0;
		int bad = 0;
		for (uint32_t v = n; v-- > 0;) {
			tail += sz[v];
			if (d.idom[v] != (v ? v - 1 : n) || ret[v] != tail ||
			    cnt[v] != n - v)
				bad++;
		}
		CHECK(bad == 0, "%s: %d nodes with a wrong idom or retained size",
		    ring ? "ring" : "chain", bad);
		CHECK(ret[n] == tail && cnt[n] == n, "chain: super-root total");
		CHECK(pm_dom_children(&d, &koff, &kids) == 0, "children: oom");
		CHECK(koff[n + 1] == n && koff[n] == n - 1 && kids[n - 1] == 0 &&
		    koff[5] == 5 && kids[5] == 6, "children of a chain");
		free(koff);
		free(kids);
		free(ret);
		free(cnt);
		pm_dom_release(&d);
		tg_free(&g);
	}
	free(sz);
}

/* Random graphs, small enough for brute force, with cycles and skips. */
static void
test_random(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	uint64_t sizes[64];

	for (int round = 0; round < 3000; round++) {
		struct tg g;
		char name[64];
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t n = 1 + (size_t)(seed >> 33) % 40;
		size_t ne = (size_t)(seed >> 20) % (3 * n + 1);
		tg_init(&g, n);
		for (size_t v = 0; v < n; v++)
			sizes[v] = 1 + (v * 37 + (size_t)round) % 100;
		tg_root(&g, 0);
		if (round % 3 == 0 && n > 2)
			tg_root(&g, (uint32_t)(n / 2));
		for (size_t i = 0; i < ne; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			uint32_t a = (uint32_t)((seed >> 33) % n);
			uint32_t b = (uint32_t)((seed >> 13) % n);
			tg_edge(&g, a, b, (seed >> 60) == 0);
		}
		snprintf(name, sizeof(name), "random graph %d", round);
		run(name, &g, sizes);
		tg_free(&g);
	}
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(ones) / sizeof(ones[0]); i++)
		ones[i] = 1;
	test_fixed();
	test_long();
	test_random();
	if (failures) {
		fprintf(stderr, "test-dominator: %d failures\n", failures);
		return 1;
	}
	return 0;
}

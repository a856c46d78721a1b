/* obmalloc.c - pymalloc's arenas, pools and blocks in a snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obmalloc.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

/* Bounds against hostile snapshots. */
#define MAX_INTERPS 256		/* interpreters followed */
#define MAX_TABLES 64		/* distinct arena tables */
#define SIZE_CLASSES 32		/* SMALL_REQUEST_THRESHOLD / ALIGNMENT */

struct table {
	uint64_t arenas;	/* struct arena_object[maxarenas] */
	uint64_t maxarenas;
};

static void
set_status(struct pm_obmalloc *m, enum pm_obmalloc_status st,
    const char *why)
{
	m->status = st;
	snprintf(m->why, sizeof(m->why), "%s", why);
}

static uint32_t
u32_at(const unsigned char *p, int64_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t
u64_at(const unsigned char *p, int64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/*
 * Measure the arena at a->start with the arena_object ao, as
 * _debugmallocstats does: carved pools below pool_address with a block
 * count are in use, the others and the nfreepools never carved are
 * unused. The arena is consistent when everything was captured, sane and
 * adds up to the arena size.
 */
static void
measure(struct pm_arena *a, const unsigned char *ao, const struct pm_snap *s,
    const struct pm_layout *l, uint64_t arena_size, uint64_t pool_size)
{
	int64_t overhead = PM_L(l, POOL_OVERHEAD);
	int shift = (int)PM_L(l, OBMALLOC_ALIGNMENT_SHIFT);
	uint64_t base = a->start, limit = a->start + arena_size;
	uint64_t pool_address = u64_at(ao, PM_L(l, ARENA_OBJECT_POOL_ADDRESS));
	uint64_t nfree = u32_at(ao, PM_L(l, ARENA_OBJECT_NFREEPOOLS));
	uint64_t sum;

	a->consistent = 0;
	if (base & (pool_size - 1)) {
		a->alignment = pool_size;
		base = (base | (pool_size - 1)) + 1;
	}
	if (pool_address < base || pool_address > limit ||
	    (pool_address - base) % pool_size != 0 ||
	    nfree > arena_size / pool_size)
		return;
	a->unused_pools = nfree * pool_size;
	for (; base < pool_address; base += pool_size) {
		const unsigned char *p = pm_snap_ptr(s, base, (size_t)overhead);
		uint64_t count, size, nblocks;
		uint32_t szidx;
		if (p == NULL)
			return;
		count = u32_at(p, PM_L(l, POOL_HEADER_COUNT));
		if (count == 0)
			continue;	/* empty: among the nfreepools */
		szidx = u32_at(p, PM_L(l, POOL_HEADER_SZIDX));
		if (szidx >= SIZE_CLASSES)
			return;
		size = (uint64_t)(szidx + 1) << shift;
		nblocks = (pool_size - (uint64_t)overhead) / size;
		if (count > nblocks)
			return;
		a->used += count * size;
		a->free_blocks += (nblocks - count) * size;
		a->headers += (uint64_t)overhead;
		a->quantization += (pool_size - (uint64_t)overhead) % size;
	}
	sum = a->used + a->free_blocks + a->unused_pools + a->headers +
	    a->quantization + a->alignment;
	a->consistent = sum == arena_size;
}

/* The arena tables: the statics (3.8-3.11), or each interpreter's. */
static size_t
find_tables(struct pm_obmalloc *m, const struct pm_snap *s,
    const struct pm_layout *l, struct table *t)
{
	size_t n = 0;
	uint64_t rt, interp, state;
	uint32_t max32;

	if (PM_L(l, INTERP_OBMALLOC) < 0 && PM_L(l, INTERP_OBMALLOC_PTR) < 0) {
		uint64_t sa = pm_snap_sym(s, "arenas");
		uint64_t sm = pm_snap_sym(s, "maxarenas");
		if (sa == 0 || sm == 0) {
			set_status(m, PM_OBMALLOC_NO_SYMBOLS, "the snapshot lacks "
			    "the symbols 'arenas' and 'maxarenas' (a stripped "
			    "python?)");
			return 0;
		}
		if (pm_snap_u64(s, sa, &t[0].arenas) < 0 ||
		    pm_snap_read(s, sm, &max32, 4) < 0) {
			set_status(m, PM_OBMALLOC_UNREADABLE, "the arena table "
			    "pointer was not captured");
			return 0;
		}
		t[0].maxarenas = max32;
		return 1;
	}
	if ((rt = pm_snap_sym(s, "_PyRuntime")) == 0 || pm_snap_u64(s,
	    rt + (uint64_t)PM_L(l, RUNTIME_INTERPRETERS_HEAD), &interp) < 0) {
		set_status(m, PM_OBMALLOC_UNREADABLE, "no interpreter state");
		return 0;
	}
	for (int i = 0; interp != 0 && i < MAX_INTERPS && n < MAX_TABLES; i++) {
		uint64_t arenas;
		size_t k;
		if (PM_L(l, INTERP_OBMALLOC) >= 0)
			state = interp + (uint64_t)PM_L(l, INTERP_OBMALLOC);
		else if (pm_snap_u64(s, interp +
		    (uint64_t)PM_L(l, INTERP_OBMALLOC_PTR), &state) < 0)
			break;
		/* A sub-interpreter sharing the main allocator has none. */
		if (pm_snap_u64(s, state + (uint64_t)PM_L(l, OBMALLOC_MGMT_ARENAS),
		    &arenas) == 0 && arenas != 0 &&
		    pm_snap_read(s, state + (uint64_t)PM_L(l,
		    OBMALLOC_MGMT_MAXARENAS), &max32, 4) == 0) {
			for (k = 0; k < n && t[k].arenas != arenas; k++)
				;
			if (k == n) {
				t[n].arenas = arenas;
				t[n++].maxarenas = max32;
			}
		}
		if (pm_snap_u64(s, interp + (uint64_t)PM_L(l, INTERP_NEXT),
		    &interp) < 0)
			break;
	}
	if (n == 0)
		set_status(m, PM_OBMALLOC_UNREADABLE, "no interpreter has a "
		    "readable arena table");
	return n;
}

/* An arena found in a table, with its arena_object, before measuring. */
struct found {
	uint64_t start;
	const unsigned char *ao;
};

static int
cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Fail as unreadable: m is left empty with the reason. */
static int
unreadable(struct pm_obmalloc *m, struct found *f, const char *why)
{
	free(f);
	pm_obmalloc_release(m);
	set_status(m, PM_OBMALLOC_UNREADABLE, why);
	return 0;
}

int
pm_obmalloc_open(struct pm_obmalloc *m, const struct pm_snap *s,
    struct pm_err *e)
{
	struct table t[MAX_TABLES];
	const struct pm_layout *l;
	struct found *f = NULL;
	size_t ntables, nf = 0, cap = 0;
	uint64_t objsize, most;

	memset(m, 0, sizeof(*m));
	if ((s->py_version >> 24) != 3 ||
	    (l = pm_layout_get((int)(s->py_version >> 16 & 0xff))) == NULL) {
		set_status(m, PM_OBMALLOC_UNREADABLE, "unknown python version");
		return 0;
	}
	m->arena_size = (uint64_t)PM_L(l, ARENA_SIZE);
	m->pool_size = (uint64_t)PM_L(l, POOL_SIZE);
	objsize = (uint64_t)PM_L(l, ARENA_OBJECT_SIZE);
	/* Arenas are memory of the process, all of which a snapshot holds. */
	most = s->data_bytes / m->arena_size + 1;
	if ((ntables = find_tables(m, s, l, t)) == 0)
		return 0;
	for (size_t k = 0; k < ntables; k++) {
		const unsigned char *tab = pm_snap_ptr(s, t[k].arenas,
		    (size_t)(t[k].maxarenas * objsize));
		if (tab == NULL)
			return unreadable(m, f, "the arena table was not captured");
		for (uint64_t i = 0; i < t[k].maxarenas; i++) {
			const unsigned char *ao = tab + i * objsize;
			uint64_t start = u64_at(ao, PM_L(l, ARENA_OBJECT_ADDRESS));
			if (start == 0)
				continue;
			if (start > UINT64_MAX - m->arena_size || nf >= most)
				return unreadable(m, f, "the arena table is not "
				    "sane");
			if (nf == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				struct found *v = reallocarray(f, ncap, sizeof(*v));
				if (v == NULL) {
					free(f);
					return pm_error(e, PM_EXIT_INPUT,
					    "out of memory");
				}
				f = v;
				cap = ncap;
			}
			f[nf].start = start;
			f[nf++].ao = ao;
		}
	}
	if (nf > 1)
		qsort(f, nf, sizeof(*f), cmp_found);
	for (size_t i = 1; i < nf; i++)
		if (f[i].start < f[i - 1].start + m->arena_size)
			return unreadable(m, f, "arenas overlap");
	/* Measured only now: at most one pass over the captured memory. */
	if (nf && (m->arenas = calloc(nf, sizeof(*m->arenas))) == NULL) {
		free(f);
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	}
	m->narenas = nf;
	for (size_t i = 0; i < nf; i++) {
		struct pm_arena *a = &m->arenas[i];
		a->start = f[i].start;
		a->end = f[i].start + m->arena_size;
		measure(a, f[i].ao, s, l, m->arena_size, m->pool_size);
		if (!a->consistent)
			m->ninconsistent++;
		m->total.used += a->used;
		m->total.free_blocks += a->free_blocks;
		m->total.unused_pools += a->unused_pools;
		m->total.headers += a->headers;
		m->total.quantization += a->quantization;
		m->total.alignment += a->alignment;
	}
	free(f);
	m->total.consistent = m->ninconsistent == 0;
	m->status = PM_OBMALLOC_OK;
	return 0;
}

void
pm_obmalloc_release(struct pm_obmalloc *m)
{
	free(m->arenas);
	m->arenas = NULL;
	m->narenas = 0;
}

const struct pm_arena *
pm_obmalloc_find(const struct pm_obmalloc *m, uint64_t addr)
{
	size_t lo = 0, hi = m->narenas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pm_arena *a = &m->arenas[mid];
		if (addr < a->start)
			hi = mid;
		else if (addr >= a->end)
			lo = mid + 1;
		else
			return a;
	}
	return NULL;
}

/*
 * mkseed - cut a real snapshot down to small fuzz seeds.
 *
 * usage: mkseed [-b bytes] [-n seeds] snapshot prefix
 *
 * A snapshot of even an idle interpreter is megabytes, too big to mutate
 * well and too slow to enumerate thousands of times a second. A seed here
 * keeps only the bytes the object model reads for a few objects: the
 * interpreter state, one GC-tracked object of each of a share of the
 * types (seed k of n gets every n-th type) and a few dicts with split
 * tables, the thread states and frames,
 * and the objects those refer to, a few levels deep, until a budget of
 * bytes is spent. Everything else is left out of the seed, so references
 * into it end where they would end in a corrupt snapshot.
 *
 * How: lib/heap.c is compiled into this program with the snapshot reads
 * it makes (pm_snap_ptr, pm_snap_u64, pm_snap_map, pm_snap_sym) routed
 * through functions here that record each range read, and refuse new
 * ranges once the budget is spent. The GC generation lists are relinked
 * in a private copy to hold just the chosen objects (and 3.12+'s table
 * of static builtin types cut to its first entries); the seed is that
 * copy's recorded ranges, written raw as prefix-K.pmd (K from 0).
 * Each seed is read back and enumerated before this exits 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"
#include "util.h"

/* The reads lib/heap.c makes, routed through the recorder below. */
static const void *rec_ptr(const struct pm_snap *s, uint64_t addr,
    size_t len);
static int rec_u64(const struct pm_snap *s, uint64_t addr, uint64_t *v);
static const struct pm_map *rec_map(const struct pm_snap *s, uint64_t addr);
static uint64_t rec_sym(const struct pm_snap *s, const char *name);

#define pm_snap_ptr rec_ptr
#define pm_snap_u64 rec_u64
#define pm_snap_map rec_map
#define pm_snap_sym rec_sym
#include "../../lib/heap.c"
#undef pm_snap_ptr
#undef pm_snap_u64
#undef pm_snap_map
#undef pm_snap_sym

/* ---- the recorder ---- */

struct range {
	uint64_t lo, hi;
};

static struct {
	int on;			/* record and limit; off = plain reads */
	int deny;		/* refuse every range not yet recorded */
	uint64_t bytes, budget;
	struct range *v;	/* sorted, disjoint, not adjacent */
	size_t n, cap;
	char **syms;
	size_t nsyms;
} rec;

/* Index of the first range whose hi >= lo. */
static size_t
rec_find(uint64_t lo)
{
	size_t a = 0, b = rec.n;

	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (rec.v[m].hi < lo)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static int
rec_covered(uint64_t lo, uint64_t hi)
{
	size_t i = rec_find(lo);

	return i < rec.n && rec.v[i].lo <= lo && hi <= rec.v[i].hi;
}

/* Add [lo, hi) (8-byte aligned outwards) to the set; count new bytes. */
static void
rec_add(uint64_t lo, uint64_t hi)
{
	size_t i, j;
	uint64_t had = 0;

	lo &= ~7ULL;
	hi = (hi + 7) & ~7ULL;
	i = rec_find(lo);
	for (j = i; j < rec.n && rec.v[j].lo <= hi; j++) {
		had += rec.v[j].hi - rec.v[j].lo;
		if (rec.v[j].lo < lo)
			lo = rec.v[j].lo;
		if (rec.v[j].hi > hi)
			hi = rec.v[j].hi;
	}
	if (j == i) {
		if (rec.n == rec.cap) {
			rec.cap = rec.cap ? rec.cap * 2 : 1024;
			rec.v = pm_xreallocarray(rec.v, rec.cap, sizeof(*rec.v));
		}
		memmove(&rec.v[i + 1], &rec.v[i], (rec.n - i) * sizeof(*rec.v));
		rec.n++;
	} else if (j > i + 1) {
		memmove(&rec.v[i + 1], &rec.v[j], (rec.n - j) * sizeof(*rec.v));
		rec.n -= j - i - 1;
	}
	rec.v[i] = (struct range){ lo, hi };
	rec.bytes += (hi - lo) - had;
}

/* May heap.c read [addr, addr + len)? Records it when it may. */
static int
rec_allow(uint64_t addr, size_t len)
{
	if (!rec.on || len == 0 || rec_covered(addr, addr + len))
		return 1;
	/* Big arrays (a module's dict, a long list) would eat the budget. */
	if (rec.deny || len > 16384 || rec.bytes + len > rec.budget)
		return 0;
	rec_add(addr, addr + len);
	return 1;
}

static const void *
rec_ptr(const struct pm_snap *s, uint64_t addr, size_t len)
{
	const void *p = pm_snap_ptr(s, addr, len);

	return p != NULL && rec_allow(addr, len) ? p : NULL;
}

static int
rec_u64(const struct pm_snap *s, uint64_t addr, uint64_t *v)
{
	if (pm_snap_u64(s, addr, v) < 0 || !rec_allow(addr, 8))
		return -1;
	return 0;
}

/*
 * heap.c asks for the mapping of an address to look objects up in its
 * index and to read C strings (type names) straight from the data: keep
 * the string, at most as much as read_cstr reads.
 */
static const struct pm_map *
rec_map(const struct pm_snap *s, uint64_t addr)
{
	const struct pm_map *m = pm_snap_map(s, addr);

	if (m != NULL && rec.on) {
		const char *p = (const char *)m->data + (addr - m->start);
		size_t avail = m->end - addr < MAX_NAME ? (size_t)(m->end - addr) :
		    MAX_NAME;
		size_t n = strnlen(p, avail);
		rec_allow(addr, n < avail ? n + 1 : n);
	}
	return m;
}

static uint64_t
rec_sym(const struct pm_snap *s, const char *name)
{
	size_t i;

	if (rec.on) {
		for (i = 0; i < rec.nsyms && strcmp(rec.syms[i], name) != 0; i++)
			;
		if (i == rec.nsyms) {
			rec.syms = pm_xreallocarray(rec.syms, rec.nsyms + 1,
			    sizeof(*rec.syms));
			rec.syms[rec.nsyms++] = pm_xstrdup(name);
		}
		/* pm_heap_open asks for this one just before its walk. */
		if (strcmp(name, "_Py_NotImplementedStruct") == 0)
			rec.deny = 1;
	}
	return pm_snap_sym(s, name);
}

static void
rec_reset(uint64_t budget)
{
	for (size_t i = 0; i < rec.nsyms; i++)
		free(rec.syms[i]);
	free(rec.syms);
	free(rec.v);
	memset(&rec, 0, sizeof(rec));
	rec.budget = budget;
}

/* ---- a private, writable copy of a snapshot ---- */

/* Copy s; the copy's data are malloc'd and written by poke(). */
static void
snap_copy(struct pm_snap *c, const struct pm_snap *s)
{
	*c = *s;
	c->mm_ = NULL;
	c->bufs_ = NULL;
	c->nbufs_ = 0;
	c->maps = pm_xcalloc(s->nmaps ? s->nmaps : 1, sizeof(*c->maps));
	for (size_t i = 0; i < s->nmaps; i++) {
		size_t n = (size_t)(s->maps[i].end - s->maps[i].start);
		unsigned char *d = pm_xmalloc(n ? n : 1);
		memcpy(d, s->maps[i].data, n);
		c->maps[i] = s->maps[i];
		c->maps[i].data = d;
		c->maps[i].bridge_ = NULL;
	}
}

static void
snap_copy_free(struct pm_snap *c)
{
	for (size_t i = 0; i < c->nmaps; i++)
		free((void *)c->maps[i].data);
	free(c->maps);
}

static void
poke(struct pm_snap *c, uint64_t addr, uint64_t v)
{
	const struct pm_map *m = pm_snap_map(c, addr);

	if (m == NULL || m->end - addr < 8)
		return;
	memcpy((unsigned char *)m->data + (addr - m->start), &v, 8);
}

static uint64_t
peek(const struct pm_snap *c, uint64_t addr)
{
	uint64_t v;

	return pm_snap_u64(c, addr, &v) < 0 ? 0 : v;
}

/*
 * Relink the GC lists of the first interpreter of c: the first generation
 * holds objs[0..n) (object addresses), the others nothing. Cut 3.12+'s
 * static builtin types to the first few.
 */
static void
relink(struct pm_snap *c, const struct pm_layout *l, const uint64_t *objs,
    size_t n)
{
	uint64_t rt = pm_snap_sym(c, "_PyRuntime"), interp, gc, head, prev;
	uint64_t ghs = (uint64_t)PM_L(l, GC_HEAD_SIZE);
	uint64_t noff = (uint64_t)PM_L(l, GC_HEAD_NEXT);

	interp = peek(c, rt + (uint64_t)PM_L(l, RUNTIME_INTERPRETERS_HEAD));
	if (PM_L(l, RUNTIME_GC) >= 0)
		gc = rt + (uint64_t)PM_L(l, RUNTIME_GC);
	else
		gc = interp + (uint64_t)PM_L(l, INTERP_GC);
	for (int g = 0; g <= PM_L(l, NUM_GENERATIONS); g++) {
		if (g == PM_L(l, NUM_GENERATIONS)) {
			if (PM_L(l, GC_PERMANENT_GENERATION) < 0)
				break;
			head = gc + (uint64_t)PM_L(l, GC_PERMANENT_GENERATION);
		} else {
			head = gc + (uint64_t)PM_L(l, GC_GENERATIONS) +
			    (uint64_t)g * (uint64_t)PM_L(l, GC_GENERATION_SIZE);
		}
		head += (uint64_t)PM_L(l, GC_GENERATION_HEAD);
		prev = head;
		for (size_t i = 0; g == 0 && i < n; i++) {
			poke(c, prev + noff, objs[i] - ghs);
			prev = objs[i] - ghs;
		}
		poke(c, prev + noff, head);
	}
	if (PM_L(l, INTERP_TYPES_BUILTINS) >= 0) {
		for (int i = 8; i < PM_L(l, INTERP_TYPES_NUM_BUILTINS); i++) {
			uint64_t st = interp + (uint64_t)PM_L(l, INTERP_TYPES_BUILTINS) +
			    (uint64_t)i * (uint64_t)PM_L(l, STATIC_BUILTIN_STATE_SIZE);
			poke(c, st + (uint64_t)PM_L(l, STATIC_BUILTIN_STATE_TYPE), 0);
			poke(c, st + (uint64_t)PM_L(l, STATIC_BUILTIN_STATE_TP_DICT), 0);
			poke(c, st + (uint64_t)PM_L(l,
			    STATIC_BUILTIN_STATE_TP_SUBCLASSES), 0);
		}
	}
}

/* Write c raw to a temporary file and read it back into out. */
static void
reopen(struct pm_snap *out, const struct pm_snap *c)
{
	struct pm_snap_wopts o = { .raw = 1 };
	struct pm_err e;
	FILE *f = tmpfile();

	if (f == NULL)
		pm_die_errno(PM_EXIT_INPUT, "cannot create a temporary file");
	if (pm_snap_write(c, fileno(f), &o, &e) < 0)
		pm_die_err(&e);
	if (lseek(fileno(f), 0, SEEK_SET) < 0)
		pm_die_errno(PM_EXIT_INPUT, "cannot rewind a temporary file");
	if (pm_snap_fdopen(out, fileno(f), "<copy>", &e) < 0)
		pm_die_err(&e);
	fclose(f);	/* the mapping stays */
}

/* ---- expanding the heap under the budget ---- */

struct expand {
	struct pm_heap *h;
};

static int
expand_cb(void *arg, const struct pm_edge *e)
{
	struct expand *x = arg;

	add(x->h, e->target, e->kind == PM_EDGE_GUESS);
	return x->h->oom;
}

/* ---- writing a seed ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The seed: c's header, the symbols heap.c looked up, and the recorded
 * ranges, cut at c's mapping boundaries (ranges that nearly touch within
 * one mapping are joined).
 */
static void
write_seed(const struct pm_snap *c, const char *path)
{
	struct pm_snap s = *c;
	struct pm_snap_wopts o = { .raw = 1 };
	struct pm_err e;
	size_t cap = 0;
	FILE *f;

	s.nmaps = 0;
	s.maps = NULL;
	s.mm_ = NULL;
	s.bufs_ = NULL;
	s.nbufs_ = 0;
	for (size_t i = 0; i < rec.n; i++) {
		uint64_t lo = rec.v[i].lo;
		while (lo < rec.v[i].hi) {
			const struct pm_map *m = pm_snap_map(c, lo);
			uint64_t hi;
			if (m == NULL) {
				lo += 8;
				continue;
			}
			hi = rec.v[i].hi < m->end ? rec.v[i].hi : m->end;
			if (s.nmaps > 0 && s.maps[s.nmaps - 1].path == m->path &&
			    lo - s.maps[s.nmaps - 1].end <= 64) {
				s.maps[s.nmaps - 1].end = hi;
			} else {
				if (s.nmaps == cap) {
					cap = cap ? cap * 2 : 256;
					s.maps = pm_xreallocarray(s.maps, cap,
					    sizeof(*s.maps));
				}
				s.maps[s.nmaps++] = (struct pm_map){
				    .start = lo, .end = hi, .offset = 0,
				    .prot = m->prot, .path = m->path,
				    .data = m->data + (lo - m->start) };
			}
			lo = hi;
		}
	}
	/* Paths only tell mappings apart above; the seed needs none. */
	for (size_t i = 0; i < s.nmaps; i++)
		s.maps[i].path = "";
	qsort(rec.syms, rec.nsyms, sizeof(*rec.syms), cmp_str);
	s.syms = pm_xcalloc(rec.nsyms ? rec.nsyms : 1, sizeof(*s.syms));
	s.nsyms = 0;
	for (size_t i = 0; i < rec.nsyms; i++) {
		uint64_t a = pm_snap_sym(c, rec.syms[i]);
		if (a)
			s.syms[s.nsyms++] = (struct pm_sym){ rec.syms[i], a };
	}
	if ((f = fopen(path, "w")) == NULL)
		pm_die_errno(PM_EXIT_INPUT, "cannot create '%s'", path);
	if (pm_snap_write(&s, fileno(f), &o, &e) < 0)
		pm_die_err(&e);
	if (fclose(f) != 0)
		pm_die_errno(PM_EXIT_INPUT, "cannot write '%s'", path);
	free(s.maps);
	free(s.syms);
}

/* Read a seed back: it must parse and enumerate. */
static void
check_seed(const char *path)
{
	struct pm_snap s;
	struct pm_err e;
	struct pm_heap *h;

	if (pm_snap_open(&s, path, &e) < 0)
		pm_die_err(&e);
	if ((h = pm_heap_open(&s, NULL, NULL, &e)) == NULL)
		pm_die(PM_EXIT_INPUT, "%s: %s", path, e.msg);
	fprintf(stderr, "%s: %" PRIu64 " bytes of data, %zu mappings, %zu "
	    "objects of %zu types\n", path, s.data_bytes, s.nmaps,
	    pm_heap_nobjs(h), pm_heap_ntypes(h));
	pm_heap_close(h);
	pm_snap_close(&s);
}

static void
usage(void)
{
	fputs("usage: mkseed [-b bytes] [-n seeds] snapshot prefix\n", stderr);
	exit(PM_EXIT_INPUT);
}

int
main(int argc, char **argv)
{
	struct pm_snap full, copy, work;
	struct pm_err e;
	struct pm_heap *h;
	uint64_t budget = 48 << 10, *first, *objs;
	size_t nseeds = 8, ntypes, nobjs;
	char path[4096];
	int ch;

	while ((ch = getopt(argc, argv, "b:n:")) != -1) {
		switch (ch) {
		case 'b':
			budget = (uint64_t)pm_parse_num(optarg, 4096, 1 << 30,
			    "-b");
			break;
		case 'n':
			nseeds = (size_t)pm_parse_num(optarg, 1, 1000, "-n");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (pm_snap_open(&full, argv[optind], &e) < 0)
		pm_die_err(&e);

	/*
	 * One GC-tracked object of each type, in type order, and in every
	 * seed a few dicts with split tables (instance dicts before 3.11),
	 * which one per type would seldom pick.
	 */
	if ((h = pm_heap_open(&full, NULL, NULL, &e)) == NULL)
		pm_die_err(&e);
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t split[4];
	size_t nsplit = 0;
	ntypes = pm_heap_ntypes(h);
	first = pm_xcalloc(ntypes ? ntypes : 1, sizeof(*first));
	for (size_t i = 0; i < pm_heap_nobjs(h); i++) {
		const struct pm_obj *o = &pm_heap_objs(h)[i];
		uint64_t values;
		if (!(o->flags & PM_OBJ_GC) || (o->flags & PM_OBJ_CONSERVATIVE))
			continue;
		if (first[o->type] == 0)
			first[o->type] = o->addr;
		if (nsplit < 4 && pm_heap_type_of(h, i)->kind == PM_KIND_DICT &&
		    pm_snap_u64(&full, o->addr + (uint64_t)PM_L(l, DICT_MA_VALUES),
		    &values) == 0 && values != 0)
			split[nsplit++] = o->addr;
	}
	pm_heap_close(h);
	objs = pm_xcalloc(ntypes + 4, sizeof(*objs));

	for (size_t k = 0; k < nseeds; k++) {
		nobjs = 0;
		for (size_t t = 0, m = 0; t < ntypes; t++)
			if (first[t] && m++ % nseeds == k)
				objs[nobjs++] = first[t];
		for (size_t j = 0; j < nsplit; j++) {
			size_t i;
			for (i = 0; i < nobjs && objs[i] != split[j]; i++)
				;
			if (i == nobjs)
				objs[nobjs++] = split[j];
		}
		snap_copy(&copy, &full);
		relink(&copy, l, objs, nobjs);
		reopen(&work, &copy);

		/* Everything pm_heap_open reaches before its walk, then a
		 * few levels of references, breadth first, to the budget. */
		rec_reset(budget);
		rec.on = 1;
		rec.budget = 64u << 20;
		if ((h = pm_heap_open(&work, NULL, NULL, &e)) == NULL)
			pm_die(PM_EXIT_INPUT, "seed %zu: %s", k, e.msg);
		if (!rec.deny)
			pm_warn("seed %zu: pm_heap_open did not look up "
			    "_Py_NotImplementedStruct; seed is not cut", k);
		rec.deny = 0;
		if (getenv("MKSEED_DEBUG"))
			fprintf(stderr, "seed %zu: %zu chosen of %zu types, "
			    "%zu objects and %" PRIu64 " bytes before the walk\n",
			    k, nobjs, ntypes, h->nobjs, rec.bytes);
		rec.budget = rec.bytes + budget;
		for (size_t level = 0, from = 0, to; level < 4; level++) {
			to = h->nobjs;
			for (size_t i = from; i < to; i++) {
				struct expand x = { h };
				pm_heap_referents(h, i, expand_cb, &x);
			}
			from = to;
		}
		if (snprintf(path, sizeof(path), "%s-%zu.pmd", argv[optind + 1],
		    k) >= (int)sizeof(path))
			pm_die(PM_EXIT_INPUT, "name too long");
		write_seed(&work, path);
		pm_heap_close(h);
		rec.on = 0;
		pm_snap_close(&work);
		snap_copy_free(&copy);
		check_seed(path);
	}
	rec_reset(0);
	free(first);
	free(objs);
	pm_snap_close(&full);
	return 0;
}

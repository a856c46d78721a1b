/*
 * tracemalloc.c - the traces of a target that runs tracemalloc.
 *
 * Where the tables are:
 *   3.8      _Py_tracemalloc_config (exported); tracemalloc_traces, a
 *            _Py_hashtable_t whose entries hold the key (the block's
 *            address, followed by a 4-byte domain when key_size is 12)
 *            and a trace_t inline.
 *   3.9-3.11 _Py_tracemalloc_config; tracemalloc_traces (domain 0) and
 *            tracemalloc_domains (domain => traces table), whose entries
 *            point to their key and value: a trace_t * for traces.
 *   3.12+    the same tables in _PyRuntime.tracemalloc.
 * The static variables of 3.8-3.11 come from .symtab (lib/elfsym.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"
#include "tracemalloc.h"

#define MAX_BUCKETS (1ull << 36)
#define MAX_FRAMES 65535u	/* tracemalloc's limit (uint16_t nframe) */
#define FILENAME_MAX_BYTES 4096

#define NOT_TRACING "tracemalloc is not tracing in the target (start it " \
	"with PYTHONTRACEMALLOC=N)"

struct ctx {
	struct pm_tm *tm;
	const struct pm_snap *s;
	const struct pm_layout *l;
	struct pm_err *e;
	size_t cap;
	uint64_t budget;	/* entries the tables may still hold */
};

static int
rd64(const struct pm_snap *s, uint64_t a, uint64_t *v)
{
	return pm_snap_u64(s, a, v);
}

static int
push(struct ctx *c, uint64_t ptr, uint64_t size, uint64_t tb, uint32_t dom)
{
	struct pm_tm *tm = c->tm;

	if (tm->ntraces == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 1024;
		struct pm_tm_trace *nt = realloc(tm->traces, nc * sizeof(*nt));
		if (nt == NULL)
			return pm_error(c->e, PM_EXIT_INPUT, "out of memory "
			    "reading %zu tracemalloc traces", tm->ntraces);
		tm->traces = nt;
		c->cap = nc;
	}
	tm->traces[tm->ntraces++] = (struct pm_tm_trace){ ptr, size, tb, dom,
	    0 };
	tm->total += size;
	return 0;
}

static int
corrupt(struct ctx *c, const char *what, uint64_t addr)
{
	return pm_error(c->e, PM_EXIT_INPUT, "corrupt tracemalloc %s at "
	    "0x%" PRIx64, what, addr);
}

/* Called with each entry of a table. */
typedef int (*entry_fn)(struct ctx *c, uint64_t entry, uint64_t arg);

/*
 * Walk the _Py_hashtable_t at ht: every bucket's list, at most as many
 * entries as the table counts (and as the budget left), which must be
 * exactly how many there are.
 */
static int
walk(struct ctx *c, uint64_t ht, const char *what, entry_fn fn, uint64_t arg)
{
	const struct pm_layout *l = c->l;
	uint64_t n, nb, buckets, seen = 0;
	const unsigned char *bv;

	if (rd64(c->s, ht + (uint64_t)PM_L(l, HASHTABLE_NENTRIES), &n) < 0 ||
	    rd64(c->s, ht + (uint64_t)PM_L(l, HASHTABLE_NBUCKETS), &nb) < 0 ||
	    rd64(c->s, ht + (uint64_t)PM_L(l, HASHTABLE_BUCKETS), &buckets) < 0)
		return corrupt(c, what, ht);
	if (nb == 0 || nb > MAX_BUCKETS || n > c->budget)
		return corrupt(c, what, ht);
	bv = pm_snap_ptr(c->s, buckets, (size_t)nb * 8);
	if (bv == NULL)
		return corrupt(c, what, ht);
	c->budget -= n;
	for (uint64_t b = 0; b < nb; b++) {
		uint64_t ent;
		memcpy(&ent, bv + b * 8, 8);
		while (ent != 0) {
			if (++seen > n)
				return pm_error(c->e, PM_EXIT_INPUT, "tracemalloc "
				    "%s at 0x%" PRIx64 " holds more than the %"
				    PRIu64 " entries it counts (corrupt, or "
				    "caught while it changed)", what, ht, n);
			if (fn(c, ent, arg) < 0)
				return -1;
			if (rd64(c->s, ent + (uint64_t)PM_L(l,
			    HASHTABLE_ENTRY_NEXT), &ent) < 0)
				return corrupt(c, what, ent);
		}
	}
	if (seen != n)
		return pm_error(c->e, PM_EXIT_INPUT, "tracemalloc %s at 0x%"
		    PRIx64 " holds %" PRIu64 " entries but counts %" PRIu64
		    " (corrupt, or caught while it changed)", what, ht, seen, n);
	return 0;
}

/* 3.8: key (pointer, and domain when key_size is 12) and trace_t inline. */
static int
trace38(struct ctx *c, uint64_t ent, uint64_t key_size)
{
	const struct pm_layout *l = c->l;
	uint64_t k = ent + (uint64_t)PM_L(l, HASHTABLE_ENTRY_KEY);
	uint64_t ptr, size, tb;
	uint32_t dom = 0;

	if (rd64(c->s, k, &ptr) < 0 ||
	    (key_size == 12 && pm_snap_read(c->s, k + 8, &dom, 4) < 0) ||
	    pm_snap_read(c->s, k + key_size + (uint64_t)PM_L(l, TM_TRACE_SIZE),
	    &size, 8) < 0 ||
	    pm_snap_read(c->s, k + key_size + (uint64_t)PM_L(l,
	    TM_TRACE_TRACEBACK), &tb, 8) < 0)
		return corrupt(c, "trace", ent);
	return push(c, ptr, size, tb, dom);
}

/* 3.9+: the key is the pointer, the value a trace_t *. */
static int
trace39(struct ctx *c, uint64_t ent, uint64_t domain)
{
	const struct pm_layout *l = c->l;
	uint64_t ptr, tr, size, tb;

	if (rd64(c->s, ent + (uint64_t)PM_L(l, HASHTABLE_ENTRY_KEY), &ptr) < 0 ||
	    rd64(c->s, ent + (uint64_t)PM_L(l, HASHTABLE_ENTRY_VALUE), &tr) < 0 ||
	    rd64(c->s, tr + (uint64_t)PM_L(l, TM_TRACE_SIZE), &size) < 0 ||
	    rd64(c->s, tr + (uint64_t)PM_L(l, TM_TRACE_TRACEBACK), &tb) < 0)
		return corrupt(c, "trace", ent);
	return push(c, ptr, size, tb, (uint32_t)domain);
}

/* 3.9+: a domain's own traces table. */
static int
domain39(struct ctx *c, uint64_t ent, uint64_t unused)
{
	const struct pm_layout *l = c->l;
	uint64_t dom, ht;

	(void)unused;
	if (rd64(c->s, ent + (uint64_t)PM_L(l, HASHTABLE_ENTRY_KEY), &dom) < 0 ||
	    rd64(c->s, ent + (uint64_t)PM_L(l, HASHTABLE_ENTRY_VALUE), &ht) < 0 ||
	    dom > UINT32_MAX)
		return corrupt(c, "domain table", ent);
	return walk(c, ht, "trace table", trace39, dom);
}

static int
cmp_trace(const void *a, const void *b)
{
	const struct pm_tm_trace *x = a, *y = b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

/* The address of a static variable of 3.8-3.11, or 0 with e filled. */
static uint64_t
static_sym(const struct pm_snap *s, const char *name, struct pm_err *e)
{
	uint64_t a = pm_snap_sym(s, name);

	if (a == 0)
		pm_error(e, PM_EXIT_INPUT, "tracemalloc traces unavailable: "
		    "the snapshot lacks '%s', a static variable that only "
		    "the symbol table of an unstripped Python names (this one "
		    "is stripped)", name);
	return a;
}

int
pm_tm_open(struct pm_tm *tm, const struct pm_heap *h, struct pm_err *e)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	struct ctx c;
	uint64_t config, traces, domains = 0, mem;
	int32_t tracing, nframe;

	memset(tm, 0, sizeof(*tm));
	tm->h = h;
	memset(&c, 0, sizeof(c));
	c.tm = tm;
	c.s = s;
	c.l = l;
	c.e = e;
	c.budget = s->data_bytes / 16;
	if (l->minor >= 12) {
		uint64_t rt = pm_snap_sym(s, "_PyRuntime");
		if (rt == 0)
			return pm_error(e, PM_EXIT_INPUT, "tracemalloc traces "
			    "unavailable: no '_PyRuntime' in the snapshot");
		config = rt + (uint64_t)PM_L(l, RUNTIME_TRACEMALLOC);
	} else if ((config = pm_snap_sym(s, "_Py_tracemalloc_config")) == 0) {
		return pm_error(e, PM_EXIT_INPUT, "tracemalloc traces "
		    "unavailable: no '_Py_tracemalloc_config' in the snapshot");
	}
	if (pm_snap_read(s, config + (uint64_t)PM_L(l, TM_CONFIG_TRACING),
	    &tracing, 4) < 0 ||
	    pm_snap_read(s, config + (uint64_t)PM_L(l, TM_CONFIG_MAX_NFRAME),
	    &nframe, 4) < 0)
		return pm_error(e, PM_EXIT_INPUT, "cannot read tracemalloc's "
		    "configuration at 0x%" PRIx64 ": not captured", config);
	if (tracing == 0)
		return pm_error(e, PM_EXIT_INPUT, NOT_TRACING);
	tm->max_nframe = nframe;
	if (l->minor >= 12) {
		if (rd64(s, config + (uint64_t)PM_L(l, TM_STATE_TRACES),
		    &traces) < 0 ||
		    rd64(s, config + (uint64_t)PM_L(l, TM_STATE_DOMAINS),
		    &domains) < 0 ||
		    rd64(s, config + (uint64_t)PM_L(l, TM_STATE_TRACED_MEMORY),
		    &mem) < 0)
			return corrupt(&c, "state", config);
	} else {
		uint64_t tv, dv = 0, mv;
		if ((tv = static_sym(s, "tracemalloc_traces", e)) == 0 ||
		    (l->minor >= 9 &&
		    (dv = static_sym(s, "tracemalloc_domains", e)) == 0) ||
		    (mv = static_sym(s, "tracemalloc_traced_memory", e)) == 0)
			return -1;
		if (rd64(s, tv, &traces) < 0 || (dv && rd64(s, dv, &domains) < 0) ||
		    rd64(s, mv, &mem) < 0)
			return corrupt(&c, "state", tv);
	}
	tm->traced_memory = mem;
	if (traces == 0)
		return pm_error(e, PM_EXIT_INPUT, NOT_TRACING);
	if (l->minor == 8) {
		uint64_t ks, ds;
		if (rd64(s, traces + (uint64_t)PM_L(l, HASHTABLE_KEY_SIZE),
		    &ks) < 0 ||
		    rd64(s, traces + (uint64_t)PM_L(l, HASHTABLE_DATA_SIZE),
		    &ds) < 0 || (ks != 8 && ks != 12) || ds != 16)
			return corrupt(&c, "trace table", traces);
		if (walk(&c, traces, "trace table", trace38, ks) < 0)
			goto fail;
	} else {
		if (walk(&c, traces, "trace table", trace39, 0) < 0)
			goto fail;
		if (domains && walk(&c, domains, "domain table", domain39,
		    0) < 0)
			goto fail;
	}
	if (tm->ntraces > 1)
		qsort(tm->traces, tm->ntraces, sizeof(*tm->traces), cmp_trace);
	return 0;
fail:
	pm_tm_close(tm);
	return -1;
}

void
pm_tm_close(struct pm_tm *tm)
{
	free(tm->traces);
	memset(tm, 0, sizeof(*tm));
}

const struct pm_tm_trace *
pm_tm_find(const struct pm_tm *tm, uint32_t domain, uint64_t ptr)
{
	size_t lo = 0, hi = tm->ntraces;
	struct pm_tm_trace key = { ptr, 0, 0, domain, 0 };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_trace(&key, &tm->traces[mid]);
		if (r == 0)
			return &tm->traces[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

uint64_t
pm_tm_block(const struct pm_heap *h, size_t i)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_obj *o = &pm_heap_objs(h)[i];
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t pre = 0, managed = 0;

	if (o->flags & PM_OBJ_GC)
		pre += (uint64_t)PM_L(l, GC_HEAD_SIZE);
	/* _PyType_PreHeaderSize: managed dict (3.11), and weakref (3.12+). */
	if (PM_L(l, TPFLAGS_MANAGED_DICT) >= 0)
		managed |= (uint64_t)PM_L(l, TPFLAGS_MANAGED_DICT);
	if (PM_L(l, TPFLAGS_MANAGED_WEAKREF) >= 0)
		managed |= (uint64_t)PM_L(l, TPFLAGS_MANAGED_WEAKREF);
	if (ty->flags & managed)
		pre += (uint64_t)PM_L(l, PREHEADER_SIZE);
	return o->addr - pre;
}

const struct pm_tm_trace *
pm_tm_object(const struct pm_tm *tm, size_t i)
{
	return pm_tm_find(tm, 0, pm_tm_block(tm->h, i));
}

long
pm_tm_frames(const struct pm_tm *tm, uint64_t tb, struct pm_tm_frame *f,
    size_t max, uint64_t *total)
{
	const struct pm_snap *s = pm_heap_snap(tm->h);
	const struct pm_layout *l = pm_heap_layout(tm->h);
	uint64_t fsz = (uint64_t)PM_L(l, TM_FRAME_SIZE);
	uint32_t n = 0;
	uint16_t t = 0;
	const unsigned char *p;

	if (pm_snap_read(s, tb + (uint64_t)PM_L(l, TM_TRACEBACK_NFRAME), &n,
	    (size_t)PM_L(l, TM_TRACEBACK_NFRAME_SIZE)) < 0 || n > MAX_FRAMES)
		return -1;
	if (total) {
		*total = n;
		if (PM_L(l, TM_TRACEBACK_TOTAL_NFRAME) >= 0) {
			if (pm_snap_read(s, tb + (uint64_t)PM_L(l,
			    TM_TRACEBACK_TOTAL_NFRAME), &t, 2) < 0)
				return -1;
			*total = t > n ? t : n;
		}
	}
	p = pm_snap_ptr(s, tb + (uint64_t)PM_L(l, TM_TRACEBACK_FRAMES),
	    (size_t)(n * fsz));
	if (p == NULL && n > 0)
		return -1;
	for (uint32_t i = 0; i < n && i < max; i++) {
		memcpy(&f[i].filename, p + i * fsz +
		    (uint64_t)PM_L(l, TM_FRAME_FILENAME), 8);
		memcpy(&f[i].lineno, p + i * fsz +
		    (uint64_t)PM_L(l, TM_FRAME_LINENO), 4);
	}
	return (long)n;
}

void
pm_tm_frame_text(const struct pm_tm *tm, const struct pm_tm_frame *f,
    struct pm_buf *b)
{
	char *name;
	size_t len;

	if (pm_heap_strval(tm->h, f->filename, FILENAME_MAX_BYTES, &name,
	    &len) == 0) {
		pm_buf_add(b, name, len);
		free(name);
	} else {
		pm_buf_putc(b, '?');
	}
	pm_buf_printf(b, ":%" PRIu32, f->lineno);
}

int
pm_tm_traceback_text(const struct pm_tm *tm, uint64_t tb, struct pm_buf *b)
{
	struct pm_tm_frame f[64];
	uint64_t total, done = 0;
	long n = pm_tm_frames(tm, tb, f, 0, &total);

	if (n < 0)
		return -1;
	/* In slices of 64 frames: a traceback may have 65535. */
	while (done < (uint64_t)n) {
		const struct pm_layout *l = pm_heap_layout(tm->h);
		uint64_t fsz = (uint64_t)PM_L(l, TM_FRAME_SIZE);
		uint64_t k = (uint64_t)n - done < 64 ? (uint64_t)n - done : 64;
		const unsigned char *p = pm_snap_ptr(pm_heap_snap(tm->h), tb +
		    (uint64_t)PM_L(l, TM_TRACEBACK_FRAMES) + done * fsz,
		    (size_t)(k * fsz));
		if (p == NULL)
			return -1;
		for (uint64_t i = 0; i < k; i++) {
			memcpy(&f[i].filename, p + i * fsz +
			    (uint64_t)PM_L(l, TM_FRAME_FILENAME), 8);
			memcpy(&f[i].lineno, p + i * fsz +
			    (uint64_t)PM_L(l, TM_FRAME_LINENO), 4);
			if (done + i > 0)
				pm_buf_puts(b, " < ");
			pm_tm_frame_text(tm, &f[i], b);
		}
		done += k;
	}
	if (total > (uint64_t)n)
		pm_buf_printf(b, "%s…(+%" PRIu64 ")", n ? " < " : "",
		    total - (uint64_t)n);
	return 0;
}

/* ---- statistics by line ---- */

struct lkey {
	uint64_t filename;
	uint32_t lineno;
	int ok;			/* the traceback was readable */
	uint64_t count, bytes;
};

static size_t
lhash(uint64_t f, uint32_t l)
{
	uint64_t x = (f ^ ((uint64_t)l << 48) ^ l) * 0x9e3779b97f4a7c15ull;

	return (size_t)(x ^ (x >> 29));
}

/* Largest first by one figure, then by the other, then by where. */
static int
cmp_figures(const struct pm_tm_line *x, const struct pm_tm_line *y,
    uint64_t xa, uint64_t ya, uint64_t xb, uint64_t yb)
{
	if (xa != ya)
		return xa > ya ? -1 : 1;
	if (xb != yb)
		return xb > yb ? -1 : 1;
	return strcmp(x->where, y->where);
}

static int
cmp_bytes(const void *a, const void *b)
{
	const struct pm_tm_line *x = a, *y = b;

	return cmp_figures(x, y, x->bytes, y->bytes, x->count, y->count);
}

static int
cmp_count(const void *a, const void *b)
{
	const struct pm_tm_line *x = a, *y = b;

	return cmp_figures(x, y, x->count, y->count, x->bytes, y->bytes);
}

void
pm_tm_lines_free(struct pm_tm_line *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].where);
	free(rows);
}

long
pm_tm_by_line(const struct pm_tm *tm, int by_count, struct pm_tm_line **rows,
    struct pm_err *e)
{
	size_t cap = 64, n = 0;
	struct lkey *t = calloc(cap, sizeof(*t));
	struct pm_tm_line *out = NULL;
	struct pm_buf b = PM_BUF_INIT;

	*rows = NULL;
	if (t == NULL)
		goto oom;
	for (size_t i = 0; i < tm->ntraces; i++) {
		const struct pm_tm_trace *tr = &tm->traces[i];
		struct pm_tm_frame f = { 0, 0 };
		int ok = pm_tm_frames(tm, tr->traceback, &f, 1, NULL) > 0;
		if (2 * (n + 1) > cap) {
			size_t nc = 2 * cap;
			struct lkey *nt = calloc(nc, sizeof(*nt));
			if (nt == NULL)
				goto oom;
			for (size_t j = 0; j < cap; j++) {
				if (t[j].count == 0)
					continue;
				size_t k = lhash(t[j].filename, t[j].lineno) & (nc - 1);
				while (nt[k].count != 0)
					k = (k + 1) & (nc - 1);
				nt[k] = t[j];
			}
			free(t);
			t = nt;
			cap = nc;
		}
		if (!ok)
			f = (struct pm_tm_frame){ 0, 0 };
		size_t k = lhash(f.filename, f.lineno) & (cap - 1);
		while (t[k].count != 0 && (t[k].filename != f.filename ||
		    t[k].lineno != f.lineno || t[k].ok != ok))
			k = (k + 1) & (cap - 1);
		if (t[k].count == 0) {
			t[k] = (struct lkey){ f.filename, f.lineno, ok, 0, 0 };
			n++;
		}
		t[k].count++;
		t[k].bytes += tr->size;
	}
	out = calloc(n ? n : 1, sizeof(*out));
	if (out == NULL)
		goto oom;
	size_t m = 0;
	for (size_t j = 0; j < cap; j++) {
		if (t[j].count == 0)
			continue;
		pm_buf_reset(&b);
		if (t[j].ok) {
			struct pm_tm_frame f = { t[j].filename, t[j].lineno };
			pm_tm_frame_text(tm, &f, &b);
		} else {
			pm_buf_puts(&b, "?");
		}
		if (b.oom || (out[m].where = strdup(pm_buf_str(&b))) == NULL)
			goto oom;
		out[m].count = t[j].count;
		out[m].bytes = t[j].bytes;
		m++;
	}
	qsort(out, m, sizeof(*out), by_count ? cmp_count : cmp_bytes);
	free(t);
	pm_buf_release(&b);
	*rows = out;
	return (long)m;
oom:
	free(t);
	pm_buf_release(&b);
	pm_tm_lines_free(out, n);
	return pm_error(e, PM_EXIT_INPUT, "out of memory grouping %zu "
	    "tracemalloc traces by line", tm->ntraces);
}

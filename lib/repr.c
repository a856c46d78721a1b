/*
 * repr.c - bounded, Python-like reprs of snapshot objects.
 *
 * Every function that writes a repr takes a room: the characters it may
 * use (ROOM_ANY when unbounded). It returns 1 when it had to cut its text
 * to fit, so that a container stops after that item, else 0. Text is
 * counted in characters (UTF-8 sequences), not bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heap.h"
#include "pylayout.h"
#include "repr.h"
#include "snapshot.h"
#include "strs.h"

#define ROOM_ANY ((size_t)1 << 60)
#define ELLIPSIS "\xe2\x80\xa6"	/* U+2026 */
#define MIN_ITEM 4		/* do not start an item with less room */
#define MAX_ITEMS (1ULL << 32)
#define MAX_ATTRS 4096
#define MAX_INT_DIGITS 3000	/* 30-bit digits converted to decimal */
#define MAX_CSTR 256

/*
 * Layouts not in pylayout.h, the same in every version 3.8-3.13:
 * rangeobject and PySliceObject hold start, stop, step after the header;
 * PyBaseExceptionObject has dict, then args; PyCFunctionObject has m_ml
 * (whose first field is ml_name), then m_self.
 */
#define RANGE_START 16
#define RANGE_STOP 24
#define RANGE_STEP 32
#define EXC_ARGS 24
#define CFUNC_ML 16
#define CFUNC_SELF 24

/* How an object is written, beyond its heap kind. */
enum cls {
	C_UNSET,
	C_KIND,			/* by the heap's kind */
	C_RANGE,
	C_SLICE,
	C_CORO,
	C_AGEN,
	C_EXC,
	C_FUTURE,
	C_TASK,
	C_NOTIMPL,
	C_ELLIPSIS,
	C_CFUNC,
};

struct pm_repr_cache {
	const struct pm_heap *h;
	uint64_t true_, t_range, t_slice, t_coro, t_agen, t_notimpl,
	    t_ellipsis, t_cfunc, t_baseexc, t_set, t_frozenset;
	size_t ntypes;
	unsigned char *cls;	/* per type index: enum cls */
};

struct ctx {
	const struct pm_heap *h;
	const struct pm_snap *s;
	const struct pm_layout *l;
	struct pm_repr_opts *o;
	struct pm_repr_cache *c;
	struct pm_buf *b;
	int depth;			/* o->depth, clamped */
	int plain;			/* > 0: names, shown even when redacting */
	uint64_t stack[PM_REPR_MAX_DEPTH + 8];	/* containers being written */
	int nstack;
};

static int rep(struct ctx *x, uint64_t addr, int level, size_t room);

/* ---- small helpers ---- */

static uint64_t
rd64(const struct ctx *x, uint64_t addr)
{
	uint64_t v;

	return pm_snap_u64(x->s, addr, &v) < 0 ? 0 : v;
}

static uint64_t
fld(const struct ctx *x, uint64_t base, enum pm_layout_key k)
{
	int64_t off = x->l->off[k];

	return off < 0 ? 0 : rd64(x, base + (uint64_t)off);
}

static size_t
chars_since(const struct ctx *x, size_t mark)
{
	return pm_utf8_chars(x->b->data + mark, x->b->len - mark);
}

/*
 * Make the text written since mark fit in room characters: cut it to
 * room - 1 and add an ellipsis. Returns 1 when it cut.
 */
static int
fit(struct ctx *x, size_t mark, size_t room)
{
	size_t n;

	if (x->b->oom || x->b->len == mark)
		return 0;
	n = chars_since(x, mark);
	if (n <= room)
		return 0;
	if (room == 0) {
		pm_buf_truncate(x->b, mark);
		return 1;
	}
	pm_buf_truncate(x->b, mark + pm_utf8_offset(x->b->data + mark,
	    x->b->len - mark, room - 1));
	pm_buf_puts(x->b, ELLIPSIS);
	return 1;
}

static size_t
ndigits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Characters of "…(+n)". */
static size_t
tail_len(uint64_t n)
{
	return 4 + ndigits(n);
}

static void
put_tail(struct ctx *x, uint64_t n)
{
	pm_buf_printf(x->b, ELLIPSIS "(+%llu)", (unsigned long long)n);
}

/* A C string of the target, printable ASCII only ('?' for the rest). */
static void
put_cstr(struct ctx *x, uint64_t addr)
{
	const struct pm_map *m = pm_snap_map(x->s, addr);
	size_t i;

	if (m == NULL || addr == 0) {
		pm_buf_puts(x->b, "?");
		return;
	}
	const char *p = (const char *)m->data + (addr - m->start);
	size_t avail = (size_t)(m->end - addr);
	for (i = 0; i < avail && i < MAX_CSTR && p[i]; i++)
		pm_buf_putc(x->b, p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?');
	if (i == 0)
		pm_buf_puts(x->b, "?");
}

/* The text of a str object as is (names, not values); "?" otherwise. */
static void
put_strtext(struct ctx *x, uint64_t addr)
{
	char *t;
	size_t n;

	if (addr && pm_heap_strval(x->h, addr, MAX_CSTR, &t, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			pm_buf_putc(x->b, (unsigned char)t[i] < 0x20 ? '?' : t[i]);
		free(t);
	} else {
		pm_buf_puts(x->b, "?");
	}
}

/* Does the str at addr equal s? */
static int
str_is(struct ctx *x, uint64_t addr, const char *s)
{
	size_t want = strlen(s), n;
	char *t;
	int r;

	if (pm_heap_strval(x->h, addr, want + 1, &t, &n) < 0)
		return 0;
	r = n == want && memcmp(t, s, n) == 0;
	free(t);
	return r;
}

static const char *
short_name(const char *name)
{
	const char *p = strrchr(name, '.');

	return p ? p + 1 : name;
}

static const struct pm_type *
type_at(const struct ctx *x, uint64_t addr, int64_t *idx)
{
	int64_t i = pm_heap_find(x->h, addr);

	if (idx)
		*idx = i;
	return i < 0 ? NULL : pm_heap_type_of(x->h, (size_t)i);
}

/* ---- the per-type cache ---- */

static uint64_t
sym(const struct pm_snap *s, const char *name)
{
	return pm_snap_sym(s, name);
}

static int
cache_open(struct ctx *x)
{
	struct pm_repr_cache *c = x->o->cache_;
	size_t ntypes = pm_heap_ntypes(x->h);
	uint64_t p;

	if (c && c->h == x->h && c->ntypes == ntypes) {
		x->c = c;
		return 0;
	}
	pm_repr_opts_release(x->o);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((c->cls = calloc(ntypes ? ntypes : 1, 1)) == NULL) {
		free(c);
		return -1;
	}
	c->h = x->h;
	c->ntypes = ntypes;
	c->true_ = sym(x->s, "_Py_TrueStruct");
	c->t_range = sym(x->s, "PyRange_Type");
	c->t_slice = sym(x->s, "PySlice_Type");
	c->t_coro = sym(x->s, "PyCoro_Type");
	c->t_agen = sym(x->s, "PyAsyncGen_Type");
	c->t_notimpl = sym(x->s, "_PyNotImplemented_Type");
	c->t_ellipsis = sym(x->s, "PyEllipsis_Type");
	c->t_cfunc = sym(x->s, "PyCFunction_Type");
	c->t_set = sym(x->s, "PySet_Type");
	c->t_frozenset = sym(x->s, "PyFrozenSet_Type");
	p = sym(x->s, "PyExc_BaseException");	/* a PyObject * variable */
	c->t_baseexc = p ? rd64(x, p) : 0;
	x->o->cache_ = c;
	x->c = c;
	return 0;
}

/* Is the C string at addr equal to s? */
static int
cstr_is(struct ctx *x, uint64_t addr, const char *s)
{
	size_t n = strlen(s) + 1;
	const char *p = pm_snap_ptr(x->s, addr, n);

	return p && memcmp(p, s, n) == 0;
}

static enum cls
classify(struct ctx *x, size_t ti)
{
	const struct pm_type *ty = &pm_heap_types(x->h)[ti];
	struct pm_repr_cache *c = x->c;
	uint64_t b = ty->addr;

	if (c->cls[ti] != C_UNSET)
		return (enum cls)c->cls[ti];
	c->cls[ti] = C_KIND;
	/* The heap's GEN kind covers coroutines and async generators too. */
	if (ty->kind != PM_KIND_OTHER && ty->kind != PM_KIND_OBJECT &&
	    ty->kind != PM_KIND_GEN)
		return C_KIND;
	for (int d = 0; b && d < 64; d++) {
		enum cls k = C_UNSET;
		if (b == c->t_range)
			k = C_RANGE;
		else if (b == c->t_slice)
			k = C_SLICE;
		else if (b == c->t_coro)
			k = C_CORO;
		else if (b == c->t_agen)
			k = C_AGEN;
		else if (b == c->t_notimpl)
			k = C_NOTIMPL;
		else if (b == c->t_ellipsis)
			k = C_ELLIPSIS;
		else if (b == c->t_cfunc)
			k = C_CFUNC;
		else if (b == c->t_baseexc)
			k = C_EXC;
		else {
			uint64_t nm = fld(x, b, PM_L_TYPE_NAME);
			if (cstr_is(x, nm, "_asyncio.Task"))
				k = C_TASK;
			else if (cstr_is(x, nm, "_asyncio.Future"))
				k = C_FUTURE;
		}
		if (k != C_UNSET) {
			c->cls[ti] = (unsigned char)k;
			break;
		}
		b = fld(x, b, PM_L_TYPE_BASE);
	}
	return (enum cls)c->cls[ti];
}

/* ---- numbers ---- */

/* Read an int: its 30-bit digits (*d malloc'd), count and sign. */
static int
int_read(struct ctx *x, uint64_t a, uint32_t **d, size_t *n, int *neg)
{
	const struct pm_layout *l = x->l;
	uint64_t cnt;
	const unsigned char *p;

	*neg = 0;
	if (PM_L(l, LONG_LV_TAG) >= 0) {
		uint64_t tag = rd64(x, a + (uint64_t)PM_L(l, LONG_LV_TAG));
		cnt = tag >> 3;
		*neg = (tag & 3) == 2;
	} else {
		int64_t sz = (int64_t)fld(x, a, PM_L_VAROBJECT_SIZE);
		*neg = sz < 0;
		cnt = (uint64_t)(sz < 0 ? -sz : sz);
	}
	if (cnt > (1ULL << 32))
		return -1;
	*n = (size_t)cnt;
	*d = malloc((*n ? *n : 1) * sizeof(**d));
	if (*d == NULL)
		return -1;
	p = pm_snap_ptr(x->s, a + (uint64_t)PM_L(l, LONG_DIGITS), *n * 4);
	if (p == NULL && *n) {
		free(*d);
		return -1;
	}
	for (size_t i = 0; i < *n; i++) {
		uint32_t v;
		memcpy(&v, p + 4 * i, 4);
		(*d)[i] = v & 0x3fffffff;
	}
	while (*n && (*d)[*n - 1] == 0)
		(*n)--;
	return 0;
}

static void
put_int(struct ctx *x, uint64_t a)
{
	uint32_t *d, *dec;
	size_t n, nd = 0;
	int neg;

	if (int_read(x, a, &d, &n, &neg) < 0) {
		pm_buf_printf(x->b, "<int at 0x%llx>", (unsigned long long)a);
		return;
	}
	if (n == 0) {
		pm_buf_puts(x->b, "0");
		free(d);
		return;
	}
	if (n > MAX_INT_DIGITS) {
		pm_buf_printf(x->b, "<int of %llu bits>", (unsigned long long)
		    ((n - 1) * 30 + (size_t)(32 - __builtin_clz(d[n - 1]))));
		free(d);
		return;
	}
	/* Base 2^30 to base 10^9, most significant digit first. */
	dec = malloc((n * 30 / 29 + 2) * sizeof(*dec));
	if (dec == NULL) {
		free(d);
		x->b->oom = 1;
		return;
	}
	while (n) {
		uint64_t rem = 0;
		for (size_t i = n; i-- > 0;) {
			uint64_t cur = rem << 30 | d[i];
			d[i] = (uint32_t)(cur / 1000000000);
			rem = cur % 1000000000;
		}
		dec[nd++] = (uint32_t)rem;
		while (n && d[n - 1] == 0)
			n--;
	}
	pm_buf_printf(x->b, "%s%u", neg ? "-" : "", dec[nd - 1]);
	for (size_t i = nd - 1; i-- > 0;)
		pm_buf_printf(x->b, "%09u", dec[i]);
	free(dec);
	free(d);
}

/*
 * Python's repr of a float: the shortest digits that read back as d
 * (tried as "%.17g" shortened), fixed notation when the decimal point
 * falls in -4 < decpt <= 16, else an exponent of at least two digits;
 * ".0" added to integral fixed values when dot0. sign forces a '+'.
 */
static void
fmt_float(char *out, size_t outsz, double d, int dot0, int sign)
{
	char tmp[40], digits[24];
	int p, exp, nd = 0, decpt, use_exp;
	size_t o = 0;
	char *e;

	if (isnan(d)) {
		snprintf(out, outsz, "%snan", sign ? "+" : "");
		return;
	}
	if (isinf(d)) {
		snprintf(out, outsz, "%sinf", d < 0 ? "-" : sign ? "+" : "");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (p > 17)
		snprintf(tmp, sizeof(tmp), "%.16e", d);
	/* tmp is [-]D[.DDD]e[+-]XX */
	e = strchr(tmp, 'e');
	if (e == NULL) {
		snprintf(out, outsz, "%s", tmp);
		return;
	}
	exp = atoi(e + 1);
	for (char *q = tmp; q < e; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	decpt = exp + 1;
	if (d == 0)
		decpt = 1;
	use_exp = decpt <= -4 || decpt > 16;
	char buf[64];
	if (signbit(d))
		buf[o++] = '-';
	else if (sign)
		buf[o++] = '+';
	if (use_exp) {
		buf[o++] = digits[0];
		if (nd > 1) {
			buf[o++] = '.';
			for (int i = 1; i < nd; i++)
				buf[o++] = digits[i];
		}
		snprintf(buf + o, sizeof(buf) - o, "e%c%02d", decpt - 1 < 0 ? '-' : '+',
		    abs(decpt - 1));
	} else if (decpt <= 0) {
		buf[o++] = '0';
		buf[o++] = '.';
		for (int i = 0; i < -decpt; i++)
			buf[o++] = '0';
		for (int i = 0; i < nd; i++)
			buf[o++] = digits[i];
		buf[o] = '\0';
	} else if (decpt >= nd) {
		for (int i = 0; i < nd; i++)
			buf[o++] = digits[i];
		for (int i = nd; i < decpt; i++)
			buf[o++] = '0';
		if (dot0) {
			buf[o++] = '.';
			buf[o++] = '0';
		}
		buf[o] = '\0';
	} else {
		for (int i = 0; i < nd; i++) {
			if (i == decpt)
				buf[o++] = '.';
			buf[o++] = digits[i];
		}
		buf[o] = '\0';
	}
	snprintf(out, outsz, "%s", buf);
}

static int
read_double(struct ctx *x, uint64_t addr, double *d)
{
	return pm_snap_read(x->s, addr, d, sizeof(*d));
}

static void
put_float(struct ctx *x, uint64_t a)
{
	char out[64];
	double d;

	if (read_double(x, a + (uint64_t)PM_L(x->l, FLOAT_VAL), &d) < 0) {
		pm_buf_printf(x->b, "<float at 0x%llx>", (unsigned long long)a);
		return;
	}
	fmt_float(out, sizeof(out), d, 1, 0);
	pm_buf_puts(x->b, out);
}

static void
put_complex(struct ctx *x, uint64_t a)
{
	char re[64], im[64];
	double v[2];

	if (pm_snap_read(x->s, a + (uint64_t)PM_L(x->l, COMPLEX_VAL), v,
	    sizeof(v)) < 0) {
		pm_buf_printf(x->b, "<complex at 0x%llx>", (unsigned long long)a);
		return;
	}
	if (v[0] == 0 && !signbit(v[0])) {
		fmt_float(im, sizeof(im), v[1], 0, 0);
		pm_buf_printf(x->b, "%sj", im);
	} else {
		fmt_float(re, sizeof(re), v[0], 0, 0);
		fmt_float(im, sizeof(im), v[1], 0, 1);
		pm_buf_printf(x->b, "(%s%sj)", re, im);
	}
}

/* ---- str, bytes, bytearray ---- */

/* Py_UNICODE_ISPRINTABLE for non-ASCII, without the Unicode database:
 * separators, controls, format characters, surrogates, private use and
 * noncharacters are not printable. */
static int
printable(uint32_t c)
{
	if (c < 0xa1 || c == 0xad)
		return 0;
	if (c == 0x1680 || (c >= 0x2000 && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) ||
	    c == 0x3000 || c == 0x180e || c == 0xfeff ||
	    (c >= 0x600 && c <= 0x605) || c == 0x61c || c == 0x6dd ||
	    c == 0x70f || (c >= 0xfff9 && c <= 0xfffb))
		return 0;
	if ((c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfdd0 && c <= 0xfdef) ||
	    (c & 0xfffe) == 0xfffe || c >= 0xe0000)
		return 0;
	return 1;
}

/* The escaped form of unit u in a str (isbytes 0) or bytes repr. */
static size_t
escape(char *o, uint32_t u, int quote, int isbytes)
{
	if (u == (uint32_t)quote || u == '\\')
		return (size_t)sprintf(o, "\\%c", (int)u);
	if (u == '\t')
		return (size_t)sprintf(o, "\\t");
	if (u == '\n')
		return (size_t)sprintf(o, "\\n");
	if (u == '\r')
		return (size_t)sprintf(o, "\\r");
	if (u < 0x20 || u == 0x7f || (isbytes && u > 0x7f))
		return (size_t)sprintf(o, "\\x%02x", u);
	if (u < 0x7f) {
		o[0] = (char)u;
		return 1;
	}
	if (printable(u)) {
		if (u < 0x800) {
			o[0] = (char)(0xc0 | u >> 6);
			o[1] = (char)(0x80 | (u & 0x3f));
			return 2;
		}
		if (u < 0x10000) {
			o[0] = (char)(0xe0 | u >> 12);
			o[1] = (char)(0x80 | (u >> 6 & 0x3f));
			o[2] = (char)(0x80 | (u & 0x3f));
			return 3;
		}
		o[0] = (char)(0xf0 | u >> 18);
		o[1] = (char)(0x80 | (u >> 12 & 0x3f));
		o[2] = (char)(0x80 | (u >> 6 & 0x3f));
		o[3] = (char)(0x80 | (u & 0x3f));
		return 4;
	}
	if (u <= 0xff)
		return (size_t)sprintf(o, "\\x%02x", u);
	if (u <= 0xffff)
		return (size_t)sprintf(o, "\\u%04x", u);
	return (size_t)sprintf(o, "\\U%08x", u);
}

/*
 * Write prefix, the quoted escaped units of so, and suffix, in room.
 * Redacted: "<what len=N hash=H>" instead.
 */
static int
put_quoted(struct ctx *x, const struct pm_strobj *so, const char *what,
    const char *prefix, const char *suffix, size_t room)
{
	size_t mark = x->b->len, used, tl;
	int isbytes = so->kind == PM_SK_BYTES, squote = 0, dquote = 0, quote;
	char esc[16];

	if (so->data == NULL) {
		pm_buf_printf(x->b, "<%s len=%llu, not captured>", what,
		    (unsigned long long)so->len);
		return fit(x, mark, room);
	}
	if ((x->o->flags & PM_REPR_REDACT) && x->plain == 0) {
		char hash[17];
		pm_strs_digest(so, hash);
		pm_buf_printf(x->b, "<%s len=%llu hash=%s>", what,
		    (unsigned long long)so->len, hash);
		return fit(x, mark, room);
	}
	for (uint64_t j = 0; j < so->len && !(squote && dquote); j++) {
		uint32_t u = pm_strs_at(so, j);
		squote |= u == '\'';
		dquote |= u == '"';
	}
	quote = squote && !dquote ? '"' : '\'';
	pm_buf_printf(x->b, "%s%c", prefix, quote);
	tl = 1 + pm_utf8_chars(suffix, strlen(suffix));
	used = chars_since(x, mark);
	for (uint64_t j = 0; j < so->len; j++) {
		size_t n = escape(esc, pm_strs_at(so, j), quote, isbytes);
		size_t w = pm_utf8_chars(esc, n);
		int last = j + 1 == so->len;
		if (used + w + tl + (last ? 0 : 1) > room) {
			pm_buf_puts(x->b, ELLIPSIS);
			pm_buf_printf(x->b, "%c%s", quote, suffix);
			return 1 | fit(x, mark, room);
		}
		pm_buf_add(x->b, esc, n);
		used += w;
	}
	pm_buf_printf(x->b, "%c%s", quote, suffix);
	return fit(x, mark, room);
}

static int
put_bytearray(struct ctx *x, uint64_t a, const struct pm_type *ty, size_t room)
{
	struct pm_strobj so = { 0 };
	uint64_t n = fld(x, a, PM_L_VAROBJECT_SIZE);
	uint64_t start = fld(x, a, PM_L_BYTEARRAY_START);
	char prefix[MAX_CSTR + 8];

	so.kind = PM_SK_BYTES;
	so.width = 1;
	so.len = n;
	if (n == 0)
		so.data = (const unsigned char *)"";
	else if (n < (1ULL << 40))
		so.data = pm_snap_ptr(x->s, start, (size_t)n);
	snprintf(prefix, sizeof(prefix), "%s(b", short_name(ty->name));
	return put_quoted(x, &so, "bytearray", prefix, ")", room);
}

/* ---- containers ---- */

enum item_kind {
	I_VALUE,		/* val */
	I_PAIR,			/* key: val */
	I_ATTR,			/* key=val, key a str object */
	I_SLOT,			/* key=val, key a char * of the target */
};

struct item {
	enum item_kind kind;
	uint64_t key, val;
};

struct items {
	struct item *v;
	size_t n, cap, lim;
	int oom;
	uint64_t pending_key;
	const struct pm_heap *h;
	int attrs;		/* collecting attributes (recurse into __dict__) */
	int guard;		/* recursion into __dict__ */
};

static int
items_add(struct items *it, enum item_kind k, uint64_t key, uint64_t val)
{
	if (it->n >= it->lim)
		return 1;
	if (it->n == it->cap) {
		size_t nc = it->cap ? it->cap * 2 : 16;
		struct item *nv = realloc(it->v, nc * sizeof(*nv));
		if (nv == NULL) {
			it->oom = 1;
			return 1;
		}
		it->v = nv;
		it->cap = nc;
	}
	it->v[it->n++] = (struct item){ k, key, val };
	return it->n >= it->lim;
}

static int
collect_cb(void *arg, const struct pm_edge *e)
{
	struct items *it = arg;

	switch (e->kind) {
	case PM_EDGE_ITEM:
	case PM_EDGE_SETITEM:
		return it->attrs ? 0 : items_add(it, I_VALUE, 0, e->target);
	case PM_EDGE_VALUE:
		return items_add(it, it->attrs ? I_ATTR : I_PAIR, e->arg, e->target);
	case PM_EDGE_ATTR:
		return it->attrs ? items_add(it, I_ATTR, e->arg, e->target) : 0;
	case PM_EDGE_SLOT:
		return it->attrs ? items_add(it, I_SLOT, e->arg, e->target) : 0;
	case PM_EDGE_DICT:
		if (it->attrs && !it->guard) {
			int64_t d = pm_heap_find(it->h, e->target);
			if (d >= 0 && pm_heap_type_of(it->h, (size_t)d)->kind ==
			    PM_KIND_DICT) {
				int r;
				it->guard = 1;
				r = pm_heap_referents(it->h, (size_t)d, collect_cb, it);
				it->guard = 0;
				return r;
			}
		}
		return 0;
	default:
		return 0;
	}
}

static int
on_stack(const struct ctx *x, uint64_t a)
{
	for (int k = 0; k < x->nstack; k++)
		if (x->stack[k] == a)
			return 1;
	return 0;
}

static int
put_item(struct ctx *x, const struct item *it, int level, size_t room)
{
	size_t mark = x->b->len;
	int cut = 0;

	switch (it->kind) {
	case I_VALUE:
		return rep(x, it->val, level, room);
	case I_PAIR:
		cut = rep(x, it->key, level, room > 3 ? room - 3 : 1);
		pm_buf_puts(x->b, ": ");
		break;
	case I_ATTR:
		put_strtext(x, it->key);
		pm_buf_putc(x->b, '=');
		break;
	case I_SLOT:
		put_cstr(x, it->key);
		pm_buf_putc(x->b, '=');
		break;
	}
	size_t used = chars_since(x, mark);
	if (cut || used >= room)
		return 1 | fit(x, mark, room);
	return rep(x, it->val, level, room - used);
}

/*
 * Write the items of it (n in all: it->n collected) between what the
 * caller wrote and close, where used characters of room are taken
 * (close included). Items are at level + 1.
 */
static int
put_items(struct ctx *x, const struct items *it, uint64_t n, int level,
    size_t room, size_t used)
{
	size_t k;

	for (k = 0; k < it->n && k < n; k++) {
		uint64_t rest = n - k - 1;
		size_t sep = k ? 2 : 0, tailres = rest ? 2 + tail_len(rest) : 0;
		size_t avail = ROOM_ANY;
		if (room != ROOM_ANY) {
			if (used + sep + tailres + 1 > room) {
				if (k)
					pm_buf_puts(x->b, ", ");
				put_tail(x, n - k);
				return 1;
			}
			avail = room - used - sep - tailres;
		}
		size_t m = x->b->len;
		if (k)
			pm_buf_puts(x->b, ", ");
		int cut = put_item(x, &it->v[k], level + 1, avail);
		if (x->b->oom)
			return 1;
		if (cut) {
			/* An item cut to almost nothing says less than a count. */
			if (room != ROOM_ANY && chars_since(x, m) - sep < MIN_ITEM) {
				pm_buf_truncate(x->b, m);
				if (k)
					pm_buf_puts(x->b, ", ");
				put_tail(x, n - k);
				return 1;
			}
			if (rest) {
				pm_buf_puts(x->b, ", ");
				put_tail(x, rest);
			}
			return 1;
		}
		used += chars_since(x, m);
	}
	if (k < n) {
		/* Fewer items than the length says (unreadable, or not
		 * collected): count the rest. */
		if (k)
			pm_buf_puts(x->b, ", ");
		put_tail(x, n - k);
		return room != ROOM_ANY;
	}
	return 0;
}

/* How many items to collect for room: each takes at least one character
 * and a separator. */
static size_t
item_limit(size_t room, uint64_t n)
{
	if (room == ROOM_ANY)
		return n < MAX_ITEMS ? (size_t)n : (size_t)MAX_ITEMS;
	return n < room / 2 + 2 ? (size_t)n : room / 2 + 2;
}

/*
 * A container: open, items, close. n is its length. Elided beyond the
 * depth, "[...]"-style when it contains itself.
 */
static int
put_container(struct ctx *x, size_t i, int level, size_t room,
    const char *open, const char *close, const char *recursive, uint64_t n)
{
	uint64_t a = pm_heap_objs(x->h)[i].addr;
	size_t mark = x->b->len;
	struct items it = { 0 };
	int cut;

	if (on_stack(x, a)) {
		pm_buf_puts(x->b, recursive);
		return fit(x, mark, room);
	}
	pm_buf_puts(x->b, open);
	if (level >= x->depth || x->nstack >= PM_REPR_MAX_DEPTH) {
		put_tail(x, n);
		pm_buf_puts(x->b, close);
		return fit(x, mark, room);
	}
	it.lim = item_limit(room, n);
	it.h = x->h;
	if (it.lim)
		pm_heap_referents(x->h, i, collect_cb, &it);
	if (it.oom)
		x->b->oom = 1;
	x->stack[x->nstack++] = a;
	cut = put_items(x, &it, n, level, room,
	    chars_since(x, mark) + pm_utf8_chars(close, strlen(close)));
	x->nstack--;
	free(it.v);
	pm_buf_puts(x->b, close);
	return cut | fit(x, mark, room);
}

/* Attributes of an instance: " {a=1, b='x'}". */
static int
put_attrs(struct ctx *x, size_t i, int level, size_t room)
{
	uint64_t a = pm_heap_objs(x->h)[i].addr;
	size_t mark = x->b->len;
	struct items it = { 0 };
	int cut;

	if (on_stack(x, a) || x->nstack >= PM_REPR_MAX_DEPTH)
		return 0;
	it.lim = MAX_ATTRS;
	it.h = x->h;
	it.attrs = 1;
	pm_heap_referents(x->h, i, collect_cb, &it);
	if (it.oom)
		x->b->oom = 1;
	pm_buf_puts(x->b, " {");
	x->stack[x->nstack++] = a;
	cut = put_items(x, &it, it.n, level, room, 3);
	x->nstack--;
	free(it.v);
	pm_buf_puts(x->b, "}");
	return cut | fit(x, mark, room);
}

/* ---- other objects ---- */

/* The value of key name in the dict at d (str keys), or 0. */
struct lookup {
	struct ctx *x;
	const char *name;
	uint64_t found;
};

static int
lookup_cb(void *arg, const struct pm_edge *e)
{
	struct lookup *lk = arg;

	if ((e->kind == PM_EDGE_VALUE || e->kind == PM_EDGE_ATTR) &&
	    str_is(lk->x, e->arg, lk->name)) {
		lk->found = e->target;
		return 1;
	}
	if (e->kind == PM_EDGE_DICT && e->target != 0) {
		int64_t d = pm_heap_find(lk->x->h, e->target);
		if (d >= 0 && pm_heap_type_of(lk->x->h, (size_t)d)->kind == PM_KIND_DICT)
			return pm_heap_referents(lk->x->h, (size_t)d, lookup_cb, lk);
	}
	return 0;
}

/* Attribute name of the object at a (its dict or inline values), or 0. */
static uint64_t
attr_get(struct ctx *x, uint64_t a, const char *name)
{
	struct lookup lk = { x, name, 0 };
	int64_t i = pm_heap_find(x->h, a);

	if (i >= 0)
		pm_heap_referents(x->h, (size_t)i, lookup_cb, &lk);
	return lk.found;
}

static int
is_kind(struct ctx *x, uint64_t a, enum pm_kind k)
{
	const struct pm_type *ty = type_at(x, a, NULL);

	return ty && ty->kind == k;
}

static void
put_module(struct ctx *x, uint64_t a, size_t room)
{
	uint64_t d = fld(x, a, PM_L_MODULE_DICT);
	struct lookup lk = { x, "__name__", 0 };
	int64_t di = d ? pm_heap_find(x->h, d) : -1;
	uint64_t name = 0, spec = 0, file = 0;

	if (di >= 0) {
		pm_heap_referents(x->h, (size_t)di, lookup_cb, &lk);
		name = lk.found;
		lk = (struct lookup){ x, "__spec__", 0 };
		pm_heap_referents(x->h, (size_t)di, lookup_cb, &lk);
		spec = lk.found;
		lk = (struct lookup){ x, "__file__", 0 };
		pm_heap_referents(x->h, (size_t)di, lookup_cb, &lk);
		file = lk.found;
	}
	x->plain++;
	pm_buf_puts(x->b, "<module ");
	if (name && is_kind(x, name, PM_KIND_STR))
		rep(x, name, x->depth, room);
	else
		pm_buf_puts(x->b, "'?'");
	if (spec && !is_kind(x, spec, PM_KIND_NONE)) {
		uint64_t origin = attr_get(x, spec, "origin");
		uint64_t loc = attr_get(x, spec, "_set_fileattr");
		uint64_t loader = attr_get(x, spec, "loader");
		if (origin && is_kind(x, origin, PM_KIND_STR)) {
			if (loc == x->c->true_) {
				pm_buf_puts(x->b, " from ");
				rep(x, origin, x->depth, room);
			} else {
				pm_buf_puts(x->b, " (");
				put_strtext(x, origin);
				pm_buf_puts(x->b, ")");
			}
		} else if (loader && !is_kind(x, loader, PM_KIND_NONE)) {
			/* 3.8 leaves origin None: the loader's module_repr. */
			char *ln = is_kind(x, loader, PM_KIND_TYPE) ?
			    pm_heap_type_name(x->h, loader) : NULL;
			const char *sn = ln ? short_name(ln) : "";
			pm_buf_puts(x->b, strcmp(sn, "BuiltinImporter") == 0 ?
			    " (built-in)" : strcmp(sn, "FrozenImporter") == 0 ?
			    " (frozen)" : " (namespace)");
			free(ln);
		}
	} else if (file && is_kind(x, file, PM_KIND_STR)) {
		pm_buf_puts(x->b, " from ");
		rep(x, file, x->depth, room);
	}
	pm_buf_puts(x->b, ">");
	x->plain--;
}

static void
put_code(struct ctx *x, uint64_t a)
{
	int32_t line = 0;
	uint64_t file = fld(x, a, PM_L_CODE_FILENAME);

	pm_snap_read(x->s, a + (uint64_t)PM_L(x->l, CODE_FIRSTLINENO), &line,
	    sizeof(line));
	pm_buf_puts(x->b, "<code object ");
	put_strtext(x, fld(x, a, PM_L_CODE_NAME));
	pm_buf_printf(x->b, " at 0x%llx, file ", (unsigned long long)a);
	if (is_kind(x, file, PM_KIND_STR)) {
		pm_buf_putc(x->b, '"');
		put_strtext(x, file);
		pm_buf_putc(x->b, '"');
	} else {
		pm_buf_puts(x->b, "???");
	}
	pm_buf_printf(x->b, ", line %d>", (int)line);
}

/* The tp_name of the object at a's type, as Python's C code prints it. */
static void
put_tpname_of(struct ctx *x, uint64_t a)
{
	put_cstr(x, fld(x, rd64(x, a + (uint64_t)PM_L(x->l, OBJECT_TYPE)),
	    PM_L_TYPE_NAME));
}

static int
put_future(struct ctx *x, size_t i, enum cls k, int level, size_t room)
{
	const struct pm_obj *o = &pm_heap_objs(x->h)[i];
	const struct pm_type *ty = pm_heap_type_of(x->h, i);
	size_t mark = x->b->len;
	uint64_t a = o->addr;
	static const char *const states[] = { "pending", "cancelled", "finished" };
	const struct pm_layout *l = x->l;
	uint32_t st = 3;

	if (PM_L(l, FUTURE_STATE) < 0 || PM_L(l, TASK_NAME) < 0) {
		pm_buf_printf(x->b, "<%s object at 0x%llx>", ty->name,
		    (unsigned long long)a);
		return fit(x, mark, room);
	}
	pm_snap_read(x->s, a + (uint64_t)PM_L(l, FUTURE_STATE), &st, sizeof(st));
	pm_buf_printf(x->b, "<%s %s", short_name(ty->name), st < 3 ? states[st] : "?");
	if (k == C_TASK) {
		uint64_t name = fld(x, a, PM_L_TASK_NAME);
		uint64_t coro = fld(x, a, PM_L_TASK_CORO);
		if (name && is_kind(x, name, PM_KIND_INT)) {
			/* 3.12+ names tasks lazily: the counter of "Task-N". */
			pm_buf_puts(x->b, " name='Task-");
			put_int(x, name);
			pm_buf_puts(x->b, "'");
		} else if (name) {
			pm_buf_puts(x->b, " name=");
			rep(x, name, level + 1, ROOM_ANY);
		}
		if (coro) {
			pm_buf_puts(x->b, " coro=");
			rep(x, coro, level + 1, ROOM_ANY);
		}
	}
	if (st == 2) {
		uint64_t exc = fld(x, a, PM_L_FUTURE_EXCEPTION);
		uint64_t res = fld(x, a, PM_L_FUTURE_RESULT);
		if (exc) {
			pm_buf_puts(x->b, " exception=");
			rep(x, exc, level + 1, room);
		} else if (res) {
			pm_buf_puts(x->b, " result=");
			rep(x, res, level + 1, room);
		}
	}
	if (k == C_TASK) {
		uint64_t w = fld(x, a, PM_L_TASK_FUT_WAITER);
		if (w && st == 0) {
			pm_buf_puts(x->b, " wait_for=");
			rep(x, w, level + 1, room);
		}
	}
	pm_buf_puts(x->b, ">");
	return fit(x, mark, room);
}

static int
put_exception(struct ctx *x, size_t i, int level, size_t room)
{
	const struct pm_type *ty = pm_heap_type_of(x->h, i);
	uint64_t args = rd64(x, pm_heap_objs(x->h)[i].addr + EXC_ARGS);
	int64_t ai;
	const struct pm_type *at = type_at(x, args, &ai);
	size_t mark = x->b->len;
	uint64_t n;

	pm_buf_puts(x->b, short_name(ty->name));
	if (at == NULL || at->kind != PM_KIND_TUPLE ||
	    pm_repr_len(x->h, (size_t)ai, &n) < 0) {
		pm_buf_puts(x->b, "()");
		return fit(x, mark, room);
	}
	if (n == 1) {
		size_t used = chars_since(x, mark);
		uint64_t item = rd64(x, args + (uint64_t)PM_L(x->l, TUPLE_ITEMS));
		pm_buf_puts(x->b, "(");
		if (used + 3 > room)
			return 1 | fit(x, mark, room);
		int cut = rep(x, item, level + 1, room - used - 2);
		pm_buf_puts(x->b, ")");
		return cut | fit(x, mark, room);
	}
	size_t used = chars_since(x, mark);
	if (used + 2 > room)
		return fit(x, mark, room);
	return put_container(x, (size_t)ai, level, room - used, "(", ")",
	    "(...)", n) | fit(x, mark, room);
}

/* Python's default: <module.Class object at 0x...>. */
static void
put_default(struct ctx *x, const char *name, uint64_t a)
{
	pm_buf_printf(x->b, "<%s object at 0x%llx>", name, (unsigned long long)a);
}

static int
rep_index(struct ctx *x, size_t i, int level, size_t room)
{
	const struct pm_obj *o = &pm_heap_objs(x->h)[i];
	const struct pm_type *ty = pm_heap_type_of(x->h, i);
	size_t ti = (size_t)(ty - pm_heap_types(x->h));
	size_t mark = x->b->len;
	uint64_t a = o->addr, n = 0;
	enum cls k = classify(x, ti);
	struct pm_strobj so;
	char *name;
	int cut = 0;

	if (room == 0)
		return 1;
	if (level > x->depth + 4) {
		pm_buf_puts(x->b, ELLIPSIS);
		return 1;
	}
	switch (k) {
	case C_RANGE:
		pm_buf_puts(x->b, "range(");
		rep(x, rd64(x, a + RANGE_START), x->depth, ROOM_ANY);
		pm_buf_puts(x->b, ", ");
		rep(x, rd64(x, a + RANGE_STOP), x->depth, ROOM_ANY);
		{
			size_t m = x->b->len;
			pm_buf_puts(x->b, ", ");
			rep(x, rd64(x, a + RANGE_STEP), x->depth, ROOM_ANY);
			if (strcmp(x->b->data + m, ", 1") == 0)
				pm_buf_truncate(x->b, m);
		}
		pm_buf_puts(x->b, ")");
		break;
	case C_SLICE:
		pm_buf_puts(x->b, "slice(");
		rep(x, rd64(x, a + RANGE_START), level + 1, ROOM_ANY);
		pm_buf_puts(x->b, ", ");
		rep(x, rd64(x, a + RANGE_STOP), level + 1, ROOM_ANY);
		pm_buf_puts(x->b, ", ");
		rep(x, rd64(x, a + RANGE_STEP), level + 1, ROOM_ANY);
		pm_buf_puts(x->b, ")");
		break;
	case C_CORO:
	case C_AGEN:
		pm_buf_puts(x->b, k == C_CORO ? "<coroutine object " :
		    "<async_generator object ");
		put_strtext(x, fld(x, a, PM_L_GEN_QUALNAME));
		pm_buf_printf(x->b, " at 0x%llx>", (unsigned long long)a);
		break;
	case C_EXC:
		cut = put_exception(x, i, level, room);
		break;
	case C_FUTURE:
	case C_TASK:
		cut = put_future(x, i, k, level, room);
		break;
	case C_NOTIMPL:
		pm_buf_puts(x->b, "NotImplemented");
		break;
	case C_ELLIPSIS:
		pm_buf_puts(x->b, "Ellipsis");
		break;
	case C_CFUNC: {
		uint64_t self = rd64(x, a + CFUNC_SELF);
		uint64_t ml = rd64(x, a + CFUNC_ML);
		if (self == 0 || is_kind(x, self, PM_KIND_MODULE)) {
			pm_buf_puts(x->b, "<built-in function ");
			put_cstr(x, rd64(x, ml));
			pm_buf_puts(x->b, ">");
		} else {
			pm_buf_puts(x->b, "<built-in method ");
			put_cstr(x, rd64(x, ml));
			pm_buf_puts(x->b, " of ");
			put_tpname_of(x, self);
			pm_buf_printf(x->b, " object at 0x%llx>",
			    (unsigned long long)self);
		}
		break;
	}
	case C_UNSET:
	case C_KIND:
		switch (ty->kind) {
		case PM_KIND_NONE:
			pm_buf_puts(x->b, "None");
			break;
		case PM_KIND_BOOL:
			pm_buf_puts(x->b, a == x->c->true_ ? "True" : "False");
			break;
		case PM_KIND_INT:
			put_int(x, a);
			break;
		case PM_KIND_FLOAT:
			put_float(x, a);
			break;
		case PM_KIND_COMPLEX:
			put_complex(x, a);
			break;
		case PM_KIND_STR:
		case PM_KIND_BYTES:
			if (!pm_strs_get(x->h, i, &so)) {
				put_default(x, ty->name, a);
				break;
			}
			cut = put_quoted(x, &so, ty->kind == PM_KIND_STR ? "str" :
			    "bytes", ty->kind == PM_KIND_STR ? "" : "b", "", room);
			break;
		case PM_KIND_BYTEARRAY:
			cut = put_bytearray(x, a, ty, room);
			break;
		case PM_KIND_TUPLE:
			pm_repr_len(x->h, i, &n);
			cut = put_container(x, i, level, room, "(",
			    n == 1 ? ",)" : ")", "(...)", n);
			break;
		case PM_KIND_LIST:
			pm_repr_len(x->h, i, &n);
			cut = put_container(x, i, level, room, "[", "]", "[...]", n);
			break;
		case PM_KIND_DICT:
			pm_repr_len(x->h, i, &n);
			cut = put_container(x, i, level, room, "{", "}", "{...}", n);
			break;
		case PM_KIND_SET:
		case PM_KIND_FROZENSET: {
			const char *nm = short_name(ty->name);
			char open[MAX_CSTR + 4], rec[MAX_CSTR + 8];
			int exact = ty->addr == x->c->t_set;
			pm_repr_len(x->h, i, &n);
			snprintf(rec, sizeof(rec), "%s(...)", nm);
			if (n == 0) {
				pm_buf_printf(x->b, "%s()", nm);
				break;
			}
			snprintf(open, sizeof(open), exact ? "{" : "%s({", nm);
			cut = put_container(x, i, level, room, open,
			    exact ? "}" : "})", rec, n);
			break;
		}
		case PM_KIND_TYPE:
			name = pm_heap_type_name(x->h, a);
			pm_buf_printf(x->b, "<class '%s'>", name ? name : "?");
			free(name);
			break;
		case PM_KIND_FUNCTION:
			pm_buf_puts(x->b, "<function ");
			put_strtext(x, fld(x, a, PM_L_FUNC_QUALNAME));
			pm_buf_printf(x->b, " at 0x%llx>", (unsigned long long)a);
			break;
		case PM_KIND_METHOD: {
			uint64_t f = fld(x, a, PM_L_METHOD_FUNC);
			size_t used;
			pm_buf_puts(x->b, "<bound method ");
			if (is_kind(x, f, PM_KIND_FUNCTION))
				put_strtext(x, fld(x, f, PM_L_FUNC_QUALNAME));
			else
				pm_buf_puts(x->b, "?");
			pm_buf_puts(x->b, " of ");
			used = chars_since(x, mark);
			if (used + 2 <= room)
				cut = rep(x, fld(x, a, PM_L_METHOD_SELF), level + 1,
				    room == ROOM_ANY ? ROOM_ANY : room - used - 1);
			pm_buf_puts(x->b, ">");
			break;
		}
		case PM_KIND_CELL: {
			uint64_t ref = fld(x, a, PM_L_CELL_REF);
			pm_buf_printf(x->b, "<cell at 0x%llx: ", (unsigned long long)a);
			if (ref == 0) {
				pm_buf_puts(x->b, "empty>");
			} else {
				put_tpname_of(x, ref);
				pm_buf_printf(x->b, " object at 0x%llx>",
				    (unsigned long long)ref);
			}
			break;
		}
		case PM_KIND_MODULE:
			put_module(x, a, ROOM_ANY);
			break;
		case PM_KIND_CODE:
			put_code(x, a);
			break;
		case PM_KIND_GEN:
			pm_buf_puts(x->b, "<generator object ");
			put_strtext(x, fld(x, a, PM_L_GEN_QUALNAME));
			pm_buf_printf(x->b, " at 0x%llx>", (unsigned long long)a);
			break;
		default:
			put_default(x, ty->name, a);
			break;
		}
		break;
	}
	cut |= fit(x, mark, room);
	if (!cut && (x->o->flags & PM_REPR_ATTRS) && ty->heap &&
	    ty->kind != PM_KIND_TYPE && level < x->depth) {
		size_t used = chars_since(x, mark);
		if (room != ROOM_ANY && used + 3 > room)
			return fit(x, mark, room);
		cut = put_attrs(x, i, level,
		    room == ROOM_ANY ? ROOM_ANY : room - used);
	}
	return cut | fit(x, mark, room);
}

static int
rep(struct ctx *x, uint64_t addr, int level, size_t room)
{
	int64_t i = pm_heap_find(x->h, addr);
	size_t mark = x->b->len;

	if (i < 0) {
		if (addr == 0)
			pm_buf_puts(x->b, "<NULL>");
		else
			pm_buf_printf(x->b, "<0x%llx not an object>",
			    (unsigned long long)addr);
		return fit(x, mark, room);
	}
	return rep_index(x, (size_t)i, level, room);
}

/* ---- API ---- */

void
pm_repr_opts_init(struct pm_repr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->depth = 1;
	o->width = 80;
}

void
pm_repr_opts_release(struct pm_repr_opts *o)
{
	if (o->cache_) {
		free(o->cache_->cls);
		free(o->cache_);
		o->cache_ = NULL;
	}
}

static int
ctx_init(struct ctx *x, const struct pm_heap *h, struct pm_repr_opts *o,
    struct pm_buf *b)
{
	memset(x, 0, sizeof(*x));
	x->h = h;
	x->s = pm_heap_snap(h);
	x->l = pm_heap_layout(h);
	x->o = o;
	x->b = b;
	x->depth = o->depth < 0 ? 0 : o->depth > PM_REPR_MAX_DEPTH ?
	    PM_REPR_MAX_DEPTH : o->depth;
	if (cache_open(x) < 0) {
		b->oom = 1;
		return -1;
	}
	return 0;
}

int
pm_repr(const struct pm_heap *h, size_t i, struct pm_repr_opts *o,
    struct pm_buf *b)
{
	struct ctx x;

	if (ctx_init(&x, h, o, b) < 0)
		return -1;
	rep_index(&x, i, 0, o->width ? o->width : ROOM_ANY);
	return b->oom ? -1 : 0;
}

int
pm_repr_addr(const struct pm_heap *h, uint64_t addr, struct pm_repr_opts *o,
    struct pm_buf *b)
{
	struct ctx x;

	if (ctx_init(&x, h, o, b) < 0)
		return -1;
	rep(&x, addr, 0, o->width ? o->width : ROOM_ANY);
	return b->oom ? -1 : 0;
}

int
pm_repr_len(const struct pm_heap *h, size_t i, uint64_t *len)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t a = pm_heap_objs(h)[i].addr, v;
	int64_t off;

	switch (ty->kind) {
	case PM_KIND_TUPLE:
	case PM_KIND_LIST:
	case PM_KIND_BYTES:
	case PM_KIND_BYTEARRAY:
		off = PM_L(l, VAROBJECT_SIZE);
		break;
	case PM_KIND_DICT:
		off = PM_L(l, DICT_MA_USED);
		break;
	case PM_KIND_SET:
	case PM_KIND_FROZENSET:
		off = PM_L(l, SET_USED);
		break;
	case PM_KIND_STR: {
		struct pm_strinfo si;
		if (pm_heap_strinfo(h, a, &si) < 0)
			return -1;
		*len = si.len;
		return 0;
	}
	default:
		return -1;
	}
	if (off < 0 || pm_snap_u64(s, a + (uint64_t)off, &v) < 0 ||
	    v > MAX_ITEMS)
		return -1;
	*len = v;
	return 0;
}

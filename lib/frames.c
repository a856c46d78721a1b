/*
 * frames.c - Python threads, frame chains and line numbers of a snapshot.
 *
 * Line numbers follow CPython's own PyCode_Addr2Line for each format:
 * - 3.8, 3.9: co_lnotab, pairs (address delta, signed line delta), with
 *   the byte offset f_lasti;
 * - 3.10: co_linetable (PEP 626), pairs (address delta, signed line
 *   delta, -128 for "no line"), with f_lasti counted in code units;
 * - 3.11+: the location table, entries of 1 to 8 code units whose first
 *   byte has the top bit set, with the instruction taken from
 *   prev_instr (3.11, 3.12) or instr_ptr (3.13) relative to
 *   co_code_adaptive.
 * Everything read from the snapshot is bounded: table lengths, varints,
 * frame chains (a visited set stops loops), thread lists.
 */
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define MAX_INTERPS 256
#define MAX_THREADS 100000
#define MAX_DEPTH 1000000	/* frames of one thread */
#define MAX_TABLE (16 << 20)	/* bytes of one line table */
#define MAX_NAME 4096		/* bytes of a function or file name */
#define MAX_LOCALS (1 << 20)
#define PTHREAD_TID_GLIBC 720	/* offsetof(struct pthread, tid), glibc x86-64 */
#define PTHREAD_TID_SCAN 4096	/* how far to look when 720 does not match */

/* _PyFrameOwner (pycore_frame.h, 3.11+). */
#define OWNED_BY_GENERATOR 1
#define OWNED_BY_CSTACK 3	/* 3.12+ */
/* PyFrameState of 3.10 (cpython/frameobject.h). */
#define F310_CREATED (-2)
#define F310_SUSPENDED (-1)
#define F310_EXECUTING 0
/* Generator frame states (pycore_frame.h): 3.13 splits "suspended". */
#define G11_CREATED (-2)
#define G11_SUSPENDED (-1)
#define G13_CREATED (-3)
#define G13_SUSPENDED (-2)
#define G13_SUSPENDED_YIELD_FROM (-1)
#define G_EXECUTING 0
/* Code kinds of co_localspluskinds (3.11+). */
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80

struct codeinfo {
	uint64_t code;		/* 0 = empty slot */
	char *func, *file;
	int ok;
};

struct pm_frames {
	const struct pm_heap *h;
	const struct pm_snap *s;
	const struct pm_layout *l;
	int minor;

	struct pm_thread *threads;
	size_t nthreads, capthreads;
	struct pm_frame *frames;
	size_t nframes, capframes;
	enum pm_tid_source tid_source;
	int64_t tid_offset;

	struct codeinfo *codes;	/* open addressing on the code address */
	size_t ncodes, capcodes;
	uint64_t *seen;		/* visited frames, open addressing */
	size_t nseen, capseen;
	char **names;		/* thread names owned here */
	size_t nnames;
	uint64_t code_type;	/* PyCode_Type, once seen */
};

static uint64_t
ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint64_t
rd64(const struct pm_snap *s, uint64_t a)
{
	uint64_t v;

	return pm_snap_u64(s, a, &v) < 0 ? 0 : v;
}

/* The pointer-sized field k of the struct at base, 0 when absent. */
static uint64_t
fld(const struct pm_frames *fs, uint64_t base, enum pm_layout_key k)
{
	int64_t off = fs->l->off[k];

	if (off < 0 || base == 0)
		return 0;
	return rd64(fs->s, base + (uint64_t)off);
}

static int
fld32(const struct pm_frames *fs, uint64_t base, enum pm_layout_key k,
    int32_t *v)
{
	int64_t off = fs->l->off[k];
	uint32_t u;

	if (off < 0 || pm_snap_read(fs->s, base + (uint64_t)off, &u, 4) < 0)
		return -1;
	*v = (int32_t)u;
	return 0;
}

static int
fld8(const struct pm_frames *fs, uint64_t base, enum pm_layout_key k,
    int8_t *v)
{
	int64_t off = fs->l->off[k];

	if (off < 0 || pm_snap_read(fs->s, base + (uint64_t)off, v, 1) < 0)
		return -1;
	return 0;
}

static uint64_t
hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* ---- object helpers ---- */

const char *
pm_frames_typename(const struct pm_heap *h, uint64_t addr)
{
	int64_t i = pm_heap_find(h, addr);

	if (i < 0)
		return "?";
	return pm_heap_type_of(h, (size_t)i)->name;
}

char *
pm_frames_str(const struct pm_heap *h, uint64_t obj, size_t max)
{
	int64_t i = pm_heap_find(h, obj);
	char *out;
	size_t len;

	if (i < 0 || pm_heap_type_of(h, (size_t)i)->kind != PM_KIND_STR)
		return NULL;
	if (pm_heap_strval(h, obj, max, &out, &len) < 0)
		return NULL;
	return out;
}

/* Whether the str object at obj equals the C string s. */
static int
str_is(const struct pm_heap *h, uint64_t obj, const char *s)
{
	size_t n = strlen(s);
	char *t = pm_frames_str(h, obj, n + 1);
	int eq = t != NULL && strcmp(t, s) == 0;

	free(t);
	return eq;
}

int
pm_frames_int(const struct pm_heap *h, uint64_t obj, uint64_t *v, int *neg)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_snap *s = pm_heap_snap(h);
	int64_t i = pm_heap_find(h, obj);
	uint64_t nd, val = 0, size;
	uint32_t d[3];
	enum pm_kind k;

	if (i < 0)
		return -1;
	k = pm_heap_type_of(h, (size_t)i)->kind;
	if (k != PM_KIND_INT && k != PM_KIND_BOOL)
		return -1;
	if (pm_snap_u64(s, obj + 16, &size) < 0)
		return -1;
	if (PM_L(l, LONG_LV_TAG) >= 0) {
		nd = size >> 3;
		*neg = (size & 3) == 2;
	} else {
		*neg = (int64_t)size < 0;
		nd = *neg ? (uint64_t)-(int64_t)size : size;
	}
	if (nd > 3 || (nd > 0 &&
	    pm_snap_read(s, obj + (uint64_t)PM_L(l, LONG_DIGITS), d, 4 * nd) < 0))
		return -1;
	if (nd == 3 && d[2] >= 16)
		return -1;
	for (uint64_t j = nd; j-- > 0;)
		val = (val << 30) | (d[j] & 0x3fffffff);
	*v = val;
	return 0;
}

struct dict_find {
	const struct pm_heap *h;
	const char *key;
	uint64_t value;
};

static int
dict_find_cb(void *arg, const struct pm_edge *e)
{
	struct dict_find *df = arg;

	if (e->kind == PM_EDGE_VALUE && str_is(df->h, e->arg, df->key)) {
		df->value = e->target;
		return 1;
	}
	return 0;
}

uint64_t
pm_frames_dict_get(const struct pm_heap *h, uint64_t dict, const char *key)
{
	struct dict_find df = { h, key, 0 };
	int64_t i = pm_heap_find(h, dict);

	if (i < 0 || pm_heap_type_of(h, (size_t)i)->kind != PM_KIND_DICT)
		return 0;
	pm_heap_referents(h, (size_t)i, dict_find_cb, &df);
	return df.value;
}

static int
cstr_is(const struct pm_snap *s, uint64_t addr, const char *want)
{
	size_t n = strlen(want) + 1;
	char buf[256];

	if (n > sizeof(buf) || pm_snap_read(s, addr, buf, n) < 0)
		return 0;
	return memcmp(buf, want, n) == 0;
}

static int
attr_cb(void *arg, const struct pm_edge *e)
{
	struct dict_find *df = arg;
	uint64_t v;

	switch (e->kind) {
	case PM_EDGE_ATTR:
		if (str_is(df->h, e->arg, df->key)) {
			df->value = e->target;
			return 1;
		}
		break;
	case PM_EDGE_SLOT:
		if (cstr_is(pm_heap_snap(df->h), e->arg, df->key)) {
			df->value = e->target;
			return 1;
		}
		break;
	case PM_EDGE_DICT:
		if ((v = pm_frames_dict_get(df->h, e->target, df->key)) != 0) {
			df->value = v;
			return 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * name in the __dict__ of the classes of type t's __mro__ (a class
 * attribute, such as asyncio's Future._state before the first change).
 */
static uint64_t
class_attr(const struct pm_heap *h, uint64_t t, const char *name)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t mro, n, v;

	if (pm_snap_u64(s, t + (uint64_t)PM_L(l, TYPE_MRO), &mro) < 0 ||
	    pm_snap_u64(s, mro + (uint64_t)PM_L(l, VAROBJECT_SIZE), &n) < 0 ||
	    n > 256)
		return 0;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t c, d;
		if (pm_snap_u64(s, mro + (uint64_t)PM_L(l, TUPLE_ITEMS) + 8 * k, &c) < 0 ||
		    pm_snap_u64(s, c + (uint64_t)PM_L(l, TYPE_DICT), &d) < 0)
			return 0;
		if ((v = pm_frames_dict_get(h, d, name)) != 0)
			return v;
	}
	return 0;
}

uint64_t
pm_frames_attr(const struct pm_heap *h, uint64_t obj, const char *name)
{
	struct dict_find df = { h, name, 0 };
	int64_t i = pm_heap_find(h, obj);
	const struct pm_type *ty;
	uint64_t d;

	if (i < 0)
		return 0;
	ty = pm_heap_type_of(h, (size_t)i);
	if (ty->kind == PM_KIND_MODULE)
		return pm_frames_dict_get(h, rd64(pm_heap_snap(h), obj +
		    (uint64_t)PM_L(pm_heap_layout(h), MODULE_DICT)), name);
	pm_heap_referents(h, (size_t)i, attr_cb, &df);
	if (df.value == 0 && ty->dictoffset > 0 &&
	    pm_snap_u64(pm_heap_snap(h), obj + (uint64_t)ty->dictoffset, &d) == 0)
		df.value = pm_frames_dict_get(h, d, name);
	if (df.value == 0)
		df.value = class_attr(h, ty->addr, name);
	return df.value;
}

uint64_t
pm_frames_module(const struct pm_heap *h, const char *name)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t rt = pm_snap_sym(s, "_PyRuntime"), interp;

	if (rt == 0 || pm_snap_u64(s, rt + (uint64_t)PM_L(l,
	    RUNTIME_INTERPRETERS_HEAD), &interp) < 0 || interp == 0)
		return 0;
	return pm_frames_dict_get(h, rd64(s, interp +
	    (uint64_t)PM_L(l, INTERP_MODULES)), name);
}

/* ---- code objects and line tables ---- */

/* The bytes of a bytes object, or NULL. */
static const unsigned char *
bytes_of(const struct pm_frames *fs, uint64_t b, size_t *n)
{
	uint64_t size;

	if (b == 0 || pm_snap_u64(fs->s, b + (uint64_t)PM_L(fs->l,
	    VAROBJECT_SIZE), &size) < 0 || size > MAX_TABLE)
		return NULL;
	*n = (size_t)size;
	return pm_snap_ptr(fs->s, b + (uint64_t)PM_L(fs->l, BYTES_SVAL),
	    size ? (size_t)size : 1);
}

/* 3.8, 3.9: Objects/codeobject.c PyCode_Addr2Line over co_lnotab. */
static int64_t
line_lnotab(const unsigned char *p, size_t n, int64_t line, int64_t addrq)
{
	int64_t addr = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		addr += p[i];
		if (addr > addrq)
			break;
		line += (signed char)p[i + 1];
	}
	return line;
}

/* 3.10: PyCode_Addr2Line over the PEP 626 co_linetable. */
static int64_t
line_pep626(const unsigned char *p, size_t n, int64_t computed,
    int64_t addrq)
{
	int64_t start, end = 0, line = -1;
	size_t i = 0;

	if (addrq < 0)
		return computed;
	while (end <= addrq) {
		/* _PyLineTable_NextAddressRange: skip empty ranges */
		do {
			int ld;
			if (i + 1 >= n)
				return -1;
			start = end;
			end += p[i];
			ld = (signed char)p[i + 1];
			i += 2;
			if (ld == -128) {
				line = -1;
			} else {
				computed += ld;
				line = computed;
			}
		} while (start == end);
	}
	return line;
}

/* A location table varint at p[*i], bounded by n. */
static uint64_t
varint(const unsigned char *p, size_t n, size_t *i)
{
	uint64_t val;
	unsigned shift = 0, rd;

	if (*i >= n)
		return 0;
	rd = p[(*i)++];
	val = rd & 63;
	while ((rd & 64) && *i < n && shift < 54) {
		rd = p[(*i)++];
		shift += 6;
		val |= (uint64_t)(rd & 63) << shift;
	}
	return val;
}

/* 3.11+: PyCode_Addr2Line over the location table (InternalDocs). */
static int64_t
line_loctable(const unsigned char *p, size_t n, int64_t computed,
    int64_t addrq)
{
	int64_t end = 0, line = -1;
	size_t i = 0;

	if (addrq < 0)
		return computed;
	while (end <= addrq) {
		unsigned char b;
		int code;
		if (i >= n)
			return -1;
		b = p[i];
		code = (b >> 3) & 15;
		if (code == 13 || code == 14) {		/* no columns, long */
			size_t j = i + 1;
			uint64_t u = varint(p, n, &j);
			computed += (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
		} else if (code >= 10 && code <= 12) {	/* one line */
			computed += code - 10;
		}
		line = (b >> 3) == 0x1f ? -1 : computed;
		end += ((b & 7) + 1) * 2;
		do
			i++;
		while (i < n && (p[i] & 128) == 0);
	}
	return line;
}

static char *
code_str(const struct pm_frames *fs, uint64_t code, enum pm_layout_key k)
{
	char *t = pm_frames_str(fs->h, fld(fs, code, k), MAX_NAME);

	return t ? t : strdup("?");
}

static int
is_code(struct pm_frames *fs, uint64_t code)
{
	int64_t i = pm_heap_find(fs->h, code);
	uint64_t t;
	char *name;
	int ok;

	if (i >= 0)
		return pm_heap_type_of(fs->h, (size_t)i)->kind == PM_KIND_CODE;
	/* Not enumerated (say, only reachable from a frame): its type. */
	if (code == 0 || (code & 7) != 0)
		return 0;
	t = fld(fs, code, PM_L_OBJECT_TYPE);
	if (t != 0 && t == fs->code_type)
		return 1;
	if ((name = pm_heap_type_name(fs->h, t)) == NULL)
		return 0;
	ok = strcmp(name, "code") == 0;
	free(name);
	if (ok)
		fs->code_type = t;
	return ok;
}

static int
codes_grow(struct pm_frames *fs)
{
	size_t cap = fs->capcodes ? 2 * fs->capcodes : 256;
	struct codeinfo *n = calloc(cap, sizeof(*n));

	if (n == NULL)
		return -1;
	for (size_t i = 0; i < fs->capcodes; i++) {
		struct codeinfo *c = &fs->codes[i];
		size_t j;
		if (c->code == 0)
			continue;
		for (j = hash64(c->code) & (cap - 1); n[j].code; j = (j + 1) & (cap - 1))
			;
		n[j] = *c;
	}
	free(fs->codes);
	fs->codes = n;
	fs->capcodes = cap;
	return 0;
}

/* The cached names of a code object; NULL when out of memory. */
static struct codeinfo *
code_info(struct pm_frames *fs, uint64_t code)
{
	struct codeinfo *c;
	size_t j;

	if (2 * (fs->ncodes + 1) > fs->capcodes && codes_grow(fs) < 0)
		return NULL;
	for (j = hash64(code) & (fs->capcodes - 1); fs->codes[j].code;
	    j = (j + 1) & (fs->capcodes - 1))
		if (fs->codes[j].code == code)
			return &fs->codes[j];
	c = &fs->codes[j];
	c->ok = is_code(fs, code);
	if (c->ok) {
		c->func = code_str(fs, code, PM_L(fs->l, CODE_QUALNAME) >= 0 ?
		    PM_L_CODE_QUALNAME : PM_L_CODE_NAME);
		c->file = code_str(fs, code, PM_L_CODE_FILENAME);
		if (c->func == NULL || c->file == NULL) {
			free(c->func);
			free(c->file);
			c->func = c->file = NULL;
			return NULL;
		}
	}
	c->code = code;
	fs->ncodes++;
	return c;
}

/* Line of code at byte offset addrq (-1 before the first instruction). */
static int64_t
code_line(const struct pm_frames *fs, uint64_t code, int64_t addrq)
{
	const unsigned char *p;
	int32_t first;
	size_t n;

	if (fld32(fs, code, PM_L_CODE_FIRSTLINENO, &first) < 0)
		return -1;
	if (PM_L(fs->l, CODE_LNOTAB) >= 0) {
		if ((p = bytes_of(fs, fld(fs, code, PM_L_CODE_LNOTAB), &n)) == NULL)
			return -1;
		return line_lnotab(p, n, first, addrq);
	}
	if ((p = bytes_of(fs, fld(fs, code, PM_L_CODE_LINETABLE), &n)) == NULL)
		return -1;
	if (fs->minor == 10)
		return line_pep626(p, n, first, addrq);
	return line_loctable(p, n, first, addrq);
}

/* 3.11+: the code unit index of iframe f's instruction pointer. */
static int
iframe_lasti(const struct pm_frames *fs, uint64_t f, uint64_t code,
    int64_t *lasti)
{
	uint64_t instr = fld(fs, f, PM_L_IFRAME_INSTR), size;
	uint64_t base = code + (uint64_t)PM_L(fs->l, CODE_ADAPTIVE);
	int64_t d = (int64_t)(instr - base);

	if (pm_snap_u64(fs->s, code + (uint64_t)PM_L(fs->l, VAROBJECT_SIZE),
	    &size) < 0 || size > MAX_TABLE)
		return -1;
	if (d < -2 || d % 2 != 0 || d / 2 > (int64_t)size)
		return -1;
	*lasti = d / 2;
	return 0;
}

int
pm_frames_read(struct pm_frames *fs, uint64_t addr, struct pm_frame *f,
    int *oom)
{
	struct codeinfo *c;
	int32_t lasti32;
	int64_t units;
	int8_t owner;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	f->line = -1;
	f->lasti = -1;
	if (addr == 0 || (addr & 7) != 0)
		return -1;
	if (PM_L(fs->l, FRAME_CODE) >= 0) {
		f->code = fld(fs, addr, PM_L_FRAME_CODE);
		if (fld32(fs, addr, PM_L_FRAME_LASTI, &lasti32) < 0)
			return -1;
		/* 3.10 counts f_lasti in code units, 3.8 and 3.9 in bytes. */
		f->lasti = lasti32 < 0 ? -1 :
		    fs->minor == 10 ? 2 * (int64_t)lasti32 : lasti32;
	} else {
		if (fld8(fs, addr, PM_L_IFRAME_OWNER, &owner) < 0)
			return -1;
		if (fs->minor >= 12 && owner == OWNED_BY_CSTACK)
			return -1;
		f->code = fld(fs, addr, PM_L_IFRAME_CODE);
		if ((c = code_info(fs, f->code)) == NULL) {
			*oom = 1;
			return -1;
		}
		if (!c->ok || iframe_lasti(fs, addr, f->code, &units) < 0)
			return -1;
		f->lasti = units < 0 ? -1 : 2 * units;
	}
	if ((c = code_info(fs, f->code)) == NULL) {
		*oom = 1;
		return -1;
	}
	if (!c->ok)
		return -1;
	f->func = c->func;
	f->file = c->file;
	f->line = code_line(fs, f->code, f->lasti);
	return 0;
}

/*
 * 3.11+: a frame that has not reached its first traceable instruction is
 * not shown by Python (_PyFrame_IsIncomplete); neither is it here.
 */
static int
incomplete(const struct pm_frames *fs, const struct pm_frame *f)
{
	int32_t first;
	int8_t owner;

	if (fs->minor < 11 || fld8(fs, f->addr, PM_L_IFRAME_OWNER, &owner) < 0)
		return 0;
	if (owner == OWNED_BY_GENERATOR ||
	    fld32(fs, f->code, PM_L_CODE_FIRSTTRACEABLE, &first) < 0)
		return 0;
	return f->lasti / 2 < first;
}

/* ---- generators ---- */

enum pm_gen_state
pm_frames_gen_state(struct pm_frames *fs, uint64_t gen)
{
	uint64_t f;
	int8_t st;
	int32_t lasti;

	if (PM_L(fs->l, GEN_FRAME_STATE) >= 0) {
		if (fld8(fs, gen, PM_L_GEN_FRAME_STATE, &st) < 0)
			return PM_GEN_UNKNOWN;
		if (st == G_EXECUTING)
			return PM_GEN_RUNNING;
		if (st > G_EXECUTING)
			return PM_GEN_DONE;
		if (fs->minor >= 13)
			return st == G13_CREATED ? PM_GEN_CREATED :
			    st == G13_SUSPENDED || st == G13_SUSPENDED_YIELD_FROM ?
			    PM_GEN_SUSPENDED : PM_GEN_UNKNOWN;
		return st == G11_CREATED ? PM_GEN_CREATED :
		    st == G11_SUSPENDED ? PM_GEN_SUSPENDED : PM_GEN_UNKNOWN;
	}
	/* <= 3.10: the frame goes when the generator finishes. */
	if (pm_snap_u64(fs->s, gen + (uint64_t)PM_L(fs->l, GEN_FRAME), &f) < 0)
		return PM_GEN_UNKNOWN;
	if (f == 0)
		return PM_GEN_DONE;
	if (PM_L(fs->l, FRAME_STATE) >= 0) {
		if (fld8(fs, f, PM_L_FRAME_STATE, &st) < 0)
			return PM_GEN_UNKNOWN;
		return st == F310_CREATED ? PM_GEN_CREATED :
		    st == F310_SUSPENDED ? PM_GEN_SUSPENDED :
		    st == F310_EXECUTING ? PM_GEN_RUNNING : PM_GEN_DONE;
	}
	if (fld32(fs, f, PM_L_FRAME_LASTI, &lasti) < 0)
		return PM_GEN_UNKNOWN;
	if (lasti < 0)
		return PM_GEN_CREATED;
	/* f_stacktop is kept only while the frame is not running. */
	return fld(fs, f, PM_L_FRAME_STACKTOP) ? PM_GEN_SUSPENDED :
	    PM_GEN_RUNNING;
}

uint64_t
pm_frames_gen_frame(struct pm_frames *fs, uint64_t gen)
{
	if (PM_L(fs->l, GEN_IFRAME) >= 0) {
		enum pm_gen_state st = pm_frames_gen_state(fs, gen);
		if (st == PM_GEN_DONE || st == PM_GEN_UNKNOWN)
			return 0;
		return gen + (uint64_t)PM_L(fs->l, GEN_IFRAME);
	}
	return fld(fs, gen, PM_L_GEN_FRAME);
}

/* The code unit (opcode, oparg) at byte offset off of code's bytecode. */
static int
code_unit(const struct pm_frames *fs, uint64_t code, int64_t off,
    int *op, int *arg)
{
	unsigned char u[2];
	uint64_t at;

	if (off < 0)
		return -1;
	if (PM_L(fs->l, CODE_CODE) >= 0) {
		const unsigned char *p;
		size_t n;
		if ((p = bytes_of(fs, fld(fs, code, PM_L_CODE_CODE), &n)) == NULL ||
		    (uint64_t)off + 2 > n)
			return -1;
		*op = p[off];
		*arg = p[off + 1];
		return 0;
	}
	at = code + (uint64_t)PM_L(fs->l, CODE_ADAPTIVE) + (uint64_t)off;
	if (pm_snap_read(fs->s, at, u, 2) < 0)
		return -1;
	*op = u[0];
	*arg = u[1];
	return 0;
}

uint64_t
pm_frames_gen_awaits(struct pm_frames *fs, uint64_t gen)
{
	const struct pm_layout *l = fs->l;
	uint64_t f, code, top;
	int op, arg;
	int8_t st;
	int32_t lasti, depth;

	if (pm_frames_gen_state(fs, gen) != PM_GEN_SUSPENDED)
		return 0;
	if (PM_L(l, GEN_IFRAME) < 0) {
		/* Objects/genobject.c _PyGen_yf, 3.8-3.10 */
		f = fld(fs, gen, PM_L_GEN_FRAME);
		code = fld(fs, f, PM_L_FRAME_CODE);
		if (fld32(fs, f, PM_L_FRAME_LASTI, &lasti) < 0 || lasti < 0)
			return 0;
		if (code_unit(fs, code, fs->minor == 10 ? 2 * ((int64_t)lasti + 1) :
		    (int64_t)lasti + 2, &op, &arg) < 0 || op != PM_L(l, OP_YIELD_FROM))
			return 0;
		if (fs->minor == 10) {
			if (fld32(fs, f, PM_L_FRAME_STACKTOP, &depth) < 0 ||
			    depth < 1 || depth > (1 << 20))
				return 0;
			return rd64(fs->s, fld(fs, f, PM_L_FRAME_VALUESTACK) +
			    8 * ((uint64_t)depth - 1));
		}
		top = fld(fs, f, PM_L_FRAME_STACKTOP);
		return top ? rd64(fs->s, top - 8) : 0;
	}
	f = gen + (uint64_t)PM_L(l, GEN_IFRAME);
	if (fs->minor >= 13) {
		if (fld8(fs, gen, PM_L_GEN_FRAME_STATE, &st) < 0 ||
		    st != G13_SUSPENDED_YIELD_FROM)
			return 0;
	} else {
		int64_t units;
		code = fld(fs, f, PM_L_IFRAME_CODE);
		if (iframe_lasti(fs, f, code, &units) < 0 ||
		    code_unit(fs, code, 2 * (units + 1), &op, &arg) < 0)
			return 0;
		if ((op != PM_L(l, OP_RESUME) && op != PM_L(l, OP_RESUME_ALT)) ||
		    arg < 2)
			return 0;
	}
	if (fld32(fs, f, PM_L_IFRAME_STACKTOP, &depth) < 0 || depth < 1 ||
	    depth > (1 << 20))
		return 0;
	return rd64(fs->s, f + (uint64_t)PM_L(l, IFRAME_LOCALSPLUS) +
	    8 * ((uint64_t)depth - 1));
}

int
pm_frames_opcode(struct pm_frames *fs, const struct pm_frame *f)
{
	int op, arg;

	if (code_unit(fs, f->code, f->lasti, &op, &arg) < 0)
		return -1;
	return op;
}

/* ---- locals ---- */

static uint64_t
tuple_item(const struct pm_frames *fs, uint64_t t, uint64_t i)
{
	return rd64(fs->s, t + (uint64_t)PM_L(fs->l, TUPLE_ITEMS) + 8 * i);
}

static uint64_t
tuple_len(const struct pm_frames *fs, uint64_t t)
{
	uint64_t n;

	if (t == 0 || pm_snap_u64(fs->s, t + (uint64_t)PM_L(fs->l,
	    VAROBJECT_SIZE), &n) < 0 || n > MAX_LOCALS)
		return 0;
	return n;
}

static int
is_cell(const struct pm_frames *fs, uint64_t v)
{
	int64_t i = pm_heap_find(fs->h, v);

	return i >= 0 && pm_heap_type_of(fs->h, (size_t)i)->kind == PM_KIND_CELL;
}

static int
call_local(struct pm_frames *fs, uint64_t name, uint64_t v, int cellish,
    pm_local_fn fn, void *arg)
{
	char *n;
	int r, cell = 0;

	if (v == 0)
		return 0;
	if (cellish && is_cell(fs, v)) {
		v = fld(fs, v, PM_L_CELL_REF);
		cell = 1;
		if (v == 0)
			return 0;
	}
	if ((n = pm_frames_str(fs->h, name, MAX_NAME)) == NULL)
		n = strdup("?");
	if (n == NULL)
		return -1;
	r = fn(arg, n, v, cell);
	free(n);
	return r;
}

int
pm_frames_locals(struct pm_frames *fs, const struct pm_frame *f,
    pm_local_fn fn, void *arg)
{
	const struct pm_layout *l = fs->l;
	uint64_t base, names, i, n;
	int r;

	if (PM_L(l, FRAME_LOCALSPLUS) >= 0) {
		int32_t nlocals;
		uint64_t cells = fld(fs, f->code, PM_L_CODE_CELLVARS);
		uint64_t frees = fld(fs, f->code, PM_L_CODE_FREEVARS);
		uint64_t ncells = tuple_len(fs, cells), nfrees = tuple_len(fs, frees);
		const unsigned char *p;

		names = fld(fs, f->code, PM_L_CODE_VARNAMES);
		if (fld32(fs, f->code, PM_L_CODE_NLOCALS, &nlocals) < 0 ||
		    nlocals < 0 || (uint64_t)nlocals > tuple_len(fs, names))
			return 0;
		n = (uint64_t)nlocals + ncells + nfrees;
		base = f->addr + (uint64_t)PM_L(l, FRAME_LOCALSPLUS);
		if (n == 0 || (p = pm_snap_ptr(fs->s, base, (size_t)(8 * n))) == NULL)
			return 0;
		for (i = 0; i < n; i++) {
			uint64_t name = i < (uint64_t)nlocals ? tuple_item(fs, names, i) :
			    i < (uint64_t)nlocals + ncells ?
			    tuple_item(fs, cells, i - (uint64_t)nlocals) :
			    tuple_item(fs, frees, i - (uint64_t)nlocals - ncells);
			if ((r = call_local(fs, name, ld64(p + 8 * i),
			    i >= (uint64_t)nlocals, fn, arg)) != 0)
				return r;
		}
		return 0;
	}
	/* 3.11+: co_localsplusnames and co_localspluskinds */
	{
		const unsigned char *p, *kinds;
		size_t nk;
		int32_t nplus;

		names = fld(fs, f->code, PM_L_CODE_LOCALSPLUSNAMES);
		kinds = bytes_of(fs, fld(fs, f->code, PM_L_CODE_LOCALSPLUSKINDS), &nk);
		if (kinds == NULL ||
		    fld32(fs, f->code, PM_L_CODE_NLOCALSPLUS, &nplus) < 0 ||
		    nplus <= 0 || (uint64_t)nplus > tuple_len(fs, names) ||
		    (size_t)nplus > nk)
			return 0;
		n = (uint64_t)nplus;
		base = f->addr + (uint64_t)PM_L(l, IFRAME_LOCALSPLUS);
		if ((p = pm_snap_ptr(fs->s, base, (size_t)(8 * n))) == NULL)
			return 0;
		for (i = 0; i < n; i++)
			if ((r = call_local(fs, tuple_item(fs, names, i),
			    ld64(p + 8 * i), (kinds[i] & (CO_FAST_CELL | CO_FAST_FREE)) != 0,
			    fn, arg)) != 0)
				return r;
	}
	return 0;
}

int64_t
pm_frames_stack_area(struct pm_frames *fs, const struct pm_frame *f,
    uint64_t **slots)
{
	const struct pm_layout *l = fs->l;
	int32_t stacksize;
	uint64_t base;
	const unsigned char *p;

	*slots = NULL;
	if (fld32(fs, f->code, PM_L_CODE_STACKSIZE, &stacksize) < 0 ||
	    stacksize <= 0 || stacksize > (1 << 16))
		return 0;
	if (PM_L(l, FRAME_VALUESTACK) >= 0) {
		base = fld(fs, f->addr, PM_L_FRAME_VALUESTACK);
	} else {
		int32_t nplus;
		if (fld32(fs, f->code, PM_L_CODE_NLOCALSPLUS, &nplus) < 0 ||
		    nplus < 0 || nplus > MAX_LOCALS)
			return 0;
		base = f->addr + (uint64_t)PM_L(l, IFRAME_LOCALSPLUS) +
		    8 * (uint64_t)nplus;
	}
	if ((p = pm_snap_ptr(fs->s, base, 8 * (size_t)stacksize)) == NULL)
		return 0;
	if ((*slots = malloc(8 * (size_t)stacksize)) == NULL)
		return -1;
	memcpy(*slots, p, 8 * (size_t)stacksize);
	return stacksize;
}

/* ---- threads ---- */

/* Add addr to the visited set: 1 if new, 0 if seen, -1 out of memory. */
static int
seen_add(struct pm_frames *fs, uint64_t addr)
{
	size_t j;

	if (2 * (fs->nseen + 1) > fs->capseen) {
		size_t cap = fs->capseen ? 2 * fs->capseen : 1024;
		uint64_t *n = calloc(cap, sizeof(*n));
		if (n == NULL)
			return -1;
		for (size_t i = 0; i < fs->capseen; i++) {
			if (fs->seen[i] == 0)
				continue;
			for (j = hash64(fs->seen[i]) & (cap - 1); n[j];
			    j = (j + 1) & (cap - 1))
				;
			n[j] = fs->seen[i];
		}
		free(fs->seen);
		fs->seen = n;
		fs->capseen = cap;
	}
	for (j = hash64(addr) & (fs->capseen - 1); fs->seen[j];
	    j = (j + 1) & (fs->capseen - 1))
		if (fs->seen[j] == addr)
			return 0;
	fs->seen[j] = addr;
	fs->nseen++;
	return 1;
}

static int
add_frame(struct pm_frames *fs, const struct pm_frame *f)
{
	if (fs->nframes == fs->capframes) {
		size_t cap = fs->capframes ? 2 * fs->capframes : 64;
		struct pm_frame *n = reallocarray(fs->frames, cap, sizeof(*n));
		if (n == NULL)
			return -1;
		fs->frames = n;
		fs->capframes = cap;
	}
	fs->frames[fs->nframes++] = *f;
	return 0;
}

/* The frames of the thread state ts, innermost first. */
static int
walk_stack(struct pm_frames *fs, uint64_t ts, struct pm_thread *t)
{
	const struct pm_layout *l = fs->l;
	uint64_t f;
	int older = PM_L(l, TSTATE_FRAME) >= 0;

	if (older)
		f = fld(fs, ts, PM_L_TSTATE_FRAME);
	else if (PM_L(l, TSTATE_CURRENT_FRAME) >= 0)
		f = fld(fs, ts, PM_L_TSTATE_CURRENT_FRAME);
	else
		f = fld(fs, fld(fs, ts, PM_L_TSTATE_CFRAME), PM_L_CFRAME_CURRENT_FRAME);
	t->first = fs->nframes;
	for (size_t k = 0; f != 0 && k < MAX_DEPTH; k++) {
		struct pm_frame fr;
		int oom = 0, r = seen_add(fs, f);
		if (r < 0)
			return -1;
		if (r == 0)
			break;		/* a loop, or a chain shared with another thread */
		if (pm_frames_read(fs, f, &fr, &oom) == 0) {
			if (!incomplete(fs, &fr) && add_frame(fs, &fr) < 0)
				return -1;
		} else if (oom) {
			return -1;
		}
		f = fld(fs, f, older ? PM_L_FRAME_BACK : PM_L_IFRAME_PREVIOUS);
	}
	t->nframes = fs->nframes - t->first;
	return 0;
}

static int
add_thread(struct pm_frames *fs, uint64_t ts)
{
	struct pm_thread *t;

	if (fs->nthreads == fs->capthreads) {
		size_t cap = fs->capthreads ? 2 * fs->capthreads : 16;
		struct pm_thread *n = reallocarray(fs->threads, cap, sizeof(*n));
		if (n == NULL)
			return -1;
		fs->threads = n;
		fs->capthreads = cap;
	}
	t = &fs->threads[fs->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tstate = ts;
	t->ident = fld(fs, ts, PM_L_TSTATE_THREAD_ID);
	if (PM_L(fs->l, TSTATE_NATIVE_THREAD_ID) >= 0)
		t->tid = (uint32_t)fld(fs, ts, PM_L_TSTATE_NATIVE_THREAD_ID);
	return walk_stack(fs, ts, t);
}

static int
snap_has_tid(const struct pm_snap *s, uint64_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i] == tid)
			return 1;
	return 0;
}

/* Whether u32 at ident + off is a distinct snapshot tid for every thread. */
static int
tid_offset_fits(const struct pm_frames *fs, uint64_t off)
{
	for (size_t i = 0; i < fs->nthreads; i++) {
		uint32_t v;
		if (fs->threads[i].ident == 0 ||
		    pm_snap_read(fs->s, fs->threads[i].ident + off, &v, 4) < 0 ||
		    v == 0 || !snap_has_tid(fs->s, v))
			return 0;
		for (size_t j = 0; j < i; j++) {
			uint32_t w;
			if (pm_snap_read(fs->s, fs->threads[j].ident + off, &w, 4) == 0 &&
			    w == v)
				return 0;
		}
	}
	return 1;
}

/*
 * 3.8-3.10: thread_id is a pthread_t, the address of glibc's struct
 * pthread, whose tid sits at a fixed offset (720 on x86-64 since glibc
 * 2.25 or so). Take 720 when every thread matches the snapshot's list at
 * it; else the first offset that does. Threads left without a tid get
 * threading's Thread._native_id (3.8+) when it is a snapshot tid.
 */
static void
map_tids(struct pm_frames *fs)
{
	uint64_t off;

	fs->tid_offset = -1;
	if (PM_L(fs->l, TSTATE_NATIVE_THREAD_ID) >= 0) {
		fs->tid_source = PM_TID_NATIVE;
		return;
	}
	fs->tid_source = PM_TID_UNKNOWN;
	if (fs->nthreads == 0)
		return;
	if (tid_offset_fits(fs, PTHREAD_TID_GLIBC)) {
		off = PTHREAD_TID_GLIBC;
	} else {
		for (off = 0; off < PTHREAD_TID_SCAN; off += 4)
			if (tid_offset_fits(fs, off))
				break;
		if (off >= PTHREAD_TID_SCAN)
			return;
	}
	fs->tid_source = PM_TID_PTHREAD;
	fs->tid_offset = (int64_t)off;
	for (size_t i = 0; i < fs->nthreads; i++) {
		uint32_t v;
		if (pm_snap_read(fs->s, fs->threads[i].ident + off, &v, 4) == 0)
			fs->threads[i].tid = v;
	}
}

struct active {
	struct pm_frames *fs;
	int oom;
};

static int
active_cb(void *arg, const struct pm_edge *e)
{
	struct active *a = arg;
	struct pm_frames *fs = a->fs;
	const struct pm_heap *h = fs->h;
	uint64_t ident, nid, name;
	int neg;

	if (e->kind != PM_EDGE_VALUE ||
	    pm_frames_int(h, e->arg, &ident, &neg) < 0 || neg)
		return 0;
	for (size_t i = 0; i < fs->nthreads; i++) {
		struct pm_thread *t = &fs->threads[i];
		char *s, **n;
		if (t->ident != ident || t->name != NULL)
			continue;
		if (t->tid == 0 && (nid = pm_frames_attr(h, e->target, "_native_id")) &&
		    pm_frames_int(h, nid, &nid, &neg) == 0 && !neg &&
		    snap_has_tid(fs->s, nid))
			t->tid = (uint32_t)nid;
		name = pm_frames_attr(h, e->target, "_name");
		if (name == 0 || (s = pm_frames_str(h, name, MAX_NAME)) == NULL)
			continue;
		n = reallocarray(fs->names, fs->nnames + 1, sizeof(*n));
		if (n == NULL) {
			free(s);
			a->oom = 1;
			return 1;
		}
		fs->names = n;
		fs->names[fs->nnames++] = s;
		t->name = s;
	}
	return 0;
}

/* Names from threading._active (ident -> Thread), tids from _native_id. */
static int
name_threads(struct pm_frames *fs)
{
	const struct pm_heap *h = fs->h;
	uint64_t mod = pm_frames_module(h, "threading"), active;
	struct active a = { fs, 0 };
	int64_t i;

	if (mod == 0 || (active = pm_frames_attr(h, mod, "_active")) == 0 ||
	    (i = pm_heap_find(h, active)) < 0)
		return 0;
	pm_heap_referents(h, (size_t)i, active_cb, &a);
	return a.oom ? -1 : 0;
}

struct ranked {
	size_t rank, pos;
	struct pm_thread t;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
cmp_tidpos(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* Main thread first, then the snapshot's order; unknown ones last. */
static int
sort_threads(struct pm_frames *fs)
{
	size_t n = fs->s->nthreads;
	struct ranked *r;
	uint64_t *tp;		/* tid << 32 | position, sorted */

	if (fs->nthreads < 2)
		return 0;
	if ((r = calloc(fs->nthreads, sizeof(*r))) == NULL)
		return -1;
	if ((tp = calloc(n + 1, sizeof(*tp))) == NULL) {
		free(r);
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		tp[j] = (uint64_t)fs->s->threads[j] << 32 | (j & 0xffffffffU);
	qsort(tp, n, sizeof(*tp), cmp_tidpos);
	for (size_t i = 0; i < fs->nthreads; i++) {
		size_t lo = 0, hi = n;
		uint64_t key = (uint64_t)fs->threads[i].tid << 32;
		r[i].t = fs->threads[i];
		r[i].pos = i;
		r[i].rank = (size_t)-1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (tp[mid] < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (fs->threads[i].tid != 0 && lo < n && tp[lo] >> 32 == key >> 32)
			r[i].rank = (size_t)(tp[lo] & 0xffffffffU);
	}
	free(tp);
	qsort(r, fs->nthreads, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < fs->nthreads; i++)
		fs->threads[i] = r[i].t;
	free(r);
	return 0;
}

struct pm_frames *
pm_frames_open(const struct pm_heap *h, struct pm_err *e)
{
	struct pm_frames *fs = calloc(1, sizeof(*fs));
	uint64_t rt, interp, ts;

	if (fs == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory"), NULL;
	fs->h = h;
	fs->s = pm_heap_snap(h);
	fs->l = pm_heap_layout(h);
	fs->minor = fs->l->minor;
	rt = pm_snap_sym(fs->s, "_PyRuntime");
	interp = rt ? fld(fs, rt, PM_L_RUNTIME_INTERPRETERS_HEAD) : 0;
	for (int ni = 0; interp != 0 && ni < MAX_INTERPS; ni++) {
		size_t first = fs->nthreads;
		ts = fld(fs, interp, PM_L_INTERP_TSTATE_HEAD);
		for (int nt = 0; ts != 0 && nt < MAX_THREADS; nt++) {
			int r = seen_add(fs, ts);
			if (r < 0 || (r > 0 && add_thread(fs, ts) < 0))
				goto oom;
			if (r == 0)
				break;
			ts = fld(fs, ts, PM_L_TSTATE_NEXT);
		}
		/* The list is newest first: oldest first reads better. */
		for (size_t i = first, j = fs->nthreads; i + 1 < j; i++, j--) {
			struct pm_thread t = fs->threads[i];
			fs->threads[i] = fs->threads[j - 1];
			fs->threads[j - 1] = t;
		}
		interp = fld(fs, interp, PM_L_INTERP_NEXT);
	}
	map_tids(fs);
	if (name_threads(fs) < 0)
		goto oom;
	if (sort_threads(fs) < 0)
		goto oom;
	return fs;
oom:
	pm_frames_close(fs);
	pm_error(e, PM_EXIT_INPUT, "out of memory reading thread stacks");
	return NULL;
}

void
pm_frames_close(struct pm_frames *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->capcodes; i++) {
		free(fs->codes[i].func);
		free(fs->codes[i].file);
	}
	for (size_t i = 0; i < fs->nnames; i++)
		free(fs->names[i]);
	free(fs->names);
	free(fs->codes);
	free(fs->seen);
	free(fs->threads);
	free(fs->frames);
	free(fs);
}

const struct pm_heap *
pm_frames_heap(const struct pm_frames *fs)
{
	return fs->h;
}

size_t
pm_frames_nthreads(const struct pm_frames *fs)
{
	return fs->nthreads;
}

const struct pm_thread *
pm_frames_threads(const struct pm_frames *fs)
{
	return fs->threads;
}

const struct pm_frame *
pm_frames_frames(const struct pm_frames *fs)
{
	return fs->frames;
}

enum pm_tid_source
pm_frames_tid_source(const struct pm_frames *fs)
{
	return fs->tid_source;
}

int64_t
pm_frames_tid_offset(const struct pm_frames *fs)
{
	return fs->tid_offset;
}

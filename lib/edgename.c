/*
 * edgename.c - names of references, written as Python would.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "edgename.h"
#include "heap.h"
#include "pylayout.h"
#include "snapshot.h"

#define MAX_INT_DIGITS 64	/* 30-bit digits: ints below 2**1920 */
#define MAX_TUPLE (1u << 20)

/* Code object flags of co_localspluskinds (3.11+). */
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80

static uint64_t
rd(const struct pm_heap *h, uint64_t addr)
{
	uint64_t v;

	if (addr == 0 || pm_snap_u64(pm_heap_snap(h), addr, &v) < 0)
		return 0;
	return v;
}

/* The word at a + the offset of key k, or 0 when the version lacks it. */
static uint64_t
fld(const struct pm_heap *h, uint64_t a, enum pm_layout_key k)
{
	int64_t off = pm_heap_layout(h)->off[k];

	return off < 0 || a == 0 ? 0 : rd(h, a + (uint64_t)off);
}

static enum pm_kind
kind_at(const struct pm_heap *h, uint64_t addr, int64_t *idx)
{
	int64_t i = pm_heap_find(h, addr);

	if (idx)
		*idx = i;
	return i < 0 ? PM_KIND_COUNT : pm_heap_type_of(h, (size_t)i)->kind;
}

void
pm_edgename_obj(const struct pm_heap *h, size_t i, struct pm_buf *b)
{
	pm_buf_printf(b, "<%s at 0x%" PRIx64 ">", pm_heap_type_of(h, i)->name,
	    pm_heap_objs(h)[i].addr);
}

static void
addr_obj(const struct pm_heap *h, uint64_t addr, struct pm_buf *b)
{
	int64_t i = pm_heap_find(h, addr);

	if (i >= 0)
		pm_edgename_obj(h, (size_t)i, b);
	else
		pm_buf_printf(b, "<0x%" PRIx64 ">", addr);
}

/* ---- str ---- */

struct text {
	const unsigned char *p;
	int kind;
	uint64_t len;
};

static int
str_text(const struct pm_heap *h, uint64_t addr, struct text *t)
{
	struct pm_strinfo si;

	if (kind_at(h, addr, NULL) != PM_KIND_STR ||
	    pm_heap_strinfo(h, addr, &si) < 0 || si.data == 0)
		return -1;
	t->kind = si.kind;
	t->len = si.len;
	t->p = pm_snap_ptr(pm_heap_snap(h), si.data, (size_t)(si.len * (uint64_t)si.kind));
	return t->p == NULL && si.len ? -1 : 0;
}

static uint32_t
text_at(const struct text *t, uint64_t i)
{
	const unsigned char *q = t->p + i * (uint64_t)t->kind;

	if (t->kind == 1)
		return q[0];
	if (t->kind == 2) {
		uint16_t c;
		memcpy(&c, q, 2);
		return c;
	}
	uint32_t c;
	memcpy(&c, q, 4);
	return c;
}

/* Not printable for str.isprintable(), as far as is known without tables. */
static int
unprintable(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0x3000 || c == 0xfeff ||
	    (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff9 && c <= 0xfffb) ||
	    c == 0xfffe || c == 0xffff || c > 0x10ffff ||
	    (c >= 0xf0000) || (c >= 0xe0000 && c <= 0xe0fff);
}

/* Python's repr() of the str at t, cut after max code points. */
static void
text_repr(const struct text *t, size_t max, struct pm_buf *b)
{
	int dq = 0, sq = 0;
	char q;

	for (uint64_t i = 0; i < t->len; i++) {
		uint32_t c = text_at(t, i);
		sq |= c == '\'';
		dq |= c == '"';
	}
	q = sq && !dq ? '"' : '\'';
	pm_buf_putc(b, q);
	for (uint64_t i = 0; i < t->len; i++) {
		uint32_t c = text_at(t, i);
		if (i == max) {
			pm_buf_puts(b, "…");
			break;
		}
		if (c == (uint32_t)q || c == '\\')
			pm_buf_printf(b, "\\%c", (char)c);
		else if (c == '\t')
			pm_buf_puts(b, "\\t");
		else if (c == '\n')
			pm_buf_puts(b, "\\n");
		else if (c == '\r')
			pm_buf_puts(b, "\\r");
		else if (c < 0x80 && !unprintable(c))
			pm_buf_putc(b, (int)c);
		else if (!unprintable(c))
			pm_buf_utf8(b, c);
		else if (c <= 0xff)
			pm_buf_printf(b, "\\x%02x", (unsigned)c);
		else if (c <= 0xffff)
			pm_buf_printf(b, "\\u%04x", (unsigned)c);
		else
			pm_buf_printf(b, "\\U%08x", (unsigned)c);
	}
	pm_buf_putc(b, q);
}

static const char *const keywords[] = {
	"False", "None", "True", "and", "as", "assert", "async", "await",
	"break", "class", "continue", "def", "del", "elif", "else", "except",
	"finally", "for", "from", "global", "if", "import", "in", "is",
	"lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield",
};

int
pm_edgename_ident(const struct pm_heap *h, uint64_t addr, struct pm_buf *b)
{
	struct text t;
	char s[256];

	if (str_text(h, addr, &t) < 0 || t.len == 0 || t.len >= sizeof(s))
		return 0;
	for (uint64_t i = 0; i < t.len; i++) {
		uint32_t c = text_at(&t, i);
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (i > 0 && c >= '0' && c <= '9')))
			return 0;
		s[i] = (char)c;
	}
	s[t.len] = '\0';
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(s, keywords[i]) == 0)
			return 0;
	pm_buf_puts(b, s);
	return 1;
}

/* ---- int ---- */

/* The decimal text of the int at addr; -1 when it is not readable. */
static int
int_text(const struct pm_heap *h, uint64_t addr, struct pm_buf *b)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_snap *s = pm_heap_snap(h);
	uint32_t d[MAX_INT_DIGITS];
	uint64_t nd, w;
	int neg = 0;

	if (PM_L(l, LONG_LV_TAG) >= 0) {
		if (pm_snap_u64(s, addr + (uint64_t)PM_L(l, LONG_LV_TAG), &w) < 0)
			return -1;
		nd = w >> 3;
		neg = (w & 3) == 2;
		if ((w & 3) == 1)
			nd = 0;
	} else {
		if (pm_snap_u64(s, addr + (uint64_t)PM_L(l, VAROBJECT_SIZE), &w) < 0)
			return -1;
		neg = (int64_t)w < 0;
		nd = neg ? (uint64_t)-(int64_t)w : w;
	}
	if (nd > MAX_INT_DIGITS || PM_L(l, DIGIT_SIZE) != 4)
		return -1;
	if (nd && pm_snap_read(s, addr + (uint64_t)PM_L(l, LONG_DIGITS), d,
	    (size_t)nd * 4) < 0)
		return -1;
	/* Base 2**30 to base 10**9 by repeated division. */
	char groups[MAX_INT_DIGITS * 10 + 2];
	size_t ng = 0;
	uint64_t top = nd;
	while (top > 0 && d[top - 1] == 0)
		top--;
	if (top == 0) {
		pm_buf_putc(b, '0');
		return 0;
	}
	uint32_t parts[MAX_INT_DIGITS * 2];
	do {
		uint64_t rem = 0;
		for (uint64_t i = top; i-- > 0;) {
			uint64_t cur = rem << 30 | (d[i] & 0x3fffffffu);
			d[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		parts[ng++] = (uint32_t)rem;
		while (top > 0 && d[top - 1] == 0)
			top--;
	} while (top > 0);
	size_t len = 0;
	if (neg)
		groups[len++] = '-';
	len += (size_t)snprintf(groups + len, sizeof(groups) - len, "%u",
	    (unsigned)parts[ng - 1]);
	for (size_t i = ng - 1; i-- > 0 && len < sizeof(groups) - 10;)
		len += (size_t)snprintf(groups + len, sizeof(groups) - len,
		    "%09u", (unsigned)parts[i]);
	pm_buf_add(b, groups, len);
	return 0;
}

void
pm_edgename_key(const struct pm_heap *h, uint64_t addr, struct pm_buf *b)
{
	int64_t i;
	enum pm_kind k = kind_at(h, addr, &i);
	struct text t;
	size_t mark = b->len;

	switch (k) {
	case PM_KIND_STR:
		if (str_text(h, addr, &t) == 0) {
			text_repr(&t, PM_EDGENAME_MAX_KEY, b);
			return;
		}
		break;
	case PM_KIND_INT:
		if (int_text(h, addr, b) == 0)
			return;
		break;
	case PM_KIND_BOOL:
		if (int_text(h, addr, b) == 0) {
			int one = b->len > mark && b->data[mark] == '1';
			pm_buf_truncate(b, mark);
			pm_buf_puts(b, one ? "True" : "False");
			return;
		}
		break;
	case PM_KIND_NONE:
		pm_buf_puts(b, "None");
		return;
	default:
		break;
	}
	pm_buf_truncate(b, mark);
	addr_obj(h, addr, b);
}

/* ---- frames and their locals ---- */

static uint64_t
tuple_len(const struct pm_heap *h, uint64_t t)
{
	uint64_t n = fld(h, t, PM_L_VAROBJECT_SIZE);

	return n > MAX_TUPLE ? 0 : n;
}

static uint64_t
tuple_item(const struct pm_heap *h, uint64_t t, uint64_t i)
{
	const struct pm_layout *l = pm_heap_layout(h);

	return rd(h, t + (uint64_t)PM_L(l, TUPLE_ITEMS) + 8 * i);
}

/* The code object of a frame: a frame object, or a 3.11+ _PyInterpreterFrame. */
static uint64_t
frame_code(const struct pm_heap *h, uint64_t f, int iframe)
{
	const struct pm_layout *l = pm_heap_layout(h);

	if (!iframe && PM_L(l, FRAME_FRAME) >= 0) {
		f = fld(h, f, PM_L_FRAME_FRAME);
		iframe = 1;
	}
	return iframe ? fld(h, f, PM_L_IFRAME_CODE) : fld(h, f, PM_L_FRAME_CODE);
}

/*
 * Name local number idx of a frame running code, whose value is the
 * object at target: prefix + ".f_locals['x']", "<cell x>", "<stack N>".
 */
static void
local_name(const struct pm_heap *h, uint64_t code, uint64_t idx,
    uint64_t target, const char *prefix, struct pm_buf *b)
{
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t name = 0, n = 0;
	int cell = 0;

	if (code && PM_L(l, CODE_LOCALSPLUSNAMES) >= 0) {
		uint64_t names = fld(h, code, PM_L_CODE_LOCALSPLUSNAMES);
		uint64_t kinds = fld(h, code, PM_L_CODE_LOCALSPLUSKINDS);
		n = tuple_len(h, names);
		if (idx < n) {
			unsigned char k = 0;
			name = tuple_item(h, names, idx);
			if (kinds)
				pm_snap_read(pm_heap_snap(h), kinds +
				    (uint64_t)PM_L(l, BYTES_SVAL) + idx, &k, 1);
			cell = (k & (CO_FAST_CELL | CO_FAST_FREE)) != 0;
		}
	} else if (code) {
		uint32_t nl = 0;
		uint64_t cv = fld(h, code, PM_L_CODE_CELLVARS);
		uint64_t fv = fld(h, code, PM_L_CODE_FREEVARS);
		pm_snap_read(pm_heap_snap(h), code + (uint64_t)PM_L(l, CODE_NLOCALS),
		    &nl, 4);
		uint64_t nc = tuple_len(h, cv), nf = tuple_len(h, fv);
		n = nl + nc + nf;
		if (idx < nl)
			name = tuple_item(h, fld(h, code, PM_L_CODE_VARNAMES), idx);
		else if (idx < nl + nc)
			name = tuple_item(h, cv, idx - nl), cell = 1;
		else if (idx < n)
			name = tuple_item(h, fv, idx - nl - nc), cell = 1;
	}
	if (cell && kind_at(h, target, NULL) != PM_KIND_CELL)
		cell = 0;	/* not made a cell yet: the plain value */
	if (idx >= n && code) {
		pm_buf_printf(b, "<stack %" PRIu64 ">", idx - n);
		return;
	}
	size_t mark = b->len;
	if (cell) {
		pm_buf_puts(b, "<cell ");
		if (!pm_edgename_ident(h, name, b))
			pm_edgename_key(h, name, b);
		pm_buf_putc(b, '>');
		return;
	}
	pm_buf_puts(b, prefix);
	pm_buf_puts(b, ".f_locals[");
	if (name && kind_at(h, name, NULL) == PM_KIND_STR) {
		pm_edgename_key(h, name, b);
		pm_buf_putc(b, ']');
		return;
	}
	pm_buf_truncate(b, mark);
	pm_buf_printf(b, "<local %" PRIu64 ">", idx);
}

/* ".gi_frame", ".cr_frame" or ".ag_frame" for generator-like object i. */
static const char *
gen_attr(const struct pm_heap *h, size_t i, const char *what)
{
	const char *name = pm_heap_type_of(h, i)->name;
	int coro = strcmp(name, "coroutine") == 0;
	int agen = strcmp(name, "async_generator") == 0;

	if (strcmp(what, "code") == 0)
		return coro ? ".cr_code" : agen ? ".ag_code" : ".gi_code";
	return coro ? ".cr_frame" : agen ? ".ag_frame" : ".gi_frame";
}

/* C fields that Python does not expose under that name. */
static const struct {
	const char *field, *name;
} pseudo[] = {
	{ "<weak>", "<weak>" },
	{ "<shared key>", "<shared key>" },
	{ "__module_object__", "<ht_module>" },
	{ "__subclasses__", "<tp_subclasses>" },
	{ "f_func", "<f_func>" },
	{ "frame_obj", "<frame object>" },
	{ "co_localsplusnames", "<co_localsplusnames>" },
	{ "co_localspluskinds", "<co_localspluskinds>" },
};

static void
field_name(const struct pm_heap *h, size_t src, const char *f,
    struct pm_buf *b)
{
	enum pm_kind k = pm_heap_type_of(h, src)->kind;

	if (f == NULL)
		f = "?";
	if (k == PM_KIND_GEN) {
		if (strcmp(f, "f_code") == 0) {
			pm_buf_puts(b, gen_attr(h, src, "code"));
			return;
		}
		if (strcmp(f, "frame_obj") == 0) {
			pm_buf_puts(b, gen_attr(h, src, "frame"));
			return;
		}
		if (strcmp(f, "f_globals") == 0 || strcmp(f, "f_locals") == 0) {
			pm_buf_printf(b, "%s.%s", gen_attr(h, src, "frame"), f);
			return;
		}
	}
	if (k == PM_KIND_TYPE && strcmp(f, "__slots__") == 0) {
		pm_buf_puts(b, "<ht_slots>");
		return;
	}
	for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (strcmp(f, pseudo[i].field) == 0) {
			pm_buf_puts(b, pseudo[i].name);
			return;
		}
	if (f[0] == '<') {
		pm_buf_puts(b, f);
		return;
	}
	pm_buf_putc(b, '.');
	pm_buf_puts(b, f);
}

/* A __slots__ member's name: a C string in the target. */
static void
slot_name(const struct pm_heap *h, uint64_t addr, struct pm_buf *b)
{
	const struct pm_snap *s = pm_heap_snap(h);
	char name[128];
	size_t i;

	for (i = 0; i + 1 < sizeof(name); i++) {
		const char *p = pm_snap_ptr(s, addr + i, 1);
		if (p == NULL || *p == '\0')
			break;
		name[i] = *p;
	}
	name[i] = '\0';
	if (i == 0) {
		pm_buf_puts(b, ".<slot>");
		return;
	}
	pm_buf_putc(b, '.');
	pm_buf_puts(b, name);
}

/*
 * A generator of 3.8-3.10 is read conservatively, but the layout knows
 * some of its fields: name a word found at one of their offsets.
 */
static int
guess_gen(const struct pm_heap *h, size_t src, uint64_t off, struct pm_buf *b)
{
	const struct pm_layout *l = pm_heap_layout(h);

	if (PM_L(l, GEN_FRAME) >= 0 && off == (uint64_t)PM_L(l, GEN_FRAME))
		pm_buf_puts(b, gen_attr(h, src, "frame"));
	else if (PM_L(l, GEN_CODE) >= 0 && off == (uint64_t)PM_L(l, GEN_CODE))
		pm_buf_puts(b, gen_attr(h, src, "code"));
	else if (PM_L(l, GEN_NAME) >= 0 && off == (uint64_t)PM_L(l, GEN_NAME))
		pm_buf_puts(b, ".__name__");
	else if (PM_L(l, GEN_QUALNAME) >= 0 && off == (uint64_t)PM_L(l, GEN_QUALNAME))
		pm_buf_puts(b, ".__qualname__");
	else
		return 0;
	return 1;
}

void
pm_edgename(const struct pm_heap *h, size_t src, const struct pm_edge *e,
    struct pm_buf *b)
{
	const struct pm_type *ty = pm_heap_type_of(h, src);
	uint64_t a = pm_heap_objs(h)[src].addr;

	switch (e->kind) {
	case PM_EDGE_TYPE:
		pm_buf_puts(b, ".__class__");
		return;
	case PM_EDGE_ITEM:
		pm_buf_printf(b, "[%" PRIu64 "]", e->arg);
		return;
	case PM_EDGE_KEY:
		pm_buf_puts(b, "<key>");
		return;
	case PM_EDGE_VALUE:
		pm_buf_putc(b, '[');
		pm_edgename_key(h, e->arg, b);
		pm_buf_putc(b, ']');
		return;
	case PM_EDGE_SETITEM:
		pm_buf_puts(b, "<set item>");
		return;
	case PM_EDGE_ATTR:
		pm_buf_putc(b, '.');
		if (!pm_edgename_ident(h, e->arg, b)) {
			pm_buf_puts(b, "__dict__[");
			pm_edgename_key(h, e->arg, b);
			pm_buf_putc(b, ']');
		}
		return;
	case PM_EDGE_SLOT:
		slot_name(h, e->arg, b);
		return;
	case PM_EDGE_DICT:
		pm_buf_puts(b, ".__dict__");
		return;
	case PM_EDGE_FIELD:
		field_name(h, src, e->field, b);
		return;
	case PM_EDGE_LOCAL: {
		const struct pm_layout *l = pm_heap_layout(h);
		if (ty->kind == PM_KIND_GEN && PM_L(l, GEN_IFRAME) >= 0) {
			uint64_t f = a + (uint64_t)PM_L(l, GEN_IFRAME);
			local_name(h, frame_code(h, f, 1), e->arg, e->target,
			    gen_attr(h, src, "frame"), b);
		} else if (ty->kind == PM_KIND_FRAME) {
			local_name(h, frame_code(h, a, 0), e->arg, e->target,
			    "", b);
		} else {
			pm_buf_printf(b, "<local %" PRIu64 ">", e->arg);
		}
		return;
	}
	case PM_EDGE_GUESS:
		if (ty->kind == PM_KIND_GEN && guess_gen(h, src, e->arg, b))
			return;
		pm_buf_printf(b, "<ref +%" PRIu64 ">", e->arg);
		return;
	}
	pm_buf_puts(b, "<?>");
}

/* ---- roots ---- */

static void
thread_id(const struct pm_heap *h, uint64_t ts, struct pm_buf *b)
{
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t id = 0;

	if (PM_L(l, TSTATE_NATIVE_THREAD_ID) >= 0) {
		uint32_t tid = 0;
		pm_snap_read(pm_heap_snap(h), ts +
		    (uint64_t)PM_L(l, TSTATE_NATIVE_THREAD_ID), &tid, 4);
		id = tid;
	}
	if (id == 0)
		id = fld(h, ts, PM_L_TSTATE_THREAD_ID);
	pm_buf_printf(b, "thread %" PRIu64, id);
}

static void
frame_label(const struct pm_heap *h, uint64_t code, uint64_t ts,
    struct pm_buf *b)
{
	uint64_t name = fld(h, code, PM_L_CODE_QUALNAME);
	struct text t;

	if (name == 0)
		name = fld(h, code, PM_L_CODE_NAME);
	pm_buf_puts(b, "<frame ");
	if (str_text(h, name, &t) == 0 && t.len < 200) {
		for (uint64_t i = 0; i < t.len; i++) {
			uint32_t c = text_at(&t, i);
			if (c < 0x20)
				c = '?';
			pm_buf_utf8(b, c);
		}
	} else {
		pm_buf_puts(b, "?");
	}
	pm_buf_puts(b, " of ");
	thread_id(h, ts, b);
	pm_buf_putc(b, '>');
}

void
pm_edgename_root(const struct pm_heap *h, const struct pm_root *r,
    struct pm_buf *b, int *ns)
{
	const struct pm_obj *o = &pm_heap_objs(h)[r->obj];

	*ns = 0;
	switch (r->kind) {
	case PM_ROOT_MODULES:
		pm_buf_puts(b, "sys.modules");
		return;
	case PM_ROOT_SYSDICT:
		pm_buf_puts(b, "sys");
		*ns = 1;
		return;
	case PM_ROOT_BUILTINS:
		pm_buf_puts(b, "builtins");
		*ns = 1;
		return;
	case PM_ROOT_THREAD:
		pm_buf_puts(b, "<");
		thread_id(h, r->tstate, b);
		pm_buf_puts(b, " dict>");
		return;
	case PM_ROOT_FRAME:
		frame_label(h, frame_code(h, o->addr, 0), r->tstate, b);
		return;
	case PM_ROOT_LOCAL: {
		uint64_t code = frame_code(h, r->frame, 1);
		frame_label(h, code, r->tstate, b);
		local_name(h, code, r->index, o->addr, "", b);
		return;
	}
	case PM_ROOT_STATIC:
		break;
	}
	enum pm_kind k = pm_heap_type_of(h, r->obj)->kind;
	const char *tn = pm_heap_type_of(h, r->obj)->name;
	if (k == PM_KIND_NONE || k == PM_KIND_BOOL)
		pm_edgename_key(h, o->addr, b);
	else if (strcmp(tn, "ellipsis") == 0)
		pm_buf_puts(b, "Ellipsis");
	else if (strcmp(tn, "NotImplementedType") == 0)
		pm_buf_puts(b, "NotImplemented");
	else
		pm_edgename_obj(h, r->obj, b);
}

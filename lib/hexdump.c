/* hexdump.c - raw bytes of a snapshot, and the objects they belong to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "hexdump.h"
#include "out.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define TPFLAGS_HEAPTYPE (1ULL << 9)	/* the same in every version */

/*
 * Bytes before an object's address: its pre-header and its GC head, and
 * the GC head sys.getsizeof counts (*counted), which 3.11 and 3.12 count
 * for static types too, that have none.
 */
static void
headers(const struct pm_heap *h, size_t i, uint64_t *pre, uint64_t *gc,
    uint64_t *counted)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_obj *o = &pm_heap_objs(h)[i];
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t mask = 0, flags;

	*gc = (o->flags & PM_OBJ_GC) ? (uint64_t)PM_L(l, GC_HEAD_SIZE) : 0;
	*counted = *gc;
	if (ty->kind == PM_KIND_TYPE && (pm_snap_u64(pm_heap_snap(h), o->addr +
	    (uint64_t)PM_L(l, TYPE_FLAGS), &flags) < 0 ||
	    !(flags & TPFLAGS_HEAPTYPE)))
		*gc = 0;
	*pre = 0;
	if (PM_L(l, PREHEADER_SIZE) < 0)
		return;
	if (PM_L(l, TPFLAGS_MANAGED_DICT) >= 0)
		mask |= (uint64_t)PM_L(l, TPFLAGS_MANAGED_DICT);
	if (PM_L(l, TPFLAGS_MANAGED_WEAKREF) >= 0)
		mask |= (uint64_t)PM_L(l, TPFLAGS_MANAGED_WEAKREF);
	if (ty->flags & mask)
		*pre = (uint64_t)PM_L(l, PREHEADER_SIZE);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void
pm_hexdump_extent(const struct pm_heap *h, size_t i, uint64_t *start,
    uint64_t *end)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_obj *o = &pm_heap_objs(h)[i];
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t pre, gc, counted, body, basic = ty->basicsize > 0 ?
	    (uint64_t)ty->basicsize : 0;
	struct pm_strinfo si;

	headers(h, i, &pre, &gc, &counted);
	/* sys.getsizeof with the headers taken off: what the object is. */
	body = o->size > pre + counted ? o->size - pre - counted : 0;
	switch (ty->kind) {
	case PM_KIND_DICT:
	case PM_KIND_LIST:
	case PM_KIND_SET:
	case PM_KIND_FROZENSET:
	case PM_KIND_BYTEARRAY:
	case PM_KIND_DEQUE:
	case PM_KIND_TYPE:
		/* Their size counts storage they point to. */
		body = min64(body, basic);
		break;
	case PM_KIND_CODE:
		/* Up to 3.10 it counts co_cell2arg; later it is inline. */
		if (ty->itemsize == 0)
			body = min64(body, basic);
		break;
	case PM_KIND_STR:
		/* A compact str holds its characters; it may point to UTF-8. */
		if (pm_heap_strinfo(h, o->addr, &si) == 0 && si.compact &&
		    si.data > o->addr && si.len < (1ULL << 40))
			body = min64(body, si.data - o->addr +
			    (si.len + 1) * (uint64_t)si.kind);
		else
			body = min64(body, basic);
		break;
	default:
		break;
	}
	/* 3.13 keeps the attributes of an instance after it, inline. */
	if (PM_L(l, TPFLAGS_INLINE_VALUES) >= 0 && PM_L(l, DICTVALUES_CAPACITY) >= 0 &&
	    (ty->flags & (uint64_t)PM_L(l, TPFLAGS_INLINE_VALUES)) && basic) {
		const unsigned char *p = pm_snap_ptr(pm_heap_snap(h), o->addr +
		    basic + (uint64_t)PM_L(l, DICTVALUES_CAPACITY), 1);
		if (p) {
			uint64_t v = basic + (uint64_t)PM_L(l, DICTVALUES_VALUES) +
			    8 * (uint64_t)*p;
			if (v > body)
				body = v;
		}
	}
	*start = o->addr - pre - gc;
	*end = o->addr + body;
}

static int
cmp_hexobj(const void *a, const void *b)
{
	const struct pm_hexobj *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* The larger first: what lies inside another comes after it. */
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
pm_hexdump_find(const struct pm_heap *h, uint64_t lo, uint64_t hi,
    struct pm_hexobj **out, size_t *n, struct pm_err *e)
{
	const struct pm_obj *objs = pm_heap_objs(h);
	size_t nobjs = pm_heap_nobjs(h), k = 0, cap = 0;
	struct pm_hexobj *v = NULL;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nobjs; i++) {
		uint64_t a = objs[i].addr, start, end;
		/* Headers are under 64 bytes; the rest lies within SIZE. */
		if ((a >= hi && a - hi >= 64) ||
		    (a < lo && lo - a >= 64 && lo - a >= objs[i].size))
			continue;
		pm_hexdump_extent(h, i, &start, &end);
		if (start >= hi || end <= lo)
			continue;
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct pm_hexobj *nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				free(v);
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			}
			v = nv;
			cap = nc;
		}
		v[k++] = (struct pm_hexobj){ start, end, i };
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_hexobj);
	*out = v;
	*n = k;
	return 0;
}

int64_t
pm_hexdump_holder(const struct pm_hexobj *objs, size_t n, uint64_t addr)
{
	int64_t found = -1;

	/* Sorted by start, the outer first: the last that holds addr. */
	for (size_t k = 0; k < n && objs[k].start <= addr; k++)
		if (addr < objs[k].end)
			found = (int64_t)k;
	return found;
}

int
pm_hexdump_window(const struct pm_heap *h, uint64_t addr, uint64_t nbytes,
    uint64_t *lo, uint64_t *hi, struct pm_err *e)
{
	const struct pm_map *m = pm_snap_map(pm_heap_snap(h), addr);
	struct pm_hexobj *objs;
	uint64_t line = addr & ~15ULL, n, before, start;
	size_t nobjs;
	int64_t k;

	if (m == NULL)
		return pm_error(e, PM_EXIT_INPUT,
		    "cannot dump 0x%llx: not in the snapshot",
		    (unsigned long long)addr);
	if (pm_hexdump_find(h, addr, addr + 1, &objs, &nobjs, e) < 0)
		return -1;
	k = pm_hexdump_holder(objs, nobjs, addr);
	n = nbytes;
	if (k >= 0) {
		start = objs[k].start & ~15ULL;
		if (n == 0)
			n = min64(objs[k].end - start, PM_HEXDUMP_OBJECT_MAX);
	} else {
		start = UINT64_MAX;
		if (n == 0)
			n = PM_HEXDUMP_DEFAULT;
	}
	free(objs);
	n = (n + 15) & ~15ULL;
	if (start == UINT64_MAX || addr >= start + n) {
		before = min64(64, (n / 2) & ~15ULL);
		start = line >= before ? line - before : 0;
	}
	*lo = start < m->start ? m->start : start;
	*hi = m->end - *lo < n ? m->end : *lo + n;
	return 0;
}

const char *
pm_hexdump_field(const struct pm_heap *h, size_t i, int64_t off, char *buf,
    size_t n)
{
	const struct pm_layout *l = pm_heap_layout(h);
	const struct pm_type *ty = pm_heap_type_of(h, i);
	uint64_t addr = pm_heap_objs(h)[i].addr, pre, gc, counted;
	const char *name = "";
	int64_t items = -1, step = 0;
	const char *array = NULL;
	struct pm_strinfo si;

#define AT(key) (PM_L(l, key) >= 0 && off >= PM_L(l, key) && off < PM_L(l, key) + 8)
	headers(h, i, &pre, &gc, &counted);
	buf[0] = '\0';
	if (off < -(int64_t)gc)
		name = off >= -(int64_t)(gc + pre) ? "pre-header" : "";
	else if (off < 0)
		name = "PyGC_Head";
	else if (AT(OBJECT_REFCNT))
		name = "ob_refcnt";
	else if (AT(OBJECT_TYPE))
		name = "ob_type";
	else {
		switch (ty->kind) {
		case PM_KIND_BYTES:
			if (AT(VAROBJECT_SIZE))
				name = "ob_size";
			else if (AT(BYTES_HASH))
				name = "ob_shash";
			else
				array = "ob_sval", items = PM_L(l, BYTES_SVAL), step = 1;
			break;
		case PM_KIND_INT:
		case PM_KIND_BOOL:
			if (PM_L(l, LONG_LV_TAG) >= 0 && AT(LONG_LV_TAG))
				name = "lv_tag";
			else if (PM_L(l, LONG_LV_TAG) < 0 && AT(VAROBJECT_SIZE))
				name = "ob_size";
			else
				array = "ob_digit", items = PM_L(l, LONG_DIGITS),
				step = PM_L(l, DIGIT_SIZE);
			break;
		case PM_KIND_TUPLE:
			if (AT(VAROBJECT_SIZE))
				name = "ob_size";
			else
				array = "ob_item", items = PM_L(l, TUPLE_ITEMS), step = 8;
			break;
		case PM_KIND_LIST:
			if (AT(VAROBJECT_SIZE))
				name = "ob_size";
			else if (AT(LIST_ITEMS))
				name = "ob_item";
			else if (AT(LIST_ALLOCATED))
				name = "allocated";
			break;
		case PM_KIND_DICT:
			if (AT(DICT_MA_USED))
				name = "ma_used";
			else if (AT(DICT_MA_KEYS))
				name = "ma_keys";
			else if (AT(DICT_MA_VALUES))
				name = "ma_values";
			break;
		case PM_KIND_FLOAT:
			if (AT(FLOAT_VAL))
				name = "ob_fval";
			break;
		case PM_KIND_STR:
			if (AT(ASCII_LENGTH))
				name = "length";
			else if (AT(ASCII_HASH))
				name = "hash";
			else if (AT(ASCII_STATE))
				name = "state";
			else if (pm_heap_strinfo(h, addr, &si) == 0 && si.compact &&
			    si.data > addr && si.kind > 0)
				array = "data", items = (int64_t)(si.data - addr),
				step = si.kind;
			break;
		default:
			break;
		}
		/* 3.13 inline values, after the instance. */
		if (!*name && !array && PM_L(l, TPFLAGS_INLINE_VALUES) >= 0 &&
		    (ty->flags & (uint64_t)PM_L(l, TPFLAGS_INLINE_VALUES)) &&
		    off >= ty->basicsize) {
			if (off < ty->basicsize + PM_L(l, DICTVALUES_VALUES))
				name = "inline values header";
			else
				array = "inline values", step = 8,
				items = ty->basicsize + PM_L(l, DICTVALUES_VALUES);
		}
	}
#undef AT
	if (array && items >= 0 && step > 0 && off >= items) {
		int r = snprintf(buf, n, "%s[%lld]", array,
		    (long long)((off - items) / step));
		if (r < 0 || (size_t)r >= n)
			buf[0] = '\0';
		return buf;
	}
	return name;
}

const char *const pm_hexdump_cols[PM_HEXDUMP_NCOLS] = {
	"ADDR", "HEX", "ASCII", "OBJECT", "TYPE", "SIZE", "OFFSET", "FIELD",
};

int
pm_hexdump_write(const struct pm_heap *h, uint64_t lo, uint64_t hi,
    struct pm_out *out, struct pm_err *e)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_obj *o = pm_heap_objs(h);
	struct pm_hexobj *objs;
	size_t nobjs;
	char hex[16 * 3 + 1], ascii[16 + 3], off[32], field[64];
	static const char digits[] = "0123456789abcdef";

	if (pm_hexdump_find(h, lo, hi, &objs, &nobjs, e) < 0)
		return -1;
	for (uint64_t line = lo; line < hi; line += 16) {
		size_t len = hi - line < 16 ? (size_t)(hi - line) : 16, x = 0;
		const unsigned char *p = pm_snap_ptr(s, line, len);
		int64_t k;

		if (p == NULL) {
			free(objs);
			return pm_error(e, PM_EXIT_INPUT,
			    "cannot dump 0x%llx: not in the snapshot",
			    (unsigned long long)line);
		}
		for (size_t j = 0; j < 16; j++) {
			if (j == 8)
				hex[x++] = ' ';
			if (j < len) {
				hex[x++] = digits[p[j] >> 4];
				hex[x++] = digits[p[j] & 15];
			} else {
				hex[x++] = ' ';
				hex[x++] = ' ';
			}
			if (j < 15)
				hex[x++] = ' ';
		}
		hex[x] = '\0';
		ascii[0] = '|';
		for (size_t j = 0; j < len; j++)
			ascii[1 + j] = p[j] >= 0x20 && p[j] < 0x7f ? (char)p[j] : '.';
		ascii[1 + len] = '|';
		ascii[2 + len] = '\0';

		k = pm_hexdump_holder(objs, nobjs, line);
		if (k < 0) {
			/* No object at the line's start: one that starts in it. */
			for (size_t j = 0; j < nobjs; j++)
				if (objs[j].start > line && objs[j].start < line + len) {
					k = (int64_t)j;
					break;
				}
		}
		pm_out_addr(out, line);
		pm_out_str(out, hex);
		pm_out_str(out, ascii);
		if (k < 0) {
			pm_out_str(out, "");
			pm_out_str(out, "(no object)");
			pm_out_str(out, "");
			pm_out_str(out, "");
			pm_out_str(out, "");
		} else {
			size_t i = objs[k].i;
			int64_t d = (int64_t)(line - o[i].addr);
			int r = snprintf(off, sizeof(off), "%s0x%llx", d < 0 ? "-" : "+",
			    (unsigned long long)(d < 0 ? -(uint64_t)d : (uint64_t)d));
			if (r < 0 || (size_t)r >= sizeof(off))
				off[0] = '\0';
			pm_out_addr(out, o[i].addr);
			pm_out_str(out, pm_heap_type_of(h, i)->name);
			pm_out_u64(out, o[i].size);
			pm_out_str(out, off);
			pm_out_str(out, line < objs[k].start ? "" :
			    pm_hexdump_field(h, i, d, field, sizeof(field)));
		}
		pm_out_end(out);
	}
	free(objs);
	return 0;
}

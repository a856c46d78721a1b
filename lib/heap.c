/*
 * heap.c - exact enumeration of the live objects in a snapshot.
 *
 * Roots come from the interpreter state; references are followed with
 * knowledge of the built-in layouts (pylayout.h). Every word read from the
 * snapshot goes through pm_snap_ptr, every count is bounded, and every
 * candidate object is validated (aligned, captured, sane refcount, a type
 * whose metatype is a type) before it is counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define TPFLAGS_HEAPTYPE (1UL << 9)
#define TPFLAGS_HAVE_GC (1UL << 14)
#define TPFLAGS_TYPE_SUBCLASS (1UL << 31)

#define MAX_TYPE_DEPTH 64	/* tp_base chains longer than this are corrupt */
#define MAX_CONTAINER (1ULL << 32)
#define MAX_GUESS_BYTES (1 << 20)	/* conservative scan of one object */
#define MAX_FRAMES 1000000
#define MAX_INTERPS 256
#define MAX_THREADS 1000000
#define MAX_NAME 1024

/*
 * collections.deque is private to _collectionsmodule.c, but its head is the
 * same from 3.8 to 3.13 (checked with ctypes on each): blocks of 64 items
 * linked both ways, the first item at leftblock->data[leftindex].
 */
#define DEQUE_LEFTBLOCK 24
#define DEQUE_LEFTINDEX 40
#define DEQUE_BLOCKLEN 64
#define DEQUE_BLOCK_DATA 8
#define DEQUE_BLOCK_RIGHTLINK (8 + 8 * DEQUE_BLOCKLEN)
#define DEQUE_BLOCK_SIZE (16 + 8 * DEQUE_BLOCKLEN)

/* PyMemberDef types of object slots. */
#define T_OBJECT 6
#define T_OBJECT_EX 16

struct pm_heap {
	const struct pm_snap *s;
	const struct pm_layout *l;
	int minor;

	struct pm_obj *objs;
	size_t nobjs, capobjs;
	/*
	 * Address -> object index + 1 (0 = none), one slot per 16 bytes of
	 * every captured mapping: pymalloc and malloc put objects on 16-byte
	 * boundaries, so a lookup is one array access. The few objects at an
	 * 8-mod-16 address (static ones in a library's data) go in odd[].
	 */
	uint32_t *slots;
	size_t nslots;
	uint64_t *mapslot;	/* first slot of each mapping */
	uint64_t *odd;		/* hash table of (address, index + 1) pairs */
	size_t nodd, capodd;

	struct pm_type *types;
	size_t ntypes, captypes;
	uint32_t *thash;	/* type index + 1 */
	size_t thcap;

	uint32_t *stack;
	size_t nstack, capstack;

	struct pm_root *roots;
	size_t nroots, caproots;

	uint64_t kind_type[PM_KIND_COUNT];	/* static type of each kind */
	uint64_t kind_addr[32];			/* address of each kind_syms[] */
	uint64_t set_dummy;
	uint64_t runtime;

	pm_heap_progress_fn progress;
	void *progress_arg;
	struct pm_err *e;
	int oom;
};

static uint64_t
ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t
ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int
rd64(const struct pm_heap *h, uint64_t addr, uint64_t *v)
{
	return pm_snap_u64(h->s, addr, v);
}

/* Read the pointer-sized field key of the struct at base. */
static int
field(const struct pm_heap *h, uint64_t base, enum pm_layout_key key,
    uint64_t *v)
{
	int64_t off = h->l->off[key];

	if (off < 0)
		return -1;
	return rd64(h, base + (uint64_t)off, v);
}

static uint64_t
field0(const struct pm_heap *h, uint64_t base, enum pm_layout_key key)
{
	uint64_t v;

	return field(h, base, key, &v) < 0 ? 0 : v;
}

/*
 * Spread an address over the table: objects are 16-byte aligned and packed
 * in pools, so their low bits say little; the finalizer of splitmix64
 * mixes every bit into the low ones the table uses.
 */
static uint64_t
mix(uint64_t a)
{
	a ^= a >> 30;
	a *= 0xbf58476d1ce4e5b9ULL;
	a ^= a >> 27;
	a *= 0x94d049bb133111ebULL;
	return a ^ (a >> 31);
}

/*
 * Brent's cycle detection over a linked list: call for each node in
 * turn; true once a node comes round again. Bounded lists (MAX_FRAMES)
 * would end anyway, but only after a million turns of the loop.
 */
struct loopcheck {
	int have;
	uint64_t saved, power, lam;
};

static int
looped(struct loopcheck *c, uint64_t node)
{
	if (!c->have) {
		*c = (struct loopcheck){ 1, node, 1, 0 };
		return 0;
	}
	if (node == c->saved)
		return 1;
	if (++c->lam == c->power) {
		c->saved = node;
		c->power *= 2;
		c->lam = 0;
	}
	return 0;
}

/* ---- the object and type indexes ---- */

static int
hgrow(struct pm_heap *h, uint32_t **tab, size_t *cap, size_t n,
    uint64_t (*key)(const struct pm_heap *, uint32_t))
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	uint32_t *t;

	if (n * 2 < *cap)
		return 0;
	t = calloc(ncap, sizeof(*t));
	if (t == NULL)
		return -1;
	for (size_t i = 0; i < *cap; i++) {
		uint32_t v = (*tab)[i];
		if (v == 0)
			continue;
		size_t j = mix(key(h, v - 1)) & (ncap - 1);
		while (t[j])
			j = (j + 1) & (ncap - 1);
		t[j] = v;
	}
	free(*tab);
	*tab = t;
	*cap = ncap;
	return 0;
}

static uint64_t
tkey(const struct pm_heap *h, uint32_t i)
{
	return h->types[i].addr;
}

static int64_t
hfind(const uint32_t *tab, size_t cap, uint64_t addr,
    uint64_t (*key)(const struct pm_heap *, uint32_t), const struct pm_heap *h)
{
	if (cap == 0)
		return -1;
	for (size_t j = mix(addr) & (cap - 1);; j = (j + 1) & (cap - 1)) {
		uint32_t v = tab[j];
		if (v == 0)
			return -1;
		if (key(h, v - 1) == addr)
			return v - 1;
	}
}

static void
hput(uint32_t *tab, size_t cap, uint64_t addr, uint32_t idx)
{
	size_t j = mix(addr) & (cap - 1);

	while (tab[j])
		j = (j + 1) & (cap - 1);
	tab[j] = idx + 1;
}

/* The slot of addr in h->slots, or NULL (not captured, or 8 mod 16). */
static uint32_t *
slot_of(const struct pm_heap *h, uint64_t addr)
{
	const struct pm_map *m;

	if (addr & 15)
		return NULL;
	m = pm_snap_map(h->s, addr);
	if (m == NULL)
		return NULL;
	return &h->slots[h->mapslot[m - h->s->maps] + ((addr - m->start) >> 4)];
}

int64_t
pm_heap_find(const struct pm_heap *h, uint64_t addr)
{
	const uint32_t *sl;

	if (h->slots && (sl = slot_of(h, addr)) != NULL)
		return (int64_t)*sl - 1;
	if ((addr & 15) != 8)
		return -1;
	/* odd[]: open addressing on (address, index + 1) pairs. */
	if (h->capodd == 0)
		return -1;
	for (size_t j = mix(addr) & (h->capodd - 1);; j = (j + 1) & (h->capodd - 1)) {
		if (h->odd[2 * j + 1] == 0)
			return -1;
		if (h->odd[2 * j] == addr)
			return (int64_t)h->odd[2 * j + 1] - 1;
	}
}

/* Put (addr, i) in the odd[] hash table, which is never over half full. */
static void
odd_put(uint64_t *odd, size_t cap, uint64_t addr, uint64_t v)
{
	size_t j = mix(addr) & (cap - 1);

	while (odd[2 * j + 1] != 0 && odd[2 * j] != addr)
		j = (j + 1) & (cap - 1);
	odd[2 * j] = addr;
	odd[2 * j + 1] = v;
}

/* Remember that object i lives at addr. */
static int
index_put(struct pm_heap *h, uint64_t addr, uint32_t i)
{
	uint32_t *sl = slot_of(h, addr);

	if (sl) {
		*sl = i + 1;
		return 0;
	}
	/* Objects at 8 mod 16 (static ones in a library's data): hashed. */
	if (2 * (h->nodd + 1) > h->capodd) {
		size_t nc = h->capodd ? h->capodd * 2 : 256;
		uint64_t *no = calloc(nc, 2 * sizeof(*no));
		if (no == NULL)
			return -1;
		for (size_t j = 0; j < h->capodd; j++)
			if (h->odd[2 * j + 1] != 0)
				odd_put(no, nc, h->odd[2 * j], h->odd[2 * j + 1]);
		free(h->odd);
		h->odd = no;
		h->capodd = nc;
	}
	odd_put(h->odd, h->capodd, addr, (uint64_t)i + 1);
	h->nodd++;
	return 0;
}

static int
index_init(struct pm_heap *h)
{
	uint64_t n = 0;

	h->mapslot = malloc((h->s->nmaps + 1) * sizeof(*h->mapslot));
	if (h->mapslot == NULL)
		return -1;
	for (size_t i = 0; i < h->s->nmaps; i++) {
		h->mapslot[i] = n;
		n += (h->s->maps[i].end - h->s->maps[i].start + 15) >> 4;
	}
	h->mapslot[h->s->nmaps] = n;
	/* A quarter of the snapshot's size: on huge pages, zeroed. */
	h->slots = pm_big_alloc((size_t)n * sizeof(*h->slots));
	h->nslots = h->slots ? (size_t)n : 0;
	return h->slots ? 0 : -1;
}

/* ---- strings ---- */

static void
put_utf8(char *out, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		out[(*n)++] = (char)c;
	} else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | c >> 6);
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*n)++] = (char)(0xe0 | c >> 12);
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		if (c > 0x10ffff)
			c = 0xfffd;
		out[(*n)++] = (char)(0xf0 | c >> 18);
		out[(*n)++] = (char)(0x80 | (c >> 12 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
}

struct strinfo {
	uint64_t len;		/* code points */
	int kind;		/* 1, 2, 4 */
	int ascii, compact;
	uint64_t data;		/* address of the characters, 0 if none */
	uint32_t state;
};

static int
str_info(const struct pm_heap *h, uint64_t addr, struct strinfo *si)
{
	const struct pm_layout *l = h->l;
	const unsigned char *p = pm_snap_ptr(h->s, addr, (size_t)PM_L(l, ASCII_SIZE));

	if (p == NULL)
		return -1;
	si->len = ld64(p + PM_L(l, ASCII_LENGTH));
	si->state = ld32(p + PM_L(l, ASCII_STATE));
	si->kind = (int)(si->state >> PM_L(l, STATE_KIND_SHIFT) & 7);
	si->compact = (int)(si->state >> PM_L(l, STATE_COMPACT_SHIFT) & 1);
	si->ascii = (int)(si->state >> PM_L(l, STATE_ASCII_SHIFT) & 1);
	if (si->len > (1ULL << 40))
		return -1;
	if (si->compact && si->ascii)
		si->data = addr + (uint64_t)PM_L(l, ASCII_SIZE);
	else if (si->compact)
		si->data = addr + (uint64_t)PM_L(l, COMPACT_SIZE);
	else
		si->data = field0(h, addr, PM_L_UNICODE_DATA);
	if (si->kind == 0 && si->len == 0)	/* legacy, not ready (<= 3.11) */
		si->kind = 1;
	if (si->kind != 1 && si->kind != 2 && si->kind != 4)
		return -1;
	return 0;
}

int
pm_heap_strval(const struct pm_heap *h, uint64_t addr, size_t max,
    char **out, size_t *len)
{
	int64_t i = pm_heap_find(h, addr);
	enum pm_kind k;
	uint64_t tp;

	if (i >= 0) {
		k = h->types[h->objs[i].type].kind;
	} else {
		/* Not (yet) indexed: tell str from bytes by the exact type. */
		if (rd64(h, addr + (uint64_t)PM_L(h->l, OBJECT_TYPE), &tp) < 0)
			return -1;
		k = tp == h->kind_type[PM_KIND_STR] ? PM_KIND_STR :
		    tp == h->kind_type[PM_KIND_BYTES] ? PM_KIND_BYTES :
		    PM_KIND_OTHER;
	}
	if (k == PM_KIND_BYTES) {
		uint64_t n;
		const unsigned char *p;
		if (field(h, addr, PM_L_VAROBJECT_SIZE, &n) < 0 || n > (1ULL << 40))
			return -1;
		if (max && n > max)
			n = max;
		p = pm_snap_ptr(h->s, addr + (uint64_t)PM_L(h->l, BYTES_SVAL), (size_t)n);
		if (p == NULL || (*out = malloc((size_t)n + 1)) == NULL)
			return -1;
		memcpy(*out, p, (size_t)n);
		(*out)[n] = '\0';
		*len = (size_t)n;
		return 0;
	}
	if (k != PM_KIND_STR)
		return -1;
	struct strinfo si;
	if (str_info(h, addr, &si) < 0)
		return -1;
	uint64_t n = si.len;
	if (max && n > max)
		n = max;
	const unsigned char *p = pm_snap_ptr(h->s, si.data, (size_t)(n * (uint64_t)si.kind));
	if (p == NULL && n > 0)
		return -1;
	char *o = malloc((size_t)n * 4 + 1);
	size_t m = 0;
	if (o == NULL)
		return -1;
	for (uint64_t j = 0; j < n; j++) {
		uint32_t c;
		if (si.kind == 1) {
			c = p[j];
		} else if (si.kind == 2) {
			uint16_t w;
			memcpy(&w, p + 2 * j, 2);
			c = w;
		} else {
			c = ld32(p + 4 * j);
		}
		put_utf8(o, &m, c);
	}
	o[m] = '\0';
	*out = o;
	*len = m;
	return 0;
}

/* ---- dicts ---- */

struct dictview {
	uint64_t keys, values;	/* values: address of the values array, 0 if combined */
	uint64_t nentries;
	uint64_t entries;	/* address of the first entry */
	size_t esize;		/* entry size */
	size_t koff, voff;	/* key and value offsets in an entry */
	uint64_t refcnt, size, usable;
	int unicode;		/* 3.11+ unicode-only keys */
	uint64_t log2_index_bytes;
};

static uint64_t keys_bytes(const struct pm_heap *h, const struct dictview *v);

/* Describe a keys object (shared or not). */
static int
keys_view(const struct pm_heap *h, uint64_t keys, struct dictview *v)
{
	const struct pm_layout *l = h->l;
	const unsigned char *p = pm_snap_ptr(h->s, keys,
	    (size_t)PM_L(l, DICTKEYS_INDICES));

	if (p == NULL)
		return -1;
	memset(v, 0, sizeof(*v));
	v->keys = keys;
	v->refcnt = ld64(p + PM_L(l, DICTKEYS_REFCNT));
	v->nentries = ld64(p + PM_L(l, DICTKEYS_NENTRIES));
	v->usable = ld64(p + PM_L(l, DICTKEYS_USABLE));
	if (PM_L(l, DICTKEYS_SIZE) >= 0) {
		uint64_t ix;
		v->size = ld64(p + PM_L(l, DICTKEYS_SIZE));
		if (v->size == 0 || v->size > MAX_CONTAINER || (v->size & (v->size - 1)))
			return -1;
		ix = v->size <= 0xff ? 1 : v->size <= 0xffff ? 2 :
		    v->size <= 0xffffffffULL ? 4 : 8;
		v->entries = keys + (uint64_t)PM_L(l, DICTKEYS_INDICES) + ix * v->size;
		v->esize = (size_t)PM_L(l, DICTKEYENTRY_SIZE);
		v->koff = 8;
		v->voff = 16;
	} else {
		unsigned lg = p[PM_L(l, DICTKEYS_LOG2_SIZE)];
		unsigned lgi = p[PM_L(l, DICTKEYS_LOG2_INDEX_BYTES)];
		unsigned kind = p[PM_L(l, DICTKEYS_KIND)];
		if (lg > 32 || lgi > 35)
			return -1;
		v->size = 1ULL << lg;
		v->log2_index_bytes = lgi;
		v->entries = keys + (uint64_t)PM_L(l, DICTKEYS_INDICES) + (1ULL << lgi);
		v->unicode = kind != 0;
		if (v->unicode) {
			v->esize = (size_t)PM_L(l, DICTUNICODEENTRY_SIZE);
			v->koff = 0;
			v->voff = 8;
		} else {
			v->esize = (size_t)PM_L(l, DICTKEYENTRY_SIZE);
			v->koff = 8;
			v->voff = 16;
		}
	}
	if (v->nentries > v->size)
		return -1;
	/* A size that lies is caught here: the table must be captured. */
	if (pm_snap_ptr(h->s, keys, (size_t)keys_bytes(h, v)) == NULL)
		return -1;
	return 0;
}

/* _PyDict_KeysSize: the bytes of a keys object. */
static uint64_t
keys_bytes(const struct pm_heap *h, const struct dictview *v)
{
	const struct pm_layout *l = h->l;
	uint64_t usable = v->size * 2 / 3;

	if (PM_L(l, DICTKEYS_SIZE) >= 0) {
		uint64_t ix = v->size <= 0xff ? 1 : v->size <= 0xffff ? 2 :
		    v->size <= 0xffffffffULL ? 4 : 8;
		return (uint64_t)PM_L(l, DICTKEYS_STRUCT_SIZE) + ix * v->size +
		    usable * (uint64_t)PM_L(l, DICTKEYENTRY_SIZE);
	}
	return (uint64_t)PM_L(l, DICTKEYS_STRUCT_SIZE) +
	    (1ULL << v->log2_index_bytes) + usable * v->esize;
}

/*
 * Visit the key/value pairs of a keys object, with values from the values
 * array at values (split table) or from the entries (combined).
 */
static int
visit_entries(const struct pm_heap *h, const struct dictview *v,
    uint64_t values, uint64_t nvalues, pm_edge_fn fn, void *arg,
    int attrs)
{
	const unsigned char *ep, *vp = NULL;
	uint64_t n = v->nentries;
	struct pm_edge e = { 0 };
	int r;

	if (values) {
		if (nvalues < n)
			n = nvalues;
		vp = pm_snap_ptr(h->s, values, (size_t)(n * 8));
		if (vp == NULL && n)
			return 0;
	}
	ep = pm_snap_ptr(h->s, v->entries, (size_t)(n * v->esize));
	if (ep == NULL && n)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		const unsigned char *en = ep + i * v->esize;
		uint64_t key = ld64(en + v->koff);
		uint64_t val = vp ? ld64(vp + 8 * i) : ld64(en + v->voff);
		if (key == 0 || val == 0)
			continue;
		if (!attrs) {
			e.kind = PM_EDGE_KEY;
			e.target = key;
			e.arg = key;
			if ((r = fn(arg, &e)) != 0)
				return r;
		}
		e.kind = attrs ? PM_EDGE_ATTR : PM_EDGE_VALUE;
		e.target = val;
		e.arg = key;
		if ((r = fn(arg, &e)) != 0)
			return r;
	}
	return 0;
}

/* Address of the values array of a split dict, from ma_values. */
static uint64_t
dict_values_array(const struct pm_heap *h, uint64_t ma_values)
{
	return ma_values + (uint64_t)(PM_L(h->l, DICTVALUES_VALUES) < 0 ? 0 :
	    PM_L(h->l, DICTVALUES_VALUES));
}

static int
visit_dict(const struct pm_heap *h, uint64_t d, pm_edge_fn fn, void *arg)
{
	struct dictview v;
	uint64_t keys, values;

	if (field(h, d, PM_L_DICT_MA_KEYS, &keys) < 0 ||
	    field(h, d, PM_L_DICT_MA_VALUES, &values) < 0)
		return 0;
	if (keys_view(h, keys, &v) < 0)
		return 0;
	if (values) {
		/* Shared keys hold only str keys; the dict owns its values. */
		struct pm_edge e = { 0 };
		const unsigned char *vp;
		uint64_t arr = dict_values_array(h, values);
		uint64_t n = v.nentries;
		const unsigned char *ep = pm_snap_ptr(h->s, v.entries,
		    (size_t)(n * v.esize));
		vp = pm_snap_ptr(h->s, arr, (size_t)(n * 8));
		if (ep == NULL || vp == NULL)
			return 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t key = ld64(ep + i * v.esize + v.koff);
			uint64_t val = ld64(vp + 8 * i);
			int r;
			if (key == 0 || val == 0)
				continue;
			e.kind = PM_EDGE_KEY;
			e.target = e.arg = key;
			if ((r = fn(arg, &e)) != 0)
				return r;
			e.kind = PM_EDGE_VALUE;
			e.target = val;
			if ((r = fn(arg, &e)) != 0)
				return r;
		}
		return 0;
	}
	return visit_entries(h, &v, 0, 0, fn, arg, 0);
}

/* ---- types ---- */

static int
read_cstr(const struct pm_heap *h, uint64_t addr, char *buf, size_t n)
{
	const struct pm_map *m = pm_snap_map(h->s, addr);
	size_t avail, i;

	if (m == NULL)
		return -1;
	avail = (size_t)(m->end - addr < n - 1 ? m->end - addr : n - 1);
	const char *p = (const char *)m->data + (addr - m->start);
	for (i = 0; i < avail && p[i]; i++)
		buf[i] = p[i];
	buf[i] = '\0';
	return i == 0 ? -1 : 0;
}

/* Look key (a C string) up in a dict whose keys are str; value or 0. */
struct lookup {
	const struct pm_heap *h;
	const char *want;
	uint64_t found;
};

static int
lookup_cb(void *arg, const struct pm_edge *e)
{
	struct lookup *lk = arg;
	char *s;
	size_t n;

	if (e->kind != PM_EDGE_VALUE && e->kind != PM_EDGE_ATTR)
		return 0;
	if (pm_heap_strval(lk->h, e->arg, 256, &s, &n) < 0)
		return 0;
	if (strcmp(s, lk->want) == 0)
		lk->found = e->target;
	free(s);
	return lk->found != 0;
}

static uint64_t
dict_get(const struct pm_heap *h, uint64_t d, const char *key)
{
	struct lookup lk = { h, key, 0 };

	if (d)
		visit_dict(h, d, lookup_cb, &lk);
	return lk.found;
}

static char *
type_name(const struct pm_heap *h, uint64_t t, uint64_t flags)
{
	char buf[MAX_NAME];
	char *q = NULL, *mod = NULL, *name;
	size_t n;

	if (flags & TPFLAGS_HEAPTYPE) {
		uint64_t qn = field0(h, t, PM_L_HEAPTYPE_QUALNAME);
		uint64_t m = dict_get(h, field0(h, t, PM_L_TYPE_DICT), "__module__");
		if (qn && pm_heap_strval(h, qn, MAX_NAME, &q, &n) == 0) {
			if (m && pm_heap_strval(h, m, MAX_NAME, &mod, &n) == 0 &&
			    strcmp(mod, "builtins") != 0) {
				name = malloc(strlen(mod) + strlen(q) + 2);
				if (name) {
					strcpy(name, mod);
					strcat(name, ".");
					strcat(name, q);
				}
				free(mod);
				free(q);
				return name;
			}
			free(mod);
			return q;
		}
	}
	if (read_cstr(h, field0(h, t, PM_L_TYPE_NAME), buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "<type at 0x%llx>", (unsigned long long)t);
	name = strdup(buf);
	return name;
}

static const struct {
	const char *sym;
	enum pm_kind kind;
} kind_syms[] = {
	{ "PyBaseObject_Type", PM_KIND_OBJECT },
	{ "PyType_Type", PM_KIND_TYPE },
	{ "PyDict_Type", PM_KIND_DICT },
	{ "PyList_Type", PM_KIND_LIST },
	{ "PyTuple_Type", PM_KIND_TUPLE },
	{ "PyUnicode_Type", PM_KIND_STR },
	{ "PyLong_Type", PM_KIND_INT },
	{ "PyBool_Type", PM_KIND_BOOL },
	{ "PyFloat_Type", PM_KIND_FLOAT },
	{ "PyComplex_Type", PM_KIND_COMPLEX },
	{ "PyBytes_Type", PM_KIND_BYTES },
	{ "PyByteArray_Type", PM_KIND_BYTEARRAY },
	{ "PySet_Type", PM_KIND_SET },
	{ "PyFrozenSet_Type", PM_KIND_FROZENSET },
	{ "PyFunction_Type", PM_KIND_FUNCTION },
	{ "PyMethod_Type", PM_KIND_METHOD },
	{ "PyCell_Type", PM_KIND_CELL },
	{ "PyModule_Type", PM_KIND_MODULE },
	{ "PyCode_Type", PM_KIND_CODE },
	{ "_PyNone_Type", PM_KIND_NONE },
	{ "_PyWeakref_RefType", PM_KIND_WEAKREF },
	{ "PyFrame_Type", PM_KIND_FRAME },
	{ "PyGen_Type", PM_KIND_GEN },
	/* Types that share a layout with the first of their kind. */
	{ "PyCoro_Type", PM_KIND_GEN },
	{ "PyAsyncGen_Type", PM_KIND_GEN },
	{ "_PyWeakref_ProxyType", PM_KIND_WEAKREF },
	{ "_PyWeakref_CallableProxyType", PM_KIND_WEAKREF },
};
#define NKIND_SYMS (sizeof(kind_syms) / sizeof(kind_syms[0]))
_Static_assert(NKIND_SYMS <= 32, "pm_heap.kind_addr[] is too small");

static enum pm_kind
kind_of_static(const struct pm_heap *h, uint64_t t)
{
	for (size_t i = 0; i < NKIND_SYMS; i++)
		if (h->kind_addr[i] && h->kind_addr[i] == t)
			return kind_syms[i].kind;
	return PM_KIND_OTHER;
}

static int64_t type_index(struct pm_heap *h, uint64_t t);

/* Collect the __slots__ members of heap type t and its heap bases. */
static int
type_slots(struct pm_heap *h, struct pm_type *ty, uint64_t t)
{
	const struct pm_layout *l = h->l;
	size_t cap = 0;

	for (int depth = 0; t && depth < MAX_TYPE_DEPTH; depth++) {
		uint64_t flags = field0(h, t, PM_L_TYPE_FLAGS);
		uint64_t nmemb, mt, mbasic;
		if (!(flags & TPFLAGS_HEAPTYPE))
			break;
		/* Members follow the heap type: at t + Py_TYPE(t)->tp_basicsize. */
		if (field(h, t, PM_L_VAROBJECT_SIZE, &nmemb) < 0 ||
		    field(h, t, PM_L_OBJECT_TYPE, &mt) < 0 ||
		    field(h, mt, PM_L_TYPE_BASICSIZE, &mbasic) < 0)
			break;
		if (nmemb > 4096 || mbasic > 1 << 20)
			break;
		for (uint64_t i = 0; i < nmemb; i++) {
			uint64_t md = t + mbasic + i * (uint64_t)PM_L(l, MEMBERDEF_SIZE);
			const unsigned char *p = pm_snap_ptr(h->s, md,
			    (size_t)PM_L(l, MEMBERDEF_SIZE));
			if (p == NULL)
				break;
			uint32_t mtype = ld32(p + PM_L(l, MEMBERDEF_TYPE));
			int64_t off = (int64_t)ld64(p + PM_L(l, MEMBERDEF_OFFSET));
			if ((mtype != T_OBJECT_EX && mtype != T_OBJECT) || off < 0 ||
			    off > (1 << 20))
				continue;
			if (ty->nslots == cap) {
				size_t nc = cap ? cap * 2 : 8;
				int64_t *o = realloc(ty->slot_off, nc * sizeof(*o));
				if (o == NULL)
					return -1;
				ty->slot_off = o;
				uint64_t *nm = realloc(ty->slot_name, nc * sizeof(*nm));
				if (nm == NULL)
					return -1;
				ty->slot_name = nm;
				cap = nc;
			}
			ty->slot_off[ty->nslots] = off;
			ty->slot_name[ty->nslots] = ld64(p + PM_L(l, MEMBERDEF_NAME));
			ty->nslots++;
		}
		t = field0(h, t, PM_L_TYPE_BASE);
	}
	return 0;
}

/*
 * The index of the type at t, validating and describing it on first use;
 * -1 when t is not a type object.
 */
static int64_t
type_index(struct pm_heap *h, uint64_t t)
{
	const struct pm_layout *l = h->l;
	int64_t i = hfind(h->thash, h->thcap, t, tkey, h);
	struct pm_type ty = { 0 };
	uint64_t meta, mflags, flags, b;
	const unsigned char *p;

	if (i >= 0)
		return i;
	if (t == 0 || (t & 7))
		return -1;
	p = pm_snap_ptr(h->s, t, (size_t)PM_L(l, TYPE_SIZE));
	if (p == NULL)
		return -1;
	meta = ld64(p + PM_L(l, OBJECT_TYPE));
	if (field(h, meta, PM_L_TYPE_FLAGS, &mflags) < 0 ||
	    !(mflags & TPFLAGS_TYPE_SUBCLASS))
		return -1;
	flags = ld64(p + PM_L(l, TYPE_FLAGS));
	ty.addr = t;
	ty.flags = flags;
	ty.basicsize = (int64_t)ld64(p + PM_L(l, TYPE_BASICSIZE));
	ty.itemsize = (int64_t)ld64(p + PM_L(l, TYPE_ITEMSIZE));
	ty.dictoffset = (int64_t)ld64(p + PM_L(l, TYPE_DICTOFFSET));
	ty.weaklistoffset = (int64_t)ld64(p + PM_L(l, TYPE_WEAKLISTOFFSET));
	ty.base = ld64(p + PM_L(l, TYPE_BASE));
	ty.heap = (flags & TPFLAGS_HEAPTYPE) != 0;
	ty.gc = (flags & TPFLAGS_HAVE_GC) != 0;
	if (ty.basicsize < 16 || ty.basicsize > (1 << 20) || ty.itemsize < 0 ||
	    ty.itemsize > (1 << 16))
		return -1;

	/*
	 * The layout is that of the nearest built-in base up the tp_base
	 * chain; it is exact when no C type (static, unknown to us) lies
	 * between, otherwise the unknown part is scanned conservatively.
	 */
	b = t;
	ty.kind = PM_KIND_OTHER;
	ty.exact = 1;
	for (int depth = 0; b; depth++) {
		uint64_t bf;
		enum pm_kind k;
		if (depth == MAX_TYPE_DEPTH || field(h, b, PM_L_TYPE_FLAGS, &bf) < 0)
			return -1;
		if (!(bf & TPFLAGS_HEAPTYPE)) {
			if ((k = kind_of_static(h, b)) != PM_KIND_OTHER) {
				ty.kind = k;
				ty.solid = (int64_t)field0(h, b, PM_L_TYPE_BASICSIZE);
				break;
			}
			ty.exact = 0;
		}
		b = field0(h, b, PM_L_TYPE_BASE);
	}
	if (ty.kind == PM_KIND_OBJECT && !ty.heap && t != h->kind_type[PM_KIND_OBJECT])
		ty.exact = 0;
	/* Extension types pmtools knows by name. */
	b = t;
	for (int depth = 0; b && depth < MAX_TYPE_DEPTH; depth++) {
		char nb[64];
		if (read_cstr(h, field0(h, b, PM_L_TYPE_NAME), nb, sizeof(nb)) == 0 &&
		    strcmp(nb, "collections.deque") == 0) {
			ty.kind = PM_KIND_DEQUE;
			ty.solid = (int64_t)field0(h, b, PM_L_TYPE_BASICSIZE);
			ty.exact = 1;
			break;
		}
		b = field0(h, b, PM_L_TYPE_BASE);
	}
	if (type_slots(h, &ty, t) < 0) {
		h->oom = 1;
		return -1;
	}

	if (h->ntypes == h->captypes) {
		size_t nc = h->captypes ? h->captypes * 2 : 256;
		struct pm_type *nt = realloc(h->types, nc * sizeof(*nt));
		if (nt == NULL) {
			h->oom = 1;
			return -1;
		}
		h->types = nt;
		h->captypes = nc;
	}
	if (hgrow(h, &h->thash, &h->thcap, h->ntypes + 1, tkey) < 0) {
		h->oom = 1;
		return -1;
	}
	i = (int64_t)h->ntypes++;
	h->types[i] = ty;
	hput(h->thash, h->thcap, t, (uint32_t)i);
	/* Named last: naming reads the type's dict, which may need types. */
	h->types[i].name = type_name(h, t, flags);
	if (h->types[i].name == NULL)
		h->oom = 1;
	return i;
}

const struct pm_type *
pm_heap_type_of(const struct pm_heap *h, size_t i)
{
	return &h->types[h->objs[i].type];
}

/* ---- sizes ---- */

static uint64_t
default_size(const struct pm_heap *h, uint64_t a, const struct pm_type *ty)
{
	uint64_t size = (uint64_t)ty->basicsize;
	uint64_t n;

	if (ty->itemsize && field(h, a, PM_L_VAROBJECT_SIZE, &n) == 0) {
		int64_t sn = (int64_t)n;
		if (sn < 0)
			sn = -sn;
		size += (uint64_t)sn * (uint64_t)ty->itemsize;
	}
	return size;
}

static uint64_t
str_size(const struct pm_heap *h, uint64_t a)
{
	const struct pm_layout *l = h->l;
	struct strinfo si;
	uint64_t size;

	if (str_info(h, a, &si) < 0)
		return (uint64_t)PM_L(l, ASCII_SIZE);
	if (si.compact && si.ascii) {
		size = (uint64_t)PM_L(l, ASCII_SIZE) + si.len + 1;
	} else if (si.compact) {
		size = (uint64_t)PM_L(l, COMPACT_SIZE) + (si.len + 1) * (uint64_t)si.kind;
	} else {
		size = (uint64_t)PM_L(l, UNICODE_SIZE);
		if (si.data)
			size += (si.len + 1) * (uint64_t)si.kind;
	}
	if (PM_L(l, ASCII_WSTR) >= 0) {
		uint64_t wstr = field0(h, a, PM_L_ASCII_WSTR);
		int ready = PM_L(l, STATE_READY_SHIFT) < 0 ||
		    (si.state >> PM_L(l, STATE_READY_SHIFT) & 1);
		if (wstr && (!ready || wstr != si.data)) {
			uint64_t wlen = si.len;
			if (!(si.compact && si.ascii))
				wlen = field0(h, a, PM_L_COMPACT_WSTR_LENGTH);
			size += (wlen + 1) * 4;
		}
	}
	if (!(si.compact && si.ascii)) {
		uint64_t utf8 = field0(h, a, PM_L_COMPACT_UTF8);
		if (utf8 && utf8 != si.data)
			size += field0(h, a, PM_L_COMPACT_UTF8_LENGTH) + 1;
	}
	return size;
}

static uint64_t
int_size(const struct pm_heap *h, uint64_t a)
{
	const struct pm_layout *l = h->l;
	uint64_t n, digits = (uint64_t)PM_L(l, LONG_DIGITS);

	if (PM_L(l, LONG_LV_TAG) >= 0) {
		if (rd64(h, a + (uint64_t)PM_L(l, LONG_LV_TAG), &n) < 0)
			return digits;
		n >>= 3;
	} else {
		if (field(h, a, PM_L_VAROBJECT_SIZE, &n) < 0)
			return digits;
		if ((int64_t)n < 0)
			n = (uint64_t)(-(int64_t)n);
	}
	if (h->minor >= 11 && n == 0)
		n = 1;
	return digits + n * (uint64_t)PM_L(l, DIGIT_SIZE);
}

static uint64_t
dict_size(const struct pm_heap *h, uint64_t a, const struct pm_type *ty)
{
	uint64_t size = (uint64_t)ty->basicsize;
	uint64_t keys, values;
	struct dictview v;

	if (field(h, a, PM_L_DICT_MA_KEYS, &keys) < 0 ||
	    field(h, a, PM_L_DICT_MA_VALUES, &values) < 0 ||
	    keys_view(h, keys, &v) < 0)
		return size;
	if (values) {
		if (h->minor <= 10)
			size += v.size * 2 / 3 * 8;
		else if (h->minor == 13) {
			const unsigned char *p = pm_snap_ptr(h->s, values, 4);
			/* Values embedded in the owner are counted there. */
			if (p && !p[PM_L(h->l, DICTVALUES_EMBEDDED)])
				size += (v.nentries + v.usable) * 8;
		} else
			size += (v.nentries + v.usable) * 8;
	}
	if (v.refcnt == 1)
		size += keys_bytes(h, &v);
	return size;
}

static uint64_t
type_size(const struct pm_heap *h, uint64_t a)
{
	uint64_t flags = field0(h, a, PM_L_TYPE_FLAGS), size, ck;
	struct dictview v;

	if (!(flags & TPFLAGS_HEAPTYPE))
		return (uint64_t)PM_L(h->l, TYPE_SIZE);
	size = (uint64_t)PM_L(h->l, HEAPTYPE_SIZE);
	ck = field0(h, a, PM_L_HEAPTYPE_CACHED_KEYS);
	if (ck && keys_view(h, ck, &v) == 0)
		size += keys_bytes(h, &v);
	return size;
}

/* code.__sizeof__ (co_extra and the 3.8-3.10 opcache left out). */
static uint64_t
code_size(const struct pm_heap *h, uint64_t a, const struct pm_type *ty)
{
	uint64_t size, cells, n;

	if (h->minor >= 11)
		return (default_size(h, a, ty) + 7) & ~7ULL;
	size = (uint64_t)ty->basicsize;
	cells = field0(h, a, PM_L_CODE_CELLVARS);
	if (field0(h, a, PM_L_CODE_CELL2ARG) && cells &&
	    field(h, cells, PM_L_VAROBJECT_SIZE, &n) == 0 && n < (1 << 20))
		size += n * 8;
	return size;
}

/* Generators embed their frame from 3.11: its size follows the code. */
static uint64_t
gen_size(const struct pm_heap *h, uint64_t a, const struct pm_type *ty)
{
	const struct pm_layout *l = h->l;
	uint64_t code, f;
	const unsigned char *p;

	if (PM_L(l, GEN_IFRAME) < 0)
		return default_size(h, a, ty);
	f = a + (uint64_t)PM_L(l, GEN_IFRAME);
	if (PM_L(l, GEN_CODE) >= 0)
		code = field0(h, a, PM_L_GEN_CODE);
	else
		code = field0(h, f, PM_L_IFRAME_CODE);
	p = pm_snap_ptr(h->s, code, (size_t)PM_L(l, CODE_SIZE));
	if (p == NULL)
		return (uint64_t)ty->basicsize;
	return (uint64_t)PM_L(l, GEN_IFRAME) + (uint64_t)PM_L(l, IFRAME_LOCALSPLUS) +
	    8 * ((uint64_t)ld32(p + PM_L(l, CODE_NLOCALSPLUS)) +
	    (uint64_t)ld32(p + PM_L(l, CODE_STACKSIZE)));
}

static uint64_t
obj_size(const struct pm_heap *h, uint64_t a, const struct pm_type *ty,
    int *gc)
{
	const struct pm_layout *l = h->l;
	uint64_t size, pre = 0;

	*gc = ty->gc;
	switch (ty->kind) {
	case PM_KIND_STR:
		size = str_size(h, a);
		break;
	case PM_KIND_INT:
	case PM_KIND_BOOL:
		size = int_size(h, a);
		break;
	case PM_KIND_LIST:
		size = (uint64_t)ty->basicsize + 8 * field0(h, a, PM_L_LIST_ALLOCATED);
		break;
	case PM_KIND_DICT:
		size = dict_size(h, a, ty);
		break;
	case PM_KIND_SET:
	case PM_KIND_FROZENSET: {
		uint64_t table = field0(h, a, PM_L_SET_TABLE);
		size = (uint64_t)ty->basicsize;
		if (table != a + (uint64_t)PM_L(l, SET_SMALLTABLE))
			size += (field0(h, a, PM_L_SET_MASK) + 1) *
			    (uint64_t)PM_L(l, SETENTRY_SIZE);
		break;
	}
	case PM_KIND_BYTEARRAY:
		size = (uint64_t)ty->basicsize + field0(h, a, PM_L_BYTEARRAY_ALLOC);
		break;
	case PM_KIND_CODE:
		size = code_size(h, a, ty);
		break;
	case PM_KIND_FRAME:
		/* <= 3.10: sizeof(PyFrameObject) already holds one slot. */
		size = default_size(h, a, ty);
		if (h->minor <= 10 && size > (uint64_t)ty->basicsize)
			size -= (uint64_t)ty->itemsize;
		break;
	case PM_KIND_GEN:
		size = gen_size(h, a, ty);
		break;
	case PM_KIND_DEQUE: {
		uint64_t n = 0, li = 0;
		field(h, a, PM_L_VAROBJECT_SIZE, &n);
		rd64(h, a + DEQUE_LEFTINDEX, &li);
		size = (uint64_t)ty->basicsize;
		if (n < MAX_CONTAINER && li < DEQUE_BLOCKLEN)
			size += (li + n + DEQUE_BLOCKLEN - 1) / DEQUE_BLOCKLEN *
			    DEQUE_BLOCK_SIZE;
		break;
	}
	case PM_KIND_TYPE:
		size = type_size(h, a);
		/*
		 * sys.getsizeof asks tp_is_gc (heap types only), except in
		 * 3.11 and 3.12, which look at the metatype's flag alone.
		 */
		if (h->minor <= 10 || h->minor >= 13)
			*gc = (field0(h, a, PM_L_TYPE_FLAGS) & TPFLAGS_HEAPTYPE) != 0;
		break;
	default:
		size = default_size(h, a, ty);
		break;
	}
	if (*gc)
		pre += (uint64_t)PM_L(l, GC_HEAD_SIZE);
	if (h->minor == 11 && (ty->flags & (uint64_t)PM_L(l, TPFLAGS_MANAGED_DICT)))
		pre += 16;
	else if (h->minor >= 12 && (ty->flags &
	    (uint64_t)(PM_L(l, TPFLAGS_MANAGED_DICT) | PM_L(l, TPFLAGS_MANAGED_WEAKREF))))
		pre += 16;
	return size + pre;
}

/* ---- references ---- */

static int
edge(pm_edge_fn fn, void *arg, enum pm_edge_kind kind, uint64_t target,
    uint64_t earg, const char *name)
{
	struct pm_edge e = { kind, target, earg, name };

	if (target == 0)
		return 0;
	return fn(arg, &e);
}

#define FIELD(key, name) do { \
	if (PM_L(l, key) >= 0 && (r = edge(fn, arg, PM_EDGE_FIELD, \
	    field0(h, a, PM_L_##key), 0, name)) != 0) \
		return r; \
} while (0)

static int
visit_array(const struct pm_heap *h, uint64_t arr, uint64_t n, pm_edge_fn fn,
    void *arg)
{
	const unsigned char *p;
	int r;

	if (n > MAX_CONTAINER)
		return 0;
	p = pm_snap_ptr(h->s, arr, (size_t)(n * 8));
	if (p == NULL)
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if ((r = edge(fn, arg, PM_EDGE_ITEM, ld64(p + 8 * i), i, NULL)) != 0)
			return r;
	return 0;
}

/* Conservative: every aligned word of [a+from, a+to) may be a reference. */
static int
visit_guess(const struct pm_heap *h, uint64_t a, uint64_t from, uint64_t to,
    pm_edge_fn fn, void *arg)
{
	const unsigned char *p;
	int r;

	if (to > MAX_GUESS_BYTES)
		to = MAX_GUESS_BYTES;
	if (from >= to)
		return 0;
	p = pm_snap_ptr(h->s, a + from, (size_t)(to - from));
	if (p == NULL)
		return 0;
	for (uint64_t off = 0; off + 8 <= to - from; off += 8) {
		uint64_t w = ld64(p + off);
		if (w == 0 || (w & 7))
			continue;
		if ((r = edge(fn, arg, PM_EDGE_GUESS, w, from + off, NULL)) != 0)
			return r;
	}
	return 0;
}

/* The values of a managed dict or inline values (3.11+). */
static int
visit_managed(const struct pm_heap *h, uint64_t a, const struct pm_type *ty,
    pm_edge_fn fn, void *arg)
{
	const struct pm_layout *l = h->l;
	uint64_t w, dict = 0, values = 0, ck;
	struct dictview v;
	int r;

	if (rd64(h, a + (uint64_t)(int64_t)PM_L(l, MANAGED_DICT_OFFSET), &w) < 0)
		return 0;
	if (h->minor == 11) {
		dict = w;
		if (PM_L(l, MANAGED_VALUES_OFFSET) == -1 ||
		    rd64(h, a + (uint64_t)(int64_t)PM_L(l, MANAGED_VALUES_OFFSET),
		    &values) < 0)
			values = 0;
	} else if (h->minor == 12) {
		/* A PyDictOrValues: values are stored as pointer - 1. */
		if (w & 1)
			values = w + 1;
		else
			dict = w;
	} else {
		dict = w;
		if (!dict && (ty->flags & (uint64_t)PM_L(l, TPFLAGS_INLINE_VALUES))) {
			const unsigned char *p;
			values = a + (uint64_t)ty->basicsize;
			p = pm_snap_ptr(h->s, values, 4);
			if (p == NULL || !p[PM_L(l, DICTVALUES_VALID)])
				values = 0;
		}
	}
	if (dict && (r = edge(fn, arg, PM_EDGE_DICT, dict, 0, "__dict__")) != 0)
		return r;
	if (values == 0)
		return 0;
	/* The attribute names live in the class's shared keys. */
	ck = field0(h, ty->addr, PM_L_HEAPTYPE_CACHED_KEYS);
	if (ck == 0 || keys_view(h, ck, &v) < 0)
		return 0;
	uint64_t nvalues = v.nentries;
	if (h->minor == 13) {
		const unsigned char *p = pm_snap_ptr(h->s, values, 4);
		if (p == NULL)
			return 0;
		nvalues = p[PM_L(l, DICTVALUES_CAPACITY)];
	}
	return visit_entries(h, &v, dict_values_array(h, values), nvalues, fn,
	    arg, 1);
}

/* Frames of 3.11+ (_PyInterpreterFrame), as found in generators. */
static int
visit_iframe(const struct pm_heap *h, uint64_t f, pm_edge_fn fn, void *arg)
{
	const struct pm_layout *l = h->l;
	uint64_t a = f, top, n;
	int r;

	FIELD(IFRAME_CODE, "f_code");
	FIELD(IFRAME_FUNC, "f_func");
	FIELD(IFRAME_GLOBALS, "f_globals");
	FIELD(IFRAME_LOCALS, "f_locals");
	FIELD(IFRAME_FRAME_OBJ, "frame_obj");
	if (rd64(h, f + (uint64_t)PM_L(l, IFRAME_STACKTOP), &top) < 0)
		return 0;
	n = top & 0xffffffffULL;
	/*
	 * A frame that is executing has no saved stack depth (stacktop -1
	 * or stale): its locals are still there, its stack is not known.
	 */
	{
		uint64_t code = field0(h, f, PM_L_IFRAME_CODE), ctype = 0;
		const unsigned char *cp = pm_snap_ptr(h->s, code,
		    (size_t)PM_L(l, CODE_SIZE));
		if (cp && rd64(h, code + (uint64_t)PM_L(l, OBJECT_TYPE), &ctype) == 0 &&
		    ctype == h->kind_type[PM_KIND_CODE]) {
			uint64_t nlp = ld32(cp + PM_L(l, CODE_NLOCALSPLUS));
			uint64_t nst = ld32(cp + PM_L(l, CODE_STACKSIZE));
			if ((int32_t)n < 0 || n > nlp + nst)
				n = nlp;
		} else if ((int32_t)n < 0) {
			n = 0;
		}
	}
	if (n > (1 << 20))
		return 0;
	const unsigned char *p = pm_snap_ptr(h->s, f + (uint64_t)PM_L(l, IFRAME_LOCALSPLUS),
	    (size_t)(n * 8));
	if (p == NULL)
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if ((r = edge(fn, arg, PM_EDGE_LOCAL, ld64(p + 8 * i), i, NULL)) != 0)
			return r;
	return 0;
}

static uint64_t
tuple_len(const struct pm_heap *h, uint64_t t)
{
	uint64_t n;

	if (t == 0 || field(h, t, PM_L_VAROBJECT_SIZE, &n) < 0 || n > (1 << 20))
		return 0;
	return n;
}

/*
 * Frame objects. Up to 3.10 the frame holds its locals (f_localsplus:
 * locals, cells, free variables, then the value stack); from 3.11 it
 * points at its _PyInterpreterFrame.
 */
static int
visit_frame(const struct pm_heap *h, uint64_t a, const struct pm_type *ty,
    pm_edge_fn fn, void *arg)
{
	const struct pm_layout *l = h->l;
	uint64_t code, n, top, vs;
	const unsigned char *p;
	int r;

	FIELD(FRAME_BACK, "f_back");
	if (PM_L(l, FRAME_FRAME) >= 0)
		return visit_iframe(h, field0(h, a, PM_L_FRAME_FRAME), fn, arg);
	FIELD(FRAME_CODE, "f_code");
	FIELD(FRAME_GLOBALS, "f_globals");
	FIELD(FRAME_LOCALS, "f_locals");
	code = field0(h, a, PM_L_FRAME_CODE);
	p = pm_snap_ptr(h->s, code, (size_t)PM_L(l, CODE_SIZE));
	if (p == NULL)
		return 0;
	n = (uint64_t)ld32(p + PM_L(l, CODE_NLOCALS)) +
	    tuple_len(h, ld64(p + PM_L(l, CODE_CELLVARS))) +
	    tuple_len(h, ld64(p + PM_L(l, CODE_FREEVARS)));
	vs = field0(h, a, PM_L_FRAME_VALUESTACK);
	if (h->minor >= 10) {
		uint64_t depth = 0;
		rd64(h, a + (uint64_t)PM_L(l, FRAME_STACKTOP), &depth);
		top = vs + 8 * (depth & 0xffffffffULL);
	} else {
		top = field0(h, a, PM_L_FRAME_STACKTOP);
	}
	/* A running frame (f_stacktop NULL) has no known stack depth. */
	if (top < vs || top - vs > 8 * (1 << 16))
		top = vs;
	if (vs == a + (uint64_t)PM_L(l, FRAME_LOCALSPLUS) + 8 * n)
		n += (top - vs) / 8;
	if (n > (1 << 20) || (p = pm_snap_ptr(h->s, a + (uint64_t)PM_L(l,
	    FRAME_LOCALSPLUS), (size_t)(n * 8))) == NULL)
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if ((r = edge(fn, arg, PM_EDGE_LOCAL, ld64(p + 8 * i), i, NULL)) != 0)
			return r;
	(void)ty;
	return 0;
}

static int
visit_extra(const struct pm_heap *h, uint64_t a, const struct pm_type *ty,
    pm_edge_fn fn, void *arg)
{
	const unsigned char *p;
	uint64_t from = (uint64_t)ty->solid, to = (uint64_t)ty->basicsize;
	int r;

	if (to > MAX_GUESS_BYTES)
		return 0;
	p = pm_snap_ptr(h->s, a + from, (size_t)(to - from));
	if (p == NULL)
		return 0;
	for (uint64_t off = from; off + 8 <= to; off += 8) {
		int known = (int64_t)off == ty->dictoffset ||
		    (int64_t)off == ty->weaklistoffset;
		for (uint32_t j = 0; j < ty->nslots && !known; j++)
			known = (uint64_t)ty->slot_off[j] == off;
		uint64_t w = ld64(p + (off - from));
		if (known || w == 0 || (w & 7))
			continue;
		if ((r = edge(fn, arg, PM_EDGE_GUESS, w, off, NULL)) != 0)
			return r;
	}
	return 0;
}

int
pm_heap_referents(const struct pm_heap *h, size_t i, pm_edge_fn fn, void *arg)
{
	const struct pm_layout *l = h->l;
	/*
	 * Copies: during enumeration the callback adds objects and types,
	 * which may move h->objs and h->types under a pointer into them.
	 */
	const struct pm_type tyc = h->types[h->objs[i].type];
	const struct pm_type *ty = &tyc;
	uint64_t a = h->objs[i].addr, n, x;
	uint64_t covered = 16;	/* bytes of the object visited precisely */
	int r;

	if ((r = edge(fn, arg, PM_EDGE_TYPE, ty->addr, 0, "__class__")) != 0)
		return r;

	switch (ty->kind) {
	case PM_KIND_TUPLE:
		if (field(h, a, PM_L_VAROBJECT_SIZE, &n) == 0 &&
		    (r = visit_array(h, a + (uint64_t)PM_L(l, TUPLE_ITEMS), n, fn, arg)) != 0)
			return r;
		covered = (uint64_t)ty->basicsize + 8 * n;
		break;
	case PM_KIND_LIST:
		if (field(h, a, PM_L_VAROBJECT_SIZE, &n) == 0 &&
		    field(h, a, PM_L_LIST_ITEMS, &x) == 0 &&
		    (r = visit_array(h, x, n, fn, arg)) != 0)
			return r;
		covered = (uint64_t)PM_L(l, LIST_SIZE);
		break;
	case PM_KIND_DICT:
		if ((r = visit_dict(h, a, fn, arg)) != 0)
			return r;
		covered = (uint64_t)PM_L(l, DICT_SIZE);
		break;
	case PM_KIND_SET:
	case PM_KIND_FROZENSET: {
		uint64_t table = field0(h, a, PM_L_SET_TABLE);
		uint64_t mask = field0(h, a, PM_L_SET_MASK);
		size_t es = (size_t)PM_L(l, SETENTRY_SIZE);
		const unsigned char *p;
		if (mask < MAX_CONTAINER &&
		    (p = pm_snap_ptr(h->s, table, (size_t)((mask + 1) * es))) != NULL) {
			for (uint64_t j = 0; j <= mask; j++) {
				uint64_t k = ld64(p + j * es);
				if (k == 0 || k == h->set_dummy)
					continue;
				if ((r = edge(fn, arg, PM_EDGE_SETITEM, k, j, NULL)) != 0)
					return r;
			}
		}
		covered = (uint64_t)PM_L(l, SET_SIZE);
		break;
	}
	case PM_KIND_TYPE: {
		uint64_t flags = field0(h, a, PM_L_TYPE_FLAGS), ck;
		struct dictview v;
		if ((flags & TPFLAGS_HEAPTYPE) || h->minor < 12) {
			FIELD(TYPE_DICT, "__dict__");
			FIELD(TYPE_SUBCLASSES, "__subclasses__");
		}
		FIELD(TYPE_BASES, "__bases__");
		FIELD(TYPE_MRO, "__mro__");
		FIELD(TYPE_BASE, "__base__");
		if (flags & TPFLAGS_HEAPTYPE) {
			FIELD(HEAPTYPE_NAME, "__name__");
			FIELD(HEAPTYPE_QUALNAME, "__qualname__");
			FIELD(HEAPTYPE_SLOTS, "__slots__");
			FIELD(HEAPTYPE_MODULE, "__module_object__");
			ck = field0(h, a, PM_L_HEAPTYPE_CACHED_KEYS);
			if (ck && keys_view(h, ck, &v) == 0) {
				const unsigned char *p = pm_snap_ptr(h->s, v.entries,
				    (size_t)(v.nentries * v.esize));
				for (uint64_t j = 0; p && j < v.nentries; j++)
					if ((r = edge(fn, arg, PM_EDGE_FIELD,
					    ld64(p + j * v.esize + v.koff), j,
					    "<shared key>")) != 0)
						return r;
			}
		}
		covered = (uint64_t)ty->basicsize;
		break;
	}
	case PM_KIND_FUNCTION:
		FIELD(FUNC_CODE, "__code__");
		FIELD(FUNC_GLOBALS, "__globals__");
		FIELD(FUNC_BUILTINS, "__builtins__");
		FIELD(FUNC_NAME, "__name__");
		FIELD(FUNC_QUALNAME, "__qualname__");
		FIELD(FUNC_MODULE, "__module__");
		FIELD(FUNC_DEFAULTS, "__defaults__");
		FIELD(FUNC_KWDEFAULTS, "__kwdefaults__");
		FIELD(FUNC_CLOSURE, "__closure__");
		FIELD(FUNC_DOC, "__doc__");
		FIELD(FUNC_DICT, "__dict__");
		FIELD(FUNC_ANNOTATIONS, "__annotations__");
		covered = (uint64_t)ty->basicsize;
		if (ty->heap)
			covered = (uint64_t)PM_L(l, FUNC_SIZE);
		break;
	case PM_KIND_METHOD:
		FIELD(METHOD_FUNC, "__func__");
		FIELD(METHOD_SELF, "__self__");
		covered = (uint64_t)ty->basicsize;
		break;
	case PM_KIND_CELL:
		FIELD(CELL_REF, "cell_contents");
		covered = (uint64_t)ty->basicsize;
		break;
	case PM_KIND_MODULE:
		FIELD(MODULE_DICT, "__dict__");
		FIELD(MODULE_NAME, "__name__");
		covered = (uint64_t)ty->basicsize;
		break;
	case PM_KIND_CODE:
		FIELD(CODE_CODE, "co_code");
		FIELD(CODE_CONSTS, "co_consts");
		FIELD(CODE_NAMES, "co_names");
		FIELD(CODE_VARNAMES, "co_varnames");
		FIELD(CODE_FREEVARS, "co_freevars");
		FIELD(CODE_CELLVARS, "co_cellvars");
		FIELD(CODE_LOCALSPLUSNAMES, "co_localsplusnames");
		FIELD(CODE_LOCALSPLUSKINDS, "co_localspluskinds");
		FIELD(CODE_FILENAME, "co_filename");
		FIELD(CODE_NAME, "co_name");
		FIELD(CODE_QUALNAME, "co_qualname");
		FIELD(CODE_LNOTAB, "co_lnotab");
		FIELD(CODE_LINETABLE, "co_linetable");
		FIELD(CODE_EXCEPTIONTABLE, "co_exceptiontable");
		covered = (uint64_t)1 << 62;	/* the rest is bytecode */
		break;
	case PM_KIND_WEAKREF:
		/* The referent is alive (weakrefs die with it), but weakly held. */
		FIELD(WEAKREF_CALLBACK, "__callback__");
		if ((r = edge(fn, arg, PM_EDGE_FIELD, field0(h, a, PM_L_WEAKREF_OBJECT),
		    1, "<weak>")) != 0)
			return r;
		covered = (uint64_t)ty->basicsize;
		break;
	case PM_KIND_GEN:
		if (PM_L(l, GEN_IFRAME) >= 0) {
			if ((r = visit_iframe(h, a + (uint64_t)PM_L(l, GEN_IFRAME), fn, arg)) != 0)
				return r;
			FIELD(GEN_NAME, "__name__");
			FIELD(GEN_QUALNAME, "__qualname__");
			covered = (uint64_t)1 << 62;
		}
		break;
	case PM_KIND_DEQUE: {
		uint64_t li = 0, blk = 0;
		struct loopcheck bl = { 0 };
		n = 0;
		field(h, a, PM_L_VAROBJECT_SIZE, &n);
		rd64(h, a + DEQUE_LEFTINDEX, &li);
		rd64(h, a + DEQUE_LEFTBLOCK, &blk);
		/* A size that lies over blocks that link in a loop: stop. */
		for (uint64_t j = 0; j < n && j < MAX_CONTAINER && li < DEQUE_BLOCKLEN;) {
			const unsigned char *p = pm_snap_ptr(h->s, blk, DEQUE_BLOCK_SIZE);
			if (p == NULL || looped(&bl, blk))
				break;
			for (; li < DEQUE_BLOCKLEN && j < n; li++, j++)
				if ((r = edge(fn, arg, PM_EDGE_ITEM,
				    ld64(p + DEQUE_BLOCK_DATA + 8 * li), j, NULL)) != 0)
					return r;
			li = 0;
			blk = ld64(p + DEQUE_BLOCK_RIGHTLINK);
		}
		covered = (uint64_t)ty->solid;
		break;
	}
	case PM_KIND_FRAME:
		if ((r = visit_frame(h, a, ty, fn, arg)) != 0)
			return r;
		covered = (uint64_t)1 << 62;
		break;
	case PM_KIND_STR:
	case PM_KIND_INT:
	case PM_KIND_BOOL:
	case PM_KIND_FLOAT:
	case PM_KIND_COMPLEX:
	case PM_KIND_BYTES:
	case PM_KIND_BYTEARRAY:
	case PM_KIND_NONE:
		covered = (uint64_t)1 << 62;
		break;
	case PM_KIND_OBJECT:
	case PM_KIND_OTHER:
	case PM_KIND_COUNT:
		break;
	}

	/* What a class statement adds: __slots__, __dict__, managed dict. */
	for (uint32_t j = 0; j < ty->nslots; j++) {
		uint64_t v;
		if (rd64(h, a + (uint64_t)ty->slot_off[j], &v) == 0 &&
		    (r = edge(fn, arg, PM_EDGE_SLOT, v, ty->slot_name[j], NULL)) != 0)
			return r;
	}
	if (ty->kind != PM_KIND_TYPE && ty->dictoffset != 0 && ty->dictoffset != -1) {
		int64_t off = ty->dictoffset;
		if (off < 0) {
			/* Relative to the end of a variable-size object. */
			uint64_t sz = default_size(h, a, ty);
			off = (int64_t)((sz + (uint64_t)off + 7) & ~7ULL);
		}
		uint64_t d;
		if ((uint64_t)off < MAX_GUESS_BYTES && rd64(h, a + (uint64_t)off, &d) == 0 &&
		    (r = edge(fn, arg, PM_EDGE_DICT, d, 0, "__dict__")) != 0)
			return r;
	}
	if (h->minor >= 11 && (ty->flags & (uint64_t)PM_L(l, TPFLAGS_MANAGED_DICT)) &&
	    (r = visit_managed(h, a, ty, fn, arg)) != 0)
		return r;

	/* Whatever else the object holds, found conservatively. */
	if (!ty->exact || ty->kind == PM_KIND_OTHER ||
	    ty->kind == PM_KIND_FRAME || ty->kind == PM_KIND_GEN) {
		if (covered < ((uint64_t)1 << 62))
			return visit_guess(h, a, covered, default_size(h, a, ty), fn, arg);
		return 0;
	}
	/*
	 * A heap type made from C (PyType_FromSpec) has fields beyond its
	 * built-in base that are neither slots nor __dict__/__weakref__: guess
	 * those. A class statement's type leaves none.
	 */
	if (ty->heap && ty->basicsize > ty->solid && ty->solid >= 16)
		return visit_extra(h, a, ty, fn, arg);
	return 0;
}

/* ---- enumeration ---- */

static int
push(struct pm_heap *h, uint32_t idx)
{
	if (h->nstack == h->capstack) {
		size_t nc = h->capstack ? h->capstack * 2 : 4096;
		uint32_t *ns = pm_big_grow(h->stack, h->capstack * sizeof(*ns),
		    nc * sizeof(*ns));
		if (ns == NULL)
			return -1;
		h->stack = ns;
		h->capstack = nc;
	}
	h->stack[h->nstack++] = idx;
	return 0;
}

/*
 * Add the object at a when it is a valid object; return its index, or -1
 * when it is not one (or memory ran out: h->oom).
 */
static int64_t
add(struct pm_heap *h, uint64_t a, int guessed)
{
	int64_t i = pm_heap_find(h, a), ti;
	const unsigned char *p;
	uint64_t refcnt, size;
	int gc;

	if (i >= 0) {
		if (!guessed)
			h->objs[i].flags &= ~(uint32_t)PM_OBJ_CONSERVATIVE;
		return i;
	}
	if (a == 0 || (a & 7))
		return -1;
	p = pm_snap_ptr(h->s, a, 16);
	if (p == NULL)
		return -1;
	refcnt = ld64(p + PM_L(h->l, OBJECT_REFCNT));
	if (refcnt == 0 || refcnt > (1ULL << 40))
		return -1;
	ti = type_index(h, ld64(p + PM_L(h->l, OBJECT_TYPE)));
	if (ti < 0)
		return -1;
	size = obj_size(h, a, &h->types[ti], &gc);
	/* Sizes come from the object's own fields: one that says it is
	 * bigger than the whole snapshot is lying, and is no object. */
	if (size > h->s->data_bytes)
		return -1;
	/* A static type object is a bare PyTypeObject, whatever its metatype. */
	if (!pm_snap_ptr(h->s, a, h->types[ti].kind == PM_KIND_TYPE ?
	    (size_t)PM_L(h->l, TYPE_SIZE) : (size_t)h->types[ti].basicsize))
		return -1;
	if (guessed) {
		/* A guessed word must look like a live object of its type. */
		if (gc) {
			uint64_t gnext;
			if (rd64(h, a - (uint64_t)PM_L(h->l, GC_HEAD_SIZE), &gnext) < 0)
				return -1;
		}
	}
	if (h->nobjs == h->capobjs) {
		size_t nc = h->capobjs ? h->capobjs * 2 : 4096;
		struct pm_obj *no = pm_big_grow(h->objs,
		    h->capobjs * sizeof(*no), nc * sizeof(*no));
		if (no == NULL) {
			h->oom = 1;
			return -1;
		}
		h->objs = no;
		h->capobjs = nc;
	}
	if (h->nobjs >= UINT32_MAX - 1) {
		h->oom = 1;
		return -1;
	}
	i = (int64_t)h->nobjs++;
	h->objs[i] = (struct pm_obj){ .addr = a, .size = size, .type = (uint32_t)ti,
	    .flags = (gc ? PM_OBJ_GC : 0) | (guessed ? PM_OBJ_CONSERVATIVE : 0) };
	if (index_put(h, a, (uint32_t)i) < 0) {
		h->oom = 1;
		return -1;
	}
	if (push(h, (uint32_t)i) < 0) {
		h->oom = 1;
		return -1;
	}
	if (h->progress && (h->nobjs & 0xfffff) == 0)
		h->progress(h->progress_arg, "objects", h->nobjs);
	return i;
}

struct walk {
	struct pm_heap *h;
	uint32_t from;
};

static int
walk_cb(void *arg, const struct pm_edge *e)
{
	struct walk *w = arg;
	int64_t i = add(w->h, e->target, e->kind == PM_EDGE_GUESS);

	if (i >= 0 && e->kind == PM_EDGE_DICT) {
		struct pm_obj *o = &w->h->objs[i];
		const struct pm_type *dt = &w->h->types[o->type];
		uint32_t t = w->h->objs[w->from].type;
		if (dt->kind == PM_KIND_DICT && o->owner == 0 &&
		    t < PM_OBJ_OWNER_MAX)
			o->owner = t + 1;
	}
	return w->h->oom;
}

static int
root(struct pm_heap *h, uint64_t a)
{
	if (a)
		add(h, a, 0);
	return h->oom ? -1 : 0;
}

/* Add the object at a and remember it as a root like r. */
static int
add_root(struct pm_heap *h, uint64_t a, struct pm_root r)
{
	int64_t i;

	if (a == 0)
		return 0;
	if ((i = add(h, a, 0)) < 0)
		return h->oom ? -1 : 0;
	if (h->nroots == h->caproots) {
		size_t nc = h->caproots ? h->caproots * 2 : 64;
		struct pm_root *nr = realloc(h->roots, nc * sizeof(*nr));
		if (nr == NULL) {
			h->oom = 1;
			return -1;
		}
		h->roots = nr;
		h->caproots = nc;
	}
	r.obj = (uint32_t)i;
	h->roots[h->nroots++] = r;
	return 0;
}

struct frame_roots {
	struct pm_heap *h;
	struct pm_root r;
};

static int
frame_root_cb(void *arg, const struct pm_edge *e)
{
	struct frame_roots *fr = arg;

	if (e->kind != PM_EDGE_LOCAL) {
		add(fr->h, e->target, 0);
		return fr->h->oom;
	}
	fr->r.index = (uint32_t)e->arg;
	return add_root(fr->h, e->target, fr->r) < 0;
}

/*
 * Add every object on one GC list. A list that does not come back to its
 * head within the snapshot's size is corrupt; one whose next pointer
 * leaves the captured memory ends there.
 */
static int
walk_gc_list(struct pm_heap *h, uint64_t head)
{
	const struct pm_layout *l = h->l;
	uint64_t p, limit = h->s->data_bytes / 16 + 1;
	uint64_t ghs = (uint64_t)PM_L(l, GC_HEAD_SIZE);
	uint64_t noff = (uint64_t)PM_L(l, GC_HEAD_NEXT);

	if (rd64(h, head + noff, &p) < 0)
		return pm_error(h->e, PM_EXIT_INPUT,
		    "corrupt snapshot: GC list head at 0x%llx not captured",
		    (unsigned long long)head);
	/* During a collection the low bits of _gc_next may carry flags. */
	for (uint64_t n = 0; (p &= ~3ULL) != head; n++) {
		if (n > limit)
			return pm_error(h->e, PM_EXIT_INPUT,
			    "corrupt snapshot: GC list at 0x%llx does not end",
			    (unsigned long long)head);
		if (root(h, p + ghs) < 0)
			return -1;
		if (rd64(h, p + noff, &p) < 0)
			break;
	}
	return 0;
}

static int
frame_loop(struct pm_heap *h, uint64_t ts)
{
	return pm_error(h->e, PM_EXIT_INPUT, "corrupt snapshot: frame chain "
	    "of thread state 0x%llx loops", (unsigned long long)ts);
}

static int
walk_threads(struct pm_heap *h, uint64_t interp)
{
	const struct pm_layout *l = h->l;
	uint64_t ts = field0(h, interp, PM_L_INTERP_TSTATE_HEAD);
	struct loopcheck tl = { 0 };

	for (int n = 0; ts && n < MAX_THREADS; n++) {
		struct pm_root r = { .kind = PM_ROOT_THREAD, .tstate = ts };
		struct loopcheck fl = { 0 };
		uint64_t f = 0;
		if (looped(&tl, ts))
			return pm_error(h->e, PM_EXIT_INPUT, "corrupt snapshot: "
			    "thread list of interpreter 0x%llx loops",
			    (unsigned long long)interp);
		if (add_root(h, field0(h, ts, PM_L_TSTATE_DICT), r) < 0)
			return -1;
		if (PM_L(l, TSTATE_FRAME) >= 0) {
			/* <= 3.10: frames are objects, f_back links them. */
			r.kind = PM_ROOT_FRAME;
			f = field0(h, ts, PM_L_TSTATE_FRAME);
			for (uint32_t k = 0; f && k < MAX_FRAMES; k++) {
				if (looped(&fl, f))
					return frame_loop(h, ts);
				r.frame = f;
				r.depth = k;
				if (add_root(h, f, r) < 0)
					return -1;
				f = field0(h, f, PM_L_FRAME_BACK);
			}
		} else {
			struct frame_roots fr = { h, { .kind = PM_ROOT_LOCAL, .tstate = ts } };
			if (PM_L(l, TSTATE_CURRENT_FRAME) >= 0)
				f = field0(h, ts, PM_L_TSTATE_CURRENT_FRAME);
			else
				f = field0(h, field0(h, ts, PM_L_TSTATE_CFRAME),
				    PM_L_CFRAME_CURRENT_FRAME);
			for (uint32_t k = 0; f && k < MAX_FRAMES; k++) {
				if (looped(&fl, f))
					return frame_loop(h, ts);
				fr.r.frame = f;
				fr.r.depth = k;
				if (visit_iframe(h, f, frame_root_cb, &fr) != 0 || h->oom)
					return -1;
				f = field0(h, f, PM_L_IFRAME_PREVIOUS);
			}
		}
		ts = field0(h, ts, PM_L_TSTATE_NEXT);
	}
	return 0;
}

static int
walk_interp(struct pm_heap *h, uint64_t interp)
{
	const struct pm_layout *l = h->l;
	uint64_t gc;
	int ngen = PM_L(l, NUM_GENERATIONS);

	if (PM_L(l, RUNTIME_GC) >= 0)
		gc = h->runtime + (uint64_t)PM_L(l, RUNTIME_GC);
	else
		gc = interp + (uint64_t)PM_L(l, INTERP_GC);
	for (int g = 0; g < ngen; g++) {
		uint64_t head = gc + (uint64_t)PM_L(l, GC_GENERATIONS) +
		    (uint64_t)g * (uint64_t)PM_L(l, GC_GENERATION_SIZE) +
		    (uint64_t)PM_L(l, GC_GENERATION_HEAD);
		if (walk_gc_list(h, head) < 0)
			return -1;
		if (h->progress)
			h->progress(h->progress_arg, "gc lists", h->nobjs);
	}
	if (PM_L(l, GC_PERMANENT_GENERATION) >= 0 &&
	    walk_gc_list(h, gc + (uint64_t)PM_L(l, GC_PERMANENT_GENERATION) +
	    (uint64_t)PM_L(l, GC_GENERATION_HEAD)) < 0)
		return -1;
	if (add_root(h, field0(h, interp, PM_L_INTERP_MODULES),
	    (struct pm_root){ .kind = PM_ROOT_MODULES }) < 0 ||
	    add_root(h, field0(h, interp, PM_L_INTERP_SYSDICT),
	    (struct pm_root){ .kind = PM_ROOT_SYSDICT }) < 0 ||
	    add_root(h, field0(h, interp, PM_L_INTERP_BUILTINS),
	    (struct pm_root){ .kind = PM_ROOT_BUILTINS }) < 0)
		return -1;
	if (PM_L(l, INTERP_TYPES_BUILTINS) >= 0) {
		int nb = PM_L(l, INTERP_TYPES_NUM_BUILTINS);
		for (int i = 0; i < nb; i++) {
			uint64_t st = interp + (uint64_t)PM_L(l, INTERP_TYPES_BUILTINS) +
			    (uint64_t)i * (uint64_t)PM_L(l, STATIC_BUILTIN_STATE_SIZE);
			if (root(h, field0(h, st, PM_L_STATIC_BUILTIN_STATE_TYPE)) < 0 ||
			    root(h, field0(h, st, PM_L_STATIC_BUILTIN_STATE_TP_DICT)) < 0 ||
			    root(h, field0(h, st, PM_L_STATIC_BUILTIN_STATE_TP_SUBCLASSES)) < 0)
				return -1;
		}
	}
	return walk_threads(h, interp);
}


struct pm_heap *
pm_heap_open(const struct pm_snap *s, pm_heap_progress_fn progress,
    void *progress_arg, struct pm_err *e)
{
	struct pm_heap *h;
	struct loopcheck il = { 0 };
	uint64_t interp;
	char vbuf[16];
	int minor;

	if (s->py_version == 0 || (s->py_version >> 24) != 3)
		return pm_error(e, PM_EXIT_INPUT, "snapshot of pid %u: unknown "
		    "Python version", s->pid), NULL;
	minor = (int)(s->py_version >> 16 & 0xff);
	if (pm_layout_get(minor) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "snapshot of pid %u: Python %s "
		    "is not supported (3.8 to 3.13 are)", s->pid,
		    pm_snap_pyversion(s, vbuf)), NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory"), NULL;
	h->s = s;
	h->l = pm_layout_get(minor);
	h->minor = minor;
	h->e = e;
	h->progress = progress;
	h->progress_arg = progress_arg;
	if (index_init(h) < 0) {
		pm_error(e, PM_EXIT_INPUT, "out of memory for the object index");
		goto fail;
	}
	for (size_t i = 0; i < NKIND_SYMS; i++) {
		h->kind_addr[i] = pm_snap_sym(s, kind_syms[i].sym);
		if (h->kind_type[kind_syms[i].kind] == 0)
			h->kind_type[kind_syms[i].kind] = h->kind_addr[i];
	}
	/* _PySet_Dummy is a variable holding the dummy key, not the key. */
	if (pm_snap_u64(s, pm_snap_sym(s, "_PySet_Dummy"), &h->set_dummy) < 0)
		h->set_dummy = 0;
	h->runtime = pm_snap_sym(s, "_PyRuntime");
	if (h->runtime == 0 || h->kind_type[PM_KIND_TYPE] == 0) {
		pm_error(e, PM_EXIT_INPUT, "snapshot of pid %u lacks the "
		    "interpreter's symbols (_PyRuntime, PyType_Type)", s->pid);
		goto fail;
	}
	if (rd64(h, h->runtime + (uint64_t)PM_L(h->l, RUNTIME_INTERPRETERS_HEAD),
	    &interp) < 0 || interp == 0) {
		pm_error(e, PM_EXIT_INPUT, "snapshot of pid %u: no interpreter "
		    "state (_PyRuntime not captured or not initialised)", s->pid);
		goto fail;
	}
	for (int n = 0; interp && n < MAX_INTERPS; n++) {
		if (looped(&il, interp)) {
			pm_error(e, PM_EXIT_INPUT, "corrupt snapshot: interpreter "
			    "list loops at 0x%llx", (unsigned long long)interp);
			goto fail;
		}
		if (walk_interp(h, interp) < 0)
			goto oom;
		interp = field0(h, interp, PM_L_INTERP_NEXT);
	}
	/* Singletons that no container may hold. */
	static const char *const singletons[] = { "_Py_NoneStruct",
		"_Py_TrueStruct", "_Py_FalseStruct", "_Py_EllipsisObject",
		"_Py_NotImplementedStruct" };
	for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++)
		if (add_root(h, pm_snap_sym(s, singletons[i]),
		    (struct pm_root){ .kind = PM_ROOT_STATIC }) < 0)
			goto oom;

	while (h->nstack > 0) {
		struct walk w = { h, h->stack[--h->nstack] };
		pm_heap_referents(h, w.from, walk_cb, &w);
		if (h->oom)
			break;
	}
	if (h->oom)
		goto oom;
	pm_big_free(h->stack, h->capstack * sizeof(*h->stack));
	h->stack = NULL;
	h->capstack = 0;
	if (h->progress)
		h->progress(h->progress_arg, "done", h->nobjs);
	return h;
oom:
	/* A corrupt interpreter state fills e itself; running out of memory
	 * does not. */
	if (h->oom)
		pm_error(e, PM_EXIT_INPUT, "out of memory indexing %zu objects",
		    h->nobjs);
fail:
	pm_heap_close(h);
	return NULL;
}

void
pm_heap_close(struct pm_heap *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->ntypes; i++) {
		free(h->types[i].name);
		free(h->types[i].slot_off);
		free(h->types[i].slot_name);
	}
	free(h->types);
	free(h->thash);
	pm_big_free(h->objs, h->capobjs * sizeof(*h->objs));
	pm_big_free(h->slots, h->nslots * sizeof(*h->slots));
	free(h->mapslot);
	free(h->odd);
	pm_big_free(h->stack, h->capstack * sizeof(*h->stack));
	free(h->roots);
	free(h);
}

size_t
pm_heap_nroots(const struct pm_heap *h)
{
	return h->nroots;
}

const struct pm_root *
pm_heap_roots(const struct pm_heap *h)
{
	return h->roots;
}

const struct pm_snap *
pm_heap_snap(const struct pm_heap *h)
{
	return h->s;
}

const struct pm_layout *
pm_heap_layout(const struct pm_heap *h)
{
	return h->l;
}

size_t
pm_heap_nobjs(const struct pm_heap *h)
{
	return h->nobjs;
}

const struct pm_obj *
pm_heap_objs(const struct pm_heap *h)
{
	return h->objs;
}

size_t
pm_heap_ntypes(const struct pm_heap *h)
{
	return h->ntypes;
}

const struct pm_type *
pm_heap_types(const struct pm_heap *h)
{
	return h->types;
}

int
pm_heap_strinfo(const struct pm_heap *h, uint64_t addr, struct pm_strinfo *si)
{
	struct strinfo st;

	if (str_info(h, addr, &st) < 0)
		return -1;
	si->len = st.len;
	si->kind = st.kind;
	si->ascii = st.ascii;
	si->compact = st.compact;
	si->data = st.data;
	return 0;
}

char *
pm_heap_type_name(const struct pm_heap *h, uint64_t t)
{
	uint64_t flags;

	if (t == 0 || (t & 7) ||
	    !pm_snap_ptr(h->s, t, (size_t)PM_L(h->l, TYPE_SIZE)) ||
	    field(h, t, PM_L_TYPE_FLAGS, &flags) < 0)
		return NULL;
	return type_name(h, t, flags);
}

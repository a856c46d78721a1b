/*
 * byref.c - objects grouped by what refers to them (Heapy's byrcs).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "byref.h"
#include "edgename.h"
#include "graph.h"
#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "snapshot.h"

#define EMPTY UINT32_MAX
#define MODNAME_MAX 256		/* bytes of a module's __name__ shown */

/* ---- a map from object index to a number ---- */

struct u32map {
	uint32_t *k, *v;
	size_t cap, n;		/* cap: a power of two, or 0 */
};

static size_t
hash32(uint32_t x)
{
	return (size_t)(x * 2654435761u);
}

static int
map_get(const struct u32map *m, uint32_t key, uint32_t *val)
{
	if (m->cap == 0)
		return 0;
	for (size_t i = hash32(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == EMPTY)
			return 0;
		if (m->k[i] == key) {
			*val = m->v[i];
			return 1;
		}
	}
}

static int
map_put(struct u32map *m, uint32_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 64;
		uint32_t *nk = malloc(nc * sizeof(*nk));
		uint32_t *nv = malloc(nc * sizeof(*nv));
		if (nk == NULL || nv == NULL) {
			free(nk);
			free(nv);
			return -1;
		}
		memset(nk, 0xff, nc * sizeof(*nk));
		for (size_t j = 0; j < m->cap; j++) {
			if (m->k[j] == EMPTY)
				continue;
			size_t i = hash32(m->k[j]) & (nc - 1);
			while (nk[i] != EMPTY)
				i = (i + 1) & (nc - 1);
			nk[i] = m->k[j];
			nv[i] = m->v[j];
		}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = nc;
	}
	size_t i = hash32(key) & (m->cap - 1);
	while (m->k[i] != EMPTY && m->k[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (m->k[i] == EMPTY)
		m->n++;
	m->k[i] = key;
	m->v[i] = val;
	return 0;
}

static void
map_release(struct u32map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- interned labels ---- */

struct strtab {
	char **s;
	size_t n, cap;
	uint32_t *slot;		/* id + 1; 0 empty */
	size_t nslot;		/* a power of two, or 0 */
};

static size_t
hashstr(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (size_t)h;
}

/* The id of s[0..len), added when new; EMPTY when memory ran out. */
static uint32_t
intern(struct strtab *t, const char *s, size_t len)
{
	if (2 * (t->n + 1) > t->nslot) {
		size_t nc = t->nslot ? 2 * t->nslot : 256;
		uint32_t *ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return EMPTY;
		for (size_t j = 0; j < t->nslot; j++) {
			if (t->slot[j] == 0)
				continue;
			const char *x = t->s[t->slot[j] - 1];
			size_t i = hashstr(x, strlen(x)) & (nc - 1);
			while (ns[i] != 0)
				i = (i + 1) & (nc - 1);
			ns[i] = t->slot[j];
		}
		free(t->slot);
		t->slot = ns;
		t->nslot = nc;
	}
	size_t i = hashstr(s, len) & (t->nslot - 1);
	for (; t->slot[i] != 0; i = (i + 1) & (t->nslot - 1)) {
		const char *x = t->s[t->slot[i] - 1];
		if (strncmp(x, s, len) == 0 && x[len] == '\0')
			return t->slot[i] - 1;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 256;
		char **nsv = realloc(t->s, nc * sizeof(*nsv));
		if (nsv == NULL)
			return EMPTY;
		t->s = nsv;
		t->cap = nc;
	}
	char *c = malloc(len + 1);
	if (c == NULL || t->n >= EMPTY - 1) {
		free(c);
		return EMPTY;
	}
	memcpy(c, s, len);
	c[len] = '\0';
	t->s[t->n] = c;
	t->slot[i] = (uint32_t)++t->n;
	return (uint32_t)(t->n - 1);
}

/* ---- growable arrays of numbers ---- */

struct vec {
	uint32_t *v;
	size_t n, cap;
};

static int
vpush(struct vec *a, uint32_t x)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 64;
		uint32_t *nv = realloc(a->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		a->v = nv;
		a->cap = nc;
	}
	a->v[a->n++] = x;
	return 0;
}

/* A label found for a reference: its id, and the container to go up from. */
struct lab {
	uint32_t label;
	uint32_t container;	/* object index, or EMPTY */
};

struct labvec {
	struct lab *v;
	size_t n, cap;
};

static int
lpush(struct labvec *a, uint32_t label, uint32_t container)
{
	if (label == EMPTY)
		return -1;
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 64;
		struct lab *nv = realloc(a->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		a->v = nv;
		a->cap = nc;
	}
	a->v[a->n++] = (struct lab){ label, container };
	return 0;
}

/* ---- groups ---- */

struct group {
	uint32_t type, label, owner;
	uint64_t count, bytes;
};

struct ctx {
	const struct pm_graph *g;
	const struct pm_heap *h;
	struct strtab labels;
	uint32_t none;		/* id of "-" */
	struct u32map owners;	/* container -> pool offset of owner labels */
	struct u32map holders;	/* dict -> pool offset of the objects it is
				   the __dict__ of */
	struct u32map names;	/* holder object -> label id of its name */
	struct vec pool;	/* count, then that many numbers */
	struct labvec lev[2];	/* labels of the object, of a container */
	struct pm_buf b;

	struct group *groups;
	size_t ngroups, capgroups;
	uint32_t *gslot;	/* group index + 1; 0 empty */
	size_t ngslot;
};

static int
is_container(enum pm_kind k)
{
	return k == PM_KIND_LIST || k == PM_KIND_TUPLE || k == PM_KIND_SET ||
	    k == PM_KIND_FROZENSET || k == PM_KIND_DEQUE || k == PM_KIND_DICT;
}

static int
is_dict_edge(const struct pm_edge *e)
{
	return e->kind == PM_EDGE_DICT || (e->kind == PM_EDGE_FIELD &&
	    e->field != NULL && strcmp(e->field, "__dict__") == 0);
}

/*
 * Call fn for each strong reference to x: its referrer and which
 * occurrence of a reference from that referrer to x it is.
 */
typedef int (*ref_fn)(struct ctx *c, uint32_t src, uint32_t x, uint32_t occ,
    struct labvec *out);

static int
each_referrer(struct ctx *c, uint32_t x, ref_fn fn, struct labvec *out)
{
	const struct pm_graph *g = c->g;
	uint32_t prev = EMPTY, occ = 0;

	for (uint64_t j = g->roff[x]; j < g->roff[x + 1]; j++) {
		uint32_t s = PM_GRAPH_NODE(g->rsrc[j]);
		occ = s == prev ? occ + 1 : 0;
		prev = s;
		if (g->rsrc[j] & PM_GRAPH_WEAK)
			continue;
		if (fn(c, s, x, occ, out) < 0)
			return -1;
	}
	return 0;
}

/* The forward edge of the reference, as pm_graph_edge gives it. */
static int
edge_of(struct ctx *c, uint32_t src, uint32_t x, uint32_t occ,
    struct pm_edge *e)
{
	uint32_t eid = pm_graph_nth_edge(c->g, src, x, occ);

	if (eid == UINT32_MAX || pm_graph_is_weak(c->g, eid))
		return -1;
	return pm_graph_edge(c->g, src, eid, e);
}

static int
add_holder(struct ctx *c, uint32_t src, uint32_t x, uint32_t occ,
    struct labvec *out)
{
	struct pm_edge e;

	(void)out;
	if (edge_of(c, src, x, occ, &e) == 0 && is_dict_edge(&e))
		return vpush(&c->pool, src);
	return 0;
}

/*
 * The objects whose __dict__ dict d is, as a pool offset: pool[off] of
 * them at pool[off + 1 ...].
 */
static int
holders_of(struct ctx *c, uint32_t d, uint32_t *off)
{
	size_t at = c->pool.n;

	if (map_get(&c->holders, d, off))
		return 0;
	if (at >= EMPTY || vpush(&c->pool, 0) < 0)
		return -1;
	if (each_referrer(c, d, add_holder, NULL) < 0)
		return -1;
	/* Referrers come in order: one holding it twice is adjacent. */
	size_t k = at + 1;
	for (size_t i = at + 1; i < c->pool.n; i++)
		if (k == at + 1 || c->pool.v[k - 1] != c->pool.v[i])
			c->pool.v[k++] = c->pool.v[i];
	c->pool.n = k;
	c->pool.v[at] = (uint32_t)(c->pool.n - at - 1);
	*off = (uint32_t)at;
	return map_put(&c->holders, d, *off);
}

struct strlookup {
	const struct pm_heap *h;
	const char *key;
	uint64_t found;
};

static int
strlookup_cb(void *arg, const struct pm_edge *e)
{
	struct strlookup *l = arg;
	char *s;
	size_t len;

	if (e->kind != PM_EDGE_VALUE ||
	    pm_heap_strval(l->h, e->arg, 64, &s, &len) < 0)
		return 0;
	if (strlen(l->key) == len && memcmp(s, l->key, len) == 0)
		l->found = e->target;
	free(s);
	return l->found != 0;
}

/* Append the name of a module object: "<module 'NAME'>". */
static void
module_name(struct ctx *c, uint64_t a, struct pm_buf *b)
{
	const struct pm_layout *l = pm_heap_layout(c->h);
	uint64_t d = 0;
	int64_t di = -1;
	struct strlookup lk = { c->h, "__name__", 0 };
	char *s = NULL;
	size_t len;

	if (PM_L(l, MODULE_DICT) >= 0 &&
	    pm_snap_u64(pm_heap_snap(c->h), a + (uint64_t)PM_L(l, MODULE_DICT),
	    &d) == 0 && d)
		di = pm_heap_find(c->h, d);
	if (di >= 0 && pm_heap_type_of(c->h, (size_t)di)->kind == PM_KIND_DICT)
		pm_heap_referents(c->h, (size_t)di, strlookup_cb, &lk);
	if (lk.found && pm_heap_strval(c->h, lk.found, MODNAME_MAX, &s,
	    &len) == 0) {
		pm_buf_puts(b, "<module '");
		pm_buf_add(b, s, len);
		pm_buf_puts(b, "'>");
		free(s);
		return;
	}
	pm_buf_puts(b, "<module '?'>");
}

/*
 * Append how an object holding attributes is named: a module as
 * <module 'NAME'>, a class as <class 'NAME'>, anything else by its type.
 */
static int
holder_name(struct ctx *c, uint32_t o, struct pm_buf *b)
{
	const struct pm_type *ty = pm_heap_type_of(c->h, o);
	uint32_t id;

	if (ty->kind != PM_KIND_MODULE && ty->kind != PM_KIND_TYPE) {
		pm_buf_puts(b, ty->name);
		return 0;
	}
	if (!map_get(&c->names, o, &id)) {
		struct pm_buf nb = PM_BUF_INIT;
		if (ty->kind == PM_KIND_MODULE) {
			module_name(c, pm_heap_objs(c->h)[o].addr, &nb);
		} else {
			char *n = pm_heap_type_name(c->h, pm_heap_objs(c->h)[o].addr);
			pm_buf_printf(&nb, "<class '%s'>", n ? n : "?");
			free(n);
		}
		id = nb.oom ? EMPTY : intern(&c->labels, pm_buf_str(&nb), nb.len);
		pm_buf_release(&nb);
		if (id == EMPTY || map_put(&c->names, o, id) < 0)
			return -1;
	}
	pm_buf_puts(b, c->labels.s[id]);
	return 0;
}

static uint32_t
intern_buf(struct ctx *c)
{
	if (c->b.oom)
		return EMPTY;
	return intern(&c->labels, pm_buf_str(&c->b), c->b.len);
}

/* Label the reference from src to x (occurrence occ) into out. */
static int
label_ref(struct ctx *c, uint32_t src, uint32_t x, uint32_t occ,
    struct labvec *out)
{
	const struct pm_type *ty = pm_heap_type_of(c->h, src);
	struct pm_edge e;
	uint32_t off;

	if (is_container(ty->kind) && ty->kind != PM_KIND_DICT)
		return lpush(out, intern(&c->labels, ty->name,
		    strlen(ty->name)), src);
	if (ty->kind == PM_KIND_DICT) {
		if (holders_of(c, src, &off) < 0)
			return -1;
		if (c->pool.v[off] == 0 || edge_of(c, src, x, occ, &e) < 0 ||
		    e.kind != PM_EDGE_VALUE)
			return lpush(out, intern(&c->labels, ty->name,
			    strlen(ty->name)), src);
		/* A __dict__'s value: an attribute of each of its holders. */
		for (uint32_t i = 0; i < c->pool.v[off]; i++) {
			uint32_t o = c->pool.v[off + 1 + i];
			pm_buf_reset(&c->b);
			if (holder_name(c, o, &c->b) < 0)
				return -1;
			pm_buf_putc(&c->b, '.');
			if (!pm_edgename_ident(c->h, e.arg, &c->b)) {
				pm_buf_puts(&c->b, "__dict__[");
				pm_edgename_key(c->h, e.arg, &c->b);
				pm_buf_putc(&c->b, ']');
			}
			if (lpush(out, intern_buf(c), EMPTY) < 0)
				return -1;
		}
		return 0;
	}
	pm_buf_reset(&c->b);
	if (holder_name(c, src, &c->b) < 0)
		return -1;
	if (edge_of(c, src, x, occ, &e) == 0) {
		switch (e.kind) {
		case PM_EDGE_ITEM:
		case PM_EDGE_KEY:
		case PM_EDGE_VALUE:
		case PM_EDGE_SETITEM:
			break;	/* varies with each reference */
		default:
			pm_edgename(c->h, src, &e, &c->b);
			break;
		}
	}
	return lpush(out, intern_buf(c), EMPTY);
}

/* The labels of every strong reference to x and of the roots at x. */
static int
labels_of(struct ctx *c, uint32_t x, struct labvec *out)
{
	const struct pm_root *roots = pm_heap_roots(c->h);
	size_t first, nr = pm_graph_heap_roots_of(c->g, x, &first);

	out->n = 0;
	for (size_t i = 0; i < nr; i++) {
		int ns;
		pm_buf_reset(&c->b);
		pm_edgename_root(c->h, &roots[c->g->hrootidx[first + i]], &c->b,
		    &ns);
		if (lpush(out, intern_buf(c), EMPTY) < 0)
			return -1;
	}
	return each_referrer(c, x, label_ref, out);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The distinct labels of what holds container x, as a pool offset. */
static int
owners_of(struct ctx *c, uint32_t x, uint32_t *off)
{
	struct labvec *lv = &c->lev[1];

	if (map_get(&c->owners, x, off))
		return 0;
	if (labels_of(c, x, lv) < 0)
		return -1;
	size_t at = c->pool.n;
	if (at >= EMPTY || vpush(&c->pool, 0) < 0)
		return -1;
	for (size_t i = 0; i < lv->n; i++)
		if (vpush(&c->pool, lv->v[i].label) < 0)
			return -1;
	if (lv->n == 0 && vpush(&c->pool, c->none) < 0)
		return -1;
	uint32_t *v = c->pool.v + at + 1;
	size_t n = c->pool.n - at - 1, k = 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	c->pool.n = at + 1 + k;
	c->pool.v[at] = (uint32_t)k;
	*off = (uint32_t)at;
	return map_put(&c->owners, x, *off);
}

static size_t
ghash(uint32_t t, uint32_t l, uint32_t o)
{
	return hash32(t) ^ hash32(l * 31u + 7u) ^ hash32(o * 131u + 3u) * 5u;
}

static int
group_add(struct ctx *c, uint32_t t, uint32_t l, uint32_t o, uint64_t size)
{
	if (2 * (c->ngroups + 1) > c->ngslot) {
		size_t nc = c->ngslot ? 2 * c->ngslot : 64;
		uint32_t *ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (size_t j = 0; j < c->ngroups; j++) {
			struct group *gr = &c->groups[j];
			size_t i = ghash(gr->type, gr->label, gr->owner) & (nc - 1);
			while (ns[i] != 0)
				i = (i + 1) & (nc - 1);
			ns[i] = (uint32_t)j + 1;
		}
		free(c->gslot);
		c->gslot = ns;
		c->ngslot = nc;
	}
	size_t i = ghash(t, l, o) & (c->ngslot - 1);
	for (; c->gslot[i] != 0; i = (i + 1) & (c->ngslot - 1)) {
		struct group *gr = &c->groups[c->gslot[i] - 1];
		if (gr->type == t && gr->label == l && gr->owner == o) {
			gr->count++;
			gr->bytes += size;
			return 0;
		}
	}
	if (c->ngroups == c->capgroups) {
		size_t nc = c->capgroups ? 2 * c->capgroups : 64;
		struct group *ng = realloc(c->groups, nc * sizeof(*ng));
		if (ng == NULL)
			return -1;
		c->groups = ng;
		c->capgroups = nc;
	}
	c->groups[c->ngroups] = (struct group){ t, l, o, 1, size };
	c->gslot[i] = (uint32_t)++c->ngroups;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Add object x to each distinct group it belongs to. */
static int
group_obj(struct ctx *c, uint32_t x, struct vec *pv)
{
	struct labvec *lv = &c->lev[0];
	const struct pm_obj *o = &pm_heap_objs(c->h)[x];
	uint64_t *pairs;
	size_t np = 0;

	if (labels_of(c, x, lv) < 0)
		return -1;
	/* (label, owner) pairs, two numbers each in pv, then as 64 bits. */
	pv->n = 0;
	for (size_t i = 0; i < lv->n; i++) {
		uint32_t label = lv->v[i].label, off;
		if (lv->v[i].container == EMPTY) {
			if (vpush(pv, label) < 0 ||
			    vpush(pv, c->none) < 0)
				return -1;
			continue;
		}
		if (owners_of(c, lv->v[i].container, &off) < 0)
			return -1;
		for (uint32_t k = 0; k < c->pool.v[off]; k++)
			if (vpush(pv, label) < 0 ||
			    vpush(pv, c->pool.v[off + 1 + k]) < 0)
				return -1;
	}
	if (pv->n == 0 && (vpush(pv, c->none) < 0 ||
	    vpush(pv, c->none) < 0))
		return -1;
	np = pv->n / 2;
	pairs = malloc(np * sizeof(*pairs));
	if (pairs == NULL)
		return -1;
	for (size_t i = 0; i < np; i++)
		pairs[i] = (uint64_t)pv->v[2 * i] << 32 |
		    pv->v[2 * i + 1];
	qsort(pairs, np, sizeof(*pairs), cmp_u64);
	for (size_t i = 0; i < np; i++) {
		if (i > 0 && pairs[i] == pairs[i - 1])
			continue;
		if (group_add(c, o->type, (uint32_t)(pairs[i] >> 32),
		    (uint32_t)pairs[i], o->size) < 0) {
			free(pairs);
			return -1;
		}
	}
	free(pairs);
	return 0;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct pm_byref_row *x = a, *y = b;
	int r;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if ((r = strcmp(x->type_name, y->type_name)) != 0)
		return r;
	if ((r = strcmp(x->referrer, y->referrer)) != 0)
		return r;
	if ((r = strcmp(x->owner, y->owner)) != 0)
		return r;
	return x->type < y->type ? -1 : x->type > y->type;
}

static void
ctx_release(struct ctx *c, int keep_labels)
{
	map_release(&c->owners);
	map_release(&c->holders);
	map_release(&c->names);
	free(c->pool.v);
	free(c->lev[0].v);
	free(c->lev[1].v);
	pm_buf_release(&c->b);
	free(c->groups);
	free(c->gslot);
	free(c->labels.slot);
	if (!keep_labels) {
		for (size_t i = 0; i < c->labels.n; i++)
			free(c->labels.s[i]);
		free(c->labels.s);
	}
}

int
pm_byref_build(struct pm_byref *br, const struct pm_graph *g,
    const uint32_t *objs, size_t n, struct pm_err *e)
{
	struct ctx c;
	struct vec pairs = { 0 };

	memset(br, 0, sizeof(*br));
	memset(&c, 0, sizeof(c));
	c.g = g;
	c.h = g->h;
	pm_buf_init(&c.b);
	c.none = intern(&c.labels, PM_BYREF_NONE, strlen(PM_BYREF_NONE));
	if (c.none == EMPTY)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if (objs[i] >= g->n)
			continue;
		if (group_obj(&c, objs[i], &pairs) < 0)
			goto oom;
	}
	free(pairs.v);
	pairs.v = NULL;
	br->rows = calloc(c.ngroups ? c.ngroups : 1, sizeof(*br->rows));
	if (br->rows == NULL)
		goto oom;
	for (size_t i = 0; i < c.ngroups; i++) {
		const struct group *gr = &c.groups[i];
		br->rows[i] = (struct pm_byref_row){ gr->count, gr->bytes,
		    gr->type, pm_heap_types(c.h)[gr->type].name,
		    c.labels.s[gr->label], c.labels.s[gr->owner] };
	}
	br->nrows = c.ngroups;
	qsort(br->rows, br->nrows, sizeof(*br->rows), cmp_row);
	br->labels_ = c.labels.s;
	br->nlabels_ = c.labels.n;
	ctx_release(&c, 1);
	return 0;
oom:
	free(pairs.v);
	free(br->rows);
	br->rows = NULL;
	ctx_release(&c, 0);
	return pm_error(e, PM_EXIT_INPUT, "out of memory grouping %zu objects "
	    "by referrer", n);
}

void
pm_byref_release(struct pm_byref *br)
{
	for (size_t i = 0; i < br->nlabels_; i++)
		free(br->labels_[i]);
	free(br->labels_);
	free(br->rows);
	memset(br, 0, sizeof(*br));
}

/* select.c - object filters of pm-objects and friends. */
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "pm.h"
#include "pylayout.h"
#include "repr.h"
#include "select.h"
#include "snapshot.h"

#define MAX_MRO 256

static int
name_wanted(const struct pm_select_opts *o, const char *name)
{
	for (size_t k = 0; k < o->ntypes; k++)
		if (strcmp(o->types[k], name) == 0)
			return 1;
	return 0;
}

/* Does a base of type t (its __mro__, or its tp_base chain) match? */
static int
base_wanted(const struct pm_heap *h, const struct pm_select_opts *o,
    uint64_t t)
{
	const struct pm_snap *s = pm_heap_snap(h);
	const struct pm_layout *l = pm_heap_layout(h);
	uint64_t mro, n;
	int found = 0;

	if (pm_snap_u64(s, t + (uint64_t)PM_L(l, TYPE_MRO), &mro) == 0 && mro &&
	    pm_snap_u64(s, mro + (uint64_t)PM_L(l, VAROBJECT_SIZE), &n) == 0 &&
	    n > 0 && n <= MAX_MRO) {
		const unsigned char *p = pm_snap_ptr(s, mro +
		    (uint64_t)PM_L(l, TUPLE_ITEMS), (size_t)n * 8);
		for (uint64_t k = 0; p && k < n && !found; k++) {
			uint64_t b;
			memcpy(&b, p + 8 * k, 8);
			char *name = pm_heap_type_name(h, b);
			found = name && name_wanted(o, name);
			free(name);
		}
		return found;
	}
	for (int d = 0; t && d < MAX_MRO && !found; d++) {
		char *name = pm_heap_type_name(h, t);
		found = name && name_wanted(o, name);
		free(name);
		if (pm_snap_u64(s, t + (uint64_t)PM_L(l, TYPE_BASE), &t) < 0)
			break;
	}
	return found;
}

struct modfind {
	const struct pm_heap *h;
	uint64_t found;
};

static int
mod_cb(void *arg, const struct pm_edge *e)
{
	struct modfind *m = arg;
	char *k;
	size_t n;

	if (e->kind != PM_EDGE_VALUE ||
	    pm_heap_strval(m->h, e->arg, 16, &k, &n) < 0)
		return 0;
	if (n == 10 && memcmp(k, "__module__", 10) == 0)
		m->found = e->target;
	free(k);
	return m->found != 0;
}

int
pm_select_type_module(const struct pm_heap *h, size_t t, char **out)
{
	const struct pm_type *ty = &pm_heap_types(h)[t];
	const struct pm_layout *l = pm_heap_layout(h);
	const char *dot;
	size_t n;

	*out = NULL;
	if (ty->heap) {
		uint64_t d;
		struct modfind m = { h, 0 };
		int64_t di;
		if (pm_snap_u64(pm_heap_snap(h), ty->addr +
		    (uint64_t)PM_L(l, TYPE_DICT), &d) < 0 ||
		    (di = pm_heap_find(h, d)) < 0)
			return -1;
		pm_heap_referents(h, (size_t)di, mod_cb, &m);
		if (m.found == 0)
			return -1;
		return pm_heap_strval(h, m.found, 1024, out, &n);
	}
	dot = strrchr(ty->name, '.');
	if (dot == NULL)
		return (*out = strdup("builtins")) ? 0 : -1;
	n = (size_t)(dot - ty->name);
	if ((*out = malloc(n + 1)) == NULL)
		return -1;
	memcpy(*out, ty->name, n);
	(*out)[n] = '\0';
	return 0;
}

int
pm_select_init(struct pm_select *sel, const struct pm_heap *h,
    const struct pm_select_opts *o, struct pm_err *e)
{
	size_t nt = pm_heap_ntypes(h);
	const struct pm_type *types = pm_heap_types(h);

	memset(sel, 0, sizeof(*sel));
	sel->h = h;
	sel->o = *o;
	if ((sel->tok = malloc(nt ? nt : 1)) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (size_t t = 0; t < nt; t++) {
		int ok = 1;
		if (o->ntypes)
			ok = name_wanted(o, types[t].name) ||
			    (o->subclasses && base_wanted(h, o, types[t].addr));
		if (ok && o->module) {
			char *m;
			ok = pm_select_type_module(h, t, &m) == 0 &&
			    strcmp(m, o->module) == 0;
			free(m);
		}
		sel->tok[t] = (unsigned char)ok;
	}
	return 0;
}

void
pm_select_release(struct pm_select *sel)
{
	free(sel->tok);
	sel->tok = NULL;
}

int
pm_select_match(const struct pm_select *sel, size_t i)
{
	const struct pm_obj *ob = &pm_heap_objs(sel->h)[i];
	uint64_t len;

	if (!sel->tok[ob->type])
		return 0;
	if (ob->size < sel->o.min_size || ob->size > sel->o.max_size)
		return 0;
	if (sel->o.has_min_len &&
	    (pm_repr_len(sel->h, i, &len) < 0 || len < sel->o.min_len))
		return 0;
	return 1;
}

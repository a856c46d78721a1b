/* newsince.c - objects new since an earlier snapshot of the process. */
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "newsince.h"
#include "pm.h"
#include "snapshot.h"

struct pm_newsince_pair {
	uint64_t addr;
	uint32_t name;		/* index into names */
};

static int
cmp_pair(const void *a, const void *b)
{
	uint64_t x = ((const struct pm_newsince_pair *)a)->addr;
	uint64_t y = ((const struct pm_newsince_pair *)b)->addr;

	return x < y ? -1 : x > y;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Index of name in the sorted ns->names, or -1. */
static int64_t
name_index(const struct pm_newsince *ns, const char *name)
{
	size_t lo = 0, hi = ns->nnames;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ns->names[mid], name);
		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
oom(struct pm_newsince *ns, struct pm_err *e)
{
	pm_newsince_release(ns);
	return pm_error(e, PM_EXIT_INPUT, "out of memory");
}

int
pm_newsince_init(struct pm_newsince *ns, const struct pm_heap *old,
    struct pm_err *e)
{
	const struct pm_snap *s = pm_heap_snap(old);
	const struct pm_type *types = pm_heap_types(old);
	const struct pm_obj *objs = pm_heap_objs(old);
	size_t ntypes = pm_heap_ntypes(old), n = pm_heap_nobjs(old), k;
	uint32_t *tname = NULL;

	memset(ns, 0, sizeof(*ns));
	ns->pid = s->pid;
	ns->time_ns = s->time_ns;
	ns->runtime = pm_snap_sym(s, "_PyRuntime");
	if ((ns->exe = strdup(s->exe ? s->exe : "")) == NULL)
		return oom(ns, e);

	/* The type names, each once, sorted. */
	ns->names = calloc(ntypes ? ntypes : 1, sizeof(*ns->names));
	tname = calloc(ntypes ? ntypes : 1, sizeof(*tname));
	if (ns->names == NULL || tname == NULL) {
		free(tname);
		return oom(ns, e);
	}
	for (size_t t = 0; t < ntypes; t++) {
		if ((ns->names[t] = strdup(types[t].name)) == NULL) {
			free(tname);
			ns->nnames = t;
			return oom(ns, e);
		}
	}
	ns->nnames = ntypes;
	qsort(ns->names, ntypes, sizeof(*ns->names), cmp_strp);
	k = 0;
	for (size_t t = 0; t < ntypes; t++) {
		if (k > 0 && strcmp(ns->names[k - 1], ns->names[t]) == 0) {
			free(ns->names[t]);
			continue;
		}
		ns->names[k++] = ns->names[t];
	}
	ns->nnames = k;
	for (size_t t = 0; t < ntypes; t++)
		tname[t] = (uint32_t)name_index(ns, types[t].name);

	ns->pairs = malloc((n ? n : 1) * sizeof(*ns->pairs));
	if (ns->pairs == NULL) {
		free(tname);
		return oom(ns, e);
	}
	for (size_t i = 0; i < n; i++)
		ns->pairs[i] = (struct pm_newsince_pair){ objs[i].addr,
		    tname[objs[i].type] };
	ns->npairs = n;
	free(tname);
	qsort(ns->pairs, n, sizeof(*ns->pairs), cmp_pair);
	return 0;
}

int
pm_newsince_check(const struct pm_newsince *ns, const struct pm_snap *s,
    const char *oldname, const char *newname, int *later_first,
    struct pm_err *e)
{
	const char *exe = s->exe ? s->exe : "";
	uint64_t runtime = pm_snap_sym(s, "_PyRuntime");

	*later_first = s->time_ns < ns->time_ns;
	if (s->pid != ns->pid)
		return pm_error(e, PM_EXIT_INPUT,
		    "'%s' and '%s' are not of the same process: pid %u and pid %u",
		    oldname, newname, (unsigned)ns->pid, (unsigned)s->pid);
	if (strcmp(exe, ns->exe) != 0)
		return pm_error(e, PM_EXIT_INPUT,
		    "'%s' and '%s' are not of the same process: '%s' and '%s'",
		    oldname, newname, ns->exe, exe);
	if (runtime != ns->runtime)
		return pm_error(e, PM_EXIT_INPUT,
		    "'%s' and '%s' are not of the same process: pid %u was "
		    "restarted (_PyRuntime moved from 0x%llx to 0x%llx)",
		    oldname, newname, (unsigned)s->pid,
		    (unsigned long long)ns->runtime, (unsigned long long)runtime);
	return 0;
}

int
pm_newsince_bind(struct pm_newsince *ns, const struct pm_heap *h,
    struct pm_err *e)
{
	const struct pm_type *types = pm_heap_types(h);
	size_t ntypes = pm_heap_ntypes(h);

	free(ns->tmap);
	ns->h = h;
	ns->tmap = calloc(ntypes ? ntypes : 1, sizeof(*ns->tmap));
	if (ns->tmap == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (size_t t = 0; t < ntypes; t++)
		ns->tmap[t] = (uint32_t)(name_index(ns, types[t].name) + 1);
	return 0;
}

int
pm_newsince_is_new(const struct pm_newsince *ns, size_t i)
{
	const struct pm_obj *o = &pm_heap_objs(ns->h)[i];
	uint32_t want = ns->tmap[o->type];
	size_t lo = 0, hi = ns->npairs;

	if (want == 0)
		return 1;	/* a type name the earlier snapshot lacked */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ns->pairs[mid].addr < o->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == ns->npairs || ns->pairs[lo].addr != o->addr ||
	    ns->pairs[lo].name != want - 1;
}

void
pm_newsince_release(struct pm_newsince *ns)
{
	for (size_t k = 0; k < ns->nnames; k++)
		free(ns->names[k]);
	free(ns->names);
	free(ns->pairs);
	free(ns->exe);
	free(ns->tmap);
	memset(ns, 0, sizeof(*ns));
}

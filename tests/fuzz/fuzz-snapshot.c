/*
 * fuzz-snapshot - libFuzzer target for the snapshot reader and the object
 * model: every input is a snapshot (either form) read in place with
 * pm_snap_memopen, then, when it parses, enumerated with pm_heap_open,
 * and every object's references, every str and bytes value, every type's
 * name and every root are visited.
 *
 * What counts as a finding: a crash, a sanitizer report, a hang (the
 * -timeout of make fuzz), an allocation past -malloc_limit_mb, or a
 * failure that does not say why (an error without a message, or with an
 * exit status other than 2, bad input).
 *
 * Built and run by `make fuzz`; tests/fuzz/README says how to run it by
 * hand and how seeds are made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "pm.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error must say why, in one lower-case line, with status 2. */
static void
check_err(const struct pm_err *e, const char *what)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));

	if (e->status != PM_EXIT_INPUT || n == 0 || n == sizeof(e->msg) ||
	    memchr(e->msg, '\n', n) != NULL) {
		fprintf(stderr, "fuzz-snapshot: %s failed with status %d and "
		    "message '%.*s'\n", what, e->status, (int)n, e->msg);
		abort();
	}
}

struct visit {
	const struct pm_heap *h;
	uint64_t edges, found;
};

static int
on_edge(void *arg, const struct pm_edge *e)
{
	struct visit *v = arg;

	v->edges++;
	if (pm_heap_find(v->h, e->target) >= 0)
		v->found++;
	/* Field names are static strings: reading them must be safe. */
	if (e->kind == PM_EDGE_FIELD && (e->field == NULL || e->field[0] == '\0'))
		abort();
	return 0;
}

static void
walk_heap(const struct pm_heap *h)
{
	const struct pm_obj *o = pm_heap_objs(h);
	const struct pm_type *t = pm_heap_types(h);
	const struct pm_root *r = pm_heap_roots(h);
	size_t n = pm_heap_nobjs(h), nt = pm_heap_ntypes(h);
	struct visit v = { h, 0, 0 };

	for (size_t i = 0; i < n; i++) {
		const struct pm_type *ty = pm_heap_type_of(h, i);
		struct pm_strinfo si;
		char *s;
		size_t len;

		if (o[i].type >= nt || ty->name == NULL)
			abort();
		if (pm_heap_find(h, o[i].addr) != (int64_t)i)
			abort();
		pm_heap_referents(h, i, on_edge, &v);
		if (ty->kind == PM_KIND_STR || ty->kind == PM_KIND_BYTES) {
			if (pm_heap_strval(h, o[i].addr, 0, &s, &len) == 0) {
				if (s[len] != '\0')
					abort();
				free(s);
			}
			if (pm_heap_strval(h, o[i].addr, 7, &s, &len) == 0)
				free(s);
		}
		if (ty->kind == PM_KIND_STR)
			pm_heap_strinfo(h, o[i].addr, &si);
	}
	for (size_t i = 0; i < nt; i++) {
		char *name = pm_heap_type_name(h, t[i].addr);
		free(name);
	}
	for (size_t i = 0; i < pm_heap_nroots(h); i++)
		if (r[i].obj >= n)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_snap s;
	struct pm_err e;
	struct pm_heap *h;

	/*
	 * The zstd form is libzstd's to check (and the bats suites flip and
	 * cut it); decoding it here would only let a mutated length ask for
	 * terabytes. The uncompressed form is read in place.
	 */
	if (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 &&
	    data[2] == 0x2f && data[3] == 0xfd)
		return 0;
	memset(&e, 0, sizeof(e));
	if (pm_snap_memopen(&s, data, size, "fuzz", &e) < 0) {
		check_err(&e, "pm_snap_memopen");
		return 0;
	}
	memset(&e, 0, sizeof(e));
	if ((h = pm_heap_open(&s, NULL, NULL, &e)) == NULL)
		check_err(&e, "pm_heap_open");
	else
		walk_heap(h);
	pm_heap_close(h);
	pm_snap_close(&s);
	return 0;
}

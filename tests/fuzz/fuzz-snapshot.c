/*
 * fuzz-snapshot - libFuzzer target for the snapshot reader and the object
 * model: every input is a snapshot (either form) read in place with
 * pm_snap_memopen, then, when it parses, enumerated with pm_heap_open,
 * and every object's references, every str and bytes value, every type's
 * name and every root are visited. With PM_FUZZ_READERS set (make fuzz
 * FUZZ_READERS=1), what the readers build on the object model runs over
 * it too: the census (pm-types), repr and edge names (pm-objects,
 * pm-refs), the str census and duplicates (pm-strings), threads, frames
 * and asyncio tasks (pm-tasks), the reference graph, retained sizes and
 * paths (pm-refs, in fuzz-graph.c). That is ten times slower per input
 * under ASan (their tables are big allocations), hence a switch.
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

#include "aio.h"
#include "buf.h"
#include "census.h"
#include "edgename.h"
#include "frames.h"
#include "heap.h"
#include "pm.h"
#include "repr.h"
#include "snapshot.h"
#include "strs.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error must say why, in one line, with status 2. */
void
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
	size_t from;
	struct pm_buf name;
	uint64_t edges, found;
};

static int
on_edge(void *arg, const struct pm_edge *e)
{
	struct visit *v = arg;

	v->edges++;
	pm_buf_reset(&v->name);
	pm_edgename(v->h, v->from, e, &v->name);
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
	struct visit v = { .h = h };

	for (size_t i = 0; i < n; i++) {
		const struct pm_type *ty = pm_heap_type_of(h, i);
		struct pm_strinfo si;
		char *s;
		size_t len;

		if (o[i].type >= nt || ty->name == NULL)
			abort();
		if (pm_heap_find(h, o[i].addr) != (int64_t)i)
			abort();
		v.from = i;
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
	pm_buf_release(&v.name);
}

/* What pm-types, pm-objects, pm-strings, pm-tasks and pm-refs compute. */
static void
run_readers(const struct pm_heap *h)
{
	size_t n = pm_heap_nobjs(h);
	struct pm_census c;
	struct pm_repr_opts ro;
	struct pm_buf b;
	struct pm_strs_bucket *rows;
	struct pm_strs_dup *dups;
	struct pm_frames *fs;
	struct pm_aio *a;
	struct pm_err e;
	size_t nrows;

	memset(&e, 0, sizeof(e));
	if (pm_census_build(&c, h, PM_CENSUS_DICT_OWNERS, &e) < 0) {
		check_err(&e, "pm_census_build");
	} else {
		pm_census_sort(&c, 0);
		pm_census_release(&c);
	}

	pm_repr_opts_init(&ro);
	ro.depth = 2;
	ro.width = 200;
	ro.flags = PM_REPR_ATTRS;
	pm_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		pm_buf_reset(&b);
		pm_repr(h, i, &ro, &b);
		if (!b.oom && strlen(b.data) != b.len)
			abort();
	}
	pm_repr_opts_release(&ro);

	if (pm_strs_histogram(h, &rows, &nrows, &e) < 0)
		check_err(&e, "pm_strs_histogram");
	else
		free(rows);
	if (pm_strs_dups(h, 2, &dups, &nrows, &e) < 0)
		check_err(&e, "pm_strs_dups");
	else
		free(dups);

	if ((fs = pm_frames_open(h, &e)) == NULL) {
		check_err(&e, "pm_frames_open");
	} else {
		if ((a = pm_aio_open(fs, &e)) == NULL)
			check_err(&e, "pm_aio_open");
		pm_aio_close(a);
		pm_frames_close(fs);
	}

	fuzz_graph(h);
	pm_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int readers = -1;
	struct pm_snap s;
	struct pm_err e;
	struct pm_heap *h;

	if (readers < 0) {
		const char *v = getenv("PM_FUZZ_READERS");
		readers = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
	}

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
	else {
		walk_heap(h);
		if (readers) {
			run_readers(h);
			fuzz_more(&s, h);
		}
	}
	pm_heap_close(h);
	pm_snap_close(&s);
	return 0;
}

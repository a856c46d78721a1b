/*
 * fuzz-more.c - the readers of pm-dump --info, pm-types --memory and
 * --by-line, pm-objects --traceback and --hexdump in the fuzz target:
 * mappings classified, arenas and pools measured, tracemalloc's tables
 * read, fields named. Each must end in success or a status-2 message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heap.h"
#include "hexdump.h"
#include "pm.h"
#include "regions.h"
#include "tracemalloc.h"
#include "fuzz.h"

static void
fuzz_tracemalloc(const struct pm_heap *h)
{
	struct pm_tm tm;
	struct pm_tm_line *rows;
	struct pm_buf b;
	struct pm_err e;
	size_t n = pm_heap_nobjs(h);
	long nrows;

	memset(&e, 0, sizeof(e));
	if (pm_tm_open(&tm, h, &e) < 0) {
		check_err(&e, "pm_tm_open");
		return;
	}
	if ((nrows = pm_tm_by_line(&tm, 0, &rows, &e)) < 0)
		check_err(&e, "pm_tm_by_line");
	else
		pm_tm_lines_free(rows, (size_t)nrows);
	pm_buf_init(&b);
	for (size_t i = 0; i < n && i < 256; i++) {
		const struct pm_tm_trace *t = pm_tm_object(&tm, i);
		if (t == NULL)
			continue;
		pm_buf_reset(&b);
		if (pm_tm_traceback_text(&tm, t->traceback, &b) == 0 &&
		    !b.oom && strlen(b.data) != b.len)
			abort();
	}
	pm_buf_release(&b);
	pm_tm_close(&tm);
}

void
fuzz_more(const struct pm_snap *s, const struct pm_heap *h)
{
	struct pm_regions r;
	struct pm_memory m;
	struct pm_err e;
	size_t n = pm_heap_nobjs(h);
	char field[64];

	memset(&e, 0, sizeof(e));
	if (pm_regions_build(&r, s, h, &e) < 0) {
		check_err(&e, "pm_regions_build");
	} else {
		pm_regions_memory(&r, &m);
		pm_regions_release(&r);
	}
	fuzz_tracemalloc(h);
	for (size_t i = 0; i < n && i < 256; i++) {
		uint64_t start, end, lo, hi;
		pm_hexdump_extent(h, i, &start, &end);
		for (int64_t off = -32; off < 64; off += 8)
			pm_hexdump_field(h, i, off, field, sizeof(field));
		memset(&e, 0, sizeof(e));
		if (pm_hexdump_window(h, pm_heap_objs(h)[i].addr, 0, &lo,
		    &hi, &e) < 0)
			check_err(&e, "pm_hexdump_window");
	}
}

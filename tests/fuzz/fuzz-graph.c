/*
 * fuzz-graph.c - the pm-refs part of the fuzz target: the reference
 * graph, dominators and retained sizes, and the shortest paths of the
 * first objects, rendered as pm-refs --path prints them; the first
 * objects grouped by referrer (--by-referrer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "byref.h"
#include "graph.h"
#include "heap.h"
#include "path.h"
#include "pm.h"
#include "retain.h"
#include "fuzz.h"

void
fuzz_graph(const struct pm_heap *h)
{
	struct pm_graph g;
	struct pm_retain rt;
	struct pm_paths paths;
	struct pm_buf b;
	struct pm_err e;
	uint32_t top[8];
	size_t n = pm_heap_nobjs(h);

	memset(&e, 0, sizeof(e));
	if (pm_graph_build(&g, h, NULL, NULL, &e) < 0) {
		check_err(&e, "pm_graph_build");
		return;
	}
	if (pm_retain_compute(&rt, &g, NULL, NULL, &e) < 0) {
		check_err(&e, "pm_retain_compute");
	} else {
		pm_retain_top(&rt, 8, top);
		pm_retain_release(&rt);
	}
	{
		/* pm-refs --by-referrer over the first objects. */
		struct pm_byref br;
		uint32_t objs[64];
		size_t k = 0;
		for (; k < n && k < 64; k++)
			objs[k] = (uint32_t)k;
		if (pm_byref_build(&br, &g, objs, k, &e) < 0)
			check_err(&e, "pm_byref_build");
		else
			pm_byref_release(&br);
	}
	pm_buf_init(&b);
	if (pm_paths_init(&paths, &g, &e) < 0) {
		check_err(&e, "pm_paths_init");
	} else {
		for (size_t i = 0; i < n && i < 64; i++) {
			struct pm_path path = { 0 };
			if (pm_paths_shortest(&paths, (uint32_t)i, &path) == 0) {
				pm_buf_reset(&b);
				pm_path_render(&g, &path, 40, &b);
			}
			pm_path_release(&path);
		}
		pm_paths_release(&paths);
	}
	pm_buf_release(&b);
	pm_graph_release(&g);
}

/* load.c - open a snapshot and its object model for a command. */
#include <stdio.h>

#include "heap.h"
#include "load.h"
#include "pm.h"
#include "snapshot.h"
#include "util.h"

void
pm_load_progress(void *arg, const char *phase, uint64_t done)
{
	pm_progress_show(arg, "%s: %llu objects", phase, (unsigned long long)done);
}

struct pm_heap *
pm_load_heap(struct pm_snap *snap, const char *path, struct pm_progress *p)
{
	struct pm_heap *heap;
	struct pm_err err;

	pm_progress_show(p, "reading snapshot");
	if (pm_snap_open(snap, path, &err) < 0) {
		pm_progress_end(p);
		pm_die_err(&err);
	}
	heap = pm_heap_open(snap, pm_load_progress, p, &err);
	if (heap == NULL) {
		pm_progress_end(p);
		pm_die_err(&err);
	}
	return heap;
}

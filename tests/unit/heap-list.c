/*
 * heap-list - print every object the object model finds in a snapshot:
 * ADDR SIZE FLAGS TYPE. Used by the tests to compare with what the target
 * reported about itself (tests/targets/allobjs.py).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "heap.h"
#include "pm.h"
#include "snapshot.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct pm_snap s;
	struct pm_err e;
	struct pm_heap *h;

	if (argc != 2)
		pm_die(PM_EXIT_INPUT, "usage: heap-list snapshot");
	if (pm_snap_open(&s, argv[1], &e) < 0)
		pm_die_err(&e);
	if ((h = pm_heap_open(&s, NULL, NULL, &e)) == NULL)
		pm_die_err(&e);
	const struct pm_obj *o = pm_heap_objs(h);
	for (size_t i = 0; i < pm_heap_nobjs(h); i++)
		printf("0x%" PRIx64 "\t%" PRIu64 "\t%s%s\t%s\n", o[i].addr, o[i].size,
		    o[i].flags & PM_OBJ_GC ? "g" : "-",
		    o[i].flags & PM_OBJ_CONSERVATIVE ? "c" : "-",
		    pm_heap_type_of(h, i)->name);
	pm_heap_close(h);
	pm_snap_close(&s);
	pm_close_stdout();
	return 0;
}

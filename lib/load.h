/*
 * load.h - what every analysis command does first: open the snapshot and
 * enumerate its objects, with progress. For cmd/ only: it dies on error.
 */
#ifndef PM_LOAD_H
#define PM_LOAD_H

#include <stdint.h>

struct pm_heap;
struct pm_progress;
struct pm_snap;

/*
 * Open the snapshot at path (NULL or "-" for stdin) into snap and return
 * its object model, drawing progress on p. On failure, end the progress
 * line and exit with the error's status and message. On success the
 * progress line is left for the caller to go on with or end.
 */
struct pm_heap *pm_load_heap(struct pm_snap *snap, const char *path,
    struct pm_progress *p);

/* A pm_heap_progress_fn drawing "PHASE: N objects" on a struct pm_progress. */
void pm_load_progress(void *arg, const char *phase, uint64_t done);

#endif

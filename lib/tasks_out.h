/*
 * tasks_out.h - how pm-tasks writes what lib/frames and lib/aio found.
 */
#ifndef PM_TASKS_OUT_H
#define PM_TASKS_OUT_H

#include "buf.h"
#include "out.h"
#include "repr.h"

struct pm_addrlist;
struct pm_aio;
struct pm_frames;
struct pm_heap;

enum pm_tasks_style {
	PM_TASKS_TSV, PM_TASKS_CSV, PM_TASKS_JSON, PM_TASKS_TREE, PM_TASKS_FOLDED
};

struct pm_tasks_out {
	const struct pm_heap *h;
	struct pm_frames *fs;
	struct pm_aio *aio;
	enum pm_tasks_style style;
	int header;
	struct pm_out out;
	struct pm_repr_opts ro;
	struct pm_buf buf;
	const struct pm_addrlist *sel;	/* --locals: frames or threads wanted */
};

/* Every thread's stack (with locals of the frames or threads in sel). */
void pm_tasks_threads(struct pm_tasks_out *x, int locals);

/* Every asyncio task and what it awaits. */
void pm_tasks_async(struct pm_tasks_out *x);

/* Await cycles and lock deadlocks, each once: PM_EXIT_FINDING if any. */
int pm_tasks_check(struct pm_tasks_out *x);

#endif

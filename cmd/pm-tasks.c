/*
 * pm-tasks - thread stacks, asyncio tasks and their cycles in a snapshot.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "aio.h"
#include "buf.h"
#include "frames.h"
#include "heap.h"
#include "load.h"
#include "out.h"
#include "pm.h"
#include "repr.h"
#include "snapshot.h"
#include "tasks_out.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-tasks [-Hq] [--csv | --json | --tree | --folded] [--locals]\n"
    "                [snapshot]\n"
    "       pm-tasks --async [-Hq] [--csv | --json | --tree] [snapshot]\n"
    "       pm-tasks --check [-Hq] [--csv | --json] [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

enum {
	OPT_ASYNC = 256,
	OPT_CHECK,
	OPT_CSV,
	OPT_FOLDED,
	OPT_JSON,
	OPT_LOCALS,
	OPT_TREE,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "async", no_argument, NULL, OPT_ASYNC },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "locals", no_argument, NULL, OPT_LOCALS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* ---- main ---- */

static void
bad_usage(const char *why)
{
	pm_warn("%s", why);
	usage(stderr, PM_EXIT_INPUT);
}

int
main(int argc, char **argv)
{
	struct pm_tasks_out x = { .style = PM_TASKS_TSV };
	int quiet = 0, locals = 0, async = 0, do_check = 0, nstyle = 0, c;
	int status = PM_EXIT_OK;
	struct pm_addrlist sel = { 0 };
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;

	while ((c = getopt_long(argc, argv, "Hhq", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			x.header = 1;
			break;
		case 'h':
			usage(stdout, PM_EXIT_OK);
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_ASYNC:
			async = 1;
			break;
		case OPT_CHECK:
			do_check = 1;
			break;
		case OPT_CSV:
			x.style = PM_TASKS_CSV;
			nstyle++;
			break;
		case OPT_FOLDED:
			x.style = PM_TASKS_FOLDED;
			nstyle++;
			break;
		case OPT_JSON:
			x.style = PM_TASKS_JSON;
			nstyle++;
			break;
		case OPT_LOCALS:
			locals = 1;
			break;
		case OPT_TREE:
			x.style = PM_TASKS_TREE;
			nstyle++;
			break;
		case OPT_VERSION:
			printf("pm-tasks %s\n", PM_VERSION);
			pm_close_stdout();
			return PM_EXIT_OK;
		default:
			usage(stderr, PM_EXIT_INPUT);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(stderr, PM_EXIT_INPUT);
	if (nstyle > 1)
		bad_usage("choose one of --csv, --json, --tree and --folded");
	if (locals && (async || do_check))
		bad_usage("--locals goes with thread stacks, not --async or --check");
	if (locals && x.style == PM_TASKS_FOLDED)
		bad_usage("--locals does not go with --folded");
	if ((async || do_check) && x.style == PM_TASKS_FOLDED)
		bad_usage("--folded is for thread stacks");
	if (do_check && x.style == PM_TASKS_TREE)
		bad_usage("--check writes records, not a --tree");

	/* --locals with a snapshot operand: frames or threads from stdin. */
	if (locals && argc == 1 && strcmp(argv[0], "-") != 0 &&
	    pm_addrlist_stdin_wanted()) {
		if (pm_addrlist_read(&sel, stdin, "<stdin>", &err) < 0)
			pm_die_err(&err);
		x.sel = &sel;
	}

	pm_progress_init(&prog, quiet);
	heap = pm_load_heap(&snap, argc ? argv[0] : NULL, &prog);
	x.h = heap;
	pm_progress_show(&prog, "reading thread stacks");
	if ((x.fs = pm_frames_open(heap, &err)) == NULL) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}
	if (async || do_check) {
		pm_progress_show(&prog, "reading asyncio tasks");
		if ((x.aio = pm_aio_open(x.fs, &err)) == NULL) {
			pm_progress_end(&prog);
			pm_die_err(&err);
		}
	}
	pm_progress_end(&prog);
	pm_repr_opts_init(&x.ro);
	pm_buf_init(&x.buf);

	if (do_check)
		status = pm_tasks_check(&x);
	else if (async)
		pm_tasks_async(&x);
	else
		pm_tasks_threads(&x, locals);

	pm_buf_release(&x.buf);
	pm_repr_opts_release(&x.ro);
	pm_addrlist_release(&sel);
	pm_aio_close(x.aio);
	pm_frames_close(x.fs);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return status;
}

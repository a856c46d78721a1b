/*
 * pm-types - count the objects of a snapshot by type.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "out.h"
#include "pm.h"
#include "snapshot.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-types [-cHq] [--csv | --json] [--dict-owners] [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

enum {
	OPT_CSV = 256,
	OPT_JSON,
	OPT_DICT_OWNERS,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "count", no_argument, NULL, 'c' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "dict-owners", no_argument, NULL, OPT_DICT_OWNERS },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct row {
	uint64_t count, bytes;
	const char *type;	/* type name */
	const char *owner;	/* "dict of OWNER" rows */
};

static int
cmp_rows(const void *a, const void *b, void *arg)
{
	const struct row *x = a, *y = b;
	int by_count = *(const int *)arg;
	uint64_t kx = by_count ? x->count : x->bytes, ky = by_count ? y->count : y->bytes;
	uint64_t sx = by_count ? x->bytes : x->count, sy = by_count ? y->bytes : y->count;
	int c;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	if (sx != sy)
		return sx > sy ? -1 : 1;
	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	return strcmp(x->owner ? x->owner : "", y->owner ? y->owner : "");
}

static void
progress(void *arg, const char *phase, uint64_t done)
{
	pm_progress_show(arg, "%s: %llu objects", phase, (unsigned long long)done);
}

int
main(int argc, char **argv)
{
	static const char *const cols[] = { "COUNT", "BYTES", "TYPE" };
	enum pm_out_format format = PM_OUT_TSV;
	int header = 0, dict_owners = 0, quiet = 0, by_count = 0, c;
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;
	struct pm_out out;

	while ((c = getopt_long(argc, argv, "cHhq", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			by_count = 1;
			break;
		case 'H':
			header = 1;
			break;
		case 'h':
			usage(stdout, PM_EXIT_OK);
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_CSV:
			format = PM_OUT_CSV;
			break;
		case OPT_JSON:
			format = PM_OUT_JSON;
			break;
		case OPT_DICT_OWNERS:
			dict_owners = 1;
			break;
		case OPT_VERSION:
			printf("pm-types %s\n", PM_VERSION);
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

	pm_progress_init(&prog, quiet);
	pm_progress_show(&prog, "reading snapshot");
	if (pm_snap_open(&snap, argc ? argv[0] : NULL, &err) < 0) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}
	heap = pm_heap_open(&snap, progress, &prog, &err);
	pm_progress_end(&prog);
	if (heap == NULL)
		pm_die_err(&err);

	size_t ntypes = pm_heap_ntypes(heap), nobjs = pm_heap_nobjs(heap);
	const struct pm_type *types = pm_heap_types(heap);
	const struct pm_obj *objs = pm_heap_objs(heap);
	/* Rows 0..ntypes-1 by type; ntypes.. for "dict of T" by owner. */
	struct row *rows = pm_xcalloc(2 * ntypes + 1, sizeof(*rows));
	uint64_t tcount = 0, tbytes = 0;

	for (size_t i = 0; i < nobjs; i++) {
		const struct pm_obj *o = &objs[i];
		struct row *r = &rows[o->type];
		if (dict_owners && o->owner &&
		    types[o->type].kind == PM_KIND_DICT && !types[o->type].heap)
			r = &rows[ntypes + o->owner - 1];
		r->count++;
		r->bytes += o->size;
		tcount++;
		tbytes += o->size;
	}
	size_t n = 0;
	for (size_t i = 0; i < 2 * ntypes; i++) {
		if (rows[i].count == 0)
			continue;
		rows[n] = rows[i];
		if (i < ntypes) {
			rows[n].type = types[i].name;
			rows[n].owner = NULL;
		} else {
			rows[n].type = "dict of ";
			rows[n].owner = types[i - ntypes].name;
		}
		n++;
	}
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &by_count);

	pm_out_init(&out, stdout, format, header, cols, 3);
	for (size_t i = 0; i < n; i++) {
		pm_out_u64(&out, rows[i].count);
		pm_out_u64(&out, rows[i].bytes);
		if (rows[i].owner) {
			size_t len = strlen(rows[i].owner) + 9;
			char *name = pm_xmalloc(len);
			snprintf(name, len, "dict of %s", rows[i].owner);
			pm_out_str(&out, name);
			free(name);
		} else {
			pm_out_str(&out, rows[i].type);
		}
		pm_out_end(&out);
	}
	pm_out_u64(&out, tcount);
	pm_out_u64(&out, tbytes);
	pm_out_str(&out, "(total)");
	pm_out_end(&out);

	free(rows);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

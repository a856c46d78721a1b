/*
 * pm-types - count the objects of a snapshot by type, or compare the
 * count with an earlier one and fail when a type grew too much.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census.h"
#include "heap.h"
#include "load.h"
#include "out.h"
#include "pm.h"
#include "regions.h"
#include "snapshot.h"
#include "tracemalloc.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-types [-cHqv] [--csv | --json] [--dict-owners] [snapshot]\n"
    "       pm-types [-cHq] [--csv | --json] [--dict-owners] --baseline old\n"
    "                [--max-growth count] [--max-growth-bytes size]\n"
    "                [--type type] [snapshot]\n"
    "       pm-types --by-line [-cHq] [--csv | --json] [snapshot]\n"
    "       pm-types [-Hqv] [--csv | --json] --memory [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

/* A bad combination of options: say why, then the usage. */
static void
usage_why(const char *why)
{
	pm_warn("%s", why);
	usage(stderr, PM_EXIT_INPUT);
}

enum {
	OPT_CSV = 256,
	OPT_JSON,
	OPT_DICT_OWNERS,
	OPT_VERSION,
	OPT_BASELINE,
	OPT_MAX_GROWTH,
	OPT_MAX_GROWTH_BYTES,
	OPT_TYPE,
	OPT_BY_LINE,
	OPT_MEMORY,
};

static const struct option longopts[] = {
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "by-line", no_argument, NULL, OPT_BY_LINE },
	{ "count", no_argument, NULL, 'c' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "dict-owners", no_argument, NULL, OPT_DICT_OWNERS },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "max-growth", required_argument, NULL, OPT_MAX_GROWTH },
	{ "max-growth-bytes", required_argument, NULL, OPT_MAX_GROWTH_BYTES },
	{ "memory", no_argument, NULL, OPT_MEMORY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/*
 * A limit: decimal digits only (no sign, no blanks), at most INT64_MAX;
 * with sizes, optionally followed by K, M, G or T (either case) for
 * binary multiples: 10M is 10485760. Dies with exit 2 when invalid.
 */
static int64_t
parse_limit(const char *s, const char *name, int sizes)
{
	static const char units[] = "KMGT";
	const char *p = s;
	int64_t v = 0;
	int shift = 0;

	if (*p < '0' || *p > '9')
		pm_die(PM_EXIT_INPUT, "invalid %s value '%s'", name, s);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			pm_die(PM_EXIT_INPUT, "invalid %s value '%s'", name, s);
		v = v * 10 + (*p - '0');
	}
	if (sizes && *p != '\0' && p[1] == '\0') {
		for (int i = 0; units[i] != '\0'; i++) {
			if (*p == units[i] || *p == units[i] - 'A' + 'a') {
				shift = 10 * (i + 1);
				p++;
				break;
			}
		}
	}
	if (*p != '\0' || v > INT64_MAX >> shift)
		pm_die(PM_EXIT_INPUT, "invalid %s value '%s'", name, s);
	return v << shift;
}

/*
 * One census record; with verbose, the shares of the totals, the
 * cumulated share of bytes cum and the largest object between BYTES and
 * TYPE.
 */
static void
print_row(struct pm_out *out, const struct pm_census *c, uint64_t count,
    uint64_t bytes, uint64_t cum, uint64_t max, const char *type, int verbose)
{
	pm_out_u64(out, count);
	pm_out_u64(out, bytes);
	if (verbose) {
		pm_out_pct(out, count, c->count);
		pm_out_pct(out, bytes, c->bytes);
		pm_out_pct(out, cum, c->bytes);
		pm_out_u64(out, max);
	}
	pm_out_str(out, type);
	pm_out_end(out);
}

static void
print_census(const struct pm_census *c, enum pm_out_format format, int header,
    int verbose)
{
	static const char *const cols[] = { "COUNT", "BYTES", "TYPE" };
	static const char *const vcols[] = {
		"COUNT", "BYTES", "%COUNT", "%BYTES", "CUM%", "MAX_SIZE", "TYPE"
	};
	struct pm_out out;
	uint64_t cum = 0;

	if (verbose)
		pm_out_init(&out, stdout, format, header, vcols, 7);
	else
		pm_out_init(&out, stdout, format, header, cols, 3);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct pm_census_row *r = &c->rows[i];
		cum += r->bytes;
		print_row(&out, c, r->count, r->bytes, cum, r->max, r->type,
		    verbose);
	}
	print_row(&out, c, c->count, c->bytes, c->bytes, c->max,
	    PM_CENSUS_TOTAL, verbose);
}

static void
memory_row(struct pm_out *out, uint64_t bytes, uint64_t total,
    const char *what)
{
	pm_out_u64(out, bytes);
	pm_out_pct(out, bytes, total);
	pm_out_str(out, what);
	pm_out_end(out);
}

/*
 * --memory: where the snapshot's bytes are, one row per kind of memory;
 * with verbose, pymalloc's free space split as _debugmallocstats does.
 */
static void
print_memory(const struct pm_heap *heap, const struct pm_snap *snap,
    enum pm_out_format format, int header, int verbose)
{
	static const char *const cols[] = { "BYTES", "%BYTES", "MEMORY" };
	struct pm_regions r;
	struct pm_memory m;
	struct pm_err err;
	struct pm_out out;
	uint64_t t;

	if (pm_regions_build(&r, snap, heap, &err) < 0)
		pm_die_err(&err);
	pm_regions_memory(&r, &m);
	t = m.total;
	if (!m.pymalloc_known)
		pm_warn("pymalloc arenas unknown: %s; objects are not split by "
		    "allocator", r.om.why);
	else if (r.om.ninconsistent)
		pm_warn("%zu of %zu pymalloc arenas could not be read whole; "
		    "their free space counts as heap-other", r.om.ninconsistent,
		    r.om.narenas);
	if (m.over)
		pm_warn("objects count %llu bytes more than the memory around "
		    "them; rows left at 0", (unsigned long long)m.over);
	pm_out_init(&out, stdout, format, header, cols, 3);
	if (m.pymalloc_known) {
		memory_row(&out, m.obj_pymalloc, t, "pymalloc-objects");
		memory_row(&out, m.obj_malloc, t, "malloc-objects");
	} else {
		memory_row(&out, m.obj_malloc, t, "heap-objects");
	}
	memory_row(&out, m.obj_static, t, "static-objects");
	if (m.pymalloc_known && verbose) {
		memory_row(&out, m.py_free_blocks, t, "pymalloc-free-blocks");
		memory_row(&out, m.py_unused_pools, t, "pymalloc-unused-pools");
		memory_row(&out, m.py_headers, t, "pymalloc-pool-headers");
		memory_row(&out, m.py_quantization, t, "pymalloc-quantization");
		memory_row(&out, m.py_alignment, t, "pymalloc-alignment");
	} else if (m.pymalloc_known) {
		memory_row(&out, m.py_free_blocks + m.py_unused_pools +
		    m.py_headers + m.py_quantization + m.py_alignment, t,
		    "pymalloc-free");
	}
	memory_row(&out, m.heap_other, t, "heap-other");
	memory_row(&out, m.stacks, t, "stacks");
	memory_row(&out, m.files, t, "files");
	memory_row(&out, m.other, t, "other");
	memory_row(&out, t, t, PM_CENSUS_TOTAL);
	pm_regions_release(&r);
}

static void
print_delta(struct pm_out *out, const struct pm_census_delta *d)
{
	pm_out_delta(out, d->dcount);
	pm_out_delta(out, d->dbytes);
	pm_out_u64(out, d->count);
	pm_out_u64(out, d->bytes);
	pm_out_str(out, d->type);
	pm_out_end(out);
}

/*
 * Print what changed since then, and on stderr one line per limit of g
 * a type passes. Returns the exit status: 1 when a limit was passed.
 */
static int
print_growth(const struct pm_census *then, const struct pm_census *now,
    const struct pm_census_gate *g, int by_count, enum pm_out_format format,
    int header)
{
	static const char *const cols[] = {
		"DCOUNT", "DBYTES", "COUNT", "BYTES", "TYPE"
	};
	struct pm_census_delta *rows, total;
	struct pm_err err;
	struct pm_out out;
	size_t n;
	int status = PM_EXIT_OK;

	if (pm_census_diff(then, now, by_count, &rows, &n, &total, &err) < 0)
		pm_die_err(&err);
	pm_out_init(&out, stdout, format, header, cols, 5);
	for (size_t i = 0; i < n; i++)
		print_delta(&out, &rows[i]);
	print_delta(&out, &total);

	for (size_t i = 0; i < n; i++) {
		unsigned trips = pm_census_gate_check(g, &rows[i]);
		if (trips & PM_CENSUS_TRIP_COUNT)
			pm_warn("%s grew by %" PRId64 " objects (limit %" PRId64 ")",
			    rows[i].type, rows[i].dcount, g->max_count);
		if (trips & PM_CENSUS_TRIP_BYTES)
			pm_warn("%s grew by %" PRId64 " bytes (limit %" PRId64 ")",
			    rows[i].type, rows[i].dbytes, g->max_bytes);
		if (trips)
			status = PM_EXIT_FINDING;
	}
	for (size_t i = 0; i < g->ntypes; i++)
		if (!pm_census_has(then, g->types[i]) &&
		    !pm_census_has(now, g->types[i]))
			pm_warn("--type '%s' names no type in either census",
			    g->types[i]);
	free(rows);
	return status;
}

/*
 * --by-line: the target's tracemalloc traces by the file and line of
 * their most recent frame, as Snapshot.statistics('lineno') counts them,
 * then their total. Ends the program.
 */
static int
print_by_line(struct pm_heap *heap, struct pm_snap *snap, int by_count,
    enum pm_out_format format, int header)
{
	static const char *const cols[] = { "COUNT", "BYTES", "LOCATION" };
	struct pm_tm_line *rows;
	struct pm_out out;
	struct pm_err err;
	struct pm_tm tm;
	long n;

	if (pm_tm_open(&tm, heap, &err) < 0 ||
	    (n = pm_tm_by_line(&tm, by_count, &rows, &err)) < 0)
		pm_die_err(&err);
	if (tm.total != tm.traced_memory)
		pm_warn("tracemalloc counts %" PRIu64 " traced bytes, its traces "
		    "add up to %" PRIu64, tm.traced_memory, tm.total);
	pm_out_init(&out, stdout, format, header, cols, 3);
	for (long i = 0; i < n; i++) {
		pm_out_u64(&out, rows[i].count);
		pm_out_u64(&out, rows[i].bytes);
		pm_out_str(&out, rows[i].where);
		pm_out_end(&out);
	}
	pm_out_u64(&out, tm.ntraces);
	pm_out_u64(&out, tm.total);
	pm_out_str(&out, PM_CENSUS_TOTAL);
	pm_out_end(&out);
	pm_tm_lines_free(rows, (size_t)n);
	pm_tm_close(&tm);
	pm_heap_close(heap);
	pm_snap_close(snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum pm_out_format format = PM_OUT_TSV;
	int header = 0, quiet = 0, by_count = 0, verbose = 0, c;
	int by_line = 0;
	int status = PM_EXIT_OK, memory = 0;
	unsigned flags = 0;
	const char *baseline = NULL;
	struct pm_census_gate gate = { .max_count = -1, .max_bytes = -1 };
	char **types = NULL;
	struct pm_census then, now;
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;

	while ((c = getopt_long(argc, argv, "cHhqv", longopts, NULL)) != -1) {
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
		case 'v':
			verbose = 1;
			break;
		case OPT_BASELINE:
			baseline = optarg;
			break;
		case OPT_BY_LINE:
			by_line = 1;
			break;
		case OPT_CSV:
			format = PM_OUT_CSV;
			break;
		case OPT_JSON:
			format = PM_OUT_JSON;
			break;
		case OPT_DICT_OWNERS:
			flags |= PM_CENSUS_DICT_OWNERS;
			break;
		case OPT_MEMORY:
			memory = 1;
			break;
		case OPT_MAX_GROWTH:
			gate.max_count = parse_limit(optarg, "--max-growth", 0);
			break;
		case OPT_MAX_GROWTH_BYTES:
			gate.max_bytes = parse_limit(optarg, "--max-growth-bytes",
			    1);
			break;
		case OPT_TYPE:
			types = pm_xreallocarray(types, gate.ntypes + 1,
			    sizeof(*types));
			types[gate.ntypes++] = optarg;
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
	gate.types = types;
	if (baseline == NULL && (gate.max_count >= 0 || gate.max_bytes >= 0))
		usage_why("--max-growth and --max-growth-bytes need --baseline");
	if (baseline && verbose)
		usage_why("-v cannot be used with --baseline");
	if (by_line && (baseline || memory || verbose ||
	    (flags & PM_CENSUS_DICT_OWNERS)))
		usage_why("--by-line cannot be used with --baseline, --memory, -v "
		    "or --dict-owners");
	if (memory && (baseline || by_count || (flags & PM_CENSUS_DICT_OWNERS)))
		usage_why("--memory takes only -H, -q, -v, --csv and --json");
	if (gate.ntypes && gate.max_count < 0 && gate.max_bytes < 0)
		usage_why("--type needs --max-growth or --max-growth-bytes");
	if (baseline && strcmp(baseline, "-") == 0 &&
	    (argc == 0 || strcmp(argv[0], "-") == 0))
		usage_why("--baseline - and the snapshot cannot both be standard "
		    "input");
	if (format == PM_OUT_CSV)
		flags |= PM_CENSUS_CSV;

	pm_progress_init(&prog, quiet);
	if (baseline) {
		pm_progress_show(&prog, "reading baseline");
		if (pm_census_load(&then, baseline, flags, pm_load_progress, &prog,
		    &err) < 0) {
			pm_progress_end(&prog);
			pm_die_err(&err);
		}
	}
	heap = pm_load_heap(&snap, argc ? argv[0] : NULL, &prog);
	pm_progress_end(&prog);
	if (by_line && heap != NULL)
		return print_by_line(heap, &snap, by_count, format, header);
	if (memory) {
		print_memory(heap, &snap, format, header, verbose);
		pm_heap_close(heap);
		pm_snap_close(&snap);
		free(types);
		pm_close_stdout();
		return PM_EXIT_OK;
	}
	if (pm_census_build(&now, heap, flags, &err) < 0)
		pm_die_err(&err);
	pm_heap_close(heap);
	pm_snap_close(&snap);

	if (baseline) {
		status = print_growth(&then, &now, &gate, by_count, format, header);
		pm_census_release(&then);
	} else {
		pm_census_sort(&now, by_count);
		print_census(&now, format, header, verbose);
	}
	pm_census_release(&now);
	free(types);
	pm_close_stdout();
	return status;
}

/*
 * pm-objects - list the objects of a snapshot with a bounded repr.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "buf.h"
#include "heap.h"
#include "hexdump.h"
#include "load.h"
#include "newsince.h"
#include "out.h"
#include "pm.h"
#include "repr.h"
#include "select.h"
#include "snapshot.h"
#include "strs.h"
#include "tracemalloc.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-objects [-aHq] [--csv | --json] [--redact] [--subclasses]\n"
    "                  [-t type] [--module module] [--min-size bytes]\n"
    "                  [--max-size bytes] [--min-len n] [--largest n]\n"
    "                  [--depth n] [--width n] [--new-since old] [--traceback]\n"
    "                  [snapshot]\n"
    "       pm-objects --hexdump addr [-Hq] [--csv | --json] [-n bytes]\n"
    "                  [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

enum {
	OPT_CSV = 256,
	OPT_DEPTH,
	OPT_HEXDUMP,
	OPT_JSON,
	OPT_LARGEST,
	OPT_MAX_SIZE,
	OPT_MIN_LEN,
	OPT_MIN_SIZE,
	OPT_MODULE,
	OPT_NEW_SINCE,
	OPT_REDACT,
	OPT_SUBCLASSES,
	OPT_TRACEBACK,
	OPT_VERSION,
	OPT_WIDTH,
};

static const struct option longopts[] = {
	{ "attributes", no_argument, NULL, 'a' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "hexdump", required_argument, NULL, OPT_HEXDUMP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "largest", required_argument, NULL, OPT_LARGEST },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "min-len", required_argument, NULL, OPT_MIN_LEN },
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "new-since", required_argument, NULL, OPT_NEW_SINCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "subclasses", no_argument, NULL, OPT_SUBCLASSES },
	{ "traceback", no_argument, NULL, OPT_TRACEBACK },
	{ "type", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ NULL, 0, NULL, 0 },
};

/*
 * --hexdump: the bytes around addr in the snapshot at path, a record a
 * line, each with the object that holds it.
 */
static int
hexdump(const char *path, const char *addr, uint64_t nbytes,
    enum pm_out_format format, int header, int quiet)
{
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;
	struct pm_out out;
	uint64_t a, lo, hi;

	if (pm_addrlist_parse(addr, strlen(addr), &a) < 0) {
		pm_warn("invalid --hexdump address '%s'", addr);
		usage(stderr, PM_EXIT_INPUT);
	}
	pm_progress_init(&prog, quiet);
	heap = pm_load_heap(&snap, path, &prog);
	pm_progress_end(&prog);
	pm_out_init(&out, stdout, format, header, pm_hexdump_cols,
	    PM_HEXDUMP_NCOLS);
	if (pm_hexdump_window(heap, a, nbytes, &lo, &hi, &err) < 0 ||
	    pm_hexdump_write(heap, lo, hi, &out, &err) < 0)
		pm_die_err(&err);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

/* Order: by size, largest first, then by address. */
static int
cmp_size(const void *a, const void *b, void *arg)
{
	const struct pm_obj *objs = arg;
	const struct pm_obj *x = &objs[*(const size_t *)a];
	const struct pm_obj *y = &objs[*(const size_t *)b];

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int
cmp_addr(const void *a, const void *b, void *arg)
{
	const struct pm_obj *objs = arg;
	uint64_t x = objs[*(const size_t *)a].addr, y = objs[*(const size_t *)b].addr;

	return x < y ? -1 : x > y;
}

/* The objects named on stdin, in input order, each once. */
static size_t *
from_addrs(const struct pm_heap *h, const struct pm_addrlist *al,
    size_t *n, int *missing)
{
	size_t *v = pm_xcalloc(al->n ? al->n : 1, sizeof(*v)), k = 0;
	unsigned char *seen = pm_xcalloc(pm_heap_nobjs(h) ? pm_heap_nobjs(h) : 1, 1);

	for (size_t j = 0; j < al->n; j++) {
		int64_t i = pm_heap_find(h, al->v[j]);
		if (i < 0) {
			pm_warn("no object at 0x%llx", (unsigned long long)al->v[j]);
			*missing = 1;
			continue;
		}
		if (seen[i]++)
			continue;
		v[k++] = (size_t)i;
	}
	free(seen);
	*n = k;
	return v;
}

int
main(int argc, char **argv)
{
	static const char *const cols[] = { "ADDR", "TYPE", "SIZE", "LEN", "REPR" };
	static const char *const cols_nolen[] = { "ADDR", "TYPE", "SIZE", "REPR" };
	enum pm_out_format format = PM_OUT_TSV;
	struct pm_select_opts so = { .max_size = UINT64_MAX };
	const char **types = NULL, *since = NULL, *hexaddr = NULL;
	uint64_t hexlen = 0;
	int header = 0, quiet = 0, missing = 0, use_stdin, c;
	unsigned long long largest = 0;
	struct pm_repr_opts ro;
	struct pm_addrlist al = { 0 };
	struct pm_progress prog;
	struct pm_newsince ns = { 0 };
	struct pm_select sel;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;
	struct pm_out out;
	struct pm_buf b = PM_BUF_INIT;
	/* --traceback: the allocation traceback as a last field. */
	static const char *const cols_tb[] = { "ADDR", "TYPE", "SIZE", "LEN",
		"REPR", "TRACEBACK" };
	static const char *const cols_nolen_tb[] = { "ADDR", "TYPE", "SIZE",
		"REPR", "TRACEBACK" };
	struct pm_tm tm;
	int want_tb = 0;

	pm_repr_opts_init(&ro);
	if (pm_strs_redact_env())
		ro.flags |= PM_REPR_REDACT;
	while ((c = getopt_long(argc, argv, "aHhn:qt:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			ro.flags |= PM_REPR_ATTRS;
			break;
		case 'H':
			header = 1;
			break;
		case 'h':
			usage(stdout, PM_EXIT_OK);
			break;
		case 'n':
			hexlen = (uint64_t)pm_parse_num(optarg, 1,
			    (long long)PM_HEXDUMP_MAX, "-n");
			break;
		case 'q':
			quiet = 1;
			break;
		case 't':
			types = pm_xreallocarray(types, so.ntypes + 1, sizeof(*types));
			types[so.ntypes++] = optarg;
			break;
		case OPT_CSV:
			format = PM_OUT_CSV;
			break;
		case OPT_HEXDUMP:
			hexaddr = optarg;
			break;
		case OPT_DEPTH:
			ro.depth = (int)pm_parse_num(optarg, 0, PM_REPR_MAX_DEPTH,
			    "--depth");
			break;
		case OPT_JSON:
			format = PM_OUT_JSON;
			break;
		case OPT_LARGEST:
			largest = (unsigned long long)pm_parse_num(optarg, 1,
			    INT64_MAX, "--largest");
			break;
		case OPT_MAX_SIZE:
			so.max_size = (uint64_t)pm_parse_num(optarg, 0, INT64_MAX,
			    "--max-size");
			break;
		case OPT_MIN_LEN:
			so.min_len = (uint64_t)pm_parse_num(optarg, 0, INT64_MAX,
			    "--min-len");
			so.has_min_len = 1;
			break;
		case OPT_MIN_SIZE:
			so.min_size = (uint64_t)pm_parse_num(optarg, 0, INT64_MAX,
			    "--min-size");
			break;
		case OPT_MODULE:
			so.module = optarg;
			break;
		case OPT_NEW_SINCE:
			since = optarg;
			break;
		case OPT_REDACT:
			ro.flags |= PM_REPR_REDACT;
			break;
		case OPT_SUBCLASSES:
			so.subclasses = 1;
			break;
		case OPT_TRACEBACK:
			want_tb = 1;
			break;
		case OPT_VERSION:
			printf("pm-objects %s\n", PM_VERSION);
			pm_close_stdout();
			return PM_EXIT_OK;
		case OPT_WIDTH:
			ro.width = (size_t)pm_parse_num(optarg, 0, 1 << 30, "--width");
			if (ro.width > 0 && ro.width < 8)
				ro.width = 8;
			break;
		default:
			usage(stderr, PM_EXIT_INPUT);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(stderr, PM_EXIT_INPUT);
	if (so.subclasses && so.ntypes == 0) {
		pm_warn("--subclasses needs -t type");
		usage(stderr, PM_EXIT_INPUT);
	}
	so.types = types;
	if (hexaddr) {
		if (so.ntypes || so.module || so.min_size ||
		    so.max_size != UINT64_MAX || so.has_min_len || largest ||
		    since || (ro.flags & PM_REPR_ATTRS)) {
			pm_warn("--hexdump takes no filters");
			usage(stderr, PM_EXIT_INPUT);
		}
		if (ro.flags & PM_REPR_REDACT)
			pm_die(PM_EXIT_INPUT, "--hexdump prints raw memory: "
			    "not with --redact or PM_REDACT");
		free(types);
		pm_repr_opts_release(&ro);
		return hexdump(argc ? argv[0] : NULL, hexaddr, hexlen, format,
		    header, quiet);
	}
	if (hexlen) {
		pm_warn("-n needs --hexdump");
		usage(stderr, PM_EXIT_INPUT);
	}

	if (since && strcmp(since, "-") == 0 &&
	    (argc == 0 || strcmp(argv[0], "-") == 0)) {
		pm_warn("--new-since - and the snapshot cannot both be "
		    "standard input");
		usage(stderr, PM_EXIT_INPUT);
	}

	/* Addresses come from stdin only when the snapshot is an operand. */
	use_stdin = argc == 1 && strcmp(argv[0], "-") != 0 &&
	    !(since && strcmp(since, "-") == 0) && pm_addrlist_stdin_wanted();
	if (use_stdin && pm_addrlist_read(&al, stdin, "<stdin>", &err) < 0)
		pm_die_err(&err);

	pm_progress_init(&prog, quiet);
	if (since) {
		/* Only OLD's (address, type) pairs outlive its reading. */
		heap = pm_load_heap(&snap, since, &prog);
		if (pm_newsince_init(&ns, heap, &err) < 0) {
			pm_progress_end(&prog);
			pm_die_err(&err);
		}
		pm_heap_close(heap);
		pm_snap_close(&snap);
	}
	heap = pm_load_heap(&snap, argc ? argv[0] : NULL, &prog);
	pm_progress_end(&prog);
	if (since) {
		int swapped;
		if (pm_newsince_check(&ns, &snap, since, argc &&
		    strcmp(argv[0], "-") != 0 ? argv[0] : "<stdin>", &swapped,
		    &err) < 0 || pm_newsince_bind(&ns, heap, &err) < 0)
			pm_die_err(&err);
		if (swapped)
			pm_warn("'%s' was taken after '%s'", since,
			    argc ? argv[0] : "<stdin>");
	}
	if (pm_select_init(&sel, heap, &so, &err) < 0)
		pm_die_err(&err);
	if (want_tb && pm_tm_open(&tm, heap, &err) < 0)
		pm_die_err(&err);

	const struct pm_obj *objs = pm_heap_objs(heap);
	size_t n = 0, *idx;
	if (use_stdin) {
		idx = from_addrs(heap, &al, &n, &missing);
	} else {
		n = pm_heap_nobjs(heap);
		idx = pm_xcalloc(n ? n : 1, sizeof(*idx));
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		qsort_r(idx, n, sizeof(*idx), cmp_addr, (void *)objs);
	}
	size_t k = 0;
	for (size_t j = 0; j < n; j++)
		if (pm_select_match(&sel, idx[j]) &&
		    (!since || pm_newsince_is_new(&ns, idx[j])))
			idx[k++] = idx[j];
	n = k;
	if (largest) {
		qsort_r(idx, n, sizeof(*idx), cmp_size, (void *)objs);
		if (n > largest)
			n = (size_t)largest;
	}

	pm_out_init(&out, stdout, format, header, format == PM_OUT_JSON ?
	    cols : cols_nolen, format == PM_OUT_JSON ? 5 : 4);
	for (size_t j = 0; j < n; j++) {
		size_t i = idx[j];
		uint64_t len;
		int has_len = pm_repr_len(heap, i, &len) == 0;
		pm_buf_reset(&b);
		if (pm_repr(heap, i, &ro, &b) < 0)
			pm_die(PM_EXIT_INPUT, "out of memory");
		if (format == PM_OUT_JSON) {
			/* JSON: "len" only for objects that have one. */
			out.cols = has_len ? cols : cols_nolen;
			out.ncols = has_len ? 5 : 4;
		}
		if (want_tb) {
			int wl = format == PM_OUT_JSON && has_len;
			out.cols = wl ? cols_tb : cols_nolen_tb;
			out.ncols = wl ? 6 : 5;
		}
		pm_out_addr(&out, objs[i].addr);
		pm_out_str(&out, pm_heap_type_of(heap, i)->name);
		pm_out_u64(&out, objs[i].size);
		if (format == PM_OUT_JSON && has_len)
			pm_out_u64(&out, len);
		pm_out_strn(&out, b.data ? b.data : "", b.len);
		if (want_tb) {
			const struct pm_tm_trace *t = pm_tm_object(&tm, i);
			pm_buf_reset(&b);
			if (t == NULL || pm_tm_traceback_text(&tm, t->traceback,
			    &b) < 0)
				pm_buf_puts(&b, "-");
			if (b.oom)
				pm_die(PM_EXIT_INPUT, "out of memory");
			pm_out_strn(&out, pm_buf_str(&b), b.len);
		}
		pm_out_end(&out);
	}

	free(idx);
	free(types);
	pm_buf_release(&b);
	pm_repr_opts_release(&ro);
	pm_addrlist_release(&al);
	pm_select_release(&sel);
	pm_newsince_release(&ns);
	if (want_tb)
		pm_tm_close(&tm);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return missing ? PM_EXIT_INPUT : PM_EXIT_OK;
}

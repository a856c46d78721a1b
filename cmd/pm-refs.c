/*
 * pm-refs - why is this object still here: its referrers, referents,
 * paths from the roots, retained sizes and leak suspects.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrlist.h"
#include "buf.h"
#include "byref.h"
#include "edgename.h"
#include "graph.h"
#include "heap.h"
#include "load.h"
#include "out.h"
#include "path.h"
#include "pm.h"
#include "refdot.h"
#include "repr.h"
#include "retain.h"
#include "select.h"
#include "snapshot.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-refs [-Hq] [--csv | --json] [--referents | --path | --retained]\n"
    "               [--all-paths n] [-a addr ...] [snapshot]\n"
    "       pm-refs --top n [-Hq] [--csv | --json] [snapshot]\n"
    "       pm-refs --suspects [-q] [--top n] [snapshot]\n"
    "       pm-refs --dot [-q] [-d depth] [-a addr ...] [snapshot]\n"
    "       pm-refs --by-referrer [-Hq] [--csv | --json] [-t type ...]\n"
    "               [-a addr ...] [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

/* A usage error with its reason above the synopsis, as signify does. */
static void
usage_why(const char *why)
{
	pm_warn("%s", why);
	usage(stderr, PM_EXIT_INPUT);
}

enum {
	OPT_ALL_PATHS = 256,
	OPT_BY_REFERRER,
	OPT_CSV,
	OPT_DOT,
	OPT_JSON,
	OPT_PATH,
	OPT_REFERENTS,
	OPT_RETAINED,
	OPT_SUSPECTS,
	OPT_TOP,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "addr", required_argument, NULL, 'a' },
	{ "all-paths", required_argument, NULL, OPT_ALL_PATHS },
	{ "by-referrer", no_argument, NULL, OPT_BY_REFERRER },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "depth", required_argument, NULL, 'd' },
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "path", no_argument, NULL, OPT_PATH },
	{ "quiet", no_argument, NULL, 'q' },
	{ "referents", no_argument, NULL, OPT_REFERENTS },
	{ "retained", no_argument, NULL, OPT_RETAINED },
	{ "suspects", no_argument, NULL, OPT_SUSPECTS },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "type", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

enum mode { REFERRERS, REFERENTS, PATH, RETAINED, TOP, SUSPECTS, DOT,
	BYREF };

static const char *const mode_opt[] = { "", "--referents", "--path",
	"--retained", "--top", "--suspects", "--dot", "--by-referrer" };

static void
progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	pm_progress_show(arg, "%s: %llu of %llu", phase,
	    (unsigned long long)done, (unsigned long long)total);
}

static void
out_buf(struct pm_out *out, const struct pm_buf *b)
{
	if (b->oom)
		pm_die(PM_EXIT_INPUT, "out of memory");
	pm_out_strn(out, b->data ? b->data : "", b->len);
}

static void
print_refs(struct pm_out *out, const struct pm_graph *g, uint32_t v,
    int referents, struct pm_buf *b)
{
	const struct pm_heap *h = g->h;
	const struct pm_obj *objs = pm_heap_objs(h);
	struct pm_graph_refiter it;
	struct pm_edge e;
	uint32_t src, eid;

	if (referents) {
		for (uint64_t k = g->off[v]; k < g->off[v + 1]; k++) {
			uint32_t t = PM_GRAPH_NODE(g->dst[k]);
			pm_buf_reset(b);
			if (pm_graph_edge(g, v, k, &e) == 0)
				pm_edgename(h, v, &e, b);
			pm_out_addr(out, objs[v].addr);
			pm_out_addr(out, objs[t].addr);
			pm_out_str(out, pm_heap_type_of(h, t)->name);
			out_buf(out, b);
			pm_out_end(out);
		}
		return;
	}
	const struct pm_graph_root *gr = pm_graph_root_of(g, v);
	if (gr != NULL && gr->root < 0) {
		pm_out_addr(out, objs[v].addr);
		pm_out_str(out, "-");
		pm_out_str(out, "(root)");
		pm_out_str(out, gr->tier == PM_TIER_INTERP ? "<interpreter>" :
		    "<no root reaches it>");
		pm_out_end(out);
	}
	size_t first, nr = pm_graph_heap_roots_of(g, v, &first);
	for (size_t i = 0; i < nr; i++) {
		int ns;
		pm_buf_reset(b);
		pm_edgename_root(h, &pm_heap_roots(h)[g->hrootidx[first + i]], b,
		    &ns);
		pm_out_addr(out, objs[v].addr);
		pm_out_str(out, "-");
		pm_out_str(out, "(root)");
		out_buf(out, b);
		pm_out_end(out);
	}
	pm_graph_referrers(g, v, &it);
	while (pm_graph_referrers_next(g, &it, &src, &eid)) {
		pm_buf_reset(b);
		if (pm_graph_edge(g, src, eid, &e) == 0)
			pm_edgename(h, src, &e, b);
		pm_out_addr(out, objs[v].addr);
		pm_out_addr(out, objs[src].addr);
		pm_out_str(out, pm_heap_type_of(h, src)->name);
		out_buf(out, b);
		pm_out_end(out);
	}
}

struct pathprint {
	struct pm_out *out;
	const struct pm_graph *g;
	uint64_t addr;
	struct pm_buf *b;
};

static int
print_path(void *arg, const struct pm_path *path, const char *text,
    size_t len)
{
	struct pathprint *pp = arg;

	(void)path;
	pm_out_addr(pp->out, pp->addr);
	pm_out_strn(pp->out, text, len);
	pm_out_end(pp->out);
	return 0;
}

static void
print_retained(struct pm_out *out, const struct pm_retain *r, uint32_t v,
    struct pm_repr_opts *ro, struct pm_buf *b)
{
	const struct pm_heap *h = r->g->h;
	const struct pm_obj *o = &pm_heap_objs(h)[v];

	pm_buf_reset(b);
	pm_repr(h, v, ro, b);
	pm_out_addr(out, o->addr);
	pm_out_str(out, pm_heap_type_of(h, v)->name);
	pm_out_u64(out, o->size);
	pm_out_u64(out, r->ret[v]);
	pm_out_u64(out, r->cnt[v]);
	out_buf(out, b);
	pm_out_end(out);
}

#define CENSUS_ROWS 5
#define REPORT_PATH_MAX 40	/* references shown of a path in the report */

static void
report_path(const struct pm_paths *p, uint32_t v, struct pm_path *path,
    struct pm_buf *b)
{
	pm_buf_reset(b);
	if (pm_paths_shortest(p, v, path) == 0)
		pm_path_render(p->g, path, REPORT_PATH_MAX, b);
	if (b->oom)
		pm_die(PM_EXIT_INPUT, "out of memory");
	pm_out_escape_tsv(stdout, b->data ? b->data : "", b->len);
}

/* The suspects report: for humans, in the spirit of MAT's. */
static void
print_suspects(struct pm_retain *r, const struct pm_paths *p, size_t k,
    struct pm_buf *b)
{
	const struct pm_graph *g = r->g;
	const struct pm_heap *h = g->h;
	const struct pm_type *types = pm_heap_types(h);
	const struct pm_obj *objs = pm_heap_objs(h);
	uint64_t total = r->ret[g->n];
	uint32_t *sus = pm_xcalloc(k ? k : 1, sizeof(*sus));
	struct pm_path path = { 0, NULL, 0, 0 };
	struct pm_census_row *rows;
	size_t nrows;
	struct pm_err err;
	long ns;

	printf("%zu objects, %" PRIu64 " bytes; %zu kept by the interpreter "
	    "(immortal, small ints); %zu objects, %" PRIu64 " bytes, reached "
	    "from no root\n", g->n, total, g->ninterp, g->nunreachable,
	    g->unreachable_bytes);
	if ((ns = pm_retain_suspects(r, k, sus, &err)) < 0)
		pm_die_err(&err);
	for (long i = 0; i < ns; i++) {
		uint32_t v = sus[i];
		double pct = total ? 100.0 * (double)r->ret[v] / (double)total : 0;
		int64_t acc = pm_retain_accumulation(r, v, &err);
		if (acc < 0)
			pm_die_err(&err);
		printf("\n%ld. 0x%" PRIx64 " %s retains %" PRIu64 " bytes "
		    "(%.1f%%) in %" PRIu32 " objects\n   ", i + 1, objs[v].addr,
		    pm_heap_type_of(h, v)->name, r->ret[v], pct, r->cnt[v]);
		report_path(p, v, &path, b);
		putchar('\n');
		if ((uint32_t)acc != v) {
			printf("   accumulated in 0x%" PRIx64 " %s, %" PRIu64
			    " bytes: ", objs[acc].addr,
			    pm_heap_type_of(h, (size_t)acc)->name, r->ret[acc]);
			report_path(p, (uint32_t)acc, &path, b);
			putchar('\n');
		}
		if (pm_retain_census(r, v, &rows, &nrows, &err) < 0)
			pm_die_err(&err);
		for (size_t j = 0; j < nrows && j < CENSUS_ROWS; j++)
			printf("   %" PRIu64 " × %s: %" PRIu64 " bytes\n",
			    rows[j].count, types[rows[j].type].name, rows[j].bytes);
		if (nrows > CENSUS_ROWS)
			printf("   … %zu more types\n", nrows - CENSUS_ROWS);
		free(rows);
	}
	pm_path_release(&path);
	free(sus);
}

int
main(int argc, char **argv)
{
	static const char *const cols_refs[] = { "ADDR", "REFERRER",
		"REFERRER_TYPE", "EDGE" };
	static const char *const cols_referents[] = { "ADDR", "REFERENT",
		"REFERENT_TYPE", "EDGE" };
	static const char *const cols_path[] = { "ADDR", "PATH" };
	static const char *const cols_ret[] = { "ADDR", "TYPE", "SIZE",
		"RETAINED", "COUNT_RETAINED", "REPR" };
	static const char *const cols_byref[] = { "COUNT", "BYTES", "TYPE",
		"REFERRER", "OWNER" };
	struct pm_select_opts so = { .max_size = UINT64_MAX };
	const char **types = NULL;
	enum pm_out_format format = PM_OUT_TSV;
	enum mode mode = REFERRERS;
	int header = 0, quiet = 0, c, status = PM_EXIT_OK, record_opts = 0;
	unsigned modes = 0;
	long long top = -1, npaths = 1, depth = -1;
	struct pm_addrlist al = { 0 };
	struct pm_repr_opts ro;
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_graph g;
	struct pm_err err;
	struct pm_out out;
	struct pm_buf b = PM_BUF_INIT;
	const char *file;

	pm_repr_opts_init(&ro);

	while ((c = getopt_long(argc, argv, "a:d:Hhqt:", longopts, NULL)) != -1) {
		uint64_t a;
		switch (c) {
		case 'a':
			if (pm_addrlist_parse(optarg, strlen(optarg), &a) < 0)
				pm_die(PM_EXIT_INPUT, "invalid address '%s'", optarg);
			if (al.n == al.cap) {
				al.cap = al.cap ? 2 * al.cap : 16;
				al.v = pm_xreallocarray(al.v, al.cap, sizeof(*al.v));
			}
			al.v[al.n++] = a;
			break;
		case 'd':
			depth = pm_parse_num(optarg, 0, 1000, "--depth");
			break;
		case 'H':
			header = 1;
			record_opts = 1;
			break;
		case 'h':
			usage(stdout, PM_EXIT_OK);
			break;
		case 'q':
			quiet = 1;
			break;
		case 't':
			types = pm_xreallocarray(types, so.ntypes + 1,
			    sizeof(*types));
			types[so.ntypes++] = optarg;
			break;
		case OPT_ALL_PATHS:
			npaths = pm_parse_num(optarg, 1, 1000000, "--all-paths");
			modes |= 1 << PATH;
			break;
		case OPT_CSV:
		case OPT_JSON:
			format = c == OPT_CSV ? PM_OUT_CSV : PM_OUT_JSON;
			record_opts = 1;
			break;
		case OPT_BY_REFERRER:
			modes |= 1 << BYREF;
			break;
		case OPT_DOT:
			modes |= 1 << DOT;
			break;
		case OPT_PATH:
			modes |= 1 << PATH;
			break;
		case OPT_REFERENTS:
			modes |= 1 << REFERENTS;
			break;
		case OPT_RETAINED:
			modes |= 1 << RETAINED;
			break;
		case OPT_SUSPECTS:
			modes |= 1 << SUSPECTS;
			break;
		case OPT_TOP:
			top = pm_parse_num(optarg, 0, 100000000, "--top");
			break;
		case OPT_VERSION:
			printf("pm-refs %s\n", PM_VERSION);
			pm_close_stdout();
			return PM_EXIT_OK;
		default:
			usage(stderr, PM_EXIT_INPUT);
		}
	}
	/* --top n alone is a mode; with --suspects it says how many. */
	if (top >= 0 && !(modes & 1 << SUSPECTS))
		modes |= 1 << TOP;
	for (int m = REFERENTS; m <= BYREF; m++) {
		if (!(modes & 1 << m))
			continue;
		if (mode != REFERRERS) {
			char why[128];
			snprintf(why, sizeof(why), "%s and %s cannot be combined",
			    mode_opt[mode], mode_opt[m]);
			usage_why(why);
		}
		mode = (enum mode)m;
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(stderr, PM_EXIT_INPUT);
	file = argc ? argv[0] : NULL;
	if ((mode == TOP || mode == SUSPECTS) && al.n)
		usage_why(mode == TOP ? "--top takes no addresses" :
		    "--suspects takes no addresses");
	if ((mode == SUSPECTS || mode == DOT) && record_opts)
		usage_why(mode == DOT ? "--dot writes Graphviz, not records" :
		    "--suspects writes a report, not records");
	if (depth >= 0 && mode != DOT)
		usage_why("-d goes with --dot");
	if (npaths != 1 && mode != PATH)
		usage_why("--all-paths goes with --path");
	if (so.ntypes && mode != BYREF)
		usage_why("-t goes with --by-referrer");
	if (so.ntypes && al.n)
		usage_why("-t and -a cannot be combined");
	so.types = types;
	if (mode == SUSPECTS && top < 0)
		top = 3;

	/* Addresses from stdin (when the snapshot is an operand) or -a. */
	if (mode != TOP && mode != SUSPECTS && al.n == 0 && so.ntypes == 0) {
		if (file == NULL || strcmp(file, "-") == 0 ||
		    !pm_addrlist_stdin_wanted())
			usage_why(mode == BYREF ? "no objects: give -t type, "
			    "-a addr, or pipe addresses in with a snapshot "
			    "operand" : "no addresses: give -a addr, or pipe "
			    "addresses in with a snapshot operand");
		if (pm_addrlist_read(&al, stdin, "<stdin>", &err) < 0)
			pm_die_err(&err);
	}

	pm_progress_init(&prog, quiet);
	heap = pm_load_heap(&snap, file, &prog);
	if (pm_graph_build(&g, heap, progress, &prog, &err) < 0) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}

	/* The objects asked about, each once; an address of none is an error. */
	uint32_t *idx = pm_xcalloc(al.n ? al.n : 1, sizeof(*idx));
	unsigned char *seen = pm_xcalloc(g.n / 8 + 1, 1);
	size_t nidx = 0;
	for (size_t i = 0; i < al.n; i++) {
		int64_t v = pm_heap_find(heap, al.v[i]);
		if (v < 0) {
			pm_progress_end(&prog);
			pm_warn("no object at 0x%" PRIx64, al.v[i]);
			status = PM_EXIT_INPUT;
			continue;
		}
		if (seen[v >> 3] & (1u << (v & 7)))
			continue;
		seen[v >> 3] |= (unsigned char)(1u << (v & 7));
		idx[nidx++] = (uint32_t)v;
	}
	free(seen);
	if (so.ntypes) {
		struct pm_select sel;
		if (pm_select_init(&sel, heap, &so, &err) < 0) {
			pm_progress_end(&prog);
			pm_die_err(&err);
		}
		idx = pm_xreallocarray(idx, g.n ? g.n : 1, sizeof(*idx));
		for (size_t i = 0; i < g.n; i++)
			if (pm_select_match(&sel, i))
				idx[nidx++] = (uint32_t)i;
		pm_select_release(&sel);
	}

	struct pm_paths paths = { 0 };
	struct pm_retain ret = { 0 };
	if ((mode == PATH || mode == SUSPECTS || mode == DOT) &&
	    pm_paths_init(&paths, &g, &err) < 0) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}
	if ((mode == RETAINED || mode == TOP || mode == SUSPECTS) &&
	    pm_retain_compute(&ret, &g, progress, &prog, &err) < 0) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}
	pm_progress_end(&prog);

	switch (mode) {
	case REFERRERS:
	case REFERENTS:
		pm_out_init(&out, stdout, format, header,
		    mode == REFERRERS ? cols_refs : cols_referents, 4);
		for (size_t i = 0; i < nidx; i++)
			print_refs(&out, &g, idx[i], mode == REFERENTS, &b);
		break;
	case PATH: {
		struct pm_path path = { 0, NULL, 0, 0 };
		struct pathprint pp = { &out, &g, 0, &b };
		pm_out_init(&out, stdout, format, header, cols_path, 2);
		for (size_t i = 0; i < nidx; i++) {
			pp.addr = pm_heap_objs(heap)[idx[i]].addr;
			if (npaths > 1) {
				if (pm_paths_k(&paths, idx[i], (size_t)npaths,
				    print_path, &pp, &err) < 0)
					pm_die_err(&err);
			} else if (pm_paths_shortest(&paths, idx[i], &path) == 0) {
				pm_buf_reset(&b);
				pm_path_render(&g, &path, 0, &b);
				if (b.oom)
					pm_die(PM_EXIT_INPUT, "out of memory");
				print_path(&pp, &path, pm_buf_str(&b), b.len);
			}
		}
		pm_path_release(&path);
		break;
	}
	case RETAINED:
	case TOP:
		pm_out_init(&out, stdout, format, header, cols_ret, 6);
		if (mode == TOP) {
			nidx = pm_retain_top(&ret, (size_t)top, idx =
			    pm_xreallocarray(idx, top ? (size_t)top : 1, sizeof(*idx)));
		}
		for (size_t i = 0; i < nidx; i++)
			print_retained(&out, &ret, idx[i], &ro, &b);
		break;
	case SUSPECTS:
		print_suspects(&ret, &paths, (size_t)top, &b);
		break;
	case BYREF: {
		struct pm_byref br;
		pm_out_init(&out, stdout, format, header, cols_byref, 5);
		if (pm_byref_build(&br, &g, idx, nidx, &err) < 0)
			pm_die_err(&err);
		for (size_t i = 0; i < br.nrows; i++) {
			const struct pm_byref_row *r = &br.rows[i];
			pm_out_u64(&out, r->count);
			pm_out_u64(&out, r->bytes);
			pm_out_str(&out, r->type_name);
			pm_out_str(&out, r->referrer);
			pm_out_str(&out, r->owner);
			pm_out_end(&out);
		}
		pm_byref_release(&br);
		break;
	}
	case DOT: {
		struct pm_refdot_opts o;
		pm_refdot_opts_init(&o);
		if (depth >= 0)
			o.depth = (unsigned)depth;
		if (pm_refdot_write(stdout, &g, &paths, idx, nidx, &o, &err) < 0)
			pm_die_err(&err);
		break;
	}
	}

	pm_buf_release(&b);
	free(idx);
	free(types);
	pm_addrlist_release(&al);
	pm_repr_opts_release(&ro);
	pm_retain_release(&ret);
	pm_paths_release(&paths);
	pm_graph_release(&g);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return status;
}

/*
 * pm-strings - the str and bytes objects of a snapshot: a length census,
 * repeated values, the longest ones, and where a text occurs.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "heap.h"
#include "load.h"
#include "out.h"
#include "pm.h"
#include "repr.h"
#include "snapshot.h"
#include "strs.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-strings [-Hq] [--csv | --json] [snapshot]\n"
    "       pm-strings --dups [-Hq] [--csv | --json] [--redact] [--min-count n]\n"
    "                  [--width n] [snapshot]\n"
    "       pm-strings [-Hq] [--csv | --json] [--redact] [--largest n]\n"
    "                  [--min-len n] [--width n] [snapshot]\n"
    "       pm-strings [-Hq] [--csv | --json] [--raw] [--redact] [--width n]\n"
    "                  --find text | --find-hex hex [snapshot]\n";

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

enum {
	OPT_CSV = 256,
	OPT_DUPS,
	OPT_FIND,
	OPT_FIND_HEX,
	OPT_JSON,
	OPT_LARGEST,
	OPT_MIN_COUNT,
	OPT_MIN_LEN,
	OPT_RAW,
	OPT_REDACT,
	OPT_VERSION,
	OPT_WIDTH,
};

static const struct option longopts[] = {
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "dups", no_argument, NULL, OPT_DUPS },
	{ "find", required_argument, NULL, OPT_FIND },
	{ "find-hex", required_argument, NULL, OPT_FIND_HEX },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "largest", required_argument, NULL, OPT_LARGEST },
	{ "min-count", required_argument, NULL, OPT_MIN_COUNT },
	{ "min-len", required_argument, NULL, OPT_MIN_LEN },
	{ "quiet", no_argument, NULL, 'q' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "redact", no_argument, NULL, OPT_REDACT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ NULL, 0, NULL, 0 },
};

/*
 * Decode --find-hex into v (strlen(s) / 2 + 1 bytes): pairs of hex
 * digits, spaces and colons allowed. Returns the length, 0 when invalid.
 */
static size_t
parse_hex(const char *s, unsigned char *v)
{
	size_t k = 0;
	int hi = -1;

	for (const char *p = s; *p; p++) {
		int d;
		if (*p == ' ' || *p == ':')
			continue;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return 0;
		if (hi < 0) {
			hi = d;
		} else {
			v[k++] = (unsigned char)(hi << 4 | d);
			hi = -1;
		}
	}
	return hi >= 0 ? 0 : k;
}

struct raw_out {
	struct pm_out *out;
	const struct pm_heap *h;
};

static int
raw_hit(void *arg, const struct pm_strs_rawhit *hit)
{
	struct raw_out *r = arg;

	pm_out_addr(r->out, hit->addr);
	pm_out_str(r->out, hit->encoding);
	if (hit->owner >= 0) {
		pm_out_addr(r->out, pm_heap_objs(r->h)[hit->owner].addr);
		pm_out_str(r->out, pm_heap_type_of(r->h, (size_t)hit->owner)->name);
	} else {
		pm_out_str(r->out, "-");
		pm_out_str(r->out, "-");
	}
	pm_out_end(r->out);
	return 0;
}

/* The VALUE field: the object's repr (or its redacted form). */
static void
out_value(struct pm_out *out, const struct pm_heap *h, size_t i,
    struct pm_repr_opts *ro, struct pm_buf *b)
{
	pm_buf_reset(b);
	if (pm_repr(h, i, ro, b) < 0)
		pm_die(PM_EXIT_INPUT, "out of memory");
	pm_out_strn(out, pm_buf_str(b), b->len);
}

int
main(int argc, char **argv)
{
	static const char *const hist_cols[] = { "COUNT", "BYTES", "MINLEN",
		"MAXLEN", "KIND" };
	static const char *const dup_cols[] = { "COUNT", "WASTED_BYTES",
		"SIZE_EACH", "VALUE" };
	static const char *const list_cols[] = { "ADDR", "KIND", "LEN", "SIZE",
		"VALUE" };
	static const char *const find_cols[] = { "ADDR", "KIND", "LEN", "OFFSET",
		"VALUE" };
	static const char *const raw_cols[] = { "ADDR", "ENCODING", "OWNER",
		"OWNER_TYPE" };
	enum pm_out_format format = PM_OUT_TSV;
	int header = 0, quiet = 0, dups = 0, raw = 0, list = 0, c;
	unsigned long long min_count = 2, min_len = 0, largest = 0;
	const char *find = NULL, *find_hex = NULL;
	struct pm_repr_opts ro;
	struct pm_progress prog;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;
	struct pm_out out;
	struct pm_buf b = PM_BUF_INIT;

	pm_repr_opts_init(&ro);
	ro.depth = 0;
	if (pm_strs_redact_env())
		ro.flags |= PM_REPR_REDACT;
	while ((c = getopt_long(argc, argv, "Hhq", longopts, NULL)) != -1) {
		switch (c) {
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
		case OPT_DUPS:
			dups = 1;
			break;
		case OPT_FIND:
			find = optarg;
			break;
		case OPT_FIND_HEX:
			find_hex = optarg;
			break;
		case OPT_JSON:
			format = PM_OUT_JSON;
			break;
		case OPT_LARGEST:
			largest = (unsigned long long)pm_parse_num(optarg, 1,
			    INT64_MAX, "--largest");
			list = 1;
			break;
		case OPT_MIN_COUNT:
			min_count = (unsigned long long)pm_parse_num(optarg, 2,
			    INT64_MAX, "--min-count");
			break;
		case OPT_MIN_LEN:
			min_len = (unsigned long long)pm_parse_num(optarg, 0,
			    INT64_MAX, "--min-len");
			list = 1;
			break;
		case OPT_RAW:
			raw = 1;
			break;
		case OPT_REDACT:
			ro.flags |= PM_REPR_REDACT;
			break;
		case OPT_VERSION:
			printf("pm-strings %s\n", PM_VERSION);
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
	if (find && find_hex) {
		pm_warn("--find and --find-hex cannot be combined");
		usage(stderr, PM_EXIT_INPUT);
	}
	if (dups + list + (find || find_hex) > 1) {
		pm_warn("choose one of --dups, --min-len/--largest, --find/--find-hex");
		usage(stderr, PM_EXIT_INPUT);
	}
	if (raw && !find && !find_hex) {
		pm_warn("--raw needs --find or --find-hex");
		usage(stderr, PM_EXIT_INPUT);
	}
	if (find && *find == '\0')
		pm_die(PM_EXIT_INPUT, "invalid --find value ''");
	/* The pattern, checked before the snapshot is read. */
	unsigned char *pat = NULL;
	size_t patlen = 0;
	if (find) {
		patlen = strlen(find);
		pat = (unsigned char *)pm_xstrdup(find);
	} else if (find_hex) {
		pat = pm_xmalloc(strlen(find_hex) / 2 + 1);
		if ((patlen = parse_hex(find_hex, pat)) == 0) {
			free(pat);
			pm_die(PM_EXIT_INPUT, "invalid --find-hex value '%s'",
			    find_hex);
		}
	}

	pm_progress_init(&prog, quiet);
	heap = pm_load_heap(&snap, argc ? argv[0] : NULL, &prog);
	pm_progress_end(&prog);
	const struct pm_obj *objs = pm_heap_objs(heap);

	if (pat) {
		if (raw) {
			struct raw_out r = { &out, heap };
			pm_out_init(&out, stdout, format, header, raw_cols, 4);
			if (pm_strs_find_raw(heap, pat, patlen, find != NULL, raw_hit,
			    &r, &err) < 0)
				pm_die_err(&err);
		} else {
			struct pm_strs_hit *hits;
			size_t nhits;
			struct pm_strobj so;
			if (pm_strs_find(heap, pat, patlen, find != NULL, &hits,
			    &nhits, &err) < 0)
				pm_die_err(&err);
			pm_out_init(&out, stdout, format, header, find_cols, 5);
			for (size_t j = 0; j < nhits; j++) {
				pm_strs_get(heap, hits[j].idx, &so);
				pm_out_addr(&out, objs[hits[j].idx].addr);
				pm_out_str(&out, pm_strs_kind_name(so.kind));
				pm_out_u64(&out, so.len);
				pm_out_u64(&out, hits[j].offset);
				out_value(&out, heap, hits[j].idx, &ro, &b);
				pm_out_end(&out);
			}
			free(hits);
		}
		free(pat);
	} else if (dups) {
		struct pm_strs_dup *d;
		size_t nd;
		if (pm_strs_dups(heap, min_count, &d, &nd, &err) < 0)
			pm_die_err(&err);
		pm_out_init(&out, stdout, format, header, dup_cols, 4);
		for (size_t j = 0; j < nd; j++) {
			pm_out_u64(&out, d[j].count);
			pm_out_u64(&out, d[j].wasted);
			pm_out_u64(&out, d[j].size_each);
			out_value(&out, heap, d[j].idx, &ro, &b);
			pm_out_end(&out);
		}
		free(d);
	} else if (list) {
		size_t *idx, n;
		struct pm_strobj so;
		if (pm_strs_list(heap, min_len, (size_t)largest, &idx, &n, &err) < 0)
			pm_die_err(&err);
		pm_out_init(&out, stdout, format, header, list_cols, 5);
		for (size_t j = 0; j < n; j++) {
			pm_strs_get(heap, idx[j], &so);
			pm_out_addr(&out, objs[idx[j]].addr);
			pm_out_str(&out, pm_strs_kind_name(so.kind));
			pm_out_u64(&out, so.len);
			pm_out_u64(&out, objs[idx[j]].size);
			out_value(&out, heap, idx[j], &ro, &b);
			pm_out_end(&out);
		}
		free(idx);
	} else {
		struct pm_strs_bucket *rows;
		size_t nrows;
		uint64_t tc = 0, tb = 0, tmin = UINT64_MAX, tmax = 0;
		if (pm_strs_histogram(heap, &rows, &nrows, &err) < 0)
			pm_die_err(&err);
		pm_out_init(&out, stdout, format, header, hist_cols, 5);
		for (size_t j = 0; j < nrows; j++) {
			pm_out_u64(&out, rows[j].count);
			pm_out_u64(&out, rows[j].bytes);
			pm_out_u64(&out, rows[j].minlen);
			pm_out_u64(&out, rows[j].maxlen);
			pm_out_str(&out, pm_strs_kind_name(rows[j].kind));
			pm_out_end(&out);
			tc += rows[j].count;
			tb += rows[j].bytes;
			tmin = rows[j].minlen < tmin ? rows[j].minlen : tmin;
			tmax = rows[j].maxlen > tmax ? rows[j].maxlen : tmax;
		}
		pm_out_u64(&out, tc);
		pm_out_u64(&out, tb);
		pm_out_u64(&out, tc ? tmin : 0);
		pm_out_u64(&out, tmax);
		pm_out_str(&out, "(total)");
		pm_out_end(&out);
		free(rows);
	}

	pm_buf_release(&b);
	pm_repr_opts_release(&ro);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

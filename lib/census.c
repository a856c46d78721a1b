/* census.c - objects by type, read back, compared, gated. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "census.h"
#include "heap.h"
#include "pm.h"
#include "records.h"
#include "snapshot.h"

void
pm_census_release(struct pm_census *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		free(c->rows[i].type);
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

int
pm_census_build(struct pm_census *c, const struct pm_heap *h, unsigned flags,
    struct pm_err *e)
{
	size_t ntypes = pm_heap_ntypes(h), nobjs = pm_heap_nobjs(h), n = 0;
	const struct pm_type *types = pm_heap_types(h);
	const struct pm_obj *objs = pm_heap_objs(h);
	struct pm_census_row *acc;

	memset(c, 0, sizeof(*c));
	/* Slots 0..ntypes-1 by type; ntypes.. for "dict of T" by owner. */
	if ((acc = calloc(2 * ntypes + 1, sizeof(*acc))) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (size_t i = 0; i < nobjs; i++) {
		const struct pm_obj *o = &objs[i];
		struct pm_census_row *r = &acc[o->type];
		if ((flags & PM_CENSUS_DICT_OWNERS) && o->owner &&
		    o->owner <= ntypes && types[o->type].kind == PM_KIND_DICT &&
		    !types[o->type].heap)
			r = &acc[ntypes + o->owner - 1];
		r->count++;
		r->bytes += o->size;
		if (o->size > r->max)
			r->max = o->size;
		c->count++;
		c->bytes += o->size;
		if (o->size > c->max)
			c->max = o->size;
	}
	for (size_t i = 0; i < 2 * ntypes; i++) {
		if (acc[i].count == 0)
			continue;
		if (i < ntypes) {
			acc[i].type = strdup(types[i].name);
		} else if (asprintf(&acc[i].type, "dict of %s",
		    types[i - ntypes].name) < 0) {
			acc[i].type = NULL;
		}
		if (acc[i].type == NULL) {
			for (size_t j = 0; j < n; j++)
				free(acc[j].type);
			free(acc);
			memset(c, 0, sizeof(*c));
			return pm_error(e, PM_EXIT_INPUT, "out of memory");
		}
		acc[n++] = acc[i];
	}
	c->rows = acc;
	c->nrows = n;
	return 0;
}

static int
cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a == b ? 0 : a > b ? -1 : 1;
}

static int
cmp_rows(const void *a, const void *b, void *arg)
{
	const struct pm_census_row *x = a, *y = b;
	int c;

	if (*(const int *)arg) {
		if ((c = cmp_u64_desc(x->count, y->count)) != 0 ||
		    (c = cmp_u64_desc(x->bytes, y->bytes)) != 0)
			return c;
	} else {
		if ((c = cmp_u64_desc(x->bytes, y->bytes)) != 0 ||
		    (c = cmp_u64_desc(x->count, y->count)) != 0)
			return c;
	}
	return strcmp(x->type, y->type);
}

void
pm_census_sort(struct pm_census *c, int by_count)
{
	if (c->nrows > 1)
		qsort_r(c->rows, c->nrows, sizeof(*c->rows), cmp_rows, &by_count);
}

int
pm_census_has(const struct pm_census *c, const char *type)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (strcmp(c->rows[i].type, type) == 0)
			return 1;
	return 0;
}

/* Reading pm-types output back. */
struct loader {
	struct pm_census *c;
	size_t cap;
	size_t nrec;		/* records seen */
	int have_total;
};

/* A count or byte figure: decimal digits only, at most INT64_MAX. */
static int
parse_figure(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (x > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

static int
on_census_record(void *arg, const struct pm_record *rec, struct pm_err *e)
{
	static const char *const header[] = { "COUNT", "BYTES", "TYPE" };
	struct loader *ld = arg;
	struct pm_census *c = ld->c;
	uint64_t count, bytes;

	if (ld->nrec++ == 0 && rec->nfields == 3 &&
	    strcmp(rec->fields[0], header[0]) == 0 &&
	    strcmp(rec->fields[1], header[1]) == 0 &&
	    strcmp(rec->fields[2], header[2]) == 0)
		return 0;
	if (rec->nfields != 3) {
		const char *hint = "";
		if (rec->nfields == 1 && strchr(rec->fields[0], ','))
			hint = " (a CSV file? use --csv)";
		else if (rec->nfields == 1 && strchr(rec->fields[0], '\t'))
			hint = " (a TSV file? leave out --csv)";
		else if (rec->nfields == 5)
			hint = " (a --baseline output? give a census)";
		return pm_error(e, PM_EXIT_INPUT, "expected 3 fields, found %zu%s",
		    rec->nfields, hint);
	}
	if (parse_figure(rec->fields[0], &count) < 0)
		return pm_error(e, PM_EXIT_INPUT, "invalid count '%s'",
		    rec->fields[0]);
	if (parse_figure(rec->fields[1], &bytes) < 0)
		return pm_error(e, PM_EXIT_INPUT, "invalid bytes '%s'",
		    rec->fields[1]);
	if (memchr(rec->fields[2], '\0', rec->lens[2]) != NULL)
		return pm_error(e, PM_EXIT_INPUT, "NUL in a type name");
	if (strcmp(rec->fields[2], PM_CENSUS_TOTAL) == 0) {
		c->count = count;
		c->bytes = bytes;
		ld->have_total = 1;
		return 0;
	}
	if (c->nrows == ld->cap) {
		size_t cap = ld->cap ? 2 * ld->cap : 256;
		struct pm_census_row *rows = reallocarray(c->rows, cap,
		    sizeof(*rows));
		if (rows == NULL)
			return pm_error(e, PM_EXIT_INPUT, "out of memory");
		c->rows = rows;
		ld->cap = cap;
	}
	struct pm_census_row *r = &c->rows[c->nrows];
	if ((r->type = strdup(rec->fields[2])) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	r->count = count;
	r->bytes = bytes;
	c->nrows++;
	return 0;
}

/* Census of the snapshot on fd (at its start when seekable). */
static int
load_snapshot(struct pm_census *c, int fd, const char *name, unsigned flags,
    pm_heap_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	struct pm_snap snap;
	struct pm_heap *heap;
	int rc;

	if (pm_snap_fdopen(&snap, fd, name, e) < 0)
		return -1;
	heap = pm_heap_open(&snap, progress, progress_arg, e);
	if (heap == NULL) {
		pm_snap_close(&snap);
		return -1;
	}
	rc = pm_census_build(c, heap, flags, e);
	pm_heap_close(heap);
	pm_snap_close(&snap);
	return rc;
}

/*
 * A snapshot arriving on a pipe has lost its first bytes to sniffing:
 * put them and the rest into an anonymous file the reader can start over.
 */
static int
spool(int fd, const char *name, const unsigned char *head, size_t len,
    struct pm_err *e)
{
	char buf[65536];
	int mfd = memfd_create("pm-baseline", MFD_CLOEXEC);
	const unsigned char *p = head;
	ssize_t n = (ssize_t)len;

	if (mfd < 0)
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s': "
		    "cannot make a buffer", name);
	for (;;) {
		while (n > 0) {
			ssize_t w = write(mfd, p, (size_t)n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s': "
				    "cannot buffer it", name);
				close(mfd);
				return -1;
			}
			p += w;
			n -= w;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0) {
			pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
			close(mfd);
			return -1;
		}
		if (n == 0)
			break;
		p = (const unsigned char *)buf;
	}
	if (lseek(mfd, 0, SEEK_SET) != 0) {
		pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
		close(mfd);
		return -1;
	}
	return mfd;
}

static int
load_fd(struct pm_census *c, int fd, const char *name, unsigned flags,
    pm_heap_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char head[8];
	size_t have = 0;
	struct stat st;
	off_t start;

	if (fstat(fd, &st) < 0)
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
	if (S_ISDIR(st.st_mode))
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': is a directory",
		    name);
	start = lseek(fd, 0, SEEK_CUR);
	while (have < sizeof(head)) {
		ssize_t n = read(fd, head + have, sizeof(head) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'",
			    name);
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == 0)
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': empty file",
		    name);

	/* A snapshot: zstd, or the uncompressed form (0x89 "PMSNAP\n"). */
	if ((have >= 4 && memcmp(head, zstd_magic, 4) == 0) || head[0] == 0x89) {
		int sfd, rc;
		if (start >= 0 && lseek(fd, start, SEEK_SET) == start)
			return load_snapshot(c, fd, name, flags, progress,
			    progress_arg, e);
		if ((sfd = spool(fd, name, head, have, e)) < 0)
			return -1;
		rc = load_snapshot(c, sfd, name, flags, progress, progress_arg, e);
		close(sfd);
		return rc;
	}

	struct loader ld = { .c = c };
	if (pm_records_read_fd(fd, name, flags & PM_CENSUS_CSV ?
	    PM_RECORDS_CSV : 0, head, have, on_census_record, &ld, e) < 0)
		return -1;
	if (c->nrows == 0 && !ld.have_total)
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': no census "
		    "records", name);
	if (!ld.have_total) {
		for (size_t i = 0; i < c->nrows; i++) {
			c->count += c->rows[i].count;
			c->bytes += c->rows[i].bytes;
		}
	}
	return 0;
}

int
pm_census_load(struct pm_census *c, const char *path, unsigned flags,
    pm_heap_progress_fn progress, void *progress_arg, struct pm_err *e)
{
	int fd, rc;

	memset(c, 0, sizeof(*c));
	if (path == NULL || strcmp(path, "-") == 0) {
		rc = load_fd(c, STDIN_FILENO, "<stdin>", flags, progress,
		    progress_arg, e);
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot open '%s'", path);
	} else {
		rc = load_fd(c, fd, path, flags, progress, progress_arg, e);
		close(fd);
	}
	if (rc < 0)
		pm_census_release(c);
	return rc;
}

/* Comparing. */

/* Rows of one census by name, each name once with its rows added up. */
struct byname {
	const char *type;
	uint64_t count, bytes;
};

static int
cmp_byname(const void *a, const void *b)
{
	return strcmp(((const struct byname *)a)->type,
	    ((const struct byname *)b)->type);
}

static struct byname *
group(const struct pm_census *c, size_t *n)
{
	struct byname *g = calloc(c->nrows + 1, sizeof(*g));
	size_t k = 0;

	if (g == NULL)
		return NULL;
	for (size_t i = 0; i < c->nrows; i++) {
		g[i].type = c->rows[i].type;
		g[i].count = c->rows[i].count;
		g[i].bytes = c->rows[i].bytes;
	}
	qsort(g, c->nrows, sizeof(*g), cmp_byname);
	for (size_t i = 0; i < c->nrows; i++) {
		if (k > 0 && strcmp(g[k - 1].type, g[i].type) == 0) {
			g[k - 1].count += g[i].count;
			g[k - 1].bytes += g[i].bytes;
		} else {
			g[k++] = g[i];
		}
	}
	*n = k;
	return g;
}

static int
cmp_i64_desc(int64_t a, int64_t b)
{
	return a == b ? 0 : a > b ? -1 : 1;
}

static int
cmp_delta(const void *a, const void *b, void *arg)
{
	const struct pm_census_delta *x = a, *y = b;
	int c;

	if (*(const int *)arg) {
		if ((c = cmp_i64_desc(x->dcount, y->dcount)) != 0 ||
		    (c = cmp_i64_desc(x->dbytes, y->dbytes)) != 0)
			return c;
	} else {
		if ((c = cmp_i64_desc(x->dbytes, y->dbytes)) != 0 ||
		    (c = cmp_i64_desc(x->dcount, y->dcount)) != 0)
			return c;
	}
	return strcmp(x->type, y->type);
}

int
pm_census_diff(const struct pm_census *then, const struct pm_census *now,
    int by_count, struct pm_census_delta **rows, size_t *nrows,
    struct pm_census_delta *total, struct pm_err *e)
{
	struct byname *a = NULL, *b = NULL;
	struct pm_census_delta *d = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0, n = 0;

	*rows = NULL;
	*nrows = 0;
	if ((a = group(then, &na)) == NULL || (b = group(now, &nb)) == NULL ||
	    (d = calloc(na + nb + 1, sizeof(*d))) == NULL) {
		free(a);
		free(b);
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	}
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].type, b[j].type);
		struct pm_census_delta *x = &d[n];
		/* The slot may hold an unchanged row that was not kept. */
		memset(x, 0, sizeof(*x));
		if (c < 0) {		/* gone */
			x->type = a[i].type;
			x->dcount = -(int64_t)a[i].count;
			x->dbytes = -(int64_t)a[i].bytes;
			i++;
		} else if (c > 0) {	/* new */
			x->type = b[j].type;
			x->count = b[j].count;
			x->bytes = b[j].bytes;
			x->dcount = (int64_t)b[j].count;
			x->dbytes = (int64_t)b[j].bytes;
			j++;
		} else {
			x->type = b[j].type;
			x->count = b[j].count;
			x->bytes = b[j].bytes;
			x->dcount = (int64_t)b[j].count - (int64_t)a[i].count;
			x->dbytes = (int64_t)b[j].bytes - (int64_t)a[i].bytes;
			i++;
			j++;
		}
		if (x->dcount != 0 || x->dbytes != 0)
			n++;
	}
	free(a);
	free(b);
	if (n > 1)
		qsort_r(d, n, sizeof(*d), cmp_delta, &by_count);
	memset(total, 0, sizeof(*total));
	total->type = PM_CENSUS_TOTAL;
	total->count = now->count;
	total->bytes = now->bytes;
	total->dcount = (int64_t)now->count - (int64_t)then->count;
	total->dbytes = (int64_t)now->bytes - (int64_t)then->bytes;
	*rows = d;
	*nrows = n;
	return 0;
}

unsigned
pm_census_gate_check(const struct pm_census_gate *g,
    const struct pm_census_delta *d)
{
	unsigned trips = 0;

	if (g->types != NULL) {
		size_t i;
		for (i = 0; i < g->ntypes; i++)
			if (strcmp(g->types[i], d->type) == 0)
				break;
		if (i == g->ntypes)
			return 0;
	}
	if (g->max_count >= 0 && d->dcount > g->max_count)
		trips |= PM_CENSUS_TRIP_COUNT;
	if (g->max_bytes >= 0 && d->dbytes > g->max_bytes)
		trips |= PM_CENSUS_TRIP_BYTES;
	return trips;
}

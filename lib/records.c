/* records.c - TSV and CSV record input, parsed with libcsv. */
#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"
#include "records.h"

struct pm_records {
	struct csv_parser csv;
	int csv_ok;		/* csv was initialised */
	char *name;
	unsigned flags;
	pm_records_fn fn;
	void *arg;
	size_t line;		/* the line being fed, from 1 */
	size_t start;		/* the line the current record began on, or 0 */

	/* The current record: its fields one after another in buf. */
	char *buf;
	size_t buflen, bufcap;
	size_t *offs, *lens;
	char **ptrs;
	size_t nfields, fieldcap;

	int failed;		/* err holds the error; nothing more is read */
	struct pm_err err;	/* libcsv's callbacks cannot return one */
};

/* Record an error at line: "cannot read 'NAME': line N: reason". */
static void
fail_at(struct pm_records *r, size_t line, int status, const char *reason)
{
	char why[sizeof(r->err.msg)];

	/* reason may be r->err.msg itself. */
	snprintf(why, sizeof(why), "%s", reason);
	pm_error(&r->err, status, "cannot read '%s': line %zu: %s", r->name,
	    line, why);
	r->failed = 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Undo out.h's TSV escapes of src[0..n) into dst (which has room for n
 * bytes): the new length, or -1 with reason filled.
 */
static long long
unescape_tsv(char *dst, const char *src, size_t n, char *reason,
    size_t reasonsz)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] != '\\') {
			dst[j++] = src[i];
			continue;
		}
		if (++i == n) {
			snprintf(reason, reasonsz, "backslash at the end of a field");
			return -1;
		}
		switch (src[i]) {
		case 't': dst[j++] = '\t'; break;
		case 'n': dst[j++] = '\n'; break;
		case 'r': dst[j++] = '\r'; break;
		case '\\': dst[j++] = '\\'; break;
		case 'x':
			if (i + 2 < n && hexval((unsigned char)src[i + 1]) >= 0 &&
			    hexval((unsigned char)src[i + 2]) >= 0) {
				dst[j++] = (char)(hexval((unsigned char)src[i + 1]) * 16 +
				    hexval((unsigned char)src[i + 2]));
				i += 2;
				break;
			}
			snprintf(reason, reasonsz, "invalid escape '\\x' (needs two "
			    "hex digits)");
			return -1;
		default:
			snprintf(reason, reasonsz, "invalid escape '\\%c'", src[i]);
			return -1;
		}
	}
	return (long long)j;
}

/* Make room for one more field and len more bytes of the record. */
static int
grow(struct pm_records *r, size_t len)
{
	if (r->nfields == r->fieldcap) {
		size_t cap = r->fieldcap ? 2 * r->fieldcap : 8;
		size_t *offs = realloc(r->offs, cap * sizeof(*offs));
		if (offs == NULL)
			return -1;
		r->offs = offs;
		size_t *lens = realloc(r->lens, cap * sizeof(*lens));
		if (lens == NULL)
			return -1;
		r->lens = lens;
		char **ptrs = realloc(r->ptrs, cap * sizeof(*ptrs));
		if (ptrs == NULL)
			return -1;
		r->ptrs = ptrs;
		r->fieldcap = cap;
	}
	if (len > SIZE_MAX / 2 - r->buflen)
		return -1;
	if (r->buflen + len + 1 > r->bufcap) {
		size_t cap = r->bufcap ? r->bufcap : 256;
		while (cap < r->buflen + len + 1)
			cap *= 2;
		char *buf = realloc(r->buf, cap);
		if (buf == NULL)
			return -1;
		r->buf = buf;
		r->bufcap = cap;
	}
	return 0;
}

/* libcsv: a field ended. */
static void
on_field(void *s, size_t len, void *data)
{
	struct pm_records *r = data;
	char reason[128];
	long long n;

	if (r->failed)
		return;
	if (grow(r, len) < 0) {
		fail_at(r, r->line, PM_EXIT_INPUT, "out of memory");
		return;
	}
	char *dst = r->buf + r->buflen;
	if (len == 0) {
		n = 0;
	} else if (r->flags & PM_RECORDS_CSV) {
		memcpy(dst, s, len);
		n = (long long)len;
	} else if ((n = unescape_tsv(dst, s, len, reason, sizeof(reason))) < 0) {
		fail_at(r, r->line, PM_EXIT_INPUT, reason);
		return;
	}
	dst[n] = '\0';
	r->offs[r->nfields] = r->buflen;
	r->lens[r->nfields] = (size_t)n;
	r->nfields++;
	r->buflen += (size_t)n + 1;
}

/* libcsv: a record ended. */
static void
on_record(int c, void *data)
{
	struct pm_records *r = data;
	struct pm_record rec;
	struct pm_err e;

	if (r->failed)
		return;
	rec.line = r->start ? r->start : r->line;
	rec.nfields = r->nfields;
	for (size_t i = 0; i < r->nfields; i++)
		r->ptrs[i] = r->buf + r->offs[i];
	rec.fields = r->ptrs;
	rec.lens = r->lens;
	if (r->nfields > 0) {
		memset(&e, 0, sizeof(e));
		if (r->fn(r->arg, &rec, &e) < 0)
			fail_at(r, rec.line, e.status ? e.status : PM_EXIT_INPUT,
			    e.msg);
	}
	r->nfields = 0;
	r->buflen = 0;
	r->start = 0;
}

/* libcsv's blanks are data here: nothing is trimmed. */
static int
never_space(unsigned char c)
{
	return 0;
}

struct pm_records *
pm_records_new(const char *name, unsigned flags, pm_records_fn fn, void *arg,
    struct pm_err *e)
{
	struct pm_records *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		return NULL;
	}
	if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		free(r->name);
		free(r);
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		return NULL;
	}
	r->csv_ok = 1;
	r->flags = flags;
	r->fn = fn;
	r->arg = arg;
	r->line = 1;
	csv_set_space_func(&r->csv, never_space);
	/*
	 * libcsv grows a field's buffer by blk_size bytes at a time (128 by
	 * default), copying it each time: quadratic on a long line. 64 KiB
	 * steps keep a 4 MiB line to 64 copies.
	 */
	csv_set_blk_size(&r->csv, 64 * 1024);
	if (flags & PM_RECORDS_CSV) {
		csv_set_delim(&r->csv, CSV_COMMA);
		csv_set_quote(&r->csv, CSV_QUOTE);
	} else {
		/* TSV has no quoting; NUL, the quote here, is refused first. */
		csv_set_delim(&r->csv, CSV_TAB);
		csv_set_quote(&r->csv, '\0');
	}
	return r;
}

static int
failed(struct pm_records *r, struct pm_err *e)
{
	if (e != NULL)
		*e = r->err;
	return -1;
}

int
pm_records_feed(struct pm_records *r, const void *buf, size_t len,
    struct pm_err *e)
{
	const unsigned char *p = buf, *end = p + len;

	if (r->failed)
		return failed(r, e);
	/* One line at a time, so the line number is known in callbacks. */
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p), done;

		if (memchr(p, '\0', n) != NULL) {
			fail_at(r, r->line, PM_EXIT_INPUT, "NUL byte");
			return failed(r, e);
		}
		if (r->start == 0) {
			for (size_t i = 0; i < n; i++) {
				if (p[i] != '\n' && p[i] != '\r') {
					r->start = r->line;
					break;
				}
			}
		}
		done = csv_parse(&r->csv, p, n, on_field, on_record, r);
		if (r->failed)
			return failed(r, e);
		if (done != n) {
			int err = csv_error(&r->csv);
			fail_at(r, r->line, PM_EXIT_INPUT, err == CSV_EPARSE ?
			    "bad quoting: a quote inside an unquoted field, or "
			    "text after a closing quote" : "out of memory");
			return failed(r, e);
		}
		if (nl != NULL)
			r->line++;
		p += n;
	}
	return 0;
}

int
pm_records_finish(struct pm_records *r, struct pm_err *e)
{
	if (r->failed)
		return failed(r, e);
	if (csv_fini(&r->csv, on_field, on_record, r) != 0 && !r->failed) {
		fail_at(r, r->start ? r->start : r->line, PM_EXIT_INPUT,
		    "quoted field not closed at the end of the input");
	}
	if (r->failed)
		return failed(r, e);
	return 0;
}

void
pm_records_free(struct pm_records *r)
{
	if (r == NULL)
		return;
	if (r->csv_ok)
		csv_free(&r->csv);
	free(r->name);
	free(r->buf);
	free(r->offs);
	free(r->lens);
	free(r->ptrs);
	free(r);
}

int
pm_records_read_fd(int fd, const char *name, unsigned flags, const void *head,
    size_t len, pm_records_fn fn, void *arg, struct pm_err *e)
{
	struct pm_records *r;
	char buf[65536];
	int rc = -1;

	if ((r = pm_records_new(name, flags, fn, arg, e)) == NULL)
		return -1;
	if (head != NULL && len > 0 && pm_records_feed(r, head, len, e) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
			goto out;
		}
		if (n == 0)
			break;
		if (pm_records_feed(r, buf, (size_t)n, e) < 0)
			goto out;
	}
	rc = pm_records_finish(r, e);
out:
	pm_records_free(r);
	return rc;
}

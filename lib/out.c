/* out.c - TSV, CSV and JSON records. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

void
pm_out_init(struct pm_out *o, FILE *fp, enum pm_out_format format, int header,
    const char *const *cols, size_t ncols)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->format = format;
	o->header = header;
	o->cols = cols;
	o->ncols = ncols;
}

void
pm_out_escape_tsv(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\t': fputs("\\t", fp); break;
		case '\n': fputs("\\n", fp); break;
		case '\r': fputs("\\r", fp); break;
		case '\\': fputs("\\\\", fp); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\x%02x", c);
			else
				putc(c, fp);
		}
	}
}

static void
csv_field(FILE *fp, const char *s, size_t n)
{
	int quote = n == 0 ? 0 : (memchr(s, ',', n) || memchr(s, '"', n) ||
	    memchr(s, '\n', n) || memchr(s, '\r', n) || s[0] == ' ' ||
	    s[n - 1] == ' ');

	if (!quote) {
		fwrite(s, 1, n, fp);
		return;
	}
	putc('"', fp);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putc('"', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}

static void
json_string(FILE *fp, const char *s, size_t n)
{
	putc('"', fp);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

static void
header(struct pm_out *o)
{
	o->header_done = 1;
	if (!o->header || o->format == PM_OUT_JSON)
		return;
	for (size_t i = 0; i < o->ncols; i++) {
		if (i)
			putc(o->format == PM_OUT_CSV ? ',' : '\t', o->fp);
		fputs(o->cols[i], o->fp);
	}
	putc('\n', o->fp);
}

/* Start a field: separator, JSON key. */
static void
begin(struct pm_out *o)
{
	if (!o->header_done)
		header(o);
	if (o->format == PM_OUT_JSON) {
		fputs(o->col ? ", \"" : "{\"", o->fp);
		const char *c = o->col < o->ncols ? o->cols[o->col] : "field";
		for (; *c; c++)
			putc(tolower((unsigned char)*c), o->fp);
		fputs("\": ", o->fp);
	} else if (o->col) {
		putc(o->format == PM_OUT_CSV ? ',' : '\t', o->fp);
	}
	o->col++;
}

void
pm_out_strn(struct pm_out *o, const char *s, size_t n)
{
	begin(o);
	switch (o->format) {
	case PM_OUT_TSV:
		pm_out_escape_tsv(o->fp, s, n);
		break;
	case PM_OUT_CSV:
		csv_field(o->fp, s, n);
		break;
	case PM_OUT_JSON:
		json_string(o->fp, s, n);
		break;
	}
}

void
pm_out_str(struct pm_out *o, const char *s)
{
	pm_out_strn(o, s, strlen(s));
}

void
pm_out_u64(struct pm_out *o, uint64_t v)
{
	begin(o);
	fprintf(o->fp, "%" PRIu64, v);
}

void
pm_out_i64(struct pm_out *o, int64_t v)
{
	begin(o);
	fprintf(o->fp, "%" PRId64, v);
}

void
pm_out_delta(struct pm_out *o, int64_t v)
{
	begin(o);
	if (o->format == PM_OUT_JSON)
		fprintf(o->fp, "%" PRId64, v);
	else
		fprintf(o->fp, v > 0 ? "+%" PRId64 : "%" PRId64, v);
}

void
pm_out_pct(struct pm_out *o, uint64_t part, uint64_t whole)
{
	uint64_t tenths = 0;

	if (whole != 0 && part <= UINT64_MAX / 1000 - whole / 2)
		tenths = (part * 1000 + whole / 2) / whole;
	else if (whole != 0)
		tenths = (uint64_t)((long double)part * 1000 / whole + 0.5L);
	begin(o);
	fprintf(o->fp, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
}

void
pm_out_addr(struct pm_out *o, uint64_t a)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, a);
	pm_out_strn(o, buf, strlen(buf));
}

void
pm_out_end(struct pm_out *o)
{
	if (!o->header_done)
		header(o);
	if (o->format == PM_OUT_JSON)
		fputs(o->col ? "}" : "{}", o->fp);
	putc('\n', o->fp);
	o->col = 0;
}

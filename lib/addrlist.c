/* addrlist.c - addresses from the first field of record input. */
#include <sys/stat.h>

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrlist.h"
#include "pm.h"

#define MAX_SHOWN 40		/* bytes of a bad field quoted in a message */

struct rd {
	struct pm_addrlist *al;
	int field;		/* fields seen in this record */
	unsigned long line;
	int first_record;
	int err;		/* 1 bad field, 2 out of memory */
	char bad[MAX_SHOWN + 4];
};

int
pm_addrlist_parse(const char *s, size_t n, uint64_t *addr)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (n - 2 > 16)
			return -1;
		for (i = 2; i < n; i++) {
			int c = (unsigned char)s[i], d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return -1;
			v = v << 4 | (uint64_t)d;
		}
		*addr = v;
		return 0;
	}
	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*addr = v;
	return 0;
}

static int
is_header(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
			return 0;
	return 1;
}

static void
field_cb(void *data, size_t n, void *arg)
{
	struct rd *r = arg;
	const char *s = data;
	uint64_t a;

	if (r->err || r->field++ > 0)
		return;
	if (r->first_record && is_header(s, n))
		return;
	if (pm_addrlist_parse(s, n, &a) < 0) {
		size_t k = n < MAX_SHOWN ? n : MAX_SHOWN;
		memcpy(r->bad, s, k);
		strcpy(r->bad + k, n > MAX_SHOWN ? "..." : "");
		r->err = 1;
		return;
	}
	struct pm_addrlist *al = r->al;
	if (al->n == al->cap) {
		size_t nc = al->cap ? al->cap * 2 : 256;
		uint64_t *nv = realloc(al->v, nc * sizeof(*nv));
		if (nv == NULL) {
			r->err = 2;
			return;
		}
		al->v = nv;
		al->cap = nc;
	}
	al->v[al->n++] = a;
}

static void
record_cb(int c, void *arg)
{
	struct rd *r = arg;

	(void)c;
	r->field = 0;
	r->first_record = 0;
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

int
pm_addrlist_read(struct pm_addrlist *al, FILE *fp, const char *name,
    struct pm_err *e)
{
	struct csv_parser p;
	struct rd r = { al, 0, 0, 1, 0, "" };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	csv_set_delim(&p, '\t');
	csv_set_quote(&p, '\0');
	csv_set_space_func(&p, no_space);
	errno = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		r.line++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			ret = pm_error(e, PM_EXIT_INPUT, "line %lu of '%s': "
			    "binary data, not records", r.line, name);
			goto out;
		}
		if (csv_parse(&p, line, (size_t)n, field_cb, record_cb, &r) !=
		    (size_t)n) {
			ret = pm_error(e, PM_EXIT_INPUT, "line %lu of '%s': %s",
			    r.line, name, csv_strerror(csv_error(&p)));
			goto out;
		}
		if (line[n - 1] != '\n' &&
		    csv_fini(&p, field_cb, record_cb, &r) != 0) {
			ret = pm_error(e, PM_EXIT_INPUT, "line %lu of '%s': %s",
			    r.line, name, csv_strerror(csv_error(&p)));
			goto out;
		}
		if (r.err == 1) {
			ret = pm_error(e, PM_EXIT_INPUT, "line %lu of '%s': "
			    "'%s' is not an address", r.line, name, r.bad);
			goto out;
		}
		if (r.err == 2) {
			ret = pm_error(e, PM_EXIT_INPUT, "out of memory");
			goto out;
		}
	}
	if (ferror(fp))
		ret = pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
out:
	free(line);
	csv_free(&p);
	return ret;
}

void
pm_addrlist_release(struct pm_addrlist *al)
{
	free(al->v);
	memset(al, 0, sizeof(*al));
}

int
pm_addrlist_stdin_wanted(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st) < 0)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode);
}

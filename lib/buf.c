/* buf.c - growable NUL-terminated byte buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
pm_buf_init(struct pm_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
pm_buf_release(struct pm_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
pm_buf_reset(struct pm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
pm_buf_truncate(struct pm_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Make room for n more bytes and the NUL; 0, or -1 (oom set). */
static int
grow(struct pm_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (b->oom)
		return -1;
	if (n > (size_t)-1 / 2 - b->len - 1) {
		b->oom = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if ((p = realloc(b->data, ncap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
pm_buf_add(struct pm_buf *b, const void *s, size_t n)
{
	if (grow(b, n) < 0)
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
pm_buf_puts(struct pm_buf *b, const char *s)
{
	pm_buf_add(b, s, strlen(s));
}

void
pm_buf_putc(struct pm_buf *b, int c)
{
	char ch = (char)c;

	pm_buf_add(b, &ch, 1);
}

void
pm_buf_printf(struct pm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		b->oom = 1;
		return;
	}
	b->len += (size_t)n;
}

void
pm_buf_utf8(struct pm_buf *b, unsigned long c)
{
	char o[4];
	size_t n = 0;

	if (c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		o[n++] = (char)c;
	} else if (c < 0x800) {
		o[n++] = (char)(0xc0 | c >> 6);
		o[n++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		o[n++] = (char)(0xe0 | c >> 12);
		o[n++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[n++] = (char)(0x80 | (c & 0x3f));
	} else {
		o[n++] = (char)(0xf0 | c >> 18);
		o[n++] = (char)(0x80 | (c >> 12 & 0x3f));
		o[n++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[n++] = (char)(0x80 | (c & 0x3f));
	}
	pm_buf_add(b, o, n);
}

const char *
pm_buf_str(const struct pm_buf *b)
{
	return b->data ? b->data : "";
}

size_t
pm_utf8_chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

size_t
pm_utf8_offset(const char *s, size_t n, size_t k)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && k-- == 0)
			return i;
	return n;
}

/*
 * buf.h - a growable byte buffer, always NUL-terminated, for text that lib
 * builds for commands (reprs, escaped values).
 *
 * A failed allocation does not lose what was written: the buffer keeps its
 * text, sets oom and ignores further appends, so a caller checks once at
 * the end instead of after every append.
 */
#ifndef PM_BUF_H
#define PM_BUF_H

#include <stddef.h>

struct pm_buf {
	char *data;		/* NUL-terminated; "" before the first append */
	size_t len;		/* bytes, without the NUL */
	size_t cap;
	int oom;		/* an allocation failed; appends are ignored */
};

#define PM_BUF_INIT { NULL, 0, 0, 0 }

void pm_buf_init(struct pm_buf *b);
/* Free the text; b may be used again after pm_buf_init. */
void pm_buf_release(struct pm_buf *b);
/* Empty the buffer, keeping its memory. */
void pm_buf_reset(struct pm_buf *b);
/* Drop everything after byte len (len <= b->len). */
void pm_buf_truncate(struct pm_buf *b, size_t len);

/* Append n bytes, a C string, one byte, or printf-formatted text. */
void pm_buf_add(struct pm_buf *b, const void *s, size_t n);
void pm_buf_puts(struct pm_buf *b, const char *s);
void pm_buf_putc(struct pm_buf *b, int c);
void pm_buf_printf(struct pm_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append code point c as UTF-8 (surrogates too; above 0x10ffff as U+FFFD). */
void pm_buf_utf8(struct pm_buf *b, unsigned long c);

/* The text, never NULL. */
const char *pm_buf_str(const struct pm_buf *b);

/* Number of UTF-8 characters in s[0..n): bytes that do not continue one. */
size_t pm_utf8_chars(const char *s, size_t n);
/* Byte offset of the first byte of character number k of s[0..n), or n. */
size_t pm_utf8_offset(const char *s, size_t n, size_t k);

#endif

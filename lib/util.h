/*
 * util.h - process-level helpers for commands: messages, checked
 * allocation, closing stdout. Only cmd/ (and tests) call pm_die: lib
 * returns errors in struct pm_err instead.
 */
#ifndef PM_UTIL_H
#define PM_UTIL_H

#include <stdio.h>
#include "pm.h"

/* The program name used as the message prefix ("pm-types"). */
const char *pm_getprogname(void);

/*
 * Print "prog: message\n" on stderr in one write, control characters
 * replaced by '?', and exit with status.
 */
void pm_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Like pm_die, appending ": strerror(errno)". */
void pm_die_errno(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Print a warning "prog: message" and go on. */
void pm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the message of e and exit with its status. */
void pm_die_err(const struct pm_err *e) __attribute__((noreturn));

/* Allocation that dies (exit 2) when memory runs out. */
void *pm_xmalloc(size_t n);
void *pm_xcalloc(size_t n, size_t size);
void *pm_xrealloc(void *p, size_t n);
void *pm_xreallocarray(void *p, size_t n, size_t size);
char *pm_xstrdup(const char *s);

/*
 * Parse a decimal number in [min, max]; dies with "invalid NAME value 'x'"
 * (exit 2) otherwise.
 */
long long pm_parse_num(const char *s, long long min, long long max,
    const char *name);

/*
 * Flush, check and close stdout at the end of main. A write error exits 2
 * with "write error on standard output: why"; EPIPE ends quietly.
 */
void pm_close_stdout(void);

/* True when stderr is a terminal and progress may be drawn. */
int pm_progress_wanted(void);


/*
 * Progress on stderr, zstd-style: only when stderr is a terminal, redrawn
 * with \r at most six times a second, blanked by pm_progress_end.
 */
struct pm_progress {
	int on;
	long long last_ms;
	int drawn;
};

void pm_progress_init(struct pm_progress *p, int force_off);
void pm_progress_show(struct pm_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pm_progress_end(struct pm_progress *p);
#endif


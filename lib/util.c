/* util.c - messages, checked allocation and stdout handling for commands. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"
#include "util.h"

/* glibc keeps the program name; lib keeps no mutable state of its own. */
const char *
pm_getprogname(void)
{
	return program_invocation_short_name;
}

static void
vmessage(const char *fmt, va_list ap, int errnum)
{
	char buf[2048];
	size_t n;
	int r;

	r = snprintf(buf, sizeof(buf), "%s: ", pm_getprogname());
	if (r < 0)
		return;
	n = (size_t)r;
	r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (r < 0)
		return;
	n += (size_t)r;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (errnum) {
		r = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x20 || c == 0x7f)
			buf[i] = '?';
	}
	if (n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fflush(stdout);
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void
pm_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
	exit(status);
}

void
pm_die_errno(int status, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	vmessage(fmt, ap, errnum);
	va_end(ap);
	exit(status);
}

void
pm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, 0);
	va_end(ap);
}

void
pm_die_err(const struct pm_err *e)
{
	pm_die(e->status ? e->status : PM_EXIT_INPUT, "%s", e->msg);
}

void *
pm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		pm_die(PM_EXIT_INPUT, "out of memory (%zu bytes)", n);
	return p;
}

void *
pm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		pm_die(PM_EXIT_INPUT, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
pm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		pm_die(PM_EXIT_INPUT, "out of memory (%zu bytes)", n);
	return q;
}

void *
pm_xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		pm_die(PM_EXIT_INPUT, "out of memory (%zu x %zu bytes)", n, size);
	return pm_xrealloc(p, n * size);
}

char *
pm_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = pm_xmalloc(n);

	memcpy(p, s, n);
	return p;
}

long long
pm_parse_num(const char *s, long long min, long long max, const char *name)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		pm_die(PM_EXIT_INPUT, "invalid %s value '%s'", name, s);
	return v;
}

void
pm_close_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int errnum = errno;

	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		errnum = errno;
	}
	if (!bad)
		return;
	if (errnum == EPIPE) {
		/* A closed pipe ends quietly, as if SIGPIPE had done it. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(PM_EXIT_OK);
	}
	errno = errnum ? errnum : EIO;
	pm_die_errno(PM_EXIT_INPUT, "write error on standard output");
}

int
pm_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pm_progress_init(struct pm_progress *p, int force_off)
{
	p->on = !force_off && pm_progress_wanted();
	p->last_ms = 0;
	p->drawn = 0;
}

void
pm_progress_show(struct pm_progress *p, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	long long t;
	int n;

	if (!p->on)
		return;
	t = now_ms();
	if (p->drawn && t - p->last_ms < 166)
		return;
	p->last_ms = t;
	n = snprintf(buf, sizeof(buf), "\r%s: ", pm_getprogname());
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%-60s", buf);
	fflush(stderr);
	p->drawn = 1;
}

void
pm_progress_end(struct pm_progress *p)
{
	if (p->on && p->drawn) {
		fprintf(stderr, "\r%60s\r", "");
		fflush(stderr);
	}
	p->drawn = 0;
}

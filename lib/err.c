/* err.c - filling struct pm_err. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pm.h"

static int
verror(struct pm_err *e, int status, int errnum, const char *fmt, va_list ap)
{
	size_t n;

	if (e == NULL)
		return -1;
	e->status = status;
	if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) < 0)
		e->msg[0] = '\0';
	if (errnum) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	}
	return -1;
}

int
pm_error(struct pm_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(e, status, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
pm_error_errno(struct pm_err *e, int status, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	verror(e, status, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

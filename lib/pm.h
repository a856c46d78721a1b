/*
 * pm.h - things every pmtools program and module shares: the version,
 * the exit statuses of design.md, and the error record lib fills in.
 */
#ifndef PM_H
#define PM_H

#include <stddef.h>
#include <stdint.h>

#define PM_VERSION "0.1.0"

/* Exit statuses, as design.md names them. */
enum pm_exit {
	PM_EXIT_OK = 0,		/* success */
	PM_EXIT_FINDING = 1,	/* a finding asked to fail (threshold, cycle) */
	PM_EXIT_INPUT = 2,	/* usage or bad input, write error */
	PM_EXIT_TARGET = 3,	/* the target cannot be read */
};

/*
 * Lib never prints and never exits: a failing call returns -1 and leaves
 * the message (lower case, no final period) and the exit status a command
 * should use in a struct pm_err.
 */
struct pm_err {
	int status;		/* enum pm_exit */
	char msg[512];
};

/* Fill e (when not NULL) and return -1. */
int pm_error(struct pm_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like pm_error, appending ": strerror(errno)". */
int pm_error_errno(struct pm_err *e, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

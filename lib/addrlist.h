/*
 * addrlist.h - object addresses read from record input: the first field
 * of each line, so that any program's output can be piped into a program
 * that takes addresses (pm-refs ... | pm-objects app.pmd).
 *
 * Lines are parsed with libcsv: tab-delimited, strict, with no quote
 * character (a TSV field may hold quotes, as a repr does) and no trimming.
 * A first field is 0x followed by hex digits, or decimal digits (Python's
 * id()). Empty lines are skipped, and so is a first line of column names
 * (-H output: upper-case letters and '_'). Anything else is an error that
 * names the line.
 */
#ifndef PM_ADDRLIST_H
#define PM_ADDRLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pm_err;

struct pm_addrlist {
	uint64_t *v;		/* in input order, duplicates kept */
	size_t n, cap;
};

/*
 * Append the addresses of fp (named name in messages, "<stdin>") to al,
 * which starts zeroed. Returns 0, or -1 with e filled (PM_EXIT_INPUT).
 */
int pm_addrlist_read(struct pm_addrlist *al, FILE *fp, const char *name,
    struct pm_err *e);

void pm_addrlist_release(struct pm_addrlist *al);

/*
 * Parse one address field: 0, or -1 when s is not 0x+hex or decimal
 * fitting 64 bits.
 */
int pm_addrlist_parse(const char *s, size_t n, uint64_t *addr);

/*
 * Whether a program given a snapshot operand should read addresses from
 * stdin: when it is a pipe, a socket or a regular file (not a terminal,
 * not /dev/null).
 */
int pm_addrlist_stdin_wanted(void);

#endif

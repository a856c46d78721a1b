/*
 * records.h - reading back the records pmtools programs write (out.h):
 * tab-separated lines with out.h's escapes, or RFC 4180 CSV.
 *
 * Parsing goes through libcsv in strict mode. In CSV a quote inside an
 * unquoted field, text after a closing quote, or a quoted field still
 * open at the end of the input is an error. TSV has no quoting: '"' is
 * an ordinary character, and the escapes \t \n \r \\ \xHH are undone (any
 * other backslash sequence is an error). In both, no blank is trimmed, a
 * NUL byte is an error, lines may end in LF or CRLF, and empty lines are
 * skipped.
 *
 * The reader is push-style: feed it bytes as they come (from a file, a
 * pipe, or a buffer already read to tell formats apart) and it calls back
 * once per record. Every error names the input and the line:
 *
 *     cannot read 'old.tsv': line 3: expected 3 fields, found 2
 *
 * Lines are counted from 1; a record is numbered by the line it starts on
 * (only a quoted CSV field can make a record span lines).
 */
#ifndef PM_RECORDS_H
#define PM_RECORDS_H

#include <stddef.h>

struct pm_err;
struct pm_records;

enum pm_records_flags {
	PM_RECORDS_CSV = 1 << 0,	/* comma-separated, quoted; else TSV */
};

/* One record as the callback sees it; valid only during the call. */
struct pm_record {
	size_t line;		/* the line it starts on, from 1 */
	size_t nfields;		/* at least 1 */
	char *const *fields;	/* each NUL-terminated, escapes undone */
	const size_t *lens;	/* their lengths in bytes */
};

/*
 * Called once per record. Return 0 to go on. To stop, fill e with
 * pm_error giving only the reason ("expected 3 fields, found 2") and
 * return -1: the reader puts "cannot read 'NAME': line N: " in front.
 */
typedef int (*pm_records_fn)(void *arg, const struct pm_record *rec,
    struct pm_err *e);

/*
 * A reader of the input called name (used in messages; "<stdin>" for
 * standard input) calling fn(arg, ...) for each record. flags are
 * enum pm_records_flags. Returns NULL with e filled when out of memory.
 */
struct pm_records *pm_records_new(const char *name, unsigned flags,
    pm_records_fn fn, void *arg, struct pm_err *e);

/*
 * Parse the next len bytes of the input; a record may be split across
 * calls anywhere. Returns 0, or -1 with e filled (status PM_EXIT_INPUT
 * unless fn chose another); after an error the reader only fails.
 */
int pm_records_feed(struct pm_records *r, const void *buf, size_t len,
    struct pm_err *e);

/*
 * End of input: deliver a last record that has no line end, check that
 * no quoted field is left open. Returns 0, or -1 with e filled.
 */
int pm_records_finish(struct pm_records *r, struct pm_err *e);

/* Free r (NULL is fine). */
void pm_records_free(struct pm_records *r);

/*
 * Read fd to its end through a reader: first the len bytes at head (bytes
 * already read from fd, say to sniff the format; NULL when none), then
 * the rest of fd. fd is not closed. Returns 0, or -1 with e filled (a
 * read error names the input and gives strerror).
 */
int pm_records_read_fd(int fd, const char *name, unsigned flags,
    const void *head, size_t len, pm_records_fn fn, void *arg,
    struct pm_err *e);

#endif

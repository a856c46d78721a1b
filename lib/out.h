/*
 * out.h - the record writer every analysis program prints through.
 *
 * A record is a line of fields. TSV (the default) escapes tab, newline,
 * carriage return and backslash as \t \n \r \\ and other control bytes as
 * \xHH, so one record is always one line; CSV follows RFC 4180; JSON
 * writes one object per line keyed by the lower-cased column names.
 * Numbers are written bare, addresses as 0x + lowercase hex.
 */
#ifndef PM_OUT_H
#define PM_OUT_H

#include <stdint.h>
#include <stdio.h>

enum pm_out_format {
	PM_OUT_TSV,
	PM_OUT_CSV,
	PM_OUT_JSON,
};

struct pm_out {
	FILE *fp;
	enum pm_out_format format;
	int header;			/* print the column names first */
	const char *const *cols;	/* column names, upper case */
	size_t ncols;
	size_t col;			/* fields written in this record */
	int header_done;
};

/* Set up o to write records with columns cols[0..ncols) to fp. */
void pm_out_init(struct pm_out *o, FILE *fp, enum pm_out_format format,
    int header, const char *const *cols, size_t ncols);

/* Append a text field (UTF-8; escaped as the format needs). */
void pm_out_str(struct pm_out *o, const char *s);
void pm_out_strn(struct pm_out *o, const char *s, size_t n);
/* Append a number field. */
void pm_out_u64(struct pm_out *o, uint64_t v);
void pm_out_i64(struct pm_out *o, int64_t v);
/* Append a signed number with an explicit sign (+12, -3, 0). */
void pm_out_delta(struct pm_out *o, int64_t v);
/*
 * Append part as a percentage of whole, a number with one decimal
 * rounded half up: (part * 1000 + whole / 2) / whole tenths ("12.5");
 * 0.0 when whole is 0.
 */
void pm_out_pct(struct pm_out *o, uint64_t part, uint64_t whole);
/* Append an address field (0x...). */
void pm_out_addr(struct pm_out *o, uint64_t a);
/* End the record. */
void pm_out_end(struct pm_out *o);

/* Escape s[0..n) for TSV into fp (also used for free text on stdout). */
void pm_out_escape_tsv(FILE *fp, const char *s, size_t n);

#endif

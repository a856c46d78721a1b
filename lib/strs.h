/*
 * strs.h - the str and bytes objects of a heap: their contents read in
 * place, a length census, duplicate values, searches by content or
 * through all captured memory, and the digest that stands in for a value
 * when contents must not be shown (--redact, PM_REDACT).
 *
 * Contents are never copied: struct pm_strobj points into the snapshot's
 * memory, which must stay open. Every object is read through the
 * bounds-checked snapshot accessors; an object whose characters are not
 * captured is skipped (str) or counted without contents.
 */
#ifndef PM_STRS_H
#define PM_STRS_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_heap;

/* How a value is stored: the str kinds, then bytes. */
enum pm_strkind {
	PM_SK_ASCII,
	PM_SK_LATIN1,
	PM_SK_UCS2,
	PM_SK_UCS4,
	PM_SK_BYTES,
	PM_SK_COUNT
};

/* "ascii", "latin1", "ucs2", "ucs4", "bytes". */
const char *pm_strs_kind_name(enum pm_strkind k);

/* A str or bytes object (or an instance of a subclass) and its contents. */
struct pm_strobj {
	size_t idx;			/* object index in the heap */
	enum pm_strkind kind;
	unsigned width;			/* bytes per unit: 1, 2 or 4 */
	uint64_t len;			/* code points (str) or bytes */
	const unsigned char *data;	/* len * width bytes of the snapshot,
					   NULL when they were not captured */
};

/*
 * Describe object i: 1 when it is a str or bytes with a readable header,
 * 0 when it is not one.
 */
int pm_strs_get(const struct pm_heap *h, size_t i, struct pm_strobj *so);

/* Unit j (a code point, or a byte) of so; so->data must not be NULL. */
uint32_t pm_strs_at(const struct pm_strobj *so, uint64_t j);

/*
 * The redaction digest of a value: the first 16 hex digits of the SHA-256
 * of its UTF-8 encoding (str) or of its bytes, so that
 * `printf %s VALUE | sha256sum | cut -c1-16` finds it again. out gets 17
 * bytes. "-" when the contents were not captured.
 */
void pm_strs_digest(const struct pm_strobj *so, char out[17]);

/* Length census: one row per kind and power-of-two length bucket. */
struct pm_strs_bucket {
	enum pm_strkind kind;
	unsigned bucket;		/* 0: length 0; b: [2^(b-1), 2^b) */
	uint64_t count, bytes;		/* objects, summed sys.getsizeof */
	uint64_t minlen, maxlen;	/* observed lengths */
};

/*
 * The census of every str and bytes object, sorted by kind then bucket.
 * *rows is malloc'd. Returns 0, or -1 with e filled.
 */
int pm_strs_histogram(const struct pm_heap *h, struct pm_strs_bucket **rows,
    size_t *nrows, struct pm_err *e);

/* A value held by more than one object. */
struct pm_strs_dup {
	size_t idx;			/* the copy at the lowest address */
	uint64_t count;			/* objects holding the value */
	uint64_t size_each;		/* sys.getsizeof of one (the least) */
	uint64_t wasted;		/* (count - 1) * size_each */
};

/*
 * Values (str and bytes apart) held by at least min_count objects, found
 * with a hash table, sorted by wasted bytes, then count, then address.
 * Values whose contents were not captured are left out.
 */
int pm_strs_dups(const struct pm_heap *h, uint64_t min_count,
    struct pm_strs_dup **dups, size_t *ndups, struct pm_err *e);

/*
 * Object indexes of the str and bytes objects at least min_len long,
 * longest first (then by size, then address); only the first max when
 * max is not 0.
 */
int pm_strs_list(const struct pm_heap *h, uint64_t min_len, size_t max,
    size_t **idx, size_t *n, struct pm_err *e);

/* An object whose value contains the searched text. */
struct pm_strs_hit {
	size_t idx;
	uint64_t offset;		/* of the first match, in units */
};

/*
 * Objects containing pat. When text is set, pat is UTF-8 text: str objects
 * are searched for its code points (in whatever kind they are stored),
 * bytes objects for its UTF-8 bytes. Otherwise pat is raw bytes, matched
 * against the stored units of both (aligned to the unit for str). Sorted
 * by address. Returns 0, or -1 with e filled (also for text that is not
 * valid UTF-8).
 */
int pm_strs_find(const struct pm_heap *h, const void *pat, size_t patlen,
    int text, struct pm_strs_hit **hits, size_t *nhits, struct pm_err *e);

/* A match anywhere in captured memory. */
struct pm_strs_rawhit {
	uint64_t addr;
	const char *encoding;		/* "utf-8", "latin1", "utf-16le",
					   "utf-32le", or "bytes" */
	int64_t owner;			/* index of the object it lies in, or -1 */
};

/* Called for each raw hit in address order; non-zero stops the search. */
typedef int (*pm_strs_raw_fn)(void *arg, const struct pm_strs_rawhit *hit);

/*
 * Search every captured mapping for pat: as text, in each encoding CPython
 * may store it in (UTF-8, and latin-1, UTF-16 or UTF-32 when they can
 * hold it and differ), or as raw bytes. The owner of a hit is the object
 * whose memory (its body, or the buffer it owns: list items, str data of
 * legacy strings, bytearray contents) holds the first byte. Returns 0,
 * what fn returned when it stopped, or -1 with e filled.
 */
int pm_strs_find_raw(const struct pm_heap *h, const void *pat, size_t patlen,
    int text, pm_strs_raw_fn fn, void *arg, struct pm_err *e);

/* True when PM_REDACT is set in the environment to a value but "0". */
int pm_strs_redact_env(void);

#endif

/*
 * hexdump.h - the raw bytes of a snapshot around an address, and which
 * object each piece belongs to (pm-objects --hexdump).
 *
 * An object's memory is what CPython allocated for it in one piece: its
 * pre-header (3.11+ managed dict and weakref pointers), its GC head, the
 * object struct and what it holds inline (the characters of a compact
 * str, the digits of an int, the items of a tuple, 3.13's inline values).
 * Storage it points to (a list's item array, a dict's keys) is not part of
 * it, even where sys.getsizeof counts it.
 */
#ifndef PM_HEXDUMP_H
#define PM_HEXDUMP_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_heap;
struct pm_out;

/* Bytes a dump shows around an address when not told (-n). */
#define PM_HEXDUMP_DEFAULT 128
/* ... and at most, from its start, of an object that holds the address. */
#define PM_HEXDUMP_OBJECT_MAX 256
/* The most a dump shows. */
#define PM_HEXDUMP_MAX (1ULL << 30)

struct pm_hexobj {
	uint64_t start, end;	/* its memory, [start, end) */
	size_t i;		/* object index */
};

/* The memory of object i of h, [*start, *end). */
void pm_hexdump_extent(const struct pm_heap *h, size_t i, uint64_t *start,
    uint64_t *end);

/*
 * The objects whose memory meets [lo, hi), sorted by start (an object
 * that lies inside another comes after it). One pass over the objects;
 * nothing is indexed. *out is malloc'd (NULL when *n is 0). Returns 0,
 * or -1 with e filled (out of memory).
 */
int pm_hexdump_find(const struct pm_heap *h, uint64_t lo, uint64_t hi,
    struct pm_hexobj **out, size_t *n, struct pm_err *e);

/*
 * Of objs[0..n) as pm_hexdump_find returns them, the innermost that
 * holds addr, or -1.
 */
int64_t pm_hexdump_holder(const struct pm_hexobj *objs, size_t n,
    uint64_t addr);

/*
 * The bytes to dump for addr, [*lo, *hi), in whole 16-byte lines, within
 * the captured mapping that holds addr. When an object holds addr: from
 * its start (rounded down to a line) for nbytes, by default all of it up
 * to PM_HEXDUMP_OBJECT_MAX bytes. Otherwise, or when addr would fall
 * outside that: nbytes (by default PM_HEXDUMP_DEFAULT) with addr's line
 * at most 64 bytes, and at most half of them, from the start. nbytes 0
 * means the default. Returns 0, or -1 with e filled (PM_EXIT_INPUT) when
 * the snapshot holds no memory at addr.
 */
int pm_hexdump_window(const struct pm_heap *h, uint64_t addr, uint64_t nbytes,
    uint64_t *lo, uint64_t *hi, struct pm_err *e);

/*
 * The name of the field of object i at byte offset off from its address
 * (negative in its pre-header and GC head): "ob_refcnt", "PyGC_Head",
 * "ob_sval[12]", ... written into buf (size n); "" when not known.
 */
const char *pm_hexdump_field(const struct pm_heap *h, size_t i, int64_t off,
    char *buf, size_t n);

/* The columns of pm_hexdump_write's records. */
#define PM_HEXDUMP_NCOLS 8
extern const char *const pm_hexdump_cols[PM_HEXDUMP_NCOLS];

/*
 * Write the bytes [lo, hi) of h's snapshot (16-byte aligned, within one
 * mapping, as pm_hexdump_window gives them) to out, a record a line:
 *
 *	ADDR HEX ASCII OBJECT TYPE SIZE OFFSET FIELD
 *
 * HEX and ASCII as hexdump -C writes them; OBJECT, TYPE and SIZE the
 * object that holds the line's first byte (else the first that starts
 * in the line; else empty, with TYPE "(no object)"), OFFSET that byte's
 * offset from the object's address ("+0x10", "-0x10"), FIELD its field
 * (pm_hexdump_field). Returns 0, or -1 with e filled.
 */
int pm_hexdump_write(const struct pm_heap *h, uint64_t lo, uint64_t hi,
    struct pm_out *out, struct pm_err *e);

#endif

/*
 * census.h - the census by type that pm-types prints (objects and summed
 * sys.getsizeof per type), read back from an earlier pm-types output or
 * taken again from an earlier snapshot, and the comparison of two
 * censuses that makes pm-types a leak gate.
 *
 * A census has one row per type object, so two classes that share a
 * name (a class defined in a function, a reloaded module) give two rows.
 * Comparisons go by name: rows of one name are added up first, since an
 * earlier pm-types output knows types only by name.
 */
#ifndef PM_CENSUS_H
#define PM_CENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

struct pm_err;

struct pm_census_row {
	char *type;		/* type name, or "dict of T" (malloc'd) */
	uint64_t count;		/* live objects */
	uint64_t bytes;		/* their summed sys.getsizeof */
	uint64_t max;		/* the largest one; 0 when read from text */
};

struct pm_census {
	struct pm_census_row *rows;
	size_t nrows;
	uint64_t count, bytes;	/* totals: the "(total)" record */
	uint64_t max;		/* the largest object of all */
};

enum pm_census_flags {
	PM_CENSUS_DICT_OWNERS = 1 << 0,	/* instance dicts as "dict of T" */
	PM_CENSUS_CSV = 1 << 1,		/* pm_census_load: text is CSV */
};

/* The TYPE of the totals record in pm-types output. */
#define PM_CENSUS_TOTAL "(total)"

/*
 * Count the objects of h by type into c, rows in type-table order (sort
 * them with pm_census_sort). With PM_CENSUS_DICT_OWNERS, the instance
 * dicts of each class T make a row "dict of T" instead of counting as
 * dict. Names are copied: c outlives h. Returns 0, or -1 with e filled.
 */
int pm_census_build(struct pm_census *c, const struct pm_heap *h,
    unsigned flags, struct pm_err *e);

/*
 * Sort the rows by bytes (by count when by_count), largest first, ties
 * by the other figure and then by name: pm-types' order.
 */
void pm_census_sort(struct pm_census *c, int by_count);

/*
 * Read an earlier census from path ("-" or NULL: standard input). The
 * first bytes decide: a snapshot (the zstd or the uncompressed form) is
 * enumerated and counted as pm_census_build does, with flags; anything
 * else must be pm-types output, TSV or, with PM_CENSUS_CSV, CSV, an
 * optional COUNT/BYTES/TYPE header first. Its "(total)" record gives the
 * totals; without one they are the sums of the rows. Errors name the
 * file and, for text, the line. progress (may be NULL) is passed to
 * pm_heap_open. Returns 0, or -1 with e filled (PM_EXIT_INPUT).
 */
int pm_census_load(struct pm_census *c, const char *path, unsigned flags,
    pm_heap_progress_fn progress, void *progress_arg, struct pm_err *e);

/* True when some row of c is named type. */
int pm_census_has(const struct pm_census *c, const char *type);

/* Free what c holds; c is then empty. */
void pm_census_release(struct pm_census *c);

/* How one type changed between two censuses. */
struct pm_census_delta {
	const char *type;	/* points into one of the censuses compared */
	int64_t dcount;		/* objects now minus then */
	int64_t dbytes;		/* bytes now minus then */
	uint64_t count, bytes;	/* now */
};

/*
 * Compare census now with the earlier then, by type name. *rows gets the
 * types whose count or bytes changed (malloc'd, pointing into then and
 * now, which must outlive it), sorted by dbytes (dcount when by_count),
 * largest growth first, ties by the other figure and then by name; total
 * gets the change of the totals. Returns 0, or -1 with e filled.
 */
int pm_census_diff(const struct pm_census *then, const struct pm_census *now,
    int by_count, struct pm_census_delta **rows, size_t *nrows,
    struct pm_census_delta *total, struct pm_err *e);

/* Limits on growth: the leak gate of pm-types --max-growth. */
struct pm_census_gate {
	int64_t max_count;	/* more objects than this trips; < 0: none */
	int64_t max_bytes;	/* more bytes than this trips; < 0: none */
	char *const *types;	/* gate only these names; NULL: every type */
	size_t ntypes;
};

enum pm_census_trips {
	PM_CENSUS_TRIP_COUNT = 1 << 0,	/* dcount > max_count */
	PM_CENSUS_TRIP_BYTES = 1 << 1,	/* dbytes > max_bytes */
};

/* Which limits of g the change d passes: enum pm_census_trips bits. */
unsigned pm_census_gate_check(const struct pm_census_gate *g,
    const struct pm_census_delta *d);

#endif

/*
 * newsince.h - which objects of a snapshot were not in an earlier snapshot
 * of the same process (pm-objects --new-since).
 *
 * An object is old when the earlier snapshot had an object at the same
 * address whose type has the same name. Of the earlier snapshot only
 * those (address, type name) pairs are kept, sorted, so its snapshot and
 * object model can be closed before the later one is opened:
 *
 *	pm_newsince_init(&ns, old_heap, &e);	// then close old_heap
 *	pm_newsince_check(&ns, new_snap, "a.pmd", "b.pmd", &e);
 *	pm_newsince_bind(&ns, new_heap, &e);
 *	if (pm_newsince_is_new(&ns, i)) ...
 *	pm_newsince_release(&ns);
 *
 * What it cannot see: an object freed and another of the same type made
 * at the same address in between counts as old; an address reused by an
 * object of another type counts as new. CPython never moves an object.
 */
#ifndef PM_NEWSINCE_H
#define PM_NEWSINCE_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_heap;
struct pm_snap;

struct pm_newsince_pair;

struct pm_newsince {
	/* the earlier snapshot */
	struct pm_newsince_pair *pairs;	/* sorted by address */
	size_t npairs;
	char **names;			/* its type names, sorted */
	size_t nnames;
	uint32_t pid;
	char *exe;
	uint64_t runtime;		/* address of _PyRuntime, 0 unknown */
	int64_t time_ns;

	/* the later one, after pm_newsince_bind */
	const struct pm_heap *h;
	uint32_t *tmap;			/* its type index -> name index + 1 */
};

/*
 * Remember the objects of old, the earlier snapshot's model; old (and
 * its snapshot) may be closed afterwards. Returns 0, or -1 with e filled
 * (out of memory).
 */
int pm_newsince_init(struct pm_newsince *ns, const struct pm_heap *old,
    struct pm_err *e);

/*
 * Check that s, the later snapshot, is of the same process as the earlier
 * one: the same pid, executable and _PyRuntime address (a restarted
 * process gets another address from ASLR). oldname and newname name the
 * files in the message. Returns 0, or -1 with e filled (PM_EXIT_INPUT).
 * *later_first is set when s was taken before the earlier snapshot.
 */
int pm_newsince_check(const struct pm_newsince *ns, const struct pm_snap *s,
    const char *oldname, const char *newname, int *later_first,
    struct pm_err *e);

/*
 * Prepare to answer for the objects of h, the later snapshot's model,
 * which must outlive ns's use. Returns 0, or -1 with e filled.
 */
int pm_newsince_bind(struct pm_newsince *ns, const struct pm_heap *h,
    struct pm_err *e);

/* Is object i of the bound heap new since the earlier snapshot? */
int pm_newsince_is_new(const struct pm_newsince *ns, size_t i);

void pm_newsince_release(struct pm_newsince *ns);

#endif

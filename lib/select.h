/*
 * select.h - which objects a command was asked about: by type name (with
 * or without subclasses), by the module that defines their class, by size
 * and by length. Type and module tests are worked out once per type, so
 * matching an object costs a table look-up and a few comparisons.
 */
#ifndef PM_SELECT_H
#define PM_SELECT_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;
struct pm_heap;

struct pm_select_opts {
	const char *const *types;	/* exact names as pm-types prints them */
	size_t ntypes;			/* 0: any type */
	int subclasses;			/* types: subclasses match too */
	const char *module;		/* NULL: any; else classes defined there */
	uint64_t min_size, max_size;	/* sys.getsizeof bounds (inclusive) */
	uint64_t min_len;		/* with has_min_len: len() >= min_len */
	int has_min_len;
};

struct pm_select {
	const struct pm_heap *h;
	struct pm_select_opts o;
	unsigned char *tok;		/* per type index: passes type/module */
};

/* Work out the type tests for heap h. Returns 0, or -1 with e filled. */
int pm_select_init(struct pm_select *sel, const struct pm_heap *h,
    const struct pm_select_opts *o, struct pm_err *e);
void pm_select_release(struct pm_select *sel);

/* Does object i pass every test? */
int pm_select_match(const struct pm_select *sel, size_t i);

/*
 * The module of type index t: __module__ of a class, the part of tp_name
 * before its last dot for a static type, "builtins" without one. *out is
 * malloc'd; 0, or -1 when it cannot be read.
 */
int pm_select_type_module(const struct pm_heap *h, size_t t, char **out);

#endif

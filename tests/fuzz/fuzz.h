/*
 * fuzz.h - shared by the files of the fuzz target (fuzz-snapshot.c,
 * fuzz-graph.c, fuzz-more.c: retain.h and census.h cannot be included together).
 */
#ifndef PM_FUZZ_H
#define PM_FUZZ_H

struct pm_err;
struct pm_heap;
struct pm_snap;

/* Abort unless e is a one-line message with status 2 (bad input). */
void check_err(const struct pm_err *e, const char *what);

/* Build the reference graph of h, retained sizes and a few paths. */
void fuzz_graph(const struct pm_heap *h);

/* Regions and memory accounting, tracemalloc's traces, hexdump fields. */
void fuzz_more(const struct pm_snap *s, const struct pm_heap *h);

#endif

/*
 * path.h - paths from the roots to objects, over strong references, and
 * their text as one Python expression:
 *
 *     sys.modules['__main__'].CONN.pending[17]
 *
 * One breadth-first search from the roots serves every query of a run. It
 * goes by root tier (graph.h): first from sys.modules, then the sys and
 * builtins dicts, then thread stacks and dicts, then static singletons,
 * and last from the objects no root reaches; an object is reached from
 * the first tier that reaches it, by a path as short as any from that
 * tier. Weak references are never followed.
 *
 * Writing a path: a module's, class's or instance's __dict__ followed by
 * a value is written ".NAME" when the key is an identifier, so paths read
 * as attribute access; other references are named as edgename.h says.
 */
#ifndef PM_PATH_H
#define PM_PATH_H

#include <stddef.h>
#include <stdint.h>

struct pm_buf;
struct pm_err;
struct pm_graph;

#define PM_PATH_NONE 0xffffffffu

struct pm_paths {
	const struct pm_graph *g;
	uint32_t *pred;		/* forward edge that first reached v */
	uint32_t *dist;		/* references from the root of its tier */
	uint8_t *tier;		/* tier that reached v */
};

/* A path: the root object it starts at and the references taken. */
struct pm_path {
	uint32_t root;
	uint32_t *edges;	/* forward edge ids, from the root */
	size_t n, cap;
};

/* Search from the roots of g (which must outlive p). 0, or -1 (e). */
int pm_paths_init(struct pm_paths *p, const struct pm_graph *g,
    struct pm_err *e);
void pm_paths_release(struct pm_paths *p);

/* The path the search found to v into out (reused across calls). 0 or -1. */
int pm_paths_shortest(const struct pm_paths *p, uint32_t v,
    struct pm_path *out);

/*
 * Up to k simple paths to v, in order of root tier, then length, the first
 * one as pm_paths_shortest gives it, each passed to fn with its text
 * (stop on non-zero). Paths whose text is the same as one given before
 * (two references a Python expression cannot tell apart, such as a
 * module's __dict__ held both as md_dict and through tp_dictoffset) are
 * given once. The search is best-first backwards from v, bounded to a few
 * million partial paths; returns how many paths were given, or -1 with e
 * filled when out of memory.
 */
typedef int (*pm_path_fn)(void *arg, const struct pm_path *path,
    const char *text, size_t len);
long pm_paths_k(const struct pm_paths *p, uint32_t v, size_t k,
    pm_path_fn fn, void *arg, struct pm_err *e);

/*
 * Append the text of path to b. With max non-zero, a path of more than
 * max references shows its first and last ones around "…<N more>…".
 */
void pm_path_render(const struct pm_graph *g, const struct pm_path *path,
    size_t max, struct pm_buf *b);

/* Append how a path starting at root object v begins; *ns as edgename.h. */
void pm_path_root(const struct pm_graph *g, uint32_t v, struct pm_buf *b,
    int *ns);

void pm_path_release(struct pm_path *path);

#endif

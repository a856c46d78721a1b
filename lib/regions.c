/* regions.c - what the mappings of a snapshot hold, where its bytes go. */
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "heap.h"
#include "pm.h"
#include "regions.h"
#include "snapshot.h"

/*
 * glibc x86-64: struct pthread begins with tcbhead_t {tcb, dtv, self},
 * tcb and self pointing to the struct itself, and holds the kernel
 * thread id at offset 720 (frames.c finds the same offset for 3.8-3.10).
 * allocate_stack() places the struct within the top few KiB of the
 * stack mapping.
 */
#define TCB_SELF_OFF 16
#define TCB_TID_OFF 720
#define TCB_SCAN (64 << 10)	/* bytes below the top of a mapping */
#define TCB_ALIGN 16

/* Anonymous memory: no path, or a name given with PR_SET_VMA_ANON_NAME. */
static int
is_anon(const struct pm_map *m)
{
	return m->path[0] == '\0' || strncmp(m->path, "[anon:", 6) == 0;
}

/* The class of a mapping from its path and protection alone. */
static enum pm_region_class
base_class(const struct pm_map *m)
{
	if (strcmp(m->path, "[stack]") == 0)
		return PM_REGION_STACK;
	if (strcmp(m->path, "[heap]") == 0)
		return PM_REGION_HEAP;
	if (is_anon(m))
		return (m->prot & PM_PROT_PRIVATE) ? PM_REGION_HEAP :
		    PM_REGION_OTHER;
	/* Shared anonymous memory, SysV and POSIX shared memory, memfds. */
	if (strncmp(m->path, "/dev/", 5) == 0 ||
	    strncmp(m->path, "/memfd:", 7) == 0 ||
	    strncmp(m->path, "/SYSV", 5) == 0 || m->path[0] != '/')
		return PM_REGION_OTHER;
	return PM_REGION_FILE;
}

/* Index of the first region ending after addr (r->n when none). */
static size_t
lower_bound(const struct pm_regions *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].map->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The region holding addr, or NULL. */
static struct pm_region *
region_at(const struct pm_regions *r, uint64_t addr)
{
	size_t i = lower_bound(r, addr);

	return i < r->n && r->v[i].map->start <= addr ? &r->v[i] : NULL;
}

static struct pm_region *
region_of(struct pm_regions *r, const struct pm_snap *s, uint64_t addr)
{
	(void)s;
	return region_at(r, addr);
}

/* Is tid a thread of the snapshot (not the main one) without a stack yet? */
static int
stackless_tid(const struct pm_regions *r, const struct pm_snap *s,
    uint32_t tid)
{
	size_t i;

	if (tid == 0 || s->nthreads == 0 || tid == s->threads[0])
		return 0;
	for (i = 1; i < s->nthreads && s->threads[i] != tid; i++)
		;
	if (i == s->nthreads)
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->v[i].cls == PM_REGION_STACK && r->v[i].tid == tid)
			return 0;
	return 1;
}

/* A heap mapping becomes tid's stack. */
static void
set_stack(struct pm_region *g, uint32_t tid)
{
	g->cls = PM_REGION_STACK;
	g->tid = tid;
}

/* Python threads: their pthread_t lies in their stack mapping. */
static int
python_stacks(struct pm_regions *r, const struct pm_snap *s,
    const struct pm_heap *h, struct pm_err *e)
{
	struct pm_frames *fs = pm_frames_open(h, e);
	const struct pm_thread *t;

	if (fs == NULL)
		return -1;
	t = pm_frames_threads(fs);
	for (size_t i = 0; i < pm_frames_nthreads(fs); i++) {
		struct pm_region *g = region_of(r, s, t[i].ident);
		if (g != NULL && g->cls == PM_REGION_HEAP && is_anon(g->map) &&
		    stackless_tid(r, s, t[i].tid))
			set_stack(g, t[i].tid);
	}
	pm_frames_close(fs);
	return 0;
}

/* Other threads: a struct pthread near the top of an anonymous mapping. */
static void
scan_stacks(struct pm_regions *r, const struct pm_snap *s)
{
	for (size_t i = 0; i < r->n; i++) {
		struct pm_region *g = &r->v[i];
		const struct pm_map *m = g->map;
		uint64_t lo, p;
		if (g->cls != PM_REGION_HEAP || !is_anon(m) ||
		    m->end - m->start < TCB_TID_OFF + 4)
			continue;
		lo = m->end - m->start > TCB_SCAN ? m->end - TCB_SCAN : m->start;
		lo = (lo + TCB_ALIGN - 1) & ~(uint64_t)(TCB_ALIGN - 1);
		for (p = lo; p + TCB_TID_OFF + 4 <= m->end; p += TCB_ALIGN) {
			uint64_t tcb, self;
			uint32_t tid;
			memcpy(&tcb, m->data + (p - m->start), 8);
			if (tcb != p)
				continue;
			memcpy(&self, m->data + (p + TCB_SELF_OFF - m->start), 8);
			memcpy(&tid, m->data + (p + TCB_TID_OFF - m->start), 4);
			if (self == p && stackless_tid(r, s, tid)) {
				set_stack(g, tid);
				break;
			}
		}
	}
}

/* Place the arenas in their mappings. */
static void
place_arenas(struct pm_regions *r)
{
	const struct pm_obmalloc *om = &r->om;

	for (size_t i = 0; i < om->narenas; i++) {
		const struct pm_arena *a = &om->arenas[i];
		for (uint64_t p = a->start; p < a->end;) {
			size_t k = lower_bound(r, p);
			struct pm_region *g;
			uint64_t end;
			if (k == r->n || r->v[k].map->start >= a->end)
				break;
			g = &r->v[k];
			if (g->map->start > p) {
				/* A gap not captured: go on at the next mapping. */
				p = g->map->start;
				continue;
			}
			end = g->map->end < a->end ? g->map->end : a->end;
			g->flags |= PM_REGION_PYMALLOC;
			g->arena_bytes += end - p;
			if (a->consistent && p == a->start && end == a->end)
				g->arena_free += (a->end - a->start) - a->used;
			else
				g->arena_unread += end - p;
			p = end;
		}
	}
}

static void
place_objects(struct pm_regions *r, const struct pm_snap *s,
    const struct pm_heap *h)
{
	const struct pm_obj *o = pm_heap_objs(h);
	size_t n = pm_heap_nobjs(h);

	for (size_t i = 0; i < n; i++) {
		struct pm_region *g = region_of(r, s, o[i].addr);
		if (g == NULL)
			continue;
		if (pm_obmalloc_find(&r->om, o[i].addr) != NULL) {
			g->nobjs_pymalloc++;
			g->obj_pymalloc += o[i].size;
		} else {
			g->nobjs_other++;
			g->obj_other += o[i].size;
			if (g->cls == PM_REGION_HEAP)
				g->flags |= PM_REGION_OBJECTS;
		}
	}
}

int
pm_regions_build(struct pm_regions *r, const struct pm_snap *s,
    const struct pm_heap *h, struct pm_err *e)
{
	uint64_t rt = pm_snap_sym(s, "_PyRuntime");

	memset(r, 0, sizeof(*r));
	if ((r->v = calloc(s->nmaps ? s->nmaps : 1, sizeof(*r->v))) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	r->n = s->nmaps;
	for (size_t i = 0; i < r->n; i++) {
		r->v[i].map = &s->maps[i];
		r->v[i].cls = base_class(&s->maps[i]);
		if (r->v[i].cls == PM_REGION_STACK && s->nthreads > 0)
			r->v[i].tid = s->threads[0];
	}
	/* The interpreter's static data, .bss included. */
	for (size_t i = 0; i < s->nsyms; i++) {
		struct pm_region *g = region_of(r, s, s->syms[i].addr);
		if (g == NULL)
			continue;
		g->flags |= PM_REGION_INTERP;
		if (s->syms[i].addr == rt)
			g->flags |= PM_REGION_RUNTIME;
		if (g->cls == PM_REGION_HEAP && is_anon(g->map))
			g->cls = PM_REGION_FILE;
	}
	if (pm_obmalloc_open(&r->om, s, e) < 0) {
		pm_regions_release(r);
		return -1;
	}
	if (h != NULL && python_stacks(r, s, h, e) < 0) {
		pm_regions_release(r);
		return -1;
	}
	scan_stacks(r, s);
	place_arenas(r);
	if (h != NULL) {
		place_objects(r, s, h);
		r->objects = 1;
	}
	return 0;
}

void
pm_regions_release(struct pm_regions *r)
{
	pm_obmalloc_release(&r->om);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* x - y, or 0 with the shortfall added to *over. */
static uint64_t
less(uint64_t x, uint64_t y, uint64_t *over)
{
	if (y > x) {
		*over += y - x;
		return 0;
	}
	return x - y;
}

void
pm_regions_memory(const struct pm_regions *r, struct pm_memory *m)
{
	uint64_t heap = 0, heap_free = 0, stack_obj = 0, file_obj = 0;
	uint64_t other_obj = 0;

	memset(m, 0, sizeof(*m));
	m->pymalloc_known = r->om.status == PM_OBMALLOC_OK;
	for (size_t i = 0; i < r->n; i++) {
		const struct pm_region *g = &r->v[i];
		uint64_t size = g->map->end - g->map->start;
		uint64_t objs = g->obj_pymalloc + g->obj_other;
		m->total += size;
		switch (g->cls) {
		case PM_REGION_HEAP:
			heap += size;
			heap_free += g->arena_free;
			m->obj_pymalloc += g->obj_pymalloc;
			m->obj_malloc += g->obj_other;
			break;
		case PM_REGION_STACK:
			m->stacks += size;
			stack_obj += objs;
			break;
		case PM_REGION_FILE:
			m->files += size;
			file_obj += objs;
			break;
		case PM_REGION_OTHER:
			m->other += size;
			other_obj += objs;
			break;
		}
	}
	m->obj_static = stack_obj + file_obj + other_obj;
	m->stacks = less(m->stacks, stack_obj, &m->over);
	m->files = less(m->files, file_obj, &m->over);
	m->other = less(m->other, other_obj, &m->over);
	/* The free space of the arenas read whole, split as they were. */
	for (size_t i = 0; i < r->om.narenas; i++) {
		const struct pm_arena *a = &r->om.arenas[i];
		const struct pm_region *g = region_at(r, a->start);
		if (g == NULL || g->cls != PM_REGION_HEAP || !a->consistent ||
		    a->end > g->map->end)
			continue;
		m->py_free_blocks += a->free_blocks;
		m->py_unused_pools += a->unused_pools;
		m->py_headers += a->headers;
		m->py_quantization += a->quantization;
		m->py_alignment += a->alignment;
	}
	m->heap_other = less(heap, heap_free + m->obj_pymalloc + m->obj_malloc,
	    &m->over);
}

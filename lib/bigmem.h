/*
 * bigmem.h - large arrays (the reference graph, the dominator tree's
 * work arrays) taken straight from mmap, on transparent huge pages where
 * the kernel allows them, so that hundreds of megabytes cost a few
 * thousand page faults rather than hundreds of thousands. Memory comes
 * zeroed. Growth is in place with mremap when the kernel can, without a
 * second copy alive. Callers keep the sizes.
 */
#ifndef PM_BIGMEM_H
#define PM_BIGMEM_H

#include <stddef.h>

/* bytes of zeroed memory, or NULL (errno set). */
void *pm_big_alloc(size_t bytes);

/*
 * Grow p (of old bytes, possibly NULL with old 0) to bytes. Returns the
 * new address, or NULL with p still valid and unchanged.
 */
void *pm_big_grow(void *p, size_t old, size_t bytes);

/* Give back a shrunk tail or everything (p may be NULL). */
void *pm_big_shrink(void *p, size_t old, size_t bytes);
void pm_big_free(void *p, size_t bytes);

#endif

/*
 * bigmem.c - large zeroed arrays from mmap, on huge pages when allowed.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>

#include "bigmem.h"

#define HUGE_BYTES ((size_t)2 << 20)

static size_t
round_up(size_t n)
{
	size_t page = 4096;

	if (n == 0)
		n = 1;
	return (n + page - 1) & ~(page - 1);
}

static void
advise(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (n >= HUGE_BYTES)
		(void)madvise(p, n, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *
pm_big_alloc(size_t bytes)
{
	size_t n = round_up(bytes);
	void *p;

	if (bytes > SIZE_MAX / 2)
		return NULL;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	advise(p, n);
	return p;
}

void *
pm_big_grow(void *p, size_t old, size_t bytes)
{
	size_t o = round_up(old), n = round_up(bytes);
	void *q;

	if (p == NULL)
		return pm_big_alloc(bytes);
	if (bytes > SIZE_MAX / 2)
		return NULL;
	if (n <= o)
		return p;
	q = mremap(p, o, n, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return NULL;
	advise(q, n);
	return q;
}

void *
pm_big_shrink(void *p, size_t old, size_t bytes)
{
	size_t o = round_up(old), n = round_up(bytes);

	if (p != NULL && n < o)
		(void)munmap((char *)p + n, o - n);
	return p;
}

void
pm_big_free(void *p, size_t bytes)
{
	if (p != NULL)
		(void)munmap(p, round_up(bytes));
}

/*
 * snapshot.h - the pmtools snapshot: what pm-dump writes and every
 * analysis program reads (format in man/pm-snapshot.5).
 *
 * A snapshot in memory is a struct pm_snap: the header facts, the
 * interpreter's data symbols, the thread ids, and the captured mappings
 * sorted by address. Readers reach target memory only through
 * pm_snap_ptr() and friends, which check every address against the
 * mappings, so a hostile snapshot cannot make them read out of bounds.
 */
#ifndef PM_SNAPSHOT_H
#define PM_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pm_err;

#define PM_SNAP_FORMAT 1	/* format version written and understood */
#define PM_SNAP_LEVEL 1		/* zstd level pm_snap_write uses by default */

/* Bits of pm_map.prot */
enum pm_prot_flags {
	PM_PROT_READ = 1 << 0,
	PM_PROT_WRITE = 1 << 1,
	PM_PROT_EXEC = 1 << 2,
	PM_PROT_PRIVATE = 1 << 3,
};

/* Bits of pm_snap.flags */
enum pm_snap_flags {
	PM_SNAP_FROM_CORE = 1 << 0,	/* converted from a core file */
};

struct pm_map {
	uint64_t start, end;	/* target addresses, [start, end) */
	uint64_t offset;	/* file offset of the mapping in the target */
	uint32_t prot;		/* enum pm_prot_flags */
	char *path;		/* as /proc/PID/maps shows it; "" if anonymous */
	const unsigned char *data;	/* end - start bytes */

	/*
	 * private: when the next mapping starts where this one ends, a copy
	 * of the bytes around the boundary, [bridge_lo_, bridge_hi_), so an
	 * object that straddles it (.data into .bss) reads as one piece.
	 */
	const unsigned char *bridge_;
	uint64_t bridge_lo_, bridge_hi_;
};

struct pm_sym {
	char *name;
	uint64_t addr;
};

struct pm_snap {
	uint32_t format;	/* format version of the file read */
	uint32_t flags;		/* enum pm_snap_flags */
	uint32_t pid;
	uint32_t py_version;	/* PY_VERSION_HEX of the target, 0 unknown */
	int64_t time_ns;	/* capture time, ns since the epoch */
	uint64_t pause_us;	/* how long the target was stopped */
	char *exe;		/* executable path in the target */
	size_t nsyms;
	struct pm_sym *syms;	/* sorted by name */
	size_t nthreads;
	uint32_t *threads;	/* OS thread ids, main thread first */
	size_t nmaps;
	struct pm_map *maps;	/* sorted by start, not overlapping */
	uint64_t data_bytes;	/* sum of the mapping sizes */

	/* private to snapshot.c */
	void *mm_;		/* mmap'd uncompressed file, or NULL */
	size_t mmlen_;
	void **bufs_;		/* heap buffers owned by the snapshot */
	size_t nbufs_;
	atomic_size_t hint_;	/* the mapping pm_snap_map found last */
};

/* Options of pm_snap_write. */
struct pm_snap_wopts {
	int level;		/* zstd level; 0 means PM_SNAP_LEVEL */
	int threads;		/* zstd worker threads; 0 = one per core */
	int raw;		/* write the uncompressed form, no zstd */
	/* Called now and then with bytes of mapping data consumed; may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/*
 * Write s to fd as a snapshot stream: zstd (checksummed, multi-threaded)
 * unless o->raw. Records are written in order: info, symbols, threads,
 * maps, end. Returns 0, or -1 with e filled (errno is kept: EPIPE when the
 * reader went away).
 */
int pm_snap_write(const struct pm_snap *s, int fd,
    const struct pm_snap_wopts *o, struct pm_err *e);

/*
 * Read the snapshot at path ("-" or NULL for stdin). The zstd form is
 * decompressed into memory; the uncompressed form is mmap'd when it is a
 * regular file. name is used in messages ("<stdin>" for stdin). Returns 0,
 * or -1 with e filled (status PM_EXIT_INPUT).
 */
int pm_snap_open(struct pm_snap *s, const char *path, struct pm_err *e);

/* Read a snapshot from an open descriptor (not closed). */
int pm_snap_fdopen(struct pm_snap *s, int fd, const char *name,
    struct pm_err *e);

/*
 * Read a snapshot held in memory, either form. The uncompressed form is
 * read in place: mapping data point into buf, which the caller keeps
 * (unchanged) until pm_snap_close(s), and which s never frees. name is
 * used in messages.
 */
int pm_snap_memopen(struct pm_snap *s, const void *buf, size_t len,
    const char *name, struct pm_err *e);

/* Release everything pm_snap_open gave s. */
void pm_snap_close(struct pm_snap *s);

/*
 * The mapping holding addr, or NULL. The mapping found last is tried
 * first, so a run of lookups in one mapping costs no search.
 */
const struct pm_map *pm_snap_map(const struct pm_snap *s, uint64_t addr);

/* pm_snap_ptr for addresses outside the mapping found last. */
const void *pm_snap_ptr_(const struct pm_snap *s, uint64_t addr, size_t len);

/*
 * A pointer to len bytes of target memory at addr, or NULL unless all of
 * them lie inside one captured mapping. Inline for the common case, a
 * read inside the mapping found last, which the object walk makes tens
 * of millions of times.
 */
static inline const void *
pm_snap_ptr(const struct pm_snap *s, uint64_t addr, size_t len)
{
	size_t k = atomic_load_explicit((atomic_size_t *)&s->hint_,
	    memory_order_relaxed);

	if (k < s->nmaps) {
		const struct pm_map *m = &s->maps[k];
		if (addr - m->start < m->end - m->start && len <= m->end - addr)
			return m->data + (addr - m->start);
	}
	return pm_snap_ptr_(s, addr, len);
}

/* Copy len bytes at addr into buf: 0, or -1 when not captured. */
static inline int
pm_snap_read(const struct pm_snap *s, uint64_t addr, void *buf, size_t len)
{
	const void *p = pm_snap_ptr(s, addr, len);

	if (p == NULL)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

/* Read one 64-bit word at addr: 0, or -1 when not captured. */
static inline int
pm_snap_u64(const struct pm_snap *s, uint64_t addr, uint64_t *v)
{
	return pm_snap_read(s, addr, v, sizeof(*v));
}

/* Address of a recorded symbol, or 0 when the snapshot lacks it. */
uint64_t pm_snap_sym(const struct pm_snap *s, const char *name);

/* Python version as "3.12", or "unknown". buf needs 16 bytes. */
const char *pm_snap_pyversion(const struct pm_snap *s, char *buf);

#endif

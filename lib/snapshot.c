/*
 * snapshot.c - writing and reading pmtools snapshots.
 *
 * The uncompressed form (man/pm-snapshot.5) is a 16-byte file header
 * followed by records, each a 16-byte record header (type, reserved,
 * payload length) and a payload padded to 8 bytes. All integers are
 * little-endian. The zstd form is that byte stream compressed as a
 * series of independent frames of FRAME_BYTES stream bytes each (the last
 * shorter), every frame with its content size and checksum, so a reader
 * can find the frames and decompress them on several cores at once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "bigmem.h"
#include "pm.h"
#include "snapshot.h"

static const unsigned char magic[8] = { 0x89, 'P', 'M', 'S', 'N', 'A', 'P', '\n' };

enum rec_type {
	REC_INFO = 1,
	REC_SYM = 2,
	REC_THREADS = 3,
	REC_MAP = 4,
	REC_END = 5,
};

#define MAX_PATH_LEN 4096
#define MAX_NAME_LEN 4096
#define MAX_COUNT 10000000u
#define MAX_MAP_BYTES (1ULL << 44)

/*
 * Stream bytes per zstd frame. Frames are independent (each restarts the
 * window), so they can be decompressed in parallel; at 32 MiB the matches
 * lost at the boundaries cost nothing measurable.
 */
#define FRAME_BYTES ((uint64_t)32 << 20)

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* ---- writing ---- */

struct writer {
	int fd;
	ZSTD_CCtx *cc;		/* NULL when raw */
	unsigned char *out;
	size_t outsz;
	int counting;		/* only add up the stream bytes in count */
	uint64_t count;
	uint64_t left;		/* stream bytes still to compress */
	uint64_t frame_left;	/* of them, in the current frame */
	struct pm_err *e;
};

static int
write_all(struct writer *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = write(w->fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pm_error_errno(w->e, PM_EXIT_INPUT,
			    "cannot write snapshot");
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
zflush(struct writer *w, const void *buf, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, n, 0 };

	for (;;) {
		ZSTD_outBuffer out = { w->out, w->outsz, 0 };
		size_t left = ZSTD_compressStream2(w->cc, &out, &in, end);
		if (ZSTD_isError(left))
			return pm_error(w->e, PM_EXIT_INPUT,
			    "cannot compress snapshot: %s",
			    ZSTD_getErrorName(left));
		if (out.pos && write_all(w, w->out, out.pos) < 0)
			return -1;
		if (end == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return 0;
	}
}

/* Start the next frame, pledging its size so that it goes in the header. */
static int
start_frame(struct writer *w)
{
	uint64_t n = w->left < FRAME_BYTES ? w->left : FRAME_BYTES;
	size_t rc = ZSTD_CCtx_setPledgedSrcSize(w->cc, n);

	if (ZSTD_isError(rc))
		return pm_error(w->e, PM_EXIT_INPUT,
		    "cannot compress snapshot: %s", ZSTD_getErrorName(rc));
	w->frame_left = n;
	return 0;
}

static int
put(struct writer *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	if (w->counting) {
		w->count += n;
		return 0;
	}
	if (w->cc == NULL)
		return write_all(w, buf, n);
	while (n > 0) {
		size_t k;
		if (w->left == 0)
			return pm_error(w->e, PM_EXIT_INPUT, "cannot compress "
			    "snapshot: more bytes than counted");
		if (w->frame_left == 0 && start_frame(w) < 0)
			return -1;
		k = n < w->frame_left ? n : (size_t)w->frame_left;
		if (zflush(w, p, k, ZSTD_e_continue) < 0)
			return -1;
		p += k;
		n -= k;
		w->left -= k;
		if ((w->frame_left -= k) == 0 &&
		    zflush(w, NULL, 0, ZSTD_e_end) < 0)
			return -1;
	}
	return 0;
}

static int
put_rec(struct writer *w, uint32_t type, uint64_t len)
{
	unsigned char h[16];

	put32(h, type);
	put32(h + 4, 0);
	put64(h + 8, len);
	return put(w, h, sizeof(h));
}

static int
put_pad(struct writer *w, uint64_t len)
{
	static const unsigned char zeros[8];

	return put(w, zeros, (size_t)(pad8(len) - len));
}

/* Mapping data goes in slices so progress can be reported. */
#define SLICE (8u << 20)

static int
put_map(struct writer *w, const struct pm_map *m,
    const struct pm_snap_wopts *o, uint64_t *done, uint64_t total)
{
	unsigned char h[40];
	size_t plen = strlen(m->path);
	uint64_t size = m->end - m->start;

	if (put_rec(w, REC_MAP, 40 + pad8(plen) + size) < 0)
		return -1;
	put64(h, m->start);
	put64(h + 8, m->end);
	put64(h + 16, m->offset);
	put32(h + 24, m->prot);
	put32(h + 28, (uint32_t)plen);
	put64(h + 32, size);
	if (put(w, h, sizeof(h)) < 0 || put(w, m->path, plen) < 0 ||
	    put_pad(w, plen) < 0)
		return -1;
	for (uint64_t off = 0; off < size; off += SLICE) {
		size_t n = size - off < SLICE ? (size_t)(size - off) : SLICE;
		if (put(w, m->data + off, n) < 0)
			return -1;
		*done += n;
		if (o->progress && !w->counting)
			o->progress(o->progress_arg, *done, total);
	}
	return 0;
}

/* Write the records of s through w, in order: info, symbols, threads, maps, end. */
static int
emit(struct writer *w, const struct pm_snap *s, const struct pm_snap_wopts *o)
{
	unsigned char buf[64];
	uint64_t done = 0, total = 0;
	size_t elen = s->exe ? strlen(s->exe) : 0;

	memcpy(buf, magic, 8);
	put32(buf + 8, PM_SNAP_FORMAT);
	put32(buf + 12, 0);
	if (put(w, buf, 16) < 0)
		return -1;

	if (put_rec(w, REC_INFO, 32 + elen) < 0)
		return -1;
	put32(buf, s->pid);
	put32(buf + 4, s->py_version);
	put32(buf + 8, s->flags);
	put32(buf + 12, (uint32_t)elen);
	put64(buf + 16, (uint64_t)s->time_ns);
	put64(buf + 24, s->pause_us);
	if (put(w, buf, 32) < 0 || put(w, s->exe ? s->exe : "", elen) < 0 ||
	    put_pad(w, 32 + elen) < 0)
		return -1;

	for (size_t i = 0; i < s->nsyms; i++) {
		size_t n = strlen(s->syms[i].name);
		if (put_rec(w, REC_SYM, 8 + n) < 0)
			return -1;
		put64(buf, s->syms[i].addr);
		if (put(w, buf, 8) < 0 || put(w, s->syms[i].name, n) < 0 ||
		    put_pad(w, 8 + n) < 0)
			return -1;
	}

	if (put_rec(w, REC_THREADS, 8 + 4 * (uint64_t)s->nthreads) < 0)
		return -1;
	put32(buf, (uint32_t)s->nthreads);
	put32(buf + 4, 0);
	if (put(w, buf, 8) < 0)
		return -1;
	for (size_t i = 0; i < s->nthreads; i++) {
		put32(buf, s->threads[i]);
		if (put(w, buf, 4) < 0)
			return -1;
	}
	if (put_pad(w, 8 + 4 * (uint64_t)s->nthreads) < 0)
		return -1;

	for (size_t i = 0; i < s->nmaps; i++)
		total += s->maps[i].end - s->maps[i].start;
	for (size_t i = 0; i < s->nmaps; i++)
		if (put_map(w, &s->maps[i], o, &done, total) < 0)
			return -1;

	if (put_rec(w, REC_END, 16) < 0)
		return -1;
	put64(buf, s->nmaps);
	put64(buf + 8, total);
	return put(w, buf, 16);
}

int
pm_snap_write(const struct pm_snap *s, int fd, const struct pm_snap_wopts *o,
    struct pm_err *e)
{
	struct writer w = { .fd = fd, .e = e };
	int rc = -1;

	if (!o->raw) {
		int threads = o->threads;
		if (threads <= 0) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			threads = n > 0 ? (int)n : 1;
		}
		w.cc = ZSTD_createCCtx();
		w.outsz = ZSTD_CStreamOutSize();
		w.out = malloc(w.outsz);
		if (w.cc == NULL || w.out == NULL) {
			pm_error(e, PM_EXIT_INPUT, "out of memory");
			goto out;
		}
		ZSTD_CCtx_setParameter(w.cc, ZSTD_c_compressionLevel,
		    o->level ? o->level : PM_SNAP_LEVEL);
		ZSTD_CCtx_setParameter(w.cc, ZSTD_c_checksumFlag, 1);
		/* Single-threaded builds of libzstd refuse workers: fine. */
		if (threads > 1)
			ZSTD_CCtx_setParameter(w.cc, ZSTD_c_nbWorkers, threads);
		/* The frames pledge their sizes: count the stream first. */
		w.counting = 1;
		if (emit(&w, s, o) < 0)
			goto out;
		w.counting = 0;
		w.left = w.count;
	}
	if (emit(&w, s, o) < 0)
		goto out;
	if (w.cc && w.left != 0) {
		pm_error(e, PM_EXIT_INPUT, "cannot compress snapshot: fewer "
		    "bytes than counted");
		goto out;
	}
	rc = 0;
out:
	ZSTD_freeCCtx(w.cc);
	free(w.out);
	return rc;
}

/* ---- reading ---- */

struct reader {
	const char *name;
	int fd;
	/* mmap'd input */
	const unsigned char *mm;
	uint64_t mmlen, pos;
	/* streamed input */
	ZSTD_DCtx *dc;		/* NULL for raw streamed input */
	unsigned char *in;
	size_t insz;
	ZSTD_inBuffer ib;
	int eof;
	size_t zret;		/* last ZSTD_decompressStream result; 0 = frame done */
	uint64_t consumed;	/* uncompressed bytes delivered */
	struct pm_err *e;
};

static int
truncated(struct reader *r)
{
	return pm_error(r->e, PM_EXIT_INPUT,
	    "cannot read '%s': truncated snapshot", r->name);
}

static int
fill(struct reader *r)
{
	ssize_t n;

	do
		n = read(r->fd, r->in, r->insz);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pm_error_errno(r->e, PM_EXIT_INPUT, "cannot read '%s'",
		    r->name);
	if (n == 0)
		r->eof = 1;
	r->ib.src = r->in;
	r->ib.size = (size_t)n;
	r->ib.pos = 0;
	return 0;
}

/* Read exactly n bytes into dst; -1 on truncation or a bad stream. */
static int
get(struct reader *r, void *dst, size_t n)
{
	unsigned char *d = dst;
	size_t got = 0;

	if (r->mm) {
		if (n > r->mmlen - r->pos)
			return truncated(r);
		memcpy(dst, r->mm + r->pos, n);
		r->pos += n;
		r->consumed += n;
		return 0;
	}
	while (got < n) {
		if (r->ib.pos == r->ib.size) {
			if (r->eof || fill(r) < 0)
				return r->eof ? truncated(r) : -1;
			if (r->eof)
				return truncated(r);
		}
		if (r->dc == NULL) {
			size_t k = r->ib.size - r->ib.pos;
			if (k > n - got)
				k = n - got;
			memcpy(d + got, (const char *)r->ib.src + r->ib.pos, k);
			r->ib.pos += k;
			got += k;
			continue;
		}
		ZSTD_outBuffer ob = { d + got, n - got, 0 };
		size_t ret = ZSTD_decompressStream(r->dc, &ob, &r->ib);
		if (ZSTD_isError(ret))
			return pm_error(r->e, PM_EXIT_INPUT,
			    "cannot read '%s': corrupt compressed stream: %s",
			    r->name, ZSTD_getErrorName(ret));
		r->zret = ret;
		got += ob.pos;
	}
	r->consumed += n;
	return 0;
}

static int
skip(struct reader *r, uint64_t n)
{
	unsigned char buf[4096];

	if (r->mm) {
		if (n > r->mmlen - r->pos)
			return truncated(r);
		r->pos += n;
		r->consumed += n;
		return 0;
	}
	while (n > 0) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		if (get(r, buf, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

static int
bad(struct reader *r, const char *what)
{
	return pm_error(r->e, PM_EXIT_INPUT, "cannot read '%s': %s", r->name,
	    what);
}

static int
keep(struct pm_snap *s, void *p)
{
	size_t n = s->nbufs_;

	/*
	 * The array doubles when full (at 8, 16, 32 ...): one buffer per
	 * record, and a hostile snapshot may hold millions of records.
	 */
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
		void **b = realloc(s->bufs_, (n ? 2 * n : 8) * sizeof(*b));
		if (b == NULL)
			return -1;
		s->bufs_ = b;
	}
	s->bufs_[s->nbufs_++] = p;
	return 0;
}

/* Allocate n bytes owned by s (freed by pm_snap_close). */
static void *
snap_alloc(struct pm_snap *s, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p && keep(s, p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static char *
get_str(struct reader *r, struct pm_snap *s, size_t n)
{
	char *p = snap_alloc(s, n + 1);

	if (p == NULL) {
		pm_error(r->e, PM_EXIT_INPUT, "out of memory");
		return NULL;
	}
	if (get(r, p, n) < 0)
		return NULL;
	p[n] = '\0';
	if (memchr(p, '\0', n)) {
		bad(r, "corrupt snapshot (NUL in a name)");
		return NULL;
	}
	return p;
}

static int
grow(struct reader *r, void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	if (n >= MAX_COUNT)
		return bad(r, "corrupt snapshot (too many records)");
	size_t nc = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, nc * size);
	if (p == NULL)
		return pm_error(r->e, PM_EXIT_INPUT, "out of memory");
	*arr = p;
	*cap = nc;
	return 0;
}

static int
cmp_map(const void *a, const void *b)
{
	const struct pm_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int
cmp_sym(const void *a, const void *b)
{
	const struct pm_sym *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
read_map(struct reader *r, struct pm_snap *s, struct pm_map *m, uint64_t len)
{
	unsigned char h[40];
	uint32_t plen;
	uint64_t size;

	memset(m, 0, sizeof(*m));
	if (len < 40)
		return bad(r, "corrupt snapshot (short map record)");
	if (get(r, h, 40) < 0)
		return -1;
	m->start = get64(h);
	m->end = get64(h + 8);
	m->offset = get64(h + 16);
	m->prot = get32(h + 24);
	plen = get32(h + 28);
	size = get64(h + 32);
	if (m->end <= m->start || m->end - m->start != size ||
	    size > MAX_MAP_BYTES || (m->start & 7) || (size & 7) ||
	    plen > MAX_PATH_LEN ||
	    len != 40 + pad8(plen) + size)
		return bad(r, "corrupt snapshot (bad map record)");
	if ((m->path = get_str(r, s, plen)) == NULL)
		return -1;
	if (skip(r, pad8(plen) - plen) < 0)
		return -1;
	if (r->mm) {
		if (size > r->mmlen - r->pos)
			return truncated(r);
		m->data = r->mm + r->pos;
		r->pos += size;
		r->consumed += size;
	} else {
		unsigned char *d = snap_alloc(s, (size_t)size);
		if (d == NULL)
			return pm_error(r->e, PM_EXIT_INPUT,
			    "cannot read '%s': out of memory for %llu bytes",
			    r->name, (unsigned long long)size);
		if (get(r, d, (size_t)size) < 0)
			return -1;
		m->data = d;
	}
	s->data_bytes += size;
	return 0;
}

static int
read_records(struct reader *r, struct pm_snap *s)
{
	unsigned char h[40];
	size_t capsym = 0, capmap = 0;
	int have_info = 0, have_threads = 0;

	if (get(r, h, 16) < 0)
		return -1;
	if (memcmp(h, magic, 8) != 0)
		return bad(r, "not a pmtools snapshot");
	s->format = get32(h + 8);
	if (s->format != PM_SNAP_FORMAT)
		return pm_error(r->e, PM_EXIT_INPUT,
		    "cannot read '%s': snapshot format %u is not supported "
		    "(this pmtools reads format %d)", r->name, s->format,
		    PM_SNAP_FORMAT);
	for (;;) {
		uint32_t type;
		uint64_t len;

		if (get(r, h, 16) < 0)
			return -1;
		type = get32(h);
		len = get64(h + 8);
		if (len > (MAX_MAP_BYTES << 1))
			return bad(r, "corrupt snapshot (bad record length)");
		switch (type) {
		case REC_INFO: {
			uint32_t elen;
			if (have_info || len < 32)
				return bad(r, "corrupt snapshot (bad info record)");
			if (get(r, h, 32) < 0)
				return -1;
			s->pid = get32(h);
			s->py_version = get32(h + 4);
			s->flags = get32(h + 8);
			elen = get32(h + 12);
			s->time_ns = (int64_t)get64(h + 16);
			s->pause_us = get64(h + 24);
			if (elen > MAX_PATH_LEN || len != 32 + (uint64_t)elen)
				return bad(r, "corrupt snapshot (bad info record)");
			if ((s->exe = get_str(r, s, elen)) == NULL)
				return -1;
			if (skip(r, pad8(len) - len) < 0)
				return -1;
			have_info = 1;
			break;
		}
		case REC_SYM: {
			struct pm_sym *y;
			if (len < 9 || len > 8 + MAX_NAME_LEN)
				return bad(r, "corrupt snapshot (bad symbol record)");
			if (grow(r, (void **)&s->syms, &capsym, s->nsyms,
			    sizeof(*s->syms)) < 0)
				return -1;
			y = &s->syms[s->nsyms];
			if (get(r, h, 8) < 0)
				return -1;
			y->addr = get64(h);
			if ((y->name = get_str(r, s, (size_t)len - 8)) == NULL)
				return -1;
			if (skip(r, pad8(len) - len) < 0)
				return -1;
			s->nsyms++;
			break;
		}
		case REC_THREADS: {
			uint32_t n;
			if (have_threads || len < 8)
				return bad(r, "corrupt snapshot (bad thread record)");
			if (get(r, h, 8) < 0)
				return -1;
			n = get32(h);
			if (n > MAX_COUNT || len != 8 + 4 * (uint64_t)n)
				return bad(r, "corrupt snapshot (bad thread record)");
			s->threads = snap_alloc(s, 4 * (size_t)n);
			if (s->threads == NULL)
				return pm_error(r->e, PM_EXIT_INPUT, "out of memory");
			for (uint32_t i = 0; i < n; i++) {
				if (get(r, h, 4) < 0)
					return -1;
				s->threads[i] = get32(h);
			}
			s->nthreads = n;
			if (skip(r, pad8(len) - len) < 0)
				return -1;
			have_threads = 1;
			break;
		}
		case REC_MAP:
			if (grow(r, (void **)&s->maps, &capmap, s->nmaps,
			    sizeof(*s->maps)) < 0)
				return -1;
			if (read_map(r, s, &s->maps[s->nmaps], len) < 0)
				return -1;
			s->nmaps++;
			break;
		case REC_END:
			if (len != 16)
				return bad(r, "corrupt snapshot (bad end record)");
			if (get(r, h, 16) < 0)
				return -1;
			if (get64(h) != s->nmaps || get64(h + 8) != s->data_bytes)
				return bad(r, "corrupt snapshot (end record does "
				    "not match the mappings read)");
			if (!have_info)
				return bad(r, "corrupt snapshot (no info record)");
			return 0;
		default:
			/* Records of later minor revisions are skipped. */
			if (skip(r, pad8(len)) < 0)
				return -1;
			break;
		}
	}
}

static int
check_end(struct reader *r)
{
	unsigned char c;

	if (r->mm)
		return r->pos == r->mmlen ? 0 :
		    bad(r, "trailing data after the end of the snapshot");
	/*
	 * Drain the stream: zstd verifies the checksum at the frame end, and
	 * only a frame that ended (result 0) is complete: a stream cut inside
	 * its checksum has every record but is still truncated.
	 */
	for (;;) {
		if (r->dc) {
			ZSTD_outBuffer ob = { &c, 1, 0 };
			size_t ret;
			int last;
			if (r->ib.pos == r->ib.size && !r->eof && fill(r) < 0)
				return -1;
			last = r->ib.pos == r->ib.size && r->eof;
			if (last && r->zret == 0)
				break;
			ret = ZSTD_decompressStream(r->dc, &ob, &r->ib);
			if (ZSTD_isError(ret))
				return pm_error(r->e, PM_EXIT_INPUT,
				    "cannot read '%s': corrupt compressed "
				    "stream: %s", r->name,
				    ZSTD_getErrorName(ret));
			r->zret = ret;
			if (ob.pos)
				return bad(r, "trailing data after the end of "
				    "the snapshot");
			if (last)
				return ret == 0 ? 0 : truncated(r);
		} else {
			if (r->ib.pos == r->ib.size) {
				if (r->eof || fill(r) < 0 || r->eof)
					break;
			}
			if (r->ib.pos < r->ib.size)
				return bad(r, "trailing data after the end of "
				    "the snapshot");
		}
	}
	return 0;
}

/* Bytes copied from each side of a boundary between adjacent mappings. */
#define BRIDGE (64u << 10)

static int
finish(struct reader *r, struct pm_snap *s)
{
	if (s->nmaps)
		qsort(s->maps, s->nmaps, sizeof(*s->maps), cmp_map);
	for (size_t i = 1; i < s->nmaps; i++)
		if (s->maps[i].start < s->maps[i - 1].end)
			return bad(r, "corrupt snapshot (mappings overlap)");
	for (size_t i = 0; i + 1 < s->nmaps; i++) {
		struct pm_map *a = &s->maps[i], *b = &s->maps[i + 1];
		uint64_t kl, kr;
		unsigned char *br;
		if (a->end != b->start)
			continue;
		kl = a->end - a->start < BRIDGE ? a->end - a->start : BRIDGE;
		kr = b->end - b->start < BRIDGE ? b->end - b->start : BRIDGE;
		if ((br = snap_alloc(s, (size_t)(kl + kr))) == NULL)
			return pm_error(r->e, PM_EXIT_INPUT, "out of memory");
		memcpy(br, a->data + (a->end - a->start - kl), (size_t)kl);
		memcpy(br + kl, b->data, (size_t)kr);
		a->bridge_ = br;
		a->bridge_lo_ = a->end - kl;
		a->bridge_hi_ = b->start + kr;
	}
	if (s->nsyms)
		qsort(s->syms, s->nsyms, sizeof(*s->syms), cmp_sym);
	return 0;
}

/* ---- the zstd form, decompressed frame by frame on every core ---- */

/*
 * The most a zstd frame can expand: an RLE block of 4 bytes stands for
 * at most 128 KiB. Frames that claim more than this times their input
 * are corrupt, and are left to the streaming reader to report.
 */
#define MAX_ZSTD_RATIO 32768
#define MAX_ZTHREADS 16
/*
 * pm-dump writes one frame per 32 MiB, so a million frames is 32 TiB;
 * more (tiny frames in a hostile file) are left to the streaming reader
 * rather than listed at 48 bytes each.
 */
#define MAX_ZFRAMES (1u << 20)

struct zframe {
	const unsigned char *src;
	size_t csize;		/* compressed bytes */
	uint64_t off, size;	/* where its content goes in the buffer */
	size_t err;		/* a zstd error code, or 0 */
	int done;
};

struct zjob {
	struct zframe *f;
	size_t nf;
	unsigned char *dst;
	atomic_size_t next;	/* the next frame to take */
	atomic_int stop;	/* a frame failed: take no more */
};

/*
 * Take frames in order and decompress each into its place. Every frame
 * taken is finished, so when one fails, all frames before it are done and
 * the first failure in stream order is the one reported.
 */
static void *
zworker(void *arg)
{
	struct zjob *j = arg;
	ZSTD_DCtx *dc = ZSTD_createDCtx();

	if (dc == NULL)
		return NULL;
	while (!atomic_load(&j->stop)) {
		size_t i = atomic_fetch_add(&j->next, 1), n;
		struct zframe *f;
		if (i >= j->nf)
			break;
		f = &j->f[i];
		n = ZSTD_decompressDCtx(dc, j->dst + f->off, (size_t)f->size,
		    f->src, f->csize);
		if (ZSTD_isError(n) || n != f->size) {
			f->err = ZSTD_isError(n) ? n :
			    (size_t)-ZSTD_error_corruption_detected;
			atomic_store(&j->stop, 1);
		}
		f->done = 1;
	}
	ZSTD_freeDCtx(dc);
	return NULL;
}

static int
ncpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/*
 * Decompress the zstd form held in b[0, len) into one buffer, on every
 * core, and point r at it to be parsed in place like the uncompressed
 * form. Returns 0; -1 with r->e filled; or 1 when the frames do not allow
 * it (a size not stated, as in snapshots of earlier pmtools, a frame cut
 * short, claims beyond what zstd can expand), and the caller streams.
 */
static int
zparallel(struct reader *r, struct pm_snap *s, const unsigned char *b,
    size_t len)
{
	struct zjob j = { 0 };
	struct zframe *f = NULL;
	pthread_t tid[MAX_ZTHREADS];
	size_t nf = 0, cap = 0, pos = 0, bad_frame;
	uint64_t total = 0;
	int nt, rc = 1;

	while (pos < len) {
		size_t cs = ZSTD_findFrameCompressedSize(b + pos, len - pos);
		unsigned long long fcs = ZSTD_getFrameContentSize(b + pos,
		    len - pos);
		if (ZSTD_isError(cs) || fcs == ZSTD_CONTENTSIZE_UNKNOWN ||
		    fcs == ZSTD_CONTENTSIZE_ERROR || fcs > (SIZE_MAX >> 1) - total)
			goto out;
		if (nf == cap) {
			struct zframe *nfp;
			if (nf >= MAX_ZFRAMES)
				goto out;
			cap = cap ? 2 * cap : 64;
			if ((nfp = realloc(f, cap * sizeof(*f))) == NULL) {
				rc = pm_error(r->e, PM_EXIT_INPUT, "out of memory");
				goto out;
			}
			f = nfp;
		}
		f[nf++] = (struct zframe){ .src = b + pos, .csize = cs,
		    .off = total, .size = fcs };
		total += fcs;
		pos += cs;
	}
	if (total == 0 || total / MAX_ZSTD_RATIO > len)
		goto out;
	if ((j.dst = pm_big_alloc((size_t)total)) == NULL)
		goto out;
	j.f = f;
	j.nf = nf;
	atomic_init(&j.next, 0);
	atomic_init(&j.stop, 0);
	nt = ncpus();
	if (nt > MAX_ZTHREADS)
		nt = MAX_ZTHREADS;
	if ((size_t)nt > nf)
		nt = (int)nf;
	/* This thread is one of the workers. */
	for (int i = 0; i < nt - 1; i++)
		if (pthread_create(&tid[i], NULL, zworker, &j) != 0)
			nt = i + 1;
	zworker(&j);
	for (int i = 0; i < nt - 1; i++)
		pthread_join(tid[i], NULL);
	for (bad_frame = 0; bad_frame < nf; bad_frame++)
		if (!f[bad_frame].done || f[bad_frame].err)
			break;
	if (bad_frame < nf) {
		if (f[bad_frame].done)
			rc = pm_error(r->e, PM_EXIT_INPUT, "cannot read '%s': "
			    "corrupt compressed stream: %s", r->name,
			    ZSTD_getErrorName(f[bad_frame].err));
		else
			rc = pm_error(r->e, PM_EXIT_INPUT, "out of memory");
		pm_big_free(j.dst, (size_t)total);
		goto out;
	}
	s->mm_ = j.dst;
	s->mmlen_ = (size_t)total;
	r->mm = j.dst;
	r->mmlen = total;
	r->pos = 0;
	rc = 0;
out:
	free(f);
	return rc;
}

/*
 * Read the zstd form held in b[0, len), which the caller keeps until
 * this returns: in parallel when the frames allow it, else streamed.
 */
static int
read_zstd(struct reader *r, struct pm_snap *s, const unsigned char *b,
    size_t len)
{
	int k = zparallel(r, s, b, len);

	if (k < 0)
		return -1;
	if (k > 0) {
		/* All the input is there: get() never calls fill(). */
		if ((r->dc = ZSTD_createDCtx()) == NULL)
			return pm_error(r->e, PM_EXIT_INPUT, "out of memory");
		r->zret = 1;
		r->ib.src = b;
		r->ib.size = len;
		r->ib.pos = 0;
		r->eof = 1;
	}
	if (read_records(r, s) < 0 || check_end(r) < 0 || finish(r, s) < 0)
		return -1;
	return 0;
}

/*
 * The rest of a zstd stream on fd, after the have bytes already in
 * first: into one buffer (pm_big_alloc'd, *cap bytes) of *len bytes.
 */
static unsigned char *
slurp(struct reader *r, const unsigned char *first, size_t have, size_t *len,
    size_t *cap)
{
	size_t c = (size_t)16 << 20, n = have;
	unsigned char *b = pm_big_alloc(c), *nb;

	if (b == NULL) {
		pm_error(r->e, PM_EXIT_INPUT, "out of memory");
		return NULL;
	}
	memcpy(b, first, have);
	for (;;) {
		ssize_t k;
		if (n == c) {
			if (c > SIZE_MAX / 4 || (nb = pm_big_grow(b, c, 2 * c)) == NULL) {
				pm_big_free(b, c);
				pm_error(r->e, PM_EXIT_INPUT, "cannot read '%s': "
				    "out of memory", r->name);
				return NULL;
			}
			b = nb;
			c *= 2;
		}
		k = read(r->fd, b + n, c - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			pm_error_errno(r->e, PM_EXIT_INPUT, "cannot read '%s'",
			    r->name);
			pm_big_free(b, c);
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*len = n;
	*cap = c;
	return b;
}

int
pm_snap_fdopen(struct pm_snap *s, int fd, const char *name, struct pm_err *e)
{
	struct reader r = { .name = name, .fd = fd, .e = e };
	struct stat st;
	unsigned char head[4];
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (fstat(fd, &st) < 0)
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
	if (S_ISDIR(st.st_mode))
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': is a directory",
		    name);
	if (isatty(fd))
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': is a terminal "
		    "(give a snapshot file or pipe one in)", name);

	off_t start = lseek(fd, 0, SEEK_CUR);

	r.insz = ZSTD_DStreamInSize();
	r.in = malloc(r.insz);
	if (r.in == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	if (fill(&r) < 0)
		goto out;
	/* Collect at least 4 bytes to tell the forms apart. */
	size_t have = r.ib.size;
	while (have < 4 && !r.eof) {
		ssize_t n = read(fd, r.in + have, r.insz - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", name);
			goto out;
		}
		if (n == 0)
			r.eof = 1;
		have += (size_t)n;
		r.ib.size = have;
	}
	if (have == 0) {
		pm_error(e, PM_EXIT_INPUT, "cannot read '%s': empty file", name);
		goto out;
	}
	if (have < 4) {
		bad(&r, "not a pmtools snapshot");
		goto out;
	}
	memcpy(head, r.in, 4);
	if (get32(head) == ZSTD_MAGICNUMBER) {
		/*
		 * All of the compressed form goes in memory, mapped when it
		 * is a file, so that its frames can be found and shared out.
		 */
		const unsigned char *zb = NULL;
		unsigned char *zcopy = NULL;
		size_t zlen = 0, zcap = 0;
		if (S_ISREG(st.st_mode) && st.st_size > 0 && start == 0 &&
		    (uint64_t)st.st_size <= SIZE_MAX >> 1) {
			void *mm = mmap(NULL, (size_t)st.st_size, PROT_READ,
			    MAP_PRIVATE, fd, 0);
			if (mm != MAP_FAILED) {
				zb = mm;
				zlen = (size_t)st.st_size;
				madvise(mm, zlen, MADV_WILLNEED);
			}
		}
		if (zb == NULL) {
			zcopy = slurp(&r, r.in, r.ib.size, &zlen, &zcap);
			if (zcopy == NULL)
				goto out;
			zb = zcopy;
		}
		free(r.in);
		r.in = NULL;
		rc = read_zstd(&r, s, zb, zlen);
		if (zcopy)
			pm_big_free(zcopy, zcap);
		else
			munmap((void *)zb, zlen);
		goto out;
	} else if (head[0] == magic[0] && S_ISREG(st.st_mode) &&
	    st.st_size > 0 && start == 0) {
		void *mm = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
		    fd, 0);
		if (mm != MAP_FAILED) {
			s->mm_ = mm;
			s->mmlen_ = (size_t)st.st_size;
			r.mm = mm;
			r.mmlen = (uint64_t)st.st_size;
			r.pos = 0;
		}
	} else if (head[0] != magic[0]) {
		bad(&r, "not a pmtools snapshot");
		goto out;
	}
	if (r.mm)
		madvise(s->mm_, s->mmlen_, MADV_WILLNEED);
	if (read_records(&r, s) < 0 || check_end(&r) < 0 || finish(&r, s) < 0)
		goto out;
	rc = 0;
out:
	ZSTD_freeDCtx(r.dc);
	free(r.in);
	if (rc < 0)
		pm_snap_close(s);
	return rc;
}

int
pm_snap_memopen(struct pm_snap *s, const void *buf, size_t len,
    const char *name, struct pm_err *e)
{
	struct reader r = { .name = name, .fd = -1, .e = e, .eof = 1 };
	const unsigned char *b = buf;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (len == 0)
		return pm_error(e, PM_EXIT_INPUT, "cannot read '%s': empty file",
		    name);
	if (len < 4 || (get32(b) != ZSTD_MAGICNUMBER && b[0] != magic[0]))
		return bad(&r, "not a pmtools snapshot");
	if (get32(b) == ZSTD_MAGICNUMBER) {
		rc = read_zstd(&r, s, b, len);
		goto out;
	} else {
		/* Read in place, like a mapped file; s does not own buf. */
		r.mm = b;
		r.mmlen = len;
	}
	if (read_records(&r, s) < 0 || check_end(&r) < 0 || finish(&r, s) < 0)
		goto out;
	rc = 0;
out:
	ZSTD_freeDCtx(r.dc);
	if (rc < 0)
		pm_snap_close(s);
	return rc;
}

int
pm_snap_open(struct pm_snap *s, const char *path, struct pm_err *e)
{
	int fd, rc;

	if (path == NULL || strcmp(path, "-") == 0)
		return pm_snap_fdopen(s, STDIN_FILENO, "<stdin>", e);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot open '%s'", path);
	}
	rc = pm_snap_fdopen(s, fd, path, e);
	close(fd);
	return rc;
}

void
pm_snap_close(struct pm_snap *s)
{
	for (size_t i = 0; i < s->nbufs_; i++)
		free(s->bufs_[i]);
	free(s->bufs_);
	free(s->syms);
	free(s->maps);
	if (s->mm_)
		munmap(s->mm_, s->mmlen_);
	memset(s, 0, sizeof(*s));
}

const struct pm_map *
pm_snap_map(const struct pm_snap *s, uint64_t addr)
{
	/* The hint is only ever an index: any value a race leaves is safe. */
	atomic_size_t *hint = (atomic_size_t *)&s->hint_;
	size_t lo = 0, hi = s->nmaps,
	    k = atomic_load_explicit(hint, memory_order_relaxed);

	if (k < hi && addr - s->maps[k].start < s->maps[k].end - s->maps[k].start)
		return &s->maps[k];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pm_map *m = &s->maps[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else {
			atomic_store_explicit(hint, mid, memory_order_relaxed);
			return m;
		}
	}
	return NULL;
}

const void *
pm_snap_ptr_(const struct pm_snap *s, uint64_t addr, size_t len)
{
	const struct pm_map *m = pm_snap_map(s, addr);

	if (m == NULL)
		return NULL;
	if (len <= m->end - addr)
		return m->data + (addr - m->start);
	if (m->bridge_ && addr >= m->bridge_lo_ && len <= m->bridge_hi_ - addr)
		return m->bridge_ + (addr - m->bridge_lo_);
	return NULL;
}

uint64_t
pm_snap_sym(const struct pm_snap *s, const char *name)
{
	size_t lo = 0, hi = s->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, s->syms[mid].name);
		if (c == 0)
			return s->syms[mid].addr;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

const char *
pm_snap_pyversion(const struct pm_snap *s, char *buf)
{
	if (s->py_version == 0)
		return "unknown";
	snprintf(buf, 16, "%u.%u", s->py_version >> 24 & 0xff,
	    s->py_version >> 16 & 0xff);
	return buf;
}

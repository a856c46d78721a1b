/*
 * core.c - a snapshot from an ELF core file.
 *
 * Order of work:
 *  1. the ELF header and program headers of the core, checked;
 *  2. the notes: NT_FILE, NT_PRSTATUS, NT_PRPSINFO, NT_AUXV;
 *  3. the mappings: PT_LOAD bytes from the core, and what the core left
 *     out of file mappings from the files themselves;
 *  4. the interpreter's symbols and version (capture.c's pm_interp_*).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pm.h"
#include "capture.h"
#include "core.h"
#include "elfsym.h"
#include "snapshot.h"

#define MAX_PHNUM (1u << 22)		/* program headers we accept */
#define MAX_NOTES (256u << 20)		/* bytes of notes we read */
#define MAX_PATHS_BYTES (64u << 20)
#define PAGE_MAX (1u << 30)
#define VSYSCALL 0xffffffffff600000ull

/* Offsets in the x86-64 and aarch64 (generic) prstatus and prpsinfo. */
#define PRSTATUS_PID 32
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define PRPSINFO_SIZE 136

struct seg {
	uint64_t vaddr, memsz, filesz, off;
	uint32_t flags;		/* PF_R, PF_W, PF_X */
};

/* A file named in the core, opened once. */
struct cfile {
	const char *path;	/* as the core names it */
	int fd;			/* -1 when it cannot be opened */
	int err;		/* errno of the failed open */
	char *opened;		/* the name it was opened by */
	int tried;
	uint64_t size;
	int elf_ok;
	struct pm_elf elf;
	uint64_t filled;	/* bytes read from it so far */
	int compared;
};

struct core {
	const char *name;	/* the core file, for messages */
	const struct pm_capture_opts *o;
	struct pm_err *e;
	int fd;
	uint64_t size;
	uint64_t page;
	uint16_t machine;

	struct seg *segs;
	size_t nsegs;

	/* NT_FILE */
	char *fnames;		/* copy of the names, NUL-separated */
	struct pm_mapfile *files;	/* sorted by start */
	size_t nfiles;

	uint32_t pid;
	char fname[17];		/* pr_fname */
	uint32_t *tids;
	size_t ntids;
	uint64_t at_entry, at_phdr;
	int truncated;

	struct cfile *cf;	/* one per distinct path */
	size_t ncf;
	size_t *fid;		/* files[i]'s file is cf[fid[i]] */
	size_t tcap;		/* of tids */

	const char *exe;	/* the executable as the core names it */
	char *exe_buf;		/* when made up from --exe */
	struct pm_mapfile *synth;	/* from --exe when no NT_FILE */
};

static void
core_log(const struct core *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
core_log(const struct core *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (c->o == NULL || c->o->log == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= 0)
		c->o->log(c->o->log_arg, buf);
	va_end(ap);
}

static void
core_warn(const struct core *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
core_warn(const struct core *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (c->o == NULL || c->o->warn == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= 0)
		c->o->warn(c->o->warn_arg, buf);
	va_end(ap);
}

static int
corrupt(struct core *c, const char *why)
{
	return pm_error(c->e, PM_EXIT_INPUT, "cannot read core '%s': %s",
	    c->name, why);
}

static int
oom(struct core *c)
{
	return pm_error(c->e, PM_EXIT_INPUT, "out of memory");
}

/* Read len bytes at off of fd, a file of size bytes; 0 or -1 (errno). */
static int
pread_all(int fd, uint64_t size, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	if (off > size || len > size - off) {
		errno = EINVAL;
		return -1;
	}
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;	/* shrank under us */
			return -1;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int
rd(struct core *c, uint64_t off, void *buf, size_t len)
{
	if (off > c->size || len > c->size - off)
		return corrupt(c, "truncated (offset past the end)");
	if (pread_all(c->fd, c->size, off, buf, len) < 0)
		return pm_error_errno(c->e, PM_EXIT_INPUT, "cannot read core "
		    "'%s'", c->name);
	return 0;
}

static uint64_t
ld64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t
ld32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* ---- headers ---- */

static int
cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int
cmp_seg_off(const void *a, const void *b)
{
	const struct seg *x = *(const struct seg *const *)a,
	    *y = *(const struct seg *const *)b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int read_notes(struct core *c, uint64_t off, uint64_t len);

static int
read_headers(struct core *c)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	uint64_t phnum;
	struct seg **byoff = NULL;
	size_t nload = 0;
	int rc = -1;

	if (c->size < sizeof(eh))
		return corrupt(c, "not an ELF file");
	if (rd(c, 0, &eh, sizeof(eh)) < 0)
		return -1;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return corrupt(c, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64))
		return corrupt(c, "not a little-endian 64-bit x86-64 or aarch64 "
		    "ELF file");
	if (eh.e_type != ET_CORE)
		return corrupt(c, "not a core file (an ELF file of another "
		    "type)");
	c->machine = eh.e_machine;
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return corrupt(c, "corrupt program headers");
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* More than 65534: the count is in section 0's sh_info. */
		Elf64_Shdr sh;
		if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(sh))
			return corrupt(c, "corrupt extended program header "
			    "count");
		if (rd(c, eh.e_shoff, &sh, sizeof(sh)) < 0)
			return -1;
		phnum = sh.sh_info;
	}
	if (phnum == 0 || phnum > MAX_PHNUM ||
	    phnum > (c->size / sizeof(Elf64_Phdr)))
		return corrupt(c, "corrupt program header count");
	if ((ph = calloc((size_t)phnum, sizeof(*ph))) == NULL)
		return oom(c);
	if (rd(c, eh.e_phoff, ph, (size_t)phnum * sizeof(*ph)) < 0)
		goto out;
	for (uint64_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			nload++;
	if ((c->segs = calloc(nload ? nload : 1, sizeof(*c->segs))) == NULL) {
		oom(c);
		goto out;
	}
	for (uint64_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		struct seg *g;

		if (p->p_type == PT_NOTE) {
			if (read_notes(c, p->p_offset, p->p_filesz) < 0)
				goto out;
			continue;
		}
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_vaddr > UINT64_MAX - p->p_memsz ||
		    p->p_filesz > p->p_memsz) {
			corrupt(c, "corrupt segment");
			goto out;
		}
		g = &c->segs[c->nsegs++];
		*g = (struct seg){ .vaddr = p->p_vaddr, .memsz = p->p_memsz,
		    .filesz = p->p_filesz, .off = p->p_offset,
		    .flags = p->p_flags };
		/* A core cut short (a size limit): keep what is there. */
		if (g->filesz && (g->off >= c->size ||
		    g->filesz > c->size - g->off)) {
			c->truncated = 1;
			g->filesz = g->off >= c->size ? 0 : c->size - g->off;
		}
	}
	qsort(c->segs, c->nsegs, sizeof(*c->segs), cmp_seg);
	for (size_t i = 1; i < c->nsegs; i++)
		if (c->segs[i].vaddr < c->segs[i - 1].vaddr +
		    c->segs[i - 1].memsz) {
			corrupt(c, "overlapping segments");
			goto out;
		}
	/* Segments must not share bytes of the core either: otherwise a
	 * small core could make us allocate without bound. */
	if ((byoff = calloc(c->nsegs ? c->nsegs : 1, sizeof(*byoff))) == NULL) {
		oom(c);
		goto out;
	}
	for (size_t i = 0; i < c->nsegs; i++)
		byoff[i] = &c->segs[i];
	qsort(byoff, c->nsegs, sizeof(*byoff), cmp_seg_off);
	for (size_t i = 1, k = 0; i < c->nsegs; i++) {
		if (byoff[i]->filesz == 0)
			continue;
		if (byoff[k]->filesz && byoff[i]->off < byoff[k]->off +
		    byoff[k]->filesz) {
			corrupt(c, "segments overlap in the file");
			goto out;
		}
		k = i;
	}
	rc = 0;
out:
	free(byoff);
	free(ph);
	return rc;
}

/* ---- notes ---- */

static int
cmp_mapfile(const void *a, const void *b)
{
	const struct pm_mapfile *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* NT_FILE: count, page size, count x (start, end, page offset), names. */
static int
note_file(struct core *c, const unsigned char *d, uint64_t n)
{
	uint64_t count, page, names_off;
	const char *p, *end;

	if (c->files != NULL)
		return corrupt(c, "more than one NT_FILE note");
	if (n < 16)
		return corrupt(c, "corrupt NT_FILE note");
	count = ld64(d);
	page = ld64(d + 8);
	/* The kernel counts offsets in pages, gdb in bytes (page 1). */
	if (page == 0 || page > PAGE_MAX || (page & (page - 1)))
		return corrupt(c, "NT_FILE note: bad page size");
	if (count > (n - 16) / 24)
		return corrupt(c, "NT_FILE note: more files than it holds");
	names_off = 16 + 24 * count;
	if (n - names_off > MAX_PATHS_BYTES)
		return corrupt(c, "NT_FILE note too large");
	if ((c->fnames = malloc((size_t)(n - names_off) + 1)) == NULL)
		return oom(c);
	memcpy(c->fnames, d + names_off, (size_t)(n - names_off));
	c->fnames[n - names_off] = '\0';
	if ((c->files = calloc(count ? (size_t)count : 1,
	    sizeof(*c->files))) == NULL)
		return oom(c);
	p = c->fnames;
	end = c->fnames + (n - names_off);
	for (uint64_t i = 0; i < count; i++) {
		const unsigned char *r = d + 16 + 24 * i;
		struct pm_mapfile *f = &c->files[i];
		uint64_t pgoff = ld64(r + 16);

		if (p >= end)
			return corrupt(c, "NT_FILE note: names missing");
		f->start = ld64(r);
		f->end = ld64(r + 8);
		if (f->end <= f->start || pgoff > UINT64_MAX / page)
			return corrupt(c, "NT_FILE note: bad mapping");
		f->offset = pgoff * page;
		f->path = p;
		p += strlen(p) + 1;
	}
	c->nfiles = (size_t)count;
	qsort(c->files, c->nfiles, sizeof(*c->files), cmp_mapfile);
	for (size_t i = 1; i < c->nfiles; i++)
		if (c->files[i].start < c->files[i - 1].end)
			return corrupt(c, "NT_FILE note: overlapping mappings");
	return 0;
}

static int
add_tid(struct core *c, uint32_t tid)
{
	uint32_t *v;

	if (tid == 0 || tid > INT32_MAX)
		return 0;
	if (c->ntids == c->tcap) {
		size_t nc = c->tcap ? c->tcap * 2 : 16;
		if ((v = realloc(c->tids, nc * sizeof(*v))) == NULL)
			return oom(c);
		c->tids = v;
		c->tcap = nc;
	}
	c->tids[c->ntids++] = tid;
	return 0;
}

static int
read_notes(struct core *c, uint64_t off, uint64_t len)
{
	unsigned char *buf;
	uint64_t pos = 0;
	int rc = -1;

	if (len == 0)
		return 0;
	if (len > MAX_NOTES)
		return corrupt(c, "notes too large");
	if (off > c->size || len > c->size - off) {
		/* Notes come first in every core we know: a core cut
		 * short this early has nothing worth reading. */
		return corrupt(c, "truncated (notes past the end)");
	}
	if ((buf = malloc((size_t)len)) == NULL)
		return oom(c);
	if (rd(c, off, buf, (size_t)len) < 0)
		goto out;
	while (len - pos >= 12) {
		uint32_t namesz = ld32(buf + pos), descsz = ld32(buf + pos + 4),
		    type = ld32(buf + pos + 8);
		uint64_t name = pos + 12, desc, next;
		const unsigned char *d;
		int core_name;

		desc = name + (((uint64_t)namesz + 3) & ~(uint64_t)3);
		next = desc + (((uint64_t)descsz + 3) & ~(uint64_t)3);
		if (desc > len || descsz > len - desc) {
			corrupt(c, "corrupt note");
			goto out;
		}
		d = buf + desc;
		core_name = namesz == 5 && memcmp(buf + name, "CORE", 5) == 0;
		if (core_name && type == NT_FILE) {
			if (note_file(c, d, descsz) < 0)
				goto out;
		} else if (core_name && type == NT_PRSTATUS) {
			if (descsz < PRSTATUS_PID + 4) {
				corrupt(c, "corrupt NT_PRSTATUS note");
				goto out;
			}
			if (add_tid(c, ld32(d + PRSTATUS_PID)) < 0)
				goto out;
		} else if (core_name && type == NT_PRPSINFO) {
			if (descsz < PRPSINFO_SIZE) {
				corrupt(c, "corrupt NT_PRPSINFO note");
				goto out;
			}
			c->pid = ld32(d + PRPSINFO_PID);
			memcpy(c->fname, d + PRPSINFO_FNAME, 16);
			c->fname[16] = '\0';
		} else if (core_name && type == NT_AUXV) {
			for (uint64_t i = 0; i + 16 <= descsz; i += 16) {
				uint64_t k = ld64(d + i), v = ld64(d + i + 8);
				if (k == AT_ENTRY)
					c->at_entry = v;
				else if (k == AT_PHDR)
					c->at_phdr = v;
				else if (k == AT_NULL)
					break;
			}
		}
		if (next > len)
			break;
		pos = next;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- the files the core names ---- */

/* The NT_FILE mapping holding addr, or NULL. */
static const struct pm_mapfile *
file_at(const struct core *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pm_mapfile *f = &c->files[mid];
		if (addr < f->start)
			hi = mid;
		else if (addr >= f->end)
			lo = mid + 1;
		else
			return f;
	}
	return NULL;
}

/* path without a " (deleted)" suffix, into buf; -1 if too long. */
static int
clean_path(const char *path, char *buf, size_t size)
{
	static const char del[] = " (deleted)";
	size_t n = strlen(path), d = sizeof(del) - 1;

	if (n > d && strcmp(path + n - d, del) == 0)
		n -= d;
	if (n >= size)
		return -1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

static int
same_file_name(const char *a, const char *b)
{
	char x[PATH_MAX], y[PATH_MAX];

	return clean_path(a, x, sizeof(x)) == 0 &&
	    clean_path(b, y, sizeof(y)) == 0 && strcmp(x, y) == 0;
}

/* Open a file the core names: --exe for the executable, else the name
 * under --sysroot. */
static int
open_as(const struct core *c, const struct pm_mapfile *m, char *full,
    size_t size)
{
	char clean[PATH_MAX];
	const char *root = c->o && c->o->sysroot ? c->o->sysroot : "";
	struct stat st;
	int fd, r;

	if (c->o && c->o->exe && c->exe && same_file_name(m->path, c->exe))
		snprintf(full, size, "%s", c->o->exe);
	else {
		if (m->path[0] != '/' || clean_path(m->path, clean,
		    sizeof(clean)) < 0) {
			errno = ENOENT;
			return -1;
		}
		r = snprintf(full, size, "%s%s", root, clean);
		if (r < 0 || (size_t)r >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int
open_core_file(void *arg, const struct pm_mapfile *m)
{
	char full[PATH_MAX * 2];

	return open_as(arg, m, full, sizeof(full));
}

struct byname {
	const char *path;
	size_t i;
};

static int
cmp_byname(const void *a, const void *b)
{
	const struct byname *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	return r ? r : x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Give every distinct file name one struct cfile, so that each file is
 * opened once however many mappings it has (files sorted by start).
 */
static int
index_files(struct core *c)
{
	struct byname *v;

	if (c->nfiles == 0)
		return 0;
	if ((v = calloc(c->nfiles, sizeof(*v))) == NULL ||
	    (c->fid = calloc(c->nfiles, sizeof(*c->fid))) == NULL ||
	    (c->cf = calloc(c->nfiles, sizeof(*c->cf))) == NULL) {
		free(v);
		return oom(c);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		v[i] = (struct byname){ c->files[i].path, i };
	qsort(v, c->nfiles, sizeof(*v), cmp_byname);
	for (size_t i = 0; i < c->nfiles; i++) {
		if (i == 0 || strcmp(v[i].path, v[i - 1].path) != 0) {
			struct cfile *cf = &c->cf[c->ncf++];
			cf->path = v[i].path;
			cf->fd = -1;
		}
		c->fid[v[i].i] = c->ncf - 1;
	}
	free(v);
	return 0;
}

/* The file of mapping f (one of c->files), opened and read as ELF on
 * first use. */
static struct cfile *
cfile_get(struct core *c, const struct pm_mapfile *f)
{
	struct cfile *cf = &c->cf[c->fid[f - c->files]];
	struct stat st;
	struct pm_err e2;
	char full[PATH_MAX * 2] = "";

	if (cf->tried)
		return cf;
	cf->tried = 1;
	if ((cf->fd = open_as(c, f, full, sizeof(full))) < 0) {
		cf->err = errno;
		core_log(c, "cannot open '%s': %s", full[0] ? full : f->path,
		    strerror(cf->err));
		return cf;
	}
	if ((cf->opened = strdup(full)) == NULL) {
		close(cf->fd);
		cf->fd = -1;
		cf->err = ENOMEM;
		return cf;
	}
	if (fstat(cf->fd, &st) == 0)
		cf->size = (uint64_t)st.st_size;
	if (pm_elf_read(&cf->elf, cf->fd, f->path, &e2) == 0)
		cf->elf_ok = 1;
	return cf;
}

/*
 * Compare the first page of each file with the core's copy of it, when
 * the core has one: a different file (rebuilt, upgraded, the wrong
 * --exe) is worth a warning.
 */
static void
check_first_pages(struct core *c, const struct pm_snap *s)
{
	unsigned char a[4096];
	const unsigned char *b;

	for (size_t i = 0; i < c->nfiles; i++) {
		const struct pm_mapfile *f = &c->files[i];
		struct cfile *cf = &c->cf[c->fid[i]];
		size_t n = sizeof(a);

		if (f->offset != 0 || cf->compared || cf->fd < 0)
			continue;
		if (cf->size < n)
			n = (size_t)cf->size;
		if (f->end - f->start < n)
			n = (size_t)(f->end - f->start);
		if (n == 0 || (b = pm_snap_ptr(s, f->start, n)) == NULL)
			continue;	/* not in the core */
		cf->compared = 1;
		if (pread_all(cf->fd, cf->size, 0, a, n) == 0 &&
		    memcmp(a, b, n) == 0)
			continue;
		core_warn(c, "'%s' is not the file the core's process mapped as "
		    "'%s' (its first page differs): symbols and constants read "
		    "from it may be wrong", cf->opened, cf->path);
	}
}

/* ---- the mappings ---- */

static int
cmp_map(const void *a, const void *b)
{
	const struct pm_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

struct mapv {
	struct pm_map *v;
	size_t n, cap;
};

static int
push_map(struct core *c, struct mapv *mv, uint64_t start, uint64_t end,
    uint32_t prot, const struct pm_mapfile *f, unsigned char *data)
{
	struct pm_map *m;

	if (mv->n == mv->cap) {
		size_t nc = mv->cap ? mv->cap * 2 : 64;
		struct pm_map *v = realloc(mv->v, nc * sizeof(*v));
		if (v == NULL) {
			free(data);
			return oom(c);
		}
		mv->v = v;
		mv->cap = nc;
	}
	m = &mv->v[mv->n];
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->prot = prot;
	m->offset = f ? f->offset + (start - f->start) : 0;
	m->path = strdup(f ? f->path : "");
	m->data = data;
	if (m->path == NULL) {
		free(data);
		return oom(c);
	}
	mv->n++;
	return 0;
}

static uint32_t
prot_of(uint32_t pflags)
{
	uint32_t p = PM_PROT_PRIVATE;

	if (pflags & PF_R)
		p |= PM_PROT_READ;
	if (pflags & PF_W)
		p |= PM_PROT_WRITE;
	if (pflags & PF_X)
		p |= PM_PROT_EXEC;
	return p;
}

/* Bytes [start, end) from the core segment g. */
static int
from_core(struct core *c, struct mapv *mv, const struct seg *g,
    uint64_t start, uint64_t end, uint32_t prot, const struct pm_mapfile *f)
{
	unsigned char *d;

	if (end - start > SIZE_MAX || (d = malloc((size_t)(end - start))) ==
	    NULL)
		return oom(c);
	if (rd(c, g->off + (start - g->vaddr), d, (size_t)(end - start)) < 0) {
		free(d);
		return -1;
	}
	return push_map(c, mv, start, end, prot, f, d);
}

/*
 * Bytes [start, end) of file mapping f from the file itself: as far as
 * the file goes (rounded up to a page, zero-filled like the kernel does),
 * never more than twice the file over all its mappings.
 */
static int
from_file(struct core *c, struct mapv *mv, const struct pm_mapfile *f,
    uint64_t start, uint64_t end, uint32_t prot)
{
	struct cfile *cf = cfile_get(c, f);
	uint64_t off = f->offset + (start - f->start), avail, len;
	unsigned char *d;
	ssize_t r;

	if (cf == NULL)
		return oom(c);
	if (cf->fd < 0 || off >= cf->size)
		return 0;
	avail = (cf->size - off + c->page - 1) & ~(c->page - 1);
	len = end - start < avail ? end - start : avail;
	if (cf->filled > 2 * cf->size + (1u << 20) || len > SIZE_MAX) {
		core_log(c, "'%s': mapped more often than it is large; left out",
		    f->path);
		return 0;
	}
	cf->filled += len;
	if ((d = calloc(1, (size_t)len)) == NULL)
		return oom(c);
	for (uint64_t got = 0; got < len && off + got < cf->size;) {
		r = pread(cf->fd, d + got, (size_t)(len - got),
		    (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;	/* the rest stays zero */
		got += (uint64_t)r;
	}
	return push_map(c, mv, start, start + len, prot, f, d);
}

/*
 * The protection of file mapping f when the core has no segment for it:
 * that of the file's own PT_LOAD at its offset. 0 when unknown (not an
 * ELF file), which leaves it out.
 */
static uint32_t
file_prot(struct core *c, const struct pm_mapfile *f)
{
	struct cfile *cf = cfile_get(c, f);
	const struct pm_elf_seg *g;
	uint32_t p = PM_PROT_PRIVATE;

	if (cf == NULL || !cf->elf_ok)
		return 0;
	if ((g = pm_elf_seg_at(&cf->elf, f->offset, c->page)) == NULL)
		return 0;
	if (g->flags & PM_ELF_R)
		p |= PM_PROT_READ;
	if (g->flags & PM_ELF_W)
		p |= PM_PROT_WRITE;
	if (g->flags & PM_ELF_X)
		p |= PM_PROT_EXEC;
	return p;
}

/* Fill [start, end) of file mapping f, which no segment covers. */
static int
fill_gap(struct core *c, struct mapv *mv, const struct pm_mapfile *f,
    uint64_t start, uint64_t end)
{
	uint32_t prot = file_prot(c, f);

	if (prot == 0 || !pm_mapping_wanted(prot, f->path, c->exe ? c->exe :
	    ""))
		return 0;
	return from_file(c, mv, f, start, end, prot);
}

static int
build_maps(struct core *c, struct pm_snap *s)
{
	struct mapv mv = { 0 };
	const char *exe = c->exe ? c->exe : "";
	size_t k = 0;

	for (size_t i = 0; i < c->nsegs; i++) {
		const struct seg *g = &c->segs[i];
		uint64_t end = g->vaddr + g->memsz, mid = g->vaddr + g->filesz;
		const struct pm_mapfile *f = file_at(c, g->vaddr);
		uint32_t prot = prot_of(g->flags);

		if (f && end > f->end)
			f = NULL;	/* not one file mapping: anonymous */
		if (g->vaddr == VSYSCALL || !pm_mapping_wanted(prot,
		    f ? f->path : "", exe))
			continue;
		if (mid > g->vaddr && from_core(c, &mv, g, g->vaddr, mid, prot,
		    f) < 0)
			goto fail;
		/* The rest the core left out: from the file, if any. */
		if (end > mid && f && from_file(c, &mv, f, mid, end, prot) < 0)
			goto fail;
	}
	/* File mappings no segment touches, and the gaps between. */
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct pm_mapfile *f = &c->files[i];
		uint64_t at = f->start;

		while (k < c->nsegs && c->segs[k].vaddr + c->segs[k].memsz <=
		    f->start)
			k++;
		for (size_t j = k; j < c->nsegs && at < f->end; j++) {
			const struct seg *g = &c->segs[j];
			if (g->vaddr >= f->end)
				break;
			if (g->vaddr > at && fill_gap(c, &mv, f, at,
			    g->vaddr) < 0)
				goto fail;
			if (g->vaddr + g->memsz > at)
				at = g->vaddr + g->memsz;
		}
		if (at < f->end && fill_gap(c, &mv, f, at, f->end) < 0)
			goto fail;
	}
	if (mv.n)
		qsort(mv.v, mv.n, sizeof(*mv.v), cmp_map);
	s->maps = mv.v;
	s->nmaps = mv.n;
	for (size_t i = 0; i < mv.n; i++) {
		if (i > 0 && mv.v[i].start < mv.v[i - 1].end)
			return corrupt(c, "overlapping mappings");
		s->data_bytes += mv.v[i].end - mv.v[i].start;
	}
	return 0;
fail:
	s->maps = mv.v;
	s->nmaps = mv.n;
	return -1;
}

/* ---- the executable ---- */

/*
 * The executable as the core names it: the mapped file holding the entry
 * point (or the program headers), else the first mapped file.
 */
static void
find_exe(struct core *c)
{
	const struct pm_mapfile *f = NULL;

	if (c->at_entry)
		f = file_at(c, c->at_entry);
	if (f == NULL && c->at_phdr)
		f = file_at(c, c->at_phdr);
	if (f == NULL && c->nfiles)
		f = &c->files[0];
	if (f)
		c->exe = f->path;
}

/*
 * No NT_FILE note (an old gdb, another dumper): with --exe, make up its
 * mappings from its PT_LOAD segments, at the bias the entry point gives.
 */
static int
synth_files(struct core *c)
{
	struct pm_elf elf;
	uint64_t bias = 0, mask;
	int fd;

	if (c->o == NULL || c->o->exe == NULL)
		return 0;
	if ((fd = open(c->o->exe, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return pm_error_errno(c->e, PM_EXIT_INPUT, "cannot open '%s'",
		    c->o->exe);
	if (pm_elf_read(&elf, fd, c->o->exe, c->e) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (elf.type == ET_DYN) {
		if (c->at_entry == 0) {
			pm_elf_release(&elf);
			return corrupt(c, "no NT_FILE note and no entry point: "
			    "cannot place the executable");
		}
		bias = c->at_entry - elf.entry;
	}
	mask = c->page - 1;
	if ((c->exe_buf = strdup(c->o->exe)) == NULL ||
	    (c->synth = calloc(elf.nsegs ? elf.nsegs : 1,
	    sizeof(*c->synth))) == NULL) {
		pm_elf_release(&elf);
		return oom(c);
	}
	for (size_t i = 0; i < elf.nsegs; i++) {
		const struct pm_elf_seg *g = &elf.segs[i];
		uint64_t lo = g->vaddr & ~mask, hi;
		if (g->filesz == 0 || g->vaddr > UINT64_MAX - g->filesz - mask)
			continue;
		hi = (g->vaddr + g->filesz + mask) & ~mask;
		c->synth[c->nfiles++] = (struct pm_mapfile){ .start = bias + lo,
		    .end = bias + hi, .offset = g->offset & ~mask,
		    .path = c->exe_buf };
	}
	pm_elf_release(&elf);
	c->files = c->synth;
	c->synth = NULL;
	if (c->nfiles)
		qsort(c->files, c->nfiles, sizeof(*c->files), cmp_mapfile);
	for (size_t i = 1; i < c->nfiles; i++)
		if (c->files[i].start < c->files[i - 1].end)
			return corrupt(c, "the segments of --exe overlap");
	c->exe = c->exe_buf;
	core_log(c, "no NT_FILE note: '%s' placed at bias 0x%" PRIx64, c->exe,
	    bias);
	return 0;
}

/*
 * The file that should hold the interpreter (the first libpython3.X, else
 * the executable) must be there: without it there are neither symbols
 * nor type names, and the user should be told where to look.
 */
static int
need_key_file(struct core *c)
{
	const struct pm_mapfile *key = NULL;
	struct cfile *cf;

	for (size_t i = 0; i < c->nfiles && key == NULL; i++) {
		const char *b = strrchr(c->files[i].path, '/');
		if (b && strncmp(b + 1, "libpython3.", 11) == 0)
			key = &c->files[i];
	}
	for (size_t i = 0; i < c->nfiles && key == NULL && c->exe; i++)
		if (strcmp(c->files[i].path, c->exe) == 0)
			key = &c->files[i];
	if (key == NULL)
		return 0;
	if ((cf = cfile_get(c, key)) == NULL)
		return oom(c);
	if (cf->fd >= 0)
		return 0;
	return pm_error(c->e, PM_EXIT_INPUT, "cannot open '%s', which the core "
	    "'%s' names: %s (use --sysroot or --exe)", key->path, c->name,
	    strerror(cf->err));
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
add_threads(struct core *c, struct pm_snap *s)
{
	size_t n = 0;

	if ((s->threads = calloc(c->ntids + 1, sizeof(*s->threads))) == NULL)
		return oom(c);
	if (c->ntids)
		qsort(c->tids, c->ntids, sizeof(*c->tids), cmp_u32);
	/* Main thread first, then the others in id order, each once. */
	for (size_t i = 0; i < c->ntids; i++)
		if (c->tids[i] == c->pid) {
			s->threads[n++] = c->tids[i];
			break;
		}
	for (size_t i = 0; i < c->ntids; i++)
		if (c->tids[i] != c->pid && (i == 0 ||
		    c->tids[i] != c->tids[i - 1]))
			s->threads[n++] = c->tids[i];
	s->nthreads = n;
	return 0;
}

static void
core_release(struct core *c)
{
	for (size_t i = 0; i < c->ncf; i++) {
		if (c->cf[i].fd >= 0)
			close(c->cf[i].fd);
		free(c->cf[i].opened);
		pm_elf_release(&c->cf[i].elf);
	}
	free(c->cf);
	free(c->fid);
	free(c->segs);
	free(c->fnames);
	free(c->files);
	free(c->synth);
	free(c->tids);
	free(c->exe_buf);
	if (c->fd >= 0)
		close(c->fd);
}

int
pm_core_read(const char *path, struct pm_snap *out,
    const struct pm_capture_opts *o, struct pm_err *e)
{
	struct core c = { .name = path, .o = o, .e = e, .fd = -1 };
	struct pm_interp in = { 0 };
	struct stat st;
	char what[PATH_MAX + 16];
	long pg = sysconf(_SC_PAGESIZE);
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	c.page = pg > 0 ? (uint64_t)pg : 4096;
	snprintf(what, sizeof(what), "core '%s'", path);
	if ((c.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot open '%s'", path);
	if (fstat(c.fd, &st) < 0) {
		pm_error_errno(e, PM_EXIT_INPUT, "cannot read '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		corrupt(&c, S_ISDIR(st.st_mode) ? "is a directory" :
		    "not a regular file");
		goto out;
	}
	c.size = (uint64_t)st.st_size;
	if (read_headers(&c) < 0)
		goto out;
	if (c.truncated)
		core_warn(&c, "core '%s' is truncated: the memory past its end is "
		    "left out", path);
	if (c.files == NULL) {
		if (synth_files(&c) < 0)
			goto out;
		if (c.files == NULL)
			core_log(&c, "no NT_FILE note: no mapped files known; "
			    "use --exe");
	} else
		find_exe(&c);
	if (index_files(&c) < 0)
		goto out;

	out->flags = PM_SNAP_FROM_CORE;
	out->pid = c.pid ? c.pid : c.ntids ? c.tids[0] : 0;
	c.pid = out->pid;
	out->time_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	out->exe = strdup(c.exe ? c.exe : o && o->exe ? o->exe : c.fname);
	if (out->exe == NULL) {
		oom(&c);
		goto out;
	}
	if (build_maps(&c, out) < 0 || add_threads(&c, out) < 0)
		goto out;
	check_first_pages(&c, out);
	core_log(&c, "core of pid %u: %zu segments, %zu mapped files, %zu "
	    "threads", c.pid, c.nsegs, c.nfiles, c.ntids);

	if (need_key_file(&c) < 0)
		goto out;
	if ((r = pm_interp_find(&in, c.files, c.nfiles, out->exe,
	    open_core_file, &c, o, e)) < 0)
		goto out;
	if (r > 0)
		core_log(&c, "interpreter in '%s' at bias 0x%" PRIx64 " (%zu data "
		    "symbols)", in.path, in.bias, in.elf.nsyms);
	if (pm_interp_finish(out, &in, what, o, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		pm_capture_release(out);
	pm_interp_release(&in);
	core_release(&c);
	return rc;
}

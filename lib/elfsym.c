/*
 * elfsym.c - exported data symbols and load address of an ELF64 file.
 *
 * Everything read from the file is checked against its size before use;
 * reads go through pread into our own buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pm.h"
#include "elfsym.h"

/*
 * The ELF64 structures and constants used here, from the System V gABI.
 * <elf.h> is not included: kept out so the file stands alone on any libc.
 */
typedef struct {
	unsigned char e_ident[16];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum,
	    e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

typedef struct {
	uint32_t sh_name, sh_type;
	uint64_t sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t sh_link, sh_info;
	uint64_t sh_addralign, sh_entsize;
} Elf64_Shdr;

typedef struct {
	uint32_t st_name;
	unsigned char st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
} Elf64_Sym;

typedef struct {
	int64_t d_tag;
	union {
		uint64_t d_val, d_ptr;
	} d_un;
} Elf64_Dyn;

#define ELFMAG "\177ELF"
#define SELFMAG 4
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define EM_AARCH64 183
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_DYNSYM 11
#define SHN_UNDEF 0
#define SHN_ABS 0xfff1
#define STT_OBJECT 1
#define ELF64_ST_TYPE(i) ((i) & 0xf)
#define ELF64_ST_BIND(i) ((i) >> 4)
#define STB_LOCAL 0
#define DT_NULL 0
#define DT_HASH 4
#define DT_STRTAB 5
#define DT_SYMTAB 6
#define DT_STRSZ 10
#define DT_SYMENT 11
#define DT_GNU_HASH 0x6ffffef5

_Static_assert(sizeof(Elf64_Ehdr) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(Elf64_Phdr) == 56, "Elf64_Phdr");
_Static_assert(sizeof(Elf64_Shdr) == 64, "Elf64_Shdr");
_Static_assert(sizeof(Elf64_Sym) == 24, "Elf64_Sym");
_Static_assert(sizeof(Elf64_Dyn) == 16, "Elf64_Dyn");

#define MAX_TABLE (64u << 20)	/* largest .dynsym or .dynstr we accept */
#define MAX_PHNUM 4096u

struct file {
	int fd;
	uint64_t size;
	const char *name;
	struct pm_err *e;
};

static int
bad(struct file *f, const char *why)
{
	return pm_error(f->e, PM_EXIT_INPUT, "cannot read ELF file '%s': %s",
	    f->name, why);
}

/* Read len bytes at off, which must lie inside the file. */
static int
rd(struct file *f, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	if (off > f->size || len > f->size - off)
		return bad(f, "truncated or corrupt (offset past the end)");
	while (len > 0) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pm_error_errno(f->e, PM_EXIT_INPUT,
			    "cannot read ELF file '%s'", f->name);
		if (n == 0)
			return bad(f, "truncated (file shrank while read)");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Allocate and read len bytes at off. */
static void *
rd_alloc(struct file *f, uint64_t off, uint64_t len, size_t extra)
{
	void *p;

	if (len > MAX_TABLE) {
		bad(f, "symbol table too large");
		return NULL;
	}
	p = malloc((size_t)len + extra ? (size_t)len + extra : 1);
	if (p == NULL) {
		pm_error(f->e, PM_EXIT_INPUT, "out of memory");
		return NULL;
	}
	if (rd(f, off, p, (size_t)len) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* The file offset of link-time address va, through the PT_LOAD headers. */
static int
va_to_off(const Elf64_Phdr *ph, size_t n, uint64_t va, uint64_t *off)
{
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (va >= ph[i].p_vaddr && va - ph[i].p_vaddr < ph[i].p_filesz) {
			*off = ph[i].p_offset + (va - ph[i].p_vaddr);
			return 0;
		}
	}
	return -1;
}

/* Number of dynamic symbols from a DT_GNU_HASH table at off. */
static int
gnu_hash_count(struct file *f, uint64_t off, uint64_t *count)
{
	uint32_t h[4], maxb = 0, v;
	uint64_t boff, coff;
	uint32_t *b;

	if (rd(f, off, h, sizeof(h)) < 0)
		return -1;
	/* h: nbuckets, symoffset, bloom_size, bloom_shift */
	if (h[0] == 0 || h[0] > MAX_TABLE / 4 || h[2] > MAX_TABLE / 8)
		return bad(f, "corrupt DT_GNU_HASH table");
	boff = off + 16 + 8 * (uint64_t)h[2];
	if ((b = rd_alloc(f, boff, 4 * (uint64_t)h[0], 0)) == NULL)
		return -1;
	for (uint32_t i = 0; i < h[0]; i++)
		if (b[i] > maxb)
			maxb = b[i];
	free(b);
	if (maxb == 0) {
		*count = h[1];
		return 0;
	}
	if (maxb < h[1])
		return bad(f, "corrupt DT_GNU_HASH table");
	coff = boff + 4 * (uint64_t)h[0];
	for (uint64_t i = maxb;; i++) {
		if (i - h[1] > MAX_TABLE / 24)
			return bad(f, "corrupt DT_GNU_HASH table");
		if (rd(f, coff + 4 * (i - h[1]), &v, 4) < 0)
			return -1;
		if (v & 1) {
			*count = i + 1;
			return 0;
		}
	}
}

/*
 * Find .dynsym without section headers: the dynamic segment gives the
 * addresses of the symbol and string tables, a hash table their count.
 */
static int
find_dynamic(struct file *f, const Elf64_Phdr *ph, size_t n,
    uint64_t *symoff, uint64_t *nsym, uint64_t *stroff, uint64_t *strsz)
{
	uint64_t symtab = 0, strtab = 0, hash = 0, gnuhash = 0, syment = 0;
	const Elf64_Phdr *dyn = NULL;
	Elf64_Dyn d;

	*nsym = 0;
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = &ph[i];
	if (dyn == NULL)
		return 0;	/* static executable: no dynamic symbols */
	*strsz = 0;
	for (uint64_t o = 0; o + sizeof(d) <= dyn->p_filesz; o += sizeof(d)) {
		if (o > MAX_TABLE)
			return bad(f, "corrupt dynamic segment");
		if (rd(f, dyn->p_offset + o, &d, sizeof(d)) < 0)
			return -1;
		if (d.d_tag == DT_NULL)
			break;
		switch (d.d_tag) {
		case DT_SYMTAB: symtab = d.d_un.d_ptr; break;
		case DT_STRTAB: strtab = d.d_un.d_ptr; break;
		case DT_STRSZ: *strsz = d.d_un.d_val; break;
		case DT_SYMENT: syment = d.d_un.d_val; break;
		case DT_HASH: hash = d.d_un.d_ptr; break;
		case DT_GNU_HASH: gnuhash = d.d_un.d_ptr; break;
		default: break;
		}
	}
	if (symtab == 0 || strtab == 0)
		return 0;
	if (syment != 0 && syment != sizeof(Elf64_Sym))
		return bad(f, "unexpected DT_SYMENT");
	if (va_to_off(ph, n, symtab, symoff) < 0 ||
	    va_to_off(ph, n, strtab, stroff) < 0)
		return bad(f, "dynamic tables outside the loaded segments");
	if (hash) {
		uint32_t h[2];
		uint64_t off;
		if (va_to_off(ph, n, hash, &off) < 0 || rd(f, off, h, 8) < 0)
			return bad(f, "corrupt DT_HASH table");
		*nsym = h[1];
	} else if (gnuhash) {
		uint64_t off;
		if (va_to_off(ph, n, gnuhash, &off) < 0)
			return bad(f, "corrupt DT_GNU_HASH table");
		if (gnu_hash_count(f, off, nsym) < 0)
			return -1;
	}
	return 0;
}

/* Find .dynsym and its string table through the section headers. */
static int
find_sections(struct file *f, const Elf64_Ehdr *eh, int *found,
    uint64_t *symoff, uint64_t *nsym, uint64_t *stroff, uint64_t *strsz)
{
	Elf64_Shdr sh, link;
	uint64_t shnum = eh->e_shnum;

	*found = 0;
	if (eh->e_shoff == 0)
		return 0;
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return bad(f, "unexpected section header size");
	if (shnum == 0) {	/* extended numbering: count in section 0 */
		if (rd(f, eh->e_shoff, &sh, sizeof(sh)) < 0)
			return -1;
		shnum = sh.sh_size;
	}
	if (shnum > (f->size / sizeof(Elf64_Shdr)))
		return bad(f, "corrupt section header count");
	for (uint64_t i = 1; i < shnum; i++) {
		if (rd(f, eh->e_shoff + i * sizeof(sh), &sh, sizeof(sh)) < 0)
			return -1;
		if (sh.sh_type != SHT_DYNSYM)
			continue;
		if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link == 0 ||
		    sh.sh_link >= shnum)
			return bad(f, "corrupt .dynsym section header");
		if (rd(f, eh->e_shoff + (uint64_t)sh.sh_link * sizeof(link),
		    &link, sizeof(link)) < 0)
			return -1;
		if (link.sh_type != SHT_STRTAB)
			return bad(f, "corrupt .dynstr section header");
		*symoff = sh.sh_offset;
		*nsym = sh.sh_size / sizeof(Elf64_Sym);
		*stroff = link.sh_offset;
		*strsz = link.sh_size;
		*found = 1;
		return 0;
	}
	return 0;
}

static int
read_syms(struct file *f, struct pm_elf *elf, uint64_t symoff, uint64_t nsym,
    uint64_t stroff, uint64_t strsz)
{
	Elf64_Sym *st;
	size_t n = 0;

	if (nsym == 0)
		return 0;
	if (nsym > MAX_TABLE / sizeof(Elf64_Sym))
		return bad(f, "symbol table too large");
	if ((elf->strtab = rd_alloc(f, stroff, strsz, 1)) == NULL)
		return -1;
	elf->strtab[strsz] = '\0';
	elf->strsz = (size_t)strsz;
	if ((st = rd_alloc(f, symoff, nsym * sizeof(*st), 0)) == NULL)
		return -1;
	elf->syms = calloc((size_t)nsym, sizeof(*elf->syms));
	if (elf->syms == NULL) {
		free(st);
		return pm_error(f->e, PM_EXIT_INPUT, "out of memory");
	}
	for (uint64_t i = 1; i < nsym; i++) {
		if (ELF64_ST_TYPE(st[i].st_info) != STT_OBJECT ||
		    st[i].st_shndx == SHN_UNDEF || st[i].st_shndx == SHN_ABS ||
		    st[i].st_name == 0 || st[i].st_name >= strsz)
			continue;
		elf->syms[n].name = elf->strtab + st[i].st_name;
		elf->syms[n].value = st[i].st_value;
		elf->syms[n].size = st[i].st_size;
		n++;
	}
	elf->nsyms = n;
	free(st);
	return 0;
}

/*
 * Interpreter state that CPython keeps in file-static variables (3.8-3.11
 * pymalloc and tracemalloc): only the full symbol table (.symtab) of an
 * unstripped build names them. Read by name, kept when exactly one local
 * data symbol has that name; a stripped file simply lacks them.
 */
static const char *const static_syms[] = {
	"arenas", "maxarenas", "usable_arenas", "unused_arena_objects",
	"narenas_currently_allocated", "narenas_highwater",
	"ntimes_arena_allocated", "arena_map_root", "arena_map_mid_count",
	"arena_map_bot_count", "usedpools",
	"tracemalloc_traces", "tracemalloc_domains", "tracemalloc_tracebacks",
	"tracemalloc_filenames", "tracemalloc_traced_memory",
	"tracemalloc_peak_traced_memory", "tracemalloc_empty_traceback",
};

#define NSTATIC_SYMS (sizeof(static_syms) / sizeof(static_syms[0]))

static int
wanted_static(const char *s, size_t max)
{
	if (strnlen(s, max) == max)
		return -1;
	for (size_t k = 0; k < NSTATIC_SYMS; k++)
		if (strcmp(s, static_syms[k]) == 0)
			return (int)k;
	return -1;
}

/* Add the static_syms that .symtab defines once and .dynsym does not. */
static int
read_static_syms(struct file *f, const Elf64_Ehdr *eh, struct pm_elf *elf)
{
	uint64_t found[NSTATIC_SYMS], size[NSTATIC_SYMS];
	unsigned seen[NSTATIC_SYMS] = { 0 };
	Elf64_Shdr sh, link;
	Elf64_Sym *st = NULL;
	char *str = NULL;
	uint64_t shnum = eh->e_shnum, nsym = 0, i;
	size_t add = 0;
	int rc = -1;

	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr))
		return 0;
	if (shnum == 0) {
		if (rd(f, eh->e_shoff, &sh, sizeof(sh)) < 0)
			return -1;
		shnum = sh.sh_size;
	}
	if (shnum > f->size / sizeof(Elf64_Shdr))
		return 0;	/* find_sections accepted no such count */
	for (i = 1; i < shnum; i++) {
		if (rd(f, eh->e_shoff + i * sizeof(sh), &sh, sizeof(sh)) < 0)
			return -1;
		if (sh.sh_type == SHT_SYMTAB)
			break;
	}
	if (i == shnum)
		return 0;	/* stripped */
	if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link == 0 ||
	    sh.sh_link >= shnum)
		return bad(f, "corrupt .symtab section header");
	if (rd(f, eh->e_shoff + (uint64_t)sh.sh_link * sizeof(link), &link,
	    sizeof(link)) < 0)
		return -1;
	if (link.sh_type != SHT_STRTAB)
		return bad(f, "corrupt .strtab section header");
	nsym = sh.sh_size / sizeof(Elf64_Sym);
	if ((st = rd_alloc(f, sh.sh_offset, nsym * sizeof(*st), 0)) == NULL ||
	    (str = rd_alloc(f, link.sh_offset, link.sh_size, 1)) == NULL)
		goto out;
	str[link.sh_size] = '\0';
	for (i = 1; i < nsym; i++) {
		int k;
		if (ELF64_ST_TYPE(st[i].st_info) != STT_OBJECT ||
		    ELF64_ST_BIND(st[i].st_info) != STB_LOCAL ||
		    st[i].st_shndx == SHN_UNDEF || st[i].st_shndx == SHN_ABS ||
		    st[i].st_name == 0 || st[i].st_name >= link.sh_size)
			continue;
		k = wanted_static(str + st[i].st_name,
		    (size_t)(link.sh_size - st[i].st_name));
		if (k < 0)
			continue;
		found[k] = st[i].st_value;
		size[k] = st[i].st_size;
		seen[k]++;
	}
	for (size_t k = 0; k < NSTATIC_SYMS; k++)
		if (seen[k] == 1 && pm_elf_sym(elf, static_syms[k]) == NULL)
			add++;
	if (add > 0) {
		struct pm_elf_sym *v = realloc(elf->syms,
		    (elf->nsyms + add) * sizeof(*v));
		if (v == NULL) {
			pm_error(f->e, PM_EXIT_INPUT, "out of memory");
			goto out;
		}
		elf->syms = v;
		for (size_t k = 0; k < NSTATIC_SYMS; k++) {
			if (seen[k] != 1 || pm_elf_sym(elf, static_syms[k]))
				continue;
			v[elf->nsyms++] = (struct pm_elf_sym){
			    .name = static_syms[k], .value = found[k],
			    .size = size[k] };
		}
	}
	rc = 0;
out:
	free(st);
	free(str);
	return rc;
}

int
pm_elf_read(struct pm_elf *elf, int fd, const char *name, struct pm_err *e)
{
	struct file f = { .fd = fd, .name = name, .e = e };
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	struct stat st;
	uint64_t symoff = 0, nsym = 0, stroff = 0, strsz = 0;
	uint64_t pagemask;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t minoff = 0;
	int found = 0, have_load = 0, rc = -1;

	memset(elf, 0, sizeof(*elf));
	pagemask = pg > 0 ? (uint64_t)pg - 1 : 4095;
	if (fstat(fd, &st) < 0)
		return pm_error_errno(e, PM_EXIT_INPUT,
		    "cannot read ELF file '%s'", name);
	if (!S_ISREG(st.st_mode))
		return bad(&f, "not a regular file");
	f.size = (uint64_t)st.st_size;
	if (f.size < sizeof(eh))
		return bad(&f, "not an ELF file");
	if (rd(&f, 0, &eh, sizeof(eh)) < 0)
		return -1;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return bad(&f, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64))
		return bad(&f, "not a little-endian 64-bit x86-64 or aarch64 "
		    "ELF file");
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return bad(&f, "not an executable or shared object");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > MAX_PHNUM)
		return bad(&f, "corrupt program headers");
	elf->type = eh.e_type;
	elf->entry = eh.e_entry;

	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (ph == NULL)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	if (rd(&f, eh.e_phoff, ph, eh.e_phnum * sizeof(*ph)) < 0)
		goto out;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			elf->nsegs++;
	elf->segs = calloc(elf->nsegs ? elf->nsegs : 1, sizeof(*elf->segs));
	if (elf->segs == NULL) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto out;
	}
	elf->nsegs = 0;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		elf->segs[elf->nsegs++] = (struct pm_elf_seg){
			.offset = ph[i].p_offset, .vaddr = ph[i].p_vaddr,
			.filesz = ph[i].p_filesz, .memsz = ph[i].p_memsz,
			.flags = ph[i].p_flags & (PM_ELF_R | PM_ELF_W | PM_ELF_X) };
		if (!have_load || ph[i].p_offset < minoff) {
			minoff = ph[i].p_offset;
			elf->load_offset = ph[i].p_offset & ~pagemask;
			elf->load_vaddr = ph[i].p_vaddr & ~pagemask;
			have_load = 1;
		}
	}
	if (!have_load) {
		bad(&f, "no loadable segment");
		goto out;
	}
	if (find_sections(&f, &eh, &found, &symoff, &nsym, &stroff,
	    &strsz) < 0)
		goto out;
	if (!found && find_dynamic(&f, ph, eh.e_phnum, &symoff, &nsym,
	    &stroff, &strsz) < 0)
		goto out;
	if (read_syms(&f, elf, symoff, nsym, stroff, strsz) < 0)
		goto out;
	if (read_static_syms(&f, &eh, elf) < 0)
		goto out;
	rc = 0;
out:
	free(ph);
	if (rc < 0)
		pm_elf_release(elf);
	return rc;
}

void
pm_elf_release(struct pm_elf *elf)
{
	free(elf->syms);
	free(elf->strtab);
	free(elf->segs);
	memset(elf, 0, sizeof(*elf));
}

const struct pm_elf_seg *
pm_elf_seg_at(const struct pm_elf *elf, uint64_t off, uint64_t page)
{
	const struct pm_elf_seg *found = NULL;
	uint64_t mask = page - 1;

	for (size_t i = 0; i < elf->nsegs; i++) {
		const struct pm_elf_seg *g = &elf->segs[i];
		uint64_t lo = g->offset & ~mask, hi;

		if (g->offset > UINT64_MAX - mask ||
		    g->filesz > UINT64_MAX - mask - g->offset)
			continue;	/* corrupt: would wrap */
		hi = (g->offset + g->filesz + mask) & ~mask;
		if (lo == off)
			return g;	/* the mapping of this very segment */
		if (off >= lo && off < hi)
			found = g;
	}
	return found;
}

const struct pm_elf_sym *
pm_elf_sym(const struct pm_elf *elf, const char *name)
{
	for (size_t i = 0; i < elf->nsyms; i++)
		if (strcmp(elf->syms[i].name, name) == 0)
			return &elf->syms[i];
	return NULL;
}

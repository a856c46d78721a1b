/*
 * elfsym.h - the little pmtools needs from an ELF64 file: its exported data
 * symbols and where it was loaded.
 *
 * The file is input and may be hostile or truncated: every offset, size
 * and count read from it is checked against the file before use, and only
 * the headers, .dynsym and its string table are read (with pread, never
 * mmap, so a file truncated under us cannot raise SIGBUS).
 *
 * Symbols come from .dynsym, found through the section headers or, when
 * those are missing (sstrip), through PT_DYNAMIC (DT_SYMTAB, DT_STRTAB,
 * DT_STRSZ and the symbol count from DT_HASH or DT_GNU_HASH). From the
 * full table (.symtab, when not stripped) only a fixed list of file-static
 * variables is taken: the pymalloc and tracemalloc state of 3.8-3.11.
 *
 * Load bias: the kernel maps the PT_LOAD segment that holds file offset
 * load_offset at a page-aligned address; the target's /proc/PID/maps shows
 * that mapping with the same file offset. Then
 *
 *	bias = mapping start - load_vaddr
 *
 * and a symbol's address in the target is bias + value.
 */
#ifndef PM_ELFSYM_H
#define PM_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct pm_err;

struct pm_elf_sym {
	const char *name;	/* into pm_elf.strtab, or a static string */
	uint64_t value;		/* st_value, a link-time address */
	uint64_t size;		/* st_size */
};

/* Bits of pm_elf_seg.flags: p_flags of a PT_LOAD */
enum pm_elf_seg_flags {
	PM_ELF_X = 1 << 0,
	PM_ELF_W = 1 << 1,
	PM_ELF_R = 1 << 2,
};

/* A PT_LOAD segment, as the program header gives it. */
struct pm_elf_seg {
	uint64_t offset, vaddr;	/* p_offset, p_vaddr */
	uint64_t filesz, memsz;
	uint32_t flags;		/* enum pm_elf_seg_flags */
};

struct pm_elf {
	uint16_t type;		/* ET_EXEC or ET_DYN */
	uint64_t entry;		/* e_entry, a link-time address */
	uint64_t load_offset;	/* page-aligned p_offset of the first PT_LOAD */
	uint64_t load_vaddr;	/* page-aligned p_vaddr of that PT_LOAD */
	size_t nsegs;
	struct pm_elf_seg *segs;	/* PT_LOAD segments, file order */
	size_t nsyms;
	struct pm_elf_sym *syms;	/* defined STT_OBJECT symbols, file order,
				   then the statics CPython state lives in */
	char *strtab;		/* NUL-terminated copy of the dynamic strings */
	size_t strsz;
};

/*
 * Read the ELF64 file open on fd (not closed); name is used in messages.
 * The file must be a little-endian x86-64 or aarch64 ELF64 of type
 * ET_EXEC or ET_DYN with a PT_LOAD segment. A file without a dynamic
 * symbol table has nsyms 0. Returns 0, or -1 with e filled (status
 * PM_EXIT_INPUT). Release with pm_elf_release.
 */
int pm_elf_read(struct pm_elf *elf, int fd, const char *name,
    struct pm_err *e);

/* Release what pm_elf_read gave elf. */
void pm_elf_release(struct pm_elf *elf);

/*
 * The PT_LOAD segment a mapping of the file at offset off (a multiple of
 * page, a power of two) belongs to: the segment whose first page is at
 * off, else the last whose pages (p_offset to p_offset + p_filesz rounded
 * out to page) hold off. NULL when none does.
 */
const struct pm_elf_seg *pm_elf_seg_at(const struct pm_elf *elf,
    uint64_t off, uint64_t page);

/* The defined data symbol called name, or NULL. */
const struct pm_elf_sym *pm_elf_sym(const struct pm_elf *elf,
    const char *name);

#endif

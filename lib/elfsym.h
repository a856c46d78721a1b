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
 * DT_STRSZ and the symbol count from DT_HASH or DT_GNU_HASH).
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
	const char *name;	/* points into pm_elf.strtab */
	uint64_t value;		/* st_value, a link-time address */
	uint64_t size;		/* st_size */
};

struct pm_elf {
	uint16_t type;		/* ET_EXEC or ET_DYN */
	uint64_t load_offset;	/* page-aligned p_offset of the first PT_LOAD */
	uint64_t load_vaddr;	/* page-aligned p_vaddr of that PT_LOAD */
	size_t nsyms;
	struct pm_elf_sym *syms;	/* defined STT_OBJECT symbols, file order */
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

/* The defined data symbol called name, or NULL. */
const struct pm_elf_sym *pm_elf_sym(const struct pm_elf *elf,
    const char *name);

#endif

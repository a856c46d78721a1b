/*
 * core.h - turn an ELF core file of a CPython process (from gcore or the
 * kernel, systemd-coredump) into a snapshot, as if pm_capture had taken
 * it from the live process.
 *
 * The core is hostile input: every header, note and segment is checked
 * against the file before it is used, and the memory it makes us allocate
 * is bounded by the size of the core and of the files it names.
 *
 * What the core gives:
 *  - the memory of its PT_LOAD segments (executable ones are left out, as
 *    pm_capture leaves out executable mappings);
 *  - the mapped files of its NT_FILE note (start, end, file offset, name),
 *    which name the mappings and lead to the interpreter's symbols;
 *  - the thread ids of its NT_PRSTATUS notes and the pid of NT_PRPSINFO;
 *  - the entry point in NT_AUXV, which tells the executable among the
 *    mapped files (and its load bias when the core has no NT_FILE note).
 *
 * Cores leave out memory that the files hold (read-only file mappings,
 * such as libpython's .rodata where type names live, and file mappings
 * never written, or all but their first page): those parts are read from
 * the files named in NT_FILE at their file offsets, only for the
 * executable and shared objects, and only where the file's own PT_LOAD
 * for that offset is not executable. A file whose first page differs from
 * the core's copy of it is reported through o->warn (not the file the
 * process had mapped).
 *
 * Files are opened as named in the core, under o->sysroot when given; the
 * executable is o->exe when given.
 */
#ifndef PM_CORE_H
#define PM_CORE_H

struct pm_capture_opts;
struct pm_err;
struct pm_snap;

/*
 * Read the core file at path into out: pid, threads, exe, time_ns (the
 * core's modification time), flags PM_SNAP_FROM_CORE, the mappings
 * sorted by address, the interpreter's symbols and the Python version.
 * o may be NULL. Returns 0, or -1 with e filled (PM_EXIT_INPUT: cannot
 * open, not a core, corrupt, not a Python process). Release out with
 * pm_capture_release.
 */
int pm_core_read(const char *path, struct pm_snap *out,
    const struct pm_capture_opts *o, struct pm_err *e);

#endif

/*
 * capture.h - snapshot a live CPython process (what pm-dump does), and
 * what the live capture and the core file reader (core.h) share: finding
 * the interpreter among the files a process has mapped.
 *
 * pm_capture finds the interpreter among the target's mapped ELF files
 * (libpython3.X.so* or the executable, whichever defines _PyRuntime in
 * its .dynsym), stops every thread of the target with PTRACE_SEIZE and
 * PTRACE_INTERRUPT (never SIGSTOP), copies the wanted mappings with
 * process_vm_readv (falling back to /proc/PID/mem page by page), and
 * detaches at once. Nothing is written into the target.
 *
 * The target is never left stopped by us: every error after the first
 * seize detaches what was attached, SIGINT, SIGTERM, SIGHUP, SIGQUIT and
 * SIGTSTP are blocked while the target is stopped (and the old mask is
 * restored after the detach), and if the caller dies anyway (SIGKILL)
 * the kernel detaches ptrace-seized threads itself. A target that was
 * already in a group-stop (state T, stopped by SIGSTOP from someone else)
 * stays stopped: the kernel re-enters the group-stop on PTRACE_DETACH
 * while the group's stop is in effect, and a stop signal that arrives
 * during the capture is handed back on detach.
 *
 * Files of the target are opened as /proc/PID/root/PATH, so a process in
 * another mount namespace (a container) works; then as PATH itself (a
 * chroot seen from the host, where the maps show host paths); and through
 * /proc/PID/map_files when neither is the very file mapped (deleted or
 * replaced on disk). A file counts as the one mapped when its inode is
 * the one /proc/PID/maps shows.
 *
 * Wanted mappings: readable, not executable, not [vvar], [vsyscall],
 * [vdso] and the like, not device files under /dev (but /dev/zero and
 * /dev/shm are kept); read-only file mappings only when they belong to an
 * ELF object (the executable, *.so, *.so.*), whose read-only data holds
 * type names and other constants. Pages that cannot be read at all are
 * left out by splitting their mapping.
 *
 * When no mapped file defines _PyRuntime (a stripped or statically
 * linked interpreter without exported symbols) but a file name tells the
 * version (python3.X, libpython3.X), the interpreter is found by scanning
 * the copy: PyType_Type is the static object whose type is itself and
 * whose tp_name is "type"; the other static types are the objects of type
 * type with a known tp_name in the same file's data; _PyRuntime is where
 * interpreters.head leads to an interpreter whose thread state points
 * back to it and whose modules are a dict (3.13: the _Py_DebugOffsets
 * cookie "xdebugpy" marks it). The opts->warn callback is told.
 */
#ifndef PM_CAPTURE_H
#define PM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "elfsym.h"

struct pm_err;
struct pm_snap;

struct pm_capture_opts {
	/*
	 * Called with one line of detail (no newline) about the capture:
	 * which file holds the interpreter, what was skipped. May be NULL.
	 * It is never called while the target is stopped.
	 */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	/*
	 * Called with one line the user should see even when quiet: the
	 * interpreter was found by the heuristic scan, a file differs from
	 * the one in a core. May be NULL.
	 */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* Core files only (core.h): the executable to read instead of the
	 * one the core names, and a directory the core's file names are
	 * taken relative to. NULL when not given. */
	const char *exe;
	const char *sysroot;
};

/*
 * Capture the process pid into out: header facts (pid, time_ns, pause_us,
 * exe, py_version), the interpreter's defined data symbols relocated to
 * target addresses and sorted by name, the thread ids (pid first), and the
 * copied mappings sorted by address. o may be NULL.
 *
 * Returns 0, or -1 with e filled: PM_EXIT_TARGET when the process cannot
 * be read (no such process, permission: the message names ptrace_scope
 * and CAP_SYS_PTRACE, or the tracer already attached), PM_EXIT_INPUT when
 * it is not a Python process or runs a version outside 3.8 to 3.13.
 * Release out with pm_capture_release, not pm_snap_close.
 */
int pm_capture(int pid, struct pm_snap *out, const struct pm_capture_opts *o,
    struct pm_err *e);

/* Release what pm_capture (or pm_core_read) gave s. */
void pm_capture_release(struct pm_snap *s);

/*
 * The one process whose name (/proc/PID/comm) or command line (arguments
 * joined by spaces) matches pattern, a POSIX extended regular expression.
 * This process and its ancestors, zombies and kernel threads are not
 * candidates. Returns 0 with *pid set; -1 with e filled: PM_EXIT_TARGET
 * when nothing matches, PM_EXIT_INPUT when the pattern is invalid or
 * matches more than one process (the message lists them).
 */
int pm_capture_find(const char *pattern, int *pid, struct pm_err *e);

/*
 * The pid in the file path (a pid file: a decimal number, blanks around
 * it allowed). Returns 0, or -1 with e filled (PM_EXIT_INPUT).
 */
int pm_capture_pidfile(const char *path, int *pid, struct pm_err *e);

/* ---- shared with core.c ---- */

/* One mapping of a file in the target. */
struct pm_mapfile {
	uint64_t start, end;	/* target addresses, [start, end) */
	uint64_t offset;	/* file offset of start */
	uint64_t inode;		/* as the target saw it; 0 when unknown */
	const char *path;	/* as the target named it */
};

/*
 * Is a mapping with these prot bits (enum pm_prot_flags) and path (as
 * /proc/PID/maps shows it) one a snapshot keeps? exe is the executable's
 * path. The rules are at the top of this file.
 */
int pm_mapping_wanted(uint32_t prot, const char *path, const char *exe);

/* Open the file of mapping m: a descriptor, or -1 with errno set. */
typedef int (*pm_openfile_fn)(void *arg, const struct pm_mapfile *m);

struct pm_interp {
	struct pm_elf elf;	/* the file defining _PyRuntime */
	char *path;		/* its name as mapped; NULL when not found */
	uint64_t bias;		/* target address - link-time address */
	unsigned minor;		/* 3.minor from a file name, 0 if none */
};

/*
 * Find the interpreter among the mapped files v[0..n): the first
 * libpython3.X, then the file called exe, whose .dynsym defines
 * _PyRuntime; its load bias comes from the mapping of its first PT_LOAD.
 * Returns 1 with in filled; 0 when no file defines it (in->minor may
 * still hold a version from a file name: python3.X, libpython3.X); -1
 * with e filled when out of memory. Release in with pm_interp_release.
 */
int pm_interp_find(struct pm_interp *in, const struct pm_mapfile *v,
    size_t n, const char *exe, pm_openfile_fn open_fn, void *open_arg,
    const struct pm_capture_opts *o, struct pm_err *e);

void pm_interp_release(struct pm_interp *in);

/*
 * Complete s, whose mappings are in place: the interpreter's data
 * symbols relocated (when in->path is set), or those found by the
 * heuristic scan (when it is not: o->warn is told); then py_version from
 * Py_Version, or else in->minor, checked to be 3.8 to 3.13. what names
 * the target in messages ("pid 42", "core 'x'"). Returns 0, or -1 with e
 * filled (PM_EXIT_INPUT).
 */
int pm_interp_finish(struct pm_snap *s, const struct pm_interp *in,
    const char *what, const struct pm_capture_opts *o, struct pm_err *e);

#endif

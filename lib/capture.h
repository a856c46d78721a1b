/*
 * capture.h - snapshot a live CPython process (what pm-dump does).
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
 * another mount namespace (a container) works, and through
 * /proc/PID/map_files when that path names a different file (deleted or
 * replaced on disk).
 *
 * Wanted mappings: readable, not executable, not [vvar], [vsyscall],
 * [vdso] and the like, not device files under /dev (but /dev/zero and
 * /dev/shm are kept); read-only file mappings only when they belong to an
 * ELF object (the executable, *.so, *.so.*), whose read-only data holds
 * type names and other constants. Pages that cannot be read at all are
 * left out by splitting their mapping.
 */
#ifndef PM_CAPTURE_H
#define PM_CAPTURE_H

#include <stdint.h>

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

/* Release what pm_capture gave s. */
void pm_capture_release(struct pm_snap *s);

#endif

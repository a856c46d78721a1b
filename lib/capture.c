/*
 * capture.c - stop a live process, copy its data mappings, let it go.
 *
 * Order of work, so that the target is stopped as briefly as possible:
 *  1. read /proc/PID/maps, find the interpreter's ELF file, its symbols
 *     and its load bias, check the Python version by the file name;
 *  2. allocate and pre-fault a buffer for every wanted mapping;
 *  3. stop all threads (seize + interrupt, relisting /proc/PID/task until
 *     no new thread shows up), read the maps again, copy, detach;
 *  4. only then fix up: split around unreadable pages, relocate symbols,
 *     read Py_Version from the copy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"
#include "capture.h"
#include "elfsym.h"
#include "pylayout.h"
#include "snapshot.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define MAX_ROUNDS 1000		/* relists of /proc/PID/task */
#define MAX_IOV 1024		/* IOV_MAX on Linux */

/* ---- small /proc helpers ---- */

/* Read a whole (small or large) /proc file into a NUL-terminated buffer. */
static char *
slurp(const char *path, size_t *lenp)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || buf == NULL) {
		int errnum = fd < 0 ? errno : ENOMEM;
		if (fd >= 0)
			close(fd);
		free(buf);
		errno = errnum;
		return NULL;
	}
	for (;;) {
		ssize_t n;
		if (cap - len < 4096) {
			if (cap > SIZE_MAX / 2 || (nb = realloc(buf, cap * 2)) == NULL) {
				close(fd);
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int errnum = errno;
			close(fd);
			free(buf);
			errno = errnum;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/* The value of "Key:" in /proc/PID/status (or task status), or -1. */
static long
status_field(const char *path, const char *key, char *text, size_t textsz)
{
	char *s = slurp(path, NULL), *p, *end;
	size_t klen = strlen(key);
	long v = -1;

	if (s == NULL)
		return -1;
	for (p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || p[klen] != ':')
			continue;
		p += klen + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (text) {
			size_t n = strcspn(p, "\n");
			if (n >= textsz)
				n = textsz - 1;
			memcpy(text, p, n);
			text[n] = '\0';
		}
		v = strtol(p, &end, 10);
		if (end == p)
			v = 0;
		break;
	}
	free(s);
	return v;
}

static int
no_such_process(struct pm_err *e, int pid)
{
	return pm_error(e, PM_EXIT_TARGET, "cannot attach to pid %d: %s", pid,
	    strerror(ESRCH));
}

/* EPERM: name the tracer already attached, or ptrace_scope. */
static int
not_permitted(struct pm_err *e, int pid, int tid)
{
	char path[64], comm[64] = "?", scope[16] = "";
	long tracer;
	char *s;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	/* An exiting process (a zombie, or gone) refuses to be seized. */
	{
		char state[8] = "";
		if (access(path, F_OK) < 0 ||
		    (status_field(path, "State", state, sizeof(state)),
		    state[0] == 'Z' || state[0] == 'X'))
			return pm_error(e, PM_EXIT_TARGET, "cannot read pid %d: "
			    "it exited during the capture", pid);
	}
	tracer = status_field(path, "TracerPid", NULL, 0);
	if (tracer > 0 && tracer != getpid()) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
		if ((s = slurp(path, NULL)) != NULL) {
			s[strcspn(s, "\n")] = '\0';
			snprintf(comm, sizeof(comm), "%s", s);
			free(s);
		}
		return pm_error(e, PM_EXIT_TARGET, "cannot attach to pid %d: "
		    "already traced by pid %ld (%s)", pid, tracer, comm);
	}
	if ((s = slurp("/proc/sys/kernel/yama/ptrace_scope", NULL)) != NULL) {
		s[strcspn(s, "\n")] = '\0';
		snprintf(scope, sizeof(scope), "%s", s);
		free(s);
		return pm_error(e, PM_EXIT_TARGET, "cannot attach to pid %d: "
		    "%s (/proc/sys/kernel/yama/ptrace_scope is %s; run with "
		    "CAP_SYS_PTRACE, or as the target's user with "
		    "ptrace_scope 0)", pid, strerror(EPERM), scope);
	}
	return pm_error(e, PM_EXIT_TARGET, "cannot attach to pid %d: %s (run "
	    "as the target's user or with CAP_SYS_PTRACE; see "
	    "/proc/sys/kernel/yama/ptrace_scope)", pid, strerror(EPERM));
}

static int
proc_error(struct pm_err *e, int pid, const char *what)
{
	if (errno == ENOENT || errno == ESRCH)
		return no_such_process(e, pid);
	if (errno == EACCES || errno == EPERM)
		return not_permitted(e, pid, pid);
	return pm_error_errno(e, PM_EXIT_TARGET, "cannot read %s of pid %d",
	    what, pid);
}

static void
logf_(const struct pm_capture_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
logf_(const struct pm_capture_opts *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (o == NULL || o->log == NULL)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= 0)
		o->log(o->log_arg, buf);
	va_end(ap);
}

/* ---- /proc/PID/maps ---- */

struct mapline {
	uint64_t start, end, offset, inode;
	uint32_t prot;		/* enum pm_prot_flags */
	char perms[5];
	const char *path;	/* into maps.text; "" for anonymous */
};

struct maps {
	char *text;
	size_t n;
	struct mapline *v;
};

static void
maps_free(struct maps *m)
{
	free(m->text);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int
maps_read(struct maps *m, int pid, struct pm_err *e)
{
	char path[64], *line, *next;
	size_t len, cap = 0;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((m->text = slurp(path, &len)) == NULL)
		return proc_error(e, pid, "the memory map");
	for (line = m->text; *line; line = next) {
		struct mapline *l;
		int pos = -1;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (m->n == cap) {
			struct mapline *nv;
			cap = cap ? cap * 2 : 256;
			nv = realloc(m->v, cap * sizeof(*nv));
			if (nv == NULL) {
				maps_free(m);
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			}
			m->v = nv;
		}
		l = &m->v[m->n];
		memset(l, 0, sizeof(*l));
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64
		    " %*x:%*x %" SCNu64 " %n", &l->start, &l->end, l->perms,
		    &l->offset, &l->inode, &pos) < 5 || pos < 0 ||
		    l->end <= l->start || strlen(l->perms) != 4) {
			maps_free(m);
			return pm_error(e, PM_EXIT_TARGET,
			    "cannot parse the memory map of pid %d", pid);
		}
		l->path = line + pos;
		if (l->perms[0] == 'r')
			l->prot |= PM_PROT_READ;
		if (l->perms[1] == 'w')
			l->prot |= PM_PROT_WRITE;
		if (l->perms[2] == 'x')
			l->prot |= PM_PROT_EXEC;
		if (l->perms[3] == 'p')
			l->prot |= PM_PROT_PRIVATE;
		m->n++;
	}
	return 0;
}

static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Length of path without a " (deleted)" suffix. */
static size_t
path_len(const char *path)
{
	static const char del[] = " (deleted)";
	size_t n = strlen(path), d = sizeof(del) - 1;

	if (n > d && strcmp(path + n - d, del) == 0)
		return n - d;
	return n;
}

/* An ELF object by name: *.so or *.so.* */
static int
is_so_name(const char *path)
{
	char base[PATH_MAX];
	size_t n = path_len(path);
	const char *b;

	if (n >= sizeof(base))
		return 0;
	memcpy(base, path, n);
	base[n] = '\0';
	b = basename_of(base);
	n = strlen(b);
	return (n > 3 && strcmp(b + n - 3, ".so") == 0) || strstr(b, ".so.");
}

static int
same_path(const char *mpath, const char *exe)
{
	size_t n = path_len(mpath);

	return exe[0] && n == path_len(exe) && strncmp(mpath, exe, n) == 0;
}

/* ---- finding the interpreter (shared with core.c) ---- */

int
pm_mapping_wanted(uint32_t prot, const char *path, const char *exe)
{
	static const char *const special[] = { "[vvar]", "[vvar_vclock]",
	    "[vsyscall]", "[vdso]", "[uprobes]", NULL };

	if (!(prot & PM_PROT_READ) || (prot & PM_PROT_EXEC))
		return 0;
	for (int i = 0; special[i]; i++)
		if (strcmp(path, special[i]) == 0)
			return 0;
	if (strncmp(path, "/dev/", 5) == 0 && strncmp(path, "/dev/zero", 9) != 0 &&
	    strncmp(path, "/dev/shm/", 9) != 0)
		return 0;
	if (path[0] == '/' && !(prot & PM_PROT_WRITE))
		return is_so_name(path) || same_path(path, exe);
	return 1;
}

static int
wanted(const struct mapline *l, const char *exe)
{
	return pm_mapping_wanted(l->prot, l->path, exe);
}

/* Is fd the file with inode ino? */
static int
same_inode(int fd, uint64_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_ino == ino;
}

/*
 * Open a file of the live target, preferring the very inode it has
 * mapped: through its root (a container's mount namespace), as named (a
 * chroot, whose maps show host paths), then the mapping itself.
 */
static int
open_target_file(void *arg, const struct pm_mapfile *m)
{
	int pid = *(const int *)arg;
	char p[PATH_MAX + 64];
	size_t n = path_len(m->path);
	int fd = -1, fd2;

	if (n < PATH_MAX && snprintf(p, sizeof(p), "/proc/%d/root%.*s", pid,
	    (int)n, m->path) < (int)sizeof(p)) {
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0 && same_inode(fd, m->inode))
			return fd;
	}
	if (n < PATH_MAX && m->path[0] == '/') {
		memcpy(p, m->path, n);
		p[n] = '\0';
		fd2 = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd2 >= 0 && same_inode(fd2, m->inode)) {
			if (fd >= 0)
				close(fd);
			return fd2;
		}
		if (fd2 >= 0)
			close(fd2);
	}
	/* Deleted or replaced on disk: the mapping itself still has it. */
	snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
	    m->start, m->end);
	fd2 = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd2 >= 0) {
		if (fd >= 0)
			close(fd);
		return fd2;
	}
	return fd;		/* best effort: the file by name */
}

static unsigned
minor_from_name(const char *path)
{
	const char *b = basename_of(path), *p = strstr(b, "python3.");
	unsigned v = 0;

	if (p == NULL)
		return 0;
	for (p += 8; *p >= '0' && *p <= '9' && v < 1000; p++)
		v = v * 10 + (unsigned)(*p - '0');
	return v;
}

static int
is_libpython(const char *path)
{
	return strncmp(basename_of(path), "libpython3.", 11) == 0 &&
	    is_so_name(path);
}

static int
same_name(const char *a, const char *b)
{
	size_t n = path_len(a);

	return n == path_len(b) && strncmp(a, b, n) == 0;
}

/*
 * Try the file of mapping v[i]: when its .dynsym defines _PyRuntime,
 * fill in and return 1; 0 when it does not; -1 when out of memory.
 */
static int
try_interp(struct pm_interp *in, const struct pm_mapfile *v, size_t n,
    size_t i, pm_openfile_fn open_fn, void *open_arg,
    const struct pm_capture_opts *o)
{
	const struct pm_mapfile *l = &v[i];
	struct pm_err e2;
	int fd = open_fn(open_arg, l);

	if (fd < 0) {
		logf_(o, "cannot open '%s': %s", l->path, strerror(errno));
		return 0;
	}
	if (pm_elf_read(&in->elf, fd, l->path, &e2) < 0) {
		close(fd);
		logf_(o, "%s", e2.msg);
		return 0;
	}
	close(fd);
	if (pm_elf_sym(&in->elf, "_PyRuntime") == NULL) {
		pm_elf_release(&in->elf);
		return 0;
	}
	/* The mapping of this file at the first PT_LOAD's offset. */
	for (size_t k = 0; k < n; k++) {
		if (v[k].offset != in->elf.load_offset ||
		    !same_name(v[k].path, l->path))
			continue;
		in->bias = v[k].start - in->elf.load_vaddr;
		if ((in->path = strdup(l->path)) == NULL) {
			pm_elf_release(&in->elf);
			return -1;
		}
		return 1;
	}
	logf_(o, "'%s' defines _PyRuntime but its first segment is not "
	    "mapped", l->path);
	pm_elf_release(&in->elf);
	return 0;
}

/* Files tried per pass, at most: a hostile core may name many. */
#define MAX_TRIES 16

int
pm_interp_find(struct pm_interp *in, const struct pm_mapfile *v, size_t n,
    const char *exe, pm_openfile_fn open_fn, void *open_arg,
    const struct pm_capture_opts *o, struct pm_err *e)
{
	memset(in, 0, sizeof(*in));
	/* libpython first (an embedding executable does not define it), then
	 * the executable. Each file once. */
	for (int pass = 0; pass < 2; pass++) {
		const char *tried[MAX_TRIES];
		size_t ntried = 0;

		for (size_t i = 0; i < n && ntried < MAX_TRIES; i++) {
			const struct pm_mapfile *l = &v[i];
			int r, seen = 0;
			if (l->path[0] != '/')
				continue;
			if (pass == 0 ? !is_libpython(l->path) :
			    !same_path(l->path, exe))
				continue;
			if (in->minor == 0)
				in->minor = minor_from_name(l->path);
			for (size_t j = 0; j < ntried && !seen; j++)
				seen = strcmp(tried[j], l->path) == 0;
			if (seen)
				continue;
			tried[ntried++] = l->path;
			r = try_interp(in, v, n, i, open_fn, open_arg, o);
			if (r < 0)
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			if (r > 0) {
				in->minor = minor_from_name(l->path);
				return 1;
			}
		}
	}
	return 0;
}

void
pm_interp_release(struct pm_interp *in)
{
	pm_elf_release(&in->elf);
	free(in->path);
	memset(in, 0, sizeof(*in));
}

static int
check_version(const char *what, uint32_t v, const char *path,
    struct pm_err *e)
{
	unsigned major = v >> 24 & 0xff, minor = v >> 16 & 0xff;

	if (v == 0)
		return pm_error(e, PM_EXIT_INPUT, "cannot tell which Python "
		    "version %s runs ('%s' has no version in its name and "
		    "no Py_Version symbol)", what, path);
	if (major != 3 || minor < 8 || minor > 13)
		return pm_error(e, PM_EXIT_INPUT, "%s runs Python %u.%u, "
		    "which pmtools does not support (3.8 to 3.13)", what, major,
		    minor);
	return 0;
}

/* ---- stopping and resuming threads ---- */

enum thr_state { T_SEIZED, T_STOPPED, T_DETACHED, T_GONE };

struct thr {
	pid_t tid;
	enum thr_state state;
	int sig;		/* signal to hand back on detach */
	int group_stop;		/* reported a group-stop */
};

struct tracer {
	int pid;
	struct thr *v;
	size_t n, cap;
	int started;
	struct timespec t0, t1;
};

static int
cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* The thread ids in /proc/PID/task, sorted. */
static int
list_tasks(int pid, pid_t **tids, size_t *n)
{
	char path[64];
	struct dirent *d;
	size_t cap = 0;
	DIR *dir;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((errno = 0, d = readdir(dir)) != NULL) {
		char *end;
		long t = strtol(d->d_name, &end, 10);
		if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end ||
		    t <= 0 || t > INT_MAX)
			continue;
		if (*n == cap) {
			pid_t *nt;
			cap = cap ? cap * 2 : 64;
			if ((nt = realloc(*tids, cap * sizeof(*nt))) == NULL) {
				closedir(dir);
				errno = ENOMEM;
				return -1;
			}
			*tids = nt;
		}
		(*tids)[(*n)++] = (pid_t)t;
	}
	if (errno) {
		int errnum = errno;
		closedir(dir);
		errno = errnum;
		return -1;
	}
	closedir(dir);
	if (*n)
		qsort(*tids, *n, sizeof(**tids), cmp_tid);
	return 0;
}

static struct thr *
find_thr(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].tid == tid)
			return &t->v[i];
	return NULL;
}

static int
is_zombie(int pid, pid_t tid)
{
	char path[64], state[16];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (status_field(path, "State", state, sizeof(state)) < 0)
		return 1;	/* gone */
	return state[0] == 'Z' || state[0] == 'X';
}

/*
 * Wait until th reports its stop (or its end). Polled, not blocking: a
 * thread group leader that exits while its other threads are stopped
 * never reports, and a thread stuck in uninterruptible sleep may take
 * long; the first is noticed as a zombie, the second gives up after
 * STOP_TIMEOUT_MS.
 */
#define STOP_TIMEOUT_MS 10000

static int
wait_stop(struct thr *th, struct pm_err *e, int pid)
{
	struct timespec nap = { 0, 50000 };	/* 50 us */
	long spins = 0;
	int st;

	for (;;) {
		pid_t r = waitpid(th->tid, &st, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == ECHILD) {	/* reaped or gone */
				th->state = T_GONE;
				return 0;
			}
			return pm_error_errno(e, PM_EXIT_TARGET,
			    "cannot wait for thread %d of pid %d", th->tid, pid);
		}
		if (r == 0) {
			spins++;
			if (spins < 200) {
				sched_yield();
				continue;
			}
			if (spins % 200 == 0 && is_zombie(pid, th->tid)) {
				th->state = T_GONE;
				return 0;
			}
			if (spins > 200 + STOP_TIMEOUT_MS * 20)
				return pm_error(e, PM_EXIT_TARGET, "cannot stop "
				    "pid %d: thread %d does not stop (blocked "
				    "in the kernel?)", pid, th->tid);
			nanosleep(&nap, NULL);
			continue;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			th->state = T_GONE;
			return 0;
		}
		if (!WIFSTOPPED(st))
			continue;
		th->state = T_STOPPED;
		if ((st >> 16) == PTRACE_EVENT_STOP) {
			/* Our interrupt, or a group-stop (SIGSTOP and co). */
			int sig = WSTOPSIG(st);
			th->group_stop = sig == SIGSTOP || sig == SIGTSTP ||
			    sig == SIGTTIN || sig == SIGTTOU;
		} else if ((st >> 16) == 0) {
			/* Signal-delivery-stop: hand the signal back. */
			th->sig = WSTOPSIG(st);
		}
		return 0;
	}
}

/*
 * Detach every thread we attached. A thread seized and interrupted but
 * not yet waited for is waited for first (PTRACE_DETACH needs a stopped
 * tracee). Keeps going past errors: the target must run again.
 */
static void
detach_all(struct tracer *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct thr *th = &t->v[i];
		if (th->state == T_SEIZED && wait_stop(th, NULL, t->pid) < 0)
			continue;
		if (th->state != T_STOPPED)
			continue;
		if (ptrace(PTRACE_DETACH, th->tid, NULL,
		    (void *)(intptr_t)th->sig) == 0)
			th->state = T_DETACHED;
		else if (errno == ESRCH)
			th->state = T_GONE;
	}
	if (t->started)
		clock_gettime(CLOCK_MONOTONIC, &t->t1);
}

static int
add_thr(struct tracer *t, pid_t tid)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct thr *nv = realloc(t->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = (struct thr){ .tid = tid, .state = T_SEIZED };
	return 0;
}

/* Stop every thread of t->pid; on error the caller calls detach_all. */
static int
stop_all(struct tracer *t, struct pm_err *e)
{
	pid_t *tids = NULL;
	size_t ntids;
	int rc = -1;

	for (int round = 0;; round++) {
		size_t fresh = 0;

		if (round >= MAX_ROUNDS) {
			pm_error(e, PM_EXIT_TARGET, "cannot stop pid %d: new "
			    "threads keep appearing", t->pid);
			goto out;
		}
		if (list_tasks(t->pid, &tids, &ntids) < 0) {
			if (errno == ENOENT)
				no_such_process(e, t->pid);
			else
				pm_error_errno(e, PM_EXIT_TARGET, "cannot list "
				    "the threads of pid %d", t->pid);
			goto out;
		}
		for (size_t i = 0; i < ntids; i++) {
			pid_t tid = tids[i];
			if (find_thr(t, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
				if (errno == ESRCH && tid != t->pid)
					continue;	/* exited meanwhile */
				if (errno == ESRCH) {
					no_such_process(e, t->pid);
					goto out;
				}
				if (errno == EPERM && (tid != t->pid ||
				    ntids > 1) && is_zombie(t->pid, tid))
					continue;	/* exited (leader) thread */
				if (errno == EPERM)
					not_permitted(e, t->pid, tid);
				else
					pm_error_errno(e, PM_EXIT_TARGET,
					    "cannot attach to pid %d (thread "
					    "%d)", t->pid, tid);
				goto out;
			}
			if (add_thr(t, tid) < 0) {
				/* Seized but not interrupted: it runs on,
				 * and the detach below skips it until it is
				 * interrupted. Interrupt it so it can be. */
				if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) == 0) {
					int st;
					while (waitpid(tid, &st, __WALL) < 0 &&
					    errno == EINTR)
						;
					ptrace(PTRACE_DETACH, tid, NULL, NULL);
				}
				pm_error(e, PM_EXIT_INPUT, "out of memory");
				goto out;
			}
			if (!t->started) {
				clock_gettime(CLOCK_MONOTONIC, &t->t0);
				t->started = 1;
			}
			if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
				if (errno == ESRCH) {
					/* Exited between seize and interrupt:
					 * waitpid reaps its exit. */
					continue;
				}
				pm_error_errno(e, PM_EXIT_TARGET, "cannot stop "
				    "thread %d of pid %d", tid, t->pid);
				goto out;
			}
			fresh++;
		}
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].state == T_SEIZED &&
			    wait_stop(&t->v[i], e, t->pid) < 0)
				goto out;
		if (fresh == 0)
			break;
	}
	rc = -1;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].state == T_STOPPED)
			rc = 0;
	if (rc < 0)
		no_such_process(e, t->pid);
out:
	free(tids);
	return rc;
}

/* ---- copying memory ---- */

struct hole {
	uint64_t start, end;
};

struct job {
	const struct mapline *l;
	unsigned char *buf;
	uint64_t len;
	struct hole *holes;	/* unreadable page ranges, in order */
	size_t nholes;
};

/*
 * The copy is split into pieces of at most PIECE bytes (a mapping may
 * give many), and consecutive pieces are grouped into segments of about
 * PIECE bytes, one process_vm_readv call each. Worker threads take
 * segments in turn, so a big heap is copied by all processors at once.
 */
#define PIECE (16u << 20)
#define MAX_WORKERS 8

struct piece {
	struct job *j;
	uint64_t off, len;	/* within the job */
	struct hole *holes;	/* unreadable pages of this piece */
	size_t nholes;
};

struct copier {
	int pid;
	int memfd;		/* /proc/PID/mem, or -1 */
	uint64_t page;
	struct piece *pieces;
	size_t npieces;
	size_t *segs;		/* segment k is pieces [segs[k], segs[k+1]) */
	size_t nsegs;
	atomic_size_t next;	/* next segment to take */
	atomic_int no_vm_readv;	/* process_vm_readv not allowed here */
	atomic_int err;		/* -1 out of memory, -2 target gone */
};

static int
add_hole(struct hole **v, size_t *n, uint64_t start, uint64_t end)
{
	struct hole *h;

	if (*n && (*v)[*n - 1].end == start) {
		(*v)[*n - 1].end = end;
		return 0;
	}
	h = realloc(*v, (*n + 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	*v = h;
	h[(*n)++] = (struct hole){ start, end };
	return 0;
}

static ssize_t
mem_pread(struct copier *c, void *buf, size_t len, uint64_t addr)
{
	ssize_t r;

	if (c->memfd < 0) {
		errno = EIO;
		return -1;
	}
	do
		r = pread(c->memfd, buf, len, (off_t)addr);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * Copy piece p from byte pos on, the slow way: process_vm_readv up to the
 * first page it cannot read, then that page through /proc/PID/mem, and
 * a page neither can read becomes a hole (zeroed in the buffer).
 * Returns 0, -1 when out of memory, -2 when the target is gone.
 */
static int
copy_piece(struct copier *c, struct piece *p, uint64_t pos)
{
	unsigned char *base = p->j->buf + p->off;
	uint64_t start = p->j->l->start + p->off;

	while (pos < p->len) {
		uint64_t addr = start + pos;
		size_t n = (size_t)(p->len - pos);
		ssize_t r;

		if (!atomic_load(&c->no_vm_readv)) {
			struct iovec lo = { base + pos, n };
			struct iovec re = { (void *)(uintptr_t)addr, n };
			r = process_vm_readv(c->pid, &lo, 1, &re, 1, 0);
		} else {
			r = mem_pread(c, base + pos, n, addr);
		}
		if (r > 0) {
			pos += (uint64_t)r;
			continue;
		}
		if (r < 0 && errno == ESRCH)
			return -2;	/* the target died under us */
		/* One page at addr, by the other road. */
		n = (size_t)(c->page - (addr & (c->page - 1)));
		if (n > p->len - pos)
			n = (size_t)(p->len - pos);
		r = mem_pread(c, base + pos, n, addr);
		if (r == (ssize_t)n) {
			pos += n;
			continue;
		}
		memset(base + pos, 0, n);
		if (add_hole(&p->holes, &p->nholes, addr, addr + n) < 0)
			return -1;
		pos += n;
	}
	return 0;
}

static void *
copy_worker(void *arg)
{
	struct copier *c = arg;
	struct iovec lo[MAX_IOV], re[MAX_IOV];
	size_t s;

	while ((s = atomic_fetch_add(&c->next, 1)) < c->nsegs &&
	    atomic_load(&c->err) == 0) {
		size_t first = c->segs[s], last = c->segs[s + 1], k = 0, i;
		uint64_t total = 0, got;
		ssize_t r = -1;

		if (!atomic_load(&c->no_vm_readv)) {
			for (i = first; i < last; i++, k++) {
				struct piece *p = &c->pieces[i];
				lo[k] = (struct iovec){ p->j->buf + p->off,
				    p->len };
				re[k] = (struct iovec){ (void *)(uintptr_t)
				    (p->j->l->start + p->off), p->len };
				total += p->len;
			}
			r = process_vm_readv(c->pid, lo, k, re, k, 0);
			if (r < 0 && (errno == ENOSYS || errno == EPERM))
				/* Not allowed (seccomp, LSM): /proc/PID/mem. */
				atomic_store(&c->no_vm_readv, 1);
			if (r >= 0 && (uint64_t)r == total)
				continue;
		}
		/* Short or failed: pieces fully read are done, the rest go
		 * the slow way from where the copy stopped. */
		got = r > 0 ? (uint64_t)r : 0;
		for (i = first; i < last && got >= c->pieces[i].len; i++)
			got -= c->pieces[i].len;
		for (; i < last; i++, got = 0) {
			int rc = copy_piece(c, &c->pieces[i], got);
			if (rc < 0) {
				atomic_store(&c->err, rc);
				break;
			}
		}
	}
	return NULL;
}

/*
 * Copy all jobs. Returns 0, -1 when out of memory, -2 when the target is
 * gone. Holes found are put in each job, in order.
 */
static int
copy_all(struct copier *c, struct job *jobs, size_t njobs)
{
	pthread_t tid[MAX_WORKERS];
	size_t nt = 0, np = 0, ns = 0, cap = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	for (size_t i = 0; i < njobs; i++)
		cap += (size_t)((jobs[i].len + PIECE - 1) / PIECE);
	c->pieces = calloc(cap ? cap : 1, sizeof(*c->pieces));
	c->segs = calloc(cap + 1, sizeof(*c->segs));
	if (c->pieces == NULL || c->segs == NULL)
		return -1;
	for (size_t i = 0; i < njobs; i++)
		for (uint64_t off = 0; off < jobs[i].len; off += PIECE) {
			uint64_t len = jobs[i].len - off;
			c->pieces[np++] = (struct piece){ .j = &jobs[i],
			    .off = off, .len = len < PIECE ? len : PIECE };
		}
	c->npieces = np;
	for (size_t i = 0; i < np;) {
		uint64_t bytes = 0;
		size_t k = 0;
		c->segs[ns++] = i;
		while (i < np && k < MAX_IOV && (k == 0 ||
		    bytes + c->pieces[i].len <= PIECE)) {
			bytes += c->pieces[i].len;
			i++;
			k++;
		}
	}
	c->segs[ns] = np;
	c->nsegs = ns;
	atomic_init(&c->next, 0);
	atomic_init(&c->no_vm_readv, 0);
	atomic_init(&c->err, 0);

	/* Helpers inherit our signal mask, termination signals blocked. */
	if (ncpu > MAX_WORKERS)
		ncpu = MAX_WORKERS;
	while (ncpu > 1 && nt + 1 < (size_t)ncpu && nt + 1 < ns &&
	    pthread_create(&tid[nt], NULL, copy_worker, c) == 0)
		nt++;
	copy_worker(c);
	for (size_t i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);

	rc = atomic_load(&c->err);
	for (size_t i = 0; i < np && rc == 0; i++) {
		struct piece *p = &c->pieces[i];
		for (size_t h = 0; h < p->nholes && rc == 0; h++)
			if (add_hole(&p->j->holes, &p->j->nholes,
			    p->holes[h].start, p->holes[h].end) < 0)
				rc = -1;
	}
	return rc;
}

static void
copier_release(struct copier *c)
{
	for (size_t i = 0; i < c->npieces; i++)
		free(c->pieces[i].holes);
	free(c->pieces);
	free(c->segs);
	if (c->memfd >= 0)
		close(c->memfd);
}

/*
 * Buffers are allocated before the target is stopped and pre-faulted,
 * so the stopped window does not pay for our own page faults.
 */
static unsigned char *
buf_alloc(uint64_t len)
{
	unsigned char *p;

	if (len > SIZE_MAX)
		return NULL;
	p = malloc((size_t)len);
	if (p == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (len >= (4u << 20)) {
		/* malloc'd big blocks are their own mmap; advise whole
		 * pages of it only. */
		uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
		uintptr_t b = ((uintptr_t)p + (size_t)len) & ~(uintptr_t)4095;
		if (b > a)
			madvise((void *)a, b - a, MADV_HUGEPAGE);
	}
#endif
	return p;
}

static void
prefault(unsigned char *p, uint64_t len, uint64_t page)
{
	volatile unsigned char *v = p;

	for (uint64_t o = 0; o < len; o += page)
		v[o] = 0;
	if (len)
		v[len - 1] = 0;
}

struct prebuf {
	uint64_t start, len;
	unsigned char *buf;	/* NULL once taken */
};

/* ---- building the snapshot ---- */

static int
cmp_sym(const void *a, const void *b)
{
	const struct pm_sym *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Sort s->syms by name and drop later duplicates (versioned symbols). */
static void
sort_syms(struct pm_snap *s)
{
	size_t k = 0;

	if (s->nsyms == 0)
		return;
	qsort(s->syms, s->nsyms, sizeof(*s->syms), cmp_sym);
	for (size_t i = 0; i < s->nsyms; i++) {
		if (k && strcmp(s->syms[k - 1].name, s->syms[i].name) == 0) {
			free(s->syms[i].name);
			continue;
		}
		s->syms[k++] = s->syms[i];
	}
	s->nsyms = k;
}

static int
add_syms(struct pm_snap *s, const struct pm_interp *in)
{
	s->syms = calloc(in->elf.nsyms ? in->elf.nsyms : 1, sizeof(*s->syms));
	if (s->syms == NULL)
		return -1;
	for (size_t i = 0; i < in->elf.nsyms; i++) {
		const struct pm_elf_sym *y = &in->elf.syms[i];
		char *name = strdup(y->name);
		if (name == NULL)
			return -1;
		s->syms[s->nsyms].name = name;
		s->syms[s->nsyms].addr = in->bias + y->value;
		s->nsyms++;
	}
	sort_syms(s);
	return 0;
}

/* ---- the heuristic scan, when no file exports _PyRuntime ---- */

#define TPFLAGS_HEAPTYPE (1ull << 9)
#define TPFLAGS_TYPE_SUBCLASS (1ull << 31)
#define MAX_INTERP_CHAIN 64

/* Static types the readers look up by symbol, by their tp_name. */
static const struct {
	const char *tp_name, *sym;
} static_types[] = {
	{ "object", "PyBaseObject_Type" },
	{ "type", "PyType_Type" },
	{ "dict", "PyDict_Type" },
	{ "list", "PyList_Type" },
	{ "tuple", "PyTuple_Type" },
	{ "str", "PyUnicode_Type" },
	{ "int", "PyLong_Type" },
	{ "bool", "PyBool_Type" },
	{ "float", "PyFloat_Type" },
	{ "complex", "PyComplex_Type" },
	{ "bytes", "PyBytes_Type" },
	{ "bytearray", "PyByteArray_Type" },
	{ "set", "PySet_Type" },
	{ "frozenset", "PyFrozenSet_Type" },
	{ "function", "PyFunction_Type" },
	{ "method", "PyMethod_Type" },
	{ "cell", "PyCell_Type" },
	{ "module", "PyModule_Type" },
	{ "code", "PyCode_Type" },
	{ "NoneType", "_PyNone_Type" },
	{ "weakref", "_PyWeakref_RefType" },
	{ "weakref.ReferenceType", "_PyWeakref_RefType" },
	{ "frame", "PyFrame_Type" },
	{ "generator", "PyGen_Type" },
	{ "coroutine", "PyCoro_Type" },
	{ "async_generator", "PyAsyncGen_Type" },
	{ "range", "PyRange_Type" },
	{ "slice", "PySlice_Type" },
	{ "builtin_function_or_method", "PyCFunction_Type" },
	{ "ellipsis", "PyEllipsis_Type" },
	{ "NotImplementedType", "_PyNotImplemented_Type" },
};

#define NSTATIC (sizeof(static_types) / sizeof(static_types[0]))

struct guess {
	struct pm_snap *s;
	const struct pm_layout *l;
	const char *what;
	const struct pm_capture_opts *o;
	uint64_t type;			/* PyType_Type */
	const char *file;		/* the mapping path holding it */
	uint64_t found[NSTATIC];	/* by static_types index */
};

static uint64_t
ld64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Is the string at a exactly want (NUL-terminated)? */
static int
cstr_is(const struct pm_snap *s, uint64_t a, const char *want)
{
	size_t n = strlen(want) + 1;
	const char *p = pm_snap_ptr(s, a, n);

	return p && memcmp(p, want, n) == 0;
}

/* Copy the printable string at a into buf (size > 1); 0, or -1. */
static int
cstr_get(const struct pm_snap *s, uint64_t a, char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		const unsigned char *p = pm_snap_ptr(s, a + i, 1);
		if (p == NULL || (*p != '\0' && (*p < 0x20 || *p > 0x7e)))
			return -1;
		buf[i] = (char)*p;
		if (*p == '\0')
			return i > 0 ? 0 : -1;
	}
	return -1;
}

static uint64_t
u64at(const struct pm_snap *s, uint64_t a)
{
	uint64_t v = 0;

	if (pm_snap_u64(s, a, &v) < 0)
		return 0;
	return v;
}

/* The type object type itself: ob_type is t, tp_name "type". */
static int
is_type_type(const struct guess *g, uint64_t t)
{
	const struct pm_layout *l = g->l;
	uint64_t flags = u64at(g->s, t + (uint64_t)PM_L(l, TYPE_FLAGS));

	return u64at(g->s, t + (uint64_t)PM_L(l, OBJECT_TYPE)) == t &&
	    u64at(g->s, t + (uint64_t)PM_L(l, TYPE_BASICSIZE)) ==
	    (uint64_t)PM_L(l, HEAPTYPE_SIZE) &&
	    (flags & TPFLAGS_TYPE_SUBCLASS) && !(flags & TPFLAGS_HEAPTYPE) &&
	    cstr_is(g->s, u64at(g->s, t + (uint64_t)PM_L(l, TYPE_NAME)), "type");
}

/*
 * Is map m one to scan? pass 0: writable file mappings; pass 1: also the
 * anonymous writable ones. With g->file set: that file's writable
 * mappings and the anonymous mapping right after each (its .bss).
 */
static int
scan_map(const struct guess *g, size_t i, int pass)
{
	const struct pm_map *m = &g->s->maps[i];

	if (!(m->prot & PM_PROT_WRITE) || m->end - m->start < 16)
		return 0;
	if (g->file == NULL)
		return pass == 1 || m->path[0] == '/';
	if (strcmp(m->path, g->file) == 0)
		return 1;
	for (size_t k = i; m->path[0] == '\0' && k > 0; k--) {
		const struct pm_map *p = &g->s->maps[k - 1];
		if (p->end != g->s->maps[k].start)
			return 0;
		if (strcmp(p->path, g->file) == 0)
			return 1;
		if (p->path[0] != '\0')
			return 0;
	}
	return 0;
}

static int
find_type_type(struct guess *g)
{
	size_t hits = 0;
	uint64_t obt = (uint64_t)PM_L(g->l, OBJECT_TYPE);

	for (int pass = 0; pass < 2 && hits == 0; pass++) {
		for (size_t i = 0; i < g->s->nmaps; i++) {
			const struct pm_map *m = &g->s->maps[i];
			uint64_t len = m->end - m->start;
			if (!scan_map(g, i, pass) || (pass == 1 &&
			    m->path[0] == '/'))
				continue;
			for (uint64_t o = 0; o + obt + 8 <= len; o += 8) {
				if (ld64(m->data + o + obt) != m->start + o ||
				    !is_type_type(g, m->start + o))
					continue;
				if (hits++ == 0) {
					g->type = m->start + o;
					g->file = m->path;
				}
			}
		}
	}
	if (hits > 1)
		logf_(g->o, "%zu objects look like PyType_Type; took 0x%" PRIx64,
		    hits, g->type);
	return hits ? 0 : -1;
}

/* Record the static types of the interpreter's file by their tp_name. */
static void
find_static_types(struct guess *g)
{
	const struct pm_layout *l = g->l;
	uint64_t obt = (uint64_t)PM_L(l, OBJECT_TYPE);
	char name[64];

	for (size_t i = 0; i < g->s->nmaps; i++) {
		const struct pm_map *m = &g->s->maps[i];
		uint64_t len = m->end - m->start;
		if (!scan_map(g, i, 0))
			continue;
		for (uint64_t o = 0; o + obt + 8 <= len; o += 8) {
			uint64_t x = m->start + o;
			if (ld64(m->data + o + obt) != g->type ||
			    (u64at(g->s, x + (uint64_t)PM_L(l, TYPE_FLAGS)) &
			    TPFLAGS_HEAPTYPE) ||
			    cstr_get(g->s, u64at(g->s, x + (uint64_t)PM_L(l,
			    TYPE_NAME)), name, sizeof(name)) < 0)
				continue;
			for (size_t k = 0; k < NSTATIC; k++)
				if (g->found[k] == 0 &&
				    strcmp(static_types[k].tp_name, name) == 0)
					g->found[k] = x;
		}
	}
}

static uint64_t
found_type(const struct guess *g, const char *sym)
{
	for (size_t k = 0; k < NSTATIC; k++)
		if (g->found[k] && strcmp(static_types[k].sym, sym) == 0)
			return g->found[k];
	return 0;
}

/* An interpreter state: its first thread state points back to it, its
 * modules are a dict. */
static int
is_interp(const struct guess *g, uint64_t in)
{
	const struct pm_layout *l = g->l;
	uint64_t ts, mods, dict = found_type(g, "PyDict_Type"), t;

	if (in == 0 || (in & 7))
		return 0;
	ts = u64at(g->s, in + (uint64_t)PM_L(l, INTERP_TSTATE_HEAD));
	if (ts == 0 || (ts & 7) ||
	    u64at(g->s, ts + (uint64_t)PM_L(l, TSTATE_INTERP)) != in)
		return 0;
	mods = u64at(g->s, in + (uint64_t)PM_L(l, INTERP_MODULES));
	if (mods == 0)
		return 0;
	t = u64at(g->s, mods + (uint64_t)PM_L(l, OBJECT_TYPE));
	return dict ? t == dict : t &&
	    u64at(g->s, t + (uint64_t)PM_L(l, OBJECT_TYPE)) == g->type;
}

/* Is r _PyRuntime? interpreters.head leads, through next, to
 * interpreters.main (the word after head), an interpreter. */
static int
is_runtime(const struct guess *g, uint64_t r)
{
	uint64_t h = (uint64_t)PM_L(g->l, RUNTIME_INTERPRETERS_HEAD);
	uint64_t head = u64at(g->s, r + h), main_ = u64at(g->s, r + h + 8);

	if (head == 0 || main_ == 0 || !is_interp(g, main_))
		return 0;
	for (int n = 0; head && n < MAX_INTERP_CHAIN; n++) {
		if (head == main_)
			return 1;
		head = u64at(g->s, head + (uint64_t)PM_L(g->l, INTERP_NEXT));
	}
	return 0;
}

static uint64_t
find_runtime(struct guess *g)
{
	uint64_t h = (uint64_t)PM_L(g->l, RUNTIME_INTERPRETERS_HEAD), rt = 0;
	size_t hits = 0;

	for (size_t i = 0; i < g->s->nmaps; i++) {
		const struct pm_map *m = &g->s->maps[i];
		uint64_t len = m->end - m->start;
		if (!scan_map(g, i, 0))
			continue;
		for (uint64_t o = 0; o + h + 16 <= len; o += 8) {
			uint64_t head = ld64(m->data + o + h);
			if (head == 0 || (head & 7) ||
			    ld64(m->data + o + h + 8) == 0 ||
			    !is_runtime(g, m->start + o))
				continue;
			if (g->l->minor >= 13 && memcmp(m->data + o, "xdebugpy",
			    8) != 0)
				continue;
			if (hits++ == 0)
				rt = m->start + o;
		}
	}
	if (hits > 1)
		logf_(g->o, "%zu places look like _PyRuntime; took 0x%" PRIx64,
		    hits, rt);
	return rt;
}

/* The version 3.13+ writes at the start of _PyRuntime, or 0. */
static unsigned
debug_cookie_minor(const struct pm_snap *s)
{
	for (size_t i = 0; i < s->nmaps; i++) {
		const struct pm_map *m = &s->maps[i];
		uint64_t len = m->end - m->start;
		if (!(m->prot & PM_PROT_WRITE) || m->path[0] != '/')
			continue;
		for (uint64_t o = 0; o + 16 <= len; o += 8) {
			uint64_t v;
			if (memcmp(m->data + o, "xdebugpy", 8) != 0)
				continue;
			v = ld64(m->data + o + 8);
			if ((v >> 24) == 3 && (v >> 16 & 0xff) >= 13 &&
			    (v >> 16 & 0xff) < 100)
				return (unsigned)(v >> 16 & 0xff);
		}
	}
	return 0;
}

static int
push_sym(struct pm_snap *s, size_t *cap, const char *name, uint64_t addr)
{
	struct pm_sym *v;

	if (addr == 0)
		return 0;
	if (s->nsyms == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		if ((v = realloc(s->syms, nc * sizeof(*v))) == NULL)
			return -1;
		s->syms = v;
		*cap = nc;
	}
	if ((s->syms[s->nsyms].name = strdup(name)) == NULL)
		return -1;
	s->syms[s->nsyms++].addr = addr;
	return 0;
}

/* The static object of type t in the interpreter's data; with digit >= 0,
 * the one whose first int digit is that (True, False). */
static uint64_t
find_instance(const struct guess *g, uint64_t t, int digit)
{
	uint64_t obt = (uint64_t)PM_L(g->l, OBJECT_TYPE);

	if (t == 0)
		return 0;
	for (size_t i = 0; i < g->s->nmaps; i++) {
		const struct pm_map *m = &g->s->maps[i];
		uint64_t len = m->end - m->start;
		if (!scan_map(g, i, 0))
			continue;
		for (uint64_t o = 0; o + obt + 8 <= len; o += 8) {
			uint32_t d;
			if (ld64(m->data + o + obt) != t)
				continue;
			if (digit < 0)
				return m->start + o;
			if (pm_snap_read(g->s, m->start + o + 24, &d, 4) == 0 &&
			    d == (uint32_t)digit)
				return m->start + o;
		}
	}
	return 0;
}

static int
guess_interp(struct pm_snap *s, unsigned minor, const char *what,
    const struct pm_capture_opts *o, struct pm_err *e)
{
	struct guess g = { .s = s, .what = what, .o = o };
	size_t cap = 0;
	uint64_t rt;
	char msg[256];

	if (minor == 0)
		minor = debug_cookie_minor(s);
	if (minor == 0)
		return pm_error(e, PM_EXIT_INPUT, "%s is not a Python process "
		    "(no _PyRuntime symbol in its executable or libraries, "
		    "and no python3.X in their names)", what);
	if ((g.l = pm_layout_get((int)minor)) == NULL)
		return pm_error(e, PM_EXIT_INPUT, "%s runs Python 3.%u, which "
		    "pmtools does not support (3.8 to 3.13)", what, minor);
	if (find_type_type(&g) < 0)
		return pm_error(e, PM_EXIT_INPUT, "%s: no _PyRuntime symbol, "
		    "and no PyType_Type found by scanning its memory: not a "
		    "Python 3.%u process?", what, minor);
	find_static_types(&g);
	if ((rt = find_runtime(&g)) == 0)
		return pm_error(e, PM_EXIT_INPUT, "%s: no _PyRuntime symbol, "
		    "and no interpreter state found by scanning its memory",
		    what);
	if (push_sym(s, &cap, "_PyRuntime", rt) < 0)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	for (size_t k = 0; k < NSTATIC; k++)
		if (push_sym(s, &cap, static_types[k].sym, g.found[k]) < 0)
			return pm_error(e, PM_EXIT_INPUT, "out of memory");
	if (push_sym(s, &cap, "_Py_NoneStruct", find_instance(&g,
	    found_type(&g, "_PyNone_Type"), -1)) < 0 ||
	    push_sym(s, &cap, "_Py_TrueStruct", find_instance(&g,
	    found_type(&g, "PyBool_Type"), 1)) < 0 ||
	    push_sym(s, &cap, "_Py_FalseStruct", find_instance(&g,
	    found_type(&g, "PyBool_Type"), 0)) < 0 ||
	    push_sym(s, &cap, "_Py_EllipsisObject", find_instance(&g,
	    found_type(&g, "PyEllipsis_Type"), -1)) < 0 ||
	    push_sym(s, &cap, "_Py_NotImplementedStruct", find_instance(&g,
	    found_type(&g, "_PyNotImplemented_Type"), -1)) < 0)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	sort_syms(s);
	s->py_version = 0x03000000u | minor << 16;
	logf_(o, "heuristic: PyType_Type at 0x%" PRIx64 ", _PyRuntime at 0x%"
	    PRIx64 " in '%s', %zu symbols", g.type, rt, g.file, s->nsyms);
	if (o && o->warn && snprintf(msg, sizeof(msg), "%s: no _PyRuntime "
	    "symbol; the interpreter was found by a heuristic scan, so the "
	    "results are heuristic", what) > 0)
		o->warn(o->warn_arg, msg);
	return 0;
}

int
pm_interp_finish(struct pm_snap *s, const struct pm_interp *in,
    const char *what, const struct pm_capture_opts *o, struct pm_err *e)
{
	uint64_t a;
	unsigned char v[4];

	if (in->path == NULL) {
		if (guess_interp(s, in->minor, what, o, e) < 0)
			return -1;
		return check_version(what, s->py_version, s->exe ? s->exe : "",
		    e);
	}
	if (add_syms(s, in) < 0)
		return pm_error(e, PM_EXIT_INPUT, "out of memory");
	a = pm_snap_sym(s, "Py_Version");
	if (a && pm_snap_read(s, a, v, 4) == 0)
		s->py_version = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
		    (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	else if (in->minor)
		s->py_version = 0x03000000u | in->minor << 16;
	return check_version(what, s->py_version, in->path, e);
}

/* Turn the copied jobs into snapshot mappings, split around holes. */
static int
add_maps(struct pm_snap *s, struct job *jobs, size_t njobs)
{
	size_t cap = njobs;

	for (size_t i = 0; i < njobs; i++)
		cap += jobs[i].nholes;
	s->maps = calloc(cap ? cap : 1, sizeof(*s->maps));
	if (s->maps == NULL)
		return -1;
	for (size_t i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];
		uint64_t at = j->l->start;

		for (size_t h = 0; h <= j->nholes; h++) {
			uint64_t end = h < j->nholes ? j->holes[h].start :
			    j->l->start + j->len;
			struct pm_map *m;
			if (end > at) {
				m = &s->maps[s->nmaps];
				m->start = at;
				m->end = end;
				m->offset = j->l->offset + (at - j->l->start);
				m->prot = j->l->prot;
				if ((m->path = strdup(j->l->path)) == NULL)
					return -1;
				if (j->nholes == 0) {
					m->data = j->buf;
					j->buf = NULL;	/* now the snapshot's */
				} else {
					unsigned char *d = malloc(end - at);
					if (d == NULL) {
						free(m->path);
						return -1;
					}
					memcpy(d, j->buf + (at - j->l->start),
					    end - at);
					m->data = d;
				}
				s->nmaps++;
				s->data_bytes += end - at;
			}
			if (h < j->nholes)
				at = j->holes[h].end;
		}
	}
	return 0;
}

static int
add_threads(struct pm_snap *s, const struct tracer *t)
{
	s->threads = calloc(t->n ? t->n : 1, sizeof(*s->threads));
	if (s->threads == NULL)
		return -1;
	/* Main thread first, then the others in id order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->n; i++) {
			const struct thr *th = &t->v[i];
			if (th->state != T_DETACHED)
				continue;
			if ((pass == 0) != (th->tid == t->pid))
				continue;
			s->threads[s->nthreads++] = (uint32_t)th->tid;
		}
	return 0;
}

void
pm_capture_release(struct pm_snap *s)
{
	for (size_t i = 0; i < s->nmaps; i++) {
		free(s->maps[i].path);
		free((void *)s->maps[i].data);
	}
	for (size_t i = 0; i < s->nsyms; i++)
		free(s->syms[i].name);
	free(s->maps);
	free(s->syms);
	free(s->threads);
	free(s->exe);
	memset(s, 0, sizeof(*s));
}

static char *
read_exe(int pid)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return strdup(buf);
}

int
pm_capture(int pid, struct pm_snap *out, const struct pm_capture_opts *o,
    struct pm_err *e)
{
	struct maps pre = { 0 }, post = { 0 };
	struct pm_interp in = { 0 };
	struct pm_mapfile *mf = NULL;
	struct tracer t = { .pid = pid };
	struct copier c = { .pid = pid, .memfd = -1 };
	char mempath[64];
	struct prebuf *pb = NULL;
	struct job *jobs = NULL;
	size_t npb = 0, njobs = 0;
	sigset_t block, old;
	struct timespec now;
	long pg = sysconf(_SC_PAGESIZE);
	char path[64], state[16] = "", what[32];
	int rc = -1, stopped_err = 0, mask_set = 0, r;

	memset(out, 0, sizeof(*out));
	c.page = pg > 0 ? (uint64_t)pg : 4096;
	if (pid <= 0)
		return no_such_process(e, pid);
	if (pid == getpid())
		return pm_error(e, PM_EXIT_TARGET, "cannot attach to pid %d: "
		    "it is this process", pid);

	/* 1. Find the interpreter while the target runs. */
	if (maps_read(&pre, pid, e) < 0)
		return -1;
	if ((out->exe = read_exe(pid)) == NULL) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto fail;
	}
	snprintf(what, sizeof(what), "pid %d", pid);
	if ((mf = calloc(pre.n ? pre.n : 1, sizeof(*mf))) == NULL) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < pre.n; i++)
		mf[i] = (struct pm_mapfile){ .start = pre.v[i].start,
		    .end = pre.v[i].end, .offset = pre.v[i].offset,
		    .inode = pre.v[i].inode, .path = pre.v[i].path };
	if ((r = pm_interp_find(&in, mf, pre.n, out->exe, open_target_file,
	    &pid, o, e)) < 0)
		goto fail;
	if (r > 0)
		logf_(o, "interpreter in '%s' at bias 0x%" PRIx64 " (%zu data "
		    "symbols)", in.path, in.bias, in.elf.nsyms);
	else if (in.minor == 0) {
		char statpath[64];
		/* A process that exited meanwhile has no mappings left. */
		snprintf(statpath, sizeof(statpath), "/proc/%d/exe", pid);
		if (access(statpath, F_OK) < 0 && (errno == ENOENT ||
		    errno == ESRCH)) {
			pm_error(e, PM_EXIT_TARGET, "cannot read pid %d: it "
			    "exited during the capture", pid);
			goto fail;
		}
		/* Nothing says Python: do not stop the process for a scan. */
		pm_error(e, PM_EXIT_INPUT, "pid %d is not a Python process "
		    "(no _PyRuntime symbol in its executable or libraries)",
		    pid);
		goto fail;
	} else
		logf_(o, "no _PyRuntime symbol in pid %d; will scan for the "
		    "Python 3.%u interpreter", pid, in.minor);
	if (in.minor && check_version(what, 0x03000000u | in.minor << 16,
	    in.path ? in.path : out->exe, e) < 0)
		goto fail;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	status_field(path, "State", state, sizeof(state));
	if (state[0] == 'T')
		logf_(o, "pid %d is stopped (state %c); it stays stopped", pid,
		    state[0]);

	/* 2. Buffers for what we will copy, touched now. */
	pb = calloc(pre.n ? pre.n : 1, sizeof(*pb));
	if (pb == NULL) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < pre.n; i++) {
		const struct mapline *l = &pre.v[i];
		if (!wanted(l, out->exe))
			continue;
		pb[npb].start = l->start;
		pb[npb].len = l->end - l->start;
		pb[npb].buf = buf_alloc(pb[npb].len);
		if (pb[npb].buf == NULL) {
			pm_error(e, PM_EXIT_INPUT, "out of memory for a copy of "
			    "%" PRIu64 " bytes", pb[npb].len);
			goto fail;
		}
		prefault(pb[npb].buf, pb[npb].len, c.page);
		npb++;
	}

	/* 3. Stop, copy, resume. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTSTP);
	if (sigprocmask(SIG_BLOCK, &block, &old) == 0)
		mask_set = 1;
	if (stop_all(&t, e) < 0) {
		stopped_err = 1;
		goto resume;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	out->time_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (maps_read(&post, pid, e) < 0) {
		stopped_err = 1;
		goto resume;
	}
	jobs = calloc(post.n ? post.n : 1, sizeof(*jobs));
	if (jobs == NULL) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		stopped_err = 1;
		goto resume;
	}
	for (size_t i = 0, k = 0; i < post.n; i++) {
		const struct mapline *l = &post.v[i];
		struct job *j;
		if (!wanted(l, out->exe))
			continue;
		j = &jobs[njobs];
		j->l = l;
		j->len = l->end - l->start;
		while (k < npb && pb[k].start < l->start)
			k++;
		if (k < npb && pb[k].start == l->start && pb[k].len == j->len) {
			j->buf = pb[k].buf;
			pb[k].buf = NULL;
		} else if ((j->buf = buf_alloc(j->len)) == NULL) {
			pm_error(e, PM_EXIT_INPUT, "out of memory for a copy "
			    "of %" PRIu64 " bytes", j->len);
			stopped_err = 1;
			goto resume;
		}
		njobs++;
	}
	/* Opened now: with Yama, only the tracer may open it. */
	snprintf(mempath, sizeof(mempath), "/proc/%d/mem", pid);
	c.memfd = open(mempath, O_RDONLY | O_CLOEXEC);
	switch (copy_all(&c, jobs, njobs)) {
	case 0:
		break;
	case -2:
		pm_error(e, PM_EXIT_TARGET, "cannot read pid %d: it exited "
		    "during the capture", pid);
		stopped_err = 1;
		break;
	default:
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		stopped_err = 1;
		break;
	}
resume:
	detach_all(&t);
	if (mask_set)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (stopped_err)
		goto fail;
	out->pause_us = (uint64_t)((t.t1.tv_sec - t.t0.tv_sec) * 1000000 +
	    (t.t1.tv_nsec - t.t0.tv_nsec) / 1000);

	/* 4. Fix up, with the target running again. */
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].group_stop)
			logf_(o, "thread %d was in a group-stop; left stopped",
			    t.v[i].tid);
	for (size_t i = 0; i < njobs; i++)
		for (size_t h = 0; h < jobs[i].nholes; h++)
			logf_(o, "cannot read 0x%" PRIx64 "-0x%" PRIx64 " of "
			    "'%s': left out", jobs[i].holes[h].start,
			    jobs[i].holes[h].end, jobs[i].l->path);
	out->pid = (uint32_t)pid;
	if (add_maps(out, jobs, njobs) < 0 || add_threads(out, &t) < 0) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto fail;
	}
	if (pm_interp_finish(out, &in, what, o, e) < 0)
		goto fail;
	rc = 0;
fail:
	if (rc < 0)
		pm_capture_release(out);
	for (size_t i = 0; i < npb; i++)
		free(pb[i].buf);
	free(pb);
	for (size_t i = 0; i < njobs; i++) {
		free(jobs[i].buf);
		free(jobs[i].holes);
	}
	free(jobs);
	free(t.v);
	copier_release(&c);
	maps_free(&pre);
	maps_free(&post);
	pm_interp_release(&in);
	free(mf);
	return rc;
}

/* ---- choosing the target ---- */

/* The parent of pid from /proc/PID/stat, or -1. */
static long
parent_of(long pid)
{
	char path[64], *s, *p;
	long ppid = -1;
	char st;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((s = slurp(path, NULL)) == NULL)
		return -1;
	if ((p = strrchr(s, ')')) != NULL && sscanf(p + 1, " %c %ld", &st,
	    &ppid) != 2)
		ppid = -1;
	free(s);
	return ppid;
}

/* The state letter of pid ('Z' zombie), or 0 when gone. */
static char
state_of(long pid)
{
	char path[64], *s, *p, st = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((s = slurp(path, NULL)) == NULL)
		return 0;
	if ((p = strrchr(s, ')')) != NULL && sscanf(p + 1, " %c", &st) != 1)
		st = 0;
	free(s);
	return st;
}

/* Candidates named in the message, and how much of a command line. */
#define MAX_SHOWN 4
#define DESC_MAX 80

struct cand {
	long pid;
	char desc[DESC_MAX + 4];	/* the command line, shortened */
};

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int
pm_capture_find(const char *pattern, int *pid, struct pm_err *e)
{
	long anc[64];
	size_t nanc = 0, n = 0, cap = 0;
	struct cand *v = NULL;
	struct dirent *d;
	regex_t re;
	DIR *dir;
	char path[64], buf[512];
	int r, rc = -1;

	if ((r = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(r, &re, buf, sizeof(buf));
		regfree(&re);
		return pm_error(e, PM_EXIT_INPUT, "invalid process pattern "
		    "'%s': %s", pattern, buf);
	}
	/* Us and our ancestors: a shell running `pm-dump -p app` matches
	 * "app" itself. */
	for (long p = getpid(); p > 0 && nanc < 64; p = parent_of(p))
		anc[nanc++] = p;
	if ((dir = opendir("/proc")) == NULL) {
		regfree(&re);
		return pm_error_errno(e, PM_EXIT_TARGET, "cannot list processes "
		    "in /proc");
	}
	while ((d = readdir(dir)) != NULL) {
		char *end, *comm, *cmd;
		size_t len = 0;
		long p = strtol(d->d_name, &end, 10);
		int self = 0;

		if (d->d_name[0] < '1' || d->d_name[0] > '9' || *end ||
		    p > INT_MAX)
			continue;
		for (size_t i = 0; i < nanc; i++)
			self |= anc[i] == p;
		if (self || state_of(p) == 'Z')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", p);
		if ((cmd = slurp(path, &len)) == NULL)
			continue;
		if (len == 0) {		/* a kernel thread */
			free(cmd);
			continue;
		}
		for (size_t i = 0; i + 1 < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		snprintf(path, sizeof(path), "/proc/%ld/comm", p);
		if ((comm = slurp(path, NULL)) == NULL) {
			free(cmd);
			continue;
		}
		comm[strcspn(comm, "\n")] = '\0';
		if (regexec(&re, comm, 0, NULL, 0) == 0 ||
		    regexec(&re, cmd, 0, NULL, 0) == 0) {
			if (n == cap) {
				struct cand *nv;
				cap = cap ? cap * 2 : 8;
				if ((nv = realloc(v, cap * sizeof(*nv))) == NULL) {
					free(comm);
					free(cmd);
					pm_error(e, PM_EXIT_INPUT, "out of memory");
					goto out;
				}
				v = nv;
			}
			v[n].pid = p;
			if (strlen(cmd) > DESC_MAX)
				snprintf(v[n].desc, sizeof(v[n].desc), "%.*s...",
				    DESC_MAX, cmd);
			else
				snprintf(v[n].desc, sizeof(v[n].desc), "%s", cmd);
			n++;
		}
		free(comm);
		free(cmd);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_cand);
	if (n == 0) {
		pm_error(e, PM_EXIT_TARGET, "no process matches '%s'", pattern);
	} else if (n > 1) {
		size_t off = 0, shown = n > MAX_SHOWN ? MAX_SHOWN - 1 : n;
		buf[0] = '\0';
		for (size_t i = 0; i < shown; i++) {
			int w = snprintf(buf + off, sizeof(buf) - off, "%s%ld (%s)",
			    i ? ", " : "", v[i].pid, v[i].desc);
			if (w < 0 || (size_t)w >= sizeof(buf) - off)
				break;
			off += (size_t)w;
		}
		if (shown < n)
			snprintf(buf + off, sizeof(buf) - off, ", and %zu more",
			    n - shown);
		pm_error(e, PM_EXIT_INPUT, "'%.64s' matches %zu processes: %s; "
		    "use -p PID", pattern, n, buf);
	} else {
		*pid = (int)v[0].pid;
		rc = 0;
	}
out:
	closedir(dir);
	regfree(&re);
	free(v);
	return rc;
}

int
pm_capture_pidfile(const char *path, int *pid, struct pm_err *e)
{
	char buf[64], *p, *end;
	ssize_t n;
	long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot open pid file "
		    "'%s'", path);
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int errnum = errno;
		close(fd);
		errno = errnum;
		return pm_error_errno(e, PM_EXIT_INPUT, "cannot read pid file "
		    "'%s'", path);
	}
	close(fd);
	buf[n] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	errno = 0;
	v = strtol(p, &end, 10);
	if (end == p || *p == '-' || *p == '+')
		goto bad;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end != '\0' || errno || v <= 0 || v > INT_MAX)
		goto bad;
	*pid = (int)v;
	return 0;
bad:
	return pm_error(e, PM_EXIT_INPUT, "pid file '%s' holds no pid", path);
}

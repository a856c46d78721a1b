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

static int
wanted(const struct mapline *l, const char *exe)
{
	static const char *const special[] = { "[vvar]", "[vvar_vclock]",
	    "[vsyscall]", "[vdso]", "[uprobes]", NULL };
	const char *p = l->path;

	if (!(l->prot & PM_PROT_READ) || (l->prot & PM_PROT_EXEC))
		return 0;
	for (int i = 0; special[i]; i++)
		if (strcmp(p, special[i]) == 0)
			return 0;
	if (strncmp(p, "/dev/", 5) == 0 && strncmp(p, "/dev/zero", 9) != 0 &&
	    strncmp(p, "/dev/shm/", 9) != 0)
		return 0;
	if (p[0] == '/' && !(l->prot & PM_PROT_WRITE))
		return is_so_name(p) || same_path(p, exe);
	return 1;
}

/* ---- finding the interpreter ---- */

struct interp {
	struct pm_elf elf;
	char *path;		/* as in the maps */
	uint64_t bias;
	unsigned minor;		/* from the file name, 0 if none */
};

/* Open a file of the target, preferring the very inode it has mapped. */
static int
open_target_file(int pid, const struct mapline *l)
{
	char p[PATH_MAX + 64];
	size_t n = path_len(l->path);
	struct stat st;
	int fd = -1;

	if (n < PATH_MAX && snprintf(p, sizeof(p), "/proc/%d/root%.*s", pid,
	    (int)n, l->path) < (int)sizeof(p)) {
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_ino == l->inode)
			return fd;
	}
	/* Deleted or replaced on disk: the mapping itself still has it. */
	snprintf(p, sizeof(p), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
	    l->start, l->end);
	int fd2 = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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

/*
 * Try the file of mapping l: when its .dynsym defines _PyRuntime, fill in
 * and return 1; 0 when it does not; -1 on an error worth reporting.
 */
static int
try_interp(int pid, const struct maps *m, const struct mapline *l,
    struct interp *in, const struct pm_capture_opts *o)
{
	struct pm_err e2;
	int fd = open_target_file(pid, l);
	size_t n = path_len(l->path);

	if (fd < 0) {
		logf_(o, "cannot open '%s' of pid %d: %s", l->path, pid,
		    strerror(errno));
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
	for (size_t i = 0; i < m->n; i++) {
		const struct mapline *k = &m->v[i];
		if (k->offset != in->elf.load_offset || path_len(k->path) != n ||
		    strncmp(k->path, l->path, n) != 0)
			continue;
		in->bias = k->start - in->elf.load_vaddr;
		if ((in->path = strdup(l->path)) == NULL) {
			pm_elf_release(&in->elf);
			return -1;
		}
		in->minor = minor_from_name(l->path);
		return 1;
	}
	logf_(o, "'%s' defines _PyRuntime but its first segment is not "
	    "mapped", l->path);
	pm_elf_release(&in->elf);
	return 0;
}

static int
find_interp(int pid, const struct maps *m, const char *exe,
    struct interp *in, const struct pm_capture_opts *o, struct pm_err *e)
{
	memset(in, 0, sizeof(*in));
	/* libpython first (an embedding executable does not define it), then
	 * the executable. Each file once: at its first mapping. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			const struct mapline *l = &m->v[i];
			int r, seen = 0;
			if (l->path[0] != '/')
				continue;
			if (pass == 0 ? !is_libpython(l->path) :
			    !same_path(l->path, exe))
				continue;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(m->v[j].path, l->path) == 0;
			if (seen)
				continue;
			r = try_interp(pid, m, l, in, o);
			if (r < 0)
				return pm_error(e, PM_EXIT_INPUT, "out of memory");
			if (r > 0)
				return 0;
		}
	}
	return pm_error(e, PM_EXIT_INPUT, "pid %d is not a Python process "
	    "(no _PyRuntime symbol in its executable or libraries)", pid);
}

static int
check_version(int pid, uint32_t v, const char *path, struct pm_err *e)
{
	unsigned major = v >> 24 & 0xff, minor = v >> 16 & 0xff;

	if (v == 0)
		return pm_error(e, PM_EXIT_INPUT, "cannot tell which Python "
		    "version pid %d runs ('%s' has no version in its name and "
		    "no Py_Version symbol)", pid, path);
	if (major != 3 || minor < 8 || minor > 13)
		return pm_error(e, PM_EXIT_INPUT, "pid %d runs Python %u.%u, "
		    "which pmtools does not support (3.8 to 3.13)", pid, major,
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

static int
add_syms(struct pm_snap *s, const struct interp *in)
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
	qsort(s->syms, s->nsyms, sizeof(*s->syms), cmp_sym);
	/* Versioned duplicates: keep the first of each name. */
	size_t k = 0;
	for (size_t i = 0; i < s->nsyms; i++) {
		if (k && strcmp(s->syms[k - 1].name, s->syms[i].name) == 0) {
			free(s->syms[i].name);
			continue;
		}
		s->syms[k++] = s->syms[i];
	}
	s->nsyms = k;
	return 0;
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
	struct interp in = { 0 };
	struct tracer t = { .pid = pid };
	struct copier c = { .pid = pid, .memfd = -1 };
	char mempath[64];
	struct prebuf *pb = NULL;
	struct job *jobs = NULL;
	size_t npb = 0, njobs = 0;
	sigset_t block, old;
	struct timespec now;
	long pg = sysconf(_SC_PAGESIZE);
	char path[64], state[16] = "";
	int rc = -1, stopped_err = 0, mask_set = 0;

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
	if (find_interp(pid, &pre, out->exe, &in, o, e) < 0)
		goto fail;
	logf_(o, "interpreter in '%s' at bias 0x%" PRIx64 " (%zu data symbols)",
	    in.path, in.bias, in.elf.nsyms);
	if (in.minor && check_version(pid, 0x03000000u | in.minor << 16,
	    in.path, e) < 0)
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
	if (add_maps(out, jobs, njobs) < 0 || add_syms(out, &in) < 0 ||
	    add_threads(out, &t) < 0) {
		pm_error(e, PM_EXIT_INPUT, "out of memory");
		goto fail;
	}
	{
		uint64_t a = pm_snap_sym(out, "Py_Version");
		unsigned char v[4];
		if (a && pm_snap_read(out, a, v, 4) == 0)
			out->py_version = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
			    (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
		else if (in.minor)
			out->py_version = 0x03000000u | in.minor << 16;
	}
	if (check_version(pid, out->py_version, in.path, e) < 0)
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
	pm_elf_release(&in.elf);
	free(in.path);
	return rc;
}

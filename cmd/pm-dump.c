/*
 * pm-dump - snapshot the memory of a running CPython process, or turn a
 * core file of one into a snapshot.
 *
 * The target is stopped only while its memory is copied; compressing and
 * writing come after it runs again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"
#include "capture.h"
#include "core.h"
#include "heap.h"
#include "out.h"
#include "regions.h"
#include "snapshot.h"
#include "util.h"

static const char usage_text[] =
    "usage: pm-dump [-qv] [-l level] [-o file] [-T threads] [--raw] "
    "-p pid|pattern\n"
    "       pm-dump [-qv] [-l level] [-o file] [-T threads] [--raw] "
    "--pid-file file\n"
    "       pm-dump [-qv] [-l level] [-o file] [-T threads] [--raw] "
    "[--exe python]\n"
    "               [--sysroot dir] --core core\n"
    "       pm-dump [-Hq] [--csv | --json] --info snapshot\n";

enum { OPT_RAW = 256, OPT_VERSION, OPT_CORE, OPT_EXE, OPT_SYSROOT,
    OPT_PIDFILE, OPT_INFO, OPT_CSV, OPT_JSON };

static const struct option longopts[] = {
	{ "core", required_argument, NULL, OPT_CORE },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "info", required_argument, NULL, OPT_INFO },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "level", required_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "pid-file", required_argument, NULL, OPT_PIDFILE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "threads", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/*
 * The named temporary output file, removed if a signal ends us. Only set
 * when O_TMPFILE is not available, or between linking and renaming.
 */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_set;

static void
usage(FILE *fp, int status)
{
	fputs(usage_text, fp);
	exit(status);
}

static void
on_signal(int sig)
{
	if (tmp_set)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		/* Leave signals ignored by whoever started us ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static void
set_tmp(const char *path)
{
	tmp_set = 0;
	snprintf(tmp_path, sizeof(tmp_path), "%s", path);
	tmp_set = path[0] != '\0';
}

/* The output: stdout, a device or fifo, or a regular file made atomically. */
struct output {
	const char *name;	/* as given, for messages */
	int fd;
	int atomic;		/* write to a temporary, rename at the end */
	int unnamed;		/* the temporary is O_TMPFILE */
	char dir[PATH_MAX];	/* directory of name */
	char base[NAME_MAX + 1];
};

static void
split_path(struct output *out, const char *name)
{
	const char *slash = strrchr(name, '/');
	int r;

	if (slash == NULL) {
		snprintf(out->dir, sizeof(out->dir), ".");
		r = snprintf(out->base, sizeof(out->base), "%s", name);
	} else {
		r = snprintf(out->dir, sizeof(out->dir), "%.*s",
		    (int)(slash - name), name);
		if (slash == name)
			snprintf(out->dir, sizeof(out->dir), "/");
		if (r < 0 || (size_t)r >= sizeof(out->dir))
			pm_die(PM_EXIT_INPUT, "cannot write '%s': name too long",
			    name);
		r = snprintf(out->base, sizeof(out->base), "%s", slash + 1);
	}
	if (r < 0 || (size_t)r >= sizeof(out->base) - 16)
		pm_die(PM_EXIT_INPUT, "cannot write '%s': name too long", name);
	if (out->base[0] == '\0')
		pm_die(PM_EXIT_INPUT, "cannot write '%s': is a directory", name);
}

/* A fresh name for the temporary next to the output. */
static int
tmp_name(struct output *out, char *buf, size_t size, unsigned n)
{
	int r = snprintf(buf, size, "%s/.%s.%ld.%u.tmp", out->dir, out->base,
	    (long)getpid(), n);

	return r < 0 || (size_t)r >= size ? -1 : 0;
}

static void
open_output(struct output *out, const char *name)
{
	struct stat st;
	char tmp[PATH_MAX];

	memset(out, 0, sizeof(*out));
	out->name = name;
	if (name == NULL || strcmp(name, "-") == 0) {
		out->name = "<stdout>";
		out->fd = STDOUT_FILENO;
		if (isatty(out->fd))
			pm_die(PM_EXIT_INPUT, "refusing to write a snapshot to a "
			    "terminal; use -o FILE or a pipe");
		return;
	}
	if (stat(name, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			pm_die(PM_EXIT_INPUT, "cannot write '%s': is a directory",
			    name);
		/* /dev/null, a fifo: write to it as it is. */
		out->fd = open(name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (out->fd < 0)
			pm_die_errno(PM_EXIT_INPUT, "cannot open '%s'", name);
		if (isatty(out->fd))
			pm_die(PM_EXIT_INPUT, "refusing to write a snapshot to a "
			    "terminal; use -o FILE or a pipe");
		return;
	}
	split_path(out, name);
	out->atomic = 1;
	/* An unnamed file leaves nothing behind, even after SIGKILL. */
	out->fd = open(out->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (out->fd >= 0) {
		out->unnamed = 1;
		return;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		pm_die_errno(PM_EXIT_INPUT, "cannot create a file in '%s'",
		    out->dir);
	for (unsigned n = 0;; n++) {
		if (tmp_name(out, tmp, sizeof(tmp), n) < 0)
			pm_die(PM_EXIT_INPUT, "cannot write '%s': name too long",
			    name);
		set_tmp(tmp);
		out->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (out->fd >= 0)
			return;
		set_tmp("");
		if (errno != EEXIST || n > 1000)
			pm_die_errno(PM_EXIT_INPUT, "cannot create '%s'", tmp);
	}
}

/* Give up on the output: nothing of it stays. */
static void
discard_output(struct output *out)
{
	if (out->atomic) {
		if (tmp_set)
			unlink(tmp_path);
		set_tmp("");
		close(out->fd);
	}
}

/* Make the finished output visible under its name. */
static void
commit_output(struct output *out)
{
	char tmp[PATH_MAX], fdpath[64];

	if (!out->atomic) {
		if (out->fd != STDOUT_FILENO && close(out->fd) < 0)
			pm_die_errno(PM_EXIT_INPUT, "cannot write '%s'",
			    out->name);
		return;
	}
	if (fsync(out->fd) < 0) {
		int errnum = errno;
		discard_output(out);
		errno = errnum;
		pm_die_errno(PM_EXIT_INPUT, "cannot write '%s'", out->name);
	}
	if (out->unnamed) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", out->fd);
		for (unsigned n = 0;; n++) {
			if (tmp_name(out, tmp, sizeof(tmp), n) < 0)
				pm_die(PM_EXIT_INPUT, "cannot write '%s': name "
				    "too long", out->name);
			set_tmp(tmp);
			if (linkat(AT_FDCWD, fdpath, AT_FDCWD, tmp,
			    AT_SYMLINK_FOLLOW) == 0)
				break;
			set_tmp("");
			if (errno != EEXIST || n > 1000) {
				int errnum = errno;
				close(out->fd);
				errno = errnum;
				pm_die_errno(PM_EXIT_INPUT, "cannot create '%s'",
				    tmp);
			}
		}
	}
	if (close(out->fd) < 0) {
		int errnum = errno;
		unlink(tmp_path);
		set_tmp("");
		errno = errnum;
		pm_die_errno(PM_EXIT_INPUT, "cannot write '%s'", out->name);
	}
	if (rename(tmp_path, out->name) < 0) {
		int errnum = errno;
		unlink(tmp_path);
		set_tmp("");
		errno = errnum;
		pm_die_errno(PM_EXIT_INPUT, "cannot rename '%s' to '%s'",
		    tmp_path, out->name);
	}
	set_tmp("");
}

/* ---- progress on a terminal ---- */

struct progress {
	double last;		/* seconds, CLOCK_MONOTONIC */
	int drawn;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
draw_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	char buf[128];
	double t = now_s();
	int n;

	if (t - p->last < 1.0 / 6 || total == 0)
		return;
	p->last = t;
	n = snprintf(buf, sizeof(buf), "\r%s: compressing %3d%% (%.1f of %.1f "
	    "MiB)", pm_getprogname(), (int)(100.0 * (double)done /
	    (double)total), (double)done / 1048576.0,
	    (double)total / 1048576.0);
	if (n > 0 && (size_t)n < sizeof(buf) &&
	    write(STDERR_FILENO, buf, (size_t)n) == n)
		p->drawn = 1;
}

static void
clear_progress(struct progress *p)
{
	static const char blank[] = "\r                                        "
	    "                                        \r";

	if (p->drawn && write(STDERR_FILENO, blank, sizeof(blank) - 1) < 0)
		p->drawn = 0;
	p->drawn = 0;
}

static void
log_line(void *arg, const char *msg)
{
	(void)arg;
	pm_warn("%s", msg);
}

/* ---- --info: the snapshot's header and mappings as records ---- */

/* "3.12.1", "3.13.0rc2"; "3.12" when only the minor is known. */
static const char *
version_text(uint32_t v, char *buf, size_t size)
{
	static const char *const level[16] = {
		[0xa] = "a", [0xb] = "b", [0xc] = "rc"
	};
	unsigned rl = v >> 4 & 0xf, serial = v & 0xf;

	if (v == 0)
		snprintf(buf, size, "unknown");
	else if ((v & 0xffff) == 0)
		snprintf(buf, size, "%u.%u", v >> 24, v >> 16 & 0xff);
	else if (rl == 0xf || level[rl] == NULL)
		snprintf(buf, size, "%u.%u.%u", v >> 24, v >> 16 & 0xff,
		    v >> 8 & 0xff);
	else
		snprintf(buf, size, "%u.%u.%u%s%u", v >> 24, v >> 16 & 0xff,
		    v >> 8 & 0xff, level[rl], serial);
	return buf;
}

/* UTC, ISO 8601, to the nanosecond. */
static const char *
time_text(int64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (gmtime_r(&sec, &tm) == NULL ||
	    (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) == 0 ||
	    snprintf(buf + n, size - n, ".%09ldZ", frac) >= (int)(size - n))
		snprintf(buf, size, "%lld", (long long)ns);
	return buf;
}

static void
perms_text(uint32_t prot, char *buf)
{
	buf[0] = prot & PM_PROT_READ ? 'r' : '-';
	buf[1] = prot & PM_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & PM_PROT_EXEC ? 'x' : '-';
	buf[3] = prot & PM_PROT_PRIVATE ? 'p' : 's';
	buf[4] = '\0';
}

/* KIND: the class, then what was found there, comma-separated. */
static const char *
kind_text(const struct pm_region *g, char *buf, size_t size)
{
	static const char *const cls[] = {
		[PM_REGION_HEAP] = "heap", [PM_REGION_STACK] = "stack",
		[PM_REGION_FILE] = "file", [PM_REGION_OTHER] = "other",
	};
	size_t n;

	if (g->cls == PM_REGION_STACK)
		n = (size_t)snprintf(buf, size, "stack:%u", g->tid);
	else
		n = (size_t)snprintf(buf, size, "%s", cls[g->cls]);
	if (g->flags & PM_REGION_INTERP)
		n += (size_t)snprintf(buf + n, size - n, ",interp");
	if (g->flags & PM_REGION_RUNTIME)
		n += (size_t)snprintf(buf + n, size - n, ",runtime");
	if (g->flags & PM_REGION_PYMALLOC)
		n += (size_t)snprintf(buf + n, size - n, ",pymalloc");
	if (g->flags & PM_REGION_OBJECTS)
		snprintf(buf + n, size - n, ",objects");
	return buf;
}

static void
key_str(struct pm_out *o, const char *key, const char *value)
{
	pm_out_str(o, key);
	pm_out_str(o, value);
	pm_out_end(o);
}

static void
key_u64(struct pm_out *o, const char *key, uint64_t value)
{
	pm_out_str(o, key);
	pm_out_u64(o, value);
	pm_out_end(o);
}

static void
print_progress(void *arg, const char *phase, uint64_t done)
{
	pm_progress_show(arg, "%s: %llu objects", phase,
	    (unsigned long long)done);
}

/*
 * pm-dump --info: the header as KEY VALUE records, then one record per
 * mapping. The objects are enumerated to find what the mappings hold;
 * when that fails the header and mappings are still printed, with a
 * warning, and the kinds say only what the snapshot alone shows.
 */
static int
info(const char *path, enum pm_out_format format, int header, int quiet)
{
	static const char *const kcols[] = { "KEY", "VALUE" };
	static const char *const mcols[] = {
		"START", "END", "SIZE", "PERMS", "PATH", "KIND"
	};
	struct pm_progress prog;
	struct pm_regions r;
	struct pm_snap snap;
	struct pm_heap *heap;
	struct pm_err err;
	struct pm_out out;
	char buf[64], kind[96], perms[5];
	uint64_t sum = 0;

	pm_progress_init(&prog, quiet);
	pm_progress_show(&prog, "reading snapshot");
	if (pm_snap_open(&snap, path, &err) < 0) {
		pm_progress_end(&prog);
		pm_die_err(&err);
	}
	heap = pm_heap_open(&snap, print_progress, &prog, &err);
	pm_progress_end(&prog);
	if (heap == NULL)
		pm_warn("objects not enumerated: %s", err.msg);
	if (pm_regions_build(&r, &snap, heap, &err) < 0)
		pm_die_err(&err);
	if (r.om.status != PM_OBMALLOC_OK)
		pm_warn("pymalloc arenas unknown: %s", r.om.why);
	else if (r.om.ninconsistent)
		pm_warn("%zu of %zu pymalloc arenas could not be read whole",
		    r.om.ninconsistent, r.om.narenas);

	pm_out_init(&out, stdout, format, header, kcols, 2);
	key_u64(&out, "format", snap.format);
	key_str(&out, "source", snap.flags & PM_SNAP_FROM_CORE ? "core" :
	    "process");
	key_u64(&out, "pid", snap.pid);
	key_str(&out, "time", time_text(snap.time_ns, buf, sizeof(buf)));
	key_str(&out, "exe", snap.exe ? snap.exe : "");
	key_str(&out, "python", version_text(snap.py_version, buf,
	    sizeof(buf)));
	key_u64(&out, "pause_us", snap.pause_us);
	key_u64(&out, "symbols", snap.nsyms);
	key_u64(&out, "mappings", snap.nmaps);
	key_u64(&out, "bytes", snap.data_bytes);
	if (heap != NULL)
		key_u64(&out, "objects", pm_heap_nobjs(heap));
	else
		key_str(&out, "objects", "unknown");
	if (r.om.status == PM_OBMALLOC_OK) {
		key_u64(&out, "pymalloc_arenas", r.om.narenas);
		key_u64(&out, "pymalloc_arena_bytes",
		    r.om.narenas * r.om.arena_size);
		key_u64(&out, "pymalloc_used_bytes", r.om.total.used);
	} else {
		key_str(&out, "pymalloc_arenas", "unknown");
	}
	key_u64(&out, "threads", snap.nthreads);
	for (size_t i = 0; i < snap.nthreads; i++)
		key_u64(&out, "thread", snap.threads[i]);

	pm_out_init(&out, stdout, format, header, mcols, 6);
	for (size_t i = 0; i < r.n; i++) {
		const struct pm_map *m = r.v[i].map;
		perms_text(m->prot, perms);
		pm_out_addr(&out, m->start);
		pm_out_addr(&out, m->end);
		pm_out_u64(&out, m->end - m->start);
		pm_out_str(&out, perms);
		pm_out_str(&out, m->path);
		pm_out_str(&out, kind_text(&r.v[i], kind, sizeof(kind)));
		pm_out_end(&out);
		sum += m->end - m->start;
	}
	if (sum != snap.data_bytes)
		pm_warn("the mappings hold %llu bytes, the snapshot says %llu",
		    (unsigned long long)sum,
		    (unsigned long long)snap.data_bytes);
	pm_regions_release(&r);
	if (heap != NULL)
		pm_heap_close(heap);
	pm_snap_close(&snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

/* -p: a pid when all digits, else a pattern for one process. */
static int
pid_of(const char *arg)
{
	struct pm_err err;
	int pid;

	if (arg[strspn(arg, "0123456789")] == '\0')
		return (int)pm_parse_num(arg, 1, INT_MAX, "--pid");
	if (pm_capture_find(arg, &pid, &err) < 0)
		pm_die_err(&err);
	return pid;
}

int
main(int argc, char *argv[])
{
	struct pm_capture_opts copts = { 0 };
	struct pm_snap_wopts wopts = { 0 };
	struct progress prog = { 0 };
	struct output out;
	struct pm_snap snap;
	struct pm_err err;
	const char *outname = NULL, *parg = NULL, *pidfile = NULL, *core = NULL;
	const char *infopath = NULL;
	enum pm_out_format format = PM_OUT_TSV;
	char vbuf[16];
	int ch, pid = 0, quiet = 0, verbose = 0, header = 0, r;
	int dump_opts = 0;	/* options of a dump, not of --info */
	double t0;

	while ((ch = getopt_long(argc, argv, "Hhl:o:p:qT:v", longopts,
	    NULL)) != -1) {
		if (ch == 'l' || ch == 'o' || ch == 'T' || ch == 'v' ||
		    ch == OPT_RAW)
			dump_opts = 1;
		switch (ch) {
		case 'H':
			header = 1;
			break;
		case 'h':
			usage(stdout, PM_EXIT_OK);
			break;
		case 'l':
			wopts.level = (int)pm_parse_num(optarg, 1, 19, "--level");
			break;
		case 'o':
			outname = optarg;
			break;
		case 'p':
			parg = optarg;
			break;
		case 'q':
			quiet = 1;
			verbose = 0;
			break;
		case 'T':
			wopts.threads = (int)pm_parse_num(optarg, 0, 256,
			    "--threads");
			break;
		case 'v':
			verbose = 1;
			quiet = 0;
			break;
		case OPT_RAW:
			wopts.raw = 1;
			break;
		case OPT_CORE:
			core = optarg;
			break;
		case OPT_EXE:
			copts.exe = optarg;
			break;
		case OPT_SYSROOT:
			copts.sysroot = optarg;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_INFO:
			infopath = optarg;
			break;
		case OPT_CSV:
			format = PM_OUT_CSV;
			break;
		case OPT_JSON:
			format = PM_OUT_JSON;
			break;
		case OPT_VERSION:
			printf("pm-dump %s\n", PM_VERSION);
			pm_close_stdout();
			return PM_EXIT_OK;
		default:
			usage(stderr, PM_EXIT_INPUT);
		}
	}
	if (optind < argc) {
		pm_warn("unexpected operand '%s'", argv[optind]);
		usage(stderr, PM_EXIT_INPUT);
	}
	if (infopath != NULL) {
		if (parg || pidfile || core || copts.exe || copts.sysroot ||
		    dump_opts) {
			pm_warn("--info takes only -H, -q, --csv and --json");
			usage(stderr, PM_EXIT_INPUT);
		}
		return info(infopath, format, header, quiet);
	}
	if (header || format != PM_OUT_TSV) {
		pm_warn("-H, --csv and --json go with --info");
		usage(stderr, PM_EXIT_INPUT);
	}
	if ((parg != NULL) + (pidfile != NULL) + (core != NULL) != 1) {
		pm_warn(parg || pidfile || core ? "give one of -p, --pid-file "
		    "and --core" : "no process given: use -p PID");
		usage(stderr, PM_EXIT_INPUT);
	}
	if ((copts.exe || copts.sysroot) && core == NULL) {
		pm_warn("--exe and --sysroot go with --core");
		usage(stderr, PM_EXIT_INPUT);
	}
	if (parg)
		pid = pid_of(parg);
	if (pidfile && pm_capture_pidfile(pidfile, &pid, &err) < 0)
		pm_die_err(&err);

	/* Output first: refuse a terminal before touching the target. */
	catch_signals();
	open_output(&out, outname);

	if (verbose) {
		copts.log = log_line;
		copts.log_arg = NULL;
	}
	copts.warn = log_line;
	t0 = now_s();
	r = core ? pm_core_read(core, &snap, &copts, &err) :
	    pm_capture(pid, &snap, &copts, &err);
	if (r < 0) {
		discard_output(&out);
		pm_die_err(&err);
	}
	if (!quiet && core)
		pm_warn("core '%s' of pid %u (python %s): %.1f MiB in %zu "
		    "mappings, %zu thread%s", core, snap.pid,
		    pm_snap_pyversion(&snap, vbuf),
		    (double)snap.data_bytes / 1048576.0, snap.nmaps,
		    snap.nthreads, snap.nthreads == 1 ? "" : "s");
	else if (!quiet)
		pm_warn("pid %d (python %s): paused %.1f ms, %.1f MiB in %zu "
		    "mappings, %zu thread%s", pid,
		    pm_snap_pyversion(&snap, vbuf), (double)snap.pause_us / 1e3,
		    (double)snap.data_bytes / 1048576.0, snap.nmaps,
		    snap.nthreads, snap.nthreads == 1 ? "" : "s");
	if (verbose)
		pm_warn("captured in %.3f s, %zu data symbols", now_s() - t0,
		    snap.nsyms);

	if (!quiet && pm_progress_wanted()) {
		prog.last = now_s();
		wopts.progress = draw_progress;
		wopts.progress_arg = &prog;
	}
	if (pm_snap_write(&snap, out.fd, &wopts, &err) < 0) {
		int errnum = errno;
		clear_progress(&prog);
		discard_output(&out);
		if (errnum == EPIPE || strstr(err.msg, strerror(EPIPE))) {
			/* The reader went away: end quietly, as SIGPIPE would. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
			_exit(PM_EXIT_INPUT);
		}
		if (strncmp(err.msg, "cannot write snapshot", 21) != 0)
			pm_die_err(&err);
		errno = errnum;
		if (out.fd == STDOUT_FILENO)
			pm_die_errno(PM_EXIT_INPUT, "write error on standard "
			    "output");
		pm_die_errno(PM_EXIT_INPUT, "cannot write '%s'", out.name);
	}
	clear_progress(&prog);
	commit_output(&out);
	if (verbose)
		pm_warn("done in %.3f s", now_s() - t0);
	pm_capture_release(&snap);
	pm_close_stdout();
	return PM_EXIT_OK;
}

/*
 * bench-run - run a command and report its wall time, peak memory and
 * CPU time, for tests/bench/bench.sh; or measure what first touching
 * fresh memory costs on this machine.
 *
 * usage: bench-run [-i infile] [-o outfile] command [arg ...]
 *        bench-run -t mib
 *
 * Prints "WALL_SECONDS MAXRSS_KIB EXIT_STATUS CPU_SECONDS" on stderr
 * after the command ends; stdin and stdout of the command come from -i
 * and -o (default /dev/null for both). CPU_SECONDS is user plus system
 * time of the command and its children.
 *
 * With -t, a child maps mib MiB of anonymous memory on huge pages (as
 * lib/bigmem.c does) and writes one byte in every 4 KiB page: the floor
 * under every analysis, which must fill memory of its own with the
 * snapshot and the object index. The line has the same four fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"
#include "util.h"

static void
usage(void)
{
	pm_die(PM_EXIT_INPUT, "usage: bench-run [-i infile] [-o outfile] "
	    "command [arg ...] | bench-run -t mib");
}

/* In the child: touch mib MiB of fresh memory; exit 0, or 1 if none. */
static void
touch(long long mib)
{
	size_t n = (size_t)mib << 20;
	unsigned char *p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	_exit(0);
}

int
main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null";
	struct timespec t0, t1;
	struct rusage ru;
	long long mib = -1;
	int c, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+i:o:t:")) != -1) {
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			mib = pm_parse_num(optarg, 1, 1 << 20, "-t");
			break;
		default:
			usage();
		}
	}
	if ((mib < 0) == (optind >= argc))
		usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		pm_die_errno(PM_EXIT_INPUT, "cannot fork");
	if (pid == 0) {
		int fi, fo;
		if (mib >= 0)
			touch(mib);
		fi = open(in, O_RDONLY);
		fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fi < 0 || fo < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0)
			_exit(127);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			pm_die_errno(PM_EXIT_INPUT, "wait");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%.3f %ld %d %.3f\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, ru.ru_maxrss,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}

/*
 * bench-run - run a command and report its wall time and peak memory,
 * for tests/bench/bench.sh.
 *
 * usage: bench-run [-i infile] [-o outfile] command [arg ...]
 *
 * Prints "WALL_SECONDS MAXRSS_KIB EXIT_STATUS" on stderr after the
 * command ends; stdin and stdout of the command come from -i and -o
 * (default /dev/null for both).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pm.h"
#include "util.h"

int
main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null";
	struct timespec t0, t1;
	struct rusage ru;
	int c, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+i:o:")) != -1) {
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			pm_die(PM_EXIT_INPUT, "usage: bench-run [-i infile] "
			    "[-o outfile] command [arg ...]");
		}
	}
	if (optind >= argc)
		pm_die(PM_EXIT_INPUT, "usage: bench-run [-i infile] [-o outfile] "
		    "command [arg ...]");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		pm_die_errno(PM_EXIT_INPUT, "cannot fork");
	if (pid == 0) {
		int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT |
		    O_TRUNC, 0600);
		if (fi < 0 || fo < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0)
			_exit(127);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			pm_die_errno(PM_EXIT_INPUT, "wait");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%.3f %ld %d\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, ru.ru_maxrss,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

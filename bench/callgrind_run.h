/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the callgrind benches share: run this program again as a child under
 * callgrind (its output in a fresh file), and read the total back.  Each
 * bench keeps its own way of choosing what is counted (client-request
 * toggles, --toggle-collect of named functions, dumps) and of reading a
 * file with more than one figure in it.
 */
#ifndef BENCH_CALLGRIND_RUN_H
#define BENCH_CALLGRIND_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_CG_OUT 40
#define BENCH_CG_ARGS 24

/*
 * Run valgrind --tool=callgrind with the options @opts (NULL-terminated; may
 * be NULL) on @child (the program and its arguments, NULL-terminated),
 * stderr silenced, callgrind's output in @out (a new /tmp file; the caller
 * unlinks it after a 0).  0, -1 when the child failed, -2 without valgrind.
 */
static inline int bench_callgrind(const char *const *opts, char *const *child, char out[BENCH_CG_OUT])
{
	char outarg[BENCH_CG_OUT + 32];
	char *argv[BENCH_CG_ARGS];
	unsigned int n = 0;
	int fd, st = 0;
	pid_t pid;

	snprintf(out, BENCH_CG_OUT, "/tmp/bench.cg.XXXXXX");
	if ((fd = mkstemp(out)) < 0)
		return -1;
	close(fd);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	argv[n++] = (char *)"valgrind";
	argv[n++] = (char *)"--tool=callgrind";
	argv[n++] = outarg;
	for (unsigned int i = 0; opts && opts[i] && n < BENCH_CG_ARGS - 1; i++)
		argv[n++] = (char *)opts[i];
	for (unsigned int i = 0; child[i] && n < BENCH_CG_ARGS - 1; i++)
		argv[n++] = child[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		unlink(out);
		return pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -2 : -1;
	}
	return 0;
}

/* The last "totals:" or "summary:" of a callgrind output file, or -1. */
static inline double bench_callgrind_total(const char *path)
{
	char line[512];
	double t = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "totals: ", 8) || !strncmp(line, "summary: ", 9))
			t = strtod(strchr(line, ' ') + 1, NULL);
	fclose(f);
	return t;
}

/* bench_callgrind() with collection off at the start (the child toggles it) and the total read back. */
static inline double bench_callgrind_toggled(char *const *child)
{
	static const char *const opts[] = { "--collect-atstart=no", NULL };
	char out[BENCH_CG_OUT];
	double t;
	int rc = bench_callgrind(opts, child, out);

	if (rc < 0)
		return rc;
	t = bench_callgrind_total(out);
	unlink(out);
	return t;
}

#endif

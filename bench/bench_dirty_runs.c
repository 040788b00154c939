/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty-range extraction (lib/iommufd/dirty_runs.c, the walk behind
 * vfioiommu_dirty_hwpt_ranges()) from a 32 MiB bitmap (2^28 pages: 1 TiB at
 * 4 KiB) beside memcpy() of the same bitmap, in instructions counted by
 * callgrind (deterministic), in one run of this program.  Four bitmaps:
 * 1 % and 50 % of the pages dirty, either clustered (runs of 1..1024 pages,
 * as a guest dirties whole buffers) or scattered (every page independently).
 * The extraction's callback counts the runs (the least a caller does).
 *
 * Usage: bench_dirty_runs   (prints memcpy / extraction instruction ratios;
 * the target is >= 0.8, i.e. extraction within 1.25x memcpy's instructions)
 * It runs itself under valgrind --tool=callgrind once per variant.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include <vfioiommu/iova.h>

#include "iommufd/objs.h"

#define BYTES (32u << 20)
#define WORDS (BYTES / 8)
#define BITS ((uint64_t)BYTES * 8)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint64_t *w, unsigned int pct, int clustered)
{
	memset(w, 0, BYTES);
	if (!clustered) {
		for (uint64_t i = 0; i < BITS; i++)
			if (next() % 100 < pct)
				w[i / 64] |= 1ull << (i % 64);
		return;
	}
	/* runs of 1..1024 pages (mean ~512), gaps sized for the density */
	for (uint64_t i = 0; i < BITS;) {
		uint64_t run = 1 + next() % 1024, gap = run * (100 - pct) / pct;

		gap = gap / 2 + next() % (gap + 1);
		i += gap;
		for (uint64_t j = i; j < i + run && j < BITS; j++)
			w[j / 64] |= 1ull << (j % 64);
		i += run;
	}
}

static int count(void *arg, uint64_t first, uint64_t n)
{
	(void)first, (void)n;
	(*(uint64_t *)arg)++;
	return 0;
}

static int child(const char *variant, unsigned int pct, int clustered)
{
	uint64_t *src = aligned_alloc(64, BYTES), *dst = aligned_alloc(64, BYTES), runs = 0;
	struct vi_runs r = { .emit = count, .arg = &runs };

	if (!src || !dst)
		return 1;
	fill(src, pct, clustered);
	memset(dst, 1, BYTES);
	CALLGRIND_TOGGLE_COLLECT;
	if (!strcmp(variant, "memcpy")) {
		memcpy(dst, src, BYTES);
	} else {
		vi_runs_feed(&r, src, 0, BITS);
		vi_runs_end(&r);
	}
	CALLGRIND_TOGGLE_COLLECT;
	if (strcmp(variant, "memcpy"))
		fprintf(stderr, "runs %llu\n", (unsigned long long)runs);
	free(src);
	free(dst);
	return (!strcmp(variant, "memcpy") || runs) ? 0 : 1;
}

static double totals(const char *path)
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

static double measure(const char *self, const char *variant, unsigned int pct, int clustered)
{
	char out[96], outarg[128], p[16], c[4];
	int st = 0;
	pid_t pid;
	double t;

	snprintf(out, sizeof(out), "/tmp/bench_dirty_runs.%d.%s.%u.%d", (int)getpid(), variant, pct, clustered);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	snprintf(p, sizeof(p), "%u", pct);
	snprintf(c, sizeof(c), "%d", clustered);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		char *const argv[] = { "valgrind", "--tool=callgrind", "--collect-atstart=no", outarg,
				       (char *)self, "--child", (char *)variant, p, c, NULL };

		if (devnull >= 0)
			dup2(devnull, 2);
		execvp("valgrind", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		unlink(out);
		return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -2 : -1;
	}
	t = totals(out);
	unlink(out);
	return t;
}

int main(int argc, char **argv)
{
	static const struct { unsigned int pct; int clustered; const char *name; } cases[] = {
		{ 1, 1, "1% clustered" }, { 50, 1, "50% clustered" }, { 1, 0, "1% scattered" }, { 50, 0, "50% scattered" },
	};

	if (argc == 5 && !strcmp(argv[1], "--child"))
		return child(argv[2], (unsigned int)atoi(argv[3]), atoi(argv[4]));
	printf("dirty-range extraction from a 32 MiB bitmap vs memcpy of it (callgrind instructions)\n");
	printf("%-15s %14s %14s %16s\n", "bitmap", "memcpy", "extraction", "memcpy/extract");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double m = measure(argv[0], "memcpy", cases[i].pct, cases[i].clustered);
		double e = measure(argv[0], "runs", cases[i].pct, cases[i].clustered);

		if (m == -2) {
			printf("valgrind not found: not measured\n");
			return 77;
		}
		if (m < 0 || e <= 0)
			return 1;
		printf("%-15s %14.0f %14.0f %15.2fx\n", cases[i].name, m, e, m / e);
	}
	return 0;
}

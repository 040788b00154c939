/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Dirty-range extraction (lib/migration/dirty_runs.c, the walk behind
 * every vfioiommu_dirty_*_ranges()) from a 32 MiB bitmap (2^28 pages: 1 TiB at
 * 4 KiB) beside memcpy() of the same bitmap, timed side by side in one
 * process.  Four bitmaps: 1 % and 50 % of the pages dirty, either clustered
 * (runs of 1..1024 pages, as a guest dirties whole buffers) or scattered
 * (every page independently).  The extraction's callback counts the runs
 * (the least a caller does); the count is checked against a plain count of
 * run starts.
 *
 * Each repetition times memcpy, the extraction the library picks (AVX2 when
 * the CPU has it), the baseline 16-byte walk, and the callback alone called
 * once per run (no walk: the bound on any walk with a callback per run,
 * which is the interface), in an order that rotates per
 * repetition, each after the same 64 MiB read that pushes the bitmap out of
 * the caches, so every one starts from the same state: pages touched, bitmap
 * in memory.  Printed: the median and range of each time, and the median and
 * range over repetitions of memcpy time / extraction time (the speed ratio;
 * target >= 0.8), the ratio of the two fastest times (what a quiet machine
 * would show: other load only adds time), and the medians of memcpy /
 * baseline walk and memcpy / callbacks alone.
 *
 * Usage: bench_dirty_runs [--reps N] [--callgrind]
 *   --callgrind adds instruction counts (callgrind, one run per side and
 *   bitmap, the program running itself under valgrind).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include <vfioiommu/iova.h>

#include "migration/dirty_runs.h"
#include "iommufd/objs.h"
#include "callgrind_run.h"

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
	/* the same bitmap for a case whichever process fills it */
	rng = 0x9e3779b97f4a7c15ull ^ (pct * 2u + (unsigned int)clustered);
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

/* runs of the bitmap the plain way: set bits whose lower neighbour is clear */
static uint64_t ref_runs(const uint64_t *w)
{
	uint64_t runs = 0, c = 0;

	for (uint64_t i = 0; i < WORDS; i++) {
		runs += (uint64_t)__builtin_popcountll(w[i] & ~(w[i] << 1 | c));
		c = w[i] >> 63;
	}
	return runs;
}

/*
 * The callback alone, as many times as there are runs: what any walk that
 * calls back once per run pays before it reads a word, so memcpy time / this
 * time bounds the ratio any such walk can reach.
 */
static int (*volatile count_fn)(void *, uint64_t, uint64_t) = count;

static uint64_t callbacks_only(uint64_t n)
{
	int (*fn)(void *, uint64_t, uint64_t) = count_fn;
	uint64_t runs = 0;

	for (uint64_t i = 0; i < n; i++)
		if (fn(&runs, 2 * i, 1))
			break;
	return runs;
}

static uint64_t extract(const uint64_t *src, int isa)
{
	uint64_t runs = 0;
	struct vi_runs r = { .emit = count, .arg = &runs };

	if (isa < 0 ? vi_runs_feed(&r, src, 0, BITS) : vi_runs_feed_isa(&r, src, 0, BITS, isa))
		return UINT64_MAX;
	vi_runs_end(&r);
	return runs;
}

/* One side under callgrind, on the bitmap the parent wrote to @path (filling it there would take minutes). */
static int child(const char *variant, const char *path)
{
	uint64_t *src = aligned_alloc(64, BYTES), *dst = aligned_alloc(64, BYTES), runs = 0;
	FILE *f = fopen(path, "rb");
	size_t got = f && src ? fread(src, 1, BYTES, f) : 0;

	if (f)
		fclose(f);
	if (!src || !dst || got != BYTES)
		return 1;
	memset(dst, 1, BYTES);
	CALLGRIND_TOGGLE_COLLECT;
	if (!strcmp(variant, "memcpy"))
		memcpy(dst, src, BYTES);
	else
		runs = extract(src, -1);
	CALLGRIND_TOGGLE_COLLECT;
	free(src);
	free(dst);
	return (!strcmp(variant, "memcpy") || (runs && runs != UINT64_MAX)) ? 0 : 1;
}

/* The instructions @variant spends on the bitmap at @path, -1 failed, -2 no valgrind. */
static double measure(const char *self, const char *variant, const char *path)
{
	char *const child[] = { (char *)self, (char *)"--child", (char *)variant, (char *)path, NULL };

	return bench_callgrind_toggled(child);
}

/* Both sides' instructions on the bitmap in @src: 0, or -1 on failure, -2 without valgrind. */
static int count_instructions(const char *self, const uint64_t *src, double *m, double *e)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/tmp/bench_dirty_runs.%d.bitmap", (int)getpid());
	f = fopen(path, "wb");
	ok = f && fwrite(src, 1, BYTES, f) == BYTES;
	if (f && fclose(f))
		ok = 0;
	if (!ok) {
		unlink(path);
		return -1;
	}
	*m = measure(self, "memcpy", path);
	*e = *m == -2 ? -2 : measure(self, "runs", path);
	unlink(path);
	return *m == -2 ? -2 : (*m < 0 || *e <= 0) ? -1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAXREPS 101

static double median(const double *v, unsigned int n, double *lo, double *hi)
{
	double s[MAXREPS];

	memcpy(s, v, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Read a buffer twice the last-level cache: the bitmap leaves the caches. */
static uint64_t evict(const uint64_t *e, size_t words)
{
	uint64_t x = 0;

	for (size_t i = 0; i < words; i += 8)
		x += e[i];
	return x;
}

enum { MEMCPY, LIB, BASE, CALLS, SIDES };

int main(int argc, char **argv)
{
	static const struct { unsigned int pct; int clustered; const char *name; } cases[] = {
		{ 1, 1, "1% clustered" }, { 50, 1, "50% clustered" }, { 1, 0, "1% scattered" }, { 50, 0, "50% scattered" },
	};
	static double t[SIDES][MAXREPS], ratio[3][MAXREPS], cgm[4], cge[4];
	unsigned int reps = 21;
	int cg = 0;
	size_t ewords = 2 * (size_t)WORDS;
	uint64_t *src, *dst, *ev, sink = 0;

	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(argv[2], argv[3]);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--callgrind")) {
			cg = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = (unsigned int)atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--reps N (1..%d)] [--callgrind]\n", argv[0], MAXREPS);
			return 2;
		}
	}
	if (reps < 1 || reps > MAXREPS) {
		fprintf(stderr, "--reps: 1..%d\n", MAXREPS);
		return 2;
	}
	src = aligned_alloc(64, BYTES);
	dst = aligned_alloc(64, BYTES);
	ev = aligned_alloc(64, ewords * 8);
	if (!src || !dst || !ev)
		return 1;
	memset(dst, 1, BYTES);
	memset(ev, 3, ewords * 8);
	{
		uint64_t z = 0;
		struct vi_runs r = { .emit = count, .arg = &z };

		/* vi_runs_feed() takes AVX2 whenever vi_runs_feed_isa() can */
		printf("walk picked by the library: %s\n",
		       vi_runs_feed_isa(&r, &z, 0, 1, VI_RUNS_ISA_AVX2) == 0 ? "AVX2" : "baseline (16-byte vectors)");
	}
	printf("dirty-range extraction from a 32 MiB bitmap vs memcpy of it, time side by side, %u repetitions\n", reps);
	printf("%-14s %9s %-22s %-23s %-26s %8s %8s %12s %9s %13s\n", "bitmap", "runs", "memcpy ms med [range]",
	       "extract ms med [range]", "memcpy/extract med [range]", "min/min", "base ms", "memcpy/base",
	       "calls ms", "memcpy/calls");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t want;
		double lo[SIDES], hi[SIDES], med[SIDES], rlo[3], rhi[3], rmed[3];

		fill(src, cases[i].pct, cases[i].clustered);
		want = ref_runs(src);
		/* warm up: pages touched and code paths taken once on every side */
		memcpy(dst, src, BYTES);
		if (extract(src, -1) != want || extract(src, VI_RUNS_ISA_BASE) != want) {
			fprintf(stderr, "%s: extraction found a wrong number of runs (want %llu)\n", cases[i].name,
				(unsigned long long)want);
			return 1;
		}
		for (unsigned int k = 0; k < reps; k++) {
			for (unsigned int j = 0; j < SIDES; j++) {
				unsigned int side = (j + k) % SIDES;
				uint64_t got = want;
				double t0;

				sink += evict(ev, ewords);
				t0 = now();
				if (side == MEMCPY) {
					memcpy(dst, src, BYTES);
					__asm__ volatile("" : : "r"(dst) : "memory");
				} else if (side == CALLS) {
					got = callbacks_only(want);
				} else {
					got = extract(src, side == LIB ? -1 : VI_RUNS_ISA_BASE);
				}
				t[side][k] = now() - t0;
				if (got != want)
					return 1;
			}
			ratio[0][k] = t[MEMCPY][k] / t[LIB][k];
			ratio[1][k] = t[MEMCPY][k] / t[BASE][k];
			ratio[2][k] = t[MEMCPY][k] / t[CALLS][k];
		}
		if (cg && count_instructions(argv[0], src, &cgm[i], &cge[i]) == -1) {
			fprintf(stderr, "%s: callgrind failed\n", cases[i].name);
			return 1;
		}
		for (unsigned int j = 0; j < SIDES; j++)
			med[j] = median(t[j], reps, &lo[j], &hi[j]) * 1e3, lo[j] *= 1e3, hi[j] *= 1e3;
		for (unsigned int j = 0; j < 3; j++)
			rmed[j] = median(ratio[j], reps, &rlo[j], &rhi[j]);
		printf("%-14s %9llu %6.2f [%5.2f..%6.2f] %7.2f [%6.2f..%6.2f] %7.2fx [%5.2f..%5.2f]   %7.2fx %8.2f %11.2fx %9.2f "
		       "%12.2fx\n",
		       cases[i].name, (unsigned long long)want, med[MEMCPY], lo[MEMCPY], hi[MEMCPY], med[LIB], lo[LIB],
		       hi[LIB], rmed[0], rlo[0], rhi[0], lo[MEMCPY] / lo[LIB], med[BASE], rmed[1], med[CALLS], rmed[2]);
		fflush(stdout);
	}
	if (cg) {
		printf("instructions (callgrind, one run each)\n%-14s %14s %14s %16s\n", "bitmap", "memcpy", "extraction",
		       "memcpy/extract");
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (cgm[i] == -2) {
				printf("valgrind not found: instructions not counted\n");
				break;
			}
			printf("%-14s %14.0f %14.0f %15.2fx\n", cases[i].name, cgm[i], cge[i], cgm[i] / cge[i]);
		}
	}
	free(src);
	free(dst);
	free(ev);
	/* the eviction reads must happen */
	__asm__ volatile("" : : "r"(sink));
	return 0;
}

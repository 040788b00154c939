/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PASID allocation in a 2^20 space at 10 %, 50 % and 90 % occupancy: the
 * library's summary bitmap beside two single-level bitmaps, first-fit (scan
 * from 0, the "linear bitmap scan" the library replaces) and next-fit (scan
 * on from the last hit, the usual cheap fix).
 *
 * The workload is a guest's steady state: the space is filled lowest-first
 * to the occupancy, then each step frees a random held PASID and allocates
 * any one.  One op = one alloc or one free.  The library pays its mutex on
 * every op; the baselines take no lock.
 *
 * Usage: bench_pasid [--check]   (--check: exit 1 when the library is not at
 * least 10x first-fit at 90 %)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vfioiommu.h>

#define WIDTH 20
#define N (1u << WIDTH)
#define MIN_SECONDS 0.1
#define ROUNDS 5 /* interleaved; the best of each is kept, since a shared machine only ever slows a run */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* CPU time of this thread: on a shared machine, time spent descheduled is not the allocator's */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------- baseline: one flat bitmap, 1 = used ---------------- */

struct flat {
	uint64_t w[N / 64];
	uint32_t cursor; /* next-fit only */
	int next_fit;
};

static int64_t flat_alloc(struct flat *f)
{
	uint32_t start = f->next_fit ? f->cursor / 64 : 0;

	for (uint32_t k = 0; k < N / 64; k++) {
		uint32_t i = (start + k) % (N / 64);

		if (~f->w[i]) {
			uint32_t p = i * 64 + (uint32_t)__builtin_ctzll(~f->w[i]);

			f->w[i] |= 1ull << (p % 64);
			f->cursor = p + 1 == N ? 0 : p + 1;
			return p;
		}
	}
	return -ENOSPC;
}

static void flat_free(struct flat *f, uint32_t p)
{
	f->w[p / 64] &= ~(1ull << (p % 64));
}

/* ---------------- one measurement ---------------- */

/* ops per second of the free-random / alloc-any steady state at @occ percent. */
static double run_lib(unsigned int occ)
{
	vfioiommu_pasid_space *sp;
	vfioiommu_pasid_set *set;
	uint32_t n = (uint32_t)((uint64_t)N * occ / 100);
	vfioiommu_pasid_handle *held = calloc(n, sizeof(*held));
	uint64_t ops = 0;
	double t0, t;

	if (!held || vfioiommu_pasid_space_new(WIDTH, NULL, &sp) < 0)
		exit(2);
	if (vfioiommu_pasid_set_new(sp, N, &set) < 0)
		exit(2);
	for (uint32_t i = 0; i < n; i++)
		if (vfioiommu_pasid_alloc(set, &held[i]) < 0)
			exit(2);
	t0 = now();
	do {
		for (int k = 0; k < 4096; k++) {
			uint32_t i = (uint32_t)(rnd() % n);

			if (vfioiommu_pasid_free(set, held[i]) < 0 || vfioiommu_pasid_alloc(set, &held[i]) < 0)
				exit(3);
		}
		ops += 2 * 4096;
	} while ((t = now() - t0) < MIN_SECONDS);
	vfioiommu_pasid_space_free(sp);
	free(held);
	return (double)ops / t;
}

static double run_flat(unsigned int occ, int next_fit)
{
	struct flat *f = calloc(1, sizeof(*f));
	uint32_t n = (uint32_t)((uint64_t)N * occ / 100);
	uint32_t *held = calloc(n, sizeof(*held));
	uint64_t ops = 0;
	double t0, t;
	int64_t p;

	if (!f || !held)
		exit(2);
	f->next_fit = next_fit;
	f->w[0] = 1; /* PASID 0 kept, as the library does by default */
	for (uint32_t i = 0; i < n; i++)
		held[i] = (uint32_t)flat_alloc(f);
	t0 = now();
	do {
		for (int k = 0; k < 256; k++) {
			uint32_t i = (uint32_t)(rnd() % n);

			flat_free(f, held[i]);
			if ((p = flat_alloc(f)) < 0)
				exit(3);
			held[i] = (uint32_t)p;
		}
		ops += 2 * 256;
	} while ((t = now() - t0) < MIN_SECONDS);
	free(held);
	free(f);
	return (double)ops / t;
}

int main(int argc, char **argv)
{
	static const unsigned int occs[] = { 10, 50, 90 };
	int check = argc > 1 && strcmp(argv[1], "--check") == 0;
	double ratio90 = 0;

	printf("PASID alloc+free, 2^%d space, free-random/alloc-any steady state (ops/s; 1 op = alloc or free)\n",
	       WIDTH);
	printf("%-6s %14s %14s %14s %10s %10s\n", "occ", "library", "first-fit", "next-fit", "x first", "x next");
	for (size_t i = 0; i < sizeof(occs) / sizeof(occs[0]); i++) {
		double lib = 0, ff = 0, nf = 0;

		for (int r = 0; r < ROUNDS; r++) {
			double a = run_lib(occs[i]), b = run_flat(occs[i], 0), c = run_flat(occs[i], 1);

			lib = a > lib ? a : lib;
			ff = b > ff ? b : ff;
			nf = c > nf ? c : nf;
		}
		printf("%5u%% %14.0f %14.0f %14.0f %9.1fx %9.2fx\n", occs[i], lib, ff, nf, lib / ff, lib / nf);
		if (occs[i] == 90)
			ratio90 = lib / ff;
	}
	if (check && ratio90 < 10) {
		printf("FAIL: %.1fx first-fit at 90 %%, want >= 10x\n", ratio90);
		return 1;
	}
	return 0;
}

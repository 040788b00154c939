/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reverse translation (vfioiommu_dma_translate_iova: IOVA -> process address,
 * a descent of the DMA table's IOVA tree) beside forward translation
 * (vfioiommu_dma_translate: a binary search of the process-address index) at
 * 1k, 16k and 64k live mappings, in instructions per lookup counted by
 * callgrind in one child per table size: both loops run in the same process
 * over the same mappings, in the same random order, so the ratio is side by
 * side.  Target: reverse <= 2x forward at 64k, and O(log n): the count grows
 * by a constant per doubling, not with n.
 *
 *   bench_translate            run under callgrind, print per-lookup counts and ratios
 *   bench_translate --check    also exit 1 when reverse/forward > 2 at 64k
 *   bench_translate --wall     wall-clock ns per lookup instead (no valgrind)
 *   bench_translate --run --live N --iters I   one child (what the driver runs)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#include "callgrind_run.h"

#define PG 4096ULL

static const char host[] =
	"address-width 39\npgsizes 0x40201000\n"
	"group 3\n  resv 0xfee00000 0xfeefffff msi\n  device 0000:00:03.0 vfio-pci\n";

struct world {
	vfioiommu_mock *mock;
	vfioiommu_ctx *ctx;
	uint8_t *mem;
	long live;
	uint64_t *iova;    /* iova[i]: mapping i, at mem + i pages */
	uint32_t *order;   /* the lookup order, a pseudo-random permutation walk */
};

static void die(const char *what, int rc, vfioiommu_ctx *ctx)
{
	fprintf(stderr, "bench_translate: %s: %s (%s)\n", what, strerror(-rc), ctx ? vfioiommu_strerror(ctx) : "");
	exit(2);
}

static void setup(struct world *w, long live, long iters)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_device *dev;
	char err[128];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int rc;

	w->live = live;
	if (vfioiommu_mock_new(&w->mock) || vfioiommu_mock_load_string(w->mock, host, err, sizeof(err)))
		die("mock", -EINVAL, NULL);
	o.door = vfioiommu_mock_door(w->mock);
	if ((rc = vfioiommu_ctx_new(&o, &w->ctx)) < 0)
		die("ctx", rc, NULL);
	if ((rc = vfioiommu_device_open(w->ctx, "0000:00:03.0", &dev)) < 0)
		die("device_open", rc, w->ctx);
	/* address space only: the mock pins nothing */
	w->mem = mmap(NULL, (size_t)live * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	w->iova = calloc((size_t)live, sizeof(*w->iova));
	w->order = calloc((size_t)iters, sizeof(*w->order));
	if (w->mem == MAP_FAILED || !w->iova || !w->order)
		die("memory", -ENOMEM, NULL);
	for (long i = 0; i < live; i++)
		if ((rc = vfioiommu_dma_map(w->ctx, w->mem + i * PG, PG, VFIOIOMMU_DMA_READ, &w->iova[i])) < 0)
			die("map", rc, w->ctx);
	for (long i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w->order[i] = (uint32_t)(x % (uint64_t)live);
	}
}

static void teardown(struct world *w)
{
	vfioiommu_ctx_destroy(w->ctx);
	vfioiommu_mock_destroy(w->mock);
	munmap(w->mem, (size_t)w->live * PG);
	free(w->iova);
	free(w->order);
}

/* The two measured loops: callgrind collects inside these functions only (--toggle-collect). */
uint64_t bench_forward(struct world *w, long iters);
uint64_t bench_reverse(struct world *w, long iters);

__attribute__((noinline)) uint64_t bench_forward(struct world *w, long iters)
{
	uint64_t sum = 0, iova;

	for (long i = 0; i < iters; i++) {
		if (vfioiommu_dma_translate(w->ctx, w->mem + (size_t)w->order[i] * PG + 8, 8, &iova) < 0)
			die("translate", -ENOENT, w->ctx);
		sum += iova;
	}
	return sum;
}

__attribute__((noinline)) uint64_t bench_reverse(struct world *w, long iters)
{
	uint64_t sum = 0;
	void *va;

	for (long i = 0; i < iters; i++) {
		if (vfioiommu_dma_translate_iova(w->ctx, w->iova[w->order[i]] + 8, 8, &va) < 0)
			die("translate_iova", -ENOENT, w->ctx);
		sum += (uint64_t)(uintptr_t)va;
	}
	return sum;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One table size: both loops once untimed (the first translate builds the index), then measured. */
static void run(long live, long iters, double *fwd_ns, double *rev_ns)
{
	struct world w;
	volatile uint64_t sink;
	double t0, t1, t2;

	setup(&w, live, iters);
	/* outside the measured functions: the first translate builds the process-address index */
	{
		uint64_t iova = 0;
		void *va = NULL;

		if (vfioiommu_dma_translate(w.ctx, w.mem, 1, &iova) < 0 ||
		    vfioiommu_dma_translate_iova(w.ctx, w.iova[0], 1, &va) < 0)
			die("warm-up", -ENOENT, w.ctx);
		sink = iova + (uint64_t)(uintptr_t)va;
	}
	t0 = now_ns();
	sink += bench_forward(&w, iters);
	t1 = now_ns();
	sink += bench_reverse(&w, iters);
	t2 = now_ns();
	(void)sink;
	*fwd_ns = (t1 - t0) / (double)iters;
	*rev_ns = (t2 - t1) / (double)iters;
	teardown(&w);
}

/* Inclusive Ir of function @fn in an uncompressed callgrind output file (its own lines and its calls). */
static double callgrind_incl(const char *path, const char *fn)
{
	char line[4096];
	bool in_fn = false;
	size_t fnlen = strlen(fn);
	double incl = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		if (!strncmp(line, "fn=", 3)) {
			in_fn = !strncmp(line + 3, fn, fnlen) && (line[3 + fnlen] == '\n' || line[3 + fnlen] == ' ');
		} else if ((line[0] >= '0' && line[0] <= '9') || line[0] == '+' || line[0] == '-' || line[0] == '*') {
			strtoll(line[0] == '*' ? line + 1 : line, &end, 0);
			if (in_fn)
				incl += strtod(end, NULL);
		}
	}
	fclose(f);
	return incl;
}

/* One child under callgrind for @live mappings: instructions per lookup, forward and reverse. */
static int callgrind_pair(const char *self, long live, long iters, double *fwd, double *rev)
{
	static const char *const opts[] = { "--collect-atstart=no", "--toggle-collect=bench_forward",
					    "--toggle-collect=bench_reverse", "--compress-strings=no", "--compress-pos=no", NULL };
	char out[BENCH_CG_OUT], l[32], n[32];

	snprintf(l, sizeof(l), "%ld", live);
	snprintf(n, sizeof(n), "%ld", iters);
	{
		char *const child[] = { (char *)self, (char *)"--run", (char *)"--live", l, (char *)"--iters", n, NULL };

		if (bench_callgrind(opts, child, out) < 0)
			return -1;
	}
	*fwd = callgrind_incl(out, "bench_forward") / (double)iters;
	*rev = callgrind_incl(out, "bench_reverse") / (double)iters;
	unlink(out);
	return *fwd > 0 && *rev > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const long sizes[] = { 1024, 16384, 65536 };
	long live = 65536, iters = 20000;
	bool wall = false, check = false, child = false;
	double ratio64 = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--run"))
			child = true;
		else if (!strcmp(argv[i], "--live") && i + 1 < argc)
			live = atol(argv[++i]);
		else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--wall"))
			wall = true;
		else if (!strcmp(argv[i], "--check"))
			check = true;
	}
	if (live < 1 || iters < 1)
		return 2;
	if (child) {
		double f, r;
		run(live, iters, &f, &r);
		return 0;
	}
	printf("bench_translate: lookups of a random live 4 KiB mapping, mock kernel (iommufd), %s\n",
	       wall ? "wall-clock ns per lookup" : "instructions per lookup (callgrind)");
	printf("  %8s %12s %12s %10s\n", "live", "forward", "reverse", "rev/fwd");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		double f, r;
		if (wall) {
			run(sizes[k], iters * 10, &f, &r);
		} else if (callgrind_pair(argv[0], sizes[k], iters, &f, &r) < 0) {
			printf("  callgrind not available (install valgrind) or a run failed; try --wall\n");
			return 0;
		}
		printf("  %8ld %12.1f %12.1f %10.3f\n", sizes[k], f, r, r / f);
		ratio64 = r / f;
	}
	if (check && ratio64 > 2.0) {
		printf("FAIL: reverse/forward %.3f > 2 at 64k live mappings\n", ratio64);
		return 1;
	}
	return 0;
}

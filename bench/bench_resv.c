/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reserved-region scaling: merge the per-group sets of a large host and
 * subtract them from a 48-bit aperture, at 10k regions / 1k groups and at
 * 100k regions / 10k groups, side by side in one run.  Both steps are
 * O(N log N) (two qsorts and two linear passes), so the time ratio should
 * be near 10 * log(100k) / log(10k) = 12.5; anything quadratic shows up as
 * ~100.  There is no ceiling: real hosts have tens of regions.
 *
 * glibc returns large freed blocks to the kernel and page-faults them back on
 * the next run, but only above a size threshold it tunes as it goes, so the
 * 100k case would pay page faults the 10k case does not.  main() pins the
 * allocator (mallopt) so both sizes measure the code; --raw keeps the default.
 *
 * Usage: bench_resv [--raw]
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vfioiommu.h>

#define REGIONS_PER_GROUP 10
#define RUNS 21

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double now(void)
{
	struct timespec ts;

	/* CPU time of this thread: a busy machine preempting us does not count */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A host-like group: the x86 MSI window plus scattered regions of every type. */
static int make_group(unsigned int g, vfioiommu_resv_set **out)
{
	struct vfioiommu_resv_region r[REGIONS_PER_GROUP];

	r[0] = (struct vfioiommu_resv_region){ 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, g };
	for (int i = 1; i < REGIONS_PER_GROUP; i++) {
		uint64_t start = (rnd() % (1ull << 48)) & ~0xfffull;
		uint64_t len = 0x1000ull << (rnd() % 9);

		r[i] = (struct vfioiommu_resv_region){ start, start + len - 1,
						       (enum vfioiommu_resv_type)(rnd() % 5), g };
	}
	return vfioiommu_resv_set_new(r, REGIONS_PER_GROUP, out);
}

/* Best of RUNS: seconds for merge + usable over @groups groups. */
static int run(unsigned int groups, double *best, size_t *nregions, size_t *nusable)
{
	vfioiommu_resv_set **sets = calloc(groups, sizeof(*sets));
	int rc = 0;

	if (!sets)
		return -ENOMEM;
	for (unsigned int g = 0; g < groups && rc == 0; g++)
		rc = make_group(g, &sets[g]);
	*best = 1e9;
	for (int k = 0; k < RUNS && rc == 0; k++) {
		vfioiommu_resv_set *all = NULL;
		vfioiommu_iova_list *usable = NULL;
		double t0 = now(), t;

		rc = vfioiommu_resv_set_merge((const vfioiommu_resv_set *const *)sets, groups, &all);
		if (rc == 0)
			rc = vfioiommu_resv_usable(all, 0, (1ull << 48) - 1, &usable);
		t = now() - t0;
		if (t < *best)
			*best = t;
		*nregions = vfioiommu_resv_set_count(all);
		*nusable = vfioiommu_iova_list_count(usable);
		vfioiommu_iova_list_free(usable);
		vfioiommu_resv_set_free(all);
	}
	for (unsigned int g = 0; g < groups; g++)
		vfioiommu_resv_set_free(sets[g]);
	free(sets);
	return rc;
}

int main(int argc, char **argv)
{
	bool raw = false;
	double t_small, t_large, ratio;
	size_t nr, nu;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw")) {
			raw = true;
		} else {
			fprintf(stderr, "usage: bench_resv [--raw]\n");
			return 2;
		}
	}
	if (!raw) {
		mallopt(M_MMAP_THRESHOLD, 32 << 20); /* the largest glibc accepts */
		mallopt(M_TRIM_THRESHOLD, 256 << 20);
	}
	printf("merge + usable, best of %d, thread CPU time%s\n", RUNS, raw ? ", default allocator" : "");
	if ((rc = run(1000, &t_small, &nr, &nu)) < 0) {
		fprintf(stderr, "bench_resv: %s\n", strerror(-rc));
		return 1;
	}
	printf("10k regions / 1k groups:   %8.3f ms (%zu regions after merge, %zu usable ranges)\n",
	       t_small * 1e3, nr, nu);
	if ((rc = run(10000, &t_large, &nr, &nu)) < 0) {
		fprintf(stderr, "bench_resv: %s\n", strerror(-rc));
		return 1;
	}
	printf("100k regions / 10k groups: %8.3f ms (%zu regions after merge, %zu usable ranges)\n",
	       t_large * 1e3, nr, nu);
	ratio = t_large / t_small;
	printf("ratio t(100k)/t(10k) = %.2f (O(N log N) predicts about 12.5)\n", ratio);
	return 0;
}

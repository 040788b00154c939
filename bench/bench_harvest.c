/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * One dirty-page harvest of a large IOVA range at 4 KiB pages in the VM
 * (bench/vm-harvest.sh), counted in exact guest instructions (user + kernel)
 * by the TCG plugin, through the library beside the raw ioctl sequence the
 * library issues for it:
 *
 *   type1: vfioiommu_dirty_type1_bitmap() vs VFIO_IOMMU_DIRTY_PAGES(GET_BITMAP)
 *          on the container of the first NIC (every mapped page reads dirty:
 *          a PCI device pins nothing);
 *   hwpt:  vfioiommu_dirty_hwpt_bitmap() vs IOMMU_HWPT_GET_DIRTY_BITMAP on a
 *          page table of IOMMUFD_TEST's mock IOMMU in its AMDv1 format (the
 *          default mock format ends at 2 GiB of IOVA), the mock device moved
 *          onto it; before each window IOMMU_TEST_OP_DIRTY marks one page per
 *          2 MiB, outside the window.
 *
 * The guest has little memory: the range is one THP-backed buffer mapped
 * again and again at consecutive IOVAs (and once more past the range, so
 * the library's type1 report walks its mappings rather than see that its
 * whole table lies inside the range).  A 64 GiB range at 4 KiB is 2^24
 * pages, a 2 MiB bitmap: one ioctl on both backends (the library splits only
 * past 2^31 - 64 pages on type1, 2^31 on iommufd), so the raw side is one
 * ioctl too.  What each side must do for a correct bitmap: type1 writes
 * every word of a range that mappings cover end to end (the raw side does
 * not zero); iommufd only sets bits (the raw side zeroes the bitmap, as the
 * library does).  Both sides' bitmaps are compared after the windows.
 *
 * Each window prints "@@INSN-WINDOW bench_harvest.<type1|hwpt>.<lib|raw>
 * iters=1 rc=<0|errno> gib=<N>"; the windows alternate lib, raw (on type1
 * with two more between them: "part-zero-bitmap", a memset() of the whole
 * bitmap, and "part-get-info", vfioiommu_ctx_iommu_info(): what the library's
 * report did before it zeroed only the words outside its mappings and asked
 * GET_INFO only to explain an EINVAL; and four before them, "first-lib",
 * "first-raw", "second-lib", "second-raw", right after a map and an unmap
 * past the range: the library's first and second report after its table
 * changed may walk the table, the next ones over the same range remember
 * that it found no gap).  "fact" lines are what the kernel
 * answered at its limits.
 *
 *   bench_harvest [--gib N] [--chunk-mib M] [--windows W] [--only type1|hwpt]
 *
 * Exit: 0, 1 on a failure, 77 without VFIOIOMMU_VM_BDFS (not in the VM).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/adopt.h>
#include <vfioiommu/dirty.h>

#include "insn_marker.h"
#include "kabi/kabi.h"

#define PS 4096ull
#define BASE (4ull << 30) /* above the 32-bit holes (MSI window) of every topology */

struct cfg {
	uint64_t gib, chunk;
	int windows;
	const char *only;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* @size bytes at a @size-aligned address, THP asked for, touched; NULL when not there. */
static uint8_t *thp_buffer(uint64_t size)
{
	uint8_t *area = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *al;

	if (area == MAP_FAILED)
		return NULL;
	al = (uint8_t *)(((uintptr_t)area + size - 1) & ~(uintptr_t)(size - 1));
	if (al > area)
		munmap(area, (size_t)(al - area));
	munmap(al + size, (size_t)(area + 2 * size - (al + size)));
	madvise(al, size, MADV_HUGEPAGE);
	memset(al, 1, size);
	return al;
}

static uint64_t popcount(const uint64_t *bm, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

/* The same buffer at BASE, BASE + chunk, ... through the library; 0 or -errno. */
static int map_range(vfioiommu_ctx *ctx, uint8_t *buf, const struct cfg *c, const char *be)
{
	double t0 = now();

	for (uint64_t off = 0; off < c->gib << 30; off += c->chunk) {
		uint64_t iova = BASE + off;
		int rc = vfioiommu_dma_map(ctx, buf, c->chunk,
					   VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &iova);

		if (rc < 0) {
			printf("fact - harvest.%s.map: mapping %" PRIu64 " of %" PRIu64 " (0x%" PRIx64 " bytes at 0x%llx"
			       ") failed: %d (%s)\n", be, off / c->chunk + 1, (c->gib << 30) / c->chunk, c->chunk,
			       (unsigned long long)(BASE + off), rc, vfioiommu_strerror(ctx));
			return rc;
		}
	}
	{
		/* one more mapping past the range, so that a type1 report walks the table (no whole-table shortcut) */
		uint64_t iova = BASE + (c->gib << 30) + c->chunk;
		int rc = vfioiommu_dma_map(ctx, buf, c->chunk,
					   VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &iova);

		if (rc < 0)
			return rc;
	}
	printf("# harvest.%s: %" PRIu64 " GiB mapped as %" PRIu64 " x %" PRIu64 " MiB of one buffer in %.1f s\n", be,
	       c->gib, (c->gib << 30) / c->chunk, c->chunk >> 20, now() - t0);
	return 0;
}

static void window(const char *be, const char *side, int rc, const struct cfg *c)
{
	printf("@@INSN-WINDOW bench_harvest.%s.%s iters=1 rc=%d gib=%" PRIu64 "\n", be, side, rc < 0 ? -rc : rc, c->gib);
}

/* lib and raw bitmaps: the same bits, and how many; 0 or 1. */
static int compare(const char *be, const uint64_t *lib, const uint64_t *raw, size_t words)
{
	int same = !memcmp(lib, raw, words * 8);

	printf("%s - harvest.%s.same_bitmap: lib %" PRIu64 " bits, raw %" PRIu64 " bits of %zu\n", same ? "ok" : "not ok",
	       be, popcount(lib, words), popcount(raw, words), words * 64);
	return !same;
}

static int run_type1(const char *bdf, uint8_t *buf, const struct cfg *c, uint64_t *lib, uint64_t *raw)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER };
	uint64_t len = c->gib << 30, npages = len / PS;
	size_t bytes = (size_t)((npages + 63) / 64 * 8);
	vfioiommu_device *dev;
	vfioiommu_ctx *ctx;
	int fd, rc, fail = 0;
	double t0;

	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0) {
		fprintf(stderr, "bench_harvest: type1: %s\n", vfioiommu_strerror(ctx));
		return 1;
	}
	fd = vfioiommu_ctx_container_fd(ctx);
	if (map_range(ctx, buf, c, "type1") < 0 || (rc = vfioiommu_dirty_type1_start(ctx)) < 0) {
		fprintf(stderr, "bench_harvest: type1: %s\n", vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return 1;
	}
	{
		/* the kernel's limits, on a range with nothing mapped (nothing is written) */
		struct kabi_vfio_dirty_bitmap_get g = {
			.argsz = sizeof(g), .flags = KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, .iova = 1ull << 40,
			.pgsize = PS, .data = (uint64_t)(uintptr_t)raw,
		};

		g.size = 0x7fffffffull * PS;
		g.bsize = 0x10000000;
		rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
		printf("fact - harvest.type1.limit: GET_BITMAP of 2^31-1 pages, 256 MiB bitmap, nothing mapped: %d (%s)\n",
		       rc, rc ? strerror(-rc) : "ok");
		g.size = 0x80000000ull * PS;
		rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
		printf("fact - harvest.type1.limit: GET_BITMAP of 2^31 pages, 256 MiB bitmap: %d (%s)\n", rc,
		       rc ? strerror(-rc) : "ok");
		g.size = (0x80000000ull + 64) * PS;
		g.bsize = 0x10000008;
		rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
		printf("fact - harvest.type1.limit: GET_BITMAP of 2^31+64 pages, bitmap 256 MiB + 8: %d (%s)\n", rc,
		       rc ? strerror(-rc) : "ok");
	}
	/* warm-up of both paths, outside the windows */
	t0 = now();
	rc = vfioiommu_dirty_type1_bitmap(ctx, BASE, len, PS, lib, bytes);
	printf("# harvest.type1: one library harvest of %" PRIu64 " GiB (not counted): %d in %.2f s\n", c->gib, rc,
	       now() - t0);
	for (int w = 0; w < c->windows && rc == 0; w++) {
		struct kabi_vfio_dirty_bitmap_get g = {
			.argsz = sizeof(g), .flags = KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, .iova = BASE,
			.size = len, .pgsize = PS, .bsize = bytes, .data = (uint64_t)(uintptr_t)raw,
		};
		/*
		 * The library's first and second report after its table changed (a
		 * map and an unmap past the range) may walk the table; later ones over
		 * the same range remember what it found.
		 */
		uint64_t far = BASE + len + 4 * c->chunk;

		rc = vfioiommu_dma_map(ctx, buf, c->chunk, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &far);
		if (rc == 0)
			rc = vfioiommu_dma_unmap(ctx, far, c->chunk);
		for (int k = 0; k < 2 && rc == 0; k++) {
			vfioiommu_bench_mark_start();
			rc = vfioiommu_dirty_type1_bitmap(ctx, BASE, len, PS, lib, bytes);
			vfioiommu_bench_mark_stop();
			window("type1", k ? "second-lib" : "first-lib", rc, c);
			vfioiommu_bench_mark_start();
			rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
			vfioiommu_bench_mark_stop();
			window("type1", k ? "second-raw" : "first-raw", rc, c);
		}
		if (rc < 0)
			break;

		vfioiommu_bench_mark_start();
		rc = vfioiommu_dirty_type1_bitmap(ctx, BASE, len, PS, lib, bytes);
		vfioiommu_bench_mark_stop();
		window("type1", "lib", rc, c);
		if (rc < 0)
			fprintf(stderr, "bench_harvest: type1 lib: %s\n", vfioiommu_strerror(ctx));
		{
			/* what the library's report cost before it left them out: a pass zeroing the bitmap, GET_INFO */
			struct vfioiommu_iommu_info info = { .size = sizeof(info) };
			int r;

			vfioiommu_bench_mark_start();
			memset(raw, 0, bytes);
			vfioiommu_bench_mark_stop();
			window("type1", "part-zero-bitmap", 0, c);
			vfioiommu_bench_mark_start();
			r = vfioiommu_ctx_iommu_info(ctx, &info, NULL);
			vfioiommu_bench_mark_stop();
			window("type1", "part-get-info", r, c);
		}
		vfioiommu_bench_mark_start();
		rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
		vfioiommu_bench_mark_stop();
		window("type1", "raw", rc, c);
	}
	fail = rc != 0;
	if (rc == 0)
		fail |= compare("type1", lib, raw, bytes / 8);
	if (rc == 0) {
		/* the last mapping, the gap of one chunk, the mapping past the range: what the kernel does to the gap */
		uint64_t at = BASE + len - c->chunk, n = 3 * c->chunk / PS, w0 = c->chunk / PS / 64, w1 = 2 * w0;
		struct kabi_vfio_dirty_bitmap_get g = {
			.argsz = sizeof(g), .flags = KABI_VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, .iova = at,
			.size = n * PS, .pgsize = PS, .bsize = n / 8, .data = (uint64_t)(uintptr_t)raw,
		};
		uint64_t kept = 0, zero = 0;

		memset(raw, 0x5a, (size_t)(n / 8));
		memset(lib, 0x5a, (size_t)(n / 8));
		rc = ioctl(fd, KABI_VFIO_IOMMU_DIRTY_PAGES, &g) < 0 ? -errno : 0;
		if (rc == 0)
			rc = vfioiommu_dirty_type1_bitmap(ctx, at, n * PS, PS, lib, (size_t)(n / 8));
		for (uint64_t i = w0; rc == 0 && i < w1; i++) {
			kept += raw[i] == 0x5a5a5a5a5a5a5a5aull;
			zero += lib[i] == 0;
		}
		printf("fact - harvest.type1.gap: GET_BITMAP over a mapping, a %" PRIu64 "-word gap and a mapping, bitmap "
		       "pre-filled: %d, %" PRIu64 " gap words left as they were, mapped words all ones: %s\n", w1 - w0, rc,
		       kept, popcount(raw, w0) == w0 * 64 && popcount(raw + w1, w0) == w0 * 64 ? "yes" : "no");
		printf("%s - harvest.type1.gap_zeroed: the library's bitmap: %" PRIu64 " of %" PRIu64 " gap words zero, "
		       "the rest as the kernel's\n", rc == 0 && zero == w1 - w0 && !memcmp(lib, raw, (size_t)w0 * 8) &&
		       !memcmp(lib + w1, raw + w1, (size_t)w0 * 8) ? "ok" : "not ok", zero, w1 - w0);
		fail |= !(rc == 0 && zero == w1 - w0);
	}
	vfioiommu_dirty_type1_stop(ctx);
	t0 = now();
	vfioiommu_ctx_destroy(ctx);
	printf("# harvest.type1: teardown %.1f s\n", now() - t0);
	return fail;
}

static int tcmd(int fd, uint32_t op, uint32_t id, const void *arg, size_t len, struct kabi_iommu_test_cmd *out)
{
	struct kabi_iommu_test_cmd cmd;

	kabi_test_cmd_init(&cmd, op, id, arg, len);
	if (ioctl(fd, KABI_IOMMU_TEST_CMD, &cmd) < 0)
		return -errno;
	if (out)
		*out = cmd;
	return 0;
}

/* One page per 2 MiB made dirty: OP_DIRTY at a 2 MiB granule over the whole range. */
static int mark(int fd, uint32_t hwpt, uint64_t len, uint64_t *scratch)
{
	struct kabi_iommu_test_dirty d = { .iova = BASE, .length = len, .page_size = 2ull << 20,
					   .uptr = (uint64_t)(uintptr_t)scratch };
	uint64_t n = len / (2ull << 20);

	memset(scratch, 0xff, (size_t)((n + 63) / 64 * 8));
	return tcmd(fd, KABI_IOMMU_TEST_OP_DIRTY, hwpt, &d, sizeof(d), NULL);
}

static int run_hwpt(const char *bdf, uint8_t *buf, const struct cfg *c, uint64_t *lib, uint64_t *raw)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	const uint32_t selftest[2] = { 0 /* iotlb */, 1 /* MOCK_IOMMUPT_HUGE */ };
	struct vfioiommu_pagetable_opts po = {
		.size = sizeof(po), .flags = VFIOIOMMU_PT_DIRTY_TRACKING, .data_type = KABI_IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(selftest), .data = selftest,
	};
	uint64_t len = c->gib << 30, npages = len / PS;
	size_t bytes = (size_t)((npages + 63) / 64 * 8);
	struct kabi_iommu_test_cmd out = { 0 };
	vfioiommu_pagetable *pt = NULL;
	vfioiommu_device *dev;
	vfioiommu_ctx *ctx;
	uint32_t ioas = 0, m[3] = { 0, 0, 0 }, ptid = 0;
	int fd, rc, fail = 0;
	double t0;

	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0 ||
	    (fd = vfioiommu_ctx_iommufd_fd(ctx)) < 0 || vfioiommu_ctx_ioas_id(ctx, &ioas) < 0) {
		fprintf(stderr, "bench_harvest: hwpt: %s\n", vfioiommu_strerror(ctx));
		return 1;
	}
	rc = tcmd(fd, 2 /* MOCK_DOMAIN */, ioas, NULL, 0, &out);
	if (rc == -ENOTTY) {
		printf("# harvest.hwpt: no IOMMUFD_TEST: not run\n");
		vfioiommu_ctx_destroy(ctx);
		return 0;
	}
	memcpy(m, out.arg, sizeof(m)); /* stdev, hwpt, idev */
	for (uint32_t type = 0; rc == 0 && type < 3; type++)
		for (int dirty = 0; dirty < 2; dirty++) {
			/* which mock page-table formats take DIRTY_TRACKING (raw, destroyed again) */
			const uint32_t data[2] = { 0, type };
			struct kabi_iommu_hwpt_alloc a = {
				.size = sizeof(a), .flags = dirty ? KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0, .dev_id = m[2],
				.pt_id = ioas, .data_type = KABI_IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(data),
				.data_uptr = (uint64_t)(uintptr_t)data,
			};
			int r = ioctl(fd, KABI_IOMMU_HWPT_ALLOC, &a) < 0 ? -errno : 0;

			printf("fact - harvest.hwpt.alloc_probe: HWPT_ALLOC(%s, SELFTEST pagetable_type %u): %d (%s)\n",
			       dirty ? "DIRTY_TRACKING" : "0", type, r, r ? strerror(-r) : "ok");
			if (r == 0) {
				struct kabi_iommu_destroy dd = { .size = sizeof(dd), .id = a.out_hwpt_id };

				ioctl(fd, KABI_IOMMU_DESTROY, &dd);
			}
		}
	if (rc == 0)
		rc = vfioiommu_pagetable_new(ctx, m[2], &po, &pt);
	if (rc == 0) {
		ptid = vfioiommu_pagetable_id(pt);
		rc = tcmd(fd, 10 /* MOCK_DOMAIN_REPLACE */, m[0], &ptid, sizeof(ptid), NULL);
	}
	printf("fact - harvest.hwpt.alloc: HWPT_ALLOC(DIRTY_TRACKING, SELFTEST data, AMDv1 format) + REPLACE: %d (%s)\n",
	       rc, rc ? strerror(-rc) : "ok");
	if (rc < 0 || map_range(ctx, buf, c, "hwpt") < 0 || (rc = vfioiommu_dirty_hwpt_start(pt)) < 0) {
		fprintf(stderr, "bench_harvest: hwpt setup %d: %s\n", rc, vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return 1;
	}
	rc = mark(fd, ptid, len, raw);
	printf("fact - harvest.hwpt.op_dirty: OP_DIRTY of one 4 KiB page per 2 MiB over %" PRIu64 " GiB: %d\n", c->gib, rc);
	t0 = now();
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_bitmap(pt, BASE, len, PS, 0, lib, bytes);
	printf("# harvest.hwpt: one library harvest of %" PRIu64 " GiB (not counted): %d in %.2f s, %" PRIu64
	       " bits set\n", c->gib, rc, now() - t0, popcount(lib, bytes / 8));
	for (int w = 0; w < c->windows && rc == 0; w++) {
		struct kabi_iommu_hwpt_get_dirty g = { .size = sizeof(g), .hwpt_id = ptid, .iova = BASE, .length = len,
						       .page_size = PS, .data = (uint64_t)(uintptr_t)raw };

		if ((rc = mark(fd, ptid, len, raw)) < 0)
			break;
		vfioiommu_bench_mark_start();
		rc = vfioiommu_dirty_hwpt_bitmap(pt, BASE, len, PS, 0, lib, bytes);
		vfioiommu_bench_mark_stop();
		window("hwpt", "lib", rc, c);
		if (rc < 0) {
			fprintf(stderr, "bench_harvest: hwpt lib: %s\n", vfioiommu_strerror(ctx));
			break;
		}
		if ((rc = mark(fd, ptid, len, raw)) < 0)
			break;
		vfioiommu_bench_mark_start();
		memset(raw, 0, bytes); /* the kernel only sets bits */
		rc = ioctl(fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g) < 0 ? -errno : 0;
		vfioiommu_bench_mark_stop();
		window("hwpt", "raw", rc, c);
	}
	fail = rc != 0;
	if (rc == 0)
		fail |= compare("hwpt", lib, raw, bytes / 8);
	vfioiommu_dirty_hwpt_stop(pt);
	t0 = now();
	vfioiommu_ctx_destroy(ctx);
	printf("# harvest.hwpt: teardown %.1f s\n", now() - t0);
	return fail;
}

int main(int argc, char **argv)
{
	struct cfg c = { .gib = 64, .chunk = 256ull << 20, .windows = 5, .only = NULL };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	uint64_t *lib, *raw;
	char bdf[32] = "";
	size_t bytes;
	uint8_t *buf;
	int fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--gib"))
			c.gib = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--chunk-mib"))
			c.chunk = strtoull(argv[i + 1], NULL, 0) << 20;
		else if (!strcmp(argv[i], "--windows"))
			c.windows = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--only"))
			c.only = argv[i + 1];
	}
	if (!c.gib || !c.chunk || (c.chunk & ((2ull << 20) - 1)) || (c.gib << 30) % c.chunk || c.windows < 1) {
		fprintf(stderr, "usage: bench_harvest [--gib N] [--chunk-mib M (a multiple of 2)] [--windows W] "
				"[--only type1|hwpt]\n");
		return 2;
	}
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("bench_harvest: not in the VM (no VFIOIOMMU_VM_BDFS): nothing to count\n");
		return 77;
	}
	bytes = (size_t)((c.gib << 30) / PS / 8);
	buf = thp_buffer(c.chunk);
	lib = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	raw = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!buf || lib == MAP_FAILED || raw == MAP_FAILED) {
		fprintf(stderr, "bench_harvest: out of memory for a %" PRIu64 " MiB buffer\n", c.chunk >> 20);
		return 1;
	}
	if (!c.only || !strcmp(c.only, "type1"))
		fail |= run_type1(bdf, buf, &c, lib, raw);
	if (!c.only || !strcmp(c.only, "hwpt"))
		fail |= run_hwpt(bdf, buf, &c, lib, raw);
	return fail;
}

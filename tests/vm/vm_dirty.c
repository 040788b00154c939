/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iommufd HWPT dirty tracking on IOMMUFD_TEST's mock domain (guest program of
 * the VM suite).  A mock device is attached to the library's IOAS
 * (MOCK_DOMAIN), moved onto a page table the library allocated with
 * VFIOIOMMU_PT_DIRTY_TRACKING (MOCK_DOMAIN_REPLACE), a buffer is mapped, and
 * IOMMU_TEST_OP_DIRTY marks chosen pages dirty; the library reads them back
 * as a bitmap and as runs, with and without NO_CLEAR.  The "fact" lines are
 * what Linux answered to the raw ioctls (tests/vm/FACTS.md, "iommufd HWPT
 * dirty tracking").
 *
 * Exit: 0 all passed, 1 otherwise, 77 only when IOMMU_TEST_CMD is absent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/dirty.h>

#include "vmtest.h"

enum { T_MOCK_DOMAIN = 2, T_MOCK_DOMAIN_REPLACE = 10, T_MOCK_DOMAIN_FLAGS = 12 };
#define MOCK_FLAGS_DEVICE_NO_DIRTY (1u << 0)
#define NPAGES 512u
#define PS 4096ull

struct mock { uint32_t stdev, hwpt, idev; };

static int mock_domain(int fd, uint32_t ioas, uint32_t dev_flags, struct mock *m)
{
	uint32_t arg[4] = { 0, 0, 0, dev_flags };
	struct kabi_iommu_test_cmd o;
	int rc = dev_flags ? vt_tcmd(fd, T_MOCK_DOMAIN_FLAGS, ioas, arg, sizeof(arg), &o)
			   : vt_tcmd(fd, T_MOCK_DOMAIN, ioas, NULL, 0, &o);

	memcpy(arg, o.arg, 3 * sizeof(uint32_t));
	*m = (struct mock){ arg[0], arg[1], arg[2] };
	return rc;
}

/* IOMMU_TEST_OP_DIRTY: the pages whose bits are set in @bm become dirty; returns -errno or the count. */
static long test_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t npages, const uint64_t *bm)
{
	struct kabi_iommu_test_dirty d = { .iova = iova, .length = npages * PS, .page_size = PS,
					   .uptr = (uint64_t)(uintptr_t)bm };
	struct kabi_iommu_test_cmd o;
	int rc = vt_tcmd(fd, KABI_IOMMU_TEST_OP_DIRTY, hwpt, &d, sizeof(d), &o);

	memcpy(&d, o.arg, sizeof(d));
	return rc < 0 ? rc : (long)d.out_nr_dirty;
}

static int raw_get(int fd, uint32_t hwpt, uint32_t flags, uint64_t iova, uint64_t len, uint64_t ps, uint64_t *bm)
{
	struct kabi_iommu_hwpt_get_dirty g = { .size = sizeof(g), .hwpt_id = hwpt, .flags = flags, .iova = iova,
					       .length = len, .page_size = ps, .data = (uint64_t)(uintptr_t)bm };

	return vt_xioctl(fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static int raw_set(int fd, uint32_t hwpt, uint32_t flags)
{
	struct kabi_iommu_hwpt_set_dirty s = { .size = sizeof(s), .flags = flags, .hwpt_id = hwpt };

	return vt_xioctl(fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static void fact(const char *what, int rc)
{
	printf("fact - hwpt_dirty.%s: %d (%s)\n", what, rc, rc < 0 ? strerror(-rc) : "ok");
}

struct runs { unsigned int n; uint64_t iova[8], len[8]; };

static int collect(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	if (r->n < 8) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
	return 0;
}

static uint64_t popcount(const uint64_t *bm, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

/*
 * The kernel reports dirtiness per IOMMU leaf entry: where two marked-around
 * pages happen to be physically contiguous the domain may use a larger leaf,
 * and its neighbour is reported too (seen: 69 bits for the 68 marked, in one
 * CI run of three topologies).  So the checks ask for every marked page
 * (a superset) and for reads of one state to agree with each other exactly.
 */
static bool covers(const uint64_t *got, const uint64_t *want, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if ((got[i] & want[i]) != want[i])
			return false;
	return true;
}

static void runs_to_bitmap(const struct runs *r, uint64_t base, uint64_t *bm, size_t words)
{
	memset(bm, 0, words * 8);
	for (unsigned int i = 0; i < r->n && i < 8; i++)
		for (uint64_t a = r->iova[i]; a < r->iova[i] + r->len[i]; a += PS) {
			uint64_t pg = (a - base) / PS;

			if (pg < words * 64)
				bm[pg / 64] |= 1ull << (pg % 64);
		}
}

/* pages 0, 1, 5, 64..127, 300: runs [0,2) [5,6) [64,128) [300,301), 68 pages */
static void mark(uint64_t *bm)
{
	memset(bm, 0, NPAGES / 8);
	bm[0] = 0x23;
	bm[1] = ~0ull;
	bm[300 / 64] |= 1ull << (300 % 64);
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_DIRTY_TRACKING };
	struct vfioiommu_pagetable_opts plain = { .size = sizeof(plain) };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	uint64_t want[NPAGES / 64], got[NPAGES / 64], first[NPAGES / 64], iova = 0;
	vfioiommu_pagetable *pt = NULL, *pt_plain = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	struct mock m, nd;
	struct runs r = { 0 };
	char bdf[32] = "";
	uint32_t ioas = 0;
	void *buf;
	int ifd = -1, rc;
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - hwpt_dirty.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0)
		rc = ifd = vfioiommu_ctx_iommufd_fd(ctx);
	if (rc >= 0)
		rc = vfioiommu_ctx_ioas_id(ctx, &ioas);
	vt_result(rc == 0, "hwpt_dirty.ctx", "iommufd context with %s: %d (%s)", bdf, rc, vfioiommu_strerror(ctx));
	if (rc < 0)
		goto out;
	rc = mock_domain(ifd, ioas, 0, &m);
	if (rc == -ENOTTY) {
		printf("skip - hwpt_dirty.mock_domain (IOMMU_TEST_CMD is absent)\n");
		vfioiommu_ctx_destroy(ctx);
		return 77;
	}
	vt_result(rc == 0, "hwpt_dirty.mock_domain", "MOCK_DOMAIN on IOAS %u: %s", ioas, strerror(-rc));
	if (rc < 0)
		goto out;

	/* a mock device that cannot track: HWPT_ALLOC(DIRTY_TRACKING) for it */
	rc = mock_domain(ifd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd);
	if (rc == 0) {
		vfioiommu_pagetable *bad = NULL;
		rc = vfioiommu_pagetable_new(ctx, nd.idev, &po, &bad);
		fact("alloc_dirty_on_no_dirty_dev", rc);
		vt_result(rc == -EOPNOTSUPP, "hwpt_dirty.alloc_no_dirty_dev", "pagetable_new(DIRTY_TRACKING) for a "
			  "device without dirty tracking: %d, expected -EOPNOTSUPP", rc);
		if (rc == 0)
			vfioiommu_pagetable_destroy(bad);
	}

	rc = vfioiommu_pagetable_new(ctx, m.idev, &plain, &pt_plain);
	if (rc == 0) {
		fact("set_on_plain_hwpt", raw_set(ifd, vfioiommu_pagetable_id(pt_plain), KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
		rc = vfioiommu_dirty_hwpt_start(pt_plain);
		vt_result(rc == -EOPNOTSUPP, "hwpt_dirty.start_plain", "start on a page table without "
			  "DIRTY_TRACKING: %d, expected -EOPNOTSUPP", rc);
	}
	rc = vfioiommu_pagetable_new(ctx, m.idev, &po, &pt);
	if (rc == 0)
		rc = vt_tcmd(ifd, T_MOCK_DOMAIN_REPLACE, m.stdev, &(uint32_t){ vfioiommu_pagetable_id(pt) }, 4, NULL);
	vt_result(rc == 0, "hwpt_dirty.alloc", "pagetable_new(DIRTY_TRACKING) + MOCK_DOMAIN_REPLACE: %d (%s)", rc,
		  vfioiommu_strerror(ctx));
	if (rc < 0)
		goto out;
	/*
	 * 4 KiB pages: the IOMMU reports dirtiness per leaf entry, and a
	 * transparent huge page gets a large leaf (measured: a populated
	 * anonymous 2 MiB buffer reported 256 pages dirty for one marked page)
	 */
	buf = mmap(NULL, NPAGES * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf != MAP_FAILED) {
		madvise(buf, NPAGES * PS, MADV_NOHUGEPAGE);
		memset(buf, 1, NPAGES * PS);
	}
	rc = buf == MAP_FAILED ? -errno : vfioiommu_dma_map(ctx, buf, NPAGES * PS, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE,
							   &iova);
	vt_result(rc == 0, "hwpt_dirty.map", "2 MiB mapped at 0x%" PRIx64 ": %d (%s)", iova, rc, vfioiommu_strerror(ctx));
	if (rc < 0)
		goto out;

	/* raw: before SET_DIRTY_TRACKING */
	fact("get_before_enable", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, NPAGES * PS, PS, got));
	mark(want);
	n = test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	fact("test_dirty_before_enable", (int)n);
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	vt_result(rc == -EINVAL, "hwpt_dirty.not_started", "bitmap before start: %d, expected -EINVAL", rc);

	rc = vfioiommu_dirty_hwpt_start(pt);
	vt_result(rc == 0, "hwpt_dirty.start", "vfioiommu_dirty_hwpt_start: %d (%s)", rc, vfioiommu_strerror(ctx));
	fact("enable_twice", raw_set(ifd, vfioiommu_pagetable_id(pt), KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	rc = vfioiommu_dirty_hwpt_start(pt);
	vt_result(rc == -EBUSY, "hwpt_dirty.start_twice", "second start: %d, expected -EBUSY", rc);

	/* a fresh start: what was marked before is gone or not */
	memset(got, 0, sizeof(got));
	fact("get_after_enable_no_clear", raw_get(ifd, vfioiommu_pagetable_id(pt), 1, iova, NPAGES * PS, PS, got));
	printf("fact - hwpt_dirty.bits_after_enable: %" PRIu64 " set (pages marked before enable)\n",
	       popcount(got, NPAGES / 64));
	memset(got, 0xff, sizeof(got));
	fact("get_into_ones", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, NPAGES * PS, PS, got));
	printf("fact - hwpt_dirty.ones_kept: %" PRIu64 " of 512 bits still set (the kernel only sets bits)\n",
	       popcount(got, NPAGES / 64));

	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got)); /* clear */
	mark(want);
	n = test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	fact("test_dirty_nr", (int)n);
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, VFIOIOMMU_DIRTY_NO_CLEAR, got, sizeof(got));
	memcpy(first, got, sizeof(first));
	vt_result(rc == 0 && covers(got, want, NPAGES / 64), "hwpt_dirty.no_clear", "bitmap(NO_CLEAR): %d, %" PRIu64
		  " bits, expected the 68 marked among them", rc, popcount(got, NPAGES / 64));
	printf("fact - hwpt_dirty.reported: %" PRIu64 " bits for the 68 marked (leaf granularity)\n",
	       popcount(got, NPAGES / 64));
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	vt_result(rc == 0 && !memcmp(got, first, sizeof(got)), "hwpt_dirty.clear", "bitmap after NO_CLEAR: %d, %"
		  PRIu64 " bits, expected the same %" PRIu64, rc, popcount(got, NPAGES / 64),
		  popcount(first, NPAGES / 64));
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	vt_result(rc == 0 && popcount(got, NPAGES / 64) == 0, "hwpt_dirty.cleared", "bitmap after a clearing "
		  "report: %d, %" PRIu64 " bits, expected 0", rc, popcount(got, NPAGES / 64));

	mark(want);
	test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	rc = vfioiommu_dirty_hwpt_ranges(pt, iova, NPAGES * PS, PS, VFIOIOMMU_DIRTY_NO_CLEAR, collect, &r);
	runs_to_bitmap(&r, iova, first, NPAGES / 64);
	vt_result(rc == 0 && r.n >= 1 && r.n <= 4 && covers(first, want, NPAGES / 64), "hwpt_dirty.ranges_no_clear",
		  "ranges(NO_CLEAR): %d, %u runs, expected at most 4 covering [0,2) [5,6) [64,128) [300,301)", rc, r.n);
	r.n = 0;
	rc = vfioiommu_dirty_hwpt_ranges(pt, iova, NPAGES * PS, PS, 0, collect, &r);
	runs_to_bitmap(&r, iova, got, NPAGES / 64);
	vt_result(rc == 0 && !memcmp(got, first, sizeof(got)), "hwpt_dirty.ranges", "ranges: %d, %u runs, expected "
		  "the same pages as with NO_CLEAR", rc, r.n);
	r.n = 0;
	rc = vfioiommu_dirty_hwpt_ranges(pt, iova, NPAGES * PS, PS, 0, collect, &r);
	vt_result(rc == 0 && r.n == 0, "hwpt_dirty.ranges_cleared", "ranges after clearing: %d, %u runs", rc, r.n);
	/* 64 KiB granules: page 0..1, 5 -> granule 0; 64..127 -> granules 4..7; 300 -> granule 18 */
	mark(want);
	test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, 16 * PS, 0, got, 8);
	vt_result(rc == 0 && (got[0] & 0x400f1ull) == 0x400f1ull, "hwpt_dirty.big_granule",
		  "bitmap at 64 KiB: %d, 0x%" PRIx64 ", expected 0x400f1 among them", rc, got[0]);

	/* raw bad input */
	fact("get_misaligned_iova", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova + 2048, PS, PS, got));
	fact("get_misaligned_length", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, PS + 2048, PS, got));
	fact("get_page_size_0", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, PS, 0, got));
	fact("get_page_size_2048", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, PS, 2048, got));
	fact("get_page_size_12288", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, 3 * PS * 4, 3 * PS, got));
	fact("get_flags_2", raw_get(ifd, vfioiommu_pagetable_id(pt), 2, iova, PS, PS, got));
	fact("get_data_null", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, PS, PS, NULL));
	fact("get_length_0", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, iova, 0, PS, got));
	fact("get_unmapped", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, 0x40000000, NPAGES * PS, PS, got));
	fact("get_past_2_64", raw_get(ifd, vfioiommu_pagetable_id(pt), 0, ~0ull - PS + 1, 2 * PS, PS, got));
	fact("get_on_ioas_id", raw_get(ifd, ioas, 0, iova, PS, PS, got));
	fact("set_flags_2", raw_set(ifd, vfioiommu_pagetable_id(pt), 2));
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, 8);
	vt_result(rc == -ENOSPC, "hwpt_dirty.small_bitmap", "an 8-byte bitmap for 512 pages: %d", rc);
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova + 2048, PS, PS, 0, got, 8);
	vt_result(rc == -EINVAL, "hwpt_dirty.misaligned", "misaligned iova: %d (%s)", rc, vfioiommu_strerror(ctx));

	/* an ordinary unmap while tracking: the range's bits go with the mapping, a new mapping starts clean */
	vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	mark(want);
	test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	rc = vfioiommu_dma_unmap(ctx, iova, NPAGES * PS);
	vt_result(rc == 0, "hwpt_dirty.unmap_tracking", "unmap while tracking: %d (%s)", rc, vfioiommu_strerror(ctx));
	memset(got, 0, sizeof(got));
	fact("get_after_unmap", raw_get(ifd, vfioiommu_pagetable_id(pt), 1, iova, NPAGES * PS, PS, got));
	printf("fact - hwpt_dirty.bits_after_unmap: %" PRIu64 " set\n", popcount(got, NPAGES / 64));
	rc = vfioiommu_dma_map(ctx, buf, NPAGES * PS, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA,
			       &iova);
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	printf("fact - hwpt_dirty.bits_after_remap: %" PRIu64 " set\n", popcount(got, NPAGES / 64));
	vt_result(rc == 0 && popcount(got, NPAGES / 64) == 0, "hwpt_dirty.unmap_drops", "mapped again at 0x%" PRIx64
		  ": %d, %" PRIu64 " bits, expected none (%s)", iova, rc, popcount(got, NPAGES / 64), vfioiommu_strerror(ctx));

	/*
	 * The device leaves the page table while tracking (its mock device object
	 * destroyed, which detaches it; MOCK_DOMAIN_REPLACE back to the IOAS oopsed
	 * this kernel in intel's device_block_translation): the page table keeps
	 * its bits and its tracking.
	 */
	mark(want);
	test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want);
	{
		struct kabi_iommu_destroy d = { .size = sizeof(d), .id = m.stdev };
		fact("destroy_mock_device", vt_xioctl(ifd, KABI_IOMMU_DESTROY, &d));
	}
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, VFIOIOMMU_DIRTY_NO_CLEAR, got, sizeof(got));
	printf("fact - hwpt_dirty.bits_after_detach: %" PRIu64 " set (68 marked before)\n", popcount(got, NPAGES / 64));
	vt_result(rc == 0 && covers(got, want, NPAGES / 64), "hwpt_dirty.detached", "bitmap with no device attached: %d, "
		  "%" PRIu64 " bits, expected the 68 marked before among them (%s)", rc, popcount(got, NPAGES / 64),
		  vfioiommu_strerror(ctx));
	fact("test_dirty_detached", (int)test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want));

	/* stop with bits set: can they still be read? */
	rc = vfioiommu_dirty_hwpt_stop(pt);
	vt_result(rc == 0, "hwpt_dirty.stop", "stop: %d", rc);
	fact("disable_twice", raw_set(ifd, vfioiommu_pagetable_id(pt), 0));
	memset(got, 0, sizeof(got));
	fact("get_after_disable", raw_get(ifd, vfioiommu_pagetable_id(pt), 1, iova, NPAGES * PS, PS, got));
	printf("fact - hwpt_dirty.bits_after_disable: %" PRIu64 " set (68 marked before the stop)\n",
	       popcount(got, NPAGES / 64));
	rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, NPAGES * PS, PS, 0, got, sizeof(got));
	vt_result(rc == -EINVAL, "hwpt_dirty.stopped", "bitmap after stop: %d, expected -EINVAL (%s)", rc,
		  vfioiommu_strerror(ctx));
	fact("enable_again", raw_set(ifd, vfioiommu_pagetable_id(pt), KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	memset(got, 0, sizeof(got));
	fact("get_after_reenable", raw_get(ifd, vfioiommu_pagetable_id(pt), 1, iova, NPAGES * PS, PS, got));
	printf("fact - hwpt_dirty.bits_after_reenable: %" PRIu64 " set\n", popcount(got, NPAGES / 64));
	fact("disable_again", raw_set(ifd, vfioiommu_pagetable_id(pt), 0));
	mark(want);
	fact("test_dirty_after_disable", (int)test_dirty(ifd, vfioiommu_pagetable_id(pt), iova, NPAGES, want));
	rc = vfioiommu_dirty_hwpt_stop(pt);
	vt_result(rc == 0, "hwpt_dirty.stop_twice", "stop again: %d", rc);
	rc = vfioiommu_dma_unmap(ctx, iova, NPAGES * PS);
	vt_result(rc == 0, "hwpt_dirty.unmap", "unmap: %d (%s)", rc, vfioiommu_strerror(ctx));
	rc = 0;
out:
	vfioiommu_ctx_destroy(ctx);
	printf("# hwpt_dirty: %u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail || rc < 0 ? 1 : 0;
}

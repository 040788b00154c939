/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What a superpage IOVA saves the kernel: map+unmap of a 2 MiB (and, where the
 * guest has a 1 GiB hugetlb page, a 1 GiB) buffer whose memory is one huge
 * page, at an IOVA congruent to its address (what the library picks by
 * default) and at one deliberately 4 KiB off, through the library with
 * FIXED_IOVA, on type1v2 and iommufd.  Exact guest instructions come from the
 * TCG plugin: bench/vm-superpage.sh runs this in the VM and pairs each
 * "@@INSN-WINDOW bench_superpage.<backend>.<size>.<aligned|misaligned>" line
 * with the plugin's count.  On the mock (no VFIOIOMMU_VM_BDFS) it only checks
 * that every variant runs: the mock has no page tables to count.
 *
 *   bench_superpage [--iters N]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#include "insn_marker.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define M2 (2ull << 20)
#define G1 (1ull << 30)

static const char host[] =
	"address-width 39\npgsizes 0x40201000\n"
	"group 3\n  resv 0xfee00000 0xfeefffff msi\n  device 0000:00:03.0 vfio-pci\n";

static const char *real_bdf(void)
{
	static char bdf[32];
	const char *env = getenv("VFIOIOMMU_VM_BDFS");

	if (!env || !*env)
		return NULL;
	snprintf(bdf, sizeof(bdf), "%.12s", env);
	return bdf;
}

/* Write a number to a /proc or /sys file (the guest runs as root); best effort. */
static void put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			fprintf(stderr, "bench_superpage: writing %s failed\n", path);
		close(fd);
	}
}

/*
 * A buffer of @size in huge pages: one hugetlb page first (physically
 * contiguous and aligned, so the IOMMU can map it with one entry), else THP
 * (2 MiB pages) at a @size-aligned address; a 1 GiB THP buffer lets the IOMMU
 * use 2 MiB pages only, which still shows the cost of 4 KiB ones.  NULL when
 * the memory is not there; *how says what it got.
 */
static void *huge_buffer(uint64_t size, const char **how)
{
	int shift = size == G1 ? 30 : 21;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (shift << MAP_HUGE_SHIFT) | MAP_POPULATE, -1, 0);
	uint8_t *area, *al;

	if (p != MAP_FAILED) {
		*how = "hugetlb";
		return p;
	}
	area = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	al = (uint8_t *)(((uintptr_t)area + size - 1) & ~(uintptr_t)(size - 1));
	if (al > area)
		munmap(area, (size_t)(al - area));
	munmap(al + size, (size_t)(area + 2 * size - (al + size)));
	madvise(al, size, MADV_HUGEPAGE);
	memset(al, 1, size);
	*how = "THP";
	return al;
}

static int run(const char *bdf, vfioiommu_mock *mock, enum vfioiommu_mode mode, uint64_t size, uint8_t *buf,
	       const char *how, long iters)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode };
	const uint32_t fixed = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA;
	const char *be = mode == VFIOIOMMU_MODE_IOMMUFD ? "iommufd" : "type1v2";
	vfioiommu_device *dev;
	vfioiommu_ctx *ctx;
	/* a 1 GiB map pins 262144 pages: fewer rounds (TCG runs them one instruction at a time) */
	long n = size == G1 ? (iters / 10 > 1 ? iters / 10 : 1) : iters;
	int rc;

	o.door = mock ? vfioiommu_mock_door(mock) : NULL;
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
		return rc;
	if ((rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0) {
		fprintf(stderr, "bench_superpage: %s\n", vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return rc;
	}
	for (int mis = 0; mis < 2 && rc == 0; mis++) {
		/* 4 GiB is aligned to every size here; 4 KiB past it, no IOMMU superpage can be used */
		uint64_t at = (4ull << 30) + (mis ? 0x1000 : 0), iova = at;

		/* warm-up, outside the window: the library's table and the kernel's first-use paths */
		if ((rc = vfioiommu_dma_map(ctx, buf, size, fixed, &iova)) < 0 ||
		    (rc = vfioiommu_dma_unmap(ctx, at, size)) < 0)
			break;
		vfioiommu_bench_mark_start();
		for (long i = 0; i < n && rc == 0; i++) {
			iova = at;
			rc = vfioiommu_dma_map(ctx, buf, size, fixed, &iova);
			if (rc == 0)
				rc = vfioiommu_dma_unmap(ctx, at, size);
		}
		vfioiommu_bench_mark_stop();
		if (!mock)
			printf("@@INSN-WINDOW bench_superpage.%s.%s.%s iters=%ld rc=%d buffer=%s\n", be,
			       size == G1 ? "1G" : "2M", mis ? "misaligned" : "aligned", n, rc, how);
		if (rc < 0)
			fprintf(stderr, "bench_superpage: %s %s map+unmap at 0x%" PRIx64 ": %s\n", be,
				size == G1 ? "1G" : "2M", at, vfioiommu_strerror(ctx));
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };
	static const uint64_t sizes[] = { M2, G1 };
	const char *bdf = real_bdf();
	long iters = 20;
	int fail = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
	if (bdf) {
		/* 2 MiB hugetlb pages for the 2 MiB case (1 GiB ones exist only if the boot reserved them) */
		put("/proc/sys/vm/nr_hugepages", "4");
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const char *how = "plain";
		uint8_t *buf = NULL;

		if (bdf) {
			/* 1 GiB of THP needs more than the harness's 1 GiB guest (bench/vm-superpage.sh --gib) */
			if (sizes[s] == G1 && sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) < 2 * G1) {
				printf("bench_superpage: no room for 1 GiB in this guest: 1 GiB case not run\n");
				continue;
			}
			buf = huge_buffer(sizes[s], &how);
		} else if (sizes[s] == M2) {
			/* the mock pins nothing: address space is enough */
			buf = mmap(NULL, sizes[s], PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			buf = buf == MAP_FAILED ? NULL : buf;
		}
		if (!buf) {
			if (bdf)
				printf("bench_superpage: no %s of huge pages in this system: %s case not run\n",
				       sizes[s] == G1 ? "1 GiB" : "2 MiB", sizes[s] == G1 ? "1 GiB" : "2 MiB");
			continue;
		}
		for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
			vfioiommu_mock *mock = NULL;
			char err[128];
			int rc;

			if (!bdf && (vfioiommu_mock_new(&mock) || vfioiommu_mock_load_string(mock, host, err, sizeof(err))))
				return 2;
			rc = run(bdf ? bdf : "0000:00:03.0", mock, modes[k], sizes[s], buf, how, iters);
			vfioiommu_mock_destroy(mock);
			if (rc < 0)
				fail = 1;
		}
		munmap(buf, sizes[s]);
	}
	printf("bench_superpage: %s%s\n", fail ? "FAILED" : "done", bdf ? "" : " (mock kernel: the 2 MiB variants only, "
	       "no figure; the figure is bench/vm-superpage.sh)");
	return fail;
}

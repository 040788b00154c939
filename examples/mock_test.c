/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * mock_test: how a VMM or driver unit-tests its own VFIO code on the mock
 * kernel.  The code under test (attach_and_map below) is written against
 * the library as usual; the test describes a host in a few lines, runs it,
 * then runs it again failing each syscall in turn to check every error path
 * cleans up.  No hardware, no root.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS in <sys/mman.h> under -std=c11 */
#include <linux/vfio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

/* ---- the "product" code a user wants to test ---- */
static int attach_and_map(const vfioiommu_door *door, const char *bdf, void *buf, size_t len, uint64_t *iova)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = door };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	int rc = vfioiommu_ctx_new(&o, &ctx);

	if (rc < 0)
		return rc;
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0) {
		/* a request the library does not wrap, on its device fd: through the door, so the mock serves it too */
		struct vfio_device_info info = { .argsz = sizeof(info) };

		rc = vfioiommu_door_ioctl(door, vfioiommu_device_fd(dev), VFIO_DEVICE_GET_INFO, &info);
		if (rc == 0 && !(info.flags & VFIO_DEVICE_FLAGS_PCI))
			rc = -ENODEV;
	}
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, len, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, iova);
	if (rc == 0)
		rc = vfioiommu_dma_unmap_at(ctx, *iova);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

/* ---- the test ---- */
static const char host[] =
	"address-width 39\n"
	"group 7\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:05:00.0 vfio-pci\n";

int main(void)
{
	void *buf = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long n;
	uint64_t iova;
	int failures = 0;

	for (n = 0;; n++) {
		vfioiommu_mock *m;
		char err[128];
		int rc;

		if (vfioiommu_mock_new(&m) || vfioiommu_mock_load_string(m, host, err, sizeof(err)))
			return 1;
		if (n)
			vfioiommu_mock_fail_nth(m, n, EIO); /* the n-th syscall from here fails */
		rc = attach_and_map(vfioiommu_mock_door(m), "0000:05:00.0", buf, 1 << 16, &iova);
		if (n == 0 && rc != 0) {
			printf("not ok: the happy path failed: %d\n", rc);
			failures++;
		}
		if (vfioiommu_mock_open_fds(m) != 0) {
			printf("not ok: fail-nth %lu (%s): %u fds leaked\n", n, vfioiommu_mock_fault_site(m),
			       vfioiommu_mock_open_fds(m));
			failures++;
		}
		if (n && !vfioiommu_mock_fault_fired(m)) { /* past the last syscall: done */
			vfioiommu_mock_destroy(m);
			break;
		}
		vfioiommu_mock_destroy(m);
	}
	printf("%s: happy path and %lu injected failures, no leak\n", failures ? "FAILED" : "ok", n - 1);
	munmap(buf, 1 << 16);
	return failures ? 1 : 0;
}

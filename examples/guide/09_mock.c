/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Testing your code on the mock" (docs/guide.md): a unit test of the
 * caller's own VFIO code.  The host is described in a few lines; the code
 * under test runs on it with both backends, meets a device the kernel would
 * refuse, and then runs again with every door call in turn failing, checking
 * that nothing leaks whichever call fails.  No hardware, no root.
 *
 *   09_mock            (links libvfioiommu-mock: pkg-config --libs libvfioiommu-mock)
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

/* ---- the code under test: what a VMM does when a device is assigned ---- */
static int assign(const vfioiommu_door *door, const char *bdf, void *ram, size_t len, char *why, size_t whylen)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = door };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	uint64_t iova = 0; /* guest physical 0: map the guest's RAM 1:1 */
	int rc = vfioiommu_ctx_new(&o, &ctx);

	if (rc < 0)
		return rc;
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, ram, len, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA,
				       &iova);
	if (rc == 0)
		rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1, NULL);
	if (rc < 0)
		snprintf(why, whylen, "%s", vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

/* ---- the test ---- */
static const char host[] =
	"address-width 39\n"
	"group 7\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:05:00.0 vfio-pci\n"
	"group 8\n"
	"  resv 0x7a7e8000 0x7a807fff direct  # a firmware RMRR: Linux refuses the group\n"
	"  device 0000:06:00.0 vfio-pci\n";

static vfioiommu_mock *host_new(bool iommufd)
{
	vfioiommu_mock *m;
	char err[128];

	if (vfioiommu_mock_new(&m) < 0)
		return NULL;
	if (vfioiommu_mock_load_string(m, host, err, sizeof(err)) < 0 ||
	    vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD, iommufd) < 0) {
		fprintf(stderr, "host: %s\n", err);
		vfioiommu_mock_destroy(m);
		return NULL;
	}
	return m;
}

int main(void)
{
	size_t len = 1 << 20;
	void *ram = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int failures = 0;
	char why[512];

	if (ram == MAP_FAILED)
		return 1;
	for (int iommufd = 0; iommufd <= 1; iommufd++) {
		const char *backend = iommufd ? "iommufd" : "container";
		unsigned long n, calls;
		vfioiommu_mock *m = host_new(iommufd);
		int rc;

		if (!m)
			return 1;
		/* the happy path, and how many door calls it makes */
		rc = assign(vfioiommu_mock_door(m), "0000:05:00.0", ram, len, why, sizeof(why));
		calls = vfioiommu_mock_calls(m);
		printf("%s: assign 0000:05:00.0: %s (%lu door calls)\n", backend, rc ? why : "ok", calls);
		failures += rc != 0;
		/* a device the kernel refuses: the message says why */
		rc = assign(vfioiommu_mock_door(m), "0000:06:00.0", ram, len, why, sizeof(why));
		printf("%s: assign 0000:06:00.0: %s\n  %s\n", backend, strerror(-rc), why);
		failures += rc != -EINVAL;
		vfioiommu_mock_destroy(m);

		/* every door call of the happy path fails once, in turn */
		for (n = 1;; n++) {
			m = host_new(iommufd);
			if (!m)
				return 1;
			vfioiommu_mock_fail_nth(m, n, EIO);
			rc = assign(vfioiommu_mock_door(m), "0000:05:00.0", ram, len, why, sizeof(why));
			if (!vfioiommu_mock_fault_fired(m)) { /* past the last call */
				vfioiommu_mock_destroy(m);
				break;
			}
			/* a call whose failure the library absorbs (a teardown step) may still succeed */
			if (vfioiommu_mock_open_fds(m) || vfioiommu_mock_live_mmaps(m)) {
				printf("not ok: %s: %s failing: %u fds and %u mmaps leaked\n", backend,
				       vfioiommu_mock_fault_site(m), vfioiommu_mock_open_fds(m), vfioiommu_mock_live_mmaps(m));
				failures++;
			}
			vfioiommu_mock_destroy(m);
		}
		printf("%s: %lu injected failures checked for leaks\n", backend, n - 1);
	}
	munmap(ram, len);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

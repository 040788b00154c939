/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: mediated devices (include/vfioiommu/mdev.h) on the real
 * kernel's mtty sample.  It creates two mtty devices through the library
 * (a mtty-2 and a mtty-1, watching available_instances drop), refuses a
 * duplicate UUID, an unknown type and a bad UUID, then opens each device by
 * UUID on a type1v2 container (through its group) and on iommufd (through
 * its cdev), and checks what tests/vm/FACTS.md measured: the group of its
 * own, the emulated PCI ids, regions and IRQs, the IOVA ranges, a DMA map, a
 * hot reset that says EOPNOTSUPP; removal refused while open, then done.
 *
 * Output: "ok - NAME" / "not ok - NAME: why", then a summary; exit 0 when
 * nothing failed.  VFIOIOMMU_VM_MOCK=HOSTFILE runs the same checks on the
 * mock kernel (a host with "mdev-type mtty ..." lines).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "kabi/kabi.h"
#include "vmtest.h"

#define U1 "8c3e2a10-0000-4000-8000-000000000001"
#define U2 "8c3e2a10-0000-4000-8000-000000000002"

static const vfioiommu_door *door; /* NULL: the real kernel */

static vfioiommu_ctx *new_ctx(enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = door };
	vfioiommu_ctx *ctx = NULL;

	if (vfioiommu_ctx_new(&o, &ctx) < 0)
		return NULL;
	return ctx;
}

static void create(vfioiommu_ctx *ctx)
{
	uint32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
	int rc;

	rc = vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &a0);
	vt_result(rc == 0 && a0 >= 1, "mdev.available", "rc %d count %u: %s", rc, a0, vfioiommu_strerror(ctx));
	vfioiommu_mdev_available(ctx, "mtty", "mtty-1", &b0);
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1);
	vt_result(rc == 0, "mdev.create.mtty-2", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-1", U2);
	vt_result(rc == 0, "mdev.create.mtty-1", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &a1);
	vfioiommu_mdev_available(ctx, "mtty", "mtty-1", &b1);
	/* FACTS: mtty's 24 ports are one pool: a mtty-2 takes 2, a mtty-1 one */
	printf("# fact: available mtty-2 %u -> %u, mtty-1 %u -> %u\n", a0, a1, b0, b1);
	vt_result(b1 == b0 - 3 && a1 == (b0 - 3) / 2, "mdev.available.after", "mtty-2 %u -> %u, mtty-1 %u -> %u", a0,
		  a1, b0, b1);
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", U1);
	vt_result(rc == -EEXIST, "mdev.create.duplicate", "rc %d (want -EEXIST): %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-9", "8c3e2a10-0000-4000-8000-000000000009");
	vt_result(rc == -ENOENT, "mdev.create.no-type", "rc %d (want -ENOENT): %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_mdev_create(ctx, "nope", "mtty-2", "8c3e2a10-0000-4000-8000-000000000009");
	vt_result(rc == -ENOENT, "mdev.create.no-parent", "rc %d (want -ENOENT): %s", rc, vfioiommu_strerror(ctx));
	/* fill the pool with mtty-2 devices: the one past the last is refused */
	{
		char u[40];
		uint32_t left = 0;
		unsigned int made = 0;

		while (vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &left) == 0 && left > 0 && made < 32) {
			snprintf(u, sizeof(u), "8c3e2a10-0000-4000-8000-0000000001%02x", made);
			if (vfioiommu_mdev_create(ctx, "mtty", "mtty-2", u) < 0)
				break;
			made++;
		}
		snprintf(u, sizeof(u), "8c3e2a10-0000-4000-8000-0000000001%02x", made);
		rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", u);
		printf("# fact: %u more mtty-2 made, then create with none left: %d\n", made, rc);
		vt_result(made == a1 && left == 0 && rc == -ENOSPC, "mdev.create.full",
			  "made %u (available was %u), left %u, rc %d (want -ENOSPC): %s", made, a1, left, rc,
			  vfioiommu_strerror(ctx));
		while (made-- > 0) {
			snprintf(u, sizeof(u), "8c3e2a10-0000-4000-8000-0000000001%02x", made);
			if (vfioiommu_mdev_remove(ctx, u) < 0)
				vt_result(false, "mdev.remove.fill", "%s", vfioiommu_strerror(ctx));
		}
	}
	rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", "8C3E2A10-0000-4000-8000-00000000000X");
	vt_result(rc == -EINVAL, "mdev.create.bad-uuid", "rc %d (want -EINVAL): %s", rc, vfioiommu_strerror(ctx));
}

/*
 * An mdev on iommufd is bound as an iommufd access, not a device: the raw
 * GET_HW_INFO on its id, and the library's answer (no IOMMU behind it).
 */
static void hw_info(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag, const char *uuid)
{
	struct kabi_iommu_hw_info h = { .size = sizeof(h) };
	struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
	uint32_t devid = 0;
	char name[128];
	int rc, ifd = vfioiommu_ctx_iommufd_fd(ctx);

	vfioiommu_device_iommufd_id(dev, &devid);
	h.dev_id = devid;
	rc = vfioiommu_door_ioctl(door ? door : vfioiommu_door_system(), ifd, KABI_IOMMU_GET_HW_INFO, &h);
	printf("# fact: %s GET_HW_INFO on the mdev's id %u: %s\n", tag, devid, rc < 0 ? strerror(-rc) : "ok");
	snprintf(name, sizeof(name), "mdev.%s.%s.hw-info-raw", tag, uuid + 34);
	/* FACTS: the id is an access's; GET_HW_INFO looks only for devices */
	vt_result(devid != 0 && rc == -ENOENT, name, "devid %u rc %d (want -ENOENT)", devid, rc);
	rc = vfioiommu_device_hw_info(dev, &hi);
	snprintf(name, sizeof(name), "mdev.%s.%s.hw-info", tag, uuid + 34);
	vt_result(rc == -ENODEV, name, "rc %d (want -ENODEV): %s", rc, vfioiommu_strerror(ctx));
}

static void use(enum vfioiommu_mode mode, const char *tag, const char *uuid, uint32_t want_irq_count)
{
	char name[128];
	vfioiommu_ctx *ctx = new_ctx(mode);
	vfioiommu_device *dev = NULL;
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	struct vfioiommu_pci_ids ids;
	struct vfioiommu_reset_info *ri = NULL;
	vfioiommu_iova_list *l = NULL;
	struct vfioiommu_iova_range r0 = { 0, 0 };
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	unsigned int fds = vt_open_fds();
	uint64_t iova = 0;
	void *buf;
	int rc;

	snprintf(name, sizeof(name), "mdev.%s.%s.open", tag, uuid + 34);
	if (!ctx) {
		vt_result(false, name, "no context");
		return;
	}
	rc = vfioiommu_device_open(ctx, uuid, &dev);
	vt_result(rc == 0 && vfioiommu_device_is_mdev(dev), name, "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (rc < 0) {
		vfioiommu_ctx_destroy(ctx);
		return;
	}
	printf("# fact: %s %s backend %s group %u: %s\n", tag, uuid, vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)),
	       vfioiommu_device_group(dev), vfioiommu_ctx_backend_reason(ctx));
	rc = vfioiommu_device_info(dev, &di);
	printf("# fact: %s flags 0x%x regions %u irqs %u\n", tag, di.flags, di.num_regions, di.num_irqs);
	snprintf(name, sizeof(name), "mdev.%s.%s.info", tag, uuid + 34);
	/* FACTS: mtty is a PCI device (flags PCI|RESET), 9 regions, 5 IRQ indexes */
	vt_result(rc == 0 && (di.flags & VFIOIOMMU_DEVICE_PCI) && di.num_regions == 9 && di.num_irqs == 5, name,
		  "rc %d flags 0x%x regions %u irqs %u", rc, di.flags, di.num_regions, di.num_irqs);
	rc = vfioiommu_pci_ids(dev, &ids);
	snprintf(name, sizeof(name), "mdev.%s.%s.ids", tag, uuid + 34);
	vt_result(rc == 0 && ids.vendor == 0x4348 && ids.device == 0x3253, name, "rc %d %04x:%04x: %s", rc, ids.vendor,
		  ids.device, vfioiommu_strerror(ctx));
	rc = vfioiommu_irq_info(dev, VFIOIOMMU_PCI_IRQ_MSI, &ii);
	snprintf(name, sizeof(name), "mdev.%s.%s.irq", tag, uuid + 34);
	vt_result(rc == 0 && ii.count == want_irq_count, name, "rc %d MSI count %u (want %u)", rc, ii.count,
		  want_irq_count);
	rc = vfioiommu_device_hot_reset_info(dev, &ri);
	snprintf(name, sizeof(name), "mdev.%s.%s.hot-reset", tag, uuid + 34);
	vt_result(rc == -EOPNOTSUPP && !ri, name, "rc %d (want -EOPNOTSUPP): %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_reset_info_free(ri);
	/* FACTS: mtty's GET_INFO flags are PCI only (0x2): no RESET flag, so no reset on its own either */
	rc = vfioiommu_device_reset(dev);
	snprintf(name, sizeof(name), "mdev.%s.%s.reset", tag, uuid + 34);
	vt_result(rc == -EOPNOTSUPP, name, "rc %d (want -EOPNOTSUPP): %s", rc, vfioiommu_strerror(ctx));
	if (mode == VFIOIOMMU_MODE_IOMMUFD)
		hw_info(ctx, dev, tag, uuid);
	rc = vfioiommu_ctx_iova_ranges(ctx, &l);
	if (rc == 0 && vfioiommu_iova_list_count(l) > 0)
		vfioiommu_iova_list_get(l, 0, &r0);
	printf("# fact: %s ranges %zu, first [0x%" PRIx64 ", 0x%" PRIx64 "]\n", tag, l ? vfioiommu_iova_list_count(l) : 0,
	       r0.start, r0.last);
	snprintf(name, sizeof(name), "mdev.%s.%s.ranges", tag, uuid + 34);
	/* FACTS: only emulated groups: type1 has no IOVA_RANGE cap (any IOVA), iommufd's IOAS keeps [0, 2^64-1] */
	vt_result(rc == 0 && vfioiommu_iova_list_count(l) == 1 && r0.start == 0 && r0.last == UINT64_MAX, name,
		  "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_iova_list_free(l);
	buf = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rc = buf == MAP_FAILED ? -ENOMEM : vfioiommu_dma_map(ctx, buf, 1 << 16, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	snprintf(name, sizeof(name), "mdev.%s.%s.dma", tag, uuid + 34);
	vt_result(rc == 0, name, "rc %d: %s", rc, vfioiommu_strerror(ctx));
	if (rc == 0) {
		rc = vfioiommu_dma_unmap_at(ctx, iova);
		vt_result(rc == 0, "mdev.dma.unmap", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	}
	if (buf != MAP_FAILED)
		munmap(buf, 1 << 16);
	rc = vfioiommu_mdev_remove(ctx, uuid);
	snprintf(name, sizeof(name), "mdev.%s.%s.remove-open", tag, uuid + 34);
	vt_result(rc == -EBUSY, name, "rc %d (want -EBUSY): %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	snprintf(name, sizeof(name), "mdev.%s.%s.fds", tag, uuid + 34);
	vt_result(vt_open_fds() == fds, name, "%u fds before, %u after", fds, vt_open_fds());
}

static void removal(void)
{
	vfioiommu_ctx *ctx = new_ctx(VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *dev = NULL;
	int rc;

	if (!ctx)
		return;
	rc = vfioiommu_mdev_remove(ctx, U1);
	vt_result(rc == 0, "mdev.remove", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_mdev_remove(ctx, U2);
	vt_result(rc == 0, "mdev.remove.2", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_mdev_remove(ctx, U2);
	vt_result(rc == -ENOENT, "mdev.remove.gone", "rc %d (want -ENOENT): %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_device_open(ctx, U1, &dev);
	vt_result(rc == -ENOENT, "mdev.open.gone", "rc %d (want -ENOENT): %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
}

int main(void)
{
	const char *mockfile = getenv("VFIOIOMMU_VM_MOCK");
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx;
	char err[256] = "";

	if (mockfile && mockfile[0]) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			printf("not ok - mock host %s: %s\n", mockfile, err);
			return 1;
		}
		door = vfioiommu_mock_door(mock);
	} else if (access("/sys/class/mdev_bus/mtty", F_OK) != 0) {
		printf("skip - no mtty parent (kernel without SAMPLE_VFIO_MDEV_MTTY)\n");
		return 77;
	}
	ctx = new_ctx(VFIOIOMMU_MODE_AUTO);
	if (!ctx)
		return 1;
	create(ctx);
	vfioiommu_ctx_destroy(ctx);
	/* mtty's MSI: mtty-2 and mtty-1 both offer one vector */
	use(VFIOIOMMU_MODE_CONTAINER, "type1v2", U1, 1);
	use(VFIOIOMMU_MODE_IOMMUFD, "iommufd", U1, 1);
	use(VFIOIOMMU_MODE_IOMMUFD, "iommufd", U2, 1);
	use(VFIOIOMMU_MODE_CONTAINER, "type1v2", U2, 1);
	removal();
	vfioiommu_mock_destroy(mock);
	printf("vm_mdev (%s): %u passed, %u failed\n", mock ? "mock kernel" : "real kernel", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

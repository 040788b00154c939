/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * viommu: a VMM's vIOMMU path, the way QEMU's backends/iommufd.c and
 * hw/vfio/iommufd.c drive it, through <vfioiommu/objects.h>:
 *
 *   guest RAM mapped into the context's IOAS  -> the stage 2
 *   a nesting-parent page table on it         -> vIOMMU on it
 *   the device's virtual id (its vSID)        -> vDEVICE
 *   the guest's event queue                   -> vEVENTQ, pumped into a ring
 *   the guest's stream table entry            -> nested page table, device attached
 *   the guest's TLB/CD invalidation commands  -> invalidation array, done count
 *
 *   viommu [--mock HOSTFILE] [BDF]
 *
 * With --mock it runs on the mock kernel's SMMUv3 (examples/hosts/arm-smmuv3.host,
 * 0000:01:00.0) and injects one event so a record arrives in the ring; without
 * it, on the real kernel and an SMMUv3 device bound to vfio-pci.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c11 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#define GUEST_RAM (2u << 20)
#define VSID 0x8u
/* SMMUv3 command opcodes and STE fields the example uses */
#define CMD_TLBI_NH_ALL 0x10u
#define CMD_CFGI_CD 0x05u
#define STE_V 1u
#define STE_CFG_S1 (5u << 1)

static int fail(vfioiommu_ctx *ctx, const char *what, int rc)
{
	fprintf(stderr, "viommu: %s: %s (%s)\n", what, vfioiommu_strerror(ctx), strerror(-rc));
	return 1;
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_NEST_PARENT };
	struct vfioiommu_hwpt_arm_smmuv3 ste = { { STE_V | STE_CFG_S1, 0 } };
	struct vfioiommu_invalidate_arm_smmuv3 cmds[3];
	const char *bdf = "0000:01:00.0";
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_pagetable *s2 = NULL, *s1 = NULL;
	vfioiommu_viommu *v = NULL;
	vfioiommu_vdevice *vd = NULL;
	vfioiommu_veventq *q = NULL;
	vfioiommu_ring *ring = NULL;
	struct vfioiommu_fault rec;
	uint64_t gpa = 0x40000000;
	uint32_t devid = 0, n;
	void *ram;
	int i = 1, rc, ret = 1;

	if (argc > 2 && !strcmp(argv[1], "--mock")) {
		char err[256] = "";

		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "viommu: cannot load %s: %s\n", argv[2], err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		i = 3;
	}
	if (argc > i)
		bdf = argv[i];
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return 1;
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0 ||
	    (rc = vfioiommu_device_iommufd_id(dev, &devid)) < 0) {
		fail(ctx, "opening the device", rc);
		goto out;
	}
	/* stage 2: guest-physical -> host memory, in the context's IOAS */
	if ((rc = vfioiommu_dma_map(ctx, ram, GUEST_RAM, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
				    VFIOIOMMU_DMA_FIXED_IOVA, &gpa)) < 0) {
		fail(ctx, "mapping guest RAM", rc);
		goto out;
	}
	if ((rc = vfioiommu_pagetable_new(ctx, devid, &po, &s2)) < 0) {
		fail(ctx, "the nesting parent", rc);
		goto out;
	}
	if ((rc = vfioiommu_viommu_new(ctx, devid, s2, VFIOIOMMU_VIOMMU_ARM_SMMUV3, &v)) < 0) {
		fail(ctx, "the vIOMMU", rc);
		goto out;
	}
	if ((rc = vfioiommu_vdevice_new(v, devid, VSID, &vd)) < 0) {
		fail(ctx, "the vDEVICE", rc);
		goto out;
	}
	/* a second vDEVICE with the same vSID is refused, naming the first */
	{
		vfioiommu_vdevice *dup = NULL;

		rc = vfioiommu_vdevice_new(v, devid, VSID, &dup);
		printf("vSID 0x%x again: %d: %s\n", VSID, rc, vfioiommu_strerror(ctx));
	}
	if ((rc = vfioiommu_ring_create(ctx, 16, &ring)) < 0 ||
	    (rc = vfioiommu_veventq_new(v, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, 64, ring, &q)) < 0) {
		fail(ctx, "the vEVENTQ", rc);
		goto out;
	}
	/* stage 1: the guest's STE, then the device on the nested page table */
	{
		struct vfioiommu_pagetable_opts no = { .size = sizeof(no), .viommu = v,
						       .data_type = VFIOIOMMU_HWPT_DATA_ARM_SMMUV3,
						       .data_len = sizeof(ste), .data = &ste };

		if ((rc = vfioiommu_pagetable_new(ctx, devid, &no, &s1)) < 0 ||
		    (rc = vfioiommu_device_attach_pagetable(dev, s1)) < 0) {
			fail(ctx, "the nested page table", rc);
			goto out;
		}
	}
	printf("vIOMMU %u on nesting parent %u; vDEVICE %u (vSID 0x%x); nested page table %u; vEVENTQ %u\n",
	       vfioiommu_viommu_id(v), vfioiommu_pagetable_id(s2), vfioiommu_vdevice_id(vd), VSID,
	       vfioiommu_pagetable_id(s1), vfioiommu_veventq_id(q));

	/* the guest's command queue, forwarded: TLBI_NH_ALL, CFGI_CD for the device */
	memset(cmds, 0, sizeof(cmds));
	cmds[0].cmd[0] = CMD_TLBI_NH_ALL;
	cmds[1].cmd[0] = CMD_CFGI_CD | ((uint64_t)VSID << 32);
	n = 2;
	rc = vfioiommu_viommu_invalidate(v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n);
	printf("invalidation of 2 commands: %d, %u handled\n", rc, n);
	/* a command for a vSID no vDEVICE has: the kernel stops there and says how far it got */
	cmds[1].cmd[0] = CMD_CFGI_CD | (0x99ull << 32);
	cmds[2].cmd[0] = CMD_TLBI_NH_ALL;
	n = 3;
	rc = vfioiommu_viommu_invalidate(v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n);
	printf("invalidation of 3 commands, the second bad: %d, %u handled: %s\n", rc, n, vfioiommu_strerror(ctx));
	if (rc != -EIO || n != 1)
		goto out;

	/* an event of the device reaches the ring (on the mock, injected here; on hardware, when it happens) */
	if (mock) {
		uint32_t evt[8] = { 0x10 /* F_TRANSLATION */, VSID, 0, 0, 0x1000, 0, 0, 0 };

		vfioiommu_mock_inject_vevent(mock, bdf, evt, sizeof(evt));
	}
	rc = vfioiommu_fault_pump_run(vfioiommu_veventq_pump(q));
	printf("vEVENTQ pump: %d record(s)\n", rc);
	while (vfioiommu_ring_copy(ring, &rec, 1) == 1) {
		const struct vfioiommu_vevent *ev = vfioiommu_fault_vevent(&rec);
		uint32_t w[2];

		if (!ev)
			continue;
		memcpy(w, ev->data, sizeof(w));
		printf("  vevent seq %u, %u bytes: event 0x%02x for SID 0x%x\n", ev->seq, ev->data_len, w[0] & 0xff, w[1]);
	}
	if (mock && rc != 1)
		goto out;
	ret = 0;
out:
	/* what is left (nested page table, vEVENTQ, vDEVICE, vIOMMU, parent) goes with the context, children first */
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	munmap(ram, GUEST_RAM);
	return ret;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock /dev/iommu's nesting, as the Arm SMMUv3 driver does it (the only
 * mock IOMMU with a vIOMMU): a nested HWPT on a vIOMMU described by a guest
 * STE (IOMMU_HWPT_DATA_ARM_SMMUV3), and IOMMU_HWPT_INVALIDATE on the vIOMMU
 * with guest commands (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3).  What Linux
 * 7.2 showed on IOMMUFD_TEST's driver holds here too (tests/vm/FACTS.md,
 * library objects): a failure at entry k returns the error with entry_num
 * = k, and a paging HWPT takes no invalidation (EINVAL).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_obj.h"

#define HWPT_DATA_ARM_SMMUV3 2u
#define INV_DATA_ARM_SMMUV3 1u
#define STE_LEN 16u
#define CMD_LEN 16u
/* STE word 0: V (bit 0), Config (bits 3:1): abort 0, bypass 4, stage-1 translate 5 */
#define STE_V 1ull
#define STE_CFG(w) (((w) >> 1) & 7u)

/* copy_struct_from_user() of the vendor data: short -> EINVAL, a non-zero tail -> E2BIG */
static int copy_data(void *dst, size_t want, const void *src, uint32_t len)
{
	const unsigned char *p = src;

	if (!src || len < want)
		return -EINVAL;
	for (uint32_t i = (uint32_t)want; i < len; i++)
		if (p[i])
			return -E2BIG;
	memcpy(dst, src, want);
	return 0;
}

int vm_io_nested_alloc(struct vfioiommu_mock *m, struct io_ctx *c, struct kabi_iommu_hwpt_alloc *cmd,
		       struct io_obj *viommu)
{
	struct io_obj *idev, *parent, *ioas, *fo = NULL, *h;
	uint64_t ste[2];
	int rc;

	(void)m;
	idev = obj_get(c, cmd->dev_id, IO_DEVICE);
	if (!idev)
		return -ENOENT;
	/* iommufd_viommu_alloc_hwpt_nested(): only FAULT_ID_VALID, and driver data is required */
	if (cmd->flags & ~KABI_IOMMU_HWPT_FAULT_ID_VALID)
		return -EOPNOTSUPP;
	if (cmd->data_type == KABI_IOMMU_HWPT_DATA_NONE)
		return -EINVAL;
	/* iommu_copy_struct_from_user(): the driver's own type only */
	if (cmd->data_type != HWPT_DATA_ARM_SMMUV3)
		return -EINVAL;
	rc = copy_data(ste, sizeof(ste), (const void *)(uintptr_t)cmd->data_uptr, cmd->data_len);
	if (rc < 0)
		return rc;
	/* arm_smmu_validate_vste(): an invalid STE is an abort; otherwise abort, bypass or S1 only */
	if ((ste[0] & STE_V) && STE_CFG(ste[0]) != 0 && STE_CFG(ste[0]) != 4 && STE_CFG(ste[0]) != 5)
		return -EIO;
	if (cmd->flags & KABI_IOMMU_HWPT_FAULT_ID_VALID) {
		fo = obj_get(c, cmd->fault_id, IO_FAULT);
		if (!fo)
			return -ENOENT;
	}
	parent = obj_get(c, viommu->viommu.hwpt, IO_HWPT);
	ioas = parent ? obj_get(c, parent->hwpt.ioas, IO_IOAS) : NULL;
	if (!ioas)
		return -EINVAL;
	h = obj_new(c, IO_HWPT);
	if (!h)
		return -ENOMEM;
	/* the IOAS behind the parent: attach checks and ranges treat the nested HWPT as on it */
	h->hwpt.ioas = ioas->id;
	h->hwpt.flags = cmd->flags;
	h->hwpt.viommu = viommu->id;
	memcpy(h->hwpt.ste, ste, sizeof(ste));
	ioas->users++;
	viommu->users++;
	if (fo) {
		h->hwpt.fault = fo->id;
		fo->users++;
	}
	cmd->out_hwpt_id = h->id;
	return 0;
}

/* A vDEVICE of @viommu with virtual id @vsid. */
static bool vsid_known(struct io_ctx *c, uint32_t viommu, uint64_t vsid)
{
	for (uint32_t i = 1; i < c->nobj; i++) {
		struct io_obj *o = c->obj[i];

		if (o && o->type == IO_VDEVICE && o->vdev.viommu == viommu && o->vdev.virt_id == vsid)
			return true;
	}
	return false;
}

/*
 * arm_vsmmu_convert_user_cmd(): the TLBI commands of a stage 1 (NH_ALL 0x10,
 * NH_ASID 0x11, NH_VA 0x12, NH_VAA 0x13, NSNH_ALL 0x30) pass; those naming
 * a stream (CFGI_CD 0x05, CFGI_CD_ALL 0x06, ATC_INV 0x40) need the vSID
 * (word 0, bits 63:32) to be a vDEVICE's; anything else is EIO.
 */
static int smmu_cmd_ok(struct io_ctx *c, uint32_t viommu, const uint64_t cmd[2])
{
	switch (cmd[0] & 0xff) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x30:
		return 0;
	case 0x05: case 0x06: case 0x40:
		return vsid_known(c, viommu, cmd[0] >> 32) ? 0 : -EIO;
	}
	return -EIO;
}

int cmd_hwpt_invalidate(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hwpt_invalidate *cmd = arg;
	const unsigned char *p = (const void *)(uintptr_t)cmd->data_uptr;
	uint32_t asked = cmd->entry_num, done = 0;
	struct io_obj *o;
	int rc = 0;

	(void)m;
	cmd->entry_num = 0;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (asked && (!p || !cmd->entry_len))
		return -EINVAL;
	o = obj_get(c, cmd->hwpt_id, 0);
	if (!o)
		return -ENOENT;
	if (o->type == IO_HWPT && o->hwpt.viommu)
		return -EOPNOTSUPP; /* SMMUv3 nested domains are invalidated through their vIOMMU */
	if (o->type != IO_VIOMMU)
		return -EINVAL;
	/* iommu_copy_struct_from_full_user_array(): the driver's type, entries at least its size */
	if (cmd->data_type != INV_DATA_ARM_SMMUV3)
		return -EINVAL;
	if (asked && cmd->entry_len < CMD_LEN)
		return -EINVAL;
	for (; done < asked; done++) {
		uint64_t w[2];
		const unsigned char *e = p + (size_t)done * cmd->entry_len;

		rc = copy_data(w, sizeof(w), e, cmd->entry_len);
		if (rc == 0)
			rc = smmu_cmd_ok(c, o->id, w);
		if (rc < 0)
			break;
	}
	cmd->entry_num = done;
	return rc;
}

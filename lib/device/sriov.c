/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* SR-IOV on vfio-pci: the PF's VF token and sriov_numvfs (tests/vm/FACTS.md section l). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu/sriov.h>

#include "device.h"
#include "internal.h"
#include "kabi/kabi.h"

VFIOIOMMU_API int vfioiommu_device_set_vf_token(vfioiommu_device *pf, const uint8_t uuid[16])
{
	struct kabi_vfio_device_feature_vf_token f = {
		.argsz = sizeof(f),
		.flags = KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
	};
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!pf)
		return -EINVAL;
	ctx = pf->ctx;
	if (!uuid)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_set_vf_token: uuid is NULL");
	memcpy(f.uuid, uuid, sizeof(f.uuid));
	rc = vi_kioctl(ctx, pf->fd, KABI_VFIO_DEVICE_FEATURE, &f);
	if (rc == -EINVAL || rc == -ENOTTY)
		return vi_fail(ctx, rc, "setting the VF token of %s: VFIO_DEVICE_FEATURE(SET | PCI_VF_TOKEN) failed "
			       "with %s: the device is no SR-IOV PF on vfio-pci", pf->bdf, vi_errno_name(rc));
	if (rc < 0)
		return vi_fail(ctx, rc, "setting the VF token of %s: VFIO_DEVICE_FEATURE(SET | PCI_VF_TOKEN) failed "
			       "with %s", pf->bdf, vi_errno_name(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_sriov_set_numvfs(vfioiommu_ctx *ctx, const char *pf_bdf, unsigned int n)
{
	char path[VI_PATH_MAX + 64], val[16];
	ssize_t rc;

	if (!ctx)
		return -EINVAL;
	if (vi_bdf_check(pf_bdf) < 0)
		return vi_fail(ctx, -EINVAL, "vfioiommu_sriov_set_numvfs: \"%s\" is not a PCI address",
			       pf_bdf ? pf_bdf : "(null)");
	rc = vi_sysfs_refused(ctx, "vfioiommu_sriov_set_numvfs");
	if (rc < 0)
		return (int)rc;
	rc = vi_sysfs_exists(ctx, "bus/pci/devices/%s/sriov_numvfs", pf_bdf);
	if (rc == -ENOENT)
		return vi_fail(ctx, -ENODEV, "%s has no SR-IOV capability (no %s/bus/pci/devices/%s/sriov_numvfs)",
			       pf_bdf, ctx->sysfs_root, pf_bdf);
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "%s: cannot look for sriov_numvfs: %s", pf_bdf, vi_sysfs_errstr((int)rc));
	snprintf(val, sizeof(val), "%u", n);
	rc = vi_sysfs_write(ctx, val, path, sizeof(path), "bus/pci/devices/%s/sriov_numvfs", pf_bdf);
	if (rc >= 0)
		return 0;
	switch (rc) {
	case -ERANGE:
		return vi_fail(ctx, -ERANGE, "writing %u to %s: ERANGE: more VFs than sriov_totalvfs", n, path);
	case -EBUSY:
		return vi_fail(ctx, -EBUSY, "writing %u to %s: EBUSY: the PF has VFs already; write 0 first", n, path);
	case -EACCES:
	case -EPERM:
		return vi_fail(ctx, (int)rc, "writing %u to %s: %s: needs root", n, path, vi_errno_name((int)rc));
	}
	return vi_fail(ctx, (int)rc, "writing %u to %s: %s%s", n, path, vi_errno_name((int)rc),
		       rc == -ENOENT || rc == -EOPNOTSUPP ? " (is vfio-pci loaded with enable_sriov=1?)" : "");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PASIDs on iommufd: PASID-capable HWPTs, and VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT
 * with the PASID flag (Linux 6.15).
 *
 * Telling "old kernel" from "device without PASID": both make the attach fail
 * with EINVAL (tests/vm/FACTS.md item 7), so the attach itself cannot say.
 * GET_HW_INFO's max_pasid_log2 > 0 proves both (only 6.15+ reports it, and
 * only for a PASID-enabled device).  When it is 0, a DETACH with the PASID
 * flag tells the kernels apart: 6.15+ accepts it for a PASID that was never
 * attached (FACTS item 13) and older kernels reject the flag with EINVAL.
 * With max_pasid_log2 0 no PASID can be attached, so that DETACH never
 * detaches anything.
 */
#include <errno.h>
#include <stdio.h>

#include <vfioiommu/iommufd.h>
#include <vfioiommu/pasid.h>

#include "core/internal.h"
#include "backend/internal.h"
#include "kabi/kabi.h"
#include "pasid.h"

/* The widest a hostile or future kernel may claim; PCIe stops at 20. */
#define PASID_BITS_MAX VFIOIOMMU_PASID_MAX_WIDTH

/* 0 (and the context's IOAS) on iommufd, or -EOPNOTSUPP / -ENODEV with a message naming @what. */
static int iommufd_of(struct vfioiommu_ctx *ctx, const char *what, uint32_t *ioas)
{
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_get(ctx, NULL, ioas);
	pthread_mutex_unlock(&ctx->lock);
	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "%s: the %s backend (a VFIO container) has no PASID support; "
			       "PASIDs need a context on iommufd (VFIOIOMMU_MODE_IOMMUFD)", what,
			       vfioiommu_backend_name(ctx->backend));
	return rc;
}

/* The device's PASID width (> 0), or -EOPNOTSUPP saying whether the kernel or the device lacks PASID. */
static int pasid_bits(struct vfioiommu_device *dev, const char *what)
{
	struct vfioiommu_ctx *ctx = dev->ctx;
	struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
	const uint32_t probe = 1;
	int rc = vfioiommu_device_hw_info(dev, &hi);

	if (rc < 0)
		return rc;
	if (hi.max_pasid_log2)
		return hi.max_pasid_log2 > PASID_BITS_MAX ? PASID_BITS_MAX : (int)hi.max_pasid_log2;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_detach(ctx, dev, &probe);
	pthread_mutex_unlock(&ctx->lock);
	if (rc == -EINVAL)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: the kernel has no PASID attach (VFIO_DEVICE_DETACH_PASID "
			       "is refused: Linux before 6.15)", what);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: probing the kernel's PASID support (VFIO_DEVICE_DETACH_IOMMUFD_PT "
			       "with the PASID flag) failed: %s", what, vi_errno_name(rc));
	return vi_fail(ctx, -EOPNOTSUPP, "%s: the device has no PASID support (IOMMU_GET_HW_INFO reports "
		       "max_pasid_log2 0: the device or its IOMMU lacks PASID, or PASID is not enabled on it); "
		       "the kernel itself supports PASID attach", what);
}

VFIOIOMMU_API int vfioiommu_pasid_space_for_device(vfioiommu_device *dev,
	const struct vfioiommu_pasid_space_opts *opts, vfioiommu_pasid_space **out)
{
	char what[96];
	int bits, rc;

	if (!out)
		return dev ? vi_fail(dev->ctx, -EINVAL, "vfioiommu_pasid_space_for_device: out is NULL") : -EINVAL;
	*out = NULL;
	if (!dev)
		return -EINVAL;
	snprintf(what, sizeof(what), "PASID space for %s", dev->bdf);
	rc = iommufd_of(dev->ctx, what, NULL);
	if (rc < 0)
		return rc;
	bits = pasid_bits(dev, what);
	if (bits < 0)
		return bits;
	rc = vfioiommu_pasid_space_new((unsigned int)bits, opts, out);
	if (rc == -EINVAL)
		return vi_fail(dev->ctx, rc, "%s: bad options (size, unknown flag, reserved_lo > reserved_hi, or "
			       "nothing left of the %d-bit space)", what, bits);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s: %s", what, vi_errno_name(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_hwpt_alloc_pasid(vfioiommu_device *dev, uint32_t *hwpt_id)
{
	struct kabi_iommu_hwpt_alloc a = { .size = sizeof(a), .flags = KABI_IOMMU_HWPT_ALLOC_PASID };
	struct vfioiommu_ctx *ctx;
	char what[96];
	uint32_t ioas;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!hwpt_id)
		return vi_fail(ctx, -EINVAL, "vfioiommu_hwpt_alloc_pasid: hwpt_id is NULL");
	*hwpt_id = 0;
	snprintf(what, sizeof(what), "PASID-capable HWPT for %s", dev->bdf);
	rc = iommufd_of(ctx, what, &ioas);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	a.dev_id = dev->devid;
	a.pt_id = ioas;
	rc = vi_iommufd_ioctl(ctx, KABI_IOMMU_HWPT_ALLOC, &a);
	pthread_mutex_unlock(&ctx->lock);
	if (rc >= 0 && a.out_hwpt_id == 0)
		return vi_fail(ctx, -EPROTO, "%s: IOMMU_HWPT_ALLOC returned HWPT id 0, which the kernel never "
			       "hands out", what);
	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "%s: IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID failed: EOPNOTSUPP (the "
			       "IOMMU has no PASID support, or the kernel is older than 6.15)", what);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: IOMMU_HWPT_ALLOC (device %u, IOAS %u, flag PASID) failed: %s", what,
			       dev->devid, ioas, vi_errno_name(rc));
	*hwpt_id = a.out_hwpt_id;
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "%s: HWPT %u on IOAS %u", what, a.out_hwpt_id, ioas);
	return 0;
}

VFIOIOMMU_API int vfioiommu_hwpt_attach_rid(vfioiommu_device *dev, uint32_t hwpt_id)
{
	struct vfioiommu_ctx *ctx;
	char what[96];
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	snprintf(what, sizeof(what), "attaching %s (RID) to HWPT %u", dev->bdf, hwpt_id);
	rc = iommufd_of(ctx, what, NULL);
	if (rc < 0)
		return rc;
	/* a plain RID attach (a replace when attached); a new domain can narrow the usable IOVA ranges */
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_attach(ctx, dev, hwpt_id, NULL, NULL);
	pthread_mutex_unlock(&ctx->lock);
	if (rc == -EINVAL)
		return vi_fail(ctx, rc, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: EINVAL (PASIDs are attached and "
			       "HWPT %u is not PASID-capable, or the device's IOMMU cannot use it)", what, hwpt_id);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: %s", what, vi_errno_name(rc));
	return 0;
}

VFIOIOMMU_API int vfioiommu_hwpt_destroy(vfioiommu_ctx *ctx, uint32_t hwpt_id)
{
	char what[64];
	int rc;

	if (!ctx)
		return -EINVAL;
	snprintf(what, sizeof(what), "destroying HWPT %u", hwpt_id);
	rc = iommufd_of(ctx, what, NULL);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_destroy(ctx, hwpt_id);
	pthread_mutex_unlock(&ctx->lock);
	if (rc == -EBUSY)
		return vi_fail(ctx, rc, "%s: IOMMU_DESTROY failed: EBUSY (a device or PASID is still attached to "
			       "it)", what);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: IOMMU_DESTROY failed: %s", what, vi_errno_name(rc));
	return 0;
}

/* The checks attach and detach share: backend, handle, PASID 0.  0 with *pasid, or -errno. */
static int pasid_args(struct vfioiommu_device *dev, vfioiommu_pasid_set *set, vfioiommu_pasid_handle h,
		      const char *verb, uint32_t *pasid, char *what, size_t n)
{
	struct vi_err e;
	int rc;

	rc = vi_pasid_lookup(set, h, pasid, &e);
	if (rc < 0) {
		snprintf(what, n, "%s a PASID of %s", verb, dev->bdf);
		return vi_fail(dev->ctx, rc, "%s: %s", what, e.msg);
	}
	snprintf(what, n, "%s PASID %u of %s", verb, *pasid, dev->bdf);
	if (*pasid == 0)
		return vi_fail(dev->ctx, -ERANGE, "%s: PASID 0 is the device's own (RID) address space in Linux; "
			       "use vfioiommu_hwpt_attach_rid() for it", what);
	return iommufd_of(dev->ctx, what, NULL);
}

VFIOIOMMU_API int vfioiommu_pasid_attach(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h, uint32_t hwpt_id)
{
	struct vfioiommu_ctx *ctx;
	char what[128];
	uint32_t pasid = 0;
	int bits, rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	rc = pasid_args(dev, set, h, "attaching", &pasid, what, sizeof(what));
	if (rc < 0)
		return rc;
	bits = pasid_bits(dev, what);
	if (bits < 0)
		return bits;
	if (pasid >> bits)
		return vi_fail(ctx, -ERANGE, "%s: the device takes %d-bit PASIDs (0..%u); make the space with "
			       "vfioiommu_pasid_space_for_device()", what, bits, (1u << bits) - 1);
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_attach(ctx, dev, hwpt_id, &pasid, NULL);
	pthread_mutex_unlock(&ctx->lock);
	switch (rc) {
	case 0:
		vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "%s: on HWPT %u", what, hwpt_id);
		return 0;
	case -EINVAL:
		return vi_fail(ctx, rc, "%s to HWPT %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: EINVAL (HWPT %u, or "
			       "the HWPT the device itself (RID) is on, was not allocated PASID-capable: use "
			       "vfioiommu_hwpt_alloc_pasid() for both and vfioiommu_hwpt_attach_rid(); or %u is "
			       "an IOAS, not a HWPT)", what, hwpt_id, hwpt_id, hwpt_id);
	case -ENOENT:
		return vi_fail(ctx, rc, "%s to HWPT %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: ENOENT (no HWPT %u "
			       "in this context's iommufd)", what, hwpt_id, hwpt_id);
	case -EOPNOTSUPP:
		return vi_fail(ctx, rc, "%s to HWPT %u: the device's VFIO driver has no PASID attach (only "
			       "vfio-pci physical devices have it)", what, hwpt_id);
	}
	return vi_fail(ctx, rc, "%s to HWPT %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: %s", what, hwpt_id,
		       vi_errno_name(rc));
}

VFIOIOMMU_API int vfioiommu_pasid_replace(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h, uint32_t hwpt_id)
{
	/* the kernel turns an ATTACH of an attached PASID into an atomic replace */
	return vfioiommu_pasid_attach(dev, set, h, hwpt_id);
}

VFIOIOMMU_API int vfioiommu_pasid_detach(vfioiommu_device *dev, vfioiommu_pasid_set *set,
	vfioiommu_pasid_handle h)
{
	struct vfioiommu_ctx *ctx;
	char what[128];
	uint32_t pasid = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	rc = pasid_args(dev, set, h, "detaching", &pasid, what, sizeof(what));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_iommufd_detach(ctx, dev, &pasid);
	pthread_mutex_unlock(&ctx->lock);
	/* with argsz 12 and a known flag, only a kernel that knows no flags says EINVAL */
	if (rc == -EINVAL)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: the kernel has no PASID detach (Linux before 6.15)", what);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: VFIO_DEVICE_DETACH_IOMMUFD_PT failed: %s", what, vi_errno_name(rc));
	return 0;
}

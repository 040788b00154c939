/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/iommufd.h
 * Queries that only make sense on the iommufd backend (/dev/iommu, one IOAS,
 * devices bound through /dev/vfio/devices/vfioN).
 *
 * Every function here fails with -EOPNOTSUPP (and a message saying which
 * backend the context uses) when the context is a VFIO container, and with
 * -ENODEV when no backend was chosen yet (no device opened).
 */
#ifndef VFIOIOMMU_IOMMUFD_H
#define VFIOIOMMU_IOMMUFD_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** IOMMU hardware behind a device (the kernel's enum iommu_hw_info_type values). */
enum vfioiommu_hw_type {
	VFIOIOMMU_HW_NONE = 0,          /**< the IOMMU driver reports nothing */
	VFIOIOMMU_HW_INTEL_VTD = 1,     /**< Intel VT-d */
	VFIOIOMMU_HW_ARM_SMMUV3 = 2,    /**< Arm SMMUv3 */
	VFIOIOMMU_HW_TEGRA241_CMDQV = 3, /**< NVIDIA Tegra241 CMDQV (Linux 6.17) */
	VFIOIOMMU_HW_AMD = 4,           /**< AMD IOMMU (Linux 7.0) */
};

/** Bits of vfioiommu_hw_info.capabilities (the kernel's IOMMU_HW_CAP_* values). */
#define VFIOIOMMU_HW_CAP_DIRTY_TRACKING   (1ull << 0) /**< the IOMMU can track dirty pages (6.7) */
#define VFIOIOMMU_HW_CAP_PASID_EXEC       (1ull << 1) /**< PCI PASID execute permission (6.15) */
#define VFIOIOMMU_HW_CAP_PASID_PRIV       (1ull << 2) /**< PCI PASID privileged mode (6.15) */
#define VFIOIOMMU_HW_CAP_ATS_NOT_SUPPORTED (1ull << 3) /**< the device must not use ATS (7.1) */

/** What IOMMU_GET_HW_INFO says about a device.  Set size, then call vfioiommu_device_hw_info(). */
struct vfioiommu_hw_info {
	/** sizeof(struct vfioiommu_hw_info) as the caller compiled it; later fields may be appended. */
	uint32_t size;
	/** enum vfioiommu_hw_type; a newer kernel may report a value not listed here. */
	uint32_t type;
	/**
	 * log2 of the number of PASIDs the device can use (0 = no PASID).  Linux
	 * before 6.15 does not report it, and 0 is returned there.
	 */
	uint32_t max_pasid_log2;
	/** Zero. */
	uint32_t reserved;
	/**
	 * VFIOIOMMU_HW_CAP_* bits (unknown bits are passed through).  The PASID
	 * bits mean nothing when max_pasid_log2 is 0.  Linux before 6.7 reports none.
	 */
	uint64_t capabilities;
};

/**
 * The /dev/iommu fd of the context, for ioctls the library does not wrap.
 * @param ctx the context
 * @return the fd (owned by the library); -ENODEV no backend chosen yet;
 * -EOPNOTSUPP a container backend; -EINVAL NULL @p ctx.
 */
VFIOIOMMU_API int vfioiommu_ctx_iommufd_fd(vfioiommu_ctx *ctx);

/**
 * The IOAS every device of the context is attached to.
 * @param ctx the context
 * @param id  receives the IOAS's iommufd object id
 * @return 0; -ENODEV no backend chosen yet; -EOPNOTSUPP a container
 * backend; -EINVAL NULL argument.
 */
VFIOIOMMU_API int vfioiommu_ctx_ioas_id(vfioiommu_ctx *ctx, uint32_t *id);

/**
 * The iommufd object id of a device (VFIO_DEVICE_BIND_IOMMUFD's
 * out_devid), as IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO want it, and as fault
 * records carry it (vfioiommu_fault.dev_id).
 * @param dev   the device
 * @param devid receives the id
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP a container backend.
 */
VFIOIOMMU_API int vfioiommu_device_iommufd_id(vfioiommu_device *dev, uint32_t *devid);

/**
 * Ask the kernel (IOMMU_GET_HW_INFO, Linux 6.6+) about the IOMMU behind a
 * device.
 * @param dev the device
 * @param out in: out->size set; out: the fields that fit in out->size bytes
 *            (fields past it are not written)
 * @return 0; -EINVAL NULL argument or out->size too small (< 8, no room for
 * type); -EOPNOTSUPP container backend, or a kernel without GET_HW_INFO
 * (older than 6.6); -ENODEV no backend chosen yet, or a mediated device
 * (no IOMMU is behind it: iommufd knows it as an access, not a device);
 * other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_device_hw_info(vfioiommu_device *dev, struct vfioiommu_hw_info *out);

/* ---------------- hardware page tables (HWPT) ---------------- */

/**
 * Allocate a hardware page table on the context's IOAS that may be
 * attached to PASIDs (IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID, Linux
 * 6.15).  It maps what the IOAS maps, and lives until vfioiommu_hwpt_destroy()
 * or the context's end.
 * @param dev     the device the page table is for (the IOMMU it sits behind)
 * @param hwpt_id receives the page table's iommufd object id; 0 on failure
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP container backend, or the
 * IOMMU or kernel lacks PASID support; -ENODEV no backend chosen yet;
 * -EPROTO the kernel returned id 0; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_hwpt_alloc_pasid(vfioiommu_device *dev, uint32_t *hwpt_id);

/**
 * Move the device's own DMA (its RID) to the page table @p hwpt_id,
 * replacing the one it is on without a blocking window.  Needed once before
 * PASIDs are attached, with a HWPT from vfioiommu_hwpt_alloc_pasid().
 * @param dev     the device
 * @param hwpt_id a page table from vfioiommu_hwpt_alloc_pasid()
 * @return 0; -EINVAL NULL @p dev, or PASIDs are attached and @p hwpt_id is
 * not PASID-capable; -ENOENT no such HWPT; -EOPNOTSUPP container backend;
 * -ENODEV no backend chosen yet; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_hwpt_attach_rid(vfioiommu_device *dev, uint32_t hwpt_id);

/**
 * Destroy a page table made by vfioiommu_hwpt_alloc_pasid().
 * @param ctx     the context it was made in
 * @param hwpt_id its iommufd object id
 * @return 0; -EINVAL NULL @p ctx; -EBUSY a device or PASID is still attached
 * to it; -ENOENT no such object; -EOPNOTSUPP container backend; -ENODEV no
 * backend chosen yet; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_hwpt_destroy(vfioiommu_ctx *ctx, uint32_t hwpt_id);

VFIOIOMMU_END_DECLS

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/resv.h
 * IOMMU reserved regions (/sys/kernel/iommu_groups/N/reserved_regions).
 */
#ifndef VFIOIOMMU_RESV_H
#define VFIOIOMMU_RESV_H

#include <vfioiommu/common.h>
#include <vfioiommu/iova.h>

VFIOIOMMU_BEGIN_DECLS

/**
 * Reserved-region types.  sysfs prints MSI and SW_MSI both as "msi", so a
 * region read from sysfs is VFIOIOMMU_RESV_MSI whichever it was.
 */
enum vfioiommu_resv_type {
	VFIOIOMMU_RESV_DIRECT = 0,           /**< "direct": firmware 1:1 map (RMRR/IVMD/RMR) */
	VFIOIOMMU_RESV_DIRECT_RELAXABLE = 1, /**< "direct-relaxable": 1:1 that assignment may drop */
	VFIOIOMMU_RESV_RESERVED = 2,         /**< "reserved": never map */
	VFIOIOMMU_RESV_MSI = 3,              /**< "msi": hardware MSI doorbell window */
	VFIOIOMMU_RESV_SW_MSI = 4,           /**< software-managed MSI window (printed "msi") */
};

VFIOIOMMU_END_DECLS

#endif

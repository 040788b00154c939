/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Names of the kinds of fd the library adopts (context/ and device/ both use them in messages). */
#include <vfioiommu/adopt.h>

#include "internal.h"

VFIOIOMMU_API const char *vfioiommu_fd_kind_name(enum vfioiommu_fd_kind kind)
{
	switch (kind) {
	case VFIOIOMMU_FD_IOMMUFD: return "iommufd";
	case VFIOIOMMU_FD_CONTAINER: return "container";
	case VFIOIOMMU_FD_GROUP: return "group";
	case VFIOIOMMU_FD_DEVICE: return "device";
	case VFIOIOMMU_FD_CDEV: return "cdev";
	case VFIOIOMMU_FD_CDEV_BOUND: return "bound cdev";
	case VFIOIOMMU_FD_NONE: break;
	}
	return "none";
}

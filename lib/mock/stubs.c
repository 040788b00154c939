/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * TEMPORARY placeholders so the tree links while lib/mock/vfio.c and
 * lib/mock/iommufd.c are being written.  Whoever adds vfio.c or iommufd.c to
 * lib/meson.build deletes the matching block here (and this file when empty).
 */
#include <errno.h>

#include "mock/mock.h"

/* --- vfio.c --- */
int vm_vfio_open_container(struct vfioiommu_mock *m) { return -ENODEV; }
int vm_vfio_open_group(struct vfioiommu_mock *m, unsigned int group) { return -ENODEV; }
int vm_vfio_open_cdev(struct vfioiommu_mock *m, struct vm_device *d) { return -ENODEV; }
void vm_vfio_destroy(struct vfioiommu_mock *m) { }
/* --- end vfio.c --- */

/* --- iommufd.c --- */
int vm_iommufd_open(struct vfioiommu_mock *m) { return -ENODEV; }
int vm_iommufd_bind(struct vfioiommu_mock *m, int iommufd, struct vm_device *d, uint32_t *devid) { return -ENODEV; }
int vm_iommufd_unbind(struct vfioiommu_mock *m, struct vm_device *d) { return -ENODEV; }
int vm_iommufd_attach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t pasid, uint32_t *pt_id) { return -ENODEV; }
int vm_iommufd_detach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t pasid) { return -ENODEV; }
void vm_iommufd_destroy(struct vfioiommu_mock *m) { }
/* --- end iommufd.c --- */

/* --- container.c / iommufd.c backends --- */
#include "ctx.h"
static int nope(struct vfioiommu_ctx *ctx) { return vi_fail(ctx, -EOPNOTSUPP, "backend not built yet"); }
const struct vi_backend_ops vi_container_ops = { .kind = VFIOIOMMU_BACKEND_TYPE1V2, .open = nope };
const struct vi_backend_ops vi_iommufd_ops = { .kind = VFIOIOMMU_BACKEND_IOMMUFD, .open = nope };
/* --- end backends --- */

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * backend/: the two ways to an IOMMU address space (a VFIO container, an
 * iommufd IOAS), behind one table of operations, and the choice between
 * them.  The areas above (device/, dma/, pasid/, context/) reach a backend
 * only through ctx->be and the calls below; a backend never calls them.
 */
#ifndef VI_BACKEND_INTERNAL_H
#define VI_BACKEND_INTERNAL_H

#include <stdint.h>

#include "core/internal.h"

/*
 * One table per backend; context.c never branches on which.  Entries a
 * backend cannot do are NULL and the caller reports -EOPNOTSUPP.
 */
struct vi_backend_ops {
	enum vfioiommu_backend kind;
	/* open /dev/vfio/vfio (container) or /dev/iommu + IOAS (iommufd) */
	int (*open)(struct vfioiommu_ctx *ctx);
	/* container only: open /dev/vfio/N, viability, SET_CONTAINER, SET_IOMMU on the first */
	int (*add_group)(struct vfioiommu_ctx *ctx, unsigned int group);
	/* dev->bdf and dev->group are set; fill dev->fd (and dev->devid for iommufd) */
	int (*device_open)(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
	void (*device_close)(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
	/* the kernel's current IOVA ranges for this address space */
	int (*iova_ranges)(struct vfioiommu_ctx *ctx, vfioiommu_iova_list **out);
	/* close everything open() and add_group() made, in reverse order */
	void (*close)(struct vfioiommu_ctx *ctx);

	/*
	 * DMA: the only MAP/UNMAP ioctls of the library; dma/ keeps the table of
	 * mappings and normalises errnos on top.  Each returns 0 or the kernel's
	 * -errno unchanged.  prot is VI_PROT_READ | VI_PROT_WRITE.  map, unmap
	 * and map_file run WITHOUT ctx->lock (under dma/'s own lock, after
	 * iova_ranges succeeded): they may read only what open() set and close()
	 * frees (fds, object ids).  unmap_all runs under ctx->lock.
	 */
	int (*map)(struct vfioiommu_ctx *ctx, uint64_t vaddr, uint64_t iova, uint64_t len, uint32_t prot);
	/* *unmapped = bytes the kernel says it unmapped */
	int (*unmap)(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t *unmapped);
	int (*unmap_all)(struct vfioiommu_ctx *ctx, uint64_t *unmapped);
	/* iommufd only (IOMMU_IOAS_MAP_FILE); NULL elsewhere */
	int (*map_file)(struct vfioiommu_ctx *ctx, int fd, uint64_t start, uint64_t iova, uint64_t len,
			uint32_t prot);
	/*
	 * IOMMU page-size bitmap (lowest bit = the alignment MAP needs) and the
	 * mappings the kernel still allows (type1 DMA_AVAIL; -1 when unlimited
	 * or unknown).
	 */
	int (*dma_limits)(struct vfioiommu_ctx *ctx, uint64_t *pgsizes, int64_t *avail);
	/*
	 * Container only: let go of groups kept attached only so that their
	 * mappings survive (no device open, not added explicitly), once the
	 * mappings are gone (ctx->lock held, dma/'s lock not).  NULL elsewhere.
	 */
	void (*release_idle)(struct vfioiommu_ctx *ctx);
	/*
	 * Container only (type1 UNMAP_DMA with GET_DIRTY_BITMAP), NULL elsewhere:
	 * as unmap, and the kernel sets the dirty bits of the unmapped pages,
	 * one per @pgsize from @iova, in @bitmap (@bitmap_bytes, zeroed by the
	 * caller).  Runs like unmap, under dma/'s lock only.
	 */
	int (*unmap_dirty)(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t pgsize, uint64_t *bitmap,
			   uint64_t bitmap_bytes, uint64_t *unmapped);
};
#define VI_PROT_READ  (1u << 0)
#define VI_PROT_WRITE (1u << 1)

extern const struct vi_backend_ops vi_container_ops;
extern const struct vi_backend_ops vi_iommufd_ops;


/*
 * Pick the backend for the context's mode (AUTO: iommufd when /dev/iommu and
 * the device's cdev exist; @bdf NULL when a group is added by number), say why
 * in ctx->backend_reason, and open it.  ctx->lock held; 0 or -errno with the
 * context's message set.
 */
int vi_backend_select(struct vfioiommu_ctx *ctx, const char *bdf);

/*
 * iommufd.c: the page sizes above 4 KiB a Linux 7.2 intel-iommu paging
 * domain uses, from the VT-d capability registers (IOMMU_GET_HW_INFO): the
 * first stage's on a scalable-mode unit that has one, else SLLPS.
 */
uint64_t vi_vtd_pgsizes(uint64_t cap, uint64_t ecap);

/* container.c: the fd of group @group in a container context (ctx->lock held), or -ENOENT. */
int vi_container_group_fd(struct vfioiommu_ctx *ctx, unsigned int group);
/*
 * container_dirty.c: VFIO_IOMMU_DIRTY_PAGES (start, stop, GET_BITMAP, as @g
 * asks) on the context's container; the kernel's -errno unchanged, no
 * message; -ENODEV without a container.  ctx->lock held.
 */
struct kabi_vfio_dirty_bitmap_get;
int vi_container_dirty_pages(struct vfioiommu_ctx *ctx, struct kabi_vfio_dirty_bitmap_get *g);
/* container.c: the container fd of a container context (benchmarks, tests), or -ENODEV. */
int vi_container_fd(struct vfioiommu_ctx *ctx);

/*
 * iommufd_calls.c: the iommufd ioctls on any object of the context's
 * /dev/iommu, not only its own IOAS (the backend's operations use them with
 * that IOAS; iommufd/ and pasid/ with the objects they make).  Each returns 0
 * or the kernel's -errno unchanged, without a message (-EOPNOTSUPP when the
 * context is not on iommufd; -EPROTO for an id 0 handed back), except
 * vi_iommufd_ioas_ranges, which sets the message.  ioas_map, ioas_map_file,
 * ioas_unmap and the dirty-bitmap ioctl may run without ctx->lock (as
 * ops->map); the rest need it.
 */
struct kabi_iommu_iova_range;
struct kabi_iommu_hw_info;
/*
 * Every other iommufd ioctl (OPTION, COPY, HWPT/vIOMMU/vDEVICE/vEVENTQ/HW
 * queue/fault queue allocation, invalidation, dirty tracking): the first
 * ENOTTY is remembered and later calls of that ioctl get -ENOTTY without a
 * syscall, so callers can name the Linux version at no cost.
 */
int vi_iommufd_ioctl(struct vfioiommu_ctx *ctx, unsigned long req, void *arg);
int vi_iommufd_ioas_alloc(struct vfioiommu_ctx *ctx, uint32_t *id);
/* IOAS_ALLOC on an fd that is not the context's yet (an adopted one) */
int vi_iommufd_ioas_alloc_fd(struct vfioiommu_ctx *ctx, int fd, uint32_t *id);
int vi_iommufd_destroy(struct vfioiommu_ctx *ctx, uint32_t id);
/*
 * The end of an object that lives as long as its fd (fault queue, vEVENTQ):
 * close @fd (when >= 0), then IOMMU_DESTROY @id (when not 0) in case a page
 * table kept it past the close.  The destroy's -errno (ENOENT: the close
 * freed it).
 */
int vi_iommufd_obj_release(struct vfioiommu_ctx *ctx, int fd, uint32_t id);
/* IOAS_IOVA_RANGES with the EMSGSIZE protocol; *out (free()) checked start <= last */
int vi_iommufd_ioas_ranges(struct vfioiommu_ctx *ctx, uint32_t ioas, struct kabi_iommu_iova_range **out,
			   uint32_t *n, uint64_t *align);
/* *iova: the IOVA asked (with FIXED_IOVA in @kflags) and, on success, the one the kernel used */
int vi_iommufd_ioas_map(struct vfioiommu_ctx *ctx, uint32_t ioas, uint32_t kflags, uint64_t vaddr, uint64_t len,
			uint64_t *iova);
int vi_iommufd_ioas_map_file(struct vfioiommu_ctx *ctx, uint32_t ioas, uint32_t kflags, int fd, uint64_t start,
			     uint64_t len, uint64_t *iova);
/* *unmapped: the bytes the kernel says it unmapped (0 on failure) */
int vi_iommufd_ioas_unmap(struct vfioiommu_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len,
			  uint64_t *unmapped);
/*
 * Attach (or, when attached, replace) dev's RID (@pasid NULL) or PASID
 * *@pasid to object @pt (an IOAS or a page table).  A RID attach sets
 * dev->pt_id to the page table the kernel names and marks the context's
 * ranges stale; *@out_pt (may be NULL) gets that id.
 */
int vi_iommufd_attach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, uint32_t pt, const uint32_t *pasid,
		      uint32_t *out_pt);
/* Detach dev's RID (@pasid NULL: dev->pt_id cleared) or PASID *@pasid. */
int vi_iommufd_detach(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, const uint32_t *pasid);
/*
 * GET_HW_INFO of device id h->dev_id, which is @dev's (h->size, data_len
 * and data_uptr are the caller's; @dev says what the answer means).
 * -ENODEV: a mediated device, which has no IOMMU (the kernel finds no
 * device behind an access's id).
 */
int vi_iommufd_hw_info(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, struct kabi_iommu_hw_info *h);

/*
 * The /dev/iommu fd and IOAS id of a context on the iommufd backend.  Caller
 * holds ctx->lock.  0, or -ENODEV (no backend yet) / -EOPNOTSUPP (container),
 * with the context's message set.
 */
int vi_iommufd_get(struct vfioiommu_ctx *ctx, int *fd, uint32_t *ioas);

/*
 * Handed-in fds (vfioiommu_ctx_adopt, vfioiommu_device_adopt), ctx->lock
 * held.  None closes the fd on failure; on success the backend owns it.
 * vi_container_adopt / vi_iommufd_adopt: the context has no backend yet;
 * @live: the container's IOMMU is set (taken over), and groups attached to a
 * container already are accepted as attached to it.
 * vi_container_adopt_group: a container context; the group stays until the
 * context goes.  vi_container_unadopt_group: undo it without closing the fd.
 * vi_container_device_adopt: a group-path device fd of dev->group.
 * vi_container_device_from_group: GET_DEVICE_FD of dev->bdf from dev->group.
 * vi_iommufd_device_adopt: a cdev; @devid 0: bind it, else it is bound already.
 */
int vi_container_adopt(struct vfioiommu_ctx *ctx, int fd, bool live);
int vi_container_adopt_group(struct vfioiommu_ctx *ctx, int fd, unsigned int group);
void vi_container_unadopt_group(struct vfioiommu_ctx *ctx, unsigned int group);
int vi_container_device_adopt(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd);
int vi_container_device_from_group(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev);
int vi_iommufd_adopt(struct vfioiommu_ctx *ctx, int fd, uint32_t ioas);
int vi_iommufd_device_adopt(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, int fd, uint32_t devid);

/*
 * container_vaddr.c, type1 live update on a container context whose IOMMU is
 * set.  vi_container_vaddr_supported: 1 / 0 (CHECK_EXTENSION(UPDATE_VADDR)) or
 * -errno.  vi_container_vaddr_invalidate: UNMAP_DMA(VADDR | ALL), *bytes the
 * size the kernel covered.  vi_container_vaddr_update: MAP_DMA(VADDR) of one
 * whole invalidated mapping.  Kernel errno unchanged, no message.
 */
int vi_container_vaddr_supported(struct vfioiommu_ctx *ctx);
/* container.c: while on, closing the context leaves its groups attached (their fds are only closed). */
void vi_container_set_handed_over(struct vfioiommu_ctx *ctx, bool on);
int vi_container_vaddr_invalidate(struct vfioiommu_ctx *ctx, uint64_t *bytes);
int vi_container_vaddr_update(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t vaddr);

#endif

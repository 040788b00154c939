/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/liveupdate.h
 * Live update: a new process takes over a context's address space with its
 * DMA mappings in place, and the library's table of them.
 *
 * On a VFIO container (type1, VFIO_UPDATE_VADDR):
 *  1. the old process calls vfioiommu_dma_vaddr_invalidate(): the kernel
 *     forgets the process addresses of every mapping but keeps translating
 *     DMA (the pages stay pinned); a container holding a mediated device's
 *     group does not offer this (-EOPNOTSUPP).  From then on, closing the
 *     old context leaves its groups attached to the container;
 *  2. it calls vfioiommu_dma_export() and sends the blob with the container
 *     fd (and group fds) to the new process (vfioiommu_fds_send());
 *  3. the new process adopts the container fd (vfioiommu_ctx_adopt() with
 *     VFIOIOMMU_FD_CONTAINER, then the groups) and calls vfioiommu_dma_import();
 *  4. it maps the same memory (the same memfd, say) and gives the new
 *     addresses with vfioiommu_dma_vaddr_rebase().
 *
 * The adopting context is made with vfioiommu_ctx_adopt() and
 * VFIOIOMMU_ADOPT_LIVE (vfioiommu/adopt.h).  On iommufd the old process must
 * not call vfioiommu_ctx_destroy() before it exits: that would destroy the
 * IOAS; exiting only closes its fds.
 *
 * On iommufd the IOAS lives in the fd, and IOMMU_IOAS_CHANGE_PROCESS moves
 * the pinned pages' accounting to the new process; it needs every mapping to
 * be a file mapping (vfioiommu_dma_map_file()): the new process adopts the
 * iommufd fd with vfioiommu_adopt_opts.ioas_id set to the old IOAS, calls
 * vfioiommu_ctx_change_process() and vfioiommu_dma_import().  Nothing is
 * invalidated or rebased there.
 *
 * The blob is versioned and checked: it carries a magic, a version, its size,
 * a count, the backend it came from and a checksum; one that is truncated,
 * from another version, altered, or from the other backend is refused with
 * -EINVAL and a message saying which.
 */
#ifndef VFIOIOMMU_LIVEUPDATE_H
#define VFIOIOMMU_LIVEUPDATE_H

#include <stddef.h>
#include <stdint.h>

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** The blob version vfioiommu_dma_export() writes and vfioiommu_dma_import() reads. */
#define VFIOIOMMU_DMA_BLOB_VERSION 1u

/**
 * Drop the process addresses of every mapping of a container context
 * (VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR | _ALL, one call the
 * kernel undoes by itself if it fails).  The mappings stay and DMA goes on;
 * until vfioiommu_dma_vaddr_rebase() the library refuses to invalidate them
 * again and the kernel refuses to pin pages for them.  Mappings made behind
 * the library's back are invalidated too.
 *
 * @param ctx a context on the container backend with its IOMMU set
 * @return 0; -EINVAL NULL @p ctx; -ENODEV no backend yet; -EOPNOTSUPP an
 * iommufd context (use vfioiommu_ctx_change_process() in the new process), or
 * a kernel without VFIO_UPDATE_VADDR (also an emulated IOMMU group in the
 * container); -EBUSY the addresses are already invalid; -EIO the kernel
 * covered another byte count than the library's mappings; other -errno of the
 * kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_vaddr_invalidate(vfioiommu_ctx *ctx);

/**
 * Give the kernel new process addresses for the invalidated mappings whose
 * old address lies in [@p old_vaddr, @p old_vaddr + @p len): each becomes
 * @p new_vaddr + (its old address - @p old_vaddr) (VFIO_IOMMU_MAP_DMA with
 * VFIO_DMA_MAP_FLAG_VADDR, same IOVA and size).  The memory there must be the
 * same pages as before (the same memfd or shared mapping).  Mappings already
 * given an address are skipped, so a call that failed half-way may be
 * repeated.  vfioiommu_dma_translate() answers for the new addresses.
 *
 * @param ctx       a container context holding invalidated mappings (from
 *                  vfioiommu_dma_vaddr_invalidate() or vfioiommu_dma_import())
 * @param old_vaddr start of the old process's range
 * @param len       its length in bytes (> 0)
 * @param new_vaddr where the same memory is in this process
 * @param count     receives how many mappings got an address (may be NULL)
 * @return 0; -EINVAL NULL @p ctx, @p len 0, a range that wraps, or a mapping
 * that straddles an end of the range (nothing sent); -ENOENT no invalidated
 * mapping lies in the range; -EOPNOTSUPP not a container context; other
 * -errno of the kernel (EFAULT: the new range is not mapped in this process).
 */
VFIOIOMMU_API int vfioiommu_dma_vaddr_rebase(vfioiommu_ctx *ctx, uint64_t old_vaddr, uint64_t len,
					     void *new_vaddr, size_t *count);

/**
 * Write the library's table of a context's mappings as a blob for
 * vfioiommu_dma_import() in another process.  Makes no system call.
 *
 * @param ctx    the context
 * @param buf    where to write; may be NULL when @p size is 0 (to ask the size)
 * @param size   bytes at @p buf
 * @param needed receives the blob's size (also when @p size is too small)
 * @return 0; -EINVAL NULL @p ctx or @p needed, or NULL @p buf with @p size > 0;
 * -ENOSPC @p size is smaller than *@p needed; -ENODEV no backend yet;
 * -EBUSY a container context whose mappings still have their process
 * addresses (call vfioiommu_dma_vaddr_invalidate() first).
 */
VFIOIOMMU_API int vfioiommu_dma_export(vfioiommu_ctx *ctx, void *buf, size_t size, size_t *needed);

/**
 * Record the mappings of a blob vfioiommu_dma_export() wrote in another
 * process, in a context that adopted the same container or iommufd fd, so
 * vfioiommu_dma_unmap(), vfioiommu_dma_translate_iova() and the allocator
 * know them.  Makes no system call; the kernel holds the mappings already.
 * Process addresses stay the old process's until vfioiommu_dma_vaddr_rebase().
 *
 * @param ctx  a context with an adopted backend and no mapping yet
 * @param blob the blob
 * @param size its size in bytes
 * @return 0; -EINVAL NULL @p ctx or @p blob, or a blob that is truncated,
 * of another version, altered (checksum), from the other backend, or holds
 * overlapping or bad ranges (nothing recorded); -EBUSY the context already
 * holds mappings; -ENODEV no backend yet; -ENOMEM.
 */
VFIOIOMMU_API int vfioiommu_dma_import(vfioiommu_ctx *ctx, const void *blob, size_t size);

VFIOIOMMU_END_DECLS

#endif

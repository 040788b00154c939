/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/dma.h
 * DMA mappings with one errno meaning on every backend.
 *
 * The library keeps its own table of the mappings it made, so it can answer
 * the same way whatever the kernel underneath says:
 *  - an IOVA range overlapping a live mapping: -EEXIST;
 *  - an IOVA range not inside one usable range: -ERANGE, and the message
 *    names the nearest usable range (the kernel only says EINVAL);
 *  - an unmap that covers nothing: -ENOENT (type1 reports success with 0 bytes),
 *    or 0 with VFIOIOMMU_DMA_UNMAP_ABSENT_OK; (0, UINT64_MAX) is the whole
 *    space, 0 even when empty;
 *  - an unmap that would split a mapping: -EINVAL, never sent to the kernel
 *    (type1 v1 would silently split it);
 *  - the kernel unmapping a different byte count than the table expects: -EIO;
 *  - the type1 mapping limit (dma_entry_limit, DMA_AVAIL): -ENOSPC, with the
 *    count in the message;
 *  - an address or length not aligned to the smallest IOMMU page: -EINVAL,
 *    naming the supported page sizes.
 *
 *  - the last device closing keeps the mappings (a container keeps its last
 *    group attached while the library holds mappings, as an IOAS keeps them).
 *
 * Library-chosen IOVAs suit the IOMMU's superpages (see vfioiommu_dma_map()).
 * All functions are thread-safe; translate and translate_iova run
 * concurrently with themselves and each other.
 * Mappings made through the raw fds behind the library's back are not known.
 */
#ifndef VFIOIOMMU_DMA_H
#define VFIOIOMMU_DMA_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** Flags for vfioiommu_dma_map(). */
enum vfioiommu_dma_flags {
	VFIOIOMMU_DMA_READ = 1u << 0,       /**< the device may read the buffer */
	VFIOIOMMU_DMA_WRITE = 1u << 1,      /**< the device may write the buffer */
	VFIOIOMMU_DMA_FIXED_IOVA = 1u << 2, /**< map at *iova instead of allocating one */
};

/**
 * Map [vaddr, vaddr + len) for DMA.  With VFIOIOMMU_DMA_FIXED_IOVA the
 * IOVA is *@p iova; otherwise the library allocates a free IOVA inside the
 * usable ranges and returns it in *@p iova (never IOVA 0, which many drivers
 * treat as "no address", as iommufd's own allocator does).  The IOVA is also
 * the handle for vfioiommu_dma_unmap_at().
 *
 * A library-chosen IOVA suits the IOMMU's superpages: it is congruent to
 * @p vaddr modulo the largest IOMMU page size P of which a whole P-aligned
 * page lies inside the buffer (a 2 MiB buffer at a 2 MiB-aligned address
 * gets a 2 MiB-aligned IOVA, a 1 GiB one a 1 GiB-aligned IOVA), so the
 * kernel can map it with P pages.  The sizes are the backend's page sizes
 * above the smallest (vfioiommu_dma_stats() pgsizes), or 2 MiB and 1 GiB
 * when the kernel names none.  The lowest such IOVA is taken; when the free
 * space is too fragmented, the next smaller size's congruence, and at last
 * the lowest page-aligned IOVA: such a fallback is counted in
 * vfioiommu_dma_stats() unaligned_maps, never an error.
 * @param ctx   the context; a group or device must be attached
 * @param vaddr the buffer, aligned to the smallest IOMMU page size
 * @param len   bytes, a multiple of the smallest IOMMU page size, not 0
 * @param flags enum vfioiommu_dma_flags: READ and/or WRITE, optionally FIXED_IOVA
 * @param iova  with FIXED_IOVA in: the IOVA to map at; out: the IOVA mapped at
 * @return 0; -EINVAL (NULL @p ctx or @p iova, unknown flags, neither READ nor
 * WRITE, @p len 0, an unaligned address, length or IOVA, a range that
 * overflows); -ERANGE a FIXED_IOVA range is not inside one usable range
 * (the message names the nearest usable range); -EEXIST it overlaps a live
 * mapping; -ENOSPC no free IOVA range is large enough (library-chosen IOVA),
 * or the kernel allows no more mappings (type1 dma_entry_limit: the message
 * gives the count); -ENODEV nothing attached yet; -EOPNOTSUPP a no-IOMMU
 * container; -ENOMEM; another -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_map(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				    uint64_t *iova);
/**
 * Like vfioiommu_dma_map() without FIXED_IOVA, but the IOVA is aligned to
 * @p align and lies in [lo, hi].  With @p align 0 the IOVA suits superpages
 * as vfioiommu_dma_map() describes, inside the window.
 * @param ctx   the context
 * @param vaddr the buffer
 * @param len   bytes
 * @param flags READ and/or WRITE (FIXED_IOVA is refused)
 * @param align a power of two; 0 = the IOMMU page size
 * @param lo    the lowest IOVA the mapping may use
 * @param hi    the highest IOVA the mapping may use (inclusive)
 * @param iova  receives the IOVA
 * @return as vfioiommu_dma_map(); -EINVAL also for FIXED_IOVA, an @p align
 * that is not a power of two, or an empty window.
 */
VFIOIOMMU_API int vfioiommu_dma_map_in(vfioiommu_ctx *ctx, void *vaddr, uint64_t len, uint32_t flags,
				       uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova);
/**
 * Map @p len bytes of the file @p fd (a memfd) from @p offset, iommufd only
 * (IOMMU_IOAS_MAP_FILE, Linux 6.13+).  The IOVA suits superpages as in
 * vfioiommu_dma_map(), with @p offset in the place of the process address.  Such mappings have no process address
 * and are not found by vfioiommu_dma_translate().
 * @param ctx    the context
 * @param fd     the file (the kernel takes its own reference)
 * @param offset where in the file the mapping starts
 * @param len    bytes
 * @param flags  as vfioiommu_dma_map()
 * @param iova   as vfioiommu_dma_map()
 * @return as vfioiommu_dma_map(); -EBADF a negative @p fd; -EOPNOTSUPP a
 * container backend or a kernel before 6.13.
 */
VFIOIOMMU_API int vfioiommu_dma_map_file(vfioiommu_ctx *ctx, int fd, uint64_t offset, uint64_t len,
					 uint32_t flags, uint64_t *iova);
/**
 * Unmap every mapping inside [iova, iova + len).  The range must cover whole
 * mappings: neither type1v2 nor iommufd can unmap part of one, so memory
 * that will be unplugged in blocks (virtio-mem) must be mapped in blocks.
 * @p iova 0 with @p len UINT64_MAX means the whole address space, on every
 * backend: it is vfioiommu_dma_unmap_all(), and returns 0 when nothing was
 * mapped.
 * @param ctx  the context
 * @param iova the first IOVA
 * @param len  bytes
 * @return 0; -ENOENT nothing mapped there; -EINVAL (NULL @p ctx, @p len 0 or
 * a range that wraps, @p iova or @p len not a multiple of the IOMMU page size
 * (checked before the kernel, on every backend), or the range would split a
 * mapping); -EIO the kernel
 * unmapped a different amount; -ENODEV nothing attached yet; other -errno
 * from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len);

/** Flags for vfioiommu_dma_unmap_flags(). */
enum vfioiommu_dma_unmap_flags {
	/**
	 * Nothing mapped in the range is success (0), not -ENOENT: a vIOMMU's
	 * guest unmaps ranges that were never mapped or are gone already (QEMU
	 * treats the kernel's ENOENT that way).  A range that would split a
	 * mapping is still -EINVAL.
	 */
	VFIOIOMMU_DMA_UNMAP_ABSENT_OK = 1u << 0,
};

/**
 * vfioiommu_dma_unmap() with flags.
 * @param ctx   the context
 * @param iova  the first IOVA
 * @param len   bytes
 * @param flags enum vfioiommu_dma_unmap_flags
 * @return as vfioiommu_dma_unmap(), with 0 instead of -ENOENT under
 * VFIOIOMMU_DMA_UNMAP_ABSENT_OK; -EINVAL also for unknown @p flags.
 */
VFIOIOMMU_API int vfioiommu_dma_unmap_flags(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint32_t flags);
/**
 * Unmap the one mapping that starts at @p iova.
 * @param ctx  the context
 * @param iova the handle vfioiommu_dma_map() returned
 * @return 0; -ENOENT no mapping starts at @p iova; -EINVAL NULL @p ctx; -EIO
 * the kernel unmapped a different amount; -ENODEV nothing attached yet; other
 * -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_unmap_at(vfioiommu_ctx *ctx, uint64_t iova);
/**
 * Unmap everything in the address space, including mappings the library
 * did not make.
 * @param ctx the context
 * @return 0; -EINVAL NULL @p ctx; -ENODEV nothing attached yet; -EOPNOTSUPP
 * a no-IOMMU container; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_unmap_all(vfioiommu_ctx *ctx);
/**
 * The IOVA of a process address, when [vaddr, vaddr + len) lies inside one
 * mapping.  Runs concurrently with itself (a read lock).
 * @param ctx   the context
 * @param vaddr the process address
 * @param len   bytes from @p vaddr that must be mapped too; 0 is taken as 1
 * @param iova  receives the IOVA of @p vaddr
 * @return 0; -ENOENT not inside one mapping; -EINVAL NULL @p ctx or @p iova,
 * or a range that wraps past 2^64.
 */
VFIOIOMMU_API int vfioiommu_dma_translate(vfioiommu_ctx *ctx, const void *vaddr, uint64_t len,
					  uint64_t *iova);

/**
 * The process address behind an IOVA, when [iova, iova + len) lies inside
 * one mapping made through the library: the reverse of
 * vfioiommu_dma_translate(), for a driver that gets IOVAs back from its
 * device (completion rings) or a VMM emulating a vIOMMU.  O(log n) in the
 * live mappings, no syscall; runs concurrently with itself and with
 * vfioiommu_dma_translate() (a read lock).
 * @param ctx   the context
 * @param iova  the IOVA
 * @param len   bytes from @p iova that must be mapped too; 0 is taken as 1
 * @param vaddr receives the process address of @p iova
 * @return 0; -ENOENT not inside one mapping; -ENXIO inside a mapping made by
 * vfioiommu_dma_map_file(), which has no process address; -EINVAL NULL
 * @p ctx or @p vaddr, or a range that wraps past 2^64.
 */
VFIOIOMMU_API int vfioiommu_dma_translate_iova(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, void **vaddr);

/** Counters from vfioiommu_dma_stats(). */
struct vfioiommu_dma_stats {
	uint32_t size;         /**< in: sizeof(struct vfioiommu_dma_stats) as the caller compiled it */
	uint32_t reserved;     /**< zero (keeps the counters 8-byte aligned) */
	uint64_t mappings;     /**< live mappings made through the library */
	uint64_t mapped_bytes; /**< their total length */
	int64_t dma_avail;     /**< mappings the kernel still allows (type1), -1 when unlimited */
	uint64_t pgsizes;      /**< IOMMU page-size bitmap */
	/**
	 * Library-chosen IOVAs (since this context's first map) that could not
	 * get the preferred superpage alignment because the free IOVA space was
	 * too fragmented: they got a smaller page size's alignment or none.
	 * Added in 0.2: a caller whose @p size stops before it does not get it.
	 */
	uint64_t unaligned_maps;
};
/**
 * Fill the DMA counters.
 * @param ctx the context
 * @param out in: out->size = sizeof(*out); out: the counters
 * @return 0; -EINVAL NULL argument or a size below this version's struct;
 * -ENODEV nothing attached yet; -EOPNOTSUPP a no-IOMMU container; other
 * -errno from re-reading the kernel's ranges and limits.
 */
VFIOIOMMU_API int vfioiommu_dma_stats(vfioiommu_ctx *ctx, struct vfioiommu_dma_stats *out);

VFIOIOMMU_END_DECLS

#endif

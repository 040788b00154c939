/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/dirty.h
 * Dirty pages: which pages a device wrote.  Device DMA logging
 * (VFIO_DEVICE_FEATURE_DMA_LOGGING_START / _STOP / _REPORT) is the dirty
 * tracker a device with migration v2 may offer itself (mtty does); the
 * type1 container's tracking is the other one here.
 *
 * The caller names IOVA ranges at a page size; the library sorts and merges
 * them into what the kernel accepts (no overlap, at most 256 ranges: past
 * that, the closest ones are joined, and the gaps between them are logged
 * too).  Reports come as a caller-owned bitmap or as a walk over the dirty
 * runs; either may span any length (the library asks in pieces).  A report
 * reads and clears: a page reported dirty is clean in the next report until
 * the device writes it again.
 *
 * The library's record that logging runs belongs to the open device: it
 * goes when the device closes (what the driver does with its log then is
 * the driver's; mtty's log is empty either way).
 *
 * A type1v2 container tracks for all its devices at once
 * (VFIO_IOMMU_DIRTY_PAGES): vfioiommu_dirty_type1_start() and the calls
 * after it.  It reports at its smallest IOMMU page only, whole mappings
 * only (a range must start and end on mapping boundaries), and while any
 * device of the container does not pin its pages (every PCI device) every
 * mapped page is dirty at every report: it says what a device could have
 * written, not what it wrote.  Which to use: a device that logs its own DMA
 * says what it wrote; the container covers devices that cannot.
 *
 * On iommufd, a page table allocated with VFIOIOMMU_PT_DIRTY_TRACKING
 * (vfioiommu_pagetable_new()) tracks the writes of every device attached to
 * it, in the IOMMU's own page tables: vfioiommu_dirty_hwpt_start() and the
 * calls after it.  Its reports may leave the bits set
 * (VFIOIOMMU_DIRTY_NO_CLEAR), to read a range twice.
 *
 * A type1v2 container can unmap and report the unmapped pages' dirty bits in
 * one step (vfioiommu_dirty_type1_unmap()), so that no write between a last
 * report and the unmap is lost.  iommufd has no such unmap.
 *
 * What the kernel does at the edges (Linux 7.2, measured: tests/vm/FACTS.md,
 * "type1 dirty pages", "iommufd HWPT dirty tracking", "device DMA logging"),
 * and what the library does with it.  Read the last bits BEFORE stopping:
 * every report of the library needs its tracker running.
 * - Stopping.  type1: the kernel frees the bits (its own report after a stop
 *   is EINVAL), a new start begins afresh (with a PCI device, every mapped
 *   page again).  HWPT: the kernel keeps the bits and would still read them,
 *   but the next start clears them; the library's reports say -EINVAL (not
 *   running) after a stop either way.  Device logging: what the log keeps is
 *   the driver's (mtty's is empty); the library's reports need it running.
 * - An ordinary vfioiommu_dma_unmap() while tracking is allowed on every
 *   tracker and drops the range's bits: a report over the range reads clean
 *   (type1, HWPT: a range with nothing mapped reads clean, no error), and a
 *   new mapping there starts clean.  Use vfioiommu_dirty_type1_unmap() on a
 *   container to keep them.
 * - A device leaving.  type1: when the last group leaves the container (its
 *   devices closed and its mappings gone, or the context destroyed) the
 *   kernel drops the IOMMU and the tracking with it: a report is -EINVAL,
 *   the library forgets that tracking runs, and a container set up again
 *   starts untracked (start it again).  HWPT: a device that leaves the page
 *   table (measured: its object destroyed, which detaches it) leaves its bits
 *   and the tracking there: the page table still reports what was written.  Device logging: a
 *   close ends the library's record (vfioiommu_dirty_log_bitmap() is -EINVAL
 *   on the device opened again; start anew); what the driver does with its
 *   log is the driver's.
 */
#ifndef VFIOIOMMU_DIRTY_H
#define VFIOIOMMU_DIRTY_H

#include <stddef.h>
#include <stdint.h>

#include <vfioiommu/common.h>
#include <vfioiommu/iova.h>
#include <vfioiommu/objects.h>

VFIOIOMMU_BEGIN_DECLS

/** The most ranges one DMA_LOGGING_START takes (a page of 16-byte ranges). */
#define VFIOIOMMU_DIRTY_LOG_MAX_RANGES 256

/**
 * Start logging the device's writes to @p ranges.
 * @param dev           the device
 * @param ranges        the IOVA ranges (inclusive ends), any order; overlapping
 *                      or touching ones are merged
 * @param n             how many (at least 1)
 * @param page_size     the granule asked for: a power of two, at least 4096
 * @param page_size_out NULL, or receives the granule the device will use
 * @return 0; -EINVAL NULL @p dev or @p ranges, @p n 0, a @p page_size that is
 * not a power of two of at least 4096, a range whose start or end + 1 is not
 * aligned to it, or that wraps; -EBUSY logging already runs on @p dev (stop
 * it first); -EOPNOTSUPP the device has no DMA logging; -ENOMEM; other
 * -errno from the kernel (-EOVERFLOW: a range past the kernel's addresses).
 */
VFIOIOMMU_API int vfioiommu_dirty_log_start(vfioiommu_device *dev, const struct vfioiommu_iova_range *ranges,
					    size_t n, uint64_t page_size, uint64_t *page_size_out);

/**
 * Stop logging (nothing happens when it does not run, as in the kernel).
 * @param dev the device
 * @return 0; -EINVAL NULL @p dev; -EOPNOTSUPP no DMA logging; other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_log_stop(vfioiommu_device *dev);

/**
 * The pages of [@p iova, @p iova + @p length) the device wrote since the
 * last report, one bit per page (bit i of word i / 64 is the page at
 * @p iova + i * @p page_size), read and cleared.  The bitmap is zeroed first
 * (the kernel only sets bits).
 * @param dev          the device
 * @param iova         the first IOVA, aligned to @p page_size
 * @param length       bytes, a non-zero multiple of @p page_size
 * @param page_size    a power of two, at least 4096
 * @param bitmap       the caller's bitmap
 * @param bitmap_bytes its size: at least 8 * ceil(length / page_size / 64)
 * @return 0; -EINVAL NULL argument, misaligned or empty range, a range that
 * wraps, a bad @p page_size, or logging not started; -ENOSPC @p bitmap is too
 * small (the message says how many bytes are needed); -EOPNOTSUPP no DMA
 * logging; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dirty_log_bitmap(vfioiommu_device *dev, uint64_t iova, uint64_t length,
					     uint64_t page_size, uint64_t *bitmap, size_t bitmap_bytes);

/**
 * Called for each run of dirty pages, in IOVA order.
 * @param arg    what vfioiommu_dirty_log_ranges() was given
 * @param iova   the first dirty byte
 * @param length the run's length in bytes (whole pages)
 * @return 0 to go on; anything else stops the walk and is returned.
 */
typedef int (*vfioiommu_dirty_fn)(void *arg, uint64_t iova, uint64_t length);

/**
 * Like vfioiommu_dirty_log_bitmap(), as a walk over the runs of dirty pages
 * (adjacent pages joined, also across the library's pieces), with no bitmap
 * for the caller to size.  The pieces already reported are cleared even when
 * @p fn stops the walk.
 * @param dev       the device
 * @param iova      the first IOVA, aligned to @p page_size
 * @param length    bytes, a non-zero multiple of @p page_size
 * @param page_size a power of two, at least 4096
 * @param fn        called for each run
 * @param arg       passed to @p fn
 * @return 0; what @p fn returned when it stopped the walk; otherwise as
 * vfioiommu_dirty_log_bitmap() (-EINVAL also for a NULL @p fn).
 */
VFIOIOMMU_API int vfioiommu_dirty_log_ranges(vfioiommu_device *dev, uint64_t iova, uint64_t length,
					     uint64_t page_size, vfioiommu_dirty_fn fn, void *arg);

/**
 * Start the container's dirty tracking (VFIO_IOMMU_DIRTY_PAGES, START).
 * @param ctx a context on a type1v2 container
 * @return 0; -EINVAL NULL @p ctx; -ENODEV no group yet; -EBUSY tracking
 * already runs through this context; -EOPNOTSUPP an iommufd or no-IOMMU
 * context, a type1 (v1) container (the kernel's EACCES), or a kernel without
 * the MIGRATION capability; -ENOMEM (the kernel's bitmaps); other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_start(vfioiommu_ctx *ctx);

/**
 * Stop the container's dirty tracking (nothing happens when it does not run).
 * @param ctx the context
 * @return 0; -EINVAL NULL @p ctx; -EOPNOTSUPP as vfioiommu_dirty_type1_start(); other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_stop(vfioiommu_ctx *ctx);

/**
 * The container's dirty pages of [@p iova, @p iova + @p length) into the
 * caller's bitmap (as vfioiommu_dirty_log_bitmap()), asked in pieces of at
 * most the kernel's largest bitmap (2^31 - 1 pages).
 * @param ctx          the context
 * @param iova         the first IOVA: aligned, and no mapping may start before it and reach into the range
 * @param length       bytes: aligned, and no mapping may start inside and end past the range
 * @param page_size    the container's dirty page size (its smallest IOMMU page: 4096 on x86)
 * @param bitmap       the caller's bitmap
 * @param bitmap_bytes its size: at least 8 * ceil(length / page_size / 64)
 * @return 0; -EINVAL NULL argument, a page size the container does not
 * report at (the message names the one it does), a misaligned, empty or
 * wrapping range, tracking not started, or a range that cuts a mapping (the
 * kernel's EINVAL, said so); -ENOSPC @p bitmap too small; -EOPNOTSUPP as
 * vfioiommu_dirty_type1_start(); other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_bitmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					       uint64_t *bitmap, size_t bitmap_bytes);

/**
 * The container's dirty pages as a walk over runs (as vfioiommu_dirty_log_ranges()).
 * @param ctx       the context
 * @param iova      as vfioiommu_dirty_type1_bitmap()
 * @param length    as vfioiommu_dirty_type1_bitmap()
 * @param page_size as vfioiommu_dirty_type1_bitmap()
 * @param fn        called for each run
 * @param arg       passed to @p fn
 * @return 0; what @p fn returned when it stopped; otherwise as vfioiommu_dirty_type1_bitmap().
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_ranges(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					       vfioiommu_dirty_fn fn, void *arg);

/**
 * Unmap the whole mappings [@p iova, @p iova + @p length) covers, as
 * vfioiommu_dma_unmap() does (the library's table of mappings follows), and
 * receive their dirty pages in the same ioctl (VFIO_IOMMU_UNMAP_DMA with
 * GET_DIRTY_BITMAP): bit i of word i / 64 is the page at @p iova + i *
 * @p page_size.  The bitmap is zeroed first; pages of the range that were not
 * mapped read clean.  Tracking must run (vfioiommu_dirty_type1_start()); it
 * goes on for the other mappings.
 *
 * On iommufd this is -EOPNOTSUPP: the kernel has no unmap that returns dirty
 * bits, and reading them before unmapping cannot be made atomic by the library
 * (a write between the two would be lost without a sign).  Do the two steps
 * with the devices quiesced, as a VMM does at that point anyway:
 * vfioiommu_dirty_hwpt_bitmap(), then vfioiommu_dma_unmap().
 * @param ctx          a context on a type1v2 container, tracking
 * @param iova         the first IOVA: no mapping may start before it and reach into the range
 * @param length       bytes: no mapping may start inside the range and end past it
 * @param page_size    the container's dirty page size (as vfioiommu_dirty_type1_bitmap())
 * @param bitmap       the caller's bitmap
 * @param bitmap_bytes its size: at least 8 * ceil(length / page_size / 64)
 * @return 0; -EINVAL NULL argument, tracking not started, a page size the
 * container does not report at, a misaligned, empty or wrapping range, a
 * range that would split a mapping (nothing is unmapped), more than 2^31 - 64
 * pages; -ENOENT nothing is mapped in the range; -ENOSPC @p bitmap too
 * small; -EOPNOTSUPP an iommufd context (see above), a type1 (v1) or no-IOMMU
 * container; -ENODEV no group yet; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dirty_type1_unmap(vfioiommu_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
					      uint64_t *bitmap, size_t bitmap_bytes);

/** vfioiommu_dirty_hwpt_bitmap() / _ranges() flag: report without clearing (the next report sees the bits again). */
#define VFIOIOMMU_DIRTY_NO_CLEAR (1u << 0)

/**
 * Start the page table's dirty tracking (IOMMU_HWPT_SET_DIRTY_TRACKING,
 * enable): from now on the IOMMU records the pages the devices attached to
 * @p pt write.
 * @param pt a page table allocated with VFIOIOMMU_PT_DIRTY_TRACKING
 * @return 0; -EINVAL NULL @p pt; -EBUSY tracking already runs (started
 * through this handle); -EOPNOTSUPP @p pt was allocated without
 * VFIOIOMMU_PT_DIRTY_TRACKING, or a kernel before Linux 6.7; other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_hwpt_start(vfioiommu_pagetable *pt);

/**
 * Stop the page table's dirty tracking (nothing happens when it does not run,
 * as in the kernel).
 * @param pt the page table
 * @return 0; -EINVAL NULL @p pt; -EOPNOTSUPP as vfioiommu_dirty_hwpt_start(); other -errno.
 */
VFIOIOMMU_API int vfioiommu_dirty_hwpt_stop(vfioiommu_pagetable *pt);

/**
 * The pages of [@p iova, @p iova + @p length) written through @p pt since
 * they were last cleared, one bit per page (as vfioiommu_dirty_log_bitmap()),
 * in pieces of at most 2^31 pages.  The bitmap is zeroed first.  Pages not
 * mapped read clean.
 * @param pt           the page table, tracking
 * @param iova         the first IOVA, aligned to @p page_size
 * @param length       bytes, a non-zero multiple of @p page_size
 * @param page_size    the granule of a bit: a power of two, at least 4096
 * @param flags        0, or VFIOIOMMU_DIRTY_NO_CLEAR to leave the bits set
 * @param bitmap       the caller's bitmap
 * @param bitmap_bytes its size: at least 8 * ceil(length / page_size / 64)
 * @return 0; -EINVAL NULL argument, unknown @p flags, tracking not started,
 * a bad @p page_size, a misaligned, empty or wrapping range, or one the
 * kernel finds misaligned to the IOAS's IOVA alignment; -ENOSPC @p bitmap
 * too small (the message says how many bytes); -EOPNOTSUPP as
 * vfioiommu_dirty_hwpt_start(); other -errno (-EOVERFLOW: past the kernel's
 * addresses).
 */
VFIOIOMMU_API int vfioiommu_dirty_hwpt_bitmap(vfioiommu_pagetable *pt, uint64_t iova, uint64_t length,
					      uint64_t page_size, uint32_t flags, uint64_t *bitmap, size_t bitmap_bytes);

/**
 * The page table's dirty pages as a walk over runs (as
 * vfioiommu_dirty_log_ranges()); the pieces already read are cleared (unless
 * VFIOIOMMU_DIRTY_NO_CLEAR) even when @p fn stops the walk.
 * @param pt        the page table, tracking
 * @param iova      as vfioiommu_dirty_hwpt_bitmap()
 * @param length    as vfioiommu_dirty_hwpt_bitmap()
 * @param page_size as vfioiommu_dirty_hwpt_bitmap()
 * @param flags     as vfioiommu_dirty_hwpt_bitmap()
 * @param fn        called for each run
 * @param arg       passed to @p fn
 * @return 0; what @p fn returned when it stopped; otherwise as
 * vfioiommu_dirty_hwpt_bitmap() (-EINVAL also for a NULL @p fn, -ENOMEM).
 */
VFIOIOMMU_API int vfioiommu_dirty_hwpt_ranges(vfioiommu_pagetable *pt, uint64_t iova, uint64_t length,
					      uint64_t page_size, uint32_t flags, vfioiommu_dirty_fn fn, void *arg);

/** The dirty trackers vfioiommu_dirty_choose() picks from. */
enum vfioiommu_dirty_tracker {
	VFIOIOMMU_DIRTY_NONE = 0,       /**< none fits the context */
	VFIOIOMMU_DIRTY_DEVICE_LOG = 1, /**< every device logs its own DMA: the vfioiommu_dirty_log_*() calls */
	VFIOIOMMU_DIRTY_TYPE1 = 2,      /**< the type1v2 container: the vfioiommu_dirty_type1_*() calls */
	VFIOIOMMU_DIRTY_HWPT = 3,       /**< iommufd page tables with dirty tracking: the vfioiommu_dirty_hwpt_*() calls */
};

/** What vfioiommu_dirty_choose() picked and why. */
struct vfioiommu_dirty_choice {
	/** in: sizeof(struct vfioiommu_dirty_choice) as the caller compiled it */
	uint32_t size;
	/** reserved, 0 */
	uint32_t reserved;
	/** the tracker */
	enum vfioiommu_dirty_tracker tracker;
	/** why, for a person ("every device (2) logs its own DMA: ...") */
	char reason[256];
};

/**
 * Pick the dirty tracker for the context's open devices, as QEMU picks:
 * device DMA logging when every device offers it (it reports what the
 * devices wrote), else, on iommufd, page tables with dirty tracking when
 * every device's RID is attached to one allocated with
 * VFIOIOMMU_PT_DIRTY_TRACKING (the IOMMU reports what they wrote; start it
 * on each such page table), else the type1v2 container's tracking (every
 * mapped page of a device that pins nothing), else none.  Each device is asked with a PROBE of
 * DMA_LOGGING_START; nothing starts.
 * @param ctx    the context, with its devices open
 * @param choice in: choice->size set; out: the tracker and the reason
 * @return 0 (a tracker was picked); -EINVAL NULL argument or a too small
 * choice->size; -ENODEV no device open; -EOPNOTSUPP none fits
 * (choice->tracker is VFIOIOMMU_DIRTY_NONE and choice->reason says why);
 * other -errno from a probe.
 */
VFIOIOMMU_API int vfioiommu_dirty_choose(vfioiommu_ctx *ctx, struct vfioiommu_dirty_choice *choice);

VFIOIOMMU_END_DECLS

#endif

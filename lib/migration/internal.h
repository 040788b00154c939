/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * migration/: device migration v2 (the kernel's state machine walked one
 * arc at a time, the data fd, the library's framed stream of the device's
 * state) and dirty pages (device DMA logging, type1's container tracking,
 * and the walk that turns any tracker's bitmaps into runs, which iommufd/'s
 * HWPT tracking uses too).
 */
#ifndef VI_MIGRATION_INTERNAL_H
#define VI_MIGRATION_INTERNAL_H

#include <stdint.h>

#include <vfioiommu/dirty.h>

#include "core/internal.h"

/*
 * Runs of set bits in bitmaps fed in order (dirty_runs.c; the fastest walk
 * the CPU has): each run (first page index, page count) is handed out once
 * it is known to have ended, so runs join across pieces.  Either @emit gets
 * them one at a time, or, when @batch is set, @batch gets up to a few
 * hundred at once as @npairs (start, end) page pairs, end exclusive (a
 * caller that must drop a lock around its consumer does so once a batch).
 * A nonzero return stops the walk and is returned.
 */
typedef int (*vi_run_emit)(void *arg, uint64_t first, uint64_t n);
typedef int (*vi_run_batch)(void *arg, const uint64_t *pairs, unsigned int npairs);
struct vi_runs {
	uint64_t start, len; /* the open run (len 0: none) */
	vi_run_emit emit;
	vi_run_batch batch;
	void *arg;
};
/* Feed @n bits of @words (bit 0 is page @first); bits past @n are ignored. */
int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n);
/* Emit the open run, if any. */
int vi_runs_end(struct vi_runs *r);

/* Fill @words (zeroed by the callee) with @n pages' bits at @iova; ctx->lock held. */
typedef int (*vi_report_fn)(void *obj, uint64_t iova, uint64_t n, uint64_t ps, uint64_t *words);
/*
 * The dirty runs of @npages pages at @iova, asking @rep in pieces into a
 * buffer of its own and handing each run to @fn (as bytes at IOVAs), the
 * context lock dropped around @fn; ctx->lock held.
 */
int vi_dirty_walk(struct vfioiommu_ctx *ctx, vi_report_fn rep, void *obj, uint64_t iova, uint64_t npages, uint64_t ps,
		  vfioiommu_dirty_fn fn, void *arg);

#endif

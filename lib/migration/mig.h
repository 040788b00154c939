/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* migration/ private: per-device state shared by state.c and stream.c. */
#ifndef VI_MIGRATION_MIG_H
#define VI_MIGRATION_MIG_H

#include <vfioiommu/dirty.h>
#include <vfioiommu/migration.h>

#include "internal.h"

/* dev->mig */
struct vi_mig {
	int data_fd;        /* the kernel's data fd of the current STOP_COPY/RESUMING/PRE_COPY*, or -1 */
	bool header_sent;   /* the stream's header went out on this data fd (save) */
	uint64_t sent;      /* device bytes sent on this data fd so far (save) */
	bool logging;       /* dirty_log.c: DMA logging started by this context */
};

/* The device's migration state, created on first use (ctx->lock held); NULL and a message on ENOMEM. */
struct vi_mig *vi_mig_get(struct vfioiommu_device *dev);
/* Close the data fd (ctx->lock held). */
void vi_mig_drop_fd(struct vfioiommu_device *dev);
/* GET of the state through the door; -errno. */
int vi_mig_read_state(struct vfioiommu_device *dev, enum vfioiommu_mig_state *st);
/* vfioiommu_mig_set_state() with ctx->lock held; r is never NULL. */
int vi_mig_walk(struct vfioiommu_device *dev, enum vfioiommu_mig_state target, struct vfioiommu_mig_result *r);
/* Fill r->state after a failure (state_unknown when reading it fails). */
void vi_mig_note_state(struct vfioiommu_device *dev, struct vfioiommu_mig_result *r);
/* Check the caller's result struct (NULL: use *local); returns the one to fill, or NULL after a message. */
struct vfioiommu_mig_result *vi_mig_result(struct vfioiommu_device *dev, const char *fn, struct vfioiommu_mig_result *res,
					   struct vfioiommu_mig_result *local);
/* Copy the full result into the caller's, within its size. */
void vi_mig_result_out(struct vfioiommu_mig_result *res, const struct vfioiommu_mig_result *full);


#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The iommufd backend's state, shared by its files (iommufd.c, iommufd_calls.c). */
#ifndef VI_BACKEND_IOMMUFD_PRIV_H
#define VI_BACKEND_IOMMUFD_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/internal.h"
#include "internal.h"

struct vi_iommufd {
	int fd;
	uint32_t ioas;
	bool ioas_handed; /* the IOAS came with an adopted fd: left in place at the end */
	/*
	 * The ioctls this kernel answered ENOTTY (vi_iommufd_ioctl): not asked
	 * again.  Relaxed throughout: a hint that orders nothing else; a thread
	 * that misses a fresh bit only makes the syscall once more.
	 */
	_Atomic uint32_t missing;
};

/* The backend state of an iommufd context, NULL on any other (or before open). */
static inline struct vi_iommufd *vi_iommufd_priv(struct vfioiommu_ctx *ctx)
{
	return ctx->be == &vi_iommufd_ops ? ctx->be_priv : NULL;
}

#endif

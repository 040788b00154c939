/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The registry of a context's objects (objs.c): every handle made here is on
 * ctx->objs' list, and every attachment made through this area is recorded,
 * so a destroy the kernel refuses with EBUSY can say who holds the object.
 * Everything runs under ctx->lock.
 */
#ifndef VI_IOMMUFD_OBJS_H
#define VI_IOMMUFD_OBJS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vfioiommu/objects.h>

#include "core/internal.h"

enum vi_obj_kind { VI_OBJ_IOAS = 1, VI_OBJ_PT, VI_OBJ_FAULTQ, VI_OBJ_VIOMMU, VI_OBJ_VDEVICE, VI_OBJ_VEVENTQ, VI_OBJ_HWQUEUE };

#define VI_OBJ_HOLDS 3

struct vi_obj {
	struct vfioiommu_ctx *ctx;
	enum vi_obj_kind kind;
	uint32_t id;
	struct vi_obj *next;
	/* the objects this one keeps alive in the kernel (an IOAS, a parent, a fault queue, a vIOMMU) */
	struct vi_obj *holds[VI_OBJ_HOLDS];
};

struct vi_ioas_map {
	uint64_t iova, last;
};

struct vfioiommu_ioas {
	struct vi_obj h;          /* first: handles convert to and from it */
	bool borrowed;            /* the context's own IOAS: not ours to map or destroy */
	struct vi_ioas_map *maps; /* sorted by iova, never overlapping */
	size_t nmaps, cap;
};

struct vfioiommu_pagetable {
	struct vi_obj h;
	uint32_t flags;           /* KABI_IOMMU_HWPT_* as allocated */
	struct vfioiommu_ioas *ioas;
	struct vfioiommu_pagetable *parent;
	struct vfioiommu_fault_queue *fault;
	bool dirty;               /* dirty_hwpt.c: SET_DIRTY_TRACKING(ENABLE) done through this handle */
};

struct vfioiommu_fault_queue {
	struct vi_obj h;
	int fd;
	vfioiommu_fault_pump *pump;
};

/* A device's RID (pasid_valid false) or one of its PASIDs on an object. */
struct vi_att {
	struct vfioiommu_device *dev;
	bool pasid_valid;
	uint32_t pasid;
	struct vi_obj *obj;
};

struct vi_objs {
	struct vi_obj *list;      /* newest first */
	uint32_t missing;         /* ioctls this kernel answered ENOTTY to (vi_objs_ioctl): not asked again */
	struct vi_att *att;
	size_t natt, capatt;
	struct vfioiommu_ioas own; /* the context's IOAS, borrowed */
	bool own_set;
};

/*
 * The context's /dev/iommu fd with the registry made (ctx->lock held).
 * @what names the call for messages.  0, or -errno with the message set.
 */
int vi_objs_get(struct vfioiommu_ctx *ctx, const char *what, int *fd, struct vi_objs **objs);
/*
 * An iommufd ioctl of this area (ctx->lock held, vi_objs_get() done): the
 * first ENOTTY is remembered per context and later calls of that ioctl
 * get -ENOTTY without a syscall ("probe once"), so every caller's message
 * naming the Linux version comes at no cost.
 */
int vi_objs_ioctl(struct vfioiommu_ctx *ctx, int fd, unsigned long req, void *arg);
void vi_obj_link(struct vi_objs *o, struct vi_obj *obj);
void vi_obj_unlink(struct vi_objs *o, struct vi_obj *obj);
/*
 * Record (or move) the device's RID / PASID onto @obj; NULL @obj forgets it.
 * *@prev (when not NULL) receives what it was on before (NULL: nothing
 * recorded), to put back when the kernel refuses.  0 or -ENOMEM.
 */
int vi_att_set(struct vi_objs *o, struct vfioiommu_device *dev, bool pasid_valid, uint32_t pasid,
	       struct vi_obj *obj, struct vi_obj **prev);
/* "page table 7, device 0000:00:03.0 (RID)": what the library knows holds @obj. */
void vi_obj_holders(const struct vi_objs *o, const struct vi_obj *obj, char *buf, size_t n);
/* "IOAS 3" / "page table 7" / "fault queue 9" */
const char *vi_obj_kind_name(enum vi_obj_kind k);
/* IOMMU_DESTROY of @obj; on EBUSY the message names the holders.  0 or -errno (message set). */
int vi_obj_destroy_kernel(struct vfioiommu_ctx *ctx, int fd, struct vi_objs *o, struct vi_obj *obj);

struct vfioiommu_viommu {
	struct vi_obj h;
	uint32_t type;
	struct vfioiommu_pagetable *parent;
};

struct vfioiommu_vdevice {
	struct vi_obj h;
	uint32_t dev_id;
	uint64_t virt_id;
};

struct vfioiommu_hw_queue {
	struct vi_obj h;
	uint32_t type, index;
};

struct vfioiommu_veventq {
	struct vi_obj h;
	int fd;
	vfioiommu_fault_pump *pump;
};

/*
 * Runs of set bits in bitmaps fed in order (dirty_runs.c): @emit gets each
 * run (first page index, page count) once it is known to have ended, so
 * runs join across pieces.  A nonzero return of @emit stops and is returned.
 */
typedef int (*vi_run_emit)(void *arg, uint64_t first, uint64_t n);
struct vi_runs {
	uint64_t start, len; /* the open run (len 0: none) */
	vi_run_emit emit;
	void *arg;
};
/* Feed @n bits of @words (bit 0 is page @first); bits past @n are ignored. */
int vi_runs_feed(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n);
/* Emit the open run, if any. */
int vi_runs_end(struct vi_runs *r);

/* teardown helpers (objs.c calls them children first, ctx->lock held) */
void vi_ioas_free(struct vfioiommu_ioas *ioas);
void vi_fault_queue_free(struct vfioiommu_fault_queue *q);
void vi_veventq_free(struct vfioiommu_veventq *q);
/*
 * The end of an object that lives as long as its fd (fault queue, vEVENTQ):
 * close the fd, then IOMMU_DESTROY the id in case a holder kept it past the
 * close (ENOENT when the close freed it).  Only logged: it cannot fail.
 */
void vi_fd_obj_end(struct vfioiommu_ctx *ctx, int fd, uint32_t id);

#endif

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

/* An object that lives as long as its fd, with a pump reading that fd: a fault queue, a vEVENTQ. */
struct vi_fdobj {
	struct vi_obj h;
	int fd;
	vfioiommu_fault_pump *pump;
};

struct vfioiommu_fault_queue {
	struct vi_fdobj f;
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
	struct vi_att *att;
	size_t natt, capatt;
	struct vfioiommu_ioas own; /* the context's IOAS, borrowed */
	bool own_set;
};

/*
 * The registry of an iommufd context, made on first use (ctx->lock held).
 * The kernel is reached only through the backend's iommufd calls
 * (backend/internal.h).  @what names the call for messages.  0, or -errno
 * with the message set (-EOPNOTSUPP on a container, -ENODEV before a backend).
 */
int vi_objs_get(struct vfioiommu_ctx *ctx, const char *what, struct vi_objs **objs);
/* "IOMMU_X: the kernel has no such ioctl (@since)": -EOPNOTSUPP for an ENOTTY. */
int vi_fail_missing(struct vfioiommu_ctx *ctx, const char *ioctl, const char *since);

/* What vi_obj_new() needs to know of a kind of object. */
struct vi_obj_type {
	enum vi_obj_kind kind;
	size_t size;          /* of the handle, whose first member is its struct vi_obj */
	unsigned long req;    /* the allocation ioctl */
	const char *ioctl;    /* its name, for messages */
	const char *since;    /* "Linux 6.13 brought vIOMMUs": said when the kernel has no such ioctl */
	size_t id_off;        /* where the ioctl's struct returns the new id */
	int fd_off;           /* where it returns the object's fd (int32; the handle is a vi_fdobj), or -1 */
	/* the message for any other kernel -errno (@arg is the ioctl's struct); returns @rc */
	int (*fail)(struct vfioiommu_ctx *ctx, int rc, const void *arg);
};
/*
 * Allocate an object (ctx->lock held): a zeroed handle of @t->size bytes, the
 * ioctl on @arg, and, on success, the handle's vi_obj set (ctx, kind, id)
 * and linked; the caller fills the rest (holds, its own fields).  On failure
 * nothing is left and the message is set: ENOTTY -> -EOPNOTSUPP naming
 * @t->since, an id 0 or a negative fd -> -EPROTO, else @t->fail.
 */
int vi_obj_new(struct vfioiommu_ctx *ctx, struct vi_objs *o, const struct vi_obj_type *t, void *arg,
	       struct vi_obj **out);
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
int vi_obj_destroy_kernel(struct vfioiommu_ctx *ctx, struct vi_objs *o, struct vi_obj *obj);
/*
 * The end of a handle whose object needs only IOMMU_DESTROY (a page table, a
 * vIOMMU, a vDEVICE, a HW queue): destroyed, unlinked and freed; on failure
 * everything stays.  Takes ctx->lock.  @what names the call for messages.
 */
int vi_obj_destroy_plain(struct vi_obj *h, const char *what);

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
	struct vi_fdobj f;
};

/* teardown helpers (objs.c calls them children first, ctx->lock held) */
void vi_ioas_free(struct vfioiommu_ioas *ioas);
/* the end of a fault queue or vEVENTQ: its pump (may be NULL), its fd, its object (vi_fd_obj_end), the handle */
void vi_fdobj_free(struct vi_fdobj *q);
/*
 * The public destroy of a fault queue or vEVENTQ (takes ctx->lock): -EBUSY
 * naming the page tables that still use it (the kernel would keep the
 * object alive behind them), else the end above.
 */
int vi_fdobj_destroy(struct vi_fdobj *q, const char *what);
/* A new fault queue or vEVENTQ whose pump was made with result @rc: kept, or on failure gone (@rc returned). */
int vi_fdobj_pumped(struct vi_objs *o, struct vi_fdobj *q, int rc);
/*
 * The end of an object that lives as long as its fd (fault queue, vEVENTQ):
 * close the fd, then IOMMU_DESTROY the id in case a holder kept it past the
 * close (ENOENT when the close freed it).  Only logged: it cannot fail.
 */
void vi_fd_obj_end(struct vfioiommu_ctx *ctx, int fd, uint32_t id);

#endif

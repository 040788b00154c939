/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Page tables (IOMMU_HWPT_ALLOC) on an IOAS or a nesting parent, and moving
 * a device's RID or one of its PASIDs onto an IOAS or a page table
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT: attaching what is attached replaces).
 * Each success is recorded in the registry (objs.c) so an EBUSY destroy can
 * name what holds an object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

_Static_assert(VFIOIOMMU_PT_NEST_PARENT == KABI_IOMMU_HWPT_ALLOC_NEST_PARENT, "same bits as the kernel");
_Static_assert(VFIOIOMMU_PT_DIRTY_TRACKING == KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, "same bits as the kernel");
_Static_assert(VFIOIOMMU_PT_FAULT == KABI_IOMMU_HWPT_FAULT_ID_VALID, "same bits as the kernel");
_Static_assert(VFIOIOMMU_PT_PASID == KABI_IOMMU_HWPT_ALLOC_PASID, "same bits as the kernel");

#define PT_KNOWN (VFIOIOMMU_PT_NEST_PARENT | VFIOIOMMU_PT_DIRTY_TRACKING | VFIOIOMMU_PT_FAULT | VFIOIOMMU_PT_PASID)
/* the first opts layout: up to and including data */
#define OPTS_V1 (offsetof(struct vfioiommu_pagetable_opts, data) + sizeof(const void *))

/* The flags of @flags and the Linux version that brought each, for EOPNOTSUPP messages. */
static void flag_versions(uint32_t flags, uint32_t data_type, char *buf, size_t n)
{
	static const struct { uint32_t bit; const char *s; } t[] = {
		{ VFIOIOMMU_PT_NEST_PARENT, "NEST_PARENT (Linux 6.7)" },
		{ VFIOIOMMU_PT_DIRTY_TRACKING, "DIRTY_TRACKING (Linux 6.7)" },
		{ VFIOIOMMU_PT_FAULT, "FAULT_ID_VALID (Linux 6.11)" },
		{ VFIOIOMMU_PT_PASID, "PASID (Linux 6.15)" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && len < n; i++) {
		if (flags & t[i].bit) {
			int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", t[i].s);
			if (w > 0)
				len += (size_t)w;
		}
	}
	if (data_type && len < n)
		snprintf(buf + len, n - len, "%svendor data type %u (nesting, Linux 6.7)", len ? ", " : "", data_type);
}

static int opts_check(struct vfioiommu_ctx *ctx, const struct vfioiommu_pagetable_opts *op)
{
	uint32_t flags = op->flags | (op->fault ? VFIOIOMMU_PT_FAULT : 0);

	if (flags & ~PT_KNOWN)
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: unknown flags 0x%x", flags & ~PT_KNOWN);
	if ((op->ioas && op->parent) || (op->viommu && (op->ioas || op->parent)))
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: more than one of ioas, parent and viommu: a "
			       "nested page table takes its IOAS from its parent or vIOMMU");
	if ((flags & VFIOIOMMU_PT_FAULT) && !op->fault)
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: VFIOIOMMU_PT_FAULT without opts->fault "
			       "(make one with vfioiommu_fault_queue_new())");
	if ((op->data_type == 0) != (op->data_len == 0) || (op->data_len && !op->data))
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: data_type %u with data_len %u%s: both are 0 or "
			       "both are set, with data", op->data_type, op->data_len, op->data ? "" : " and no data");
	if (op->parent && !(op->parent->flags & VFIOIOMMU_PT_NEST_PARENT))
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: page table %u was not made with "
			       "VFIOIOMMU_PT_NEST_PARENT and cannot be a parent", op->parent->h.id);
	if ((op->parent || op->viommu) && !op->data_type)
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: a nested page table needs vendor data "
			       "(data_type, data_len, data) describing its stage 1");
	if ((op->ioas && op->ioas->h.ctx != ctx) || (op->parent && op->parent->h.ctx != ctx) ||
	    (op->fault && op->fault->f.h.ctx != ctx) || (op->viommu && op->viommu->h.ctx != ctx))
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: an IOAS, parent or fault queue of another "
			       "context");
	return 0;
}

static int alloc_error(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	const struct kabi_iommu_hwpt_alloc *a = arg;
	uint32_t dev_id = a->dev_id, pt_id = a->pt_id, flags = a->flags, data_type = a->data_type;
	char fl[160];

	switch (rc) {
	case -EOPNOTSUPP:
		flag_versions(flags, data_type, fl, sizeof(fl));
		return vi_fail(ctx, rc, "IOMMU_HWPT_ALLOC (device %u on %u) failed: EOPNOTSUPP: the IOMMU cannot "
			       "make this page table, or the kernel predates what it asks for%s%s", dev_id, pt_id,
			       fl[0] ? ": " : "", fl);
	case -ENOENT:
		return vi_fail(ctx, rc, "IOMMU_HWPT_ALLOC failed: ENOENT: no device %u (or fault queue) in this "
			       "iommufd", dev_id);
	case -EINVAL:
		return vi_fail(ctx, rc, "IOMMU_HWPT_ALLOC (device %u on %u) failed: EINVAL (%u is not an IOAS or a "
			       "nesting parent of this iommufd, or the vendor data is malformed)", dev_id, pt_id, pt_id);
	}
	return vi_fail(ctx, rc, "IOMMU_HWPT_ALLOC (device %u on %u) failed: %s", dev_id, pt_id, vi_errno_name(rc));
}

static const struct vi_obj_type pt_type = {
	.kind = VI_OBJ_PT, .size = sizeof(struct vfioiommu_pagetable), .req = KABI_IOMMU_HWPT_ALLOC,
	.ioctl = "IOMMU_HWPT_ALLOC", .since = "Linux 6.6 brought it",
	.id_off = offsetof(struct kabi_iommu_hwpt_alloc, out_hwpt_id), .fd_off = -1, .fail = alloc_error,
};

VFIOIOMMU_API int vfioiommu_pagetable_new(vfioiommu_ctx *ctx, uint32_t dev_id,
	const struct vfioiommu_pagetable_opts *opts, vfioiommu_pagetable **out)
{
	struct vfioiommu_pagetable_opts op = { .size = sizeof(op) };
	struct kabi_iommu_hwpt_alloc a = { .size = sizeof(a) };
	struct vfioiommu_pagetable *pt;
	struct vfioiommu_ioas *ioas;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_pagetable_new: out is NULL");
	rc = vi_read_sized(ctx, "vfioiommu_pagetable_new: opts", &op, sizeof(op), opts, OPTS_V1);
	if (rc == 0)
		rc = opts_check(ctx, &op);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "making a page table", &o);
	if (rc < 0)
		goto out;
	ioas = op.viommu ? op.viommu->parent->ioas : op.parent ? op.parent->ioas : op.ioas ? op.ioas : &o->own;
	a.flags = op.flags | (op.fault ? VFIOIOMMU_PT_FAULT : 0);
	a.dev_id = dev_id;
	a.pt_id = op.viommu ? op.viommu->h.id : op.parent ? op.parent->h.id : ioas->h.id;
	a.data_type = op.data_type;
	a.data_len = op.data_len;
	a.data_uptr = (uint64_t)(uintptr_t)op.data;
	a.fault_id = op.fault ? op.fault->f.h.id : 0;
	rc = vi_obj_new(ctx, o, &pt_type, &a, &h);
	if (rc < 0)
		goto out;
	pt = (struct vfioiommu_pagetable *)h;
	pt->ioas = ioas;
	pt->parent = op.parent;
	pt->fault = op.fault;
	pt->flags = a.flags;
	pt->h.holds[0] = op.viommu ? &op.viommu->h : op.parent ? &op.parent->h : &ioas->h;
	pt->h.holds[1] = op.fault ? &op.fault->f.h : NULL;
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "page table %u (flags 0x%x) on %u for device %u", pt->h.id, pt->flags,
	       a.pt_id, dev_id);
	*out = pt;
	rc = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_pagetable_destroy(vfioiommu_pagetable *pt)
{
	return pt ? vi_obj_destroy_plain(&pt->h, "destroying a page table") : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_pagetable_id(const vfioiommu_pagetable *pt)
{
	return pt ? pt->h.id : 0;
}

/* ---------------- attaching ---------------- */

static int attach_error(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, const char *what, uint32_t id,
			int rc)
{
	switch (rc) {
	case -EADDRINUSE:
		return vi_fail(ctx, rc, "attaching %s to %s %u: EADDRINUSE: mappings of the address space overlap the "
			       "device's reserved regions or lie outside its IOMMU aperture; unmap them first", dev->bdf,
			       what, id);
	case -EINVAL:
		return vi_fail(ctx, rc, "attaching %s to %s %u: EINVAL (the device's IOMMU cannot use it, or PASIDs "
			       "are attached and it is not PASID-capable: make page tables with VFIOIOMMU_PT_PASID)",
			       dev->bdf, what, id);
	case -ENODEV:
		return vi_fail(ctx, rc, "attaching %s to %s %u: ENODEV (a page table with a fault queue needs a "
			       "device that can fault: PRI)", dev->bdf, what, id);
	}
	return vi_fail(ctx, rc, "attaching %s to %s %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT failed: %s", dev->bdf, what, id,
		       vi_errno_name(rc));
}

/* RID attach or replace onto @obj (ctx->lock held). */
static int attach_rid(struct vfioiommu_device *dev, struct vi_obj *obj)
{
	struct vfioiommu_ctx *ctx = dev->ctx;
	struct vi_objs *o = NULL;
	struct vi_obj *prev;
	int rc = vi_objs_get(ctx, "attaching a device", &o);

	if (rc < 0)
		return rc;
	if (dev->fd < 0)
		return vi_fail(ctx, -EINVAL, "attaching %s: the device is not open", dev->bdf);
	if (vi_att_set(o, dev, false, 0, obj, &prev) < 0)
		return vi_fail(ctx, -ENOMEM, "attaching %s: out of memory", dev->bdf);
	/* an attached RID is replaced; the context's IOAS may gain or lose a device (its ranges are re-read) */
	rc = vi_iommufd_attach(ctx, dev, obj->id, NULL, NULL);
	if (rc < 0) {
		/* the RID is where it was */
		vi_att_set(o, dev, false, 0, prev, NULL);
		return attach_error(ctx, dev, vi_obj_kind_name(obj->kind), obj->id, rc);
	}
	return 0;
}

VFIOIOMMU_API int vfioiommu_device_attach_ioas(vfioiommu_device *dev, vfioiommu_ioas *ioas)
{
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!ioas || ioas->h.ctx != ctx)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_attach_ioas: %s", ioas ? "an IOAS of another context" :
			       "ioas is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = attach_rid(dev, &ioas->h);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_attach_pagetable(vfioiommu_device *dev, vfioiommu_pagetable *pt)
{
	struct vfioiommu_ctx *ctx;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!pt || pt->h.ctx != ctx)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_attach_pagetable: %s", pt ? "a page table of another "
			       "context" : "pt is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = attach_rid(dev, &pt->h);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_pasid_attach(vfioiommu_device *dev, uint32_t pasid, vfioiommu_pagetable *pt)
{
	struct vfioiommu_ctx *ctx;
	struct vi_objs *o = NULL;
	struct vi_obj *prev;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!pt || pt->h.ctx != ctx)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_pasid_attach: %s", pt ? "a page table of another "
			       "context" : "pt is NULL");
	if (pasid == 0)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_pasid_attach: PASID 0 is the device's own (RID) "
			       "address space; use vfioiommu_device_attach_pagetable()");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "attaching a PASID", &o);
	if (rc < 0)
		goto out;
	if (vi_att_set(o, dev, true, pasid, &pt->h, &prev) < 0) {
		rc = vi_fail(ctx, -ENOMEM, "attaching PASID %u of %s: out of memory", pasid, dev->bdf);
		goto out;
	}
	rc = vi_iommufd_attach(ctx, dev, pt->h.id, &pasid, NULL);
	if (rc < 0)
		vi_att_set(o, dev, true, pasid, prev, NULL);
	if (rc == -EINVAL)
		rc = vi_fail(ctx, rc, "attaching PASID %u of %s to page table %u: EINVAL (the page table, or the one "
			     "the RID is on, is not PASID-capable: make both with VFIOIOMMU_PT_PASID; or the PASID is "
			     "beyond the device's width; or the kernel predates PASID attach, Linux 6.15)", pasid,
			     dev->bdf, pt->h.id);
	else if (rc == -EOPNOTSUPP)
		rc = vi_fail(ctx, rc, "attaching PASID %u of %s: the device or its VFIO driver has no PASID support",
			     pasid, dev->bdf);
	else if (rc < 0)
		rc = vi_fail(ctx, rc, "attaching PASID %u of %s to page table %u: %s", pasid, dev->bdf, pt->h.id,
			     vi_errno_name(rc));
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc < 0 ? rc : 0;
}

VFIOIOMMU_API int vfioiommu_device_pasid_detach(vfioiommu_device *dev, uint32_t pasid)
{
	struct vfioiommu_ctx *ctx;
	struct vi_objs *o = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (pasid == 0)
		return vi_fail(ctx, -EINVAL, "vfioiommu_device_pasid_detach: PASID 0 is the RID");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "detaching a PASID", &o);
	if (rc == 0) {
		rc = vi_iommufd_detach(ctx, dev, &pasid);
		if (rc >= 0)
			vi_att_set(o, dev, true, pasid, NULL, NULL);
		/* argsz 16 with a known flag: only a kernel that knows no flags says EINVAL */
		if (rc == -EINVAL)
			rc = vi_fail(ctx, -EOPNOTSUPP, "detaching PASID %u of %s: the kernel has no PASID detach "
				     "(Linux 6.15 brought it)", pasid, dev->bdf);
		else if (rc < 0)
			rc = vi_fail(ctx, rc, "detaching PASID %u of %s: %s", pasid, dev->bdf, vi_errno_name(rc));
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc < 0 ? rc : 0;
}

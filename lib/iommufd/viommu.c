/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vIOMMU objects: the vIOMMU on a nesting parent, a device's virtual id on
 * it (vDEVICE), and its event queue wired to the vEVENTQ pump and a ring in
 * one call.  Ids reused on a vIOMMU are refused here, naming the vDEVICE
 * that has them, before the kernel's bare EEXIST.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <vfioiommu/fault.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

static int viommu_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	const struct kabi_iommu_viommu_alloc *a = arg;

	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "IOMMU_VIOMMU_ALLOC of type 0x%x for device %u: EOPNOTSUPP: the device's IOMMU "
			       "has no vIOMMU of this type (Arm SMMUv3 and Tegra241 CMDQV have one; Tegra241 since Linux "
			       "6.17)", a->type, a->dev_id);
	return vi_fail(ctx, rc, "IOMMU_VIOMMU_ALLOC (type 0x%x, device %u, parent %u) failed: %s", a->type, a->dev_id,
		       a->hwpt_id, vi_errno_name(rc));
}

static const struct vi_obj_type viommu_type = {
	.kind = VI_OBJ_VIOMMU, .size = sizeof(struct vfioiommu_viommu), .req = KABI_IOMMU_VIOMMU_ALLOC,
	.ioctl = "IOMMU_VIOMMU_ALLOC", .since = "Linux 6.13 brought vIOMMUs",
	.id_off = offsetof(struct kabi_iommu_viommu_alloc, out_viommu_id), .fd_off = -1, .fail = viommu_fail,
};

VFIOIOMMU_API int vfioiommu_viommu_new(vfioiommu_ctx *ctx, uint32_t dev_id, vfioiommu_pagetable *parent,
				       uint32_t type, vfioiommu_viommu **out)
{
	struct kabi_iommu_viommu_alloc a = { .size = sizeof(a), .type = type, .dev_id = dev_id };
	struct vfioiommu_viommu *v;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out || !parent)
		return vi_fail(ctx, -EINVAL, "vfioiommu_viommu_new: %s is NULL", !out ? "out" : "parent");
	if (parent->h.ctx != ctx || !(parent->flags & VFIOIOMMU_PT_NEST_PARENT))
		return vi_fail(ctx, -EINVAL, "vfioiommu_viommu_new: page table %u %s", parent->h.id,
			       parent->h.ctx != ctx ? "is another context's" : "was not made with "
			       "VFIOIOMMU_PT_NEST_PARENT: a vIOMMU sits on a nesting parent");
	pthread_mutex_lock(&ctx->lock);
	a.hwpt_id = parent->h.id;
	rc = vi_objs_get(ctx, "allocating a vIOMMU", &o);
	if (rc == 0)
		rc = vi_obj_new(ctx, o, &viommu_type, &a, &h);
	if (rc == 0) {
		v = (struct vfioiommu_viommu *)h;
		v->h.holds[0] = &parent->h;
		v->type = type;
		v->parent = parent;
		*out = v;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_viommu_destroy(vfioiommu_viommu *v)
{
	return v ? vi_obj_destroy_plain(&v->h, "destroying a vIOMMU") : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_viommu_id(const vfioiommu_viommu *v)
{
	return v ? v->h.id : 0;
}

/* A vDEVICE of the library that already has @virt_id on @v, or @dev_id anywhere. */
static const struct vfioiommu_vdevice *vdevice_clash(const struct vi_objs *o, const struct vfioiommu_viommu *v,
						     uint32_t dev_id, uint64_t virt_id, bool *same_id)
{
	for (const struct vi_obj *x = o->list; x; x = x->next) {
		const struct vfioiommu_vdevice *vd = (const void *)x;

		if (x->kind != VI_OBJ_VDEVICE)
			continue;
		*same_id = x->holds[0] == &v->h && vd->virt_id == virt_id;
		if (*same_id || vd->dev_id == dev_id)
			return vd;
	}
	return NULL;
}

static int vdevice_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	const struct kabi_iommu_vdevice_alloc *a = arg;

	if (rc == -EEXIST)
		return vi_fail(ctx, rc, "IOMMU_VDEVICE_ALLOC (device %u, virtual id 0x%" PRIx64 ", vIOMMU %u): EEXIST: "
			       "the id or the device is taken by a vDEVICE made outside the library", a->dev_id,
			       (uint64_t)a->virt_id, a->viommu_id);
	return vi_fail(ctx, rc, "IOMMU_VDEVICE_ALLOC (device %u, virtual id 0x%" PRIx64 ", vIOMMU %u) failed: %s",
		       a->dev_id, (uint64_t)a->virt_id, a->viommu_id, vi_errno_name(rc));
}

static const struct vi_obj_type vdevice_type = {
	.kind = VI_OBJ_VDEVICE, .size = sizeof(struct vfioiommu_vdevice), .req = KABI_IOMMU_VDEVICE_ALLOC,
	.ioctl = "IOMMU_VDEVICE_ALLOC", .since = "Linux 6.13 brought vDEVICEs",
	.id_off = offsetof(struct kabi_iommu_vdevice_alloc, out_vdevice_id), .fd_off = -1, .fail = vdevice_fail,
};

VFIOIOMMU_API int vfioiommu_vdevice_new(vfioiommu_viommu *v, uint32_t dev_id, uint64_t virt_id,
					vfioiommu_vdevice **out)
{
	struct kabi_iommu_vdevice_alloc a = { .size = sizeof(a), .dev_id = dev_id, .virt_id = virt_id };
	const struct vfioiommu_vdevice *clash;
	struct vfioiommu_vdevice *vd;
	struct vfioiommu_ctx *ctx;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	bool same_id = false;
	int rc;

	if (out)
		*out = NULL;
	if (!v)
		return -EINVAL;
	ctx = v->h.ctx;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_vdevice_new: out is NULL");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "allocating a vDEVICE", &o);
	if (rc < 0)
		goto out;
	clash = vdevice_clash(o, v, dev_id, virt_id, &same_id);
	if (clash) {
		if (same_id)
			rc = vi_fail(ctx, -EEXIST, "vDEVICE for device %u: virtual id 0x%" PRIx64 " is already vDEVICE "
				     "%u's (device %u) on vIOMMU %u; a virtual id is unique per vIOMMU", dev_id, virt_id,
				     clash->h.id, clash->dev_id, v->h.id);
		else
			rc = vi_fail(ctx, -EEXIST, "vDEVICE for device %u: the device already has vDEVICE %u (virtual id "
				     "0x%" PRIx64 "); destroy it first", dev_id, clash->h.id, clash->virt_id);
		goto out;
	}
	a.viommu_id = v->h.id;
	rc = vi_obj_new(ctx, o, &vdevice_type, &a, &h);
	if (rc < 0)
		goto out;
	vd = (struct vfioiommu_vdevice *)h;
	vd->h.holds[0] = &v->h;
	vd->dev_id = dev_id;
	vd->virt_id = virt_id;
	*out = vd;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_vdevice_destroy(vfioiommu_vdevice *vd)
{
	return vd ? vi_obj_destroy_plain(&vd->h, "destroying a vDEVICE") : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_vdevice_id(const vfioiommu_vdevice *vd)
{
	return vd ? vd->h.id : 0;
}

static bool pump_parses(uint32_t type)
{
	return type == VFIOIOMMU_VEVENTQ_ARM_SMMUV3 || type == VFIOIOMMU_VEVENTQ_TEGRA241_CMDQV ||
	       type == VFIOIOMMU_VEVENTQ_SELFTEST;
}

static int veventq_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	const struct kabi_iommu_veventq_alloc *a = arg;

	if (rc == -EEXIST)
		return vi_fail(ctx, rc, "IOMMU_VEVENTQ_ALLOC on vIOMMU %u: EEXIST: it has a vEVENTQ of type 0x%x already",
			       a->viommu_id, a->type);
	return vi_fail(ctx, rc, "IOMMU_VEVENTQ_ALLOC (vIOMMU %u, type 0x%x, depth %u) failed: %s", a->viommu_id,
		       a->type, a->veventq_depth, vi_errno_name(rc));
}

static const struct vi_obj_type veventq_type = {
	.kind = VI_OBJ_VEVENTQ, .size = sizeof(struct vfioiommu_veventq), .req = KABI_IOMMU_VEVENTQ_ALLOC,
	.ioctl = "IOMMU_VEVENTQ_ALLOC", .since = "Linux 6.15 brought vEVENTQs",
	.id_off = offsetof(struct kabi_iommu_veventq_alloc, out_veventq_id),
	.fd_off = offsetof(struct kabi_iommu_veventq_alloc, out_veventq_fd), .fail = veventq_fail,
};

VFIOIOMMU_API int vfioiommu_veventq_new(vfioiommu_viommu *v, uint32_t type, uint32_t depth, vfioiommu_ring *ring,
					vfioiommu_veventq **out)
{
	struct kabi_iommu_veventq_alloc a = { .size = sizeof(a), .type = type, .veventq_depth = depth };
	struct vfioiommu_veventq *q;
	struct vfioiommu_ctx *ctx;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!v)
		return -EINVAL;
	ctx = v->h.ctx;
	if (!out || !ring)
		return vi_fail(ctx, -EINVAL, "vfioiommu_veventq_new: %s is NULL", !out ? "out" : "ring");
	if (depth == 0 || depth > KABI_IOMMU_VEVENTQ_MAX_DEPTH)
		return vi_fail(ctx, -EINVAL, "vfioiommu_veventq_new: depth %u, not in 1..%u", depth,
			       KABI_IOMMU_VEVENTQ_MAX_DEPTH);
	if (!pump_parses(type))
		return vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_veventq_new: the pump cannot parse vEVENTQ type 0x%x (1 "
			       "ARM SMMUv3, 2 Tegra241 CMDQV, 0xbeefbeef IOMMUFD_TEST)", type);
	pthread_mutex_lock(&ctx->lock);
	a.viommu_id = v->h.id;
	rc = vi_objs_get(ctx, "allocating a vEVENTQ", &o);
	if (rc == 0)
		rc = vi_obj_new(ctx, o, &veventq_type, &a, &h);
	if (rc < 0)
		goto out;
	q = (struct vfioiommu_veventq *)h;
	q->f.h.holds[0] = &v->h;
	rc = vi_fdobj_pumped(o, &q->f, vfioiommu_vevent_pump_new(ctx, q->f.fd, type, ring, &q->f.pump));
	if (rc == 0)
		*out = q;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_veventq_destroy(vfioiommu_veventq *q)
{
	return q ? vi_fdobj_destroy(&q->f, "destroying vEVENTQ") : -EINVAL;
}

VFIOIOMMU_API vfioiommu_fault_pump *vfioiommu_veventq_pump(vfioiommu_veventq *q)
{
	return q ? q->f.pump : NULL;
}

VFIOIOMMU_API int vfioiommu_veventq_fd(const vfioiommu_veventq *q)
{
	return q ? q->f.fd : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_veventq_id(const vfioiommu_veventq *q)
{
	return q ? q->f.h.id : 0;
}

static int hwq_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	const struct kabi_iommu_hw_queue_alloc *a = arg;

	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "IOMMU_HW_QUEUE_ALLOC on vIOMMU %u: EOPNOTSUPP: this vIOMMU has no HW queues of "
			       "type 0x%x (Tegra241 CMDQV has them)", a->viommu_id, a->type);
	return vi_fail(ctx, rc, "IOMMU_HW_QUEUE_ALLOC (vIOMMU %u, type 0x%x, index %u, IOVA 0x%" PRIx64 "+0x%" PRIx64
		       ") failed: %s", a->viommu_id, a->type, a->index, (uint64_t)a->nesting_parent_iova,
		       (uint64_t)a->length, vi_errno_name(rc));
}

static const struct vi_obj_type hwq_type = {
	.kind = VI_OBJ_HWQUEUE, .size = sizeof(struct vfioiommu_hw_queue), .req = KABI_IOMMU_HW_QUEUE_ALLOC,
	.ioctl = "IOMMU_HW_QUEUE_ALLOC", .since = "Linux 6.17 brought HW queues",
	.id_off = offsetof(struct kabi_iommu_hw_queue_alloc, out_hw_queue_id), .fd_off = -1, .fail = hwq_fail,
};

VFIOIOMMU_API int vfioiommu_hw_queue_new(vfioiommu_viommu *v, uint32_t type, uint32_t index, uint64_t iova,
					 uint64_t len, vfioiommu_hw_queue **out)
{
	struct kabi_iommu_hw_queue_alloc a = {
		.size = sizeof(a), .type = type, .index = index, .nesting_parent_iova = iova, .length = len,
	};
	struct vfioiommu_hw_queue *q;
	struct vfioiommu_ctx *ctx;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!v)
		return -EINVAL;
	ctx = v->h.ctx;
	if (!out || !len)
		return vi_fail(ctx, -EINVAL, "vfioiommu_hw_queue_new: %s", !out ? "out is NULL" : "length 0");
	pthread_mutex_lock(&ctx->lock);
	a.viommu_id = v->h.id;
	rc = vi_objs_get(ctx, "allocating a HW queue", &o);
	if (rc == 0)
		rc = vi_obj_new(ctx, o, &hwq_type, &a, &h);
	if (rc < 0)
		goto out;
	q = (struct vfioiommu_hw_queue *)h;
	q->h.holds[0] = &v->h;
	q->type = type;
	q->index = index;
	/* the kernel keeps queue index - 1 of the type alive while this one lives (Linux 7.2: its DESTROY is EBUSY) */
	for (struct vi_obj *x = o->list; x && index; x = x->next) {
		struct vfioiommu_hw_queue *p = (void *)x;

		if (x != h && x->kind == VI_OBJ_HWQUEUE && x->holds[0] == &v->h && p->type == type &&
		    p->index == index - 1)
			q->h.holds[1] = x;
	}
	*out = q;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_hw_queue_destroy(vfioiommu_hw_queue *q)
{
	return q ? vi_obj_destroy_plain(&q->h, "destroying a HW queue") : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_hw_queue_id(const vfioiommu_hw_queue *q)
{
	return q ? q->h.id : 0;
}

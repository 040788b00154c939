/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Fault queues the library allocates: IOMMU_FAULT_QUEUE_ALLOC and a pump
 * from its fd into the caller's ring, in one call.  The kernel frees the
 * fault object when its fd closes and no page table holds it; IOMMU_DESTROY
 * on it is EBUSY while the fd is open (tests/vm/FACTS.md), so the fd is the
 * handle's lifetime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <vfioiommu/fault.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "objs.h"

static int fq_fail(struct vfioiommu_ctx *ctx, int rc, const void *arg)
{
	(void)arg;
	return vi_fail(ctx, rc, "IOMMU_FAULT_QUEUE_ALLOC failed: %s", vi_errno_name(rc));
}

static const struct vi_obj_type fq_type = {
	.kind = VI_OBJ_FAULTQ, .size = sizeof(struct vfioiommu_fault_queue), .req = KABI_IOMMU_FAULT_QUEUE_ALLOC,
	.ioctl = "IOMMU_FAULT_QUEUE_ALLOC", .since = "Linux 6.11 brought IO page-fault queues",
	.id_off = offsetof(struct kabi_iommu_fault_alloc, out_fault_id),
	.fd_off = offsetof(struct kabi_iommu_fault_alloc, out_fault_fd), .fail = fq_fail,
};

VFIOIOMMU_API int vfioiommu_fault_queue_new(vfioiommu_ctx *ctx, vfioiommu_ring *ring, vfioiommu_fault_queue **out)
{
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct vfioiommu_fault_queue *q;
	struct vi_obj *h = NULL;
	struct vi_objs *o = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out || !ring)
		return vi_fail(ctx, -EINVAL, "vfioiommu_fault_queue_new: %s is NULL", !out ? "out" : "ring");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "allocating a fault queue", &o);
	if (rc == 0)
		rc = vi_obj_new(ctx, o, &fq_type, &fa, &h);
	if (rc < 0)
		goto out;
	q = (struct vfioiommu_fault_queue *)h;
	rc = vi_fdobj_pumped(o, &q->f, vfioiommu_fault_pump_new(ctx, q->f.fd, ring, &q->f.pump));
	if (rc == 0)
		*out = q;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_fault_queue_destroy(vfioiommu_fault_queue *q)
{
	return q ? vi_fdobj_destroy(&q->f, "destroying fault queue") : -EINVAL;
}

VFIOIOMMU_API vfioiommu_fault_pump *vfioiommu_fault_queue_pump(vfioiommu_fault_queue *q)
{
	return q ? q->f.pump : NULL;
}

VFIOIOMMU_API int vfioiommu_fault_queue_fd(const vfioiommu_fault_queue *q)
{
	return q ? q->f.fd : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_fault_queue_id(const vfioiommu_fault_queue *q)
{
	return q ? q->f.h.id : 0;
}

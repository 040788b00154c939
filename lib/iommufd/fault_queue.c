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

VFIOIOMMU_API int vfioiommu_fault_queue_new(vfioiommu_ctx *ctx, vfioiommu_ring *ring, vfioiommu_fault_queue **out)
{
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct vfioiommu_fault_queue *q;
	struct vi_objs *o;
	int fd, rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out || !ring)
		return vi_fail(ctx, -EINVAL, "vfioiommu_fault_queue_new: %s is NULL", !out ? "out" : "ring");
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "allocating a fault queue", &fd, &o);
	if (rc < 0)
		goto out;
	q = calloc(1, sizeof(*q));
	if (!q) {
		rc = vi_fail(ctx, -ENOMEM, "allocating a fault queue: out of memory");
		goto out;
	}
	rc = vi_objs_ioctl(ctx, fd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa);
	if (rc == -ENOTTY)
		rc = vi_fail(ctx, -EOPNOTSUPP, "IOMMU_FAULT_QUEUE_ALLOC: the kernel has no such ioctl (Linux 6.11 "
			     "brought IO page-fault queues)");
	else if (rc < 0)
		rc = vi_fail(ctx, rc, "IOMMU_FAULT_QUEUE_ALLOC failed: %s", vi_errno_name(rc));
	else if (fa.out_fault_id == 0 || (int32_t)fa.out_fault_fd < 0) {
		if ((int32_t)fa.out_fault_fd >= 0)
			vi_kclose(ctx, (int)fa.out_fault_fd);
		rc = vi_fail(ctx, -EPROTO, "IOMMU_FAULT_QUEUE_ALLOC returned fault id %u and fd %d", fa.out_fault_id,
			     (int32_t)fa.out_fault_fd);
	}
	if (rc < 0) {
		free(q);
		goto out;
	}
	q->fd = (int)fa.out_fault_fd;
	rc = vfioiommu_fault_pump_new(ctx, q->fd, ring, &q->pump);
	if (rc < 0) {
		/* closing the fd frees the fault object: no page table holds it yet */
		vi_kclose(ctx, q->fd);
		free(q);
		goto out;
	}
	q->h = (struct vi_obj){ .ctx = ctx, .kind = VI_OBJ_FAULTQ, .id = fa.out_fault_id };
	vi_obj_link(o, &q->h);
	*out = q;
	rc = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

void vi_fault_queue_free(struct vfioiommu_fault_queue *q)
{
	vfioiommu_fault_pump_destroy(q->pump);
	vi_fd_obj_end(q->h.ctx, q->fd, q->h.id);
	free(q);
}

VFIOIOMMU_API int vfioiommu_fault_queue_destroy(vfioiommu_fault_queue *q)
{
	struct vfioiommu_ctx *ctx;
	struct vi_objs *o;
	char who[256];
	int rc;

	if (!q)
		return -EINVAL;
	ctx = q->h.ctx;
	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, "destroying a fault queue", NULL, &o);
	if (rc == 0) {
		/* the kernel would keep the object alive behind the page table; say so instead */
		vi_obj_holders(o, &q->h, who, sizeof(who));
		if (who[0])
			rc = vi_fail(ctx, -EBUSY, "destroying fault queue %u: still used by %s; destroy them first",
				     q->h.id, who);
	}
	if (rc == 0) {
		vi_obj_unlink(o, &q->h);
		vi_fault_queue_free(q);
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

VFIOIOMMU_API vfioiommu_fault_pump *vfioiommu_fault_queue_pump(vfioiommu_fault_queue *q)
{
	return q ? q->pump : NULL;
}

VFIOIOMMU_API int vfioiommu_fault_queue_fd(const vfioiommu_fault_queue *q)
{
	return q ? q->fd : -EINVAL;
}

VFIOIOMMU_API uint32_t vfioiommu_fault_queue_id(const vfioiommu_fault_queue *q)
{
	return q ? q->h.id : 0;
}

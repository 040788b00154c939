/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock /dev/iommu's vIOMMU objects: IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC
 * (virtual device ids per vIOMMU) and IOMMU_VEVENTQ_ALLOC with its event
 * stream (docs/kernel-abi.md §8).  Split from iommufd.c, which keeps the
 * object table and dispatches the ioctls here.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd_obj.h"

static const struct vm_file_ops veventq_ops;

/* ------------------------------------------------------- vIOMMU and vEVENTQ (docs/kernel-abi.md §8) */

int cmd_viommu_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_viommu_alloc *cmd = arg;
	struct io_obj *idev, *h, *v;

	/* iommufd_viommu_alloc_ioctl(): flags and the reserved DEFAULT type first */
	if (cmd->flags || cmd->type == KABI_IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	idev = obj_get(c, cmd->dev_id, IO_DEVICE);
	if (!idev)
		return -ENOENT;
	/* only the SMMUv3 driver sizes a vIOMMU here, and only its own type (get_viommu_size() == 0) */
	if (m->iommu_model != VFIOIOMMU_MOCK_IOMMU_SMMUV3 || cmd->type != KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
		return -EOPNOTSUPP;
	/* iommufd_get_hwpt_paging(): anything but a paging HWPT is ENOENT; it must be a nesting parent */
	h = obj_get(c, cmd->hwpt_id, IO_HWPT);
	if (!h)
		return -ENOENT;
	if (!(h->hwpt.flags & KABI_IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EINVAL;
	v = obj_new(c, IO_VIOMMU);
	if (!v)
		return -ENOMEM;
	v->viommu.type = cmd->type;
	v->viommu.dev = idev->id;
	v->viommu.hwpt = h->id;
	h->users++;
	cmd->out_viommu_id = v->id;
	return 0;
}

static struct io_obj *veventq_find(struct io_ctx *c, uint32_t viommu, uint32_t type)
{
	for (uint32_t i = 1; i < c->nobj; i++) {
		struct io_obj *o = c->obj[i];
		if (o && o->type == IO_VEVENTQ && o->vq.viommu == viommu && o->vq.type == type)
			return o;
	}
	return NULL;
}

int cmd_veventq_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_veventq_alloc *cmd = arg;
	struct io_obj *v, *q;
	int fd;

	/* iommufd_veventq_alloc(): flags, reserved and DEFAULT, then the depth, then the vIOMMU */
	if (cmd->flags || cmd->__reserved || cmd->type == KABI_IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth || cmd->veventq_depth > KABI_IOMMU_VEVENTQ_MAX_DEPTH)
		return -EINVAL;
	v = obj_get(c, cmd->viommu_id, IO_VIOMMU);
	if (!v)
		return -ENOENT;
	if (veventq_find(c, v->id, cmd->type))
		return -EEXIST;
	fd = obj_new_fd(m, c, IO_VEVENTQ, &veventq_ops, &q);
	if (fd < 0)
		return fd;
	q->vq.viommu = v->id;
	q->vq.type = cmd->type;
	q->vq.depth = cmd->veventq_depth;
	v->users++;
	cmd->out_veventq_id = q->id;
	cmd->out_veventq_fd = (uint32_t)fd;
	return 0;
}

static void veventq_pop(struct io_veventq *q)
{
	if (q->q[0].flags & KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS)
		q->lost_queued = false;
	else
		q->num_events--;
	memmove(q->q, q->q + 1, (q->nq - 1) * sizeof(q->q[0]));
	q->nq--;
}

/* Whole events only, as many as fit; 0 when empty or when the next one does not fit. */
static ssize_t veventq_read(struct vfioiommu_mock *m, struct vm_file *file, void *buf, size_t n)
{
	struct io_veventq *q = &((struct io_obj *)file->obj)->vq;
	unsigned char *b = buf;
	size_t done = 0;

	(void)m;
	if (!buf && n)
		return -EFAULT;
	while (q->nq) {
		const struct io_vevent *e = &q->q[0];
		struct kabi_iommufd_vevent_header h = { e->flags, e->seq };

		if (sizeof(h) + e->len > n - done)
			break;
		memcpy(b + done, &h, sizeof(h));
		memcpy(b + done + sizeof(h), e->data, e->len);
		done += sizeof(h) + e->len;
		veventq_pop(q);
	}
	return (ssize_t)done;
}

static short veventq_poll(struct vfioiommu_mock *m, struct vm_file *file, short events)
{
	const struct io_veventq *q = &((struct io_obj *)file->obj)->vq;

	(void)m;
	return (q->nq ? POLLIN | POLLRDNORM : 0) & (events | POLLERR | POLLHUP);
}

static const struct vm_file_ops veventq_ops = {
	.name = "iommufd-viommu-event",
	.read = veventq_read,
	.poll = veventq_poll,
	.release = obj_fd_release,
};

/* iommufd_vevent_handler(): every queued entry, the LOST header too, takes the next sequence number */
static int veventq_push(struct io_veventq *q, uint32_t flags, const void *data, size_t len)
{
	struct io_vevent *nq = realloc(q->q, (q->nq + 1) * sizeof(*nq));

	if (!nq)
		return -ENOMEM;
	q->q = nq;
	nq[q->nq] = (struct io_vevent){ .flags = flags, .seq = q->sequence, .len = (uint32_t)len };
	if (len)
		memcpy(nq[q->nq].data, data, len);
	q->nq++;
	q->sequence = q->sequence == 0x7fffffffu ? 0 : q->sequence + 1;
	return 0;
}

int vm_iommufd_inject_vevent(struct vfioiommu_mock *m, struct vm_device *d, const void *data, size_t len)
{
	struct io_ctx *c;
	struct io_obj *idev = device_obj(m, d, &c), *v = NULL, *qo;
	struct io_veventq *q;

	if (!idev)
		return -ENODEV;
	if ((!data && len) || len == 0 || len > sizeof(((struct io_vevent *)0)->data))
		return -EINVAL;
	for (uint32_t i = 1; i < c->nobj && !v; i++)
		if (c->obj[i] && c->obj[i]->type == IO_VIOMMU && c->obj[i]->viommu.dev == idev->id)
			v = c->obj[i];
	if (!v)
		return -ENOENT;
	/* the SMMUv3 driver reports into the queue of its own type; none: EOPNOTSUPP, as report_event */
	qo = veventq_find(c, v->id, v->viommu.type);
	if (!qo)
		return -EOPNOTSUPP;
	q = &qo->vq;
	if (q->num_events == q->depth) {
		if (q->lost_queued)
			return 0;
		if (veventq_push(q, KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS, NULL, 0) < 0)
			return -ENOMEM;
		q->lost_queued = true;
		return 0;
	}
	if (veventq_push(q, 0, data, len) < 0)
		return -ENOMEM;
	q->num_events++;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_inject_vevent(vfioiommu_mock *m, const char *bdf, const void *data, size_t len)
{
	struct vm_device *d;
	int rc;

	if (!m || !bdf)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, bdf);
	rc = d ? vm_iommufd_inject_vevent(m, d, data, len) : -ENOENT;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/*
 * IOMMU_VDEVICE_ALLOC (Linux 6.13): a device's virtual id on a vIOMMU.  As
 * iommufd_vdevice_alloc_ioctl(): the vIOMMU, then the device, then the
 * virtual id must be free on the vIOMMU and the device must have no vDEVICE
 * yet (both EEXIST).  The vDEVICE holds its vIOMMU (DESTROY of the vIOMMU:
 * EBUSY) and dies with its device.
 */
int cmd_vdevice_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_vdevice_alloc *cmd = arg;
	struct io_obj *v, *idev, *vd;

	(void)m;
	v = obj_get(c, cmd->viommu_id, IO_VIOMMU);
	if (!v)
		return -ENOENT;
	idev = obj_get(c, cmd->dev_id, IO_DEVICE);
	if (!idev)
		return -ENOENT;
	/* the vIOMMU's IOMMU must be the device's; the mock has one IOMMU */
	if (cmd->virt_id > UINT32_MAX)
		return -EINVAL;
	for (uint32_t i = 1; i < c->nobj; i++) {
		struct io_obj *o = c->obj[i];

		if (!o || o->type != IO_VDEVICE)
			continue;
		if ((o->vdev.viommu == v->id && o->vdev.virt_id == cmd->virt_id) || o->vdev.dev == idev->id)
			return -EEXIST;
	}
	vd = obj_new(c, IO_VDEVICE);
	if (!vd)
		return -ENOMEM;
	vd->vdev.viommu = v->id;
	vd->vdev.dev = idev->id;
	vd->vdev.virt_id = cmd->virt_id;
	v->users++;
	cmd->out_vdevice_id = vd->id;
	return 0;
}

void vm_io_vdevice_unlink(struct io_ctx *c, struct io_obj *vd)
{
	struct io_obj *v = obj_get(c, vd->vdev.viommu, IO_VIOMMU);

	if (v)
		v->users--;
}

/*
 * IOMMU_HW_QUEUE_ALLOC (Linux 6.17): only Tegra241 CMDQV and IOMMUFD_TEST's
 * driver have HW queues; the mock's SMMUv3 vIOMMU has none (EOPNOTSUPP, as
 * iommufd_hw_queue_alloc_ioctl() without the viommu ops).
 */
int cmd_hw_queue_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hw_queue_alloc *cmd = arg;

	(void)m;
	if (cmd->flags || cmd->type == 0)
		return -EOPNOTSUPP;
	if (!cmd->length || cmd->nesting_parent_iova > UINT64_MAX - (cmd->length - 1))
		return -EINVAL;
	if (!obj_get(c, cmd->viommu_id, IO_VIOMMU))
		return -ENOENT;
	return -EOPNOTSUPP;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Interrupts: IRQ_INFO and SET_IRQS (eventfds on vectors, software trigger,
 * mask/unmask, disable), and the REQ interrupt as the kernel's "release this
 * device" signal.  The library remembers which eventfd sits on which vector
 * and closes the ones it created; the kernel keeps its own reference to
 * every eventfd, so closing ours never breaks delivery.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "device.h"
#include "kabi/kabi.h"

static const char *irq_name(uint32_t index)
{
	static const char *const names[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

	return index < 5 ? names[index] : "IRQ";
}

#define VI_IRQ_INFO_KNOWN (KABI_VFIO_IRQ_INFO_EVENTFD | KABI_VFIO_IRQ_INFO_MASKABLE | KABI_VFIO_IRQ_INFO_AUTOMASKED | \
			   KABI_VFIO_IRQ_INFO_NORESIZE)

/* The most vectors PCI allows on a vfio-pci index: one pin, 32 MSI, 2048 MSI-X (Table Size is 11 bits). */
static uint32_t pci_irq_max(uint32_t index)
{
	switch (index) {
	case KABI_PCI_MSI_IRQ: return 32;
	case KABI_PCI_MSIX_IRQ: return 2048;
	}
	return 1; /* INTx, ERR, REQ */
}

/* An IRQ_INFO answer the kernel cannot have meant: a stranger's index, a count PCI does not allow, flags that contradict. */
static int irq_info_check(struct vfioiommu_device *dev, const struct vi_device_info *info, uint32_t index,
			  const struct kabi_vfio_irq_info *ii)
{
	if (ii->index != index)
		return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_IRQ_INFO for %s (index %" PRIu32 ") answers for index %"
			       PRIu32 "%s", dev->bdf, irq_name(index), index, ii->index,
			       ii->index >= info->num_irqs ? ", which VFIO_DEVICE_GET_INFO did not announce" : "");
	if ((info->flags & KABI_VFIO_DEVICE_FLAGS_PCI) && index < KABI_PCI_NUM_IRQS && ii->count > pci_irq_max(index))
		return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_IRQ_INFO says %s has %" PRIu32 " vectors (PCI allows at "
			       "most %" PRIu32 ")", dev->bdf, irq_name(index), ii->count, pci_irq_max(index));
	if (ii->count > VI_IRQ_VECTORS_MAX)
		return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_IRQ_INFO says %s has %" PRIu32
			       " vectors (more than %d)", dev->bdf, irq_name(index), ii->count, VI_IRQ_VECTORS_MAX);
	if ((ii->flags & KABI_VFIO_IRQ_INFO_AUTOMASKED) && !(ii->flags & KABI_VFIO_IRQ_INFO_MASKABLE))
		return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_IRQ_INFO flags 0x%" PRIx32 " for %s contradict each other: "
			       "AUTOMASKED without MASKABLE (a vector masked after each trigger could never be unmasked)",
			       dev->bdf, ii->flags, irq_name(index));
	return 0;
}

/* The index's IRQ_INFO (cached) and its table. */
static int irq_get_locked(struct vfioiommu_device *dev, uint32_t index, struct vi_irq **out)
{
	struct kabi_vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };
	const struct vi_device_info *info;
	struct vi_irq *q;
	int rc = vi_dev_info_locked(dev, &info);

	if (rc < 0)
		return rc;
	if (index >= info->num_irqs)
		return vi_fail(dev->ctx, -EINVAL, "%s: IRQ index %" PRIu32 " is out of range (the device has %" PRIu32
			       " IRQ indexes)", dev->bdf, index, info->num_irqs);
	q = &dev->ds->irqs[index];
	if (!q->known) {
		rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii);
		if (rc == -EINVAL)
			return vi_fail(dev->ctx, -ENOENT, "%s has no %s interrupt (index %" PRIu32 "; VFIO_DEVICE_GET_IRQ_INFO: "
				       "EINVAL%s)", dev->bdf, irq_name(index), index,
				       index == KABI_PCI_ERR_IRQ ? ": not a PCI Express device" : "");
		if (rc < 0)
			return vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_GET_IRQ_INFO (index %" PRIu32 ") failed: %s", dev->bdf,
				       index, vi_errno_name(rc));
		if ((rc = irq_info_check(dev, info, index, &ii)) < 0)
			return rc;
		/* bits this library does not know are a newer kernel's business: dropped, never trusted */
		q->kflags = ii.flags & VI_IRQ_INFO_KNOWN;
		q->count = ii.count;
		q->known = true;
	}
	*out = q;
	return 0;
}

static int range_ok(struct vfioiommu_device *dev, uint32_t index, const struct vi_irq *q, uint32_t start,
		    uint32_t count)
{
	if (!count)
		return vi_fail(dev->ctx, -EINVAL, "%s %s: a vector count of 0 (use vfioiommu_irq_disable to turn "
			       "the index off)", dev->bdf, irq_name(index));
	if (start >= q->count || count > q->count - start)
		return vi_fail(dev->ctx, -EINVAL, "%s %s: vectors [%" PRIu32 ", %" PRIu64 ") are past the %" PRIu32
			       " vector%s of the index", dev->bdf, irq_name(index), start, (uint64_t)start + count,
			       q->count, q->count == 1 ? "" : "s");
	return 0;
}

static int tables(struct vfioiommu_device *dev, struct vi_irq *q)
{
	if (q->fd)
		return 0;
	q->fd = malloc(q->count * sizeof(*q->fd));
	q->owned = calloc(q->count, sizeof(*q->owned));
	if (!q->fd || !q->owned) {
		free(q->fd);
		free(q->owned);
		q->fd = NULL;
		q->owned = NULL;
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < q->count; i++)
		q->fd[i] = -1;
	return 0;
}

static void forget(struct vfioiommu_device *dev, struct vi_irq *q, uint32_t v)
{
	if (q->owned[v] && q->fd[v] >= 0)
		vi_kclose(dev->ctx, q->fd[v]);
	q->fd[v] = -1;
	q->owned[v] = false;
}

static int set_irqs(struct vfioiommu_device *dev, uint32_t index, uint32_t flags, uint32_t start,
	uint32_t count,
		    const int *fds)
{
	size_t dlen = fds ? (size_t)count * sizeof(int32_t) : 0;
	struct kabi_vfio_irq_set *s = calloc(1, sizeof(*s) + dlen);
	int rc;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)(sizeof(*s) + dlen);
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	for (uint32_t i = 0; fds && i < count; i++) {
		int32_t v = fds[i];
		memcpy(s->data + (size_t)i * sizeof(v), &v, sizeof(v));
	}
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return rc < 0 ? rc : 0;
}

/* Another of INTx / MSI / MSI-X that this library enabled, or -1. */
static int other_active(struct vfioiommu_device *dev, uint32_t index)
{
	if (index > KABI_PCI_MSIX_IRQ)
		return -1;
	for (uint32_t i = 0; i <= KABI_PCI_MSIX_IRQ && i < dev->ds->info.num_irqs; i++)
		if (i != index && dev->ds->irqs[i].active)
			return (int)i;
	return -1;
}

static int attach_locked(struct vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count,
			 const int *fds, bool owned)
{
	struct vi_irq *q;
	int rc = irq_get_locked(dev, index, &q), other;

	if (rc < 0)
		return rc;
	if ((rc = range_ok(dev, index, q, start, count)) < 0)
		return rc;
	if (!(q->kflags & KABI_VFIO_IRQ_INFO_EVENTFD))
		return vi_fail(dev->ctx, -EOPNOTSUPP, "%s %s does not signal eventfds (IRQ flags 0x%" PRIx32 ")", dev->bdf,
			       irq_name(index), q->kflags);
	if ((q->kflags & KABI_VFIO_IRQ_INFO_NORESIZE) && q->active && start + count > q->active)
		return vi_fail(dev->ctx, -EINVAL, "%s %s has NORESIZE and is enabled with %" PRIu32 " vector%s: "
			       "vectors up to %" PRIu64 " need vfioiommu_irq_disable() then an enable with the new count",
			       dev->bdf, irq_name(index), q->active, q->active == 1 ? "" : "s", (uint64_t)start + count);
	if ((rc = tables(dev, q)) < 0)
		return rc;
	rc = set_irqs(dev, index, KABI_VFIO_IRQ_SET_DATA_EVENTFD | KABI_VFIO_IRQ_SET_ACTION_TRIGGER, start, count, fds);
	if (rc == -ENOMEM)
		return vi_fail(dev->ctx, rc, "out of memory");
	if (rc < 0) {
		other = other_active(dev, index);
		if (rc == -EINVAL && other >= 0)
			return vi_fail(dev->ctx, rc, "%s: %s cannot be enabled while %s is (INTx, MSI and MSI-X exclude "
				       "each other): disable %s first", dev->bdf, irq_name(index), irq_name((uint32_t)other),
				       irq_name((uint32_t)other));
		return vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_SET_IRQS (%s vectors [%" PRIu32 ", %" PRIu64
			       "), eventfds) failed: %s", dev->bdf, irq_name(index), start, (uint64_t)start + count,
			       vi_errno_name(rc));
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = start + i;

		if (q->fd[v] != fds[i])
			forget(dev, q, v);
		q->fd[v] = fds[i];
		q->owned[v] = owned && fds[i] >= 0;
	}
	if (start + count > q->active)
		q->active = start + count;
	return 0;
}

VFIOIOMMU_API int vfioiommu_irq_info(vfioiommu_device *dev, uint32_t index, struct vfioiommu_irq_info *info)
{
	struct vfioiommu_irq_info full = { .size = sizeof(full), .index = index };
	struct vi_irq *q;
	uint32_t size;
	int rc;

	if (!dev)
		return -EINVAL;
	rc = vi_check_size(dev->ctx, "vfioiommu_irq_info", info, info ? info->size : 0,
			   offsetof(struct vfioiommu_irq_info, count) + sizeof(uint32_t));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = irq_get_locked(dev, index, &q);
	if (rc == 0) {
		full.flags = q->kflags & (VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_MASKABLE | VFIOIOMMU_IRQ_AUTOMASKED |
					  VFIOIOMMU_IRQ_NORESIZE);
		full.count = q->count;
		full.active = q->active;
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	if (rc < 0)
		return rc;
	size = info->size;
	memcpy(info, &full, size < sizeof(full) ? size : sizeof(full));
	info->size = size;
	return 0;
}

VFIOIOMMU_API int vfioiommu_irq_set_eventfds(vfioiommu_device *dev, uint32_t index, uint32_t start,
					     uint32_t count, const int *fds)
{
	int rc;

	if (!dev)
		return -EINVAL;
	if (!fds)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_irq_set_eventfds: fds is NULL");
	pthread_mutex_lock(&dev->ctx->lock);
	rc = attach_locked(dev, index, start, count, fds, false);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

/* Create @count eventfds, attach them, and copy them to @fds (may be NULL). */
static int enable_locked(struct vfioiommu_device *dev, uint32_t index, uint32_t start,
	uint32_t count, int *fds)
{
	struct vi_irq *q;
	int *mine = NULL;
	uint32_t made = 0;
	int rc;

	rc = irq_get_locked(dev, index, &q);
	if (rc == 0)
		rc = range_ok(dev, index, q, start, count);
	if (rc == 0 && !(mine = malloc(count * sizeof(*mine))))
		rc = vi_fail(dev->ctx, -ENOMEM, "out of memory");
	for (; rc == 0 && made < count; made++) {
		int fd = vi_keventfd(dev->ctx, 0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0) {
			rc = vi_fail(dev->ctx, fd, "%s %s: cannot create eventfd %" PRIu32 " of %" PRIu32 ": %s", dev->bdf,
				     irq_name(index), made + 1, count, vi_errno_name(fd));
			break;
		}
		mine[made] = fd;
	}
	if (rc == 0)
		rc = attach_locked(dev, index, start, count, mine, true);
	if (rc < 0) {
		for (uint32_t i = 0; i < made; i++)
			vi_kclose(dev->ctx, mine[i]);
	} else if (fds) {
		memcpy(fds, mine, count * sizeof(*fds));
	}
	free(mine);
	return rc;
}

VFIOIOMMU_API int vfioiommu_irq_enable(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count,
				       int *fds)
{
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = enable_locked(dev, index, start, count, fds);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_irq_eventfd(vfioiommu_device *dev, uint32_t index, uint32_t vector)
{
	struct vi_irq *q = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = irq_get_locked(dev, index, &q);
	if (rc == 0 && (vector >= q->count || !q->fd || q->fd[vector] < 0))
		rc = vi_fail(dev->ctx, -ENOENT, "%s %s vector %" PRIu32 " has no eventfd set through this library",
			     dev->bdf, irq_name(index), vector);
	else if (rc == 0)
		rc = q->fd[vector];
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

/* DATA_NONE with an action on [start, start + count). */
static int action(struct vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count, uint32_t act,
		  const char *what)
{
	struct vi_irq *q = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = irq_get_locked(dev, index, &q);
	if (rc == 0)
		rc = range_ok(dev, index, q, start, count);
	if (rc == 0 && act != KABI_VFIO_IRQ_SET_ACTION_TRIGGER && !(q->kflags & KABI_VFIO_IRQ_INFO_MASKABLE))
		rc = vi_fail(dev->ctx, -EOPNOTSUPP, "%s %s cannot be %sed: the kernel does not set MASKABLE for it "
			     "(on vfio-pci only INTx is maskable)", dev->bdf, irq_name(index), what);
	if (rc == 0) {
		rc = set_irqs(dev, index, KABI_VFIO_IRQ_SET_DATA_NONE | act, start, count, NULL);
		if (rc == -ENOMEM)
			rc = vi_fail(dev->ctx, rc, "out of memory");
		else if (rc == -EINVAL && !q->active)
			rc = vi_fail(dev->ctx, rc, "%s: cannot %s %s vectors: the index is not enabled (attach eventfds "
				     "with vfioiommu_irq_enable first)", dev->bdf, what, irq_name(index));
		else if (rc < 0)
			rc = vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_SET_IRQS (%s %s, vectors [%" PRIu32 ", %" PRIu64
				     ")) failed: %s", dev->bdf, what, irq_name(index), start, (uint64_t)start + count,
				     vi_errno_name(rc));
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_irq_trigger(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count)
{
	return action(dev, index, start, count, KABI_VFIO_IRQ_SET_ACTION_TRIGGER, "trigger");
}

VFIOIOMMU_API int vfioiommu_irq_mask(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count)
{
	return action(dev, index, start, count, KABI_VFIO_IRQ_SET_ACTION_MASK, "mask");
}

VFIOIOMMU_API int vfioiommu_irq_unmask(vfioiommu_device *dev, uint32_t index, uint32_t start, uint32_t count)
{
	return action(dev, index, start, count, KABI_VFIO_IRQ_SET_ACTION_UNMASK, "unmask");
}

static void drop_all(struct vfioiommu_device *dev, struct vi_irq *q)
{
	for (uint32_t v = 0; q->fd && v < q->count; v++)
		forget(dev, q, v);
	q->active = 0;
}

VFIOIOMMU_API int vfioiommu_irq_disable(vfioiommu_device *dev, uint32_t index)
{
	struct vi_irq *q = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = irq_get_locked(dev, index, &q);
	if (rc == 0 && q->count) {
		rc = set_irqs(dev, index, KABI_VFIO_IRQ_SET_DATA_NONE | KABI_VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		/* the kernel refuses to disable what is off (EINVAL); for the caller that is done */
		if (rc == -EINVAL && !q->active)
			rc = 0;
		if (rc == -ENOMEM)
			rc = vi_fail(dev->ctx, rc, "out of memory");
		else if (rc < 0)
			rc = vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_SET_IRQS (disable %s) failed: %s", dev->bdf,
				     irq_name(index), vi_errno_name(rc));
		else
			drop_all(dev, q);
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_device_request_eventfd(vfioiommu_device *dev, int *fd)
{
	struct vi_irq *q = NULL;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!fd)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_device_request_eventfd: fd is NULL");
	pthread_mutex_lock(&dev->ctx->lock);
	rc = irq_get_locked(dev, KABI_PCI_REQ_IRQ, &q);
	if (rc == -EINVAL || rc == -ENOENT || (rc == 0 && !q->count))
		rc = vi_fail(dev->ctx, -EOPNOTSUPP, "%s has no REQ interrupt: the kernel cannot ask for this device "
			     "back (an unbind blocks until the device is closed)", dev->bdf);
	else if (rc == 0 && q->fd && q->fd[0] >= 0 && q->owned[0])
		*fd = q->fd[0];
	else if (rc == 0)
		rc = enable_locked(dev, KABI_PCI_REQ_IRQ, 0, 1, fd);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

void vi_irqs_free_locked(struct vfioiommu_device *dev)
{
	struct vi_devstate *ds = dev->ds;

	for (uint32_t i = 0; ds->irqs && i < ds->info.num_irqs; i++) {
		drop_all(dev, &ds->irqs[i]);
		free(ds->irqs[i].fd);
		free(ds->irqs[i].owned);
	}
	free(ds->irqs);
	ds->irqs = NULL;
}

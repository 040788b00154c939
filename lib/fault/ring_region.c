/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A fault ring in a device region: a 64 KiB mmappable region holding the
 * compat layout ({u32 size, prod, cons, reserved} then 64-byte records).
 *
 * Upstream Linux never merged a fault region (docs/kernel-abi.md §9): the
 * posted series used VFIO_REGION_TYPE_NESTED as 2 (which upstream
 * assigns to CCW) and later 4, with other layouts, and the one this project
 * follows is not in any posted patch.  So the library never guesses a type:
 * the caller names the TYPE/SUBTYPE its (out-of-tree) driver uses, and the
 * region is found by its TYPE capability, never by a fixed index.  The mock
 * kernel's devices can carry one (vfioiommu_mock_device_add_fault_region())
 * with a producer that follows the same rules (lib/mock/fault_region.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu/device.h>
#include <vfioiommu/fault.h>

#include "core/internal.h"
#include "ring.h"

#define RR_SIZE 0x10000u

/* Append "type:subtype@index" to the list of typed regions seen, for the -ENOENT message. */
static void seen_add(char *buf, size_t n, const struct vfioiommu_region_info *ri)
{
	size_t l = strlen(buf);

	if (l + 1 < n)
		snprintf(buf + l, n - l, "%s0x%" PRIx32 ":%" PRIu32 "@%" PRIu32, l ? ", " : "", ri->type,
			 ri->subtype, ri->index);
}

/* The index of the region with that TYPE capability; -ENOENT with the types seen in the message. */
static int find_region(vfioiommu_device *dev, uint32_t type, uint32_t subtype,
	struct vfioiommu_region_info *out)
{
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	char seen[256] = "";
	int rc = vfioiommu_device_info(dev, &di);

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < di.num_regions; i++) {
		struct vfioiommu_region_info ri = { .size = sizeof(ri) };

		rc = vfioiommu_region_info(dev, i, &ri);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		if (!(ri.flags & VFIOIOMMU_REGION_TYPED))
			continue;
		if (ri.type == type && ri.subtype == subtype) {
			*out = ri;
			return 0;
		}
		seen_add(seen, sizeof(seen), &ri);
	}
	return vi_fail(dev->ctx, -ENOENT, "fault region: device %s has no region of type 0x%" PRIx32
		       " subtype %" PRIu32 " (typed regions: %s; upstream defines no fault region, so the type "
		       "is whatever the device's driver uses)", dev->bdf, type, subtype, seen[0] ? seen : "none");
}

static void unlink_locked(struct vfioiommu_ring *r)
{
	for (struct vfioiommu_ring **pp = &r->region_dev->region_rings; *pp; pp = &(*pp)->region_next) {
		if (*pp == r) {
			*pp = r->region_next;
			break;
		}
	}
	r->region_next = NULL;
}

static void release_region(struct vfioiommu_ring *r)
{
	struct vfioiommu_device *dev = r->region_dev;

	/* the device closed first: its close undid the mapping already */
	if (!dev)
		return;
	pthread_mutex_lock(&dev->ctx->lock);
	unlink_locked(r);
	pthread_mutex_unlock(&dev->ctx->lock);
	vfioiommu_region_munmap(dev, r->mem);
}

static void device_gone(struct vfioiommu_device *dev)
{
	struct vfioiommu_ring *r;

	/*
	 * The device's close unmaps the region under the ring.  A consumer call
	 * checks the error state before touching ring memory, so from now on
	 * the ring answers -EPROTO instead of faulting; destroy only frees it.
	 */
	while ((r = dev->region_rings)) {
		dev->region_rings = r->region_next;
		r->region_next = NULL;
		r->region_dev = NULL;
		vi_ring_fail(r, "ring: device %s was closed, and its fault region unmapped with it", dev->bdf);
	}
}

VFIOIOMMU_API int vfioiommu_ring_attach_region(vfioiommu_device *dev, uint32_t type, uint32_t subtype,
					       vfioiommu_ring **out)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	vfioiommu_ring *r = NULL;
	void *mem = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!dev)
		return -EINVAL;
	if (!out)
		return vi_fail(dev->ctx, -EINVAL, "fault region: NULL out");
	rc = find_region(dev, type, subtype, &ri);
	if (rc < 0)
		return rc;
	if (!(ri.flags & VFIOIOMMU_REGION_MMAP) || (ri.flags & VFIOIOMMU_REGION_SPARSE))
		return vi_fail(dev->ctx, -EOPNOTSUPP, "fault region: region %" PRIu32 " of %s (type 0x%" PRIx32
			       ":%" PRIu32 ") cannot be mmapped whole (flags 0x%" PRIx32 "); the ring needs shared "
			       "memory", ri.index, dev->bdf, type, subtype, ri.flags);
	if ((ri.flags & (VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE)) !=
	    (VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE))
		return vi_fail(dev->ctx, -EACCES, "fault region: region %" PRIu32 " of %s is not readable and "
			       "writable (the consumer writes cons)", ri.index, dev->bdf);
	if (ri.region_size != RR_SIZE)
		return vi_fail(dev->ctx, -EPROTO, "fault region: region %" PRIu32 " of %s is %" PRIu64 " bytes; "
			       "the layout is exactly 64 KiB", ri.index, dev->bdf, ri.region_size);
	rc = vfioiommu_region_mmap(dev, ri.index, 0, RR_SIZE, VFIOIOMMU_MAP_READ | VFIOIOMMU_MAP_WRITE, &mem);
	if (rc < 0)
		return rc; /* message from the region API */
	rc = vfioiommu_ring_attach(mem, RR_SIZE, VFIOIOMMU_RING_COMPAT, &r);
	if (rc < 0) {
		vi_fail(dev->ctx, rc, "fault region: region %" PRIu32 " of %s: %s", ri.index, dev->bdf,
			vfioiommu_ring_strerror(NULL));
		vfioiommu_region_munmap(dev, mem);
		return rc;
	}
	r->region_dev = dev;
	r->release = release_region;
	pthread_mutex_lock(&dev->ctx->lock);
	r->region_next = dev->region_rings;
	dev->region_rings = r;
	dev->rings_gone = device_gone;
	pthread_mutex_unlock(&dev->ctx->lock);
	*out = r;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Per-device state shared by device.c (info, region descriptions), region.c
 * (I/O, mmap), irq.c, reset.c and pci.c.  The state hangs off
 * vfioiommu_device.ds, is created on first use and freed by
 * vi_device_state_free() when the device closes.
 *
 * Locking: ctx->lock guards the state (caches, mmap list, eventfd tables).
 * Region I/O copies what it needs under the lock and does the pread/pwrite
 * without it.
 */
#ifndef VI_DEVICE_H
#define VI_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <vfioiommu/device.h>

#include "iova/internal.h"
#include "core/internal.h"

/* Bounds on what a kernel may claim; past them the answer is treated as malformed. */
#define VI_AREAS_MAX 1024
#define VI_IRQ_VECTORS_MAX 65536
#define VI_REGIONS_MAX 4096

/* One region as the kernel described it (cached: it never changes while the fd is open). */
struct vi_region {
	bool cached;
	uint32_t kflags;          /* KABI_VFIO_REGION_INFO_FLAG_* */
	uint64_t size, offset;
	bool msix_mappable;
	bool typed;
	uint32_t type, subtype;
	bool sparse;
	uint32_t nr_areas;
	struct vfioiommu_region_area *areas; /* sorted by offset */
	unsigned int unknown_caps;
};

struct vi_map {
	struct vi_map *next;
	void *addr;
	size_t len;               /* as mapped (whole pages) */
	uint32_t index;
	uint64_t off;
};

/* One IRQ index: what the library set up through SET_IRQS. */
struct vi_irq {
	bool known;
	uint32_t kflags, count;   /* IRQ_INFO */
	uint32_t active;          /* vectors enabled (highest start + count since enable), 0 = off */
	int *fd;                  /* count entries: eventfd attached to each vector, -1 none */
	bool *owned;              /* the library created fd[v] and closes it */
};

struct vi_devstate {
	bool have_info;
	struct vi_device_info info;
	struct vi_region *regions; /* info.num_regions entries */
	struct vi_map *maps;
	struct vi_irq *irqs;       /* info.num_irqs entries */
};

/* ---- device.c (ctx->lock held for the *_locked ones) ---- */
/* The device info (cached). */
int vi_dev_info_locked(struct vfioiommu_device *dev, const struct vi_device_info **out);
/* Region @index (cached); -EINVAL out of range, -ENOENT the kernel has no such region. */
int vi_dev_region_locked(struct vfioiommu_device *dev, uint32_t index, const struct vi_region **out);
/* The same, taking and dropping ctx->lock; copies the region without its areas. */
int vi_dev_region_copy(struct vfioiommu_device *dev, uint32_t index, struct vi_region *out);

/*
 * Parse region caps from a REGION_INFO reply into @r (pure: tested with
 * hand-built chains).  @region_size bounds the sparse areas.
 */
int vi_region_parse(const void *buf, size_t len, uint32_t index, struct vi_region *r, struct vi_err *err);
void vi_region_clear(struct vi_region *r);

/* ---- region.c ---- */
void vi_maps_free_locked(struct vfioiommu_device *dev);

/* ---- irq.c ---- */
void vi_irqs_free_locked(struct vfioiommu_device *dev);

/* ---- pci.c (pure: tested with hand-built config spaces) ---- */
int vi_pci_walk_std(const uint8_t *cfg, size_t len, uint8_t id, uint32_t after, uint32_t *off, struct vi_err *err);
int vi_pci_walk_ext(const uint8_t *cfg, size_t len, uint16_t id, uint32_t after, uint32_t *off, struct vi_err *err);

/* Unmap the device's mmaps and close its eventfds (before the device fd closes). */
void vi_device_state_free(struct vfioiommu_device *dev);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Device info and region descriptions (with their capabilities), and the per-device state. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "kabi/kabi.h"

/* ---------------- state ---------------- */

static int dev_state_locked(struct vfioiommu_device *dev, struct vi_devstate **out)
{
	if (!dev->ds) {
		dev->ds = calloc(1, sizeof(*dev->ds));
		if (!dev->ds)
			return vi_fail(dev->ctx, -ENOMEM, "%s: out of memory for the device state", dev->bdf);
	}
	*out = dev->ds;
	return 0;
}

void vi_region_clear(struct vi_region *r)
{
	free(r->areas);
	memset(r, 0, sizeof(*r));
}

void vi_device_state_free(struct vfioiommu_device *dev)
{
	struct vi_devstate *ds = dev->ds;

	if (!ds)
		return;
	vi_maps_free_locked(dev);
	vi_irqs_free_locked(dev);
	for (uint32_t i = 0; ds->regions && i < ds->info.num_regions; i++)
		vi_region_clear(&ds->regions[i]);
	free(ds->regions);
	free(ds);
	dev->ds = NULL;
}

/* ---------------- device info ---------------- */

struct dinfo_state {
	struct vfioiommu_device_info *out;
	bool seen_atomic;
};

static int dinfo_cap(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct dinfo_state *st = arg;

	if (cap->id != KABI_DEVICE_CAP_PCI_ATOMIC_COMP) {
		st->out->unknown_caps++;
		return 0;
	}
	if (st->seen_atomic)
		return vi_errf(err, -EPROTO, "second PCI_ATOMIC_COMP capability at offset %" PRIu32, cap->off);
	if (cap->version == 0 || cap->len < 12)
		return vi_errf(err, -EPROTO, "PCI_ATOMIC_COMP capability at offset %" PRIu32
			       " has version %u and %zu bytes (needs version >= 1 and 12 bytes)",
			       cap->off, cap->version, cap->len);
	st->seen_atomic = true;
	st->out->has_atomic_comp = true;
	st->out->atomic_comp = vi_ld32(cap->p + 8);
	return 0;
}

int vi_dev_info_locked(struct vfioiommu_device *dev, const struct vi_device_info **out)
{
	struct vi_devstate *ds = NULL;
	struct vi_device_info info;
	int rc = dev_state_locked(dev, &ds);

	if (rc < 0)
		return rc;
	if (!ds->have_info) {
		rc = vi_device_info(dev->ctx, dev->fd, &info, NULL, NULL);
		if (rc < 0)
			return rc;
		if (info.num_regions > VI_REGIONS_MAX || info.num_irqs > VI_REGIONS_MAX)
			return vi_fail(dev->ctx, -EPROTO, "%s: VFIO_DEVICE_GET_INFO claims %" PRIu32 " regions and %"
				       PRIu32 " IRQ indexes (more than the %d this library believes)", dev->bdf,
				       info.num_regions, info.num_irqs, VI_REGIONS_MAX);
		ds->regions = info.num_regions ? calloc(info.num_regions, sizeof(*ds->regions)) : NULL;
		ds->irqs = info.num_irqs ? calloc(info.num_irqs, sizeof(*ds->irqs)) : NULL;
		if ((info.num_regions && !ds->regions) || (info.num_irqs && !ds->irqs)) {
			free(ds->regions);
			free(ds->irqs);
			ds->regions = NULL;
			ds->irqs = NULL;
			return vi_fail(dev->ctx, -ENOMEM, "%s: out of memory", dev->bdf);
		}
		ds->info = info;
		ds->have_info = true;
	}
	*out = &ds->info;
	return 0;
}

VFIOIOMMU_API int vfioiommu_device_info(vfioiommu_device *dev, struct vfioiommu_device_info *info)
{
	struct vfioiommu_device_info full = { .size = sizeof(full) };
	struct dinfo_state st = { .out = &full };
	struct vi_device_info k;
	int rc;

	if (!dev)
		return -EINVAL;
	rc = vi_check_size(dev->ctx, "vfioiommu_device_info", info, info ? info->size : 0,
			   offsetof(struct vfioiommu_device_info, num_irqs) + sizeof(uint32_t));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	/* asked afresh (not the cache) so the capabilities are walked */
	rc = vi_device_info(dev->ctx, dev->fd, &k, dinfo_cap, &st);
	pthread_mutex_unlock(&dev->ctx->lock);
	if (rc < 0)
		return rc;
	full.flags = k.flags;
	full.num_regions = k.num_regions;
	full.num_irqs = k.num_irqs;
	vi_copy_sized(info, &full, sizeof(full));
	return 0;
}

/* ---------------- regions ---------------- */

struct rparse {
	struct vi_region *r;
	unsigned int seen;
};

static int seen_once(struct rparse *st, const struct vi_cap *cap, const char *name, struct vi_err *err)
{
	if (st->seen & (1u << cap->id))
		return vi_errf(err, -EPROTO, "second %s capability at offset %" PRIu32, name, cap->off);
	st->seen |= 1u << cap->id;
	if (cap->version == 0)
		return vi_errf(err, -EPROTO, "%s capability at offset %" PRIu32 " has version 0", name, cap->off);
	return 0;
}

static int region_cap(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct rparse *st = arg;
	struct vi_region *r = st->r;
	uint32_t nr;
	int rc;

	switch (cap->id) {
	case KABI_REGION_CAP_SPARSE_MMAP:
		if ((rc = seen_once(st, cap, "SPARSE_MMAP", err)) < 0)
			return rc;
		if (cap->len < sizeof(struct kabi_region_cap_sparse_mmap))
			return vi_errf(err, -EPROTO, "SPARSE_MMAP capability at offset %" PRIu32 " has %zu bytes, needs 16",
				       cap->off, cap->len);
		nr = vi_ld32(cap->p + 8);
		if (nr > VI_AREAS_MAX)
			return vi_errf(err, -EPROTO, "SPARSE_MMAP capability at offset %" PRIu32 " claims %" PRIu32
				       " areas (more than %d)", cap->off, nr, VI_AREAS_MAX);
		if (16 + (size_t)nr * 16 > cap->len)
			return vi_errf(err, -EPROTO, "SPARSE_MMAP capability at offset %" PRIu32 " claims %" PRIu32
				       " areas (%zu bytes) but has %zu bytes", cap->off, nr, 16 + (size_t)nr * 16, cap->len);
		r->areas = nr ? calloc(nr, sizeof(*r->areas)) : NULL;
		if (nr && !r->areas)
			return vi_errf(err, -ENOMEM, "out of memory for %" PRIu32 " sparse areas", nr);
		for (uint32_t i = 0; i < nr; i++) {
			r->areas[i].offset = vi_ld64(cap->p + 16 + (size_t)i * 16);
			r->areas[i].size = vi_ld64(cap->p + 24 + (size_t)i * 16);
		}
		r->nr_areas = nr;
		r->sparse = true;
		return 0;
	case KABI_REGION_CAP_TYPE:
		if ((rc = seen_once(st, cap, "TYPE", err)) < 0)
			return rc;
		if (cap->len < sizeof(struct kabi_region_cap_type))
			return vi_errf(err, -EPROTO, "TYPE capability at offset %" PRIu32 " has %zu bytes, needs 16",
				       cap->off, cap->len);
		r->typed = true;
		r->type = vi_ld32(cap->p + 8);
		r->subtype = vi_ld32(cap->p + 12);
		return 0;
	case KABI_REGION_CAP_MSIX_MAPPABLE:
		if ((rc = seen_once(st, cap, "MSIX_MAPPABLE", err)) < 0)
			return rc;
		r->msix_mappable = true;
		return 0;
	default:
		r->unknown_caps++;
		return 0;
	}
}

static int area_cmp(const void *a, const void *b)
{
	const struct vfioiommu_region_area *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Areas must lie inside the region and not overlap; empty ones are dropped. */
static int areas_check(struct vi_region *r, struct vi_err *err)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < r->nr_areas; i++) {
		const struct vfioiommu_region_area *a = &r->areas[i];

		if (a->offset > r->size || a->size > r->size - a->offset)
			return vi_errf(err, -EPROTO, "sparse area %" PRIu32 " [0x%" PRIx64 ", +0x%" PRIx64
				       ") lies outside the 0x%" PRIx64 "-byte region", i, a->offset, a->size, r->size);
		if (a->size)
			r->areas[k++] = *a;
	}
	r->nr_areas = k;
	if (k > 1)
		qsort(r->areas, k, sizeof(*r->areas), area_cmp);
	for (uint32_t i = 1; i < k; i++)
		if (r->areas[i].offset < r->areas[i - 1].offset + r->areas[i - 1].size)
			return vi_errf(err, -EPROTO, "sparse areas at 0x%" PRIx64 " and 0x%" PRIx64 " overlap",
				       r->areas[i - 1].offset, r->areas[i].offset);
	return 0;
}

int vi_region_parse(const void *buf, size_t len, uint32_t index, struct vi_region *r, struct vi_err *err)
{
	const uint8_t *b = buf;
	struct rparse st = { .r = r };
	uint32_t cap_offset;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!buf || len < sizeof(struct kabi_vfio_region_info))
		return vi_errf(err, -EPROTO, "region %" PRIu32 ": reply of %zu bytes is too short", index, len);
	r->kflags = vi_ld32(b + offsetof(struct kabi_vfio_region_info, flags));
	cap_offset = vi_ld32(b + offsetof(struct kabi_vfio_region_info, cap_offset));
	r->size = vi_ld64(b + offsetof(struct kabi_vfio_region_info, size));
	r->offset = vi_ld64(b + offsetof(struct kabi_vfio_region_info, offset));
	/* the region is read at file offsets [offset, offset + size): they must exist, as an off_t */
	if (r->size && r->size > UINT64_MAX - r->offset)
		rc = vi_errf(err, -EPROTO, "region %" PRIu32 ": offset 0x%" PRIx64 " + size 0x%" PRIx64 " wraps past 2^64",
			     index, r->offset, r->size);
	else if (r->size && r->offset + r->size - 1 > (uint64_t)INT64_MAX)
		rc = vi_errf(err, -EPROTO, "region %" PRIu32 ": [0x%" PRIx64 ", +0x%" PRIx64 ") ends past 2^63, the largest "
			     "file offset", index, r->offset, r->size);
	else if ((r->kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP) && !r->size)
		rc = vi_errf(err, -EPROTO, "region %" PRIu32 ": flags 0x%" PRIx32 " say MMAP but the size is 0 (the kernel "
			     "gives an empty region no flags)", index, r->kflags);
	else
		rc = 0;
	if (rc < 0) {
		vi_region_clear(r);
		return rc;
	}
	if (r->kflags & KABI_VFIO_REGION_INFO_FLAG_CAPS) {
		/* vi_info_query already regrew the buffer, so caps that still did not fit are a kernel bug */
		if (!cap_offset)
			rc = vi_errf(err, -EPROTO, "region %" PRIu32 ": CAPS flag set but cap_offset is 0 in a %zu-byte reply",
				     index, len);
		else
			rc = vi_caps_walk(buf, len, cap_offset, VI_REGION_INFO_FIXED, region_cap, &st, err);
		if (rc == 0)
			rc = areas_check(r, err);
		if (rc < 0) {
			vi_region_clear(r);
			return rc;
		}
	}
	r->cached = true;
	return 0;
}

static int region_query(struct vfioiommu_device *dev, uint32_t index, struct vi_region *r)
{
	struct kabi_vfio_region_info fixed = { .argsz = sizeof(fixed), .index = index };
	struct vi_err err = { "" };
	void *buf;
	size_t len;
	int rc;

	rc = vi_info_query(dev->ctx, dev->fd, KABI_VFIO_DEVICE_GET_REGION_INFO, &fixed, sizeof(fixed),
			   sizeof(fixed), &buf, &len);
	if (rc == -EINVAL)
		return vi_fail(dev->ctx, -ENOENT, "%s has no region %" PRIu32 "%s%s%s (VFIO_DEVICE_GET_REGION_INFO: "
			       "EINVAL)", dev->bdf, index, vfioiommu_pci_region_name(index) ? " (" : "",
			       vfioiommu_pci_region_name(index) ? vfioiommu_pci_region_name(index) : "",
			       index == KABI_PCI_VGA_REGION ? ": not a VGA device)" :
			       vfioiommu_pci_region_name(index) ? ")" : "");
	if (rc < 0)
		return rc;
	rc = vi_region_parse(buf, len, index, r, &err);
	free(buf);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_GET_REGION_INFO (region %" PRIu32 "): %s", dev->bdf,
			       index, err.msg);
	return 0;
}

int vi_dev_region_locked(struct vfioiommu_device *dev, uint32_t index, const struct vi_region **out)
{
	const struct vi_device_info *info = NULL;
	struct vi_region *r = NULL;
	int rc = vi_dev_info_locked(dev, &info);

	if (rc < 0)
		return rc;
	if (index >= info->num_regions)
		return vi_fail(dev->ctx, -EINVAL, "%s: region index %" PRIu32 " is out of range (the device has %"
			       PRIu32 " regions, 0..%" PRIu32 ")", dev->bdf, index, info->num_regions,
			       info->num_regions ? info->num_regions - 1 : 0);
	r = &dev->ds->regions[index];
	if (!r->cached) {
		rc = region_query(dev, index, r);
		if (rc < 0)
			return rc;
	}
	*out = r;
	return 0;
}

int vi_dev_region_copy(struct vfioiommu_device *dev, uint32_t index, struct vi_region *out)
{
	const struct vi_region *r = NULL;
	int rc;

	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_dev_region_locked(dev, index, &r);
	if (rc == 0) {
		*out = *r;
		out->areas = NULL;
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API const char *vfioiommu_pci_region_name(uint32_t index)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "config", "VGA" };

	return index < sizeof(names) / sizeof(names[0]) ? names[index] : NULL;
}

VFIOIOMMU_API const char *vfioiommu_region_type_name(uint32_t type)
{
	if (type & KABI_REGION_TYPE_PCI_VENDOR_TYPE)
		return "PCI vendor";
	switch (type) {
	case KABI_REGION_TYPE_GFX: return "graphics";
	case KABI_REGION_TYPE_CCW: return "CCW";
	case KABI_REGION_TYPE_MIGRATION_DEPRECATED: return "migration (deprecated)";
	}
	return NULL;
}

VFIOIOMMU_API const char *vfioiommu_region_subtype_name(uint32_t type, uint32_t subtype)
{
	if (type & KABI_REGION_TYPE_PCI_VENDOR_TYPE) {
		switch (type & KABI_REGION_TYPE_PCI_VENDOR_MASK) {
		case 0x8086:
			switch (subtype) {
			case KABI_REGION_SUBTYPE_INTEL_IGD_OPREGION: return "Intel IGD OpRegion";
			case KABI_REGION_SUBTYPE_INTEL_IGD_HOST_CFG: return "Intel IGD host bridge config";
			case KABI_REGION_SUBTYPE_INTEL_IGD_LPC_CFG: return "Intel IGD LPC config";
			}
			return NULL;
		case 0x10de:
			return subtype == KABI_REGION_SUBTYPE_NVIDIA_NVLINK2_RAM ? "NVIDIA NVLink2 RAM (deprecated)" : NULL;
		case 0x1014:
			return subtype == KABI_REGION_SUBTYPE_IBM_NVLINK2_ATSD ? "IBM NVLink2 ATSD (deprecated)" : NULL;
		}
		return NULL;
	}
	switch (type) {
	case KABI_REGION_TYPE_GFX:
		return subtype == KABI_REGION_SUBTYPE_GFX_EDID ? "EDID" : NULL;
	case KABI_REGION_TYPE_CCW:
		switch (subtype) {
		case KABI_REGION_SUBTYPE_CCW_ASYNC_CMD: return "CCW async command";
		case KABI_REGION_SUBTYPE_CCW_SCHIB: return "CCW SCHIB";
		case KABI_REGION_SUBTYPE_CCW_CRW: return "CCW CRW";
		}
		return NULL;
	case KABI_REGION_TYPE_MIGRATION_DEPRECATED:
		return subtype == KABI_REGION_SUBTYPE_MIGRATION_DEPRECATED ? "migration v1 (deprecated)" : NULL;
	}
	return NULL;
}

VFIOIOMMU_API int vfioiommu_region_info(vfioiommu_device *dev, uint32_t index,
					    struct vfioiommu_region_info *info)
{
	struct vfioiommu_region_info full = { .size = sizeof(full), .index = index };
	const struct vi_region *r;
	int rc;

	if (!dev)
		return -EINVAL;
	rc = vi_check_size(dev->ctx, "vfioiommu_region_info", info, info ? info->size : 0,
			   offsetof(struct vfioiommu_region_info, offset) + sizeof(uint64_t));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_dev_region_locked(dev, index, &r);
	if (rc == 0) {
		full.flags = r->kflags & (VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE | VFIOIOMMU_REGION_MMAP);
		if (r->sparse)
			full.flags |= VFIOIOMMU_REGION_SPARSE;
		if (r->msix_mappable)
			full.flags |= VFIOIOMMU_REGION_MSIX_MAPPABLE;
		if (r->typed) {
			full.flags |= VFIOIOMMU_REGION_TYPED;
			full.type = r->type;
			full.subtype = r->subtype;
			full.type_name = vfioiommu_region_type_name(r->type);
			full.subtype_name = vfioiommu_region_subtype_name(r->type, r->subtype);
		}
		full.nr_areas = r->sparse ? r->nr_areas : 0;
		full.region_size = r->size;
		full.offset = r->offset;
		full.unknown_caps = r->unknown_caps;
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	if (rc < 0)
		return rc;
	vi_copy_sized(info, &full, sizeof(full));
	return 0;
}

VFIOIOMMU_API int vfioiommu_region_areas(vfioiommu_device *dev, uint32_t index,
					 struct vfioiommu_region_area *areas, uint32_t max, uint32_t *n)
{
	const struct vi_region *r;
	uint32_t total = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!n || (max && !areas))
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_region_areas: NULL argument");
	*n = 0;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_dev_region_locked(dev, index, &r);
	if (rc == 0 && (r->kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP) && r->size) {
		if (r->sparse) {
			total = r->nr_areas;
			for (uint32_t i = 0; i < total && i < max; i++)
				areas[i] = r->areas[i];
		} else {
			total = 1;
			if (max)
				areas[0] = (struct vfioiommu_region_area){ 0, r->size };
		}
		*n = total;
		if (total > max)
			rc = vi_fail(dev->ctx, -ENOSPC, "%s region %" PRIu32 " has %" PRIu32 " mmappable areas, room for %"
				     PRIu32, dev->bdf, index, total, max);
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

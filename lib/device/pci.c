/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PCI helpers over the config-space region: ids, typed config access, the
 * standard and extended capability lists, and mapping a BAR by number.
 * Config space is device data: the walkers bound every pointer and stop on
 * loops, like the kernel's own pci_find_capability (48 hops at most).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "kabi/kabi.h"

#define PCI_STD_CFG 256
#define PCI_EXT_CFG 4096
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_STD_HOPS 48 /* (256 - 64) / 4 */
#define PCI_EXT_HOPS ((PCI_EXT_CFG - PCI_STD_CFG) / 8)

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int vi_pci_walk_std(const uint8_t *cfg, size_t len, uint8_t id, uint32_t after, uint32_t *off,
	struct vi_err *err)
{
	uint32_t pos;
	bool passed = after == 0;

	if (!cfg || !off || len < 64)
		return vi_errf(err, -EINVAL, "config space of %zu bytes is too short for a header", len);
	if (!(le16(cfg + PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return vi_errf(err, -ENOENT, "no capability list (status bit 4 clear)");
	uint64_t seen = 0; /* one bit per dword of 0x40..0xff */

	pos = cfg[PCI_CAP_PTR] & ~3u;
	for (int hop = 0; pos; hop++) {
		if (pos < 0x40 || pos + 2 > len || pos + 2 > PCI_STD_CFG)
			return vi_errf(err, -EPROTO, "capability pointer 0x%" PRIx32 " points %s", pos,
				       pos < 0x40 ? "into the header" : "past the 256-byte config space");
		if (hop >= PCI_STD_HOPS || (seen & (1ull << ((pos - 0x40) / 4))))
			return vi_errf(err, -EPROTO, "capability list loops (back to 0x%" PRIx32 ")", pos);
		seen |= 1ull << ((pos - 0x40) / 4);
		if (cfg[pos] == 0xff)
			return vi_errf(err, -EPROTO, "capability at 0x%" PRIx32 " reads 0xff (device gone?)", pos);
		if (passed && cfg[pos] == id) {
			*off = pos;
			return 0;
		}
		if (pos == after)
			passed = true;
		pos = cfg[pos + 1] & ~3u;
	}
	return vi_errf(err, -ENOENT, "capability 0x%02x not found", id);
}

int vi_pci_walk_ext(const uint8_t *cfg, size_t len, uint16_t id, uint32_t after, uint32_t *off,
	struct vi_err *err)
{
	uint32_t pos = PCI_STD_CFG;
	bool passed = after == 0;

	if (!cfg || !off)
		return vi_errf(err, -EINVAL, "NULL config space");
	if (len < PCI_STD_CFG + 4)
		return vi_errf(err, -ENOENT, "config space has no extended part (%zu bytes)", len);
	uint8_t seen[(PCI_EXT_CFG - PCI_STD_CFG) / 4 / 8] = { 0 }; /* one bit per dword */

	for (int hop = 0;; hop++) {
		uint32_t h, bit;

		if (pos < PCI_STD_CFG || pos + 4 > len || pos + 4 > PCI_EXT_CFG)
			return vi_errf(err, -EPROTO, "extended capability pointer 0x%" PRIx32 " is outside [0x100, 0x%zx)",
				       pos, len);
		bit = (pos - PCI_STD_CFG) / 4;
		if (hop >= PCI_EXT_HOPS || (seen[bit / 8] & (1u << (bit % 8))))
			return vi_errf(err, -EPROTO, "extended capability list loops (back to 0x%" PRIx32 ")", pos);
		seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
		h = le32(cfg + pos);
		/* an empty list is all zeros (conventional PCI, or nothing there); all ones: the device is gone */
		if (h == 0 || h == 0xffffffffu)
			break;
		if (passed && (h & 0xffff) == id) {
			*off = pos;
			return 0;
		}
		if (pos == after)
			passed = true;
		pos = (h >> 20) & ~3u;
		if (!pos)
			break;
	}
	return vi_errf(err, -ENOENT, "extended capability 0x%04x not found", id);
}

/* Read config space, @len bytes (256 or the whole region when it is bigger). */
static int read_cfg(struct vfioiommu_device *dev, uint8_t **out, size_t *len, bool ext)
{
	struct vi_region r;
	uint8_t *buf;
	size_t n;
	int rc = vi_dev_region_copy(dev, KABI_PCI_CONFIG_REGION, &r);

	if (rc < 0)
		return rc;
	n = r.size < PCI_STD_CFG ? (size_t)r.size : PCI_STD_CFG;
	if (ext)
		n = r.size < PCI_EXT_CFG ? (size_t)r.size : PCI_EXT_CFG;
	buf = calloc(1, n ? n : 1);
	if (!buf)
		return vi_fail(dev->ctx, -ENOMEM, "out of memory");
	rc = vfioiommu_region_read(dev, KABI_PCI_CONFIG_REGION, 0, buf, n);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int need_pci(struct vfioiommu_device *dev, const char *fn)
{
	const struct vi_device_info *info;
	int rc;

	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_dev_info_locked(dev, &info);
	if (rc == 0 && (!(info->flags & KABI_VFIO_DEVICE_FLAGS_PCI) || info->num_regions <= KABI_PCI_CONFIG_REGION))
		rc = vi_fail(dev->ctx, -EINVAL, "%s: %s is not a PCI device (device flags 0x%" PRIx32 ")", fn, dev->bdf,
			     info->flags);
	pthread_mutex_unlock(&dev->ctx->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_pci_config_read(vfioiommu_device *dev, uint32_t off, uint32_t width,
	uint32_t *val)
{
	uint8_t b[4] = { 0 };
	int rc;

	if (!dev)
		return -EINVAL;
	if (!val || (width != 1 && width != 2 && width != 4))
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_pci_config_read: width %" PRIu32 " (1, 2 or 4) or NULL val",
			       width);
	if ((rc = need_pci(dev, "vfioiommu_pci_config_read")) < 0)
		return rc;
	rc = vfioiommu_region_read(dev, KABI_PCI_CONFIG_REGION, off, b, width);
	if (rc < 0)
		return rc;
	*val = width == 1 ? b[0] : width == 2 ? le16(b) : le32(b);
	return 0;
}

VFIOIOMMU_API int vfioiommu_pci_config_write(vfioiommu_device *dev, uint32_t off, uint32_t width,
	uint32_t val)
{
	uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24) };
	int rc;

	if (!dev)
		return -EINVAL;
	if (width != 1 && width != 2 && width != 4)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_pci_config_write: width %" PRIu32 " (1, 2 or 4)", width);
	if ((rc = need_pci(dev, "vfioiommu_pci_config_write")) < 0)
		return rc;
	return vfioiommu_region_write(dev, KABI_PCI_CONFIG_REGION, off, b, width);
}

VFIOIOMMU_API int vfioiommu_pci_ids(vfioiommu_device *dev, struct vfioiommu_pci_ids *ids)
{
	uint8_t h[0x30];
	int rc;

	if (!dev)
		return -EINVAL;
	if (!ids)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_pci_ids: ids is NULL");
	if ((rc = need_pci(dev, "vfioiommu_pci_ids")) < 0)
		return rc;
	rc = vfioiommu_region_read(dev, KABI_PCI_CONFIG_REGION, 0, h, sizeof(h));
	if (rc < 0)
		return rc;
	ids->vendor = le16(h + 0x00);
	ids->device = le16(h + 0x02);
	ids->revision = h[0x08];
	ids->class_code = (uint32_t)h[0x09] | (uint32_t)h[0x0a] << 8 | (uint32_t)h[0x0b] << 16;
	ids->header_type = h[0x0e] & 0x7f;
	/* type 0 headers carry the subsystem ids at 0x2c; bridges have none there */
	ids->subsystem_vendor = ids->header_type == 0 ? le16(h + 0x2c) : 0;
	ids->subsystem = ids->header_type == 0 ? le16(h + 0x2e) : 0;
	return 0;
}

static int find(struct vfioiommu_device *dev, bool ext, uint16_t id, uint32_t after, uint32_t *off)
{
	const char *fn = ext ? "vfioiommu_pci_find_ext_cap" : "vfioiommu_pci_find_cap";
	struct vi_err err = { "" };
	uint8_t *cfg = NULL;
	size_t len = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!off)
		return vi_fail(dev->ctx, -EINVAL, "%s: off is NULL", fn);
	if ((rc = need_pci(dev, fn)) < 0)
		return rc;
	if ((rc = read_cfg(dev, &cfg, &len, ext)) < 0)
		return rc;
	rc = ext ? vi_pci_walk_ext(cfg, len, id, after, off, &err) : vi_pci_walk_std(cfg, len, (uint8_t)id, after, off, &err);
	free(cfg);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s config space: %s", dev->bdf, err.msg);
	return 0;
}

VFIOIOMMU_API int vfioiommu_pci_find_cap(vfioiommu_device *dev, uint8_t id, uint32_t after, uint32_t *off)
{
	return find(dev, false, id, after, off);
}

VFIOIOMMU_API int vfioiommu_pci_find_ext_cap(vfioiommu_device *dev, uint16_t id, uint32_t after,
	uint32_t *off)
{
	return find(dev, true, id, after, off);
}

VFIOIOMMU_API int vfioiommu_pci_map_bar(vfioiommu_device *dev, unsigned int bar, void **addr, uint64_t *len)
{
	struct vi_region r;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!addr || !len || bar > KABI_PCI_BAR5_REGION)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_pci_map_bar: BAR %u (0..5) or NULL argument", bar);
	*addr = NULL;
	*len = 0;
	if ((rc = need_pci(dev, "vfioiommu_pci_map_bar")) < 0)
		return rc;
	if ((rc = vi_dev_region_copy(dev, bar, &r)) < 0)
		return rc;
	if (!r.size)
		return vi_fail(dev->ctx, -ENOENT, "%s BAR%u is not implemented (size 0)", dev->bdf, bar);
	/* with SPARSE_MMAP areas that leave a hole, region_mmap refuses the whole BAR and names the areas */
	rc = vfioiommu_region_mmap(dev, bar, 0, r.size, 0, addr);
	if (rc == 0)
		*len = r.size;
	return rc;
}

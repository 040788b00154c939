/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The e1000e's device fd (FACTS.md section e), opened through the group
 * (arg VIA_GROUP) or through the cdev (arg VIA_CDEV): the kernel answers the
 * same on both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

#define VIA_GROUP 0
#define VIA_CDEV 1
#define CANARY32 0xeeeeeeeeu

struct devfd {
	int c, g, dev;
	struct cf_ifd s;
};

static int dev_open(struct cf_t *t, unsigned long via, struct devfd *d)
{
	*d = (struct devfd){ .c = -1, .g = -1, .dev = -1, .s = CF_IFD_INIT };
	if (via == VIA_CDEV) {
		if (cf_ifd_open(t, &d->s) < 0 || cf_ifd_bind(t, &d->s, 0) < 0)
			return -1;
		d->dev = d->s.dev;
		return 0;
	}
	if (cf_t1_setup(t, KABI_VFIO_TYPE1v2_IOMMU, &d->c, &d->g) < 0)
		return -1;
	d->dev = cf_get_device_fd(t, d->g, t->h->dev[0].bdf);
	return cf_rc(t, "setup: GET_DEVICE_FD", 0, d->dev) ? 0 : -1;
}

static void dev_close(struct cf_t *t, unsigned long via, struct devfd *d)
{
	if (via == VIA_CDEV) {
		cf_ifd_close(t, &d->s);
		return;
	}
	cf_close(t, &d->dev);
	cf_close(t, &d->g);
	cf_close(t, &d->c);
}

/* GET_INFO: argsz below 16 fails; no caps, so argsz is never grown; fields past argsz untouched. */
static void info(struct cf_t *t, unsigned long via)
{
	static const uint32_t sizes[] = { 8, 12, 16, 20, 24, 32 };
	uint8_t buf[64] __attribute__((aligned(8)));
	struct kabi_vfio_device_info *di = (void *)buf;
	struct devfd d;
	char w[96];

	if (dev_open(t, via, &d) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t sz = sizes[i];
		int rc;

		memset(buf, 0xee, sizeof(buf));
		di->argsz = sz;
		rc = cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_INFO, buf);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u", sz);
		if (sz < 16) {
			if (cf_rc(t, w, -EINVAL, rc))
				cf_hex(t, "DEVICE_GET_INFO argsz < 16: flags untouched", CANARY32, di->flags);
			continue;
		}
		if (!cf_rc(t, w, 0, rc))
			continue;
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: argsz out (no caps: not grown)", sz);
		cf_val(t, w, sz, di->argsz);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: flags (RESET|PCI)", sz);
		cf_hex(t, w, KABI_VFIO_DEVICE_FLAGS_RESET | KABI_VFIO_DEVICE_FLAGS_PCI, di->flags);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: num_regions", sz);
		cf_val(t, w, 9, di->num_regions);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: num_irqs", sz);
		cf_val(t, w, 5, di->num_irqs);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: cap_offset", sz);
		cf_hex(t, w, sz < 20 ? CANARY32 : 0, di->cap_offset);
		snprintf(w, sizeof(w), "DEVICE_GET_INFO argsz %u: pad", sz);
		cf_hex(t, w, sz < 24 ? CANARY32 : 0, di->pad);
	}
out:
	dev_close(t, via, &d);
}

/* The e1000e's regions, and the MSI-X BAR's capability chain. */
static void regions(struct cf_t *t, unsigned long via)
{
	static const struct { uint32_t flags; uint64_t size; } want[8] = {
		{ 0x7, 0x20000 }, { 0x7, 0x20000 }, { 0x3, 0x20 }, { 0xf, 0x4000 },
		{ 0x0, 0 }, { 0x0, 0 }, { 0x0, 0 }, { 0x3, 0x1000 },
	};
	uint8_t buf[256] __attribute__((aligned(8)));
	struct kabi_vfio_region_info *ri = (void *)buf;
	const struct kabi_vfio_info_cap_header *cap = (const void *)(buf + 32);
	struct devfd d;
	char w[96];

	if (dev_open(t, via, &d) < 0)
		goto out;
	for (uint32_t i = 0; i < 10; i++) {
		int rc;

		memset(buf, 0, sizeof(buf));
		ri->argsz = 32;
		ri->index = i;
		rc = cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_REGION_INFO, buf);
		snprintf(w, sizeof(w), "REGION_INFO %u", i);
		/* 8 (VGA: the NIC is not VGA) and 9 (past num_regions) do not exist */
		if (!cf_rc(t, w, i >= 8 ? -EINVAL : 0, rc) || i >= 8)
			continue;
		snprintf(w, sizeof(w), "REGION_INFO %u: flags", i);
		cf_hex(t, w, want[i].flags, ri->flags);
		snprintf(w, sizeof(w), "REGION_INFO %u: size", i);
		cf_hex(t, w, want[i].size, ri->size);
		snprintf(w, sizeof(w), "REGION_INFO %u: offset", i);
		cf_hex(t, w, (uint64_t)i << 40, ri->offset);
		snprintf(w, sizeof(w), "REGION_INFO %u argsz 32: argsz out", i);
		cf_val(t, w, i == 3 ? 40 : 32, ri->argsz);
		snprintf(w, sizeof(w), "REGION_INFO %u argsz 32: cap_offset", i);
		cf_val(t, w, 0, ri->cap_offset);
	}
	memset(buf, 0, sizeof(buf));
	ri->argsz = 40;
	ri->index = 3;
	if (cf_rc(t, "REGION_INFO 3 argsz 40", 0, cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_REGION_INFO, buf)) &&
	    cf_val(t, "REGION_INFO 3 argsz 40: cap_offset", 32, ri->cap_offset)) {
		cf_val(t, "REGION 3 cap id (MSIX_MAPPABLE, no SPARSE_MMAP)", KABI_REGION_CAP_MSIX_MAPPABLE, cap->id);
		cf_val(t, "REGION 3 cap version", 1, cap->version);
		cf_val(t, "REGION 3 cap next", 0, cap->next);
	}
	memset(buf, 0, sizeof(buf));
	ri->argsz = 16;
	cf_rc(t, "REGION_INFO argsz 16", -EINVAL, cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_REGION_INFO, buf));
out:
	dev_close(t, via, &d);
}

/* INTx, MSI, MSI-X (5 vectors), ERR, REQ. */
static void irqs(struct cf_t *t, unsigned long via)
{
	static const struct { uint32_t flags, count; } want[5] = {
		{ 0x7, 1 }, { 0x9, 1 }, { 0x1, 5 }, { 0x9, 1 }, { 0x9, 1 },
	};
	struct kabi_vfio_irq_info ii;
	struct devfd d;
	char w[96];

	if (dev_open(t, via, &d) < 0)
		goto out;
	for (uint32_t i = 0; i < 6; i++) {
		ii = (struct kabi_vfio_irq_info){ .argsz = sizeof(ii), .index = i };
		snprintf(w, sizeof(w), "IRQ_INFO %u", i);
		if (!cf_rc(t, w, i == 5 ? -EINVAL : 0, cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii)) || i == 5)
			continue;
		snprintf(w, sizeof(w), "IRQ_INFO %u: flags", i);
		cf_hex(t, w, want[i].flags, ii.flags);
		snprintf(w, sizeof(w), "IRQ_INFO %u: count", i);
		cf_val(t, w, want[i].count, ii.count);
	}
	ii = (struct kabi_vfio_irq_info){ .argsz = 12, .index = 0 };
	cf_rc(t, "IRQ_INFO argsz 12", -EINVAL, cf_io(t, d.dev, KABI_VFIO_DEVICE_GET_IRQ_INFO, &ii));
out:
	dev_close(t, via, &d);
}

/* VFIO_DEVICE_FEATURE(DMA_BUF) with one range; the fd, or -errno. */
static int dmabuf(struct cf_t *t, int dev, uint32_t flags, uint32_t argsz, uint32_t region, uint32_t nr,
		  uint64_t off, uint64_t len, uint32_t dflags)
{
	struct kabi_vfio_feature_dma_buf q = {
		.argsz = argsz, .flags = flags | KABI_VFIO_DEVICE_FEATURE_DMA_BUF, .region_index = region,
		.open_flags = O_RDWR | O_CLOEXEC, .dmabuf_flags = dflags, .nr_ranges = nr, .range = { { off, len } },
	};

	return cf_io(t, dev, KABI_VFIO_DEVICE_FEATURE, &q);
}

static void expect_dmabuf_fd(struct cf_t *t, const char *what, int rc)
{
	char b[32];

	if (rc < 0)
		cf_fail(t, "%s: expected a dma-buf fd got %s", what, cf_rcname(rc, b, sizeof(b)));
	else
		cf_close(t, &rc);
}

/*
 * A BAR slice exported as a dma-buf (FACTS.md section 7): page-aligned slices
 * of a memory BAR; an I/O BAR EINVAL, an unused BAR, the ROM and config space
 * ENODEV; through the group's device fd as through the cdev.
 */
static void dmabuf_export(struct cf_t *t, unsigned long via)
{
	const uint32_t get = KABI_VFIO_DEVICE_FEATURE_GET, full = sizeof(struct kabi_vfio_feature_dma_buf);
	struct devfd d;

	if (dev_open(t, via, &d) < 0)
		goto out;
	cf_rc(t, "PROBE|GET", 0, dmabuf(t, d.dev, KABI_VFIO_DEVICE_FEATURE_PROBE | get, 8, 0, 0, 0, 0, 0));
	cf_rc(t, "PROBE|SET", -EINVAL,
	      dmabuf(t, d.dev, KABI_VFIO_DEVICE_FEATURE_PROBE | KABI_VFIO_DEVICE_FEATURE_SET, 8, 0, 0, 0, 0, 0));
	expect_dmabuf_fd(t, "BAR0 whole", dmabuf(t, d.dev, get, full, 0, 1, 0, 0x20000, 0));
	expect_dmabuf_fd(t, "BAR0 first page", dmabuf(t, d.dev, get, full, 0, 1, 0, 0x1000, 0));
	expect_dmabuf_fd(t, "BAR1 first page", dmabuf(t, d.dev, get, full, 1, 1, 0, 0x1000, 0));
	cf_rc(t, "nr_ranges 0", -EINVAL, dmabuf(t, d.dev, get, full, 0, 0, 0, 0x1000, 0));
	cf_rc(t, "flags 1", -EINVAL, dmabuf(t, d.dev, get, full, 0, 1, 0, 0x1000, 1));
	cf_rc(t, "length 0", -EINVAL, dmabuf(t, d.dev, get, full, 0, 1, 0, 0, 0));
	cf_rc(t, "offset 0x800", -EINVAL, dmabuf(t, d.dev, get, full, 0, 1, 0x800, 0x1000, 0));
	cf_rc(t, "length 0x800", -EINVAL, dmabuf(t, d.dev, get, full, 0, 1, 0, 0x800, 0));
	cf_rc(t, "past the BAR's end", -EINVAL, dmabuf(t, d.dev, get, full, 0, 1, 0x1f000, 0x2000, 0));
	cf_rc(t, "argsz 16", -EINVAL, dmabuf(t, d.dev, get, 16, 0, 1, 0, 0x1000, 0));
	cf_rc(t, "region 2 (I/O BAR)", -EINVAL, dmabuf(t, d.dev, get, full, 2, 1, 0, 0x1000, 0));
	cf_rc(t, "region 4 (unused BAR)", -ENODEV, dmabuf(t, d.dev, get, full, 4, 1, 0, 0x1000, 0));
	cf_rc(t, "region 6 (ROM)", -ENODEV, dmabuf(t, d.dev, get, full, 6, 1, 0, 0x1000, 0));
	cf_rc(t, "region 7 (config)", -ENODEV, dmabuf(t, d.dev, get, full, 7, 1, 0, 0x1000, 0));
out:
	dev_close(t, via, &d);
}

const struct cf_case cf_cases_device[] = {
	{ "device.info.group", info, VIA_GROUP, 0, NULL, NULL },
	{ "device.info.cdev", info, VIA_CDEV, 0, NULL, NULL },
	{ "device.regions.group", regions, VIA_GROUP, 0, NULL, NULL },
	{ "device.regions.cdev", regions, VIA_CDEV, 0, NULL, NULL },
	{ "device.irqs.group", irqs, VIA_GROUP, 0, NULL, NULL },
	{ "device.irqs.cdev", irqs, VIA_CDEV, 0, NULL, NULL },
	{ "device.dmabuf.group", dmabuf_export, VIA_GROUP, 0, NULL, NULL },
	{ "device.dmabuf.cdev", dmabuf_export, VIA_CDEV, 0, NULL, NULL },
};
const size_t cf_ncases_device = sizeof(cf_cases_device) / sizeof(cf_cases_device[0]);

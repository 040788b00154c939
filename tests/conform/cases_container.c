/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The VFIO container and type1 through the door (FACTS.md sections d, a, b).
 * Cases with an arg run once with VFIO_TYPE1v2_IOMMU (3) and once with
 * VFIO_TYPE1_IOMMU (1); everything but partial unmaps behaves the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

#define RW (KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE)
#define ALL KABI_VFIO_DMA_UNMAP_FLAG_ALL
#define CANARY32 0xeeeeeeeeu
#define CANARY64 0xeeeeeeeeeeeeeeeeull

static void map_ok(struct cf_t *t, int c, uint64_t off, uint64_t iova, uint64_t size, const char *what)
{
	cf_rc(t, what, 0, cf_t1_map(t, c, 32, RW, cf_va(t, off), iova, size));
}

static void map_expect(struct cf_t *t, int c, int exp, uint64_t iova, uint64_t size, const char *what)
{
	cf_rc(t, what, exp, cf_t1_map(t, c, 32, RW, cf_va(t, 0), iova, size));
}

/* UNMAP: outcome, and the size written back (or left alone on failure). */
static void unmap_expect(struct cf_t *t, int c, uint32_t flags, uint64_t iova, uint64_t size, int exp,
			 uint64_t size_out, const char *what)
{
	char w[160];
	uint64_t sz = size;

	if (!cf_rc(t, what, exp, cf_t1_unmap(t, c, flags, iova, &sz)))
		return;
	snprintf(w, sizeof(w), "%s: size written back", what);
	cf_hex(t, w, size_out, sz);
}

static void close_all(struct cf_t *t, int *c, int *g)
{
	cf_close(t, g);
	cf_close(t, c);
}

/* A fresh container: API version, extensions, what needs a group first. */
static void api(struct cf_t *t, unsigned long arg)
{
	/* FACTS d: 1:1 2:0 3:1 4:0 5:0 6:0 7:0 8:0 9:1 10:0 with no driver yet */
	static const int ext[11] = { 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0 };
	struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c = cf_open(t, "/dev/vfio/vfio");
	char w[64];

	if (!cf_rc(t, "open /dev/vfio/vfio", 0, c))
		return;
	cf_val(t, "GET_API_VERSION", 0, cf_iov(t, c, KABI_VFIO_GET_API_VERSION, 0));
	for (unsigned int id = 1; id <= 10; id++) {
		snprintf(w, sizeof(w), "CHECK_EXTENSION(%u) on a fresh container", id);
		cf_val(t, w, ext[id], cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, id));
	}
	cf_rc(t, "GET_INFO before SET_IOMMU", -EINVAL, cf_io(t, c, KABI_VFIO_IOMMU_GET_INFO, &info));
	cf_rc(t, "SET_IOMMU(type1v2) with no group", -EINVAL,
	      cf_iov(t, c, KABI_VFIO_SET_IOMMU, KABI_VFIO_TYPE1v2_IOMMU));
	cf_rc(t, "unknown container ioctl nr 99", -EINVAL, cf_iov(t, c, KABI_IO(99), 0));
	cf_close(t, &c);
	(void)arg;
}

/* Group status, SET_CONTAINER and SET_IOMMU ordering. */
static void group_order(struct cf_t *t, unsigned long arg)
{
	static const int ext[11] = { 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0 };
	struct kabi_vfio_group_status st = { .argsz = 4 };
	const struct cf_dev *d = &t->h->dev[0];
	char path[64], w[96];
	int c = -1, g = -1, dev;
	int32_t cfd;

	c = cf_open(t, "/dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%u", d->group);
	g = cf_open(t, path);
	if (!cf_rc(t, "open /dev/vfio/vfio", 0, c) || !cf_rc(t, "open group", 0, g))
		goto out;
	cf_rc(t, "GROUP_GET_STATUS argsz 4", -EINVAL, cf_io(t, g, KABI_VFIO_GROUP_GET_STATUS, &st));
	st = (struct kabi_vfio_group_status){ .argsz = sizeof(st) };
	if (cf_rc(t, "GROUP_GET_STATUS", 0, cf_io(t, g, KABI_VFIO_GROUP_GET_STATUS, &st)))
		cf_hex(t, "GROUP_GET_STATUS flags before SET_CONTAINER", KABI_VFIO_GROUP_FLAGS_VIABLE, st.flags);
	dev = cf_get_device_fd(t, g, d->bdf);
	if (!cf_rc(t, "GET_DEVICE_FD before SET_CONTAINER", -EINVAL, dev) && dev >= 0)
		cf_close(t, &dev);
	cfd = c;
	if (!cf_rc(t, "GROUP_SET_CONTAINER", 0, cf_io(t, g, KABI_VFIO_GROUP_SET_CONTAINER, &cfd)))
		goto out;
	cf_rc(t, "GROUP_SET_CONTAINER again", -EINVAL, cf_io(t, g, KABI_VFIO_GROUP_SET_CONTAINER, &cfd));
	st = (struct kabi_vfio_group_status){ .argsz = sizeof(st) };
	if (cf_rc(t, "GROUP_GET_STATUS", 0, cf_io(t, g, KABI_VFIO_GROUP_GET_STATUS, &st)))
		cf_hex(t, "GROUP_GET_STATUS flags after SET_CONTAINER",
		       KABI_VFIO_GROUP_FLAGS_VIABLE | KABI_VFIO_GROUP_FLAGS_CONTAINER_SET, st.flags);
	for (unsigned int id = 1; id <= 10; id++) {
		snprintf(w, sizeof(w), "CHECK_EXTENSION(%u) with a group, before SET_IOMMU", id);
		cf_val(t, w, ext[id], cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, id));
	}
	dev = cf_get_device_fd(t, g, d->bdf);
	if (!cf_rc(t, "GET_DEVICE_FD before SET_IOMMU", -EINVAL, dev) && dev >= 0)
		cf_close(t, &dev);
	cf_rc(t, "SET_IOMMU(2, SPAPR)", -ENODEV, cf_iov(t, c, KABI_VFIO_SET_IOMMU, KABI_VFIO_SPAPR_TCE_IOMMU));
	cf_rc(t, "SET_IOMMU(8, NOIOMMU)", -ENODEV, cf_iov(t, c, KABI_VFIO_SET_IOMMU, KABI_VFIO_NOIOMMU_IOMMU));
	cf_rc(t, "SET_IOMMU(99)", -ENODEV, cf_iov(t, c, KABI_VFIO_SET_IOMMU, 99));
	if (!cf_rc(t, "SET_IOMMU(type1v2)", 0, cf_iov(t, c, KABI_VFIO_SET_IOMMU, KABI_VFIO_TYPE1v2_IOMMU)))
		goto out;
	cf_rc(t, "SET_IOMMU(type1v2) again", -EINVAL, cf_iov(t, c, KABI_VFIO_SET_IOMMU, KABI_VFIO_TYPE1v2_IOMMU));
	cf_val(t, "CHECK_EXTENSION(TYPE1v2) after SET_IOMMU", 1, cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, 3));
	cf_val(t, "CHECK_EXTENSION(UNMAP_ALL) after SET_IOMMU", 1, cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, 9));
	cf_val(t, "CHECK_EXTENSION(NOIOMMU) after SET_IOMMU", 0, cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, 8));
	cf_val(t, "CHECK_EXTENSION(UPDATE_VADDR) after SET_IOMMU(type1v2)", 1,
	       cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, KABI_VFIO_UPDATE_VADDR));
	cf_val(t, "CHECK_EXTENSION(DMA_CC_IOMMU) after SET_IOMMU(type1v2)", t->h->topo->dma_cc_after_v2,
	       cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, KABI_VFIO_DMA_CC_IOMMU));
out:
	close_all(t, &c, &g);
	(void)arg;
}

/* GET_INFO argsz handling: too small, growth, caps only when they fit, argsz kept when bigger. */
static void get_info(struct cf_t *t, unsigned long type)
{
	const struct cf_topo *tp = t->h->topo;
	const uint32_t need = tp->type1_info_argsz;
	const uint32_t sizes[] = { 8, 12, 16, 20, 24, need - 1, need, need + 1, 4096 };
	uint8_t buf[4096] __attribute__((aligned(8)));
	struct kabi_vfio_iommu_type1_info *info = (void *)buf;
	int c = -1, g = -1;
	char w[96];

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t sz = sizes[i];
		int rc;

		memset(buf, 0xee, sizeof(buf));
		info->argsz = sz;
		info->flags = 0;
		rc = cf_io(t, c, KABI_VFIO_IOMMU_GET_INFO, buf);
		snprintf(w, sizeof(w), "GET_INFO argsz %u", sz);
		if (sz < 16) {
			if (cf_rc(t, w, -EINVAL, rc))
				cf_hex(t, "GET_INFO argsz < 16: iova_pgsizes untouched", CANARY64, info->iova_pgsizes);
			continue;
		}
		if (!cf_rc(t, w, 0, rc))
			continue;
		snprintf(w, sizeof(w), "GET_INFO argsz %u: argsz out", sz);
		cf_val(t, w, sz < need ? need : sz, info->argsz);
		snprintf(w, sizeof(w), "GET_INFO argsz %u: flags", sz);
		cf_hex(t, w, KABI_VFIO_IOMMU_INFO_PGSIZES | KABI_VFIO_IOMMU_INFO_CAPS, info->flags);
		snprintf(w, sizeof(w), "GET_INFO argsz %u: iova_pgsizes", sz);
		cf_hex(t, w, tp->iova_pgsizes, info->iova_pgsizes);
		snprintf(w, sizeof(w), "GET_INFO argsz %u: cap_offset", sz);
		/* argsz 16 copies 16 bytes only; below the needed size caps are not copied (offset 0) */
		cf_hex(t, w, sz == 16 ? CANARY32 : sz < need ? 0 : 24, info->cap_offset);
		if (sz == 20) {
			cf_hex(t, "GET_INFO argsz 20: pad untouched", CANARY32, info->pad);
		} else if (sz >= 24) {
			snprintf(w, sizeof(w), "GET_INFO argsz %u: pad", sz);
			cf_hex(t, w, 0, info->pad);
			snprintf(w, sizeof(w), "GET_INFO argsz %u: byte 24", sz);
			cf_hex(t, w, sz < need ? 0xee : KABI_TYPE1_CAP_MIGRATION, buf[24]);
		}
	}
out:
	close_all(t, &c, &g);
}

/* The capability chain: MIGRATION@24 -> DMA_AVAIL@56 -> IOVA_RANGE@72. */
static void caps(struct cf_t *t, unsigned long type)
{
	const struct cf_topo *tp = t->h->topo;
	uint8_t buf[4096] __attribute__((aligned(8))) = { 0 };
	struct kabi_vfio_iommu_type1_info *info = (void *)buf;
	const struct kabi_type1_cap_migration *mig = (const void *)(buf + 24);
	const struct kabi_type1_cap_dma_avail *av = (const void *)(buf + 56);
	const struct kabi_type1_cap_iova_range *ir = (const void *)(buf + 72);
	struct kabi_iommu_iova_range got[CF_MAX_RANGES];
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	info->argsz = sizeof(buf);
	if (!cf_rc(t, "GET_INFO argsz 4096", 0, cf_io(t, c, KABI_VFIO_IOMMU_GET_INFO, buf)))
		goto out;
	cf_val(t, "argsz (bigger than needed: left as passed)", 4096, info->argsz);
	if (!cf_val(t, "cap_offset", 24, info->cap_offset))
		goto out;
	cf_val(t, "cap@24 id (MIGRATION)", KABI_TYPE1_CAP_MIGRATION, mig->header.id);
	cf_val(t, "cap@24 version", 1, mig->header.version);
	cf_val(t, "cap@24 next", 56, mig->header.next);
	cf_hex(t, "MIGRATION flags", 0, mig->flags);
	cf_hex(t, "MIGRATION pgsize_bitmap", 0x1000, mig->pgsize_bitmap);
	cf_hex(t, "MIGRATION max_dirty_bitmap_size", 0x10000000, mig->max_dirty_bitmap_size);
	cf_val(t, "cap@56 id (DMA_AVAIL)", KABI_TYPE1_CAP_DMA_AVAIL, av->header.id);
	cf_val(t, "cap@56 version", 1, av->header.version);
	cf_val(t, "cap@56 next", 72, av->header.next);
	cf_val(t, "DMA_AVAIL avail", 65535, av->avail);
	cf_val(t, "cap@72 id (IOVA_RANGE)", KABI_TYPE1_CAP_IOVA_RANGE, ir->header.id);
	cf_val(t, "cap@72 version", 1, ir->header.version);
	cf_val(t, "cap@72 next", 0, ir->header.next);
	if (cf_val(t, "IOVA_RANGE nr_iovas", tp->nranges, ir->nr_iovas)) {
		for (uint32_t i = 0; i < ir->nr_iovas && i < CF_MAX_RANGES; i++) {
			got[i].start = ir->iova_ranges[i].start;
			got[i].last = ir->iova_ranges[i].end;
		}
		cf_ranges(t, "IOVA_RANGE", tp->ranges, tp->nranges, got, ir->nr_iovas);
	}
out:
	close_all(t, &c, &g);
}

/* DMA_AVAIL counts mappings, not bytes; UNMAP ALL gives them all back. */
static void dma_avail(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	cf_val(t, "DMA_AVAIL initially", 65535, cf_t1_dma_avail(t, c));
	map_ok(t, c, 0, 0x100000, 0x1000, "MAP 0x100000+0x1000");
	cf_val(t, "DMA_AVAIL after one MAP", 65534, cf_t1_dma_avail(t, c));
	map_ok(t, c, 0x1000, 0x101000, 0x1000, "MAP adjacent 0x101000+0x1000");
	cf_val(t, "DMA_AVAIL after an adjacent MAP (a separate entry)", 65533, cf_t1_dma_avail(t, c));
	unmap_expect(t, c, ALL, 0, 0, 0, 0x2000, "UNMAP ALL");
	cf_val(t, "DMA_AVAIL after UNMAP ALL", 65535, cf_t1_dma_avail(t, c));
out:
	close_all(t, &c, &g);
}

/* Six overlap shapes give EEXIST; touching is fine. */
static void map_overlap(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	if (!cf_rc(t, "MAP 0x100000+0x10000", 0, cf_t1_map(t, c, 32, RW, cf_va(t, 0), 0x100000, 0x10000)))
		goto out;
	map_expect(t, c, -EEXIST, 0x100000, 0x10000, "MAP the exact same range");
	map_expect(t, c, -EEXIST, 0x100000, 0x1000, "MAP same iova, smaller");
	map_expect(t, c, -EEXIST, 0x108000, 0x10000, "MAP overlapping the tail 0x108000+0x10000");
	map_expect(t, c, -EEXIST, 0xf8000, 0x10000, "MAP overlapping the head 0xf8000+0x10000");
	map_expect(t, c, -EEXIST, 0x104000, 0x1000, "MAP inside 0x104000+0x1000");
	map_expect(t, c, -EEXIST, 0xf0000, 0x30000, "MAP covering 0xf0000+0x30000");
	map_ok(t, c, 0x10000, 0x110000, 0x1000, "MAP adjacent after 0x110000+0x1000");
	unmap_expect(t, c, ALL, 0, 0, 0, 0x11000, "UNMAP ALL");
out:
	close_all(t, &c, &g);
}

/* The MSI window and the top of the usable space. */
static void map_window(struct cf_t *t, unsigned long type)
{
	const struct cf_topo *tp = t->h->topo;
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_expect(t, c, -EINVAL, 0xfee00000, 0x1000, "MAP in the MSI window 0xfee00000");
	map_expect(t, c, -EINVAL, 0xfedff000, 0x2000, "MAP straddling the MSI window 0xfedff000+0x2000");
	map_expect(t, c, 0, 0xfedff000, 0x1000, "MAP just below the MSI window 0xfedff000+0x1000");
	map_expect(t, c, 0, (1ull << 39) - 0x1000, 0x1000, "MAP at 2^39-4K");
	map_expect(t, c, tp->map_at_2_39, 1ull << 39, 0x1000, "MAP at 2^39");
	/* virtio: the whole 64-bit space but the MSI window (FACTS: ok / ok / ok / ok) */
	map_expect(t, c, tp->usable_to_top ? 0 : -EINVAL, 1ull << 48, 0x1000, "MAP at 2^48");
	map_expect(t, c, tp->usable_to_top ? 0 : -EINVAL, 0xfd00000000ull, 0x1000, "MAP at 0xfd00000000 (AMD HT hole)");
	map_expect(t, c, tp->usable_to_top ? 0 : -EINVAL, 0xfffffffffffff000ull, 0x1000, "MAP at the top page");
	unmap_expect(t, c, ALL, 0, 0, 0, (tp->map_at_2_39 == 0 ? 0x3000 : 0x2000) + (tp->usable_to_top ? 0x3000 : 0),
		     "UNMAP ALL");
out:
	close_all(t, &c, &g);
}

/* Argument checks of MAP_DMA. */
static void map_args(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_expect(t, c, -EOVERFLOW, 0xfffffffffffff000ull, 0x2000, "MAP iova+size wraps");
	map_expect(t, c, -EINVAL, 0x200800, 0x1000, "MAP misaligned iova 0x200800");
	map_expect(t, c, -EINVAL, 0x200000, 0x800, "MAP misaligned size 0x800");
	cf_rc(t, "MAP misaligned vaddr +0x800", -EINVAL, cf_t1_map(t, c, 32, RW, cf_va(t, 0x800), 0x200000, 0x1000));
	map_expect(t, c, -EINVAL, 0x200000, 0, "MAP size 0");
	cf_rc(t, "MAP without READ or WRITE", -EINVAL, cf_t1_map(t, c, 32, 0, cf_va(t, 0), 0x200000, 0x1000));
	cf_rc(t, "MAP unknown flag 1<<3", -EINVAL, cf_t1_map(t, c, 32, RW | (1u << 3), cf_va(t, 0), 0x200000, 0x1000));
	cf_rc(t, "MAP flag VADDR on a range never mapped", -ENOENT,
	      cf_t1_map(t, c, 32, KABI_VFIO_DMA_MAP_FLAG_VADDR, cf_va(t, 0), 0x2a0000, 0x1000));
	cf_rc(t, "MAP argsz 24", -EINVAL, cf_t1_map(t, c, 24, RW, cf_va(t, 0), 0x200000, 0x1000));
	cf_rc(t, "MAP argsz 31", -EINVAL, cf_t1_map(t, c, 31, RW, cf_va(t, 0), 0x200000, 0x1000));
	cf_rc(t, "MAP argsz 64", 0, cf_t1_map(t, c, 64, RW, cf_va(t, 0), 0x2b0000, 0x1000));
	cf_rc(t, "MAP read-only", 0, cf_t1_map(t, c, 32, KABI_VFIO_DMA_MAP_FLAG_READ, cf_va(t, 0), 0x280000, 0x1000));
	cf_rc(t, "MAP write-only", 0, cf_t1_map(t, c, 32, KABI_VFIO_DMA_MAP_FLAG_WRITE, cf_va(t, 0), 0x290000, 0x1000));
	cf_rc(t, "MAP at iova 0", 0, cf_t1_map(t, c, 32, RW, cf_va(t, 0x20000), 0, 0x1000));
	unmap_expect(t, c, ALL, 0, 0, 0, 0x4000, "UNMAP ALL");
out:
	close_all(t, &c, &g);
}

/* Argument checks of UNMAP_DMA; a failed UNMAP writes nothing back. */
static void unmap_args(struct cf_t *t, unsigned long type)
{
	struct kabi_vfio_dma_unmap u16 = { .argsz = 16, .iova = 0x40000000, .size = 0x1000 };
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_ok(t, c, 0, 0x100000, 0x10000, "MAP 0x100000+0x10000");
	unmap_expect(t, c, 0, 0x40000000, 0x1000, 0, 0, "UNMAP where nothing is mapped");
	unmap_expect(t, c, 0, 0x100000, 0, -EINVAL, 0, "UNMAP size 0");
	unmap_expect(t, c, 0, 0x100800, 0x1000, -EINVAL, 0x1000, "UNMAP misaligned iova");
	unmap_expect(t, c, 0, 0x100000, 0x800, -EINVAL, 0x800, "UNMAP misaligned size");
	unmap_expect(t, c, 1u << 5, 0x100000, 0x1000, -EINVAL, 0x1000, "UNMAP unknown flag 1<<5");
	cf_rc(t, "UNMAP argsz 16", -EINVAL, cf_io(t, c, KABI_VFIO_IOMMU_UNMAP_DMA, &u16));
	unmap_expect(t, c, ALL, 0x1000, 0, -EINVAL, 0, "UNMAP ALL with iova != 0");
	unmap_expect(t, c, ALL, 0, 0x1000, -EINVAL, 0x1000, "UNMAP ALL with size != 0");
	unmap_expect(t, c, ALL | KABI_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0, 0, -EINVAL, 0,
		     "UNMAP ALL|GET_DIRTY_BITMAP");
	unmap_expect(t, c, ALL, 0, 0, 0, 0x10000, "UNMAP ALL");
	unmap_expect(t, c, ALL, 0, 0, 0, 0, "UNMAP ALL again (empty)");
out:
	close_all(t, &c, &g);
}

/* type1v2: an UNMAP that would split a mapping fails, atomically. */
static void unmap_split_v2(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_ok(t, c, 0, 0x600000, 0x10000, "MAP 0x600000+0x10000");
	unmap_expect(t, c, 0, 0x604000, 0x4000, -EINVAL, 0x4000, "UNMAP the middle 0x604000+0x4000");
	unmap_expect(t, c, 0, 0x600000, 0x4000, -EINVAL, 0x4000, "UNMAP the head 0x600000+0x4000");
	unmap_expect(t, c, 0, 0x600000, 0x10000, 0, 0x10000, "UNMAP the whole 0x600000+0x10000");
	map_ok(t, c, 0, 0x700000, 0x10000, "MAP 0x700000+0x10000");
	unmap_expect(t, c, 0, 0x70c000, 0x8000, -EINVAL, 0x8000, "UNMAP the tail 0x70c000+0x8000");
	unmap_expect(t, c, 0, 0x700000, 0x10000, 0, 0x10000, "UNMAP the whole 0x700000+0x10000");
	map_ok(t, c, 0, 0xc00000, 0x2000, "MAP A 0xc00000+0x2000");
	map_ok(t, c, 0, 0xc10000, 0x2000, "MAP B 0xc10000+0x2000");
	unmap_expect(t, c, 0, 0xc00000, 0x11000, -EINVAL, 0x11000, "UNMAP covering A and splitting B");
	map_expect(t, c, -EEXIST, 0xc00000, 0x2000, "MAP A again (still mapped: the failed UNMAP was atomic)");
	map_expect(t, c, -EEXIST, 0xc10000, 0x2000, "MAP B again (still mapped)");
	unmap_expect(t, c, 0, 0xc00000, 0x20000, 0, 0x4000, "UNMAP 0xc00000+0x20000");
	map_ok(t, c, 0, 0xa00000, 0x200000, "MAP 2 MiB at 0xa00000");
	unmap_expect(t, c, 0, 0xa00000, 0x1000, -EINVAL, 0x1000, "UNMAP the first 4K of the 2 MiB mapping");
	unmap_expect(t, c, 0, 0xa00000, 0x200000, 0, 0x200000, "UNMAP the 2 MiB mapping");
out:
	close_all(t, &c, &g);
}

/* type1 (v1): a middle/tail UNMAP does nothing; one covering the first iova removes the whole mapping. */
static void unmap_split_v1(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_ok(t, c, 0, 0x600000, 0x10000, "MAP 0x600000+0x10000");
	unmap_expect(t, c, 0, 0x604000, 0x4000, 0, 0, "UNMAP the middle 0x604000+0x4000");
	unmap_expect(t, c, 0, 0x600000, 0x4000, 0, 0x10000, "UNMAP the head 0x600000+0x4000 (whole mapping goes)");
	unmap_expect(t, c, 0, 0x600000, 0x10000, 0, 0, "UNMAP 0x600000+0x10000 after that");
	map_ok(t, c, 0, 0x700000, 0x10000, "MAP 0x700000+0x10000");
	unmap_expect(t, c, 0, 0x70c000, 0x8000, 0, 0, "UNMAP the tail 0x70c000+0x8000");
	unmap_expect(t, c, 0, 0x700000, 0x10000, 0, 0x10000, "UNMAP the whole 0x700000+0x10000");
	map_ok(t, c, 0, 0xc00000, 0x2000, "MAP A 0xc00000+0x2000");
	map_ok(t, c, 0, 0xc10000, 0x2000, "MAP B 0xc10000+0x2000");
	unmap_expect(t, c, 0, 0xc00000, 0x11000, 0, 0x4000, "UNMAP covering A and B's first page");
	map_expect(t, c, 0, 0xc00000, 0x2000, "MAP A again (it was unmapped)");
	map_expect(t, c, 0, 0xc10000, 0x2000, "MAP B again (it was unmapped whole)");
	unmap_expect(t, c, 0, 0xc00000, 0x20000, 0, 0x4000, "UNMAP 0xc00000+0x20000");
	map_ok(t, c, 0, 0xa00000, 0x200000, "MAP 2 MiB at 0xa00000");
	unmap_expect(t, c, 0, 0xa00000, 0x1000, 0, 0x200000, "UNMAP the first 4K of the 2 MiB mapping");
	unmap_expect(t, c, 0, 0xa00000, 0x200000, 0, 0, "UNMAP the 2 MiB range after that");
out:
	close_all(t, &c, &g);
}

/* UNMAP of several whole mappings reports the sum; gaps do not count. */
static void unmap_multi(struct cf_t *t, unsigned long type)
{
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	map_ok(t, c, 0, 0x800000, 0x10000, "MAP 0x800000+0x10000");
	map_ok(t, c, 0x10000, 0x810000, 0x10000, "MAP 0x810000+0x10000");
	unmap_expect(t, c, 0, 0x800000, 0x20000, 0, 0x20000, "UNMAP two whole adjacent mappings");
	map_ok(t, c, 0, 0x900000, 0x1000, "MAP 0x900000+0x1000");
	map_ok(t, c, 0x1000, 0x980000, 0x1000, "MAP 0x980000+0x1000");
	unmap_expect(t, c, 0, 0x8f0000, 0x100000, 0, 0x2000, "UNMAP a range holding two mappings and gaps");
	map_ok(t, c, 0, 0x100000, 0x10000, "MAP 0x100000+0x10000");
	map_ok(t, c, 0, 0x400000, 0x200000, "MAP 0x400000+0x200000");
	unmap_expect(t, c, ALL, 0, 0, 0, 0x210000, "UNMAP ALL");
	unmap_expect(t, c, ALL, 0, 0, 0, 0, "UNMAP ALL again (empty)");
out:
	close_all(t, &c, &g);
}

/* Device fds pin the group in its container; the container is useless once the last group left. */
static void unset_container(struct cf_t *t, unsigned long arg)
{
	struct kabi_vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	const struct cf_dev *d = &t->h->dev[0];
	int c = -1, g = -1, d1 = -1, d2 = -1, bad;

	if (cf_t1_setup(t, KABI_VFIO_TYPE1v2_IOMMU, &c, &g) < 0)
		goto out;
	bad = cf_get_device_fd(t, g, "0000:ff:1f.7");
	if (!cf_rc(t, "GET_DEVICE_FD of an unknown name", -ENODEV, bad) && bad >= 0)
		cf_close(t, &bad);
	d1 = cf_get_device_fd(t, g, d->bdf);
	if (!cf_rc(t, "GET_DEVICE_FD", 0, d1))
		goto out;
	d2 = cf_get_device_fd(t, g, d->bdf);
	cf_rc(t, "GET_DEVICE_FD a second time (allowed)", 0, d2);
	cf_rc(t, "GROUP_UNSET_CONTAINER with a device fd open", -EBUSY,
	      cf_iov(t, g, KABI_VFIO_GROUP_UNSET_CONTAINER, 0));
	cf_close(t, &d2);
	cf_close(t, &d1);
	cf_rc(t, "GROUP_UNSET_CONTAINER", 0, cf_iov(t, g, KABI_VFIO_GROUP_UNSET_CONTAINER, 0));
	cf_rc(t, "GROUP_UNSET_CONTAINER again", -EINVAL, cf_iov(t, g, KABI_VFIO_GROUP_UNSET_CONTAINER, 0));
	cf_rc(t, "GET_INFO after the last group left", -EINVAL, cf_io(t, c, KABI_VFIO_IOMMU_GET_INFO, &info));
	map_expect(t, c, -EINVAL, 0x100000, 0x1000, "MAP after the last group left");
out:
	cf_close(t, &d2);
	cf_close(t, &d1);
	close_all(t, &c, &g);
	(void)arg;
}

/* Live update's VFIO_UPDATE_VADDR (FACTS n): addresses dropped and given again, the mappings kept. */
static void vaddr_update(struct cf_t *t, unsigned long type)
{
	const uint32_t V = KABI_VFIO_DMA_MAP_FLAG_VADDR, UV = KABI_VFIO_DMA_UNMAP_FLAG_VADDR;
	int c = -1, g = -1;

	if (cf_t1_setup(t, type, &c, &g) < 0)
		goto out;
	cf_val(t, "CHECK_EXTENSION(UPDATE_VADDR) after SET_IOMMU", 1,
	      cf_iov(t, c, KABI_VFIO_CHECK_EXTENSION, KABI_VFIO_UPDATE_VADDR));
	map_ok(t, c, 0, 0x100000, 0x10000, "MAP 0x100000+0x10000");
	cf_rc(t, "MAP VADDR on a mapping whose address is valid", -EINVAL,
	      cf_t1_map(t, c, 32, V, cf_va(t, 0x10000), 0x100000, 0x10000));
	unmap_expect(t, c, UV, 0x100000, 0x10000, 0, 0x10000, "UNMAP VADDR exact");
	unmap_expect(t, c, UV, 0x100000, 0x10000, -EINVAL, 0x10000, "UNMAP VADDR again");
	cf_rc(t, "MAP VADDR half the size", -EINVAL, cf_t1_map(t, c, 32, V, cf_va(t, 0x10000), 0x100000, 0x8000));
	cf_rc(t, "MAP VADDR with READ", -EINVAL,
	      cf_t1_map(t, c, 32, V | KABI_VFIO_DMA_MAP_FLAG_READ, cf_va(t, 0x10000), 0x100000, 0x10000));
	cf_rc(t, "MAP VADDR where nothing is mapped", -ENOENT,
	      cf_t1_map(t, c, 32, V, cf_va(t, 0x10000), 0x200000, 0x10000));
	map_expect(t, c, -EEXIST, 0x100000, 0x10000, "plain MAP over the invalidated mapping");
	cf_rc(t, "MAP VADDR exact, another address", 0, cf_t1_map(t, c, 32, V, cf_va(t, 0x10000), 0x100000, 0x10000));
	unmap_expect(t, c, UV | ALL, 0, 0, 0, 0x10000, "UNMAP VADDR|ALL");
	unmap_expect(t, c, UV | ALL, 0, 0, -EINVAL, 0, "UNMAP VADDR|ALL again");
	unmap_expect(t, c, 0, 0x100000, 0x10000, 0, 0x10000, "plain UNMAP while the address is invalid");
out:
	close_all(t, &c, &g);
}

#define V2 KABI_VFIO_TYPE1v2_IOMMU
#define V1 KABI_VFIO_TYPE1_IOMMU

const struct cf_case cf_cases_container[] = {
	{ "container.api", api, 0, 0, NULL, NULL },
	{ "container.group_order", group_order, 0, 0, NULL, NULL },
	{ "type1v2.get_info_argsz", get_info, V2, 0, NULL, NULL },
	{ "type1.get_info_argsz", get_info, V1, 0, NULL, NULL },
	{ "type1v2.caps", caps, V2, 0, NULL, NULL },
	{ "type1.caps", caps, V1, 0, NULL, NULL },
	{ "type1v2.dma_avail", dma_avail, V2, 0, NULL, NULL },
	{ "type1.dma_avail", dma_avail, V1, 0, NULL, NULL },
	{ "type1v2.map_overlap", map_overlap, V2, 0, NULL, NULL },
	{ "type1.map_overlap", map_overlap, V1, 0, NULL, NULL },
	{ "type1v2.map_window", map_window, V2, 0, NULL, NULL },
	{ "type1.map_window", map_window, V1, 0, NULL, NULL },
	{ "type1v2.map_args", map_args, V2, 0, NULL, NULL },
	{ "type1.map_args", map_args, V1, 0, NULL, NULL },
	{ "type1v2.unmap_args", unmap_args, V2, 0, NULL, NULL },
	{ "type1.unmap_args", unmap_args, V1, 0, NULL, NULL },
	{ "type1v2.unmap_split", unmap_split_v2, V2, 0, NULL, NULL },
	{ "type1.unmap_split", unmap_split_v1, V1, 0, NULL, NULL },
	{ "type1v2.unmap_multi", unmap_multi, V2, 0, NULL, NULL },
	{ "type1.unmap_multi", unmap_multi, V1, 0, NULL, NULL },
	{ "group.unset_container", unset_container, 0, 0, NULL, NULL },
	{ "type1v2.vaddr_update", vaddr_update, V2, 0, NULL, NULL },
	{ "type1.vaddr_update", vaddr_update, V1, 0, NULL, NULL },
};
const size_t cf_ncases_container = sizeof(cf_cases_container) / sizeof(cf_cases_container[0]);

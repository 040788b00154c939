/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock kernel's device model: what a vfio-pci device fd serves beyond
 * BIND/ATTACH/DETACH (vfio.c routes the rest here): GET_INFO, REGION_INFO
 * with its capabilities, IRQ_INFO, SET_IRQS, RESET, the hot-reset pair, and
 * pread/pwrite/mmap of the regions.
 *
 * Behaviour follows drivers/vfio/pci/vfio_pci_core.c, vfio_pci_intrs.c and
 * vfio_main.c (6.x) as summarised in docs/kernel-abi.md §2 and §4, and
 * matches tests/vm/FACTS.md's e1000e ("FACTS" below).  Regions are backed
 * by memfds, so mmaps are real shared memory that stays coherent with
 * pread/pwrite, and survive the device fd (as on Linux).  Eventfds are real:
 * the model holds its own dup of each one, like the kernel's reference.
 *
 * A device may also carry a fault region (fault_region.c): one more
 * device-specific region after the model's, served here like the others.
 *
 * Simplifications: the hot-reset scope is the device's PCI bus (a root bus,
 * 00, has no bus reset: ENODEV, as Linux says for a root-complex endpoint
 * without slot reset); no memory_lock (EBUSY) contention; config writes only
 * reach the command register.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi/kabi.h"
#include "mock.h"

#define DM_MAX_REGIONS 12
#define DM_OFF_MASK ((1ull << KABI_VFIO_PCI_OFFSET_SHIFT) - 1)
#define DM_PAGE 4096ull
#define DM_HUGE_ARGSZ 0x4000000u

enum dm_msix { DM_MSIX_NONE, DM_MSIX_MAPPABLE, DM_MSIX_SPARSE };

struct dm_region_desc {
	uint64_t size;
	uint32_t kflags;  /* READ | WRITE | MMAP */
	bool absent;      /* REGION_INFO EINVAL (VGA on a non-VGA device) */
	bool typed;
	uint32_t type, subtype;
};

#define REG(sz, fl) { .size = (sz), .kflags = (fl) }
#define TYPED(sz, fl, st) { .size = (sz), .kflags = (fl), .typed = true, \
			    .type = KABI_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086, .subtype = (st) }
#define R KABI_VFIO_REGION_INFO_FLAG_READ
#define W KABI_VFIO_REGION_INFO_FLAG_WRITE
#define M KABI_VFIO_REGION_INFO_FLAG_MMAP

struct dm_model {
	const char *name;
	uint16_t vendor, device;
	uint32_t class_code;
	uint32_t nregions;
	struct dm_region_desc r[DM_MAX_REGIONS];
	bool pcie;          /* ERR exists (vfio_pci_ioctl_get_irq_info: pci_is_pcie) */
	uint32_t msi_count, msix_count;
	uint32_t msix_bar, msix_table, msix_pba;
	enum dm_msix msix_mode;
	void (*cfg)(uint8_t *c, const struct dm_model *md);
	void (*bars)(int *memfd);
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void mem_put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, sizeof(v));
}

/* A standard capability header at @off linking to @next. */
static void cap(uint8_t *c, uint8_t off, uint8_t id, uint8_t next)
{
	c[off] = id;
	c[off + 1] = next;
}

/* MSI-X capability: Table Size = count - 1, table and PBA in BAR @bar. */
static void cap_msix(uint8_t *c, uint8_t off, uint8_t next, const struct dm_model *md)
{
	cap(c, off, 0x11, next);
	put16(c + off + 2, (uint16_t)(md->msix_count - 1));
	put32(c + off + 4, md->msix_table | md->msix_bar);
	put32(c + off + 8, md->msix_pba | md->msix_bar);
}

/* QEMU's e1000e: PM 0xc8 -> MSI 0xd0 -> PCIe 0xe0 -> MSI-X 0xa0; extended AER 0x100 -> DSN 0x140. */
static void cfg_e1000e(uint8_t *c, const struct dm_model *md)
{
	put32(c + 0x10, 0xfebc0000); /* BAR0 mem32 */
	put32(c + 0x14, 0xfeba0000); /* BAR1 mem32 */
	put32(c + 0x18, 0x0000c081); /* BAR2 I/O */
	put32(c + 0x1c, 0xfebe0000); /* BAR3 mem32 */
	c[0x34] = 0xc8;
	cap(c, 0xc8, 0x01, 0xd0);
	put16(c + 0xca, 0xc823);
	cap(c, 0xd0, 0x05, 0xe0);
	put16(c + 0xd2, 0x0080);     /* 64-bit, 1 vector */
	cap(c, 0xe0, 0x10, 0xa0);
	put16(c + 0xe2, 0x0002);     /* v2, endpoint */
	cap_msix(c, 0xa0, 0x00, md);
	put32(c + 0x100, 0x0001 | 2u << 16 | 0x140u << 20);                 /* AER v2 -> 0x140 */
	put32(c + 0x140, 0x0003 | 1u << 16);                                /* DSN v1, last */
}

/* NVMe: MSI-X 0x40 -> MSI 0x50 -> PM 0x60 -> PCIe 0x80; no extended capabilities. */
static void cfg_nvme(uint8_t *c, const struct dm_model *md)
{
	put32(c + 0x10, 0xfebf0004); /* BAR0 mem64 */
	c[0x34] = 0x40;
	cap_msix(c, 0x40, 0x50, md);
	cap(c, 0x50, 0x05, 0x60);
	put16(c + 0x52, 0x0084);     /* 64-bit, multiple message capable: 4 */
	cap(c, 0x60, 0x01, 0x80);
	cap(c, 0x80, 0x10, 0x00);
	put16(c + 0x82, 0x0002);
}

/* IGD: MSI 0xac -> PM 0xd0; a conventional device (no PCIe capability, 256-byte config). */
static void cfg_igd(uint8_t *c, const struct dm_model *md)
{
	(void)md;
	put32(c + 0x10, 0xf6000004); /* BAR0 mem64 */
	put32(c + 0x18, 0xe000000c); /* BAR2 mem64 prefetchable */
	put32(c + 0x20, 0x0000f001); /* BAR4 I/O */
	c[0x34] = 0xac;
	cap(c, 0xac, 0x05, 0xd0);
	cap(c, 0xd0, 0x01, 0x00);
}

static void pwrite32(int fd, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	mem_put32(b, v);
	if (pwrite(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		return; /* a memfd write of 4 bytes inside its size does not fail short */
}

static void bars_e1000e(int *memfd)
{
	/* STATUS: FD, LU, 1000 Mb/s, as tests/vm/vm_device read it from QEMU's e1000e under Linux 7.2 */
	pwrite32(memfd[0], 0x8, 0x00000283);
}

static void bars_igd(int *memfd)
{
	static const char sig[] = "IntelGraphicsMem";

	if (pwrite(memfd[9], sig, 16, 0) != 16)
		return;
}

static const struct dm_model models[] = {
	[VFIOIOMMU_MOCK_MODEL_E1000E] = {
		.name = "e1000e", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000,
		.nregions = KABI_PCI_NUM_REGIONS,
		.r = {
			[0] = REG(0x20000, R | W | M), [1] = REG(0x20000, R | W | M), [2] = REG(0x20, R | W),
			[3] = REG(0x4000, R | W | M), [7] = REG(0x1000, R | W), [8] = { .absent = true },
		},
		.pcie = true, .msi_count = 1, .msix_count = 5,
		.msix_bar = 3, .msix_table = 0x0, .msix_pba = 0x2000, .msix_mode = DM_MSIX_MAPPABLE,
		.cfg = cfg_e1000e, .bars = bars_e1000e,
	},
	[VFIOIOMMU_MOCK_MODEL_NVME] = {
		.name = "nvme", .vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802,
		.nregions = KABI_PCI_NUM_REGIONS,
		.r = { [0] = REG(0x4000, R | W | M), [7] = REG(0x1000, R | W), [8] = { .absent = true } },
		.pcie = true, .msi_count = 4, .msix_count = 65,
		.msix_bar = 0, .msix_table = 0x2000, .msix_pba = 0x3000, .msix_mode = DM_MSIX_SPARSE,
		.cfg = cfg_nvme,
	},
	[VFIOIOMMU_MOCK_MODEL_IGD] = {
		.name = "igd", .vendor = 0x8086, .device = 0x3e92, .class_code = 0x030000,
		.nregions = 12,
		.r = {
			[0] = REG(0x1000000, R | W | M), [2] = REG(0x10000000, R | W | M), [4] = REG(0x40, R | W),
			[6] = REG(0x20000, R), [7] = REG(0x100, R | W), [8] = REG(0xc0000, R | W),
			[9] = TYPED(0x2000, R, KABI_REGION_SUBTYPE_INTEL_IGD_OPREGION),
			[10] = TYPED(0x100, R, KABI_REGION_SUBTYPE_INTEL_IGD_HOST_CFG),
			[11] = TYPED(0x100, R, KABI_REGION_SUBTYPE_INTEL_IGD_LPC_CFG),
		},
		.pcie = false, .msi_count = 1, .msix_count = 0,
		.cfg = cfg_igd, .bars = bars_igd,
	},
};

#undef REG
#undef TYPED
#undef R
#undef W
#undef M

/* ---------------- state ---------------- */

enum dm_irq_type { DM_IRQ_NONE = -1 };

struct dm_irq {
	int *trig;        /* count entries: our dup of the user's eventfd, -1 none */
	uint32_t nalloc;  /* MSI/MSI-X: vectors allocated at enable */
	bool masked, pending;
};

struct dm_state {
	int memfd[DM_MAX_REGIONS]; /* every region but config; -1 when empty */
	uint8_t cfg[4096];
	int irq_type;              /* DM_IRQ_NONE or INTx / MSI / MSI-X index */
	struct dm_irq irq[KABI_PCI_NUM_IRQS];
};

static const struct dm_model *model_of(const struct vm_device *d)
{
	unsigned int i = (unsigned int)d->model;

	return &models[i < sizeof(models) / sizeof(models[0]) ? i : 0];
}

static uint32_t irq_count(const struct vm_device *d, uint32_t index)
{
	const struct dm_model *md = model_of(d);

	switch (index) {
	case KABI_PCI_INTX_IRQ: return 1; /* every model has an interrupt pin */
	case KABI_PCI_MSI_IRQ: return md->msi_count;
	case KABI_PCI_MSIX_IRQ: return md->msix_count;
	case KABI_PCI_ERR_IRQ: return md->pcie ? 1 : 0;
	case KABI_PCI_REQ_IRQ: return 1;
	}
	return 0;
}

static void cfg_build(struct dm_state *s, const struct vm_device *d)
{
	const struct dm_model *md = model_of(d);
	uint8_t *c = s->cfg;

	memset(c, 0, sizeof(s->cfg));
	put16(c + 0x00, d->vendor);
	put16(c + 0x02, d->device);
	put16(c + 0x06, 0x0010);      /* status: capability list */
	c[0x08] = 0x01;               /* revision */
	c[0x09] = (uint8_t)d->class_code;
	c[0x0a] = (uint8_t)(d->class_code >> 8);
	c[0x0b] = (uint8_t)(d->class_code >> 16);
	put16(c + 0x2c, d->vendor);   /* subsystem */
	put16(c + 0x2e, 0x0000);
	c[0x3d] = 0x01;               /* INTA# */
	md->cfg(c, md);
}

/* Region contents back to their reset values (mmaps see it: same memfd pages). */
static void content_reset(struct dm_state *s, const struct vm_device *d)
{
	const struct dm_model *md = model_of(d);

	for (uint32_t i = 0; i < md->nregions; i++)
		if (s->memfd[i] >= 0)
			fallocate(s->memfd[i], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				  (off_t)((md->r[i].size + DM_PAGE - 1) & ~(DM_PAGE - 1)));
	cfg_build(s, d);
	if (md->bars)
		md->bars(s->memfd);
}

static void irq_clear(struct dm_irq *q)
{
	for (uint32_t v = 0; q->trig && v < q->nalloc; v++)
		if (q->trig[v] >= 0)
			close(q->trig[v]);
	free(q->trig);
	memset(q, 0, sizeof(*q));
}

static void state_free(struct dm_state *s)
{
	for (unsigned int i = 0; i < DM_MAX_REGIONS; i++)
		if (s->memfd[i] >= 0)
			close(s->memfd[i]);
	for (unsigned int i = 0; i < KABI_PCI_NUM_IRQS; i++)
		irq_clear(&s->irq[i]);
	free(s);
}

static int state_get(struct vm_device *d, struct dm_state **out)
{
	const struct dm_model *md = model_of(d);
	struct dm_state *s = d->model_state;

	if (s) {
		*out = s;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->irq_type = DM_IRQ_NONE;
	for (unsigned int i = 0; i < DM_MAX_REGIONS; i++)
		s->memfd[i] = -1;
	for (uint32_t i = 0; i < md->nregions; i++) {
		uint64_t sz = (md->r[i].size + DM_PAGE - 1) & ~(DM_PAGE - 1);

		if (i == KABI_PCI_CONFIG_REGION || !sz)
			continue;
		s->memfd[i] = memfd_create("vfioiommu-mock-region", MFD_CLOEXEC);
		if (s->memfd[i] < 0 || ftruncate(s->memfd[i], (off_t)sz) < 0) {
			int err = -errno;
			state_free(s);
			return err;
		}
	}
	content_reset(s, d);
	d->model_state = s;
	*out = s;
	return 0;
}

void vm_devmodel_release(struct vfioiommu_mock *m, struct vm_device *d)
{
	(void)m;
	if (d->model_state)
		state_free(d->model_state);
	d->model_state = NULL;
	vm_fault_region_release(d);
}

uint32_t vm_devmodel_nregions(const struct vm_device *d)
{
	return model_of(d)->nregions;
}

static bool model_typed(const struct dm_model *md, uint32_t type, uint32_t subtype)
{
	for (uint32_t i = 0; i < md->nregions; i++)
		if (md->r[i].typed && md->r[i].type == type && md->r[i].subtype == subtype)
			return true;
	return false;
}

bool vm_devmodel_typed(const struct vm_device *d, uint32_t type, uint32_t subtype)
{
	return model_typed(model_of(d), type, subtype);
}

/* Region @index as REGION_INFO describes it: the model's, or the fault region right after them. */
static bool desc_of(const struct vm_device *d, uint32_t index, struct dm_region_desc *out)
{
	const struct dm_model *md = model_of(d);

	if (index < md->nregions) {
		*out = md->r[index];
		return !out->absent;
	}
	if (index != vm_fault_region_index(d))
		return false;
	*out = (struct dm_region_desc){
		.size = d->fault_bytes, .typed = true, .type = d->fault_type, .subtype = d->fault_subtype,
		.kflags = KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_WRITE |
			  KABI_VFIO_REGION_INFO_FLAG_MMAP,
	};
	return true;
}

int vm_devmodel_region(const struct vm_device *d, uint32_t index, uint64_t *size, uint32_t *kflags)
{
	struct dm_region_desc rd;

	if (!desc_of(d, index, &rd))
		return -EINVAL;
	*size = rd.size;
	*kflags = rd.kflags;
	return 0;
}

int vm_devmodel_by_name(const char *name, enum vfioiommu_mock_model *out)
{
	for (unsigned int i = 0; name && i < sizeof(models) / sizeof(models[0]); i++) {
		if (!strcmp(name, models[i].name)) {
			*out = (enum vfioiommu_mock_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---------------- GET_INFO / REGION_INFO / IRQ_INFO ---------------- */

static int get_info(struct vm_device *d, struct kabi_vfio_device_info *arg)
{
	struct kabi_vfio_device_info info = { 0 };

	memcpy(&info.argsz, arg, sizeof(info.argsz));
	/* FACTS: argsz 8/12 EINVAL; 16..32 ok, argsz never grown (no caps), min(argsz, 24) copied back */
	if (info.argsz < KABI_DEVICE_INFO_MIN)
		return -EINVAL;
	memcpy(&info, arg, KABI_DEVICE_INFO_MIN);
	info.flags = KABI_VFIO_DEVICE_FLAGS_PCI | (d->no_reset ? 0 : KABI_VFIO_DEVICE_FLAGS_RESET);
	info.num_regions = model_of(d)->nregions + (d->fault_bytes ? 1 : 0);
	info.num_irqs = KABI_PCI_NUM_IRQS;
	info.cap_offset = 0;
	memcpy(arg, &info, info.argsz < sizeof(info) ? info.argsz : sizeof(info));
	return 0;
}

struct dm_caps {
	uint8_t b[256];
	size_t len;            /* bytes used, counted from the start of the info struct */
	size_t first, last;
	unsigned int n;
};

static uint8_t *caps_add(struct dm_caps *c, uint16_t id, size_t size)
{
	struct kabi_vfio_info_cap_header h = { .id = id, .version = 1 };
	size_t at = c->len, sz = (size + 7) & ~(size_t)7; /* 6.6+: each cap rounded to 8 */
	uint32_t next = (uint32_t)at;

	if (at + sz > sizeof(c->b))
		return NULL;
	memcpy(c->b + at, &h, sizeof(h));
	if (c->n++)
		memcpy(c->b + c->last + 4, &next, sizeof(next));
	else
		c->first = at;
	c->last = at;
	c->len = at + sz;
	return c->b + at;
}

/* The MSI-X table pages, which a kernel before 4.16 kept out of the mappable areas. */
static void msix_hole(const struct dm_model *md, uint64_t *start, uint64_t *end)
{
	*start = md->msix_table & ~(DM_PAGE - 1);
	*end = (md->msix_table + (uint64_t)md->msix_count * 16 + DM_PAGE - 1) & ~(DM_PAGE - 1);
}

static void region_caps(struct vfioiommu_mock *m, const struct vm_device *d, uint32_t index,
			const struct dm_region_desc *rd, struct dm_caps *c)
{
	const struct dm_model *md = model_of(d);
	uint8_t *p;

	c->len = sizeof(struct kabi_vfio_region_info);
	if (index == md->msix_bar && md->msix_count && (rd->kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP)) {
		if (md->msix_mode == DM_MSIX_MAPPABLE) {
			caps_add(c, KABI_REGION_CAP_MSIX_MAPPABLE, 8);
		} else if (md->msix_mode == DM_MSIX_SPARSE) {
			uint64_t hs, he;
			uint32_t nr = 0;

			msix_hole(md, &hs, &he);
			p = caps_add(c, KABI_REGION_CAP_SPARSE_MMAP, 16 + 2 * 16);
			if (hs) {
				memcpy(p + 16 + nr * 16, &(uint64_t){ 0 }, 8);
				memcpy(p + 24 + nr * 16, &hs, 8);
				nr++;
			}
			if (he < rd->size) {
				uint64_t sz = rd->size - he;
				memcpy(p + 16 + nr * 16, &he, 8);
				memcpy(p + 24 + nr * 16, &sz, 8);
				nr++;
			}
			if ((m->hostile & VFIOIOMMU_MOCK_HOSTILE_SPARSE_OUTSIDE) && nr) {
				uint64_t sz;

				/* the last area ends a page past the region */
				memcpy(&sz, p + 24 + (nr - 1) * 16, 8);
				sz += DM_PAGE;
				memcpy(p + 24 + (nr - 1) * 16, &sz, 8);
			}
			mem_put32(p + 8, (m->hostile & VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS) ? UINT32_MAX : nr);
			c->len -= (2 - nr) * 16;
		}
	}
	if (rd->typed) {
		p = caps_add(c, KABI_REGION_CAP_TYPE, 16);
		mem_put32(p + 8, rd->type);
		mem_put32(p + 12, rd->subtype);
	}
}

/* Break the chain the way m->hostile asks; returns the size to report. */
static size_t caps_hostile(const struct vfioiommu_mock *m, struct dm_caps *c)
{
	unsigned int h = m->hostile;
	size_t size = c->len;

	if (!c->n)
		return size;
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP)
		mem_put32(c->b + c->last + 4, (uint32_t)c->first);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_OOB)
		mem_put32(c->b + c->last + 4, (uint32_t)c->len + 64);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_MISALIGN)
		mem_put32(c->b + c->last + 4, (uint32_t)c->len + 2);
	if (h & VFIOIOMMU_MOCK_HOSTILE_CAP_TRUNCATE)
		size -= 8;
	return size;
}

static int region_info(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	struct dm_region_desc rd;
	struct kabi_vfio_region_info info;
	struct dm_caps c = { .len = 0 };
	size_t total;

	memcpy(&info.argsz, arg, sizeof(info.argsz));
	/* FACTS: argsz 16 EINVAL (minsz is offsetofend(offset) = 32); index 8 (no VGA) and 9 EINVAL */
	if (info.argsz < sizeof(info))
		return -EINVAL;
	memcpy(&info, arg, sizeof(info));
	if (!desc_of(d, info.index, &rd))
		return -EINVAL;
	info.offset = (uint64_t)info.index << KABI_VFIO_PCI_OFFSET_SHIFT;
	info.size = rd.size;
	info.flags = info.size ? rd.kflags : 0;
	if ((m->hostile & VFIOIOMMU_MOCK_HOSTILE_REGION_WRAP) && info.index == 0)
		info.offset = UINT64_MAX - (DM_PAGE - 1); /* offset + size wraps past 2^64 */
	if ((m->hostile & VFIOIOMMU_MOCK_HOSTILE_REGION_MMAP_EMPTY) && !info.size && info.index <= KABI_PCI_BAR5_REGION)
		info.flags = KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_WRITE |
			     KABI_VFIO_REGION_INFO_FLAG_MMAP; /* the kernel says 0 for an absent BAR */
	info.cap_offset = 0;
	region_caps(m, d, info.index, &rd, &c);
	if (c.n) {
		total = caps_hostile(m, &c);
		info.flags |= KABI_VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < total) {
			/* FACTS: BAR3 with argsz 32 -> argsz 40, cap_offset 0 */
			info.argsz = (m->hostile & VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ) ? DM_HUGE_ARGSZ : (uint32_t)total;
		} else {
			/* FACTS: with room the caps go at 32 and argsz stays what the caller passed */
			memcpy((uint8_t *)arg + sizeof(info), c.b + sizeof(info), total - sizeof(info));
			info.cap_offset = sizeof(info);
		}
	}
	memcpy(arg, &info, sizeof(info));
	return 0;
}

/* Spoil @ii the way m->hostile asks (IRQ_HUGE_COUNT, IRQ_BAD_FLAGS, IRQ_WRONG_INDEX). */
static void irq_hostile(const struct vfioiommu_mock *m, struct kabi_vfio_irq_info *ii)
{
	unsigned int h = m->hostile;

	if (h & VFIOIOMMU_MOCK_HOSTILE_IRQ_HUGE_COUNT) {
		/* PCI allows 1 INTx pin, 32 MSI vectors, 2048 MSI-X vectors */
		if (ii->index == KABI_PCI_INTX_IRQ)
			ii->count = 2;
		else if (ii->index == KABI_PCI_MSI_IRQ)
			ii->count = 33;
		else if (ii->index == KABI_PCI_MSIX_IRQ)
			ii->count = UINT32_MAX;
	}
	if (h & VFIOIOMMU_MOCK_HOSTILE_IRQ_BAD_FLAGS) {
		if (ii->index == KABI_PCI_INTX_IRQ)
			ii->flags &= ~KABI_VFIO_IRQ_INFO_MASKABLE; /* AUTOMASKED stays */
		else if (ii->index == KABI_PCI_MSIX_IRQ)
			ii->flags |= 0xfff00000u;
	}
	if ((h & VFIOIOMMU_MOCK_HOSTILE_IRQ_WRONG_INDEX) && ii->index == KABI_PCI_MSI_IRQ)
		ii->index = KABI_PCI_NUM_IRQS;
}

static int irq_info(struct vfioiommu_mock *m, struct vm_device *d, struct kabi_vfio_irq_info *arg)
{
	struct kabi_vfio_irq_info ii;

	memcpy(&ii.argsz, arg, sizeof(ii.argsz));
	/* FACTS: argsz 12 EINVAL; index 5 EINVAL; INTx 0x7/1, MSI 0x9/1, MSI-X 0x1/5, ERR 0x9/1, REQ 0x9/1 */
	if (ii.argsz < KABI_IRQ_INFO_MIN)
		return -EINVAL;
	memcpy(&ii, arg, sizeof(ii));
	if (ii.index >= KABI_PCI_NUM_IRQS || (ii.index == KABI_PCI_ERR_IRQ && !model_of(d)->pcie))
		return -EINVAL;
	ii.flags = KABI_VFIO_IRQ_INFO_EVENTFD;
	ii.count = irq_count(d, ii.index);
	if (ii.index == KABI_PCI_INTX_IRQ)
		ii.flags |= KABI_VFIO_IRQ_INFO_MASKABLE | KABI_VFIO_IRQ_INFO_AUTOMASKED;
	else if (ii.index != KABI_PCI_MSIX_IRQ) /* MSI-X: has_dyn_msix on the measured kernel */
		ii.flags |= KABI_VFIO_IRQ_INFO_NORESIZE;
	irq_hostile(m, &ii);
	memcpy(arg, &ii, sizeof(ii));
	return 0;
}

/* ---------------- SET_IRQS ---------------- */

/* eventfd_ctx_fdget(): our own reference to a user eventfd, or -EBADF / -EINVAL. */
static int efd_get(struct vfioiommu_mock *m, int fd)
{
	char path[64], link[64];
	ssize_t n;

	if (fd >= VFIOIOMMU_MOCK_FD_BASE)
		return vm_fd_get(m, fd) ? -EINVAL : -EBADF; /* a mock file is not an eventfd */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[eventfd]"))
		return -EINVAL;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return n < 0 ? -errno : (int)n;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return; /* a full counter (2^64 - 2) only happens to a test that never reads */
}

static int irq_tables(struct dm_irq *q, uint32_t n)
{
	int *t;

	if (q->trig && q->nalloc >= n)
		return 0;
	t = realloc(q->trig, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (uint32_t v = q->trig ? q->nalloc : 0; v < n; v++)
		t[v] = -1;
	q->trig = t;
	q->nalloc = n;
	return 0;
}

/* All of fds[0..count) usable (each -1 or an eventfd): the kernel would unwind on the first bad one. */
static int efds_get(struct vfioiommu_mock *m, const int32_t *fds, uint32_t count, int *out)
{
	for (uint32_t i = 0; i < count; i++) {
		out[i] = fds[i] < 0 ? -1 : efd_get(m, fds[i]);
		if (out[i] < -1 || (fds[i] >= 0 && out[i] < 0)) {
			int err = out[i];
			for (uint32_t j = 0; j < i; j++)
				if (out[j] >= 0)
					close(out[j]);
			return err;
		}
	}
	return 0;
}

static void set_vectors(struct dm_irq *q, uint32_t start, uint32_t count, const int *mine)
{
	for (uint32_t i = 0; i < count; i++) {
		if (q->trig[start + i] >= 0)
			close(q->trig[start + i]);
		q->trig[start + i] = mine[i];
	}
}

/* vfio_pci_set_intx_trigger / _mask / _unmask */
static int intx(struct vfioiommu_mock *m, struct dm_state *s, uint32_t action, uint32_t dtype, uint32_t start, uint32_t count,
		const uint8_t *data)
{
	struct dm_irq *q = &s->irq[KABI_PCI_INTX_IRQ];
	bool is_intx = s->irq_type == KABI_PCI_INTX_IRQ;
	int32_t fd;
	int mine, rc;

	if (action != KABI_VFIO_IRQ_SET_ACTION_TRIGGER) {
		if (!is_intx || start != 0 || count != 1)
			return -EINVAL;
		if (dtype == KABI_VFIO_IRQ_SET_DATA_EVENTFD)
			return action == KABI_VFIO_IRQ_SET_ACTION_MASK ? -ENOTTY : 0; /* unmask irqfd: accepted */
		if (dtype == KABI_VFIO_IRQ_SET_DATA_BOOL && !data[0])
			return 0;
		if (action == KABI_VFIO_IRQ_SET_ACTION_MASK) {
			q->masked = true;
		} else {
			q->masked = false;
			if (q->pending) {
				/* still asserted: fires again and is automasked */
				q->pending = false;
				q->masked = true;
				signal_fd(q->trig[0]);
			}
		}
		return 0;
	}
	if (is_intx && !count && dtype == KABI_VFIO_IRQ_SET_DATA_NONE) {
		irq_clear(q);
		s->irq_type = DM_IRQ_NONE;
		return 0;
	}
	if (!(is_intx || s->irq_type == DM_IRQ_NONE))
		return -EINVAL;
	if (dtype == KABI_VFIO_IRQ_SET_DATA_EVENTFD) {
		memcpy(&fd, data, sizeof(fd));
		mine = fd >= 0 ? efd_get(m, fd) : -1;
		if (fd >= 0 && mine < 0)
			return mine;
		if ((rc = irq_tables(q, 1)) < 0) {
			if (mine >= 0)
				close(mine);
			return rc;
		}
		set_vectors(q, 0, 1, &mine);
		s->irq_type = KABI_PCI_INTX_IRQ;
		return 0;
	}
	if (!is_intx)
		return -EINVAL;
	if (dtype == KABI_VFIO_IRQ_SET_DATA_NONE || data[0])
		signal_fd(q->trig[0]);
	return 0;
}

/* vfio_pci_set_msi_trigger */
static int msi(struct vfioiommu_mock *m, struct dm_state *s, uint32_t index, uint32_t action, uint32_t dtype,
	       uint32_t start, uint32_t count, const uint8_t *data)
{
	struct dm_irq *q = &s->irq[index];
	bool msix = index == KABI_PCI_MSIX_IRQ;
	int32_t *fds;
	int *mine;
	int rc;

	if (action != KABI_VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (s->irq_type == (int)index && !count && dtype == KABI_VFIO_IRQ_SET_DATA_NONE) {
		irq_clear(q);
		s->irq_type = DM_IRQ_NONE;
		return 0;
	}
	if (!(s->irq_type == (int)index || s->irq_type == DM_IRQ_NONE))
		return -EINVAL;
	if (dtype == KABI_VFIO_IRQ_SET_DATA_EVENTFD) {
		bool enabling = s->irq_type != (int)index;

		/* MSI vectors are allocated once, at enable (NORESIZE); MSI-X grows (dynamic MSI-X, 6.5+) */
		if (!enabling && !msix && start + count > q->nalloc)
			return -EINVAL;
		fds = malloc(count * sizeof(*fds));
		mine = malloc(count * sizeof(*mine));
		if (!fds || !mine) {
			free(fds);
			free(mine);
			return -ENOMEM;
		}
		memcpy(fds, data, count * sizeof(*fds));
		rc = efds_get(m, fds, count, mine);
		if (rc == 0 && (rc = irq_tables(q, enabling || msix ? start + count : q->nalloc)) < 0) {
			for (uint32_t i = 0; i < count; i++)
				if (mine[i] >= 0)
					close(mine[i]);
		}
		if (rc == 0) {
			set_vectors(q, start, count, mine);
			s->irq_type = (int)index;
		}
		free(fds);
		free(mine);
		return rc;
	}
	if (s->irq_type != (int)index)
		return -EINVAL;
	for (uint32_t v = start; v < start + count && v < q->nalloc; v++)
		if (dtype == KABI_VFIO_IRQ_SET_DATA_NONE || data[v - start])
			signal_fd(q->trig[v]);
	return 0;
}

/* vfio_pci_set_err_trigger / _req_trigger -> vfio_pci_set_ctx_trigger_single */
static int single(struct vfioiommu_mock *m, struct dm_state *s, uint32_t index, uint32_t action, uint32_t dtype, uint32_t start,
		  uint32_t count, const uint8_t *data)
{
	struct dm_irq *q = &s->irq[index];
	bool have = q->trig && q->trig[0] >= 0;
	int32_t fd;
	int mine, rc;

	if (action != KABI_VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (start != 0 || count > 1)
		return -EINVAL;
	if (dtype == KABI_VFIO_IRQ_SET_DATA_NONE || dtype == KABI_VFIO_IRQ_SET_DATA_BOOL) {
		if (!have)
			return -EINVAL;
		if (!count)
			irq_clear(q);
		else if (dtype == KABI_VFIO_IRQ_SET_DATA_NONE || data[0])
			signal_fd(q->trig[0]);
		return 0;
	}
	if (count != 1)
		return -EINVAL;
	memcpy(&fd, data, sizeof(fd));
	if (fd < 0) {
		irq_clear(q);
		return 0;
	}
	mine = efd_get(m, fd);
	if (mine < 0)
		return mine;
	if ((rc = irq_tables(q, 1)) < 0) {
		close(mine);
		return rc;
	}
	set_vectors(q, 0, 1, &mine);
	return 0;
}

static int set_irqs(struct vfioiommu_mock *m, struct vm_device *d, struct dm_state *s, void *arg)
{
	struct kabi_vfio_irq_set hdr;
	uint32_t dtype, action, num;
	size_t size = 0;

	/* vfio_set_irqs_validate_and_prepare */
	memcpy(&hdr.argsz, arg, sizeof(hdr.argsz));
	if (hdr.argsz < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, arg, sizeof(hdr));
	if (hdr.index >= KABI_PCI_NUM_IRQS || hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(KABI_VFIO_IRQ_SET_DATA_TYPE_MASK | KABI_VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	num = irq_count(d, hdr.index);
	if (hdr.start >= num || hdr.start + hdr.count > num)
		return -EINVAL;
	dtype = hdr.flags & KABI_VFIO_IRQ_SET_DATA_TYPE_MASK;
	switch (dtype) {
	case KABI_VFIO_IRQ_SET_DATA_NONE: size = 0; break;
	case KABI_VFIO_IRQ_SET_DATA_BOOL: size = 1; break;
	case KABI_VFIO_IRQ_SET_DATA_EVENTFD: size = 4; break;
	default: return -EINVAL;
	}
	if (size && hdr.argsz - sizeof(hdr) < (size_t)hdr.count * size)
		return -EINVAL;
	action = hdr.flags & KABI_VFIO_IRQ_SET_ACTION_TYPE_MASK;
	/* vfio_pci_set_irqs_ioctl: exactly one action, else no handler (ENOTTY) */
	if (action != KABI_VFIO_IRQ_SET_ACTION_MASK && action != KABI_VFIO_IRQ_SET_ACTION_UNMASK &&
	    action != KABI_VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	switch (hdr.index) {
	case KABI_PCI_INTX_IRQ:
		return intx(m, s, action, dtype, hdr.start, hdr.count, (const uint8_t *)arg + sizeof(hdr));
	case KABI_PCI_MSI_IRQ:
	case KABI_PCI_MSIX_IRQ:
		return msi(m, s, hdr.index, action, dtype, hdr.start, hdr.count, (const uint8_t *)arg + sizeof(hdr));
	default:
		return single(m, s, hdr.index, action, dtype, hdr.start, hdr.count, (const uint8_t *)arg + sizeof(hdr));
	}
}

/* ---------------- reset and hot reset ---------------- */

static void do_reset(struct vm_device *d)
{
	d->resets++;
	if (d->model_state)
		content_reset(d->model_state, d);
}

static int parse_bdf(const char *bdf, unsigned int *seg, unsigned int *bus, unsigned int *dev, unsigned int *fn)
{
	return sscanf(bdf, "%x:%x:%x.%x", seg, bus, dev, fn) == 4 ? 0 : -EINVAL;
}

static bool same_bus(const struct vm_device *a, const struct vm_device *b)
{
	unsigned int s1, b1, d1, f1, s2, b2, d2, f2;

	return !parse_bdf(a->bdf, &s1, &b1, &d1, &f1) && !parse_bdf(b->bdf, &s2, &b2, &d2, &f2) && s1 == s2 &&
	       b1 == b2;
}

/* The devices a bus reset of d reaches; -ENODEV on a root bus (no bridge to reset it). */
static int scope(struct vfioiommu_mock *m, const struct vm_device *d, size_t *n)
{
	unsigned int seg, bus, dv, fn;

	if (parse_bdf(d->bdf, &seg, &bus, &dv, &fn) < 0 || bus == 0)
		return -ENODEV;
	*n = 0;
	for (size_t i = 0; i < m->ndevs; i++)
		if (same_bus(&m->devs[i], d))
			(*n)++;
	return 0;
}

/* A device of @group is bound through its cdev to @ictx: the group's DMA belongs to that iommufd. */
static bool group_owned_by(struct vfioiommu_mock *m, unsigned int group, const void *ictx)
{
	for (size_t i = 0; ictx && i < m->ndevs; i++)
		if (m->devs[i].group == group && m->devs[i].cdev_ictx == ictx)
			return true;
	return false;
}

/* vfio_iommufd_get_dev_id() > 0 or -ENOENT: usable in a cdev hot reset of @ictx's devices */
static uint32_t devid_in(struct vfioiommu_mock *m, const struct vm_device *o, const void *ictx)
{
	if (!vm_driver_is_vfio(o->driver))
		return KABI_VFIO_PCI_DEVID_NOT_OWNED;
	if (o->cdev_ictx == ictx && o->cdev_devid)
		return o->cdev_devid;
	if (!o->open_count && group_owned_by(m, o->group, ictx))
		return KABI_VFIO_PCI_DEVID_OWNED;
	return KABI_VFIO_PCI_DEVID_NOT_OWNED;
}

static int hot_reset_info(struct vfioiommu_mock *m, struct vm_device *d, bool cdev, void *arg)
{
	struct kabi_vfio_pci_hot_reset_info hdr;
	size_t n, k = 0;
	int rc;

	memcpy(&hdr, arg, sizeof(hdr));
	if (hdr.argsz < sizeof(hdr))
		return -EINVAL;
	if ((rc = scope(m, d, &n)) < 0)
		return rc;
	hdr.flags = cdev ? KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID | KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED : 0;
	if (n > (hdr.argsz - sizeof(hdr)) / sizeof(struct kabi_vfio_pci_dependent_device)) {
		/* the header (with the count needed) is copied back with ENOSPC */
		hdr.count = (uint32_t)n;
		memcpy(arg, &hdr, sizeof(hdr));
		return -ENOSPC;
	}
	for (size_t i = 0; i < m->ndevs; i++) {
		const struct vm_device *o = &m->devs[i];
		struct kabi_vfio_pci_dependent_device dd = { .group_id = 0 };
		unsigned int seg, bus, dv, fn;

		if (!same_bus(o, d) || parse_bdf(o->bdf, &seg, &bus, &dv, &fn) < 0)
			continue;
		if (cdev) {
			dd.devid = devid_in(m, o, d->cdev_ictx);
			if (dd.devid == KABI_VFIO_PCI_DEVID_NOT_OWNED)
				hdr.flags &= ~KABI_VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
		} else {
			dd.group_id = o->group;
		}
		dd.segment = (uint16_t)seg;
		dd.bus = (uint8_t)bus;
		dd.devfn = (uint8_t)(dv << 3 | fn);
		memcpy((uint8_t *)arg + sizeof(hdr) + k++ * sizeof(dd), &dd, sizeof(dd));
	}
	hdr.count = (uint32_t)k;
	memcpy(arg, &hdr, sizeof(hdr));
	return 0;
}

/* The group behind a group fd, or -EBADF / -EINVAL (vfio_file_is_group). */
static int group_of_fd(struct vfioiommu_mock *m, int fd, unsigned int *num)
{
	struct vm_file *f = vm_fd_get(m, fd);

	if (!f)
		return fd >= 0 && fd < VFIOIOMMU_MOCK_FD_BASE && fcntl(fd, F_GETFD) >= 0 ? -EINVAL : -EBADF;
	for (size_t i = 0; i < m->ngroups; i++) {
		if (m->groups[i].priv && m->groups[i].priv == f->obj && !strcmp(f->ops->name, "vfio-group")) {
			*num = m->groups[i].num;
			return 0;
		}
	}
	return -EINVAL;
}

static int hot_reset(struct vfioiommu_mock *m, struct vm_device *d, bool cdev, void *arg)
{
	struct kabi_vfio_pci_hot_reset hdr;
	unsigned int groups[64];
	size_t n;
	int rc;

	memcpy(&hdr, arg, sizeof(hdr));
	if (hdr.argsz < sizeof(hdr) || hdr.flags)
		return -EINVAL;
	/* a zero-length array is for cdev-opened devices only, and only it */
	if (!!hdr.count == cdev)
		return -EINVAL;
	if ((rc = scope(m, d, &n)) < 0)
		return rc;
	if (hdr.count) {
		if (hdr.count > n || hdr.count > 64 || hdr.argsz - sizeof(hdr) < (size_t)hdr.count * sizeof(int32_t))
			return -EINVAL;
		for (uint32_t i = 0; i < hdr.count; i++) {
			int32_t fd;

			memcpy(&fd, (uint8_t *)arg + sizeof(hdr) + i * sizeof(fd), sizeof(fd));
			if ((rc = group_of_fd(m, fd, &groups[i])) < 0)
				return rc;
		}
	}
	/* vfio_pci_dev_set_resettable + ownership of every affected device */
	for (size_t i = 0; i < m->ndevs; i++) {
		const struct vm_device *o = &m->devs[i];
		bool owned = false;

		if (!same_bus(o, d))
			continue;
		if (!vm_driver_is_vfio(o->driver))
			return -EINVAL;
		if (cdev) {
			owned = devid_in(m, o, d->cdev_ictx) != KABI_VFIO_PCI_DEVID_NOT_OWNED;
		} else {
			for (uint32_t g = 0; g < hdr.count; g++)
				owned = owned || groups[g] == o->group;
		}
		if (!owned)
			return -EINVAL;
	}
	for (size_t i = 0; i < m->ndevs; i++)
		if (same_bus(&m->devs[i], d))
			do_reset(&m->devs[i]);
	return 0;
}

/* ---------------- dispatch ---------------- */

/*
 * VFIO_DEVICE_FEATURE as vfio_ioctl_device_feature() orders it: the header's
 * argsz and flags first, then the feature index picks the driver's handler
 * (vfio-pci: PCI_VF_TOKEN, DMA_BUF; the core: migration and DMA logging;
 * anything else ENOTTY).
 */
static int feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	const uint32_t known = KABI_VFIO_DEVICE_FEATURE_MASK | KABI_VFIO_DEVICE_FEATURE_GET |
			       KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_PROBE;
	uint32_t hdr[2];

	if (!arg)
		return -EFAULT;
	memcpy(hdr, arg, sizeof(hdr));
	if (hdr[0] < sizeof(hdr) || (hdr[1] & ~known))
		return -EINVAL;
	if (!(hdr[1] & KABI_VFIO_DEVICE_FEATURE_PROBE) && (hdr[1] & KABI_VFIO_DEVICE_FEATURE_GET) &&
	    (hdr[1] & KABI_VFIO_DEVICE_FEATURE_SET))
		return -EINVAL;
	switch (hdr[1] & KABI_VFIO_DEVICE_FEATURE_MASK) {
	case KABI_VFIO_DEVICE_FEATURE_PCI_VF_TOKEN:
		return vm_sriov_feature(m, d, arg);
	case KABI_VFIO_DEVICE_FEATURE_DMA_BUF:
		return vm_dmabuf_feature(m, d, arg);
	default:
		/* migration v2 and DMA logging (the core's features), else ENOTTY */
		return vm_mig_feature(m, d, arg);
	}
}

int vm_devmodel_ioctl(struct vfioiommu_mock *m, struct vm_device *d, bool cdev, unsigned long req, void *arg)
{
	struct dm_state *s;
	int rc;

	switch (req) {
	case KABI_VFIO_DEVICE_GET_INFO:
	case KABI_VFIO_DEVICE_GET_REGION_INFO:
	case KABI_VFIO_DEVICE_GET_IRQ_INFO:
	case KABI_VFIO_DEVICE_SET_IRQS:
	case KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
	case KABI_VFIO_DEVICE_PCI_HOT_RESET:
		if (!arg)
			return -EFAULT;
		break;
	case KABI_VFIO_DEVICE_RESET:
		break;
	case KABI_VFIO_DEVICE_FEATURE:
		return feature(m, d, arg);
	default:
		return VM_DEVMODEL_NOT_MINE;
	}
	switch (req) {
	case KABI_VFIO_DEVICE_GET_INFO:
		return get_info(d, arg);
	case KABI_VFIO_DEVICE_GET_REGION_INFO:
		return region_info(m, d, arg);
	case KABI_VFIO_DEVICE_GET_IRQ_INFO:
		return irq_info(m, d, arg);
	case KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return hot_reset_info(m, d, cdev, arg);
	case KABI_VFIO_DEVICE_PCI_HOT_RESET:
		return hot_reset(m, d, cdev, arg);
	case KABI_VFIO_DEVICE_RESET:
		/* vfio_pci_core_ioctl_reset: !reset_works -> EINVAL; mtty resets without the flag (FACTS) */
		if (d->no_reset && !d->mdev)
			return -EINVAL;
		do_reset(d);
		vm_mig_reset(d);
		return 0;
	}
	if ((rc = state_get(d, &s)) < 0)
		return rc;
	return set_irqs(m, d, s, arg);
}

/* Region @index, its descriptor and the position inside it, for I/O and mmap. */
static int locate(const struct vm_device *d, int64_t off, uint32_t *index, uint64_t *pos, struct dm_region_desc *rd)
{
	if (off < 0)
		return -EINVAL;
	*index = (uint32_t)((uint64_t)off >> KABI_VFIO_PCI_OFFSET_SHIFT);
	*pos = (uint64_t)off & DM_OFF_MASK;
	if (!desc_of(d, *index, rd) || !rd->size)
		return -EINVAL;
	return 0;
}

/*
 * The memfd behind region @index: the fault region's own, or the model
 * state's (*@s set then; config space has none, *@fd = -1, served from s->cfg).
 */
static int backing_fd(struct vm_device *d, uint32_t index, struct dm_state **s, int *fd)
{
	int rc;

	*s = NULL;
	if (index == vm_fault_region_index(d)) {
		*fd = vm_fault_region_fd(d);
		return *fd < 0 ? *fd : 0;
	}
	if ((rc = state_get(d, s)) < 0)
		return rc;
	*fd = (*s)->memfd[index];
	return 0;
}

static ssize_t rw(struct vfioiommu_mock *m, struct vm_device *d, void *buf, size_t n, int64_t off, bool write)
{
	struct dm_region_desc rd;
	struct dm_state *s;
	uint32_t index;
	uint64_t pos, size;
	ssize_t done;
	int rc, fd;

	if ((rc = locate(d, off, &index, &pos, &rd)) < 0)
		return rc;
	if (!(rd.kflags & (write ? KABI_VFIO_REGION_INFO_FLAG_WRITE : KABI_VFIO_REGION_INFO_FLAG_READ)))
		return -EINVAL;
	size = rd.size;
	if (pos >= size)
		return -EINVAL;
	if (!buf && n)
		return -EFAULT;
	if ((rc = backing_fd(d, index, &s, &fd)) < 0)
		return rc;
	if (n > size - pos)
		n = (size_t)(size - pos);
	if ((m->hostile & VFIOIOMMU_MOCK_HOSTILE_SHORT_IO) && n > 3)
		n = 3;
	if (index == KABI_PCI_CONFIG_REGION) {
		if (!write) {
			memcpy(buf, s->cfg + pos, n);
			return (ssize_t)n;
		}
		/* only the command register is writable; the rest is dropped, as read-only bits are */
		for (size_t i = 0; i < n; i++)
			if (pos + i == 0x04 || pos + i == 0x05)
				s->cfg[pos + i] = ((const uint8_t *)buf)[i];
		return (ssize_t)n;
	}
	done = write ? pwrite(fd, buf, n, (off_t)pos) : pread(fd, buf, n, (off_t)pos);
	return done < 0 ? -errno : done;
}

ssize_t vm_devmodel_pread(struct vfioiommu_mock *m, struct vm_device *d, void *buf, size_t n, int64_t off)
{
	return rw(m, d, buf, n, off, false);
}

ssize_t vm_devmodel_pwrite(struct vfioiommu_mock *m, struct vm_device *d, const void *buf, size_t n, int64_t off)
{
	return rw(m, d, (void *)(uintptr_t)buf, n, off, true);
}

int vm_devmodel_mmap(struct vfioiommu_mock *m, struct vm_device *d, size_t len, int prot, int64_t off, void **out)
{
	const struct dm_model *md = model_of(d);
	struct dm_region_desc rd;
	struct dm_state *s;
	uint32_t index;
	uint64_t pos, end;
	void *p;
	int rc, fd;
	bool fault;

	(void)m;
	if ((rc = locate(d, off, &index, &pos, &rd)) < 0)
		return rc;
	/*
	 * vfio_pci_core_mmap: BARs (bar_mmap_supported), or a device-specific
	 * region whose ops have mmap (the fault region); page aligned, inside
	 * the page-rounded region
	 */
	fault = index == vm_fault_region_index(d);
	if ((index > KABI_PCI_BAR5_REGION && !fault) || !(rd.kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP) ||
	    (pos & (DM_PAGE - 1)))
		return -EINVAL;
	end = (rd.size + DM_PAGE - 1) & ~(DM_PAGE - 1);
	if (pos >= end || len > end - pos)
		return -EINVAL;
	if (!fault && md->msix_mode == DM_MSIX_SPARSE && index == md->msix_bar) {
		uint64_t hs, he;

		/* before 4.16 the kernel refused mmaps over the MSI-X table */
		msix_hole(md, &hs, &he);
		if (pos < he && pos + len > hs)
			return -EINVAL;
	}
	if ((rc = backing_fd(d, index, &s, &fd)) < 0)
		return rc;
	p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)pos);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* ---------------- public knobs ---------------- */

VFIOIOMMU_API int vfioiommu_mock_device_set_model(vfioiommu_mock *m, const char *bdf, enum vfioiommu_mock_model model)
{
	struct vm_device *d = m ? vm_device_find(m, bdf) : NULL;
	const struct dm_model *md;

	if (!m || (unsigned int)model >= sizeof(models) / sizeof(models[0]))
		return -EINVAL;
	if (!d)
		return -ENOENT;
	if (d->open_count || d->model_state)
		return -EBUSY;
	md = &models[model];
	/* the fault region must stay the only region with its type */
	if (d->fault_bytes && model_typed(md, d->fault_type, d->fault_subtype))
		return -EEXIST;
	d->model = model;
	d->vendor = md->vendor;
	d->device = md->device;
	d->class_code = md->class_code;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_device_set_reset(vfioiommu_mock *m, const char *bdf, bool flr)
{
	struct vm_device *d = m ? vm_device_find(m, bdf) : NULL;

	if (!m)
		return -EINVAL;
	if (!d)
		return -ENOENT;
	d->no_reset = !flr;
	return 0;
}

VFIOIOMMU_API unsigned int vfioiommu_mock_device_resets(vfioiommu_mock *m, const char *bdf)
{
	struct vm_device *d;
	unsigned int n = 0;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, bdf);
	if (d)
		n = d->resets;
	pthread_mutex_unlock(&m->lock);
	return n;
}

VFIOIOMMU_API int vfioiommu_mock_device_irq(vfioiommu_mock *m, const char *bdf, uint32_t index, uint32_t vector)
{
	struct vm_device *d;
	struct dm_state *s;
	struct dm_irq *q;
	int rc = 0;

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, bdf);
	s = d ? d->model_state : NULL;
	if (!d)
		rc = -ENODEV;
	else if (index >= KABI_PCI_NUM_IRQS || vector >= irq_count(d, index))
		rc = -EINVAL;
	else if (!s || !(q = &s->irq[index])->trig || vector >= q->nalloc || q->trig[vector] < 0 ||
		 (index <= KABI_PCI_MSIX_IRQ && s->irq_type != (int)index))
		rc = -ENOENT;
	else if (index == KABI_PCI_INTX_IRQ && q->masked)
		q->pending = true; /* level triggered: delivered at unmask */
	else {
		signal_fd(q->trig[vector]);
		if (index == KABI_PCI_INTX_IRQ)
			q->masked = true; /* AUTOMASKED */
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mock_device_request(vfioiommu_mock *m, const char *bdf)
{
	return vfioiommu_mock_device_irq(m, bdf, KABI_PCI_REQ_IRQ, 0);
}

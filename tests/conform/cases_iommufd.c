/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* /dev/iommu and the VFIO cdev through the door (FACTS.md section c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

#define F (KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE)
#define U64_MAX UINT64_MAX
static const struct kabi_iommu_iova_range whole_space = { 0, U64_MAX };

static void imap(struct cf_t *t, const struct cf_ifd *s, int exp, uint64_t off, uint64_t iova, uint64_t len,
		 const char *what)
{
	cf_rc(t, what, exp, cf_ioas_map(t, s->fd, s->ioas, F, cf_va(t, off), iova, len, NULL));
}

static void iunmap(struct cf_t *t, const struct cf_ifd *s, uint64_t iova, uint64_t len, int exp, uint64_t len_out,
		   const char *what)
{
	char w[160];
	uint64_t l = len;

	if (!cf_rc(t, what, exp, cf_ioas_unmap(t, s->fd, s->ioas, iova, &l)) || exp < 0)
		return;
	snprintf(w, sizeof(w), "%s: length written back", what);
	cf_hex(t, w, len_out, l);
}

static void expect_ranges(struct cf_t *t, const struct cf_ifd *s, const char *what,
			  const struct kabi_iommu_iova_range *exp, uint32_t nexp, uint64_t align)
{
	struct kabi_iommu_iova_range r[CF_MAX_RANGES];
	uint32_t n = CF_MAX_RANGES;
	uint64_t al = 0;
	char w[128];

	if (!cf_rc(t, what, 0, cf_ioas_ranges(t, s->fd, s->ioas, r, &n, &al)))
		return;
	cf_ranges(t, what, exp, nexp, r, n < CF_MAX_RANGES ? n : CF_MAX_RANGES);
	snprintf(w, sizeof(w), "%s: out_iova_alignment", what);
	cf_hex(t, w, align, al);
}

static int setup_attached(struct cf_t *t, struct cf_ifd *s)
{
	if (cf_ifd_open(t, s) < 0 || cf_ifd_bind(t, s, 0) < 0 || cf_ifd_attach(t, s) < 0)
		return -1;
	return 0;
}

/* The size contract, unknown ioctls, the VFIO-compat answers, DESTROY of nothing. */
static void size_contract(struct cf_t *t, unsigned long arg)
{
	uint8_t buf[8192] __attribute__((aligned(8)));
	struct kabi_iommu_ioas_alloc *a = (void *)buf;
	int fd = cf_open(t, "/dev/iommu");
	struct { uint32_t size; const char *what; int exp; int tail; } sz[] = {
		{ 8, "IOAS_ALLOC size 8 (< minimum)", -EINVAL, 0 },
		{ 11, "IOAS_ALLOC size 11 (< minimum)", -EINVAL, 0 },
		{ 16, "IOAS_ALLOC size 16, zero tail", 0, 0 },
		{ 16, "IOAS_ALLOC size 16, non-zero tail", -E2BIG, 1 },
		{ 4096, "IOAS_ALLOC size 4096, zero tail", 0, 0 },
		{ 8192, "IOAS_ALLOC size 8192, zero tail", 0, 0 },
	};

	if (!cf_rc(t, "open /dev/iommu", 0, fd))
		return;
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		int rc;

		memset(buf, 0, sizeof(buf));
		a->size = sz[i].size;
		if (sz[i].tail)
			buf[15] = 1;
		rc = cf_io(t, fd, KABI_IOMMU_IOAS_ALLOC, buf);
		if (cf_rc(t, sz[i].what, sz[i].exp, rc) && rc >= 0 && a->out_ioas_id == 0)
			cf_fail(t, "%s: out_ioas_id 0", sz[i].what);
	}
	memset(buf, 0, sizeof(buf));
	a->size = 12;
	a->flags = 1;
	cf_rc(t, "IOAS_ALLOC flags 1", -EOPNOTSUPP, cf_io(t, fd, KABI_IOMMU_IOAS_ALLOC, buf));
	memset(buf, 0, sizeof(buf));
	cf_rc(t, "unknown iommufd ioctl nr 0xa1", -ENOTTY, cf_io(t, fd, KABI_IO(0xa1), buf));
	cf_rc(t, "unknown iommufd ioctl nr 0x95", -ENOTTY, cf_io(t, fd, KABI_IO(0x95), buf));
	cf_rc(t, "IOAS_ALLOC with a sized encoding 0xC0003B81", -ENOTTY, cf_io(t, fd, 0xC0003B81ul, buf));
	cf_val(t, "VFIO_GET_API_VERSION on /dev/iommu", 0, cf_iov(t, fd, KABI_VFIO_GET_API_VERSION, 0));
	cf_val(t, "VFIO_CHECK_EXTENSION(TYPE1v2) on /dev/iommu", 1,
	       cf_iov(t, fd, KABI_VFIO_CHECK_EXTENSION, KABI_VFIO_TYPE1v2_IOMMU));
	cf_rc(t, "DESTROY an unknown id", -ENOENT, cf_destroy(t, fd, 0xdead));
	cf_rc(t, "DESTROY id 0", -ENOENT, cf_destroy(t, fd, 0));
	cf_close(t, &fd);
	(void)arg;
}

/* IOVA_RANGES of a fresh IOAS, and the EMSGSIZE protocol. */
static void ranges_fresh(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_iova_range r[2] = { { 0xaa, 0xbb }, { 0xcc, 0xdd } };
	struct kabi_iommu_ioas_iova_ranges q;

	if (cf_ifd_open(t, &s) < 0)
		goto out;
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = s.ioas, .num_iovas = 0,
		.allowed_iovas = (uint64_t)(uintptr_t)r, .out_iova_alignment = 0x1234 };
	if (cf_rc(t, "IOVA_RANGES num_iovas 0", -EMSGSIZE, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q))) {
		cf_val(t, "IOVA_RANGES num_iovas 0: num_iovas written back", 1, q.num_iovas);
		cf_hex(t, "IOVA_RANGES num_iovas 0: out_iova_alignment written back", 1, q.out_iova_alignment);
		cf_hex(t, "IOVA_RANGES num_iovas 0: array untouched", 0xaa, r[0].start);
	}
	expect_ranges(t, &s, "IOVA_RANGES of a fresh IOAS", &whole_space, 1, 1);
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = s.ioas, .num_iovas = 1,
		.__reserved = 1, .allowed_iovas = (uint64_t)(uintptr_t)r };
	cf_rc(t, "IOVA_RANGES with __reserved != 0", -EOPNOTSUPP, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q));
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = 0xdead, .num_iovas = 1,
		.allowed_iovas = (uint64_t)(uintptr_t)r };
	cf_rc(t, "IOVA_RANGES of an unknown IOAS", -ENOENT, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q));
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = 24, .ioas_id = s.ioas, .num_iovas = 1,
		.allowed_iovas = (uint64_t)(uintptr_t)r };
	cf_rc(t, "IOVA_RANGES size 24", -EINVAL, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

/* Attach narrows the ranges to type1's, detach widens them back; attached objects cannot be destroyed. */
static void ranges_attach(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_iova_range r[2] = { { 0xaa, 0xbb }, { 0xcc, 0xdd } };
	struct kabi_iommu_ioas_iova_ranges q;
	struct kabi_vfio_device_detach_iommufd_pt dt = { .argsz = 8 };

	if (cf_ifd_open(t, &s) < 0 || cf_ifd_bind(t, &s, 0) < 0)
		goto out;
	expect_ranges(t, &s, "IOVA_RANGES with a device bound, not attached", &whole_space, 1, 1);
	if (cf_ifd_attach(t, &s) < 0)
		goto out;
	if (s.hwpt == s.ioas)
		cf_fail(t, "ATTACH to an IOAS: pt_id written back is the IOAS id %u, expected a new HWPT id", s.ioas);
	expect_ranges(t, &s, "IOVA_RANGES after ATTACH", tp->ranges, tp->nranges, 0x1000);
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = s.ioas, .num_iovas = 0,
		.allowed_iovas = (uint64_t)(uintptr_t)r, .out_iova_alignment = 0x1234 };
	if (cf_rc(t, "IOVA_RANGES num_iovas 0 attached", -EMSGSIZE, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q))) {
		cf_val(t, "IOVA_RANGES num_iovas 0 attached: num_iovas", tp->nranges, q.num_iovas);
		cf_hex(t, "IOVA_RANGES num_iovas 0 attached: alignment", 0x1000, q.out_iova_alignment);
		cf_hex(t, "IOVA_RANGES num_iovas 0 attached: array untouched", 0xaa, r[0].start);
	}
	q = (struct kabi_iommu_ioas_iova_ranges){ .size = sizeof(q), .ioas_id = s.ioas, .num_iovas = 1,
		.allowed_iovas = (uint64_t)(uintptr_t)r };
	if (cf_rc(t, "IOVA_RANGES num_iovas 1 attached", -EMSGSIZE, cf_io(t, s.fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q))) {
		cf_val(t, "IOVA_RANGES num_iovas 1 attached: num_iovas", tp->nranges, q.num_iovas);
		cf_ranges(t, "IOVA_RANGES num_iovas 1 attached: first range written", tp->ranges, 1, r, 1);
		cf_hex(t, "IOVA_RANGES num_iovas 1 attached: second slot untouched", 0xcc, r[1].start);
	}
	cf_rc(t, "DESTROY the attached IOAS", -EBUSY, cf_destroy(t, s.fd, s.ioas));
	cf_rc(t, "DESTROY the auto HWPT in use", -EBUSY, cf_destroy(t, s.fd, s.hwpt));
	cf_rc(t, "DESTROY the bound device id", -EBUSY, cf_destroy(t, s.fd, s.devid));
	if (!cf_rc(t, "DETACH_IOMMUFD_PT", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt)))
		goto out;
	expect_ranges(t, &s, "IOVA_RANGES after DETACH", &whole_space, 1, 1);
	cf_rc(t, "DESTROY the IOAS after DETACH", 0, cf_destroy(t, s.fd, s.ioas));
	cf_rc(t, "DESTROY the IOAS twice", -ENOENT, cf_destroy(t, s.fd, s.ioas));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void map_overlap(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;

	if (setup_attached(t, &s) < 0)
		goto out;
	imap(t, &s, 0, 0, 0x100000, 0x10000, "MAP 0x100000+0x10000");
	imap(t, &s, -EEXIST, 0, 0x100000, 0x10000, "MAP the exact same range");
	imap(t, &s, -EEXIST, 0, 0x108000, 0x10000, "MAP overlapping the tail 0x108000+0x10000");
	imap(t, &s, -EEXIST, 0, 0xf8000, 0x10000, "MAP overlapping the head 0xf8000+0x10000");
	imap(t, &s, -EEXIST, 0, 0x104000, 0x1000, "MAP inside 0x104000+0x1000");
	iunmap(t, &s, 0, U64_MAX, 0, 0x10000, "UNMAP all (0, U64_MAX)");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void map_window(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct cf_ifd s = CF_IFD_INIT;

	if (setup_attached(t, &s) < 0)
		goto out;
	imap(t, &s, -EINVAL, 0, 0xfee00000, 0x1000, "MAP in the MSI window 0xfee00000");
	imap(t, &s, -EINVAL, 0, 0xfedff000, 0x2000, "MAP straddling the MSI window 0xfedff000+0x2000");
	imap(t, &s, 0, 0, (1ull << 39) - 0x1000, 0x1000, "MAP at 2^39-4K");
	imap(t, &s, tp->map_at_2_39, 0, 1ull << 39, 0x1000, "MAP at 2^39");
	/* virtio: the whole 64-bit space but the MSI window (FACTS: all ok but 0xfee00000 / straddle) */
	imap(t, &s, tp->usable_to_top ? 0 : -EINVAL, 0, 1ull << 48, 0x1000, "MAP at 2^48");
	imap(t, &s, tp->usable_to_top ? 0 : -EINVAL, 0, 0xfd00000000ull, 0x1000, "MAP at 0xfd00000000 (AMD HT hole)");
	imap(t, &s, tp->usable_to_top ? 0 : -EINVAL, 0, 0xfffffffffffff000ull, 0x1000, "MAP at the top page");
	iunmap(t, &s, 0, U64_MAX, 0, (tp->map_at_2_39 == 0 ? 0x2000 : 0x1000) + (tp->usable_to_top ? 0x3000 : 0),
	       "UNMAP all (0, U64_MAX)");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void map_args(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_ioas_map m;
	uint8_t big[64] __attribute__((aligned(8)));

	if (setup_attached(t, &s) < 0)
		goto out;
	imap(t, &s, -EOVERFLOW, 0, 0xfffffffffffff000ull, 0x2000, "MAP iova+length wraps");
	imap(t, &s, -EOVERFLOW, 0, 0x200000, U64_MAX, "MAP length U64_MAX");
	imap(t, &s, -EINVAL, 0, 0x200800, 0x1000, "MAP misaligned iova 0x200800");
	imap(t, &s, -EINVAL, 0, 0x200000, 0x800, "MAP misaligned length 0x800");
	imap(t, &s, -EINVAL, 0x800, 0x200000, 0x1000, "MAP misaligned vaddr +0x800");
	imap(t, &s, -EINVAL, 0x800, 0x200800, 0x1000, "MAP vaddr and iova both at offset 0x800");
	imap(t, &s, -EINVAL, 0, 0x200000, 0, "MAP length 0");
	cf_rc(t, "MAP without READABLE or WRITEABLE", -EINVAL,
	      cf_ioas_map(t, s.fd, s.ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA, cf_va(t, 0), 0x200000, 0x1000, NULL));
	cf_rc(t, "MAP unknown flag 1<<3", -EOPNOTSUPP,
	      cf_ioas_map(t, s.fd, s.ioas, F | (1u << 3), cf_va(t, 0), 0x200000, 0x1000, NULL));
	cf_rc(t, "MAP read-only", 0, cf_ioas_map(t, s.fd, s.ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA |
		KABI_IOMMU_IOAS_MAP_READABLE, cf_va(t, 0), 0x280000, 0x1000, NULL));
	cf_rc(t, "MAP write-only", 0, cf_ioas_map(t, s.fd, s.ioas, KABI_IOMMU_IOAS_MAP_FIXED_IOVA |
		KABI_IOMMU_IOAS_MAP_WRITEABLE, cf_va(t, 0), 0x290000, 0x1000, NULL));
	imap(t, &s, 0, 0, 0, 0x1000, "MAP at iova 0");
	m = (struct kabi_iommu_ioas_map){ .size = sizeof(m), .flags = F, .ioas_id = s.ioas, .__reserved = 1,
		.user_va = cf_va(t, 0), .length = 0x1000, .iova = 0x300000 };
	cf_rc(t, "MAP with __reserved != 0", -EOPNOTSUPP, cf_io(t, s.fd, KABI_IOMMU_IOAS_MAP, &m));
	m.__reserved = 0;
	m.ioas_id = 0xdead;
	cf_rc(t, "MAP into an unknown IOAS", -ENOENT, cf_io(t, s.fd, KABI_IOMMU_IOAS_MAP, &m));
	m.ioas_id = s.ioas;
	m.size = 32;
	cf_rc(t, "MAP size 32 (< minimum)", -EINVAL, cf_io(t, s.fd, KABI_IOMMU_IOAS_MAP, &m));
	m.size = 48;
	memset(big, 0, sizeof(big));
	memcpy(big, &m, sizeof(m));
	big[47] = 1;
	cf_rc(t, "MAP size 48, non-zero tail", -E2BIG, cf_io(t, s.fd, KABI_IOMMU_IOAS_MAP, big));
	big[47] = 0;
	cf_rc(t, "MAP size 48, zero tail", 0, cf_io(t, s.fd, KABI_IOMMU_IOAS_MAP, big));
	iunmap(t, &s, 0, U64_MAX, 0, 0x4000, "UNMAP all (0, U64_MAX)");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

/*
 * Without FIXED_IOVA the kernel picks the lowest free IOVA above page 0 aligned
 * to min(length rounded up to a power of two, the buffer's own alignment,
 * 2 MiB on a THP kernel): a 2 MiB-aligned buffer gets 64 KiB steps, a 4 KiB-
 * aligned one gets 4 KiB steps.  The expectation follows the buffer.
 */
static uint64_t auto_iova_align(uint64_t va, uint64_t len)
{
	uint64_t a = 1;

	while (a < len && a < (2ull << 20))
		a <<= 1;
	return (va & (~va + 1)) < a ? (va & (~va + 1)) : a;
}

static void map_alloc(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	const uint32_t rw = KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE;
	const uint64_t a = auto_iova_align(cf_va(t, 0), 0x10000);
	const uint64_t first = a < 0x1000 ? 0x1000 : a;
	uint64_t io = 0;

	if (cf_ifd_open(t, &s) < 0)
		goto out;
	if (cf_rc(t, "MAP without FIXED_IOVA", 0, cf_ioas_map(t, s.fd, s.ioas, rw, cf_va(t, 0), 0, 0x10000, &io)))
		cf_hex(t, "MAP without FIXED_IOVA: iova", first, io);
	if (cf_rc(t, "MAP without FIXED_IOVA, 2nd", 0, cf_ioas_map(t, s.fd, s.ioas, rw, cf_va(t, 0), 0, 0x10000, &io)))
		cf_hex(t, "MAP without FIXED_IOVA, 2nd: iova", (first + 0x10000 + a - 1) & ~(a - 1), io);
	iunmap(t, &s, 0, U64_MAX, 0, 0x20000, "UNMAP all (0, U64_MAX)");
	iunmap(t, &s, 0, U64_MAX, 0, 0, "UNMAP all on an empty IOAS");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void unmap(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	uint64_t l;

	if (setup_attached(t, &s) < 0)
		goto out;
	iunmap(t, &s, 0x40000000, 0x1000, -ENOENT, 0, "UNMAP where nothing is mapped");
	iunmap(t, &s, 0x100000, 0, -EINVAL, 0, "UNMAP length 0");
	imap(t, &s, 0, 0, 0x100000, 0x10000, "MAP 0x100000+0x10000");
	iunmap(t, &s, 0x100800, 0x1000, -ENOENT, 0, "UNMAP misaligned iova");
	iunmap(t, &s, 0x100000, 0x800, -ENOENT, 0, "UNMAP misaligned length");
	imap(t, &s, 0, 0, 0x600000, 0x10000, "MAP 0x600000+0x10000");
	iunmap(t, &s, 0x604000, 0x4000, -ENOENT, 0, "UNMAP the middle 0x604000+0x4000");
	iunmap(t, &s, 0x600000, 0x4000, -ENOENT, 0, "UNMAP the head 0x600000+0x4000");
	iunmap(t, &s, 0x60c000, 0x4000, -ENOENT, 0, "UNMAP the tail 0x60c000+0x4000");
	iunmap(t, &s, 0x600000, 0x10000, 0, 0x10000, "UNMAP the whole 0x600000+0x10000");
	imap(t, &s, 0, 0, 0x800000, 0x10000, "MAP 0x800000+0x10000");
	imap(t, &s, 0, 0x10000, 0x810000, 0x10000, "MAP 0x810000+0x10000");
	iunmap(t, &s, 0x800000, 0x20000, 0, 0x20000, "UNMAP two whole adjacent mappings");
	imap(t, &s, 0, 0, 0x900000, 0x1000, "MAP 0x900000+0x1000");
	imap(t, &s, 0, 0x1000, 0x980000, 0x1000, "MAP 0x980000+0x1000");
	iunmap(t, &s, 0x8f0000, 0x100000, 0, 0x2000, "UNMAP a range holding two mappings and gaps");
	imap(t, &s, 0, 0, 0xa00000, 0x2000, "MAP A 0xa00000+0x2000");
	imap(t, &s, 0, 0, 0xa10000, 0x2000, "MAP B 0xa10000+0x2000");
	iunmap(t, &s, 0xa00000, 0x11000, -ENOENT, 0, "UNMAP covering A and splitting B");
	imap(t, &s, 0, 0, 0xa00000, 0x2000, "MAP A again (the failed UNMAP removed it: not atomic)");
	imap(t, &s, -EEXIST, 0, 0xa10000, 0x2000, "MAP B again (still mapped)");
	l = U64_MAX;
	{
		struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = 0xdead, .iova = 0, .length = l };
		cf_rc(t, "UNMAP in an unknown IOAS", -ENOENT, cf_io(t, s.fd, KABI_IOMMU_IOAS_UNMAP, &u));
	}
	iunmap(t, &s, 1, U64_MAX, -EOVERFLOW, 0, "UNMAP iova 1 length U64_MAX");
	iunmap(t, &s, 0, U64_MAX, 0, 0x14000, "UNMAP all (0, U64_MAX)");
	iunmap(t, &s, 0, U64_MAX, 0, 0, "UNMAP all again (empty: 0, not ENOENT)");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

/* The cdev before and around BIND. */
static void cdev_bind(struct cf_t *t, unsigned long arg)
{
	const struct cf_dev *d = &t->h->dev[0];
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_vfio_device_info di = { .argsz = sizeof(di) };
	struct kabi_vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct kabi_vfio_device_bind_iommufd b;
	uint8_t uuid[16] = { 0 };
	uint8_t big[40] __attribute__((aligned(8))) = { 0 };
	char path[64];
	int g;

	if (cf_ifd_open(t, &s) < 0)
		goto out;
	s.dev = cf_open(t, d->cdev);
	if (!cf_rc(t, "open the cdev", 0, s.dev))
		goto out;
	cf_rc(t, "DEVICE_GET_INFO before BIND", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_GET_INFO, &di));
	at.pt_id = s.ioas;
	cf_rc(t, "ATTACH before BIND", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 12, .iommufd = s.fd };
	cf_rc(t, "BIND argsz 12", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .flags = 1u << 1, .iommufd = s.fd };
	cf_rc(t, "BIND unknown flag 1<<1", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 24, .flags = 1, .iommufd = s.fd,
		.token_uuid_ptr = (uint64_t)(uintptr_t)uuid };
	cf_rc(t, "BIND FLAG_TOKEN on a device that is not a VF", -EINVAL,
	      cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .iommufd = -1 };
	cf_rc(t, "BIND iommufd -1", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 40, .iommufd = s.fd };
	memcpy(big, &b, sizeof(b));
	big[36] = 1;
	cf_rc(t, "BIND argsz 40, non-zero tail", -E2BIG, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, big));
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .iommufd = s.fd, .out_devid = 0xeeee };
	if (!cf_rc(t, "BIND argsz 16", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)))
		goto out;
	if (b.out_devid == 0 || b.out_devid == 0xeeee)
		cf_fail(t, "BIND: out_devid not written (%u)", b.out_devid);
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .iommufd = s.fd };
	cf_rc(t, "BIND a second time", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	snprintf(path, sizeof(path), "/dev/vfio/%u", d->group);
	g = cf_open(t, path);
	if (!cf_rc(t, "open the group node while the cdev is bound", -EBUSY, g) && g >= 0)
		cf_close(t, &g);
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

/* A group in a container keeps the cdev from binding, with or without a device fd. */
static void cdev_vs_group(struct cf_t *t, unsigned long arg)
{
	const struct cf_dev *d = &t->h->dev[0];
	int c = -1, g = -1, dev = -1, cd = -1, ifd = -1;
	struct kabi_vfio_device_bind_iommufd b;

	if (cf_t1_setup(t, KABI_VFIO_TYPE1v2_IOMMU, &c, &g) < 0)
		goto out;
	ifd = cf_open(t, "/dev/iommu");
	cd = cf_open(t, d->cdev);
	if (!cf_rc(t, "open /dev/iommu", 0, ifd) || !cf_rc(t, "open the cdev while the group is in a container", 0, cd))
		goto out;
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .iommufd = ifd };
	cf_rc(t, "BIND while the group is in a container (no device fd)", -EBUSY,
	      cf_io(t, cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
	dev = cf_get_device_fd(t, g, d->bdf);
	if (!cf_rc(t, "GET_DEVICE_FD", 0, dev))
		goto out;
	b = (struct kabi_vfio_device_bind_iommufd){ .argsz = 16, .iommufd = ifd };
	cf_rc(t, "BIND while the group's device fd is open", -EBUSY, cf_io(t, cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b));
out:
	cf_close(t, &cd);
	cf_close(t, &ifd);
	cf_close(t, &dev);
	cf_close(t, &g);
	cf_close(t, &c);
	(void)arg;
}

/* ATTACH / DETACH arguments; the PASID flag on these non-PASID topologies. */
static void cdev_attach(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_vfio_device_attach_iommufd_pt at;
	struct kabi_vfio_device_detach_iommufd_pt dt;
	struct kabi_iommu_ioas_alloc a2 = { .size = sizeof(a2) };
	uint32_t hwpt;

	if (cf_ifd_open(t, &s) < 0 || cf_ifd_bind(t, &s, 0) < 0)
		goto out;
	/* a mapping in the MSI window made before the attach makes the attach fail */
	if (cf_rc(t, "IOAS_ALLOC", 0, cf_io(t, s.fd, KABI_IOMMU_IOAS_ALLOC, &a2))) {
		cf_rc(t, "MAP in the MSI window of an unattached IOAS", 0,
		      cf_ioas_map(t, s.fd, a2.out_ioas_id, F, cf_va(t, 0), 0xfee00000, 0x1000, NULL));
		at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = a2.out_ioas_id };
		cf_rc(t, "ATTACH to an IOAS mapping the MSI window", -EADDRINUSE,
		      cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
		cf_rc(t, "DESTROY that IOAS", 0, cf_destroy(t, s.fd, a2.out_ioas_id));
	}
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 8, .pt_id = s.ioas };
	cf_rc(t, "ATTACH argsz 8", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = 0xdead };
	cf_rc(t, "ATTACH unknown pt_id", -ENOENT, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 16, .flags = 1u << 1, .pt_id = s.ioas };
	cf_rc(t, "ATTACH unknown flag 1<<1", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	if (cf_ifd_attach(t, &s) < 0)
		goto out;
	hwpt = s.hwpt;
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 16, .pt_id = s.ioas };
	if (cf_rc(t, "ATTACH the same IOAS again", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)))
		cf_val(t, "ATTACH the same IOAS again: same HWPT", hwpt, at.pt_id);
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 16, .flags = KABI_VFIO_DEVICE_ATTACH_PASID,
		.pt_id = s.ioas, .pasid = 1 };
	if (cf_rc(t, "ATTACH with the PASID flag, pasid 1", -EINVAL,
		  cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)))
		cf_val(t, "ATTACH with the PASID flag: pt_id not written", s.ioas, at.pt_id);
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 12, .flags = KABI_VFIO_DEVICE_ATTACH_PASID,
		.pt_id = s.ioas, .pasid = 1 };
	cf_rc(t, "ATTACH with the PASID flag, argsz 12", -EINVAL,
	      cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	dt = (struct kabi_vfio_device_detach_iommufd_pt){ .argsz = 8 };
	cf_rc(t, "DETACH argsz 8", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	cf_rc(t, "DETACH again (idempotent)", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	dt = (struct kabi_vfio_device_detach_iommufd_pt){ .argsz = 4 };
	cf_rc(t, "DETACH argsz 4", -EINVAL, cf_io(t, s.dev, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
	dt = (struct kabi_vfio_device_detach_iommufd_pt){ .argsz = 12, .flags = KABI_VFIO_DEVICE_DETACH_PASID,
		.pasid = 1 };
	cf_rc(t, "DETACH with the PASID flag, pasid never attached", 0,
	      cf_io(t, s.dev, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static int hw_info(struct cf_t *t, const struct cf_ifd *s, uint32_t size, uint32_t flags, uint32_t devid,
		   uint32_t in_type, struct kabi_iommu_hw_info *out, uint8_t *data, uint32_t data_len)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	struct kabi_iommu_hw_info *h = (void *)buf;
	int rc;

	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, size < sizeof(buf) ? size : sizeof(buf));
	h->size = size;
	h->flags = flags;
	h->dev_id = devid;
	h->data_len = data_len;
	h->data_uptr = (uint64_t)(uintptr_t)data;
	if (size >= 28)
		h->out_data_type = in_type;
	rc = cf_io(t, s->fd, KABI_IOMMU_GET_HW_INFO, buf);
	memcpy(out, buf, sizeof(*out));
	return rc;
}

static void hwinfo(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_hw_info h;
	uint8_t data[256];

	if (cf_ifd_open(t, &s) < 0 || cf_ifd_bind(t, &s, 0) < 0)
		goto out;
	cf_rc(t, "GET_HW_INFO size 24", -EINVAL, hw_info(t, &s, 24, 0, s.devid, 0, &h, data, sizeof(data)));
	cf_rc(t, "GET_HW_INFO size 28", -EINVAL, hw_info(t, &s, 28, 0, s.devid, 0, &h, data, sizeof(data)));
	if (cf_rc(t, "GET_HW_INFO size 32", 0, hw_info(t, &s, 32, 0, s.devid, 0, &h, data, sizeof(data)))) {
		cf_val(t, "GET_HW_INFO size 32: out_data_type", tp->hw_type, h.out_data_type);
		cf_val(t, "GET_HW_INFO size 32: data_len", tp->hw_data_len, h.data_len);
		cf_val(t, "GET_HW_INFO size 32: out_max_pasid_log2", 0, h.out_max_pasid_log2);
		cf_hex(t, "GET_HW_INFO size 32: out_capabilities untouched", 0xeeeeeeeeeeeeeeeeull, h.out_capabilities);
	}
	if (cf_rc(t, "GET_HW_INFO size 40", 0, hw_info(t, &s, 40, 0, s.devid, 0, &h, data, sizeof(data))))
		cf_hex(t, "GET_HW_INFO out_capabilities (PCI_ATS_NOT_SUPPORTED)",
		       KABI_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, h.out_capabilities);
	if (cf_rc(t, "GET_HW_INFO data_len 0", 0, hw_info(t, &s, 40, 0, s.devid, 0, &h, NULL, 0)))
		cf_val(t, "GET_HW_INFO data_len 0: data_len written back", tp->hw_data_len, h.data_len);
	{
		uint8_t buf[48] __attribute__((aligned(8))) = { 0 };
		struct kabi_iommu_hw_info *r = (void *)buf;

		r->size = sizeof(*r);
		r->dev_id = s.devid;
		r->__reserved[0] = 1;
		cf_rc(t, "GET_HW_INFO with __reserved != 0", -EOPNOTSUPP, cf_io(t, s.fd, KABI_IOMMU_GET_HW_INFO, buf));
	}
	cf_rc(t, "GET_HW_INFO flags bit 1", -EOPNOTSUPP, hw_info(t, &s, 40, 1u << 1, s.devid, 0, &h, data, sizeof(data)));
	cf_rc(t, "GET_HW_INFO INPUT_TYPE with type 0xff", tp->hw_info_input_type_ff,
	      hw_info(t, &s, 40, KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE, s.devid, 0xff, &h, data, sizeof(data)));
	cf_rc(t, "GET_HW_INFO of an unknown dev_id", -ENOENT, hw_info(t, &s, 40, 0, 0xdead, 0, &h, data, sizeof(data)));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static int hwpt_alloc(struct cf_t *t, const struct cf_ifd *s, uint32_t flags, uint32_t data_type, uint32_t rsv,
		      uint32_t *id)
{
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = flags, .dev_id = s->devid, .pt_id = s->ioas,
					   .data_type = data_type, .__reserved = rsv };
	int rc = cf_io(t, s->fd, KABI_IOMMU_HWPT_ALLOC, &h);

	*id = h.out_hwpt_id;
	return rc;
}

static void hwpt(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_vfio_device_attach_iommufd_pt at;
	uint32_t plain = 0, id = 0;
	int rc;

	if (setup_attached(t, &s) < 0)
		goto out;
	if (!cf_rc(t, "HWPT_ALLOC", 0, hwpt_alloc(t, &s, 0, 0, 0, &plain)))
		goto out;
	rc = hwpt_alloc(t, &s, KABI_IOMMU_HWPT_ALLOC_PASID, 0, 0, &id);
	if (cf_rc(t, "HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID", tp->hwpt_alloc_pasid, rc) && rc >= 0)
		cf_rc(t, "DESTROY that HWPT", 0, cf_destroy(t, s.fd, id));
	cf_rc(t, "HWPT_ALLOC DIRTY_TRACKING", -EOPNOTSUPP,
	      hwpt_alloc(t, &s, KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, &id));
	cf_rc(t, "HWPT_ALLOC NEST_PARENT", -EOPNOTSUPP, hwpt_alloc(t, &s, KABI_IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0, &id));
	{
		/* FACTS.md "iommufd HWPT dirty tracking": a page table without DIRTY_TRACKING cannot track */
		struct kabi_iommu_hwpt_set_dirty sd = { .size = sizeof(sd), .flags = KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
							.hwpt_id = plain };

		cf_rc(t, "HWPT_SET_DIRTY_TRACKING on a HWPT without DIRTY_TRACKING", -EOPNOTSUPP,
		      cf_io(t, s.fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &sd));
		sd.flags = 2;
		cf_rc(t, "HWPT_SET_DIRTY_TRACKING unknown flag 2", -EOPNOTSUPP,
		      cf_io(t, s.fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &sd));
	}
	cf_rc(t, "HWPT_ALLOC unknown flag 1<<10", -EOPNOTSUPP, hwpt_alloc(t, &s, 1u << 10, 0, 0, &id));
	cf_rc(t, "HWPT_ALLOC __reserved != 0", -EOPNOTSUPP, hwpt_alloc(t, &s, 0, 0, 1, &id));
	cf_rc(t, "HWPT_ALLOC data_type VTD_S1 with data_len 0", -EINVAL, hwpt_alloc(t, &s, 0, 1, 0, &id));
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = plain };
	if (cf_rc(t, "ATTACH replacing the auto HWPT with an explicit one", 0,
		  cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))) {
		cf_val(t, "ATTACH to the explicit HWPT: pt_id", plain, at.pt_id);
		cf_rc(t, "DESTROY the replaced auto HWPT (already gone)", -ENOENT, cf_destroy(t, s.fd, s.hwpt));
	}
	at = (struct kabi_vfio_device_attach_iommufd_pt){ .argsz = 12, .pt_id = s.ioas };
	cf_rc(t, "ATTACH back to the IOAS", 0, cf_io(t, s.dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	cf_rc(t, "DESTROY the explicit HWPT after that", 0, cf_destroy(t, s.fd, plain));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void allow_iovas(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_iova_range r = { 0xfee00000, 0xfeefffff };
	struct kabi_iommu_ioas_allow_iovas a;
	uint64_t io = 0;

	if (setup_attached(t, &s) < 0)
		goto out;
	a = (struct kabi_iommu_ioas_allow_iovas){ .size = sizeof(a), .ioas_id = s.ioas, .num_iovas = 1,
		.allowed_iovas = (uint64_t)(uintptr_t)&r };
	cf_rc(t, "ALLOW_IOVAS over the MSI window while attached", -EADDRINUSE,
	      cf_io(t, s.fd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a));
	r = (struct kabi_iommu_iova_range){ 0x1000000, 0x1ffffff };
	if (cf_rc(t, "ALLOW_IOVAS [0x1000000,0x1ffffff]", 0, cf_io(t, s.fd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a))) {
		expect_ranges(t, &s, "IOVA_RANGES after ALLOW_IOVAS (unchanged)", tp->ranges, tp->nranges, 0x1000);
		if (cf_rc(t, "MAP without FIXED_IOVA after ALLOW_IOVAS", 0, cf_ioas_map(t, s.fd, s.ioas,
			  KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE, cf_va(t, 0), 0, 0x1000, &io)))
			cf_hex(t, "MAP without FIXED_IOVA after ALLOW_IOVAS: iova", 0x1000000, io);
		imap(t, &s, 0, 0, 0x100000, 0x1000, "FIXED MAP outside the allowed IOVAs");
	}
	r = (struct kabi_iommu_iova_range){ 0x2000, 0x1000 };
	cf_rc(t, "ALLOW_IOVAS start > last", -EINVAL, cf_io(t, s.fd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a));
	a.num_iovas = 0;
	cf_rc(t, "ALLOW_IOVAS num 0 (clear)", 0, cf_io(t, s.fd, KABI_IOMMU_IOAS_ALLOW_IOVAS, &a));
	iunmap(t, &s, 0, U64_MAX, 0, 0x2000, "UNMAP all (0, U64_MAX)");
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

static void options(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	struct kabi_iommu_vfio_ioas v = { .size = sizeof(v), .op = KABI_IOMMU_VFIO_IOAS_GET };
	struct kabi_iommu_option o;

	if (cf_ifd_open(t, &s) < 0)
		goto out;
	cf_rc(t, "VFIO_IOAS GET with none set", -ENODEV, cf_io(t, s.fd, KABI_IOMMU_VFIO_IOAS, &v));
	o = (struct kabi_iommu_option){ .size = sizeof(o), .option_id = KABI_IOMMU_OPTION_HUGE_PAGES,
		.op = KABI_IOMMU_OPTION_OP_GET, .object_id = s.ioas };
	if (cf_rc(t, "OPTION GET HUGE_PAGES", 0, cf_io(t, s.fd, KABI_IOMMU_OPTION, &o)))
		cf_val(t, "OPTION GET HUGE_PAGES: value", 1, (long long)o.val64);
	o = (struct kabi_iommu_option){ .size = sizeof(o), .option_id = KABI_IOMMU_OPTION_RLIMIT_MODE,
		.op = KABI_IOMMU_OPTION_OP_GET };
	if (cf_rc(t, "OPTION GET RLIMIT_MODE", 0, cf_io(t, s.fd, KABI_IOMMU_OPTION, &o)))
		cf_val(t, "OPTION GET RLIMIT_MODE: value", 0, (long long)o.val64);
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

const struct cf_case cf_cases_iommufd[] = {
	{ "iommufd.size_contract", size_contract, 0, 0, NULL, NULL },
	{ "iommufd.ranges_fresh", ranges_fresh, 0, 0, NULL, NULL },
	{ "iommufd.ranges_attach", ranges_attach, 0, 0, NULL, NULL },
	{ "iommufd.map_overlap", map_overlap, 0, 0, NULL, NULL },
	{ "iommufd.map_window", map_window, 0, 0, NULL, NULL },
	{ "iommufd.map_args", map_args, 0, 0, NULL, NULL },
	{ "iommufd.map_alloc", map_alloc, 0, 0, NULL, NULL },
	{ "iommufd.unmap", unmap, 0, 0, NULL, NULL },
	{ "iommufd.allow_iovas", allow_iovas, 0, 0, NULL, NULL },
	{ "iommufd.options", options, 0, 0, NULL, NULL },
	{ "iommufd.hw_info", hwinfo, 0, 0, NULL, NULL },
	{ "iommufd.hwpt_alloc", hwpt, 0, 0, NULL, NULL },
	{ "cdev.bind", cdev_bind, 0, 0, NULL, NULL },
	{ "cdev.bind_vs_group", cdev_vs_group, 0, 0, NULL, NULL },
	{ "cdev.attach", cdev_attach, 0, 0, NULL, NULL },
};
const size_t cf_ncases_iommufd = sizeof(cf_cases_iommufd) / sizeof(cf_cases_iommufd[0]);

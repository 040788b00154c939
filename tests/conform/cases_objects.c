/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The library's iommufd objects (<vfioiommu/objects.h>) on a real NIC: a
 * second IOAS, the device moved onto it and onto a page table on it, the
 * EBUSY destroys and the holders they name, the page-table flags each
 * measured IOMMU accepts, a fault queue for a device without PRI, and a
 * PASID attach on a device without PASID.  Same expectations on the mock
 * and on Linux 7.2 (tests/vm/FACTS.md, "library objects").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>

#include "conform.h"

#define PG 4096ull

struct env {
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	uint32_t devid;
};

static bool up(struct cf_t *t, struct env *e)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = t->door };

	memset(e, 0, sizeof(*e));
	if (!cf_rc(t, "vfioiommu_ctx_new", 0, vfioiommu_ctx_new(&o, &e->ctx)))
		return false;
	return cf_rc(t, "vfioiommu_device_open", 0, vfioiommu_device_open(e->ctx, t->h->dev[0].bdf, &e->dev)) &&
	       cf_rc(t, "vfioiommu_device_iommufd_id", 0, vfioiommu_device_iommufd_id(e->dev, &e->devid));
}

static void msg_has(struct cf_t *t, struct env *e, const char *what, const char *word)
{
	if (!strstr(vfioiommu_strerror(e->ctx), word))
		cf_fail(t, "%s: message \"%s\" does not name \"%s\"", what, vfioiommu_strerror(e->ctx), word);
}

static void ranges_are(struct cf_t *t, vfioiommu_ioas *ioas, const char *what, const struct kabi_iommu_iova_range *exp,
		       uint32_t nexp)
{
	struct kabi_iommu_iova_range got[CF_MAX_RANGES];
	vfioiommu_iova_list *l = NULL;
	size_t n;

	if (!cf_rc(t, what, 0, vfioiommu_ioas_iova_ranges(ioas, &l)))
		return;
	n = vfioiommu_iova_list_count(l);
	for (size_t i = 0; i < n && i < CF_MAX_RANGES; i++) {
		struct vfioiommu_iova_range r;

		vfioiommu_iova_list_get(l, i, &r);
		got[i] = (struct kabi_iommu_iova_range){ r.start, r.last };
	}
	cf_ranges(t, what, exp, nexp, got, n < CF_MAX_RANGES ? (uint32_t)n : CF_MAX_RANGES);
	vfioiommu_iova_list_free(l);
}

/* A second IOAS: map, move the NIC there and onto a page table on it, the EBUSY destroys, back home. */
static void second_ioas(struct cf_t *t, unsigned long arg)
{
	static const struct kabi_iommu_iova_range all = { 0, UINT64_MAX };
	const struct cf_topo *tp = t->h->topo;
	vfioiommu_ioas *a = NULL, *own = NULL;
	vfioiommu_pagetable *pt = NULL;
	struct env e;
	uint64_t iova = 0x100000, iova2 = 0;

	(void)arg;
	if (!up(t, &e))
		goto out;
	if (!cf_rc(t, "vfioiommu_ioas_new", 0, vfioiommu_ioas_new(e.ctx, &a)) ||
	    !cf_rc(t, "vfioiommu_ctx_ioas", 0, vfioiommu_ctx_ioas(e.ctx, &own)))
		goto out;
	ranges_are(t, a, "ranges of an IOAS no device uses", &all, 1);
	cf_rc(t, "ioas_map FIXED 0x100000+2 pages", 0, vfioiommu_ioas_map(a, t->h->mem, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &iova));
	cf_rc(t, "ioas_map kernel-chosen IOVA", 0, vfioiommu_ioas_map(a, t->h->mem + 2 * PG, PG, VFIOIOMMU_DMA_READ,
	      &iova2));
	if (!cf_rc(t, "attach the NIC to the second IOAS", 0, vfioiommu_device_attach_ioas(e.dev, a)))
		goto out;
	ranges_are(t, a, "ranges of the second IOAS with the NIC", tp->ranges, tp->nranges);
	if (cf_rc(t, "destroy the IOAS the NIC is on", -EBUSY, vfioiommu_ioas_destroy(a)))
		msg_has(t, &e, "destroy the IOAS the NIC is on", "(RID)");
	if (!cf_rc(t, "page table on the second IOAS", 0, vfioiommu_pagetable_new(e.ctx, e.devid,
	      &(struct vfioiommu_pagetable_opts){ .size = sizeof(struct vfioiommu_pagetable_opts), .ioas = a }, &pt)))
		goto home;
	if (!cf_rc(t, "replace: the NIC onto the page table", 0, vfioiommu_device_attach_pagetable(e.dev, pt)))
		goto home;
	if (cf_rc(t, "destroy the IOAS a page table is on", -EBUSY, vfioiommu_ioas_destroy(a)))
		msg_has(t, &e, "destroy the IOAS a page table is on", "page table");
	if (cf_rc(t, "destroy the page table the NIC is on", -EBUSY, vfioiommu_pagetable_destroy(pt)))
		msg_has(t, &e, "destroy the page table the NIC is on", "(RID)");
home:
	cf_rc(t, "replace: the NIC back onto the context's IOAS", 0, vfioiommu_device_attach_ioas(e.dev, own));
	if (pt)
		cf_rc(t, "destroy the page table", 0, vfioiommu_pagetable_destroy(pt));
	cf_rc(t, "ioas_unmap the fixed mapping", 0, vfioiommu_ioas_unmap(a, 0x100000, 2 * PG));
	cf_rc(t, "ioas_unmap it again", -ENOENT, vfioiommu_ioas_unmap(a, 0x100000, 2 * PG));
	cf_rc(t, "destroy the second IOAS (one mapping left in it)", 0, vfioiommu_ioas_destroy(a));
	{
		uint64_t i3 = 0;
		cf_rc(t, "vfioiommu_dma_map on the context's IOAS afterwards", 0,
		      vfioiommu_dma_map(e.ctx, t->h->mem, PG, VFIOIOMMU_DMA_READ, &i3));
	}
out:
	vfioiommu_ctx_destroy(e.ctx);
}

/*
 * The flags each measured IOMMU takes for the NIC (FACTS "library objects"):
 * arg indexes the flag sets below; the expectation is per topology.
 */
static const struct {
	uint32_t flags;
	const char *name;
	int intel, amd;
} flag_sets[] = {
	{ 0, "plain", 0, 0 },
	{ VFIOIOMMU_PT_NEST_PARENT, "NEST_PARENT", -EOPNOTSUPP, -EOPNOTSUPP },
	{ VFIOIOMMU_PT_DIRTY_TRACKING, "DIRTY_TRACKING", -EOPNOTSUPP, -EOPNOTSUPP },
	{ VFIOIOMMU_PT_PASID, "PASID", 0, -EOPNOTSUPP },
	{ VFIOIOMMU_PT_NEST_PARENT | VFIOIOMMU_PT_PASID, "NEST_PARENT|PASID", -EOPNOTSUPP, -EOPNOTSUPP },
};

static void pagetable_flags(struct cf_t *t, unsigned long arg)
{
	bool intel = !strcmp(t->h->topo->name, "intel");
	vfioiommu_pagetable *pt = NULL;
	struct env e;
	char what[96];

	if (!up(t, &e))
		goto out;
	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = flag_sets[i].flags };
		int want = intel ? flag_sets[i].intel : flag_sets[i].amd;
		int rc = vfioiommu_pagetable_new(e.ctx, e.devid, &o, &pt);

		snprintf(what, sizeof(what), "page table %s for the NIC", flag_sets[i].name);
		cf_rc(t, what, want, rc);
		if (rc == -EOPNOTSUPP)
			msg_has(t, &e, what, "Linux 6.");
		if (rc == 0) {
			snprintf(what, sizeof(what), "attach the NIC to page table %s", flag_sets[i].name);
			cf_rc(t, what, 0, vfioiommu_device_attach_pagetable(e.dev, pt));
			{
				vfioiommu_ioas *own = NULL;
				cf_rc(t, "vfioiommu_ctx_ioas", 0, vfioiommu_ctx_ioas(e.ctx, &own));
				cf_rc(t, "the NIC back home", 0, vfioiommu_device_attach_ioas(e.dev, own));
			}
			cf_rc(t, "destroy it", 0, vfioiommu_pagetable_destroy(pt));
		}
	}
out:
	(void)arg;
	vfioiommu_ctx_destroy(e.ctx);
}

/*
 * A fault queue for a NIC without PRI: the queue and page table are made; intel refuses the attach, amd
 * takes it; virtio-iommu refuses the page table itself.
 */
static void fault_no_pri(struct cf_t *t, unsigned long arg)
{
	vfioiommu_fault_queue *q = NULL;
	vfioiommu_pagetable *pt = NULL;
	vfioiommu_ring *ring = NULL;
	struct env e;
	int rc;

	(void)arg;
	if (!up(t, &e))
		goto out;
	if (!cf_rc(t, "vfioiommu_ring_create", 0, vfioiommu_ring_create(e.ctx, 16, &ring)) ||
	    !cf_rc(t, "vfioiommu_fault_queue_new", 0, vfioiommu_fault_queue_new(e.ctx, ring, &q)))
		goto out;
	rc = vfioiommu_pagetable_new(e.ctx, e.devid, &(struct vfioiommu_pagetable_opts){
		.size = sizeof(struct vfioiommu_pagetable_opts), .fault = q }, &pt);
	/* virtio-iommu takes no HWPT flag at all, FAULT_ID_VALID included (FACTS, objects) */
	if (!strcmp(t->h->topo->name, "virtio")) {
		if (cf_rc(t, "page table with the fault queue for the NIC", -EOPNOTSUPP, rc))
			msg_has(t, &e, "page table with the fault queue for the NIC", "Linux 6.");
		else if (rc == 0)
			vfioiommu_pagetable_destroy(pt);
	} else if (cf_rc(t, "page table with the fault queue for the NIC", 0, rc)) {
		/* intel refuses a device without PRI; amd takes it */
		bool intel = !strcmp(t->h->topo->name, "intel");
		vfioiommu_ioas *own = NULL;

		rc = vfioiommu_device_attach_pagetable(e.dev, pt);
		cf_rc(t, "attach the NIC (no PRI) to it", intel ? -ENODEV : 0, rc);
		if (rc == 0 && cf_rc(t, "vfioiommu_ctx_ioas", 0, vfioiommu_ctx_ioas(e.ctx, &own)))
			cf_rc(t, "the NIC back home", 0, vfioiommu_device_attach_ioas(e.dev, own));
		if (cf_rc(t, "destroy the queue a page table uses", -EBUSY, vfioiommu_fault_queue_destroy(q)))
			msg_has(t, &e, "destroy the queue a page table uses", "page table");
		cf_rc(t, "destroy the page table", 0, vfioiommu_pagetable_destroy(pt));
	}
	cf_rc(t, "destroy the queue", 0, vfioiommu_fault_queue_destroy(q));
out:
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(e.ctx);
}

/*
 * A PASID attach on a NIC whose max_pasid_log2 is 0, with its RID on a PASID
 * page table: Linux 7.2 on intel takes PASID 1 (the width is not checked on
 * that path); amd makes no PASID page table at all.
 */
static void pasid_no_pasid(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	vfioiommu_pagetable *pt = NULL;
	struct env e;
	int rc;

	(void)arg;
	if (!up(t, &e))
		goto out;
	if (!cf_rc(t, "PASID page table for the NIC", tp->hwpt_alloc_pasid, vfioiommu_pagetable_new(e.ctx, e.devid,
	      &(struct vfioiommu_pagetable_opts){ .size = sizeof(struct vfioiommu_pagetable_opts),
						   .flags = VFIOIOMMU_PT_PASID }, &pt)) || !pt)
		goto out;
	cf_rc(t, "the NIC's RID onto the PASID page table", 0, vfioiommu_device_attach_pagetable(e.dev, pt));
	cf_rc(t, "PASID 1 of the NIC onto it", 0, vfioiommu_device_pasid_attach(e.dev, 1, pt));
	rc = vfioiommu_pagetable_destroy(pt);
	if (rc == 0)
		pt = NULL; /* a fault earlier left nothing on it */
	if (cf_rc(t, "destroy the page table PASID 1 is on", -EBUSY, rc))
		msg_has(t, &e, "destroy the page table PASID 1 is on", "PASID 1");
	cf_rc(t, "PASID 1 detach", 0, vfioiommu_device_pasid_detach(e.dev, 1));
	cf_rc(t, "PASID 1 detach again", 0, vfioiommu_device_pasid_detach(e.dev, 1));
	{
		vfioiommu_ioas *own = NULL;
		cf_rc(t, "vfioiommu_ctx_ioas", 0, vfioiommu_ctx_ioas(e.ctx, &own));
		cf_rc(t, "the NIC back home", 0, vfioiommu_device_attach_ioas(e.dev, own));
	}
	if (pt)
		cf_rc(t, "destroy it", 0, vfioiommu_pagetable_destroy(pt));
out:
	vfioiommu_ctx_destroy(e.ctx);
}

/*
 * IOMMU_GET_HW_INFO with the driver's dump (FACTS c, cdev.GET_HW_INFO): intel
 * gives the VT-d registers (24 bytes: flags 1, cap, ecap) and zeroes the rest
 * of a larger buffer; a smaller buffer gets its bytes and the full size back;
 * amd gives no dump.
 */
static void hw_info_data(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	bool intel = !strcmp(tp->name, "intel");
	unsigned char buf[64];
	uint32_t type = 0xee, len = sizeof(buf);
	struct env e;

	(void)arg;
	if (!up(t, &e))
		goto out;
	memset(buf, 0xcc, sizeof(buf));
	if (!cf_rc(t, "vfioiommu_device_hw_info_data, 64 bytes", 0, vfioiommu_device_hw_info_data(e.dev, &type, buf, &len)))
		goto out;
	cf_val(t, "type", tp->hw_type, type);
	cf_val(t, "len", tp->hw_data_len, len);
	if (intel && len == sizeof(struct vfioiommu_hw_info_vtd)) {
		struct vfioiommu_hw_info_vtd v;

		memcpy(&v, buf, sizeof(v));
		cf_val(t, "vtd.flags", 1, v.flags);
		cf_hex(t, "vtd.cap_reg", 0x00d2008c22260286ull, v.cap_reg);
		cf_hex(t, "vtd.ecap_reg", 0xf00f4aull, v.ecap_reg);
	}
	for (size_t i = len; i < sizeof(buf); i++)
		if (buf[i] != 0) {
			cf_fail(t, "byte %zu past the dump is 0x%02x, not zeroed", i, buf[i]);
			break;
		}
	if (intel) {
		memset(buf, 0xcc, sizeof(buf));
		len = 8;
		if (cf_rc(t, "vfioiommu_device_hw_info_data, 8 bytes", 0,
			  vfioiommu_device_hw_info_data(e.dev, &type, buf, &len))) {
			cf_val(t, "len after a short buffer", 24, len);
			cf_val(t, "byte 8 after a short buffer (untouched)", 0xcc, buf[8]);
			cf_val(t, "byte 0 after a short buffer (flags)", 1, buf[0]);
		}
	}
	len = 0;
	cf_rc(t, "vfioiommu_device_hw_info_data, len 0", -EINVAL, vfioiommu_device_hw_info_data(e.dev, &type, buf, &len));
out:
	vfioiommu_ctx_destroy(e.ctx);
}

/* IOMMU_OPTION, ALLOW_IOVAS, IOAS_COPY and CHANGE_PROCESS through the library. */
static void ioas_ops(struct cf_t *t, unsigned long arg)
{
	const vfioiommu_door *d = t->door;
	vfioiommu_ioas *a = NULL, *b = NULL, *own = NULL;
	struct vfioiommu_iova_range allow = { 0x1000000, 0x1ffffff };
	uint64_t v = 7, iova = 0x100000, got = 0, own_iova = 0x300000;
	struct env e;
	int ifd;

	(void)arg;
	if (!up(t, &e))
		goto out;
	if (!cf_rc(t, "vfioiommu_ioas_new a", 0, vfioiommu_ioas_new(e.ctx, &a)) ||
	    !cf_rc(t, "vfioiommu_ioas_new b", 0, vfioiommu_ioas_new(e.ctx, &b)) ||
	    !cf_rc(t, "vfioiommu_ctx_ioas", 0, vfioiommu_ctx_ioas(e.ctx, &own)))
		goto out;
	/* options */
	if (cf_rc(t, "HUGE_PAGES of the context's IOAS", 0, vfioiommu_option_get(e.ctx, NULL, VFIOIOMMU_OPTION_HUGE_PAGES, &v)))
		cf_val(t, "HUGE_PAGES default", 1, (long long)v);
	if (cf_rc(t, "RLIMIT_MODE", 0, vfioiommu_option_get(e.ctx, NULL, VFIOIOMMU_OPTION_RLIMIT_MODE, &v)))
		cf_val(t, "RLIMIT_MODE default", 0, (long long)v);
	cf_rc(t, "set RLIMIT_MODE 1 on a context (it has its IOAS)", -EBUSY,
	      vfioiommu_option_set(e.ctx, NULL, VFIOIOMMU_OPTION_RLIMIT_MODE, 1));
	cf_rc(t, "set HUGE_PAGES 0 on an empty IOAS", 0, vfioiommu_option_set(e.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 0));
	if (cf_rc(t, "read it back", 0, vfioiommu_option_get(e.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v)))
		cf_val(t, "HUGE_PAGES of a after setting 0", 0, (long long)v);
	cf_rc(t, "set HUGE_PAGES 1 again", 0, vfioiommu_option_set(e.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 1));
	cf_rc(t, "dma_map on the context's IOAS (NIC attached)", 0, vfioiommu_dma_map(e.ctx, t->h->mem, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &own_iova));
	cf_rc(t, "set HUGE_PAGES 0 on the context's IOAS (a device and a mapping)", -EINVAL,
	      vfioiommu_option_set(e.ctx, NULL, VFIOIOMMU_OPTION_HUGE_PAGES, 0));
	cf_rc(t, "set HUGE_PAGES 2", -EINVAL, vfioiommu_option_set(e.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 2));
	cf_rc(t, "RLIMIT_MODE with an IOAS", -EINVAL, vfioiommu_option_get(e.ctx, a, VFIOIOMMU_OPTION_RLIMIT_MODE, &v));
	cf_rc(t, "option 9", -EOPNOTSUPP, vfioiommu_option_get(e.ctx, NULL, 9, &v));
	/* ALLOW_IOVAS: kernel-chosen IOVAs come from the allowed range (FACTS c) */
	cf_rc(t, "allow [0x1000000, 0x1ffffff] on a", 0, vfioiommu_ioas_allow_iovas(a, &allow, 1));
	if (cf_rc(t, "ioas_map a, kernel-chosen IOVA", 0, vfioiommu_ioas_map(a, t->h->mem + 4 * PG, PG, VFIOIOMMU_DMA_READ,
	      &got)))
		cf_hex(t, "the kernel-chosen IOVA", 0x1000000, got);
	cf_rc(t, "allow IOVAs over the MSI window of the NIC's IOAS", -EADDRINUSE,
	      vfioiommu_ioas_allow_iovas(own, &(struct vfioiommu_iova_range){ 0xfee00000, 0xfeefffff }, 1));
	cf_rc(t, "allow: clear a's list", 0, vfioiommu_ioas_allow_iovas(a, NULL, 0));
	/* IOAS_COPY */
	cf_rc(t, "ioas_map a FIXED 0x100000 + 2 pages", 0, vfioiommu_ioas_map(a, t->h->mem, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova));
	got = 0x200000;
	cf_rc(t, "copy a:0x100000+2 pages to b:0x200000", 0, vfioiommu_ioas_copy(b, a, 0x100000, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got));
	got = 0x200000;
	cf_rc(t, "copy it again over itself", -EEXIST, vfioiommu_ioas_copy(b, a, 0x100000, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got));
	got = 0x400000;
	cf_rc(t, "copy half of a's mapping (library check)", -ENOENT, vfioiommu_ioas_copy(b, a, 0x100000, PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got));
	ifd = vfioiommu_ctx_iommufd_fd(e.ctx);
	{
		struct kabi_iommu_ioas_copy c = { .size = sizeof(c), .flags = KABI_IOMMU_IOAS_MAP_FIXED_IOVA |
			KABI_IOMMU_IOAS_MAP_READABLE, .dst_ioas_id = vfioiommu_ioas_id(b), .src_ioas_id = vfioiommu_ioas_id(a),
			.length = PG, .dst_iova = 0x400000, .src_iova = 0x100000 };
		int rc = d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_COPY, &c);

		/* the kernel copies a part of a mapping: the library's whole-mapping rule is its own */
		cf_rc(t, "raw IOAS_COPY of half a mapping", 0, rc);
		if (rc == 0) {
			struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = c.dst_ioas_id, .iova = 0x400000,
							   .length = PG };
			cf_rc(t, "raw unmap of it", 0, d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_UNMAP, &u));
		}
	}
	got = 0x500000;
	cf_rc(t, "copy from the context's IOAS (its dma_map mapping)", 0, vfioiommu_ioas_copy(b, own, own_iova, 2 * PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &got));
	got = 0x600000;
	cf_rc(t, "copy from the context's IOAS at an unmapped IOVA", -ENOENT, vfioiommu_ioas_copy(b, own, 0x7000000, PG,
	      VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got));
	cf_rc(t, "copy into the context's IOAS", -EINVAL, vfioiommu_ioas_copy(own, a, 0x100000, 2 * PG,
	      VFIOIOMMU_DMA_READ, &got));
	cf_rc(t, "unmap the copy in b", 0, vfioiommu_ioas_unmap(b, 0x200000, 2 * PG));
	/* CHANGE_PROCESS with mappings of process memory */
	cf_rc(t, "change_process with process-memory mappings", -EINVAL, vfioiommu_ctx_change_process(e.ctx));
out:
	vfioiommu_ctx_destroy(e.ctx);
}

const struct cf_case cf_cases_objects[] = {
	{ "objects.second_ioas", second_ioas, 0, 0, NULL, NULL },
	{ "objects.pagetable_flags", pagetable_flags, 0, 0, NULL, NULL },
	{ "objects.fault_no_pri", fault_no_pri, 0, 0, NULL, NULL },
	{ "objects.pasid_no_pasid", pasid_no_pasid, 0, 0, NULL, NULL },
	{ "objects.hw_info_data", hw_info_data, 0, 0, NULL, NULL },
	{ "objects.ioas_ops", ioas_ops, 0, 0, NULL, NULL },
};
const size_t cf_ncases_objects = sizeof(cf_cases_objects) / sizeof(cf_cases_objects[0]);

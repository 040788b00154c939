/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: a VMM's vIOMMU path on the real kernel, through the
 * library's public API (<vfioiommu/objects.h>) on IOMMUFD_TEST's mock
 * driver: a nesting parent page table, the selftest vIOMMU, vDEVICEs (and
 * the refusal of a reused virtual id), a vEVENTQ wired to a library ring
 * and pump, a nested page table with the selftest data type (the mock
 * driver reports events only for a device on a nested domain of its
 * vIOMMU), TRIGGER_VEVENT arriving as records, and the EBUSY destroys naming
 * what holds the vIOMMU.
 * Raw ioctls are only IOMMUFD_TEST's and the measurements of what the
 * kernel itself says (its EEXIST for a reused virtual id).
 *
 * Output: "ok - NAME" / "not ok - NAME: why", a summary; exit 0 when nothing
 * failed, 1 otherwise, 77 only when IOMMU_TEST_CMD is absent (ENOTTY).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "vmtest.h"

#include "kabi/kabi.h"

enum { T_MOCK_DOMAIN = 2, T_MOCK_DOMAIN_REPLACE = 10, T_MD_CHECK_IOTLB = 14, T_DEV_CHECK_CACHE = 16,
       T_TRIGGER_VEVENT = 17 };

struct mock { uint32_t stdev, hwpt, idev; };

static int mock_domain(int fd, uint32_t ioas, struct mock *m)
{
	struct kabi_iommu_test_cmd o;
	uint32_t arg[3];
	int rc = vt_tcmd(fd, T_MOCK_DOMAIN, ioas, NULL, 0, &o);

	memcpy(arg, o.arg, sizeof(arg));
	*m = (struct mock){ arg[0], arg[1], arg[2] };
	return rc;
}

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
	return vt_tcmd(fd, T_MOCK_DOMAIN_REPLACE, stdev, &pt, sizeof(pt), NULL);
}

static int trigger_vevent(int fd, uint32_t idev)
{
	return vt_tcmd(fd, T_TRIGGER_VEVENT, 0, &idev, sizeof(idev), NULL);
}

static int destroy(int fd, uint32_t id)
{
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };

	return id ? vt_xioctl(fd, KABI_IOMMU_DESTROY, &d) : 0;
}

struct env {
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	int ifd;
	uint32_t ioas;
	struct mock m, m2;
	vfioiommu_pagetable *parent, *nested;
	vfioiommu_viommu *v;
	vfioiommu_vdevice *vd;
	vfioiommu_veventq *q;
};

/* @n VEVENT records from the ring, each with the virtual id @virt and seq from *@seq on. */
static bool take_vevents(struct env *e, const char *name, unsigned int n, uint32_t virt, uint32_t *seq)
{
	struct vfioiommu_fault got[8];
	int rc = vfioiommu_ring_copy(e->ring, got, n);

	if (rc != (int)n) {
		vt_result(false, name, "ring_copy %d, expected %u records", rc, n);
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct vfioiommu_vevent *v = vfioiommu_fault_vevent(&got[i]);
		uint32_t id = 0;

		if (v)
			memcpy(&id, v->data, sizeof(id));
		if (!v || v->type != VFIOIOMMU_VEVENTQ_SELFTEST || v->data_len != 4 || id != virt || v->seq != *seq ||
		    v->missing != 0) {
			vt_result(false, name, "record %u: kind %u type 0x%x data_len %u virt_id 0x%x seq %u missing %u; "
				  "expected VEVENT 0xbeefbeef 4 0x%x %u 0", i, got[i].kind, v ? v->type : 0,
				  v ? v->data_len : 0, id, v ? v->seq : 0, v ? v->missing : 0, virt, *seq);
			return false;
		}
		(*seq)++;
	}
	vt_result(true, name, " ");
	return true;
}

/* The mock IOTLB entry @idx of nested HWPT @hwpt is @want (MD_CHECK_IOTLB: EINVAL when not). */
static bool iotlb_is(int fd, uint32_t hwpt, uint32_t idx, uint32_t want)
{
	uint32_t a[2] = { idx, want };

	return vt_tcmd(fd, T_MD_CHECK_IOTLB, hwpt, a, sizeof(a), NULL) == 0;
}

/* The mock device cache entry @idx of the mock device with iommufd device id @stdev is @want (DEV_CHECK_CACHE). */
static bool cache_is(int fd, uint32_t stdev, uint32_t idx, uint32_t want)
{
	uint32_t a[2] = { idx, want };

	return vt_tcmd(fd, T_DEV_CHECK_CACHE, stdev, a, sizeof(a), NULL) == 0;
}

#define IOTLB_DEFAULT 0xbadbeefu /* IOMMU_TEST_IOTLB_DEFAULT */
#define CACHE_DEFAULT 0xbaddadu  /* IOMMU_TEST_DEV_CACHE_DEFAULT */

/* IOMMU_HWPT_INVALIDATE on the nested page table and on the vIOMMU: the done count at a bad entry. */
static void invalidation(struct env *e)
{
	struct vfioiommu_invalidate_selftest inv[4] = { { 0, 0 }, { 0, 1 }, { 0, 9 }, { 0, 2 } };
	struct vfioiommu_viommu_invalidate_selftest vinv[4] = { { 0, 0x42, 0 }, { 0, 0x45, 1 }, { 0, 0x99, 0 },
								 { 0, 0x42, 2 } };
	struct kabi_iommu_hwpt_invalidate raw = { .size = sizeof(raw) };
	uint32_t nid = vfioiommu_pagetable_id(e->nested), n;
	bool ok = true;
	int rc;

	for (uint32_t i = 0; i < 4; i++)
		ok &= iotlb_is(e->ifd, nid, i, IOTLB_DEFAULT);
	vt_result(ok, "viommu.iotlb_default", "the nested page table's mock IOTLB is not 0x%x in every entry",
		  IOTLB_DEFAULT);
	n = 0;
	rc = vfioiommu_pagetable_invalidate(e->nested, VFIOIOMMU_INVALIDATE_SELFTEST, NULL, 0, &n);
	vt_result(rc == 0 && n == 0, "viommu.invalidate_probe", "0 entries of the selftest type: %d n %u (%s)", rc, n,
		  vfioiommu_strerror(e->ctx));
	n = 0;
	rc = vfioiommu_pagetable_invalidate(e->nested, VFIOIOMMU_INVALIDATE_VTD_S1, NULL, 0, &n);
	vt_result(rc == -EINVAL && n == 0, "viommu.invalidate_probe_other_type", "0 entries of the VT-d type on a "
		  "selftest page table: %d n %u (%s), expected -EINVAL", rc, n, vfioiommu_strerror(e->ctx));
	n = 4;
	rc = vfioiommu_pagetable_invalidate(e->nested, VFIOIOMMU_INVALIDATE_SELFTEST, inv, sizeof(inv[0]), &n);
	vt_result(rc == -EINVAL && n == 2 && strstr(vfioiommu_strerror(e->ctx), "entry 2 of 4"),
		  "viommu.invalidate_bad_entry", "entries ok, ok, iotlb_id 9, ok: %d n %u (%s), expected -EINVAL, 2, "
		  "\"entry 2 of 4\"", rc, n, vfioiommu_strerror(e->ctx));
	vt_result(iotlb_is(e->ifd, nid, 0, 0) && iotlb_is(e->ifd, nid, 1, 0) && iotlb_is(e->ifd, nid, 2, IOTLB_DEFAULT) &&
		  iotlb_is(e->ifd, nid, 3, IOTLB_DEFAULT), "viommu.invalidate_done_entries",
		  "entries 0 and 1 should be invalidated (0), 2 and 3 untouched");
	inv[0].flags = 0x80;
	n = 1;
	rc = vfioiommu_pagetable_invalidate(e->nested, VFIOIOMMU_INVALIDATE_SELFTEST, inv, sizeof(inv[0]), &n);
	vt_result(rc == -EOPNOTSUPP && n == 0, "viommu.invalidate_bad_flag", "an unknown flag in entry 0: %d n %u "
		  "(%s), expected -EOPNOTSUPP 0", rc, n, vfioiommu_strerror(e->ctx));
	inv[0].flags = VFIOIOMMU_INVALIDATE_SELFTEST_ALL;
	n = 1;
	rc = vfioiommu_pagetable_invalidate(e->nested, VFIOIOMMU_INVALIDATE_SELFTEST, inv, sizeof(inv[0]), &n);
	vt_result(rc == 0 && n == 1 && iotlb_is(e->ifd, nid, 3, 0), "viommu.invalidate_all", "ALL: %d n %u (%s)", rc,
		  n, vfioiommu_strerror(e->ctx));
	rc = vfioiommu_pagetable_invalidate(e->parent, VFIOIOMMU_INVALIDATE_SELFTEST, inv, sizeof(inv[0]), &n);
	vt_result(rc == -EINVAL, "viommu.invalidate_not_nested", "invalidating the nesting parent: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	raw.hwpt_id = vfioiommu_pagetable_id(e->parent);
	raw.data_type = VFIOIOMMU_INVALIDATE_SELFTEST;
	raw.data_uptr = (uint64_t)(uintptr_t)inv;
	raw.entry_len = sizeof(inv[0]);
	raw.entry_num = 1;
	rc = vt_xioctl(e->ifd, KABI_IOMMU_HWPT_INVALIDATE, &raw);
	vt_result(rc == -EINVAL && raw.entry_num == 0, "viommu.kernel_invalidate_paging", "raw HWPT_INVALIDATE on a "
		  "paging HWPT: %s entry_num %u, expected EINVAL 0", strerror(-rc), raw.entry_num);

	/* the vIOMMU's own invalidation names devices by virtual id */
	ok = true;
	for (uint32_t i = 0; i < 4; i++)
		ok &= cache_is(e->ifd, e->m.idev, i, CACHE_DEFAULT) && cache_is(e->ifd, e->m2.idev, i, CACHE_DEFAULT);
	vt_result(ok, "viommu.cache_default", "the mock devices' caches are not 0x%x", CACHE_DEFAULT);
	n = 4;
	rc = vfioiommu_viommu_invalidate(e->v, VFIOIOMMU_INVALIDATE_SELFTEST, vinv, sizeof(vinv[0]), &n);
	vt_result(rc == -EINVAL && n == 2 && strstr(vfioiommu_strerror(e->ctx), "entry 2 of 4"),
		  "viommu.viommu_invalidate_bad_entry", "entries 0x42/0, 0x45/1, unknown 0x99, 0x42/2: %d n %u (%s), "
		  "expected -EINVAL 2", rc, n, vfioiommu_strerror(e->ctx));
	vt_result(cache_is(e->ifd, e->m.idev, 0, 0) && cache_is(e->ifd, e->m2.idev, 1, 0) &&
		  cache_is(e->ifd, e->m.idev, 2, CACHE_DEFAULT), "viommu.viommu_invalidate_done_entries",
		  "device 0x42 entry 0 and device 0x45 entry 1 should be 0, device 0x42 entry 2 untouched");
}

/* IOMMU_HW_QUEUE_ALLOC on the selftest vIOMMU: queues in the nesting parent's IOAS (measured). */
static void hw_queues(struct env *e)
{
	vfioiommu_hw_queue *q0 = NULL, *q1 = NULL, *q2 = NULL, *again = NULL;
	uint64_t iova = 0x1000000;
	void *mem = NULL;
	int rc;

	/* Linux 7.2, measured: index order enforced (EIO), an index taken (EEXIST), the mock's 2 queues
	 * (EINVAL), the memory pinned (unmap EBUSY), and a queue held by the next index (EBUSY) */
	if (posix_memalign(&mem, 4096, 2 * 4096) != 0)
		return;
	rc = vfioiommu_dma_map(e->ctx, mem, 2 * 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
			       VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	vt_result(rc == 0, "viommu.hwq_map", "dma_map of the queue memory at 0x1000000: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_hw_queue_new(e->v, VFIOIOMMU_HW_QUEUE_SELFTEST, 1, 0x1000000, 4096, &q1);
	vt_result(rc == -EIO && !q1, "viommu.hwq_index_order", "index 1 before index 0: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_hw_queue_new(e->v, VFIOIOMMU_HW_QUEUE_SELFTEST, 0, 0x1000000, 4096, &q0);
	vt_result(rc == 0 && vfioiommu_hw_queue_id(q0), "viommu.hwq_alloc", "selftest HW queue 0: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_hw_queue_new(e->v, VFIOIOMMU_HW_QUEUE_SELFTEST, 0, 0x1001000, 4096, &again);
	vt_result(rc == -EEXIST && !again, "viommu.hwq_index_taken", "index 0 again: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_hw_queue_new(e->v, VFIOIOMMU_HW_QUEUE_SELFTEST, 1, 0x1001000, 4096, &q1);
	vt_result(rc == 0, "viommu.hwq_alloc_1", "HW queue 1: %d (%s)", rc, vfioiommu_strerror(e->ctx));
	rc = vfioiommu_hw_queue_new(e->v, VFIOIOMMU_HW_QUEUE_SELFTEST, 2, 0x1001000, 4096, &q2);
	vt_result(rc == -EINVAL && !q2, "viommu.hwq_index_max", "index 2 (the mock has 2): %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_dma_unmap(e->ctx, 0x1000000, 2 * 4096);
	vt_result(rc == -EBUSY, "viommu.hwq_pins", "unmap of the queue memory while the queues live: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	rc = q0 ? vfioiommu_hw_queue_destroy(q0) : 0;
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e->ctx), "HW queue"), "viommu.hwq_destroy_order",
		  "destroy of queue 0 while queue 1 lives: %d (%s), expected -EBUSY naming queue 1", rc,
		  vfioiommu_strerror(e->ctx));
	if (q1)
		vt_result(vfioiommu_hw_queue_destroy(q1) == 0, "viommu.hwq_destroy_1", "%s", vfioiommu_strerror(e->ctx));
	if (q0 && rc != 0)
		vt_result(vfioiommu_hw_queue_destroy(q0) == 0, "viommu.hwq_destroy_0", "%s", vfioiommu_strerror(e->ctx));
	rc = vfioiommu_dma_unmap(e->ctx, 0x1000000, 2 * 4096);
	vt_result(rc == 0, "viommu.hwq_unmap_after", "unmap after the queues: %d (%s)", rc, vfioiommu_strerror(e->ctx));
	free(mem);
}

static void viommu_path(struct env *e)
{
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_NEST_PARENT };
	struct kabi_iommu_vdevice_alloc raw = { .size = sizeof(raw) };
	vfioiommu_viommu *bad = NULL;
	vfioiommu_vdevice *vd2 = NULL;
	vfioiommu_veventq *q2 = NULL;
	uint32_t seq = 0;
	uint32_t data = 0xbadbeef; /* IOMMU_TEST_IOTLB_DEFAULT */
	int rc;

	rc = vfioiommu_pagetable_new(e->ctx, e->m.idev, &po, &e->parent);
	vt_result(rc == 0, "viommu.nest_parent", "NEST_PARENT page table for the mock device: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	if (rc < 0)
		return;
	rc = vfioiommu_viommu_new(e->ctx, e->m.idev, e->parent, VFIOIOMMU_VIOMMU_ARM_SMMUV3, &bad);
	vt_result(rc == -EOPNOTSUPP && !bad, "viommu.wrong_type", "an SMMUv3 vIOMMU on the mock IOMMU: %d (%s), "
		  "expected -EOPNOTSUPP", rc, vfioiommu_strerror(e->ctx));
	rc = vfioiommu_viommu_new(e->ctx, e->m.idev, e->parent, VFIOIOMMU_VIOMMU_SELFTEST, &e->v);
	vt_result(rc == 0 && vfioiommu_viommu_id(e->v), "viommu.alloc", "selftest vIOMMU: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
	if (rc < 0)
		return;
	rc = vfioiommu_vdevice_new(e->v, e->m.idev, 0x42, &e->vd);
	vt_result(rc == 0 && vfioiommu_vdevice_id(e->vd), "viommu.vdevice", "vDEVICE 0x42 for the mock device: %d (%s)",
		  rc, vfioiommu_strerror(e->ctx));
	/* reuse: the library refuses, naming the holder; the kernel's own answer is measured raw */
	rc = vfioiommu_vdevice_new(e->v, e->m2.idev, 0x42, &vd2);
	vt_result(rc == -EEXIST && strstr(vfioiommu_strerror(e->ctx), "0x42") && !vd2, "viommu.vdevice_id_reused",
		  "second device with virtual id 0x42: %d (%s), expected -EEXIST naming it", rc,
		  vfioiommu_strerror(e->ctx));
	rc = vfioiommu_vdevice_new(e->v, e->m.idev, 0x43, &vd2);
	vt_result(rc == -EEXIST && strstr(vfioiommu_strerror(e->ctx), "already has"), "viommu.vdevice_device_twice",
		  "a second vDEVICE for the mock device: %d (%s), expected -EEXIST", rc, vfioiommu_strerror(e->ctx));
	raw.viommu_id = vfioiommu_viommu_id(e->v);
	raw.dev_id = e->m2.idev;
	raw.virt_id = 0x42;
	rc = vt_xioctl(e->ifd, KABI_IOMMU_VDEVICE_ALLOC, &raw);
	vt_result(rc == -EEXIST, "viommu.kernel_vdevice_id_reused", "raw VDEVICE_ALLOC of virtual id 0x42 again: %s, "
		  "expected EEXIST", strerror(-rc));
	raw.dev_id = e->m.idev;
	raw.virt_id = 0x44;
	rc = vt_xioctl(e->ifd, KABI_IOMMU_VDEVICE_ALLOC, &raw);
	vt_result(rc == -EEXIST, "viommu.kernel_vdevice_device_twice", "raw VDEVICE_ALLOC for a device that has "
		  "one: %s, expected EEXIST", strerror(-rc));
	rc = vfioiommu_vdevice_new(e->v, e->m2.idev, 0x45, &vd2);
	vt_result(rc == 0, "viommu.vdevice_second", "vDEVICE 0x45 for the second mock device: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));

	/* a nested page table on the vIOMMU with the selftest stage-1 data */
	{
		struct vfioiommu_pagetable_opts no = { .size = sizeof(no), .viommu = e->v,
						       .data_type = KABI_IOMMU_HWPT_DATA_SELFTEST,
						       .data_len = sizeof(data), .data = &data };

		rc = vfioiommu_pagetable_new(e->ctx, e->m.idev, &no, &e->nested);
		vt_result(rc == 0, "viommu.nested", "nested page table (selftest data) on the vIOMMU: %d (%s)", rc,
			  vfioiommu_strerror(e->ctx));
		/* the mock driver reports events only for devices on a nested domain of the vIOMMU */
		if (rc == 0) {
			rc = replace(e->ifd, e->m.stdev, vfioiommu_pagetable_id(e->nested));
			if (rc == 0)
				rc = replace(e->ifd, e->m2.stdev, vfioiommu_pagetable_id(e->nested));
			vt_result(rc == 0, "viommu.nested_attach", "MOCK_DOMAIN_REPLACE of both mock devices onto the nested "
				  "page table: %s", strerror(-rc));
		}
		vfioiommu_pagetable *shortp = NULL;

		no.data_len = 3;
		rc = vfioiommu_pagetable_new(e->ctx, e->m.idev, &no, &shortp);
		vt_result(rc == -EINVAL && !shortp, "viommu.nested_short_data", "nested with 3 bytes of selftest data: %d (%s), "
			  "expected -EINVAL", rc, vfioiommu_strerror(e->ctx));
	}

	/* the event queue, wired to the ring and pump in one call */
	rc = vfioiommu_veventq_new(e->v, VFIOIOMMU_VEVENTQ_SELFTEST, 4, e->ring, &e->q);
	vt_result(rc == 0 && vfioiommu_veventq_fd(e->q) >= 0, "viommu.veventq", "selftest vEVENTQ of depth 4: %d (%s)",
		  rc, vfioiommu_strerror(e->ctx));
	if (rc < 0)
		goto vd2_out;
	rc = vfioiommu_veventq_new(e->v, VFIOIOMMU_VEVENTQ_SELFTEST, 4, e->ring, &q2);
	vt_result(rc == -EEXIST && !q2, "viommu.veventq_twice", "a second selftest vEVENTQ: %d (%s), expected -EEXIST",
		  rc, vfioiommu_strerror(e->ctx));
	rc = trigger_vevent(e->ifd, e->m.idev);
	if (rc == 0)
		rc = trigger_vevent(e->ifd, e->m2.idev);
	vt_result(rc == 0, "viommu.trigger_vevent", "TRIGGER_VEVENT: %s", strerror(-rc));
	rc = vfioiommu_fault_pump_run(vfioiommu_veventq_pump(e->q));
	vt_result(rc == 2, "viommu.pump", "pump_run %d, expected 2 (%s)", rc, vfioiommu_strerror(e->ctx));
	if (rc == 2) {
		struct vfioiommu_fault got[2];

		if (vfioiommu_ring_copy(e->ring, got, 2) == 2 && vfioiommu_fault_vevent(&got[0]) &&
		    vfioiommu_fault_vevent(&got[1])) {
			uint32_t a = 0, b = 0;

			memcpy(&a, vfioiommu_fault_vevent(&got[0])->data, 4);
			memcpy(&b, vfioiommu_fault_vevent(&got[1])->data, 4);
			vt_result(a == 0x42 && b == 0x45 && got[0].seq == 0 && got[1].seq == 1, "viommu.records_virt_ids",
				  "virtual ids 0x%x 0x%x seq %u %u, expected 0x42 0x45 0 1", a, b, got[0].seq, got[1].seq);
		} else {
			vt_result(false, "viommu.records_virt_ids", "two VEVENT records expected in the ring");
		}
		seq = 2;
	}
	/* overflow: depth 4, six events: four, then the kernel's LOST header */
	for (int i = 0; i < 6; i++)
		trigger_vevent(e->ifd, e->m.idev);
	rc = vfioiommu_fault_pump_run(vfioiommu_veventq_pump(e->q));
	{
		struct vfioiommu_vevent_stats st = { .size = sizeof(st) };

		if (rc == 5 && take_vevents(e, "viommu.overflow_events", 4, 0x42, &seq)) {
			struct vfioiommu_fault lost;

			vfioiommu_ring_copy(e->ring, &lost, 1);
			vt_result(lost.kind == VFIOIOMMU_FAULT_LOST, "viommu.overflow_lost", "record kind %u, expected LOST",
				  lost.kind);
		} else {
			vt_result(false, "viommu.overflow_events", "pump_run %d after six events into depth 4, expected 5 "
				  "(4 + LOST) (%s)", rc, vfioiommu_strerror(e->ctx));
		}
		vfioiommu_vevent_pump_stats(vfioiommu_veventq_pump(e->q), &st);
		vt_result(st.events == 6 && st.lost_headers == 1, "viommu.stats", "events %" PRIu64 " lost headers %"
			  PRIu64 ", expected 6 1", st.events, st.lost_headers);
	}

	if (e->nested)
		invalidation(e);
	hw_queues(e);

	/* a nested page table straight on the nesting parent (no vIOMMU), the 6.8 way */
	{
		struct vfioiommu_hwpt_selftest sd = { 0xbadbeef };
		struct vfioiommu_pagetable_opts po2 = { .size = sizeof(po2), .parent = e->parent,
							.data_type = VFIOIOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(sd),
							.data = &sd };
		vfioiommu_pagetable *on_parent = NULL;

		rc = vfioiommu_pagetable_new(e->ctx, e->m.idev, &po2, &on_parent);
		vt_result(rc == 0, "viommu.nested_on_parent", "nested page table on the parent HWPT: %d (%s)", rc,
			  vfioiommu_strerror(e->ctx));
		if (rc == 0) {
			uint32_t n = 1;
			struct vfioiommu_invalidate_selftest inv = { VFIOIOMMU_INVALIDATE_SELFTEST_ALL, 0 };

			rc = vfioiommu_pagetable_invalidate(on_parent, VFIOIOMMU_INVALIDATE_SELFTEST, &inv, sizeof(inv), &n);
			vt_result(rc == 0 && n == 1, "viommu.nested_on_parent_invalidate", "%d n %u (%s)", rc, n,
				  vfioiommu_strerror(e->ctx));
			rc = vfioiommu_pagetable_destroy(e->parent);
			vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e->ctx), "nested page table"),
				  "viommu.parent_busy_nested", "destroy of the parent under a nested page table: %d (%s)",
				  rc, vfioiommu_strerror(e->ctx));
			rc = vfioiommu_pagetable_destroy(on_parent);
			vt_result(rc == 0, "viommu.nested_on_parent_destroy", "%d (%s)", rc, vfioiommu_strerror(e->ctx));
		}
	}

	/* what holds the vIOMMU */
	rc = vfioiommu_viommu_destroy(e->v);
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e->ctx), "vDEVICE") &&
		  strstr(vfioiommu_strerror(e->ctx), "vEVENTQ"), "viommu.destroy_busy", "destroy of the vIOMMU: %d (%s), "
		  "expected -EBUSY naming its vDEVICEs and vEVENTQ", rc, vfioiommu_strerror(e->ctx));
	rc = vfioiommu_pagetable_destroy(e->parent);
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e->ctx), "vIOMMU"), "viommu.parent_busy",
		  "destroy of the nesting parent: %d (%s), expected -EBUSY naming the vIOMMU", rc,
		  vfioiommu_strerror(e->ctx));
vd2_out:
	if (vd2) {
		rc = vfioiommu_vdevice_destroy(vd2);
		vt_result(rc == 0, "viommu.vdevice_destroy", "vdevice_destroy: %d (%s)", rc, vfioiommu_strerror(e->ctx));
	}
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	struct env e = { .ifd = -1 };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32] = "";
	vfioiommu_device *dev = NULL;
	unsigned int fds0 = vt_open_fds();
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - viommu.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	rc = vfioiommu_ctx_new(&o, &e.ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(e.ctx, bdf, &dev);
	if (rc == 0)
		rc = e.ifd = vfioiommu_ctx_iommufd_fd(e.ctx);
	if (rc >= 0)
		rc = vfioiommu_ctx_ioas_id(e.ctx, &e.ioas);
	if (rc >= 0)
		rc = vfioiommu_ring_create(e.ctx, 16, &e.ring);
	vt_result(rc == 0, "viommu.ctx", "iommufd context with %s: %d (%s)", bdf, rc, vfioiommu_strerror(e.ctx));
	if (rc < 0)
		goto out;
	rc = mock_domain(e.ifd, e.ioas, &e.m);
	if (rc == -ENOTTY) {
		printf("skip - viommu.mock_domain (IOMMU_TEST_CMD is absent: kernel without CONFIG_IOMMUFD_TEST)\n");
		vfioiommu_ring_destroy(e.ring);
		vfioiommu_ctx_destroy(e.ctx);
		return 77;
	}
	if (rc == 0)
		rc = mock_domain(e.ifd, e.ioas, &e.m2);
	vt_result(rc == 0, "viommu.mock_domain", "two MOCK_DOMAINs on the library's IOAS %u: %s", e.ioas, strerror(-rc));
	if (rc < 0)
		goto out;
	viommu_path(&e);
out:
	/* the mock devices leave first (they hold the page tables), onto their own auto domains' IOAS never */
	if (e.ifd >= 0) {
		int r1 = destroy(e.ifd, e.m.stdev), r2 = destroy(e.ifd, e.m2.stdev);

		vt_result(r1 == 0 && r2 == 0, "viommu.mock_teardown", "DESTROY of the mock devices: %s %s", strerror(-r1),
			  strerror(-r2));
	}
	/* the rest is the context's: its end destroys nested, vEVENTQ, vDEVICE, vIOMMU, parent in that order */
	vfioiommu_ring_destroy(e.ring);
	vfioiommu_ctx_destroy(e.ctx);
	vt_result(vt_open_fds() == fds0, "viommu.no_fd_leak", "%u fds open after teardown, %u before", vt_open_fds(), fds0);
	printf("viommu (real kernel): %u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

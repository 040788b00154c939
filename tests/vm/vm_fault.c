/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: the iommufd fault path on the real kernel, end to end
 * through the library's ring and pump (include/vfioiommu/fault.h).
 *
 * The library owns /dev/iommu and the IOAS (a context in iommufd mode with
 * the first NIC of VFIOIOMMU_VM_BDFS).  On that iommufd, IOMMUFD_TEST gives
 * a mock device whose page requests we can inject: MOCK_DOMAIN on the
 * library's IOAS; then, through the public API only, a fault queue wired to
 * a library ring and pump (vfioiommu_fault_queue_new) and an IOPF-capable
 * page table for the mock device (vfioiommu_pagetable_new with opts.fault);
 * MOCK_DOMAIN_REPLACE onto it, then TRIGGER_IOPF.  The pump moves the
 * records into the ring, and answers go back through the pump.  The only
 * raw ioctls left are IOMMUFD_TEST's (the mock device and its triggers),
 * the DESTROY of the mock device, and a raw write() on the fault fd that
 * proves the kernel consumed an answer.
 *
 * Grouping on this kernel: TRIGGER_IOPF always sets LAST_PAGE, so every
 * trigger is a group of one; faults sent with the same grpid arrive as
 * separate groups with their own cookies (checked here, see README).
 *
 * Output: "ok - NAME" / "not ok - NAME: why", a summary; exit 0 when nothing
 * failed, 1 otherwise, 77 only when IOMMU_TEST_CMD is absent (ENOTTY).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "vmtest.h"

#include "kabi/kabi.h"




/* ---------------------------------------------------------------- IOMMUFD_TEST */

enum { T_MOCK_DOMAIN = 2, T_MOCK_DOMAIN_REPLACE = 10, T_MOCK_DOMAIN_FLAGS = 12, T_TRIGGER_IOPF = 15,
       T_PASID_ATTACH = 18, T_PASID_DETACH = 20 };
#define MOCK_FLAGS_DEVICE_PASID (1u << 2)


struct trigger {
	uint32_t dev_id, pasid, grpid, perm;
	uint64_t addr;
};



struct mock { uint32_t stdev, hwpt, idev; };

static int mock_domain(int fd, uint32_t ioas, uint32_t dev_flags, struct mock *m)
{
	uint32_t arg[4] = { 0, 0, 0, dev_flags };
	struct kabi_iommu_test_cmd o;
	int rc = dev_flags ? vt_tcmd(fd, T_MOCK_DOMAIN_FLAGS, ioas, arg, sizeof(arg), &o)
			   : vt_tcmd(fd, T_MOCK_DOMAIN, ioas, NULL, 0, &o);

	memcpy(arg, o.arg, 3 * sizeof(uint32_t));
	*m = (struct mock){ arg[0], arg[1], arg[2] };
	return rc;
}

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
	return vt_tcmd(fd, T_MOCK_DOMAIN_REPLACE, stdev, &pt, sizeof(pt), NULL);
}

static int trigger(int fd, uint32_t idev, uint32_t pasid, uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct trigger t = { idev, pasid, grpid, perm, addr };

	return vt_tcmd(fd, T_TRIGGER_IOPF, 0, &t, sizeof(t), NULL);
}

static int destroy(int fd, uint32_t id)
{
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };

	return id ? vt_xioctl(fd, KABI_IOMMU_DESTROY, &d) : 0;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* ---------------------------------------------------------------- the checks */

struct env {
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_queue *q;
	vfioiommu_fault_pump *pump; /* the queue's */
	vfioiommu_pagetable *iopf;  /* on the library's IOAS, faults to q */
	int ifd, ffd;
	uint32_t ioas;
	struct mock m;
};

/* A page table for the mock device through the library: flags, on the context's IOAS, faults to @q. */
static int pt_new(struct env *e, uint32_t idev, uint32_t flags, vfioiommu_fault_queue *q, vfioiommu_pagetable **out)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = flags, .fault = q };

	return vfioiommu_pagetable_new(e->ctx, idev, &o, out);
}

/* What one trigger should produce. */
struct want {
	uint32_t grpid, perm;
	uint64_t addr;
};

/*
 * Consume @n records from the ring and check each against @w in order: kind,
 * flags, dev_id, pasid, grpid, perm, addr, a non-zero cookie, seq following
 * *@seq.  Cookies go to @cookies.
 */
static bool take(struct env *e, const char *name, const struct want *w, unsigned int n, uint32_t dev_id,
		 uint32_t pasid, uint32_t *seq, uint32_t *cookies)
{
	struct vfioiommu_fault got[64];
	int rc = vfioiommu_ring_copy(e->ring, got, n);
	uint32_t flags = VFIOIOMMU_FAULT_F_LAST_PAGE | (pasid ? VFIOIOMMU_FAULT_F_PASID_VALID : 0);

	if (rc != (int)n) {
		vt_result(false, name, "vfioiommu_ring_copy gave %d records, expected %u", rc, n);
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct vfioiommu_fault *f = &got[i];

		if (f->kind != VFIOIOMMU_FAULT_PAGE_REQ || f->flags != flags || f->dev_id != dev_id ||
		    f->pasid != pasid || f->grpid != w[i].grpid || f->perm != w[i].perm || f->addr != w[i].addr ||
		    f->cookie == 0 || f->seq != *seq || f->length != 0) {
			vt_result(false, name, "record %u: kind %u flags 0x%x dev_id %u pasid %u grpid 0x%x perm 0x%x "
			       "addr 0x%" PRIx64 " cookie %u seq %u length %u; expected kind %u flags 0x%x dev_id %u "
			       "pasid %u grpid 0x%x perm 0x%x addr 0x%" PRIx64 " cookie != 0 seq %u length 0", i,
			       f->kind, f->flags, f->dev_id, f->pasid, f->grpid, f->perm, f->addr, f->cookie, f->seq,
			       f->length, VFIOIOMMU_FAULT_PAGE_REQ, flags, dev_id, pasid, w[i].grpid, w[i].perm,
			       w[i].addr, *seq);
			return false;
		}
		(*seq)++;
		if (cookies)
			cookies[i] = f->cookie;
	}
	return true;
}

static bool distinct(const uint32_t *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			if (c[i] == c[j])
				return false;
	return true;
}

/* The kernel forgot @cookie (it consumed our answer): a raw second answer is EINVAL. */
static bool kernel_forgot(int ffd, uint32_t cookie)
{
	struct kabi_iommu_hwpt_page_response r = { .cookie = cookie, .code = KABI_IOMMUFD_PAGE_RESP_SUCCESS };

	errno = 0;
	return write(ffd, &r, sizeof(r)) < 0 && errno == EINVAL;
}

static void faults(struct env *e, uint32_t *seq)
{
	/* five single faults, then three with one grpid (each its own group on this kernel) */
	static const struct want w[8] = {
		{ 0x01, VFIOIOMMU_FAULT_PERM_READ, 0x1000000 },
		{ 0x02, VFIOIOMMU_FAULT_PERM_WRITE, 0x1001000 },
		{ 0x03, VFIOIOMMU_FAULT_PERM_READ | VFIOIOMMU_FAULT_PERM_WRITE, 0x7ffff000 },
		{ 0x1ff, VFIOIOMMU_FAULT_PERM_READ | VFIOIOMMU_FAULT_PERM_EXEC, 0x2345000 },
		{ 0x05, VFIOIOMMU_FAULT_PERM_WRITE | VFIOIOMMU_FAULT_PERM_PRIV, 0x3000000 },
		{ 0x77, VFIOIOMMU_FAULT_PERM_READ, 0x4000000 },
		{ 0x77, VFIOIOMMU_FAULT_PERM_READ, 0x4001000 },
		{ 0x77, VFIOIOMMU_FAULT_PERM_READ | VFIOIOMMU_FAULT_PERM_WRITE, 0x4002000 },
	};
	const unsigned int n = sizeof(w) / sizeof(w[0]);
	uint32_t cookies[8] = { 0 }, c2[1];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };
	bool ok;
	int rc;

	/* nothing pending: the fd is not readable and the pump moves nothing */
	rc = vfioiommu_fault_pump_run(e->pump);
	vt_result(rc == 0 && !readable(e->ffd, 0), "fault.empty", "pump_run %d (%s), or the fault fd is readable", rc,
	       vfioiommu_strerror(e->ctx));

	/* wakeup: arm the ring, trigger, the fault fd becomes readable, the pump signals the ring's eventfd */
	rc = vfioiommu_ring_prepare_wait(e->ring);
	vt_result(rc == 0 && !readable(vfioiommu_ring_eventfd(e->ring), 0), "fault.ring_arm",
	       "prepare_wait %d, expected 0 (armed, ring empty), or the eventfd is already readable", rc);
	rc = trigger(e->ifd, e->m.idev, 0, w[0].grpid, w[0].perm, w[0].addr);
	vt_result(rc == 0, "fault.trigger_first", "TRIGGER_IOPF: %s", strerror(-rc));
	vt_result(readable(e->ffd, 1000), "fault.fault_fd_readable", "poll(POLLIN) on the fault fd: not readable 1 s "
	       "after TRIGGER_IOPF");
	rc = vfioiommu_fault_pump_run(e->pump);
	vt_result(rc == 1, "fault.pump_first", "pump_run %d, expected 1 (%s)", rc, vfioiommu_strerror(e->ctx));
	vt_result(readable(vfioiommu_ring_eventfd(e->ring), 1000), "fault.ring_eventfd_signalled",
	       "the ring's eventfd did not become readable after the pump published to an armed ring");
	rc = vfioiommu_ring_finish_wait(e->ring);
	vt_result(rc == 0 && !readable(vfioiommu_ring_eventfd(e->ring), 0), "fault.ring_finish_wait",
	       "finish_wait %d, or the eventfd is still readable after it", rc);
	rc = vfioiommu_ring_wait(e->ring, 0);
	vt_result(rc == 1, "fault.ring_wait_ready", "vfioiommu_ring_wait(0) %d, expected 1 record ready", rc);

	/* the rest, all triggered before one pump run */
	ok = true;
	for (unsigned int i = 1; i < n; i++) {
		rc = trigger(e->ifd, e->m.idev, 0, w[i].grpid, w[i].perm, w[i].addr);
		if (rc < 0) {
			vt_result(false, "fault.trigger_batch", "TRIGGER_IOPF %u: %s", i, strerror(-rc));
			ok = false;
			break;
		}
	}
	if (ok)
		vt_result(true, "fault.trigger_batch", " ");
	rc = vfioiommu_fault_pump_run(e->pump);
	vt_result(rc == (int)n - 1 && !readable(e->ffd, 0), "fault.pump_batch",
	       "pump_run %d, expected %u, and the fault fd drained (%s)", rc, n - 1, vfioiommu_strerror(e->ctx));
	if (take(e, "fault.records", w, n, e->m.idev, 0, seq, cookies))
		vt_result(distinct(cookies, n), "fault.records", "cookies not distinct: %u %u %u %u %u %u %u %u",
		       cookies[0], cookies[1], cookies[2], cookies[3], cookies[4], cookies[5], cookies[6], cookies[7]);
	vt_result(vfioiommu_ring_ready(e->ring) == 0, "fault.records_once", "%d more records in the ring",
	       vfioiommu_ring_ready(e->ring));
	rc = (int)vfioiommu_fault_pump_outstanding(e->pump);
	vt_result(rc == (int)n, "fault.outstanding", "%d groups outstanding, expected %u (same-grpid faults are "
	       "separate groups: TRIGGER_IOPF sets LAST_PAGE on each)", rc, n);

	/* answers: each accepted by the kernel, which then forgets the cookie */
	ok = true;
	for (unsigned int i = 0; i < n && ok; i++) {
		uint32_t code = i == 3 ? VFIOIOMMU_PAGE_RESP_INVALID : VFIOIOMMU_PAGE_RESP_SUCCESS;

		rc = vfioiommu_fault_pump_respond(e->pump, cookies[i], code);
		if (rc != 0 || !kernel_forgot(e->ffd, cookies[i])) {
			vt_result(false, "fault.respond", "cookie %u: respond %d (%s), or the kernel still knows it", cookies[i],
			       rc, vfioiommu_strerror(e->ctx));
			ok = false;
		}
	}
	if (ok)
		vt_result(vfioiommu_fault_pump_outstanding(e->pump) == 0, "fault.respond", "%u groups still outstanding",
		       vfioiommu_fault_pump_outstanding(e->pump));

	rc = vfioiommu_fault_pump_respond(e->pump, cookies[2], VFIOIOMMU_PAGE_RESP_SUCCESS);
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(e->ctx), "already answered"), "fault.respond_twice",
	       "rc %d (\"%s\"), expected -EINVAL \"already answered\"", rc, vfioiommu_strerror(e->ctx));
	rc = vfioiommu_fault_pump_respond(e->pump, 0xdead, VFIOIOMMU_PAGE_RESP_SUCCESS);
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(e->ctx), "never delivered"), "fault.respond_unknown",
	       "rc %d (\"%s\"), expected -EINVAL \"never delivered\"", rc, vfioiommu_strerror(e->ctx));

	/* the kernel reuses answered cookies (FACTS.md): the pump must take a reused one as new */
	rc = trigger(e->ifd, e->m.idev, 0, 0x99, VFIOIOMMU_FAULT_PERM_WRITE, 0x5000000);
	if (rc == 0)
		rc = vfioiommu_fault_pump_run(e->pump);
	{
		static const struct want w2 = { 0x99, VFIOIOMMU_FAULT_PERM_WRITE, 0x5000000 };
		bool reused = false;

		if (rc == 1 && take(e, "fault.cookie_reused", &w2, 1, e->m.idev, 0, seq, c2)) {
			for (unsigned int i = 0; i < n; i++)
				reused |= c2[0] == cookies[i];
			rc = vfioiommu_fault_pump_respond(e->pump, c2[0], VFIOIOMMU_PAGE_RESP_SUCCESS);
			vt_result(reused && rc == 0, "fault.cookie_reused", "cookie %u (reused: %d), respond %d (%s)", c2[0],
			       reused, rc, vfioiommu_strerror(e->ctx));
		} else if (rc != 1) {
			vt_result(false, "fault.cookie_reused", "trigger/pump_run %d (%s)", rc, vfioiommu_strerror(e->ctx));
		}
	}

	/* a fault on a PASID the device is not attached with is dropped by the kernel */
	rc = trigger(e->ifd, e->m.idev, 5, 0x66, VFIOIOMMU_FAULT_PERM_READ, 0x6000000);
	vt_result(rc == 0 && !readable(e->ffd, 0) && vfioiommu_fault_pump_run(e->pump) == 0, "fault.pasid_unattached_dropped",
	       "TRIGGER_IOPF pasid 5 %d, or something was delivered", rc);

	rc = vfioiommu_ring_stats(e->ring, &st);
	vt_result(rc == 0 && st.produced == n + 1 && st.consumed == n + 1 && st.overflow == 0 && st.lost == 0,
	       "fault.ring_stats", "produced %" PRIu64 " consumed %" PRIu64 " overflow %" PRIu64 " lost %" PRIu64
	       ", expected %u %u 0 0", st.produced, st.consumed, st.overflow, st.lost, n + 1, n + 1);
}

/* More faults than the ring holds: the pump stops at the ring's room and the rest waits in the kernel. */
static void full_ring(struct env *e, uint32_t *seq)
{
	unsigned int cap = vfioiommu_ring_capacity(e->ring), total = cap + 3;
	struct want w[64];
	uint32_t cookies[64];
	int rc, rc2, rc3;
	bool ok = true;

	if (total > 64) {
		vt_result(false, "fault.ring_full", "ring capacity %u, this check handles up to 61", cap);
		return;
	}
	for (unsigned int i = 0; i < total; i++) {
		w[i] = (struct want){ 0x100 + i, VFIOIOMMU_FAULT_PERM_READ, 0x10000000 + 0x1000 * (uint64_t)i };
		if (trigger(e->ifd, e->m.idev, 0, w[i].grpid, w[i].perm, w[i].addr) < 0)
			ok = false;
	}
	rc = vfioiommu_fault_pump_run(e->pump);
	rc2 = vfioiommu_fault_pump_run(e->pump);
	vt_result(ok && rc == (int)cap && rc2 == 0 && readable(e->ffd, 0), "fault.ring_full",
	       "triggers ok %d, pump_run %d then %d, expected %u then 0 with the fault fd still readable (%s)", ok, rc,
	       rc2, cap, vfioiommu_strerror(e->ctx));
	if (!take(e, "fault.ring_full_records", w, cap, e->m.idev, 0, seq, cookies))
		return;
	rc3 = vfioiommu_fault_pump_run(e->pump);
	if (rc3 != 3) {
		vt_result(false, "fault.ring_full_rest", "pump_run %d after consuming, expected 3 (%s)", rc3,
		       vfioiommu_strerror(e->ctx));
		return;
	}
	if (!take(e, "fault.ring_full_rest", w + cap, 3, e->m.idev, 0, seq, cookies + cap))
		return;
	vt_result(distinct(cookies, total), "fault.ring_full_rest", "cookies not distinct");
	ok = true;
	for (unsigned int i = 0; i < total; i++)
		if (vfioiommu_fault_pump_respond(e->pump, cookies[i], VFIOIOMMU_PAGE_RESP_SUCCESS) < 0)
			ok = false;
	vt_result(ok && vfioiommu_fault_pump_outstanding(e->pump) == 0, "fault.ring_full_respond",
	       "a respond failed (%s) or %u outstanding", vfioiommu_strerror(e->ctx),
	       vfioiommu_fault_pump_outstanding(e->pump));
}

/*
 * Moving the device off the IOPF HWPT: the kernel answers the delivered group
 * itself and drops the undelivered one.  The pump's answer then gets the
 * kernel's EINVAL with its own message, and the cookie is forgotten.
 *
 * The move goes to an explicit plain HWPT, never to the IOAS id: a replace
 * onto an IOAS makes Linux 7.2 try the IOAS's existing domains in turn, and
 * the NIC's VT-d / AMD domain comes first; the replace path has no owner
 * check (the attach path has), so the vendor driver's attach_dev gets the
 * mock device and oopses (NULL dereference; see README).
 */
static void replace_away(struct env *e, uint32_t *seq)
{
	static const struct want w = { 0x200, VFIOIOMMU_FAULT_PERM_READ, 0x20000000 };
	vfioiommu_pagetable *plain = NULL;
	uint32_t cookie = 0;
	unsigned int out;
	int rc;

	rc = pt_new(e, e->m.idev, 0, NULL, &plain);
	if (rc < 0) {
		vt_result(false, "fault.replace_away", "vfioiommu_pagetable_new (plain) for the mock device: %s",
			  vfioiommu_strerror(e->ctx));
		return;
	}
	rc = trigger(e->ifd, e->m.idev, 0, w.grpid, w.perm, w.addr);
	if (rc == 0 && vfioiommu_fault_pump_run(e->pump) == 1 &&
	    take(e, "fault.replace_away", &w, 1, e->m.idev, 0, seq, &cookie))
		rc = trigger(e->ifd, e->m.idev, 0, 0x201, VFIOIOMMU_FAULT_PERM_READ, 0x20001000);
	else
		rc = -EIO;
	if (rc == 0)
		rc = replace(e->ifd, e->m.stdev, vfioiommu_pagetable_id(plain));
	if (rc < 0) {
		vt_result(false, "fault.replace_away", "trigger/pump/replace: %s (%s)", strerror(-rc),
		       vfioiommu_strerror(e->ctx));
		vfioiommu_pagetable_destroy(plain);
		return;
	}
	rc = vfioiommu_fault_pump_run(e->pump);
	vt_result(rc == 0, "fault.replace_away_drops_unread", "pump_run %d, expected 0 (the unread group is dropped)", rc);
	rc = vfioiommu_fault_pump_respond(e->pump, cookie, VFIOIOMMU_PAGE_RESP_SUCCESS);
	out = vfioiommu_fault_pump_outstanding(e->pump);
	vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(e->ctx), "no longer knows") && out == 0,
	       "fault.replace_away_auto_answered", "respond %d (\"%s\"), %u outstanding; expected -EINVAL \"no longer "
	       "knows\" and 0", rc, vfioiommu_strerror(e->ctx), out);
	/* the plain page table holds the mock device: EBUSY, and the library knows of no holder it made */
	rc = vfioiommu_pagetable_destroy(plain);
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e->ctx), "nothing the library made"),
		  "fault.pagetable_busy", "destroy of the page table the mock device is on: %d (\"%s\"), expected "
		  "-EBUSY naming no library holder", rc, vfioiommu_strerror(e->ctx));
	rc = replace(e->ifd, e->m.stdev, vfioiommu_pagetable_id(e->iopf));
	if (rc == 0)
		rc = vfioiommu_pagetable_destroy(plain);
	vt_result(rc == 0, "fault.replace_back", "MOCK_DOMAIN_REPLACE onto the IOPF page table, destroy the plain "
		  "one: %d (%s)", rc, rc < -1 ? vfioiommu_strerror(e->ctx) : "");
}

/*
 * A second mock device, PASID-capable, sharing the fault queue: its PASID
 * 200 on an IOPF HWPT delivers records with PASID_VALID through the same pump,
 * interleaved in trigger order with the first device's.
 */
static void pasid_fault(struct env *e, uint32_t *seq)
{
	struct mock p = { 0 };
	vfioiommu_pagetable *rid_pt = NULL, *pf_pt = NULL;
	uint32_t pa[2], cookies[2];
	struct vfioiommu_fault got[2];
	int rc;

	rc = mock_domain(e->ifd, e->ioas, MOCK_FLAGS_DEVICE_PASID, &p);
	if (rc == 0)
		rc = pt_new(e, p.idev, VFIOIOMMU_PT_PASID, NULL, &rid_pt);
	if (rc == 0)
		rc = replace(e->ifd, p.stdev, vfioiommu_pagetable_id(rid_pt));
	if (rc == 0)
		rc = pt_new(e, p.idev, VFIOIOMMU_PT_PASID, e->q, &pf_pt);
	pa[0] = 200;
	pa[1] = vfioiommu_pagetable_id(pf_pt);
	if (rc == 0)
		rc = vt_tcmd(e->ifd, T_PASID_ATTACH, p.stdev, pa, sizeof(pa), NULL);
	if (rc < 0) {
		vt_result(false, "fault.pasid_setup", "MOCK_DOMAIN_FLAGS/pagetable_new/REPLACE/PASID_ATTACH: %s (%s)",
			  strerror(-rc), vfioiommu_strerror(e->ctx));
		goto out;
	}
	rc = trigger(e->ifd, p.idev, 200, 7, VFIOIOMMU_FAULT_PERM_READ | VFIOIOMMU_FAULT_PERM_WRITE, 0x5000000);
	if (rc == 0)
		rc = trigger(e->ifd, e->m.idev, 0, 8, VFIOIOMMU_FAULT_PERM_READ, 0x5001000);
	if (rc == 0)
		rc = vfioiommu_fault_pump_run(e->pump);
	if (rc != 2 || vfioiommu_ring_copy(e->ring, got, 2) != 2) {
		vt_result(false, "fault.pasid_record", "trigger/pump_run %d (%s)", rc, vfioiommu_strerror(e->ctx));
		goto out;
	}
	cookies[0] = got[0].cookie;
	cookies[1] = got[1].cookie;
	vt_result(got[0].flags == (VFIOIOMMU_FAULT_F_PASID_VALID | VFIOIOMMU_FAULT_F_LAST_PAGE) &&
	       got[0].pasid == 200 && got[0].dev_id == p.idev && got[0].grpid == 7 && got[0].perm == 3 &&
	       got[0].addr == 0x5000000 && got[0].seq == *seq && got[1].flags == VFIOIOMMU_FAULT_F_LAST_PAGE &&
	       got[1].pasid == 0 && got[1].dev_id == e->m.idev && got[1].seq == *seq + 1 && cookies[0] != cookies[1],
	       "fault.pasid_record", "got flags 0x%x pasid %u dev %u grpid %u perm 0x%x addr 0x%" PRIx64 " seq %u / "
	       "flags 0x%x pasid %u dev %u seq %u; expected 0x3 200 %u 7 0x3 0x5000000 %u / 0x2 0 %u %u", got[0].flags,
	       got[0].pasid, got[0].dev_id, got[0].grpid, got[0].perm, got[0].addr, got[0].seq, got[1].flags,
	       got[1].pasid, got[1].dev_id, got[1].seq, p.idev, *seq, e->m.idev, *seq + 1);
	*seq += 2;
	rc = vfioiommu_fault_pump_respond(e->pump, cookies[0], VFIOIOMMU_PAGE_RESP_SUCCESS);
	if (rc == 0)
		rc = vfioiommu_fault_pump_respond(e->pump, cookies[1], VFIOIOMMU_PAGE_RESP_SUCCESS);
	vt_result(rc == 0 && kernel_forgot(e->ffd, cookies[0]) && kernel_forgot(e->ffd, cookies[1]),
	       "fault.pasid_respond", "respond %d (%s), or the kernel still knows a cookie", rc,
	       vfioiommu_strerror(e->ctx));
	pa[1] = 0;
	rc = vt_tcmd(e->ifd, T_PASID_DETACH, p.stdev, pa, sizeof(uint32_t), NULL);
	vt_result(rc == 0, "fault.pasid_detach", "PASID_DETACH 200: %s", strerror(-rc));
out:
	rc = destroy(e->ifd, p.stdev);
	if (rc == 0 && pf_pt)
		rc = vfioiommu_pagetable_destroy(pf_pt);
	if (rc == 0 && rid_pt)
		rc = vfioiommu_pagetable_destroy(rid_pt);
	vt_result(rc == 0, "fault.pasid_teardown", "DESTROY of the PASID mock device or its page tables: %d (%s)", rc,
		  vfioiommu_strerror(e->ctx));
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	struct env e = { .ifd = -1, .ffd = -1 };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32] = "";
	vfioiommu_device *dev = NULL;
	unsigned int fds0 = vt_open_fds();
	uint32_t seq;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - fault.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	rc = vfioiommu_ctx_new(&o, &e.ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(e.ctx, bdf, &dev);
	if (rc == 0)
		rc = e.ifd = vfioiommu_ctx_iommufd_fd(e.ctx);
	if (rc >= 0)
		rc = vfioiommu_ctx_ioas_id(e.ctx, &e.ioas);
	vt_result(rc == 0, "fault.ctx", "iommufd context with %s: %d (%s)", bdf, rc, vfioiommu_strerror(e.ctx));
	if (rc < 0)
		goto out;

	rc = mock_domain(e.ifd, e.ioas, 0, &e.m);
	if (rc == -ENOTTY) {
		printf("skip - fault.mock_domain (IOMMU_TEST_CMD is absent: kernel without CONFIG_IOMMUFD_TEST)\n");
		vfioiommu_ctx_destroy(e.ctx);
		return 77;
	}
	vt_result(rc == 0, "fault.mock_domain", "MOCK_DOMAIN on the library's IOAS %u: %s", e.ioas, strerror(-rc));
	if (rc < 0)
		goto out;
	rc = vfioiommu_ring_create(e.ctx, 16, &e.ring);
	if (rc == 0)
		rc = vfioiommu_fault_queue_new(e.ctx, e.ring, &e.q);
	if (rc == 0) {
		e.pump = vfioiommu_fault_queue_pump(e.q);
		e.ffd = vfioiommu_fault_queue_fd(e.q);
	}
	vt_result(rc == 0 && e.ffd >= 0 && vfioiommu_fault_queue_id(e.q) != 0, "fault.queue_alloc",
		  "ring_create / vfioiommu_fault_queue_new: %d (%s)", rc, vfioiommu_strerror(e.ctx));
	if (rc < 0)
		goto out;
	rc = pt_new(&e, e.m.idev, 0, e.q, &e.iopf);
	if (rc == 0)
		rc = replace(e.ifd, e.m.stdev, vfioiommu_pagetable_id(e.iopf));
	vt_result(rc == 0, "fault.iopf_hwpt", "vfioiommu_pagetable_new(fault) + MOCK_DOMAIN_REPLACE: %d (%s)", rc,
		  vfioiommu_strerror(e.ctx));
	if (rc < 0)
		goto out;
	/* the IOPF page table holds the queue: the library refuses, naming it, and the queue keeps working */
	rc = vfioiommu_fault_queue_destroy(e.q);
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(e.ctx), "page table"), "fault.queue_busy",
		  "fault_queue_destroy with the IOPF page table on it: %d (\"%s\"), expected -EBUSY naming it", rc,
		  vfioiommu_strerror(e.ctx));

	seq = 0;
	faults(&e, &seq);
	full_ring(&e, &seq);
	replace_away(&e, &seq);
	pasid_fault(&e, &seq);

out:
	if (e.ifd >= 0) {
		int r1 = destroy(e.ifd, e.m.stdev), r2 = e.iopf ? vfioiommu_pagetable_destroy(e.iopf) : 0;
		int r3 = e.q ? vfioiommu_fault_queue_destroy(e.q) : 0;

		vt_result(r1 == 0 && r2 == 0 && r3 == 0, "fault.teardown", "DESTROY mock device %s, IOPF page table %d, "
		       "fault queue %d (%s)", strerror(-r1), r2, r3, vfioiommu_strerror(e.ctx));
	}
	vfioiommu_ring_destroy(e.ring);
	vfioiommu_ctx_destroy(e.ctx);
	vt_result(vt_open_fds() == fds0, "fault.no_fd_leak", "%u fds open after teardown, %u before", vt_open_fds(), fds0);
	printf("fault (real kernel): %u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

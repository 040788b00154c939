/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: PASIDs on the real kernel (include/vfioiommu/pasid.h).
 *
 * (a) The e1000e behind QEMU's vIOMMU has no PASID (max_pasid_log2 0,
 *     FACTS.md): the library must say so when asked for the device's PASID
 *     space and when asked to attach a PASID, naming the missing piece.
 * (b) The library's space / set / quota logic drives the kernel's own PASID
 *     ops through IOMMUFD_TEST: a PASID-capable mock device (20-bit width) on
 *     an IOAS of the library's iommufd, its RID moved onto a PASID-capable
 *     HWPT, then PASIDs from a set with quota 4 attached, checked, replaced
 *     and detached with PASID_ATTACH / CHECK_HWPT / REPLACE / DETACH.  Values
 *     the kernel refuses must already be refused by the library.
 *
 * Output: "ok - NAME" / "not ok - NAME: why", a summary; exit 0 when nothing
 * failed, 1 otherwise, 77 only when IOMMU_TEST_CMD is absent (ENOTTY).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
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

enum { T_MOCK_DOMAIN_REPLACE = 10, T_MOCK_DOMAIN_FLAGS = 12, T_PASID_ATTACH = 18, T_PASID_REPLACE = 19,
       T_PASID_DETACH = 20, T_PASID_CHECK_HWPT = 21 };
#define MOCK_FLAGS_DEVICE_PASID (1u << 2)
#define KERNEL_PASID_BITS 20 /* the mock device's width (FACTS.md) */




/* PASID_ATTACH / REPLACE / CHECK_HWPT take { pasid, pt }; DETACH { pasid }. */
static int pasid_op(int fd, uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	uint32_t a[2] = { pasid, pt };

	return vt_tcmd(fd, op, stdev, a, sizeof(a), NULL);
}

static int hwpt_alloc(int fd, uint32_t flags, uint32_t idev, uint32_t pt, uint32_t *out)
{
	struct kabi_iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = idev, .pt_id = pt };
	int rc = vt_xioctl(fd, KABI_IOMMU_HWPT_ALLOC, &a);

	*out = rc == 0 ? a.out_hwpt_id : 0;
	return rc;
}

static int destroy(int fd, uint32_t id)
{
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };

	return id ? vt_xioctl(fd, KABI_IOMMU_DESTROY, &d) : 0;
}

/* ---------------------------------------------------------------- (a) the e1000e */

static void nic(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *topo)
{
	struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
	char sentinel;
	/* not NULL beforehand, so the check sees the library clear *out on failure */
	vfioiommu_pasid_space *sp = (vfioiommu_pasid_space *)&sentinel, *own = NULL;
	vfioiommu_pasid_set *set = NULL;
	vfioiommu_pasid_handle h = VFIOIOMMU_PASID_HANDLE_NONE;
	bool intel = strcmp(topo, "intel") == 0;
	uint32_t pt = 0, ioas = 0;
	const char *msg;
	int rc;

	rc = vfioiommu_device_hw_info(dev, &hi);
	vt_result(rc == 0 && hi.max_pasid_log2 == 0, "pasid.nic.hw_info", "rc %d (%s) max_pasid_log2 %u, expected 0 "
	       "(QEMU's vIOMMU has no PASID)", rc, vfioiommu_strerror(ctx), hi.max_pasid_log2);

	rc = vfioiommu_pasid_space_for_device(dev, NULL, &sp);
	msg = vfioiommu_strerror(ctx);
	vt_result(rc == -EOPNOTSUPP && sp == NULL && strstr(msg, "device has no PASID support") &&
	       strstr(msg, "max_pasid_log2 0"), "pasid.nic.space_for_device",
	       "rc %d, space %p, message \"%s\"; expected -EOPNOTSUPP, NULL, a message naming the device's missing "
	       "PASID (max_pasid_log2 0)", rc, (void *)sp, msg);
	printf("# space_for_device: %s\n", msg);

	/* FACTS.md: HWPT_ALLOC with the PASID flag succeeds on intel (even without PASID), EOPNOTSUPP on amd */
	rc = vfioiommu_hwpt_alloc_pasid(dev, &pt);
	vt_result(intel ? rc == 0 && pt != 0 : rc == -EOPNOTSUPP && pt == 0, "pasid.nic.hwpt_alloc_pasid",
	       "rc %d hwpt %u (%s); expected %s on %s", rc, pt, vfioiommu_strerror(ctx),
	       intel ? "0" : "-EOPNOTSUPP", topo);

	/* a PASID the library would hand out, on a device that cannot take it */
	rc = vfioiommu_pasid_space_new(VFIOIOMMU_PASID_MAX_WIDTH, NULL, &own);
	if (rc == 0)
		rc = vfioiommu_pasid_set_new(own, 4, &set);
	if (rc == 0)
		rc = vfioiommu_pasid_alloc(set, &h);
	if (rc < 0) {
		vt_result(false, "pasid.nic.attach", "space/set/alloc: %d", rc);
		goto out;
	}
	vfioiommu_ctx_ioas_id(ctx, &ioas);
	rc = vfioiommu_pasid_attach(dev, set, h, pt ? pt : ioas);
	msg = vfioiommu_strerror(ctx);
	vt_result(rc == -EOPNOTSUPP && strstr(msg, "device has no PASID support"), "pasid.nic.attach",
	       "rc %d, message \"%s\"; expected -EOPNOTSUPP naming the device without PASID", rc, msg);
	printf("# pasid_attach: %s\n", msg);
	/* FACTS.md item 13: the kernel accepts detaching a PASID that was never attached */
	rc = vfioiommu_pasid_detach(dev, set, h);
	vt_result(rc == 0, "pasid.nic.detach_unattached", "rc %d (%s), expected 0", rc, vfioiommu_strerror(ctx));
out:
	if (pt) {
		rc = vfioiommu_hwpt_destroy(ctx, pt);
		vt_result(rc == 0, "pasid.nic.hwpt_destroy", "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	}
	vfioiommu_pasid_space_free(own);
}

/* ---------------------------------------------------------------- (b) the mock PASID device */

struct mk {
	int fd;
	uint32_t stdev, idev, pt_a, pt_b, pt_plain;
};

/*
 * Attach the PASID a library handle names.  The value comes only from the
 * library: a handle it refuses never reaches the kernel.
 */
static int lib_attach(struct mk *m, uint32_t op, vfioiommu_pasid_set *set, vfioiommu_pasid_handle h, uint32_t pt,
		      int *value)
{
	int v = vfioiommu_pasid_value(set, h);

	if (value)
		*value = v;
	if (v < 0)
		return v;
	return pasid_op(m->fd, op, m->stdev, (uint32_t)v, pt);
}

static void quota_and_attach(struct mk *m, vfioiommu_pasid_space *sp)
{
	vfioiommu_pasid_set *set = NULL, *other = NULL;
	vfioiommu_pasid_handle h[5] = { 0 }, hx = 0, old;
	uint32_t used = 0, quota = 0, in_use = 0, avail = 0;
	int v[4] = { 0 }, rc, rc2, rc3;
	bool ok = true;

	rc = vfioiommu_pasid_set_new(sp, 4, &set);
	if (rc == 0)
		rc = vfioiommu_pasid_set_new(sp, 2, &other);
	vt_result(rc == 0, "pasid.mock.sets", "set_new: %d", rc);
	if (rc < 0)
		return;

	/* four PASIDs, the lowest first (PASID 0 is the RID's), each attached and checked in the kernel */
	for (int i = 0; i < 4 && ok; i++) {
		rc = vfioiommu_pasid_alloc(set, &h[i]);
		if (rc == 0)
			rc = lib_attach(m, T_PASID_ATTACH, set, h[i], m->pt_a, &v[i]);
		if (rc == 0)
			rc = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (uint32_t)v[i], m->pt_a);
		if (rc < 0 || v[i] != i + 1) {
			vt_result(false, "pasid.mock.attach_quota", "PASID #%d: value %d (expected %d), alloc/ATTACH/CHECK "
			       "%s", i, v[i], i + 1, vt_errname(rc));
			ok = false;
		}
	}
	if (ok)
		vt_result(true, "pasid.mock.attach_quota", " ");
	rc = vfioiommu_pasid_alloc(set, &h[4]);
	vt_result(rc == -EDQUOT && h[4] == VFIOIOMMU_PASID_HANDLE_NONE, "pasid.mock.fifth_edquot",
	       "5th alloc rc %d handle 0x%" PRIx64 ", expected -EDQUOT and NONE", rc, h[4]);
	vfioiommu_pasid_set_usage(set, &used, &quota);
	vfioiommu_pasid_space_usage(sp, &in_use, &avail);
	vt_result(used == 4 && quota == 4 && in_use == 4 && avail == (1u << KERNEL_PASID_BITS) - 1 - 4,
	       "pasid.mock.usage", "set %u/%u, space in_use %u avail %u; expected 4/4, 4, %u", used, quota, in_use,
	       avail, (1u << KERNEL_PASID_BITS) - 1 - 4);

	/* what the kernel refuses the library refuses first: the range check comes before the quota */
	rc = vfioiommu_pasid_alloc_value(set, 1u << KERNEL_PASID_BITS, &hx);
	rc2 = vfioiommu_pasid_alloc_value(other, 1u << KERNEL_PASID_BITS, &hx);
	rc3 = pasid_op(m->fd, T_PASID_ATTACH, m->stdev, 1u << KERNEL_PASID_BITS, m->pt_a);
	vt_result(rc == -ERANGE && rc2 == -ERANGE && rc3 == -EINVAL, "pasid.mock.beyond_width",
	       "PASID 1<<20: library %d (full set) / %d, kernel %s; expected -ERANGE, -ERANGE, EINVAL", rc, rc2, vt_errname(rc3));
	rc = vfioiommu_pasid_alloc_value(other, 0, &hx);
	rc3 = pasid_op(m->fd, T_PASID_ATTACH, m->stdev, 0, m->pt_a);
	vt_result(rc == -ERANGE && rc3 == -EBUSY, "pasid.mock.pasid0", "PASID 0: library %d, kernel %s; expected -ERANGE "
	       "and EBUSY (the RID)", rc, vt_errname(rc3));
	/* a value another set holds: both refuse */
	rc = vfioiommu_pasid_alloc_value(other, (uint32_t)v[1], &hx);
	rc3 = pasid_op(m->fd, T_PASID_ATTACH, m->stdev, (uint32_t)v[1], m->pt_b);
	vt_result(rc == -EBUSY && rc3 == -EBUSY, "pasid.mock.taken_elsewhere", "PASID %d held by the first set: library "
	       "%d, kernel %s; expected -EBUSY and EBUSY", v[1], rc, vt_errname(rc3));
	/* the top of the space is the top the kernel takes */
	rc = vfioiommu_pasid_alloc_value(other, (1u << KERNEL_PASID_BITS) - 1, &hx);
	if (rc == 0)
		rc = lib_attach(m, T_PASID_ATTACH, other, hx, m->pt_b, NULL);
	if (rc == 0)
		rc = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (1u << KERNEL_PASID_BITS) - 1, m->pt_b);
	if (rc == 0)
		rc = lib_attach(m, T_PASID_DETACH, other, hx, 0, NULL);
	vt_result(rc == 0, "pasid.mock.top_of_space", "PASID 0xfffff: alloc/ATTACH/CHECK/DETACH %s", vt_errname(rc));

	/* replace h[0] onto B, and a non-PASID HWPT is refused */
	rc = lib_attach(m, T_PASID_REPLACE, set, h[0], m->pt_b, NULL);
	rc2 = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (uint32_t)v[0], m->pt_b);
	rc3 = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (uint32_t)v[0], m->pt_a);
	vt_result(rc == 0 && rc2 == 0 && rc3 == -EINVAL, "pasid.mock.replace", "REPLACE %s, CHECK on B %s, CHECK on A %s; "
	       "expected ok, ok, EINVAL", vt_errname(rc), vt_errname(rc2), vt_errname(rc3));
	rc = lib_attach(m, T_PASID_REPLACE, set, h[1], m->pt_plain, NULL);
	rc2 = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (uint32_t)v[1], m->pt_a);
	vt_result(rc == -EINVAL && rc2 == 0, "pasid.mock.replace_non_pasid_hwpt", "REPLACE onto a plain HWPT %s (expected "
	       "EINVAL), still on A: %s", vt_errname(rc), vt_errname(rc2));

	/* detach all; a freed handle is dead even after its value is handed out again */
	ok = true;
	for (int i = 0; i < 4; i++) {
		rc = lib_attach(m, T_PASID_DETACH, set, h[i], 0, NULL);
		if (rc == 0)
			rc = pasid_op(m->fd, T_PASID_CHECK_HWPT, m->stdev, (uint32_t)v[i], 0);
		if (rc < 0)
			ok = false;
	}
	vt_result(ok, "pasid.mock.detach", "DETACH or CHECK_HWPT(0) failed");
	old = h[0];
	rc = vfioiommu_pasid_free(set, h[0]);
	if (rc == 0)
		rc = vfioiommu_pasid_alloc(set, &h[0]);
	rc2 = lib_attach(m, T_PASID_ATTACH, set, old, m->pt_a, NULL);
	rc3 = lib_attach(m, T_PASID_ATTACH, set, h[0], m->pt_a, &v[0]);
	vt_result(rc == 0 && h[0] != old && rc2 == -EINVAL && rc3 == 0 && v[0] == 1, "pasid.mock.stale_handle",
	       "free+alloc %d, new handle %s the old, stale attach %d (expected -EINVAL from the library), new "
	       "attach %s of PASID %d (expected ok, 1)", rc, h[0] != old ? "differs from" : "EQUALS", rc2, vt_errname(rc3), v[0]);
	rc = lib_attach(m, T_PASID_DETACH, set, h[0], 0, NULL);
	vt_result(rc == 0, "pasid.mock.detach_again", "DETACH %s", vt_errname(rc));
	vfioiommu_pasid_set_free(other);
	vfioiommu_pasid_set_free(set);
	vfioiommu_pasid_space_usage(sp, &in_use, NULL);
	vt_result(in_use == 0, "pasid.mock.sets_freed", "%u PASIDs still in use", in_use);
}

static int mock_pasid(vfioiommu_ctx *ctx)
{
	struct kabi_iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct kabi_iommu_hw_info hi = { .size = sizeof(hi) };
	uint32_t arg[4] = { 0, 0, 0, MOCK_FLAGS_DEVICE_PASID };
	struct mk m = { .fd = vfioiommu_ctx_iommufd_fd(ctx) };
	vfioiommu_pasid_space *sp = NULL;
	uint32_t ioas = 0;
	struct kabi_iommu_test_cmd o;
	int rc, r[5];

	if (m.fd < 0) {
		vt_result(false, "pasid.mock.iommufd", "vfioiommu_ctx_iommufd_fd %d", m.fd);
		return 0;
	}
	rc = vt_xioctl(m.fd, KABI_IOMMU_IOAS_ALLOC, &ia);
	ioas = ia.out_ioas_id;
	if (rc == 0) {
		rc = vt_tcmd(m.fd, T_MOCK_DOMAIN_FLAGS, ioas, arg, sizeof(arg), &o);
		if (rc == -ENOTTY) {
			destroy(m.fd, ioas);
			return -ENOTTY;
		}
		memcpy(arg, o.arg, 3 * sizeof(uint32_t));
		m.stdev = arg[0];
		m.idev = arg[2];
	}
	vt_result(rc == 0, "pasid.mock.device", "IOAS_ALLOC + MOCK_DOMAIN_FLAGS(PASID) on the library's iommufd: %s", vt_errname(rc));
	if (rc < 0)
		goto out;
	hi.dev_id = m.idev;
	rc = vt_xioctl(m.fd, KABI_IOMMU_GET_HW_INFO, &hi);
	if (rc == 0)
		rc = vfioiommu_pasid_space_new(hi.out_max_pasid_log2, NULL, &sp);
	vt_result(rc == 0 && hi.out_max_pasid_log2 == KERNEL_PASID_BITS && vfioiommu_pasid_space_width(sp) == KERNEL_PASID_BITS,
	       "pasid.mock.space", "GET_HW_INFO/space_new %d: max_pasid_log2 %u, space width %u; expected 20 and 20", rc,
	       hi.out_max_pasid_log2, vfioiommu_pasid_space_width(sp));
	if (rc < 0)
		goto out;
	rc = hwpt_alloc(m.fd, KABI_IOMMU_HWPT_ALLOC_PASID, m.idev, ioas, &m.pt_a);
	if (rc == 0)
		rc = hwpt_alloc(m.fd, KABI_IOMMU_HWPT_ALLOC_PASID, m.idev, ioas, &m.pt_b);
	if (rc == 0)
		rc = hwpt_alloc(m.fd, 0, m.idev, ioas, &m.pt_plain);
	vt_result(rc == 0, "pasid.mock.hwpts", "HWPT_ALLOC (PASID, PASID, plain): %s", vt_errname(rc));
	if (rc < 0)
		goto out;
	/* the kernel takes PASIDs only while the RID is on a PASID-capable HWPT (FACTS.md) */
	rc = pasid_op(m.fd, T_PASID_ATTACH, m.stdev, 1, m.pt_a);
	r[0] = vt_tcmd(m.fd, T_MOCK_DOMAIN_REPLACE, m.stdev, &m.pt_a, sizeof(uint32_t), NULL);
	vt_result(rc == -EINVAL && r[0] == 0, "pasid.mock.rid_onto_pasid_hwpt", "PASID_ATTACH before the RID move %s "
	       "(expected EINVAL), MOCK_DOMAIN_REPLACE %s", vt_errname(rc), vt_errname(r[0]));
	if (r[0] < 0)
		goto out;
	quota_and_attach(&m, sp);
out:
	vfioiommu_pasid_space_free(sp);
	r[0] = destroy(m.fd, m.stdev);
	r[1] = destroy(m.fd, m.pt_a);
	r[2] = destroy(m.fd, m.pt_b);
	r[3] = destroy(m.fd, m.pt_plain);
	r[4] = destroy(m.fd, ioas);
	vt_result(!r[0] && !r[1] && !r[2] && !r[3] && !r[4], "pasid.mock.teardown", "DESTROY stdev %s, HWPTs %s %s %s, "
	       "IOAS %s", vt_errname(r[0]), vt_errname(r[1]), vt_errname(r[2]), vt_errname(r[3]), vt_errname(r[4]));
	return 0;
}

int main(void)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS"), *topo = getenv("VFIOIOMMU_VM_TOPOLOGY");
	unsigned int fds0 = vt_open_fds();
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	char bdf[32] = "";
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - pasid.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	vt_result(rc == 0, "pasid.ctx", "iommufd context with %s: %d (%s)", bdf, rc, vfioiommu_strerror(ctx));
	if (rc == 0) {
		nic(ctx, dev, topo ? topo : "");
		if (mock_pasid(ctx) == -ENOTTY) {
			printf("skip - pasid.mock (IOMMU_TEST_CMD is absent: kernel without CONFIG_IOMMUFD_TEST)\n");
			vfioiommu_ctx_destroy(ctx);
			return 77;
		}
	}
	vfioiommu_ctx_destroy(ctx);
	vt_result(vt_open_fds() == fds0, "pasid.no_fd_leak", "%u fds open after teardown, %u before", vt_open_fds(), fds0);
	printf("pasid (real kernel): %u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * SR-IOV and VF tokens (lib/device/sriov.c, lib/core/uuid.c, the token paths
 * of both backends, the NEEDS_VF_TOKEN verdict) on the mock, whose SR-IOV
 * model follows tests/vm/FACTS.md section l: UUIDs, VFs through
 * sriov_numvfs, a VF refused without its token or with another one and
 * opened with the right one on both paths, a token where none is needed,
 * and fail-Nth.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>
#include <vfioiommu/resv.h>
#include <vfioiommu/sriov.h>

#include "helpers.h"

#define PF "0000:00:05.0"
#define VF0 "0000:00:05.1"
#define VF1 "0000:00:05.2"
#define NIC "0000:00:03.0"

static const char host[] =
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"group 5\n"
	"  device 0000:00:05.0 vfio-pci vendor=0x1b36 device=0x0010 class=0x010802 sriov=2\n";

static const uint8_t tok[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05,
				 0x06, 0x07 };
static const uint8_t bad[16] = { 0xde, 0xad };

static void uuids(void **state)
{
	uint8_t u[16], keep[16];
	char s[VFIOIOMMU_UUID_STRLEN];
	static const char *const refused[] = {
		"", "12345678-9abc-4def-8001-02030405060", "12345678-9abc-4def-8001-0203040506077",
		"12345678_9abc-4def-8001-020304050607", "1234567-89abc-4def-8001-020304050607",
		"12345678-9abc-4def-8001-02030405060g", " 2345678-9abc-4def-8001-020304050607",
		"123456789abc4def8001020304050607----",
	};

	(void)state;
	assert_int_equal(vfioiommu_uuid_parse("12345678-9ABC-4def-8001-020304050607", u), 0);
	assert_memory_equal(u, tok, 16);
	assert_int_equal(vfioiommu_uuid_format(u, s, sizeof(s)), 0);
	assert_string_equal(s, "12345678-9abc-4def-8001-020304050607");
	memcpy(keep, u, 16);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (vfioiommu_uuid_parse(refused[i], u) != -EINVAL)
			fail_msg("\"%s\" was accepted", refused[i]);
		assert_memory_equal(u, keep, 16); /* unchanged on failure */
	}
	assert_int_equal(vfioiommu_uuid_parse(NULL, u), -EINVAL);
	assert_int_equal(vfioiommu_uuid_parse(s, NULL), -EINVAL);
	assert_int_equal(vfioiommu_uuid_format(u, s, VFIOIOMMU_UUID_STRLEN - 1), -ENOSPC);
	assert_int_equal(vfioiommu_uuid_format(NULL, s, sizeof(s)), -EINVAL);
	assert_int_equal(vfioiommu_uuid_format(u, NULL, sizeof(s)), -EINVAL);
}

static void vf_both_paths(vfioiommu_mock *m, enum vfioiommu_mode mode, const char *vf)
{
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	struct vfioiommu_open_opts o = { .size = sizeof(o) };
	vfioiommu_device *dev = (vfioiommu_device *)&o;
	static char buf[8192] __attribute__((aligned(4096)));
	uint64_t iova;

	assert_int_equal(vfioiommu_device_open(ctx, vf, &dev), -EACCES);
	assert_null(dev);
	th_assert_msg(vfioiommu_strerror(ctx), "EACCES", "open it with the PF's VF token", NULL);
	o.vf_token = bad;
	assert_int_equal(vfioiommu_device_open_with(ctx, vf, &o, &dev), -EACCES);
	th_assert_msg(vfioiommu_strerror(ctx), "not the one its PF's user set", NULL);
	o.vf_token = tok;
	assert_int_equal(vfioiommu_device_open_with(ctx, vf, &o, &dev), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf, sizeof(buf), VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova), 0);
	/* a VF open: sriov_numvfs cannot go to 0 (Linux would block the writer; the mock says EBUSY) */
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 0), -EBUSY);
	vfioiommu_ctx_destroy(ctx);
}

static void tokens(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	struct vfioiommu_open_opts o = { .size = sizeof(o), .vf_token = tok };
	struct vfioiommu_verdict v;
	vfioiommu_device *pf = NULL, *nic = NULL, *d = NULL;

	(void)state;
	/* VFs */
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 3), -ERANGE);
	th_assert_msg(vfioiommu_strerror(ctx), "sriov_totalvfs", NULL);
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, NIC, 1), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "no SR-IOV capability", NULL);
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, "nonsense", 1), -EINVAL);
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 2), 0);
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 2), 0);
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 1), -EBUSY);
	th_assert_msg(vfioiommu_strerror(ctx), "write 0 first", NULL);

	/* the verdict says it before anything is opened */
	assert_int_equal(vfioiommu_verdict_device(ctx, VF0, &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN);
	assert_string_equal(v.culprit, PF);
	assert_string_equal(vfioiommu_verdict_name(v.kind), "needs-vf-token");
	th_assert_msg(v.reason, "VF token", PF, NULL);
	assert_int_equal(vfioiommu_verdict_device(ctx, PF, &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_ASSIGNABLE);

	/* the PF's user sets the token; a NIC has none to set */
	assert_int_equal(vfioiommu_device_open(ctx, PF, &pf), 0);
	assert_int_equal(vfioiommu_device_set_vf_token(pf, NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_set_vf_token(pf, tok), 0);
	assert_int_equal(vfioiommu_device_open(ctx, NIC, &nic), 0);
	assert_int_equal(vfioiommu_device_set_vf_token(nic, tok), -ENOTTY);
	th_assert_msg(vfioiommu_strerror(ctx), "no SR-IOV PF", NULL);
	vfioiommu_device_close(nic);
	vfioiommu_device_close(pf);

	/* the token outlives the PF's fd: both paths */
	vf_both_paths(m, VFIOIOMMU_MODE_IOMMUFD, VF0);
	vf_both_paths(m, VFIOIOMMU_MODE_CONTAINER, VF1);

	/* a token where none is needed */
	assert_int_equal(vfioiommu_device_open_with(ctx, NIC, &o, &d), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "needs no token", NULL);
	{
		vfioiommu_ctx *c2 = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

		assert_int_equal(vfioiommu_device_open_with(c2, NIC, &o, &d), -EINVAL);
		th_assert_msg(vfioiommu_strerror(c2), "needs none", NULL);
		vfioiommu_ctx_destroy(c2);
	}
	/* bad options */
	o.flags = 1;
	assert_int_equal(vfioiommu_device_open_with(ctx, VF0, &o, &d), -EINVAL);
	o.flags = 0;
	o.size = 4;
	assert_int_equal(vfioiommu_device_open_with(ctx, VF0, &o, &d), -EINVAL);
	assert_null(d);
	/* NULL options: as vfioiommu_device_open */
	assert_int_equal(vfioiommu_device_open_with(ctx, NIC, NULL, &d), 0);

	/* VFs gone */
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 0), 0);
	assert_int_equal(vfioiommu_verdict_device(ctx, VF0, &v), -ENOENT);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* The PF opened with a token sets it (the kernel's rule for a PF without open VFs). */
static void pf_open_with_token(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER), *c2 = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	struct vfioiommu_open_opts o = { .size = sizeof(o), .vf_token = bad };
	vfioiommu_device *pf = NULL, *vf = NULL;

	(void)state;
	assert_int_equal(vfioiommu_sriov_set_numvfs(ctx, PF, 1), 0);
	assert_int_equal(vfioiommu_device_open_with(ctx, PF, &o, &pf), 0);
	assert_int_equal(vfioiommu_device_open_with(c2, VF0, &o, &vf), 0);
	vfioiommu_ctx_destroy(c2);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	enum vfioiommu_mode mode = *(enum vfioiommu_mode *)arg;
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	struct vfioiommu_open_opts o = { .size = sizeof(o), .vf_token = tok };
	struct vfioiommu_verdict v;
	vfioiommu_device *pf = NULL, *vf = NULL;
	int rc = vfioiommu_sriov_set_numvfs(ctx, PF, 2);
	bool fired;

	if (rc == 0)
		rc = vfioiommu_verdict_device(ctx, VF0, &v);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, PF, &pf);
	if (rc == 0)
		rc = vfioiommu_device_set_vf_token(pf, tok);
	if (rc == 0)
		rc = vfioiommu_device_open_with(ctx, VF1, &o, &vf);
	fired = vfioiommu_mock_fault_fired(m);
	vfioiommu_ctx_destroy(ctx);
	if (rc == 0 && !fired && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
	return rc;
}

static void fail_nth(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

	(void)state;
	for (size_t i = 0; i < 2; i++)
		assert_true(th_sweep(sweep_setup, sweep_body, &modes[i], 400) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uuids),
		cmocka_unit_test(tokens),
		cmocka_unit_test(pf_open_with_token),
		cmocka_unit_test(fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

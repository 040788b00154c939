/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/nesting.c on the mock's SMMUv3: nested page tables on a
 * vIOMMU with the typed STE, invalidation arrays with a bad entry in the
 * middle (the done count surfaced exactly), the type probe, hardware info
 * with the driver's dump and the size contract, fail-Nth.
 */
#include "objs_fixture.h"

#define STE_S1 (1ull | (5ull << 1)) /* V, Config = stage-1 translate */
#define OP_TLBI_NH_ALL 0x10ull
#define OP_TLBI_NH_VA 0x12ull
#define OP_CFGI_CD 0x05ull

struct nfx {
	struct ofx f;
	vfioiommu_pagetable *parent, *nested;
	vfioiommu_viommu *v;
	vfioiommu_vdevice *vd;
};

static int nfx_up(struct nfx *x, vfioiommu_mock *m)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = VFIOIOMMU_PT_NEST_PARENT };
	struct vfioiommu_hwpt_arm_smmuv3 ste = { { STE_S1, 0 } };
	int rc = vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3);

	memset(x, 0, sizeof(*x));
	if (rc == 0)
		rc = ofx_up(&x->f, m);
	if (rc == 0)
		rc = vfioiommu_pagetable_new(x->f.ctx, x->f.devid, &o, &x->parent);
	if (rc == 0)
		rc = vfioiommu_viommu_new(x->f.ctx, x->f.devid, x->parent, VFIOIOMMU_VIOMMU_ARM_SMMUV3, &x->v);
	if (rc == 0)
		rc = vfioiommu_vdevice_new(x->v, x->f.devid, 0x42, &x->vd);
	if (rc == 0) {
		struct vfioiommu_pagetable_opts no = { .size = sizeof(no), .viommu = x->v,
						       .data_type = VFIOIOMMU_HWPT_DATA_ARM_SMMUV3,
						       .data_len = sizeof(ste), .data = &ste };
		rc = vfioiommu_pagetable_new(x->f.ctx, x->f.devid, &no, &x->nested);
	}
	return rc;
}

static void nested_alloc_and_attach(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_hwpt_arm_smmuv3 ste = { { 1ull | (2ull << 1), 0 } };
	struct vfioiommu_pagetable_opts no = { .size = sizeof(no), .data_type = VFIOIOMMU_HWPT_DATA_ARM_SMMUV3,
					       .data_len = sizeof(ste), .data = &ste };
	vfioiommu_pagetable *p = NULL;
	unsigned char big[24] = { 0 };
	struct nfx x;

	assert_int_equal(nfx_up(&x, m), 0);
	assert_int_equal(vfioiommu_device_attach_pagetable(x.f.dev, x.nested), 0);
	no.viommu = x.v;
	/* a Config the driver refuses (stage 2 in a guest STE) */
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), -EIO);
	/* short data, a larger zero-tailed one, a non-zero tail, the wrong type */
	no.data_len = 8;
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), -EINVAL);
	memcpy(big, &(uint64_t){ STE_S1 }, 8);
	no.data = big;
	no.data_len = sizeof(big);
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(p), 0);
	big[20] = 1;
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), -E2BIG);
	no.data_type = VFIOIOMMU_HWPT_DATA_VTD_S1;
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), -EINVAL);
	/* a nested page table needs data */
	no.data_type = 0;
	no.data_len = 0;
	no.data = NULL;
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, &no, &p), -EINVAL);
	assert_null(p);
	/* the vIOMMU is held by the nested page table too */
	assert_int_equal(vfioiommu_viommu_destroy(x.v), -EBUSY);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "page table", "vDEVICE", NULL);
	assert_int_equal(vfioiommu_pagetable_destroy(x.nested), -EBUSY);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "(RID)", NULL);
	/* left for the teardown, children first, with the device on the nested page table */
	ofx_down(&x.f);
	th_mock_done(m);
}

static void invalidate_arrays(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_invalidate_arm_smmuv3 cmds[4] = {
		{ { OP_TLBI_NH_ALL, 0 } }, { { OP_CFGI_CD | (0x42ull << 32), 0 } },
		{ { OP_CFGI_CD | (0x99ull << 32), 0 } }, { { OP_TLBI_NH_VA, 0 } },
	};
	struct vfioiommu_invalidate_selftest st = { 0, 0 };
	vfioiommu_pagetable *plain = NULL;
	struct nfx x;
	uint32_t n;

	assert_int_equal(nfx_up(&x, m), 0);
	n = 0;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, NULL, 0, &n), 0);
	n = 0;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_VTD_S1, NULL, 0, &n), -EINVAL);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "not supported", NULL);
	/* entry 2 names a vSID no vDEVICE has */
	n = 4;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n),
			 -EIO);
	assert_int_equal(n, 2);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "entry 2 of 4", "0..1 were handled", NULL);
	/* an unknown opcode first: nothing handled */
	cmds[0].cmd[0] = 0x7f;
	n = 4;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n),
			 -EIO);
	assert_int_equal(n, 0);
	/* all good */
	cmds[0].cmd[0] = OP_TLBI_NH_ALL;
	cmds[2].cmd[0] = OP_CFGI_CD | (0x42ull << 32);
	n = 4;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n),
			 0);
	assert_int_equal(n, 4);
	/* entries shorter than the type */
	n = 1;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, 8, &n), -EINVAL);
	/* the SMMUv3 nested page table is invalidated through its vIOMMU */
	n = 1;
	assert_int_equal(vfioiommu_pagetable_invalidate(x.nested, VFIOIOMMU_INVALIDATE_SELFTEST, &st, sizeof(st), &n),
			 -EOPNOTSUPP);
	assert_int_equal(n, 0);
	/* a page table that is not nested: refused before the kernel */
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, NULL, &plain), 0);
	n = 1;
	assert_int_equal(vfioiommu_pagetable_invalidate(plain, VFIOIOMMU_INVALIDATE_SELFTEST, &st, sizeof(st), &n),
			 -EINVAL);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "not nested", NULL);
	/* bad input */
	assert_int_equal(vfioiommu_viommu_invalidate(NULL, 1, cmds, 16, &n), -EINVAL);
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, 1, cmds, 16, NULL), -EINVAL);
	n = 2;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, 1, NULL, 16, &n), -EINVAL);
	n = 2;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, 1, cmds, 0, &n), -EINVAL);
	assert_int_equal(vfioiommu_pagetable_invalidate(NULL, 1, cmds, 16, &n), -EINVAL);
	/* a kernel without the ioctl */
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_HWPT_INVALIDATE, 1, ENOTTY);
	n = 1;
	assert_int_equal(vfioiommu_viommu_invalidate(x.v, 1, cmds, 16, &n), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "Linux 6.8", NULL);
	ofx_down(&x.f);
	th_mock_done(m);
}

static void hw_info_smmuv3(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_hw_info_arm_smmuv3 smmu;
	unsigned char small[8];
	uint32_t type = 0, len = sizeof(smmu);
	struct ofx f;

	assert_int_equal(vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3), 0);
	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, &type, &smmu, &len), 0);
	assert_int_equal(type, VFIOIOMMU_HW_ARM_SMMUV3);
	assert_int_equal(len, sizeof(smmu));
	len = sizeof(small);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, &type, small, &len), 0);
	assert_int_equal(len, sizeof(smmu));
	assert_int_equal(vfioiommu_device_hw_info_data(NULL, &type, small, &len), -EINVAL);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, NULL, small, &len), -EINVAL);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, &type, NULL, &len), -EINVAL);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, &type, small, NULL), -EINVAL);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_GET_HW_INFO, 1, ENOTTY);
	assert_int_equal(vfioiommu_device_hw_info_data(f.dev, &type, small, &len), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.6", NULL);
	ofx_down(&f);
	th_mock_done(m);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_invalidate_arm_smmuv3 cmds[2] = { { { OP_TLBI_NH_ALL, 0 } },
							   { { OP_CFGI_CD | (0x42ull << 32), 0 } } };
	unsigned char buf[64];
	uint32_t n = 2, type, len = sizeof(buf);
	struct nfx x;
	int rc = nfx_up(&x, m);

	(void)arg;
	if (rc == 0)
		rc = vfioiommu_device_attach_pagetable(x.f.dev, x.nested);
	if (rc == 0)
		rc = vfioiommu_viommu_invalidate(x.v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, cmds, sizeof(cmds[0]), &n);
	if (rc == 0)
		rc = vfioiommu_device_hw_info_data(x.f.dev, &type, buf, &len);
	ofx_down(&x.f);
	return rc;
}

static void nesting_failnth(void **state)
{
	assert_true(th_sweep(ofx_mock, sweep_body, NULL, 500) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_alloc_and_attach),
		cmocka_unit_test(invalidate_arrays),
		cmocka_unit_test(hw_info_smmuv3),
		cmocka_unit_test(nesting_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

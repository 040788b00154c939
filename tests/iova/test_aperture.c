/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* lib/iova/aperture.c: the IOMMU's address width from sysfs, on the mock's IOMMUs and on registers Linux showed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "iova/internal.h"

static void decoders(void **state)
{
	/* FACTS: QEMU's intel-iommu cap (MGAW 38, SAGAW 39-bit): 39 bits */
	assert_int_equal(vi_aperture_vtd_bits(0x00d2008c22260286ull), 39);
	/* MGAW 47 with 39- and 48-bit tables: 48; with only the 39-bit table: 39 */
	assert_int_equal(vi_aperture_vtd_bits(0x00d2008c222f0686ull), 48);
	assert_int_equal(vi_aperture_vtd_bits(0x00d2008c222f0286ull), 39);
	/* MGAW 63, tables up to 5 levels: Linux stops at 57 */
	assert_int_equal(vi_aperture_vtd_bits((0x3full << 16) | (0x1full << 8)), 57);
	/* no SAGAW bit: MGAW alone */
	assert_int_equal(vi_aperture_vtd_bits(0x2full << 16), 48);
	/* tests/vm: QEMU's amd-iommu EFR 0x29d3 (HATS 2: 64-bit host table; GATS 2: 4-level guest table): 48 */
	assert_int_equal(vi_aperture_amd_bits(0x29d3), 48);
	assert_int_equal(vi_aperture_amd_bits(0), 48);                       /* HATS 0, GATS 0 */
	assert_int_equal(vi_aperture_amd_bits((1u << 10) | (1u << 12)), 57); /* HATS 1, GATS 1 */
	assert_int_equal(vi_aperture_amd_bits((2u << 10) | (1u << 12)), 57); /* HATS 2, GATS 1 */
	assert_int_equal(vi_aperture_amd_bits(3u << 10), 48);                /* no host table: the guest table */
	assert_int_equal(vi_aperture_amd_bits((3u << 10) | (1u << 12)), 57);
}

static vfioiommu_ctx *ctx_on(vfioiommu_mock *m)
{
	return th_ctx(m, VFIOIOMMU_MODE_AUTO);
}

/* The mock's IOMMU surfaces its address-width through the sysfs paths Linux uses. */
static void mock_hosts(void **state)
{
	static const struct {
		const char *host;
		const char *name, *kind;
		unsigned int bits;
	} hosts[] = {
		{ "iommu intel\naddress-width 39\n", "dmar0", "intel", 39 },
		{ "iommu intel\naddress-width 48\n", "dmar0", "intel", 48 },
		{ "iommu intel\naddress-width 36\n", "dmar0", "intel", 36 },
		{ "iommu amd\naddress-width 48\n", "ivhd0", "amd", 48 },
		{ "iommu amd\naddress-width 57\n", "ivhd0", "amd", 57 },
		{ "iommu smmuv3\naddress-width 48\n", "smmu3.0x0000000009050000", NULL, 0 },
		{ "iommu virtio\naddress-width 48\n", "0000:00:02.0", NULL, 0 },
	};
	char host[256], name[64];

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct vi_iommu_width w;
		vfioiommu_mock *m;
		vfioiommu_ctx *ctx;

		snprintf(host, sizeof(host), "%sgroup 3\n  device 0000:00:03.0 vfio-pci\n", hosts[i].host);
		m = th_mock(host);
		ctx = ctx_on(m);
		assert_int_equal(vi_device_iommu(ctx, "0000:00:03.0", name, sizeof(name)), 0);
		assert_string_equal(name, hosts[i].name);
		assert_int_equal(vi_iommu_width(ctx, name, &w), 0);
		assert_int_equal(w.bits, hosts[i].bits);
		if (hosts[i].kind)
			assert_string_equal(w.kind, hosts[i].kind);
		else
			th_assert_msg(w.how, "no attribute gives its address width", NULL);
		assert_null(hosts[i].kind ? NULL : w.kind);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* A door in front of the mock that shows other attribute text, as other kernels or broken firmware would. */
static struct {
	const vfioiommu_door *inner;
	struct vfioiommu_door door;
	const char *path, *text;
} fake;

static ssize_t fake_read(void *p, const char *path, char *buf, size_t n)
{
	if (fake.path && !strcmp(path, fake.path))
		return snprintf(buf, n, "%s", fake.text);
	return fake.inner->sysfs_read(fake.inner->priv, path, buf, n);
}

static void attribute_text(void **state)
{
	vfioiommu_mock *m = th_mock("iommu amd\ngroup 3\n  device 0000:00:03.0 vfio-pci\n");
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vi_iommu_width w;
	vfioiommu_ctx *ctx;

	fake.inner = vfioiommu_mock_door(m);
	fake.door = *fake.inner;
	fake.door.sysfs_read = fake_read;
	o.door = &fake.door;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	/* what Linux 7.2 shows in the QEMU amd guest (tests/vm) */
	fake.path = "/sys/class/iommu/ivhd0/amd-iommu/features";
	fake.text = "29d3:0\n";
	assert_int_equal(vi_iommu_width(ctx, "ivhd0", &w), 0);
	assert_int_equal(w.bits, 48);
	th_assert_msg(w.how, "amd-iommu/features 29d3: HATS 2, GATS 2", NULL);
	/* before 6.6 the file had no EFR2 */
	fake.text = "29d3\n";
	assert_int_equal(vi_iommu_width(ctx, "ivhd0", &w), 0);
	assert_int_equal(w.bits, 48);
	/* garbage: no width, and why */
	fake.text = "zz\n";
	assert_int_equal(vi_iommu_width(ctx, "ivhd0", &w), 0);
	assert_int_equal(w.bits, 0);
	assert_null(w.kind);
	th_assert_msg(w.how, "cannot be read", "EPROTO", NULL);
	/* no such IOMMU, bad names */
	assert_int_equal(vi_iommu_width(ctx, "dmar7", &w), -ENOENT);
	assert_int_equal(vi_iommu_width(ctx, "../x", &w), -EINVAL);
	assert_int_equal(vi_iommu_width(ctx, "", &w), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);

	/* no groups: the IOMMU is off, devices have no iommu link */
	m = th_mock("pgsizes 0x1000\n");
	ctx = ctx_on(m);
	{
		char name[64];
		assert_int_equal(vi_device_iommu(ctx, "0000:00:03.0", name, sizeof(name)), -ENOENT);
	}
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decoders),
		cmocka_unit_test(mock_hosts),
		cmocka_unit_test(attribute_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

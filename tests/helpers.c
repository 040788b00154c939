/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"

const char th_host_default[] =
	"address-width 39\n"
	"pgsizes 0x40201000\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci vendor=0x8086 device=0x10d3\n"
	"group 4\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:04.0 vfio-pci\n"
	"  device 0000:00:04.1 vfio-pci\n"
	"group 5\n"
	"  device 0000:00:05.0 vfio-pci\n"
	"  device 0000:00:05.1 e1000e\n"
	"group 6\n"
	"  resv 0x000000007d000000 0x000000007d0fffff direct\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:14.0 vfio-pci class=0x0c0330\n"
	"group 7\n"
	"  resv 0x0 0xffffff direct-relaxable\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:1f.0 vfio-pci\n"
	"group 8\n"
	"  device 0000:00:08.0 e1000e\n";

vfioiommu_mock *th_mock(const char *desc)
{
	vfioiommu_mock *m = NULL;
	char err[256];

	assert_int_equal(vfioiommu_mock_new(&m), 0);
	if (desc && vfioiommu_mock_load_string(m, desc, err, sizeof(err)) < 0)
		fail_msg("host description: %s", err);
	return m;
}

vfioiommu_ctx *th_ctx(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

/*
 * Teardown steps return nothing to report an error through, and Linux
 * releases the resource anyway (close, munmap) or the next step releases it
 * (DETACH before the cdev close, IOMMU_DESTROY before the iommufd close,
 * UNSET_CONTAINER before the group close).
 */
bool th_teardown_site(const char *site)
{
	static const char *const sites[] = { "close", "munmap", "ioctl 0x3b78" /* DETACH_IOMMUFD_PT */,
					     "ioctl 0x3b80" /* IOMMU_DESTROY */, "ioctl 0x3b69" /* UNSET_CONTAINER */ };

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		if (!strcmp(site, sites[i]))
			return true;
	return false;
}

unsigned long th_sweep(th_setup_fn setup, th_body_fn body, void *arg, unsigned long max_n)
{
	unsigned long n;

	for (n = 1; n <= max_n; n++) {
		vfioiommu_mock *m = setup(arg);
		int rc;

		vfioiommu_mock_fail_nth(m, n, EIO);
		rc = body(m, arg);
		if (!vfioiommu_mock_fault_fired(m)) {
			assert_int_equal(rc, 0);
			assert_int_equal(vfioiommu_mock_open_fds(m), 0);
			vfioiommu_mock_destroy(m);
			return n - 1;
		}
		if (rc >= 0) {
			const char *site = vfioiommu_mock_fault_site(m);
			if (!th_teardown_site(site))
				fail_msg("fail-nth %lu: fault at '%s' fired but body returned %d", n, site, rc);
		}
		if (vfioiommu_mock_open_fds(m) != 0)
			fail_msg("fail-nth %lu (%s): %u mock fds leaked", n, vfioiommu_mock_fault_site(m),
				 vfioiommu_mock_open_fds(m));
		if (vfioiommu_mock_live_mmaps(m) != 0)
			fail_msg("fail-nth %lu (%s): %u mmaps leaked", n, vfioiommu_mock_fault_site(m),
				 vfioiommu_mock_live_mmaps(m));
		vfioiommu_mock_destroy(m);
	}
	fail_msg("fail-nth sweep did not finish within %lu calls", max_n);
	return n;
}

void th_assert_msg(const char *s, ...)
{
	va_list ap;
	const char *w;

	va_start(ap, s);
	while ((w = va_arg(ap, const char *)) != NULL) {
		if (!strstr(s, w)) {
			va_end(ap);
			fail_msg("message \"%s\" lacks \"%s\"", s, w);
		}
	}
	va_end(ap);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "device_fixture.h"
#include "helpers.h"

const char df_host[] =
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"group 10\n"
	"  device 0000:03:00.0 vfio-pci model=nvme\n"
	"group 12\n"
	"  device 0000:00:02.0 vfio-pci model=igd\n";

void df_open(struct df_env *e, const char *host, enum vfioiommu_mode mode, const char *bdf)
{
	e->m = th_mock(host);
	e->ctx = th_ctx(e->m, mode);
	assert_int_equal(vfioiommu_device_open(e->ctx, bdf, &e->dev), 0);
}

void df_close(struct df_env *e)
{
	vfioiommu_ctx_destroy(e->ctx);
	assert_int_equal(vfioiommu_mock_open_fds(e->m), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e->m), 0);
	vfioiommu_mock_destroy(e->m);
}

struct df_sweep {
	const char *host;
	enum vfioiommu_mode mode;
	df_body_fn body;
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(((const struct df_sweep *)arg)->host);
}

/* The context is made after the fault is armed, so its creation is swept too. */
static int sweep_body(vfioiommu_mock *m, void *arg)
{
	const struct df_sweep *s = arg;
	vfioiommu_ctx *ctx = th_ctx(m, s->mode);
	int rc = s->body(ctx);

	vfioiommu_ctx_destroy(ctx);
	return rc;
}

void df_fail_nth(void **state)
{
	static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };
	const struct df_sweep_spec *spec = *state;

	for (unsigned int i = 0; i < 2; i++) {
		struct df_sweep s = { .host = spec->host, .mode = modes[i], .body = spec->body };

		assert_true(th_sweep(sweep_setup, sweep_body, &s, 300) > 10);
	}
}

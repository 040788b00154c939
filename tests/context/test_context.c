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
#include "core/internal.h"

static void new_bad_input(void **state)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_ctx *ctx = (vfioiommu_ctx *)&o;

	assert_int_equal(vfioiommu_ctx_new(&o, NULL), -EINVAL);
	o.size = 4;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), -EINVAL);
	assert_null(ctx);
	o.size = sizeof(o);
	o.mode = 42;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), -EINVAL);
	o.mode = 0;
	o.sysfs_root = "";
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), -EINVAL);
	o.sysfs_root = "/tmp/captured-sys";
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_string_equal(ctx->sysfs_root, "/tmp/captured-sys");
	assert_ptr_equal(ctx->door, vfioiommu_door_system());
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "no backend chosen yet", NULL);
	assert_int_equal(vfioiommu_ctx_container_is_iommufd(ctx), -ENODEV);
	vfioiommu_ctx_destroy(ctx);
	/* NULL opts is the default context */
	assert_int_equal(vfioiommu_ctx_new(NULL, &ctx), 0);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_ctx_destroy(NULL);
}

static void null_handles(void **state)
{
	vfioiommu_device *dev = (vfioiommu_device *)1;
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);

	assert_int_equal(vfioiommu_device_open(NULL, "0000:00:03.0", &dev), -EINVAL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "out is NULL", NULL);
	assert_int_equal(vfioiommu_ctx_add_group(NULL, 3), -EINVAL);
	assert_string_equal(vfioiommu_strerror(NULL), "no context");
	assert_int_equal(vfioiommu_ctx_backend(NULL), VFIOIOMMU_BACKEND_NONE);
	assert_string_equal(vfioiommu_device_name(NULL), "");
	assert_int_equal(vfioiommu_device_fd(NULL), -EINVAL);
	vfioiommu_device_close(NULL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void device_checks_before_any_open(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;

	assert_int_equal(vfioiommu_mock_add_group(m, 9), 0);
	assert_int_equal(vfioiommu_mock_add_device(m, 9, "0000:00:09.0", NULL), 0);
	ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:0:03.0", &dev), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:0:03.0", "not a PCI address", NULL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.8", &dev), -EINVAL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:20.0", &dev), -EINVAL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:13.0", &dev), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:13.0", "not found", NULL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:05.1", &dev), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:05.1", "bound to e1000e", "vfio-pci", NULL);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:09.0", &dev), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "not bound to any driver", NULL);
	assert_null(dev);
	/* nothing was opened by any of this */
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void bdf_shapes(void **state)
{
	assert_int_equal(vi_bdf_check("0000:00:1f.7"), 0);
	assert_int_equal(vi_bdf_check("ffff:ff:1f.0"), 0);
	assert_int_equal(vi_bdf_check("0000:00:1F.0"), -EINVAL);
	assert_int_equal(vi_bdf_check("0000-00:1f.0"), -EINVAL);
	assert_int_equal(vi_bdf_check("0000:00:1f.0 "), -EINVAL);
	assert_int_equal(vi_bdf_check(""), -EINVAL);
	assert_int_equal(vi_bdf_check(NULL), -EINVAL);
	assert_true(vi_driver_is_vfio("vfio-pci"));
	assert_true(vi_driver_is_vfio("mlx5_vfio_pci"));
	assert_false(vi_driver_is_vfio("e1000e"));
	assert_false(vi_driver_is_vfio(NULL));
}

static void sysfs_helpers(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	unsigned int g = 0;
	char drv[32], path[128];

	assert_int_equal(vi_sysfs_device_group(ctx, "0000:00:04.1", &g), 0);
	assert_int_equal(g, 4);
	assert_int_equal(vi_sysfs_device_group(ctx, "0000:00:44.1", &g), -ENOENT);
	assert_int_equal(vi_sysfs_device_driver(ctx, "0000:00:08.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "e1000e");
	int vi_device_cdev_path(struct vfioiommu_ctx *c, const char *bdf, char *p, size_t n);
	assert_int_equal(vi_device_cdev_path(ctx, "0000:00:04.1", path, sizeof(path)), 0);
	assert_string_equal(path, "/dev/vfio/devices/vfio2");
	assert_int_equal(vi_device_cdev_path(ctx, "0000:00:08.0", path, sizeof(path)), -ENOENT);
	/* injected sysfs failures come back as the errno */
	vfioiommu_mock_fail_nth(m, 1, EACCES);
	assert_int_equal(vi_sysfs_device_group(ctx, "0000:00:04.1", &g), -EACCES);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static vfioiommu_mock *setup_default(void *arg)
{
	return th_mock(th_host_default);
}

static int body_check_only(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *dev;
	int rc = vfioiommu_device_open(ctx, "0000:00:05.1", &dev);

	/* the expected answer is -ENODEV; an injected fault must surface as some other error */
	if (rc == -ENODEV && !vfioiommu_mock_fault_fired(m))
		rc = 0;
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void sweep_device_checks(void **state)
{
	assert_true(th_sweep(setup_default, body_check_only, NULL, 100) >= 3);
}

/* INFO log lines, in order. */
struct lines {
	char v[8][512];
	unsigned int n;
};

static void keep_info(void *arg, int level, const char *msg)
{
	struct lines *l = arg;

	if (level == VFIOIOMMU_LOG_INFO && l->n < 8)
		snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", msg);
}

/* The log says which backend and why from its first line; type1's reason says partial unmaps are refused. */
static void backend_log_and_reason(void **state)
{
	static const struct {
		enum vfioiommu_mode mode;
		const char *first, *second;
	} cases[] = {
		{ VFIOIOMMU_MODE_CONTAINER, "backend container: requested by the caller",
		  "container IOMMU type type1v2: the kernel offers VFIO_TYPE1v2_IOMMU" },
		{ VFIOIOMMU_MODE_TYPE1, "backend container: requested by the caller (type1 asked for)",
		  "container IOMMU type type1: VFIOIOMMU_MODE_TYPE1 asks for it" },
		{ VFIOIOMMU_MODE_AUTO, "backend iommufd: /dev/iommu and /dev/vfio/devices/vfio0 exist", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		struct lines l = { .n = 0 };
		struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = cases[i].mode, .door = vfioiommu_mock_door(m),
						.log_fn = keep_info, .log_arg = &l };
		vfioiommu_device *dev;
		vfioiommu_ctx *ctx;

		assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
		assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
		assert_true(l.n >= 1);
		assert_null(strstr(l.v[0], "backend none"));
		th_assert_msg(l.v[0], cases[i].first, NULL);
		if (cases[i].second) {
			assert_true(l.n >= 2);
			th_assert_msg(l.v[1], cases[i].second, NULL);
		}
		assert_null(strstr(vfioiommu_ctx_backend_reason(ctx), "partial unmaps allowed"));
		if (cases[i].mode == VFIOIOMMU_MODE_TYPE1)
			th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "type1: VFIOIOMMU_MODE_TYPE1 asks for it",
				      "unmap covering part of a mapping is refused", NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
	/* a kernel without type1v2: the fallback's reason says the same */
	{
		vfioiommu_mock *m = th_mock("type1v2 no\ngroup 3\n  device 0000:00:03.0 vfio-pci\n");
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
		vfioiommu_device *dev;

		assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
		th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "does not offer VFIO_TYPE1v2_IOMMU, so type1",
			      "unmap covering part of a mapping is refused", NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_bad_input),
		cmocka_unit_test(null_handles),
		cmocka_unit_test(device_checks_before_any_open),
		cmocka_unit_test(bdf_shapes),
		cmocka_unit_test(sysfs_helpers),
		cmocka_unit_test(sweep_device_checks),
		cmocka_unit_test(backend_log_and_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

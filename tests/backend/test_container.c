/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The container backend through the mock: open, groups, devices, teardown, every refusal. */
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
#include "helpers.h"
#include "backend/internal.h"
#include "core/internal.h"
#include "core/door.h"
#include "kabi/kabi.h"

static void done(vfioiommu_ctx *ctx, vfioiommu_mock *m)
{
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void add_groups_and_devices(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *a = NULL, *b = NULL;

	assert_int_equal(vfioiommu_ctx_container_is_iommufd(ctx), -ENODEV);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "container", "type1v2", "VFIO_TYPE1v2_IOMMU", NULL);
	assert_int_equal(vfioiommu_ctx_container_is_iommufd(ctx), 0);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EBUSY);
	th_assert_msg(vfioiommu_strerror(ctx), "group 3", "already", NULL);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 4), 0);
	assert_int_equal(vfioiommu_mock_open_fds(m), 3);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &a), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:04.1", &b), 0);
	assert_true(vfioiommu_device_fd(a) >= VFIOIOMMU_MOCK_FD_BASE);
	assert_int_equal(vfioiommu_device_group(b), 4);
	assert_int_equal(vfioiommu_mock_open_fds(m), 5);
	/* an explicitly added group outlives its devices */
	vfioiommu_device_close(b);
	assert_int_equal(vfioiommu_mock_open_fds(m), 4);
	done(ctx, m);
}

static void implicit_group_lifetime(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_device *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:04.0", &a), 0);
	assert_int_equal(vfioiommu_mock_open_fds(m), 3);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:04.1", &b), 0);
	assert_int_equal(vfioiommu_mock_open_fds(m), 4);
	vfioiommu_device_close(a);
	assert_int_equal(vfioiommu_mock_open_fds(m), 3);
	/* the group goes with its last device, and the kernel drops the container's IOMMU */
	vfioiommu_device_close(b);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), -ENODEV);
	/* so the next group sets it again */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &c), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), 0);
	/* adding the group by number now keeps it past its device */
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	vfioiommu_device_close(c);
	assert_int_equal(vfioiommu_mock_open_fds(m), 2);
	done(ctx, m);
}

static void group_not_viable(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *d = NULL;

	assert_int_equal(vfioiommu_ctx_add_group(ctx, 5), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "group 5 is not viable", "0000:00:05.1", "e1000e", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:05.0", &d), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:05.1", "e1000e", NULL);
	assert_null(d);
	/* the context is still usable */
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	done(ctx, m);
}

static void group_resv_direct(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

	assert_int_equal(vfioiommu_ctx_add_group(ctx, 6), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "group 6 needs a firmware 1:1 mapping", "RESV_DIRECT", "7d000000",
		      NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	/* direct-relaxable does not count */
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 7), 0);
	done(ctx, m);
}

static void group_missing(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

	assert_int_equal(vfioiommu_ctx_add_group(ctx, 8), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "group 8", "/dev/vfio/8", "no device bound to vfio-pci", NULL);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 99), -ENOENT);
	done(ctx, m);
}

static void no_container_node(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER, false), 0);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "/dev/vfio/vfio", NULL);
	assert_int_equal(vfioiommu_ctx_container_is_iommufd(ctx), -ENODEV);
	done(ctx, m);
}

static void noiommu_only_on_request(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_iova_list *l = NULL;
	vfioiommu_device *d = NULL;

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_NOIOMMU, true), 0);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	vfioiommu_ctx_destroy(ctx);

	ctx = th_ctx(m, VFIOIOMMU_MODE_NOIOMMU);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &d), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NOIOMMU);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "noiommu", "requested", NULL);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), -EOPNOTSUPP);
	assert_int_equal(vi_container_ops.iova_ranges(ctx, &l), -EOPNOTSUPP);
	assert_null(l);
	vfioiommu_ctx_destroy(ctx);

	/* asked for, but the kernel does not offer it */
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_NOIOMMU, false), 0);
	ctx = th_ctx(m, VFIOIOMMU_MODE_NOIOMMU);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "no-IOMMU mode was requested", "enable_unsafe_noiommu_mode", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	done(ctx, m);
}

/* ---------------- a door that edits what the mock kernel says ---------------- */

static const vfioiommu_door *inner;
static unsigned int deny; /* bit per extension CHECK_EXTENSION answers 0 for */
static int api_version;

static int filter_ioctl(void *priv, int fd, unsigned long req, void *arg)
{
	unsigned long v = (unsigned long)(uintptr_t)arg;

	if (req == KABI_VFIO_CHECK_EXTENSION && v < 32 && (deny & (1u << v)))
		return 0;
	if (req == KABI_VFIO_GET_API_VERSION && api_version)
		return api_version;
	return inner->ioctl(priv, fd, req, arg);
}

static vfioiommu_ctx *filtered_ctx_mode(vfioiommu_mock *m, struct vfioiommu_door *door, enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = door };
	vfioiommu_ctx *ctx = NULL;

	inner = vfioiommu_mock_door(m);
	*door = *inner;
	door->ioctl = filter_ioctl;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

static vfioiommu_ctx *filtered_ctx(vfioiommu_mock *m, struct vfioiommu_door *door)
{
	return filtered_ctx_mode(m, door, VFIOIOMMU_MODE_CONTAINER);
}

static void type1_fallback(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door door;
	vfioiommu_ctx *ctx = filtered_ctx(m, &door);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };

	deny = 1u << KABI_VFIO_TYPE1v2_IOMMU;
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "type1:", "does not offer VFIO_TYPE1v2_IOMMU", NULL);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), 0);
	vfioiommu_ctx_destroy(ctx);

	ctx = filtered_ctx(m, &door);
	deny = (1u << KABI_VFIO_TYPE1v2_IOMMU) | (1u << KABI_VFIO_TYPE1_IOMMU);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "neither", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	deny = 0;
	done(ctx, m);
}

/* The caller asks for type1 although v2 exists: same DMA meaning, reason says why. */
static void type1_on_request(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door door;
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_TYPE1);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	void *buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0x100000;

	assert_true(buf != MAP_FAILED);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "type1 asked for", "VFIOIOMMU_MODE_TYPE1", NULL);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 2 * 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	/* v1 would split-unmap the whole mapping; the library refuses before the kernel sees it */
	assert_int_equal(vfioiommu_dma_unmap(ctx, iova, 4096), -EINVAL);
	assert_int_equal(vfioiommu_dma_unmap(ctx, iova, 2 * 4096), 0);
	vfioiommu_ctx_destroy(ctx);

	/* a kernel without type1 at all */
	ctx = filtered_ctx_mode(m, &door, VFIOIOMMU_MODE_TYPE1);
	deny = 1u << KABI_VFIO_TYPE1_IOMMU;
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "no VFIO_TYPE1_IOMMU", "VFIOIOMMU_MODE_TYPE1", NULL);
	deny = 0;
	munmap(buf, 2 * 4096);
	done(ctx, m);
}

static void api_version_mismatch(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door door;
	vfioiommu_ctx *ctx = filtered_ctx(m, &door);

	api_version = 1;
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "API version 1", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);
	api_version = 0;
	done(ctx, m);
}

static void compat_container_detected(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *d = NULL;

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER_COMPAT, true), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &d), 0);
	assert_int_equal(vfioiommu_ctx_container_is_iommufd(ctx), 1);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "iommufd's emulation", "type1v2", NULL);
	/* with iommufd the RESV_DIRECT refusal comes at GET_DEVICE_FD; the message says the same */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:14.0", &d), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:14.0", "group 6 needs a firmware 1:1 mapping", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 3);
	done(ctx, m);
}

/* ---------------- every error path undoes its step ---------------- */

static void step_failures_undo(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *d = NULL;

	assert_int_equal(vfioiommu_ctx_add_group(ctx, 4), 0);
	/* GET_DEVICE_FD fails: the implicitly added group 3 goes again, group 4 stays */
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_GROUP_GET_DEVICE_FD, 1, EIO);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &d), -EIO);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_GROUP_GET_DEVICE_FD", "0000:00:03.0", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 2);
	/* SET_CONTAINER fails (not RESV_DIRECT): a plain message */
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_GROUP_SET_CONTAINER, 1, EINVAL);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_GROUP_SET_CONTAINER on group 3 failed: EINVAL", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 2);
	vfioiommu_ctx_destroy(ctx);

	/* SET_IOMMU fails on the first group: the group is detached and closed, and can come back */
	ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_SET_IOMMU, 1, EIO);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), -EIO);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_SET_IOMMU", NULL);
	assert_int_equal(vfioiommu_mock_open_fds(m), 1);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &d), 0);
	done(ctx, m);
}

/* ---------------- fail-Nth over the whole life of a context ---------------- */

struct sweep_arg {
	enum vfioiommu_mode mode;
	unsigned int features;
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	struct sweep_arg *a = arg;
	vfioiommu_mock *m = th_mock(th_host_default);

	if (a->features)
		assert_int_equal(vfioiommu_mock_set_feature(m, a->features, true), 0);
	return m;
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct sweep_arg *a = arg;
	vfioiommu_ctx *ctx = th_ctx(m, a->mode);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_device *d3 = NULL, *d4 = NULL;
	vfioiommu_iova_list *l = NULL;
	int rc;

	rc = vfioiommu_ctx_add_group(ctx, 3);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, "0000:00:03.0", &d3);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, "0000:00:04.0", &d4);
	if (rc == 0 && a->mode != VFIOIOMMU_MODE_NOIOMMU)
		rc = vfioiommu_ctx_iommu_info(ctx, &info, &l);
	if (rc < 0)
		assert_true(strlen(vfioiommu_strerror(ctx)) > 0);
	vfioiommu_iova_list_free(l);
	if (rc == 0 && vfioiommu_mock_fault_fired(m))
		fail_msg("fault at %s fired while opening but nothing failed", vfioiommu_mock_fault_site(m));
	vfioiommu_device_close(d4);
	vfioiommu_ctx_destroy(ctx);
	/* teardown ignores failures (close releases anyway); the sweep checks for leaks */
	if (rc == 0 && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
	return rc;
}

static void fail_nth_open_teardown(void **state)
{
	struct sweep_arg type1 = { VFIOIOMMU_MODE_CONTAINER, 0 };
	struct sweep_arg compat = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MOCK_CONTAINER_COMPAT };
	struct sweep_arg noiommu = { VFIOIOMMU_MODE_NOIOMMU, VFIOIOMMU_MOCK_NOIOMMU };

	assert_true(th_sweep(sweep_setup, sweep_body, &type1, 1000) > 20);
	assert_true(th_sweep(sweep_setup, sweep_body, &compat, 1000) > 20);
	assert_true(th_sweep(sweep_setup, sweep_body, &noiommu, 1000) > 20);
}

static void bad_input(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_iova_list *l = NULL;

	assert_int_equal(vfioiommu_ctx_add_group(NULL, 3), -EINVAL);
	/* before any group the backend answers -ENODEV for ranges */
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 8), -ENOENT);
	assert_int_equal(vi_container_ops.iova_ranges(ctx, &l), -ENODEV);
	assert_null(l);
	done(ctx, m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_groups_and_devices),
		cmocka_unit_test(implicit_group_lifetime),
		cmocka_unit_test(group_not_viable),
		cmocka_unit_test(group_resv_direct),
		cmocka_unit_test(group_missing),
		cmocka_unit_test(no_container_node),
		cmocka_unit_test(noiommu_only_on_request),
		cmocka_unit_test(type1_fallback),
		cmocka_unit_test(type1_on_request),
		cmocka_unit_test(api_version_mismatch),
		cmocka_unit_test(compat_container_detected),
		cmocka_unit_test(step_failures_undo),
		cmocka_unit_test(fail_nth_open_teardown),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

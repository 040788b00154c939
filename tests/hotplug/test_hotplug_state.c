/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The hotplug monitor's picture: the table helpers and the sysfs scan. */
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
#include "hotplug/hotplug_state.h"

static void table(void **state)
{
	struct vi_hp_state st = { 0 };
	struct vi_hp_dev *d;

	assert_null(vi_hp_dev_find(&st, "0000:00:03.0"));
	d = vi_hp_dev_add(&st, "0000:00:03.0", 3);
	assert_non_null(d);
	assert_int_equal(d->cdev, -1);
	assert_string_equal(d->driver, "");
	assert_non_null(vi_hp_dev_add(&st, "0000:00:04.0", 4));
	assert_non_null(vi_hp_dev_add(&st, "0000:00:05.0", -1));
	vi_hp_dev_del(&st, vi_hp_dev_find(&st, "0000:00:03.0"));
	assert_null(vi_hp_dev_find(&st, "0000:00:03.0"));
	assert_int_equal(vi_hp_dev_find(&st, "0000:00:05.0")->group, -1);
	assert_int_equal(st.ndev, 2);
	assert_int_equal(vi_hp_group_add(&st, 4, false), 0);
	assert_int_equal(vi_hp_group_add(&st, 9, true), 0);
	assert_true(vi_hp_group_find(&st, 9)->noiommu);
	vi_hp_group_del(&st, vi_hp_group_find(&st, 4));
	assert_null(vi_hp_group_find(&st, 4));
	assert_non_null(vi_hp_group_find(&st, 9));
	vi_hp_state_free(&st);
	assert_int_equal(st.ndev, 0);
	vi_hp_state_free(&st);
}

static void scan(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vi_hp_state st;
	const struct vi_hp_dev *d;

	assert_int_equal(vi_hp_scan(ctx, &st), 0);
	assert_int_equal(st.ndev, 6); /* the vfio-pci ones; not 05.1 or 08.0 (e1000e) */
	assert_int_equal(st.ngrp, 5);
	d = vi_hp_dev_find(&st, "0000:00:04.1");
	assert_non_null(d);
	assert_int_equal(d->group, 4);
	assert_int_equal(d->cdev, 2);
	assert_string_equal(d->driver, "vfio-pci");
	assert_null(vi_hp_dev_find(&st, "0000:00:08.0"));
	vi_hp_state_free(&st);
	/* no cdevs and no group nodes on this kernel: devices without either, no groups */
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CDEV | VFIOIOMMU_MOCK_CONTAINER, false), 0);
	assert_int_equal(vi_hp_scan(ctx, &st), 0);
	assert_int_equal(st.ndev, 6);
	assert_int_equal(st.ngrp, 0);
	assert_int_equal(vi_hp_dev_find(&st, "0000:00:04.1")->cdev, -1);
	vi_hp_state_free(&st);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void seqnum(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	uint64_t s = 99;
	int fd = d->uevent_open(d->priv);

	assert_int_equal(vi_hp_read_seqnum(ctx, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:08.0"), 0); /* unbind, remove */
	assert_int_equal(vi_hp_read_seqnum(ctx, &s), 0);
	assert_int_equal(s, 2);
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(vi_hp_read_seqnum(ctx, &s), -EIO);
	th_assert_msg(vfioiommu_strerror(ctx), "uevent_seqnum", NULL);
	d->uevent_close(d->priv, fd);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static vfioiommu_mock *setup_default(void *arg)
{
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vi_hp_state st;
	int rc = vi_hp_scan(ctx, &st);

	if (rc == 0)
		vi_hp_state_free(&st);
	else
		assert_int_equal(st.ndev, 0); /* nothing half-made is handed back */
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void fail_nth(void **state)
{
	assert_true(th_sweep(setup_default, sweep_body, NULL, 500) > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(scan),
		cmocka_unit_test(seqnum),
		cmocka_unit_test(fail_nth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

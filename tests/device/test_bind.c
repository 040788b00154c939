/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* vfioiommu_bind_vfio() on the mock: the writes, the wait, and every way it can fail. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "core/door.h"
#include "helpers.h"

#define NIC "0000:00:08.0" /* e1000e, alone in group 8 (th_host_default) */

static ssize_t rd(vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	return d->sysfs_read(d->priv, path, buf, n);
}

static void driver_is(vfioiommu_mock *m, const char *bdf, const char *want)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char path[128], buf[128];
	ssize_t rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	rc = d->readlink(d->priv, path, buf, sizeof(buf));
	if (!want) {
		assert_int_equal(rc, -ENOENT);
		return;
	}
	assert_true(rc > 0);
	assert_string_equal(strrchr(buf, '/') + 1, want);
}

/* ---- a door that answers some sysfs writes itself ---- */

static struct {
	const vfioiommu_door *inner;
	const char *match;  /* path substring */
	ssize_t answer;     /* returned instead of writing; > 0: swallow, pretend success */
	unsigned int writes;
	char last[256];
} filt;

static ssize_t filt_write(void *p, const char *path, const char *buf, size_t n)
{
	filt.writes++;
	snprintf(filt.last, sizeof(filt.last), "%s", path);
	if (filt.match && strstr(path, filt.match))
		return filt.answer > 0 ? (ssize_t)n : filt.answer;
	return filt.inner->sysfs_write(p, path, buf, n);
}

static vfioiommu_ctx *filt_ctx(vfioiommu_mock *m, struct vfioiommu_door *d, enum vfioiommu_mode mode,
			       const char *match, ssize_t answer)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = d };
	vfioiommu_ctx *ctx = NULL;

	memset(&filt, 0, sizeof(filt));
	filt.inner = vfioiommu_mock_door(m);
	filt.match = match;
	filt.answer = answer;
	*d = *filt.inner;
	d->sysfs_write = filt_write;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

static void binds_in_every_mode(void **state)
{
	static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_AUTO, VFIOIOMMU_MODE_CONTAINER,
						     VFIOIOMMU_MODE_IOMMUFD };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, modes[i]);
		vfioiommu_device *dev;
		char buf[64];

		if (vfioiommu_bind_vfio(ctx, NIC, 1000) < 0)
			fail_msg("mode %zu: %s", i, vfioiommu_strerror(ctx));
		driver_is(m, NIC, "vfio-pci");
		assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "vfio-pci\n");
		if (vfioiommu_device_open(ctx, NIC, &dev) < 0)
			fail_msg("mode %zu: %s", i, vfioiommu_strerror(ctx));
		vfioiommu_device_close(dev);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

static void already_vfio_is_left_alone(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, NULL, 0);

	/* bound to vfio-pci, and to a variant driver: no write at all, even with a zero timeout */
	assert_int_equal(vfioiommu_bind_vfio(ctx, "0000:00:03.0", 0), 0);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:04.1", "mlx5_vfio_pci"), 0);
	assert_int_equal(vfioiommu_bind_vfio(ctx, "0000:00:04.1", 0), 0);
	assert_int_equal(filt.writes, 0);
	driver_is(m, "0000:00:04.1", "mlx5_vfio_pci");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void unbound_device_needs_no_unbind(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "/unbind", -EIO);

	assert_int_equal(vfioiommu_mock_set_driver(m, NIC, NULL), 0);
	if (vfioiommu_bind_vfio(ctx, NIC, 1000) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	assert_int_equal(filt.writes, 2); /* driver_override, drivers_probe */
	driver_is(m, NIC, "vfio-pci");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void not_root(void **state)
{
	static const int errs[] = { -EACCES, -EPERM };

	for (size_t i = 0; i < 2; i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		struct vfioiommu_door d;
		vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "/sys/", errs[i]);

		assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), errs[i]);
		th_assert_msg(vfioiommu_strerror(ctx), NIC, "driver_override", "needs root", NULL);
		driver_is(m, NIC, "e1000e");
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

static void in_use(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "drivers/e1000e/unbind", -EBUSY);
	char buf[64];

	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), -EBUSY);
	th_assert_msg(vfioiommu_strerror(ctx), NIC, "e1000e/unbind", "in use", NULL);
	driver_is(m, NIC, "e1000e");
	/* the override is taken back: e1000e's next probe is not hijacked */
	assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "(null)\n");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/*
 * ENODEV from unbind means the driver let go meanwhile: not an error, sysfs
 * decides.  Here the door pretends so while the device in fact stays with
 * e1000e, so the wait ends in a timeout that says where it is.
 */
static void unbind_race(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "drivers/e1000e/unbind", -ENODEV);

	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 20), -ETIMEDOUT);
	th_assert_msg(vfioiommu_strerror(ctx), "still bound to e1000e", NULL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void timeouts_name_what_is_missing(void **state)
{
	static const struct {
		enum vfioiommu_mode mode;
		unsigned int feature_off;
		const char *why;
	} cases[] = {
		{ VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MOCK_CDEV, "its cdev /dev/vfio/devices/vfioN" },
		{ VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MOCK_CONTAINER, "/dev/vfio/8 did not appear" },
		{ VFIOIOMMU_MODE_AUTO, VFIOIOMMU_MOCK_CONTAINER | VFIOIOMMU_MOCK_CDEV, "/dev/vfio/8 and its cdev" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, cases[i].mode);
		struct timespec t0;

		assert_int_equal(vfioiommu_mock_set_feature(m, cases[i].feature_off, false), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 60), -ETIMEDOUT);
		assert_true(ms_since(&t0) >= 60);
		assert_true(ms_since(&t0) < 2000);
		th_assert_msg(vfioiommu_strerror(ctx), NIC, "timed out after 60 ms", "bound to vfio-pci", cases[i].why,
			      NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* drivers_probe accepted but nothing bound (vfio-pci not loaded): the wait says so. */
static void nothing_binds(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "drivers_probe", 1);

	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 30), -ETIMEDOUT);
	th_assert_msg(vfioiommu_strerror(ctx), "bound to no driver", "is vfio-pci loaded", NULL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* A door without uevents: the wait goes by sysfs alone. */
static void without_uevents(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, NULL, 0);

	d.uevent_open = NULL;
	if (vfioiommu_bind_vfio(ctx, NIC, 1000) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	driver_is(m, NIC, "vfio-pci");
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER | VFIOIOMMU_MOCK_CDEV, false), 0);
	ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, NULL, 0);
	d.uevent_open = NULL;
	assert_int_equal(vfioiommu_bind_vfio(ctx, "0000:00:03.0", 20), -ETIMEDOUT);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void bad_input(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);

	assert_int_equal(vfioiommu_bind_vfio(NULL, NIC, 10), -EINVAL);
	assert_int_equal(vfioiommu_bind_vfio(ctx, NULL, 10), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "(null)", "not a PCI address", NULL);
	assert_int_equal(vfioiommu_bind_vfio(ctx, "00:08.0", 10), -EINVAL);
	assert_int_equal(vfioiommu_bind_vfio(ctx, "0000:00:08.0/../../x", 10), -EINVAL);
	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, -1), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "negative", NULL);
	assert_int_equal(vfioiommu_bind_vfio(ctx, "0000:00:09.0", 10), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:09.0", "no such device", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static const vfioiommu_door *ng_inner;
static ssize_t no_group_readlink(void *p, const char *path, char *buf, size_t n)
{
	if (strstr(path, "iommu_group"))
		return -ENOENT;
	return ng_inner->readlink(p, path, buf, n);
}

static void no_iommu_group(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d = *vfioiommu_mock_door(m);
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &d };
	vfioiommu_ctx *ctx = NULL;

	ng_inner = vfioiommu_mock_door(m);
	d.readlink = no_group_readlink;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 10), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "no IOMMU group", "intel_iommu=on", NULL);
	driver_is(m, NIC, "e1000e");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* ---------------- a hostile sysfs (#20) ---------------- */

/*
 * The driver's directory vanishes under the unbind (its module unloads): the
 * write gets -ENOENT, and the device is then unbound.  Binding goes on.
 */
static vfioiommu_mock *vanish_mock;
static const vfioiommu_door *vanish_inner;
static bool vanish_lets_go;

static ssize_t vanish_write(void *p, const char *path, const char *buf, size_t n)
{
	if (strstr(path, "/drivers/e1000e/unbind")) {
		if (vanish_lets_go)
			assert_int_equal(vfioiommu_mock_set_driver(vanish_mock, NIC, NULL), 0);
		return -ENOENT;
	}
	return vanish_inner->sysfs_write(p, path, buf, n);
}

static void driver_directory_vanishes(void **state)
{
	for (int lets_go = 1; lets_go >= 0; lets_go--) {
		vfioiommu_mock *m = th_mock(th_host_default);
		struct vfioiommu_door d = *vfioiommu_mock_door(m);
		struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &d };
		vfioiommu_ctx *ctx = NULL;
		char buf[64];

		vanish_mock = m;
		vanish_inner = vfioiommu_mock_door(m);
		vanish_lets_go = lets_go;
		d.sysfs_write = vanish_write;
		assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
		if (lets_go) {
			/* unbound by the unload: drivers_probe hands it to vfio-pci */
			if (vfioiommu_bind_vfio(ctx, NIC, 1000) < 0)
				fail_msg("%s", vfioiommu_strerror(ctx));
			driver_is(m, NIC, "vfio-pci");
		} else {
			/* gone, yet the device still shows e1000e: an error naming the file, override taken back */
			assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), -ENOENT);
			th_assert_msg(vfioiommu_strerror(ctx), NIC, "drivers/e1000e/unbind", "ENOENT", NULL);
			driver_is(m, NIC, "e1000e");
			assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
			assert_string_equal(buf, "(null)\n");
		}
		vfioiommu_ctx_destroy(ctx);
		assert_int_equal(vfioiommu_mock_open_fds(m), 0);
		vfioiommu_mock_destroy(m);
	}
}

static void wr(vfioiommu_mock *m, const char *path, const char *val, ssize_t want)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);

	assert_int_equal(d->sysfs_write(d->priv, path, val, strlen(val)), want);
}

/* A failed bind puts back the override the device had, not "none". */
static void override_put_back(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "drivers/e1000e/unbind", -EBUSY);
	char buf[64];

	/* parked for pci-stub by someone else; the kernel (and the mock) keep it up to the first newline */
	wr(m, "/sys/bus/pci/devices/" NIC "/driver_override", "pci-stub\nignored", 16);
	assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "pci-stub\n");
	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), -EBUSY);
	driver_is(m, NIC, "e1000e");
	assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "pci-stub\n");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* driver_override reads back as something no driver is called (a hostile tree) */
static const vfioiommu_door *odd_inner;
static const char *odd_text;
static ssize_t odd_rc;

static ssize_t odd_read(void *p, const char *path, char *buf, size_t n)
{
	if (strstr(path, "/driver_override")) {
		if (odd_rc < 0)
			return odd_rc;
		snprintf(buf, n, "%s", odd_text);
		return (ssize_t)strlen(buf);
	}
	return odd_inner->sysfs_read(p, path, buf, n);
}

static void override_odd_contents(void **state)
{
	static const struct {
		const char *text;
		ssize_t rc;
	} cases[] = {
		{ "e1000e vfio-pci\n", 0 },          /* two words */
		{ "pci-stub\x01\n", 0 },             /* a control character */
		{ "\xff\xfe\n", 0 },                 /* not ASCII */
		{ "", 0 },                            /* nothing at all */
		{ "(null)\n", 0 },                   /* the kernel's "none" */
		{ NULL, -EFBIG },                     /* longer than a driver name */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		struct vfioiommu_door d;
		vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, "drivers/e1000e/unbind", -EBUSY);
		char buf[64];

		odd_inner = filt.inner;
		odd_text = cases[i].text;
		odd_rc = cases[i].rc;
		d.sysfs_read = odd_read;
		/* what was there is not written back: the override is cleared */
		wr(m, "/sys/bus/pci/devices/" NIC "/driver_override", "pci-stub", 8);
		assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), -EBUSY);
		assert_true(rd(m, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "(null)\n");
		vfioiommu_ctx_destroy(ctx);
		/* and odd contents do not stop a bind that works */
		ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, NULL, 0);
		d.sysfs_read = odd_read;
		if (vfioiommu_bind_vfio(ctx, NIC, 1000) < 0)
			fail_msg("case %zu: %s", i, vfioiommu_strerror(ctx));
		driver_is(m, NIC, "vfio-pci");
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
	}
}

/* An override that cannot be read at all: nothing is written, the message says which file. */
static void override_unreadable(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d;
	vfioiommu_ctx *ctx = filt_ctx(m, &d, VFIOIOMMU_MODE_AUTO, NULL, 0);

	odd_inner = filt.inner;
	odd_rc = -EPROTO; /* what the system door says for a FIFO or a directory */
	d.sysfs_read = odd_read;
	assert_int_equal(vfioiommu_bind_vfio(ctx, NIC, 1000), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), NIC, "driver_override", "EPROTO", "/sys/bus/pci/devices/" NIC, NULL);
	assert_int_equal(filt.writes, 0);
	driver_is(m, NIC, "e1000e");
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* ---------------- fail-Nth ---------------- */

static vfioiommu_mock *setup_default(void *arg)
{
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, *(enum vfioiommu_mode *)arg);
	int rc = vfioiommu_bind_vfio(ctx, NIC, 1000);

	if (rc < 0 && vfioiommu_mock_fault_fired(m))
		th_assert_msg(vfioiommu_strerror(ctx), "binding", NULL);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void fail_nth(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_AUTO, VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		assert_true(th_sweep(setup_default, sweep_body, &modes[i], 500) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binds_in_every_mode),
		cmocka_unit_test(already_vfio_is_left_alone),
		cmocka_unit_test(unbound_device_needs_no_unbind),
		cmocka_unit_test(not_root),
		cmocka_unit_test(in_use),
		cmocka_unit_test(unbind_race),
		cmocka_unit_test(timeouts_name_what_is_missing),
		cmocka_unit_test(nothing_binds),
		cmocka_unit_test(without_uevents),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(no_iommu_group),
		cmocka_unit_test(driver_directory_vanishes),
		cmocka_unit_test(override_put_back),
		cmocka_unit_test(override_odd_contents),
		cmocka_unit_test(override_unreadable),
		cmocka_unit_test(fail_nth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

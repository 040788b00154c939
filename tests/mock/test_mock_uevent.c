/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The mock's uevent sockets and driver core: Linux's messages, byte for byte where it matters. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "core/door.h"
#include "hotplug/uevent.h"
#include "uevent_captures.h"

/* The VM's first NIC as the mock sees it (tests/fixtures/uevent_captures.h). */
static const char vm_host[] = "group 2\n"
			      "  device 0000:00:02.0 vfio-pci vendor=0x8086 device=0x10d3 class=0x020000\n"
			      "group 3\n"
			      "  device 0000:00:03.0 vfio-pci\n";

static ssize_t wr(vfioiommu_mock *m, const char *path, const char *val)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	return d->sysfs_write(d->priv, path, val, strlen(val));
}

static ssize_t rd_msg(vfioiommu_mock *m, int fd, char *buf, size_t n)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	return d->uevent_recv(d->priv, fd, buf, n);
}

static int uopen(vfioiommu_mock *m)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int fd = d->uevent_open(d->priv);

	assert_true(fd >= 0 && fd < VFIOIOMMU_MOCK_FD_BASE); /* a real fd an event loop can poll */
	return fd;
}

static void uclose(vfioiommu_mock *m, int fd)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	assert_int_equal(d->uevent_close(d->priv, fd), 0);
}

/* The message with the numbers that differ between hosts (SEQNUM, MAJOR, MINOR) blanked, fields joined by '|'. */
static void norm(const char *buf, size_t len, char *out, size_t n)
{
	size_t o = 0;

	for (size_t off = 0; off < len && o + 1 < n;) {
		const char *f = buf + off;
		size_t fl = strnlen(f, len - off);
		int w;

		if (!strncmp(f, "SEQNUM=", 7) || !strncmp(f, "MAJOR=", 6) || !strncmp(f, "MINOR=", 6))
			w = snprintf(out + o, n - o, "%.*s=*|", (int)(strchr(f, '=') - f), f);
		else
			w = snprintf(out + o, n - o, "%.*s|", (int)fl, f);
		assert_true(w > 0 && (size_t)w < n - o);
		o += (size_t)w;
		off += fl + 1;
	}
}

static bool vfio_related(const struct th_capture *c)
{
	return c->what != VI_UEV_IGNORE;
}

/* The messages of capture step [from, to) that the mock models, against what the mock sent. */
static void expect_step(vfioiommu_mock *m, int fd, size_t from, size_t to)
{
	char got[4096], a[4096], b[4096];

	for (size_t i = from; i < to; i++) {
		ssize_t n;

		if (!vfio_related(&th_captures[i]))
			continue;
		n = rd_msg(m, fd, got, sizeof(got));
		if (n < 0)
			fail_msg("capture %zu: no message from the mock (%zd)", i, n);
		norm(th_captures[i].buf, th_captures[i].len, a, sizeof(a));
		norm(got, (size_t)n, b, sizeof(b));
		assert_string_equal(b, a);
	}
	assert_int_equal(rd_msg(m, fd, got, sizeof(got)), -EAGAIN);
}

static void same_messages_as_linux(void **state)
{
	vfioiommu_mock *m = th_mock(vm_host);
	char buf[128];
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int fd = uopen(m);

	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:02.0") > 0);
	expect_step(m, fd, TH_CAP_UNBIND_VFIO, TH_CAP_PROBE_E1000E);
	/* the mock knows no id tables: e1000e is bound by name (Linux found it through drivers_probe) */
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:02.0/driver_override", "\n") > 0);
	assert_true(wr(m, "/sys/bus/pci/drivers/e1000e/bind", "0000:00:02.0\n") > 0);
	expect_step(m, fd, TH_CAP_PROBE_E1000E, TH_CAP_UNBIND_E1000E);
	assert_true(wr(m, "/sys/bus/pci/drivers/e1000e/unbind", "0000:00:02.0") > 0);
	expect_step(m, fd, TH_CAP_UNBIND_E1000E, TH_CAP_BIND_VFIO);
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:02.0/driver_override", "vfio-pci") > 0);
	assert_true(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:02.0/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "vfio-pci\n");
	assert_true(wr(m, "/sys/bus/pci/drivers_probe", "0000:00:02.0") > 0);
	expect_step(m, fd, TH_CAP_BIND_VFIO, TH_CAP_REMOVE);
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:02.0/remove", "1") > 0);
	expect_step(m, fd, TH_CAP_REMOVE, TH_CAP_RESCAN);
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:02.0"), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/dev/vfio/2"), -ENOENT);
	uclose(m, fd);
	th_mock_done(m);
}

static void seqnum_grows_and_groups_stay_while_shared(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	char b1[2048], b2[2048];
	struct vi_uevent u1, u2;
	int fd = uopen(m);
	ssize_t n;

	/* group 4 has two vfio-pci devices: unbinding one leaves /dev/vfio/4 */
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:04.1") > 0);
	n = rd_msg(m, fd, b1, sizeof(b1));
	assert_true(n > 0);
	assert_int_equal(vi_uevent_parse(b1, (size_t)n, &u1, NULL), 0);
	assert_int_equal(u1.what, VI_UEV_CDEV);
	n = rd_msg(m, fd, b2, sizeof(b2));
	assert_true(n > 0);
	assert_int_equal(vi_uevent_parse(b2, (size_t)n, &u2, NULL), 0);
	assert_int_equal(u2.what, VI_UEV_PCI);
	assert_int_equal(u2.action, VI_UEV_ACT_UNBIND);
	assert_int_equal(u2.seqnum, u1.seqnum + 1);
	assert_int_equal(rd_msg(m, fd, b1, sizeof(b1)), -EAGAIN);
	/* the last one takes the group node with it */
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:04.0") > 0);
	assert_true(rd_msg(m, fd, b1, sizeof(b1)) > 0);
	n = rd_msg(m, fd, b1, sizeof(b1));
	assert_int_equal(vi_uevent_parse(b1, (size_t)n, &u1, NULL), 0);
	assert_int_equal(u1.what, VI_UEV_GROUP);
	assert_int_equal(u1.group, 4);
	uclose(m, fd);
	vfioiommu_mock_destroy(m);
}

static void refusals(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	vfioiommu_device *dev;
	char buf[2048], longname[80];
	int fd = uopen(m);

	/* open device fd: the driver core will not let go (Linux blocks; the mock says EBUSY) */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
	assert_int_equal(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:03.0"), -EBUSY);
	assert_int_equal(wr(m, "/sys/bus/pci/devices/0000:00:03.0/remove", "1"), -EBUSY);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:03.0"), -EBUSY);
	vfioiommu_device_close(dev);
	/* wrong driver, unknown device, already bound, override says otherwise */
	assert_int_equal(wr(m, "/sys/bus/pci/drivers/e1000e/unbind", "0000:00:03.0"), -ENODEV);
	assert_int_equal(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:09.0"), -ENODEV);
	assert_int_equal(wr(m, "/sys/bus/pci/drivers_probe", "x"), -ENODEV);
	assert_int_equal(wr(m, "/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:03.0"), -EBUSY);
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:08.0/driver_override", "vfio-pci\n") > 0);
	assert_true(wr(m, "/sys/bus/pci/drivers/e1000e/unbind", "0000:00:08.0") > 0);
	assert_int_equal(wr(m, "/sys/bus/pci/drivers/e1000e/bind", "0000:00:08.0"), -ENODEV);
	/* bad values */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(wr(m, "/sys/bus/pci/devices/0000:00:08.0/driver_override", longname), -EINVAL);
	assert_int_equal(d->sysfs_write(d->priv, "/sys/bus/pci/drivers_probe", NULL, 3), -EFAULT);
	/* driver_set_override(): the value ends at the first NUL ("like python likes to do") or newline */
	assert_int_equal(d->sysfs_write(d->priv, "/sys/bus/pci/devices/0000:00:08.0/driver_override", "a\0b", 3), 3);
	assert_true(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:08.0/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "a\n");
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:08.0/driver_override", "vfio-pci\nb\n") > 0);
	assert_true(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:08.0/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "vfio-pci\n");
	/* read-only attributes and paths that are not there */
	assert_int_equal(wr(m, "/sys/bus/pci/devices/0000:00:08.0/vendor", "0x1"), -EACCES);
	assert_int_equal(wr(m, "/sys/bus/pci/devices/0000:00:08.0/nonexistent", "1"), -ENOENT);
	assert_int_equal(wr(m, "/etc/passwd", "x"), -ENOENT);
	/* "0" to remove is a no-op */
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:08.0/remove", "0") > 0);
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:08.0"), 0);
	/* clearing the override */
	assert_true(wr(m, "/sys/bus/pci/devices/0000:00:08.0/driver_override", "\n") > 0);
	assert_true(d->sysfs_read(d->priv, "/sys/bus/pci/devices/0000:00:08.0/driver_override", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "(null)\n");
	/* an unbound device without override: drivers_probe binds nothing (no id tables), quietly */
	assert_true(wr(m, "/sys/bus/pci/drivers_probe", "0000:00:08.0") > 0);
	assert_int_equal(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:08.0/driver", buf, sizeof(buf)), -ENOENT);
	/* only the e1000e unbind made a uevent */
	assert_true(rd_msg(m, fd, buf, sizeof(buf)) > 0);
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -EAGAIN);
	uclose(m, fd);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void remove_device(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[2048];
	struct vi_uevent u;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	int fd = uopen(m);
	ssize_t n;

	assert_int_equal(vfioiommu_mock_remove_device(NULL, "0000:00:03.0"), -EINVAL);
	assert_int_equal(vfioiommu_mock_remove_device(m, NULL), -EINVAL);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:09.0"), -ENOENT);
	/* an unbound device: only "remove" */
	assert_true(wr(m, "/sys/bus/pci/drivers/e1000e/unbind", "0000:00:08.0") > 0);
	assert_true(rd_msg(m, fd, buf, sizeof(buf)) > 0);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:08.0"), 0);
	n = rd_msg(m, fd, buf, sizeof(buf));
	assert_int_equal(vi_uevent_parse(buf, (size_t)n, &u, NULL), 0);
	assert_int_equal(u.action, VI_UEV_ACT_REMOVE);
	assert_string_equal(u.bdf, "0000:00:08.0");
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:08.0"), -ENOENT);
	/* a device after one bound to an iommufd cannot be moved in the mock's table */
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:04.0", &dev), 0);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:03.0"), -EBUSY);
	/* one after it can go, and the open device keeps working */
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:1f.0"), 0);
	assert_string_equal(vfioiommu_device_name(dev), "0000:00:04.0");
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:03.0"), 0);
	uclose(m, fd);
	vfioiommu_mock_destroy(m);
}

static void backlog_overrun(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	char buf[256];
	int fd = uopen(m), fd2 = uopen(m);
	struct pollfd pfd = { fd, POLLIN, 0 };

	assert_int_equal(vfioiommu_mock_set_uevent_backlog(NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_set_uevent_backlog(m, 2), 0);
	assert_int_equal(vfioiommu_mock_open_fds(m), 2);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, "a", 2), 0);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, "b", 2), 0);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, "c", 2), 0); /* dropped: the listeners are full */
	assert_int_equal(poll(&pfd, 1, 0), 1);
	/* as netlink: the error first, then what was queued before the overrun */
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -ENOBUFS);
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "a");
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "b");
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -EAGAIN);
	/* the other listener overran too, independently */
	assert_int_equal(rd_msg(m, fd2, buf, sizeof(buf)), -ENOBUFS);
	assert_int_equal(rd_msg(m, fd2, buf, sizeof(buf)), 2);
	/* a message larger than the reader's buffer is lost: EMSGSIZE */
	assert_int_equal(vfioiommu_mock_emit_uevent(m, "0123456789", 11), 0);
	assert_int_equal(rd_msg(m, fd, buf, 4), -EMSGSIZE);
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -EAGAIN);
	uclose(m, fd);
	vfioiommu_mock_destroy(m); /* fd2 left open: the mock closes it */
}

static void emit_and_bad_args(void **state)
{
	vfioiommu_mock *m = th_mock(NULL);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	static const char raw[] = "\x01\x02garbage\0with\0no shape";
	char buf[64];
	int fd = uopen(m);

	assert_int_equal(vfioiommu_mock_emit_uevent(NULL, raw, 3), -EINVAL);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, NULL, 3), -EINVAL);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, raw, 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, raw, 16385), -EINVAL);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, raw, sizeof(raw)), 0);
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), (ssize_t)sizeof(raw));
	assert_memory_equal(buf, raw, sizeof(raw));
	assert_int_equal(d->uevent_recv(d->priv, fd, NULL, 10), -EFAULT);
	assert_int_equal(d->uevent_recv(d->priv, 12345, buf, sizeof(buf)), -EBADF);
	assert_int_equal(d->uevent_close(d->priv, 12345), -EBADF);
	/* the door's fault injection reaches the uevent entries like every other */
	vfioiommu_mock_fail_nth(m, 1, ENOBUFS);
	assert_int_equal(d->uevent_recv(d->priv, fd, buf, sizeof(buf)), -ENOBUFS);
	assert_string_equal(vfioiommu_mock_fault_site(m), "uevent_recv");
	vfioiommu_mock_fail_nth(m, 1, EMFILE);
	assert_int_equal(d->uevent_open(d->priv), -EMFILE);
	assert_string_equal(vfioiommu_mock_fault_site(m), "uevent_open");
	/* a failed close still closes (as close(2)) */
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(d->uevent_close(d->priv, fd), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "close");
	th_mock_done(m);
}

/* Features off: no group node (no VFIO_GROUP) or no cdev (no VFIO_DEVICE_CDEV), no uevent for them. */
static void features_shape_the_messages(void **state)
{
	vfioiommu_mock *m = th_mock(vm_host);
	char buf[2048];
	struct vi_uevent u;
	int fd = uopen(m);
	ssize_t n;

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER, false), 0);
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:02.0") > 0);
	n = rd_msg(m, fd, buf, sizeof(buf));
	assert_int_equal(vi_uevent_parse(buf, (size_t)n, &u, NULL), 0);
	assert_int_equal(u.what, VI_UEV_CDEV);
	n = rd_msg(m, fd, buf, sizeof(buf));
	assert_int_equal(vi_uevent_parse(buf, (size_t)n, &u, NULL), 0);
	assert_int_equal(u.what, VI_UEV_PCI);
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER, true), 0);
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CDEV, false), 0);
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:02.0") > 0);
	n = rd_msg(m, fd, buf, sizeof(buf));
	assert_int_equal(vi_uevent_parse(buf, (size_t)n, &u, NULL), 0);
	assert_int_equal(u.what, VI_UEV_GROUP);
	n = rd_msg(m, fd, buf, sizeof(buf));
	assert_int_equal(vi_uevent_parse(buf, (size_t)n, &u, NULL), 0);
	assert_int_equal(u.what, VI_UEV_PCI);
	assert_string_equal(u.driver, "vfio-pci");
	assert_int_equal(rd_msg(m, fd, buf, sizeof(buf)), -EAGAIN);
	uclose(m, fd);
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_messages_as_linux),
		cmocka_unit_test(seqnum_grows_and_groups_stay_while_shared),
		cmocka_unit_test(refusals),
		cmocka_unit_test(remove_device),
		cmocka_unit_test(backlog_overrun),
		cmocka_unit_test(emit_and_bad_args),
		cmocka_unit_test(features_shape_the_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

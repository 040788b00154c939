/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The hotplug monitor end to end on the mock kernel, and on Linux's own uevent stream replayed. */
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
#include "config.h"
#include "core/door.h"
#include "helpers.h"
#include "hotplug_helpers.h"
#include "uevent_captures.h"

static const char present_default[] =
	"group-added - g3 c-1 - /dev/vfio/3 P\n"
	"group-added - g4 c-1 - /dev/vfio/4 P\n"
	"group-added - g5 c-1 - /dev/vfio/5 P\n"
	"group-added - g6 c-1 - /dev/vfio/6 P\n"
	"group-added - g7 c-1 - /dev/vfio/7 P\n"
	"cdev-added 0000:00:03.0 g3 c0 vfio-pci /dev/vfio/devices/vfio0 P\n"
	"cdev-added 0000:00:04.0 g4 c1 vfio-pci /dev/vfio/devices/vfio1 P\n"
	"cdev-added 0000:00:04.1 g4 c2 vfio-pci /dev/vfio/devices/vfio2 P\n"
	"cdev-added 0000:00:05.0 g5 c3 vfio-pci /dev/vfio/devices/vfio3 P\n"
	"cdev-added 0000:00:14.0 g6 c4 vfio-pci /dev/vfio/devices/vfio4 P\n"
	"cdev-added 0000:00:1f.0 g7 c5 vfio-pci /dev/vfio/devices/vfio5 P\n"
	"device-bound 0000:00:03.0 g3 c0 vfio-pci - P\n"
	"device-bound 0000:00:04.0 g4 c1 vfio-pci - P\n"
	"device-bound 0000:00:04.1 g4 c2 vfio-pci - P\n"
	"device-bound 0000:00:05.0 g5 c3 vfio-pci - P\n"
	"device-bound 0000:00:14.0 g6 c4 vfio-pci - P\n"
	"device-bound 0000:00:1f.0 g7 c5 vfio-pci - P\n";

static vfioiommu_hotplug *mon_new(vfioiommu_ctx *ctx)
{
	vfioiommu_hotplug *mon = NULL;

	if (vfioiommu_hotplug_new(ctx, &mon) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	return mon;
}

static void dispatch(vfioiommu_ctx *ctx, vfioiommu_hotplug *mon, struct th_rec *r)
{
	int rc;

	th_rec_reset(r);
	rc = vfioiommu_hotplug_dispatch(mon, th_record, r);
	if (rc < 0)
		fail_msg("dispatch: %s", vfioiommu_strerror(ctx));
	assert_int_equal((size_t)rc, r->n);
}

static ssize_t wr(vfioiommu_mock *m, const char *path, const char *val)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	return d->sysfs_write(d->priv, path, val, strlen(val));
}

static void present_at_start(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;
	struct pollfd pfd = { vfioiommu_hotplug_fd(mon), POLLIN, 0 };

	assert_true(pfd.fd >= 0);
	assert_int_equal(vfioiommu_hotplug_pending(mon), 17);
	assert_int_equal(poll(&pfd, 1, 0), 0); /* nothing on the socket: the PRESENT events are queued */
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, present_default);
	assert_int_equal(vfioiommu_hotplug_pending(mon), 0);
	dispatch(ctx, mon, &r);
	assert_int_equal(r.n, 0);
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void bind_unbind_remove(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	vfioiommu_device *dev;
	struct th_rec r;
	struct pollfd pfd = { vfioiommu_hotplug_fd(mon), POLLIN, 0 };

	dispatch(ctx, mon, &r);
	if (vfioiommu_bind_vfio(ctx, "0000:00:08.0", 1000) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	assert_int_equal(poll(&pfd, 1, 0), 1); /* the event loop wakes up */
	dispatch(ctx, mon, &r);
	/* Linux's order: the group node, the cdev (the bind is not announced yet: no driver), the bind */
	assert_string_equal(r.log, "group-added - g8 c-1 - /dev/vfio/8 -\n"
				   "cdev-added 0000:00:08.0 g8 c6 - /dev/vfio/devices/vfio6 -\n"
				   "device-bound 0000:00:08.0 g8 c6 vfio-pci - -\n");
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:08.0", &dev), 0);
	vfioiommu_device_close(dev);
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:08.0") > 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "cdev-removed 0000:00:08.0 g8 c6 vfio-pci /dev/vfio/devices/vfio6 -\n"
				   "group-removed - g8 c-1 - /dev/vfio/8 -\n"
				   "device-unbound 0000:00:08.0 g8 c-1 vfio-pci - -\n");
	/* gone for good: the monitor still knows its group */
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:08.0"), 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "device-removed 0000:00:08.0 g8 c-1 - - -\n");
	/* a bound one leaving: unbound first, then removed, as Linux does it */
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:1f.0"), 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "cdev-removed 0000:00:1f.0 g7 c5 vfio-pci /dev/vfio/devices/vfio5 -\n"
				   "group-removed - g7 c-1 - /dev/vfio/7 -\n"
				   "device-unbound 0000:00:1f.0 g7 c-1 vfio-pci - -\n"
				   "device-removed 0000:00:1f.0 g7 c-1 - - -\n");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* Linux's own stream (tests/fixtures/uevent_captures.h) through the monitor. */
static void replay_linux(void **state)
{
	vfioiommu_mock *m = th_mock("group 2\n  device 0000:00:02.0 vfio-pci\n");
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;

	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "group-added - g2 c-1 - /dev/vfio/2 P\n"
				   "cdev-added 0000:00:02.0 g2 c0 vfio-pci /dev/vfio/devices/vfio0 P\n"
				   "device-bound 0000:00:02.0 g2 c0 vfio-pci - P\n");
	for (size_t i = 0; i < TH_CAP_COUNT; i++)
		assert_int_equal(vfioiommu_mock_emit_uevent(m, th_captures[i].buf, th_captures[i].len), 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log,
			    /* unbind from vfio-pci */
			    "cdev-removed 0000:00:02.0 g2 c0 vfio-pci /dev/vfio/devices/vfio0 -\n"
			    "group-removed - g2 c-1 - /dev/vfio/2 -\n"
			    "device-unbound 0000:00:02.0 g2 c-1 vfio-pci - -\n"
			    /* e1000e takes it and lets go: nothing VFIO; then back to vfio-pci */
			    "group-added - g2 c-1 - /dev/vfio/2 -\n"
			    "cdev-added 0000:00:02.0 g2 c0 - /dev/vfio/devices/vfio0 -\n"
			    "device-bound 0000:00:02.0 g2 c0 vfio-pci - -\n"
			    /* removed */
			    "cdev-removed 0000:00:02.0 g2 c0 vfio-pci /dev/vfio/devices/vfio0 -\n"
			    "group-removed - g2 c-1 - /dev/vfio/2 -\n"
			    "device-unbound 0000:00:02.0 g2 c-1 vfio-pci - -\n"
			    "device-removed 0000:00:02.0 g2 c-1 - - -\n"
			    /* rescan: it is back (its group read from sysfs), with e1000e */
			    "device-added 0000:00:02.0 g2 c-1 - - -\n");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void enobufs_resync(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;

	dispatch(ctx, mon, &r);
	/* the host changes without a word (as if the uevents had been dropped) */
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:03.0", NULL), 0);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:08.0", "vfio-pci"), 0);
	/* the next door call is the socket read: the kernel says it dropped some */
	vfioiommu_mock_fail_nth(m, 1, ENOBUFS);
	dispatch(ctx, mon, &r);
	assert_true(vfioiommu_mock_fault_fired(m));
	assert_string_equal(vfioiommu_mock_fault_site(m), "uevent_recv");
	assert_string_equal(r.log, "resync - g-1 c-1 - - -\n"
				   "cdev-removed 0000:00:03.0 g3 c0 vfio-pci /dev/vfio/devices/vfio0 R\n"
				   "group-removed - g3 c-1 - /dev/vfio/3 R\n"
				   "device-unbound 0000:00:03.0 g3 c-1 vfio-pci - R\n"
				   "group-added - g8 c-1 - /dev/vfio/8 R\n"
				   "cdev-added 0000:00:08.0 g8 c0 vfio-pci /dev/vfio/devices/vfio0 R\n"
				   "device-bound 0000:00:08.0 g8 c0 vfio-pci - R\n");
	/* a resync that finds nothing new says only that it happened */
	assert_int_equal(vfioiommu_hotplug_resync(mon), 0);
	assert_int_equal(vfioiommu_hotplug_resync(mon), 0); /* one is enough */
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "resync - g-1 c-1 - - -\n");
	/* 03.0 is still known (unbound): removing it is reported with its group */
	assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:03.0"), 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "device-removed 0000:00:03.0 g3 c-1 - - -\n");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/*
 * A real overrun: the socket holds 2 messages, the bind sends 4.  The resync
 * reports the bind; the 2 stale messages still queued (e1000e's unbind, the
 * group's add) are older than the resync and must not undo it.
 */
static void overrun_keeps_the_picture_right(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;

	dispatch(ctx, mon, &r);
	assert_int_equal(vfioiommu_mock_set_uevent_backlog(m, 2), 0);
	if (vfioiommu_bind_vfio(ctx, "0000:00:08.0", 1000) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "resync - g-1 c-1 - - -\n"
				   "group-added - g8 c-1 - /dev/vfio/8 R\n"
				   "cdev-added 0000:00:08.0 g8 c6 vfio-pci /dev/vfio/devices/vfio6 R\n"
				   "device-bound 0000:00:08.0 g8 c6 vfio-pci - R\n");
	assert_int_equal(vfioiommu_hotplug_pending(mon), 0);
	/* and the monitor goes on with fresh uevents */
	assert_int_equal(vfioiommu_mock_set_uevent_backlog(m, 0), 0);
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:08.0") > 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "cdev-removed 0000:00:08.0 g8 c6 vfio-pci /dev/vfio/devices/vfio6 -\n"
				   "group-removed - g8 c-1 - /dev/vfio/8 -\n"
				   "device-unbound 0000:00:08.0 g8 c-1 vfio-pci - -\n");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/*
 * Uevents queued between opening the socket and the scan are in the scan:
 * the ones with a SEQNUM up to /sys/kernel/uevent_seqnum (read before the
 * scan) are skipped, the later ones applied.
 */
static void no_double_report_at_start(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	vfioiommu_hotplug *mon;
	struct th_rec r;
	static const char stale[] = "unbind@/devices/pci0000:00/0000:00:04.1\0ACTION=unbind\0"
				    "DEVPATH=/devices/pci0000:00/0000:00:04.1\0SUBSYSTEM=pci\0SEQNUM=3\0";
	static const char fresh[] = "unbind@/devices/pci0000:00/0000:00:04.1\0ACTION=unbind\0"
				    "DEVPATH=/devices/pci0000:00/0000:00:04.1\0SUBSYSTEM=pci\0SEQNUM=4\0";
	/* an early listener, so that the mock counts SEQNUMs before the monitor exists */
	int early = d->uevent_open(d->priv);

	/* SEQNUM 1..3: cdev remove, group 3 remove, unbind */
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:03.0") > 0);
	mon = mon_new(ctx);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, stale, sizeof(stale) - 1), 0);
	dispatch(ctx, mon, &r);
	assert_int_equal(r.n, 14); /* groups 4-7, 5 cdevs, 5 bound: 03.0 is not there, nothing unbound */
	assert_null(strstr(r.log, "0000:00:03.0"));
	assert_null(strstr(r.log, "unbound"));
	assert_int_equal(vfioiommu_mock_emit_uevent(m, fresh, sizeof(fresh) - 1), 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "cdev-removed 0000:00:04.1 g4 c2 vfio-pci /dev/vfio/devices/vfio2 -\n"
				   "device-unbound 0000:00:04.1 g4 c-1 vfio-pci - -\n");
	vfioiommu_hotplug_destroy(mon);
	d->uevent_close(d->priv, early);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void garbage_is_ignored(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;
	static const char junk[] = "no shape at all";
	static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
	static const char hostile[] = "bind@/devices/pci0000:00/0000:00:08.0\0ACTION=bind\0"
				      "DEVPATH=/devices/pci0000:00/0000:00:08.0\0SUBSYSTEM=pci\0DRIVER=../x\0";
	static const char unrelated[] = "add@/devices/virtual/net/lo\0ACTION=add\0DEVPATH=/devices/virtual/net/lo\0"
					"SUBSYSTEM=net\0SEQNUM=99999\0";

	dispatch(ctx, mon, &r);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, junk, sizeof(junk)), 0);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, udev, sizeof(udev)), 0);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, hostile, sizeof(hostile) - 1), 0);
	assert_int_equal(vfioiommu_mock_emit_uevent(m, unrelated, sizeof(unrelated) - 1), 0);
	dispatch(ctx, mon, &r);
	assert_int_equal(r.n, 0);
	/* still listening */
	assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:04.1") > 0);
	dispatch(ctx, mon, &r);
	assert_string_equal(r.log, "cdev-removed 0000:00:04.1 g4 c2 vfio-pci /dev/vfio/devices/vfio2 -\n"
				   "device-unbound 0000:00:04.1 g4 c-1 vfio-pci - -\n");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void stop_early_and_pending(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);
	struct th_rec r;
	char all[8192] = "";

	th_rec_reset(&r);
	r.stop_after = 3;
	assert_int_equal(vfioiommu_hotplug_dispatch(mon, th_record, &r), 3);
	assert_int_equal(vfioiommu_hotplug_pending(mon), 14);
	strcat(all, r.log);
	dispatch(ctx, mon, &r);
	strcat(all, r.log);
	assert_string_equal(all, present_default);
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void bad_arguments(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = mon_new(ctx);

	assert_int_equal(vfioiommu_hotplug_new(NULL, &mon), -EINVAL);
	assert_int_equal(vfioiommu_hotplug_new(ctx, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "out is NULL", NULL);
	assert_int_equal(vfioiommu_hotplug_dispatch(NULL, th_record, NULL), -EINVAL);
	assert_int_equal(vfioiommu_hotplug_dispatch(mon, NULL, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "no callback", NULL);
	assert_int_equal(vfioiommu_hotplug_fd(NULL), -EINVAL);
	assert_int_equal(vfioiommu_hotplug_pending(NULL), 0);
	assert_int_equal(vfioiommu_hotplug_resync(NULL), -EINVAL);
	vfioiommu_hotplug_destroy(NULL);
	assert_string_equal(vfioiommu_hotplug_kind_name(VFIOIOMMU_HOTPLUG_CDEV_REMOVED), "cdev-removed");
	assert_string_equal(vfioiommu_hotplug_kind_name((enum vfioiommu_hotplug_kind)0), "unknown");
	assert_string_equal(vfioiommu_hotplug_kind_name((enum vfioiommu_hotplug_kind)99), "unknown");
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* A door without uevent entries (an older wrapper door): a clear -EOPNOTSUPP. */
static void door_without_uevents(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	struct vfioiommu_door d = *vfioiommu_mock_door(m);
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &d };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_hotplug *mon = (vfioiommu_hotplug *)&d;

	d.uevent_open = NULL;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfioiommu_hotplug_new(ctx, &mon), -EOPNOTSUPP);
	assert_null(mon);
	th_assert_msg(vfioiommu_strerror(ctx), "mock door has no uevent socket", NULL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* The real kernel: without libnl-3 the API says so; with it, a socket opens (where netlink is allowed). */
static void system_door(void **state)
{
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_hotplug *mon = NULL;
	struct th_rec r;
	int rc;

	assert_int_equal(vfioiommu_ctx_new(NULL, &ctx), 0);
	rc = vfioiommu_hotplug_new(ctx, &mon);
#if VFIOIOMMU_HAVE_LIBNL
	if (rc == -EPERM || rc == -EACCES || rc == -EPROTONOSUPPORT || rc == -EAFNOSUPPORT) {
		vfioiommu_ctx_destroy(ctx);
		skip();
	}
	if (rc < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	assert_true(vfioiommu_hotplug_fd(mon) >= 0);
	th_rec_reset(&r);
	assert_true(vfioiommu_hotplug_dispatch(mon, th_record, &r) >= 0);
	vfioiommu_hotplug_destroy(mon);
#else
	(void)r;
	assert_int_equal(rc, -EOPNOTSUPP);
	assert_null(mon);
	th_assert_msg(vfioiommu_strerror(ctx), "built without libnl-3", "-Dlibnl=enabled", NULL);
#endif
	vfioiommu_ctx_destroy(ctx);
}

/* ---------------- fail-Nth ---------------- */

static vfioiommu_mock *setup_default(void *arg)
{
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = NULL;
	struct th_rec r;
	int rc = vfioiommu_hotplug_new(ctx, &mon);

	th_rec_reset(&r);
	if (rc == 0)
		rc = vfioiommu_hotplug_dispatch(mon, th_record, &r);
	if (rc >= 0)
		rc = vfioiommu_bind_vfio(ctx, "0000:00:08.0", 1000);
	if (rc >= 0)
		rc = vfioiommu_hotplug_dispatch(mon, th_record, &r);
	if (rc >= 0)
		rc = vfioiommu_mock_remove_device(m, "0000:00:1f.0");
	if (rc >= 0) {
		vfioiommu_mock_set_driver(m, "0000:00:04.1", NULL);
		rc = vfioiommu_hotplug_resync(mon);
	}
	if (rc >= 0)
		rc = vfioiommu_hotplug_dispatch(mon, th_record, &r);
	if (rc < 0 && vfioiommu_mock_fault_fired(m))
		assert_true(strlen(vfioiommu_strerror(ctx)) > 0);
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	return rc < 0 ? rc : 0;
}

static void fail_nth(void **state)
{
	assert_true(th_sweep(setup_default, sweep_body, NULL, 2000) > 40);
}

/*
 * A dispatch that fails part way loses nothing: what it delivered plus what
 * the next one delivers is the whole story, and a resync then finds nothing
 * left to say.
 */
static void failure_then_recovery(void **state)
{
	static const char whole[] = "cdev-removed 0000:00:04.1 g4 c2 vfio-pci /dev/vfio/devices/vfio2 -\n"
				    "device-unbound 0000:00:04.1 g4 c-1 vfio-pci - -\n"
				    "cdev-removed 0000:00:1f.0 g7 c5 vfio-pci /dev/vfio/devices/vfio5 -\n"
				    "group-removed - g7 c-1 - /dev/vfio/7 -\n"
				    "device-unbound 0000:00:1f.0 g7 c-1 vfio-pci - -\n"
				    "device-removed 0000:00:1f.0 g7 c-1 - - -\n";
	unsigned long n;

	for (n = 1;; n++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
		vfioiommu_hotplug *mon = mon_new(ctx);
		struct th_rec r;
		char all[4096];
		int rc;

		dispatch(ctx, mon, &r);
		assert_true(wr(m, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:04.1") > 0);
		assert_int_equal(vfioiommu_mock_remove_device(m, "0000:00:1f.0"), 0);
		vfioiommu_mock_fail_nth(m, n, EIO);
		th_rec_reset(&r);
		rc = vfioiommu_hotplug_dispatch(mon, th_record, &r);
		snprintf(all, sizeof(all), "%s", r.log);
		if (rc >= 0) {
			assert_false(vfioiommu_mock_fault_fired(m));
			assert_string_equal(all, whole);
		} else {
			assert_int_equal(rc, -EIO);
			th_assert_msg(vfioiommu_strerror(ctx), "hotplug:", NULL);
			dispatch(ctx, mon, &r);
			strcat(all, r.log);
			assert_string_equal(all, whole);
			assert_int_equal(vfioiommu_hotplug_resync(mon), 0);
			dispatch(ctx, mon, &r);
			assert_string_equal(r.log, "resync - g-1 c-1 - - -\n");
		}
		vfioiommu_hotplug_destroy(mon);
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
		if (rc >= 0)
			break;
	}
	assert_true(n > 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(present_at_start),
		cmocka_unit_test(bind_unbind_remove),
		cmocka_unit_test(replay_linux),
		cmocka_unit_test(enobufs_resync),
		cmocka_unit_test(overrun_keeps_the_picture_right),
		cmocka_unit_test(no_double_report_at_start),
		cmocka_unit_test(garbage_is_ignored),
		cmocka_unit_test(stop_early_and_pending),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(door_without_uevents),
		cmocka_unit_test(system_door),
		cmocka_unit_test(fail_nth),
		cmocka_unit_test(failure_then_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

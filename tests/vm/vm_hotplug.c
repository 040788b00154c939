/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vm_hotplug: the hotplug monitor and vfioiommu_bind_vfio() against Linux, in
 * the VM guest (tests/vm/run-vm.sh).  Takes the first NIC of
 * VFIOIOMMU_VM_BDFS (bound to vfio-pci by guest-init.sh) and, with a monitor
 * running on the system door:
 *   1. start: the NIC, its group and its cdev are reported PRESENT;
 *   2. unbinds it from vfio-pci (sysfs, as an admin would): cdev removed,
 *      group removed, device unbound (driver vfio-pci filled in by the monitor);
 *   3. lets e1000e take it (driver_override cleared, drivers_probe): nothing VFIO;
 *   4. vfioiommu_bind_vfio(): group added, cdev added, device bound; the node
 *      exists and the device opens;
 *   5. removes it (.../remove) and rescans: unbound, removed, added again;
 *   6. vfioiommu_bind_vfio() again, and a resync finds nothing left to report;
 *   7. a real overrun (receive buffer shrunk, unbind + rebind): ENOBUFS, a
 *      resync that finds the device as it was, and no stale uevent undoing it.
 * The NIC is handed back to vfio-pci at the end whatever happened, for the
 * programs that run after this one.
 *
 * Output: "ok - NAME" / "not ok - NAME: ..." lines, then a summary.  Exit 0
 * when everything passed, 1 otherwise, 77 when there is no NIC to use or the
 * library was built without libnl-3.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vfioiommu.h>

static int failed, passed;

static void report(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok - %s\n", name);
		passed++;
		return;
	}
	printf("not ok - %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

/* ---- the events, one line each ---- */

struct rec {
	char log[16384];
	size_t n;
};

static int record(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	struct rec *r = arg;
	size_t len = strlen(r->log);

	snprintf(r->log + len, sizeof(r->log) - len, "%s %s g%d c%d %s %s %s%s%s%s\n",
		 vfioiommu_hotplug_kind_name(ev->kind), ev->bdf[0] ? ev->bdf : "-", ev->group, ev->cdev,
		 ev->driver[0] ? ev->driver : "-", ev->devnode[0] ? ev->devnode : "-",
		 (ev->flags & VFIOIOMMU_HOTPLUG_F_PRESENT) ? "P" : "", (ev->flags & VFIOIOMMU_HOTPLUG_F_RESYNC) ? "R" : "",
		 (ev->flags & VFIOIOMMU_HOTPLUG_F_NOIOMMU) ? "N" : "", ev->flags ? "" : "-");
	r->n++;
	return 0;
}

/* Dispatch until the socket stays quiet for quiet_ms (the kernel sends a step's uevents at once). */
static int collect(vfioiommu_ctx *ctx, vfioiommu_hotplug *mon, struct rec *r, int quiet_ms)
{
	struct pollfd pfd = { vfioiommu_hotplug_fd(mon), POLLIN, 0 };
	int rc;

	r->log[0] = '\0';
	r->n = 0;
	do {
		rc = vfioiommu_hotplug_dispatch(mon, record, r);
		if (rc < 0) {
			printf("# dispatch: %s\n", vfioiommu_strerror(ctx));
			return rc;
		}
	} while (poll(&pfd, 1, quiet_ms) > 0);
	return 0;
}

/* Only the lines about our device and its group: the other NICs stay as they are. */
static void keep_ours(struct rec *r, const char *bdf, int group)
{
	char out[sizeof(r->log)] = "", gtag[32], *save = NULL, *line;

	snprintf(gtag, sizeof(gtag), " g%d ", group);
	for (line = strtok_r(r->log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool group_line = !strncmp(line, "group-", 6) || !strncmp(line, "resync", 6);
		if (strstr(line, bdf) || (group_line && strstr(line, gtag)) || !strncmp(line, "resync", 6)) {
			strcat(out, line);
			strcat(out, "\n");
		}
	}
	strcpy(r->log, out);
}

static void expect_log(const char *name, struct rec *r, const char *want)
{
	report(!strcmp(r->log, want), name, "expected\n%sgot\n%s", want, r->log);
}

/* ---- sysfs as the admin touches it (not through the library) ---- */

static int sysw(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int read_link_tail(const char *path, char *out, size_t n)
{
	char buf[512];
	ssize_t len = readlink(path, buf, sizeof(buf) - 1);
	const char *s;

	if (len < 0)
		return -errno;
	buf[len] = '\0';
	s = strrchr(buf, '/');
	s = s ? s + 1 : buf;
	if (strlen(s) >= n)
		return -ENAMETOOLONG;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int first_cdev(const char *bdf)
{
	char path[256];
	int idx = -1;

	for (int i = 0; i < 64 && idx < 0; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/vfio%d", bdf, i);
		if (access(path, F_OK) == 0)
			idx = i;
	}
	return idx;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int main(void)
{
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32], path[256], want[2048], drv[64], grp[32];
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_hotplug *mon = NULL;
	vfioiommu_device *dev;
	struct rec *r = calloc(1, sizeof(*r));
	int group, cdev, cdev2, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!r || !bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("vm_hotplug: no NIC in VFIOIOMMU_VM_BDFS: nothing to do\n");
		return 77;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	if (read_link_tail(path, grp, sizeof(grp)) < 0)
		return 77;
	group = atoi(grp);
	cdev = first_cdev(bdf);
	printf("# device %s group %d cdev %d\n", bdf, group, cdev);
	if (vfioiommu_ctx_new(NULL, &ctx) < 0)
		return 1;

	/* 1. start */
	rc = vfioiommu_hotplug_new(ctx, &mon);
	if (rc == -EOPNOTSUPP) {
		printf("vm_hotplug: %s\n", vfioiommu_strerror(ctx));
		vfioiommu_ctx_destroy(ctx);
		return 77;
	}
	report(rc == 0, "monitor.new", "%s", vfioiommu_strerror(ctx));
	if (rc < 0)
		goto out;
	collect(ctx, mon, r, 50);
	keep_ours(r, bdf, group);
	snprintf(want, sizeof(want),
		 "group-added - g%d c-1 - /dev/vfio/%d P\n"
		 "cdev-added %s g%d c%d vfio-pci /dev/vfio/devices/vfio%d P\n"
		 "device-bound %s g%d c%d vfio-pci - P\n",
		 group, group, bdf, group, cdev, cdev, bdf, group, cdev);
	expect_log("start.present", r, want);

	/* 2. unbind from vfio-pci */
	rc = sysw("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	report(rc == 0, "unbind.write", "%s", strerror(-rc));
	collect(ctx, mon, r, 100);
	keep_ours(r, bdf, group);
	snprintf(want, sizeof(want),
		 "cdev-removed %s g%d c%d vfio-pci /dev/vfio/devices/vfio%d -\n"
		 "group-removed - g%d c-1 - /dev/vfio/%d -\n"
		 "device-unbound %s g%d c-1 vfio-pci - -\n",
		 bdf, group, cdev, cdev, group, group, bdf, group);
	expect_log("unbind.events", r, want);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	report(!exists(path), "unbind.node_gone", "%s still exists", path);

	/* 3. e1000e takes it: nothing VFIO to say */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysw(path, "\n");
	rc = sysw("/sys/bus/pci/drivers_probe", bdf);
	collect(ctx, mon, r, 200);
	keep_ours(r, bdf, group);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	drv[0] = '\0';
	read_link_tail(path, drv, sizeof(drv));
	report(rc == 0 && !strcmp(drv, "e1000e"), "e1000e.bound", "drivers_probe %d, driver '%s'", rc, drv);
	expect_log("e1000e.no_vfio_events", r, "");

	/* 4. back to vfio-pci through the library */
	rc = vfioiommu_bind_vfio(ctx, bdf, 5000);
	report(rc == 0, "bind_vfio.from_e1000e", "%s", vfioiommu_strerror(ctx));
	cdev2 = first_cdev(bdf);
	collect(ctx, mon, r, 100);
	keep_ours(r, bdf, group);
	snprintf(want, sizeof(want),
		 "group-added - g%d c-1 - /dev/vfio/%d -\n"
		 "cdev-added %s g%d c%d - /dev/vfio/devices/vfio%d -\n"
		 "device-bound %s g%d c%d vfio-pci - -\n",
		 group, group, bdf, group, cdev2, cdev2, bdf, group, cdev2);
	expect_log("bind_vfio.events", r, want);
	report(cdev2 == cdev, "bind_vfio.cdev_index_reused", "vfio%d before, vfio%d now", cdev, cdev2);
	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d", cdev2);
	report(exists(path), "bind_vfio.cdev_node", "%s missing", path);
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	report(rc == 0, "bind_vfio.device_opens", "%s", vfioiommu_strerror(ctx));
	if (rc == 0)
		vfioiommu_device_close(dev);
	/* already bound: nothing to do, at once */
	rc = vfioiommu_bind_vfio(ctx, bdf, 0);
	report(rc == 0, "bind_vfio.already_bound", "%s", vfioiommu_strerror(ctx));
	rc = vfioiommu_bind_vfio(ctx, "0000:00:1f.7", 100);
	report(rc == -ENOENT, "bind_vfio.no_such_device", "rc %d: %s", rc, vfioiommu_strerror(ctx));

	/* 5. removal and rescan */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	rc = sysw(path, "1");
	report(rc == 0, "remove.write", "%s", strerror(-rc));
	collect(ctx, mon, r, 200);
	keep_ours(r, bdf, group);
	snprintf(want, sizeof(want),
		 "cdev-removed %s g%d c%d vfio-pci /dev/vfio/devices/vfio%d -\n"
		 "group-removed - g%d c-1 - /dev/vfio/%d -\n"
		 "device-unbound %s g%d c-1 vfio-pci - -\n"
		 "device-removed %s g%d c-1 - - -\n",
		 bdf, group, cdev2, cdev2, group, group, bdf, group, bdf, group);
	expect_log("remove.events", r, want);
	rc = sysw("/sys/bus/pci/rescan", "1");
	collect(ctx, mon, r, 300);
	keep_ours(r, bdf, group);
	snprintf(want, sizeof(want), "device-added %s g%d c-1 - - -\n", bdf, group);
	expect_log("rescan.events", r, want);

	/* 6. bind again; then sysfs and the reported picture agree */
	rc = vfioiommu_bind_vfio(ctx, bdf, 5000);
	report(rc == 0, "bind_vfio.after_rescan", "%s", vfioiommu_strerror(ctx));
	collect(ctx, mon, r, 100);
	keep_ours(r, bdf, group);
	report(strstr(r->log, "device-bound") != NULL, "bind_vfio.after_rescan_event", "got\n%s", r->log);
	rc = vfioiommu_hotplug_resync(mon);
	collect(ctx, mon, r, 50);
	expect_log("resync.nothing_new", r, "resync - g-1 c-1 - - -\n");

	/*
	 * 7. a real overrun: shrink the socket to the kernel's minimum, unbind
	 * and rebind (6 uevents): Linux drops some and says ENOBUFS; the monitor
	 * resyncs, finds the device as it was, and the stale uevents still
	 * queued (older than the resync) do not undo that.
	 */
	{
		int one = 1, fd = vfioiommu_hotplug_fd(mon);
		bool overran;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
		sysw("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
		rc = vfioiommu_bind_vfio(ctx, bdf, 5000);
		report(rc == 0, "overrun.rebind", "%s", vfioiommu_strerror(ctx));
		collect(ctx, mon, r, 100);
		keep_ours(r, bdf, group);
		overran = !strncmp(r->log, "resync", 6);
		if (!overran)
			printf("# no overrun with the minimum receive buffer; got\n%s", r->log);
		else
			expect_log("overrun.resync_nothing_lost", r, "resync - g-1 c-1 - - -\n");
	}

out:
	vfioiommu_hotplug_destroy(mon);
	/* hand the NIC back for whatever runs next, whatever happened above */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	drv[0] = '\0';
	if (read_link_tail(path, drv, sizeof(drv)) < 0 || strcmp(drv, "vfio-pci")) {
		if (access("/sys/bus/pci/devices", F_OK) == 0 && !exists(path))
			sysw("/sys/bus/pci/rescan", "1");
		if (vfioiommu_bind_vfio(ctx, bdf, 5000) < 0)
			printf("# could not hand %s back to vfio-pci: %s\n", bdf, vfioiommu_strerror(ctx));
	}
	vfioiommu_ctx_destroy(ctx);
	free(r);
	printf("vm_hotplug: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

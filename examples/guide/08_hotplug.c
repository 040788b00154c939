/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Hotplug" (docs/guide.md): a uevent monitor that first reports
 * what is already there, then what changes; and handing a device to
 * vfio-pci with vfioiommu_bind_vfio(), which waits until VFIO can open it.
 *
 *   08_hotplug [--mock HOSTFILE] [BDF]
 *
 * With BDF on the real kernel this rebinds that device to vfio-pci: it needs
 * root and takes the device from its driver.  On the mock nothing real moves.
 */
#define _DEFAULT_SOURCE /* poll() */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static int on_event(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	(void)arg;
	printf("  %-15s%s", vfioiommu_hotplug_kind_name(ev->kind),
	       (ev->flags & VFIOIOMMU_HOTPLUG_F_PRESENT) ? " (present)" : "");
	if (ev->bdf[0])
		printf(" %s", ev->bdf);
	if (ev->group >= 0)
		printf(" group %d", ev->group);
	if (ev->driver[0])
		printf(" driver %s", ev->driver);
	if (ev->devnode[0])
		printf(" %s", ev->devnode);
	printf("\n");
	return 0; /* go on */
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_hotplug *mon = NULL;
	const char *bdf = NULL;
	char err[256] = "";
	int i = 1, rc;

	if (argc >= 3 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		i = 3;
	}
	if (argc > i + 1) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] [BDF]\n", argv[0]);
		vfioiommu_mock_destroy(mock);
		return 2;
	}
	if (argc == i + 1)
		bdf = argv[i];
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
		goto out;

	/* The socket opens first, then sysfs is read: nothing falls between the two. */
	rc = vfioiommu_hotplug_new(ctx, &mon);
	if (rc < 0) {
		fprintf(stderr, "monitor: %s\n", vfioiommu_strerror(ctx)); /* -EOPNOTSUPP: built without libnl-3 */
		goto out;
	}
	printf("already there:\n");
	if ((rc = vfioiommu_hotplug_dispatch(mon, on_event, NULL)) < 0)
		goto fail;
	if (!bdf)
		goto out;

	/* driver_override, unbind, drivers_probe, then wait (at most 2 s) until VFIO can open it. */
	rc = vfioiommu_bind_vfio(ctx, bdf, 2000);
	if (rc < 0)
		goto fail;
	printf("%s is on vfio-pci; what the kernel announced meanwhile:\n", bdf);
	/* An event loop polls vfioiommu_hotplug_fd(); here one look is enough. */
	{
		struct pollfd p = { .fd = vfioiommu_hotplug_fd(mon), .events = POLLIN };

		while (poll(&p, 1, 100) == 1 || vfioiommu_hotplug_pending(mon))
			if ((rc = vfioiommu_hotplug_dispatch(mon, on_event, NULL)) <= 0)
				break;
	}
	if (rc >= 0)
		rc = 0;
	else
		goto fail;
	goto out;
fail:
	fprintf(stderr, "%s\n", vfioiommu_strerror(ctx));
out:
	vfioiommu_hotplug_destroy(mon);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}

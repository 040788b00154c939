/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Contexts and backends" (docs/guide.md): create a context, open a
 * device, see which backend the library chose and why, and read the message
 * of a failure.
 *
 *   01_context [--mock HOSTFILE] BDF
 *
 * cc -std=c11 -Wall -Wextra -pedantic 01_context.c $(pkg-config --cflags --libs libvfioiommu-mock)
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

/* The library never prints: log lines come here, when a callback is set. */
static void log_line(void *arg, int level, const char *msg)
{
	(void)arg;
	printf("  [log %d] %s\n", level, msg);
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_AUTO,
					.log_fn = log_line, .log_level = VFIOIOMMU_LOG_INFO };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev, *again;
	const char *bdf;
	char err[256] = "";
	int rc;

	if (argc == 4 && !strcmp(argv[1], "--mock")) {
		/* the same code on the mock kernel: only the door differs */
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		bdf = argv[3];
	} else if (argc == 2) {
		bdf = argv[1]; /* the real kernel: the device must be bound to vfio-pci */
	} else {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] BDF\n", argv[0]);
		return 2;
	}

	printf("libvfioiommu %s\n", vfioiommu_version());
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc < 0) {
		fprintf(stderr, "vfioiommu_ctx_new: %s\n", strerror(-rc));
		goto out;
	}
	printf("before any device: backend %s (%s)\n", vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)),
	       vfioiommu_ctx_backend_reason(ctx));

	/* The first device chooses the backend: iommufd when /dev/iommu and its cdev exist. */
	rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc < 0) {
		fprintf(stderr, "%s: %s (%s)\n", bdf, vfioiommu_strerror(ctx), strerror(-rc));
		goto out;
	}
	printf("%s: IOMMU group %u, backend %s\n  because: %s\n", vfioiommu_device_name(dev),
	       vfioiommu_device_group(dev), vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)),
	       vfioiommu_ctx_backend_reason(ctx));
	if (vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_IOMMUFD)
		printf("  the container is %s\n",
		       vfioiommu_ctx_container_is_iommufd(ctx) == 1 ? "iommufd's emulation" : "VFIO's own");

	/* Every call returns 0 or a negative errno; the context says which step failed and why. */
	rc = vfioiommu_device_open(ctx, bdf, &again);
	printf("opening it a second time: %s: %s\n", strerror(-rc), vfioiommu_strerror(ctx));
	rc = 0;
out:
	vfioiommu_ctx_destroy(ctx); /* closes the device too */
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}

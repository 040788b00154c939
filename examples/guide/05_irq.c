/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Interrupts" (docs/guide.md): set up MSI-X vectors with eventfds
 * the library creates, fire one from software and wait for it the way an
 * event loop would, then turn the index off.  Also the kernel's "please
 * release this device" eventfd.
 *
 *   05_irq [--mock HOSTFILE] BDF
 */
#define _DEFAULT_SOURCE /* poll() */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev;
	const char *bdf;
	char err[256] = "";
	int fds[2], req, rc;

	if (argc == 4 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		bdf = argv[3];
	} else if (argc == 2) {
		bdf = argv[1];
	} else {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] BDF\n", argv[0]);
		return 2;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0 ||
	    (rc = vfioiommu_irq_info(dev, VFIOIOMMU_PCI_IRQ_MSIX, &ii)) < 0) {
		fprintf(stderr, "%s: %s\n", bdf, ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
		goto out;
	}
	printf("%s: MSI-X has %" PRIu32 " vectors%s\n", bdf, ii.count,
	       (ii.flags & VFIOIOMMU_IRQ_NORESIZE) ? " (set up together: NORESIZE)" : "");
	if (ii.count < 2) {
		printf("not enough MSI-X vectors for this example\n");
		goto out;
	}

	/* Vectors 0 and 1 on eventfds the library creates and owns (closed at disable or close). */
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 2, fds);
	if (rc < 0)
		goto fail;
	printf("vectors 0 and 1 signal eventfds %d and %d\n", fds[0], fds[1]);

	/* Fire vector 1 from software, as the device would, and wait for it. */
	rc = vfioiommu_irq_trigger(dev, VFIOIOMMU_PCI_IRQ_MSIX, 1, 1);
	if (rc < 0)
		goto fail;
	{
		struct pollfd p = { .fd = fds[1], .events = POLLIN };
		uint64_t count = 0;

		if (poll(&p, 1, 1000) == 1 && read(fds[1], &count, sizeof(count)) == (ssize_t)sizeof(count))
			printf("vector 1 fired %" PRIu64 " time(s)\n", count);
		else
			printf("vector 1 did not fire\n");
	}

	/* When this fd becomes readable, the kernel wants the device back: close it soon. */
	rc = vfioiommu_device_request_eventfd(dev, &req);
	if (rc == 0)
		printf("release requests arrive on eventfd %d\n", req);
	else if (rc == -EOPNOTSUPP)
		printf("the device has no REQ interrupt\n");

	rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_MSIX);
	if (rc < 0)
		goto fail;
	printf("MSI-X off\n");
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
out:
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: opening a NIC through the public API on each backend, where
 * the platform does or does not isolate MSIs (FACTS.md surprise 15).
 *
 *   virtio-strict  virtio-iommu booted WITHOUT the allow_unsafe_interrupts
 *                  parameters: the kernel refuses with EPERM, and the library's
 *                  message must say why and name the parameter that the backend
 *                  needs (vfio_iommu_type1.allow_unsafe_interrupts for the
 *                  container, iommufd.allow_unsafe_interrupts for iommufd) with
 *                  its current value (N), and the other backend's switch too.
 *   anything else  intel and amd remap interrupts, virtio is booted with both
 *                  parameters (run-vm.sh): the same opens succeed.
 *
 * Environment: VFIOIOMMU_VM_BDFS (the first BDF is used), VFIOIOMMU_VM_TOPOLOGY.
 * Exit 0 when every check passed, 1 otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>

#include "vmtest.h"

/* Every NULL-terminated needle is in @msg; the first missing one in *missing. */
static bool has_all(const char *msg, const char **missing, ...)
{
	va_list ap;
	const char *n;
	bool ok = true;

	va_start(ap, missing);
	while ((n = va_arg(ap, const char *)) != NULL)
		if (ok && !strstr(msg, n)) {
			*missing = n;
			ok = false;
		}
	va_end(ap);
	return ok;
}

struct attempt {
	int rc;
	char msg[1024];
	unsigned int fds_left;
};

static void try_open(enum vfioiommu_mode mode, const char *bdf, struct attempt *a)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode };
	unsigned int fds0 = vt_open_fds();
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;

	a->msg[0] = '\0';
	a->rc = vfioiommu_ctx_new(&o, &ctx);
	if (a->rc == 0)
		a->rc = vfioiommu_device_open(ctx, bdf, &dev);
	snprintf(a->msg, sizeof(a->msg), "%s", a->rc ? vfioiommu_strerror(ctx) : "");
	vfioiommu_ctx_destroy(ctx);
	a->fds_left = vt_open_fds() - fds0;
}

static void strict(const char *bdf)
{
	const char *miss = "";
	struct attempt a;

	try_open(VFIOIOMMU_MODE_CONTAINER, bdf, &a);
	vt_result(a.rc == -EPERM && has_all(a.msg, &miss, "VFIO_SET_IOMMU(type1v2) failed: EPERM",
					   "no interrupt remapping", "vfio_iommu_type1.allow_unsafe_interrupts=1",
					   "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
					   "vfio_iommu_type1.allow_unsafe_interrupts is N",
					   "iommufd.allow_unsafe_interrupts=1", NULL),
		  "msi.strict.container", "rc %d (want -EPERM), missing \"%s\" in: %s", a.rc, miss, a.msg);
	printf("# container: %s\n", a.msg);
	vt_result(a.fds_left == 0, "msi.strict.container.no_fd_leak", "%u fds left", a.fds_left);

	try_open(VFIOIOMMU_MODE_IOMMUFD, bdf, &a);
	vt_result(a.rc == -EPERM && has_all(a.msg, &miss, "VFIO_DEVICE_BIND_IOMMUFD for", "failed: EPERM",
					   "no interrupt remapping", "iommufd.allow_unsafe_interrupts=1",
					   "/sys/module/iommufd/parameters/allow_unsafe_interrupts",
					   "iommufd.allow_unsafe_interrupts is N",
					   "vfio_iommu_type1.allow_unsafe_interrupts=1", NULL),
		  "msi.strict.iommufd", "rc %d (want -EPERM), missing \"%s\" in: %s", a.rc, miss, a.msg);
	printf("# iommufd: %s\n", a.msg);
	vt_result(a.fds_left == 0, "msi.strict.iommufd.no_fd_leak", "%u fds left", a.fds_left);

	/* AUTO: whichever backend it settles on, the refusal names both switches */
	try_open(VFIOIOMMU_MODE_AUTO, bdf, &a);
	vt_result(a.rc == -EPERM && strstr(a.msg, "iommufd.allow_unsafe_interrupts=1") &&
		  strstr(a.msg, "vfio_iommu_type1.allow_unsafe_interrupts=1") && strstr(a.msg, "interrupt remapping"),
		  "msi.strict.auto", "rc %d (want -EPERM) message: %s", a.rc, a.msg);
	printf("# auto: %s\n", a.msg);
	vt_result(a.fds_left == 0, "msi.strict.auto.no_fd_leak", "%u fds left", a.fds_left);
}

static void isolated(const char *bdf)
{
	static const struct {
		enum vfioiommu_mode mode;
		const char *name;
	} modes[] = {
		{ VFIOIOMMU_MODE_CONTAINER, "msi.open.container" },
		{ VFIOIOMMU_MODE_IOMMUFD, "msi.open.iommufd" },
		{ VFIOIOMMU_MODE_AUTO, "msi.open.auto" },
	};
	struct attempt a;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		try_open(modes[i].mode, bdf, &a);
		vt_result(a.rc == 0 && a.fds_left == 0, modes[i].name, "rc %d, %u fds left: %s", a.rc, a.fds_left,
			  a.msg);
	}
}

int main(void)
{
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS"), *topo = getenv("VFIOIOMMU_VM_TOPOLOGY");
	char bdf[32] = "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdfs || sscanf(bdfs, "%31s", bdf) != 1) {
		printf("not ok - msi.env: VFIOIOMMU_VM_BDFS is empty\n");
		return 1;
	}
	if (topo && !strcmp(topo, "virtio-strict"))
		strict(bdf);
	else
		isolated(bdf);
	printf("msi isolation %s (real kernel): %u passed, %u failed\n", topo ? topo : "?", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest probe (raw uAPI, "FACT noiommu.*", tests/vm/FACTS.md section m): does
 * Linux 7.2 offer VFIO's no-IOMMU mode through the device cdev?  Run with the
 * IOMMU off and the unsafe mode on:
 *   tests/vm/run-vm.sh --topology intel --append "intel_iommu=off vfio.enable_unsafe_noiommu_mode=1" \
 *       build/tests/vm/vm_noiommu
 * It binds the first e1000e (8086:10d3) to vfio-pci itself (guest-init.sh waits for /dev/vfio/N, which a
 * no-IOMMU group does not have) and prints what /dev/vfio and /dev/vfio/devices hold and what each path
 * answers.  A probe only: the library has no cdev no-IOMMU path yet.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmtest.h"

static void sysw(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, v, strlen(v)) < 0)
			printf("FACT noiommu.write %s=%s\n", path, vt_errname(-errno));
		close(fd);
	}
}

static void list(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char all[512] = "";

	if (first)
		first[0] = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strlen(all) + strlen(e->d_name) + 2 < sizeof(all)) {
			strcat(all, e->d_name);
			strcat(all, " ");
		}
		if (first && !first[0] && strcmp(e->d_name, "vfio") && strcmp(e->d_name, "devices"))
			snprintf(first, n, "%s", e->d_name);
	}
	if (d)
		closedir(d);
	printf("FACT noiommu.ls %s=%s\n", dir, d ? all : "(none)");
}

int main(void)
{
	char bdf[64] = "", p[600], t[256], grp[64], cdev[64];
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	ssize_t k;
	int fd, ifd, c, g;

	while (d && (e = readdir(d))) {
		char v[16] = "", id[16] = "";
		FILE *f;

		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if ((f = fopen(p, "r"))) {
			if (!fgets(v, sizeof(v), f))
				v[0] = 0;
			fclose(f);
		}
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		if ((f = fopen(p, "r"))) {
			if (!fgets(id, sizeof(id), f))
				id[0] = 0;
			fclose(f);
		}
		if (!strncmp(v, "0x8086", 6) && !strncmp(id, "0x10d3", 6)) {
			snprintf(bdf, sizeof(bdf), "%.60s", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	if (!bdf[0]) {
		printf("no e1000e\n");
		return 77;
	}
	printf("FACT noiommu.device=%s\n", bdf);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysw(p, "vfio-pci");
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (!access(p, F_OK)) {
		snprintf(t, sizeof(t), "/sys/bus/pci/devices/%s/driver", bdf);
		k = readlink(t, grp, sizeof(grp) - 1);
		grp[k > 0 ? k : 0] = 0;
		if (!strstr(grp, "vfio-pci"))
			sysw(p, bdf);
	}
	sysw("/sys/bus/pci/drivers_probe", bdf);
	usleep(500000);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	k = readlink(p, t, sizeof(t) - 1);
	t[k > 0 ? k : 0] = 0;
	printf("FACT noiommu.iommu_group=%s\n", k > 0 ? t : vt_errname(-errno));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	list(p, cdev, sizeof(cdev));
	if (cdev[0]) {
		FILE *f;
		char v[32] = "";

		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev/%.60s/dev", bdf, cdev);
		f = fopen(p, "r");
		if (f) {
			if (!fgets(v, sizeof(v), f))
				v[0] = 0;
			fclose(f);
		}
		v[strcspn(v, "\n")] = 0;
		printf("FACT noiommu.vfio-dev.%s.dev=%s\n", cdev, f ? v : "(no dev attribute)");
	}
	list("/dev/vfio", grp, sizeof(grp));
	list("/dev/vfio/devices", NULL, 0);
	snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%s/name", strrchr(t, '/') ? strrchr(t, '/') + 1 : "x");
	{
		FILE *f = fopen(p, "r");
		char v[64] = "";

		if (f) {
			if (!fgets(v, sizeof(v), f))
				v[0] = 0;
			fclose(f);
		}
		v[strcspn(v, "\n")] = 0;
		printf("FACT noiommu.group_name=%s\n", f ? v : "(none)");
	}
	c = open("/dev/vfio/vfio", O_RDWR);
	printf("FACT noiommu.container.CHECK_EXTENSION(NOIOMMU=8)=%s\n",
	       vt_errname(vt_ioctl_val(c, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)8)));
	printf("FACT noiommu.container.CHECK_EXTENSION(TYPE1v2)=%s\n",
	       vt_errname(vt_ioctl_val(c, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)3)));
	close(c);
	printf("FACT noiommu.open(/dev/iommu)=%s\n", vt_errname((ifd = open("/dev/iommu", O_RDWR)) < 0 ? -errno : ifd));
	if (cdev[0]) {
		struct kabi_vfio_device_bind_iommufd b = { .argsz = 16, .iommufd = -1 };
		struct kabi_vfio_device_info di = { .argsz = sizeof(di) };
		struct kabi_vfio_device_attach_iommufd_pt at = { .argsz = 12 };

		snprintf(p, sizeof(p), "/dev/vfio/devices/%s", cdev);
		fd = open(p, O_RDWR);
		printf("FACT noiommu.cdev=%s open=%s\n", p, vt_errname(fd < 0 ? -errno : fd));
		if (fd >= 0) {
			b.iommufd = ifd;
			printf("FACT noiommu.cdev.BIND(real iommufd)=%s\n", vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)));
			b.iommufd = -1;
			printf("FACT noiommu.cdev.BIND(-1)=%s devid=%u\n", vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)),
			       b.out_devid);
			printf("FACT noiommu.cdev.GET_INFO=%s flags=0x%x regions=%u irqs=%u\n",
			       vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_GET_INFO, &di)), di.flags, di.num_regions, di.num_irqs);
			printf("FACT noiommu.cdev.ATTACH=%s\n", vt_errname(vt_ioctl_val(fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)));
			close(fd);
		}
	}
	if (grp[0]) {
		snprintf(p, sizeof(p), "/dev/vfio/%s", grp);
		g = open(p, O_RDWR);
		printf("FACT noiommu.group=%s open=%s\n", p, vt_errname(g < 0 ? -errno : g));
		if (g >= 0)
			close(g);
	}
	if (ifd >= 0)
		close(ifd);
	return 0;
}

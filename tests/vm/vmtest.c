/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi/kabi.h"
#include "vmtest.h"

unsigned int vt_npass, vt_nfail;

void vt_result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		vt_npass++;
		printf("ok - %s\n", name);
		return;
	}
	vt_nfail++;
	printf("not ok - %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

unsigned int vt_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int vt_xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int vt_ioctl_val(int fd, unsigned long req, void *arg)
{
	int rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

const char *vt_errname(int rc)
{
	static char b[8][24];
	static int i;
	const char *name;

	i = (i + 1) % 8;
	if (rc >= 0)
		snprintf(b[i], sizeof(b[i]), "ok(%d)", rc);
	else if ((name = strerrorname_np(-rc)))
		snprintf(b[i], sizeof(b[i]), "%s", name);
	else
		snprintf(b[i], sizeof(b[i]), "errno%d", -rc);
	return b[i];
}

int vt_group_of(const char *bdf)
{
	char p[256], t[256];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return -1;
	t[n] = 0;
	return atoi(strrchr(t, '/') + 1);
}

int vt_cdev_open(const char *bdf)
{
	char p[300];
	DIR *d;
	struct dirent *e;
	int fd = -ENOENT;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(p);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/dev/vfio/devices/%s", e->d_name);
		fd = open(p, O_RDWR | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
		break;
	}
	if (d)
		closedir(d);
	return fd;
}

int vt_tcmd(int fd, uint32_t op, uint32_t id, const void *arg, size_t len, struct kabi_iommu_test_cmd *out)
{
	struct kabi_iommu_test_cmd c;
	int rc;

	kabi_test_cmd_init(&c, op, id, arg, len);
	rc = vt_xioctl(fd, KABI_IOMMU_TEST_CMD, &c);
	if (out)
		*out = c;
	return rc;
}

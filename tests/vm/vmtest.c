/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

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

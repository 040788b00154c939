/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* What every guest program of the VM suite shares: result lines, fd counting, IOMMU_TEST_CMD. */
#ifndef VT_VMTEST_H
#define VT_VMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kabi/kabi.h"

extern unsigned int vt_npass, vt_nfail;

/* "ok - NAME" or "not ok - NAME: <printf>"; counted in vt_npass / vt_nfail. */
void vt_result(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Open fds of this process (a leak check around each scenario). */
unsigned int vt_open_fds(void);

/* ioctl() returning -errno. */
int vt_xioctl(int fd, unsigned long req, void *arg);
/* ioctl() returning its value (CHECK_EXTENSION's answer, a new fd) or -errno. */
int vt_ioctl_val(int fd, unsigned long req, void *arg);
/* "ok(N)" for rc >= 0, else the errno's name ("ENOTTY"); eight results may be live at once. */
const char *vt_errname(int rc);
/* The IOMMU group number of PCI device @bdf, or -1. */
int vt_group_of(const char *bdf);
/* Open the VFIO cdev of PCI device @bdf (/dev/vfio/devices/vfioN): the fd, or -errno (-ENOENT: none). */
int vt_cdev_open(const char *bdf);

/*
 * IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST): the 72-byte command of lib/kabi/kabi.h; the ops and what each
 * did on Linux 7.2 are in tests/vm/FACTS.md section f (the kernel's own list is
 * drivers/iommu/iommufd/iommufd_test.h).
 */
/* Run op on object id with @len bytes of arguments; *out (if not NULL) gets the command back. */
int vt_tcmd(int fd, uint32_t op, uint32_t id, const void *arg, size_t len, struct kabi_iommu_test_cmd *out);

#endif

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

/*
 * IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST): the 72-byte command of lib/kabi/kabi.h; the ops and what each
 * did on Linux 7.2 are in tests/vm/FACTS.md section f (the kernel's own list is
 * drivers/iommu/iommufd/iommufd_test.h).
 */
/* Run op on object id with @len bytes of arguments; *out (if not NULL) gets the command back. */
int vt_tcmd(int fd, uint32_t op, uint32_t id, const void *arg, size_t len, struct kabi_iommu_test_cmd *out);

#endif

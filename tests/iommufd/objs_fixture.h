/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Shared by the tests of lib/iommufd/: a mock host, an iommufd context with its device open. */
#ifndef TESTS_IOMMUFD_OBJS_FIXTURE_H
#define TESTS_IOMMUFD_OBJS_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "helpers.h"
#include "core/door.h"
#include "kabi/kabi.h"

#define DEV "0000:00:03.0"  /* PASID and PRI capable */
#define DEV2 "0000:00:04.0" /* neither */
#define PG 4096ull

static const char objs_host[] =
	"pasid-width 20\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci pasid=20 iopf\n"
	"group 4\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:04.0 vfio-pci\n";

struct ofx {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev, *dev2;
	uint32_t devid;
};

/* A context on the mock's door with DEV (and DEV2) open; a negative errno when a step fails (sweeps). */
static inline int ofx_up(struct ofx *f, vfioiommu_mock *m)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = vfioiommu_mock_door(m) };
	int rc;

	memset(f, 0, sizeof(*f));
	f->m = m;
	rc = vfioiommu_ctx_new(&o, &f->ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(f->ctx, DEV, &f->dev);
	if (rc == 0)
		rc = vfioiommu_device_open(f->ctx, DEV2, &f->dev2);
	if (rc == 0)
		rc = vfioiommu_device_iommufd_id(f->dev, &f->devid);
	return rc;
}

static inline void ofx_down(struct ofx *f)
{
	vfioiommu_ctx_destroy(f->ctx);
	f->ctx = NULL;
}

static inline void *ofx_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static inline vfioiommu_mock *ofx_mock(void *arg)
{
	(void)arg;
	return th_mock(objs_host);
}

#endif

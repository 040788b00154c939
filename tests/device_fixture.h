/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fixture of the device-level tests (test_pci, test_region, test_reset):
 * one device opened on a fresh mock, closed with the leak checks, and the
 * fail-Nth sweep over both backends.  Include after <cmocka.h>.
 */
#ifndef DF_DEVICE_FIXTURE_H
#define DF_DEVICE_FIXTURE_H

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

/*
 * An e1000e-like NIC at 0000:00:03.0 (group 3), an nvme whose BAR0 has
 * sparse mmap areas at 0000:03:00.0 (group 10), an igd at 0000:00:02.0
 * (group 12).
 */
extern const char df_host[];

struct df_env {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
};

/* A mock from host, a context on it in mode, and bdf opened as e->dev. */
void df_open(struct df_env *e, const char *host, enum vfioiommu_mode mode, const char *bdf);
/* Destroys the context, asserts that no mock fd and no mmap outlived it, destroys the mock. */
void df_close(struct df_env *e);

/*
 * The fail-Nth sweep (th_sweep) in container mode, then in iommufd mode: every
 * run gets a fresh mock from host and a context on it; body drives the
 * context and returns its result, and the context is destroyed after it, so
 * whatever body leaves open is the context teardown's to release.  Asserts
 * that each mode sweeps more than 10 sites.
 */
typedef int (*df_body_fn)(vfioiommu_ctx *ctx);
struct df_sweep_spec {
	const char *host;
	df_body_fn body;
};
/* The sweep as a cmocka test: cmocka_unit_test_prestate(df_fail_nth, &spec). */
void df_fail_nth(void **state);

#endif

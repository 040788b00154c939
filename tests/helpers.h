/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Shared test helpers: mock hosts and the fail-Nth sweep. Include after <cmocka.h>. */
#ifndef TH_HELPERS_H
#define TH_HELPERS_H

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

/* A small host most tests can use: groups 3 and 4 on vfio-pci, group 5 not viable, group 6 with an RMRR. */
extern const char th_host_default[];

/* A mock from a description; fails the test on a parse error. */
vfioiommu_mock *th_mock(const char *desc);
/* A context on a mock. */
vfioiommu_ctx *th_ctx(vfioiommu_mock *m, enum vfioiommu_mode mode);

/*
 * The fail-Nth sweep.  For N = 1, 2, ...: build a fresh mock with setup(arg),
 * arm "the N-th door call fails with -EIO" (or with the ioctl filter), run
 * body(m, arg), then destroy the mock.  body must tear down everything it
 * created and return its result.  Asserts, for every N where the fault fired:
 * body returned a negative errno (unless the failed call was a teardown step,
 * see th_teardown_site()), and that no mock fd or
 * mmap is left open.  Stops when the armed fault no longer fires; asserts it
 * stops before max_n.  Returns the number of sites swept.
 */
typedef vfioiommu_mock *(*th_setup_fn)(void *arg);
typedef int (*th_body_fn)(vfioiommu_mock *m, void *arg);
unsigned long th_sweep(th_setup_fn setup, th_body_fn body, void *arg, unsigned long max_n);

/* true when a fault at this site (vfioiommu_mock_fault_site()) happened in a teardown step. */
bool th_teardown_site(const char *site);

/* Assert that s contains every NULL-terminated word. */
void th_assert_msg(const char *s, ...);

#endif

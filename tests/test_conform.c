/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The conformance table (tests/conform/) against the mock kernel, loaded from
 * the three host descriptions of the VM guests, with the expectations the real
 * kernel was measured to meet (tests/vm/FACTS.md).  tests/vm/vm_conform.c runs
 * the same table on Linux.
 *
 * For every host and case: one test that runs the case (a mismatch fails it;
 * a case the mock cannot pass yet is skipped, with its reason), and one that
 * runs it again under the fail-Nth sweep (clean errors, no leaked mock fd).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "conform/conform.h"

static const struct {
	const char *file;
	const struct cf_topo *topo;
} hosts[] = {
	{ "examples/hosts/qemu-q35-intel-iommu.host", &cf_topo_intel },
	{ "examples/hosts/qemu-q35-amd-iommu.host", &cf_topo_amd },
	{ "examples/hosts/qemu-q35-virtio-iommu.host", &cf_topo_virtio },
};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))

struct tc {
	size_t host;
	const struct cf_case *c;
	char name[160];
};

static unsigned int n_pass, n_fail, n_skip;

static vfioiommu_mock *load(size_t hi)
{
	char path[1024], err[256] = "";
	vfioiommu_mock *m = NULL;

	snprintf(path, sizeof(path), "%s/%s", TH_SRCDIR, hosts[hi].file);
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	if (vfioiommu_mock_load_file(m, path, err, sizeof(err)) < 0)
		fail_msg("%s: %s", path, err);
	return m;
}

static void host_init(vfioiommu_mock *m, size_t hi, struct cf_host *h)
{
	const struct cf_topo *tp = hosts[hi].topo;
	char err[256];

	if (cf_host_init(h, vfioiommu_mock_door(m), tp, m, tp->bdfs, tp->ndev, err, sizeof(err)) < 0)
		fail_msg("%s: host discovery through the mock's sysfs failed: %s", tp->name, err);
}

static void run_case(void **state)
{
	const struct tc *tc = *state;
	char prefix[32];
	struct cf_host h;
	struct cf_t t;
	vfioiommu_mock *m = load(tc->host);

	host_init(m, tc->host, &h);
	cf_run(tc->c, &h, &t);
	snprintf(prefix, sizeof(prefix), "mock-%s/", hosts[tc->host].topo->name);
	cf_print(prefix, tc->c, &t);
	cf_host_fini(&h);
	vfioiommu_mock_destroy(m);
	switch (t.status) {
	case CF_PASS:
		n_pass++;
		break;
	case CF_SKIP:
		n_skip++;
		skip();
		break;
	case CF_FAIL:
		n_fail++;
		fail_msg("%s%s: %s", prefix, tc->c->name, t.msg);
		break;
	}
}

struct sweep_arg {
	const struct tc *tc;
	struct cf_host h;
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	struct sweep_arg *a = arg;
	vfioiommu_mock *m = load(a->tc->host);

	/* discovery happens before the fault is armed: the sweep is about the case */
	host_init(m, a->tc->host, &a->h);
	return m;
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct sweep_arg *a = arg;
	struct cf_t t;

	cf_run(a->tc->c, &a->h, &t);
	cf_host_fini(&a->h);
	if (t.status == CF_PASS)
		/* th_sweep accepts a pass through a fault only at a teardown step (th_teardown_site) */
		return 0;
	return vfioiommu_mock_fault_fired(m) || t.status == CF_FAIL ? -EIO : 0;
}

static void sweep_case(void **state)
{
	const struct tc *tc = *state;
	struct sweep_arg a = { .tc = tc };
	struct cf_host h;
	struct cf_t t;
	vfioiommu_mock *m;
	unsigned long sites;

	if (tc->c->flags & CF_REAL_ONLY)
		skip();
	/* the sweep needs a case that passes without faults; the plain test reports the rest */
	m = load(tc->host);
	host_init(m, tc->host, &h);
	cf_run(tc->c, &h, &t);
	cf_host_fini(&h);
	vfioiommu_mock_destroy(m);
	if (t.status != CF_PASS)
		skip();
	sites = th_sweep(sweep_setup, sweep_body, &a, 100000);
	printf("# %s: %lu fault sites swept\n", tc->name, sites);
	assert_true(sites >= 1);
}

int main(void)
{
	size_t ncases = cf_case_count(), n = 0;
	struct CMUnitTest *tests = calloc(NHOSTS * ncases * 2, sizeof(*tests));
	struct tc *tcs = calloc(NHOSTS * ncases * 2, sizeof(*tcs));
	int rc;

	if (!tests || !tcs)
		return 1;
	for (size_t hi = 0; hi < NHOSTS; hi++) {
		for (size_t i = 0; i < ncases; i++) {
			for (int sweep = 0; sweep < 2; sweep++) {
				struct tc *tc = &tcs[n];

				tc->host = hi;
				tc->c = cf_case_at(i);
				snprintf(tc->name, sizeof(tc->name), "%s/%s%s", hosts[hi].topo->name, tc->c->name,
					 sweep ? " (fail-nth sweep)" : "");
				tests[n] = (struct CMUnitTest){ .name = tc->name, .test_func = sweep ? sweep_case : run_case,
								.initial_state = tc };
				n++;
			}
		}
	}
	/* e.g. CONFORM_FILTER='amd/lib.*' to run a few tests while debugging */
	if (getenv("CONFORM_FILTER"))
		cmocka_set_test_filter(getenv("CONFORM_FILTER"));
	rc = _cmocka_run_group_tests("conform", tests, n, NULL, NULL);
	printf("conform on the mock: %u passed, %u failed, %u skipped (of %zu cases x %zu hosts)\n", n_pass, n_fail,
	       n_skip, ncases, NHOSTS);
	free(tests);
	free(tcs);
	return rc;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The guest side of the conformance table: every case of tests/conform/ on
 * the real kernel (vfioiommu_door_system()), on the NICs the VM harness bound
 * to vfio-pci.  The same table runs against the mock in tests/test_conform.c.
 *
 * Environment (set by tests/vm/guest-init.sh):
 *   VFIOIOMMU_VM_TOPOLOGY  "intel", "amd" or "virtio" (anything else: exit 77, no expectations)
 *   VFIOIOMMU_VM_BDFS      space-separated BDFs bound to vfio-pci
 * Arguments: optional case names or name prefixes to run only those.
 * Output: one line per case, "ok - NAME", "not ok - NAME: expected ... got ...",
 * "skip - NAME (why)", then a summary.  Exit 0 when nothing failed, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strncmp(name, argv[i], strlen(argv[i])))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *topo_name = getenv("VFIOIOMMU_VM_TOPOLOGY");
	const char *env = getenv("VFIOIOMMU_VM_BDFS");
	const struct cf_topo *topo = cf_topo_find(topo_name);
	char bdfbuf[512], err[256], *save = NULL, *tok;
	const char *bdfs[CF_MAX_DEV];
	unsigned int pass = 0, fail = 0, skip = 0;
	struct cf_host h;
	size_t n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!topo) {
		printf("vm_conform: no expectations for topology \"%s\" (known: intel, amd): skipped\n",
		       topo_name ? topo_name : "(unset)");
		return 77;
	}
	snprintf(bdfbuf, sizeof(bdfbuf), "%s", env ? env : "");
	for (tok = strtok_r(bdfbuf, " ", &save); tok && n < CF_MAX_DEV; tok = strtok_r(NULL, " ", &save))
		bdfs[n++] = tok;
	if (cf_host_init(&h, vfioiommu_door_system(), topo, NULL, bdfs, n, err, sizeof(err)) < 0) {
		printf("not ok - host: VFIOIOMMU_VM_BDFS=\"%s\": %s\n", env ? env : "", err);
		return 1;
	}
	for (size_t i = 0; i < cf_case_count(); i++) {
		const struct cf_case *c = cf_case_at(i);
		struct cf_t t;

		if (!selected(c->name, argc, argv))
			continue;
		switch (cf_run(c, &h, &t)) {
		case CF_PASS: pass++; break;
		case CF_FAIL: fail++; break;
		case CF_SKIP: skip++; break;
		}
		cf_print("", c, &t);
	}
	cf_host_fini(&h);
	printf("conform %s (real kernel): %u passed, %u failed, %u skipped\n", topo->name, pass, fail, skip);
	return fail ? 1 : 0;
}

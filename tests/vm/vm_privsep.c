/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: the privilege-separation examples on the real kernel.  Runs
 * examples/launcher (as root) with each backend; the launcher opens the
 * nodes, starts examples/unprivileged_vmm, which drops to uid 1000 and, from
 * the fds alone, maps DMA, reads BAR0 through an mmap and takes an MSI-X
 * interrupt.  Both programs must be in the guest at their build paths:
 *   tests/vm/run-vm.sh --with build/examples/launcher --with build/examples/unprivileged_vmm \
 *       build/tests/vm/vm_privsep
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"

static int run(const char *backend, const char *bdf)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl(VT_LAUNCHER, VT_LAUNCHER, "--backend", backend, "--uid", "1000", bdf, VT_VMM, (char *)NULL);
		perror(VT_LAUNCHER);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	const char *b = getenv("VFIOIOMMU_VM_BDFS");
	char bdf[32];
	int rc;

	if (!b || sscanf(b, "%31s", bdf) != 1) {
		printf("no device\n");
		return 77;
	}
	if (access(VT_LAUNCHER, X_OK) || access(VT_VMM, X_OK)) {
		printf("not ok - privsep: %s or %s is not in the guest (run-vm.sh --with)\n", VT_LAUNCHER, VT_VMM);
		return 1;
	}
	fflush(stdout);
	rc = run("iommufd", bdf);
	vt_result(rc == 0, "privsep.iommufd", "launcher exited %d", rc);
	fflush(stdout);
	rc = run("container", bdf);
	vt_result(rc == 0, "privsep.container", "launcher exited %d", rc);
	printf("%u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

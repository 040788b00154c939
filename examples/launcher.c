/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * launcher: the privileged half of privilege separation.  Opens the nodes a
 * VMM needs for one device, raises the VMM's locked-memory limit, starts the
 * VMM (examples/unprivileged_vmm.c) with one end of a socketpair and hands
 * it the fds with their kinds (vfioiommu_fds_send()), then waits for it.
 *
 *   launcher [--backend iommufd|container] [--uid UID] [BDF [VMM]]
 *
 * Run as root.  iommufd (default): /dev/iommu and the device's cdev
 * /dev/vfio/devices/vfioN; container: /dev/vfio/vfio and the group
 * /dev/vfio/N.  The VMM drops to UID (default 1000) before it receives
 * anything.  BDF defaults to the first of $VFIOIOMMU_VM_BDFS and VMM to
 * unprivileged_vmm beside this program: that is how the VM suite runs the
 * pair (tests/vm/run-vm.sh --with build/examples/unprivileged_vmm
 * build/examples/launcher).  The exit status is the VMM's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setresuid, dirname, socketpair flags under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <vfioiommu.h>

static int group_of(const char *bdf)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return -1;
	t[n] = 0;
	return atoi(strrchr(t, '/') + 1);
}

/* /dev/vfio/devices/vfioN of a device, from its vfio-dev directory in sysfs */
static int cdev_path(const char *bdf, char *out, size_t n)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(p);
	if (!d)
		return -1;
	while ((e = readdir(d)) && e->d_name[0] == '.')
		;
	if (e)
		snprintf(out, n, "/dev/vfio/devices/%s", e->d_name);
	closedir(d);
	return e ? 0 : -1;
}

static int open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "launcher: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	const char *backend = "iommufd", *bdf = NULL, *vmm = NULL;
	char bdfbuf[32] = "", vmmbuf[PATH_MAX], path[PATH_MAX], sockarg[16];
	struct vfioiommu_fd_entry e[2];
	struct rlimit lim = { 64 << 20, 64 << 20 };
	unsigned long uid = 1000;
	vfioiommu_ctx *ctx = NULL;
	int sv[2], status, rc, i;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend = argv[++i];
		else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			uid = strtoul(argv[++i], NULL, 0);
		else if (!bdf)
			bdf = argv[i];
		else
			vmm = argv[i];
	}
	if (!bdf && getenv("VFIOIOMMU_VM_BDFS") && sscanf(getenv("VFIOIOMMU_VM_BDFS"), "%31s", bdfbuf) == 1)
		bdf = bdfbuf;
	if (!bdf || (strcmp(backend, "iommufd") && strcmp(backend, "container"))) {
		fprintf(stderr, "usage: %s [--backend iommufd|container] [--uid UID] [BDF [VMM]]\n", argv[0]);
		return 2;
	}
	if (!vmm) {
		ssize_t n = readlink("/proc/self/exe", vmmbuf, sizeof(vmmbuf) - 32);

		if (n <= 0)
			return 2;
		vmmbuf[n] = 0;
		strcat(dirname(vmmbuf), "/unprivileged_vmm");
		vmm = vmmbuf;
	}

	/* the privileged part: open the nodes, as libvirt or a systemd unit would */
	memset(e, 0, sizeof(e));
	if (!strcmp(backend, "iommufd")) {
		e[0].kind = VFIOIOMMU_FD_IOMMUFD;
		e[0].fd = open_node("/dev/iommu");
		e[1].kind = VFIOIOMMU_FD_CDEV;
		e[1].fd = cdev_path(bdf, path, sizeof(path)) == 0 ? open_node(path) : -1;
	} else {
		e[0].kind = VFIOIOMMU_FD_CONTAINER;
		e[0].fd = open_node("/dev/vfio/vfio");
		e[1].kind = VFIOIOMMU_FD_GROUP;
		e[1].group = (uint32_t)group_of(bdf);
		snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(bdf));
		e[1].fd = open_node(path);
	}
	snprintf(e[1].name, sizeof(e[1].name), "%s", bdf);
	if (e[0].fd < 0 || e[1].fd < 0)
		return 1;
	/* pinned DMA memory counts against RLIMIT_MEMLOCK, which an unprivileged process cannot raise */
	if (setrlimit(RLIMIT_MEMLOCK, &lim) < 0)
		fprintf(stderr, "launcher: setrlimit(RLIMIT_MEMLOCK): %s\n", strerror(errno));

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char uidarg[24];

		/* the VMM gets only its end of the socket: the device fds are closed on exec */
		snprintf(sockarg, sizeof(sockarg), "%d", sv[1]);
		snprintf(uidarg, sizeof(uidarg), "%lu", uid);
		execl(vmm, vmm, "--sock", sockarg, "--uid", uidarg, (char *)NULL);
		fprintf(stderr, "launcher: cannot run %s: %s\n", vmm, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	rc = vfioiommu_ctx_new(NULL, &ctx);
	if (rc == 0)
		rc = vfioiommu_fds_send(ctx, sv[0], e, 2);
	if (rc < 0)
		fprintf(stderr, "launcher: %s\n", ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
	else
		printf("launcher: sent %s fd %d and %s fd %d for %s to %s (pid %d, uid %lu)\n",
		       vfioiommu_fd_kind_name(e[0].kind), e[0].fd, vfioiommu_fd_kind_name(e[1].kind), e[1].fd, bdf,
		       vmm, (int)pid, uid);
	/* the VMM has its own copies now */
	close(e[0].fd);
	close(e[1].fd);
	close(sv[0]);
	vfioiommu_ctx_destroy(ctx);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return rc < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Messages for failures whose remedy lies outside the program: a /dev node
 * that is missing or not ours to open, a platform without interrupt
 * remapping, a locked-memory limit too low to pin a mapping.  Each says what
 * is wrong on this machine (read from sysfs, the node itself, the process's
 * limits) and what a person can change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* snprintf whose truncation is expected: a message is cut at VI_MSG_MAX anyway. */
static void put(char *buf, size_t n, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);
static void put(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* The kernel pieces behind the two nodes the library opens by name. */
static const struct node_kind {
	const char *path;
	const char *misc;      /* /sys/class/misc/NAME of the node */
	const char *module;    /* /sys/module/NAME once loaded (both have parameters) */
	const char *load;      /* how to load it */
	const char *config;    /* the kernel options that give the node */
	const char *other;     /* the backend to use without it */
} kinds[] = {
	{ "/dev/vfio/vfio", "vfio", "vfio", "modprobe vfio-pci",
	  "CONFIG_VFIO_CONTAINER and CONFIG_IOMMUFD_VFIO_CONTAINER", "use the iommufd backend (/dev/iommu)" },
	{ "/dev/iommu", "iommu", "iommufd", "modprobe iommufd", "CONFIG_IOMMUFD",
	  "use the VFIO container backend (/dev/vfio/vfio)" },
};

static const struct node_kind *kind_of(const char *path)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(path, kinds[i].path))
			return &kinds[i];
	return NULL;
}

/* ENOENT: which of "not loaded", "not built", "not in this /dev" it is, from sysfs. */
static void node_missing(struct vfioiommu_ctx *ctx, const char *path, char *why, size_t n)
{
	const struct node_kind *k = kind_of(path);

	if (!k) {
		put(why, n, "no such node (is devtmpfs mounted on /dev?)");
		return;
	}
	if (vi_sysfs_exists(ctx, "class/misc/%s", k->misc) == 0)
		put(why, n, "the kernel offers it (%s/class/misc/%s exists) but this /dev has no node: in a "
			 "container, pass it in (docker/podman run --device %s); otherwise create it with the "
			 "major:minor in %s/class/misc/%s/dev (mknod %s c MAJOR MINOR) or let devtmpfs/udev make it",
			 ctx->sysfs_root, k->misc, path, ctx->sysfs_root, k->misc, path);
	else if (vi_sysfs_exists(ctx, "module/%s", k->module) == 0)
		put(why, n, "%s is loaded but registers no %s: a kernel built without %s; %s", k->module, path,
			 k->config, k->other);
	else
		put(why, n, "%s is not loaded (%s) or the kernel was built without %s; or %s", k->module,
			 k->load, k->config, k->other);
}

static void mode_string(unsigned int mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISCHR(mode) ? 'c' : S_ISDIR(mode) ? 'd' : S_ISBLK(mode) ? 'b' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

/* EACCES/EPERM: who owns the node, who we are, and what would let us in. */
static void node_denied(struct vfioiommu_ctx *ctx, int rc, const char *path, char *why, size_t n)
{
	char owner[64], group[64], me[64], modestr[11], fix[256];
	unsigned int uid, gid;
	struct stat st;
	size_t len;

	vi_proc_ids(&uid, &gid);
	vi_proc_user_name(uid, me, sizeof(me));
	if (vi_kstat(ctx, path, &st) < 0) {
		put(why, n, "this process runs as %s (uid %u, gid %u); the node's owner and mode cannot be read",
			 me, uid, gid);
		return;
	}
	vi_proc_user_name((unsigned int)st.st_uid, owner, sizeof(owner));
	vi_proc_group_name((unsigned int)st.st_gid, group, sizeof(group));
	mode_string((unsigned int)st.st_mode, modestr);
	put(why, n, "%s is %s %s:%s (mode %04o) and this process runs as %s (uid %u, gid %u)", path, modestr, owner,
	    group, (unsigned int)st.st_mode & 07777u, me, uid, gid);
	len = strlen(why);
	if (rc == -EPERM)
		put(fix, sizeof(fix), "; EPERM rather than EACCES: a device cgroup (a container's --device "
			 "list, systemd DevicePolicy=/DeviceAllow=) or a security module (SELinux, AppArmor) "
			 "refuses this node whatever its mode");
	else if (uid == 0)
		put(fix, sizeof(fix), "; root is refused, so a security module (SELinux, AppArmor) or a "
			 "read-only mount denies it");
	else if (st.st_gid != 0 && (st.st_mode & 0060) == 0060 && !vi_proc_in_group((unsigned int)st.st_gid))
		put(fix, sizeof(fix), "; add the user to group %s (then log in again), run as root, or "
			 "change the node's owner with a udev rule", group);
	else
		put(fix, sizeof(fix), "; run as root, or give this user the node (chown/chmod, and a udev "
			 "rule such as OWNER=\"%s\" so it survives a reboot)", me);
	put(why + len, n - len, "%s", fix);
}

int vi_fail_node(struct vfioiommu_ctx *ctx, int rc, const char *path, const char *what)
{
	char why[640] = "";

	if (rc == -ENOENT)
		node_missing(ctx, path, why, sizeof(why));
	else if (rc == -EACCES || rc == -EPERM)
		node_denied(ctx, rc, path, why, sizeof(why));
	return vi_fail(ctx, rc, "%s: %s%s%s", what, vi_errno_name(rc), why[0] ? ": " : "", why);
}

int vi_fail_unsafe_interrupts(struct vfioiommu_ctx *ctx, int rc, const char *what, const char *module,
			      const char *also)
{
	char now[16] = "";

	if (vi_sysfs_read(ctx, now, sizeof(now), "module/%s/parameters/allow_unsafe_interrupts", module) > 0)
		now[strcspn(now, "\n")] = '\0';
	/* kept short: with a BDF and the caller's @also it must fit one message (VI_MSG_MAX) */
	return vi_fail(ctx, rc, "%s failed: %s: no interrupt remapping (MSI isolation) here%s%s%s%s. "
		       "Enable it (firmware; intremap=on for a QEMU intel-iommu) or, for a trusted device, "
		       "boot with %s.allow_unsafe_interrupts=1 (or write 1 to "
		       "/sys/module/%s/parameters/allow_unsafe_interrupts)%s",
		       what, vi_errno_name(rc), now[0] ? " and " : "", now[0] ? module : "",
		       now[0] ? ".allow_unsafe_interrupts is " : "", now, module, module, also ? also : "");
}

static void size_string(uint64_t v, char *buf, size_t n)
{
	if (v == UINT64_MAX)
		snprintf(buf, n, "unlimited");
	else if (v >= (1ull << 30) && !(v & ((1ull << 30) - 1)))
		snprintf(buf, n, "%" PRIu64 " GiB", v >> 30);
	else if (v >= (1ull << 20) && !(v & ((1ull << 20) - 1)))
		snprintf(buf, n, "%" PRIu64 " MiB", v >> 20);
	else if (v >= 1024 && !(v & 1023))
		snprintf(buf, n, "%" PRIu64 " KiB", v >> 10);
	else
		snprintf(buf, n, "%" PRIu64 " bytes", v);
}

int vi_fail_pinning(struct vfioiommu_ctx *ctx, int rc, uint64_t iova, uint64_t len, uint64_t pinned,
		    uint64_t nmaps)
{
	uint64_t soft, hard;
	char s[32], h[32], a[32], p[32];

	size_string(len, a, sizeof(a));
	size_string(pinned, p, sizeof(p));
	if (vi_proc_memlock(&soft, &hard) < 0)
		return vi_fail(ctx, rc, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s): pinning the "
			       "pages failed; %s asked for, %s already pinned through this context (%" PRIu64
			       " mappings); check RLIMIT_MEMLOCK (ulimit -l)", iova, len, vi_errno_name(rc), a, p, nmaps);
	size_string(soft, s, sizeof(s));
	size_string(hard, h, sizeof(h));
	return vi_fail(ctx, rc, "the kernel refused to map IOVA 0x%" PRIx64 "+0x%" PRIx64 " (%s): %s asked for, "
		       "%s already pinned through this context (%" PRIu64 " mappings). Pinned pages count against "
		       "RLIMIT_MEMLOCK, which is %s (hard limit %s) for this process, together with what is "
		       "already pinned (by the process for a VFIO container, by every process of the user for "
		       "iommufd). Raise it (ulimit -l, LimitMEMLOCK= for a systemd service, memlock in "
		       "/etc/security/limits.conf) or grant CAP_IPC_LOCK%s",
		       iova, len, vi_errno_name(rc), a, p, nmaps, s, h,
		       rc == -ENOMEM ? "; or the system is short of memory" : "");
}

int vi_fail_fd_kind(struct vfioiommu_ctx *ctx, int rc, int fd, const char *want, const char *probe)
{
	/* what each errno meant on Linux 7.2 for each kind of fd: tests/vm/FACTS.md section k */
	if (rc == -EBADF)
		return vi_fail(ctx, rc, "fd %d handed in as %s is not open (%s: EBADF); the fd is left as it was",
			       fd, want, probe);
	if (rc == -ENOTTY)
		return vi_fail(ctx, rc, "fd %d handed in as %s is not one: %s answered ENOTTY, as a regular file, a "
			       "socket, an eventfd or a VFIO/iommufd fd of another kind does; the fd is left open and "
			       "the caller's", fd, want, probe);
	if (rc == -EINVAL)
		return vi_fail(ctx, rc, "fd %d handed in as %s is not one: %s answered EINVAL, as a VFIO fd of "
			       "another kind does (a container, an unbound cdev, a group-path device fd); the fd is "
			       "left open and the caller's", fd, want, probe);
	return vi_fail(ctx, rc, "fd %d handed in as %s: %s failed with %s; the fd is left open and the caller's",
		       fd, want, probe, vi_errno_name(rc));
}

int vi_sysfs_refused(struct vfioiommu_ctx *ctx, const char *fn)
{
	if (!ctx->no_sysfs)
		return 0;
	return vi_fail(ctx, -EOPNOTSUPP, "%s needs sysfs, and this context was built from handed-in fds without a "
		       "sysfs root, so the library reads nothing under /sys: set vfioiommu_ctx_opts.sysfs_root "
		       "(\"/sys\" or a copy the process may read) to allow it", fn);
}

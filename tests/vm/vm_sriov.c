/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program (run-vm.sh --sriov): VF tokens on QEMU's SR-IOV NVMe.
 *
 * Part 1 ("FACT sriov.*", tests/vm/FACTS.md section l): raw uAPI.  VFs made
 * through sriov_numvfs of the PF (1b36:0010 on vfio-pci, booted with
 * vfio_pci.enable_sriov=1); the PF opened through its cdev and given a token
 * with VFIO_DEVICE_FEATURE(SET | PCI_VF_TOKEN); a VF opened without a token,
 * with a wrong one and with the right one, through the cdev (BIND with
 * VFIO_DEVICE_BIND_FLAG_TOKEN) and through the group ("BDF vf_token=UUID");
 * a token where none is needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "vmtest.h"

#define FEAT_GET (1u << 16)
#define FEAT_SET (1u << 17)
#define FEAT_PROBE (1u << 18)
#define FEAT_PCI_VF_TOKEN 0u

static const uint8_t tok[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x01, 0x02, 0x03,
				 0x04, 0x05, 0x06, 0x07 };
static const uint8_t bad[16] = { 0xde, 0xad };
#define TOK_STR "12345678-9abc-4def-8001-020304050607"
#define BAD_STR "dead0000-0000-0000-0000-000000000000"

static int sysw(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc;

	if (fd < 0)
		return -errno;
	rc = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static void sysr(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)n, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

static int find_pf(char *bdf, size_t n)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char p[600], v[32];

	while (d && (e = readdir(d))) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_totalvfs", e->d_name);
		if (access(p, R_OK))
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		sysr(p, v, sizeof(v));
		if (!strcmp(v, "0x0010")) {
			snprintf(bdf, n, "%.31s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	if (d)
		closedir(d);
	return -ENOENT;
}

static int link_name(const char *path, char *out, size_t n)
{
	char t[64];
	ssize_t k = readlink(path, t, sizeof(t) - 1);

	if (k <= 0)
		return -errno;
	t[k] = 0;
	snprintf(out, n, "%s", strrchr(t, '/') ? strrchr(t, '/') + 1 : t);
	return 0;
}

static int bind_tok(int cd, int ifd, const uint8_t *t, uint32_t argsz, uint32_t flags)
{
	struct kabi_vfio_device_bind_iommufd b = { .argsz = argsz, .flags = flags, .iommufd = ifd,
						   .token_uuid_ptr = (uint64_t)(uintptr_t)t };

	return vt_ioctl_val(cd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b);
}

static int feature(int fd, uint32_t flags, const uint8_t *data, size_t len)
{
	struct {
		uint32_t argsz, flags;
		uint8_t data[16];
	} f = { .argsz = (uint32_t)(8 + len), .flags = flags };

	if (data)
		memcpy(f.data, data, len);
	return vt_ioctl_val(fd, KABI_VFIO_DEVICE_FEATURE, &f);
}

/* the group path: a container with the VF's group, then GET_DEVICE_FD with name */
static void group_path(const char *vf, const char *key)
{
	char p[300], g[32], name[128];
	int cfd, gfd, dfd;
	int32_t c;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", vf);
	link_name(p, g, sizeof(g));
	snprintf(p, sizeof(p), "/dev/vfio/%s", g);
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	gfd = open(p, O_RDWR | O_CLOEXEC);
	c = cfd;
	printf("FACT sriov.%s.group.SET_CONTAINER=%s\n", key, vt_errname(vt_ioctl_val(gfd, KABI_VFIO_GROUP_SET_CONTAINER, &c)));
	printf("FACT sriov.%s.group.SET_IOMMU=%s\n", key, vt_errname(vt_ioctl_val(cfd, KABI_VFIO_SET_IOMMU, (void *)(uintptr_t)3)));
	dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, (void *)vf);
	printf("FACT sriov.%s.group.GET_DEVICE_FD[bdf]=%s\n", key, vt_errname(dfd));
	if (dfd >= 0)
		close(dfd);
	snprintf(name, sizeof(name), "%s vf_token=%s", vf, BAD_STR);
	dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, name);
	printf("FACT sriov.%s.group.GET_DEVICE_FD[wrong token]=%s\n", key, vt_errname(dfd));
	if (dfd >= 0)
		close(dfd);
	snprintf(name, sizeof(name), "%s vf_token=not-a-uuid", vf);
	dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, name);
	printf("FACT sriov.%s.group.GET_DEVICE_FD[malformed token]=%s\n", key, vt_errname(dfd));
	if (dfd >= 0)
		close(dfd);
	snprintf(name, sizeof(name), "%s vf_token=%s", vf, TOK_STR);
	dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, name);
	printf("FACT sriov.%s.group.GET_DEVICE_FD[right token]=%s\n", key, vt_errname(dfd));
	if (dfd >= 0)
		close(dfd);
	snprintf(name, sizeof(name), "%s  vf_token=%s", vf, TOK_STR);
	dfd = vt_ioctl_val(gfd, KABI_VFIO_GROUP_GET_DEVICE_FD, name);
	printf("FACT sriov.%s.group.GET_DEVICE_FD[two spaces]=%s\n", key, vt_errname(dfd));
	if (dfd >= 0)
		close(dfd);
	close(gfd);
	close(cfd);
}

static void facts(const char *nic)
{
	char pf[32], p[300], v[64], vf0[32] = "", vf1[32] = "";
	int ifd, pfd, cd, rc;

	if (find_pf(pf, sizeof(pf)) < 0) {
		printf("FACT sriov.pf=none\n");
		return;
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_totalvfs", pf);
	sysr(p, v, sizeof(v));
	printf("FACT sriov.pf=%s totalvfs=%s\n", pf, v);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", pf);
	link_name(p, v, sizeof(v));
	printf("FACT sriov.pf.driver=%s\n", v);

	/* the PF open through its cdev while VFs are created */
	ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	pfd = vt_cdev_open(pf);
	printf("FACT sriov.pf.BIND_no_token=%s\n", vt_errname(bind_tok(pfd, ifd, NULL, 16, 0)));
	printf("FACT sriov.pf.FEATURE[PROBE|VF_TOKEN]=%s\n", vt_errname(feature(pfd, FEAT_PROBE | FEAT_PCI_VF_TOKEN, NULL, 0)));
	printf("FACT sriov.pf.FEATURE[GET|VF_TOKEN]=%s\n", vt_errname(feature(pfd, FEAT_GET | FEAT_PCI_VF_TOKEN, NULL, 16)));
	printf("FACT sriov.pf.FEATURE[SET|VF_TOKEN,len 8]=%s\n", vt_errname(feature(pfd, FEAT_SET | FEAT_PCI_VF_TOKEN, tok, 8)));
	printf("FACT sriov.pf.FEATURE[SET|VF_TOKEN]=%s\n", vt_errname(feature(pfd, FEAT_SET | FEAT_PCI_VF_TOKEN, tok, 16)));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	printf("FACT sriov.pf.numvfs=2(PF open)=%s\n", vt_errname(rc = sysw(p, "2")));
	usleep(300000);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn0", pf);
	link_name(p, vf0, sizeof(vf0));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn1", pf);
	link_name(p, vf1, sizeof(vf1));
	printf("FACT sriov.vfs=%s %s\n", vf0, vf1);
	if (!vf0[0])
		return;
	for (int i = 0; i < 30; i++) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", vf1);
		if (!access(p, F_OK))
			break;
		usleep(100000);
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", vf0);
	v[0] = 0;
	link_name(p, v, sizeof(v));
	printf("FACT sriov.vf.driver=%s\n", v);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/physfn", vf0);
	link_name(p, v, sizeof(v));
	printf("FACT sriov.vf.physfn=%s\n", v);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", vf0);
	link_name(p, v, sizeof(v));
	printf("FACT sriov.vf0.group=%s\n", v);

	/* the cdev path */
	{
		int i2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		cd = vt_cdev_open(vf0);
		printf("FACT sriov.vf.cdev.BIND_no_token=%s\n", vt_errname(bind_tok(cd, i2, NULL, 16, 0)));
		printf("FACT sriov.vf.cdev.BIND_wrong_token=%s\n", vt_errname(bind_tok(cd, i2, bad, 24, 1)));
		printf("FACT sriov.vf.cdev.BIND_token_flag_argsz16=%s\n", vt_errname(bind_tok(cd, i2, tok, 16, 1)));
		printf("FACT sriov.vf.cdev.BIND_token_NULL_ptr=%s\n", vt_errname(bind_tok(cd, i2, NULL, 24, 1)));
		printf("FACT sriov.vf.cdev.BIND_argsz24_no_flag=%s\n", vt_errname(bind_tok(cd, i2, tok, 24, 0)));
		printf("FACT sriov.vf.cdev.BIND_right_token=%s\n", vt_errname(bind_tok(cd, i2, tok, 24, 1)));
		/*
		 * Not probed: writing 0 to sriov_numvfs while a VF is open blocks the writer until the VF's user
		 * closes it (the kernel asks through the device's REQ interrupt and waits; measured: still
		 * blocked after 250 s).
		 */
		close(cd);
		close(i2);
	}
	group_path(vf1, "vf1");
	/* a token where none is needed: the NIC (not SR-IOV) on both paths */
	{
		int i2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		cd = vt_cdev_open(nic);
		printf("FACT sriov.nic.cdev.BIND_with_token=%s\n", vt_errname(bind_tok(cd, i2, tok, 24, 1)));
		printf("FACT sriov.nic.cdev.BIND_no_token=%s\n", vt_errname(bind_tok(cd, i2, NULL, 16, 0)));
		printf("FACT sriov.nic.FEATURE[PROBE|VF_TOKEN]=%s\n", vt_errname(feature(cd, FEAT_PROBE | FEAT_PCI_VF_TOKEN, NULL, 0)));
		printf("FACT sriov.nic.FEATURE[SET|VF_TOKEN]=%s\n", vt_errname(feature(cd, FEAT_SET | FEAT_PCI_VF_TOKEN, tok, 16)));
		close(cd);
		close(i2);
		group_path(nic, "nic");
	}
	/* the PF closed: does the token still gate the VFs? */
	close(pfd);
	close(ifd);
	{
		int i2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		cd = vt_cdev_open(vf0);
		printf("FACT sriov.pf_closed.vf.BIND_no_token=%s\n", vt_errname(bind_tok(cd, i2, NULL, 16, 0)));
		printf("FACT sriov.pf_closed.vf.BIND_right_token=%s\n", vt_errname(bind_tok(cd, i2, tok, 24, 1)));
		close(cd);
		close(i2);
	}
	/* PF reopened: the token it had, and setting another while no VF is open */
	ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	pfd = vt_cdev_open(pf);
	printf("FACT sriov.pf_reopen.BIND_no_token=%s\n", vt_errname(bind_tok(pfd, ifd, NULL, 16, 0)));
	printf("FACT sriov.pf_reopen.FEATURE[SET|VF_TOKEN]=%s\n", vt_errname(feature(pfd, FEAT_SET | FEAT_PCI_VF_TOKEN, bad, 16)));
	{
		int i2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		cd = vt_cdev_open(vf0);
		printf("FACT sriov.after_reset.vf.BIND_old_token=%s\n", vt_errname(bind_tok(cd, i2, tok, 24, 1)));
		printf("FACT sriov.after_reset.vf.BIND_new_token=%s\n", vt_errname(bind_tok(cd, i2, bad, 24, 1)));
		/* a VF open: setting the token again */
		printf("FACT sriov.vf_open.pf.FEATURE[SET|VF_TOKEN]=%s\n",
		       vt_errname(feature(pfd, FEAT_SET | FEAT_PCI_VF_TOKEN, tok, 16)));
		close(cd);
		close(i2);
	}
	close(pfd);
	close(ifd);
	/* the PF bound through its cdev with a token: the PF's own "users" rule */
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	printf("FACT sriov.pf.numvfs=0(PF closed)=%s\n", vt_errname(sysw(p, "0")));
	printf("FACT sriov.pf.numvfs=2(PF closed)=%s\n", vt_errname(sysw(p, "2")));
	printf("FACT sriov.pf.numvfs=1(while 2)=%s\n", vt_errname(sysw(p, "1")));
	printf("FACT sriov.pf.numvfs=3(above total)=%s\n", vt_errname(sysw(p, "3")));
	printf("FACT sriov.pf.numvfs=0(end)=%s\n", vt_errname(sysw(p, "0")));
}

/* ---------------------------------------------------------------- the library */

static vfioiommu_ctx *ctx_mode(enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode };
	vfioiommu_ctx *ctx = NULL;

	return vfioiommu_ctx_new(&o, &ctx) == 0 ? ctx : NULL;
}

static void wait_cdev(const char *bdf)
{
	char p[300];

	for (int i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
		if (!access(p, F_OK))
			return;
		usleep(100000);
	}
}

static void vf_paths(const char *vf, enum vfioiommu_mode mode, const char *tag, const uint8_t *t, const uint8_t *b)
{
	vfioiommu_ctx *ctx = ctx_mode(mode);
	struct vfioiommu_open_opts o = { .size = sizeof(o) };
	vfioiommu_device *dev = NULL;
	static char buf[65536] __attribute__((aligned(4096)));
	uint64_t iova;
	char name[96];
	int rc;

	rc = vfioiommu_device_open(ctx, vf, &dev);
	snprintf(name, sizeof(name), "sriov.%s.no_token_refused", tag);
	vt_result(rc == -EACCES && strstr(vfioiommu_strerror(ctx), "open it with the PF's VF token"), name,
		  "rc %d: %s", rc, vfioiommu_strerror(ctx));
	o.vf_token = b;
	rc = vfioiommu_device_open_with(ctx, vf, &o, &dev);
	snprintf(name, sizeof(name), "sriov.%s.wrong_token_refused", tag);
	vt_result(rc == -EACCES && strstr(vfioiommu_strerror(ctx), "not the one its PF's user set"), name,
		  "rc %d: %s", rc, vfioiommu_strerror(ctx));
	o.vf_token = t;
	rc = vfioiommu_device_open_with(ctx, vf, &o, &dev);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, sizeof(buf), VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	snprintf(name, sizeof(name), "sriov.%s.right_token_opens", tag);
	vt_result(rc == 0, name, "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
}

static void lib(const char *nic)
{
	char pf[32], vf0[64] = "", vf1[64] = "", p[300];
	uint8_t t[16], b[16];
	vfioiommu_ctx *ctx;
	vfioiommu_device *pfd = NULL, *d = NULL;
	struct vfioiommu_verdict v;
	struct vfioiommu_open_opts o = { .size = sizeof(o) };
	int rc;

	if (find_pf(pf, sizeof(pf)) < 0) {
		vt_result(false, "sriov.pf", "no SR-IOV NVMe PF (run-vm.sh --sriov)");
		return;
	}
	vt_result(vfioiommu_uuid_parse(TOK_STR, t) == 0 && vfioiommu_uuid_parse(BAD_STR, b) == 0 &&
		  !memcmp(t, tok, 16), "sriov.uuid_parse", "parsed bytes differ");
	ctx = ctx_mode(VFIOIOMMU_MODE_IOMMUFD);
	rc = vfioiommu_device_open(ctx, pf, &pfd);
	if (rc == 0)
		rc = vfioiommu_device_set_vf_token(pfd, t);
	vt_result(rc == 0, "sriov.pf_token_set", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_sriov_set_numvfs(ctx, pf, 3);
	vt_result(rc == -ERANGE, "sriov.numvfs_above_total", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_sriov_set_numvfs(ctx, pf, 2);
	vt_result(rc == 0, "sriov.numvfs_2", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_sriov_set_numvfs(ctx, pf, 1);
	vt_result(rc == -EBUSY && strstr(vfioiommu_strerror(ctx), "write 0 first"), "sriov.numvfs_busy", "rc %d: %s",
		  rc, vfioiommu_strerror(ctx));
	rc = vfioiommu_sriov_set_numvfs(ctx, nic, 1);
	vt_result(rc == -ENODEV, "sriov.numvfs_not_a_pf", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn0", pf);
	link_name(p, vf0, sizeof(vf0));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn1", pf);
	link_name(p, vf1, sizeof(vf1));
	wait_cdev(vf0);
	wait_cdev(vf1);
	rc = vfioiommu_verdict_device(ctx, vf0, &v);
	vt_result(rc == 0 && v.kind == VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN && !strcmp(v.culprit, pf), "sriov.verdict",
		  "rc %d kind %s culprit %s: %s", rc, vfioiommu_verdict_name(v.kind), v.culprit, v.reason);
	rc = vfioiommu_verdict_device(ctx, nic, &v);
	vt_result(rc == 0 && v.kind == VFIOIOMMU_VERDICT_ASSIGNABLE, "sriov.verdict_nic", "rc %d kind %s", rc,
		  vfioiommu_verdict_name(v.kind));
	vf_paths(vf0, VFIOIOMMU_MODE_IOMMUFD, "cdev", t, b);
	vf_paths(vf1, VFIOIOMMU_MODE_CONTAINER, "group", t, b);
	/* a token where none is needed, both paths */
	{
		vfioiommu_ctx *c2 = ctx_mode(VFIOIOMMU_MODE_CONTAINER);

		o.vf_token = t;
		rc = vfioiommu_device_open_with(c2, nic, &o, &d);
		vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(c2), "needs none"), "sriov.group.token_not_needed",
			  "rc %d: %s", rc, vfioiommu_strerror(c2));
		vfioiommu_ctx_destroy(c2);
		c2 = ctx_mode(VFIOIOMMU_MODE_IOMMUFD);
		rc = vfioiommu_device_open_with(c2, nic, &o, &d);
		vt_result(rc == -EINVAL && strstr(vfioiommu_strerror(c2), "needs no token"), "sriov.cdev.token_not_needed",
			  "rc %d: %s", rc, vfioiommu_strerror(c2));
		vfioiommu_ctx_destroy(c2);
	}
	rc = vfioiommu_sriov_set_numvfs(ctx, pf, 0);
	vt_result(rc == 0, "sriov.numvfs_0", "rc %d: %s", rc, vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
}

int main(void)
{
	const char *b = getenv("VFIOIOMMU_VM_BDFS");
	char nic[32];

	if (!b || sscanf(b, "%31s", nic) != 1) {
		printf("no device\n");
		return 77;
	}
	facts(nic);
	lib(nic);
	printf("%u passed, %u failed\n", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}

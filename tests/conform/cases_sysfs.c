/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* What sysfs says about the NICs and their groups (FACTS.md section g). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"
#include "iova/internal.h"

static ssize_t sread(struct cf_t *t, char *buf, size_t n, const char *path)
{
	return t->door->sysfs_read(t->door->priv, path, buf, n);
}

static void expect_text(struct cf_t *t, const char *path, const char *expected)
{
	char buf[1024];
	ssize_t len = sread(t, buf, sizeof(buf), path);

	if (len < 0) {
		cf_rc(t, path, 0, (int)len);
		return;
	}
	if (strcmp(buf, expected))
		cf_fail(t, "%s: expected \"%s\" got \"%s\"", path, expected, buf);
}

/* Each NIC is where FACTS measured it: BDF, group, driver, ids. */
static void devices(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	char path[256], link[256];

	cf_val(t, "number of NICs bound to vfio-pci", (long long)tp->ndev, (long long)t->h->ndev);
	for (size_t i = 0; i < t->h->ndev && i < tp->ndev; i++) {
		const struct cf_dev *d = &t->h->dev[i];
		ssize_t len;

		if (strcmp(d->bdf, tp->bdfs[i]))
			cf_fail(t, "NIC %zu: expected %s got %s", i, tp->bdfs[i], d->bdf);
		snprintf(path, sizeof(path), "group of %s", d->bdf);
		cf_val(t, path, tp->groups[i], d->group);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", d->bdf);
		len = t->door->readlink(t->door->priv, path, link, sizeof(link));
		if (cf_rc(t, path, 0, (int)len) && (!strrchr(link, '/') || strcmp(strrchr(link, '/') + 1, "vfio-pci")))
			cf_fail(t, "%s: expected .../vfio-pci got %s", path, link);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d->bdf);
		expect_text(t, path, "0x8086\n");
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", d->bdf);
		expect_text(t, path, "0x10d3\n");
		/* devices are listed in BDF order, and cdevs are numbered in bind order */
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%zu", i);
		if (strcmp(d->cdev, path))
			cf_fail(t, "cdev of %s: expected %s got %s", d->bdf, path, d->cdev);
		cf_rc(t, d->cdev, 0, t->door->exists(t->door->priv, d->cdev));
		snprintf(path, sizeof(path), "/dev/vfio/%u", d->group);
		cf_rc(t, path, 0, t->door->exists(t->door->priv, path));
	}
	(void)arg;
}

/* reserved_regions and type of every NIC group. */
static void groups(struct cf_t *t, unsigned long arg)
{
	char path[256];

	for (size_t i = 0; i < t->h->ndev; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/reserved_regions", t->h->dev[i].group);
		expect_text(t, path, t->h->topo->resv_text);
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/type", t->h->dev[i].group);
		expect_text(t, path, t->h->topo->group_type);
	}
	(void)arg;
}

static int take_first_vfio(void *arg, const char *name)
{
	if (strncmp(name, "vfio", 4))
		return 0;
	snprintf(arg, 32, "%s", name);
	return 1;
}

/*
 * The ICH9 LPC group (ISA bridge, AHCI, SMBus): its reserved_regions (on
 * intel the floppy workaround's 16 MiB direct-relaxable region), its type,
 * where each function is and which driver guest-init.sh left it on, and
 * the group node and cdev that exist only when a function is on vfio-pci.
 */
static void lpc_group(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	char path[256], link[256], want[64], cdev[32] = "";
	ssize_t len;
	int rc;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/reserved_regions", tp->lpc_group);
	expect_text(t, path, tp->lpc_resv_text);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/type", tp->lpc_group);
	expect_text(t, path, tp->group_type);
	for (size_t i = 0; i < CF_LPC_NDEV; i++) {
		const char *bdf = cf_lpc_bdfs[i], *drv = tp->lpc_drivers[i];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
		len = t->door->readlink(t->door->priv, path, link, sizeof(link));
		snprintf(want, sizeof(want), "%u", tp->lpc_group);
		if (cf_rc(t, path, 0, (int)len) && (!strrchr(link, '/') || strcmp(strrchr(link, '/') + 1, want)))
			cf_fail(t, "%s: expected .../%s got %s", path, want, link);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
		expect_text(t, path, "0x8086\n");
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
		snprintf(want, sizeof(want), "%s\n", cf_lpc_device_ids[i]);
		expect_text(t, path, want);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
		len = t->door->readlink(t->door->priv, path, link, sizeof(link));
		if (!drv[0])
			cf_rc(t, path, -ENOENT, (int)len);
		else if (cf_rc(t, path, 0, (int)len) && (!strrchr(link, '/') || strcmp(strrchr(link, '/') + 1, drv)))
			cf_fail(t, "%s: expected .../%s got %s", path, drv, link);
	}
	snprintf(path, sizeof(path), "/dev/vfio/%u", tp->lpc_group);
	cf_rc(t, path, tp->lpc_smbus_cdev ? 0 : -ENOENT, t->door->exists(t->door->priv, path));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", cf_lpc_bdfs[2]);
	rc = t->door->listdir(t->door->priv, path, take_first_vfio, cdev);
	if (tp->lpc_smbus_cdev) {
		/* after the NICs: their cdevs keep vfio0..vfioN-1 */
		if (cf_rc(t, path, 0, rc)) {
			snprintf(link, sizeof(link), "/dev/vfio/devices/%s", cdev);
			if (strcmp(link, tp->lpc_smbus_cdev))
				cf_fail(t, "cdev of %s: expected %s got %s", cf_lpc_bdfs[2], tp->lpc_smbus_cdev, link);
			cf_rc(t, tp->lpc_smbus_cdev, 0, t->door->exists(t->door->priv, tp->lpc_smbus_cdev));
		}
	} else if (rc != -ENOENT && (rc < 0 || cdev[0])) {
		cf_fail(t, "%s: expected no vfioN entry (ENOENT) got rc %d entry \"%s\"", path, rc, cdev);
	}
	(void)arg;
}

/* The device nodes every backend starts from. */
static void nodes(struct cf_t *t, unsigned long arg)
{
	cf_rc(t, "/dev/vfio/vfio", 0, t->door->exists(t->door->priv, "/dev/vfio/vfio"));
	cf_rc(t, "/dev/iommu", 0, t->door->exists(t->door->priv, "/dev/iommu"));
	(void)arg;
}

/*
 * The IOMMU behind each NIC and the address width its sysfs attributes give
 * (lib/iova/aperture.c, what vfioiommu-diag predicts with): the aperture the
 * kernel's IOVA ranges end at (intel-iommu/cap MGAW 39; amd-iommu/features
 * HATS 2 / GATS 2 -> 48 on QEMU, which Linux 7.2 also gives; a virtio-iommu
 * is named after its PCI function and no attribute gives its width: 0).
 */
static void iommu_width(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = t->door };
	const char *want_name = tp->iommu_name;
	unsigned int want_bits = tp->iommu_bits;
	vfioiommu_ctx *ctx = NULL;
	char name[64], what[128];

	if (!cf_rc(t, "vfioiommu_ctx_new", 0, vfioiommu_ctx_new(&o, &ctx)))
		return;
	for (size_t i = 0; i < t->h->ndev; i++) {
		struct vi_iommu_width w;

		snprintf(what, sizeof(what), "the iommu link of %s", t->h->dev[i].bdf);
		if (!cf_rc(t, what, 0, vi_device_iommu(ctx, t->h->dev[i].bdf, name, sizeof(name))))
			continue;
		if (strcmp(name, want_name))
			cf_fail(t, "%s: expected %s got %s", what, want_name, name);
		snprintf(what, sizeof(what), "the address width of %s", name);
		if (cf_rc(t, what, 0, vi_iommu_width(ctx, name, &w))) {
			cf_val(t, what, want_bits, w.bits);
			/* no width: because no attribute says it, not because one could not be read */
			if (!want_bits && strncmp(w.how, "no attribute", 12))
				cf_fail(t, "%s: expected \"no attribute ...\" got \"%s\"", what, w.how);
		}
	}
	vfioiommu_ctx_destroy(ctx);
	(void)arg;
}

const struct cf_case cf_cases_sysfs[] = {
	{ "sysfs.devices", devices, 0, 0, NULL, NULL },
	{ "sysfs.groups", groups, 0, 0, NULL, NULL },
	{ "sysfs.lpc_group", lpc_group, 0, 0, NULL, NULL },
	{ "sysfs.nodes", nodes, 0, 0, NULL, NULL },
	{ "sysfs.iommu_width", iommu_width, 0, 0, NULL, NULL },
};
const size_t cf_ncases_sysfs = sizeof(cf_cases_sysfs) / sizeof(cf_cases_sysfs[0]);

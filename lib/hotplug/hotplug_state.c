/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The hotplug monitor's picture of the kernel, and reading it from sysfs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotplug_state.h"

void vi_hp_state_free(struct vi_hp_state *st)
{
	free(st->dev);
	free(st->grp);
	memset(st, 0, sizeof(*st));
}

struct vi_hp_dev *vi_hp_dev_find(const struct vi_hp_state *st, const char *bdf)
{
	for (size_t i = 0; i < st->ndev; i++)
		if (!strcmp(st->dev[i].bdf, bdf))
			return &st->dev[i];
	return NULL;
}

struct vi_hp_dev *vi_hp_dev_add(struct vi_hp_state *st, const char *bdf, int group)
{
	struct vi_hp_dev *d = realloc(st->dev, (st->ndev + 1) * sizeof(*d));

	if (!d)
		return NULL;
	st->dev = d;
	d = &st->dev[st->ndev++];
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->group = group;
	d->cdev = -1;
	return d;
}

void vi_hp_dev_del(struct vi_hp_state *st, struct vi_hp_dev *d)
{
	*d = st->dev[--st->ndev];
}

struct vi_hp_group *vi_hp_group_find(const struct vi_hp_state *st, int num)
{
	for (size_t i = 0; i < st->ngrp; i++)
		if (st->grp[i].num == num)
			return &st->grp[i];
	return NULL;
}

int vi_hp_group_add(struct vi_hp_state *st, int num, bool noiommu)
{
	struct vi_hp_group *g = realloc(st->grp, (st->ngrp + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	st->grp = g;
	st->grp[st->ngrp++] = (struct vi_hp_group){ num, noiommu };
	return 0;
}

void vi_hp_group_del(struct vi_hp_state *st, struct vi_hp_group *g)
{
	*g = st->grp[--st->ngrp];
}

int vi_hp_read_group(struct vfioiommu_ctx *ctx, const char *bdf, int *group)
{
	unsigned int g;
	int rc = vi_sysfs_device_group(ctx, bdf, &g);

	*group = -1;
	/* gone, or no IOMMU (no link), or a link we cannot read as a number: not a group */
	if (rc == -ENOENT || rc == -EPROTO)
		return 0;
	if (rc < 0)
		return rc;
	if (g <= (unsigned int)0x7fffffff)
		*group = (int)g;
	return 0;
}

int vi_hp_read_seqnum(struct vfioiommu_ctx *ctx, uint64_t *seqnum)
{
	char buf[32], *end;
	ssize_t rc = vi_sysfs_read(ctx, buf, sizeof(buf), "kernel/uevent_seqnum");

	*seqnum = 0;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "hotplug: reading the uevent sequence number: %s", vi_sysfs_errstr((int)rc));
	errno = 0;
	*seqnum = strtoull(buf, &end, 10);
	/* unreadable: filter nothing rather than everything */
	if (errno || end == buf || (*end && *end != '\n'))
		*seqnum = 0;
	return 0;
}

/* ---------------- scan ---------------- */

struct names {
	char (*v)[VI_UEVENT_NAME_MAX];
	size_t n;
	int err;
};

static int collect_bdf(void *arg, const char *name)
{
	struct names *nm = arg;
	size_t len = strlen(name);
	char (*v)[VI_UEVENT_NAME_MAX];

	if (!vi_uevent_is_bdf(name, len))
		return 0;
	v = realloc(nm->v, (nm->n + 1) * sizeof(*v));
	if (!v) {
		nm->err = -ENOMEM;
		return -ENOMEM;
	}
	nm->v = v;
	memcpy(nm->v[nm->n++], name, len + 1);
	return 0;
}

struct cdev_find {
	int idx;
};

static int take_cdev(void *arg, const char *name)
{
	struct cdev_find *cf = arg;
	char *end;
	unsigned long v;

	if (strncmp(name, "vfio", 4) || !name[4] || name[4] < '0' || name[4] > '9')
		return 0;
	v = strtoul(name + 4, &end, 10);
	if (*end || v > 0x7fffffffUL)
		return 0;
	cf->idx = (int)v;
	return 1;
}

/*
 * One PCI device: added to out when bound to a VFIO driver.  Every read
 * tolerates -ENOENT (the device left while we looked) and nothing else.
 */
static int scan_device(struct vfioiommu_ctx *ctx, const char *bdf, struct vi_hp_state *out)
{
	char drv[VI_UEVENT_DRIVER_MAX];
	struct cdev_find cf = { -1 };
	struct vi_hp_dev *d;
	int group, rc;

	rc = vi_sysfs_device_driver(ctx, bdf, drv, sizeof(drv));
	if (rc < 0)
		return vi_fail(ctx, rc, "hotplug: reading the driver of %s: %s", bdf, vi_sysfs_errstr(rc));
	if (!vi_driver_is_vfio(drv))
		return 0;
	rc = vi_hp_read_group(ctx, bdf, &group);
	if (rc < 0)
		return vi_fail(ctx, rc, "hotplug: reading the IOMMU group of %s: %s", bdf, vi_sysfs_errstr(rc));
	rc = vi_sysfs_listdir(ctx, take_cdev, &cf, "bus/pci/devices/%s/vfio-dev", bdf);
	if (rc < 0 && rc != -ENOENT)
		return vi_fail(ctx, rc, "hotplug: reading the VFIO cdev of %s: %s", bdf, vi_sysfs_errstr(rc));
	d = vi_hp_dev_add(out, bdf, group);
	if (!d)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	snprintf(d->driver, sizeof(d->driver), "%s", drv);
	d->cdev = cf.idx;
	return 0;
}

/* The group's node: /dev/vfio/N, or /dev/vfio/noiommu-N, or none (a kernel without VFIO_GROUP). */
static int scan_group(struct vfioiommu_ctx *ctx, int num, struct vi_hp_state *out)
{
	char path[64];
	int rc;

	if (num < 0 || vi_hp_group_find(out, num))
		return 0;
	snprintf(path, sizeof(path), "/dev/vfio/%d", num);
	rc = vi_kexists(ctx, path);
	if (rc == -ENOENT) {
		snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", num);
		rc = vi_kexists(ctx, path);
		if (rc == 0)
			rc = vi_hp_group_add(out, num, true);
		else if (rc == -ENOENT)
			return 0;
	} else if (rc == 0) {
		rc = vi_hp_group_add(out, num, false);
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "hotplug: checking %s: %s", path, vi_errno_name(rc));
	return 0;
}

int vi_hp_scan(struct vfioiommu_ctx *ctx, struct vi_hp_state *out)
{
	struct names nm = { NULL, 0, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vi_sysfs_listdir(ctx, collect_bdf, &nm, "bus/pci/devices");
	if (nm.err)
		rc = nm.err;
	if (rc < 0) {
		free(nm.v);
		return vi_fail(ctx, rc, "hotplug: listing %s/bus/pci/devices: %s", ctx->sysfs_root,
			       vi_errno_name(rc));
	}
	/* the door may hold a lock during listdir: read each device only after the listing */
	for (size_t i = 0; i < nm.n && rc == 0; i++)
		rc = scan_device(ctx, nm.v[i], out);
	for (size_t i = 0; i < out->ndev && rc == 0; i++)
		rc = scan_group(ctx, out->dev[i].group, out);
	free(nm.v);
	if (rc < 0)
		vi_hp_state_free(out);
	return rc;
}

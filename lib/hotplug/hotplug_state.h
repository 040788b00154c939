/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the hotplug monitor believes the kernel has: VFIO group nodes and the
 * PCI devices it has seen bound to a VFIO driver (kept, unbound, until they
 * leave the system, so a later removal can still say which group they were
 * in).  Read from sysfs at start and on resync; kept up to date by uevents.
 */
#ifndef VI_HOTPLUG_STATE_H
#define VI_HOTPLUG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "uevent.h"

struct vi_hp_dev {
	char bdf[VI_UEVENT_NAME_MAX];
	char driver[VI_UEVENT_DRIVER_MAX]; /* the VFIO driver; "" = not bound to one */
	int group;                         /* -1 unknown */
	int cdev;                          /* -1 none */
};

struct vi_hp_group {
	int num;
	bool noiommu;
};

struct vi_hp_state {
	struct vi_hp_dev *dev;
	size_t ndev;
	struct vi_hp_group *grp;
	size_t ngrp;
};

void vi_hp_state_free(struct vi_hp_state *st);
struct vi_hp_dev *vi_hp_dev_find(const struct vi_hp_state *st, const char *bdf);
/* A new entry (driver "", cdev -1) or NULL on ENOMEM; pointers into st->dev move. */
struct vi_hp_dev *vi_hp_dev_add(struct vi_hp_state *st, const char *bdf, int group);
void vi_hp_dev_del(struct vi_hp_state *st, struct vi_hp_dev *d);
struct vi_hp_group *vi_hp_group_find(const struct vi_hp_state *st, int num);
int vi_hp_group_add(struct vi_hp_state *st, int num, bool noiommu);
void vi_hp_group_del(struct vi_hp_state *st, struct vi_hp_group *g);

/*
 * Read the state from sysfs (PCI devices bound to a VFIO driver, their
 * groups and cdevs) and /dev (which group nodes exist), all through the
 * door.  A device that vanishes while being read is skipped; any other
 * failure is returned with ctx's message set.
 */
int vi_hp_scan(struct vfioiommu_ctx *ctx, struct vi_hp_state *out);
/*
 * The kernel's last uevent SEQNUM (/sys/kernel/uevent_seqnum), read before a
 * scan: a queued uevent at or below it is already in what the scan sees.
 * 0 when the kernel does not say.
 */
int vi_hp_read_seqnum(struct vfioiommu_ctx *ctx, uint64_t *seqnum);
/* The device's IOMMU group from sysfs; -1 when it has none or is gone, or a negative errno. */
int vi_hp_read_group(struct vfioiommu_ctx *ctx, const char *bdf, int *group);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The kernel's uevent messages (NETLINK_KOBJECT_UEVENT), parsed without
 * touching anything: "ACTION@DEVPATH\0KEY=VALUE\0...KEY=VALUE\0".  Only what
 * the hotplug monitor needs is kept; everything else is checked for shape
 * and dropped.
 */
#ifndef VI_UEVENT_H
#define VI_UEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

/* The kernel builds a message from a 2048-byte env buffer plus "action@devpath": 16 KiB is ample. */
#define VI_UEVENT_MAX 16384
#define VI_UEVENT_NAME_MAX 24   /* a PCI address with a 4..8 digit domain */
#define VI_UEVENT_DRIVER_MAX 64

enum vi_uev_action {
	VI_UEV_ACT_OTHER = 0, /* change, move, online, offline: nothing VFIO cares about */
	VI_UEV_ACT_ADD,
	VI_UEV_ACT_REMOVE,
	VI_UEV_ACT_BIND,
	VI_UEV_ACT_UNBIND,
};

enum vi_uev_what {
	VI_UEV_IGNORE = 0, /* well formed, about something else */
	VI_UEV_PCI,        /* SUBSYSTEM=pci: a PCI function (bdf) */
	VI_UEV_GROUP,      /* SUBSYSTEM=vfio: /dev/vfio/N (group) */
	VI_UEV_CDEV,       /* SUBSYSTEM=vfio-dev: /dev/vfio/devices/vfioN (cdev) of PCI function bdf */
};

struct vi_uevent {
	enum vi_uev_action action;
	enum vi_uev_what what;
	char bdf[VI_UEVENT_NAME_MAX];
	char driver[VI_UEVENT_DRIVER_MAX]; /* DRIVER=, "" when absent (always absent on unbind) */
	int group;                         /* VI_UEV_GROUP */
	bool noiommu;                      /* VI_UEV_GROUP: /dev/vfio/noiommu-N */
	int cdev;                          /* VI_UEV_CDEV */
	uint64_t seqnum;                   /* SEQNUM=, 0 when absent */
};

/*
 * 0 with *out filled (out->what may be VI_UEV_IGNORE); -EINVAL when buf is
 * not a kernel uevent (e says why: no final NUL, no '@', no ACTION, a
 * header that disagrees with ACTION/DEVPATH, a field without '=', a repeated
 * key, an over-long message, a udev "libudev" message, ...).
 */
int vi_uevent_parse(const void *buf, size_t len, struct vi_uevent *out, struct vi_err *e);

/* "0000:00:03.0" with a 4..8 hex digit domain, lower-case: the names the PCI core gives. */
bool vi_uevent_is_bdf(const char *s, size_t len);

#endif

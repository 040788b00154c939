/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The hotplug monitor: uevents in, typed events out.
 *
 * Every event goes through one queue.  Start-up and resyncs queue the
 * differences between two pictures of the kernel (hotplug_state.h); a uevent
 * queues what it changes in the picture, and nothing when it changes nothing.
 *
 * A uevent still queued from before a scan must not be applied on top of it:
 * after an overrun the socket may hold an unbind whose rebind was dropped,
 * and applying it would leave the picture wrong for good.  So each scan is
 * preceded by reading /sys/kernel/uevent_seqnum (Linux bumps it before it
 * sends, and changes the device before it bumps it), and uevents at or
 * below that number are skipped.  Those above it may already be in the scan
 * too; applying them again is harmless because they change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/hotplug.h>

#include "config.h"
#include "core/internal.h"
#include "hotplug_state.h"
#include "uevent.h"

/* messages read per dispatch call, so a uevent storm does not starve the caller's loop */
#define DISPATCH_BUDGET 256

struct vfioiommu_hotplug {
	struct vfioiommu_ctx *ctx;
	int fd;
	struct vi_hp_state st;
	struct vfioiommu_hotplug_event *q;
	size_t qhead, qlen, qcap;
	bool resync;   /* the picture may be wrong: re-read sysfs before the next uevent */
	uint64_t horizon; /* uevents with a SEQNUM up to this are already in the picture */
	unsigned char buf[VI_UEVENT_MAX];
};

VFIOIOMMU_API const char *vfioiommu_hotplug_kind_name(enum vfioiommu_hotplug_kind kind)
{
	switch (kind) {
	case VFIOIOMMU_HOTPLUG_GROUP_ADDED: return "group-added";
	case VFIOIOMMU_HOTPLUG_GROUP_REMOVED: return "group-removed";
	case VFIOIOMMU_HOTPLUG_DEVICE_BOUND: return "device-bound";
	case VFIOIOMMU_HOTPLUG_DEVICE_UNBOUND: return "device-unbound";
	case VFIOIOMMU_HOTPLUG_CDEV_ADDED: return "cdev-added";
	case VFIOIOMMU_HOTPLUG_CDEV_REMOVED: return "cdev-removed";
	case VFIOIOMMU_HOTPLUG_DEVICE_ADDED: return "device-added";
	case VFIOIOMMU_HOTPLUG_DEVICE_REMOVED: return "device-removed";
	case VFIOIOMMU_HOTPLUG_RESYNC: return "resync";
	}
	return "unknown";
}

/* ---------------- the queue ---------------- */

static struct vfioiommu_hotplug_event *push(struct vfioiommu_hotplug *mon, enum vfioiommu_hotplug_kind kind,
					    unsigned int flags, uint64_t seqnum)
{
	struct vfioiommu_hotplug_event *ev;

	if (mon->qlen == mon->qcap) {
		size_t cap = mon->qcap ? mon->qcap * 2 : 32;
		ev = realloc(mon->q, cap * sizeof(*ev));
		if (!ev)
			return NULL;
		mon->q = ev;
		mon->qcap = cap;
	}
	ev = &mon->q[mon->qlen++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->flags = flags;
	ev->seqnum = seqnum;
	ev->group = -1;
	ev->cdev = -1;
	return ev;
}

static int push_dev(struct vfioiommu_hotplug *mon, enum vfioiommu_hotplug_kind kind, unsigned int flags,
		    uint64_t seqnum, const struct vi_hp_dev *d, const char *driver)
{
	struct vfioiommu_hotplug_event *ev = push(mon, kind, flags, seqnum);

	if (!ev)
		return -ENOMEM;
	snprintf(ev->bdf, sizeof(ev->bdf), "%s", d->bdf);
	snprintf(ev->driver, sizeof(ev->driver), "%s", driver);
	ev->group = d->group;
	ev->cdev = d->cdev;
	if ((kind == VFIOIOMMU_HOTPLUG_CDEV_ADDED || kind == VFIOIOMMU_HOTPLUG_CDEV_REMOVED) && d->cdev >= 0)
		snprintf(ev->devnode, sizeof(ev->devnode), "/dev/vfio/devices/vfio%d", d->cdev);
	return 0;
}

static int push_group(struct vfioiommu_hotplug *mon, enum vfioiommu_hotplug_kind kind, unsigned int flags,
		      uint64_t seqnum, const struct vi_hp_group *g)
{
	struct vfioiommu_hotplug_event *ev = push(mon, kind, flags | (g->noiommu ? VFIOIOMMU_HOTPLUG_F_NOIOMMU : 0),
						  seqnum);

	if (!ev)
		return -ENOMEM;
	ev->group = g->num;
	snprintf(ev->devnode, sizeof(ev->devnode), "/dev/vfio/%s%d", g->noiommu ? "noiommu-" : "", g->num);
	return 0;
}

/* ---------------- pictures: start-up and resync ---------------- */

/* old's devices that left; the ones still there are carried into now, unbound */
static int diff_gone(struct vfioiommu_hotplug *mon, const struct vi_hp_state *old, struct vi_hp_state *now,
		     unsigned int fl)
{
	for (size_t i = 0; i < old->ndev; i++) {
		const struct vi_hp_dev *o = &old->dev[i];
		struct vi_hp_dev *n;
		int rc;

		if (vi_hp_dev_find(now, o->bdf))
			continue;
		rc = vi_sysfs_exists(mon->ctx, "bus/pci/devices/%s", o->bdf);
		if (rc == -ENOENT) {
			struct vi_hp_dev gone = *o;
			gone.cdev = -1;
			if (push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_REMOVED, fl, 0, &gone, "") < 0)
				return -ENOMEM;
			continue;
		}
		if (rc < 0)
			return vi_fail(mon->ctx, rc, "hotplug: checking whether %s is still there: %s", o->bdf,
				       vi_errno_name(rc));
		n = vi_hp_dev_add(now, o->bdf, o->group);
		if (!n)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Queue what differs between old and now in the order Linux would have sent
 * it (removals: cdev, group, unbind, device; additions: group, cdev, bind).
 */
static int diff(struct vfioiommu_hotplug *mon, const struct vi_hp_state *old, struct vi_hp_state *now,
		unsigned int fl)
{
	int rc = 0;

	for (size_t i = 0; i < old->ndev && rc == 0; i++) {
		const struct vi_hp_dev *o = &old->dev[i], *n = vi_hp_dev_find(now, o->bdf);
		if (o->cdev >= 0 && (!n || n->cdev != o->cdev))
			rc = push_dev(mon, VFIOIOMMU_HOTPLUG_CDEV_REMOVED, fl, 0, o, o->driver);
	}
	for (size_t i = 0; i < old->ngrp && rc == 0; i++)
		if (!vi_hp_group_find(now, old->grp[i].num))
			rc = push_group(mon, VFIOIOMMU_HOTPLUG_GROUP_REMOVED, fl, 0, &old->grp[i]);
	for (size_t i = 0; i < old->ndev && rc == 0; i++) {
		const struct vi_hp_dev *o = &old->dev[i], *n = vi_hp_dev_find(now, o->bdf);
		if (o->driver[0] && (!n || strcmp(n->driver, o->driver))) {
			struct vi_hp_dev was = *o;
			was.cdev = n ? n->cdev : -1;
			rc = push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_UNBOUND, fl, 0, &was, o->driver);
		}
	}
	if (rc == 0)
		rc = diff_gone(mon, old, now, fl);
	for (size_t i = 0; i < now->ngrp && rc == 0; i++)
		if (!vi_hp_group_find(old, now->grp[i].num))
			rc = push_group(mon, VFIOIOMMU_HOTPLUG_GROUP_ADDED, fl, 0, &now->grp[i]);
	for (size_t i = 0; i < now->ndev && rc == 0; i++) {
		const struct vi_hp_dev *n = &now->dev[i], *o = vi_hp_dev_find(old, n->bdf);
		if (n->cdev >= 0 && (!o || o->cdev != n->cdev))
			rc = push_dev(mon, VFIOIOMMU_HOTPLUG_CDEV_ADDED, fl, 0, n, n->driver);
	}
	for (size_t i = 0; i < now->ndev && rc == 0; i++) {
		const struct vi_hp_dev *n = &now->dev[i], *o = vi_hp_dev_find(old, n->bdf);
		if (n->driver[0] && (!o || strcmp(o->driver, n->driver)))
			rc = push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_BOUND, fl, 0, n, n->driver);
	}
	return rc == -ENOMEM ? vi_fail(mon->ctx, -ENOMEM, "out of memory") : rc;
}

/* Re-read sysfs and queue the differences; on failure nothing is queued and the resync stays due. */
static int resync(struct vfioiommu_hotplug *mon, unsigned int fl)
{
	struct vi_hp_state now;
	size_t qlen = mon->qlen;
	uint64_t horizon;
	int rc = vi_hp_read_seqnum(mon->ctx, &horizon);

	if (rc == 0)
		rc = vi_hp_scan(mon->ctx, &now);
	if (rc < 0)
		return rc;
	rc = diff(mon, &mon->st, &now, fl);
	if (rc < 0) {
		mon->qlen = qlen;
		vi_hp_state_free(&now);
		return rc;
	}
	vi_hp_state_free(&mon->st);
	mon->st = now;
	mon->horizon = horizon;
	mon->resync = false;
	return 0;
}

/* Due from now on even if the RESYNC event cannot be queued (-ENOMEM, no message set). */
static int want_resync(struct vfioiommu_hotplug *mon)
{
	if (mon->resync)
		return 0;
	mon->resync = true;
	return push(mon, VFIOIOMMU_HOTPLUG_RESYNC, 0, 0) ? 0 : -ENOMEM;
}

/* ---------------- uevents ---------------- */

/* The entry for bdf, made (with its group from sysfs) if the monitor has none yet. */
static int entry(struct vfioiommu_hotplug *mon, const char *bdf, struct vi_hp_dev **out)
{
	int group, rc;

	*out = vi_hp_dev_find(&mon->st, bdf);
	if (*out)
		return 0;
	rc = vi_hp_read_group(mon->ctx, bdf, &group);
	if (rc < 0)
		return vi_fail(mon->ctx, rc, "hotplug: reading the IOMMU group of %s: %s", bdf, vi_errno_name(rc));
	*out = vi_hp_dev_add(&mon->st, bdf, group);
	return *out ? 0 : vi_fail(mon->ctx, -ENOMEM, "out of memory");
}

static int on_group(struct vfioiommu_hotplug *mon, const struct vi_uevent *u)
{
	struct vi_hp_group *g = vi_hp_group_find(&mon->st, u->group);
	struct vi_hp_group ng = { u->group, u->noiommu };

	if (u->action == VI_UEV_ACT_ADD && !g) {
		if (vi_hp_group_add(&mon->st, u->group, u->noiommu) < 0)
			return -ENOMEM;
		return push_group(mon, VFIOIOMMU_HOTPLUG_GROUP_ADDED, 0, u->seqnum, &ng);
	}
	if (u->action == VI_UEV_ACT_REMOVE && g) {
		ng = *g;
		vi_hp_group_del(&mon->st, g);
		return push_group(mon, VFIOIOMMU_HOTPLUG_GROUP_REMOVED, 0, u->seqnum, &ng);
	}
	return 0;
}

static int on_cdev(struct vfioiommu_hotplug *mon, const struct vi_uevent *u)
{
	struct vi_hp_dev *d = vi_hp_dev_find(&mon->st, u->bdf);
	int rc;

	if (u->action == VI_UEV_ACT_REMOVE) {
		if (!d || d->cdev != u->cdev)
			return 0;
		rc = push_dev(mon, VFIOIOMMU_HOTPLUG_CDEV_REMOVED, 0, u->seqnum, d, d->driver);
		d->cdev = -1;
		return rc;
	}
	/* the cdev comes before the bind uevent: the device may be new to us */
	rc = entry(mon, u->bdf, &d);
	if (rc < 0 || d->cdev == u->cdev)
		return rc;
	d->cdev = u->cdev;
	return push_dev(mon, VFIOIOMMU_HOTPLUG_CDEV_ADDED, 0, u->seqnum, d, d->driver);
}

/* A bound device that lost its driver without us seeing it go (a lost uevent or a kernel quirk). */
static int unbound(struct vfioiommu_hotplug *mon, struct vi_hp_dev *d, uint64_t seqnum)
{
	char was[VI_UEVENT_DRIVER_MAX];
	int rc = 0;

	if (d->cdev >= 0) {
		rc = push_dev(mon, VFIOIOMMU_HOTPLUG_CDEV_REMOVED, 0, seqnum, d, d->driver);
		d->cdev = -1;
	}
	if (rc == 0 && d->driver[0]) {
		memcpy(was, d->driver, sizeof(was));
		d->driver[0] = '\0';
		rc = push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_UNBOUND, 0, seqnum, d, was);
	}
	return rc;
}

static int on_pci(struct vfioiommu_hotplug *mon, const struct vi_uevent *u)
{
	struct vi_hp_dev *d = vi_hp_dev_find(&mon->st, u->bdf);
	struct vi_hp_dev tmp;
	int rc;

	switch (u->action) {
	case VI_UEV_ACT_BIND:
		if (!vi_driver_is_vfio(u->driver))
			return d ? unbound(mon, d, u->seqnum) : 0;
		rc = entry(mon, u->bdf, &d);
		if (rc < 0 || !strcmp(d->driver, u->driver))
			return rc;
		if (d->driver[0] && (rc = push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_UNBOUND, 0, u->seqnum, d, d->driver)))
			return rc;
		snprintf(d->driver, sizeof(d->driver), "%s", u->driver);
		return push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_BOUND, 0, u->seqnum, d, d->driver);
	case VI_UEV_ACT_UNBIND:
		return d ? unbound(mon, d, u->seqnum) : 0;
	case VI_UEV_ACT_ADD:
		memset(&tmp, 0, sizeof(tmp));
		snprintf(tmp.bdf, sizeof(tmp.bdf), "%s", u->bdf);
		tmp.cdev = -1;
		rc = vi_hp_read_group(mon->ctx, u->bdf, &tmp.group);
		if (rc < 0)
			return vi_fail(mon->ctx, rc, "hotplug: reading the IOMMU group of %s: %s", u->bdf,
				       vi_errno_name(rc));
		return push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_ADDED, 0, u->seqnum, &tmp, "");
	case VI_UEV_ACT_REMOVE:
		if (!d) {
			memset(&tmp, 0, sizeof(tmp));
			snprintf(tmp.bdf, sizeof(tmp.bdf), "%s", u->bdf);
			tmp.group = tmp.cdev = -1;
			return push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_REMOVED, 0, u->seqnum, &tmp, "");
		}
		rc = unbound(mon, d, u->seqnum);
		if (rc == 0)
			rc = push_dev(mon, VFIOIOMMU_HOTPLUG_DEVICE_REMOVED, 0, u->seqnum, d, "");
		vi_hp_dev_del(&mon->st, d);
		return rc;
	default:
		return 0;
	}
}

static int on_message(struct vfioiommu_hotplug *mon, size_t len)
{
	struct vi_uevent u;
	struct vi_err e;
	int rc;

	if (vi_uevent_parse(mon->buf, len, &u, &e) < 0) {
		/* not the kernel's, or a shape we do not know: nothing to update */
		vi_log(mon->ctx, VFIOIOMMU_LOG_DEBUG, "hotplug: ignored a message: %s", e.msg);
		return 0;
	}
	/*
	 * Older than the last scan: applying it again could undo what the scan
	 * saw (a queued unbind whose rebind was dropped in an overrun).
	 */
	if (u.seqnum && u.seqnum <= mon->horizon)
		return 0;
	switch (u.what) {
	case VI_UEV_GROUP: rc = on_group(mon, &u); break;
	case VI_UEV_CDEV: rc = on_cdev(mon, &u); break;
	case VI_UEV_PCI: rc = on_pci(mon, &u); break;
	default: return 0;
	}
	return rc == -ENOMEM ? vi_fail(mon->ctx, -ENOMEM, "out of memory") : rc;
}

/* ---------------- public ---------------- */

static int open_failed(struct vfioiommu_ctx *ctx, int rc)
{
	if (rc == -EOPNOTSUPP && ctx->door == vfioiommu_door_system() && !VFIOIOMMU_HAVE_LIBNL)
		return vi_fail(ctx, rc,
			       "hotplug: this libvfioiommu was built without libnl-3 (meson -Dlibnl=enabled), "
			       "so it cannot listen to kernel uevents");
	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "hotplug: the %s door has no uevent socket", ctx->door->name);
	return vi_fail(ctx, rc, "hotplug: cannot open the kernel uevent socket (NETLINK_KOBJECT_UEVENT): %s",
		       vi_errno_name(rc));
}

VFIOIOMMU_API int vfioiommu_hotplug_new(vfioiommu_ctx *ctx, vfioiommu_hotplug **out)
{
	struct vfioiommu_hotplug *mon;
	struct vi_hp_state none = { 0 };
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!out)
		return vi_fail(ctx, -EINVAL, "vfioiommu_hotplug_new: out is NULL");
	*out = NULL;
	if (!ctx->door->uevent_open || !ctx->door->uevent_recv || !ctx->door->uevent_close)
		return open_failed(ctx, -EOPNOTSUPP);
	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return vi_fail(ctx, -ENOMEM, "out of memory");
	mon->ctx = ctx;
	/* the socket first, then the scan: whatever changes in between is queued on the socket */
	mon->fd = ctx->door->uevent_open(ctx->door->priv);
	if (mon->fd < 0) {
		rc = mon->fd;
		free(mon);
		return open_failed(ctx, rc);
	}
	rc = vi_hp_read_seqnum(ctx, &mon->horizon);
	if (rc == 0)
		rc = vi_hp_scan(ctx, &mon->st);
	if (rc == 0)
		rc = diff(mon, &none, &mon->st, VFIOIOMMU_HOTPLUG_F_PRESENT);
	if (rc < 0) {
		vfioiommu_hotplug_destroy(mon);
		return rc;
	}
	*out = mon;
	return 0;
}

VFIOIOMMU_API void vfioiommu_hotplug_destroy(vfioiommu_hotplug *mon)
{
	if (!mon)
		return;
	mon->ctx->door->uevent_close(mon->ctx->door->priv, mon->fd);
	vi_hp_state_free(&mon->st);
	free(mon->q);
	free(mon);
}

VFIOIOMMU_API int vfioiommu_hotplug_fd(const vfioiommu_hotplug *mon)
{
	return mon ? mon->fd : -EINVAL;
}

VFIOIOMMU_API size_t vfioiommu_hotplug_pending(const vfioiommu_hotplug *mon)
{
	return mon ? mon->qlen - mon->qhead : 0;
}

VFIOIOMMU_API int vfioiommu_hotplug_resync(vfioiommu_hotplug *mon)
{
	if (!mon)
		return -EINVAL;
	return want_resync(mon) < 0 ? vi_fail(mon->ctx, -ENOMEM, "out of memory") : 0;
}

/* One message off the socket: >0 handled, 0 drained, <0 failed. */
static int read_one(struct vfioiommu_hotplug *mon)
{
	const struct vfioiommu_door *d = mon->ctx->door;
	ssize_t n = d->uevent_recv(d->priv, mon->fd, mon->buf, sizeof(mon->buf));
	int rc;

	if (n == -EAGAIN)
		return 0;
	/* the kernel dropped uevents, or one did not fit: the picture may be wrong */
	if (n == -ENOBUFS || n == -EMSGSIZE) {
		vi_log(mon->ctx, VFIOIOMMU_LOG_WARNING, "hotplug: uevents were lost (%s): resyncing from sysfs",
		       vi_errno_name((int)n));
		if (want_resync(mon) < 0)
			return vi_fail(mon->ctx, -ENOMEM, "out of memory");
		return 1;
	}
	if (n < 0)
		return vi_fail(mon->ctx, (int)n, "hotplug: reading the uevent socket: %s", vi_errno_name((int)n));
	if (n == 0)
		return 1;
	rc = on_message(mon, (size_t)n);
	if (rc < 0) {
		/* the message is consumed but not applied: only a re-read can make up for it */
		want_resync(mon);
		return rc;
	}
	return 1;
}

VFIOIOMMU_API int vfioiommu_hotplug_dispatch(vfioiommu_hotplug *mon, vfioiommu_hotplug_fn fn, void *arg)
{
	int delivered = 0, budget = DISPATCH_BUDGET;

	if (!mon)
		return -EINVAL;
	if (!fn)
		return vi_fail(mon->ctx, -EINVAL, "vfioiommu_hotplug_dispatch: no callback");
	for (;;) {
		int rc;

		while (mon->qhead < mon->qlen) {
			/* a copy: the callback may not see the queue move under it */
			struct vfioiommu_hotplug_event ev = mon->q[mon->qhead++];

			if (mon->qhead == mon->qlen)
				mon->qhead = mon->qlen = 0;
			delivered++;
			if (fn(arg, &ev))
				return delivered;
		}
		if (mon->resync) {
			rc = resync(mon, VFIOIOMMU_HOTPLUG_F_RESYNC);
			if (rc < 0)
				return rc;
			continue;
		}
		if (budget-- == 0)
			return delivered;
		rc = read_one(mon);
		if (rc <= 0)
			return rc < 0 ? rc : delivered;
	}
}

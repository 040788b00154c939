/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's mediated devices, as Linux 7.2 shows mtty (tests/vm/FACTS.md,
 * "mdev"): parents under /sys/class/mdev_bus with their
 * mdev_supported_types/TYPE/{available_instances,create,device_api,name,
 * devices}; devices under /sys/bus/mdev/devices/UUID with iommu_group,
 * driver, mdev_type, remove and vfio-dev/vfioN.  Each device gets an IOMMU
 * group of its own (the lowest free number; type "unknown", no reserved
 * region), which goes away with it.
 *
 * A parent has a pool of units and each type a cost (mtty: 24 ports, mtty-1
 * takes one, mtty-2 two): available_instances = free units / cost.  The
 * device model is the default one with the parent's ids and no reset (mtty:
 * GET_INFO flags PCI only); the mock models no serial port behind it.
 * Removal while a device fd is open is -EBUSY (Linux waits for the user).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MT_MAX 8
#define MT_NAME 32

struct mt_type {
	char name[MT_NAME];
	char desc[64];
	unsigned int cost;
};

struct mt_parent {
	char name[MT_NAME];
	unsigned int pool, used;
	uint16_t vendor, device;
	struct mt_type types[MT_MAX];
	unsigned int ntypes;
};

struct mt_state {
	struct mt_parent p[MT_MAX];
	unsigned int np;
};

static struct mt_state *st(struct vfioiommu_mock *m, bool create)
{
	if (!m->mdev && create)
		m->mdev = calloc(1, sizeof(struct mt_state));
	return m->mdev;
}

void vm_mdev_destroy(struct vfioiommu_mock *m)
{
	free(m->mdev);
	m->mdev = NULL;
}

static struct mt_parent *parent_find(struct vfioiommu_mock *m, const char *name)
{
	struct mt_state *s = st(m, false);

	for (unsigned int i = 0; s && i < s->np; i++)
		if (!strcmp(s->p[i].name, name))
			return &s->p[i];
	return NULL;
}

static struct mt_type *type_find(struct mt_parent *p, const char *name)
{
	for (unsigned int i = 0; p && i < p->ntypes; i++)
		if (!strcmp(p->types[i].name, name))
			return &p->types[i];
	return NULL;
}

static unsigned int available(const struct mt_parent *p, const struct mt_type *t)
{
	return (p->pool - p->used) / t->cost;
}

bool vm_group_is_mdev(const struct vfioiommu_mock *m, unsigned int group)
{
	for (size_t i = 0; i < m->ndevs; i++)
		if (m->devs[i].group == group && m->devs[i].mdev)
			return true;
	return false;
}

static unsigned int free_group(struct vfioiommu_mock *m)
{
	unsigned int g = 0;

	/* the iommu_group ida hands out the lowest free id */
	while (vm_group_find(m, g))
		g++;
	return g;
}

/* mdev_device_create(): -EEXIST a device of that UUID; the parent's probe refuses with -ENOSPC when full. */
static int mdev_create(struct vfioiommu_mock *m, struct mt_parent *p, struct mt_type *t, const char *uuid)
{
	unsigned int g;
	struct vm_device *d;
	int rc;

	if (vi_uuid_check(uuid) < 0)
		return -EINVAL;
	if (vm_device_find(m, uuid))
		return -EEXIST;
	if (available(p, t) == 0)
		return -ENOSPC;
	g = free_group(m);
	rc = vfioiommu_mock_add_group(m, g);
	if (rc < 0)
		return rc;
	rc = vm_device_add_mdev(m, g, uuid, VM_MDEV_DRIVER);
	if (rc < 0) {
		vm_group_remove(m, g);
		return rc;
	}
	d = vm_device_find(m, uuid);
	snprintf(d->mdev_parent, sizeof(d->mdev_parent), "%s", p->name);
	snprintf(d->mdev_type, sizeof(d->mdev_type), "%s", t->name);
	d->vendor = p->vendor;
	d->device = p->device;
	d->class_code = 0x070002;
	d->no_reset = true;
	/* mtty: migration v2 with P2P and PRE_COPY, one 36-byte record per port */
	d->mig_caps = 7;
	d->mig_ports = t->cost;
	d->dma_log = true; /* mtty has log ops (they never report a page) */
	p->used += t->cost;
	return 0;
}

static int mdev_remove(struct vfioiommu_mock *m, struct vm_device *d)
{
	struct mt_parent *p = parent_find(m, d->mdev_parent);
	struct mt_type *t = type_find(p, d->mdev_type);
	unsigned int g = d->group;
	int rc;

	struct vm_group *grp = vm_group_find(m, g);

	if (d->open_count || (grp && grp->open_count))
		return -EBUSY;
	vm_mig_forget(d);
	rc = vm_uevent_remove_device(m, d);
	if (rc < 0)
		return rc;
	if (p && t)
		p->used -= t->cost;
	vm_group_remove(m, g);
	return 0;
}

/* ---------------- host files ---------------- */

static int word_ok(const char *s)
{
	return s && *s && strlen(s) < MT_NAME && !strchr(s, '/');
}

int vm_mdev_line(struct vfioiommu_mock *m, char **t, int n, const char **why)
{
	struct mt_state *s = st(m, true);
	struct mt_parent *p;
	struct mt_type *ty;
	char *end;
	unsigned long v;

	if (!s) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (!strcmp(t[0], "mdev-parent")) {
		/* mdev-parent NAME UNITS VENDOR DEVICE */
		unsigned long ven, dev;
		if (n != 5 || !word_ok(t[1]) || (v = strtoul(t[2], &end, 0)) == 0 || *end || v > 1u << 20 ||
		    (ven = strtoul(t[3], &end, 0)) > 0xffff || *end || (dev = strtoul(t[4], &end, 0)) > 0xffff || *end) {
			*why = "'mdev-parent' needs NAME UNITS VENDOR DEVICE (UNITS 1..2^20)";
			return -EINVAL;
		}
		if (parent_find(m, t[1]) || s->np == MT_MAX) {
			*why = "mdev parent listed twice, or more than 8 parents";
			return -EINVAL;
		}
		p = &s->p[s->np++];
		memset(p, 0, sizeof(*p));
		strcpy(p->name, t[1]);
		p->pool = (unsigned int)v;
		p->vendor = (uint16_t)ven;
		p->device = (uint16_t)dev;
		return 0;
	}
	if (!strcmp(t[0], "mdev-type")) {
		/* mdev-type PARENT TYPE COST DESCRIPTION... */
		size_t len = 0;
		p = n >= 5 ? parent_find(m, t[1]) : NULL;
		if (!p || !word_ok(t[2]) || (v = strtoul(t[3], &end, 0)) == 0 || *end || v > p->pool) {
			*why = "'mdev-type' needs a PARENT listed before, TYPE, COST (1..the parent's units) and a description";
			return -EINVAL;
		}
		if (type_find(p, t[2]) || p->ntypes == MT_MAX) {
			*why = "mdev type listed twice, or more than 8 types";
			return -EINVAL;
		}
		ty = &p->types[p->ntypes++];
		memset(ty, 0, sizeof(*ty));
		strcpy(ty->name, t[2]);
		ty->cost = (unsigned int)v;
		for (int i = 4; i < n; i++) {
			int w = snprintf(ty->desc + len, sizeof(ty->desc) - len, "%s%s", i > 4 ? " " : "", t[i]);
			if (w < 0 || (size_t)w >= sizeof(ty->desc) - len)
				break;
			len += (size_t)w;
		}
		return 0;
	}
	/* mdev UUID PARENT TYPE: a device that exists when the host is loaded */
	p = n == 4 ? parent_find(m, t[2]) : NULL;
	ty = type_find(p, n == 4 ? t[3] : "");
	if (!ty) {
		*why = "'mdev' needs a UUID and a PARENT and TYPE listed before";
		return -EINVAL;
	}
	switch (mdev_create(m, p, ty, t[1])) {
	case 0: return 0;
	case -EINVAL: *why = "'mdev': not a lower-case UUID"; return -EINVAL;
	case -EEXIST: *why = "'mdev': the UUID is listed twice"; return -EINVAL;
	case -ENOSPC: *why = "'mdev': the parent has no units left for this type"; return -EINVAL;
	default: *why = "'mdev': out of memory"; return -ENOMEM;
	}
}

/* ---------------- sysfs ---------------- */

/* What a path names, once parsed. */
struct target {
	enum { T_NONE, T_CLASS, T_PARENT, T_TYPES, T_TYPE, T_TYPE_ATTR, T_TYPE_DEVS, T_BUS, T_DEVS, T_DEV,
	       T_DEV_ATTR, T_VFIODEV, T_CDEV, T_CDEV_DEV, T_GROUP_TYPE, T_GROUP_LINK } kind;
	struct mt_parent *p;
	struct mt_type *t;
	struct vm_device *d;
	const char *attr;
};

static bool has_cdev(struct vfioiommu_mock *m)
{
	return m->features & VFIOIOMMU_MOCK_CDEV;
}

/* r.attr points into *spp, which the caller keeps while it uses r */
static struct target resolve(struct vfioiommu_mock *m, const char *path, struct vm_spath *sp)
{
	struct target r = { T_NONE, NULL, NULL, NULL, NULL };
	struct vm_device *d;

	if (vm_spath_split(path, sp) < 0 || !st(m, false))
		return r;
	if (vm_spath_is(sp, 0, "kernel") && vm_spath_is(sp, 1, "iommu_groups") && sp->n >= 4) {
		char *end;
		unsigned long g = strtoul(sp->c[2], &end, 10);
		if (*end || !vm_group_is_mdev(m, (unsigned int)g))
			return r;
		if (sp->n == 4 && vm_spath_is(sp, 3, "type"))
			r.kind = T_GROUP_TYPE;
		else if (sp->n == 5 && vm_spath_is(sp, 3, "devices") && (d = vm_device_find(m, sp->c[4])) && d->mdev &&
			 d->group == g) {
			r.kind = T_GROUP_LINK;
			r.d = d;
		}
		return r;
	}
	if (vm_spath_is(sp, 0, "class") && vm_spath_is(sp, 1, "mdev_bus")) {
		if (sp->n == 2)
			return (struct target){ .kind = T_CLASS };
		if (!(r.p = parent_find(m, sp->c[2])))
			return r;
		if (sp->n == 3)
			return r.kind = T_PARENT, r;
		if (!vm_spath_is(sp, 3, "mdev_supported_types"))
			return r;
		if (sp->n == 4)
			return r.kind = T_TYPES, r;
		if (!(r.t = type_find(r.p, sp->c[4])))
			return r;
		if (sp->n == 5)
			return r.kind = T_TYPE, r;
		if (sp->n == 6 && vm_spath_is(sp, 5, "devices"))
			return r.kind = T_TYPE_DEVS, r;
		if (sp->n == 6 && (vm_spath_is(sp, 5, "available_instances") || vm_spath_is(sp, 5, "create") ||
				  vm_spath_is(sp, 5, "device_api") || vm_spath_is(sp, 5, "name")))
			return r.kind = T_TYPE_ATTR, r.attr = sp->c[5], r;
		return r;
	}
	if (!vm_spath_is(sp, 0, "bus") || !vm_spath_is(sp, 1, "mdev"))
		return r;
	if (sp->n == 2)
		return r.kind = T_BUS, r;
	if (!vm_spath_is(sp, 2, "devices"))
		return r;
	if (sp->n == 3)
		return r.kind = T_DEVS, r;
	if (!(r.d = vm_device_find(m, sp->c[3])) || !r.d->mdev)
		return r;
	if (sp->n == 4)
		return r.kind = T_DEV, r;
	if (sp->n == 5 && (vm_spath_is(sp, 4, "iommu_group") || vm_spath_is(sp, 4, "driver") || vm_spath_is(sp, 4, "mdev_type") ||
			  vm_spath_is(sp, 4, "remove")))
		return r.kind = T_DEV_ATTR, r.attr = sp->c[4], r;
	if (!has_cdev(m) || !vm_spath_is(sp, 4, "vfio-dev"))
		return r;
	if (sp->n == 5)
		return r.kind = T_VFIODEV, r;
	{
		char name[32];
		snprintf(name, sizeof(name), "vfio%u", r.d->cdev_index);
		if (strcmp(sp->c[5], name))
			return r;
	}
	if (sp->n == 6)
		return r.kind = T_CDEV, r;
	if (sp->n == 7 && vm_spath_is(sp, 6, "dev"))
		return r.kind = T_CDEV_DEV, r;
	return r;
}

/* Whether the mdev code owns the path's prefix at all (so a miss below is -ENOENT, not sysfs.c's). */
static bool mine(struct vfioiommu_mock *m, const char *path)
{
	return st(m, false) && path &&
	       (!strncmp(path, "/sys/class/mdev_bus", 19) || !strncmp(path, "/sys/bus/mdev", 13));
}

ssize_t vm_mdev_sysfs_read(struct vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	struct vm_spath sp;
	struct target r = resolve(m, path, &sp);

	switch (r.kind) {
	case T_GROUP_TYPE: return vm_put(buf, n, "unknown\n"); /* FACTS: an mdev's group */
	case T_TYPE_ATTR:
		if (!strcmp(r.attr, "available_instances"))
			return vm_put(buf, n, "%u\n", available(r.p, r.t));
		if (!strcmp(r.attr, "device_api"))
			return vm_put(buf, n, "vfio-pci\n");
		if (!strcmp(r.attr, "name"))
			return vm_put(buf, n, "%s\n", r.t->desc);
		return -EACCES; /* create: write-only (mode 0200) */
	case T_DEV_ATTR:
		return strcmp(r.attr, "remove") ? -EPROTO : -EACCES;
	case T_CDEV_DEV: return vm_put(buf, n, "511:%u\n", r.d->cdev_index);
	case T_NONE: return mine(m, path) ? -ENOENT : VM_MDEV_NOT_MINE;
	case T_GROUP_LINK: return -EPROTO;
	default: return -EPROTO; /* a directory */
	}
}

ssize_t vm_mdev_sysfs_write(struct vfioiommu_mock *m, const char *path, const char *buf, size_t n)
{
	struct vm_spath sp;
	struct target r = resolve(m, path, &sp);
	char val[64];
	int rc;

	if (r.kind == T_TYPE_ATTR && !strcmp(r.attr, "create")) {
		/* FACTS: a UUID that exists -> EEXIST; anything that is not a UUID -> EINVAL */
		if (vm_written(buf, n, val, sizeof(val)) < 0)
			return -EINVAL;
		rc = mdev_create(m, r.p, r.t, val);
		return rc < 0 ? rc : (ssize_t)n;
	}
	if (r.kind == T_DEV_ATTR && !strcmp(r.attr, "remove")) {
		/* FACTS: "0" is accepted and removes nothing (kstrtobool false) */
		if (vm_written(buf, n, val, sizeof(val)) < 0)
			return -EINVAL;
		if (strcmp(val, "1") && strcmp(val, "y") && strcmp(val, "Y"))
			return strcmp(val, "0") && strcmp(val, "n") && strcmp(val, "N") ? -EINVAL : (ssize_t)n;
		rc = mdev_remove(m, r.d);
		return rc < 0 ? rc : (ssize_t)n;
	}
	if (r.kind == T_NONE)
		return mine(m, path) ? -ENOENT : VM_MDEV_NOT_MINE;
	if (r.kind == T_GROUP_TYPE || r.kind == T_GROUP_LINK)
		return VM_MDEV_NOT_MINE;
	return -EACCES;
}

ssize_t vm_mdev_sysfs_readlink(struct vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	struct vm_spath sp;
	struct target r = resolve(m, path, &sp);

	switch (r.kind) {
	case T_GROUP_LINK:
		return vm_put_link(buf, n, "../../../../devices/virtual/%s/%s/%s", r.d->mdev_parent, r.d->mdev_parent,
				r.d->bdf);
	case T_DEV_ATTR:
		/* FACTS: driver -> the parent's mdev driver (mtty), iommu_group -> the group */
		if (!strcmp(r.attr, "iommu_group"))
			return vm_put_link(buf, n, "../../../../../kernel/iommu_groups/%u", r.d->group);
		if (!strcmp(r.attr, "driver"))
			return vm_put_link(buf, n, "../../../../../bus/mdev/drivers/%s", r.d->mdev_parent);
		if (!strcmp(r.attr, "mdev_type"))
			return vm_put_link(buf, n, "../mdev_supported_types/%s", r.d->mdev_type);
		return -EINVAL;
	case T_DEV:
		return vm_put_link(buf, n, "../../../devices/virtual/%s/%s/%s", r.d->mdev_parent, r.d->mdev_parent,
				r.d->bdf);
	case T_PARENT:
		return -EINVAL;
	case T_NONE:
		return mine(m, path) ? -ENOENT : VM_MDEV_NOT_MINE;
	case T_GROUP_TYPE:
		return VM_MDEV_NOT_MINE;
	default:
		return -EINVAL;
	}
}

static int emit(vi_dirent_fn fn, void *arg, const char *name)
{
	int rc = fn(arg, name);

	return rc > 0 ? 1 : rc;
}

int vm_mdev_sysfs_listdir(struct vfioiommu_mock *m, const char *path, vi_dirent_fn fn, void *arg)
{
	struct vm_spath sp;
	struct target r = resolve(m, path, &sp);
	struct mt_state *s = st(m, false);
	char name[32];
	int rc = 0;

	switch (r.kind) {
	case T_CLASS:
		for (unsigned int i = 0; rc == 0 && i < s->np; i++)
			rc = emit(fn, arg, s->p[i].name);
		break;
	case T_PARENT: rc = emit(fn, arg, "mdev_supported_types"); break;
	case T_TYPES:
		for (unsigned int i = 0; rc == 0 && i < r.p->ntypes; i++)
			rc = emit(fn, arg, r.p->types[i].name);
		break;
	case T_TYPE: {
		static const char *const ents[] = { "available_instances", "create", "device_api", "devices", "name" };
		for (unsigned int i = 0; rc == 0 && i < 5; i++)
			rc = emit(fn, arg, ents[i]);
		break;
	}
	case T_TYPE_DEVS:
	case T_DEVS:
		for (size_t i = 0; rc == 0 && i < m->ndevs; i++)
			if (m->devs[i].mdev && (r.kind == T_DEVS || (!strcmp(m->devs[i].mdev_parent, r.p->name) &&
								      !strcmp(m->devs[i].mdev_type, r.t->name))))
				rc = emit(fn, arg, m->devs[i].bdf);
		break;
	case T_BUS: rc = emit(fn, arg, "devices"); break;
	case T_DEV: {
		static const char *const ents[] = { "driver", "iommu_group", "mdev_type", "remove", "vfio-dev" };
		for (unsigned int i = 0; rc == 0 && i < 5; i++)
			if (i < 4 || has_cdev(m))
				rc = emit(fn, arg, ents[i]);
		break;
	}
	case T_VFIODEV:
		snprintf(name, sizeof(name), "vfio%u", r.d->cdev_index);
		rc = emit(fn, arg, name);
		break;
	case T_CDEV: rc = emit(fn, arg, "dev"); break;
	case T_NONE: return mine(m, path) ? -ENOENT : VM_MDEV_NOT_MINE;
	case T_GROUP_TYPE:
	case T_GROUP_LINK: return VM_MDEV_NOT_MINE;
	default: return -ENOTDIR;
	}
	return rc > 0 ? 0 : rc;
}

int vm_mdev_sysfs_exists(struct vfioiommu_mock *m, const char *path)
{
	struct vm_spath sp;
	struct target r = resolve(m, path, &sp);

	if (r.kind == T_NONE)
		return mine(m, path) ? -ENOENT : VM_MDEV_NOT_MINE;
	if (r.kind == T_GROUP_TYPE || r.kind == T_GROUP_LINK)
		return VM_MDEV_NOT_MINE;
	return 0;
}

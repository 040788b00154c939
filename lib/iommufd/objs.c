/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The registry of a context's iommufd objects and of the attachments made
 * through this area: the kernel only says EBUSY when an object is held, so
 * the library keeps enough to say by what.  Objects made outside the library
 * (raw ioctls on the fd, IOMMUFD_TEST) hold things too; the message then says
 * the library knows of no holder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/fault.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "internal.h"
#include "kabi/kabi.h"
#include "objs.h"

const char *vi_obj_kind_name(enum vi_obj_kind k)
{
	switch (k) {
	case VI_OBJ_IOAS:
		return "IOAS";
	case VI_OBJ_PT:
		return "page table";
	case VI_OBJ_FAULTQ:
		return "fault queue";
	case VI_OBJ_VIOMMU:
		return "vIOMMU";
	case VI_OBJ_VDEVICE:
		return "vDEVICE";
	case VI_OBJ_VEVENTQ:
		return "vEVENTQ";
	case VI_OBJ_HWQUEUE:
		return "HW queue";
	}
	return "object";
}

/* A device's close: the kernel detached it, so its records name nothing any more. */
static void dev_gone(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev)
{
	struct vi_objs *o = ctx->objs;

	for (size_t i = 0; o && i < o->natt;) {
		if (o->att[i].dev == dev)
			o->att[i] = o->att[--o->natt];
		else
			i++;
	}
}

int vi_objs_get(struct vfioiommu_ctx *ctx, const char *what, struct vi_objs **objs)
{
	uint32_t ioas = 0;
	int rc = vi_iommufd_get(ctx, NULL, &ioas);

	if (rc == -EOPNOTSUPP)
		return vi_fail(ctx, rc, "%s: the %s backend (a VFIO container) has no iommufd objects; use "
			       "VFIOIOMMU_MODE_IOMMUFD", what, vfioiommu_backend_name(ctx->backend));
	if (rc == -ENODEV)
		return vi_fail(ctx, rc, "%s: no backend yet: open a device first (iommufd is chosen then)", what);
	if (rc < 0)
		return rc;
	if (!ctx->objs) {
		ctx->objs = calloc(1, sizeof(*ctx->objs));
		if (!ctx->objs)
			return vi_fail(ctx, -ENOMEM, "%s: out of memory", what);
		ctx->objs_dev_gone = dev_gone;
	}
	if (!ctx->objs->own_set) {
		struct vfioiommu_ioas *own = &ctx->objs->own;

		own->h = (struct vi_obj){ .ctx = ctx, .kind = VI_OBJ_IOAS, .id = ioas };
		own->borrowed = true;
		ctx->objs->own_set = true;
	}
	if (objs)
		*objs = ctx->objs;
	return 0;
}

int vi_fail_missing(struct vfioiommu_ctx *ctx, const char *ioctl, const char *since)
{
	return vi_fail(ctx, -EOPNOTSUPP, "%s: the kernel has no such ioctl (%s)", ioctl, since);
}

int vi_obj_new(struct vfioiommu_ctx *ctx, struct vi_objs *o, const struct vi_obj_type *t, void *arg,
	       struct vi_obj **out)
{
	struct vi_obj *h = calloc(1, t->size);
	uint32_t id;
	int32_t fd = 0;
	int rc;

	*out = NULL;
	if (!h)
		return vi_fail(ctx, -ENOMEM, "%s: out of memory", t->ioctl);
	rc = vi_iommufd_ioctl(ctx, t->req, arg);
	if (rc < 0) {
		free(h);
		return rc == -ENOTTY ? vi_fail_missing(ctx, t->ioctl, t->since) : t->fail(ctx, rc, arg);
	}
	memcpy(&id, (const char *)arg + t->id_off, sizeof(id));
	if (t->fd_off >= 0)
		memcpy(&fd, (const char *)arg + t->fd_off, sizeof(fd));
	if (id == 0 || fd < 0) {
		/* whatever half the kernel did hand back goes: the fd, and an id that came with a bad fd */
		vi_iommufd_obj_release(ctx, t->fd_off >= 0 ? fd : -1, t->fd_off >= 0 ? id : 0);
		free(h);
		return vi_fail(ctx, -EPROTO, "%s returned id %u%s, which the kernel never hands out", t->ioctl, id,
			       fd < 0 ? " and a negative fd" : "");
	}
	*h = (struct vi_obj){ .ctx = ctx, .kind = t->kind, .id = id };
	if (t->fd_off >= 0)
		((struct vi_fdobj *)h)->fd = fd;
	vi_obj_link(o, h);
	*out = h;
	return 0;
}

void vi_obj_link(struct vi_objs *o, struct vi_obj *obj)
{
	obj->next = o->list;
	o->list = obj;
}

void vi_obj_unlink(struct vi_objs *o, struct vi_obj *obj)
{
	for (struct vi_obj **pp = &o->list; *pp; pp = &(*pp)->next) {
		if (*pp == obj) {
			*pp = obj->next;
			break;
		}
	}
	/* nothing is attached to an object the kernel let go */
	for (size_t i = 0; i < o->natt;) {
		if (o->att[i].obj == obj)
			o->att[i] = o->att[--o->natt];
		else
			i++;
	}
}

int vi_att_set(struct vi_objs *o, struct vfioiommu_device *dev, bool pasid_valid, uint32_t pasid,
	       struct vi_obj *obj, struct vi_obj **prev)
{
	struct vi_att *a = NULL;

	for (size_t i = 0; i < o->natt && !a; i++)
		if (o->att[i].dev == dev && o->att[i].pasid_valid == pasid_valid &&
		    (!pasid_valid || o->att[i].pasid == pasid))
			a = &o->att[i];
	if (prev)
		*prev = a ? a->obj : NULL;
	if (!pasid_valid)
		dev->rid_on_dirty_pt = obj && obj->kind == VI_OBJ_PT &&
				       (((struct vfioiommu_pagetable *)obj)->flags & VFIOIOMMU_PT_DIRTY_TRACKING);
	if (!obj) {
		if (a)
			*a = o->att[--o->natt];
		return 0;
	}
	if (!a) {
		if (o->natt == o->capatt) {
			size_t cap = o->capatt ? 2 * o->capatt : 8;
			struct vi_att *n = realloc(o->att, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			o->att = n;
			o->capatt = cap;
		}
		a = &o->att[o->natt++];
	}
	*a = (struct vi_att){ .dev = dev, .pasid_valid = pasid_valid, .pasid = pasid, .obj = obj };
	return 0;
}

static void append(char *buf, size_t n, size_t *len, const char *item)
{
	int w;

	if (*len >= n)
		return;
	w = snprintf(buf + *len, n - *len, "%s%s", *len ? ", " : "", item);
	if (w > 0)
		*len += (size_t)w;
}

static bool holds(const struct vi_obj *x, const struct vi_obj *obj)
{
	for (int i = 0; i < VI_OBJ_HOLDS; i++)
		if (x->holds[i] == obj)
			return true;
	return false;
}

void vi_obj_holders(const struct vi_objs *o, const struct vi_obj *obj, char *buf, size_t n)
{
	char item[96];
	size_t len = 0;

	buf[0] = '\0';
	for (const struct vi_obj *x = o->list; x; x = x->next) {
		const struct vfioiommu_pagetable *pt = (const void *)x;

		if (x == obj || !holds(x, obj))
			continue;
		snprintf(item, sizeof(item), "%s %u", x->kind == VI_OBJ_PT && pt->parent && &pt->parent->h == obj ?
			 "nested page table" : vi_obj_kind_name(x->kind), x->id);
		append(buf, n, &len, item);
	}
	for (size_t i = 0; i < o->natt; i++) {
		const struct vi_att *a = &o->att[i];

		if (a->obj != obj)
			continue;
		if (a->pasid_valid)
			snprintf(item, sizeof(item), "device %s PASID %u", a->dev->bdf, a->pasid);
		else
			snprintf(item, sizeof(item), "device %s (RID)", a->dev->bdf);
		append(buf, n, &len, item);
	}
}

void vi_fd_obj_end(struct vfioiommu_ctx *ctx, int fd, uint32_t id)
{
	int rc = vi_iommufd_obj_release(ctx, fd, id);

	if (rc < 0 && rc != -ENOENT && rc != -EOPNOTSUPP)
		vi_log(ctx, VFIOIOMMU_LOG_WARNING, "IOMMU_DESTROY of object %u after closing its fd failed (%s); "
		       "closing /dev/iommu frees it", id, vi_errno_name(rc));
}

int vi_obj_destroy_kernel(struct vfioiommu_ctx *ctx, struct vi_objs *o, struct vi_obj *obj)
{
	const char *kind = vi_obj_kind_name(obj->kind);
	char who[256];
	int rc = vi_iommufd_destroy(ctx, obj->id);

	if (rc >= 0)
		return 0;
	if (rc == -EBUSY) {
		vi_obj_holders(o, obj, who, sizeof(who));
		if (who[0])
			return vi_fail(ctx, rc, "destroying %s %u: EBUSY: still used by %s; destroy or detach "
				       "them first", kind, obj->id, who);
		return vi_fail(ctx, rc, "destroying %s %u: EBUSY: still used, by nothing the library made "
			       "(an object or attachment made with raw ioctls on the iommufd)", kind, obj->id);
	}
	return vi_fail(ctx, rc, "destroying %s %u: IOMMU_DESTROY failed: %s", kind, obj->id, vi_errno_name(rc));
}

void vi_fdobj_free(struct vi_fdobj *q)
{
	if (q->pump)
		vfioiommu_fault_pump_destroy(q->pump);
	vi_fd_obj_end(q->h.ctx, q->fd, q->h.id);
	free(q);
}

int vi_fdobj_pumped(struct vi_objs *o, struct vi_fdobj *q, int rc)
{
	if (rc < 0) {
		vi_obj_unlink(o, &q->h);
		vi_fdobj_free(q);
	}
	return rc;
}

int vi_fdobj_destroy(struct vi_fdobj *q, const char *what)
{
	struct vfioiommu_ctx *ctx = q->h.ctx;
	struct vi_objs *o = NULL;
	char who[256];
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, what, &o);
	if (rc == 0) {
		vi_obj_holders(o, &q->h, who, sizeof(who));
		if (who[0])
			rc = vi_fail(ctx, -EBUSY, "%s %u: still used by %s; destroy them first", what, q->h.id, who);
	}
	if (rc == 0) {
		vi_obj_unlink(o, &q->h);
		vi_fdobj_free(q);
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

int vi_obj_destroy_plain(struct vi_obj *h, const char *what)
{
	struct vfioiommu_ctx *ctx = h->ctx;
	struct vi_objs *o = NULL;
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = vi_objs_get(ctx, what, &o);
	if (rc == 0)
		rc = vi_obj_destroy_kernel(ctx, o, h);
	if (rc == 0) {
		vi_obj_unlink(o, h);
		free(h);
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

/*
 * Teardown, children first: nested page tables before their parents, page
 * tables before the fault queues and IOASes they use.  A destroy that still
 * fails is only logged: closing /dev/iommu frees everything anyway.
 */
static bool used_by_pt(const struct vi_objs *o, const struct vi_obj *obj)
{
	for (const struct vi_obj *x = o->list; x; x = x->next)
		if (x != obj && holds(x, obj))
			return true;
	return false;
}

static void free_obj(struct vi_obj *obj)
{
	if (obj->kind == VI_OBJ_IOAS)
		vi_ioas_free((struct vfioiommu_ioas *)obj);
	else if (obj->kind == VI_OBJ_FAULTQ || obj->kind == VI_OBJ_VEVENTQ)
		vi_fdobj_free((struct vi_fdobj *)obj);
	else
		free(obj);
}

void vi_objs_destroy(struct vfioiommu_ctx *ctx)
{
	struct vi_objs *o = ctx->objs;

	if (!o)
		return;
	while (o->list) {
		struct vi_obj *victim = NULL;

		for (struct vi_obj *x = o->list; x && !victim; x = x->next)
			if (!used_by_pt(o, x))
				victim = x;
		/* a cycle cannot happen (parents exist before children); be safe anyway */
		if (!victim)
			victim = o->list;
		/* fault queues and vEVENTQs end with their fd (vi_fd_obj_end) */
		if (victim->kind != VI_OBJ_FAULTQ && victim->kind != VI_OBJ_VEVENTQ) {
			int rc = vi_iommufd_destroy(ctx, victim->id);

			if (rc < 0 && rc != -EOPNOTSUPP)
				vi_log(ctx, VFIOIOMMU_LOG_WARNING, "context teardown: IOMMU_DESTROY of %s %u failed "
				       "(%s); closing /dev/iommu frees it", vi_obj_kind_name(victim->kind), victim->id,
				       vi_errno_name(rc));
		}
		vi_obj_unlink(o, victim);
		free_obj(victim);
	}
	free(o->att);
	free(o);
	ctx->objs = NULL;
	ctx->objs_dev_gone = NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's /dev/iommu: contexts, objects (IOAS, device, HWPT, fault) and
 * the ioctls with iommufd's contracts (docs/kernel-abi.md §5, §6, §8).
 * Where tests/vm/FACTS.md measured the real 7.2 kernel (intel-iommu topology
 * by default; GET_HW_INFO follows the host's IOMMU model), the mock does
 * exactly that, and the comment cites it as "FACTS: <case>".  Elsewhere it
 * follows the kernel's contracts as docs/kernel-abi.md records them.
 *
 * Lifetime, as in the kernel: the /dev/iommu file, every bound device and
 * every open fault fd hold a reference on the context, so closing /dev/iommu
 * while a device is still bound keeps the objects until the device unbinds.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kabi/kabi.h"
#include "mock.h"

#define IO_PAGE 4096ull
/* ULONG_MAX on LP64, the kernel's limit for iova and length */
#define IO_ULONG_MAX UINT64_MAX
/* struct iommu_hwpt_pgfault perm bits */
#define IO_PERM_ALL 0xfu

#include "iommufd_obj.h"

static const struct vm_file_ops ifd_ops;
static const struct vm_file_ops fault_ops;
static int user_range_mapped(uint64_t va, uint64_t len);

/* ---------------------------------------------------------------- objects */

struct io_obj *obj_get(struct io_ctx *c, uint32_t id, enum io_type type)
{
	struct io_obj *o = (id && id < c->nobj) ? c->obj[id] : NULL;

	return (o && (!type || o->type == type)) ? o : NULL;
}

/* The lowest free id, as xa_alloc with XA_FLAGS_ALLOC1 hands them out. */
struct io_obj *obj_new(struct io_ctx *c, enum io_type type)
{
	struct io_obj *o;
	uint32_t id;

	for (id = 1; id < c->nobj && c->obj[id]; id++)
		;
	if (id >= c->nobj) {
		uint32_t n = c->nobj ? c->nobj * 2 : 16;
		struct io_obj **v = realloc(c->obj, n * sizeof(*v));
		if (!v)
			return NULL;
		memset(v + c->nobj, 0, (n - c->nobj) * sizeof(*v));
		c->obj = v;
		c->nobj = n;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->id = id;
	o->type = type;
	c->obj[id] = o;
	return o;
}

static void fault_drop_all(struct io_fault *f)
{
	for (size_t i = 0; i < f->nq; i++)
		free(f->q[i].rec);
	free(f->q);
	f->q = NULL;
	f->nq = 0;
}

/* Free an object's own memory and its slot; references are the caller's business. */
static void obj_free(struct io_ctx *c, struct io_obj *o)
{
	switch (o->type) {
	case IO_IOAS:
		vm_maps_free(&o->ioas.maps);
		free(o->ioas.allowed);
		break;
	case IO_DEVICE:
		free(o->dev.pasids);
		break;
	case IO_FAULT:
		fault_drop_all(&o->fault);
		break;
	case IO_VEVENTQ:
		free(o->vq.q);
		break;
	case IO_HWPT:
		free(o->hwpt.dirty);
		break;
	case IO_VIOMMU:
	case IO_VDEVICE:
		break;
	}
	c->obj[o->id] = NULL;
	free(o);
}

static bool ctx_empty(const struct io_ctx *c)
{
	for (uint32_t i = 1; i < c->nobj; i++)
		if (c->obj[i])
			return false;
	return true;
}

static struct io_state *state(struct vfioiommu_mock *m)
{
	return m->iommufd;
}

static void ctx_free(struct vfioiommu_mock *m, struct io_ctx *c)
{
	struct io_state *st = state(m);

	for (struct io_ctx **pp = &st->ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (uint32_t i = 1; i < c->nobj; i++)
		if (c->obj[i])
			obj_free(c, c->obj[i]);
	free(c->obj);
	free(c);
}

static void ctx_put(struct vfioiommu_mock *m, struct io_ctx *c)
{
	if (--c->refs == 0)
		ctx_free(m, c);
}

struct io_obj *device_obj(struct vfioiommu_mock *m, const struct vm_device *d, struct io_ctx **cp)
{
	size_t idx = (size_t)(d - m->devs);

	if (!state(m))
		return NULL;
	for (struct io_ctx *c = state(m)->ctxs; c; c = c->next) {
		for (uint32_t i = 1; i < c->nobj; i++) {
			struct io_obj *o = c->obj[i];
			if (o && o->type == IO_DEVICE && o->dev.dev_idx == idx) {
				if (cp)
					*cp = c;
				return o;
			}
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- IOVA space */

static unsigned int ioas_domains(const struct io_ctx *c, uint32_t ioas)
{
	unsigned int n = 0;

	for (uint32_t i = 1; i < c->nobj; i++)
		if (c->obj[i] && c->obj[i]->type == IO_HWPT && c->obj[i]->hwpt.ioas == ioas)
			n++;
	return n;
}

static uint64_t pgsize_min(const struct vfioiommu_mock *m)
{
	return m->pgsizes ? m->pgsizes & (~m->pgsizes + 1) : IO_PAGE;
}

/*
 * iopt->iova_alignment: an IOAS without a domain is a software table with no
 * alignment restriction (1, iopt_init_table); each domain raises it to its
 * smallest page size.  FACTS: IOVA_RANGES on a fresh IOAS and after DETACH
 * -> alignment 0x1; attached -> 0x1000.
 */
static uint64_t ioas_alignment(struct vfioiommu_mock *m, const struct io_ctx *c, uint32_t ioas)
{
	return ioas_domains(c, ioas) ? pgsize_min(m) : 1;
}

/*
 * The holes of the IOAS's reserved tree over [0, ULONG_MAX].  The tree holds
 * everything outside the aperture once a domain (HWPT) exists on the IOAS,
 * and the reserved regions of every device whose RID is attached to one of
 * its HWPTs.  extra_group (or -1) counts one more attached device's group
 * (an attach being checked); with_domain pretends a domain exists.
 */
static int ioas_ranges(struct vfioiommu_mock *m, const struct io_ctx *c, uint32_t ioas, long extra_group,
		       bool with_domain, struct vm_range **out, size_t *n)
{
	unsigned int *groups;
	size_t ng = 0;
	int rc;

	if (!with_domain && !ioas_domains(c, ioas)) {
		*out = malloc(sizeof(**out));
		if (!*out)
			return -ENOMEM;
		(*out)[0] = (struct vm_range){ 0, IO_ULONG_MAX };
		*n = 1;
		return 0;
	}
	groups = malloc((c->nobj + 1) * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	for (uint32_t i = 1; i < c->nobj; i++) {
		const struct io_obj *o = c->obj[i];
		const struct io_obj *h;
		if (!o || o->type != IO_DEVICE || !o->dev.hwpt)
			continue;
		h = c->obj[o->dev.hwpt];
		if (h && h->hwpt.ioas == ioas)
			groups[ng++] = m->devs[o->dev.dev_idx].group;
	}
	if (extra_group >= 0)
		groups[ng++] = (unsigned int)extra_group;
	rc = vm_usable_ranges(m, groups, ng, out, n);
	free(groups);
	return rc;
}

/* true when [iova, last] lies inside one range */
static bool in_ranges(const struct vm_range *r, size_t n, uint64_t iova, uint64_t last)
{
	for (size_t i = 0; i < n; i++)
		if (iova >= r[i].start && last <= r[i].last)
			return true;
	return false;
}

/*
 * An attach or a new domain may only reserve IOVA that no mapping uses, and
 * the first domain's page size must divide every mapping (iopt_reserve_iova,
 * iopt_check_iova_alignment): -EADDRINUSE otherwise.
 */
static int ioas_check_new_reserved(struct vfioiommu_mock *m, const struct io_ctx *c, struct io_obj *ioas,
				   long extra_group)
{
	const struct vm_maptab *t = &ioas->ioas.maps;
	uint64_t align = pgsize_min(m);
	struct vm_range *r;
	size_t n;
	int rc = ioas_ranges(m, c, ioas->id, extra_group, true, &r, &n);

	if (rc < 0)
		return rc;
	/* iopt_reserve_iova() refuses to reserve inside an ALLOW_IOVAS range too */
	for (size_t i = 0; i < ioas->ioas.nallowed && rc == 0; i++)
		if (!in_ranges(r, n, ioas->ioas.allowed[i].start, ioas->ioas.allowed[i].last))
			rc = -EADDRINUSE;
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct vm_map *mp = &t->v[i];
		if (!in_ranges(r, n, mp->iova, mp->iova + (mp->len - 1)))
			rc = -EADDRINUSE;
		else if ((mp->iova | mp->len | (mp->vaddr % IO_PAGE)) & (align - 1))
			rc = -EADDRINUSE;
	}
	free(r);
	/* the first domain pins what was mapped while there was none (iopt_fill_domain) */
	for (size_t i = 0; i < t->n && rc == 0 && !ioas_domains(c, ioas->id); i++)
		if (!(t->v[i].prot & IO_PROT_FILE))
			rc = user_range_mapped(t->v[i].vaddr, t->v[i].len);
	return rc;
}

/* ---------------------------------------------------------------- faults */

static void fault_drop_dev(struct io_ctx *c, uint32_t fault_id, uint32_t dev_id, bool pasid_valid,
			   uint32_t pasid)
{
	struct io_obj *fo = obj_get(c, fault_id, IO_FAULT);
	struct io_fault *f;
	size_t k = 0;

	if (!fo)
		return;
	f = &fo->fault;
	/* Detaching answers the device's outstanding groups (INVALID): they vanish. */
	for (size_t i = 0; i < f->nq; i++) {
		struct io_group_rec *g = &f->q[i];
		if (g->dev_id == dev_id && g->pasid_valid == pasid_valid && (!pasid_valid || g->pasid == pasid))
			free(g->rec);
		else
			f->q[k++] = *g;
	}
	f->nq = k;
}

static struct io_obj *fault_of_file(struct vm_file *f)
{
	return f->obj;
}

/* An object's context: found by scanning, since the object lives in exactly one. */
static struct io_ctx *ctx_of_obj(struct vfioiommu_mock *m, const struct io_obj *o)
{
	for (struct io_ctx *c = state(m)->ctxs; c; c = c->next)
		if (o->id < c->nobj && c->obj[o->id] == o)
			return c;
	return NULL;
}

/*
 * A new object with an fd of its own (fault queue, vEVENTQ): the fd holds
 * the object and the context until obj_fd_release.  Returns the fd, or a
 * negative errno with nothing made.
 */
int obj_new_fd(struct vfioiommu_mock *m, struct io_ctx *c, enum io_type type, const struct vm_file_ops *ops,
	       struct io_obj **out)
{
	struct io_obj *o = obj_new(c, type);
	struct vm_file *f;
	int fd;

	if (!o)
		return -ENOMEM;
	f = vm_file_new(ops, o);
	if (!f) {
		obj_free(c, o);
		return -ENOMEM;
	}
	fd = vm_fd_install(m, f);
	if (fd < 0) {
		free(f);
		obj_free(c, o);
		return fd;
	}
	o->users++;
	c->refs++;
	*out = o;
	return fd;
}

void obj_fd_release(struct vfioiommu_mock *m, struct vm_file *file)
{
	struct io_obj *o = file->obj;
	struct io_ctx *c = ctx_of_obj(m, o);

	o->users--;
	if (c)
		ctx_put(m, c);
}

/* The fault-read errno for a count not a multiple of 40: ESPIPE in 6.18 and still in 7.2 (FACTS). */
#define IO_FAULT_BADCOUNT ESPIPE

static ssize_t fault_read(struct vfioiommu_mock *m, struct vm_file *file, void *buf, size_t n)
{
	struct io_fault *f = &fault_of_file(file)->fault;
	const size_t rs = sizeof(struct kabi_iommu_hwpt_pgfault);
	size_t done = 0;

	/* FACTS: fault read0 -> EINVAL; read39 / read41 -> ESPIPE (7.2 as 6.18) */
	if (n == 0)
		return -EINVAL;
	if (n % rs)
		return -IO_FAULT_BADCOUNT;
	if (!buf)
		return -EFAULT;
	for (size_t i = 0; i < f->nq; i++) {
		struct io_group_rec *g = &f->q[i];
		uint32_t cookie = 1;
		if (g->cookie)
			continue;
		/* a group is delivered whole or not at all */
		if (g->n * rs > n - done)
			break;
		/* the lowest free cookie (xa_alloc from 1) */
		for (bool clash = true; clash;) {
			clash = false;
			for (size_t j = 0; j < f->nq; j++)
				if (f->q[j].cookie == cookie) {
					cookie++;
					clash = true;
				}
		}
		g->cookie = cookie;
		for (size_t j = 0; j < g->n; j++) {
			g->rec[j].cookie = cookie;
			memcpy((char *)buf + done, &g->rec[j], rs);
			done += rs;
		}
	}
	return (ssize_t)done;
}

static ssize_t fault_write(struct vfioiommu_mock *m, struct vm_file *file, const void *buf, size_t n)
{
	struct io_fault *f = &fault_of_file(file)->fault;
	const size_t rs = sizeof(struct kabi_iommu_hwpt_page_response);
	size_t done = 0;
	int rc = 0;

	if (n % rs)
		return -ESPIPE;
	if (n && !buf)
		return -EFAULT;
	while (done < n) {
		struct kabi_iommu_hwpt_page_response r;
		size_t i;
		memcpy(&r, (const char *)buf + done, rs);
		if (r.code != KABI_IOMMUFD_PAGE_RESP_SUCCESS && r.code != KABI_IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		for (i = 0; i < f->nq; i++)
			if (r.cookie && f->q[i].cookie == r.cookie)
				break;
		if (i == f->nq) {
			rc = -EINVAL;
			break;
		}
		free(f->q[i].rec);
		memmove(&f->q[i], &f->q[i + 1], (f->nq - i - 1) * sizeof(*f->q));
		f->nq--;
		done += rs;
	}
	return done ? (ssize_t)done : rc;
}

static short fault_poll(struct vfioiommu_mock *m, struct vm_file *file, short events)
{
	const struct io_fault *f = &fault_of_file(file)->fault;
	short rev = POLLOUT;

	for (size_t i = 0; i < f->nq; i++)
		if (!f->q[i].cookie)
			rev |= POLLIN | POLLRDNORM;
	return rev & (events | POLLERR | POLLHUP);
}

static const struct vm_file_ops fault_ops = {
	.name = "iommufd-pgfault",
	.read = fault_read,
	.write = fault_write,
	.poll = fault_poll,
	.release = obj_fd_release,
};

int vm_iommufd_inject_fault(struct vfioiommu_mock *m, struct vm_device *d, bool pasid_valid,
			    uint32_t pasid, uint32_t grpid, const struct vm_fault_page *pages, size_t n)
{
	struct io_ctx *c;
	struct io_obj *idev = device_obj(m, d, &c);
	struct io_obj *h, *fo;
	struct io_group_rec g = { 0 };
	uint32_t hwpt = 0;

	if (!idev)
		return -ENODEV;
	if (!pages || n == 0)
		return -EINVAL;
	if (!pasid_valid) {
		hwpt = idev->dev.hwpt;
	} else {
		for (size_t i = 0; i < idev->dev.npasids; i++)
			if (idev->dev.pasids[i].pasid == pasid)
				hwpt = idev->dev.pasids[i].hwpt;
	}
	h = obj_get(c, hwpt, IO_HWPT);
	if (!h)
		return -ENOENT;
	fo = obj_get(c, h->hwpt.fault, IO_FAULT);
	if (!(h->hwpt.flags & KABI_IOMMU_HWPT_FAULT_ID_VALID) || !fo)
		return -EOPNOTSUPP;
	g.rec = calloc(n, sizeof(*g.rec));
	if (!g.rec)
		return -ENOMEM;
	g.n = n;
	g.dev_id = idev->id;
	g.pasid = pasid_valid ? pasid : 0;
	g.pasid_valid = pasid_valid;
	for (size_t i = 0; i < n; i++) {
		g.rec[i].flags = (pasid_valid ? KABI_PGFAULT_FLAGS_PASID_VALID : 0) |
				 (i == n - 1 ? KABI_PGFAULT_FLAGS_LAST_PAGE : 0);
		g.rec[i].dev_id = idev->id;
		g.rec[i].pasid = g.pasid;
		g.rec[i].grpid = grpid;
		g.rec[i].perm = pages[i].perm & IO_PERM_ALL;
		g.rec[i].addr = pages[i].addr;
	}
	{
		struct io_group_rec *q = realloc(fo->fault.q, (fo->fault.nq + 1) * sizeof(*q));
		if (!q) {
			free(g.rec);
			return -ENOMEM;
		}
		fo->fault.q = q;
		q[fo->fault.nq++] = g;
	}
	return 0;
}

/* ---------------------------------------------------------------- attach / detach */

static void hwpt_put(struct io_ctx *c, struct io_obj *h)
{
	if (--h->users == 0 && h->hwpt.autodomain) {
		/* auto domains die with their last device (iommufd_hw_pagetable_put) */
		struct io_obj *ioas = obj_get(c, h->hwpt.ioas, IO_IOAS);
		if (ioas)
			ioas->users--;
		obj_free(c, h);
	}
}

static void hwpt_unlink_dev(struct io_ctx *c, struct io_obj *idev, uint32_t hwpt, bool pasid_valid,
			    uint32_t pasid)
{
	struct io_obj *h = obj_get(c, hwpt, IO_HWPT);

	if (!h)
		return;
	if (h->hwpt.fault)
		fault_drop_dev(c, h->hwpt.fault, idev->id, pasid_valid, pasid);
	hwpt_put(c, h);
}

static int pasid_limit_bits(const struct vfioiommu_mock *m, const struct vm_device *d)
{
	return (int)(m->pasid_bits < d->pasid_bits ? m->pasid_bits : d->pasid_bits);
}

static bool dev_has_pasids(const struct io_obj *idev)
{
	return idev->dev.npasids > 0;
}

/*
 * An IOPF-capable HWPT needs PRI on the device.  FACTS (library objects): a
 * NIC without PRI onto a fault HWPT -> ENODEV on intel, but ok on amd.
 */
static int hwpt_dev_compat(const struct vfioiommu_mock *m, const struct io_obj *h, const struct vm_device *d)
{
	if (h->hwpt.fault && !d->iopf && m->iommu_model != VFIOIOMMU_MOCK_IOMMU_AMD)
		return -ENODEV;
	return 0;
}

/*
 * A mediated device has no IOMMU of its own: VFIO attaches it as an iommufd
 * access on the IOAS (vfio_iommufd_emulated_attach_ioas), with no domain, so
 * the IOAS keeps its ranges and the pt_id given back is the IOAS's.
 */
static int vm_mdev_attach_access(struct io_ctx *c, struct io_obj *idev, struct io_obj *pt, uint32_t *pt_id)
{
	if (pt->type != IO_IOAS)
		return -ENOENT;
	if (idev->dev.access_ioas == pt->id)
		return 0;
	if (idev->dev.access_ioas) {
		struct io_obj *old = obj_get(c, idev->dev.access_ioas, IO_IOAS);

		if (old)
			old->users--;
	}
	idev->dev.access_ioas = pt->id;
	pt->users++;
	*pt_id = pt->id;
	return 0;
}

static int attach_rid(struct vfioiommu_mock *m, struct io_ctx *c, struct io_obj *idev, uint32_t *pt_id)
{
	const struct vm_device *d = &m->devs[idev->dev.dev_idx];
	struct io_obj *pt = obj_get(c, *pt_id, 0);
	struct io_obj *target = NULL, *ioas;
	bool new_auto = false;
	int rc;

	if (!pt)
		return -ENOENT;
	if (d->mdev)
		return vm_mdev_attach_access(c, idev, pt, pt_id);
	if (pt->type == IO_IOAS) {
		ioas = pt;
		/* any auto domain on the IOAS will do: the mock has one IOMMU */
		for (uint32_t i = 1; i < c->nobj && !target; i++) {
			struct io_obj *o = c->obj[i];
			if (o && o->type == IO_HWPT && o->hwpt.autodomain && o->hwpt.ioas == ioas->id)
				target = o;
		}
		new_auto = !target;
		/* auto domains are never PASID-compatible (allocated with flags 0) */
		if (dev_has_pasids(idev))
			return -EINVAL;
	} else if (pt->type == IO_HWPT) {
		target = pt;
		ioas = obj_get(c, target->hwpt.ioas, IO_IOAS);
		if (!ioas)
			return -EINVAL;
		/* the RID's domain must be PASID-compatible once PASIDs are in use */
		if (dev_has_pasids(idev) && !(target->hwpt.flags & KABI_IOMMU_HWPT_ALLOC_PASID))
			return -EINVAL;
		rc = hwpt_dev_compat(m, target, d);
		if (rc < 0)
			return rc;
	} else {
		return -EINVAL;
	}
	if (target && target->id == idev->dev.hwpt) {
		/* replacing a domain by itself is a no-op */
		*pt_id = target->id;
		return 0;
	}
	rc = ioas_check_new_reserved(m, c, ioas, d->group);
	if (rc < 0)
		return rc;
	if (new_auto) {
		target = obj_new(c, IO_HWPT);
		if (!target)
			return -ENOMEM;
		target->hwpt.ioas = ioas->id;
		target->hwpt.autodomain = true;
		ioas->users++;
	}
	target->users++;
	if (idev->dev.hwpt)
		hwpt_unlink_dev(c, idev, idev->dev.hwpt, false, 0);
	idev->dev.hwpt = target->id;
	*pt_id = target->id;
	return 0;
}

/*
 * A PASID attach (VFIO_DEVICE_ATTACH_PASID, 6.15).  The domain checks come
 * first, as in iommufd_hwpt_pasid_compat(), then the device's PASID support
 * in the IOMMU core.  FACTS: PASID_REPLACE onto an IOAS -> EINVAL; a PASID
 * attach while the RID is on a non-PASID HWPT -> EINVAL; pasid 1<<20 with 20
 * bits -> EINVAL, (1<<20)-1 ok; VFIO ATTACH with the PASID flag onto an IOAS
 * -> EINVAL.
 */
static int attach_pasid(struct vfioiommu_mock *m, struct io_ctx *c, struct io_obj *idev, uint32_t pasid,
			uint32_t *pt_id)
{
	const struct vm_device *d = &m->devs[idev->dev.dev_idx];
	struct io_obj *pt, *rid;
	struct io_pasid *p = NULL;
	int bits = pasid_limit_bits(m, d);
	int rc;

	/* pasid 0 is IOMMU_NO_PASID: vfio hands it to iommufd_device_attach, a RID attach (FACTS: EBUSY) */
	if (pasid == 0)
		return idev->dev.hwpt ? -EBUSY : attach_rid(m, c, idev, pt_id);
	pt = obj_get(c, *pt_id, 0);
	if (!pt)
		return -ENOENT;
	/* an IOAS's auto domain is allocated without IOMMU_HWPT_ALLOC_PASID */
	if (pt->type != IO_HWPT || !(pt->hwpt.flags & KABI_IOMMU_HWPT_ALLOC_PASID))
		return -EINVAL;
	rid = obj_get(c, idev->dev.hwpt, IO_HWPT);
	if (rid && !(rid->hwpt.flags & KABI_IOMMU_HWPT_ALLOC_PASID))
		return -EINVAL;
	/*
	 * FACTS (library objects): on intel a NIC with max_pasid_log2 0 whose RID
	 * is on a PASID HWPT takes PASID 1 (ok); the width is not checked there.
	 * Elsewhere (an unattached RID, other IOMMUs) the mock keeps EOPNOTSUPP.
	 */
	if (bits == 0 && !(m->iommu_model == VFIOIOMMU_MOCK_IOMMU_INTEL && rid))
		return -EOPNOTSUPP;
	if (bits && pasid >= (1u << bits))
		return -EINVAL;
	rc = hwpt_dev_compat(m, pt, d);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < idev->dev.npasids; i++)
		if (idev->dev.pasids[i].pasid == pasid)
			p = &idev->dev.pasids[i];
	/* vfio turns a second attach of the same pasid into a replace */
	if (p && p->hwpt == pt->id)
		return 0;
	if (!p) {
		p = realloc(idev->dev.pasids, (idev->dev.npasids + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		idev->dev.pasids = p;
		p = &p[idev->dev.npasids++];
		p->pasid = pasid;
		p->hwpt = 0;
	}
	pt->users++;
	/* PASID attachments reserve nothing in the IOAS (docs/kernel-abi.md §6) */
	if (p->hwpt)
		hwpt_unlink_dev(c, idev, p->hwpt, true, pasid);
	p->hwpt = pt->id;
	return 0;
}

/* What ATTACH and DETACH check first: flags this kernel knows (only `known`), then a device bound here. */
static int attach_checks(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t known,
			 struct io_ctx **c, struct io_obj **idev)
{
	/* before 6.15 any flag is unknown: EINVAL */
	if (!(m->features & VFIOIOMMU_MOCK_PASID_ATTACH) && flags)
		return -EINVAL;
	if (flags & ~known)
		return -EINVAL;
	*idev = device_obj(m, d, c);
	return *idev ? 0 : -EINVAL;
}

/* The RID off its domain, if it is on one (DETACH, unbind). */
static void detach_rid(struct io_ctx *c, struct io_obj *idev)
{
	uint32_t h = idev->dev.hwpt;

	if (idev->dev.access_ioas) {
		struct io_obj *ioas = obj_get(c, idev->dev.access_ioas, IO_IOAS);

		if (ioas)
			ioas->users--;
		idev->dev.access_ioas = 0;
	}
	if (!h)
		return;
	idev->dev.hwpt = 0;
	hwpt_unlink_dev(c, idev, h, false, 0);
}

int vm_iommufd_attach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t pasid,
		      uint32_t *pt_id)
{
	struct io_ctx *c;
	struct io_obj *idev;
	int rc = attach_checks(m, d, flags, KABI_VFIO_DEVICE_ATTACH_PASID, &c, &idev);

	if (rc < 0)
		return rc;
	if (!pt_id)
		return -EINVAL;
	if (flags & KABI_VFIO_DEVICE_ATTACH_PASID)
		return attach_pasid(m, c, idev, pasid, pt_id);
	return attach_rid(m, c, idev, pt_id);
}

int vm_iommufd_detach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t pasid)
{
	struct io_ctx *c;
	struct io_obj *idev;
	int rc = attach_checks(m, d, flags, KABI_VFIO_DEVICE_DETACH_PASID, &c, &idev);

	if (rc < 0)
		return rc;
	/* FACTS: DETACH again -> ok; DETACH PASID of a pasid never attached (no-PASID device) -> ok */
	if (flags & KABI_VFIO_DEVICE_DETACH_PASID) {
		for (size_t i = 0; i < idev->dev.npasids; i++) {
			if (idev->dev.pasids[i].pasid != pasid)
				continue;
			hwpt_unlink_dev(c, idev, idev->dev.pasids[i].hwpt, true, pasid);
			memmove(&idev->dev.pasids[i], &idev->dev.pasids[i + 1],
				(idev->dev.npasids - i - 1) * sizeof(*idev->dev.pasids));
			idev->dev.npasids--;
			break;
		}
		return 0;
	}
	/* detaching what is not attached is silently fine (vfio_iommufd_physical_detach_ioas) */
	detach_rid(c, idev);
	return 0;
}

/* ---------------------------------------------------------------- bind / unbind */

int vm_iommufd_bind(struct vfioiommu_mock *m, int iommufd, struct vm_device *d, uint32_t *devid)
{
	struct vm_group *g = vm_group_find(m, d->group);
	struct vm_file *f;
	struct io_ctx *c, *other;
	struct io_obj *o;

	/* vfio_device_block_group(): the group is open through /dev/vfio/N */
	if (g && g->open_count > 0)
		return -EBUSY;
	/* one device cannot be bound twice */
	if (device_obj(m, d, NULL))
		return -EINVAL;
	f = vm_fd_get(m, iommufd);
	if (iommufd < 0 || !f)
		return -EBADF;
	/* FACTS: BIND with an fd that is not an iommufd -> EBADFD */
	if (f->ops != &ifd_ops)
		return -EBADFD;
	c = f->obj;
	/*
	 * iommu_device_claim_dma_owner(): DMA ownership is per group, and a group
	 * already used by a kernel driver (not viable) or owned by another
	 * iommufd is refused with EPERM.
	 */
	if (g && !vm_group_viable(m, g, NULL))
		return -EPERM;
	for (size_t i = 0; i < m->ndevs; i++) {
		if (&m->devs[i] == d || m->devs[i].group != d->group)
			continue;
		if (device_obj(m, &m->devs[i], &other) && other != c)
			return -EPERM;
	}
	/* 6.6+: a device with a firmware 1:1 region cannot be owned by userspace (docs/kernel-abi.md §7) */
	if (g && vm_group_has_direct(g))
		return -EINVAL;
	o = obj_new(c, IO_DEVICE);
	if (!o)
		return -ENOMEM;
	o->dev.dev_idx = (size_t)(d - m->devs);
	c->refs++;
	if (devid)
		*devid = o->id;
	return 0;
}

int vm_iommufd_unbind(struct vfioiommu_mock *m, struct vm_device *d)
{
	struct io_ctx *c;
	struct io_obj *idev = device_obj(m, d, &c);

	if (!idev)
		return -EINVAL;
	/* a vDEVICE left on the device is destroyed with it (the kernel also retires its id; the mock frees it) */
	for (uint32_t i = 1; i < c->nobj; i++) {
		struct io_obj *o = c->obj[i];

		if (o && o->type == IO_VDEVICE && o->vdev.dev == idev->id) {
			vm_io_vdevice_unlink(c, o);
			obj_free(c, o);
		}
	}
	while (idev->dev.npasids) {
		struct io_pasid p = idev->dev.pasids[--idev->dev.npasids];
		hwpt_unlink_dev(c, idev, p.hwpt, true, p.pasid);
	}
	detach_rid(c, idev);
	obj_free(c, idev);
	ctx_put(m, c);
	return 0;
}

/* ---------------------------------------------------------------- ioctls */

static int cmd_destroy(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_destroy *cmd = arg;
	struct io_obj *o = obj_get(c, cmd->id, 0);

	if (!o)
		return -ENOENT;
	/* FACTS: DESTROY attached IOAS / in-use HWPT / bound device -> EBUSY; unknown or 0 -> ENOENT */
	if (o->type == IO_DEVICE || o->users)
		return -EBUSY;
	if (o->type == IO_HWPT) {
		struct io_obj *ioas = obj_get(c, o->hwpt.ioas, IO_IOAS);
		struct io_obj *vi = obj_get(c, o->hwpt.viommu, IO_VIOMMU);
		if (vi)
			vi->users--;
		struct io_obj *fo = obj_get(c, o->hwpt.fault, IO_FAULT);
		if (ioas)
			ioas->users--;
		if (fo)
			fo->users--;
	}
	if (o->type == IO_VIOMMU) {
		struct io_obj *h = obj_get(c, o->viommu.hwpt, IO_HWPT);
		if (h)
			h->users--;
	}
	if (o->type == IO_VEVENTQ) {
		struct io_obj *v = obj_get(c, o->vq.viommu, IO_VIOMMU);
		if (v)
			v->users--;
	}
	if (o->type == IO_VDEVICE)
		vm_io_vdevice_unlink(c, o);
	if (o->type == IO_IOAS && c->vfio_ioas == o->id)
		c->vfio_ioas = 0;
	obj_free(c, o);
	return 0;
}

static int cmd_ioas_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_alloc *cmd = arg;
	struct io_obj *o;

	if (cmd->flags)
		return -EOPNOTSUPP;
	o = obj_new(c, IO_IOAS);
	if (!o)
		return -ENOMEM;
	cmd->out_ioas_id = o->id;
	return 0;
}

/* The count a hostile kernel reports: far beyond anything a caller should allocate for. */
#define IO_HOSTILE_COUNT 0xffffffffu

static int cmd_iova_ranges(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_iova_ranges *cmd = arg;
	struct kabi_iommu_iova_range *out = (void *)(uintptr_t)cmd->allowed_iovas;
	struct io_obj *ioas;
	struct vm_range *r;
	size_t n;
	uint32_t cap = cmd->num_iovas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = obj_get(c, cmd->ioas_id, IO_IOAS);
	if (!ioas)
		return -ENOENT;
	rc = ioas_ranges(m, c, ioas->id, -1, false, &r, &n);
	if (rc < 0)
		return rc;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas_alignment(m, c, ioas->id);
	for (size_t i = 0; i < n; i++) {
		if (cmd->num_iovas < cap) {
			if (!out) {
				free(r);
				return -EFAULT;
			}
			out[cmd->num_iovas] = (struct kabi_iommu_iova_range){ r[i].start, r[i].last };
		}
		cmd->num_iovas++;
	}
	free(r);
	if (m->hostile & VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS)
		cmd->num_iovas = IO_HOSTILE_COUNT;
	/* the struct is copied back first, so num_iovas tells the caller what to allocate */
	return cmd->num_iovas > cap ? -EMSGSIZE : 0;
}

/* __alloc_iova_check_range(), with its refusal of a hole whose aligned start is its last byte */
static bool fit_hole(uint64_t start, uint64_t last, uint64_t len, uint64_t align, uint64_t page_offset,
		     uint64_t *iova)
{
	uint64_t a;

	if (start > UINT64_MAX - (align - 1))
		return false;
	a = ((start + (align - 1)) & ~(align - 1)) | page_offset;
	if (a < start || a >= last || last - a < len - 1)
		return false;
	*iova = a;
	return true;
}

/* iopt_alloc_iova(): the lowest hole between reserved areas and mappings that fits. */
static int alloc_iova(const struct vm_range *r, size_t n, const struct vm_maptab *t, uint64_t len,
		      uint64_t align, uint64_t page_offset, uint64_t *iova)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t cur = r[i].start < IO_PAGE ? IO_PAGE : r[i].start;
		size_t k;

		if (cur > r[i].last)
			continue;
		k = vm_maps_lower(t, cur);
		for (;;) {
			uint64_t mend;
			if (k >= t->n || t->v[k].iova > r[i].last) {
				if (fit_hole(cur, r[i].last, len, align, page_offset, iova))
					return 0;
				break;
			}
			if (t->v[k].iova > cur && fit_hole(cur, t->v[k].iova - 1, len, align, page_offset, iova))
				return 0;
			mend = t->v[k].iova + (t->v[k].len - 1);
			if (mend >= r[i].last)
				break;
			cur = mend + 1;
			k++;
		}
	}
	return -ENOSPC;
}

/* pin_user_pages(): the first and last page of the user range must be mapped. */
static int user_range_mapped(uint64_t va, uint64_t len)
{
	unsigned char vec;
	uint64_t first = va & ~(IO_PAGE - 1);
	uint64_t last;

	if (va == 0 || va > UINT64_MAX - (len - 1))
		return -EFAULT;
	last = (va + (len - 1)) & ~(IO_PAGE - 1);
	if (mincore((void *)(uintptr_t)first, IO_PAGE, &vec) < 0 ||
	    mincore((void *)(uintptr_t)last, IO_PAGE, &vec) < 0)
		return -EFAULT;
	return 0;
}

/*
 * With ALLOW_IOVAS set, automatic IOVAs come only from the allowed ranges
 * (FACTS: the non-FIXED MAP after ALLOW_IOVAS [0x1000000,0x1ffffff] got 0x1000000).
 */
static int alloc_allowed(const struct vm_range *r, size_t n, const struct io_obj *ioas, uint64_t len,
			 uint64_t align, uint64_t page_offset, uint64_t *iova)
{
	const struct vm_range *a = ioas->ioas.allowed;
	struct vm_range *x = malloc((n + ioas->ioas.nallowed) * sizeof(*x));
	size_t k = 0;
	int rc;

	if (!x)
		return -ENOMEM;
	for (size_t i = 0; i < ioas->ioas.nallowed; i++) {
		for (size_t j = 0; j < n; j++) {
			uint64_t s = a[i].start > r[j].start ? a[i].start : r[j].start;
			uint64_t l = a[i].last < r[j].last ? a[i].last : r[j].last;
			if (s <= l && k < n + ioas->ioas.nallowed)
				x[k++] = (struct vm_range){ s, l };
		}
	}
	rc = alloc_iova(x, k, &ioas->ioas.maps, len, align, page_offset, iova);
	free(x);
	return rc;
}

/*
 * iopt_alloc_iova()'s alignment for an IOVA it picks: the smaller of the
 * length rounded up to a power of two and the user address's own alignment,
 * capped at the huge-page size on a THP kernel (distribution kernels have THP;
 * FACTS: 64 KiB maps of a 2 MiB-aligned buffer got 0x10000 then 0x20000).
 */
#define IO_THP_SIZE (2ull << 20)
static uint64_t auto_iova_alignment(uint64_t uaddr, uint64_t len)
{
	uint64_t a = 1;

	while (a < len && a < IO_THP_SIZE)
		a <<= 1;
	if (uaddr && (uaddr & (~uaddr + 1)) < a)
		a = uaddr & (~uaddr + 1);
	return a;
}

/*
 * The part IOAS_MAP and IOAS_MAP_FILE share (iopt_map_pages).  uaddr is the
 * user address or the file offset; its offset in the page must suit the
 * IOAS alignment.  Pages are pinned only once a domain exists, so a bad user
 * address fails here only then (and at the first attach otherwise).
 */
static int do_map(struct vfioiommu_mock *m, struct io_ctx *c, struct io_obj *ioas, uint32_t flags,
		  uint64_t uaddr, uint64_t len, uint64_t *iova, uint32_t prot)
{
	uint64_t align = ioas_alignment(m, c, ioas->id);
	uint64_t page_offset = uaddr % IO_PAGE;
	struct vm_range *r;
	size_t n;
	int rc;

	if (len == 0)
		return -EINVAL;
	if (page_offset & (align - 1))
		return -EINVAL;
	rc = ioas_ranges(m, c, ioas->id, -1, false, &r, &n);
	if (rc < 0)
		return rc;
	if (!(flags & KABI_IOMMU_IOAS_MAP_FIXED_IOVA)) {
		uint64_t a = auto_iova_alignment(uaddr, len);
		if (a < align)
			rc = -EINVAL;
		else if (len & (align - 1))
			rc = -EINVAL;
		else if (ioas->ioas.nallowed)
			rc = alloc_allowed(r, n, ioas, len, a, page_offset, iova);
		else
			rc = alloc_iova(r, n, &ioas->ioas.maps, len, a, page_offset, iova);
	} else {
		/* iopt_check_iova() */
		if ((*iova & (align - 1)) || (len & (align - 1)))
			rc = -EINVAL;
		else if (*iova > UINT64_MAX - (len - 1))
			rc = -EOVERFLOW;
		else if (!in_ranges(r, n, *iova, *iova + (len - 1)))
			rc = -EINVAL;
		else if (vm_maps_overlaps(&ioas->ioas.maps, *iova, len))
			rc = -EEXIST;
	}
	free(r);
	if (rc == 0 && !(prot & IO_PROT_FILE) && ioas_domains(c, ioas->id))
		rc = user_range_mapped(uaddr, len);
	if (rc < 0)
		return rc;
	return vm_maps_insert(&ioas->ioas.maps, *iova, len, uaddr, prot);
}

#define IO_MAP_FLAGS (KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_WRITEABLE | \
		      KABI_IOMMU_IOAS_MAP_READABLE)
#define IO_MAP_RW (KABI_IOMMU_IOAS_MAP_WRITEABLE | KABI_IOMMU_IOAS_MAP_READABLE)

/* The checks IOAS_MAP and IOAS_MAP_FILE begin with, in the kernel's order; then the IOAS. */
static int map_checks(struct io_ctx *c, uint32_t flags, uint64_t iova, uint64_t length, uint32_t ioas_id,
		      struct io_obj **ioas)
{
	if (flags & ~IO_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (iova >= IO_ULONG_MAX || length >= IO_ULONG_MAX)
		return -EOVERFLOW;
	if (!(flags & IO_MAP_RW))
		return -EINVAL;
	*ioas = obj_get(c, ioas_id, IO_IOAS);
	return *ioas ? 0 : -ENOENT;
}

/*
 * do_map() may write cmd->iova and then fail; the caller never sees that
 * value, since ifd_ioctl copies the struct back only on success.
 */
int vm_io_map(struct vfioiommu_mock *m, struct io_ctx *c, struct io_obj *ioas, uint32_t flags, uint64_t uaddr,
	      uint64_t len, uint64_t *iova, uint32_t prot)
{
	return do_map(m, c, ioas, flags, uaddr, len, iova, prot);
}

int vm_io_map_checks(struct io_ctx *c, uint32_t flags, uint64_t iova, uint64_t length, uint32_t ioas_id,
		     struct io_obj **ioas)
{
	return map_checks(c, flags, iova, length, ioas_id, ioas);
}

static int cmd_ioas_map(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_map *cmd = arg;
	struct io_obj *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = map_checks(c, cmd->flags, cmd->iova, cmd->length, cmd->ioas_id, &ioas);
	if (rc < 0)
		return rc;
	return do_map(m, c, ioas, cmd->flags, cmd->user_va, cmd->length, &cmd->iova, cmd->flags & IO_MAP_RW);
}

static int cmd_ioas_map_file(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_map_file *cmd = arg;
	struct io_obj *ioas;
	struct stat st;
	int rc = map_checks(c, cmd->flags, cmd->iova, cmd->length, cmd->ioas_id, &ioas);

	if (rc < 0)
		return rc;
	/* the mock is the kernel: a real memfd made through the door is checked for real */
	if (cmd->fd >= VFIOIOMMU_MOCK_FD_BASE)
		return vm_fd_get(m, cmd->fd) ? -EINVAL : -EBADF;
	if (cmd->fd < 0 || fstat(cmd->fd, &st) < 0)
		return -EBADF;
	/* only memfd-like files (shmem, hugetlbfs) can be pinned; UNVERIFIED errno */
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (cmd->length == 0 || cmd->start > (uint64_t)st.st_size ||
	    cmd->length > (uint64_t)st.st_size - cmd->start)
		return -EINVAL;
	/* as for IOAS_MAP, a failure's cmd->iova is not copied back */
	return do_map(m, c, ioas, cmd->flags, cmd->start, cmd->length, &cmd->iova,
		      (cmd->flags & IO_MAP_RW) | IO_PROT_FILE);
}

static int cmd_ioas_unmap(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_unmap *cmd = arg;
	struct io_obj *ioas = obj_get(c, cmd->ioas_id, IO_IOAS);
	struct vm_maptab *t;
	uint64_t unmapped = 0, last;

	if (!ioas)
		return -ENOENT;
	t = &ioas->ioas.maps;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		/* FACTS: UNMAP all on an empty IOAS -> ok, length 0 */
		for (size_t i = 0; i < t->n; i++)
			unmapped += t->v[i].len;
		t->n = 0;
		vm_hwpt_dirty_unmapped(c, cmd->ioas_id, 0, UINT64_MAX);
		cmd->length = unmapped;
		return 0;
	}
	if (cmd->iova >= IO_ULONG_MAX || cmd->length >= IO_ULONG_MAX)
		return -EOVERFLOW;
	if (cmd->length == 0)
		return -EINVAL;
	if (cmd->iova > UINT64_MAX - (cmd->length - 1))
		return -EOVERFLOW;
	last = cmd->iova + (cmd->length - 1);
	/*
	 * iopt_unmap_iova_range(): lowest area first; an area the range does not
	 * cover whole stops the walk with ENOENT, and what was unmapped before it
	 * stays unmapped.  FACTS: UNMAP covering A and splitting B -> ENOENT with
	 * A already gone; split middle/head/tail and misaligned iova/len -> ENOENT.
	 */
	for (;;) {
		size_t i = vm_maps_lower(t, cmd->iova);
		const struct vm_map *mp;
		if (i >= t->n || t->v[i].iova > last)
			break;
		mp = &t->v[i];
		if (mp->iova < cmd->iova || mp->iova + (mp->len - 1) > last)
			return -ENOENT;
		unmapped += mp->len;
		vm_hwpt_dirty_unmapped(c, cmd->ioas_id, mp->iova, mp->iova + (mp->len - 1));
		vm_maps_remove_at(t, i);
	}
	/* FACTS: nothing mapped at a specific range -> ENOENT (but unmap-all of nothing is ok, 0) */
	if (!unmapped)
		return -ENOENT;
	cmd->length = unmapped;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct vm_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The most ranges ALLOW_IOVAS takes; the kernel's bound is memory, the mock's is sanity. */
#define IO_ALLOW_MAX 4096u

/*
 * iommufd_ioas_allow_iovas(): replaces the whole list.  FACTS: over the MSI
 * window while attached -> EADDRINUSE; start > last -> EINVAL; num 0 -> ok
 * (clears); IOVA_RANGES does not change; FIXED maps outside stay allowed.
 */
static int cmd_allow_iovas(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_ioas_allow_iovas *cmd = arg;
	const struct kabi_iommu_iova_range *in = (const void *)(uintptr_t)cmd->allowed_iovas;
	struct io_obj *ioas;
	struct vm_range *r = NULL, *ok = NULL;
	size_t n = 0;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = obj_get(c, cmd->ioas_id, IO_IOAS);
	if (!ioas)
		return -ENOENT;
	if (cmd->num_iovas > IO_ALLOW_MAX)
		return -ENOMEM;
	if (cmd->num_iovas && !in)
		return -EFAULT;
	if (cmd->num_iovas && !(r = malloc(cmd->num_iovas * sizeof(*r))))
		return -ENOMEM;
	for (uint32_t i = 0; i < cmd->num_iovas && rc == 0; i++) {
		r[i] = (struct vm_range){ in[i].start, in[i].last };
		if (r[i].start > r[i].last)
			rc = -EINVAL;
	}
	if (rc == 0 && cmd->num_iovas)
		qsort(r, cmd->num_iovas, sizeof(*r), range_cmp);
	for (uint32_t i = 1; i < cmd->num_iovas && rc == 0; i++)
		if (r[i].start <= r[i - 1].last)
			rc = -EINVAL;
	if (rc == 0 && cmd->num_iovas) {
		/* nothing already reserved may fall inside an allowed range */
		rc = ioas_ranges(m, c, ioas->id, -1, false, &ok, &n);
		for (uint32_t i = 0; i < cmd->num_iovas && rc == 0; i++)
			if (!in_ranges(ok, n, r[i].start, r[i].last))
				rc = -EADDRINUSE;
		free(ok);
	}
	if (rc < 0) {
		free(r);
		return rc;
	}
	free(ioas->ioas.allowed);
	ioas->ioas.allowed = r;
	ioas->ioas.nallowed = cmd->num_iovas;
	return 0;
}

static int cmd_option(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_option *cmd = arg;
	struct io_obj *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->option_id == KABI_IOMMU_OPTION_RLIMIT_MODE) {
		if (cmd->object_id)
			return -EOPNOTSUPP;
		if (cmd->op == KABI_IOMMU_OPTION_OP_GET) {
			cmd->val64 = c->account_mm;
			return 0;
		}
		if (cmd->op != KABI_IOMMU_OPTION_OP_SET)
			return -EOPNOTSUPP;
		/* the mock's caller always has CAP_SYS_RESOURCE */
		if (!ctx_empty(c))
			return -EBUSY;
		if (cmd->val64 > 1)
			return -EINVAL;
		c->account_mm = cmd->val64 == 1;
		return 0;
	}
	if (cmd->option_id != KABI_IOMMU_OPTION_HUGE_PAGES)
		return -EOPNOTSUPP;
	ioas = obj_get(c, cmd->object_id, IO_IOAS);
	if (!ioas)
		return -ENOENT;
	if (cmd->op == KABI_IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->ioas.no_huge;
		return 0;
	}
	if (cmd->op != KABI_IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (cmd->val64 > 1)
		return -EINVAL;
	/* FACTS (library objects): iopt_disable_large_pages() refuses an IOAS with domains and mappings */
	if (cmd->val64 == 0 && !ioas->ioas.no_huge && ioas_domains(c, ioas->id) && ioas->ioas.maps.n)
		return -EINVAL;
	ioas->ioas.no_huge = cmd->val64 == 0;
	return 0;
}

static int cmd_vfio_ioas(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_vfio_ioas *cmd = arg;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case KABI_IOMMU_VFIO_IOAS_GET:
		if (!obj_get(c, c->vfio_ioas, IO_IOAS))
			return -ENODEV;
		cmd->ioas_id = c->vfio_ioas;
		return 0;
	case KABI_IOMMU_VFIO_IOAS_SET:
		if (!obj_get(c, cmd->ioas_id, IO_IOAS))
			return -ENOENT;
		c->vfio_ioas = cmd->ioas_id;
		return 0;
	case KABI_IOMMU_VFIO_IOAS_CLEAR:
		c->vfio_ioas = 0;
		return 0;
	}
	return -EOPNOTSUPP;
}

#define IO_HWPT_FLAGS (KABI_IOMMU_HWPT_ALLOC_NEST_PARENT | KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING | \
		       KABI_IOMMU_HWPT_FAULT_ID_VALID | KABI_IOMMU_HWPT_ALLOC_PASID)

static int cmd_hwpt_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hwpt_alloc *cmd = arg;
	struct io_obj *idev, *pt, *fo = NULL, *h;
	int rc;

	/* FACTS: __reserved -> EOPNOTSUPP, but a non-zero __reserved2 is ignored */
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == KABI_IOMMU_HWPT_DATA_NONE) != (cmd->data_len == 0))
		return -EINVAL;
	idev = obj_get(c, cmd->dev_id, IO_DEVICE);
	if (!idev)
		return -ENOENT;
	/* iommufd_hwpt_alloc(): an unknown pt_id is EINVAL here, not ENOENT */
	pt = obj_get(c, cmd->pt_id, 0);
	if (!pt)
		return -EINVAL;
	/* a nested HWPT on a vIOMMU: iommufd_viommu_alloc_hwpt_nested() (iommufd_nested.c) */
	if (pt->type == IO_VIOMMU)
		return vm_io_nested_alloc(m, c, cmd, pt);
	if (pt->type == IO_HWPT)
		return -EOPNOTSUPP; /* nesting on a parent HWPT: the mock's drivers take nested HWPTs on a vIOMMU only */
	if (pt->type != IO_IOAS)
		return -EINVAL;
	if (cmd->flags & ~IO_HWPT_FLAGS)
		return -EOPNOTSUPP;
	/*
	 * virtio-iommu has no flags-taking domain allocator: iommufd refuses any
	 * HWPT flag for it, FAULT_ID_VALID included (FACTS: objects.fault_no_pri
	 * on virtio, EOPNOTSUPP at HWPT_ALLOC)
	 */
	if (cmd->flags && m->iommu_model == VFIOIOMMU_MOCK_IOMMU_VIRTIO)
		return -EOPNOTSUPP;
	/* the mock IOMMU has neither nesting nor dirty tracking, and driver data needs nesting */
	if ((cmd->flags & KABI_IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !(m->features & VFIOIOMMU_MOCK_HWPT_DIRTY))
		return -EOPNOTSUPP;
	/* an SMMUv3 with FEAT_NESTING gives nesting parents (the S2 of a vIOMMU); the others here do not */
	if ((cmd->flags & KABI_IOMMU_HWPT_ALLOC_NEST_PARENT) && m->iommu_model != VFIOIOMMU_MOCK_IOMMU_SMMUV3)
		return -EOPNOTSUPP;
	if (cmd->data_type != KABI_IOMMU_HWPT_DATA_NONE)
		return -EOPNOTSUPP;
	/*
	 * FACTS.md §2.7, §3 c iommufd.HWPT_ALLOC.PASID_flag: intel accepts
	 * IOMMU_HWPT_ALLOC_PASID although the IOMMU has no PASID (max_pasid_log2
	 * 0) and the attach fails later; amd and virtio say EOPNOTSUPP.
	 */
	if ((cmd->flags & KABI_IOMMU_HWPT_ALLOC_PASID) &&
	    (m->iommu_model == VFIOIOMMU_MOCK_IOMMU_AMD || m->iommu_model == VFIOIOMMU_MOCK_IOMMU_VIRTIO))
		return -EOPNOTSUPP;
	/* before 6.15 the PASID flag did not exist: an unknown flag is EOPNOTSUPP */
	if ((cmd->flags & KABI_IOMMU_HWPT_ALLOC_PASID) && !(m->features & VFIOIOMMU_MOCK_PASID_ATTACH))
		return -EOPNOTSUPP;
	/* a new domain reserves everything outside the aperture (iopt_table_add_domain) */
	rc = ioas_check_new_reserved(m, c, pt, -1);
	if (rc < 0)
		return rc;
	if (cmd->flags & KABI_IOMMU_HWPT_FAULT_ID_VALID) {
		fo = obj_get(c, cmd->fault_id, IO_FAULT);
		if (!fo)
			return -ENOENT;
	}
	h = obj_new(c, IO_HWPT);
	if (!h)
		return -ENOMEM;
	h->hwpt.ioas = pt->id;
	h->hwpt.flags = cmd->flags;
	pt->users++;
	if (fo) {
		h->hwpt.fault = fo->id;
		fo->users++;
	}
	cmd->out_hwpt_id = h->id;
	return 0;
}

static int cmd_get_hw_info(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_hw_info *cmd = arg;
	struct kabi_iommu_hw_info_vtd vtd = { .flags = 1 /* FACTS: QEMU's flags */, .cap_reg = vm_vtd_cap(m),
					      .ecap_reg = vm_vtd_ecap(m) };
	struct kabi_iommu_hw_info_arm_smmuv3 smmu = { .flags = 0 };
	unsigned char *data = (void *)(uintptr_t)cmd->data_uptr;
	const struct vm_device *d;
	const void *src = NULL;
	struct io_obj *idev;
	uint32_t copy, have = 0, type = KABI_IOMMU_HW_INFO_TYPE_NONE;
	unsigned int bits;

	if (cmd->flags & ~KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	/* drivers only know their own type; without INPUT_TYPE the input is DEFAULT */
	if (!(cmd->flags & KABI_IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->out_data_type = KABI_IOMMU_HW_INFO_TYPE_NONE;
	idev = obj_get(c, cmd->dev_id, IO_DEVICE);
	/* FACTS (mdev): a mediated device's id is an iommufd access's, and the kernel looks only for devices */
	if (!idev || m->devs[idev->dev.dev_idx].mdev)
		return -ENOENT;
	/*
	 * Each driver reports its own type and register dump: VT-d type 1 with
	 * struct iommu_hw_info_vtd (24 bytes), SMMUv3 type 2 with struct
	 * iommu_hw_info_arm_smmuv3 (40 bytes; arm_smmu_hw_info), and both refuse
	 * any other requested INPUT_TYPE (EOPNOTSUPP).  FACTS.md §2.6, §3 c
	 * cdev.GET_HW_INFO.*: QEMU's amd-iommu and virtio-iommu give no driver
	 * data (type 0, data_len 0, the user's buffer zeroed) and ignore the
	 * requested INPUT_TYPE (0xff: ok).
	 */
	switch (m->iommu_model) {
	case VFIOIOMMU_MOCK_IOMMU_INTEL:
		type = KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD;
		src = &vtd;
		have = (uint32_t)sizeof(vtd);
		break;
	case VFIOIOMMU_MOCK_IOMMU_SMMUV3:
		type = KABI_IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
		vm_smmuv3_idr(m, smmu.idr, &smmu.iidr, &smmu.aidr);
		src = &smmu;
		have = (uint32_t)sizeof(smmu);
		break;
	default:
		break;
	}
	if (src && cmd->out_data_type != KABI_IOMMU_HW_INFO_TYPE_NONE && cmd->out_data_type != type)
		return -EOPNOTSUPP;
	d = &m->devs[idev->dev.dev_idx];
	copy = cmd->data_len < have ? cmd->data_len : have;
	if (cmd->data_len && !data)
		return -EFAULT;
	if (copy)
		memcpy(data, src, copy);
	/* the rest of the user's buffer is zeroed, and data_len says how much the kernel has */
	if (copy < cmd->data_len)
		memset(data + copy, 0, cmd->data_len - copy);
	cmd->data_len = have;
	cmd->out_data_type = type;
	bits = m->pasid_bits < d->pasid_bits ? m->pasid_bits : d->pasid_bits;
	/* before 6.15 the byte was part of a __reserved word: always 0 */
	if (!(m->features & VFIOIOMMU_MOCK_PASID_ATTACH))
		bits = 0;
	cmd->out_max_pasid_log2 = (uint8_t)bits;
	/*
	 * FACTS: out_capabilities 0x8 (PCI_ATS_NOT_SUPPORTED) for the e1000e.  The
	 * mock has no ATS attribute: a device with PASID or PRI (iopf) is taken
	 * to have ATS, as PCIe requires for PRI.  No dirty tracking; PASID
	 * EXEC/PRIV are not modelled.
	 */
	cmd->out_capabilities = (d->pasid_bits || d->iopf) ? 0 : KABI_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	return 0;
}

static int cmd_fault_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg)
{
	struct kabi_iommu_fault_alloc *cmd = arg;
	struct io_obj *fo;
	int fd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	fd = obj_new_fd(m, c, IO_FAULT, &fault_ops, &fo);
	if (fd < 0)
		return fd;
	cmd->out_fault_id = fo->id;
	cmd->out_fault_fd = (uint32_t)fd;
	return 0;
}

struct io_cmd {
	unsigned long req;
	size_t min, ksize;
	int (*fn)(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
};

static const struct io_cmd cmds[] = {
	{ KABI_IOMMU_DESTROY, 8, sizeof(struct kabi_iommu_destroy), cmd_destroy },
	{ KABI_IOMMU_IOAS_ALLOC, 12, sizeof(struct kabi_iommu_ioas_alloc), cmd_ioas_alloc },
	{ KABI_IOMMU_IOAS_ALLOW_IOVAS, 24, sizeof(struct kabi_iommu_ioas_allow_iovas), cmd_allow_iovas },
	{ KABI_IOMMU_IOAS_IOVA_RANGES, 32, sizeof(struct kabi_iommu_ioas_iova_ranges), cmd_iova_ranges },
	{ KABI_IOMMU_IOAS_MAP, 40, sizeof(struct kabi_iommu_ioas_map), cmd_ioas_map },
	{ KABI_IOMMU_IOAS_UNMAP, 24, sizeof(struct kabi_iommu_ioas_unmap), cmd_ioas_unmap },
	{ KABI_IOMMU_OPTION, 24, sizeof(struct kabi_iommu_option), cmd_option },
	{ KABI_IOMMU_VFIO_IOAS, 12, sizeof(struct kabi_iommu_vfio_ioas), cmd_vfio_ioas },
	{ KABI_IOMMU_HWPT_ALLOC, KABI_HWPT_ALLOC_MIN, sizeof(struct kabi_iommu_hwpt_alloc), cmd_hwpt_alloc },
	{ KABI_IOMMU_GET_HW_INFO, KABI_HW_INFO_MIN, sizeof(struct kabi_iommu_hw_info), cmd_get_hw_info },
	{ KABI_IOMMU_FAULT_QUEUE_ALLOC, 16, sizeof(struct kabi_iommu_fault_alloc), cmd_fault_alloc },
	{ KABI_IOMMU_IOAS_MAP_FILE, 40, sizeof(struct kabi_iommu_ioas_map_file), cmd_ioas_map_file },
	{ KABI_IOMMU_VIOMMU_ALLOC, KABI_VIOMMU_ALLOC_MIN, sizeof(struct kabi_iommu_viommu_alloc), cmd_viommu_alloc },
	{ KABI_IOMMU_VEVENTQ_ALLOC, KABI_VEVENTQ_ALLOC_MIN, sizeof(struct kabi_iommu_veventq_alloc), cmd_veventq_alloc },
	{ KABI_IOMMU_VDEVICE_ALLOC, 24, sizeof(struct kabi_iommu_vdevice_alloc), cmd_vdevice_alloc },
	{ KABI_IOMMU_HWPT_INVALIDATE, 32, sizeof(struct kabi_iommu_hwpt_invalidate), cmd_hwpt_invalidate },
	{ KABI_IOMMU_IOAS_COPY, 40, sizeof(struct kabi_iommu_ioas_copy), cmd_ioas_copy },
	{ KABI_IOMMU_HW_QUEUE_ALLOC, 40, sizeof(struct kabi_iommu_hw_queue_alloc), cmd_hw_queue_alloc },
	{ KABI_IOMMU_IOAS_CHANGE_PROCESS, 8, sizeof(struct kabi_iommu_ioas_change_process), cmd_change_process },
	{ KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, 16, sizeof(struct kabi_iommu_hwpt_set_dirty), cmd_hwpt_set_dirty },
	{ KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, 48, sizeof(struct kabi_iommu_hwpt_get_dirty), cmd_hwpt_get_dirty },
};

/*
 * VFIO container ioctls sent to /dev/iommu go to iommufd's VFIO compat layer
 * (vfio_compat.c is always built).  Only the probes are modelled.  FACTS:
 * GET_API_VERSION -> 0 and CHECK_EXTENSION(TYPE1v2) -> 1 on /dev/iommu even
 * without IOMMUFD_VFIO_CONTAINER.
 */
static int vfio_compat_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KABI_VFIO_GET_API_VERSION:
		return KABI_VFIO_API_VERSION;
	case KABI_VFIO_CHECK_EXTENSION:
		switch ((unsigned long)(uintptr_t)arg) {
		case KABI_VFIO_TYPE1_IOMMU:
		case KABI_VFIO_TYPE1v2_IOMMU:
		case KABI_VFIO_UNMAP_ALL:
			return 1;
		default:
			return 0;
		}
	case KABI_VFIO_IOMMU_GET_INFO:
		/* FACTS k: the forwarder finds no compat IOAS (the mock makes none on /dev/iommu): ENODEV */
		return -ENODEV;
	}
	return -ENOTTY;
}

static int ifd_ioctl(struct vfioiommu_mock *m, struct vm_file *f, unsigned long req, void *arg)
{
	struct io_ctx *c = f->obj;
	unsigned char k[64];
	const struct io_cmd *cmd = NULL;
	uint32_t usize;
	size_t n;
	int rc;

	/* FACTS: unknown nr 0x95/0xa1, or the right nr with a size encoded (0xC0003B81) -> ENOTTY */
	if ((req & ~0xffUL) != KABI_IO(0))
		return -ENOTTY;
	if ((req & 0xff) < 0x80)
		return vfio_compat_ioctl(req, arg);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].req == req)
			cmd = &cmds[i];
	if (!cmd)
		return -ENOTTY; /* includes commands the mock does not model (COPY, dirty tracking, vIOMMU) */
	/* FACTS: NULL argument -> EFAULT; size < min -> EINVAL; non-zero tail -> E2BIG; 8192 zero tail ok */
	if (!arg)
		return -EFAULT;
	memcpy(&usize, arg, sizeof(usize));
	rc = vm_check_size(arg, usize, cmd->min, cmd->ksize);
	if (rc < 0)
		return rc;
	/* copy_struct_from_user(): a short struct reads as zero-extended */
	memset(k, 0, sizeof(k));
	n = usize < cmd->ksize ? usize : cmd->ksize;
	memcpy(k, arg, n);
	rc = cmd->fn(m, c, k);
	/* iommufd_ucmd_respond(): min(user size, kernel size) bytes go back */
	if (rc == 0 || (rc == -EMSGSIZE && req == KABI_IOMMU_IOAS_IOVA_RANGES) || req == KABI_IOMMU_HWPT_INVALIDATE)
		memcpy(arg, k, n);
	return rc;
}

static void ifd_release(struct vfioiommu_mock *m, struct vm_file *f)
{
	ctx_put(m, f->obj);
}

static const struct vm_file_ops ifd_ops = {
	.name = "iommufd",
	.ioctl = ifd_ioctl,
	.release = ifd_release,
};

int vm_iommufd_open(struct vfioiommu_mock *m)
{
	struct io_state *st = state(m);
	struct io_ctx *c;
	struct vm_file *f;
	int fd;

	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		m->iommufd = st;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	f = vm_file_new(&ifd_ops, c);
	if (!f) {
		free(c);
		return -ENOMEM;
	}
	fd = vm_fd_install(m, f);
	if (fd < 0) {
		free(f);
		free(c);
		return fd;
	}
	c->refs = 1;
	c->next = st->ctxs;
	st->ctxs = c;
	return fd;
}

void vm_iommufd_destroy(struct vfioiommu_mock *m)
{
	struct io_state *st = state(m);

	if (!st)
		return;
	/* every fd is released by now; what is left was pinned by a device never unbound */
	while (st->ctxs)
		ctx_free(m, st->ctxs);
	free(st);
	m->iommufd = NULL;
}

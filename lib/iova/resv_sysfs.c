/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reserved regions and assignability as sysfs shows them, before anything in
 * /dev is opened.  Everything goes through the door, so the same code reads
 * the real /sys, a captured tree (sysfs_root) or the mock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "internal.h"
#include "resv.h"

/* reserved_regions is one page on today's kernels; a captured tree or a mock may hold more. */
#define RESV_READ_FIRST 4096
#define RESV_READ_MAX (16u << 20)

static int read_resv_text(struct vfioiommu_ctx *ctx, unsigned int group, char **text, size_t *len)
{
	size_t n = RESV_READ_FIRST;

	for (;;) {
		char *buf = malloc(n);
		ssize_t rc;

		if (!buf)
			return vi_fail(ctx, -ENOMEM, "group %u: no memory to read reserved_regions", group);
		rc = vi_sysfs_read(ctx, buf, n, "kernel/iommu_groups/%u/reserved_regions", group);
		if (rc == -EFBIG && n < RESV_READ_MAX) {
			free(buf);
			n *= 4;
			continue;
		}
		if (rc < 0) {
			free(buf);
			if (rc == -ENOENT)
				return vi_fail(ctx, -ENOENT, "group %u: %s/kernel/iommu_groups/%u/reserved_regions "
					       "does not exist: no such IOMMU group", group, ctx->sysfs_root, group);
			return vi_fail(ctx, (int)rc, "group %u: cannot read its reserved regions: %s", group,
				       vi_sysfs_errstr((int)rc));
		}
		*text = buf;
		*len = (size_t)rc < n ? (size_t)rc : n - 1; /* never trust a door's length past the buffer */
		return 0;
	}
}

static int read_group_into(struct vfioiommu_ctx *ctx, unsigned int group, struct vi_resv_vec *v)
{
	char file[VI_PATH_MAX + 64];
	struct vi_err e;
	char *text = NULL;
	size_t len = 0;
	int rc = read_resv_text(ctx, group, &text, &len);

	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s/kernel/iommu_groups/%u/reserved_regions", ctx->sysfs_root, group);
	rc = vi_resv_parse_append(v, text, len, group, file, &e);
	free(text);
	if (rc == -EINVAL)
		return vi_fail(ctx, -EPROTO, "the kernel's reserved regions are malformed: %s", e.msg);
	if (rc < 0)
		return vi_fail_from(ctx, rc, &e);
	return 0;
}

VFIOIOMMU_API int vfioiommu_resv_read_groups(vfioiommu_ctx *ctx, const unsigned int *groups, size_t n,
	vfioiommu_resv_set **out)
{
	struct vi_resv_vec v = { NULL, 0, 0 };
	int rc = 0;

	if (!out)
		return vi_fail(ctx, -EINVAL, "reading reserved regions: NULL output");
	*out = NULL;
	if (!ctx || (n && !groups))
		return vi_fail(ctx, -EINVAL, "reading reserved regions: NULL context or group list");
	rc = vi_sysfs_refused(ctx, "reading reserved regions");
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_group_into(ctx, groups[i], &v);
	if (rc == 0 && (rc = vi_resv_set_from_vec(&v, out)) < 0)
		vi_fail(ctx, rc, "no memory to merge the reserved regions of %zu groups", n);
	vi_resv_vec_free(&v);
	return rc;
}

VFIOIOMMU_API int vfioiommu_resv_read_group(vfioiommu_ctx *ctx, unsigned int group,
	vfioiommu_resv_set **out)
{
	return vfioiommu_resv_read_groups(ctx, &group, 1, out);
}

/* ---------------- verdicts ---------------- */

VFIOIOMMU_API const char *vfioiommu_verdict_name(enum vfioiommu_verdict_kind kind)
{
	switch (kind) {
	case VFIOIOMMU_VERDICT_ASSIGNABLE: return "assignable";
	case VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS: return "assignable-with-warnings";
	case VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT: return "refused-resv-direct";
	case VFIOIOMMU_VERDICT_NOT_VIABLE: return "not-viable";
	case VFIOIOMMU_VERDICT_NO_GROUP: return "no-group";
	case VFIOIOMMU_VERDICT_NOT_VFIO: return "not-vfio";
	case VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN: return "needs-vf-token";
	}
	return "unknown";
}

/*
 * Drivers that leave the group's DMA ownership free (driver_managed_dma in
 * the kernel): VFIO's own, pci-stub and the PCIe port driver of bridges.
 */
static bool driver_allows_ownership(const char *driver)
{
	return !driver[0] || vi_driver_is_vfio(driver) || !strcmp(driver, "pci-stub") ||
	       !strcmp(driver, "pcieport");
}

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

static int names_add(void *arg, const char *name)
{
	struct names *nm = arg;

	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 8;
		char **v = cap < SIZE_MAX / sizeof(*v) ? realloc(nm->v, cap * sizeof(*v)) : NULL;

		if (!v)
			return -ENOMEM;
		nm->v = v;
		nm->cap = cap;
	}
	if (!(nm->v[nm->n] = strdup(name)))
		return -ENOMEM;
	nm->n++;
	return 0;
}

/* Copy, truncating: names that do not fit are cut, never overflow. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Reasons are for people: a cut sentence beats a failure. */
static void reason(struct vfioiommu_verdict *out, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
static void reason(struct vfioiommu_verdict *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void set_region(struct vfioiommu_verdict *out, const struct vfioiommu_resv_region *r)
{
	out->region = *r;
}

static const struct vfioiommu_resv_region *first_of_type(const vfioiommu_resv_set *set,
							 enum vfioiommu_resv_type t)
{
	size_t n;
	const struct vfioiommu_resv_region *r = vi_resv_set_regions(set, &n);

	for (size_t i = 0; i < n; i++)
		if (r[i].type == t)
			return &r[i];
	return NULL;
}

static void verdict_direct(struct vfioiommu_verdict *out, const struct vfioiommu_resv_region *r)
{
	out->kind = VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT;
	set_region(out, r);
	reason(out, "group %u has a firmware 1:1 region 0x%" PRIx64 "-0x%" PRIx64 " (direct: an RMRR, IVMD or RMR); "
		 "Linux 6.6 and later refuse to hand its devices to VFIO or iommufd. Software cannot lift "
		 "this: use firmware that does not declare the region for this device, or assign another device",
		 out->group, r->start, r->last);
}

static void verdict_relaxable(struct vfioiommu_verdict *out, const struct vfioiommu_resv_region *r)
{
	out->kind = VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS;
	set_region(out, r);
	reason(out, "group %u has a direct-relaxable region 0x%" PRIx64 "-0x%" PRIx64 " (an RMRR the kernel "
		 "lets go: USB, graphics, or the ISA bridge's floppy workaround): assignment drops its 1:1 "
		 "mapping and the range stays usable for DMA; fine unless firmware keeps using it (legacy USB "
		 "emulation, a boot framebuffer, a floppy controller)",
		 out->group, r->start, r->last);
}

static void verdict_not_vfio(struct vfioiommu_verdict *out, const char *bdf, const char *driver)
{
	out->kind = VFIOIOMMU_VERDICT_NOT_VFIO;
	copy_str(out->culprit, sizeof(out->culprit), bdf);
	copy_str(out->culprit_driver, sizeof(out->culprit_driver), driver);
	if (driver[0])
		reason(out, "%s is bound to %s, not to vfio-pci: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
			 "echo %s > /sys/bus/pci/drivers/%s/unbind; echo %s > /sys/bus/pci/drivers_probe",
			 bdf, driver, bdf, bdf, driver, bdf);
	else
		reason(out, "%s is not bound to any driver: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
			 "echo %s > /sys/bus/pci/drivers_probe",
			 bdf, bdf, bdf);
}

struct group_scan {
	vfioiommu_resv_set *set;
	char culprit[32], culprit_driver[64];
	size_t nblocking;
	char vfio_member[32];
	char first[32], first_driver[64];
	size_t nmembers;
};

static int scan_group(struct vfioiommu_ctx *ctx, unsigned int group, struct group_scan *gs)
{
	struct names nm = { NULL, 0, 0 };
	int rc;

	memset(gs, 0, sizeof(*gs));
	rc = vfioiommu_resv_read_group(ctx, group, &gs->set);
	if (rc < 0)
		return rc;
	rc = vi_sysfs_listdir(ctx, names_add, &nm, "kernel/iommu_groups/%u/devices", group);
	if (rc < 0) {
		rc = vi_fail(ctx, rc, "group %u: cannot list its devices: %s", group, vi_sysfs_errstr(rc));
		goto out;
	}
	gs->nmembers = nm.n;
	for (size_t i = 0; i < nm.n; i++) {
		char driver[64];

		rc = vi_sysfs_group_member_driver(ctx, group, nm.v[i], driver, sizeof(driver));
		if (rc < 0) {
			rc = vi_fail(ctx, rc, "group %u: cannot read the driver of %s: %s", group, nm.v[i],
				     vi_sysfs_errstr(rc));
			goto out;
		}
		if (i == 0) {
			copy_str(gs->first, sizeof(gs->first), nm.v[i]);
			copy_str(gs->first_driver, sizeof(gs->first_driver), driver);
		}
		if (vi_driver_is_vfio(driver) && !gs->vfio_member[0])
			copy_str(gs->vfio_member, sizeof(gs->vfio_member), nm.v[i]);
		if (!driver_allows_ownership(driver) && gs->nblocking++ == 0) {
			copy_str(gs->culprit, sizeof(gs->culprit), nm.v[i]);
			copy_str(gs->culprit_driver, sizeof(gs->culprit_driver), driver);
		}
	}
	rc = 0;
out:
	names_free(&nm);
	if (rc < 0) {
		vfioiommu_resv_set_free(gs->set);
		gs->set = NULL;
	}
	return rc;
}

static void verdict_not_viable(struct vfioiommu_verdict *out, const struct group_scan *gs)
{
	char more[64] = "";

	out->kind = VFIOIOMMU_VERDICT_NOT_VIABLE;
	copy_str(out->culprit, sizeof(out->culprit), gs->culprit);
	copy_str(out->culprit_driver, sizeof(out->culprit_driver), gs->culprit_driver);
	if (gs->nblocking > 1)
		snprintf(more, sizeof(more), " (and %zu more device%s)", gs->nblocking - 1,
			 gs->nblocking > 2 ? "s" : "");
	reason(out, "group %u is not viable: %s is bound to %s%s. Bind every device of group %u to vfio-pci or "
		 "unbind %s from %s (echo %s > /sys/bus/pci/drivers/%s/unbind)",
		 out->group, gs->culprit, gs->culprit_driver, more, out->group, gs->culprit,
		 gs->culprit_driver, gs->culprit, gs->culprit_driver);
}

/* Everything after "the group exists": shared by the device and the group verdicts. */
static void judge(struct vfioiommu_verdict *out, const struct group_scan *gs, const char *bdf,
		  const char *driver)
{
	const struct vfioiommu_resv_region *r;

	if ((r = first_of_type(gs->set, VFIOIOMMU_RESV_DIRECT))) {
		verdict_direct(out, r);
	} else if (bdf && !vi_driver_is_vfio(driver)) {
		verdict_not_vfio(out, bdf, driver);
	} else if (gs->nblocking) {
		verdict_not_viable(out, gs);
	} else if (!bdf && !gs->vfio_member[0]) {
		out->kind = VFIOIOMMU_VERDICT_NOT_VFIO;
		if (gs->nmembers)
			verdict_not_vfio(out, gs->first, gs->first_driver);
		else
			reason(out, "group %u has no devices", out->group);
	} else if ((r = first_of_type(gs->set, VFIOIOMMU_RESV_DIRECT_RELAXABLE))) {
		verdict_relaxable(out, r);
	} else {
		out->kind = VFIOIOMMU_VERDICT_ASSIGNABLE;
		reason(out, "%s%sgroup %u: every device is on vfio-pci or unbound and no reserved region forbids assignment",
			 bdf ? bdf : "", bdf ? " in " : "", out->group);
	}
}

VFIOIOMMU_API int vfioiommu_verdict_group(vfioiommu_ctx *ctx, unsigned int group,
	struct vfioiommu_verdict *out)
{
	struct group_scan gs;
	int rc;

	if (!ctx || !out)
		return vi_fail(ctx, -EINVAL, "group verdict: NULL argument");
	memset(out, 0, sizeof(*out));
	out->group = group;
	rc = vi_sysfs_refused(ctx, "the group verdict");
	if (rc < 0)
		return rc;
	rc = scan_group(ctx, group, &gs);
	if (rc < 0)
		return rc;
	judge(out, &gs, NULL, NULL);
	vfioiommu_resv_set_free(gs.set);
	return 0;
}

/*
 * A VF (its physfn link) whose PF is on vfio-pci opens only with the PF's VF
 * token (FACTS l: EACCES without): say so before anything is opened.
 */
static int vf_token_verdict(struct vfioiommu_ctx *ctx, struct vfioiommu_verdict *out, const char *bdf)
{
	char link[VI_PATH_MAX], pf[VI_BDF_MAX], pfdrv[64];
	const char *base;
	ssize_t rc = vi_sysfs_readlink(ctx, link, sizeof(link), "bus/pci/devices/%s/physfn", bdf);

	if (rc == -ENOENT)
		return 0; /* not a VF */
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "device %s: cannot read its physfn link: %s", bdf,
			       vi_sysfs_errstr((int)rc));
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (vi_bdf_check(base) < 0)
		return vi_fail(ctx, -EPROTO, "device %s: its physfn link names \"%s\", not a PCI address", bdf, base);
	copy_str(pf, sizeof(pf), base);
	rc = vi_sysfs_device_driver(ctx, pf, pfdrv, sizeof(pfdrv));
	if (rc < 0)
		return vi_fail(ctx, (int)rc, "device %s: cannot read the driver of its PF %s: %s", bdf, pf,
			       vi_sysfs_errstr((int)rc));
	if (!vi_driver_is_vfio(pfdrv))
		return 0;
	out->kind = VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN;
	copy_str(out->culprit, sizeof(out->culprit), pf);
	copy_str(out->culprit_driver, sizeof(out->culprit_driver), pfdrv);
	reason(out, "%s is a VF of %s, which is on %s: VFIO hands it out only with the VF token the PF's user set "
	       "(vfioiommu_device_set_vf_token on the PF; open the VF with vfioiommu_device_open_with and that token)",
	       bdf, pf, pfdrv);
	return 0;
}

VFIOIOMMU_API int vfioiommu_verdict_device(vfioiommu_ctx *ctx, const char *bdf,
	struct vfioiommu_verdict *out)
{
	struct group_scan gs;
	char driver[64];
	int rc;

	if (!ctx || !out)
		return vi_fail(ctx, -EINVAL, "device verdict: NULL argument");
	memset(out, 0, sizeof(*out));
	if (vi_bdf_check(bdf) < 0)
		return vi_fail(ctx, -EINVAL, "\"%s\" is not a PCI address of the form 0000:03:00.0",
			       bdf ? bdf : "(null)");
	copy_str(out->device, sizeof(out->device), bdf);
	rc = vi_sysfs_refused(ctx, "the device verdict");
	if (rc < 0)
		return rc;
	rc = vi_sysfs_exists(ctx, "bus/pci/devices/%s", bdf);
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: not found in %s/bus/pci/devices (%s)", bdf, ctx->sysfs_root,
			       vi_errno_name(rc));
	rc = vi_sysfs_device_group(ctx, bdf, &out->group);
	if (rc == -ENOENT) {
		out->kind = VFIOIOMMU_VERDICT_NO_GROUP;
		reason(out, "%s has no IOMMU group: the IOMMU is off or absent. Enable VT-d or AMD-Vi in the firmware "
			 "and boot with intel_iommu=on or amd_iommu=on (VFIO's no-IOMMU mode works without one but "
			 "gives no DMA protection)", bdf);
		return 0;
	}
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: cannot read its iommu_group link: %s", bdf, vi_sysfs_errstr(rc));
	rc = vi_sysfs_device_driver(ctx, bdf, driver, sizeof(driver));
	if (rc < 0)
		return vi_fail(ctx, rc, "device %s: cannot read its driver: %s", bdf, vi_sysfs_errstr(rc));
	rc = scan_group(ctx, out->group, &gs);
	if (rc < 0)
		return rc;
	judge(out, &gs, bdf, driver);
	vfioiommu_resv_set_free(gs.set);
	if (out->kind == VFIOIOMMU_VERDICT_ASSIGNABLE || out->kind == VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS)
		return vf_token_verdict(ctx, out, bdf);
	return 0;
}

/*
 * For error messages of the backends: the first RESV_DIRECT region of a
 * group as "0x...-0x...", or "" when it has none or it cannot be read.
 */
void vi_group_direct_region(struct vfioiommu_ctx *ctx, unsigned int group, char *out, size_t n)
{
	vfioiommu_resv_set *set = NULL;
	struct vfioiommu_resv_region r;

	out[0] = '\0';
	if (vfioiommu_resv_read_group(ctx, group, &set) < 0)
		return;
	for (size_t i = 0; i < vfioiommu_resv_set_count(set); i++) {
		/* direct-relaxable does not block ownership; only DIRECT does */
		if (vfioiommu_resv_set_get(set, i, &r) == 0 && r.type == VFIOIOMMU_RESV_DIRECT) {
			/* as sysfs prints it, so the user can find the line */
			snprintf(out, n, "0x%016" PRIx64 "-0x%016" PRIx64, r.start, r.last);
			break;
		}
	}
	vfioiommu_resv_set_free(set);
}

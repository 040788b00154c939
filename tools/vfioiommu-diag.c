/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vfioiommu-diag: what this host offers VFIO, before anything is opened.
 * One line per device by default (address, driver, ids, group, verdict, the
 * IOVA space its group leaves usable), like lspci; -v for groups, reserved
 * regions, ranges and the reasons; --json for scripts (docs/diag-json.md).
 * Reads sysfs through the library's door, so it runs the same on the real
 * /sys, on a captured tree (--sysfs-root) and on the mock (--mock).
 *
 * Exit status: 0 when everything asked about is assignable (every group
 * shown; the -g group; the -s device), 1 when something is not, 2 on a usage
 * error or a failure to read the host.
 *
 * It is an in-tree tool: it links the internal library for sysfs listing and
 * the IOMMU's address width, which the public API does not offer.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"
#include "iova/internal.h"

#define DEFAULT_APERTURE_BITS 39
#define JSON_SCHEMA_VERSION 1

enum { EXIT_ASSIGNABLE = 0, EXIT_NOT_ASSIGNABLE = 1, EXIT_ERROR = 2 };

struct dev_info {
	char name[128];
	bool is_pci;
	bool in_group;
	unsigned int group;
	char driver[64];        /* "" = no driver */
	int vendor, device;     /* -1 = unknown */
	char cdev[32];          /* "vfio3", "" = none */
	char iommu[64];         /* its /sys/class/iommu name, "" = none */
	bool have_verdict;
	struct vfioiommu_verdict verdict;
	bool shown;
};

struct group_info {
	unsigned int num;
	size_t first, ndevs;    /* its devices: devs[first .. first + ndevs) */
	vfioiommu_resv_set *resv;
	vfioiommu_iova_list *usable;
	struct vfioiommu_verdict verdict;
	int err;                /* a failure reading this group, reported in place */
	char errmsg[512];
	bool shown;
	bool in_all;            /* counted in the all-groups summary */
};

struct iommu_info {
	char name[64];
	struct vi_iommu_width w;
};

struct host {
	const char *source;     /* "sysfs" or "mock" */
	const char *where;      /* the sysfs root or the mock file */
	uint64_t ap_start, ap_last;
	unsigned int ap_bits;   /* 0: not [0, 2^n - 1] */
	const char *ap_source;  /* "option", "sysfs", "default" */
	char ap_detail[384];
	struct group_info *groups;
	size_t ngroups;
	struct dev_info *devs;  /* the groups' devices, then PCI devices without a group */
	size_t ndevs;
	struct iommu_info *iommus;
	size_t niommus;
	vfioiommu_iova_list *usable_all;
	bool dev_iommu, dev_vfio, noiommu;
	size_t vfio_devs, vfio_cdevs;
	/* what was asked */
	char want_dev[32];      /* -s, normalised; "" = all */
	bool want_group_set;
	unsigned int want_group;
};

/* ---------------- collecting ---------------- */

struct strv {
	char **v;
	size_t n;
};

static int strv_add(void *arg, const char *name)
{
	struct strv *s = arg;
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->v = v;
	if (!(s->v[s->n] = strdup(name)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_group(const void *a, const void *b)
{
	unsigned int x = ((const struct group_info *)a)->num, y = ((const struct group_info *)b)->num;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_id(vfioiommu_ctx *ctx, const char *bdf, const char *attr)
{
	char buf[32], *end;
	unsigned long v;

	if (vi_sysfs_read(ctx, buf, sizeof(buf), "bus/pci/devices/%s/%s", bdf, attr) <= 0)
		return -1;
	v = strtoul(buf, &end, 16);
	return (end == buf || v > 0xffff) ? -1 : (int)v;
}

static int take_vfio(void *arg, const char *name)
{
	char *out = arg;

	if (strncmp(name, "vfio", 4))
		return 0;
	snprintf(out, 32, "%s", name);
	return 1;
}

static int add_dev(struct host *h)
{
	struct dev_info *d = realloc(h->devs, (h->ndevs + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	h->devs = d;
	memset(&h->devs[h->ndevs], 0, sizeof(*d));
	return (int)h->ndevs++;
}

static void collect_device(vfioiommu_ctx *ctx, struct host *h, struct dev_info *d, bool in_group, unsigned int group,
			   const char *name)
{
	char link[VI_PATH_MAX];

	snprintf(d->name, sizeof(d->name), "%s", name);
	d->in_group = in_group;
	d->group = group;
	d->vendor = d->device = -1;
	d->is_pci = vi_bdf_check(name) == 0;
	if (d->is_pci) {
		if (vi_sysfs_device_driver(ctx, name, d->driver, sizeof(d->driver)) < 0)
			d->driver[0] = '\0';
		d->vendor = read_id(ctx, name, "vendor");
		d->device = read_id(ctx, name, "device");
		if (vi_sysfs_listdir(ctx, take_vfio, d->cdev, "bus/pci/devices/%s/vfio-dev", name) < 0)
			d->cdev[0] = '\0';
		if (vi_device_iommu(ctx, name, d->iommu, sizeof(d->iommu)) < 0)
			d->iommu[0] = '\0';
		d->have_verdict = vfioiommu_verdict_device(ctx, name, &d->verdict) == 0;
		if (vi_driver_is_vfio(d->driver)) {
			h->vfio_devs++;
			if (d->cdev[0]) {
				char path[64];
				snprintf(path, sizeof(path), "/dev/vfio/devices/%s", d->cdev);
				if (vi_kexists(ctx, path) == 0)
					h->vfio_cdevs++;
			}
		}
	} else if (in_group && vi_sysfs_readlink(ctx, link, sizeof(link), "kernel/iommu_groups/%u/devices/%s/driver",
						   group, name) >= 0) {
		const char *b = strrchr(link, '/');
		snprintf(d->driver, sizeof(d->driver), "%.63s", b ? b + 1 : link);
	}
}

static int collect_group_devices(vfioiommu_ctx *ctx, struct host *h, struct group_info *g)
{
	struct strv names = { NULL, 0 };
	int rc = 0;

	g->first = h->ndevs;
	if (vi_sysfs_listdir(ctx, strv_add, &names, "kernel/iommu_groups/%u/devices", g->num) == 0 && names.n) {
		qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
		for (size_t i = 0; i < names.n; i++) {
			int at = add_dev(h);
			if (at < 0) {
				rc = at;
				break;
			}
			collect_device(ctx, h, &h->devs[at], true, g->num, names.v[i]);
			g->ndevs++;
		}
	}
	strv_free(&names);
	return rc;
}

/* The IOMMUs behind the groups' devices, and the narrowest address width their sysfs attributes give. */
static int collect_aperture(vfioiommu_ctx *ctx, struct host *h)
{
	unsigned int bits = 0;
	size_t known = 0, len = 0;

	for (size_t i = 0; i < h->ndevs; i++) {
		const char *name = h->devs[i].iommu;
		bool seen = false;

		if (!name[0] || !h->devs[i].in_group)
			continue;
		for (size_t k = 0; k < h->niommus; k++)
			seen = seen || !strcmp(h->iommus[k].name, name);
		if (!seen) {
			struct iommu_info *v = realloc(h->iommus, (h->niommus + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			h->iommus = v;
			memset(&v[h->niommus], 0, sizeof(v[0]));
			snprintf(v[h->niommus].name, sizeof(v[0].name), "%s", name);
			if (vi_iommu_width(ctx, name, &v[h->niommus].w) < 0)
				snprintf(v[h->niommus].w.how, sizeof(v[0].w.how), "not in %.96s/class/iommu",
					 ctx->sysfs_root);
			h->niommus++;
		}
	}
	for (size_t k = 0; k < h->niommus; k++) {
		const struct iommu_info *io = &h->iommus[k];

		len += (size_t)snprintf(h->ap_detail + len, len < sizeof(h->ap_detail) ? sizeof(h->ap_detail) - len : 0,
					"%s%s: %s", k ? "; " : "", io->name, io->w.how);
		if (len >= sizeof(h->ap_detail))
			len = sizeof(h->ap_detail);
		if (io->w.bits && (!bits || io->w.bits < bits))
			bits = io->w.bits;
		known += io->w.bits != 0;
	}
	if (h->ap_source)
		return 0; /* --aperture */
	if (bits) {
		h->ap_source = "sysfs";
		h->ap_bits = bits;
	} else {
		h->ap_source = "default";
		h->ap_bits = DEFAULT_APERTURE_BITS;
		if (!h->niommus)
			snprintf(h->ap_detail, sizeof(h->ap_detail), "no device has an iommu link in %.300s",
				 ctx->sysfs_root);
	}
	h->ap_start = 0;
	h->ap_last = h->ap_bits == 64 ? UINT64_MAX : (1ull << h->ap_bits) - 1;
	(void)known;
	return 0;
}

static bool assignable(enum vfioiommu_verdict_kind k)
{
	/* a VF that needs its PF's token is assignable to whoever has the token */
	return k == VFIOIOMMU_VERDICT_ASSIGNABLE || k == VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS ||
	       k == VFIOIOMMU_VERDICT_NEEDS_VF_TOKEN;
}

/* Refused groups cannot be in an address space at all; the all-groups summary leaves them out. */
static bool refused(const struct group_info *g)
{
	return g->err < 0 || g->verdict.kind == VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT ||
	       g->verdict.kind == VFIOIOMMU_VERDICT_NOT_VIABLE;
}

static void collect_group(vfioiommu_ctx *ctx, struct host *h, struct group_info *g)
{
	int rc;

	if ((rc = vfioiommu_resv_read_group(ctx, g->num, &g->resv)) < 0 ||
	    (rc = vfioiommu_resv_usable(g->resv, h->ap_start, h->ap_last, &g->usable)) < 0 ||
	    (rc = vfioiommu_verdict_group(ctx, g->num, &g->verdict)) < 0) {
		g->err = rc;
		snprintf(g->errmsg, sizeof(g->errmsg), "%s", vfioiommu_strerror(ctx));
	}
}

static int collect(vfioiommu_ctx *ctx, struct host *h)
{
	struct strv names = { NULL, 0 };
	char buf[16];
	int rc = vi_sysfs_listdir(ctx, strv_add, &names, "kernel/iommu_groups");

	if (rc < 0 && rc != -ENOENT) {
		fprintf(stderr, "vfioiommu-diag: cannot list %s/kernel/iommu_groups: %s\n", ctx->sysfs_root,
			strerror(-rc));
		strv_free(&names);
		return rc;
	}
	h->groups = calloc(names.n ? names.n : 1, sizeof(*h->groups));
	if (!h->groups) {
		strv_free(&names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < names.n; i++) {
		char *end;
		unsigned long v = strtoul(names.v[i], &end, 10);

		if (*names.v[i] && !*end && v <= 0xffffffffUL)
			h->groups[h->ngroups++].num = (unsigned int)v;
	}
	strv_free(&names);
	if (h->ngroups)
		qsort(h->groups, h->ngroups, sizeof(*h->groups), cmp_group);
	h->dev_iommu = vi_kexists(ctx, "/dev/iommu") == 0;
	h->dev_vfio = vi_kexists(ctx, "/dev/vfio/vfio") == 0;
	h->noiommu = vi_sysfs_read(ctx, buf, sizeof(buf), "module/vfio/parameters/enable_unsafe_noiommu_mode") > 0 &&
		     buf[0] == 'Y';
	for (size_t i = 0; i < h->ngroups; i++)
		if ((rc = collect_group_devices(ctx, h, &h->groups[i])) < 0)
			return rc;
	if (h->ngroups == 0 && vi_sysfs_listdir(ctx, strv_add, &names, "bus/pci/devices") == 0) {
		/* no groups: the IOMMU is off; each PCI device's verdict says so (qsort must not see NULL) */
		if (names.n)
			qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
		for (size_t i = 0; i < names.n; i++) {
			int at = add_dev(h);
			if (at < 0) {
				strv_free(&names);
				return at;
			}
			collect_device(ctx, h, &h->devs[at], false, 0, names.v[i]);
		}
	}
	strv_free(&names);
	if ((rc = collect_aperture(ctx, h)) < 0)
		return rc;
	for (size_t i = 0; i < h->ngroups; i++)
		collect_group(ctx, h, &h->groups[i]);
	return 0;
}

/* Mark what was asked for; -1 with a message when it names nothing. */
static int select_shown(struct host *h)
{
	bool found_dev = false, found_group = false;

	for (size_t i = 0; i < h->ndevs; i++) {
		struct dev_info *d = &h->devs[i];

		d->shown = (!h->want_dev[0] || !strcmp(d->name, h->want_dev)) &&
			   (!h->want_group_set || (d->in_group && d->group == h->want_group));
		found_dev = found_dev || (h->want_dev[0] && !strcmp(d->name, h->want_dev));
	}
	for (size_t i = 0; i < h->ngroups; i++) {
		struct group_info *g = &h->groups[i];

		g->shown = !h->want_group_set || g->num == h->want_group;
		found_group = found_group || (h->want_group_set && g->num == h->want_group);
		if (h->want_dev[0]) {
			bool has = false;
			for (size_t k = 0; k < g->ndevs; k++)
				has = has || h->devs[g->first + k].shown;
			g->shown = g->shown && has;
		}
	}
	if (h->want_group_set && !found_group) {
		fprintf(stderr, "vfioiommu-diag: there is no IOMMU group %u\n", h->want_group);
		return -1;
	}
	if (h->want_dev[0] && !found_dev) {
		fprintf(stderr, "vfioiommu-diag: there is no PCI device %s\n", h->want_dev);
		return -1;
	}
	if (h->want_dev[0] && h->want_group_set) {
		bool both = false;
		for (size_t i = 0; i < h->ndevs; i++)
			both = both || h->devs[i].shown;
		if (!both) {
			fprintf(stderr, "vfioiommu-diag: device %s is not in IOMMU group %u\n", h->want_dev,
				h->want_group);
			return -1;
		}
	}
	return 0;
}

/* The usable space of the shown groups that are not refused, in one address space. */
static int all_groups(struct host *h)
{
	const vfioiommu_resv_set **sets = calloc(h->ngroups ? h->ngroups : 1, sizeof(*sets));
	vfioiommu_resv_set *all = NULL;
	size_t n = 0;
	int rc;

	if (!sets)
		return -ENOMEM;
	for (size_t i = 0; i < h->ngroups; i++) {
		struct group_info *g = &h->groups[i];

		g->in_all = g->shown && !refused(g);
		if (g->in_all)
			sets[n++] = g->resv;
	}
	/* no group to put in it: no space (usable_all stays NULL, which prints as none) */
	rc = n ? vfioiommu_resv_set_merge(sets, n, &all) : 0;
	if (rc == 0 && n)
		rc = vfioiommu_resv_usable(all, h->ap_start, h->ap_last, &h->usable_all);
	vfioiommu_resv_set_free(all);
	free(sets);
	return rc;
}

/* What the exit status says: is everything asked about assignable? */
static bool all_assignable(const struct host *h)
{
	bool any = false;

	if (h->want_dev[0]) {
		for (size_t i = 0; i < h->ndevs; i++)
			if (h->devs[i].shown)
				return h->devs[i].have_verdict && assignable(h->devs[i].verdict.kind);
		return false;
	}
	if (h->ngroups == 0)
		return false; /* no IOMMU: nothing can be assigned */
	for (size_t i = 0; i < h->ngroups; i++) {
		const struct group_info *g = &h->groups[i];

		if (!g->shown)
			continue;
		any = true;
		if (g->err < 0 || !assignable(g->verdict.kind))
			return false;
	}
	return any;
}

static void host_free(struct host *h)
{
	for (size_t i = 0; i < h->ngroups; i++) {
		vfioiommu_resv_set_free(h->groups[i].resv);
		vfioiommu_iova_list_free(h->groups[i].usable);
	}
	free(h->groups);
	free(h->devs);
	free(h->iommus);
	vfioiommu_iova_list_free(h->usable_all);
}

/* ---------------- sizes ---------------- */

/* The bytes a range list covers: up to 2^64, so a 65-bit number (hi is 0 or 1). */
static void list_bytes(const vfioiommu_iova_list *l, uint64_t *hi, uint64_t *lo)
{
	struct vfioiommu_iova_range r;

	*hi = *lo = 0;
	for (size_t i = 0; l && i < vfioiommu_iova_list_count(l); i++) {
		uint64_t add;

		vfioiommu_iova_list_get(l, i, &r);
		add = r.last - r.start + 1; /* 0 when the range is all 2^64 */
		if (add == 0)
			(*hi)++;
		else if (*lo + add < *lo)
			(*hi)++;
		*lo += add;
	}
}

static void human_bytes(const vfioiommu_iova_list *l, char *buf, size_t n)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t hi, lo;
	long double v;
	unsigned int u = 0;
	size_t cnt = l ? vfioiommu_iova_list_count(l) : 0;
	unsigned long long cents;
	int len;

	list_bytes(l, &hi, &lo);
	v = (long double)hi * 18446744073709551616.0L + (long double)lo;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (cnt == 0) {
		snprintf(buf, n, "none");
		return;
	}
	/* rounded down, so that a summary never promises more than there is: 511.99, not 512 */
	cents = (unsigned long long)(v * 100); /* v < 1024 */
	len = snprintf(buf, n, "%llu.%02llu", cents / 100, cents % 100);
	/* 512.00 -> 512, 511.90 -> 511.9 */
	while (len > 0 && (size_t)len < n && strchr(buf, '.') && (buf[len - 1] == '0' || buf[len - 1] == '.')) {
		bool dot = buf[len - 1] == '.';
		buf[--len] = '\0';
		if (dot)
			break;
	}
	snprintf(buf + strlen(buf), n - strlen(buf), " %s in %zu range%s", units[u], cnt, cnt == 1 ? "" : "s");
}

/* ---------------- backends ---------------- */

static const char *iommufd_state(const struct host *h, char *buf, size_t n, const char **word)
{
	if (!h->dev_iommu) {
		*word = "no";
		snprintf(buf, n, "/dev/iommu does not exist (kernel without CONFIG_IOMMUFD, or iommufd not loaded)");
	} else if (h->vfio_devs == 0) {
		*word = "maybe";
		snprintf(buf, n, "/dev/iommu exists, but no device is bound to vfio-pci yet");
	} else if (h->vfio_cdevs == 0) {
		*word = "no";
		snprintf(buf, n, "/dev/iommu exists but no VFIO device has a cdev in /dev/vfio/devices "
				 "(kernel < 6.6 or without CONFIG_VFIO_DEVICE_CDEV)");
	} else {
		*word = "yes";
		snprintf(buf, n, "/dev/iommu exists and %zu of %zu VFIO devices have a cdev", h->vfio_cdevs,
			 h->vfio_devs);
	}
	return buf;
}

static const char *container_state(const struct host *h, char *buf, size_t n, const char **word)
{
	if (!h->dev_vfio) {
		*word = "no";
		snprintf(buf, n, "/dev/vfio/vfio does not exist (kernel without CONFIG_VFIO_CONTAINER "
				 "or CONFIG_IOMMUFD_VFIO_CONTAINER, or vfio not loaded)");
	} else if (h->ngroups == 0 && h->noiommu) {
		*word = "noiommu";
		snprintf(buf, n, "no-IOMMU mode only: /dev/vfio/vfio exists, no IOMMU groups, "
				 "enable_unsafe_noiommu_mode=Y (no DMA protection)");
	} else if (h->ngroups == 0) {
		*word = "no";
		snprintf(buf, n, "/dev/vfio/vfio exists but there are no IOMMU groups");
	} else {
		*word = "yes";
		snprintf(buf, n, "/dev/vfio/vfio exists");
	}
	return buf;
}

/* Devices in address order, as lspci lists them; the caller frees the index. */
static const struct host *sort_host;

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(sort_host->devs[*(const size_t *)a].name, sort_host->devs[*(const size_t *)b].name);
}

static size_t *dev_order(const struct host *h)
{
	size_t *ix = calloc(h->ndevs ? h->ndevs : 1, sizeof(*ix));

	if (!ix)
		return NULL;
	for (size_t i = 0; i < h->ndevs; i++)
		ix[i] = i;
	sort_host = h;
	qsort(ix, h->ndevs, sizeof(*ix), cmp_dev);
	return ix;
}

/* ---------------- text output ---------------- */

static const struct group_info *group_of(const struct host *h, const struct dev_info *d)
{
	for (size_t i = 0; d->in_group && i < h->ngroups; i++)
		if (h->groups[i].num == d->group)
			return &h->groups[i];
	return NULL;
}

static const char *dev_verdict_name(const struct dev_info *d)
{
	if (d->have_verdict)
		return vfioiommu_verdict_name(d->verdict.kind);
	return d->is_pci ? "?" : "(not PCI)";
}

static void print_aperture_line(const struct host *h)
{
	if (!strcmp(h->ap_source, "option"))
		printf("Aperture: 0x%" PRIx64 " - 0x%" PRIx64 " (from --aperture)\n", h->ap_start, h->ap_last);
	else if (!strcmp(h->ap_source, "sysfs"))
		printf("Aperture: %u bits, 0x0 - 0x%" PRIx64 " (from sysfs: %s)\n", h->ap_bits, h->ap_last,
		       h->ap_detail);
	else
		printf("Aperture: %u bits, 0x0 - 0x%" PRIx64 " (a guess: %s; pass --aperture)\n", h->ap_bits,
		       h->ap_last, h->ap_detail);
}

static void print_all_groups_line(const struct host *h)
{
	char size[64];
	bool first = true;

	human_bytes(h->usable_all, size, sizeof(size));
	printf("All groups in one address space (");
	for (size_t i = 0; i < h->ngroups; i++) {
		if (h->groups[i].in_all) {
			printf("%s%u", first ? "" : ", ", h->groups[i].num);
			first = false;
		}
	}
	printf("%s): %s", first ? "none" : "", size);
	first = true;
	for (size_t i = 0; i < h->ngroups; i++) {
		const struct group_info *g = &h->groups[i];

		if (!g->shown || g->in_all)
			continue;
		printf("%s%u (%s)", first ? "; left out: " : ", ", g->num,
		       g->err < 0 ? "error" : vfioiommu_verdict_name(g->verdict.kind));
		first = false;
	}
	printf("\n");
}

static int print_compact(const struct host *h)
{
	const char *wi, *wc;
	char buf[256], size[64], id[24];
	size_t *ix = dev_order(h);

	if (!ix)
		return -ENOMEM;
	iommufd_state(h, buf, sizeof(buf), &wi);
	container_state(h, buf, sizeof(buf), &wc);
	printf("vfioiommu-diag %s on %s %s; backends: iommufd %s, container %s\n", vfioiommu_version(), h->source,
	       h->where, wi, wc);
	print_aperture_line(h);
	if (h->ngroups == 0)
		printf("No IOMMU groups: the IOMMU is off or absent (enable VT-d or AMD-Vi in the firmware, boot with "
		       "intel_iommu=on or amd_iommu=on).\n");
	printf("\n%-13s %-16s %-9s %5s  %-25s %s\n", "DEVICE", "DRIVER", "ID", "GROUP", "VERDICT", "USABLE IOVA (GROUP)");
	for (size_t i = 0; i < h->ndevs; i++) {
		const struct dev_info *d = &h->devs[ix[i]];
		const struct group_info *g = group_of(h, d);
		char grp[16];

		if (!d->shown)
			continue;
		if (d->vendor >= 0 && d->device >= 0)
			snprintf(id, sizeof(id), "%04x:%04x", (unsigned int)d->vendor, (unsigned int)d->device);
		else
			snprintf(id, sizeof(id), "-");
		if (d->in_group)
			snprintf(grp, sizeof(grp), "%u", d->group);
		else
			snprintf(grp, sizeof(grp), "-");
		if (g && g->err < 0)
			snprintf(size, sizeof(size), "error: see -v");
		else if (g && refused(g))
			snprintf(size, sizeof(size), "- (group refused)");
		else if (g)
			human_bytes(g->usable, size, sizeof(size));
		else
			snprintf(size, sizeof(size), "-");
		printf("%-13s %-16s %-9s %5s  %-25s %s\n", d->name, d->driver[0] ? d->driver : "-", id, grp,
		       dev_verdict_name(d), size);
	}
	if (h->ngroups) {
		printf("\n");
		print_all_groups_line(h);
	}
	free(ix);
	return 0;
}

static void print_ranges_text(const vfioiommu_iova_list *l, const char *indent)
{
	struct vfioiommu_iova_range r;

	if (!vfioiommu_iova_list_count(l))
		printf("%s(none: the kernel would refuse the attach)\n", indent);
	for (size_t i = 0; i < vfioiommu_iova_list_count(l); i++) {
		vfioiommu_iova_list_get(l, i, &r);
		printf("%s0x%016" PRIx64 " - 0x%016" PRIx64 "\n", indent, r.start, r.last);
	}
}

/* A device's reason is printed only when it says more than its group's. */
static void print_device_verbose(const struct dev_info *d, const struct vfioiommu_verdict *group)
{
	printf("    %-14s %-16s", d->name, d->driver[0] ? d->driver : "(no driver)");
	if (d->vendor >= 0 && d->device >= 0)
		printf(" [%04x:%04x]", (unsigned int)d->vendor, (unsigned int)d->device);
	if (d->cdev[0])
		printf(" cdev %s", d->cdev);
	if (d->iommu[0])
		printf(" iommu %s", d->iommu);
	if (d->have_verdict && group && d->verdict.kind == group->kind)
		printf("  %s", vfioiommu_verdict_name(d->verdict.kind));
	else if (d->have_verdict)
		printf("\n      %s: %s", vfioiommu_verdict_name(d->verdict.kind), d->verdict.reason);
	printf("\n");
}

static void print_verbose(const struct host *h)
{
	const char *word;
	char buf[256], size[64];

	printf("vfioiommu-diag %s on %s %s\n\n", vfioiommu_version(), h->source, h->where);
	printf("Backends%s:\n", strcmp(h->source, "sysfs") || !strcmp(h->where, "/sys") ? ""
			: " (the /dev checks are of this machine, not of the captured tree)");
	iommufd_state(h, buf, sizeof(buf), &word);
	printf("  iommufd:   %s: %s\n", word, buf);
	container_state(h, buf, sizeof(buf), &word);
	printf("  container: %s: %s\n\n", word, buf);
	print_aperture_line(h);
	printf("\n");
	if (h->ngroups == 0) {
		struct vfioiommu_verdict none = { .kind = VFIOIOMMU_VERDICT_NO_GROUP };

		printf("No IOMMU groups: the IOMMU is off or absent. Enable VT-d or AMD-Vi in the firmware and boot\n"
		       "with intel_iommu=on or amd_iommu=on (VFIO's no-IOMMU mode gives no DMA protection).\n");
		for (size_t i = 0; i < h->ndevs; i++)
			if (h->devs[i].shown)
				print_device_verbose(&h->devs[i], &none);
		return;
	}
	for (size_t i = 0; i < h->ngroups; i++) {
		const struct group_info *g = &h->groups[i];
		struct vfioiommu_resv_region r;

		if (!g->shown)
			continue;
		printf("group %u: ", g->num);
		if (g->err < 0)
			printf("error: %s\n", g->errmsg);
		else
			printf("%s\n  %s\n", vfioiommu_verdict_name(g->verdict.kind), g->verdict.reason);
		printf("  devices:%s\n", g->ndevs ? "" : " none");
		for (size_t k = 0; k < g->ndevs; k++)
			if (h->devs[g->first + k].shown)
				print_device_verbose(&h->devs[g->first + k], g->err < 0 ? NULL : &g->verdict);
		if (g->err < 0) {
			printf("\n");
			continue;
		}
		printf("  reserved regions:%s\n", vfioiommu_resv_set_count(g->resv) ? "" : " none");
		for (size_t k = 0; k < vfioiommu_resv_set_count(g->resv); k++) {
			vfioiommu_resv_set_get(g->resv, k, &r);
			printf("    0x%016" PRIx64 " - 0x%016" PRIx64 " %s%s\n", r.start, r.last,
			       vfioiommu_resv_type_name(r.type),
			       r.type == VFIOIOMMU_RESV_DIRECT_RELAXABLE ? " (stays usable)" : "");
		}
		human_bytes(g->usable, size, sizeof(size));
		printf("  usable IOVA ranges: %s\n", size);
		print_ranges_text(g->usable, "    ");
		printf("\n");
	}
	print_all_groups_line(h);
	if (h->usable_all)
		print_ranges_text(h->usable_all, "  ");
}

/* ---------------- JSON output (docs/diag-json.md) ---------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* a string, or null when it is empty */
static void json_str_or_null(const char *s)
{
	if (s && *s)
		json_str(s);
	else
		printf("null");
}

static void json_hex(uint64_t v)
{
	printf("\"0x%" PRIx64 "\"", v);
}

static void json_ranges(const vfioiommu_iova_list *l)
{
	struct vfioiommu_iova_range r;
	uint64_t hi, lo;

	printf("{\"ranges\":[");
	for (size_t i = 0; l && i < vfioiommu_iova_list_count(l); i++) {
		vfioiommu_iova_list_get(l, i, &r);
		printf("%s{\"start\":", i ? "," : "");
		json_hex(r.start);
		printf(",\"last\":");
		json_hex(r.last);
		printf("}");
	}
	list_bytes(l, &hi, &lo);
	printf("],\"bytes\":");
	if (hi)
		printf("\"0x%" PRIx64 "%016" PRIx64 "\"", hi, lo);
	else
		json_hex(lo);
	printf("}");
}

static void json_verdict(const struct vfioiommu_verdict *v, bool have)
{
	printf("\"verdict\":");
	if (!have) {
		printf("null,\"reason\":null,\"culprit\":null");
		return;
	}
	json_str(vfioiommu_verdict_name(v->kind));
	printf(",\"reason\":");
	json_str(v->reason);
	printf(",\"culprit\":");
	if (v->culprit[0]) {
		printf("{\"device\":");
		json_str(v->culprit);
		printf(",\"driver\":");
		json_str_or_null(v->culprit_driver);
		printf("}");
	} else {
		printf("null");
	}
}

static void json_device(const struct dev_info *d, bool first)
{
	printf("%s{\"name\":", first ? "" : ",");
	json_str(d->name);
	printf(",\"pci\":%s,\"group\":", d->is_pci ? "true" : "false");
	if (d->in_group)
		printf("%u", d->group);
	else
		printf("null");
	printf(",\"driver\":");
	json_str_or_null(d->driver);
	printf(",\"vendor\":");
	if (d->vendor >= 0)
		printf("%d", d->vendor);
	else
		printf("null");
	printf(",\"device\":");
	if (d->device >= 0)
		printf("%d", d->device);
	else
		printf("null");
	printf(",\"cdev\":");
	json_str_or_null(d->cdev);
	printf(",\"iommu\":");
	json_str_or_null(d->iommu);
	printf(",");
	json_verdict(&d->verdict, d->have_verdict);
	printf(",\"assignable\":%s}", d->have_verdict && assignable(d->verdict.kind) ? "true" : "false");
}

static void json_group(const struct host *h, const struct group_info *g, bool first)
{
	struct vfioiommu_resv_region r;
	bool f = true;

	printf("%s{\"group\":%u,\"devices\":[", first ? "" : ",", g->num);
	for (size_t k = 0; k < g->ndevs; k++) {
		printf("%s", f ? "" : ",");
		json_str(h->devs[g->first + k].name);
		f = false;
	}
	printf("],\"error\":");
	json_str_or_null(g->err < 0 ? g->errmsg : NULL);
	printf(",");
	json_verdict(&g->verdict, g->err >= 0);
	printf(",\"assignable\":%s,\"reserved_regions\":", g->err >= 0 && assignable(g->verdict.kind) ? "true" : "false");
	if (g->err < 0) {
		printf("null,\"usable\":null");
	} else {
		printf("[");
		for (size_t k = 0; k < vfioiommu_resv_set_count(g->resv); k++) {
			vfioiommu_resv_set_get(g->resv, k, &r);
			printf("%s{\"start\":", k ? "," : "");
			json_hex(r.start);
			printf(",\"last\":");
			json_hex(r.last);
			printf(",\"type\":");
			json_str(vfioiommu_resv_type_name(r.type));
			printf("}");
		}
		printf("],\"usable\":");
		json_ranges(g->usable);
	}
	printf(",\"in_all_groups\":%s}", g->in_all ? "true" : "false");
}

static int print_json(const struct host *h)
{
	const char *word;
	char buf[256];
	bool first;
	size_t *ix = dev_order(h);

	if (!ix)
		return -ENOMEM;
	printf("{\"schema_version\":%d,\"tool\":\"vfioiommu-diag\",\"version\":", JSON_SCHEMA_VERSION);
	json_str(vfioiommu_version());
	printf(",\"source\":{\"kind\":");
	json_str(h->source);
	printf(",\"path\":");
	json_str(h->where);
	printf("},\"filter\":{\"device\":");
	json_str_or_null(h->want_dev);
	printf(",\"group\":");
	if (h->want_group_set)
		printf("%u", h->want_group);
	else
		printf("null");
	printf("},\"all_assignable\":%s", all_assignable(h) ? "true" : "false");
	printf(",\"aperture\":{\"start\":");
	json_hex(h->ap_start);
	printf(",\"last\":");
	json_hex(h->ap_last);
	printf(",\"bits\":");
	if (h->ap_bits)
		printf("%u", h->ap_bits);
	else
		printf("null");
	printf(",\"source\":");
	json_str(h->ap_source);
	printf(",\"detail\":");
	json_str_or_null(h->ap_detail);
	printf("},\"iommus\":[");
	for (size_t k = 0; k < h->niommus; k++) {
		const struct iommu_info *io = &h->iommus[k];

		printf("%s{\"name\":", k ? "," : "");
		json_str(io->name);
		printf(",\"kind\":");
		json_str_or_null(io->w.kind);
		printf(",\"bits\":");
		if (io->w.bits)
			printf("%u", io->w.bits);
		else
			printf("null");
		printf(",\"detail\":");
		json_str(io->w.how);
		printf("}");
	}
	printf("],\"backends\":{\"iommufd\":{\"available\":");
	iommufd_state(h, buf, sizeof(buf), &word);
	json_str(word);
	printf(",\"dev_iommu\":%s,\"vfio_devices\":%zu,\"vfio_cdevs\":%zu,\"reason\":", h->dev_iommu ? "true" : "false",
	       h->vfio_devs, h->vfio_cdevs);
	json_str(buf);
	printf("},\"container\":{\"available\":");
	container_state(h, buf, sizeof(buf), &word);
	json_str(word);
	printf(",\"dev_vfio_vfio\":%s,\"noiommu\":%s,\"reason\":", h->dev_vfio ? "true" : "false",
	       h->noiommu ? "true" : "false");
	json_str(buf);
	printf("}},\"groups\":[");
	first = true;
	for (size_t i = 0; i < h->ngroups; i++) {
		if (!h->groups[i].shown)
			continue;
		json_group(h, &h->groups[i], first);
		first = false;
	}
	printf("],\"devices\":[");
	first = true;
	for (size_t i = 0; i < h->ndevs; i++) {
		if (!h->devs[ix[i]].shown)
			continue;
		json_device(&h->devs[ix[i]], first);
		first = false;
	}
	printf("],\"all_groups\":");
	if (h->ngroups == 0) {
		printf("null");
	} else {
		printf("{\"groups\":[");
		first = true;
		for (size_t i = 0; i < h->ngroups; i++) {
			if (h->groups[i].in_all) {
				printf("%s%u", first ? "" : ",", h->groups[i].num);
				first = false;
			}
		}
		printf("],\"left_out\":[");
		first = true;
		for (size_t i = 0; i < h->ngroups; i++) {
			const struct group_info *g = &h->groups[i];

			if (!g->shown || g->in_all)
				continue;
			printf("%s{\"group\":%u,\"verdict\":", first ? "" : ",", g->num);
			json_str_or_null(g->err < 0 ? NULL : vfioiommu_verdict_name(g->verdict.kind));
			printf("}");
			first = false;
		}
		printf("],\"usable\":");
		json_ranges(h->usable_all);
		printf("}");
	}
	printf("}\n");
	free(ix);
	return 0;
}

/* ---------------- main ---------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfioiommu-diag [-v | --json] [-s BDF] [-g GROUP] [--sysfs-root DIR | --mock FILE]\n"
		"                      [--aperture BITS|START-LAST]\n"
		"  (default)         one line per device: address, driver, vendor:device, group, verdict,\n"
		"                    and the IOVA space its group leaves usable\n"
		"  -v, --verbose     groups, reserved regions, usable ranges and every reason\n"
		"  -j, --json        machine-readable output (docs/diag-json.md)\n"
		"  -s, --slot BDF    only this PCI device ([DDDD:]BB:DD.F)\n"
		"  -g, --group N     only this IOMMU group\n"
		"  --sysfs-root DIR  read a captured sysfs tree instead of /sys\n"
		"  --mock FILE       run on the mock kernel built from a host description\n"
		"  --aperture A      IOMMU input range: a bit count (39, 48) or 0xSTART-0xLAST\n"
		"                    (default: the IOMMU's sysfs attributes, else a 39-bit guess)\n"
		"  --version         print the version\n"
		"Exit status: 0 everything asked about is assignable, 1 something is not, 2 usage or error.\n");
}

static int parse_aperture(const char *s, uint64_t *start, uint64_t *last, unsigned int *bits)
{
	char *end;
	unsigned long long a, b;

	errno = 0;
	if (!strchr(s, '-')) {
		a = strtoull(s, &end, 10);
		if (errno || *end || end == s || a < 12 || a > 64)
			return -EINVAL;
		*start = 0;
		*last = a == 64 ? UINT64_MAX : (1ull << a) - 1;
		*bits = (unsigned int)a;
		return 0;
	}
	a = strtoull(s, &end, 0);
	if (errno || end == s || *end != '-')
		return -EINVAL;
	s = end + 1;
	b = strtoull(s, &end, 0);
	if (errno || end == s || *end || a > b)
		return -EINVAL;
	*start = a;
	*last = b;
	*bits = 0;
	for (unsigned int n = 12; n <= 64 && a == 0; n++)
		if (b == (n == 64 ? UINT64_MAX : (1ull << n) - 1))
			*bits = n;
	return 0;
}

/* "BB:DD.F" or "DDDD:BB:DD.F", any case, to the kernel's "dddd:bb:dd.f". */
static int parse_slot(const char *s, char *out, size_t n)
{
	char buf[32];

	if (strlen(s) >= sizeof(buf) - 5)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s%s", strchr(s, ':') == strrchr(s, ':') ? "0000:" : "", s);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (vi_bdf_check(buf) < 0)
		return -EINVAL;
	snprintf(out, n, "%s", buf);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_SYSFS = 256, OPT_MOCK, OPT_APERTURE, OPT_VERSION };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "slot", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS },
		{ "mock", required_argument, NULL, OPT_MOCK },
		{ "aperture", required_argument, NULL, OPT_APERTURE },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct host h = { .source = "sysfs", .where = "/sys" };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	const char *root = NULL, *mock_file = NULL;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	bool json = false, verbose = false;
	int c, rc, status;

	while ((c = getopt_long(argc, argv, "jvs:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		case 's':
			if (parse_slot(optarg, h.want_dev, sizeof(h.want_dev)) < 0) {
				fprintf(stderr, "vfioiommu-diag: bad -s \"%s\": give a PCI address, [DDDD:]BB:DD.F\n", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'g': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v > 0xffffffffUL) {
				fprintf(stderr, "vfioiommu-diag: bad -g \"%s\": give an IOMMU group number\n", optarg);
				return EXIT_ERROR;
			}
			h.want_group = (unsigned int)v;
			h.want_group_set = true;
			break;
		}
		case OPT_SYSFS: root = optarg; break;
		case OPT_MOCK: mock_file = optarg; break;
		case OPT_APERTURE:
			if (parse_aperture(optarg, &h.ap_start, &h.ap_last, &h.ap_bits) < 0) {
				fprintf(stderr, "vfioiommu-diag: bad --aperture \"%s\": give 12..64 bits or 0xSTART-0xLAST\n",
					optarg);
				return EXIT_ERROR;
			}
			h.ap_source = "option";
			break;
		case OPT_VERSION:
			printf("vfioiommu-diag %s\n", vfioiommu_version());
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_ERROR;
		}
	}
	if (optind != argc || (root && mock_file) || (json && verbose)) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (mock_file) {
		char err[256];

		if ((rc = vfioiommu_mock_new(&mock)) < 0 ||
		    (rc = vfioiommu_mock_load_file(mock, mock_file, err, sizeof(err))) < 0) {
			if (mock)
				fprintf(stderr, "vfioiommu-diag: %s\n", err);
			else
				fprintf(stderr, "vfioiommu-diag: cannot create the mock: %s\n", strerror(-rc));
			vfioiommu_mock_destroy(mock);
			return EXIT_ERROR;
		}
		o.door = vfioiommu_mock_door(mock);
		h.source = "mock";
		h.where = mock_file;
	} else if (root) {
		o.sysfs_root = root;
		h.where = root;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0) {
		fprintf(stderr, "vfioiommu-diag: cannot create a context: %s\n", strerror(-rc));
		vfioiommu_mock_destroy(mock);
		return EXIT_ERROR;
	}
	if (root && vi_sysfs_exists(ctx, "kernel") < 0 && vi_sysfs_exists(ctx, "bus") < 0) {
		fprintf(stderr, "vfioiommu-diag: %s holds neither kernel/ nor bus/: not a sysfs tree\n", root);
		vfioiommu_ctx_destroy(ctx);
		return EXIT_ERROR;
	}
	rc = collect(ctx, &h);
	if (rc == 0)
		rc = select_shown(&h) < 0 ? -ENOENT : 0;
	if (rc == 0 && (rc = all_groups(&h)) < 0)
		fprintf(stderr, "vfioiommu-diag: cannot combine the groups' reserved regions: %s\n", strerror(-rc));
	status = EXIT_ERROR;
	if (rc == 0) {
		if (json)
			rc = print_json(&h);
		else if (verbose)
			print_verbose(&h);
		else
			rc = print_compact(&h);
	}
	if (rc == 0)
		status = all_assignable(&h) ? EXIT_ASSIGNABLE : EXIT_NOT_ASSIGNABLE;
	else if (rc == -ENOMEM) {
		fprintf(stderr, "vfioiommu-diag: out of memory\n");
	}
	host_free(&h);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return status;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vfioiommu-diag: what this host offers VFIO, before anything is opened.
 * Lists IOMMU groups and devices, reserved regions, the IOVA space left
 * usable, a verdict per device and group, and which backends would work.
 * Reads sysfs through the library's door, so it runs the same on the real
 * /sys, on a captured tree (--sysfs-root) and on the mock (--mock).
 *
 * It is an in-tree tool: it links the internal library for sysfs listing,
 * which the public API does not offer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"

#define DEFAULT_APERTURE_BITS 39

struct dev_info {
	char name[128];
	char driver[64];
	char vendor[16], device[16];
	char cdev[32];
	bool is_pci;
	bool have_verdict;
	struct vfioiommu_verdict verdict;
};

struct group_info {
	unsigned int num;
	struct dev_info *devs;
	size_t ndevs;
	vfioiommu_resv_set *resv;
	vfioiommu_iova_list *usable;
	struct vfioiommu_verdict verdict;
	int err;            /* a failure reading this group, reported in place */
	char errmsg[512];
};

struct host {
	const char *source;   /* "sysfs" or "mock" */
	const char *where;    /* the sysfs root or the mock file */
	uint64_t ap_start, ap_last;
	bool ap_given;
	struct group_info *groups;
	size_t ngroups;
	struct dev_info *loose;   /* PCI devices when there are no groups at all */
	size_t nloose;
	vfioiommu_iova_list *usable_all;
	bool dev_iommu, dev_vfio, noiommu;
	size_t vfio_devs, vfio_cdevs;
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
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = ((const struct group_info *)a)->num, y = ((const struct group_info *)b)->num;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_attr(vfioiommu_ctx *ctx, const char *bdf, const char *attr, char *buf, size_t n)
{
	ssize_t rc = vi_sysfs_read(ctx, buf, n, "bus/pci/devices/%s/%s", bdf, attr);

	if (rc < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int take_vfio(void *arg, const char *name)
{
	char *out = arg;

	if (strncmp(name, "vfio", 4))
		return 0;
	snprintf(out, 32, "%s", name);
	return 1;
}

static void collect_device(vfioiommu_ctx *ctx, struct host *h, unsigned int group, const char *name,
			   struct dev_info *d)
{
	char link[VI_PATH_MAX];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->is_pci = vi_bdf_check(name) == 0;
	if (d->is_pci) {
		if (vi_sysfs_device_driver(ctx, name, d->driver, sizeof(d->driver)) < 0)
			snprintf(d->driver, sizeof(d->driver), "?");
		read_attr(ctx, name, "vendor", d->vendor, sizeof(d->vendor));
		read_attr(ctx, name, "device", d->device, sizeof(d->device));
		if (vi_sysfs_listdir(ctx, take_vfio, d->cdev, "bus/pci/devices/%s/vfio-dev", name) < 0)
			d->cdev[0] = '\0';
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
	} else if (vi_sysfs_readlink(ctx, link, sizeof(link), "kernel/iommu_groups/%u/devices/%s/driver",
				     group, name) >= 0) {
		const char *b = strrchr(link, '/');
		snprintf(d->driver, sizeof(d->driver), "%.63s", b ? b + 1 : link);
	}
}

static void collect_group(vfioiommu_ctx *ctx, struct host *h, struct group_info *g)
{
	struct strv names = { NULL, 0 };
	int rc;

	if ((rc = vfioiommu_resv_read_group(ctx, g->num, &g->resv)) < 0 ||
	    (rc = vfioiommu_resv_usable(g->resv, h->ap_start, h->ap_last, &g->usable)) < 0 ||
	    (rc = vfioiommu_verdict_group(ctx, g->num, &g->verdict)) < 0) {
		g->err = rc;
		snprintf(g->errmsg, sizeof(g->errmsg), "%s", vfioiommu_strerror(ctx));
	}
	if (vi_sysfs_listdir(ctx, strv_add, &names, "kernel/iommu_groups/%u/devices", g->num) == 0 && names.n) {
		qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
		g->devs = calloc(names.n, sizeof(*g->devs));
		for (size_t i = 0; g->devs && i < names.n; i++)
			collect_device(ctx, h, g->num, names.v[i], &g->devs[g->ndevs++]);
	}
	strv_free(&names);
}

static int collect(vfioiommu_ctx *ctx, struct host *h)
{
	struct strv names = { NULL, 0 };
	const vfioiommu_resv_set **sets;
	vfioiommu_resv_set *all = NULL;
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
	qsort(h->groups, h->ngroups, sizeof(*h->groups), cmp_uint);
	h->dev_iommu = vi_kexists(ctx, "/dev/iommu") == 0;
	h->dev_vfio = vi_kexists(ctx, "/dev/vfio/vfio") == 0;
	h->noiommu = vi_sysfs_read(ctx, buf, sizeof(buf), "module/vfio/parameters/enable_unsafe_noiommu_mode") > 0 &&
		     buf[0] == 'Y';
	for (size_t i = 0; i < h->ngroups; i++)
		collect_group(ctx, h, &h->groups[i]);

	if (h->ngroups == 0) {
		/* no groups: the IOMMU is off; each PCI device's verdict says so */
		names = (struct strv){ NULL, 0 };
		if (vi_sysfs_listdir(ctx, strv_add, &names, "bus/pci/devices") == 0 && names.n) {
			qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
			h->loose = calloc(names.n, sizeof(*h->loose));
			for (size_t i = 0; h->loose && i < names.n; i++)
				collect_device(ctx, h, 0, names.v[i], &h->loose[h->nloose++]);
		}
		strv_free(&names);
	}

	sets = calloc(h->ngroups ? h->ngroups : 1, sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	for (size_t i = 0; i < h->ngroups; i++)
		sets[i] = h->groups[i].resv;
	rc = vfioiommu_resv_set_merge(sets, h->ngroups, &all);
	if (rc == 0)
		rc = vfioiommu_resv_usable(all, h->ap_start, h->ap_last, &h->usable_all);
	vfioiommu_resv_set_free(all);
	free(sets);
	return rc;
}

static void host_free(struct host *h)
{
	for (size_t i = 0; i < h->ngroups; i++) {
		free(h->groups[i].devs);
		vfioiommu_resv_set_free(h->groups[i].resv);
		vfioiommu_iova_list_free(h->groups[i].usable);
	}
	free(h->groups);
	free(h->loose);
	vfioiommu_iova_list_free(h->usable_all);
}

/* ---------------- backends ---------------- */

static const char *iommufd_state(const struct host *h, char *buf, size_t n)
{
	if (!h->dev_iommu)
		snprintf(buf, n, "no: /dev/iommu does not exist (kernel without CONFIG_IOMMUFD)");
	else if (h->vfio_devs == 0)
		snprintf(buf, n, "maybe: /dev/iommu exists, but no device is bound to vfio-pci yet");
	else if (h->vfio_cdevs == 0)
		snprintf(buf, n, "no: /dev/iommu exists but no VFIO device has a cdev in /dev/vfio/devices "
				 "(kernel < 6.6 or without CONFIG_VFIO_DEVICE_CDEV)");
	else
		snprintf(buf, n, "yes: /dev/iommu exists and %zu of %zu VFIO devices have a cdev", h->vfio_cdevs,
			 h->vfio_devs);
	return buf;
}

static const char *container_state(const struct host *h, char *buf, size_t n)
{
	if (!h->dev_vfio)
		snprintf(buf, n, "no: /dev/vfio/vfio does not exist (kernel without CONFIG_VFIO_CONTAINER "
				 "or CONFIG_IOMMUFD_VFIO_CONTAINER)");
	else if (h->ngroups == 0)
		snprintf(buf, n, "%s", h->noiommu ? "no-IOMMU mode only: /dev/vfio/vfio exists, no IOMMU groups, "
						     "enable_unsafe_noiommu_mode=Y (no DMA protection)"
						   : "no: /dev/vfio/vfio exists but there are no IOMMU groups");
	else
		snprintf(buf, n, "yes: /dev/vfio/vfio exists");
	return buf;
}

/* ---------------- human output ---------------- */

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
static void print_device_text(const struct dev_info *d, const struct vfioiommu_verdict *group)
{
	printf("    %-14s %-16s", d->name, d->driver[0] ? d->driver : "(no driver)");
	if (d->vendor[0])
		printf(" [%s:%s]", d->vendor + (strncmp(d->vendor, "0x", 2) ? 0 : 2),
		       d->device + (strncmp(d->device, "0x", 2) ? 0 : 2));
	if (d->cdev[0])
		printf(" cdev %s", d->cdev);
	if (d->have_verdict && group && d->verdict.kind == group->kind)
		printf("  %s", vfioiommu_verdict_name(d->verdict.kind));
	else if (d->have_verdict)
		printf("\n      %s: %s", vfioiommu_verdict_name(d->verdict.kind), d->verdict.reason);
	printf("\n");
}

static void print_text(const struct host *h)
{
	bool any_err = false;
	char buf[256];

	printf("vfioiommu-diag %s on %s %s\n\n", vfioiommu_version(), h->source, h->where);
	printf("Backends%s:\n", strcmp(h->source, "sysfs") || !strcmp(h->where, "/sys") ? ""
			: " (the /dev checks are of this machine, not of the captured tree)");
	printf("  iommufd:   %s\n", iommufd_state(h, buf, sizeof(buf)));
	printf("  container: %s\n\n", container_state(h, buf, sizeof(buf)));
	printf("Aperture: 0x%" PRIx64 " - 0x%" PRIx64 " (%s)\n\n", h->ap_start, h->ap_last,
	       h->ap_given ? "from --aperture"
			   : "default: a 39-bit guess; the IOMMU's real aperture is known only after attach; "
			     "pass --aperture");
	if (h->ngroups == 0) {
		struct vfioiommu_verdict none = { .kind = VFIOIOMMU_VERDICT_NO_GROUP };

		printf("No IOMMU groups: the IOMMU is off or absent. Enable VT-d or AMD-Vi in the firmware and boot\n"
		       "with intel_iommu=on or amd_iommu=on (VFIO's no-IOMMU mode gives no DMA protection).\n");
		for (size_t i = 0; i < h->nloose; i++)
			print_device_text(&h->loose[i], &none);
		return;
	}
	for (size_t i = 0; i < h->ngroups; i++) {
		const struct group_info *g = &h->groups[i];
		struct vfioiommu_resv_region r;

		printf("group %u: ", g->num);
		if (g->err < 0)
			printf("error: %s\n", g->errmsg);
		else
			printf("%s\n  %s\n", vfioiommu_verdict_name(g->verdict.kind), g->verdict.reason);
		printf("  devices:%s\n", g->ndevs ? "" : " none");
		for (size_t k = 0; k < g->ndevs; k++)
			print_device_text(&g->devs[k], g->err < 0 ? NULL : &g->verdict);
		if (g->err < 0) {
			printf("\n");
			any_err = true;
			continue;
		}
		printf("  reserved regions:%s\n", vfioiommu_resv_set_count(g->resv) ? "" : " none");
		for (size_t k = 0; k < vfioiommu_resv_set_count(g->resv); k++) {
			vfioiommu_resv_set_get(g->resv, k, &r);
			printf("    0x%016" PRIx64 " - 0x%016" PRIx64 " %s%s\n", r.start, r.last,
			       vfioiommu_resv_type_name(r.type),
			       r.type == VFIOIOMMU_RESV_DIRECT_RELAXABLE ? " (stays usable)" : "");
		}
		printf("  usable IOVA ranges:\n");
		print_ranges_text(g->usable, "    ");
		printf("\n");
	}
	printf("Usable IOVA ranges with all groups in one address space%s:\n",
	       any_err ? " (groups with errors left out)" : "");
	print_ranges_text(h->usable_all, "  ");
}

/* ---------------- JSON output ---------------- */

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

static void json_ranges(const vfioiommu_iova_list *l)
{
	struct vfioiommu_iova_range r;

	printf("[");
	for (size_t i = 0; i < vfioiommu_iova_list_count(l); i++) {
		vfioiommu_iova_list_get(l, i, &r);
		printf("%s{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\"}", i ? "," : "", r.start, r.last);
	}
	printf("]");
}

static void json_verdict(const struct vfioiommu_verdict *v)
{
	printf("\"verdict\":");
	json_str(vfioiommu_verdict_name(v->kind));
	printf(",\"reason\":");
	json_str(v->reason);
	if (v->culprit[0]) {
		printf(",\"culprit\":");
		json_str(v->culprit);
		printf(",\"culprit_driver\":");
		json_str(v->culprit_driver);
	}
}

static void json_device(const struct dev_info *d, bool first)
{
	printf("%s{\"name\":", first ? "" : ",");
	json_str(d->name);
	printf(",\"pci\":%s,\"driver\":", d->is_pci ? "true" : "false");
	json_str(d->driver);
	if (d->vendor[0]) {
		printf(",\"vendor\":");
		json_str(d->vendor);
		printf(",\"device\":");
		json_str(d->device);
	}
	if (d->cdev[0]) {
		printf(",\"cdev\":");
		json_str(d->cdev);
	}
	if (d->have_verdict) {
		printf(",");
		json_verdict(&d->verdict);
	}
	printf("}");
}

static void print_json(const struct host *h)
{
	char buf[256];

	printf("{\"version\":");
	json_str(vfioiommu_version());
	printf(",\"source\":");
	json_str(h->source);
	printf(",\"where\":");
	json_str(h->where);
	printf(",\"aperture\":{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\",\"from\":\"%s\"}",
	       h->ap_start, h->ap_last, h->ap_given ? "option" : "default-39-bit");
	printf(",\"backends\":{\"iommufd\":{\"dev_iommu\":%s,\"vfio_devices\":%zu,\"vfio_cdevs\":%zu,\"state\":",
	       h->dev_iommu ? "true" : "false", h->vfio_devs, h->vfio_cdevs);
	json_str(iommufd_state(h, buf, sizeof(buf)));
	printf("},\"container\":{\"dev_vfio_vfio\":%s,\"noiommu\":%s,\"state\":", h->dev_vfio ? "true" : "false",
	       h->noiommu ? "true" : "false");
	json_str(container_state(h, buf, sizeof(buf)));
	printf("}},\"groups\":[");
	for (size_t i = 0; i < h->ngroups; i++) {
		const struct group_info *g = &h->groups[i];
		struct vfioiommu_resv_region r;

		printf("%s{\"group\":%u,", i ? "," : "", g->num);
		if (g->err < 0) {
			printf("\"error\":");
			json_str(g->errmsg);
			printf("}");
			continue;
		}
		json_verdict(&g->verdict);
		printf(",\"devices\":[");
		for (size_t k = 0; k < g->ndevs; k++)
			json_device(&g->devs[k], k == 0);
		printf("],\"reserved_regions\":[");
		for (size_t k = 0; k < vfioiommu_resv_set_count(g->resv); k++) {
			vfioiommu_resv_set_get(g->resv, k, &r);
			printf("%s{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\",\"type\":\"%s\"}",
			       k ? "," : "", r.start, r.last, vfioiommu_resv_type_name(r.type));
		}
		printf("],\"usable\":");
		json_ranges(g->usable);
		printf("}");
	}
	printf("],\"devices_without_group\":[");
	for (size_t i = 0; i < h->nloose; i++)
		json_device(&h->loose[i], i == 0);
	printf("],\"usable_all_groups\":");
	json_ranges(h->usable_all);
	printf("}\n");
}

/* ---------------- main ---------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfioiommu-diag [--json] [--sysfs-root DIR | --mock FILE] [--aperture BITS|START-LAST]\n"
		"  --json            machine-readable output\n"
		"  --sysfs-root DIR  read a captured sysfs tree instead of /sys\n"
		"  --mock FILE       run on the mock kernel built from a host description\n"
		"  --aperture A      IOMMU input range: a bit count (39, 48) or 0xSTART-0xLAST (default 39 bits)\n");
}

static int parse_aperture(const char *s, uint64_t *start, uint64_t *last)
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
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "mock", required_argument, NULL, 'm' },
		{ "aperture", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct host h = { .source = "sysfs", .where = "/sys", .ap_last = (1ull << DEFAULT_APERTURE_BITS) - 1 };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	const char *root = NULL, *mock_file = NULL;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "js:m:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 's': root = optarg; break;
		case 'm': mock_file = optarg; break;
		case 'a':
			if (parse_aperture(optarg, &h.ap_start, &h.ap_last) < 0) {
				fprintf(stderr, "vfioiommu-diag: bad --aperture \"%s\": give 12..64 bits or 0xSTART-0xLAST\n",
					optarg);
				return 2;
			}
			h.ap_given = true;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (root && mock_file)) {
		usage(stderr);
		return 2;
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
			return 1;
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
		return 1;
	}
	if (root && vi_sysfs_exists(ctx, "kernel") < 0 && vi_sysfs_exists(ctx, "bus") < 0) {
		fprintf(stderr, "vfioiommu-diag: %s holds neither kernel/ nor bus/: not a sysfs tree\n", root);
		vfioiommu_ctx_destroy(ctx);
		return 1;
	}
	rc = collect(ctx, &h);
	if (rc == 0) {
		if (json)
			print_json(&h);
		else
			print_text(&h);
	} else if (rc == -ENOMEM) {
		fprintf(stderr, "vfioiommu-diag: out of memory\n");
	}
	host_free(&h);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc == 0 ? 0 : 1;
}

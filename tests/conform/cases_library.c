/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The public API on each backend: the same calls must give the same answers
 * whether the context uses a type1v2 container, a type1 container or iommufd,
 * and whether the kernel is the mock or Linux.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu/dma.h>
#include <vfioiommu/p2p.h>

#include "conform.h"

/* LIB_TYPE1: a kernel without v2 (filtered door); LIB_TYPE1_MODE: v2 exists, the caller asks for type1 */
enum { LIB_TYPE1V2, LIB_TYPE1, LIB_TYPE1_MODE, LIB_IOMMUFD, LIB_AUTO };

static const struct {
	enum vfioiommu_mode mode;
	enum vfioiommu_backend backend;
	const char *reason_word;
	enum vfioiommu_iova_source src;
} want[] = {
	[LIB_TYPE1V2] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_BACKEND_TYPE1V2, "type1v2", VFIOIOMMU_IOVA_SRC_TYPE1_CAP },
	[LIB_TYPE1] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_BACKEND_TYPE1, "type1", VFIOIOMMU_IOVA_SRC_TYPE1_CAP },
	[LIB_TYPE1_MODE] = { VFIOIOMMU_MODE_TYPE1, VFIOIOMMU_BACKEND_TYPE1, "type1 asked for", VFIOIOMMU_IOVA_SRC_TYPE1_CAP },
	[LIB_IOMMUFD] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_BACKEND_IOMMUFD, "iommufd", VFIOIOMMU_IOVA_SRC_IOAS_RANGES },
	[LIB_AUTO] = { VFIOIOMMU_MODE_AUTO, VFIOIOMMU_BACKEND_IOMMUFD, "/dev/iommu", VFIOIOMMU_IOVA_SRC_IOAS_RANGES },
};

struct lib {
	struct cf_no_v2_door no_v2;
	vfioiommu_ctx *ctx;
};

/* A library call's result, with the context's message when it is not the expected one. */
static bool lib_rc(struct cf_t *t, vfioiommu_ctx *ctx, const char *what, int expected, int got)
{
	char b1[32], b2[32];

	if ((expected == 0 && got >= 0) || (expected < 0 && got == expected))
		return true;
	cf_fail(t, "%s: expected %s got %s (\"%s\")", what, cf_rcname(expected, b1, sizeof(b1)),
		cf_rcname(got, b2, sizeof(b2)), vfioiommu_strerror(ctx));
	return false;
}

static int lib_new(struct cf_t *t, unsigned long be, struct lib *l)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = want[be].mode, .door = t->door };
	int rc;

	l->ctx = NULL;
	if (be == LIB_TYPE1) {
		cf_no_v2_door_init(&l->no_v2, t->door);
		o.door = &l->no_v2.door;
	}
	rc = vfioiommu_ctx_new(&o, &l->ctx);
	return cf_rc(t, "vfioiommu_ctx_new", 0, rc) ? 0 : -1;
}

static void list_text(char *buf, size_t n, const vfioiommu_iova_list *l)
{
	size_t len = 0, cnt = vfioiommu_iova_list_count(l);

	snprintf(buf, n, "(none)");
	for (size_t i = 0; i < cnt && len < n; i++) {
		struct vfioiommu_iova_range r;
		int w;

		vfioiommu_iova_list_get(l, i, &r);
		w = snprintf(buf + len, n - len, "%s[0x%" PRIx64 ",0x%" PRIx64 "]", i ? " " : "", r.start, r.last);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* The sysfs prediction: every opened group's reserved regions taken out of the aperture. */
static int predict(struct cf_t *t, vfioiommu_ctx *ctx, size_t ndev, vfioiommu_iova_list **out)
{
	unsigned int groups[CF_MAX_DEV];
	vfioiommu_resv_set *set = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < ndev; i++)
		groups[i] = t->h->dev[i].group;
	rc = vfioiommu_resv_read_groups(ctx, groups, ndev, &set);
	if (!lib_rc(t, ctx, "vfioiommu_resv_read_groups", 0, rc))
		return -1;
	rc = vfioiommu_resv_usable(set, 0, t->h->topo->aperture_last, out);
	vfioiommu_resv_set_free(set);
	return lib_rc(t, ctx, "vfioiommu_resv_usable", 0, rc) ? 0 : -1;
}

/* Open every NIC; the kernel's ranges must be the sysfs prediction and FACTS' ranges. */
static void open_all(struct cf_t *t, unsigned long be)
{
	const struct cf_topo *tp = t->h->topo;
	vfioiommu_iova_list *predicted = NULL, *kernel = NULL, *after = NULL;
	vfioiommu_device *dev[CF_MAX_DEV] = { NULL };
	struct kabi_iommu_iova_range got[CF_MAX_RANGES];
	struct lib l;
	char w[128];
	size_t n;

	if (lib_new(t, be, &l) < 0)
		return;
	cf_val(t, "backend before any device", VFIOIOMMU_BACKEND_NONE, vfioiommu_ctx_backend(l.ctx));
	if (predict(t, l.ctx, t->h->ndev, &predicted) < 0)
		goto out;
	for (size_t i = 0; i < t->h->ndev; i++) {
		snprintf(w, sizeof(w), "vfioiommu_device_open(%s)", t->h->dev[i].bdf);
		if (!lib_rc(t, l.ctx, w, 0, vfioiommu_device_open(l.ctx, t->h->dev[i].bdf, &dev[i])))
			goto out;
		snprintf(w, sizeof(w), "vfioiommu_device_group(%s)", t->h->dev[i].bdf);
		cf_val(t, w, t->h->dev[i].group, vfioiommu_device_group(dev[i]));
	}
	if (cf_val(t, "vfioiommu_ctx_backend", want[be].backend, vfioiommu_ctx_backend(l.ctx)) &&
	    !strstr(vfioiommu_ctx_backend_reason(l.ctx), want[be].reason_word))
		cf_fail(t, "backend reason: expected a mention of \"%s\" got \"%s\"", want[be].reason_word,
			vfioiommu_ctx_backend_reason(l.ctx));
	cf_val(t, "vfioiommu_ctx_container_is_iommufd (this kernel has no IOMMUFD_VFIO_CONTAINER)",
	       be <= LIB_TYPE1_MODE ? 0 : -ENODEV, vfioiommu_ctx_container_is_iommufd(l.ctx));
	if (!lib_rc(t, l.ctx, "vfioiommu_ctx_iova_ranges", 0, vfioiommu_ctx_iova_ranges(l.ctx, &kernel)))
		goto out;
	cf_val(t, "ranges source tag", want[be].src, vfioiommu_iova_list_source(kernel));
	n = vfioiommu_iova_list_count(kernel);
	for (size_t i = 0; i < n && i < CF_MAX_RANGES; i++) {
		struct vfioiommu_iova_range r;

		vfioiommu_iova_list_get(kernel, i, &r);
		got[i] = (struct kabi_iommu_iova_range){ r.start, r.last };
	}
	cf_ranges(t, "vfioiommu_ctx_iova_ranges vs FACTS", tp->ranges, tp->nranges, got,
		  n < CF_MAX_RANGES ? (uint32_t)n : CF_MAX_RANGES);
	if (vfioiommu_iova_list_equal(predicted, kernel) != 1) {
		char a[512], b[512];

		list_text(a, sizeof(a), predicted);
		list_text(b, sizeof(b), kernel);
		cf_fail(t, "sysfs prediction vs kernel ranges: expected %s (predicted) got %s (kernel)", a, b);
	}
	/* closing one device leaves the others' address space as it was (same groups' regions) */
	vfioiommu_device_close(dev[t->h->ndev - 1]);
	dev[t->h->ndev - 1] = NULL;
	if (t->h->ndev > 1 &&
	    lib_rc(t, l.ctx, "vfioiommu_ctx_iova_ranges after closing one device", 0,
		   vfioiommu_ctx_iova_ranges(l.ctx, &after)) &&
	    vfioiommu_iova_list_equal(kernel, after) != 1) {
		char a[512], b[512];

		list_text(a, sizeof(a), kernel);
		list_text(b, sizeof(b), after);
		cf_fail(t, "ranges after closing one device: expected %s (as before) got %s", a, b);
	}
out:
	vfioiommu_iova_list_free(after);
	vfioiommu_iova_list_free(kernel);
	vfioiommu_iova_list_free(predicted);
	vfioiommu_ctx_destroy(l.ctx);
}

/* map / translate / unmap and the normalised errnos, identical on every backend. */
static void dma(struct cf_t *t, unsigned long be)
{
	const struct cf_topo *tp = t->h->topo;
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	const uint32_t fixed = rw | VFIOIOMMU_DMA_FIXED_IOVA;
	uint8_t *mem = t->h->mem;
	vfioiommu_iova_list *ranges = NULL;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	vfioiommu_device *dev = NULL;
	uint64_t iova, got;
	struct lib l;

	if (lib_new(t, be, &l) < 0)
		return;
	iova = 0x100000;
	cf_rc(t, "vfioiommu_dma_map before any device", -ENODEV, vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova));
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	iova = 0x100000;
	if (!lib_rc(t, l.ctx, "map 0x100000+0x10000", 0, vfioiommu_dma_map(l.ctx, mem, 0x10000, fixed, &iova)))
		goto out;
	if (lib_rc(t, l.ctx, "translate the start", 0, vfioiommu_dma_translate(l.ctx, mem, 0x10000, &got)))
		cf_hex(t, "translate the start", 0x100000, got);
	if (lib_rc(t, l.ctx, "translate +0x3000", 0, vfioiommu_dma_translate(l.ctx, mem + 0x3000, 0x1000, &got)))
		cf_hex(t, "translate +0x3000", 0x103000, got);
	lib_rc(t, l.ctx, "translate past the mapping", -ENOENT,
	       vfioiommu_dma_translate(l.ctx, mem + 0x10000, 0x1000, &got));
	iova = 0x108000;
	lib_rc(t, l.ctx, "map overlapping 0x108000+0x10000", -EEXIST,
	       vfioiommu_dma_map(l.ctx, mem + 0x20000, 0x10000, fixed, &iova));
	iova = 0xfee00000;
	lib_rc(t, l.ctx, "map in the MSI window", -ERANGE, vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova));
	iova = 0xfedff000;
	lib_rc(t, l.ctx, "map straddling the MSI window", -ERANGE, vfioiommu_dma_map(l.ctx, mem, 0x2000, fixed, &iova));
	if (tp->usable_to_top) {
		/* nothing lies past the usable space: its last page maps (FACTS: virtio MAP top page ok) */
		iova = 0xfffffffffffff000ull;
		if (lib_rc(t, l.ctx, "map the last page of the IOVA space", 0,
			   vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova)))
			lib_rc(t, l.ctx, "unmap the last page of the IOVA space", 0,
			       vfioiommu_dma_unmap(l.ctx, 0xfffffffffffff000ull, 0x1000));
	} else {
		iova = tp->above_usable;
		lib_rc(t, l.ctx, "map just past the usable space", -ERANGE,
		       vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova));
	}
	lib_rc(t, l.ctx, "unmap where nothing is mapped", -ENOENT, vfioiommu_dma_unmap(l.ctx, 0x40000000, 0x1000));
	lib_rc(t, l.ctx, "unmap splitting a mapping", -EINVAL, vfioiommu_dma_unmap(l.ctx, 0x104000, 0x4000));
	lib_rc(t, l.ctx, "unmap the head of a mapping", -EINVAL, vfioiommu_dma_unmap(l.ctx, 0x100000, 0x4000));
	/* one rule on every backend: type1 refuses a misaligned length, iommufd would round it and unmap */
	lib_rc(t, l.ctx, "unmap a whole mapping with a misaligned length", -EINVAL,
	       vfioiommu_dma_unmap(l.ctx, 0x100000, 0x10001));
	lib_rc(t, l.ctx, "unmap at a misaligned IOVA", -EINVAL, vfioiommu_dma_unmap(l.ctx, 0x100800, 0x1000));
	/* type1 v1 would have unmapped the whole mapping for that head unmap: the kernel must still hold it */
	iova = 0x100000;
	lib_rc(t, l.ctx, "map 0x100000 again (still mapped)", -EEXIST,
	       vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova));
	if (lib_rc(t, l.ctx, "translate after the refused unmaps", 0, vfioiommu_dma_translate(l.ctx, mem, 0x1000, &got)))
		cf_hex(t, "translate after the refused unmaps", 0x100000, got);
	lib_rc(t, l.ctx, "unmap the whole mapping", 0, vfioiommu_dma_unmap(l.ctx, 0x100000, 0x10000));
	lib_rc(t, l.ctx, "translate after unmap", -ENOENT, vfioiommu_dma_translate(l.ctx, mem, 0x1000, &got));
	/* the kernel agrees it is gone: mapping it again works */
	iova = 0x100000;
	lib_rc(t, l.ctx, "map 0x100000 again after unmap", 0, vfioiommu_dma_map(l.ctx, mem, 0x10000, fixed, &iova));
	if (lib_rc(t, l.ctx, "map with an allocated IOVA", 0, vfioiommu_dma_map(l.ctx, mem + 0x20000, 0x10000, rw, &iova))) {
		if (iova & 0xfff)
			cf_fail(t, "allocated IOVA 0x%" PRIx64 " is not page aligned", iova);
		if (lib_rc(t, l.ctx, "vfioiommu_ctx_iova_ranges", 0, vfioiommu_ctx_iova_ranges(l.ctx, &ranges)) &&
		    vfioiommu_iova_list_contains(ranges, iova, iova + 0xffff) != 1)
			cf_fail(t, "allocated IOVA 0x%" PRIx64 "+0x10000 is not inside one usable range", iova);
		if (lib_rc(t, l.ctx, "translate the allocated mapping", 0,
			   vfioiommu_dma_translate(l.ctx, mem + 0x20000, 0x10000, &got)))
			cf_hex(t, "translate the allocated mapping", iova, got);
		lib_rc(t, l.ctx, "unmap_at the allocated IOVA", 0, vfioiommu_dma_unmap_at(l.ctx, iova));
	}
	iova = 0x400000;
	lib_rc(t, l.ctx, "map 2 MiB at 0x400000", 0, vfioiommu_dma_map(l.ctx, mem + 0x200000, 0x200000, fixed, &iova));
	if (lib_rc(t, l.ctx, "vfioiommu_dma_stats", 0, vfioiommu_dma_stats(l.ctx, &st))) {
		cf_val(t, "stats: mappings", 2, (long long)st.mappings);
		cf_hex(t, "stats: mapped bytes", 0x210000, st.mapped_bytes);
		cf_val(t, "stats: dma_avail", be <= LIB_TYPE1_MODE ? 65533 : -1, st.dma_avail);
	}
	lib_rc(t, l.ctx, "unmap_all", 0, vfioiommu_dma_unmap_all(l.ctx));
	lib_rc(t, l.ctx, "unmap after unmap_all", -ENOENT, vfioiommu_dma_unmap(l.ctx, 0x400000, 0x200000));
	if (lib_rc(t, l.ctx, "vfioiommu_dma_stats", 0, vfioiommu_dma_stats(l.ctx, &st)))
		cf_val(t, "stats after unmap_all: mappings", 0, (long long)st.mappings);
	/* teardown with a live mapping must still close everything */
	iova = 0x100000;
	lib_rc(t, l.ctx, "map before teardown", 0, vfioiommu_dma_map(l.ctx, mem, 0x1000, fixed, &iova));
out:
	vfioiommu_iova_list_free(ranges);
	vfioiommu_ctx_destroy(l.ctx);
}

/* A verdict of resv.h against what the topology says it must be. */
static void check_verdict(struct cf_t *t, vfioiommu_ctx *ctx, const char *what, const struct cf_verdict *exp,
			  unsigned int group, int rc, const struct vfioiommu_verdict *got)
{
	char w[160], range[64];

	if (!lib_rc(t, ctx, what, 0, rc))
		return;
	if (got->kind != exp->kind) {
		cf_fail(t, "%s: expected %s got %s (\"%s\")", what, vfioiommu_verdict_name(exp->kind),
			vfioiommu_verdict_name(got->kind), got->reason);
		return;
	}
	snprintf(w, sizeof(w), "%s: group", what);
	cf_val(t, w, group, got->group);
	switch (exp->kind) {
	case VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS:
	case VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT:
		snprintf(w, sizeof(w), "%s: region start", what);
		cf_hex(t, w, exp->start, got->region.start);
		snprintf(w, sizeof(w), "%s: region last", what);
		cf_hex(t, w, exp->last, got->region.last);
		snprintf(w, sizeof(w), "%s: region type", what);
		cf_val(t, w, exp->type, got->region.type);
		snprintf(w, sizeof(w), "%s: region group", what);
		cf_val(t, w, group, got->region.group);
		/* the reason names the region as a person would look for it */
		snprintf(range, sizeof(range), "0x%" PRIx64 "-0x%" PRIx64, exp->start, exp->last);
		if (!strstr(got->reason, range) || !strstr(got->reason, vfioiommu_resv_type_name(exp->type)))
			cf_fail(t, "%s: expected a reason naming %s %s got \"%s\"", what,
				vfioiommu_resv_type_name(exp->type), range, got->reason);
		break;
	case VFIOIOMMU_VERDICT_NOT_VIABLE:
	case VFIOIOMMU_VERDICT_NOT_VFIO:
		if (strcmp(got->culprit, exp->culprit) || strcmp(got->culprit_driver, exp->culprit_driver))
			cf_fail(t, "%s: expected culprit %s (%s) got %s (%s)", what, exp->culprit,
				exp->culprit_driver[0] ? exp->culprit_driver : "no driver", got->culprit,
				got->culprit_driver[0] ? got->culprit_driver : "no driver");
		break;
	default:
		break;
	}
}

/*
 * The library's verdicts from sysfs: a NIC is assignable; the ICH9 LPC group
 * and its SMBus function get the topology's verdict (intel: assignable with a
 * warning naming the floppy workaround's direct-relaxable 0x0-0xffffff; amd:
 * the group is not viable because of AHCI and the SMBus function is not on VFIO).
 */
static void verdicts(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	const struct cf_verdict assignable = { .kind = VFIOIOMMU_VERDICT_ASSIGNABLE };
	struct vfioiommu_verdict v;
	struct lib l;
	char w[128];
	int rc;

	if (lib_new(t, LIB_AUTO, &l) < 0)
		return;
	rc = vfioiommu_verdict_device(l.ctx, t->h->dev[0].bdf, &v);
	snprintf(w, sizeof(w), "vfioiommu_verdict_device(%s)", t->h->dev[0].bdf);
	check_verdict(t, l.ctx, w, &assignable, t->h->dev[0].group, rc, &v);
	rc = vfioiommu_verdict_group(l.ctx, tp->lpc_group, &v);
	snprintf(w, sizeof(w), "vfioiommu_verdict_group(%u) (ICH9 LPC)", tp->lpc_group);
	check_verdict(t, l.ctx, w, &tp->lpc_group_verdict, tp->lpc_group, rc, &v);
	rc = vfioiommu_verdict_device(l.ctx, cf_lpc_bdfs[2], &v);
	snprintf(w, sizeof(w), "vfioiommu_verdict_device(%s) (SMBus)", cf_lpc_bdfs[2]);
	check_verdict(t, l.ctx, w, &tp->lpc_smbus_verdict, tp->lpc_group, rc, &v);
	vfioiommu_ctx_destroy(l.ctx);
	(void)arg;
}

/*
 * The LPC group's SMBus function through the library.  Where it is on
 * vfio-pci (intel): the prediction from its group's reserved regions keeps
 * the direct-relaxable region usable, and the kernel agrees (FACTS section
 * h: the same ranges as the NIC groups, and DMA maps inside [0, 16 MiB)).
 * Elsewhere the library refuses to open it (it is on its own driver).
 */
static void lpc_open(struct cf_t *t, unsigned long be)
{
	const struct cf_topo *tp = t->h->topo;
	const struct cf_verdict *gv = &tp->lpc_group_verdict;
	const uint32_t fixed = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA;
	vfioiommu_iova_list *predicted = NULL, *kernel = NULL;
	struct kabi_iommu_iova_range got[CF_MAX_RANGES];
	vfioiommu_resv_set *set = NULL;
	vfioiommu_device *dev = NULL;
	struct lib l;
	uint64_t iova, tr;
	size_t n;
	int rc;

	if (lib_new(t, be, &l) < 0)
		return;
	if (!tp->lpc_smbus_cdev) {
		lib_rc(t, l.ctx, "vfioiommu_device_open of the SMBus function on its own driver", -ENODEV,
		       vfioiommu_device_open(l.ctx, cf_lpc_bdfs[2], &dev));
		goto out;
	}
	rc = vfioiommu_resv_read_group(l.ctx, tp->lpc_group, &set);
	if (!lib_rc(t, l.ctx, "vfioiommu_resv_read_group (ICH9 LPC)", 0, rc))
		goto out;
	rc = vfioiommu_resv_usable(set, 0, tp->aperture_last, &predicted);
	if (!lib_rc(t, l.ctx, "vfioiommu_resv_usable", 0, rc))
		goto out;
	if (gv->kind == VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS &&
	    vfioiommu_iova_list_contains(predicted, gv->start, gv->last) != 1)
		cf_fail(t, "prediction: expected the direct-relaxable [0x%" PRIx64 ",0x%" PRIx64 "] to stay usable",
			gv->start, gv->last);
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open(SMBus)", 0, vfioiommu_device_open(l.ctx, cf_lpc_bdfs[2], &dev)))
		goto out;
	cf_val(t, "vfioiommu_device_group(SMBus)", tp->lpc_group, vfioiommu_device_group(dev));
	cf_val(t, "vfioiommu_ctx_backend", want[be].backend, vfioiommu_ctx_backend(l.ctx));
	if (!lib_rc(t, l.ctx, "vfioiommu_ctx_iova_ranges", 0, vfioiommu_ctx_iova_ranges(l.ctx, &kernel)))
		goto out;
	n = vfioiommu_iova_list_count(kernel);
	for (size_t i = 0; i < n && i < CF_MAX_RANGES; i++) {
		struct vfioiommu_iova_range r;

		vfioiommu_iova_list_get(kernel, i, &r);
		got[i] = (struct kabi_iommu_iova_range){ r.start, r.last };
	}
	cf_ranges(t, "vfioiommu_ctx_iova_ranges vs FACTS (h.lpc)", tp->ranges, tp->nranges, got,
		  n < CF_MAX_RANGES ? (uint32_t)n : CF_MAX_RANGES);
	if (vfioiommu_iova_list_equal(predicted, kernel) != 1) {
		char a[512], b[512];

		list_text(a, sizeof(a), predicted);
		list_text(b, sizeof(b), kernel);
		cf_fail(t, "sysfs prediction vs kernel ranges: expected %s (predicted) got %s (kernel)", a, b);
	}
	/* inside the relaxable region: the kernel dropped its 1:1 mapping, the range is ours */
	iova = 0x100000;
	if (lib_rc(t, l.ctx, "map 0x100000+0x10000 (inside [0, 16 MiB))", 0,
		   vfioiommu_dma_map(l.ctx, t->h->mem, 0x10000, fixed, &iova)) &&
	    lib_rc(t, l.ctx, "translate", 0, vfioiommu_dma_translate(l.ctx, t->h->mem, 0x1000, &tr)))
		cf_hex(t, "translate", 0x100000, tr);
	lib_rc(t, l.ctx, "unmap 0x100000+0x10000", 0, vfioiommu_dma_unmap(l.ctx, 0x100000, 0x10000));
out:
	vfioiommu_device_close(dev);
	vfioiommu_iova_list_free(kernel);
	vfioiommu_iova_list_free(predicted);
	vfioiommu_resv_set_free(set);
	vfioiommu_ctx_destroy(l.ctx);
}

/*
 * Superpage-friendly IOVAs and the page sizes behind them (issue 18): a
 * 2 MiB buffer at a 2 MiB-aligned address gets a 2 MiB-aligned IOVA on every
 * backend, the kernel accepts it, and iommufd reports the page sizes type1
 * reports where the hardware tells them (VT-d registers through
 * GET_HW_INFO), else its IOAS alignment only (AMD and virtio-iommu give no
 * driver data).
 */
static void dma_superpage(struct cf_t *t, unsigned long be)
{
	const struct cf_topo *tp = t->h->topo;
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	uintptr_t m2 = ((uintptr_t)t->h->mem + 0x1fffff) & ~(uintptr_t)0x1fffff;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	vfioiommu_device *dev = NULL;
	uint64_t small, iova, pg;
	struct lib l;

	if (lib_new(t, be, &l) < 0)
		return;
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	/* a 4 KiB map first, so that the lowest free IOVA is not 2 MiB-aligned */
	if (!lib_rc(t, l.ctx, "map 4 KiB, library IOVA", 0, vfioiommu_dma_map(l.ctx, t->h->mem, 0x1000, rw, &small)))
		goto out;
	if (lib_rc(t, l.ctx, "map 2 MiB at a 2 MiB-aligned address", 0,
		   vfioiommu_dma_map(l.ctx, (void *)m2, 0x200000, rw, &iova)))
		cf_hex(t, "2 MiB IOVA modulo 2 MiB", 0, iova & 0x1fffff);
	pg = be == LIB_IOMMUFD && tp->hw_type != KABI_IOMMU_HW_INFO_TYPE_INTEL_VTD ? 0x1000 : tp->iova_pgsizes;
	if (lib_rc(t, l.ctx, "vfioiommu_dma_stats", 0, vfioiommu_dma_stats(l.ctx, &st))) {
		cf_hex(t, "stats: pgsizes", pg, st.pgsizes);
		cf_val(t, "stats: unaligned_maps", 0, (long long)st.unaligned_maps);
	}
	lib_rc(t, l.ctx, "unmap the 2 MiB mapping", 0, vfioiommu_dma_unmap(l.ctx, iova, 0x200000));
	lib_rc(t, l.ctx, "unmap the 4 KiB mapping", 0, vfioiommu_dma_unmap_at(l.ctx, small));
out:
	vfioiommu_ctx_destroy(l.ctx);
}

/*
 * The unmap meanings settled for issue 18, identical on every backend: the
 * whole space (0, UINT64_MAX) is unmap-all and 0 even when empty (type1
 * alone would say EINVAL for that length); ABSENT_OK makes a redundant unmap
 * 0; a split is -EINVAL (the kernels: type1v2 EINVAL, iommufd ENOENT after
 * unmapping what it covered, FACTS) and leaves the kernel's mapping in place.
 */
static void dma_unmap_meanings(struct cf_t *t, unsigned long be)
{
	const uint32_t fixed = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA;
	uint8_t *mem = t->h->mem;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	vfioiommu_device *dev = NULL;
	uint64_t iova;
	struct lib l;

	if (lib_new(t, be, &l) < 0)
		return;
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	lib_rc(t, l.ctx, "unmap the whole space, nothing mapped", 0, vfioiommu_dma_unmap(l.ctx, 0, UINT64_MAX));
	iova = 0x100000;
	lib_rc(t, l.ctx, "map 0x100000+0x10000", 0, vfioiommu_dma_map(l.ctx, mem, 0x10000, fixed, &iova));
	iova = 0x400000;
	lib_rc(t, l.ctx, "map 0x400000+0x200000", 0, vfioiommu_dma_map(l.ctx, mem + 0x200000, 0x200000, fixed, &iova));
	lib_rc(t, l.ctx, "unmap nothing, ABSENT_OK", 0,
	       vfioiommu_dma_unmap_flags(l.ctx, 0x40000000, 0x1000, VFIOIOMMU_DMA_UNMAP_ABSENT_OK));
	lib_rc(t, l.ctx, "unmap nothing, no flag", -ENOENT, vfioiommu_dma_unmap_flags(l.ctx, 0x40000000, 0x1000, 0));
	lib_rc(t, l.ctx, "split, ABSENT_OK", -EINVAL,
	       vfioiommu_dma_unmap_flags(l.ctx, 0x500000, 0x1000, VFIOIOMMU_DMA_UNMAP_ABSENT_OK));
	lib_rc(t, l.ctx, "unknown unmap flag", -EINVAL, vfioiommu_dma_unmap_flags(l.ctx, 0x100000, 0x10000, 1u << 7));
	/* the refused split left the kernel's mapping whole: unmapping it all gives back its 2 MiB */
	lib_rc(t, l.ctx, "unmap the 2 MiB mapping whole", 0, vfioiommu_dma_unmap(l.ctx, 0x400000, 0x200000));
	iova = 0x400000;
	lib_rc(t, l.ctx, "map 0x400000 again", 0, vfioiommu_dma_map(l.ctx, mem + 0x200000, 0x200000, fixed, &iova));
	lib_rc(t, l.ctx, "unmap the whole space", 0, vfioiommu_dma_unmap(l.ctx, 0, UINT64_MAX));
	if (lib_rc(t, l.ctx, "vfioiommu_dma_stats", 0, vfioiommu_dma_stats(l.ctx, &st)))
		cf_val(t, "stats after the whole-space unmap: mappings", 0, (long long)st.mappings);
	/* the kernel agrees: both IOVAs map again */
	iova = 0x100000;
	lib_rc(t, l.ctx, "map 0x100000 after the whole-space unmap", 0,
	       vfioiommu_dma_map(l.ctx, mem, 0x10000, fixed, &iova));
	iova = 0x400000;
	lib_rc(t, l.ctx, "map 0x400000 after the whole-space unmap", 0,
	       vfioiommu_dma_map(l.ctx, mem + 0x200000, 0x200000, fixed, &iova));
out:
	vfioiommu_ctx_destroy(l.ctx);
}

/*
 * The last device leaving does not take the mappings: an IOAS keeps them by
 * itself, a container because the library keeps its last group attached
 * while it holds mappings (the kernel drops an empty container's IOMMU).
 * The device comes back and the kernel unmaps the full length (else -EIO).
 */
static void dma_last_device(struct cf_t *t, unsigned long be)
{
	const uint32_t fixed = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA;
	vfioiommu_device *dev = NULL;
	uint64_t iova = 0x100000, got;
	struct lib l;

	if (lib_new(t, be, &l) < 0)
		return;
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	if (!lib_rc(t, l.ctx, "map 0x100000+0x10000", 0, vfioiommu_dma_map(l.ctx, t->h->mem, 0x10000, fixed, &iova)))
		goto out;
	vfioiommu_device_close(dev);
	dev = NULL;
	if (lib_rc(t, l.ctx, "translate with no device open", 0, vfioiommu_dma_translate(l.ctx, t->h->mem, 1, &got)))
		cf_hex(t, "translate with no device open", 0x100000, got);
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open again", 0,
		    vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	lib_rc(t, l.ctx, "unmap the mapping made before (the kernel still holds it)", 0,
	       vfioiommu_dma_unmap(l.ctx, 0x100000, 0x10000));
out:
	vfioiommu_ctx_destroy(l.ctx);
}

/* A buffer with no memory behind it: the kernel cannot pin it (EFAULT), the library says why. */
static void dma_unbacked(struct cf_t *t, unsigned long be)
{
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	vfioiommu_device *dev = NULL;
	uint64_t iova = 0;
	struct lib l;
	void *hole = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (hole == MAP_FAILED) {
		cf_fail(t, "mmap failed");
		return;
	}
	/* an address range this process just gave back: nothing is mapped there now */
	munmap(hole, 0x10000);
	if (lib_new(t, be, &l) < 0)
		return;
	if (!lib_rc(t, l.ctx, "vfioiommu_device_open", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	if (lib_rc(t, l.ctx, "map an unmapped buffer", -EFAULT, vfioiommu_dma_map(l.ctx, hole, 0x10000, rw, &iova)) &&
	    !strstr(vfioiommu_strerror(l.ctx), "not wholly mapped"))
		cf_fail(t, "the EFAULT message does not say the buffer is not mapped: \"%s\"", vfioiommu_strerror(l.ctx));
out:
	vfioiommu_ctx_destroy(l.ctx);
}

/*
 * Peer to peer (FACTS.md section 7): the second NIC's BAR0 mapped for the
 * context's DMA, through a dma-buf on iommufd and through the BAR's mmap on
 * a container; the regions that cannot be targets, on every backend alike.
 */
static void map_region(struct cf_t *t, unsigned long be)
{
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	vfioiommu_device *dev0 = NULL, *dev1 = NULL;
	uint64_t iova = 0, fixed = 0x100000;
	struct lib l;

	if (t->h->ndev < 2 || lib_new(t, be, &l) < 0)
		return;
	if (!lib_rc(t, l.ctx, "open dev[0]", 0, vfioiommu_device_open(l.ctx, t->h->dev[0].bdf, &dev0)) ||
	    !lib_rc(t, l.ctx, "open dev[1]", 0, vfioiommu_device_open(l.ctx, t->h->dev[1].bdf, &dev1)))
		goto out;
	if (lib_rc(t, l.ctx, "BAR0 of dev[1], whole", 0, vfioiommu_dma_map_region(l.ctx, dev1, 0, 0, 0x20000, rw, &iova)) &&
	    (iova & 0xfff))
		cf_fail(t, "BAR0 of dev[1]: IOVA 0x%" PRIx64 " is not page aligned", iova);
	lib_rc(t, l.ctx, "BAR0 of dev[1] +0x1000..0x2fff at 0x100000", 0,
	       vfioiommu_dma_map_region(l.ctx, dev1, 0, 0x1000, 0x2000, rw | VFIOIOMMU_DMA_FIXED_IOVA, &fixed));
	cf_hex(t, "the fixed IOVA", 0x100000, fixed);
	if (lib_rc(t, l.ctx, "vfioiommu_dma_stats", 0, vfioiommu_dma_stats(l.ctx, &st))) {
		cf_val(t, "stats: mappings", 2, (long long)st.mappings);
		cf_hex(t, "stats: mapped bytes", 0x22000, st.mapped_bytes);
	}
	fixed = 0xfee00000;
	lib_rc(t, l.ctx, "in the MSI window", -ERANGE,
	       vfioiommu_dma_map_region(l.ctx, dev1, 0, 0, 0x1000, rw | VFIOIOMMU_DMA_FIXED_IOVA, &fixed));
	lib_rc(t, l.ctx, "region 2 (I/O BAR)", -EOPNOTSUPP, vfioiommu_dma_map_region(l.ctx, dev1, 2, 0, 0x1000, rw, &iova));
	lib_rc(t, l.ctx, "region 4 (unused BAR)", -EOPNOTSUPP, vfioiommu_dma_map_region(l.ctx, dev1, 4, 0, 0x1000, rw, &iova));
	lib_rc(t, l.ctx, "region 7 (config)", -EOPNOTSUPP, vfioiommu_dma_map_region(l.ctx, dev1, 7, 0, 0x1000, rw, &iova));
	lib_rc(t, l.ctx, "past the BAR's end", -EINVAL,
	       vfioiommu_dma_map_region(l.ctx, dev1, 0, 0x1f000, 0x2000, rw, &iova));
	lib_rc(t, l.ctx, "unmap the fixed one", 0, vfioiommu_dma_unmap(l.ctx, 0x100000, 0x2000));
	lib_rc(t, l.ctx, "unmap it again", -ENOENT, vfioiommu_dma_unmap(l.ctx, 0x100000, 0x2000));
	lib_rc(t, l.ctx, "unmap_all", 0, vfioiommu_dma_unmap_all(l.ctx));
	/* its own BAR, too: the device that DMAs may also be the exporter */
	iova = 0;
	lib_rc(t, l.ctx, "BAR0 of dev[0] for its own context", 0,
	       vfioiommu_dma_map_region(l.ctx, dev0, 0, 0, 0x1000, rw, &iova));
out:
	vfioiommu_ctx_destroy(l.ctx);
}

const struct cf_case cf_cases_library[] = {
	{ "lib.open.type1v2", open_all, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.open.type1", open_all, LIB_TYPE1, 0, NULL, NULL },
	{ "lib.open.type1mode", open_all, LIB_TYPE1_MODE, 0, NULL, NULL },
	{ "lib.open.iommufd", open_all, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.open.auto", open_all, LIB_AUTO, 0, NULL, NULL },
	{ "lib.dma.type1v2", dma, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.dma.type1", dma, LIB_TYPE1, 0, NULL, NULL },
	{ "lib.dma.type1mode", dma, LIB_TYPE1_MODE, 0, NULL, NULL },
	{ "lib.dma.iommufd", dma, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.verdict", verdicts, 0, 0, NULL, NULL },
	{ "lib.lpc.type1v2", lpc_open, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.lpc.iommufd", lpc_open, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.dma.superpage.type1v2", dma_superpage, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.dma.superpage.iommufd", dma_superpage, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.dma.unmap.type1v2", dma_unmap_meanings, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.dma.unmap.type1", dma_unmap_meanings, LIB_TYPE1, 0, NULL, NULL },
	{ "lib.dma.unmap.iommufd", dma_unmap_meanings, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.dma.lastdev.type1v2", dma_last_device, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.dma.lastdev.iommufd", dma_last_device, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.dma.unbacked.type1v2", dma_unbacked, LIB_TYPE1V2, 0, "mock type1 MAP does not look at process memory", NULL },
	{ "lib.dma.unbacked.iommufd", dma_unbacked, LIB_IOMMUFD, 0, NULL, NULL },
	{ "lib.map_region.type1v2", map_region, LIB_TYPE1V2, 0, NULL, NULL },
	{ "lib.map_region.type1", map_region, LIB_TYPE1, 0, NULL, NULL },
	{ "lib.map_region.iommufd", map_region, LIB_IOMMUFD, 0, NULL, NULL },
};
const size_t cf_ncases_library = sizeof(cf_cases_library) / sizeof(cf_cases_library[0]);

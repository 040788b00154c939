/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target for the VFIO *_INFO protocol: the capability-chain walker,
 * the typed type1 parser, and the argsz dance against a scripted kernel.
 *
 * Byte 0 picks the mode (low 2 bits):
 *   0  vi_caps_walk on the rest; byte 1 = fixed_len, bytes 2..5 = first offset
 *   1  vi_type1_parse on the rest (the reply as GET_INFO left it)
 *   2  vi_type1_info (argsz dance + parse) against the scripted door
 *   3  vi_device_info, then vi_region_info, against the scripted door
 * In modes 2 and 3 the rest is a script of kernel replies, one per ioctl:
 *   u8 action (0..239 answer, 240.. fail with an errno), u32 argsz the kernel
 *   writes back, u16 n, then n bytes the kernel copies to the buffer from
 *   offset 4, never past the argsz the library passed in (as copy_to_user).
 * Buffers are exact-size heap copies, so any read past them is an ASan report.
 * Invariants (trap on violation): every cap handed out lies inside the buffer,
 * on a 4-byte boundary, after the fixed struct and after the one before;
 * failures are -EPROTO / -EINVAL / -ENOMEM or the errno the script injected,
 * with a message; parsed ranges are sorted, disjoint and as many as announced.
 *
 *   fuzz_caps -max_total_time=60 /tmp/caps-corpus fuzz/corpus/caps
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova/caps.h"
#include "core/internal.h"
#include "core/door.h"
#include "kabi/kabi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct cur {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct cur *c, unsigned int bytes)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < bytes && c->n; i++, c->p++, c->n--)
		v |= (uint32_t)*c->p << (8 * i);
	return v;
}

/* ---- the walker's own invariants ---- */

struct walk_state {
	const uint8_t *buf;
	size_t len, fixed;
	uint32_t last_off;
	unsigned int seen;
	int stop_at; /* return > 0 on this cap (-1: never) */
};

static int walk_cb(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct walk_state *w = arg;
	volatile uint8_t sink = 0;

	CHECK(cap->p == w->buf + cap->off);
	CHECK(cap->off % 4 == 0);
	CHECK(cap->off >= w->fixed);
	CHECK(cap->len >= VI_CAP_HDR_LEN);
	CHECK(cap->off <= w->len && cap->len <= w->len - cap->off);
	CHECK(w->seen == 0 || cap->off > w->last_off);
	CHECK(w->seen < VI_CAPS_MAX);
	/* touch every byte the walker says belongs to the cap */
	for (size_t i = 0; i < cap->len; i++)
		sink ^= cap->p[i];
	(void)sink;
	w->last_off = cap->off;
	if ((int)w->seen++ == w->stop_at)
		return 1;
	return 0;
}

static void check_err(int rc, const char *msg, int injected)
{
	CHECK(rc < 0);
	CHECK(rc == -EPROTO || rc == -EINVAL || rc == -ENOMEM || (injected && rc == injected));
	CHECK(msg && msg[0] != '\0');
}

static void mode_walk(struct cur *c)
{
	size_t fixed = take(c, 1);
	uint32_t first = take(c, 4);
	int stop = (int)(take(c, 1) % 80) - 8;
	uint8_t *buf = c->n ? malloc(c->n) : NULL;
	struct vi_err err = { "" };
	struct walk_state w = { .len = c->n, .fixed = fixed, .stop_at = stop < 0 ? -1 : stop };
	int rc;

	if (c->n && !buf)
		return;
	if (buf)
		memcpy(buf, c->p, c->n);
	w.buf = buf;
	rc = vi_caps_walk(buf, c->n, first, fixed, walk_cb, &w, &err);
	if (rc < 0)
		check_err(rc, err.msg, 0);
	else
		CHECK(rc == 0);
	/* NULL err must be accepted too */
	w.seen = 0;
	(void)vi_caps_walk(buf, c->n, first, fixed, walk_cb, &w, NULL);
	free(buf);
}

static void check_info(const struct vfioiommu_iommu_info *info, const vfioiommu_iova_list *ranges,
		       bool asked)
{
	if (!info->has_iova_ranges) {
		CHECK(ranges == NULL);
		CHECK(info->nr_iova_ranges == 0);
		return;
	}
	if (!asked)
		return;
	CHECK(ranges != NULL);
	CHECK(vfioiommu_iova_list_source(ranges) == VFIOIOMMU_IOVA_SRC_TYPE1_CAP);
	/* the parser rejects unsorted or overlapping input; touching ones coalesce */
	CHECK(vfioiommu_iova_list_count(ranges) <= info->nr_iova_ranges);
	for (size_t i = 0; i < vfioiommu_iova_list_count(ranges); i++) {
		struct vfioiommu_iova_range a, b;

		CHECK(vfioiommu_iova_list_get(ranges, i, &a) == 0);
		CHECK(a.start <= a.last);
		if (i) {
			CHECK(vfioiommu_iova_list_get(ranges, i - 1, &b) == 0);
			CHECK(b.last < a.start && b.last + 1 < a.start);
		}
	}
}

static void mode_parse(struct cur *c)
{
	uint8_t *buf = malloc(c->n ? c->n : 1);
	struct vfioiommu_iommu_info info;
	vfioiommu_iova_list *ranges = (vfioiommu_iova_list *)&info; /* must be overwritten */
	struct vi_err err = { "" };
	int rc;

	if (!buf)
		return;
	memcpy(buf, c->p, c->n);
	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	rc = vi_type1_parse(buf, c->n, &info, &ranges, &err);
	if (rc < 0) {
		check_err(rc, err.msg, 0);
		CHECK(ranges == NULL);
	} else {
		CHECK(rc == 0);
		CHECK(info.size == sizeof(info));
		check_info(&info, ranges, true);
	}
	vfioiommu_iova_list_free(ranges);
	/* without a range list, and without an error sink */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	rc = vi_type1_parse(buf, c->n, &info, NULL, NULL);
	if (rc == 0)
		check_info(&info, NULL, false);
	free(buf);
}

/* ---- the scripted kernel ---- */

static const int inject_errnos[] = { EINVAL, EFAULT, ENOTTY, E2BIG, EMSGSIZE, EIO, ENODEV, EPERM };

struct script {
	struct cur c;
	unsigned int calls;
	int injected;     /* the last errno the script returned, negative */
};

static struct script g_script;

static int sd_ioctl(void *priv, int fd, unsigned long req, void *arg)
{
	struct script *s = priv;
	uint8_t *buf = arg;
	uint32_t argsz_in, argsz_out, n;
	unsigned int action;

	s->calls++;
	CHECK(s->calls <= VI_INFO_MAX_CALLS);
	CHECK(fd == 3);
	memcpy(&argsz_in, buf, 4);
	/* the library's buffer must hold argsz bytes: touch the last one (ASan checks the bounds) */
	if (argsz_in)
		((volatile uint8_t *)buf)[argsz_in - 1] ^= 0;
	if (!s->c.n)
		return -EIO; /* the script ran out: a kernel that fails */
	action = take(&s->c, 1);
	if (action >= 240) {
		s->injected = -inject_errnos[action % (sizeof(inject_errnos) / sizeof(inject_errnos[0]))];
		return s->injected;
	}
	argsz_out = take(&s->c, 4);
	n = take(&s->c, 2);
	if (n > s->c.n)
		n = (uint32_t)s->c.n;
	/* copy_to_user never writes past the argsz it was given */
	if (argsz_in > 4)
		memcpy(buf + 4, s->c.p, n < argsz_in - 4 ? n : argsz_in - 4);
	s->c.p += n;
	s->c.n -= n;
	memcpy(buf, &argsz_out, 4);
	return (int)(action & 1);
}

static int sd_never(void *priv, const char *path)
{
	__builtin_trap();
}

static const struct vfioiommu_door script_door = {
	.name = "script",
	.priv = &g_script,
	.ioctl = sd_ioctl,
	.exists = sd_never,
};

static int count_cb(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	unsigned int *n = arg;

	CHECK(cap->len >= VI_CAP_HDR_LEN);
	/* the device and region walkers hand caps to callers that read their payload */
	for (size_t i = 0; i < cap->len; i++)
		((volatile const uint8_t *)cap->p)[i];
	if (++*n == 3 && cap->id == 0xffff)
		return vi_errf(err, -EPROTO, "callback refuses cap %u", cap->id);
	return 0;
}

static vfioiommu_ctx *script_ctx(const uint8_t *p, size_t n)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = &script_door };
	vfioiommu_ctx *ctx = NULL;

	g_script = (struct script){ .c = { p, n } };
	if (vfioiommu_ctx_new(&o, &ctx) < 0)
		return NULL;
	return ctx;
}

static void mode_type1_info(struct cur *c)
{
	vfioiommu_ctx *ctx = script_ctx(c->p, c->n);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_iova_list *ranges = NULL;
	int rc;

	if (!ctx)
		return;
	rc = vi_type1_info(ctx, 3, &info, &ranges);
	if (rc < 0) {
		check_err(rc, vfioiommu_strerror(ctx), g_script.injected ? g_script.injected : -EIO);
		CHECK(ranges == NULL);
	} else {
		CHECK(rc == 0);
		check_info(&info, ranges, true);
	}
	vfioiommu_iova_list_free(ranges);
	vfioiommu_ctx_destroy(ctx);
}

static void mode_device_info(struct cur *c)
{
	unsigned int region = take(c, 1) % 10;
	vfioiommu_ctx *ctx = script_ctx(c->p, c->n);
	struct vi_device_info di;
	struct vi_region_info ri;
	unsigned int ncaps = 0;
	int rc;

	if (!ctx)
		return;
	rc = vi_device_info(ctx, 3, &di, count_cb, &ncaps);
	if (rc < 0)
		check_err(rc, vfioiommu_strerror(ctx), g_script.injected ? g_script.injected : -EIO);
	/* the next ioctls consume the rest of the script */
	g_script.calls = 0;
	g_script.injected = 0;
	rc = vi_region_info(ctx, 3, region, &ri, count_cb, &ncaps);
	if (rc < 0)
		check_err(rc, vfioiommu_strerror(ctx), g_script.injected ? g_script.injected : -EIO);
	g_script.calls = 0;
	g_script.injected = 0;
	/* no callback: the chain is not walked, whatever it holds */
	rc = vi_device_info(ctx, 3, &di, NULL, NULL);
	if (rc < 0)
		check_err(rc, vfioiommu_strerror(ctx), g_script.injected ? g_script.injected : -EIO);
	vfioiommu_ctx_destroy(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cur c = { data, size };
	unsigned int mode = take(&c, 1) & 3;

	switch (mode) {
	case 0:
		mode_walk(&c);
		break;
	case 1:
		mode_parse(&c);
		break;
	case 2:
		mode_type1_info(&c);
		break;
	default:
		mode_device_info(&c);
		break;
	}
	return 0;
}

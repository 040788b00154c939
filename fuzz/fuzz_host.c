/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target for the mock's host-description parser and the sysfs text
 * it generates from what it parsed.
 *
 * The input is a host description (include/vfioiommu/mock.h).  After
 * vfioiommu_mock_load_string(), whether it succeeded or stopped half-way, the
 * mock must still be a consistent host, so every group it lists is read back
 * through the door as the library reads it:
 *  - a rejected description gives -EINVAL and a "line N: ..." message;
 *  - every group's reserved_regions text parses (the generator never prints
 *    what the kernel would not), the same through vfioiommu_resv_read_group();
 *  - the usable space predicted from that text equals the mock's own,
 *    independent computation (vm_usable_ranges), per group and for all
 *    groups at once: the library's prediction and the mock kernel agree;
 *  - every group and device gets a verdict with a reason;
 *  - the same bytes as a file (a memfd): vfioiommu_mock_load_file() never
 *    takes more than load_string() would; a NUL byte is -EINVAL naming its
 *    line, not the end of the host (issue #20).
 *
 *   fuzz_host -max_total_time=60 /tmp/host-corpus fuzz/corpus/host
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>

#include "mock/mock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Keep each input cheap: hosts with more groups than this are checked on the first ones only. */
#define MAX_GROUPS 64
#define MAX_DEVS 64

struct names {
	char v[MAX_DEVS][32];
	unsigned int n;
};

static int collect(void *arg, const char *name)
{
	struct names *ns = arg;

	if (ns->n == MAX_DEVS)
		return 1;
	CHECK(strlen(name) < sizeof(ns->v[0]));
	strcpy(ns->v[ns->n++], name);
	return 0;
}

/* The whole attribute through the door, growing the buffer on -EFBIG like the library. */
static char *read_attr(const vfioiommu_door *d, const char *path, size_t *len)
{
	for (size_t n = 256; n <= (1u << 24); n *= 4) {
		char *buf = malloc(n);
		ssize_t rc;

		CHECK(buf);
		rc = d->sysfs_read(d->priv, path, buf, n);
		if (rc == -EFBIG) {
			free(buf);
			continue;
		}
		CHECK(rc >= 0);
		CHECK((size_t)rc < n && buf[rc] == '\0' && strlen(buf) == (size_t)rc);
		*len = (size_t)rc;
		return buf;
	}
	__builtin_trap();
}

static vfioiommu_iova_list *oracle(vfioiommu_mock *m, const unsigned int *groups, size_t n)
{
	struct vm_range *r = NULL;
	size_t cnt = 0;
	vfioiommu_iova_list *l = NULL;

	CHECK(vm_usable_ranges(m, groups, n, &r, &cnt) == 0);
	CHECK(vfioiommu_iova_list_new((const struct vfioiommu_iova_range *)r, cnt,
				      VFIOIOMMU_IOVA_SRC_USER, &l) == 0);
	free(r);
	return l;
}

static void check_prediction(vfioiommu_mock *m, const vfioiommu_resv_set *set, const unsigned int *groups,
			     size_t n)
{
	vfioiommu_iova_list *pred = NULL, *truth = oracle(m, groups, n);

	CHECK(vfioiommu_resv_usable(set, m->aper_start, m->aper_last, &pred) == 0);
	CHECK(vfioiommu_iova_list_source(pred) == VFIOIOMMU_IOVA_SRC_SYSFS);
	CHECK(vfioiommu_iova_list_equal(pred, truth) == 1);
	vfioiommu_iova_list_free(pred);
	vfioiommu_iova_list_free(truth);
}

static bool same_sets(const vfioiommu_resv_set *a, const vfioiommu_resv_set *b)
{
	size_t n = vfioiommu_resv_set_count(a);

	if (n != vfioiommu_resv_set_count(b))
		return false;
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_resv_region x, y;

		CHECK(vfioiommu_resv_set_get(a, i, &x) == 0 && vfioiommu_resv_set_get(b, i, &y) == 0);
		if (x.start != y.start || x.last != y.last || x.type != y.type || x.group != y.group)
			return false;
	}
	return true;
}

static void check_verdict(int rc, const struct vfioiommu_verdict *v, const char *dev)
{
	CHECK(rc == 0);
	CHECK((unsigned int)v->kind <= VFIOIOMMU_VERDICT_NOT_VFIO);
	CHECK(strcmp(vfioiommu_verdict_name(v->kind), "unknown") != 0);
	CHECK(memchr(v->reason, '\0', sizeof(v->reason)) && memchr(v->device, '\0', sizeof(v->device)));
	CHECK(memchr(v->culprit, '\0', sizeof(v->culprit)));
	CHECK(memchr(v->culprit_driver, '\0', sizeof(v->culprit_driver)));
	CHECK(v->kind == VFIOIOMMU_VERDICT_ASSIGNABLE || v->reason[0] != '\0');
	if (dev)
		CHECK(!strcmp(v->device, dev));
}

static void check_group(vfioiommu_mock *m, vfioiommu_ctx *ctx, unsigned int g)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char path[96], err[256];
	vfioiommu_resv_set *parsed = NULL, *read = NULL;
	struct vfioiommu_verdict v;
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/reserved_regions", g);
	text = read_attr(d, path, &len);
	if (vfioiommu_resv_parse(text, len, g, path, &parsed, err, sizeof(err)) != 0) {
		fprintf(stderr, "generated text the parser refuses: %s\n%s", err, text);
		__builtin_trap();
	}
	free(text);
	CHECK(vfioiommu_resv_read_group(ctx, g, &read) == 0);
	CHECK(same_sets(parsed, read));
	check_prediction(m, read, &g, 1);
	vfioiommu_resv_set_free(parsed);
	vfioiommu_resv_set_free(read);

	memset(&v, 0xa5, sizeof(v));
	check_verdict(vfioiommu_verdict_group(ctx, g, &v), &v, NULL);
	CHECK(v.group == g);
	/* a group with a firmware 1:1 region is refused whatever its devices */
	if (vm_group_has_direct(vm_group_find(m, g)))
		CHECK(v.kind == VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT);
}

/* The input as a file: a NUL is refused with its line; otherwise the file loads as the string does. */
static void check_file(const uint8_t *data, size_t size, int string_rc)
{
	char path[64], err[256];
	vfioiommu_mock *m = NULL;
	const uint8_t *nul = memchr(data, '\0', size);
	int fd = memfd_create("fuzz-host", MFD_CLOEXEC), rc;

	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(vfioiommu_mock_new(&m) == 0);
	rc = vfioiommu_mock_load_file(m, path, err, sizeof(err));
	if (nul) {
		char want[32];
		unsigned int line = 1;

		for (const uint8_t *c = data; c < nul; c++)
			line += *c == '\n';
		snprintf(want, sizeof(want), "line %u: a NUL byte", line);
		CHECK(rc == -EINVAL);
		CHECK(strstr(err, want) != NULL);
		CHECK(m->ngroups == 0 && m->ndevs == 0);
	} else {
		CHECK(rc == string_rc);
	}
	vfioiommu_mock_destroy(m);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[128];
	vfioiommu_mock *m = NULL;
	vfioiommu_ctx *ctx = NULL;
	struct names groups = { .n = 0 }, devs = { .n = 0 };
	unsigned int gnum[MAX_GROUPS];
	size_t ng = 0;
	int rc;

	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	CHECK(vfioiommu_mock_new(&m) == 0);
	memset(err, 0x5a, sizeof(err));
	rc = vfioiommu_mock_load_string(m, text, err, sizeof(err));
	free(text);
	if (rc < 0) {
		CHECK(rc == -EINVAL);
		CHECK(memchr(err, '\0', sizeof(err)));
		if (strncmp(err, "line ", 5)) {
			fprintf(stderr, "rejected without a 'line N:' message: rc %d, \"%.*s\"\n", rc,
				(int)sizeof(err), err);
			__builtin_trap();
		}
	} else {
		CHECK(rc == 0);
	}
	check_file(data, size, rc);

	{
		struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = vfioiommu_mock_door(m) };
		CHECK(vfioiommu_ctx_new(&o, &ctx) == 0);
	}
	{
		const vfioiommu_door *d = vfioiommu_mock_door(m);
		CHECK(d->listdir(d->priv, "/sys/kernel/iommu_groups", collect, &groups) == 0);
		CHECK(d->listdir(d->priv, "/sys/bus/pci/devices", collect, &devs) == 0);
	}
	for (unsigned int i = 0; i < groups.n && ng < MAX_GROUPS; i++) {
		char *end;
		unsigned long g = strtoul(groups.v[i], &end, 10);

		CHECK(*end == '\0' && g <= UINT32_MAX);
		gnum[ng++] = (unsigned int)g;
		check_group(m, ctx, (unsigned int)g);
	}
	if (ng) {
		vfioiommu_resv_set *all = NULL;

		CHECK(vfioiommu_resv_read_groups(ctx, gnum, ng, &all) == 0);
		check_prediction(m, all, gnum, ng);
		vfioiommu_resv_set_free(all);
	}
	for (unsigned int i = 0; i < devs.n; i++) {
		struct vfioiommu_verdict v;

		memset(&v, 0xa5, sizeof(v));
		check_verdict(vfioiommu_verdict_device(ctx, devs.v[i], &v), &v, devs.v[i]);
	}
	vfioiommu_ctx_destroy(ctx);
	CHECK(vfioiommu_mock_open_fds(m) == 0);
	vfioiommu_mock_destroy(m);
	return 0;
}

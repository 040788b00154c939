/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Host description files for the mock kernel (format: include/vfioiommu/mock.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mock.h"

#define MAX_TOK 16

struct pstate {
	vfioiommu_mock *m;
	char *err;
	size_t errlen;
	unsigned int line;
	bool have_group;
	unsigned int group;
};

static int perr(struct pstate *ps, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
static int perr(struct pstate *ps, const char *fmt, ...)
{
	if (ps->err && ps->errlen) {
		va_list ap;
		int n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line);
		if (n >= 0 && (size_t)n < ps->errlen) {
			va_start(ap, fmt);
			vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int yesno(const char *s, bool *out)
{
	if (s && (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1")))
		*out = true;
	else if (s && (!strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0")))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int resv_type(const char *s, enum vfioiommu_resv_type *t)
{
	static const char *const names[] = { "direct", "direct-relaxable", "reserved", "msi", "sw_msi" };

	for (unsigned int i = 0; s && i < 5; i++) {
		if (!strcmp(s, names[i])) {
			*t = (enum vfioiommu_resv_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* "TYPE:SUBTYPE[:BYTES]" of a faultregion= attribute: numbers in any base strtoull takes. */
static int fault_region(struct pstate *ps, const char *bdf, char *spec)
{
	char *f[4] = { spec, NULL, NULL, NULL };
	uint64_t type, subtype, bytes = VFIOIOMMU_MOCK_FAULT_REGION_BYTES;
	int n = 1, rc;

	for (char *c = spec; *c && n < 4; c++)
		if (*c == ':') {
			*c = '\0';
			f[n++] = c + 1;
		}
	if (n < 2 || n > 3 || num(f[0], UINT32_MAX, &type) < 0 || num(f[1], UINT32_MAX, &subtype) < 0 ||
	    (n == 3 && num(f[2], UINT64_MAX, &bytes) < 0))
		return perr(ps, "'faultregion' needs TYPE:SUBTYPE[:BYTES] (u32 numbers, BYTES 16 to 16 MiB)");
	rc = vfioiommu_mock_device_add_fault_region(ps->m, bdf, (uint32_t)type, (uint32_t)subtype, bytes);
	if (rc == -EINVAL)
		return perr(ps, "'faultregion' size %llu is outside 16 bytes to 16 MiB", (unsigned long long)bytes);
	if (rc == -EEXIST)
		return perr(ps, "device %s has a fault region already, or a region of type 0x%llx:%llu", bdf,
			    (unsigned long long)type, (unsigned long long)subtype);
	return rc < 0 ? perr(ps, "cannot add a fault region to %s", bdf) : 0;
}

static const struct {
	const char *word;
	unsigned int feature;
} features[] = {
	{ "iommufd", VFIOIOMMU_MOCK_IOMMUFD },
	{ "cdev", VFIOIOMMU_MOCK_CDEV },
	{ "container", VFIOIOMMU_MOCK_CONTAINER },
	{ "container-compat", VFIOIOMMU_MOCK_CONTAINER_COMPAT },
	{ "noiommu", VFIOIOMMU_MOCK_NOIOMMU },
	{ "pasid-attach", VFIOIOMMU_MOCK_PASID_ATTACH },
	{ "type1v2", VFIOIOMMU_MOCK_TYPE1V2 },
	{ "hwpt-dirty", VFIOIOMMU_MOCK_HWPT_DIRTY },
};

static int device_line(struct pstate *ps, char **t, int n)
{
	enum vfioiommu_mock_model model;
	struct vm_device *d;
	bool flr;
	uint64_t v;
	int rc;

	if (!ps->have_group)
		return perr(ps, "'device' outside a 'group'");
	if (n < 3)
		return perr(ps, "'device' needs a PCI address and a driver ('-' for none)");
	rc = vfioiommu_mock_add_device(ps->m, ps->group, t[1], t[2]);
	if (rc == -EEXIST)
		return perr(ps, "device %s is listed twice", t[1]);
	if (rc < 0)
		return perr(ps, "bad device '%s' or driver '%s'", t[1], t[2]);
	d = &ps->m->devs[ps->m->ndevs - 1]; /* add_device appends */
	for (int i = 3; i < n; i++) {
		char *eq = strchr(t[i], '=');
		if (!strcmp(t[i], "iopf")) {
			d->iopf = true;
			continue;
		}
		if (!eq)
			return perr(ps, "unknown device attribute '%s'", t[i]);
		*eq = '\0';
		if (!strcmp(t[i], "vendor") && num(eq + 1, 0xffff, &v) == 0)
			d->vendor = (uint16_t)v;
		else if (!strcmp(t[i], "device") && num(eq + 1, 0xffff, &v) == 0)
			d->device = (uint16_t)v;
		else if (!strcmp(t[i], "class") && num(eq + 1, 0xffffff, &v) == 0)
			d->class_code = (uint32_t)v;
		else if (!strcmp(t[i], "pasid") && num(eq + 1, 20, &v) == 0)
			d->pasid_bits = (unsigned int)v;
		else if (!strcmp(t[i], "sriov") && num(eq + 1, 7, &v) == 0)
			d->sriov_total = (unsigned int)v; /* VFs at functions PF+1 .. PF+N, created via sriov_numvfs */
		else if (!strcmp(t[i], "model") && vm_devmodel_by_name(eq + 1, &model) == 0) {
			/* also the model's ids: later attributes win */
			if (vfioiommu_mock_device_set_model(ps->m, t[1], model) < 0)
				return perr(ps, "model %s has a region of the type given to 'faultregion'", eq + 1);
		} else if (!strcmp(t[i], "reset") && yesno(eq + 1, &flr) == 0)
			d->no_reset = !flr;
		else if (!strcmp(t[i], "migration") && num(eq + 1, 7, &v) == 0 && (v & 1))
			d->mig_caps = (uint32_t)v; /* migration v2 flags: 1 STOP_COPY (needed), 2 P2P, 4 PRE_COPY */
		else if (!strcmp(t[i], "dmalog") && yesno(eq + 1, &flr) == 0)
			d->dma_log = flr; /* device DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*) */
		else if (!strcmp(t[i], "faultregion")) {
			if ((rc = fault_region(ps, t[1], eq + 1)) < 0)
				return rc;
		} else
			return perr(ps, "bad device attribute '%s=%s'", t[i], eq + 1);
	}
	return 0;
}

static int one_line(struct pstate *ps, char **t, int n)
{
	uint64_t a, b;
	bool on;

	if (!strcmp(t[0], "group")) {
		if (n != 2 || num(t[1], 0xffffffffu, &a) < 0)
			return perr(ps, "'group' needs one group number");
		if (vfioiommu_mock_add_group(ps->m, (unsigned int)a) < 0)
			return perr(ps, "group %s is listed twice", t[1]);
		ps->have_group = true;
		ps->group = (unsigned int)a;
		return 0;
	}
	if (!strcmp(t[0], "device"))
		return device_line(ps, t, n);
	if (!strcmp(t[0], "mdev-parent") || !strcmp(t[0], "mdev-type") || !strcmp(t[0], "mdev")) {
		const char *why = "";
		return vm_mdev_line(ps->m, t, n, &why) < 0 ? perr(ps, "%s", why) : 0;
	}
	if (!strcmp(t[0], "resv")) {
		enum vfioiommu_resv_type ty;
		if (!ps->have_group)
			return perr(ps, "'resv' outside a 'group'");
		if (n != 4 || num(t[1], UINT64_MAX, &a) < 0 || num(t[2], UINT64_MAX, &b) < 0 || a > b)
			return perr(ps, "'resv' needs START LAST (inclusive, START <= LAST) and a type");
		if (resv_type(t[3], &ty) < 0)
			return perr(ps, "unknown reserved-region type '%s' "
					"(direct, direct-relaxable, reserved, msi, sw_msi)", t[3]);
		return vfioiommu_mock_add_resv(ps->m, ps->group, a, b, ty) < 0 ? perr(ps, "cannot add region") : 0;
	}
	if (!strcmp(t[0], "aperture")) {
		if (n != 3 || num(t[1], UINT64_MAX, &a) < 0 || num(t[2], UINT64_MAX, &b) < 0 || a > b)
			return perr(ps, "'aperture' needs START LAST (inclusive)");
		return vfioiommu_mock_set_aperture(ps->m, a, b);
	}
	if (!strcmp(t[0], "address-width")) {
		if (n != 2 || num(t[1], 64, &a) < 0 || a < 12)
			return perr(ps, "'address-width' needs a bit count from 12 to 64");
		return vfioiommu_mock_set_aperture(ps->m, 0, a == 64 ? UINT64_MAX : (1ULL << a) - 1);
	}
	if (!strcmp(t[0], "pgsizes")) {
		if (n != 2 || num(t[1], UINT64_MAX, &a) < 0 || vfioiommu_mock_set_pgsizes(ps->m, a) < 0)
			return perr(ps, "'pgsizes' needs a page-size bitmap (smallest page >= 512)");
		return 0;
	}
	if (!strcmp(t[0], "dma-limit")) {
		if (n != 2 || num(t[1], 0xffffffffu, &a) < 0)
			return perr(ps, "'dma-limit' needs a count");
		return vfioiommu_mock_set_dma_limit(ps->m, (uint32_t)a);
	}
	if (!strcmp(t[0], "iommu")) {
		/* FACTS.md: the driver, not the topology, decides GET_HW_INFO, DMA_CC_IOMMU and HWPT PASID */
		static const char *const models[] = { "intel", "amd", "virtio", "smmuv3" };
		static const char *const aliases[] = { "intel-vtd", "amd-vi", "virtio-iommu", "arm-smmu-v3" };
		for (unsigned int i = 0; n == 2 && i < 4; i++)
			if (!strcmp(t[1], models[i]) || !strcmp(t[1], aliases[i]))
				return vfioiommu_mock_set_iommu(ps->m, (enum vfioiommu_mock_iommu)i);
		return perr(ps, "'iommu' needs intel, amd, virtio or smmuv3");
	}
	if (!strcmp(t[0], "pasid-width")) {
		if (n != 2 || num(t[1], 20, &a) < 0)
			return perr(ps, "'pasid-width' needs 0..20");
		return vfioiommu_mock_set_pasid_width(ps->m, (unsigned int)a);
	}
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (strcmp(t[0], features[i].word))
			continue;
		if (n != 2 || yesno(t[1], &on) < 0)
			return perr(ps, "'%s' needs yes or no", t[0]);
		return vfioiommu_mock_set_feature(ps->m, features[i].feature, on);
	}
	return perr(ps, "unknown keyword '%s'", t[0]);
}

VFIOIOMMU_API int vfioiommu_mock_load_string(vfioiommu_mock *m, const char *text, char *err, size_t errlen)
{
	struct pstate ps = { .m = m, .err = err, .errlen = errlen };
	const char *p = text;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!m || !text)
		return -EINVAL;
	while (*p && rc == 0) {
		char line[1024], *t[MAX_TOK], *save = NULL, *tok, *hash;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int n = 0;

		ps.line++;
		if (len >= sizeof(line))
			return perr(&ps, "line longer than %zu characters", sizeof(line) - 1);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
			if (n == MAX_TOK)
				return perr(&ps, "too many words");
			t[n++] = tok;
		}
		if (n)
			rc = one_line(&ps, t, n);
	}
	return rc;
}

/*
 * Host files: at most 16 MiB.  A real host has a few thousand PCI functions
 * (some 60 bytes a line), so this is room for hundreds of thousands of
 * devices; the cap only bounds what a wrong path (/dev/zero, a log) makes
 * the mock read and hold.
 */
#define HOST_FILE_MAX (16u << 20)

static int file_fail(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
	VFIOIOMMU_PRINTF(5, 6);
static int file_fail(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		int n = snprintf(err, errlen, "%s: ", path);

		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return rc;
}

/*
 * The whole file into a NUL-terminated buffer: read to EOF, whatever size
 * the file claims (/proc and /sys files say 0, pipes have none).
 */
static int slurp(FILE *f, const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		size_t want, got;

		if (n == cap) {
			/* one byte past the cap is how we know the file is longer */
			size_t ncap = cap ? cap * 2 : 64 * 1024;
			char *nb;

			if (cap == HOST_FILE_MAX + 1) {
				free(buf);
				return file_fail(err, errlen, -EINVAL, path, "larger than 16 MiB: not a host description");
			}
			if (ncap > HOST_FILE_MAX + 1)
				ncap = HOST_FILE_MAX + 1;
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return file_fail(err, errlen, -ENOMEM, path, "no memory to read it");
			}
			buf = nb;
			cap = ncap;
		}
		want = cap - n;
		got = fread(buf + n, 1, want, f);
		n += got;
		if (got < want) {
			/* short only at EOF or on an error */
			if (ferror(f)) {
				int rc = errno ? -errno : -EIO;
				free(buf);
				return file_fail(err, errlen, rc, path, "cannot read (%s)", strerror(-rc));
			}
			break;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mock_load_file(vfioiommu_mock *m, const char *path, char *err, size_t errlen)
{
	struct stat st;
	const char *nul;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!m || !path)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		return file_fail(err, errlen, rc, path, "cannot open (%s)", strerror(-rc));
	}
	/* a regular file says its size: refuse a huge one before reading it */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > HOST_FILE_MAX) {
		fclose(f);
		return file_fail(err, errlen, -EINVAL, path, "larger than 16 MiB: not a host description");
	}
	errno = 0;
	rc = slurp(f, path, &buf, &len, err, errlen);
	fclose(f);
	if (rc < 0)
		return rc;
	/* load_string() sees a C string: a NUL would end the host there, silently */
	if ((nul = memchr(buf, '\0', len))) {
		unsigned int line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		free(buf);
		return file_fail(err, errlen, -EINVAL, path, "line %u: a NUL byte: not a text file", line);
	}
	rc = vfioiommu_mock_load_string(m, buf, err, errlen);
	if (rc < 0 && err && errlen) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, errlen, "%s", tmp);
	}
	free(buf);
	return rc;
}

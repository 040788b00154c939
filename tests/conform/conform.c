/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The conformance harness: topologies, host discovery, the case table, checks and output. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu/mock.h>
#include "conform.h"

/* ---------------- topologies (tests/vm/FACTS.md) ---------------- */

const char *const cf_lpc_bdfs[CF_LPC_NDEV] = { "0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3" };
const char *const cf_lpc_device_ids[CF_LPC_NDEV] = { "0x2918", "0x2922", "0x2930" };

const struct cf_topo cf_topo_intel = {
	.name = "intel",
	.bdfs = { "0000:00:02.0", "0000:00:03.0", "0000:00:04.0" },
	.groups = { 2, 3, 4 },
	.ndev = 3,
	.resv_text = "0x00000000fee00000 0x00000000feefffff msi\n",
	.aperture_last = (1ull << 39) - 1,
	.type1_info_argsz = 120,
	.iova_pgsizes = 0x40201000,
	.ranges = { { 0x0, 0xfedfffff }, { 0xfef00000, 0x7fffffffff } },
	.nranges = 2,
	.map_at_2_39 = -EINVAL,
	.above_usable = 1ull << 39,
	.dma_cc_after_v2 = 0,
	.hw_type = 1, /* IOMMU_HW_INFO_TYPE_INTEL_VTD */
	.hw_data_len = 24,
	.hwpt_alloc_pasid = 0,
	.hw_info_input_type_ff = -EOPNOTSUPP,
	/*
	 * FACTS g.group[5]: CONFIG_INTEL_IOMMU_FLOPPY_WA gives the ISA bridge's
	 * group the first 16 MiB as direct-relaxable.  guest-init.sh unbinds the
	 * AHCI function and puts the SMBus one on vfio-pci (cdev after the NICs'),
	 * so the group is viable: assignable, with a warning about that region.
	 */
	.lpc_group = 5,
	.lpc_resv_text = "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
			 "0x00000000fee00000 0x00000000feefffff msi\n",
	.lpc_drivers = { "", "", "vfio-pci" },
	.lpc_smbus_cdev = "/dev/vfio/devices/vfio3",
	.lpc_group_verdict = { VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS, 0x0, 0xffffff,
			       VFIOIOMMU_RESV_DIRECT_RELAXABLE, "", "" },
	.lpc_smbus_verdict = { VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS, 0x0, 0xffffff,
			       VFIOIOMMU_RESV_DIRECT_RELAXABLE, "", "" },
	.group_type = "DMA\n",
	.iommu_name = "dmar0",
	.iommu_bits = 39,
};

const struct cf_topo cf_topo_amd = {
	.name = "amd",
	.bdfs = { "0000:00:03.0", "0000:00:04.0", "0000:00:05.0" },
	.groups = { 2, 3, 4 },
	.ndev = 3,
	.resv_text = "0x00000000fee00000 0x00000000feefffff msi\n"
		     "0x000000fd00000000 0x000000ffffffffff reserved\n",
	.aperture_last = (1ull << 48) - 1,
	.type1_info_argsz = 136,
	.iova_pgsizes = 0x7f7ffffff000,
	.ranges = { { 0x0, 0xfedfffff }, { 0xfef00000, 0xfcffffffff }, { 0x10000000000, 0xffffffffffff } },
	.nranges = 3,
	.map_at_2_39 = 0,
	.above_usable = 0xfd00000000ull,
	.dma_cc_after_v2 = 1,
	.hw_type = 0, /* FACTS §2.6: the AMD driver reports no data in this guest */
	.hw_data_len = 0,
	.hwpt_alloc_pasid = -EOPNOTSUPP,
	.hw_info_input_type_ff = 0,
	/*
	 * FACTS g.group[5]: no direct-relaxable region (the floppy workaround is
	 * Intel's), and the harness leaves the group alone: AHCI and SMBus keep
	 * their drivers, so the group is not viable (AHCI is the first blocker
	 * sysfs lists) and the SMBus function is not on VFIO.
	 */
	.lpc_group = 5,
	.lpc_resv_text = "0x00000000fee00000 0x00000000feefffff msi\n"
			 "0x000000fd00000000 0x000000ffffffffff reserved\n",
	.lpc_drivers = { "", "ahci", "i801_smbus" },
	.lpc_smbus_cdev = NULL,
	.lpc_group_verdict = { VFIOIOMMU_VERDICT_NOT_VIABLE, 0, 0, VFIOIOMMU_RESV_DIRECT, "0000:00:1f.2", "ahci" },
	.lpc_smbus_verdict = { VFIOIOMMU_VERDICT_NOT_VFIO, 0, 0, VFIOIOMMU_RESV_DIRECT, "0000:00:1f.3", "i801_smbus" },
	.group_type = "DMA\n",
	.iommu_name = "ivhd0",
	.iommu_bits = 48,
};

/*
 * virtio-iommu-pci (run-vm.sh --topology virtio, booted with both
 * allow_unsafe_interrupts parameters: without them VFIO refuses the groups,
 * FACTS surprise 15).  FACTS virtio (+allow_unsafe_interrupts) column: the
 * IOMMU is PCI 00:02.0 as on amd, only the MSI window is reserved, the
 * aperture runs to 2^64-1, every page size from 4 KiB up, no GET_HW_INFO
 * data, DMA-FQ default domains.  The LPC group is left alone as on amd.
 */
const struct cf_topo cf_topo_virtio = {
	.name = "virtio",
	.bdfs = { "0000:00:03.0", "0000:00:04.0", "0000:00:05.0" },
	.groups = { 2, 3, 4 },
	.ndev = 3,
	.resv_text = "0x00000000fee00000 0x00000000feefffff msi\n",
	.aperture_last = UINT64_MAX,
	.type1_info_argsz = 120,
	.iova_pgsizes = 0xfffffffffffff000ull,
	.ranges = { { 0x0, 0xfedfffff }, { 0xfef00000, UINT64_MAX } },
	.nranges = 2,
	.map_at_2_39 = 0,
	.above_usable = 0,
	.dma_cc_after_v2 = 0,
	.hw_type = 0,
	.hw_data_len = 0,
	.hwpt_alloc_pasid = -EOPNOTSUPP,
	.hw_info_input_type_ff = 0,
	.lpc_group = 5,
	.lpc_resv_text = "0x00000000fee00000 0x00000000feefffff msi\n",
	.lpc_drivers = { "", "ahci", "i801_smbus" },
	.lpc_smbus_cdev = NULL,
	.lpc_group_verdict = { VFIOIOMMU_VERDICT_NOT_VIABLE, 0, 0, VFIOIOMMU_RESV_DIRECT, "0000:00:1f.2", "ahci" },
	.lpc_smbus_verdict = { VFIOIOMMU_VERDICT_NOT_VFIO, 0, 0, VFIOIOMMU_RESV_DIRECT, "0000:00:1f.3", "i801_smbus" },
	.group_type = "DMA-FQ\n",
	/* Linux names a virtio-iommu after its PCI function; no attribute gives its width */
	.iommu_name = "0000:00:02.0",
	.iommu_bits = 0,
	.usable_to_top = true,
};

const struct cf_topo *cf_topo_find(const char *name)
{
	if (name && !strcmp(name, "intel"))
		return &cf_topo_intel;
	if (name && !strcmp(name, "amd"))
		return &cf_topo_amd;
	if (name && !strcmp(name, "virtio"))
		return &cf_topo_virtio;
	return NULL;
}

/* ---------------- the case table ---------------- */

static const struct {
	const struct cf_case *v;
	const size_t *n;
} lists[] = {
	{ cf_cases_sysfs, &cf_ncases_sysfs },
	{ cf_cases_container, &cf_ncases_container },
	{ cf_cases_iommufd, &cf_ncases_iommufd },
	{ cf_cases_device, &cf_ncases_device },
	{ cf_cases_library, &cf_ncases_library },
	{ cf_cases_selftest, &cf_ncases_selftest },
	{ cf_cases_objects, &cf_ncases_objects },
};

size_t cf_case_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		n += *lists[i].n;
	return n;
}

const struct cf_case *cf_case_at(size_t i)
{
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		if (i < *lists[l].n)
			return &lists[l].v[i];
		i -= *lists[l].n;
	}
	return NULL;
}

const struct cf_case *cf_case_find(const char *name)
{
	for (size_t i = 0; i < cf_case_count(); i++)
		if (!strcmp(cf_case_at(i)->name, name))
			return cf_case_at(i);
	return NULL;
}

/* ---------------- host ---------------- */

struct first_vfio {
	char name[32];
};

static int take_vfio(void *arg, const char *name)
{
	struct first_vfio *f = arg;

	if (strncmp(name, "vfio", 4))
		return 0;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 1;
}

int cf_host_init(struct cf_host *h, const vfioiommu_door *door, const struct cf_topo *topo,
		 vfioiommu_mock *mock, const char *const *bdfs, size_t n, char *err, size_t errlen)
{
	void *mem;

	memset(h, 0, sizeof(*h));
	h->door = door;
	h->topo = topo;
	h->mock = mock;
	if (n == 0 || n > CF_MAX_DEV) {
		snprintf(err, errlen, "need 1 to %d devices, got %zu", CF_MAX_DEV, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct cf_dev *d = &h->dev[i];
		char path[256], link[256];
		struct first_vfio fv = { "" };
		const char *base;
		char *end;
		ssize_t len;
		int rc;

		snprintf(d->bdf, sizeof(d->bdf), "%s", bdfs[i]);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
		len = door->readlink(door->priv, path, link, sizeof(link));
		if (len < 0) {
			snprintf(err, errlen, "readlink %s: %s", path, strerror((int)-len));
			return (int)len;
		}
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		d->group = (unsigned int)strtoul(base, &end, 10);
		if (end == base || *end) {
			snprintf(err, errlen, "%s -> \"%s\" names no group", path, link);
			return -EPROTO;
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", d->bdf);
		rc = door->listdir(door->priv, path, take_vfio, &fv);
		if (rc < 0 || !fv.name[0]) {
			snprintf(err, errlen, "%s: no vfioN entry (%s)", path, rc < 0 ? strerror(-rc) : "empty");
			return rc < 0 ? rc : -ENOENT;
		}
		snprintf(d->cdev, sizeof(d->cdev), "/dev/vfio/devices/%s", fv.name);
	}
	h->ndev = n;
	mem = mmap(NULL, CF_MEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(err, errlen, "mmap of the DMA buffer: %s", strerror(errno));
		return -ENOMEM;
	}
	h->mem = mem;
	return 0;
}

void cf_host_fini(struct cf_host *h)
{
	if (h->mem)
		munmap(h->mem, CF_MEM_LEN);
	h->mem = NULL;
}

long cf_open_fds(const struct cf_t *t)
{
	DIR *d;
	long n = 0;

	if (t->h->mock)
		return (long)vfioiommu_mock_open_fds(t->h->mock);
	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ---------------- running and printing ---------------- */

enum cf_status cf_run(const struct cf_case *c, const struct cf_host *h, struct cf_t *t)
{
	long before, after;

	memset(t, 0, sizeof(*t));
	t->h = h;
	t->door = h->door;
	if (h->mock && (c->flags & CF_REAL_ONLY)) {
		cf_skip(t, "%s", c->real_only_why ? c->real_only_why : "real kernel only");
		return t->status;
	}
	before = cf_open_fds(t);
	c->fn(t, c->arg);
	after = cf_open_fds(t);
	if (t->status != CF_SKIP && after != before)
		cf_fail(t, "open fds after the case: expected %ld got %ld", before, after);
	if (h->mock && c->mock_skip) {
		if (t->status == CF_FAIL) {
			char first[sizeof(t->msg)];

			memcpy(first, t->msg, sizeof(first));
			t->len = 0;
			t->msg[0] = '\0';
			t->status = CF_PASS;
			cf_skip(t, "%s; first difference: %.300s", c->mock_skip, first);
		} else if (t->status == CF_PASS) {
			cf_fail(t, "stale mock_skip marker \"%s\": the mock passes this case now, remove the marker",
				c->mock_skip);
		}
	}
	return t->status;
}

void cf_print(const char *prefix, const struct cf_case *c, const struct cf_t *t)
{
	prefix = prefix ? prefix : "";
	switch (t->status) {
	case CF_PASS:
		printf("ok - %s%s\n", prefix, c->name);
		break;
	case CF_FAIL:
		printf("not ok - %s%s: %s\n", prefix, c->name, t->msg);
		break;
	case CF_SKIP:
		printf("skip - %s%s (%s)\n", prefix, c->name, t->msg);
		break;
	}
	fflush(stdout);
}

/* ---------------- checks ---------------- */

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EOVERFLOW: return "EOVERFLOW";
	case EBADFD: return "EBADFD";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EPROTO: return "EPROTO";
	case ECANCELED: return "ECANCELED";
	}
	return NULL;
}

const char *cf_rcname(int rc, char *buf, size_t n)
{
	const char *s;

	if (rc >= 0)
		return "ok";
	s = errname(-rc);
	if (s)
		return s;
	snprintf(buf, n, "errno %d", -rc);
	return buf;
}

static void vappend(struct cf_t *t, const char *fmt, va_list ap) VFIOIOMMU_PRINTF(2, 0);
static void vappend(struct cf_t *t, const char *fmt, va_list ap)
{
	int w;

	if (t->len >= sizeof(t->msg) - 1)
		return;
	if (t->len) {
		w = snprintf(t->msg + t->len, sizeof(t->msg) - t->len, "; ");
		t->len += (size_t)w;
		if (t->len >= sizeof(t->msg) - 1)
			return;
	}
	w = vsnprintf(t->msg + t->len, sizeof(t->msg) - t->len, fmt, ap);
	if (w > 0)
		t->len += (size_t)w;
	if (t->len >= sizeof(t->msg))
		t->len = sizeof(t->msg) - 1;
}

void cf_fail(struct cf_t *t, const char *fmt, ...)
{
	va_list ap;

	t->status = CF_FAIL;
	t->nfail++;
	va_start(ap, fmt);
	vappend(t, fmt, ap);
	va_end(ap);
}

void cf_skip(struct cf_t *t, const char *fmt, ...)
{
	va_list ap;

	if (t->status == CF_FAIL)
		return;
	t->status = CF_SKIP;
	va_start(ap, fmt);
	vappend(t, fmt, ap);
	va_end(ap);
}

bool cf_rc(struct cf_t *t, const char *what, int expected, int got)
{
	char b1[32], b2[32];

	if ((expected == 0 && got >= 0) || (expected < 0 && got == expected))
		return true;
	cf_fail(t, "%s: expected %s got %s", what, cf_rcname(expected, b1, sizeof(b1)), cf_rcname(got, b2, sizeof(b2)));
	return false;
}

static const char *valname(long long v, char *buf, size_t n)
{
	if (v < 0 && v > -4096 && errname((int)-v))
		return errname((int)-v);
	snprintf(buf, n, "%lld", v);
	return buf;
}

bool cf_val(struct cf_t *t, const char *what, long long expected, long long got)
{
	char b1[32], b2[32];

	if (expected == got)
		return true;
	cf_fail(t, "%s: expected %s got %s", what, valname(expected, b1, sizeof(b1)), valname(got, b2, sizeof(b2)));
	return false;
}

bool cf_hex(struct cf_t *t, const char *what, uint64_t expected, uint64_t got)
{
	if (expected == got)
		return true;
	cf_fail(t, "%s: expected 0x%" PRIx64 " got 0x%" PRIx64, what, expected, got);
	return false;
}

static void ranges_text(char *buf, size_t n, const struct kabi_iommu_iova_range *r, uint32_t nr)
{
	size_t len = 0;

	buf[0] = '\0';
	if (nr == 0)
		snprintf(buf, n, "(none)");
	for (uint32_t i = 0; i < nr && len < n; i++) {
		int w = snprintf(buf + len, n - len, "%s[0x%" PRIx64 ",0x%" PRIx64 "]", i ? " " : "", r[i].start,
				 r[i].last);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

bool cf_ranges(struct cf_t *t, const char *what, const struct kabi_iommu_iova_range *exp, uint32_t nexp,
	       const struct kabi_iommu_iova_range *got, uint32_t ngot)
{
	char a[256], b[256];
	bool same = nexp == ngot;

	for (uint32_t i = 0; same && i < nexp; i++)
		same = exp[i].start == got[i].start && exp[i].last == got[i].last;
	if (same)
		return true;
	ranges_text(a, sizeof(a), exp, nexp);
	ranges_text(b, sizeof(b), got, ngot);
	cf_fail(t, "%s: expected %s got %s", what, a, b);
	return false;
}

/* ---------------- raw door calls ---------------- */

int cf_open(struct cf_t *t, const char *path)
{
	return t->door->open(t->door->priv, path, O_RDWR | O_CLOEXEC);
}

void cf_close(struct cf_t *t, int *fd)
{
	int rc;

	if (*fd < 0)
		return;
	rc = t->door->close(t->door->priv, *fd);
	*fd = -1;
	cf_rc(t, "close", 0, rc);
}

int cf_io(struct cf_t *t, int fd, unsigned long req, void *arg)
{
	return t->door->ioctl(t->door->priv, fd, req, arg);
}

int cf_iov(struct cf_t *t, int fd, unsigned long req, unsigned long val)
{
	return t->door->ioctl(t->door->priv, fd, req, (void *)(uintptr_t)val);
}

int cf_get_device_fd(struct cf_t *t, int group, const char *name)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", name);
	return cf_io(t, group, KABI_VFIO_GROUP_GET_DEVICE_FD, buf);
}

int cf_t1_map(struct cf_t *t, int c, uint32_t argsz, uint32_t flags, uint64_t vaddr, uint64_t iova, uint64_t size)
{
	uint8_t buf[64] = { 0 };
	struct kabi_vfio_dma_map m = { .argsz = argsz, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };

	memcpy(buf, &m, sizeof(m));
	return cf_io(t, c, KABI_VFIO_IOMMU_MAP_DMA, buf);
}

int cf_t1_unmap(struct cf_t *t, int c, uint32_t flags, uint64_t iova, uint64_t *size_io)
{
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .flags = flags, .iova = iova, .size = *size_io };
	int rc = cf_io(t, c, KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	*size_io = u.size;
	return rc;
}

int cf_t1_setup(struct cf_t *t, unsigned long type, int *c, int *g)
{
	char path[64];
	int32_t cfd;

	*c = cf_open(t, "/dev/vfio/vfio");
	if (!cf_rc(t, "setup: open /dev/vfio/vfio", 0, *c))
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/%u", t->h->dev[0].group);
	*g = cf_open(t, path);
	if (!cf_rc(t, "setup: open group", 0, *g))
		return -1;
	cfd = *c;
	if (!cf_rc(t, "setup: GROUP_SET_CONTAINER", 0, cf_io(t, *g, KABI_VFIO_GROUP_SET_CONTAINER, &cfd)))
		return -1;
	if (!cf_rc(t, "setup: SET_IOMMU", 0, cf_iov(t, *c, KABI_VFIO_SET_IOMMU, type)))
		return -1;
	return 0;
}

long long cf_t1_dma_avail(struct cf_t *t, int c)
{
	uint8_t buf[4096] __attribute__((aligned(8))) = { 0 };
	struct kabi_vfio_iommu_type1_info *info = (void *)buf;
	uint32_t off;
	int rc, hops = 0;

	info->argsz = sizeof(buf);
	rc = cf_io(t, c, KABI_VFIO_IOMMU_GET_INFO, buf);
	if (rc < 0)
		return rc;
	for (off = info->cap_offset; off && off + 12 <= sizeof(buf) && hops < 16; hops++) {
		struct kabi_type1_cap_dma_avail *cap = (void *)(buf + off);

		if (cap->header.id == KABI_TYPE1_CAP_DMA_AVAIL)
			return cap->avail;
		off = cap->header.next;
	}
	return -ENOENT;
}

int cf_ifd_open(struct cf_t *t, struct cf_ifd *s)
{
	struct kabi_iommu_ioas_alloc a = { .size = sizeof(a) };

	s->fd = cf_open(t, "/dev/iommu");
	if (!cf_rc(t, "setup: open /dev/iommu", 0, s->fd))
		return -1;
	if (!cf_rc(t, "setup: IOAS_ALLOC", 0, cf_io(t, s->fd, KABI_IOMMU_IOAS_ALLOC, &a)))
		return -1;
	s->ioas = a.out_ioas_id;
	return 0;
}

int cf_ifd_bind(struct cf_t *t, struct cf_ifd *s, size_t i)
{
	struct kabi_vfio_device_bind_iommufd b = { .argsz = 16, .iommufd = s->fd };

	s->dev = cf_open(t, t->h->dev[i].cdev);
	if (!cf_rc(t, "setup: open cdev", 0, s->dev))
		return -1;
	if (!cf_rc(t, "setup: BIND_IOMMUFD", 0, cf_io(t, s->dev, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b)))
		return -1;
	s->devid = b.out_devid;
	return 0;
}

int cf_ifd_attach(struct cf_t *t, struct cf_ifd *s)
{
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = 12, .pt_id = s->ioas };

	if (!cf_rc(t, "setup: ATTACH_IOMMUFD_PT", 0, cf_io(t, s->dev, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a)))
		return -1;
	s->hwpt = a.pt_id;
	return 0;
}

void cf_ifd_close(struct cf_t *t, struct cf_ifd *s)
{
	/* closing the cdev unbinds it; closing /dev/iommu frees every object */
	cf_close(t, &s->dev);
	cf_close(t, &s->fd);
}

int cf_ioas_map(struct cf_t *t, int fd, uint32_t ioas, uint32_t flags, uint64_t va, uint64_t iova, uint64_t len,
		uint64_t *iova_out)
{
	struct kabi_iommu_ioas_map m = { .size = sizeof(m), .flags = flags, .ioas_id = ioas, .user_va = va,
					 .length = len, .iova = iova };
	int rc = cf_io(t, fd, KABI_IOMMU_IOAS_MAP, &m);

	if (iova_out)
		*iova_out = m.iova;
	return rc;
}

int cf_ioas_unmap(struct cf_t *t, int fd, uint32_t ioas, uint64_t iova, uint64_t *len_io)
{
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = *len_io };
	int rc = cf_io(t, fd, KABI_IOMMU_IOAS_UNMAP, &u);

	*len_io = u.length;
	return rc;
}

int cf_ioas_ranges(struct cf_t *t, int fd, uint32_t ioas, struct kabi_iommu_iova_range *r, uint32_t *n,
		   uint64_t *align)
{
	struct kabi_iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas, .num_iovas = *n,
						 .allowed_iovas = (uint64_t)(uintptr_t)r };
	int rc = cf_io(t, fd, KABI_IOMMU_IOAS_IOVA_RANGES, &q);

	*n = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return rc;
}

int cf_destroy(struct cf_t *t, int fd, uint32_t id)
{
	struct kabi_iommu_destroy d = { .size = sizeof(d), .id = id };

	return cf_io(t, fd, KABI_IOMMU_DESTROY, &d);
}

/* ---------------- the no-type1v2 door ---------------- */

#define INNER(p) (((const struct cf_no_v2_door *)(p))->inner)

static int w_open(void *p, const char *path, int flags)
{ return INNER(p)->open(INNER(p)->priv, path, flags); }
static int w_close(void *p, int fd)
{ return INNER(p)->close(INNER(p)->priv, fd); }
static int w_ioctl(void *p, int fd, unsigned long req, void *arg)
{
	/* the container answers CHECK_EXTENSION(TYPE1v2) "no": the library must pick type1 */
	if (req == KABI_VFIO_CHECK_EXTENSION && (uintptr_t)arg == KABI_VFIO_TYPE1v2_IOMMU)
		return 0;
	return INNER(p)->ioctl(INNER(p)->priv, fd, req, arg);
}
static void *w_mmap(void *p, void *addr, size_t len, int prot, int flags, int fd, int64_t off, int *err)
{ return INNER(p)->mmap(INNER(p)->priv, addr, len, prot, flags, fd, off, err); }
static int w_munmap(void *p, void *addr, size_t len)
{ return INNER(p)->munmap(INNER(p)->priv, addr, len); }
static ssize_t w_read(void *p, int fd, void *buf, size_t n)
{ return INNER(p)->read(INNER(p)->priv, fd, buf, n); }
static ssize_t w_write(void *p, int fd, const void *buf, size_t n)
{ return INNER(p)->write(INNER(p)->priv, fd, buf, n); }
static ssize_t w_pread(void *p, int fd, void *buf, size_t n, int64_t off)
{ return INNER(p)->pread(INNER(p)->priv, fd, buf, n, off); }
static ssize_t w_pwrite(void *p, int fd, const void *buf, size_t n, int64_t off)
{ return INNER(p)->pwrite(INNER(p)->priv, fd, buf, n, off); }
static int w_poll(void *p, struct pollfd *fds, unsigned int n, int ms)
{ return INNER(p)->poll(INNER(p)->priv, fds, n, ms); }
static int w_eventfd(void *p, unsigned int init, int flags)
{ return INNER(p)->eventfd(INNER(p)->priv, init, flags); }
static int w_memfd(void *p, const char *name, unsigned int flags, uint64_t size)
{ return INNER(p)->memfd(INNER(p)->priv, name, flags, size); }
static ssize_t w_sysfs_read(void *p, const char *path, char *buf, size_t n)
{ return INNER(p)->sysfs_read(INNER(p)->priv, path, buf, n); }
static ssize_t w_sysfs_write(void *p, const char *path, const char *buf, size_t n)
{ return INNER(p)->sysfs_write(INNER(p)->priv, path, buf, n); }
static ssize_t w_readlink(void *p, const char *path, char *buf, size_t n)
{ return INNER(p)->readlink(INNER(p)->priv, path, buf, n); }
static int w_listdir(void *p, const char *path, vi_dirent_fn fn, void *arg)
{ return INNER(p)->listdir(INNER(p)->priv, path, fn, arg); }
static int w_exists(void *p, const char *path)
{ return INNER(p)->exists(INNER(p)->priv, path); }
static int w_stat(void *p, const char *path, struct stat *st)
{ return INNER(p)->stat(INNER(p)->priv, path, st); }

void cf_no_v2_door_init(struct cf_no_v2_door *w, const struct vfioiommu_door *inner)
{
	w->inner = inner;
	w->door = (struct vfioiommu_door){
		.name = "no-type1v2", .priv = w,
		.open = w_open, .close = w_close, .ioctl = w_ioctl, .mmap = w_mmap, .munmap = w_munmap,
		.read = w_read, .write = w_write, .pread = w_pread, .pwrite = w_pwrite, .poll = w_poll,
		.eventfd = w_eventfd, .memfd = w_memfd, .sysfs_read = w_sysfs_read,
		.sysfs_write = w_sysfs_write, .readlink = w_readlink, .listdir = w_listdir, .exists = w_exists,
		.stat = w_stat,
	};
}

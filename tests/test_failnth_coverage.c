/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Is every syscall site of the library reachable by the fail-Nth sweep?
 *
 * A site is a door entry ("open", "mmap", "sysfs_read", ...) or, for ioctls,
 * the request's uAPI name ("ioctl VFIO_IOMMU_GET_INFO"): the key the mock
 * reports as vfioiommu_mock_fault_site() when it fails a call.
 *
 * Present sites are read from the sources at test time (the .c files of every
 * area folder of TH_SRCDIR/lib, without core/sys.c, the system door, and
 * mock/, the mock kernel): calls of
 * the vi_k*() and vi_sysfs_*() wrappers, door->ENTRY( calls, and every ioctl
 * request constant (kabi/kabi.h: "#define KABI_x KABI_IO(...)") named in the code.
 * Swept sites are the ones a fault was injected at while representative flows
 * (container, iommufd, DMA, caps, reserved regions, devices, PASID, the fault
 * ring and pump, hotplug, a node without permission) ran under the sweep: for N = 1, 2, ... the N-th door
 * call fails, and the site the mock names is recorded.
 *
 * Prints "N sites swept of M present" and fails naming every present site
 * that no sweep reached.  A new ioctl constant in kabi.h that this file does
 * not know fails too (add it to requests[] below), and so does one the mock
 * would not name as the library does (lib/mock/door.c, ioctl_names[]).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <vfioiommu/adopt.h>
#include <vfioiommu/device.h>
#include <vfioiommu/fdpass.h>
#include <vfioiommu/sriov.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>
#include <vfioiommu/hotplug.h>
#include <vfioiommu/pasid.h>
#include <vfioiommu/p2p.h>
#include <vfioiommu/objects.h>
#include <vfioiommu/mock.h>
#include <vfioiommu/mdev.h>
#include <vfioiommu/migration.h>
#include <vfioiommu/dirty.h>

#include "core/door.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

/* ------------------------------------------------------------ site sets */

#define MAX_SITES 256
#define KEY_MAX 64

struct siteset {
	char key[MAX_SITES][KEY_MAX];
	char where[MAX_SITES][64]; /* present: first file naming it; swept: first flow reaching it */
	unsigned int n;
};

static struct siteset present, swept;

static bool set_has(const struct siteset *s, const char *key)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->key[i], key))
			return true;
	return false;
}

static void set_add(struct siteset *s, const char *key, const char *where)
{
	if (!key[0] || set_has(s, key))
		return;
	if (s->n == MAX_SITES)
		fail_msg("more than %d sites", MAX_SITES);
	snprintf(s->key[s->n], KEY_MAX, "%s", key);
	snprintf(s->where[s->n], sizeof(s->where[0]), "%s", where);
	s->n++;
}

/* ------------------------------------------------------- present sites */

/* Every ioctl request the library may name, with its number (kabi/kabi.h). */
#define R(x) { #x, x }
static const struct {
	const char *name;
	unsigned long req;
} requests[] = {
	R(KABI_VFIO_GET_API_VERSION), R(KABI_VFIO_CHECK_EXTENSION), R(KABI_VFIO_SET_IOMMU),
	R(KABI_VFIO_GROUP_GET_STATUS), R(KABI_VFIO_GROUP_SET_CONTAINER), R(KABI_VFIO_GROUP_UNSET_CONTAINER),
	R(KABI_VFIO_GROUP_GET_DEVICE_FD), R(KABI_VFIO_DEVICE_GET_INFO), R(KABI_VFIO_DEVICE_GET_REGION_INFO),
	R(KABI_VFIO_DEVICE_GET_IRQ_INFO), R(KABI_VFIO_DEVICE_SET_IRQS), R(KABI_VFIO_DEVICE_RESET),
	R(KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO), R(KABI_VFIO_DEVICE_PCI_HOT_RESET),
	R(KABI_VFIO_IOMMU_GET_INFO), R(KABI_VFIO_IOMMU_MAP_DMA), R(KABI_VFIO_IOMMU_UNMAP_DMA),
	R(KABI_VFIO_DEVICE_FEATURE), R(KABI_VFIO_DEVICE_BIND_IOMMUFD), R(KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT),
	R(KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT), R(KABI_IOMMU_DESTROY), R(KABI_IOMMU_IOAS_ALLOC),
	R(KABI_IOMMU_IOAS_ALLOW_IOVAS), R(KABI_IOMMU_IOAS_COPY), R(KABI_IOMMU_IOAS_IOVA_RANGES),
	R(KABI_IOMMU_IOAS_MAP), R(KABI_IOMMU_IOAS_UNMAP), R(KABI_IOMMU_OPTION), R(KABI_IOMMU_VFIO_IOAS),
	R(KABI_IOMMU_HWPT_ALLOC), R(KABI_IOMMU_GET_HW_INFO), R(KABI_IOMMU_FAULT_QUEUE_ALLOC),
	R(KABI_IOMMU_IOAS_MAP_FILE), R(KABI_IOMMU_VEVENTQ_ALLOC), R(KABI_IOMMU_TEST_CMD),
	R(KABI_IOMMU_HWPT_INVALIDATE), R(KABI_IOMMU_VDEVICE_ALLOC), R(KABI_IOMMU_IOAS_CHANGE_PROCESS),
	R(KABI_IOMMU_HW_QUEUE_ALLOC), R(KABI_IOMMU_VIOMMU_ALLOC),
	R(KABI_VFIO_MIG_GET_PRECOPY_INFO), R(KABI_VFIO_IOMMU_DIRTY_PAGES),
	R(KABI_IOMMU_HWPT_SET_DIRTY_TRACKING), R(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP),
};

/* The mock names a few entries after the syscall they stand for. */
static const char *const entry_alias[][2] = {
	{ "uevent_close", "close" },
	{ "sendfds", "sendmsg" },
	{ "recvfds", "recvmsg" },
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long len;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

/* Blank out comments and string literals (names in them are not calls). */
static void strip(char *s)
{
	for (char *p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			char *e = strstr(p + 2, "*/");
			char *end = e ? e + 2 : p + strlen(p);
			for (; p < end; p++)
				if (*p != '\n')
					*p = ' ';
			p--;
		} else if (p[0] == '/' && p[1] == '/') {
			for (; *p && *p != '\n'; p++)
				*p = ' ';
			p--;
		} else if (*p == '"' || *p == '\'') {
			char q = *p;
			for (p++; *p && *p != q; p++) {
				if (*p == '\\' && p[1])
					*p++ = ' ';
				*p = ' ';
			}
			if (!*p)
				return;
		}
	}
}

static bool ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* door entry names, from the struct in lib/core/door.h: "(*name)(" */
static char entries[40][KEY_MAX];
static unsigned int nentries;

static void read_entries(void)
{
	char *s = slurp(TH_SRCDIR "/lib/core/door.h"), *p = s;

	strip(s);
	while ((p = strstr(p, "(*"))) {
		char *e = p + 2;
		while (ident(*e))
			e++;
		if (e > p + 2 && e[0] == ')' && e[1] == '(' && nentries < 40)
			snprintf(entries[nentries++], KEY_MAX, "%.*s", (int)(e - p - 2), p + 2);
		p = e;
	}
	free(s);
	assert_true(nentries >= 15);
}

static const char *entry_key(const char *name, size_t len)
{
	static char key[KEY_MAX];

	for (unsigned int i = 0; i < nentries; i++) {
		if (strlen(entries[i]) != len || strncmp(entries[i], name, len))
			continue;
		for (size_t a = 0; a < sizeof(entry_alias) / sizeof(entry_alias[0]); a++)
			if (!strcmp(entries[i], entry_alias[a][0]))
				return entry_alias[a][1];
		/* ioctl sites are counted per request, below */
		if (!strcmp(entries[i], "ioctl"))
			return "";
		snprintf(key, sizeof(key), "%s", entries[i]);
		return key;
	}
	return NULL;
}

/* ioctl request constants declared in kabi/kabi.h */
static char reqnames[64][KEY_MAX];
static unsigned int nreqnames;

static void read_requests(const char *file)
{
	char path[512], *s, *p;

	snprintf(path, sizeof(path), "%s/lib/%.200s", TH_SRCDIR, file);
	if (access(path, R_OK))
		return;
	s = slurp(path);
	strip(s);
	for (p = s; (p = strstr(p, "#define")); p++) {
		char name[KEY_MAX];
		if (sscanf(p, "#define %47s KABI_IO(", name) == 1 && !strncmp(name, "KABI_", 5)) {
			char *after = p + strlen("#define ");
			while (*after == ' ' || *after == '\t')
				after++;
			after += strlen(name);
			while (*after == ' ' || *after == '\t')
				after++;
			if (strncmp(after, "KABI_IO(", 8) || nreqnames == 64)
				continue;
			snprintf(reqnames[nreqnames++], KEY_MAX, "%s", name);
		}
	}
	free(s);
}

static bool req_value(const char *name, unsigned long *req)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (!strcmp(requests[i].name, name)) {
			*req = requests[i].req;
			return true;
		}
	}
	return false;
}

/* The fd a request is issued on, from its name (the uAPI groups them by prefix): vm_ioctl_name()'s kinds. */
static char req_fd_kind(const char *name)
{
	if (!strncmp(name, "KABI_IOMMU_", 11))
		return 'i';
	if (!strncmp(name, "KABI_VFIO_GROUP_", 16))
		return 'g';
	if (!strncmp(name, "KABI_VFIO_DEVICE_", 17))
		return 'd';
	return 'c'; /* GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU, VFIO_IOMMU_* */
}

static void scan_file(const char *file)
{
	char path[512], *s;

	snprintf(path, sizeof(path), "%s/lib/%.200s", TH_SRCDIR, file);
	s = slurp(path);
	strip(s);
	for (char *p = s; *p; p++) {
		char *e;
		const char *k;

		if (!ident(*p) || (p > s && ident(p[-1])))
			continue;
		for (e = p; ident(*e); e++)
			;
		/* vi_kNAME( and vi_sysfs_NAME( wrappers */
		if (*e == '(' && !strncmp(p, "vi_k", 4) && (k = entry_key(p + 4, (size_t)(e - p - 4))))
			set_add(&present, k, file);
		if (*e == '(' && !strncmp(p, "vi_sysfs_", 9)) {
			char ent[KEY_MAX];
			snprintf(ent, sizeof(ent), "%.*s", (int)(e - p - 9), p + 9);
			/* vi_sysfs_read -> sysfs_read, vi_sysfs_write -> sysfs_write, the others by name */
			if (!strcmp(ent, "read") || !strcmp(ent, "write"))
				snprintf(ent, sizeof(ent), "sysfs_%.*s", (int)(e - p - 9), p + 9);
			if ((k = entry_key(ent, strlen(ent))))
				set_add(&present, k, file);
		}
		/* X->ENTRY( on a door (not a backend or file ops table) */
		if (*e == '(' && p >= s + 2 && p[-2] == '-' && p[-1] == '>') {
			char *o = p - 2;
			while (o > s && ident(o[-1]))
				o--;
			if (strncmp(o, "be->", 4) && strncmp(o, "ops->", 5) && (k = entry_key(p, (size_t)(e - p))))
				set_add(&present, k, file);
		}
		/* an ioctl request named anywhere in the code */
		for (unsigned int i = 0; i < nreqnames; i++) {
			unsigned long req = 0;
			char key[KEY_MAX];

			if (strlen(reqnames[i]) != (size_t)(e - p) || strncmp(reqnames[i], p, (size_t)(e - p)))
				continue;
			const char *mock_name;

			if (!req_value(reqnames[i], &req))
				fail_msg("%s names %s, unknown to this test: add it to requests[]", file, reqnames[i]);
			/* the key is the uAPI name, which the mock must give that request on its kind of fd */
			mock_name = vm_ioctl_name(req_fd_kind(reqnames[i]), req);
			if (!mock_name || strcmp(mock_name, reqnames[i] + 5))
				fail_msg("%s names %s, which the mock's fault sites call %s: fix ioctl_names[] in "
					 "lib/mock/door.c", file, reqnames[i], mock_name ? mock_name : "(nothing)");
			snprintf(key, sizeof(key), "ioctl %s", reqnames[i] + 5);
			set_add(&present, key, file);
		}
		p = e - 1;
	}
	free(s);
}

static void read_present(void)
{
	DIR *top = opendir(TH_SRCDIR "/lib");
	struct dirent *area;
	char names[128][64];
	unsigned int n = 0;

	assert_non_null(top);
	read_entries();
	read_requests("kabi/kabi.h");
	assert_true(nreqnames >= 20);
	/* lib/AREA/FILE.c: the mock is a kernel, not the library; core/sys.c is the door itself */
	while ((area = readdir(top))) {
		char dir[512];
		DIR *d;
		struct dirent *de;

		if (area->d_name[0] == '.' || !strcmp(area->d_name, "mock"))
			continue;
		snprintf(dir, sizeof(dir), "%s/lib/%.200s", TH_SRCDIR, area->d_name);
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l < 3 || strcmp(de->d_name + l - 2, ".c") || n == 128)
				continue;
			snprintf(names[n], sizeof(names[0]), "%.20s/%.40s", area->d_name, de->d_name);
			if (strcmp(names[n], "core/sys.c"))
				n++;
		}
		closedir(d);
	}
	closedir(top);
	for (unsigned int i = 0; i < n; i++)
		scan_file(names[i]);
}

/* --------------------------------------------------------------- flows */

#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define PG ((uint64_t)4096)

struct flow {
	const char *name;
	const char *host;
	int (*body)(vfioiommu_mock *m, const struct flow *f);
	enum vfioiommu_mode mode;
	unsigned int second_group; /* container flows: a group added by number (0: none) */
	const char *bdf;           /* the device the flow opens (NULL: 0000:00:03.0) */
};

static const char host_devices[] =
	"pasid-width 20\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci vendor=0x8086 device=0x10d3 class=0x020000 pasid=20 iopf\n"
	"group 4\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:04.0 vfio-pci\n"
	"group 6\n"
	"  resv 0x7d000000 0x7d0fffff direct\n"
	"  device 0000:00:14.0 vfio-pci class=0x0c0330\n"
	"group 7\n"
	"  resv 0x0 0xffffff direct-relaxable\n"
	"  device 0000:00:1f.0 vfio-pci\n"
	"  device 0000:00:1f.3 snd_hda_intel\n"
	"group 8\n"
	"  device 0000:00:08.0 e1000e\n"
	"group 9\n" /* behind a bridge: bus 05 has a bus reset, the root bus has none */
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:05:00.0 vfio-pci\n";

static const char host_compat[] =
	"container-compat yes\n"
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n";

static const char host_noiommu[] =
	"noiommu yes\n"
	"iommufd no\n"
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n";

static vfioiommu_ctx *flow_ctx(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;

	return vfioiommu_ctx_new(&o, &ctx) == 0 ? ctx : NULL;
}

static char *dma_buf(void)
{
	static char *buf;

	if (!buf) {
		buf = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(buf != MAP_FAILED);
	}
	return buf;
}

static char g_msg[512];

/* keep the context's message of a failed flow, then tear the context down */
static int finish(vfioiommu_ctx *ctx, int rc)
{
	if (rc < 0 && ctx)
		snprintf(g_msg, sizeof(g_msg), "%s", vfioiommu_strerror(ctx));
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

#define STEP(call) do { if (rc >= 0) rc = (call); } while (0)

/* container / iommufd / auto: open, caps, ranges, DMA of every kind, teardown */
static int flow_address_space(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	vfioiommu_device *dev = NULL;
	vfioiommu_iova_list *l = NULL;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	char *buf = dma_buf();
	uint64_t iova = 0, iova2 = 0;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_device_open(ctx, "0000:00:03.0", &dev));
	if (rc >= 0 && vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_NOIOMMU)
		STEP(vfioiommu_ctx_iova_ranges(ctx, &l));
	vfioiommu_iova_list_free(l);
	l = NULL;
	if (rc >= 0 && vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_IOMMUFD &&
	    vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_NOIOMMU) {
		struct vfioiommu_iommu_info info = { .size = sizeof(info) };
		STEP(vfioiommu_ctx_iommu_info(ctx, &info, &l));
		vfioiommu_iova_list_free(l);
		if (f->second_group)
			STEP(vfioiommu_ctx_add_group(ctx, f->second_group));
	}
	if (rc >= 0 && vfioiommu_ctx_backend(ctx) == VFIOIOMMU_BACKEND_IOMMUFD) {
		struct vfioiommu_hw_info hw = { .size = sizeof(hw) };
		uint32_t id;
		STEP(vfioiommu_device_hw_info(dev, &hw));
		STEP(vfioiommu_ctx_ioas_id(ctx, &id));
	}
	if (rc >= 0 && vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_NOIOMMU) {
		STEP(vfioiommu_dma_map(ctx, buf, 4 * PG, RW, &iova));
		STEP(vfioiommu_dma_translate(ctx, buf + 5, 1, &iova2));
		STEP(vfioiommu_dma_stats(ctx, &st));
		STEP(vfioiommu_dma_unmap(ctx, iova, 4 * PG));
		iova = 0x100000;
		STEP(vfioiommu_dma_map(ctx, buf, 2 * PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &iova));
		STEP(vfioiommu_dma_map_in(ctx, buf + 8 * PG, PG, RW, 1 << 21, 0, UINT64_MAX, &iova2));
		/* peer to peer: a dma-buf + MAP_FILE on iommufd, the BAR's mmap + MAP_DMA on a container */
		STEP(vfioiommu_dma_map_region(ctx, dev, 0, 0, 2 * PG, RW, &iova2));
		STEP(vfioiommu_dma_unmap_all(ctx));
	}
	if (rc >= 0 && vfioiommu_ctx_backend(ctx) == VFIOIOMMU_BACKEND_IOMMUFD) {
		int mfd = memfd_create("fnc", MFD_CLOEXEC);
		assert_true(mfd >= 0);
		assert_int_equal(ftruncate(mfd, 16 * PG), 0);
		STEP(vfioiommu_dma_map_file(ctx, mfd, 0, 4 * PG, RW, &iova));
		STEP(vfioiommu_dma_unmap_at(ctx, iova));
		close(mfd);
	}
	if (rc >= 0)
		(void)vfioiommu_ctx_container_is_iommufd(ctx);
	vfioiommu_device_close(dev);
	return finish(ctx, rc);
}

/* PASID-capable page tables and PASID attach (iommufd) */
static int flow_pasid(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = NULL;
	vfioiommu_pasid_space *sp = NULL;
	vfioiommu_pasid_set *set = NULL;
	vfioiommu_pasid_handle h = 0;
	uint32_t rid_pt = 0, pt = 0;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_device_open(ctx, "0000:00:03.0", &dev));
	STEP(vfioiommu_pasid_space_for_device(dev, NULL, &sp));
	STEP(vfioiommu_pasid_set_new(sp, 0, &set));
	STEP(vfioiommu_pasid_alloc(set, &h));
	STEP(vfioiommu_hwpt_alloc_pasid(dev, &rid_pt));
	STEP(vfioiommu_hwpt_attach_rid(dev, rid_pt));
	STEP(vfioiommu_hwpt_alloc_pasid(dev, &pt));
	STEP(vfioiommu_pasid_attach(dev, set, h, pt));
	STEP(vfioiommu_pasid_replace(dev, set, h, rid_pt));
	STEP(vfioiommu_pasid_detach(dev, set, h));
	STEP(vfioiommu_hwpt_destroy(ctx, pt));
	vfioiommu_pasid_space_free(sp);
	vfioiommu_device_close(dev);
	return finish(ctx, rc);
}

/* an open device: info, regions, config space, mmap, interrupts, resets */
static int flow_device(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	vfioiommu_device *dev = NULL;
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	struct vfioiommu_reset_info *ri = NULL;
	struct vfioiommu_pci_ids ids;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_device_open(ctx, f->bdf ? f->bdf : "0000:00:03.0", &dev));
	STEP(vfioiommu_device_info(dev, &di));
	for (uint32_t i = 0; rc >= 0 && i < di.num_regions; i++) {
		struct vfioiommu_region_info r = { .size = sizeof(r) };
		int q = vfioiommu_region_info(dev, i, &r);
		if (q == -ENOENT || q == -EINVAL)
			continue; /* an index the device does not have */
		rc = q;
		if (rc >= 0 && (r.flags & VFIOIOMMU_REGION_MMAP) && r.region_size) {
			struct vfioiommu_region_area a[8];
			uint32_t n = 0;
			void *addr = NULL;
			STEP(vfioiommu_region_areas(dev, i, a, 8, &n));
			if (rc >= 0 && n) {
				STEP(vfioiommu_region_mmap(dev, i, a[0].offset, PG, 0, &addr));
				STEP(vfioiommu_region_munmap(dev, addr));
			}
		}
	}
	STEP(vfioiommu_pci_ids(dev, &ids));
	if (rc >= 0) {
		uint32_t v = 0, off = 0;
		STEP(vfioiommu_pci_config_read(dev, 4, 2, &v));
		STEP(vfioiommu_pci_config_write(dev, 4, 2, v));
		if (rc >= 0 && vfioiommu_pci_find_cap(dev, 0x11, 0, &off) < 0 && vfioiommu_mock_fault_fired(m))
			rc = -EIO;
	}
	for (uint32_t i = 0; rc >= 0 && i < di.num_irqs; i++) {
		struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
		int q = vfioiommu_irq_info(dev, i, &ii);
		if (q == -ENOENT)
			continue;
		rc = q;
		if (rc < 0 || ii.count == 0 || i == VFIOIOMMU_PCI_IRQ_REQ)
			continue;
		STEP(vfioiommu_irq_enable(dev, i, 0, 1, NULL));
		STEP(vfioiommu_irq_trigger(dev, i, 0, 1));
		if (rc >= 0 && (ii.flags & VFIOIOMMU_IRQ_MASKABLE)) {
			STEP(vfioiommu_irq_mask(dev, i, 0, 1));
			STEP(vfioiommu_irq_unmask(dev, i, 0, 1));
		}
		STEP(vfioiommu_irq_disable(dev, i));
	}
	if (rc >= 0) {
		int fd = -1;
		int q = vfioiommu_device_request_eventfd(dev, &fd);
		if (q != -EOPNOTSUPP)
			rc = q;
	}
	if (rc >= 0 && (di.flags & VFIOIOMMU_DEVICE_RESET))
		STEP(vfioiommu_device_reset(dev));
	if (rc >= 0) {
		int q = vfioiommu_device_hot_reset_info(dev, &ri);
		if (q != -EOPNOTSUPP)
			rc = q;
		if (rc >= 0 && ri && ri->all_owned)
			STEP(vfioiommu_device_hot_reset(dev));
		vfioiommu_reset_info_free(ri);
	}
	vfioiommu_device_close(dev);
	return finish(ctx, rc);
}

/* sysfs only: reserved regions and verdicts */
static int flow_sysfs(vfioiommu_mock *m, const struct flow *f)
{
	static const unsigned int groups[] = { 3, 4, 6, 7, 8 };
	static const char *const devs[] = { "0000:00:03.0", "0000:00:14.0", "0000:00:1f.0", "0000:00:08.0" };
	vfioiommu_ctx *ctx = flow_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_resv_set *set = NULL;
	struct vfioiommu_verdict v;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_resv_read_groups(ctx, groups, 5, &set));
	vfioiommu_resv_set_free(set);
	for (size_t i = 0; i < 4; i++)
		STEP(vfioiommu_verdict_device(ctx, devs[i], &v));
	for (size_t i = 0; i < 5; i++)
		STEP(vfioiommu_verdict_group(ctx, groups[i], &v));
	return finish(ctx, rc);
}

/*
 * A node the process may not open: the library explains with the node's owner
 * and mode (stat).  The door refuses /dev/vfio/vfio with EACCES as a kernel
 * would for a node without permission; everything else goes to the mock.
 */
static struct {
	const vfioiommu_door *inner;
	struct vfioiommu_door door;
} denied;

static int denied_open(void *p, const char *path, int flags)
{
	if (path && !strcmp(path, "/dev/vfio/vfio"))
		return -EACCES;
	return denied.inner->open(denied.inner->priv, path, flags);
}

static int flow_denied(vfioiommu_mock *m, const struct flow *f)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER, .door = &denied.door };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	int rc;

	denied.inner = vfioiommu_mock_door(m);
	denied.door = *denied.inner;
	denied.door.open = denied_open;
	if (vfioiommu_ctx_new(&o, &ctx) < 0)
		return -ENOMEM;
	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	/* the refusal is the flow's success; its message names the node's mode */
	if (rc == -EACCES && strstr(vfioiommu_strerror(ctx), "mode 0666"))
		rc = 0;
	else if (rc >= 0)
		rc = -EPROTO;
	return finish(ctx, rc);
}

/* a library-owned fault ring: memfd, mmap, eventfd, the wakeup protocol */
static int flow_ring(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_ring *r = NULL;
	struct vfioiommu_fault rec = { .kind = VFIOIOMMU_FAULT_UNRECOV }, out[4];
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_ring_create(ctx, 16, &r));
	STEP(vfioiommu_ring_wait(r, 0)); /* empty: polls the eventfd and times out */
	STEP(vfioiommu_ring_prepare_wait(r));
	STEP(vfioiommu_ring_push(r, &rec, 1));
	STEP(vfioiommu_ring_wait(r, 0));
	STEP(vfioiommu_ring_finish_wait(r));
	STEP(vfioiommu_ring_copy(r, out, 4));
	vfioiommu_ring_destroy(r);
	return finish(ctx, rc);
}

/* the fault pump on a mock iommufd fault queue (set up with raw ioctls, outside the sweep) */
static int flow_pump(vfioiommu_mock *m, const struct flow *f)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN };
	struct kabi_iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = KABI_IOMMU_HWPT_FAULT_ID_VALID };
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN };
	struct vm_fault_page pg = { .perm = 3, .addr = 0x1000 };
	vfioiommu_ctx *ctx;
	vfioiommu_ring *r = NULL;
	vfioiommu_fault_pump *p = NULL;
	unsigned long armed;
	int ifd, dfd, rc = 0, c1, c2, c3;

	/* the setup must not consume the armed fault: re-arm it after */
	armed = m->fail_at ? m->fail_at - m->calls : 0;
	vfioiommu_mock_fail_nth(m, 0, 0);
	ifd = d->open(d->priv, "/dev/iommu", O_RDWR);
	dfd = d->open(d->priv, "/dev/vfio/devices/vfio0", O_RDWR);
	assert_true(ifd >= 0 && dfd >= 0);
	b.iommufd = ifd;
	assert_int_equal(d->ioctl(d->priv, dfd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_ALLOC, &ia), 0);
	assert_int_equal(d->ioctl(d->priv, ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	h.dev_id = b.out_devid;
	h.pt_id = ia.out_ioas_id;
	h.fault_id = fa.out_fault_id;
	assert_int_equal(d->ioctl(d->priv, ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	a.pt_id = h.out_hwpt_id;
	assert_int_equal(d->ioctl(d->priv, dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	pthread_mutex_lock(&m->lock);
	assert_int_equal(vm_iommufd_inject_fault(m, vm_device_find(m, "0000:00:03.0"), false, 0, 1, &pg, 1), 0);
	pthread_mutex_unlock(&m->lock);
	vfioiommu_mock_fail_nth(m, armed, EIO);

	ctx = flow_ctx(m, VFIOIOMMU_MODE_AUTO);
	rc = ctx ? 0 : -ENOMEM;
	STEP(vfioiommu_ring_create(ctx, 16, &r));
	STEP(vfioiommu_fault_pump_new(ctx, (int)fa.out_fault_fd, r, &p));
	STEP(vfioiommu_fault_pump_run(p));
	STEP(vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_SUCCESS));
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(r);
	finish(ctx, rc);
	c1 = d->close(d->priv, dfd);
	c2 = d->close(d->priv, (int)fa.out_fault_fd);
	c3 = d->close(d->priv, ifd);
	return rc < 0 ? rc : c1 ? c1 : c2 ? c2 : c3;
}

static int hp_count(void *arg, const struct vfioiommu_hotplug_event *ev)
{
	(*(unsigned int *)arg)++;
	return 0;
}

/* hotplug: the monitor, a device leaving and coming back to vfio-pci, binding */
static int flow_hotplug(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_hotplug *mon = NULL;
	unsigned int events = 0;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_hotplug_new(ctx, &mon));
	STEP(vfioiommu_hotplug_dispatch(mon, hp_count, &events));
	STEP(vfioiommu_bind_vfio(ctx, "0000:00:08.0", 100));
	STEP(vfioiommu_hotplug_dispatch(mon, hp_count, &events));
	STEP(vfioiommu_hotplug_resync(mon));
	STEP(vfioiommu_hotplug_dispatch(mon, hp_count, &events));
	vfioiommu_hotplug_destroy(mon);
	return finish(ctx, rc);
}

/*
 * privilege separation: a launcher context sends /dev/iommu (or the container and group 4) and the
 * device over a socketpair, a second context receives and adopts them and maps DMA
 */
static int flow_handover(vfioiommu_mock *m, const struct flow *f)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	bool fd_mode = f->mode == VFIOIOMMU_MODE_IOMMUFD;
	struct vfioiommu_fd_entry e[2] = {
		{ .kind = fd_mode ? VFIOIOMMU_FD_IOMMUFD : VFIOIOMMU_FD_CONTAINER },
		{ .kind = fd_mode ? VFIOIOMMU_FD_CDEV : VFIOIOMMU_FD_GROUP, .group = 4, .name = "0000:00:04.0" },
	}, r[2];
	vfioiommu_ctx *l = flow_ctx(m, VFIOIOMMU_MODE_AUTO), *v = flow_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *dev = NULL;
	unsigned int n = 0, used = 0;
	uint64_t iova;
	int sv[2], rc = l && v ? 0 : -ENOMEM;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	e[0].fd = d->open(d->priv, fd_mode ? "/dev/iommu" : "/dev/vfio/vfio", O_RDWR);
	e[1].fd = d->open(d->priv, fd_mode ? "/dev/vfio/devices/vfio1" : "/dev/vfio/4", O_RDWR);
	if (e[0].fd < 0 || e[1].fd < 0)
		rc = e[0].fd < 0 ? e[0].fd : e[1].fd;
	STEP(vfioiommu_fds_send(l, sv[0], e, 2));
	for (int i = 0; i < 2; i++)
		if (e[i].fd >= 0)
			d->close(d->priv, e[i].fd);
	STEP(vfioiommu_fds_recv(v, sv[1], r, 2, &n));
	if (rc >= 0) {
		struct vfioiommu_adopt_opts a = { .size = sizeof(a), .group = 4, .name = r[1].name };

		rc = vfioiommu_ctx_adopt(v, r[0].kind, r[0].fd, NULL);
		used = rc < 0 ? 0 : 1;
		STEP(vfioiommu_device_adopt(v, r[1].kind, r[1].fd, &a, &dev));
		if (rc >= 0)
			used = 2;
		for (unsigned int i = used; i < n; i++)
			d->close(d->priv, r[i].fd);
	}
	STEP(vfioiommu_dma_map(v, dma_buf(), 4 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova));
	STEP(vfioiommu_ctx_group_fd(v, 4) >= 0 || fd_mode ? 0 : -ENOENT);
	close(sv[0]);
	close(sv[1]);
	vfioiommu_ctx_destroy(l);
	return finish(v, rc);
}

static const char host_sriov[] =
	"group 5\n"
	"  device 0000:00:05.0 vfio-pci vendor=0x1b36 device=0x0010 class=0x010802 sriov=2\n";

/* SR-IOV: VFs through sriov_numvfs, the verdict, the PF's token, a VF opened with it */
static int flow_sriov(vfioiommu_mock *m, const struct flow *f)
{
	static const uint8_t tok[16] = { 0x12, 0x34 };
	struct vfioiommu_open_opts o = { .size = sizeof(o), .vf_token = tok };
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	struct vfioiommu_verdict v;
	vfioiommu_device *pf = NULL, *vf = NULL;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_sriov_set_numvfs(ctx, "0000:00:05.0", 2));
	STEP(vfioiommu_verdict_device(ctx, "0000:00:05.1", &v));
	STEP(vfioiommu_device_open(ctx, "0000:00:05.0", &pf));
	STEP(vfioiommu_device_set_vf_token(pf, tok));
	STEP(vfioiommu_device_open_with(ctx, "0000:00:05.2", &o, &vf));
	return finish(ctx, rc);
}

/* iommufd objects: a second IOAS, page tables, a PASID, a fault queue with its pump, destroys */
static int flow_objects(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_PASID };
	vfioiommu_device *dev = NULL;
	vfioiommu_ioas *a = NULL, *own = NULL;
	vfioiommu_pagetable *pt = NULL, *fpt = NULL;
	vfioiommu_fault_queue *q = NULL;
	vfioiommu_ring *r = NULL;
	vfioiommu_iova_list *l = NULL;
	static char buf[2 * 4096] __attribute__((aligned(4096)));
	uint64_t iova = 0x100000;
	uint32_t devid = 0;
	int rc = ctx ? 0 : -ENOMEM;

	STEP(vfioiommu_device_open(ctx, "0000:00:03.0", &dev));
	STEP(vfioiommu_device_iommufd_id(dev, &devid));
	STEP(vfioiommu_ioas_new(ctx, &a));
	STEP(vfioiommu_ioas_iova_ranges(a, &l));
	vfioiommu_iova_list_free(l);
	STEP(vfioiommu_ioas_map(a, buf, sizeof(buf), VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova));
	po.ioas = a;
	STEP(vfioiommu_pagetable_new(ctx, devid, &po, &pt));
	STEP(vfioiommu_device_attach_pagetable(dev, pt));
	STEP(vfioiommu_device_pasid_attach(dev, 3, pt));
	STEP(vfioiommu_device_pasid_detach(dev, 3));
	STEP(vfioiommu_ring_create(ctx, 16, &r));
	STEP(vfioiommu_fault_queue_new(ctx, r, &q));
	po.flags = 0;
	po.fault = q;
	STEP(vfioiommu_pagetable_new(ctx, devid, &po, &fpt));
	STEP(vfioiommu_device_attach_pagetable(dev, fpt));
	STEP(vfioiommu_ctx_ioas(ctx, &own));
	STEP(vfioiommu_device_attach_ioas(dev, own));
	STEP(vfioiommu_pagetable_destroy(fpt));
	STEP(vfioiommu_fault_queue_destroy(q));
	STEP(vfioiommu_pagetable_destroy(pt));
	if (rc >= 0) {
		struct vfioiommu_iova_range ar = { 0x1000000, 0x1ffffff };
		vfioiommu_ioas *b = NULL;
		uint64_t v = 0, got = 0x200000;

		STEP(vfioiommu_option_set(ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 1));
		STEP(vfioiommu_option_get(ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v));
		STEP(vfioiommu_ioas_new(ctx, &b));
		STEP(vfioiommu_ioas_allow_iovas(b, &ar, 1));
		STEP(vfioiommu_ioas_copy(b, a, 0x100000, sizeof(buf), VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got));
		if (rc >= 0 && vfioiommu_ctx_change_process(ctx) != -EINVAL)
			rc = -EIO;
		STEP(vfioiommu_ioas_unmap(b, 0x200000, sizeof(buf)));
		STEP(vfioiommu_ioas_destroy(b));
	}
	STEP(vfioiommu_ioas_unmap(a, 0x100000, sizeof(buf)));
	STEP(vfioiommu_ioas_destroy(a));
	vfioiommu_ring_destroy(r);
	return finish(ctx, rc);
}

/* vIOMMU objects on the mock's SMMUv3: parent, vIOMMU, vDEVICE, vEVENTQ with an event, destroys */
static int flow_viommu(vfioiommu_mock *m, const struct flow *f)
{
	static const uint32_t evt[8] = { 0x10, 0x42 };
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_NEST_PARENT };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev = NULL;
	vfioiommu_pagetable *parent = NULL;
	vfioiommu_viommu *v = NULL;
	vfioiommu_vdevice *vd = NULL;
	vfioiommu_veventq *q = NULL;
	vfioiommu_ring *r = NULL;
	uint32_t devid = 0;
	int rc;

	if (vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3) < 0)
		return -EINVAL;
	ctx = flow_ctx(m, f->mode);
	rc = ctx ? 0 : -ENOMEM;
	STEP(vfioiommu_device_open(ctx, "0000:00:03.0", &dev));
	STEP(vfioiommu_device_iommufd_id(dev, &devid));
	STEP(vfioiommu_pagetable_new(ctx, devid, &po, &parent));
	STEP(vfioiommu_viommu_new(ctx, devid, parent, VFIOIOMMU_VIOMMU_ARM_SMMUV3, &v));
	STEP(vfioiommu_vdevice_new(v, devid, 0x42, &vd));
	STEP(vfioiommu_ring_create(ctx, 16, &r));
	STEP(vfioiommu_veventq_new(v, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, 8, r, &q));
	if (rc >= 0 && vfioiommu_mock_inject_vevent(m, "0000:00:03.0", evt, sizeof(evt)) < 0)
		rc = -EIO;
	STEP(vfioiommu_fault_pump_run(vfioiommu_veventq_pump(q)));
	if (rc >= 0) {
		struct vfioiommu_hwpt_arm_smmuv3 ste = { { 1ull | (5ull << 1), 0 } };
		struct vfioiommu_pagetable_opts no = { .size = sizeof(no), .viommu = v,
						       .data_type = VFIOIOMMU_HWPT_DATA_ARM_SMMUV3,
						       .data_len = sizeof(ste), .data = &ste };
		struct vfioiommu_invalidate_arm_smmuv3 cmd = { { 0x10, 0 } };
		vfioiommu_pagetable *nested = NULL;
		uint32_t n = 1, type = 0, len = 8;
		unsigned char hw[8];

		STEP(vfioiommu_pagetable_new(ctx, devid, &no, &nested));
		STEP(vfioiommu_viommu_invalidate(v, VFIOIOMMU_INVALIDATE_ARM_SMMUV3, &cmd, sizeof(cmd), &n));
		STEP(vfioiommu_device_hw_info_data(dev, &type, hw, &len));
		STEP(vfioiommu_pagetable_destroy(nested));
	}
	if (rc >= 0) {
		vfioiommu_hw_queue *hq = NULL;
		/* the mock's SMMUv3 has no HW queues: the flow's success is that answer */
		int hr = vfioiommu_hw_queue_new(v, VFIOIOMMU_HW_QUEUE_TEGRA241_CMDQV, 0, 0x100000, 4096, &hq);
		if (hr != -EOPNOTSUPP)
			rc = hr < 0 ? hr : -EPROTO;
	}
	STEP(vfioiommu_veventq_destroy(q));
	STEP(vfioiommu_vdevice_destroy(vd));
	STEP(vfioiommu_viommu_destroy(v));
	STEP(vfioiommu_pagetable_destroy(parent));
	vfioiommu_ring_destroy(r);
	return finish(ctx, rc);
}

static const char host_mdev[] =
	"mdev-parent mtty 24 0x4348 0x3253\n"
	"mdev-type mtty mtty-2 2 Dual port serial\n"
	"mdev 8c3e2a10-0000-4000-8000-0000000000a1 mtty mtty-2\n"
	"mdev 8c3e2a10-0000-4000-8000-0000000000b1 mtty mtty-2\n";

/* mediated devices and migration v2: create, open, pre-copy, save, restore through a socket, recover, remove */
static int flow_migration(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	vfioiommu_device *a = NULL, *b = NULL;
	uint64_t i = 0, d = 0;
	uint32_t n = 0;
	int sv[2], rc;

	if (!ctx)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		vfioiommu_ctx_destroy(ctx);
		return -errno;
	}
	rc = vfioiommu_mdev_available(ctx, "mtty", "mtty-2", &n);
	if (rc == 0)
		rc = vfioiommu_mdev_create(ctx, "mtty", "mtty-2", "8c3e2a10-0000-4000-8000-0000000000c1");
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, "8c3e2a10-0000-4000-8000-0000000000a1", &a);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, "8c3e2a10-0000-4000-8000-0000000000b1", &b);
	if (rc == 0)
		rc = vfioiommu_mig_set_state(a, VFIOIOMMU_MIG_PRE_COPY, NULL);
	if (rc == 0)
		rc = vfioiommu_mig_precopy_info(a, &i, &d);
	if (rc == 0)
		rc = vfioiommu_mig_save_chunk(a, sv[0], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_save(a, sv[0], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_restore(b, sv[1], NULL);
	if (rc == 0)
		rc = vfioiommu_mig_recover(b, NULL);
	if (rc < 0)
		snprintf(g_msg, sizeof(g_msg), "%s", vfioiommu_strerror(ctx));
	vfioiommu_device_close(b);
	vfioiommu_device_close(a);
	if (rc == 0)
		rc = vfioiommu_mdev_remove(ctx, "8c3e2a10-0000-4000-8000-0000000000c1");
	vfioiommu_ctx_destroy(ctx);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

/* the type1v2 container's dirty tracking: start, a report, a walk, stop */
static int run_none(void *arg, uint64_t iova, uint64_t len)
{
	(void)arg, (void)iova, (void)len;
	return 0;
}

static int flow_dirty_type1(vfioiommu_mock *m, const struct flow *f)
{
	vfioiommu_ctx *ctx = flow_ctx(m, f->mode);
	vfioiommu_device *dev = NULL;
	char *buf = dma_buf();
	uint64_t iova = 0x100000, bm[4];
	int rc;

	if (!ctx || !buf) {
		vfioiommu_ctx_destroy(ctx);
		return -ENOMEM;
	}
	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, 0x10000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	if (rc == 0)
		rc = vfioiommu_dirty_type1_start(ctx);
	if (rc == 0)
		rc = vfioiommu_dirty_type1_bitmap(ctx, iova, 0x10000, 4096, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_type1_ranges(ctx, iova, 0x10000, 4096, run_none, NULL);
	if (rc == 0)
		rc = vfioiommu_dirty_type1_stop(ctx);
	if (rc < 0)
		snprintf(g_msg, sizeof(g_msg), "%s", vfioiommu_strerror(ctx));
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

/* iommufd HWPT dirty tracking on a DIRTY_TRACKING page table: start, a report, a walk, stop */
static int flow_dirty_hwpt(vfioiommu_mock *m, const struct flow *f)
{
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_DIRTY_TRACKING };
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev = NULL;
	vfioiommu_pagetable *pt = NULL;
	char *buf = dma_buf();
	uint64_t iova = 0x100000, bm[4];
	uint32_t devid = 0;
	int rc;

	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_HWPT_DIRTY, true);
	ctx = flow_ctx(m, f->mode);
	if (!ctx || !buf) {
		vfioiommu_ctx_destroy(ctx);
		return -ENOMEM;
	}
	rc = vfioiommu_device_open(ctx, "0000:00:03.0", &dev);
	if (rc == 0)
		rc = vfioiommu_device_iommufd_id(dev, &devid);
	if (rc == 0)
		rc = vfioiommu_pagetable_new(ctx, devid, &po, &pt);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, 0x10000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_start(pt);
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_bitmap(pt, iova, 0x10000, 4096, VFIOIOMMU_DIRTY_NO_CLEAR, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_ranges(pt, iova, 0x10000, 4096, 0, run_none, NULL);
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_stop(pt);
	if (rc < 0)
		snprintf(g_msg, sizeof(g_msg), "%s", vfioiommu_strerror(ctx));
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static const struct flow flows[] = {
	{ .name = "container", .host = host_devices, .body = flow_address_space,
	  .mode = VFIOIOMMU_MODE_CONTAINER, .second_group = 4 },
	{ .name = "container-compat", .host = host_compat, .body = flow_address_space,
	  .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "noiommu", .host = host_noiommu, .body = flow_address_space, .mode = VFIOIOMMU_MODE_NOIOMMU },
	{ .name = "iommufd", .host = host_devices, .body = flow_address_space, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "auto", .host = host_devices, .body = flow_address_space, .mode = VFIOIOMMU_MODE_AUTO },
	{ .name = "pasid", .host = host_devices, .body = flow_pasid, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "device-container", .host = host_devices, .body = flow_device, .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "device-iommufd", .host = host_devices, .body = flow_device, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "hot-reset-container", .host = host_devices, .body = flow_device,
	  .mode = VFIOIOMMU_MODE_CONTAINER, .bdf = "0000:05:00.0" },
	{ .name = "hot-reset-iommufd", .host = host_devices, .body = flow_device,
	  .mode = VFIOIOMMU_MODE_IOMMUFD, .bdf = "0000:05:00.0" },
	{ .name = "sysfs", .host = host_devices, .body = flow_sysfs, .mode = VFIOIOMMU_MODE_AUTO },
	{ .name = "denied", .host = host_devices, .body = flow_denied, .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "ring", .host = host_devices, .body = flow_ring, .mode = VFIOIOMMU_MODE_AUTO },
	{ .name = "pump", .host = host_devices, .body = flow_pump, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "hotplug", .host = host_devices, .body = flow_hotplug, .mode = VFIOIOMMU_MODE_AUTO },
	{ .name = "handover-iommufd", .host = host_devices, .body = flow_handover, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "handover-container", .host = host_devices, .body = flow_handover,
	  .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "sriov-iommufd", .host = host_sriov, .body = flow_sriov, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "sriov-container", .host = host_sriov, .body = flow_sriov, .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "objects", .host = host_devices, .body = flow_objects, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "viommu", .host = host_devices, .body = flow_viommu, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "migration", .host = host_mdev, .body = flow_migration, .mode = VFIOIOMMU_MODE_IOMMUFD },
	{ .name = "migration-container", .host = host_mdev, .body = flow_migration, .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "dirty-type1", .host = host_devices, .body = flow_dirty_type1, .mode = VFIOIOMMU_MODE_CONTAINER },
	{ .name = "dirty-hwpt", .host = host_devices, .body = flow_dirty_hwpt, .mode = VFIOIOMMU_MODE_IOMMUFD },
};

/* ----------------------------------------------------------------- sweep */

static unsigned long sweep(const struct flow *f)
{
	unsigned long n;
	vfioiommu_mock *m = th_mock(f->host);
	int rc;

	g_msg[0] = '\0';
	rc = f->body(m, f);
	/* the flow must work without faults, or its sweep proves nothing */
	if (rc < 0)
		fail_msg("flow %s fails without a fault: %d (%s)", f->name, rc, g_msg);
	vfioiommu_mock_destroy(m);
	for (n = 1; n < 5000; n++) {
		m = th_mock(f->host);
		vfioiommu_mock_fail_nth(m, n, EIO);
		rc = f->body(m, f);
		if (!vfioiommu_mock_fault_fired(m)) {
			vfioiommu_mock_destroy(m);
			return n - 1;
		}
		set_add(&swept, vfioiommu_mock_fault_site(m), f->name);
		if (vfioiommu_mock_open_fds(m) || vfioiommu_mock_live_mmaps(m))
			fail_msg("flow %s, fail-nth %lu at %s: %u fds and %u mmaps left", f->name, n,
				 vfioiommu_mock_fault_site(m), vfioiommu_mock_open_fds(m), vfioiommu_mock_live_mmaps(m));
		(void)rc;
		vfioiommu_mock_destroy(m);
	}
	fail_msg("flow %s: sweep did not end", f->name);
	return n;
}

static void sites_swept_vs_present(void **state)
{
	unsigned int missing = 0, hit = 0;

	read_present();
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		unsigned long n = sweep(&flows[i]);
		print_message("flow %-20s %4lu fail-Nth steps\n", flows[i].name, n);
	}
	for (unsigned int i = 0; i < present.n; i++) {
		if (set_has(&swept, present.key[i])) {
			for (unsigned int j = 0; j < swept.n; j++)
				if (!strcmp(swept.key[j], present.key[i]))
					print_message("swept: %-44s lib/%-16s first by flow %s\n", present.key[i],
						      present.where[i], swept.where[j]);
			hit++;
			continue;
		}
		print_message("NOT SWEPT: %-44s (named in lib/%s)\n", present.key[i], present.where[i]);
		missing++;
	}
	for (unsigned int i = 0; i < swept.n; i++)
		if (!set_has(&present, swept.key[i]))
			print_message("swept but not found in the sources: %s (flow %s)\n", swept.key[i], swept.where[i]);
	print_message("%u sites swept of %u present\n", hit, present.n);
	if (missing)
		fail_msg("%u syscall sites are never reached by a fail-Nth sweep (listed above)", missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sites_swept_vs_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

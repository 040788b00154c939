/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The kernel-conformance table: one list of cases, each run against the mock
 * kernel (tests/test_conform.c) and against the real kernel in the VM
 * (tests/vm/vm_conform.c) with the SAME expectations, taken from
 * tests/vm/FACTS.md.  A case is a small function that talks to a door; the
 * topology-specific numbers (ranges, argsz, page sizes) live in struct
 * cf_topo, one per measured VM guest.
 *
 * A case records every mismatch ("what: expected X got Y") and goes on where
 * it can, so one run shows all the differences; a failed setup step ends it.
 */
#ifndef CF_CONFORM_H
#define CF_CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/door.h"
#include "kabi/kabi.h"

#define CF_MAX_DEV 4
#define CF_MAX_RANGES 4
#define CF_MEM_LEN (8u << 20) /* DMA source buffer: room for the 2 MiB cases */

/* A verdict of resv.h the library must give (vfioiommu_verdict_group / _device). */
struct cf_verdict {
	enum vfioiommu_verdict_kind kind;
	/* ASSIGNABLE_WITH_WARNINGS / REFUSED_RESV_DIRECT: the region named, and its type */
	uint64_t start, last;
	enum vfioiommu_resv_type type;
	/* NOT_VIABLE / NOT_VFIO: the device to act on and its driver */
	const char *culprit, *culprit_driver;
};

/* The ICH9 LPC functions, in this order in struct cf_topo's lpc_* arrays. */
#define CF_LPC_NDEV 3
extern const char *const cf_lpc_bdfs[CF_LPC_NDEV]; /* 00:1f.0 ISA bridge, 00:1f.2 AHCI, 00:1f.3 SMBus */
extern const char *const cf_lpc_device_ids[CF_LPC_NDEV]; /* PCI device ids (vendor 0x8086) */

/* What one measured topology does (FACTS.md, intel / amd columns). */
struct cf_topo {
	const char *name;
	/* the NICs bound to vfio-pci and their groups, in cdev order (FACTS g.device[i]) */
	const char *bdfs[CF_MAX_DEV];
	unsigned int groups[CF_MAX_DEV];
	size_t ndev;
	/* /sys/kernel/iommu_groups/N/reserved_regions of every NIC group */
	const char *resv_text;
	/* IOMMU input range the sysfs prediction subtracts from */
	uint64_t aperture_last;
	/* type1 GET_INFO: the argsz the kernel asks for, and iova_pgsizes */
	uint32_t type1_info_argsz;
	uint64_t iova_pgsizes;
	/* usable ranges after attach (type1 IOVA_RANGE cap = IOAS_IOVA_RANGES) */
	struct kabi_iommu_iova_range ranges[CF_MAX_RANGES];
	uint32_t nranges;
	/* MAP at 2^39 (inside amd's 48-bit space, outside intel's 39-bit one) */
	int map_at_2_39;
	/* an IOVA just past the usable space: intel 2^39, amd the HT hole 0xfd00000000 */
	uint64_t above_usable;
	/* CHECK_EXTENSION(DMA_CC_IOMMU) after SET_IOMMU(type1v2) */
	int dma_cc_after_v2;
	/* IOMMU_GET_HW_INFO: out_data_type and data_len */
	uint32_t hw_type;
	uint32_t hw_data_len;
	/* IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID: 0 or -EOPNOTSUPP */
	int hwpt_alloc_pasid;
	/* GET_HW_INFO with INPUT_TYPE and type 0xff: -EOPNOTSUPP (intel) or 0 (amd) */
	int hw_info_input_type_ff;
	/*
	 * The ICH9 LPC group (FACTS g.group[5]) as tests/vm/guest-init.sh leaves
	 * it: its reserved_regions, the driver of each function (cf_lpc_bdfs
	 * order, "" = none), the cdev of the SMBus function when it is on
	 * vfio-pci (NULL otherwise), and the library's verdicts for the group
	 * and for the SMBus function.
	 */
	unsigned int lpc_group;
	const char *lpc_resv_text;
	const char *lpc_drivers[CF_LPC_NDEV];
	const char *lpc_smbus_cdev;
	struct cf_verdict lpc_group_verdict, lpc_smbus_verdict;
	/* /sys/kernel/iommu_groups/N/type of the NIC and LPC groups ("DMA\n"; virtio: "DMA-FQ\n") */
	const char *group_type;
	/* the NICs' IOMMU in /sys/class/iommu, and the width its attributes give (0: none says it) */
	const char *iommu_name;
	unsigned int iommu_bits;
	/* above_usable is meaningless: the usable space runs to 2^64-1 (virtio) */
	bool usable_to_top;
};

extern const struct cf_topo cf_topo_intel;
extern const struct cf_topo cf_topo_amd;
extern const struct cf_topo cf_topo_virtio;
/* The topology called @name ("intel", "amd", "virtio"), or NULL. */
const struct cf_topo *cf_topo_find(const char *name);

struct cf_dev {
	char bdf[32];
	unsigned int group;
	char cdev[64]; /* /dev/vfio/devices/vfioN */
};

/* The machine the cases run on. */
struct cf_host {
	const vfioiommu_door *door;
	const struct cf_topo *topo;
	vfioiommu_mock *mock; /* NULL: the real kernel */
	struct cf_dev dev[CF_MAX_DEV];
	size_t ndev;
	uint8_t *mem;         /* CF_MEM_LEN bytes, page aligned, for DMA */
};

/*
 * Fill @h: the group and cdev of each BDF are read through the door's sysfs
 * (a failure there is a conformance failure of its own, so it is reported in
 * @err).  0 or -errno.
 */
int cf_host_init(struct cf_host *h, const vfioiommu_door *door, const struct cf_topo *topo,
		 vfioiommu_mock *mock, const char *const *bdfs, size_t n, char *err, size_t errlen);
void cf_host_fini(struct cf_host *h);

enum cf_status { CF_PASS = 0, CF_FAIL = 1, CF_SKIP = 2 };

/* One run of one case. */
struct cf_t {
	const struct cf_host *h;
	const vfioiommu_door *door;
	enum cf_status status;
	unsigned int nfail;
	char msg[2048];
	size_t len;
};

#define CF_REAL_ONLY (1u << 0) /* needs something only the real kernel has (IOMMUFD_TEST) */

struct cf_case {
	const char *name;
	void (*fn)(struct cf_t *t, unsigned long arg);
	unsigned long arg;
	unsigned int flags;
	/*
	 * Not NULL: the mock cannot pass this case yet, and why ("mock lacks ...").
	 * On the mock a failure is then reported as a skip with this reason; a
	 * pass means the marker is stale and is reported as a failure so it gets
	 * removed.  Never consulted on the real kernel.
	 */
	const char *mock_skip;
	/* CF_REAL_ONLY: why the mock side is skipped */
	const char *real_only_why;
};

/* The whole table, in run order. */
size_t cf_case_count(void);
const struct cf_case *cf_case_at(size_t i);
const struct cf_case *cf_case_find(const char *name);

/* Run one case on @h: PASS / FAIL / SKIP with t->msg explaining. */
enum cf_status cf_run(const struct cf_case *c, const struct cf_host *h, struct cf_t *t);
/* Print "ok - name" / "not ok - name: ..." / "skip - name (...)" for a finished run. */
void cf_print(const char *prefix, const struct cf_case *c, const struct cf_t *t);

/* ---------------- checks (record a mismatch and return false) ---------------- */

/* The errno name of -@rc, or "ok" for rc >= 0. */
const char *cf_rcname(int rc, char *buf, size_t n);
void cf_fail(struct cf_t *t, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
void cf_skip(struct cf_t *t, const char *fmt, ...) VFIOIOMMU_PRINTF(2, 3);
/* Outcome only: @expected 0 = success (any rc >= 0), else a negative errno. */
bool cf_rc(struct cf_t *t, const char *what, int expected, int got);
/* Exact value (a door return that is a count or a negative errno). */
bool cf_val(struct cf_t *t, const char *what, long long expected, long long got);
bool cf_hex(struct cf_t *t, const char *what, uint64_t expected, uint64_t got);
/* @a and @b as "[s,l] [s,l]" lists. */
bool cf_ranges(struct cf_t *t, const char *what, const struct kabi_iommu_iova_range *exp, uint32_t nexp,
	       const struct kabi_iommu_iova_range *got, uint32_t ngot);

/* ---------------- raw door calls ---------------- */

int cf_open(struct cf_t *t, const char *path);
/* close *fd if >= 0 and set it to -1; the result is checked (close never fails on Linux) */
void cf_close(struct cf_t *t, int *fd);
int cf_io(struct cf_t *t, int fd, unsigned long req, void *arg);
int cf_iov(struct cf_t *t, int fd, unsigned long req, unsigned long val);
/* VFIO_GROUP_GET_DEVICE_FD: the argument is the device name */
int cf_get_device_fd(struct cf_t *t, int group, const char *name);

/* type1 */
int cf_t1_map(struct cf_t *t, int c, uint32_t argsz, uint32_t flags, uint64_t vaddr, uint64_t iova, uint64_t size);
/* *size_io: in the size to unmap, out what the kernel wrote back */
int cf_t1_unmap(struct cf_t *t, int c, uint32_t flags, uint64_t iova, uint64_t *size_io);
/* Open the container and dev[0]'s group, SET_CONTAINER, SET_IOMMU(@type). Checked; 0 or -1. */
int cf_t1_setup(struct cf_t *t, unsigned long type, int *c, int *g);
/* Available DMA mappings from the DMA_AVAIL cap, or a negative errno. */
long long cf_t1_dma_avail(struct cf_t *t, int c);

/* iommufd */
struct cf_ifd {
	int fd;       /* /dev/iommu */
	uint32_t ioas;
	int dev;      /* cdev fd */
	uint32_t devid;
	uint32_t hwpt;
};
#define CF_IFD_INIT { .fd = -1, .dev = -1 }
/* /dev/iommu + an IOAS (checked).  0 or -1. */
int cf_ifd_open(struct cf_t *t, struct cf_ifd *s);
/* + dev[@i]'s cdev opened and bound (checked).  0 or -1. */
int cf_ifd_bind(struct cf_t *t, struct cf_ifd *s, size_t i);
/* + attached to the IOAS (checked).  0 or -1. */
int cf_ifd_attach(struct cf_t *t, struct cf_ifd *s);
void cf_ifd_close(struct cf_t *t, struct cf_ifd *s);
int cf_ioas_map(struct cf_t *t, int fd, uint32_t ioas, uint32_t flags, uint64_t va, uint64_t iova, uint64_t len,
		uint64_t *iova_out);
int cf_ioas_unmap(struct cf_t *t, int fd, uint32_t ioas, uint64_t iova, uint64_t *len_io);
/* IOAS_IOVA_RANGES with room for @cap ranges; *n in: cap, out: the kernel's num_iovas. */
int cf_ioas_ranges(struct cf_t *t, int fd, uint32_t ioas, struct kabi_iommu_iova_range *r, uint32_t *n,
		   uint64_t *align);
int cf_destroy(struct cf_t *t, int fd, uint32_t id);

/* The buffer DMA maps from. */
static inline uint64_t cf_va(const struct cf_t *t, uint64_t off)
{
	return (uint64_t)(uintptr_t)t->h->mem + off;
}

/* IOMMUFD_TEST commands: struct kabi_iommu_test_cmd (kabi.h). */
#define CF_TEST_OP_ADD_RESERVED 1
#define CF_TEST_OP_MOCK_DOMAIN  2

/* ---------------- the library ---------------- */

/*
 * A door that forwards everything to @inner but answers
 * VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU) with 0, so the container backend
 * falls back to type1 (v1): the public API has no way to ask for type1.
 */
struct cf_no_v2_door {
	struct vfioiommu_door door;
	const struct vfioiommu_door *inner;
};
void cf_no_v2_door_init(struct cf_no_v2_door *w, const struct vfioiommu_door *inner);

/* fds this process has open (the real kernel) or the mock's open fds */
long cf_open_fds(const struct cf_t *t);

/* the case lists, one per file */
extern const struct cf_case cf_cases_sysfs[];
extern const size_t cf_ncases_sysfs;
extern const struct cf_case cf_cases_container[];
extern const size_t cf_ncases_container;
extern const struct cf_case cf_cases_iommufd[];
extern const size_t cf_ncases_iommufd;
extern const struct cf_case cf_cases_device[];
extern const size_t cf_ncases_device;
extern const struct cf_case cf_cases_library[];
extern const size_t cf_ncases_library;
extern const struct cf_case cf_cases_selftest[];
extern const size_t cf_ncases_selftest;
extern const struct cf_case cf_cases_objects[];
extern const size_t cf_ncases_objects;

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Mock kernel internals.  door.c owns the fd table, fault injection and the
 * lock; topo.c the host description; sysfs.c the sysfs tree; vfio.c the
 * container, group and device fds; iommufd.c /dev/iommu and its objects.
 *
 * Locking: every door entry takes m->lock for its whole duration, so the
 * subsystem files never lock themselves and see a consistent host.
 */
#ifndef VI_MOCK_H
#define VI_MOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vfioiommu/mock.h>

#include "core/internal.h"

#define VM_MAX_FDS 4096
#define VM_BDF_MAX 40 /* a PCI address or a mediated device's UUID */
#define VM_DRIVER_MAX 64

struct vm_resv {
	uint64_t start, last;
	enum vfioiommu_resv_type type;
};

struct vm_device {
	char bdf[VM_BDF_MAX];
	char driver[VM_DRIVER_MAX]; /* "" = unbound */
	unsigned int group;
	unsigned int cdev_index;    /* /dev/vfio/devices/vfio<cdev_index> */
	uint16_t vendor, device;
	uint32_t class_code;
	unsigned int pasid_bits;
	bool iopf;
	/* runtime, owned by vfio.c / iommufd.c */
	int open_count;             /* device fds open (group path or cdev) */
	bool via_cdev;              /* opened through the cdev */
	char override[VM_DRIVER_MAX]; /* driver_override, "" = (null) (uevent.c) */
	void *priv;                 /* subsystem state */
	/* the device model (device.c): regions, IRQs, config space, reset */
	enum vfioiommu_mock_model model;
	bool no_reset;              /* no FLR: VFIO_DEVICE_FLAGS_RESET clear */
	unsigned int resets;        /* resets the device went through */
	void *model_state;          /* device.c runtime, freed when the last device fd closes */
	uint32_t cdev_devid;        /* vfio.c: iommufd device id while bound through the cdev, else 0 */
	const void *cdev_ictx;      /* vfio.c: the iommufd (opaque) it is bound to, else NULL */
	/* the fault region (fault_region.c): region index = the model's region count; size 0 = none */
	uint64_t fault_bytes;
	uint32_t fault_type, fault_subtype;
	void *fault_state;          /* fault_region.c runtime, freed with model_state */
	/* SR-IOV (sriov.c): a PF has sriov_total > 0; a VF names its PF */
	unsigned int sriov_total;
	bool is_vf;
	char physfn[VM_BDF_MAX];
	uint8_t vf_token[16];       /* the PF's VF token (all zero until set, as in Linux) */
	/*
	 * mdev.c: a mediated device, named by its UUID in bdf.  Its driver is
	 * kept as VM_MDEV_DRIVER (a VFIO driver to every check of the mock);
	 * sysfs shows the parent's driver, whose name is mdev_parent.
	 */
	bool mdev;
	char mdev_parent[32], mdev_type[32];
	/* migration.c: migration v2 flags offered (0: none), ports in the state (0: 2), runtime state */
	uint32_t mig_caps;
	unsigned int mig_ports;
	void *mig;
	/* dirty_log.c: device DMA logging offered, and its runtime state */
	bool dma_log;
	void *dma_log_state;
};

struct vm_group {
	unsigned int num;
	struct vm_resv *resv;
	size_t nresv;
	/* runtime, owned by vfio.c */
	int open_count;
	void *priv;
};


struct vm_file;
struct vm_file_ops {
	const char *name;
	int (*ioctl)(struct vfioiommu_mock *m, struct vm_file *f, unsigned long req, void *arg);
	ssize_t (*read)(struct vfioiommu_mock *m, struct vm_file *f, void *buf, size_t n);
	ssize_t (*write)(struct vfioiommu_mock *m, struct vm_file *f, const void *buf, size_t n);
	ssize_t (*pread)(struct vfioiommu_mock *m, struct vm_file *f, void *buf, size_t n, int64_t off);
	ssize_t (*pwrite)(struct vfioiommu_mock *m, struct vm_file *f, const void *buf, size_t n, int64_t off);
	/* returns poll revents for the requested events */
	short (*poll)(struct vfioiommu_mock *m, struct vm_file *f, short events);
	/* fill *out with the memory to map at off (mock-owned, page aligned); -errno if refused */
	int (*mmap)(struct vfioiommu_mock *m, struct vm_file *f, size_t len, int prot, int64_t off, void **out);
	void (*release)(struct vfioiommu_mock *m, struct vm_file *f);
};

struct vm_file {
	const struct vm_file_ops *ops;
	void *obj;
	int fd;
	unsigned int refs;  /* fdpass.c: other fds (or messages in flight) sharing it; released at 0 */
};

struct vfioiommu_mock {
	struct vfioiommu_door door;
	pthread_mutex_t lock;

	/* host */
	uint64_t aper_start, aper_last;
	uint64_t pgsizes;
	uint32_t dma_limit;
	unsigned int pasid_bits;
	unsigned int features;
	unsigned int hostile;
	/* what GET_HW_INFO, DMA_CC and HWPT_ALLOC_PASID say (FACTS.md intel and amd columns) */
	enum vfioiommu_mock_iommu iommu_model;
	struct vm_group *groups;
	size_t ngroups, groups_cap;
	struct vm_device *devs;
	size_t ndevs, devs_cap;
	/*
	 * Indexes (topo.c), so that loading a host is linear in its devices:
	 * open-addressing hashes of group number and of BDF packed in 32 bits
	 * (each slot the key and 1 + the array index, 0 = empty), power-of-two
	 * sizes, at most half full; the BDF one is rebuilt when a removed
	 * device shifts the array.  cdev indexes: every index below cdev_next
	 * is held by a device on a VFIO driver or sits in the min-heap
	 * cdev_free (room for cdev_next).
	 */
	struct vm_slot { uint32_t key, idx1; } *group_hash, *dev_hash;
	size_t group_hash_n, dev_hash_n;
	unsigned int cdev_next;
	unsigned int *cdev_free;
	size_t ncdev_free, cdev_free_cap;

	/* fds */
	struct vm_file *files[VM_MAX_FDS];
	unsigned int nfiles;

	/* fault injection */
	unsigned long calls;
	unsigned long fail_at;      /* absolute call number, 0 = off */
	int fail_err;
	unsigned long fail_req;
	unsigned long fail_req_left; /* calls of fail_req still to let through + 1; 0 = off */
	int fail_req_err;
	bool fired;
	char fault_site[64];
	unsigned int live_mmaps;

	/* subsystem state */
	void *vfio;
	void *iommufd;
	void *uevent;               /* uevent.c: listeners, SEQNUM */
	/* fdpass.c: mock files inside messages sent and not yet received (each holds a reference) */
	struct vm_file *inflight[VI_FDPASS_MAX];
	void *mdev;                 /* mdev.c: parents and their types */
};

/* ---- door.c ---- */
/* Install f in the fd table; returns the fd or -EMFILE. */
int vm_fd_install(struct vfioiommu_mock *m, struct vm_file *f);
/* Close a mock fd (m->lock held): the file is released with its last fd. */
void vm_fd_close_locked(struct vfioiommu_mock *m, int fd);
/* The file behind a mock fd, or NULL. */
struct vm_file *vm_fd_get(struct vfioiommu_mock *m, int fd);
/* Allocate a file with ops/obj (not installed). */
struct vm_file *vm_file_new(const struct vm_file_ops *ops, void *obj);
/*
 * The uAPI name of ioctl req ("VFIO_IOMMU_MAP_DMA", without KABI_) on a kind
 * of fd ('c' container, 'g' group, 'd' device, 'i' iommufd; 0 unknown), as
 * vfioiommu_mock_fault_site() names it; NULL when the mock knows no name.
 */
const char *vm_ioctl_name(char kind, unsigned long req);

/* Count a door call and take m->lock (an armed fault fires here: its -errno); vm_door_leave unlocks. */
int vm_door_enter(struct vfioiommu_mock *m, const char *what);
void vm_door_leave(struct vfioiommu_mock *m);

/* ---- sriov.c: VFs through sriov_numvfs, the VF token ---- */
unsigned int vm_sriov_numvfs(struct vfioiommu_mock *m, const struct vm_device *pf);
struct vm_device *vm_sriov_vf(struct vfioiommu_mock *m, const struct vm_device *pf, unsigned int k);
/* vfio_pci_validate_vf_token: 0, -EACCES (missing or wrong), -EINVAL (a token where none belongs) */
int vm_sriov_check_token(struct vfioiommu_mock *m, struct vm_device *d, const uint8_t *token);
/* the options after a GET_DEVICE_FD name's address: " vf_token=UUID"; -EINVAL otherwise */
int vm_sriov_name_token(const char *opts, uint8_t out[16]);
/* VFIO_DEVICE_FEATURE on a device fd (only PCI_VF_TOKEN is modelled) */
int vm_sriov_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg);
ssize_t vm_sriov_write_numvfs(struct vfioiommu_mock *m, const char *pf_bdf, const char *val, size_t n);

/* ---- fdpass.c: SCM_RIGHTS over real unix sockets, mock fds carried by reference ---- */
ssize_t vm_sendfds(void *p, int sock, const void *buf, size_t len, const int *fds, unsigned int nfds);
ssize_t vm_recvfds(void *p, int sock, void *buf, size_t n, int *fds, unsigned int maxfds, unsigned int *nfds);
/* the mock is destroyed: drop the references of messages never received */
void vm_fdpass_destroy(struct vfioiommu_mock *m);

/* ---- topo.c ---- */
struct vm_group *vm_group_find(struct vfioiommu_mock *m, unsigned int num);
struct vm_device *vm_device_find(struct vfioiommu_mock *m, const char *bdf);
struct vm_device *vm_device_by_cdev(struct vfioiommu_mock *m, unsigned int idx);
/* m->devs shifted under the BDF index (uevent.c removed a device): rebuild it (no allocation). */
void vm_device_index_rebuild(struct vfioiommu_mock *m);
/* The mock is destroyed: free the indexes. */
void vm_topo_free(struct vfioiommu_mock *m);
bool vm_driver_is_vfio(const char *driver);
/* true when every device of the group is bound to a vfio driver or to none */
bool vm_group_viable(struct vfioiommu_mock *m, const struct vm_group *g, const struct vm_device **culprit);
/* true when any device of the group has a vfio driver (so /dev/vfio/N exists) */
bool vm_group_has_vfio(struct vfioiommu_mock *m, const struct vm_group *g);
bool vm_group_has_direct(const struct vm_group *g);
/*
 * The group's reserved regions as the kernel lists them in sysfs: sorted by
 * start then type, same-type overlapping or adjacent regions merged.
 * Caller frees *out.
 */
int vm_group_resv_merged(const struct vm_group *g, struct vm_resv **out, size_t *n);
/*
 * Usable IOVA ranges for a set of groups: aperture minus every reserved
 * region except direct-relaxable (what type1 and iommufd compute).  An
 * independent, deliberately simple implementation: it is the oracle the
 * library's own range code is tested against.  Caller frees *out.
 */
struct vm_range {
	uint64_t start, last;
};
int vm_usable_ranges(struct vfioiommu_mock *m, const unsigned int *groups, size_t ngroups,
		     struct vm_range **out, size_t *n);
/* Subtract [start,last] from a range array in place (may grow: caller passes capacity via realloc). */
int vm_ranges_subtract(struct vm_range **r, size_t *n, uint64_t start, uint64_t last);

/*
 * The IOMMU's registers as sysfs (/sys/class/iommu/NAME/...) and GET_HW_INFO
 * show them, following the host's address width (the bits aper_last needs):
 * VT-d cap with MGAW = width - 1 and SAGAW up to it; AMD EFR with HATS/GATS
 * covering it; SMMUv3 IDRs with OAS covering it.  QEMU's values otherwise.
 */
unsigned int vm_address_bits(const struct vfioiommu_mock *m);
uint64_t vm_vtd_cap(const struct vfioiommu_mock *m);
uint64_t vm_vtd_ecap(const struct vfioiommu_mock *m);
uint64_t vm_amd_efr(const struct vfioiommu_mock *m);
void vm_smmuv3_idr(const struct vfioiommu_mock *m, uint32_t idr[6], uint32_t *iidr, uint32_t *aidr);
/* The IOMMU's name under /sys/class/iommu: dmar0, ivhd0, smmu3.0x..., or the virtio-iommu's PCI function. */
const char *vm_iommu_sysfs_name(const struct vfioiommu_mock *m);

/* ---- maps (topo.c): a sorted table of live mappings, shared by type1 and iommufd ---- */
struct vm_map {
	uint64_t iova, len, vaddr;
	uint32_t prot;
};
struct vm_maptab {
	struct vm_map *v;
	size_t n, cap;
};
/* Index of the first mapping whose end is >= iova (n if none). */
size_t vm_maps_lower(const struct vm_maptab *t, uint64_t iova);
/* true if [iova, iova+len-1] overlaps any mapping */
bool vm_maps_overlaps(const struct vm_maptab *t, uint64_t iova, uint64_t len);
int vm_maps_insert(struct vm_maptab *t, uint64_t iova, uint64_t len, uint64_t vaddr, uint32_t prot);
void vm_maps_remove_at(struct vm_maptab *t, size_t idx);
void vm_maps_free(struct vm_maptab *t);

/* ---- mdev.c: mediated devices (parents, types, create/remove, their sysfs) ---- */
#define VM_MDEV_DRIVER "vfio_mdev"
/* VM_MDEV_NOT_MINE: a sysfs path mdev.c does not serve; sysfs.c goes on. */
#define VM_MDEV_NOT_MINE (-4095)
/* topo.c: append mediated device uuid (cdev taken) to group; -EEXIST, -ENOENT no group, -ENOMEM. */
int vm_device_add_mdev(struct vfioiommu_mock *m, unsigned int group, const char *uuid, const char *driver);
/* topo.c: forget group num (its devices are gone, no fd is open on it). */
void vm_group_remove(struct vfioiommu_mock *m, unsigned int num);
/* Host-file lines "mdev-parent", "mdev-type", "mdev": 0, or -EINVAL with *why set. */
int vm_mdev_line(struct vfioiommu_mock *m, char **t, int n, const char **why);
/* true when group g holds a mediated device (Linux: type "unknown", no reserved regions) */
bool vm_group_is_mdev(const struct vfioiommu_mock *m, unsigned int group);
ssize_t vm_mdev_sysfs_read(struct vfioiommu_mock *m, const char *path, char *buf, size_t n);
ssize_t vm_mdev_sysfs_write(struct vfioiommu_mock *m, const char *path, const char *buf, size_t n);
ssize_t vm_mdev_sysfs_readlink(struct vfioiommu_mock *m, const char *path, char *buf, size_t n);
int vm_mdev_sysfs_listdir(struct vfioiommu_mock *m, const char *path, vi_dirent_fn fn, void *arg);
int vm_mdev_sysfs_exists(struct vfioiommu_mock *m, const char *path);
void vm_mdev_destroy(struct vfioiommu_mock *m);

/* ---- migration.c: device migration v2 (mtty's behaviour) ---- */
/* VFIO_DEVICE_FEATURE on a device fd: migration features, ENOTTY for the rest. */
int vm_mig_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg);
/* VFIO_DEVICE_RESET: back to RUNNING, data fds disabled. */
void vm_mig_reset(struct vm_device *d);
/* The last device fd closed: data fds disabled, the state stays. */
void vm_mig_release(struct vm_device *d);
/* The device goes away (or the mock): free its migration state. */
void vm_mig_forget(struct vm_device *d);

/* ---- dirty_log.c: device DMA logging (features 6, 7, 8) ---- */
int vm_dirty_log_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg);
void vm_dirty_log_forget(struct vm_device *d);

/* ---- dirty_type1.c: VFIO_IOMMU_DIRTY_PAGES on a type1 container ---- */
/* maps: the container's; *on: its tracking switch; full: a group without page pinning (every mapped page dirty) */
int vm_type1_dirty(const struct vm_maptab *maps, bool *on, bool v2, uint64_t pgsize, bool full, void *arg);
struct kabi_vfio_dma_unmap;
/* dirty_type1_unmap.c: UNMAP_DMA(GET_DIRTY_BITMAP)'s checks before unmapping, then one mapping's bits as it goes */
int vm_type1_unmap_bitmap_check(const struct kabi_vfio_dma_unmap *u, bool on, uint64_t pgsize);
int vm_type1_unmap_bitmap_put(const struct kabi_vfio_dma_unmap *u, const struct vm_map *mp, uint64_t pgsize, bool full);

/* ---- sysfs_node.c: what every sysfs file of the mock (sysfs.c, mdev.c) is built from ---- */
/* A /sys path cut into its components after "/sys" (c[] point into buf). */
struct vm_spath {
	char buf[512];
	char *c[8];
	int n;
};
/* 0; -ENOENT outside /sys or deeper than c[] holds; -ENAMETOOLONG */
int vm_spath_split(const char *path, struct vm_spath *sp);
bool vm_spath_is(const struct vm_spath *sp, int i, const char *s);
/* A file's contents: its length, -EFBIG when @n is too small (the door's read contract), -EINVAL for n 0. */
ssize_t vm_put(char *buf, size_t n, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);
/* A link's target (the door's readlink contract): the whole target, or -ENAMETOOLONG, never a cut one. */
ssize_t vm_put_link(char *buf, size_t n, const char *fmt, ...) VFIOIOMMU_PRINTF(3, 4);
/* A written value as the kernel's store functions see it: one trailing newline dropped; 0, -EFAULT, -EINVAL. */
int vm_written(const char *buf, size_t n, char *out, size_t cap);

/* ---- sysfs.c ---- */
ssize_t vm_sysfs_read(struct vfioiommu_mock *m, const char *path, char *buf, size_t n);
ssize_t vm_sysfs_write(struct vfioiommu_mock *m, const char *path, const char *buf, size_t n);
ssize_t vm_sysfs_readlink(struct vfioiommu_mock *m, const char *path, char *buf, size_t n);
int vm_sysfs_listdir(struct vfioiommu_mock *m, const char *path, vi_dirent_fn fn, void *arg);
int vm_sysfs_exists(struct vfioiommu_mock *m, const char *path);

/* ---- vfio.c: container, groups, device fds ---- */
int vm_vfio_open_container(struct vfioiommu_mock *m);           /* returns fd */
int vm_vfio_open_group(struct vfioiommu_mock *m, unsigned int group); /* returns fd */
int vm_vfio_open_cdev(struct vfioiommu_mock *m, struct vm_device *d); /* returns fd */
void vm_vfio_destroy(struct vfioiommu_mock *m);

/* ---- device.c: the device model behind device fds ---- */
/* VM_DEVMODEL_NOT_MINE: not a device ioctl the model serves; the caller goes on with its own. */
#define VM_DEVMODEL_NOT_MINE (-4096)
int vm_devmodel_ioctl(struct vfioiommu_mock *m, struct vm_device *d, bool cdev, unsigned long req, void *arg);
/* Region @index of the device's model: its size and KABI_VFIO_REGION_INFO_FLAG_* (-EINVAL: none). */
int vm_devmodel_region(const struct vm_device *d, uint32_t index, uint64_t *size, uint32_t *kflags);
/*
 * VFIO_DEVICE_FEATURE (dmabuf.c): DMA_BUF exports a BAR slice as a dma-buf (a
 * memfd of its size here); every other feature is ENOTTY, as before.
 */
int vm_dmabuf_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg);
ssize_t vm_devmodel_pread(struct vfioiommu_mock *m, struct vm_device *d, void *buf, size_t n, int64_t off);
ssize_t vm_devmodel_pwrite(struct vfioiommu_mock *m, struct vm_device *d, const void *buf, size_t n, int64_t off);
int vm_devmodel_mmap(struct vfioiommu_mock *m, struct vm_device *d, size_t len, int prot, int64_t off, void **out);
/* the last device fd of d closed: interrupts off, state freed (the kernel's vfio_pci_core_disable) */
void vm_devmodel_release(struct vfioiommu_mock *m, struct vm_device *d);
/* host files: "model=NAME"; -EINVAL for an unknown name */
int vm_devmodel_by_name(const char *name, enum vfioiommu_mock_model *out);

/* ---- fault_region.c: the device's fault ring region (device.c serves REGION_INFO, I/O and mmap of it) ---- */
/* Region index of d's fault region (the model's region count), or UINT32_MAX when it has none. */
uint32_t vm_fault_region_index(const struct vm_device *d);
/* The memfd backing it, created with the ring header on first use; -errno. */
int vm_fault_region_fd(struct vm_device *d);
/* The last device fd closed: the kernel's side of the ring goes (user mmaps keep the pages). */
void vm_fault_region_release(struct vm_device *d);
/* device.c: the model's own region count, and whether one of its regions has that TYPE capability */
uint32_t vm_devmodel_nregions(const struct vm_device *d);
bool vm_devmodel_typed(const struct vm_device *d, uint32_t type, uint32_t subtype);

/* ---- iommufd.c ---- */
int vm_iommufd_open(struct vfioiommu_mock *m);                    /* returns fd */
/* called by vfio.c for BIND / ATTACH / DETACH on a cdev fd */
int vm_iommufd_bind(struct vfioiommu_mock *m, int iommufd, struct vm_device *d, uint32_t *devid);
int vm_iommufd_unbind(struct vfioiommu_mock *m, struct vm_device *d);
int vm_iommufd_attach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags,
		      uint32_t pasid, uint32_t *pt_id);
int vm_iommufd_detach(struct vfioiommu_mock *m, struct vm_device *d, uint32_t flags, uint32_t pasid);
void vm_iommufd_destroy(struct vfioiommu_mock *m);
/*
 * The IOMMU reporting one page-request group (n pages, same pasid and grpid)
 * from device d: queued on the fault object of the HWPT d is attached to at
 * that PASID (pasid_valid false: the RID).  Caller holds m->lock.  0; -ENODEV
 * d is not bound; -ENOENT not attached there; -EOPNOTSUPP that HWPT has no
 * fault object; -EINVAL n == 0; -ENOMEM.
 */
struct vm_fault_page {
	uint32_t perm;  /* IOMMU_PGFAULT_PERM_* */
	uint64_t addr;
};
int vm_iommufd_inject_fault(struct vfioiommu_mock *m, struct vm_device *d, bool pasid_valid,
			    uint32_t pasid, uint32_t grpid, const struct vm_fault_page *pages, size_t n);

/*
 * The vIOMMU of device d reporting one event of len bytes (1..64; the SMMUv3
 * driver always reports 32): queued on the vEVENTQ of the vIOMMU's type of the
 * first vIOMMU allocated with d (the mock skips vDEVICEs).  A full queue
 * appends one LOST_EVENTS header instead.  Caller holds m->lock.  0; -ENODEV
 * d is not bound; -ENOENT no vIOMMU; -EOPNOTSUPP no vEVENTQ; -EINVAL; -ENOMEM.
 */
int vm_iommufd_inject_vevent(struct vfioiommu_mock *m, struct vm_device *d, const void *data, size_t len);

/* ---- uevent.c: the uevent socket and the driver core's bind/unbind/remove ---- */
int vm_uevent_open(struct vfioiommu_mock *m);                     /* returns a real fd */
ssize_t vm_uevent_recv(struct vfioiommu_mock *m, int fd, void *buf, size_t n);
int vm_uevent_close(struct vfioiommu_mock *m, int fd);
/* listener fds open (counted by vfioiommu_mock_open_fds) */
unsigned int vm_uevent_open_count(const struct vfioiommu_mock *m);
void vm_uevent_destroy(struct vfioiommu_mock *m);
/* one raw message to every listener (dropped, ENOBUFS-style, where a listener is full) */
void vm_uevent_emit(struct vfioiommu_mock *m, const void *buf, size_t len);
/* /sys/kernel/uevent_seqnum: the last SEQNUM sent */
ssize_t vm_uevent_seqnum_read(struct vfioiommu_mock *m, char *buf, size_t n);
/*
 * The driver core, with the uevents Linux sends: unbind (cdev remove, group
 * remove when its last VFIO device goes, pci unbind), bind (group add when
 * its first VFIO device comes, cdev add, pci bind), device removal (unbind,
 * pci remove).  -EBUSY while a device fd is open.  Caller holds m->lock.
 */
int vm_uevent_unbind(struct vfioiommu_mock *m, struct vm_device *d);
int vm_uevent_bind(struct vfioiommu_mock *m, struct vm_device *d, const char *driver);
int vm_uevent_remove_device(struct vfioiommu_mock *m, struct vm_device *d);

/* helpers for ioctl argument contracts */
/* iommufd: size < min -> -EINVAL; non-zero bytes past ksize -> -E2BIG */
int vm_check_size(const void *arg, uint32_t usize, size_t min, size_t ksize);

#endif

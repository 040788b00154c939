/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock /dev/iommu's objects, shared by iommufd.c (contexts, IOAS, HWPT,
 * fault queues, attach) and iommufd_viommu.c (vIOMMU, vDEVICE, vEVENTQ).
 */
#ifndef VM_IOMMUFD_OBJ_H
#define VM_IOMMUFD_OBJ_H

#include <stdbool.h>
#include <stdint.h>

#include "kabi/kabi.h"
#include "mock.h"

enum io_type { IO_IOAS = 1, IO_DEVICE, IO_HWPT, IO_FAULT, IO_VIOMMU, IO_VEVENTQ, IO_VDEVICE };

struct io_pasid {
	uint32_t pasid, hwpt;
};

struct io_group_rec {
	struct kabi_iommu_hwpt_pgfault *rec; /* cookie filled when read */
	size_t n;
	uint32_t dev_id, pasid;
	bool pasid_valid;
	uint32_t cookie;                     /* 0 until delivered */
};

struct io_fault {
	struct io_group_rec *q;              /* pending, then delivered awaiting a response */
	size_t nq;
};

/* one queued vEVENT; a LOST_EVENTS header has len 0 */
struct io_vevent {
	uint32_t flags, seq, len;
	unsigned char data[64];
};

struct io_veventq {
	uint32_t viommu, type, depth;
	uint32_t num_events; /* queued events, the LOST header not counted (as the kernel) */
	uint32_t sequence;   /* the next one handed out */
	bool lost_queued;    /* the LOST header is in the queue: never twice */
	struct io_vevent *q;
	size_t nq;
};

struct io_ctx;

struct io_obj {
	uint32_t id;
	enum io_type type;
	unsigned int users; /* references from other objects and fds; DESTROY needs 0 */
	union {
		struct {
			struct vm_maptab maps;
			struct vm_range *allowed; /* IOAS_ALLOW_IOVAS; none = everything */
			size_t nallowed;
			bool no_huge;
		} ioas;
		struct {
			size_t dev_idx; /* index in m->devs: stable, the array only grows */
			uint32_t hwpt;  /* RID attachment, 0 = none */
			uint32_t access_ioas; /* a mediated device: the IOAS its access is on, 0 = none */
			struct io_pasid *pasids;
			size_t npasids;
		} dev;
		struct {
			uint32_t ioas, flags, fault;
			bool autodomain;
			uint32_t viommu; /* a nested HWPT's vIOMMU, else 0 */
			uint64_t ste[2]; /* a nested SMMUv3 HWPT's guest STE */
			bool dirty_on;   /* iommufd_dirty.c: SET_DIRTY_TRACKING(ENABLE) */
			uint64_t *dirty; /* 4 KiB-aligned IOVAs written while tracking, unsorted */
			size_t ndirty, capdirty;
		} hwpt;
		struct io_fault fault;
		struct {
			uint32_t type, dev, hwpt;
		} viommu;
		struct io_veventq vq;
		struct {
			uint32_t viommu, dev;
			uint64_t virt_id;
		} vdev;
	};
};

struct io_ctx {
	struct io_ctx *next;
	struct io_obj **obj; /* obj[id]; obj[0] unused: ids start at 1 */
	uint32_t nobj;
	unsigned int refs;
	bool account_mm;
	uint32_t vfio_ioas;
};

struct io_state {
	struct io_ctx *ctxs;
};

/* the vm_map prot bit that marks an IOAS_MAP_FILE mapping */
#define IO_PROT_FILE (1u << 31)

/* iommufd.c */
struct io_obj *obj_get(struct io_ctx *c, uint32_t id, enum io_type type);
struct io_obj *obj_new(struct io_ctx *c, enum io_type type);
int obj_new_fd(struct vfioiommu_mock *m, struct io_ctx *c, enum io_type type, const struct vm_file_ops *ops,
	       struct io_obj **out);
void obj_fd_release(struct vfioiommu_mock *m, struct vm_file *file);
struct io_obj *device_obj(struct vfioiommu_mock *m, const struct vm_device *d, struct io_ctx **cp);
/* IOAS_MAP's checks (flags, iova, length, the IOAS) and its mapping step, for IOAS_COPY */
int vm_io_map_checks(struct io_ctx *c, uint32_t flags, uint64_t iova, uint64_t length, uint32_t ioas_id,
		     struct io_obj **ioas);
int vm_io_map(struct vfioiommu_mock *m, struct io_ctx *c, struct io_obj *ioas, uint32_t flags, uint64_t uaddr,
	      uint64_t len, uint64_t *iova, uint32_t prot);

/* iommufd_copy.c: IOMMU_IOAS_COPY, IOMMU_IOAS_CHANGE_PROCESS */
int cmd_ioas_copy(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
int cmd_change_process(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);

/* iommufd_viommu.c: the ioctls, and a vDEVICE letting go of its vIOMMU and device (DESTROY, unbind) */
int cmd_viommu_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
int cmd_veventq_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
int cmd_vdevice_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
int cmd_hw_queue_alloc(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
void vm_io_vdevice_unlink(struct io_ctx *c, struct io_obj *vd);

/* iommufd_dirty.c: IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP */
int cmd_hwpt_set_dirty(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
int cmd_hwpt_get_dirty(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);
void vm_hwpt_dirty_unmapped(struct io_ctx *c, uint32_t ioas, uint64_t iova, uint64_t last);

/* iommufd_nested.c: nested HWPTs on a vIOMMU and IOMMU_HWPT_INVALIDATE */
int vm_io_nested_alloc(struct vfioiommu_mock *m, struct io_ctx *c, struct kabi_iommu_hwpt_alloc *cmd,
		       struct io_obj *viommu);
int cmd_hwpt_invalidate(struct vfioiommu_mock *m, struct io_ctx *c, void *arg);

#endif

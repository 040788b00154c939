/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's device migration v2, as Linux 7.2's mtty does it
 * (tests/vm/FACTS.md, "mtty migration"; tests/vm/vm_migfacts.c measured it):
 *
 * - VFIO_DEVICE_FEATURE: MIGRATION (GET), MIG_DEVICE_STATE (GET, SET),
 *   MIG_DATA_SIZE (GET) with vfio_check_feature()'s rules (PROBE, argsz);
 *   ENOTTY on a device without migration.
 * - SET walks the kernel's next-state table inside the driver, as mtty does,
 *   one step at a time; a step that fails leaves the device where it got.
 * - The state: a 24-byte header (magic, flags 0, version 1.0, the port
 *   count) then 36 bytes per port, the ports being the first bytes of
 *   BAR0 (so a test changes the state by writing BAR0).  An mdev has its
 *   type's cost in ports (mtty-2: 96 bytes), a PCI device with
 *   "migration=" two.
 * - PRE_COPY opens the data fd with the header ready; STOP_COPY out of
 *   PRE_COPY_P2P appends the ports to the same fd and returns none.
 * - Resume: more than the state's size is ENOMEM; a header it does not
 *   know is EFAULT once complete (the bytes still count, as mtty's do);
 *   RESUMING -> STOP with less than the size is EINVAL and stays RESUMING.
 * - VFIO_DEVICE_RESET: RUNNING, data fds disabled (ENODEV); the last device
 *   fd closing disables them too, the state stays.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kabi/kabi.h"
#include "mock.h"

#define MM_HDR 24
#define MM_PORT 36
#define MM_MAGIC 0x4d4f434bu /* "KCOM" little endian */
#define MM_MAX (MM_HDR + 8 * MM_PORT)

struct mm_file {
	char bdf[VM_BDF_MAX];
	bool saving;
	bool disabled;
	size_t filled, pos;
	uint8_t data[MM_MAX];
};

struct mm_state {
	uint32_t state;
	struct mm_file *saving, *resuming; /* owned by their fds */
};

static unsigned int ports(const struct vm_device *d)
{
	return d->mig_ports ? d->mig_ports : 2;
}

static size_t data_size(const struct vm_device *d)
{
	return MM_HDR + (size_t)ports(d) * MM_PORT;
}

static struct mm_state *mstate(struct vm_device *d)
{
	if (!d->mig) {
		struct mm_state *s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->state = KABI_MIG_RUNNING;
		d->mig = s;
	}
	return d->mig;
}

static void disable(struct mm_file *f)
{
	if (f) {
		f->disabled = true;
		f->filled = 0;
		f->pos = 0;
	}
}

static void disable_files(struct mm_state *s)
{
	disable(s->saving);
	disable(s->resuming);
	s->saving = s->resuming = NULL;
}

/* ---------------- the data fds ---------------- */

static struct mm_state *owner(struct vfioiommu_mock *m, struct mm_file *f)
{
	struct vm_device *d = vm_device_find(m, f->bdf);

	return d ? d->mig : NULL;
}

static ssize_t mf_read(struct vfioiommu_mock *m, struct vm_file *vf, void *buf, size_t n)
{
	struct mm_file *f = vf->obj;
	size_t len;

	(void)m;
	if (!f->saving)
		return -EBADF; /* the resume fd is write-only */
	if (f->disabled)
		return -ENODEV;
	if (f->pos > f->filled)
		return -EINVAL;
	len = f->filled - f->pos < n ? f->filled - f->pos : n;
	if (len && !buf)
		return -EFAULT;
	memcpy(buf, f->data + f->pos, len);
	f->pos += len;
	return (ssize_t)len;
}

static ssize_t mf_write(struct vfioiommu_mock *m, struct vm_file *vf, const void *buf, size_t n)
{
	struct mm_file *f = vf->obj;
	struct vm_device *d = vm_device_find(m, f->bdf);
	bool header_done;
	int rc = 0;

	if (f->saving)
		return -EBADF;
	if (!d || f->pos + n > data_size(d))
		return -ENOMEM;
	if (f->disabled)
		return -ENODEV;
	if (n && !buf)
		return -EFAULT;
	memcpy(f->data + f->pos, buf, n);
	f->pos += n;
	header_done = f->filled < MM_HDR && f->filled + n >= MM_HDR;
	if (header_done) {
		uint32_t h[5];
		memcpy(h, f->data, sizeof(h));
		if (h[0] != MM_MAGIC || h[1] || h[2] != 1 || h[3] != 0 || h[4] != ports(d))
			rc = -EFAULT;
	}
	f->filled += n;
	return rc < 0 ? rc : (ssize_t)n;
}

static ssize_t mf_pread(struct vfioiommu_mock *m, struct vm_file *f, void *buf, size_t n, int64_t off)
{
	(void)m, (void)f, (void)buf, (void)n, (void)off;
	return -ESPIPE; /* stream_open() */
}

static ssize_t mf_pwrite(struct vfioiommu_mock *m, struct vm_file *f, const void *buf, size_t n, int64_t off)
{
	(void)m, (void)f, (void)buf, (void)n, (void)off;
	return -ESPIPE;
}

static int mf_ioctl(struct vfioiommu_mock *m, struct vm_file *vf, unsigned long req, void *arg)
{
	struct mm_file *f = vf->obj;
	struct kabi_vfio_precopy_info *pi = arg;
	struct mm_state *s = owner(m, f);

	if (req != KABI_VFIO_MIG_GET_PRECOPY_INFO || !f->saving)
		return -ENOTTY;
	if (!pi)
		return -EFAULT;
	if (pi->argsz < sizeof(*pi))
		return -EINVAL;
	if (!s || (s->state != KABI_MIG_PRE_COPY && s->state != KABI_MIG_PRE_COPY_P2P))
		return -EINVAL;
	if (f->disabled)
		return -ENODEV;
	if (f->pos > f->filled)
		return -EINVAL;
	pi->initial_bytes = f->filled - f->pos;
	pi->dirty_bytes = 0;
	return 0;
}

static void mf_release(struct vfioiommu_mock *m, struct vm_file *vf)
{
	struct mm_file *f = vf->obj;
	struct mm_state *s = owner(m, f);

	if (s && s->saving == f)
		s->saving = NULL;
	if (s && s->resuming == f)
		s->resuming = NULL;
	free(f);
}

static const struct vm_file_ops mig_file_ops = {
	.name = "vfio-mig-data",
	.read = mf_read,
	.write = mf_write,
	.pread = mf_pread,
	.pwrite = mf_pwrite,
	.ioctl = mf_ioctl,
	.release = mf_release,
};

/* ---------------- the driver's steps ---------------- */

static struct mm_file *file_new(struct vm_device *d, bool saving)
{
	struct mm_file *f = calloc(1, sizeof(*f));

	if (f) {
		strcpy(f->bdf, d->bdf);
		f->saving = saving;
	}
	return f;
}

static int save_ports(struct vfioiommu_mock *m, struct vm_device *d, struct mm_file *f)
{
	size_t len = (size_t)ports(d) * MM_PORT;
	ssize_t rc = vm_devmodel_pread(m, d, f->data + f->filled, len, 0);

	if (rc < 0)
		return (int)rc;
	f->filled += len;
	return 0;
}

/* One arc; *out gets a new data file when the arc makes one. */
static int step(struct vfioiommu_mock *m, struct vm_device *d, struct mm_state *s, uint32_t to, struct mm_file **out)
{
	uint32_t cur = s->state;

	*out = NULL;
	if (cur == KABI_MIG_RESUMING && to == KABI_MIG_STOP) {
		struct mm_file *f = s->resuming;
		if (!f || f->filled < data_size(d))
			return -EINVAL;
		vm_devmodel_pwrite(m, d, f->data + MM_HDR, (size_t)ports(d) * MM_PORT, 0);
		disable_files(s);
		return 0;
	}
	if ((cur == KABI_MIG_PRE_COPY && to == KABI_MIG_RUNNING) ||
	    (cur == KABI_MIG_PRE_COPY_P2P && to == KABI_MIG_RUNNING_P2P) ||
	    (cur == KABI_MIG_STOP_COPY && to == KABI_MIG_STOP)) {
		disable_files(s);
		return 0;
	}
	if ((cur == KABI_MIG_RUNNING && to == KABI_MIG_PRE_COPY) ||
	    (cur == KABI_MIG_RUNNING_P2P && to == KABI_MIG_PRE_COPY_P2P) ||
	    (cur == KABI_MIG_STOP && to == KABI_MIG_STOP_COPY) ||
	    (cur == KABI_MIG_PRE_COPY_P2P && to == KABI_MIG_STOP_COPY)) {
		struct mm_file *f = s->saving;
		bool fresh = !f;
		if (fresh) {
			uint32_t h[6] = { MM_MAGIC, 0, 1, 0, ports(d), 0 };
			if (!(f = file_new(d, true)))
				return -ENOMEM;
			memcpy(f->data, h, MM_HDR);
			f->filled = MM_HDR;
		}
		if (to == KABI_MIG_STOP_COPY) {
			int rc = save_ports(m, d, f);
			if (rc < 0) {
				if (fresh)
					free(f);
				return rc;
			}
		}
		if (fresh) {
			s->saving = f;
			*out = f;
		}
		return 0;
	}
	if (cur == KABI_MIG_STOP && to == KABI_MIG_RESUMING) {
		if (!(s->resuming = file_new(d, false)))
			return -ENOMEM;
		*out = s->resuming;
		return 0;
	}
	/* the rest (RUNNING <-> RUNNING_P2P, RUNNING_P2P -> STOP, STOP -> RUNNING_P2P, PRE_COPY <-> PRE_COPY_P2P) do nothing */
	return 0;
}

/* What each state needs offered (vfio_mig_get_next_state's state_flags_table). */
static uint32_t needs(uint32_t st)
{
	static const uint32_t t[KABI_MIG_NUM_STATES] = {
		[KABI_MIG_RUNNING_P2P] = KABI_VFIO_MIGRATION_P2P,
		[KABI_MIG_PRE_COPY] = KABI_VFIO_MIGRATION_PRE_COPY,
		[KABI_MIG_PRE_COPY_P2P] = KABI_VFIO_MIGRATION_P2P | KABI_VFIO_MIGRATION_PRE_COPY,
	};
	return KABI_VFIO_MIGRATION_STOP_COPY | t[st];
}

/* The kernel's table of the next state from [cur] toward [target] with every option present. */
static uint32_t next_of(uint32_t cur, uint32_t target)
{
	enum { E = 0, S = 1, R = 2, SC = 3, RS = 4, RP = 5, PC = 6, PP = 7 };
	static const unsigned char t[8][8] = {
		[S] = { E, S, RP, SC, RS, RP, RP, RP },   [R] = { E, RP, R, RP, RP, RP, PC, RP },
		[SC] = { E, S, S, SC, S, S, E, E },        [RS] = { E, S, S, S, RS, S, S, S },
		[RP] = { E, S, R, S, S, RP, R, PP },       [PC] = { E, R, R, PP, R, R, PC, PP },
		[PP] = { E, RP, RP, SC, RP, RP, PC, PP },
	};
	return t[cur][target];
}

static int set_state(struct vfioiommu_mock *m, struct vm_device *d, struct kabi_vfio_feature_mig_state *a)
{
	struct mm_state *s = mstate(d);
	struct mm_file *made = NULL;
	uint32_t target = a->device_state;
	int fd = -1;

	if (!s)
		return -ENOMEM;
	if (target >= KABI_MIG_NUM_STATES || (needs(target) & d->mig_caps) != needs(target))
		return -EINVAL;
	while (s->state != target) {
		uint32_t next = next_of(s->state, target);
		int rc;

		while (next != KABI_MIG_ERROR && (needs(next) & d->mig_caps) != needs(next))
			next = next_of(next, target);
		if (next == KABI_MIG_ERROR)
			return -EINVAL;
		rc = step(m, d, s, next, &made);
		if (rc < 0)
			return rc;
		s->state = next;
	}
	if (made) {
		struct vm_file *vf = vm_file_new(&mig_file_ops, made);
		if (vf && (fd = vm_fd_install(m, vf)) < 0) {
			free(vf);
			vf = NULL;
		}
		if (!vf) {
			/* the kernel's fd_install failed: the state moved, the file is gone */
			if (s->saving == made)
				s->saving = NULL;
			if (s->resuming == made)
				s->resuming = NULL;
			free(made);
			return -EMFILE;
		}
	}
	a->data_fd = fd;
	return 0;
}

/* vfio_check_feature(): 1 to go on, 0 for a PROBE that passed, -EINVAL. */
static int check_feature(uint32_t flags, uint32_t argsz, uint32_t ops, size_t minsz)
{
	uint32_t rw = flags & (KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET);

	if (rw & ~ops)
		return -EINVAL;
	if (flags & KABI_VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!rw)
		return -EINVAL;
	return argsz - 8 < minsz ? -EINVAL : 1;
}

int vm_mig_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	uint32_t *hdr = arg;
	uint32_t flags, feature;
	int rc;

	if (!arg)
		return -EFAULT;
	flags = hdr[1];
	if (hdr[0] < 8)
		return -EINVAL;
	if (flags & ~(KABI_VFIO_DEVICE_FEATURE_MASK | KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET |
		      KABI_VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(flags & KABI_VFIO_DEVICE_FEATURE_PROBE) && (flags & KABI_VFIO_DEVICE_FEATURE_GET) &&
	    (flags & KABI_VFIO_DEVICE_FEATURE_SET))
		return -EINVAL;
	feature = flags & KABI_VFIO_DEVICE_FEATURE_MASK;
	if (feature >= KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_START && feature <= KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT)
		return vm_dirty_log_feature(m, d, arg); /* dirty_log.c */
	if (!d->mig_caps || (feature != KABI_VFIO_DEVICE_FEATURE_MIGRATION &&
			     feature != KABI_VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
			     feature != KABI_VFIO_DEVICE_FEATURE_MIG_DATA_SIZE))
		return -ENOTTY;
	switch (feature) {
	case KABI_VFIO_DEVICE_FEATURE_MIGRATION: {
		struct kabi_vfio_feature_migration *a = arg;
		if ((rc = check_feature(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_GET, 8)) != 1)
			return rc;
		a->mig_flags = d->mig_caps;
		return 0;
	}
	case KABI_VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: {
		struct kabi_vfio_feature_mig_data_size *a = arg;
		if ((rc = check_feature(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_GET, 8)) != 1)
			return rc;
		a->stop_copy_length = data_size(d);
		return 0;
	}
	default: {
		struct kabi_vfio_feature_mig_state *a = arg;
		struct mm_state *s;
		if ((rc = check_feature(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_SET, 8)) != 1)
			return rc;
		if (flags & KABI_VFIO_DEVICE_FEATURE_GET) {
			if (!(s = mstate(d)))
				return -ENOMEM;
			a->device_state = s->state;
			a->data_fd = -1;
			return 0;
		}
		rc = set_state(m, d, a);
		if (rc < 0)
			a->data_fd = -1;
		return rc;
	}
	}
}

void vm_mig_reset(struct vm_device *d)
{
	struct mm_state *s = d->mig;

	if (s) {
		s->state = KABI_MIG_RUNNING;
		disable_files(s);
	}
}

void vm_mig_release(struct vm_device *d)
{
	if (d->mig)
		disable_files(d->mig);
}

void vm_mig_forget(struct vm_device *d)
{
	vm_dirty_log_forget(d);
	if (d->mig) {
		disable_files(d->mig);
		free(d->mig);
		d->mig = NULL;
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device migration v2: capabilities, the state, the walk along the kernel's
 * arcs, the data size and precopy counters, recovery by reset.
 *
 * The kernel accepts any reachable target in one SET (the driver steps
 * through vfio_mig_get_next_state() itself), but then a failure says only
 * "EINVAL" with the device somewhere on the way.  Stepping one arc per SET
 * names the arc that failed and reads back where the device stopped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/device.h>

#include "kabi/kabi.h"
#include "mig.h"

#define NSTATES KABI_MIG_NUM_STATES

static const char *const names[NSTATES] = {
	"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
};

VFIOIOMMU_API const char *vfioiommu_mig_state_name(enum vfioiommu_mig_state state)
{
	return (unsigned int)state < NSTATES ? names[state] : "unknown";
}

/* What a state needs the device to offer (as the kernel's table of state flags). */
static uint32_t needs(unsigned int st)
{
	switch (st) {
	case KABI_MIG_RUNNING_P2P: return KABI_VFIO_MIGRATION_STOP_COPY | KABI_VFIO_MIGRATION_P2P;
	case KABI_MIG_PRE_COPY: return KABI_VFIO_MIGRATION_STOP_COPY | KABI_VFIO_MIGRATION_PRE_COPY;
	case KABI_MIG_PRE_COPY_P2P:
		return KABI_VFIO_MIGRATION_STOP_COPY | KABI_VFIO_MIGRATION_P2P | KABI_VFIO_MIGRATION_PRE_COPY;
	default: return KABI_VFIO_MIGRATION_STOP_COPY;
	}
}

/*
 * The next state on the way from cur to target when every optional state
 * exists (Linux's vfio_mig_get_next_state(), drivers/vfio/vfio_main.c);
 * ERROR where no way exists (out of STOP_COPY into a PRE_COPY state, out of
 * ERROR).  Rows: cur; columns: target; both in the kernel's numbering
 * E S R SC RS RP PC PP.
 */
enum { E_ = KABI_MIG_ERROR, S_ = KABI_MIG_STOP, R_ = KABI_MIG_RUNNING, SC = KABI_MIG_STOP_COPY,
       RS = KABI_MIG_RESUMING, RP = KABI_MIG_RUNNING_P2P, PC = KABI_MIG_PRE_COPY, PP = KABI_MIG_PRE_COPY_P2P };
static const unsigned char next_hop[NSTATES][NSTATES] = {
	/* from ERROR */        { E_, E_, E_, E_, E_, E_, E_, E_ },
	/* from STOP */         { E_, S_, RP, SC, RS, RP, RP, RP },
	/* from RUNNING */      { E_, RP, R_, RP, RP, RP, PC, RP },
	/* from STOP_COPY */    { E_, S_, S_, SC, S_, S_, E_, E_ },
	/* from RESUMING */     { E_, S_, S_, S_, RS, S_, S_, S_ },
	/* from RUNNING_P2P */  { E_, S_, R_, S_, S_, RP, R_, PP },
	/* from PRE_COPY */     { E_, R_, R_, PP, R_, R_, PC, PP },
	/* from PRE_COPY_P2P */ { E_, RP, RP, SC, RP, RP, PC, PP },
};

/* The next state the device can take toward target with caps; ERROR when there is none. */
static unsigned int hop(unsigned int cur, unsigned int target, uint32_t caps)
{
	unsigned int n = next_hop[cur][target];

	/* skip over states the device does not have, as the kernel does (at most NSTATES hops) */
	for (unsigned int i = 0; i < NSTATES && n != E_ && (needs(n) & caps) != needs(n); i++)
		n = next_hop[n][target];
	return n;
}

static bool data_state(unsigned int st)
{
	return st == KABI_MIG_STOP_COPY || st == KABI_MIG_RESUMING || st == KABI_MIG_PRE_COPY ||
	       st == KABI_MIG_PRE_COPY_P2P;
}

/* ---------------- per-device state ---------------- */

static void mig_gone(struct vfioiommu_device *dev)
{
	if (!dev->mig)
		return;
	vi_mig_drop_fd(dev);
	free(dev->mig);
	dev->mig = NULL;
	dev->mig_gone = NULL;
}

struct vi_mig *vi_mig_get(struct vfioiommu_device *dev)
{
	if (!dev->mig) {
		dev->mig = calloc(1, sizeof(*dev->mig));
		if (!dev->mig) {
			vi_fail(dev->ctx, -ENOMEM, "out of memory");
			return NULL;
		}
		dev->mig->data_fd = -1;
		dev->mig_gone = mig_gone;
	}
	return dev->mig;
}

void vi_mig_drop_fd(struct vfioiommu_device *dev)
{
	if (dev->mig && dev->mig->data_fd >= 0) {
		vi_kclose(dev->ctx, dev->mig->data_fd);
		dev->mig->data_fd = -1;
	}
	if (dev->mig) {
		dev->mig->header_sent = false;
		dev->mig->sent = 0;
	}
}

struct vfioiommu_mig_result *vi_mig_result(struct vfioiommu_device *dev, const char *fn, struct vfioiommu_mig_result *res,
					   struct vfioiommu_mig_result *local)
{
	memset(local, 0, sizeof(*local));
	local->size = sizeof(*local);
	/* until the state is read: a call that fails before that cannot say where the device is */
	local->state_unknown = true;
	if (res && vi_check_size(dev->ctx, fn, res, res->size, offsetof(struct vfioiommu_mig_result, arc_failed)) < 0)
		return NULL;
	return local;
}

void vi_mig_result_out(struct vfioiommu_mig_result *res, const struct vfioiommu_mig_result *full)
{
	if (res)
		vi_copy_sized(res, full, sizeof(*full));
}

static int no_migration(struct vfioiommu_device *dev, int rc, const char *what)
{
	if (rc == -ENOTTY)
		return vi_fail(dev->ctx, -EOPNOTSUPP, "%s: the device has no migration support (%s: ENOTTY)", dev->bdf,
			       what);
	return vi_fail(dev->ctx, rc, "%s: %s failed: %s", dev->bdf, what, vi_errno_name(rc));
}

static int read_caps(struct vfioiommu_device *dev, uint32_t *caps)
{
	struct kabi_vfio_feature_migration f = {
		.argsz = sizeof(f), .flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_MIGRATION,
	};
	int rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &f);

	if (rc < 0)
		return no_migration(dev, rc, "VFIO_DEVICE_FEATURE(MIGRATION)");
	if (!(f.mig_flags & KABI_VFIO_MIGRATION_STOP_COPY))
		return vi_fail(dev->ctx, -EPROTO, "%s: the kernel reports migration flags 0x%llx without STOP_COPY, "
			       "which every migration driver must offer", dev->bdf, (unsigned long long)f.mig_flags);
	*caps = (uint32_t)(f.mig_flags & (KABI_VFIO_MIGRATION_STOP_COPY | KABI_VFIO_MIGRATION_P2P |
					  KABI_VFIO_MIGRATION_PRE_COPY));
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_caps(vfioiommu_device *dev, uint32_t *caps)
{
	if (!dev)
		return -EINVAL;
	if (!caps)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_mig_caps: caps is NULL");
	return read_caps(dev, caps);
}

/* GET of the state without a message: 0 or -errno; -EPROTO for a state that does not exist. */
static int raw_state(struct vfioiommu_device *dev, uint32_t *st)
{
	struct kabi_vfio_feature_mig_state f = {
		.argsz = sizeof(f), .flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
	};
	int rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &f);

	*st = f.device_state;
	return rc < 0 ? rc : f.device_state >= NSTATES ? -EPROTO : 0;
}

int vi_mig_read_state(struct vfioiommu_device *dev, enum vfioiommu_mig_state *st)
{
	uint32_t v = 0;
	int rc = raw_state(dev, &v);

	if (rc == -EPROTO)
		return vi_fail(dev->ctx, -EPROTO, "%s: the kernel reports migration state %u, which does not exist",
			       dev->bdf, v);
	if (rc < 0)
		return no_migration(dev, rc, "VFIO_DEVICE_FEATURE(MIG_DEVICE_STATE, GET)");
	*st = (enum vfioiommu_mig_state)v;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_get_state(vfioiommu_device *dev, enum vfioiommu_mig_state *state)
{
	if (!dev)
		return -EINVAL;
	if (!state)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_mig_get_state: state is NULL");
	return vi_mig_read_state(dev, state);
}

void vi_mig_note_state(struct vfioiommu_device *dev, struct vfioiommu_mig_result *r)
{
	uint32_t v = 0;

	/* no message: the caller's says what failed */
	r->state_unknown = raw_state(dev, &v) < 0;
	r->state = r->state_unknown ? VFIOIOMMU_MIG_ERROR : (enum vfioiommu_mig_state)v;
}

static const char *cap_name(uint32_t missing)
{
	if (missing & KABI_VFIO_MIGRATION_P2P)
		return (missing & KABI_VFIO_MIGRATION_PRE_COPY) ? "P2P and PRE_COPY" : "P2P";
	return "PRE_COPY";
}

/* One SET: 0 and *data_fd (-1: none) or -errno. */
static int set_one(struct vfioiommu_device *dev, unsigned int st, int *data_fd)
{
	struct kabi_vfio_feature_mig_state f = {
		.argsz = sizeof(f), .flags = KABI_VFIO_DEVICE_FEATURE_SET | KABI_VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		.device_state = st, .data_fd = -1,
	};
	int rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &f);

	*data_fd = rc < 0 ? -1 : f.data_fd;
	return rc;
}

int vi_mig_walk(struct vfioiommu_device *dev, enum vfioiommu_mig_state target, struct vfioiommu_mig_result *r)
{
	struct vi_mig *mg;
	enum vfioiommu_mig_state cur;
	uint32_t caps = 0;
	int rc;

	if ((unsigned int)target >= NSTATES || target == VFIOIOMMU_MIG_ERROR)
		return vi_fail(dev->ctx, -EINVAL, "%s: %s is not a state a device can be asked to enter", dev->bdf,
			       (unsigned int)target < NSTATES ? "ERROR" : "that value");
	if (!(mg = vi_mig_get(dev)))
		return -ENOMEM;
	if ((rc = read_caps(dev, &caps)) < 0 || (rc = vi_mig_read_state(dev, &cur)) < 0) {
		vi_mig_note_state(dev, r);
		return rc;
	}
	r->state = cur;
	r->state_unknown = false;
	if ((needs(target) & caps) != needs(target))
		return vi_fail(dev->ctx, -EOPNOTSUPP, "%s: %s needs %s, which the device does not offer (migration "
			       "flags 0x%x)", dev->bdf, names[target], cap_name(needs(target) & ~caps), caps);
	while (cur != target) {
		unsigned int next = hop(cur, target, caps);
		int dfd = -1;

		if (next == E_) {
			r->arc_failed = true;
			r->failed_from = cur;
			r->failed_to = target;
			return vi_fail(dev->ctx, cur == VFIOIOMMU_MIG_ERROR ? -EIO : -EINVAL,
				       "%s: no arc leads from %s to %s%s", dev->bdf, names[cur], names[target],
				       cur == VFIOIOMMU_MIG_ERROR ? ": the device is in ERROR; vfioiommu_mig_recover() "
				       "resets it" : " (the kernel allows none: STOP_COPY never goes back to PRE_COPY)");
		}
		rc = set_one(dev, next, &dfd);
		if (rc < 0) {
			r->arc_failed = true;
			r->failed_from = cur;
			r->failed_to = (enum vfioiommu_mig_state)next;
			vi_mig_note_state(dev, r);
			return vi_fail(dev->ctx, rc, "%s: migration arc %s -> %s (on the way to %s) failed: %s%s; the "
				       "device is in %s", dev->bdf, names[cur], names[next], names[target],
				       vi_errno_name(rc),
				       cur == KABI_MIG_RESUMING ? " (the device could not load the state written to it)" : "",
				       r->state_unknown ? "an unknown state (reading it back failed)" : names[r->state]);
		}
		r->arcs++;
		if (dfd >= 0) {
			/*
			 * A new data fd replaces the old one.  Out of PRE_COPY it
			 * carries on the same stream (the header and the chunks
			 * already sent stay sent).
			 */
			bool hdr = mg->header_sent;
			uint64_t sent = mg->sent;

			vi_mig_drop_fd(dev);
			mg->data_fd = dfd;
			if (cur == VFIOIOMMU_MIG_PRE_COPY || cur == VFIOIOMMU_MIG_PRE_COPY_P2P) {
				mg->header_sent = hdr;
				mg->sent = sent;
			}
		} else if (!data_state(next)) {
			/* the kernel disabled the data fd when the device left a data state */
			vi_mig_drop_fd(dev);
		}
		cur = (enum vfioiommu_mig_state)next;
		r->state = cur;
	}
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_set_state(vfioiommu_device *dev, enum vfioiommu_mig_state target,
					  struct vfioiommu_mig_result *res)
{
	struct vfioiommu_mig_result full, *r;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!(r = vi_mig_result(dev, "vfioiommu_mig_set_state", res, &full)))
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	rc = vi_mig_walk(dev, target, r);
	pthread_mutex_unlock(&dev->ctx->lock);
	vi_mig_result_out(res, r);
	return rc;
}

VFIOIOMMU_API int vfioiommu_mig_data_size(vfioiommu_device *dev, uint64_t *bytes)
{
	struct kabi_vfio_feature_mig_data_size f = {
		.argsz = sizeof(f), .flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
	};
	int rc;

	if (!dev)
		return -EINVAL;
	if (!bytes)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_mig_data_size: bytes is NULL");
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &f);
	if (rc < 0)
		return no_migration(dev, rc, "VFIO_DEVICE_FEATURE(MIG_DATA_SIZE)");
	*bytes = f.stop_copy_length;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_precopy_info(vfioiommu_device *dev, uint64_t *initial, uint64_t *dirty)
{
	struct kabi_vfio_precopy_info pi = { .argsz = sizeof(pi) };
	int fd, rc;

	if (!dev)
		return -EINVAL;
	if (!initial || !dirty)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_mig_precopy_info: %s is NULL", initial ? "dirty" : "initial");
	pthread_mutex_lock(&dev->ctx->lock);
	fd = dev->mig ? dev->mig->data_fd : -1;
	rc = fd < 0 ? -EINVAL : vi_kioctl(dev->ctx, fd, KABI_VFIO_MIG_GET_PRECOPY_INFO, &pi);
	pthread_mutex_unlock(&dev->ctx->lock);
	if (fd < 0)
		return vi_fail(dev->ctx, -EINVAL, "%s: no PRE_COPY data fd: move the device to PRE_COPY with "
			       "vfioiommu_mig_set_state() first", dev->bdf);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s: VFIO_MIG_GET_PRECOPY_INFO failed: %s%s", dev->bdf, vi_errno_name(rc),
			       rc == -EINVAL ? " (the device is not in PRE_COPY or PRE_COPY_P2P)" : "");
	*initial = pi.initial_bytes;
	*dirty = pi.dirty_bytes;
	return 0;
}

VFIOIOMMU_API int vfioiommu_mig_recover(vfioiommu_device *dev, struct vfioiommu_mig_result *res)
{
	struct vfioiommu_mig_result full, *r;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!(r = vi_mig_result(dev, "vfioiommu_mig_recover", res, &full)))
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	/* the kernel disables the data fd on reset; drop ours first so nothing reads a dead one */
	vi_mig_drop_fd(dev);
	rc = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_RESET, NULL);
	if (rc < 0)
		rc = vi_fail(dev->ctx, rc, "%s: VFIO_DEVICE_RESET to recover from a failed migration failed: %s", dev->bdf,
			     vi_errno_name(rc));
	vi_mig_note_state(dev, r);
	if (rc == 0 && (r->state_unknown || r->state != VFIOIOMMU_MIG_RUNNING))
		rc = vi_fail(dev->ctx, -EIO, "%s: after VFIO_DEVICE_RESET the device is in %s, not RUNNING", dev->bdf,
			     r->state_unknown ? "an unknown state" : names[r->state]);
	pthread_mutex_unlock(&dev->ctx->lock);
	vi_mig_result_out(res, r);
	return rc;
}

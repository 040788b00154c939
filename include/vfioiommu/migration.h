/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/migration.h
 * Device migration (VFIO migration v2): the device's state machine and its
 * state data, saved to and restored from any file descriptor.
 *
 * A device that supports migration has a state (RUNNING, STOP, STOP_COPY,
 * RESUMING and, when offered, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P) and moves
 * only along the arcs the kernel allows.  vfioiommu_mig_set_state() takes the
 * target, walks the shortest path one arc at a time (RUNNING -> STOP ->
 * STOP_COPY) and, when an arc fails, says which one and where the device is.
 *
 * The state data is opaque.  vfioiommu_mig_save() writes it to an fd (a
 * file, a pipe, a socket) in the library's own framing: a header, chunks
 * with a length and a checksum, and an end marker with the total, so that
 * vfioiommu_mig_restore() on the other side finds the end of the device's
 * data in a longer stream and refuses a truncated or corrupted one before it
 * reaches the device.  With PRE_COPY, vfioiommu_mig_save_chunk() sends what
 * the device has while it still runs, and vfioiommu_mig_save() the rest.
 *
 * After a failure the device is in a defined state that the result names:
 * a restore that fails leaves it in RESUMING; vfioiommu_mig_recover() resets
 * it (VFIO_DEVICE_RESET) back to RUNNING.
 *
 * Thread safety: the state walk is serialised on the context; do not run two
 * saves or restores on the same device at once.
 */
#ifndef VFIOIOMMU_MIGRATION_H
#define VFIOIOMMU_MIGRATION_H

#include <stdint.h>

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/** Device migration states, numbered as the kernel numbers them. */
enum vfioiommu_mig_state {
	VFIOIOMMU_MIG_ERROR = 0,        /**< failed inside the kernel: only a reset leaves it */
	VFIOIOMMU_MIG_STOP = 1,         /**< stopped, no data transfer */
	VFIOIOMMU_MIG_RUNNING = 2,      /**< normal operation */
	VFIOIOMMU_MIG_STOP_COPY = 3,    /**< stopped; its state is read from the data fd */
	VFIOIOMMU_MIG_RESUMING = 4,     /**< stopped; a state is written into the data fd */
	VFIOIOMMU_MIG_RUNNING_P2P = 5,  /**< running, but no peer-to-peer DMA into it (P2P) */
	VFIOIOMMU_MIG_PRE_COPY = 6,     /**< running, with initial state readable early (PRE_COPY) */
	VFIOIOMMU_MIG_PRE_COPY_P2P = 7, /**< PRE_COPY without peer-to-peer (P2P and PRE_COPY) */
};

/** What a device offers (VFIO_DEVICE_FEATURE_MIGRATION flags). */
enum vfioiommu_mig_caps {
	VFIOIOMMU_MIG_CAP_STOP_COPY = 1u << 0, /**< the base protocol: always set */
	VFIOIOMMU_MIG_CAP_P2P = 1u << 1,       /**< RUNNING_P2P (and PRE_COPY_P2P with PRE_COPY) */
	VFIOIOMMU_MIG_CAP_PRE_COPY = 1u << 2,  /**< PRE_COPY */
};

/** What a migration call did, and where it left the device. */
struct vfioiommu_mig_result {
	/** in: sizeof(struct vfioiommu_mig_result) as the caller compiled it */
	uint32_t size;
	/** reserved, 0 */
	uint32_t reserved;
	/** The device's state when the call returned (read back after a failure). */
	enum vfioiommu_mig_state state;
	/** The state is not known (reading it back failed): treat it as ERROR. */
	bool state_unknown;
	/** An arc failed: from which state ... */
	bool arc_failed;
	/** ... the arc started */
	enum vfioiommu_mig_state failed_from;
	/** ... and where it was going */
	enum vfioiommu_mig_state failed_to;
	/** Arcs taken successfully. */
	uint32_t arcs;
	/** Bytes of device data moved (saved or restored), without the library's framing. */
	uint64_t bytes;
};

/**
 * The name of a state ("RUNNING", "STOP_COPY", ...).
 * @param state the state
 * @return a static string; "unknown" for a value outside the enum.
 */
VFIOIOMMU_API const char *vfioiommu_mig_state_name(enum vfioiommu_mig_state state);

/**
 * What the device offers for migration (VFIO_DEVICE_FEATURE_MIGRATION).
 * @param dev  the device
 * @param caps receives enum vfioiommu_mig_caps bits
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP the device has no migration
 * (the kernel's ENOTTY); -EPROTO the kernel said it has migration without
 * STOP_COPY; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_mig_caps(vfioiommu_device *dev, uint32_t *caps);

/**
 * The device's migration state (VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, GET).
 * @param dev   the device
 * @param state receives the state
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP no migration; -EPROTO the
 * kernel named a state that does not exist; other -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_mig_get_state(vfioiommu_device *dev, enum vfioiommu_mig_state *state);

/**
 * Move the device to @p target, one allowed arc at a time (the kernel's
 * state machine; states the device does not offer are skipped over as the
 * kernel skips them).  Entering STOP_COPY, RESUMING or PRE_COPY opens the
 * data fd the save and restore calls use; leaving them closes it.
 * @param dev    the device
 * @param target the state wanted
 * @param res    NULL, or res->size set: receives the arcs taken and, on
 *               failure, the arc that failed and the state the device is in
 * @return 0; -EINVAL NULL @p dev, @p target ERROR or outside the enum, or a
 * @p res whose size is too small; -EOPNOTSUPP no migration, or @p target
 * needs a capability the device does not offer (P2P, PRE_COPY; the message
 * names it); from an arc, the kernel's errno (the message names the arc and
 * the state the device is in: "arc RESUMING -> STOP failed: EINVAL (...);
 * the device is in RESUMING").
 */
VFIOIOMMU_API int vfioiommu_mig_set_state(vfioiommu_device *dev, enum vfioiommu_mig_state target,
					  struct vfioiommu_mig_result *res);

/**
 * How many bytes the device's state would take in STOP_COPY now
 * (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE); an estimate the kernel may revise.
 * @param dev   the device
 * @param bytes receives the length
 * @return 0; -EINVAL NULL argument; -EOPNOTSUPP no migration; other -errno.
 */
VFIOIOMMU_API int vfioiommu_mig_data_size(vfioiommu_device *dev, uint64_t *bytes);

/**
 * In PRE_COPY or PRE_COPY_P2P: how much data the device has ready
 * (VFIO_MIG_GET_PRECOPY_INFO on the data fd).
 * @param dev     the device
 * @param initial receives the initial bytes not read yet
 * @param dirty   receives the bytes changed since (an estimate)
 * @return 0; -EINVAL NULL argument, or the device is not in a PRE_COPY state
 * (set it with vfioiommu_mig_set_state() first); other -errno.
 */
VFIOIOMMU_API int vfioiommu_mig_precopy_info(vfioiommu_device *dev, uint64_t *initial, uint64_t *dirty);

/**
 * In PRE_COPY or PRE_COPY_P2P: write what the device has ready now to @p fd
 * as one chunk of the stream (the stream's header first, on the first
 * call), while the device keeps running.  Finish with vfioiommu_mig_save().
 * @param dev the device
 * @param fd  where the stream goes (file, pipe, socket; blocking or not)
 * @param res NULL, or res->size set: res->bytes receives the device bytes sent
 * @return 0; -EINVAL NULL @p dev, a negative @p fd, a too small @p res, or the
 * device is not in a PRE_COPY state; -EPIPE the reader of @p fd went away
 * (no SIGPIPE is raised); other -errno from reading the device or writing @p fd.
 */
VFIOIOMMU_API int vfioiommu_mig_save_chunk(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res);

/**
 * Save the device's state to @p fd: move to STOP_COPY (from RUNNING that is
 * RUNNING -> STOP -> STOP_COPY; from PRE_COPY through PRE_COPY_P2P, keeping
 * the data fd of the chunks already sent), write all its data and the
 * stream's end, then move to STOP.  The device stays stopped: restart it
 * with vfioiommu_mig_set_state() (RUNNING) if the migration is abandoned.
 * @param dev the device
 * @param fd  where the stream goes
 * @param res NULL, or res->size set: what was done and where the device is
 * @return 0; -EINVAL as vfioiommu_mig_save_chunk(); from the walk, as
 * vfioiommu_mig_set_state(); -EPIPE the reader went away (the device is then
 * in STOP_COPY: res->state says so); other -errno.
 */
VFIOIOMMU_API int vfioiommu_mig_save(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res);

/**
 * Restore a state saved by vfioiommu_mig_save() from @p fd into @p dev: move
 * to RESUMING, feed the device the data of each chunk once its checksum
 * matches, stop at the end marker (what follows it in @p fd is not read),
 * then move to STOP.  Start the device with vfioiommu_mig_set_state()
 * (RUNNING).
 * @param dev the device
 * @param fd  where the stream comes from
 * @param res NULL, or res->size set: what was done and where the device is
 * @return 0; -EINVAL as vfioiommu_mig_save_chunk(); -EBUSY the device is in
 * RESUMING from an earlier failed restore (vfioiommu_mig_recover() first);
 * -EBADMSG not a stream of this library, a chunk whose checksum does not
 * match, or a total that does not add up (nothing of a bad chunk reaches
 * the device); -EPIPE the stream ended before its end marker (truncated);
 * the device's errno when it refuses the data (mtty: EFAULT for a header it
 * does not know, ENOMEM for too much data), or when the arc RESUMING -> STOP
 * fails (mtty: EINVAL for a state it cannot load).  After any failure past
 * the walk to RESUMING the device is left in RESUMING and res->state says so.
 */
VFIOIOMMU_API int vfioiommu_mig_restore(vfioiommu_device *dev, int fd, struct vfioiommu_mig_result *res);

/**
 * Get a device out of ERROR or out of a failed migration: VFIO_DEVICE_RESET
 * (which puts the migration state back to RUNNING; it works on mtty although
 * mtty's GET_INFO has no RESET flag), then the data fd is dropped.
 * @param dev the device
 * @param res NULL, or res->size set: res->state receives the state after
 * @return 0 (the device is in RUNNING); -EINVAL NULL @p dev or a too small
 * @p res; -EIO the reset succeeded but the device is not in RUNNING; other
 * -errno from the reset.
 */
VFIOIOMMU_API int vfioiommu_mig_recover(vfioiommu_device *dev, struct vfioiommu_mig_result *res);

VFIOIOMMU_END_DECLS

#endif

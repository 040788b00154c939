/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/common.h
 * Definitions shared by every libvfioiommu header: export macro, C++ guards,
 * the opaque handle types and the log callback.
 *
 * Conventions for the whole API:
 *  - Every function that can fail returns 0 (or a non-negative count) on
 *    success and a negative errno on failure.  The context that was passed in
 *    keeps a message saying which step failed and why; read it with
 *    vfioiommu_strerror().
 *  - The library never prints, exits or aborts.  Log lines go to the callback
 *    set in struct vfioiommu_ctx_opts; by default nothing is logged.
 *  - Kernel uAPI structures never appear in these headers: the library's types
 *    are its own, so a kernel struct growing never changes this ABI.
 */
#ifndef VFIOIOMMU_COMMON_H
#define VFIOIOMMU_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
/** Opens the headers' declarations: extern "C" in C++, nothing in C. */
#define VFIOIOMMU_BEGIN_DECLS extern "C" {
/** Closes what VFIOIOMMU_BEGIN_DECLS opened. */
#define VFIOIOMMU_END_DECLS }
#else
/** Opens the headers' declarations: extern "C" in C++, nothing in C. */
#define VFIOIOMMU_BEGIN_DECLS
/** Closes what VFIOIOMMU_BEGIN_DECLS opened. */
#define VFIOIOMMU_END_DECLS
#endif

#if defined(__GNUC__)
/** Marks a function the library exports (default visibility; the library builds with hidden). */
#define VFIOIOMMU_API __attribute__((visibility("default")))
/**
 * Lets GCC and Clang check a printf-style format: argument @p a is the format,
 * the variable arguments start at @p b.
 */
#define VFIOIOMMU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
/** Marks a function the library exports (default visibility; the library builds with hidden). */
#define VFIOIOMMU_API
/**
 * Lets GCC and Clang check a printf-style format: argument @p a is the format,
 * the variable arguments start at @p b.
 */
#define VFIOIOMMU_PRINTF(a, b)
#endif

VFIOIOMMU_BEGIN_DECLS

/** A library context: one container or one iommufd + IOAS, and its devices. */
typedef struct vfioiommu_ctx vfioiommu_ctx;
/** A device opened through a context (VFIO group device fd or cdev). */
typedef struct vfioiommu_device vfioiommu_device;
/**
 * The door to the kernel: the table every syscall and sysfs read of the
 * library goes through.  Obtain one from vfioiommu_door_system() (the real
 * kernel) or vfioiommu_mock_door() (the mock kernel).
 */
typedef struct vfioiommu_door vfioiommu_door;
/** A fault ring (<vfioiommu/ring.h>): records from a pump, a device fault region or a producer. */
typedef struct vfioiommu_ring vfioiommu_ring;

/** Log levels, the syslog numbers. */
enum vfioiommu_log_level {
	/** Errors.  Failed calls are reported by their return value and vfioiommu_strerror(), and logged at DEBUG. */
	VFIOIOMMU_LOG_ERR = 3,
	/** A step that failed without failing the call (a teardown ioctl, a lost uevent, a mapping outside the ranges). */
	VFIOIOMMU_LOG_WARNING = 4,
	/** Decisions: the backend chosen and why, a device bound to vfio-pci. */
	VFIOIOMMU_LOG_INFO = 6,
	/** Steps (objects created, capabilities skipped) and the message of every failure. */
	VFIOIOMMU_LOG_DEBUG = 7,
};

/**
 * Log callback, set in struct vfioiommu_ctx_opts.  May be called from any
 * thread that calls into the library.
 *
 * @param arg   vfioiommu_ctx_opts.log_arg, as given
 * @param level an enum vfioiommu_log_level, at most vfioiommu_ctx_opts.log_level
 * @param msg   a complete line without a trailing newline, valid only during the call
 */
typedef void (*vfioiommu_log_fn)(void *arg, int level, const char *msg);

/**
 * The library's version.
 * @return "MAJOR.MINOR.PATCH" (a static string), for example "0.2.0".
 */
VFIOIOMMU_API const char *vfioiommu_version(void);

VFIOIOMMU_END_DECLS

#endif

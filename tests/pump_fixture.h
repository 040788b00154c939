/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fixture of the pump tests (test_pump, test_pump_vevent): raw iommufd
 * objects on a mock, made through the mock's door as the kernel's user would
 * make them, contexts on that door or on a door whose read() misbehaves, and
 * the fail-Nth sweep of one pump.  Include after <cmocka.h>.
 */
#ifndef PF_PUMP_FIXTURE_H
#define PF_PUMP_FIXTURE_H

#include <sys/types.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/door.h"

struct pf_env {
	vfioiommu_mock *m;
	const vfioiommu_door *d;
	int ifd, dfd;
	int qfd;                       /* what the pump reads: a fault queue or a vEVENTQ; -1 when none is open */
	uint32_t devid, ioas, hwpt;
	uint32_t viommu, vq;           /* the vEVENTQ tests' vIOMMU and queue */
	struct vfioiommu_door hostile; /* the mock's door with read() wrapped (pf_ctx_read) */
};

/* An ioctl through the mock's door. */
int pf_kio(struct pf_env *e, int fd, unsigned long req, void *arg);

/* A mock from host, /dev/iommu, the first device's cdev bound to it, an IOAS; no queue yet. */
void pf_base(struct pf_env *e, const char *host);
/* Closes the queue (when open), the device and /dev/iommu; the first close error (the fds are gone either way). */
int pf_close(struct pf_env *e);
/* pf_close, asserting it worked and that no mock fd is left, then the mock destroyed. */
void pf_down(struct pf_env *e);

/* A context on door d. */
vfioiommu_ctx *pf_ctx(const vfioiommu_door *d);
/* A context on the mock's door with read() replaced by rd: a kernel breaking its read contract. */
vfioiommu_ctx *pf_ctx_read(struct pf_env *e, ssize_t (*rd)(void *priv, int fd, void *buf, size_t n));
/* Destroys a pump, its ring and its context, in that order; each may be NULL. */
void pf_free(vfioiommu_fault_pump *p, vfioiommu_ring *ring, vfioiommu_ctx *ctx);

/*
 * The fail-Nth sweep of one pump.  up() builds the env before the fault is
 * armed; then, under the fault: a context, inject() queues what the device
 * reports, a 64-slot ring, pump_new() on e->qfd, one run that must move
 * `records` entries, answer() (NULL: none) responds; everything is freed and
 * the fds closed.  Every failure must leave a message on the context.
 * Returns the number of sites swept (th_sweep).
 */
struct pf_sweep {
	void (*up)(struct pf_env *e);
	void (*inject)(struct pf_env *e);
	int (*pump_new)(vfioiommu_ctx *ctx, int qfd, vfioiommu_ring *ring, vfioiommu_fault_pump **out);
	int (*answer)(vfioiommu_fault_pump *p);
	int records;
};
unsigned long pf_sweep(const struct pf_sweep *s, unsigned long max_n);

#endif

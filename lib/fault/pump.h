/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The pump handle, shared by the fault-fd pump (pump.c) and the vEVENTQ pump
 * (pump_vevent.c): one public type, one run/destroy API, the source decides
 * how a run reads and converts.
 */
#ifndef VI_PUMP_H
#define VI_PUMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include <vfioiommu/fault.h>

#include "kabi/kabi.h"

#define VI_PUMP_BATCH VFIOIOMMU_PUMP_MAX_GROUP

enum vi_pump_src { VI_PUMP_FAULT = 1, VI_PUMP_VEVENT = 2 };

struct vi_cookie_ent {
	uint32_t cookie;
	uint32_t state;
	/* the pump's seq numbers of the group's records: tell a reused cookie's groups apart */
	uint32_t first_seq, last_seq;
};

/*
 * Cookies below VI_COOKIE_DIRECT (the kernel hands out the lowest free
 * cookie from 1, so in practice all of them) live in a table indexed by
 * cookie, one atomic word each, and need no lock: the pump (one thread)
 * replaces a word when a group arrives, a responder claims it with a
 * compare-and-swap before writing the answer.  Word layout:
 * bits 0-31 first_seq, 32-39 the group's records - 1, 48-49 the state.
 * Larger cookies use the list under the mutex.
 */
#define VI_COOKIE_DIRECT 1024u

struct vi_vevent_state {
	uint32_t type;
	uint32_t data_len;   /* bytes after each non-LOST header */
	bool have_seq;       /* a sequence number has been seen */
	uint32_t last_seq;
	struct vfioiommu_vevent_stats st;
	unsigned char *buf;  /* VI_PUMP_BATCH largest events */
	size_t buf_len;
};

struct vfioiommu_fault_pump {
	struct vfioiommu_ctx *ctx;
	struct vfioiommu_ring *ring;
	int fd;
	enum vi_pump_src src;
	uint32_t seq;
	pthread_mutex_t lock; /* cookies >= VI_COOKIE_DIRECT: run() and respond() may be on different threads */
	struct vi_cookie_ent *c;
	size_t nc, cap;
	unsigned int outstanding, answered; /* of the list (under lock) */
	_Atomic uint64_t direct[VI_COOKIE_DIRECT];
	struct vi_vevent_state ev;
	struct kabi_iommu_hwpt_pgfault raw[VI_PUMP_BATCH];
	struct vfioiommu_fault *slot[VI_PUMP_BATCH]; /* the ring slots a run converts into */
};

/* pump_vevent.c: the run of a vEVENTQ pump and its teardown */
int vi_vevent_pump_run(struct vfioiommu_fault_pump *p);
void vi_vevent_pump_free(struct vfioiommu_fault_pump *p);

#endif

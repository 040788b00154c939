/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The vEVENTQ pump: an IOMMU_VEVENTQ_ALLOC fd -> library ring
 * (docs/kernel-abi.md §8).
 *
 * The kernel copies whole events only and never blocks, so a read sized to
 * the ring's room (room x the largest event) can always be published whole
 * and whatever does not fit stays queued in the kernel.  The stream carries
 * no length: the header's flags and the queue's type decide how many bytes
 * follow, so every read is parsed completely and checked before any record
 * reaches the ring.  The sequence numbers are the only loss signal besides
 * the kernel's own LOST_EVENTS header; both end up in-band in the ring.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/fault.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "pump.h"
#include "ring.h"

#define VEV_HDR sizeof(struct kabi_iommufd_vevent_header)
/* sequence numbers run 0 .. INT_MAX: arithmetic modulo 2^31 */
#define VEV_SEQ_MASK 0x7fffffffu

_Static_assert(INT_MAX == VEV_SEQ_MASK, "sequence range");

static uint32_t type_data_len(uint32_t type)
{
	switch (type) {
	case VFIOIOMMU_VEVENTQ_ARM_SMMUV3:
		return KABI_VEVENT_ARM_SMMUV3_LEN;
	case VFIOIOMMU_VEVENTQ_TEGRA241_CMDQV:
		return KABI_VEVENT_TEGRA241_CMDQV_LEN;
	case VFIOIOMMU_VEVENTQ_SELFTEST:
		return KABI_VEVENT_SELFTEST_LEN;
	default:
		return 0;
	}
}

/* The worst case of one read: VI_PUMP_BATCH events, all of which could be bare headers. */
static size_t max_records(uint32_t dl)
{
	return VI_PUMP_BATCH * (VEV_HDR + dl) / VEV_HDR;
}

VFIOIOMMU_API int vfioiommu_vevent_pump_new(vfioiommu_ctx *ctx, int veventq_fd, uint32_t type,
					    vfioiommu_ring *ring, vfioiommu_fault_pump **out)
{
	struct vfioiommu_fault_pump *p;
	uint32_t dl = type_data_len(type);

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out || !ring || veventq_fd < 0)
		return vi_fail(ctx, -EINVAL, "vEVENTQ pump: %s", !out ? "NULL out" : !ring ? "NULL ring" :
			       "negative vEVENTQ fd");
	if (!dl)
		return vi_fail(ctx, -EOPNOTSUPP, "vEVENTQ pump: queue type %" PRIu32 " is not one the pump can "
			       "parse (1 ARM SMMUv3, 2 Tegra241 CMDQV, 0xbeefbeef IOMMUFD_TEST; 0 is the kernel's reserved DEFAULT)", type);
	p = calloc(1, sizeof(*p));
	if (!p)
		return vi_fail(ctx, -ENOMEM, "vEVENTQ pump: out of memory");
	p->ev.buf_len = VI_PUMP_BATCH * (VEV_HDR + dl);
	p->ev.buf = malloc(p->ev.buf_len + max_records(dl) * sizeof(struct vfioiommu_fault));
	if (!p->ev.buf) {
		free(p);
		return vi_fail(ctx, -ENOMEM, "vEVENTQ pump: out of memory");
	}
	p->ctx = ctx;
	p->ring = ring;
	p->fd = veventq_fd;
	p->src = VI_PUMP_VEVENT;
	p->ev.type = type;
	p->ev.data_len = dl;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void vi_vevent_pump_free(struct vfioiommu_fault_pump *p)
{
	free(p->ev.buf);
	p->ev.buf = NULL;
}

VFIOIOMMU_API int vfioiommu_vevent_pump_stats(const vfioiommu_fault_pump *p,
	struct vfioiommu_vevent_stats *st)
{
	struct vfioiommu_vevent_stats full;

	if (!p || !st || p->src != VI_PUMP_VEVENT || st->size < sizeof(full))
		return -EINVAL;
	full = p->ev.st;
	full.size = sizeof(full);
	vi_copy_sized(st, &full, sizeof(full));
	return 0;
}

/* Sequence numbers skipped between the last one seen and seq (0: none or nothing seen yet). */
static uint32_t skipped(const struct vi_vevent_state *ev, uint32_t seq)
{
	if (!ev->have_seq)
		return 0;
	return (seq - ev->last_seq - 1u) & VEV_SEQ_MASK;
}

/*
 * Parse one read of len bytes into records.  On success commits the sequence
 * state and counters into p->ev and returns the record count; on a broken
 * stream returns -EPROTO with the message on the context and leaves p->ev.
 */
static int parse(struct vfioiommu_fault_pump *p, const unsigned char *b, size_t len,
	struct vfioiommu_fault *out)
{
	struct vi_vevent_state ev = p->ev;
	const uint32_t dl = ev.data_len;
	size_t off = 0;
	int k = 0;

	while (off < len) {
		struct kabi_iommufd_vevent_header h;
		uint32_t miss;

		if (len - off < VEV_HDR)
			return vi_fail(p->ctx, -EPROTO, "vEVENTQ pump: a read of %zu bytes from fd %d ends %zu bytes "
				       "into an event header (the kernel copies whole events only)", len, p->fd,
				       len - off);
		memcpy(&h, b + off, VEV_HDR);
		if (h.flags & ~(uint32_t)KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS)
			return vi_fail(p->ctx, -EPROTO, "vEVENTQ pump: event header at byte %zu of fd %d has unknown "
				       "flags 0x%" PRIx32 " (only LOST_EVENTS 0x1 exists; the data size after it is "
				       "unknown)", off, p->fd, h.flags);
		if (h.sequence > VEV_SEQ_MASK)
			return vi_fail(p->ctx, -EPROTO, "vEVENTQ pump: event header at byte %zu of fd %d has sequence "
				       "%" PRIu32 ", above INT_MAX", off, p->fd, h.sequence);
		miss = skipped(&ev, h.sequence);
		if (miss) {
			ev.st.gaps++;
			ev.st.missing += miss;
		}
		ev.have_seq = true;
		ev.last_seq = h.sequence;
		off += VEV_HDR;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].seq = h.sequence;
		if (h.flags & KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			/* the header carries no count: 1 = "at least one", plus what a gap proves */
			out[k].kind = VFIOIOMMU_FAULT_LOST;
			out[k].lost = 1 + miss;
			ev.st.lost_headers++;
		} else {
			struct vfioiommu_vevent *v = (struct vfioiommu_vevent *)(void *)&out[k];

			if (len - off < dl)
				return vi_fail(p->ctx, -EPROTO, "vEVENTQ pump: a read of %zu bytes from fd %d cuts "
					       "event %" PRIu32 " after %zu of its %" PRIu32 " data bytes", len, p->fd,
					       h.sequence, len - off, dl);
			v->kind = VFIOIOMMU_FAULT_VEVENT;
			memcpy(v->data, b + off, dl < sizeof(v->data) ? dl : sizeof(v->data));
			v->data_len = dl;
			v->type = ev.type;
			v->missing = miss;
			off += dl;
			ev.st.events++;
		}
		k++;
	}
	p->ev = ev;
	return k;
}

int vi_vevent_pump_run(struct vfioiommu_fault_pump *p)
{
	const size_t es = VEV_HDR + p->ev.data_len;
	struct vfioiommu_fault *out = (struct vfioiommu_fault *)(void *)(p->ev.buf + p->ev.buf_len);
	int moved = 0;

	for (;;) {
		int room = vfioiommu_ring_room(p->ring, VI_PUMP_BATCH);
		size_t n;
		ssize_t got;
		int k, rc;

		if (room < 0)
			return vi_fail(p->ctx, room, "vEVENTQ pump: the ring is in error: %s",
				       vfioiommu_ring_strerror(p->ring));
		if (room == 0)
			return moved;
		n = (size_t)room < VI_PUMP_BATCH ? (size_t)room : VI_PUMP_BATCH;
		got = vi_kread(p->ctx, p->fd, p->ev.buf, n * es);
		if (got < 0) {
			if (got == -EAGAIN)
				return moved;
			return vi_fail(p->ctx, (int)got, "vEVENTQ pump: read of %zu bytes from fd %d failed: %s",
				       n * es, p->fd, vi_errno_name((int)got));
		}
		if (got == 0)
			return moved;
		if ((size_t)got > n * es)
			return vi_fail(p->ctx, -EPROTO, "vEVENTQ pump: read of %zu bytes from fd %d returned %zd",
				       n * es, p->fd, got);
		k = parse(p, p->ev.buf, (size_t)got, out);
		if (k < 0)
			return k;
		/*
		 * n events of es bytes fit the room; only a stream of several bare
		 * LOST headers can make more records, and the ring counts those it
		 * has to drop (its own LOST record follows).
		 */
		rc = vi_ring_push(p->ring, out, (unsigned int)k);
		if (rc < 0)
			return vi_fail(p->ctx, rc, "vEVENTQ pump: the ring refused %d records: %s", k,
				       vfioiommu_ring_strerror(p->ring));
		moved += rc;
	}
}

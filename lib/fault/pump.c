/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault pump: iommufd fault fd -> library ring, page responses back.
 *
 * Reads are sized to the ring's free room (a multiple of 40 bytes), so the
 * kernel's "whole group or nothing" rule keeps groups intact and nothing is
 * ever dropped: what does not fit stays queued in the kernel.  Cookies are
 * tracked so a second answer, or an answer for a cookie never delivered, is
 * refused here with a precise message instead of a bare EINVAL from the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/fault.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "pump.h"
#include "ring.h"

#define PUMP_BATCH VI_PUMP_BATCH
/* answered cookies remembered (for "already answered"); the kernel reuses the lowest free */
#define PUMP_ANSWERED_MAX 1024

enum cookie_state { C_OUTSTANDING = 1, C_ANSWERED = 2 };

#define cookie_ent vi_cookie_ent

_Static_assert(sizeof(struct kabi_iommu_hwpt_pgfault) == 40, "the fault fd's record");
_Static_assert(VI_PUMP_BATCH <= 256, "a group's span fits the 8 bits of its cookie word");

VFIOIOMMU_API int vfioiommu_fault_pump_new(vfioiommu_ctx *ctx, int fault_fd, vfioiommu_ring *ring,
					   vfioiommu_fault_pump **out)
{
	struct vfioiommu_fault_pump *p;

	if (out)
		*out = NULL;
	if (!ctx)
		return -EINVAL;
	if (!out || !ring || fault_fd < 0)
		return vi_fail(ctx, -EINVAL, "fault pump: %s", !out ? "NULL out" : !ring ? "NULL ring" :
			       "negative fault fd");
	p = calloc(1, sizeof(*p));
	if (!p)
		return vi_fail(ctx, -ENOMEM, "fault pump: out of memory");
	p->ctx = ctx;
	p->ring = ring;
	p->fd = fault_fd;
	p->src = VI_PUMP_FAULT;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

VFIOIOMMU_API void vfioiommu_fault_pump_destroy(vfioiommu_fault_pump *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	vi_vevent_pump_free(p);
	free(p->c);
	free(p);
}

static struct cookie_ent *find(struct vfioiommu_fault_pump *p, uint32_t cookie)
{
	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].cookie == cookie)
			return &p->c[i];
	return NULL;
}

static void forget(struct vfioiommu_fault_pump *p, struct cookie_ent *e)
{
	if (e->state == C_OUTSTANDING)
		p->outstanding--;
	else
		p->answered--;
	*e = p->c[--p->nc];
}

/* Oldest answered entry goes first when the memory of answers is full. */
static void trim_answered(struct vfioiommu_fault_pump *p)
{
	while (p->answered > PUMP_ANSWERED_MAX) {
		for (size_t i = 0; i < p->nc; i++)
			if (p->c[i].state == C_ANSWERED) {
				p->answered--;
				memmove(&p->c[i], &p->c[i + 1], (p->nc - i - 1) * sizeof(p->c[0]));
				p->nc--;
				break;
			}
	}
}

/*
 * Mark a delivered record's cookie outstanding.  @first says the record starts
 * a group.  The kernel reuses a cookie once its group is answered, by us or
 * by itself (after a detach): a new group on a cookie we still hold means the
 * kernel answered the old group, so the entry now names the new group (its
 * seq range) and late answers for the old one are refused.  Caller holds the lock.
 */
static int deliver(struct vfioiommu_fault_pump *p, uint32_t cookie, uint32_t seq, bool first)
{
	struct cookie_ent *e = find(p, cookie);

	if (e) {
		if (e->state == C_ANSWERED) {
			e->state = C_OUTSTANDING;
			p->answered--;
			p->outstanding++;
		}
		if (first)
			e->first_seq = seq;
		e->last_seq = seq;
		return 0;
	}
	if (p->nc == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct cookie_ent *c = realloc(p->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		p->c = c;
		p->cap = cap;
	}
	p->c[p->nc++] = (struct cookie_ent){ cookie, C_OUTSTANDING, seq, seq };
	p->outstanding++;
	return 0;
}

#define W_STATE (UINT64_C(3) << 48)
#define W_OUT   (UINT64_C(1) << 48)
#define W_ANS   (UINT64_C(2) << 48)

static inline uint32_t w_first(uint64_t w) { return (uint32_t)w; }
static inline uint32_t w_span(uint64_t w) { return (uint32_t)(w >> 32) & 0xffu; }

/*
 * A group on a table cookie: its word names the group's seq range, outstanding.
 * Whatever the word held goes: a reused cookie means the kernel has the old
 * group answered (by us, or by itself after a detach).  span = records - 1
 * (a read takes at most VI_PUMP_BATCH = 256 records, so it fits 8 bits).
 */
static void deliver_direct(struct vfioiommu_fault_pump *p, uint32_t cookie, uint32_t first, uint32_t span)
{
	uint64_t w = (uint64_t)first | (uint64_t)span << 32 | W_OUT;

	/*
	 * RELEASE: pairs with the ACQUIRE load and compare-and-swap in
	 * respond_direct(); a responder that took the record from the ring is
	 * ordered after this anyway (this precedes vi_ring_commit_run()'s
	 * RELEASE store of prod, which the consumer's ACQUIRE of prod pairs with).
	 */
	atomic_store_explicit(&p->direct[cookie], w, memory_order_release);
}

/*
 * restrict: the slot and the record never overlap, so (the build has
 * -fno-strict-aliasing) the stores need not be ordered behind reloads.
 */
static inline void convert(struct vfioiommu_fault *restrict o, const struct kabi_iommu_hwpt_pgfault *restrict k,
			   uint32_t seq)
{
	/* every byte of the slot is written (the ring's reserve contract), in order, unused fields 0 */
	o->kind = VFIOIOMMU_FAULT_PAGE_REQ;
	o->flags = k->flags & (VFIOIOMMU_FAULT_F_PASID_VALID | VFIOIOMMU_FAULT_F_LAST_PAGE);
	o->dev_id = k->dev_id;
	o->pasid = k->pasid;
	o->grpid = k->grpid;
	o->perm = k->perm & 0xfu;
	o->addr = k->addr;
	o->cookie = k->cookie;
	o->seq = seq;
	o->length = k->length;
	o->reason = 0;
	o->lost = 0;
	o->reserved0 = 0;
	o->reserved1 = 0;
}

/* true when the fd still has something pending that a full-size read could not take */
static bool still_pending(struct vfioiommu_fault_pump *p)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	return vi_kpoll(p->ctx, &pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/*
 * A read that returned nothing (0) or failed: 1 read again (the ring's
 * cached room was stale and there is more now), 0 the run is over, or the
 * run's error.  Out of line: the run's fast path stays small.
 */
VI_NOINLINE static int read_nothing(struct vfioiommu_fault_pump *p, ssize_t got, size_t n, int room, bool *refreshed)
{
	const size_t rs = sizeof(struct kabi_iommu_hwpt_pgfault);
	unsigned int cap;

	if (got < 0) {
		if (got == -EAGAIN)
			return 0;
		return vi_fail(p->ctx, (int)got, "fault pump: read of %zu bytes from fault fd %d failed: %s%s",
			       n * rs, p->fd, vi_errno_name((int)got),
			       got == -ESPIPE ? " (the kernel wants a multiple of 40 bytes at offset 0)" : "");
	}
	if (!*refreshed) {
		/* the cached room may be stale: the consumer may have freed more since */
		int fresh = vfioiommu_ring_room(p->ring, PUMP_BATCH);

		*refreshed = true;
		if (fresh > room)
			return 1;
	}
	/* an empty ring that cannot take the next group never will: say so, do not spin */
	cap = vfioiommu_ring_capacity(p->ring);
	if (n == PUMP_BATCH && still_pending(p))
		return vi_fail(p->ctx, -EMSGSIZE, "fault pump: fault fd %d holds a page-request group "
			       "of more than %u records, which no read can take", p->fd, PUMP_BATCH);
	if ((unsigned int)room >= cap && still_pending(p))
		return vi_fail(p->ctx, -EMSGSIZE, "fault pump: fault fd %d holds a page-request group "
			       "of more than the ring's %u records, which it can never take (create a "
			       "bigger ring)", p->fd, cap);
	return 0;
}

/*
 * Track the cookies of records [i0, n) of the n just read and convert them
 * into the ring's slots (slot: the slot of record i0 when fast), then publish
 * all n.  Records before i0 are already converted (by the run's fast loop,
 * which stops at the first cookie outside the table, always at a group's
 * start): p->seq is the seq of record i0.
 */
static int take(struct vfioiommu_fault_pump *p, size_t i0, size_t n, bool fast, uint32_t slot)
{
	const uint32_t size = p->ring->p.size;
	bool locked = false;
	uint32_t gfirst = p->seq;

	for (size_t i = i0; i < n; i++) {
		uint32_t c = p->raw[i].cookie;
		struct vfioiommu_fault *o;

		if (VI_UNLIKELY(c == 0)) {
			if (locked)
				pthread_mutex_unlock(&p->lock);
			return vi_fail(p->ctx, -EPROTO, "fault pump: record %zu of a read from fault fd %d has "
				       "cookie 0 (the kernel's cookies start at 1)", i, p->fd);
		}
		/* a read holds whole groups, each contiguous: a cookie change starts the next one */
		if (i == 0 || p->raw[i - 1].cookie != c)
			gfirst = p->seq;
		if (c < VI_COOKIE_DIRECT) {
			/* the group's word, once its last record of this read is seen */
			if (i + 1 == n || p->raw[i + 1].cookie != c)
				deliver_direct(p, c, gfirst, p->seq - gfirst);
		} else {
			if (!locked) {
				pthread_mutex_lock(&p->lock);
				locked = true;
			}
			if (deliver(p, c, p->seq, gfirst == p->seq) < 0) {
				pthread_mutex_unlock(&p->lock);
				return vi_fail(p->ctx, -ENOMEM, "fault pump: out of memory tracking cookies");
			}
		}
		if (fast) {
			o = vi_ring_slot_ptr(p->ring, slot);
			if (++slot == size)
				slot = 0;
		} else {
			o = p->slot[i];
		}
		convert(o, &p->raw[i], p->seq++);
	}
	if (locked)
		pthread_mutex_unlock(&p->lock);
	/* nothing was visible to the consumer before this */
	if (fast)
		vi_ring_commit_run(p->ring, (uint32_t)n, slot);
	else
		vi_ring_commit(p->ring, (uint32_t)n);
	return 0;
}

VI_NOINLINE static int torn_read(struct vfioiommu_fault_pump *p, size_t n, ssize_t got)
{
	return vi_fail(p->ctx, -EPROTO, "fault pump: read of %zu bytes from fault fd %d returned %zd, "
		       "not a multiple of the 40-byte record", n * sizeof(struct kabi_iommu_hwpt_pgfault), p->fd, got);
}

/*
 * The run in general: a ring without cached room, a full read (more may be
 * queued), a read that returned nothing or failed.  have: the first read was
 * already made by the fast path (got, n records asked for, fast, slot);
 * moved: records the run already published.
 */
VI_NOINLINE static int run_general(struct vfioiommu_fault_pump *p, int moved, bool have, ssize_t got, size_t n,
				   bool fast, uint32_t slot)
{
	const size_t rs = sizeof(struct kabi_iommu_hwpt_pgfault);
	bool refreshed = false;
	int room = (int)n;

	for (;; have = false) {
		size_t k;
		int rc;

		if (!have) {
			/*
			 * The producer's cached room is enough while it lasts (no read of
			 * cons per run); a read that found nothing fitting refreshes it
			 * (read_nothing()) before concluding anything.
			 */
			uint32_t cached = vi_ring_prod_run(p->ring, &slot);

			fast = cached != 0;
			room = fast ? (cached < PUMP_BATCH ? (int)cached : (int)PUMP_BATCH) : vfioiommu_ring_room(p->ring, 1);
			if (VI_UNLIKELY(room <= 0)) {
				if (room == 0)
					return moved;
				return vi_fail(p->ctx, room, "fault pump: the ring is in error: %s",
					       vfioiommu_ring_strerror(p->ring));
			}
			n = (size_t)room < PUMP_BATCH ? (size_t)room : PUMP_BATCH;
			got = vi_kread(p->ctx, p->fd, p->raw, n * rs);
		}
		if (VI_UNLIKELY(got <= 0)) {
			rc = read_nothing(p, got, n, room, &refreshed);
			if (rc == 1)
				continue;
			return rc < 0 ? rc : moved;
		}
		k = (size_t)got / rs;
		if (VI_UNLIKELY(k * rs != (size_t)got || k > n))
			return torn_read(p, n, got);
		/*
		 * Convert straight into the ring's slots (no copy through a
		 * staging array): room was measured before the read and only the
		 * pump produces, so they are all there; nothing is published
		 * before the commit, so an error leaves the ring untouched.
		 */
		if (!fast) {
			rc = vi_ring_reserve_general(p->ring, p->slot, (unsigned int)k);
			if (rc != (int)k)
				return vi_fail(p->ctx, rc < 0 ? rc : -EPROTO, "fault pump: the ring reserved %d of %zu "
					       "records: %s", rc, k, vfioiommu_ring_strerror(p->ring));
		}
		rc = take(p, 0, k, fast, slot);
		if (rc < 0)
			return rc;
		moved += (int)k;
		/*
		 * A short read: the kernel handed over every whole group it had
		 * that fitted.  Reading again would only confirm an empty queue
		 * (a read returning 0, and a poll to tell "empty" from "a group too
		 * large"), two syscalls per run; the fd is level-triggered, so
		 * anything queued meanwhile wakes the caller's poll again.
		 */
		if (k < n)
			return moved;
	}
}

/* The fast loop met a cookie outside the table at record i (a group's start): the general loop from there. */
VI_NOINLINE static int take_rest(struct vfioiommu_fault_pump *p, size_t i, size_t k, uint32_t slot, uint32_t seq)
{
	int rc;

	p->seq = seq;
	rc = take(p, i, k, true, slot);
	return rc < 0 ? rc : (int)k;
}

/*
 * The k records of a short read into the ring's cached room: convert them
 * into the slots, deliver each group's table word, publish.  Apart from the
 * rare take_rest() a leaf, reached by a tail call from the run, so the run
 * keeps only what the read needs across its call.
 */
VI_NOINLINE static int run_convert(struct vfioiommu_fault_pump *p, size_t k)
{
	struct vfioiommu_ring *r = p->ring;
	unsigned char *const recs = r->p.recs;
	const uint32_t size = r->p.size;
	const struct kabi_iommu_hwpt_pgfault *f = p->raw, *const end = p->raw + k;
	uint32_t slot = r->p.slot, seq = p->seq, gfirst = seq;

	for (; f != end; f++) {
		uint32_t c = f->cookie;

		/* cookie 0 (an error) and cookies past the table: the general loop, from this group on */
		if (VI_UNLIKELY(c - 1u >= VI_COOKIE_DIRECT - 1u))
			return take_rest(p, (size_t)(f - p->raw), k, slot, seq);
		convert((struct vfioiommu_fault *)(void *)(recs + (size_t)slot * VI_RING_REC), f, seq);
		/* a read holds whole groups, each contiguous: the group ends where the cookie changes */
		if (f + 1 == end || f[1].cookie != c) {
			deliver_direct(p, c, gfirst, seq - gfirst);
			gfirst = seq + 1;
		}
		seq++;
		if (++slot == size)
			slot = 0;
	}
	p->seq = seq;
	/* nothing was visible to the consumer before this */
	vi_ring_commit_run(r, (uint32_t)k, slot);
	return (int)k;
}

/*
 * One record, the common case of a pump that runs on every wakeup: the same
 * as run_convert() for k = 1 (the record is its own group), straight-line,
 * and a leaf: nothing to keep across a call.
 */
VI_NOINLINE static int run_one(struct vfioiommu_fault_pump *p)
{
	struct vfioiommu_ring *r = p->ring;
	const struct kabi_iommu_hwpt_pgfault *f = p->raw;
	uint32_t c = f->cookie, slot = r->p.slot, seq = p->seq;

	if (VI_UNLIKELY(c - 1u >= VI_COOKIE_DIRECT - 1u))
		return take_rest(p, 0, 1, slot, seq);
	convert((struct vfioiommu_fault *)(void *)(r->p.recs + (size_t)slot * VI_RING_REC), f, seq);
	deliver_direct(p, c, seq, 0);
	p->seq = seq + 1;
	if (++slot == r->p.size)
		slot = 0;
	/* nothing was visible to the consumer before this */
	vi_ring_commit_run(r, 1, slot);
	return 1;
}

/*
 * The common run on its own: the ring's cached room takes the read, the read
 * is short (so the kernel had nothing more that fitted) and every cookie is
 * in the table.  Anything else continues in run_general() or take(), from
 * where this stopped: records already converted are not converted again.
 */
VFIOIOMMU_API int vfioiommu_fault_pump_run(vfioiommu_fault_pump *p)
{
	const size_t rs = sizeof(struct kabi_iommu_hwpt_pgfault);
	uint32_t slot = 0, cached;
	size_t len, k;
	ssize_t got;

	if (VI_UNLIKELY(!p))
		return -EINVAL;
	if (VI_UNLIKELY(p->src != VI_PUMP_FAULT))
		return vi_vevent_pump_run(p);
	cached = vi_ring_prod_run(p->ring, &slot);
	if (VI_UNLIKELY(!cached))
		return run_general(p, 0, false, 0, 0, false, 0);
	len = (cached < PUMP_BATCH ? cached : PUMP_BATCH) * rs;
	got = vi_kread(p->ctx, p->fd, p->raw, len);
	if (VI_UNLIKELY(got <= 0 || (size_t)got >= len))
		return run_general(p, 0, true, got, len / rs, true, p->ring->p.slot);
	/* 0 < got < len <= 256 records: 32 bits do */
	k = (uint32_t)got / (uint32_t)rs;
	if (VI_UNLIKELY(k * rs != (size_t)got))
		return torn_read(p, len / rs, got);
	return k == 1 ? run_one(p) : run_convert(p, k);
}

static int respond(vfioiommu_fault_pump *p, uint32_t cookie, uint32_t code, const uint32_t *seq);

static inline int respond_direct(vfioiommu_fault_pump *p, uint32_t cookie, uint32_t code, const uint32_t *seq);
static inline bool direct_ok(uint32_t cookie, uint32_t code);

VFIOIOMMU_API int vfioiommu_fault_pump_respond(vfioiommu_fault_pump *p, uint32_t cookie, uint32_t code)
{
	return respond(p, cookie, code, NULL);
}

VFIOIOMMU_API int vfioiommu_fault_pump_respond_record(vfioiommu_fault_pump *p, const struct vfioiommu_fault *rec,
						      uint32_t code)
{
	/* the common answer goes straight to the table; anything else through the full checks */
	if (p && rec && rec->kind == VFIOIOMMU_FAULT_PAGE_REQ && direct_ok(rec->cookie, code))
		return respond_direct(p, rec->cookie, code, &rec->seq);
	if (!p)
		return -EINVAL;
	if (!rec)
		return vi_fail(p->ctx, -EINVAL, "fault pump: record is NULL");
	if (rec->kind != VFIOIOMMU_FAULT_PAGE_REQ)
		return vi_fail(p->ctx, -EINVAL, "fault pump: only page requests take a response (record kind %s)",
			       vfioiommu_fault_kind_name(rec->kind));
	return respond(p, rec->cookie, code, &rec->seq);
}

/* Why a table cookie's word w refuses an answer (out of line: the message is the cold part). */
VI_NOINLINE static int direct_refused(vfioiommu_fault_pump *p, uint32_t cookie, uint64_t w, const uint32_t *seq)
{
	if (p->src == VI_PUMP_VEVENT) /* its table stays empty */
		return vi_fail(p->ctx, -EOPNOTSUPP, "vEVENTQ pump: events carry no cookie and take no response "
			       "(cookie %" PRIu32 " refused)", cookie);
	if ((w & W_STATE) != W_OUT)
		return vi_fail(p->ctx, -EINVAL, (w & W_STATE) == W_ANS ?
			       "fault pump: cookie %" PRIu32 " was already answered" :
			       "fault pump: cookie %" PRIu32 " was never delivered by this pump", cookie);
	return vi_fail(p->ctx, -ESTALE, "fault pump: the group of record seq %" PRIu32 " (cookie %" PRIu32
		       ") was answered by the kernel itself; the cookie now names a newer group "
		       "(seq %" PRIu32 "..%" PRIu32 ")", seq ? *seq : 0, cookie, w_first(w), w_first(w) + w_span(w));
}

/* The write of a claimed answer failed (got): undo the claim as the failure says. */
VI_NOINLINE static int direct_write_failed(vfioiommu_fault_pump *p, uint32_t cookie, uint64_t claimed, ssize_t got)
{
	_Atomic uint64_t *slot = &p->direct[cookie];
	const uint64_t w = (claimed & ~W_STATE) | W_OUT; /* the word before the claim */

	if (got == -EINVAL) {
		/*
		 * The kernel answered the group itself (detach, fault object
		 * destroyed): forget the cookie, unless the pump has already put a
		 * newer group on it.  ACQ_REL/ACQUIRE: as the claim in respond_direct().
		 */
		atomic_compare_exchange_strong_explicit(slot, &claimed, 0, memory_order_acq_rel, memory_order_acquire);
		return vi_fail(p->ctx, -EINVAL, "fault pump: the kernel no longer knows cookie %" PRIu32
			       " (its group was answered for us, e.g. when the HWPT was detached)", cookie);
	}
	/* not answered: the group is outstanding again (unless a newer group replaced it); ordering as the claim */
	atomic_compare_exchange_strong_explicit(slot, &claimed, w, memory_order_acq_rel, memory_order_acquire);
	if (got >= 0)
		got = -EIO;
	return vi_fail(p->ctx, (int)got, "fault pump: writing the response for cookie %" PRIu32
		       " to fault fd %d failed: %s", cookie, p->fd, vi_errno_name((int)got));
}

/*
 * A table cookie (1 <= cookie < VI_COOKIE_DIRECT, valid code, a fault-fd
 * pump): claim the word (outstanding -> answered) with a compare-and-swap
 * before the write, so two answers to one group cannot both reach the kernel
 * (the second could complete a newer group on the reused cookie); a failed
 * write gives the claim back.
 */
static inline int respond_direct(vfioiommu_fault_pump *p, uint32_t cookie, uint32_t code, const uint32_t *seq)
{
	struct kabi_iommu_hwpt_page_response r;
	_Atomic uint64_t *slot = &p->direct[cookie];
	/* ACQUIRE: pairs with the RELEASE store in deliver_direct() and the claims/give-backs of other responders */
	uint64_t w = atomic_load_explicit(slot, memory_order_acquire), claimed;
	ssize_t got;

	for (;;) {
		/*
		 * A word's state is exactly one of 0, W_OUT and W_ANS, so the
		 * W_OUT bit alone says outstanding, and the claim flips both bits.
		 * seq runs modulo 2^32: in the group when its distance from the
		 * first record is within the group.
		 */
		if (VI_UNLIKELY(!(w & W_OUT) || (seq && *seq - w_first(w) > w_span(w))))
			return direct_refused(p, cookie, w, seq);
		claimed = w ^ (W_OUT | W_ANS);
		/*
		 * ACQ_REL on success: pairs with the other responders' claims and
		 * give-backs and with deliver_direct()'s RELEASE store; ACQUIRE
		 * on failure, as the load above (w is reloaded and checked again).
		 */
		if (atomic_compare_exchange_weak_explicit(slot, &w, claimed, memory_order_acq_rel,
							  memory_order_acquire))
			break;
	}
	r.cookie = cookie;
	r.code = code;
	got = vi_kwrite(p->ctx, p->fd, &r, sizeof(r));
	if (VI_UNLIKELY(got != (ssize_t)sizeof(r)))
		return direct_write_failed(p, r.cookie, claimed, got);
	return 0;
}

/*
 * The table's cookies with a valid code: what respond_direct() takes (a
 * vEVENTQ pump's table is empty: direct_refused() says what it is).
 */
static inline bool direct_ok(uint32_t cookie, uint32_t code)
{
	return cookie - 1u < VI_COOKIE_DIRECT - 1u && code <= VFIOIOMMU_PAGE_RESP_INVALID;
}

static int respond(vfioiommu_fault_pump *p, uint32_t cookie, uint32_t code, const uint32_t *seq)
{
	struct kabi_iommu_hwpt_page_response r = { .cookie = cookie, .code = code };
	struct cookie_ent *e;
	ssize_t got;

	if (!p)
		return -EINVAL;
	if (p->src == VI_PUMP_VEVENT)
		return vi_fail(p->ctx, -EOPNOTSUPP, "vEVENTQ pump: events carry no cookie and take no response "
			       "(cookie %" PRIu32 " refused)", cookie);
	if (code != VFIOIOMMU_PAGE_RESP_SUCCESS && code != VFIOIOMMU_PAGE_RESP_INVALID)
		return vi_fail(p->ctx, -EINVAL, "fault pump: response code %" PRIu32 " for cookie %" PRIu32
			       " is neither SUCCESS (0) nor INVALID (1)", code, cookie);
	if (direct_ok(cookie, code))
		return respond_direct(p, cookie, code, seq);
	pthread_mutex_lock(&p->lock);
	e = find(p, cookie);
	if (!e || e->state != C_OUTSTANDING) {
		bool twice = e != NULL;
		pthread_mutex_unlock(&p->lock);
		return vi_fail(p->ctx, -EINVAL, twice ?
			       "fault pump: cookie %" PRIu32 " was already answered" :
			       "fault pump: cookie %" PRIu32 " was never delivered by this pump", cookie);
	}
	/* seq runs modulo 2^32: in the group when its distance from the first record is within the group */
	if (seq && *seq - e->first_seq > e->last_seq - e->first_seq) {
		pthread_mutex_unlock(&p->lock);
		return vi_fail(p->ctx, -ESTALE, "fault pump: the group of record seq %" PRIu32 " (cookie %" PRIu32
			       ") was answered by the kernel itself; the cookie now names a newer group "
			       "(seq %" PRIu32 "..%" PRIu32 ")", *seq, cookie, e->first_seq, e->last_seq);
	}
	got = vi_kwrite(p->ctx, p->fd, &r, sizeof(r));
	if (got == (ssize_t)sizeof(r)) {
		e->state = C_ANSWERED;
		p->outstanding--;
		p->answered++;
		trim_answered(p);
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	if (got == -EINVAL) {
		/* the kernel answered the group itself (detach, fault object destroyed) */
		forget(p, e);
		pthread_mutex_unlock(&p->lock);
		return vi_fail(p->ctx, -EINVAL, "fault pump: the kernel no longer knows cookie %" PRIu32
			       " (its group was answered for us, e.g. when the HWPT was detached)", cookie);
	}
	pthread_mutex_unlock(&p->lock);
	if (got >= 0)
		got = -EIO;
	return vi_fail(p->ctx, (int)got, "fault pump: writing the response for cookie %" PRIu32
		       " to fault fd %d failed: %s", cookie, p->fd, vi_errno_name((int)got));
}

VFIOIOMMU_API unsigned int vfioiommu_fault_pump_outstanding(const vfioiommu_fault_pump *p)
{
	unsigned int n;

	if (!p)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&p->lock);
	n = p->outstanding;
	pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
	/*
	 * The table is counted here rather than kept counted on every delivery
	 * and answer (the fast paths): a snapshot, as any count of a queue that
	 * other threads answer.  RELAXED: each word is read for itself; there is
	 * no other data to order with it.
	 */
	for (unsigned int i = 1; i < VI_COOKIE_DIRECT; i++)
		n += (atomic_load_explicit(&p->direct[i], memory_order_relaxed) & W_STATE) == W_OUT;
	return n;
}

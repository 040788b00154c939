/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libFuzzer target: the fault-ring consumer (and producer) attached to memory
 * whose header and records the fuzzer writes, stepping through peek, batch,
 * for-each, advance, copy, push and reserve/commit with header rewrites
 * between the steps, as a hostile process sharing the mapping would do.
 *
 * Input: byte 0 picks the layout and the mapping length; then the initial
 * contents of the mapping; then a stream of operations.  The mapping is an
 * exactly-sized heap block, so any access outside it is an ASan report.
 * Invariants checked (trap on violation): every record pointer (and every
 * reserved slot, which is then written whole) lies inside the record area
 * and on a slot boundary; an error is sticky and comes with a message; counts
 * never exceed the ring size.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu/context.h>
#include <vfioiommu/fault.h>
#include <vfioiommu/ring.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Attached rings only keep a pointer to the system door; nothing here waits on
 * an eventfd, so it is never called and sys.c (with its libraries) stays out. */
const vfioiommu_door *vfioiommu_door_system(void)
{
	return NULL;
}

struct cur {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct cur *c, unsigned int bytes)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < bytes && c->n; i++, c->p++, c->n--)
		v |= (uint32_t)*c->p << (8 * i);
	return v;
}

static unsigned char *g_mem;
static size_t g_len, g_hdr;
static uint32_t g_size;

static void check_rec(const struct vfioiommu_fault *f)
{
	const unsigned char *p = (const unsigned char *)f;
	volatile uint64_t sink = 0;

	if (p < g_mem + g_hdr || p + 64 > g_mem + g_hdr + (size_t)g_size * 64 || (size_t)(p - g_mem - g_hdr) % 64)
		__builtin_trap();
	for (int i = 0; i < 64; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		sink += w;
	}
	(void)sink;
}

static void check_err(vfioiommu_ring *r, int rc)
{
	int e = vfioiommu_ring_error(r);

	if (e != 0 && e != -EPROTO)
		__builtin_trap();
	if (e && vfioiommu_ring_strerror(r)[0] == '\0')
		__builtin_trap();
	if (rc == -EPROTO && !e)
		__builtin_trap();
	if (rc >= 0 && (uint64_t)rc > g_size + 1u && rc != INT32_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cur c = { data, size };
	unsigned int cfg = take(&c, 1);
	unsigned int flags = (cfg & 1) ? VFIOIOMMU_RING_SPLIT : 0;
	size_t offs[4];
	vfioiommu_ring *r = NULL;
	int rc, was_err = 0;

	g_hdr = flags ? VFIOIOMMU_RING_SPLIT_HDR : VFIOIOMMU_RING_COMPAT_HDR;
	/* small mappings keep the fuzzer near the edges; sometimes a record short */
	g_len = g_hdr + 64 * (1 + ((cfg >> 1) & 15)) - ((cfg & 0x80) ? 32 : 0);
	g_mem = aligned_alloc(64, (g_len + 63) / 64 * 64);
	if (!g_mem)
		return 0;
	memset(g_mem, 0, g_len);
	for (size_t i = 0; i < g_len && c.n; i++)
		g_mem[i] = (uint8_t)take(&c, 1);
	if (flags) {
		offs[0] = 8; offs[1] = 128; offs[2] = 256; offs[3] = 384;
	} else {
		offs[0] = 0; offs[1] = 4; offs[2] = 8; offs[3] = 12;
	}
	if (cfg & 0x40) {
		/* a well-formed start now and then, so the steps get past attach */
		unsigned char init[VFIOIOMMU_RING_SPLIT_HDR];
		memcpy(init, g_mem, g_hdr);
		rc = vfioiommu_ring_attach(g_mem, g_len, flags | VFIOIOMMU_RING_INIT, &r);
		if (rc == 0) {
			/* keep the fuzzer's prod/cons so it also starts near the wrap */
			uint32_t pc;
			memcpy(&pc, init + offs[1], 4);
			vfioiommu_ring_destroy(r);
			r = NULL;
			memcpy(g_mem + offs[1], &pc, 4);
			memcpy(g_mem + offs[2], &pc, 4);
		}
	}
	rc = vfioiommu_ring_attach(g_mem, g_len, flags, &r);
	if (rc < 0) {
		if (r || (rc != -EPROTO && rc != -EINVAL) || vfioiommu_ring_strerror(NULL)[0] == '\0')
			__builtin_trap();
		free(g_mem);
		return 0;
	}
	g_size = vfioiommu_ring_capacity(r);
	if ((size_t)g_size * 64 + g_hdr > g_len)
		__builtin_trap();

	while (c.n) {
		unsigned int op = take(&c, 1) % 12;
		const struct vfioiommu_fault *f, *v[40];
		struct vfioiommu_fault recs[8], *w[8];
		unsigned int n, m;

		switch (op) {
		case 0:
			rc = vfioiommu_ring_peek(r, &f);
			if (rc == 0)
				check_rec(f);
			break;
		case 1:
			m = take(&c, 1) % 41;
			rc = vfioiommu_ring_peek_batch(r, v, m);
			for (int i = 0; i < rc; i++)
				check_rec(v[i]);
			if (rc > (int)m)
				__builtin_trap();
			break;
		case 2:
			VFIOIOMMU_RING_FOR_EACH(r, f, n) {
				check_rec(f);
				if (n > g_size)
					__builtin_trap();
			}
			rc = vfioiommu_ring_advance(r, take(&c, 1) & 1 ? n : n / 2);
			break;
		case 3:
			rc = vfioiommu_ring_advance(r, take(&c, 1) % 8);
			break;
		case 4: /* rewrite an index or the size, as another writer of the mapping */
		case 5: {
			uint32_t val = take(&c, 4);
			memcpy(g_mem + offs[take(&c, 1) & 3], &val, 4);
			rc = 0;
			break;
		}
		case 6:
			m = take(&c, 1) % 9;
			rc = vfioiommu_ring_copy(r, recs, m);
			break;
		case 7:
			m = take(&c, 1) % 9;
			memset(recs, 0, sizeof(recs));
			for (unsigned int i = 0; i < m; i++)
				recs[i].kind = take(&c, 1) % 5;
			rc = vfioiommu_ring_push(r, recs, m);
			if (rc > (int)m)
				__builtin_trap();
			break;
		case 8:
			rc = vfioiommu_ring_ready(r);
			break;
		case 10:
			m = take(&c, 1) % 9;
			rc = vfioiommu_ring_reserve(r, w, m);
			if (rc > (int)m)
				__builtin_trap();
			for (int i = 0; i < rc; i++) {
				check_rec(w[i]);
				memset(w[i], 0, sizeof(*w[i]));
				w[i]->kind = take(&c, 1) % 5;
			}
			break;
		case 11:
			rc = vfioiommu_ring_commit(r, take(&c, 1) % 9);
			if (rc != 0 && rc != -EINVAL && rc != -EPROTO)
				__builtin_trap();
			break;
		default:
			rc = vfioiommu_ring_room(r, take(&c, 1));
			break;
		}
		check_err(r, rc);
		if (was_err && vfioiommu_ring_error(r) == 0)
			__builtin_trap();
		was_err = vfioiommu_ring_error(r);
	}
	vfioiommu_ring_destroy(r);
	free(g_mem);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The mock's device DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
 * _STOP, _REPORT) with vfio_main.c's checks as Linux 7.2 applies them to
 * mtty (tests/vm/FACTS.md, "device DMA logging"): no range or more than 256
 * is EINVAL / E2BIG, a range not aligned to the page size (the kernel's
 * mask test) or overlapping another is EINVAL, one that wraps is
 * EOVERFLOW; START again replaces the ranges; REPORT needs a power-of-two
 * page size of at least 4 KiB, only sets bits, and clears what it reported;
 * REPORT with logging off reports nothing.
 *
 * What the device wrote comes from the test: vfioiommu_mock_device_dirty()
 * records the 4 KiB pages of a write that fall in the logged ranges.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kabi/kabi.h"
#include "mock.h"

#define DL_PAGE 4096ull
#define DL_MAX_MARKS (1u << 20)

struct dl_state {
	bool on;
	struct kabi_vfio_dma_logging_range r[KABI_DMA_LOGGING_MAX_RANGES];
	uint32_t n;
	uint64_t *marks; /* sorted 4 KiB-aligned IOVAs written while logging */
	size_t nmarks, cap;
};

static struct dl_state *dl(struct vm_device *d, bool create)
{
	if (!d->dma_log_state && create)
		d->dma_log_state = calloc(1, sizeof(struct dl_state));
	return d->dma_log_state;
}

void vm_dirty_log_forget(struct vm_device *d)
{
	struct dl_state *s = d->dma_log_state;

	if (s)
		free(s->marks);
	free(s);
	d->dma_log_state = NULL;
}

static int check(uint32_t flags, uint32_t argsz, uint32_t ops, size_t minsz)
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

static int start(struct vm_device *d, struct kabi_vfio_feature_dma_logging_control *c)
{
	const struct kabi_vfio_dma_logging_range *u = (const void *)(uintptr_t)c->ranges;
	struct dl_state *s;
	uint32_t n = c->num_ranges;

	if (!n)
		return -EINVAL;
	if (n > KABI_DMA_LOGGING_MAX_RANGES)
		return -E2BIG;
	if (!u)
		return -EFAULT;
	for (uint32_t i = 0; i < n; i++) {
		/* IS_ALIGNED() is a mask test: with a page size that is no power of two it refuses odd values */
		if ((u[i].iova & (c->page_size - 1)) || (u[i].length & (c->page_size - 1)))
			return -EINVAL;
		if (u[i].iova + u[i].length < u[i].iova)
			return -EOVERFLOW;
		for (uint32_t j = 0; j < i; j++)
			if (u[i].iova <= u[j].iova + u[j].length - 1 && u[j].iova <= u[i].iova + u[i].length - 1)
				return -EINVAL;
	}
	if (!(s = dl(d, true)))
		return -ENOMEM;
	memcpy(s->r, u, n * sizeof(*u));
	s->n = n;
	s->on = true;
	return 0; /* mtty keeps the page size it was given */
}

static int report(struct vm_device *d, struct kabi_vfio_feature_dma_logging_report *r)
{
	struct dl_state *s = dl(d, false);
	uint64_t *bm = (uint64_t *)(uintptr_t)r->bitmap;
	size_t k = 0;

	if (r->page_size < DL_PAGE || (r->page_size & (r->page_size - 1)))
		return -EINVAL;
	if (r->iova + r->length < r->iova)
		return -EOVERFLOW;
	if (!s || !s->on || !r->length)
		return 0;
	for (size_t i = 0; i < s->nmarks; i++) {
		uint64_t pg = s->marks[i];
		if (pg + DL_PAGE - 1 < r->iova || pg > r->iova + r->length - 1) {
			s->marks[k++] = pg; /* not reported: stays dirty */
			continue;
		}
		if (!bm)
			return -EFAULT;
		for (uint64_t a = pg < r->iova ? r->iova : pg; a < pg + DL_PAGE && a <= r->iova + r->length - 1;
		     a += r->page_size < DL_PAGE ? r->page_size : DL_PAGE) {
			uint64_t bit = (a - r->iova) / r->page_size;
			bm[bit / 64] |= 1ull << (bit % 64);
		}
	}
	s->nmarks = k;
	return 0;
}

int vm_dirty_log_feature(struct vfioiommu_mock *m, struct vm_device *d, void *arg)
{
	uint32_t *hdr = arg;
	uint32_t flags = hdr[1];
	struct dl_state *s;
	int rc;

	(void)m;
	if (!d->dma_log)
		return -ENOTTY;
	switch (flags & KABI_VFIO_DEVICE_FEATURE_MASK) {
	case KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		if ((rc = check(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_SET, 24)) != 1)
			return rc;
		return start(d, arg);
	case KABI_VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		if ((rc = check(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_SET, 0)) != 1)
			return rc;
		if ((s = dl(d, false))) {
			s->on = false;
			s->nmarks = 0;
		}
		return 0;
	default:
		if ((rc = check(flags, hdr[0], KABI_VFIO_DEVICE_FEATURE_GET, 32)) != 1)
			return rc;
		return report(d, arg);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool logged(const struct dl_state *s, uint64_t pg)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (pg + DL_PAGE - 1 >= s->r[i].iova && pg <= s->r[i].iova + s->r[i].length - 1)
			return true;
	return false;
}

VFIOIOMMU_API int vfioiommu_mock_device_dirty(vfioiommu_mock *m, const char *dev, uint64_t iova, uint64_t length)
{
	struct vm_device *d;
	struct dl_state *s;
	int rc = 0;

	if (!m || !dev || !length || iova + length - 1 < iova)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	d = vm_device_find(m, dev);
	if (!d)
		rc = -ENOENT;
	else if (!d->dma_log)
		rc = -EOPNOTSUPP;
	else if ((s = dl(d, false)) && s->on) {
		uint64_t first = iova & ~(DL_PAGE - 1), last = (iova + length - 1) & ~(DL_PAGE - 1);
		for (uint64_t pg = first; rc >= 0; pg += DL_PAGE) {
			if (logged(s, pg)) {
				if (s->nmarks == s->cap) {
					size_t cap = s->cap ? s->cap * 2 : 64;
					uint64_t *n = cap <= DL_MAX_MARKS ? realloc(s->marks, cap * sizeof(*n)) : NULL;
					if (!n) {
						rc = cap <= DL_MAX_MARKS ? -ENOMEM : -E2BIG;
						break;
					}
					s->marks = n;
					s->cap = cap;
				}
				s->marks[s->nmarks++] = pg;
				rc++;
			}
			if (pg == last)
				break;
		}
		if (s->nmarks) {
			size_t k = 1;
			qsort(s->marks, s->nmarks, sizeof(*s->marks), cmp_u64);
			for (size_t i = 1; i < s->nmarks; i++)
				if (s->marks[i] != s->marks[k - 1])
					s->marks[k++] = s->marks[i];
			s->nmarks = k;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

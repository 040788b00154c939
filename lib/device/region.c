/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Region I/O through the device fd and region mmaps.  An mmap is allowed only
 * where the kernel says so: the MMAP flag, and with SPARSE_MMAP only inside
 * one of the areas (the rest, typically the MSI-X table, must go through
 * pread/pwrite so the kernel can virtualise it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device.h"
#include "internal.h"
#include "kabi/kabi.h"

/* A device that keeps answering EINTR or 0-byte progress is broken; stop rather than spin. */
#define VI_IO_MAX_STALLS 16

static int range_check(struct vfioiommu_device *dev, uint32_t index, const struct vi_region *r, uint64_t off,
		       size_t len, const char *what)
{
	if (off > r->size || len > r->size - off)
		return vi_fail(dev->ctx, -EINVAL, "%s region %" PRIu32 ": %s of %zu bytes at 0x%" PRIx64
			       " runs past the end of the 0x%" PRIx64 "-byte region", dev->bdf, index, what, len, off,
			       r->size);
	if (r->offset > INT64_MAX || r->offset + off > (uint64_t)INT64_MAX - len)
		return vi_fail(dev->ctx, -EPROTO, "%s region %" PRIu32 ": file offset 0x%" PRIx64
			       " does not fit a signed 64-bit offset", dev->bdf, index, r->offset);
	return 0;
}

static int region_io(struct vfioiommu_device *dev, uint32_t index, uint64_t off, void *buf, size_t len,
		     bool write)
{
	const char *what = write ? "write" : "read";
	struct vi_region r;
	size_t done = 0;
	unsigned int stalls = 0;
	int rc;

	if (!dev)
		return -EINVAL;
	if (!buf && len)
		return vi_fail(dev->ctx, -EINVAL, "vfioiommu_region_%s: NULL buffer", what);
	rc = vi_dev_region_copy(dev, index, &r);
	if (rc < 0)
		return rc;
	if (!(r.kflags & (write ? KABI_VFIO_REGION_INFO_FLAG_WRITE : KABI_VFIO_REGION_INFO_FLAG_READ)))
		return vi_fail(dev->ctx, -EACCES, "%s region %" PRIu32 "%s%s%s is not %s (region flags 0x%" PRIx32 ")",
			       dev->bdf, index, vfioiommu_pci_region_name(index) ? " (" : "",
			       vfioiommu_pci_region_name(index) ? vfioiommu_pci_region_name(index) : "",
			       vfioiommu_pci_region_name(index) ? ")" : "", write ? "writable" : "readable", r.kflags);
	rc = range_check(dev, index, &r, off, len, what);
	if (rc < 0)
		return rc;
	while (done < len) {
		int64_t pos = (int64_t)(r.offset + off + done);
		ssize_t n = write ? vi_kpwrite(dev->ctx, dev->fd, (const uint8_t *)buf + done, len - done, pos)
				  : vi_kpread(dev->ctx, dev->fd, (uint8_t *)buf + done, len - done, pos);

		if (n == -EINTR || n == -EAGAIN || n == 0) {
			if (++stalls <= VI_IO_MAX_STALLS && n != 0)
				continue;
			if (n == 0)
				return vi_fail(dev->ctx, -EIO, "%s region %" PRIu32 ": %s at 0x%" PRIx64
					       " moved 0 bytes after %zu of %zu", dev->bdf, index, what, off + done,
					       done, len);
			return vi_fail(dev->ctx, (int)n, "%s region %" PRIu32 ": %s at 0x%" PRIx64 " kept failing with %s",
				       dev->bdf, index, what, off + done, vi_errno_name((int)n));
		}
		if (n < 0)
			return vi_fail(dev->ctx, (int)n, "%s region %" PRIu32 ": %s of %zu bytes at 0x%" PRIx64
				       " failed: %s", dev->bdf, index, what, len - done, off + done,
				       vi_errno_name((int)n));
		if ((size_t)n > len - done)
			return vi_fail(dev->ctx, -EPROTO, "%s region %" PRIu32 ": the kernel claims %zd bytes for a %zu-byte %s",
				       dev->bdf, index, n, len - done, what);
		done += (size_t)n;
	}
	return 0;
}

VFIOIOMMU_API int vfioiommu_region_read(vfioiommu_device *dev, uint32_t index, uint64_t off, void *buf,
					size_t len)
{
	return region_io(dev, index, off, buf, len, false);
}

VFIOIOMMU_API int vfioiommu_region_write(vfioiommu_device *dev, uint32_t index, uint64_t off,
					 const void *buf, size_t len)
{
	return region_io(dev, index, off, (void *)(uintptr_t)buf, len, true);
}

/* ---------------- mmap ---------------- */

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

/* "[0x0, 0x2000) [0x3000, 0x4000)" */
static void areas_str(const struct vi_region *r, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!r->sparse) {
		snprintf(buf, n, "[0x0, 0x%" PRIx64 ")", r->size);
		return;
	}
	if (!r->nr_areas)
		snprintf(buf, n, "none (SPARSE_MMAP with no areas)");
	for (uint32_t i = 0; i < r->nr_areas && used < n; i++) {
		int k = snprintf(buf + used, n - used, "%s[0x%" PRIx64 ", 0x%" PRIx64 ")", i ? " " : "",
				 r->areas[i].offset, r->areas[i].offset + r->areas[i].size);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* [off, off + len) inside one mappable area (page-rounded: the kernel maps whole pages) */
static bool in_area(const struct vi_region *r, uint64_t off, uint64_t len, uint64_t pg)
{
	if (!r->sparse) {
		uint64_t end = (r->size + pg - 1) & ~(pg - 1);
		return off < end && len <= end - off;
	}
	for (uint32_t i = 0; i < r->nr_areas; i++) {
		const struct vfioiommu_region_area *a = &r->areas[i];
		uint64_t end = a->offset + a->size;

		/* areas are meant to be page aligned; round the end up as the kernel maps whole pages */
		end = (end + pg - 1) & ~(pg - 1);
		if (off >= a->offset && off < end && len <= end - off)
			return true;
	}
	return false;
}

VFIOIOMMU_API int vfioiommu_region_mmap(vfioiommu_device *dev, uint32_t index, uint64_t off, uint64_t len,
					uint32_t prot, void **addr)
{
	struct vfioiommu_ctx *ctx;
	const struct vi_region *r;
	uint64_t pg = page_size(), mlen;
	struct vi_map *m = NULL;
	char areas[256];
	int rc, kprot = 0, err = 0;
	void *p;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	if (!addr)
		return vi_fail(ctx, -EINVAL, "vfioiommu_region_mmap: addr is NULL");
	*addr = NULL;
	if (!len || (off & (pg - 1)))
		return vi_fail(ctx, -EINVAL, "vfioiommu_region_mmap: offset 0x%" PRIx64 " must be a multiple of the "
			       "0x%" PRIx64 "-byte page and the length (0x%" PRIx64 ") non-zero", off, pg, len);
	if (prot & ~(uint32_t)(VFIOIOMMU_MAP_READ | VFIOIOMMU_MAP_WRITE))
		return vi_fail(ctx, -EINVAL, "vfioiommu_region_mmap: unknown prot bits 0x%" PRIx32, prot);
	mlen = len > UINT64_MAX - (pg - 1) ? 0 : (len + pg - 1) & ~(pg - 1);
	pthread_mutex_lock(&ctx->lock);
	rc = vi_dev_region_locked(dev, index, &r);
	if (rc < 0)
		goto out;
	if (!(r->kflags & KABI_VFIO_REGION_INFO_FLAG_MMAP) || !r->size) {
		rc = vi_fail(ctx, -EOPNOTSUPP, "%s region %" PRIu32 "%s%s%s cannot be mmapped: %s", dev->bdf, index,
			     vfioiommu_pci_region_name(index) ? " (" : "",
			     vfioiommu_pci_region_name(index) ? vfioiommu_pci_region_name(index) : "",
			     vfioiommu_pci_region_name(index) ? ")" : "",
			     !r->size ? "it is empty" : "the kernel does not set MMAP (an I/O port BAR, config space or "
			     "a region the kernel virtualises): use vfioiommu_region_read/write");
		goto out;
	}
	if (!prot)
		prot = VFIOIOMMU_MAP_READ | ((r->kflags & KABI_VFIO_REGION_INFO_FLAG_WRITE) ? VFIOIOMMU_MAP_WRITE : 0);
	if (((prot & VFIOIOMMU_MAP_READ) && !(r->kflags & KABI_VFIO_REGION_INFO_FLAG_READ)) ||
	    ((prot & VFIOIOMMU_MAP_WRITE) && !(r->kflags & KABI_VFIO_REGION_INFO_FLAG_WRITE))) {
		rc = vi_fail(ctx, -EACCES, "%s region %" PRIu32 ": mmap asks for %s%s access but the region flags are 0x%"
			     PRIx32, dev->bdf, index, (prot & VFIOIOMMU_MAP_READ) ? "read" : "",
			     (prot & VFIOIOMMU_MAP_WRITE) ? " write" : "", r->kflags);
		goto out;
	}
	if (!mlen || !in_area(r, off, mlen, pg)) {
		areas_str(r, areas, sizeof(areas));
		rc = vi_fail(ctx, -ERANGE, "%s region %" PRIu32 "%s: mmap of [0x%" PRIx64 ", +0x%" PRIx64 ") is not inside "
			     "one area the kernel allows to be mapped; allowed: %s", dev->bdf, index,
			     r->sparse ? " (SPARSE_MMAP)" : "", off, len, areas);
		goto out;
	}
	if (r->offset > (uint64_t)INT64_MAX - off) {
		rc = vi_fail(ctx, -EPROTO, "%s region %" PRIu32 ": file offset 0x%" PRIx64 " is too large", dev->bdf,
			     index, r->offset);
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = vi_fail(ctx, -ENOMEM, "out of memory");
		goto out;
	}
	if (prot & VFIOIOMMU_MAP_READ)
		kprot |= PROT_READ;
	if (prot & VFIOIOMMU_MAP_WRITE)
		kprot |= PROT_WRITE;
	p = vi_kmmap(ctx, NULL, (size_t)mlen, kprot, MAP_SHARED, dev->fd, (int64_t)(r->offset + off), &err);
	if (!p || p == MAP_FAILED) {
		free(m);
		rc = vi_fail(ctx, err < 0 ? err : -EIO, "%s region %" PRIu32 ": mmap of 0x%" PRIx64 " bytes at 0x%" PRIx64
			     " failed: %s", dev->bdf, index, mlen, off, vi_errno_name(err < 0 ? err : -EIO));
		goto out;
	}
	m->addr = p;
	m->len = (size_t)mlen;
	m->index = index;
	m->off = off;
	m->next = dev->ds->maps;
	dev->ds->maps = m;
	*addr = p;
	rc = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

void *vi_region_mapped(struct vfioiommu_device *dev, uint32_t index, uint64_t off, uint64_t len)
{
	void *p = NULL;

	pthread_mutex_lock(&dev->ctx->lock);
	for (struct vi_map *m = dev->ds ? dev->ds->maps : NULL; m && !p; m = m->next)
		if (m->index == index && off >= m->off && len <= m->len && off - m->off <= m->len - len)
			p = (char *)m->addr + (off - m->off);
	pthread_mutex_unlock(&dev->ctx->lock);
	return p;
}

VFIOIOMMU_API int vfioiommu_region_munmap(vfioiommu_device *dev, void *addr)
{
	struct vi_map **pp, *m = NULL;
	uint32_t index;
	int rc;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->ctx->lock);
	for (pp = dev->ds ? &dev->ds->maps : NULL; pp && *pp; pp = &(*pp)->next) {
		if ((*pp)->addr == addr) {
			m = *pp;
			*pp = m->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->ctx->lock);
	if (!m)
		return vi_fail(dev->ctx, -ENOENT, "%s: %p is not a mapping made by vfioiommu_region_mmap on this device",
			       dev->bdf, addr);
	index = m->index;
	/*
	 * munmap of a whole mapping we made can only fail for reasons a retry
	 * does not cure (EINVAL, ENOMEM splitting a VMA it does not split): the
	 * mapping is forgotten either way and the error reported.
	 */
	rc = vi_kmunmap(dev->ctx, m->addr, m->len);
	free(m);
	if (rc < 0)
		return vi_fail(dev->ctx, rc, "%s: munmap of region %" PRIu32 " at %p failed: %s", dev->bdf, index,
			       addr, vi_errno_name(rc));
	return 0;
}

void vi_maps_free_locked(struct vfioiommu_device *dev)
{
	struct vi_map *m;

	while (dev->ds && (m = dev->ds->maps)) {
		dev->ds->maps = m->next;
		/* teardown has nobody to report to */
		vi_kmunmap(dev->ctx, m->addr, m->len);
		free(m);
	}
}

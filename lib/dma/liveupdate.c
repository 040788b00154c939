/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Live update (vfioiommu/liveupdate.h): type1's process addresses dropped
 * and given again, and the mapping table carried to another process as a
 * blob.  Slow paths: each takes ctx->lock and the DMA lock for its whole run.
 *
 * The blob is little more than the table: a header, then one entry per
 * mapping in IOVA order.  It is read as if hostile (it crossed a process
 * boundary): every field is checked before anything is recorded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vfioiommu/liveupdate.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "dma_lu.h"

#define LU_MAGIC 0x554c4956u /* "VILU" read as little-endian bytes */
#define LU_BE_CONTAINER 1u
#define LU_BE_IOMMUFD 2u
#define LU_FILE 1u
#define LU_VA_INVALID 2u

struct lu_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t backend;
	uint32_t hdr_size;   /* sizeof(struct lu_hdr) */
	uint32_t entry_size; /* sizeof(struct lu_entry) */
	uint64_t size;       /* the whole blob */
	uint32_t count;
	uint32_t csum;       /* FNV-1a of the blob with this field 0 */
};

struct lu_entry {
	uint64_t iova, len, vaddr;
	uint32_t prot, flags;
};

_Static_assert(sizeof(struct lu_hdr) == 32, "blob header layout");
_Static_assert(sizeof(struct lu_entry) == 32, "blob entry layout");

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t blob_csum(const struct lu_hdr *h, const void *entries, size_t n)
{
	struct lu_hdr z = *h;

	z.csum = 0;
	return fnv1a(fnv1a(2166136261u, &z, sizeof(z)), entries, n);
}

static unsigned int be_code(struct vfioiommu_ctx *ctx)
{
	return ctx->be == &vi_container_ops ? LU_BE_CONTAINER : LU_BE_IOMMUFD;
}

static const char *be_text(unsigned int code)
{
	return code == LU_BE_CONTAINER ? "a VFIO container" : code == LU_BE_IOMMUFD ? "iommufd" : "an unknown backend";
}

static struct vi_mapping *first(struct vi_dma_table *t)
{
	return vi_tab_lower(t, 0);
}

/* ---------------- type1 process addresses ---------------- */

VFIOIOMMU_API int vfioiommu_dma_vaddr_invalidate(vfioiommu_ctx *ctx)
{
	struct vi_dma_table *t;
	struct vi_mapping *m;
	uint64_t bytes = 0, want = 0;
	int rc;

	if (!ctx)
		return -EINVAL;
	t = vi_dma_begin(ctx, true, &rc);
	if (!t)
		return rc;
	if (ctx->be != &vi_container_ops) {
		rc = vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_dma_vaddr_invalidate: an iommufd IOAS has no process "
			     "addresses to drop; the new process calls vfioiommu_ctx_change_process()");
		goto out;
	}
	for (m = first(t); m; m = vi_tab_next(t, m)) {
		if (m->va_invalid) {
			rc = vi_fail(ctx, -EBUSY, "vfioiommu_dma_vaddr_invalidate: the mapping at IOVA 0x%" PRIx64
				     " has no process address already: give them back with "
				     "vfioiommu_dma_vaddr_rebase() first", m->at.start);
			goto out;
		}
		want += vi_map_len(m);
	}
	rc = vi_container_vaddr_supported(ctx);
	if (rc == 0)
		rc = vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_dma_vaddr_invalidate: the kernel does not offer "
			     "VFIO_UPDATE_VADDR on this container (before Linux 5.12, no IOMMU set yet, or a "
			     "mediated device's group in it)");
	else if (rc < 0)
		rc = vi_fail(ctx, rc, "vfioiommu_dma_vaddr_invalidate: CHECK_EXTENSION(VFIO_UPDATE_VADDR) failed (%s)",
			     vi_errno_name(rc));
	if (rc < 0)
		goto out;
	rc = vi_container_vaddr_invalidate(ctx, &bytes);
	if (rc < 0) {
		rc = vi_fail(ctx, rc, "vfioiommu_dma_vaddr_invalidate: the kernel refused to drop the process "
			     "addresses (%s)", vi_errno_name(rc));
		goto out;
	}
	for (m = first(t); m; m = vi_tab_next(t, m))
		if (!m->file)
			m->va_invalid = true;
	vi_container_set_handed_over(ctx, true);
	/* more is fine (mappings made behind the library's back); less means ours are not all there */
	if (bytes < want)
		rc = vi_fail(ctx, -EIO, "vfioiommu_dma_vaddr_invalidate: the kernel covered 0x%" PRIx64
			     " bytes, the library's mappings are 0x%" PRIx64 ": mappings were changed behind its back",
			     bytes, want);
out:
	vi_dma_end(ctx, true);
	return rc;
}

VFIOIOMMU_API int vfioiommu_dma_vaddr_rebase(vfioiommu_ctx *ctx, uint64_t old_vaddr, uint64_t len,
					     void *new_vaddr, size_t *count)
{
	uint64_t last = old_vaddr + (len - 1), nva = (uint64_t)(uintptr_t)new_vaddr;
	struct vi_dma_table *t;
	struct vi_mapping *m;
	size_t todo = 0, done = 0;
	int rc = 0;

	if (count)
		*count = 0;
	if (!ctx)
		return -EINVAL;
	if (len == 0 || last < old_vaddr || nva + (len - 1) < nva)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_vaddr_rebase: bad range 0x%" PRIx64 "+0x%" PRIx64
			       " -> %p", old_vaddr, len, new_vaddr);
	t = vi_dma_begin(ctx, true, &rc);
	if (!t)
		return rc;
	if (ctx->be != &vi_container_ops) {
		rc = vi_fail(ctx, -EOPNOTSUPP, "vfioiommu_dma_vaddr_rebase: only a VFIO container's mappings have "
			     "process addresses to give; on iommufd call vfioiommu_ctx_change_process()");
		goto out;
	}
	/* every check before the first kernel call */
	for (m = first(t); m; m = vi_tab_next(t, m)) {
		uint64_t mlast = m->vaddr + (vi_map_len(m) - 1);

		if (m->file || !m->va_invalid || mlast < old_vaddr || m->vaddr > last)
			continue;
		if (m->vaddr < old_vaddr || mlast > last) {
			rc = vi_fail(ctx, -EINVAL, "vfioiommu_dma_vaddr_rebase: the mapping at IOVA 0x%" PRIx64
				     " (process address 0x%" PRIx64 "+0x%" PRIx64 ") straddles an end of 0x%" PRIx64
				     "+0x%" PRIx64 ": name a range that holds it whole", m->at.start, m->vaddr,
				     vi_map_len(m), old_vaddr, len);
			goto out;
		}
		todo++;
	}
	if (!todo) {
		rc = vi_fail(ctx, -ENOENT, "vfioiommu_dma_vaddr_rebase: no mapping without a process address lies "
			     "in 0x%" PRIx64 "+0x%" PRIx64, old_vaddr, len);
		goto out;
	}
	for (m = first(t); m; m = vi_tab_next(t, m)) {
		uint64_t va = nva + (m->vaddr - old_vaddr);

		if (m->file || !m->va_invalid || m->vaddr < old_vaddr || m->vaddr > last)
			continue;
		rc = vi_container_vaddr_update(ctx, m->at.start, vi_map_len(m), va);
		if (rc == -ENOENT || rc == -EINVAL) {
			/*
			 * FACTS n: MAP(VADDR) is ENOENT where the container has no mapping and EINVAL
			 * where its mapping has another size or still has an address: the imported
			 * table does not describe this container (another context's blob, or the
			 * mapping was changed behind the library's back).
			 */
			rc = vi_fail(ctx, rc, "vfioiommu_dma_vaddr_rebase: the container %s at IOVA 0x%" PRIx64 "+0x%"
				     PRIx64 " (%s): the imported table does not describe this container (a blob from "
				     "another context?); %zu of %zu done", rc == -ENOENT ? "has no mapping" :
				     "has no invalidated mapping of that size", m->at.start, vi_map_len(m),
				     vi_errno_name(rc), done, todo);
			break;
		}
		if (rc < 0) {
			rc = vi_fail(ctx, rc, "vfioiommu_dma_vaddr_rebase: the kernel refused process address 0x%" PRIx64
				     " for the mapping at IOVA 0x%" PRIx64 " (%s; %zu of %zu done, a repeated call "
				     "goes on from there)", va, m->at.start, vi_errno_name(rc), done, todo);
			break;
		}
		vi_dma_set_vaddr(ctx, m, va);
		m->va_invalid = false;
		done++;
	}
	if (count)
		*count = done;
	/* every address back: this process keeps the container, closing it detaches as usual */
	for (m = first(t); m && !m->va_invalid; m = vi_tab_next(t, m))
		;
	if (!m)
		vi_container_set_handed_over(ctx, false);
out:
	vi_dma_end(ctx, true);
	return rc;
}

/* ---------------- the table as a blob ---------------- */

VFIOIOMMU_API int vfioiommu_dma_export(vfioiommu_ctx *ctx, void *buf, size_t size, size_t *needed)
{
	struct vi_dma_table *t;
	struct vi_mapping *m;
	struct lu_hdr h;
	size_t need, i = 0;
	int rc = 0;

	if (!ctx)
		return -EINVAL;
	if (!needed || (!buf && size))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_export: needed is NULL, or buf is NULL with size %zu", size);
	*needed = 0;
	t = vi_dma_begin(ctx, true, &rc);
	if (!t)
		return rc;
	if (t->n > UINT32_MAX) {
		rc = vi_fail(ctx, -EOVERFLOW, "vfioiommu_dma_export: %zu mappings do not fit a blob", t->n);
		goto out;
	}
	if (ctx->be == &vi_container_ops) {
		for (m = first(t); m; m = vi_tab_next(t, m)) {
			if (!m->file && !m->va_invalid) {
				rc = vi_fail(ctx, -EBUSY, "vfioiommu_dma_export: the mapping at IOVA 0x%" PRIx64 " still has "
					     "this process's address: call vfioiommu_dma_vaddr_invalidate() before the "
					     "hand-over", m->at.start);
				goto out;
			}
		}
	}
	need = sizeof(h) + t->n * sizeof(struct lu_entry);
	*needed = need;
	if (size < need) {
		rc = vi_fail(ctx, -ENOSPC, "vfioiommu_dma_export: the blob needs %zu bytes, %zu given", need, size);
		goto out;
	}
	h = (struct lu_hdr){
		.magic = LU_MAGIC, .version = VFIOIOMMU_DMA_BLOB_VERSION, .backend = (uint16_t)be_code(ctx),
		.hdr_size = sizeof(h), .entry_size = sizeof(struct lu_entry), .size = need, .count = (uint32_t)t->n,
	};
	for (m = first(t); m; m = vi_tab_next(t, m), i++) {
		struct lu_entry e = {
			.iova = m->at.start, .len = vi_map_len(m), .vaddr = m->vaddr, .prot = m->prot,
			.flags = (m->file ? LU_FILE : 0) | (m->va_invalid ? LU_VA_INVALID : 0),
		};
		memcpy((char *)buf + sizeof(h) + i * sizeof(e), &e, sizeof(e));
	}
	h.csum = blob_csum(&h, (char *)buf + sizeof(h), need - sizeof(h));
	memcpy(buf, &h, sizeof(h));
out:
	vi_dma_end(ctx, true);
	return rc;
}

/* Check the blob whole before anything is recorded. */
static int blob_check(struct vfioiommu_ctx *ctx, const void *blob, size_t size, struct lu_hdr *h)
{
	const char *p = blob;
	uint64_t prev_last = 0;

	if (size < sizeof(*h))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: %zu bytes are not a blob (truncated: the header "
			       "alone is %zu)", size, sizeof(*h));
	memcpy(h, blob, sizeof(*h));
	if (h->magic != LU_MAGIC)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: not a blob of vfioiommu_dma_export() (magic 0x%x)",
			       h->magic);
	if (h->version != VFIOIOMMU_DMA_BLOB_VERSION)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: blob version %u, this library reads version %u: "
			       "hand over between processes running the same library version", h->version,
			       VFIOIOMMU_DMA_BLOB_VERSION);
	if (h->hdr_size != sizeof(*h) || h->entry_size != sizeof(struct lu_entry) ||
	    h->size != sizeof(*h) + (uint64_t)h->count * sizeof(struct lu_entry))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: the blob's sizes do not add up (header %u, entry "
			       "%u, %u entries, size %" PRIu64 ")", h->hdr_size, h->entry_size, h->count, h->size);
	if (h->size != size)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: the blob says %" PRIu64 " bytes, %zu were given%s",
			       h->size, size, size < h->size ? " (truncated)" : "");
	if (blob_csum(h, p + sizeof(*h), size - sizeof(*h)) != h->csum)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: the blob's checksum does not match: it was altered");
	if (h->backend != be_code(ctx))
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: the blob comes from %s, this context uses %s: "
			       "import it into a context that adopted the same fd", be_text(h->backend),
			       be_text(be_code(ctx)));
	for (uint32_t i = 0; i < h->count; i++) {
		struct lu_entry e;

		memcpy(&e, p + sizeof(*h) + (size_t)i * sizeof(e), sizeof(e));
		if (!e.len || e.iova + (e.len - 1) < e.iova || (i && e.iova <= prev_last) ||
		    (e.prot & ~(uint32_t)(VI_PROT_READ | VI_PROT_WRITE)) ||
		    (e.flags & ~(uint32_t)(LU_FILE | LU_VA_INVALID)))
			return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: entry %u (IOVA 0x%" PRIx64 "+0x%" PRIx64
				       ") is bad or overlaps the one before", i, e.iova, e.len);
		prev_last = e.iova + (e.len - 1);
	}
	return 0;
}

VFIOIOMMU_API int vfioiommu_dma_import(vfioiommu_ctx *ctx, const void *blob, size_t size)
{
	struct vi_dma_table *t;
	struct lu_hdr h;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (!blob)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_import: blob is NULL");
	t = vi_dma_begin(ctx, true, &rc);
	if (!t)
		return rc;
	if (t->n) {
		rc = vi_fail(ctx, -EBUSY, "vfioiommu_dma_import: the context holds %zu mappings already: import into "
			     "the context that adopted the fd, before mapping anything", t->n);
		goto out;
	}
	rc = blob_check(ctx, blob, size, &h);
	if (rc == 0)
		rc = vi_dma_reserve(ctx, h.count);
	if (rc < 0)
		goto out;
	for (uint32_t i = 0; i < h.count; i++) {
		struct lu_entry e;

		memcpy(&e, (const char *)blob + sizeof(h) + (size_t)i * sizeof(e), sizeof(e));
		vi_dma_add(ctx, e.iova, e.len, (e.flags & LU_FILE) ? 0 : e.vaddr, e.prot, e.flags & LU_FILE,
			   (e.flags & LU_VA_INVALID) != 0);
	}
out:
	vi_dma_end(ctx, true);
	return rc;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reserved regions without the kernel: the sysfs text parser, sets merged by
 * the kernel's rule, the usable IOVA space they leave, and the comparison with
 * what the kernel reports.  The parser reads untrusted text (a captured tree,
 * a hostile mock, a fuzzer): it never reads past len and never trusts a NUL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova_build.h"
#include "resv.h"

struct vfioiommu_resv_set {
	size_t n;
	struct vfioiommu_resv_region *r;
};

VFIOIOMMU_API const char *vfioiommu_resv_type_name(enum vfioiommu_resv_type type)
{
	switch (type) {
	case VFIOIOMMU_RESV_DIRECT: return "direct";
	case VFIOIOMMU_RESV_DIRECT_RELAXABLE: return "direct-relaxable";
	case VFIOIOMMU_RESV_RESERVED: return "reserved";
	case VFIOIOMMU_RESV_MSI: return "msi";
	case VFIOIOMMU_RESV_SW_MSI: return "sw_msi";
	}
	return "unknown";
}

/* ---------------- vectors and sets ---------------- */

void vi_resv_vec_free(struct vi_resv_vec *v)
{
	free(v->r);
	v->r = NULL;
	v->n = v->cap = 0;
}

static int vec_reserve(struct vi_resv_vec *v, size_t more)
{
	struct vfioiommu_resv_region *r;
	size_t cap;

	if (more <= v->cap - v->n)
		return 0;
	if (more > SIZE_MAX / sizeof(*r) || v->n > SIZE_MAX / sizeof(*r) - more)
		return -ENOMEM;
	cap = v->cap ? v->cap : 16;
	while (cap < v->n + more)
		cap = cap > SIZE_MAX / sizeof(*r) / 2 ? v->n + more : cap * 2;
	r = realloc(v->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	v->r = r;
	v->cap = cap;
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* By start, ties by type as the kernel lists them, then group. */
static int cmp_set_order(const void *x, const void *y)
{
	const struct vfioiommu_resv_region *a = x, *b = y;

	if (a->start != b->start)
		return cmp_u64(a->start, b->start);
	if (a->type != b->type)
		return (int)a->type < (int)b->type ? -1 : 1;
	return a->group < b->group ? -1 : a->group > b->group;
}

/*
 * Large sets are sorted with a stable LSD radix sort: linear, so merging 100k
 * regions from 10k groups costs about 10x merging 10k.  Key bytes, least
 * significant first: group (4), type (1), start (8).
 */
#define KEY_BYTES 13
#define RADIX_MIN 256

static unsigned int key_byte(const struct vfioiommu_resv_region *r, unsigned int b)
{
	if (b < 4)
		return (r->group >> (8 * b)) & 0xff;
	if (b == 4)
		return (unsigned int)r->type & 0xff;
	return (unsigned int)(r->start >> (8 * (b - 5))) & 0xff;
}

/* @tmp holds n regions. */
static int radix_sort(struct vfioiommu_resv_region *r, size_t n, struct vfioiommu_resv_region *tmp)
{
	struct vfioiommu_resv_region *src = r, *dst = tmp;
	size_t (*hist)[256] = calloc(KEY_BYTES, sizeof(*hist));

	if (!hist)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (unsigned int b = 0; b < KEY_BYTES; b++)
			hist[b][key_byte(&r[i], b)]++;
	for (unsigned int b = 0; b < KEY_BYTES; b++) {
		struct vfioiommu_resv_region *t;
		size_t sum = 0;
		bool constant = false;

		for (unsigned int v = 0; v < 256; v++) {
			size_t c = hist[b][v];

			constant = constant || c == n;
			hist[b][v] = sum;
			sum += c;
		}
		if (constant) /* every region has the same byte here: the pass would move nothing */
			continue;
		for (size_t i = 0; i < n; i++)
			dst[hist[b][key_byte(&src[i], b)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != r)
		memcpy(r, src, n * sizeof(*r));
	free(hist);
	return 0;
}

static size_t key_hash(const struct vfioiommu_resv_region *r)
{
	uint64_t h = ((uint64_t)r->group << 3 | ((unsigned int)r->type & 7)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20);
}

/*
 * Merge same-type, same-group regions that overlap or touch, in one pass over
 * regions in set order: a hash table of @cap slots (a power of two above n)
 * keeps, per (type, group), 1 + the index of the output region still open for
 * growing.  Merging only raises an open region's last, so the output stays in
 * set order.  Returns the new count.
 */
static size_t merge_sorted(struct vfioiommu_resv_region *r, size_t n, uint32_t *tab, size_t cap)
{
	size_t w = 0;

	memset(tab, 0, cap * sizeof(*tab));
	for (size_t i = 0; i < n; i++) {
		size_t h = key_hash(&r[i]) & (cap - 1);
		struct vfioiommu_resv_region *p = NULL;

		for (; tab[h]; h = (h + 1) & (cap - 1)) {
			p = &r[tab[h] - 1];
			if (p->type == r[i].type && p->group == r[i].group)
				break;
			p = NULL;
		}
		if (p && (p->last == UINT64_MAX || r[i].start <= p->last + 1)) {
			if (r[i].last > p->last)
				p->last = r[i].last;
			continue;
		}
		r[w] = r[i];
		tab[h] = (uint32_t)++w;
	}
	return w;
}

/* Sort into set order and merge.  One scratch buffer serves the sort, then the hash table. */
static int normalize(struct vfioiommu_resv_region *r, size_t n, size_t *out_n)
{
	size_t cap = 16, bytes;
	void *scratch;
	int rc = 0;

	/* table indices are 32-bit; a set that large would not fit in memory anyway */
	if (n >= UINT32_MAX / 4)
		return -ENOMEM;
	while (cap < 2 * n)
		cap *= 2;
	bytes = cap * sizeof(uint32_t);
	if (n >= RADIX_MIN && bytes < n * sizeof(*r))
		bytes = n * sizeof(*r);
	scratch = malloc(bytes);
	if (!scratch)
		return -ENOMEM;
	if (n < RADIX_MIN)
		qsort(r, n, sizeof(*r), cmp_set_order);
	else
		rc = radix_sort(r, n, scratch);
	if (rc == 0)
		*out_n = merge_sorted(r, n, scratch, cap);
	free(scratch);
	return rc;
}

int vi_resv_set_from_vec(struct vi_resv_vec *v, vfioiommu_resv_set **out)
{
	struct vfioiommu_resv_set *s = malloc(sizeof(*s));
	size_t w = 0;
	int rc = s ? 0 : -ENOMEM;

	*out = NULL;
	if (rc == 0 && v->n)
		rc = normalize(v->r, v->n, &w);
	if (rc < 0) {
		free(s);
		vi_resv_vec_free(v);
		return rc;
	}
	s->n = w;
	s->r = v->r;
	v->r = NULL;
	v->n = v->cap = 0;
	*out = s;
	return 0;
}

const struct vfioiommu_resv_region *vi_resv_set_regions(const vfioiommu_resv_set *set, size_t *n)
{
	*n = set ? set->n : 0;
	return set ? set->r : NULL;
}

VFIOIOMMU_API int vfioiommu_resv_set_new(vfioiommu_resv_set **out,
	const struct vfioiommu_resv_region *regions, size_t n)
{
	struct vi_resv_vec v = { NULL, 0, 0 };

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (n && !regions)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (regions[i].start > regions[i].last || (unsigned int)regions[i].type > VFIOIOMMU_RESV_SW_MSI)
			return -EINVAL;
	if (vec_reserve(&v, n) < 0)
		return -ENOMEM;
	if (n)
		memcpy(v.r, regions, n * sizeof(*regions));
	v.n = n;
	return vi_resv_set_from_vec(&v, out);
}

VFIOIOMMU_API void vfioiommu_resv_set_free(vfioiommu_resv_set *set)
{
	if (set) {
		free(set->r);
		free(set);
	}
}

VFIOIOMMU_API size_t vfioiommu_resv_set_count(const vfioiommu_resv_set *set)
{
	return set ? set->n : 0;
}

VFIOIOMMU_API int vfioiommu_resv_set_get(const vfioiommu_resv_set *set, size_t i,
	struct vfioiommu_resv_region *out)
{
	if (!set || !out)
		return -EINVAL;
	if (i >= set->n)
		return -ERANGE;
	*out = set->r[i];
	return 0;
}

VFIOIOMMU_API int vfioiommu_resv_set_merge(vfioiommu_resv_set **out,
	const vfioiommu_resv_set *const *sets, size_t n)
{
	struct vi_resv_vec v = { NULL, 0, 0 };
	size_t total = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (n && !sets)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (sets[i] && sets[i]->n > SIZE_MAX - total)
			return -ENOMEM;
		total += sets[i] ? sets[i]->n : 0;
	}
	if (vec_reserve(&v, total) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (sets[i] && sets[i]->n) {
			memcpy(v.r + v.n, sets[i]->r, sets[i]->n * sizeof(v.r[0]));
			v.n += sets[i]->n;
		}
	}
	return vi_resv_set_from_vec(&v, out);
}

/* ---------------- the sysfs text parser ---------------- */

struct pline {
	const char *p, *eol;
	const char *file;
	unsigned long no;
	struct vi_err *e;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Quote at most 24 characters of hostile text, printable ASCII only. */
static const char *quote(const char *p, const char *eol, char *buf, size_t n)
{
	size_t i = 0;

	while (p < eol && i + 4 < n && i < 24) {
		char c = *p++;
		buf[i++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	if (p < eol && i + 4 <= n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int bad(struct pline *l, const char *what)
{
	char q[32];

	return vi_errf(l->e, -EINVAL, "%s:%lu: %s (line starts \"%s\")", l->file, l->no, what,
		       quote(l->p, l->eol, q, sizeof(q)));
}

/* "0x" and 1..16 hex digits, followed by a blank or the end of the line. */
static int field_hex(struct pline *l, const char **q, const char *name, uint64_t *v)
{
	const char *p = *q;
	char msg[96];
	unsigned int digits = 0;

	*v = 0;
	if (l->eol - p < 2 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) {
		snprintf(msg, sizeof(msg), "the %s address must be 0x and hexadecimal digits", name);
		return bad(l, msg);
	}
	for (p += 2; p < l->eol && hexval(*p) >= 0; p++) {
		if (++digits > 16) {
			snprintf(msg, sizeof(msg), "the %s address has more than 16 hex digits", name);
			return bad(l, msg);
		}
		*v = (*v << 4) | (uint64_t)hexval(*p);
	}
	if (digits == 0 || (p < l->eol && !is_blank(*p))) {
		snprintf(msg, sizeof(msg), "the %s address is not a hexadecimal number", name);
		return bad(l, msg);
	}
	*q = p;
	return 0;
}

static const char *skip_blanks(const char *p, const char *eol)
{
	while (p < eol && is_blank(*p))
		p++;
	return p;
}

static int field_type(struct pline *l, const char **q, enum vfioiommu_resv_type *t)
{
	static const struct { const char *word; enum vfioiommu_resv_type type; } words[] = {
		{ "direct", VFIOIOMMU_RESV_DIRECT },
		{ "direct-relaxable", VFIOIOMMU_RESV_DIRECT_RELAXABLE },
		{ "reserved", VFIOIOMMU_RESV_RESERVED },
		{ "msi", VFIOIOMMU_RESV_MSI },
	};
	const char *p = *q, *w = p;
	char msg[128], qw[32];

	while (p < l->eol && !is_blank(*p))
		p++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t len = strlen(words[i].word);

		if ((size_t)(p - w) == len && !memcmp(w, words[i].word, len)) {
			*t = words[i].type;
			*q = p;
			return 0;
		}
	}
	snprintf(msg, sizeof(msg), "unknown region type \"%s\" (expected direct, direct-relaxable, reserved or msi)",
		 quote(w, p, qw, sizeof(qw)));
	return bad(l, msg);
}

static int parse_line(struct pline *l, struct vfioiommu_resv_region *r)
{
	const char *q = l->p;
	int rc;

	if (l->p == l->eol)
		return bad(l, "empty line");
	if (memchr(l->p, '\0', (size_t)(l->eol - l->p)))
		return bad(l, "NUL byte in the line");
	if ((rc = field_hex(l, &q, "start", &r->start)) < 0)
		return rc;
	q = skip_blanks(q, l->eol);
	if (q == l->eol)
		return bad(l, "missing the end address and the type");
	if ((rc = field_hex(l, &q, "end", &r->last)) < 0)
		return rc;
	q = skip_blanks(q, l->eol);
	if (q == l->eol)
		return bad(l, "missing the region type");
	if ((rc = field_type(l, &q, &r->type)) < 0)
		return rc;
	if (skip_blanks(q, l->eol) != l->eol)
		return bad(l, "unexpected text after the region type");
	if (r->start > r->last) {
		char msg[96];
		snprintf(msg, sizeof(msg), "start 0x%016llx is above end 0x%016llx",
			 (unsigned long long)r->start, (unsigned long long)r->last);
		return bad(l, msg);
	}
	return 0;
}

int vi_resv_parse_append(struct vi_resv_vec *v, const char *text, size_t len, unsigned int group,
			 const char *filename, struct vi_err *e)
{
	struct pline l = { .file = filename ? filename : "reserved_regions", .e = e };
	const char *end;
	size_t n0 = v->n;
	int rc = 0;

	if (!text)
		return len ? vi_errf(e, -EINVAL, "%s: no text", l.file) : 0;
	end = text + len;
	for (l.p = text; l.p < end; l.p = l.eol + 1) {
		struct vfioiommu_resv_region r = { .group = group };

		l.no++;
		l.eol = memchr(l.p, '\n', (size_t)(end - l.p));
		if (!l.eol)
			l.eol = end;
		if ((rc = parse_line(&l, &r)) < 0)
			break;
		if ((rc = vec_reserve(v, 1)) < 0) {
			vi_errf(e, rc, "%s:%lu: out of memory", l.file, l.no);
			break;
		}
		v->r[v->n++] = r;
		if (l.eol == end)
			break;
	}
	if (rc < 0)
		v->n = n0; /* a file is taken whole or not at all */
	return rc;
}

VFIOIOMMU_API int vfioiommu_resv_parse(const char *text, size_t len, unsigned int group,
	const char *filename, vfioiommu_resv_set **out, char *err, size_t errlen)
{
	struct vi_resv_vec v = { NULL, 0, 0 };
	struct vi_err e;
	int rc;

	e.msg[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = vi_resv_parse_append(&v, text, len, group, filename, &e);
	if (rc == 0)
		rc = vi_resv_set_from_vec(&v, out);
	vi_resv_vec_free(&v);
	if (rc < 0 && err && errlen)
		snprintf(err, errlen, "%s", e.msg[0] ? e.msg : "out of memory");
	return rc;
}

/* ---------------- usable space and the comparison ---------------- */

VFIOIOMMU_API int vfioiommu_resv_usable(const vfioiommu_resv_set *set, uint64_t aperture_start,
	uint64_t aperture_last, vfioiommu_iova_list **out)
{
	struct vfioiommu_iova_list *l;
	uint64_t cur = aperture_start;
	bool open = true;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!set || aperture_start > aperture_last)
		return -EINVAL;
	/* each excluded region splits at most one range: n + 1 bounds the result */
	if (set->n == SIZE_MAX || !(l = vi_iova_list_alloc(set->n + 1, VFIOIOMMU_IOVA_SRC_SYSFS)))
		return -ENOMEM;
	/* the set is sorted by start: one sweep, whatever overlaps between types and groups */
	for (size_t i = 0; i < set->n && open; i++) {
		const struct vfioiommu_resv_region *r = &set->r[i];

		if (r->type == VFIOIOMMU_RESV_DIRECT_RELAXABLE || r->last < cur)
			continue;
		if (r->start > aperture_last)
			break;
		if (r->start > cur)
			vi_iova_list_push(l, cur, r->start - 1);
		if (r->last >= aperture_last)
			open = false;
		else
			cur = r->last + 1;
	}
	if (open)
		vi_iova_list_push(l, cur, aperture_last);
	*out = l;
	return 0;
}

VFIOIOMMU_API int vfioiommu_resv_compare(const vfioiommu_iova_list *predicted,
	const vfioiommu_iova_list *kernel, vfioiommu_iova_list **only_predicted,
	vfioiommu_iova_list **only_kernel)
{
	vfioiommu_iova_list *op = NULL, *ok = NULL;
	int rc;

	if (only_predicted)
		*only_predicted = NULL;
	if (only_kernel)
		*only_kernel = NULL;
	if (!predicted || !kernel)
		return -EINVAL;
	if (only_predicted && (rc = vfioiommu_iova_list_subtract(&op, predicted, kernel)) < 0)
		return rc;
	if (only_kernel && (rc = vfioiommu_iova_list_subtract(&ok, kernel, predicted)) < 0) {
		vfioiommu_iova_list_free(op);
		return rc;
	}
	if (only_predicted)
		*only_predicted = op;
	if (only_kernel)
		*only_kernel = ok;
	return vfioiommu_iova_list_equal(predicted, kernel) ? 0 : 1;
}

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

/* One allocation, freed with one free(): the count, then the regions in set order. */
struct vfioiommu_resv_set {
	size_t n;
	struct vfioiommu_resv_region r[];
};

/* A set with room for @n regions (count 0), or NULL. */
static struct vfioiommu_resv_set *set_alloc(size_t n)
{
	struct vfioiommu_resv_set *s;

	if (n > (SIZE_MAX - sizeof(*s)) / sizeof(s->r[0]))
		return NULL;
	s = malloc(sizeof(*s) + n * sizeof(s->r[0]));
	if (s)
		s->n = 0;
	return s;
}

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

/* ---------------- vectors ---------------- */

void vi_resv_vec_free(struct vi_resv_vec *v)
{
	free(v->r);
	v->r = NULL;
	v->n = v->cap = 0;
}

/* Room for @more regions after the n already there. */
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

/* ---------------- normalisation: sort, merge, sort ---------------- */

/*
 * The merge rule (the kernel's, inside a group): two regions merge when they
 * have the same type AND the same group and overlap or touch.  Regions of
 * different types or groups stay apart even where they overlap, so every
 * region still says where it came from.
 *
 * Normalising is three plain steps, O(n log n) whatever the input:
 *   1. qsort by (group, type, start, last), so that regions which may merge
 *      are neighbours;
 *   2. one pass merges the touching neighbours;
 *   3. qsort what is left into set order (start, type, group), the order the
 *      kernel lists them in.
 * One sort by start alone would leave regions that may merge apart, with
 * other types and groups between them, and the merge would need a table of
 * the open region per (type, group); the second sort costs less to read.
 * Real hosts have tens of regions, so nothing here is tuned for size.
 */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* Step 1's order: group, type, start, last. */
static int cmp_merge_order(const void *x, const void *y)
{
	const struct vfioiommu_resv_region *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->type != b->type)
		return (int)a->type < (int)b->type ? -1 : 1;
	if (a->start != b->start)
		return cmp_u64(a->start, b->start);
	return cmp_u64(a->last, b->last);
}

/* Set order: by start, ties by type as the kernel lists them, then group.  After merging no two regions tie. */
static int cmp_set_order(const void *x, const void *y)
{
	const struct vfioiommu_resv_region *a = x, *b = y;

	if (a->start != b->start)
		return cmp_u64(a->start, b->start);
	if (a->type != b->type)
		return (int)a->type < (int)b->type ? -1 : 1;
	return a->group < b->group ? -1 : a->group > b->group;
}

static bool same_type_and_group(const struct vfioiommu_resv_region *a, const struct vfioiommu_resv_region *b)
{
	return a->type == b->type && a->group == b->group;
}

/* Whether a region starting at @start overlaps or touches one ending at @last (which may be UINT64_MAX). */
static bool touches(uint64_t last, uint64_t start)
{
	return last == UINT64_MAX || start <= last + 1;
}

/*
 * Step 2: @r (n regions) is in merge order; merge in place and return how
 * many regions are left.  r[w - 1] is the region being grown: a neighbour of
 * the same type and group that starts at or before its last + 1 extends it,
 * anything else starts the next one.  Within a type and group starts only
 * grow, and earlier regions of the pair ended before r[w - 1] began, so a
 * region that does not touch r[w - 1] touches none of them either.
 */
static size_t merge_neighbours(struct vfioiommu_resv_region *r, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_resv_region *open = w ? &r[w - 1] : NULL;

		if (open && same_type_and_group(open, &r[i]) && touches(open->last, r[i].start)) {
			if (r[i].last > open->last)
				open->last = r[i].last;
		} else {
			r[w++] = r[i];
		}
	}
	return w;
}

/* Sort and merge @r (n regions, any order) in place into set order; returns how many are left. */
static size_t normalize(struct vfioiommu_resv_region *r, size_t n)
{
	if (n < 2) /* nothing to sort or merge, and r may be NULL, which qsort does not accept */
		return n;
	qsort(r, n, sizeof(*r), cmp_merge_order);
	n = merge_neighbours(r, n);
	qsort(r, n, sizeof(*r), cmp_set_order);
	return n;
}

/* ---------------- sets ---------------- */

int vi_resv_set_from_vec(struct vi_resv_vec *v, vfioiommu_resv_set **out)
{
	size_t n = normalize(v->r, v->n);
	struct vfioiommu_resv_set *s = set_alloc(n); /* after merging: no room wasted */

	if (s) {
		if (n)
			memcpy(s->r, v->r, n * sizeof(s->r[0]));
		s->n = n;
	}
	vi_resv_vec_free(v);
	*out = s;
	return s ? 0 : -ENOMEM;
}

const struct vfioiommu_resv_region *vi_resv_set_regions(const vfioiommu_resv_set *set, size_t *n)
{
	*n = set ? set->n : 0;
	return set ? set->r : NULL;
}

VFIOIOMMU_API int vfioiommu_resv_set_new(const struct vfioiommu_resv_region *regions, size_t n,
	vfioiommu_resv_set **out)
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
	free(set);
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

/* The sets' regions in one array, normalised as a whole: sets are already merged, but not with each other. */
VFIOIOMMU_API int vfioiommu_resv_set_merge(const vfioiommu_resv_set *const *sets, size_t n,
	vfioiommu_resv_set **out)
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
	uint64_t cur = aperture_start; /* below cur, the aperture is decided: pushed as usable, or excluded */

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!set || aperture_start > aperture_last)
		return -EINVAL;
	/* each excluded region splits at most one range: n + 1 bounds the result */
	if (set->n == SIZE_MAX || !(l = vi_iova_list_alloc(set->n + 1, VFIOIOMMU_IOVA_SRC_SYSFS)))
		return -ENOMEM;
	/*
	 * One sweep in start order.  A region starting above cur leaves the gap
	 * [cur, start - 1] usable; regions may overlap (different types or
	 * groups), so cur is the running maximum of last + 1.  Direct-relaxable
	 * regions do not count: the kernel does not carve them out.
	 */
	for (size_t i = 0; i < set->n && set->r[i].start <= aperture_last; i++) {
		const struct vfioiommu_resv_region *r = &set->r[i];

		if (r->type == VFIOIOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (r->start > cur)
			vi_iova_list_push(l, cur, r->start - 1);
		if (r->last >= aperture_last) { /* the rest of the aperture is excluded */
			*out = l;
			return 0;
		}
		if (r->last >= cur)
			cur = r->last + 1; /* no wrap: r->last < aperture_last */
	}
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
	if (only_predicted && (rc = vfioiommu_iova_list_subtract(predicted, kernel, &op)) < 0)
		return rc;
	if (only_kernel && (rc = vfioiommu_iova_list_subtract(kernel, predicted, &ok)) < 0) {
		vfioiommu_iova_list_free(op);
		return rc;
	}
	if (only_predicted)
		*only_predicted = op;
	if (only_kernel)
		*only_kernel = ok;
	return vfioiommu_iova_list_equal(predicted, kernel) ? 0 : 1;
}

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

/* One allocation: the regions follow the count, so reading a set touches one block. */
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

/* @s, allocated for @cap regions: when merging left it well under half full, give the rest back. */
static struct vfioiommu_resv_set *set_fit(struct vfioiommu_resv_set *s, size_t cap)
{
	struct vfioiommu_resv_set *t;

	if (s->n >= cap / 2)
		return s;
	t = realloc(s, sizeof(*s) + s->n * sizeof(s->r[0]));
	return t ? t : s;
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

static unsigned int bit_width(uint64_t x)
{
	return x ? 64u - (unsigned int)__builtin_clzll(x) : 0;
}

static bool touches(uint64_t last, uint64_t start)
{
	return last == UINT64_MAX || start <= last + 1;
}

/* ---------------- merging, one region at a time in set order ---------------- */

/*
 * A cluster is a maximal run of regions, in set order, each touching the
 * union of those before it.  Nothing merges across a cluster boundary, so
 * only the open regions of the current cluster are ever looked up: by a short
 * backward scan while the cluster has few outputs, by a hash table once it
 * has more.  Random data makes nearly every cluster a single region, and then
 * adding a region costs one comparison.
 */
#define LINEAR_MAX 8
#define TAB_MIN_BITS 8
#define TAB_STACK 1024 /* slots: four times the largest cluster of a small set */

struct merger {
	struct vfioiommu_resv_region *r; /* outputs so far: r[0..w) */
	size_t w, w0;                    /* w0: the current cluster's first output */
	uint64_t reach;                  /* the highest last in the cluster */
	uint32_t *tab;                   /* 2^bits slots in use (none while bits is 0) */
	size_t room;                     /* slots tab can hold */
	bool heap;                       /* tab was allocated here */
	bool hashed;                     /* the current cluster's outputs are in tab */
	unsigned int bits;
};

static void merger_init(struct merger *m, struct vfioiommu_resv_region *r, uint32_t *stack, size_t room)
{
	*m = (struct merger){ .r = r, .tab = stack, .room = room };
}

static void merger_done(struct merger *m)
{
	if (m->heap)
		free(m->tab);
	m->tab = NULL;
	m->heap = false;
}

static size_t key_slot(const struct vfioiommu_resv_region *r, unsigned int bits)
{
	uint64_t h = ((uint64_t)r->group << 3 | ((unsigned int)r->type & 7)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> (64 - bits));
}

/*
 * The slot of (type, group) of @c: the one holding the cluster's output with
 * that key, or the free one to put it in.  Slots hold 1 + an output index;
 * one that is not above w0 is left from an earlier cluster and counts as
 * free, so the table is never cleared between clusters.
 */
static inline size_t tab_find(const uint32_t *tab, unsigned int bits, size_t w0,
			      const struct vfioiommu_resv_region *r, const struct vfioiommu_resv_region *c)
{
	const size_t mask = ((size_t)1 << bits) - 1;
	size_t h = key_slot(c, bits);

	for (; tab[h] > w0; h = (h + 1) & mask) {
		const struct vfioiommu_resv_region *p = &r[tab[h] - 1];

		if (p->type == c->type && p->group == c->group)
			break;
	}
	return h;
}

/*
 * Make the table hold the current cluster's outputs with room for @more
 * (>= 1) at load <= 1/4, growing it when needed: @more is how many regions
 * the caller has in hand, so a long run sizes the table once instead of
 * rebuilding it at every doubling.  False when memory is short: the caller
 * scans instead, slower but right.
 */
static bool tab_ready(struct merger *m, size_t more)
{
	size_t have = m->w - m->w0, need;
	unsigned int bits = m->bits ? m->bits : TAB_MIN_BITS;

	if (more > SIZE_MAX / 8 - have)
		more = SIZE_MAX / 8 - have;
	need = 4 * (have + more);

	if (m->hashed && ((size_t)1 << m->bits) >= need)
		return true;
	while (((size_t)1 << bits) < need)
		bits++;
	if (bits != m->bits) {
		if (((size_t)1 << bits) > m->room) {
			uint32_t *t = bits < 8 * sizeof(size_t) - 3 ? malloc(sizeof(*t) << bits) : NULL;

			if (!t) {
				m->hashed = false;
				return false;
			}
			merger_done(m);
			m->tab = t;
			m->room = (size_t)1 << bits;
			m->heap = true;
		}
		memset(m->tab, 0, sizeof(*m->tab) << bits);
		m->bits = bits;
		m->hashed = false;
	}
	if (!m->hashed) {
		for (size_t j = m->w0; j < m->w; j++)
			m->tab[tab_find(m->tab, m->bits, m->w0, m->r, &m->r[j])] = (uint32_t)(j + 1);
		m->hashed = true;
	}
	return true;
}

/* The newest output of @c's key in the cluster, which is the one still open, by a backward scan. */
static struct vfioiommu_resv_region *scan_open(const struct merger *m, const struct vfioiommu_resv_region *c)
{
	for (size_t j = m->w; j-- > m->w0;)
		if (m->r[j].type == c->type && m->r[j].group == c->group)
			return &m->r[j];
	return NULL;
}

/*
 * Add @k regions, in set order, to the outputs.  They may lie at r[w] or
 * later (outputs never overtake inputs).  Merging only raises an open
 * region's last, so the outputs stay in set order.  The merger's fields are
 * copied into locals and written back only around the rare calls, so that
 * the stores to regions cannot make every step reload them.
 */
static void merge_some(struct merger *m, const struct vfioiommu_resv_region *c, size_t k)
{
	struct vfioiommu_resv_region *const r = m->r;
	size_t w = m->w, w0 = m->w0;
	uint64_t reach = m->reach;
	bool hashed = m->hashed;

	for (; k; k--, c++) {
		/* fields, not a struct copy: a copy made with vector stores stalls the narrower loads after it */
		const uint64_t start = c->start, last = c->last;
		struct vfioiommu_resv_region *p;
		size_t h = 0;

		if (!w || !touches(reach, start)) {
			/* nothing before can touch this region or any later one */
			w0 = w;
			reach = last;
			hashed = false;
			r[w++] = *c;
			continue;
		}
		if (last > reach)
			reach = last;
		if (!hashed || 4 * (w - w0 + 1) > ((size_t)1 << m->bits)) {
			m->w = w;
			m->w0 = w0;
			m->hashed = hashed;
			hashed = w - w0 >= LINEAR_MAX && tab_ready(m, hashed ? 1 : k);
		}
		if (hashed) {
			h = tab_find(m->tab, m->bits, w0, r, c);
			p = m->tab[h] > w0 ? &r[m->tab[h] - 1] : NULL;
		} else {
			m->w = w;
			m->w0 = w0;
			p = scan_open(m, c);
		}
		if (p && touches(p->last, start)) {
			if (last > p->last)
				p->last = last;
			continue;
		}
		if (hashed)
			m->tab[h] = (uint32_t)(w + 1);
		r[w++] = *c;
	}
	m->w = w;
	m->w0 = w0;
	m->reach = reach;
	m->hashed = hashed;
}

/* ---------------- sorting ---------------- */

/*
 * Large inputs are not sorted as 24-byte structs but as one uint64_t key per
 * region: the bits of its start that vary over the input above, where it
 * comes from (source set, position) below.  Each LSD radix pass then moves 8
 * bytes, 100k keys stay within L2, digits are sized to the bits that vary,
 * and one gather pass reads every region once, straight from its source, in
 * sorted order, and merges it on the spot.  A start that needs more bits than
 * the key has left is cut to its high bits; keys that tie (equal starts, or
 * equal cut starts) keep input order, and the gather pass sorts such a run
 * again (sort_run) only when it is out of set order.
 */
#define RADIX_MIN 256
#define DIGIT_MAX 12
#define PASSES_MAX ((64 + DIGIT_MAX - 1) / DIGIT_MAX)
#define PAYLOAD_MAX 40
#define PAYLOAD_SLACK 8
#define PREFETCH 16

struct keyplan {
	uint64_t lo;          /* the smallest start */
	unsigned int shift;   /* low start bits every region shares */
	unsigned int cut;     /* further low bits dropped when the key is short of room */
	unsigned int pbits;   /* bits of a position in a source */
	unsigned int payload; /* pbits + bits of a source index */
	unsigned int kbits;   /* start bits kept in the key */
};

/* Where the sorted keys point: the sources, and how a key's payload splits into source and position. */
struct gather {
	const struct vfioiommu_resv_region *const *base;
	const uint64_t *a;
	size_t n;
	unsigned int payload, pbits;
};

/* The region of key @i, prefetching the one PREFETCH keys further on. */
static inline struct vfioiommu_resv_region gather_at(const struct gather *g, size_t i)
{
	const uint64_t plmask = ((uint64_t)1 << g->payload) - 1, pmask = ((uint64_t)1 << g->pbits) - 1;
	uint64_t q = g->a[i] & plmask;

	if (i + PREFETCH < g->n) {
		uint64_t f = g->a[i + PREFETCH] & plmask;

		__builtin_prefetch(&g->base[f >> g->pbits][f & pmask]);
	}
	return g->base[q >> g->pbits][q & pmask];
}

/*
 * A run of regions whose keys tied, put into set order.  Ties are common: the
 * MSI window sits at the same address in every group, and cut keys tie over
 * whole clumps.  So a long run gets a stable byte-wise LSD radix sort on
 * (start, type, group) that skips the bytes every region shares (for equal
 * starts, all eight of them): linear whatever the order it came in.
 */
#define RUN_QSORT_MAX 32
#define RUN_KEY_BYTES 13

/* Byte @shift / 8 of field @f of the run key: 0 group, 1 type, 2 start. */
static inline unsigned int run_byte(const struct vfioiommu_resv_region *r, unsigned int f, unsigned int shift)
{
	uint64_t v = f == 2 ? r->start : f == 1 ? (uint64_t)r->type : (uint64_t)r->group;

	return (unsigned int)(v >> shift) & 0xff;
}

/* One stable pass on byte (@f, @shift), the field chosen outside the loop. */
static void run_pass(const struct vfioiommu_resv_region *src, struct vfioiommu_resv_region *dst, size_t n,
		     uint32_t *h, unsigned int f, unsigned int shift)
{
	switch (f) {
	case 0:
		for (size_t i = 0; i < n; i++)
			dst[h[(src[i].group >> shift) & 0xff]++] = src[i];
		break;
	case 1:
		for (size_t i = 0; i < n; i++)
			dst[h[(unsigned int)src[i].type & 0xff]++] = src[i];
		break;
	default:
		for (size_t i = 0; i < n; i++)
			dst[h[(src[i].start >> shift) & 0xff]++] = src[i];
		break;
	}
}

static void sort_run(struct vfioiommu_resv_region *r, size_t n)
{
	struct vfioiommu_resv_region *tmp = NULL, *src = r, *dst;
	uint64_t s_any = 0, s_all = UINT64_MAX, g_any = 0, g_all = UINT32_MAX, t_any = 0, t_all = UINT32_MAX;
	unsigned int field[RUN_KEY_BYTES], shift[RUN_KEY_BYTES], nb = 0;
	uint32_t (*hist)[256];

	if (n > RUN_QSORT_MAX)
		tmp = malloc(n * sizeof(*r) + RUN_KEY_BYTES * sizeof(*hist));
	if (!tmp) { /* short, or no memory: a comparison sort needs none */
		qsort(r, n, sizeof(*r), cmp_set_order);
		return;
	}
	/* only the bytes that vary get a histogram and a pass */
	for (size_t i = 0; i < n; i++) {
		s_any |= r[i].start;
		s_all &= r[i].start;
		g_any |= r[i].group;
		g_all &= r[i].group;
		t_any |= (uint32_t)r[i].type;
		t_all &= (uint32_t)r[i].type;
	}
	for (unsigned int b = 0; b < RUN_KEY_BYTES; b++) {
		unsigned int f = b < 4 ? 0 : b == 4 ? 1 : 2, sh = b < 4 ? 8 * b : b == 4 ? 0 : 8 * (b - 5);
		uint64_t differ = f == 0 ? g_any ^ g_all : f == 1 ? t_any ^ t_all : s_any ^ s_all;

		if ((differ >> sh) & 0xff) {
			field[nb] = f;
			shift[nb++] = sh;
		}
	}
	hist = (uint32_t (*)[256])(tmp + n);
	memset(hist, 0, nb * sizeof(*hist));
	for (size_t i = 0; i < n; i++)
		for (unsigned int k = 0; k < nb; k++)
			hist[k][run_byte(&r[i], field[k], shift[k])]++;
	dst = tmp;
	for (unsigned int k = 0; k < nb; k++) {
		struct vfioiommu_resv_region *t;
		uint32_t sum = 0;

		for (unsigned int v = 0; v < 256; v++) {
			uint32_t c = hist[k][v];

			hist[k][v] = sum;
			sum += c;
		}
		run_pass(src, dst, n, hist[k], field[k], shift[k]);
		t = src;
		src = dst;
		dst = t;
	}
	if (src != r)
		memcpy(r, src, n * sizeof(*r));
	free(tmp);
}

/* What a large sort reads: @nsets sets (NULL entries are empty), or, when sets is NULL, one plain array. */
struct sources {
	const vfioiommu_resv_set *const *sets;
	size_t nsets;
	const struct vfioiommu_resv_region *one;
	size_t n; /* regions in all */
};

static size_t src_count(const struct sources *s)
{
	return s->sets ? s->nsets : 1;
}

static size_t src_len(const struct sources *s, size_t j)
{
	return s->sets ? (s->sets[j] ? s->sets[j]->n : 0) : s->n;
}

static const struct vfioiommu_resv_region *src_regions(const struct sources *s, size_t j)
{
	return s->sets ? s->sets[j]->r : s->one;
}

static int sort_large(const struct sources *in, vfioiommu_resv_set **out);

/* Sources too uneven for the payload bits: sort one concatenated copy instead. */
static int sort_large_concat(const struct sources *in, vfioiommu_resv_set **out)
{
	struct vfioiommu_resv_region *all = malloc(in->n * sizeof(*all));
	struct sources one = { NULL, 0, all, in->n };
	size_t k = 0;
	int rc;

	if (!all)
		return -ENOMEM;
	for (size_t j = 0; j < src_count(in); j++) {
		size_t len = src_len(in, j);

		if (len) {
			memcpy(all + k, src_regions(in, j), len * sizeof(*all));
			k += len;
		}
	}
	rc = sort_large(&one, out);
	free(all);
	return rc;
}

/* Sort the regions of @in (n >= 1, < UINT32_MAX / 4) into set order and merge them into a new set. */
static int sort_large(const struct sources *in, vfioiommu_resv_set **out)
{
	const size_t n = in->n, nsets = src_count(in);
	const size_t hist_len = (size_t)PASSES_MAX << DIGIT_MAX;
	const struct vfioiommu_resv_region **base;
	struct vfioiommu_resv_set *set;
	struct vfioiommu_resv_region *r;
	struct keyplan kp = { .lo = UINT64_MAX };
	struct merger m;
	struct gather g;
	size_t nsrc = 0, maxlen = 0, w = 0, i;
	unsigned int passes = 0, db = 0;
	uint64_t hi = 0, any = 0, all = UINT64_MAX, reach = 0, *a, *b;
	uint32_t *hist, *len, stack[TAB_STACK];
	void *scratch;

	/* more sets than regions: count the non-empty ones rather than make room for them all */
	if (nsets > n)
		for (size_t j = 0; j < nsets; j++)
			nsrc += src_len(in, j) != 0;
	else
		nsrc = nsets;
	if (n > (SIZE_MAX - hist_len * sizeof(*hist)) / (16 + sizeof(*base) + sizeof(*len)))
		return -ENOMEM;
	scratch = malloc(16 * n + nsrc * (sizeof(*base) + sizeof(*len)) + hist_len * sizeof(*hist));
	set = set_alloc(n);
	if (!scratch || !set) {
		free(scratch);
		free(set);
		return -ENOMEM;
	}
	r = set->r;
	a = scratch;
	b = a + n;
	base = (const struct vfioiommu_resv_region **)(b + n);
	len = (uint32_t *)(base + nsrc);
	hist = len + nsrc;

	/* the sources, and which start bits vary: the others are left out of the key and cost no pass */
	i = 0;
	nsrc = 0;
	for (size_t j = 0; j < nsets; j++) {
		const struct vfioiommu_resv_region *sr;
		size_t sn = src_len(in, j);

		if (!sn)
			continue;
		sr = src_regions(in, j);
		base[nsrc] = sr;
		len[nsrc++] = (uint32_t)sn;
		maxlen = sn > maxlen ? sn : maxlen;
		for (size_t p = 0; p < sn; p++) {
			uint64_t st = sr[p].start;

			a[i++] = st;
			kp.lo = st < kp.lo ? st : kp.lo;
			hi = st > hi ? st : hi;
			any |= st;
			all &= st;
		}
	}
	kp.pbits = bit_width(maxlen - 1);
	kp.payload = kp.pbits + bit_width(nsrc - 1);
	/* uneven sources (one large, many small) waste payload bits that the starts could use */
	if (kp.payload > PAYLOAD_MAX || kp.payload > bit_width(n - 1) + PAYLOAD_SLACK) {
		free(scratch);
		free(set);
		return sort_large_concat(in, out);
	}
	if (any != all) {
		unsigned int width;

		kp.shift = (unsigned int)__builtin_ctzll(any ^ all);
		width = bit_width((hi - kp.lo) >> kp.shift);
		kp.kbits = width < 64 - kp.payload ? width : 64 - kp.payload;
		kp.cut = width - kp.kbits;
		passes = (kp.kbits + DIGIT_MAX - 1) / DIGIT_MAX;
		db = (kp.kbits + passes - 1) / passes;
	}
	memset(hist, 0, ((size_t)passes << db) * sizeof(*hist));

	/* the keys, and every pass's histogram in the same sweep */
	i = 0;
	for (size_t s = 0; s < nsrc; s++) {
		const uint64_t dmask = ((uint64_t)1 << db) - 1;

		for (uint64_t p = 0; p < len[s]; p++, i++) {
			uint64_t k = (((a[i] - kp.lo) >> kp.shift) >> kp.cut) << kp.payload |
				     (uint64_t)s << kp.pbits | p;

			a[i] = k;
			k >>= kp.payload;
			for (unsigned int d = 0; d < passes; d++, k >>= db)
				hist[((size_t)d << db) + (k & dmask)]++;
		}
	}

	/* stable LSD radix passes, skipping digits every key shares */
	for (unsigned int d = 0; d < passes; d++) {
		uint32_t *h = hist + ((size_t)d << db), sum = 0;
		unsigned int sh = kp.payload + d * db;
		uint64_t dmask = ((uint64_t)1 << db) - 1, *t;

		if (h[(a[0] >> sh) & dmask] == n)
			continue;
		for (size_t v = 0; v < ((size_t)1 << db); v++) {
			uint32_t c = h[v];

			h[v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[h[(a[i] >> sh) & dmask]++] = a[i];
		t = a;
		a = b;
		b = t;
	}

	/*
	 * Gather in key order and merge as we go.  A run of tied keys is gathered
	 * whole first and sorted again if out of set order; it lands at or above the
	 * merge's next output, so nothing unread is overwritten.  The merge's
	 * count and reach live in locals here: the merger is only consulted
	 * inside clusters.
	 */
	merger_init(&m, r, stack, TAB_STACK);
	g.base = base;
	g.a = a;
	g.n = n;
	g.payload = kp.payload;
	g.pbits = kp.pbits;
	for (i = 0; i < n;) {
		size_t j = i + 1, t;
		bool sorted = true;

		while (j < n && (a[j] >> kp.payload) == (a[i] >> kp.payload))
			j++;
		if (j == i + 1) {
			const struct vfioiommu_resv_region c = gather_at(&g, i);

			if (w && touches(reach, c.start)) {
				m.w = w;
				m.reach = reach;
				merge_some(&m, &c, 1);
				w = m.w;
				reach = m.reach;
			} else {
				m.w0 = w;
				m.hashed = false;
				reach = c.last;
				r[w++] = c;
			}
			i = j;
			continue;
		}
		for (t = i; t < j; t++) {
			r[t] = gather_at(&g, t);
			sorted = sorted && (t == i || cmp_set_order(&r[t - 1], &r[t]) <= 0);
		}
		if (!sorted)
			sort_run(r + i, j - i);
		m.w = w;
		m.reach = reach;
		merge_some(&m, r + i, j - i);
		w = m.w;
		reach = m.reach;
		i = j;
	}
	set->n = w;
	merger_done(&m);
	free(scratch);
	*out = set_fit(set, n);
	return 0;
}

/* Sort @r (n < RADIX_MIN) into set order and merge it, in place. */
static size_t normalize_small(struct vfioiommu_resv_region *r, size_t n)
{
	uint32_t stack[TAB_STACK];
	struct merger m;

	if (n)
		qsort(r, n, sizeof(*r), cmp_set_order);
	merger_init(&m, r, stack, TAB_STACK);
	merge_some(&m, r, n);
	merger_done(&m);
	return m.w;
}

int vi_resv_set_from_vec(struct vi_resv_vec *v, vfioiommu_resv_set **out)
{
	struct vfioiommu_resv_set *s = NULL;
	size_t n = v->n;
	int rc = 0;

	*out = NULL;
	/* table slots and histogram counts are 32-bit; a set that large would not fit in memory anyway */
	if (n >= UINT32_MAX / 4) {
		rc = -ENOMEM;
	} else if (n < RADIX_MIN) {
		size_t w = normalize_small(v->r, n);

		if ((s = set_alloc(w)) != NULL) {
			if (w)
				memcpy(s->r, v->r, w * sizeof(s->r[0]));
			s->n = w;
		} else {
			rc = -ENOMEM;
		}
	} else {
		struct sources one = { NULL, 0, v->r, n };

		rc = sort_large(&one, &s);
	}
	vi_resv_vec_free(v);
	if (rc == 0)
		*out = s;
	return rc;
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
	if (total >= RADIX_MIN && total < UINT32_MAX / 4) {
		/* sorted straight from the sets: no concatenated copy */
		struct sources in = { sets, n, NULL, total };

		return sort_large(&in, out);
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

/* How many regions of @set start at or below @last (the set is sorted by start). */
static size_t count_starting_by(const vfioiommu_resv_set *set, uint64_t last)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->r[mid].start <= last)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define GAP_BLOCK 64

VFIOIOMMU_API int vfioiommu_resv_usable(const vfioiommu_resv_set *set, uint64_t aperture_start,
	uint64_t aperture_last, vfioiommu_iova_list **out)
{
	struct vfioiommu_iova_range gap[GAP_BLOCK];
	struct vfioiommu_iova_list *l;
	uint64_t cur = aperture_start, done = 0;
	size_t end;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!set || aperture_start > aperture_last)
		return -EINVAL;
	/* each excluded region splits at most one range: n + 1 bounds the result */
	if (set->n == SIZE_MAX || !(l = vi_iova_list_alloc(set->n + 1, VFIOIOMMU_IOVA_SRC_SYSFS)))
		return -ENOMEM;
	/*
	 * The set is sorted by start: one sweep, whatever overlaps between types
	 * and groups.  cur, the first IOVA not yet covered, is the running
	 * maximum of last + 1 over the regions that count.  Whether a region
	 * counts (direct-relaxable ones do not) and whether it leaves a gap are
	 * as good as random on a real set, so the sweep computes instead of
	 * branching: every region writes a candidate gap to a small block that
	 * keeps it only when it is one, and the block is then appended.
	 */
	end = count_starting_by(set, aperture_last);
	for (size_t i = 0; i < end && !done; i += GAP_BLOCK) {
		size_t m = end - i < GAP_BLOCK ? end - i : GAP_BLOCK, k = 0;

		for (size_t j = 0; j < m; j++) {
			const struct vfioiommu_resv_region *r = &set->r[i + j];
			uint64_t counts = r->type != VFIOIOMMU_RESV_DIRECT_RELAXABLE;
			uint64_t next = (r->last + 1) & -counts; /* wraps at UINT64_MAX, but then done is set */

			gap[k].start = cur;
			gap[k].last = r->start - 1;
			k += counts & (r->start > cur) & !done;
			/* a region reaching the aperture's end closes it */
			done |= counts & (r->last >= aperture_last);
			cur = next > cur ? next : cur;
		}
		for (size_t j = 0; j < k; j++)
			vi_iova_list_push(l, gap[j].start, gap[j].last);
	}
	if (!done)
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
